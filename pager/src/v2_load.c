/* v2_load.c — format 2 recovery: from the bytes of a file to the state of its newest
 * valid root, every count and page number checked against the file first. pager_open
 * (v2_open) and pager_check (v2_check.c) both read images through v2_load, so the
 * checker judges exactly what recovery does. It writes nothing.
 *
 * The rule (docs/format-2.md, "Recovery"):
 *  1. A root is valid when its tag, version 0.2, page size, slot index, CRC and fields
 *     pass (v2_root_decode). Slot i of page size ps is at byte i * max(4096, ps); slot 0
 *     is at byte 0 whatever the page size, so when it is unreadable the other slots are
 *     looked for at the places of every page size 2^10..2^30, each candidate's header
 *     naming the page size its place implies.
 *  2. Recovery takes the valid root with the highest generation. A commit writes a new
 *     generation into two slots in turn, each synced, so after any crash the newest
 *     durable root is valid in at least one slot (a torn slot is invalid, never a mix
 *     that passes), and every page it names was written and synced before it.
 *  3. That root is then checked against the file; a failure is corruption no crash can
 *     explain, and recovery stops (no fallback to an older generation: that would hand
 *     back an older state silently). */
#include "v2_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void v2_state_free(v2_state *s)
{
	free(s->bitmap);
	free(s->internal);
	free(s->blocks);
	free(s->entries);
	memset(s, 0, sizeof *s);
}

int v2_state_reserve_pages(v2_state *s, uint64_t total)
{
	size_t need = fmt_bitmap_len(total);
	if (need <= s->bm_cap)
		return PAGER_OK;
	uint8_t *b = realloc(s->bitmap, need);
	if (!b)
		return PAGER_ENOMEM;
	memset(b + s->bm_cap, 0, need - s->bm_cap);
	s->bitmap = b;
	uint8_t *i = realloc(s->internal, need);
	if (!i)
		return PAGER_ENOMEM; /* bitmap is larger, bm_cap is not: nothing lost */
	memset(i + s->bm_cap, 0, need - s->bm_cap);
	s->internal = i;
	s->bm_cap = need;
	return PAGER_OK;
}

int v2_state_reserve_blocks(v2_state *s, uint32_t n)
{
	if (n <= s->blk_cap)
		return PAGER_OK;
	if ((size_t)n > SIZE_MAX / sizeof(fmt_entry) / s->epp)
		return PAGER_ENOMEM;
	v2_block *b = realloc(s->blocks, (size_t)n * sizeof *b);
	if (!b)
		return PAGER_ENOMEM;
	s->blocks = b;
	fmt_entry *e = realloc(s->entries, (size_t)n * s->epp * sizeof *e);
	if (!e)
		return PAGER_ENOMEM;
	s->entries = e;
	s->blk_cap = n;
	return PAGER_OK;
}

/* ---- reporting ---- */

typedef struct loader {
	const uint8_t *img;
	uint64_t len;
	v2_emit_fn emit;
	void *arg;
	const v2_load_opts *o;  /* may be NULL */
	v2_state *s;
	uint8_t *seen;  /* one bit per page < total: named by a directory record or entry */
} loader;

static void touch(const loader *L, uint64_t off, uint64_t n)
{
	if (L->o && L->o->touch)
		L->o->touch(L->o->touch_arg, off, n);
}

/* Whether the ps bytes at off end in their own CRC: -1 (decoder: compute it) unless the
 * caller caches whole-page CRCs (then only for whole pages of that size). */
static int trailer_known(const loader *L, uint64_t off, size_t ps)
{
	if (!L->o || !L->o->crc || !L->o->crc->page_crc || off % ps)
		return -1;
	return L->o->crc->page_crc(L->o->crc->crc_arg, L->img, off / ps, ps) == V2_CRC_RESIDUE;
}

static int fail(loader *L, int rc, const char *id, uint64_t page, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static int fail(loader *L, int rc, const char *id, uint64_t page, uint64_t off, const char *fmt, ...)
{
	if (L->emit) {
		char detail[192];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(detail, sizeof detail, fmt, ap);
		va_end(ap);
		L->emit(L->arg, id, page, off, detail);
	}
	return rc;
}

/* ---- 1. roots ---- */

/* A valid root found at a slot place. */
typedef struct found {
	uint64_t off;         /* byte offset */
	uint32_t log2;
	uint8_t slot;
	uint64_t generation;
} found;
#define MAX_FOUND (1 + 2 * 20)

static void try_root(const loader *L, uint64_t off, unsigned slot, int log2_fixed, found *f, size_t *n)
{
	uint32_t log2;
	uint8_t sl;
	if (off > L->len || L->len - off < V2_ROOT_HDR)
		return;
	touch(L, off, V2_ROOT_HDR);
	if (!v2_root_header_ok(L->img + off, &log2, &sl) || sl != slot)
		return;
	size_t ps = (size_t)1 << log2;
	/* The place must be this slot's place for the page size the header names. */
	uint64_t spacing = ps > V2_SLOT_SPACING ? ps : V2_SLOT_SPACING;
	if (off != slot * spacing || (log2_fixed && log2 != (uint32_t)log2_fixed) || L->len - off < ps)
		return;
	v2_root r;
	touch(L, off, ps);
	if (v2_root_decode_ex(L->img + off, ps, trailer_known(L, off, ps), &r) != V2_ROOT_OK)
		return;
	f[(*n)++] = (found){off, log2, sl, r.generation};
}

static size_t find_roots(const loader *L, found *f)
{
	size_t n = 0;
	try_root(L, 0, 0, 0, f, &n);
	for (unsigned slot = 1; slot < V2_SLOTS; slot++) {
		/* Page sizes up to the spacing share one place per slot. */
		try_root(L, (uint64_t)slot * V2_SLOT_SPACING, slot, 0, f, &n);
		for (unsigned k = 13; k <= PAGER_MAX_PAGE_SIZE_LOG2; k++)
			try_root(L, (uint64_t)slot << k, slot, (int)k, f, &n);
	}
	return n;
}

int v2_looks_like(const uint8_t *img, uint64_t len)
{
	if (!img)
		return 0;
	if (len >= 6 && memcmp(img, FMT_MAGIC, 4) == 0 && img[4] == 0 && img[5] == V2_VERSION_MINOR)
		return 1;
	found f[MAX_FOUND];
	loader L = {.img = img, .len = len};
	return find_roots(&L, f) > 0;
}

/* ---- 3. the chosen root against the file ---- */

static int check_counts(loader *L, const v2_root *r, uint64_t root_off)
{
	v2_state *s = L->s;
	size_t ps = s->ps;
	uint64_t total = r->total;
	if (total < v2_initial_pages(ps) || total > L->len / ps)
		return fail(L, PAGER_ECORRUPT_METADATA, "I-V2-TOTAL", root_off / ps, root_off + V2_OFF_TOTAL,
			    "expected %" PRIu64 "..%" PRIu64 " pages (the file holds %" PRIu64 " bytes), found %" PRIu64,
			    v2_initial_pages(ps), L->len / ps, L->len, total);
	uint64_t bm_off = root_off + (uint64_t)(r->bitmap - (L->img + root_off));
	for (uint64_t i = 0; i < s->first_data; i++)
		if (!v2_bit(r->bitmap, i))
			return fail(L, PAGER_ECORRUPT_METADATA, "I-V2-BITMAP", root_off / ps, bm_off + i / 8,
				    "expected reserved page %" PRIu64 " allocated, found it free", i);
	/* Bits past total are zero (v2_root_decode): count the set ones, 64 at a time. */
	uint64_t set = 0;
	size_t blen = fmt_bitmap_len(total), i = 0;
	for (; i + 8 <= blen; i += 8)
		set += (uint64_t)__builtin_popcountll(fmt_get64(r->bitmap + i));
	for (; i < blen; i++)
		set += (uint64_t)__builtin_popcount(r->bitmap[i]);
	uint64_t clear = total - set;
	if (clear != r->free_count)
		return fail(L, PAGER_ECORRUPT_METADATA, "I-V2-BITMAP", root_off / ps, root_off + V2_OFF_FREE,
			    "expected free_count %" PRIu64 " (clear bits), found %" PRIu64, clear, r->free_count);
	return PAGER_OK;
}

/* A page a record or an entry names: data page range, allocated, named once. */
static int check_ref(loader *L, uint64_t page, uint64_t holder, uint64_t off, const char *what)
{
	v2_state *s = L->s;
	if (page < s->first_data || page >= s->total)
		return fail(L, PAGER_ECORRUPT_PROTECTED_DIR, "I-V2-REF", holder, off,
			    "%s: expected a page in %" PRIu64 "..%" PRIu64 ", found %" PRIu64, what, s->first_data,
			    s->total - 1, page);
	if (!v2_bit(s->bitmap, page))
		return fail(L, PAGER_ECORRUPT_PROTECTED_DIR, "I-V2-REF", holder, off,
			    "%s: page %" PRIu64 " is free in the bitmap", what, page);
	if (v2_bit(L->seen, page))
		return fail(L, PAGER_ECORRUPT_PROTECTED_DIR, "I-V2-REF", holder, off,
			    "%s: page %" PRIu64 " is named twice", what, page);
	v2_set(L->seen, page);
	return PAGER_OK;
}

/* Block b's current directory page: the first mirror copy of its active pair that
 * decodes for this block and generation and whose trailer is the root's record. */
static int load_dir(loader *L, uint32_t b, uint64_t root_page, uint64_t rec_off)
{
	v2_state *s = L->s;
	const v2_block *blk = &s->blocks[b];
	fmt_entry *ents = s->entries + (size_t)b * s->epp;
	const char *why[2] = {"", ""};
	for (unsigned copy = 0; copy < 2; copy++) {
		uint64_t pg = blk->page[blk->active][copy];
		uint32_t crc, bad;
		touch(L, pg * s->ps, s->ps);
		switch (v2_dir_decode_ex(L->img + pg * s->ps, s->ps, trailer_known(L, pg * s->ps, s->ps), b, s->generation,
					 ents, &crc, &bad)) {
		case V2_DIR_OK:
			if (crc == blk->crc)
				return PAGER_OK;
			why[copy] = "a CRC other than the root's";
			break;
		case V2_DIR_BAD_CRC:
			why[copy] = "a bad trailer";
			break;
		case V2_DIR_BAD_HEADER:
			why[copy] = "a bad header";
			break;
		case V2_DIR_BAD_ENTRY:
			why[copy] = "a bad entry";
			break;
		}
	}
	return fail(L, PAGER_ECORRUPT_PROTECTED_DIR, "I-V2-DIR", root_page, rec_off,
		    "block %" PRIu32 ": expected a copy of pages %" PRIu64 ", %" PRIu64 " with CRC %08" PRIx32
		    ", found %s and %s", b, blk->page[blk->active][0], blk->page[blk->active][1], blk->crc, why[0], why[1]);
}

static int load_root(loader *L, const found *f)
{
	v2_state *s = L->s;
	size_t ps = (size_t)1 << f->log2;
	uint64_t root_page = f->off / ps;
	v2_root r;
	int rc;
	(void)v2_root_decode_ex(L->img + f->off, ps, 1, &r); /* valid: find_roots decoded it */
	s->ps = ps;
	s->log2 = f->log2;
	s->first_data = v2_first_data(ps);
	s->epp = v2_dir_capacity(ps);
	if ((rc = check_counts(L, &r, f->off)))
		return rc;
	s->generation = r.generation;
	s->total = r.total;
	s->free_count = r.free_count;
	if (v2_state_reserve_pages(s, r.total))
		return PAGER_ENOMEM;
	memcpy(s->bitmap, r.bitmap, fmt_bitmap_len(r.total));
	if (!(L->seen = calloc(fmt_bitmap_len(r.total), 1)))
		return PAGER_ENOMEM;
	/* Records first, all of them: a directory page's bytes are read only once every
	 * page number is known to be in the file, and the entries' memory is sized by
	 * blocks that are really there (4 distinct pages each). */
	if (r.nblocks && v2_state_reserve_blocks(s, r.nblocks))
		return PAGER_ENOMEM;
	for (uint32_t b = 0; b < r.nblocks; b++) {
		v2_rec_decode(&r, b, &s->blocks[b]);
		uint64_t rec_off = f->off + V2_ROOT_HDR + (uint64_t)b * V2_REC_LEN;
		for (unsigned pair = 0; pair < 2; pair++)
			for (unsigned copy = 0; copy < 2; copy++)
				if ((rc = check_ref(L, s->blocks[b].page[pair][copy], root_page,
						    rec_off + V2_REC_PAGE(pair, copy), "directory page")))
					return rc;
	}
	s->nblocks = r.nblocks;
	for (uint32_t b = 0; b < r.nblocks; b++) {
		uint64_t rec_off = f->off + V2_ROOT_HDR + (uint64_t)b * V2_REC_LEN;
		if ((rc = load_dir(L, b, root_page, rec_off)))
			return rc;
		const v2_block *blk = &s->blocks[b];
		for (unsigned pair = 0; pair < 2; pair++)
			for (unsigned copy = 0; copy < 2; copy++)
				v2_set(s->internal, blk->page[pair][copy]);
		const fmt_entry *ents = s->entries + (size_t)b * s->epp;
		uint64_t dir = blk->page[blk->active][0];
		for (uint32_t e = 0; e < s->epp; e++) {
			if (!ents[e].in_use)
				continue;
			uint64_t eoff = dir * ps + V2_DIR_HDR + (uint64_t)e * FMT_ENTRY_LEN;
			if ((rc = check_ref(L, ents[e].page_a, dir, eoff + 1, "protected copy a")) ||
			    (rc = check_ref(L, ents[e].page_b, dir, eoff + 9, "protected copy b")))
				return rc;
			v2_set(s->internal, ents[e].page_a);
			v2_set(s->internal, ents[e].page_b);
		}
	}
	return PAGER_OK;
}

int v2_load(const uint8_t *img, uint64_t len, v2_state *s, v2_emit_fn emit, void *arg)
{
	return v2_load_ex(img, len, s, emit, arg, NULL);
}

int v2_load_ex(const uint8_t *img, uint64_t len, v2_state *s, v2_emit_fn emit, void *arg, const v2_load_opts *o)
{
	loader L = {.img = img, .len = img ? len : 0, .emit = emit, .arg = arg, .o = o, .s = s};
	found f[MAX_FOUND];
	memset(s, 0, sizeof *s);
	size_t n = img ? find_roots(&L, f) : 0;
	if (!n)
		return fail(&L, PAGER_ECORRUPT_SUPERBLOCK, "I-V2-ROOT", 0, 0,
			    "expected a valid format 2 root in slot 0, 1 or 2, found none");
	/* The newest generation; on a tie (only a hostile file has one with two page
	 * sizes) the first found, slot 0 first. */
	size_t best = 0;
	for (size_t i = 1; i < n; i++)
		if (f[i].generation > f[best].generation)
			best = i;
	for (size_t i = 0; i < n; i++)
		if (f[i].log2 == f[best].log2 && f[i].generation > s->slot_gen[f[i].slot])
			s->slot_gen[f[i].slot] = f[i].generation;
	uint64_t gens[V2_SLOTS];
	memcpy(gens, s->slot_gen, sizeof gens);
	int rc = load_root(&L, &f[best]);
	free(L.seen);
	if (rc) {
		v2_state_free(s);
		return rc;
	}
	memcpy(s->slot_gen, gens, sizeof gens);
	return PAGER_OK;
}

/* ---- the read set (for the crash harness) ---- */

static void mark_page(uint8_t *mark, uint64_t npages, uint64_t n)
{
	if (n < npages)
		mark[n] = 1;
}

int pager_v2_read_set(const uint8_t *img, uint64_t len, size_t ps, uint8_t *mark, uint64_t npages)
{
	if (ps < ((size_t)1 << PAGER_MIN_PAGE_SIZE_LOG2) || ps > ((size_t)1 << PAGER_MAX_PAGE_SIZE_LOG2) ||
	    (ps & (ps - 1)))
		return PAGER_EINVAL;
	uint64_t full = img ? len / ps : 0;
	for (unsigned slot = 0; slot < V2_SLOTS; slot++)
		mark_page(mark, npages, v2_slot_page(ps, slot));
	/* Every valid root of this page size, not only the newest: which one recovery takes
	 * depends on the units a crash leaves, and the caller marks before choosing. */
	uint32_t cap = v2_dir_capacity(ps);
	fmt_entry ent;
	for (unsigned slot = 0; slot < V2_SLOTS; slot++) {
		uint64_t rp = v2_slot_page(ps, slot);
		v2_root r;
		if (rp >= full || v2_root_decode(img + rp * ps, ps, &r) != V2_ROOT_OK || r.slot != slot)
			continue;
		for (uint32_t b = 0; b < r.nblocks; b++) {
			v2_block blk;
			v2_rec_decode(&r, b, &blk);
			for (unsigned pair = 0; pair < 2; pair++)
				for (unsigned copy = 0; copy < 2; copy++) {
					uint64_t dp = blk.page[pair][copy];
					mark_page(mark, npages, dp);
					const uint8_t *d = img + dp * ps;
					/* A page whose trailer matches names copies recovery or the
					 * checker may read; entries are read in place, one at a time. */
					if (dp < 1 || dp >= full || memcmp(d, V2_DIR_TAG, 4) ||
					    fmt_crc(0, d, ps - V2_TRAILER) != fmt_get32(d + ps - V2_TRAILER))
						continue;
					const uint8_t *e = d + V2_DIR_HDR;
					for (uint32_t i = 0; i < cap; i++, e += FMT_ENTRY_LEN) {
						if (e[0] != 1)
							continue;
						ent.page_a = fmt_get64(e + 1);
						ent.page_b = fmt_get64(e + 9);
						mark_page(mark, npages, ent.page_a);
						mark_page(mark, npages, ent.page_b);
					}
				}
		}
	}
	return PAGER_OK;
}

/* ---- the pages recovery reads (for a crash judge's memo) ---- */

typedef struct read_list {
	size_t ps;
	pager_page_fn fn;
	void *arg;
	int stop;
} read_list;

static void list_touch(void *arg, uint64_t off, uint64_t n)
{
	read_list *R = arg;
	for (uint64_t pg = off / R->ps; !R->stop && pg <= (off + n - 1) / R->ps; pg++)
		R->stop = R->fn(R->arg, pg);
}

int pager_v2_read_list(const uint8_t *img, uint64_t len, size_t ps, const pager_check_opts *opts,
		       pager_page_fn fn, void *arg)
{
	if (ps < ((size_t)1 << PAGER_MIN_PAGE_SIZE_LOG2) || ps > ((size_t)1 << PAGER_MAX_PAGE_SIZE_LOG2) ||
	    (ps & (ps - 1)) || !img || len % ps)
		return PAGER_EINVAL;
	read_list R = {ps, fn, arg, 0};
	v2_load_opts lo = {opts, list_touch, &R};
	v2_state s;
	int rc = v2_load_ex(img, len, &s, NULL, NULL, &lo);
	if (rc == PAGER_ENOMEM)
		return rc;
	if (rc == PAGER_OK) {
		size_t root_ps = s.ps;
		/* The readable copy of every in-use entry: pager_check verifies it, reads hand it out. */
		if (root_ps == ps)
			for (uint64_t i = 0; i < (uint64_t)s.nblocks * s.epp && !R.stop; i++)
				if (s.entries[i].in_use)
					list_touch(&R, (s.entries[i].active_slot ? s.entries[i].page_b : s.entries[i].page_a) * ps, ps);
		v2_state_free(&s);
		if (root_ps != ps)
			return PAGER_EINVAL;
	}
	return PAGER_OK;
}
