/* fuzzer.h — the libFuzzer entry points, declared once (-Wmissing-prototypes and -Werror
 * want a prototype for every external function). A target defines TestOneInput and
 * Initialize; fuzz_image also defines the custom mutator and cross-over, which exist
 * only in libFuzzer builds (TORNPAGE_LIBFUZZER), since LLVMFuzzerMutate comes from
 * libFuzzer. standalone_driver.c calls Initialize and TestOneInput without libFuzzer. */
#ifndef TORNPAGE_FUZZER_H
#define TORNPAGE_FUZZER_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#ifdef TORNPAGE_LIBFUZZER
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2,
				 size_t size2, uint8_t *out, size_t max_out_size, unsigned int seed);
#endif

#endif
