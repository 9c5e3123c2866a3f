/* matrix_case.c — one case of the fault matrix: the case disk and pager set up from the
 * snapshot of op k, the hit armed, op k run and judged (F-SILENT, F-ATOMIC, fail-stop),
 * then the durable image at the fault (matrix_image.c), the continuation
 * (matrix_continue.c) and the image at its end. matrix.c's "Method:" comment says what
 * each verdict means; matrix.c enumerates the cases and hands each result on. */
#define _POSIX_C_SOURCE 200809L
#include "matrix_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format.h"

double mx_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

void mx_result_clear(engine *e)
{
	for (size_t i = 0; i < e->r.nv; i++) {
		free(e->r.v[i].expected);
		free(e->r.v[i].found);
	}
	matrix_verdict *v = e->r.v;
	memset(&e->r, 0, sizeof e->r);
	e->r.v = v;
}

void mx_add_verdict(engine *e, const char *id, size_t op, matrix_at at, const char *expected, const char *found)
{
	mx_add_fault_verdict(e, id, op, at, expected, found, "");
}

void mx_add_fault_verdict(engine *e, const char *id, size_t op, matrix_at at, const char *expected, const char *found,
			  const char *fclass)
{
	matrix_result *r = &e->r;
	if (r->nv == MATRIX_MAX_VERDICTS) {
		r->dropped++;
		return;
	}
	if (r->nv == e->verdict_cap) {
		size_t cap = e->verdict_cap ? e->verdict_cap * 2 : 8;
		matrix_verdict *v = realloc(r->v, cap * sizeof *v);
		if (!v) {
			e->failed = 1;
			return;
		}
		r->v = v;
		e->verdict_cap = cap;
	}
	matrix_verdict *v = &r->v[r->nv];
	v->id = id;
	v->op = op;
	v->at = at;
	v->fatal = strcmp(id, "I-LEAK") != 0;
	v->expected = strdup(expected ? expected : "");
	v->found = strdup(found ? found : "");
	snprintf(v->fclass, sizeof v->fclass, "%s", fclass ? fclass : "");
	if (!v->expected || !v->found) {
		free(v->expected);
		free(v->found);
		e->failed = 1;
		return;
	}
	r->nv++;
}

/* ---- one case ------------------------------------------------------------------- */

static int defines_handle(const oplog_op *op)
{
	return op->kind == OPLOG_ALLOC || op->kind == OPLOG_PALLOC;
}

void mx_mark_dead(engine *e, const oplog_op *op)
{
	if (op->handle < e->nh && defines_handle(op) && !e->dead[op->handle]) {
		e->dead[op->handle] = 1;
		e->ndead++;
	}
}

/* Is the pager fail-stop (refusing work until reopened)? */
int mx_refuses_work(pager *p)
{
	uint8_t *data;
	return pager_page(p, FMT_FIRST_DATA_PAGE, &data) == PAGER_EUNAVAILABLE;
}

void mx_describe(const engine *e, size_t k, char *out, size_t n)
{
	replay_describe(e->log, k, out, n);
}

const char *mx_rc_text(int rc, int err, char *buf, size_t n)
{
	char eb[16];
	const char *s = pager_strerror(rc);
	size_t len = strcspn(s, ":");
	if (rc == PAGER_EIO && err)
		snprintf(buf, n, "%.*s (%s)", (int)len, s, matrix_errno_name(err, eb));
	else
		snprintf(buf, n, "%.*s", (int)len, s);
	return buf;
}

/* Prepare the case disk and pager for op k from the snapshot. */
static int case_setup(engine *e, size_t k)
{
	mx_fiu.active = 0;
	if (e->dc) {
		/* the previous case ran from this very snapshot: undo what it did (its syncs,
		 * the cache); else copy the snapshot */
		simdisk_process_exit(e->dc);
		if (e->copied_op == k + 1 ? simdisk_restore(e->dc, e->dm, (const uint64_t *)e->crl.r, e->crl.n)
					  : simdisk_copy(e->dc, e->dm))
			return -1;
		e->copied_op = k + 1;
	} else {
		unlink(e->path[2]);
		int err = k > 0 ? mx_copy_file(e->path[1], e->path[2]) : 0;
		if (err) {
			snprintf(e->msg, e->msglen, "cannot copy %s: %s", e->path[1], strerror(err));
			return -1;
		}
	}
	if (e->nh)
		memcpy(e->rc.where, e->rm.where, e->nh * sizeof *e->rc.where);
	e->rc.p = NULL;
	if (k > 0 && e->rm.p) {
		int rc = pager_open(e->rc.path, e->rc.io, &e->rc.p);
		if (rc) {
			e->rc.p = NULL;
			snprintf(e->msg, e->msglen, "op %zu: the snapshot does not reopen: %s", k, pager_strerror(rc));
			return -1;
		}
	}
	if (mx_tm_copy(&e->m, &e->cur))
		return -1;
	if (e->ndead)
		memset(e->dead, 0, e->nh);
	e->ndead = 0;
	e->crl.n = 0;
	e->tries = 0;
	e->fault_seen = 0;
	e->fault_nr = 0;
	e->fault_len = 0;
	e->fault_sync = 0;
	e->ncap = 0;
	e->nflip = 0;
	e->hook_faults = 0;
	e->fseen.n = 0;
	if (e->dc && e->images) {
		e->len0 = simdisk_len(e->dc);
		size_t units = (size_t)((e->len0 + e->unit - 1) / e->unit);
		if (mx_grow_buf((void **)&e->cu.h, &e->cu.cap, units + 1, sizeof *e->cu.h))
			return -1;
		if (units)
			memcpy(e->cu.h, e->mu.h, units * sizeof *e->cu.h);
		e->cu.len = e->len0;
	}
	return 0;
}

static void case_teardown(engine *e)
{
	mx_fiu.active = 0;
	mx_fiu.armed = 0;
	if (e->rc.p)
		(void)pager_close(e->rc.p);
	e->rc.p = NULL;
	if (e->dc) {
		simdisk_process_exit(e->dc);
	} else {
		mx_px_release(&e->px[2]);
		unlink(e->path[2]);
	}
}

/* Run one case of op k; fills e->r. 0, or -1 on a setup error. */
int mx_case_run(engine *e, size_t k, const matrix_case *c, uint64_t ordinal)
{
	const oplog *log = e->log;
	const oplog_op *opk = &log->ops[k];
	matrix_result *r = &e->r;
	char what[200], exp[600], got[600], why[460], rcb[64], eb[16];
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	mx_result_clear(e);
	r->c = *c;
	r->ordinal = ordinal;
	r->op = k;
	if (case_setup(e, k)) {
		case_teardown(e);
		return -1;
	}

	/* Arm the hit and run op k. */
	memcpy(mx_fiu.hits, e->prefix + k * MX_COUNT, sizeof mx_fiu.hits);
	mx_fiu.armed = 1;
	mx_fiu.target = mx_point_index(c->point);
	mx_fiu.fire_at = c->hit;
	mx_fiu.persist = c->mode == MATRIX_PERSIST;
	mx_fiu.failing = 0;
	mx_fiu.err = c->err;
	mx_fiu.fired = 0;
	mx_fiu.fired_op = 0;
	mx_fiu.on_first = mx_on_first_fault;
	mx_fiu.on_first_arg = e;
	model_result res;
	mx_fiu.active = 1;
	int rc = replay_exec(&e->rc, k, &res);
	mx_fiu.active = 0;
	r->rc = rc;
	r->err_seen = rc == PAGER_EIO ? pager_last_errno() : 0;
	r->fired = mx_fiu.fired_op > 0;
	if (!r->fired)
		goto done; /* the hit was not reached: nothing to judge (a harness note) */

	mx_describe(e, k, what, sizeof what);
	case_state s = {.k = k, .once = c->mode == MATRIX_ONCE, .what = what, .model_ok = 1, .end_ok = 1,
			.full_next = 0, .stopped = 0, .stop_op = k, .last = k};
	if (rc == 0) {
		snprintf(exp, sizeof exp, "%s fails: %s failed with %s", what, c->point, matrix_errno_name(c->err, eb));
		mx_add_verdict(e, "F-SILENT", k, MATRIX_AT_OP, exp, "it returned success");
		if (mx_case_step(e, k, &res, 1, 0, why, sizeof why)) {
			snprintf(exp, sizeof exp, "%s, reported as a success, did what the model says", what);
			mx_add_verdict(e, "F-CONTINUE", k, MATRIX_AT_OP, exp, why);
			s.model_ok = s.end_ok = 0;
		}
	} else {
		mx_mark_dead(e, opk);
		if (e->rc.p) {
			s.stopped = rc == PAGER_EUNAVAILABLE || mx_refuses_work(e->rc.p);
			if (!s.stopped) {
				int d = mx_diff(e, &e->m, e->rc.p, NULL, 0, 1, why, sizeof why);
				if (d < 0)
					e->failed = 1;
				else if (d) {
					snprintf(exp, sizeof exp, "after %s failed, the state before it (or a fail-stop pager)", what);
					snprintf(got, sizeof got, "%s; %s", mx_rc_text(rc, r->err_seen, rcb, sizeof rcb), why);
					mx_add_verdict(e, "F-ATOMIC", k, MATRIX_AT_OP, exp, got);
					/* once: the continuation shows what it costs; persist: the model is stale */
					s.full_next = 1;
					s.model_ok = s.once; /* persist: what was acknowledged is still the model */
				}
			}
		}
	}
	r->fail_stop = s.stopped;

	/* The durable images at the moment of the fault (op k in flight). */
	if (mx_judge_fault(e, k))
		e->failed = 1;

	if (opk->kind == OPLOG_CREATE && rc != 0)
		goto done; /* no file to go on with */
	if (mx_continue(e, &s))
		goto done; /* it rejoined the no-fault run: nothing left to find */
	/* The durable image after the continuation (no op in flight) — unless the pager went
	 * fail-stop at op k itself and was never reopened: it refused all work from the
	 * fault on, saying that op k's outcome is whatever the file holds (a root may have
	 * been synced before a later sync of op k failed, and no rollback could be made
	 * durable since). Its durable image is then judged as at the fault: op k in flight,
	 * before or after it, atomically. A pager that carries on after a failure claims
	 * the state before it, and is judged on that claim. */
	size_t flight = s.stopped && s.stop_op == k ? k : JUDGE_NO_OP;
	if (s.end_ok && mx_judge_end(e, s.last, s.last > k || rc == 0 ? s.last + 1 : k, flight))
		e->failed = 1;
done:
	case_teardown(e);
	r->seconds = mx_since(&t0);
	return e->failed ? -1 : 0;
}
