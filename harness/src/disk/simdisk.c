/* simdisk.c — the simulated disk: one file, a page cache and a disk, as a pager_io.
 * It decides what is durable at each sync; it does not choose crash images (subsets.c)
 * nor judge them (the invariants).
 *
 * Method:
 *
 * One simulated file per simdisk (the open() path is not looked at). It has two byte
 * arrays of the same length: the *cache*, what every mapping shows (the OS page cache:
 * it survives close and reopen by the process, and process death), and the *disk*, what
 * survives power loss. The pager writes into the cache through the pointer map()
 * returned; nothing reaches the disk except through the rules below.
 *
 * Units. The disk is divided into units of `unit` bytes (512, 1024, 4096 or the page
 * size; a power of two >= 512), the atomic write size: after a crash a unit holds either
 * all its old or all its new bytes, never a mix. Unit i covers [i*unit, (i+1)*unit),
 * clipped to [0, len); when len is not a multiple of unit the last unit is partial. A unit is
 * *dirty* when its cache and disk bytes differ (and it is not lost, below).
 *
 * sync(off, len) (msync MS_SYNC) copies from cache to disk every dirty unit that
 * overlaps [off, off+len), whole: a unit only partly inside the range is written
 * entirely, as msync works on whole pages. Clean units are not counted. It then records
 * an event (index, step, range, units written). A hook, if set, runs just before (disk
 * untouched) and just after (disk updated, event recorded): the crash points. Since a
 * sync copies before returning, nothing written before a completed sync can be
 * reordered after it: the only nondeterminism left is *which* dirty units the OS wrote
 * back on its own, which is what the crash enumerator chooses (subsets.c).
 *
 * set_len changes the length of cache and disk at once: we assume size changes are
 * durable immediately (on Linux msync is fdatasync, which persists the size; the seed
 * never depends on losing one). Extension fills both with zeros; shrinking drops the
 * tail of both. Refused while mapped (EBUSY): the pager always unmaps first, and this
 * keeps the mapped pointer stable. The created file is durable at once too.
 *
 * open(create=1) fails with EEXIST if the file exists, open(create=0) with ENOENT if it
 * does not; several opens may be outstanding (counted); close keeps cache and disk.
 * map: one mapping at a time (EBUSY), of exactly the file's length (EINVAL otherwise,
 * and for length 0, as mmap(2) refuses it: the pager never maps an empty file, which it
 * reports as CorruptSuperblock like the seed, whose memmap2 maps it as an empty slice);
 * it returns the cache itself.
 * unmap changes no byte. sync and unmap need the live mapping's address (EINVAL) and a
 * range inside it (ENOMEM, as msync on unmapped memory). When a fault point fails an
 * unmap or a close before it reaches us (pager_io.faulted), the mapping or handle is
 * forgotten: the pager never uses it again, and in reality it would leak harmlessly.
 *
 * Lost writes. After a failed msync, Linux may have written some of the range and marks
 * the rest of the pages clean anyway (Rebello et al., "Can applications recover from
 * fsync failures?", ATC 2020): the process still reads its new bytes from the cache,
 * but no later sync writes them. simdisk_fail_sync models this: each dirty unit of the
 * range either reaches disk or becomes *lost*: it keeps its cache bytes, is no longer
 * dirty and no crash image includes it, until the pager changes its bytes again or syncs
 * a range that covers it. Stores through a mapping cannot be observed, so a change is
 * detected by a 64-bit hash of the unit's cache at loss time (XXH64). A later sync of a
 * range covering a lost unit writes it: the pager stores every byte of a range before
 * syncing it (it re-encodes whole pages), and on Linux a store re-dirties the page even
 * when it writes the same bytes. A client that synced without storing would differ.
 *
 * Borrow mode, for judging crash images fast: cache and disk are the caller's one
 * buffer, nothing is copied or allocated; syncs count but write nothing, set_len is
 * refused (EROFS).
 *
 * Invariants:
 *   (1) len <= cache_cap and len <= disk_cap when not borrowed; lost_cap >= units(len).
 *   (2) nlost == number of i with lost[i] != 0; every lost[i] is 0 when nlost == 0.
 *   (3) mapped implies map_len == len and the mapped address is `cache`, which does not
 *       move while mapped (set_len, load and borrow are refused; copy keeps it).
 *   (4) events[0..syncs) are the syncs in order, events[k].index == k. */
#include "tornpage/simdisk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pager.h"
#include "tornpage/subsets.h"

struct simdisk {
	pager_io io;            /* the methods handed to the pager; io.ctx == this */
	uint32_t unit;          /* atomic write unit, bytes: power of two >= 512 */
	unsigned unit_shift;    /* log2(unit) */
	int exists;             /* the file exists (created or loaded) */
	int borrowed;           /* 1: cache == disk == the caller's buffer (borrow mode) */
	uint64_t len;           /* file length, bytes (cache and disk alike) */
	uint8_t *cache;         /* current cache: cache_buf, or the borrowed buffer */
	uint8_t *disk;          /* current disk: disk_buf, or the borrowed buffer */
	uint8_t *cache_buf;     /* owned cache storage, cache_cap bytes */
	uint8_t *disk_buf;      /* owned disk storage, disk_cap bytes */
	uint64_t cache_cap;     /* bytes allocated at cache_buf */
	uint64_t disk_cap;      /* bytes allocated at disk_buf */
	uint8_t *lost;          /* per unit: 1 = marked lost by simdisk_fail_sync */
	uint64_t *lost_hash;    /* per unit: subsets_unit_hash of its cache at loss time */
	uint64_t lost_cap;      /* units allocated in lost and lost_hash */
	uint64_t nlost;         /* marks set in lost (0: skip every lost check) */
	uint32_t opens;         /* open() calls not yet closed */
	int mapped;             /* a mapping exists */
	uint64_t map_len;       /* its length, bytes (== len while mapped) */
	uint32_t syncs;         /* completed sync calls since new/load/borrow */
	simdisk_event *events;  /* events[0..syncs): every sync, in order */
	size_t events_cap;      /* entries allocated in events */
	simdisk_hook_fn hook;   /* called before and after every sync, or NULL */
	void *hook_arg;         /* its first argument */
	simdisk_fault_fn fault_hook; /* told of injected faults (pager_io.faulted), or NULL */
	void *fault_arg;        /* its first argument */
	uint32_t resized;       /* set_len calls since the last copy into this disk (restore) */
};

/* ---- units ---------------------------------------------------------------------- */

static uint64_t simdisk_units_of(const simdisk *d, uint64_t len)
{
	return (len >> d->unit_shift) + ((len & (d->unit - 1)) != 0);
}

uint64_t simdisk_unit_count(const simdisk *d)
{
	return simdisk_units_of(d, d->len);
}

uint64_t simdisk_unit_len(const simdisk *d, uint64_t i)
{
	if (i >= simdisk_unit_count(d))
		return 0;
	uint64_t off = i << d->unit_shift;
	uint64_t rest = d->len - off;
	return rest < d->unit ? rest : d->unit;
}

enum simdisk_unit_state { SIMDISK_CLEAN, SIMDISK_DIRTY, SIMDISK_LOST };

/* i < unit count. Lost: marked, still different from disk, and the cache bytes are
 * those the mark remembers (the pager has not written the unit since). */
static enum simdisk_unit_state simdisk_state(const simdisk *d, uint64_t i)
{
	uint64_t off = i << d->unit_shift;
	uint64_t n = simdisk_unit_len(d, i);
	if (d->cache == d->disk || memcmp(d->cache + off, d->disk + off, (size_t)n) == 0)
		return SIMDISK_CLEAN;
	if (d->nlost && d->lost[i] &&
	    subsets_unit_hash(i, d->cache + off, (size_t)n) == d->lost_hash[i])
		return SIMDISK_LOST;
	return SIMDISK_DIRTY;
}

static void simdisk_unmark(simdisk *d, uint64_t i)
{
	if (d->nlost && i < d->lost_cap && d->lost[i]) {
		d->lost[i] = 0;
		d->nlost--;
	}
}

static void simdisk_unmark_all(simdisk *d)
{
	if (d->nlost) {
		memset(d->lost, 0, (size_t)d->lost_cap);
		d->nlost = 0;
	}
}

static void simdisk_copy_unit(simdisk *d, uint64_t i)
{
	uint64_t off = i << d->unit_shift;
	memcpy(d->disk + off, d->cache + off, (size_t)simdisk_unit_len(d, i));
}

/* ---- storage -------------------------------------------------------------------- */

static int simdisk_grow(void **p, uint64_t *cap, uint64_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	if (need > SIZE_MAX / elem)
		return ENOMEM;
	void *q = realloc(*p, (size_t)need * elem);
	if (!q)
		return ENOMEM;
	*p = q;
	*cap = need;
	return 0;
}

/* Make the owned buffers hold len bytes (invariant 1). Growing may move cache_buf and
 * disk_buf; callers re-point cache/disk. Contents beyond the old capacity are
 * unspecified except lost marks, which start cleared. */
static int simdisk_reserve(simdisk *d, uint64_t len)
{
	void *p;
	int rc;

	p = d->cache_buf;
	rc = simdisk_grow(&p, &d->cache_cap, len, 1);
	d->cache_buf = p;
	if (rc)
		return rc;
	p = d->disk_buf;
	rc = simdisk_grow(&p, &d->disk_cap, len, 1);
	d->disk_buf = p;
	if (rc)
		return rc;

	uint64_t units = simdisk_units_of(d, len);
	if (units > d->lost_cap) {
		uint64_t old = d->lost_cap, cap_hash = d->lost_cap;
		p = d->lost_hash;
		rc = simdisk_grow(&p, &cap_hash, units, sizeof(uint64_t));
		d->lost_hash = p;
		if (rc)
			return rc;
		p = d->lost;
		rc = simdisk_grow(&p, &d->lost_cap, units, 1);
		d->lost = p;
		if (rc)
			return rc;
		memset(d->lost + old, 0, (size_t)(units - old));
	}
	return 0;
}

static int simdisk_reserve_events(simdisk *d, size_t need)
{
	if (need <= d->events_cap)
		return 0;
	size_t cap = d->events_cap ? d->events_cap : 16;
	while (cap < need) {
		if (cap > SIZE_MAX / 2 / sizeof(simdisk_event))
			return ENOMEM;
		cap *= 2;
	}
	simdisk_event *ev = realloc(d->events, cap * sizeof *ev);
	if (!ev)
		return ENOMEM;
	d->events = ev;
	d->events_cap = cap;
	return 0;
}

/* ---- pager_io methods ----------------------------------------------------------- */

static int simdisk_m_open(void *ctx, const char *step, const char *path, int create, void **file)
{
	simdisk *d = ctx;
	(void)step;
	(void)path; /* one file per simdisk */
	if (create && d->exists)
		return EEXIST;
	if (!create && !d->exists)
		return ENOENT;
	if (d->opens == UINT32_MAX)
		return EMFILE;
	if (create) {
		/* Only a non-existing file is created, so it is owned, empty and unmarked. */
		d->exists = 1;
		d->len = 0;
	}
	d->opens++;
	*file = d;
	return 0;
}

/* The handle is the simdisk itself: opening allocates nothing. */
static int simdisk_handle(simdisk *d, void *file)
{
	return file == (void *)d && d->opens ? 0 : EBADF;
}

static int simdisk_m_size(void *ctx, const char *step, void *file, uint64_t *len)
{
	simdisk *d = ctx;
	(void)step;
	int rc = simdisk_handle(d, file);
	if (rc)
		return rc;
	*len = d->len;
	return 0;
}

static int simdisk_m_set_len(void *ctx, const char *step, void *file, uint64_t len)
{
	simdisk *d = ctx;
	(void)step;
	int rc = simdisk_handle(d, file);
	if (rc)
		return rc;
	if (d->borrowed)
		return EROFS;
	if (d->mapped)
		return EBUSY;
	rc = simdisk_reserve(d, len);
	if (rc)
		return rc;
	d->cache = d->cache_buf;
	d->disk = d->disk_buf;

	uint64_t old = d->len;
	if (len > old) {
		memset(d->cache + old, 0, (size_t)(len - old));
		memset(d->disk + old, 0, (size_t)(len - old));
	}
	d->resized++;
	/* A unit whose extent the size change touches starts afresh: its old loss no
	 * longer describes it (shrunk away, or zero-extended in cache and disk alike). */
	if (d->nlost) {
		uint64_t lo = (old < len ? old : len) >> d->unit_shift;
		uint64_t hi = simdisk_units_of(d, old > len ? old : len);
		for (uint64_t i = lo; i < hi; i++)
			simdisk_unmark(d, i);
	}
	d->len = len;
	return 0;
}

static int simdisk_m_map(void *ctx, const char *step, void *file, uint64_t len, uint8_t **addr)
{
	simdisk *d = ctx;
	(void)step;
	int rc = simdisk_handle(d, file);
	if (rc)
		return rc;
	if (d->mapped)
		return EBUSY;
	if (len == 0 || len != d->len)
		return EINVAL;
	d->mapped = 1;
	d->map_len = len;
	*addr = d->cache;
	return 0;
}

static int simdisk_m_unmap(void *ctx, const char *step, void *file, uint8_t *addr, uint64_t len)
{
	simdisk *d = ctx;
	(void)step;
	if (file != (void *)d)
		return EBADF;
	if (!d->mapped || addr != d->cache || len != d->map_len)
		return EINVAL;
	d->mapped = 0;
	d->map_len = 0;
	return 0;
}

/* Copy every dirty unit overlapping [off, off+len) to disk (whole units). */
static uint32_t simdisk_writeback(simdisk *d, uint64_t off, uint64_t len)
{
	uint32_t written = 0;
	if (len == 0 || d->borrowed)
		return 0;
	uint64_t first = off >> d->unit_shift;
	uint64_t last = (off + len - 1) >> d->unit_shift; /* off + len <= d->len */
	for (uint64_t i = first; i <= last; i++) {
		switch (simdisk_state(d, i)) {
		case SIMDISK_DIRTY:
			simdisk_copy_unit(d, i);
			simdisk_unmark(d, i); /* a stale mark: the pager rewrote the unit */
			written++;
			break;
		case SIMDISK_CLEAN:
			simdisk_unmark(d, i);
			break;
		case SIMDISK_LOST:
			/* Linux marked it clean after the failed msync, but the pager stores
			 * every byte of a range before it syncs it (it re-encodes whole pages),
			 * and a store re-dirties the page even with the same bytes: so this
			 * sync writes it. Units outside later synced ranges stay lost. */
			simdisk_copy_unit(d, i);
			simdisk_unmark(d, i);
			written++;
			break;
		}
	}
	return written;
}

static int simdisk_m_sync(void *ctx, const char *step, void *file, uint8_t *addr, uint64_t off,
			  uint64_t len)
{
	simdisk *d = ctx;
	if (file != (void *)d)
		return EBADF;
	if (!d->mapped)
		return ENOMEM;
	if (addr != d->cache)
		return EINVAL;
	if (off > d->map_len || len > d->map_len - off)
		return ENOMEM;
	if (d->syncs == UINT32_MAX)
		return EOVERFLOW;
	/* Reserve first: a sync that cannot be recorded must not happen either. */
	int rc = simdisk_reserve_events(d, (size_t)d->syncs + 1);
	if (rc)
		return rc;

	simdisk_event ev = { .index = d->syncs, .step = step, .off = off, .len = len,
			     .units_written = 0 };
	if (d->hook)
		d->hook(d->hook_arg, d, &ev, SIMDISK_BEFORE_SYNC);
	ev.units_written = simdisk_writeback(d, off, len);
	d->events[d->syncs] = ev;
	d->syncs++;
	if (d->hook)
		d->hook(d->hook_arg, d, &ev, SIMDISK_AFTER_SYNC);
	return 0;
}

static int simdisk_m_close(void *ctx, const char *step, void *file)
{
	simdisk *d = ctx;
	(void)step;
	int rc = simdisk_handle(d, file);
	if (rc)
		return rc;
	d->opens--; /* a mapping outlives its descriptor, as with mmap */
	return 0;
}

/* The pager_io method called at fault point `step`, from the pager's fault table. */
static const char *simdisk_point_method(const char *step)
{
	size_t n;
	const pager_fault_point *pts = pager_fault_points(&n);
	for (size_t i = 0; step && i < n; i++)
		if (strcmp(pts[i].name, step) == 0)
			return pts[i].io;
	return "";
}

/* A fault point failed a call before it reached us. Two calls need bookkeeping, because
 * the pager forgets the mapping after any unmap attempt and the handle after any close
 * attempt (the seed drops them, ignoring errors): in reality the mapping or descriptor
 * leaks, unused, and later maps and ftruncates still work. A leaked mapping changes no
 * byte, so forgetting it here is the same crash state, and keeps the one-mapping rule
 * from failing the next map or set_len (EBUSY) where a real file would not. */
static void simdisk_m_faulted(void *ctx, const char *step, void *file, uint64_t off,
			      uint64_t len, int err)
{
	simdisk *d = ctx;
	const char *method = simdisk_point_method(step);
	if (file == (void *)d && strcmp(method, "unmap") == 0 && d->mapped) {
		d->mapped = 0;
		d->map_len = 0;
	} else if (file == (void *)d && strcmp(method, "close") == 0 && d->opens) {
		d->opens--;
	}
	if (d->fault_hook)
		d->fault_hook(d->fault_arg, d, step, off, len, err);
}

static const pager_io simdisk_io_template = {
	.version = PAGER_IO_VERSION,
	.ctx = NULL,
	.open = simdisk_m_open,
	.size = simdisk_m_size,
	.set_len = simdisk_m_set_len,
	.map = simdisk_m_map,
	.unmap = simdisk_m_unmap,
	.sync = simdisk_m_sync,
	.close = simdisk_m_close,
	.faulted = simdisk_m_faulted,
};

/* ---- public --------------------------------------------------------------------- */

simdisk *simdisk_new(uint32_t unit)
{
	if (unit < SIMDISK_MIN_UNIT || (unit & (unit - 1)) != 0)
		return NULL;
	simdisk *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->io = simdisk_io_template;
	d->io.ctx = d;
	d->unit = unit;
	while ((UINT32_C(1) << d->unit_shift) != unit)
		d->unit_shift++;
	return d;
}

void simdisk_free(simdisk *d)
{
	if (!d)
		return;
	free(d->cache_buf);
	free(d->disk_buf);
	free(d->lost);
	free(d->lost_hash);
	free(d->events);
	free(d);
}

const pager_io *simdisk_io(simdisk *d)
{
	return &d->io;
}

uint32_t simdisk_unit(const simdisk *d)
{
	return d->unit;
}

int simdisk_exists(const simdisk *d)
{
	return d->exists;
}

uint64_t simdisk_len(const simdisk *d)
{
	return d->len;
}

const uint8_t *simdisk_cache(const simdisk *d)
{
	return d->cache;
}

const uint8_t *simdisk_disk(const simdisk *d)
{
	return d->disk;
}

uint8_t *simdisk_cache_mut(simdisk *d)
{
	return d->cache;
}

size_t simdisk_dirty(const simdisk *d, uint64_t *units, size_t cap)
{
	size_t n = 0;
	uint64_t count = simdisk_unit_count(d);
	if (d->borrowed)
		return 0; /* cache and disk are one buffer */
	for (uint64_t i = 0; i < count; i++) {
		if (simdisk_state(d, i) == SIMDISK_DIRTY) {
			if (n < cap)
				units[n] = i;
			n++;
		}
	}
	return n;
}

size_t simdisk_lost(const simdisk *d, uint64_t *units, size_t cap)
{
	size_t n = 0;
	uint64_t count = simdisk_unit_count(d);
	if (!d->nlost)
		return 0;
	for (uint64_t i = 0; i < count; i++) {
		if (d->lost[i] && simdisk_state(d, i) == SIMDISK_LOST) {
			if (n < cap)
				units[n] = i;
			n++;
		}
	}
	return n;
}

void simdisk_set_hook(simdisk *d, simdisk_hook_fn fn, void *arg)
{
	d->hook = fn;
	d->hook_arg = arg;
}

void simdisk_set_fault_hook(simdisk *d, simdisk_fault_fn fn, void *arg)
{
	d->fault_hook = fn;
	d->fault_arg = arg;
}

uint32_t simdisk_sync_count(const simdisk *d)
{
	return d->syncs;
}

const simdisk_event *simdisk_events(const simdisk *d, size_t *n)
{
	if (n)
		*n = d->syncs;
	return d->events;
}

int simdisk_load(simdisk *d, const uint8_t *img, uint64_t len)
{
	if (d->opens || d->mapped)
		return EBUSY;
	int rc = simdisk_reserve(d, len);
	if (rc)
		return rc;
	d->borrowed = 0;
	d->cache = d->cache_buf;
	d->disk = d->disk_buf;
	if (len) {
		memcpy(d->cache, img, (size_t)len);
		memcpy(d->disk, img, (size_t)len);
	}
	simdisk_unmark_all(d);
	d->exists = 1;
	d->len = len;
	d->syncs = 0;
	d->resized = 1; /* not a copy of anything: no simdisk_restore from here */
	return 0;
}

int simdisk_borrow(simdisk *d, uint8_t *img, uint64_t len)
{
	if (d->opens || d->mapped)
		return EBUSY;
	simdisk_unmark_all(d); /* O(1) unless a fail_sync ran: no work per judged image */
	d->borrowed = 1;
	d->cache = img;
	d->disk = img;
	d->exists = 1;
	d->len = len;
	d->syncs = 0;
	return 0;
}

int simdisk_copy(simdisk *dst, const simdisk *src)
{
	if (dst == src)
		return 0;
	if (dst->unit != src->unit)
		return EINVAL; /* lost marks and events are per unit of src's geometry */
	if (dst->mapped && (src->len != dst->map_len || dst->borrowed || dst->cache_cap < src->len))
		return EBUSY; /* the live mapping's pointer would dangle or change length */
	if (dst->opens && !src->exists)
		return EBUSY;
	int rc = simdisk_reserve(dst, src->len);
	if (!rc)
		rc = simdisk_reserve_events(dst, src->syncs);
	if (rc)
		return rc;
	dst->borrowed = 0;
	dst->cache = dst->cache_buf;
	dst->disk = dst->disk_buf;
	if (src->len) {
		memcpy(dst->cache, src->cache, (size_t)src->len);
		memcpy(dst->disk, src->disk, (size_t)src->len);
	}
	simdisk_unmark_all(dst);
	if (src->nlost) {
		uint64_t units = simdisk_units_of(src, src->len);
		memcpy(dst->lost, src->lost, (size_t)units);
		memcpy(dst->lost_hash, src->lost_hash, (size_t)units * sizeof(uint64_t));
		dst->nlost = 0;
		for (uint64_t i = 0; i < units; i++)
			dst->nlost += dst->lost[i] != 0;
	}
	dst->exists = src->exists;
	dst->len = src->len;
	dst->syncs = src->syncs;
	dst->resized = 0;
	if (src->syncs)
		memcpy(dst->events, src->events, (size_t)src->syncs * sizeof(simdisk_event));
	return 0;
}

int simdisk_restore(simdisk *dst, const simdisk *src, const uint64_t *ranges, size_t nranges)
{
	if (dst == src || dst->unit != src->unit || dst->borrowed || src->borrowed || !dst->exists ||
	    !src->exists || dst->len != src->len || dst->syncs < src->syncs || dst->mapped || dst->opens || dst->resized)
		return simdisk_copy(dst, src);
	if (src->len)
		memcpy(dst->cache, src->cache, (size_t)src->len);
	for (size_t i = 0; i < nranges; i++) {
		uint64_t off = ranges[2 * i], len = ranges[2 * i + 1];
		if (!len || off >= dst->len)
			continue;
		uint64_t last = (len > dst->len - off ? dst->len - 1 : off + len - 1) >> dst->unit_shift;
		for (uint64_t u = off >> dst->unit_shift; u <= last; u++) {
			uint64_t uo = u << dst->unit_shift;
			memcpy(dst->disk + uo, src->disk + uo, (size_t)simdisk_unit_len(dst, u));
		}
	}
	simdisk_unmark_all(dst);
	if (src->nlost) {
		uint64_t units = simdisk_units_of(src, src->len);
		memcpy(dst->lost, src->lost, (size_t)units);
		memcpy(dst->lost_hash, src->lost_hash, (size_t)units * sizeof(uint64_t));
		for (uint64_t i = 0; i < units; i++)
			dst->nlost += dst->lost[i] != 0;
	}
	dst->syncs = src->syncs; /* events[0 .. syncs) are src's still: dst only appended */
	return 0;
}

void simdisk_fail_sync(simdisk *d, uint64_t off, uint64_t len, uint64_t seed, int persist_none)
{
	if (d->borrowed || len == 0 || off >= d->len)
		return;
	uint64_t end = len > d->len - off ? d->len : off + len;
	uint64_t first = off >> d->unit_shift;
	uint64_t last = (end - 1) >> d->unit_shift;
	for (uint64_t i = first; i <= last; i++) {
		if (simdisk_state(d, i) != SIMDISK_DIRTY)
			continue;
		int persist = !persist_none && (subsets_mix64(seed ^ subsets_mix64(i)) >> 63);
		if (persist) {
			simdisk_copy_unit(d, i);
			simdisk_unmark(d, i);
		} else {
			uint64_t uoff = i << d->unit_shift;
			d->lost_hash[i] = subsets_unit_hash(i, d->cache + uoff,
							    (size_t)simdisk_unit_len(d, i));
			if (!d->lost[i]) {
				d->lost[i] = 1;
				d->nlost++;
			}
		}
	}
}

uint32_t simdisk_open_count(const simdisk *d)
{
	return d->opens;
}

int simdisk_mapped(const simdisk *d)
{
	return d->mapped;
}

void simdisk_process_exit(simdisk *d)
{
	d->opens = 0;
	d->mapped = 0;
	d->map_len = 0;
}

void simdisk_power_loss(simdisk *d)
{
	simdisk_process_exit(d);
	if (!d->borrowed && d->len)
		memcpy(d->cache, d->disk, (size_t)d->len);
	simdisk_unmark_all(d);
}

void simdisk_put_unit(const simdisk *d, uint8_t *out, uint64_t unit, int from_cache)
{
	uint64_t n = simdisk_unit_len(d, unit);
	if (n == 0)
		return;
	uint64_t off = unit << d->unit_shift;
	const uint8_t *src = from_cache ? d->cache : d->disk;
	if (out != src) /* out may be the borrowed buffer itself: nothing to do then */
		memcpy(out + off, src + off, (size_t)n);
}

void simdisk_image(const simdisk *d, const uint64_t *units, const uint8_t *mask, size_t n,
		   uint8_t *out)
{
	if (d->len)
		memcpy(out, d->disk, (size_t)d->len);
	for (size_t i = 0; i < n; i++)
		if (mask[i])
			simdisk_put_unit(d, out, units[i], 1);
}
