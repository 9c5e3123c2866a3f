/* crash_variant.c — building and judging the images of one disk-fault variant (which
 * variants a point has: crash_faults.c). A variant is the disk with a few units
 * overridden (the garbage, the rotten unit, what a misdirected write or a lying sync
 * left) plus any subset of entries (a unit and the bytes it may hold: the cache's, or
 * for a lying sync the device's). Each image is judged next to its twin without the
 * fault, and only what the fault changed is reported (judge.h, judge_fault_verdicts).
 *
 * Method: scratch holds the disk when a variant starts (crash.c keeps it so between
 * points). Overrides are put first; then the entries change unit by unit as the masks
 * go (subsets.h's Gray code: one unit per image; or the three torn-garbage bases), the
 * last entry of a unit in the mask giving its bytes, else the override, else the disk.
 * Every change updates the image's identity and page identities by one XOR of unit
 * hashes (as crash.c's plain loop does), so judge_image_ids's read-set memo works for
 * faulty images and their twins alike. A twin is made in place: the override units
 * (that no cache entry in the mask covers) put back to their disk bytes — or for a torn
 * unit to its old and then its new bytes; for a lost size change the same bytes at the
 * file's length — judged, and the faulty bytes put back. Afterwards every unit is its
 * disk bytes again. Cost per image: the units that changed, plus one judge of the image
 * and one (two for torn garbage) of its twins, which the memo mostly answers. */
#include "crash_int.h"

#include <stdlib.h>
#include <string.h>

static uint64_t unit_len(const ctx *c, uint64_t u, uint64_t len)
{
	uint64_t off = u * c->unit;
	return off >= len ? 0 : len - off < c->unit ? len - off : c->unit;
}

/* scratch's unit u := bytes with hash h (it holds bytes with hash *cur): identity (*id)
 * and page identities follow. */
static void put(ctx *c, uint64_t u, const uint8_t *bytes, uint64_t h, uint64_t *cur, uint64_t *id)
{
	if (h == *cur)
		return;
	uint64_t n = unit_len(c, u, c->fx->flen);
	if (n && c->scratch + u * c->unit != bytes)
		memcpy(c->scratch + u * c->unit, bytes, (size_t)n);
	uint64_t delta = h ^ *cur;
	*id ^= delta;
	crash_flip_unit(c, u, delta, c->fx->npages);
	*cur = h;
}

/* Entries [lo, hi) of one unit: give it the bytes of the last one in the mask. */
static void settle(ctx *c, size_t lo, size_t hi, uint64_t *id)
{
	crash_faults *fx = c->fx;
	const uint8_t *b = fx->ebase[lo];
	uint64_t h = fx->ebh[lo];
	for (size_t i = lo; i < hi; i++) {
		if (fx->eon[i]) {
			b = fx->eb[i];
			h = fx->eh[i];
		}
	}
	uint64_t cur = fx->ecur[lo];
	put(c, fx->eu[lo], b, h, &cur, id);
	for (size_t i = lo; i < hi; i++)
		fx->ecur[i] = cur;
}

/* The entries of entry i's unit: [*lo, *hi). */
static void unit_entries(const crash_faults *fx, size_t i, size_t n, size_t *lo, size_t *hi)
{
	*lo = i;
	*hi = i + 1;
	while (*lo > 0 && fx->eu[*lo - 1] == fx->eu[i])
		(*lo)--;
	while (*hi < n && fx->eu[*hi] == fx->eu[i])
		(*hi)++;
}

static void settle_entry(ctx *c, size_t i, uint64_t *id)
{
	size_t lo, hi;
	unit_entries(c->fx, i, c->fx->v->nent, &lo, &hi);
	settle(c, lo, hi, id);
}

/* The entries of unit u ([*lo, *hi), empty when none). */
static void find_unit(const crash_faults *fx, uint64_t u, size_t *lo, size_t *hi)
{
	size_t n = fx->v->nent;
	for (size_t i = 0; i < n; i++) {
		if (fx->eu[i] == u) {
			unit_entries(fx, i, n, lo, hi);
			return;
		}
	}
	*lo = *hi = 0;
}

void crash_run_variant(ctx *c, const crash_point *at, const judge_case *jc, uint64_t case_key, variant *v)
{
	crash_faults *fx = c->fx;
	uint64_t flen = simdisk_len(c->d), len = v->len;
	const uint8_t *disk = simdisk_disk(c->d);
	fx->v = v;
	fx->flen = flen;
	fx->npages = (flen + c->ps - 1) / c->ps;
	/* The identity of the disk cut to len (the whole file but for lost-size). */
	uint64_t id = len * 0x9e3779b97f4a7c15ull ^ c->base;
	uint64_t nunits = (flen + c->unit - 1) / c->unit, kept = (len + c->unit - 1) / c->unit;
	int partial = len % c->unit != 0 && len < flen;
	for (uint64_t u = kept; u < nunits; u++)
		id ^= c->dhash[u];
	if (partial) { /* the last kept unit is shorter in this image: hash it as it is */
		uint64_t u = kept - 1;
		id ^= c->dhash[u] ^ subsets_unit_hash(u, disk + u * c->unit, (size_t)unit_len(c, u, len));
	}
	for (size_t i = 0; i < v->nover; i++) {
		uint64_t u = fx->ou[i];
		fx->oh[i] = subsets_unit_hash(u, fx->ob[i], (size_t)unit_len(c, u, flen));
		fx->ocur[i] = c->dhash[u];
		put(c, u, fx->ob[i], fx->oh[i], &fx->ocur[i], &id);
	}
	for (size_t i = 0; i < v->nent; i++) {
		uint64_t u = fx->eu[i];
		fx->eh[i] = subsets_unit_hash(u, fx->eb[i], (size_t)unit_len(c, u, flen));
		fx->ebase[i] = disk + u * c->unit;
		fx->ebh[i] = c->dhash[u];
		for (size_t k = 0; k < v->nover; k++) {
			if (fx->ou[k] == u) {
				fx->ebase[i] = fx->ob[k];
				fx->ebh[i] = fx->oh[k];
			}
		}
		fx->ecur[i] = fx->ebh[i];
		fx->eon[i] = 0;
	}
	crash_faults_classify(c, v);
	c->fault = &v->f;
	c->fclass = fx->fclass;
	c->fstep = v->fstep;
	c->list = fx->eu;
	c->src = fx->esrc;
	c->mask = fx->eon;
	c->nrel = v->nent;
	c->tally_mode = v->f.mode;
	c->tally_step = v->step;
	/* Never deduplicated against plain images (no twin), nor against another case's. */
	uint64_t salt = subsets_mix64(0xfa017u + v->f.mode);
	if (case_key != c->case_key)
		salt ^= subsets_mix64(case_key);
	const uint64_t *pids = c->cfg->no_memo || partial ? NULL : c->pid;
	if (v->policy == V_SUBSETS) {
		subsets_iter it;
		const uint8_t *mask;
		/* A fault's entries: every subset up to CRASH_FAULT_EXHAUSTIVE of them (or --exhaustive
		 * when smaller), else the seeded mix: a fault multiplies what a point judges. */
		subsets_cfg sc = c->cfg->sub;
		if (sc.exhaustive_k > CRASH_FAULT_EXHAUSTIVE)
			sc.exhaustive_k = CRASH_FAULT_EXHAUSTIVE;
		if (subsets_init(&it, v->nent, &sc, subsets_mix64(at->index) ^ v->f.mode) == 0) {
			while (!c->stop && subsets_next(&it, &mask)) {
				const size_t *chg;
				size_t nchg = subsets_changed(&it, &chg);
				for (size_t k = 0; k < nchg; k++) {
					fx->eon[chg[k]] = mask[chg[k]];
					settle_entry(c, chg[k], &id);
				}
				c->ordinal = subsets_ordinal(&it);
				crash_try_image(c, id ^ salt, len, jc, case_key, pids);
			}
			subsets_free(&it);
		}
	} else {
		/* V_ONE: the base alone. V_TORN: others old; new up to the torn unit; all new.
		 * V_ENDS: no entry; every entry. */
		size_t nimg = v->policy == V_TORN ? 3 : v->policy == V_ENDS && v->nent ? 2 : 1;
		for (size_t k = 0; k < nimg && !c->stop; k++) {
			size_t upto = v->policy == V_TORN ? (k == 0 ? 0 : k == 1 ? v->torn_at : v->nent) : k ? v->nent : 0;
			for (size_t i = 0; i < v->nent; i++) {
				fx->eon[i] = i < upto;
				settle_entry(c, i, &id);
			}
			if (v->policy == V_TORN && k == 1 && (v->torn_at == 0 || v->torn_at == v->nent))
				continue; /* the same image as the first or the last */
			c->ordinal = k;
			crash_try_image(c, id ^ salt, len, jc, case_key, pids);
		}
	}
	/* Back to the disk. */
	for (size_t i = 0; i < v->nent; i++) {
		fx->eon[i] = 0;
		settle_entry(c, i, &id);
	}
	for (size_t i = v->nover; i-- > 0;)
		put(c, fx->ou[i], disk + fx->ou[i] * c->unit, c->dhash[fx->ou[i]], &fx->ocur[i], &id);
	c->fault = NULL;
	c->fclass = "";
	c->src = NULL;
	c->list = c->rel;
	fx->v = NULL;
}

/* Override i's unit: where its current hash is kept (its entries' or the override's),
 * and whether a cache entry in the mask covers it (then the twin has those bytes too). */
static uint64_t *override_cur(crash_faults *fx, size_t i, int *cached, size_t *lo, size_t *hi)
{
	find_unit(fx, fx->ou[i], lo, hi);
	*cached = 0;
	for (size_t k = *lo; k < *hi; k++)
		if (fx->eon[k] && !fx->esrc[k])
			*cached = 1;
	return *lo < *hi ? &fx->ecur[*lo] : &fx->ocur[i];
}

/* Judge the twin in scratch (whatever it holds now) into fx->twin. */
static int judge_twin(ctx *c, const judge_case *jc, uint64_t case_key, uint64_t len, const uint64_t *pids)
{
	return judge_collect(&c->j, jc, case_key, c->scratch, len, pids, &c->fx->twin) < 0 ? -1 : 0;
}

void crash_faults_judge(ctx *c, const judge_case *jc, uint64_t case_key, uint64_t len, const uint64_t *pids)
{
	crash_faults *fx = c->fx;
	const variant *v = fx->v;
	const uint8_t *disk = simdisk_disk(c->d), *cache = simdisk_cache(c->d);
	uint64_t id = 0; /* the twins' identities are not needed: only their pages' */
	judge_verdicts_clear(&fx->got);
	judge_verdicts_clear(&fx->twin);
	if (judge_collect(&c->j, jc, case_key, c->scratch, len, pids, &fx->got) < 0)
		return;
	int bad = 0;
	switch (v->f.mode) {
	case DFAULT_LOST_SIZE:
		/* The same bytes at the file's length (pages past len hold the disk's). */
		bad = judge_twin(c, jc, case_key, fx->flen, c->cfg->no_memo ? NULL : c->pid);
		break;
	case DFAULT_ROT:
	case DFAULT_TORN_GARBAGE: {
		uint64_t u = fx->ou[0];
		uint64_t hd = c->dhash[u];
		put(c, u, disk + u * c->unit, hd, &fx->ocur[0], &id);
		bad = judge_twin(c, jc, case_key, len, pids);
		if (!bad && v->f.mode == DFAULT_TORN_GARBAGE) {
			uint64_t hc = subsets_unit_hash(u, cache + u * c->unit, (size_t)unit_len(c, u, fx->flen));
			put(c, u, cache + u * c->unit, hc, &fx->ocur[0], &id);
			bad = judge_twin(c, jc, case_key, len, pids);
		}
		put(c, u, fx->ob[0], fx->oh[0], &fx->ocur[0], &id);
		break;
	}
	default: {
		/* Misdirect, lying sync: the overrides back to the disk, unless cached. */
		for (size_t i = 0; i < v->nover; i++) {
			int cached;
			size_t lo, hi;
			uint64_t *cur = override_cur(fx, i, &cached, &lo, &hi);
			if (!cached)
				put(c, fx->ou[i], disk + fx->ou[i] * c->unit, c->dhash[fx->ou[i]], cur, &id);
			if (lo < hi)
				for (size_t k = lo + 1; k < hi; k++)
					fx->ecur[k] = *cur;
		}
		bad = judge_twin(c, jc, case_key, len, pids);
		for (size_t i = 0; i < v->nover; i++) {
			int cached;
			size_t lo, hi;
			uint64_t *cur = override_cur(fx, i, &cached, &lo, &hi);
			if (lo < hi)
				settle(c, lo, hi, &id);
			else
				put(c, fx->ou[i], fx->ob[i], fx->oh[i], cur, &id);
		}
		break;
	}
	}
	if (!bad)
		judge_fault_verdicts(&fx->got, &fx->twin, crash_on_violation, c);
}
