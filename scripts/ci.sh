#!/usr/bin/env bash
# The test command: install what is missing, then build and run every test with gcc,
# with clang, and with ASan+UBSan (clang). Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
shared=${TORNPAGE_SHARED_DIR:-$(cd .. && pwd)/shared}
jobs=$(nproc)

run() { # name, extra cmake args...
  local name=$1; shift
  echo "== $name"
  cmake -S . -B "build-$name" -DTORNPAGE_SHARED_DIR="$shared" "$@" >/dev/null
  cmake --build "build-$name" -j"$jobs" 2>&1 | grep -E "error|warning" || true
  cmake --build "build-$name" -j"$jobs" >/dev/null
  ctest --test-dir "build-$name" -j"$jobs" --output-on-failure
}

CC=gcc run gcc
CC=clang run clang -DTORNPAGE_HTML_TEST=OFF # headless Chromium once (gcc) is enough
CC=clang run sanitize -DTORNPAGE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug

# Fuzzing (docs/fuzzing.md): each ctest above already replayed both fuzz corpora
# (fuzz/image_corpus, fuzz/oplog_corpus). With clang, a 60-second smoke run of each
# libFuzzer target, one worker, corpus untouched; a crash, or a fuzzer that does not run
# to the end, fails CI. Then .clusterfuzzlite/build.sh must still build outside Docker
# with an OSS-Fuzz-style environment and package a baseline fuzz_oplog finds.
if command -v clang >/dev/null; then
  for target in image oplog; do
    TORNPAGE_FUZZ_MERGE=0 TORNPAGE_FUZZ_WORKERS=1 scripts/fuzz.sh "$target" 60
  done
  scripts/cflite-build-check.sh
fi

# Reproducers (docs/repro.md, docs/findings.md), with the gcc build: every saved finding
# in corpus/repro must replay to exactly its expected verdicts, and the crash search over
# the corpus logs must find no signature that corpus/repro lacks (known findings pass).
tp=build-gcc/harness/tornpage
"$tp" repro --quiet corpus/repro/*.repro
for atomic in 512 4096; do
  "$tp" crash --quiet --atomic "$atomic" --baseline corpus/repro corpus/oplogs/*.log
done

# The fault matrix over corpus/oplogs with the gcc build (docs/matrix.md): writes
# build/reports/matrix.{json,xml,md,html} for the CI's test and artifact views.
scripts/matrix.sh build-gcc

# Fault findings against the same baseline (docs/repro.md): every verdict of the matrix,
# at both units, with and without lost writes, must be a known signature of corpus/repro.
for atomic in 512 4096; do
  for lw in "" --lost-writes; do
    "$tp" matrix --quiet --atomic "$atomic" $lw --baseline corpus/repro corpus/oplogs/*.log
  done
done

# Format 2, the repaired protocol (docs/format-2.md), proven with an EMPTY baseline: every
# corpus log in a format 2 copy plus generated format 2 logs, crash at 512, 1024, 4096 and
# page units, the matrix with and without lost writes; any finding fails.
scripts/proof-v2.sh build-gcc
