/* oplog_gen.c — random valid logs: the emitter that the seeded generator and the
 * fuzzer's byte decoder (oplog_bytes.c) both drive, and the generator itself
 * (docs/oplog.md, "Generator": keep the two in step). */
#include "oplog_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------
 * Building random logs: the state both the generator and the byte decoder drive */

int oplog_rand_init(oplog_rand *r, unsigned log2)
{
	memset(r, 0, sizeof *r);
	oplog_pages_init(&r->pg, log2);
	r->b.log.page_log2 = log2;
	return oplog_b_op(&r->b, OPLOG_CREATE, OPLOG_NO_HANDLE, log2, 0);
}

void oplog_rand_discard(oplog_rand *r)
{
	oplog_b_discard(&r->b);
	free(r->live[0]);
	free(r->live[1]);
	memset(r, 0, sizeof *r);
}

void oplog_rand_finish(oplog_rand *r, oplog *out)
{
	oplog_b_finish(&r->b, out);
	oplog_rand_discard(r);
}

int oplog_rand_emit(oplog_rand *r, oplog_kind k, uint64_t pick, uint64_t arg)
{
	const oplog_argdef *ad = oplog_argdef_of(k);
	int cls = ad->prot;
	uint32_t h = OPLOG_NO_HANDLE;
	if (ad->handle == OPLOG_H_DEFINE) {
		char name[32];
		int n = snprintf(name, sizeof name, "%c%zu", cls ? 'p' : 'r', r->named[cls]);
		h = oplog_b_define(&r->b, name, (size_t)n, cls, 0);
		if (h == UINT32_MAX)
			return -1;
		r->named[cls]++;
		if (r->nlive[cls] == r->caplive[cls]) {
			size_t cap = r->caplive[cls] ? r->caplive[cls] * 2 : 32;
			if (oplog_grow((void **)&r->live[cls], cap, sizeof(uint32_t)))
				return -1;
			r->caplive[cls] = cap;
		}
		r->live[cls][r->nlive[cls]++] = h;
	} else if (ad->handle != OPLOG_H_NONE) {
		size_t i = (size_t)(pick % r->nlive[cls]);
		h = r->live[cls][i];
		if (ad->handle == OPLOG_H_END) {
			/* Swap-remove: cheap, and just as deterministic as keeping order. */
			r->live[cls][i] = r->live[cls][--r->nlive[cls]];
			r->b.dead[h] = 1;
		}
	}
	if (oplog_b_op(&r->b, k, h, ad->seed ? arg : 0, 0) != 0)
		return -1;
	oplog_pages_apply(&r->pg, k);
	r->seen |= (uint64_t)1 << k;
	return 0;
}

/* ---------------------------------------------------------------------------------
 * The generator (documented in docs/oplog.md, "Generator": keep the two in step) */

/* splitmix64 (Steele, Lea, Flood 2014; the seeding generator of xoshiro): one u64 of
 * state, every seed fine, including 0. */
static uint64_t oplog_splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* x mod n for n > 0; the bias (< n / 2^64) does not matter for test logs. */
static uint64_t oplog_below(uint64_t *s, uint64_t n)
{
	return oplog_splitmix64(s) % n;
}

enum { OPLOG_PH_GROW, OPLOG_PH_PROT, OPLOG_PH_CHURN, OPLOG_PH_DRAIN, OPLOG_PH_BUILD,
       OPLOG_PH_COUNT };

/* Per phase, the weight of each kind (ops.def order; create never). */
static const uint8_t oplog_weights[OPLOG_PH_COUNT][OPLOG_KIND_COUNT] = {
	/*                  create alloc free fill palloc pfree pwrite pstage reopen */
	[OPLOG_PH_GROW]  = { 0,    10,   2,   6,   0,     0,    1,     0,     1 },
	[OPLOG_PH_PROT]  = { 0,    0,    0,   1,   8,     2,    6,     3,     1 },
	[OPLOG_PH_CHURN] = { 0,    4,    4,   4,   3,     3,    4,     2,     1 },
	[OPLOG_PH_DRAIN] = { 0,    0,    6,   1,   0,     6,    1,     1,     1 },
	[OPLOG_PH_BUILD] = { 0,    0,    0,   0,   12,    0,    2,     1,     0 },
};

#define OPLOG_BIT(k) ((uint64_t)1 << (k))

/* Ops still needed so that every kind appears: what the closing sweep would emit. */
static size_t oplog_gen_needed(const oplog_rand *r)
{
	uint64_t m = ~r->seen;
	size_t n = 0;
	int fill = (m & OPLOG_BIT(OPLOG_FILL)) != 0, fr = (m & OPLOG_BIT(OPLOG_FREE)) != 0;
	int pw = (m & OPLOG_BIT(OPLOG_PWRITE)) != 0, ps = (m & OPLOG_BIT(OPLOG_PSTAGE)) != 0;
	int pf = (m & OPLOG_BIT(OPLOG_PFREE)) != 0;
	if ((m & OPLOG_BIT(OPLOG_ALLOC)) || ((fill || fr) && r->pg.live_reg == 0))
		n++;
	if ((m & OPLOG_BIT(OPLOG_PALLOC)) || ((pw || ps || pf) && r->pg.live_prot == 0))
		n++;
	n += (size_t)(fill + fr + pw + ps + pf);
	n += (m & OPLOG_BIT(OPLOG_REOPEN)) != 0;
	return n;
}

/* The next op of the closing sweep: a define first if the class has no live handle (or
 * its define never appeared), then use, then end, then reopen. */
static oplog_kind oplog_gen_sweep(const oplog_rand *r)
{
	uint64_t m = ~r->seen;
	if ((m & OPLOG_BIT(OPLOG_ALLOC)) ||
	    ((m & (OPLOG_BIT(OPLOG_FILL) | OPLOG_BIT(OPLOG_FREE))) && r->pg.live_reg == 0))
		return OPLOG_ALLOC;
	if (m & OPLOG_BIT(OPLOG_FILL))
		return OPLOG_FILL;
	if (m & OPLOG_BIT(OPLOG_FREE))
		return OPLOG_FREE;
	if ((m & OPLOG_BIT(OPLOG_PALLOC)) ||
	    ((m & (OPLOG_BIT(OPLOG_PWRITE) | OPLOG_BIT(OPLOG_PSTAGE) | OPLOG_BIT(OPLOG_PFREE))) &&
	     r->pg.live_prot == 0))
		return OPLOG_PALLOC;
	if (m & OPLOG_BIT(OPLOG_PWRITE))
		return OPLOG_PWRITE;
	if (m & OPLOG_BIT(OPLOG_PSTAGE))
		return OPLOG_PSTAGE;
	if (m & OPLOG_BIT(OPLOG_PFREE))
		return OPLOG_PFREE;
	return OPLOG_REOPEN;
}

/* A kind drawn with the phase's weights among the ops possible now; CHURN's weights if
 * the phase allows none (reopen is always possible there). */
static oplog_kind oplog_gen_draw(oplog_rand *r, uint64_t *s, int phase)
{
	for (int pass = 0; pass < 2; pass++) {
		const uint8_t *w = oplog_weights[pass == 0 ? phase : OPLOG_PH_CHURN];
		unsigned total = 0, ok[OPLOG_KIND_COUNT];
		for (int k = 0; k < OPLOG_KIND_COUNT; k++) {
			ok[k] = oplog_pages_can(&r->pg, (oplog_kind)k) ? w[k] : 0;
			total += ok[k];
		}
		if (total == 0)
			continue;
		uint64_t x = oplog_below(s, total);
		for (int k = 0; k < OPLOG_KIND_COUNT; k++) {
			if (x < ok[k])
				return (oplog_kind)k;
			x -= ok[k];
		}
	}
	return OPLOG_REOPEN;
}

int oplog_gen(uint64_t seed, size_t nops, unsigned page_log2, oplog *out)
{
	oplog_rand r;
	uint64_t s = seed;       /* splitmix64 state */
	uint64_t next_seed = 1;  /* SEEDs are 1, 2, 3...: any 256 in a row differ mod 256 */
	if (out == NULL)
		return -1;
	memset(out, 0, sizeof *out);
	if (page_log2 < OPLOG_LOG2_MIN || page_log2 > OPLOG_LOG2_MAX || nops >= SIZE_MAX / 2) {
		errno = EINVAL;
		return -1;
	}
	if (oplog_rand_init(&r, page_log2) != 0)
		goto oom;

	/* A second directory block needs dir_cap + 1 protected pages live at once. Plan a
	 * BUILD phase for it when the budget holds three ops per page needed, with room. */
	size_t build_target = r.pg.dir_cap + 1;
	int build = nops >= 3 * build_target + 16 && build_target <= r.pg.max_blocks * r.pg.dir_cap;
	int phase = OPLOG_PH_GROW;
	size_t phase_left = 8 + (size_t)oplog_below(&s, 25);
	build_target += (size_t)oplog_below(&s, 4);

	for (size_t done = 0; done < nops; done++) {
		size_t left = nops - done;
		size_t needed = oplog_gen_needed(&r);
		oplog_kind k;
		if (phase_left == 0 || (phase == OPLOG_PH_BUILD && (r.pg.live_prot >= build_target ||
		    !oplog_pages_can(&r.pg, OPLOG_PALLOC)))) {
			if (phase == OPLOG_PH_BUILD)
				build = 0;
			if (build) {
				phase = OPLOG_PH_BUILD;
				phase_left = SIZE_MAX;
			} else {
				/* GROW, PROT, CHURN 3 in 10 each, DRAIN 1 in 10 */
				uint64_t x = oplog_below(&s, 10);
				phase = x < 3 ? OPLOG_PH_GROW : x < 6 ? OPLOG_PH_PROT :
					x < 9 ? OPLOG_PH_CHURN : OPLOG_PH_DRAIN;
				phase_left = 8 + (size_t)oplog_below(&s, 25);
			}
		}
		phase_left--;
		/* The closing sweep: when the ops left barely cover the kinds never seen, emit
		 * those. A random op raises `needed` by at most one, hence the + 1. */
		k = OPLOG_KIND_COUNT;
		if (needed > 0 && left <= needed + 1) {
			oplog_kind want = oplog_gen_sweep(&r);
			if (oplog_pages_can(&r.pg, want))
				k = want;
		}
		if (k == OPLOG_KIND_COUNT)
			k = oplog_gen_draw(&r, &s, phase);
		const oplog_argdef *ad = oplog_argdef_of(k);
		uint64_t pick = 0, arg = 0;
		if (ad->handle == OPLOG_H_USE || ad->handle == OPLOG_H_END)
			pick = oplog_splitmix64(&s);
		if (ad->seed)
			arg = next_seed++;
		if (oplog_rand_emit(&r, k, pick, arg) != 0)
			goto oom;
	}
	oplog_rand_finish(&r, out);
	return 0;
oom:
	oplog_rand_discard(&r);
	errno = ENOMEM;
	return -1;
}

int oplog_gen_format(uint64_t seed, size_t nops, unsigned page_log2, unsigned format, oplog *out)
{
	if (format < 1 || format > OPLOG_PAGER_FORMAT_MAX) {
		if (out)
			memset(out, 0, sizeof *out);
		errno = EINVAL;
		return -1;
	}
	int rc = oplog_gen(seed, nops, page_log2, out);
	if (rc == 0)
		out->format = format;
	return rc;
}
