/* test_matrix_cli.c — `tornpage matrix` and `tornpage merge` as CI runs them: shards
 * merged by the CLI equal one full run (the JSON compared without its timing fields),
 * the banner tells whether durable images are judged, a --points glob that matches no
 * point is an error, an errno given twice is one, and a log given twice keeps its
 * JUnit testcases apart. The CLI is TORNPAGE_CLI_PATH (else tornpage next to this test). */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "matrix.h"
#include "report.h"

static char dir[] = "/tmp/tornpage-test-matrix-cli-XXXXXX";

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	(void)!system(cmd);
}

static const char *in_dir(const char *name)
{
	static char p[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
	return p[i];
}

/* Run the CLI with args (stdout to out, stderr to err, if given); its exit status. */
static int run_cli(const char *args, const char *out, const char *err)
{
	char self[PATH_MAX], cmd[PATH_MAX * 3];
#ifdef TORNPAGE_CLI_PATH
	snprintf(self, sizeof self, "%s", TORNPAGE_CLI_PATH);
#else
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	cr_assert_gt(n, 0);
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	cr_assert_not_null(slash);
	snprintf(slash, sizeof self - (size_t)(slash - self), "/tornpage");
#endif
	snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s >'%s' 2>'%s'", dir, self, args, out ? out : "/dev/null",
		 err ? err : "/dev/null");
	int st = system(cmd);
	cr_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *s = malloc((size_t)n + 1);
	cr_assert_not_null(s);
	cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = 0;
	fclose(f);
	return s;
}

#define NEED_FIU()                                                          \
	do {                                                                \
		if (!matrix_available())                                    \
			cr_skip_test("built without libfiu: no fault matrix"); \
	} while (0)

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

Test(matrix_cli, two_shards_merged_by_the_cli_equal_the_full_run, .init = setup, .fini = teardown)
{
	NEED_FIU();
	write_file(in_dir("a.log"), LOG_A);
	write_file(in_dir("b.log"), LOG_B);
	const char *common = "a.log b.log --lost-writes --seed 5 --quiet";
	char args[512];
	snprintf(args, sizeof args, "matrix %s --json full.json --junit full.xml", common);
	cr_assert_eq(run_cli(args, NULL, NULL), 1, "the seed protocol has fatal verdicts");
	for (int i = 0; i < 2; i++) {
		snprintf(args, sizeof args, "matrix %s --shard %d/2 --json s%d.json", common, i, i);
		int rc = run_cli(args, NULL, NULL);
		cr_assert(rc == 0 || rc == 1, "shard %d: exit %d", i, rc);
	}
	/* a shard alone is incomplete: merge refuses it without --partial */
	cr_assert_eq(run_cli("merge s0.json --json part.json", NULL, NULL), 2);
	cr_assert_eq(run_cli("merge s1.json s0.json --json merged.json --junit merged.xml", NULL, NULL), 1);
	report full, merged;
	char msg[400];
	cr_assert_eq(report_read_json(in_dir("full.json"), &full, msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(report_read_json(in_dir("merged.json"), &merged, msg, sizeof msg), 0, "%s", msg);
	cr_assert_gt(full.ncases, 20);
	assert_same_run(&full, &merged);
	/* the JUnit files hold the same testcases (names and outcomes) */
	char *fx = slurp(in_dir("full.xml")), *mx = slurp(in_dir("merged.xml"));
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
	cr_assert_eq(run_cli("matrix a.log b.log --lost-writes --seed 5 --quiet --no-images --shard 1/2 --json n1.json",
			     NULL, NULL) <= 1,
		     1);
	cr_assert_eq(run_cli("merge s0.json n1.json --json x.json", NULL, in_dir("err.txt")), 2);
	char *err = slurp(in_dir("err.txt"));
	cr_assert(strstr(err, "images"), "%s", err);
	free(err);
	report_free(&full);
	report_free(&merged);
}

Test(matrix_cli, the_banner_and_the_reports_say_whether_images_are_judged, .init = setup, .fini = teardown)
{
	NEED_FIU();
	write_file(in_dir("a.log"), LOG_A);
	run_cli("matrix a.log --quiet --json i.json", in_dir("out.txt"), NULL);
	char *out = slurp(in_dir("out.txt"));
	cr_assert(strstr(out, "durable images judged"), "%s", out);
	cr_assert(strstr(out, "continue rest of the log"), "%s", out);
	free(out);
	char *js = slurp(in_dir("i.json"));
	cr_assert(strstr(js, "\"images\": true"), "%.400s", js);
	free(js);
	run_cli("matrix a.log --quiet --no-images --continue 3 --json n.json", in_dir("out.txt"), NULL);
	out = slurp(in_dir("out.txt"));
	cr_assert(strstr(out, "durable images not judged"), "%s", out);
	cr_assert(strstr(out, "continue 3 ops"), "%s", out);
	free(out);
	js = slurp(in_dir("n.json"));
	cr_assert(strstr(js, "\"images\": false"), "%.400s", js);
	cr_assert(strstr(js, "\"continue\": 3"), "%.400s", js);
	free(js);
	run_cli("matrix a.log --quiet --io posix", in_dir("out.txt"), NULL);
	out = slurp(in_dir("out.txt"));
	cr_assert(strstr(out, "durable images not judged"), "%s", out);
	free(out);
}

Test(matrix_cli, a_points_glob_that_matches_nothing_is_an_error, .init = setup, .fini = teardown)
{
	NEED_FIU();
	write_file(in_dir("a.log"), LOG_A);
	cr_assert_eq(run_cli("matrix a.log --quiet --points 'pager/commit/*,pager/comit/*'", NULL, in_dir("err.txt")), 2);
	char *err = slurp(in_dir("err.txt"));
	cr_assert(strstr(err, "'pager/comit/*' matches no fault point"), "%s", err);
	cr_assert(!strstr(err, "'pager/commit/*'"), "%s", err);
	free(err);
	int rc = run_cli("matrix a.log --quiet --points 'pager/commit/*'", NULL, NULL);
	cr_assert(rc == 0 || rc == 1, "exit %d", rc);
}

Test(matrix_cli, an_errno_given_twice_is_one_errno, .init = setup, .fini = teardown)
{
	NEED_FIU();
	write_file(in_dir("a.log"), LOG_A);
	run_cli("matrix a.log --quiet --errno EIO --json one.json", NULL, NULL);
	run_cli("matrix a.log --quiet --errno EIO,ENOSPC,EIO,5 --json two.json", NULL, NULL);
	report one, two;
	char msg[400];
	cr_assert_eq(report_read_json(in_dir("one.json"), &one, msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(report_read_json(in_dir("two.json"), &two, msg, sizeof msg), 0, "%s", msg);
	cr_assert_str_eq(two.errnos, "EIO,ENOSPC"); /* 5 is EIO */
	cr_assert_eq(two.ncases, 2 * one.ncases);
	report_free(&one);
	report_free(&two);
}

Test(matrix_cli, a_log_given_twice_keeps_its_junit_testcases_apart, .init = setup, .fini = teardown)
{
	NEED_FIU();
	write_file(in_dir("a.log"), LOG_A);
	run_cli("matrix a.log a.log --quiet --junit twice.xml --json twice.json", NULL, NULL);
	char *x = slurp(in_dir("twice.xml"));
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
	cr_assert_eq(report_read_json(in_dir("twice.json"), &r, msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(r.ncases, n);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	report_free(&r);
	free(x);
}
