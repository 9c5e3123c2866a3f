/* simdisk.h — a simulated disk: a pager_io over one in-memory file with a page cache.
 *
 * Two byte arrays: cache (what the mapping shows, survives close/reopen) and disk (what
 * survives power loss); sync copies changed units from one to the other and is recorded.
 * It is not a crash enumerator (subsets.h, the crash module) nor a judge: it only keeps
 * the two states honest and lets the harness look at them. Rules: simdisk.c "Method:".
 *
 * Return convention: 0 or a positive errno, as pager_io.h. */
#ifndef TORNPAGE_SIMDISK_H
#define TORNPAGE_SIMDISK_H

#include <stddef.h>
#include <stdint.h>

#include "pager_io.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct simdisk simdisk;

typedef struct simdisk_event { /* one sync call */
	uint32_t index;         /* 0-based count of sync calls on this disk */
	const char *step;       /* fault-point name of the call site (pager string literal) */
	uint64_t off, len;      /* range asked, bytes */
	uint32_t units_written; /* units that differed and were copied to disk */
} simdisk_event;

typedef enum simdisk_phase { SIMDISK_BEFORE_SYNC = 0, SIMDISK_AFTER_SYNC = 1 } simdisk_phase;

/* Called before and after every sync (also in borrow mode). BEFORE: disk not yet
 * updated, ev->units_written = 0, simdisk_sync_count(d) == ev->index. AFTER: disk
 * updated, the event recorded, simdisk_sync_count(d) == ev->index + 1. The hook may read
 * d, snapshot it (simdisk_copy into another disk) and build images; it must not change
 * d (no load/borrow/fail_sync/set_len on d). */
typedef void (*simdisk_hook_fn)(void *arg, simdisk *d, const simdisk_event *ev, simdisk_phase phase);

/* Called when the pager's fault point failed a call before it reached simdisk
 * (pager_io.faulted): step is the point's name, [off, off+len) the sync range (0, 0 for
 * other methods), err the injected errno. A failed call changed nothing, except that a
 * failed unmap or close makes simdisk forget that mapping or handle (the pager drops
 * them whatever the result; the real leak would be harmless) before the hook runs. A fault-matrix case that models Linux's failed msync calls
 * simdisk_fail_sync(d, off, len, ...) from here. Same restrictions as simdisk_hook_fn,
 * except that simdisk_fail_sync is allowed. */
typedef void (*simdisk_fault_fn)(void *arg, simdisk *d, const char *step, uint64_t off,
				 uint64_t len, int err);

#define SIMDISK_MIN_UNIT 512u

simdisk *simdisk_new(uint32_t unit);    /* unit: power of two >= 512; NULL on bad unit/OOM */
void simdisk_free(simdisk *d);
const pager_io *simdisk_io(simdisk *d); /* a pager_io whose ctx is d (owned by d) */
uint32_t simdisk_unit(const simdisk *d);
int simdisk_exists(const simdisk *d);
uint64_t simdisk_len(const simdisk *d);
const uint8_t *simdisk_cache(const simdisk *d); /* len = simdisk_len */
const uint8_t *simdisk_disk(const simdisk *d);
uint8_t *simdisk_cache_mut(simdisk *d);         /* tests poke bytes */
/* Units in the file: ceil(len / unit); the last one may be partial. */
uint64_t simdisk_unit_count(const simdisk *d);
/* Byte length of unit i (unit, or less for the last one; 0 past the end). */
uint64_t simdisk_unit_len(const simdisk *d, uint64_t i);

/* Dirty units: unit indexes where cache != disk, ascending, excluding lost units.
 * Returns the count; writes at most cap (units may be NULL when cap is 0). */
size_t simdisk_dirty(const simdisk *d, uint64_t *units, size_t cap);

void simdisk_set_hook(simdisk *d, simdisk_hook_fn fn, void *arg); /* before and after every sync */
void simdisk_set_fault_hook(simdisk *d, simdisk_fault_fn fn, void *arg);
uint32_t simdisk_sync_count(const simdisk *d);
/* Every sync so far, in order (n = simdisk_sync_count). Valid until the next sync,
 * load, borrow or copy into d. */
const simdisk_event *simdisk_events(const simdisk *d, size_t *n);

/* Load an image as both cache and disk (file exists, not open, no lost units, sync
 * count and events reset). 0, ENOMEM, or EBUSY when the file is open or mapped. */
int simdisk_load(simdisk *d, const uint8_t *img, uint64_t len);
/* Borrow mode, to judge crash images fast: cache = disk = the caller's buffer, no copy,
 * no allocation; the file exists, sync count and events reset. Syncs are no-ops that
 * still count (and call the hook); set_len is refused with EROFS; fail_sync does
 * nothing. Stores through the mapping land in img. Ends with the next load or copy into
 * d. 0, or EBUSY when the file is open or mapped. img must outlive the borrow. */
int simdisk_borrow(simdisk *d, uint8_t *img, uint64_t len);
/* Copy state (exists, length, cache, disk, lost marks, sync count, events; not the
 * hooks, not dst's open handles or mapping) from src into dst, reusing dst's buffers
 * (for the fault matrix's snapshots). When dst is mapped its cache pointer must stay
 * valid: src must have the mapping's length and the copy must not need to move the
 * buffer, else EBUSY. 0, ENOMEM or EBUSY. */
int simdisk_copy(simdisk *dst, const simdisk *src);
/* simdisk_copy again, by what changed (the fault matrix restores its snapshot between
 * cases): dst was made a copy of src (simdisk_copy), src has not changed since, and dst
 * only through its own methods and stores into its cache; ranges[2i], ranges[2i+1] (off,
 * len) cover every range dst synced or failed to sync since. The cache is copied in
 * full, the disk over those ranges only, the lost marks and the sync count as src's
 * (events past src's count are dropped, the others are src's already). When dst is
 * mapped or open, or its length changed (set_len) since: a full simdisk_copy. 0, ENOMEM
 * or EBUSY. */
int simdisk_restore(simdisk *dst, const simdisk *src, const uint64_t *ranges, size_t nranges);

/* Lost writes (Linux after a failed msync, Rebello et al. ATC'20): of the dirty units
 * overlapping [off, off+len), those with persist(i) reach disk; the others keep their
 * cache bytes but are marked lost: simdisk_dirty does not report them (no crash image
 * includes them) and a sync of a range that does not cover them never writes them. The
 * mark ends when the pager changes that unit's cache bytes again (a 64-bit hash of the
 * content at loss time is kept) or when a later successful sync's range covers the unit:
 * that sync writes it, as the pager stores every byte of a range before syncing it
 * (simdisk.c "Lost writes"; docs/crash-model.md §10). persist(i) = persist_none ? 0 :
 * top bit of subsets_mix64(seed ^ subsets_mix64(i)), i the unit index in the file.
 * Not a sync: no event, no hook, the sync count does not move. No-op in borrow mode. */
void simdisk_fail_sync(simdisk *d, uint64_t off, uint64_t len, uint64_t seed, int persist_none);
/* Units currently lost (marked, cache still as at loss time and != disk). */
size_t simdisk_lost(const simdisk *d, uint64_t *units, size_t cap);

/* Handles: open() calls not yet closed, and whether a mapping exists. */
uint32_t simdisk_open_count(const simdisk *d);
int simdisk_mapped(const simdisk *d);
/* The process died: its handles and mapping are gone (the kernel closes and unmaps);
 * cache and disk are kept (the page cache outlives the process). Use before reopening
 * after a pager was abandoned; that pager must not be used again. */
void simdisk_process_exit(simdisk *d);
/* Power loss with nothing written back: process_exit, then cache := disk, lost marks
 * cleared. (A crash image with some units written back: simdisk_image + simdisk_load.) */
void simdisk_power_loss(simdisk *d);

/* Crash image: out (simdisk_len bytes) := disk, then the cache bytes of units[i] for
 * every i < n with mask[i] (units: e.g. from simdisk_dirty; mask: from subsets_next). */
void simdisk_image(const simdisk *d, const uint64_t *units, const uint8_t *mask, size_t n,
		   uint8_t *out);
/* One unit of an image: out's unit i := cache (from_cache) or disk bytes. With the
 * Gray-code order of subsets_next, one call per subset updates the image. */
void simdisk_put_unit(const simdisk *d, uint8_t *out, uint64_t unit, int from_cache);

#ifdef __cplusplus
}
#endif
#endif
