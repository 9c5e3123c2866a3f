/* judge.c — verdicts on one recovered image.
 *
 * Method: the image is opened by pager_open() exactly as a user's restart would, then
 * checked structurally by pager_check_image(). What recovery found is compared with the
 * model item by item — each regular handle (is its page allocated as a regular page?),
 * each protected handle (is its id in use, with which content CRC?), and page_count:
 *  - an item the op in flight does not touch must equal the model (I-DURABLE: an
 *    acknowledged op's effect is missing; the message names the op that set it);
 *  - the item the op in flight touches must equal its value before or after the op
 *    (I-ATOMIC), and so must page_count, consistently with it;
 *  - a page allocated as a regular page that no live handle holds is a leak (I-LEAK),
 *    unless it is a page an acknowledged free released (then I-DURABLE).
 * Regular page *contents* are not judged: the format never syncs them, so they carry no
 * crash guarantee (docs/crash-model.md). While the create is in flight, an image that
 * does not open is the "before" state (no file yet), not a violation. */
#include "judge.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "replay.h"

int judge_init(judge *j, const oplog *log)
{
	memset(j, 0, sizeof *j);
	j->log = log;
	j->view = simdisk_new(SIMDISK_MIN_UNIT);
	return j->view ? 0 : -1;
}

void judge_free(judge *j)
{
	simdisk_free(j->view);
	free(j->roles);
	memset(j, 0, sizeof *j);
}

typedef struct emitter {
	judge_emit_fn fn;
	void *arg;
	int count;
} emitter;

static void emit(emitter *e, const char *verdict, const char *expected, const char *found)
{
	e->count++;
	if (e->fn)
		e->fn(e->arg, verdict, expected, found);
}

static void structural(void *arg, const pager_violation *v)
{
	emitter *e = arg;
	char where[64];
	if (v->page != UINT64_MAX)
		snprintf(where, sizeof where, "page %" PRIu64 ", byte %" PRIu64, v->page, v->offset);
	else
		snprintf(where, sizeof where, "the file");
	emit(e, v->id, where, v->detail);
}

/* What recovery shows for one handle, in the model's terms. */
typedef struct seen {
	int live;      /* regular: page allocated as regular; protected: id in use */
	uint32_t crc;  /* protected: CRC of the readable copy */
} seen;

static seen observe(judge *j, pager *p, size_t i, const model_handle *h, uint64_t npages)
{
	seen s = {0, 0};
	if (!j->log->handle_protected[i]) {
		s.live = h->where < npages && j->roles[h->where] == PAGER_ROLE_REGULAR;
		return s;
	}
	const uint8_t *data;
	if (pager_protected_read(p, h->where, &data) == 0) {
		s.live = 1;
		s.crc = fmt_crc(0, data, pager_page_size(p));
	}
	return s;
}

/* Does what was seen agree with handle i in model m? `where` is the handle's page / id
 * (known even in a state where it is not allocated yet). A handle that is not live
 * agrees when its page / id is released, or held by another live handle of its kind
 * in m or in `other` (the other side of the op in flight: a reuse). */
static int agrees(const judge *j, const model *m, const model *other, size_t i, uint64_t where, seen s)
{
	const model_handle *h = &m->h[i];
	int prot = j->log->handle_protected[i];
	if (h->live)
		return s.live && (!prot || s.crc == h->crc);
	if (!s.live)
		return 1;
	const model *ms[2] = {m, other};
	for (int k = 0; k < 2; k++) {
		for (size_t o = 0; o < m->nhandles; o++) {
			const model_handle *ho = &ms[k]->h[o];
			if (o == i || !ho->live)
				continue;
			if (j->log->handle_protected[o] == prot && ho->where == where)
				return 1;
			/* a released regular page reused as a protected page's backing copy */
			if (!prot && j->log->handle_protected[o] && (ho->copy[0] == where || ho->copy[1] == where))
				return 1;
		}
	}
	return 0;
}

/* Can the op in flight take pages (or protected ids) that earlier frees released,
 * before its own commits are complete? Then a released page / id seen allocated may
 * be that op's, not a lost free: it is judged at the previous op's end instead, where
 * the same disk was judged without an op in flight. */
static int inflight_takes(const judge *j, const oplog_op *op, int prot)
{
	(void)j;
	if (!op)
		return 0;
	return op->kind == OPLOG_PALLOC || (!prot && op->kind == OPLOG_ALLOC);
}

static void describe(const judge *j, const model *m, size_t i, char *out, size_t n)
{
	const model_handle *h = &m->h[i];
	const char *name = j->log->handles[i];
	if (j->log->handle_protected[i]) {
		if (h->live)
			snprintf(out, n, "%s (protected id %" PRIu64 ") in use, crc %08x", name, h->where, h->crc);
		else if (h->freed)
			snprintf(out, n, "%s (protected id %" PRIu64 ") freed", name, h->where);
		else
			snprintf(out, n, "%s not allocated", name);
	} else {
		if (h->live)
			snprintf(out, n, "%s (page %" PRIu64 ") allocated", name, h->where);
		else if (h->freed)
			snprintf(out, n, "%s (page %" PRIu64 ") freed", name, h->where);
		else
			snprintf(out, n, "%s not allocated", name);
	}
}

static void describe_seen(const judge *j, const model_handle *h, size_t i, seen s, char *out, size_t n)
{
	if (j->log->handle_protected[i])
		snprintf(out, n, s.live ? "id %" PRIu64 " in use, crc %08x" : "id %" PRIu64 " not in use",
			 h->where, s.crc);
	else
		snprintf(out, n, s.live ? "page %" PRIu64 " allocated" : "page %" PRIu64 " not allocated", h->where);
}

/* Who claims regular page n in model m (a live regular handle), or -1. */
static long owner(const judge *j, const model *m, uint64_t n)
{
	for (size_t i = 0; i < m->nhandles; i++)
		if (m->h[i].live && !j->log->handle_protected[i] && m->h[i].where == n)
			return (long)i;
	return -1;
}

typedef struct unexplained {
	const judge *j;
	const model *b, *a;
	emitter *e;
} unexplained;

static int unexplained_id(void *arg, uint64_t id)
{
	unexplained *u = arg;
	for (size_t i = 0; i < u->b->nhandles; i++) {
		if (!u->j->log->handle_protected[i])
			continue;
		const model_handle *hb = &u->b->h[i], *ha = &u->a->h[i];
		if (((hb->live || hb->freed) && hb->where == id) || ((ha->live || ha->freed) && ha->where == id))
			return 0;
	}
	char got[96];
	snprintf(got, sizeof got, "protected id %" PRIu64 " in use", id);
	emit(u->e, "I-ATOMIC", "no protected page with that id", got);
	return 0;
}

static void judge_model(judge *j, const judge_case *c, pager *p, emitter *e)
{
	const model *b = c->before, *a = c->after;
	const oplog_op *op = c->op == JUDGE_NO_OP ? NULL : &j->log->ops[c->op];
	size_t touched = op && op->handle < j->log->nhandles ? op->handle : SIZE_MAX;
	uint64_t npages = pager_page_count(p);
	char exp[256], got[256], what[160];
	int side = 0; /* -1: the in-flight items look like "before", +1 like "after" */

	for (size_t i = 0; i < b->nhandles; i++) {
		const model_handle *hb = &b->h[i], *ha = &a->h[i];
		if (!hb->live && !hb->freed && !ha->live && !ha->freed)
			continue; /* not allocated yet in either state */
		const model_handle *probe = ha->live || ha->freed ? ha : hb;
		seen s = observe(j, p, i, probe, npages);
		int ok_b = agrees(j, b, a, i, probe->where, s), ok_a = agrees(j, a, b, i, probe->where, s);
		if (i != touched) {
			if (!hb->live && s.live && inflight_takes(j, op, j->log->handle_protected[i]))
				continue;
			if (!ok_b) {
				describe(j, b, i, exp, sizeof exp);
				describe_seen(j, probe, i, s, got, sizeof got);
				replay_describe(j->log, hb->set_by, what, sizeof what);
				char msg[448];
				snprintf(msg, sizeof msg, "%s, as %s acknowledged", exp, what);
				emit(e, "I-DURABLE", msg, got);
			}
			continue;
		}
		if (!ok_b && !ok_a) {
			char e2[256];
			describe(j, b, i, exp, sizeof exp);
			describe(j, a, i, e2, sizeof e2);
			describe_seen(j, probe, i, s, got, sizeof got);
			char msg[560];
			snprintf(msg, sizeof msg, "before: %s; or after: %s", exp, e2);
			emit(e, "I-ATOMIC", msg, got);
		} else if (ok_b != ok_a) {
			side = ok_b ? -1 : 1;
		}
	}

	/* page_count moves with the op in flight's allocation, never on its own. */
	uint64_t pc = pager_page_count(p);
	if (pc != b->page_count && pc != a->page_count) {
		snprintf(exp, sizeof exp, "page_count %" PRIu64 " (before) or %" PRIu64 " (after)", b->page_count, a->page_count);
		snprintf(got, sizeof got, "page_count %" PRIu64, pc);
		emit(e, b->page_count == a->page_count ? "I-DURABLE" : "I-ATOMIC", exp, got);
	} else if (b->page_count != a->page_count && side && (pc == b->page_count) != (side < 0)) {
		snprintf(exp, sizeof exp, "page_count %" PRIu64 " with the op's %s state", side < 0 ? b->page_count : a->page_count,
			 side < 0 ? "before" : "after");
		snprintf(got, sizeof got, "page_count %" PRIu64, pc);
		emit(e, "I-ATOMIC", exp, got);
	}

	/* Protected ids in use that no handle explains. */
	unexplained u = {j, b, a, e};
	pager_foreach_protected(p, unexplained_id, &u);

	/* Leaks: regular-looking pages nobody holds. A page an acknowledged free released
	 * is already an I-DURABLE above. */
	uint64_t leaked = 0, first = 0;
	for (uint64_t n = FMT_FIRST_DATA_PAGE; n < npages; n++) {
		if (j->roles[n] != PAGER_ROLE_REGULAR || owner(j, b, n) >= 0 || owner(j, a, n) >= 0)
			continue;
		int freed_by_ack = 0;
		for (size_t i = 0; i < b->nhandles && !freed_by_ack && !inflight_takes(j, op, 0); i++)
			freed_by_ack = b->h[i].freed && !j->log->handle_protected[i] && b->h[i].where == n;
		if (freed_by_ack)
			continue;
		if (!leaked++)
			first = n;
	}
	if (leaked) {
		snprintf(got, sizeof got, "%" PRIu64 " page(s) allocated but unreachable, first: page %" PRIu64, leaked, first);
		emit(e, "I-LEAK", "every allocated page reachable", got);
	}
}

int judge_image(judge *j, const judge_case *c, uint8_t *img, uint64_t len, judge_emit_fn fn, void *arg)
{
	emitter e = {fn, arg, 0};
	pager *p = NULL;
	int creating = c->op != JUDGE_NO_OP && j->log->ops[c->op].kind == OPLOG_CREATE;
	if (simdisk_borrow(j->view, img, len))
		return -1;
	int rc = pager_open("crash-image", simdisk_io(j->view), &p);
	if (rc) {
		if (creating)
			return 0; /* the file is not made yet: "before" */
		pager_check_image(img, len, structural, &e);
		emit(&e, "I-OPEN", "the image opens", pager_strerror(rc));
		return e.count;
	}
	pager_check_image(img, len, structural, &e);
	uint64_t npages = pager_page_count(p);
	if (npages > j->roles_cap) {
		uint8_t *r = realloc(j->roles, npages);
		if (!r) {
			pager_close(p);
			return -1;
		}
		j->roles = r;
		j->roles_cap = npages;
	}
	pager_page_roles(p, j->roles, npages);
	judge_model(j, c, p, &e);
	pager_close(p);
	return e.count;
}
