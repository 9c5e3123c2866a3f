/* test_matrix_cli.c — `tornpage matrix` and `tornpage merge` as CI runs them: shards
 * merged by the CLI equal one full run (the JSON compared without its timing fields),
 * the banner tells whether durable images are judged, a --points glob that matches no
 * point is an error, an errno given twice is one, and a log given twice keeps its
 * JUnit testcases apart. The CLI runs in the test's directory (support.h). */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tornpage/matrix.h"
#include "tornpage/report.h"
#include "support.h"

static const char LOG_A[] = "create 10\nalloc a\nfill a 7\npalloc p\npwrite p 9\nreopen\npwrite p 11\nfree a\n";
static const char LOG_B[] = "create 10\nalloc a\nalloc b\nalloc c\nalloc d\nalloc e\nalloc f\n";

/* Two reports of one matrix hold the same thing, timings aside. */
static void assert_same_run(const report *a, const report *b)
{
	char msg[400];
	cr_assert_str_eq(a->io, b->io);
	cr_assert_eq(a->atomic, b->atomic);
	cr_assert_str_eq(a->points, b->points);
	cr_assert_str_eq(a->modes, b->modes);
	cr_assert_str_eq(a->errnos, b->errnos);
	cr_assert_eq(a->lost_writes, b->lost_writes);
	cr_assert_eq(a->images, b->images);
	cr_assert_eq(a->exhaustive, b->exhaustive);
	cr_assert_eq(a->seed, b->seed);
	cr_assert_eq(a->cont, b->cont);
	cr_assert_eq(a->nlogs, b->nlogs);
	for (size_t i = 0; i < a->nlogs; i++) {
		cr_assert_str_eq(a->logs[i].path, b->logs[i].path);
		cr_assert_eq(a->logs[i].ops, b->logs[i].ops);
		cr_assert_eq(a->logs[i].cases, b->logs[i].cases);
		cr_assert_eq(!a->logs[i].error, !b->logs[i].error);
	}
	cr_assert(report_complete(a));
	cr_assert(report_complete(b));
	cr_assert_eq(report_cases_equal(a, b, msg, sizeof msg), 0, "%s", msg);
}

Test(matrix_cli, two_shards_merged_by_the_cli_equal_the_full_run, .init = support_setup, .fini = support_teardown)
{
	support_need_fiu();
	support_write_file(support_path("a.log"), LOG_A);
	support_write_file(support_path("b.log"), LOG_B);
	const char *common = "a.log b.log --lost-writes --seed 5 --quiet";
	char args[512];
	snprintf(args, sizeof args, "matrix %s --json full.json --junit full.xml", common);
	cr_assert_eq(support_run_cli(args, NULL, NULL), 1, "the seed protocol has fatal verdicts");
	for (int i = 0; i < 2; i++) {
		snprintf(args, sizeof args, "matrix %s --shard %d/2 --json s%d.json", common, i, i);
		int rc = support_run_cli(args, NULL, NULL);
		cr_assert(rc == 0 || rc == 1, "shard %d: exit %d", i, rc);
	}
	/* a shard alone is incomplete: merge refuses it without --partial */
	cr_assert_eq(support_run_cli("merge s0.json --json part.json", NULL, NULL), 2);
	cr_assert_eq(support_run_cli("merge s1.json s0.json --json merged.json --junit merged.xml", NULL, NULL), 1);
	report full, merged;
	char msg[400];
	cr_assert_eq(report_read_json(support_path("full.json"), &full, msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(report_read_json(support_path("merged.json"), &merged, msg, sizeof msg), 0, "%s", msg);
	cr_assert_gt(full.ncases, 20);
	assert_same_run(&full, &merged);
	/* the JUnit files hold the same testcases (names and outcomes) */
	char *fx = support_slurp(support_path("full.xml")), *mx = support_slurp(support_path("merged.xml"));
	size_t nf = 0, nm = 0;
	for (const char *p = fx; (p = strstr(p, "<testcase ")); p++)
		nf++;
	for (const char *p = mx; (p = strstr(p, "<testcase ")); p++)
		nm++;
	cr_assert_eq(nf, full.ncases);
	cr_assert_eq(nm, nf);
	free(fx);
	free(mx);
	/* shards of another run do not merge */
	cr_assert_eq(support_run_cli("matrix a.log b.log --lost-writes --seed 5 --quiet --no-images --shard 1/2 --json n1.json",
			     NULL, NULL) <= 1,
		     1);
	cr_assert_eq(support_run_cli("merge s0.json n1.json --json x.json", NULL, support_path("err.txt")), 2);
	char *err = support_slurp(support_path("err.txt"));
	cr_assert(strstr(err, "images"), "%s", err);
	free(err);
	report_free(&full);
	report_free(&merged);
}

Test(matrix_cli, the_banner_and_the_reports_say_whether_images_are_judged, .init = support_setup, .fini = support_teardown)
{
	support_need_fiu();
	support_write_file(support_path("a.log"), LOG_A);
	support_run_cli("matrix a.log --quiet --json i.json", support_path("out.txt"), NULL);
	char *out = support_slurp(support_path("out.txt"));
	cr_assert(strstr(out, "durable images judged"), "%s", out);
	cr_assert(strstr(out, "continue rest of the log"), "%s", out);
	free(out);
	char *js = support_slurp(support_path("i.json"));
	cr_assert(strstr(js, "\"images\": true"), "%.400s", js);
	free(js);
	support_run_cli("matrix a.log --quiet --no-images --continue 3 --json n.json", support_path("out.txt"), NULL);
	out = support_slurp(support_path("out.txt"));
	cr_assert(strstr(out, "durable images not judged"), "%s", out);
	cr_assert(strstr(out, "continue 3 ops"), "%s", out);
	free(out);
	js = support_slurp(support_path("n.json"));
	cr_assert(strstr(js, "\"images\": false"), "%.400s", js);
	cr_assert(strstr(js, "\"continue\": 3"), "%.400s", js);
	free(js);
	support_run_cli("matrix a.log --quiet --io posix", support_path("out.txt"), NULL);
	out = support_slurp(support_path("out.txt"));
	cr_assert(strstr(out, "durable images not judged"), "%s", out);
	free(out);
}

Test(matrix_cli, a_points_glob_that_matches_nothing_is_an_error, .init = support_setup, .fini = support_teardown)
{
	support_need_fiu();
	support_write_file(support_path("a.log"), LOG_A);
	cr_assert_eq(support_run_cli("matrix a.log --quiet --points 'pager/commit/*,pager/comit/*'", NULL, support_path("err.txt")), 2);
	char *err = support_slurp(support_path("err.txt"));
	cr_assert(strstr(err, "'pager/comit/*' matches no fault point"), "%s", err);
	cr_assert(!strstr(err, "'pager/commit/*'"), "%s", err);
	free(err);
	int rc = support_run_cli("matrix a.log --quiet --points 'pager/commit/*'", NULL, NULL);
	cr_assert(rc == 0 || rc == 1, "exit %d", rc);
}

Test(matrix_cli, an_errno_given_twice_is_one_errno, .init = support_setup, .fini = support_teardown)
{
	support_need_fiu();
	support_write_file(support_path("a.log"), LOG_A);
	support_run_cli("matrix a.log --quiet --errno EIO --json one.json", NULL, NULL);
	support_run_cli("matrix a.log --quiet --errno EIO,ENOSPC,EIO,5 --json two.json", NULL, NULL);
	report one, two;
	char msg[400];
	cr_assert_eq(report_read_json(support_path("one.json"), &one, msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(report_read_json(support_path("two.json"), &two, msg, sizeof msg), 0, "%s", msg);
	cr_assert_str_eq(two.errnos, "EIO,ENOSPC"); /* 5 is EIO */
	cr_assert_eq(two.ncases, 2 * one.ncases);
	report_free(&one);
	report_free(&two);
}

Test(matrix_cli, a_log_given_twice_keeps_its_junit_testcases_apart, .init = support_setup, .fini = support_teardown)
{
	support_need_fiu();
	support_write_file(support_path("a.log"), LOG_A);
	support_run_cli("matrix a.log a.log --quiet --junit twice.xml --json twice.json", NULL, NULL);
	char *x = support_slurp(support_path("twice.xml"));
	/* every (classname, name) pair once */
	size_t n = 0, dup = 0;
	char *names[4096];
	for (char *p = x; (p = strstr(p, "<testcase ")) && n < 4096; p++) {
		char *a = strstr(p, "classname=\""), *b = strstr(p, " name=\"");
		cr_assert(a && b);
		char *e = strstr(b + 7, "\"");
		size_t len = (size_t)(e - a);
		names[n] = strndup(a, len);
		for (size_t i = 0; i < n; i++)
			dup += !strcmp(names[i], names[n]);
		n++;
	}
	cr_assert_gt(n, 10);
	cr_assert_eq(dup, 0, "%zu duplicate testcases in %s", dup, x);
	cr_assert(strstr(x, " #1\""), "the second copy names its index");
	report r;
	char msg[400];
	cr_assert_eq(report_read_json(support_path("twice.json"), &r, msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(r.ncases, n);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	report_free(&r);
	free(x);
}
