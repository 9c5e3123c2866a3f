/* matrix_model.c — the fault matrix's models and its fast model checks: a model
 * (model.h) that also knows which live handle holds each page and keeps digests of its
 * state, so that a case's checks cost what an op touched, not the size of the log; the
 * checks themselves are model.h's (model_diff's steps, in its order, with its messages).
 * It does not run ops (matrix_case.c, matrix_continue.c). */
#define _POSIX_C_SOURCE 200809L
#include "matrix_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

/* ---- models that know who holds what -------------------------------------------- */

/* What the pager's future answers depend on (not set_by: only messages use it). */
static uint64_t handle_digest(size_t i, const model_handle *h)
{
	uint64_t x = subsets_mix64((uint64_t)i * 0x9E3779B97F4A7C15ull ^
				   ((uint64_t)h->live | (uint64_t)h->freed << 1 | (uint64_t)h->filled << 2 |
				    (uint64_t)h->crc << 8));
	x = subsets_mix64(x ^ h->where);
	x = subsets_mix64(x ^ h->fill);
	return subsets_mix64(x ^ h->copy[0] ^ subsets_mix64(h->copy[1]));
}

int mx_tm_init(tmodel *t, const oplog *log)
{
	memset(t, 0, sizeof *t);
	if (model_init(&t->m, log))
		return -1;
	for (size_t i = 0; i < t->m.nhandles; i++) {
		t->hdig ^= handle_digest(i, &t->m.h[i]);
		t->jdig ^= judge_handle_digest(i, &t->m.h[i]);
	}
	return 0;
}

void mx_tm_free(tmodel *t)
{
	model_free(&t->m);
	free(t->reg);
	free(t->cp);
	memset(t, 0, sizeof *t);
}

static int tm_reserve(tmodel *t, uint64_t pages)
{
	if (pages <= t->cap)
		return 0;
	if (pages > (uint64_t)1 << 40)
		return -1;
	size_t cap = t->cap ? t->cap : 64;
	while (cap < pages)
		cap *= 2;
	uint32_t *r = realloc(t->reg, cap * sizeof *r);
	if (!r)
		return -1;
	t->reg = r;
	uint32_t *c = realloc(t->cp, cap * sizeof *c);
	if (!c)
		return -1;
	t->cp = c;
	memset(t->reg + t->cap, 0, (cap - t->cap) * sizeof *r);
	memset(t->cp + t->cap, 0, (cap - t->cap) * sizeof *c);
	t->cap = cap;
	return 0;
}

int mx_tm_copy(tmodel *dst, const tmodel *src)
{
	if (model_copy(&dst->m, &src->m) || tm_reserve(dst, src->cap))
		return -1;
	if (src->cap) {
		memcpy(dst->reg, src->reg, src->cap * sizeof *dst->reg);
		memcpy(dst->cp, src->cp, src->cap * sizeof *dst->cp);
	}
	if (dst->cap > src->cap) {
		memset(dst->reg + src->cap, 0, (dst->cap - src->cap) * sizeof *dst->reg);
		memset(dst->cp + src->cap, 0, (dst->cap - src->cap) * sizeof *dst->cp);
	}
	dst->nreg = src->nreg;
	dst->nprot = src->nprot;
	dst->hdig = src->hdig;
	dst->jdig = src->jdig;
	return 0;
}

/* Handle i enters (on) or leaves the indexes, if live. */
static int tm_index(tmodel *t, const oplog *log, size_t i, int on)
{
	const model_handle *h = &t->m.h[i];
	if (!h->live)
		return 0;
	uint32_t me = (uint32_t)i + 1;
	if (!log->handle_protected[i]) {
		if (on && tm_reserve(t, h->where + 1))
			return -1;
		if (h->where < t->cap && (on || t->reg[h->where] == me))
			t->reg[h->where] = on ? me : 0;
		t->nreg = on ? t->nreg + 1 : t->nreg - 1;
	} else {
		for (int c = 0; c < 2; c++) {
			uint64_t pg = h->copy[c];
			if (on && tm_reserve(t, pg + 1))
				return -1;
			if (pg < t->cap && (on || t->cp[pg] == me))
				t->cp[pg] = on ? me : 0;
		}
		t->nprot = on ? t->nprot + 1 : t->nprot - 1;
	}
	return 0;
}

/* model_apply, keeping the indexes and the digest. 0 or -1 (ENOMEM). */
int mx_tm_apply(tmodel *t, const oplog *log, size_t k, const model_result *r)
{
	const oplog_op *op = &log->ops[k];
	size_t i = op->handle < t->m.nhandles ? op->handle : SIZE_MAX;
	if (i != SIZE_MAX) {
		tm_index(t, log, i, 0);
		t->hdig ^= handle_digest(i, &t->m.h[i]);
		t->jdig ^= judge_handle_digest(i, &t->m.h[i]);
	}
	int rc = model_apply(&t->m, log, k, r);
	if (i != SIZE_MAX) {
		t->hdig ^= handle_digest(i, &t->m.h[i]);
		t->jdig ^= judge_handle_digest(i, &t->m.h[i]);
		if (tm_index(t, log, i, 1))
			rc = -1;
	}
	return rc;
}

/* Equal digests: equal models, as far as the pager's future answers go. */
uint64_t mx_tm_digest(const tmodel *t)
{
	const model *m = &t->m;
	uint64_t x = subsets_mix64(t->hdig ^ m->page_count);
	x = subsets_mix64(x ^ m->used);
	x = subsets_mix64(x ^ ((uint64_t)m->blocks << 32 | m->cap));
	return subsets_mix64(x ^ m->ps);
}

/* judge_case_key of (before, after, op), from the kept digests: O(1). */
uint64_t mx_tm_key(const judge *j, const tmodel *before, const tmodel *after, size_t op)
{
	return judge_case_key_of(j, op, subsets_mix64(before->m.page_count) ^ before->jdig,
				 subsets_mix64(after->m.page_count) ^ after->jdig);
}

/* ---- fast model checks ---------------------------------------------------------- */

/* Fill pattern of seed (page size), cached (arg: the engine). NULL when out of memory. */
static const uint8_t *pattern(void *arg, uint64_t seed)
{
	engine *e = arg;
	patslot *s = &e->pat[subsets_mix64(seed) % e->npat];
	if (!s->buf) {
		if (!(s->buf = malloc(e->ps)))
			return NULL;
	} else if (s->seed == seed) {
		return s->buf;
	}
	oplog_pattern(seed, s->buf, e->ps);
	s->seed = seed;
	return s->buf;
}

/* model_check_result, with the index for alloc's "still live" (same messages). */
int mx_check_result(engine *e, const tmodel *t, size_t k, const model_result *r, char *msg, size_t n)
{
	return model_check_result_ex(&t->m, e->log, k, r, t->reg, t->cap, msg, n);
}

/* model_diff, fast: the same checks in the same order, so the same first difference and
 * the same message, with O(1) lookups and cached patterns. only = NULL: every live
 * handle; else only those (ascending, distinct). walks: also compare the sets of
 * allocated pages and protected ids. 0 equal, 1 differ (msg), -1 out of memory. */
int mx_diff(engine *e, const tmodel *t, pager *p, const size_t *only, size_t nonly, int walks, char *msg,
	    size_t msglen)
{
	const model *m = &t->m;
	int d = model_diff_counts(m, p, msg, msglen);
	if (d)
		return d;
	size_t n = only ? nonly : m->nhandles;
	for (size_t x = 0; x < n; x++) {
		size_t i = only ? only[x] : x;
		if (m->h[i].live && (d = model_diff_handle(m, e->log, p, i, pattern, e, msg, msglen)))
			return d;
	}
	if (!walks)
		return 0;
	return model_diff_sets(m, e->log, p, t->reg, t->cap, t->nreg, t->nprot, msg, msglen);
}

static int size_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

/* What op j touched: its handle, and the live handles whose pages it synced (ranges
 * crl[from..]): a pager that rewrites another handle's page must sync it to make it
 * stick. Ascending, distinct, in e->touch. */
static size_t touched(engine *e, size_t j, size_t from)
{
	const tmodel *t = &e->m;
	size_t n = 0;
	const oplog_op *op = &e->log->ops[j];
	if (op->handle < e->nh)
		e->touch[n++] = op->handle;
	for (size_t i = from; i < e->crl.n; i++) {
		uint64_t first = e->crl.r[i].off / e->ps, last = (e->crl.r[i].off + e->crl.r[i].len - 1) / e->ps;
		for (uint64_t pg = first; pg <= last && pg < t->cap; pg++) {
			uint32_t o[2] = {t->reg[pg], t->cp[pg]};
			for (int c = 0; c < 2; c++) {
				if (!o[c])
					continue;
				size_t x = 0;
				while (x < n && e->touch[x] != o[c] - 1)
					x++;
				if (x == n && n < e->nh)
					e->touch[n++] = o[c] - 1;
			}
		}
	}
	if (n > 1)
		qsort(e->touch, n, sizeof *e->touch, size_cmp);
	return n;
}

/* Check op j's answer, apply it to the case's model and compare the pager with it: in
 * full, or what op j touched (its handle, the owners of the pages it synced, and the
 * allocation sets when it allocates or frees). 0 agree, 1 differ (why). */
int mx_case_step(engine *e, size_t j, const model_result *res, int full, size_t from, char *why, size_t n)
{
	if (mx_check_result(e, &e->m, j, res, why, n))
		return 1;
	if (mx_tm_apply(&e->m, e->log, j, res)) {
		e->failed = 1;
		snprintf(why, n, "out of memory");
		return 1;
	}
	int d;
	if (full) {
		d = mx_diff(e, &e->m, e->rc.p, NULL, 0, 1, why, n);
	} else {
		oplog_kind kind = e->log->ops[j].kind;
		int walks = kind == OPLOG_ALLOC || kind == OPLOG_FREE || kind == OPLOG_PALLOC || kind == OPLOG_PFREE;
		d = mx_diff(e, &e->m, e->rc.p, e->touch, touched(e, j, from), walks, why, n);
	}
	if (d < 0) {
		e->failed = 1;
		snprintf(why, n, "out of memory");
	}
	return d != 0;
}
