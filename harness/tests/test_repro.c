/* test_repro.c — reproducer files (docs/repro.md): round trip, line-numbered errors for
 * every directive rule, replay outcomes, signatures, saving, and the CLI's exit codes. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tornpage/repro.h"
#include "support.h"

/* Torn page 0 in the directory commit of the first palloc (1 KiB pages, 512-byte
 * units): unit 0 of page 0 reaches disk, unit 1 does not. */
static const char torn_page0[] =
	"#! tornpage repro 1\n"
	"# torn page 0 during the first directory commit\n"
	"# a second note\n"
	"#! atomic 512\n"
	"#! crash op 1 before-sync 4 persisted 0\n"
	"#! expect I-OPEN\n"
	"#! expect I-DIR-INDEX\n"
	"create 10\n"
	"palloc p   # trailing comments are not notes\n"
	"pwrite p 1\n";

typedef struct diags {
	char msg[32][700];
	int n;
} diags;

static void keep(void *arg, const char *msg)
{
	diags *d = arg;
	if (d->n < 32)
		snprintf(d->msg[d->n], sizeof d->msg[0], "%s", msg);
	d->n++;
}

static void parse_ok(const char *text, repro *r)
{
	diags d = {.n = 0};
	int rc = repro_parse("t.repro", text, strlen(text), r, keep, &d);
	cr_assert_eq(rc, 0, "parse failed: %s", d.n ? d.msg[0] : "?");
}

Test(repro_format, round_trip_of_a_crash_reproducer)
{
	repro a, b, c;
	parse_ok(torn_page0, &a);
	cr_assert_eq(a.kind, REPRO_CRASH);
	cr_assert_eq(a.unit, 512);
	cr_assert_eq(a.op, 1);
	cr_assert_eq(a.phase, CRASH_BEFORE_SYNC);
	cr_assert_eq(a.sync, 4);
	cr_assert_eq(a.nunits, 1);
	cr_assert_eq(a.units[0], 0);
	cr_assert_eq(a.expect.n, 2);
	cr_assert_str_eq(a.expect.s[0], "I-DIR-INDEX"); /* sorted */
	cr_assert_eq(a.nnotes, 2);
	cr_assert_str_eq(a.notes[0], "torn page 0 during the first directory commit");
	cr_assert_eq(a.log.nops, 3);
	char *t1 = repro_format(&a);
	cr_assert_not_null(t1);
	parse_ok(t1, &b);
	cr_assert(repro_equal(&a, &b), "parse(print(x)) != x:\n%s", t1);
	char *t2 = repro_format(&b);
	cr_assert_str_eq(t1, t2, "printing is a fixed point");
	/* The printed file is also a valid op log. */
	oplog log;
	cr_assert_eq(oplog_parse("t", t1, strlen(t1), &log, NULL, NULL), 0);
	cr_assert_eq(log.nops, 3);
	oplog_free(&log);
	cr_assert_eq(repro_copy(&c, &a), 0);
	cr_assert(repro_equal(&a, &c));
	free(t1);
	free(t2);
	repro_free(&a);
	repro_free(&b);
	repro_free(&c);
}

Test(repro_format, round_trip_of_fault_and_end_of_op_cases_with_crlf)
{
	static const char *texts[] = {
		"#! tornpage repro 1\r\n#! atomic page\r\n#! fault pager/commit/sb_sync hit 3 mode persist errno ENOSPC "
		"lost-writes seed 77\r\n#! expect F-ATOMIC\r\n#! expect I-LEAK\r\ncreate 12\r\nalloc a\r\nalloc b\r\nalloc c\r\n",
		"#! tornpage repro 1\n#! atomic 4096\n#! crash op 2 end-of-op persisted 1, 3,2 9\n#! expect ok\n#\n"
		"create 10\nalloc a\nfill a 3\n",
		"#! tornpage repro 1\n#! atomic 1024\n#! crash op 0 after-sync 0 persisted none\n#! expect ok\ncreate 10",
	};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		repro a, b;
		parse_ok(texts[i], &a);
		char *t = repro_format(&a);
		parse_ok(t, &b);
		cr_assert(repro_equal(&a, &b), "case %zu:\n%s", i, t);
		free(t);
		if (i == 0) {
			cr_assert_eq(a.kind, REPRO_FAULT);
			cr_assert_str_eq(a.point, "pager/commit/sb_sync");
			cr_assert_eq(a.hit, 3);
			cr_assert_eq(a.mode, REPRO_PERSIST);
			cr_assert_eq(a.err, ENOSPC);
			cr_assert(a.lost_writes);
			cr_assert_eq(a.seed, 77);
			cr_assert_eq(a.unit, 0);
		} else if (i == 1) {
			cr_assert_eq(a.phase, CRASH_END_OF_OP);
			cr_assert_eq(a.has_sync, 0);
			cr_assert_eq(a.nunits, 4);
			cr_assert_eq(a.units[0], 1);
			cr_assert_eq(a.units[3], 9);
			cr_assert_eq(a.expect.n, 0);
			cr_assert_eq(a.nnotes, 1);
			cr_assert_str_eq(a.notes[0], "");
		}
		repro_free(&a);
		repro_free(&b);
	}
}

/* Each bad file gives exactly the diagnostics listed, "t.repro:LINE: ..." (substring). */
typedef struct bad_case {
	const char *what;
	const char *text;
	const char *diag;  /* expected substring of the first diagnostic */
} bad_case;

#define HDR "#! tornpage repro 1\n"
#define OK_TAIL "#! expect ok\ncreate 10\nalloc a\n"

static const bad_case bad_cases[] = {
	{"no header", "#! atomic 512\n#! crash op 0 end-of-op persisted none\n" OK_TAIL,
	 "t.repro:1: not a reproducer: no '#! tornpage repro 1' line"},
	{"format 2", "#! tornpage repro 2\n#! atomic 512\n#! crash op 0 end-of-op persisted none\n" OK_TAIL,
	 "t.repro:1: unsupported repro format '2' (this reader knows version 1)"},
	{"header twice", HDR "#! atomic 512\n" HDR "#! crash op 0 end-of-op persisted none\n" OK_TAIL,
	 "t.repro:3: second '#! tornpage repro' line (the first is on line 1)"},
	{"header words", "#! tornpage oplog 1\n", "t.repro:1: want '#! tornpage repro 1'"},
	{"unknown directive", HDR "#! atomic 512\n#! crash op 0 end-of-op persisted none\n#! frobnicate 3\n" OK_TAIL,
	 "t.repro:4: unknown directive 'frobnicate'"},
	{"empty directive", HDR "#!   \n#! atomic 512\n#! crash op 0 end-of-op persisted none\n" OK_TAIL,
	 "t.repro:2: empty directive"},
	{"bad atomic", HDR "#! atomic 100\n#! crash op 0 end-of-op persisted none\n" OK_TAIL,
	 "t.repro:2: bad atomic unit '100'"},
	{"atomic twice", HDR "#! atomic 512\n#! atomic page\n#! crash op 0 end-of-op persisted none\n" OK_TAIL,
	 "t.repro:3: second atomic (the first is on line 2)"},
	{"crash without op", HDR "#! atomic 512\n#! crash 1 end-of-op persisted none\n" OK_TAIL,
	 "t.repro:3: crash: want 'crash op K PHASE [SYNC] persisted"},
	{"crash bad op", HDR "#! atomic 512\n#! crash op x end-of-op persisted none\n" OK_TAIL,
	 "t.repro:3: crash: bad op index 'x'"},
	{"crash op out of range", HDR "#! atomic 512\n#! crash op 2 end-of-op persisted none\n" OK_TAIL,
	 "t.repro:3: crash: op 2 is not in the log (ops 0..1)"},
	{"crash bad phase", HDR "#! atomic 512\n#! crash op 1 during-sync 3 persisted none\n" OK_TAIL,
	 "t.repro:3: crash: bad phase 'during-sync'"},
	{"crash no phase", HDR "#! atomic 512\n#! crash op 1\n" OK_TAIL, "t.repro:3: crash: no phase"},
	{"crash sync missing", HDR "#! atomic 512\n#! crash op 1 before-sync persisted 0\n" OK_TAIL,
	 "t.repro:3: crash: before-sync needs the sync index"},
	{"crash sync too big", HDR "#! atomic 512\n#! crash op 1 after-sync 4294967296 persisted 0\n" OK_TAIL,
	 "t.repro:3: crash: bad sync index '4294967296'"},
	{"crash no persisted", HDR "#! atomic 512\n#! crash op 1 after-sync 1\n" OK_TAIL,
	 "t.repro:3: crash: want 'crash op K PHASE [SYNC] persisted"},
	{"crash persisted nothing", HDR "#! atomic 512\n#! crash op 1 after-sync 1 persisted\n" OK_TAIL,
	 "t.repro:3: crash: 'persisted' needs a unit list or 'none'"},
	{"crash empty list", HDR "#! atomic 512\n#! crash op 1 after-sync 1 persisted ,,\n" OK_TAIL,
	 "t.repro:3: crash: empty persisted list"},
	{"crash bad unit", HDR "#! atomic 512\n#! crash op 1 after-sync 1 persisted 1,-2\n" OK_TAIL,
	 "t.repro:3: crash: bad unit '-2'"},
	{"crash unit overflow", HDR "#! atomic 512\n#! crash op 1 after-sync 1 persisted 18446744073709551616\n" OK_TAIL,
	 "t.repro:3: crash: bad unit '18446744073709551616'"},
	{"crash duplicate unit", HDR "#! atomic 512\n#! crash op 1 after-sync 1 persisted 3,1,3\n" OK_TAIL,
	 "t.repro:3: crash: unit 3 is listed twice"},
	{"crash after none", HDR "#! atomic 512\n#! crash op 1 after-sync 1 persisted none 3\n" OK_TAIL,
	 "t.repro:3: crash: unexpected '3' after 'persisted none'"},
	{"two cases", HDR "#! atomic 512\n#! crash op 1 after-sync 1 persisted none\n"
		      "#! fault pager/commit/sb_sync hit 1 mode once errno EIO\n" OK_TAIL,
	 "t.repro:4: fault: a reproducer holds one case, and line 3 already has one"},
	{"fault unknown point", HDR "#! atomic 512\n#! fault pager/nope hit 1 mode once errno EIO\n" OK_TAIL,
	 "t.repro:3: fault: unknown fault point 'pager/nope'"},
	{"fault hit 0", HDR "#! atomic 512\n#! fault pager/commit/sb_sync hit 0 mode once errno EIO\n" OK_TAIL,
	 "t.repro:3: fault: bad hit count '0'"},
	{"fault bad mode", HDR "#! atomic 512\n#! fault pager/commit/sb_sync hit 1 mode twice errno EIO\n" OK_TAIL,
	 "t.repro:3: fault: bad mode 'twice'"},
	{"fault bad errno", HDR "#! atomic 512\n#! fault pager/commit/sb_sync hit 1 mode once errno EWHAT\n" OK_TAIL,
	 "t.repro:3: fault: bad errno 'EWHAT'"},
	{"fault lost-writes without seed", HDR "#! atomic 512\n#! fault pager/commit/sb_sync hit 1 mode once errno EIO lost-writes\n" OK_TAIL,
	 "t.repro:3: fault: after the errno, want nothing, 'lost-writes seed S' and/or 'disk-faults MODE,..."},
	{"expect unknown", HDR "#! atomic 512\n#! crash op 1 end-of-op persisted none\n#! expect I-NOPE\ncreate 10\nalloc a\n",
	 "t.repro:4: expect: unknown verdict id 'I-NOPE'"},
	{"expect twice", HDR "#! atomic 512\n#! crash op 1 end-of-op persisted none\n#! expect I-OPEN\n#! expect I-OPEN\ncreate 10\nalloc a\n",
	 "t.repro:5: expect: 'I-OPEN' is expected twice"},
	{"expect ok and id", HDR "#! atomic 512\n#! crash op 1 end-of-op persisted none\n#! expect ok\n#! expect I-OPEN\ncreate 10\nalloc a\n",
	 "t.repro:5: expect: 'I-OPEN' contradicts 'expect ok' on line 4"},
	{"expect two words", HDR "#! atomic 512\n#! crash op 1 end-of-op persisted none\n#! expect I-OPEN I-LEAK\ncreate 10\nalloc a\n",
	 "t.repro:4: expect: want one verdict id per line"},
	{"no atomic", HDR "#! crash op 1 end-of-op persisted none\n" OK_TAIL, "t.repro:1: no '#! atomic"},
	{"no case", HDR "#! atomic 512\n" OK_TAIL, "t.repro:1: no '#! crash ...' or '#! fault ...' line"},
	{"no expect", HDR "#! atomic 512\n#! crash op 1 end-of-op persisted none\ncreate 10\nalloc a\n",
	 "t.repro:1: no '#! expect ...' line"},
	{"bad op line", HDR "#! atomic 512\n#! crash op 0 end-of-op persisted none\n" "#! expect ok\ncreate 10\nalloc\n",
	 "t.repro:6: wrong number of arguments"},
};

Test(repro_format, every_bad_directive_gives_a_line_numbered_error)
{
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		const bad_case *b = &bad_cases[i];
		diags d = {.n = 0};
		repro r;
		int rc = repro_parse("t.repro", b->text, strlen(b->text), &r, keep, &d);
		cr_assert_gt(rc, 0, "%s: accepted", b->what);
		cr_assert_gt(d.n, 0, "%s: no diagnostic", b->what);
		int hit = 0;
		for (int k = 0; k < d.n && k < 32; k++)
			hit |= strstr(d.msg[k], b->diag) != NULL;
		cr_assert(hit, "%s: want '%s', got '%s'", b->what, b->diag, d.msg[0]);
		cr_assert_eq(r.log.nops, 0, "%s: a failed parse leaves *out empty", b->what);
		cr_assert_null(r.units);
	}
}

Test(repro_format, hostile_bytes_are_safe)
{
	/* NUL bytes, control characters, huge numbers, very long lines: errors, no UB. */
	char text[9000];
	size_t n = 0;
	n += (size_t)snprintf(text + n, sizeof text - n, "#! tornpage repro 1\n#! atomic 512\n# note \x01\x7f end\n");
	n += (size_t)snprintf(text + n, sizeof text - n, "#! crash op 99999999999999999999 before-sync 1 persisted 0\n");
	memcpy(text + n, "#! expect I-OPEN\0X\n", 19);
	n += 19;
	memset(text + n, 'A', 5000);
	n += 5000;
	n += (size_t)snprintf(text + n, sizeof text - n, "\ncreate 10\n#! crash op 0 end-of-op persisted 1%s\n", ",");
	diags d = {.n = 0};
	repro r;
	cr_assert_gt(repro_parse("h", text, n, &r, keep, &d), 0);
	/* The note's control bytes read as '?'. */
	static const char ok[] = "#! tornpage repro 1\n#! atomic 512\n# bell \x07 here\n#! crash op 0 end-of-op persisted none\n#! expect ok\ncreate 10\n";
	parse_ok(ok, &r);
	cr_assert_str_eq(r.notes[0], "bell ? here");
	repro_free(&r);
}

Test(repro_run, replays_a_torn_page0_and_matches_expect)
{
	repro r;
	repro_result res;
	parse_ok(torn_page0, &r);
	cr_assert_eq(repro_run(&r, &res, NULL), 0);
	cr_assert(res.reached, "%s", res.why);
	cr_assert_eq(res.status, REPRO_SAME);
	cr_assert_str_eq(res.step, "pager/dircommit/sb_sync");
	cr_assert(repro_strset_has(&res.sigs, "I-OPEN@pager/dircommit/sb_sync:before-sync:palloc:512"));
	cr_assert(repro_strset_has(&res.sigs, "I-DIR-INDEX@pager/dircommit/sb_sync:before-sync:palloc:512"));
	cr_assert_eq(res.sigs.n, 2);
	repro_result_free(&res);
	/* The same point with nothing persisted opens fine: the verdicts differ. */
	r.nunits = 0;
	cr_assert_eq(repro_run(&r, &res, NULL), 0);
	cr_assert(res.reached);
	cr_assert_eq(res.status, REPRO_DIFFERS);
	cr_assert(!repro_strset_has(&res.found, "I-OPEN"));
	repro_result_free(&res);
	repro_free(&r);
}

Test(repro_run, unreachable_points_and_units_differ)
{
	static const char *texts[] = {
		/* op 1 (palloc) makes syncs 1..4: no sync 9 */
		"#! tornpage repro 1\n#! atomic 512\n#! crash op 1 before-sync 9 persisted none\n#! expect I-OPEN\ncreate 10\npalloc p\n",
		/* unit 1000 is past the end of a 4 KiB file */
		"#! tornpage repro 1\n#! atomic 512\n#! crash op 1 before-sync 4 persisted 1000\n#! expect I-OPEN\ncreate 10\npalloc p\n",
		/* the end of op 1 comes after 5 syncs, not 3 */
		"#! tornpage repro 1\n#! atomic 512\n#! crash op 1 end-of-op 3 persisted none\n#! expect ok\ncreate 10\npalloc p\n",
		/* fill makes no sync */
		"#! tornpage repro 1\n#! atomic 512\n#! crash op 2 after-sync 3 persisted none\n#! expect ok\ncreate 10\nalloc a\nfill a 1\n",
	};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		repro r;
		repro_result res;
		parse_ok(texts[i], &r);
		cr_assert_eq(repro_run(&r, &res, NULL), 0);
		cr_assert(!res.reached, "case %zu", i);
		cr_assert_eq(res.status, REPRO_DIFFERS, "case %zu", i);
		cr_assert_neq(res.why[0], '\0');
		repro_result_free(&res);
		repro_free(&r);
	}
}

Test(repro_run, the_story_names_steps_roles_and_units)
{
	repro r;
	repro_result res;
	parse_ok(torn_page0, &r);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	cr_assert_eq(repro_run(&r, &res, f), 0);
	fclose(f);
	cr_assert_not_null(strstr(buf, "pager/dircommit/sb_sync"));
	cr_assert_not_null(strstr(buf, "power fails before it completes"));
	cr_assert_not_null(strstr(buf, "page 0 (superblock): [0] 1*"), "%s", buf);
	cr_assert_not_null(strstr(buf, "expect: I-DIR-INDEX I-OPEN"));
	cr_assert_not_null(strstr(buf, "RESULT: reproduced"));
	free(buf);
	repro_result_free(&res);
	repro_free(&r);
}

Test(repro_signature, formats_crash_and_fault_signatures)
{
	char s[REPRO_SIG_MAX];
	cr_assert_eq(repro_signature(s, sizeof s, "I-OPEN", "pager/dircommit/sb_sync", CRASH_BEFORE_SYNC, OPLOG_PALLOC, 512, 1024), 0);
	cr_assert_str_eq(s, "I-OPEN@pager/dircommit/sb_sync:before-sync:palloc:512");
	cr_assert_eq(repro_signature(s, sizeof s, "I-LEAK", NULL, CRASH_END_OF_OP, OPLOG_PFREE, 4096, 4096), 0);
	cr_assert_str_eq(s, "I-LEAK@-:end-of-op:pfree:page");
	cr_assert_eq(repro_signature(s, sizeof s, "I-LEAK", NULL, CRASH_END_OF_OP, OPLOG_PFREE, 4096, 1024), 0);
	cr_assert_str_eq(s, "I-LEAK@-:end-of-op:pfree:4096");
	cr_assert_eq(repro_fault_signature(s, sizeof s, "F-ATOMIC", "pager/commit/meta_sync", REPRO_ONCE, OPLOG_ALLOC), 0);
	cr_assert_str_eq(s, "F-ATOMIC@pager/commit/meta_sync:once:alloc");
	cr_assert_eq(repro_signature(s, 8, "I-OPEN", "x", CRASH_BEFORE_SYNC, OPLOG_ALLOC, 512, 1024), -1);
}

Test(repro_fault, the_fault_op_is_where_the_hit_falls)
{
	oplog log;
	static const char text[] = "create 10\nalloc a\nalloc b\nfree a\npalloc p\n";
	cr_assert_eq(oplog_parse("t", text, strlen(text), &log, NULL, NULL), 0);
	repro_fault_counts fc;
	char msg[200];
	cr_assert_eq(repro_fault_counts_of(&log, &fc, msg, sizeof msg), 0);
	size_t op = 99;
	cr_assert_eq(repro_fault_op(&fc, "pager/commit/sb_sync", 1, &op), 0);
	cr_assert_eq(op, 1);
	cr_assert_eq(repro_fault_op(&fc, "pager/commit/sb_sync", 3, &op), 0);
	cr_assert_eq(op, 3);
	cr_assert_eq(repro_fault_op(&fc, "pager/commit/sb_sync", 4, &op), 0);
	cr_assert_eq(op, 4);
	cr_assert_eq(repro_fault_op(&fc, "pager/dircommit/dir_sync", 1, &op), 0);
	cr_assert_eq(op, 4);
	cr_assert_eq(repro_fault_op(&fc, "pager/create/sync", 1, &op), 0);
	cr_assert_eq(op, 0);
	cr_assert_eq(repro_fault_op(&fc, "pager/commit/sb_sync", 5, &op), 1);
	cr_assert_eq(repro_fault_op(&fc, "pager/nope", 1, &op), 1);
	repro_fault_counts_free(&fc);
	oplog_free(&log);
}

Test(repro_fault, a_fault_reproducer_replays_through_the_matrix)
{
	support_need_fiu();
	static const char text[] = "#! tornpage repro 1\n#! atomic 512\n#! fault pager/commit/meta_sync hit 2 mode once errno EIO\n"
				   "#! expect ok\ncreate 10\nalloc a\nalloc b\nfill b 3\n";
	repro r;
	repro_result res;
	parse_ok(text, &r);
	cr_assert_eq(repro_run(&r, &res, NULL), 0);
	cr_assert(res.reached, "%s", res.why);
	/* Whatever the seed protocol does there, the expect set decides the status. */
	cr_assert_eq(res.status, res.found.n ? REPRO_DIFFERS : REPRO_SAME);
	repro_strset found = {0};
	for (size_t i = 0; i < res.found.n; i++)
		repro_strset_add(&found, res.found.s[i]);
	repro_result_free(&res);
	repro_strset_free(&r.expect);
	for (size_t i = 0; i < found.n; i++)
		repro_strset_add(&r.expect, found.s[i]);
	cr_assert_eq(repro_run(&r, &res, NULL), 0);
	cr_assert_eq(res.status, REPRO_SAME);
	for (size_t i = 0; i < res.sigs.n; i++)
		cr_assert_not_null(strstr(res.sigs.s[i], "@pager/commit/meta_sync:once:alloc"), "%s", res.sigs.s[i]);
	repro_result_free(&res);
	repro_strset_free(&found);
	repro_free(&r);
}

Test(repro_save, names_by_content_and_never_overwrites, .init = support_setup, .fini = support_teardown)
{
	repro r;
	parse_ok(torn_page0, &r);
	char p1[4096], p2[4096], p3[4096];
	cr_assert_eq(repro_save(&r, support_dir, NULL, p1, sizeof p1), 0);
	cr_assert_not_null(strstr(p1, "/I-OPEN-"), "%s", p1);
	cr_assert_eq(repro_save(&r, support_dir, NULL, p2, sizeof p2), 1, "identical content: already there");
	cr_assert_str_eq(p1, p2);
	/* A different file squatting on the name: the next save takes a suffix. */
	support_write_file(p1, "something else\n");
	cr_assert_eq(repro_save(&r, support_dir, NULL, p3, sizeof p3), 0);
	cr_assert_str_neq(p1, p3);
	cr_assert_not_null(strstr(p3, "-1.repro"), "%s", p3);
	repro back;
	cr_assert_eq(repro_load(p3, &back, NULL, NULL), 0);
	cr_assert(repro_equal(&r, &back));
	repro_free(&back);
	repro_free(&r);
}

/* ---- the CLI's exit codes (support_run_cli, in the test's directory) ---- */

Test(repro_cli, exit_codes_same_differs_bad, .init = support_setup, .fini = support_teardown)
{
	support_write_file(support_path("good.repro"), torn_page0);
	char *w = strdup(torn_page0);
	*strstr(w, "I-DIR-INDEX") = 'X'; /* "X-DIR-INDEX": unknown id: a bad file */
	support_write_file(support_path("bad.repro"), w);
	free(w);
	support_write_file(support_path("wrong.repro"),
			   "#! tornpage repro 1\n#! atomic 512\n#! crash op 1 before-sync 4 persisted 0\n#! expect I-ATOMIC\n"
			   "create 10\npalloc p\n");
	cr_assert_eq(support_run_cli("repro good.repro", NULL, NULL), 0);
	cr_assert_eq(support_run_cli("repro --quiet good.repro", NULL, NULL), 0);
	cr_assert_eq(support_run_cli("repro wrong.repro", NULL, NULL), 1);
	cr_assert_eq(support_run_cli("repro bad.repro", NULL, NULL), 2);
	cr_assert_eq(support_run_cli("repro good.repro wrong.repro", NULL, NULL), 1);
	cr_assert_eq(support_run_cli("repro good.repro wrong.repro bad.repro", NULL, NULL), 2);
	cr_assert_eq(support_run_cli("repro missing.repro", NULL, NULL), 2);
	cr_assert_eq(support_run_cli("repro --signatures good.repro", NULL, NULL), 0);
}

static size_t count_repros(const char *dir)
{
	DIR *d = opendir(dir);
	cr_assert_not_null(d);
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += strstr(e->d_name, ".repro") != NULL;
	closedir(d);
	return n;
}

/* --save then --baseline, for crash and for matrix: what a run saves is exactly what a
 * later run knows; an empty baseline knows nothing; saved files replay. */
static void save_then_baseline(const char *cmd, const char *log_text)
{
	char args[1024];
	cr_assert_eq(mkdir(support_path("save"), 0755), 0);
	cr_assert_eq(mkdir(support_path("empty"), 0755), 0);
	support_write_file(support_path("empty/case.log"), log_text); /* a log is no reproducer */
	snprintf(args, sizeof args, "%s --quiet --save save empty/case.log", cmd);
	cr_assert_eq(support_run_cli(args, NULL, NULL), 1, "%s finds violations in this log", cmd);
	size_t saved = count_repros(support_path("save"));
	cr_assert_gt(saved, 0, "%s --save wrote no reproducer", cmd);
	cr_assert_eq(support_run_cli(args, NULL, NULL), 1);
	cr_assert_eq(count_repros(support_path("save")), saved, "a second --save of the same findings adds nothing");
	cr_assert_eq(support_run_cli("repro --quiet save/*.repro", NULL, NULL), 0,
		     "every saved reproducer replays to its verdicts");
	snprintf(args, sizeof args, "%s --quiet --baseline save empty/case.log", cmd);
	cr_assert_eq(support_run_cli(args, NULL, NULL), 0, "everything %s finds is in the baseline it saved", cmd);
	snprintf(args, sizeof args, "%s --quiet --baseline empty empty/case.log", cmd);
	cr_assert_eq(support_run_cli(args, NULL, NULL), 1, "an empty baseline knows nothing");
	snprintf(args, sizeof args, "%s --quiet --save save/missing empty/case.log", cmd);
	cr_assert_eq(support_run_cli(args, NULL, NULL), 2, "--save needs an existing directory");
}

Test(repro_cli, crash_save_then_baseline, .init = support_setup, .fini = support_teardown)
{
	save_then_baseline("crash", "create 10\npalloc p\npwrite p 3\n");
}

Test(repro_cli, matrix_save_then_baseline, .init = support_setup, .fini = support_teardown)
{
	support_need_fiu();
	save_then_baseline("matrix", "create 10\nalloc a\nfree a\npalloc p\npfree p\n");
}
