/* matrix_faults.c — `tornpage matrix --faults`: the disk faults of the crash model
 * (disk/dfault.c's rules, docs/crash-model.md §12) on a fault case's durable images.
 * What each fault does to bytes is dfault.c's; which images the crash loop tries is
 * crash_faults.c's; this file is the matrix's counterpart, where the moment is not a
 * crash point but a failed call.
 *
 * Method: the image at the fault (op k in flight; mx_judge_fault builds it: the disk
 * when op k started, plus what the syncs op k completed before the failure wrote) gets:
 *  - torn-garbage: each unit the failed sync was writing (its dirty units: a failed write
 *    may leave a unit neither old nor new) holding zeros, 0xFF or seeded bytes, the
 *    others as they are on disk;
 *  - rot: each unit of the image's read set (the pages the recovered pager calls
 *    superblock, metadata, directory or protected), one seeded bit flipped and zeroed, at
 *    most --rot-budget images (default 32: superblock, metadata and directory units
 *    first). Small on purpose: without lost writes the image at the fault is the crash
 *    image before the failed sync, which `tornpage crash --faults rot` rots in full;
 *  - lost-size: when op k changed the file's length and no sync completed since (a failed
 *    msync persists nothing), the image at the length op k started with;
 *  - lying-sync: the syncs op k completed before the failure returned before their units
 *    were durable: subsets of those units on the disk op k started with (all of them up to
 *    6 units, else in-order prefixes, single omissions and single additions);
 *  - misdirect: each unit those syncs wrote landed on the next unit instead (the previous
 *    one at the end of the file), keeping its old bytes.
 * The image after the continuation (no op in flight) gets rot too (same budget): the
 * durable state a failure and the rest of the log left. Each faulty image is
 * judged next to its twin (both through the judge's read-set memo: the page identities
 * follow every unit changed, and images of one op recur across its cases) — the same image without the fault (torn:
 * also the unit with its new cache bytes; lost-size: the full length) — and only what the
 * twin does not show is reported, with I-SILENT when the image opens, pager_check is
 * clean and the state is wrong (judge_fault_verdicts). A (verdict, fault class) pair is
 * reported once per case. The class is dfault_class's, with the roles of the
 * recovered plain image (pages 0-2 by number when it does not open).
 * Cost per case: about 3 x (units of the failed sync) + 2 x budget + min(2^m, 3m + 1) + m
 * judges (m: units op k synced before the fault), mostly answered by the memo. */
#define _POSIX_C_SOURCE 200809L
#include "matrix_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tornpage/dfault.h"

/* What the judging below needs about the image: its unit hashes (uh: the plain image's),
 * the case key, and how far e->pid has moved from uh (the units changed and their hashes). */
typedef struct fimg {
	uint8_t *img;
	uint64_t len;
	const uint64_t *uh;
	uint64_t key;
} fimg;

#define MATRIX_ROT_BUDGET 32u /* --rot-budget's default here (crash: DFAULT_ROT_BUDGET) */

static int want(const engine *e, dfault_mode m)
{
	return (e->r.c.dfaults >> m) & 1u;
}

static uint64_t ulen(const engine *e, uint64_t x, uint64_t len)
{
	uint64_t off = x * e->unit;
	return off >= len ? 0 : len - off < e->unit ? len - off : e->unit;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	return mx_grow_buf(p, cap, need, elem);
}

/* Unit x of the image := bytes (the unit's length), e->pid following: *cur is the hash of
 * what it held, and becomes the new one. */
static void put(engine *e, const fimg *f, uint64_t x, const uint8_t *bytes, uint64_t *cur)
{
	uint64_t n = ulen(e, x, f->len);
	uint8_t *u = f->img + x * e->unit;
	if (u != bytes)
		memmove(u, bytes, (size_t)n);
	uint64_t h = subsets_unit_hash(x, u, (size_t)n);
	if (h != *cur)
		mx_pid_flip(e, x, h ^ *cur, f->len);
	*cur = h;
}

/* Unit x back to its plain bytes (saved in buf) and hash. */
static void restore(engine *e, const fimg *f, uint64_t x, const uint8_t *buf, uint64_t *cur)
{
	put(e, f, x, buf, cur);
}

void mx_faults_free(engine *e)
{
	judge_verdicts_free(&e->fgot);
	judge_verdicts_free(&e->ftwin);
	simdisk_free(e->fview);
	free(e->froles);
	free(e->frs);
	free(e->funit);
	free(e->fseen.s);
	e->fview = NULL;
	e->froles = e->funit = NULL;
	e->frs = NULL;
	e->fseen.s = NULL;
}

/* The roles of img's pages into e->froles (pages 0-2 by number, the rest free, when it
 * does not open) and, with rs, its read set into e->frs. 0 or -1. */
static int roles_of(engine *e, uint8_t *img, uint64_t len, int rs)
{
	uint64_t npages = (len + e->ps - 1) / e->ps, nunits = (len + e->unit - 1) / e->unit;
	void *p = e->froles;
	if (grow(&p, &e->froles_cap, (size_t)npages + 1, 1))
		return -1;
	e->froles = p;
	e->nfrs = 0;
	for (uint64_t n = 0; n < npages; n++)
		e->froles[n] = n == 0 ? PAGER_ROLE_SUPERBLOCK : n == 1 ? PAGER_ROLE_META_A
			     : n == 2 ? PAGER_ROLE_META_B : PAGER_ROLE_FREE;
	if (!e->fview && !(e->fview = simdisk_new(SIMDISK_MIN_UNIT)))
		return -1;
	pager *pg = NULL;
	int opened = !simdisk_borrow(e->fview, img, len) && !pager_open("matrix-fault", simdisk_io(e->fview), &pg);
	if (!opened)
		return 0;
	uint64_t known = npages < pager_page_count(pg) ? npages : pager_page_count(pg);
	pager_page_roles(pg, e->froles, known);
	pager_close(pg);
	if (!rs)
		return 0;
	/* superblock, metadata and directory units first, then protected copies */
	for (int pass = 0; pass < 2; pass++) {
		for (uint64_t x = 0; x < nunits; x++) {
			uint64_t page = x * e->unit / e->ps;
			uint8_t r = page < npages ? e->froles[page] : PAGER_ROLE_FREE;
			int structural = r == PAGER_ROLE_SUPERBLOCK || r == PAGER_ROLE_META_A || r == PAGER_ROLE_META_B ||
					 r == PAGER_ROLE_DIRECTORY;
			if ((pass == 0 && !structural) || (pass == 1 && r != PAGER_ROLE_PROTECTED))
				continue;
			void *q = e->frs;
			if (grow(&q, &e->frs_cap, e->nfrs + 1, sizeof *e->frs))
				return -1;
			e->frs = q;
			e->frs[e->nfrs++] = x;
		}
	}
	return 0;
}

static void emit(void *arg, const char *verdict, const char *expected, const char *found)
{
	engine *e = arg;
	uint64_t h = 0xcbf29ce484222325ull;
	for (const char *s = verdict; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	for (const char *s = e->fclass; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	for (size_t i = 0; i < e->fseen.n; i++)
		if (e->fseen.s[i] == h)
			return;
	void *p = e->fseen.s;
	if (grow(&p, &e->fseen.cap, e->fseen.n + 1, sizeof *e->fseen.s)) {
		e->failed = 1;
		return;
	}
	e->fseen.s = p;
	e->fseen.s[e->fseen.n++] = h;
	mx_add_fault_verdict(e, verdict, e->judge_op, e->judge_at, expected, found, e->fclass);
}

/* Judge the faulty image (img, len: len may be shorter, lost-size) of fault f against
 * the twins in e->ftwin. */
static int judge_faulty(engine *e, const judge_case *jc, const fimg *fi, const dfault *f, const dfault_shadow *sh,
			uint64_t len)
{
	judge_verdicts_clear(&e->fgot);
	if (judge_collect(&e->j, jc, fi->key, fi->img, len, e->pid, &e->fgot) < 0)
		return -1;
	dfault_class(f, sh ? sh->units : NULL, sh ? sh->n : 0, e->froles, (len + e->ps - 1) / e->ps, e->unit, e->ps, e->fclass, sizeof e->fclass);
	judge_fault_verdicts(&e->fgot, &e->ftwin, emit, e);
	return e->failed ? -1 : 0;
}

/* Twins: the image as it is now into e->ftwin (cleared first unless add). */
static int twin(engine *e, const judge_case *jc, const fimg *fi, int add)
{
	if (!add)
		judge_verdicts_clear(&e->ftwin);
	return judge_collect(&e->j, jc, fi->key, fi->img, fi->len, e->pid, &e->ftwin) < 0 ? -1 : 0;
}

static int rot(engine *e, const judge_case *jc, const fimg *fi)
{
	uint32_t budget = e->cfg->rot_budget ? e->cfg->rot_budget : MATRIX_ROT_BUDGET;
	if (roles_of(e, fi->img, fi->len, 1) || twin(e, jc, fi, 0))
		return -1;
	for (size_t i = 0; i < e->nfrs && 2 * i < budget; i++) {
		uint64_t x = e->frs[i], n = ulen(e, x, fi->len), cur = fi->uh[x];
		uint8_t *u = fi->img + x * e->unit;
		memcpy(e->funit, u, (size_t)n);
		for (int zero = 0; zero < 2; zero++) {
			dfault f = {DFAULT_ROT, x, zero ? DFAULT_FILL_ZEROS : DFAULT_FILL_FLIP, 0, 0, 0};
			if (!zero)
				f.arg = dfault_rot_bit(e->r.c.seed, e->judge_at, x, 0, (size_t)n);
			dfault_corrupt(&f, u, (size_t)n);
			if (!memcmp(u, e->funit, (size_t)n))
				continue; /* a zero unit zeroed */
			put(e, fi, x, u, &cur);
			int rc = judge_faulty(e, jc, fi, &f, NULL, fi->len);
			restore(e, fi, x, e->funit, &cur);
			if (rc)
				return -1;
		}
	}
	return 0;
}

static int torn(engine *e, const judge_case *jc, const fimg *fi)
{
	static const dfault_fill fills[] = {DFAULT_FILL_SEEDED, DFAULT_FILL_ZEROS, DFAULT_FILL_ONES};
	for (size_t i = 0; i < e->nflip; i++) {
		uint64_t x = e->flipu[i], n = ulen(e, x, fi->len), cur = fi->uh[x];
		uint8_t *u = fi->img + x * e->unit;
		if (!n)
			continue;
		memcpy(e->funit, u, (size_t)n);
		/* twins: the unit as the image holds it (old: on the disk at the fault), and new */
		if (twin(e, jc, fi, 0))
			return -1;
		put(e, fi, x, e->flipc + i * e->unit, &cur);
		int rc = twin(e, jc, fi, 1);
		for (size_t k = 0; k < 3 && !rc; k++) {
			dfault f = {DFAULT_TORN_GARBAGE, x, fills[k], 0, 0, 0};
			if (fills[k] == DFAULT_FILL_SEEDED)
				f.arg = dfault_garbage_seed(e->r.c.seed, e->fault_sync, x);
			dfault_corrupt(&f, u, (size_t)n);
			if (!memcmp(u, e->funit, (size_t)n) || !memcmp(u, e->flipc + i * e->unit, (size_t)n))
				continue; /* old or new bytes: the twin itself */
			put(e, fi, x, u, &cur);
			rc = judge_faulty(e, jc, fi, &f, NULL, fi->len);
		}
		restore(e, fi, x, e->funit, &cur);
		if (rc)
			return -1;
	}
	return 0;
}

/* The bytes op k started with at unit x (the main disk's; zeros past its length). */
static void old_bytes(engine *e, uint64_t x, uint8_t *out, uint64_t len)
{
	uint64_t off = x * e->unit, n = ulen(e, x, len), l0 = e->len0;
	memset(out, 0, (size_t)n);
	if (off < l0)
		memcpy(out, simdisk_disk(e->dm) + off, (size_t)(l0 - off < n ? l0 - off : n));
}

/* Subsets of the lying units: all of them up to this many units, else the mix's prefixes,
 * single omissions and single additions (no random subsets: a case is one of thousands). */
#define LYING_EXHAUSTIVE 6u

static int lying(engine *e, const judge_case *jc, const fimg *fi)
{
	if (!e->ncap || twin(e, jc, fi, 0))
		return e->ncap ? -1 : 0;
	uint64_t *cur = malloc(e->ncap * sizeof *cur);
	uint8_t *old = malloc(e->unit);
	if (!cur || !old) {
		free(cur);
		free(old);
		return -1;
	}
	for (size_t i = 0; i < e->ncap; i++) {
		cur[i] = fi->uh[e->capu[i]];
		old_bytes(e, e->capu[i], old, fi->len);
		put(e, fi, e->capu[i], old, &cur[i]);
	}
	dfault f = {DFAULT_LYING_SYNC, 0, 0, 0, 0, e->fault_sync ? e->fault_sync - 1 : 0};
	dfault_shadow sh;
	memset(&sh, 0, sizeof sh);
	sh.n = e->ncap;
	sh.units = e->capu; /* the class reads the units only */
	subsets_cfg sc = {LYING_EXHAUSTIVE, 0, e->r.c.seed};
	subsets_iter it;
	const uint8_t *mask;
	int rc = subsets_init(&it, e->ncap, &sc, e->fault_sync) ? -1 : 0;
	while (!rc && subsets_next(&it, &mask)) {
		const size_t *chg;
		size_t nchg = subsets_changed(&it, &chg);
		for (size_t c = 0; c < nchg; c++) {
			size_t i = chg[c];
			uint64_t x = e->capu[i];
			if (mask[i]) {
				put(e, fi, x, e->capb + i * e->unit, &cur[i]);
			} else {
				old_bytes(e, x, old, fi->len);
				put(e, fi, x, old, &cur[i]);
			}
		}
		rc = judge_faulty(e, jc, fi, &f, &sh, fi->len);
	}
	if (!rc || it.mask)
		subsets_free(&it);
	for (size_t i = 0; i < e->ncap; i++)
		put(e, fi, e->capu[i], e->capb + i * e->unit, &cur[i]);
	free(cur);
	free(old);
	return rc;
}

static int misdirect(engine *e, const judge_case *jc, const fimg *fi)
{
	uint64_t nunits = (fi->len + e->unit - 1) / e->unit;
	if (!e->ncap)
		return 0;
	if (twin(e, jc, fi, 0))
		return -1;
	uint8_t *old = malloc(e->unit);
	if (!old)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < e->ncap && !rc; i++) {
		uint64_t w = e->capu[i], t = w + 1 < nunits ? w + 1 : w - 1;
		if (t >= nunits || t == w)
			continue;
		uint64_t nw = ulen(e, w, fi->len), nt = ulen(e, t, fi->len), cw = fi->uh[w], ct = fi->uh[t];
		uint8_t *ut = fi->img + t * e->unit;
		memcpy(e->funit, ut, (size_t)nt);
		old_bytes(e, w, old, fi->len);
		put(e, fi, w, old, &cw);
		memcpy(old, e->funit, (size_t)nt); /* the target: the unit's new bytes over its own */
		memcpy(old, e->capb + i * e->unit, (size_t)(nw < nt ? nw : nt));
		put(e, fi, t, old, &ct);
		dfault f = {DFAULT_MISDIRECT, w, 0, 0, t, e->fault_sync ? e->fault_sync - 1 : 0};
		rc = judge_faulty(e, jc, fi, &f, NULL, fi->len);
		put(e, fi, t, e->funit, &ct);
		put(e, fi, w, e->capb + i * e->unit, &cw);
	}
	free(old);
	return rc;
}

static int lost_size(engine *e, const judge_case *jc, const fimg *fi)
{
	if (e->fault_nr || e->len0 >= fi->len || !e->len0)
		return 0;
	dfault f = {DFAULT_LOST_SIZE, 0, 0, 0, 0, 0};
	if (twin(e, jc, fi, 0))
		return -1;
	return judge_faulty(e, jc, fi, &f, NULL, e->len0);
}

static int prepare(engine *e)
{
	if (!e->funit && !(e->funit = malloc(e->unit)))
		return -1;
	mx_fiu.active = 0;
	return 0;
}

int mx_fault_images(engine *e, size_t k, uint8_t *img, uint64_t len, const uint64_t *uh, uint64_t key)
{
	if (!e->r.c.dfaults || !len)
		return 0;
	if (prepare(e) || roles_of(e, img, len, 0))
		return -1;
	judge_case jc = {&e->cur.m, &e->after.m, k};
	fimg fi = {img, len, uh, key};
	e->judge_at = MATRIX_AT_FAULT;
	e->judge_op = k;
	int rc = 0;
	if (!rc && want(e, DFAULT_TORN_GARBAGE))
		rc = torn(e, &jc, &fi);
	if (!rc && want(e, DFAULT_LOST_SIZE))
		rc = lost_size(e, &jc, &fi);
	if (!rc && want(e, DFAULT_LYING_SYNC))
		rc = lying(e, &jc, &fi);
	if (!rc && want(e, DFAULT_MISDIRECT))
		rc = misdirect(e, &jc, &fi);
	if (!rc && want(e, DFAULT_ROT))
		rc = rot(e, &jc, &fi);
	return rc;
}

int mx_fault_end(engine *e, size_t report_op, uint8_t *img, uint64_t len, const uint64_t *uh, uint64_t key)
{
	if (!want(e, DFAULT_ROT) || !len)
		return 0;
	if (prepare(e))
		return -1;
	judge_case jc = {&e->m.m, &e->m.m, JUDGE_NO_OP};
	fimg fi = {img, len, uh, key};
	e->judge_at = MATRIX_AT_END;
	e->judge_op = report_op;
	return rot(e, &jc, &fi);
}
