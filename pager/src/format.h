/* format.h — the mappedpages 0.1 on-disk format as pure byte codecs, no I/O.
 * Shared by the pager, the checker and the fuzzers' CRC repair. Every decoder takes
 * the page's bytes and length and never reads outside them. Layout: docs/format.md
 * (a copy of the seed's FORMAT.md, with the limits we enforce). */
#ifndef PAGER_FORMAT_H
#define PAGER_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define FMT_MAGIC "MPPG"
#define FMT_VERSION_MAJOR 0
#define FMT_VERSION_MINOR 1
#define FMT_SB_LEN 20u           /* superblock: page 0, bytes 0..20 */
#define FMT_META_HDR 24u         /* total_pages, generation, free_count */
#define FMT_TRAILER 4u           /* CRC at ps-4 on metadata, index and directory pages */
#define FMT_DIR_INDEX_OFF 20u    /* directory index: page 0, bytes 20..ps */
#define FMT_DIR_REF_LEN 17u      /* page_a u64, page_b u64, active u8 */
#define FMT_DIR_HDR 8u           /* capacity u32 + 4 zero bytes */
#define FMT_ENTRY_LEN 30u
#define FMT_FIRST_DATA_PAGE 3u
#define FMT_INITIAL_PAGES 4u
#define FMT_META_A 1u
#define FMT_META_B 2u

uint32_t fmt_crc(uint32_t crc, const void *buf, size_t len); /* CRC-32/ISO-HDLC (libdeflate) */

static inline uint64_t fmt_get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}
static inline uint32_t fmt_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void fmt_put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static inline void fmt_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Capacities that follow from the page size. */
static inline uint64_t fmt_max_bitmap_pages(size_t ps) { return (uint64_t)(ps - 28) * 8; }
static inline uint32_t fmt_dir_capacity(size_t ps) { return (uint32_t)((ps - 12) / FMT_ENTRY_LEN); }
static inline uint32_t fmt_max_dir_blocks(size_t ps) { return (uint32_t)((ps - 28) / FMT_DIR_REF_LEN); }
static inline size_t fmt_bitmap_len(uint64_t total_pages) { return (size_t)((total_pages + 7) / 8); }

/* ---- Superblock ---- */
typedef struct fmt_sb {
	uint32_t page_size_log2;  /* bytes 8..12 */
	uint8_t active_meta;      /* byte 12: 0 = A (page 1), 1 = B (page 2) */
	uint32_t meta_checksum;   /* bytes 16..20: CRC of the whole active metadata page */
} fmt_sb;
typedef enum fmt_sb_status { FMT_SB_OK, FMT_SB_BAD_MAGIC, FMT_SB_BAD_VERSION, FMT_SB_BAD_SELECTOR } fmt_sb_status;
/* Decodes bytes 0..20 (the caller guarantees 20 readable bytes). */
fmt_sb_status fmt_sb_decode(const uint8_t *p, fmt_sb *sb);
void fmt_sb_encode(uint8_t *p, const fmt_sb *sb);

/* ---- Metadata page ---- */
typedef struct fmt_meta {
	uint64_t total_pages;  /* pages in the file as this copy knows it */
	uint64_t generation;   /* bumped by every commit */
	uint64_t free_count;   /* trusted as stored: not recomputed from the bitmap */
	uint8_t *bitmap;       /* fmt_bitmap_len(total_pages) bytes, bit i%8 of byte i/8 = page i */
	size_t bitmap_cap;     /* bytes allocated for bitmap */
} fmt_meta;
/* Own-trailer CRC over bytes 0..ps-4, and the whole-page CRC the superblock stores. */
int fmt_meta_crc_ok(const uint8_t *page, size_t ps, uint32_t *whole_page_crc);
/* Whether the bitmap total_pages calls for ends at or before the trailer. The seed's
 * MetaPage::from_bytes returns None for a copy that fails this, exactly as for a bad
 * CRC: recovery then falls back to the other copy. */
static inline int fmt_meta_fits(const uint8_t *page, size_t ps)
{
	return fmt_get64(page) <= fmt_max_bitmap_pages(ps);
}
/* Decode a metadata page whose trailer was verified. Returns -1 when it does not fit
 * (fmt_meta_fits), -2 when the bitmap cannot be allocated, else 0. */
int fmt_meta_decode(const uint8_t *page, size_t ps, fmt_meta *m);
/* Encode into a whole page (zeroes it first) and store the trailer; returns the
 * whole-page CRC for the superblock. The caller guarantees the bitmap fits. */
uint32_t fmt_meta_encode(uint8_t *page, size_t ps, const fmt_meta *m);
void fmt_meta_free(fmt_meta *m);
static inline int fmt_bit(const fmt_meta *m, uint64_t i)
{
	return i < m->total_pages && (m->bitmap[i / 8] >> (i % 8)) & 1;
}

/* ---- Directory index (page 0, bytes 20..ps) ---- */
typedef struct fmt_dir_ref {
	uint64_t page_a, page_b;  /* the block's two directory pages */
	uint8_t active;           /* 0 = page_a holds the current directory page */
} fmt_dir_ref;
typedef enum fmt_index_status { FMT_INDEX_OK, FMT_INDEX_BAD_CRC, FMT_INDEX_TOO_MANY, FMT_INDEX_BAD_SELECTOR } fmt_index_status;
/* Decodes the index of page 0 into refs (capacity fmt_max_dir_blocks(ps)). */
fmt_index_status fmt_index_decode(const uint8_t *page0, size_t ps, fmt_dir_ref *refs, uint32_t *count);
/* Writes bytes 20..ps of page 0 (zeroing them first) with the trailer. */
void fmt_index_encode(uint8_t *page0, size_t ps, const fmt_dir_ref *refs, uint32_t count);

/* ---- Directory page ---- */
typedef struct fmt_entry {
	uint8_t in_use;       /* nonzero = slot in use; other fields are kept when freed */
	uint64_t page_a, page_b;
	uint8_t active_slot;  /* 0 = page_a holds the readable copy */
	uint64_t generation;  /* protected commits so far */
	uint32_t checksum;    /* CRC of the full active copy at its last commit */
} fmt_entry;
/* Verifies the trailer and that the page's own capacity (bytes 0..4) fits: 8 + 30 *
 * capacity <= ps - 4, i.e. capacity <= fmt_dir_capacity(ps), as the seed's
 * DirPage::from_bytes does. Decodes that many entries into entries[0..capacity) and
 * zeroes (frees) the rest of entries[0..fmt_dir_capacity(ps)), so a caller may always
 * walk fmt_dir_capacity(ps) slots. 0 or -1. */
int fmt_dir_decode(const uint8_t *page, size_t ps, fmt_entry *entries);
/* The capacity a directory page stores; meaningful after fmt_dir_decode returned 0. */
static inline uint32_t fmt_dir_page_capacity(const uint8_t *page) { return fmt_get32(page); }
/* Encode `cap` entries (cap <= fmt_dir_capacity(ps)) and store cap as the capacity:
 * the seed writes a page back with the capacity it was read with. */
void fmt_dir_encode(uint8_t *page, size_t ps, const fmt_entry *entries, uint32_t cap);

#endif
