/* report.c — the fault matrix's record of a run and its writers and reader.
 * Writers never fail silently: every one returns -1 when its FILE reports an error.
 * The JSON schema (docs/matrix.md) is the contract with `tornpage merge`, CI scripts and
 * reproducers; the reader accepts exactly what the writer produces and names the first
 * field it cannot use. */
#define _POSIX_C_SOURCE 200809L
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "pager.h"
#include "disk/subsets.h"

/* ---- small helpers -------------------------------------------------------------- */

static char *dup(const char *s)
{
	return strdup(s ? s : "");
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if it is not one. */
static size_t utf8_len(const unsigned char *p)
{
	unsigned c = p[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
		return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
		return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

static void json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	fputc('"', f);
	while (*p) {
		unsigned c = *p;
		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc((int)c, f);
			p++;
		} else if (c < 0x20) {
			switch (c) {
			case '\n': fputs("\\n", f); break;
			case '\t': fputs("\\t", f); break;
			case '\r': fputs("\\r", f); break;
			default: fprintf(f, "\\u%04x", c); break;
			}
			p++;
		} else {
			size_t n = utf8_len(p);
			if (n) {
				fwrite(p, 1, n, f);
				p += n;
			} else {
				fputs("\\ufffd", f); /* not UTF-8: the replacement character */
				p++;
			}
		}
	}
	fputc('"', f);
}

/* XML text or attribute value: the five entities, newlines and tabs as character
 * references in attributes, other control characters (not allowed in XML 1.0) and
 * invalid UTF-8 as U+FFFD. */
static void xml_str(FILE *f, const char *s, int attr)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p) {
		unsigned c = *p;
		size_t n = 1;
		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs(attr ? "&quot;" : "\"", f); break;
		case '\'': fputs(attr ? "&apos;" : "'", f); break;
		case '\n': fputs(attr ? "&#10;" : "\n", f); break;
		case '\t': fputs(attr ? "&#9;" : "\t", f); break;
		case '\r': fputs("&#13;", f); break;
		default:
			if (c < 0x20) {
				fputs("\xef\xbf\xbd", f);
			} else if ((n = utf8_len(p)) == 0) {
				fputs("\xef\xbf\xbd", f);
				n = 1;
			} else if (n == 3 && p[0] == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf)) {
				fputs("\xef\xbf\xbd", f); /* U+FFFE, U+FFFF: not XML characters */
			} else {
				fwrite(p, 1, n, f);
			}
		}
		p += n;
	}
}

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

/* ---- the record ----------------------------------------------------------------- */

int report_init(report *r, const matrix_cfg *cfg)
{
	char buf[256], eb[16];
	size_t n = 0;
	memset(r, 0, sizeof *r);
	r->io = dup(cfg->posix ? "posix" : "simdisk");
	r->atomic = cfg->unit;
	r->points = dup(cfg->points && *cfg->points ? cfg->points : "*");
	buf[0] = 0;
	if (cfg->modes == 0 || (cfg->modes & (1u << MATRIX_ONCE)))
		n += (size_t)snprintf(buf + n, sizeof buf - n, "once");
	if (cfg->modes == 0 || (cfg->modes & (1u << MATRIX_PERSIST)))
		snprintf(buf + n, sizeof buf - n, "%spersist", n ? "," : "");
	r->modes = dup(buf);
	buf[0] = 0;
	n = 0;
	for (size_t i = 0; i < (cfg->nerrs ? cfg->nerrs : 1) && n < sizeof buf; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", i ? "," : "",
				      matrix_errno_name(cfg->nerrs ? cfg->errs[i] : EIO, eb));
	r->errnos = dup(buf);
	r->lost_writes = cfg->lost_writes;
	r->images = !cfg->posix && !cfg->no_images;
	r->exhaustive = !cfg->exhaustive ? SUBSETS_DEFAULT_EXHAUSTIVE
		      : cfg->exhaustive > SUBSETS_MAX_EXHAUSTIVE ? SUBSETS_MAX_EXHAUSTIVE : cfg->exhaustive;
	r->seed = cfg->seed;
	r->cont = cfg->cont_set ? cfg->cont : MATRIX_DEFAULT_CONTINUE;
	r->nshards = cfg->nshards > 1 ? cfg->nshards : 1;
	r->shards = malloc(sizeof *r->shards);
	if (r->shards) {
		r->shards[0] = cfg->nshards > 1 ? cfg->shard : 0;
		r->nshard_idx = 1;
	}
	if (!r->io || !r->points || !r->modes || !r->errnos || !r->shards) {
		report_free(r);
		return -1;
	}
	return 0;
}

static void case_free(report_case *c)
{
	free(c->log);
	free(c->point);
	free(c->mode);
	free(c->err);
	free(c->op_text);
	free(c->result);
	for (size_t i = 0; i < c->nv; i++) {
		free(c->v[i].id);
		free(c->v[i].at);
		free(c->v[i].expected);
		free(c->v[i].found);
	}
	free(c->v);
}

void report_free(report *r)
{
	free(r->io);
	free(r->points);
	free(r->modes);
	free(r->errnos);
	free(r->shards);
	for (size_t i = 0; i < r->nlogs; i++) {
		free(r->logs[i].path);
		free(r->logs[i].error);
	}
	free(r->logs);
	for (size_t i = 0; i < r->ncases; i++)
		case_free(&r->cases[i]);
	free(r->cases);
	memset(r, 0, sizeof *r);
}

int report_add_log(report *r, const char *path, uint64_t ops)
{
	report_log *l = realloc(r->logs, (r->nlogs + 1) * sizeof *l);
	if (!l)
		return -1;
	r->logs = l;
	l = &r->logs[r->nlogs];
	memset(l, 0, sizeof *l);
	if (!(l->path = dup(path)))
		return -1;
	l->ops = ops;
	return (int)r->nlogs++;
}

static report_case *new_case(report *r)
{
	if (r->ncases == r->cases_cap) {
		size_t cap = r->cases_cap ? r->cases_cap * 2 : 64;
		report_case *c = realloc(r->cases, cap * sizeof *c);
		if (!c)
			return NULL;
		r->cases = c;
		r->cases_cap = cap;
	}
	report_case *c = &r->cases[r->ncases];
	memset(c, 0, sizeof *c);
	return c;
}

static void op_text(const oplog *log, size_t k, char *out, size_t n)
{
	const oplog_op *op = &log->ops[k];
	const char *h = op->handle < log->nhandles ? log->handles[op->handle] : NULL;
	const char *name = oplog_kind_name(op->kind);
	if (op->kind == OPLOG_CREATE)
		snprintf(out, n, "%s %" PRIu64, name, op->arg);
	else if (op->kind == OPLOG_FILL || op->kind == OPLOG_PWRITE || op->kind == OPLOG_PSTAGE)
		snprintf(out, n, "%s %s %" PRIu64, name, h ? h : "?", op->arg);
	else if (h)
		snprintf(out, n, "%s %s", name, h);
	else
		snprintf(out, n, "%s", name);
}

int report_add_result(report *r, size_t li, const oplog *log, const matrix_result *res)
{
	char buf[200], eb[16];
	report_case *c = new_case(r);
	if (!c || li >= r->nlogs)
		return -1;
	c->ordinal = res->ordinal;
	c->log = dup(r->logs[li].path);
	c->log_index = li;
	c->point = dup(res->c.point);
	c->hit = res->c.hit;
	c->mode = dup(matrix_mode_name(res->c.mode));
	c->err = dup(matrix_errno_name(res->c.err, eb));
	c->seed = res->c.seed;
	c->lost_writes = res->c.lost_writes;
	c->op = res->op;
	c->line = res->op < log->nops ? log->ops[res->op].line : 0;
	op_text(log, res->op, buf, sizeof buf);
	c->op_text = dup(buf);
	c->fired = res->fired;
	if (res->rc == 0) {
		snprintf(buf, sizeof buf, "ok");
	} else {
		const char *s = pager_strerror(res->rc);
		int len = (int)strcspn(s, ":");
		if (res->rc == PAGER_EIO && res->err_seen)
			snprintf(buf, sizeof buf, "%.*s (%s)", len, s, matrix_errno_name(res->err_seen, eb));
		else
			snprintf(buf, sizeof buf, "%.*s", len, s);
	}
	c->result = dup(buf);
	c->fail_stop = res->fail_stop;
	c->continued = res->continued;
	c->converged = res->converged;
	c->seconds = res->seconds;
	c->dropped = res->dropped;
	c->preexisting = res->preexisting;
	r->ncases++; /* from here on report_free releases it */
	if (!c->log || !c->point || !c->mode || !c->err || !c->op_text || !c->result)
		return -1;
	if (res->nv && !(c->v = calloc(res->nv, sizeof *c->v)))
		return -1;
	for (size_t i = 0; i < res->nv; i++) {
		const matrix_verdict *v = &res->v[i];
		report_verdict *o = &c->v[c->nv++];
		o->id = dup(v->id);
		o->op = v->op;
		o->line = v->op < log->nops ? log->ops[v->op].line : 0;
		o->at = dup(matrix_at_name(v->at));
		o->fatal = v->fatal;
		o->expected = dup(v->expected);
		o->found = dup(v->found);
		if (!o->id || !o->at || !o->expected || !o->found)
			return -1;
	}
	return 0;
}

static int case_fatal(const report_case *c)
{
	for (size_t i = 0; i < c->nv; i++)
		if (c->v[i].fatal)
			return 1;
	return 0;
}

void report_totals_of(const report *r, report_totals *t)
{
	memset(t, 0, sizeof *t);
	t->cases = r->ncases;
	for (size_t i = 0; i < r->nlogs; i++) {
		t->all_cases += r->logs[i].cases;
		t->log_errors += r->logs[i].error != NULL;
	}
	for (size_t i = 0; i < r->ncases; i++) {
		const report_case *c = &r->cases[i];
		t->with_verdicts += c->nv > 0;
		t->fatal += case_fatal(c);
		t->unfired += !c->fired;
	}
}

/* ---- the point x verdict table --------------------------------------------------- */

#define TABLE_MAX_COLS 64
static const char *const fixed_cols[] = {"F-SILENT", "F-ATOMIC", "F-STOP", "F-CONTINUE",
					 "I-OPEN", "I-ATOMIC", "I-DURABLE", "I-LEAK"};
#define NFIXED (sizeof fixed_cols / sizeof fixed_cols[0])

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

static int table_build(const report *r, table *t)
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
		int fatal = case_fatal(c);
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
	if (table_build(r, &t))
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

/* ---- JSON ---------------------------------------------------------------------- */

static void json_list(FILE *f, const char *csv)
{
	fputc('[', f);
	const char *s = csv;
	int first = 1;
	while (s && *s) {
		size_t n = strcspn(s, ",");
		char item[128];
		snprintf(item, sizeof item, "%.*s", (int)(n < 127 ? n : 127), s);
		fputs(first ? "" : ", ", f);
		json_str(f, item);
		first = 0;
		s += n + (s[n] == ',');
	}
	fputc(']', f);
}

int report_write_json(const report *r, FILE *f)
{
	report_totals t;
	report_totals_of(r, &t);
	fprintf(f, "{\n  \"format\": \"tornpage-matrix\",\n  \"schema\": %d,\n", REPORT_SCHEMA);
	fputs("  \"params\": {\"io\": ", f);
	json_str(f, r->io);
	fprintf(f, ", \"atomic\": %" PRIu32 ", \"points\": ", r->atomic);
	json_str(f, r->points);
	fputs(", \"modes\": ", f);
	json_list(f, r->modes);
	fputs(", \"errnos\": ", f);
	json_list(f, r->errnos);
	fprintf(f, ", \"lost_writes\": %s, \"exhaustive\": %" PRIu32 ", \"images\": %s, \"seed\": \"%" PRIu64
		   "\", \"continue\": %" PRIu64 "},\n",
		r->lost_writes ? "true" : "false", r->exhaustive, r->images ? "true" : "false", r->seed, r->cont);
	fprintf(f, "  \"shard\": {\"count\": %" PRIu32 ", \"indexes\": [", r->nshards);
	for (size_t i = 0; i < r->nshard_idx; i++)
		fprintf(f, "%s%" PRIu32, i ? ", " : "", r->shards[i]);
	fputs("]},\n  \"logs\": [", f);
	for (size_t i = 0; i < r->nlogs; i++) {
		const report_log *l = &r->logs[i];
		fputs(i ? ",\n    {\"path\": " : "\n    {\"path\": ", f);
		json_str(f, l->path);
		fprintf(f, ", \"ops\": %" PRIu64 ", \"cases\": %" PRIu64 ", \"seconds\": %.6f, \"error\": ", l->ops, l->cases,
			l->seconds);
		if (l->error)
			json_str(f, l->error);
		else
			fputs("null", f);
		fputc('}', f);
	}
	fprintf(f, "%s],\n", r->nlogs ? "\n  " : "");
	fprintf(f, "  \"summary\": {\"cases\": %" PRIu64 ", \"all_cases\": %" PRIu64 ", \"with_verdicts\": %" PRIu64
		   ", \"fatal\": %" PRIu64 ", \"unfired\": %" PRIu64 ", \"log_errors\": %" PRIu64
		   ", \"seconds\": %.6f, \"cases_per_second\": %.1f},\n",
		t.cases, t.all_cases, t.with_verdicts, t.fatal, t.unfired, t.log_errors, r->seconds,
		r->seconds > 0 ? (double)t.cases / r->seconds : 0.0);
	fputs("  \"cases\": [", f);
	for (size_t i = 0; i < r->ncases; i++) {
		const report_case *c = &r->cases[i];
		fprintf(f, "%s\n    {\"ordinal\": %" PRIu64 ", \"log_index\": %" PRIu64 ", \"log\": ", i ? "," : "", c->ordinal,
			c->log_index);
		json_str(f, c->log);
		fputs(", \"point\": ", f);
		json_str(f, c->point);
		fprintf(f, ", \"hit\": %" PRIu64 ", \"mode\": ", c->hit);
		json_str(f, c->mode);
		fputs(", \"errno\": ", f);
		json_str(f, c->err);
		fprintf(f, ", \"seed\": \"%" PRIu64 "\", \"lost_writes\": %s,\n     \"op\": %" PRIu64 ", \"line\": %" PRIu32
			   ", \"op_text\": ",
			c->seed, c->lost_writes ? "true" : "false", c->op, c->line);
		json_str(f, c->op_text);
		fprintf(f, ", \"fired\": %s, \"result\": ", c->fired ? "true" : "false");
		json_str(f, c->result);
		fprintf(f, ", \"fail_stop\": %s, \"continued\": %" PRIu64 ", \"converged\": %s, \"seconds\": %.6f, \"dropped\": %" PRIu64
			   ", \"preexisting\": %" PRIu64 ",\n     \"verdicts\": [",
			c->fail_stop ? "true" : "false", c->continued, c->converged ? "true" : "false", c->seconds, c->dropped,
			c->preexisting);
		for (size_t k = 0; k < c->nv; k++) {
			const report_verdict *v = &c->v[k];
			fprintf(f, "%s\n       {\"id\": ", k ? "," : "");
			json_str(f, v->id);
			fprintf(f, ", \"op\": %" PRIu64 ", \"line\": %" PRIu32 ", \"at\": ", v->op, v->line);
			json_str(f, v->at);
			fprintf(f, ", \"fatal\": %s, \"expected\": ", v->fatal ? "true" : "false");
			json_str(f, v->expected);
			fputs(", \"found\": ", f);
			json_str(f, v->found);
			fputc('}', f);
		}
		fputs("]}", f);
	}
	fprintf(f, "%s]\n}\n", r->ncases ? "\n  " : "");
	return ferror(f) ? -1 : 0;
}

/* ---- JUnit XML ------------------------------------------------------------------ */

int report_write_junit(const report *r, FILE *f)
{
	report_totals t;
	report_totals_of(r, &t);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuites name=\"tornpage matrix\" tests=\"%" PRIu64 "\" failures=\"%" PRIu64
		   "\" errors=\"%" PRIu64 "\" time=\"%.6f\">\n",
		t.cases + t.log_errors, t.fatal, t.log_errors, r->seconds);
	for (size_t li = 0; li < r->nlogs; li++) {
		const report_log *l = &r->logs[li];
		uint64_t tests = 0, failures = 0, skipped = 0;
		/* a log given more than once: its suites and cases carry its index ("#2") so
		 * that no two testcases share a classname and name */
		int twice = 0;
		for (size_t o = 0; o < r->nlogs && !twice; o++)
			twice = o != li && !strcmp(r->logs[o].path, l->path);
		char tag[32] = "";
		if (twice)
			snprintf(tag, sizeof tag, " #%zu", li);
		for (size_t i = 0; i < r->ncases; i++) {
			if (r->cases[i].log_index != li)
				continue;
			tests++;
			failures += case_fatal(&r->cases[i]);
			skipped += !r->cases[i].fired;
		}
		fputs("  <testsuite name=\"", f);
		xml_str(f, l->path, 1);
		xml_str(f, tag, 1);
		fprintf(f, "\" tests=\"%" PRIu64 "\" failures=\"%" PRIu64 "\" errors=\"%d\" skipped=\"%" PRIu64
			   "\" time=\"%.6f\">\n",
			tests + (l->error != NULL), failures, l->error != NULL, skipped, l->seconds);
		fputs("    <properties>\n", f);
		const char *names[] = {"io", "points", "modes", "errnos"};
		const char *vals[] = {r->io, r->points, r->modes, r->errnos};
		for (int k = 0; k < 4; k++) {
			fprintf(f, "      <property name=\"%s\" value=\"", names[k]);
			xml_str(f, vals[k], 1);
			fputs("\"/>\n", f);
		}
		fprintf(f, "      <property name=\"seed\" value=\"%" PRIu64 "\"/>\n", r->seed);
		fprintf(f, "      <property name=\"atomic\" value=\"%" PRIu32 "\"/>\n", r->atomic);
		fprintf(f, "      <property name=\"lost_writes\" value=\"%s\"/>\n", r->lost_writes ? "true" : "false");
		fprintf(f, "      <property name=\"exhaustive\" value=\"%" PRIu32 "\"/>\n", r->exhaustive);
		fprintf(f, "      <property name=\"images\" value=\"%s\"/>\n", r->images ? "true" : "false");
		fprintf(f, "      <property name=\"continue\" value=\"%" PRIu64 "\"/>\n", r->cont);
		fprintf(f, "      <property name=\"shards\" value=\"%" PRIu32 "\"/>\n", r->nshards);
		fputs("    </properties>\n", f);
		if (l->error) {
			fputs("    <testcase classname=\"", f);
			xml_str(f, l->path, 1);
			fputs("\" name=\"replay", f);
			xml_str(f, tag, 1);
			fputs("\" time=\"0\">\n      <error message=\"", f);
			xml_str(f, l->error, 1);
			fputs("\" type=\"I-MODEL\"/>\n    </testcase>\n", f);
		}
		for (size_t i = 0; i < r->ncases; i++) {
			const report_case *c = &r->cases[i];
			if (c->log_index != li)
				continue;
			fputs("    <testcase classname=\"", f);
			xml_str(f, c->log, 1);
			fputs("\" name=\"", f);
			char name[560];
			snprintf(name, sizeof name, "%s/%" PRIu64 "/%s/%s%s", c->point, c->hit, c->mode, c->err, tag);
			xml_str(f, name, 1);
			fprintf(f, "\" time=\"%.6f\">\n", c->seconds);
			if (!c->fired) {
				fputs("      <skipped message=\"the hit was not reached\"/>\n", f);
			} else if (c->nv) {
				int fatal = case_fatal(c);
				char ids[1024];
				size_t n = 0;
				ids[0] = 0;
				for (size_t k = 0; k < c->nv && n < sizeof ids - 1; k++) {
					size_t d = 0;
					while (d < k && strcmp(c->v[d].id, c->v[k].id))
						d++;
					if (!fatal == !c->v[k].fatal && d == k)
						n += (size_t)snprintf(ids + n, sizeof ids - n, "%s%s", n ? " " : "", c->v[k].id);
				}
				const char *first = NULL;
				for (size_t k = 0; k < c->nv && !first; k++)
					if (c->v[k].fatal || !fatal)
						first = c->v[k].id;
				if (fatal) {
					fputs("      <failure message=\"", f);
					xml_str(f, ids, 1);
					fputs("\" type=\"", f);
					xml_str(f, first, 1);
					fputs("\">", f);
				} else {
					fputs("      <system-out>", f);
				}
				char head[400];
				snprintf(head, sizeof head,
					 "%s hit %" PRIu64 " (%s, %s, seed %" PRIu64 "%s) during op %" PRIu64 " (line %" PRIu32
					 ": %s): %s%s\n",
					 c->point, c->hit, c->mode, c->err, c->seed, c->lost_writes ? ", lost writes" : "", c->op,
					 c->line, c->op_text, c->result, c->fail_stop ? ", fail-stop" : "");
				xml_str(f, head, 0);
				for (size_t k = 0; k < c->nv; k++) {
					const report_verdict *v = &c->v[k];
					char line[160];
					snprintf(line, sizeof line, "%s%s at op %" PRIu64 " (line %" PRIu32 ") [%s]\n  expected: ",
						 v->id, v->fatal ? "" : " (not fatal)", v->op, v->line, v->at);
					xml_str(f, line, 0);
					xml_str(f, v->expected, 0);
					xml_str(f, "\n  found:    ", 0);
					xml_str(f, v->found, 0);
					xml_str(f, "\n", 0);
				}
				fputs(fatal ? "</failure>\n" : "</system-out>\n", f);
			}
			fputs("    </testcase>\n", f);
		}
		fputs("  </testsuite>\n", f);
	}
	fputs("</testsuites>\n", f);
	return ferror(f) ? -1 : 0;
}

/* ---- Markdown ------------------------------------------------------------------- */

#define MD_MAX_FINDINGS 50

int report_write_md(const report *r, FILE *f)
{
	report_totals t;
	table tb;
	report_totals_of(r, &t);
	if (table_build(r, &tb))
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
			if (!case_fatal(c))
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

int report_save(const report *r, const char *path, int (*writer)(const report *, FILE *))
{
	if (!strcmp(path, "-"))
		return writer(r, stdout) || fflush(stdout) ? -1 : 0;
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	int rc = writer(r, f);
	if (fclose(f))
		rc = -1;
	return rc;
}

/* ---- the JSON reader (json-c) ---------------------------------------------------- */

typedef struct jrd {
	const char *path;
	char *msg;
	size_t msglen;
	int bad;
} jrd;

static json_object *jfield(jrd *j, json_object *o, const char *key, json_type type, const char *where)
{
	json_object *v = NULL;
	if (j->bad)
		return NULL;
	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    (!json_object_is_type(v, type) && !(type == json_type_double && json_object_is_type(v, json_type_int)))) {
		snprintf(j->msg, j->msglen, "%s: %s.%s: missing or not a %s", j->path, where, key, json_type_to_name(type));
		j->bad = 1;
		return NULL;
	}
	return v;
}

static char *jstr(jrd *j, json_object *o, const char *key, const char *where)
{
	json_object *v = jfield(j, o, key, json_type_string, where);
	char *s = v ? strdup(json_object_get_string(v)) : NULL;
	if (v && !s) {
		snprintf(j->msg, j->msglen, "out of memory");
		j->bad = 1;
	}
	return s;
}

static uint64_t juint(jrd *j, json_object *o, const char *key, const char *where)
{
	json_object *v = jfield(j, o, key, json_type_int, where);
	if (!v)
		return 0;
	if (json_object_get_int64(v) < 0) {
		snprintf(j->msg, j->msglen, "%s: %s.%s: negative", j->path, where, key);
		j->bad = 1;
		return 0;
	}
	return json_object_get_uint64(v);
}

static int jbool(jrd *j, json_object *o, const char *key, const char *where)
{
	json_object *v = jfield(j, o, key, json_type_boolean, where);
	return v ? json_object_get_boolean(v) : 0;
}

static double jdouble(jrd *j, json_object *o, const char *key, const char *where)
{
	json_object *v = jfield(j, o, key, json_type_double, where);
	return v ? json_object_get_double(v) : 0.0;
}

/* A u64 written as a decimal string (seeds: JSON numbers lose bits past 2^53). */
static uint64_t ju64str(jrd *j, json_object *o, const char *key, const char *where)
{
	json_object *v = jfield(j, o, key, json_type_string, where);
	if (!v)
		return 0;
	const char *s = json_object_get_string(v);
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (!*s || *s == '-' || *end || errno) {
		snprintf(j->msg, j->msglen, "%s: %s.%s: not a decimal u64", j->path, where, key);
		j->bad = 1;
		return 0;
	}
	return x;
}

/* A JSON array of strings joined with commas. */
static char *jcsv(jrd *j, json_object *o, const char *key, const char *where)
{
	json_object *a = jfield(j, o, key, json_type_array, where);
	if (!a)
		return NULL;
	size_t n = json_object_array_length(a), len = 1;
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(a, i);
		if (!json_object_is_type(s, json_type_string)) {
			snprintf(j->msg, j->msglen, "%s: %s.%s[%zu]: not a string", j->path, where, key, i);
			j->bad = 1;
			return NULL;
		}
		len += strlen(json_object_get_string(s)) + 1;
	}
	char *out = malloc(len);
	if (!out) {
		j->bad = 1;
		return NULL;
	}
	out[0] = 0;
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(out, ",");
		strcat(out, json_object_get_string(json_object_array_get_idx(a, i)));
	}
	return out;
}

int report_read_json(const char *path, report *r, char *msg, size_t msglen)
{
	jrd j = {path, msg, msglen, 0};
	char where[64];
	memset(r, 0, sizeof *r);
	json_object *root = json_object_from_file(path);
	if (!root) {
		snprintf(msg, msglen, "%s: %s", path, json_util_get_last_err() ? json_util_get_last_err() : "unreadable");
		return -1;
	}
	json_object *fmt = jfield(&j, root, "format", json_type_string, "report");
	if (fmt && strcmp(json_object_get_string(fmt), "tornpage-matrix")) {
		snprintf(msg, msglen, "%s: not a tornpage matrix report", path);
		j.bad = 1;
	}
	uint64_t schema = juint(&j, root, "schema", "report");
	if (!j.bad && schema != REPORT_SCHEMA) {
		snprintf(msg, msglen, "%s: schema %" PRIu64 ", this tornpage reads %d", path, schema, REPORT_SCHEMA);
		j.bad = 1;
	}
	json_object *p = jfield(&j, root, "params", json_type_object, "report");
	r->io = jstr(&j, p, "io", "params");
	r->atomic = (uint32_t)juint(&j, p, "atomic", "params");
	r->points = jstr(&j, p, "points", "params");
	r->modes = jcsv(&j, p, "modes", "params");
	r->errnos = jcsv(&j, p, "errnos", "params");
	r->lost_writes = jbool(&j, p, "lost_writes", "params");
	r->exhaustive = (uint32_t)juint(&j, p, "exhaustive", "params");
	r->images = jbool(&j, p, "images", "params");
	r->seed = ju64str(&j, p, "seed", "params");
	r->cont = juint(&j, p, "continue", "params");
	json_object *sh = jfield(&j, root, "shard", json_type_object, "report");
	r->nshards = (uint32_t)juint(&j, sh, "count", "shard");
	json_object *idx = jfield(&j, sh, "indexes", json_type_array, "shard");
	if (idx) {
		size_t n = json_object_array_length(idx);
		r->shards = malloc((n ? n : 1) * sizeof *r->shards);
		if (!r->shards)
			j.bad = 1;
		for (size_t i = 0; r->shards && i < n && !j.bad; i++) {
			json_object *v = json_object_array_get_idx(idx, i);
			int64_t x = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;
			if (x < 0 || (uint64_t)x >= r->nshards || (i && (uint32_t)x <= r->shards[i - 1])) {
				snprintf(msg, msglen, "%s: shard.indexes[%zu]: not an ascending index below count", path, i);
				j.bad = 1;
			} else {
				r->shards[r->nshard_idx++] = (uint32_t)x;
			}
		}
	}
	json_object *logs = jfield(&j, root, "logs", json_type_array, "report");
	for (size_t i = 0; logs && !j.bad && i < json_object_array_length(logs); i++) {
		json_object *l = json_object_array_get_idx(logs, i);
		snprintf(where, sizeof where, "logs[%zu]", i);
		char *lp = jstr(&j, l, "path", where);
		int li = lp ? report_add_log(r, lp, juint(&j, l, "ops", where)) : -1;
		free(lp);
		if (li < 0) {
			j.bad = 1;
			break;
		}
		r->logs[li].cases = juint(&j, l, "cases", where);
		r->logs[li].seconds = jdouble(&j, l, "seconds", where);
		json_object *err;
		if (json_object_object_get_ex(l, "error", &err) && json_object_is_type(err, json_type_string))
			r->logs[li].error = strdup(json_object_get_string(err));
	}
	json_object *sum = jfield(&j, root, "summary", json_type_object, "report");
	r->seconds = jdouble(&j, sum, "seconds", "summary");
	json_object *cases = jfield(&j, root, "cases", json_type_array, "report");
	for (size_t i = 0; cases && !j.bad && i < json_object_array_length(cases); i++) {
		json_object *o = json_object_array_get_idx(cases, i);
		snprintf(where, sizeof where, "cases[%zu]", i);
		report_case *c = new_case(r);
		if (!c) {
			j.bad = 1;
			break;
		}
		r->ncases++;
		c->ordinal = juint(&j, o, "ordinal", where);
		c->log_index = juint(&j, o, "log_index", where);
		c->log = jstr(&j, o, "log", where);
		if (!j.bad && (c->log_index >= r->nlogs || !c->log || strcmp(c->log, r->logs[c->log_index].path))) {
			snprintf(msg, msglen, "%s: %s: log_index is not the index of its log in logs[]", path, where);
			j.bad = 1;
		}
		c->point = jstr(&j, o, "point", where);
		c->hit = juint(&j, o, "hit", where);
		c->mode = jstr(&j, o, "mode", where);
		c->err = jstr(&j, o, "errno", where);
		c->seed = ju64str(&j, o, "seed", where);
		c->lost_writes = jbool(&j, o, "lost_writes", where);
		c->op = juint(&j, o, "op", where);
		c->line = (uint32_t)juint(&j, o, "line", where);
		c->op_text = jstr(&j, o, "op_text", where);
		c->fired = jbool(&j, o, "fired", where);
		c->result = jstr(&j, o, "result", where);
		c->fail_stop = jbool(&j, o, "fail_stop", where);
		c->continued = juint(&j, o, "continued", where);
		c->converged = jbool(&j, o, "converged", where);
		c->seconds = jdouble(&j, o, "seconds", where);
		c->dropped = juint(&j, o, "dropped", where);
		c->preexisting = juint(&j, o, "preexisting", where);
		json_object *vs = jfield(&j, o, "verdicts", json_type_array, where);
		size_t nv = vs ? json_object_array_length(vs) : 0;
		if (nv && !(c->v = calloc(nv, sizeof *c->v)))
			j.bad = 1;
		for (size_t k = 0; k < nv && !j.bad; k++) {
			json_object *vo = json_object_array_get_idx(vs, k);
			char w2[96];
			snprintf(w2, sizeof w2, "%s.verdicts[%zu]", where, k);
			report_verdict *v = &c->v[c->nv++];
			v->id = jstr(&j, vo, "id", w2);
			v->op = juint(&j, vo, "op", w2);
			v->line = (uint32_t)juint(&j, vo, "line", w2);
			v->at = jstr(&j, vo, "at", w2);
			v->fatal = jbool(&j, vo, "fatal", w2);
			v->expected = jstr(&j, vo, "expected", w2);
			v->found = jstr(&j, vo, "found", w2);
		}
		if (!j.bad && i && c->ordinal <= r->cases[i - 1].ordinal) {
			snprintf(msg, msglen, "%s: %s: ordinals must ascend", path, where);
			j.bad = 1;
		}
	}
	json_object_put(root);
	if (j.bad) {
		if (!msg[0])
			snprintf(msg, msglen, "%s: out of memory", path);
		report_free(r);
		return -1;
	}
	return 0;
}

/* ---- merge ---------------------------------------------------------------------- */

static int same_str(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

static int case_cmp(const void *a, const void *b)
{
	const report_case *x = a, *y = b;
	return x->ordinal < y->ordinal ? -1 : x->ordinal > y->ordinal;
}

int report_merge(report *dst, const report *src, char *msg, size_t msglen)
{
	if (!same_str(dst->io, src->io) || dst->atomic != src->atomic || !same_str(dst->points, src->points) ||
	    !same_str(dst->modes, src->modes) || !same_str(dst->errnos, src->errnos) ||
	    dst->lost_writes != src->lost_writes || dst->images != src->images || dst->exhaustive != src->exhaustive ||
	    dst->seed != src->seed || dst->cont != src->cont || dst->nshards != src->nshards) {
		snprintf(msg, msglen, "the runs differ in their parameters (io, atomic, points, modes, errnos, lost writes, "
				      "images, exhaustive, seed, continue or shard count): not shards of one matrix");
		return -1;
	}
	if (dst->nlogs != src->nlogs) {
		snprintf(msg, msglen, "the runs cover different logs (%zu and %zu)", dst->nlogs, src->nlogs);
		return -1;
	}
	for (size_t i = 0; i < dst->nlogs; i++) {
		if (!same_str(dst->logs[i].path, src->logs[i].path) || dst->logs[i].ops != src->logs[i].ops ||
		    dst->logs[i].cases != src->logs[i].cases) {
			snprintf(msg, msglen, "log %zu differs: %s (%" PRIu64 " ops, %" PRIu64 " cases) and %s (%" PRIu64
					      " ops, %" PRIu64 " cases)",
				 i, dst->logs[i].path, dst->logs[i].ops, dst->logs[i].cases, src->logs[i].path,
				 src->logs[i].ops, src->logs[i].cases);
			return -1;
		}
	}
	for (size_t i = 0; i < src->nshard_idx; i++)
		for (size_t k = 0; k < dst->nshard_idx; k++)
			if (src->shards[i] == dst->shards[k]) {
				snprintf(msg, msglen, "shard %" PRIu32 "/%" PRIu32 " is in both", src->shards[i], src->nshards);
				return -1;
			}
	/* Both hold ascending ordinals: one walk finds a case in both. */
	for (size_t i = 0, k = 0; i < dst->ncases && k < src->ncases;) {
		if (dst->cases[i].ordinal == src->cases[k].ordinal) {
			snprintf(msg, msglen, "case %" PRIu64 " is in more than one shard", src->cases[k].ordinal);
			return -1;
		}
		if (dst->cases[i].ordinal < src->cases[k].ordinal)
			i++;
		else
			k++;
	}
	uint32_t *sh = realloc(dst->shards, (dst->nshard_idx + src->nshard_idx) * sizeof *sh);
	if (!sh)
		return -1;
	dst->shards = sh;
	for (size_t i = 0; i < src->nshard_idx; i++) {
		size_t k = dst->nshard_idx++;
		while (k && sh[k - 1] > src->shards[i]) {
			sh[k] = sh[k - 1];
			k--;
		}
		sh[k] = src->shards[i];
	}
	for (size_t i = 0; i < src->nlogs; i++) {
		dst->logs[i].seconds += src->logs[i].seconds;
		if (!dst->logs[i].error && src->logs[i].error && !(dst->logs[i].error = strdup(src->logs[i].error)))
			return -1;
	}
	dst->seconds += src->seconds;
	for (size_t i = 0; i < src->ncases; i++) {
		const report_case *s = &src->cases[i];
		report_case *c = new_case(dst);
		if (!c)
			return -1;
		dst->ncases++;
		*c = *s;
		c->log = dup(s->log);
		c->point = dup(s->point);
		c->mode = dup(s->mode);
		c->err = dup(s->err);
		c->op_text = dup(s->op_text);
		c->result = dup(s->result);
		c->v = NULL;
		c->nv = 0;
		if (s->nv && !(c->v = calloc(s->nv, sizeof *c->v)))
			return -1;
		for (size_t k = 0; k < s->nv; k++) {
			report_verdict *v = &c->v[c->nv++];
			*v = s->v[k];
			v->id = dup(s->v[k].id);
			v->at = dup(s->v[k].at);
			v->expected = dup(s->v[k].expected);
			v->found = dup(s->v[k].found);
			if (!v->id || !v->at || !v->expected || !v->found)
				return -1;
		}
		if (!c->log || !c->point || !c->mode || !c->err || !c->op_text || !c->result)
			return -1;
	}
	qsort(dst->cases, dst->ncases, sizeof *dst->cases, case_cmp);
	for (size_t i = 1; i < dst->ncases; i++)
		if (dst->cases[i].ordinal == dst->cases[i - 1].ordinal) {
			snprintf(msg, msglen, "case %" PRIu64 " is in more than one shard", dst->cases[i].ordinal);
			return -1;
		}
	return 0;
}

int report_complete(const report *r)
{
	if (r->nshard_idx != r->nshards)
		return 0;
	for (size_t i = 0; i < r->nshard_idx; i++)
		if (r->shards[i] != i)
			return 0;
	return 1;
}

int report_cases_equal(const report *a, const report *b, char *msg, size_t msglen)
{
	if (a->ncases != b->ncases) {
		snprintf(msg, msglen, "%zu cases and %zu cases", a->ncases, b->ncases);
		return 1;
	}
	for (size_t i = 0; i < a->ncases; i++) {
		const report_case *x = &a->cases[i], *y = &b->cases[i];
		if (x->ordinal != y->ordinal || x->log_index != y->log_index || !same_str(x->log, y->log) ||
		    x->converged != y->converged || !same_str(x->point, y->point) ||
		    x->hit != y->hit || !same_str(x->mode, y->mode) || !same_str(x->err, y->err) || x->seed != y->seed ||
		    x->lost_writes != y->lost_writes || x->op != y->op || x->line != y->line ||
		    !same_str(x->op_text, y->op_text) || x->fired != y->fired || !same_str(x->result, y->result) ||
		    x->fail_stop != y->fail_stop || x->continued != y->continued || x->nv != y->nv ||
		    x->dropped != y->dropped || x->preexisting != y->preexisting) {
			snprintf(msg, msglen, "case %zu (ordinal %" PRIu64 ", %s hit %" PRIu64 " %s) differs", i, x->ordinal,
				 x->point, x->hit, x->mode);
			return 1;
		}
		for (size_t k = 0; k < x->nv; k++) {
			const report_verdict *v = &x->v[k], *w = &y->v[k];
			if (!same_str(v->id, w->id) || v->op != w->op || v->line != w->line || !same_str(v->at, w->at) ||
			    v->fatal != w->fatal || !same_str(v->expected, w->expected) || !same_str(v->found, w->found)) {
				snprintf(msg, msglen, "case %zu (ordinal %" PRIu64 "): verdict %zu differs (%s / %s)", i,
					 x->ordinal, k, v->id, w->id);
				return 1;
			}
		}
	}
	return 0;
}
