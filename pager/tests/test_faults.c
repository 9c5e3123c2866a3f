/* test_faults.c — every fault point of pager/src/faults.def, failed through libfiu with
 * an errno the test chooses (failinfo), on real files through a recording shim. Each
 * test checks the error returned, the state left in memory, the I/O calls made, and
 * what a close + reopen finds. Not crash states: with posix I/O and no power loss, what
 * a failed msync did not sync is still in the page cache, so a reopen reads it; what
 * survives power loss is simdisk's business (harness/). Where the seed changes memory
 * before its commit the test asserts the seed's behaviour and says so ("F-ATOMIC" is
 * how the fault matrix reports it). Criterion runs each test in its own process, so
 * libfiu's state never leaks from one test to the next. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>

#include <errno.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

#if TORNPAGE_FIU
#include <fiu-control.h>
#include <fiu.h>
#endif

/* Every point this file fails (with an arm() call below). The table test compares it
 * with pager_fault_points(), so a new point without a test fails the suite. */
static const char *const exercised[] = {
	"pager/create/open",       "pager/create/set_len",       "pager/create/map",
	"pager/create/sync",       "pager/create/abort_unmap",   "pager/create/abort_close",
	"pager/open/open",         "pager/open/size",            "pager/open/map",
	"pager/open/abort_unmap",  "pager/open/abort_close",     "pager/close/unmap",
	"pager/close/close",       "pager/grow/unmap",           "pager/grow/set_len",
	"pager/grow/restore_map",  "pager/grow/map",             "pager/grow/rollback_set_len",
	"pager/commit/meta_sync",  "pager/commit/sb_sync",       "pager/dircommit/dir_sync",
	"pager/dircommit/sb_sync", "pager/protcommit/data_sync",
	/* format 2's points are failed in test_v2_faults.c */
	"pager/create2/sync",          "pager/grow2/unmap",          "pager/grow2/set_len",
	"pager/grow2/restore_map",     "pager/grow2/map",            "pager/palloc2/zero_sync",
	"pager/dircommit2/dir1_sync",  "pager/dircommit2/dir2_sync", "pager/protcommit2/data_sync",
	"pager/commit2/root1_sync",    "pager/commit2/root2_sync",   "pager/commit2/rollback_sync",
};
#define N_EXERCISED (sizeof exercised / sizeof exercised[0])

static int in_exercised(const char *name)
{
	for (size_t i = 0; i < N_EXERCISED; i++)
		if (!strcmp(exercised[i], name))
			return 1;
	return 0;
}

static int in_table(const char *name)
{
	size_t n;
	const pager_fault_point *pts = pager_fault_points(&n);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(pts[i].name, name))
			return 1;
	return 0;
}

/* ---- the table itself (no libfiu needed) ------------------------------------------ */

TestSuite(fault_table);

Test(fault_table, names_are_pager_operation_step)
{
	regex_t re;
	cr_assert_eq(regcomp(&re, "^pager/[a-z0-9]+/[a-z0-9_]+$", REG_EXTENDED | REG_NOSUB), 0);
	size_t n;
	const pager_fault_point *pts = pager_fault_points(&n);
	cr_assert_gt(n, 0);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(regexec(&re, pts[i].name, 0, NULL, 0), 0, "bad point name '%s'", pts[i].name);
		cr_assert(pts[i].io && pts[i].step && pts[i].on_disk && *pts[i].step && *pts[i].on_disk,
			  "%s: incomplete row", pts[i].name);
		static const char *const ios[] = {"open", "size", "set_len", "map", "unmap", "sync", "close"};
		int known = 0;
		for (size_t k = 0; k < sizeof ios / sizeof ios[0]; k++)
			known |= !strcmp(pts[i].io, ios[k]);
		cr_assert(known, "%s: unknown pager_io method '%s'", pts[i].name, pts[i].io);
		for (size_t j = 0; j < i; j++)
			cr_assert_str_neq(pts[i].name, pts[j].name, "duplicate point");
	}
	regfree(&re);
}

Test(fault_table, every_point_is_failed_by_a_test_in_this_file)
{
	size_t n;
	const pager_fault_point *pts = pager_fault_points(&n);
	for (size_t i = 0; i < n; i++)
		cr_assert(in_exercised(pts[i].name), "fault point %s has no test in test_faults.c", pts[i].name);
	for (size_t i = 0; i < N_EXERCISED; i++)
		cr_assert(in_table(exercised[i]), "%s is not in the fault table", exercised[i]);
	cr_assert_eq(n, N_EXERCISED);

	/* And the list is honest: each name is armed somewhere in this file's source, or for
	 * format 2's points in test_v2_faults.c's. */
	char *text[2];
	static const char *const files[2] = {"test_faults.c", "test_v2_faults.c"};
	for (int f = 0; f < 2; f++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/pager/tests/%s", TORNPAGE_SOURCE_DIR, files[f]);
		size_t len;
		uint8_t *src = tp_read_file(path, &len);
		cr_assert_not_null(src, "cannot read %s", path);
		text[f] = malloc(len + 1);
		cr_assert_not_null(text[f]);
		memcpy(text[f], src, len);
		text[f][len] = 0;
		free(src);
	}
	for (size_t i = 0; i < N_EXERCISED; i++) {
		char needle[128];
		snprintf(needle, sizeof needle, "arm(\"%s\"", exercised[i]);
		cr_assert(strstr(text[0], needle) || strstr(text[1], needle),
			  "no arm(\"%s\", ...) in test_faults.c or test_v2_faults.c", exercised[i]);
	}
	free(text[0]);
	free(text[1]);
}

/* docs/fault-points.md names every point of the table and no other pager/<op>/<step>
 * name. A mention is a maximal run of [A-Za-z0-9_/.*-] starting with "pager/", trailing
 * dots removed, that matches the point-name pattern ("pager/src/faults.def" and
 * globs such as pager/commit/<star> do not). */
Test(fault_table, docs_fault_points_md_lists_exactly_the_table)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/docs/fault-points.md", TORNPAGE_SOURCE_DIR);
	size_t len;
	uint8_t *raw = tp_read_file(path, &len);
	cr_assert_not_null(raw, "cannot read %s", path);
	char *doc = malloc(len + 1);
	cr_assert_not_null(doc);
	memcpy(doc, raw, len);
	doc[len] = 0;
	free(raw);

	regex_t re;
	cr_assert_eq(regcomp(&re, "^pager/[a-z0-9]+/[a-z0-9_]+$", REG_EXTENDED | REG_NOSUB), 0);
	size_t n;
	const pager_fault_point *pts = pager_fault_points(&n);
	int *seen = calloc(n, sizeof *seen);
	cr_assert_not_null(seen);
	for (char *s = doc; (s = strstr(s, "pager/")); ) {
		if (s > doc && (strchr("_/.*-", s[-1]) || (s[-1] >= 'a' && s[-1] <= 'z') ||
				(s[-1] >= 'A' && s[-1] <= 'Z') || (s[-1] >= '0' && s[-1] <= '9'))) {
			s += 6;
			continue;
		}
		size_t k = 0;
		while (s[k] && (strchr("_/.*-", s[k]) || (s[k] >= 'a' && s[k] <= 'z') ||
				(s[k] >= 'A' && s[k] <= 'Z') || (s[k] >= '0' && s[k] <= '9')))
			k++;
		while (k > 6 && s[k - 1] == '.')
			k--;
		char tok[128];
		snprintf(tok, sizeof tok, "%.*s", (int)(k < sizeof tok - 1 ? k : sizeof tok - 1), s);
		s += k;
		if (regexec(&re, tok, 0, NULL, 0) != 0)
			continue;
		int found = 0;
		for (size_t i = 0; i < n; i++)
			if (!strcmp(pts[i].name, tok))
				seen[i] = found = 1;
		cr_assert(found, "docs/fault-points.md names %s, which is not a fault point", tok);
	}
	for (size_t i = 0; i < n; i++)
		cr_assert(seen[i], "docs/fault-points.md does not mention %s", pts[i].name);
	/* One table row per point, in faults.def order. */
	const char *at = doc;
	for (size_t i = 0; i < n; i++) {
		char row[160];
		snprintf(row, sizeof row, "| `%s` |", pts[i].name);
		const char *r = strstr(at, row);
		cr_assert_not_null(r, "no table row '%s' after the previous one", row);
		at = r + strlen(row);
	}
	free(seen);
	free(doc);
	regfree(&re);
}

#if !TORNPAGE_FIU

TestSuite(faults);

Test(faults, skipped_without_libfiu)
{
	cr_skip_test("built with -DTORNPAGE_FIU=OFF: the pager's fault points compile to nothing, "
		     "so no fault can be injected; rebuild with TORNPAGE_FIU=ON to run them");
}

#else

/* ---- helpers ----------------------------------------------------------------------- */

static tp_rec rec;

static void fault_setup(void)
{
	tp_setup();
	cr_assert_eq(fiu_init(0), 0);
	tp_rec_init(&rec, NULL);
}

static void fault_teardown(void)
{
	tp_rec_free(&rec);
	tp_teardown();
}

/* Fail the next call at point `name` once, with errno err. */
static void arm(const char *name, int err)
{
	cr_assert(in_table(name), "%s is not a fault point", name);
	cr_assert_eq(fiu_enable(name, 1, (void *)(intptr_t)err, FIU_ONETIME), 0);
}

static const char *file(void) { return tp_path("f.pg"); }

static pager *mk(void)
{
	pager *p = NULL;
	TP_OK(pager_create(file(), 10, tp_rec_io(&rec), &p));
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

static pager *reopen(pager *p)
{
	if (p)
		TP_OK(pager_close(p));
	pager *q = NULL;
	TP_OK(pager_open(file(), NULL, &q));
	return q;
}

#define COUNTS(p, total, free_)                                                             \
	do {                                                                                \
		cr_assert_eq(pager_page_count(p), (uint64_t)(total), "page_count %llu, want %llu", \
			     (unsigned long long)pager_page_count(p), (unsigned long long)(total)); \
		cr_assert_eq(pager_free_page_count(p), (uint64_t)(free_), "free_page_count %llu, want %llu", \
			     (unsigned long long)pager_free_page_count(p), (unsigned long long)(free_)); \
	} while (0)

/* The index of the first call (method m at step) at or after `from`; fails if none. */
static size_t call_at(tp_io_method m, const char *step, size_t from)
{
	long i = tp_rec_find(&rec, m, step, from);
	if (i < 0)
		tp_rec_dump(&rec, stderr);
	cr_assert_geq(i, 0, "no %s call at %s (from #%zu)", tp_io_method_name(m), step, from);
	return (size_t)i;
}

static void no_call(tp_io_method m, const char *step)
{
	size_t c = tp_rec_count(&rec, m, step);
	if (c)
		tp_rec_dump(&rec, stderr);
	cr_assert_eq(c, 0, "unexpected %s call at %s", tp_io_method_name(m), step ? step : "any step");
}

/* ---- create ------------------------------------------------------------------------ */

TestSuite(fault_create, .init = fault_setup, .fini = fault_teardown);

Test(fault_create, open_failure_returns_the_errno_and_leaves_no_file)
{
	arm("pager/create/open", ENOSPC);
	pager *p = NULL;
	TP_EIO(pager_create(file(), 10, tp_rec_io(&rec), &p), ENOSPC);
	cr_assert_null(p);
	cr_assert(!tp_file_exists(file()));
	cr_assert_eq(rec.n, 1);
	call_at(TP_IO_FAULTED, "pager/create/open", 0);
	/* Nothing is left to undo, and a second try works. */
	TP_OK(pager_create(file(), 10, NULL, &p));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* An injected EEXIST is reported as the file existing, as a real one would be. */
Test(fault_create, open_failure_with_eexist_is_pager_eexists)
{
	arm("pager/create/open", EEXIST);
	pager *p = NULL;
	TP_RC(pager_create(file(), 10, NULL, &p), PAGER_EEXISTS);
	cr_assert(!tp_file_exists(file()));
	TP_NO_LEAKS();
}

Test(fault_create, set_len_failure_leaves_an_empty_file_behind)
{
	arm("pager/create/set_len", EFBIG);
	pager *p = NULL;
	TP_EIO(pager_create(file(), 10, tp_rec_io(&rec), &p), EFBIG);
	cr_assert_null(p);
	size_t i = call_at(TP_IO_FAULTED, "pager/create/set_len", 0);
	call_at(TP_IO_CLOSE, "pager/create/abort_close", i);
	no_call(TP_IO_MAP, NULL);
	no_call(TP_IO_UNMAP, NULL);
	/* The seed does not remove what it created: an empty file stays. It opens as
	 * CorruptSuperblock (fewer than 20 bytes), refused before any mapping. */
	cr_assert_eq(tp_file_size(file()), 0);
	TP_RC(pager_create(file(), 10, NULL, &p), PAGER_EEXISTS);
	tp_rec_clear(&rec);
	TP_RC(pager_open(file(), tp_rec_io(&rec), &p), PAGER_ECORRUPT_SUPERBLOCK);
	cr_assert_null(p);
	size_t j = call_at(TP_IO_SIZE, "pager/open/size", 0);
	call_at(TP_IO_CLOSE, "pager/open/abort_close", j);
	no_call(TP_IO_MAP, NULL);
	TP_NO_LEAKS();
}

Test(fault_create, map_failure_leaves_four_zero_pages_behind)
{
	arm("pager/create/map", ENOMEM);
	pager *p = NULL;
	TP_EIO(pager_create(file(), 10, tp_rec_io(&rec), &p), ENOMEM);
	size_t i = call_at(TP_IO_SET_LEN, "pager/create/set_len", 0);
	cr_assert_eq(rec.calls[i].len, 4096);
	i = call_at(TP_IO_FAULTED, "pager/create/map", i);
	call_at(TP_IO_CLOSE, "pager/create/abort_close", i);
	no_call(TP_IO_UNMAP, NULL);
	size_t len;
	uint8_t *img = tp_read_file(file(), &len);
	cr_assert_eq(len, 4096);
	cr_assert(tp_is_zero(img, len));
	free(img);
	TP_RC(pager_open(file(), NULL, &p), PAGER_ECORRUPT_SUPERBLOCK);
	TP_RC(pager_create(file(), 10, NULL, &p), PAGER_EEXISTS);
	TP_NO_LEAKS();
}

/* The metadata and page 0 were written through the mapping before the failed msync:
 * they sit in the page cache, so without a power loss a reopen finds a fresh file. */
Test(fault_create, sync_failure_leaves_a_file_that_opens_from_the_page_cache)
{
	arm("pager/create/sync", EROFS);
	pager *p = NULL;
	TP_EIO(pager_create(file(), 10, tp_rec_io(&rec), &p), EROFS);
	cr_assert_null(p);
	size_t i = call_at(TP_IO_FAULTED, "pager/create/sync", 0);
	cr_assert_eq(rec.calls[i].off, 0);
	cr_assert_eq(rec.calls[i].len, 4096);
	i = call_at(TP_IO_UNMAP, "pager/create/abort_unmap", i);
	call_at(TP_IO_CLOSE, "pager/create/abort_close", i);
	cr_assert_eq(tp_file_size(file()), 4096);
	TP_RC(pager_create(file(), 10, NULL, &p), PAGER_EEXISTS);
	p = reopen(NULL);
	COUNTS(p, 4, 1);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* Errors while undoing a failed create are ignored (the seed's drop): the first error
 * is the one returned. */
Test(fault_create, abort_unmap_failure_is_ignored_and_the_first_error_returned)
{
	arm("pager/create/sync", ENOSPC);
	arm("pager/create/abort_unmap", EBUSY);
	pager *p = NULL;
	TP_EIO(pager_create(file(), 10, tp_rec_io(&rec), &p), ENOSPC);
	size_t i = call_at(TP_IO_FAULTED, "pager/create/abort_unmap", 0);
	cr_assert_eq(rec.calls[i].rc, EBUSY);
	call_at(TP_IO_CLOSE, "pager/create/abort_close", i); /* the close is still made */
	cr_assert_eq(tp_file_size(file()), 4096);
	TP_NO_LEAKS();
}

Test(fault_create, abort_close_failure_is_ignored_and_the_first_error_returned)
{
	arm("pager/create/set_len", EDQUOT);
	arm("pager/create/abort_close", EBADF);
	pager *p = NULL;
	TP_EIO(pager_create(file(), 10, tp_rec_io(&rec), &p), EDQUOT);
	size_t i = call_at(TP_IO_FAULTED, "pager/create/set_len", 0);
	i = call_at(TP_IO_FAULTED, "pager/create/abort_close", i);
	cr_assert_eq(rec.calls[i].rc, EBADF);
	cr_assert_eq(tp_file_size(file()), 0);
	TP_RC(pager_create(file(), 10, NULL, &p), PAGER_EEXISTS);
	TP_NO_LEAKS();
}

/* ---- open -------------------------------------------------------------------------- */

TestSuite(fault_open, .init = fault_setup, .fini = fault_teardown);

/* A file with page 3 allocated and filled with pattern 33. */
static void make_file(void)
{
	pager *p = mk();
	cr_assert_eq(alloc1(p), 3);
	TP_OK(tp_fill_page(p, 3, 33));
	TP_OK(pager_close(p));
	tp_rec_clear(&rec);
}

static void expect_made_file(void)
{
	pager *p = reopen(NULL);
	COUNTS(p, 4, 0);
	TP_IDS_EQ(tp_pages(p), TP_IDS(3));
	cr_assert(tp_page_is(p, 3, 33));
	TP_OK(pager_close(p));
}

Test(fault_open, open_failure_returns_the_errno)
{
	make_file();
	arm("pager/open/open", EACCES);
	pager *p = NULL;
	TP_EIO(pager_open(file(), tp_rec_io(&rec), &p), EACCES);
	cr_assert_null(p);
	cr_assert_eq(rec.n, 1);
	call_at(TP_IO_FAULTED, "pager/open/open", 0);
	expect_made_file();
	TP_NO_LEAKS();
}

Test(fault_open, size_failure_returns_the_errno_and_closes_the_file)
{
	make_file();
	arm("pager/open/size", EOVERFLOW);
	pager *p = NULL;
	TP_EIO(pager_open(file(), tp_rec_io(&rec), &p), EOVERFLOW);
	cr_assert_null(p);
	size_t i = call_at(TP_IO_FAULTED, "pager/open/size", 0);
	call_at(TP_IO_CLOSE, "pager/open/abort_close", i);
	no_call(TP_IO_MAP, NULL);
	no_call(TP_IO_UNMAP, NULL);
	expect_made_file();
	TP_NO_LEAKS();
}

Test(fault_open, map_failure_returns_the_errno_and_closes_the_file)
{
	make_file();
	arm("pager/open/map", ENODEV);
	pager *p = NULL;
	TP_EIO(pager_open(file(), tp_rec_io(&rec), &p), ENODEV);
	size_t i = call_at(TP_IO_FAULTED, "pager/open/map", 0);
	call_at(TP_IO_CLOSE, "pager/open/abort_close", i);
	no_call(TP_IO_UNMAP, NULL);
	expect_made_file();
	TP_NO_LEAKS();
}

/* No I/O follows the map in open, so abort_unmap is only reached when open refuses
 * the file: the refusal is returned, the unmap's errno is never reported. */
Test(fault_open, abort_unmap_failure_is_ignored_and_the_refusal_returned)
{
	make_file();
	cr_assert_eq(tp_patch_file(file(), 0, "XXXX", 4), 0);
	pager *p = NULL;
	TP_EIO(pager_open(tp_path("missing"), NULL, &p), ENOENT); /* a known last errno */
	arm("pager/open/abort_unmap", EBUSY);
	TP_RC(pager_open(file(), tp_rec_io(&rec), &p), PAGER_ECORRUPT_SUPERBLOCK);
	cr_assert_null(p);
	cr_assert_eq(pager_last_errno(), ENOENT, "the ignored unmap error must not be recorded");
	size_t i = call_at(TP_IO_FAULTED, "pager/open/abort_unmap", 0);
	cr_assert_eq(rec.calls[i].rc, EBUSY);
	call_at(TP_IO_CLOSE, "pager/open/abort_close", i);
	cr_assert_eq(tp_file_size(file()), 4096);
	TP_NO_LEAKS();
}

Test(fault_open, abort_close_failure_is_ignored_and_the_first_error_returned)
{
	make_file();
	arm("pager/open/map", ENOMEM);
	arm("pager/open/abort_close", EINTR);
	pager *p = NULL;
	TP_EIO(pager_open(file(), tp_rec_io(&rec), &p), ENOMEM);
	size_t i = call_at(TP_IO_FAULTED, "pager/open/map", 0);
	i = call_at(TP_IO_FAULTED, "pager/open/abort_close", i);
	cr_assert_eq(rec.calls[i].rc, EINTR);
	expect_made_file();
	TP_NO_LEAKS();
}

/* ---- close ------------------------------------------------------------------------- */

TestSuite(fault_close, .init = fault_setup, .fini = fault_teardown);

/* close reports the error but frees the pager all the same (LSan checks that in the
 * sanitizer build); the file holds the last commit. */
Test(fault_close, unmap_failure_returns_the_errno_and_still_closes)
{
	make_file();
	pager *p = NULL;
	TP_OK(pager_open(file(), tp_rec_io(&rec), &p));
	arm("pager/close/unmap", EINVAL);
	TP_EIO(pager_close(p), EINVAL);
	size_t i = call_at(TP_IO_FAULTED, "pager/close/unmap", 0);
	call_at(TP_IO_CLOSE, "pager/close/close", i);
	expect_made_file();
	TP_NO_LEAKS();
}

Test(fault_close, close_failure_returns_the_errno)
{
	make_file();
	pager *p = NULL;
	TP_OK(pager_open(file(), tp_rec_io(&rec), &p));
	arm("pager/close/close", EIO);
	TP_EIO(pager_close(p), EIO);
	size_t i = call_at(TP_IO_UNMAP, "pager/close/unmap", 0);
	call_at(TP_IO_FAULTED, "pager/close/close", i);
	expect_made_file();
	TP_NO_LEAKS();
}

Test(fault_close, when_both_fail_the_unmap_errno_is_returned)
{
	make_file();
	pager *p = NULL;
	TP_OK(pager_open(file(), tp_rec_io(&rec), &p));
	arm("pager/close/unmap", ENOMEM);
	arm("pager/close/close", EIO);
	TP_EIO(pager_close(p), ENOMEM);
	call_at(TP_IO_FAULTED, "pager/close/close", 0);
	expect_made_file();
	TP_NO_LEAKS();
}

/* ---- grow -------------------------------------------------------------------------- */

TestSuite(fault_grow, .init = fault_setup, .fini = fault_teardown);

/* A fresh file with page 3 allocated and filled: the next alloc must grow 4 -> 8. */
static pager *full_file(void)
{
	pager *p = mk();
	cr_assert_eq(alloc1(p), 3);
	TP_OK(tp_fill_page(p, 3, 33));
	COUNTS(p, 4, 0);
	tp_rec_clear(&rec);
	return p;
}

/* The seed drops its mapping and ignores the error: the op succeeds and the error is
 * lost. The fault matrix reports F-SILENT here (a fault that changed nothing visible
 * and was not reported); the old mapping is never unmapped. */
Test(fault_grow, unmap_failure_is_ignored_and_the_alloc_succeeds)
{
	pager *p = full_file();
	TP_EIO(pager_open(tp_path("missing"), NULL, &(pager *){NULL}), ENOENT);
	arm("pager/grow/unmap", EINVAL);
	cr_assert_eq(alloc1(p), 4);
	COUNTS(p, 8, 3);
	cr_assert_eq(pager_last_errno(), ENOENT, "the ignored error must not be recorded");
	size_t i = call_at(TP_IO_FAULTED, "pager/grow/unmap", 0);
	i = call_at(TP_IO_SET_LEN, "pager/grow/set_len", i);
	cr_assert_eq(rec.calls[i].len, 8192);
	call_at(TP_IO_MAP, "pager/grow/map", i);
	no_call(TP_IO_UNMAP, "pager/grow/unmap");
	cr_assert(tp_page_is(p, 3, 33));
	p = reopen(p);
	COUNTS(p, 8, 3);
	TP_IDS_EQ(tp_pages(p), TP_IDS(3, 4));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(fault_grow, set_len_failure_restores_the_mapping_and_the_pager_stays_usable)
{
	pager *p = full_file();
	arm("pager/grow/set_len", ENOSPC);
	uint64_t n = UINT64_MAX;
	TP_EIO(pager_alloc(p, &n), ENOSPC);
	cr_assert_eq(n, UINT64_MAX);
	/* Nothing changed: the grow failed before the bitmap did. */
	COUNTS(p, 4, 0);
	TP_IDS_EQ(tp_pages(p), TP_IDS(3));
	cr_assert(tp_page_is(p, 3, 33));
	cr_assert_eq(tp_file_size(file()), 4096);
	size_t i = call_at(TP_IO_UNMAP, "pager/grow/unmap", 0);
	i = call_at(TP_IO_FAULTED, "pager/grow/set_len", i);
	i = call_at(TP_IO_MAP, "pager/grow/restore_map", i);
	cr_assert_eq(rec.calls[i].len, 4096);
	cr_assert_eq(rec.calls[i].rc, 0);
	no_call(TP_IO_MAP, "pager/grow/map");
	no_call(TP_IO_SYNC, NULL); /* no commit */
	/* Usable: the next alloc grows and commits. */
	cr_assert_eq(alloc1(p), 4);
	COUNTS(p, 8, 3);
	p = reopen(p);
	COUNTS(p, 8, 3);
	TP_IDS_EQ(tp_pages(p), TP_IDS(3, 4));
	cr_assert(tp_page_is(p, 3, 33));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(fault_grow, set_len_failure_leaves_the_file_at_the_last_commit)
{
	pager *p = full_file();
	arm("pager/grow/set_len", ENOSPC);
	uint64_t n;
	TP_EIO(pager_alloc(p, &n), ENOSPC);
	p = reopen(p);
	COUNTS(p, 4, 0);
	TP_IDS_EQ(tp_pages(p), TP_IDS(3));
	cr_assert(tp_page_is(p, 3, 33));
	TP_OK(pager_close(p));
	cr_assert_eq(tp_file_size(file()), 4096);
	TP_NO_LEAKS();
}

/* set_len fails and so does mapping the old length again: the map's errno is
 * returned (as the seed's map_err(Io)) and the pager has no mapping (Unavailable). */
Test(fault_grow, restore_map_failure_leaves_the_pager_unavailable)
{
	pager *p = full_file();
	arm("pager/grow/set_len", ENOSPC);
	arm("pager/grow/restore_map", ENOMEM);
	uint64_t n = UINT64_MAX;
	TP_EIO(pager_alloc(p, &n), ENOMEM);
	size_t i = call_at(TP_IO_FAULTED, "pager/grow/set_len", 0);
	call_at(TP_IO_FAULTED, "pager/grow/restore_map", i);
	COUNTS(p, 4, 0);
	uint8_t *d;
	const uint8_t *cd;
	pager_pwrite w;
	TP_RC(pager_page(p, 3, &d), PAGER_EUNAVAILABLE);
	/* free and alloc reach their commit and stop there; the seed has already changed
	 * the bitmap by then (F-ATOMIC): free's bit clear is undone by alloc's. */
	TP_RC(pager_free(p, 3), PAGER_EUNAVAILABLE);
	COUNTS(p, 4, 1);
	TP_IDS_EMPTY(tp_pages(p));
	TP_RC(pager_alloc(p, &n), PAGER_EUNAVAILABLE);
	cr_assert_eq(n, UINT64_MAX);
	COUNTS(p, 4, 0);
	/* Calls that fail on their arguments first still say so. */
	TP_RC(pager_page(p, 9, &d), PAGER_EOUT_OF_BOUNDS);
	TP_RC(pager_protected_read(p, 0, &cd), PAGER_EOUT_OF_BOUNDS);
	TP_RC(pager_protected_begin(p, 0, &w), PAGER_EOUT_OF_BOUNDS);
	/* close has no mapping to drop; reopening works and finds the last commit. */
	tp_rec_clear(&rec);
	TP_OK(pager_close(p));
	no_call(TP_IO_UNMAP, NULL);
	call_at(TP_IO_CLOSE, "pager/close/close", 0);
	p = reopen(NULL);
	COUNTS(p, 4, 0);
	TP_IDS_EQ(tp_pages(p), TP_IDS(3));
	cr_assert(tp_page_is(p, 3, 33));
	TP_OK(pager_close(p));
	cr_assert_eq(tp_file_size(file()), 4096);
	TP_NO_LEAKS();
}

/* Unavailable is not sticky, in the seed either: an alloc that finds no free page
 * grows, and grow maps the file again without looking at the missing mapping. */
Test(fault_grow, an_unavailable_pager_revives_when_an_alloc_grows)
{
	pager *p = full_file();
	arm("pager/grow/set_len", ENOSPC);
	arm("pager/grow/restore_map", ENOMEM);
	uint64_t n;
	TP_EIO(pager_alloc(p, &n), ENOMEM);
	uint8_t *d;
	TP_RC(pager_page(p, 3, &d), PAGER_EUNAVAILABLE);
	tp_rec_clear(&rec);
	cr_assert_eq(alloc1(p), 4);
	no_call(TP_IO_UNMAP, NULL); /* there was nothing to unmap */
	call_at(TP_IO_MAP, "pager/grow/map", 0);
	COUNTS(p, 8, 3);
	cr_assert(tp_page_is(p, 3, 33));
	p = reopen(p);
	COUNTS(p, 8, 3);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* The file was doubled but cannot be mapped: the seed shrinks it back (best effort)
 * and stays Unavailable. */
Test(fault_grow, map_failure_rolls_the_file_back_and_leaves_the_pager_unavailable)
{
	pager *p = full_file();
	arm("pager/grow/map", ENOMEM);
	uint64_t n = UINT64_MAX;
	TP_EIO(pager_alloc(p, &n), ENOMEM);
	cr_assert_eq(n, UINT64_MAX);
	size_t i = call_at(TP_IO_SET_LEN, "pager/grow/set_len", 0);
	cr_assert_eq(rec.calls[i].len, 8192);
	i = call_at(TP_IO_FAULTED, "pager/grow/map", i);
	i = call_at(TP_IO_SET_LEN, "pager/grow/rollback_set_len", i);
	cr_assert_eq(rec.calls[i].len, 4096);
	cr_assert_eq(rec.calls[i].rc, 0);
	no_call(TP_IO_MAP, "pager/grow/restore_map");
	cr_assert_eq(tp_file_size(file()), 4096);
	COUNTS(p, 4, 0);
	uint8_t *d;
	TP_RC(pager_page(p, 3, &d), PAGER_EUNAVAILABLE);
	TP_RC(pager_free(p, 3), PAGER_EUNAVAILABLE);
	p = reopen(p);
	COUNTS(p, 4, 0);
	TP_IDS_EQ(tp_pages(p), TP_IDS(3));
	cr_assert(tp_page_is(p, 3, 33));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* The rollback's own error is ignored (the seed's `let _ =`): the map's errno is
 * returned and the file stays doubled. It still opens: the metadata says 4 pages and a
 * longer file is allowed; the next growth reuses the room. */
Test(fault_grow, rollback_set_len_failure_is_ignored_and_the_file_stays_doubled)
{
	pager *p = full_file();
	arm("pager/grow/map", ENOMEM);
	arm("pager/grow/rollback_set_len", EPERM);
	uint64_t n;
	TP_EIO(pager_alloc(p, &n), ENOMEM);
	size_t i = call_at(TP_IO_FAULTED, "pager/grow/map", 0);
	i = call_at(TP_IO_FAULTED, "pager/grow/rollback_set_len", i);
	cr_assert_eq(rec.calls[i].rc, EPERM);
	cr_assert_eq(tp_file_size(file()), 8192);
	uint8_t *d;
	TP_RC(pager_page(p, 3, &d), PAGER_EUNAVAILABLE);
	p = reopen(p);
	COUNTS(p, 4, 0);
	TP_IDS_EQ(tp_pages(p), TP_IDS(3));
	cr_assert_eq(alloc1(p), 4);
	COUNTS(p, 8, 3);
	TP_OK(pager_close(p));
	cr_assert_eq(tp_file_size(file()), 8192);
	TP_NO_LEAKS();
}

/* palloc on a fresh file takes page 3 for the new block's page_a, then needs to grow
 * for page_b. set_len fails: nothing was committed and the mapping is back, but page
 * 3's bit stays set in memory (F-ATOMIC, as the seed's alloc_one_raw leaves it). */
Test(fault_grow, set_len_failure_inside_palloc_keeps_only_the_first_page_in_memory)
{
	pager *p = mk();
	tp_rec_clear(&rec);
	arm("pager/grow/set_len", ENOSPC);
	uint64_t id = UINT64_MAX;
	TP_EIO(pager_alloc_protected(p, &id), ENOSPC);
	cr_assert_eq(id, UINT64_MAX);
	size_t i = call_at(TP_IO_FAULTED, "pager/grow/set_len", 0);
	call_at(TP_IO_MAP, "pager/grow/restore_map", i);
	no_call(TP_IO_SYNC, NULL);
	COUNTS(p, 4, 0);                   /* F-ATOMIC: page 3 taken */
	TP_IDS_EMPTY(tp_protected(p));
	TP_IDS_EQ(tp_pages(p), TP_IDS(3)); /* allocated, referenced by nothing */
	cr_assert_eq(tp_file_size(file()), 4096);
	/* The pager is usable: the next palloc grows and builds the block from page 4. */
	cr_assert_eq(palloc1(p), 0);
	pager_protected_info info;
	TP_OK(pager_protected_info_get(p, 0, &info));
	cr_assert_eq(info.page_a, 6);
	p = reopen(p);
	COUNTS(p, 8, 0);
	TP_IDS_EQ(tp_protected(p), TP_IDS(0));
	TP_IDS_EQ(tp_pages(p), TP_IDS(3)); /* the leak is durable now */
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* A second palloc in the existing block takes page 7, then grows for page_b and the
 * remap fails: Unavailable, with page 7's bit set in memory; the file is at the first
 * palloc. */
Test(fault_grow, map_failure_inside_a_second_palloc_leaves_the_pager_unavailable)
{
	pager *p = mk();
	cr_assert_eq(palloc1(p), 0);
	COUNTS(p, 8, 1);
	tp_rec_clear(&rec);
	arm("pager/grow/map", ENOMEM);
	uint64_t id = UINT64_MAX;
	TP_EIO(pager_alloc_protected(p, &id), ENOMEM);
	cr_assert_eq(id, UINT64_MAX);
	size_t i = call_at(TP_IO_FAULTED, "pager/grow/map", 0);
	call_at(TP_IO_SET_LEN, "pager/grow/rollback_set_len", i);
	no_call(TP_IO_SYNC, NULL);
	COUNTS(p, 8, 0); /* F-ATOMIC: page 7 taken, the grow never landed */
	TP_IDS_EQ(tp_protected(p), TP_IDS(0));
	const uint8_t *cd;
	TP_RC(pager_protected_read(p, 0, &cd), PAGER_EUNAVAILABLE);
	pager_pwrite w;
	TP_RC(pager_protected_begin(p, 0, &w), PAGER_EUNAVAILABLE);
	cr_assert_eq(tp_file_size(file()), 8192);
	p = reopen(p);
	COUNTS(p, 8, 1);
	TP_IDS_EQ(tp_protected(p), TP_IDS(0));
	TP_IDS_EMPTY(tp_pages(p));
	cr_assert(tp_protected_is_zero(p, 0));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* ---- metadata commit --------------------------------------------------------------- */

TestSuite(fault_commit, .init = fault_setup, .fini = fault_teardown);

/* Step 1 fails: page 0 still selects the old copy, so the file holds the pre-op
 * state. Memory does not: the seed set the page's bit and decremented free_count
 * before committing (F-ATOMIC). */
Test(fault_commit, meta_sync_failure_in_alloc_leaves_the_file_at_the_pre_op_state)
{
	pager *p = mk();
	tp_rec_clear(&rec);
	arm("pager/commit/meta_sync", EIO);
	uint64_t n = UINT64_MAX;
	TP_EIO(pager_alloc(p, &n), EIO);
	cr_assert_eq(n, UINT64_MAX);
	size_t i = call_at(TP_IO_FAULTED, "pager/commit/meta_sync", 0);
	cr_assert_eq(rec.calls[i].off, 2048); /* copy B, the inactive one */
	cr_assert_eq(rec.calls[i].len, 1024);
	no_call(TP_IO_SYNC, "pager/commit/sb_sync");
	COUNTS(p, 4, 0);                /* F-ATOMIC: free_count already decremented */
	TP_IDS_EQ(tp_pages(p), TP_IDS(3)); /* F-ATOMIC: page 3's bit stays set */
	p = reopen(p);
	COUNTS(p, 4, 1);
	TP_IDS_EMPTY(tp_pages(p));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* Going on after the failure: page 3 was never returned but stays allocated, and the
 * next successful commit makes that durable (a leak). */
Test(fault_commit, meta_sync_failure_in_alloc_leaks_the_page_once_a_later_commit_lands)
{
	pager *p = mk();
	arm("pager/commit/meta_sync", EIO);
	uint64_t n;
	TP_EIO(pager_alloc(p, &n), EIO);
	cr_assert_eq(alloc1(p), 4); /* not 3 */
	COUNTS(p, 8, 3);
	p = reopen(p);
	COUNTS(p, 8, 3);
	TP_IDS_EQ(tp_pages(p), TP_IDS(3, 4));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

Test(fault_commit, meta_sync_failure_in_free_frees_in_memory_only)
{
	pager *p = mk();
	cr_assert_eq(alloc1(p), 3);
	cr_assert_eq(alloc1(p), 4);
	arm("pager/commit/meta_sync", ENOSPC);
	TP_EIO(pager_free(p, 3), ENOSPC);
	COUNTS(p, 8, 4);                /* F-ATOMIC */
	TP_IDS_EQ(tp_pages(p), TP_IDS(4));
	p = reopen(p);
	COUNTS(p, 8, 3);
	TP_IDS_EQ(tp_pages(p), TP_IDS(3, 4));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* Step 2 fails after page 0 was rewritten in the mapping to select the new copy: the
 * file (page cache) already holds the new state, so a reopen sees the alloc that
 * returned EIO. On a power loss page 0 could be old, new or torn. */
Test(fault_commit, sb_sync_failure_in_alloc_is_visible_after_reopen)
{
	pager *p = mk();
	tp_rec_clear(&rec);
	arm("pager/commit/sb_sync", ENOSPC);
	uint64_t n = UINT64_MAX;
	TP_EIO(pager_alloc(p, &n), ENOSPC);
	cr_assert_eq(n, UINT64_MAX);
	size_t i = call_at(TP_IO_SYNC, "pager/commit/meta_sync", 0);
	cr_assert_eq(rec.calls[i].off, 2048);
	i = call_at(TP_IO_FAULTED, "pager/commit/sb_sync", i);
	cr_assert_eq(rec.calls[i].off, 0);
	cr_assert_eq(rec.calls[i].len, 1024);
	COUNTS(p, 4, 0);
	TP_IDS_EQ(tp_pages(p), TP_IDS(3));
	p = reopen(p);
	COUNTS(p, 4, 0);
	TP_IDS_EQ(tp_pages(p), TP_IDS(3));
	TP_OK(pager_close(p));
	size_t len;
	uint8_t *img = tp_read_file(file(), &len);
	cr_assert_eq(img[12], 1, "page 0 selects B");
	free(img);
	TP_NO_LEAKS();
}

/* After a failed step 2 memory still calls A active while page 0 selects B, so the
 * next commit rewrites B, the copy the file's superblock selects, in place: the one
 * thing the seed's double buffering promises never to do. A crash during that write
 * would leave page 0 selecting a torn B, and recovery would fall back to A. */
Test(fault_commit, after_an_sb_sync_failure_the_next_commit_overwrites_the_selected_copy)
{
	pager *p = mk();
	arm("pager/commit/sb_sync", ENOSPC);
	uint64_t n;
	TP_EIO(pager_alloc(p, &n), ENOSPC);
	size_t len;
	uint8_t *img = tp_read_file(file(), &len);
	cr_assert_eq(img[12], 1, "page 0 selects B");
	free(img);
	tp_rec_clear(&rec);
	cr_assert_eq(alloc1(p), 4);
	size_t i = call_at(TP_IO_SYNC, "pager/commit/meta_sync", 0);
	cr_assert_eq(rec.calls[i].off, 2048, "the commit after the failure writes B again");
	p = reopen(p);
	COUNTS(p, 8, 3);
	TP_IDS_EQ(tp_pages(p), TP_IDS(3, 4));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* ---- protected pages: directory commit and data sync ----------------------------- */

TestSuite(fault_protected, .init = fault_setup, .fini = fault_teardown);

/* palloc's metadata commit fails: nothing of the block exists yet, in memory or in
 * the file, but the four pages it took stay allocated in memory (F-ATOMIC). */
Test(fault_protected, meta_sync_failure_in_palloc_leaves_no_block)
{
	pager *p = mk();
	arm("pager/commit/meta_sync", EIO);
	uint64_t id = UINT64_MAX;
	TP_EIO(pager_alloc_protected(p, &id), EIO);
	cr_assert_eq(id, UINT64_MAX);
	COUNTS(p, 8, 1);
	TP_IDS_EMPTY(tp_protected(p));
	TP_IDS_EQ(tp_pages(p), TP_IDS(3, 4, 5, 6)); /* allocated, referenced by nothing */
	no_call(TP_IO_SYNC, "pager/dircommit/dir_sync");
	p = reopen(p);
	COUNTS(p, 4, 1); /* the file is 8 pages long, the metadata still says 4 */
	TP_IDS_EMPTY(tp_protected(p));
	TP_OK(pager_close(p));
	cr_assert_eq(tp_file_size(file()), 8192);
	TP_NO_LEAKS();
}

/* The metadata commit landed, the directory commit's step 1 failed: memory already has
 * the block and the entry (F-ATOMIC: id 0 is live though no id was returned), the
 * file's index still has no block, so its four pages are allocated and unreferenced:
 * after a reopen they are ordinary regular pages (a leak). */
Test(fault_protected, dir_sync_failure_in_palloc_leaks_its_pages)
{
	pager *p = mk();
	tp_rec_clear(&rec);
	arm("pager/dircommit/dir_sync", EROFS);
	uint64_t id = UINT64_MAX;
	TP_EIO(pager_alloc_protected(p, &id), EROFS);
	cr_assert_eq(id, UINT64_MAX);
	size_t i = call_at(TP_IO_SYNC, "pager/commit/sb_sync", 0);
	i = call_at(TP_IO_FAULTED, "pager/dircommit/dir_sync", i);
	cr_assert_eq(rec.calls[i].off, 4 * 1024); /* page_b: a new block's first commit */
	no_call(TP_IO_SYNC, "pager/dircommit/sb_sync");
	COUNTS(p, 8, 1);
	TP_IDS_EQ(tp_protected(p), TP_IDS(0)); /* F-ATOMIC */
	cr_assert(tp_protected_is_zero(p, 0));
	p = reopen(p);
	COUNTS(p, 8, 1);
	TP_IDS_EMPTY(tp_protected(p));
	TP_IDS_EQ(tp_pages(p), TP_IDS(3, 4, 5, 6));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* A second palloc lands in block 0's free slot 1: pages 7 and 8 (after a grow) and a
 * metadata commit, then the directory commit into page_a (3) fails at step 1. Memory
 * has slot 1 in use (F-ATOMIC: id 1 live, never returned); page 0 still selects page_b
 * (4), which lists id 0 only, so after a reopen 7 and 8 are allocated and unreferenced. */
Test(fault_protected, dir_sync_failure_in_a_second_palloc_leaks_its_two_pages)
{
	pager *p = mk();
	cr_assert_eq(palloc1(p), 0);
	tp_rec_clear(&rec);
	arm("pager/dircommit/dir_sync", ENOSPC);
	uint64_t id = UINT64_MAX;
	TP_EIO(pager_alloc_protected(p, &id), ENOSPC);
	cr_assert_eq(id, UINT64_MAX);
	size_t i = call_at(TP_IO_SYNC, "pager/commit/sb_sync", 0);
	i = call_at(TP_IO_FAULTED, "pager/dircommit/dir_sync", i);
	cr_assert_eq(rec.calls[i].off, 3 * 1024); /* page_a: the block's inactive page */
	no_call(TP_IO_SYNC, "pager/dircommit/sb_sync");
	COUNTS(p, 16, 7);
	TP_IDS_EQ(tp_protected(p), TP_IDS(0, 1)); /* F-ATOMIC */
	TP_IDS_EMPTY(tp_pages(p));
	p = reopen(p);
	COUNTS(p, 16, 7);
	TP_IDS_EQ(tp_protected(p), TP_IDS(0));
	TP_IDS_EQ(tp_pages(p), TP_IDS(7, 8));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* Going on after that failure instead: the next palloc takes slot 2, and its directory
 * commit (into page_a again: the selector never flipped) also carries slot 1, so the
 * id the failed palloc never returned becomes durable. */
Test(fault_protected, after_a_dir_sync_failure_in_palloc_the_next_commit_makes_the_lost_id_durable)
{
	pager *p = mk();
	cr_assert_eq(palloc1(p), 0);
	arm("pager/dircommit/dir_sync", ENOSPC);
	uint64_t id;
	TP_EIO(pager_alloc_protected(p, &id), ENOSPC);
	tp_rec_clear(&rec);
	cr_assert_eq(palloc1(p), 2);
	size_t i = call_at(TP_IO_SYNC, "pager/dircommit/dir_sync", 0);
	cr_assert_eq(rec.calls[i].off, 3 * 1024);
	p = reopen(p);
	TP_IDS_EQ(tp_protected(p), TP_IDS(0, 1, 2));
	TP_IDS_EMPTY(tp_pages(p));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* pfree's directory commit fails at step 1: the slot is free in memory (F-ATOMIC: the
 * seed clears in_use before committing), its copies still allocated since the metadata
 * commit never ran, so memory lists them as regular pages. The file's page 0 still
 * selects the directory page that has the slot in use: a reopen finds id 0 again. */
Test(fault_protected, dir_sync_failure_in_pfree_frees_the_slot_in_memory_only)
{
	pager *p = mk();
	cr_assert_eq(palloc1(p), 0);
	cr_assert_eq(palloc1(p), 1);
	COUNTS(p, 16, 7);
	TP_OK(tp_pwrite(p, 0, 5));
	tp_rec_clear(&rec);
	arm("pager/dircommit/dir_sync", EIO);
	TP_EIO(pager_free_protected(p, 0), EIO);
	size_t i = call_at(TP_IO_FAULTED, "pager/dircommit/dir_sync", 0);
	cr_assert_eq(rec.calls[i].off, 3 * 1024);
	no_call(TP_IO_SYNC, NULL);
	TP_IDS_EQ(tp_protected(p), TP_IDS(1)); /* F-ATOMIC */
	COUNTS(p, 16, 7);
	TP_IDS_EQ(tp_pages(p), TP_IDS(5, 6));
	p = reopen(p);
	TP_IDS_EQ(tp_protected(p), TP_IDS(0, 1));
	cr_assert(tp_protected_is(p, 0, 5));
	COUNTS(p, 16, 7);
	TP_IDS_EMPTY(tp_pages(p));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* A protected write whose directory commit fails at step 1: memory reads the new
 * content (the entry flipped before the commit, F-ATOMIC), the file the old one. */
Test(fault_protected, dir_sync_failure_in_pwrite_reads_new_in_memory_old_after_reopen)
{
	pager *p = mk();
	cr_assert_eq(palloc1(p), 0);
	TP_OK(tp_pwrite(p, 0, 5));
	arm("pager/dircommit/dir_sync", EROFS);
	TP_EIO(tp_pwrite(p, 0, 6), EROFS);
	cr_assert(tp_protected_is(p, 0, 6));
	pager_protected_info info;
	TP_OK(pager_protected_info_get(p, 0, &info));
	cr_assert_eq(info.generation, 2);
	p = reopen(p);
	cr_assert(tp_protected_is(p, 0, 5));
	TP_OK(pager_protected_info_get(p, 0, &info));
	cr_assert_eq(info.generation, 1);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* Step 2 of the directory commit fails after page 0 was rewritten in the mapping: the
 * new block is in the file (page cache), so a reopen finds id 0 although the palloc
 * returned EIO and the caller never learnt the id. */
Test(fault_protected, dircommit_sb_sync_failure_in_palloc_is_visible_after_reopen)
{
	pager *p = mk();
	tp_rec_clear(&rec);
	arm("pager/dircommit/sb_sync", EDQUOT);
	uint64_t id = UINT64_MAX;
	TP_EIO(pager_alloc_protected(p, &id), EDQUOT);
	cr_assert_eq(id, UINT64_MAX);
	size_t i = call_at(TP_IO_SYNC, "pager/dircommit/dir_sync", 0);
	i = call_at(TP_IO_FAULTED, "pager/dircommit/sb_sync", i);
	cr_assert_eq(rec.calls[i].off, 0);
	TP_IDS_EQ(tp_protected(p), TP_IDS(0));
	COUNTS(p, 8, 1);
	p = reopen(p);
	TP_IDS_EQ(tp_protected(p), TP_IDS(0));
	TP_IDS_EMPTY(tp_pages(p));
	COUNTS(p, 8, 1);
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* pfree frees the slot first (directory commit), then the pages (metadata commit).
 * The directory commit's step 2 fails: the slot is free in memory and in the file
 * (page cache), the metadata commit never ran, so both copies stay allocated: a leak
 * that a reopen makes durable. */
Test(fault_protected, dircommit_sb_sync_failure_in_pfree_leaks_both_copies)
{
	pager *p = mk();
	cr_assert_eq(palloc1(p), 0);
	cr_assert_eq(palloc1(p), 1);
	COUNTS(p, 16, 7);
	tp_rec_clear(&rec);
	arm("pager/dircommit/sb_sync", EDQUOT);
	TP_EIO(pager_free_protected(p, 0), EDQUOT);
	no_call(TP_IO_SYNC, "pager/commit/meta_sync");
	TP_IDS_EQ(tp_protected(p), TP_IDS(1));
	COUNTS(p, 16, 7);
	TP_IDS_EQ(tp_pages(p), TP_IDS(5, 6));
	p = reopen(p);
	TP_IDS_EQ(tp_protected(p), TP_IDS(1));
	COUNTS(p, 16, 7);
	TP_IDS_EQ(tp_pages(p), TP_IDS(5, 6));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* pfree's directory commit lands and its metadata commit fails at step 1: the slot is
 * gone for good, the pages are free in memory only (F-ATOMIC), allocated in the file. */
Test(fault_protected, meta_sync_failure_in_pfree_leaks_both_copies_in_the_file)
{
	pager *p = mk();
	cr_assert_eq(palloc1(p), 0);
	cr_assert_eq(palloc1(p), 1);
	arm("pager/commit/meta_sync", EIO);
	TP_EIO(pager_free_protected(p, 0), EIO);
	TP_IDS_EQ(tp_protected(p), TP_IDS(1));
	COUNTS(p, 16, 9);
	TP_IDS_EMPTY(tp_pages(p));
	p = reopen(p);
	TP_IDS_EQ(tp_protected(p), TP_IDS(1));
	COUNTS(p, 16, 7);
	TP_IDS_EQ(tp_pages(p), TP_IDS(5, 6));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

/* The filled copy cannot be synced: nothing changes, in memory or in the file; the
 * writer is spent, and a new write works. */
Test(fault_protected, data_sync_failure_keeps_the_old_content_everywhere)
{
	pager *p = mk();
	cr_assert_eq(palloc1(p), 0);
	TP_OK(tp_pwrite(p, 0, 5)); /* copy b (6) readable; the next write fills a (5) */
	tp_rec_clear(&rec);
	arm("pager/protcommit/data_sync", EIO);
	pager_pwrite w;
	TP_OK(pager_protected_begin(p, 0, &w));
	tp_fill(w.data, 1024, 6);
	TP_EIO(pager_protected_commit(p, &w), EIO);
	size_t i = call_at(TP_IO_FAULTED, "pager/protcommit/data_sync", 0);
	cr_assert_eq(rec.calls[i].off, 5 * 1024);
	cr_assert_eq(rec.calls[i].len, 1024);
	no_call(TP_IO_SYNC, NULL);
	cr_assert(tp_protected_is(p, 0, 5));
	pager_protected_info info;
	TP_OK(pager_protected_info_get(p, 0, &info));
	cr_assert_eq(info.generation, 1);
	cr_assert_eq(info.active_slot, 1);
	TP_RC(pager_protected_commit(p, &w), PAGER_EINVAL); /* spent */
	p = reopen(p);
	cr_assert(tp_protected_is(p, 0, 5));
	TP_OK(tp_pwrite(p, 0, 7));
	cr_assert(tp_protected_is(p, 0, 7));
	TP_OK(pager_close(p));
	TP_NO_LEAKS();
}

#endif /* TORNPAGE_FIU */
