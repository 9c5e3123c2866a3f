#!/usr/bin/env bash
# What the CRC repair buys: fuzz_image for the same time, with the same seed and one
# worker, from the same seed inputs (corpus/images' golden-* and log-* only: inputs
# found by earlier, repaired, runs would favour one side) into two fresh work corpora,
# once as it is and once with --no-repair (the custom mutator's CRC repair off; field
# mutations stay on), then cov/ft/exec/s side by side (docs/fuzzing.md "What the repair
# buys").
#   scripts/fuzz-repair-compare.sh [SECONDS [SEED]]     (defaults: 60, 1)
# cov/ft: libFuzzer's edges and features at the end of the run; corpus cov/ft: the seed
# corpus plus what the run kept, replayed by the same binary (independent of the
# mutator, so the two rows compare). The committed corpus is not touched.
# Environment: as scripts/fuzz.sh (TORNPAGE_FUZZ_BUILD, TORNPAGE_BUILD_JOBS...);
# TORNPAGE_COMPARE_DIR keeps the two work dirs there (default: a temporary dir, removed).
# Exit: 0, or scripts/fuzz.sh's status when a run fails or crashes.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
seed=${2:-1}
[[ $seconds =~ ^[0-9]+$ && $seed =~ ^[0-9]+$ ]] || { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
if [ -n "${TORNPAGE_COMPARE_DIR:-}" ]; then
  dir=$TORNPAGE_COMPARE_DIR; mkdir -p "$dir"
else
  dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
fi
rm -rf "${dir:?}/seeds"; mkdir -p "$dir/seeds"
cp corpus/images/golden-*.img corpus/images/log-*.img "$dir/seeds/"
rows=()
for mode in repair no-repair; do
  extra=(); [ "$mode" = no-repair ] && extra=(--no-repair)
  rm -rf "${dir:?}/$mode"
  echo "== fuzz_image, $mode: $seconds s, seed $seed, 1 worker"
  TORNPAGE_FUZZ_WORKERS=1 TORNPAGE_FUZZ_MERGE=0 TORNPAGE_FUZZ_WORK="$dir/$mode" TORNPAGE_FUZZ_CORPUS="$dir/seeds" \
    scripts/fuzz.sh image "$seconds" -seed="$seed" "${extra[@]}" | tee "$dir/$mode.txt"
  rows+=("$mode $(grep '^summary:' "$dir/$mode.txt")")
done
echo
echo "fuzz_image, $seconds s each, seed $seed, one worker, from $(ls "$dir/seeds" | wc -l) seed inputs:"
printf '%-10s %8s %8s %8s %11s %10s\n' mode exec/s cov ft "corpus cov" "corpus ft"
for row in "${rows[@]}"; do
  mode=${row%% *}
  get() { sed -n "s|.* $1=\([^ ]*\).*|\1|p" <<<"$row"; }
  printf '%-10s %8s %8s %8s %11s %10s\n' "$mode" "$(get exec/s)" "$(get cov)" "$(get ft)" \
    "$(get corpus_cov)" "$(get corpus_ft)"
done
