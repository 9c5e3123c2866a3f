#!/usr/bin/env bash
# Turn fuzz_oplog inputs (libFuzzer's crash-* files, or the *.bin files collected with
# TORNPAGE_FUZZ_FINDINGS) into reproducers in corpus/repro, like any other finding.
#   scripts/fuzz-to-repro.sh INPUT...
# For each input: `fuzz_oplog --print INPUT` decodes it to its op log (written to
# $TMPDIR/tornpage-fuzz-to-repro/NAME.log; a reproducer holds its log), then
# `tornpage crash` runs that log with fuzz_oplog's own sampling (--atomic 512
# --exhaustive 6 --samples 8 --seed 1: the same crash images are judged) and --save
# writes one reproducer per finding signature that --baseline corpus/repro lacks; each
# new reproducer's "from:" note names those exact options. Then the fuzzer's baseline,
# corpus/repro/SIGNATURES (the single one: scripts/findings.sh writes it the same way),
# is regenerated with `tornpage repro --signatures corpus/repro/*.repro`.
# Environment: TORNPAGE_BUILD: a build with fuzz/fuzz_oplog and harness/tornpage
# (default: the first of build, build-gcc, build-fuzz that has both: scripts/main.sh
# makes build, scripts/ci.sh build-gcc, scripts/fuzz.sh oplog build-fuzz);
# TORNPAGE_REPRO_DIR (default corpus/repro).
# Exit: 0; 2 on bad usage, a missing build, an input that does not decode, or a failed
# save or baseline update.
set -euo pipefail
cd "$(dirname "$0")/.."
usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -gt 0 ] || usage
if [ -n "${TORNPAGE_BUILD:-}" ]; then
  build=$TORNPAGE_BUILD
else
  build=
  for b in build build-gcc build-fuzz; do
    if [ -x "$b/fuzz/fuzz_oplog" ] && [ -x "$b/harness/tornpage" ]; then build=$b; break; fi
  done
  [ -n "$build" ] || { echo "fuzz-to-repro: no build with fuzz/fuzz_oplog and harness/tornpage" \
    "(tried build, build-gcc, build-fuzz): run scripts/main.sh or scripts/ci.sh, or set TORNPAGE_BUILD" >&2; exit 2; }
fi
repro_dir=${TORNPAGE_REPRO_DIR:-corpus/repro}
fuzz=$build/fuzz/fuzz_oplog
tp=$build/harness/tornpage
for exe in "$fuzz" "$tp"; do
  [ -x "$exe" ] || { echo "fuzz-to-repro: $exe missing: build first (cmake --build $build)" >&2; exit 2; }
done
"$tp" crash --help 2>&1 | grep -q -- '--save DIR' &&
  "$tp" repro --help 2>&1 | grep -q -- '--signatures' ||
  { echo "fuzz-to-repro: $tp has no crash --save or repro --signatures (too old a build?)" >&2; exit 2; }
logdir=${TMPDIR:-/tmp}/tornpage-fuzz-to-repro
mkdir -p "$repro_dir" "$logdir"
# fuzz_oplog's crash configuration (fuzz/fuzz_oplog.c fuzz_cfg), option for option.
crash_flags=(--atomic 512 --exhaustive 6 --samples 8 --seed 1)
shopt -s nullglob
for input in "$@"; do
  name=$(basename "$input"); name=${name%.bin}
  log=$logdir/$name.log
  "$fuzz" --print "$input" > "$log" || { echo "fuzz-to-repro: $input does not decode" >&2; exit 2; }
  echo "== $input -> $log"
  before=$(ls "$repro_dir"/*.repro 2>/dev/null | sort || true)
  rc=0
  "$tp" crash --quiet "${crash_flags[@]}" --baseline "$repro_dir" --save "$repro_dir" "$log" || rc=$?
  [ "$rc" -le 1 ] || { echo "fuzz-to-repro: tornpage crash failed ($rc) on $log" >&2; exit 2; }
  # Each new reproducer's "from:" note names the crash options tornpage crash used
  # (--atomic, --exhaustive, --samples, --seed) and the decoded log's file name.
  for f in $(comm -13 <(echo "$before") <(ls "$repro_dir"/*.repro | sort)); do
    echo "new reproducer: $f (from $input)"
  done
done
# The fuzzer's baseline: every signature of every reproducer.
files=("$repro_dir"/*.repro)
[ ${#files[@]} -gt 0 ] || { echo "fuzz-to-repro: no reproducer in $repro_dir" >&2; exit 2; }
"$tp" repro --signatures "${files[@]}" > "$repro_dir/SIGNATURES.new" ||
  { rm -f "$repro_dir/SIGNATURES.new"; echo "fuzz-to-repro: tornpage repro --signatures failed" >&2; exit 2; }
mv "$repro_dir/SIGNATURES.new" "$repro_dir/SIGNATURES"
echo "updated $repro_dir/SIGNATURES ($(wc -l < "$repro_dir/SIGNATURES") signatures)"
