/* repair.c — CRC repair of a mappedpages 0.1 image, through the format codec.
 *
 * Method: each CRC is recomputed from the bytes it covers, in an order where nothing a
 * later step writes is covered by an earlier step's CRC:
 *   1. both metadata trailers (pages 1 and 2: CRC of bytes 0..ps-4);
 *   2. the superblock's metadata CRC (page 0, bytes 16..20: CRC of the whole page the
 *      selector names, trailer included) — skipped when the selector is not 0 or 1;
 *   3. the directory index trailer (page 0, CRC of bytes 20..ps-4), only when its count
 *      is nonzero: with count 0 the pager never reads it, so the fuzzer keeps the bytes;
 *   4. for every block the index names (at most (ps-28)/17 of them), both directory
 *      pages: first every in-use entry's checksum (CRC of its active copy, when
 *      active_slot is 0 or 1 and the copy is inside the file), then the page's trailer;
 *      done twice, since a copy may itself be a directory page whose trailer step 4
 *      just rewrote.
 * A directory page numbered 0, 1 or 2 is not repaired: its trailer is the index's or a
 * metadata page's, and no value satisfies both. The stored capacity is left as it is
 * (entries are read at the page size's capacity, as the pager reads them). Whatever
 * does not fit in the image is skipped; nothing outside [img, img+len) is touched. */
#include "repair.h"

#include "format.h"

/* Page n of the image, or NULL when it is not wholly inside. */
static uint8_t *page_at(uint8_t *img, uint64_t len, size_t ps, uint64_t n)
{
	if (n >= len / ps)
		return NULL;
	return img + n * ps;
}

static void put_crc(uint8_t *at, uint32_t crc, repair_stats *st)
{
	st->written++;
	if (fmt_get32(at) != crc)
		st->changed++;
	fmt_put32(at, crc);
}

/* Entries' checksums, then the trailer, of one directory page. */
static void repair_dir_page(uint8_t *img, uint64_t len, size_t ps, uint64_t n, repair_stats *st)
{
	uint8_t *dir = n >= FMT_FIRST_DATA_PAGE ? page_at(img, len, ps, n) : NULL;
	if (!dir)
		return;
	uint32_t cap = fmt_dir_capacity(ps);
	uint8_t *e = dir + FMT_DIR_HDR;
	for (uint32_t s = 0; s < cap; s++, e += FMT_ENTRY_LEN) {
		if (e[0] == 0 || e[17] > 1)
			continue; /* free slot, or a selector the pager refuses anyway */
		uint64_t copy = fmt_get64(e + (e[17] ? 9 : 1));
		const uint8_t *data = page_at(img, len, ps, copy);
		if (data)
			put_crc(e + 26, fmt_crc(0, data, ps), st);
	}
	put_crc(dir + ps - FMT_TRAILER, fmt_crc(0, dir, ps - FMT_TRAILER), st);
}

int repair_image(uint8_t *img, uint64_t len, unsigned log2, repair_stats *st)
{
	repair_stats local = {0, 0};
	if (!st)
		st = &local;
	*st = local;
	if (!img || log2 < 10 || log2 > 30)
		return -1;
	size_t ps = (size_t)1 << log2;
	uint8_t *page0 = page_at(img, len, ps, 0);
	if (!page0 || len / ps < 3)
		return -1;

	/* 1. metadata trailers */
	for (uint64_t m = FMT_META_A; m <= FMT_META_B; m++) {
		uint8_t *meta = page_at(img, len, ps, m);
		put_crc(meta + ps - FMT_TRAILER, fmt_crc(0, meta, ps - FMT_TRAILER), st);
	}
	/* 2. the superblock's CRC of the selected metadata page */
	uint8_t sel = page0[12];
	if (sel <= 1)
		put_crc(page0 + 16, fmt_crc(0, page_at(img, len, ps, FMT_META_A + sel), ps), st);
	/* 3. the directory index trailer */
	const uint8_t *index = page0 + FMT_DIR_INDEX_OFF;
	uint32_t count = fmt_get32(index);
	if (count == 0)
		return 0;
	put_crc(page0 + ps - FMT_TRAILER,
		fmt_crc(0, index, ps - FMT_DIR_INDEX_OFF - FMT_TRAILER), st);
	/* 4. directory pages of every block, twice */
	uint32_t nblocks = count < fmt_max_dir_blocks(ps) ? count : fmt_max_dir_blocks(ps);
	for (int pass = 0; pass < 2; pass++) {
		const uint8_t *ref = index + 4;
		for (uint32_t b = 0; b < nblocks; b++, ref += FMT_DIR_REF_LEN) {
			repair_dir_page(img, len, ps, fmt_get64(ref), st);
			repair_dir_page(img, len, ps, fmt_get64(ref + 8), st);
		}
	}
	return 0;
}
