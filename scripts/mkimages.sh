#!/usr/bin/env bash
# Regenerate the fuzz corpora's seed inputs (docs/fuzzing.md "Corpora"):
#   corpus/images/golden-NAME.img       the golden images of ../shared/golden, as
#                                       fuzz_image inputs (header byte + file)
#   corpus/images/log-NAME-{1k,2k,4k}.img  corpus/oplogs/NAME.log replayed at 1, 2 and
#                                       4 KiB pages, cut at the last op that leaves the
#                                       file <= 32 KiB (small inputs fuzz faster)
#   corpus/fuzz/oplog/log-NAME.bin      fuzz_oplog inputs that decode to the logs' first
#                                       40 ops (as far as the decoder can say them)
# Inputs found by fuzzing (found-*, merged in by scripts/fuzz.sh; minimised with
# scripts/fuzz-minimize.sh, which keeps these seeds) and regress-* are left alone.
# Usage: scripts/mkimages.sh [BUILD_DIR]   (default: build-mkimages, configured if needed;
# TORNPAGE_BUILD_JOBS: make -j, default nproc)
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${TORNPAGE_SHARED_DIR:-$(cd .. && pwd)/shared}
build=${1:-build-mkimages}
if [ ! -x "$build/fuzz/mkimages" ]; then
  cmake -S . -B "$build" -DTORNPAGE_SHARED_DIR="$shared" -DTORNPAGE_TESTS=OFF >/dev/null
  cmake --build "$build" -j"${TORNPAGE_BUILD_JOBS:-$(nproc)}" --target mkimages >/dev/null
fi
mk=$build/fuzz/mkimages
mkdir -p corpus/images corpus/fuzz/oplog
for img in "$shared"/golden/*.img; do
  "$mk" --wrap "$img" "corpus/images/golden-$(basename "$img")"
done
for log in corpus/oplogs/*.log; do
  name=$(basename "$log" .log)
  for l in 10:1k 11:2k 12:4k; do
    "$mk" --from-log "$log" "${l%%:*}" "corpus/images/log-$name-${l##*:}.img" 32768
  done
  "$mk" --oplog-input "$log" "corpus/fuzz/oplog/log-$name.bin"
done
echo "corpus/images: $(ls corpus/images | wc -l) inputs, $(du -sh corpus/images | cut -f1)"
echo "corpus/fuzz/oplog: $(ls corpus/fuzz/oplog | wc -l) inputs, $(du -sh corpus/fuzz/oplog | cut -f1)"
