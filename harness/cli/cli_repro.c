/* cli_repro.c — `tornpage repro FILE...` (replay reproducers, tell the story) and
 * `tornpage shrink FILE [-o OUT]` (minimize one). The format is docs/repro.md. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "tornpage/repro.h"
#include "tornpage/shrink.h"
#include "tornpage/html.h"

static const char repro_usage[] =
	"usage: tornpage repro FILE... [-q|--quiet] [--html OUT]\n"
	"       tornpage repro --signatures FILE...\n\n"
	"Replays each reproducer exactly (the crash point and the persisted units, or the fault\n"
	"case) and tells the story: the ops up to the crash, the syncs with their steps, which\n"
	"units of which pages persisted, the verdicts, expected vs found. --quiet: one line per\n"
	"file. --signatures: print the reproducers' finding signatures, sorted, one per line\n"
	"(docs/repro.md), for baselines and the fuzzer. --html OUT: also write one self-contained\n"
	"page with every story and its crash state drawn as pages and units (docs/report.md).\n"
	"Exit: 0 every file found exactly its expected verdicts, 1 some differ, 2 a bad file.\n";

int cli_repro(int argc, char **argv)
{
	enum { O_SIGNATURES = CLI_OPT_FIRST, O_HTML };
	static const struct option opts[] = {
		CLI_OPT_COMMON,
		{"signatures", no_argument, NULL, O_SIGNATURES},
		{"html", required_argument, NULL, O_HTML},
		{0},
	};
	int sigs = 0;
	const char *html_path = NULL;
	cli c;
	cli_init(&c, "repro", repro_usage, opts, argc, argv);
	for (int o; (o = cli_next(&c)) != CLI_END;) {
		switch (o) {
		case CLI_STOP:
			return c.rc;
		case O_SIGNATURES:
			sigs = 1;
			break;
		case O_HTML:
			html_path = c.arg;
			break;
		}
	}
	if (sigs && html_path)
		return cli_err("repro", "--html tells stories; --signatures prints none");
	int quiet = c.quiet;
	int nfiles = cli_operands(&c, 1, -1, "reproducer");
	if (nfiles < 0)
		return CLI_USAGE;
	int bad = 0, differ = 0, same = 0, cannot = 0;
	repro_strset all = {0};
	char title[600];
	cli_command_line(&c, title, sizeof title);
	html_report *html = html_path ? html_new(title) : NULL;
	if (html_path && !html)
		return cli_err("repro", "out of memory");
	for (int i = c.first; i < argc; i++) {
		repro r;
		int p = repro_load(argv[i], &r, cli_diag_stderr, NULL);
		if (p) {
			if (p < 0)
				fprintf(stderr, "tornpage repro: %s: out of memory\n", argv[i]);
			bad++;
			continue;
		}
		if (sigs) {
			int s = repro_signatures(&r, &all);
			if (s < 0) {
				fprintf(stderr, "tornpage repro: %s: out of memory\n", argv[i]);
				bad++;
			} else if (s > 0) {
				fprintf(stderr, "tornpage repro: %s: the case cannot be reached: no signature\n", argv[i]);
				differ++;
			}
			repro_free(&r);
			continue;
		}
		repro_result res;
		if (!quiet) {
			printf("== %s\n", argv[i]);
			if (r.nnotes)
				printf("# %s\n", r.notes[0]);
		}
		int rc = repro_run(&r, &res, quiet ? NULL : stdout);
		if (rc < 0) {
			fprintf(stderr, "tornpage repro: %s: out of memory\n", argv[i]);
			bad++;
		} else if (res.status == REPRO_SAME) {
			same++;
			if (quiet)
				printf("ok      %s\n", argv[i]);
		} else if (res.status == REPRO_CANNOT) {
			cannot++;
			fprintf(stderr, "tornpage repro: %s: %s\n", argv[i], res.why);
		} else {
			differ++;
			if (quiet) {
				char e[512], f[512];
				repro_verdicts_text(&r.expect, e, sizeof e);
				repro_verdicts_text(&res.found, f, sizeof f);
				if (res.reached)
					printf("DIFFERS %s: expect %s, found %s\n", argv[i], e, f);
				else
					printf("DIFFERS %s: expect %s, not reached: %s\n", argv[i], e, res.why);
			}
		}
		if (!quiet)
			printf("\n");
		if (html && html_add_repro(html, argv[i], &r)) {
			fprintf(stderr, "tornpage repro: %s: out of memory\n", argv[i]);
			bad++;
		}
		repro_result_free(&res);
		repro_free(&r);
	}
	if (html && cli_html(html, html_path)) {
		fprintf(stderr, "tornpage repro: --html %s: %s\n", html_path, strerror(errno));
		bad++;
	}
	html_free(html);
	if (sigs) {
		for (size_t k = 0; k < all.n; k++)
			printf("%s\n", all.s[k]);
		repro_strset_free(&all);
	} else if (nfiles > 1 || quiet) {
		printf("tornpage repro: %d file(s): %d reproduced, %d differ, %d bad, %d cannot run here\n", nfiles, same,
		       differ, bad, cannot);
	}
	return bad || cannot ? CLI_USAGE : differ ? CLI_VIOLATIONS : CLI_OK;
}

static const char shrink_usage[] =
	"usage: tornpage shrink FILE [-o|--output OUT] [-q|--quiet]\n\n"
	"Minimizes a reproducer: delta debugging (ddmin) over its ops, then (crash cases) over its\n"
	"persisted units, keeping every expected verdict (docs/repro.md, \"Shrinking\"). Writes\n"
	"the result to OUT (a file; or, if OUT is a directory, a file named by its content's\n"
	"hash in it), else to stdout; prints the sizes before and after on stderr (not with -q).\n"
	"Exit: 0 shrunk, 1 the reproducer does not show its verdicts, 2 bad usage or file.\n";

int cli_shrink(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_OPT_COMMON,
		{"output", required_argument, NULL, 'o'},
		{0},
	};
	const char *in, *out = NULL;
	cli c;
	cli_init(&c, "shrink", shrink_usage, opts, argc, argv);
	for (int o; (o = cli_next(&c)) != CLI_END;) {
		switch (o) {
		case CLI_STOP:
			return c.rc;
		case 'o':
			out = c.arg;
			break;
		}
	}
	if (cli_operands(&c, 1, 1, "reproducer") < 0)
		return CLI_USAGE;
	in = argv[c.first];
	repro r, s;
	if (repro_load(in, &r, cli_diag_stderr, NULL))
		return CLI_USAGE;
	shrink_stats st;
	char msg[640];
	int rc = shrink_repro(&r, &s, &st, msg, sizeof msg);
	repro_free(&r);
	if (rc) {
		fprintf(stderr, "tornpage shrink: %s: %s\n", in, msg);
		return rc == 1 ? CLI_VIOLATIONS : CLI_USAGE;
	}
	char *text = repro_format(&s);
	int ret = CLI_OK;
	char path[4096];
	struct stat sb;
	if (!text) {
		fprintf(stderr, "tornpage shrink: out of memory\n");
		ret = CLI_USAGE;
	} else if (!out) {
		fputs(text, stdout);
		snprintf(path, sizeof path, "stdout");
	} else if (stat(out, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		int w = repro_save(&s, out, NULL, path, sizeof path);
		if (w < 0) {
			fprintf(stderr, "tornpage shrink: %s: %s\n", out, strerror(errno));
			ret = CLI_USAGE;
		}
	} else {
		FILE *f = fopen(out, "w");
		int ok = f != NULL;
		snprintf(path, sizeof path, "%s", out);
		if (f) {
			ok = fputs(text, f) >= 0;
			ok &= fclose(f) == 0;
		}
		if (!ok) {
			fprintf(stderr, "tornpage shrink: %s: %s\n", out, strerror(errno));
			ret = CLI_USAGE;
		}
	}
	if (ret == CLI_OK && !c.quiet && s.kind == REPRO_FAULT)
		fprintf(stderr, "shrink: %s: ops %zu -> %zu, %" PRIu64 " candidates replayed -> %s\n", in, st.ops_before,
			st.ops_after, st.tests, path);
	else if (ret == CLI_OK && !c.quiet)
		fprintf(stderr, "shrink: %s: ops %zu -> %zu, units %zu -> %zu, %" PRIu64 " candidates judged%s -> %s\n", in,
			st.ops_before, st.ops_after, st.units_before, st.units_after, st.tests,
			st.relocated ? ", units moved by page key" : "", path);
	free(text);
	repro_free(&s);
	return ret;
}
