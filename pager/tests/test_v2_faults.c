/* test_v2_faults.c — every fault point of format 2 (pager/src/faults.def, the rows after
 * "format 2"), failed through libfiu with an errno the test chooses, on real files
 * through the recording shim of test_faults.c's kind. Each test checks the error
 * returned, the state left in memory (rolled back, or fail-stop: every call refused with
 * PAGER_EUNAVAILABLE until reopened), the I/O calls made, and what a close + reopen
 * finds. With posix I/O and no power loss, bytes stored through the mapping are in the
 * page cache, so a reopen reads them: format 2 rolls its root slots back in the mapping
 * too, so a reopen after a rolled-back failure finds the state before the op.
 * Format 1's points are test_faults.c's; its table test counts both files. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

#if !TORNPAGE_FIU

TestSuite(v2_faults);

Test(v2_faults, skipped_without_libfiu)
{
	cr_skip_test("built with -DTORNPAGE_FIU=OFF: no fault can be injected");
}

#else
#include <fiu-control.h>
#include <fiu.h>

static tp_rec rec;

static void setup(void)
{
	tp_setup();
	cr_assert_eq(fiu_init(0), 0);
	tp_rec_init(&rec, NULL);
}

static void teardown(void)
{
	tp_rec_free(&rec);
	tp_teardown();
}

TestSuite(v2_faults, .init = setup, .fini = teardown);

/* Fail the next call at point `name` once, with errno err. */
static void arm(const char *name, int err)
{
	size_t n;
	const pager_fault_point *pts = pager_fault_points(&n);
	int known = 0;
	for (size_t i = 0; i < n; i++)
		known |= !strcmp(pts[i].name, name);
	cr_assert(known, "%s is not a fault point", name);
	cr_assert_eq(fiu_enable(name, 1, (void *)(intptr_t)err, FIU_ONETIME), 0);
}

static const char *file(void) { return tp_path("v2.pg"); }

/* A format 2 file of 1 KiB pages: root slots at pages 0, 4, 8, pages 0-8 reserved,
 * page 9 free (10 pages). */
#define PS 1024u
#define FIRST 9u
#define INITIAL 10u

static pager *mk(void)
{
	pager_create_opts o = PAGER_CREATE_OPTS_INIT;
	o.page_size_log2 = 10;
	o.format = PAGER_FORMAT_2;
	pager *p = NULL;
	TP_OK(pager_create_ext(file(), &o, tp_rec_io(&rec), &p));
	cr_assert_eq(pager_format(p), PAGER_FORMAT_2);
	return p;
}

static pager *reopen(pager *p)
{
	if (p)
		TP_OK(pager_close(p));
	pager *q = NULL;
	TP_OK(pager_open(file(), NULL, &q));
	cr_assert_eq(pager_format(q), PAGER_FORMAT_2);
	return q;
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

#define COUNTS(p, total, free_)                                                                   \
	do {                                                                                      \
		cr_assert_eq(pager_page_count(p), (uint64_t)(total), "page_count %llu, want %llu",   \
			     (unsigned long long)pager_page_count(p), (unsigned long long)(total));   \
		cr_assert_eq(pager_free_page_count(p), (uint64_t)(free_), "free %llu, want %llu",    \
			     (unsigned long long)pager_free_page_count(p), (unsigned long long)(free_)); \
	} while (0)

/* Fail-stop: every call refused until reopened; close still works. */
static void assert_stopped(pager *p)
{
	uint64_t n;
	uint8_t *d;
	const uint8_t *r;
	pager_pwrite w;
	TP_RC(pager_alloc(p, &n), PAGER_EUNAVAILABLE);
	TP_RC(pager_free(p, FIRST), PAGER_EUNAVAILABLE);
	TP_RC(pager_page(p, FIRST, &d), PAGER_EUNAVAILABLE);
	TP_RC(pager_alloc_protected(p, &n), PAGER_EUNAVAILABLE);
	TP_RC(pager_protected_read(p, 0, &r), PAGER_EUNAVAILABLE);
	TP_RC(pager_protected_begin(p, 0, &w), PAGER_EUNAVAILABLE);
}

/* The pager goes on: an alloc and a free work (and are undone). */
static void assert_working(pager *p)
{
	uint64_t before = pager_free_page_count(p), total = pager_page_count(p), n = alloc1(p);
	TP_OK(pager_free(p, n));
	cr_assert_eq(pager_free_page_count(p), before + (pager_page_count(p) - total));
}

/* ---- create ---- */

Test(v2_faults, create2_sync_fails_create_and_leaves_the_file_in_the_page_cache)
{
	pager_create_opts o = PAGER_CREATE_OPTS_INIT;
	o.page_size_log2 = 10;
	o.format = PAGER_FORMAT_2;
	pager *p = NULL;
	arm("pager/create2/sync", ENOSPC);
	TP_EIO(pager_create_ext(file(), &o, tp_rec_io(&rec), &p), ENOSPC);
	cr_assert_null(p);
	cr_assert_eq(tp_rec_count(&rec, TP_IO_FAULTED, "pager/create2/sync"), 1);
	cr_assert_eq(tp_rec_count(&rec, TP_IO_UNMAP, "pager/create/abort_unmap"), 1);
	cr_assert_eq(tp_rec_count(&rec, TP_IO_CLOSE, "pager/create/abort_close"), 1);
	cr_assert_eq(tp_file_size(file()), (long long)(INITIAL * PS));
	/* Not synced, but in the page cache: the file opens as a new one. */
	p = reopen(NULL);
	COUNTS(p, INITIAL, 1);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* ---- growth ---- */

Test(v2_faults, grow2_unmap_fails_the_alloc_and_stops_the_pager)
{
	pager *p = mk();
	cr_assert_eq(alloc1(p), FIRST);
	arm("pager/grow2/unmap", EINVAL);
	uint64_t n = UINT64_MAX;
	TP_EIO(pager_alloc(p, &n), EINVAL);
	cr_assert_eq(n, UINT64_MAX);
	COUNTS(p, INITIAL, 0); /* rolled back in memory, and stopped */
	assert_stopped(p);
	cr_assert_eq(tp_rec_count(&rec, TP_IO_SET_LEN, "pager/grow2/set_len"), 0);
	p = reopen(p);
	COUNTS(p, INITIAL, 0);
	TP_IDS_EQ(tp_pages(p), TP_IDS(FIRST));
	assert_working(p);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(v2_faults, grow2_set_len_fails_the_alloc_and_rolls_back)
{
	pager *p = mk();
	cr_assert_eq(alloc1(p), FIRST);
	arm("pager/grow2/set_len", ENOSPC);
	uint64_t n = UINT64_MAX;
	TP_EIO(pager_alloc(p, &n), ENOSPC);
	COUNTS(p, INITIAL, 0);
	cr_assert_eq(tp_file_size(file()), (long long)(INITIAL * PS));
	cr_assert_eq(tp_rec_count(&rec, TP_IO_MAP, "pager/grow2/restore_map"), 1);
	TP_IDS_EQ(tp_pages(p), TP_IDS(FIRST));
	/* Not stopped: the next alloc grows the file (10 -> 20 pages). */
	cr_assert_eq(alloc1(p), FIRST + 1);
	COUNTS(p, 2 * INITIAL, INITIAL - 1);
	p = reopen(p);
	COUNTS(p, 2 * INITIAL, INITIAL - 1);
	TP_IDS_EQ(tp_pages(p), TP_IDS(FIRST, FIRST + 1));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(v2_faults, grow2_restore_map_failing_too_stops_the_pager)
{
	pager *p = mk();
	cr_assert_eq(alloc1(p), FIRST);
	arm("pager/grow2/set_len", ENOSPC);
	arm("pager/grow2/restore_map", ENOMEM);
	uint64_t n;
	TP_EIO(pager_alloc(p, &n), ENOSPC); /* the set_len's errno: the first failure */
	assert_stopped(p);
	p = reopen(p);
	COUNTS(p, INITIAL, 0);
	TP_IDS_EQ(tp_pages(p), TP_IDS(FIRST));
	assert_working(p);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(v2_faults, grow2_map_stops_the_pager_and_the_longer_file_is_reused)
{
	pager *p = mk();
	cr_assert_eq(alloc1(p), FIRST);
	arm("pager/grow2/map", ENOMEM);
	uint64_t n;
	TP_EIO(pager_alloc(p, &n), ENOMEM);
	assert_stopped(p);
	/* The file was extended and is not shrunk back (format 2 never shrinks a file). */
	cr_assert_eq(tp_file_size(file()), (long long)(2 * INITIAL * PS));
	tp_rec_clear(&rec);
	TP_OK(pager_close(p));
	p = NULL;
	TP_OK(pager_open(file(), tp_rec_io(&rec), &p));
	COUNTS(p, INITIAL, 0); /* the root's count: the longer file is allowed */
	/* The next growth finds the room already there: no set_len. */
	cr_assert_eq(alloc1(p), FIRST + 1);
	COUNTS(p, 2 * INITIAL, INITIAL - 1);
	cr_assert_eq(tp_rec_count(&rec, TP_IO_SET_LEN, NULL), 0);
	p = reopen(p);
	COUNTS(p, 2 * INITIAL, INITIAL - 1);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* ---- steps before the commit point: roll back, go on ---- */

Test(v2_faults, palloc2_zero_sync_fails_palloc_and_rolls_back)
{
	pager *p = mk();
	arm("pager/palloc2/zero_sync", EIO);
	uint64_t id = UINT64_MAX;
	TP_EIO(pager_alloc_protected(p, &id), EIO);
	cr_assert_eq(id, UINT64_MAX);
	COUNTS(p, INITIAL, 1); /* the grow is undone in memory too */
	TP_IDS_EMPTY(tp_protected(p));
	cr_assert_eq(tp_rec_count(&rec, TP_IO_SYNC, "pager/commit2/root1_sync"), 0);
	/* Goes on: the same palloc succeeds, id 0, a zero page. */
	cr_assert_eq(palloc1(p), 0);
	cr_assert(tp_protected_is_zero(p, 0));
	p = reopen(p);
	TP_IDS_EQ(tp_protected(p), TP_IDS(0));
	cr_assert(tp_protected_is_zero(p, 0));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(v2_faults, dir1_sync_fails_palloc_and_rolls_back)
{
	pager *p = mk();
	arm("pager/dircommit2/dir1_sync", EIO);
	uint64_t id;
	TP_EIO(pager_alloc_protected(p, &id), EIO);
	COUNTS(p, INITIAL, 1);
	TP_IDS_EMPTY(tp_protected(p));
	TP_IDS_EMPTY(tp_pages(p));
	assert_working(p);
	p = reopen(p);
	COUNTS(p, INITIAL, 1);
	TP_IDS_EMPTY(tp_protected(p));
	cr_assert_eq(palloc1(p), 0);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(v2_faults, dir2_sync_fails_a_protected_write_and_keeps_the_old_content)
{
	pager *p = mk();
	uint64_t id = palloc1(p);
	TP_OK(tp_pwrite(p, id, 5));
	arm("pager/dircommit2/dir2_sync", EIO);
	TP_EIO(tp_pwrite(p, id, 6), EIO);
	cr_assert(tp_protected_is(p, id, 5));
	pager_protected_info info;
	TP_OK(pager_protected_info_get(p, id, &info));
	cr_assert_eq(info.generation, 1);
	/* Goes on: the write succeeds now. */
	TP_OK(tp_pwrite(p, id, 7));
	p = reopen(p);
	cr_assert(tp_protected_is(p, id, 7));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(v2_faults, data_sync_fails_the_commit_and_spends_the_writer)
{
	pager *p = mk();
	uint64_t id = palloc1(p);
	pager_pwrite w;
	TP_OK(pager_protected_begin(p, id, &w));
	tp_fill(w.data, PS, 9);
	arm("pager/protcommit2/data_sync", EIO);
	TP_EIO(pager_protected_commit(p, &w), EIO);
	TP_RC(pager_protected_commit(p, &w), PAGER_EINVAL);
	cr_assert(tp_protected_is_zero(p, id));
	cr_assert_eq(tp_rec_count(&rec, TP_IO_SYNC, "pager/dircommit2/dir1_sync"), 1); /* palloc's only */
	p = reopen(p);
	cr_assert(tp_protected_is_zero(p, id));
	TP_OK(tp_pwrite(p, id, 3));
	cr_assert(tp_protected_is(p, id, 3));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* ---- the root commit: rollback of the slots, or fail-stop ---- */

Test(v2_faults, root1_sync_fails_free_and_the_slot_is_rolled_back)
{
	pager *p = mk();
	cr_assert_eq(alloc1(p), FIRST);
	tp_rec_clear(&rec);
	arm("pager/commit2/root1_sync", EIO);
	TP_EIO(pager_free(p, FIRST), EIO);
	TP_IDS_EQ(tp_pages(p), TP_IDS(FIRST));
	COUNTS(p, INITIAL, 0);
	/* The slot it wrote was rewritten with the last commit and synced; nothing else. */
	size_t f = (size_t)tp_rec_find(&rec, TP_IO_FAULTED, "pager/commit2/root1_sync", 0);
	size_t r = (size_t)tp_rec_find(&rec, TP_IO_SYNC, "pager/commit2/rollback_sync", 0);
	cr_assert_gt(r, f);
	cr_assert_eq(rec.calls[r].off, rec.calls[f].off, "the rollback syncs the failed slot");
	cr_assert_eq(tp_rec_count(&rec, TP_IO_SYNC, "pager/commit2/root2_sync"), 0);
	assert_working(p);
	p = reopen(p);
	TP_IDS_EQ(tp_pages(p), TP_IDS(FIRST));
	TP_OK(pager_free(p, FIRST));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(v2_faults, root2_sync_fails_alloc_and_both_slots_are_rolled_back)
{
	pager *p = mk();
	tp_rec_clear(&rec);
	arm("pager/commit2/root2_sync", ENOSPC);
	uint64_t n = UINT64_MAX;
	TP_EIO(pager_alloc(p, &n), ENOSPC);
	cr_assert_eq(n, UINT64_MAX);
	COUNTS(p, INITIAL, 1);
	TP_IDS_EMPTY(tp_pages(p));
	cr_assert_eq(tp_rec_count(&rec, TP_IO_SYNC, "pager/commit2/root1_sync"), 1);
	cr_assert_eq(tp_rec_count(&rec, TP_IO_SYNC, "pager/commit2/rollback_sync"), 2);
	assert_working(p);
	p = reopen(p);
	COUNTS(p, INITIAL, 1);
	TP_IDS_EMPTY(tp_pages(p));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(v2_faults, rollback_sync_failing_too_stops_the_pager)
{
	pager *p = mk();
	uint64_t id = palloc1(p);
	TP_OK(tp_pwrite(p, id, 4));
	arm("pager/commit2/root1_sync", EIO);
	arm("pager/commit2/rollback_sync", EROFS);
	TP_EIO(tp_pwrite(p, id, 8), EIO); /* the root sync's errno, not the rollback's */
	assert_stopped(p);
	COUNTS(p, 2 * INITIAL, 2 * INITIAL - FIRST - 6);
	/* No power loss: the page cache holds the rolled-back slot, so a reopen finds the
	 * state before the write. On power loss either state may be on disk (simdisk). */
	p = reopen(p);
	cr_assert(tp_protected_is(p, id, 4));
	TP_OK(tp_pwrite(p, id, 8));
	cr_assert(tp_protected_is(p, id, 8));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

#endif
