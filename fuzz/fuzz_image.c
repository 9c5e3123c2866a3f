/* fuzz_image.c — libFuzzer target: any bytes as a pager file.
 *
 * Input: one header byte (the page size, inputs.h), then the file. The file is checked,
 * opened on a simulated disk (no disk I/O), operated on, closed, reopened and checked
 * again (image_ops.h). Any sanitizer report or abort is a pager bug.
 *
 * The custom mutator runs libFuzzer's own mutations, then rewrites every CRC of the
 * file (repair.h) so that mutated fields get past the checks and reach the code behind
 * them. One mutation in four is instead structure-aware (fields.h: a boundary value
 * into a page number, count or selector), then repaired the same way.
 * Repair is off with TORNPAGE_FUZZ_NO_REPAIR=1 or the flag --no-repair; field
 * mutations with TORNPAGE_FUZZ_NO_FIELDS=1 or --no-fields (libFuzzer ignores flags that
 * start with "--" and passes them on to -jobs/-fork children). With both off the
 * mutator is libFuzzer's own. The cross-over splices whole pages of two inputs, then
 * repairs. Without libFuzzer (standalone_driver.c) only the target itself is built. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "fuzzer.h"
#include "image_ops.h"
#include "inputs.h"
#include "repair.h"

static int repair_on = 1;
static int fields_on = 1;

static int env_set(const char *name)
{
	const char *v = getenv(name);
	return v && *v && strcmp(v, "0") != 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	repair_on = !env_set("TORNPAGE_FUZZ_NO_REPAIR");
	fields_on = !env_set("TORNPAGE_FUZZ_NO_FIELDS");
	for (int i = 1; i < *argc; i++) {
		if (strcmp((*argv)[i], "--no-repair") == 0)
			repair_on = 0;
		if (strcmp((*argv)[i], "--no-fields") == 0)
			fields_on = 0;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size - 1 > FUZZ_IMAGE_MAX_FILE)
		return 0;
	/* One buffer for every input, poisoned past the file (inputs.h): no allocation. */
	uint8_t *file = fuzz_image_buffer(size - 1);
	if (!file)
		return 0;
	size_t len = fuzz_image_decode(data, size, file);
	(void)image_ops_run(file, len, NULL);
	return 0;
}

#ifdef TORNPAGE_LIBFUZZER
static void repair_input(uint8_t *data, size_t size)
{
	if (repair_on && size > 1)
		(void)repair_image(data + 1, size - 1, fuzz_image_log2(data, size), NULL);
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	if (!(fields_on && seed % 4 == 0 && size > 1 &&
	      fields_mutate(data + 1, size - 1, fuzz_image_log2(data, size),
			    (uint64_t)seed * 0x9e3779b97f4a7c15ull)))
		size = LLVMFuzzerMutate(data, size, max_size);
	repair_input(data, size);
	return size;
}

/* xorshift32: the cross-over's only randomness, from libFuzzer's seed. */
static uint32_t next_rand(uint32_t *s)
{
	uint32_t x = *s ? *s : 0x9e3779b9u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2,
				 size_t size2, uint8_t *out, size_t max_out_size, unsigned int seed)
{
	/* The header and the length of input 1; each page from input 1 or input 2. */
	size_t size = size1 < max_out_size ? size1 : max_out_size;
	if (size < 2)
		return 0;
	uint32_t log2 = fuzz_image_log2(data1, size1);
	size_t ps = log2 >= 10 && log2 <= 16 ? (size_t)1 << log2 : 1024;
	uint32_t s = seed;
	out[0] = data1[0];
	for (size_t off = 1; off < size; off += ps) {
		size_t n = size - off < ps ? size - off : ps;
		int from2 = (next_rand(&s) & 1) && off + n <= size2;
		memcpy(out + off, (from2 ? data2 : data1) + off, n);
	}
	repair_input(out, size);
	return size;
}
#endif
