/* test_report.c — the matrix reports on hand-made records (no matrix run): JSON that
 * json-c reads back exactly (escapes, invalid UTF-8, u64 seeds), JUnit that xmllint
 * accepts whatever the strings hold, the point x verdict table, Markdown, and merge's
 * refusals. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tornpage/matrix.h"
#include "tornpage/report.h"
#include "support.h"

static const char NASTY[] = "quote \" backslash \\ tab\t nl\n cr\r ctl\x01\x1f amp & lt < gt > apos ' "
			    "utf8 \xc3\xa9\xe2\x82\xac bad \xff\xc3( surrogate \xed\xa0\x80 nonchar \xef\xbf\xbe";

/* A report with two logs and three cases, by hand. */
static void make(report *r, uint32_t shard, uint32_t nshards, const char *odd)
{
	matrix_cfg cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.unit = 512;
	cfg.seed = UINT64_MAX - 5; /* past 2^53: written as a string */
	cfg.lost_writes = 1;
	cfg.errs[0] = EIO;
	cfg.errs[1] = ENOSPC;
	cfg.nerrs = 2;
	cfg.shard = shard;
	cfg.nshards = nshards;
	cr_assert_eq(report_init(r, &cfg), 0);
	cr_assert_eq(report_add_log(r, odd, 5), 0);
	cr_assert_eq(report_add_log(r, "b.log", 3), 1);
	r->logs[0].cases = 2;
	r->logs[1].cases = 1;
	oplog log;
	const char *text = "create 10\nalloc a\nfill a 1\nfree a\nreopen\n";
	cr_assert_eq(oplog_parse("t", text, strlen(text), &log, NULL, NULL), 0);
	char exp[300], found[300];
	snprintf(exp, sizeof exp, "expected %s", odd);
	snprintf(found, sizeof found, "found %s", NASTY);
	matrix_verdict v[2] = {{"F-ATOMIC", 1, MATRIX_AT_OP, 1, exp, found, ""},
			       {"I-LEAK", 3, MATRIX_AT_END, 0, "every allocated page reachable", "1 page(s)", ""}};
	matrix_result res;
	memset(&res, 0, sizeof res);
	res.c = (matrix_case){"pager/commit/meta_sync", 1, MATRIX_ONCE, EIO, 1, UINT64_MAX, 0};
	res.ordinal = 0;
	res.op = 1;
	res.fired = 1;
	res.rc = -1;
	res.err_seen = EIO;
	res.continued = 3;
	res.seconds = 0.25;
	res.v = v;
	res.nv = 2;
	cr_assert_eq(report_add_result(r, 0, &log, &res), 0);
	res.c.hit = 2;
	res.c.mode = MATRIX_PERSIST;
	res.ordinal = 1;
	res.op = 3;
	res.rc = 0;
	res.v = &v[1];
	res.nv = 1;
	res.preexisting = 2;
	cr_assert_eq(report_add_result(r, 0, &log, &res), 0);
	res.c = (matrix_case){"pager/open/map", 1, MATRIX_ONCE, ENOSPC, 0, 9, 0};
	res.ordinal = 2;
	res.op = 4;
	res.nv = 0;
	res.fired = 0;
	cr_assert_eq(report_add_result(r, 1, &log, &res), 0);
	oplog_free(&log);
}

Test(report_json, reads_back_exactly_what_it_wrote, .init = support_setup, .fini = support_teardown)
{
	report a, b;
	char msg[400];
	make(&a, 0, 0, NASTY);
	cr_assert_eq(report_save(&a, support_path("a.json"), report_write_json), 0);
	cr_assert_eq(report_read_json(support_path("a.json"), &b, msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(b.seed, UINT64_MAX - 5);
	cr_assert_eq(b.cases[0].seed, UINT64_MAX);
	cr_assert_str_eq(b.errnos, "EIO,ENOSPC");
	cr_assert_str_eq(b.modes, "once,persist");
	cr_assert_eq(b.nlogs, 2);
	cr_assert_eq(b.cases[1].preexisting, 2);
	cr_assert_str_eq(b.cases[0].result, "PAGER_EIO (EIO)");
	cr_assert_str_eq(b.cases[0].op_text, "alloc a");
	cr_assert_str_eq(b.cases[2].op_text, "reopen");
	/* valid UTF-8 and every ASCII byte survive; invalid bytes become U+FFFD */
	const char *f = b.cases[0].v[0].found;
	cr_assert(strstr(f, "quote \" backslash \\ tab\t nl\n cr\r ctl\x01\x1f amp & lt < gt > apos ' utf8 \xc3\xa9\xe2\x82\xac"));
	cr_assert(strstr(f, "bad \xef\xbf\xbd\xef\xbf\xbd( surrogate \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"), "%s", f);
	/* a second round trip is exact */
	report c;
	cr_assert_eq(report_save(&b, support_path("b.json"), report_write_json), 0);
	cr_assert_eq(report_read_json(support_path("b.json"), &c, msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(report_cases_equal(&b, &c, msg, sizeof msg), 0, "%s", msg);
	cr_assert_str_eq(c.logs[0].path, b.logs[0].path);
	report_free(&a);
	report_free(&b);
	report_free(&c);
}

Test(report_json, names_the_field_it_cannot_use, .init = support_setup, .fini = support_teardown)
{
	report r;
	char msg[400];
	support_write_file(support_path("bad.json"), "{\"format\": \"tornpage-matrix\", \"schema\": 2, \"params\": {\"io\": 3}}");
	cr_assert_neq(report_read_json(support_path("bad.json"), &r, msg, sizeof msg), 0);
	cr_assert(strstr(msg, "params.io"), "%s", msg);
	support_write_file(support_path("trunc.json"), "{\"format\": \"tornpage-matrix\", ");
	cr_assert_neq(report_read_json(support_path("trunc.json"), &r, msg, sizeof msg), 0);
	cr_assert_neq(report_read_json(support_path("missing.json"), &r, msg, sizeof msg), 0);
	support_write_file(support_path("schema.json"), "{\"format\": \"tornpage-matrix\", \"schema\": 99}");
	cr_assert_neq(report_read_json(support_path("schema.json"), &r, msg, sizeof msg), 0);
	cr_assert(strstr(msg, "schema 99"), "%s", msg);
	/* a case whose log_index does not name its log */
	report a;
	make(&a, 0, 0, "a.log");
	a.cases[2].log_index = 0; /* its log is b.log, index 1 */
	cr_assert_eq(report_save(&a, support_path("idx.json"), report_write_json), 0);
	report_free(&a);
	cr_assert_neq(report_read_json(support_path("idx.json"), &r, msg, sizeof msg), 0);
	cr_assert(strstr(msg, "log_index"), "%s", msg);
}

Test(report_junit, is_valid_xml_whatever_the_strings_hold, .init = support_setup, .fini = support_teardown)
{
	if (system("command -v xmllint >/dev/null 2>&1"))
		cr_skip_test("xmllint not installed");
	report r;
	make(&r, 0, 0, NASTY);
	cr_assert_eq(report_save(&r, support_path("j.xml"), report_write_junit), 0);
	char cmd[800];
	snprintf(cmd, sizeof cmd, "xmllint --noout '%s'", support_path("j.xml"));
	cr_assert_eq(system(cmd), 0);
	/* 3 cases: one failure (F-ATOMIC), one passing with a non-fatal note, one skipped */
	snprintf(cmd, sizeof cmd,
		 "f='%s'; test \"$(xmllint --xpath 'count(//testcase)' $f)\" = 3 && "
		 "test \"$(xmllint --xpath 'count(//testcase/failure)' $f)\" = 1 && "
		 "test \"$(xmllint --xpath 'count(//testcase/skipped)' $f)\" = 1 && "
		 "test \"$(xmllint --xpath 'string(//failure/@message)' $f)\" = F-ATOMIC && "
		 "test \"$(xmllint --xpath 'string(//testcase[failure]/@name)' $f)\" = pager/commit/meta_sync/1/once/EIO && "
		 "test \"$(xmllint --xpath 'string(/testsuites/@failures)' $f)\" = 1",
		 support_path("j.xml"));
	cr_assert_eq(system(cmd), 0);
	report_free(&r);
}

Test(report_table, counts_cases_per_point_mode_and_verdict, .init = support_setup, .fini = support_teardown)
{
	report r;
	make(&r, 0, 0, "a.log");
	FILE *f = fopen(support_path("t.txt"), "w+");
	cr_assert_eq(report_write_table(&r, f), 0);
	rewind(f);
	char buf[4096];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = 0;
	fclose(f);
	cr_assert(strstr(buf, "point"), "%s", buf);
	cr_assert(strstr(buf, "F-SILENT F-ATOMIC F-STOP F-CONTINUE"), "%s", buf);
	/* meta_sync once: 1 case, F-ATOMIC 1, I-LEAK 1 */
	char *row = strstr(buf, "pager/commit/meta_sync         once");
	cr_assert_not_null(row, "%s", buf);
	unsigned long long v[9];
	cr_assert_eq(sscanf(row + 38, "%llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
			    &v[4], &v[5], &v[6], &v[7], &v[8]),
		     9, "%s", row);
	cr_assert_eq(v[0], 1);
	cr_assert_eq(v[2], 1); /* F-ATOMIC */
	cr_assert_eq(v[8], 1); /* I-LEAK */
	cr_assert(strstr(buf, "total"), "%s", buf);
	cr_assert_eq(report_save(&r, support_path("r.md"), report_write_md), 0);
	f = fopen(support_path("r.md"), "r");
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = 0;
	fclose(f);
	cr_assert(strstr(buf, "| point | mode | cases |"), "%s", buf);
	cr_assert(strstr(buf, "**3 cases**"), "%s", buf);
	report_free(&r);
}

Test(report_merge, refuses_other_runs_and_repeated_shards)
{
	report a, b, c;
	char msg[400];
	make(&a, 0, 2, "a.log");
	make(&b, 0, 2, "a.log");
	cr_assert_neq(report_merge(&a, &b, msg, sizeof msg), 0); /* shard 0 twice */
	cr_assert(strstr(msg, "in both"), "%s", msg);
	report_free(&b);
	make(&b, 1, 2, "other.log");
	cr_assert_neq(report_merge(&a, &b, msg, sizeof msg), 0); /* other logs */
	report_free(&b);
	make(&b, 1, 3, "a.log");
	cr_assert_neq(report_merge(&a, &b, msg, sizeof msg), 0); /* other shard count */
	report_free(&b);
	make(&b, 1, 2, "a.log");
	/* same ordinals in both hand-made shards: a case cannot be in two shards */
	cr_assert_neq(report_merge(&a, &b, msg, sizeof msg), 0);
	cr_assert(strstr(msg, "more than one shard"), "%s", msg);
	report_free(&a);
	report_free(&b);
	make(&a, 0, 2, "a.log");
	make(&c, 1, 2, "a.log");
	for (size_t i = 0; i < c.ncases; i++)
		c.cases[i].ordinal += 10;
	cr_assert_eq(report_merge(&a, &c, msg, sizeof msg), 0, "%s", msg);
	cr_assert(report_complete(&a));
	cr_assert_eq(a.ncases, 6);
	for (size_t i = 1; i < a.ncases; i++)
		cr_assert_lt(a.cases[i - 1].ordinal, a.cases[i].ordinal);
	report_free(&a);
	report_free(&c);
}

Test(report_errno, names_and_numbers)
{
	char b[16];
	cr_assert_eq(matrix_errno_parse("EIO"), EIO);
	cr_assert_eq(matrix_errno_parse("ENOSPC"), ENOSPC);
	cr_assert_eq(matrix_errno_parse("5"), 5);
	cr_assert_eq(matrix_errno_parse("EWHAT"), 0);
	cr_assert_eq(matrix_errno_parse("0"), 0);
	cr_assert_eq(matrix_errno_parse("4096"), 0);
	cr_assert_str_eq(matrix_errno_name(EIO, b), "EIO");
	cr_assert_str_eq(matrix_errno_name(4000, b), "4000");
}

/* ---- the images parameter (durable images judged or not) ---------------------------- */

Test(report_params, images_is_recorded_written_read_and_must_match_to_merge, .init = support_setup, .fini = support_teardown)
{
	matrix_cfg cfg;
	report r, back;
	char msg[400];
	/* simdisk without --no-images judges images; --no-images and posix do not */
	memset(&cfg, 0, sizeof cfg);
	cr_assert_eq(report_init(&r, &cfg), 0);
	cr_assert(r.images);
	cr_assert_eq(r.exhaustive, 12);
	report_free(&r);
	cfg.no_images = 1;
	cr_assert_eq(report_init(&r, &cfg), 0);
	cr_assert(!r.images);
	report_free(&r);
	cfg.no_images = 0;
	cfg.posix = 1;
	cfg.exhaustive = 5;
	cr_assert_eq(report_init(&r, &cfg), 0);
	cr_assert(!r.images);
	cr_assert_eq(r.exhaustive, 5);
	report_free(&r);

	/* JSON: params.images round-trips; JUnit: an images property; Markdown: the banner */
	make(&r, 0, 2, "a.log");
	cr_assert(r.images);
	cr_assert_eq(report_save(&r, support_path("p.json"), report_write_json), 0);
	char *text = support_slurp(support_path("p.json"));
	cr_assert(strstr(text, "\"images\": true"), "%s", text);
	free(text);
	cr_assert_eq(report_read_json(support_path("p.json"), &back, msg, sizeof msg), 0, "%s", msg);
	cr_assert(back.images);
	cr_assert_eq(back.exhaustive, 12);
	cr_assert_eq(report_save(&r, support_path("p.xml"), report_write_junit), 0);
	text = support_slurp(support_path("p.xml"));
	cr_assert(strstr(text, "<property name=\"images\" value=\"true\"/>"));
	free(text);
	cr_assert_eq(report_save(&r, support_path("p.md"), report_write_md), 0);
	text = support_slurp(support_path("p.md"));
	cr_assert(strstr(text, "durable images judged"));
	free(text);
	report_free(&back);
	r.images = 0;
	cr_assert_eq(report_save(&r, support_path("p.json"), report_write_json), 0);
	cr_assert_eq(report_read_json(support_path("p.json"), &back, msg, sizeof msg), 0, "%s", msg);
	cr_assert(!back.images);
	cr_assert_eq(report_save(&r, support_path("p.md"), report_write_md), 0);
	text = support_slurp(support_path("p.md"));
	cr_assert(strstr(text, "durable images not judged"));
	free(text);
	r.images = 1;

	/* shards judged differently are not one matrix */
	report other;
	make(&other, 1, 2, "a.log");
	for (size_t i = 0; i < other.ncases; i++)
		other.cases[i].ordinal += 10;
	other.images = 0;
	cr_assert_neq(report_merge(&r, &other, msg, sizeof msg), 0);
	cr_assert(strstr(msg, "images"), "%s", msg);
	cr_assert_eq(r.ncases, 3, "a refused merge leaves dst as it was");
	other.images = 1;
	other.exhaustive = 4;
	cr_assert_neq(report_merge(&r, &other, msg, sizeof msg), 0);
	other.exhaustive = 12;
	cr_assert_eq(report_merge(&r, &other, msg, sizeof msg), 0, "%s", msg);
	report_free(&other);
	report_free(&back);
	report_free(&r);
}

Test(report_junit, a_log_given_twice_has_distinct_testcase_names, .init = support_setup, .fini = support_teardown)
{
	report r;
	make(&r, 0, 0, "same.log");
	/* the second log is the same path: cases of both must stay apart */
	free(r.logs[1].path);
	r.logs[1].path = strdup("same.log");
	free(r.cases[2].log);
	r.cases[2].log = strdup("same.log");
	free(r.cases[2].point);
	r.cases[2].point = strdup(r.cases[0].point);
	r.cases[2].hit = r.cases[0].hit;
	free(r.cases[2].mode);
	r.cases[2].mode = strdup(r.cases[0].mode);
	free(r.cases[2].err);
	r.cases[2].err = strdup(r.cases[0].err);
	cr_assert_eq(report_save(&r, support_path("d.xml"), report_write_junit), 0);
	char *x = support_slurp(support_path("d.xml"));
	/* each case once, in its own log's suite, under a name naming the log's index */
	cr_assert(strstr(x, "name=\"pager/commit/meta_sync/1/once/EIO #0\""), "%s", x);
	cr_assert(strstr(x, "name=\"pager/commit/meta_sync/1/once/EIO #1\""), "%s", x);
	size_t n = 0;
	for (const char *p = x; (p = strstr(p, "<testcase ")); p++)
		n++;
	cr_assert_eq(n, 3, "%s", x);
	/* JSON keeps which log a case belongs to */
	report back;
	char msg[400];
	cr_assert_eq(report_save(&r, support_path("d.json"), report_write_json), 0);
	cr_assert_eq(report_read_json(support_path("d.json"), &back, msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(back.cases[2].log_index, 1);
	cr_assert_eq(back.cases[0].log_index, 0);
	report again;
	cr_assert_eq(report_read_json(support_path("d.json"), &again, msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(report_cases_equal(&again, &back, msg, sizeof msg), 0, "%s", msg);
	back.cases[2].log_index = 0;
	cr_assert_neq(report_cases_equal(&again, &back, msg, sizeof msg), 0, "the log a case belongs to counts");
	report_free(&again);
	if (system("command -v xmllint >/dev/null 2>&1") == 0) {
		char cmd[600];
		snprintf(cmd, sizeof cmd, "xmllint --noout '%s'", support_path("d.xml"));
		cr_assert_eq(system(cmd), 0);
	}
	free(x);
	report_free(&back);
	report_free(&r);
}
