/* v2_format.h — format version 2 (the repaired protocol) as pure byte codecs, no I/O.
 * Shared by the v2 pager (v2_pager.c, v2_protected.c), its recovery and checker
 * (v2_load.c) and the fuzzers. Every decoder takes the page's bytes and length and
 * never reads outside them. The layout and the commit protocol are in docs/format-2.md;
 * format 1 (the seed) is format.h and stays untouched.
 *
 * In one paragraph: three root slots, each a whole page at least 4096 bytes from the
 * others (pages 0, s, 2s with s = max(1, 4096 / ps)), hold self-describing, checksummed
 * roots (header, generation, page count, free count, directory block records, bitmap).
 * A commit writes the next generation into the two slots that do not hold the newest
 * root, one after the other, each synced; open takes the valid root with the highest
 * generation. Directory blocks have two pairs of pages; the current directory page is
 * mirrored in both pages of one pair and the root records which pair and its CRC. */
#ifndef PAGER_V2_FORMAT_H
#define PAGER_V2_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "format.h"

#define V2_VERSION_MINOR 2u      /* root bytes 4, 5: version 0.2 */
#define V2_SLOTS 3u              /* root slots */
#define V2_SLOT_SPACING 4096u    /* bytes between root slots, at least: one atomic unit
				  * (512..4096, or the page) never holds two slots */
#define V2_ROOT_HDR 48u          /* fixed part of a root, before the block records */
#define V2_REC_LEN 40u           /* one directory block record in a root */
#define V2_DIR_TAG "MPD2"
#define V2_DIR_HDR 24u           /* tag, block, generation, capacity, zero */
#define V2_TRAILER 4u            /* CRC-32 of bytes 0..ps-4, at ps-4, on roots and dir pages */

/* Root header offsets (docs/format-2.md). */
#define V2_OFF_VERSION 4u
#define V2_OFF_LOG2 8u
#define V2_OFF_SLOT 12u
#define V2_OFF_GEN 16u
#define V2_OFF_TOTAL 24u
#define V2_OFF_FREE 32u
#define V2_OFF_NBLOCKS 40u
/* Block record offsets, from the record's start. */
#define V2_REC_PAGE(pair, copy) (16u * (pair) + 8u * (copy))
#define V2_REC_CRC 32u
#define V2_REC_ACTIVE 36u
/* Directory page header offsets. */
#define V2_DIR_OFF_BLOCK 4u
#define V2_DIR_OFF_GEN 8u
#define V2_DIR_OFF_CAP 16u

/* Pages between root slots: slot i is page i * v2_stride(ps). */
static inline uint64_t v2_stride(size_t ps) { return ps >= V2_SLOT_SPACING ? 1 : V2_SLOT_SPACING / ps; }
static inline uint64_t v2_slot_page(size_t ps, unsigned slot) { return slot * v2_stride(ps); }
/* Pages 0 .. first_data-1 are reserved: the three slots and the padding between them. */
static inline uint64_t v2_first_data(size_t ps) { return 2 * v2_stride(ps) + 1; }
/* A new file: the reserved pages and one free page. */
static inline uint64_t v2_initial_pages(size_t ps) { return v2_first_data(ps) + 1; }
/* Entries per directory page; protected id = block * v2_dir_capacity + slot. */
static inline uint32_t v2_dir_capacity(size_t ps) { return (uint32_t)((ps - V2_DIR_HDR - V2_TRAILER) / FMT_ENTRY_LEN); }
/* The most pages a root with nblocks block records can describe (its bitmap must end
 * before the trailer), 0 when the records alone do not fit. */
static inline uint64_t v2_max_pages(size_t ps, uint64_t nblocks)
{
	uint64_t fixed = V2_ROOT_HDR + V2_TRAILER;
	if (nblocks > (ps - fixed) / V2_REC_LEN)
		return 0;
	return (ps - fixed - nblocks * V2_REC_LEN) * 8;
}
/* Growth: double, capped at what the root can describe (a grow that cannot add a page
 * returns total itself). */
static inline uint64_t v2_grown(size_t ps, uint64_t nblocks, uint64_t total)
{
	uint64_t max = v2_max_pages(ps, nblocks);
	uint64_t want = total > UINT64_MAX / 2 ? UINT64_MAX : total * 2;
	return want < max ? want : (max > total ? max : total);
}
/* Whether a root with nblocks records and total pages fits its page. */
static inline int v2_root_fits(size_t ps, uint64_t nblocks, uint64_t total)
{
	return total >= 1 && total <= v2_max_pages(ps, nblocks);
}

/* ---- root ---- */
typedef struct v2_block {
	uint64_t page[2][2];  /* [pair][copy]: the block's four directory pages */
	uint32_t crc;         /* trailer CRC of the current directory page */
	uint8_t active;       /* the pair (0/1) holding the current directory page, mirrored */
} v2_block;

typedef struct v2_root {
	uint32_t log2;        /* page_size_log2 */
	uint8_t slot;         /* the slot this copy was written for (0..2) */
	uint64_t generation;  /* >= 1; every commit writes generation + 1 */
	uint64_t total;       /* pages the root describes (the file holds at least these) */
	uint64_t free_count;  /* clear bits below total */
	uint32_t nblocks;     /* directory blocks */
	const uint8_t *recs;  /* decode: the nblocks records inside the page */
	const uint8_t *bitmap;/* decode: bitmap inside the page, ceil(total/8) bytes */
} v2_root;

typedef enum v2_root_status {
	V2_ROOT_OK,
	V2_ROOT_BAD_MAGIC,     /* tag or version is not MPPG 0.2 */
	V2_ROOT_BAD_CRC,       /* the trailer does not match */
	V2_ROOT_BAD_FIELD,     /* log2 out of 10..30, slot > 2, nonzero padding, generation 0 */
	V2_ROOT_BAD_SIZE,      /* records and bitmap do not fit before the trailer */
} v2_root_status;

/* Header check only (tag, version, log2, slot): what a probe reads before it CRCs a
 * whole page. p holds at least V2_ROOT_HDR bytes. */
int v2_root_header_ok(const uint8_t *p, uint32_t *log2, uint8_t *slot);
/* Decode a whole root page of ps bytes: header, CRC, fields, fit. Pointers in *r refer
 * into page. */
v2_root_status v2_root_decode(const uint8_t *page, size_t ps, v2_root *r);
/* The same, with the trailer's verdict given: trailer = 1 (it matches), 0 (it does not)
 * or -1 (compute it). A caller that knows the whole page's CRC-32 knows the verdict
 * without reading the page: the trailer matches iff that CRC is V2_CRC_RESIDUE. */
v2_root_status v2_root_decode_ex(const uint8_t *page, size_t ps, int trailer, v2_root *r);
/* CRC-32 of any bytes followed by their own CRC-32 (little-endian): the constant residue. */
#define V2_CRC_RESIDUE 0x2144DF1Cu
/* The block record b of a decoded root. */
void v2_rec_decode(const v2_root *r, uint32_t b, v2_block *out);
/* Encode a root into a whole page (zeroed first), trailer included; returns the trailer.
 * The caller guarantees v2_root_fits(ps, nblocks, total). */
uint32_t v2_root_encode(uint8_t *page, size_t ps, const v2_root *r, const v2_block *blocks,
			const uint8_t *bitmap);

/* ---- directory page ---- */
typedef enum v2_dir_status {
	V2_DIR_OK,
	V2_DIR_BAD_CRC,        /* trailer does not match its bytes */
	V2_DIR_BAD_HEADER,     /* tag, block index, capacity or padding wrong, generation too new */
	V2_DIR_BAD_ENTRY,      /* an entry's in_use or active_slot is not 0/1, or a free entry is not zero */
} v2_dir_status;
/* Decode directory page `page` of block `block`, written at a generation <= max_gen,
 * into entries[0..v2_dir_capacity(ps)). *crc receives the trailer (what the root
 * records). *bad_entry receives the first bad entry's slot for V2_DIR_BAD_ENTRY. */
v2_dir_status v2_dir_decode(const uint8_t *page, size_t ps, uint32_t block, uint64_t max_gen,
			    fmt_entry *entries, uint32_t *crc, uint32_t *bad_entry);
/* With the trailer's verdict given, as v2_root_decode_ex. */
v2_dir_status v2_dir_decode_ex(const uint8_t *page, size_t ps, int trailer, uint32_t block, uint64_t max_gen,
			       fmt_entry *entries, uint32_t *crc, uint32_t *bad_entry);
/* Encode (zeroes the page first); returns the trailer. Free entries are written as zeros. */
uint32_t v2_dir_encode(uint8_t *page, size_t ps, uint32_t block, uint64_t generation,
		       const fmt_entry *entries);

#endif
