/* report_record.c — the fault matrix's record of a run: built case by case from the
 * matrix's results (report_add_result), summed (report_totals_of) and saved with one of
 * the writers. The writers (report_table.c, report_json.c, report_junit.c,
 * report_md.c), the reader (report_read.c) and merge (report_merge.c) share it. */
#define _POSIX_C_SOURCE 200809L
#include "report_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pager.h"
#include "tornpage/subsets.h"

/* ---- small helpers -------------------------------------------------------------- */

char *report_dup(const char *s)
{
	return strdup(s ? s : "");
}

/* ---- the record ----------------------------------------------------------------- */

int report_init(report *r, const matrix_cfg *cfg)
{
	char buf[256], eb[16];
	size_t n = 0;
	memset(r, 0, sizeof *r);
	r->io = report_dup(cfg->posix ? "posix" : "simdisk");
	r->atomic = cfg->unit;
	r->points = report_dup(cfg->points && *cfg->points ? cfg->points : "*");
	buf[0] = 0;
	if (cfg->modes == 0 || (cfg->modes & (1u << MATRIX_ONCE)))
		n += (size_t)snprintf(buf + n, sizeof buf - n, "once");
	if (cfg->modes == 0 || (cfg->modes & (1u << MATRIX_PERSIST)))
		snprintf(buf + n, sizeof buf - n, "%spersist", n ? "," : "");
	r->modes = report_dup(buf);
	buf[0] = 0;
	n = 0;
	for (size_t i = 0; i < (cfg->nerrs ? cfg->nerrs : 1) && n < sizeof buf; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", i ? "," : "",
				      matrix_errno_name(cfg->nerrs ? cfg->errs[i] : EIO, eb));
	r->errnos = report_dup(buf);
	r->lost_writes = cfg->lost_writes;
	r->images = !cfg->posix && !cfg->no_images;
	r->exhaustive = !cfg->exhaustive ? SUBSETS_DEFAULT_EXHAUSTIVE
		      : cfg->exhaustive > SUBSETS_MAX_EXHAUSTIVE ? SUBSETS_MAX_EXHAUSTIVE : cfg->exhaustive;
	r->seed = cfg->seed;
	r->cont = cfg->cont_set ? cfg->cont : MATRIX_DEFAULT_CONTINUE;
	r->nshards = cfg->nshards > 1 ? cfg->nshards : 1;
	r->shards = malloc(sizeof *r->shards);
	if (r->shards) {
		r->shards[0] = cfg->nshards > 1 ? cfg->shard : 0;
		r->nshard_idx = 1;
	}
	if (!r->io || !r->points || !r->modes || !r->errnos || !r->shards) {
		report_free(r);
		return -1;
	}
	return 0;
}

static void case_free(report_case *c)
{
	free(c->log);
	free(c->point);
	free(c->mode);
	free(c->err);
	free(c->op_text);
	free(c->result);
	for (size_t i = 0; i < c->nv; i++) {
		free(c->v[i].id);
		free(c->v[i].at);
		free(c->v[i].expected);
		free(c->v[i].found);
	}
	free(c->v);
}

void report_free(report *r)
{
	free(r->io);
	free(r->points);
	free(r->modes);
	free(r->errnos);
	free(r->shards);
	for (size_t i = 0; i < r->nlogs; i++) {
		free(r->logs[i].path);
		free(r->logs[i].error);
	}
	free(r->logs);
	for (size_t i = 0; i < r->ncases; i++)
		case_free(&r->cases[i]);
	free(r->cases);
	memset(r, 0, sizeof *r);
}

int report_add_log(report *r, const char *path, uint64_t ops)
{
	report_log *l = realloc(r->logs, (r->nlogs + 1) * sizeof *l);
	if (!l)
		return -1;
	r->logs = l;
	l = &r->logs[r->nlogs];
	memset(l, 0, sizeof *l);
	if (!(l->path = report_dup(path)))
		return -1;
	l->ops = ops;
	return (int)r->nlogs++;
}

report_case *report_new_case(report *r)
{
	if (r->ncases == r->cases_cap) {
		size_t cap = r->cases_cap ? r->cases_cap * 2 : 64;
		report_case *c = realloc(r->cases, cap * sizeof *c);
		if (!c)
			return NULL;
		r->cases = c;
		r->cases_cap = cap;
	}
	report_case *c = &r->cases[r->ncases];
	memset(c, 0, sizeof *c);
	return c;
}

static void op_text(const oplog *log, size_t k, char *out, size_t n)
{
	const oplog_op *op = &log->ops[k];
	const char *h = op->handle < log->nhandles ? log->handles[op->handle] : NULL;
	const char *name = oplog_kind_name(op->kind);
	if (op->kind == OPLOG_CREATE)
		snprintf(out, n, "%s %" PRIu64, name, op->arg);
	else if (op->kind == OPLOG_FILL || op->kind == OPLOG_PWRITE || op->kind == OPLOG_PSTAGE)
		snprintf(out, n, "%s %s %" PRIu64, name, h ? h : "?", op->arg);
	else if (h)
		snprintf(out, n, "%s %s", name, h);
	else
		snprintf(out, n, "%s", name);
}

int report_add_result(report *r, size_t li, const oplog *log, const matrix_result *res)
{
	char buf[200], eb[16];
	report_case *c = report_new_case(r);
	if (!c || li >= r->nlogs)
		return -1;
	c->ordinal = res->ordinal;
	c->log = report_dup(r->logs[li].path);
	c->log_index = li;
	c->point = report_dup(res->c.point);
	c->hit = res->c.hit;
	c->mode = report_dup(matrix_mode_name(res->c.mode));
	c->err = report_dup(matrix_errno_name(res->c.err, eb));
	c->seed = res->c.seed;
	c->lost_writes = res->c.lost_writes;
	c->op = res->op;
	c->line = res->op < log->nops ? log->ops[res->op].line : 0;
	op_text(log, res->op, buf, sizeof buf);
	c->op_text = report_dup(buf);
	c->fired = res->fired;
	if (res->rc == 0) {
		snprintf(buf, sizeof buf, "ok");
	} else {
		const char *s = pager_strerror(res->rc);
		int len = (int)strcspn(s, ":");
		if (res->rc == PAGER_EIO && res->err_seen)
			snprintf(buf, sizeof buf, "%.*s (%s)", len, s, matrix_errno_name(res->err_seen, eb));
		else
			snprintf(buf, sizeof buf, "%.*s", len, s);
	}
	c->result = report_dup(buf);
	c->fail_stop = res->fail_stop;
	c->continued = res->continued;
	c->converged = res->converged;
	c->seconds = res->seconds;
	c->dropped = res->dropped;
	c->preexisting = res->preexisting;
	r->ncases++; /* from here on report_free releases it */
	if (!c->log || !c->point || !c->mode || !c->err || !c->op_text || !c->result)
		return -1;
	if (res->nv && !(c->v = calloc(res->nv, sizeof *c->v)))
		return -1;
	for (size_t i = 0; i < res->nv; i++) {
		const matrix_verdict *v = &res->v[i];
		report_verdict *o = &c->v[c->nv++];
		o->id = report_dup(v->id);
		o->op = v->op;
		o->line = v->op < log->nops ? log->ops[v->op].line : 0;
		o->at = report_dup(matrix_at_name(v->at));
		o->fatal = v->fatal;
		o->expected = report_dup(v->expected);
		o->found = report_dup(v->found);
		if (!o->id || !o->at || !o->expected || !o->found)
			return -1;
	}
	return 0;
}

int report_case_fatal(const report_case *c)
{
	for (size_t i = 0; i < c->nv; i++)
		if (c->v[i].fatal)
			return 1;
	return 0;
}

void report_totals_of(const report *r, report_totals *t)
{
	memset(t, 0, sizeof *t);
	t->cases = r->ncases;
	for (size_t i = 0; i < r->nlogs; i++) {
		t->all_cases += r->logs[i].cases;
		t->log_errors += r->logs[i].error != NULL;
	}
	for (size_t i = 0; i < r->ncases; i++) {
		const report_case *c = &r->cases[i];
		t->with_verdicts += c->nv > 0;
		t->fatal += report_case_fatal(c);
		t->unfired += !c->fired;
	}
}

int report_save(const report *r, const char *path, int (*writer)(const report *, FILE *))
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	int rc = writer(r, f);
	if (fclose(f))
		rc = -1;
	return rc;
}

