/* image_ops.c — fuzz_image's body (see image_ops.h).
 *
 * Method: the file goes to a fresh simdisk for every run, so the mapping is a heap
 * buffer of exactly the file's length and ASan sees any read or write past it. Then:
 *   1. pager_check_image on the file, with a callback (the details get formatted);
 *   2. pager_open; if it fails, stop: refusing a file is always allowed;
 *   3. look around: page roles of every page in the file, every allocated regular page
 *      (up to 8: bytes read, then overwritten with a pattern), every in-use protected
 *      page (up to 8: info and the readable copy's bytes);
 *   4. operations: alloc + fill, protected alloc + protected write, a protected write,
 *      an abandoned write and a stale writer on existing protected pages, free and
 *      protected free of the new pages (then again: a double free) and of an existing
 *      page of each kind;
 *   5. clean close, reopen, look around again, close; pager_check_image on the result.
 * Contracts asserted for any file (a failure aborts):
 *   (C0) pager_check through the simulated disk counts what pager_check_image counts;
 *   (C1) pager_free of pages 0..2 is PAGER_ERESERVED_PAGE;
 *   (C2) pager_page(total_pages) is PAGER_EOUT_OF_BOUNDS when total_pages >= 3;
 *   (C3) a protected read of id UINT64_MAX is PAGER_EOUT_OF_BOUNDS;
 *   (C4) a writer made stale by a mutating call fails to commit with PAGER_EINVAL;
 *   (C5) freeing what was just freed is PAGER_EDOUBLE_FREE (both kinds).
 * And for a file pager_check_image finds clean (no violation):
 *   (C6) it reopens after the operations, pager_check_image still finds nothing, and the
 *        reopened pager shows the page count, free count, regular pages and protected
 *        pages (ids and checksums) the pager showed before the close. */
#define _POSIX_C_SOURCE 200809L
#include "image_ops.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "format.h"
#include "pager.h"
#include "tornpage/simdisk.h"

#define LOOK_IDS 8          /* existing pages of each kind looked at */
#define ROLES_MAX (1u << 20) /* page_roles only for files of at most this many pages */

static void contract_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void contract_fail(const char *fmt, ...)
{
	va_list ap;
	fputs("image_ops: CONTRACT ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static void expect_rc(int got, int want, const char *what)
{
	if (got != want)
		contract_fail("%s: expected %s, got %s", what, pager_strerror(want), pager_strerror(got));
}

/* ---- looking around --------------------------------------------------------------- */

typedef struct idlist {
	uint64_t v[LOOK_IDS];
	size_t n;
} idlist;

static int collect(void *arg, uint64_t n)
{
	idlist *l = arg;
	l->v[l->n++] = n;
	return l->n == LOOK_IDS;
}

/* What the pager shows, folded into digests (C6 compares two of them). */
typedef struct view {
	uint64_t pages, free_pages;  /* page count, free count */
	uint64_t regular, nregular;  /* digest and count of allocated regular pages */
	uint64_t prot, nprot;        /* digest and count of (id, checksum) of protected pages */
} view;

typedef struct view_walk {
	pager *p;
	view *v;
} view_walk;

/* h folded with x, in order (XXH64 of x seeded with h; in memory only). */
static uint64_t mix(uint64_t h, uint64_t x)
{
	return XXH64(&x, sizeof x, h);
}

static int view_regular(void *arg, uint64_t n)
{
	view_walk *w = arg;
	w->v->regular = mix(w->v->regular, n);
	w->v->nregular++;
	return 0;
}

static int view_protected(void *arg, uint64_t id)
{
	view_walk *w = arg;
	pager_protected_info info;
	w->v->prot = mix(w->v->prot, id);
	if (pager_protected_info_get(w->p, id, &info) == PAGER_OK)
		w->v->prot = mix(w->v->prot, info.checksum);
	w->v->nprot++;
	return 0;
}

static void view_of(pager *p, view *v)
{
	memset(v, 0, sizeof *v);
	v->pages = pager_page_count(p);
	v->free_pages = pager_free_page_count(p);
	view_walk w = {p, v};
	(void)pager_foreach_page(p, view_regular, &w);
	(void)pager_foreach_protected(p, view_protected, &w);
}

/* Read every byte of a page the pager handed out (ASan checks the bounds). */
static uint32_t read_page(const uint8_t *data, size_t ps)
{
	return fmt_crc(0, data, ps);
}

static void look_around(pager *p, simdisk *d, idlist *regular, idlist *prot)
{
	size_t ps = pager_page_size(p);
	uint64_t npages = simdisk_len(d) / ps;
	if (npages <= ROLES_MAX) {
		uint8_t *roles = malloc(npages ? npages : 1);
		if (roles && pager_page_roles(p, roles, npages) == PAGER_OK) {
			for (uint64_t i = 0; i < npages; i++)
				if (!pager_role_name((pager_role)roles[i]))
					contract_fail("page %" PRIu64 " has role %u without a name", i, roles[i]);
		}
		free(roles);
	}
	regular->n = prot->n = 0;
	(void)pager_foreach_page(p, collect, regular);
	(void)pager_foreach_protected(p, collect, prot);
	for (size_t i = 0; i < regular->n; i++) {
		uint8_t *data;
		if (pager_page(p, regular->v[i], &data) == PAGER_OK)
			(void)read_page(data, ps);
	}
	for (size_t i = 0; i < prot->n; i++) {
		pager_protected_info info;
		const uint8_t *data;
		(void)pager_protected_info_get(p, prot->v[i], &info);
		if (pager_protected_read(p, prot->v[i], &data) == PAGER_OK)
			(void)read_page(data, ps);
	}
}

/* ---- operations ------------------------------------------------------------------- */

typedef struct run {
	pager *p;
	size_t ps;
	image_ops_result *res;
} run;

static int counted(run *r, int rc)
{
	r->res->ops_tried++;
	if (rc == PAGER_OK)
		r->res->ops_ok++;
	return rc;
}

/* New page contents, one byte value per seed: what the pager stores does not matter,
 * only that the pages differ (C6 compares checksums). A plain memset: the op logs'
 * oplog_pattern, instrumented and byte by byte, was a twentieth of every run. */
static void fill(uint64_t seed, uint8_t *data, size_t n)
{
	memset(data, (int)(uint8_t)(0x5a ^ seed), n);
}

static int fill_regular(run *r, uint64_t page, uint64_t seed)
{
	uint8_t *data;
	int rc = pager_page(r->p, page, &data);
	if (rc == PAGER_OK)
		fill(seed, data, r->ps);
	return rc;
}

static int prot_write(run *r, uint64_t id, uint64_t seed)
{
	pager_pwrite w;
	int rc = counted(r, pager_protected_begin(r->p, id, &w));
	if (rc)
		return rc;
	fill(seed, w.data, r->ps);
	return counted(r, pager_protected_commit(r->p, &w));
}

static void operate(run *r, const idlist *regular, const idlist *prot)
{
	pager *p = r->p;
	uint8_t *data;
	const uint8_t *cdata;
	pager_pwrite w;
	uint64_t page, id;
	int rc;

	for (uint64_t n = 0; n < FMT_FIRST_DATA_PAGE; n++) /* (C1) */
		expect_rc(pager_free(p, n), PAGER_ERESERVED_PAGE, "pager_free of a reserved page");
	uint64_t total = pager_page_count(p);
	if (total >= FMT_FIRST_DATA_PAGE) /* (C2) */
		expect_rc(pager_page(p, total, &data), PAGER_EOUT_OF_BOUNDS, "pager_page(total_pages)");
	expect_rc(pager_protected_read(p, UINT64_MAX, &cdata), PAGER_EOUT_OF_BOUNDS, /* (C3) */
		  "pager_protected_read(UINT64_MAX)");

	for (size_t i = 0; i < regular->n && i < 2; i++)
		(void)fill_regular(r, regular->v[i], 40 + i);

	int have_page = counted(r, pager_alloc(p, &page)) == PAGER_OK;
	if (have_page)
		(void)fill_regular(r, page, 7);
	int have_id = counted(r, pager_alloc_protected(p, &id)) == PAGER_OK;
	if (have_id)
		(void)prot_write(r, id, 9);

	if (prot->n > 0)
		(void)prot_write(r, prot->v[0], 11);
	if (prot->n > 1 && counted(r, pager_protected_begin(p, prot->v[1], &w)) == PAGER_OK) {
		fill(13, w.data, r->ps);
		pager_protected_abandon(p, &w);
	}
	if (prot->n > 0 && pager_protected_begin(p, prot->v[prot->n - 1], &w) == PAGER_OK) {
		(void)pager_free(p, 0); /* fails, but any mutating call makes the writer stale */
		expect_rc(pager_protected_commit(p, &w), PAGER_EINVAL, "commit of a stale writer"); /* (C4) */
	}

	if (have_page && counted(r, pager_free(p, page)) == PAGER_OK) /* (C5) */
		expect_rc(pager_free(p, page), PAGER_EDOUBLE_FREE, "pager_free twice");
	if (have_id && counted(r, pager_free_protected(p, id)) == PAGER_OK)
		expect_rc(pager_free_protected(p, id), PAGER_EDOUBLE_FREE, "pager_free_protected twice");
	if (regular->n > 0)
		(void)counted(r, pager_free(p, regular->v[regular->n - 1]));
	if (prot->n > 2)
		(void)counted(r, pager_free_protected(p, prot->v[prot->n - 1]));
	rc = counted(r, pager_alloc(p, &page)); /* may reuse what was just freed */
	if (rc == PAGER_OK)
		(void)fill_regular(r, page, 17);
}

static void count_violation(void *arg, const pager_violation *v)
{
	size_t *chars = arg;
	*chars += strlen(v->id) + strlen(v->detail);
}

int image_ops_run(const uint8_t *file, size_t len, image_ops_result *out)
{
	image_ops_result local;
	image_ops_result *res = out ? out : &local;
	memset(res, 0, sizeof *res);
	res->open_rc = res->reopen_rc = PAGER_EINVAL;
	size_t chars = 0;
	res->violations_before = pager_check_image(file, len, count_violation, &chars);

	simdisk *d = simdisk_new(SIMDISK_MIN_UNIT);
	if (!d)
		return -1;
	if (simdisk_load(d, file, len)) {
		simdisk_free(d);
		return -1;
	}
	/* The same check through the I/O layer must count the same (C0). */
	int checked = pager_check("fuzz.db", simdisk_io(d), NULL, NULL);
	size_t want = res->violations_before > INT_MAX ? INT_MAX : res->violations_before;
	if (res->violations_before != SIZE_MAX && checked != (int)want)
		contract_fail("pager_check over simdisk found %d violations, pager_check_image %zu",
			      checked, res->violations_before);
	pager *p = NULL;
	res->open_rc = pager_open("fuzz.db", simdisk_io(d), &p);
	if (res->open_rc != PAGER_OK) {
		simdisk_free(d);
		return 0;
	}
	run r = {p, pager_page_size(p), res};
	idlist regular, prot;
	view before, after;
	look_around(p, d, &regular, &prot);
	operate(&r, &regular, &prot);
	view_of(p, &before);
	(void)pager_close(p);

	p = NULL;
	res->reopen_rc = pager_open("fuzz.db", simdisk_io(d), &p);
	if (res->reopen_rc == PAGER_OK) {
		look_around(p, d, &regular, &prot);
		view_of(p, &after);
		(void)pager_close(p);
	}
	res->violations_after = pager_check_image(simdisk_cache(d), simdisk_len(d), count_violation, &chars);
	if (res->violations_before == 0) { /* (C6) */
		if (res->reopen_rc != PAGER_OK)
			contract_fail("a clean file does not reopen after the operations: %s",
				      pager_strerror(res->reopen_rc));
		if (res->violations_after != 0)
			contract_fail("a clean file has %zu violations after the operations",
				      res->violations_after);
		if (memcmp(&before, &after, sizeof before) != 0)
			contract_fail("a clean file reopens different: pages %" PRIu64 "/%" PRIu64
				      ", free %" PRIu64 "/%" PRIu64 ", regular %" PRIu64 "/%" PRIu64
				      ", protected %" PRIu64 "/%" PRIu64 " (before close/after reopen)",
				      before.pages, after.pages, before.free_pages, after.free_pages,
				      before.nregular, after.nregular, before.nprot, after.nprot);
	}
	simdisk_free(d);
	return 0;
}
