/* protected.c — protected (copy-on-write) pages and the directory commit.
 * A protected page has two backing copies (page_a, page_b) and an entry in a
 * directory page; each directory block has two directory pages (A/B) and page 0's
 * index says which one is current. Follows seed/pager.rs step for step. */
#include "pager_int.h"
#include "v2_int.h"

#include <stdlib.h>
#include <string.h>

/* Directory commit of one block (seed: commit_dir_block). */
int pager_dir_commit(pager *p, uint32_t block)
{
	size_t ps = p->ps;
	fmt_dir_ref *ref = &p->blocks[block];
	uint8_t inactive = 1 - ref->active;
	uint64_t phys = inactive ? ref->page_b : ref->page_a;
	uint64_t meta_page = FMT_META_A + p->active_meta;
	int e;
	if (!p->map)
		return PAGER_EUNAVAILABLE;
	/* Where the seed would slice past its mapping: a directory page at or beyond the
	 * end of the file, or (after a grow from total_pages 1 left 2 pages) the active
	 * metadata copy step 3 reads. A directory page at 0-2 is written there, as the
	 * seed does: it clobbers a reserved page, which is no undefined behaviour. */
	uint64_t off = pager_page_off(p, phys);
	if (off == UINT64_MAX)
		return PAGER_ECORRUPT_DIR_INDEX;
	if (pager_page_off(p, meta_page) == UINT64_MAX)
		return PAGER_ECORRUPT_METADATA;
	/* Step 1 (pager/dircommit/dir_sync): write the block's directory page into its
	 * inactive copy and msync it. Until page 0 flips, the old copy is current. A new
	 * block's first commit writes page_b only: its page_a is never written. The page
	 * keeps the capacity it was read with. */
	fmt_dir_encode(p->map + off, ps, p->entries + (size_t)block * p->epp, p->block_cap[block]);
	if ((e = pio_sync(&p->io, PIO_DIRCOMMIT_DIR_SYNC, p->file, p->map, off, ps)))
		return pager_io_error(e);
	/* Step 2: flip the selector in memory. */
	ref->active = inactive;
	/* Step 3 (pager/dircommit/sb_sync): rewrite all of page 0 — the superblock with
	 * the CRC of the active metadata page as it is in the mapping, and the index with
	 * the flipped selector — and msync it. Page 0 is rewritten in place: if only some
	 * of its units reach disk the index CRC no longer matches. */
	uint64_t meta_off = meta_page * ps;
	fmt_sb sb = {.page_size_log2 = p->log2,
		     .active_meta = p->active_meta,
		     .meta_checksum = fmt_crc(0, p->map + meta_off, ps)};
	fmt_sb_encode(p->map, &sb);
	fmt_index_encode(p->map, ps, p->blocks, p->nblocks);
	if ((e = pio_sync(&p->io, PIO_DIRCOMMIT_SB_SYNC, p->file, p->map, 0, ps)))
		return pager_io_error(e);
	return PAGER_OK;
}

/* The entry for id with bounds checked, or NULL (seed: dir_entry_mut). The id splits
 * by the page size's entries per page; a block whose page holds fewer has no slot
 * past its capacity (the seed's entries.get(slot)). */
static fmt_entry *entry_at(pager *p, uint64_t id, uint32_t *block)
{
	uint64_t b = id / p->epp, s = id % p->epp;
	if (b >= p->nblocks || s >= p->block_cap[b])
		return NULL;
	*block = (uint32_t)b;
	return p->entries + b * p->epp + s;
}

/* The entry for id only if in use (seed: dir_entry). */
static fmt_entry *live_entry(pager *p, uint64_t id, uint32_t *block)
{
	fmt_entry *e = entry_at(p, id, block);
	return e && e->in_use ? e : NULL;
}

int pager_alloc_protected(pager *p, uint64_t *id)
{
	uint64_t pa, pb, da, db;
	int rc;
	if (!p || !id)
		return PAGER_EINVAL;
	p->epoch++;
	if (p->v2)
		return v2_alloc_protected(p, id);
	/* A free slot in an existing block: two backing pages, a metadata commit, then
	 * a directory commit. The two commits are not atomic together: a crash between
	 * them leaves two allocated pages that nothing references. */
	uint32_t crc;
	for (uint32_t b = 0; b < p->nblocks; b++) {
		fmt_entry *ents = p->entries + (size_t)b * p->epp;
		for (uint32_t s = 0; s < p->block_cap[b]; s++) {
			if (ents[s].in_use)
				continue;
			if ((rc = pager_alloc_raw(p, &pa)) || (rc = pager_alloc_raw(p, &pb)) ||
			    (rc = pager_meta_commit(p)))
				return rc;
			/* The copy is not zeroed: its CRC is whatever the reused page holds. A
			 * copy beyond a short file fails here, after the metadata commit, where
			 * the seed panics: both pages stay allocated, nothing refers to them. */
			if ((rc = pager_page_crc(p, pa, &crc)))
				return rc;
			ents[s] = (fmt_entry){.in_use = 1, .page_a = pa, .page_b = pb, .checksum = crc};
			if ((rc = pager_dir_commit(p, b)))
				return rc;
			*id = (uint64_t)b * p->epp + s;
			return PAGER_OK;
		}
	}
	/* No free slot: a new block (two directory pages) plus the two backing pages,
	 * allocated in one metadata commit. Room for the block first, so running out of
	 * memory changes nothing. */
	if (p->nblocks >= fmt_max_dir_blocks(p->ps))
		return PAGER_EDIRECTORY_FULL;
	if ((rc = pager_reserve_blocks(p, p->nblocks + 1)))
		return rc;
	if ((rc = pager_alloc_raw(p, &da)) || (rc = pager_alloc_raw(p, &db)) ||
	    (rc = pager_alloc_raw(p, &pa)) || (rc = pager_alloc_raw(p, &pb)) ||
	    (rc = pager_meta_commit(p)))
		return rc;
	/* As above; the seed would panic after adding the block in memory, which it never
	 * uses again. Here the block is not added: a later commit of page 0 must not name
	 * directory pages that were never written. */
	if ((rc = pager_page_crc(p, pa, &crc)))
		return rc;
	uint32_t b = p->nblocks++;
	p->blocks[b] = (fmt_dir_ref){.page_a = da, .page_b = db, .active = 0};
	p->block_cap[b] = p->epp;
	fmt_entry *ents = p->entries + (size_t)b * p->epp;
	memset(ents, 0, p->epp * sizeof *ents);
	ents[0] = (fmt_entry){.in_use = 1, .page_a = pa, .page_b = pb, .checksum = crc};
	if ((rc = pager_dir_commit(p, b)))
		return rc;
	*id = (uint64_t)b * p->epp;
	return PAGER_OK;
}

int pager_free_protected(pager *p, uint64_t id)
{
	uint32_t b;
	int rc;
	if (!p)
		return PAGER_EINVAL;
	p->epoch++;
	if (p->v2)
		return v2_free_protected(p, id);
	fmt_entry *e = entry_at(p, id, &b);
	if (!e)
		return PAGER_EOUT_OF_BOUNDS;
	if (!e->in_use)
		return PAGER_EDOUBLE_FREE;
	uint64_t pa = e->page_a, pb = e->page_b;
	/* The slot is freed in the directory first, then the pages in the metadata: a
	 * crash between the two commits leaks both pages rather than reusing a live one. */
	e->in_use = 0;
	if ((rc = pager_dir_commit(p, b)))
		return rc;
	(void)pager_meta_free_page(p, pa);
	(void)pager_meta_free_page(p, pb);
	return pager_meta_commit(p);
}

int pager_protected_read(pager *p, uint64_t id, const uint8_t **data)
{
	uint32_t b;
	if (!p || !data)
		return PAGER_EINVAL;
	if (p->v2)
		return v2_protected_read(p, id, data);
	const fmt_entry *e = live_entry(p, id, &b);
	if (!e)
		return PAGER_EOUT_OF_BOUNDS;
	uint64_t phys = e->active_slot == 0 ? e->page_a : e->page_b;
	if (!p->map)
		return PAGER_EUNAVAILABLE;
	uint64_t off = pager_page_off(p, phys);
	if (off == UINT64_MAX)
		return PAGER_ECORRUPT_PROTECTED_DIR; /* the seed would slice past the mapping */
	*data = p->map + off;
	return PAGER_OK;
}

int pager_protected_begin(pager *p, uint64_t id, pager_pwrite *w)
{
	uint32_t b;
	if (!p || !w)
		return PAGER_EINVAL;
	if (p->v2)
		return v2_protected_begin(p, id, w);
	const fmt_entry *e = live_entry(p, id, &b);
	if (!e)
		return PAGER_EOUT_OF_BOUNDS;
	/* The seed computes 1 - active_slot in a u8: anything but 0/1 would underflow. */
	if (e->active_slot > 1)
		return PAGER_ECORRUPT_PROTECTED_DIR;
	uint8_t slot = 1 - e->active_slot;
	uint64_t phys = slot == 0 ? e->page_a : e->page_b;
	if (!p->map)
		return PAGER_EUNAVAILABLE;
	uint64_t off = pager_page_off(p, phys);
	if (off == UINT64_MAX)
		return PAGER_ECORRUPT_PROTECTED_DIR;
	*w = (pager_pwrite){.id = id, .page = phys, .slot = slot, .data = p->map + off, .epoch = p->epoch};
	return PAGER_OK;
}

int pager_protected_commit(pager *p, pager_pwrite *w)
{
	uint32_t b;
	int e;
	if (p && w && p->v2)
		return v2_protected_commit(p, w);
	if (!p || !w || !w->data || w->epoch != p->epoch)
		return PAGER_EINVAL; /* the seed's borrow checker makes a stale writer impossible */
	p->epoch++;
	w->data = NULL;
	if (!p->map)
		return PAGER_EUNAVAILABLE;
	uint64_t off = pager_page_off(p, w->page);
	if (off == UINT64_MAX)
		return PAGER_ECORRUPT_PROTECTED_DIR;
	/* Step 1 (pager/protcommit/data_sync): msync the filled inactive copy. The old
	 * copy stays the readable one until the directory commit below lands. */
	if ((e = pio_sync(&p->io, PIO_PROTCOMMIT_DATA_SYNC, p->file, p->map, off, p->ps)))
		return pager_io_error(e);
	/* Steps 2-3: CRC of the new copy; the entry flips to it in memory. */
	uint32_t crc = fmt_crc(0, p->map + off, p->ps);
	fmt_entry *ent = entry_at(p, w->id, &b);
	if (!ent)
		return PAGER_EOUT_OF_BOUNDS;
	ent->active_slot = w->slot;
	ent->generation++;
	ent->checksum = crc;
	/* Step 4: the directory commit makes the flip durable. */
	return pager_dir_commit(p, b);
}

void pager_protected_abandon(pager *p, pager_pwrite *w)
{
	(void)p;
	/* The seed's writer going out of scope: the staged bytes stay in the inactive
	 * copy (and the page cache) but nothing refers to them. */
	if (w)
		w->data = NULL;
}

int pager_foreach_protected(pager *p, pager_page_fn fn, void *arg)
{
	if (p->v2)
		return v2_foreach_protected(p, fn, arg);
	int r = 0;
	for (uint32_t b = 0; b < p->nblocks && !r; b++)
		for (uint32_t s = 0; s < p->block_cap[b] && !r; s++)
			if (p->entries[(size_t)b * p->epp + s].in_use)
				r = fn(arg, (uint64_t)b * p->epp + s);
	return r;
}

int pager_protected_info_get(pager *p, uint64_t id, pager_protected_info *out)
{
	uint32_t b;
	if (p->v2)
		return v2_protected_info_get(p, id, out);
	const fmt_entry *e = live_entry(p, id, &b);
	if (!e)
		return PAGER_EOUT_OF_BOUNDS;
	*out = (pager_protected_info){.page_a = e->page_a, .page_b = e->page_b,
				      .active_slot = e->active_slot, .generation = e->generation,
				      .checksum = e->checksum};
	return PAGER_OK;
}
