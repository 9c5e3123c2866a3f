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
 * seen at this crash point, or at the previous one when it had an equal judge case (the
 * same op in flight; op ends with equal models), is not judged again. (An image the
 * previous point had still counts as seen here, so a run of points of one op in flight
 * judges it once.) Memory: the image,
 * two identity sets bounded by the subsets of one point, and per-point finding groups.
 *
 * Speed (the verdicts do not depend on it; cfg->no_memo turns the memo off to compare):
 *  - the scratch image is the disk between crash points: only units whose disk bytes
 *    changed since the previous point (a sync, a size change) are copied and rehashed,
 *    so the disk's unit hashes, the base identity and the per-page identities are kept
 *    up to date without hashing or copying the whole image at every point;
 *  - mark_relevant keeps its decodes of page 0's index and of directory pages with
 *    their bytes, and decodes a page again only when its bytes changed;
 *  - every image carries per-page identities (XOR of its units' hashes, updated by one
 *    XOR per changed unit), so the judge can cache per-page decodes and CRCs and replay
 *    the verdicts of an image whose pages read by recovery equal those of an image
 *    already judged under the same case (judge_image_ids: e.g. the 2^8 images of a
 *    point whose only dirty units are in a protected page's inactive copy, which
 *    recovery never reads, are opened once). */
#define _POSIX_C_SOURCE 200809L
#include "crash_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *crash_phase_name(crash_phase ph)
{
	static const char *const names[] = {"before-sync", "after-sync", "end-of-op"};
	return (unsigned)ph < 3 ? names[ph] : "?";
}

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

static int grow_u64(uint64_t **a, size_t n)
{
	uint64_t *p = realloc(*a, (n ? n : 1) * sizeof **a);
	if (!p)
		return -1;
	*a = p;
	return 0;
}

/* ---- which pages recovery reads ---- */

/* One page mark_relevant decoded, kept with its bytes: the same bytes at the same page
 * decode the same, so a page is decoded again only when its bytes changed. */
#define DCACHE_SLOTS 32
enum { DC_INDEX, DC_DIR };
typedef struct dcache {
	uint64_t page;        /* page number */
	int kind;             /* DC_INDEX (page 0's directory index) or DC_DIR */
	int valid;            /* the slot holds a decode */
	int ok;               /* the index decoded / the directory page is readable */
	uint8_t *bytes;       /* the page's bytes when decoded (ps) */
	uint64_t *refs;       /* index: page_a, page_b per block; dir: per in-use entry */
	size_t nrefs, refs_cap;
	uint64_t used;        /* ctx.dc_tick at the last use */
} dcache;

static void dcache_free(dcache *dc)
{
	if (!dc)
		return;
	for (size_t i = 0; i < DCACHE_SLOTS; i++) {
		free(dc[i].bytes);
		free(dc[i].refs);
	}
	free(dc);
}

static int dc_push(dcache *d, uint64_t a, uint64_t b)
{
	if (d->nrefs + 2 > d->refs_cap) {
		size_t cap = d->refs_cap ? 2 * d->refs_cap : 16;
		uint64_t *r = realloc(d->refs, cap * sizeof *r);
		if (!r)
			return -1;
		d->refs = r;
		d->refs_cap = cap;
	}
	d->refs[d->nrefs++] = a;
	d->refs[d->nrefs++] = b;
	return 0;
}

/* The decode of `bytes` as page n of the given kind: cached, or decoded now. NULL when
 * out of memory. */
static dcache *dc_get(ctx *c, uint64_t n, int kind, const uint8_t *bytes)
{
	dcache *lru = &c->dc[0];
	c->dc_tick++;
	for (size_t i = 0; i < DCACHE_SLOTS; i++) {
		dcache *d = &c->dc[i];
		if (d->valid && d->page == n && d->kind == kind && memcmp(d->bytes, bytes, c->ps) == 0) {
			d->used = c->dc_tick;
			return d;
		}
		if (!d->valid || (lru->valid && d->used < lru->used))
			lru = d;
	}
	dcache *d = lru;
	d->valid = 0;
	d->nrefs = 0;
	if (!d->bytes && !(d->bytes = malloc(c->ps)))
		return NULL;
	if (kind == DC_INDEX) {
		uint32_t count;
		d->ok = fmt_index_decode(bytes, c->ps, c->refs, &count) == FMT_INDEX_OK;
		for (uint32_t b = 0; d->ok && b < count; b++)
			if (dc_push(d, c->refs[b].page_a, c->refs[b].page_b))
				return NULL;
	} else {
		d->ok = fmt_dir_decode(bytes, c->ps, c->ents) == 0;
		for (uint32_t s = 0; d->ok && s < fmt_dir_capacity(c->ps); s++)
			if (c->ents[s].in_use && dc_push(d, c->ents[s].page_a, c->ents[s].page_b))
				return NULL;
	}
	memcpy(d->bytes, bytes, c->ps);
	d->page = n;
	d->kind = kind;
	d->valid = 1;
	d->used = c->dc_tick;
	return d;
}

/* Mark the pages recovery may read, from both the disk's and the cache's view: pages
 * 0-2, the directory pages page 0's index names, and both copies of every in-use entry
 * of those directory pages (each read in both views). When out of memory every page is
 * marked (all units are then enumerated: slower, never fewer states). */
static void mark_relevant(ctx *c, const uint8_t *disk, const uint8_t *cache, uint64_t len)
{
	uint64_t npages = (len + c->ps - 1) / c->ps, full = len / c->ps;
	memset(c->relpage, 0, npages);
	if (oplog_pager_format(c->log) == 2) {
		/* Format 2: the pager says which pages its recovery may read. */
		if (pager_v2_read_set(disk, len, c->ps, c->relpage, npages) ||
		    pager_v2_read_set(cache, len, c->ps, c->relpage, npages))
			memset(c->relpage, 1, npages);
		return;
	}
	for (uint64_t n = 0; n < 3 && n < npages; n++)
		c->relpage[n] = 1;
	if (full < FMT_INITIAL_PAGES)
		return;
	const uint8_t *views[2] = {disk, cache};
	for (int v = 0; v < 2; v++) {
		dcache *ix = dc_get(c, 0, DC_INDEX, views[v]);
		if (!ix)
			goto oom;
		if (!ix->ok)
			continue;
		/* A copy: the lookups below may reuse ix's slot. */
		size_t nblk = ix->nrefs;
		uint64_t *blk = malloc((nblk ? nblk : 1) * sizeof *blk);
		if (!blk)
			goto oom;
		if (nblk)
			memcpy(blk, ix->refs, nblk * sizeof *blk);
		for (size_t k = 0; k < nblk; k++) {
			uint64_t dp = blk[k];
			if (dp >= full)
				continue;
			c->relpage[dp] = 1;
			for (int w = 0; w < 2; w++) {
				dcache *d = dc_get(c, dp, DC_DIR, views[w] + dp * c->ps);
				if (!d) {
					free(blk);
					goto oom;
				}
				for (size_t q = 0; d->ok && q < d->nrefs; q++)
					if (d->refs[q] < full)
						c->relpage[d->refs[q]] = 1;
			}
		}
		free(blk);
	}
	return;
oom:
	memset(c->relpage, 1, npages);
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

/* The class of a verdict id for the detected / silent tally. */
static unsigned saw_bit(const char *verdict)
{
	if (!strcmp(verdict, "I-OPEN"))
		return CRASH_SAW_OPEN;
	if (!strcmp(verdict, "I-ATOMIC") || !strcmp(verdict, "I-DURABLE"))
		return CRASH_SAW_MODEL;
	if (!strcmp(verdict, "I-SILENT"))
		return CRASH_SAW_SILENT;
	if (!strcmp(verdict, "I-LEAK"))
		return 0;
	return CRASH_SAW_CHECK; /* every other id an image can show is pager_check's */
}

/* The role of page `page` as the writing pager sees it (pages 0-2 by number when there
 * is no pager yet). roles: pager_page_roles of npages pages, or NULL. */
static uint8_t role_of(const uint8_t *roles, uint64_t npages, uint64_t page)
{
	return roles && page < npages ? roles[page]
	       : page == 0 ? PAGER_ROLE_SUPERBLOCK
	       : page == 1 ? PAGER_ROLE_META_A
	       : page == 2 ? PAGER_ROLE_META_B : PAGER_ROLE_REGULAR;
}

void crash_on_violation(void *arg, const char *verdict, const char *expected, const char *found)
{
	ctx *c = arg;
	int fatal = strcmp(verdict, "I-LEAK") != 0 || c->cfg->strict;
	const char *fclass = c->fault ? c->fclass : "";
	c->image_fatal |= fatal;
	c->image_seen |= saw_bit(verdict);
	group *g = NULL;
	for (size_t i = 0; i < c->ngroups && !g; i++)
		if (strcmp(c->groups[i].verdict, verdict) == 0 && strcmp(c->groups[i].fclass, fclass) == 0 &&
		    (!c->fault || c->groups[i].fstep == c->fstep))
			g = &c->groups[i];
	if (g) {
		g->states++;
		return;
	}
	if (c->ngroups == MAX_GROUPS)
		return;
	g = &c->groups[c->ngroups++];
	memset(g, 0, sizeof *g);
	g->verdict = verdict;
	g->fatal = fatal;
	g->states = 1;
	g->subset = c->ordinal;
	snprintf(g->expected, sizeof g->expected, "%s", expected);
	snprintf(g->found, sizeof g->found, "%s", found);
	snprintf(g->fclass, sizeof g->fclass, "%s", fclass);
	g->fstep = c->fault ? c->fstep : NULL;
	if (c->fault) {
		g->has_fault = 1;
		g->fault = *c->fault;
	}
	/* The persisted units of this first image, with their pages' roles. */
	size_t n = 0, ndev = 0;
	for (size_t i = 0; i < c->nrel; i++) {
		n += c->mask[i] && !(c->src && c->src[i]);
		ndev += c->mask[i] && c->src && c->src[i];
	}
	g->units = malloc((n ? n : 1) * sizeof *g->units);
	g->roles = malloc(n ? n : 1);
	g->dev = malloc((ndev ? ndev : 1) * sizeof *g->dev);
	if (!g->units || !g->roles || !g->dev) {
		free(g->units);
		free(g->roles);
		free(g->dev);
		g->units = g->dev = NULL;
		g->roles = NULL;
		return;
	}
	uint8_t *roles = NULL;
	uint64_t npages = simdisk_len(c->d) / c->ps;
	if (c->r.p && (roles = malloc(npages ? npages : 1)))
		pager_page_roles(c->r.p, roles, npages);
	for (size_t i = 0; i < c->nrel; i++) {
		if (!c->mask[i])
			continue;
		if (c->src && c->src[i]) {
			g->dev[g->ndev++] = c->list[i];
			continue;
		}
		g->units[g->nunits] = c->list[i];
		g->roles[g->nunits++] = role_of(roles, npages, c->list[i] * c->unit / c->ps);
	}
	free(roles);
}

static void flush_groups(ctx *c, const crash_point *at, size_t ndirty)
{
	for (size_t i = 0; i < c->ngroups; i++) {
		group *g = &c->groups[i];
		crash_finding f = {g->verdict, g->fatal, *at, g->states, g->subset, ndirty,
				   g->units, g->roles, g->units ? g->nunits : 0, c->unit, c->ps,
				   g->expected, g->found, g->has_fault ? &g->fault : NULL, g->fclass,
				   g->dev, g->dev ? g->ndev : 0, g->fstep};
		c->st->findings++;
		c->st->fatal += g->fatal;
		if (c->fn)
			c->fn(c->arg, &f);
		free(g->units);
		free(g->roles);
		free(g->dev);
	}
	c->ngroups = 0;
}

static double elapsed(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Make scratch equal the disk again (it equals the disk of the previous point): copy and
 * rehash the units whose bytes changed (syncs, a size change), then recompute the base
 * identity and the per-page identities from the units' hashes. Cost: one memcmp of
 * the image, plus hashing and copying only what changed. */
static int scratch_sync(ctx *c, const uint8_t *disk, uint64_t len)
{
	uint64_t nunits = simdisk_unit_count(c->d), npages = (len + c->ps - 1) / c->ps;
	if (len > c->scratch_cap) {
		uint8_t *s = realloc(c->scratch, (size_t)len);
		if (!s)
			return -1;
		c->scratch = s;
		c->scratch_cap = (size_t)len;
	}
	if (nunits > c->units_cap) {
		if (grow_u64(&c->dhash, (size_t)nunits))
			return -1;
		c->units_cap = (size_t)nunits;
	}
	if (npages > c->pages_cap) {
		if (grow_u64(&c->pid, (size_t)npages))
			return -1;
		c->pages_cap = (size_t)npages;
	}
	/* Units wholly inside the bytes scratch mirrors can be compared; from the first unit
	 * that reaches past min(old, new length) on, they are copied afresh. */
	uint64_t keep = (c->scratch_len < len ? c->scratch_len : len) / c->unit;
	for (uint64_t u = 0; u < nunits; u++) {
		uint64_t off = u * c->unit, ulen = simdisk_unit_len(c->d, u);
		if (u < keep && memcmp(c->scratch + off, disk + off, (size_t)ulen) == 0)
			continue;
		memcpy(c->scratch + off, disk + off, (size_t)ulen);
		c->dhash[u] = subsets_unit_hash(u, disk + off, (size_t)ulen);
	}
	c->scratch_len = len;
	c->base = 0;
	for (uint64_t u = 0; u < nunits; u++)
		c->base ^= c->dhash[u];
	/* A page's identity: the XOR of its units' hashes (units are seeded with their
	 * index, so it names the place too); a unit larger than a page names each of its
	 * pages by its own hash mixed with the page number. */
	if (c->unit <= c->ps) {
		uint64_t per = c->ps / c->unit;
		for (uint64_t p = 0; p < npages; p++) {
			uint64_t id = 0;
			for (uint64_t u = p * per; u < (p + 1) * per && u < nunits; u++)
				id ^= c->dhash[u];
			c->pid[p] = id;
		}
	} else {
		uint64_t per = c->unit / c->ps;
		for (uint64_t p = 0; p < npages; p++)
			c->pid[p] = c->dhash[p / per] ^ subsets_mix64(p);
	}
	return 0;
}

/* Unit u of scratch now holds its other version, whose hash differs by delta. */
void crash_flip_unit(ctx *c, uint64_t u, uint64_t delta, uint64_t npages)
{
	if (c->unit <= c->ps) {
		c->pid[u * c->unit / c->ps] ^= delta;
	} else {
		uint64_t per = c->unit / c->ps;
		for (uint64_t p = u * per; p < (u + 1) * per && p < npages; p++)
			c->pid[p] ^= delta;
	}
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
	uint64_t nunits = simdisk_unit_count(c->d);
	uint64_t npages = (len + c->ps - 1) / c->ps;
	if (nunits > c->dirty_cap) {
		if (grow_u64(&c->dirty, nunits) || grow_u64(&c->rel, nunits) || grow_u64(&c->delta, nunits))
			return;
		uint8_t *m = realloc(c->in_img, nunits);
		if (!m)
			return;
		c->in_img = m;
		c->dirty_cap = nunits;
	}
	if (npages > c->relpage_cap) {
		uint8_t *r = realloc(c->relpage, npages);
		if (!r)
			return;
		c->relpage = r;
		c->relpage_cap = npages;
	}
	if (scratch_sync(c, disk, len))
		return;
	size_t ndirty = simdisk_dirty(c->d, c->dirty, c->dirty_cap);
	size_t nrel = 0;
	if (!c->cfg->all_units)
		mark_relevant(c, disk, cache, len);
	for (size_t i = 0; i < ndirty; i++)
		if (c->cfg->all_units || unit_relevant(c, c->dirty[i], len))
			c->rel[nrel++] = c->dirty[i];
	st->dirty_units += ndirty;
	st->relevant_units += nrel;

	/* The image starts as the disk; its identity is the XOR of its units' hashes. */
	uint64_t id = len * 0x9e3779b97f4a7c15ull ^ c->base;
	for (size_t i = 0; i < nrel; i++) {
		uint64_t u = c->rel[i], ulen = simdisk_unit_len(c->d, u);
		c->delta[i] = c->dhash[u] ^ subsets_unit_hash(u, cache + u * c->unit, (size_t)ulen);
		c->in_img[i] = 0;
	}

	subsets_iter it;
	if (subsets_init(&it, nrel, &c->cfg->sub, at.index))
		return;
	/* The previous point's images count as judged only under an equal case: the same
	 * image at the last after-sync of an op (in flight: "before" is fine) and at its end
	 * (acknowledged: "before" is an I-DURABLE) does not get the same verdicts. */
	c->prev_same = !c->cfg->no_point_dedup && c->seen_case[!c->cur_set] == c->case_key;
	c->seen_case[c->cur_set] = c->case_key;
	uint64_t expect = subsets_count(nrel, &c->cfg->sub);
	if (c->fx)
		expect += crash_faults_budget(c, nrel);
	if (idset_reset(&c->seen[c->cur_set], expect)) {
		subsets_free(&it);
		return;
	}
	judge_case jc = {&c->cur, c->in_op ? &c->after : &c->cur, c->in_op ? c->op : JUDGE_NO_OP};
	const uint8_t *mask;
	c->nrel = nrel;
	c->list = c->rel;
	c->src = NULL;
	c->fault = NULL;
	c->fclass = "";
	c->tally_mode = DFAULT_NONE;
	c->tally_step = crash_tally_step(at.step);
	while (!c->stop && subsets_next(&it, &mask)) {
		const size_t *chg;
		size_t nchg = subsets_changed(&it, &chg);
		for (size_t k = 0; k < nchg; k++) {
			size_t i = chg[k];
			if (c->in_img[i] == mask[i])
				continue;
			simdisk_put_unit(c->d, c->scratch, c->rel[i], mask[i]);
			c->in_img[i] = mask[i];
			id ^= c->delta[i];
			crash_flip_unit(c, c->rel[i], c->delta[i], npages);
		}
		c->mask = mask;
		c->ordinal = subsets_ordinal(&it);
		crash_try_image(c, id, len, &jc, c->case_key, c->cfg->no_memo ? NULL : c->pid);
	}
	subsets_free(&it);
	/* Back to the disk, for the next point. */
	for (size_t i = 0; i < nrel; i++) {
		if (c->in_img[i]) {
			simdisk_put_unit(c->d, c->scratch, c->rel[i], 0);
			crash_flip_unit(c, c->rel[i], c->delta[i], npages);
		}
	}
	if (c->fx && !c->stop)
		crash_faults_visit(c, &at, &jc, nrel);
	c->cur_set = !c->cur_set;
	flush_groups(c, &at, nrel);
}

size_t crash_tally_step(const char *step)
{
	size_t n;
	const pager_fault_point *pts = pager_fault_points(&n);
	if (n > CRASH_FAULT_STEPS - 1)
		n = CRASH_FAULT_STEPS - 1;
	for (size_t i = 0; step && i < n; i++)
		if (pts[i].name == step || !strcmp(pts[i].name, step))
			return i;
	return n; /* end of op (or a step outside the table) */
}

const char *crash_fault_step_name(size_t i)
{
	size_t n;
	const pager_fault_point *pts = pager_fault_points(&n);
	if (n > CRASH_FAULT_STEPS - 1)
		n = CRASH_FAULT_STEPS - 1;
	return i < n ? pts[i].name : i == n ? "-" : NULL;
}

/* One judged image into a tally: detected when recovery refused it or the checker named
 * something, silent when only the model saw a wrong state, else recovered. A faulty
 * image's verdicts are those its twin does not show (judge_fault_verdicts): a model
 * verdict without I-SILENT there means pager_check named the image (something its twin
 * has too), so it counts as detected by the checker. */
static void tally_add(crash_fault_tally *t, unsigned seen, int faulty)
{
	t->judged++;
	if (seen & CRASH_SAW_OPEN)
		t->detected_open++;
	else if (seen & CRASH_SAW_CHECK)
		t->detected_check++;
	else if (seen & CRASH_SAW_SILENT || (!faulty && seen & CRASH_SAW_MODEL))
		t->silent++;
	else if (seen & CRASH_SAW_MODEL)
		t->detected_check++;
	else
		t->recovered++;
}

void crash_try_image(ctx *c, uint64_t id, uint64_t len, const judge_case *jc, uint64_t case_key,
		     const uint64_t *page_ids)
{
	crash_stats *st = c->st;
	crash_fault_stats *fs = c->cfg->fstats;
	crash_fault_tally *tm = fs ? &fs->mode[c->tally_mode] : NULL;
	crash_fault_tally *ts = fs ? &fs->step[c->tally_mode][c->tally_step] : NULL;
	idset *now = &c->seen[c->cur_set], *prev = &c->seen[!c->cur_set];
	st->generated++;
	if (fs) {
		tm->generated++;
		ts->generated++;
	}
	if (idset_has(now, id))
		return;
	idset_add(now, id);
	if (c->prev_same && idset_has(prev, id))
		return; /* judged at the previous point under an equal case */
	st->judged++;
	c->image_fatal = 0;
	c->image_seen = 0;
	if (c->cfg->judge_fn)
		c->cfg->judge_fn(c->cfg->judge_arg, c->scratch, len);
	else if (c->fault)
		crash_faults_judge(c, jc, case_key, len, page_ids);
	else if (!page_ids)
		judge_image(&c->j, jc, c->scratch, len, crash_on_violation, c);
	else
		judge_image_ids(&c->j, jc, case_key, c->scratch, len, page_ids, crash_on_violation, c);
	if (c->image_fatal) {
		st->violating++;
		if (c->cfg->stop_on_first)
			c->stop = 1;
	}
	if (fs) {
		tally_add(tm, c->image_seen, c->fault != NULL);
		tally_add(ts, c->image_seen, c->fault != NULL);
	}
	if (c->cfg->progress && st->judged - c->last_progress >= 4096) {
		c->last_progress = st->judged;
		st->seconds = elapsed(&c->t0);
		c->cfg->progress(c->cfg->progress_arg, st, c->op, c->log->nops);
	}
}

static void on_sync(void *arg, simdisk *d, const simdisk_event *ev, simdisk_phase phase)
{
	ctx *c = arg;
	if (phase == SIMDISK_AFTER_SYNC)
		c->dlen = simdisk_len(d); /* msync persists the size with the data (lost-size) */
	if (c->fx)
		crash_faults_sync(c, ev, phase);
	crash_point_visit(c, phase == SIMDISK_BEFORE_SYNC ? CRASH_BEFORE_SYNC : CRASH_AFTER_SYNC, ev);
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
	c.dc = calloc(DCACHE_SLOTS, sizeof *c.dc);
	if (!res || !c.refs || !c.ents || !c.dc)
		goto out;
	c.res = res;
	if ((rc = first_pass(log, c.unit, res, msg, msglen)))
		goto out;
	rc = -1;
	if (!(c.d = simdisk_new(c.unit)))
		goto out;
	const pager_io *io = simdisk_io(c.d);
	if (cfg->wrap_io && !(io = cfg->wrap_io(cfg->wrap_arg, io)))
		goto out;
	if (replay_init(&c.r, log, io, "crash.db") || judge_init(&c.j, log) ||
	    model_init(&c.cur, log) || model_init(&c.after, log) || crash_faults_new(&c))
		goto out;
	simdisk_set_hook(c.d, on_sync, &c);
	clock_gettime(CLOCK_MONOTONIC, &c.t0);
	for (size_t k = 0; k < log->nops; k++) {
		model_result got;
		if (model_copy(&c.after, &c.cur) || model_apply(&c.after, log, k, &res[k]))
			goto out;
		c.op = k;
		c.in_op = 1;
		c.case_key = judge_case_key(&c.j, &(judge_case){&c.cur, &c.after, k});
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
		c.case_key = judge_case_key(&c.j, &(judge_case){&c.cur, &c.cur, JUDGE_NO_OP});
		crash_point_visit(&c, CRASH_END_OF_OP, NULL);
		if (c.fx)
			crash_faults_op_done(&c);
	}
	rc = 0;
out:
	st->seconds = elapsed(&c.t0);
	st->opened = c.j.opened;
	if (cfg->progress && rc == 0)
		cfg->progress(cfg->progress_arg, st, log->nops, log->nops);
	if (c.r.log)
		replay_free(&c.r);
	crash_faults_free(&c);
	judge_free(&c.j);
	model_free(&c.cur);
	model_free(&c.after);
	simdisk_free(c.d);
	free(c.scratch);
	free(c.dhash);
	free(c.pid);
	free(c.in_img);
	dcache_free(c.dc);
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
