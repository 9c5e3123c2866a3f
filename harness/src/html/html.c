/* html.c — what an HTML report holds (html.h): the heat maps as sparse grids, the
 * reproducers to tell. Writing the page is html_page.c; drawing is html_draw.c; their
 * shared declarations are html_int.h. */
#define _POSIX_C_SOURCE 200809L
#include "html/html_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "tornpage/verdicts.h"
#include "pager.h"

html_report *html_new(const char *title)
{
	html_report *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->title = strdup(title ? title : "tornpage");
	if (!h->title) {
		free(h);
		return NULL;
	}
	return h;
}

static void grid_free(html_grid *g)
{
	for (size_t i = 0; i < g->nrows; i++)
		free(g->rows[i].label);
	for (size_t i = 0; i < g->ncols; i++)
		free(g->cols[i]);
	free(g->rows);
	free(g->cols);
	free(g->cells);
	memset(g, 0, sizeof *g);
}

void html_free(html_report *h)
{
	if (!h)
		return;
	free(h->title);
	grid_free(&h->matrix);
	grid_free(&h->crash);
	for (size_t i = 0; i < h->nstories; i++) {
		free(h->stories[i].name);
		repro_free(&h->stories[i].r);
	}
	free(h->stories);
	repro_strset_free(&h->sigs);
	free(h);
}

/* ---- grids ---- */

/* Column order: the verdict table's (verdict_all), unknown ids after it; in the matrix
 * the fault verdicts (F-*) come first. */
static size_t verdict_rank(const html_grid *g, const char *id)
{
	size_t n, first = g->faults_first && strncmp(id, "F-", 2) != 0 ? 1000 : 0;
	const verdict_info *v = verdict_all(&n);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].id, id))
			return first + i;
	return first + n;
}

static int grid_col(html_grid *g, const char *id, size_t *out)
{
	size_t i = 0;
	while (i < g->ncols && strcmp(g->cols[i], id))
		i++;
	if (i == g->ncols) {
		char **c = realloc(g->cols, (g->ncols + 1) * sizeof *c);
		if (!c)
			return -1;
		g->cols = c;
		size_t at = 0, rank = verdict_rank(g, id);
		while (at < g->ncols && verdict_rank(g, g->cols[at]) <= rank)
			at++;
		char *s = strdup(id);
		if (!s)
			return -1;
		memmove(g->cols + at + 1, g->cols + at, (g->ncols - at) * sizeof *g->cols);
		g->cols[at] = s;
		g->ncols++;
		for (size_t k = 0; k < g->ncells; k++)
			if (g->cells[k].col >= at)
				g->cells[k].col++;
		i = at;
	}
	*out = i;
	return 0;
}

/* Rows sorted by key (the fault table's order, then mode or phase), labels distinct. */
static int grid_row(html_grid *g, uint64_t key, const char *label, const char *tag, size_t *out)
{
	size_t at = 0;
	while (at < g->nrows && g->rows[at].key < key)
		at++;
	for (size_t i = at; i < g->nrows && g->rows[i].key == key; i++) {
		if (!strcmp(g->rows[i].label, label) && !strcmp(g->rows[i].tag, tag)) {
			*out = i;
			return 0;
		}
		at = i + 1;
	}
	html_row *r = realloc(g->rows, (g->nrows + 1) * sizeof *r);
	if (!r)
		return -1;
	g->rows = r;
	char *s = strdup(label);
	if (!s)
		return -1;
	memmove(g->rows + at + 1, g->rows + at, (g->nrows - at) * sizeof *g->rows);
	g->rows[at] = (html_row){key, s, tag, 0};
	g->nrows++;
	for (size_t k = 0; k < g->ncells; k++)
		if (g->cells[k].row >= at)
			g->cells[k].row++;
	*out = at;
	return 0;
}

static int grid_add(html_grid *g, size_t row, size_t col, uint64_t count, uint64_t extra)
{
	for (size_t k = 0; k < g->ncells; k++) {
		if (g->cells[k].row == row && g->cells[k].col == col) {
			g->cells[k].count += count;
			g->cells[k].extra += extra;
			return 0;
		}
	}
	html_cell *c = realloc(g->cells, (g->ncells + 1) * sizeof *c);
	if (!c)
		return -1;
	g->cells = c;
	g->cells[g->ncells++] = (html_cell){row, col, count, extra};
	return 0;
}

/* Position of a fault point in the pager's table (rows follow the protocol's order). */
static uint64_t point_rank(const char *name)
{
	size_t n;
	const pager_fault_point *pts = pager_fault_points(&n);
	for (size_t i = 0; i < n; i++)
		if (name && !strcmp(pts[i].name, name))
			return i;
	return n;
}

int html_add_matrix(html_report *h, const report *r)
{
	html_grid *g = &h->matrix;
	g->faults_first = 1;
	for (size_t i = 0; i < r->ncases; i++) {
		const report_case *c = &r->cases[i];
		size_t row;
		int persist = c->mode && !strcmp(c->mode, "persist");
		if (grid_row(g, point_rank(c->point) * 2 + (uint64_t)persist, c->point ? c->point : "?",
			     persist ? "persist" : "once", &row))
			return -1;
		g->rows[row].total++;
		g->cases++;
		/* A case counts once per verdict id, however many ops it names. */
		for (size_t v = 0; v < c->nv; v++) {
			size_t k = 0;
			while (k < v && strcmp(c->v[k].id, c->v[v].id))
				k++;
			if (k < v)
				continue;
			size_t col;
			if (grid_col(g, c->v[v].id, &col) || grid_add(g, row, col, 1, c->v[v].fatal))
				return -1;
		}
		if (c->nv)
			g->with_verdicts++;
	}
	h->has_matrix = 1;
	return 0;
}

int html_add_crash_finding(html_report *h, const oplog *log, const char *name, const crash_finding *f,
			   uint32_t cfg_unit, const char *how)
{
	html_grid *g = &h->crash;
	char label[160];
	snprintf(label, sizeof label, "%s", f->at.step ? f->at.step : "end of op");
	uint64_t key = (f->at.step ? point_rank(f->at.step) : 1000) * 4 + (uint64_t)f->at.phase;
	size_t row, col;
	if (grid_row(g, key, label, crash_phase_name(f->at.phase), &row) || grid_col(g, f->verdict, &col) ||
	    grid_add(g, row, col, 1, f->states))
		return -1;
	g->rows[row].total++;
	g->cases++;
	h->has_crash = 1;

	char sig[REPRO_SIG_MAX], msg[700];
	if (repro_finding_signature(sig, sizeof sig, log, f) || repro_strset_has(&h->sigs, sig))
		return 0;
	if (repro_strset_add(&h->sigs, sig))
		return -1;
	if (h->nstories >= HTML_MAX_STORIES) {
		h->dropped++;
		return 0;
	}
	repro r;
	int rc = repro_from_finding(&r, log, f, cfg_unit, how, msg, sizeof msg);
	if (rc)
		return rc < 0 ? -1 : 0; /* does not replay alone: the heat map still counts it */
	/* Every signature the reproducer shows is told by it (repro_signatures: the
	 * library's own rule, disk faults included). */
	if (repro_signatures(&r, &h->sigs) < 0)
		rc = -1;
	char title[REPRO_SIG_MAX + 200];
	snprintf(title, sizeof title, "%s — %s", sig, name);
	if (!rc)
		rc = html_add_repro(h, title, &r);
	repro_free(&r);
	return rc;
}

int html_add_repro(html_report *h, const char *name, const repro *r)
{
	if (h->nstories >= HTML_MAX_STORIES) {
		h->dropped++;
		return 0;
	}
	html_story *s = realloc(h->stories, (h->nstories + 1) * sizeof *s);
	if (!s)
		return -1;
	h->stories = s;
	s = &h->stories[h->nstories];
	memset(s, 0, sizeof *s);
	s->name = strdup(name ? name : "reproducer");
	if (!s->name || repro_copy(&s->r, r)) {
		free(s->name);
		return -1;
	}
	h->nstories++;
	return 0;
}

int html_save(html_report *h, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	int rc = html_write(h, f);
	if (fclose(f))
		rc = -1;
	return rc;
}
