/* shrink.c — ddmin over a crash reproducer's ops, then over its persisted units.
 *
 * Method:
 *  - What must survive: every verdict id of the reproducer's expect set must still be
 *    found (expect ⊆ found); extra verdicts are allowed, and the result's expect is what
 *    its image then gives, so the result replays with exit 0.
 *  - Ops after the crash op K never run: they are dropped first. The create (op 0), op K
 *    and the op defining K's handle are always kept. ddmin chooses among the others.
 *  - A candidate must be a valid log: removing the alloc/palloc of a handle removes every
 *    later op on that handle (handles are symbolic, so nothing else changes meaning). A
 *    candidate is that closure, printed and parsed again.
 *  - The crash point moves with op K: in the candidate, op K is at its new index, and the
 *    crash is at the same phase of the same sync *within that op* (the j-th sync of op K,
 *    j counted from the op's first sync). The step name there must be the same as in the
 *    original, else the candidate is rejected. At end-of-op only the op moves.
 *  - Persisted units move by what their page holds, not by number: removing an alloc
 *    shifts every later page. Each original unit is (page key, offset in page), where the
 *    key says what the page is at the crash point (crash.h, crash_page_key): pages 0-2 by
 *    number, a directory page by its ordinal among directory pages, a regular page by its
 *    handle, a protected copy by (handle, page_a|page_b), anything else (free, unowned)
 *    by number. In the candidate the unit goes to the page with the same key, same
 *    offset; a unit whose key is absent is dropped. If the moved units do not keep the
 *    verdicts, the original unit numbers are tried too. With units larger than a page
 *    only the original numbers are used (a unit spans pages that need not move together).
 *  - A disk fault (#! disk-fault) follows the same way: a torn or rotten unit, a
 *    misdirected unit and its target, and a lying sync's device units by page key; the
 *    sync of a misdirect or lying-sync fault by its op (which is kept, as op K is) and its
 *    index within that op. A candidate where a faulty unit's key is gone is rejected. Each
 *    candidate is located once without the fault (to learn where its syncs and pages
 *    are) and once with it.
 *  - Then ddmin over the persisted units of the final log (judging only, no replay).
 * Cost: ddmin asks O(n^2) candidates in the worst case, O(n log n) typically; each is a
 * replay of at most K ops and one image judged. */
#define _POSIX_C_SOURCE 200809L
#include "tornpage/shrink.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crash/crash_one.h"

/* ---- ddmin ---- */

int shrink_ddmin(size_t *items, size_t *n, shrink_test_fn test, void *arg, uint64_t *tests)
{
	size_t len = *n, chunks = 2;
	size_t *cand = malloc((len ? len : 1) * sizeof *cand);
	int rc = 0;
	if (!cand)
		return -1;
	if (tests)
		(*tests)++;
	int t = test(arg, items, 0);
	if (t < 0) {
		rc = -1;
		goto done;
	}
	if (t > 0) {
		len = 0;
		goto done;
	}
	while (len >= 2) {
		if (chunks > len)
			chunks = len;
		int reduced = 0;
		/* Try each chunk alone, then each complement. */
		for (int pass = 0; pass < 2 && !reduced; pass++) {
			for (size_t i = 0; i < chunks && !reduced; i++) {
				size_t lo = len * i / chunks, hi = len * (i + 1) / chunks, k = 0;
				if (pass == 0) {
					for (size_t x = lo; x < hi; x++)
						cand[k++] = items[x];
				} else {
					if (chunks == 2) /* complements of halves are the halves: already tried */
						break;
					for (size_t x = 0; x < len; x++)
						if (x < lo || x >= hi)
							cand[k++] = items[x];
				}
				if (tests)
					(*tests)++;
				t = test(arg, cand, k);
				if (t < 0) {
					rc = -1;
					goto done;
				}
				if (t > 0) {
					memcpy(items, cand, k * sizeof *cand);
					len = k;
					chunks = pass == 0 ? 2 : (chunks - 1 > 2 ? chunks - 1 : 2);
					reduced = 1;
				}
			}
		}
		if (!reduced) {
			if (chunks >= len)
				break;
			chunks = chunks * 2 < len ? chunks * 2 : len;
		}
	}
done:
	*n = len;
	free(cand);
	return rc;
}

/* ---- the crash reproducer's candidates ---- */

typedef struct orig_unit {
	crash_page_key key;  /* what the unit's page holds in the original */
	uint64_t off;        /* byte offset of the unit in that page */
	uint64_t unit;       /* the original unit number */
} orig_unit;

typedef struct shrinker {
	const repro *in;
	const oplog *log;        /* the input log */
	size_t K;                /* crash op / op the fault fires in, in the input */
	size_t last;             /* last op a candidate may hold: K (crash) or the log's last (fault) */
	uint32_t rel_sync;       /* crash: the crash sync, counted from op K's first sync */
	uint64_t rel_hit;        /* fault: the hit, counted from op K's first call of the point */
	size_t point;            /* fault: index of the point in pager_fault_points() */
	const char *step;        /* its step name (NULL at end-of-op) */
	uint32_t unit;           /* atomic unit bytes */
	size_t ps;
	orig_unit *ou;           /* the input's persisted units */
	size_t nou;
	size_t *def;             /* per handle: the op index defining it */
	uint8_t *required;       /* per op: never removed */
	/* the best candidate so far */
	oplog best_log;
	size_t best_K;
	uint64_t best_hit;       /* fault: the hit in the best log */
	uint64_t *best_units;
	size_t nbest_units;
	int best_relocated;
	/* scratch */
	uint8_t *keep;
	uint8_t *defined;
	uint64_t *units;
	uint64_t tests, relocated;
	int oom;
	/* the disk fault, if any (mode DFAULT_NONE: none) */
	dfault df;
	size_t fop;              /* misdirect, lying-sync: the op of the faulty sync ... */
	uint32_t frel;           /* ... and the sync's index within it */
	orig_unit fu, ft;        /* the faulty unit (torn, rot, misdirect) and the target */
	orig_unit *odev;         /* lying-sync: the device units */
	size_t nodev;
	size_t *newidx;          /* scratch: per input op, its index in the candidate */
	dfault best_df;
	uint64_t *best_dev;
	size_t nbest_dev;
} shrinker;

typedef struct found_set {
	repro_strset ids;
	int oom;
} found_set;

static void collect(void *arg, const char *verdict, const char *expected, const char *found)
{
	(void)expected;
	(void)found;
	found_set *f = arg;
	if (repro_strset_add(&f->ids, verdict))
		f->oom = 1;
}

static int keys_equal(const crash_page_key *a, const crash_page_key *b, const oplog *la, const oplog *lb)
{
	if (a->kind != b->kind)
		return 0;
	switch (a->kind) {
	case CRASH_KEY_PAGE:
	case CRASH_KEY_DIR:
		return a->n == b->n;
	case CRASH_KEY_PROTECTED:
		if (a->copy != b->copy)
			return 0;
		/* fall through */
	case CRASH_KEY_REGULAR:
		return a->handle < la->nhandles && b->handle < lb->nhandles &&
		       !strcmp(la->handles[a->handle], lb->handles[b->handle]);
	}
	return 0;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static size_t sort_unique(uint64_t *u, size_t n)
{
	if (!n)
		return 0;
	qsort(u, n, sizeof *u, u64_cmp);
	size_t k = 1;
	for (size_t i = 1; i < n; i++)
		if (u[i] != u[k - 1])
			u[k++] = u[i];
	return k;
}

/* Does c's image with units[0..n) show every expected verdict? 1, 0, or -1. */
static int judge_keeps_dev(shrinker *s, crash_one *c, const uint64_t *units, size_t n, const uint64_t *dev,
			   size_t ndev)
{
	found_set f = {{0}, 0};
	s->tests++;
	int j = crash_one_judge_ex(c, units, n, dev, ndev, collect, &f);
	int rc;
	if (j == -1 || f.oom)
		rc = -1;
	else if (j == -2)
		rc = 0;
	else {
		rc = 1;
		for (size_t i = 0; i < s->in->expect.n && rc == 1; i++)
			if (!repro_strset_has(&f.ids, s->in->expect.s[i]))
				rc = 0;
	}
	repro_strset_free(&f.ids);
	return rc;
}

static int judge_keeps(shrinker *s, crash_one *c, const uint64_t *units, size_t n)
{
	return judge_keeps_dev(s, c, units, n, s->best_dev, s->nbest_dev);
}

/* Where an original unit is in a located candidate: its page by key, the same offset;
 * UINT64_MAX when the key is gone (or past the file). */
static uint64_t moved_unit(const shrinker *s, const orig_unit *o, const crash_one *one, const oplog *log)
{
	uint64_t nunits = (one->len + one->unit - 1) / one->unit;
	if (s->unit > s->ps)
		return o->unit < nunits ? o->unit : UINT64_MAX;
	for (uint64_t pg = 0; pg < one->npages; pg++) {
		if (keys_equal(&o->key, &one->keys[pg], s->log, log)) {
			uint64_t u = (pg * s->ps + o->off) / s->unit;
			return u < nunits ? u : UINT64_MAX;
		}
	}
	return UINT64_MAX;
}

/* The input's disk fault in a candidate located (without it) as one: into *f and the
 * device units into s->units + at (returned count, SIZE_MAX: the fault cannot move). */
static size_t move_fault(shrinker *s, const crash_one *one, const oplog *log, dfault *f, uint64_t *dev)
{
	*f = s->df;
	switch (f->mode) {
	case DFAULT_TORN_GARBAGE:
	case DFAULT_ROT:
		if ((f->unit = moved_unit(s, &s->fu, one, log)) == UINT64_MAX)
			return SIZE_MAX;
		return 0;
	case DFAULT_MISDIRECT:
	case DFAULT_LYING_SYNC: {
		size_t nf = s->newidx[s->fop];
		if (nf > one->op)
			return SIZE_MAX;
		f->sync = one->op_sync0[nf] + s->frel;
		if (f->mode == DFAULT_MISDIRECT) {
			f->unit = moved_unit(s, &s->fu, one, log);
			f->target = moved_unit(s, &s->ft, one, log);
			return f->unit == UINT64_MAX || f->target == UINT64_MAX || f->unit == f->target ? SIZE_MAX : 0;
		}
		size_t n = 0;
		for (size_t i = 0; i < s->nodev; i++) {
			uint64_t u = moved_unit(s, &s->odev[i], one, log);
			if (u == UINT64_MAX)
				return SIZE_MAX;
			dev[n++] = u;
		}
		return sort_unique(dev, n);
	}
	default:
		return 0;
	}
}

/* An input unit as (page key, offset) at the input's crash point (one). */
static orig_unit orig_of(const shrinker *s, const crash_one *one, uint64_t u)
{
	orig_unit o;
	uint64_t byte = u * s->unit, pg = byte / s->ps;
	o.unit = u;
	o.off = byte - pg * s->ps;
	o.key = pg < one->npages ? one->keys[pg] : (crash_page_key){CRASH_KEY_PAGE, 0, 0, pg};
	return o;
}

/* Build the candidate log of the kept ops (closure applied). 0, 1 invalid (op K lost),
 * -1 ENOMEM. *newK = op K's index in it. */
static int build_log(shrinker *s, const size_t *c, size_t k, oplog *out, size_t *newK)
{
	const oplog *log = s->log;
	memset(s->keep, 0, s->last + 1);
	memset(s->defined, 0, log->nhandles ? log->nhandles : 1);
	for (size_t i = 0; i <= s->last; i++)
		s->keep[i] = s->required[i];
	for (size_t i = 0; i < k; i++)
		s->keep[c[i]] = 1;
	size_t cap = 64, len = 0;
	char *text = malloc(cap);
	if (!text)
		return -1;
	text[0] = '\0';
	size_t idx = 0;
	for (size_t i = 0; i <= s->last; i++) {
		if (!s->keep[i])
			continue;
		const oplog_op *op = &log->ops[i];
		oplog_args a = oplog_kind_args(op->kind);
		if (op->handle < log->nhandles) {
			if (a == OPLOG_ARGS_NEW_REGULAR || a == OPLOG_ARGS_NEW_PROTECTED)
				s->defined[op->handle] = 1;
			else if (!s->defined[op->handle]) {
				if (i == s->K) {
					free(text);
					return 1;
				}
				continue; /* its handle's definition is gone: so is it */
			}
		}
		if (i == s->K)
			*newK = idx;
		if (s->newidx)
			s->newidx[i] = idx;
		idx++;
		char line[128];
		const char *h = op->handle < log->nhandles ? log->handles[op->handle] : "";
		int w;
		if (a == OPLOG_ARGS_LOG2 && oplog_pager_format(log) == 2)
			w = snprintf(line, sizeof line, "%s %" PRIu64 " v2\n", oplog_kind_name(op->kind), op->arg);
		else if (a == OPLOG_ARGS_LOG2 || a == OPLOG_ARGS_REGULAR_SEED || a == OPLOG_ARGS_PROTECTED_SEED)
			w = snprintf(line, sizeof line, "%s %s %" PRIu64 "\n", oplog_kind_name(op->kind), h, op->arg);
		else
			w = snprintf(line, sizeof line, "%s %s\n", oplog_kind_name(op->kind), h);
		if (w < 0 || (size_t)w >= sizeof line) {
			free(text);
			return 1;
		}
		while (len + (size_t)w + 1 > cap) {
			char *t = realloc(text, cap * 2);
			if (!t) {
				free(text);
				return -1;
			}
			text = t;
			cap *= 2;
		}
		memcpy(text + len, line, (size_t)w + 1);
		len += (size_t)w;
	}
	int rc = oplog_parse("<shrink>", text, len, out, NULL, NULL);
	free(text);
	return rc < 0 ? -1 : rc > 0 ? 1 : 0;
}

/* Try the candidate kept = c[0..k): 1 if it keeps the verdicts (then it becomes best). */
static int test_ops(void *arg, const size_t *c, size_t k)
{
	shrinker *s = arg;
	oplog log;
	size_t K = 0;
	char msg[256];
	int rc = build_log(s, c, k, &log, &K);
	if (rc)
		return rc < 0 ? -1 : 0;
	crash_one one;
	rc = crash_one_locate(&one, &log, s->in->unit, K, s->in->phase, s->rel_sync, 1, msg, sizeof msg);
	if (rc) {
		oplog_free(&log);
		return rc < 0 ? -1 : 0;
	}
	if ((one.step == NULL) != (s->step == NULL) || (one.step && strcmp(one.step, s->step))) {
		rc = 0;
		goto done;
	}
	dfault df = s->df;
	size_t ndev = 0;
	uint64_t *dev = NULL;
	if (s->df.mode != DFAULT_NONE) {
		/* The fault where the candidate has it, then the point located again with it. */
		if (!(dev = malloc((s->nodev ? s->nodev : 1) * sizeof *dev))) {
			rc = -1;
			goto done;
		}
		ndev = move_fault(s, &one, &log, &df, dev);
		crash_one_free(&one);
		if (ndev == SIZE_MAX) {
			free(dev);
			oplog_free(&log);
			return 0;
		}
		rc = crash_one_locate_fault(&one, &log, s->in->unit, K, s->in->phase, s->rel_sync, 1, &df, msg, sizeof msg);
		if (rc) {
			free(dev);
			oplog_free(&log);
			return rc < 0 ? -1 : 0;
		}
	}
	/* Judge with these device units (the best's are what judge_keeps uses). */
	uint64_t *keep_dev = s->best_dev;
	size_t keep_ndev = s->nbest_dev;
	s->best_dev = dev;
	s->nbest_dev = ndev;
	/* The units moved by page key, then (failing that) the original numbers. */
	size_t n = 0;
	uint64_t nunits = (one.len + one.unit - 1) / one.unit;
	int by_key = s->unit <= s->ps;
	if (by_key) {
		for (size_t i = 0; i < s->nou; i++) {
			for (uint64_t pg = 0; pg < one.npages; pg++) {
				if (keys_equal(&s->ou[i].key, &one.keys[pg], s->log, &log)) {
					uint64_t u = (pg * s->ps + s->ou[i].off) / s->unit;
					if (u < nunits)
						s->units[n++] = u;
					break;
				}
			}
		}
		n = sort_unique(s->units, n);
		rc = judge_keeps(s, &one, s->units, n);
	}
	int moved = 1;
	if (rc == 0) {
		moved = 0;
		n = 0;
		for (size_t i = 0; i < s->nou; i++)
			if (s->ou[i].unit < nunits)
				s->units[n++] = s->ou[i].unit;
		rc = judge_keeps(s, &one, s->units, n);
	}
	s->best_dev = keep_dev;
	s->nbest_dev = keep_ndev;
	if (rc == 1) {
		free(s->best_dev);
		s->best_dev = dev;
		s->nbest_dev = ndev;
		dev = NULL;
		s->best_df = df;
	}
	free(dev);
	if (rc == 1) {
		uint64_t *u = malloc((n ? n : 1) * sizeof *u);
		if (!u) {
			rc = -1;
			goto done;
		}
		if (n)
			memcpy(u, s->units, n * sizeof *u);
		free(s->best_units);
		s->best_units = u;
		s->nbest_units = n;
		oplog_free(&s->best_log);
		s->best_log = log;
		log = (oplog){0};
		s->best_K = K;
		int differ = n != s->in->nunits;
		for (size_t i = 0; i < n && !differ; i++)
			differ = s->units[i] != s->in->units[i];
		s->best_relocated = moved && by_key && differ;
	}
done:
	crash_one_free(&one);
	oplog_free(&log);
	return rc;
}

/* A fault candidate: the same point fails at the same relative hit inside op K. */
static int test_fault(void *arg, const size_t *c, size_t k)
{
	shrinker *s = arg;
	oplog log;
	size_t K = 0;
	char msg[256];
	int rc = build_log(s, c, k, &log, &K);
	if (rc)
		return rc < 0 ? -1 : 0;
	repro_fault_counts fc;
	int f = repro_fault_counts_of(&log, &fc, msg, sizeof msg);
	if (f) {
		oplog_free(&log);
		return f < 0 ? -1 : 0;
	}
	uint64_t base = fc.prefix[K * fc.npoints + s->point], upto = fc.prefix[(K + 1) * fc.npoints + s->point];
	repro_fault_counts_free(&fc);
	uint64_t hit = base + s->rel_hit;
	if (hit > upto) {
		oplog_free(&log);
		return 0;
	}
	repro cand = *s->in; /* shallow: only log and hit differ, nothing is freed */
	cand.log = log;
	cand.hit = hit;
	repro_result res;
	s->tests++;
	rc = repro_run(&cand, &res, NULL) ? -1 : 1;
	if (rc == 1 && !res.reached)
		rc = 0;
	for (size_t i = 0; i < s->in->expect.n && rc == 1; i++)
		if (!repro_strset_has(&res.found, s->in->expect.s[i]))
			rc = 0;
	repro_result_free(&res);
	if (rc == 1) {
		oplog_free(&s->best_log);
		s->best_log = log;
		s->best_K = K;
		s->best_hit = hit;
	} else {
		oplog_free(&log);
	}
	return rc;
}

typedef struct unit_ctx {
	shrinker *s;
	crash_one *one;
	const uint64_t *all;  /* the units ddmin chooses from, by index */
	uint64_t *buf;
} unit_ctx;

static int test_units(void *arg, const size_t *c, size_t k)
{
	unit_ctx *u = arg;
	for (size_t i = 0; i < k; i++)
		u->buf[i] = u->all[c[i]];
	return judge_keeps(u->s, u->one, u->buf, k);
}

static void free_shrinker(shrinker *s)
{
	free(s->ou);
	free(s->def);
	free(s->required);
	free(s->keep);
	free(s->defined);
	free(s->units);
	free(s->best_units);
	free(s->odev);
	free(s->newidx);
	free(s->best_dev);
	oplog_free(&s->best_log);
}


static int generated_note(const char *t)
{
	return !strncmp(t, "verdict ", 8) || !strncmp(t, "shrunk:", 7);
}

/* Replay out with its ops numbered as the file will hold them (the notes quote lines). */
static int final_replay(repro *out, const repro *in, repro_result *res)
{
	size_t kept = 0;
	for (size_t i = 0; i < in->nnotes; i++)
		kept += !generated_note(in->notes[i]);
	repro_renumber(out, kept + res->nv + 1);
	repro_result_free(res);
	return repro_run(out, res, NULL);
}

/* The output's notes: the input's, minus the generated ones that no longer hold, plus
 * fresh "verdict" lines and a "shrunk:" line. */
static int make_notes(repro *out, const repro *in, const repro_result *res, const shrink_stats *st)
{
	char old_ids[256], new_ids[256], line[800];
	repro_strset_join(&in->expect, old_ids, sizeof old_ids);
	repro_strset_join(&out->expect, new_ids, sizeof new_ids);
	size_t cap = in->nnotes + res->nv + 2, n = 0;
	char **notes = calloc(cap, sizeof *notes);
	if (!notes)
		return -1;
	for (size_t i = 0; i < in->nnotes; i++) {
		const char *t = in->notes[i];
		if (generated_note(t))
			continue;
		size_t ol = strlen(old_ids);
		if (i == 0 && ol && !strncmp(t, old_ids, ol) && !strncmp(t + ol, ": ", 2)) {
			/* the generated summary: same case, maybe more verdicts now */
			snprintf(line, sizeof line, "%s%s", new_ids, t + ol);
			t = line;
		}
		if (!(notes[n++] = strdup(t)))
			goto fail;
	}
	for (size_t i = 0; i < res->nv; i++) {
		repro_verdict_note(line, sizeof line, out->kind, &res->v[i]);
		if (!(notes[n++] = strdup(line)))
			goto fail;
	}
	if (out->kind == REPRO_FAULT)
		snprintf(line, sizeof line, "shrunk: %zu -> %zu ops (tornpage shrink)", st->ops_before, st->ops_after);
	else
		snprintf(line, sizeof line, "shrunk: %zu -> %zu ops, %zu -> %zu persisted units (tornpage shrink)",
			 st->ops_before, st->ops_after, st->units_before, st->units_after);
	if (!(notes[n++] = strdup(line)))
		goto fail;
	out->notes = notes;
	out->nnotes = n;
	return 0;
fail:
	for (size_t i = 0; i < n; i++)
		free(notes[i]);
	free(notes);
	return -1;
}

/* The shrunk reproducer out (log and case filled in; st's search counts set): replay it,
 * expect what it shows (a superset of in's expect, which the search kept), check it
 * again and write its notes. 0; 1 when it does not replay (why in msg); -1 ENOMEM. */
static int finish(repro *out, const repro *in, repro_result *res, shrink_stats *st, char *msg, size_t msglen)
{
	if (repro_run(out, res, NULL))
		return -1;
	if (!res->reached) {
		snprintf(msg, msglen, "the shrunk reproducer does not replay: %s", res->why);
		return 1;
	}
	if (repro_strset_add_all(&out->expect, &res->found))
		return -1;
	st->ops_after = out->log.nops;
	if (final_replay(out, in, res) || make_notes(out, in, res, st))
		return -1;
	return 0;
}

/* Which ops ddmin may remove: not the create, not op K, not the op defining K's handle. */
static int setup_ops(shrinker *s, const oplog *log, size_t **items, size_t *n)
{
	s->def = calloc(log->nhandles ? log->nhandles : 1, sizeof *s->def);
	s->required = calloc(s->last + 1, 1);
	s->keep = calloc(s->last + 1, 1);
	s->defined = calloc(log->nhandles ? log->nhandles : 1, 1);
	*items = calloc(s->last + 1, sizeof **items);
	if (!s->def || !s->required || !s->keep || !s->defined || !*items)
		return -1;
	for (size_t i = 0; i < log->nops; i++) {
		oplog_args a = oplog_kind_args(log->ops[i].kind);
		if ((a == OPLOG_ARGS_NEW_REGULAR || a == OPLOG_ARGS_NEW_PROTECTED) && log->ops[i].handle < log->nhandles)
			s->def[log->ops[i].handle] = i;
	}
	s->required[0] = 1;
	s->required[s->K] = 1;
	if (log->ops[s->K].handle < log->nhandles)
		s->required[s->def[log->ops[s->K].handle]] = 1;
	*n = 0;
	for (size_t i = 0; i <= s->last; i++)
		if (!s->required[i])
			(*items)[(*n)++] = i;
	return 0;
}

static int shrink_fault(shrinker *s, const repro *in, repro *out, shrink_stats *st, char *msg, size_t msglen)
{
	const oplog *log = &in->log;
	repro_fault_counts fc;
	repro_result res;
	size_t *items = NULL, n;
	int rc = -1;
	memset(&res, 0, sizeof res);
	int f = repro_fault_counts_of(log, &fc, msg, msglen);
	if (f)
		return f < 0 ? -1 : 1;
	size_t npts;
	const pager_fault_point *pts = pager_fault_points(&npts);
	for (s->point = 0; s->point < npts && strcmp(pts[s->point].name, in->point); s->point++)
		;
	if (s->point == npts || repro_fault_op(&fc, in->point, in->hit, &s->K)) {
		snprintf(msg, msglen, "%s is not reached %llu times in this log", in->point, (unsigned long long)in->hit);
		repro_fault_counts_free(&fc);
		return 1;
	}
	s->rel_hit = in->hit - fc.prefix[s->K * fc.npoints + s->point];
	repro_fault_counts_free(&fc);
	s->last = log->nops - 1;
	if (setup_ops(s, log, &items, &n))
		goto done;
	int t = test_fault(s, items, n);
	if (t <= 0) {
		if (t == 0)
			snprintf(msg, msglen, "the reproducer does not show its expected verdicts: replay it with tornpage repro");
		rc = t < 0 ? -1 : 1;
		goto done;
	}
	if (shrink_ddmin(items, &n, test_fault, s, NULL))
		goto done;
	if (test_fault(s, items, n) != 1) {
		snprintf(msg, msglen, "the final candidate does not reproduce (nondeterminism?)");
		rc = 1;
		goto done;
	}
	*out = (repro){0};
	out->kind = REPRO_FAULT;
	out->unit = in->unit;
	out->hit = s->best_hit;
	out->mode = in->mode;
	out->err = in->err;
	out->lost_writes = in->lost_writes;
	out->seed = in->seed;
	if (!(out->point = strdup(in->point)))
		goto done;
	out->log = s->best_log;
	s->best_log = (oplog){0};
	st->tests = s->tests;
	rc = finish(out, in, &res, st, msg, msglen);
done:
	if (rc)
		repro_free(out);
	repro_result_free(&res);
	free(items);
	return rc;
}

int shrink_repro(const repro *in, repro *out, shrink_stats *st, char *msg, size_t msglen)
{
	shrinker s;
	crash_one one;
	repro_result res;
	size_t *items = NULL;
	int rc = -1, have_one = 0;
	memset(&s, 0, sizeof s);
	memset(out, 0, sizeof *out);
	memset(st, 0, sizeof *st);
	memset(&res, 0, sizeof res);
	if (in->kind != REPRO_CRASH && in->kind != REPRO_FAULT) {
		snprintf(msg, msglen, "not a crash or fault reproducer");
		return 2;
	}
	if (!in->expect.n) {
		snprintf(msg, msglen, "the reproducer expects no verdict ('expect ok'): nothing to keep");
		return 1;
	}
	const oplog *log = &in->log;
	s.in = in;
	s.log = log;
	s.unit = in->unit ? in->unit : (uint32_t)((size_t)1 << log->page_log2);
	s.ps = (size_t)1 << log->page_log2;
	st->ops_before = log->nops;
	st->units_before = in->nunits;
	if (in->kind == REPRO_FAULT) {
		rc = shrink_fault(&s, in, out, st, msg, msglen);
		if (rc < 0 && msglen)
			snprintf(msg, msglen, "out of memory");
		free_shrinker(&s);
		return rc;
	}
	s.K = in->op;
	s.last = in->op;

	/* The original: does it show the verdicts, and where are its units? */
	int l = crash_one_locate_fault(&one, log, in->unit, in->op, in->phase, in->has_sync ? in->sync : 0, 0, &in->df,
				       msg, msglen);
	if (l) {
		rc = l < 0 ? -1 : 1;
		goto done;
	}
	have_one = 1;
	s.step = one.step;
	s.rel_sync = one.sync - one.op_sync0[in->op];
	s.df = in->df;
	s.best_df = in->df;
	if (in->ndev) {
		if (!(s.best_dev = malloc(in->ndev * sizeof *s.best_dev)))
			goto done;
		memcpy(s.best_dev, in->dev, in->ndev * sizeof *s.best_dev);
		s.nbest_dev = in->ndev;
	}
	int k = judge_keeps(&s, &one, in->units, in->nunits);
	if (k <= 0) {
		if (k == 0)
			snprintf(msg, msglen, "the reproducer does not show its expected verdicts: replay it with tornpage repro");
		rc = k < 0 ? -1 : 1;
		goto done;
	}
	s.nou = in->nunits;
	s.ou = calloc(s.nou ? s.nou : 1, sizeof *s.ou);
	s.units = calloc(s.nou ? s.nou : 1, sizeof *s.units);
	size_t n;
	if (!s.ou || !s.units || setup_ops(&s, log, &items, &n))
		goto done;
	for (size_t i = 0; i < s.nou; i++)
		s.ou[i] = orig_of(&s, &one, in->units[i]);
	if (in->df.mode != DFAULT_NONE) {
		s.fu = orig_of(&s, &one, in->df.unit);
		s.ft = orig_of(&s, &one, in->df.target);
		if (!(s.newidx = calloc(s.last + 1, sizeof *s.newidx)) ||
		    !(s.odev = calloc(in->ndev ? in->ndev : 1, sizeof *s.odev)))
			goto done;
		for (size_t i = 0; i < in->ndev; i++)
			s.odev[s.nodev++] = orig_of(&s, &one, in->dev[i]);
		if (in->df.mode == DFAULT_MISDIRECT || in->df.mode == DFAULT_LYING_SYNC) {
			/* The faulty sync's op is kept, with its handle's definition. */
			while (s.fop < in->op && one.op_sync0[s.fop + 1] <= in->df.sync)
				s.fop++;
			s.frel = in->df.sync - one.op_sync0[s.fop];
			if (!s.required[s.fop]) {
				s.required[s.fop] = 1;
				size_t m = 0;
				for (size_t i = 0; i < n; i++)
					if (items[i] != s.fop)
						items[m++] = items[i];
				n = m;
			}
			size_t h = log->ops[s.fop].handle;
			if (h < log->nhandles && !s.required[s.def[h]]) {
				s.required[s.def[h]] = 1;
				size_t m = 0;
				for (size_t i = 0; i < n; i++)
					if (items[i] != s.def[h])
						items[m++] = items[i];
				n = m;
			}
		}
	}

	/* The ops after K never run: start from the truncated log (ops 0..K, all kept). */
	int t = test_ops(&s, items, n);
	if (t < 0)
		goto done;
	if (t == 0) {
		snprintf(msg, msglen, "the log cut after the crash op does not show the verdicts (a harness bug?)");
		rc = 1;
		goto done;
	}
	if (shrink_ddmin(items, &n, test_ops, &s, NULL))
		goto done;
	/* The last accepted candidate is the best; make sure it is the final one. */
	if (test_ops(&s, items, n) != 1) {
		snprintf(msg, msglen, "the final candidate does not reproduce (nondeterminism?)");
		rc = 1;
		goto done;
	}
	s.relocated = s.best_relocated;

	/* ddmin over the persisted units of the final log. */
	crash_one_free(&one);
	have_one = 0;
	l = crash_one_locate_fault(&one, &s.best_log, in->unit, s.best_K, in->phase, s.rel_sync, 1, &s.best_df, msg, msglen);
	if (l) {
		rc = l < 0 ? -1 : 1;
		goto done;
	}
	have_one = 1;
	size_t nu = s.nbest_units;
	size_t *uitems = calloc(nu ? nu : 1, sizeof *uitems);
	uint64_t *ubuf = calloc(nu ? nu : 1, sizeof *ubuf);
	if (!uitems || !ubuf) {
		free(uitems);
		free(ubuf);
		goto done;
	}
	for (size_t i = 0; i < nu; i++)
		uitems[i] = i;
	unit_ctx uc = {&s, &one, s.best_units, ubuf};
	int d = shrink_ddmin(uitems, &nu, test_units, &uc, NULL);
	for (size_t i = 0; i < nu; i++)
		ubuf[i] = s.best_units[uitems[i]];
	free(uitems);
	if (d) {
		free(ubuf);
		goto done;
	}

	/* The result. */
	out->kind = REPRO_CRASH;
	out->unit = in->unit;
	out->op = s.best_K;
	out->phase = in->phase;
	out->sync = one.sync;
	out->has_sync = in->has_sync || in->phase != CRASH_END_OF_OP;
	out->units = ubuf;
	out->nunits = sort_unique(ubuf, nu);
	out->df = s.best_df;
	out->dev = s.best_dev;
	out->ndev = s.nbest_dev;
	s.best_dev = NULL;
	s.nbest_dev = 0;
	out->log = s.best_log;
	s.best_log = (oplog){0};
	st->units_after = out->nunits;
	st->tests = s.tests;
	st->relocated = s.relocated;
	rc = finish(out, in, &res, st, msg, msglen);
done:
	if (rc < 0 && msglen)
		snprintf(msg, msglen, "out of memory");
	if (rc)
		repro_free(out);
	if (have_one)
		crash_one_free(&one);
	repro_result_free(&res);
	free(items);
	free_shrinker(&s);
	return rc;
}
