/* mcheck.c — the model check after every op, at the cost of what the op changed
 * (mcheck.h says what is compared when). */
#include "tornpage/mcheck.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* Full comparisons come at least this often beyond one per live handle: a full check
 * compares every live handle, so it is spread over at least that many ops. */
#define MCHECK_SLACK 64u

int mcheck_init(mcheck *c, const oplog *log)
{
	memset(c, 0, sizeof *c);
	c->log = log;
	return 0;
}

void mcheck_free(mcheck *c)
{
	free(c->owner);
	free(c->pat);
	memset(c, 0, sizeof *c);
}

static int owner_reserve(mcheck *c, uint64_t page)
{
	if (page < c->owner_cap)
		return 0;
	if (page >= (uint64_t)1 << 40)
		return -1; /* pages come from the pager: bounded by the file, so by memory */
	size_t cap = c->owner_cap ? c->owner_cap : 64;
	while (cap <= page)
		cap *= 2;
	uint32_t *o = realloc(c->owner, cap * sizeof *o);
	if (!o)
		return -1;
	memset(o + c->owner_cap, 0, (cap - c->owner_cap) * sizeof *o);
	c->owner = o;
	c->owner_cap = cap;
	return 0;
}

/* The index from scratch: O(handles). */
static int rebuild(mcheck *c, const model *m)
{
	if (c->owner_cap)
		memset(c->owner, 0, c->owner_cap * sizeof *c->owner);
	c->nreg = c->nprot = 0;
	c->m = NULL;
	for (size_t i = 0; i < m->nhandles; i++) {
		const model_handle *h = &m->h[i];
		if (!h->live)
			continue;
		if (c->log->handle_protected[i]) {
			c->nprot++;
			continue;
		}
		if (owner_reserve(c, h->where))
			return -1;
		c->owner[h->where] = (uint32_t)i + 1;
		c->nreg++;
	}
	c->m = m;
	return 0;
}

/* Op k was applied to the model the index describes: follow it. */
static int follow(mcheck *c, const model *m, size_t k)
{
	const oplog_op *op = &c->log->ops[k];
	if (op->handle >= m->nhandles)
		return 0;
	const model_handle *h = &m->h[op->handle];
	switch (op->kind) {
	case OPLOG_ALLOC:
		if (owner_reserve(c, h->where))
			return -1;
		c->owner[h->where] = op->handle + 1;
		c->nreg++;
		break;
	case OPLOG_FREE:
		if (h->where < c->owner_cap && c->owner[h->where] == op->handle + 1)
			c->owner[h->where] = 0;
		c->nreg--;
		break;
	case OPLOG_PALLOC:
		c->nprot++;
		break;
	case OPLOG_PFREE:
		c->nprot--;
		break;
	default:
		break;
	}
	return 0;
}

static const uint8_t *pattern(void *arg, uint64_t seed)
{
	mcheck *c = arg;
	size_t ps = (size_t)1 << c->log->page_log2;
	if (!c->pat && !(c->pat = malloc(ps)))
		return NULL;
	if (!c->pat_ok || c->pat_seed != seed) {
		oplog_pattern(seed, c->pat, ps);
		c->pat_seed = seed;
		c->pat_ok = 1;
	}
	return c->pat;
}

int mcheck_result(mcheck *c, const model *m, size_t k, const model_result *r, char *msg, size_t msglen)
{
	if (c->m != m || c->next != k)
		return model_check_result(m, c->log, k, r, msg, msglen);
	return model_check_result_ex(m, c->log, k, r, c->owner, c->owner_cap, msg, msglen);
}

/* model_diff with the index: the same checks in the same order, the same messages. */
static int diff_full(mcheck *c, const model *m, pager *p, char *msg, size_t msglen)
{
	int rc = model_diff_counts(m, p, msg, msglen);
	for (size_t i = 0; i < m->nhandles && !rc; i++)
		if (m->h[i].live)
			rc = model_diff_handle(m, c->log, p, i, pattern, c, msg, msglen);
	if (rc)
		return rc;
	return model_diff_sets(m, c->log, p, c->owner, c->owner_cap, c->nreg, c->nprot, msg, msglen);
}

/* What op k names: its handle, the page it took or released, the protected ids. */
static int diff_op(mcheck *c, const model *m, pager *p, size_t k, char *msg, size_t msglen)
{
	const oplog_op *op = &c->log->ops[k];
	int rc = model_diff_counts(m, p, msg, msglen);
	if (rc || op->handle >= m->nhandles)
		return rc;
	size_t i = op->handle;
	const model_handle *h = &m->h[i];
	if (h->live && (rc = model_diff_handle(m, c->log, p, i, pattern, c, msg, msglen)))
		return rc;
	switch (op->kind) {
	case OPLOG_ALLOC: {
		pager_role role = pager_page_role(p, h->where);
		if (role != PAGER_ROLE_REGULAR) {
			snprintf(msg, msglen, "%s (page %" PRIu64 "): not allocated as a regular page (%s)",
				 c->log->handles[i], h->where, pager_role_name(role));
			return 1;
		}
		return 0;
	}
	case OPLOG_FREE:
		if (pager_page_role(p, h->where) == PAGER_ROLE_REGULAR) {
			snprintf(msg, msglen, "page %" PRIu64 " is allocated as a regular page, but no live handle has it",
				 h->where);
			return 1;
		}
		return 0;
	case OPLOG_PALLOC:
	case OPLOG_PFREE:
		return model_diff_protected(m, c->log, p, c->nprot, msg, msglen);
	default:
		return 0;
	}
}

int mcheck_after(mcheck *c, const model *m, pager *p, size_t k, int full, char *msg, size_t msglen)
{
	if (c->m != m || c->next != k) {
		if (rebuild(c, m))
			return -1;
		full = 1;
	} else if (follow(c, m, k)) {
		c->m = NULL;
		return -1;
	}
	c->next = k + 1;
	const oplog_op *op = &c->log->ops[k];
	if (op->kind == OPLOG_REOPEN || k + 1 >= c->log->nops || c->since_full + 1 >= c->nreg + c->nprot + MCHECK_SLACK)
		full = 1;
	if (!full) {
		c->since_full++;
		return diff_op(c, m, p, k, msg, msglen);
	}
	int rc = diff_full(c, m, p, msg, msglen);
	if (rc == 1 && c->since_full) {
		/* Ops since the last full comparison were checked on what they named only. */
		size_t l = strlen(msg);
		if (c->full_op)
			snprintf(msg + l, msglen - l, " (everything was equal after op %zu)", c->full_op - 1);
		else
			snprintf(msg + l, msglen - l, " (first full comparison)");
	}
	c->fulls++;
	c->since_full = 0;
	c->full_op = k + 1;
	return rc;
}
