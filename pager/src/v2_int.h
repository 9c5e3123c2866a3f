/* v2_int.h — format 2's private state, shared by v2_pager.c (create, open, regular
 * pages, growth, the root commit), v2_protected.c (protected pages, the directory
 * write), v2_load.c (recovery: the newest valid root and everything it names, checked
 * against the file) and v2_check.c (pager_check for format 2). Format 1's code does not
 * include it; pager.c only dispatches to the v2_* entry points below. */
#ifndef PAGER_V2_INT_H
#define PAGER_V2_INT_H

#include "pager_int.h"
#include "v2_format.h"

/* One root's worth of state, as recovery reads it and as the pager keeps it in memory. */
typedef struct v2_state {
	size_t ps;                     /* page size */
	unsigned log2;                 /* page_size_log2 */
	uint64_t first_data;           /* v2_first_data(ps): pages below are reserved */
	uint32_t epp;                  /* v2_dir_capacity(ps): entries per directory page */
	uint64_t generation;           /* the newest durable root's generation */
	uint64_t total;                /* pages the root describes */
	uint64_t free_count;           /* clear bits below total (equal to the bitmap: checked) */
	uint32_t nblocks;              /* directory blocks */
	uint64_t slot_gen[V2_SLOTS];   /* generation of the valid root in each slot; 0 = none */
	uint8_t *bitmap;               /* bm_cap bytes; bits below total matter, 1 = allocated */
	uint8_t *internal;             /* bm_cap bytes; 1 = a directory page or a copy of an
					* in-use protected page (never handed out, never freed) */
	size_t bm_cap;                 /* bytes allocated for bitmap and internal */
	v2_block *blocks;              /* blk_cap records, nblocks used */
	fmt_entry *entries;            /* blk_cap * epp: block b's current directory page at b * epp */
	uint32_t blk_cap;              /* blocks that blocks and entries have room for */
} v2_state;

/* What an op changes, saved before it changes anything: restoring it is the rollback. */
typedef struct v2_undo {
	uint64_t generation, total, free_count; /* scalars before the op */
	uint32_t nblocks;
	uint64_t slot_gen[V2_SLOTS];
	uint8_t *bitmap, *internal;    /* bitmap_len(total) bytes each, before the op */
	size_t bm_cap;                 /* bytes allocated in each */
	v2_block *blocks;              /* the records before the op (nblocks of them) */
	uint32_t blk_cap;              /* records allocated */
	fmt_entry *ents;               /* epp entries: block `block`'s before the op */
	uint32_t block;                /* whose entries ents holds; UINT32_MAX: none */
} v2_undo;

struct pager_v2 {
	v2_state s;                    /* the state of the newest durable root, or of the op
					* in progress (then undo holds the durable one) */
	v2_undo u;
	int poisoned;                  /* fail-stop: a root write may or may not be durable
					* (or the mapping is gone); every call but close fails
					* with PAGER_EUNAVAILABLE until the file is reopened */
	uint8_t *buf;                  /* ps bytes: roots and directory pages are encoded here */
	uint32_t zero_crc;             /* CRC-32 of a zero page: a new protected page's content */
};

static inline int v2_bit(const uint8_t *bits, uint64_t i) { return bits[i / 8] >> (i % 8) & 1; }
static inline void v2_set(uint8_t *bits, uint64_t i) { bits[i / 8] |= (uint8_t)(1u << (i % 8)); }
static inline void v2_clear(uint8_t *bits, uint64_t i) { bits[i / 8] &= (uint8_t) ~(1u << (i % 8)); }

/* ---- state (v2_load.c) ---- */
void v2_state_free(v2_state *s);
/* Room for `total` pages in bitmap and internal (new bytes zero) / n blocks. ENOMEM
 * leaves the state as it was. */
int v2_state_reserve_pages(v2_state *s, uint64_t total);
int v2_state_reserve_blocks(v2_state *s, uint32_t n);

/* A violation found while loading, for pager_check (id from the invariant table). */
typedef void (*v2_emit_fn)(void *arg, const char *id, uint64_t page, uint64_t offset, const char *detail);

/* Recovery of an image: find every valid root (probing the slot places of every page
 * size when slot 0 is unreadable), take the one with the highest generation, and load
 * and check everything it names against the file: page count, reserved pages, free
 * count, every directory page and protected copy (in range, allocated, named once),
 * each block's current directory page from whichever mirror copy matches the root.
 * Never reads outside [img, img+len). On success *s is filled (the caller frees it);
 * on failure s is left empty, emit (may be NULL) was told why and the pager_err open
 * returns is returned: PAGER_ECORRUPT_SUPERBLOCK when no root is valid (also for a file
 * that is not format 2 at all), PAGER_ECORRUPT_METADATA for the root's counts,
 * PAGER_ECORRUPT_PROTECTED_DIR for the directory, PAGER_ENOMEM. */
int v2_load(const uint8_t *img, uint64_t len, v2_state *s, v2_emit_fn emit, void *arg);
/* v2_load for a checker that caches whole-page CRCs (crc, may be NULL: a valid trailer
 * is a whole-page CRC of V2_CRC_RESIDUE) and wants to know every byte range it reads:
 * touch(touch_arg, off, len) for each (may be NULL). */
typedef void (*v2_touch_fn)(void *arg, uint64_t off, uint64_t len);
typedef struct v2_load_opts {
	const pager_check_opts *crc;  /* page_crc(crc_arg, img, page, ps), pages of the root's size */
	v2_touch_fn touch;
	void *touch_arg;
} v2_load_opts;
int v2_load_ex(const uint8_t *img, uint64_t len, v2_state *s, v2_emit_fn emit, void *arg, const v2_load_opts *o);
/* Whether len bytes hold something format 2 recognises: a root header at a slot place
 * or "MPPG" 0.2 at byte 0 (then a failing v2_load is format 2's verdict, not format 1's). */
int v2_looks_like(const uint8_t *img, uint64_t len);

/* pager_check of a format 2 image (v2_check.c): v2_load's verdict, then every in-use
 * protected page's readable copy against its CRC (I-PROT-CRC). Same contract as
 * pager_check_image_ex. */
size_t v2_check_image(const uint8_t *img, uint64_t len, const pager_check_opts *opts, pager_violation_fn fn,
		      void *arg);

/* ---- the pager (v2_pager.c, v2_protected.c) ---- */
int v2_create(const char *path, unsigned log2, const pager_io *io, pager **out);
/* Open the file p has mapped (p->map, p->map_len) as format 2. */
int v2_open(pager *p);
void v2_release(pager *p);

int v2_alloc(pager *p, uint64_t *page);
int v2_free(pager *p, uint64_t page);
int v2_page(pager *p, uint64_t page, uint8_t **data);
int v2_alloc_protected(pager *p, uint64_t *id);
int v2_free_protected(pager *p, uint64_t id);
int v2_protected_read(pager *p, uint64_t id, const uint8_t **data);
int v2_protected_begin(pager *p, uint64_t id, pager_pwrite *w);
int v2_protected_commit(pager *p, pager_pwrite *w);
int v2_foreach_page(pager *p, pager_page_fn fn, void *arg);
int v2_foreach_protected(pager *p, pager_page_fn fn, void *arg);
int v2_protected_info_get(pager *p, uint64_t id, pager_protected_info *out);
int v2_page_roles(pager *p, uint8_t *roles, uint64_t n);
pager_role v2_page_role(const pager *p, uint64_t n);

/* Shared steps of an op (v2_pager.c). */
/* Save what an op may change (block: whose entries, or UINT32_MAX). ENOMEM changes nothing. */
int v2_txn_begin(pager *p, uint32_t block);
/* Put the saved state back (memory only). */
void v2_txn_abort(pager *p);
/* One page from the bitmap (lowest free, growing the file when none is free). */
int v2_take_page(pager *p, uint64_t *page);
/* The commit point: the next root into two slots, each synced (docs/format-2.md). On
 * failure memory is rolled back (the caller need not abort) and, if the rollback of
 * the root slots could not be made durable, the pager is poisoned. */
int v2_commit(pager *p);
/* Byte offset of page n in the mapping, or UINT64_MAX. */
static inline uint64_t v2_off(const pager *p, uint64_t n) { return pager_page_off(p, n); }

#endif
