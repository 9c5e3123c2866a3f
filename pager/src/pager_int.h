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
	uint64_t map_len;       /* bytes mapped; invariant: total_pages * ps <= map_len */
	size_t ps;              /* page size in bytes */
	unsigned log2;          /* page_size_log2 */
	uint8_t active_meta;    /* 0 = page 1 (A), 1 = page 2 (B): the copy the superblock selects */
	fmt_meta meta;          /* in-memory working copy of the active metadata */
	fmt_dir_ref *blocks;    /* directory index, fmt_max_dir_blocks(ps) slots */
	uint32_t nblocks;       /* blocks in use */
	uint32_t cap;           /* directory entries per page: fmt_dir_capacity(ps) */
	fmt_entry *entries;     /* nblocks * cap entries: the active directory page of each block */
	uint64_t epoch;         /* bumped by every mutating call; makes protected writers stale */
};

/* Record errno e for pager_last_errno() and return PAGER_EIO. */
int pager_io_error(int e);

/* Protocol steps used by both files (pager.c). */
int pager_alloc_raw(pager *p, uint64_t *page);
int pager_meta_commit(pager *p);
int pager_meta_free_page(pager *p, uint64_t page);
uint32_t pager_page_crc(const pager *p, uint64_t page);
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
