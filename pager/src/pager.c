/* pager.c — create/open/close, regular pages, growth and the metadata commit.
 * Follows seed/pager.rs step for step; where the seed would panic or read past the
 * end, an error is returned instead. Protected pages and the directory commit are in
 * protected.c. Format 2 (the repaired protocol) lives in v2_*.c: each public call
 * hands a format 2 pager to its v2_ twin at the top and the seed's code stays as it was. */
#include "pager_int.h"
#include "v2_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint8_t *pages_of(pager *p, uint64_t n) { return p->map + n * p->ps; }

static void release(pager *p)
{
	v2_release(p);
	fmt_meta_free(&p->meta);
	free(p->blocks);
	free(p->block_cap);
	free(p->entries);
	free(p);
}

/* Allocate the pager for page size 2^log2. The directory arrays start empty: they
 * grow with the blocks in use (pager_reserve_blocks), never to the most page 0 could
 * index (about 1.5 GB of references at 2^30-byte pages). */
int pager_new(const pager_io *io, unsigned log2, pager **out)
{
	pager *p = calloc(1, sizeof *p);
	if (!p)
		return PAGER_ENOMEM;
	p->io = io ? *io : *pager_io_posix();
	p->log2 = log2;
	p->ps = (size_t)1 << log2;
	p->epp = fmt_dir_capacity(p->ps);
	p->format = PAGER_FORMAT_1;
	*out = p;
	return PAGER_OK;
}

int pager_reserve_blocks(pager *p, uint32_t n)
{
	if (n <= p->room)
		return PAGER_OK;
	/* Exactly n: a block is added once per epp protected pages, and at large page
	 * sizes one block's entries are big enough that doubling would waste a lot. */
	if ((size_t)n > SIZE_MAX / sizeof(fmt_entry) / p->epp)
		return PAGER_ENOMEM;
	fmt_dir_ref *blocks = realloc(p->blocks, (size_t)n * sizeof *blocks);
	if (!blocks)
		return PAGER_ENOMEM;
	p->blocks = blocks;
	uint32_t *caps = realloc(p->block_cap, (size_t)n * sizeof *caps);
	if (!caps)
		return PAGER_ENOMEM;
	p->block_cap = caps;
	fmt_entry *ents = realloc(p->entries, (size_t)n * p->epp * sizeof *ents);
	if (!ents)
		return PAGER_ENOMEM;
	p->entries = ents;
	p->room = n;
	return PAGER_OK;
}

/* Undo a half-made create/open: the seed drops its mmap and File, ignoring errors. */
void pager_abandon(pager *p, pio_point unmap_pt, pio_point close_pt)
{
	if (p->map)
		(void)pio_unmap(&p->io, unmap_pt, p->file, p->map, p->map_len);
	if (p->file)
		(void)pio_close(&p->io, close_pt, p->file);
	release(p);
}

int pager_create_opts_init(pager_create_opts *opts, unsigned int version)
{
	if (!opts || version != PAGER_CREATE_OPTS_VERSION)
		return PAGER_EINVAL;
	*opts = (pager_create_opts)PAGER_CREATE_OPTS_INIT;
	return PAGER_OK;
}

int pager_create_ext(const char *path, const pager_create_opts *opts, const pager_io *io, pager **out)
{
	pager_create_opts def = PAGER_CREATE_OPTS_INIT;
	if (!opts)
		opts = &def;
	if (opts->version != PAGER_CREATE_OPTS_VERSION)
		return PAGER_EINVAL;
	if (opts->format == PAGER_FORMAT_1)
		return pager_create(path, opts->page_size_log2, io, out);
	if (opts->format != PAGER_FORMAT_2)
		return PAGER_EINVAL;
	if (!path || !out)
		return PAGER_EINVAL;
	if (opts->page_size_log2 < PAGER_MIN_PAGE_SIZE_LOG2 || opts->page_size_log2 > PAGER_MAX_PAGE_SIZE_LOG2)
		return PAGER_EINVALID_PAGE_SIZE;
	return v2_create(path, opts->page_size_log2, io, out);
}

unsigned pager_format(const pager *p)
{
	return p->format;
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
	p->map_len = p->file_len = len;

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
	pager_abandon(p, PIO_CREATE_ABORT_UNMAP, PIO_CREATE_ABORT_CLOSE);
	return rc;
}

/* Select the metadata copy as the seed does. A copy decodes when its own trailer
 * matches and its bitmap fits before the trailer (MetaPage::from_bytes: None for
 * either failure, so both fall back alike). The selected copy is used if it decodes
 * and the superblock's whole-page CRC matches it, else the other one if it decodes;
 * else CorruptMetadata. total_pages is trusted as the seed trusts it: a file shorter
 * than total_pages pages opens, and each later access checks the mapping. */
static int open_meta(pager *p, const fmt_sb *sb)
{
	uint8_t sel = sb->active_meta;
	uint32_t whole;
	const uint8_t *page = pages_of(p, FMT_META_A + sel);
	if (!(fmt_meta_crc_ok(page, p->ps, &whole) && fmt_meta_fits(page, p->ps) &&
	      whole == sb->meta_checksum)) {
		sel = 1 - sel;
		page = pages_of(p, FMT_META_A + sel);
		if (!(fmt_meta_crc_ok(page, p->ps, NULL) && fmt_meta_fits(page, p->ps)))
			return PAGER_ECORRUPT_METADATA;
	}
	int d = fmt_meta_decode(page, p->ps, &p->meta);
	if (d == -2)
		return PAGER_ENOMEM;
	if (d < 0)
		return PAGER_ECORRUPT_METADATA; /* not reached: the fit was tested above */
	p->active_meta = sel;
	return PAGER_OK;
}

/* Load every directory block's active page, falling back to its other copy (and
 * flipping the in-memory selector, not the disk) when the active one is unreadable. */
static int open_dirs(pager *p)
{
	uint32_t raw = fmt_get32(p->map + FMT_DIR_INDEX_OFF), n = 0;
	uint32_t max = fmt_max_dir_blocks(p->ps);
	int rc = PAGER_OK;
	/* The index is decoded into a buffer of the count on disk before the per-block
	 * arrays are sized, so a bad index fails with the seed's error,
	 * CorruptDirectoryIndex, not with an allocation its count asked for. A count
	 * above max is refused by the decoder without writing a reference. */
	fmt_dir_ref *refs = calloc(raw && raw <= max ? raw : 1, sizeof *refs);
	if (!refs)
		return PAGER_ENOMEM;
	if (fmt_index_decode(p->map, p->ps, refs, &n) != FMT_INDEX_OK) {
		rc = PAGER_ECORRUPT_DIR_INDEX;
		goto done;
	}
	if ((rc = pager_reserve_blocks(p, n)))
		goto done;
	if (n)
		memcpy(p->blocks, refs, n * sizeof *refs);
	p->nblocks = n;
	for (uint32_t b = 0; b < n; b++) {
		fmt_dir_ref *ref = &p->blocks[b];
		fmt_entry *ents = p->entries + (size_t)b * p->epp;
		uint64_t first = ref->active ? ref->page_b : ref->page_a;
		uint64_t other = ref->active ? ref->page_a : ref->page_b;
		uint64_t off = pager_page_off(p, first);
		if (off == UINT64_MAX || fmt_dir_decode(p->map + off, p->ps, ents) != 0) {
			off = pager_page_off(p, other);
			if (off == UINT64_MAX || fmt_dir_decode(p->map + off, p->ps, ents) != 0) {
				rc = PAGER_ECORRUPT_PROTECTED_DIR;
				goto done;
			}
			ref->active = 1 - ref->active;
		}
		/* The capacity the page was read with; slots past it do not exist. */
		p->block_cap[b] = fmt_dir_page_capacity(p->map + off);
	}
done:
	free(refs);
	return rc;
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
	/* An empty file is refused before mapping: mmap(2) rejects length 0, while the
	 * seed's memmap2 maps it as an empty slice and then finds fewer than 20 bytes.
	 * Every other length is mapped first, as in the seed. */
	rc = PAGER_ECORRUPT_SUPERBLOCK;
	if (len == 0)
		goto fail;
	if ((e = pio_map(&p->io, PIO_OPEN_MAP, p->file, len, &p->map))) {
		p->map = NULL;
		rc = pager_io_error(e);
		goto fail;
	}
	p->map_len = p->file_len = len;

	fmt_sb sb;
	rc = PAGER_ECORRUPT_SUPERBLOCK;
	if (len < FMT_SB_LEN || fmt_sb_decode(p->map, &sb) != FMT_SB_OK) {
		/* Not a format 1 superblock. Format 2 keeps a root in three slots (slot 0 at
		 * byte 0 may be the torn one): v2_open looks for them all, and finds none in
		 * a file that is neither format, which is then refused as the seed does. */
		if ((rc = v2_open(p)))
			goto fail;
		*out = p;
		return PAGER_OK;
	}
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
	p->epp = fmt_dir_capacity(p->ps);

	if ((rc = open_meta(p, &sb)) || (rc = open_dirs(p)))
		goto fail;
	*out = p;
	return PAGER_OK;
fail:
	pager_abandon(p, PIO_OPEN_ABORT_UNMAP, PIO_OPEN_ABORT_CLOSE);
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

/* The lowest clear bit below total_pages (seed: MetaPage::alloc_page). The scan starts
 * at bit 0, as the seed's does: the seed's "pages 0-2 are never returned" holds only
 * because every bitmap it writes has them set, so a bitmap that calls them free hands
 * them out (pager_page and pager_free still refuse them as reserved). The first byte
 * that is not 0xff decides: a clear bit at or past total_pages means none is free.
 * free_count saturates at 0 (saturating_sub): a stored 0 that lies stays 0. */
static int meta_alloc(fmt_meta *m, uint64_t *page)
{
	size_t blen = fmt_bitmap_len(m->total_pages);
	for (size_t i = 0; i < blen; i++) {
		if (m->bitmap[i] == 0xff)
			continue;
		unsigned bit = (unsigned)__builtin_ctz(~(unsigned)m->bitmap[i]);
		uint64_t n = (uint64_t)i * 8 + bit;
		if (n >= m->total_pages)
			return 0;
		m->bitmap[i] |= (uint8_t)(1u << bit);
		if (m->free_count > 0)
			m->free_count--;
		*page = n;
		return 1;
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

int pager_page_crc(const pager *p, uint64_t page, uint32_t *crc)
{
	*crc = 0;
	if (!p->map)
		return PAGER_OK;
	uint64_t off = pager_page_off(p, page);
	if (off == UINT64_MAX)
		return PAGER_ECORRUPT_METADATA; /* the seed would slice past its mapping */
	*crc = fmt_crc(0, p->map + off, p->ps);
	return PAGER_OK;
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
	int e;

	/* Drop the mapping first (the seed's drop: an unmap error is ignored). */
	if (p->map)
		(void)pio_unmap(&p->io, PIO_GROW_UNMAP, p->file, p->map, p->map_len);
	p->map = NULL;
	if ((e = pio_set_len(&p->io, PIO_GROW_SET_LEN, p->file, new_size))) {
		/* The file keeps its size: map it again, whole, as the seed's map_mut does
		 * (not total_pages' worth: the file may be shorter, or longer after a failed
		 * rollback). If even that fails the pager stays Unavailable and reports the
		 * map error, as the seed does. */
		int e2 = pio_map(&p->io, PIO_GROW_RESTORE_MAP, p->file, p->file_len, &p->map);
		if (e2) {
			p->map = NULL;
			return pager_io_error(e2);
		}
		p->map_len = p->file_len;
		return pager_io_error(e);
	}
	p->file_len = new_size;
	if ((e = pio_map(&p->io, PIO_GROW_MAP, p->file, new_size, &p->map))) {
		/* Best-effort shrink back to total_pages' worth (the seed's old_file_size,
		 * which extends a file that was shorter); the pager is Unavailable. */
		p->map = NULL;
		if (pio_set_len(&p->io, PIO_GROW_ROLLBACK_SET_LEN, p->file, old_size) == 0)
			p->file_len = old_size;
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
	/* Only a grow from total_pages 1 (hostile metadata) leaves a 2-page mapping: the
	 * seed would slice past it writing copy B. */
	if (pager_page_off(p, FMT_META_A + inactive) == UINT64_MAX)
		return PAGER_ECORRUPT_METADATA;
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
	if (p->v2)
		return v2_alloc(p, page);
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
	if (p->v2)
		return v2_free(p, page);
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
	if (p->v2)
		return v2_page(p, page, data);
	if (page < FMT_FIRST_DATA_PAGE)
		return PAGER_ERESERVED_PAGE;
	if (page >= p->meta.total_pages)
		return PAGER_EOUT_OF_BOUNDS;
	if (!p->map)
		return PAGER_EUNAVAILABLE;
	/* total_pages may promise more pages than the file holds (it opens, as in the
	 * seed); the seed would slice past its mapping here. */
	uint64_t off = pager_page_off(p, page);
	if (off == UINT64_MAX)
		return PAGER_ECORRUPT_METADATA;
	*data = p->map + off;
	return PAGER_OK;
}

size_t pager_page_size(const pager *p) { return p->ps; }
uint64_t pager_page_count(const pager *p) { return p->v2 ? p->v2->s.total : p->meta.total_pages; }
uint64_t pager_free_page_count(const pager *p) { return p->v2 ? p->v2->s.free_count : p->meta.free_count; }

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
		const fmt_entry *ents = p->entries + (size_t)b * p->epp;
		for (uint32_t s = 0; s < p->block_cap[b]; s++) {
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
	if (p->v2)
		return v2_foreach_page(p, fn, arg);
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

pager_role pager_page_role(const pager *p, uint64_t n)
{
	if (p->v2)
		return v2_page_role(p, n);
	if (n >= p->meta.total_pages)
		return PAGER_ROLE_BEYOND;
	if (n < FMT_FIRST_DATA_PAGE)
		return n == 0 ? PAGER_ROLE_SUPERBLOCK : n == FMT_META_A ? PAGER_ROLE_META_A : PAGER_ROLE_META_B;
	/* The directory overrides the bitmap, as in pager_page_roles (the last writer there
	 * wins: a copy an in-use entry names is PROTECTED even if a block also names it). */
	pager_role r = fmt_bit(&p->meta, n) ? PAGER_ROLE_REGULAR : PAGER_ROLE_FREE;
	for (uint32_t b = 0; b < p->nblocks; b++) {
		if (p->blocks[b].page_a == n || p->blocks[b].page_b == n)
			r = PAGER_ROLE_DIRECTORY;
		const fmt_entry *ents = p->entries + (size_t)b * p->epp;
		for (uint32_t s = 0; s < p->block_cap[b]; s++)
			if (ents[s].in_use && (ents[s].page_a == n || ents[s].page_b == n))
				r = PAGER_ROLE_PROTECTED;
	}
	return r;
}

int pager_page_roles(pager *p, uint8_t *roles, uint64_t n)
{
	if (p->v2)
		return v2_page_roles(p, roles, n);
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
		const fmt_entry *ents = p->entries + (size_t)b * p->epp;
		for (uint32_t s = 0; s < p->block_cap[b]; s++) {
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
