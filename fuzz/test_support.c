/* test_support.c — Criterion tests of what the fuzz targets are built on: CRC repair,
 * the input encodings and fuzz_image's body on the golden images. The targets
 * themselves are tested by replaying their corpora (CTest: fuzz/image_corpus and
 * fuzz/oplog_corpus). */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "format.h"
#include "image_ops.h"
#include "inputs.h"
#include "tornpage/oplog.h"
#include "pager.h"
#include "repair.h"

static const char *const golden[] = {"fresh-1k", "fresh-4k", "basic-1k", "protected-1k",
				     "reopen-1k", "grow-1k", "dir2-1k", "mixed-4k"};
#define NGOLDEN (sizeof golden / sizeof golden[0])

static uint8_t *read_golden(const char *name, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s.img", TORNPAGE_GOLDEN_DIR, name);
	FILE *f = fopen(path, "rb");
	cr_assert(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = malloc((size_t)n);
	cr_assert(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static unsigned log2_of(const uint8_t *img)
{
	return fmt_get32(img + 8);
}

typedef struct id_count {
	const char *id;
	size_t n;
} id_count;

static void on_violation(void *arg, const pager_violation *v)
{
	id_count *c = arg;
	if (strcmp(v->id, c->id) == 0)
		c->n++;
}

static size_t count_id(const uint8_t *img, size_t len, const char *id)
{
	id_count c = {id, 0};
	pager_check_image(img, len, on_violation, &c);
	return c.n;
}

Test(repair, changes_no_crc_of_a_golden_image)
{
	for (size_t i = 0; i < NGOLDEN; i++) {
		size_t len;
		uint8_t *img = read_golden(golden[i], &len);
		repair_stats st;
		cr_assert_eq(repair_image(img, len, log2_of(img), &st), 0);
		cr_expect_gt(st.written, 0u, "%s", golden[i]);
		cr_expect_eq(st.changed, 0u, "%s: %u CRCs changed", golden[i], st.changed);
		free(img);
	}
}

Test(repair, makes_a_changed_metadata_field_reach_the_freecount_check)
{
	size_t len;
	uint8_t *img = read_golden("basic-1k", &len);
	uint8_t sel = img[12];
	uint8_t *meta = img + (size_t)(1 + sel) * 1024;
	fmt_put64(meta + 16, fmt_get64(meta + 16) + 5); /* free_count lies */
	cr_assert_gt(count_id(img, len, "I-META-ACTIVE"), 0u);
	repair_stats st;
	cr_assert_eq(repair_image(img, len, 10, &st), 0);
	cr_expect_gt(st.changed, 0u);
	cr_expect_eq(count_id(img, len, "I-META-ACTIVE"), 0u);
	cr_expect_eq(count_id(img, len, "I-META-FREECOUNT"), 1u);
	free(img);
}

Test(repair, makes_a_changed_protected_copy_pass_its_checksum)
{
	size_t len;
	uint8_t *img = read_golden("protected-1k", &len);
	cr_assert_eq(pager_check_image(img, len, NULL, NULL), 0u);
	/* The first in-use entry's active copy. */
	uint32_t count = fmt_get32(img + FMT_DIR_INDEX_OFF);
	cr_assert_gt(count, 0u);
	const uint8_t *ref = img + FMT_DIR_INDEX_OFF + 4;
	uint64_t dir = ref[16] ? fmt_get64(ref + 8) : fmt_get64(ref);
	const uint8_t *e = img + dir * 1024 + FMT_DIR_HDR;
	cr_assert(e[0]);
	uint64_t copy = fmt_get64(e + (e[17] ? 9 : 1));
	img[copy * 1024 + 100] ^= 0x5a;
	cr_assert_eq(count_id(img, len, "I-PROT-CRC"), 1u);
	cr_assert_eq(repair_image(img, len, 10, NULL), 0);
	cr_expect_eq(pager_check_image(img, len, NULL, NULL), 0u);
	free(img);
}

Test(repair, makes_a_changed_directory_index_reach_the_selector_check)
{
	size_t len;
	uint8_t *img = read_golden("dir2-1k", &len);
	img[FMT_DIR_INDEX_OFF + 4 + 16] = 7; /* block 0's active selector */
	repair_image(img, len, 10, NULL);
	cr_expect_eq(count_id(img, len, "I-DIR-INDEX"), 1u);
	free(img);
}

Test(repair, refuses_what_has_no_pages_and_stays_inside)
{
	uint8_t small[3 * 1024 - 1];
	memset(small, 0xff, sizeof small);
	cr_expect_eq(repair_image(small, sizeof small, 10, NULL), -1);
	cr_expect_eq(repair_image(small, sizeof small, 9, NULL), -1);
	cr_expect_eq(repair_image(small, sizeof small, 31, NULL), -1);
	/* Every count and page number at its maximum: nothing outside is touched (ASan). */
	uint8_t *big = malloc(4 * 1024);
	memset(big, 0xff, 4 * 1024);
	big[12] = 1;
	cr_expect_eq(repair_image(big, 4 * 1024, 10, NULL), 0);
	free(big);
}

Test(inputs, header_byte_picks_the_page_size_or_keeps_the_files)
{
	uint8_t in[1 + 16] = {0};
	uint8_t out[16];
	fmt_put32(in + 1 + 8, 13);
	for (unsigned h = 0; h < 0xF0; h++) {
		in[0] = (uint8_t)h;
		cr_assert_eq(fuzz_image_log2(in, sizeof in), 10 + h % 3);
		cr_assert_eq(fuzz_image_decode(in, sizeof in, out), 16u);
		cr_assert_eq(fmt_get32(out + 8), 10 + h % 3);
	}
	in[0] = 0xF0;
	cr_assert_eq(fuzz_image_log2(in, sizeof in), 13u);
	fuzz_image_decode(in, sizeof in, out);
	cr_assert_eq(fmt_get32(out + 8), 13u);
	cr_assert_eq(fuzz_image_header_for(out, sizeof out), FUZZ_IMAGE_KEEP_LOG2);
	fmt_put32(out + 8, 11);
	cr_assert_eq(fuzz_image_header_for(out, sizeof out), 1);
	in[0] = 7;
	cr_assert_eq(fuzz_image_log2(in, 1), 11u); /* no file: still a page size */
}

Test(inputs, image_buffer_is_reused_and_holds_the_file)
{
	uint8_t *a = fuzz_image_buffer(5000);
	cr_assert(a);
	memset(a, 0x11, 5000);
	uint8_t *b = fuzz_image_buffer(100); /* smaller: the same buffer */
	cr_assert_eq(a, b);
	memset(b, 0x22, 100);
	uint8_t *c = fuzz_image_buffer(3 << 20); /* bigger: grown, all of it writable */
	cr_assert(c);
	memset(c, 0x33, 3 << 20);
	cr_assert_eq(c[(3 << 20) - 1], 0x33);
	cr_assert(fuzz_image_buffer(0));
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(TEST_ASAN)
#define TEST_ASAN 1
#endif
#ifdef TEST_ASAN
/* The reused buffer must catch what an exact-length allocation catches: ASan reports a
 * read one byte past the file (and exits 1), after a bigger file used the same bytes. */
Test(inputs, image_buffer_poisons_past_the_file, .exit_code = 1)
{
	(void)fuzz_image_buffer(8192);
	volatile uint8_t *p = fuzz_image_buffer(1027);
	p[1026] = 1;
	fprintf(stderr, "read past the file: %u\n", p[1027]);
	exit(0); /* not reached under ASan */
}
#endif

Test(inputs, oplog_decoding_is_bounded)
{
	uint8_t buf[512];
	uint64_t x = 1;
	for (int round = 0; round < 200; round++) {
		for (size_t i = 0; i < sizeof buf; i++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			buf[i] = (uint8_t)(x >> 56);
		}
		oplog log;
		cr_assert_eq(fuzz_oplog_decode(buf, (size_t)round * 2, &log), 0);
		cr_assert_eq(oplog_validate(&log), 0u);
		cr_assert(log.page_log2 == 10 || log.page_log2 == 11);
		cr_assert_leq(log.nops, 1 + FUZZ_OPLOG_MAX_OPS);
		oplog_free(&log);
	}
}

Test(image_ops, runs_every_golden_image_cleanly)
{
	for (size_t i = 0; i < NGOLDEN; i++) {
		size_t len;
		uint8_t *img = read_golden(golden[i], &len);
		image_ops_result r;
		cr_assert_eq(image_ops_run(img, len, &r), 0);
		cr_expect_eq(r.violations_before, 0u, "%s", golden[i]);
		cr_expect_eq(r.open_rc, PAGER_OK, "%s", golden[i]);
		cr_expect_eq(r.reopen_rc, PAGER_OK, "%s", golden[i]);
		cr_expect_eq(r.violations_after, 0u, "%s", golden[i]);
		cr_expect_gt(r.ops_tried, 4u, "%s", golden[i]);
		cr_expect_eq(r.ops_ok, r.ops_tried, "%s: %u of %u ops ok", golden[i], r.ops_ok, r.ops_tried);
		free(img);
	}
}

Test(image_ops, refuses_garbage_without_running_operations)
{
	uint8_t junk[5000];
	memset(junk, 0xa5, sizeof junk);
	image_ops_result r;
	cr_assert_eq(image_ops_run(junk, sizeof junk, &r), 0);
	cr_expect_neq(r.open_rc, PAGER_OK);
	cr_expect_eq(r.ops_tried, 0u);
	cr_assert_eq(image_ops_run(junk, 0, &r), 0);
	cr_expect_neq(r.open_rc, PAGER_OK);
}

Test(fields, stay_inside_the_file_whatever_it_holds)
{
	size_t len;
	uint8_t *img = read_golden("dir2-1k", &len);
	uint8_t *junk = malloc(3 * 1024);
	memset(junk, 0xff, 3 * 1024);
	int wrote = 0;
	for (uint64_t r = 0; r < 20000; r++) {
		wrote += fields_mutate(img, len, 10, r * 0x9e3779b97f4a7c15ull);
		cr_assert_eq(fields_mutate(junk, 3 * 1024, 10, r), 1);
		if (r % 64 == 0)
			repair_image(img, len, 10, NULL);
	}
	cr_expect_eq(wrote, 20000);
	cr_expect_eq(fields_mutate(junk, 3 * 1024 - 1, 10, 1), 0);
	cr_expect_eq(fields_mutate(junk, 3 * 1024, 31, 1), 0);
	free(junk);
	free(img);
}
