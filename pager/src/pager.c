/* pager.c — create/open/close, regular pages, growth and the metadata commit.
 * Follows seed/pager.rs step for step; where the seed would panic or read past the
 * end, an error is returned instead. Protected pages and the directory commit are in
 * protected.c. */
#include "pager_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint8_t *pages_of(pager *p, uint64_t n) { return p->map + n * p->ps; }

static void release(pager *p)
{
	fmt_meta_free(&p->meta);
	free(p->blocks);
	free(p->entries);
	free(p);
}

/* Allocate the pager and its fixed-size arrays for page size 2^log2. */
static int pager_new(const pager_io *io, unsigned log2, pager **out)
{
	pager *p = calloc(1, sizeof *p);
	if (!p)
		return PAGER_ENOMEM;
	p->io = io ? *io : *pager_io_posix();
	p->log2 = log2;
	p->ps = (size_t)1 << log2;
	p->cap = fmt_dir_capacity(p->ps);
	p->blocks = calloc(fmt_max_dir_blocks(p->ps), sizeof *p->blocks);
	if (!p->blocks) {
		release(p);
		return PAGER_ENOMEM;
	}
	*out = p;
	return PAGER_OK;
}

/* Undo a half-made create/open: the seed drops its mmap and File, ignoring errors. */
static void abandon(pager *p, pio_point unmap_pt, pio_point close_pt)
{
	if (p->map)
		(void)pio_unmap(&p->io, unmap_pt, p->file, p->map, p->map_len);
	if (p->file)
		(void)pio_close(&p->io, close_pt, p->file);
	release(p);
}

int pager_create(const char *path, unsigned log2, const pager_io *io, pager **out)
{
	pager *p;
	int rc, e;
	if (!path || !out)
		return PAGER_EINVAL;
	if (log2 < PAGER_MIN_PAGE_SIZE_LOG2 || log2 > PAGER_MAX_PAGE_SIZE_LOG2)
		return PAGER_EINVALID_PAGE_SIZE;
	if ((rc = pager_new(io, log2, &p)))
		return rc;
	size_t ps = p->ps;
	uint64_t len = FMT_INITIAL_PAGES * (uint64_t)ps;

	if ((e = pio_open(&p->io, PIO_CREATE_OPEN, path, 1, &p->file))) {
		p->file = NULL;
		rc = e == EEXIST ? PAGER_EEXISTS : pager_io_error(e);
		goto fail;
	}
	if ((e = pio_set_len(&p->io, PIO_CREATE_SET_LEN, p->file, len))) {
		rc = pager_io_error(e);
		goto fail;
	}
	if ((e = pio_map(&p->io, PIO_CREATE_MAP, p->file, len, &p->map))) {
		p->map = NULL;
		rc = pager_io_error(e);
		goto fail;
	}
	p->map_len = len;

	/* new_for_capacity(4): pages 0-2 allocated, page 3 free, generation 0. */
	p->meta.bitmap = calloc(1, 1);
	if (!p->meta.bitmap) {
		rc = PAGER_ENOMEM;
		goto fail;
	}
	p->meta.bitmap_cap = 1;
	p->meta.bitmap[0] = 0x07;
	p->meta.total_pages = FMT_INITIAL_PAGES;
	p->meta.free_count = FMT_INITIAL_PAGES - FMT_FIRST_DATA_PAGE;

	/* Both metadata copies get the same bytes; the superblock selects A. */
	uint32_t crc = fmt_meta_encode(pages_of(p, FMT_META_A), ps, &p->meta);
	memcpy(pages_of(p, FMT_META_B), pages_of(p, FMT_META_A), ps);
	fmt_sb sb = {.page_size_log2 = log2, .active_meta = 0, .meta_checksum = crc};
	fmt_sb_encode(p->map, &sb);
	fmt_index_encode(p->map, ps, NULL, 0);
	/* One msync of the whole file (the seed's mmap.flush()). Crash before it ends:
	 * any subset of the four pages' units; the file may not open. */
	if ((e = pio_sync(&p->io, PIO_CREATE_SYNC, p->file, p->map, 0, len))) {
		rc = pager_io_error(e);
		goto fail;
	}
	p->active_meta = 0;
	*out = p;
	return PAGER_OK;
fail:
	abandon(p, PIO_CREATE_ABORT_UNMAP, PIO_CREATE_ABORT_CLOSE);
	return rc;
}

/* Select the metadata copy as the seed does: the active one if its own trailer and the
 * superblock's whole-page CRC both match, else the other one if its own trailer does.
 * A copy that passes its CRC but whose bitmap cannot fit its page (the seed would
 * slice past it) is an error, not a fallback. */
static int open_meta(pager *p, const fmt_sb *sb)
{
	uint8_t sel = sb->active_meta;
	uint32_t whole;
	const uint8_t *page = pages_of(p, FMT_META_A + sel);
	if (!(fmt_meta_crc_ok(page, p->ps, &whole) && whole == sb->meta_checksum)) {
		sel = 1 - sel;
		page = pages_of(p, FMT_META_A + sel);
		if (!fmt_meta_crc_ok(page, p->ps, NULL))
			return PAGER_ECORRUPT_METADATA;
	}
	int d = fmt_meta_decode(page, p->ps, &p->meta);
	if (d == -2)
		return PAGER_ENOMEM;
	if (d < 0)
		return PAGER_ECORRUPT_METADATA;
	/* The seed trusts total_pages and would index past the mapping on first use. */
	if (p->meta.total_pages > p->map_len / p->ps)
		return PAGER_ECORRUPT_METADATA;
	p->active_meta = sel;
	return PAGER_OK;
}

/* Load every directory block's active page, falling back to its other copy (and
 * flipping the in-memory selector, not the disk) when the active one is unreadable. */
static int open_dirs(pager *p)
{
	switch (fmt_index_decode(p->map, p->ps, p->blocks, &p->nblocks)) {
	case FMT_INDEX_OK:
		break;
	default:
		return PAGER_ECORRUPT_DIR_INDEX;
	}
	if (p->nblocks == 0)
		return PAGER_OK;
	p->entries = calloc((size_t)p->nblocks * p->cap, sizeof *p->entries);
	if (!p->entries)
		return PAGER_ENOMEM;
	for (uint32_t b = 0; b < p->nblocks; b++) {
		fmt_dir_ref *ref = &p->blocks[b];
		fmt_entry *ents = p->entries + (size_t)b * p->cap;
		uint64_t first = ref->active ? ref->page_b : ref->page_a;
		uint64_t other = ref->active ? ref->page_a : ref->page_b;
		uint64_t off = pager_page_off(p, first);
		if (off != UINT64_MAX && fmt_dir_decode(p->map + off, p->ps, ents) == 0)
			continue;
		off = pager_page_off(p, other);
		if (off != UINT64_MAX && fmt_dir_decode(p->map + off, p->ps, ents) == 0) {
			ref->active = 1 - ref->active;
			continue;
		}
		return PAGER_ECORRUPT_PROTECTED_DIR;
	}
	return PAGER_OK;
}

int pager_open(const char *path, const pager_io *io, pager **out)
{
	pager *p;
	int rc, e;
	uint64_t len;
	if (!path || !out)
		return PAGER_EINVAL;
	/* The page size is not known yet: start at the minimum, fix it after the superblock. */
	if ((rc = pager_new(io, PAGER_MIN_PAGE_SIZE_LOG2, &p)))
		return rc;
	if ((e = pio_open(&p->io, PIO_OPEN_OPEN, path, 0, &p->file))) {
		p->file = NULL;
		rc = pager_io_error(e);
		goto fail;
	}
	if ((e = pio_size(&p->io, PIO_OPEN_SIZE, p->file, &len))) {
		rc = pager_io_error(e);
		goto fail;
	}
	if ((e = pio_map(&p->io, PIO_OPEN_MAP, p->file, len, &p->map))) {
		p->map = NULL;
		rc = pager_io_error(e);
		goto fail;
	}
	p->map_len = len;

	fmt_sb sb;
	rc = PAGER_ECORRUPT_SUPERBLOCK;
	if (len < FMT_SB_LEN || fmt_sb_decode(p->map, &sb) != FMT_SB_OK)
		goto fail;
	/* The seed: 1 << log2 must not overflow and be >= 1024, then the file must hold 4
	 * pages (4 * ps overflowing is a panic in the seed: CorruptSuperblock here). */
	rc = PAGER_EINVALID_PAGE_SIZE;
	if (sb.page_size_log2 >= 64 || sb.page_size_log2 < PAGER_MIN_PAGE_SIZE_LOG2)
		goto fail;
	rc = PAGER_ECORRUPT_SUPERBLOCK;
	if (sb.page_size_log2 > 61 || len < ((uint64_t)FMT_INITIAL_PAGES << sb.page_size_log2))
		goto fail;
	rc = PAGER_EINVALID_PAGE_SIZE;
	if (sb.page_size_log2 > PAGER_MAX_PAGE_SIZE_LOG2)
		goto fail;
	p->log2 = sb.page_size_log2;
	p->ps = (size_t)1 << p->log2;
	p->cap = fmt_dir_capacity(p->ps);
	fmt_dir_ref *blocks = realloc(p->blocks, fmt_max_dir_blocks(p->ps) * sizeof *p->blocks);
	rc = PAGER_ENOMEM;
	if (!blocks)
		goto fail;
	p->blocks = blocks;

	if ((rc = open_meta(p, &sb)) || (rc = open_dirs(p)))
		goto fail;
	*out = p;
	return PAGER_OK;
fail:
	abandon(p, PIO_OPEN_ABORT_UNMAP, PIO_OPEN_ABORT_CLOSE);
	return rc;
}

int pager_close(pager *p)
{
	int e = 0, e2 = 0;
	if (!p)
		return PAGER_OK;
	/* No msync: the seed's Drop only unmaps, so unsynced pages stay in the page cache. */
	if (p->map)
		e = pio_unmap(&p->io, PIO_CLOSE_UNMAP, p->file, p->map, p->map_len);
	e2 = pio_close(&p->io, PIO_CLOSE_CLOSE, p->file);
	release(p);
	if (e || e2)
		return pager_io_error(e ? e : e2);
	return PAGER_OK;
}

/* ---- the allocation bitmap (the seed's MetaPage) ---- */

/* Lowest free page at or after page 3 ("pages 0-2 are never returned"). */
static int meta_alloc(fmt_meta *m, uint64_t *page)
{
	for (uint64_t i = FMT_FIRST_DATA_PAGE; i < m->total_pages; i++) {
		if (!(m->bitmap[i / 8] & (1u << (i % 8)))) {
			m->bitmap[i / 8] |= (uint8_t)(1u << (i % 8));
			m->free_count--; /* wraps like the seed's release build on a lying free_count */
			*page = i;
			return 1;
		}
	}
	return 0;
}

/* Clear page's bit; 0 when out of range or already free (reserved pages are the
 * caller's concern, as in the seed). */
int pager_meta_free_page(pager *p, uint64_t page)
{
	fmt_meta *m = &p->meta;
	if (!fmt_bit(m, page))
		return 0;
	m->bitmap[page / 8] &= (uint8_t) ~(1u << (page % 8));
	m->free_count++;
	return 1;
}

uint32_t pager_page_crc(const pager *p, uint64_t page)
{
	uint64_t off = p->map ? pager_page_off(p, page) : UINT64_MAX;
	return off == UINT64_MAX ? 0 : fmt_crc(0, p->map + off, p->ps);
}

/* Double the file and remap (seed: grow). Does not commit: the new pages are free in
 * memory only and reach disk with the caller's metadata commit. */
static int grow(pager *p)
{
	fmt_meta *m = &p->meta;
	uint64_t total = m->total_pages;
	/* The seed would double 0 into 0 (truncating the file) and panic; refuse instead. */
	if (total == 0)
		return PAGER_ECORRUPT_METADATA;
	uint64_t new_total = total * 2;
	/* The seed does not check that the bitmap still fits its page; we refuse cleanly,
	 * before touching the mapping or the file. */
	if (total > fmt_max_bitmap_pages(p->ps) / 2)
		return PAGER_EBITMAP_FULL;
	size_t blen = fmt_bitmap_len(new_total);
	if (blen > m->bitmap_cap) {
		uint8_t *b = realloc(m->bitmap, blen);
		if (!b)
			return PAGER_ENOMEM;
		m->bitmap = b;
		m->bitmap_cap = blen;
	}
	uint64_t old_size = total * p->ps, new_size = new_total * p->ps;
	uint64_t restore_len = p->map ? p->map_len : old_size;
	int e;

	/* Drop the mapping first (the seed's drop: an unmap error is ignored). */
	if (p->map)
		(void)pio_unmap(&p->io, PIO_GROW_UNMAP, p->file, p->map, p->map_len);
	p->map = NULL;
	if ((e = pio_set_len(&p->io, PIO_GROW_SET_LEN, p->file, new_size))) {
		/* The file keeps its size: map the old length again. If even that fails the
		 * pager stays Unavailable and reports the map error, as the seed does. */
		int e2 = pio_map(&p->io, PIO_GROW_RESTORE_MAP, p->file, restore_len, &p->map);
		if (e2) {
			p->map = NULL;
			return pager_io_error(e2);
		}
		p->map_len = restore_len;
		return pager_io_error(e);
	}
	if ((e = pio_map(&p->io, PIO_GROW_MAP, p->file, new_size, &p->map))) {
		/* Best-effort shrink back; the pager is Unavailable until reopened. */
		p->map = NULL;
		(void)pio_set_len(&p->io, PIO_GROW_ROLLBACK_SET_LEN, p->file, old_size);
		return pager_io_error(e);
	}
	p->map_len = new_size;
	/* grow_to(new_total): the bitmap is extended with zero bytes, the new pages are
	 * free. Stray bits past the old total in its last byte are kept, as a resize is. */
	memset(m->bitmap + fmt_bitmap_len(total), 0, blen - fmt_bitmap_len(total));
	m->free_count += new_total - total;
	m->total_pages = new_total;
	return PAGER_OK;
}

/* One page from the bitmap, growing the file when none is free (seed: alloc_one_raw). */
int pager_alloc_raw(pager *p, uint64_t *page)
{
	int rc;
	if (meta_alloc(&p->meta, page))
		return PAGER_OK;
	if ((rc = grow(p)))
		return rc;
	if (meta_alloc(&p->meta, page))
		return PAGER_OK;
	/* The seed's expect("grow always adds free pages") panics here. */
	return PAGER_ECORRUPT_METADATA;
}

/* Metadata commit (seed: commit). The active copy is never overwritten in place. */
int pager_meta_commit(pager *p)
{
	size_t ps = p->ps;
	uint8_t inactive = 1 - p->active_meta;
	uint64_t off = (FMT_META_A + inactive) * (uint64_t)ps;
	int e;
	p->meta.generation++;
	if (!p->map)
		return PAGER_EUNAVAILABLE;
	/* Step 1 (pager/commit/meta_sync): write the new metadata into the inactive copy
	 * and msync it. A crash before the sync completes leaves any subset of its units
	 * on disk, but the superblock still selects the old copy and its CRC. */
	uint32_t crc = fmt_meta_encode(p->map + off, ps, &p->meta);
	if ((e = pio_sync(&p->io, PIO_COMMIT_META_SYNC, p->file, p->map, off, ps)))
		return pager_io_error(e);
	/* Step 2 (pager/commit/sb_sync): rewrite all of page 0 in place — superblock
	 * selecting the new copy with its whole-page CRC, plus the unchanged directory
	 * index — and msync it. Page 0 is not double-buffered: a torn page 0 is the
	 * seed's exposure here. */
	fmt_sb sb = {.page_size_log2 = p->log2, .active_meta = inactive, .meta_checksum = crc};
	fmt_sb_encode(p->map, &sb);
	fmt_index_encode(p->map, ps, p->blocks, p->nblocks);
	if ((e = pio_sync(&p->io, PIO_COMMIT_SB_SYNC, p->file, p->map, 0, ps)))
		return pager_io_error(e);
	/* Step 3: durable; only now does memory follow. */
	p->active_meta = inactive;
	return PAGER_OK;
}

int pager_alloc(pager *p, uint64_t *page)
{
	uint64_t id;
	int rc;
	if (!p || !page)
		return PAGER_EINVAL;
	p->epoch++;
	if ((rc = pager_alloc_raw(p, &id)) || (rc = pager_meta_commit(p)))
		return rc;
	*page = id;
	return PAGER_OK;
}

int pager_free(pager *p, uint64_t page)
{
	if (!p)
		return PAGER_EINVAL;
	p->epoch++;
	if (page < FMT_FIRST_DATA_PAGE)
		return PAGER_ERESERVED_PAGE;
	if (!pager_meta_free_page(p, page))
		return page >= p->meta.total_pages ? PAGER_EOUT_OF_BOUNDS : PAGER_EDOUBLE_FREE;
	return pager_meta_commit(p);
}

int pager_page(pager *p, uint64_t page, uint8_t **data)
{
	if (!p || !data)
		return PAGER_EINVAL;
	if (page < FMT_FIRST_DATA_PAGE)
		return PAGER_ERESERVED_PAGE;
	if (page >= p->meta.total_pages)
		return PAGER_EOUT_OF_BOUNDS;
	if (!p->map)
		return PAGER_EUNAVAILABLE;
	uint64_t off = pager_page_off(p, page);
	if (off == UINT64_MAX)
		return PAGER_ECORRUPT_METADATA;
	*data = p->map + off;
	return PAGER_OK;
}

size_t pager_page_size(const pager *p) { return p->ps; }
uint64_t pager_page_count(const pager *p) { return p->meta.total_pages; }
uint64_t pager_free_page_count(const pager *p) { return p->meta.free_count; }

static void mark(uint8_t *bits, uint64_t n, uint64_t total)
{
	if (n < total)
		bits[n / 8] |= (uint8_t)(1u << (n % 8));
}

uint8_t *pager_structural_pages(const pager *p)
{
	uint64_t total = p->meta.total_pages;
	uint8_t *bits = calloc(fmt_bitmap_len(total) + 1, 1);
	if (!bits)
		return NULL;
	for (uint32_t b = 0; b < p->nblocks; b++) {
		mark(bits, p->blocks[b].page_a, total);
		mark(bits, p->blocks[b].page_b, total);
		const fmt_entry *ents = p->entries + (size_t)b * p->cap;
		for (uint32_t s = 0; s < p->cap; s++) {
			if (ents[s].in_use) {
				mark(bits, ents[s].page_a, total);
				mark(bits, ents[s].page_b, total);
			}
		}
	}
	return bits;
}

int pager_foreach_page(pager *p, pager_page_fn fn, void *arg)
{
	uint8_t *st = pager_structural_pages(p);
	if (!st)
		return PAGER_ENOMEM;
	int r = 0;
	for (uint64_t i = FMT_FIRST_DATA_PAGE; i < p->meta.total_pages && !r; i++)
		if (fmt_bit(&p->meta, i) && !(st[i / 8] >> (i % 8) & 1))
			r = fn(arg, i);
	free(st);
	return r;
}

int pager_page_roles(pager *p, uint8_t *roles, uint64_t n)
{
	uint64_t total = p->meta.total_pages;
	for (uint64_t i = 0; i < n; i++) {
		if (i >= total)
			roles[i] = PAGER_ROLE_BEYOND;
		else if (i == 0)
			roles[i] = PAGER_ROLE_SUPERBLOCK;
		else if (i == FMT_META_A)
			roles[i] = PAGER_ROLE_META_A;
		else if (i == FMT_META_B)
			roles[i] = PAGER_ROLE_META_B;
		else
			roles[i] = fmt_bit(&p->meta, i) ? PAGER_ROLE_REGULAR : PAGER_ROLE_FREE;
	}
	/* Directory structures override what the bitmap says (a referenced page the
	 * bitmap calls free is still a directory page or a protected copy). */
	for (uint32_t b = 0; b < p->nblocks; b++) {
		const fmt_dir_ref *r = &p->blocks[b];
		if (r->page_a < n && r->page_a >= FMT_FIRST_DATA_PAGE)
			roles[r->page_a] = PAGER_ROLE_DIRECTORY;
		if (r->page_b < n && r->page_b >= FMT_FIRST_DATA_PAGE)
			roles[r->page_b] = PAGER_ROLE_DIRECTORY;
		const fmt_entry *ents = p->entries + (size_t)b * p->cap;
		for (uint32_t s = 0; s < p->cap; s++) {
			if (!ents[s].in_use)
				continue;
			if (ents[s].page_a < n && ents[s].page_a >= FMT_FIRST_DATA_PAGE)
				roles[ents[s].page_a] = PAGER_ROLE_PROTECTED;
			if (ents[s].page_b < n && ents[s].page_b >= FMT_FIRST_DATA_PAGE)
				roles[ents[s].page_b] = PAGER_ROLE_PROTECTED;
		}
	}
	return PAGER_OK;
}
