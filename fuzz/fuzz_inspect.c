/* fuzz_inspect.c — libFuzzer target (and corpus replayer): any bytes through
 * pager_inspect and the `tornpage inspect` writers.
 *
 * Input: fuzz_image's (one header byte for the page size, then the file: inputs.h), so
 * it replays corpus/images, fuzz_image's corpus, as it is. Each input is inspected and
 * written as text and as JSON; the JSON is parsed back. Contracts, on any file: the open
 * result the decoded sections imply is pager_open's (pager_inspect.h, open_expected),
 * the violations are pager_check_image's, an image that opens has the chosen copy's
 * counts, and the JSON holds one image with as many violations. A broken contract prints
 * "fuzz_inspect: CONTRACT ..." and aborts. It has no custom mutator: fuzz_image's
 * CRC-repairing mutations reach deeper; this target is for the decoder and writers. */
#define _POSIX_C_SOURCE 200809L
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzzer.h"
#include "inputs.h"
#include "pager_inspect.h"
#include "tornpage/image.h"

static FILE *sink; /* /dev/null: the text writer runs, nothing is kept */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	sink = fopen("/dev/null", "w");
	return sink ? 0 : -1;
}

static void contract_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void contract_fail(const char *fmt, ...)
{
	va_list ap;
	fputs("fuzz_inspect: CONTRACT ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* The JSON document of one image, parsed back: one image, its violations all there. */
static void json_roundtrip(const pager_inspection *in)
{
	image_json *j = image_json_new(IMAGE_JSON_INSPECT);
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	if (!j || !mem || image_json_add(j, "fuzz.img", in) || image_json_write(j, mem) || fclose(mem)) {
		image_json_free(j);
		free(text);
		return; /* out of memory: not a contract */
	}
	image_json_free(j);
	json_object *doc = json_tokener_parse(text);
	json_object *images, *img, *vs;
	if (!doc || !json_object_object_get_ex(doc, "images", &images) || json_object_array_length(images) != 1 ||
	    !(img = json_object_array_get_idx(images, 0)) || !json_object_object_get_ex(img, "violations", &vs) ||
	    json_object_array_length(vs) != in->nviolations)
		contract_fail("the JSON does not parse back to one image with %zu violations", in->nviolations);
	json_object_put(doc);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size - 1 > FUZZ_IMAGE_MAX_FILE)
		return 0;
	uint8_t *file = fuzz_image_buffer(size - 1);
	if (!file)
		return 0;
	size_t len = fuzz_image_decode(data, size, file);
	pager_inspection in;
	if (pager_inspect_image(file, len, &in) != PAGER_OK) {
		pager_inspection_free(&in);
		return 0; /* out of memory */
	}
	if (in.open_expected != in.open_rc)
		contract_fail("the sections imply %s (%s), pager_open says %s", pager_strerror(in.open_expected),
			      in.open_why, pager_strerror(in.open_rc));
	size_t checked = pager_check_image(file, len, NULL, NULL);
	if (checked != SIZE_MAX && checked != in.nviolations)
		contract_fail("%zu violations, pager_check_image counts %zu", in.nviolations, checked);
	if (in.open_rc == PAGER_OK && (in.chosen < 0 || in.open_pages != in.meta[in.chosen].total_pages ||
				       in.open_free != in.meta[in.chosen].free_count))
		contract_fail("opens, but not with the chosen copy's counts");
	if (image_text_inspect(sink, "fuzz.img", &in) || image_text_check(sink, "fuzz.img", &in))
		contract_fail("the text writers failed on /dev/null");
	json_roundtrip(&in);
	pager_inspection_free(&in);
	return 0;
}
