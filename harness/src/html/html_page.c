/* html_page.c — the HTML report's page (html.h): the head with its inline style and a
 * Content-Security-Policy that forbids every fetch, the summary tiles, the heat maps, one
 * card per reproducer (replayed here with repro_run: verdicts, unit map, the story as
 * `tornpage repro` tells it), and a small script that filters the cards by verdict and
 * says the page is ready (data-ready, and one console line "tornpage report ready: N
 * stories") or broken (data-errors): scripts/html-check.sh reads both in headless
 * Chromium, where any other console line fails the test. */
#define _POSIX_C_SOURCE 200809L
#include "html/html_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char style[] =
	":root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f4f6f9;--card:#fff;--accent:#b45309}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 system-ui,-apple-system,'Segoe UI','DejaVu Sans',sans-serif}\n"
	"code,pre,.mono{font-family:'DejaVu Sans Mono',ui-monospace,Menlo,Consolas,monospace}\n"
	"header.top{background:#111827;color:#f9fafb;padding:22px 32px 18px}\n"
	"header.top h1{margin:0;font-size:22px;font-weight:650;letter-spacing:.2px}\n"
	"header.top h1 span{color:#fbbf24}\n"
	"header.top p{margin:6px 0 0;color:#d1d5db;font-size:13px}\n"
	"main{max-width:1180px;margin:0 auto;padding:22px 32px 48px}\n"
	"section{margin-top:26px}\n"
	"h2{font-size:17px;margin:0 0 4px}\n"
	"p.lead{margin:0 0 12px;color:var(--muted)}\n"
	".tiles{display:flex;flex-wrap:wrap;gap:12px}\n"
	".tile{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 16px;min-width:150px}\n"
	".tile b{display:block;font-size:24px;line-height:1.2}\n"
	".tile span{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.6px}\n"
	".tile.bad b{color:#b91c1c}.tile.good b{color:#15803d}\n"
	".heat-wrap{overflow-x:auto;background:var(--card);border:1px solid var(--line);border-radius:10px}\n"
	"table.heat{border-collapse:separate;border-spacing:0;font-size:12.5px;width:100%}\n"
	"table.heat th,table.heat td{padding:5px 8px;border-bottom:1px solid var(--line);white-space:nowrap}\n"
	"table.heat thead th{position:sticky;top:0;background:#f9fafb;font-weight:600;text-align:left;vertical-align:bottom}\n"
	"table.heat th.vcol{cursor:pointer;text-align:center;padding:6px 3px;height:120px;min-width:34px}\n"
	"table.heat th.vcol span{writing-mode:vertical-rl;transform:rotate(180deg);display:inline-block}\n"
	"table.heat th.vcol:hover{background:#fef3c7}\n"
	"table.heat th.rowh{text-align:left;font-weight:500}\n"
	"table.heat td.tag{color:var(--muted)}\n"
	"table.heat td.num{text-align:right;color:var(--muted);font-variant-numeric:tabular-nums}\n"
	"table.heat td.c{text-align:center;font-variant-numeric:tabular-nums;font-weight:600;border-left:1px solid #fff}\n"
	"table.heat td.c.dark{color:#fff}\n"
	"table.heat td.empty{background:#fafafa}\n"
	"table.heat tbody tr:hover th,table.heat tbody tr:hover td.tag,table.heat tbody tr:hover td.num{background:#fffbeb}\n"
	".scale{display:flex;align-items:center;gap:8px;margin:8px 2px 0;color:var(--muted);font-size:12px}\n"
	".bar{display:inline-block;width:90px;height:10px;border-radius:5px}\n"
	".bar.hot{background:linear-gradient(90deg,#fde5c4,#fc8d59,#b30000)}\n"
	".bar.cool{background:linear-gradient(90deg,#dde8f3,#9ecae1,#3182bd)}\n"
	".filters{display:flex;flex-wrap:wrap;gap:6px;align-items:center;margin:8px 0 10px}\n"
	".chip{border:1px solid var(--line);background:var(--card);border-radius:999px;padding:3px 11px;font-size:12.5px;cursor:pointer;color:var(--ink)}\n"
	".chip.on{background:#111827;color:#fff;border-color:#111827}\n"
	"#shown{color:var(--muted);font-size:12px;margin-left:6px}\n"
	".legend{display:flex;flex-wrap:wrap;gap:6px 18px;margin:6px 0 14px;font-size:12.5px}\n"
	".legend .key{display:inline-flex;align-items:center;gap:6px}\n"
	".legend small{color:var(--muted)}\n"
	".torn{display:inline-block;background:#f59e0b;color:#111827;border-radius:8px;padding:0 7px;font-size:11px;font-weight:700}\n"
	"article.story{background:var(--card);border:1px solid var(--line);border-left:4px solid #9ca3af;border-radius:10px;padding:14px 18px;margin:12px 0}\n"
	"article.story.fatal{border-left-color:#dc2626}article.story.differs{border-left-color:#7c3aed}\n"
	"article.story h3{margin:0;font-size:14.5px;word-break:break-all}\n"
	".storyhead{display:flex;justify-content:space-between;gap:12px;align-items:flex-start}\n"
	".status{font-size:11.5px;font-weight:700;border-radius:6px;padding:2px 8px;white-space:nowrap}\n"
	".status.same{background:#dcfce7;color:#166534}.status.differs{background:#ede9fe;color:#5b21b6}.status.cannot{background:#f3f4f6;color:#374151}\n"
	"p.summary{margin:6px 0 8px;color:#374151}\n"
	".facts{font-size:12.5px;color:var(--muted);margin-bottom:8px}\n"
	".badge{display:inline-block;border-radius:6px;padding:1px 7px;margin:0 4px 4px 0;font-size:12px;font-weight:600;background:#fee2e2;color:#991b1b}\n"
	".badge.note{background:#e0ecf7;color:#1e4f7a}\n"
	"table.verdicts{border-collapse:collapse;font-size:12.5px;margin:4px 0 10px;width:100%}\n"
	"table.verdicts td{border-top:1px solid var(--line);padding:4px 8px;vertical-align:top}\n"
	"table.verdicts td:first-child{white-space:nowrap;font-weight:600;width:1%}\n"
	"table.verdicts td.k{color:var(--muted);width:1%;white-space:nowrap}\n"
	"svg.unitmap{display:block;margin:6px 0 4px;max-width:100%;height:auto}\n"
	"svg.unitmap text{font-size:11.5px;fill:#374151}\n"
	"svg.unitmap text.pg{font-family:'DejaVu Sans Mono',monospace}\n"
	"svg.unitmap text.role{fill:#fff;text-anchor:middle;font-size:10.5px;font-weight:600}\n"
	"svg.unitmap text.role.light{fill:#334155}\n"
	"svg.unitmap text.fold{fill:#6b7280;font-size:10.5px}\n"
	"svg.unitmap .tornmark rect{fill:#f59e0b}svg.unitmap .tornmark text{fill:#111827;font-size:10.5px;font-weight:700;text-anchor:middle}\n"
	"details{margin-top:6px}summary{cursor:pointer;color:var(--accent);font-size:12.5px}\n"
	"pre{background:#0f172a;color:#e2e8f0;border-radius:8px;padding:12px 14px;overflow-x:auto;font-size:12px;line-height:1.45}\n"
	"footer{color:var(--muted);font-size:12px;text-align:center;padding:18px}\n"
	"[hidden]{display:none!important}\n";

static const char script[] =
	"(function () {\n"
	"  'use strict';\n"
	"  var errors = [];\n"
	"  window.addEventListener('error', function (e) {\n"
	"    errors.push(String(e.message));\n"
	"    document.body.setAttribute('data-errors', errors.join(' | '));\n"
	"  });\n"
	"  var stories = document.querySelectorAll('article.story');\n"
	"  var chips = document.querySelectorAll('[data-filter]');\n"
	"  var shown = document.getElementById('shown');\n"
	"  function show(v) {\n"
	"    var n = 0;\n"
	"    stories.forEach(function (s) {\n"
	"      var on = !v || (' ' + s.getAttribute('data-verdicts') + ' ').indexOf(' ' + v + ' ') >= 0;\n"
	"      s.hidden = !on;\n"
	"      if (on) n++;\n"
	"    });\n"
	"    chips.forEach(function (c) { c.classList.toggle('on', c.getAttribute('data-filter') === v); });\n"
	"    if (shown) shown.textContent = n + ' of ' + stories.length + ' shown';\n"
	"  }\n"
	"  chips.forEach(function (c) {\n"
	"    c.addEventListener('click', function () { show(c.getAttribute('data-filter')); });\n"
	"  });\n"
	"  document.querySelectorAll('th.vcol').forEach(function (th) {\n"
	"    th.addEventListener('click', function () {\n"
	"      show(th.getAttribute('data-v'));\n"
	"      var s = document.getElementById('stories');\n"
	"      if (s) s.scrollIntoView({behavior: 'smooth'});\n"
	"    });\n"
	"  });\n"
	"  show('');\n"
	"  document.body.setAttribute('data-ready', String(stories.length));\n"
	"  console.info('tornpage report ready: ' + stories.length + ' stories');\n"
	"})();\n";

/* One replayed reproducer. */
typedef struct told {
	repro_result res;
	char *story;     /* as `tornpage repro` prints it */
	size_t len;
	int fatal;       /* a verdict found other than I-LEAK */
} told;

static int tell(const html_story *s, told *t)
{
	memset(t, 0, sizeof *t);
	FILE *mem = open_memstream(&t->story, &t->len);
	if (!mem)
		return -1;
	int rc = repro_run(&s->r, &t->res, mem);
	if (fclose(mem) || rc)
		return -1;
	for (size_t i = 0; i < t->res.found.n; i++)
		t->fatal |= strcmp(t->res.found.s[i], "I-LEAK") != 0;
	return 0;
}

static void tile(FILE *f, const char *cls, uint64_t n, const char *what)
{
	fprintf(f, "<div class=\"tile %s\"><b>%" PRIu64 "</b><span>", cls, n);
	html_esc(f, what);
	fprintf(f, "</span></div>");
}

static void summary(FILE *f, const html_report *h, const told *t)
{
	uint64_t same = 0, differs = 0;
	for (size_t i = 0; i < h->nstories; i++)
		same += t[i].res.status == REPRO_SAME, differs += t[i].res.status == REPRO_DIFFERS;
	fprintf(f, "<section class=\"tiles\">");
	if (h->has_matrix) {
		tile(f, "", h->matrix.cases, "fault cases");
		tile(f, h->matrix.with_verdicts ? "bad" : "good", h->matrix.with_verdicts, "cases with verdicts");
		tile(f, "", h->matrix.ncols, "verdict ids");
	}
	if (h->has_crash) {
		tile(f, h->crash.cases ? "bad" : "good", h->crash.cases, "crash findings");
		tile(f, "", h->crash.nrows, "crash steps");
	}
	tile(f, "", h->nstories, "reproducers");
	if (h->nstories)
		tile(f, differs ? "bad" : "good", differs ? differs : same, differs ? "differ from expect" : "reproduced");
	fprintf(f, "</section>\n");
}

static void verdict_rows(FILE *f, const repro_result *res, int fault)
{
	if (!res->nv) {
		fprintf(f, "<p class=\"facts\">No verdict: %s</p>\n",
			fault ? "the pager failed cleanly and the file recovers." : "the image recovers as the model says.");
		return;
	}
	fprintf(f, "<table class=\"verdicts\">");
	for (size_t i = 0; i < res->nv; i++) {
		const repro_verdict *v = &res->v[i];
		fprintf(f, "<tr><td rowspan=\"2\">");
		html_esc(f, v->id);
		if (fault)
			fprintf(f, "<br><small>at op %zu</small>", v->op);
		fprintf(f, "</td><td class=\"k\">expected</td><td>");
		html_esc(f, v->expected);
		fprintf(f, "</td></tr><tr><td class=\"k\">found</td><td>");
		html_esc(f, v->found);
		fprintf(f, "</td></tr>");
	}
	fprintf(f, "</table>\n");
}

static void card(FILE *f, size_t i, const html_story *s, const told *t)
{
	const repro *r = &s->r;
	const repro_result *res = &t->res;
	const char *st = res->status == REPRO_SAME ? "same" : res->status == REPRO_CANNOT ? "cannot" : "differs";
	fprintf(f, "<article class=\"story%s%s\" id=\"story-%zu\" data-verdicts=\"", t->fatal ? " fatal" : "",
		res->status == REPRO_DIFFERS ? " differs" : "", i);
	for (size_t k = 0; k < res->found.n; k++) {
		fprintf(f, "%s", k ? " " : "");
		html_esc(f, res->found.s[k]);
	}
	fprintf(f, "\">\n<div class=\"storyhead\"><h3>");
	html_esc(f, s->name);
	fprintf(f, "</h3><span class=\"status %s\">%s</span></div>\n", st,
		res->status == REPRO_SAME ? "reproduced" : res->status == REPRO_CANNOT ? "cannot run here" : "DIFFERS from expect");
	if (r->nnotes) {
		fprintf(f, "<p class=\"summary\">");
		html_esc(f, r->notes[0]);
		fprintf(f, "</p>\n");
	}
	fprintf(f, "<div class=\"facts\">");
	if (r->kind == REPRO_CRASH) {
		fprintf(f, "crash at op %zu, %s", r->op, crash_phase_name(r->phase));
		if (res->step) {
			fprintf(f, " #%" PRIu32 " <code>", res->sync);
			html_esc(f, res->step);
			fprintf(f, "</code>");
		}
		if (res->map.states)
			fprintf(f, " · %" PRIu32 "-byte units, %zu-byte pages, %" PRIu64 " pages", res->map.unit,
				res->map.page_size, res->map.npages);
		fprintf(f, " · %zu persisted unit(s)", r->nunits);
	} else if (r->kind == REPRO_FAULT) {
		fprintf(f, "fault <code>");
		html_esc(f, r->point);
		fprintf(f, "</code> hit %" PRIu64 ", mode %s", r->hit, repro_mode_name(r->mode));
		const char *en = repro_errno_name(r->err);
		fprintf(f, ", errno %s%s", en ? en : "?", r->lost_writes ? ", lost writes" : "");
	}
	fprintf(f, " · %zu op(s)</div>\n<div>", r->log.nops);
	for (size_t k = 0; k < res->found.n; k++) {
		fprintf(f, "<span class=\"badge%s\">", strcmp(res->found.s[k], "I-LEAK") ? "" : " note");
		html_esc(f, res->found.s[k]);
		fprintf(f, "</span>");
	}
	if (!res->reached) {
		fprintf(f, "<span class=\"badge note\">not reached: ");
		html_esc(f, res->why);
		fprintf(f, "</span>");
	}
	fprintf(f, "</div>\n");
	verdict_rows(f, res, r->kind == REPRO_FAULT);
	html_unitmap(f, &res->map);
	fprintf(f, "<details><summary>The story, as <code>tornpage repro</code> tells it</summary><pre>");
	html_esc(f, t->story);
	fprintf(f, "</pre></details>\n</article>\n");
}

static void stories(FILE *f, const html_report *h, const told *t)
{
	fprintf(f, "<section id=\"stories\"><h2>Reproducers</h2>\n<p class=\"lead\">Each finding as a reproducer: "
		   "its verdicts, the file's pages and atomic units at the crash, and its story. Click a verdict "
		   "(here or in a heat map's header) to show only the reproducers with it.</p>\n");
	if (h->dropped)
		fprintf(f, "<p class=\"lead\">%" PRIu64 " more reproducer(s) not shown (at most %d per page).</p>\n",
			h->dropped, HTML_MAX_STORIES);
	repro_strset ids = {0};
	for (size_t i = 0; i < h->nstories; i++)
		repro_strset_add_all(&ids, &t[i].res.found);
	fprintf(f, "<div class=\"filters\"><button class=\"chip\" data-filter=\"\">all</button>");
	for (size_t k = 0; k < ids.n; k++) {
		fprintf(f, "<button class=\"chip\" data-filter=\"");
		html_esc(f, ids.s[k]);
		fprintf(f, "\">");
		html_esc(f, ids.s[k]);
		fprintf(f, "</button>");
	}
	repro_strset_free(&ids);
	fprintf(f, "<span id=\"shown\"></span></div>\n");
	html_unit_legend(f);
	for (size_t i = 0; i < h->nstories; i++)
		card(f, i, &h->stories[i], &t[i]);
	fprintf(f, "</section>\n");
}

int html_write(html_report *h, FILE *f)
{
	told *t = calloc(h->nstories ? h->nstories : 1, sizeof *t);
	int rc = t ? 0 : -1;
	for (size_t i = 0; i < h->nstories && !rc; i++)
		rc = tell(&h->stories[i], &t[i]);
	if (rc) {
		errno = ENOMEM;
		goto done;
	}
	fprintf(f, "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		   "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
		   "script-src 'unsafe-inline'; img-src data:\">\n"
		   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>tornpage: ");
	html_esc(f, h->title);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<header class=\"top\"><h1><span>tornpage</span> "
		   "report</h1><p><code>",
		style);
	html_esc(f, h->title);
	fprintf(f, "</code></p></header>\n<main>\n");
	summary(f, h, t);
	if (h->has_matrix) {
		fprintf(f, "<section><h2>Fault matrix</h2>\n<p class=\"lead\">Each fault point (and mode) against each "
			   "verdict: the number of cases that gave it, coloured by its share of the row's cases.</p>\n");
		html_heatmap(f, &h->matrix, "cases", "matrix-heat");
		fprintf(f, "</section>\n");
	}
	if (h->has_crash) {
		fprintf(f, "<section><h2>Crash findings</h2>\n<p class=\"lead\">Each crash step (the sync the power "
			   "failed before or after, or the end of an op) against each verdict: the findings there.</p>\n");
		html_heatmap(f, &h->crash, "findings", "crash-heat");
		fprintf(f, "</section>\n");
	}
	if (h->nstories || h->dropped)
		stories(f, h, t);
	fprintf(f, "</main>\n<footer>Written by <code>tornpage</code>: self-contained, nothing is fetched.</footer>\n"
		   "<script>\n%s</script>\n</body>\n</html>\n",
		script);
	if (ferror(f))
		rc = -1;
done:
	for (size_t i = 0; t && i < h->nstories; i++) {
		repro_result_free(&t[i].res);
		free(t[i].story);
	}
	free(t);
	return rc;
}
