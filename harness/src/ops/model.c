/* model.c — the oracle's state and its comparison with a live pager. */
#include "tornpage/model.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "v2_format.h"

int model_init(model *m, const oplog *log)
{
	memset(m, 0, sizeof *m);
	m->nhandles = log->nhandles;
	m->h = calloc(log->nhandles ? log->nhandles : 1, sizeof *m->h);
	return m->h ? 0 : -1;
}

void model_free(model *m)
{
	free(m->h);
	free(m->slot_used);
	memset(m, 0, sizeof *m);
}

/* dst and src share a log (same nhandles): dst's handle array is reused as is. */
int model_copy(model *dst, const model *src)
{
	model_handle *h = dst->h;
	uint8_t *slots = dst->slot_used;
	if (!h && !(h = malloc((src->nhandles ? src->nhandles : 1) * sizeof *h)))
		return -1;
	if (dst->slot_cap < src->slot_cap) {
		uint8_t *s = realloc(slots, src->slot_cap);
		if (!s) {
			dst->h = h;
			return -1;
		}
		slots = s;
	}
	size_t scap = dst->slot_cap > src->slot_cap ? dst->slot_cap : src->slot_cap;
	*dst = *src;
	dst->h = h;
	dst->slot_used = slots;
	dst->slot_cap = scap;
	memcpy(h, src->h, src->nhandles * sizeof *h);
	/* Slots past src's are free: a model never shrinks its directory. */
	if (scap)
		memset(slots, 0, scap);
	if (src->slot_cap)
		memcpy(slots, src->slot_used, src->slot_cap);
	return 0;
}

uint64_t model_free_count(const model *m)
{
	return m->page_count - m->used;
}

/* The page count after one more page is taken: format 1 doubles the file when none is
 * free; format 2 doubles it too, capped at what its root page can describe. */
uint64_t model_count_after_take(const model *m)
{
	if (m->used < m->page_count)
		return m->page_count;
	return m->format == 2 ? v2_grown(m->ps, m->blocks, m->page_count) : m->page_count * 2;
}

/* One page taken from the bitmap. */
static void take_page(model *m)
{
	m->page_count = model_count_after_take(m);
	m->used++;
}

uint64_t model_next_protected_id(const model *m)
{
	uint64_t n = (uint64_t)m->blocks * m->cap;
	for (uint64_t i = 0; i < n; i++)
		if (!m->slot_used[i])
			return i;
	return n;
}

int model_check_result_ex(const model *m, const oplog *log, size_t k, const model_result *r, const uint32_t *owner,
			  size_t owner_cap, char *msg, size_t msglen)
{
	const oplog_op *op = &log->ops[k];
	if (op->kind == OPLOG_ALLOC) {
		/* The page count after this alloc, as the pager must grow it. */
		uint64_t count = model_count_after_take(m);
		if (r->id < m->first_data || r->id >= count) {
			snprintf(msg, msglen, "alloc returned page %" PRIu64 ", outside %" PRIu64 "..%" PRIu64,
				 r->id, m->first_data, count - 1);
			return 1;
		}
		size_t holder = SIZE_MAX;
		if (owner) {
			if (r->id < owner_cap && owner[r->id])
				holder = owner[r->id] - 1;
		} else {
			for (size_t i = 0; i < m->nhandles && holder == SIZE_MAX; i++)
				if (m->h[i].live && !log->handle_protected[i] && m->h[i].where == r->id)
					holder = i;
		}
		if (holder != SIZE_MAX) {
			snprintf(msg, msglen, "alloc returned page %" PRIu64 ", still live as %s", r->id,
				 log->handles[holder]);
			return 1;
		}
	} else if (op->kind == OPLOG_PALLOC) {
		uint64_t want = model_next_protected_id(m);
		if (r->id != want) {
			snprintf(msg, msglen, "palloc returned id %" PRIu64 ", expected %" PRIu64
				 " (the lowest free slot)", r->id, want);
			return 1;
		}
		if (m->format == 2) {
			/* Format 2 zeroes a new protected page (docs/format-2.md). */
			uint8_t *zero = calloc(1, m->ps);
			uint32_t z = zero ? fmt_crc(0, zero, m->ps) : r->crc;
			free(zero);
			if (r->crc != z) {
				snprintf(msg, msglen, "palloc's new page has CRC %08x, expected %08x (zeros)", r->crc, z);
				return 1;
			}
		}
	}
	return 0;
}

int model_check_result(const model *m, const oplog *log, size_t k, const model_result *r,
		       char *msg, size_t msglen)
{
	return model_check_result_ex(m, log, k, r, NULL, 0, msg, msglen);
}

static int ensure_slots(model *m, size_t n)
{
	if (n <= m->slot_cap)
		return 0;
	uint8_t *s = realloc(m->slot_used, n);
	if (!s)
		return -1;
	memset(s + m->slot_cap, 0, n - m->slot_cap);
	m->slot_used = s;
	m->slot_cap = n;
	return 0;
}

int model_apply(model *m, const oplog *log, size_t k, const model_result *r)
{
	const oplog_op *op = &log->ops[k];
	model_handle *h = op->handle < m->nhandles ? &m->h[op->handle] : NULL;
	switch (op->kind) {
	case OPLOG_CREATE:
		m->ps = (size_t)1 << op->arg;
		m->format = oplog_pager_format(log);
		if (m->format == 2) {
			/* Three root slots 4096 bytes apart, the padding between them, one free page. */
			m->page_count = v2_initial_pages(m->ps);
			m->first_data = v2_first_data(m->ps);
			m->cap = v2_dir_capacity(m->ps);
		} else {
			m->page_count = FMT_INITIAL_PAGES;
			m->first_data = FMT_FIRST_DATA_PAGE;
			m->cap = fmt_dir_capacity(m->ps);
		}
		m->used = m->first_data;
		break;
	case OPLOG_ALLOC:
		take_page(m);
		*h = (model_handle){.live = 1, .where = r->id, .set_by = (uint32_t)k};
		break;
	case OPLOG_FREE:
		m->used--;
		h->live = 0;
		h->freed = 1;
		h->set_by = (uint32_t)k;
		break;
	case OPLOG_FILL:
		h->filled = 1;
		h->fill = op->arg;
		break;
	case OPLOG_PALLOC: {
		uint64_t id = model_next_protected_id(m);
		if (id == (uint64_t)m->blocks * m->cap) {
			/* A new directory block: two directory pages (format 2: two mirrored
			 * pairs, four), then the two copies. */
			if (ensure_slots(m, ((size_t)m->blocks + 1) * m->cap))
				return -1;
			m->blocks++;
			for (int n = m->format == 2 ? 4 : 2; n > 0; n--)
				take_page(m);
		}
		take_page(m);
		take_page(m);
		m->slot_used[id] = 1;
		*h = (model_handle){.live = 1, .where = id, .crc = r->crc, .set_by = (uint32_t)k,
				    .copy = {r->copy[0], r->copy[1]}};
		break;
	}
	case OPLOG_PFREE:
		m->slot_used[h->where] = 0;
		m->used -= 2;
		h->live = 0;
		h->freed = 1;
		h->set_by = (uint32_t)k;
		break;
	case OPLOG_PWRITE: {
		/* The committed content is the pattern: its CRC is what must be readable. */
		uint8_t *buf = malloc(m->ps);
		if (!buf)
			return -1;
		oplog_pattern(op->arg, buf, m->ps);
		h->crc = fmt_crc(0, buf, m->ps);
		h->set_by = (uint32_t)k;
		free(buf);
		break;
	}
	case OPLOG_PSTAGE:
	case OPLOG_REOPEN:
	case OPLOG_KIND_COUNT:
		break;
	}
	return 0;
}

/* ---- comparison with a live pager ---- */

int model_diff_counts(const model *m, pager *p, char *msg, size_t msglen)
{
	if (pager_page_count(p) != m->page_count) {
		snprintf(msg, msglen, "page_count: expected %" PRIu64 ", found %" PRIu64, m->page_count, pager_page_count(p));
		return 1;
	}
	if (pager_free_page_count(p) != model_free_count(m)) {
		snprintf(msg, msglen, "free_page_count: expected %" PRIu64 ", found %" PRIu64,
			 model_free_count(m), pager_free_page_count(p));
		return 1;
	}
	return 0;
}

int model_diff_handle(const model *m, const oplog *log, pager *p, size_t i, model_pattern_fn pattern, void *arg,
		      char *msg, size_t msglen)
{
	const model_handle *h = &m->h[i];
	if (!log->handle_protected[i]) {
		uint8_t *data;
		int e = pager_page(p, h->where, &data);
		if (e) {
			snprintf(msg, msglen, "%s (page %" PRIu64 "): pager_page failed: %s", log->handles[i], h->where,
				 pager_strerror(e));
			return 1;
		}
		if (h->filled) {
			const uint8_t *pat = pattern(arg, h->fill);
			if (!pat)
				return -1;
			if (memcmp(pat, data, m->ps) != 0) {
				snprintf(msg, msglen, "%s (page %" PRIu64 "): bytes differ from fill %" PRIu64, log->handles[i],
					 h->where, h->fill);
				return 1;
			}
		}
		return 0;
	}
	const uint8_t *data;
	int e = pager_protected_read(p, h->where, &data);
	if (e) {
		snprintf(msg, msglen, "%s (protected id %" PRIu64 "): read failed: %s", log->handles[i], h->where,
			 pager_strerror(e));
		return 1;
	}
	uint32_t crc = fmt_crc(0, data, m->ps);
	if (crc != h->crc) {
		snprintf(msg, msglen, "%s (protected id %" PRIu64 "): content CRC %08x, expected %08x", log->handles[i],
			 h->where, crc, h->crc);
		return 1;
	}
	return 0;
}

typedef struct diff_walk {
	const model *m;
	const oplog *log;
	const uint32_t *owner;
	size_t owner_cap;
	char *msg;
	size_t msglen;
	size_t seen;
} diff_walk;

/* Is page held by a live regular handle? */
static int regular_owned(const diff_walk *w, uint64_t page)
{
	if (w->owner)
		return page < w->owner_cap && w->owner[page];
	const model *m = w->m;
	for (size_t i = 0; i < m->nhandles; i++)
		if (m->h[i].live && !w->log->handle_protected[i] && m->h[i].where == page)
			return 1;
	return 0;
}

static int regular_seen(void *arg, uint64_t page)
{
	diff_walk *w = arg;
	if (!regular_owned(w, page)) {
		snprintf(w->msg, w->msglen, "page %" PRIu64 " is allocated as a regular page, but no live handle has it", page);
		return 1;
	}
	w->seen++;
	return 0;
}

static int protected_seen(void *arg, uint64_t id)
{
	diff_walk *w = arg;
	if (id >= (uint64_t)w->m->blocks * w->m->cap || !w->m->slot_used[id]) {
		snprintf(w->msg, w->msglen, "protected id %" PRIu64 " is in use, but no live handle has it", id);
		return 1;
	}
	w->seen++;
	return 0;
}

int model_diff_protected(const model *m, const oplog *log, pager *p, size_t nprot, char *msg, size_t msglen)
{
	diff_walk w = {m, log, NULL, 0, msg, msglen, 0};
	if (pager_foreach_protected(p, protected_seen, &w))
		return 1;
	if (w.seen != nprot) {
		snprintf(msg, msglen, "%zu protected pages in use, expected %zu", w.seen, nprot);
		return 1;
	}
	return 0;
}

int model_diff_sets(const model *m, const oplog *log, pager *p, const uint32_t *owner, size_t owner_cap, size_t nreg,
		    size_t nprot, char *msg, size_t msglen)
{
	diff_walk w = {m, log, owner, owner_cap, msg, msglen, 0};
	if (pager_foreach_page(p, regular_seen, &w))
		return 1;
	if (w.seen != nreg) {
		snprintf(msg, msglen, "%zu regular pages allocated, expected %zu", w.seen, nreg);
		return 1;
	}
	return model_diff_protected(m, log, p, nprot, msg, msglen);
}

typedef struct pattern_buf {
	uint8_t *buf;   /* NULL until the first filled page */
	size_t ps;
} pattern_buf;

static const uint8_t *pattern_of(void *arg, uint64_t seed)
{
	pattern_buf *b = arg;
	if (!b->buf && !(b->buf = malloc(b->ps)))
		return NULL;
	oplog_pattern(seed, b->buf, b->ps);
	return b->buf;
}

int model_diff(const model *m, const oplog *log, pager *p, char *msg, size_t msglen)
{
	int rc = model_diff_counts(m, p, msg, msglen);
	if (rc)
		return rc;
	size_t live_reg = 0, live_prot = 0;
	pattern_buf pat = {NULL, m->ps};
	for (size_t i = 0; i < m->nhandles && !rc; i++) {
		if (!m->h[i].live)
			continue;
		if (log->handle_protected[i])
			live_prot++;
		else
			live_reg++;
		rc = model_diff_handle(m, log, p, i, pattern_of, &pat, msg, msglen);
	}
	free(pat.buf);
	if (rc)
		return rc;
	return model_diff_sets(m, log, p, NULL, 0, live_reg, live_prot, msg, msglen);
}
