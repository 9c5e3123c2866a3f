/* test_html.c — the HTML report (tornpage/html.h) and the unit classification it draws
 * (crash_one_unit_states through repro_run's map): a torn page 0 is one persisted and one
 * lost unit, drawn green and red with a "torn" mark; hostile notes are escaped; the page
 * fetches nothing; crash findings and matrix cases fill their heat maps; one story per
 * signature. Headless Chromium renders the pages in scripts/html-check.sh. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tornpage/crash.h"
#include "tornpage/matrix.h"
#include "tornpage/html.h"
#include "tornpage/report.h"
#include "tornpage/repro.h"
#include "pager.h"
#include "support.h"

/* Torn page 0 in the first directory commit (1 KiB pages, 512-byte units): unit 0 of
 * page 0 reaches disk, unit 1 does not. The note is hostile markup. */
static const char torn_page0[] =
	"#! tornpage repro 1\n"
	"# torn page 0 <script>alert('x')</script> & \"quotes\"\n"
	"#! atomic 512\n"
	"#! crash op 1 before-sync 4 persisted 0\n"
	"#! expect I-OPEN\n"
	"#! expect I-DIR-INDEX\n"
	"create 10\n"
	"palloc p\n"
	"pwrite p 1\n";

static void parse(const char *text, repro *r)
{
	cr_assert_eq(repro_parse("t.repro", text, strlen(text), r, NULL, NULL), 0);
}

/* The page as a string (html_write into memory). */
static char *page_of(html_report *h)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert(f);
	cr_assert_eq(html_write(h, f), 0);
	cr_assert_eq(fclose(f), 0);
	return buf;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Nothing in the page may be fetched: no URL, no src, and the policy says so. */
static void assert_self_contained(const char *page)
{
	cr_assert(strstr(page, "Content-Security-Policy\" content=\"default-src 'none'"));
	cr_assert_null(strstr(page, "http://"));
	cr_assert_null(strstr(page, "https://"));
	cr_assert_null(strstr(page, " src="));
	cr_assert_null(strstr(page, "<link"));
	cr_assert_null(strstr(page, "@import"));
	cr_assert_eq(count(page, "<script>"), 1, "one script: the page's own");
}

Test(html_map, a_torn_page0_is_one_persisted_and_one_lost_unit)
{
	repro r;
	repro_result res;
	parse(torn_page0, &r);
	cr_assert_eq(repro_run(&r, &res, NULL), 0);
	cr_assert_eq(res.status, REPRO_SAME);
	const repro_map *m = &res.map;
	cr_assert_not_null(m->states);
	cr_assert_eq(m->unit, 512);
	cr_assert_eq(m->page_size, 1024);
	cr_assert_eq(m->nunits, m->len / 512);
	cr_assert_eq(m->npages, m->len / 1024);
	cr_assert_eq(m->states[0], CRASH_UNIT_PERSISTED);
	cr_assert_eq(m->states[1], CRASH_UNIT_LOST, "page 0's second unit is dirty and not persisted");
	cr_assert_eq(m->roles[0], PAGER_ROLE_SUPERBLOCK);
	/* Every other unit: synced or lost, never persisted (only unit 0 is listed). */
	for (uint64_t u = 2; u < m->nunits; u++)
		cr_assert_neq(m->states[u], CRASH_UNIT_PERSISTED, "unit %llu", (unsigned long long)u);
	repro_result_free(&res);
	repro_free(&r);
}

/* Disk faults take their own states: the torn unit is garbage (drawn, and named in the
 * story), a rotten unit is rotten; the other dirty unit of page 0 is still lost. */
Test(html_map, a_disk_fault_unit_has_its_own_state)
{
	static const char garbage[] = "#! tornpage repro 1\n#! atomic 512\n#! crash op 1 before-sync 4 persisted none\n"
				      "#! disk-fault torn-garbage unit 0 zeros\n#! expect I-OPEN\n#! expect I-SB-MAGIC\n"
				      "create 10\npalloc p\n";
	repro r;
	repro_result res;
	parse(garbage, &r);
	char *story = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&story, &len);
	cr_assert_eq(repro_run(&r, &res, f), 0);
	fclose(f);
	cr_assert_eq(res.status, REPRO_SAME, "%s", story);
	cr_assert_eq(res.map.states[0], CRASH_UNIT_GARBAGE);
	cr_assert_eq(res.map.states[1], CRASH_UNIT_LOST);
	cr_assert(strstr(story, "page 0 (superblock): <0 garbage> 1*"), "%s", story);
	html_report *h = html_new("t");
	cr_assert_eq(html_add_repro(h, "g.repro", &r), 0);
	char *page = page_of(h);
	cr_assert(strstr(page, "<title>unit 0 (page 0 superblock): garbage</title>"));
	cr_assert_null(strstr(page, "<g class=\"tornmark\">"), "garbage and lost: not a persisted/lost tear");
	free(page);
	html_free(h);
	free(story);
	repro_result_free(&res);
	repro_free(&r);
}

Test(html_map, a_fault_case_has_no_map)
{
	static const char fault[] = "#! tornpage repro 1\n#! atomic 512\n"
				    "#! fault pager/commit/meta_sync hit 1 mode once errno EIO\n#! expect ok\n"
				    "create 10\nalloc a\n";
	repro r;
	repro_result res;
	parse(fault, &r);
	cr_assert_eq(repro_run(&r, &res, NULL), 0);
	cr_assert_null(res.map.states);
	cr_assert_null(res.map.roles);
	repro_result_free(&res);
	repro_free(&r);
}

Test(html_page, a_story_with_its_unit_map_escaped_and_self_contained)
{
	repro r;
	parse(torn_page0, &r);
	html_report *h = html_new("tornpage repro <t>.repro");
	cr_assert(h);
	cr_assert_eq(html_add_repro(h, "t<1>.repro", &r), 0);
	repro_free(&r); /* the report keeps its own copy */
	char *page = page_of(h);
	assert_self_contained(page);
	cr_assert(strstr(page, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quotes&quot;"));
	cr_assert_null(strstr(page, "<script>alert"));
	cr_assert(strstr(page, "<title>tornpage: tornpage repro &lt;t&gt;.repro</title>"));
	cr_assert(strstr(page, "t&lt;1&gt;.repro"));
	cr_assert_eq(count(page, "<article class=\"story"), 1);
	cr_assert(strstr(page, "data-verdicts=\"I-DIR-INDEX I-OPEN\""));
	cr_assert(strstr(page, "\"status same\">reproduced<"));
	/* The map: page 0's units green (persisted) and red (lost), a torn mark. */
	cr_assert_eq(count(page, "<svg class=\"unitmap\""), 1);
	cr_assert(strstr(page, "<title>unit 0 (page 0 superblock): persisted</title>"));
	cr_assert(strstr(page, "<title>unit 1 (page 0 superblock): lost</title>"));
	cr_assert(strstr(page, "<g class=\"tornmark\">"));
	/* The legend names every state, from the library's table. */
	for (unsigned s = 0; s < CRASH_UNIT_STATES; s++)
		cr_assert(strstr(page, crash_unit_state_name((crash_unit_state)s)));
	/* The story, as `tornpage repro` prints it. */
	cr_assert(strstr(page, "units at the crash"));
	cr_assert(strstr(page, "page 0 (superblock): [0] 1*"));
	free(page);
	html_free(h);
}

typedef struct feed {
	html_report *h;
	const oplog *log;
	uint64_t findings;
} feed;

static void on_finding(void *arg, const crash_finding *f)
{
	feed *fd = arg;
	fd->findings++;
	cr_assert_eq(html_add_crash_finding(fd->h, fd->log, "p.log", f, 512, "tornpage crash p.log"), 0);
}

Test(html_page, crash_findings_fill_the_heat_map_with_one_story_per_signature)
{
	static const char text[] = "create 10\npalloc p\npwrite p 1\nalloc a\nfree a\n";
	oplog log;
	cr_assert_eq(oplog_parse("p.log", text, strlen(text), &log, NULL, NULL), 0);
	crash_cfg cfg = {.unit = 512, .sub = {SUBSETS_DEFAULT_EXHAUSTIVE, SUBSETS_DEFAULT_SAMPLES, 1}};
	crash_stats st;
	char msg[300];
	html_report *h = html_new("tornpage crash p.log");
	feed fd = {h, &log, 0};
	cr_assert_eq(crash_run(&log, &cfg, &st, on_finding, &fd, msg, sizeof msg), 0, "%s", msg);
	cr_assert_gt(fd.findings, 0, "the seed protocol has crash findings in a palloc");
	char *page = page_of(h);
	assert_self_contained(page);
	cr_assert(strstr(page, "<table class=\"heat\" id=\"crash-heat\">"));
	cr_assert(strstr(page, "data-v=\"I-OPEN\""));
	cr_assert(strstr(page, "<code>pager/dircommit/sb_sync</code>"));
	cr_assert_null(strstr(page, "id=\"matrix-heat\""));
	/* Stories: at least one, never more than the findings, each reproduced. */
	size_t n = count(page, "<article class=\"story");
	cr_assert_gt(n, 0);
	cr_assert_leq(n, fd.findings);
	cr_assert_eq(count(page, "\"status same\">reproduced<"), n);
	cr_assert_eq(count(page, "<svg class=\"unitmap\""), n, "every crash story draws its map");
	free(page);
	html_free(h);
	oplog_free(&log);
}

Test(html_page, the_matrix_heat_map_counts_cases_per_point_and_verdict)
{
	report r;
	matrix_cfg cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.unit = 512;
	cr_assert_eq(report_init(&r, &cfg), 0);
	cr_assert_eq(report_add_log(&r, "x.log", 3), 0);
	/* Two cases at one point: one with F-ATOMIC twice (counted once) and I-LEAK, one clean. */
	static report_verdict v[] = {{"F-ATOMIC", 1, 2, "op", 1, "a", "b"},
				     {"F-ATOMIC", 2, 3, "op", 1, "a", "b"},
				     {"I-LEAK", 1, 2, "end", 0, "a", "b"}};
	report_case cs[2];
	memset(cs, 0, sizeof cs);
	for (int i = 0; i < 2; i++) {
		cs[i].point = "pager/commit/meta_sync";
		cs[i].mode = "once";
		cs[i].fired = 1;
	}
	cs[0].v = v;
	cs[0].nv = 3;
	report fake = r;
	fake.cases = cs;
	fake.ncases = 2;
	html_report *h = html_new("tornpage matrix x.log");
	cr_assert_eq(html_add_matrix(h, &fake), 0);
	char *page = page_of(h);
	assert_self_contained(page);
	cr_assert(strstr(page, "<table class=\"heat\" id=\"matrix-heat\">"));
	cr_assert(strstr(page, "F-ATOMIC at pager/commit/meta_sync (once): 1 of 2 cases\">1</td>"), "%s", page);
	cr_assert(strstr(page, "I-LEAK at pager/commit/meta_sync (once): 1 of 2 cases, not fatal\">1</td>"));
	/* F-* columns first. */
	cr_assert_lt(strstr(page, "data-v=\"F-ATOMIC\""), strstr(page, "data-v=\"I-LEAK\""));
	cr_assert_eq(count(page, "<article"), 0);
	free(page);
	html_free(h);
	report_free(&r);
}

Test(html_page, html_save_reports_a_write_error)
{
	html_report *h = html_new("t");
	cr_assert_eq(html_save(h, "/nonexistent-dir/x.html"), -1);
	FILE *full = fopen("/dev/full", "w");
	if (full) {
		int rc = html_write(h, full);
		rc |= fclose(full);
		cr_assert_neq(rc, 0, "a full disk is an error");
	}
	html_free(h);
}
