#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build of tornpage's fuzz targets (docs/fuzzing.md).
# The base image sets $CC, $CFLAGS (sanitizer + -fsanitize=fuzzer-no-link, or coverage
# flags for coverage builds) and $LIB_FUZZING_ENGINE; CMake takes them as they are
# (TORNPAGE_FUZZ_INSTRUMENT=OFF: fuzz/CMakeLists.txt adds no flag of its own).
# $OUT receives each target, its seed corpus as <target>_seed_corpus.zip, its libFuzzer
# options (<target>.options) and fuzz_oplog's baseline of known findings
# (fuzz_oplog.signatures, found next to the executable at run time).
src=$SRC/tornpage
cmake -S "$src" -B "$WORK/build" \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$CFLAGS" \
  -DTORNPAGE_FUZZ=ON -DTORNPAGE_FUZZ_INSTRUMENT=OFF \
  -DTORNPAGE_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" \
  -DTORNPAGE_FIU=OFF -DTORNPAGE_TESTS=OFF \
  -DDEFLATE_LIB="$(find /usr/lib /usr/local/lib -name libdeflate.a | head -1)"
cmake --build "$WORK/build" -j"$(nproc)" --target fuzz_image fuzz_oplog

for target in fuzz_image fuzz_oplog; do
  cp "$WORK/build/fuzz/$target" "$OUT/"
  cp "$src/fuzz/$target.options" "$OUT/"
done
if [ -f "$src/corpus/repro/SIGNATURES" ]; then
  cp "$src/corpus/repro/SIGNATURES" "$OUT/fuzz_oplog.signatures"
else
  cp "$src/fuzz/known-signatures.txt" "$OUT/fuzz_oplog.signatures"
fi
(cd "$src/corpus/images" && zip -q -j "$OUT/fuzz_image_seed_corpus.zip" ./*)
(cd "$src/corpus/fuzz/oplog" && zip -q -j "$OUT/fuzz_oplog_seed_corpus.zip" ./*)
