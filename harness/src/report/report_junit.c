/* report_junit.c — the JUnit XML writer: one testsuite per log, one testcase per case, a
 * failure for a case with a fatal verdict, for CI test views. */
#define _POSIX_C_SOURCE 200809L
#include "report_int.h"

#include <inttypes.h>
#include <string.h>

#include "json/jsonout.h"

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
			} else if ((n = jsonout_utf8_len(p)) == 0) {
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
			failures += report_case_fatal(&r->cases[i]);
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
				int fatal = report_case_fatal(c);
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
