/* pager_int.h — the pager's private state, shared by pager.c and protected.c. */
#ifndef PAGER_INT_H
#define PAGER_INT_H

#include "format.h"
#include "pager.h"
#include "pio.h"

struct pager {
	pager_io io;            /* copied at create/open: the caller's struct may go away */
	void *file;             /* the I/O layer's handle */
	uint8_t *map;           /* whole-file mapping; NULL after a failed remap (Unavailable) */
	uint64_t map_len;       /* bytes mapped. Not tied to total_pages: a file shorter than
				 * total_pages * ps opens, as in the seed, so every access to a
				 * page goes through pager_page_off */
	uint64_t file_len;      /* the file's length as last read or set: what the seed's
				 * map_mut maps when grow restores a mapping */
	size_t ps;              /* page size in bytes */
	unsigned log2;          /* page_size_log2 */
	uint8_t active_meta;    /* 0 = page 1 (A), 1 = page 2 (B): the copy the superblock selects */
	fmt_meta meta;          /* in-memory working copy of the active metadata */
	fmt_dir_ref *blocks;    /* directory index: nblocks used, room allocated */
	uint32_t *block_cap;    /* per block: the entries its directory page holds (<= epp);
				 * the capacity read from disk, written back unchanged */
	fmt_entry *entries;     /* room * epp entries: block b's active directory page at b * epp */
	uint32_t nblocks;       /* blocks in use */
	uint32_t room;          /* blocks that blocks, block_cap and entries have room for */
	uint32_t epp;           /* entries per page, fmt_dir_capacity(ps): the id stride
				 * (id = block * epp + slot, whatever the block's capacity) */
	uint64_t epoch;         /* bumped by every mutating call; makes protected writers stale */
	unsigned format;        /* PAGER_FORMAT_1, or PAGER_FORMAT_2 with v2 set */
	struct pager_v2 *v2;    /* format 2's state (v2_int.h); NULL for format 1, whose state
				 * is every field above */
};

/* Shared by both formats' create/open (pager.c). */
int pager_new(const pager_io *io, unsigned log2, pager **out);
/* Undo a half-made create/open: unmap and close (errors ignored), free p. */
void pager_abandon(pager *p, pio_point unmap_pt, pio_point close_pt);

/* Record errno e for pager_last_errno() and return PAGER_EIO. */
int pager_io_error(int e);

/* Protocol steps used by both files (pager.c). */
int pager_alloc_raw(pager *p, uint64_t *page);
int pager_meta_commit(pager *p);
int pager_meta_free_page(pager *p, uint64_t page);
/* CRC-32 of a whole page into *crc (0 without a mapping, as the seed's
 * page_checksum_at); PAGER_ECORRUPT_METADATA for a page beyond the mapping. */
int pager_page_crc(const pager *p, uint64_t page, uint32_t *crc);
/* Room for n directory blocks in blocks, block_cap and entries. PAGER_ENOMEM leaves
 * everything as it was (arrays may be larger, room is not). */
int pager_reserve_blocks(pager *p, uint32_t n);
/* Directory commit of one block (protected.c). */
int pager_dir_commit(pager *p, uint32_t block);
/* Bitmap of pages that directory structures reference (dir pages, in-use copies). */
uint8_t *pager_structural_pages(const pager *p);

/* byte offset of page n, or UINT64_MAX when it does not fit in the mapping */
static inline uint64_t pager_page_off(const pager *p, uint64_t n)
{
	if (n >= p->map_len / p->ps)
		return UINT64_MAX;
	return n * p->ps;
}

#endif
