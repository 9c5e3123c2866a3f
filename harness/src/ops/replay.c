/* replay.c — ops of a log against a real pager, and the run-mode model check. */
#include "tornpage/replay.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

int replay_init(replay *r, const oplog *log, const pager_io *io, const char *path)
{
	memset(r, 0, sizeof *r);
	r->log = log;
	r->io = io;
	r->path = path;
	r->ps = (size_t)1 << log->page_log2;
	r->where = calloc(log->nhandles ? log->nhandles : 1, sizeof *r->where);
	r->buf = malloc(r->ps);
	mcheck_init(&r->chk, log);
	if (!r->where || !r->buf) {
		replay_free(r);
		return -1;
	}
	return 0;
}

void replay_free(replay *r)
{
	if (r->p)
		(void)pager_close(r->p);
	free(r->where);
	free(r->buf);
	mcheck_free(&r->chk);
	memset(r, 0, sizeof *r);
}

void replay_describe(const oplog *log, size_t k, char *out, size_t outlen)
{
	const oplog_op *op = &log->ops[k];
	const char *h = op->handle < log->nhandles ? log->handles[op->handle] : NULL;
	if (op->kind == OPLOG_CREATE)
		snprintf(out, outlen, "op %zu (line %u: create %" PRIu64 "%s)", k, op->line, op->arg,
			 oplog_pager_format(log) == 2 ? " v2" : "");
	else if (op->kind == OPLOG_FILL || op->kind == OPLOG_PWRITE || op->kind == OPLOG_PSTAGE)
		snprintf(out, outlen, "op %zu (line %u: %s %s %" PRIu64 ")", k, op->line, oplog_kind_name(op->kind), h, op->arg);
	else if (h)
		snprintf(out, outlen, "op %zu (line %u: %s %s)", k, op->line, oplog_kind_name(op->kind), h);
	else
		snprintf(out, outlen, "op %zu (line %u: %s)", k, op->line, oplog_kind_name(op->kind));
}

int replay_exec(replay *r, size_t k, model_result *res)
{
	const oplog_op *op = &r->log->ops[k];
	uint64_t *w = op->handle < r->log->nhandles ? &r->where[op->handle] : NULL;
	pager_pwrite pw;
	uint8_t *data;
	const uint8_t *ro;
	int rc;
	memset(res, 0, sizeof *res);
	if (op->kind != OPLOG_CREATE && !r->p)
		return PAGER_EINVAL; /* a failed create or reopen left no pager */
	switch (op->kind) {
	case OPLOG_CREATE: {
		pager_create_opts o = PAGER_CREATE_OPTS_INIT;
		o.page_size_log2 = (unsigned)op->arg;
		o.format = oplog_pager_format(r->log);
		return pager_create_ext(r->path, &o, r->io, &r->p);
	}
	case OPLOG_ALLOC:
		if ((rc = pager_alloc(r->p, &res->id)))
			return rc;
		*w = res->id;
		return 0;
	case OPLOG_FREE:
		return pager_free(r->p, *w);
	case OPLOG_FILL:
		if ((rc = pager_page(r->p, *w, &data)))
			return rc;
		oplog_pattern(op->arg, data, r->ps);
		return 0;
	case OPLOG_PALLOC:
		if ((rc = pager_alloc_protected(r->p, &res->id)))
			return rc;
		*w = res->id;
		if ((rc = pager_protected_read(r->p, res->id, &ro)))
			return rc;
		res->crc = fmt_crc(0, ro, r->ps);
		pager_protected_info info;
		if ((rc = pager_protected_info_get(r->p, res->id, &info)))
			return rc;
		res->copy[0] = info.page_a;
		res->copy[1] = info.page_b;
		return 0;
	case OPLOG_PFREE:
		return pager_free_protected(r->p, *w);
	case OPLOG_PWRITE:
	case OPLOG_PSTAGE:
		if ((rc = pager_protected_begin(r->p, *w, &pw)))
			return rc;
		oplog_pattern(op->arg, pw.data, r->ps);
		if (op->kind == OPLOG_PWRITE)
			return pager_protected_commit(r->p, &pw);
		pager_protected_abandon(r->p, &pw);
		return 0;
	case OPLOG_REOPEN: {
		/* A clean close and open: the page cache (simdisk's cache) survives it. */
		int rc_close = pager_close(r->p);
		r->p = NULL;
		rc = pager_open(r->path, r->io, &r->p);
		if (rc)
			r->p = NULL;
		return rc_close ? rc_close : rc;
	}
	case OPLOG_KIND_COUNT:
		break;
	}
	return PAGER_EINVAL;
}

int replay_step(replay *r, model *m, size_t k, model_result *out, char *msg, size_t msglen)
{
	model_result res;
	char what[160], why[400];
	int rc = replay_exec(r, k, &res);
	if (rc) {
		snprintf(why, sizeof why, "the pager failed: %s", pager_strerror(rc));
		goto differ;
	}
	if (mcheck_result(&r->chk, m, k, &res, why, sizeof why))
		goto differ;
	if (out)
		*out = res;
	if (model_apply(m, r->log, k, &res)) {
		snprintf(why, sizeof why, "out of memory");
		goto differ;
	}
	if ((rc = mcheck_after(&r->chk, m, r->p, k, 0, why, sizeof why))) {
		if (rc < 0)
			snprintf(why, sizeof why, "out of memory");
		goto differ;
	}
	return 0;
differ:
	/* Described only here: replay_step runs for every op of every log. */
	replay_describe(r->log, k, what, sizeof what);
	snprintf(msg, msglen, "%s: %s", what, why);
	return 1;
}
