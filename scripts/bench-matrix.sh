#!/usr/bin/env bash
# Benchmark (not a test) of the fault matrix, three numbers:
#  1. cases/s of the in-process matrix over corpus/oplogs (best of 3 runs; the defaults:
#     both modes, EIO, seed 1, 512-byte units, the continuation to the end of the log);
#  2. the same cases run as one process each, as a runner without snapshots has to:
#     every process starts under fiu-run, `tornpage run --fault POINT:HIT:MODE:ERRNO LOG`,
#     which replays the log from its start (counting hits, with the model check) up to
#     the op the hit falls in, arms only that case's fault, runs the case with its
#     continuation, and judges only that case's durable images (and the two no-fault
#     images its verdicts are compared with: no dry-run judging of every boundary).
#     An evenly spread sample of BENCH_SAMPLE cases (default 200) is timed and
#     extrapolated to all of them; each process's exit status is checked against the
#     in-process verdict of its case. The ratio of the two (target >= 100x). fiu-run runs
#     without -x: the pager's points are compiled in, the POSIX preload would only add
#     cost to both sides' comparison;
#  3. total time for `tornpage gen --seed 7 --ops N` logs, N = 100, 200, 400, 800: growth
#     with length, with the defaults (the rest of the log), with --continue 16, and with
#     --no-images; then the same for a bounded-state cycle log.
# usage: scripts/bench-matrix.sh [BUILD_DIR]     (needs jq and fiu-run: scripts/deps.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
tp=$build/harness/tornpage
sample=${BENCH_SAMPLE:-200}
for c in jq fiu-run; do
  command -v "$c" >/dev/null || { echo "bench-matrix: $c not installed (scripts/deps.sh)" >&2; exit 2; }
done
[ -x "$tp" ] || { echo "bench-matrix: $tp not built" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

# best of 3: sets secs (the matrix's own time, from the JSON) and cases
matrix_best() { # json, logs and options...
  local json=$1; shift
  secs=""
  for _ in 1 2 3; do
    "$tp" matrix "$@" --quiet --json "$json" >/dev/null || [ $? -eq 1 ]
    local s; s=$(jq '.summary.seconds' "$json")
    if [ -z "$secs" ] || awk "BEGIN { exit !($s < $secs) }"; then secs=$s; fi
  done
  cases=$(jq '.summary.cases' "$json")
}

echo "== 1. in-process matrix over corpus/oplogs (defaults: both modes, EIO, the rest of the log)"
matrix_best "$tmp/in.json" corpus/oplogs/*.log
in_secs=$secs
in_cases=$cases
echo "   $in_cases cases in $(calc %.3f "$in_secs") s: $(calc %.0f "$in_cases / $in_secs") cases/s" \
  "($(jq '[.cases[] | select(.converged)] | length' "$tmp/in.json") stopped early, rejoining the no-fault run)"

echo "== 2. the same cases, one process each under fiu-run (replay from the start, one fault armed)"
step=$(( in_cases > sample ? in_cases / sample : 1 ))
jq -r --argjson step "$step" '.cases | to_entries[] | select(.key % $step == 0) | .value |
  [.log, .point, .hit, .mode, .errno, ([.verdicts[] | select(.fatal)] | length > 0)] | @tsv' \
  "$tmp/in.json" | head -n "$sample" >"$tmp/sample.tsv"
n=$(wc -l <"$tmp/sample.tsv")
mismatch=0
t0=$(now)
while IFS=$'\t' read -r log point hit mode err fatal; do
  rc=0
  fiu-run "$tp" run --fault "$point:$hit:$mode:$err" "$log" >/dev/null 2>&1 || rc=$?
  want=0; [ "$fatal" = true ] && want=1
  [ "$rc" -eq "$want" ] || mismatch=$((mismatch + 1))
done <"$tmp/sample.tsv"
t1=$(now)
per=$(calc %.6f "($t1 - $t0) / $n")
est=$(calc %.3f "$per * $in_cases")
echo "   $n sampled cases (every ${step}th) in $(calc %.2f "$t1 - $t0") s: $(calc %.2f "$per * 1000") ms per process"
echo "   extrapolated to all $in_cases cases: $est s ($(calc %.0f "1 / $per") cases/s)"
echo "   exit status disagreeing with the in-process verdict: $mismatch of $n"
echo "   RATIO in-process / per-process: $(calc %.0f "$est / $in_secs")x (target >= 100x)"

growth() { # name of a log maker (ops -> file)
  printf '   %5s %6s | %8s %8s %5s | %8s %8s %5s | %8s %8s %5s\n' ops cases seconds us/case xprev \
    seconds us/case xprev seconds us/case xprev
  local prev="" prev16="" prevn="" ops
  for ops in 100 200 400 800; do
    "$1" "$ops" "$tmp/g.log"
    matrix_best "$tmp/g.json" "$tmp/g.log"
    local s1=$secs c=$cases
    matrix_best "$tmp/g16.json" "$tmp/g.log" --continue 16
    local s16=$secs
    matrix_best "$tmp/gn.json" "$tmp/g.log" --no-images
    local sn=$secs
    local r1=- r16=- rn=-
    if [ -n "$prev" ]; then
      r1=$(calc %.2f "$s1 / $prev"); r16=$(calc %.2f "$s16 / $prev16"); rn=$(calc %.2f "$sn / $prevn")
    fi
    printf '   %5s %6s | %8s %8s %5s | %8s %8s %5s | %8s %8s %5s\n' "$(jq '.logs[0].ops' "$tmp/g.json")" "$c" \
      "$(calc %.3f "$s1")" "$(calc %.1f "$s1 / $c * 1e6")" "$r1" \
      "$(calc %.3f "$s16")" "$(calc %.1f "$s16 / $c * 1e6")" "$r16" \
      "$(calc %.3f "$sn")" "$(calc %.1f "$sn / $c * 1e6")" "$rn"
    prev=$s1 prev16=$s16 prevn=$sn
  done
}
gen_log() { "$tp" gen --seed 7 --ops "$1" -o "$2"; }
steady_log() { # a repeating cycle whose live pages stay bounded (handle names still grow)
  awk -v n="$1" 'BEGIN {
    print "create 10"; print "alloc a"; print "fill a 1"; print "palloc p"; k = 4
    for (i = 1; k < n; i++) {
      printf "alloc t%d\nfill t%d %d\npwrite p %d\npalloc q%d\npwrite q%d %d\n", i, i, i, i, i, i, i; k += 5
      if (i > 1) { printf "free t%d\npfree q%d\n", i - 1, i - 1; k += 2 }
      if (i % 4 == 0) { print "reopen"; k++ }
    } }' >"$2"
}

echo "== 3. growth with log length: tornpage gen --seed 7 (1 KiB pages)"
echo "      left: the defaults (the rest of the log); middle: --continue 16; right: --no-images"
growth gen_log
echo "== 4. the same, bounded live state: a cycle of alloc, fill, pwrite, palloc, pwrite,"
echo "      free and pfree of the previous cycle's pages, reopen every 4th cycle"
growth steady_log
echo "   A case never replays the ops before its own; what it checks is what it touches"
echo "   (restore: the cache and the ranges the previous case synced; the image at the fault"
echo "   is the snapshot plus the units op k synced; the model checked on what each op"
echo "   touched, in full after reopens and at the end). With --continue 16 the matrix is"
echo "   linear; by default a case that never rejoins the no-fault run (one commit behind for"
echo "   good, a skipped handle) runs every later op: that part grows with the log."
