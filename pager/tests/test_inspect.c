/* test_inspect.c — pager_inspect: the fields of the golden images as the Rust crate wrote
 * them; the metadata choice and its reason on torn, unfit and mismatched copies; the
 * directory blocks open reads; the open result the decoded sections imply always equal
 * to pager_open's (on golden images, every truncation and every flipped byte);
 * hostile counts bounded; files read through the read-only layer. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "format.h"
#include "pager_inspect.h"
#include "support.h"

static uint8_t *golden(const char *name, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", TORNPAGE_GOLDEN_DIR, name);
	uint8_t *img = tp_read_file(path, len);
	cr_assert(img, "read %s", path);
	return img;
}

/* Inspect a copy of exactly len bytes (ASan sees any read past the end) and assert the
 * contracts every image keeps: the implied open result is pager_open's, the violations
 * are pager_check's, the counts of an open image are the chosen copy's. */
static void inspect_copy(const uint8_t *img, size_t len, pager_inspection *in)
{
	uint8_t *copy = malloc(len ? len : 1);
	cr_assert(copy);
	if (len)
		memcpy(copy, img, len);
	TP_OK(pager_inspect_image(len ? copy : NULL, len, in));
	cr_assert_eq(in->open_expected, in->open_rc, "len %zu: sections imply %s (%s), open says %s", len,
		     pager_strerror(in->open_expected), in->open_why, pager_strerror(in->open_rc));
	cr_assert_eq(in->nviolations, pager_check_image(copy, len, NULL, NULL));
	cr_assert_eq(in->file_len, len);
	if (in->open_rc == PAGER_OK) {
		cr_assert(in->chosen == 0 || in->chosen == 1);
		cr_assert_eq(in->open_pages, in->meta[in->chosen].total_pages);
		cr_assert_eq(in->open_free, in->meta[in->chosen].free_count);
		cr_assert_geq(in->nroles, in->file_pages);
	}
	if (in->sb.valid) {
		cr_assert_eq(in->format, 1);
		cr_assert_eq(in->page_size, (size_t)1 << in->sb.page_size_log2);
		cr_assert_eq(in->file_pages * in->page_size + in->trailing_bytes, len);
	}
	free(copy);
}

Test(inspect_golden, protected_1k_field_by_field)
{
	size_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	pager_inspection in;
	inspect_copy(img, len, &in);
	cr_assert_eq(in.format, 1);
	cr_assert_eq(in.page_size, 1024);
	cr_assert_eq(in.file_pages, 16);
	cr_assert(!memcmp(in.sb.magic, "MPPG", 4));
	cr_assert_eq(in.sb.version[0], 0);
	cr_assert_eq(in.sb.version[1], 1);
	cr_assert_eq(in.sb.active_meta, 1);
	/* A is the older copy (generation 4), B the one the superblock selects. */
	cr_assert_eq(in.meta[0].generation, 4);
	cr_assert_eq(in.meta[1].generation, 5);
	cr_assert(in.meta[1].selected && !in.meta[0].selected);
	cr_assert(in.meta[0].crc_ok && in.meta[1].crc_ok);
	cr_assert_eq(in.meta[0].crc_stored, 0xdaf9d5d7);
	cr_assert_eq(in.meta[1].whole_crc, in.sb.meta_checksum);
	cr_assert_eq(in.chosen, 1);
	cr_assert(strstr(in.choice, "B: the superblock selects it"), "%s", in.choice);
	/* B's bitmap: pages 0-10 allocated, 11-15 free. */
	cr_assert_eq(in.meta[1].nruns, 2);
	cr_assert_eq(in.meta[1].runs[0].first, 0);
	cr_assert_eq(in.meta[1].runs[0].count, 11);
	cr_assert(in.meta[1].runs[0].allocated);
	cr_assert_eq(in.meta[1].runs[1].count, 5);
	cr_assert_eq(in.meta[1].allocated, 11);
	cr_assert_eq(in.meta[1].free_bits, in.meta[1].free_count);
	cr_assert(in.meta[1].tail_clean);
	/* One block: pages 3 and 4, active b, which open reads; 3 protected ids in use. */
	cr_assert_eq(in.index_count, 1);
	cr_assert_eq(in.index_status, PAGER_INSPECT_INDEX_OK);
	cr_assert_eq(in.nblocks, 1);
	cr_assert_eq(in.blocks[0].page_a, 3);
	cr_assert_eq(in.blocks[0].page_b, 4);
	cr_assert_eq(in.blocks[0].active, 1);
	cr_assert_eq(in.blocks[0].used, 1);
	const pager_inspect_dirpage *d = &in.dirpages[in.blocks[0].dirpage[1]];
	cr_assert_eq(d->page, 4);
	cr_assert_eq(d->status, PAGER_INSPECT_DIR_OK);
	cr_assert_eq(d->capacity, 33);
	cr_assert_eq(d->nentries, 3);
	for (size_t k = 0; k < d->nentries; k++) {
		const pager_inspect_entry *e = &in.entries[d->first_entry + k];
		cr_assert_eq(e->id, k);
		cr_assert(e->active_in_file);
		cr_assert_eq(e->active_crc, e->checksum, "id %zu", k);
	}
	/* Roles as the opened pager sees them. */
	cr_assert_eq(in.roles[0], PAGER_ROLE_SUPERBLOCK);
	cr_assert_eq(in.roles[4], PAGER_ROLE_DIRECTORY);
	cr_assert_eq(in.roles[5], PAGER_ROLE_PROTECTED);
	cr_assert_eq(in.roles[15], PAGER_ROLE_FREE);
	cr_assert_eq(in.open_rc, PAGER_OK);
	cr_assert_eq(in.open_free, 5);
	cr_assert_eq(in.nviolations, 0);
	pager_inspection_free(&in);
	free(img);
}

Test(inspect_golden, every_golden_image_opens_clean_and_agrees_with_open)
{
	for (size_t i = 0; i < TP_GOLDEN_COUNT; i++) {
		char name[64];
		snprintf(name, sizeof name, "%s.img", tp_golden_names[i]);
		size_t len;
		uint8_t *img = golden(name, &len);
		pager_inspection in;
		inspect_copy(img, len, &in);
		cr_assert_eq(in.open_rc, PAGER_OK, "%s", name);
		cr_assert_eq(in.nviolations, 0, "%s", name);
		cr_assert(in.meta[in.chosen].selected, "%s: a clean image uses the selected copy", name);
		pager_inspection_free(&in);
		free(img);
	}
}

/* ---- the metadata choice ---- */

Test(inspect_meta, a_torn_selected_copy_falls_back_and_says_why)
{
	size_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	img[2 * 1024 + 100] ^= 1; /* B, the selected copy */
	pager_inspection in;
	inspect_copy(img, len, &in);
	cr_assert(!in.meta[1].crc_ok);
	cr_assert_neq(in.meta[1].crc_stored, in.meta[1].crc_computed);
	cr_assert_eq(in.chosen, 0);
	cr_assert(strstr(in.choice, "B's trailer CRC does not match"), "%s", in.choice);
	cr_assert(strstr(in.choice, "falls back to A"), "%s", in.choice);
	cr_assert_eq(in.open_rc, PAGER_OK);
	cr_assert_eq(in.open_free, 3, "A's free_count");
	pager_inspection_free(&in);
	free(img);
}

Test(inspect_meta, a_wrong_superblock_crc_falls_back_without_checking_the_other)
{
	size_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	img[16] ^= 0xff; /* the superblock's CRC of B */
	pager_inspection in;
	inspect_copy(img, len, &in);
	cr_assert(in.meta[1].crc_ok && !in.meta[1].sb_crc_ok);
	cr_assert_eq(in.chosen, 0);
	cr_assert(strstr(in.choice, "is not the superblock's"), "%s", in.choice);
	pager_inspection_free(&in);
	free(img);
}

Test(inspect_meta, no_usable_copy_means_open_fails_with_corrupt_metadata)
{
	size_t len;
	uint8_t *img = golden("basic-1k.img", &len);
	img[1 * 1024 + 30] ^= 1;
	/* B fits badly: total_pages beyond (ps-28)*8, CRC repaired so only the fit fails. */
	fmt_put64(img + 2 * 1024, 7969);
	tp_repair_meta(img, 1024, 2);
	pager_inspection in;
	inspect_copy(img, len, &in);
	cr_assert_eq(in.chosen, -1);
	cr_assert(in.meta[1].crc_ok && !in.meta[1].fits && !in.meta[1].valid);
	cr_assert_eq(in.meta[1].nruns, 0, "no bitmap read past the trailer");
	cr_assert(strstr(in.choice, "does not fit"), "%s", in.choice);
	cr_assert_eq(in.open_rc, PAGER_ECORRUPT_METADATA);
	cr_assert(strstr(in.open_why, "metadata"), "%s", in.open_why);
	pager_inspection_free(&in);
	free(img);
}

Test(inspect_meta, free_count_and_tail_are_compared_with_the_bitmap)
{
	size_t len;
	uint8_t *img = golden("basic-1k.img", &len);
	unsigned sel = img[12];
	uint64_t page = 1 + sel;
	uint64_t total = fmt_get64(img + page * 1024);
	fmt_put64(img + page * 1024 + 16, 1000); /* free_count lies */
	img[page * 1024 + 24 + 200] = 0x5a;      /* a byte after the bitmap */
	tp_repair_meta(img, 1024, (unsigned)page);
	tp_repair_sb(img, 1024);
	pager_inspection in;
	inspect_copy(img, len, &in);
	const pager_inspect_meta *m = &in.meta[sel];
	cr_assert_eq(in.chosen, (int)sel);
	cr_assert_eq(m->free_count, 1000);
	cr_assert_neq(m->free_bits, 1000);
	cr_assert_eq(m->allocated + m->free_bits, total);
	cr_assert(!m->tail_clean);
	pager_inspection_free(&in);
	free(img);
}

/* ---- superblock ---- */

Test(inspect_sb, short_files_bad_tags_versions_and_page_sizes)
{
	size_t len;
	uint8_t *img = golden("basic-1k.img", &len);
	pager_inspection in;
	inspect_copy(img, 0, &in);
	cr_assert(!in.sb.present);
	cr_assert_eq(in.open_rc, PAGER_ECORRUPT_SUPERBLOCK);
	pager_inspection_free(&in);
	inspect_copy(img, 19, &in);
	cr_assert(!in.sb.present && !in.sb.valid);
	pager_inspection_free(&in);
	inspect_copy(img, 3 * 1024, &in);
	cr_assert(in.sb.present && !in.sb.valid);
	cr_assert(strstr(in.sb.problem, "fewer than 4 pages"), "%s", in.sb.problem);
	pager_inspection_free(&in);

	img[5] = 2; /* version 0.2: not this pager's */
	inspect_copy(img, len, &in);
	cr_assert_eq(in.format, 0);
	cr_assert(strstr(in.sb.problem, "version 0.2"), "%s", in.sb.problem);
	cr_assert_eq(in.nmeta, 0);
	pager_inspection_free(&in);
	img[5] = 1;

	for (uint32_t log2 = 0; log2 < 70; log2 += 3) {
		fmt_put32(img + 8, log2);
		inspect_copy(img, len, &in); /* open's order of page-size errors */
		pager_inspection_free(&in);
	}
	free(img);
}

/* ---- directory ---- */

Test(inspect_dir, a_torn_active_page_is_replaced_by_the_other)
{
	size_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	img[4 * 1024 + 50] ^= 1; /* page_b, the active directory page */
	pager_inspection in;
	inspect_copy(img, len, &in);
	cr_assert_eq(in.dirpages[in.blocks[0].dirpage[1]].status, PAGER_INSPECT_DIR_BAD_CRC);
	cr_assert_eq(in.blocks[0].used, 0);
	cr_assert_eq(in.open_rc, PAGER_OK);
	/* Both torn: open fails, and the block says so. */
	img[3 * 1024 + 50] ^= 1;
	pager_inspection_free(&in);
	inspect_copy(img, len, &in);
	cr_assert_eq(in.blocks[0].used, -1);
	cr_assert_eq(in.open_rc, PAGER_ECORRUPT_PROTECTED_DIR);
	cr_assert(strstr(in.open_why, "block 0"), "%s", in.open_why);
	pager_inspection_free(&in);
	free(img);
}

Test(inspect_dir, a_bad_index_is_shown_as_stored)
{
	size_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	img[24] ^= 0x40; /* block 0's page_a, CRC not repaired */
	pager_inspection in;
	inspect_copy(img, len, &in);
	cr_assert_eq(in.index_status, PAGER_INSPECT_INDEX_BAD_CRC);
	cr_assert_eq(in.nblocks, 1);
	cr_assert_eq(in.blocks[0].page_a, 3 ^ 0x40);
	cr_assert_eq(in.dirpages[in.blocks[0].dirpage[0]].status, PAGER_INSPECT_DIR_BEYOND);
	cr_assert_eq(in.open_rc, PAGER_ECORRUPT_DIR_INDEX);
	pager_inspection_free(&in);
	free(img);
}

/* Every block names the same two pages: each is decoded once, its entries listed once,
 * whatever the count; a full index at 64 KiB pages stays fast. */
Test(inspect_dir, a_hostile_index_costs_one_decode_per_page, .timeout = 60)
{
	const size_t ps = 65536;
	size_t len = 8 * ps;
	uint8_t *img = calloc(1, len);
	cr_assert(img);
	pager *p;
	tp_memio *m = tp_memio_new();
	TP_OK(pager_create("h", 16, tp_memio_io(m), &p));
	uint64_t id;
	TP_OK(pager_alloc_protected(p, &id));
	TP_OK(pager_close(p));
	size_t flen;
	const uint8_t *f = tp_memio_get(m, "h", &flen);
	cr_assert_leq(flen, len);
	memcpy(img, f, flen);
	uint32_t max = fmt_max_dir_blocks(ps);
	fmt_put32(img + FMT_DIR_INDEX_OFF, max);
	for (uint32_t b = 0; b < max; b++) {
		uint8_t *r = img + FMT_DIR_INDEX_OFF + 4 + (size_t)b * FMT_DIR_REF_LEN;
		memcpy(r, img + FMT_DIR_INDEX_OFF + 4, FMT_DIR_REF_LEN);
	}
	tp_repair_index(img, ps);
	pager_inspection in;
	clock_t t0 = clock();
	inspect_copy(img, len, &in);
	cr_assert_eq(in.nblocks, max);
	cr_assert_eq(in.ndirpages, 2);
	cr_assert_leq(in.nentries, 2, "each page's entries once");
	cr_assert_lt((double)(clock() - t0) / CLOCKS_PER_SEC, 20.0);
	pager_inspection_free(&in);
	tp_memio_free(m);
	free(img);
}

/* ---- robustness: every prefix and every flipped byte agrees with open ---- */

Test(inspect_robust, every_truncation_of_a_protected_image, .timeout = 300)
{
	size_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	for (size_t n = 0; n <= len; n += (n < 5000 ? 1 : 7)) {
		pager_inspection in;
		inspect_copy(img, n, &in);
		pager_inspection_free(&in);
	}
	free(img);
}

Test(inspect_robust, every_byte_flipped_in_a_protected_image, .timeout = 300)
{
	size_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	for (size_t i = 0; i < len; i++) {
		for (unsigned mask = 0x01; mask <= 0x80; mask <<= 7) { /* the low and the high bit */
			img[i] ^= (uint8_t)mask;
			pager_inspection in;
			inspect_copy(img, len, &in);
			pager_inspection_free(&in);
			img[i] ^= (uint8_t)mask;
		}
	}
	free(img);
}

/* CRCs repaired after each change, so the checks behind them are reached. */
Test(inspect_robust, crc_repaired_field_changes, .timeout = 300)
{
	size_t len;
	uint8_t *orig = golden("mixed-4k.img", &len);
	uint8_t *img = malloc(len);
	cr_assert(img);
	static const uint64_t values[] = {0, 1, 2, 3, 4, 63, 64, 65, 255, 4095, 32544, 32545, 1u << 31, UINT64_MAX};
	/* every u64 field of page 0's index, both metadata headers and directory page 4's first entries */
	static const size_t offs[] = {20, 24, 32, 40, 4096 + 0, 4096 + 8, 4096 + 16, 8192 + 0, 8192 + 16,
				      4 * 4096 + 0, 4 * 4096 + 9, 4 * 4096 + 17, 4 * 4096 + 25, 4 * 4096 + 39};
	for (size_t o = 0; o < sizeof offs / sizeof offs[0]; o++) {
		for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
			memcpy(img, orig, len);
			fmt_put64(img + offs[o], values[v]);
			tp_repair_all(img, len);
			pager_inspection in;
			inspect_copy(img, len, &in);
			pager_inspection_free(&in);
		}
	}
	free(img);
	free(orig);
}

/* ---- files ---- */

Test(inspect_file, reads_through_the_read_only_layer, .init = tp_setup, .fini = tp_teardown)
{
	char from[1024];
	snprintf(from, sizeof from, "%s/mixed-4k.img", TORNPAGE_GOLDEN_DIR);
	const char *path = tp_path("m.img");
	cr_assert_eq(tp_copy_file(from, path), 0);
	cr_assert_eq(chmod(path, 0444), 0);
	pager_inspection in;
	TP_OK(pager_inspect(path, NULL, &in));
	cr_assert_eq(in.open_rc, PAGER_OK);
	cr_assert_eq(in.file_len, 64 * 4096);
	pager_inspection_free(&in);
	TP_EIO(pager_inspect(tp_path("missing"), NULL, &in), ENOENT);
	cr_assert_eq(in.nviolations, 0);
	TP_EIO(pager_inspect("/dev/null", NULL, &in), ENODEV);
	TP_RC(pager_inspect(NULL, NULL, &in), PAGER_EINVAL);
	pager_inspection_free(&in);
}
