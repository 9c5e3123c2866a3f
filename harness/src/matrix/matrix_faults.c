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
 *    most --rot-budget images (superblock, metadata and directory units first);
 *  - lost-size: when op k changed the file's length and no sync completed since (a failed
 *    msync persists nothing), the image at the length op k started with;
 *  - lying-sync: the syncs op k completed before the failure returned before their units
 *    were durable: every subset of those units (all of them up to --exhaustive K, else the
 *    seeded mix) on the disk op k started with;
 *  - misdirect: each unit those syncs wrote landed on the next unit instead (the previous
 *    one at the end of the file), keeping its old bytes.
 * The image after the continuation (no op in flight) gets rot. Each faulty image is
 * judged (without the memo) next to its twin — the same image without the fault (torn:
 * also the unit with its new cache bytes; lost-size: the full length) — and only what the
 * twin does not show is reported, with I-SILENT when the image opens, pager_check is
 * clean and the state is wrong (judge_fault_verdicts). A (verdict, fault class) pair is
 * reported once per case. The class is dfault_class's, with the roles of the
 * recovered plain image (pages 0-2 by number when it does not open).
 * Cost per case: about 3 x (units of the failed sync) + budget + 2^(units op k synced)
 * + (units op k synced) judges, each with a twin judged once per image (rot's twin once). */
#define _POSIX_C_SOURCE 200809L
#include "matrix_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tornpage/dfault.h"

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

/* Judge the faulty image (img, len) of fault f against the twins in e->ftwin. */
static int judge_faulty(engine *e, const judge_case *jc, const dfault *f, const dfault_shadow *sh, uint8_t *img,
			uint64_t len)
{
	judge_verdicts_clear(&e->fgot);
	if (judge_collect(&e->j, jc, 0, img, len, NULL, &e->fgot) < 0)
		return -1;
	dfault_class(f, sh ? sh->units : NULL, sh ? sh->n : 0, e->froles, (len + e->ps - 1) / e->ps, e->unit, e->ps, e->fclass, sizeof e->fclass);
	judge_fault_verdicts(&e->fgot, &e->ftwin, emit, e);
	return e->failed ? -1 : 0;
}

/* Twins: the plain image into e->ftwin (cleared first unless add). */
static int twin(engine *e, const judge_case *jc, uint8_t *img, uint64_t len, int add)
{
	if (!add)
		judge_verdicts_clear(&e->ftwin);
	return judge_collect(&e->j, jc, 0, img, len, NULL, &e->ftwin) < 0 ? -1 : 0;
}

static int rot(engine *e, const judge_case *jc, uint8_t *img, uint64_t len)
{
	uint32_t budget = e->cfg->rot_budget ? e->cfg->rot_budget : DFAULT_ROT_BUDGET;
	if (roles_of(e, img, len, 1) || twin(e, jc, img, len, 0))
		return -1;
	for (size_t i = 0; i < e->nfrs && 2 * i < budget; i++) {
		uint64_t x = e->frs[i], n = ulen(e, x, len);
		uint8_t *u = img + x * e->unit;
		memcpy(e->funit, u, (size_t)n);
		for (int zero = 0; zero < 2; zero++) {
			dfault f = {DFAULT_ROT, x, zero ? DFAULT_FILL_ZEROS : DFAULT_FILL_FLIP, 0, 0, 0};
			if (!zero)
				f.arg = dfault_rot_bit(e->r.c.seed, e->judge_at, x, 0, (size_t)n);
			dfault_corrupt(&f, u, (size_t)n);
			int same = !memcmp(u, e->funit, (size_t)n);
			int rc = same ? 0 : judge_faulty(e, jc, &f, NULL, img, len);
			memcpy(u, e->funit, (size_t)n);
			if (rc)
				return -1;
		}
	}
	return 0;
}

static int torn(engine *e, const judge_case *jc, uint8_t *img, uint64_t len)
{
	static const dfault_fill fills[] = {DFAULT_FILL_SEEDED, DFAULT_FILL_ZEROS, DFAULT_FILL_ONES};
	for (size_t i = 0; i < e->nflip; i++) {
		uint64_t x = e->flipu[i], n = ulen(e, x, len);
		uint8_t *u = img + x * e->unit;
		if (!n)
			continue;
		memcpy(e->funit, u, (size_t)n);
		/* twins: the unit as the image holds it (old, or the persisted subset's), and new */
		if (twin(e, jc, img, len, 0))
			return -1;
		memcpy(u, e->flipc + i * e->unit, (size_t)n);
		if (twin(e, jc, img, len, 1))
			return -1;
		for (size_t k = 0; k < 3; k++) {
			dfault f = {DFAULT_TORN_GARBAGE, x, fills[k], 0, 0, 0};
			if (fills[k] == DFAULT_FILL_SEEDED)
				f.arg = dfault_garbage_seed(e->r.c.seed, e->fault_sync, x);
			dfault_corrupt(&f, u, (size_t)n);
			if (memcmp(u, e->funit, (size_t)n) && memcmp(u, e->flipc + i * e->unit, (size_t)n) &&
			    judge_faulty(e, jc, &f, NULL, img, len)) {
				memcpy(u, e->funit, (size_t)n);
				return -1;
			}
		}
		memcpy(u, e->funit, (size_t)n);
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

static int lying(engine *e, const judge_case *jc, uint8_t *img, uint64_t len)
{
	if (!e->ncap || twin(e, jc, img, len, 0))
		return 0;
	for (size_t i = 0; i < e->ncap; i++)
		old_bytes(e, e->capu[i], img + e->capu[i] * e->unit, len);
	dfault f = {DFAULT_LYING_SYNC, 0, 0, 0, 0, e->fault_sync ? e->fault_sync - 1 : 0};
	dfault_shadow sh;
	memset(&sh, 0, sizeof sh);
	sh.n = e->ncap;
	sh.units = e->capu; /* the class reads the units only */
	subsets_iter it;
	const uint8_t *mask;
	int rc = subsets_init(&it, e->ncap, &e->sub, e->fault_sync) ? -1 : 0;
	while (!rc && subsets_next(&it, &mask)) {
		const size_t *chg;
		size_t nchg = subsets_changed(&it, &chg);
		for (size_t c = 0; c < nchg; c++) {
			uint64_t x = e->capu[chg[c]];
			if (mask[chg[c]])
				memcpy(img + x * e->unit, e->capb + chg[c] * e->unit, (size_t)ulen(e, x, len));
			else
				old_bytes(e, x, img + x * e->unit, len);
		}
		rc = judge_faulty(e, jc, &f, &sh, img, len);
	}
	if (!rc)
		subsets_free(&it);
	for (size_t i = 0; i < e->ncap; i++)
		memcpy(img + e->capu[i] * e->unit, e->capb + i * e->unit, (size_t)ulen(e, e->capu[i], len));
	return rc;
}

static int misdirect(engine *e, const judge_case *jc, uint8_t *img, uint64_t len)
{
	uint64_t nunits = (len + e->unit - 1) / e->unit;
	if (!e->ncap || twin(e, jc, img, len, 0))
		return 0;
	for (size_t i = 0; i < e->ncap; i++) {
		uint64_t w = e->capu[i], t = w + 1 < nunits ? w + 1 : w - 1;
		if (t >= nunits || t == w)
			continue;
		uint64_t nw = ulen(e, w, len), nt = ulen(e, t, len);
		uint8_t *uw = img + w * e->unit, *ut = img + t * e->unit;
		memcpy(e->funit, ut, (size_t)nt);
		old_bytes(e, w, uw, len);
		memcpy(ut, e->capb + i * e->unit, (size_t)(nw < nt ? nw : nt));
		dfault f = {DFAULT_MISDIRECT, w, 0, 0, t, e->fault_sync ? e->fault_sync - 1 : 0};
		int rc = judge_faulty(e, jc, &f, NULL, img, len);
		memcpy(ut, e->funit, (size_t)nt);
		memcpy(uw, e->capb + i * e->unit, (size_t)nw);
		if (rc)
			return -1;
	}
	return 0;
}

static int lost_size(engine *e, const judge_case *jc, uint8_t *img, uint64_t len)
{
	if (e->fault_nr || e->len0 >= len || !e->len0)
		return 0;
	dfault f = {DFAULT_LOST_SIZE, 0, 0, 0, 0, 0};
	if (twin(e, jc, img, len, 0))
		return -1;
	return judge_faulty(e, jc, &f, NULL, img, e->len0);
}

static int prepare(engine *e)
{
	if (!e->funit && !(e->funit = malloc(e->unit)))
		return -1;
	mx_fiu.active = 0;
	return 0;
}

int mx_fault_images(engine *e, size_t k, uint8_t *img, uint64_t len)
{
	if (!e->r.c.dfaults || !len)
		return 0;
	if (prepare(e) || roles_of(e, img, len, 0))
		return -1;
	judge_case jc = {&e->cur.m, &e->after.m, k};
	e->judge_at = MATRIX_AT_FAULT;
	e->judge_op = k;
	int rc = 0;
	if (!rc && want(e, DFAULT_TORN_GARBAGE))
		rc = torn(e, &jc, img, len);
	if (!rc && want(e, DFAULT_LOST_SIZE))
		rc = lost_size(e, &jc, img, len);
	if (!rc && want(e, DFAULT_LYING_SYNC))
		rc = lying(e, &jc, img, len);
	if (!rc && want(e, DFAULT_MISDIRECT))
		rc = misdirect(e, &jc, img, len);
	if (!rc && want(e, DFAULT_ROT))
		rc = rot(e, &jc, img, len);
	return rc;
}

int mx_fault_end(engine *e, size_t report_op, uint8_t *img, uint64_t len)
{
	if (!want(e, DFAULT_ROT) || !len)
		return 0;
	if (prepare(e))
		return -1;
	judge_case jc = {&e->m.m, &e->m.m, JUDGE_NO_OP};
	e->judge_at = MATRIX_AT_END;
	e->judge_op = report_op;
	return rot(e, &jc, img, len);
}
