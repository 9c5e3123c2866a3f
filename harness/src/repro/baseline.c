/* baseline.c — known findings from a directory of reproducers; new / known / gone.
 *
 * Method: each reproducer is loaded and replayed (repro_run). Its signatures are those
 * of its expect set at its crash point (or fault case); they are known even if the
 * replay now differs (then the entry is also reported gone: the pager's behaviour at
 * that point changed, which `tornpage repro` turns into a failure on its own). A
 * finding of the run is known when its signature is one of them, new otherwise. */
#define _POSIX_C_SOURCE 200809L
#include "tornpage/baseline.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && !strcmp(s + n - k, suffix);
}

int baseline_add(baseline *b, const char *path, repro_kind kind, const char *const *sigs, size_t nsigs, int gone,
		 const char *why)
{
	baseline_entry *e = realloc(b->e, (b->n + 1) * sizeof *e);
	if (!e)
		return -1;
	b->e = e;
	baseline_entry *x = &e[b->n];
	memset(x, 0, sizeof *x);
	x->kind = kind;
	x->gone = gone;
	snprintf(x->why, sizeof x->why, "%s", why ? why : "");
	if (!(x->path = strdup(path ? path : "?")))
		return -1;
	b->n++;
	for (size_t i = 0; i < nsigs; i++)
		if (repro_strset_add(&x->sigs, sigs[i]) || repro_strset_add(&b->known, sigs[i]))
			return -1;
	return 0;
}

/* Replay one reproducer and add it. 0, 1 bad file, -1 ENOMEM. */
static int load_one(baseline *b, const char *path, repro_kind kind, oplog_diag_fn diag, void *arg)
{
	repro r;
	int p = repro_load(path, &r, diag, arg);
	if (p)
		return p < 0 ? -1 : 1;
	if (kind != REPRO_NONE && r.kind != kind) {
		b->skipped++;
		repro_free(&r);
		return 0;
	}
	repro_result res;
	int rc = repro_run(&r, &res, NULL);
	if (rc == 0) {
		char why[1024] = "", e[256], f[256];
		int gone = res.status != REPRO_SAME;
		if (res.status == REPRO_CANNOT) {
			snprintf(why, sizeof why, "cannot replay here: %s", res.why);
		} else if (gone) {
			repro_verdicts_text(&r.expect, e, sizeof e);
			repro_verdicts_text(&res.found, f, sizeof f);
			if (res.reached)
				snprintf(why, sizeof why, "expect %s, found %s", e, f);
			else
				snprintf(why, sizeof why, "expect %s, not reached: %s", e, res.why);
		}
		rc = baseline_add(b, path, r.kind, (const char *const *)res.sigs.s, res.sigs.n, gone, why);
	}
	repro_result_free(&res);
	repro_free(&r);
	return rc;
}

int baseline_load(baseline *b, const char *dir, repro_kind kind, oplog_diag_fn diag, void *arg)
{
	memset(b, 0, sizeof *b);
	if (!(b->dir = strdup(dir)))
		return -1;
	DIR *d = opendir(dir);
	if (!d) {
		char msg[600];
		snprintf(msg, sizeof msg, "%s: %s", dir, strerror(errno));
		if (diag)
			diag(arg, msg);
		return 1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!ends_with(de->d_name, ".repro"))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			char **nn = realloc(names, cap * sizeof *nn);
			if (!nn) {
				rc = -1;
				break;
			}
			names = nn;
		}
		size_t len = strlen(dir) + strlen(de->d_name) + 2;
		if (!(names[n] = malloc(len))) {
			rc = -1;
			break;
		}
		snprintf(names[n++], len, "%s/%s", dir, de->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, name_cmp);
	for (size_t i = 0; i < n && rc >= 0; i++) {
		int r = load_one(b, names[i], kind, diag, arg);
		if (r < 0)
			rc = -1;
		else
			rc += r;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int baseline_note(baseline *b, const char *sig, int fatal, const char *where)
{
	if (repro_strset_has(&b->known, sig)) {
		b->known_findings++;
		for (size_t i = 0; i < b->n; i++)
			if (repro_strset_has(&b->e[i].sigs, sig))
				b->e[i].seen++;
		return repro_strset_add(&b->seen, sig) ? -1 : 1;
	}
	b->new_findings++;
	for (size_t i = 0; i < b->nfresh; i++) {
		if (!strcmp(b->fresh[i].sig, sig)) {
			b->fresh[i].findings++;
			b->fresh[i].fatal |= fatal;
			return 0;
		}
	}
	baseline_new *f = realloc(b->fresh, (b->nfresh + 1) * sizeof *f);
	if (!f)
		return -1;
	b->fresh = f;
	f[b->nfresh] = (baseline_new){strdup(sig), strdup(where ? where : ""), fatal, 1};
	if (!f[b->nfresh].sig || !f[b->nfresh].where) {
		free(f[b->nfresh].sig);
		free(f[b->nfresh].where);
		return -1;
	}
	b->nfresh++;
	return 0;
}

size_t baseline_new_fatal(const baseline *b)
{
	size_t n = 0;
	for (size_t i = 0; i < b->nfresh; i++)
		n += b->fresh[i].fatal != 0;
	return n;
}

size_t baseline_gone(const baseline *b)
{
	size_t n = 0;
	for (size_t i = 0; i < b->n; i++)
		n += b->e[i].gone != 0;
	return n;
}

void baseline_report(const baseline *b, FILE *f)
{
	fprintf(f, "baseline %s: %zu reproducer(s), %zu signature(s)", b->dir ? b->dir : "(built)", b->n, b->known.n);
	if (b->skipped)
		fprintf(f, " (%zu reproducer(s) of the other kind not loaded)", b->skipped);
	fprintf(f, "\n  known: %llu finding(s) of %zu baseline signature(s)\n", (unsigned long long)b->known_findings,
		b->seen.n);
	fprintf(f, "  new:   %llu finding(s) of %zu new signature(s), %zu fatal\n", (unsigned long long)b->new_findings,
		b->nfresh, baseline_new_fatal(b));
	for (size_t i = 0; i < b->nfresh; i++)
		fprintf(f, "    NEW  %s  (%llu finding(s)%s; first: %s)\n", b->fresh[i].sig,
			(unsigned long long)b->fresh[i].findings, b->fresh[i].fatal ? "" : ", not fatal", b->fresh[i].where);
	fprintf(f, "  gone:  %zu reproducer(s) no longer give their expected verdicts\n", baseline_gone(b));
	for (size_t i = 0; i < b->n; i++)
		if (b->e[i].gone)
			fprintf(f, "    GONE %s: %s\n", b->e[i].path, b->e[i].why);
}

void baseline_free(baseline *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->e[i].path);
		repro_strset_free(&b->e[i].sigs);
	}
	free(b->e);
	for (size_t i = 0; i < b->nfresh; i++) {
		free(b->fresh[i].sig);
		free(b->fresh[i].where);
	}
	free(b->fresh);
	repro_strset_free(&b->known);
	repro_strset_free(&b->seen);
	free(b->dir);
	memset(b, 0, sizeof *b);
}

/* ---- the fault matrix's --save / --baseline ---- */

int baseline_sink_begin(baseline_sink *s, const oplog *log, const char *name)
{
	char msg[400];
	s->log = log;
	s->name = name;
	if (s->have_fc)
		repro_fault_counts_free(&s->fc);
	s->have_fc = 0;
	if (!s->save_dir && !s->base && !s->keep)
		return 0;
	if (repro_fault_counts_of(log, &s->fc, msg, sizeof msg)) {
		s->err = 1;
		return -1;
	}
	s->have_fc = 1;
	return 0;
}

void baseline_sink_on_case(void *arg, const oplog *log, const matrix_case *c, const char *const *verdicts,
			   const char *const *fclasses, size_t nverdicts)
{
	baseline_sink *s = arg;
	size_t op = 0;
	char sig[REPRO_SIG_MAX], where[400];
	if (!s->have_fc || log != s->log || repro_fault_op(&s->fc, c->point, c->hit, &op))
		return;
	repro_mode mode = c->mode == MATRIX_PERSIST ? REPRO_PERSIST : REPRO_ONCE;
	const char *base = s->name ? (strrchr(s->name, '/') ? strrchr(s->name, '/') + 1 : s->name) : "?";
	snprintf(where, sizeof where, "%s hit %llu %s in op %zu of %s", c->point, (unsigned long long)c->hit,
		 repro_mode_name(mode), op, base);
	const char *queue = NULL;
	int save = 0;
	for (size_t i = 0; i < nverdicts; i++) {
		if (repro_fault_signature(sig, sizeof sig, verdicts[i], c->point, mode, log->ops[op].kind) ||
		    repro_signature_add_fault(sig, sizeof sig, fclasses ? fclasses[i] : NULL))
			continue;
		int known = 0;
		if (s->base) {
			int k = baseline_note(s->base, sig, strcmp(verdicts[i], "I-LEAK") != 0, where);
			if (k < 0)
				s->err = 1;
			known = k > 0;
		}
		/* Saved: new signatures only. Kept (keep): every signature, known ones too. */
		if (((s->save_dir && !known) || s->keep) && !repro_strset_has(&s->saved, sig)) {
			if (repro_strset_add(&s->saved, sig))
				s->err = 1;
			if (!queue)
				queue = verdicts[i];
			save |= s->save_dir && !known;
		}
	}
	if (!queue)
		return;
	baseline_sink_case *p = realloc(s->pending, (s->npending + 1) * sizeof *p);
	if (!p) {
		s->err = 1;
		return;
	}
	s->pending = p;
	p[s->npending].c = *c;
	p[s->npending].save = save;
	if (!(p[s->npending].first = strdup(queue))) {
		s->err = 1;
		return;
	}
	s->npending++;
}

int baseline_sink_end(baseline_sink *s)
{
	char msg[800], path[4096], how[400], line[5200];
	const char *base = s->name ? (strrchr(s->name, '/') ? strrchr(s->name, '/') + 1 : s->name) : "?";
	snprintf(how, sizeof how, "%s %s", s->how ? s->how : "tornpage matrix", base);
	for (size_t i = 0; i < s->npending; i++) {
		baseline_sink_case *q = &s->pending[i];
		repro r;
		int rc = repro_from_fault_case(&r, s->log, &q->c, s->unit, q->first, how, msg, sizeof msg);
		if (rc) {
			snprintf(line, sizeof line, "--save: %s: %s hit %llu: %s", base, q->c.point,
				 (unsigned long long)q->c.hit, msg);
			if (s->diag)
				s->diag(s->diag_arg, line);
			if (rc < 0)
				s->err = 1;
		} else {
			int w = q->save ? repro_save(&r, s->save_dir, NULL, path, sizeof path) : 0;
			if (w < 0) {
				snprintf(line, sizeof line, "--save: %s: %s", s->save_dir, strerror(errno));
				if (s->diag)
					s->diag(s->diag_arg, line);
				s->err = 1;
			} else if (q->save) {
				if (s->out)
					fprintf(s->out, "%s %s\n", w ? "known  " : "saved  ", path);
				s->files += w == 0;
			}
			if (s->keep) {
				char sig[REPRO_SIG_MAX], title[REPRO_SIG_MAX + 300];
				size_t op = 0;
				repro_mode mode = q->c.mode == MATRIX_PERSIST ? REPRO_PERSIST : REPRO_ONCE;
				if (repro_fault_op(&s->fc, q->c.point, q->c.hit, &op) ||
				    repro_fault_signature(sig, sizeof sig, q->first, q->c.point, mode, s->log->ops[op].kind))
					snprintf(sig, sizeof sig, "%s", q->first);
				snprintf(title, sizeof title, "%s — %s", sig, base);
				s->keep(s->keep_arg, title, &r);
			}
			repro_free(&r);
		}
		free(q->first);
	}
	s->npending = 0;
	return s->err ? -1 : 0;
}

void baseline_sink_free(baseline_sink *s)
{
	for (size_t i = 0; i < s->npending; i++)
		free(s->pending[i].first);
	free(s->pending);
	if (s->have_fc)
		repro_fault_counts_free(&s->fc);
	repro_strset_free(&s->saved);
	s->pending = NULL;
	s->npending = 0;
	s->have_fc = 0;
}
