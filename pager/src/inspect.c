/* inspect.c — pager_inspect: an image decoded field by field (pager_inspect.h), for
 * `tornpage inspect` and the reports. It is not a checker (check.c judges; inspect
 * shows, and reports check.c's verdicts beside what it shows) and not the pager
 * (pager_open runs on the same bytes, through a read-only view, to say what it does).
 *
 * Method: decode what is stored even where open would stop — a metadata copy with a
 * bad CRC still shows its fields, a directory index with a bad CRC still shows its
 * references — and say beside each section whether open accepts it, by open's own
 * rule (open_meta, open_dirs in pager.c; the same order check.c follows). Every count
 * and page number comes from the file: each is bounded by the page or the file before
 * use, a page named by many blocks is decoded once, and a page's CRC is computed once. */
#include "pager_int.h"
#include "pager_inspect.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *pager_inspect_dir_status_name(pager_inspect_dir_status s)
{
	static const char *const names[] = {"ok", "beyond the file", "bad CRC", "bad capacity"};
	return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

const char *pager_inspect_index_status_name(pager_inspect_index_status s)
{
	static const char *const names[] = {"ok", "bad CRC", "too many blocks", "bad selector"};
	return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

typedef struct inspect_ctx {
	const uint8_t *img;      /* the image; nothing outside [img, img+len) is read */
	uint64_t len;
	pager_inspection *out;
	uint32_t *crc;           /* per page of the file: its CRC-32, when crc_known */
	uint8_t *crc_known;      /* one bit per page of the file */
} inspect_ctx;

/* ---- superblock ---- */

/* Raw fields, then whether the rest can be read (the order of pager_open). */
static void inspect_sb(inspect_ctx *c)
{
	pager_inspection *o = c->out;
	pager_inspect_sb *sb = &o->sb;
	const uint8_t *p = c->img;
	if (c->len < FMT_SB_LEN) {
		snprintf(sb->problem, sizeof sb->problem, "the file holds %" PRIu64 " bytes, fewer than the %u of a superblock",
			 c->len, FMT_SB_LEN);
		return;
	}
	sb->present = 1;
	memcpy(sb->magic, p, 4);
	memcpy(sb->version, p + 4, 4);
	sb->page_size_log2 = fmt_get32(p + 8);
	sb->active_meta = p[12];
	memcpy(sb->pad, p + 13, 3);
	sb->meta_checksum = fmt_get32(p + 16);
	fmt_sb dec;
	switch (fmt_sb_decode(p, &dec)) {
	case FMT_SB_OK:
		break;
	case FMT_SB_BAD_MAGIC:
		snprintf(sb->problem, sizeof sb->problem, "tag is not \"MPPG\": not a mappedpages file");
		return;
	case FMT_SB_BAD_VERSION:
		snprintf(sb->problem, sizeof sb->problem, "version %u.%u; this pager reads %u.%u", p[4], p[5],
			 FMT_VERSION_MAJOR, FMT_VERSION_MINOR);
		return;
	case FMT_SB_BAD_SELECTOR:
		o->format = 1;
		snprintf(sb->problem, sizeof sb->problem, "active metadata selector %u is neither 0 (A) nor 1 (B)", p[12]);
		return;
	}
	o->format = 1;
	if (dec.page_size_log2 < PAGER_MIN_PAGE_SIZE_LOG2 || dec.page_size_log2 > PAGER_MAX_PAGE_SIZE_LOG2) {
		snprintf(sb->problem, sizeof sb->problem, "page_size_log2 %" PRIu32 " is outside %u..%u", dec.page_size_log2,
			 PAGER_MIN_PAGE_SIZE_LOG2, PAGER_MAX_PAGE_SIZE_LOG2);
		return;
	}
	size_t ps = (size_t)1 << dec.page_size_log2;
	if (c->len / ps < FMT_INITIAL_PAGES) {
		snprintf(sb->problem, sizeof sb->problem, "the file holds %" PRIu64 " bytes, fewer than 4 pages of %zu",
			 c->len, ps);
		return;
	}
	sb->valid = 1;
	o->page_size = ps;
	o->file_pages = c->len / ps;
	o->trailing_bytes = c->len % ps;
}

/* ---- metadata copies ---- */

static int add_run(pager_inspect_meta *m, uint64_t first, uint64_t count, int allocated)
{
	m->runs_total++;
	if (m->nruns >= PAGER_INSPECT_MAX_RUNS)
		return 0;
	if (!m->runs) {
		m->runs = malloc(PAGER_INSPECT_MAX_RUNS * sizeof *m->runs);
		if (!m->runs)
			return -1;
	}
	m->runs[m->nruns++] = (pager_inspect_run){first, count, allocated};
	return 0;
}

/* Runs of equal bits over pages 0..total-1 (the caller checked that they fit), and
 * the set bits; whole bytes of 0x00 or 0xff at a time. */
static int bitmap_runs(pager_inspect_meta *m, const uint8_t *bits, uint64_t total)
{
	uint64_t start = 0, i = 0;
	int cur = total ? bits[0] & 1 : 0;
	while (i < total) {
		uint8_t b = bits[i / 8];
		if (i % 8 == 0 && i + 8 <= total && b == (cur ? 0xff : 0x00)) {
			m->allocated += cur ? 8 : 0;
			i += 8;
			continue;
		}
		int bit = (b >> (i % 8)) & 1;
		if (bit != cur) {
			if (add_run(m, start, i - start, cur))
				return -1;
			start = i;
			cur = bit;
		}
		m->allocated += (uint64_t)bit;
		i++;
	}
	if (total && add_run(m, start, total - start, cur))
		return -1;
	return 0;
}

static int inspect_meta(inspect_ctx *c, unsigned i)
{
	pager_inspection *o = c->out;
	size_t ps = o->page_size;
	pager_inspect_meta *m = &o->meta[i];
	const uint8_t *mp = c->img + (uint64_t)(FMT_META_A + i) * ps;
	m->page = FMT_META_A + i;
	m->name = (char)('A' + i);
	m->total_pages = fmt_get64(mp);
	m->generation = fmt_get64(mp + 8);
	m->free_count = fmt_get64(mp + 16);
	m->crc_stored = fmt_get32(mp + ps - FMT_TRAILER);
	m->crc_computed = fmt_crc(0, mp, ps - FMT_TRAILER);
	m->whole_crc = fmt_crc(m->crc_computed, mp + ps - FMT_TRAILER, FMT_TRAILER);
	m->crc_ok = m->crc_stored == m->crc_computed;
	m->fits = fmt_meta_fits(mp, ps);
	m->valid = m->crc_ok && m->fits;
	m->selected = o->sb.active_meta == i;
	m->sb_crc_ok = m->whole_crc == o->sb.meta_checksum;
	if (!m->fits)
		return 0;
	const uint8_t *bits = mp + FMT_META_HDR;
	uint64_t total = m->total_pages;
	if (bitmap_runs(m, bits, total))
		return -1;
	m->free_bits = total - m->allocated;
	size_t blen = fmt_bitmap_len(total);
	m->tail_clean = !(total % 8 && (bits[blen - 1] & (0xffu << (total % 8))));
	for (size_t k = FMT_META_HDR + blen; k < ps - FMT_TRAILER && m->tail_clean; k++)
		m->tail_clean = mp[k] == 0;
	return 0;
}

/* Why copy m cannot be used, into buf. */
static void meta_refusal(const pager_inspection *o, const pager_inspect_meta *m, int as_selected, char *buf, size_t n)
{
	if (!m->crc_ok)
		snprintf(buf, n, "%c's trailer CRC does not match (stored 0x%08" PRIx32 ", computed 0x%08" PRIx32 ")", m->name,
			 m->crc_stored, m->crc_computed);
	else if (!m->fits)
		snprintf(buf, n, "%c's total_pages %" PRIu64 " does not fit its bitmap before the trailer (at most %" PRIu64 ")",
			 m->name, m->total_pages, fmt_max_bitmap_pages(o->page_size));
	else if (as_selected && !m->sb_crc_ok)
		snprintf(buf, n, "%c's whole-page CRC 0x%08" PRIx32 " is not the superblock's 0x%08" PRIx32, m->name,
			 m->whole_crc, o->sb.meta_checksum);
	else
		snprintf(buf, n, "%c is usable", m->name);
}

/* open_meta's rule: the selected copy if it decodes and the superblock's CRC matches,
 * else the other copy if it decodes (its whole-page CRC is not compared), else none. */
static void choose_meta(pager_inspection *o)
{
	unsigned sel = o->sb.active_meta, alt = 1 - sel;
	const pager_inspect_meta *s = &o->meta[sel], *a = &o->meta[alt];
	char r1[200], r2[200];
	if (s->valid && s->sb_crc_ok) {
		o->chosen = (int)sel;
		snprintf(o->choice, sizeof o->choice,
			 "%c: the superblock selects it, its trailer CRC matches and its whole-page CRC is the superblock's",
			 s->name);
		return;
	}
	meta_refusal(o, s, 1, r1, sizeof r1);
	if (a->valid) {
		o->chosen = (int)alt;
		snprintf(o->choice, sizeof o->choice,
			 "%c: the superblock selects %c, but %s; open falls back to %c, whose trailer CRC matches", a->name,
			 s->name, r1, a->name);
		return;
	}
	meta_refusal(o, a, 0, r2, sizeof r2);
	o->chosen = -1;
	snprintf(o->choice, sizeof o->choice, "none: %s, and %s; open fails (PAGER_ECORRUPT_METADATA)", r1, r2);
}

/* ---- directory ---- */

typedef struct page_ref {
	uint64_t page;
	uint32_t block;
} page_ref;

static int page_ref_cmp(const void *a, const void *b)
{
	const page_ref *x = a, *y = b;
	if (x->page != y->page)
		return x->page < y->page ? -1 : 1;
	return x->block < y->block ? -1 : x->block > y->block;
}

static size_t find_dirpage(const pager_inspection *o, uint64_t page)
{
	size_t lo = 0, hi = o->ndirpages;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (o->dirpages[mid].page < page)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo; /* present: every block page was added */
}

static uint32_t page_crc(inspect_ctx *c, uint64_t page)
{
	size_t ps = c->out->page_size;
	if (!(c->crc_known[page / 8] >> (page % 8) & 1)) {
		c->crc[page] = fmt_crc(0, c->img + page * ps, ps);
		c->crc_known[page / 8] |= (uint8_t)(1u << (page % 8));
	}
	return c->crc[page];
}

/* Decode one directory page: its status as open sees it, and its in-use entries as
 * stored whenever its capacity fits the page (a torn page's entries are shown too;
 * the status says open would not read them). */
static int inspect_dirpage(inspect_ctx *c, pager_inspect_dirpage *d, size_t *cap_entries)
{
	pager_inspection *o = c->out;
	size_t ps = o->page_size;
	if (d->page >= o->file_pages) {
		d->status = PAGER_INSPECT_DIR_BEYOND;
		return 0;
	}
	const uint8_t *dp = c->img + d->page * ps;
	d->crc_stored = fmt_get32(dp + ps - FMT_TRAILER);
	d->crc_computed = fmt_crc(0, dp, ps - FMT_TRAILER);
	d->capacity = fmt_dir_page_capacity(dp);
	if (d->crc_stored != d->crc_computed)
		d->status = PAGER_INSPECT_DIR_BAD_CRC;
	else if (d->capacity > o->dir_capacity)
		d->status = PAGER_INSPECT_DIR_BAD_CAPACITY;
	else
		d->status = PAGER_INSPECT_DIR_OK;
	d->first_entry = o->nentries;
	if (d->capacity > o->dir_capacity)
		return 0;
	const uint8_t *p = dp + FMT_DIR_HDR;
	for (uint32_t s = 0; s < d->capacity; s++, p += FMT_ENTRY_LEN) {
		if (!p[0]) {
			d->free_slots++;
			continue;
		}
		if (o->nentries == *cap_entries) {
			size_t n = *cap_entries ? *cap_entries * 2 : 64;
			pager_inspect_entry *e = realloc(o->entries, n * sizeof *e);
			if (!e)
				return -1;
			o->entries = e;
			*cap_entries = n;
		}
		pager_inspect_entry *e = &o->entries[o->nentries++];
		memset(e, 0, sizeof *e);
		e->slot = s;
		e->id = (uint64_t)d->first_block * o->dir_capacity + s;
		e->page_a = fmt_get64(p + 1);
		e->page_b = fmt_get64(p + 9);
		e->active_slot = p[17];
		e->generation = fmt_get64(p + 18);
		e->checksum = fmt_get32(p + 26);
		uint64_t copy = e->active_slot ? e->page_b : e->page_a;
		e->active_in_file = e->active_slot <= 1 && copy < o->file_pages;
		if (e->active_in_file)
			e->active_crc = page_crc(c, copy);
		d->nentries++;
	}
	return 0;
}

static int inspect_dirs(inspect_ctx *c)
{
	pager_inspection *o = c->out;
	size_t ps = o->page_size;
	const uint8_t *p0 = c->img;
	o->index_count = fmt_get32(p0 + FMT_DIR_INDEX_OFF);
	o->index_max = fmt_max_dir_blocks(ps);
	o->dir_capacity = fmt_dir_capacity(ps);
	o->index_crc_stored = fmt_get32(p0 + ps - FMT_TRAILER);
	o->index_crc_computed = fmt_crc(0, p0 + FMT_DIR_INDEX_OFF, ps - FMT_DIR_INDEX_OFF - FMT_TRAILER);

	/* The status open sees (fmt_index_decode, into a buffer of the count on disk). */
	uint32_t n = o->index_count < o->index_max ? o->index_count : o->index_max;
	fmt_dir_ref *refs = calloc(n ? n : 1, sizeof *refs);
	if (!refs)
		return -1;
	uint32_t got;
	switch (fmt_index_decode(p0, ps, refs, &got)) {
	case FMT_INDEX_OK: o->index_status = PAGER_INSPECT_INDEX_OK; break;
	case FMT_INDEX_BAD_CRC: o->index_status = PAGER_INSPECT_INDEX_BAD_CRC; break;
	case FMT_INDEX_TOO_MANY: o->index_status = PAGER_INSPECT_INDEX_TOO_MANY; break;
	case FMT_INDEX_BAD_SELECTOR: o->index_status = PAGER_INSPECT_INDEX_BAD_SELECTOR; break;
	}
	free(refs);
	if (!n)
		return 0;

	/* The references as stored, up to what fits before the trailer, whatever the CRC. */
	o->blocks = calloc(n, sizeof *o->blocks);
	page_ref *pr = malloc((size_t)n * 2 * sizeof *pr);
	if (!o->blocks || !pr)
		goto oom;
	const uint8_t *r = p0 + FMT_DIR_INDEX_OFF + 4;
	for (uint32_t b = 0; b < n; b++, r += FMT_DIR_REF_LEN) {
		pager_inspect_block *blk = &o->blocks[b];
		blk->index = b;
		blk->page_a = fmt_get64(r);
		blk->page_b = fmt_get64(r + 8);
		blk->active = r[16];
		pr[2 * b] = (page_ref){blk->page_a, b};
		pr[2 * b + 1] = (page_ref){blk->page_b, b};
	}
	o->nblocks = n;

	/* Distinct pages, each with the lowest block naming it. */
	qsort(pr, (size_t)n * 2, sizeof *pr, page_ref_cmp);
	o->dirpages = calloc((size_t)n * 2, sizeof *o->dirpages);
	if (!o->dirpages)
		goto oom;
	for (size_t k = 0; k < (size_t)n * 2; k++) {
		if (k && pr[k].page == pr[k - 1].page)
			continue;
		pager_inspect_dirpage *d = &o->dirpages[o->ndirpages++];
		d->page = pr[k].page;
		d->first_block = pr[k].block;
	}
	free(pr);
	pr = NULL;

	size_t cap_entries = 0;
	for (size_t k = 0; k < o->ndirpages; k++)
		if (inspect_dirpage(c, &o->dirpages[k], &cap_entries))
			goto oom;

	/* open_dirs' rule per block: the active page if readable, else the other one. */
	for (uint32_t b = 0; b < n; b++) {
		pager_inspect_block *blk = &o->blocks[b];
		blk->dirpage[0] = find_dirpage(o, blk->page_a);
		blk->dirpage[1] = find_dirpage(o, blk->page_b);
		blk->used = -1;
		if (blk->active > 1)
			continue;
		int first = blk->active, other = 1 - first;
		if (o->dirpages[blk->dirpage[first]].status == PAGER_INSPECT_DIR_OK)
			blk->used = first;
		else if (o->dirpages[blk->dirpage[other]].status == PAGER_INSPECT_DIR_OK)
			blk->used = other;
	}
	return 0;
oom:
	free(pr);
	return -1;
}

/* ---- open and check over the same bytes ---- */

/* A read-only pager_io over the image in memory. pager_open only reads the mapping
 * (it decodes into its own memory), and the pager is closed right after, before any
 * call that could store into it: handing out the caller's const bytes is sound. */
typedef struct mem_view {
	const uint8_t *img;
	uint64_t len;
} mem_view;

static int mv_open(void *ctx, const char *step, const char *path, int create, void **file)
{
	(void)step, (void)path;
	if (create)
		return EROFS;
	*file = ctx;
	return 0;
}
static int mv_size(void *ctx, const char *step, void *file, uint64_t *len)
{
	(void)step, (void)file;
	*len = ((mem_view *)ctx)->len;
	return 0;
}
static int mv_set_len(void *ctx, const char *step, void *file, uint64_t len)
{
	(void)ctx, (void)step, (void)file, (void)len;
	return EROFS;
}
static int mv_map(void *ctx, const char *step, void *file, uint64_t len, uint8_t **addr)
{
	(void)step, (void)file;
	mem_view *v = ctx;
	if (len == 0 || len != v->len)
		return EINVAL;
	*addr = (uint8_t *)(uintptr_t)v->img;
	return 0;
}
static int mv_unmap(void *ctx, const char *step, void *file, uint8_t *addr, uint64_t len)
{
	(void)ctx, (void)step, (void)file, (void)addr, (void)len;
	return 0;
}
static int mv_sync(void *ctx, const char *step, void *file, uint8_t *addr, uint64_t off, uint64_t len)
{
	(void)ctx, (void)step, (void)file, (void)addr, (void)off, (void)len;
	return EROFS;
}
static int mv_close(void *ctx, const char *step, void *file)
{
	(void)ctx, (void)step, (void)file;
	return 0;
}

static int inspect_open(inspect_ctx *c)
{
	pager_inspection *o = c->out;
	mem_view v = {c->img, c->len};
	pager_io io = {PAGER_IO_VERSION, &v, mv_open, mv_size, mv_set_len, mv_map, mv_unmap, mv_sync, mv_close, NULL};
	pager *p;
	o->open_rc = pager_open("(inspect)", &io, &p);
	if (o->open_rc == PAGER_ENOMEM)
		return -1;
	if (o->open_rc != PAGER_OK)
		return 0;
	o->open_pages = pager_page_count(p);
	o->open_free = pager_free_page_count(p);
	/* The pages of the file and up to total_pages (at most 8 per bitmap byte). */
	uint64_t ps = pager_page_size(p);
	uint64_t n = (c->len + ps - 1) / ps;
	if (o->open_pages > n)
		n = o->open_pages;
	o->roles = malloc(n ? n : 1);
	int rc = 0;
	if (!o->roles)
		rc = -1;
	else if (pager_page_roles(p, o->roles, n) == PAGER_OK)
		o->nroles = n;
	pager_close(p);
	return rc;
}

/* What open must return given the decoded sections, in open's own order (pager_open:
 * length, superblock, page size, 4 pages; open_meta; open_dirs). */
static void expect_open(pager_inspection *o, const uint8_t *img)
{
	const pager_inspect_sb *sb = &o->sb;
	char *why = o->open_why;
	size_t n = sizeof o->open_why;
	fmt_sb dec;
	o->open_expected = PAGER_ECORRUPT_SUPERBLOCK;
	if (!sb->present || fmt_sb_decode(img, &dec) != FMT_SB_OK) {
		snprintf(why, n, "superblock: %s", sb->problem);
		return;
	}
	uint32_t log2 = sb->page_size_log2;
	if (log2 >= 64 || log2 < PAGER_MIN_PAGE_SIZE_LOG2) {
		o->open_expected = PAGER_EINVALID_PAGE_SIZE;
		snprintf(why, n, "superblock: %s", sb->problem);
		return;
	}
	if (log2 > 61 || o->file_len < ((uint64_t)FMT_INITIAL_PAGES << log2)) {
		snprintf(why, n, "superblock: %s", sb->problem);
		return;
	}
	if (log2 > PAGER_MAX_PAGE_SIZE_LOG2) {
		o->open_expected = PAGER_EINVALID_PAGE_SIZE;
		snprintf(why, n, "superblock: %s", sb->problem);
		return;
	}
	if (o->chosen < 0) {
		o->open_expected = PAGER_ECORRUPT_METADATA;
		snprintf(why, n, "metadata: no usable copy");
		return;
	}
	if (o->index_status != PAGER_INSPECT_INDEX_OK) {
		o->open_expected = PAGER_ECORRUPT_DIR_INDEX;
		snprintf(why, n, "directory index: %s", pager_inspect_index_status_name(o->index_status));
		return;
	}
	for (uint32_t b = 0; b < o->nblocks; b++) {
		if (o->blocks[b].used < 0) {
			o->open_expected = PAGER_ECORRUPT_PROTECTED_DIR;
			snprintf(why, n, "directory block %" PRIu32 ": neither page %" PRIu64 " nor page %" PRIu64 " is readable",
				 b, o->blocks[b].page_a, o->blocks[b].page_b);
			return;
		}
	}
	o->open_expected = PAGER_OK;
	snprintf(why, n, "metadata %c, %" PRIu32 " directory block(s) readable", o->meta[o->chosen].name, o->nblocks);
}

typedef struct vcollect {
	pager_inspection *out;
	size_t cap;
	int oom;
} vcollect;

static void collect(void *arg, const pager_violation *v)
{
	vcollect *vc = arg;
	pager_inspection *o = vc->out;
	if (vc->oom)
		return;
	if (o->nviolations == vc->cap) {
		size_t n = vc->cap ? vc->cap * 2 : 16;
		pager_violation *nv = realloc(o->violations, n * sizeof *nv);
		if (!nv) {
			vc->oom = 1;
			return;
		}
		o->violations = nv;
		vc->cap = n;
	}
	o->violations[o->nviolations++] = *v;
}

int pager_inspect_image(const uint8_t *img, uint64_t len, pager_inspection *out)
{
	memset(out, 0, sizeof *out);
	out->chosen = -1;
	if (!img)
		len = 0;
	out->file_len = len;
	inspect_ctx c = {.img = img, .len = len, .out = out};
	int rc = -1;

	inspect_sb(&c);
	if (out->sb.valid) {
		out->nmeta = 2;
		if (inspect_meta(&c, 0) || inspect_meta(&c, 1))
			goto done;
		choose_meta(out);
		c.crc = malloc(out->file_pages * sizeof *c.crc);
		c.crc_known = calloc(out->file_pages / 8 + 1, 1);
		if (!c.crc || !c.crc_known || inspect_dirs(&c))
			goto done;
	}
	expect_open(out, img);
	if (inspect_open(&c))
		goto done;
	vcollect vc = {out, 0, 0};
	if (pager_check_image(img, len, collect, &vc) == SIZE_MAX || vc.oom)
		goto done;
	rc = 0;
done:
	free(c.crc);
	free(c.crc_known);
	return rc ? PAGER_ENOMEM : PAGER_OK;
}

int pager_inspect(const char *path, const pager_io *io, pager_inspection *out)
{
	void *file = NULL;
	uint8_t *map = NULL;
	uint64_t len = 0;
	int rc, e;
	memset(out, 0, sizeof *out);
	out->chosen = -1;
	if (!path)
		return PAGER_EINVAL;
	if (!io)
		io = pager_io_posix_readonly(); /* a reader: never needs write access */
	/* Plain I/O-layer calls, as pager_check's: a reader beside the pager. */
	if ((e = io->open(io->ctx, "inspect/open", path, 0, &file)))
		return pager_io_error(e);
	if ((e = io->size(io->ctx, "inspect/size", file, &len))) {
		rc = pager_io_error(e);
		goto done;
	}
	if (len > 0 && (e = io->map(io->ctx, "inspect/map", file, len, &map))) {
		map = NULL;
		rc = pager_io_error(e);
		goto done;
	}
	rc = pager_inspect_image(map, map ? len : 0, out);
done:
	if (map && (e = io->unmap(io->ctx, "inspect/unmap", file, map, len)) && rc == PAGER_OK)
		rc = pager_io_error(e);
	if ((e = io->close(io->ctx, "inspect/close", file)) && rc == PAGER_OK)
		rc = pager_io_error(e);
	return rc;
}

void pager_inspection_free(pager_inspection *in)
{
	for (size_t i = 0; i < in->nmeta; i++)
		free(in->meta[i].runs);
	free(in->blocks);
	free(in->dirpages);
	free(in->entries);
	free(in->roles);
	free(in->violations);
	memset(in, 0, sizeof *in);
	in->chosen = -1;
}
