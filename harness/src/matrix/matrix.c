/* matrix.c — the fault-matrix engine's driver: the dry run, the replay with snapshots,
 * the cases of every op (enumeration, ordinals, shards), matrix_run and single-case mode.
 * It does not print nor write reports (report/, cli_matrix.c). The other parts, and what
 * they share, are listed in matrix_int.h: the fault points (matrix_points.c), one case and
 * its F-* verdicts (matrix_case.c), the continuation (matrix_continue.c), the durable
 * images (matrix_image.c), the fast model checks (matrix_model.c), posix (matrix_io.c).
 *
 * Method:
 *
 * Points. Every fault point of the pager's table (faults.def) is enabled in libfiu with
 * its own external callback, by its exact name: libfiu hands a callback the name it was
 * enabled under, so one wildcard for all of "pager/..." could not tell them apart. The
 * callbacks share one state (mx_fiu, matrix_points.c): inactive, they let every call
 * through uncounted (setup, judging, the snapshot replay); active, they count each
 * point's hits; armed, they fail the case's hit — and, in persist mode, every later call
 * of any point — with failinfo = (void *)(intptr_t)errno, which pio.c turns into the
 * call's errno. Arming changes mx_fiu, not libfiu's table, so no case leaks into the
 * next one.
 *
 * Dry run. The log is replayed once, cleanly, with counting callbacks and the model
 * check (replay_step's, with fast lookups): it gives what the pager answers to every op
 * (ids, CRCs: the model *after* an op is then known while it is in flight) and how many
 * hits of every point fall before each op. Hit n of point P falls in op k when
 * prefix[k][P] < n <= prefix[k+1][P]. A log that does not replay cleanly has no matrix
 * (I-MODEL). The dry run also judges the no-fault durable image at every op boundary
 * (the verdicts set aside below) and keeps, per boundary, a digest of the model and,
 * after every reopen, chunk hashes of the disk (convergence, below).
 *
 * Snapshots. The log is replayed again on the main disk. At the start of op k, before
 * the main pager runs it, each case of op k restores the case disk to the main disk
 * (simdisk_copy for the first case of op k; then simdisk_restore: the cache, and the
 * durable bytes the previous case synced; posix: a file copy, which reads the page
 * cache), opens a pager on it (a clean reopen: the page cache survives it), copies the
 * handle table and the model before op k, arms its hit and runs op k. A case never
 * replays the ops before op k.
 *
 * Verdicts of a case (docs/invariants.md, "Fault-matrix verdicts"):
 *  - F-SILENT: a fault fired during op k (or, in persist mode, during a later op j)
 *    and that op returned success.
 *  - F-ATOMIC: op k failed, the pager is not fail-stop, and its visible state
 *    (model_diff's checks) differs from the model before op k. Fail-stop: op k returned
 *    PAGER_EUNAVAILABLE, or the pager refuses to hand out a page (pager_page of the first
 *    data page answers PAGER_EUNAVAILABLE) right after it. In persist mode every later op
 *    that fails is judged the same way (against the model before it), as long as the
 *    model still describes the pager: after the first F-ATOMIC it does not, and the
 *    later ops' own differences would only repeat it.
 *  - F-STOP: after the pager went fail-stop (an op returned PAGER_EUNAVAILABLE, or
 *    refuses pages after failing), an op other than a reopen succeeded. Both modes.
 *  - F-CONTINUE: the continuation — ops k+1 to the end of the log, or at most
 *    --continue of them; op k not retried; ops on handles whose defining op failed
 *    skipped — does not run as the model (before op k plus the continuation's ops)
 *    says. Once mode: an op fails (other than with PAGER_EUNAVAILABLE, which starts
 *    fail-stop), answers wrongly, or the pager's state differs afterwards. Persist mode
 *    (where failing is right): an op that succeeded and whose state differs. Also op k
 *    itself when it reported success and its state differs. A failed reopen leaves no
 *    pager: the continuation opens the file first (the application's only way on;
 *    persist: it cannot). A failed create has no continuation.
 *    Checks cost what an op touched (matrix_model.c): after each op, page_count,
 *    free_count, its handle, the live handles whose pages it synced (a pager that
 *    rewrites another handle's page must sync it to make it stick), the allocation sets
 *    when it allocates or frees — and everything after a reopen (the state is re-read
 *    from the file), after an op a fault fired in, after op k, and after the last op
 *    run, where a difference no earlier check saw is an F-CONTINUE at that last op.
 *  - The durable image (simdisk only) at the moment of the fault is judged with the
 *    crash verdicts (judge.h: before = the model before op k, after = after op k, op k
 *    in flight), and again after the continuation (no op in flight, before = after = the
 *    continuation's model) unless the model no longer describes what was acknowledged
 *    (an F-CONTINUE, an F-STOP, or a success after a persist F-ATOMIC). The image at the
 *    fault is dm's disk plus what the syncs op k completed before the fault wrote (kept
 *    at the fault), so no copy of the file is made. With lost writes, the case's failed
 *    sync models Linux: any subset of its dirty units may have reached disk, so the
 *    image at the fault is judged for every subset (subsets.h: all of them up to
 *    --exhaustive K units, default 12, else its seeded mix; identical images once;
 *    judge_image_ids's memo answers images whose pages read by recovery were seen), and
 *    one seeded subset (simdisk_fail_sync) is what the continuation goes on with, the
 *    other units lost; later failed syncs of a persist case persist nothing.
 *    A verdict that the no-fault run's durable image shows too at the op boundary the
 *    image is compared with (the start of op k for the image at the fault; the end of
 *    the last op run for the end image) is not the fault's doing: it is a crash-state
 *    weakness `tornpage crash` reports (the seed's unsynced reused page under a new
 *    protected page is one). It is set aside and counted (matrix_result.preexisting).
 *    "The same verdict" is verdict_sig's (matrix_image.c): a structural id at the same
 *    place, or a model verdict (I-ATOMIC and I-DURABLE alike) finding the same state.
 *
 * Convergence. A once case whose continuation, right after a reopen, is where the
 * no-fault run is at that boundary — the same model (digest), no skipped handle, the same
 * cache and durable bytes (chunk hashes), no lost unit — would run the rest of the log
 * exactly as the no-fault run did (the pager's state is what it read from the file, and
 * no fault fires again), whose every op the dry run checked and whose images are the
 * ones set aside: the case stops there (matrix_result.converged) and its end image is not
 * judged. Single-case mode (matrix_run_case_ex, reproducers, one process per case) has
 * no no-fault run to compare with and runs every case to its end; it gives the same
 * verdicts. */
#define _POSIX_C_SOURCE 200809L
#include "matrix_int.h"

#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the run -------------------------------------------------------------------- */

/* Hand a finished case to the caller. */
static void deliver(engine *e)
{
	const matrix_cfg *cfg = e->cfg;
	matrix_result *r = &e->r;
	e->st->run++;
	if (!r->fired)
		e->st->unfired++;
	if (r->nv) {
		e->st->with_verdicts++;
		int fatal = 0;
		for (size_t i = 0; i < r->nv; i++)
			fatal |= r->v[i].fatal;
		e->st->fatal += fatal;
	}
	if (cfg->on_result)
		cfg->on_result(cfg->result_arg, e->log, r);
	if (cfg->on_case && r->nv) {
		const char *ids[MATRIX_MAX_VERDICTS], *fcs[MATRIX_MAX_VERDICTS];
		size_t n = 0;
		for (size_t i = 0; i < r->nv; i++) {
			size_t k = 0;
			while (k < n && (strcmp(ids[k], r->v[i].id) || strcmp(fcs[k], r->v[i].fclass)))
				k++;
			if (k == n) {
				ids[n] = r->v[i].id;
				fcs[n++] = r->v[i].fclass;
			}
		}
		cfg->on_case(cfg->on_case_arg, e->log, &r->c, ids, fcs, n);
	}
}

static void engine_free(engine *e)
{
	mx_fiu.active = 0;
	if (e->rc.log)
		replay_free(&e->rc);
	if (e->rm.log)
		replay_free(&e->rm);
	mx_tm_free(&e->cur);
	mx_tm_free(&e->after);
	mx_tm_free(&e->m);
	mx_tm_free(&e->adv);
	judge_free(&e->j);
	mx_faults_free(e);
	mx_result_clear(e);
	free(e->r.v);
	free(e->dead);
	free(e->touch);
	for (size_t i = 0; e->pat && i < e->npat; i++)
		free(e->pat[i].buf);
	free(e->pat);
	mx_uh_free(&e->du);
	mx_uh_free(&e->mu);
	mx_uh_free(&e->cu);
	free(e->pid);
	free(e->capu);
	free(e->capb);
	free(e->flipu);
	free(e->flipc);
	free(e->flipd);
	free(e->vseen.s);
	free(e->bs.s);
	free(e->lz[0].s);
	free(e->lz[1].s);
	free(e->base_off);
	free(e->bdig);
	free(e->bsnap_at);
	free(e->snaps);
	free(e->chh);
	free(e->drl.r);
	free(e->mrl.r);
	free(e->crl.r);
	free(e->res);
	free(e->prefix);
	simdisk_free(e->dd);
	simdisk_free(e->dm);
	simdisk_free(e->dc);
	if (e->cfg && e->cfg->posix && e->dir[0]) {
		for (int i = 0; i < 3; i++) {
			mx_px_release(&e->px[i]);
			unlink(e->path[i]);
		}
		rmdir(e->dir);
	}
}

/* Storage for the three pagers, and the I/O they run on. */
static int engine_storage(engine *e)
{
	const matrix_cfg *cfg = e->cfg;
	rangelog *rl[3] = {&e->drl, &e->mrl, &e->crl};
	if (!cfg->posix) {
		simdisk **d[3] = {&e->dd, &e->dm, &e->dc};
		for (int i = 0; i < 3; i++) {
			if (!(*d[i] = simdisk_new(e->unit)))
				return -1;
			snprintf(e->path[i], sizeof e->path[i], "matrix.db");
			e->io[i] = simdisk_io(*d[i]);
			simdisk_set_hook(*d[i], mx_on_sync_hook, rl[i]);
		}
		simdisk_set_fault_hook(e->dc, mx_on_simdisk_fault, e);
	} else {
		const char *tmp = cfg->tmpdir ? cfg->tmpdir : getenv("TMPDIR");
		if (!tmp || !*tmp)
			tmp = "/tmp";
		snprintf(e->dir, sizeof e->dir, "%s/tornpage-matrix-XXXXXX", tmp);
		if (!mkdtemp(e->dir)) {
			snprintf(e->msg, e->msglen, "mkdtemp %s: %s", e->dir, strerror(errno));
			e->dir[0] = 0;
			return -1;
		}
		static const char *const names[3] = {"dry.db", "main.db", "case.db"};
		for (int i = 0; i < 3; i++) {
			snprintf(e->path[i], sizeof e->path[i], "%s/%s", e->dir, names[i]);
			mx_px_init(&e->px[i]);
			e->px[i].rl = rl[i];
			e->io[i] = &e->px[i].io;
		}
	}
	for (int i = 0; i < 3 && cfg->wrap_io; i++)
		if (!(e->io[i] = cfg->wrap_io(cfg->wrap_arg, e->io[i])))
			return -1;
	return 0;
}

/* One op of the dry run: replay_step's checks (same messages), with the fast diff. */
static int dry_step(engine *e, replay *r, tmodel *t, size_t k, model_result *res)
{
	char what[160], why[320];
	replay_describe(e->log, k, what, sizeof what);
	int rc = replay_exec(r, k, res);
	if (rc) {
		snprintf(e->msg, e->msglen, "%s: the pager failed: %s", what, pager_strerror(rc));
		return 1;
	}
	if (mx_check_result(e, t, k, res, why, sizeof why)) {
		snprintf(e->msg, e->msglen, "%s: %s", what, why);
		return 1;
	}
	if (mx_tm_apply(t, e->log, k, res)) {
		snprintf(e->msg, e->msglen, "%s: out of memory", what);
		return -1;
	}
	if ((rc = mx_diff(e, t, r->p, NULL, 0, 1, why, sizeof why))) {
		snprintf(e->msg, e->msglen, "%s: %s", what, rc < 0 ? "out of memory" : why);
		return rc < 0 ? -1 : 1;
	}
	return 0;
}


/* The dry run: the pager's answers and the hits before every op; in full mode also the
 * no-fault durable image's verdicts at every op boundary (to set aside), and what the
 * convergence test compares with. Single mode stops after the op the case's hit falls
 * in. 0, 1 (I-MODEL), -1. */
static int dry_run(engine *e)
{
	replay r;
	tmodel t;
	int rc = -1;
	if (replay_init(&r, e->log, e->io[0], e->path[0]))
		return -1;
	if (mx_tm_init(&t, e->log)) {
		replay_free(&r);
		return -1;
	}
	memset(mx_fiu.hits, 0, sizeof mx_fiu.hits);
	mx_fiu.armed = 0;
	rc = 0;
	e->base_off[0] = e->base_off[1] = 0;
	int judging = e->images && !e->single;
	if (e->bdig)
		e->bdig[0] = mx_tm_digest(&t);
	for (size_t k = 0; k < e->nops && !rc; k++) {
		memcpy(e->prefix + k * MX_COUNT, mx_fiu.hits, sizeof mx_fiu.hits);
		e->drl.n = 0;
		mx_fiu.active = 1;
		rc = dry_step(e, &r, &t, k, &e->res[k]);
		mx_fiu.active = 0;
		e->dry_ops = k + 1;
		if (e->bdig && !rc) {
			e->bdig[k + 1] = mx_tm_digest(&t);
			if (e->log->ops[k].kind == OPLOG_REOPEN && mx_snap_take(e, k + 1))
				rc = -1;
		}
		/* the no-fault durable image at the end of op k (boundary k + 1) */
		if (!rc && judging && simdisk_exists(e->dd) && simdisk_len(e->dd)) {
			uint64_t len = simdisk_len(e->dd);
			e->collect = &e->bs;
			if (mx_uh_fold(e, &e->du, e->dd, &e->drl, 0, 0) || mx_page_ids(e, e->du.h, len) ||
			    mx_judge_ids(e, &t.m, &t.m, JUDGE_NO_OP, mx_tm_key(&e->j, &t, &t, JUDGE_NO_OP),
					 (uint8_t *)simdisk_disk(e->dd), len) ||
			    e->failed)
				rc = -1;
			e->collect = NULL;
		}
		e->base_off[k + 2] = e->bs.n;
		if (e->single && mx_fiu.hits[e->only_pt] >= e->only->hit) {
			e->only_op = k;
			break;
		}
	}
	memcpy(e->prefix + e->dry_ops * MX_COUNT, mx_fiu.hits, sizeof mx_fiu.hits);
	replay_free(&r);
	mx_tm_free(&t);
	if (e->cfg->posix) {
		mx_px_release(&e->px[0]);
		unlink(e->path[0]);
	}
	return rc;
}

static int engine_init(engine *e, const oplog *log, const matrix_cfg *cfg, matrix_stats *st, char *msg,
		       size_t msglen)
{
	memset(e, 0, sizeof *e);
	e->log = log;
	e->cfg = cfg;
	e->st = st;
	e->msg = msg;
	e->msglen = msglen;
	e->nops = log->nops;
	e->nh = log->nhandles;
	e->ps = (size_t)1 << log->page_log2;
	e->unit = cfg->unit ? cfg->unit : (uint32_t)e->ps;
	size_t cont = cfg->cont_set ? cfg->cont : MATRIX_DEFAULT_CONTINUE;
	e->cont = cont ? cont : SIZE_MAX;
	e->images = !cfg->posix && !cfg->no_images;
	e->sub = (subsets_cfg)SUBSETS_CFG_INIT;
	if (cfg->exhaustive)
		e->sub.exhaustive_k = cfg->exhaustive > SUBSETS_MAX_EXHAUSTIVE ? SUBSETS_MAX_EXHAUSTIVE : cfg->exhaustive;
	if (cfg->modes == 0 || (cfg->modes & (1u << MATRIX_ONCE)))
		e->modes[e->nmodes++] = MATRIX_ONCE;
	if (cfg->modes == 0 || (cfg->modes & (1u << MATRIX_PERSIST)))
		e->modes[e->nmodes++] = MATRIX_PERSIST;
	e->nerrs = cfg->nerrs ? (cfg->nerrs > MATRIX_MAX_ERRNOS ? MATRIX_MAX_ERRNOS : cfg->nerrs) : 1;
	if (cfg->nerrs)
		memcpy(e->errs, cfg->errs, e->nerrs * sizeof *e->errs);
	else
		e->errs[0] = EIO;
	size_t n;
	const pager_fault_point *pts = pager_fault_points(&n);
	for (size_t i = 0; i < n && i < MX_COUNT; i++) {
		if (!cfg->points || !*cfg->points) {
			e->selected[i] = 1;
			continue;
		}
		/* comma-separated globs */
		const char *s = cfg->points;
		while (*s && !e->selected[i]) {
			size_t len = strcspn(s, ",");
			char glob[256];
			snprintf(glob, sizeof glob, "%.*s", (int)(len < 255 ? len : 255), s);
			if (fnmatch(glob, pts[i].name, 0) == 0)
				e->selected[i] = 1;
			s += len + (s[len] == ',');
		}
	}
	/* fill patterns: a few MiB at most */
	e->npat = (size_t)4 << 20 >> log->page_log2;
	e->npat = e->npat < 64 ? 64 : e->npat > 4096 ? 4096 : e->npat;
	if (!(e->res = calloc(e->nops ? e->nops : 1, sizeof *e->res)) ||
	    !(e->prefix = calloc((e->nops + 1) * MX_COUNT, sizeof *e->prefix)) ||
	    !(e->dead = calloc(e->nh ? e->nh : 1, 1)) || !(e->touch = calloc(e->nh ? e->nh : 1, sizeof *e->touch)) ||
	    !(e->pat = calloc(e->npat, sizeof *e->pat)) || !(e->base_off = calloc(e->nops + 2, sizeof *e->base_off)))
		return -1;
	if (engine_storage(e))
		return -1;
	if (replay_init(&e->rm, log, e->io[1], e->path[1]) || replay_init(&e->rc, log, e->io[2], e->path[2]) ||
	    mx_tm_init(&e->cur, log) || mx_tm_init(&e->after, log) || mx_tm_init(&e->m, log) ||
	    mx_tm_init(&e->adv, log) || judge_init(&e->j, log))
		return -1;
	return 0;
}

/* The replay with snapshots: at the start of op k, its cases. */
static int engine_cases(engine *e, uint64_t *ordinal)
{
	const matrix_cfg *cfg = e->cfg;
	size_t n;
	const pager_fault_point *pts = pager_fault_points(&n);
	uint64_t last_progress = 0;
	for (size_t k = 0; k < e->nops; k++) {
		const uint64_t *before = e->prefix + k * MX_COUNT, *upto = before + MX_COUNT;
		if (mx_tm_copy(&e->after, &e->cur) || mx_tm_apply(&e->after, e->log, k, &e->res[k]))
			return -1;
		e->fkey = 0;
		for (size_t pt = 0; pt < MX_COUNT; pt++) {
			if (!e->selected[pt] && !e->only)
				continue;
			for (uint64_t h = before[pt] + 1; h <= upto[pt]; h++) {
				for (size_t mi = 0; mi < e->nmodes; mi++) {
					for (size_t ei = 0; ei < e->nerrs; ei++) {
						matrix_case c = {pts[pt].name, h, e->modes[mi], e->errs[ei], cfg->lost_writes, 0,
								 e->images ? cfg->faults : 0};
						uint64_t ord = (*ordinal)++;
						if (e->only) {
							if ((int)pt != e->only_pt || h != e->only->hit || mi || ei)
								continue;
							c = *e->only;
							c.point = pts[pt].name;
						} else {
							c.seed = matrix_case_seed(cfg->seed, c.point, h, c.mode, c.err);
							if (cfg->nshards > 1 && ord % cfg->nshards != cfg->shard)
								continue;
						}
						if (mx_case_run(e, k, &c, ord))
							return -1;
						deliver(e);
					}
				}
			}
		}
		if (cfg->progress && e->st->run - last_progress >= 64) {
			last_progress = e->st->run;
			e->st->seconds = mx_since(&e->t0);
			cfg->progress(cfg->progress_arg, e->st, k, e->nops);
		}
		if (e->only && k >= e->only_op)
			break;
		/* op k on the main pager: no faults, the same answers as the dry run */
		model_result got;
		mx_fiu.active = 0;
		e->mrl.n = 0;
		int rc = replay_exec(&e->rm, k, &got);
		e->main_at = k + 1;
		if (rc || got.id != e->res[k].id || got.crc != e->res[k].crc) {
			char what[200];
			mx_describe(e, k, what, sizeof what);
			snprintf(e->msg, e->msglen, "%s: the replay diverged from the dry run (%s)", what,
				 rc ? pager_strerror(rc) : "different answer");
			return 1;
		}
		if (e->images && mx_uh_fold(e, &e->mu, e->dm, &e->mrl, 0, 1))
			return -1;
		if (e->mrl.oom || e->crl.oom || e->drl.oom || mx_tm_copy(&e->cur, &e->after))
			return -1;
	}
	return 0;
}

static uint64_t count_cases(const engine *e)
{
	uint64_t total = 0;
	const uint64_t *end = e->prefix + e->nops * MX_COUNT;
	for (size_t pt = 0; pt < MX_COUNT; pt++)
		if (e->selected[pt])
			total += end[pt] * e->nmodes * e->nerrs;
	return total;
}

int matrix_run(const oplog *log, const matrix_cfg *cfg, uint64_t *ordinal, matrix_stats *st, char *msg,
	       size_t msglen)
{
	engine e;
	int rc = -1;
	memset(st, 0, sizeof *st);
	if (msglen)
		msg[0] = 0;
	if (mx_points_enable()) {
		snprintf(msg, msglen, "%s", matrix_available() ? "libfiu: cannot enable the fault points"
							       : "built without libfiu (TORNPAGE_FIU=OFF): no fault matrix");
		return -1;
	}
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (engine_init(&e, log, cfg, st, msg, msglen))
		goto out;
	e.t0 = t0;
	if (!cfg->posix && !(e.bdig = calloc(e.nops + 1, sizeof *e.bdig)))
		goto out;
	if (!cfg->posix && !(e.bsnap_at = calloc(e.nops + 1, sizeof *e.bsnap_at)))
		goto out;
	if ((rc = dry_run(&e)))
		goto out;
	st->cases = count_cases(&e);
	uint64_t base = *ordinal;
	rc = engine_cases(&e, ordinal);
	*ordinal = base + st->cases;
out:
	st->seconds = mx_since(&t0);
	if (cfg->progress && rc == 0)
		cfg->progress(cfg->progress_arg, st, log->nops, log->nops);
	engine_free(&e);
	mx_points_disable();
	if (rc < 0 && msglen && !msg[0])
		snprintf(msg, msglen, "out of memory");
	return rc;
}

typedef struct single_sink {
	matrix_verdict_fn fn;
	void *arg;
	int fatal;
	int got;
} single_sink;

static void single_result(void *arg, const oplog *log, const matrix_result *r)
{
	single_sink *s = arg;
	(void)log;
	s->got = 1;
	for (size_t i = 0; i < r->nv; i++) {
		s->fatal += r->v[i].fatal;
		if (s->fn)
			s->fn(s->arg, r->v[i].id, r->v[i].op, r->v[i].expected, r->v[i].found, r->v[i].fclass);
	}
}

int matrix_run_case_ex(const oplog *log, const matrix_cfg *cfg, const matrix_case *c, matrix_verdict_fn fn,
		       void *arg, char *msg, size_t msglen)
{
	matrix_cfg one = *cfg;
	single_sink sink = {fn, arg, 0, 0};
	matrix_stats st;
	engine e;
	int rc = -1;
	memset(&st, 0, sizeof st);
	if (msglen)
		msg[0] = 0;
	int pt = mx_point_index(c->point);
	if (pt < 0) {
		snprintf(msg, msglen, "unknown fault point '%s'", c->point ? c->point : "");
		return -1;
	}
	if (c->hit == 0 || (c->mode != MATRIX_ONCE && c->mode != MATRIX_PERSIST) || c->err < 1 || c->err > 4095) {
		snprintf(msg, msglen, "bad case: hit must be >= 1, mode once or persist, errno 1..4095");
		return -1;
	}
	one.on_result = single_result;
	one.result_arg = &sink;
	one.on_case = NULL;
	one.progress = NULL;
	one.points = NULL;
	one.nshards = 0;
	if (mx_points_enable()) {
		snprintf(msg, msglen, "%s", matrix_available() ? "libfiu: cannot enable the fault points"
							       : "built without libfiu (TORNPAGE_FIU=OFF): no fault matrix");
		return -1;
	}
	if (engine_init(&e, log, &one, &st, msg, msglen))
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &e.t0);
	e.single = 1;
	e.only = c;
	e.only_pt = pt;
	e.only_op = SIZE_MAX;
	if ((rc = dry_run(&e))) {
		rc = -1;
		goto out;
	}
	rc = -1;
	if (e.only_op == SIZE_MAX) {
		uint64_t total = e.prefix[e.dry_ops * MX_COUNT + (size_t)pt];
		snprintf(msg, msglen, "%s is reached %" PRIu64 " time(s) in this log, not %" PRIu64, c->point, total, c->hit);
		goto out;
	}
	uint64_t ordinal = 0;
	int r = engine_cases(&e, &ordinal);
	if (r > 0)
		goto out;
	if (r == 0 && sink.got)
		rc = sink.fatal;
out:
	engine_free(&e);
	mx_points_disable();
	if (rc < 0 && msglen && !msg[0])
		snprintf(msg, msglen, "out of memory");
	return rc;
}

int matrix_run_case(const oplog *log, uint32_t unit, const matrix_case *c, matrix_verdict_fn fn, void *arg)
{
	matrix_cfg cfg;
	char msg[400];
	memset(&cfg, 0, sizeof cfg);
	cfg.unit = unit;
	return matrix_run_case_ex(log, &cfg, c, fn, arg, msg, sizeof msg);
}
