#!/usr/bin/env bash
# The main job on a fresh Debian machine: install what is missing, build, check the
# golden images written by the Rust crate, then run what a storage engineer runs in CI:
# every crash state of the corpus op logs at 512- and 4096-byte atomic units, the fault
# matrix (reports in build/reports/), and every saved reproducer. The seed protocol has
# real findings (docs/findings.md); each is a reproducer in corpus/repro, which is the
# baseline here: the tables show every violation, and the exit status is 1 only for a
# finding corpus/repro does not have, or a reproducer whose verdict changed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
shared=${TORNPAGE_SHARED_DIR:-$(cd .. && pwd)/shared}
cmake -S . -B build -DTORNPAGE_SHARED_DIR="$shared" >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
tp=build/harness/tornpage
rc=0

echo "== golden images (written by mappedpages 0.1, the Rust seed)"
"$tp" check "$shared"/golden/*.img || rc=1

for atomic in 512 4096; do
  echo
  echo "== crash states of corpus/oplogs at --atomic $atomic (baseline corpus/repro)"
  mkdir -p build/reports
  "$tp" crash --quiet --atomic "$atomic" --baseline corpus/repro --html "build/reports/crash-$atomic.html" \
    corpus/oplogs/*.log || rc=1
done

echo
echo "== fault matrix over corpus/oplogs (baseline corpus/repro)"
mkdir -p build/reports
"$tp" matrix --quiet --baseline corpus/repro --json build/reports/matrix.json \
  --junit build/reports/matrix.xml --md build/reports/matrix.md --html build/reports/matrix.html \
  corpus/oplogs/*.log || rc=1
echo "reports: build/reports/matrix.json matrix.xml matrix.md matrix.html"

echo
echo "== saved reproducers (corpus/repro): each must show exactly its expected verdicts"
"$tp" repro --quiet corpus/repro/*.repro | grep -v '^ok' || rc=1
exit "$rc"
