/* crash_one.c — one crash point, located and judged on demand (reproducers, shrinker).
 *
 * Method: the log is replayed with the model check (replay_step) on a simdisk whose unit
 * is the atomic unit, exactly as crash_run's second pass does. Before op K runs, the model
 * is copied ("before"); a sync hook waits for the requested sync of op K in the requested
 * phase and copies, at that moment, the disk, the cache, the dirty units, the sync events
 * so far and the writing pager's page roles. When op K has returned, the model is "after"
 * and every page gets a key saying what it holds (a directory page by ordinal, a handle's
 * page or copy by handle name) so that a shrinker can find "the same page" in a shorter
 * log. At end-of-op the copy is taken after op K returns and before == after. Judging
 * builds disk + the cache bytes of the chosen units and calls judge_image with the same
 * case crash_run uses at that point: the verdicts are the ones crash_run would give that
 * image there. It does not enumerate subsets (crash.c) nor print (repro.c). */
#include "crash_one.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tornpage/replay.h"
#include "tornpage/simdisk.h"

typedef struct locator {
	crash_one *c;
	int shadowed;      /* c->sh follows a misdirect or lying-sync fault */
	replay *r;
	uint32_t want;     /* sync index wanted (absolute or relative to the op) */
	int rel;
	int armed;         /* op K is running */
	int found;
	int oom;
} locator;

static int grab(locator *L, simdisk *d, const simdisk_event *ev)
{
	crash_one *c = L->c;
	uint64_t len = simdisk_len(d);
	c->len = len;
	c->npages = (len + c->ps - 1) / c->ps;
	size_t nd = simdisk_dirty(d, NULL, 0), nev = 0;
	const simdisk_event *evs = simdisk_events(d, &nev);
	size_t total_ev = nev + (ev && (nev == 0 || evs[nev - 1].index != ev->index) ? 1 : 0);
	c->disk = malloc(len ? (size_t)len : 1);
	c->cache = malloc(len ? (size_t)len : 1);
	c->img = malloc(len ? (size_t)len : 1);
	c->dirty = malloc((nd ? nd : 1) * sizeof *c->dirty);
	c->events = malloc((total_ev ? total_ev : 1) * sizeof *c->events);
	c->roles = malloc(c->npages ? (size_t)c->npages : 1);
	c->keys = calloc(c->npages ? (size_t)c->npages : 1, sizeof *c->keys);
	if (!c->disk || !c->cache || !c->img || !c->dirty || !c->events || !c->roles || !c->keys)
		return -1;
	if (len) {
		memcpy(c->disk, simdisk_disk(d), (size_t)len);
		memcpy(c->cache, simdisk_cache(d), (size_t)len);
	}
	c->ndirty = simdisk_dirty(d, c->dirty, nd);
	if (nev)
		memcpy(c->events, evs, nev * sizeof *evs);
	if (total_ev > nev)
		c->events[nev] = *ev; /* before-sync: the sync about to run */
	c->nevents = total_ev;
	if (L->r->p) {
		pager_page_roles(L->r->p, c->roles, c->npages);
	} else { /* the create in flight: no pager yet */
		for (uint64_t n = 0; n < c->npages; n++)
			c->roles[n] = n == 0 ? PAGER_ROLE_SUPERBLOCK : n == 1 ? PAGER_ROLE_META_A
				    : n == 2 ? PAGER_ROLE_META_B : PAGER_ROLE_FREE;
	}
	return 0;
}

static void on_sync(void *arg, simdisk *d, const simdisk_event *ev, simdisk_phase phase)
{
	locator *L = arg;
	crash_one *c = L->c;
	if (L->found)
		return; /* the rest of op K runs for its model only: the point's disk is kept */
	if (phase == SIMDISK_AFTER_SYNC)
		c->dlen = simdisk_len(d); /* as crash.c: msync persists the size (lost-size) */
	if (L->shadowed)
		dfault_shadow_sync(&c->sh, d, ev, phase);
	if (!L->armed || c->phase == CRASH_END_OF_OP)
		return;
	if ((phase == SIMDISK_BEFORE_SYNC) != (c->phase == CRASH_BEFORE_SYNC))
		return;
	uint32_t first = c->op_sync0[c->op];
	if (L->rel ? ev->index - first != L->want : ev->index != L->want)
		return;
	L->found = 1;
	c->sync = ev->index;
	c->step = ev->step;
	if (grab(L, d, ev))
		L->oom = 1;
}

/* Keys: directory pages by ordinal (roles of the writer), then every page a live handle
 * holds in the model before or after the op (after wins: it is the op's own page). */
static void make_keys(crash_one *c)
{
	uint64_t dirs = 0;
	for (uint64_t n = 0; n < c->npages; n++) {
		c->keys[n] = (crash_page_key){CRASH_KEY_PAGE, 0, 0, n};
		if (n >= 3 && c->roles[n] == PAGER_ROLE_DIRECTORY)
			c->keys[n] = (crash_page_key){CRASH_KEY_DIR, 0, 0, dirs++};
	}
	const model *ms[2] = {&c->before, &c->after};
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < ms[k]->nhandles && i < c->log->nhandles; i++) {
			const model_handle *h = &ms[k]->h[i];
			if (!h->live)
				continue;
			if (!c->log->handle_protected[i]) {
				if (h->where >= 3 && h->where < c->npages)
					c->keys[h->where] = (crash_page_key){CRASH_KEY_REGULAR, (uint32_t)i, 0, 0};
				continue;
			}
			for (uint32_t cp = 0; cp < 2; cp++)
				if (h->copy[cp] >= 3 && h->copy[cp] < c->npages)
					c->keys[h->copy[cp]] = (crash_page_key){CRASH_KEY_PROTECTED, (uint32_t)i, cp, 0};
		}
	}
}

int crash_one_locate(crash_one *c, const oplog *log, uint32_t unit, size_t op, crash_phase phase,
		     uint32_t sync, int sync_rel, char *msg, size_t msglen)
{
	return crash_one_locate_fault(c, log, unit, op, phase, sync, sync_rel, NULL, msg, msglen);
}

/* The fault's lasting part into the copied disk (the plain disk kept in disk0), and its
 * class. 0 or -1 (ENOMEM). */
static int apply_fault(crash_one *c)
{
	c->img_len = c->len;
	if (c->fault.mode == DFAULT_LOST_SIZE && c->dlen && c->dlen < c->len)
		c->img_len = c->dlen;
	if (dfault_shadow_active(&c->sh)) {
		if (!(c->disk0 = malloc(c->len ? (size_t)c->len : 1)))
			return -1;
		memcpy(c->disk0, c->disk, (size_t)c->len);
		for (size_t i = 0; i < c->sh.n; i++) {
			const uint8_t *held = dfault_shadow_held(&c->sh, i);
			uint64_t off = c->sh.units[i] * c->unit;
			if (held && off < c->len)
				memcpy(c->disk + off, held, (size_t)(c->len - off < c->unit ? c->len - off : c->unit));
		}
	}
	c->fstep = c->phase == CRASH_END_OF_OP ? NULL : c->step;
	if ((c->fault.mode == DFAULT_MISDIRECT || c->fault.mode == DFAULT_LYING_SYNC) && c->fault.sync < c->nevents)
		c->fstep = c->events[c->fault.sync].step;
	if (c->fault.mode != DFAULT_NONE)
		dfault_class(&c->fault, c->sh.units, c->sh.n, c->roles, c->npages, c->unit, c->ps, c->fclass, sizeof c->fclass);
	return 0;
}

int crash_one_locate_fault(crash_one *c, const oplog *log, uint32_t unit, size_t op, crash_phase phase,
			   uint32_t sync, int sync_rel, const dfault *fault, char *msg, size_t msglen)
{
	simdisk *d = NULL;
	replay r;
	model m;
	int rc = -1, have_r = 0;
	char what[160];
	memset(c, 0, sizeof *c);
	memset(&m, 0, sizeof m);
	if (msglen)
		msg[0] = '\0';
	c->log = log;
	c->op = op;
	c->phase = phase;
	c->ps = (size_t)1 << log->page_log2;
	c->unit = unit ? unit : (uint32_t)c->ps;
	if (fault)
		c->fault = *fault;
	int shadowed = c->fault.mode == DFAULT_MISDIRECT || c->fault.mode == DFAULT_LYING_SYNC;
	if (shadowed && dfault_shadow_init(&c->sh, &c->fault, c->unit))
		goto fail;
	if (op >= log->nops || (unsigned)phase > CRASH_END_OF_OP) {
		snprintf(msg, msglen, "op %zu is not in the log (%zu ops)", op, log->nops);
		rc = 1;
		goto fail;
	}
	if (!(c->op_sync0 = calloc(op + 1, sizeof *c->op_sync0)) || !(d = simdisk_new(c->unit)))
		goto fail;
	if (replay_init(&r, log, simdisk_io(d), "crash.db"))
		goto fail;
	have_r = 1;
	if (model_init(&m, log) || model_init(&c->before, log) || model_init(&c->after, log) ||
	    judge_init(&c->j, log))
		goto fail;
	locator L = {c, shadowed, &r, sync, sync_rel, 0, 0, 0};
	simdisk_set_hook(d, on_sync, &L);
	for (size_t k = 0; k <= op; k++) {
		c->op_sync0[k] = simdisk_sync_count(d);
		if (c->fault.mode == DFAULT_LYING_SYNC && c->sh.state == 0) {
			/* Until the lie: the model before the op that may hold it (crash_faults.c). */
			if (!c->have_lie && model_init(&c->lie_before, log))
				goto fail;
			c->have_lie = 1;
			if (model_copy(&c->lie_before, &m))
				goto fail;
			c->lie_op = k;
		}
		if (k == op) {
			if (model_copy(&c->before, &m))
				goto fail;
			L.armed = 1;
		}
		int e = replay_step(&r, &m, k, NULL, msg, msglen);
		L.armed = 0;
		if (L.oom)
			goto fail;
		if (e) {
			rc = 1; /* msg says which op and why (I-MODEL) */
			goto fail;
		}
	}
	if (model_copy(&c->after, &m))
		goto fail;
	if (phase == CRASH_END_OF_OP) {
		c->sync = simdisk_sync_count(d);
		c->step = NULL;
		if (grab(&L, d, NULL) || model_copy(&c->before, &c->after))
			goto fail;
		L.found = 1;
	}
	if (!L.found) {
		uint32_t first = c->op_sync0[op], end = simdisk_sync_count(d);
		replay_describe(log, op, what, sizeof what);
		if (first == end)
			snprintf(msg, msglen, "%s makes no sync: no %s crash point", what, crash_phase_name(phase));
		else
			snprintf(msg, msglen, "%s makes syncs #%u..#%u: no %s at sync %s%u", what, first, end - 1,
				 crash_phase_name(phase), sync_rel ? "+" : "#", sync);
		rc = 1;
		goto fail;
	}
	if (c->len == 0) {
		snprintf(msg, msglen, "no file on disk yet at that crash point");
		rc = 1;
		goto fail;
	}
	make_keys(c);
	if (apply_fault(c))
		goto fail;
	model_free(&m);
	replay_free(&r);
	simdisk_free(d);
	return 0;
fail:
	if (rc < 0)
		snprintf(msg, msglen, "out of memory");
	model_free(&m);
	if (have_r)
		replay_free(&r);
	simdisk_free(d);
	crash_one_free(c);
	return rc;
}

int crash_one_dirty(const crash_one *c, uint64_t u)
{
	size_t lo = 0, hi = c->ndirty;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->dirty[mid] == u)
			return 1;
		if (c->dirty[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int crash_one_judge(crash_one *c, const uint64_t *units, size_t n, judge_emit_fn fn, void *arg)
{
	return crash_one_judge_ex(c, units, n, NULL, 0, fn, arg);
}

/* The shadow's slot of unit u holding device bytes (lying sync), or SIZE_MAX. */
static size_t device_slot(const crash_one *c, uint64_t u)
{
	for (size_t i = 0; i < c->sh.n; i++)
		if (c->sh.units[i] == u && dfault_shadow_device(&c->sh, i))
			return i;
	return SIZE_MAX;
}

/* img := base + the device bytes of dev + the cache bytes of units (checked by the caller). */
static void build(crash_one *c, const uint8_t *base, const uint64_t *units, size_t n, const uint64_t *dev, size_t ndev)
{
	memcpy(c->img, base, (size_t)c->len);
	for (size_t i = 0; i < ndev; i++) {
		uint64_t off = dev[i] * c->unit, ulen = c->len - off < c->unit ? c->len - off : c->unit;
		memcpy(c->img + off, dfault_shadow_device(&c->sh, device_slot(c, dev[i])), (size_t)ulen);
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t off = units[i] * c->unit, ulen = c->len - off < c->unit ? c->len - off : c->unit;
		memcpy(c->img + off, c->cache + off, (size_t)ulen);
	}
}

int crash_one_judge_ex(crash_one *c, const uint64_t *units, size_t n, const uint64_t *dev, size_t ndev,
		       judge_emit_fn fn, void *arg)
{
	uint64_t nunits = (c->len + c->unit - 1) / c->unit;
	for (size_t i = 0; i < n; i++)
		if (units[i] >= nunits)
			return -2;
	for (size_t i = 0; i < ndev; i++)
		if (device_slot(c, dev[i]) == SIZE_MAX)
			return -2;
	judge_case jc = {&c->before, &c->after, c->phase == CRASH_END_OF_OP ? JUDGE_NO_OP : c->op};
	if (c->fault.mode == DFAULT_LYING_SYNC && c->have_lie && dfault_shadow_active(&c->sh) &&
	    (c->lie_op != c->op || c->phase == CRASH_END_OF_OP))
		jc = (judge_case){&c->lie_before, &c->after, c->lie_op}; /* the lying op not yet durable */
	build(c, c->disk, units, n, dev, ndev);
	if (c->fault.mode == DFAULT_NONE)
		return judge_image(&c->j, &jc, c->img, c->len, fn, arg);
	uint64_t off = 0, ulen = 0;
	int unitwise = c->fault.mode == DFAULT_TORN_GARBAGE || c->fault.mode == DFAULT_ROT;
	if (unitwise) {
		if (c->fault.unit >= nunits)
			return -2;
		off = c->fault.unit * c->unit;
		ulen = c->len - off < c->unit ? c->len - off : c->unit;
		dfault_corrupt(&c->fault, c->img + off, (size_t)ulen);
	}
	judge_verdicts_clear(&c->got);
	judge_verdicts_clear(&c->twin);
	if (judge_collect(&c->j, &jc, 0, c->img, c->img_len, NULL, &c->got) < 0)
		return -1;
	/* The twins: the same image without the fault (crash_variant.c makes the same). */
	int bad = 0;
	if (unitwise) {
		memcpy(c->img + off, c->disk + off, (size_t)ulen);
		bad = judge_collect(&c->j, &jc, 0, c->img, c->len, NULL, &c->twin) < 0;
		if (!bad && c->fault.mode == DFAULT_TORN_GARBAGE) {
			memcpy(c->img + off, c->cache + off, (size_t)ulen);
			bad = judge_collect(&c->j, &jc, 0, c->img, c->len, NULL, &c->twin) < 0;
		}
	} else {
		if (c->disk0)
			build(c, c->disk0, units, n, NULL, 0);
		bad = judge_collect(&c->j, &jc, 0, c->img, c->len, NULL, &c->twin) < 0;
	}
	if (bad)
		return -1;
	return judge_fault_verdicts(&c->got, &c->twin, fn, arg);
}

const char *crash_unit_state_name(crash_unit_state s)
{
	static const char *const names[CRASH_UNIT_STATES] = {"synced",  "persisted",   "lost",   "garbage",
							       "rotten", "misdirected", "missing"};
	return (unsigned)s < CRASH_UNIT_STATES ? names[s] : "?";
}

void crash_one_unit_states(const crash_one *c, const uint64_t *units, size_t n, const uint64_t *dev, size_t ndev,
			   uint8_t *states)
{
	enum { LISTED = 1, DEVICE = 2 }; /* scratch marks, replaced below */
	uint64_t nunits = (c->len + c->unit - 1) / c->unit;
	memset(states, 0, (size_t)nunits);
	for (size_t i = 0; i < ndev; i++)
		if (dev[i] < nunits && device_slot(c, dev[i]) != SIZE_MAX)
			states[dev[i]] = DEVICE;
	for (size_t i = 0; i < n; i++)
		if (units[i] < nunits)
			states[units[i]] = LISTED; /* the cache's bytes win over the device's (build) */
	for (uint64_t u = 0; u < nunits; u++) {
		uint64_t off = u * c->unit, ulen = c->len - off < c->unit ? c->len - off : c->unit;
		const uint8_t *img = states[u] == LISTED   ? c->cache + off
				     : states[u] == DEVICE ? dfault_shadow_device(&c->sh, device_slot(c, u))
							   : c->disk + off;
		if (memcmp(img, c->cache + off, (size_t)ulen))
			states[u] = CRASH_UNIT_LOST;
		else
			states[u] = memcmp(c->disk + off, c->cache + off, (size_t)ulen) ? CRASH_UNIT_PERSISTED : CRASH_UNIT_SYNCED;
	}
	/* The fault's own units (crash_one_judge_ex applies torn garbage and rot last). */
	const dfault *f = &c->fault;
	if ((f->mode == DFAULT_TORN_GARBAGE || f->mode == DFAULT_ROT) && f->unit < nunits)
		states[f->unit] = f->mode == DFAULT_TORN_GARBAGE ? CRASH_UNIT_GARBAGE : CRASH_UNIT_ROTTEN;
	if (f->mode == DFAULT_MISDIRECT && dfault_shadow_active(&c->sh) && c->sh.n == 2 && dfault_shadow_held(&c->sh, 1) &&
	    c->sh.units[1] < nunits && states[c->sh.units[1]] == CRASH_UNIT_LOST)
		states[c->sh.units[1]] = CRASH_UNIT_MISDIRECTED;
	for (uint64_t u = (c->img_len + c->unit - 1) / c->unit; u < nunits; u++)
		states[u] = CRASH_UNIT_MISSING;
}

void crash_one_free(crash_one *c)
{
	free(c->op_sync0);
	free(c->disk);
	free(c->cache);
	free(c->img);
	free(c->dirty);
	free(c->events);
	free(c->roles);
	free(c->keys);
	model_free(&c->before);
	model_free(&c->after);
	if (c->j.view)
		judge_free(&c->j);
	dfault_shadow_free(&c->sh);
	free(c->disk0);
	if (c->have_lie)
		model_free(&c->lie_before);
	judge_verdicts_free(&c->got);
	judge_verdicts_free(&c->twin);
	memset(c, 0, sizeof *c);
}
