/* fields.c — one boundary value into one field of the format (see fields.h).
 * Offsets come from format.h and docs/FORMAT.md; the random value r is consumed a few
 * bits at a time (splitmix64 stretches it). */
#include "fields.h"

#include "format.h"

static uint64_t next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A boundary value for a field that holds a page number or a count of pages. */
static uint64_t page_value(uint64_t *s, uint64_t npages, uint64_t cur)
{
	switch (next(s) % 14) {
	case 0: return 0;
	case 1: return 1;
	case 2: return 2;
	case 3: return 3;
	case 4: return npages ? npages - 1 : 0;
	case 5: return npages;
	case 6: return npages + 1;
	case 7: return npages * 2;
	case 8: return UINT64_MAX;
	case 9: return (uint64_t)1 << 63;
	case 10: return cur + 1;
	case 11: return cur - 1;
	case 12: return (uint64_t)1 << (next(s) % 64);
	default: return npages ? next(s) % npages : 0;
	}
}

static uint64_t small_value(uint64_t *s, uint64_t cur)
{
	static const uint64_t v[] = {0, 1, 2, 3, 0x7f, 0x80, 0xff};
	uint64_t k = next(s) % 9;
	return k < 7 ? v[k] : k == 7 ? cur + 1 : cur - 1;
}

static void put(uint8_t *p, unsigned width, uint64_t v)
{
	if (width == 8)
		fmt_put64(p, v);
	else if (width == 4)
		fmt_put32(p, (uint32_t)v);
	else
		p[0] = (uint8_t)v;
}

static uint64_t get(const uint8_t *p, unsigned width)
{
	return width == 8 ? fmt_get64(p) : width == 4 ? fmt_get32(p) : p[0];
}

int fields_mutate(uint8_t *file, uint64_t len, unsigned log2, uint64_t r)
{
	if (log2 < 10 || log2 > 30)
		return 0;
	size_t ps = (size_t)1 << log2;
	uint64_t npages = len / ps;
	if (npages < 3)
		return 0;
	uint64_t s = r;
	uint8_t *page0 = file;
	uint8_t *at = NULL;
	unsigned width = 1;
	int pagey = 0; /* the field holds a page number or count */

	switch (next(&s) % 6) {
	case 0: { /* superblock: version, selector */
		static const unsigned off[] = {4, 5, 12, 12};
		at = page0 + off[next(&s) % 4];
		break;
	}
	case 1: { /* a metadata header field or bitmap byte, of either copy */
		uint8_t *meta = file + (FMT_META_A + next(&s) % 2) * ps;
		unsigned k = (unsigned)(next(&s) % 5);
		if (k < 3) {
			at = meta + 8 * k;
			width = 8;
			pagey = k != 1;
		} else {
			uint64_t total = fmt_get64(meta);
			uint64_t blen = total < (uint64_t)(ps - FMT_META_HDR - FMT_TRAILER) * 8 ? (total + 7) / 8 : 1;
			at = meta + FMT_META_HDR + next(&s) % (blen ? blen : 1);
		}
		break;
	}
	case 2: /* the index count */
		at = page0 + FMT_DIR_INDEX_OFF;
		width = 4;
		pagey = 1;
		break;
	default: { /* a block reference, or a field of one of its directory pages */
		uint32_t count = fmt_get32(page0 + FMT_DIR_INDEX_OFF);
		uint32_t max = fmt_max_dir_blocks(ps);
		uint32_t n = count < max ? count : max;
		if (n == 0) {
			at = page0 + FMT_DIR_INDEX_OFF;
			width = 4;
			pagey = 1;
			break;
		}
		uint8_t *ref = page0 + FMT_DIR_INDEX_OFF + 4 + (next(&s) % n) * FMT_DIR_REF_LEN;
		unsigned k = (unsigned)(next(&s) % 4);
		if (k < 2) {
			at = ref + 8 * k;
			width = 8;
			pagey = 1;
			break;
		}
		if (k == 2) {
			at = ref + 16;
			break;
		}
		/* The active directory page of the block. It may be page 0, 1 or 2 (the
		 * superblock with the index, or a metadata page) when an earlier mutation put
		 * such a number in the ref: that is kept on purpose. A ref naming a reserved
		 * page is a hostile file the pager must refuse without reading it as a
		 * directory, and writing an "entry" field there mutates that page's bytes as
		 * a pager trusting the ref would decode them. It stays inside the file
		 * (dir < npages, every slot fits in a page). repair.c then rewrites that
		 * page's own CRCs (metadata trailer, or index trailer) but never a
		 * directory-page trailer there, which could not agree with them. */
		uint64_t dir = fmt_get64(ref + (ref[16] == 1 ? 8 : 0));
		if (dir >= npages) {
			at = ref + 16;
			break;
		}
		uint8_t *dp = file + dir * ps;
		uint32_t cap = fmt_dir_capacity(ps);
		uint32_t slot = (uint32_t)(next(&s) % (cap + 1));
		if (slot == cap) { /* the capacity */
			at = dp;
			width = 4;
			break;
		}
		uint8_t *e = dp + FMT_DIR_HDR + (size_t)slot * FMT_ENTRY_LEN;
		static const unsigned eoff[] = {0, 1, 9, 17, 18, 26};
		static const unsigned ewidth[] = {1, 8, 8, 1, 8, 4};
		unsigned f = (unsigned)(next(&s) % 6);
		at = e + eoff[f];
		width = ewidth[f];
		pagey = f == 1 || f == 2;
		break;
	}
	}
	uint64_t cur = get(at, width);
	put(at, width, pagey ? page_value(&s, npages, cur) : small_value(&s, cur));
	return 1;
}
