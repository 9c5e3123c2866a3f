/* report_json.c — the JSON writer: the schema of docs/matrix.md, the contract with
 * `tornpage merge` (report_read.c reads exactly this), CI scripts and reproducers. */
#define _POSIX_C_SOURCE 200809L
#include "report_int.h"

#include <inttypes.h>
#include <string.h>

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
			size_t n = report_utf8_len(p);
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
