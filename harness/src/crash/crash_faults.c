/* crash_faults.c — `tornpage crash --faults`: the disk-fault images each crash point adds
 * to the plain ones (what each fault does to the disk: disk/dfault.c). They are built in
 * the crash loop's scratch image, deduplicated and judged exactly as plain images
 * (crash_try_image), with judge_case.faulted set so that a silent corruption is an
 * I-SILENT, and grouped by verdict and fault class (the mode and the role of the page
 * it hit: "rot/meta"), which reproducer signatures carry.
 *
 * Method:
 *
 * Which images. At a crash point with n enumerated dirty units (crash.c: the units of
 * pages recovery reads, or all with --all-units), each mode adds:
 *  - torn-garbage: for each enumerated unit u and each fill (seeded, zeros, ones), u holds
 *    the garbage while the other units are (a) all old, (b) new up to u in file order
 *    (a write-back in file order torn at u), (c) all new: 9n images. One torn unit per
 *    image: a power cut tears the write in flight. (Every subset of the others would be
 *    2^(n-1) times 3n; these three bases are the single write, the sequential one and
 *    the all-but-one.) A fill equal to the unit's old or new bytes is skipped: that
 *    image is a plain one.
 *  - rot: the read set of the disk as it is — every unit of a page that the recovered
 *    pager says is not data (pager_open on the image, then pager_page_roles: superblock,
 *    both metadata copies, directory pages, protected copies; derived from the code, not
 *    a list) — each unit once with one seeded bit flipped (the bit depends on the seed,
 *    the point and the unit) and once zeroed. Budget: at most --rot-budget images per
 *    point (default 128): the units of the superblock, metadata and directory pages
 *    first, in file order, then protected copies from a seeded start, wrapping. A disk
 *    that does not open has no read set: rot adds nothing there (the plain image is
 *    already an I-OPEN).
 *  - lost-size: when the file is longer than the length the last completed sync made
 *    durable (a set_len since), the image at that length, with every subset of the
 *    enumerated units inside it (subsets.h, as plain images).
 *  - misdirect: after every sync, for every unit w it wrote, two cases: w's new bytes
 *    land on the next unit (the previous one for the file's last unit), or on a seeded
 *    unit of the read set (not w). Each case is followed (dfault_shadow) until later
 *    syncs heal it or the end of the op after the one it happened in, whichever comes
 *    first; at every crash point meanwhile it adds the shadow disk alone and with every
 *    enumerated unit written (how later writes tear is the plain crash model's business,
 *    which the twin sets aside; every subset would cost 2^n per case). Lasting damage
 *    after that window is rot's business.
 *  - lying-sync: after every sync, one case: every unit it wrote is still only in the
 *    device's cache (dfault.c says why every unit and not a subset); until the next sync
 *    completes, each crash point adds the disk with those units old, and every subset
 *    of them (holding what the sync wrote) and of the enumerated units.
 *
 * Identity. A fault image's identity is the plain identity of its bytes (crash.c) XOR a
 * constant per mode, so it is deduplicated against the images of its own mode at this
 * point and the previous one (same case), never against plain images, whose verdicts
 * carry no I-SILENT. Overrides and entries change scratch unit by unit and update the
 * identity and the page identities by XOR, as the plain loop does, so the judge's
 * read-set memo answers fault images whose pages read by recovery were seen.
 *
 * Entries. A case's images are a base (the disk with the case's overrides) plus a
 * subset of entries (unit, bytes): the enumerated units with their cache bytes, and for
 * a lying sync also each lying unit with the bytes the device holds. A unit may have
 * two entries (the device's bytes and newer cache bytes); entries are sorted by unit,
 * the device's first, and the last entry of a unit in the subset gives its bytes. A
 * reproducer says the same with `persisted` (cache) and `device` lists.
 *
 * Cost, per crash point with n enumerated units: torn-garbage 9n images, rot at most the
 * budget (one pager_open for the read set), lost-size 2^n where a size change is
 * pending, misdirect 2 per live case (about 2 cases per unit written in this op and the
 * last), lying-sync 2^(n + units of the last sync) per point until the next sync; subsets
 * of more than CRASH_FAULT_EXHAUSTIVE (8) entries take subsets.h's mix. Each mode's time
 * is in crash_fault_stats.seconds. */
#define _POSIX_C_SOURCE 200809L
#include "crash_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pager.h"

/* *p holds *cap elements; make it hold at least need (doubling). 0 or -1. */
static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 16;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

/* realloc p to n elements of elem bytes: the new pointer, or NULL (p still valid). */
static void *resize(void *p, size_t n, size_t elem)
{
	return n > SIZE_MAX / elem ? NULL : realloc(p, n * elem);
}

#define RESIZE(field, n)                                                  \
	do {                                                              \
		void *q_ = resize((void *)fx->field, (n), sizeof *fx->field); \
		if (!q_)                                                  \
			return -1;                                        \
		fx->field = q_;                                           \
	} while (0)

static int reserve_entries(crash_faults *fx, size_t n)
{
	if (n <= fx->ecap)
		return 0;
	size_t cap = fx->ecap ? fx->ecap : 16;
	while (cap < n)
		cap *= 2;
	RESIZE(eu, cap);
	RESIZE(eb, cap);
	RESIZE(esrc, cap);
	RESIZE(eh, cap);
	RESIZE(ebase, cap);
	RESIZE(ebh, cap);
	RESIZE(ecur, cap);
	RESIZE(eon, cap);
	fx->ecap = cap;
	return 0;
}

static int reserve_overrides(crash_faults *fx, size_t n)
{
	if (n <= fx->ocap)
		return 0;
	size_t cap = fx->ocap ? fx->ocap : 16;
	while (cap < n)
		cap *= 2;
	RESIZE(ou, cap);
	RESIZE(ob, cap);
	RESIZE(oh, cap);
	RESIZE(ocur, cap);
	fx->ocap = cap;
	return 0;
}
#undef RESIZE

int crash_faults_new(ctx *c)
{
	unsigned modes = c->cfg->faults & DFAULT_ALL_MODES;
	if (!modes)
		return 0;
	crash_faults *fx = calloc(1, sizeof *fx);
	if (!fx)
		return -1;
	c->fx = fx;
	fx->modes = modes;
	fx->rot_budget = c->cfg->rot_budget ? c->cfg->rot_budget : DFAULT_ROT_BUDGET;
	fx->view = simdisk_new(SIMDISK_MIN_UNIT);
	fx->garbage = malloc(c->unit);
	dfault f = {DFAULT_LYING_SYNC, 0, 0, 0, 0, 0};
	if (!fx->view || !fx->garbage || dfault_shadow_init(&fx->next, &f, c->unit))
		return -1;
	return 0;
}

static void drop_case(crash_faults *fx, size_t i)
{
	dfault_shadow_free(&fx->cases[i].sh);
	if (fx->cases[i].have_before)
		model_free(&fx->cases[i].before);
	fx->cases[i] = fx->cases[--fx->ncases];
}

void crash_faults_free(ctx *c)
{
	crash_faults *fx = c->fx;
	if (!fx)
		return;
	simdisk_free(fx->view);
	free(fx->roles);
	free(fx->rs);
	dfault_shadow_free(&fx->next);
	while (fx->ncases)
		drop_case(fx, 0);
	free(fx->cases);
	free(fx->eu);
	free(fx->eb);
	free(fx->esrc);
	free(fx->eh);
	free(fx->ebase);
	free(fx->ebh);
	free(fx->ecur);
	free(fx->eon);
	free(fx->ou);
	free(fx->ob);
	free(fx->oh);
	free(fx->ocur);
	judge_verdicts_free(&fx->got);
	judge_verdicts_free(&fx->twin);
	free(fx->garbage);
	free(fx);
	c->fx = NULL;
}

static int want(const crash_faults *fx, dfault_mode m)
{
	return (fx->modes >> m) & 1u;
}

/* ---- cases: misdirected writes and lying syncs ---- */

static fcase *new_case(crash_faults *fx)
{
	void *p = fx->cases;
	if (grow(&p, &fx->cases_cap, fx->ncases + 1, sizeof *fx->cases))
		return NULL;
	fx->cases = p;
	fcase *k = &fx->cases[fx->ncases++];
	memset(k, 0, sizeof *k);
	return k;
}

void crash_faults_sync(ctx *c, const simdisk_event *ev, simdisk_phase phase)
{
	crash_faults *fx = c->fx;
	for (size_t i = 0; i < fx->ncases;) {
		dfault_shadow_sync(&fx->cases[i].sh, c->d, ev, phase);
		if (fx->cases[i].sh.state == 2)
			drop_case(fx, i);
		else
			i++;
	}
	if (!want(fx, DFAULT_MISDIRECT) && !want(fx, DFAULT_LYING_SYNC))
		return;
	if (phase == SIMDISK_BEFORE_SYNC) {
		dfault f = {DFAULT_LYING_SYNC, 0, 0, 0, 0, ev->index};
		dfault_shadow_free(&fx->next);
		dfault_shadow_init(&fx->next, &f, c->unit);
		fx->spawn = 0;
	}
	dfault_shadow_sync(&fx->next, c->d, ev, phase);
	if (phase == SIMDISK_AFTER_SYNC && dfault_shadow_active(&fx->next)) {
		fx->spawn = 1; /* the cases are made at this point's visit, with its read set */
		fx->spawn_step = crash_tally_step(ev->step);
		fx->spawn_name = ev->step;
	}
}

void crash_faults_op_done(ctx *c)
{
	crash_faults *fx = c->fx;
	for (size_t i = 0; i < fx->ncases;) {
		if (fx->cases[i].sh.f.mode == DFAULT_MISDIRECT && fx->cases[i].last_op <= c->op)
			drop_case(fx, i);
		else
			i++;
	}
}

/* ---- roles, classes and the read set ---- */

void crash_faults_classify(ctx *c, const variant *v)
{
	crash_faults *fx = c->fx;
	dfault_class(&v->f, v->sh ? v->sh->units : NULL, v->sh ? v->sh->n : 0, fx->wroles, fx->npages, c->unit, c->ps,
		     fx->fclass, sizeof fx->fclass);
}

/* The writing pager's roles of the file's pages into fx->roles; during the create (no
 * pager yet) pages 0-2 by number and the rest free, as crash_one.c says them. */
static const uint8_t *writer_roles(ctx *c, uint64_t npages)
{
	crash_faults *fx = c->fx;
	void *p = fx->roles;
	if (grow(&p, &fx->roles_cap, npages ? npages : 1, 1))
		return NULL;
	fx->roles = p;
	if (c->r.p) {
		pager_page_roles(c->r.p, fx->roles, npages);
	} else {
		for (uint64_t n = 0; n < npages; n++)
			fx->roles[n] = n == 0 ? PAGER_ROLE_SUPERBLOCK : n == 1 ? PAGER_ROLE_META_A
				     : n == 2 ? PAGER_ROLE_META_B : PAGER_ROLE_FREE;
	}
	return fx->roles;
}

/* The read set of the disk image in scratch (len bytes): the units of every page the
 * recovered pager says is not data. Empty when the image does not open. */
static void read_set(ctx *c, uint64_t len)
{
	crash_faults *fx = c->fx;
	pager *p = NULL;
	fx->nrs = 0;
	uint64_t npages = len / c->ps, nunits = (len + c->unit - 1) / c->unit;
	if (simdisk_borrow(fx->view, c->scratch, len) || pager_open("read-set", simdisk_io(fx->view), &p))
		return;
	if (npages > pager_page_count(p))
		npages = pager_page_count(p);
	void *q = fx->roles;
	int ok = !grow(&q, &fx->roles_cap, npages ? npages : 1, 1);
	fx->roles = q;
	if (ok) {
		pager_page_roles(p, fx->roles, npages);
		for (uint64_t u = 0; u < nunits; u++) {
			uint8_t r = dfault_unit_role(fx->roles, npages, u, c->unit, c->ps);
			if (dfault_role_rank(r) > 3)
				continue;
			void *rq = fx->rs;
			int bad = grow(&rq, &fx->rs_cap, fx->nrs + 1, sizeof *fx->rs);
			fx->rs = rq;
			if (bad)
				break;
			fx->rs[fx->nrs++] = u * 8 + (uint64_t)dfault_role_rank(r); /* rank kept for the budget */
		}
	}
	pager_close(p);
}

/* ---- the modes ---- */

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Entries = the enumerated units with their cache bytes, except unit `skip` (UINT64_MAX:
 * none) and units at or past `below`; merged with the shadow's lying units (device
 * bytes) when sh is a live lying sync. Returns the count, or SIZE_MAX when out of memory. */
static size_t cache_entries(ctx *c, size_t nrel, uint64_t skip, uint64_t below, const dfault_shadow *sh)
{
	crash_faults *fx = c->fx;
	size_t nsh = sh && sh->f.mode == DFAULT_LYING_SYNC ? sh->n : 0;
	if (reserve_entries(fx, nrel + nsh + 1))
		return SIZE_MAX;
	const uint8_t *cache = simdisk_cache(c->d);
	size_t n = 0, i = 0, k = 0;
	while (i < nrel || k < nsh) {
		const uint8_t *dev = k < nsh ? dfault_shadow_device(sh, k) : NULL;
		if (k < nsh && !dev) {
			k++;
			continue;
		}
		if (k < nsh && (i >= nrel || sh->units[k] <= c->rel[i])) {
			fx->eu[n] = sh->units[k];
			fx->eb[n] = dev;
			fx->esrc[n++] = 1;
			k++;
			continue;
		}
		uint64_t u = c->rel[i++];
		if (u == skip || u >= below)
			continue;
		fx->eu[n] = u;
		fx->eb[n] = cache + u * c->unit;
		fx->esrc[n++] = 0;
	}
	return n;
}

static void torn_garbage(ctx *c, const crash_point *at, const judge_case *jc, size_t nrel)
{
	crash_faults *fx = c->fx;
	const uint8_t *disk = simdisk_disk(c->d), *cache = simdisk_cache(c->d);
	uint64_t len = simdisk_len(c->d);
	static const dfault_fill fills[] = {DFAULT_FILL_SEEDED, DFAULT_FILL_ZEROS, DFAULT_FILL_ONES};
	if (reserve_overrides(fx, 1))
		return;
	for (size_t t = 0; t < nrel && !c->stop; t++) {
		uint64_t u = c->rel[t], n = simdisk_unit_len(c->d, u);
		for (size_t f = 0; f < 3 && !c->stop; f++) {
			variant v = {{DFAULT_TORN_GARBAGE, u, fills[f], 0, 0, 0}, NULL, c->tally_step, at->step, len, 1, 0, V_TORN, t};
			if (fills[f] == DFAULT_FILL_SEEDED)
				v.f.arg = dfault_garbage_seed(c->cfg->sub.seed, at->index, u);
			dfault_corrupt(&v.f, fx->garbage, (size_t)n);
			if (!memcmp(fx->garbage, disk + u * c->unit, (size_t)n) ||
			    !memcmp(fx->garbage, cache + u * c->unit, (size_t)n))
				continue; /* old or new bytes: a plain image */
			size_t ne = cache_entries(c, nrel, u, UINT64_MAX, NULL);
			if (ne == SIZE_MAX)
				return;
			v.nent = ne;
			fx->ou[0] = u;
			fx->ob[0] = fx->garbage;
			crash_run_variant(c, at, jc, c->case_key, &v);
		}
	}
}

static int rs_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	/* structural ranks (0-2) first, then protected; in unit order within each */
	int rx = (x & 7) > 2, ry = (y & 7) > 2;
	if (rx != ry)
		return rx - ry;
	return x < y ? -1 : x > y;
}

static void rot(ctx *c, const crash_point *at, const judge_case *jc)
{
	crash_faults *fx = c->fx;
	uint64_t len = simdisk_len(c->d);
	const uint8_t *disk = simdisk_disk(c->d);
	if (!fx->nrs || reserve_overrides(fx, 1))
		return;
	/* The budget: structural units first, then protected copies from a seeded start. */
	qsort(fx->rs, fx->nrs, sizeof *fx->rs, rs_cmp);
	size_t units = fx->rot_budget / 2 ? fx->rot_budget / 2 : 1, nstruct = 0;
	while (nstruct < fx->nrs && (fx->rs[nstruct] & 7) <= 2)
		nstruct++;
	size_t nprot = fx->nrs - nstruct;
	size_t start = nprot ? (size_t)(subsets_mix64(c->cfg->sub.seed ^ subsets_mix64(at->index)) % nprot) : 0;
	for (size_t k = 0; k < fx->nrs && k < units && !c->stop; k++) {
		uint64_t u = (k < nstruct ? fx->rs[k] : fx->rs[nstruct + (start + k - nstruct) % nprot]) >> 3;
		uint64_t n = simdisk_unit_len(c->d, u);
		for (int zero = 0; zero < 2 && !c->stop; zero++) {
			variant v = {{DFAULT_ROT, u, zero ? DFAULT_FILL_ZEROS : DFAULT_FILL_FLIP, 0, 0, 0}, NULL,
				     c->tally_step, at->step, len, 1, 0, V_ONE, 0};
			if (!zero)
				v.f.arg = dfault_rot_bit(c->cfg->sub.seed, at->index, u, 0, (size_t)n);
			memcpy(fx->garbage, disk + u * c->unit, (size_t)n);
			dfault_corrupt(&v.f, fx->garbage, (size_t)n);
			if (!memcmp(fx->garbage, disk + u * c->unit, (size_t)n))
				continue; /* a zero unit zeroed */
			fx->ou[0] = u;
			fx->ob[0] = fx->garbage;
			crash_run_variant(c, at, jc, c->case_key, &v);
		}
	}
}

static void lost_size(ctx *c, const crash_point *at, const judge_case *jc, size_t nrel)
{
	uint64_t len = simdisk_len(c->d);
	if (!c->dlen || c->dlen >= len)
		return;
	variant v = {{DFAULT_LOST_SIZE, 0, 0, 0, 0, 0}, NULL, c->tally_step, at->step, c->dlen, 0, 0, V_SUBSETS, 0};
	size_t ne = cache_entries(c, nrel, UINT64_MAX, c->dlen / c->unit, NULL);
	if (ne == SIZE_MAX)
		return;
	v.nent = ne;
	crash_run_variant(c, at, jc, c->case_key, &v);
}

/* The cases of the sync that just completed: one lying sync, and two misdirected writes
 * per unit it wrote (the next unit, a seeded unit of the read set). */
static void spawn(ctx *c)
{
	crash_faults *fx = c->fx;
	dfault_shadow *t = &fx->next;
	uint64_t nunits = simdisk_unit_count(c->d);
	fx->spawn = 0;
	if (want(fx, DFAULT_MISDIRECT)) {
		for (size_t i = 0; i < t->n; i++) {
			uint64_t w = t->units[i];
			uint64_t targets[2] = {w + 1 < nunits ? w + 1 : w - 1, UINT64_MAX};
			if (fx->nrs > 1) {
				size_t k = dfault_pick(c->cfg->sub.seed, t->f.sync, w, fx->nrs);
				targets[1] = fx->rs[k] >> 3;
				if (targets[1] == w)
					targets[1] = fx->rs[(k + 1) % fx->nrs] >> 3;
			}
			for (int j = 0; j < 2; j++) {
				if (targets[j] >= nunits || targets[j] == w || (j == 1 && targets[1] == targets[0]))
					continue;
				fcase *k = new_case(fx);
				if (!k)
					return;
				if (dfault_shadow_misdirect(&k->sh, t, i, targets[j], nunits)) {
					dfault_shadow_free(&k->sh);
					fx->ncases--;
					continue;
				}
				k->last_op = c->op + 1;
				k->step = fx->spawn_step;
				k->step_name = fx->spawn_name;
				k->op = c->op;
			}
		}
	}
	if (want(fx, DFAULT_LYING_SYNC)) {
		fcase *k = new_case(fx);
		if (!k)
			return;
		k->sh = *t; /* the template becomes the case; a fresh one is made at the next sync */
		k->step = fx->spawn_step;
		k->step_name = fx->spawn_name;
		k->last_op = SIZE_MAX;
		k->op = c->op;
		if (!model_init(&k->before, c->log)) {
			k->have_before = 1;
			if (model_copy(&k->before, &c->cur))
				k->have_before = 0;
		}
		dfault f = {DFAULT_LYING_SYNC, 0, 0, 0, 0, t->f.sync};
		dfault_shadow_init(t, &f, c->unit);
	}
}

static void case_images(ctx *c, const crash_point *at, const judge_case *jc, size_t nrel, fcase *k)
{
	crash_faults *fx = c->fx;
	dfault_shadow *sh = &k->sh;
	uint64_t len = simdisk_len(c->d);
	size_t nover = 0;
	if (reserve_overrides(fx, sh->n))
		return;
	for (size_t i = 0; i < sh->n; i++) {
		const uint8_t *held = dfault_shadow_held(sh, i);
		if (held && sh->units[i] < (len + c->unit - 1) / c->unit) {
			fx->ou[nover] = sh->units[i];
			fx->ob[nover++] = held;
		}
	}
	if (!nover)
		return;
	size_t ne = cache_entries(c, nrel, UINT64_MAX, UINT64_MAX, sh);
	if (ne == SIZE_MAX)
		return;
	variant v = {sh->f, sh, k->step, k->step_name, len, nover, ne, sh->f.mode == DFAULT_MISDIRECT ? V_ENDS : V_SUBSETS, 0};
	if (sh->f.mode == DFAULT_LYING_SYNC && (c->op != k->op || !c->in_op)) {
		/* Op k's last sync lied: k is acknowledged but not durable until the next sync
		 * completes, and no format can make it so (dfault.c). The model allows k undone:
		 * the image is judged with k in flight. A later op's own syncs end the case;
		 * at the point before its first one (its writes, not k's, in flight) nothing is
		 * judged. */
		if (c->op != k->op && at->phase == CRASH_BEFORE_SYNC)
			return;
		if (!k->have_before)
			return;
		judge_case lie = {&k->before, jc->after, k->op};
		crash_run_variant(c, at, &lie, judge_case_key(&c->j, &lie), &v);
		return;
	}
	crash_run_variant(c, at, jc, c->case_key, &v);
}

uint64_t crash_faults_budget(const ctx *c, size_t nrel)
{
	const crash_faults *fx = c->fx;
	uint64_t sub = subsets_count(nrel, &c->cfg->sub), n = 0;
	if (want(fx, DFAULT_TORN_GARBAGE))
		n += 9 * (uint64_t)nrel;
	if (want(fx, DFAULT_ROT))
		n += fx->rot_budget;
	if (want(fx, DFAULT_LOST_SIZE))
		n += sub;
	n += (fx->ncases + 2 * fx->next.n + 1) * sub * 2;
	return n > ((uint64_t)1 << 22) ? (uint64_t)1 << 22 : n;
}

void crash_faults_visit(ctx *c, const crash_point *at, const judge_case *jc, size_t nrel)
{
	crash_faults *fx = c->fx;
	crash_fault_stats *fs = c->cfg->fstats;
	uint64_t len = simdisk_len(c->d), npages = (len + c->ps - 1) / c->ps;
	size_t step = c->tally_step;
	double t0 = now_s(), t1;
	if (want(fx, DFAULT_ROT) || (fx->spawn && want(fx, DFAULT_MISDIRECT)))
		read_set(c, len);
	if (fx->spawn)
		spawn(c);
	/* Classes name the pages as the writing pager sees them (as reproducers do). */
	fx->wroles = writer_roles(c, npages);
#define TIMED(mode, call)                                         \
	do {                                                      \
		if (want(fx, mode) && !c->stop) {                 \
			c->tally_step = step;                     \
			call;                                     \
			t1 = now_s();                             \
			if (fs)                                   \
				fs->seconds[mode] += t1 - t0;     \
			t0 = t1;                                  \
		}                                                 \
	} while (0)
	TIMED(DFAULT_TORN_GARBAGE, torn_garbage(c, at, jc, nrel));
	TIMED(DFAULT_ROT, rot(c, at, jc));
	TIMED(DFAULT_LOST_SIZE, lost_size(c, at, jc, nrel));
	for (size_t i = 0; i < fx->ncases && !c->stop; i++) {
		fcase *k = &fx->cases[i];
		case_images(c, at, jc, nrel, k);
		t1 = now_s();
		if (fs)
			fs->seconds[k->sh.f.mode] += t1 - t0;
		t0 = t1;
	}
#undef TIMED
	c->tally_step = step;
}
