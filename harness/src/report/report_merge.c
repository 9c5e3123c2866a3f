/* report_merge.c — joining the shards of one matrix (report_merge), knowing when every
 * shard is there (report_complete), and comparing two records' cases. */
#define _POSIX_C_SOURCE 200809L
#include "report_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- merge ---------------------------------------------------------------------- */

static int same_str(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

static int case_cmp(const void *a, const void *b)
{
	const report_case *x = a, *y = b;
	return x->ordinal < y->ordinal ? -1 : x->ordinal > y->ordinal;
}

int report_merge(report *dst, const report *src, char *msg, size_t msglen)
{
	if (!same_str(dst->io, src->io) || dst->atomic != src->atomic || !same_str(dst->points, src->points) ||
	    !same_str(dst->modes, src->modes) || !same_str(dst->errnos, src->errnos) ||
	    dst->lost_writes != src->lost_writes || dst->images != src->images || dst->exhaustive != src->exhaustive ||
	    dst->seed != src->seed || dst->cont != src->cont || dst->nshards != src->nshards) {
		snprintf(msg, msglen, "the runs differ in their parameters (io, atomic, points, modes, errnos, lost writes, "
				      "images, exhaustive, seed, continue or shard count): not shards of one matrix");
		return -1;
	}
	if (dst->nlogs != src->nlogs) {
		snprintf(msg, msglen, "the runs cover different logs (%zu and %zu)", dst->nlogs, src->nlogs);
		return -1;
	}
	for (size_t i = 0; i < dst->nlogs; i++) {
		if (!same_str(dst->logs[i].path, src->logs[i].path) || dst->logs[i].ops != src->logs[i].ops ||
		    dst->logs[i].cases != src->logs[i].cases) {
			snprintf(msg, msglen, "log %zu differs: %s (%" PRIu64 " ops, %" PRIu64 " cases) and %s (%" PRIu64
					      " ops, %" PRIu64 " cases)",
				 i, dst->logs[i].path, dst->logs[i].ops, dst->logs[i].cases, src->logs[i].path,
				 src->logs[i].ops, src->logs[i].cases);
			return -1;
		}
	}
	for (size_t i = 0; i < src->nshard_idx; i++)
		for (size_t k = 0; k < dst->nshard_idx; k++)
			if (src->shards[i] == dst->shards[k]) {
				snprintf(msg, msglen, "shard %" PRIu32 "/%" PRIu32 " is in both", src->shards[i], src->nshards);
				return -1;
			}
	/* Both hold ascending ordinals: one walk finds a case in both. */
	for (size_t i = 0, k = 0; i < dst->ncases && k < src->ncases;) {
		if (dst->cases[i].ordinal == src->cases[k].ordinal) {
			snprintf(msg, msglen, "case %" PRIu64 " is in more than one shard", src->cases[k].ordinal);
			return -1;
		}
		if (dst->cases[i].ordinal < src->cases[k].ordinal)
			i++;
		else
			k++;
	}
	uint32_t *sh = realloc(dst->shards, (dst->nshard_idx + src->nshard_idx) * sizeof *sh);
	if (!sh)
		return -1;
	dst->shards = sh;
	for (size_t i = 0; i < src->nshard_idx; i++) {
		size_t k = dst->nshard_idx++;
		while (k && sh[k - 1] > src->shards[i]) {
			sh[k] = sh[k - 1];
			k--;
		}
		sh[k] = src->shards[i];
	}
	for (size_t i = 0; i < src->nlogs; i++) {
		dst->logs[i].seconds += src->logs[i].seconds;
		if (!dst->logs[i].error && src->logs[i].error && !(dst->logs[i].error = strdup(src->logs[i].error)))
			return -1;
	}
	dst->seconds += src->seconds;
	for (size_t i = 0; i < src->ncases; i++) {
		const report_case *s = &src->cases[i];
		report_case *c = report_new_case(dst);
		if (!c)
			return -1;
		dst->ncases++;
		*c = *s;
		c->log = report_dup(s->log);
		c->point = report_dup(s->point);
		c->mode = report_dup(s->mode);
		c->err = report_dup(s->err);
		c->op_text = report_dup(s->op_text);
		c->result = report_dup(s->result);
		c->v = NULL;
		c->nv = 0;
		if (s->nv && !(c->v = calloc(s->nv, sizeof *c->v)))
			return -1;
		for (size_t k = 0; k < s->nv; k++) {
			report_verdict *v = &c->v[c->nv++];
			*v = s->v[k];
			v->id = report_dup(s->v[k].id);
			v->at = report_dup(s->v[k].at);
			v->expected = report_dup(s->v[k].expected);
			v->found = report_dup(s->v[k].found);
			if (!v->id || !v->at || !v->expected || !v->found)
				return -1;
		}
		if (!c->log || !c->point || !c->mode || !c->err || !c->op_text || !c->result)
			return -1;
	}
	qsort(dst->cases, dst->ncases, sizeof *dst->cases, case_cmp);
	for (size_t i = 1; i < dst->ncases; i++)
		if (dst->cases[i].ordinal == dst->cases[i - 1].ordinal) {
			snprintf(msg, msglen, "case %" PRIu64 " is in more than one shard", dst->cases[i].ordinal);
			return -1;
		}
	return 0;
}

int report_complete(const report *r)
{
	if (r->nshard_idx != r->nshards)
		return 0;
	for (size_t i = 0; i < r->nshard_idx; i++)
		if (r->shards[i] != i)
			return 0;
	return 1;
}

int report_cases_equal(const report *a, const report *b, char *msg, size_t msglen)
{
	if (a->ncases != b->ncases) {
		snprintf(msg, msglen, "%zu cases and %zu cases", a->ncases, b->ncases);
		return 1;
	}
	for (size_t i = 0; i < a->ncases; i++) {
		const report_case *x = &a->cases[i], *y = &b->cases[i];
		if (x->ordinal != y->ordinal || x->log_index != y->log_index || !same_str(x->log, y->log) ||
		    x->converged != y->converged || !same_str(x->point, y->point) ||
		    x->hit != y->hit || !same_str(x->mode, y->mode) || !same_str(x->err, y->err) || x->seed != y->seed ||
		    x->lost_writes != y->lost_writes || x->op != y->op || x->line != y->line ||
		    !same_str(x->op_text, y->op_text) || x->fired != y->fired || !same_str(x->result, y->result) ||
		    x->fail_stop != y->fail_stop || x->continued != y->continued || x->nv != y->nv ||
		    x->dropped != y->dropped || x->preexisting != y->preexisting) {
			snprintf(msg, msglen, "case %zu (ordinal %" PRIu64 ", %s hit %" PRIu64 " %s) differs", i, x->ordinal,
				 x->point, x->hit, x->mode);
			return 1;
		}
		for (size_t k = 0; k < x->nv; k++) {
			const report_verdict *v = &x->v[k], *w = &y->v[k];
			if (!same_str(v->id, w->id) || v->op != w->op || v->line != w->line || !same_str(v->at, w->at) ||
			    v->fatal != w->fatal || !same_str(v->expected, w->expected) || !same_str(v->found, w->found)) {
				snprintf(msg, msglen, "case %zu (ordinal %" PRIu64 "): verdict %zu differs (%s / %s)", i,
					 x->ordinal, k, v->id, w->id);
				return 1;
			}
		}
	}
	return 0;
}
