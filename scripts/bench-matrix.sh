#!/usr/bin/env bash
# Benchmark (not a test) of the fault matrix, three numbers:
#  1. cases/s of the in-process matrix over corpus/oplogs (best of 3 runs);
#  2. the same cases run as one process each under fiu-run — `fiu-run tornpage run
#     --fault POINT:HIT:MODE:ERRNO LOG`, which replays the log from its start with the one
#     case armed, as a per-process fault runner must — timed on an evenly spread sample of
#     BENCH_SAMPLE cases (default 200) and extrapolated to all of them; the ratio of the
#     two (target >= 100). fiu-run runs without -x: the pager's points are compiled in, so
#     the POSIX preload would only add cost. Each process's exit status is checked against
#     the in-process verdict of its case;
#  3. total time for generated logs of 100, 200, 400 (and 800) ops: growth with length.
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
matrix_best() { # json, logs...
  local json=$1; shift
  secs=""
  for _ in 1 2 3; do
    "$tp" matrix "$@" --quiet --json "$json" >/dev/null || [ $? -eq 1 ]
    local s; s=$(jq '.summary.seconds' "$json")
    if [ -z "$secs" ] || awk "BEGIN { exit !($s < $secs) }"; then secs=$s; fi
  done
  cases=$(jq '.summary.cases' "$json")
}

echo "== 1. in-process matrix over corpus/oplogs (defaults: both modes, EIO, continue 16)"
matrix_best "$tmp/in.json" corpus/oplogs/*.log
in_secs=$secs
in_cases=$cases
echo "   $in_cases cases in $(calc %.3f "$in_secs") s: $(calc %.0f "$in_cases / $in_secs") cases/s"

echo "== 2. the same cases, one process each under fiu-run"
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
  printf '   %6s %6s | %8s %8s %6s | %8s %8s %6s\n' ops cases seconds us/case "x prev" seconds us/case "x prev"
  local prev="" prevn="" ops
  for ops in 100 200 400 800; do
    "$1" "$ops" "$tmp/g.log"
    matrix_best "$tmp/g.json" "$tmp/g.log"
    local s1=$secs c=$cases n
    matrix_best "$tmp/g.json" "$tmp/g.log" --no-images
    n=$secs
    local r1=- r2=-
    [ -n "$prev" ] && r1=$(calc %.2f "$s1 / $prev") && r2=$(calc %.2f "$n / $prevn")
    printf '   %6s %6s | %8s %8s %6s | %8s %8s %6s\n' "$(jq '.logs[0].ops' "$tmp/g.json")" "$c" \
      "$(calc %.3f "$s1")" "$(calc %.1f "$s1 / $c * 1e6")" "$r1" "$(calc %.3f "$n")" "$(calc %.1f "$n / $c * 1e6")" "$r2"
    prev=$s1 prevn=$n
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

echo "== 3. growth with log length: tornpage gen --seed 7 (1 KiB pages), durable images"
echo "      judged (left) and --no-images (right, the engine without judge_image)"
growth gen_log
echo "== 4. the same, bounded live state: a cycle of alloc, fill, pwrite, palloc, pwrite,"
echo "      free and pfree of the previous cycle's pages, reopen every 4th cycle"
growth steady_log
echo "   A case costs the file's size plus the ops it runs (snapshot copy, reopen, op, up to"
echo "   16 more ops with a model check each, two durable images), never the ops before it:"
echo "   cases grow linearly with the log; what one case costs grows with the state the"
echo "   checks walk — file size, live pages, and (judge_image) every handle the log defined."
