/* check.c — pager_check, the structural checker (an fsck) of mappedpages 0.1 images.
 * It recovers an image by pager_open's own rule (open_meta and open_dirs in pager.c) and
 * lists every structural invariant the recovered state breaks, with the page and byte
 * concerned. It is not a model check: contents, atomicity and leaks are the harness's. */
#include "pager_int.h"
#include "v2_int.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The invariants, one row each, in the order they are checked. Ids are stable forever:
 * reports and saved reproducers cite them. docs/invariants.md documents each row. */
#define CHECK_INVARIANTS(X)                                                                    \
	X(SB_SIZE, "I-SB-SIZE",                                                                \
	  "the file holds at least 20 bytes and 4 pages of the superblock's page size")       \
	X(SB_MAGIC, "I-SB-MAGIC", "the superblock's tag is \"MPPG\"")                           \
	X(SB_VERSION, "I-SB-VERSION", "the superblock's version is 0.1 (major.minor)")          \
	X(SB_SELECTOR, "I-SB-SELECTOR", "the active metadata selector is 0 or 1")               \
	X(SB_PAGESIZE, "I-SB-PAGESIZE", "page_size_log2 is in 10..30")                          \
	X(META_ACTIVE, "I-META-ACTIVE",                                                        \
	  "the selected metadata copy passes its own CRC and the superblock's CRC")           \
	X(META_VALID, "I-META-VALID", "a metadata copy is valid by the recovery rule")          \
	X(META_FIT, "I-META-FIT",                                                              \
	  "a metadata copy recovery reads has a bitmap that fits before its trailer: total_pages <= (ps-28)*8") \
	X(META_TOTAL, "I-META-TOTAL", "total_pages >= 4 and total_pages * ps <= file length")   \
	X(META_RESERVED, "I-META-RESERVED", "pages 0, 1 and 2 are marked allocated")            \
	X(META_FREECOUNT, "I-META-FREECOUNT",                                                  \
	  "free_count equals the number of clear bitmap bits below total_pages")              \
	X(META_TAIL, "I-META-TAIL",                                                            \
	  "bitmap bits past total_pages and the bytes between bitmap and trailer are zero")   \
	X(DIR_INDEX, "I-DIR-INDEX",                                                            \
	  "the directory index is valid: CRC when count > 0, count <= (ps-28)/17, selectors 0/1") \
	X(DIR_COPY, "I-DIR-COPY",                                                              \
	  "each block's active directory page is readable (CRC, entries before the trailer)") \
	X(REF_RANGE, "I-REF-RANGE", "every referenced page is >= 3 and < total_pages")          \
	X(REF_ALLOC, "I-REF-ALLOC", "every referenced page is allocated in the bitmap")         \
	X(REF_UNIQUE, "I-REF-UNIQUE", "no page is referenced twice")                            \
	X(PROT_SLOT, "I-PROT-SLOT", "every in-use protected entry's active_slot is 0 or 1")     \
	X(PROT_CRC, "I-PROT-CRC",                                                              \
	  "every in-use protected entry's active copy has the CRC the entry records")         \
	X(V2_ROOT, "I-V2-ROOT",                                                                \
	  "format 2: a root slot holds a valid root (tag, version 0.2, page size, slot, CRC, fields)") \
	X(V2_TOTAL, "I-V2-TOTAL",                                                              \
	  "format 2: the newest root's page count is at least the initial one and fits the file") \
	X(V2_BITMAP, "I-V2-BITMAP",                                                            \
	  "format 2: the reserved pages are allocated and free_count equals the clear bits")  \
	X(V2_DIR, "I-V2-DIR",                                                                  \
	  "format 2: each block's current directory page has a mirror copy the root's record matches") \
	X(V2_REF, "I-V2-REF",                                                                  \
	  "format 2: every directory page and protected copy is a data page below total, allocated, named once")

typedef enum check_inv {
#define CHECK_ENUM(e, id, meaning) INV_##e,
	CHECK_INVARIANTS(CHECK_ENUM)
#undef CHECK_ENUM
	INV_COUNT
} check_inv;

static const pager_invariant check_table[INV_COUNT] = {
#define CHECK_ROW(e, id, meaning) {id, meaning},
	CHECK_INVARIANTS(CHECK_ROW)
#undef CHECK_ROW
};

const pager_invariant *pager_invariants(size_t *count)
{
	if (count)
		*count = INV_COUNT;
	return check_table;
}

/* Field offsets used only to say *where* a violation is; decoding stays in format.c.
 * Values from docs/FORMAT.md. */
#define CHECK_OFF_VERSION      4u   /* superblock: version major, minor */
#define CHECK_OFF_LOG2         8u   /* superblock: page_size_log2 */
#define CHECK_OFF_SELECTOR     12u  /* superblock: active metadata selector */
#define CHECK_OFF_SB_CRC       16u  /* superblock: CRC of the whole active metadata page */
#define CHECK_OFF_FREE         16u  /* metadata: free_count */
#define CHECK_OFF_REF_B        8u   /* index block reference: page_b */
#define CHECK_OFF_REF_ACTIVE   16u  /* index block reference: active selector */
#define CHECK_OFF_ENT_A        1u   /* directory entry: page_a */
#define CHECK_OFF_ENT_B        9u   /* directory entry: page_b */
#define CHECK_OFF_ENT_SLOT     17u  /* directory entry: active_slot */
#define CHECK_OFF_ENT_CRC      26u  /* directory entry: checksum */

typedef struct check_ctx {
	const uint8_t *img;          /* the image; nothing outside [img, img+len) is read */
	uint64_t len;                /* image length in bytes */
	size_t ps;                   /* page size in bytes, once the superblock passed */
	uint64_t npages;             /* whole pages in the image: len / ps */
	const pager_check_opts *opts;  /* may be NULL */
	pager_violation_fn fn;       /* may be NULL: only count */
	void *arg;                   /* handed back to fn */
	size_t count;                /* violations reported so far */
	int oom;                     /* an allocation failed: the result is SIZE_MAX */
	fmt_meta meta;               /* the recovered metadata copy, valid when have_meta */
	int have_meta;               /* meta decoded: bitmap and total_pages are usable */
	uint64_t meta_page;          /* 1 or 2: the page meta was decoded from */
	uint8_t *seen;               /* one bit per page < total_pages: referenced already */
	uint8_t *dir_state;          /* per page in the file: a check_dir_state */
	uint32_t *crc;               /* per page in the file: its CRC-32, when crc_known */
	uint8_t *crc_known;          /* one bit per page in the file */
} check_ctx;

/* What reading a page as a directory page gave, remembered per page so that an index
 * naming one page for many blocks costs one decode, not one per block. */
typedef enum check_dir_state {
	CHECK_DIR_UNREAD = 0,  /* not read yet */
	CHECK_DIR_WALKED,      /* decoded, and its entries were checked for an earlier block */
	CHECK_DIR_BAD_CRC,     /* trailer CRC does not match */
	CHECK_DIR_BAD_CAP,     /* CRC matches, its capacity's entries would pass the trailer */
} check_dir_state;

static void check_report(check_ctx *c, check_inv inv, uint64_t page, uint64_t offset,
			 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void check_report(check_ctx *c, check_inv inv, uint64_t page, uint64_t offset,
			 const char *fmt, ...)
{
	c->count++;
	if (!c->fn)
		return; /* counting only: skip the formatting (the crash harness's hot path) */
	pager_violation v = {.id = check_table[inv].id, .page = page, .offset = offset};
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v.detail, sizeof v.detail, fmt, ap);
	va_end(ap);
	c->fn(c->arg, &v);
}

/* Byte offset of page n, or UINT64_MAX when it is not representable (a page number
 * from disk may be anything; the offset is only reported, never dereferenced). */
static uint64_t check_page_off(const check_ctx *c, uint64_t n)
{
	return n > UINT64_MAX / c->ps ? UINT64_MAX : n * c->ps;
}

static const char *check_meta_name(uint64_t page) { return page == FMT_META_A ? "A" : "B"; }

/* I-SB-SIZE, I-SB-MAGIC, I-SB-VERSION, I-SB-SELECTOR, I-SB-PAGESIZE, in pager_open's
 * order. Returns 0 when the page size is known and the file holds 4 whole pages;
 * nothing else can be checked otherwise. */
static int check_superblock(check_ctx *c, fmt_sb *sb)
{
	const uint8_t *p = c->img;
	if (c->len < FMT_SB_LEN) {
		check_report(c, INV_SB_SIZE, 0, c->len,
			     "expected at least %u bytes (a superblock), found %" PRIu64 " bytes",
			     FMT_SB_LEN, c->len);
		return -1;
	}
	switch (fmt_sb_decode(p, sb)) {
	case FMT_SB_OK:
		break;
	case FMT_SB_BAD_MAGIC:
		check_report(c, INV_SB_MAGIC, 0, 0,
			     "expected tag \"MPPG\" (4d 50 50 47), found %02x %02x %02x %02x", p[0],
			     p[1], p[2], p[3]);
		return -1;
	case FMT_SB_BAD_VERSION:
		check_report(c, INV_SB_VERSION, 0, CHECK_OFF_VERSION,
			     "expected version %u.%u, found %u.%u", FMT_VERSION_MAJOR,
			     FMT_VERSION_MINOR, p[CHECK_OFF_VERSION], p[CHECK_OFF_VERSION + 1]);
		return -1;
	case FMT_SB_BAD_SELECTOR:
		check_report(c, INV_SB_SELECTOR, 0, CHECK_OFF_SELECTOR,
			     "expected active metadata selector 0 or 1, found %u",
			     p[CHECK_OFF_SELECTOR]);
		return -1;
	}
	if (sb->page_size_log2 < PAGER_MIN_PAGE_SIZE_LOG2 ||
	    sb->page_size_log2 > PAGER_MAX_PAGE_SIZE_LOG2) {
		check_report(c, INV_SB_PAGESIZE, 0, CHECK_OFF_LOG2,
			     "expected page_size_log2 in %u..%u, found %" PRIu32,
			     PAGER_MIN_PAGE_SIZE_LOG2, PAGER_MAX_PAGE_SIZE_LOG2, sb->page_size_log2);
		return -1;
	}
	c->ps = (size_t)1 << sb->page_size_log2;
	c->npages = c->len / c->ps;
	if (c->npages < FMT_INITIAL_PAGES) {
		/* Reported where the missing bytes begin: the first page not wholly there. */
		check_report(c, INV_SB_SIZE, c->npages, c->len,
			     "expected at least %u pages of %zu bytes (%" PRIu64 " bytes), found %" PRIu64
			     " bytes",
			     FMT_INITIAL_PAGES, c->ps, (uint64_t)FMT_INITIAL_PAGES * c->ps, c->len);
		return -1;
	}
	return 0;
}

/* The trailer CRC a page's bytes call for, and the one stored (for details only). */
static void check_trailer(const check_ctx *c, const uint8_t *page, size_t from, uint32_t *want,
			  uint32_t *found)
{
	*want = fmt_crc(0, page + from, c->ps - from - FMT_TRAILER);
	*found = fmt_get32(page + c->ps - FMT_TRAILER);
}

/* I-META-TOTAL, I-META-RESERVED, I-META-FREECOUNT, I-META-TAIL on the decoded copy. */
static void check_meta_bitmap(check_ctx *c, const uint8_t *raw)
{
	const fmt_meta *m = &c->meta;
	uint64_t base = c->meta_page * c->ps;
	const char *name = check_meta_name(c->meta_page);
	uint64_t total = m->total_pages;

	if (total < FMT_INITIAL_PAGES)
		check_report(c, INV_META_TOTAL, c->meta_page, base,
			     "metadata %s: expected total_pages >= %u, found %" PRIu64, name,
			     FMT_INITIAL_PAGES, total);
	else if (total > c->npages)
		check_report(c, INV_META_TOTAL, c->meta_page, base,
			     "metadata %s: expected total_pages <= %" PRIu64
			     " (file length / page size), found %" PRIu64,
			     name, c->npages, total);

	unsigned reserved = 0;
	for (uint64_t i = 0; i < FMT_FIRST_DATA_PAGE; i++)
		reserved |= (unsigned)fmt_bit(m, i) << i;
	if (reserved != 0x07)
		check_report(c, INV_META_RESERVED, c->meta_page, base + FMT_META_HDR,
			     "metadata %s: expected pages 0, 1, 2 allocated (bits 0x07), found 0x%02x",
			     name, reserved);

	/* free_count is trusted as stored by the pager (it never recounts), so a
	 * mismatch here survives every later alloc and free. */
	uint64_t set = 0;
	for (uint64_t i = 0; i < total / 8; i++)
		set += (uint64_t)__builtin_popcount(m->bitmap[i]);
	if (total % 8)
		set += (uint64_t)__builtin_popcount(m->bitmap[total / 8] & ((1u << (total % 8)) - 1));
	if (total - set != m->free_count)
		check_report(c, INV_META_FREECOUNT, c->meta_page, base + CHECK_OFF_FREE,
			     "metadata %s: expected free_count %" PRIu64
			     " (clear bits below total_pages), found %" PRIu64,
			     name, total - set, m->free_count);

	/* The decoder ignores what lies past total_pages, but a later grow keeps stray
	 * bits of the last byte: they would turn into allocated pages. FIT guarantees the
	 * bitmap ends at or before ps - 4. */
	size_t blen = fmt_bitmap_len(total);
	if (total % 8) {
		uint8_t stray = (uint8_t)(raw[FMT_META_HDR + blen - 1] & (0xffu << (total % 8)));
		if (stray)
			check_report(c, INV_META_TAIL, c->meta_page, base + FMT_META_HDR + blen - 1,
				     "metadata %s: expected no bits past total_pages (%" PRIu64
				     ") in bitmap byte %zu, found 0x%02x",
				     name, total, blen - 1, stray);
	}
	for (size_t i = FMT_META_HDR + blen; i < c->ps - FMT_TRAILER; i++) {
		if (raw[i]) {
			check_report(c, INV_META_TAIL, c->meta_page, base + i,
				     "metadata %s: expected zero bytes between bitmap and trailer, found 0x%02x at page byte %zu",
				     name, raw[i], i);
			break; /* one report: the first stray byte locates the damage */
		}
	}
}

/* I-META-FIT for a copy that passed its CRC but that recovery rejects because its
 * bitmap would run past the trailer; `then` says what recovery does next. */
static void check_meta_fit(check_ctx *c, uint64_t page, const char *role, const char *then)
{
	check_report(c, INV_META_FIT, page, page * c->ps,
		     "metadata %s%s: expected total_pages <= %" PRIu64
		     " (bitmap before the trailer), found %" PRIu64 "; %s",
		     check_meta_name(page), role, fmt_max_bitmap_pages(c->ps),
		     fmt_get64(c->img + page * c->ps), then);
}

/* I-META-ACTIVE, I-META-VALID, I-META-FIT, then the bitmap checks, choosing the copy
 * exactly as open_meta does: a copy decodes when its trailer matches and its bitmap
 * fits (the seed's MetaPage::from_bytes); the selected copy is used if it decodes and
 * the superblock's CRC matches, else the other one if it decodes. ACTIVE and FIT name
 * why the selected copy was passed over, VALID says that no copy was left. Leaves
 * c->have_meta set when a copy decoded. */
static void check_meta(check_ctx *c, const fmt_sb *sb)
{
	size_t ps = c->ps;
	uint64_t page = FMT_META_A + sb->active_meta;
	const uint8_t *mp = c->img + page * ps;
	uint32_t whole, want, found;
	int own = fmt_meta_crc_ok(mp, ps, &whole);
	int fits = fmt_meta_fits(mp, ps);

	if (!(own && fits && whole == sb->meta_checksum)) {
		uint64_t alt = FMT_META_A + FMT_META_B - page;
		const uint8_t *ap = c->img + alt * ps;
		int alt_own = fmt_meta_crc_ok(ap, ps, NULL);
		int alt_fits = fmt_meta_fits(ap, ps);
		char then[48];
		snprintf(then, sizeof then, "%s %s",
			 alt_own && alt_fits ? "recovery falls back to" : "no fallback: invalid",
			 check_meta_name(alt));
		/* In the seed's order: the trailer, the fit (both in from_bytes), then the
		 * superblock's CRC. */
		if (!own) {
			check_trailer(c, mp, 0, &want, &found);
			check_report(c, INV_META_ACTIVE, page, page * ps + ps - FMT_TRAILER,
				     "metadata %s (selected): expected trailer CRC 0x%08x, found 0x%08x; %s",
				     check_meta_name(page), want, found, then);
		} else if (!fits) {
			check_meta_fit(c, page, " (selected)", then);
		} else {
			/* A page with a valid trailer always has the CRC-32 residue as its
			 * whole-page CRC, so this fires on a damaged superblock field. */
			check_report(c, INV_META_ACTIVE, page, page * ps,
				     "metadata %s (selected): expected whole-page CRC 0x%08x (superblock byte %u), found 0x%08x; %s",
				     check_meta_name(page), sb->meta_checksum, CHECK_OFF_SB_CRC, whole, then);
		}
		if (!alt_own) {
			check_trailer(c, ap, 0, &want, &found);
			check_report(c, INV_META_VALID, alt, alt * ps + ps - FMT_TRAILER,
				     "expected a valid metadata copy, found none (%s: trailer CRC expected 0x%08x, found 0x%08x)",
				     check_meta_name(alt), want, found);
			return;
		}
		if (!alt_fits) {
			check_meta_fit(c, alt, "", "no copy left");
			check_report(c, INV_META_VALID, alt, alt * ps,
				     "expected a valid metadata copy, found none (%s: total_pages %" PRIu64
				     " does not fit its bitmap before the trailer)",
				     check_meta_name(alt), fmt_get64(ap));
			return;
		}
		page = alt;
		mp = ap;
	}

	/* fmt_meta_decode only allocates when the bitmap grows, so total_pages = 0 would
	 * have it memcpy 0 bytes into a NULL bitmap (UB); a 1-byte bitmap avoids that. */
	if (!c->meta.bitmap) {
		c->meta.bitmap = calloc(1, 1);
		if (!c->meta.bitmap) {
			c->oom = 1;
			return;
		}
		c->meta.bitmap_cap = 1;
	}
	/* The fit was tested above: only the bitmap's allocation can fail. */
	if (fmt_meta_decode(mp, ps, &c->meta) != 0) {
		c->oom = 1;
		return;
	}
	c->have_meta = 1;
	c->meta_page = page;
	check_meta_bitmap(c, mp);
}

/* I-DIR-INDEX. Returns the block count (0 when the index is unusable) and the refs in
 * *out, which the caller frees. */
static uint32_t check_index(check_ctx *c, fmt_dir_ref **out)
{
	size_t ps = c->ps;
	const uint8_t *p0 = c->img;
	uint32_t raw = fmt_get32(p0 + FMT_DIR_INDEX_OFF);
	uint32_t max = fmt_max_dir_blocks(ps);
	/* Sized by the count on disk (at most max are decoded), not by max: a 1 GiB page
	 * would otherwise cost 1.5 GB of refs for an empty index. */
	uint32_t slots = raw < max ? raw : max;
	fmt_dir_ref *refs = calloc(slots ? slots : 1, sizeof *refs);
	uint32_t n = 0, want, found;
	if (!refs) {
		c->oom = 1;
		return 0;
	}
	switch (fmt_index_decode(p0, ps, refs, &n)) {
	case FMT_INDEX_OK:
		*out = refs;
		return n;
	case FMT_INDEX_BAD_CRC:
		check_trailer(c, p0, FMT_DIR_INDEX_OFF, &want, &found);
		check_report(c, INV_DIR_INDEX, 0, ps - FMT_TRAILER,
			     "directory index (%" PRIu32 " blocks): expected CRC 0x%08x, found 0x%08x",
			     raw, want, found);
		break;
	case FMT_INDEX_TOO_MANY:
		check_report(c, INV_DIR_INDEX, 0, FMT_DIR_INDEX_OFF,
			     "directory index: expected at most %" PRIu32 " blocks, found %" PRIu32,
			     max, raw);
		break;
	case FMT_INDEX_BAD_SELECTOR:
		/* The decoder stops at the first bad selector; refs before it are 0/1. */
		for (uint32_t i = 0; i < slots; i++) {
			if (refs[i].active > 1) {
				check_report(c, INV_DIR_INDEX, 0,
					     FMT_DIR_INDEX_OFF + 4 + (uint64_t)i * FMT_DIR_REF_LEN +
						     CHECK_OFF_REF_ACTIVE,
					     "directory block %" PRIu32
					     ": expected active selector 0 or 1, found %u",
					     i, refs[i].active);
				break;
			}
		}
		break;
	}
	free(refs);
	return 0;
}

/* I-REF-RANGE, I-REF-ALLOC, I-REF-UNIQUE for one reference stored at `off` in page
 * `holder`. Needs the recovered metadata: without it there is no total_pages. */
static void check_ref(check_ctx *c, uint64_t page, uint64_t holder, uint64_t off, const char *what)
{
	if (!c->have_meta)
		return;
	const fmt_meta *m = &c->meta;
	if (page < FMT_FIRST_DATA_PAGE || page >= m->total_pages) {
		check_report(c, INV_REF_RANGE, holder, off,
			     "%s: expected %u <= page < %" PRIu64 " (total_pages), found %" PRIu64, what,
			     FMT_FIRST_DATA_PAGE, m->total_pages, page);
		return; /* no bitmap bit to look at */
	}
	if (!fmt_bit(m, page))
		check_report(c, INV_REF_ALLOC, holder, off,
			     "%s: expected page %" PRIu64 " allocated, found it free in metadata %s", what,
			     page, check_meta_name(c->meta_page));
	if (c->seen[page / 8] >> (page % 8) & 1)
		check_report(c, INV_REF_UNIQUE, holder, off,
			     "%s: expected page %" PRIu64 " referenced once, found it referenced earlier",
			     what, page);
	c->seen[page / 8] |= (uint8_t)(1u << (page % 8));
}

/* Read directory page `page` as open_dirs does: 0 when it is in the file and decodes
 * (into ents, unless *walked says an earlier block already checked its entries),
 * otherwise -1 with the reason in why. */
static int check_dir_read(check_ctx *c, uint64_t page, fmt_entry *ents, int *walked, char *why,
			  size_t whylen)
{
	*walked = 0;
	if (page >= c->npages) {
		snprintf(why, whylen, "page %" PRIu64 " beyond the file", page);
		return -1;
	}
	const uint8_t *dp = c->img + page * c->ps;
	switch (c->dir_state[page]) {
	case CHECK_DIR_WALKED:
		*walked = 1;
		return 0;
	case CHECK_DIR_UNREAD:
		if (fmt_dir_decode(dp, c->ps, ents) == 0) {
			c->dir_state[page] = CHECK_DIR_WALKED;
			return 0;
		}
		/* fmt_dir_decode tests the CRC first: a matching CRC means a bad capacity. */
		c->dir_state[page] = fmt_crc(0, dp, c->ps - FMT_TRAILER) == fmt_get32(dp + c->ps - FMT_TRAILER)
					     ? CHECK_DIR_BAD_CAP
					     : CHECK_DIR_BAD_CRC;
		break;
	default:
		break;
	}
	if (c->dir_state[page] == CHECK_DIR_BAD_CRC)
		snprintf(why, whylen, "page %" PRIu64 " failing its trailer CRC", page);
	else
		snprintf(why, whylen, "page %" PRIu64 " with capacity %" PRIu32 ", more than %" PRIu32,
			 page, fmt_dir_page_capacity(dp), fmt_dir_capacity(c->ps));
	return -1;
}

/* CRC-32 of a whole page in the file, once per page (entries may share a copy), through
 * the caller's cache when it has one. */
static uint32_t check_page_crc(check_ctx *c, uint64_t page)
{
	if (c->crc_known[page / 8] >> (page % 8) & 1)
		return c->crc[page];
	if (c->opts && c->opts->page_crc)
		c->crc[page] = c->opts->page_crc(c->opts->crc_arg, c->img, page, c->ps);
	else
		c->crc[page] = fmt_crc(0, c->img + page * c->ps, c->ps);
	c->crc_known[page / 8] |= (uint8_t)(1u << (page % 8));
	return c->crc[page];
}

/* The checks of one in-use entry (slot s of block b, read from directory page dir). */
static void check_entry(check_ctx *c, uint32_t b, uint32_t s, uint64_t dir, const fmt_entry *e)
{
	uint32_t cap = fmt_dir_capacity(c->ps); /* the id stride, whatever the page's capacity */
	uint64_t id = (uint64_t)b * cap + s;
	uint64_t eoff = dir * c->ps + FMT_DIR_HDR + (uint64_t)s * FMT_ENTRY_LEN;
	char what[64];

	snprintf(what, sizeof what, "protected id %" PRIu64 " page_a", id);
	check_ref(c, e->page_a, dir, eoff + CHECK_OFF_ENT_A, what);
	snprintf(what, sizeof what, "protected id %" PRIu64 " page_b", id);
	check_ref(c, e->page_b, dir, eoff + CHECK_OFF_ENT_B, what);

	if (e->active_slot > 1) {
		check_report(c, INV_PROT_SLOT, dir, eoff + CHECK_OFF_ENT_SLOT,
			     "protected id %" PRIu64 ": expected active_slot 0 or 1, found %u", id,
			     e->active_slot);
		return; /* no active copy to check */
	}
	uint64_t copy = e->active_slot ? e->page_b : e->page_a;
	if (copy >= c->npages)
		return; /* beyond the file: I-REF-RANGE or I-META-TOTAL says so */
	uint32_t crc = check_page_crc(c, copy);
	if (crc != e->checksum)
		check_report(c, INV_PROT_CRC, copy, copy * c->ps,
			     "protected id %" PRIu64 " (page_%c): expected CRC 0x%08x (page %" PRIu64
			     " byte %" PRIu64 "), found 0x%08x",
			     id, e->active_slot ? 'b' : 'a', e->checksum, dir, eoff + CHECK_OFF_ENT_CRC, crc);
}

/* I-DIR-COPY and the reference and protected-page checks of every block, recovering
 * each block's directory page as open_dirs does (active copy, else the other one). */
static void check_blocks(check_ctx *c, const fmt_dir_ref *refs, uint32_t n)
{
	uint32_t cap = fmt_dir_capacity(c->ps);
	fmt_entry *ents = calloc(cap, sizeof *ents);
	char what[64], why1[80], why2[80];
	c->dir_state = calloc(c->npages, 1);
	c->crc = malloc(c->npages * sizeof *c->crc);
	c->crc_known = calloc(c->npages / 8 + 1, 1);
	if (!ents || !c->dir_state || !c->crc || !c->crc_known)
		goto oom;
	if (c->have_meta) {
		c->seen = calloc(fmt_bitmap_len(c->meta.total_pages) + 1, 1);
		if (!c->seen)
			goto oom;
	}
	for (uint32_t b = 0; b < n; b++) {
		const fmt_dir_ref *r = &refs[b];
		uint64_t roff = FMT_DIR_INDEX_OFF + 4 + (uint64_t)b * FMT_DIR_REF_LEN;
		snprintf(what, sizeof what, "directory block %" PRIu32 " page_a", b);
		check_ref(c, r->page_a, 0, roff, what);
		snprintf(what, sizeof what, "directory block %" PRIu32 " page_b", b);
		check_ref(c, r->page_b, 0, roff + CHECK_OFF_REF_B, what);

		uint64_t first = r->active ? r->page_b : r->page_a;
		uint64_t other = r->active ? r->page_a : r->page_b;
		uint64_t used = first;
		int walked;
		if (check_dir_read(c, first, ents, &walked, why1, sizeof why1) != 0) {
			if (check_dir_read(c, other, ents, &walked, why2, sizeof why2) != 0) {
				check_report(c, INV_DIR_COPY, first, check_page_off(c, first),
					     "directory block %" PRIu32
					     ": expected a readable copy, found none (%s; %s)",
					     b, why1, why2);
				continue; /* open fails: no entries to check */
			}
			check_report(c, INV_DIR_COPY, first, check_page_off(c, first),
				     "directory block %" PRIu32
				     ": expected active copy readable, found %s; recovery uses page %" PRIu64,
				     b, why1, other);
			used = other;
		}
		/* A directory page an earlier block already used holds the same entries: its
		 * second reference is the I-REF-UNIQUE; repeating each entry adds nothing. */
		if (walked)
			continue;
		/* Slots past the page's own capacity were decoded as free. */
		for (uint32_t s = 0; s < cap; s++)
			if (ents[s].in_use)
				check_entry(c, b, s, used, &ents[s]);
	}
	free(ents);
	return;
oom:
	free(ents);
	c->oom = 1;
}

size_t pager_check_image_ex(const uint8_t *img, uint64_t len, const pager_check_opts *opts,
			    pager_violation_fn fn, void *arg)
{
	check_ctx c = {.img = img, .len = img ? len : 0, .opts = opts, .fn = fn, .arg = arg};
	fmt_dir_ref *refs = NULL;
	fmt_sb sb;

	/* Format 2 (v2_check.c) when there is no format 1 superblock and format 2's
	 * roots or tag are there; everything else is judged as format 1. */
	if (c.len >= FMT_SB_LEN && fmt_sb_decode(img, &sb) == FMT_SB_OK)
		;
	else if (v2_looks_like(img, c.len))
		return v2_check_image(img, c.len, opts, fn, arg);

	/* Without a superblock and 4 whole pages there is no page size to read by. */
	if (check_superblock(&c, &sb) == 0) {
		/* The directory does not depend on the metadata: it is checked even when no
		 * copy is valid (pager_open stops earlier), except the checks that need
		 * total_pages and the bitmap. */
		check_meta(&c, &sb);
		uint32_t n = c.oom ? 0 : check_index(&c, &refs);
		if (n && !c.oom)
			check_blocks(&c, refs, n);
	}
	free(refs);
	free(c.seen);
	free(c.dir_state);
	free(c.crc);
	free(c.crc_known);
	fmt_meta_free(&c.meta);
	return c.oom ? SIZE_MAX : c.count;
}

size_t pager_check_image(const uint8_t *img, uint64_t len, pager_violation_fn fn, void *arg)
{
	return pager_check_image_ex(img, len, NULL, fn, arg);
}

int pager_check(const char *path, const pager_io *io, pager_violation_fn fn, void *arg)
{
	void *file = NULL;
	uint8_t *map = NULL;
	uint64_t len = 0;
	int rc = 0, e;
	if (!path)
		return PAGER_EINVAL;
	if (!io)
		io = pager_io_posix_readonly(); /* a reader: never needs write access */
	/* Plain I/O-layer calls, not pager fault points: the checker is a reader beside
	 * the pager, and a failure here is reported, not modelled. */
	if ((e = io->open(io->ctx, "check/open", path, 0, &file)))
		return pager_io_error(e);
	if ((e = io->size(io->ctx, "check/size", file, &len))) {
		rc = pager_io_error(e);
		goto done;
	}
	/* An empty file is not mapped (mmap refuses length 0; the seed's memmap2 maps it
	 * as an empty slice): it is checked as an empty image, which I-SB-SIZE reports,
	 * as pager_open refuses it without mapping. */
	if (len > 0 && (e = io->map(io->ctx, "check/map", file, len, &map))) {
		map = NULL;
		rc = pager_io_error(e);
		goto done;
	}
	size_t n = pager_check_image(map, map ? len : 0, fn, arg);
	rc = n == SIZE_MAX ? PAGER_ENOMEM : n > INT_MAX ? INT_MAX : (int)n;
done:
	if (map && (e = io->unmap(io->ctx, "check/unmap", file, map, len)) && rc >= 0)
		rc = pager_io_error(e);
	if ((e = io->close(io->ctx, "check/close", file)) && rc >= 0)
		rc = pager_io_error(e);
	return rc;
}
