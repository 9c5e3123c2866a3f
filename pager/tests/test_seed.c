/* test_seed.c — the seed crate's (mappedpages 0.1) behaviours, reproduced by the C
 * pager: create/open, page sizes, allocation order and growth, free errors, protected
 * pages (alloc, write, abandon, free, directory blocks, DirectoryFull), stale writers,
 * counts, iteration and page roles. Not crash or fault behaviour: see test_recovery.c
 * and test_faults.c. Page numbers below follow from "lowest clear bit first; double the
 * file when none is free" (every bitmap the pager writes has pages 0-2 set, so a file
 * it made hands out pages from 3). */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "support.h"

static const char *file(void) { return tp_path("f.pg"); }

static pager *mk(unsigned log2)
{
	pager *p = NULL;
	TP_OK(pager_create(file(), log2, NULL, &p));
	return p;
}

static uint64_t alloc1(pager *p)
{
	uint64_t n = UINT64_MAX;
	TP_OK(pager_alloc(p, &n));
	return n;
}

static uint64_t palloc1(pager *p)
{
	uint64_t id = UINT64_MAX;
	TP_OK(pager_alloc_protected(p, &id));
	return id;
}

#define COUNTS(p, total, free_)                                                            \
	do {                                                                               \
		cr_assert_eq(pager_page_count(p), (uint64_t)(total), "page_count %llu, want %llu", \
			     (unsigned long long)pager_page_count(p), (unsigned long long)(total)); \
		cr_assert_eq(pager_free_page_count(p), (uint64_t)(free_),                  \
			     "free_page_count %llu, want %llu",                            \
			     (unsigned long long)pager_free_page_count(p), (unsigned long long)(free_)); \
	} while (0)

/* ---- create / open --------------------------------------------------------------- */

TestSuite(create, .init = tp_setup, .fini = tp_teardown);

Test(create, makes_four_pages_with_page_3_free)
{
	pager *p = mk(10);
	cr_assert_eq(pager_page_size(p), 1024);
	COUNTS(p, 4, 1);
	TP_IDS_EMPTY(tp_pages(p));
	TP_IDS_EMPTY(tp_protected(p));
	TP_OK(pager_close(p));
	cr_assert_eq(tp_file_size(file()), 4096);

	size_t len;
	uint8_t *img = tp_read_file(file(), &len);
	cr_assert(img);
	/* Superblock: tag, version 0.1.0.0, log2, selector A, CRC of the whole page 1. */
	cr_assert(!memcmp(img, "MPPG\0\1\0\0", 8));
	cr_assert_eq(fmt_get32(img + 8), 10);
	cr_assert_eq(img[12], 0);
	cr_assert_eq(fmt_get32(img + 16), fmt_crc(0, img + 1024, 1024));
	/* Both metadata copies are identical: 4 pages, generation 0, 1 free, bits 0-2. */
	cr_assert(!memcmp(img + 1024, img + 2048, 1024));
	cr_assert_eq(fmt_get64(img + 1024), 4);
	cr_assert_eq(fmt_get64(img + 1024 + 8), 0);
	cr_assert_eq(fmt_get64(img + 1024 + 16), 1);
	cr_assert_eq(img[1024 + 24], 0x07);
	/* Empty directory index, with the trailer written all the same. */
	cr_assert_eq(fmt_get32(img + 20), 0);
	cr_assert_eq(fmt_get32(img + 1020), fmt_crc(0, img + 20, 1000));
	free(img);
	TP_NO_LEAKS();
}

Test(create, fails_with_eexists_when_the_file_exists)
{
	pager *p = mk(10);
	TP_OK(pager_close(p));
	size_t len0, len1;
	uint8_t *before = tp_read_file(file(), &len0);
	pager *q = NULL;
	TP_RC(pager_create(file(), 10, NULL, &q), PAGER_EEXISTS);
	cr_assert_null(q);
	uint8_t *after = tp_read_file(file(), &len1);
	cr_assert(len0 == len1 && !memcmp(before, after, len0), "create touched an existing file");
	free(before);
	free(after);

	/* Any file, not only a pager file. */
	cr_assert_eq(tp_write_file(tp_path("other"), "hello", 5), 0);
	TP_RC(pager_create(tp_path("other"), 12, NULL, &q), PAGER_EEXISTS);
	cr_assert_eq(tp_file_size(tp_path("other")), 5);
	TP_NO_LEAKS();
}

Test(create, refuses_page_size_log2_below_10)
{
	pager *p = NULL;
	for (unsigned l = 0; l < 10; l++) {
		TP_RC(pager_create(file(), l, NULL, &p), PAGER_EINVALID_PAGE_SIZE);
		cr_assert(!tp_file_exists(file()), "log2 %u: a file was created", l);
	}
	cr_assert_null(p);
	TP_NO_LEAKS();
}

/* Our liberty (pager.h): above 2^30 the seed would allocate page-sized buffers and
 * abort; the C pager refuses before touching the file system. */
Test(create, refuses_page_size_log2_above_30)
{
	pager *p = NULL;
	TP_RC(pager_create(file(), 31, NULL, &p), PAGER_EINVALID_PAGE_SIZE);
	TP_RC(pager_create(file(), 64, NULL, &p), PAGER_EINVALID_PAGE_SIZE);
	cr_assert(!tp_file_exists(file()));
	TP_NO_LEAKS();
}

Test(create, accepts_page_size_log2_10_and_12)
{
	static const unsigned sizes[] = {10, 12};
	for (size_t i = 0; i < 2; i++) {
		char name[16];
		snprintf(name, sizeof name, "ps%u", sizes[i]);
		const char *path = tp_path(name);
		pager *p = NULL;
		TP_OK(pager_create(path, sizes[i], NULL, &p));
		cr_assert_eq(pager_page_size(p), (size_t)1 << sizes[i]);
		COUNTS(p, 4, 1);
		cr_assert_eq(alloc1(p), 3);
		TP_OK(tp_fill_page(p, 3, 77));
		TP_OK(tp_reopen(&p, path, NULL));
		cr_assert_eq(pager_page_size(p), (size_t)1 << sizes[i]);
		COUNTS(p, 4, 0);
		cr_assert(tp_page_is(p, 3, 77));
		TP_OK(pager_close(p));
		cr_assert_eq(tp_file_size(path), 4ll << sizes[i]);
	}
	TP_NO_LEAKS();
}

Test(create, refuses_null_arguments)
{
	pager *p = NULL;
	TP_RC(pager_create(NULL, 10, NULL, &p), PAGER_EINVAL);
	TP_RC(pager_create(file(), 10, NULL, NULL), PAGER_EINVAL);
	TP_RC(pager_open(NULL, NULL, &p), PAGER_EINVAL);
	cr_assert(!tp_file_exists(file()));
	TP_NO_LEAKS();
}

TestSuite(open, .init = tp_setup, .fini = tp_teardown);

Test(open, reopens_a_fresh_file)
{
	pager *p = mk(10);
	TP_OK(tp_reopen(&p, file(), NULL));
	cr_assert_eq(pager_page_size(p), 1024);
	COUNTS(p, 4, 1);
	TP_IDS_EMPTY(tp_pages(p));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(open, fails_with_eio_enoent_when_the_file_is_missing)
{
	pager *p = NULL;
	TP_EIO(pager_open(tp_path("missing"), NULL, &p), ENOENT);
	cr_assert_null(p);
	TP_NO_LEAKS();
}

Test(open, close_of_null_is_a_no_op)
{
	TP_OK(pager_close(NULL));
	TP_NO_LEAKS();
}

/* ---- regular pages ---------------------------------------------------------------- */

TestSuite(alloc, .init = tp_setup, .fini = tp_teardown);

Test(alloc, returns_the_lowest_free_page_from_3)
{
	pager *p = mk(10);
	for (uint64_t want = 3; want < 8; want++)
		cr_assert_eq(alloc1(p), want);
	TP_OK(pager_free(p, 6));
	TP_OK(pager_free(p, 4));
	COUNTS(p, 8, 2);
	/* Lowest first, whatever the order they were freed in. */
	cr_assert_eq(alloc1(p), 4);
	cr_assert_eq(alloc1(p), 6);
	cr_assert_eq(alloc1(p), 8);
	COUNTS(p, 16, 7);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(alloc, grows_by_doubling_and_keeps_data_across_growth)
{
	pager *p = mk(10);
	COUNTS(p, 4, 1);
	cr_assert_eq(alloc1(p), 3);
	TP_OK(tp_fill_page(p, 3, 3));
	COUNTS(p, 4, 0);
	/* 4 -> 8: the new page 4 comes from the 4 new free pages. */
	cr_assert_eq(alloc1(p), 4);
	COUNTS(p, 8, 3);
	cr_assert_eq(tp_file_size(file()), 8 * 1024);
	TP_OK(tp_fill_page(p, 4, 4));
	for (uint64_t n = 5; n < 8; n++) {
		cr_assert_eq(alloc1(p), n);
		TP_OK(tp_fill_page(p, n, (unsigned)n));
		COUNTS(p, 8, 7 - n);
	}
	/* 8 -> 16 */
	cr_assert_eq(alloc1(p), 8);
	COUNTS(p, 16, 7);
	cr_assert_eq(tp_file_size(file()), 16 * 1024);
	TP_OK(tp_fill_page(p, 8, 8));
	for (uint64_t n = 3; n <= 8; n++)
		cr_assert(tp_page_is(p, n, (unsigned)n), "page %llu lost its data in growth",
			  (unsigned long long)n);
	for (uint64_t n = 9; n < 16; n++)
		cr_assert_eq(alloc1(p), n);
	COUNTS(p, 16, 0);
	/* 16 -> 32 */
	cr_assert_eq(alloc1(p), 16);
	COUNTS(p, 32, 15);
	for (uint64_t n = 3; n <= 8; n++)
		cr_assert(tp_page_is(p, n, (unsigned)n));
	TP_IDS_EQ(tp_pages(p), TP_IDS(3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16));
	TP_OK(pager_close(p));
	cr_assert_eq(tp_file_size(file()), 32 * 1024);
	TP_NO_LEAKS();
}

/* Edit the metadata copy the superblock selects in a fresh file (A): its bitmap's first
 * byte and free_count, with its trailer repaired. */
static void edit_fresh_meta(uint8_t bits, uint64_t free_count)
{
	size_t len;
	uint8_t *img = tp_read_file(file(), &len);
	cr_assert_not_null(img);
	cr_assert_eq(img[12], 0, "a fresh file selects A");
	img[1 * 1024 + FMT_META_HDR] = bits;
	fmt_put64(img + 1 * 1024 + 16, free_count);
	tp_repair_meta(img, 1024, 1);
	cr_assert_eq(tp_write_file(file(), img, len), 0);
	free(img);
}

/* The seed's alloc_page takes the first clear bit from bit 0: "pages 0-2 are never
 * returned" holds only for the bitmaps it writes. One that calls them free hands them
 * out, while page access and free still refuse them as reserved. */
Test(alloc, scans_the_bitmap_from_bit_0)
{
	pager *p = mk(10);
	TP_OK(pager_close(p));
	edit_fresh_meta(0x02, 3); /* pages 0, 2, 3 free */
	TP_OK(pager_open(file(), NULL, &p));
	cr_assert_eq(alloc1(p), 0);
	cr_assert_eq(alloc1(p), 2);
	cr_assert_eq(alloc1(p), 3);
	COUNTS(p, 4, 0);
	uint8_t *d;
	TP_RC(pager_page(p, 0, &d), PAGER_ERESERVED_PAGE);
	TP_RC(pager_free(p, 2), PAGER_ERESERVED_PAGE);
	TP_OK(tp_reopen(&p, file(), NULL));
	COUNTS(p, 4, 0);
	cr_assert_eq(alloc1(p), 4); /* none free: 4 -> 8 */
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* free_count is trusted as stored and the seed decrements it with saturating_sub(1):
 * a stored 0 with page 3 clear stays 0 after handing out page 3, in memory and in the
 * committed copy (a wrapping decrement would store 2^64 - 1). */
Test(alloc, free_count_saturates_at_zero)
{
	pager *p = mk(10);
	TP_OK(pager_close(p));
	edit_fresh_meta(0x07, 0);
	TP_OK(pager_open(file(), NULL, &p));
	COUNTS(p, 4, 0);
	cr_assert_eq(alloc1(p), 3);
	COUNTS(p, 4, 0);
	TP_OK(tp_reopen(&p, file(), NULL));
	COUNTS(p, 4, 0);
	TP_OK(pager_close(p));
	size_t len;
	uint8_t *img = tp_read_file(file(), &len);
	cr_assert_not_null(img);
	cr_assert_eq(img[12], 1, "the alloc committed into B");
	cr_assert_eq(fmt_get64(img + 2 * 1024 + 16), 0, "the committed free_count");
	free(img);
	TP_NO_LEAKS();
}

/* The seed's get_page checks only "reserved" and "in bounds", not "allocated". */
Test(alloc, page_access_checks_bounds_not_allocation)
{
	pager *p = mk(10);
	uint8_t *d = NULL;
	TP_RC(pager_page(p, 0, &d), PAGER_ERESERVED_PAGE);
	TP_RC(pager_page(p, 2, &d), PAGER_ERESERVED_PAGE);
	TP_RC(pager_page(p, 4, &d), PAGER_EOUT_OF_BOUNDS);
	TP_RC(pager_page(p, UINT64_MAX, &d), PAGER_EOUT_OF_BOUNDS);
	cr_assert_null(d);
	TP_OK(pager_page(p, 3, &d)); /* free, but in bounds */
	cr_assert_not_null(d);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

TestSuite(free, .init = tp_setup, .fini = tp_teardown);

Test(free, refuses_reserved_pages)
{
	pager *p = mk(10);
	for (uint64_t n = 0; n < 3; n++)
		TP_RC(pager_free(p, n), PAGER_ERESERVED_PAGE);
	COUNTS(p, 4, 1);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(free, refuses_out_of_bounds_pages)
{
	pager *p = mk(10);
	TP_RC(pager_free(p, 4), PAGER_EOUT_OF_BOUNDS);
	TP_RC(pager_free(p, 1000), PAGER_EOUT_OF_BOUNDS);
	TP_RC(pager_free(p, UINT64_MAX), PAGER_EOUT_OF_BOUNDS);
	COUNTS(p, 4, 1);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(free, refuses_double_free_and_never_allocated_pages)
{
	pager *p = mk(10);
	TP_RC(pager_free(p, 3), PAGER_EDOUBLE_FREE); /* free since create */
	cr_assert_eq(alloc1(p), 3);
	TP_OK(pager_free(p, 3));
	COUNTS(p, 4, 1);
	TP_RC(pager_free(p, 3), PAGER_EDOUBLE_FREE);
	COUNTS(p, 4, 1);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(free, makes_the_page_reusable_and_keeps_counts)
{
	pager *p = mk(10);
	cr_assert_eq(alloc1(p), 3);
	cr_assert_eq(alloc1(p), 4);
	COUNTS(p, 8, 3);
	TP_OK(pager_free(p, 3));
	COUNTS(p, 8, 4);
	TP_IDS_EQ(tp_pages(p), TP_IDS(4));
	cr_assert_eq(alloc1(p), 3);
	COUNTS(p, 8, 3);
	TP_IDS_EQ(tp_pages(p), TP_IDS(3, 4));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* ---- persistence ----------------------------------------------------------------- */

TestSuite(persistence, .init = tp_setup, .fini = tp_teardown);

Test(persistence, keeps_regular_fills_and_the_bitmap_across_reopen)
{
	pager *p = mk(10);
	for (uint64_t n = 3; n < 10; n++) {
		cr_assert_eq(alloc1(p), n);
		TP_OK(tp_fill_page(p, n, (unsigned)(n * 3)));
	}
	TP_OK(pager_free(p, 5));
	TP_OK(pager_free(p, 8));
	COUNTS(p, 16, 8);
	TP_OK(tp_reopen(&p, file(), NULL));
	COUNTS(p, 16, 8);
	TP_IDS_EQ(tp_pages(p), TP_IDS(3, 4, 6, 7, 9));
	for (uint64_t n = 3; n < 10; n++)
		if (n != 5 && n != 8)
			cr_assert(tp_page_is(p, n, (unsigned)(n * 3)), "page %llu", (unsigned long long)n);
	cr_assert_eq(alloc1(p), 5);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(persistence, keeps_protected_commits_and_drops_staged_writes_across_reopen)
{
	pager *p = mk(10);
	cr_assert_eq(palloc1(p), 0);
	cr_assert_eq(palloc1(p), 1);
	TP_OK(tp_pwrite(p, 0, 11));
	TP_OK(tp_pwrite(p, 0, 12));
	TP_OK(tp_pwrite(p, 1, 21));
	TP_OK(tp_pstage(p, 1, 99));
	TP_OK(tp_reopen(&p, file(), NULL));
	TP_IDS_EQ(tp_protected(p), TP_IDS(0, 1));
	cr_assert(tp_protected_is(p, 0, 12));
	cr_assert(tp_protected_is(p, 1, 21));
	pager_protected_info info;
	TP_OK(pager_protected_info_get(p, 0, &info));
	cr_assert_eq(info.generation, 2);
	cr_assert_eq(info.active_slot, 0); /* two commits: b, then a again */
	TP_OK(pager_protected_info_get(p, 1, &info));
	cr_assert_eq(info.generation, 1);
	cr_assert_eq(info.active_slot, 1);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* ---- protected pages --------------------------------------------------------------- */

TestSuite(protected, .init = tp_setup, .fini = tp_teardown);

Test(protected, first_page_takes_four_pages_later_ones_two)
{
	pager *p = mk(10);
	/* Directory block (3, 4) and copies (5, 6): the file doubles at the second page. */
	cr_assert_eq(palloc1(p), 0);
	COUNTS(p, 8, 1);
	pager_protected_info info;
	TP_OK(pager_protected_info_get(p, 0, &info));
	cr_assert_eq(info.page_a, 5);
	cr_assert_eq(info.page_b, 6);
	cr_assert_eq(info.active_slot, 0);
	cr_assert_eq(info.generation, 0);
	uint8_t zero[1024] = {0};
	cr_assert_eq(info.checksum, fmt_crc(0, zero, sizeof zero)); /* the CRC of a fresh page */

	cr_assert_eq(palloc1(p), 1); /* copies 7 and 8: 8 -> 16 pages */
	COUNTS(p, 16, 7);
	TP_OK(pager_protected_info_get(p, 1, &info));
	cr_assert_eq(info.page_a, 7);
	cr_assert_eq(info.page_b, 8);
	cr_assert_eq(palloc1(p), 2);
	COUNTS(p, 16, 5);
	TP_IDS_EQ(tp_protected(p), TP_IDS(0, 1, 2));
	TP_IDS_EMPTY(tp_pages(p)); /* structural pages are not regular pages */
	cr_assert_eq(tp_role_count(p, 16, PAGER_ROLE_DIRECTORY), 2);
	cr_assert_eq(tp_role_count(p, 16, PAGER_ROLE_PROTECTED), 6);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(protected, a_new_page_reads_as_its_first_copy)
{
	pager *p = mk(10);
	cr_assert_eq(palloc1(p), 0);
	cr_assert(tp_protected_is_zero(p, 0));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(protected, commit_makes_the_new_content_readable)
{
	pager *p = mk(10);
	cr_assert_eq(palloc1(p), 0);
	pager_pwrite w;
	TP_OK(pager_protected_begin(p, 0, &w));
	cr_assert_eq(w.id, 0);
	cr_assert_eq(w.page, 6); /* the inactive copy: page_b */
	cr_assert_eq(w.slot, 1);
	tp_fill(w.data, 1024, 5);
	cr_assert(tp_protected_is_zero(p, 0), "staged bytes are visible before commit");
	TP_OK(pager_protected_commit(p, &w));
	cr_assert_null(w.data);
	cr_assert(tp_protected_is(p, 0, 5));
	pager_protected_info info;
	TP_OK(pager_protected_info_get(p, 0, &info));
	cr_assert_eq(info.active_slot, 1);
	cr_assert_eq(info.generation, 1);
	const uint8_t *d;
	TP_OK(pager_protected_read(p, 0, &d));
	cr_assert_eq(info.checksum, fmt_crc(0, d, 1024));

	/* The next write goes to page_a again. */
	TP_OK(pager_protected_begin(p, 0, &w));
	cr_assert_eq(w.page, 5);
	cr_assert_eq(w.slot, 0);
	tp_fill(w.data, 1024, 6);
	TP_OK(pager_protected_commit(p, &w));
	cr_assert(tp_protected_is(p, 0, 6));
	COUNTS(p, 8, 1); /* writes never allocate */
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(protected, abandon_leaves_the_old_content)
{
	pager *p = mk(10);
	cr_assert_eq(palloc1(p), 0);
	TP_OK(tp_pwrite(p, 0, 5));
	pager_pwrite w;
	TP_OK(pager_protected_begin(p, 0, &w));
	tp_fill(w.data, 1024, 9);
	pager_protected_abandon(p, &w);
	cr_assert_null(w.data);
	cr_assert(tp_protected_is(p, 0, 5));
	TP_RC(pager_protected_commit(p, &w), PAGER_EINVAL); /* an abandoned writer is dead */
	cr_assert(tp_protected_is(p, 0, 5));
	TP_OK(tp_reopen(&p, file(), NULL));
	cr_assert(tp_protected_is(p, 0, 5));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* The seed's borrow checker makes a stale writer impossible; the C pager counts an
 * epoch that every mutating call bumps, and commit refuses a writer from an old one. */
Test(protected, stale_writer_commit_fails_with_einval)
{
	pager *p = mk(10);
	cr_assert_eq(palloc1(p), 0);
	pager_pwrite w;
	TP_OK(pager_protected_begin(p, 0, &w));
	tp_fill(w.data, 1024, 7);
	cr_assert_eq(alloc1(p), 7);
	TP_RC(pager_protected_commit(p, &w), PAGER_EINVAL);
	cr_assert(tp_protected_is_zero(p, 0));
	pager_protected_info info;
	TP_OK(pager_protected_info_get(p, 0, &info));
	cr_assert_eq(info.generation, 0);
	/* A fresh writer works. */
	TP_OK(tp_pwrite(p, 0, 8));
	cr_assert(tp_protected_is(p, 0, 8));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* Even a mutating call that fails (here: ReservedPage) makes the writer stale. */
Test(protected, a_failed_mutating_call_also_makes_the_writer_stale)
{
	pager *p = mk(10);
	cr_assert_eq(palloc1(p), 0);
	pager_pwrite w;
	TP_OK(pager_protected_begin(p, 0, &w));
	TP_RC(pager_free(p, 1), PAGER_ERESERVED_PAGE);
	TP_RC(pager_protected_commit(p, &w), PAGER_EINVAL);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* pager.h says "any other call" makes the writer stale; in fact only the mutating
 * calls bump the epoch, so reads between begin and commit are allowed (the seed would
 * not even compile them). */
Test(protected, read_only_calls_do_not_make_the_writer_stale)
{
	pager *p = mk(10);
	cr_assert_eq(palloc1(p), 0);
	cr_assert_eq(alloc1(p), 7);
	pager_pwrite w;
	TP_OK(pager_protected_begin(p, 0, &w));
	tp_fill(w.data, 1024, 3);
	const uint8_t *d;
	uint8_t *pg;
	TP_OK(pager_protected_read(p, 0, &d));
	TP_OK(pager_page(p, 7, &pg));
	(void)pager_page_count(p);
	TP_IDS_EQ(tp_pages(p), TP_IDS(7));
	TP_OK(pager_protected_commit(p, &w));
	cr_assert(tp_protected_is(p, 0, 3));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* Two writers: the first commit bumps the epoch, the second writer is then stale. */
Test(protected, second_concurrent_writer_is_stale_after_the_first_commit)
{
	pager *p = mk(10);
	cr_assert_eq(palloc1(p), 0);
	cr_assert_eq(palloc1(p), 1);
	pager_pwrite w0, w1;
	TP_OK(pager_protected_begin(p, 0, &w0));
	TP_OK(pager_protected_begin(p, 1, &w1));
	tp_fill(w0.data, 1024, 1);
	tp_fill(w1.data, 1024, 2);
	TP_OK(pager_protected_commit(p, &w0));
	TP_RC(pager_protected_commit(p, &w1), PAGER_EINVAL);
	cr_assert(tp_protected_is(p, 0, 1));
	cr_assert(tp_protected_is_zero(p, 1));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(protected, free_releases_both_copies_and_reports_bad_ids)
{
	pager *p = mk(10);
	cr_assert_eq(palloc1(p), 0);
	cr_assert_eq(palloc1(p), 1);
	COUNTS(p, 16, 7);
	TP_OK(pager_free_protected(p, 0));
	COUNTS(p, 16, 9);
	TP_IDS_EQ(tp_protected(p), TP_IDS(1));
	TP_IDS_EMPTY(tp_pages(p));
	TP_RC(pager_free_protected(p, 0), PAGER_EDOUBLE_FREE);
	TP_RC(pager_free_protected(p, 2), PAGER_EDOUBLE_FREE);  /* unused slot of block 0 */
	TP_RC(pager_free_protected(p, 32), PAGER_EDOUBLE_FREE); /* last slot of block 0 */
	TP_RC(pager_free_protected(p, 33), PAGER_EOUT_OF_BOUNDS); /* block 1 does not exist */
	TP_RC(pager_free_protected(p, UINT64_MAX), PAGER_EOUT_OF_BOUNDS);
	COUNTS(p, 16, 9);
	/* A freed id can no longer be read, written or described (the seed's dir_entry). */
	const uint8_t *d;
	pager_pwrite w;
	pager_protected_info info;
	TP_RC(pager_protected_read(p, 0, &d), PAGER_EOUT_OF_BOUNDS);
	TP_RC(pager_protected_begin(p, 0, &w), PAGER_EOUT_OF_BOUNDS);
	TP_RC(pager_protected_info_get(p, 0, &info), PAGER_EOUT_OF_BOUNDS);
	TP_RC(pager_protected_read(p, 33, &d), PAGER_EOUT_OF_BOUNDS);
	/* The slot and the lowest pages are reused. */
	cr_assert_eq(palloc1(p), 0);
	TP_OK(pager_protected_info_get(p, 0, &info));
	cr_assert_eq(info.page_a, 5);
	cr_assert_eq(info.page_b, 6);
	/* Freeing every protected page keeps the directory block allocated. */
	TP_OK(pager_free_protected(p, 0));
	TP_OK(pager_free_protected(p, 1));
	COUNTS(p, 16, 11);
	TP_IDS_EMPTY(tp_protected(p));
	cr_assert_eq(tp_role_count(p, 16, PAGER_ROLE_DIRECTORY), 2);
	TP_OK(tp_reopen(&p, file(), NULL));
	COUNTS(p, 16, 11);
	TP_IDS_EMPTY(tp_protected(p));
	TP_IDS_EMPTY(tp_pages(p));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* At 1 KiB a directory page holds (1024-12)/30 = 33 entries: ids 0..32 are block 0,
 * id 33 is block 1 slot 0. */
Test(protected, second_directory_block_starts_at_id_33)
{
	pager *p = mk(10);
	for (uint64_t i = 0; i < 33; i++)
		cr_assert_eq(palloc1(p), i);
	/* 3 reserved + 2 directory + 66 copies = 71 pages in a 128-page file. */
	COUNTS(p, 128, 57);
	cr_assert_eq(tp_role_count(p, 128, PAGER_ROLE_DIRECTORY), 2);
	cr_assert_eq(palloc1(p), 33);
	COUNTS(p, 128, 53);
	cr_assert_eq(tp_role_count(p, 128, PAGER_ROLE_DIRECTORY), 4);
	cr_assert_eq(tp_role_count(p, 128, PAGER_ROLE_PROTECTED), 68);
	pager_protected_info info;
	TP_OK(pager_protected_info_get(p, 33, &info));
	cr_assert_eq(info.page_a, 73); /* block 1's directory pages are 71 and 72 */
	cr_assert_eq(info.page_b, 74);
	uint8_t roles[75];
	TP_OK(pager_page_roles(p, roles, 75));
	cr_assert_eq(roles[71], PAGER_ROLE_DIRECTORY);
	cr_assert_eq(roles[72], PAGER_ROLE_DIRECTORY);
	cr_assert_eq(palloc1(p), 34);
	TP_OK(pager_close(p));

	size_t len;
	uint8_t *img = tp_read_file(file(), &len);
	cr_assert(img);
	cr_assert_eq(fmt_get32(img + 20), 2, "directory index count");
	cr_assert_eq(fmt_get64(img + 24 + 17), 71);
	cr_assert_eq(fmt_get64(img + 24 + 17 + 8), 72);
	free(img);
	TP_NO_LEAKS();
}

/* Which limit comes first at 1 KiB? The index holds (1024-28)/17 = 58 blocks of 33
 * entries = 1914 protected pages, which need 3 + 58*2 + 1914*2 = 3947 pages: that fits
 * in 4096 pages, and the bitmap's page can describe (1024-28)*8 = 7968 pages, so the
 * file never has to grow past 4096 (growing again would need 8192 > 7968). So
 * DirectoryFull comes first, with 149 free pages left; allocating those fills the
 * file, and the next growth is refused with PAGER_EBITMAP_FULL (where the seed would
 * write the bitmap past its page). */
Test(protected, directory_full_comes_before_bitmap_full_at_1k, .timeout = 300)
{
	pager *p = mk(10);
	for (uint64_t i = 0; i < 1914; i++) {
		uint64_t id = UINT64_MAX;
		int rc = pager_alloc_protected(p, &id);
		cr_assert_eq(rc, PAGER_OK, "palloc #%llu -> %s", (unsigned long long)i, pager_strerror(rc));
		cr_assert_eq(id, i);
	}
	COUNTS(p, 4096, 149);
	uint64_t id = UINT64_MAX;
	TP_RC(pager_alloc_protected(p, &id), PAGER_EDIRECTORY_FULL);
	cr_assert_eq(id, UINT64_MAX);
	COUNTS(p, 4096, 149); /* refused before allocating anything */
	for (uint64_t n = 0; n < 149; n++)
		cr_assert_eq(alloc1(p), 3947 + n);
	COUNTS(p, 4096, 0);
	uint64_t page = UINT64_MAX;
	TP_RC(pager_alloc(p, &page), PAGER_EBITMAP_FULL);
	COUNTS(p, 4096, 0);
	cr_assert_eq(tp_file_size(file()), 4096ll * 1024);
	TP_RC(pager_alloc_protected(p, &id), PAGER_EDIRECTORY_FULL);
	/* Freeing one protected page makes room for exactly one again. */
	TP_OK(pager_free_protected(p, 1000));
	COUNTS(p, 4096, 2);
	cr_assert_eq(palloc1(p), 1000);
	COUNTS(p, 4096, 0);
	TP_OK(tp_reopen(&p, file(), NULL));
	COUNTS(p, 4096, 0);
	tp_ids prot = tp_protected(p);
	cr_assert_eq(prot.n, 1914);
	tp_ids_free(&prot);
	TP_RC(pager_alloc(p, &page), PAGER_EBITMAP_FULL);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* ---- iteration and roles ------------------------------------------------------------ */

TestSuite(iteration, .init = tp_setup, .fini = tp_teardown);

static int stop_at_second(void *arg, uint64_t n)
{
	tp_ids *ids = arg;
	tp_ids_add(ids, n);
	return ids->n == 2 ? 7 : 0;
}

Test(iteration, foreach_lists_exactly_what_is_live)
{
	pager *p = mk(10);
	cr_assert_eq(alloc1(p), 3);
	cr_assert_eq(palloc1(p), 0); /* directory 4, 5; copies 6, 7 */
	cr_assert_eq(alloc1(p), 8);
	cr_assert_eq(palloc1(p), 1); /* copies 9, 10 */
	cr_assert_eq(alloc1(p), 11);
	TP_OK(pager_free(p, 3));
	COUNTS(p, 16, 5);
	TP_IDS_EQ(tp_pages(p), TP_IDS(8, 11));
	TP_IDS_EQ(tp_protected(p), TP_IDS(0, 1));
	TP_OK(pager_free_protected(p, 0));
	TP_IDS_EQ(tp_protected(p), TP_IDS(1));
	TP_IDS_EQ(tp_pages(p), TP_IDS(8, 11));
	cr_assert_eq(palloc1(p), 0); /* reuses 3 and 6 */
	TP_IDS_EQ(tp_protected(p), TP_IDS(0, 1));
	TP_IDS_EQ(tp_pages(p), TP_IDS(8, 11));

	/* A callback's nonzero return stops the walk and is returned. */
	tp_ids ids = {0};
	cr_assert_eq(pager_foreach_page(p, stop_at_second, &ids), 7);
	cr_assert_eq(ids.n, 2);
	tp_ids_free(&ids);
	cr_assert_eq(pager_foreach_protected(p, stop_at_second, &ids), 7);
	cr_assert_eq(ids.n, 2);
	tp_ids_free(&ids);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(iteration, page_roles_name_every_page)
{
	pager *p = mk(10);
	cr_assert_eq(alloc1(p), 3);
	cr_assert_eq(palloc1(p), 0); /* directory 4, 5; copies 6, 7 */
	cr_assert_eq(alloc1(p), 8);
	uint8_t roles[20];
	memset(roles, 0xEE, sizeof roles);
	TP_OK(pager_page_roles(p, roles, 20));
	static const uint8_t want[20] = {
		PAGER_ROLE_SUPERBLOCK, PAGER_ROLE_META_A, PAGER_ROLE_META_B, PAGER_ROLE_REGULAR,
		PAGER_ROLE_DIRECTORY, PAGER_ROLE_DIRECTORY, PAGER_ROLE_PROTECTED, PAGER_ROLE_PROTECTED,
		PAGER_ROLE_REGULAR, PAGER_ROLE_FREE, PAGER_ROLE_FREE, PAGER_ROLE_FREE,
		PAGER_ROLE_FREE, PAGER_ROLE_FREE, PAGER_ROLE_FREE, PAGER_ROLE_FREE,
		PAGER_ROLE_BEYOND, PAGER_ROLE_BEYOND, PAGER_ROLE_BEYOND, PAGER_ROLE_BEYOND,
	};
	for (int i = 0; i < 20; i++)
		cr_assert_eq(roles[i], want[i], "page %d: %s, want %s", i, pager_role_name(roles[i]),
			     pager_role_name(want[i]));
	cr_assert_str_eq(pager_role_name(PAGER_ROLE_META_B), "meta B");
	cr_assert_str_eq(pager_role_name(PAGER_ROLE_BEYOND), "beyond");
	cr_assert_str_eq(pager_role_name((pager_role)99), "?");
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(iteration, strerror_names_every_code)
{
	for (int rc = 0; rc > -PAGER_ERR_COUNT; rc--)
		cr_assert(!strncmp(pager_strerror(rc), "PAGER_", 6), "%d: %s", rc, pager_strerror(rc));
	cr_assert(!strncmp(pager_strerror(PAGER_EIO), "PAGER_EIO:", 10));
	cr_assert(!strncmp(pager_strerror(PAGER_EINVAL), "PAGER_EINVAL:", 13));
	cr_assert(!strncmp(pager_strerror(1), "PAGER_E?", 8));
	cr_assert(!strncmp(pager_strerror(-PAGER_ERR_COUNT), "PAGER_E?", 8));
	TP_NO_LEAKS();
}
