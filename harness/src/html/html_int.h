/* html_int.h — what the files of the HTML report share (tornpage/html.h is the public header).
 * Not for use outside harness/src/html/html*.c.
 *
 *   html.c        the model: grids (heat maps), stories (reproducers), adding to them
 *   html_page.c   the page: head, summary, sections, stories, CSS and JS
 *   html_draw.c   escaping, the heat map table, the unit map SVG and its legend */
#ifndef TORNPAGE_HTML_INT_H
#define TORNPAGE_HTML_INT_H

#include "tornpage/html.h"

typedef struct html_row {
	uint64_t key;       /* sort key: fault-table position, then mode or phase */
	char *label;        /* fault point, or the crash step */
	const char *tag;    /* "once" / "persist", or the crash phase (static strings) */
	uint64_t total;     /* cases (matrix) or findings (crash) in the row */
} html_row;

typedef struct html_cell {
	size_t row, col;
	uint64_t count;     /* cases (matrix) or findings (crash) with this verdict */
	uint64_t extra;     /* matrix: of which fatal; crash: crash states */
} html_cell;

/* A sparse grid: rows x verdict columns. */
typedef struct html_grid {
	html_row *rows;
	size_t nrows;
	char **cols;        /* verdict ids, in the verdict table's order */
	size_t ncols;
	html_cell *cells;
	size_t ncells;
	int faults_first;   /* F-* columns before the others (the matrix) */
	uint64_t cases;     /* cases (matrix) or findings (crash) counted */
	uint64_t with_verdicts;
} html_grid;

typedef struct html_story {
	char *name;         /* its file, or signature and log */
	repro r;            /* replayed when the page is written */
} html_story;

struct html_report {
	char *title;
	int has_matrix, has_crash;
	html_grid matrix;   /* point x mode rows */
	html_grid crash;    /* crash step x phase rows */
	html_story *stories;
	size_t nstories;
	uint64_t dropped;   /* reproducers not kept (HTML_MAX_STORIES) */
	repro_strset sigs;  /* signatures a kept story tells */
};

/* Text with &, <, >, " and ' escaped; control bytes as U+FFFD. */
void html_esc(FILE *f, const char *s);
/* The heat map of g as a table. what = "cases" or "findings"; id = the table's DOM id. */
void html_heatmap(FILE *f, const html_grid *g, const char *what, const char *id);
/* The unit map of a crash case as inline SVG, and its legend. */
void html_unitmap(FILE *f, const repro_map *m);
void html_unit_legend(FILE *f);

#endif
