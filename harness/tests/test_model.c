/* test_model.c — the reference model (model.h): its counts follow the format's rules,
 * it rejects wrong answers from the pager, and model_diff names the first difference
 * between a live pager and the model precisely. Logs are parsed from strings, replayed
 * with replay_step on a simdisk, then the pager is tampered with behind the model's back
 * through its own API. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "tornpage/model.h"
#include "tornpage/oplog.h"
#include "pager.h"
#include "tornpage/replay.h"
#include "tornpage/simdisk.h"

typedef struct rig {
	oplog log;
	simdisk *d;
	replay r;
	model m;
	char msg[600];
} rig;

static void rig_parse(rig *g, const char *text)
{
	memset(g, 0, sizeof *g);
	cr_assert_eq(oplog_parse("t.log", text, strlen(text), &g->log, NULL, NULL), 0, "bad test log");
	g->d = simdisk_new(512);
	cr_assert_not_null(g->d);
	cr_assert_eq(replay_init(&g->r, &g->log, simdisk_io(g->d), "t.db"), 0);
	cr_assert_eq(model_init(&g->m, &g->log), 0);
}

/* Replay ops [from, to) with the model check; every step must agree. */
static void rig_steps(rig *g, size_t from, size_t to)
{
	for (size_t k = from; k < to; k++)
		cr_assert_eq(replay_step(&g->r, &g->m, k, NULL, g->msg, sizeof g->msg), 0, "op %zu: %s", k, g->msg);
}

static void rig_run(rig *g, const char *text)
{
	rig_parse(g, text);
	rig_steps(g, 0, g->log.nops);
	cr_assert_eq(model_diff(&g->m, &g->log, g->r.p, g->msg, sizeof g->msg), 0, "%s", g->msg);
}

static void rig_free(rig *g)
{
	replay_free(&g->r);
	model_free(&g->m);
	simdisk_free(g->d);
	oplog_free(&g->log);
}

static int handle(const rig *g, const char *name)
{
	for (size_t i = 0; i < g->log.nhandles; i++)
		if (!strcmp(g->log.handles[i], name))
			return (int)i;
	cr_assert_fail("no handle %s", name);
	return -1;
}

static void assert_diff(rig *g, const char *want)
{
	cr_assert_eq(model_diff(&g->m, &g->log, g->r.p, g->msg, sizeof g->msg), 1, "no difference found (want \"%s\")", want);
	cr_assert_str_eq(g->msg, want);
}

static uint32_t pattern_crc(uint64_t seed, size_t ps)
{
	uint8_t buf[1024];
	cr_assert_leq(ps, sizeof buf);
	oplog_pattern(seed, buf, ps);
	return fmt_crc(0, buf, ps);
}

/* ---- model_diff: tampering behind the model's back ---- */

Test(model_diff, a_page_freed_behind_the_models_back_shows_in_free_count)
{
	rig g;
	/* 4 pages, 3 reserved: a takes page 3 (free 0); b doubles the file (8 pages, free 3). */
	rig_run(&g, "create 10\nalloc a\nalloc b\n");
	cr_assert_eq(g.m.page_count, 8);
	cr_assert_eq(model_free_count(&g.m), 3);
	cr_assert_eq(pager_free(g.r.p, g.m.h[handle(&g, "a")].where), 0);
	assert_diff(&g, "free_page_count: expected 3, found 4");
	rig_free(&g);
}

Test(model_diff, a_page_moved_behind_the_models_back_is_an_unknown_regular_page)
{
	rig g;
	rig_run(&g, "create 10\nalloc a\nalloc b\n");
	uint64_t extra, b = g.m.h[handle(&g, "b")].where;
	/* Same counts as the model, other pages: b's page released, page 5 taken. */
	cr_assert_eq(pager_alloc(g.r.p, &extra), 0);
	cr_assert_eq(extra, 5);
	cr_assert_eq(pager_free(g.r.p, b), 0);
	assert_diff(&g, "page 5 is allocated as a regular page, but no live handle has it");
	rig_free(&g);
}

Test(model_diff, different_bytes_in_a_filled_page_name_the_handle_page_and_fill)
{
	rig g;
	rig_run(&g, "create 10\nalloc a\nfill a 7\n");
	uint8_t *data;
	cr_assert_eq(pager_page(g.r.p, g.m.h[handle(&g, "a")].where, &data), 0);
	data[100] ^= 0x01;
	assert_diff(&g, "a (page 3): bytes differ from fill 7");
	rig_free(&g);
}

Test(model_diff, an_unfilled_page_may_hold_anything)
{
	rig g;
	rig_run(&g, "create 10\nalloc a\n");
	uint8_t *data;
	cr_assert_eq(pager_page(g.r.p, 3, &data), 0);
	memset(data, 0xa5, 1024);
	cr_assert_eq(model_diff(&g.m, &g.log, g.r.p, g.msg, sizeof g.msg), 0, "%s", g.msg);
	rig_free(&g);
}

Test(model_diff, a_different_protected_commit_shows_both_crcs)
{
	rig g;
	rig_run(&g, "create 10\npalloc p\npwrite p 9\n");
	pager_pwrite w;
	cr_assert_eq(pager_protected_begin(g.r.p, 0, &w), 0);
	oplog_pattern(10, w.data, 1024);
	cr_assert_eq(pager_protected_commit(g.r.p, &w), 0);
	char want[160];
	snprintf(want, sizeof want, "p (protected id 0): content CRC %08x, expected %08x", pattern_crc(10, 1024),
		 pattern_crc(9, 1024));
	assert_diff(&g, want);
	rig_free(&g);
}

Test(model_diff, an_abandoned_stage_behind_the_models_back_changes_nothing)
{
	rig g;
	rig_run(&g, "create 10\npalloc p\npwrite p 9\n");
	pager_pwrite w;
	cr_assert_eq(pager_protected_begin(g.r.p, 0, &w), 0);
	oplog_pattern(10, w.data, 1024);
	pager_protected_abandon(g.r.p, &w);
	cr_assert_eq(model_diff(&g.m, &g.log, g.r.p, g.msg, sizeof g.msg), 0, "%s", g.msg);
	rig_free(&g);
}

Test(model_diff, a_protected_page_freed_behind_the_models_back_shows_in_free_count)
{
	rig g;
	/* palloc p: new directory block, 4 pages (8 pages, 1 free); palloc q: 2 more
	 * (16 pages, 7 free). Freeing q releases its 2 copies. */
	rig_run(&g, "create 10\npalloc p\npalloc q\n");
	cr_assert_eq(pager_free_protected(g.r.p, g.m.h[handle(&g, "q")].where), 0);
	assert_diff(&g, "free_page_count: expected 7, found 9");
	rig_free(&g);
}

Test(model_diff, a_protected_page_swapped_behind_the_models_back_is_named)
{
	rig g;
	rig_run(&g, "create 10\npalloc p\npalloc q\n");
	uint64_t id;
	/* Same counts as the model (16 pages, 7 free), other ids: 2 taken, q's 1 freed. */
	cr_assert_eq(pager_alloc_protected(g.r.p, &id), 0);
	cr_assert_eq(id, 2);
	cr_assert_eq(pager_free_protected(g.r.p, 1), 0);
	char want[200];
	snprintf(want, sizeof want, "q (protected id 1): read failed: %s", pager_strerror(PAGER_EOUT_OF_BOUNDS));
	assert_diff(&g, want);
	rig_free(&g);
}

Test(model_diff, a_wrong_page_count_comes_first)
{
	rig g;
	rig_run(&g, "create 10\nalloc a\n");
	uint64_t x;
	cr_assert_eq(pager_alloc(g.r.p, &x), 0); /* the file doubles: 8 pages */
	assert_diff(&g, "page_count: expected 4, found 8");
	rig_free(&g);
}

/* ---- replay_step's incremental check (mcheck.h) ---- */

/* A page moved behind the model's back keeps the counts: the per-op checks of later ops
 * that do not name it cannot see it; the periodic full comparison does, within
 * live + 64 ops, and says since when the state was last seen whole. */
Test(mcheck, a_change_no_op_names_is_found_by_the_periodic_full_comparison)
{
	rig g;
	char text[4096] = "create 10\nalloc a\nalloc b\n";
	for (int i = 0; i < 100; i++)
		strcat(text, i % 2 ? "fill a 1\n" : "fill a 2\n");
	rig_parse(&g, text);
	rig_steps(&g, 0, 3);
	uint64_t extra;
	cr_assert_eq(pager_alloc(g.r.p, &extra), 0);
	cr_assert_eq(extra, 5);
	cr_assert_eq(pager_free(g.r.p, g.m.h[handle(&g, "b")].where), 0);
	size_t k = 3;
	int rc = 0;
	while (k < g.log.nops && !(rc = replay_step(&g.r, &g.m, k, NULL, g.msg, sizeof g.msg)))
		k++;
	cr_assert_eq(rc, 1, "never found");
	/* The first op is compared in full (nothing to follow yet); then a full comparison
	 * once 2 live handles + 64 ops were checked on what they named: at op 66. */
	cr_assert_eq(k, 66, "found at op %zu: %s", k, g.msg);
	cr_assert(strstr(g.msg, "page 5 is allocated as a regular page, but no live handle has it"), "%s", g.msg);
	cr_assert(strstr(g.msg, "(everything was equal after op 0)"), "%s", g.msg);
	rig_free(&g);
}

/* What an op names is compared at that op: the page an alloc took must be a regular
 * page, the page a free released must not be one. */
Test(mcheck, the_page_an_alloc_took_is_checked_at_the_alloc)
{
	rig g;
	rig_parse(&g, "create 10\nalloc a\nalloc b\nalloc c\nfill c 1\n");
	rig_steps(&g, 0, 3);
	/* alloc c, but the pager keeps another page instead (counts agree). */
	model_result res;
	cr_assert_eq(replay_exec(&g.r, 3, &res), 0);
	uint64_t y;
	cr_assert_eq(pager_alloc(g.r.p, &y), 0);
	cr_assert_eq(pager_free(g.r.p, res.id), 0);
	cr_assert_eq(model_apply(&g.m, &g.log, 3, &res), 0);
	char want[160];
	snprintf(want, sizeof want, "c (page %" PRIu64 "): not allocated as a regular page (%s)", res.id,
		 pager_role_name(PAGER_ROLE_FREE));
	cr_assert_eq(mcheck_after(&g.r.chk, &g.m, g.r.p, 3, 0, g.msg, sizeof g.msg), 1);
	cr_assert_str_eq(g.msg, want);
	rig_free(&g);
}

Test(mcheck, a_free_that_did_not_release_its_page_is_found_at_the_free)
{
	rig g;
	rig_parse(&g, "create 10\nalloc a\nalloc b\nalloc c\nfree a\nfill b 1\nfill b 2\nfill b 3\n");
	rig_steps(&g, 0, 4);
	/* free a, but the pager frees c's page instead (counts agree); a's page stays. */
	uint64_t a = g.m.h[handle(&g, "a")].where, c = g.m.h[handle(&g, "c")].where;
	cr_assert_eq(pager_free(g.r.p, c), 0);
	model_result res = {0};
	cr_assert_eq(model_apply(&g.m, &g.log, 4, &res), 0);
	char want[160];
	snprintf(want, sizeof want, "page %" PRIu64 " is allocated as a regular page, but no live handle has it", a);
	cr_assert_eq(mcheck_after(&g.r.chk, &g.m, g.r.p, 4, 0, g.msg, sizeof g.msg), 1);
	cr_assert_str_eq(g.msg, want);
	rig_free(&g);
}

/* With no tampering, the per-op checks agree with model_diff after every op, and most
 * ops are not compared in full. */
Test(mcheck, agrees_with_model_diff_on_generated_logs_with_few_full_comparisons)
{
	for (uint64_t seed = 1; seed <= 4; seed++) {
		rig g;
		memset(&g, 0, sizeof g);
		cr_assert_eq(oplog_gen(seed, 400, 10, &g.log), 0);
		g.d = simdisk_new(512);
		cr_assert_eq(replay_init(&g.r, &g.log, simdisk_io(g.d), "t.db"), 0);
		cr_assert_eq(model_init(&g.m, &g.log), 0);
		for (size_t k = 0; k < g.log.nops; k++) {
			cr_assert_eq(replay_step(&g.r, &g.m, k, NULL, g.msg, sizeof g.msg), 0, "op %zu: %s", k, g.msg);
			cr_assert_eq(model_diff(&g.m, &g.log, g.r.p, g.msg, sizeof g.msg), 0, "op %zu: %s", k, g.msg);
		}
		size_t reopens = 0;
		for (size_t k = 0; k < g.log.nops; k++)
			reopens += g.log.ops[k].kind == OPLOG_REOPEN;
		cr_assert_gt(g.r.chk.fulls, reopens, "the reopens and the last op are compared in full");
		cr_assert_lt(g.r.chk.fulls, g.log.nops / 4, "%" PRIu64 " full comparisons of %zu ops", g.r.chk.fulls,
			     g.log.nops);
		rig_free(&g);
	}
}

/* ---- model counts ---- */

Test(model_counts, alloc_doubles_the_file_only_when_no_page_is_free)
{
	rig g;
	rig_parse(&g, "create 10\nalloc a\nalloc b\nalloc c\nalloc d\nalloc e\nalloc f\n");
	const uint64_t count[] = {4, 4, 8, 8, 8, 8, 16};
	const uint64_t free_[] = {1, 0, 3, 2, 1, 0, 7};
	for (size_t k = 0; k < g.log.nops; k++) {
		rig_steps(&g, k, k + 1);
		cr_assert_eq(g.m.page_count, count[k], "op %zu: page_count %" PRIu64, k, g.m.page_count);
		cr_assert_eq(model_free_count(&g.m), free_[k], "op %zu: free %" PRIu64, k, model_free_count(&g.m));
		cr_assert_eq(pager_page_count(g.r.p), count[k]);
		cr_assert_eq(pager_free_page_count(g.r.p), free_[k]);
	}
	rig_free(&g);
}

Test(model_counts, palloc_takes_four_pages_for_a_new_block_and_two_in_an_existing_one)
{
	rig g;
	rig_parse(&g, "create 10\npalloc p\npalloc q\n");
	rig_steps(&g, 0, 1);
	cr_assert_eq(g.m.page_count, 4);
	cr_assert_eq(g.m.used, 3);
	cr_assert_eq(g.m.blocks, 0);
	cr_assert_eq(g.m.cap, (1024 - 12) / 30);
	/* p: no directory block yet. Two directory pages and two copies: pages 3, then
	 * (the file doubles to 8) 4, 5, 6. */
	rig_steps(&g, 1, 2);
	cr_assert_eq(g.m.blocks, 1);
	cr_assert_eq(g.m.used, 7);
	cr_assert_eq(g.m.page_count, 8);
	cr_assert_eq(model_free_count(&g.m), 1);
	const model_handle *p = &g.m.h[handle(&g, "p")];
	cr_assert_eq(p->where, 0);
	cr_assert_eq(p->copy[0], 5);
	cr_assert_eq(p->copy[1], 6);
	/* q: slot 1 of the same block, two copies: page 7, then (16 pages) page 8. */
	rig_steps(&g, 2, 3);
	cr_assert_eq(g.m.blocks, 1);
	cr_assert_eq(g.m.used, 9);
	cr_assert_eq(g.m.page_count, 16);
	cr_assert_eq(model_free_count(&g.m), 7);
	const model_handle *q = &g.m.h[handle(&g, "q")];
	cr_assert_eq(q->where, 1);
	cr_assert_eq(q->copy[0], 7);
	cr_assert_eq(q->copy[1], 8);
	cr_assert_eq(pager_page_count(g.r.p), 16);
	cr_assert_eq(pager_free_page_count(g.r.p), 7);
	rig_free(&g);
}

Test(model_counts, a_full_block_makes_the_next_palloc_open_a_second_one)
{
	/* 1 KiB pages: 33 entries per block; the 34th palloc needs a new block. */
	char text[2048] = "create 10\n";
	for (int i = 0; i < 34; i++)
		snprintf(text + strlen(text), sizeof text - strlen(text), "palloc p%d\n", i);
	rig g;
	rig_parse(&g, text);
	rig_steps(&g, 0, 34);
	cr_assert_eq(g.m.blocks, 1);
	uint64_t used = g.m.used;
	rig_steps(&g, 34, 35);
	cr_assert_eq(g.m.blocks, 2);
	cr_assert_eq(g.m.used, used + 4);
	cr_assert_eq(g.m.h[handle(&g, "p33")].where, 33);
	cr_assert_eq(model_next_protected_id(&g.m), 34);
	rig_free(&g);
}

Test(model_counts, pfree_releases_the_slot_and_two_pages_and_the_slot_is_reused)
{
	rig g;
	rig_run(&g, "create 10\npalloc p\npalloc q\npfree p\npalloc r\n");
	cr_assert_eq(g.m.h[handle(&g, "r")].where, 0);
	cr_assert(g.m.h[handle(&g, "p")].freed);
	cr_assert_not(g.m.h[handle(&g, "p")].live);
	cr_assert_eq(g.m.used, 9);
	rig_free(&g);
}

Test(model_counts, pstage_and_reopen_change_nothing)
{
	rig g;
	rig_parse(&g, "create 10\npalloc p\npwrite p 3\npstage p 4\nreopen\n");
	rig_steps(&g, 0, 3);
	model before;
	cr_assert_eq(model_init(&before, &g.log), 0);
	cr_assert_eq(model_copy(&before, &g.m), 0);
	rig_steps(&g, 3, 5);
	cr_assert_eq(g.m.page_count, before.page_count);
	cr_assert_eq(g.m.used, before.used);
	cr_assert_eq(memcmp(g.m.h, before.h, g.m.nhandles * sizeof *g.m.h), 0);
	cr_assert_eq(g.m.h[handle(&g, "p")].crc, pattern_crc(3, 1024));
	model_free(&before);
	rig_free(&g);
}

/* ---- model_check_result: answers the model refuses ---- */

Test(model_check_result, rejects_a_palloc_id_other_than_the_lowest_free_slot)
{
	rig g;
	rig_parse(&g, "create 10\npalloc p\npalloc q\n");
	rig_steps(&g, 0, 2);
	model_result r = {.id = 5};
	char msg[200];
	cr_assert_eq(model_check_result(&g.m, &g.log, 2, &r, msg, sizeof msg), 1);
	cr_assert_str_eq(msg, "palloc returned id 5, expected 1 (the lowest free slot)");
	r.id = 1;
	cr_assert_eq(model_check_result(&g.m, &g.log, 2, &r, msg, sizeof msg), 0);
	rig_free(&g);
}

Test(model_check_result, rejects_an_alloc_that_returns_a_live_page)
{
	rig g;
	rig_parse(&g, "create 10\nalloc a\nalloc b\n");
	rig_steps(&g, 0, 2);
	model_result r = {.id = 3};
	char msg[200];
	cr_assert_eq(model_check_result(&g.m, &g.log, 2, &r, msg, sizeof msg), 1);
	cr_assert_str_eq(msg, "alloc returned page 3, still live as a");
	rig_free(&g);
}

Test(model_check_result, rejects_an_alloc_outside_the_data_pages)
{
	rig g;
	rig_parse(&g, "create 10\nalloc a\nalloc b\n");
	rig_steps(&g, 0, 2);
	model_result r = {.id = 2};
	char msg[200];
	/* No page is free: this alloc doubles the file, so 3..7 are possible. */
	cr_assert_eq(model_check_result(&g.m, &g.log, 2, &r, msg, sizeof msg), 1);
	cr_assert_str_eq(msg, "alloc returned page 2, outside 3..7");
	r.id = 8;
	cr_assert_eq(model_check_result(&g.m, &g.log, 2, &r, msg, sizeof msg), 1);
	cr_assert_str_eq(msg, "alloc returned page 8, outside 3..7");
	r.id = 7;
	cr_assert_eq(model_check_result(&g.m, &g.log, 2, &r, msg, sizeof msg), 0);
	rig_free(&g);
}

Test(model_check_result, replay_step_reports_the_op_and_line)
{
	rig g;
	rig_parse(&g, "create 10\n# a comment\nalloc a\n");
	rig_steps(&g, 0, 2);
	uint64_t x;
	/* The pager's state moves on behind the model: the next comparison fails. */
	cr_assert_eq(pager_alloc(g.r.p, &x), 0);
	cr_assert_eq(model_diff(&g.m, &g.log, g.r.p, g.msg, sizeof g.msg), 1);
	char what[160];
	replay_describe(&g.log, 1, what, sizeof what);
	cr_assert_str_eq(what, "op 1 (line 3: alloc a)");
	rig_free(&g);
}
