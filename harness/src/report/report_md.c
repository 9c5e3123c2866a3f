/* report_md.c — the Markdown summary (for $GITHUB_STEP_SUMMARY): the parameters, the
 * totals, the point x verdict table and the first findings. */
#define _POSIX_C_SOURCE 200809L
#include "report_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Markdown table cell: no pipes, no newlines. */
static void md_cell(FILE *f, const char *s)
{
	for (const char *p = s ? s : ""; *p; p++) {
		if (*p == '|')
			fputs("\\|", f);
		else if (*p == '\n' || *p == '\r')
			fputc(' ', f);
		else
			fputc(*p, f);
	}
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* ---- Markdown ------------------------------------------------------------------- */

#define MD_MAX_FINDINGS 50

int report_write_md(const report *r, FILE *f)
{
	report_totals t;
	table tb;
	report_totals_of(r, &t);
	if (report_table_build(r, &tb))
		return -1;
	fputs("## tornpage fault matrix\n\n", f);
	char atomic[16] = "page";
	if (r->atomic)
		snprintf(atomic, sizeof atomic, "%" PRIu32, r->atomic);
	char cont[32] = "rest of the log";
	if (r->cont)
		snprintf(cont, sizeof cont, "%" PRIu64 " ops", r->cont);
	fprintf(f, "io `%s` · atomic %s · points `%s` · modes %s · errnos %s · lost writes %s · durable images %s · continue %s"
		   " · seed %" PRIu64 " · shards %zu of %" PRIu32 "\n\n",
		r->io, atomic, r->points, r->modes, r->errnos, r->lost_writes ? "on" : "off", r->images ? "judged" : "not judged",
		cont, r->seed, r->nshard_idx, r->nshards);
	fprintf(f, "**%" PRIu64 " cases** over %zu logs in %.2f s (%.0f cases/s): **%" PRIu64
		   " with fatal verdicts**, %" PRIu64 " with any verdict%s.\n\n",
		t.cases, r->nlogs, r->seconds, r->seconds > 0 ? (double)t.cases / r->seconds : 0.0, t.fatal,
		t.with_verdicts, t.unfired ? " (some hits were not reached: see the JSON)" : "");
	if (t.log_errors) {
		fputs("Logs with no matrix:\n\n", f);
		for (size_t i = 0; i < r->nlogs; i++)
			if (r->logs[i].error) {
				fputs("- `", f);
				md_cell(f, r->logs[i].path);
				fputs("`: ", f);
				md_cell(f, r->logs[i].error);
				fputc('\n', f);
			}
		fputc('\n', f);
	}
	fputs("Cases with each verdict, per fault point and mode:\n\n| point | mode | cases |", f);
	for (size_t c = 0; c < tb.ncols; c++)
		fprintf(f, " %s |", tb.col[c]);
	fputs("\n|---|---|---:|", f);
	for (size_t c = 0; c < tb.ncols; c++)
		fputs("---:|", f);
	fputc('\n', f);
	for (size_t i = 0; i <= tb.nrows; i++) {
		const table_row *row = i < tb.nrows ? &tb.rows[i] : &tb.total;
		if (i < tb.nrows)
			fprintf(f, "| `%s` | %s | %" PRIu64 " |", row->point, row->mode, row->cases);
		else
			fprintf(f, "| **total** | | %" PRIu64 " |", row->cases);
		for (size_t c = 0; c < tb.ncols; c++)
			fprintf(f, " %" PRIu64 " |", row->count[c]);
		fputc('\n', f);
	}
	free(tb.rows);
	if (t.fatal) {
		fprintf(f, "\n<details><summary>First findings (%" PRIu64 " cases in all)</summary>\n\n", t.fatal);
		fputs("| log | case | op | verdicts | first |\n|---|---|---|---|---|\n", f);
		uint64_t shown = 0;
		for (size_t i = 0; i < r->ncases && shown < MD_MAX_FINDINGS; i++) {
			const report_case *c = &r->cases[i];
			if (!report_case_fatal(c))
				continue;
			shown++;
			fputs("| ", f);
			md_cell(f, base_name(c->log));
			fprintf(f, " | `%s` hit %" PRIu64 " %s %s | %" PRIu64 " (line %" PRIu32 ": ", c->point, c->hit, c->mode,
				c->err, c->op, c->line);
			md_cell(f, c->op_text);
			fputs(") | ", f);
			for (size_t k = 0; k < c->nv; k++)
				fprintf(f, "%s%s", k ? " " : "", c->v[k].id);
			fputs(" | ", f);
			const report_verdict *v = NULL;
			for (size_t k = 0; k < c->nv && !v; k++)
				if (c->v[k].fatal)
					v = &c->v[k];
			if (v) {
				fprintf(f, "%s: expected ", v->id);
				md_cell(f, v->expected);
				fputs("; found ", f);
				md_cell(f, v->found);
			}
			fputs(" |\n", f);
		}
		fputs("\n</details>\n", f);
	}
	return ferror(f) ? -1 : 0;
}
