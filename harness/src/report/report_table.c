/* report_table.c — the point x verdict table: cases with each verdict per fault point and
 * mode, built once (report_table_build, also for the Markdown summary) and written as
 * the text table `tornpage matrix` prints. */
#define _POSIX_C_SOURCE 200809L
#include "report_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pager.h"

/* The columns every table has, in this order; other verdicts follow as they appear. */
static const char *const fixed_cols[] = {"F-SILENT", "F-ATOMIC", "F-STOP", "F-CONTINUE",
					 "I-OPEN", "I-ATOMIC", "I-DURABLE", "I-LEAK"};
#define NFIXED (sizeof fixed_cols / sizeof fixed_cols[0])

static int point_order(const char *name)
{
	size_t n;
	const pager_fault_point *pts = pager_fault_points(&n);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(pts[i].name, name))
			return (int)i;
	return (int)n;
}

static int row_cmp(const void *a, const void *b)
{
	const table_row *x = a, *y = b;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	int c = strcmp(x->point, y->point);
	return c ? c : strcmp(x->mode, y->mode) ? (!strcmp(x->mode, "once") ? -1 : 1) : 0;
}

int report_table_build(const report *r, table *t)
{
	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < NFIXED; i++)
		t->col[t->ncols++] = fixed_cols[i];
	t->rows = calloc(r->ncases ? r->ncases : 1, sizeof *t->rows);
	if (!t->rows)
		return -1;
	for (size_t i = 0; i < r->ncases; i++) {
		const report_case *c = &r->cases[i];
		table_row *row = NULL;
		for (size_t k = 0; k < t->nrows && !row; k++)
			if (!strcmp(t->rows[k].point, c->point) && !strcmp(t->rows[k].mode, c->mode))
				row = &t->rows[k];
		if (!row) {
			row = &t->rows[t->nrows++];
			row->point = c->point;
			row->mode = c->mode;
			row->order = point_order(c->point);
		}
		row->cases++;
		t->total.cases++;
		int fatal = report_case_fatal(c);
		row->fatal += fatal;
		t->total.fatal += fatal;
		uint8_t seen[TABLE_MAX_COLS] = {0};
		for (size_t v = 0; v < c->nv; v++) {
			size_t col = 0;
			while (col < t->ncols && strcmp(t->col[col], c->v[v].id))
				col++;
			if (col == t->ncols) {
				if (t->ncols == TABLE_MAX_COLS)
					continue;
				t->col[t->ncols++] = c->v[v].id;
			}
			if (!seen[col]) {
				seen[col] = 1;
				row->count[col]++;
				t->total.count[col]++;
			}
		}
	}
	qsort(t->rows, t->nrows, sizeof *t->rows, row_cmp);
	return 0;
}

int report_write_table(const report *r, FILE *f)
{
	table t;
	if (report_table_build(r, &t))
		return -1;
	fprintf(f, "%-30s %-7s %6s", "point", "mode", "cases");
	for (size_t c = 0; c < t.ncols; c++)
		fprintf(f, " %*s", (int)(strlen(t.col[c]) > 6 ? strlen(t.col[c]) : 6), t.col[c]);
	fputc('\n', f);
	for (size_t i = 0; i <= t.nrows; i++) {
		const table_row *row = i < t.nrows ? &t.rows[i] : &t.total;
		if (i == t.nrows && t.nrows < 2)
			break;
		fprintf(f, "%-30s %-7s %6" PRIu64, i < t.nrows ? row->point : "total", i < t.nrows ? row->mode : "",
			row->cases);
		for (size_t c = 0; c < t.ncols; c++)
			fprintf(f, " %*" PRIu64, (int)(strlen(t.col[c]) > 6 ? strlen(t.col[c]) : 6), row->count[c]);
		fputc('\n', f);
	}
	free(t.rows);
	return ferror(f) ? -1 : 0;
}
