#!/usr/bin/env bash
# Benchmark (not a test) of `tornpage crash`: how many distinct crash states it judges per
# second, next to the floor (harness/bench/bench_floor.c says what each line measures),
# and how its memory grows with the number of states (it must not: O(image size)).
#   1. bench_floor on corpus/oplogs/mixed.log (4 KiB pages) at --atomic 512 and 4096:
#      ours (as the CLI runs), full (read-set memo off: every distinct state opened by
#      pager_open and checked), enum, floor (the CRCs open() reads), image; median of N;
#   2. `tornpage crash --quiet` over every corpus log at 512 and 4096: its summary rows;
#   3. peak RSS (GNU time) of `tornpage crash` on generated logs of growing length, with
#      the final image size and the number of states judged: memory follows the image,
#      not the states;
#   4. each disk-fault mode alone (--faults MODE) over every corpus log at 512 and 4096:
#      images judged, detected / silent, the mode's states/s, the run's wall time.
# usage: scripts/bench.sh [BUILD_DIR]   (default build; built here if missing)
#        BENCH_REPS=N (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
reps=${BENCH_REPS:-5}
shared=${TORNPAGE_SHARED_DIR:-$(cd .. && pwd)/shared}
if [ ! -x "$build/harness/bench_floor" ] || [ ! -x "$build/harness/tornpage" ] || [ ! -x "$build/fuzz/mkimages" ]; then
  cmake -S . -B "$build" -DTORNPAGE_SHARED_DIR="$shared" >/dev/null
  cmake --build "$build" -j"$(nproc)" --target tornpage bench_floor mkimages >/dev/null
fi
tp=$build/harness/tornpage
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "== machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1); one core used"

echo "== 1. distinct crash states judged per second: corpus/oplogs/mixed.log"
for a in 512 4096; do
  "$build/harness/bench_floor" corpus/oplogs/mixed.log --atomic "$a" --reps "$reps"
done

echo "== 2. tornpage crash over corpus/oplogs (summary rows)"
for a in 512 4096; do
  echo "-- --atomic $a"
  "$tp" crash --quiet --atomic "$a" corpus/oplogs/*.log | sed -n '/^log /,/^$/p' || true
done

echo "== 3. memory against states (GNU time's peak RSS)"
printf '%8s %12s %12s %14s %10s\n' ops "image KiB" judged "peak RSS KiB" seconds
for n in 100 200 400 800; do
  "$tp" gen --seed 11 --ops "$n" --page-log2 12 -o "$tmp/g$n.log"
  "$build/fuzz/mkimages" --from-log "$tmp/g$n.log" 12 "$tmp/g$n.img" >/dev/null
  img=$(( ($(stat -c %s "$tmp/g$n.img") - 1) / 1024 ))  # minus fuzz_image's header byte
  /usr/bin/time -f '%M %e' -o "$tmp/time" "$tp" crash --quiet --atomic 512 "$tmp/g$n.log" >"$tmp/out" || true
  judged=$(awk -v f="g$n.log" '$1 == f || $1 ~ "/"f"$" {print $5; exit}' "$tmp/out")
  read -r rss secs < <(tail -1 "$tmp/time")
  printf '%8s %12s %12s %14s %10s\n' "$n" "$img" "${judged:-?}" "$rss" "$secs"
done

echo "== 4. disk faults (crash --faults MODE, docs/crash-model.md §12) over corpus/oplogs"
# Each mode alone: its images judged (twins included in the time), its states/s (images
# judged per second of the time spent on that mode), and the whole run's wall time next
# to the plain run's (the default, no --faults).
for a in 512 4096; do
  echo "-- --atomic $a"
  start=$(date +%s.%N)
  "$tp" crash --quiet --atomic "$a" corpus/oplogs/*.log >/dev/null || true
  plain=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')
  printf '%-13s %10s %10s %10s %10s %8s %10s %9s\n' mode judged recovered det:open det:check silent states/s "run s"
  printf '%-13s %10s %10s %10s %10s %8s %10s %9.2f\n' none - - - - - - "$plain"
  for m in torn-garbage rot misdirect lying-sync lost-size; do
    start=$(date +%s.%N)
    "$tp" crash --quiet --atomic "$a" --faults "$m" corpus/oplogs/*.log >"$tmp/f-$m" || true
    secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')
    awk -v m="$m" -v s="$secs" '$1 == m && $2 == "(all" {printf "%-13s %10s %10s %10s %10s %8s %10s %9.2f\n", m, $5, $6, $7, $8, $9, $10, s}' "$tmp/f-$m"
  done
done
