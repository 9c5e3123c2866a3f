/* crash.c — the crash loop: crash points, images, dedup, judging, grouping.
 *
 * Method: a first pass replays the log with the model check (run mode) to learn what
 * the pager answers to every op (ids, CRCs), so that the model *after* an op is known
 * while that op is still in flight. The second pass replays the same ops on a simdisk
 * whose sync hook is a crash point before and after every sync; every op end is one
 * too. At a crash point the image is disk + any subset of the dirty units enumerated
 * (subsets.h: all of them up to K, else the seeded mix). Only units of pages that
 * recovery reads are enumerated — pages 0-2, every directory page and every protected
 * copy referenced by the disk's or the cache's directory — unless --all-units: the
 * other dirty units (regular data pages) are held at their disk value, since no verdict
 * depends on them. Images are built in place in one scratch buffer (Gray-code order: one
 * unit changes per image) and identified by a 64-bit XOR of unit hashes; an identity
 * seen at this crash point or the previous one is not judged again. Memory: the image,
 * two identity sets bounded by the subsets of one point, and per-point finding groups. */
#define _POSIX_C_SOURCE 200809L
#include "crash.h"

#include <stdio.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "judge.h"
#include "replay.h"
#include "simdisk.h"

const char *crash_phase_name(crash_phase ph)
{
	static const char *const names[] = {"before-sync", "after-sync", "end-of-op"};
	return (unsigned)ph < 3 ? names[ph] : "?";
}

/* ---- a set of 64-bit image identities (open addressing, 0 = empty) ---- */
typedef struct idset {
	uint64_t *slot;
	size_t cap, used;  /* cap is a power of two, used < cap / 2 */
} idset;

static int idset_reset(idset *s, uint64_t expect)
{
	size_t want = 64;
	while (want < expect * 2 && want < ((size_t)1 << 26))
		want <<= 1;
	if (want != s->cap) {
		free(s->slot);
		s->slot = malloc(want * sizeof *s->slot);
		if (!s->slot) {
			s->cap = 0;
			return -1;
		}
		s->cap = want;
	}
	memset(s->slot, 0, s->cap * sizeof *s->slot);
	s->used = 0;
	return 0;
}

static int idset_has(const idset *s, uint64_t id)
{
	if (!s->cap)
		return 0;
	for (size_t i = id & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (s->slot[i] == id)
			return 1;
		if (!s->slot[i])
			return 0;
	}
}

/* Adds id; returns 0 when the set is full (the image is then judged, not deduped). */
static int idset_add(idset *s, uint64_t id)
{
	if (!s->cap || s->used + 1 > s->cap / 2)
		return 0;
	size_t i = id & (s->cap - 1);
	while (s->slot[i] && s->slot[i] != id)
		i = (i + 1) & (s->cap - 1);
	if (!s->slot[i])
		s->used++;
	s->slot[i] = id;
	return 1;
}

/* ---- finding groups of the current crash point ---- */
#define MAX_GROUPS 48
typedef struct group {
	const char *verdict;
	int fatal;
	uint64_t states, subset;
	uint64_t *units;
	uint8_t *roles;
	size_t nunits;
	char expected[400], found[400];
} group;

typedef struct ctx {
	const oplog *log;
	const crash_cfg *cfg;
	crash_stats *st;
	crash_finding_fn fn;
	void *arg;
	simdisk *d;           /* the disk the writing pager runs on */
	replay r;             /* the writing pager */
	judge j;
	model cur, after;     /* state before the op in flight, and after it */
	const model_result *res; /* per op, from the first pass */
	size_t op;            /* op in flight */
	int in_op;            /* 0 at op ends */
	int stop;             /* --stop-on-first fired */
	uint32_t unit;
	size_t ps;
	uint64_t point;       /* next crash point index */
	uint8_t *scratch;     /* the image being judged */
	size_t scratch_cap;
	uint64_t *dirty, *rel, *delta;
	size_t dirty_cap;
	uint8_t *relpage;     /* per page: recovery reads it */
	size_t relpage_cap;
	fmt_dir_ref *refs;
	fmt_entry *ents;
	idset seen[2];        /* identities at this point and the previous one */
	int cur_set;
	group groups[MAX_GROUPS];
	size_t ngroups;
	/* the image being judged, for grouping */
	const uint8_t *mask;
	size_t nrel;
	uint64_t ordinal;
	int image_fatal;
	struct timespec t0;
	uint64_t last_progress;
} ctx;

static int grow_u64(uint64_t **a, size_t n)
{
	uint64_t *p = realloc(*a, (n ? n : 1) * sizeof **a);
	if (!p)
		return -1;
	*a = p;
	return 0;
}

/* Mark the pages recovery may read, from both the disk's and the cache's view. */
static void mark_relevant(ctx *c, const uint8_t *disk, const uint8_t *cache, uint64_t len)
{
	uint64_t npages = (len + c->ps - 1) / c->ps, full = len / c->ps;
	memset(c->relpage, 0, npages);
	for (uint64_t n = 0; n < 3 && n < npages; n++)
		c->relpage[n] = 1;
	if (full < FMT_INITIAL_PAGES)
		return;
	const uint8_t *views[2] = {disk, cache};
	for (int v = 0; v < 2; v++) {
		uint32_t count;
		if (fmt_index_decode(views[v], c->ps, c->refs, &count) != FMT_INDEX_OK)
			continue;
		for (uint32_t b = 0; b < count; b++) {
			uint64_t dp[2] = {c->refs[b].page_a, c->refs[b].page_b};
			for (int k = 0; k < 2; k++) {
				if (dp[k] >= full)
					continue;
				c->relpage[dp[k]] = 1;
				for (int w = 0; w < 2; w++) {
					if (fmt_dir_decode(views[w] + dp[k] * c->ps, c->ps, c->ents))
						continue;
					for (uint32_t s = 0; s < fmt_dir_capacity(c->ps); s++) {
						if (!c->ents[s].in_use)
							continue;
						if (c->ents[s].page_a < full)
							c->relpage[c->ents[s].page_a] = 1;
						if (c->ents[s].page_b < full)
							c->relpage[c->ents[s].page_b] = 1;
					}
				}
			}
		}
	}
}

static int unit_relevant(const ctx *c, uint64_t u, uint64_t len)
{
	uint64_t first = u * c->unit / c->ps, last = (u * c->unit + c->unit - 1) / c->ps;
	uint64_t npages = (len + c->ps - 1) / c->ps;
	for (uint64_t n = first; n <= last && n < npages; n++)
		if (c->relpage[n])
			return 1;
	return 0;
}

static void on_violation(void *arg, const char *verdict, const char *expected, const char *found)
{
	ctx *c = arg;
	int fatal = strcmp(verdict, "I-LEAK") != 0 || c->cfg->strict;
	c->image_fatal |= fatal;
	group *g = NULL;
	for (size_t i = 0; i < c->ngroups && !g; i++)
		if (strcmp(c->groups[i].verdict, verdict) == 0)
			g = &c->groups[i];
	if (g) {
		g->states++;
		return;
	}
	if (c->ngroups == MAX_GROUPS)
		return;
	g = &c->groups[c->ngroups++];
	g->verdict = verdict;
	g->fatal = fatal;
	g->states = 1;
	g->subset = c->ordinal;
	snprintf(g->expected, sizeof g->expected, "%s", expected);
	snprintf(g->found, sizeof g->found, "%s", found);
	/* The persisted units of this first image, with their pages' roles. */
	size_t n = 0;
	for (size_t i = 0; i < c->nrel; i++)
		n += c->mask[i];
	g->units = malloc((n ? n : 1) * sizeof *g->units);
	g->roles = malloc(n ? n : 1);
	g->nunits = 0;
	if (!g->units || !g->roles)
		return;
	uint8_t *roles = NULL;
	uint64_t npages = simdisk_len(c->d) / c->ps;
	if (c->r.p && (roles = malloc(npages ? npages : 1)))
		pager_page_roles(c->r.p, roles, npages);
	for (size_t i = 0; i < c->nrel; i++) {
		if (!c->mask[i])
			continue;
		uint64_t page = c->rel[i] * c->unit / c->ps;
		g->units[g->nunits] = c->rel[i];
		g->roles[g->nunits++] = roles && page < npages ? roles[page]
				       : page == 0 ? PAGER_ROLE_SUPERBLOCK
				       : page == 1 ? PAGER_ROLE_META_A
				       : page == 2 ? PAGER_ROLE_META_B : PAGER_ROLE_REGULAR;
	}
	free(roles);
}

static void flush_groups(ctx *c, const crash_point *at, size_t ndirty)
{
	for (size_t i = 0; i < c->ngroups; i++) {
		group *g = &c->groups[i];
		crash_finding f = {g->verdict, g->fatal, *at, g->states, g->subset, ndirty,
				   g->units, g->roles, g->units ? g->nunits : 0, c->unit, c->ps,
				   g->expected, g->found};
		c->st->findings++;
		c->st->fatal += g->fatal;
		if (c->fn)
			c->fn(c->arg, &f);
		free(g->units);
		free(g->roles);
	}
	c->ngroups = 0;
}

static double elapsed(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* One crash point: enumerate, dedupe, judge, group. */
static void crash_point_visit(ctx *c, crash_phase phase, const simdisk_event *ev)
{
	if (c->stop)
		return;
	crash_stats *st = c->st;
	crash_point at = {c->point++, c->op, phase, ev ? ev->index : simdisk_sync_count(c->d),
			  ev ? ev->step : NULL};
	uint64_t len = simdisk_len(c->d);
	if (!len)
		return; /* nothing on disk yet: no image to judge */
	st->points++;
	const uint8_t *disk = simdisk_disk(c->d), *cache = simdisk_cache(c->d);
	size_t ndirty = simdisk_dirty(c->d, NULL, 0);
	uint64_t npages = (len + c->ps - 1) / c->ps;
	if (ndirty > c->dirty_cap) {
		if (grow_u64(&c->dirty, ndirty) || grow_u64(&c->rel, ndirty) || grow_u64(&c->delta, ndirty))
			return;
		c->dirty_cap = ndirty;
	}
	if (npages > c->relpage_cap) {
		uint8_t *r = realloc(c->relpage, npages);
		if (!r)
			return;
		c->relpage = r;
		c->relpage_cap = npages;
	}
	if (len > c->scratch_cap) {
		uint8_t *s = realloc(c->scratch, len);
		if (!s)
			return;
		c->scratch = s;
		c->scratch_cap = len;
	}
	simdisk_dirty(c->d, c->dirty, ndirty);
	size_t nrel = 0;
	if (!c->cfg->all_units)
		mark_relevant(c, disk, cache, len);
	for (size_t i = 0; i < ndirty; i++)
		if (c->cfg->all_units || unit_relevant(c, c->dirty[i], len))
			c->rel[nrel++] = c->dirty[i];
	st->dirty_units += ndirty;
	st->relevant_units += nrel;

	/* The image starts as the disk; its identity is the XOR of its units' hashes. */
	memcpy(c->scratch, disk, len);
	uint64_t id = len * 0x9e3779b97f4a7c15ull;
	uint64_t nunits = simdisk_unit_count(c->d);
	for (uint64_t u = 0; u < nunits; u++)
		id ^= subsets_unit_hash(u, disk + u * c->unit, simdisk_unit_len(c->d, u));
	for (size_t i = 0; i < nrel; i++) {
		uint64_t u = c->rel[i], ulen = simdisk_unit_len(c->d, u);
		c->delta[i] = subsets_unit_hash(u, disk + u * c->unit, ulen) ^
			      subsets_unit_hash(u, cache + u * c->unit, ulen);
	}

	subsets_iter it;
	if (subsets_init(&it, nrel, &c->cfg->sub, at.index))
		return;
	idset *now = &c->seen[c->cur_set], *prev = &c->seen[!c->cur_set];
	if (idset_reset(now, subsets_count(nrel, &c->cfg->sub)))
		return;
	judge_case jc = {&c->cur, c->in_op ? &c->after : &c->cur, c->in_op ? c->op : JUDGE_NO_OP};
	const uint8_t *mask;
	c->nrel = nrel;
	while (!c->stop && subsets_next(&it, &mask)) {
		const size_t *chg;
		size_t nchg = subsets_changed(&it, &chg);
		for (size_t k = 0; k < nchg; k++) {
			simdisk_put_unit(c->d, c->scratch, c->rel[chg[k]], mask[chg[k]]);
			id ^= c->delta[chg[k]];
		}
		st->generated++;
		if (idset_has(now, id) || idset_has(prev, id))
			continue;
		idset_add(now, id);
		st->judged++;
		c->mask = mask;
		c->ordinal = subsets_ordinal(&it);
		c->image_fatal = 0;
		judge_image(&c->j, &jc, c->scratch, len, on_violation, c);
		if (c->image_fatal) {
			st->violating++;
			if (c->cfg->stop_on_first)
				c->stop = 1;
		}
		if (c->cfg->progress && st->judged - c->last_progress >= 4096) {
			c->last_progress = st->judged;
			st->seconds = elapsed(&c->t0);
			c->cfg->progress(c->cfg->progress_arg, st, c->op, c->log->nops);
		}
	}
	subsets_free(&it);
	c->cur_set = !c->cur_set;
	flush_groups(c, &at, nrel);
}

static void on_sync(void *arg, simdisk *d, const simdisk_event *ev, simdisk_phase phase)
{
	(void)d;
	crash_point_visit(arg, phase == SIMDISK_BEFORE_SYNC ? CRASH_BEFORE_SYNC : CRASH_AFTER_SYNC, ev);
}

/* First pass: the log must replay cleanly (I-MODEL); record what the pager answered. */
static int first_pass(const oplog *log, uint32_t unit, model_result *res, char *msg, size_t msglen)
{
	simdisk *d = simdisk_new(unit);
	replay r;
	model m;
	int rc = -1;
	if (!d)
		return -1;
	if (replay_init(&r, log, simdisk_io(d), "crash.db")) {
		simdisk_free(d);
		return -1;
	}
	if (model_init(&m, log))
		goto done;
	rc = 0;
	for (size_t k = 0; k < log->nops && !rc; k++)
		rc = replay_step(&r, &m, k, &res[k], msg, msglen);
	model_free(&m);
done:
	replay_free(&r);
	simdisk_free(d);
	return rc;
}

int crash_run(const oplog *log, const crash_cfg *cfg, crash_stats *st, crash_finding_fn fn, void *arg,
	      char *msg, size_t msglen)
{
	ctx c;
	int rc = -1;
	memset(&c, 0, sizeof c);
	memset(st, 0, sizeof *st);
	c.log = log;
	c.cfg = cfg;
	c.st = st;
	c.fn = fn;
	c.arg = arg;
	c.ps = (size_t)1 << log->page_log2;
	c.unit = cfg->unit ? cfg->unit : (uint32_t)c.ps;
	model_result *res = calloc(log->nops ? log->nops : 1, sizeof *res);
	c.refs = calloc(fmt_max_dir_blocks(c.ps), sizeof *c.refs);
	c.ents = calloc(fmt_dir_capacity(c.ps), sizeof *c.ents);
	if (!res || !c.refs || !c.ents)
		goto out;
	c.res = res;
	if ((rc = first_pass(log, c.unit, res, msg, msglen)))
		goto out;
	rc = -1;
	if (!(c.d = simdisk_new(c.unit)) || replay_init(&c.r, log, simdisk_io(c.d), "crash.db") ||
	    judge_init(&c.j, log) || model_init(&c.cur, log) || model_init(&c.after, log))
		goto out;
	simdisk_set_hook(c.d, on_sync, &c);
	clock_gettime(CLOCK_MONOTONIC, &c.t0);
	for (size_t k = 0; k < log->nops; k++) {
		model_result got;
		if (model_copy(&c.after, &c.cur) || model_apply(&c.after, log, k, &res[k]))
			goto out;
		c.op = k;
		c.in_op = 1;
		int e = replay_exec(&c.r, k, &got);
		c.in_op = 0;
		if (e || got.id != res[k].id || got.crc != res[k].crc) {
			/* The pager is deterministic: the second pass must answer as the first. */
			char what[160];
			replay_describe(log, k, what, sizeof what);
			snprintf(msg, msglen, "%s: the replay diverged from the first pass (%s)", what, e ? pager_strerror(e) : "different id");
			rc = 1;
			goto out;
		}
		if (model_copy(&c.cur, &c.after))
			goto out;
		crash_point_visit(&c, CRASH_END_OF_OP, NULL);
	}
	rc = 0;
out:
	st->seconds = elapsed(&c.t0);
	if (cfg->progress && rc == 0)
		cfg->progress(cfg->progress_arg, st, log->nops, log->nops);
	if (c.r.log)
		replay_free(&c.r);
	judge_free(&c.j);
	model_free(&c.cur);
	model_free(&c.after);
	simdisk_free(c.d);
	free(c.scratch);
	free(c.dirty);
	free(c.rel);
	free(c.delta);
	free(c.relpage);
	free(c.refs);
	free(c.ents);
	free(c.seen[0].slot);
	free(c.seen[1].slot);
	free(res);
	return rc;
}
