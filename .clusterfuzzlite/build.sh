#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build of tornpage's fuzz targets (docs/fuzzing.md).
# The base image sets $CC, $CFLAGS (sanitizer + -fsanitize=fuzzer-no-link, or coverage
# flags for coverage builds) and $LIB_FUZZING_ENGINE; CMake takes them as they are
# (TORNPAGE_FUZZ_INSTRUMENT=OFF: fuzz/CMakeLists.txt adds no flag of its own).
# $OUT receives each target, its seed corpus as <target>_seed_corpus.zip, its libFuzzer
# options (<target>.options) and fuzz_oplog's baseline of known findings
# (fuzz_oplog.signatures = corpus/repro/SIGNATURES, found next to the executable at run
# time). scripts/cflite-build-check.sh runs this script outside Docker in CI.
src=$SRC/tornpage
cmake -S "$src" -B "$WORK/build" \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$CFLAGS" \
  -DTORNPAGE_FUZZ=ON -DTORNPAGE_FUZZ_INSTRUMENT=OFF \
  -DTORNPAGE_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" \
  -DTORNPAGE_FIU=OFF -DTORNPAGE_TESTS=OFF \
  -DDEFLATE_LIB="$(find /usr/lib /usr/local/lib -name libdeflate.a | head -1)"
cmake --build "$WORK/build" -j"${TORNPAGE_BUILD_JOBS:-$(nproc)}" --target fuzz_image fuzz_oplog

for target in fuzz_image fuzz_oplog; do
  cp "$WORK/build/fuzz/$target" "$OUT/"
  cp "$src/fuzz/$target.options" "$OUT/"
done
# The baseline: the one the source tree keeps (scripts/findings.sh regenerates it).
# Without it fuzz_oplog refuses to start, so a missing file fails the build here.
cp "$src/corpus/repro/SIGNATURES" "$OUT/fuzz_oplog.signatures"
(cd "$src/corpus/images" && zip -q -j "$OUT/fuzz_image_seed_corpus.zip" ./*)
(cd "$src/corpus/fuzz/oplog" && zip -q -j "$OUT/fuzz_oplog_seed_corpus.zip" ./*)
