/* test_simdisk.c — the simulated disk's rules (simdisk.c "Method:"), driven through the
 * pager_io function pointers exactly as the pager calls them wherever possible, and
 * with the real pager on top at the end. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pager.h"
#include "tornpage/simdisk.h"
#include "tornpage/subsets.h"

/* A created, extended and mapped file, as pager_create leaves it. */
typedef struct fx {
	simdisk *d;
	const pager_io *io;
	void *file;
	uint8_t *map;
	uint64_t len;
} fx;

static fx fx_make(uint32_t unit, uint64_t len)
{
	fx f = { 0 };
	f.d = simdisk_new(unit);
	cr_assert_not_null(f.d);
	f.io = simdisk_io(f.d);
	cr_assert_eq(f.io->version, PAGER_IO_VERSION);
	cr_assert_eq(f.io->ctx, (void *)f.d);
	cr_assert_eq(f.io->open(f.io->ctx, "t/open", "db", 1, &f.file), 0);
	cr_assert_eq(f.io->set_len(f.io->ctx, "t/set_len", f.file, len), 0);
	cr_assert_eq(f.io->map(f.io->ctx, "t/map", f.file, len, &f.map), 0);
	f.len = len;
	return f;
}

static int fx_sync(fx *f, const char *step, uint64_t off, uint64_t len)
{
	return f->io->sync(f->io->ctx, step, f->file, f->map, off, len);
}

static size_t dirty(const simdisk *d, uint64_t *units, size_t cap)
{
	return simdisk_dirty(d, units, cap);
}

static void assert_dirty(const simdisk *d, const uint64_t *want, size_t n)
{
	uint64_t got[64];
	size_t k = dirty(d, got, 64);
	cr_assert_eq(k, n, "dirty count %zu, want %zu", k, n);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(got[i], want[i], "dirty[%zu] = %llu, want %llu", i,
			     (unsigned long long)got[i], (unsigned long long)want[i]);
}

Test(simdisk_new, accepts_powers_of_two_from_512_only)
{
	uint32_t bad[] = { 0, 1, 256, 511, 513, 768, 1000, 3u << 10 };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_null(simdisk_new(bad[i]), "unit %u accepted", bad[i]);
	uint32_t good[] = { 512, 1024, 4096, 65536, 1u << 30 };
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		simdisk *d = simdisk_new(good[i]);
		cr_assert_not_null(d);
		cr_assert_eq(simdisk_unit(d), good[i]);
		cr_assert_eq(simdisk_exists(d), 0);
		cr_assert_eq(simdisk_len(d), 0);
		simdisk_free(d);
	}
}

Test(simdisk_open, create_fails_with_eexist_and_open_with_enoent)
{
	simdisk *d = simdisk_new(512);
	const pager_io *io = simdisk_io(d);
	void *file = (void *)&file;
	cr_assert_eq(io->open(io->ctx, "t", "db", 0, &file), ENOENT);
	cr_assert_eq(file, (void *)&file, "a failing open must leave *file alone");
	cr_assert_eq(io->open(io->ctx, "t", "db", 1, &file), 0);
	cr_assert_eq(simdisk_exists(d), 1);
	void *again = NULL;
	cr_assert_eq(io->open(io->ctx, "t", "db", 1, &again), EEXIST);
	cr_assert_null(again);
	cr_assert_eq(io->close(io->ctx, "t", file), 0);
	cr_assert_eq(io->open(io->ctx, "t", "db", 0, &again), 0);
	cr_assert_eq(simdisk_open_count(d), 1);
	cr_assert_eq(io->close(io->ctx, "t", again), 0);
	cr_assert_eq(io->close(io->ctx, "t", again), EBADF, "double close");
	simdisk_free(d);
}

Test(simdisk_map, create_extend_map_gives_zeros_in_cache_and_disk)
{
	fx f = fx_make(512, 4096);
	uint64_t len = 0;
	cr_assert_eq(f.io->size(f.io->ctx, "t", f.file, &len), 0);
	cr_assert_eq(len, 4096);
	cr_assert_eq(f.map, simdisk_cache(f.d), "the mapping is the cache itself");
	for (uint64_t i = 0; i < len; i++)
		cr_assert(f.map[i] == 0 && simdisk_disk(f.d)[i] == 0);
	assert_dirty(f.d, NULL, 0);
	simdisk_free(f.d);
}

Test(simdisk_map, refuses_zero_length_other_length_and_second_mapping)
{
	simdisk *d = simdisk_new(512);
	const pager_io *io = simdisk_io(d);
	void *file;
	uint8_t *addr = (uint8_t *)&addr;
	cr_assert_eq(io->open(io->ctx, "t", "db", 1, &file), 0);
	cr_assert_eq(io->map(io->ctx, "t", file, 0, &addr), EINVAL, "mmap of length 0");
	cr_assert_eq(io->set_len(io->ctx, "t", file, 2048), 0);
	cr_assert_eq(io->map(io->ctx, "t", file, 0, &addr), EINVAL);
	cr_assert_eq(io->map(io->ctx, "t", file, 1024, &addr), EINVAL);
	cr_assert_eq(io->map(io->ctx, "t", file, 4096, &addr), EINVAL);
	cr_assert_eq(addr, (uint8_t *)&addr, "a failing map must leave *addr alone");
	cr_assert_eq(io->map(io->ctx, "t", file, 2048, &addr), 0);
	uint8_t *second = NULL;
	cr_assert_eq(io->map(io->ctx, "t", file, 2048, &second), EBUSY);
	cr_assert_eq(io->set_len(io->ctx, "t", file, 4096), EBUSY, "set_len while mapped");
	cr_assert_eq(simdisk_len(d), 2048);
	cr_assert_eq(io->unmap(io->ctx, "t", file, addr, 1024), EINVAL, "wrong length");
	cr_assert_eq(io->unmap(io->ctx, "t", file, addr + 1, 2048), EINVAL, "wrong address");
	cr_assert_eq(io->unmap(io->ctx, "t", file, addr, 2048), 0);
	cr_assert_eq(io->unmap(io->ctx, "t", file, addr, 2048), EINVAL, "not mapped");
	cr_assert_eq(io->set_len(io->ctx, "t", file, 4096), 0);
	cr_assert_eq(io->close(io->ctx, "t", file), 0);
	cr_assert_eq(io->size(io->ctx, "t", file, &(uint64_t){ 0 }), EBADF, "closed handle");
	simdisk_free(d);
}

Test(simdisk_sync, copies_only_the_changed_units_of_the_range)
{
	fx f = fx_make(512, 4096); /* 8 units */
	f.map[512 + 3] = 0x11;    /* unit 1 */
	f.map[1024 + 500] = 0x22; /* unit 2 */
	f.map[2560] = 0x55;       /* unit 5 */
	assert_dirty(f.d, (uint64_t[]){ 1, 2, 5 }, 3);

	cr_assert_eq(fx_sync(&f, "t/sync", 512, 2048), 0); /* units 1..4 */
	size_t n;
	const simdisk_event *ev = simdisk_events(f.d, &n);
	cr_assert_eq(n, 1);
	cr_assert_eq(ev[0].units_written, 2);
	cr_assert_eq(ev[0].off, 512);
	cr_assert_eq(ev[0].len, 2048);
	const uint8_t *disk = simdisk_disk(f.d);
	cr_assert_eq(disk[512 + 3], 0x11);
	cr_assert_eq(disk[1024 + 500], 0x22);
	cr_assert_eq(disk[2560], 0, "unit 5 is outside the range");
	assert_dirty(f.d, (uint64_t[]){ 5 }, 1);
	simdisk_free(f.d);
}

Test(simdisk_sync, writes_a_unit_partly_in_the_range_whole)
{
	fx f = fx_make(512, 4096);
	f.map[600] = 1;  /* unit 1, before the range */
	f.map[1000] = 2; /* unit 1, in the range */
	f.map[1100] = 3; /* unit 2, after the range */
	cr_assert_eq(fx_sync(&f, "t/sync", 1000, 1), 0);
	const uint8_t *disk = simdisk_disk(f.d);
	cr_assert_eq(disk[600], 1, "the whole unit is written: units are atomic");
	cr_assert_eq(disk[1000], 2);
	cr_assert_eq(disk[1100], 0);
	cr_assert_eq(simdisk_events(f.d, NULL)[0].units_written, 1);
	assert_dirty(f.d, (uint64_t[]){ 2 }, 1);

	/* A range straddling a unit boundary by one byte takes both units. */
	f.map[1536] = 4; /* unit 3 */
	cr_assert_eq(fx_sync(&f, "t/sync", 1535, 2), 0);
	cr_assert_eq(simdisk_events(f.d, NULL)[1].units_written, 2);
	assert_dirty(f.d, NULL, 0);
	simdisk_free(f.d);
}

Test(simdisk_sync, of_a_clean_range_writes_nothing_but_is_recorded)
{
	fx f = fx_make(1024, 8192);
	f.map[0] = 9;
	cr_assert_eq(fx_sync(&f, "t/clean", 4096, 4096), 0);
	cr_assert_eq(fx_sync(&f, "t/empty", 0, 0), 0);
	size_t n;
	const simdisk_event *ev = simdisk_events(f.d, &n);
	cr_assert_eq(n, 2);
	cr_assert_eq(ev[0].units_written, 0);
	cr_assert_eq(ev[1].units_written, 0);
	assert_dirty(f.d, (uint64_t[]){ 0 }, 1);
	simdisk_free(f.d);
}

Test(simdisk_sync, refuses_ranges_outside_the_mapping_and_foreign_addresses)
{
	fx f = fx_make(512, 2048);
	cr_assert_eq(fx_sync(&f, "t", 2048, 1), ENOMEM);
	cr_assert_eq(fx_sync(&f, "t", 1024, 1025), ENOMEM);
	cr_assert_eq(fx_sync(&f, "t", UINT64_MAX, 2), ENOMEM, "offset overflow");
	cr_assert_eq(f.io->sync(f.io->ctx, "t", f.file, f.map + 512, 0, 1), EINVAL);
	cr_assert_eq(fx_sync(&f, "t", 0, 2048), 0);
	cr_assert_eq(f.io->unmap(f.io->ctx, "t", f.file, f.map, 2048), 0);
	cr_assert_eq(fx_sync(&f, "t", 0, 1), ENOMEM, "not mapped");
	cr_assert_eq(simdisk_sync_count(f.d), 1, "refused syncs are not counted");
	simdisk_free(f.d);
}

Test(simdisk_events, record_the_exact_sequence_of_syncs)
{
	fx f = fx_make(512, 4096);
	static const char *const steps[] = { "pager/commit/meta_sync", "pager/commit/sb_sync",
					     "pager/dircommit/dir_sync" };
	f.map[0] = 1;
	f.map[700] = 1;
	f.map[3000] = 1;
	cr_assert_eq(fx_sync(&f, steps[0], 512, 512), 0);
	cr_assert_eq(fx_sync(&f, steps[1], 0, 64), 0);
	cr_assert_eq(fx_sync(&f, steps[2], 0, 4096), 0);
	size_t n;
	const simdisk_event *ev = simdisk_events(f.d, &n);
	cr_assert_eq(n, 3);
	cr_assert_eq(simdisk_sync_count(f.d), 3);
	uint32_t written[] = { 1, 1, 1 };
	uint64_t offs[] = { 512, 0, 0 }, lens[] = { 512, 64, 4096 };
	for (uint32_t i = 0; i < 3; i++) {
		cr_assert_eq(ev[i].index, i);
		cr_assert_eq(ev[i].step, steps[i], "the step pointer is kept as given");
		cr_assert_eq(ev[i].off, offs[i]);
		cr_assert_eq(ev[i].len, lens[i]);
		cr_assert_eq(ev[i].units_written, written[i]);
	}
	simdisk_free(f.d);
}

/* ---- hooks ---------------------------------------------------------------------- */

typedef struct hook_log {
	int calls;              /* hook invocations */
	simdisk_phase phase[8]; /* their phases */
	uint32_t index[8];      /* ev->index */
	const char *step[8];    /* ev->step */
	uint8_t disk_byte[8];   /* disk[700] at the call */
	uint32_t count[8];      /* simdisk_sync_count at the call */
	uint32_t written[8];    /* ev->units_written */
	size_t events[8];       /* recorded events at the call */
	simdisk *snap;          /* snapshot taken BEFORE the first sync */
} hook_log;

static void hook_record(void *arg, simdisk *d, const simdisk_event *ev, simdisk_phase phase)
{
	hook_log *h = arg;
	int k = h->calls++;
	cr_assert_lt(k, 8);
	h->phase[k] = phase;
	h->index[k] = ev->index;
	h->step[k] = ev->step;
	h->disk_byte[k] = simdisk_disk(d)[700];
	h->count[k] = simdisk_sync_count(d);
	h->written[k] = ev->units_written;
	simdisk_events(d, &h->events[k]);
	if (k == 0 && h->snap)
		cr_assert_eq(simdisk_copy(h->snap, d), 0);
}

Test(simdisk_hook, runs_before_and_after_each_sync_with_disk_not_yet_then_updated)
{
	fx f = fx_make(512, 2048);
	hook_log h = { 0 };
	h.snap = simdisk_new(512);
	simdisk_set_hook(f.d, hook_record, &h);
	f.map[700] = 0xAB;
	cr_assert_eq(fx_sync(&f, "step/a", 0, 2048), 0);
	f.map[700] = 0xCD;
	cr_assert_eq(fx_sync(&f, "step/b", 512, 1), 0);

	cr_assert_eq(h.calls, 4);
	simdisk_phase phases[] = { SIMDISK_BEFORE_SYNC, SIMDISK_AFTER_SYNC, SIMDISK_BEFORE_SYNC,
				   SIMDISK_AFTER_SYNC };
	uint32_t index[] = { 0, 0, 1, 1 };
	const char *step[] = { "step/a", "step/a", "step/b", "step/b" };
	uint8_t disk[] = { 0x00, 0xAB, 0xAB, 0xCD };
	uint32_t count[] = { 0, 1, 1, 2 };
	uint32_t written[] = { 0, 1, 0, 1 };
	size_t events[] = { 0, 1, 1, 2 };
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(h.phase[i], phases[i], "call %d", i);
		cr_assert_eq(h.index[i], index[i], "call %d", i);
		cr_assert_str_eq(h.step[i], step[i]);
		cr_assert_eq(h.disk_byte[i], disk[i], "call %d: disk[700] = %#x", i, h.disk_byte[i]);
		cr_assert_eq(h.count[i], count[i], "call %d", i);
		cr_assert_eq(h.written[i], written[i], "call %d", i);
		cr_assert_eq(h.events[i], events[i], "call %d", i);
	}
	/* The snapshot taken at the first BEFORE point is the crash state there. */
	cr_assert_eq(simdisk_disk(h.snap)[700], 0);
	cr_assert_eq(simdisk_cache(h.snap)[700], 0xAB);
	assert_dirty(h.snap, (uint64_t[]){ 1 }, 1);
	cr_assert_eq(simdisk_sync_count(h.snap), 0);
	simdisk_free(h.snap);
	simdisk_free(f.d);
}

/* ---- close, reopen, process exit, power loss ----------------------------------- */

Test(simdisk_reopen, keeps_the_cache_and_the_disk)
{
	fx f = fx_make(512, 2048);
	f.map[10] = 7;
	f.map[1500] = 8;
	cr_assert_eq(fx_sync(&f, "t", 0, 512), 0);
	cr_assert_eq(f.io->unmap(f.io->ctx, "t", f.file, f.map, 2048), 0);
	cr_assert_eq(f.io->close(f.io->ctx, "t", f.file), 0);
	cr_assert_eq(simdisk_open_count(f.d), 0);

	void *file;
	uint8_t *map;
	uint64_t len;
	cr_assert_eq(f.io->open(f.io->ctx, "t", "db", 0, &file), 0);
	cr_assert_eq(f.io->size(f.io->ctx, "t", file, &len), 0);
	cr_assert_eq(len, 2048);
	cr_assert_eq(f.io->map(f.io->ctx, "t", file, len, &map), 0);
	cr_assert_eq(map[10], 7);
	cr_assert_eq(map[1500], 8, "unsynced bytes are still in the page cache");
	cr_assert_eq(simdisk_disk(f.d)[10], 7);
	cr_assert_eq(simdisk_disk(f.d)[1500], 0);
	assert_dirty(f.d, (uint64_t[]){ 2 }, 1);
	simdisk_free(f.d);
}

Test(simdisk_reopen, process_exit_drops_handles_and_power_loss_the_cache)
{
	fx f = fx_make(512, 2048);
	f.map[1500] = 8;
	simdisk_process_exit(f.d);
	cr_assert_eq(simdisk_open_count(f.d), 0);
	cr_assert_eq(simdisk_mapped(f.d), 0);
	cr_assert_eq(simdisk_cache(f.d)[1500], 8);
	void *file;
	uint8_t *map;
	cr_assert_eq(f.io->open(f.io->ctx, "t", "db", 0, &file), 0);
	cr_assert_eq(f.io->map(f.io->ctx, "t", file, 2048, &map), 0);
	cr_assert_eq(map[1500], 8);
	simdisk_power_loss(f.d);
	cr_assert_eq(simdisk_mapped(f.d), 0);
	cr_assert_eq(simdisk_cache(f.d)[1500], 0, "power loss: the cache is the disk again");
	assert_dirty(f.d, NULL, 0);
	simdisk_free(f.d);
}

/* ---- lengths and units ----------------------------------------------------------- */

Test(simdisk_units, last_unit_is_partial)
{
	fx f = fx_make(512, 1300); /* units: [0,512) [512,1024) [1024,1300) */
	cr_assert_eq(simdisk_unit_count(f.d), 3);
	cr_assert_eq(simdisk_unit_len(f.d, 0), 512);
	cr_assert_eq(simdisk_unit_len(f.d, 2), 276);
	cr_assert_eq(simdisk_unit_len(f.d, 3), 0);
	f.map[1299] = 0xEE;
	assert_dirty(f.d, (uint64_t[]){ 2 }, 1);
	cr_assert_eq(fx_sync(&f, "t", 1299, 1), 0);
	cr_assert_eq(simdisk_events(f.d, NULL)[0].units_written, 1);
	cr_assert_eq(simdisk_disk(f.d)[1299], 0xEE);
	assert_dirty(f.d, NULL, 0);
	simdisk_free(f.d);
}

Test(simdisk_set_len, changes_cache_and_disk_at_once_and_zero_fills)
{
	fx f = fx_make(512, 1300);
	memset(f.map, 0x5A, 1300);
	cr_assert_eq(fx_sync(&f, "t", 0, 1300), 0);
	f.map[100] = 1; /* dirty, survives the size changes in cache only */
	cr_assert_eq(f.io->unmap(f.io->ctx, "t", f.file, f.map, 1300), 0);
	cr_assert_eq(f.io->set_len(f.io->ctx, "t", f.file, 1100), 0);
	cr_assert_eq(f.io->set_len(f.io->ctx, "t", f.file, 3000), 0);
	cr_assert_eq(simdisk_len(f.d), 3000);
	const uint8_t *c = simdisk_cache(f.d), *dk = simdisk_disk(f.d);
	for (uint64_t i = 0; i < 1100; i++) {
		cr_assert_eq(dk[i], 0x5A);
		cr_assert_eq(c[i], i == 100 ? 1 : 0x5A);
	}
	for (uint64_t i = 1100; i < 3000; i++)
		cr_assert(c[i] == 0 && dk[i] == 0, "byte %llu not zero", (unsigned long long)i);
	assert_dirty(f.d, (uint64_t[]){ 0 }, 1);
	cr_assert_eq(f.io->set_len(f.io->ctx, "t", f.file, 0), 0);
	cr_assert_eq(simdisk_unit_count(f.d), 0);
	assert_dirty(f.d, NULL, 0);
	simdisk_free(f.d);
}

/* ---- borrow mode --------------------------------------------------------------- */

Test(simdisk_borrow, opens_maps_and_syncs_the_callers_buffer_without_copying)
{
	simdisk *d = simdisk_new(512);
	const pager_io *io = simdisk_io(d);
	uint8_t img[2048];
	memset(img, 0x33, sizeof img);
	for (int round = 0; round < 3; round++) {
		cr_assert_eq(simdisk_borrow(d, img, sizeof img), 0);
		cr_assert_eq(simdisk_cache(d), img, "no copy: the cache is the buffer");
		cr_assert_eq(simdisk_disk(d), img);
		void *file;
		uint8_t *map;
		uint64_t len;
		cr_assert_eq(io->open(io->ctx, "t", "db", 1, &file), EEXIST);
		cr_assert_eq(io->open(io->ctx, "t", "db", 0, &file), 0);
		cr_assert_eq(io->size(io->ctx, "t", file, &len), 0);
		cr_assert_eq(len, sizeof img);
		cr_assert_eq(io->map(io->ctx, "t", file, len, &map), 0);
		cr_assert_eq(map, img);
		map[5] = (uint8_t)round; /* lands in the caller's buffer */
		cr_assert_eq(img[5], (uint8_t)round);
		cr_assert_eq(io->sync(io->ctx, "t/sync", file, map, 0, len), 0);
		cr_assert_eq(simdisk_sync_count(d), 1, "syncs count; the count restarts per borrow");
		cr_assert_eq(simdisk_events(d, NULL)[0].units_written, 0);
		cr_assert_eq(simdisk_dirty(d, NULL, 0), 0);
		cr_assert_eq(io->unmap(io->ctx, "t", file, map, len), 0);
		cr_assert_eq(io->set_len(io->ctx, "t", file, 4096), EROFS);
		cr_assert_eq(io->close(io->ctx, "t", file), 0);
	}
	simdisk_free(d);
}

Test(simdisk_borrow, is_refused_while_open_and_ends_with_load)
{
	simdisk *d = simdisk_new(512);
	const pager_io *io = simdisk_io(d);
	uint8_t img[1024] = { 1 };
	void *file;
	cr_assert_eq(simdisk_borrow(d, img, sizeof img), 0);
	cr_assert_eq(io->open(io->ctx, "t", "db", 0, &file), 0);
	cr_assert_eq(simdisk_borrow(d, img, sizeof img), EBUSY);
	cr_assert_eq(simdisk_load(d, img, sizeof img), EBUSY);
	cr_assert_eq(io->close(io->ctx, "t", file), 0);
	cr_assert_eq(simdisk_load(d, img, sizeof img), 0);
	cr_assert_neq(simdisk_cache(d), img, "load copies");
	cr_assert_neq(simdisk_cache(d), simdisk_disk(d));
	cr_assert_eq(simdisk_cache(d)[0], 1);
	cr_assert_eq(simdisk_disk(d)[0], 1);
	simdisk_fail_sync(d, 0, 1024, 1, 1); /* nothing dirty: nothing lost */
	cr_assert_eq(simdisk_lost(d, NULL, 0), 0);
	simdisk_free(d);
}

/* ---- copy (snapshots) ---------------------------------------------------------- */

Test(simdisk_copy, snapshot_and_restore_are_independent_and_keep_the_mapping)
{
	fx f = fx_make(512, 2048);
	f.map[0] = 1;
	cr_assert_eq(fx_sync(&f, "t/one", 0, 512), 0);
	f.map[600] = 2; /* dirty at snapshot time */
	simdisk *snap = simdisk_new(512);
	cr_assert_eq(simdisk_copy(snap, f.d), 0);
	cr_assert_eq(simdisk_len(snap), 2048);
	cr_assert_eq(simdisk_exists(snap), 1);
	cr_assert_eq(simdisk_sync_count(snap), 1);
	cr_assert_eq(simdisk_open_count(snap), 0, "handles are not state");
	cr_assert_neq(simdisk_cache(snap), simdisk_cache(f.d));

	/* The live disk moves on; the snapshot does not. */
	f.map[600] = 3;
	f.map[1600] = 4;
	cr_assert_eq(fx_sync(&f, "t/two", 0, 2048), 0);
	cr_assert_eq(simdisk_cache(snap)[600], 2);
	cr_assert_eq(simdisk_disk(snap)[600], 0);
	cr_assert_eq(simdisk_cache(snap)[1600], 0);
	assert_dirty(snap, (uint64_t[]){ 1 }, 1);

	/* Restore into the live, mapped disk: the pager's pointer stays valid. */
	uint8_t *before = f.map;
	cr_assert_eq(simdisk_copy(f.d, snap), 0);
	cr_assert_eq(simdisk_cache(f.d), before);
	cr_assert_eq(simdisk_mapped(f.d), 1);
	cr_assert_eq(f.map[600], 2);
	cr_assert_eq(f.map[1600], 0);
	cr_assert_eq(simdisk_disk(f.d)[600], 0);
	size_t n;
	const simdisk_event *ev = simdisk_events(f.d, &n);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(ev[0].step, "t/one");
	cr_assert_eq(fx_sync(&f, "t/three", 0, 2048), 0);
	cr_assert_eq(simdisk_events(f.d, NULL)[1].index, 1);
	cr_assert_eq(simdisk_disk(snap)[600], 0, "the snapshot is untouched by the live disk");
	simdisk_free(snap);
	simdisk_free(f.d);
}

Test(simdisk_copy, refuses_to_move_or_resize_a_live_mapping)
{
	fx f = fx_make(512, 2048);
	simdisk *other = simdisk_new(512);
	uint8_t img[4096] = { 0 };
	cr_assert_eq(simdisk_load(other, img, sizeof img), 0);
	cr_assert_eq(simdisk_copy(f.d, other), EBUSY);
	cr_assert_eq(simdisk_len(f.d), 2048);
	simdisk *wrong_unit = simdisk_new(1024);
	cr_assert_eq(simdisk_copy(wrong_unit, other), EINVAL);
	simdisk_free(wrong_unit);
	simdisk_free(other);
	simdisk_free(f.d);
}

Test(simdisk_copy, from_a_borrowed_disk_copies_the_image)
{
	simdisk *b = simdisk_new(512), *c = simdisk_new(512);
	uint8_t img[1024];
	memset(img, 0x42, sizeof img);
	cr_assert_eq(simdisk_borrow(b, img, sizeof img), 0);
	cr_assert_eq(simdisk_copy(c, b), 0);
	cr_assert_neq(simdisk_cache(c), img);
	cr_assert_eq(simdisk_cache(c)[1023], 0x42);
	cr_assert_eq(simdisk_disk(c)[0], 0x42);
	img[0] = 0;
	cr_assert_eq(simdisk_cache(c)[0], 0x42);
	simdisk_free(b);
	simdisk_free(c);
}

/* ---- lost writes --------------------------------------------------------------- */

Test(simdisk_lost, lost_unit_is_not_dirty_until_rewritten_or_synced_again)
{
	fx f = fx_make(512, 4096);
	f.map[100] = 1;  /* unit 0 */
	f.map[700] = 2;  /* unit 1 */
	f.map[3000] = 3; /* unit 5, outside the failed range */
	simdisk_fail_sync(f.d, 0, 1024, 99, 1 /* persist none */);
	cr_assert_eq(simdisk_disk(f.d)[100], 0);
	cr_assert_eq(simdisk_cache(f.d)[100], 1, "the process still reads its bytes");
	assert_dirty(f.d, (uint64_t[]){ 5 }, 1);
	uint64_t lost[8];
	cr_assert_eq(simdisk_lost(f.d, lost, 8), 2);
	cr_assert_eq(lost[0], 0);
	cr_assert_eq(lost[1], 1);
	cr_assert_eq(simdisk_sync_count(f.d), 0, "a failed sync is not a sync");

	/* A sync of another range does not write them: Linux marked them clean. */
	cr_assert_eq(fx_sync(&f, "t", 2048, 2048), 0);
	cr_assert_eq(simdisk_events(f.d, NULL)[0].units_written, 1);
	cr_assert_eq(simdisk_disk(f.d)[100], 0);
	cr_assert_eq(simdisk_disk(f.d)[700], 0);
	cr_assert_eq(simdisk_disk(f.d)[3000], 3);

	/* A sync whose range covers unit 1 writes it: the pager stores every byte of a
	 * range before syncing it, and on Linux a store re-dirties the page. */
	cr_assert_eq(fx_sync(&f, "t", 512, 512), 0);
	cr_assert_eq(simdisk_events(f.d, NULL)[1].units_written, 1);
	cr_assert_eq(simdisk_disk(f.d)[700], 2);
	cr_assert_eq(simdisk_lost(f.d, lost, 8), 1);
	cr_assert_eq(lost[0], 0, "unit 0 stays lost");

	/* Writing back the disk's bytes makes the lost unit clean; other new bytes are
	 * ordinary dirty ones. */
	f.map[100] = 0;
	cr_assert_eq(simdisk_lost(f.d, NULL, 0), 0);
	assert_dirty(f.d, NULL, 0);
	f.map[100] = 7;
	assert_dirty(f.d, (uint64_t[]){ 0 }, 1);
	simdisk_free(f.d);
}

Test(simdisk_lost, seeded_persistence_follows_the_documented_bit)
{
	fx f = fx_make(512, 64 * 512);
	for (int i = 0; i < 64; i++)
		f.map[i * 512 + 1] = (uint8_t)(i + 1);
	const uint64_t seed = 0x1234;
	simdisk_fail_sync(f.d, 0, 64 * 512, seed, 0);
	uint64_t lost[64];
	size_t nlost = simdisk_lost(f.d, lost, 64), k = 0, persisted = 0;
	for (uint64_t i = 0; i < 64; i++) {
		int want = (int)(subsets_mix64(seed ^ subsets_mix64(i)) >> 63);
		int on_disk = simdisk_disk(f.d)[i * 512 + 1] == (uint8_t)(i + 1);
		cr_assert_eq(on_disk, want, "unit %llu", (unsigned long long)i);
		if (on_disk)
			persisted++;
		else
			cr_assert_eq(lost[k++], i);
	}
	cr_assert_eq(k, nlost);
	cr_assert(persisted > 10 && persisted < 54, "about half persist: %zu", persisted);
	assert_dirty(f.d, NULL, 0);

	/* The same seed on the same state gives the same result; another seed differs. */
	fx g = fx_make(512, 64 * 512), h = fx_make(512, 64 * 512);
	for (int i = 0; i < 64; i++)
		g.map[i * 512 + 1] = h.map[i * 512 + 1] = (uint8_t)(i + 1);
	simdisk_fail_sync(g.d, 0, 64 * 512, seed, 0);
	simdisk_fail_sync(h.d, 0, 64 * 512, seed + 1, 0);
	cr_assert_eq(memcmp(simdisk_disk(g.d), simdisk_disk(f.d), 64 * 512), 0);
	cr_assert_neq(memcmp(simdisk_disk(h.d), simdisk_disk(f.d), 64 * 512), 0);
	simdisk_free(f.d);
	simdisk_free(g.d);
	simdisk_free(h.d);
}

Test(simdisk_lost, marks_survive_copy_and_are_cleared_by_size_changes_and_load)
{
	fx f = fx_make(512, 2048);
	f.map[1800] = 5; /* unit 3 */
	simdisk_fail_sync(f.d, 1024, 1024, 0, 1);
	simdisk *snap = simdisk_new(512);
	cr_assert_eq(simdisk_copy(snap, f.d), 0);
	cr_assert_eq(simdisk_lost(snap, NULL, 0), 1);
	cr_assert_eq(simdisk_dirty(snap, NULL, 0), 0);

	cr_assert_eq(f.io->unmap(f.io->ctx, "t", f.file, f.map, 2048), 0);
	cr_assert_eq(f.io->set_len(f.io->ctx, "t", f.file, 4096), 0);
	cr_assert_eq(simdisk_lost(f.d, NULL, 0), 1, "a unit the size change misses stays lost");
	cr_assert_eq(f.io->set_len(f.io->ctx, "t", f.file, 1700), 0);
	cr_assert_eq(simdisk_lost(f.d, NULL, 0), 0);
	cr_assert_eq(simdisk_dirty(f.d, NULL, 0), 0, "the lost byte was cut off");

	uint8_t img[512] = { 0 };
	simdisk_process_exit(snap);
	cr_assert_eq(simdisk_load(snap, img, sizeof img), 0);
	cr_assert_eq(simdisk_lost(snap, NULL, 0), 0);
	simdisk_free(snap);
	simdisk_free(f.d);
}

/* ---- fault hook ---------------------------------------------------------------- */

typedef struct fault_log {
	int calls;        /* fault hook invocations */
	const char *step; /* last step */
	uint64_t off, len;/* last range */
	int err;          /* last errno */
} fault_log;

static void fault_record(void *arg, simdisk *d, const char *step, uint64_t off, uint64_t len,
			 int err)
{
	fault_log *l = arg;
	l->calls++;
	l->step = step;
	l->off = off;
	l->len = len;
	l->err = err;
	simdisk_fail_sync(d, off, len, 0, 1);
}

Test(simdisk_fault, faulted_is_forwarded_to_the_fault_hook)
{
	fx f = fx_make(512, 2048);
	cr_assert_not_null(f.io->faulted);
	f.map[10] = 1;
	f.io->faulted(f.io->ctx, "pager/commit/meta_sync", f.file, 0, 512, EIO);
	assert_dirty(f.d, (uint64_t[]){ 0 }, 1); /* no hook: nothing happened */
	fault_log l = { 0 };
	simdisk_set_fault_hook(f.d, fault_record, &l);
	f.io->faulted(f.io->ctx, "pager/commit/meta_sync", f.file, 0, 512, EIO);
	cr_assert_eq(l.calls, 1);
	cr_assert_str_eq(l.step, "pager/commit/meta_sync");
	cr_assert_eq(l.off, 0);
	cr_assert_eq(l.len, 512);
	cr_assert_eq(l.err, EIO);
	assert_dirty(f.d, NULL, 0);
	cr_assert_eq(simdisk_lost(f.d, NULL, 0), 1);
	simdisk_free(f.d);
}

/* ---- crash images -------------------------------------------------------------- */

Test(simdisk_image, is_disk_plus_the_chosen_units_and_gray_updates_agree)
{
	fx f = fx_make(512, 2600); /* 6 units, the last partial */
	for (int u = 0; u < 6; u++)
		if (u != 2)
			memset(f.map + u * 512, 0x10 + u, simdisk_unit_len(f.d, (uint64_t)u));
	uint64_t units[8];
	size_t n = simdisk_dirty(f.d, units, 8);
	cr_assert_eq(n, 5);
	subsets_cfg cfg = SUBSETS_CFG_INIT;
	subsets_iter it;
	cr_assert_eq(subsets_init(&it, n, &cfg, 0), 0);
	uint8_t *inc = calloc(1, 2600), *full = malloc(2600);
	simdisk_image(f.d, units, (const uint8_t[8]){ 0 }, n, inc);
	const uint8_t *mask;
	int count = 0;
	while (subsets_next(&it, &mask)) {
		const size_t *ch;
		size_t nch = subsets_changed(&it, &ch);
		for (size_t k = 0; k < nch; k++)
			simdisk_put_unit(f.d, inc, units[ch[k]], mask[ch[k]]);
		simdisk_image(f.d, units, mask, n, full);
		cr_assert_eq(memcmp(inc, full, 2600), 0, "subset %d", count);
		for (size_t k = 0; k < n; k++) {
			uint64_t off = units[k] * 512;
			const uint8_t *src = mask[k] ? simdisk_cache(f.d) : simdisk_disk(f.d);
			cr_assert_eq(memcmp(full + off, src + off, simdisk_unit_len(f.d, units[k])), 0);
		}
		count++;
	}
	cr_assert_eq(count, 32);
	subsets_free(&it);
	free(inc);
	free(full);
	simdisk_free(f.d);
}

/* ---- with the real pager ------------------------------------------------------- */

Test(simdisk_pager, create_syncs_the_whole_file_once_and_reopen_sees_it)
{
	simdisk *d = simdisk_new(512);
	pager *p = NULL;
	cr_assert_eq(pager_create("db", 10, simdisk_io(d), &p), PAGER_OK);
	size_t n;
	const simdisk_event *ev = simdisk_events(d, &n);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(ev[0].step, "pager/create/sync");
	cr_assert_eq(ev[0].off, 0);
	cr_assert_eq(ev[0].len, 4 * 1024);
	cr_assert_gt(ev[0].units_written, 0);
	cr_assert_eq(simdisk_dirty(d, NULL, 0), 0, "everything create wrote is synced");
	cr_assert_eq(pager_close(p), PAGER_OK);
	cr_assert_eq(simdisk_open_count(d), 0);
	cr_assert_eq(simdisk_mapped(d), 0);
	cr_assert_eq(pager_create("db", 10, simdisk_io(d), &p), PAGER_EEXISTS);
	cr_assert_eq(simdisk_open_count(d), 0);
	cr_assert_eq(pager_open("db", simdisk_io(d), &p), PAGER_OK);
	cr_assert_eq(pager_page_count(p), 4);
	cr_assert_eq(pager_close(p), PAGER_OK);
	cr_assert_eq(simdisk_open_count(d), 0);
	simdisk_free(d);
}

Test(simdisk_pager, growing_alloc_remaps_and_commits_meta_then_superblock)
{
	simdisk *d = simdisk_new(1024);
	pager *p = NULL;
	uint64_t page;
	cr_assert_eq(pager_create("db", 10, simdisk_io(d), &p), PAGER_OK);
	cr_assert_eq(pager_alloc(p, &page), PAGER_OK); /* page 3: the last of 4 */
	cr_assert_eq(pager_alloc(p, &page), PAGER_OK); /* grows the file to 8 pages */
	cr_assert_eq(simdisk_len(d), 8 * 1024);
	size_t n;
	const simdisk_event *ev = simdisk_events(d, &n);
	cr_assert_geq(n, 3);
	cr_assert_eq(n % 2, 1, "create's sync, then (meta, superblock) pairs");
	for (size_t i = 1; i < n; i += 2) {
		cr_assert_str_eq(ev[i].step, "pager/commit/meta_sync", "event %zu", i);
		cr_assert_str_eq(ev[i + 1].step, "pager/commit/sb_sync", "event %zu", i + 1);
		cr_assert_eq(ev[i + 1].off, 0);
	}
	cr_assert_eq(pager_close(p), PAGER_OK);
	simdisk_free(d);
}

#if TORNPAGE_FIU
#include <fiu-control.h>
#include <fiu.h>

Test(simdisk_pager, a_failed_unmap_in_grow_does_not_block_the_next_set_len)
{
	/* The seed ignores the unmap error and grows anyway; a real file lets it (the old
	 * mapping leaks). simdisk must not turn the leak into EBUSY. */
	simdisk *d = simdisk_new(1024);
	pager *p = NULL;
	uint64_t page;
	fiu_init(0);
	cr_assert_eq(pager_create("db", 10, simdisk_io(d), &p), PAGER_OK);
	cr_assert_eq(pager_alloc(p, &page), PAGER_OK);
	cr_assert_eq(fiu_enable("pager/grow/unmap", 1, (void *)(intptr_t)EIO, FIU_ONETIME), 0);
	cr_assert_eq(pager_alloc(p, &page), PAGER_OK);
	cr_assert_eq(simdisk_len(d), 8 * 1024);
	cr_assert_eq(simdisk_mapped(d), 1);
	cr_assert_eq(fiu_enable("pager/close/close", 1, (void *)(intptr_t)EIO, FIU_ONETIME), 0);
	cr_assert_eq(pager_close(p), PAGER_EIO);
	cr_assert_eq(simdisk_open_count(d), 0, "the pager dropped its handle");
	cr_assert_eq(simdisk_mapped(d), 0);
	cr_assert_eq(pager_open("db", simdisk_io(d), &p), PAGER_OK);
	cr_assert_eq(pager_page_count(p), 8);
	cr_assert_eq(pager_close(p), PAGER_OK);
	simdisk_free(d);
}
#endif
