/* dfault.c — disk faults beyond power loss: what each one does to the durable bytes.
 * Which faults are tried at which crash point, and at what cost, is crash_faults.c's
 * business; judging the result is judge.c's.
 *
 * Method:
 *
 * The plain crash model (simdisk.c) trusts the device: a unit is old or new after a
 * crash, a completed sync is durable, a size change is durable at once. Storage does
 * worse, and the most trusted crash testers model it (TigerBeetle's storage simulator,
 * SQLite's crash VFS, RocksDB's FaultInjectionTestFS, LazyFS). Each fault below is one
 * departure from simdisk's disk, on one crash image; faults are never combined.
 *
 * Torn garbage (no sector atomicity). A unit being written when the power fails may hold
 * neither its old nor its new bytes: a device that lost power mid-sector leaves what its
 * write head or its FTL had, here one of three fills: every byte 0, every byte 0xFF, or
 * seeded bytes (the splitmix64 stream of `arg`, little-endian words). "Being written" =
 * dirty at that crash point (cache != disk).
 *
 * Rot (latent sector errors, bit rot). A unit of the durable image that was written
 * correctly is later read back wrong: one bit flipped (bit `arg`: byte arg/8, bit arg%8),
 * or the whole unit read as zeros (a sector the device remapped and lost). It applies to
 * the disk as it is at a crash point, after any completed sync.
 *
 * Misdirected write (TigerBeetle's "misdirected I/O"). A sync writes one of its units,
 * `unit`, at another unit's offset, `target`: the intended unit keeps its old bytes and
 * the target gets the new bytes meant for `unit`. The OS believes both written (it
 * issued the write), so neither is dirty afterwards: like a lost write (simdisk.c) they
 * stay wrong until a later completed sync whose range covers them (the pager stores
 * every byte of a range before syncing it, so that sync rewrites the unit: simdisk's
 * rule for lost units), or until the pager changes the unit's cache bytes (then it is
 * an ordinary dirty unit: any crash image may hold its new cache bytes).
 *
 * Lying sync (a volatile device cache that acknowledged a flush it did not do). A sync
 * returns success, but the units it wrote are still in the device's cache: each may or
 * may not reach the medium before the power fails, in any order with later writes. They
 * are not lost — a device that drops an acknowledged write is the misdirected write
 * without a target — and they do not stay in the OS's dirty set either (the OS sent
 * them). So from that sync on, each of them is a crash-image choice between its old
 * durable bytes and the bytes the sync wrote (and, if the pager changes it again, its
 * cache bytes: a third choice). It ends at the next completed sync of the file: a
 * device FLUSH is not per range, so the next honest one makes every unit the device
 * holds durable. This is the only fault that lets a later write reach disk before an
 * earlier synced one — the reordering a completed sync otherwise forbids.
 *   Every unit the sync wrote lies. A seeded subset would be weaker: since a lying unit
 *   is a choice at every later crash point, the crash images of "every unit lies"
 *   include those of every subset (all of them up to --exhaustive K choices).
 *
 * Lost size change (LazyFS, SQLite's crash VFS). set_len changes the file's length in
 * the page cache at once, but the new size is durable only when the next sync completes
 * (msync is fdatasync on the range, which persists the size the data needs; a crash
 * before it finds the old length). A crash image may then have the old length: pages
 * past it are missing, the rest is the disk as the crash loop sees it. The pager only
 * grows files; a shrink is still durable at once (dfault does not keep the bytes a
 * shrink drops).
 *
 * A shadow follows one misdirected write or lying sync along a run: before the faulty
 * sync it copies the durable bytes of the sync's range; after it, the units the sync
 * changed are the ones it wrote (simdisk writes dirty and lost units, and a unit whose
 * bytes did not change is not a different image). Later syncs heal units as said above.
 * The shadow never changes simdisk: the pager reads only the cache, so a disk fault
 * cannot change what the pager does until power fails — the crash loop needs no second
 * pager, only a second view of the disk. */
#include "tornpage/dfault.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pager.h"
#include "tornpage/subsets.h"

static const char *const mode_names[DFAULT_NMODES] = {
	"none", "torn-garbage", "rot", "misdirect", "lying-sync", "lost-size",
};

const char *dfault_mode_name(dfault_mode m)
{
	return (unsigned)m < DFAULT_NMODES ? mode_names[m] : "?";
}

int dfault_mode_parse(const char *s, size_t n, dfault_mode *m)
{
	for (unsigned i = 0; i < DFAULT_NMODES; i++) {
		if (strlen(mode_names[i]) == n && memcmp(mode_names[i], s, n) == 0) {
			*m = (dfault_mode)i;
			return 0;
		}
	}
	return -1;
}

int dfault_parse_list(const char *s, unsigned *mask, char *bad, size_t badlen)
{
	unsigned m = 0;
	if (badlen)
		bad[0] = '\0';
	if (!s || !*s)
		return -1;
	if (!strcmp(s, "all")) {
		*mask = DFAULT_ALL_MODES;
		return 0;
	}
	for (const char *p = s;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		dfault_mode mode;
		if (dfault_mode_parse(p, n, &mode) || mode == DFAULT_NONE) {
			if (badlen)
				snprintf(bad, badlen, "%.*s", (int)(n < 40 ? n : 40), p);
			return -1;
		}
		m |= 1u << mode;
		if (!comma)
			break;
		p = comma + 1;
	}
	*mask = m;
	return 0;
}

void dfault_list_text(unsigned mask, char *out, size_t n)
{
	size_t o = 0;
	out[0] = '\0';
	for (unsigned i = 1; i < DFAULT_NMODES; i++) {
		if (!(mask & (1u << i)))
			continue;
		int w = snprintf(out + o, n - o, "%s%s", o ? "," : "", mode_names[i]);
		if (w < 0 || (size_t)w >= n - o)
			return;
		o += (size_t)w;
	}
	if (!o)
		snprintf(out, n, "none");
}

const char *dfault_fill_name(dfault_fill f)
{
	static const char *const names[] = {"seeded", "zeros", "ones", "flip"};
	return (unsigned)f < 4 ? names[f] : "?";
}

void dfault_corrupt(const dfault *f, uint8_t *buf, size_t n)
{
	switch (f->fill) {
	case DFAULT_FILL_ZEROS:
		memset(buf, 0, n);
		break;
	case DFAULT_FILL_ONES:
		memset(buf, 0xFF, n);
		break;
	case DFAULT_FILL_FLIP:
		if (f->arg / 8 < n)
			buf[f->arg / 8] ^= (uint8_t)(1u << (f->arg % 8));
		break;
	case DFAULT_FILL_SEEDED: {
		uint64_t state = f->arg, w = 0;
		for (size_t i = 0; i < n; i++) {
			if (i % 8 == 0) {
				w = subsets_mix64(state);
				state += 0x9E3779B97F4A7C15u;
			}
			buf[i] = (uint8_t)(w >> (8 * (i % 8)));
		}
		break;
	}
	}
}

int dfault_equal(const dfault *a, const dfault *b)
{
	if (a->mode != b->mode)
		return 0;
	switch (a->mode) {
	case DFAULT_TORN_GARBAGE:
	case DFAULT_ROT:
		return a->unit == b->unit && a->fill == b->fill &&
		       ((a->fill != DFAULT_FILL_SEEDED && a->fill != DFAULT_FILL_FLIP) || a->arg == b->arg);
	case DFAULT_MISDIRECT:
		return a->sync == b->sync && a->unit == b->unit && a->target == b->target;
	case DFAULT_LYING_SYNC:
		return a->sync == b->sync;
	default:
		return 1;
	}
}

int dfault_format(const dfault *f, char *out, size_t n)
{
	int w;
	switch (f->mode) {
	case DFAULT_TORN_GARBAGE:
	case DFAULT_ROT:
		if (f->fill == DFAULT_FILL_SEEDED || f->fill == DFAULT_FILL_FLIP)
			w = snprintf(out, n, "%s unit %" PRIu64 " %s %" PRIu64, dfault_mode_name(f->mode), f->unit,
				     dfault_fill_name(f->fill), f->arg);
		else
			w = snprintf(out, n, "%s unit %" PRIu64 " %s", dfault_mode_name(f->mode), f->unit,
				     dfault_fill_name(f->fill));
		break;
	case DFAULT_MISDIRECT:
		w = snprintf(out, n, "misdirect sync %" PRIu32 " unit %" PRIu64 " to %" PRIu64, f->sync, f->unit,
			     f->target);
		break;
	case DFAULT_LYING_SYNC:
		w = snprintf(out, n, "lying-sync sync %" PRIu32, f->sync);
		break;
	case DFAULT_LOST_SIZE:
		w = snprintf(out, n, "lost-size");
		break;
	default:
		w = snprintf(out, n, "none");
		break;
	}
	return w < 0 || (size_t)w >= n ? -1 : 0;
}

/* ---- classes: the mode and the role of the page the fault hit ---- */

/* Most telling first: the class of a unit spanning several pages is its best page's. */
int dfault_role_rank(uint8_t r)
{
	switch (r) {
	case PAGER_ROLE_SUPERBLOCK:
	case PAGER_ROLE_ROOT: return 0; /* format 2's root slots: its superblock and metadata */
	case PAGER_ROLE_META_A:
	case PAGER_ROLE_META_B: return 1;
	case PAGER_ROLE_DIRECTORY: return 2;
	case PAGER_ROLE_PROTECTED: return 3;
	case PAGER_ROLE_REGULAR: return 4;
	case PAGER_ROLE_FREE: return 5;
	default: return 6;
	}
}

static const char *role_class(uint8_t r)
{
	static const char *const names[] = {"superblock", "meta", "directory", "protected", "regular", "free", "beyond"};
	return names[dfault_role_rank(r)];
}

/* The best role of the pages unit u covers; roles may be NULL (pages 0-2 by number). */
uint8_t dfault_unit_role(const uint8_t *roles, uint64_t npages, uint64_t u, uint32_t unit, size_t ps)
{
	uint64_t first = u * unit / ps, last = (u * unit + unit - 1) / ps;
	uint8_t best = PAGER_ROLE_BEYOND;
	for (uint64_t p = first; p <= last; p++) {
		uint8_t r = roles && p < npages ? roles[p]
			    : p == 0 ? PAGER_ROLE_SUPERBLOCK : p == 1 ? PAGER_ROLE_META_A
			    : p == 2 ? PAGER_ROLE_META_B : PAGER_ROLE_BEYOND;
		if (dfault_role_rank(r) < dfault_role_rank(best))
			best = r;
	}
	return best;
}

void dfault_class(const dfault *f, const uint64_t *units, size_t nunits, const uint8_t *roles, uint64_t npages,
		  uint32_t unit, size_t ps, char *out, size_t n)
{
	switch (f->mode) {
	case DFAULT_TORN_GARBAGE:
	case DFAULT_ROT:
	case DFAULT_MISDIRECT:
		snprintf(out, n, "%s/%s", dfault_mode_name(f->mode), role_class(dfault_unit_role(roles, npages, f->unit, unit, ps)));
		break;
	case DFAULT_LYING_SYNC: {
		uint8_t best = PAGER_ROLE_BEYOND;
		for (size_t i = 0; units && i < nunits; i++) {
			uint8_t r = dfault_unit_role(roles, npages, units[i], unit, ps);
			if (dfault_role_rank(r) < dfault_role_rank(best))
				best = r;
		}
		snprintf(out, n, "%s/%s", dfault_mode_name(f->mode), role_class(best));
		break;
	}
	default:
		snprintf(out, n, "%s", dfault_mode_name(f->mode));
		break;
	}
}

/* ---- seeded choices: each a mix of the run's seed and where it is used ---- */

static uint64_t mix3(uint64_t a, uint64_t b, uint64_t c)
{
	return subsets_mix64(subsets_mix64(subsets_mix64(a) ^ b) ^ c);
}

uint64_t dfault_garbage_seed(uint64_t seed, uint64_t point, uint64_t unit)
{
	return mix3(seed ^ 0x67617262u, point, unit);
}

uint64_t dfault_rot_bit(uint64_t seed, uint64_t point, uint64_t unit, uint32_t k, size_t len)
{
	return len ? mix3(seed ^ 0x726f74u ^ ((uint64_t)k << 32), point, unit) % ((uint64_t)len * 8) : 0;
}

size_t dfault_pick(uint64_t seed, uint32_t sync, uint64_t unit, size_t n)
{
	return n ? (size_t)(mix3(seed ^ 0x6d6973u, sync, unit) % n) : 0;
}

/* ---- the shadow ---- */

int dfault_shadow_init(dfault_shadow *s, const dfault *f, uint32_t unit)
{
	memset(s, 0, sizeof *s);
	if (f->mode != DFAULT_MISDIRECT && f->mode != DFAULT_LYING_SYNC)
		return -1;
	s->f = *f;
	s->unit = unit;
	return 0;
}

void dfault_shadow_free(dfault_shadow *s)
{
	free(s->units);
	free(s->pre);
	free(s->wrote);
	free(s->healed);
	memset(s, 0, sizeof *s);
}

static int shadow_reserve(dfault_shadow *s, size_t n)
{
	if (n <= s->cap)
		return 0;
	if (n > SIZE_MAX / s->unit / 2)
		return -1;
	uint64_t *u = realloc(s->units, n * sizeof *u);
	if (u)
		s->units = u;
	uint8_t *p = u ? realloc(s->pre, n * s->unit) : NULL;
	if (p)
		s->pre = p;
	uint8_t *w = p ? realloc(s->wrote, n * s->unit) : NULL;
	if (w)
		s->wrote = w;
	uint8_t *h = w ? realloc(s->healed, n) : NULL;
	if (!h)
		return -1;
	s->healed = h;
	s->cap = n;
	return 0;
}

/* Units of [off, off+len) clipped to the file: [*first, *last]; 0 when empty. */
static int range_units(const simdisk *d, uint64_t off, uint64_t len, uint64_t *first, uint64_t *last)
{
	uint64_t flen = simdisk_len(d), unit = simdisk_unit(d);
	if (!len || off >= flen)
		return 0;
	uint64_t end = len > flen - off ? flen : off + len;
	*first = off / unit;
	*last = (end - 1) / unit;
	return 1;
}

static void copy_unit(const simdisk *d, uint64_t u, uint8_t *out, uint32_t unit)
{
	uint64_t n = simdisk_unit_len(d, u);
	memset(out, 0, unit);
	memcpy(out, simdisk_disk(d) + u * unit, (size_t)n);
}

/* Before the faulty sync: the durable bytes of its range, into pre (one slot per unit). */
static void shadow_before(dfault_shadow *s, const simdisk *d, const simdisk_event *ev)
{
	uint64_t first, last;
	s->n = 0;
	if (!range_units(d, ev->off, ev->len, &first, &last))
		return;
	if (last - first + 1 > SIZE_MAX / 2 || shadow_reserve(s, (size_t)(last - first + 1))) {
		s->oom = 1;
		return;
	}
	for (uint64_t u = first; u <= last; u++) {
		s->units[s->n] = u;
		copy_unit(d, u, s->pre + s->n * s->unit, s->unit);
		s->n++;
	}
}

/* s (whose room holds 2 units) follows the misdirected write of from's unit i to
 * target: slot 0 the unit (it keeps from's old bytes), slot 1 the target (it holds the
 * unit's new bytes), when the target is in the file. from may be s itself. */
static void misdirect_from(dfault_shadow *s, const dfault_shadow *from, size_t i, uint64_t target, uint64_t nunits)
{
	uint32_t unit = s->unit;
	if (s != from || i != 0) {
		s->units[0] = from->units[i];
		memmove(s->pre, from->pre + i * unit, unit);
		memmove(s->wrote, from->wrote + i * unit, unit);
	}
	s->healed[0] = 0;
	s->n = 1;
	if (target < nunits) {
		s->units[1] = target;
		/* The target's slot: "pre" is unused; it holds the unit's new bytes. */
		memcpy(s->wrote + unit, s->wrote, unit);
		s->healed[1] = 0;
		s->n = 2;
	}
	s->f.target = target;
	s->state = 1;
}

/* Right after it: keep the units it changed, with what it wrote. */
static void shadow_after(dfault_shadow *s, const simdisk *d)
{
	size_t k = 0, w_at = SIZE_MAX;
	for (size_t i = 0; i < s->n; i++) {
		uint8_t *pre = s->pre + i * s->unit;
		uint64_t u = s->units[i];
		uint64_t len = simdisk_unit_len(d, u);
		if (len == 0 || memcmp(pre, simdisk_disk(d) + u * s->unit, (size_t)len) == 0)
			continue; /* not written (or written with the same bytes: no other image) */
		if (k != i) {
			s->units[k] = u;
			memcpy(s->pre + k * s->unit, pre, s->unit);
		}
		copy_unit(d, u, s->wrote + k * s->unit, s->unit);
		s->healed[k] = 0;
		if (u == s->f.unit)
			w_at = k;
		k++;
	}
	s->n = k;
	if (s->f.mode == DFAULT_LYING_SYNC) {
		s->state = s->n ? 1 : 2;
		return;
	}
	/* Misdirect: follow the unit (stays old) and the target (holds the unit's new bytes). */
	if (w_at == SIZE_MAX || s->f.target == s->f.unit) {
		s->state = 2; /* the sync did not write that unit: nothing was misdirected */
		s->n = 0;
		return;
	}
	if (shadow_reserve(s, 2)) {
		s->oom = 1;
		s->state = 2;
		return;
	}
	misdirect_from(s, s, w_at, s->f.target, simdisk_unit_count(d));
}

int dfault_shadow_misdirect(dfault_shadow *out, const dfault_shadow *from, size_t i, uint64_t target,
			    uint64_t nunits)
{
	dfault f = from->f;
	f.mode = DFAULT_MISDIRECT;
	f.unit = i < from->n ? from->units[i] : 0;
	f.target = target;
	if (dfault_shadow_init(out, &f, from->unit) || i >= from->n || from->state != 1 || target == f.unit ||
	    shadow_reserve(out, 2)) {
		dfault_shadow_free(out);
		return -1;
	}
	misdirect_from(out, from, i, target, nunits);
	return 0;
}

void dfault_shadow_sync(dfault_shadow *s, const simdisk *d, const simdisk_event *ev, simdisk_phase phase)
{
	if (s->oom || s->state == 2)
		return;
	if (s->state == 0) {
		if (ev->index != s->f.sync)
			return;
		if (phase == SIMDISK_BEFORE_SYNC)
			shadow_before(s, d, ev);
		else
			shadow_after(s, d);
		if (s->oom)
			s->state = 2;
		return;
	}
	if (phase != SIMDISK_AFTER_SYNC || ev->index <= s->f.sync)
		return;
	if (s->f.mode == DFAULT_LYING_SYNC) {
		s->state = 2; /* the next completed sync flushes the device: all durable */
		return;
	}
	uint64_t first, last;
	int left = 0;
	if (range_units(d, ev->off, ev->len, &first, &last))
		for (size_t i = 0; i < s->n; i++)
			if (s->units[i] >= first && s->units[i] <= last)
				s->healed[i] = 1;
	for (size_t i = 0; i < s->n; i++)
		left |= !s->healed[i];
	if (!left)
		s->state = 2;
}

int dfault_shadow_active(const dfault_shadow *s)
{
	return s->state == 1;
}

const uint8_t *dfault_shadow_held(const dfault_shadow *s, size_t i)
{
	if (s->state != 1 || i >= s->n || s->healed[i])
		return NULL;
	if (s->f.mode == DFAULT_MISDIRECT && i == 1)
		return s->wrote + s->unit; /* the target: the unit's new bytes */
	return s->pre + i * s->unit;
}

const uint8_t *dfault_shadow_device(const dfault_shadow *s, size_t i)
{
	if (s->state != 1 || i >= s->n || s->healed[i] || s->f.mode != DFAULT_LYING_SYNC)
		return NULL;
	return s->wrote + i * s->unit;
}
