/* test_recovery.c — open-time recovery: files made by the pager, then corrupted at
 * offsets computed from the format (docs/FORMAT.md), then opened. Which metadata copy
 * and which directory page win, and which error each kind of damage gives. Not random
 * damage (test_hostile.c) and not failed I/O (test_faults.c). */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format.h"
#include "support.h"

#define PS 1024u
#define META_A_OFF (1u * PS)
#define META_B_OFF (2u * PS)

static const char *file(void) { return tp_path("r.pg"); }

static uint8_t *load(size_t *len)
{
	uint8_t *img = tp_read_file(file(), len);
	cr_assert_not_null(img);
	return img;
}

static void store(const uint8_t *img, size_t len)
{
	cr_assert_eq(tp_write_file(file(), img, len), 0);
}

static void xor_at(uint64_t off, uint8_t mask)
{
	cr_assert_eq(tp_xor_file(file(), off, mask), 0);
}

static void put_at(uint64_t off, const void *bytes, size_t n)
{
	cr_assert_eq(tp_patch_file(file(), off, bytes, n), 0);
}

static int open_rc(pager **p)
{
	*p = NULL;
	return pager_open(file(), NULL, p);
}

#define COUNTS(p, total, free_)                                                             \
	do {                                                                                \
		cr_assert_eq(pager_page_count(p), (uint64_t)(total), "page_count %llu, want %llu", \
			     (unsigned long long)pager_page_count(p), (unsigned long long)(total)); \
		cr_assert_eq(pager_free_page_count(p), (uint64_t)(free_), "free_page_count %llu, want %llu", \
			     (unsigned long long)pager_free_page_count(p), (unsigned long long)(free_)); \
	} while (0)

/* Two metadata states. create: A = B = {4 pages, gen 0}. alloc 3 commits into B
 * (4 pages, free 0, {3}). alloc 4 grows to 8 and commits into A (8 pages, free 3,
 * {3, 4}). So A is active and newer, B is the older state. */
static void make_two_states(void)
{
	pager *p = NULL;
	uint64_t n;
	TP_OK(pager_create(file(), 10, NULL, &p));
	TP_OK(pager_alloc(p, &n));
	cr_assert_eq(n, 3);
	TP_OK(tp_fill_page(p, 3, 30));
	TP_OK(pager_alloc(p, &n));
	cr_assert_eq(n, 4);
	TP_OK(tp_fill_page(p, 4, 40));
	TP_OK(pager_close(p));
	size_t len;
	uint8_t *img = load(&len);
	cr_assert_eq(len, 8 * PS);
	cr_assert_eq(img[12], 0, "selector should be A");
	cr_assert_eq(fmt_get64(img + META_A_OFF + 8), 2, "A holds generation 2");
	cr_assert_eq(fmt_get64(img + META_B_OFF + 8), 1, "B holds generation 1");
	free(img);
}

static void expect_newer(pager *p)
{
	COUNTS(p, 8, 3);
	TP_IDS_EQ(tp_pages(p), TP_IDS(3, 4));
	cr_assert(tp_page_is(p, 4, 40));
}

static void expect_older(pager *p)
{
	COUNTS(p, 4, 0);
	TP_IDS_EQ(tp_pages(p), TP_IDS(3));
	cr_assert(tp_page_is(p, 3, 30));
}

/* ---- metadata copies ------------------------------------------------------------ */

TestSuite(open_recovery, .init = tp_setup, .fini = tp_teardown);

Test(open_recovery, opens_the_newer_state_when_nothing_is_damaged)
{
	make_two_states();
	pager *p;
	TP_OK(open_rc(&p));
	expect_newer(p);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(open_recovery, falls_back_when_the_active_meta_is_torn)
{
	make_two_states();
	xor_at(META_A_OFF + 16, 0x01); /* A's free_count: its own trailer fails */
	pager *p;
	TP_OK(open_rc(&p));
	expect_older(p);
	/* The next commit goes to the torn copy (the inactive one in memory) and heals it. */
	uint64_t n;
	TP_OK(pager_alloc(p, &n));
	cr_assert_eq(n, 4);
	COUNTS(p, 8, 3);
	TP_OK(tp_reopen(&p, file(), NULL));
	COUNTS(p, 8, 3);
	TP_IDS_EQ(tp_pages(p), TP_IDS(3, 4));
	TP_OK(pager_close(p));
	size_t len;
	uint8_t *img = load(&len);
	cr_assert_eq(img[12], 0, "the healed copy A is selected again");
	free(img);
	TP_NO_LEAKS();
}

Test(open_recovery, falls_back_when_the_active_meta_trailer_is_torn)
{
	make_two_states();
	xor_at(META_A_OFF + PS - 1, 0x80);
	pager *p;
	TP_OK(open_rc(&p));
	expect_older(p);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(open_recovery, ignores_a_torn_inactive_meta)
{
	make_two_states();
	xor_at(META_B_OFF + 24, 0xFF);
	pager *p;
	TP_OK(open_rc(&p));
	expect_newer(p);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(open_recovery, fails_with_corrupt_metadata_when_both_copies_are_torn)
{
	make_two_states();
	xor_at(META_A_OFF + 0, 0x01);
	xor_at(META_B_OFF + 0, 0x01);
	pager *p;
	TP_RC(open_rc(&p), PAGER_ECORRUPT_METADATA);
	cr_assert_null(p);
	TP_NO_LEAKS();
}

/* The active copy passes its own trailer but not the superblock's whole-page CRC:
 * the other copy is taken on its own trailer alone. */
Test(open_recovery, falls_back_when_the_superblock_crc_does_not_match)
{
	make_two_states();
	xor_at(16, 0x01);
	pager *p;
	TP_OK(open_rc(&p));
	expect_older(p);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(open_recovery, fails_when_the_superblock_crc_is_wrong_and_the_other_copy_torn)
{
	make_two_states();
	xor_at(19, 0x10);
	xor_at(META_B_OFF + 100, 0x01);
	pager *p;
	TP_RC(open_rc(&p), PAGER_ECORRUPT_METADATA);
	TP_NO_LEAKS();
}

/* The seed's MetaPage::from_bytes returns None for a copy whose bitmap would run past
 * its trailer, exactly as for a bad CRC: such a copy falls back like a torn one. */
static void set_total(uint64_t meta_off, uint64_t total)
{
	size_t len;
	uint8_t *img = load(&len);
	fmt_put64(img + meta_off, total);
	tp_repair_meta(img, PS, (unsigned)(meta_off / PS));
	store(img, len);
	free(img);
}

Test(open_recovery, falls_back_when_the_active_bitmap_does_not_fit_its_page)
{
	/* 7969 pages need 997 bitmap bytes; 1024 - 28 = 996 fit. */
	static const uint64_t big[] = {7969, (uint64_t)1 << 63, UINT64_MAX};
	for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
		make_two_states();
		set_total(META_A_OFF, big[i]);
		pager *p;
		TP_OK(open_rc(&p));
		expect_older(p);
		TP_OK(pager_close(p));
		cr_assert_eq(unlink(file()), 0);
	}
	TP_NO_LEAKS();
}

Test(open_recovery, fails_with_corrupt_metadata_when_the_other_copy_does_not_fit_either)
{
	make_two_states();
	set_total(META_A_OFF, 7969);
	set_total(META_B_OFF, 7969);
	pager *p;
	TP_RC(open_rc(&p), PAGER_ECORRUPT_METADATA);
	cr_assert_null(p);
	/* A torn selected copy and a too-big other copy: no copy either. */
	cr_assert_eq(unlink(file()), 0);
	make_two_states();
	xor_at(META_A_OFF + 16, 0x01);
	set_total(META_B_OFF, 7969);
	TP_RC(open_rc(&p), PAGER_ECORRUPT_METADATA);
	TP_NO_LEAKS();
}

/* A bitmap exactly as long as the page allows is not a fit failure: the copy is used
 * (and promises more pages than the file holds, see open_superblock). */
Test(open_recovery, a_bitmap_that_exactly_fills_its_page_is_used)
{
	make_two_states();
	set_total(META_A_OFF, 7968);
	pager *p;
	TP_OK(open_rc(&p));
	cr_assert_eq(pager_page_count(p), 7968);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* The superblock stores the CRC of the *whole* selected page, trailer included. For a
 * page whose last 4 bytes are the CRC-32 of the rest, that is always the CRC-32
 * residue 0x2144DF1C, whatever the page holds: the field cannot tell one valid copy
 * from another. So a selector that points at the older (valid) copy is accepted, and
 * open silently returns the older state. */
#define CRC32_RESIDUE 0x2144DF1Cu

Test(open_recovery, the_superblock_crc_is_the_same_constant_for_every_valid_copy)
{
	make_two_states();
	size_t len;
	uint8_t *img = load(&len);
	cr_assert_eq(fmt_get32(img + 16), CRC32_RESIDUE);
	cr_assert_eq(fmt_crc(0, img + META_A_OFF, PS), CRC32_RESIDUE);
	cr_assert_eq(fmt_crc(0, img + META_B_OFF, PS), CRC32_RESIDUE);
	cr_assert_neq(fmt_get64(img + META_A_OFF + 8), fmt_get64(img + META_B_OFF + 8));
	free(img);
	TP_NO_LEAKS();
}

Test(open_recovery, a_selector_pointing_at_the_older_copy_opens_the_older_state)
{
	make_two_states();
	uint8_t one = 1;
	put_at(12, &one, 1);
	pager *p;
	TP_OK(open_rc(&p));
	expect_older(p);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* ---- superblock ------------------------------------------------------------------ */

TestSuite(open_superblock, .init = tp_setup, .fini = tp_teardown);

Test(open_superblock, bad_magic_is_corrupt_superblock)
{
	make_two_states();
	put_at(0, "MPPH", 4);
	pager *p;
	TP_RC(open_rc(&p), PAGER_ECORRUPT_SUPERBLOCK);
	TP_NO_LEAKS();
}

Test(open_superblock, bad_major_or_minor_version_is_corrupt_superblock)
{
	static const uint8_t bad[][2] = {{1, 1}, {0, 0}, {0, 2}, {0xFF, 1}};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		make_two_states();
		put_at(4, bad[i], 2);
		pager *p;
		TP_RC(open_rc(&p), PAGER_ECORRUPT_SUPERBLOCK);
		cr_assert_eq(unlink(file()), 0);
	}
	TP_NO_LEAKS();
}

Test(open_superblock, patch_and_build_version_bytes_are_not_checked)
{
	make_two_states();
	put_at(6, "\xFF\x7F", 2);
	pager *p;
	TP_OK(open_rc(&p));
	expect_newer(p);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(open_superblock, selector_beyond_1_is_corrupt_superblock)
{
	static const uint8_t sel[] = {2, 0x80, 0xFF};
	for (size_t i = 0; i < sizeof sel; i++) {
		make_two_states();
		put_at(12, &sel[i], 1);
		pager *p;
		TP_RC(open_rc(&p), PAGER_ECORRUPT_SUPERBLOCK);
		cr_assert_eq(unlink(file()), 0);
	}
	TP_NO_LEAKS();
}

Test(open_superblock, a_file_shorter_than_20_bytes_is_corrupt_superblock)
{
	make_two_states();
	size_t len;
	uint8_t *img = load(&len);
	for (size_t n = 1; n < 20; n++) {
		store(img, n);
		pager *p;
		TP_RC(open_rc(&p), PAGER_ECORRUPT_SUPERBLOCK);
	}
	free(img);
	TP_NO_LEAKS();
}

Test(open_superblock, a_file_shorter_than_4_pages_is_corrupt_superblock)
{
	make_two_states();
	size_t len;
	uint8_t *img = load(&len);
	static const size_t lens[] = {20, 21, 1024, 3072, 4095};
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		store(img, lens[i]);
		pager *p;
		TP_RC(open_rc(&p), PAGER_ECORRUPT_SUPERBLOCK);
	}
	free(img);
	TP_NO_LEAKS();
}

/* 4 pages are there but the active copy says 8: the seed does not compare
 * total_pages with the file, so it opens, and only a later access past its mapping
 * would panic. The C pager opens too and returns an error for each such access. */
Test(open_superblock, a_file_shorter_than_total_pages_opens_and_fails_at_use)
{
	make_two_states();
	size_t len;
	uint8_t *img = load(&len);
	static const size_t lens[] = {4 * PS, 8 * PS - 1};
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		store(img, lens[i]);
		pager *p;
		TP_OK(open_rc(&p));
		COUNTS(p, 8, 3);
		cr_assert(tp_page_is(p, 3, 30));
		/* Pages from the first one not wholly in the file up to total_pages exist
		 * for the bitmap but cannot be reached. */
		uint64_t whole = lens[i] / PS;
		for (uint64_t n = 3; n < 8; n++) {
			uint8_t *d = NULL;
			int rc = pager_page(p, n, &d);
			cr_assert_eq(rc, n < whole ? PAGER_OK : PAGER_ECORRUPT_METADATA,
				     "page %llu of a %zu-byte file: %s", (unsigned long long)n, lens[i],
				     pager_strerror(rc));
		}
		uint8_t *d;
		TP_RC(pager_page(p, 8, &d), PAGER_EOUT_OF_BOUNDS);
		/* alloc hands out page 5 and commits (pages 0-2 are in the file). */
		uint64_t n;
		TP_OK(pager_alloc(p, &n));
		cr_assert_eq(n, 5);
		TP_RC(pager_page(p, 5, &d), 5 < whole ? PAGER_OK : PAGER_ECORRUPT_METADATA);
		TP_OK(pager_free(p, 4));
		TP_OK(pager_close(p));
		cr_assert_eq(tp_file_size(file()), (long long)lens[i]);
		TP_OK(open_rc(&p));
		COUNTS(p, 8, 3);
		TP_IDS_EQ(tp_pages(p), TP_IDS(3, 5));
		TP_OK(pager_close(p));
	}
	free(img);
	TP_NO_LEAKS();
}

/* The next growth sets the length from total_pages (16 pages), which covers the pages
 * the file was missing: they read as zeros from then on. */
Test(open_superblock, a_file_shorter_than_total_pages_is_whole_again_after_a_grow)
{
	make_two_states();
	size_t len;
	uint8_t *img = load(&len);
	store(img, 4 * PS);
	free(img);
	pager *p;
	TP_OK(open_rc(&p));
	uint64_t n;
	for (uint64_t want = 5; want < 8; want++) {
		TP_OK(pager_alloc(p, &n));
		cr_assert_eq(n, want);
	}
	TP_OK(pager_alloc(p, &n)); /* grows 8 -> 16 */
	cr_assert_eq(n, 8);
	COUNTS(p, 16, 7);
	cr_assert_eq(tp_file_size(file()), 16 * PS);
	uint8_t *d;
	TP_OK(pager_page(p, 4, &d));
	cr_assert(tp_is_zero(d, PS), "a page the file lacked reads as zeros");
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* An empty file is refused without being mapped (mmap(2) rejects length 0; the seed's
 * memmap2 maps an empty slice, and its open then finds fewer than 20 bytes). */
Test(open_superblock, an_empty_file_is_corrupt_superblock_and_is_not_mapped)
{
	cr_assert_eq(tp_write_file(file(), "", 0), 0);
	tp_rec rec;
	tp_rec_init(&rec, NULL);
	pager *p;
	p = NULL;
	TP_RC(pager_open(file(), tp_rec_io(&rec), &p), PAGER_ECORRUPT_SUPERBLOCK);
	cr_assert_null(p);
	cr_assert_eq(tp_rec_count(&rec, TP_IO_MAP, NULL), 0, "an empty file must not be mapped");
	cr_assert_eq(tp_rec_count(&rec, TP_IO_CLOSE, "pager/open/abort_close"), 1);
	tp_rec_free(&rec);
	TP_NO_LEAKS();
}

Test(open_superblock, page_size_log2_below_10_or_unshiftable_is_invalid_page_size)
{
	static const uint32_t bad[] = {9, 0, 1, 64, 65, 1000, UINT32_MAX};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		make_two_states();
		uint8_t b[4];
		fmt_put32(b, bad[i]);
		put_at(8, b, 4);
		pager *p;
		TP_RC(open_rc(&p), PAGER_EINVALID_PAGE_SIZE);
		cr_assert_eq(unlink(file()), 0);
	}
	TP_NO_LEAKS();
}

/* A page size that shifts but whose 4 pages do not fit the file (or overflow, at 63,
 * where the seed's 4 * page_size wraps) is CorruptSuperblock, as the seed's length
 * check says. */
Test(open_superblock, a_page_size_bigger_than_the_file_is_corrupt_superblock)
{
	static const uint32_t big[] = {12, 20, 31, 40, 61, 62, 63};
	for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
		make_two_states();
		uint8_t b[4];
		fmt_put32(b, big[i]);
		put_at(8, b, 4);
		pager *p;
		TP_RC(open_rc(&p), PAGER_ECORRUPT_SUPERBLOCK);
		cr_assert_eq(unlink(file()), 0);
	}
	TP_NO_LEAKS();
}

/* ---- directory index and directory pages ----------------------------------------- */

TestSuite(open_directory, .init = tp_setup, .fini = tp_teardown);

#define REF0 (FMT_DIR_INDEX_OFF + 4u) /* block 0's reference in page 0 */

/* palloc on a fresh file: directory 3 (A) and 4 (B), copies 5 and 6. The first
 * directory commit writes B and selects it (A is never written). pwrite 1 fills copy 6
 * and commits the directory into A; pwrite 2 fills copy 5 and commits into B. So after
 * `writes` writes: 0 -> B active (gen 0), A zero; 1 -> A active (gen 1, seed 1), B gen 0;
 * 2 -> B active (gen 2, seed 2), A gen 1 (seed 1). */
static void make_protected(int writes)
{
	pager *p = NULL;
	uint64_t id;
	TP_OK(pager_create(file(), 10, NULL, &p));
	TP_OK(pager_alloc_protected(p, &id));
	cr_assert_eq(id, 0);
	for (int i = 1; i <= writes; i++)
		TP_OK(tp_pwrite(p, 0, (unsigned)i));
	TP_OK(pager_close(p));
	size_t len;
	uint8_t *img = load(&len);
	cr_assert_eq(fmt_get32(img + FMT_DIR_INDEX_OFF), 1);
	cr_assert_eq(fmt_get64(img + REF0), 3);
	cr_assert_eq(fmt_get64(img + REF0 + 8), 4);
	cr_assert_eq(img[REF0 + 16], writes % 2 ? 0 : 1, "block 0's selector");
	free(img);
}

Test(open_directory, bad_index_crc_with_blocks_is_corrupt_dir_index)
{
	make_protected(2);
	xor_at(PS - 1, 0x01); /* the index trailer */
	pager *p;
	TP_RC(open_rc(&p), PAGER_ECORRUPT_DIR_INDEX);
	TP_NO_LEAKS();
}

Test(open_directory, a_torn_block_reference_is_corrupt_dir_index)
{
	make_protected(2);
	xor_at(REF0 + 16, 0x01); /* the selector flips, the CRC no longer matches */
	pager *p;
	TP_RC(open_rc(&p), PAGER_ECORRUPT_DIR_INDEX);
	TP_NO_LEAKS();
}

/* A selector of 2 with its CRC repaired: the seed cannot decode it either. */
Test(open_directory, a_block_selector_beyond_1_is_corrupt_dir_index)
{
	make_protected(1);
	size_t len;
	uint8_t *img = load(&len);
	img[REF0 + 16] = 2;
	tp_repair_index(img, PS);
	store(img, len);
	free(img);
	pager *p;
	TP_RC(open_rc(&p), PAGER_ECORRUPT_DIR_INDEX);
	TP_NO_LEAKS();
}

/* count == 0: the index CRC is not checked, whatever follows the count. */
Test(open_directory, count_0_with_a_garbage_index_opens)
{
	make_two_states();
	uint8_t junk[PS - 24];
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (uint8_t)(0xA5 ^ i);
	put_at(24, junk, sizeof junk);
	pager *p;
	TP_OK(open_rc(&p));
	expect_newer(p);
	TP_IDS_EMPTY(tp_protected(p));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(open_directory, falls_back_to_the_other_copy_when_the_active_page_is_torn)
{
	make_protected(2);
	xor_at(4 * PS + 100, 0x01); /* B: the active page (generation 2) */
	pager *p;
	TP_OK(open_rc(&p));
	TP_IDS_EQ(tp_protected(p), TP_IDS(0));
	/* A is the older directory: generation 1, copy 6 readable, seed 1. */
	cr_assert(tp_protected_is(p, 0, 1));
	pager_protected_info info;
	TP_OK(pager_protected_info_get(p, 0, &info));
	cr_assert_eq(info.generation, 1);
	cr_assert_eq(info.active_slot, 1);
	/* The selector flipped in memory only: the next directory commit goes to the torn
	 * page B, which heals it, and page 0 then selects B. */
	TP_OK(tp_pwrite(p, 0, 7));
	TP_OK(tp_reopen(&p, file(), NULL));
	cr_assert(tp_protected_is(p, 0, 7));
	TP_OK(pager_protected_info_get(p, 0, &info));
	cr_assert_eq(info.generation, 2);
	TP_OK(pager_close(p));
	size_t len;
	uint8_t *img = load(&len);
	cr_assert_eq(img[REF0 + 16], 1);
	free(img);
	TP_NO_LEAKS();
}

Test(open_directory, ignores_a_torn_inactive_directory_page)
{
	make_protected(2);
	xor_at(3 * PS + 8, 0x01); /* A: the inactive, older page */
	pager *p;
	TP_OK(open_rc(&p));
	cr_assert(tp_protected_is(p, 0, 2));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(open_directory, both_copies_torn_is_corrupt_protected_directory)
{
	make_protected(2);
	xor_at(3 * PS + 8, 0x01);
	xor_at(4 * PS + 8, 0x01);
	pager *p;
	TP_RC(open_rc(&p), PAGER_ECORRUPT_PROTECTED_DIR);
	TP_NO_LEAKS();
}

/* The seed's weak spot: a new block's first directory commit writes page_b only, so
 * page_a stays a never-written (zero) page that fails its CRC. Until the block's second
 * commit, one torn write of page_b loses the whole block: every protected page in it
 * (up to 33 at 1 KiB), although their data pages are intact. */
Test(open_directory, a_new_blocks_never_written_page_a_plus_a_torn_page_b_is_corrupt_protected_directory)
{
	make_protected(0);
	size_t len;
	uint8_t *img = load(&len);
	cr_assert(tp_is_zero(img + 3 * PS, PS), "page_a of a new block should never have been written");
	free(img);
	xor_at(4 * PS + 8, 0x01);
	pager *p;
	TP_RC(open_rc(&p), PAGER_ECORRUPT_PROTECTED_DIR);
	TP_NO_LEAKS();
}

/* The same image with page_b intact opens (page_a is never needed). */
Test(open_directory, a_new_block_opens_from_page_b_alone)
{
	make_protected(0);
	pager *p;
	TP_OK(open_rc(&p));
	TP_IDS_EQ(tp_protected(p), TP_IDS(0));
	cr_assert(tp_protected_is_zero(p, 0));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}
