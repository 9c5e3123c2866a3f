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
 * does not open is the "before" state (no file yet), not a violation.
 *
 * An image carrying a disk fault (torn garbage, rot, a misdirected write, a lying sync, a
 * lost size change) is judged the same way, and so is its twin without the fault; what
 * only the faulty image shows is the fault's doing, classified detected or silent
 * (judge_fault_verdicts, judge.h). */
#define _POSIX_C_SOURCE 200809L
#include "judge.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "tornpage/replay.h"
#include "tornpage/subsets.h"

/* ---- judge_image_ids's caches (direct-mapped, bounded) ---- */
#define MEMO_SLOTS 4096u  /* verdict lists by (read-set key, case) */
#define PAGE_SLOTS 256u   /* per-page decodes and CRCs by (page, identity) */

typedef struct memo_result {  /* the verdicts of one (read set, case) */
	uint64_t key;             /* 0: empty slot */
	uint32_t n;               /* violations recorded in buf */
	uint8_t *buf;             /* n records: verdict pointer, expected\0, found\0 */
	size_t len, cap;          /* bytes used / allocated in buf */
} memo_result;

typedef struct page_memo {    /* what recovery needs from one page's bytes */
	uint64_t id, page;        /* identity and number; valid when `have` */
	uint8_t have;             /* bit 0: crc; bit 1: meta; bit 2: dir; bit 3: index */
	uint32_t crc;             /* CRC-32 of the whole page */
	uint8_t meta_ok;          /* fmt_meta_crc_ok() and fmt_meta_fits() */
	uint32_t meta_whole;      /* its whole-page CRC */
	uint8_t dir_ok;           /* fmt_dir_decode() == 0 */
	uint64_t *reads;          /* dir: pages recovery reads for the in-use entries */
	size_t nreads, reads_cap; /* entries used / allocated */
	uint8_t index_ok;         /* page 0: fmt_index_decode() == FMT_INDEX_OK */
	fmt_dir_ref *refs;        /* page 0: the blocks */
	uint32_t nrefs;           /* blocks */
	size_t refs_cap;          /* entries allocated in refs */
} page_memo;

struct judge_memo {
	memo_result res[MEMO_SLOTS];
	page_memo pages[PAGE_SLOTS];
	fmt_entry *ents;          /* one directory page's entries (decode scratch) */
	fmt_dir_ref *refs;        /* one index (decode scratch) */
};

static void memo_free(judge_memo *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < MEMO_SLOTS; i++)
		free(m->res[i].buf);
	for (size_t i = 0; i < PAGE_SLOTS; i++) {
		free(m->pages[i].reads);
		free(m->pages[i].refs);
	}
	free(m->ents);
	free(m->refs);
	free(m);
}

/* Who holds which page and protected id in the case being judged (both models), so
 * that each image costs O(handles + pages), not O(handles^2). Rebuilt when the case
 * changes (judge_case_key). */
struct judge_tables {
	uint64_t key;        /* judge_case_key the tables describe; 0 = none */
	size_t npages;       /* entries in reg, copy, freed_ack: 1 + the largest page named */
	size_t nids;         /* entries in prot, explained: 1 + the largest protected id named */
	uint32_t *reg;       /* per page: (model, live regular handle at it) pairs */
	uint32_t *copy;      /* per page: (model, live protected handle with it as a copy) pairs */
	uint8_t *freed_ack;  /* per page: a regular handle freed in `before` was at it (1);
			      * 2 while judge_model has reported it as an I-DURABLE */
	uint32_t *prot;      /* per id: (model, live protected handle with that id) pairs */
	uint8_t *explained;  /* per id: a protected handle live or freed in either model has it */
	size_t pages_cap, ids_cap;
};

static void tables_free(judge_tables *t)
{
	if (!t)
		return;
	free(t->reg);
	free(t->copy);
	free(t->freed_ack);
	free(t->prot);
	free(t->explained);
	free(t);
}

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
	memo_free(j->memo);
	tables_free(j->tables);
	memset(j, 0, sizeof *j);
}

typedef struct emitter {
	judge_emit_fn fn;
	void *arg;
	int count;
	memo_result *rec;  /* also record into this memo slot (NULL: do not) */
	int rec_failed;    /* recording ran out of memory: the slot is dropped */
} emitter;

static void record(emitter *e, const char *verdict, const char *expected, const char *found)
{
	memo_result *r = e->rec;
	size_t le = strlen(expected) + 1, lf = strlen(found) + 1;
	size_t need = r->len + sizeof verdict + le + lf;
	if (need > r->cap) {
		size_t cap = r->cap ? r->cap : 256;
		while (cap < need)
			cap *= 2;
		uint8_t *b = realloc(r->buf, cap);
		if (!b) {
			e->rec_failed = 1;
			return;
		}
		r->buf = b;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, &verdict, sizeof verdict);
	memcpy(r->buf + r->len + sizeof verdict, expected, le);
	memcpy(r->buf + r->len + sizeof verdict + le, found, lf);
	r->len = need;
	r->n++;
}

static void emit(emitter *e, const char *verdict, const char *expected, const char *found)
{
	e->count++;
	if (e->rec && !e->rec_failed)
		record(e, verdict, expected, found);
	if (e->fn)
		e->fn(e->arg, verdict, expected, found);
}

/* The cache slot of page n with identity id (the slot is reset when it held another). */
static page_memo *page_slot(judge_memo *m, uint64_t n, uint64_t id)
{
	page_memo *pm = &m->pages[subsets_mix64(id ^ n) % PAGE_SLOTS];
	if (!pm->have || pm->id != id || pm->page != n) {
		pm->id = id;
		pm->page = n;
		pm->have = 0;
	}
	return pm;
}

/* CRC-32 of page n of img: cached by identity when the image's page ids are known. */
static uint32_t page_crc(judge *j, const uint8_t *img, uint64_t n, size_t ps)
{
	if (!j->ids || !j->memo)
		return fmt_crc(0, img + n * ps, ps);
	page_memo *pm = page_slot(j->memo, n, j->ids[n]);
	if (!(pm->have & 1)) {
		pm->crc = fmt_crc(0, img + n * ps, ps);
		pm->have |= 1;
	}
	return pm->crc;
}

static uint32_t check_crc_cb(void *arg, const uint8_t *img, uint64_t page, size_t ps)
{
	judge *j = arg;
	/* Identities are of the log's pages; a format 2 probe may ask for another size. */
	if (ps != (size_t)1 << j->log->page_log2)
		return fmt_crc(0, img + page * ps, ps);
	return page_crc(j, img, page, ps);
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

static seen observe(judge *j, pager *p, const uint8_t *img, uint64_t len, size_t i,
		    const model_handle *h, uint64_t npages)
{
	seen s = {0, 0};
	if (!j->log->handle_protected[i]) {
		s.live = h->where < npages && j->roles[h->where] == PAGER_ROLE_REGULAR;
		return s;
	}
	const uint8_t *data;
	if (pager_protected_read(p, h->where, &data) == 0) {
		size_t ps = pager_page_size(p);
		s.live = 1;
		/* The pager reads the image in place (borrowed): a whole page of it. */
		uint64_t off = data >= img && data < img + len ? (uint64_t)(data - img) : UINT64_MAX;
		if (off != UINT64_MAX && off % ps == 0 && off + ps <= len)
			s.crc = page_crc(j, img, off / ps, ps);
		else
			s.crc = fmt_crc(0, data, ps);
	}
	return s;
}

/* key: judge_case_key(j, c), or 0 to compute it. */
static int tables_build(judge *j, const judge_case *c, uint64_t key)
{
	if (!key)
		key = judge_case_key(j, c);
	if (!j->tables && !(j->tables = calloc(1, sizeof *j->tables)))
		return -1;
	judge_tables *t = j->tables;
	if (t->key == key)
		return 0;
	t->key = 0;
	const model *ms[2] = {c->before, c->after};
	const uint8_t *prot = j->log->handle_protected;
	uint64_t maxp = 0, maxid = 0;
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < ms[k]->nhandles; i++) {
			const model_handle *h = &ms[k]->h[i];
			if (!prot[i]) {
				maxp = h->where > maxp ? h->where : maxp;
			} else {
				maxid = h->where > maxid ? h->where : maxid;
				maxp = h->copy[0] > maxp ? h->copy[0] : maxp;
				maxp = h->copy[1] > maxp ? h->copy[1] : maxp;
			}
		}
	}
	/* Pages and ids come from the pager's answers: bounded by the file, so by memory. */
	if (maxp >= SIZE_MAX / 8 || maxid >= SIZE_MAX / 8)
		return -1;
	size_t np = (size_t)maxp + 1, ni = (size_t)maxid + 1;
	if (np > t->pages_cap) {
		uint32_t *r = realloc(t->reg, np * sizeof *r), *cp = r ? realloc(t->copy, np * sizeof *cp) : NULL;
		if (r)
			t->reg = r;
		if (cp)
			t->copy = cp;
		uint8_t *f = cp ? realloc(t->freed_ack, np) : NULL;
		if (!f)
			return -1;
		t->freed_ack = f;
		t->pages_cap = np;
	}
	if (ni > t->ids_cap) {
		uint32_t *p = realloc(t->prot, ni * sizeof *p);
		if (p)
			t->prot = p;
		uint8_t *e = p ? realloc(t->explained, ni) : NULL;
		if (!e)
			return -1;
		t->explained = e;
		t->ids_cap = ni;
	}
	t->npages = np;
	t->nids = ni;
	memset(t->reg, 0, np * sizeof *t->reg);
	memset(t->copy, 0, np * sizeof *t->copy);
	memset(t->freed_ack, 0, np);
	memset(t->prot, 0, ni * sizeof *t->prot);
	memset(t->explained, 0, ni);
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < ms[k]->nhandles; i++) {
			const model_handle *h = &ms[k]->h[i];
			if (!prot[i]) {
				t->reg[h->where] += h->live;
				if (k == 0 && h->freed)
					t->freed_ack[h->where] = 1;
			} else {
				t->prot[h->where] += h->live;
				t->copy[h->copy[0]] += h->live;
				t->copy[h->copy[1]] += h->live;
				if (h->live || h->freed)
					t->explained[h->where] = 1;
			}
		}
	}
	t->key = key;
	return 0;
}

/* Does what was seen agree with handle i in model m (before or after)? `where` is the
 * handle's page / id (known even in a state where it is not allocated yet). A handle
 * that is not live agrees when its page / id is released, or held by another live
 * handle of its kind in either model (the other side of the op in flight: a reuse),
 * or, for a regular page, when it is a live protected page's backing copy. */
static int agrees(const judge *j, const judge_case *c, const model *m, size_t i, uint64_t where, seen s)
{
	const judge_tables *t = j->tables;
	const model_handle *h = &m->h[i];
	int prot = j->log->handle_protected[i];
	if (h->live)
		return s.live && (!prot || s.crc == h->crc);
	if (!s.live)
		return 1;
	/* Holders of `where` other than handle i itself, over both models. */
	const model_handle *hb = &c->before->h[i], *ha = &c->after->h[i];
	uint32_t self = (uint32_t)(hb->live && hb->where == where) + (uint32_t)(ha->live && ha->where == where);
	if (!prot)
		return where < t->npages && (t->reg[where] > self || t->copy[where] > 0);
	return where < t->nids && t->prot[where] > self;
}

/* How many released regular pages seen allocated the op in flight may have taken
 * without the models saying so. Every page an op takes is in the "after" model (an
 * alloc's page, a palloc's two copies: agrees() explains them) except the two directory
 * pages of a block a palloc adds; those are allocated by its metadata commit and named
 * only by its directory commit. Such a page is not an I-DURABLE (a lost free) but it is
 * counted by I-LEAK while the directory does not name it. */
static uint32_t unnamed_takes(const judge_case *c, const oplog_op *op)
{
	/* Format 2 publishes a new block's pages and its record in one root: none. */
	if (c->after->format == 2)
		return 0;
	return op && op->kind == OPLOG_PALLOC && c->after->blocks > c->before->blocks ? 2 : 0;
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

typedef struct unexplained {
	const judge *j;
	emitter *e;
} unexplained;

static int unexplained_id(void *arg, uint64_t id)
{
	unexplained *u = arg;
	const judge_tables *t = u->j->tables;
	if (id < t->nids && t->explained[id])
		return 0;
	char got[96];
	snprintf(got, sizeof got, "protected id %" PRIu64 " in use", id);
	emit(u->e, "I-ATOMIC", "no protected page with that id", got);
	return 0;
}

static void judge_model(judge *j, const judge_case *c, pager *p, const uint8_t *img, uint64_t len,
			emitter *e)
{
	const model *b = c->before, *a = c->after;
	const oplog_op *op = c->op == JUDGE_NO_OP ? NULL : &j->log->ops[c->op];
	size_t touched = op && op->handle < j->log->nhandles ? op->handle : SIZE_MAX;
	uint64_t npages = pager_page_count(p);
	char exp[256], got[256], what[160];
	int side = 0; /* -1: the in-flight items look like "before", +1 like "after" */
	uint32_t unnamed = unnamed_takes(c, op);
	judge_tables *t = j->tables;

	for (size_t i = 0; i < b->nhandles; i++) {
		const model_handle *hb = &b->h[i], *ha = &a->h[i];
		if (!hb->live && !hb->freed && !ha->live && !ha->freed)
			continue; /* not allocated yet in either state */
		const model_handle *probe = ha->live || ha->freed ? ha : hb;
		seen s = observe(j, p, img, len, i, probe, npages);
		int ok_b = agrees(j, c, b, i, probe->where, s), ok_a = agrees(j, c, a, i, probe->where, s);
		if (i != touched) {
			if (!ok_b) {
				int released = !j->log->handle_protected[i] && hb->freed;
				if (released && unnamed) {
					unnamed--; /* maybe the new block's directory page: I-LEAK below */
					continue;
				}
				if (released && hb->where < t->npages)
					t->freed_ack[hb->where] = 2;
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
	unexplained u = {j, e};
	pager_foreach_protected(p, unexplained_id, &u);

	/* Leaks: regular-looking pages nobody holds. A page reported above as an I-DURABLE
	 * (an acknowledged free lost) is not counted again; every other one is. */
	uint64_t leaked = 0, first = 0;
	for (uint64_t n = FMT_FIRST_DATA_PAGE; n < npages; n++) {
		if (j->roles[n] != PAGER_ROLE_REGULAR || (n < t->npages && t->reg[n]))
			continue; /* not regular, or a live handle holds it in before or after */
		if (n < t->npages && t->freed_ack[n] == 2)
			continue;
		if (!leaked++)
			first = n;
	}
	for (size_t n = 0; n < t->npages; n++) /* the tables are the case's: restore them */
		if (t->freed_ack[n] == 2)
			t->freed_ack[n] = 1;
	if (leaked) {
		snprintf(got, sizeof got, "%" PRIu64 " page(s) allocated but unreachable, first: page %" PRIu64, leaked, first);
		emit(e, "I-LEAK", "every allocated page reachable", got);
	}
}

/* Open, check and compare one image; every violation goes through e. */
static int judge_full(judge *j, const judge_case *c, uint64_t case_key, uint8_t *img, uint64_t len,
		      emitter *e)
{
	pager *p = NULL;
	int creating = c->op != JUDGE_NO_OP && j->log->ops[c->op].kind == OPLOG_CREATE;
	pager_check_opts opts = {check_crc_cb, j};
	j->opened++;
	if (simdisk_borrow(j->view, img, len))
		return -1;
	int rc = pager_open("crash-image", simdisk_io(j->view), &p);
	if (rc) {
		if (creating)
			return 0; /* the file is not made yet: "before" */
		if (pager_check_image_ex(img, len, &opts, structural, e) == SIZE_MAX)
			return -1;
		emit(e, "I-OPEN", "the image opens", pager_strerror(rc));
		return e->count;
	}
	if (pager_check_image_ex(img, len, &opts, structural, e) == SIZE_MAX) {
		pager_close(p);
		return -1;
	}
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
	if (tables_build(j, c, case_key)) {
		pager_close(p);
		return -1;
	}
	judge_model(j, c, p, img, len, e);
	pager_close(p);
	return e->count;
}

int judge_image(judge *j, const judge_case *c, uint8_t *img, uint64_t len, judge_emit_fn fn, void *arg)
{
	emitter e = {fn, arg, 0, NULL, 0};
	j->ids = NULL;
	return judge_full(j, c, 0, img, len, &e);
}

/* ---- the case key ---- */

uint64_t judge_handle_digest(size_t i, const model_handle *h)
{
	uint64_t k = subsets_mix64((uint64_t)i * 0x9E3779B97F4A7C15u ^
				   ((uint64_t)h->live | (uint64_t)h->freed << 1 | (uint64_t)h->set_by << 2));
	k = subsets_mix64(k ^ h->where);
	return subsets_mix64(k ^ h->copy[0] ^ subsets_mix64(h->copy[1]) ^ ((uint64_t)h->crc << 17));
}

uint64_t judge_model_digest(const model *m)
{
	uint64_t k = subsets_mix64(m->page_count);
	for (size_t i = 0; i < m->nhandles; i++)
		k ^= judge_handle_digest(i, &m->h[i]);
	return k;
}

uint64_t judge_case_key_of(const judge *j, size_t op, uint64_t before, uint64_t after)
{
	uint64_t k = 0x7c15a2e3u;
	if (op == JUDGE_NO_OP) {
		k = subsets_mix64(k ^ UINT64_MAX);
	} else {
		const oplog_op *o = &j->log->ops[op];
		k = subsets_mix64(k ^ (uint64_t)o->kind);
		k = subsets_mix64(k ^ o->handle);
	}
	k = subsets_mix64(k ^ before);
	k = subsets_mix64(subsets_mix64(k ^ 0xaf) ^ after);
	return k | !k;
}

uint64_t judge_case_key(const judge *j, const judge_case *c)
{
	return judge_case_key_of(j, c->op, judge_model_digest(c->before), judge_model_digest(c->after));
}

/* ---- the read set (judge_image_ids) ---- */

static uint64_t key_add(uint64_t k, uint64_t v)
{
	return subsets_mix64(k ^ v);
}

/* Page n with identity id joins the key (ids are pseudo-random; n spreads by an odd
 * constant so that (n, id) and (n', id') rarely cancel). */
static uint64_t key_page(uint64_t k, uint64_t n, uint64_t id)
{
	return subsets_mix64(k ^ id ^ (n * 0xD6E8FEB86659FD93u));
}

/* Page 0's directory index, decoded once per identity. NULL when out of memory. */
static page_memo *index_of(judge *j, const uint8_t *img, size_t ps)
{
	judge_memo *m = j->memo;
	page_memo *pm = page_slot(m, 0, j->ids[0]);
	if (pm->have & 8)
		return pm;
	uint32_t count = 0;
	pm->index_ok = fmt_index_decode(img, ps, m->refs, &count) == FMT_INDEX_OK;
	if (!pm->index_ok)
		count = 0;
	if (count > pm->refs_cap) {
		fmt_dir_ref *r = realloc(pm->refs, count * sizeof *r);
		if (!r)
			return NULL;
		pm->refs = r;
		pm->refs_cap = count;
	}
	if (count)
		memcpy(pm->refs, m->refs, count * sizeof *pm->refs);
	pm->nrefs = count;
	pm->have |= 8;
	return pm;
}

/* Directory page n, decoded once per identity: is it readable, and which pages do its
 * in-use entries make recovery read (the readable copy: page_a for slot 0, page_b
 * otherwise as pager_protected_read does; both when the slot is not 0 or 1). */
static page_memo *dir_of(judge *j, const uint8_t *img, uint64_t n, size_t ps)
{
	judge_memo *m = j->memo;
	page_memo *pm = page_slot(m, n, j->ids[n]);
	if (pm->have & 4)
		return pm;
	uint32_t cap = fmt_dir_capacity(ps);
	pm->nreads = 0;
	pm->dir_ok = fmt_dir_decode(img + n * ps, ps, m->ents) == 0;
	if (pm->dir_ok) {
		if (pm->reads_cap < 2 * (size_t)cap) {
			uint64_t *r = realloc(pm->reads, 2 * (size_t)cap * sizeof *r);
			if (!r)
				return NULL;
			pm->reads = r;
			pm->reads_cap = 2 * (size_t)cap;
		}
		for (uint32_t s = 0; s < cap; s++) {
			const fmt_entry *e = &m->ents[s];
			if (!e->in_use)
				continue;
			if (e->active_slot != 1)
				pm->reads[pm->nreads++] = e->page_a;
			if (e->active_slot != 0)
				pm->reads[pm->nreads++] = e->page_b;
		}
	}
	pm->have |= 4;
	return pm;
}

static page_memo *meta_of(judge *j, const uint8_t *img, uint64_t n, size_t ps)
{
	page_memo *pm = page_slot(j->memo, n, j->ids[n]);
	if (!(pm->have & 2)) {
		/* A copy is usable when its trailer matches and its bitmap fits (open_meta). */
		pm->meta_ok = (uint8_t)(fmt_meta_crc_ok(img + n * ps, ps, &pm->meta_whole) &&
					fmt_meta_fits(img + n * ps, ps));
		pm->have |= 2;
	}
	return pm;
}

/* The key of the pages recovery reads, or -1 when the image is not memoizable (judge it
 * in full). Follows pager_open and pager_check_image: see judge.h's Method. */
static int readset_key(judge *j, const uint8_t *img, uint64_t len, uint64_t *out)
{
	unsigned log2 = j->log->page_log2;
	size_t ps = (size_t)1 << log2;
	fmt_sb sb;
	if (len < (uint64_t)FMT_INITIAL_PAGES * ps || len % ps != 0 ||
	    fmt_sb_decode(img, &sb) != FMT_SB_OK || sb.page_size_log2 != log2)
		return -1;
	const uint64_t *id = j->ids;
	uint64_t npages = len / ps;
	uint64_t k = key_add(subsets_mix64(len), ps);
	k = key_page(k, 0, id[0]);
	/* Metadata: the selected copy; the other one too when the selected one fails. */
	uint64_t sel = FMT_META_A + sb.active_meta;
	page_memo *pm = meta_of(j, img, sel, ps);
	int sel_ok = pm->meta_ok && pm->meta_whole == sb.meta_checksum;
	k = key_page(k, sel, id[sel]);
	if (!sel_ok) {
		uint64_t alt = FMT_META_A + FMT_META_B - sel;
		k = key_page(k, alt, id[alt]);
	}
	/* Directory: read whatever the metadata says (pager_check reads it regardless). */
	page_memo *ix = index_of(j, img, ps);
	if (!ix)
		return -1;
	/* A copy: the directory lookups below may reuse ix's cache slot. */
	uint32_t nrefs = ix->nrefs;
	fmt_dir_ref *refs = j->memo->refs;
	if (nrefs && refs != ix->refs)
		memcpy(refs, ix->refs, nrefs * sizeof *refs);
	for (uint32_t b = 0; b < nrefs; b++) {
		const fmt_dir_ref r = refs[b];
		uint64_t first = r.active ? r.page_b : r.page_a;
		uint64_t other = r.active ? r.page_a : r.page_b;
		page_memo *d = NULL;
		if (first < npages) {
			k = key_page(k, first, id[first]);
			if (!(d = dir_of(j, img, first, ps)))
				return -1;
			if (!d->dir_ok)
				d = NULL;
		}
		if (!d && other < npages) {
			k = key_page(k, other, id[other]);
			if (!(d = dir_of(j, img, other, ps)))
				return -1;
			if (!d->dir_ok)
				d = NULL;
		}
		if (!d)
			continue;
		for (size_t i = 0; i < d->nreads; i++)
			if (d->reads[i] < npages)
				k = key_page(k, d->reads[i], id[d->reads[i]]);
	}
	*out = k;
	return 0;
}

/* Format 2: the pager lists the pages its recovery, checker and reads depend on
 * (pager_v2_read_list, the same code that recovers), with this judge's cached CRCs. */
typedef struct v2_key {
	const uint64_t *id;
	uint64_t npages;
	uint64_t k;
} v2_key;

static int v2_key_page(void *arg, uint64_t n)
{
	v2_key *K = arg;
	if (n < K->npages)
		K->k = key_page(K->k, n, K->id[n]);
	return 0;
}

static int readset_key_v2(judge *j, const uint8_t *img, uint64_t len, uint64_t *out)
{
	size_t ps = (size_t)1 << j->log->page_log2;
	if (len % ps != 0)
		return -1;
	v2_key K = {j->ids, len / ps, key_add(subsets_mix64(len), ps)};
	pager_check_opts opts = {check_crc_cb, j};
	if (pager_v2_read_list(img, len, ps, &opts, v2_key_page, &K))
		return -1;
	*out = K.k;
	return 0;
}

static int replay_memo(const memo_result *r, judge_emit_fn fn, void *arg)
{
	const uint8_t *p = r->buf;
	for (uint32_t i = 0; i < r->n; i++) {
		const char *verdict;
		memcpy(&verdict, p, sizeof verdict);
		const char *expected = (const char *)p + sizeof verdict;
		const char *found = expected + strlen(expected) + 1;
		p = (const uint8_t *)found + strlen(found) + 1;
		if (fn)
			fn(arg, verdict, expected, found);
	}
	return (int)r->n;
}

int judge_image_ids(judge *j, const judge_case *c, uint64_t case_key, uint8_t *img, uint64_t len,
		    const uint64_t *page_id, judge_emit_fn fn, void *arg)
{
	emitter e = {fn, arg, 0, NULL, 0};
	uint64_t key;
	j->ids = page_id;
	if (!j->memo) {
		uint32_t cap = fmt_dir_capacity((size_t)1 << j->log->page_log2);
		uint32_t blocks = fmt_max_dir_blocks((size_t)1 << j->log->page_log2);
		if (!(j->memo = calloc(1, sizeof *j->memo)) ||
		    !(j->memo->ents = calloc(cap, sizeof *j->memo->ents)) ||
		    !(j->memo->refs = calloc(blocks, sizeof *j->memo->refs))) {
			memo_free(j->memo);
			j->memo = NULL;
			j->ids = NULL;
			return judge_full(j, c, case_key, img, len, &e);
		}
	}
	int unkeyed = oplog_pager_format(j->log) == 2 ? readset_key_v2(j, img, len, &key)
						      : readset_key(j, img, len, &key);
	if (!case_key || unkeyed)
		return judge_full(j, c, case_key, img, len, &e);
	key = key_add(key, subsets_mix64(case_key));
	key |= !key; /* 0 marks an empty slot */
	memo_result *r = &j->memo->res[key % MEMO_SLOTS];
	if (r->key == key) {
		j->memo_hits++;
		return replay_memo(r, fn, arg);
	}
	r->key = 0;
	r->n = 0;
	r->len = 0;
	e.rec = r;
	int n = judge_full(j, c, case_key, img, len, &e);
	if (n >= 0 && !e.rec_failed)
		r->key = key;
	return n;
}

/* ---- images with a disk fault ---- */

void judge_verdicts_clear(judge_verdicts *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].expected);
		free(l->v[i].found);
	}
	l->n = 0;
	l->oom = 0;
}

void judge_verdicts_free(judge_verdicts *l)
{
	judge_verdicts_clear(l);
	free(l->v);
	memset(l, 0, sizeof *l);
}

void judge_verdicts_add(void *arg, const char *verdict, const char *expected, const char *found)
{
	judge_verdicts *l = arg;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		judge_verdict *v = realloc(l->v, cap * sizeof *v);
		if (!v) {
			l->oom = 1;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	judge_verdict *x = &l->v[l->n];
	x->id = verdict;
	x->expected = strdup(expected);
	x->found = strdup(found);
	if (!x->expected || !x->found) {
		free(x->expected);
		free(x->found);
		l->oom = 1;
		return;
	}
	l->n++;
}

int judge_collect(judge *j, const judge_case *c, uint64_t case_key, uint8_t *img, uint64_t len,
		  const uint64_t *page_id, judge_verdicts *out)
{
	int n = page_id ? judge_image_ids(j, c, case_key, img, len, page_id, judge_verdicts_add, out)
			: judge_image(j, c, img, len, judge_verdicts_add, out);
	return n < 0 || out->oom ? -1 : n;
}

/* Ids the harness gives; every other id an image shows is pager_check's. */
static int is_model_verdict(const char *id)
{
	return !strcmp(id, "I-ATOMIC") || !strcmp(id, "I-DURABLE");
}

static int is_structural(const char *id)
{
	return strcmp(id, "I-OPEN") && strcmp(id, "I-LEAK") && strcmp(id, "I-SILENT") && !is_model_verdict(id);
}

/* Does the twin show verdict v too (the same id and the same finding)? */
static int twin_shows(const judge_verdicts *twins, const judge_verdict *v)
{
	for (size_t i = 0; twins && i < twins->n; i++) {
		const judge_verdict *t = &twins->v[i];
		if (strcmp(t->id, v->id))
			continue;
		if (is_structural(v->id) ? !strcmp(t->expected, v->expected) : !strcmp(t->found, v->found))
			return 1;
	}
	return 0;
}

int judge_fault_verdicts(const judge_verdicts *img, const judge_verdicts *twins, judge_emit_fn fn, void *arg)
{
	int n = 0, opened = 1, checked = 0, wrong = 0;
	for (size_t i = 0; i < img->n; i++) {
		const judge_verdict *v = &img->v[i];
		opened &= strcmp(v->id, "I-OPEN") != 0;
		checked |= is_structural(v->id);
		if (twin_shows(twins, v))
			continue;
		wrong |= is_model_verdict(v->id);
		n++;
		if (fn)
			fn(arg, v->id, v->expected, v->found);
	}
	if (opened && !checked && wrong) {
		n++;
		if (fn)
			fn(arg, "I-SILENT", "the fault detected (open fails, or pager_check names it) or a state the model allows",
			   "the image opens, pager_check finds nothing, and the state differs from the model (see I-ATOMIC / I-DURABLE)");
	}
	return n;
}
