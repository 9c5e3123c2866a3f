/* repro_run.c — replaying a reproducer and telling its story: a crash case is
 * crash_one_locate + crash_one_judge (crash_one.c), a fault case is the fault matrix's
 * single-case runner (fault_replay: the only place that knows the matrix), after a
 * counting replay says which op the fault fires in. It does not parse (repro_format.c)
 * nor build or save reproducers (repro.c). */
#define _POSIX_C_SOURCE 200809L
#include "repro_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pager.h"
#include "crash/crash_one.h"
#include "tornpage/replay.h"
#include "tornpage/simdisk.h"

/* ---- replay ---- */

typedef struct collector {
	repro_result *res;
	size_t op;
	int oom;
} collector;

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

static void add_verdict(collector *c, const char *id, size_t op, const char *expected, const char *found,
			const char *fclass)
{
	repro_result *res = c->res;
	repro_verdict *v = realloc(res->v, (res->nv + 1) * sizeof *v);
	if (!v) {
		c->oom = 1;
		return;
	}
	res->v = v;
	repro_verdict *x = &v[res->nv];
	x->id = dup_or_empty(id);
	x->expected = dup_or_empty(expected);
	x->found = dup_or_empty(found);
	x->fclass = dup_or_empty(fclass);
	x->op = op;
	if (!x->id || !x->expected || !x->found || !x->fclass) {
		free(x->id);
		free(x->expected);
		free(x->found);
		free(x->fclass);
		c->oom = 1;
		return;
	}
	res->nv++;
	if (repro_strset_add(&res->found, id))
		c->oom = 1;
}

static void on_crash_verdict(void *arg, const char *verdict, const char *expected, const char *found)
{
	collector *c = arg;
	add_verdict(c, verdict, c->op, expected, found, "");
}

static void print_ids(FILE *f, const repro_strset *set)
{
	if (!set->n)
		fprintf(f, " ok");
	for (size_t i = 0; i < set->n; i++)
		fprintf(f, " %s", set->s[i]);
	fprintf(f, "\n");
}

/* One op of a story's op list, marked '>' when it is the op of the case. */
static void story_op(FILE *f, const oplog *log, size_t k, int here)
{
	char line[200];
	repro_op_text(log, k, line, sizeof line);
	fprintf(f, "  %s %4zu  line %-4" PRIu32 " %s\n", here ? ">" : " ", k, log->ops[k].line, line);
}

static int has_unit(const repro *r, uint64_t u)
{
	return r->nunits && bsearch(&u, r->units, r->nunits, sizeof *r->units, repro_unit_cmp) != NULL;
}

/* How the story marks a unit: its crash_unit_state, or LISTED_CLEAN for a unit listed
 * as persisted that was clean (no effect). */
#define LISTED_CLEAN 255
static int unit_mark(const repro *r, const uint8_t *states, uint64_t u)
{
	return states[u] == CRASH_UNIT_SYNCED && has_unit(r, u) ? LISTED_CLEAN : states[u];
}

/* One page's units as runs: "0-3" synced, "4*" lost (not written back), "[5]" persisted,
 * "(6)" listed as persisted but clean (no effect), "<7 garbage>" a disk fault's unit. */
static void print_page_units(FILE *f, const repro_map *m, const repro *r, uint64_t page)
{
	uint64_t first = page * m->page_size / m->unit, last = ((page + 1) * m->page_size - 1) / m->unit;
	if (last >= m->nunits)
		last = m->nunits - 1;
	uint64_t u = first;
	while (u <= last) {
		int st = unit_mark(r, m->states, u);
		uint64_t v = u;
		while (v + 1 <= last && unit_mark(r, m->states, v + 1) == st)
			v++;
		char run[64];
		if (u == v)
			snprintf(run, sizeof run, "%" PRIu64, u);
		else
			snprintf(run, sizeof run, "%" PRIu64 "-%" PRIu64, u, v);
		if (st == CRASH_UNIT_SYNCED)
			fprintf(f, " %s", run);
		else if (st == CRASH_UNIT_LOST)
			fprintf(f, " %s*", run);
		else if (st == CRASH_UNIT_PERSISTED)
			fprintf(f, " [%s]", run);
		else if (st == LISTED_CLEAN)
			fprintf(f, " (%s)", run);
		else
			fprintf(f, " <%s %s>", run, crash_unit_state_name((crash_unit_state)st));
		u = v + 1;
	}
}

/* What the disk fault did, in words (dfault.c's rules). */
static void disk_fault_story(FILE *f, const repro *r, const crash_one *c)
{
	const dfault *d = &r->df;
	char what[160];
	dfault_format(d, what, sizeof what);
	fprintf(f, "disk fault: %s (%s)\n", what, c->fclass);
	switch (d->mode) {
	case DFAULT_TORN_GARBAGE:
		fprintf(f, "  unit %" PRIu64 " was being written when the power failed and holds %s instead of its old or new bytes\n",
			d->unit, d->fill == DFAULT_FILL_ZEROS ? "zeros" : d->fill == DFAULT_FILL_ONES ? "0xFF bytes" : "seeded garbage");
		break;
	case DFAULT_ROT:
		if (d->fill == DFAULT_FILL_FLIP)
			fprintf(f, "  unit %" PRIu64 " of the durable image reads back with bit %" PRIu64 " flipped (byte %" PRIu64
				   " of the file, bit %" PRIu64 ")\n", d->unit, d->arg, d->unit * c->unit + d->arg / 8, d->arg % 8);
		else
			fprintf(f, "  unit %" PRIu64 " of the durable image reads back as zeros\n", d->unit);
		break;
	case DFAULT_MISDIRECT:
		fprintf(f, "  sync #%" PRIu32 " wrote unit %" PRIu64 "'s new bytes at unit %" PRIu64 "; unit %" PRIu64
			   " kept its old bytes%s\n", d->sync, d->unit, d->target, d->unit,
			dfault_shadow_active(&c->sh) ? "" : " (healed by a later sync, or not reached: no effect here)");
		break;
	case DFAULT_LYING_SYNC:
		fprintf(f, "  sync #%" PRIu32 " returned before the units it wrote were durable; until the next sync each may or may not be on disk%s\n",
			d->sync, dfault_shadow_active(&c->sh) ? "" : " (a later sync completed, or not reached: no effect here)");
		for (size_t i = 0; i < r->ndev; i++)
			fprintf(f, "  unit %" PRIu64 " reached disk with the bytes the sync wrote\n", r->dev[i]);
		break;
	case DFAULT_LOST_SIZE:
		if (c->img_len < c->len)
			fprintf(f, "  the file's last size change is not durable yet: the image is %" PRIu64 " bytes, not %" PRIu64 "\n",
				c->img_len, c->len);
		else
			fprintf(f, "  no size change pending at this point: no effect\n");
		break;
	default:
		break;
	}
	fprintf(f, "  (the verdicts below are what the fault changed: the same image without it is judged too, and what it shows is set aside)\n");
}

/* The file at the crash point with units[] persisted: roles and unit states. 0 or -1. */
static int fill_map(repro_map *m, const crash_one *c, const repro *r)
{
	m->page_size = c->ps;
	m->unit = c->unit;
	m->len = c->len;
	m->npages = c->npages;
	m->nunits = (c->len + c->unit - 1) / c->unit;
	m->roles = malloc(m->npages ? (size_t)m->npages : 1);
	m->states = malloc(m->nunits ? (size_t)m->nunits : 1);
	if (!m->roles || !m->states)
		return -1;
	if (m->npages)
		memcpy(m->roles, c->roles, (size_t)m->npages);
	crash_one_unit_states(c, r->units, r->nunits, r->dev, r->ndev, m->states);
	return 0;
}

static void crash_story(FILE *f, const repro *r, const crash_one *c, const repro_result *res)
{
	char at[16];
	fprintf(f, "crash: op %zu, %s", r->op, crash_phase_name(r->phase));
	if (r->phase != CRASH_END_OF_OP)
		fprintf(f, " #%" PRIu32 " %s", c->sync, c->step ? c->step : "?");
	fprintf(f, ", atomic %s (%" PRIu32 "-byte units, %zu-byte pages)\n", repro_atomic_name(r->unit, at, sizeof at),
		c->unit, c->ps);
	if (r->df.mode != DFAULT_NONE)
		disk_fault_story(f, r, c);
	fprintf(f, "ops:\n");
	for (size_t k = 0; k <= r->op && k < r->log.nops; k++)
		story_op(f, &r->log, k, k == r->op);
	if (r->op + 1 < r->log.nops)
		fprintf(f, "  (%zu later op(s) never run: the power failed first)\n", r->log.nops - r->op - 1);
	fprintf(f, "syncs (run-wide index, step, byte range, units written, op):\n");
	if (!c->nevents)
		fprintf(f, "  none\n");
	for (size_t i = 0; i < c->nevents; i++) {
		const simdisk_event *e = &c->events[i];
		size_t op = 0;
		while (op < r->op && c->op_sync0[op + 1] <= e->index)
			op++;
		int here = r->phase != CRASH_END_OF_OP && e->index == c->sync;
		fprintf(f, "  %s #%-3" PRIu32 " %-28s bytes %" PRIu64 "..%" PRIu64 " ", here ? ">" : " ", e->index,
			e->step ? e->step : "?", e->off, e->off + e->len);
		if (here && r->phase == CRASH_BEFORE_SYNC)
			fprintf(f, "(power fails before it completes)");
		else
			fprintf(f, "%" PRIu32 " unit(s)%s", e->units_written, here ? " (power fails right after it)" : "");
		fprintf(f, "  op %zu\n", op);
	}
	if (r->phase == CRASH_END_OF_OP)
		fprintf(f, "  > power fails at the end of op %zu\n", r->op);
	fprintf(f, "units at the crash ([n] persisted, n* dirty but lost, n clean, (n) listed but clean):\n");
	const repro_map *m = &res->map;
	int any = 0;
	for (uint64_t page = 0; page < m->npages && m->states; page++) {
		uint64_t first = page * m->page_size / m->unit, last = ((page + 1) * m->page_size - 1) / m->unit;
		int show_page = 0;
		for (uint64_t u = first; u <= last && u < m->nunits && !show_page; u++)
			show_page = unit_mark(r, m->states, u) != CRASH_UNIT_SYNCED;
		if (!show_page)
			continue;
		any = 1;
		fprintf(f, "  page %" PRIu64 " (%s):", page, pager_role_name((pager_role)m->roles[page]));
		print_page_units(f, m, r, page);
		fprintf(f, "\n");
	}
	if (!any)
		fprintf(f, "  no dirty unit: the image is the disk as it is\n");
	for (size_t i = 0; i < r->nunits; i++)
		if (r->units[i] >= (c->len + c->unit - 1) / c->unit)
			fprintf(f, "  unit %" PRIu64 " is past the end of the file\n", r->units[i]);
}

/* The end of every story: the verdicts (a fault case's with the op each concerns), the
 * expect set, what was found, the outcome. */
static void verdict_story(FILE *f, const repro *r, const repro_result *res)
{
	int fault = r->kind == REPRO_FAULT;
	fprintf(f, "verdicts:\n");
	if (!res->reached)
		fprintf(f, "  (not reached: %s)\n", res->why);
	else if (!res->nv)
		fprintf(f, fault ? "  none: the pager failed cleanly and the file recovers\n"
				 : "  none: the image recovers as the model says\n");
	for (size_t i = 0; i < res->nv; i++) {
		const repro_verdict *v = &res->v[i];
		if (fault)
			fprintf(f, "  %-16s at op %zu%s%s\n", v->id, v->op, v->fclass && v->fclass[0] ? ", disk fault " : "",
				v->fclass ? v->fclass : "");
		fprintf(f, "  %-16s expected: %s\n  %-16s found:    %s\n", fault ? "" : v->id, v->expected, "", v->found);
	}
	fprintf(f, "expect:");
	print_ids(f, &r->expect);
	fprintf(f, "found: ");
	if (res->reached)
		print_ids(f, &res->found);
	else
		fprintf(f, " (nothing: the case was not reached)\n");
	fprintf(f, "RESULT: %s\n", res->status == REPRO_SAME ? "reproduced (found = expect)"
				   : res->status == REPRO_CANNOT ? "cannot run here"
								  : "DIFFERS from expect");
}

static int crash_run_one(const repro *r, repro_result *res, FILE *story)
{
	crash_one c;
	int rc = crash_one_locate_fault(&c, &r->log, r->unit, r->op, r->phase, r->has_sync ? r->sync : 0, 0, &r->df,
					res->why, sizeof res->why);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		res->status = REPRO_DIFFERS;
		if (story)
			verdict_story(story, r, res);
		return 0;
	}
	res->step = c.step;
	res->sync = c.sync;
	if (r->phase == CRASH_END_OF_OP && r->has_sync && c.sync != r->sync) {
		snprintf(res->why, sizeof res->why, "the end of op %zu comes after %" PRIu32 " syncs, not %" PRIu32, r->op,
			 c.sync, r->sync);
		res->status = REPRO_DIFFERS;
		if (story)
			verdict_story(story, r, res);
		crash_one_free(&c);
		return 0;
	}
	collector col = {res, r->op, 0};
	int j = crash_one_judge_ex(&c, r->units, r->nunits, r->dev, r->ndev, on_crash_verdict, &col);
	if (j == -1 || col.oom) {
		crash_one_free(&c);
		return -1;
	}
	if (j >= 0 && fill_map(&res->map, &c, r)) {
		crash_one_free(&c);
		return -1;
	}
	if (j == -2) {
		uint64_t nunits = (c.len + c.unit - 1) / c.unit;
		snprintf(res->why, sizeof res->why, "a persisted or faulty unit is past the end of the file (%" PRIu64
			 " units of %" PRIu32 " bytes at the crash point), or a device unit is not one the lying sync wrote",
			 nunits, c.unit);
	} else {
		res->reached = 1;
	}
	if (res->reached) {
		char sig[REPRO_SIG_MAX];
		oplog_kind kind = r->log.ops[r->op].kind;
		for (int pass = 0; pass < 2; pass++) {
			const repro_strset *ids = pass ? &res->found : &r->expect;
			for (size_t i = 0; i < ids->n; i++) {
				int bad = r->df.mode != DFAULT_NONE
						  ? repro_disk_fault_signature(sig, sizeof sig, ids->s[i], c.fstep, c.unit, c.ps, c.fclass)
						  : repro_signature(sig, sizeof sig, ids->s[i], c.step, r->phase, kind, c.unit, c.ps);
				if (!bad && repro_strset_add(pass ? &res->found_sigs : &res->sigs, sig))
					rc = -1;
			}
		}
	}
	res->status = res->reached && repro_strset_equal(&res->found, &r->expect) ? REPRO_SAME : REPRO_DIFFERS;
	if (story) {
		crash_story(story, r, &c, res);
		verdict_story(story, r, res);
	}
	crash_one_free(&c);
	return rc;
}

/* ---- where a fault fires: a counting I/O layer ---- */

typedef struct counting_io {
	pager_io io;            /* the wrapper (ctx = this) */
	const pager_io *inner;  /* simdisk */
	const pager_fault_point *pts;
	size_t npts;
	uint64_t *hits;         /* per point */
} counting_io;

static void count_step(counting_io *c, const char *step)
{
	for (size_t i = 0; i < c->npts; i++) {
		if (c->pts[i].name == step || !strcmp(c->pts[i].name, step)) {
			c->hits[i]++;
			return;
		}
	}
}

static int cx_open(void *ctx, const char *step, const char *path, int create, void **file)
{
	counting_io *c = ctx;
	count_step(c, step);
	return c->inner->open(c->inner->ctx, step, path, create, file);
}
static int cx_size(void *ctx, const char *step, void *file, uint64_t *len)
{
	counting_io *c = ctx;
	count_step(c, step);
	return c->inner->size(c->inner->ctx, step, file, len);
}
static int cx_set_len(void *ctx, const char *step, void *file, uint64_t len)
{
	counting_io *c = ctx;
	count_step(c, step);
	return c->inner->set_len(c->inner->ctx, step, file, len);
}
static int cx_map(void *ctx, const char *step, void *file, uint64_t len, uint8_t **addr)
{
	counting_io *c = ctx;
	count_step(c, step);
	return c->inner->map(c->inner->ctx, step, file, len, addr);
}
static int cx_unmap(void *ctx, const char *step, void *file, uint8_t *addr, uint64_t len)
{
	counting_io *c = ctx;
	count_step(c, step);
	return c->inner->unmap(c->inner->ctx, step, file, addr, len);
}
static int cx_sync(void *ctx, const char *step, void *file, uint8_t *addr, uint64_t off, uint64_t len)
{
	counting_io *c = ctx;
	count_step(c, step);
	return c->inner->sync(c->inner->ctx, step, file, addr, off, len);
}
static int cx_close(void *ctx, const char *step, void *file)
{
	counting_io *c = ctx;
	count_step(c, step);
	return c->inner->close(c->inner->ctx, step, file);
}

int repro_fault_counts_of(const oplog *log, repro_fault_counts *fc, char *msg, size_t msglen)
{
	memset(fc, 0, sizeof *fc);
	counting_io c;
	memset(&c, 0, sizeof c);
	c.pts = pager_fault_points(&c.npts);
	simdisk *d = simdisk_new(SIMDISK_MIN_UNIT);
	replay r;
	model m;
	int rc = -1, have_r = 0;
	memset(&m, 0, sizeof m);
	fc->nops = log->nops;
	fc->npoints = c.npts;
	fc->prefix = calloc((log->nops + 1) * c.npts, sizeof *fc->prefix);
	if (!d || !fc->prefix)
		goto done;
	c.inner = simdisk_io(d);
	c.io = *c.inner;
	c.io.ctx = &c;
	c.io.open = cx_open;
	c.io.size = cx_size;
	c.io.set_len = cx_set_len;
	c.io.map = cx_map;
	c.io.unmap = cx_unmap;
	c.io.sync = cx_sync;
	c.io.close = cx_close;
	c.io.faulted = NULL;
	if (replay_init(&r, log, &c.io, "fault.db"))
		goto done;
	have_r = 1;
	if (model_init(&m, log))
		goto done;
	rc = 0;
	for (size_t k = 0; k < log->nops && !rc; k++) {
		c.hits = fc->prefix + (k + 1) * c.npts;
		memcpy(c.hits, fc->prefix + k * c.npts, c.npts * sizeof *c.hits);
		rc = replay_step(&r, &m, k, NULL, msg, msglen);
	}
done:
	if (rc < 0 && msglen)
		snprintf(msg, msglen, "out of memory");
	model_free(&m);
	if (have_r)
		replay_free(&r);
	simdisk_free(d);
	if (rc)
		repro_fault_counts_free(fc);
	return rc;
}

int repro_fault_op(const repro_fault_counts *fc, const char *point, uint64_t hit, size_t *op)
{
	size_t n;
	const pager_fault_point *pts = pager_fault_points(&n);
	size_t pt = 0;
	while (pt < n && pt < fc->npoints && strcmp(pts[pt].name, point))
		pt++;
	if (pt >= n || pt >= fc->npoints || !fc->prefix || hit == 0)
		return 1;
	for (size_t k = 0; k < fc->nops; k++) {
		if (fc->prefix[(k + 1) * fc->npoints + pt] >= hit) {
			*op = k;
			return 0;
		}
	}
	return 1;
}

void repro_fault_counts_free(repro_fault_counts *fc)
{
	free(fc->prefix);
	memset(fc, 0, sizeof *fc);
}

/* ---- replaying a fault case: the fault matrix's single-case runner ---- */

static void on_fault_verdict(void *arg, const char *verdict, size_t op, const char *expected, const char *found,
			     const char *fclass)
{
	add_verdict(arg, verdict, op, expected, found, fclass);
}

static int fault_replay(const repro *r, repro_result *res, FILE *story)
{
	repro_fault_counts fc;
	char msg[512];
	size_t op = 0;
	int rc = 0;
	if (!matrix_available()) {
		snprintf(res->why, sizeof res->why, "fault reproducers need libfiu (this build has TORNPAGE_FIU=OFF)");
		res->status = REPRO_CANNOT;
		goto story;
	}
	int c = repro_fault_counts_of(&r->log, &fc, msg, sizeof msg);
	if (c) {
		if (c < 0)
			return -1;
		snprintf(res->why, sizeof res->why, "%s", msg);
		res->status = REPRO_DIFFERS;
		goto story;
	}
	int where = repro_fault_op(&fc, r->point, r->hit, &op);
	repro_fault_counts_free(&fc);
	if (where) {
		snprintf(res->why, sizeof res->why, "%s is reached fewer than %" PRIu64 " times in this log", r->point, r->hit);
		res->status = REPRO_DIFFERS;
		goto story;
	}
	matrix_cfg cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.unit = r->unit;
	matrix_case mc = {r->point, r->hit, r->mode == REPRO_PERSIST ? MATRIX_PERSIST : MATRIX_ONCE, r->err, r->lost_writes,
			  r->seed, r->dfaults};
	collector col = {res, op, 0};
	int n = matrix_run_case_ex(&r->log, &cfg, &mc, on_fault_verdict, &col, msg, sizeof msg);
	if (col.oom)
		return -1;
	if (n < 0) {
		snprintf(res->why, sizeof res->why, "%s", msg);
		res->status = REPRO_DIFFERS;
		goto story;
	}
	res->reached = 1;
	char sig[REPRO_SIG_MAX];
	oplog_kind kind = r->log.ops[op].kind;
	/* A verdict a disk fault caused carries its class: the signatures of the expect set are
	 * those of the verdicts found with an expected id (an expected id not found: plain). */
	for (size_t i = 0; i < r->expect.n; i++) {
		int any = 0;
		for (size_t v = 0; v < res->nv; v++) {
			if (strcmp(res->v[v].id, r->expect.s[i]))
				continue;
			any = 1;
			if (!repro_fault_signature(sig, sizeof sig, r->expect.s[i], r->point, r->mode, kind) &&
			    !repro_signature_add_fault(sig, sizeof sig, res->v[v].fclass) && repro_strset_add(&res->sigs, sig))
				rc = -1;
		}
		if (!any && !repro_fault_signature(sig, sizeof sig, r->expect.s[i], r->point, r->mode, kind) &&
		    repro_strset_add(&res->sigs, sig))
			rc = -1;
	}
	for (size_t v = 0; v < res->nv; v++)
		if (!repro_fault_signature(sig, sizeof sig, res->v[v].id, r->point, r->mode, kind) &&
		    !repro_signature_add_fault(sig, sizeof sig, res->v[v].fclass) && repro_strset_add(&res->found_sigs, sig))
			rc = -1;
	res->status = repro_strset_equal(&res->found, &r->expect) ? REPRO_SAME : REPRO_DIFFERS;
story:
	if (story) {
		const char *en = repro_errno_name(r->err);
		fprintf(story, "fault: %s fails at its hit %" PRIu64 ", mode %s, errno %s", r->point, r->hit,
			repro_mode_name(r->mode), en ? en : "?");
		if (r->lost_writes)
			fprintf(story, ", lost writes (seed %" PRIu64 ")", r->seed);
		if (r->dfaults) {
			char list[96];
			dfault_list_text(r->dfaults, list, sizeof list);
			fprintf(story, ", disk faults %s on its durable images", list);
		}
		fprintf(story, "\n");
		if (res->reached || res->status != REPRO_CANNOT) {
			fprintf(story, "ops (> the op the fault fires in; the matrix runs the rest of the log after it):\n");
			size_t last = res->reached ? op : r->log.nops - 1;
			for (size_t v = 0; v < res->nv; v++)
				if (res->v[v].op > last && res->v[v].op < r->log.nops)
					last = res->v[v].op;
			for (size_t k = 0; k <= last && k < r->log.nops; k++)
				story_op(story, &r->log, k, res->reached && k == op);
			if (last + 1 < r->log.nops)
				fprintf(story, "  (%zu later op(s) not shown)\n", r->log.nops - last - 1);
		}
		verdict_story(story, r, res);
	}
	return rc;
}

int repro_run(const repro *r, repro_result *res, FILE *story)
{
	memset(res, 0, sizeof *res);
	int rc;
	if (r->kind == REPRO_CRASH)
		rc = crash_run_one(r, res, story);
	else if (r->kind == REPRO_FAULT)
		rc = fault_replay(r, res, story);
	else {
		snprintf(res->why, sizeof res->why, "no case");
		res->status = REPRO_CANNOT;
		rc = 0;
	}
	return rc;
}

void repro_result_free(repro_result *res)
{
	for (size_t i = 0; i < res->nv; i++) {
		free(res->v[i].id);
		free(res->v[i].expected);
		free(res->v[i].found);
		free(res->v[i].fclass);
	}
	free(res->v);
	repro_strset_free(&res->found);
	repro_strset_free(&res->sigs);
	repro_strset_free(&res->found_sigs);
	free(res->map.roles);
	free(res->map.states);
	memset(res, 0, sizeof *res);
}

int repro_signatures(const repro *r, repro_strset *set)
{
	repro_result res;
	if (repro_run(r, &res, NULL)) {
		repro_result_free(&res);
		return -1;
	}
	int rc = res.reached ? 0 : 1;
	if (rc == 0 && repro_strset_add_all(set, &res.sigs))
		rc = -1;
	repro_result_free(&res);
	return rc;
}
