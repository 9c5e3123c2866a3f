/* matrix_continue.c — the continuation of a fault-matrix case: ops k+1 to the end of
 * the log (or --continue of them) after the faulted op k, each judged for F-SILENT,
 * F-ATOMIC (persist), F-STOP and F-CONTINUE; and convergence, which stops a once case
 * that rejoins the no-fault run after a reopen. matrix.c's "Method:" comment
 * ("F-CONTINUE", "Convergence") is the reference; op k itself is matrix_case.c's. */
#define _POSIX_C_SOURCE 200809L
#include "matrix_int.h"

#include <stdio.h>
#include <string.h>

/* ---- convergence ---------------------------------------------------------------- */

static uint64_t chunk_hash(uint64_t c, int disk, const uint8_t *p, uint64_t n)
{
	return subsets_unit_hash(c * 2 + (uint64_t)disk, p, (size_t)n);
}

static uint64_t snap_chunk(uint64_t len)
{
	uint64_t csz = 16384;
	while (len / csz > 256)
		csz *= 2;
	return csz;
}

/* The no-fault disk at boundary b (after a reopen), for the convergence test. */
int mx_snap_take(engine *e, size_t b)
{
	uint64_t len = simdisk_exists(e->dd) ? simdisk_len(e->dd) : 0, csz = snap_chunk(len);
	size_t nch = (size_t)((len + csz - 1) / csz);
	if (mx_grow_buf((void **)&e->snaps, &e->snaps_cap, e->nsnaps + 1, sizeof *e->snaps) ||
	    mx_grow_buf((void **)&e->chh, &e->chh_cap, e->nchh + 2 * nch + 1, sizeof *e->chh))
		return -1;
	bsnap *s = &e->snaps[e->nsnaps];
	*s = (bsnap){len, csz, nch, e->nchh};
	const uint8_t *cache = simdisk_cache(e->dd), *disk = simdisk_disk(e->dd);
	for (size_t c = 0; c < nch; c++) {
		uint64_t off = c * csz, n = len - off < csz ? len - off : csz;
		e->chh[e->nchh++] = chunk_hash(c, 0, cache + off, n);
		e->chh[e->nchh++] = chunk_hash(c, 1, disk + off, n);
	}
	e->bsnap_at[b] = ++e->nsnaps;
	return 0;
}

/* After op b-1 (a reopen: the pager's state is what it read from the file), is the case
 * where the no-fault run is — same disk (cache, durable bytes, no lost units), same
 * model and handles, no skipped handle? Then the rest of the log runs as the no-fault
 * run did (once mode: no fault fires again), whose every op the dry run checked and
 * whose durable images are the no-fault ones: nothing left to find. */
static int converges(engine *e, size_t b)
{
	if (e->single || !e->dc || !e->bdig || !e->bsnap_at || b > e->nops || !e->bsnap_at[b] || e->ndead)
		return 0;
	const bsnap *s = &e->snaps[e->bsnap_at[b] - 1];
	uint64_t len = simdisk_exists(e->dc) ? simdisk_len(e->dc) : 0;
	/* a case whose disk differed at its first reopens seldom rejoins later: testing is
	 * only a shortcut, so it stops trying */
	if (e->tries >= 3 || mx_tm_digest(&e->m) != e->bdig[b] || len != s->len || simdisk_lost(e->dc, NULL, 0))
		return 0;
	e->tries++;
	const uint8_t *cache = simdisk_cache(e->dc), *disk = simdisk_disk(e->dc);
	for (size_t c = 0; c < s->nch; c++) {
		uint64_t off = c * s->csz, n = len - off < s->csz ? len - off : s->csz;
		if (chunk_hash(c, 0, cache + off, n) != e->chh[s->off + 2 * c] ||
		    chunk_hash(c, 1, disk + off, n) != e->chh[s->off + 2 * c + 1])
			return 0;
	}
	return 1;
}

/* ---- the continuation ----------------------------------------------------------- */

/* The ops after op k, on the case's pager. 1: the case rejoined the no-fault run (nothing
 * left to find: no end image); 0: s->last, s->end_ok and e->r say how it ended. */
int mx_continue(engine *e, case_state *s)
{
	const oplog *log = e->log;
	matrix_result *r = &e->r;
	const size_t k = s->k;
	const char *what = s->what;
	char exp[600], got[600], why[460], rcb[64], eb[16], wj[200];
	model_result res;
	if (s->model_ok && !e->rc.p) {
		/* A failed reopen left no pager: open the file again (persist: it cannot). */
		if (!s->once)
			return 0;
		mx_fiu.active = 1;
		int orc = pager_open(e->rc.path, e->rc.io, &e->rc.p);
		mx_fiu.active = 0;
		if (orc) {
			e->rc.p = NULL;
			snprintf(exp, sizeof exp, "the file opens again after %s failed", what);
			mx_add_verdict(e, "F-CONTINUE", k, MATRIX_AT_OP, exp, pager_strerror(orc));
			s->model_ok = s->end_ok = 0;
		} else if (converges(e, k + 1)) {
			r->converged = 1;
			return 1;
		} else {
			int d = mx_diff(e, &e->m, e->rc.p, NULL, 0, 1, why, sizeof why);
			if (d) {
				if (d < 0)
					e->failed = 1;
				snprintf(exp, sizeof exp, "after %s failed, the reopened file holds the state before it", what);
				mx_add_verdict(e, "F-CONTINUE", k, MATRIX_AT_OP, exp, why);
				s->model_ok = s->end_ok = 0;
			}
		}
	}
	int checked_full = 1; /* the last check compared everything */
	for (size_t j = k + 1;
	     e->rc.p && (s->model_ok || !s->once) && j < e->nops && (e->cont == SIZE_MAX || j - k <= e->cont); j++) {
		const oplog_op *op = &log->ops[j];
		if (op->handle < e->nh && e->dead[op->handle])
			continue;
		size_t from = e->crl.n;
		mx_fiu.fired_op = 0;
		mx_fiu.active = 1;
		int jrc = replay_exec(&e->rc, j, &res);
		mx_fiu.active = 0;
		r->continued++;
		s->last = j;
		int fired = mx_fiu.fired_op > 0;
		if (s->stopped && op->kind != OPLOG_REOPEN) {
			if (jrc == 0) {
				char ws[200];
				mx_describe(e, j, wj, sizeof wj);
				mx_describe(e, s->stop_op, ws, sizeof ws);
				snprintf(exp, sizeof exp, "%s refused: the pager went fail-stop at %s and was not reopened", wj, ws);
				mx_add_verdict(e, "F-STOP", j, MATRIX_AT_OP, exp, "it succeeded");
				s->model_ok = s->end_ok = 0;
				break;
			}
			mx_mark_dead(e, op);
			continue;
		}
		if (jrc == 0) {
			if (fired) {
				mx_describe(e, j, wj, sizeof wj);
				snprintf(exp, sizeof exp, "%s fails: a persistent %s fault fired in it", wj,
					 matrix_errno_name(r->c.err, eb));
				mx_add_verdict(e, "F-SILENT", j, MATRIX_AT_OP, exp, "it returned success");
			}
			int reopened = op->kind == OPLOG_REOPEN;
			if (reopened)
				s->stopped = 0;
			if (!s->model_ok) {
				s->end_ok = 0; /* acknowledged on a state the model does not describe */
				continue;
			}
			if (reopened && s->once && converges(e, j + 1)) {
				/* model_step's answer check (a reopen has none), then done */
				r->converged = 1;
				break;
			}
			int full = s->full_next || reopened || fired;
			if (mx_case_step(e, j, &res, full, from, why, sizeof why)) {
				mx_describe(e, j, wj, sizeof wj);
				snprintf(exp, sizeof exp, "%s as the model says after the failed %s", wj, what);
				mx_add_verdict(e, "F-CONTINUE", j, MATRIX_AT_OP, exp, why);
				s->model_ok = s->end_ok = 0;
				continue; /* once: the loop ends; persist: F-SILENT and F-STOP still count */
			}
			checked_full = full;
			s->full_next = 0;
			continue;
		}
		mx_mark_dead(e, op);
		if (jrc == PAGER_EUNAVAILABLE && e->rc.p) {
			s->stopped = 1;
			s->stop_op = j;
			r->fail_stop = 1;
			continue;
		}
		if (s->once) {
			mx_describe(e, j, wj, sizeof wj);
			snprintf(exp, sizeof exp, "%s runs: the one-time fault at %s is over", wj, what);
			snprintf(got, sizeof got, "it failed: %s",
				 mx_rc_text(jrc, jrc == PAGER_EIO ? pager_last_errno() : 0, rcb, sizeof rcb));
			mx_add_verdict(e, "F-CONTINUE", j, MATRIX_AT_OP, exp, got);
			s->model_ok = s->end_ok = 0;
			break;
		}
		/* persist: the disk is gone, failing is right — but like op k, the op must leave
		 * the state it found, or stop */
		if (!e->rc.p)
			continue;
		if (mx_refuses_work(e->rc.p)) {
			s->stopped = 1;
			s->stop_op = j;
			r->fail_stop = 1;
			continue;
		}
		if (!s->model_ok)
			continue;
		int d = mx_diff(e, &e->m, e->rc.p, NULL, 0, 1, why, sizeof why);
		if (d < 0)
			e->failed = 1;
		else if (d) {
			mx_describe(e, j, wj, sizeof wj);
			snprintf(exp, sizeof exp, "after %s failed, the state before it (or a fail-stop pager)", wj);
			snprintf(got, sizeof got, "%s; %s",
				 mx_rc_text(jrc, jrc == PAGER_EIO ? pager_last_errno() : 0, rcb, sizeof rcb), why);
			mx_add_verdict(e, "F-ATOMIC", j, MATRIX_AT_OP, exp, got);
			s->model_ok = 0; /* the model still holds what was acknowledged */
		}
		checked_full = 1;
	}
	if (r->converged)
		return 1;
	/* Each op was checked on what it touched; the whole state once more at the end. */
	if (s->model_ok && e->rc.p && !checked_full && !s->stopped) {
		int d = mx_diff(e, &e->m, e->rc.p, NULL, 0, 1, why, sizeof why);
		if (d < 0)
			e->failed = 1;
		else if (d) {
			mx_describe(e, s->last, wj, sizeof wj);
			snprintf(exp, sizeof exp, "after %s, the last op run after the failed %s, every page and id as the model says",
				 wj, what);
			mx_add_verdict(e, "F-CONTINUE", s->last, MATRIX_AT_OP, exp, why);
			s->model_ok = s->end_ok = 0;
		}
	}
	return 0;
}
