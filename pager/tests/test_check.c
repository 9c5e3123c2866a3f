/* test_check.c — pager_check, the structural checker: every invariant id fires at the
 * page and byte it names, golden and pager-made images are clean, and no input (short,
 * flipped, CRC-repaired garbage) crashes it or disagrees with pager_open on "opens". */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format.h"
#include "pager.h"

#define KB 1024u

/* ---- helpers (static: tests/support.c belongs to the pager-tests work) ---- */

typedef struct vlist {
	pager_violation *v;  /* every violation reported, in order */
	size_t n;            /* how many */
	size_t cap;          /* allocated slots */
} vlist;

static void collect(void *arg, const pager_violation *v)
{
	vlist *l = arg;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = realloc(l->v, l->cap * sizeof *l->v);
		cr_assert(l->v);
	}
	l->v[l->n++] = *v;
}

static void vlist_free(vlist *l)
{
	free(l->v);
	*l = (vlist){0};
}

/* Check a copy of img in a heap block of exactly len bytes, so ASan sees any read
 * past the end. Returns the count and fills l. */
static size_t check_copy(const uint8_t *img, uint64_t len, vlist *l)
{
	uint8_t *copy = malloc(len ? len : 1);
	cr_assert(copy);
	if (len)
		memcpy(copy, img, len);
	*l = (vlist){0};
	size_t n = pager_check_image(len ? copy : NULL, len, collect, l);
	free(copy);
	cr_assert_eq(n, l->n, "returned count %zu, callback saw %zu", n, l->n);
	return n;
}

static char dump_buf[8192];

/* All violations as text, for assertion messages. */
static const char *dump(const vlist *l)
{
	size_t o = 0;
	dump_buf[0] = 0;
	for (size_t i = 0; i < l->n && o < sizeof dump_buf - 1; i++)
		o += (size_t)snprintf(dump_buf + o, sizeof dump_buf - o, "\n  %s page %llu off %llu: %s",
				      l->v[i].id, (unsigned long long)l->v[i].page,
				      (unsigned long long)l->v[i].offset, l->v[i].detail);
	return dump_buf;
}

static const pager_violation *find(const vlist *l, const char *id, uint64_t page, uint64_t off)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].id, id) && l->v[i].page == page && l->v[i].offset == off)
			return &l->v[i];
	return NULL;
}

/* The image has exactly `count` violations, one of which is id at page/off. */
static const pager_violation *expect(const uint8_t *img, uint64_t len, size_t count,
				     const char *id, uint64_t page, uint64_t off, vlist *l)
{
	check_copy(img, len, l);
	const pager_violation *v = find(l, id, page, off);
	cr_assert(v, "expected %s at page %llu offset %llu; got:%s", id, (unsigned long long)page,
		  (unsigned long long)off, dump(l));
	cr_assert_eq(l->n, count, "expected %zu violations; got:%s", count, dump(l));
	cr_assert(strstr(v->detail, "expected") && strstr(v->detail, "found"),
		  "detail says expected/found: %s", v->detail);
	return v;
}

static void expect_only(const uint8_t *img, uint64_t len, const char *id, uint64_t page, uint64_t off)
{
	vlist l;
	expect(img, len, 1, id, page, off, &l);
	vlist_free(&l);
}

static void expect_clean(const uint8_t *img, uint64_t len, const char *what)
{
	vlist l;
	check_copy(img, len, &l);
	cr_assert_eq(l.n, 0, "%s: expected no violation; got:%s", what, dump(&l));
	vlist_free(&l);
}

static uint8_t *read_path(const char *path, uint64_t *len)
{
	FILE *f = fopen(path, "rb");
	cr_assert(f, "open %s: %s", path, strerror(errno));
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	cr_assert(n >= 0);
	rewind(f);
	uint8_t *buf = malloc(n ? (size_t)n : 1);
	cr_assert(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (uint64_t)n;
	return buf;
}

static void write_path(const char *path, const uint8_t *buf, uint64_t len)
{
	FILE *f = fopen(path, "wb");
	cr_assert(f, "create %s: %s", path, strerror(errno));
	cr_assert_eq(fwrite(buf, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

static uint8_t *golden(const char *name, uint64_t *len)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", TORNPAGE_GOLDEN_DIR, name);
	return read_path(path, len);
}

/* A fresh temporary directory; path receives "<dir>/<name>". */
static void temp_path(char *path, size_t size, const char *name)
{
	char dir[] = "/tmp/tornpage-check-XXXXXX";
	cr_assert(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	snprintf(path, size, "%s/%s", dir, name);
}

static void remove_temp(const char *path)
{
	char dir[1024];
	unlink(path);
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = 0;
		rmdir(dir);
	}
}

/* CRC repairs after a precise corruption, so only the targeted invariant fires. */
static void fix_trailer(uint8_t *img, size_t ps, uint64_t page)
{
	uint8_t *p = img + page * ps;
	fmt_put32(p + ps - FMT_TRAILER, fmt_crc(0, p, ps - FMT_TRAILER));
}

static void fix_index(uint8_t *img, size_t ps)
{
	fmt_put32(img + ps - FMT_TRAILER,
		  fmt_crc(0, img + FMT_DIR_INDEX_OFF, ps - FMT_DIR_INDEX_OFF - FMT_TRAILER));
}

/* Byte offset of field `field` of entry `slot` in directory page `page`. */
static uint64_t entry_off(size_t ps, uint64_t page, unsigned slot, unsigned field)
{
	return page * ps + FMT_DIR_HDR + slot * FMT_ENTRY_LEN + field;
}

/* An in-memory pager_io over one buffer, so pager_open can judge thousands of
 * variants without files. Records the steps it was called with. */
typedef struct mem_disk {
	uint8_t *buf;       /* the file's bytes (exact-size heap block) */
	uint64_t len;       /* file length */
	char steps[8][32];  /* the first step names seen */
	int nsteps;         /* how many calls */
} mem_disk;

static void mem_step(mem_disk *d, const char *step)
{
	if (d->nsteps < 8)
		snprintf(d->steps[d->nsteps], sizeof d->steps[0], "%s", step);
	d->nsteps++;
}
static int mem_open(void *ctx, const char *step, const char *path, int create, void **file)
{
	(void)path;
	mem_step(ctx, step);
	if (create)
		return EEXIST;
	*file = ctx;
	return 0;
}
static int mem_size(void *ctx, const char *step, void *file, uint64_t *len)
{
	(void)file;
	mem_step(ctx, step);
	*len = ((mem_disk *)ctx)->len;
	return 0;
}
static int mem_set_len(void *ctx, const char *step, void *file, uint64_t len)
{
	(void)file, (void)len;
	mem_step(ctx, step);
	return EROFS;
}
static int mem_map(void *ctx, const char *step, void *file, uint64_t len, uint8_t **addr)
{
	(void)file;
	mem_step(ctx, step);
	if (len == 0 || len != ((mem_disk *)ctx)->len)
		return EINVAL;
	*addr = ((mem_disk *)ctx)->buf;
	return 0;
}
static int mem_unmap(void *ctx, const char *step, void *file, uint8_t *addr, uint64_t len)
{
	(void)file, (void)addr, (void)len;
	mem_step(ctx, step);
	return 0;
}
static int mem_sync(void *ctx, const char *step, void *file, uint8_t *addr, uint64_t off, uint64_t len)
{
	(void)file, (void)addr, (void)off, (void)len;
	mem_step(ctx, step);
	return 0;
}
static int mem_close(void *ctx, const char *step, void *file)
{
	(void)file;
	mem_step(ctx, step);
	return 0;
}

static pager_io mem_io(mem_disk *d)
{
	return (pager_io){.version = PAGER_IO_VERSION, .ctx = d, .open = mem_open, .size = mem_size,
			  .set_len = mem_set_len, .map = mem_map, .unmap = mem_unmap,
			  .sync = mem_sync, .close = mem_close};
}

/* Does the checker say the file cannot open? The ids that make pager_open fail, plus
 * the fatal form of I-DIR-COPY. I-META-FIT and I-META-TOTAL never are: a copy that does
 * not fit falls back like a torn one (I-META-VALID when none is left), and a file
 * shorter than total_pages opens, as in the seed. */
static int says_fatal(const vlist *l)
{
	static const char *const fatal[] = {"I-SB-SIZE", "I-SB-MAGIC", "I-SB-VERSION",
					    "I-SB-SELECTOR", "I-SB-PAGESIZE", "I-META-VALID",
					    "I-DIR-INDEX"};
	for (size_t i = 0; i < l->n; i++) {
		for (size_t f = 0; f < sizeof fatal / sizeof *fatal; f++)
			if (!strcmp(l->v[i].id, fatal[f]))
				return 1;
		if (!strcmp(l->v[i].id, "I-DIR-COPY") && strstr(l->v[i].detail, "found none"))
			return 1;
	}
	return 0;
}

/* Ids seen by check_agrees_with_open, one bit per row of pager_invariants(). */
static uint32_t reached;

static void note_reached(const vlist *l)
{
	size_t n;
	const pager_invariant *t = pager_invariants(&n);
	for (size_t i = 0; i < l->n; i++)
		for (size_t k = 0; k < n && k < 32; k++)
			if (!strcmp(l->v[i].id, t[k].id))
				reached |= 1u << k;
}

static int was_reached(const char *id)
{
	size_t n;
	const pager_invariant *t = pager_invariants(&n);
	for (size_t k = 0; k < n && k < 32; k++)
		if (!strcmp(id, t[k].id))
			return reached >> k & 1;
	return 0;
}

/* Check img and open it with the real pager: the checker must agree on whether the
 * file opens (it follows the same recovery rule). Returns the violation count. */
static size_t check_agrees_with_open(const uint8_t *img, uint64_t len, const char *what)
{
	vlist l;
	size_t n = check_copy(img, len, &l);
	mem_disk d = {.buf = malloc(len ? len : 1), .len = len};
	cr_assert(d.buf);
	if (len)
		memcpy(d.buf, img, len);
	pager_io io = mem_io(&d);
	pager *p = NULL;
	int rc = pager_open("mem", &io, &p);
	if (rc == PAGER_OK)
		pager_close(p);
	int fatal = says_fatal(&l);
	note_reached(&l);
	cr_assert_eq(rc != PAGER_OK, fatal, "%s: pager_open says %s, checker says %s:%s", what,
		     pager_strerror(rc), fatal ? "cannot open" : "opens", dump(&l));
	free(d.buf);
	vlist_free(&l);
	return n;
}

/* Tiny deterministic PRNG (xorshift64*): the mutation test is reproducible. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

/* protected-1k.img (page size 1024, 16 pages), as the golden README and its JSON
 * describe it: the superblock selects metadata B (page 2); one directory block with
 * page_a = 3, page_b = 4, active = b; page 4 holds entries 0 (pages 5/6, active b),
 * 1 (pages 7/8, active a), 2 (pages 9/10, active b). Page 3 is the older copy, with
 * entry 3 (pages 11/12, freed since) still in use. */
#define P_PS 1024u
#define P_META 2u
#define P_DIR 4u
#define P_OLD_DIR 3u

typedef struct crc_spy {
	int calls;    /* page_crc calls */
	int lie;      /* return a wrong CRC */
} crc_spy;

static uint32_t spy_crc(void *arg, const uint8_t *img, uint64_t page, size_t ps)
{
	crc_spy *s = arg;
	s->calls++;
	uint32_t crc = fmt_crc(0, img + page * ps, ps);
	return s->lie ? ~crc : crc;
}

/* ---- the table ---- */

Test(check_table, lists_every_id_once_in_order)
{
	static const char *const ids[] = {
		"I-SB-SIZE", "I-SB-MAGIC", "I-SB-VERSION", "I-SB-SELECTOR", "I-SB-PAGESIZE",
		"I-META-ACTIVE", "I-META-VALID", "I-META-FIT", "I-META-TOTAL", "I-META-RESERVED",
		"I-META-FREECOUNT", "I-META-TAIL", "I-DIR-INDEX", "I-DIR-COPY", "I-REF-RANGE",
		"I-REF-ALLOC", "I-REF-UNIQUE", "I-PROT-SLOT", "I-PROT-CRC",
		"I-V2-ROOT", "I-V2-TOTAL", "I-V2-BITMAP", "I-V2-DIR", "I-V2-REF"};
	size_t n = 0;
	const pager_invariant *t = pager_invariants(&n);
	cr_assert_eq(n, sizeof ids / sizeof *ids);
	for (size_t i = 0; i < n; i++) {
		cr_assert_str_eq(t[i].id, ids[i]);
		cr_assert(t[i].meaning && strlen(t[i].meaning) > 10);
	}
}

Test(check_table, documents_every_id)
{
	uint64_t len;
	size_t n;
	const pager_invariant *t = pager_invariants(&n);
	char path[1024];
#ifdef TORNPAGE_SOURCE_DIR
	snprintf(path, sizeof path, "%s/docs/invariants.md", TORNPAGE_SOURCE_DIR);
#else
	/* The repository root from this file's path (CMake compiles it by absolute path). */
	snprintf(path, sizeof path, "%s", __FILE__);
	char *tail = strstr(path, "pager/tests/test_check.c");
	cr_assert(tail, "unexpected __FILE__ %s", __FILE__);
	snprintf(tail, sizeof path - (size_t)(tail - path), "docs/invariants.md");
#endif
	uint8_t *doc = read_path(path, &len);
	char *text = calloc(len + 1, 1);
	memcpy(text, doc, len);
	for (size_t i = 0; i < n; i++) {
		char row[64];
		snprintf(row, sizeof row, "| %s |", t[i].id);
		cr_assert(strstr(text, row), "docs/invariants.md has no row for %s", t[i].id);
	}
	cr_assert(strstr(text, "## Crash verdicts (harness)"));
	cr_assert(strstr(text, "## Fault-matrix verdicts (harness)"));
	free(text);
	free(doc);
}

/* ---- clean images ---- */

Test(check_clean, golden_images_have_no_violation)
{
	static const char *const names[] = {"basic-1k.img", "dir2-1k.img", "fresh-1k.img",
					    "fresh-4k.img", "grow-1k.img", "mixed-4k.img",
					    "protected-1k.img", "reopen-1k.img"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		uint64_t len;
		uint8_t *img = golden(names[i], &len);
		expect_clean(img, len, names[i]);
		free(img);
	}
}

/* Images written by our pager (growth, two directory blocks, protected writes, frees)
 * are clean after every operation. */
Test(check_clean, pager_made_images_have_no_violation)
{
	static const unsigned sizes[] = {10, 12};
	for (size_t k = 0; k < 2; k++) {
		char path[1024];
		temp_path(path, sizeof path, "made.img");
		pager *p;
		cr_assert_eq(pager_create(path, sizes[k], NULL, &p), PAGER_OK);
		uint64_t pages[8], ids[40], len;
		for (int i = 0; i < 8; i++)
			cr_assert_eq(pager_alloc(p, &pages[i]), PAGER_OK);
		int nprot = sizes[k] == 10 ? 40 : 5; /* 40 > 33: a second block at 1 KiB */
		for (int i = 0; i < nprot; i++)
			cr_assert_eq(pager_alloc_protected(p, &ids[i]), PAGER_OK);
		for (int i = 0; i < nprot; i += 3) {
			pager_pwrite w;
			cr_assert_eq(pager_protected_begin(p, ids[i], &w), PAGER_OK);
			memset(w.data, i + 1, pager_page_size(p));
			cr_assert_eq(pager_protected_commit(p, &w), PAGER_OK);
		}
		for (int i = 0; i < 8; i += 2)
			cr_assert_eq(pager_free(p, pages[i]), PAGER_OK);
		for (int i = 1; i < nprot; i += 4)
			cr_assert_eq(pager_free_protected(p, ids[i]), PAGER_OK);
		cr_assert_eq(pager_close(p), PAGER_OK);
		uint8_t *img = read_path(path, &len);
		expect_clean(img, len, "pager-made image");
		cr_assert_eq(pager_check(path, NULL, NULL, NULL), 0);
		free(img);
		remove_temp(path);
	}
}

/* ---- superblock ---- */

Test(check_sb, size_fires_below_20_bytes_and_below_4_pages)
{
	uint64_t len;
	uint8_t *img = golden("fresh-1k.img", &len);
	expect_only(img, 0, "I-SB-SIZE", 0, 0);
	expect_only(img, 19, "I-SB-SIZE", 0, 19);
	/* Where the missing bytes begin: the first page that is not wholly there. */
	expect_only(img, 4095, "I-SB-SIZE", 3, 4095);
	expect_only(img, 2048, "I-SB-SIZE", 2, 2048);
	/* A page size larger than the file: 4 KiB pages in a 4 KiB file. */
	fmt_put32(img + 8, 12);
	expect_only(img, len, "I-SB-SIZE", 1, 4096);
	free(img);
}

Test(check_sb, magic_fires_on_a_wrong_tag)
{
	uint64_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	img[3] = 'X';
	expect_only(img, len, "I-SB-MAGIC", 0, 0);
	free(img);
}

Test(check_sb, version_fires_on_major_or_minor_only)
{
	uint64_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	img[6] = 9; /* patch and build are not checked */
	img[7] = 9;
	expect_clean(img, len, "patch/build changed");
	img[5] = 3;
	expect_only(img, len, "I-SB-VERSION", 0, 4);
	/* 0.2 is format 2's tag: a file that carries it and no valid root is format 2's to
	 * judge (no root), not an unknown version. */
	img[5] = 2;
	expect_only(img, len, "I-V2-ROOT", 0, 0);
	img[5] = 1;
	img[4] = 1;
	expect_only(img, len, "I-SB-VERSION", 0, 4);
	free(img);
}

Test(check_sb, selector_fires_beyond_1)
{
	uint64_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	img[12] = 2;
	expect_only(img, len, "I-SB-SELECTOR", 0, 12);
	free(img);
}

Test(check_sb, pagesize_fires_outside_10_to_30)
{
	uint64_t len;
	uint8_t *img = golden("fresh-1k.img", &len);
	static const uint32_t bad[] = {0, 9, 31, 61, 63, 64, UINT32_MAX};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		fmt_put32(img + 8, bad[i]);
		expect_only(img, len, "I-SB-PAGESIZE", 0, 8);
	}
	free(img);
}

/* ---- metadata ---- */

Test(check_meta, active_fires_on_a_torn_selected_copy_and_recovery_falls_back)
{
	uint64_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	img[P_META * P_PS + 100] ^= 1;
	vlist l;
	const pager_violation *v =
		expect(img, len, 1, "I-META-ACTIVE", P_META, P_META * P_PS + P_PS - 4, &l);
	cr_assert(strstr(v->detail, "falls back to A"), "%s", v->detail);
	vlist_free(&l);
	free(img);
}

Test(check_meta, active_fires_on_a_wrong_superblock_crc)
{
	uint64_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	img[16] ^= 0x80;
	expect_only(img, len, "I-META-ACTIVE", P_META, P_META * P_PS);
	free(img);
}

Test(check_meta, valid_fires_when_neither_copy_passes)
{
	uint64_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	img[1 * P_PS + 7] ^= 1;
	img[2 * P_PS + 7] ^= 1;
	vlist l;
	/* The selected copy's failure, then the fallback's; the directory is still
	 * checked (it does not need the metadata) and is clean. */
	expect(img, len, 2, "I-META-VALID", 1, 1 * P_PS + P_PS - 4, &l);
	cr_assert(find(&l, "I-META-ACTIVE", P_META, P_META * P_PS + P_PS - 4), "%s", dump(&l));
	vlist_free(&l);
	free(img);
}

Test(check_meta, valid_fires_when_selected_passes_only_its_trailer)
{
	/* open() never falls back to the selected copy on its trailer alone. */
	uint64_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	img[16] ^= 1;
	img[1 * P_PS + 7] ^= 1;
	vlist l;
	expect(img, len, 2, "I-META-VALID", 1, 1 * P_PS + P_PS - 4, &l);
	cr_assert(find(&l, "I-META-ACTIVE", P_META, P_META * P_PS));
	vlist_free(&l);
	free(img);
}

/* Copy the selected metadata page (B) over A, so that a fallback to A changes nothing
 * but the page the checker reads. */
static void same_meta_copies(uint8_t *img)
{
	memcpy(img + 1 * P_PS, img + P_META * P_PS, P_PS);
}

static void set_total(uint8_t *img, uint64_t page, uint64_t total)
{
	fmt_put64(img + page * P_PS, total);
	fix_trailer(img, P_PS, page);
}

/* The seed's MetaPage::from_bytes returns None for a bitmap past the trailer, as for
 * a bad CRC: open falls back to the other copy, and so does the checker. */
Test(check_meta, fit_fires_when_the_bitmap_would_pass_the_trailer_and_recovery_falls_back)
{
	uint64_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	same_meta_copies(img);
	set_total(img, P_META, (P_PS - 28) * 8 + 1);
	vlist l;
	const pager_violation *v = expect(img, len, 1, "I-META-FIT", P_META, P_META * P_PS, &l);
	cr_assert(strstr(v->detail, "(selected)") && strstr(v->detail, "falls back to A"), "%s",
		  v->detail);
	vlist_free(&l);
	cr_assert_eq(check_agrees_with_open(img, len, "selected copy too big"), 1);
	/* Exactly full is fine for the bitmap (the file is too short for it, though, which
	 * opens: I-META-TOTAL). */
	set_total(img, P_META, (P_PS - 28) * 8);
	check_copy(img, len, &l);
	cr_assert_null(find(&l, "I-META-FIT", P_META, P_META * P_PS), "%s", dump(&l));
	cr_assert(find(&l, "I-META-TOTAL", P_META, P_META * P_PS), "%s", dump(&l));
	vlist_free(&l);
	check_agrees_with_open(img, len, "selected copy exactly full");
	free(img);
}

Test(check_meta, fit_on_both_copies_leaves_no_valid_copy)
{
	uint64_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	same_meta_copies(img);
	set_total(img, P_META, UINT64_MAX);
	set_total(img, 1, (uint64_t)1 << 40);
	vlist l;
	const pager_violation *v = expect(img, len, 3, "I-META-VALID", 1, 1 * P_PS, &l);
	cr_assert(strstr(v->detail, "does not fit"), "%s", v->detail);
	v = find(&l, "I-META-FIT", P_META, P_META * P_PS);
	cr_assert(v && strstr(v->detail, "no fallback: invalid A"), "%s", dump(&l));
	v = find(&l, "I-META-FIT", 1, 1 * P_PS);
	cr_assert(v && strstr(v->detail, "no copy left"), "%s", dump(&l));
	vlist_free(&l);
	check_agrees_with_open(img, len, "both copies too big");
	free(img);
}

Test(check_meta, a_torn_selected_copy_and_a_too_big_other_leave_no_valid_copy)
{
	uint64_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	same_meta_copies(img);
	set_total(img, 1, (P_PS - 28) * 8 + 1);
	img[P_META * P_PS + 100] ^= 1;
	vlist l;
	expect(img, len, 3, "I-META-VALID", 1, 1 * P_PS, &l);
	cr_assert(find(&l, "I-META-ACTIVE", P_META, P_META * P_PS + P_PS - 4), "%s", dump(&l));
	cr_assert(find(&l, "I-META-FIT", 1, 1 * P_PS), "%s", dump(&l));
	vlist_free(&l);
	check_agrees_with_open(img, len, "torn selected, other too big");
	free(img);
}

Test(check_meta, total_fires_beyond_the_file_and_below_4)
{
	uint64_t len;
	uint8_t *img = golden("fresh-1k.img", &len); /* selects A (page 1): total 4, free 1 */
	fmt_put64(img + 1 * KB, 5);
	fmt_put64(img + 1 * KB + 16, 2); /* pages 3 and 4 clear: keep free_count exact */
	fix_trailer(img, KB, 1);
	vlist l;
	const pager_violation *v = expect(img, len, 1, "I-META-TOTAL", 1, 1 * KB, &l);
	cr_assert(strstr(v->detail, "file length"), "%s", v->detail);
	vlist_free(&l);

	fmt_put64(img + 1 * KB, 3);
	fmt_put64(img + 1 * KB + 16, 0);
	fix_trailer(img, KB, 1);
	v = expect(img, len, 1, "I-META-TOTAL", 1, 1 * KB, &l);
	cr_assert(strstr(v->detail, ">= 4"), "%s", v->detail);
	vlist_free(&l);
	free(img);
}

/* total_pages = 0: an empty bitmap (the decoder must not copy into NULL). Not opened
 * with pager_open here: its decode has that UB (reported to the pager's owner). */
Test(check_meta, total_0_is_reported_without_undefined_behaviour)
{
	uint64_t len;
	uint8_t *img = golden("fresh-1k.img", &len);
	memset(img + 1 * KB, 0, 24);
	fix_trailer(img, KB, 1);
	vlist l;
	/* Byte 24 (0x07) is now past the empty bitmap: tail bytes, not bitmap. */
	expect(img, len, 3, "I-META-TOTAL", 1, 1 * KB, &l);
	cr_assert(find(&l, "I-META-RESERVED", 1, 1 * KB + 24), "%s", dump(&l));
	cr_assert(find(&l, "I-META-TAIL", 1, 1 * KB + 24), "%s", dump(&l));
	vlist_free(&l);
	free(img);
}

Test(check_meta, reserved_fires_when_page_0_1_or_2_is_free)
{
	uint64_t len;
	uint8_t *img = golden("fresh-1k.img", &len);
	img[1 * KB + 24] = 0x05; /* page 1 free */
	fmt_put64(img + 1 * KB + 16, 2);
	fix_trailer(img, KB, 1);
	expect_only(img, len, "I-META-RESERVED", 1, 1 * KB + 24);
	free(img);
}

Test(check_meta, freecount_fires_when_it_disagrees_with_the_bitmap)
{
	uint64_t len;
	uint8_t *img = golden("grow-1k.img", &len);
	uint8_t sel = img[12];
	uint64_t page = 1 + sel;
	fmt_put64(img + page * KB + 16, fmt_get64(img + page * KB + 16) + 1);
	fix_trailer(img, KB, page);
	expect_only(img, len, "I-META-FREECOUNT", page, page * KB + 16);
	free(img);
}

Test(check_meta, tail_fires_on_bits_past_total_and_bytes_before_the_trailer)
{
	uint64_t len;
	uint8_t *img = golden("fresh-1k.img", &len);
	img[1 * KB + 24] |= 0x20; /* page 5 of a 4-page file */
	fix_trailer(img, KB, 1);
	expect_only(img, len, "I-META-TAIL", 1, 1 * KB + 24);
	img[1 * KB + 24] &= 0x0f;
	img[1 * KB + 500] = 0x42;
	fix_trailer(img, KB, 1);
	expect_only(img, len, "I-META-TAIL", 1, 1 * KB + 500);
	free(img);
}

/* ---- directory ---- */

Test(check_dir, index_fires_on_a_bad_crc)
{
	uint64_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	img[30] ^= 1;
	expect_only(img, len, "I-DIR-INDEX", 0, P_PS - 4);
	free(img);
}

Test(check_dir, index_crc_is_ignored_when_count_is_0)
{
	uint64_t len;
	uint8_t *img = golden("fresh-1k.img", &len);
	img[KB - 1] ^= 0xff;
	img[KB - 100] = 7;
	expect_clean(img, len, "count 0 with garbage after it");
	free(img);
}

Test(check_dir, index_fires_on_too_many_blocks)
{
	uint64_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	fmt_put32(img + 20, (P_PS - 28) / 17 + 1);
	fix_index(img, P_PS);
	expect_only(img, len, "I-DIR-INDEX", 0, 20);
	free(img);
}

Test(check_dir, index_fires_on_a_bad_selector)
{
	uint64_t len;
	uint8_t *img = golden("dir2-1k.img", &len); /* two blocks */
	img[24 + 17 + 16] = 2;
	fix_index(img, KB);
	expect_only(img, len, "I-DIR-INDEX", 0, 24 + 17 + 16);
	free(img);
}

Test(check_dir, copy_fires_when_recovery_falls_back_to_the_other_page)
{
	uint64_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	/* Both copies identical first, so the fallback changes nothing else. */
	memcpy(img + P_OLD_DIR * P_PS, img + P_DIR * P_PS, P_PS);
	img[P_DIR * P_PS + 500] ^= 1;
	vlist l;
	const pager_violation *v = expect(img, len, 1, "I-DIR-COPY", P_DIR, P_DIR * P_PS, &l);
	cr_assert(strstr(v->detail, "recovery uses page 3"), "%s", v->detail);
	vlist_free(&l);
	free(img);
}

/* The seed's real exposure: the older copy still lists a freed protected page whose
 * backing pages the metadata has released. */
Test(check_dir, copy_fallback_to_a_stale_page_shows_freed_references)
{
	uint64_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	img[P_DIR * P_PS + 500] ^= 1;
	vlist l;
	expect(img, len, 3, "I-DIR-COPY", P_DIR, P_DIR * P_PS, &l);
	cr_assert(find(&l, "I-REF-ALLOC", P_OLD_DIR, entry_off(P_PS, P_OLD_DIR, 3, 1)), "%s", dump(&l));
	cr_assert(find(&l, "I-REF-ALLOC", P_OLD_DIR, entry_off(P_PS, P_OLD_DIR, 3, 9)), "%s", dump(&l));
	vlist_free(&l);
	free(img);
}

Test(check_dir, copy_fires_when_no_copy_is_readable)
{
	uint64_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	img[P_DIR * P_PS + 500] ^= 1;
	/* One entry more than fit before the trailer ((1024 - 12) / 30 = 33), valid CRC. */
	fmt_put32(img + P_OLD_DIR * P_PS, 34);
	fix_trailer(img, P_PS, P_OLD_DIR);
	vlist l;
	const pager_violation *v = expect(img, len, 1, "I-DIR-COPY", P_DIR, P_DIR * P_PS, &l);
	cr_assert(strstr(v->detail, "found none"), "%s", v->detail);
	cr_assert(strstr(v->detail, "capacity 34, more than 33"), "%s", v->detail);
	vlist_free(&l);
	free(img);
}

/* A capacity below (ps-12)/30 is readable, as in the seed: the page has that many
 * slots. Entry 2 of the active page (pages 9/10) is then outside block 0: nothing
 * references its pages, which is a leak, not a structural violation. */
Test(check_dir, a_smaller_capacity_is_readable_and_has_only_its_slots)
{
	uint64_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	fmt_put32(img + P_DIR * P_PS, 2);
	fix_trailer(img, P_PS, P_DIR);
	expect_clean(img, len, "capacity 2");
	check_agrees_with_open(img, len, "capacity 2");
	/* Entry 1 (pages 7/8) is inside and still checked. */
	fmt_put64(img + entry_off(P_PS, P_DIR, 1, 9), 999);
	fix_trailer(img, P_PS, P_DIR);
	expect_only(img, len, "I-REF-RANGE", P_DIR, entry_off(P_PS, P_DIR, 1, 9));
	/* Capacity 1: entry 1 is outside too, its bad reference no longer read. */
	fmt_put32(img + P_DIR * P_PS, 1);
	fix_trailer(img, P_PS, P_DIR);
	expect_clean(img, len, "capacity 1");
	free(img);
}

Test(check_dir, copy_fires_when_the_active_page_is_beyond_the_file)
{
	uint64_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	memcpy(img + P_OLD_DIR * P_PS, img + P_DIR * P_PS, P_PS);
	fmt_put64(img + 24 + 8, 1000); /* block 0 page_b, the active one */
	fix_index(img, P_PS);
	vlist l;
	expect(img, len, 2, "I-DIR-COPY", 1000, 1000 * P_PS, &l);
	cr_assert(find(&l, "I-REF-RANGE", 0, 24 + 8), "%s", dump(&l));
	vlist_free(&l);
	/* A page number whose offset does not fit in 64 bits. */
	fmt_put64(img + 24 + 8, UINT64_MAX);
	fix_index(img, P_PS);
	expect(img, len, 2, "I-DIR-COPY", UINT64_MAX, UINT64_MAX, &l);
	vlist_free(&l);
	free(img);
}

/* ---- references ---- */

Test(check_ref, range_fires_on_an_entry_page_beyond_total)
{
	uint64_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	/* Entry 1's page_b is its inactive copy: only the reference is wrong. */
	fmt_put64(img + entry_off(P_PS, P_DIR, 1, 9), 999);
	fix_trailer(img, P_PS, P_DIR);
	expect_only(img, len, "I-REF-RANGE", P_DIR, entry_off(P_PS, P_DIR, 1, 9));
	fmt_put64(img + entry_off(P_PS, P_DIR, 1, 9), 16); /* == total_pages */
	fix_trailer(img, P_PS, P_DIR);
	expect_only(img, len, "I-REF-RANGE", P_DIR, entry_off(P_PS, P_DIR, 1, 9));
	free(img);
}

Test(check_ref, range_fires_on_a_reserved_directory_page)
{
	uint64_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	fmt_put64(img + 24, 2); /* block 0 page_a (the inactive copy) = metadata B */
	fix_index(img, P_PS);
	expect_only(img, len, "I-REF-RANGE", 0, 24);
	free(img);
}

Test(check_ref, alloc_fires_on_a_referenced_free_page)
{
	uint64_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	uint8_t *m = img + P_META * P_PS;
	cr_assert(m[24 + 1] & 0x01, "page 8 allocated in the golden image");
	m[24 + 1] &= (uint8_t)~0x01; /* page 8: entry 1's page_b */
	fmt_put64(m + 16, fmt_get64(m + 16) + 1);
	fix_trailer(img, P_PS, P_META);
	expect_only(img, len, "I-REF-ALLOC", P_DIR, entry_off(P_PS, P_DIR, 1, 9));
	free(img);
}

Test(check_ref, unique_fires_on_a_page_referenced_twice)
{
	uint64_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	fmt_put64(img + entry_off(P_PS, P_DIR, 1, 9), 6); /* entry 0's page_b */
	fix_trailer(img, P_PS, P_DIR);
	expect_only(img, len, "I-REF-UNIQUE", P_DIR, entry_off(P_PS, P_DIR, 1, 9));
	fmt_put64(img + entry_off(P_PS, P_DIR, 1, 9), 3); /* the block's own page_a */
	fix_trailer(img, P_PS, P_DIR);
	expect_only(img, len, "I-REF-UNIQUE", P_DIR, entry_off(P_PS, P_DIR, 1, 9));
	free(img);
}

Test(check_ref, unique_fires_on_two_blocks_sharing_pages)
{
	uint64_t len;
	uint8_t *img = golden("dir2-1k.img", &len);
	/* Block 1 points at block 0's pages: its two directory-page references repeat.
	 * Its entries are block 0's (same directory page) and are not reported again. */
	memcpy(img + 24 + 17, img + 24, 17);
	fix_index(img, KB);
	vlist l;
	expect(img, len, 2, "I-REF-UNIQUE", 0, 24 + 17, &l);
	cr_assert(find(&l, "I-REF-UNIQUE", 0, 24 + 17 + 8), "%s", dump(&l));
	vlist_free(&l);
	free(img);
}

/* A hostile image: 1 MiB pages, the largest index, every block naming the same
 * directory page, whose entries all share one backing page. Work and reports must
 * stay proportional to the file, not blocks x entries x page size. */
Test(check_ref, a_hostile_index_costs_one_pass, .timeout = 60)
{
	const unsigned log2 = 20;
	const size_t ps = (size_t)1 << log2;
	uint64_t len = 8 * (uint64_t)ps;
	uint8_t *img = calloc(len, 1);
	cr_assert(img);
	fmt_sb sb = {.page_size_log2 = log2, .active_meta = 0};
	fmt_sb_encode(img, &sb);
	uint8_t bits = 0xff; /* 8 pages, all allocated */
	fmt_meta m = {.total_pages = 8, .free_count = 0, .bitmap = &bits, .bitmap_cap = 1};
	fmt_put32(img + 16, fmt_meta_encode(img + 1 * ps, ps, &m));
	uint32_t nb = fmt_max_dir_blocks(ps);
	fmt_dir_ref *refs = calloc(nb, sizeof *refs);
	for (uint32_t b = 0; b < nb; b++)
		refs[b] = (fmt_dir_ref){.page_a = 3, .page_b = 4, .active = 0};
	fmt_index_encode(img, ps, refs, nb);
	uint32_t cap = fmt_dir_capacity(ps);
	fmt_entry *ents = calloc(cap, sizeof *ents);
	uint32_t crc5 = fmt_crc(0, img + 5 * ps, ps);
	for (uint32_t s = 0; s < cap; s++)
		ents[s] = (fmt_entry){.in_use = 1, .page_a = 5, .page_b = 6, .checksum = crc5};
	fmt_dir_encode(img + 3 * ps, ps, ents, cap);
	crc_spy spy = {0};
	pager_check_opts opts = {.page_crc = spy_crc, .crc_arg = &spy};
	size_t n = pager_check_image_ex(img, len, &opts, NULL, NULL);
	/* Blocks 1.. repeat both directory pages; entries 1.. repeat both backing pages. */
	cr_assert_eq(n, 2 * (size_t)(nb - 1) + 2 * (size_t)(cap - 1), "got %zu", n);
	cr_assert_eq(spy.calls, 1, "one CRC of the shared copy, not one per entry");
	free(ents);
	free(refs);
	free(img);
}

/* ---- protected pages ---- */

Test(check_prot, slot_fires_beyond_1)
{
	uint64_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	img[entry_off(P_PS, P_DIR, 1, 17)] = 2;
	fix_trailer(img, P_PS, P_DIR);
	expect_only(img, len, "I-PROT-SLOT", P_DIR, entry_off(P_PS, P_DIR, 1, 17));
	free(img);
}

Test(check_prot, crc_fires_on_a_damaged_active_copy_only)
{
	uint64_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	img[8 * P_PS + 3] ^= 1; /* entry 1's inactive copy: nobody reads it */
	expect_clean(img, len, "inactive copy damaged");
	img[7 * P_PS + 3] ^= 1; /* entry 1's active copy */
	vlist l;
	const pager_violation *v = expect(img, len, 1, "I-PROT-CRC", 7, 7 * P_PS, &l);
	cr_assert(strstr(v->detail, "protected id 1"), "%s", v->detail);
	vlist_free(&l);
	free(img);
}

/* ---- options, counting, files ---- */

Test(check_opts, page_crc_callback_replaces_the_crc)
{
	uint64_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	crc_spy spy = {0};
	pager_check_opts opts = {.page_crc = spy_crc, .crc_arg = &spy};
	cr_assert_eq(pager_check_image_ex(img, len, &opts, NULL, NULL), 0);
	cr_assert_eq(spy.calls, 3, "one CRC per in-use protected page");
	spy.lie = 1;
	cr_assert_eq(pager_check_image_ex(img, len, &opts, NULL, NULL), 3);
	free(img);
}

Test(check_opts, counts_without_a_callback)
{
	uint64_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	img[P_DIR * P_PS + 500] ^= 1;
	cr_assert_eq(pager_check_image(img, len, NULL, NULL), 3);
	cr_assert_eq(pager_check_image(NULL, 0, NULL, NULL), 1);
	free(img);
}

Test(check_file, checks_a_path_through_the_posix_layer)
{
	uint64_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	char path[1024];
	temp_path(path, sizeof path, "p.img");
	write_path(path, img, len);
	vlist l = {0};
	cr_assert_eq(pager_check(path, NULL, collect, &l), 0);
	img[3] = 'X';
	write_path(path, img, len);
	cr_assert_eq(pager_check(path, NULL, collect, &l), 1);
	cr_assert_str_eq(l.v[0].id, "I-SB-MAGIC");
	write_path(path, img, 0);
	cr_assert_eq(pager_check(path, NULL, collect, &l), 1, "an empty file is I-SB-SIZE");
	cr_assert_str_eq(l.v[1].id, "I-SB-SIZE");
	remove_temp(path);
	cr_assert_eq(pager_check(path, NULL, collect, &l), PAGER_EIO);
	cr_assert_eq(pager_last_errno(), ENOENT);
	cr_assert_eq(pager_check(NULL, NULL, NULL, NULL), PAGER_EINVAL);
	vlist_free(&l);
	free(img);
}

Test(check_file, uses_the_given_io_with_check_steps)
{
	uint64_t len;
	mem_disk d = {0};
	d.buf = golden("protected-1k.img", &len);
	d.len = len;
	pager_io io = mem_io(&d);
	cr_assert_eq(pager_check("mem", &io, NULL, NULL), 0);
	static const char *const steps[] = {"check/open", "check/size", "check/map", "check/unmap",
					    "check/close"};
	cr_assert_eq(d.nsteps, 5);
	for (int i = 0; i < 5; i++)
		cr_assert_str_eq(d.steps[i], steps[i]);
	free(d.buf);
}

/* ---- robustness: never crash, always agree with pager_open ---- */

Test(check_robust, every_truncation_of_a_small_image)
{
	uint64_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	for (uint64_t n = 0; n <= len; n++) {
		char what[64];
		snprintf(what, sizeof what, "truncated to %llu", (unsigned long long)n);
		size_t v = check_agrees_with_open(img, n, what);
		if (n < 4 * P_PS)
			cr_assert(v >= 1, "%s", what);
	}
	free(img);
}

Test(check_robust, every_byte_and_bit_flipped_in_a_4_page_1k_image)
{
	uint64_t len;
	uint8_t *img = golden("fresh-1k.img", &len);
	cr_assert_eq(len, 4 * KB);
	for (uint64_t i = 0; i < len; i++) {
		static const uint8_t masks[] = {0xff, 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80};
		for (size_t m = 0; m < sizeof masks / sizeof *masks; m++) {
			char what[64];
			snprintf(what, sizeof what, "byte %llu ^ 0x%02x", (unsigned long long)i, masks[m]);
			img[i] ^= masks[m];
			check_agrees_with_open(img, len, what);
			img[i] ^= masks[m];
		}
	}
	free(img);
}

Test(check_robust, every_byte_flipped_in_a_protected_image)
{
	uint64_t len;
	uint8_t *img = golden("protected-1k.img", &len);
	for (uint64_t i = 0; i < len; i++) {
		char what[64];
		snprintf(what, sizeof what, "byte %llu ^ 0xff", (unsigned long long)i);
		img[i] ^= 0xff;
		check_agrees_with_open(img, len, what);
		img[i] ^= 0xff;
	}
	free(img);
}

/* Flips alone die at the CRCs; repairing every CRC after each mutation reaches the
 * logic behind them (huge page numbers, counts, selectors, bitmaps). */
Test(check_robust, crc_repaired_mutations_of_every_structure)
{
	uint64_t len;
	uint8_t *orig = golden("dir2-1k.img", &len);
	uint8_t *img = malloc(len);
	uint64_t seed = 0x746f726e70616765ULL; /* "tornpage" */
	/* Structures of dir2-1k: page 0, metadata 1-2, directory pages 3, 4, 71, 72. */
	static const uint64_t pages[] = {0, 1, 2, 3, 4, 71, 72};
	for (int iter = 0; iter < 20000; iter++) {
		memcpy(img, orig, len);
		int muts = 1 + (int)(rnd(&seed) % 4);
		for (int k = 0; k < muts; k++) {
			uint64_t page = pages[rnd(&seed) % 7];
			uint64_t off = page * KB + rnd(&seed) % (KB - 8);
			switch (rnd(&seed) % 4) {
			case 0:
				img[off] = (uint8_t)rnd(&seed);
				break;
			case 1:
				fmt_put64(img + off, rnd(&seed));
				break;
			case 2:
				fmt_put64(img + off, rnd(&seed) % 200); /* plausible page numbers */
				break;
			default:
				img[off] ^= (uint8_t)(1u << (rnd(&seed) % 8));
				break;
			}
		}
		if (rnd(&seed) % 8) {
			for (uint64_t p = 1; p < 7; p++)
				fix_trailer(img, KB, pages[p]);
			fix_index(img, KB);
			uint64_t sel = 1 + (img[12] & 1);
			fmt_put32(img + 16, fmt_crc(0, img + sel * KB, KB));
		}
		char what[64];
		snprintf(what, sizeof what, "mutation %d", iter);
		check_agrees_with_open(img, len, what);
	}
	/* The mutations got past the CRCs to the checks behind them. */
	static const char *const deep[] = {"I-META-FIT", "I-META-TOTAL", "I-META-RESERVED",
					   "I-META-FREECOUNT", "I-META-TAIL", "I-DIR-INDEX",
					   "I-DIR-COPY", "I-REF-RANGE", "I-REF-ALLOC",
					   "I-REF-UNIQUE", "I-PROT-SLOT", "I-PROT-CRC"};
	for (size_t i = 0; i < sizeof deep / sizeof *deep; i++)
		cr_assert(was_reached(deep[i]), "no mutation reached %s", deep[i]);
	free(img);
	free(orig);
}
