/* test_judge.c — the verdicts (judge.h, docs/invariants.md) on hand-built images.
 * A clean image is what the cache holds after replaying a log with the model check;
 * each test damages or mixes such images and checks the verdict ids and that the
 * expected/found strings name the right handle and page. Also: judge_image_ids (the
 * memoised judge) gives exactly judge_image's verdicts. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "judge/judge.h"
#include "tornpage/model.h"
#include "tornpage/oplog.h"
#include "pager.h"
#include "tornpage/replay.h"
#include "tornpage/simdisk.h"
#include "tornpage/subsets.h"
#include "tornpage/verdicts.h"

/* ---- fixtures ---- */

/* A log replayed with the model check, with the image and the model after each op. */
typedef struct run {
	oplog log;
	size_t n;          /* ops */
	model *m;          /* m[k]: the model after op k; m[n]: before op 0 (empty) */
	uint8_t **img;     /* img[k]: the cache after op k */
	uint64_t *len;     /* its length */
} run;

static void run_log(run *r, const char *text)
{
	memset(r, 0, sizeof *r);
	cr_assert_eq(oplog_parse("t.log", text, strlen(text), &r->log, NULL, NULL), 0, "bad test log");
	r->n = r->log.nops;
	r->m = calloc(r->n + 1, sizeof *r->m);
	r->img = calloc(r->n, sizeof *r->img);
	r->len = calloc(r->n, sizeof *r->len);
	cr_assert(r->m && r->img && r->len);
	simdisk *d = simdisk_new(512);
	replay rp;
	model cur;
	char msg[600];
	cr_assert_eq(replay_init(&rp, &r->log, simdisk_io(d), "t.db"), 0);
	cr_assert_eq(model_init(&cur, &r->log), 0);
	cr_assert_eq(model_init(&r->m[r->n], &r->log), 0);
	for (size_t k = 0; k < r->n; k++) {
		cr_assert_eq(replay_step(&rp, &cur, k, NULL, msg, sizeof msg), 0, "%s", msg);
		cr_assert_eq(model_init(&r->m[k], &r->log), 0);
		cr_assert_eq(model_copy(&r->m[k], &cur), 0);
		r->len[k] = simdisk_len(d);
		r->img[k] = malloc((size_t)r->len[k]);
		cr_assert_not_null(r->img[k]);
		memcpy(r->img[k], simdisk_cache(d), (size_t)r->len[k]);
	}
	model_free(&cur);
	replay_free(&rp);
	simdisk_free(d);
}

static void run_free(run *r)
{
	for (size_t k = 0; k <= r->n; k++)
		model_free(&r->m[k]);
	for (size_t k = 0; k < r->n; k++)
		free(r->img[k]);
	free(r->m);
	free(r->img);
	free(r->len);
	oplog_free(&r->log);
}

/* The model before op k. */
static const model *before(const run *r, size_t k)
{
	return k ? &r->m[k - 1] : &r->m[r->n];
}

/* What the judge emitted. */
#define MAXV 32
typedef struct verdicts {
	size_t n;
	char id[MAXV][32];
	char expected[MAXV][600];
	char found[MAXV][400];
} verdicts;

static void collect(void *arg, const char *verdict, const char *expected, const char *found)
{
	verdicts *v = arg;
	cr_assert_lt(v->n, MAXV, "too many verdicts");
	snprintf(v->id[v->n], sizeof v->id[0], "%s", verdict);
	snprintf(v->expected[v->n], sizeof v->expected[0], "%s", expected);
	snprintf(v->found[v->n], sizeof v->found[0], "%s", found);
	v->n++;
}

/* Judge a copy of img (len bytes) as crash_run would at op `op` (JUDGE_NO_OP: at an op's
 * end) with models b and a, both with judge_image and with judge_image_ids, which must
 * agree exactly. */
static void judge_it(const oplog *log, const model *b, const model *a, size_t op, const uint8_t *img,
		     uint64_t len, verdicts *out)
{
	judge j;
	cr_assert_eq(judge_init(&j, log), 0);
	uint8_t *copy = malloc((size_t)len);
	cr_assert_not_null(copy);
	memcpy(copy, img, (size_t)len);
	judge_case c = {b, a, op};
	memset(out, 0, sizeof *out);
	int n = judge_image(&j, &c, copy, len, collect, out);
	cr_assert_eq(n, (int)out->n);
	cr_assert_eq(memcmp(copy, img, (size_t)len), 0, "the judge changed the image");

	/* The memoised judge, twice (the second answer comes from its memo). */
	size_t ps = (size_t)1 << log->page_log2, np = (size_t)((len + ps - 1) / ps);
	uint64_t *ids = calloc(np ? np : 1, sizeof *ids);
	cr_assert_not_null(ids);
	for (size_t p = 0; p < np; p++) {
		uint64_t rest = len - (uint64_t)p * ps;
		ids[p] = subsets_unit_hash(p, img + p * ps, rest < ps ? (size_t)rest : ps);
	}
	uint64_t key = judge_case_key(&j, &c);
	for (int round = 0; round < 2; round++) {
		verdicts again;
		memset(&again, 0, sizeof again);
		cr_assert_eq(judge_image_ids(&j, &c, key, copy, len, ids, collect, &again), n);
		cr_assert_eq(again.n, out->n);
		for (size_t i = 0; i < out->n; i++) {
			cr_assert_str_eq(again.id[i], out->id[i]);
			cr_assert_str_eq(again.expected[i], out->expected[i]);
			cr_assert_str_eq(again.found[i], out->found[i]);
		}
	}
	/* Images without a usable superblock are always judged in full (not memoised). */
	fmt_sb sb;
	int memoisable = len >= 4 * (uint64_t)ps && len % ps == 0 && fmt_sb_decode(img, &sb) == FMT_SB_OK &&
			 sb.page_size_log2 == log->page_log2;
	cr_assert_eq(j.memo_hits, memoisable ? 1u : 0u, "the same image under the same case comes from the memo");
	free(ids);
	free(copy);
	judge_free(&j);
}

static const char *dump(const verdicts *v)
{
	static char buf[8192];
	size_t o = 0;
	buf[0] = 0;
	for (size_t i = 0; i < v->n && o < sizeof buf; i++)
		o += (size_t)snprintf(buf + o, sizeof buf - o, "[%s | %s | %s] ", v->id[i], v->expected[i], v->found[i]);
	return buf;
}

static int has(const verdicts *v, const char *id)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->id[i], id))
			return (int)i;
	return -1;
}

static void assert_ids(const verdicts *v, const char *const *ids, size_t n)
{
	cr_assert_eq(v->n, n, "%zu verdicts, want %zu: %s", v->n, n, dump(v));
	for (size_t i = 0; i < n; i++)
		cr_assert_str_eq(v->id[i], ids[i], "verdict %zu: %s", i, dump(v));
}

/* Rewrite the active metadata copy of img with a changed bitmap and fix both CRCs (its
 * trailer and the superblock's), so that only the change itself can be judged. */
static void meta_set_bit(uint8_t *img, size_t ps, uint64_t page, int allocated)
{
	fmt_sb sb;
	cr_assert_eq(fmt_sb_decode(img, &sb), FMT_SB_OK);
	uint8_t *mp = img + (FMT_META_A + sb.active_meta) * ps;
	fmt_meta m = {0};
	cr_assert_eq(fmt_meta_decode(mp, ps, &m), 0);
	int was = fmt_bit(&m, page);
	if (allocated && !was) {
		m.bitmap[page / 8] |= (uint8_t)(1u << (page % 8));
		m.free_count--;
	} else if (!allocated && was) {
		m.bitmap[page / 8] &= (uint8_t) ~(1u << (page % 8));
		m.free_count++;
	}
	sb.meta_checksum = fmt_meta_encode(mp, ps, &m);
	fmt_sb_encode(img, &sb);
	fmt_meta_free(&m);
}

/* ---- (a) a corrupt directory index: the image does not open ---- */

Test(judge_verdicts, corrupt_index_crc_is_i_open_and_i_dir_index)
{
	run r;
	run_log(&r, "create 10\npalloc p\npwrite p 9\n");
	uint8_t *img = r.img[2];
	img[1024 - 4] ^= 0x5a; /* page 0's trailer: the index CRC */
	verdicts v;
	judge_it(&r.log, &r.m[2], &r.m[2], JUDGE_NO_OP, img, r.len[2], &v);
	const char *want[] = {"I-DIR-INDEX", "I-OPEN"};
	assert_ids(&v, want, 2);
	cr_assert_str_eq(v.expected[0], "page 0, byte 1020");
	cr_assert(strstr(v.found[0], "directory index (1 blocks): expected CRC"), "%s", v.found[0]);
	cr_assert_str_eq(v.expected[1], "the image opens");
	cr_assert_str_eq(v.found[1], pager_strerror(PAGER_ECORRUPT_DIR_INDEX));
	run_free(&r);
}

Test(judge_verdicts, a_clean_image_has_no_violation)
{
	run r;
	run_log(&r, "create 10\nalloc a\nfill a 3\npalloc p\npwrite p 9\nalloc b\nfree a\npstage p 4\n");
	for (size_t k = 0; k < r.n; k++) {
		verdicts v;
		judge_it(&r.log, &r.m[k], &r.m[k], JUDGE_NO_OP, r.img[k], r.len[k], &v);
		cr_assert_eq(v.n, 0, "after op %zu: %s", k, dump(&v));
	}
	run_free(&r);
}

/* ---- (b) before or after: atomicity accepts both ---- */

Test(judge_verdicts, the_state_before_the_op_in_flight_is_no_violation)
{
	run r;
	run_log(&r, "create 10\nalloc a\npalloc p\npwrite p 9\nfree a\npfree p\n");
	for (size_t k = 1; k < r.n; k++) {
		verdicts v;
		/* Crash while op k runs: the image is still the state before it... */
		judge_it(&r.log, before(&r, k), &r.m[k], k, r.img[k - 1], r.len[k - 1], &v);
		cr_assert_eq(v.n, 0, "before op %zu: %s", k, dump(&v));
		/* ...or already the state after it. */
		judge_it(&r.log, before(&r, k), &r.m[k], k, r.img[k], r.len[k], &v);
		cr_assert_eq(v.n, 0, "after op %zu: %s", k, dump(&v));
	}
	/* Control: once op 1 (alloc a) is acknowledged, the state before it is not enough. */
	verdicts v;
	judge_it(&r.log, &r.m[1], &r.m[1], JUDGE_NO_OP, r.img[0], r.len[0], &v);
	cr_assert_geq(has(&v, "I-DURABLE"), 0, "%s", dump(&v));
	run_free(&r);
}

/* ---- (c) an acknowledged pwrite whose content is old: I-DURABLE naming the op ---- */

Test(judge_verdicts, old_content_after_an_acknowledged_pwrite_is_i_durable)
{
	run r;
	run_log(&r, "create 10\npalloc p\npwrite p 9\n");
	/* The image before the pwrite, judged once it is acknowledged. Page counts agree
	 * (8 pages in both), so the content is the only difference. */
	verdicts v;
	cr_assert_eq(r.m[1].page_count, r.m[2].page_count);
	judge_it(&r.log, &r.m[2], &r.m[2], JUDGE_NO_OP, r.img[1], r.len[1], &v);
	const char *want[] = {"I-DURABLE"};
	assert_ids(&v, want, 1);
	char exp[300];
	snprintf(exp, sizeof exp, "p (protected id 0) in use, crc %08x, as op 2 (line 3: pwrite p 9) acknowledged",
		 r.m[2].h[0].crc);
	cr_assert_str_eq(v.expected[0], exp);
	char got[64];
	snprintf(got, sizeof got, "id 0 in use, crc %08x", r.m[1].h[0].crc);
	cr_assert_str_eq(v.found[0], got);
	run_free(&r);
}

Test(judge_verdicts, a_lost_alloc_names_the_alloc)
{
	run r;
	run_log(&r, "create 10\nalloc a\nalloc b\nfill b 1\n");
	uint8_t *img = r.img[3];
	meta_set_bit(img, 1024, 4, 0); /* b's page 4 is free again */
	verdicts v;
	judge_it(&r.log, &r.m[3], &r.m[3], JUDGE_NO_OP, img, r.len[3], &v);
	const char *want[] = {"I-DURABLE"};
	assert_ids(&v, want, 1);
	cr_assert_str_eq(v.expected[0], "b (page 4) allocated, as op 2 (line 3: alloc b) acknowledged");
	cr_assert_str_eq(v.found[0], "page 4 not allocated");
	run_free(&r);
}

/* ---- (d) content that is neither before nor after: I-ATOMIC ---- */

Test(judge_verdicts, protected_content_neither_before_nor_after_is_i_atomic)
{
	run r, other;
	run_log(&r, "create 10\npalloc p\npwrite p 9\npwrite p 11\n");
	/* The same file shape with a third content: pwrite p 13 instead of 11. */
	run_log(&other, "create 10\npalloc p\npwrite p 9\npwrite p 13\n");
	cr_assert_eq(other.len[3], r.len[3]);
	verdicts v;
	judge_it(&r.log, &r.m[2], &r.m[3], 3, other.img[3], other.len[3], &v);
	const char *want[] = {"I-ATOMIC"};
	assert_ids(&v, want, 1);
	char exp[300], got[64];
	snprintf(exp, sizeof exp, "before: p (protected id 0) in use, crc %08x; or after: p (protected id 0) in use, crc %08x",
		 r.m[2].h[0].crc, r.m[3].h[0].crc);
	cr_assert_str_eq(v.expected[0], exp);
	snprintf(got, sizeof got, "id 0 in use, crc %08x", other.m[3].h[0].crc);
	cr_assert_str_eq(v.found[0], got);
	run_free(&other);
	run_free(&r);
}

Test(judge_verdicts, an_unknown_protected_id_in_use_is_i_atomic)
{
	run r, other;
	run_log(&r, "create 10\npalloc p\nalloc a\n");
	run_log(&other, "create 10\npalloc p\npalloc q\n");
	/* Judged as r after its alloc: protected id 1 is in use, no handle has it, and the
	 * page count (16, not 8) is not r's either. */
	verdicts v;
	judge_it(&r.log, &r.m[2], &r.m[2], JUDGE_NO_OP, other.img[2], other.len[2], &v);
	int i = has(&v, "I-ATOMIC");
	cr_assert_geq(i, 0, "%s", dump(&v));
	cr_assert_str_eq(v.expected[i], "no protected page with that id");
	cr_assert_str_eq(v.found[i], "protected id 1 in use");
	run_free(&other);
	run_free(&r);
}

Test(judge_verdicts, a_page_count_from_neither_side_names_both)
{
	run r;
	run_log(&r, "create 10\nalloc a\nalloc b\nalloc c\nalloc d\nalloc e\nalloc f\n");
	/* Crash during alloc b (4 -> 8 pages) showing 16 pages (after alloc f). */
	verdicts v;
	judge_it(&r.log, &r.m[1], &r.m[2], 2, r.img[6], r.len[6], &v);
	int i = has(&v, "I-ATOMIC");
	cr_assert_geq(i, 0, "%s", dump(&v));
	cr_assert_str_eq(v.expected[has(&v, "I-ATOMIC")], "page_count 4 (before) or 8 (after)", "%s", dump(&v));
	run_free(&r);
}

/* ---- (e) allocated but unreachable: I-LEAK ---- */

Test(judge_verdicts, an_allocated_unreferenced_page_is_i_leak)
{
	run r;
	run_log(&r, "create 10\nalloc a\nalloc b\n");
	uint8_t *img = r.img[2];
	meta_set_bit(img, 1024, 6, 1); /* page 6: allocated, no handle, no directory */
	verdicts v;
	judge_it(&r.log, &r.m[2], &r.m[2], JUDGE_NO_OP, img, r.len[2], &v);
	const char *want[] = {"I-LEAK"};
	assert_ids(&v, want, 1);
	cr_assert_str_eq(v.expected[0], "every allocated page reachable");
	cr_assert_str_eq(v.found[0], "1 page(s) allocated but unreachable, first: page 6");
	run_free(&r);
}

Test(judge_verdicts, a_page_an_acknowledged_free_released_is_i_durable_not_i_leak)
{
	run r;
	run_log(&r, "create 10\nalloc a\nalloc b\nfree a\n");
	/* The image before the free, judged after it: a's page 3 still allocated. */
	verdicts v;
	judge_it(&r.log, &r.m[3], &r.m[3], JUDGE_NO_OP, r.img[2], r.len[2], &v);
	const char *want[] = {"I-DURABLE"};
	assert_ids(&v, want, 1);
	cr_assert_str_eq(v.expected[0], "a (page 3) freed, as op 3 (line 4: free a) acknowledged");
	cr_assert_str_eq(v.found[0], "page 3 allocated");
	run_free(&r);
}

/* An image with the metadata after op k and the directory (index and directory pages)
 * before it: a crash between a palloc's metadata commit and its directory commit. */
static uint8_t *meta_after_dir_before(const run *r, size_t k)
{
	uint8_t *img = malloc((size_t)r->len[k]);
	cr_assert_not_null(img);
	memcpy(img, r->img[k], (size_t)r->len[k]);
	fmt_dir_ref refs[8];
	uint32_t nb;
	cr_assert_eq(fmt_index_decode(r->img[k - 1], 1024, refs, &nb), FMT_INDEX_OK);
	for (uint32_t b = 0; b < nb; b++) {
		memcpy(img + refs[b].page_a * 1024, r->img[k - 1] + refs[b].page_a * 1024, 1024);
		memcpy(img + refs[b].page_b * 1024, r->img[k - 1] + refs[b].page_b * 1024, 1024);
	}
	/* Page 0: superblock from after (selecting the new metadata), index from before. */
	memcpy(img + FMT_DIR_INDEX_OFF, r->img[k - 1] + FMT_DIR_INDEX_OFF, 1024 - FMT_DIR_INDEX_OFF);
	return img;
}

Test(judge_verdicts, the_seeds_palloc_leak_between_its_commits_is_i_leak)
{
	run r;
	/* After p, a, b, free a, free b: 16 pages, 7 and 8 free, so q takes 7 and 8
	 * without growing the file. */
	run_log(&r, "create 10\npalloc p\nalloc a\nalloc b\nfree a\nfree b\npalloc q\n");
	cr_assert_eq(r.m[5].page_count, r.m[6].page_count);
	uint8_t *img = meta_after_dir_before(&r, 6);
	verdicts v;
	judge_it(&r.log, &r.m[5], &r.m[6], 6, img, r.len[6], &v);
	const char *want[] = {"I-LEAK"};
	assert_ids(&v, want, 1);
	cr_assert_str_eq(v.found[0], "2 page(s) allocated but unreachable, first: page 7");
	/* Once q is acknowledged, the same image has lost it. */
	judge_it(&r.log, &r.m[6], &r.m[6], JUDGE_NO_OP, img, r.len[6], &v);
	int i = has(&v, "I-DURABLE");
	cr_assert_geq(i, 0, "%s", dump(&v));
	cr_assert(strstr(v.expected[i], "q (protected id 1) in use"), "%s", v.expected[i]);
	cr_assert(strstr(v.expected[i], "(line 7: palloc q) acknowledged"), "%s", v.expected[i]);
	free(img);
	run_free(&r);
}

/* The same crash when q's metadata commit also grew the file (8 -> 16 pages): the file's
 * growth is visible without q, which the judge calls I-ATOMIC on page_count, besides the
 * leak. (The seed's protocol: growth commits with the metadata, before the directory.) */
Test(judge_verdicts, a_palloc_that_grew_the_file_and_lost_its_directory_commit_is_i_atomic)
{
	run r;
	run_log(&r, "create 10\npalloc p\npalloc q\n");
	cr_assert_eq(r.m[1].page_count, 8);
	cr_assert_eq(r.m[2].page_count, 16);
	uint8_t *img = meta_after_dir_before(&r, 2);
	verdicts v;
	judge_it(&r.log, &r.m[1], &r.m[2], 2, img, r.len[2], &v);
	const char *want[] = {"I-ATOMIC", "I-LEAK"};
	assert_ids(&v, want, 2);
	cr_assert_str_eq(v.expected[0], "page_count 8 with the op's before state");
	cr_assert_str_eq(v.found[0], "page_count 16");
	cr_assert_str_eq(v.found[1], "2 page(s) allocated but unreachable, first: page 7");
	free(img);
	run_free(&r);
}

/* ---- (f) the create in flight ---- */

Test(judge_verdicts, while_create_runs_an_all_zero_image_is_no_violation)
{
	run r;
	run_log(&r, "create 10\nalloc a\n");
	uint8_t zeros[4096] = {0};
	verdicts v;
	judge_it(&r.log, before(&r, 0), &r.m[0], 0, zeros, sizeof zeros, &v);
	cr_assert_eq(v.n, 0, "%s", dump(&v));
	/* Control: the same image once the create is acknowledged does not open. */
	judge_it(&r.log, &r.m[0], &r.m[0], JUDGE_NO_OP, zeros, sizeof zeros, &v);
	const char *want[] = {"I-SB-MAGIC", "I-OPEN"};
	assert_ids(&v, want, 2);
	cr_assert_str_eq(v.expected[0], "page 0, byte 0");
	cr_assert_str_eq(v.found[1], pager_strerror(PAGER_ECORRUPT_SUPERBLOCK));
	run_free(&r);
}

Test(judge_verdicts, while_create_runs_a_half_written_image_that_opens_is_judged)
{
	run r;
	run_log(&r, "create 10\n");
	/* Superblock and metadata A written, metadata B not: it opens (the superblock
	 * selects A), and equals the state after the create. */
	uint8_t img[4096];
	memcpy(img, r.img[0], sizeof img);
	memset(img + 2 * 1024, 0, 1024);
	verdicts v;
	judge_it(&r.log, before(&r, 0), &r.m[0], 0, img, sizeof img, &v);
	cr_assert_eq(v.n, 0, "%s", dump(&v));
	run_free(&r);
}

/* ---- structural verdicts pass through with their page and byte ---- */

Test(judge_verdicts, a_torn_protected_copy_is_i_prot_crc_at_its_page)
{
	run r;
	run_log(&r, "create 10\npalloc p\npwrite p 9\n");
	/* The readable copy after one pwrite is page_b (slot 1). */
	uint64_t copy = r.m[2].h[0].copy[1];
	uint8_t *img = r.img[2];
	img[copy * 1024 + 600] ^= 0xff;
	verdicts v;
	judge_it(&r.log, &r.m[2], &r.m[2], JUDGE_NO_OP, img, r.len[2], &v);
	int i = has(&v, "I-PROT-CRC");
	cr_assert_geq(i, 0, "%s", dump(&v));
	char where[64];
	snprintf(where, sizeof where, "page %" PRIu64 ", byte %" PRIu64, copy, copy * 1024);
	cr_assert_str_eq(v.expected[i], where);
	cr_assert(strstr(v.found[i], "protected id 0 (page_b)"), "%s", v.found[i]);
	/* The model sees the damaged content too. */
	cr_assert_geq(has(&v, "I-DURABLE"), 0, "%s", dump(&v));
	run_free(&r);
}

/* docs/invariants.md has a table row for every verdict the harness can give (its own and
 * the pager's structural ones), so a new id cannot land undocumented. */
Test(verdict_table, documents_every_id)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/docs/invariants.md", TORNPAGE_SOURCE_DIR);
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	static char text[1 << 17];
	size_t len = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	cr_assert_lt(len, sizeof text - 1, "docs/invariants.md grew past the test's buffer");
	text[len] = '\0';
	size_t n;
	const verdict_info *all = verdict_all(&n);
	cr_assert_gt(n, 20);
	for (size_t i = 0; i < n; i++) {
		char row[64];
		snprintf(row, sizeof row, "| %s |", all[i].id);
		cr_assert(strstr(text, row), "docs/invariants.md has no row for %s", all[i].id);
	}
}

/* The memo follows pager_open's metadata rule exactly: a selected copy whose CRCs match
 * but whose bitmap does not fit its page is not used, so the other copy is read — and
 * two images that differ only there must not share a memo entry. */
Test(judge_memo, a_selected_copy_that_does_not_fit_reads_the_other_copy)
{
	run r;
	run_log(&r, "create 10\nalloc a\nalloc b\n");
	size_t ps = 1024, k = 2;
	uint64_t len = r.len[k];
	uint8_t *x = malloc((size_t)len), *y = malloc((size_t)len);
	cr_assert(x && y);
	memcpy(x, r.img[k], (size_t)len);
	fmt_sb sb;
	cr_assert_eq(fmt_sb_decode(x, &sb), FMT_SB_OK);
	/* The selected copy: total_pages too big for its bitmap, both CRCs repaired. */
	uint8_t *sel = x + (FMT_META_A + sb.active_meta) * ps;
	fmt_put64(sel, (uint64_t)(ps - 28) * 8 + 1);
	fmt_put32(sel + ps - 4, fmt_crc(0, sel, ps - 4));
	sb.meta_checksum = fmt_crc(0, sel, ps);
	fmt_sb_encode(x, &sb);
	cr_assert(!fmt_meta_fits(sel, ps));
	/* y: the same, with the other copy unreadable too. */
	memcpy(y, x, (size_t)len);
	y[(FMT_META_A + FMT_META_B - (FMT_META_A + sb.active_meta)) * ps + 100] ^= 0x40;

	size_t np = (size_t)(len / ps);
	uint64_t *ix = calloc(np, sizeof *ix), *iy = calloc(np, sizeof *iy);
	cr_assert(ix && iy);
	for (size_t p = 0; p < np; p++) {
		ix[p] = subsets_unit_hash(p, x + p * ps, ps);
		iy[p] = subsets_unit_hash(p, y + p * ps, ps);
	}
	judge full, memo;
	cr_assert_eq(judge_init(&full, &r.log), 0);
	cr_assert_eq(judge_init(&memo, &r.log), 0);
	judge_case c = {&r.m[k], &r.m[k], JUDGE_NO_OP};
	uint64_t key = judge_case_key(&memo, &c);
	uint8_t *imgs[2] = {x, y};
	uint64_t *ids[2] = {ix, iy};
	for (int i = 0; i < 2; i++) {
		verdicts a, b;
		memset(&a, 0, sizeof a);
		memset(&b, 0, sizeof b);
		judge_image(&full, &c, imgs[i], len, collect, &a);
		judge_image_ids(&memo, &c, key, imgs[i], len, ids[i], collect, &b);
		cr_assert_eq(a.n, b.n, "image %d: full %s", i, dump(&a));
		for (size_t q = 0; q < a.n; q++)
			cr_assert_str_eq(a.id[q], b.id[q]);
		/* x opens on the other copy; y does not open at all. */
		cr_assert_eq(has(&a, "I-OPEN") >= 0, i == 1, "image %d: %s", i, dump(&a));
		cr_assert_geq(has(&a, "I-META-FIT"), 0, "image %d: %s", i, dump(&a));
	}
	judge_free(&full);
	judge_free(&memo);
	free(ix);
	free(iy);
	free(x);
	free(y);
	run_free(&r);
}

/* A free lost while another op is in flight is still an I-DURABLE: an alloc takes only
 * the page the "after" model names, so another released page seen allocated is not its
 * doing (it used to be excused for any alloc or palloc in flight, and only counted as a
 * non-fatal I-LEAK). */
Test(judge_verdicts, a_lost_free_during_an_alloc_is_i_durable)
{
	run r;
	run_log(&r, "create 10\nalloc a\nalloc b\nalloc x\nfree a\nfree x\nalloc c\n");
	size_t k = 6; /* alloc c, which takes a's page 3 */
	cr_assert_eq(r.m[k].h[3].where, 3, "c takes page 3");
	cr_assert_eq(r.m[k].h[2].where, 5, "x was page 5");
	uint8_t *img = malloc((size_t)r.len[k]);
	cr_assert_not_null(img);
	memcpy(img, r.img[k], (size_t)r.len[k]);
	meta_set_bit(img, 1024, 5, 1); /* x's free did not survive */
	verdicts v;
	judge_it(&r.log, before(&r, k), &r.m[k], k, img, r.len[k], &v);
	int d = has(&v, "I-DURABLE");
	cr_assert_geq(d, 0, "%s", dump(&v));
	cr_assert(strstr(v.expected[d], "x (page 5) freed"), "%s", v.expected[d]);
	cr_assert_lt(has(&v, "I-LEAK"), 0, "the lost free is reported once, as I-DURABLE: %s", dump(&v));
	free(img);
	run_free(&r);
}

/* A palloc that adds a directory block allocates its two directory pages in its
 * metadata commit and names them in its directory commit: between the two, released
 * pages it reused for them are allocated and unnamed. That is the I-LEAK of C2, not a
 * lost free. */
Test(judge_verdicts, a_new_blocks_directory_pages_between_the_commits_are_i_leak)
{
	run r;
	run_log(&r, "create 10\nalloc a\nalloc b\nalloc x\nalloc y\nfree a\nfree x\nfree y\npalloc p\n");
	size_t k = 8;
	/* Disk as after palloc's metadata commit, before its directory commit: the bitmap of
	 * the after state with the directory index and pages of the before state. */
	uint8_t *img = meta_after_dir_before(&r, k);
	verdicts v;
	judge_it(&r.log, before(&r, k), &r.m[k], k, img, r.len[k], &v);
	cr_assert_lt(has(&v, "I-DURABLE"), 0, "%s", dump(&v));
	cr_assert_geq(has(&v, "I-LEAK"), 0, "%s", dump(&v));
	free(img);
	run_free(&r);
}
