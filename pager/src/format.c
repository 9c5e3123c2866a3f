/* format.c — encode/decode of the mappedpages 0.1 pages; pure functions, no I/O.
 * Decoders distrust every byte: lengths are checked against the page before use. */
#include "format.h"

#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>

uint32_t fmt_crc(uint32_t crc, const void *buf, size_t len)
{
	return libdeflate_crc32(crc, buf, len);
}

fmt_sb_status fmt_sb_decode(const uint8_t *p, fmt_sb *sb)
{
	if (memcmp(p, FMT_MAGIC, 4) != 0)
		return FMT_SB_BAD_MAGIC;
	/* Only major.minor must match; patch and build (bytes 6, 7) are not checked. */
	if (p[4] != FMT_VERSION_MAJOR || p[5] != FMT_VERSION_MINOR)
		return FMT_SB_BAD_VERSION;
	if (p[12] > 1)
		return FMT_SB_BAD_SELECTOR;
	sb->page_size_log2 = fmt_get32(p + 8);
	sb->active_meta = p[12];
	sb->meta_checksum = fmt_get32(p + 16);
	return FMT_SB_OK;
}

void fmt_sb_encode(uint8_t *p, const fmt_sb *sb)
{
	memcpy(p, FMT_MAGIC, 4);
	p[4] = FMT_VERSION_MAJOR;
	p[5] = FMT_VERSION_MINOR;
	p[6] = 0;
	p[7] = 0;
	fmt_put32(p + 8, sb->page_size_log2);
	p[12] = sb->active_meta;
	p[13] = p[14] = p[15] = 0;
	fmt_put32(p + 16, sb->meta_checksum);
}

int fmt_meta_crc_ok(const uint8_t *page, size_t ps, uint32_t *whole_page_crc)
{
	/* One pass: the whole-page CRC continues the body CRC over the 4 trailer bytes. */
	uint32_t body = fmt_crc(0, page, ps - FMT_TRAILER);
	if (whole_page_crc)
		*whole_page_crc = fmt_crc(body, page + ps - FMT_TRAILER, FMT_TRAILER);
	return body == fmt_get32(page + ps - FMT_TRAILER);
}

int fmt_meta_decode(const uint8_t *page, size_t ps, fmt_meta *m)
{
	uint64_t total = fmt_get64(page);
	/* The bitmap must fit between the header and the trailer (the seed's from_bytes
	 * returns None otherwise). Checked before any size arithmetic can overflow. */
	if (!fmt_meta_fits(page, ps))
		return -1;
	size_t blen = fmt_bitmap_len(total);
	if (blen > m->bitmap_cap || !m->bitmap) { /* never NULL: memcpy(NULL, .., 0) is UB */
		uint8_t *b = realloc(m->bitmap, blen ? blen : 1);
		if (!b)
			return -2;
		m->bitmap = b;
		m->bitmap_cap = blen;
	}
	m->total_pages = total;
	m->generation = fmt_get64(page + 8);
	m->free_count = fmt_get64(page + 16);
	memcpy(m->bitmap, page + FMT_META_HDR, blen);
	/* Bits past total_pages in the last byte are ignored by every reader (fmt_bit). */
	return 0;
}

uint32_t fmt_meta_encode(uint8_t *page, size_t ps, const fmt_meta *m)
{
	memset(page, 0, ps);
	fmt_put64(page, m->total_pages);
	fmt_put64(page + 8, m->generation);
	fmt_put64(page + 16, m->free_count);
	memcpy(page + FMT_META_HDR, m->bitmap, fmt_bitmap_len(m->total_pages));
	uint32_t body = fmt_crc(0, page, ps - FMT_TRAILER);
	fmt_put32(page + ps - FMT_TRAILER, body);
	return fmt_crc(body, page + ps - FMT_TRAILER, FMT_TRAILER);
}

void fmt_meta_free(fmt_meta *m)
{
	free(m->bitmap);
	m->bitmap = NULL;
	m->bitmap_cap = 0;
}

fmt_index_status fmt_index_decode(const uint8_t *page0, size_t ps, fmt_dir_ref *refs, uint32_t *count)
{
	uint32_t n = fmt_get32(page0 + FMT_DIR_INDEX_OFF);
	*count = 0;
	if (n == 0)
		return FMT_INDEX_OK; /* no protected page ever existed: the CRC is not checked */
	uint32_t crc = fmt_crc(0, page0 + FMT_DIR_INDEX_OFF, ps - FMT_DIR_INDEX_OFF - FMT_TRAILER);
	if (crc != fmt_get32(page0 + ps - FMT_TRAILER))
		return FMT_INDEX_BAD_CRC;
	if (n > fmt_max_dir_blocks(ps))
		return FMT_INDEX_TOO_MANY;
	const uint8_t *p = page0 + FMT_DIR_INDEX_OFF + 4;
	for (uint32_t i = 0; i < n; i++, p += FMT_DIR_REF_LEN) {
		refs[i].page_a = fmt_get64(p);
		refs[i].page_b = fmt_get64(p + 8);
		refs[i].active = p[16];
		if (refs[i].active > 1)
			return FMT_INDEX_BAD_SELECTOR;
	}
	*count = n;
	return FMT_INDEX_OK;
}

void fmt_index_encode(uint8_t *page0, size_t ps, const fmt_dir_ref *refs, uint32_t count)
{
	uint8_t *base = page0 + FMT_DIR_INDEX_OFF;
	memset(base, 0, ps - FMT_DIR_INDEX_OFF);
	fmt_put32(base, count);
	uint8_t *p = base + 4;
	for (uint32_t i = 0; i < count; i++, p += FMT_DIR_REF_LEN) {
		fmt_put64(p, refs[i].page_a);
		fmt_put64(p + 8, refs[i].page_b);
		p[16] = refs[i].active;
	}
	/* The seed writes the trailer even for count == 0 (see golden fresh-1k.img). */
	fmt_put32(page0 + ps - FMT_TRAILER, fmt_crc(0, base, ps - FMT_DIR_INDEX_OFF - FMT_TRAILER));
}

int fmt_dir_decode(const uint8_t *page, size_t ps, fmt_entry *entries)
{
	if (fmt_crc(0, page, ps - FMT_TRAILER) != fmt_get32(page + ps - FMT_TRAILER))
		return -1;
	uint32_t max = fmt_dir_capacity(ps);
	uint32_t cap = fmt_dir_page_capacity(page);
	/* Any capacity whose entries end before the trailer is the seed's; more would
	 * run past the page, and the seed's from_bytes refuses it. Compared as counts,
	 * so 8 + 30 * cap cannot overflow. */
	if (cap > max)
		return -1;
	const uint8_t *p = page + FMT_DIR_HDR;
	for (uint32_t i = 0; i < cap; i++, p += FMT_ENTRY_LEN) {
		entries[i].in_use = p[0] != 0;
		entries[i].page_a = fmt_get64(p + 1);
		entries[i].page_b = fmt_get64(p + 9);
		entries[i].active_slot = p[17];
		entries[i].generation = fmt_get64(p + 18);
		entries[i].checksum = fmt_get32(p + 26);
	}
	/* Slots the page does not have: free, so walking max slots finds nothing there. */
	memset(entries + cap, 0, (size_t)(max - cap) * sizeof *entries);
	return 0;
}

void fmt_dir_encode(uint8_t *page, size_t ps, const fmt_entry *entries, uint32_t cap)
{
	memset(page, 0, ps);
	fmt_put32(page, cap);
	uint8_t *p = page + FMT_DIR_HDR;
	for (uint32_t i = 0; i < cap; i++, p += FMT_ENTRY_LEN) {
		p[0] = entries[i].in_use ? 1 : 0;
		fmt_put64(p + 1, entries[i].page_a);
		fmt_put64(p + 9, entries[i].page_b);
		p[17] = entries[i].active_slot;
		fmt_put64(p + 18, entries[i].generation);
		fmt_put32(p + 26, entries[i].checksum);
	}
	fmt_put32(page + ps - FMT_TRAILER, fmt_crc(0, page, ps - FMT_TRAILER));
}
