/* report_int.h — what the report files share: the helpers, the case allocator and the
 * point x verdict table. The public contract is report.h.
 *
 *   report_record.c  the record: init, free, add a log / a result, totals, save
 *   report_table.c   the point x verdict table and the text writer
 *   report_json.c    the JSON writer      report_read.c   the JSON reader (json-c)
 *   report_junit.c   the JUnit writer     report_md.c     the Markdown writer
 *   report_merge.c   merge, complete, cases_equal */
#ifndef TORNPAGE_REPORT_INT_H
#define TORNPAGE_REPORT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "tornpage/report.h"

/* strdup(s), "" for NULL; NULL only when out of memory. */
char *report_dup(const char *s);
/* A zeroed slot at r->cases[r->ncases] (the caller counts it), or NULL (ENOMEM). */
report_case *report_new_case(report *r);
/* 1 if a verdict of c is fatal. */
int report_case_fatal(const report_case *c);

#define TABLE_MAX_COLS 64 /* verdict columns at most; more are not counted */

typedef struct table_row {
	const char *point, *mode;
	int order;                      /* point's index in the pager's table */
	uint64_t cases, fatal;
	uint64_t count[TABLE_MAX_COLS]; /* cases with column i's verdict */
} table_row;

typedef struct table {
	const char *col[TABLE_MAX_COLS];
	size_t ncols;
	table_row *rows;
	size_t nrows;
	table_row total;
} table;

/* Rows of r's cases, sorted in the pager's fault-point order; free(t->rows) after. */
int report_table_build(const report *r, table *t);

#endif
