/* test_shrink.c — ddmin, and shrinking crash reproducers: the verdicts stay, the result
 * is a valid reproducer, and a padded case gets strictly smaller. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tornpage/shrink.h"
#include "crash/crash_one.h"
#include "support.h"

/* The failure needs items 17 and 42 together (and nothing else). */
static int needs_17_and_42(void *arg, const size_t *c, size_t k)
{
	(void)arg;
	int a = 0, b = 0;
	for (size_t i = 0; i < k; i++) {
		a |= c[i] == 17;
		b |= c[i] == 42;
	}
	return a && b;
}

static int needs_nothing(void *arg, const size_t *c, size_t k)
{
	(void)arg, (void)c, (void)k;
	return 1;
}

Test(shrink_ddmin, finds_the_two_items_that_matter)
{
	size_t items[100], n = 100;
	for (size_t i = 0; i < n; i++)
		items[i] = i;
	uint64_t tests = 0;
	cr_assert_eq(shrink_ddmin(items, &n, needs_17_and_42, NULL, &tests), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(items[0], 17);
	cr_assert_eq(items[1], 42);
	cr_assert_lt(tests, 200, "ddmin took %llu tests", (unsigned long long)tests);
}

Test(shrink_ddmin, empty_is_enough_when_nothing_matters)
{
	size_t items[5] = {0, 1, 2, 3, 4}, n = 5;
	cr_assert_eq(shrink_ddmin(items, &n, needs_nothing, NULL, NULL), 0);
	cr_assert_eq(n, 0);
}

static void parse_ok(const char *text, repro *r)
{
	cr_assert_eq(repro_parse("t.repro", text, strlen(text), r, NULL, NULL), 0, "bad test reproducer:\n%s", text);
}

/* Build the torn-page-0 reproducer (directory commit of palloc p, 512-byte units, unit
 * 0 of page 0 persisted) behind `pad` (ops inserted before the palloc) and `tail` (after
 * it): the crash sync is located in the padded log (the palloc's 4th sync). */
static void padded_torn_page0(const char *pad, const char *tail, repro *r, int all_dirty)
{
	char ops[4096];
	snprintf(ops, sizeof ops, "create 10\n%spalloc p\n%s", pad, tail);
	oplog log;
	cr_assert_eq(oplog_parse("pad", ops, strlen(ops), &log, NULL, NULL), 0);
	size_t K = 0;
	for (size_t k = 0; k < log.nops; k++)
		if (log.ops[k].kind == OPLOG_PALLOC && !strcmp(log.handles[log.ops[k].handle], "p"))
			K = k;
	crash_one c;
	char msg[300];
	cr_assert_eq(crash_one_locate(&c, &log, 512, K, CRASH_BEFORE_SYNC, 3, 1, msg, sizeof msg), 0, "%s", msg);
	cr_assert_str_eq(c.step, "pager/dircommit/sb_sync");
	char units[2048] = "0";
	if (all_dirty) { /* every dirty unit but unit 1 (the other half of page 0) */
		size_t l = 0;
		units[0] = '\0';
		for (size_t i = 0; i < c.ndirty; i++)
			if (c.dirty[i] != 1)
				l += (size_t)snprintf(units + l, sizeof units - l, "%s%llu", l ? "," : "", (unsigned long long)c.dirty[i]);
	}
	char text[8192];
	snprintf(text, sizeof text,
		 "#! tornpage repro 1\n# torn page 0, padded\n#! atomic 512\n#! crash op %zu before-sync %u persisted %s\n"
		 "#! expect I-OPEN\n#! expect I-DIR-INDEX\n%s",
		 K, c.sync, units, ops);
	crash_one_free(&c);
	oplog_free(&log);
	parse_ok(text, r);
	repro_result res;
	cr_assert_eq(repro_run(r, &res, NULL), 0);
	cr_assert_eq(res.status, REPRO_SAME, "the padded reproducer itself must hold: %s", res.why);
	repro_result_free(&res);
}

/* 20 ops that have nothing to do with page 0's directory commit. */
static const char pad20[] =
	"alloc a\nfill a 1\nalloc b\nfill b 2\nfree a\nalloc c\nreopen\nfill c 3\nalloc d\nfree b\n"
	"fill d 4\nalloc e\nfill e 5\nfree c\nreopen\nalloc f\nfill f 6\nfree d\nfill e 7\nfree e\n";

Test(shrink_repro, a_padded_case_gets_strictly_smaller_and_keeps_its_verdict)
{
	repro in, out;
	padded_torn_page0(pad20, "pwrite p 9\nalloc z\n", &in, 0);
	cr_assert_eq(in.log.nops, 24);
	shrink_stats st;
	char msg[640];
	int rc = shrink_repro(&in, &out, &st, msg, sizeof msg);
	cr_assert_eq(rc, 0, "%s", msg);
	cr_assert_eq(st.ops_before, 24);
	cr_assert_lt(st.ops_after, st.ops_before);
	cr_assert_eq(st.ops_after, 2, "create + palloc is all it takes (got %zu)", st.ops_after);
	cr_assert_eq(out.log.ops[out.op].kind, OPLOG_PALLOC);
	cr_assert_eq(out.phase, CRASH_BEFORE_SYNC);
	cr_assert_eq(out.nunits, 1);
	cr_assert_eq(out.units[0], 0);
	cr_assert(repro_strset_has(&out.expect, "I-OPEN"));
	cr_assert(repro_strset_has(&out.expect, "I-DIR-INDEX"));
	/* The result is a valid reproducer: it prints, parses back and replays to its expect. */
	char *text = repro_format(&out);
	repro back;
	parse_ok(text, &back);
	cr_assert(repro_equal(&out, &back));
	repro_result res;
	cr_assert_eq(repro_run(&back, &res, NULL), 0);
	cr_assert_eq(res.status, REPRO_SAME, "%s", text);
	cr_assert(repro_strset_has(&res.sigs, "I-OPEN@pager/dircommit/sb_sync:before-sync:palloc:512"));
	repro_result_free(&res);
	free(text);
	repro_free(&back);
	repro_free(&out);
	repro_free(&in);
}

Test(shrink_repro, extra_persisted_units_are_dropped)
{
	repro in, out;
	padded_torn_page0(pad20, "", &in, 1);
	cr_assert_gt(in.nunits, 1);
	shrink_stats st;
	char msg[640];
	cr_assert_eq(shrink_repro(&in, &out, &st, msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(st.units_before, in.nunits);
	cr_assert_lt(st.units_after, st.units_before);
	cr_assert_eq(out.nunits, 1);
	cr_assert_eq(out.units[0], 0, "only unit 0 of page 0 matters");
	repro_free(&out);
	repro_free(&in);
}

Test(shrink_repro, a_latent_crc_mismatch_shrinks_to_the_reuse_it_needs)
{
	/* A protected page whose first copy reuses a page that was filled but never synced:
	 * palloc records the CRC of the cache bytes, the disk keeps zeros (I-PROT-CRC at
	 * every later crash point). The padding ops are needed: they put the filled page
	 * where the palloc's first copy lands; the reopen is the crash op. */
	static const char text[] =
		"#! tornpage repro 1\n#! atomic 512\n#! crash op 12 end-of-op persisted none\n"
		"#! expect I-PROT-CRC\n#! expect I-DURABLE\n"
		"create 11\nalloc x\nalloc y\nalloc z\nfill z 25\nalloc w\nfill w 3\nfree w\nfree x\nfree y\nfree z\npalloc p\nreopen\n";
	repro in, out;
	parse_ok(text, &in);
	repro_result res;
	cr_assert_eq(repro_run(&in, &res, NULL), 0);
	cr_assert_eq(res.status, REPRO_SAME, "%s", res.why);
	repro_result_free(&res);
	shrink_stats st;
	char msg[640];
	cr_assert_eq(shrink_repro(&in, &out, &st, msg, sizeof msg), 0, "%s", msg);
	cr_assert_lt(st.ops_after, st.ops_before);
	cr_assert_eq(st.ops_after, 10, "alloc w / fill w / free w are not needed (got %zu ops)", st.ops_after);
	cr_assert_eq(out.log.ops[out.op].kind, OPLOG_REOPEN);
	cr_assert(repro_strset_has(&out.expect, "I-PROT-CRC"));
	cr_assert_eq(repro_run(&out, &res, NULL), 0);
	cr_assert_eq(res.status, REPRO_SAME);
	repro_result_free(&res);
	repro_free(&out);
	repro_free(&in);
}

/* The page keys the shrinker moves units by: the same thing at another page number. */
Test(shrink_keys, a_protected_copy_keeps_its_key_when_pages_are_renumbered)
{
	static const char a[] = "create 10\npalloc p\nreopen\n";
	static const char b[] = "create 10\nalloc x\nalloc y\nalloc z\npalloc p\nreopen\n";
	oplog la, lb;
	cr_assert_eq(oplog_parse("a", a, strlen(a), &la, NULL, NULL), 0);
	cr_assert_eq(oplog_parse("b", b, strlen(b), &lb, NULL, NULL), 0);
	crash_one ca, cb;
	char msg[300];
	cr_assert_eq(crash_one_locate(&ca, &la, 512, 1, CRASH_END_OF_OP, 0, 0, msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(crash_one_locate(&cb, &lb, 512, 4, CRASH_END_OF_OP, 0, 0, msg, sizeof msg), 0, "%s", msg);
	uint64_t pa = UINT64_MAX, pb = UINT64_MAX, da = 0, db = 0;
	for (uint64_t n = 0; n < ca.npages; n++) {
		if (ca.keys[n].kind == CRASH_KEY_PROTECTED && ca.keys[n].copy == 0)
			pa = n;
		da += ca.keys[n].kind == CRASH_KEY_DIR;
	}
	for (uint64_t n = 0; n < cb.npages; n++) {
		if (cb.keys[n].kind == CRASH_KEY_PROTECTED && cb.keys[n].copy == 0)
			pb = n;
		db += cb.keys[n].kind == CRASH_KEY_DIR;
		if (cb.keys[n].kind == CRASH_KEY_REGULAR)
			cr_assert_str_eq(lb.handles[cb.keys[n].handle], n == 3 ? "x" : n == 4 ? "y" : "z");
	}
	cr_assert_neq(pa, UINT64_MAX);
	cr_assert_neq(pb, UINT64_MAX);
	cr_assert_neq(pa, pb, "the padding moved p's first copy");
	cr_assert_str_eq(la.handles[ca.keys[pa].handle], "p");
	cr_assert_str_eq(lb.handles[cb.keys[pb].handle], "p");
	cr_assert_eq(da, 2, "one directory block: pages A and B");
	cr_assert_eq(db, 2);
	crash_one_free(&ca);
	crash_one_free(&cb);
	oplog_free(&la);
	oplog_free(&lb);
}

Test(shrink_repro, refuses_what_it_cannot_keep)
{
	static const char ok[] = "#! tornpage repro 1\n#! atomic 512\n#! crash op 1 end-of-op persisted none\n#! expect ok\n"
				 "create 10\nalloc a\n";
	static const char wrong[] = "#! tornpage repro 1\n#! atomic 512\n#! crash op 1 end-of-op persisted none\n"
				    "#! expect I-OPEN\ncreate 10\nalloc a\n";
	static const char fault[] = "#! tornpage repro 1\n#! atomic 512\n#! fault pager/commit/sb_sync hit 1 mode once errno EIO\n"
				    "#! expect ok\ncreate 10\nalloc a\n";
	repro in, out;
	shrink_stats st;
	char msg[640];
	parse_ok(ok, &in);
	cr_assert_eq(shrink_repro(&in, &out, &st, msg, sizeof msg), 1);
	repro_free(&in);
	parse_ok(wrong, &in);
	cr_assert_eq(shrink_repro(&in, &out, &st, msg, sizeof msg), 1);
	repro_free(&in);
	parse_ok(fault, &in);
	cr_assert_eq(shrink_repro(&in, &out, &st, msg, sizeof msg), 1, "expect ok: nothing to keep");
	repro_free(&in);
}

Test(shrink_repro, a_padded_fault_case_gets_strictly_smaller)
{
	support_need_fiu();
	/* pager/grow/map fails in palloc p (its first grow): the pager is left without a
	 * mapping, and the next palloc is accepted anyway (F-STOP on the seed). */
	static const char text[] =
		"#! tornpage repro 1\n#! atomic 512\n#! fault pager/grow/map hit 1 mode once errno EIO\n#! expect F-STOP\n"
		"create 10\nalloc x\nfill x 1\nfree x\nalloc w\nfill w 4\nfree w\npalloc p\npalloc q\nalloc y\nfill y 2\n";
	repro in, out;
	parse_ok(text, &in);
	repro_result res;
	cr_assert_eq(repro_run(&in, &res, NULL), 0);
	cr_assert(res.reached, "%s", res.why);
	cr_assert(repro_strset_has(&res.found, "F-STOP"), "the seed accepts work after a failed remap");
	repro_strset_free(&in.expect);
	for (size_t i = 0; i < res.found.n; i++)
		repro_strset_add(&in.expect, res.found.s[i]);
	repro_result_free(&res);
	shrink_stats st;
	char msg[640];
	cr_assert_eq(shrink_repro(&in, &out, &st, msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(st.ops_before, 11);
	cr_assert_lt(st.ops_after, st.ops_before);
	cr_assert_eq(out.kind, REPRO_FAULT);
	cr_assert_str_eq(out.point, "pager/grow/map");
	cr_assert(repro_strset_has(&out.expect, "F-STOP"));
	cr_assert_eq(repro_run(&out, &res, NULL), 0);
	cr_assert_eq(res.status, REPRO_SAME, "%s", res.why);
	repro_result_free(&res);
	repro_free(&out);
	repro_free(&in);
}
