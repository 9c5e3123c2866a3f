/* matrix_image.c — the durable images of a fault-matrix case (simdisk only), judged
 * with the crash verdicts (judge.h): the image at the moment of the fault — with lost
 * writes, every subset of the failed sync's dirty units (subsets.h) — and the image
 * after the continuation; verdicts the no-fault image at the same boundary shows too are
 * set aside. Unit hashes kept up to date from the ranges synced make a case cost what
 * it synced, not the size of the file. matrix.c's "Method:" comment is the reference. */
#define _POSIX_C_SOURCE 200809L
#include "matrix_int.h"

#include "tornpage/dfault.h"

#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

/* ---- verdict signatures --------------------------------------------------------- */

static int sig_add(sigset *g, uint64_t sig)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 64;
		uint64_t *s = realloc(g->s, cap * sizeof *s);
		if (!s)
			return -1;
		g->s = s;
		g->cap = cap;
	}
	g->s[g->n++] = sig;
	return 0;
}

static int sig_has(const uint64_t *s, size_t n, uint64_t sig)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == sig)
			return 1;
	return 0;
}

/* h chained with string s (XXH64 seeded with h): equal chains of strings, equal hashes. */
static uint64_t str_hash(uint64_t h, const char *s)
{
	return XXH64(s ? s : "", s ? strlen(s) : 0, h);
}

/* The identity of an image verdict, to recognise one the no-fault image shows too. A
 * structural violation is its id and place ("page 4, byte 8192"; the detail may name a
 * directory page that alternates with the commit count). A model verdict is what the
 * image holds (found: "id 3 in use, crc c71c0011"), under one class for I-ATOMIC and
 * I-DURABLE: the same stale item is an I-DURABLE with no op in flight and an I-ATOMIC
 * when the faulted op touches it, and a failed op may shift which handle holds it. */
static uint64_t verdict_sig(const char *verdict, const char *expected, const char *found)
{
	int state = !strcmp(verdict, "I-ATOMIC") || !strcmp(verdict, "I-DURABLE");
	int model = state || !strcmp(verdict, "I-OPEN") || !strcmp(verdict, "I-LEAK");
	uint64_t h = str_hash(0, state ? "I-ATOMIC/I-DURABLE" : verdict);
	return str_hash(h, model ? found : expected);
}

static void on_judge(void *arg, const char *verdict, const char *expected, const char *found)
{
	engine *e = arg;
	uint64_t sig = verdict_sig(verdict, expected, found);
	if (e->collect) {
		if (sig_add(e->collect, sig))
			e->failed = 1;
		return;
	}
	/* several images (the subsets of a failed sync) may show one verdict: once */
	uint64_t vh = str_hash(str_hash(str_hash(1, verdict), expected), found);
	if (sig_has(e->vseen.s, e->vseen.n, vh))
		return;
	if (sig_add(&e->vseen, vh))
		e->failed = 1;
	if (sig_has(e->sup, e->nsup, sig)) {
		e->r.preexisting++;
		return;
	}
	mx_add_verdict(e, verdict, e->judge_op, e->judge_at, expected, found);
}

/* ---- durable images ------------------------------------------------------------- */

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int mx_grow_buf(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t cap2 = *cap ? *cap : 16;
	while (cap2 < need)
		cap2 *= 2;
	void *q = realloc(*p, cap2 * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = cap2;
	return 0;
}

void mx_uh_free(uhs *u)
{
	free(u->h);
	free(u->mir);
	free(u->mark);
	memset(u, 0, sizeof *u);
}

static void uh_unit(engine *e, uhs *u, const uint8_t *disk, uint64_t len, uint64_t x)
{
	uint64_t off = x * e->unit, n = len - off < e->unit ? len - off : e->unit;
	u->h[x] = subsets_unit_hash(x, disk + off, (size_t)n);
	if (u->mir)
		memcpy(u->mir + off, disk + off, (size_t)n);
}

/* u := d's durable bytes now, given that since u was last brought up to date only the
 * ranges rl[from..] and the length changed. Costs what changed, not the file. */
int mx_uh_fold(engine *e, uhs *u, const simdisk *d, const rangelog *rl, size_t from, int mirror)
{
	uint64_t len = simdisk_exists(d) ? simdisk_len(d) : 0, unit = e->unit;
	uint64_t nunits = (len + unit - 1) / unit;
	if (mx_grow_buf((void **)&u->h, &u->cap, (size_t)nunits + 1, sizeof *u->h))
		return -1;
	if ((mirror || u->mir) && mx_grow_buf((void **)&u->mir, &u->mir_cap, (size_t)len + 1, 1))
		return -1;
	const uint8_t *disk = simdisk_disk(d);
	size_t had = u->mark_cap;
	if (mx_grow_buf((void **)&u->mark, &u->mark_cap, (size_t)nunits + 1, sizeof *u->mark))
		return -1;
	if (u->mark_cap > had)
		memset(u->mark + had, 0, (u->mark_cap - had) * sizeof *u->mark);
	if (++u->epoch == 0) { /* wrapped: forget every mark */
		memset(u->mark, 0, u->mark_cap * sizeof *u->mark);
		u->epoch = 1;
	}
	for (size_t i = from; rl && i < rl->n; i++) {
		uint64_t off = rl->r[i].off, n = rl->r[i].len;
		if (off >= len || !n)
			continue;
		uint64_t end = n > len - off ? len : off + n;
		for (uint64_t x = off / unit; x <= (end - 1) / unit; x++) {
			if (u->mark[x] == u->epoch)
				continue; /* synced again: hashed once */
			u->mark[x] = u->epoch;
			uh_unit(e, u, disk, len, x);
		}
	}
	if (len != u->len) {
		uint64_t lo = (u->len < len ? u->len : len) / unit;
		for (uint64_t x = lo; x < nunits; x++)
			uh_unit(e, u, disk, len, x);
	}
	u->len = len;
	return 0;
}

/* e->pid := the page identities of an image of length len whose units hash to uh. */
int mx_page_ids(engine *e, const uint64_t *uh, uint64_t len)
{
	uint64_t npages = (len + e->ps - 1) / e->ps, nunits = (len + e->unit - 1) / e->unit;
	if (mx_grow_buf((void **)&e->pid, &e->pid_cap, (size_t)npages + 1, sizeof *e->pid))
		return -1;
	if (e->unit <= e->ps) {
		uint64_t per = e->ps / e->unit;
		for (uint64_t p = 0; p < npages; p++) {
			uint64_t id = 0;
			for (uint64_t x = p * per; x < (p + 1) * per && x < nunits; x++)
				id ^= uh[x];
			e->pid[p] = id;
		}
	} else {
		uint64_t per = e->unit / e->ps;
		for (uint64_t p = 0; p < npages; p++)
			e->pid[p] = uh[p / per] ^ subsets_mix64(p);
	}
	return 0;
}

/* Unit x of the image now hashes to delta more (XOR): its pages' identities follow. */
void mx_pid_flip(engine *e, uint64_t x, uint64_t delta, uint64_t len)
{
	uint64_t npages = (len + e->ps - 1) / e->ps;
	if (e->unit <= e->ps) {
		e->pid[x * e->unit / e->ps] ^= delta;
	} else {
		uint64_t per = e->unit / e->ps;
		for (uint64_t p = x * per; p < (x + 1) * per && p < npages; p++)
			e->pid[p] ^= delta;
	}
}

/* Judge an image with the memo (page identities in e->pid). */
int mx_judge_ids(engine *e, const model *before, const model *after, size_t op, uint64_t key, uint8_t *img,
		 uint64_t len)
{
	judge_case jc = {before, after, op};
	mx_fiu.active = 0;
	return judge_image_ids(&e->j, &jc, key, img, len, e->pid, on_judge, e) < 0 ? -1 : 0;
}

/* The signatures of the no-fault durable image's verdicts at boundary b (the state after
 * op b-1), to set aside. Full mode: the dry run's. Single mode: judged now, the main
 * replay going forward to b if it has to (a case needs b = k and one later boundary). */
static const uint64_t *base_sigs(engine *e, size_t b, size_t *n)
{
	*n = 0;
	if (b > e->nops)
		return NULL;
	if (!e->single) {
		*n = e->base_off[b + 1] - e->base_off[b];
		return *n ? e->bs.s + e->base_off[b] : NULL;
	}
	for (int i = 0; i < 2; i++)
		if (e->lz_ok[i] && e->lz_b[i] == b) {
			*n = e->lz[i].n;
			return e->lz[i].s;
		}
	if (b < e->main_at || !e->images)
		return NULL;
	const tmodel *bt = &e->cur;
	if (b > e->main_at || e->adv_ok) {
		if (!e->adv_ok) {
			if (mx_tm_copy(&e->adv, &e->cur)) {
				e->failed = 1;
				return NULL;
			}
			e->adv_ok = 1;
		}
		e->copied_op = 0; /* the snapshot moves */
		while (e->main_at < b) {
			model_result got;
			e->mrl.n = 0;
			mx_fiu.active = 0;
			if (replay_exec(&e->rm, e->main_at, &got) || mx_tm_apply(&e->adv, e->log, e->main_at, &got) ||
			    mx_uh_fold(e, &e->mu, e->dm, &e->mrl, 0, 0))
				return NULL; /* the no-fault run cannot go there: nothing set aside */
			e->main_at++;
		}
		bt = &e->adv;
	}
	int slot = e->lz_ok[0] ? 1 : 0;
	e->lz[slot].n = 0;
	if (simdisk_exists(e->dm) && simdisk_len(e->dm)) {
		uint64_t len = simdisk_len(e->dm);
		e->collect = &e->lz[slot];
		if (mx_page_ids(e, e->mu.h, len) ||
		    mx_judge_ids(e, &bt->m, &bt->m, JUDGE_NO_OP, mx_tm_key(&e->j, bt, bt, JUDGE_NO_OP),
				 (uint8_t *)simdisk_disk(e->dm), len))
			e->failed = 1;
		e->collect = NULL;
	}
	e->lz_b[slot] = b;
	e->lz_ok[slot] = 1;
	*n = e->lz[slot].n;
	return e->lz[slot].s;
}

/* The case's hit fired (inside libfiu's callback: read only). The durable image at this
 * moment is judged after op k returns; the disk then is the snapshot's (dm's, which
 * does not move during a case) plus the units the syncs op k completed so far wrote, and
 * the length: those units are kept now. */
void mx_on_first_fault(void *arg)
{
	engine *e = arg;
	if (!e->images || !e->dc)
		return;
	e->fault_seen = 1;
	e->fault_nr = e->crl.n;
	e->fault_len = simdisk_len(e->dc);
	e->fault_sync = simdisk_sync_count(e->dc);
	e->ncap = 0;
	uint64_t len = e->fault_len, unit = e->unit;
	for (size_t i = 0; i < e->fault_nr; i++) {
		uint64_t off = e->crl.r[i].off, n = e->crl.r[i].len;
		if (off >= len || !n)
			continue;
		uint64_t end = n > len - off ? len : off + n;
		for (uint64_t x = off / unit; x <= (end - 1) / unit; x++) {
			if (mx_grow_buf((void **)&e->capu, &e->capu_cap, e->ncap + 1, sizeof *e->capu)) {
				e->failed = 1;
				return;
			}
			e->capu[e->ncap++] = x;
		}
	}
	if (e->ncap > 1)
		qsort(e->capu, e->ncap, sizeof *e->capu, u64_cmp);
	size_t w = 0;
	for (size_t i = 0; i < e->ncap; i++)
		if (!w || e->capu[w - 1] != e->capu[i])
			e->capu[w++] = e->capu[i];
	e->ncap = w;
	if (mx_grow_buf((void **)&e->capb, &e->capb_cap, e->ncap * unit + 1, 1)) {
		e->failed = 1;
		return;
	}
	const uint8_t *disk = simdisk_disk(e->dc);
	for (size_t i = 0; i < e->ncap; i++) {
		uint64_t off = e->capu[i] * unit, n = len - off < unit ? len - off : unit;
		memcpy(e->capb + i * unit, disk + off, (size_t)n);
	}
}

/* simdisk was told that a fault point failed a call (lost writes live here). The case's
 * first failed sync: its dirty units are kept (every subset of them is an image at the
 * fault), then one seeded subset reaches disk for the rest of the case. A later failed
 * sync of a persist case persists nothing (the device is gone). */
void mx_on_simdisk_fault(void *arg, simdisk *d, const char *step, uint64_t off, uint64_t len, int err)
{
	engine *e = arg;
	(void)step, (void)err;
	e->hook_faults++;
	int torn = (e->r.c.dfaults >> DFAULT_TORN_GARBAGE) & 1u; /* --faults: its units may be torn */
	if ((!e->r.c.lost_writes && !torn) || len == 0)
		return;
	int first = e->hook_faults == 1;
	if (first && e->images && off < simdisk_len(d)) {
		uint64_t dl = simdisk_len(d), end = len > dl - off ? dl : off + len, unit = e->unit;
		const uint8_t *cache = simdisk_cache(d), *disk = simdisk_disk(d);
		e->nflip = 0;
		for (uint64_t x = off / unit; x <= (end - 1) / unit; x++) {
			uint64_t uo = x * unit, n = dl - uo < unit ? dl - uo : unit;
			if (!memcmp(cache + uo, disk + uo, (size_t)n))
				continue;
			if (mx_grow_buf((void **)&e->flipu, &e->flipu_cap, e->nflip + 1, sizeof *e->flipu) ||
			    mx_grow_buf((void **)&e->flipc, &e->flipc_cap, (e->nflip + 1) * unit, 1) ||
			    mx_grow_buf((void **)&e->flipd, &e->flipd_cap, (e->nflip + 1) * unit, 1)) {
				e->failed = 1;
				break;
			}
			e->flipu[e->nflip] = x;
			memcpy(e->flipc + e->nflip * unit, cache + uo, (size_t)n);
			memcpy(e->flipd + e->nflip * unit, disk + uo, (size_t)n);
			e->nflip++;
		}
	}
	if (!e->r.c.lost_writes)
		return; /* a failed sync wrote nothing: its units are only torn-garbage's */
	simdisk_fail_sync(d, off, len, e->r.c.seed, !first);
	if (first)
		mx_rl_add(&e->crl, off, len); /* the persisted units changed the disk */
}

/* The durable images at the moment of the fault, op k in flight: the disk then and,
 * with lost writes, the disk plus every subset of the failed sync's dirty units (all of
 * them up to --exhaustive K, else subsets.h's seeded mix; a seeded one reaches disk for
 * the continuation). An image equal to the one at the start of op k (no sync completed,
 * same length) is not judged: it can only show what that boundary showed. Verdicts of
 * all images count, each once. */
int mx_judge_fault(engine *e, size_t k)
{
	if (!e->images || !e->dc || !e->fault_seen)
		return 0;
	int base_new = e->fault_nr > 0 || e->fault_len != e->len0;
	size_t nlw = e->r.c.lost_writes ? e->nflip : 0; /* units whose every subset is an image */
	if (!base_new && !nlw && !e->r.c.dfaults)
		return 0;
	uint64_t len = e->fault_len, unit = e->unit, len0 = e->len0;
	uhs *mu = &e->mu;
	if (mx_grow_buf((void **)&mu->mir, &mu->mir_cap, (size_t)len + 1, 1) ||
	    mx_grow_buf((void **)&e->cu.h, &e->cu.cap, (size_t)((len + unit - 1) / unit) + 1, sizeof *e->cu.h))
		return -1;
	uint8_t *img = mu->mir;
	uint64_t *ch = e->cu.h;
	/* the disk at the fault: dm's + the tail the length change added + the synced units */
	if (len > len0)
		memset(img + len0, 0, (size_t)(len - len0));
	for (uint64_t x = (len < len0 ? len : len0) / unit; x < (len + unit - 1) / unit; x++) {
		uint64_t off = x * unit;
		ch[x] = subsets_unit_hash(x, img + off, (size_t)(len - off < unit ? len - off : unit));
	}
	for (size_t i = 0; i < e->ncap; i++) {
		uint64_t x = e->capu[i], off = x * unit, n = len - off < unit ? len - off : unit;
		memcpy(img + off, e->capb + i * unit, (size_t)n);
		ch[x] = subsets_unit_hash(x, img + off, (size_t)n);
	}
	e->sup = base_sigs(e, k, &e->nsup); /* first: it may judge (and use e->pid) */
	int rc = mx_page_ids(e, ch, len);
	if (!e->fkey)
		e->fkey = mx_tm_key(&e->j, &e->cur, &e->after, k);
	e->vseen.n = 0;
	e->judge_at = MATRIX_AT_FAULT;
	e->judge_op = k;
	if (!rc && !base_new && !nlw) {
		/* --faults only: the plain image is the one op k started with (not judged again) */
	} else if (!rc && !nlw) {
		rc = mx_judge_ids(e, &e->cur.m, &e->after.m, k, e->fkey, img, len);
	} else if (!rc) {
		subsets_cfg sc = e->sub;
		sc.seed = e->r.c.seed;
		subsets_iter it;
		uint8_t *in = calloc(e->nflip, 1);
		uint64_t *delta = calloc(e->nflip, sizeof *delta);
		rc = !in || !delta || subsets_init(&it, e->nflip, &sc, e->fault_sync) ? -1 : 0;
		for (size_t i = 0; !rc && i < e->nflip; i++) {
			uint64_t x = e->flipu[i], off = x * unit, n = len - off < unit ? len - off : unit;
			delta[i] = ch[x] ^ subsets_unit_hash(x, e->flipc + i * unit, (size_t)n);
		}
		const uint8_t *mask;
		uint64_t id = 0;
		sigset ids = {NULL, 0, 0};
		while (!rc && subsets_next(&it, &mask)) {
			const size_t *chg;
			size_t nchg = subsets_changed(&it, &chg);
			for (size_t c = 0; c < nchg; c++) {
				size_t i = chg[c];
				if (in[i] == mask[i])
					continue;
				uint64_t x = e->flipu[i], off = x * unit, n = len - off < unit ? len - off : unit;
				memcpy(img + off, (mask[i] ? e->flipc : e->flipd) + i * unit, (size_t)n);
				in[i] = mask[i];
				id ^= delta[i];
				mx_pid_flip(e, x, delta[i], len);
			}
			/* id 0 is the disk at the fault itself; identical images once */
			if ((!id && !base_new) || sig_has(ids.s, ids.n, id))
				continue;
			if (sig_add(&ids, id))
				rc = -1;
			else
				rc = mx_judge_ids(e, &e->cur.m, &e->after.m, k, e->fkey, img, len);
		}
		for (size_t i = 0; in && i < e->nflip; i++) {
			uint64_t x = e->flipu[i], off = x * unit, n = len - off < unit ? len - off : unit;
			memcpy(img + off, e->flipd + i * unit, (size_t)n);
		}
		if (in && delta)
			subsets_free(&it);
		free(ids.s);
		free(in);
		free(delta);
	}
	if (!rc && e->r.c.dfaults)
		rc = mx_page_ids(e, ch, len) || mx_fault_images(e, k, img, len, ch, e->fkey);
	/* back to dm's disk */
	const uint8_t *base = simdisk_disk(e->dm);
	for (size_t i = 0; i < e->ncap; i++) {
		uint64_t x = e->capu[i], off = x * unit;
		if (off < len0)
			memcpy(img + off, base + off, (size_t)(len0 - off < unit ? len0 - off : unit));
	}
	for (size_t i = 0; i < e->nflip; i++) {
		uint64_t x = e->flipu[i], off = x * unit;
		if (off < len0)
			memcpy(img + off, base + off, (size_t)(len0 - off < unit ? len0 - off : unit));
	}
	e->sup = NULL;
	e->nsup = 0;
	return rc;
}

/* The durable image after the continuation, no op in flight, judged in place (judging
 * only reads; the case disk is reloaded before the next case), against the case's
 * model; verdicts the no-fault image at boundary b shows too are set aside. */
int mx_judge_end(engine *e, size_t report_op, size_t b, size_t flight)
{
	if (!e->images || !e->dc || !simdisk_exists(e->dc) || !simdisk_len(e->dc))
		return 0;
	e->sup = base_sigs(e, b, &e->nsup); /* first: it may judge (and use e->pid) */
	if (mx_uh_fold(e, &e->cu, e->dc, &e->crl, 0, 0))
		return -1;
	uint64_t len = simdisk_len(e->dc);
	if (mx_page_ids(e, e->cu.h, len))
		return -1;
	e->vseen.n = 0;
	e->judge_at = MATRIX_AT_END;
	e->judge_op = report_op;
	int rc;
	uint64_t key = mx_tm_key(&e->j, &e->m, &e->m, JUDGE_NO_OP);
	if (flight == JUDGE_NO_OP) {
		rc = mx_judge_ids(e, &e->m.m, &e->m.m, JUDGE_NO_OP, key, (uint8_t *)simdisk_disk(e->dc), len);
	} else {
		/* op `flight` (the faulted op k) is still in flight: before or after it. */
		uint64_t fkey = mx_tm_key(&e->j, &e->cur, &e->after, flight);
		rc = mx_judge_ids(e, &e->cur.m, &e->after.m, flight, fkey, (uint8_t *)simdisk_disk(e->dc), len);
	}
	if (!rc && e->r.c.dfaults) /* in place too: the case disk is reloaded before the next case */
		rc = mx_fault_end(e, report_op, (uint8_t *)simdisk_disk(e->dc), len, e->cu.h, key);
	e->sup = NULL;
	e->nsup = 0;
	return rc;
}
