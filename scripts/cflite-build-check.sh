#!/usr/bin/env bash
# Smoke check of .clusterfuzzlite/build.sh outside Docker: run it the way ClusterFuzzLite's
# base-builder image does (OSS-Fuzz environment: CC=clang, CFLAGS with
# -fsanitize=fuzzer-no-link,address, LIB_FUZZING_ENGINE=-fsanitize=fuzzer, SRC, WORK and
# OUT), with SRC/WORK/OUT in a temporary directory, then check what landed in $OUT:
# both targets, their .options, fuzz_oplog.signatures, both seed corpora; and that each
# packaged target starts and runs from another directory (fuzz_oplog must name
# $OUT/fuzz_oplog.signatures as its baseline). scripts/ci.sh runs it when clang is
# there; it takes ~20 s on one core.
#   scripts/cflite-build-check.sh        (TORNPAGE_BUILD_JOBS: make -j, default nproc)
# Exit: 0, 1 when the build or a check fails, 2 without clang.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
command -v clang >/dev/null || { echo "cflite-build-check: clang is needed" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src" "$tmp/work" "$tmp/out" "$tmp/run"
ln -s "$root" "$tmp/src/tornpage"
fail() { echo "cflite-build-check: $*" >&2; exit 1; }

echo "== .clusterfuzzlite/build.sh with an OSS-Fuzz-style environment (address sanitizer)"
start=$SECONDS
if ! env -u TORNPAGE_FUZZ_BASELINE \
     CC=clang CXX=clang++ \
     CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link" \
     CXXFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link" \
     LIB_FUZZING_ENGINE=-fsanitize=fuzzer SANITIZER=address FUZZING_ENGINE=libfuzzer \
     SRC="$tmp/src" WORK="$tmp/work" OUT="$tmp/out" \
     bash -eu .clusterfuzzlite/build.sh >"$tmp/build.log" 2>&1; then
  tail -20 "$tmp/build.log" >&2
  fail "build.sh failed"
fi
echo "built in $((SECONDS - start)) s"

out=$tmp/out
for f in fuzz_image fuzz_oplog; do
  [ -x "$out/$f" ] || fail "\$OUT/$f missing"
  [ -f "$out/$f.options" ] || fail "\$OUT/$f.options missing"
  [ -s "$out/${f}_seed_corpus.zip" ] || fail "\$OUT/${f}_seed_corpus.zip missing"
done
cmp -s "$out/fuzz_oplog.signatures" corpus/repro/SIGNATURES ||
  fail "\$OUT/fuzz_oplog.signatures is not corpus/repro/SIGNATURES"
n_img=$(unzip -Z1 "$out/fuzz_image_seed_corpus.zip" | wc -l)
n_op=$(unzip -Z1 "$out/fuzz_oplog_seed_corpus.zip" | wc -l)
[ "$n_img" -eq "$(ls corpus/images | wc -l)" ] || fail "fuzz_image seed corpus: $n_img files"
[ "$n_op" -eq "$(ls corpus/fuzz/oplog | wc -l)" ] || fail "fuzz_oplog seed corpus: $n_op files"

# Run the packaged targets as the runner would: from $OUT, elsewhere. fuzz_image replays
# its seed corpus; fuzz_oplog (seconds per seed under ASan) runs a few short inputs.
mkdir -p "$tmp/run/fuzz_image" "$tmp/run/fuzz_oplog"
(cd "$tmp/run/fuzz_image" && unzip -q "$out/fuzz_image_seed_corpus.zip")
run() { # target, flags...
  local f=$1; shift
  (cd "$tmp/run" && env -u TORNPAGE_FUZZ_BASELINE "$out/$f" "$@" "$tmp/run/$f" >"$tmp/$f.log" 2>&1) ||
    { tail -5 "$tmp/$f.log" >&2; fail "packaged $f failed"; }
  grep -q 'INITED' "$tmp/$f.log" || fail "packaged $f did not start fuzzing"
}
run fuzz_image -runs=0
run fuzz_oplog -runs=20 -max_len=16 -seed=1
grep -q "^fuzz_oplog: baseline $out/fuzz_oplog.signatures:" "$tmp/fuzz_oplog.log" ||
  fail "packaged fuzz_oplog did not read \$OUT/fuzz_oplog.signatures: $(grep baseline "$tmp/fuzz_oplog.log")"
echo "cflite-build-check: ok ($n_img + $n_op seed inputs, $(wc -l < "$out/fuzz_oplog.signatures") signatures, $((SECONDS - start)) s)"
