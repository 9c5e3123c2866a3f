#!/usr/bin/env bash
# Fuzz one target with libFuzzer for SECONDS, merge what it found into the corpus, and
# report exec/s and coverage (docs/fuzzing.md).
#   scripts/fuzz.sh image|oplog SECONDS [--no-repair] [--no-fields] [LIBFUZZER FLAGS...]
# Builds with clang in build-fuzz (-DTORNPAGE_FUZZ=ON: coverage + ASan + UBSan), runs
# -jobs=N -workers=N (N = TORNPAGE_FUZZ_WORKERS, default 2) from the corpus
# (corpus/images or corpus/fuzz/oplog) into a work corpus build-fuzz/runs/TARGET/corpus,
# then `-merge=1` adds to the corpus only the inputs that bring new coverage, named
# found-SHA1.img / found-SHA1.bin. --no-repair / --no-fields go to fuzz_image (CRC
# repair / field mutations off); libFuzzer ignores flags that start with "--".
# fuzz_oplog: a finding whose signature is not in the baseline is collected into
# build-fuzz/runs/oplog/findings/ instead of stopping the run (TORNPAGE_FUZZ_ABORT=1 to
# stop); turn them into reproducers with scripts/fuzz-to-repro.sh (fuzz_oplog and
# tornpage are both built here for it).
# Environment: TORNPAGE_FUZZ_BUILD (build dir), TORNPAGE_FUZZ_WORK (work dir, default
# BUILD/runs/TARGET), TORNPAGE_FUZZ_CORPUS (the corpus run from and merged into),
# TORNPAGE_FUZZ_WORKERS, TORNPAGE_BUILD_JOBS (make -j, default
# nproc), TORNPAGE_FUZZ_MERGE=0 (do not touch the corpus: CI), TORNPAGE_FUZZ_ABORT=1.
# It prints "summary: target=... exec/s=... cov=... ft=... corpus_cov=... corpus_ft=...":
# exec/s summed over workers, cov/ft at the end of the run (libFuzzer's DONE line), and
# corpus_cov/corpus_ft of seed + work corpus replayed (scripts/fuzz-repair-compare.sh).
# Exit: 0; 1 when a run left a crash (crash-*, leak-*, oom-*, timeout-* in the work
# dir's artifacts/); 2 on bad usage, a failed build, or a fuzzer that did not run to
# the end (no fuzz-*.log with a DONE line, e.g. it failed to start).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
usage() { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 2 ] || usage
target=${1#fuzz_}; seconds=$2; shift 2
case $target in
  image) corpus=corpus/images; ext=img; flags=(-timeout=20) ;;
  oplog) corpus=corpus/fuzz/oplog; ext=bin; flags=(-timeout=60 -max_len=128) ;;
  *) usage ;;
esac
[[ $seconds =~ ^[0-9]+$ ]] || usage
corpus=${TORNPAGE_FUZZ_CORPUS:-$corpus}
command -v clang >/dev/null || { echo "fuzz.sh: clang is needed (libFuzzer)" >&2; exit 2; }
shared=${TORNPAGE_SHARED_DIR:-$(cd .. && pwd)/shared}
build=${TORNPAGE_FUZZ_BUILD:-build-fuzz}
case $build in /*) ;; *) build=$root/$build ;; esac
workers=${TORNPAGE_FUZZ_WORKERS:-2}
jobs=${TORNPAGE_BUILD_JOBS:-$(nproc)}
targets=("fuzz_$target")
[ "$target" = oplog ] && targets+=(tornpage) # for scripts/fuzz-to-repro.sh
echo "== building ${targets[*]} with clang + libFuzzer in $build"
if ! { CC=clang cmake -S . -B "$build" -DTORNPAGE_SHARED_DIR="$shared" -DTORNPAGE_FUZZ=ON \
         -DTORNPAGE_TESTS=OFF >/dev/null &&
       cmake --build "$build" -j"$jobs" --target "${targets[@]}" >/dev/null; }; then
  echo "fuzz.sh: build failed" >&2; exit 2
fi
exe=$build/fuzz/fuzz_$target
case $corpus in /*) corpus_abs=$corpus ;; *) corpus_abs=$root/$corpus ;; esac
work=${TORNPAGE_FUZZ_WORK:-$build/runs/$target}
case $work in /*) ;; *) work=$root/$work ;; esac
rm -rf "$work/artifacts" "$work"/fuzz-*.log
mkdir -p "$work/corpus" "$work/artifacts"
if [ "$target" = oplog ] && [ "${TORNPAGE_FUZZ_ABORT:-0}" != 1 ]; then
  export TORNPAGE_FUZZ_FINDINGS=${TORNPAGE_FUZZ_FINDINGS:-$work/findings}
  mkdir -p "$TORNPAGE_FUZZ_FINDINGS"
fi

echo "== fuzz_$target: $seconds s, $workers worker(s), from $corpus${*:+, flags: $*}"
# With -jobs, libFuzzer writes each job's output to fuzz-N.log in the current directory.
# Its own exit status says little (a crash in one job is a non-zero exit, and so is a
# binary that cannot start): the logs and artifacts/ are checked below instead.
rc=0
(cd "$work" && "$exe" -jobs="$workers" -workers="$workers" -max_total_time="$seconds" \
   -print_final_stats=1 -artifact_prefix="$work/artifacts/" "${flags[@]}" "$@" \
   "$work/corpus" "$corpus_abs" >"$work/driver.log" 2>&1) || rc=$?

echo "== results"
total_execs=0 done_logs=0 cov=? ft=?
for log in "$work"/fuzz-*.log; do
  [ -f "$log" ] || continue
  last=$(grep -E '^#[0-9]+.*(pulse|DONE|NEW|REDUCE)' "$log" | tail -1 || true)
  execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  echo "$(basename "$log"): ${execs:-?} exec/s; last: ${last:-none}"
  total_execs=$((total_execs + ${execs:-0}))
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
  if [ -n "$done_line" ]; then
    done_logs=$((done_logs + 1))
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
  fi
  grep -hE 'ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer|UndefinedBehaviorSanitizer)|runtime error:|CONTRACT|I-MODEL|^fuzz_oplog: (no baseline|baseline .*: [A-Z])' "$log" | head -5 || true
done
echo "exec/s, all workers: $total_execs"
# (artifact prefix: an input that crashes here lands with the others, not in the cwd)
cov_line=$("$exe" -runs=0 -artifact_prefix="$work/artifacts/" "${flags[@]}" "$@" \
             "$work/corpus" "$corpus_abs" 2>&1 | grep -E 'INITED' | tail -1 || true)
echo "coverage of seed + work corpus: ${cov_line:-?}"
corpus_cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$cov_line")
corpus_ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$cov_line")
crashes=$(ls "$work/artifacts" | wc -l)

if [ "$done_logs" -eq 0 ] && [ "$crashes" -eq 0 ]; then
  echo "fuzz.sh: fuzz_$target did not run to the end (no fuzz-*.log with a DONE line; exit $rc):" >&2
  for log in "$work"/fuzz-*.log "$work/driver.log"; do
    [ -f "$log" ] && { echo "--- $(basename "$log")" >&2; tail -5 "$log" >&2; }
  done
  exit 2
fi

if [ "${TORNPAGE_FUZZ_MERGE:-1}" != 0 ]; then
  before=$(ls "$corpus" | wc -l)
  "$exe" -merge=1 -artifact_prefix="$work/artifacts/" "${flags[@]}" "$corpus_abs" "$work/corpus" \
    >"$work/merge.log" 2>&1 ||
    { echo "fuzz.sh: merge failed (see $work/merge.log)" >&2; exit 2; }
  # libFuzzer names what it adds by its SHA-1; give those a name that says what they are.
  for f in "$corpus"/*; do
    b=$(basename "$f")
    [[ $b =~ ^[0-9a-f]{40}$ ]] && mv "$f" "$corpus/found-$b.$ext"
  done
  echo "merged into $corpus: $before -> $(ls "$corpus" | wc -l) inputs, $(du -sh "$corpus" | cut -f1)"
fi
if [ -n "${TORNPAGE_FUZZ_FINDINGS:-}" ] && [ -n "$(ls -A "$TORNPAGE_FUZZ_FINDINGS")" ]; then
  echo "new finding signatures (not in the baseline), in $TORNPAGE_FUZZ_FINDINGS:"
  ls "$TORNPAGE_FUZZ_FINDINGS" | sed 's/^/  /'
  echo "make them reproducers: TORNPAGE_BUILD=$build scripts/fuzz-to-repro.sh $TORNPAGE_FUZZ_FINDINGS/*.bin"
fi
echo "summary: target=$target seconds=$seconds workers=$workers exec/s=$total_execs" \
     "cov=$cov ft=$ft corpus_cov=${corpus_cov:-?} corpus_ft=${corpus_ft:-?} flags=${*:-none}"
if [ "$crashes" -gt 0 ]; then
  echo "CRASHES: $crashes input(s) in $work/artifacts:"
  ls "$work/artifacts" | sed 's/^/  /'
  echo "replay one: $exe INPUT (or a gcc build's replayer: build-gcc/fuzz/fuzz_$target INPUT)"
  exit 1
fi
echo "no crash"
