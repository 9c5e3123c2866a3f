/* test_hostile.c — hostile files never crash the pager and never cause undefined
 * behaviour (the CI runs this under ASan + UBSan): every truncation of small images,
 * huge counts and page numbers made reachable by repairing their CRCs, and every byte
 * of a small image flipped, with and without CRC repair. When such a file opens, a
 * round of operations must return errors or succeed, never crash. Most files go
 * through the in-memory pager_io (support.h), whose mapping is a heap block of exactly
 * the file's length, so ASan sees any read past the end that a real mmap would hide
 * in the last OS page. Not recovery semantics: see test_recovery.c. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "support.h"

#define PS 1024u
#define REF0 (FMT_DIR_INDEX_OFF + 4u)  /* block 0's reference in page 0 */
#define ENTRY0 FMT_DIR_HDR             /* entry 0 in a directory page */

static tp_memio *mem; /* the in-memory files of one test */

static void setup(void)
{
	tp_setup();
	mem = tp_memio_new();
}

static void teardown(void)
{
	tp_memio_free(mem);
	mem = NULL;
	tp_teardown();
}

TestSuite(hostile, .init = setup, .fini = teardown, .timeout = 120);

/* Build an image in memory with the pager itself: a fresh 4-page file, or (prot) the
 * same plus one protected page written once: directory pages 3 (A, active, gen 1) and
 * 4 (B, gen 0), copies 5 (zero) and 6 (seed 1, readable), page 7 free; 8 pages. */
static uint8_t *build(int prot, size_t *len)
{
	tp_memio *m = tp_memio_new();
	pager *p = NULL;
	TP_OK(pager_create("img", 10, tp_memio_io(m), &p));
	if (prot) {
		uint64_t id;
		TP_OK(pager_alloc_protected(p, &id));
		cr_assert_eq(id, 0);
		TP_OK(tp_pwrite(p, 0, 1));
	}
	TP_OK(pager_close(p));
	const uint8_t *d = tp_memio_get(m, "img", len);
	cr_assert_not_null(d);
	uint8_t *img = malloc(*len);
	cr_assert_not_null(img);
	memcpy(img, d, *len);
	tp_memio_free(m);
	cr_assert_eq(*len, prot ? 8 * PS : 4 * PS);
	if (prot) {
		cr_assert_eq(img[REF0 + 16], 0, "directory page A should be active");
		cr_assert_eq(img[12], 1, "metadata B should be active");
	}
	return img;
}

/* A round of operations on an opened hostile file. Return codes do not matter, only
 * that nothing crashes, reads out of bounds or overflows. */
static void exercise(pager *p)
{
	size_t ps = pager_page_size(p);
	uint64_t total = pager_page_count(p);
	(void)pager_free_page_count(p);
	tp_ids pages = tp_pages(p), prot = tp_protected(p);
	uint64_t nroles = total < 65536 ? total + 2 : 65536;
	uint8_t *roles = malloc(nroles);
	cr_assert_not_null(roles);
	(void)pager_page_roles(p, roles, nroles);
	free(roles);
	for (size_t i = 0; i < prot.n && i < 4; i++) {
		const uint8_t *d;
		pager_protected_info info;
		if (pager_protected_read(p, prot.v[i], &d) == PAGER_OK)
			(void)fmt_crc(0, d, ps);
		(void)pager_protected_info_get(p, prot.v[i], &info);
	}
	for (size_t i = 0; i < pages.n && i < 4; i++) {
		uint8_t *d;
		if (pager_page(p, pages.v[i], &d) == PAGER_OK)
			d[0] ^= 1, d[ps - 1] ^= 1;
	}
	uint64_t n, id;
	uint8_t *d;
	if (pager_alloc(p, &n) == PAGER_OK) {
		if (pager_page(p, n, &d) == PAGER_OK)
			tp_fill(d, ps, 3);
		(void)pager_free(p, n);
	}
	(void)pager_free(p, 3);
	(void)pager_free(p, 7);
	(void)pager_free(p, UINT64_MAX);
	(void)pager_page(p, 3, &d);
	(void)pager_page(p, total ? total - 1 : 0, &d);
	for (size_t i = 0; i < prot.n && i < 2; i++) {
		(void)tp_pwrite(p, prot.v[i], 4);
		(void)tp_pstage(p, prot.v[i], 5);
	}
	if (pager_alloc_protected(p, &id) == PAGER_OK) {
		(void)tp_pwrite(p, id, 6);
		const uint8_t *cd;
		(void)pager_protected_read(p, id, &cd);
		(void)pager_free_protected(p, id);
	}
	for (size_t i = 0; i < prot.n && i < 2; i++)
		(void)pager_free_protected(p, prot.v[i]);
	(void)pager_free_protected(p, 0);
	(void)pager_free_protected(p, UINT64_MAX);
	(void)pager_alloc(p, &n);
	tp_ids_free(&pages);
	tp_ids_free(&prot);
	(void)pager_close(p);
}

/* Open img[0..len) through the in-memory layer; exercise it when it opens. */
static int try_mem(const uint8_t *img, size_t len)
{
	tp_memio_remove(mem, "h");
	cr_assert_eq(tp_memio_put(mem, "h", img, len), 0);
	pager *p = NULL;
	int rc = pager_open("h", tp_memio_io(mem), &p);
	if (rc == PAGER_OK)
		exercise(p);
	else
		cr_assert_null(p);
	cr_assert(rc <= 0 && rc > -PAGER_ERR_COUNT, "unknown return code %d", rc);
	return rc;
}

/* The same through real files. */
static int try_file(const uint8_t *img, size_t len)
{
	const char *path = tp_path("h.pg");
	cr_assert_eq(tp_write_file(path, img, len), 0);
	pager *p = NULL;
	int rc = pager_open(path, NULL, &p);
	if (rc == PAGER_OK)
		exercise(p);
	else
		cr_assert_null(p);
	return rc;
}

/* ---- truncation ---------------------------------------------------------------------- */

/* What a prefix of `len` bytes must give: below 20 bytes (the empty file included:
 * it is refused before mapping) or 4 pages the superblock is corrupt; from 4 pages on
 * it opens, as in the seed, even below the active copy's total_pages (the protected
 * image's directory page A and copies are then partly missing: exercise() gets errors
 * for every access past the end, never a crash). */
static int want_truncated(size_t len)
{
	return len < 4 * PS ? PAGER_ECORRUPT_SUPERBLOCK : PAGER_OK;
}

/* Every prefix length (in memory), or (sparse) the lengths where the posix layer can
 * differ from the in-memory one: the first 64 bytes (the superblock's fields), two bytes
 * either side of every page boundary (the OS maps whole 4 KiB pages; the pager's checks
 * are per 1 KiB page), and a prime stride in between. Every prefix through real files
 * costs a file write, a mapping and msyncs each: ~8k of them took 20 s idle and timed
 * out under load, and added nothing the in-memory run had not covered. */
static int tried_length(size_t len, int sparse)
{
	if (!sparse || len <= 64 || len % 97 == 0)
		return 1;
	size_t r = len % PS;
	return r <= 2 || r >= PS - 2;
}

static void truncations(int prot, int sparse, int (*try)(const uint8_t *, size_t))
{
	size_t full, tried = 0;
	uint8_t *img = build(prot, &full);
	for (size_t len = 0; len <= full; len++) {
		if (!tried_length(len, sparse) && len != full)
			continue;
		int rc = try(img, len);
		cr_assert_eq(rc, want_truncated(len), "prefix of %zu bytes -> %s, want %s", len,
			     pager_strerror(rc), pager_strerror(want_truncated(len)));
		tried++;
	}
	cr_assert_gt(tried, sparse ? 100u : full, "only %zu prefixes tried", tried);
	free(img);
}

Test(hostile, every_truncation_of_a_fresh_image_in_memory)
{
	truncations(0, 0, try_mem);
	TP_NO_LEAKS();
}

Test(hostile, every_truncation_of_a_protected_image_in_memory)
{
	truncations(1, 0, try_mem);
	TP_NO_LEAKS();
}

Test(hostile, every_truncation_of_a_fresh_image_on_disk)
{
	truncations(0, 1, try_file);
	TP_NO_LEAKS();
}

Test(hostile, every_truncation_of_a_protected_image_on_disk)
{
	truncations(1, 1, try_file);
	TP_NO_LEAKS();
}

/* ---- huge counts and page numbers, CRCs repaired so the checks behind them run ---- */

TestSuite(hostile_fields, .init = setup, .fini = teardown);

static size_t meta_off(const uint8_t *img) { return (size_t)(FMT_META_A + img[12]) * PS; }

/* Set the active metadata copy's u64 at `field` and repair its CRCs. */
static int with_meta_u64(size_t field, uint64_t v)
{
	size_t len;
	uint8_t *img = build(1, &len);
	fmt_put64(img + meta_off(img) + field, v);
	tp_repair_all(img, len);
	int rc = try_mem(img, len);
	free(img);
	return rc;
}

/* More than one 1 KiB metadata page can describe (7968): the copy does not decode, so
 * open falls back to the other copy (A: generation 0, 4 pages), as the seed does. */
Test(hostile_fields, total_pages_too_big_for_the_bitmap_falls_back_to_the_other_copy)
{
	static const uint64_t big[] = {7969, (uint64_t)1 << 63, UINT64_MAX};
	for (size_t i = 0; i < sizeof big / sizeof big[0]; i++)
		TP_RC(with_meta_u64(0, big[i]), PAGER_OK);
	size_t len;
	uint8_t *img = build(1, &len);
	fmt_put64(img + meta_off(img), UINT64_MAX);
	tp_repair_all(img, len);
	cr_assert_eq(tp_memio_put(mem, "b", img, len), 0);
	/* Both copies too big: nothing is left. The other copy is page 2 - selector. */
	fmt_put64(img + (size_t)(2 - img[12]) * PS, 7969);
	tp_repair_all(img, len);
	TP_RC(try_mem(img, len), PAGER_ECORRUPT_METADATA);
	free(img);
	pager *p = NULL;
	TP_OK(pager_open("b", tp_memio_io(mem), &p));
	cr_assert_eq(pager_page_count(p), 4);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* Up to 7968 pages the copy decodes, though the file has 8: it opens (the seed does
 * not compare total_pages with the file) and exercise() meets an error at every
 * access past the end. */
Test(hostile_fields, total_pages_beyond_the_file_opens)
{
	TP_RC(with_meta_u64(0, 7968), PAGER_OK);
	TP_RC(with_meta_u64(0, 9), PAGER_OK);
	TP_RC(with_meta_u64(0, 16), PAGER_OK);
	TP_NO_LEAKS();
}

/* Every path that touches a page by number, on a file shorter than total_pages: the
 * in-memory layer maps exactly the file, so ASan sees any access past it. */
Test(hostile_fields, every_access_past_a_short_file_is_an_error_until_a_grow)
{
	size_t len;
	uint8_t *img = build(1, &len); /* 8 pages: 3/4 directory, 5/6 copies, 7 free */
	fmt_put64(img + meta_off(img), 16);
	fmt_put64(img + meta_off(img) + 16, 9); /* 7..15 free */
	tp_repair_all(img, len);
	cr_assert_eq(tp_memio_put(mem, "s", img, len), 0);
	free(img);
	pager *p = NULL;
	TP_OK(pager_open("s", tp_memio_io(mem), &p));
	cr_assert_eq(pager_page_count(p), 16);
	uint8_t *d;
	TP_RC(pager_page(p, 8, &d), PAGER_ECORRUPT_METADATA);
	TP_RC(pager_page(p, 15, &d), PAGER_ECORRUPT_METADATA);
	TP_RC(pager_page(p, 16, &d), PAGER_EOUT_OF_BOUNDS);
	cr_assert(tp_protected_is(p, 0, 1));
	uint64_t n, id;
	TP_OK(pager_alloc(p, &n));
	cr_assert_eq(n, 7);
	TP_OK(pager_alloc(p, &n)); /* past the file: the commit only writes pages 0-2 */
	cr_assert_eq(n, 8);
	TP_RC(pager_page(p, 8, &d), PAGER_ECORRUPT_METADATA);
	/* palloc takes 9 and 10 and commits, then cannot read copy 9 for its CRC (the seed
	 * panics there): the pages stay allocated, no id is handed out. */
	TP_RC(pager_alloc_protected(p, &id), PAGER_ECORRUPT_METADATA);
	TP_IDS_EQ(tp_protected(p), TP_IDS(0));
	TP_IDS_EQ(tp_pages(p), TP_IDS(7, 8, 9, 10));
	cr_assert_eq(pager_free_page_count(p), 5);
	/* The protected page in the file still works. */
	TP_OK(tp_pwrite(p, 0, 2));
	cr_assert(tp_protected_is(p, 0, 2));
	/* Use up 11..15, then the next alloc grows 16 -> 32 and the file covers them all. */
	for (uint64_t want = 11; want < 16; want++) {
		TP_OK(pager_alloc(p, &n));
		cr_assert_eq(n, want);
	}
	TP_OK(pager_alloc(p, &n));
	cr_assert_eq(n, 16);
	TP_OK(pager_page(p, 8, &d));
	TP_OK(pager_page(p, 16, &d));
	TP_OK(pager_alloc_protected(p, &id));
	cr_assert_eq(id, 1);
	TP_OK(pager_close(p));
	size_t flen;
	cr_assert_not_null(tp_memio_get(mem, "s", &flen));
	cr_assert_eq(flen, 32 * PS);
	TP_NO_LEAKS();
}

/* total_pages 1 with page 1's bit clear: no page is free, so the alloc grows 1 -> 2
 * (the seed truncates the file to 2 pages too), finds page 1 free (the scan starts at
 * bit 0), and its commit would write copy B past the 2-page mapping: an error. */
Test(hostile_fields, a_grow_from_one_page_cannot_commit_past_its_mapping)
{
	size_t len;
	uint8_t *img = build(0, &len); /* fresh: A selected, so the next commit writes B */
	cr_assert_eq(img[12], 0);
	fmt_put64(img + 1 * PS, 1);
	fmt_put64(img + 1 * PS + 16, 0);
	img[1 * PS + FMT_META_HDR] = 0x01;
	tp_repair_all(img, len);
	cr_assert_eq(tp_memio_put(mem, "g", img, len), 0);
	free(img);
	pager *p = NULL;
	TP_OK(pager_open("g", tp_memio_io(mem), &p));
	uint64_t n = UINT64_MAX;
	TP_RC(pager_alloc(p, &n), PAGER_ECORRUPT_METADATA);
	cr_assert_eq(n, UINT64_MAX);
	cr_assert_eq(pager_page_count(p), 2);
	TP_RC(pager_free(p, 1), PAGER_ERESERVED_PAGE);
	exercise(p);
	TP_NO_LEAKS();
}

/* Fewer pages than the file holds opens: the seed trusts total_pages. With 0 the
 * bitmap is empty, nothing is allocated (not even pages 0-2) and nothing can grow. */
Test(hostile_fields, total_pages_below_the_file_opens_and_fails_cleanly)
{
	for (uint64_t t = 0; t <= 8; t++)
		TP_RC(with_meta_u64(0, t), PAGER_OK);
	size_t len;
	uint8_t *img = build(1, &len);
	fmt_put64(img + meta_off(img), 0);
	tp_repair_all(img, len);
	cr_assert_eq(tp_memio_put(mem, "z", img, len), 0);
	free(img);
	pager *p = NULL;
	TP_OK(pager_open("z", tp_memio_io(mem), &p));
	cr_assert_eq(pager_page_count(p), 0);
	uint64_t n;
	uint8_t *d;
	TP_RC(pager_alloc(p, &n), PAGER_ECORRUPT_METADATA);  /* grow refuses to double 0 */
	TP_RC(pager_free(p, 3), PAGER_EOUT_OF_BOUNDS);
	TP_RC(pager_page(p, 3, &d), PAGER_EOUT_OF_BOUNDS);
	TP_RC(pager_alloc_protected(p, &n), PAGER_ECORRUPT_METADATA);
	/* The protected page still reads, and freeing it commits a 0-page bitmap. */
	cr_assert(tp_protected_is(p, 0, 1));
	(void)pager_free_protected(p, 0);
	(void)pager_close(p);
	TP_NO_LEAKS();
}

Test(hostile_fields, free_count_uint64_max_is_trusted_and_wraps_without_ub)
{
	TP_RC(with_meta_u64(16, UINT64_MAX), PAGER_OK);
	size_t len;
	uint8_t *img = build(1, &len);
	fmt_put64(img + meta_off(img) + 16, UINT64_MAX);
	tp_repair_all(img, len);
	cr_assert_eq(tp_memio_put(mem, "f", img, len), 0);
	free(img);
	pager *p = NULL;
	TP_OK(pager_open("f", tp_memio_io(mem), &p));
	cr_assert_eq(pager_free_page_count(p), UINT64_MAX); /* as stored, not recounted */
	uint64_t n;
	TP_OK(pager_alloc(p, &n));
	cr_assert_eq(n, 7);
	cr_assert_eq(pager_free_page_count(p), UINT64_MAX - 1);
	TP_OK(pager_free(p, 7));
	TP_RC(pager_free(p, 7), PAGER_EDOUBLE_FREE);
	TP_OK(pager_alloc(p, &n)); /* 7 */
	TP_OK(pager_alloc(p, &n)); /* grows 8 -> 16 */
	cr_assert_eq(pager_page_count(p), 16);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* Set the directory index's block count and repair the index CRC. */
static int with_count(uint32_t count)
{
	size_t len;
	uint8_t *img = build(1, &len);
	fmt_put32(img + FMT_DIR_INDEX_OFF, count);
	tp_repair_all(img, len);
	int rc = try_mem(img, len);
	free(img);
	return rc;
}

Test(hostile_fields, a_huge_directory_count_is_corrupt_dir_index)
{
	TP_RC(with_count(UINT32_MAX), PAGER_ECORRUPT_DIR_INDEX);
	TP_RC(with_count((uint32_t)1 << 31), PAGER_ECORRUPT_DIR_INDEX);
	TP_RC(with_count(fmt_max_dir_blocks(PS) + 1), PAGER_ECORRUPT_DIR_INDEX);
	TP_NO_LEAKS();
}

/* Up to the maximum, the extra references are zero: page 0 is no directory page. */
Test(hostile_fields, a_count_naming_zero_references_is_corrupt_protected_directory)
{
	TP_RC(with_count(2), PAGER_ECORRUPT_PROTECTED_DIR);
	TP_RC(with_count(fmt_max_dir_blocks(PS)), PAGER_ECORRUPT_PROTECTED_DIR);
	TP_NO_LEAKS();
}

/* Edit entry/field bytes of directory page `page` with a callback, then repair. */
static int with_dir_page(void (*edit)(uint8_t *page), int pages_mask)
{
	size_t len;
	uint8_t *img = build(1, &len);
	if (pages_mask & 1)
		edit(img + 3 * PS);
	if (pages_mask & 2)
		edit(img + 4 * PS);
	tp_repair_all(img, len);
	cr_assert_eq(tp_memio_put(mem, "d", img, len), 0);
	free(img);
	pager *p = NULL;
	int rc = pager_open("d", tp_memio_io(mem), &p);
	if (rc == PAGER_OK)
		(void)pager_close(p);
	return rc;
}

/* A bitmap calling pages 0-3 free: palloc takes them in the seed's order (the scan
 * starts at bit 0): directory pages 0 and 1, copies 2 and 3. Its metadata commit writes
 * copy B (page 2), its directory commit writes the directory page into page_b, page 1
 * (metadata A), then page 0: reserved pages clobbered, as in the seed, and no undefined
 * behaviour. The file still opens: page 0 selects B, block 0 reads from page 1. */
Test(hostile_fields, palloc_on_a_bitmap_calling_pages_0_to_2_free_writes_over_them)
{
	size_t len;
	uint8_t *img = build(0, &len);
	cr_assert_eq(img[12], 0);
	img[1 * PS + FMT_META_HDR] = 0x00;
	fmt_put64(img + 1 * PS + 16, 4);
	tp_repair_all(img, len);
	cr_assert_eq(tp_memio_put(mem, "z", img, len), 0);
	free(img);
	pager *p = NULL;
	TP_OK(pager_open("z", tp_memio_io(mem), &p));
	uint64_t id;
	TP_OK(pager_alloc_protected(p, &id));
	cr_assert_eq(id, 0);
	pager_protected_info info;
	TP_OK(pager_protected_info_get(p, 0, &info));
	cr_assert_eq(info.page_a, 2);
	cr_assert_eq(info.page_b, 3);
	TP_OK(pager_close(p));
	size_t flen;
	const uint8_t *f = tp_memio_get(mem, "z", &flen);
	cr_assert_eq(fmt_get64(f + REF0), 0);
	cr_assert_eq(fmt_get64(f + REF0 + 8), 1);
	cr_assert_eq(f[12], 1, "page 0 selects B");
	TP_OK(pager_open("z", tp_memio_io(mem), &p));
	TP_IDS_EQ(tp_protected(p), TP_IDS(0));
	exercise(p);
	TP_NO_LEAKS();
}

static void bad_capacity(uint8_t *page) { fmt_put32(page, 1000); }
static void one_too_many(uint8_t *page) { fmt_put32(page, (PS - 12) / 30 + 1); }
static void small_capacity(uint8_t *page) { fmt_put32(page, 1); }
static void zero_capacity(uint8_t *page) { fmt_put32(page, 0); }

/* A copy whose entries would run past its trailer (capacity > (ps-12)/30 = 33) is
 * unreadable, as the seed's DirPage::from_bytes says: the other copy is used, or the
 * block is lost when both are bad. */
Test(hostile_fields, a_directory_capacity_past_the_trailer_falls_back_or_is_corrupt_protected_directory)
{
	TP_RC(with_dir_page(bad_capacity, 1), PAGER_OK);
	pager *p = NULL;
	TP_OK(pager_open("d", tp_memio_io(mem), &p));
	cr_assert(tp_protected_is_zero(p, 0), "the older copy B (generation 0) should be read");
	TP_OK(pager_close(p));
	TP_RC(with_dir_page(one_too_many, 1), PAGER_OK);
	TP_OK(pager_open("d", tp_memio_io(mem), &p));
	cr_assert(tp_protected_is_zero(p, 0), "the older copy B (generation 0) should be read");
	TP_OK(pager_close(p));
	TP_RC(with_dir_page(bad_capacity, 3), PAGER_ECORRUPT_PROTECTED_DIR);
	TP_RC(with_dir_page(one_too_many, 3), PAGER_ECORRUPT_PROTECTED_DIR);
	TP_NO_LEAKS();
}

/* Any smaller capacity is the seed's too: the page holds that many slots, ids still
 * split by 33 per block, a slot past the capacity is OutOfBounds, a full small block
 * makes palloc open a new block, and a commit writes the capacity back unchanged. */
Test(hostile_fields, a_smaller_directory_capacity_is_kept_with_its_slots)
{
	TP_RC(with_dir_page(small_capacity, 3), PAGER_OK);
	pager *p = NULL;
	TP_OK(pager_open("d", tp_memio_io(mem), &p));
	TP_IDS_EQ(tp_protected(p), TP_IDS(0));
	cr_assert(tp_protected_is(p, 0, 1));
	const uint8_t *cd;
	pager_pwrite w;
	TP_RC(pager_protected_read(p, 1, &cd), PAGER_EOUT_OF_BOUNDS);
	TP_RC(pager_protected_begin(p, 1, &w), PAGER_EOUT_OF_BOUNDS);
	TP_RC(pager_free_protected(p, 1), PAGER_EOUT_OF_BOUNDS);
	TP_RC(pager_free_protected(p, 32), PAGER_EOUT_OF_BOUNDS);
	/* Block 0's one slot is taken: a new block, whose first id is 1 * 33. */
	uint64_t id;
	TP_OK(pager_alloc_protected(p, &id));
	cr_assert_eq(id, 33);
	TP_OK(tp_pwrite(p, 0, 7)); /* commits block 0 into page B (4) */
	TP_OK(pager_close(p));
	size_t len;
	const uint8_t *f = tp_memio_get(mem, "d", &len);
	cr_assert_not_null(f);
	cr_assert_eq(f[REF0 + 16], 1, "block 0 now selects page B");
	cr_assert_eq(fmt_dir_page_capacity(f + 4 * PS), 1, "the capacity is written back");
	TP_OK(pager_open("d", tp_memio_io(mem), &p));
	TP_IDS_EQ(tp_protected(p), TP_IDS(0, 33));
	cr_assert(tp_protected_is(p, 0, 7));
	/* Freeing slot 0 makes it the one free slot of block 0 again. */
	TP_OK(pager_free_protected(p, 0));
	TP_OK(pager_alloc_protected(p, &id));
	cr_assert_eq(id, 0);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* Capacity 0: a block with no slot at all; its entry 0 is gone (its pages leak). */
Test(hostile_fields, a_zero_directory_capacity_is_a_block_without_slots)
{
	TP_RC(with_dir_page(zero_capacity, 3), PAGER_OK);
	pager *p = NULL;
	TP_OK(pager_open("d", tp_memio_io(mem), &p));
	TP_IDS_EMPTY(tp_protected(p));
	TP_IDS_EQ(tp_pages(p), TP_IDS(5, 6));
	TP_RC(pager_free_protected(p, 0), PAGER_EOUT_OF_BOUNDS);
	uint64_t id;
	TP_OK(pager_alloc_protected(p, &id));
	cr_assert_eq(id, 33);
	exercise(p);
	TP_NO_LEAKS();
}

/* Set block 0's references and repair the index CRC. */
static uint8_t *with_refs(uint64_t a, uint64_t b, size_t *len)
{
	uint8_t *img = build(1, len);
	fmt_put64(img + REF0, a);
	fmt_put64(img + REF0 + 8, b);
	tp_repair_all(img, *len);
	return img;
}

Test(hostile_fields, directory_pages_past_the_end_are_corrupt_protected_directory)
{
	static const uint64_t far[] = {8, 9, 1000, (uint64_t)1 << 40, (uint64_t)1 << 54, UINT64_MAX};
	for (size_t i = 0; i < sizeof far / sizeof far[0]; i++) {
		size_t len;
		uint8_t *img = with_refs(far[i], far[i], &len);
		TP_RC(try_mem(img, len), PAGER_ECORRUPT_PROTECTED_DIR);
		free(img);
	}
	TP_NO_LEAKS();
}

/* The active reference (page_a) past the end: open falls back to page_b, and the
 * next directory commit, which targets page_a again, is refused instead of writing
 * past the mapping. */
Test(hostile_fields, an_active_directory_page_past_the_end_falls_back_then_refuses_commits)
{
	size_t len;
	uint8_t *img = with_refs((uint64_t)1 << 40, 4, &len);
	cr_assert_eq(tp_memio_put(mem, "r", img, len), 0);
	free(img);
	pager *p = NULL;
	TP_OK(pager_open("r", tp_memio_io(mem), &p));
	cr_assert(tp_protected_is_zero(p, 0));
	TP_RC(tp_pwrite(p, 0, 5), PAGER_ECORRUPT_DIR_INDEX);
	uint64_t id;
	TP_RC(pager_alloc_protected(p, &id), PAGER_ECORRUPT_DIR_INDEX);
	TP_RC(pager_free_protected(p, 0), PAGER_ECORRUPT_DIR_INDEX);
	uint64_t n;
	TP_OK(pager_alloc(p, &n));
	(void)pager_close(p);
	TP_NO_LEAKS();
}

static void far_entry(uint8_t *page)
{
	fmt_put64(page + ENTRY0 + 1, (uint64_t)1 << 40);
	fmt_put64(page + ENTRY0 + 9, UINT64_MAX);
}

/* Entries are not checked at open (the seed trusts them); every use of their pages is. */
Test(hostile_fields, entry_pages_past_the_end_open_and_fail_cleanly)
{
	TP_RC(with_dir_page(far_entry, 3), PAGER_OK);
	pager *p = NULL;
	TP_OK(pager_open("d", tp_memio_io(mem), &p));
	TP_IDS_EQ(tp_protected(p), TP_IDS(0));
	const uint8_t *d;
	pager_pwrite w;
	TP_RC(pager_protected_read(p, 0, &d), PAGER_ECORRUPT_PROTECTED_DIR);
	TP_RC(pager_protected_begin(p, 0, &w), PAGER_ECORRUPT_PROTECTED_DIR);
	uint8_t roles[16];
	TP_OK(pager_page_roles(p, roles, 16));
	TP_IDS_EQ(tp_pages(p), TP_IDS(5, 6)); /* the old copies are now unreferenced */
	uint64_t n, id;
	TP_OK(pager_alloc(p, &n));
	TP_RC(pager_free(p, (uint64_t)1 << 40), PAGER_EOUT_OF_BOUNDS);
	/* Freeing the entry frees its (nonexistent) pages in the bitmap: nothing. */
	uint64_t free_before = pager_free_page_count(p);
	TP_OK(pager_free_protected(p, 0));
	cr_assert_eq(pager_free_page_count(p), free_before);
	TP_OK(pager_alloc_protected(p, &id));
	cr_assert_eq(id, 0);
	TP_OK(tp_pwrite(p, 0, 9));
	cr_assert(tp_protected_is(p, 0, 9));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

static void slot7(uint8_t *page) { page[ENTRY0 + 17] = 7; }

/* The seed computes 1 - active_slot in a u8: 7 would underflow. The readable copy of
 * a nonzero slot is page_b, as the seed's `if active_slot == 0 { a } else { b }`. */
Test(hostile_fields, active_slot_7_makes_begin_corrupt_protected_directory)
{
	TP_RC(with_dir_page(slot7, 3), PAGER_OK);
	pager *p = NULL;
	TP_OK(pager_open("d", tp_memio_io(mem), &p));
	pager_pwrite w;
	TP_RC(pager_protected_begin(p, 0, &w), PAGER_ECORRUPT_PROTECTED_DIR);
	cr_assert(tp_protected_is(p, 0, 1), "slot 7 reads page_b (6, seed 1)");
	pager_protected_info info;
	TP_OK(pager_protected_info_get(p, 0, &info));
	cr_assert_eq(info.active_slot, 7);
	TP_OK(pager_free_protected(p, 0));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

static void reserved_entry(uint8_t *page)
{
	fmt_put64(page + ENTRY0 + 1, 0);
	fmt_put64(page + ENTRY0 + 9, 1);
}

/* Entries naming pages 0 and 1: in bounds, so the seed (and the C pager) hand them
 * out. Writing them clobbers page 0 / metadata A in memory, without any UB. Freeing
 * the entry clears the reserved pages' bits: pfree, unlike free, does not check for
 * reserved pages (the seed's free_protected calls meta.free_page directly). */
Test(hostile_fields, entries_naming_reserved_pages_do_not_crash)
{
	TP_RC(with_dir_page(reserved_entry, 3), PAGER_OK);
	pager *p = NULL;
	TP_OK(pager_open("d", tp_memio_io(mem), &p));
	uint64_t free_before = pager_free_page_count(p);
	TP_OK(pager_free_protected(p, 0));
	cr_assert_eq(pager_free_page_count(p), free_before + 2, "pages 0 and 1 counted as freed");
	TP_OK(pager_close(p));
	TP_OK(pager_open("d", tp_memio_io(mem), &p));
	cr_assert_eq(pager_free_page_count(p), free_before + 2);
	TP_OK(pager_close(p));
	TP_RC(with_dir_page(reserved_entry, 3), PAGER_OK);
	TP_OK(pager_open("d", tp_memio_io(mem), &p));
	exercise(p);
	TP_NO_LEAKS();
}

/* ---- every byte flipped ------------------------------------------------------------ */

TestSuite(hostile_flip, .init = setup, .fini = teardown, .timeout = 300);

static void flip_all(int prot, int repair)
{
	size_t len;
	uint8_t *img = build(prot, &len);
	uint8_t *work = malloc(len);
	cr_assert_not_null(work);
	size_t opened = 0;
	for (size_t i = 0; i < len; i++) {
		memcpy(work, img, len);
		work[i] ^= 0xFF;
		if (repair)
			tp_repair_all(work, len);
		opened += try_mem(work, len) == PAGER_OK;
	}
	cr_log_info("%s image, %s: %zu of %zu flips opened", prot ? "protected" : "fresh",
		    repair ? "CRCs repaired" : "CRCs as flipped", opened, len);
	cr_assert_gt(opened, 0);
	free(work);
	free(img);
}

Test(hostile_flip, every_byte_of_a_protected_image_without_crc_repair)
{
	flip_all(1, 0);
	TP_NO_LEAKS();
}

Test(hostile_flip, every_byte_of_a_protected_image_with_every_crc_repaired)
{
	flip_all(1, 1);
	TP_NO_LEAKS();
}

Test(hostile_flip, every_byte_of_a_fresh_image_without_crc_repair)
{
	flip_all(0, 0);
	TP_NO_LEAKS();
}

Test(hostile_flip, every_byte_of_a_fresh_image_with_every_crc_repaired)
{
	flip_all(0, 1);
	TP_NO_LEAKS();
}
