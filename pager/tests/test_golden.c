/* test_golden.c — the golden images written by the Rust crate (shared/golden): each
 * opens to exactly its .json `expect`, and replaying its `ops` from create gives the
 * same ids and a byte-identical file. The originals are read-only: every test works
 * on a copy in its temporary directory. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "support.h"

typedef struct golden_param {
	char name[32]; /* by value: Criterion copies parameters into each test's process */
} golden_param;

TestSuite(golden, .init = tp_setup, .fini = tp_teardown);

static golden_param params[TP_GOLDEN_COUNT];

static struct criterion_test_params golden_params(void)
{
	for (size_t i = 0; i < TP_GOLDEN_COUNT; i++)
		snprintf(params[i].name, sizeof params[i].name, "%s", tp_golden_names[i]);
	return cr_make_param_array(golden_param, params, TP_GOLDEN_COUNT);
}

static void load(const char *name, tp_golden *g)
{
	char err[256];
	cr_assert_eq(tp_golden_load(name, g, err, sizeof err), 0, "%s", err);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The pager holds exactly what g's `expect` says. */
static void expect_matches(pager *p, const tp_golden *g)
{
	cr_assert_eq(pager_page_size(p), (size_t)1 << g->log2, "%s: page size", g->name);
	cr_assert_eq(pager_page_count(p), g->page_count, "%s: page_count %llu, want %llu", g->name,
		     (unsigned long long)pager_page_count(p), (unsigned long long)g->page_count);
	cr_assert_eq(pager_free_page_count(p), g->free_count, "%s: free_page_count %llu, want %llu",
		     g->name, (unsigned long long)pager_free_page_count(p),
		     (unsigned long long)g->free_count);

	/* Live regular pages: the sorted set, and the fill of those that have one. */
	uint64_t *want = calloc(g->nregular + 1, sizeof *want);
	cr_assert_not_null(want);
	for (size_t i = 0; i < g->nregular; i++)
		want[i] = g->regular[i].page;
	qsort(want, g->nregular, sizeof *want, cmp_u64);
	tp_ids got = tp_pages(p);
	int eq = tp_ids_eq(&got, want, g->nregular);
	cr_assert(eq, "%s: live regular pages %s, want %zu pages", g->name, tp_ids_str(&got), g->nregular);
	tp_ids_free(&got);
	free(want);
	for (size_t i = 0; i < g->nregular; i++)
		if (g->regular[i].has_fill)
			cr_assert(tp_page_is(p, g->regular[i].page, g->regular[i].fill),
				  "%s: page %llu does not hold fill %u", g->name,
				  (unsigned long long)g->regular[i].page, g->regular[i].fill);

	/* Live protected ids, and the CRC-32 of each readable copy. */
	want = calloc(g->nprot + 1, sizeof *want);
	cr_assert_not_null(want);
	for (size_t i = 0; i < g->nprot; i++)
		want[i] = g->prot[i].id;
	qsort(want, g->nprot, sizeof *want, cmp_u64);
	got = tp_protected(p);
	eq = tp_ids_eq(&got, want, g->nprot);
	cr_assert(eq, "%s: live protected ids %s, want %zu ids", g->name, tp_ids_str(&got), g->nprot);
	tp_ids_free(&got);
	free(want);
	for (size_t i = 0; i < g->nprot; i++) {
		const uint8_t *d;
		TP_OK(pager_protected_read(p, g->prot[i].id, &d));
		uint32_t crc = fmt_crc(0, d, pager_page_size(p));
		cr_assert_eq(crc, g->prot[i].crc32, "%s: protected %llu has CRC %u, want %u", g->name,
			     (unsigned long long)g->prot[i].id, crc, g->prot[i].crc32);
	}
}

ParameterizedTestParameters(golden, opens_to_exactly_its_expect)
{
	return golden_params();
}

ParameterizedTest(golden_param *gp, golden, opens_to_exactly_its_expect)
{
	tp_golden g;
	load(gp->name, &g);
	const char *copy = tp_path("copy.img");
	cr_assert_eq(tp_copy_file(g.img, copy), 0, "cannot copy %s", g.img);
	pager *p = NULL;
	TP_OK(pager_open(copy, NULL, &p));
	expect_matches(p, &g);
	TP_OK(pager_close(p));

	/* Opening and closing writes nothing. */
	size_t a, b;
	uint8_t *orig = tp_read_file(g.img, &a), *now = tp_read_file(copy, &b);
	cr_assert(orig && now && a == b && !memcmp(orig, now, a), "%s: open/close changed the file", g.name);
	free(orig);
	free(now);
	tp_golden_free(&g);
	TP_NO_LEAKS();
}

/* handle -> id, for one replay */
typedef struct handles {
	char name[512][24];
	uint64_t id[512];
	size_t n;
} handles;

static void handle_set(handles *h, const char *name, uint64_t id)
{
	for (size_t i = 0; i < h->n; i++)
		if (!strcmp(h->name[i], name)) {
			h->id[i] = id;
			return;
		}
	cr_assert_lt(h->n, 512);
	snprintf(h->name[h->n], sizeof h->name[0], "%s", name);
	h->id[h->n++] = id;
}

static uint64_t handle_get(const handles *h, const char *name)
{
	for (size_t i = 0; i < h->n; i++)
		if (!strcmp(h->name[i], name))
			return h->id[i];
	cr_assert_fail("unknown handle %s", name);
	return UINT64_MAX;
}

ParameterizedTestParameters(golden, replaying_ops_gives_the_same_ids_and_bytes)
{
	return golden_params();
}

ParameterizedTest(golden_param *gp, golden, replaying_ops_gives_the_same_ids_and_bytes)
{
	tp_golden g;
	load(gp->name, &g);
	const char *path = tp_path("replay.img");
	static handles h;
	h.n = 0;
	pager *p = NULL;
	TP_OK(pager_create(path, g.log2, NULL, &p));
	for (size_t i = 0; i < g.nops; i++) {
		const tp_op *op = &g.ops[i];
		uint64_t id = UINT64_MAX;
		int rc = PAGER_OK;
		switch (op->kind) {
		case TP_OP_ALLOC:
			rc = pager_alloc(p, &id);
			cr_assert_eq(rc, PAGER_OK, "%s op %zu: alloc -> %s", g.name, i, pager_strerror(rc));
			cr_assert_eq(id, op->value, "%s op %zu: alloc gave %llu, the crate %llu", g.name, i,
				     (unsigned long long)id, (unsigned long long)op->value);
			handle_set(&h, op->handle, id);
			break;
		case TP_OP_PALLOC:
			rc = pager_alloc_protected(p, &id);
			cr_assert_eq(rc, PAGER_OK, "%s op %zu: palloc -> %s", g.name, i, pager_strerror(rc));
			cr_assert_eq(id, op->value, "%s op %zu: palloc gave %llu, the crate %llu", g.name, i,
				     (unsigned long long)id, (unsigned long long)op->value);
			handle_set(&h, op->handle, id);
			break;
		case TP_OP_FREE:
			cr_assert_eq(handle_get(&h, op->handle), op->value, "%s op %zu", g.name, i);
			rc = pager_free(p, op->value);
			break;
		case TP_OP_PFREE:
			cr_assert_eq(handle_get(&h, op->handle), op->value, "%s op %zu", g.name, i);
			rc = pager_free_protected(p, op->value);
			break;
		case TP_OP_FILL:
			rc = tp_fill_page(p, handle_get(&h, op->handle), (unsigned)op->value);
			break;
		case TP_OP_PWRITE:
			rc = tp_pwrite(p, handle_get(&h, op->handle), (unsigned)op->value);
			break;
		case TP_OP_PSTAGE:
			rc = tp_pstage(p, handle_get(&h, op->handle), (unsigned)op->value);
			break;
		case TP_OP_REOPEN:
			rc = tp_reopen(&p, path, NULL);
			break;
		}
		cr_assert_eq(rc, PAGER_OK, "%s op %zu -> %s", g.name, i, pager_strerror(rc));
	}
	expect_matches(p, &g);
	TP_OK(pager_close(p));

	size_t a, b;
	uint8_t *orig = tp_read_file(g.img, &a), *mine = tp_read_file(path, &b);
	cr_assert(orig && mine);
	cr_assert_eq(b, a, "%s: %zu bytes, the crate wrote %zu", g.name, b, a);
	for (size_t i = 0; i < a; i++)
		cr_assert_eq(mine[i], orig[i], "%s: first difference at byte %zu (page %zu + %zu): %u, want %u",
			     g.name, i, i >> g.log2, i & (((size_t)1 << g.log2) - 1), mine[i], orig[i]);
	free(orig);
	free(mine);
	tp_golden_free(&g);
	TP_NO_LEAKS();
}

/* The list of golden names here is the directory's list: a new image needs a name. */
Test(golden, every_image_in_the_directory_is_tested)
{
	for (size_t i = 0; i < TP_GOLDEN_COUNT; i++) {
		tp_golden g;
		load(tp_golden_names[i], &g);
		cr_assert(tp_file_size(g.img) > 0, "%s missing", g.img);
		tp_golden_free(&g);
	}
	DIR *d = opendir(TORNPAGE_GOLDEN_DIR);
	cr_assert_not_null(d);
	struct dirent *e;
	size_t imgs = 0;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n < 5 || strcmp(e->d_name + n - 4, ".img"))
			continue;
		imgs++;
		int known = 0;
		for (size_t i = 0; i < TP_GOLDEN_COUNT; i++)
			known |= strlen(tp_golden_names[i]) == n - 4 &&
				 !strncmp(e->d_name, tp_golden_names[i], n - 4);
		cr_assert(known, "golden image %s is not in tp_golden_names", e->d_name);
	}
	closedir(d);
	cr_assert_eq(imgs, TP_GOLDEN_COUNT);
	TP_NO_LEAKS();
}

