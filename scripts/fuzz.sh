#!/usr/bin/env bash
# Fuzz one target with libFuzzer for SECONDS, merge what it found into the corpus, and
# report exec/s and coverage (docs/fuzzing.md).
#   scripts/fuzz.sh image|oplog SECONDS [LIBFUZZER FLAGS...]
# Builds with clang in build-fuzz (-DTORNPAGE_FUZZ=ON: coverage + ASan + UBSan), runs
# -jobs=N -workers=N (N = TORNPAGE_FUZZ_WORKERS, default 2) from the corpus
# (corpus/images or corpus/fuzz/oplog) into a work corpus build-fuzz/work/TARGET/corpus,
# then `-merge=1` adds to the corpus only the inputs that bring new coverage.
# fuzz_oplog: a finding whose signature is not in the baseline is collected into
# build-fuzz/work/oplog/findings/ instead of stopping the run (TORNPAGE_FUZZ_ABORT=1 to
# stop); turn them into reproducers with scripts/fuzz-to-repro.sh.
# Environment: TORNPAGE_FUZZ_BUILD (build dir), TORNPAGE_FUZZ_WORKERS,
# TORNPAGE_FUZZ_MERGE=0 (do not touch the corpus: CI), TORNPAGE_FUZZ_ABORT=1.
# Exit: 0, 1 when a run left a crash (crash-*, leak-*, oom-*, timeout-* in the work dir's
# artifacts/), 2 on bad usage or a failed build.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 2 ] || usage
target=${1#fuzz_}; seconds=$2; shift 2
case $target in
  image) corpus=corpus/images; flags=(-timeout=20) ;;
  oplog) corpus=corpus/fuzz/oplog; flags=(-timeout=60 -max_len=128) ;;
  *) usage ;;
esac
[[ $seconds =~ ^[0-9]+$ ]] || usage
command -v clang >/dev/null || { echo "fuzz.sh: clang is needed (libFuzzer)" >&2; exit 2; }
shared=${TORNPAGE_SHARED_DIR:-$(cd .. && pwd)/shared}
build=${TORNPAGE_FUZZ_BUILD:-build-fuzz}
workers=${TORNPAGE_FUZZ_WORKERS:-2}
echo "== building fuzz_$target with clang + libFuzzer in $build"
if ! { CC=clang cmake -S . -B "$build" -DTORNPAGE_SHARED_DIR="$shared" -DTORNPAGE_FUZZ=ON \
         -DTORNPAGE_TESTS=OFF >/dev/null &&
       cmake --build "$build" -j"$(nproc)" --target "fuzz_$target" >/dev/null; }; then
  echo "fuzz.sh: build failed" >&2; exit 2
fi
exe=$root/$build/fuzz/fuzz_$target
work=$root/$build/work/$target
rm -rf "$work/artifacts" "$work"/fuzz-*.log
mkdir -p "$work/corpus" "$work/artifacts"
if [ "$target" = oplog ] && [ "${TORNPAGE_FUZZ_ABORT:-0}" != 1 ]; then
  export TORNPAGE_FUZZ_FINDINGS=${TORNPAGE_FUZZ_FINDINGS:-$work/findings}
  mkdir -p "$TORNPAGE_FUZZ_FINDINGS"
fi

echo "== fuzz_$target: $seconds s, $workers worker(s), from $corpus"
# With -jobs, libFuzzer writes each job's output to fuzz-N.log in the current directory.
(cd "$work" && "$exe" -jobs="$workers" -workers="$workers" -max_total_time="$seconds" \
   -print_final_stats=1 -artifact_prefix="$work/artifacts/" "${flags[@]}" "$@" \
   "$work/corpus" "$root/$corpus" >/dev/null 2>&1) || true

echo "== results"
total_execs=0
for log in "$work"/fuzz-*.log; do
  [ -f "$log" ] || continue
  last=$(grep -E '^#[0-9]+.*(pulse|DONE|NEW|REDUCE)' "$log" | tail -1 || true)
  execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  echo "$(basename "$log"): ${execs:-?} exec/s; last: ${last:-none}"
  total_execs=$((total_execs + ${execs:-0}))
  grep -hE 'ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer|UndefinedBehaviorSanitizer)|runtime error:|CONTRACT|I-MODEL' "$log" | head -5 || true
done
echo "exec/s, all workers: $total_execs"
cov=$("$exe" -runs=0 "$work/corpus" "$root/$corpus" 2>&1 | grep -E 'INITED' | tail -1 || true)
echo "coverage of seed + work corpus: ${cov:-?}"

if [ "${TORNPAGE_FUZZ_MERGE:-1}" != 0 ]; then
  before=$(ls "$corpus" | wc -l)
  "$exe" -merge=1 "${flags[@]}" "$root/$corpus" "$work/corpus" >/dev/null 2>&1
  echo "merged into $corpus: $before -> $(ls "$corpus" | wc -l) inputs, $(du -sh "$corpus" | cut -f1)"
fi
if [ -n "${TORNPAGE_FUZZ_FINDINGS:-}" ] && [ -n "$(ls -A "$TORNPAGE_FUZZ_FINDINGS")" ]; then
  echo "new finding signatures (not in the baseline), in $TORNPAGE_FUZZ_FINDINGS:"
  ls "$TORNPAGE_FUZZ_FINDINGS" | sed 's/^/  /'
  echo "make them reproducers: TORNPAGE_BUILD=$build scripts/fuzz-to-repro.sh $TORNPAGE_FUZZ_FINDINGS/*.bin"
fi
crashes=$(ls "$work/artifacts" | wc -l)
if [ "$crashes" -gt 0 ]; then
  echo "CRASHES: $crashes input(s) in $work/artifacts:"
  ls "$work/artifacts" | sed 's/^/  /'
  echo "replay one: $exe INPUT (or a gcc build's replayer: build/fuzz/fuzz_$target INPUT)"
  exit 1
fi
echo "no crash"
