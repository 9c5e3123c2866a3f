/* v2_format.c — encode/decode of format 2's roots and directory pages; pure functions,
 * no I/O. Decoders distrust every byte: sizes are checked against the page before use. */
#include "v2_format.h"

#include <string.h>

/* n bytes of zeros: the first is zero and every byte equals the one before it. */
static int all_zero(const uint8_t *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

int v2_root_header_ok(const uint8_t *p, uint32_t *log2, uint8_t *slot)
{
	if (memcmp(p, FMT_MAGIC, 4) != 0 || p[V2_OFF_VERSION] != 0 || p[V2_OFF_VERSION + 1] != V2_VERSION_MINOR)
		return 0;
	uint32_t l = fmt_get32(p + V2_OFF_LOG2);
	if (l < 10 || l > 30 || p[V2_OFF_SLOT] >= V2_SLOTS)
		return 0;
	*log2 = l;
	*slot = p[V2_OFF_SLOT];
	return 1;
}

static int trailer_matches(const uint8_t *page, size_t ps, int trailer)
{
	if (trailer >= 0)
		return trailer;
	return fmt_crc(0, page, ps - V2_TRAILER) == fmt_get32(page + ps - V2_TRAILER);
}

v2_root_status v2_root_decode(const uint8_t *page, size_t ps, v2_root *r)
{
	return v2_root_decode_ex(page, ps, -1, r);
}

v2_root_status v2_root_decode_ex(const uint8_t *page, size_t ps, int trailer, v2_root *r)
{
	uint32_t log2;
	uint8_t slot;
	if (!v2_root_header_ok(page, &log2, &slot))
		return V2_ROOT_BAD_MAGIC;
	if (((size_t)1 << log2) != ps)
		return V2_ROOT_BAD_FIELD;
	if (!trailer_matches(page, ps, trailer))
		return V2_ROOT_BAD_CRC;
	/* Behind a valid CRC, still distrusted: every field is checked before use. */
	if (page[6] || page[7] || !all_zero(page + 13, 3) || !all_zero(page + 44, 4))
		return V2_ROOT_BAD_FIELD;
	r->log2 = log2;
	r->slot = slot;
	r->generation = fmt_get64(page + V2_OFF_GEN);
	r->total = fmt_get64(page + V2_OFF_TOTAL);
	r->free_count = fmt_get64(page + V2_OFF_FREE);
	r->nblocks = fmt_get32(page + V2_OFF_NBLOCKS);
	if (r->generation == 0)
		return V2_ROOT_BAD_FIELD;
	if (!v2_root_fits(ps, r->nblocks, r->total))
		return V2_ROOT_BAD_SIZE;
	r->recs = page + V2_ROOT_HDR;
	r->bitmap = r->recs + (size_t)r->nblocks * V2_REC_LEN;
	/* Records' padding, bits past total in the last bitmap byte, and every byte up to
	 * the trailer are zero: nothing in a root is unexplained. */
	for (uint32_t b = 0; b < r->nblocks; b++) {
		const uint8_t *rec = r->recs + (size_t)b * V2_REC_LEN;
		if (rec[V2_REC_ACTIVE] > 1 || !all_zero(rec + V2_REC_ACTIVE + 1, 3))
			return V2_ROOT_BAD_FIELD;
	}
	size_t blen = fmt_bitmap_len(r->total);
	if (r->total % 8 && r->bitmap[blen - 1] >> (r->total % 8))
		return V2_ROOT_BAD_FIELD;
	const uint8_t *tail = r->bitmap + blen;
	if (!all_zero(tail, (size_t)(page + ps - V2_TRAILER - tail)))
		return V2_ROOT_BAD_FIELD;
	return V2_ROOT_OK;
}

void v2_rec_decode(const v2_root *r, uint32_t b, v2_block *out)
{
	const uint8_t *rec = r->recs + (size_t)b * V2_REC_LEN;
	for (unsigned pair = 0; pair < 2; pair++)
		for (unsigned copy = 0; copy < 2; copy++)
			out->page[pair][copy] = fmt_get64(rec + V2_REC_PAGE(pair, copy));
	out->crc = fmt_get32(rec + V2_REC_CRC);
	out->active = rec[V2_REC_ACTIVE];
}

uint32_t v2_root_encode(uint8_t *page, size_t ps, const v2_root *r, const v2_block *blocks,
			const uint8_t *bitmap)
{
	memset(page, 0, ps);
	memcpy(page, FMT_MAGIC, 4);
	page[V2_OFF_VERSION] = 0;
	page[V2_OFF_VERSION + 1] = V2_VERSION_MINOR;
	fmt_put32(page + V2_OFF_LOG2, r->log2);
	page[V2_OFF_SLOT] = r->slot;
	fmt_put64(page + V2_OFF_GEN, r->generation);
	fmt_put64(page + V2_OFF_TOTAL, r->total);
	fmt_put64(page + V2_OFF_FREE, r->free_count);
	fmt_put32(page + V2_OFF_NBLOCKS, r->nblocks);
	uint8_t *rec = page + V2_ROOT_HDR;
	for (uint32_t b = 0; b < r->nblocks; b++, rec += V2_REC_LEN) {
		for (unsigned pair = 0; pair < 2; pair++)
			for (unsigned copy = 0; copy < 2; copy++)
				fmt_put64(rec + V2_REC_PAGE(pair, copy), blocks[b].page[pair][copy]);
		fmt_put32(rec + V2_REC_CRC, blocks[b].crc);
		rec[V2_REC_ACTIVE] = blocks[b].active;
	}
	size_t blen = fmt_bitmap_len(r->total);
	memcpy(rec, bitmap, blen);
	/* Stray bits past total (a grow's memset leaves none, a shrinking undo may) are not
	 * part of the root. */
	if (r->total % 8)
		rec[blen - 1] &= (uint8_t)((1u << (r->total % 8)) - 1);
	uint32_t crc = fmt_crc(0, page, ps - V2_TRAILER);
	fmt_put32(page + ps - V2_TRAILER, crc);
	return crc;
}

v2_dir_status v2_dir_decode(const uint8_t *page, size_t ps, uint32_t block, uint64_t max_gen,
			    fmt_entry *entries, uint32_t *crc, uint32_t *bad_entry)
{
	return v2_dir_decode_ex(page, ps, -1, block, max_gen, entries, crc, bad_entry);
}

v2_dir_status v2_dir_decode_ex(const uint8_t *page, size_t ps, int trailer, uint32_t block, uint64_t max_gen,
			       fmt_entry *entries, uint32_t *crc, uint32_t *bad_entry)
{
	if (!trailer_matches(page, ps, trailer))
		return V2_DIR_BAD_CRC;
	uint32_t c = fmt_get32(page + ps - V2_TRAILER);
	uint32_t cap = v2_dir_capacity(ps);
	uint64_t gen = fmt_get64(page + V2_DIR_OFF_GEN);
	if (memcmp(page, V2_DIR_TAG, 4) != 0 || fmt_get32(page + V2_DIR_OFF_BLOCK) != block ||
	    gen == 0 || gen > max_gen || fmt_get32(page + V2_DIR_OFF_CAP) != cap || !all_zero(page + 20, 4))
		return V2_DIR_BAD_HEADER;
	const uint8_t *p = page + V2_DIR_HDR;
	for (uint32_t i = 0; i < cap; i++, p += FMT_ENTRY_LEN) {
		fmt_entry *e = &entries[i];
		if (p[0] == 0) {
			/* A free entry is all zeros. */
			*e = (fmt_entry){0};
			if (!all_zero(p, FMT_ENTRY_LEN)) {
				*bad_entry = i;
				return V2_DIR_BAD_ENTRY;
			}
			continue;
		}
		e->in_use = p[0];
		e->page_a = fmt_get64(p + 1);
		e->page_b = fmt_get64(p + 9);
		e->active_slot = p[17];
		e->generation = fmt_get64(p + 18);
		e->checksum = fmt_get32(p + 26);
		if (e->in_use != 1 || e->active_slot > 1) {
			*bad_entry = i;
			return V2_DIR_BAD_ENTRY;
		}
	}
	if (!all_zero(p, (size_t)(page + ps - V2_TRAILER - p)))
		return V2_DIR_BAD_HEADER;
	*crc = c;
	return V2_DIR_OK;
}

uint32_t v2_dir_encode(uint8_t *page, size_t ps, uint32_t block, uint64_t generation,
		       const fmt_entry *entries)
{
	uint32_t cap = v2_dir_capacity(ps);
	memset(page, 0, ps);
	memcpy(page, V2_DIR_TAG, 4);
	fmt_put32(page + V2_DIR_OFF_BLOCK, block);
	fmt_put64(page + V2_DIR_OFF_GEN, generation);
	fmt_put32(page + V2_DIR_OFF_CAP, cap);
	uint8_t *p = page + V2_DIR_HDR;
	for (uint32_t i = 0; i < cap; i++, p += FMT_ENTRY_LEN) {
		const fmt_entry *e = &entries[i];
		if (!e->in_use)
			continue;
		p[0] = 1;
		fmt_put64(p + 1, e->page_a);
		fmt_put64(p + 9, e->page_b);
		p[17] = e->active_slot;
		fmt_put64(p + 18, e->generation);
		fmt_put32(p + 26, e->checksum);
	}
	uint32_t crc = fmt_crc(0, page, ps - V2_TRAILER);
	fmt_put32(page + ps - V2_TRAILER, crc);
	return crc;
}
