/* dfault.h — what a disk does beyond losing unsynced units: torn garbage, bit rot,
 * misdirected writes, lying syncs and lost size changes (docs/crash-model.md §10).
 *
 * One `dfault` names one concrete fault on one crash image (a reproducer's
 * `#! disk-fault` line says the same thing in words). The bytes a torn or rotten unit
 * holds are a pure function of the dfault (dfault_corrupt). A misdirected write or a
 * lying sync changes the disk at one sync and stays until later syncs heal it: a
 * dfault_shadow follows a run's syncs and says, at any later moment, which units of the
 * disk differ from simdisk's and what they hold. It does not choose which faults to
 * try (crash_faults.c) nor judge them (judge.h). The rules: dfault.c "Method:". */
#ifndef TORNPAGE_DFAULT_H
#define TORNPAGE_DFAULT_H

#include <stddef.h>
#include <stdint.h>

#include "tornpage/simdisk.h"

typedef enum dfault_mode {
	DFAULT_NONE = 0,     /* the plain crash model: units are old or new */
	DFAULT_TORN_GARBAGE, /* a unit being written holds garbage */
	DFAULT_ROT,          /* one unit of the durable image rots */
	DFAULT_MISDIRECT,    /* a sync writes one unit at another unit's offset */
	DFAULT_LYING_SYNC,   /* a sync returns before its units are durable */
	DFAULT_LOST_SIZE,    /* a size change is not durable until the next sync */
	DFAULT_NMODES
} dfault_mode;
#define DFAULT_ALL_MODES (((1u << DFAULT_NMODES) - 1u) & ~1u) /* every mode but none */

const char *dfault_mode_name(dfault_mode m); /* "torn-garbage", ...; "none" */
/* The mode named by s[0..n); 0, or -1 when unknown. */
int dfault_mode_parse(const char *s, size_t n, dfault_mode *m);
/* A comma-separated list of mode names, or "all", into a mask of 1u << mode. 0, or -1
 * with the first bad word copied into bad (badlen bytes). An empty list is bad. */
int dfault_parse_list(const char *s, unsigned *mask, char *bad, size_t badlen);
/* The mask's modes joined by commas ("none" for 0). */
void dfault_list_text(unsigned mask, char *out, size_t n);

/* What a torn or rotten unit holds. */
typedef enum dfault_fill {
	DFAULT_FILL_SEEDED = 0, /* torn-garbage: bytes of a splitmix64 stream seeded with arg */
	DFAULT_FILL_ZEROS,      /* torn-garbage and rot: every byte 0 */
	DFAULT_FILL_ONES,       /* torn-garbage: every byte 0xFF */
	DFAULT_FILL_FLIP,       /* rot: the unit's bytes with bit `arg` flipped */
} dfault_fill;
const char *dfault_fill_name(dfault_fill f); /* "seeded", "zeros", "ones", "flip" */

typedef struct dfault {
	dfault_mode mode;
	uint64_t unit;      /* torn-garbage, rot: the faulty unit; misdirect: the unit that stays old */
	dfault_fill fill;   /* torn-garbage: seeded, zeros or ones; rot: flip or zeros */
	uint64_t arg;       /* seeded: the stream's seed; flip: the bit, 0 = bit 0 of the unit's byte 0 */
	uint64_t target;    /* misdirect: the unit that received `unit`'s new bytes */
	uint32_t sync;      /* misdirect, lying-sync: run-wide index of the sync that misbehaved */
} dfault;

/* The same fault (the fields its mode uses). */
int dfault_equal(const dfault *a, const dfault *b);
/* Torn garbage and rot: write the faulty bytes into buf, the unit's n bytes (for a flip
 * they must hold the unit's bytes on the disk; a bit past n*8 flips nothing). */
void dfault_corrupt(const dfault *f, uint8_t *buf, size_t n);
/* The words after `disk-fault` in a reproducer ("rot unit 3 flip 1029"); 0 or -1 when
 * out is too small. */
int dfault_format(const dfault *f, char *out, size_t n);

/* The class of a fault in finding signatures: the mode, and for the faults on units the
 * most telling role (superblock, meta, directory, protected, regular, free, beyond) of
 * the pages the faulty unit covers — for a lying sync, of units[0..nunits) (the units it
 * wrote) — as roles (pager_role of npages pages; NULL: pages 0-2 by number) name them:
 * "rot/meta", "lying-sync/superblock", "lost-size". */
void dfault_class(const dfault *f, const uint64_t *units, size_t nunits, const uint8_t *roles, uint64_t npages,
		  uint32_t unit, size_t ps, char *out, size_t n);
/* The best pager_role of the pages unit u covers (superblock first), and a role's rank in
 * that order (0 superblock, 1 metadata, 2 directory, 3 protected, 4 regular, 5 free, 6 other). */
uint8_t dfault_unit_role(const uint8_t *roles, uint64_t npages, uint64_t u, uint32_t unit, size_t ps);
int dfault_role_rank(uint8_t role);

#define DFAULT_ROT_BUDGET 128u /* rot images per image at most (--rot-budget's default) */

/* Seeded choices, each a function of the run's seed and where it is used, so that any
 * one image can be rebuilt from its reproducer (which records the result, not the seed). */
uint64_t dfault_garbage_seed(uint64_t seed, uint64_t point, uint64_t unit);
/* The k-th seeded bit of a rotten unit of len bytes. */
uint64_t dfault_rot_bit(uint64_t seed, uint64_t point, uint64_t unit, uint32_t k, size_t len);
/* A seeded index in 0..n-1 (n > 0) for the misdirected write of `unit` at sync `sync`. */
size_t dfault_pick(uint64_t seed, uint32_t sync, uint64_t unit, size_t n);

/* ---- a misdirected write or a lying sync, followed along a run ------------------------ *
 * Feed it every sync of the run, in order (dfault_shadow_sync, from the simdisk hook,
 * before and after). Until sync f.sync it waits; at it, it records what the disk held
 * before and what the sync wrote; from then on dfault_shadow_units lists the units whose
 * durable bytes differ from simdisk's disk, until later syncs heal them all (over). */
typedef struct dfault_shadow {
	dfault f;
	uint32_t unit;        /* bytes per unit */
	int state;            /* 0 waiting, 1 active, 2 over (healed) */
	size_t n;             /* units followed: misdirect 2 (unit, target); lying: the sync's */
	uint64_t *units;      /* their indexes */
	uint8_t *pre;         /* n units: the disk before the sync */
	uint8_t *wrote;       /* n units: what the sync wrote there (the disk right after) */
	uint8_t *healed;      /* per unit: a later sync made it what simdisk's disk holds */
	size_t cap;           /* units allocated */
	int oom;              /* ran out of memory: the shadow is over, nothing is claimed */
} dfault_shadow;

/* 0 or -1 (f->mode must be misdirect or lying-sync). */
int dfault_shadow_init(dfault_shadow *s, const dfault *f, uint32_t unit);
void dfault_shadow_free(dfault_shadow *s);
void dfault_shadow_sync(dfault_shadow *s, const simdisk *d, const simdisk_event *ev, simdisk_phase phase);
/* A misdirect shadow from an active lying-sync shadow of the same sync (which knows
 * every unit the sync wrote): its unit i went to `target` instead (nunits: the file's
 * units; a target past them only loses the write). 0, or -1 (ENOMEM, bad i, target ==
 * the unit); *out is initialised either way (free it). */
int dfault_shadow_misdirect(dfault_shadow *out, const dfault_shadow *from, size_t i, uint64_t target,
			    uint64_t nunits);
/* The shadow follows s->n units, s->units[0 .. n) (misdirect: the unit, then the
 * target; lying sync: every unit the sync wrote). While active, each one that is not
 * healed holds dfault_shadow_held's bytes on disk instead of simdisk's. */
int dfault_shadow_active(const dfault_shadow *s);
/* Unit i of the shadow (0 <= i < n): the bytes it holds on disk now, or NULL when healed. */
const uint8_t *dfault_shadow_held(const dfault_shadow *s, size_t i);
/* Lying sync, unit i: the bytes the sync claimed to write (still in the device's cache,
 * so they may reach disk before power fails), or NULL (healed, or misdirect). */
const uint8_t *dfault_shadow_device(const dfault_shadow *s, size_t i);

#endif
