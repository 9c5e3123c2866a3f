/* repro.c — reproducer files: string sets, names, signatures, copies, and building and
 * saving reproducers from findings. The format is repro_format.c's (parse, print), the
 * replay and its story repro_run.c's (repro_int.h lists what they share).
 *
 * Method: a reproducer is an op log (format 1) in which some whole-line comments are
 * directives, "#!" then words. The log parser sees them as comments, so the file is a
 * valid op log too; the reproducer parser (repro_format.c) reads the same text twice:
 * once with oplog_parse for the ops (its diagnostics pass through), once line by line
 * for directives and notes. Replaying a crash case is crash_one_locate +
 * crash_one_judge (crash_one.c): the image is the disk at the crash point plus the cache
 * bytes of the persisted units, judged with the models crash_run uses there. Replaying a
 * fault case is fault_replay() (repro_run.c), the only place that knows the fault
 * matrix. A reproducer built from a finding expects every verdict its replay gives, and
 * is replayed once more with its ops numbered as the file will hold them, so that the
 * verdicts' texts in its notes name the right lines. docs/repro.md is the reference. */
#define _POSIX_C_SOURCE 200809L
#include "repro_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crash/crash_one.h"
#include "tornpage/replay.h"
#include "tornpage/subsets.h"

/* ---- string sets ---- */

static size_t strset_pos(const repro_strset *set, const char *s, int *hit)
{
	size_t lo = 0, hi = set->n;
	*hit = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(set->s[mid], s);
		if (c == 0) {
			*hit = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int repro_strset_add(repro_strset *set, const char *s)
{
	int hit;
	size_t at = strset_pos(set, s, &hit);
	if (hit)
		return 0;
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 8;
		char **p = realloc(set->s, cap * sizeof *p);
		if (!p)
			return -1;
		set->s = p;
		set->cap = cap;
	}
	char *copy = strdup(s);
	if (!copy)
		return -1;
	memmove(set->s + at + 1, set->s + at, (set->n - at) * sizeof *set->s);
	set->s[at] = copy;
	set->n++;
	return 0;
}

int repro_strset_has(const repro_strset *set, const char *s)
{
	int hit;
	strset_pos(set, s, &hit);
	return hit;
}

int repro_strset_equal(const repro_strset *a, const repro_strset *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->s[i], b->s[i]))
			return 0;
	return 1;
}

void repro_strset_free(repro_strset *set)
{
	for (size_t i = 0; i < set->n; i++)
		free(set->s[i]);
	free(set->s);
	memset(set, 0, sizeof *set);
}
int repro_strset_add_all(repro_strset *set, const repro_strset *from)
{
	for (size_t i = 0; i < from->n; i++)
		if (repro_strset_add(set, from->s[i]))
			return -1;
	return 0;
}

void repro_strset_join(const repro_strset *set, char *out, size_t n)
{
	out[0] = '\0';
	for (size_t i = 0; i < set->n; i++) {
		size_t l = strlen(out);
		snprintf(out + l, n - l, "%s%s", i ? " " : "", set->s[i]);
	}
}

void repro_verdicts_text(const repro_strset *set, char *out, size_t n)
{
	if (set->n)
		repro_strset_join(set, out, n);
	else
		snprintf(out, n, "ok");
}

/* ---- small tables ---- */

static const struct {
	const char *name;
	int value;
} errnos[] = {
	{"EIO", EIO},       {"ENOSPC", ENOSPC}, {"ENOMEM", ENOMEM}, {"EROFS", EROFS},
	{"EFBIG", EFBIG},   {"EDQUOT", EDQUOT}, {"EACCES", EACCES}, {"EPERM", EPERM},
	{"EBUSY", EBUSY},   {"EINVAL", EINVAL}, {"EAGAIN", EAGAIN}, {"EINTR", EINTR},
	{"ENXIO", ENXIO},   {"ENODEV", ENODEV}, {"EBADF", EBADF},   {"ENFILE", ENFILE},
	{"EMFILE", EMFILE},
};

const char *repro_errno_name(int err)
{
	for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
		if (errnos[i].value == err)
			return errnos[i].name;
	return NULL;
}

int repro_errno_value(const char *name)
{
	for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
		if (!strcmp(errnos[i].name, name))
			return errnos[i].value;
	return 0;
}

const char *repro_mode_name(repro_mode m)
{
	return m == REPRO_PERSIST ? "persist" : m == REPRO_ONCE ? "once" : "?";
}

const char *repro_atomic_name(uint32_t unit, char *buf, size_t n)
{
	if (!unit)
		return "page";
	snprintf(buf, n, "%" PRIu32, unit);
	return buf;
}

/* ---- signatures ---- */

int repro_signature(char *out, size_t n, const char *verdict, const char *step, crash_phase phase,
		    oplog_kind kind, uint32_t unit_bytes, size_t page_size)
{
	char at[16];
	if (unit_bytes == 0 || unit_bytes == page_size)
		snprintf(at, sizeof at, "page");
	else
		snprintf(at, sizeof at, "%" PRIu32, unit_bytes);
	int w = snprintf(out, n, "%s@%s:%s:%s:%s", verdict, step ? step : "-", crash_phase_name(phase),
			 oplog_kind_name(kind), at);
	return w < 0 || (size_t)w >= n ? -1 : 0;
}

int repro_finding_signature(char *out, size_t n, const oplog *log, const crash_finding *f)
{
	if (f->at.op >= log->nops)
		return -1;
	if (f->fault)
		return repro_disk_fault_signature(out, n, f->verdict, f->fstep, f->unit_bytes, f->page_size, f->fclass);
	return repro_signature(out, n, f->verdict, f->at.phase == CRASH_END_OF_OP ? NULL : f->at.step, f->at.phase,
			       log->ops[f->at.op].kind, f->unit_bytes, f->page_size);
}

int repro_disk_fault_signature(char *out, size_t n, const char *verdict, const char *step, uint32_t unit_bytes,
			       size_t page_size, const char *fclass)
{
	char at[16];
	if (unit_bytes == 0 || unit_bytes == page_size)
		snprintf(at, sizeof at, "page");
	else
		snprintf(at, sizeof at, "%" PRIu32, unit_bytes);
	int w = snprintf(out, n, "%s@%s:%s:%s", verdict, step ? step : "-", at, fclass ? fclass : "");
	return w < 0 || (size_t)w >= n ? -1 : 0;
}

int repro_signature_add_fault(char *out, size_t n, const char *fclass)
{
	if (!fclass || !*fclass)
		return 0;
	size_t l = strlen(out);
	int w = snprintf(out + l, n - l, ":%s", fclass);
	return w < 0 || (size_t)w >= n - l ? -1 : 0;
}

int repro_fault_signature(char *out, size_t n, const char *verdict, const char *point, repro_mode mode,
			  oplog_kind kind)
{
	int w = snprintf(out, n, "%s@%s:%s:%s", verdict, point, repro_mode_name(mode), oplog_kind_name(kind));
	return w < 0 || (size_t)w >= n ? -1 : 0;
}

/* ---- copies and equality ---- */

int repro_copy_log(oplog *dst, const oplog *src)
{
	memset(dst, 0, sizeof *dst);
	char *text = oplog_format(src);
	if (!text)
		return -1;
	int rc = oplog_parse("<copy>", text, strlen(text), dst, NULL, NULL);
	free(text);
	return rc ? -1 : 0;
}

int repro_copy(repro *dst, const repro *src)
{
	memset(dst, 0, sizeof *dst);
	*dst = *src;
	dst->log = (oplog){0};
	dst->notes = NULL;
	dst->nnotes = 0;
	dst->units = NULL;
	dst->point = NULL;
	dst->expect = (repro_strset){0};
	dst->dev = NULL;
	if (repro_copy_log(&dst->log, &src->log))
		goto fail;
	if (src->ndev) {
		if (!(dst->dev = malloc(src->ndev * sizeof *dst->dev)))
			goto fail;
		memcpy(dst->dev, src->dev, src->ndev * sizeof *dst->dev);
	}
	if (src->nnotes && !(dst->notes = calloc(src->nnotes, sizeof *dst->notes)))
		goto fail;
	for (; dst->nnotes < src->nnotes; dst->nnotes++)
		if (!(dst->notes[dst->nnotes] = strdup(src->notes[dst->nnotes])))
			goto fail;
	if (src->nunits) {
		if (!(dst->units = malloc(src->nunits * sizeof *dst->units)))
			goto fail;
		memcpy(dst->units, src->units, src->nunits * sizeof *dst->units);
	}
	if (src->point && !(dst->point = strdup(src->point)))
		goto fail;
	for (size_t i = 0; i < src->expect.n; i++)
		if (repro_strset_add(&dst->expect, src->expect.s[i]))
			goto fail;
	return 0;
fail:
	repro_free(dst);
	return -1;
}

static int log_equal(const oplog *a, const oplog *b)
{
	if (a->nops != b->nops || a->page_log2 != b->page_log2 || oplog_pager_format(a) != oplog_pager_format(b))
		return 0;
	for (size_t k = 0; k < a->nops; k++) {
		const oplog_op *x = &a->ops[k], *y = &b->ops[k];
		if (x->kind != y->kind || x->arg != y->arg)
			return 0;
		int hx = x->handle < a->nhandles, hy = y->handle < b->nhandles;
		if (hx != hy || (hx && strcmp(a->handles[x->handle], b->handles[y->handle])))
			return 0;
	}
	return 1;
}

int repro_equal(const repro *a, const repro *b)
{
	if (!log_equal(&a->log, &b->log) || a->nnotes != b->nnotes || a->unit != b->unit || a->kind != b->kind ||
	    !repro_strset_equal(&a->expect, &b->expect))
		return 0;
	for (size_t i = 0; i < a->nnotes; i++)
		if (strcmp(a->notes[i], b->notes[i]))
			return 0;
	if (a->kind == REPRO_CRASH) {
		if (a->op != b->op || a->phase != b->phase || a->has_sync != b->has_sync ||
		    (a->has_sync && a->sync != b->sync) || a->nunits != b->nunits)
			return 0;
		for (size_t i = 0; i < a->nunits; i++)
			if (a->units[i] != b->units[i])
				return 0;
		if (!dfault_equal(&a->df, &b->df) || a->ndev != b->ndev)
			return 0;
		for (size_t i = 0; i < a->ndev; i++)
			if (a->dev[i] != b->dev[i])
				return 0;
	} else if (a->kind == REPRO_FAULT) {
		if (strcmp(a->point ? a->point : "", b->point ? b->point : "") || a->hit != b->hit || a->mode != b->mode ||
		    a->err != b->err || a->lost_writes != b->lost_writes || a->seed != b->seed || a->dfaults != b->dfaults)
			return 0;
	}
	return 1;
}

void repro_free(repro *r)
{
	oplog_free(&r->log);
	for (size_t i = 0; i < r->nnotes; i++)
		free(r->notes[i]);
	free(r->notes);
	free(r->units);
	free(r->dev);
	free(r->point);
	repro_strset_free(&r->expect);
	memset(r, 0, sizeof *r);
}
/* ---- building and saving ---- */

void repro_crash_summary(char *out, size_t n, const char *verdicts, const char *step, crash_phase phase,
			 oplog_kind kind, uint32_t unit, size_t ps)
{
	char at[32];
	if (unit == 0 || unit == ps)
		snprintf(at, sizeof at, "whole-page writes");
	else
		snprintf(at, sizeof at, "%" PRIu32 "-byte atomic units", unit);
	if (phase == CRASH_END_OF_OP)
		snprintf(out, n, "%s: power fails at the end of a %s, %s", verdicts, oplog_kind_name(kind), at);
	else
		snprintf(out, n, "%s: power fails %s %s in a %s, %s", verdicts,
			 phase == CRASH_BEFORE_SYNC ? "before" : "right after", step ? step : "?", oplog_kind_name(kind), at);
}

void repro_verdict_note(char *out, size_t n, repro_kind kind, const repro_verdict *v)
{
	if (kind == REPRO_FAULT)
		snprintf(out, n, "verdict %s at op %zu: expected %s; found %s", v->id, v->op, v->expected, v->found);
	else
		snprintf(out, n, "verdict %s: expected %s; found %s", v->id, v->expected, v->found);
}

/* Replay r (its expect set empty) into res: it must reach its case and show verdict must
 * (NULL: whatever it shows). Then r expects every verdict found, and is replayed again
 * into res with its ops numbered as the file will hold them (a summary note, an origin
 * note when how, one note per verdict): the verdicts' texts name lines. ids := the
 * expect set, joined. 0; 1 when it does not show must (why in msg, saying it replayed
 * `replaying`); -1 ENOMEM. */
static int expect_what_it_gives(repro *r, repro_result *res, const char *must, const char *replaying, const char *how,
				char *ids, size_t idlen, char *msg, size_t msglen)
{
	if (repro_run(r, res, NULL))
		return -1;
	if (!res->reached || (must && !repro_strset_has(&res->found, must))) {
		snprintf(msg, msglen, "replaying %s does not show %s (%s)", replaying, must ? must : "it",
			 res->reached ? "other verdicts" : res->why);
		return 1;
	}
	if (repro_strset_add_all(&r->expect, &res->found))
		return -1;
	repro_renumber(r, 1 + (how != NULL) + res->nv);
	repro_result_free(res);
	if (repro_run(r, res, NULL))
		return -1;
	repro_strset_join(&r->expect, ids, idlen);
	return 0;
}

/* The notes after the summary: where r came from (how, at op `op` of log) and what each
 * verdict of res saw; note (notelen bytes) is the caller's buffer. 0 or -1. */
static int origin_and_verdict_notes(repro *r, const oplog *log, size_t op, const char *how, const repro_result *res,
				    char *note, size_t notelen)
{
	char what[200];
	replay_describe(log, op, what, sizeof what);
	if (how) {
		snprintf(note, notelen, "from: %s, %s", how, what);
		if (repro_note_add(r, note, strlen(note)))
			return -1;
	}
	for (size_t i = 0; i < res->nv; i++) {
		repro_verdict_note(note, notelen, r->kind, &res->v[i]);
		if (repro_note_add(r, note, strlen(note)))
			return -1;
	}
	return 0;
}

/* The one way out of repro_from_*: rc as they return it (r freed unless 0). */
static int built(repro *r, repro_result *res, int rc, char *msg, size_t msglen)
{
	if (rc < 0 && msglen)
		snprintf(msg, msglen, "out of memory");
	if (rc)
		repro_free(r);
	repro_result_free(res);
	return rc;
}

int repro_from_finding(repro *out, const oplog *log, const crash_finding *f, uint32_t cfg_unit, const char *how,
		       char *msg, size_t msglen)
{
	repro *r = out;
	repro_result res;
	char note[600];
	int rc = -1;
	memset(r, 0, sizeof *r);
	memset(&res, 0, sizeof res);
	if (f->at.op >= log->nops) {
		snprintf(msg, msglen, "finding at op %zu of a %zu-op log", f->at.op, log->nops);
		return 1;
	}
	if (repro_copy_log(&r->log, log))
		goto done;
	r->kind = REPRO_CRASH;
	r->unit = cfg_unit;
	r->op = f->at.op;
	r->phase = f->at.phase;
	r->sync = f->at.sync;
	r->has_sync = 1;
	if (f->nunits && !(r->units = malloc(f->nunits * sizeof *r->units)))
		goto done;
	for (size_t i = 0; i < f->nunits; i++)
		r->units[r->nunits++] = f->units[i];
	if (r->nunits)
		qsort(r->units, r->nunits, sizeof *r->units, repro_unit_cmp);
	if (f->fault) {
		r->df = *f->fault;
		if (f->ndev && !(r->dev = malloc(f->ndev * sizeof *r->dev)))
			goto done;
		for (size_t i = 0; i < f->ndev; i++)
			r->dev[r->ndev++] = f->dev[i];
		if (r->ndev)
			qsort(r->dev, r->ndev, sizeof *r->dev, repro_unit_cmp);
	}
	/* The expect set is what this image gives. */
	char ids[200];
	int e = expect_what_it_gives(r, &res, f->verdict, "the finding's first image", how, ids, sizeof ids, msg, msglen);
	if (e) {
		rc = e;
		goto done;
	}
	repro_crash_summary(note, sizeof note, ids, res.step, r->phase, log->ops[r->op].kind, r->unit,
			    (size_t)1 << log->page_log2);
	if (f->fault) {
		size_t l = strlen(note);
		snprintf(note + l, sizeof note - l, ", disk fault %s", f->fclass);
	}
	if (repro_note_add(r, note, strlen(note)) || origin_and_verdict_notes(r, log, r->op, how, &res, note, sizeof note))
		goto done;
	rc = 0;
done:
	return built(r, &res, rc, msg, msglen);
}

int repro_from_fault_case(repro *out, const oplog *log, const matrix_case *c, uint32_t cfg_unit, const char *must,
			  const char *how, char *msg, size_t msglen)
{
	repro *r = out;
	repro_result res;
	char note[800], what[200];
	int rc = -1;
	memset(r, 0, sizeof *r);
	memset(&res, 0, sizeof res);
	if (repro_copy_log(&r->log, log))
		goto done;
	r->kind = REPRO_FAULT;
	r->unit = cfg_unit;
	if (!(r->point = strdup(c->point ? c->point : "")))
		goto done;
	r->hit = c->hit;
	r->mode = c->mode == MATRIX_PERSIST ? REPRO_PERSIST : REPRO_ONCE;
	r->err = c->err;
	r->lost_writes = c->lost_writes;
	r->seed = c->lost_writes || c->dfaults ? c->seed : 0;
	r->dfaults = c->dfaults;
	if (!repro_errno_name(r->err)) {
		snprintf(msg, msglen, "errno %d has no name in the reproducer format", r->err);
		rc = 1;
		goto done;
	}
	char ids[200];
	int e = expect_what_it_gives(r, &res, must, "the case alone", how, ids, sizeof ids, msg, msglen);
	if (e) {
		rc = e;
		goto done;
	}
	repro_fault_counts fc;
	size_t op = 0;
	if (repro_fault_counts_of(log, &fc, what, sizeof what) == 0) {
		repro_fault_op(&fc, r->point, r->hit, &op);
		repro_fault_counts_free(&fc);
	}
	snprintf(note, sizeof note, "%s: %s fails (%s, %s) in a %s", ids[0] ? ids : "ok", r->point,
		 repro_mode_name(r->mode), repro_errno_name(r->err), oplog_kind_name(log->ops[op].kind));
	if (repro_note_add(r, note, strlen(note)) || origin_and_verdict_notes(r, log, op, how, &res, note, sizeof note))
		goto done;
	rc = 0;
done:
	return built(r, &res, rc, msg, msglen);
}

static int headline_rank(const char *id)
{
	static const char *const order[] = {"I-OPEN", "I-SB-", "I-META-", "I-DIR-", "I-REF-", "I-PROT-",
					    "I-ATOMIC", "I-DURABLE", "I-MODEL", "F-", "I-LEAK"};
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		if (!strncmp(id, order[i], strlen(order[i])))
			return (int)i;
	return (int)(sizeof order / sizeof order[0]);
}

const char *repro_headline(const repro_strset *expect)
{
	const char *best = NULL;
	for (size_t i = 0; i < expect->n; i++)
		if (!best || headline_rank(expect->s[i]) < headline_rank(best))
			best = expect->s[i];
	return best ? best : "ok";
}

/* 1 if the file at path holds exactly text (n bytes), 0 if it differs, -1 if absent. */
static int same_file(const char *path, const char *text, size_t n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	int same = 1;
	char buf[4096];
	size_t off = 0, got;
	while (same && (got = fread(buf, 1, sizeof buf, f)) > 0) {
		if (off + got > n || memcmp(buf, text + off, got))
			same = 0;
		off += got;
	}
	if (ferror(f) || off != n)
		same = 0;
	fclose(f);
	return same;
}

int repro_save(const repro *r, const char *dir, const char *verdict, char *path, size_t pathlen)
{
	if (!verdict)
		verdict = repro_headline(&r->expect);
	char *text = repro_format(r);
	if (!text) {
		errno = ENOMEM;
		return -1;
	}
	size_t n = strlen(text);
	uint64_t h = subsets_unit_hash(0, (const uint8_t *)text, n);
	int rc = -1;
	for (unsigned k = 0; k < 1000; k++) {
		char suffix[16] = "";
		if (k)
			snprintf(suffix, sizeof suffix, "-%u", k);
		int w = snprintf(path, pathlen, "%s/%s-%016" PRIx64 "%s.repro", dir, verdict, h, suffix);
		if (w < 0 || (size_t)w >= pathlen) {
			errno = ENAMETOOLONG;
			break;
		}
		int same = same_file(path, text, n);
		if (same == 1) {
			rc = 1;
			break;
		}
		if (same == 0)
			continue; /* a different file took the name: next suffix */
		FILE *f = fopen(path, "wx");
		if (!f) {
			if (errno == EEXIST)
				continue;
			break;
		}
		int ok = fwrite(text, 1, n, f) == n;
		ok &= fclose(f) == 0;
		rc = ok ? 0 : -1;
		break;
	}
	free(text);
	return rc;
}
