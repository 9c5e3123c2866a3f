/* html_draw.c — the pictures of the HTML report: escaped text, the heat map (a table
 * whose cells are coloured by how often a verdict shows in a row) and the unit map of a
 * crash state (inline SVG: one row per page, one square per atomic unit, coloured by
 * crash_unit_state; runs of untouched pages folded into one row). */
#include "html/html_int.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "pager.h"

void html_esc(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			if (*p < 0x20 && *p != '\n' && *p != '\t')
				fputs("&#xFFFD;", f);
			else
				fputc(*p, f);
		}
	}
}

/* ---- heat map ---- */

/* A sequential palette (light to dark): fatal verdicts in reds, notes in slate blues. */
static const unsigned char hot[][3] = {{254, 240, 217}, {253, 204, 138}, {252, 141, 89}, {227, 74, 51}, {179, 0, 0}};
static const unsigned char cool[][3] = {{236, 242, 248}, {198, 219, 239}, {158, 202, 225}, {107, 174, 214}, {49, 130, 189}};

static void colour(double t, int fatal, char out[8], int *dark)
{
	const unsigned char(*p)[3] = fatal ? hot : cool;
	if (t < 0)
		t = 0;
	if (t > 1)
		t = 1;
	double x = t * 4;
	int i = (int)x;
	if (i >= 4)
		i = 3;
	double w = x - i;
	int rgb[3];
	for (int k = 0; k < 3; k++)
		rgb[k] = (int)lround(p[i][k] * (1 - w) + p[i + 1][k] * w);
	snprintf(out, 8, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
	*dark = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] < 150;
}

static const html_cell *cell_at(const html_grid *g, size_t row, size_t col)
{
	for (size_t k = 0; k < g->ncells; k++)
		if (g->cells[k].row == row && g->cells[k].col == col)
			return &g->cells[k];
	return NULL;
}

void html_heatmap(FILE *f, const html_grid *g, const char *what, const char *id)
{
	int matrix = !strcmp(what, "cases");
	uint64_t max = 0;
	for (size_t k = 0; k < g->ncells; k++)
		if (g->cells[k].count > max)
			max = g->cells[k].count;
	fprintf(f, "<div class=\"heat-wrap\"><table class=\"heat\" id=\"%s\">\n<thead><tr><th class=\"rowh\">%s</th>"
		   "<th class=\"tagh\">%s</th><th class=\"num\">%s</th>",
		id, matrix ? "fault point" : "crash step", matrix ? "mode" : "phase", what);
	for (size_t c = 0; c < g->ncols; c++) {
		fprintf(f, "<th class=\"vcol\" data-v=\"");
		html_esc(f, g->cols[c]);
		fprintf(f, "\" title=\"show the stories with ");
		html_esc(f, g->cols[c]);
		fprintf(f, "\"><span>");
		html_esc(f, g->cols[c]);
		fprintf(f, "</span></th>");
	}
	fprintf(f, "</tr></thead>\n<tbody>\n");
	for (size_t r = 0; r < g->nrows; r++) {
		const html_row *row = &g->rows[r];
		fprintf(f, "<tr><th class=\"rowh\"><code>");
		html_esc(f, row->label);
		fprintf(f, "</code></th><td class=\"tag\">");
		html_esc(f, row->tag);
		fprintf(f, "</td><td class=\"num\">%" PRIu64 "</td>", row->total);
		for (size_t c = 0; c < g->ncols; c++) {
			const html_cell *x = cell_at(g, r, c);
			if (!x || !x->count) {
				fprintf(f, "<td class=\"c empty\"></td>");
				continue;
			}
			/* Matrix: the share of the row's cases; crash: findings on a log scale. */
			double t = matrix && row->total ? (double)x->count / (double)row->total
							: log1p((double)x->count) / log1p((double)(max ? max : 1));
			int fatal = matrix ? x->extra > 0 : strcmp(g->cols[c], "I-LEAK") != 0;
			char bg[8];
			int dark;
			colour(0.15 + 0.85 * t, fatal, bg, &dark);
			fprintf(f, "<td class=\"c%s\" style=\"background:%s\" title=\"", dark ? " dark" : "", bg);
			html_esc(f, g->cols[c]);
			fprintf(f, " at ");
			html_esc(f, row->label);
			fprintf(f, " (");
			html_esc(f, row->tag);
			if (matrix)
				fprintf(f, "): %" PRIu64 " of %" PRIu64 " cases%s\">%" PRIu64 "</td>", x->count, row->total,
					fatal ? "" : ", not fatal", x->count);
			else
				fprintf(f, "): %" PRIu64 " finding(s), %" PRIu64 " crash state(s)\">%" PRIu64 "</td>", x->count,
					x->extra, x->count);
		}
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</tbody></table></div>\n");
	fprintf(f, "<div class=\"scale\"><span>%s</span><span class=\"bar hot\"></span><span>fatal</span>"
		   "<span class=\"bar cool\"></span><span>not fatal (a note)</span></div>\n",
		matrix ? "share of the row's cases: few" : "findings: few (log scale)");
}

/* ---- unit map ---- */

/* Fill colours by crash_unit_state; a state added later (a new fault mode) gets the last
 * colour until it is given its own here. */
static const char *const unit_fill[] = {"#d7dce3", "#16a34a", "#dc2626", "#f97316",
					"#854d0e", "#7c3aed", "#ffffff", "#334155"};
#define UNIT_FILLS (sizeof unit_fill / sizeof unit_fill[0])
static const char *const unit_meaning[CRASH_UNIT_STATES] = {
	"the disk already held what the pager wrote",
	"dirty, and reached the disk in this crash image",
	"older bytes than the pager wrote: not written back, a lying sync, a missed write",
	"torn: neither its old nor its new bytes",
	"rotted on the disk: a flipped bit, or zeros",
	"holds another unit's bytes: a misdirected write landed here",
	"past the size the image has: a size change not yet durable",
};

static const char *fill_of(unsigned s) { return unit_fill[s < UNIT_FILLS ? s : UNIT_FILLS - 1]; }

static const char *role_fill(unsigned r)
{
	static const char *const fills[] = {"#cbd5e1", "#4f46e5", "#7c3aed", "#9333ea", "#0284c7",
					    "#0d9488", "#475569", "#e2e8f0"};
	return r < sizeof fills / sizeof fills[0] ? fills[r] : "#94a3b8";
}

void html_unit_legend(FILE *f)
{
	fprintf(f, "<div class=\"legend\">");
	for (unsigned s = 0; s < CRASH_UNIT_STATES; s++) {
		fprintf(f, "<span class=\"key\"><svg width=\"14\" height=\"14\" aria-hidden=\"true\"><rect x=\"0.5\" y=\"0.5\" "
			   "width=\"13\" height=\"13\" rx=\"2\" fill=\"%s\" stroke=\"#94a3b8\" stroke-width=\"%s\"/></svg> ",
			fill_of(s), s == CRASH_UNIT_MISSING ? "1" : "0");
		html_esc(f, crash_unit_state_name((crash_unit_state)s));
		fprintf(f, "<small> — ");
		html_esc(f, s < sizeof unit_meaning / sizeof unit_meaning[0] && unit_meaning[s] ? unit_meaning[s]
											 : "a state of a newer fault mode");
		fprintf(f, "</small></span>");
	}
	fprintf(f, "<span class=\"key\"><span class=\"torn\">torn</span><small> — a page with both persisted and lost "
		   "units</small></span></div>\n");
}

#define MAP_LABEL_W 210
#define MAP_ROW_H 22
#define MAP_CELL_H 16
#define MAP_CELLS_W 560
#define MAP_MAX_ROWS 300

typedef struct page_look {
	int touched;  /* a unit is not synced */
	int torn;     /* persisted and lost units both */
} page_look;

static page_look look_at(const repro_map *m, uint64_t page, uint64_t upp)
{
	page_look l = {0, 0};
	int persisted = 0, lost = 0;
	for (uint64_t u = page * upp; u < (page + 1) * upp && u < m->nunits; u++) {
		l.touched |= m->states[u] != CRASH_UNIT_SYNCED;
		persisted |= m->states[u] == CRASH_UNIT_PERSISTED;
		lost |= m->states[u] == CRASH_UNIT_LOST;
	}
	l.torn = persisted && lost;
	return l;
}

static void role_label(FILE *f, int y, const char *pages, unsigned role)
{
	fprintf(f, "<text x=\"4\" y=\"%d\" class=\"pg\">%s</text>", y + 15, pages);
	fprintf(f, "<rect x=\"92\" y=\"%d\" width=\"110\" height=\"16\" rx=\"8\" fill=\"%s\"/>", y + 3, role_fill(role));
	fprintf(f, "<text x=\"147\" y=\"%d\" class=\"role%s\">", y + 15, role == 0 || role == 7 ? " light" : "");
	html_esc(f, pager_role_name((pager_role)role));
	fprintf(f, "</text>");
}

void html_unitmap(FILE *f, const repro_map *m)
{
	if (!m->states || !m->npages || !m->unit || !m->page_size)
		return;
	uint64_t upp = (m->page_size + m->unit - 1) / m->unit;
	double cw = (double)MAP_CELLS_W / (double)upp;
	if (cw > 26)
		cw = 26;
	if (cw < 3)
		cw = 3;
	int cells = (int)ceil(cw * (double)upp);
	int width = MAP_LABEL_W + cells + (cells < 200 ? 200 - cells : 0) + 70;
	/* Rows first (to size the SVG): touched pages one each, untouched runs folded. */
	int nrows = 0;
	for (uint64_t p = 0; p < m->npages && nrows <= MAP_MAX_ROWS;) {
		uint64_t q = p + 1;
		if (!look_at(m, p, upp).touched)
			while (q < m->npages && !look_at(m, q, upp).touched && m->roles[q] == m->roles[p])
				q++;
		nrows++;
		p = q;
	}
	int shown = nrows > MAP_MAX_ROWS ? MAP_MAX_ROWS : nrows;
	int height = shown * MAP_ROW_H + (nrows > MAP_MAX_ROWS ? MAP_ROW_H : 0) + 6;
	fprintf(f, "<svg class=\"unitmap\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
		   "aria-label=\"pages and units at the crash\">",
		width, height, width, height);
	int row = 0;
	for (uint64_t p = 0; p < m->npages && row < MAP_MAX_ROWS; row++) {
		int y = row * MAP_ROW_H + 3;
		page_look l = look_at(m, p, upp);
		uint64_t q = p + 1;
		if (!l.touched)
			while (q < m->npages && !look_at(m, q, upp).touched && m->roles[q] == m->roles[p])
				q++;
		char pages[48];
		if (q - p > 1) {
			snprintf(pages, sizeof pages, "%" PRIu64 "-%" PRIu64, p, q - 1);
			role_label(f, y, pages, m->roles[p]);
			fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"6\" rx=\"3\" fill=\"%s\"/>", MAP_LABEL_W,
				y + 8, (int)ceil(cw * (double)upp), fill_of(CRASH_UNIT_SYNCED));
			fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"fold\">%" PRIu64 " pages, every unit synced</text>",
				MAP_LABEL_W + cells + 8, y + 15, q - p);
			p = q;
			continue;
		}
		snprintf(pages, sizeof pages, "page %" PRIu64, p);
		role_label(f, y, pages, m->roles[p]);
		for (uint64_t u = p * upp; u < (p + 1) * upp && u < m->nunits; u++) {
			double x = MAP_LABEL_W + cw * (double)(u - p * upp);
			fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" rx=\"2\" fill=\"%s\"%s><title>unit %" PRIu64
				   " (page %" PRIu64 " ",
				x, y + 3, cw > 4 ? cw - 2 : cw - 1, MAP_CELL_H, fill_of(m->states[u]),
				m->states[u] == CRASH_UNIT_MISSING ? " stroke=\"#94a3b8\" stroke-dasharray=\"2 2\"" : "", u, p);
			html_esc(f, pager_role_name((pager_role)m->roles[p]));
			fprintf(f, "): %s</title></rect>", crash_unit_state_name((crash_unit_state)m->states[u]));
		}
		if (l.torn)
			fprintf(f, "<g class=\"tornmark\"><rect x=\"%d\" y=\"%d\" width=\"40\" height=\"16\" rx=\"8\"/>"
				   "<text x=\"%d\" y=\"%d\">torn</text></g>",
				MAP_LABEL_W + (int)ceil(cw * (double)upp) + 10, y + 3, MAP_LABEL_W + (int)ceil(cw * (double)upp) + 30,
				y + 15);
		p = q;
	}
	if (nrows > MAP_MAX_ROWS)
		fprintf(f, "<text x=\"4\" y=\"%d\" class=\"fold\">... %d more rows not drawn</text>",
			MAP_MAX_ROWS * MAP_ROW_H + 18, nrows - MAP_MAX_ROWS);
	fprintf(f, "</svg>\n");
}
