#!/usr/bin/env bash
# The main job on a fresh Debian machine: install what is missing, build, check the
# golden images written by the Rust crate, then judge every crash state of the corpus
# op logs. Exit status is tornpage's: 1 means the seed protocol showed violations.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
shared=${TORNPAGE_SHARED_DIR:-$(cd .. && pwd)/shared}
cmake -S . -B build -DTORNPAGE_SHARED_DIR="$shared" >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
echo "== golden images (written by mappedpages 0.1, the Rust seed)"
build/harness/tornpage check "$shared"/golden/*.img
echo "== crash states of corpus/oplogs at --atomic 512"
build/harness/tornpage crash --quiet --atomic 512 corpus/oplogs/*.log
