/* cli_matrix.c — `tornpage matrix LOG...` (the fault matrix, matrix.h) and `tornpage merge
 * A.json B.json ...` (join shard reports, report.h). Printing and report files only:
 * the cases and their verdicts are the engine's. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tornpage/baseline.h"
#include "cli.h"
#include "tornpage/matrix.h"
#include "pager.h"
#include "tornpage/dfault.h"
#include "tornpage/replay.h"
#include "tornpage/report.h"
#include "tornpage/subsets.h"
#include "tornpage/html.h"

static const char matrix_usage[] =
	"usage: tornpage matrix LOG... [--io simdisk|posix] [--points GLOB[,GLOB]] [--modes once,persist]\n"
	"                       [--errno EIO,ENOSPC,...] [--lost-writes] [--exhaustive K] [--no-images]\n"
	"                       [--seed S] [--shard I/N] [--continue N] [--atomic 512|1024|2048|4096|page]\n"
	"                       [--json F] [--junit F] [--md F] [--html F] [--max-findings N]\n"
	"                       [-q|--quiet] [--save DIR] [--baseline DIR] [--faults MODE,...|all]\n"
	"                       [--rot-budget N]\n\n"
	"A dry run counts how often each fault point is reached; then one case per (point, nth hit,\n"
	"mode, errno) runs from a snapshot taken before the op the hit falls in. once fails that hit\n"
	"only; persist fails it and every later call of any point. Verdicts per case: F-SILENT (the\n"
	"op reported success), F-ATOMIC (after the error the state is not the one before the op and\n"
	"the pager is not fail-stop; persist: also at every later op that fails), F-STOP (a fail-stop\n"
	"pager accepted work), F-CONTINUE (the rest of the log, at most --continue N ops if given, does\n"
	"not run as the model says), and the crash verdicts on the durable image at the fault and\n"
	"after the continuation (simdisk only).\n"
	"--lost-writes: any subset of a failed sync's units may have reached disk: the image at the\n"
	"fault is judged for every subset (up to --exhaustive K units, default 12, else a seeded mix);\n"
	"the case goes on with one seeded subset, the other units lost.\n"
	"--no-images: F-* verdicts only (posix never judges images: no crash simulation there).\n"
	"--faults: disk faults on each case's durable images (docs/crash-model.md §12): the failed\n"
	"sync's units torn (torn-garbage), the read set rotten (rot, at most --rot-budget images,\n"
	"default 32), the length op k set not durable (lost-size), the syncs op k completed before\n"
	"the fault lying or misdirected; what only the faulty image shows is reported, with I-SILENT\n"
	"when it opens, passes pager_check and holds a wrong state.\n"
	"--shard I/N: only cases with ordinal % N == I (join the JSON with tornpage merge).\n"
	"--save DIR: write one reproducer per distinct finding signature into DIR (docs/repro.md).\n"
	"--baseline DIR: verdicts whose signature a fault reproducer in DIR has are known; report\n"
	"new, known and gone (reproducers that no longer give their verdicts); fail only on new ones.\n"
	"--html F: one self-contained page: the matrix as a heat map (point x verdict) and each\n"
	"distinct finding's reproducer and story (docs/report.md).\n"
	"Defaults: simdisk, every point, both modes, EIO, seed 1, atomic 512. docs/matrix.md.\n"
	"Exit: 0 no fatal verdict (with --baseline: no new one), 1 fatal verdicts (I-LEAK is not\n"
	"fatal), 2 bad usage or input.\n";

static const char merge_usage[] =
	"usage: tornpage merge A.json B.json ... [--json OUT] [--junit OUT] [--md OUT] [--html OUT]\n"
	"                      [--partial] [-q|--quiet]\n\n"
	"Joins the JSON reports of `tornpage matrix --shard I/N` runs of one matrix (same logs and\n"
	"options) into one report, as a single run would have written it. Without --partial every\n"
	"shard 0..N-1 must be there. Exit: 0 no fatal verdict, 1 fatal verdicts, 2 bad input.\n";

typedef struct outputs {
	const char *json, *junit, *md, *html;
	html_report *h;          /* --html: the page, fed while the matrix runs (its stories) */
	int html_oom;            /* a story could not be kept */
} outputs;

/* --json / --junit / --md / --html, shared by matrix and merge. */
enum { O_JSON = CLI_OPT_FIRST, O_JUNIT, O_MD, O_HTML, O_OUTPUTS_END };
#define OUTPUT_OPTIONS                                                                                 \
	{"json", required_argument, NULL, O_JSON}, {"junit", required_argument, NULL, O_JUNIT},       \
		{"md", required_argument, NULL, O_MD}, {"html", required_argument, NULL, O_HTML}

/* 1 when option o is one of OUTPUT_OPTIONS (its value taken). */
static int output_opt(const cli *c, int o, outputs *out)
{
	if (o == O_JSON)
		out->json = c->arg;
	else if (o == O_JUNIT)
		out->junit = c->arg;
	else if (o == O_MD)
		out->md = c->arg;
	else if (o == O_HTML)
		out->html = c->arg;
	return o >= O_JSON && o < O_OUTPUTS_END;
}

/* baseline_sink's diagnostics (--save), prefixed like every matrix error. */
static void save_diag(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "tornpage matrix: %s\n", msg);
}

static int write_outputs(const report *r, const outputs *o, const char *cmd)
{
	struct {
		const char *path;
		int (*fn)(const report *, FILE *);
	} w[] = {{o->json, report_write_json}, {o->junit, report_write_junit}, {o->md, report_write_md}};
	int rc = 0;
	for (size_t i = 0; i < 3; i++) {
		if (!w[i].path)
			continue;
		/* "-": the report on stdout (the library writes only where it is told) */
		int bad = !strcmp(w[i].path, "-") ? w[i].fn(r, stdout) || fflush(stdout)
						  : report_save(r, w[i].path, w[i].fn);
		if (bad) {
			fprintf(stderr, "tornpage %s: cannot write %s: %s\n", cmd, w[i].path, strerror(errno));
			rc = -1;
		}
	}
	if (o->html && (!o->h || html_add_matrix(o->h, r) || cli_html(o->h, o->html))) {
		fprintf(stderr, "tornpage %s: cannot write %s: %s\n", cmd, o->html, o->h ? strerror(errno) : "out of memory");
		rc = -1;
	}
	return rc;
}

static void print_summary(const report *r, FILE *f)
{
	report_totals t;
	report_totals_of(r, &t);
	if (r->ncases) {
		fputc('\n', f);
		report_write_table(r, f);
	}
	fprintf(f, "\n%" PRIu64 " cases (%" PRIu64 " in all shards) in %.2f s, %.0f cases/s: %" PRIu64
		   " with verdicts, %" PRIu64 " with fatal verdicts",
		t.cases, t.all_cases, r->seconds, r->seconds > 0 ? (double)t.cases / r->seconds : 0.0, t.with_verdicts,
		t.fatal);
	if (t.unfired)
		fprintf(f, ", %" PRIu64 " hits not reached (harness note)", t.unfired);
	if (t.log_errors)
		fprintf(f, ", %" PRIu64 " logs with no matrix", t.log_errors);
	fputc('\n', f);
}

/* ---- matrix --------------------------------------------------------------------- */

/* baseline_sink.keep: a reproducer of a distinct finding, told in the HTML page. */
static void keep_story(void *arg, const char *title, const repro *r)
{
	outputs *o = arg;
	if (html_add_repro(o->h, title, r))
		o->html_oom = 1;
}

typedef struct matrix_out {
	report rep;
	size_t log_index;
	const char *name;
	int quiet;
	uint64_t printed, max_print;
	uint64_t total;      /* cases of the current log (all shards) */
	int oom;
} matrix_out;

static void print_case(const char *name, const oplog *log, const matrix_result *r)
{
	char what[200], where[200], eb[16], rb[64];
	const matrix_verdict *first = NULL;
	for (size_t i = 0; i < r->nv && !first; i++)
		if (r->v[i].fatal)
			first = &r->v[i];
	if (!first)
		return;
	replay_describe(log, r->op, what, sizeof what);
	if (r->rc == 0)
		snprintf(rb, sizeof rb, "success");
	else if (r->rc == PAGER_EIO && r->err_seen)
		snprintf(rb, sizeof rb, "PAGER_EIO (%s)", matrix_errno_name(r->err_seen, eb));
	else
		snprintf(rb, sizeof rb, "%.*s", (int)strcspn(pager_strerror(r->rc), ":"), pager_strerror(r->rc));
	printf("FINDING %s %s: %s hit %" PRIu64 " %s %s%s at %s returned %s", first->id, name, r->c.point, r->c.hit,
	       matrix_mode_name(r->c.mode), matrix_errno_name(r->c.err, eb), r->c.lost_writes ? " lost-writes" : "",
	       what, rb);
	for (size_t i = 0; i < r->nv; i++) {
		size_t k = 0;
		while (k < i && strcmp(r->v[k].id, r->v[i].id))
			k++;
		if (k == i && r->v[i].id != first->id && strcmp(r->v[i].id, first->id))
			printf(" +%s", r->v[i].id);
	}
	putchar('\n');
	if (first->at == MATRIX_AT_OP)
		replay_describe(log, first->op, where, sizeof where);
	else if (first->at == MATRIX_AT_FAULT)
		snprintf(where, sizeof where, "the durable image at the fault");
	else
		snprintf(where, sizeof where, "the durable image after op %zu", first->op);
	printf("    %s at %s%s%s\n    expected: %s\n    found:    %s\n", first->id, where,
	       first->fclass[0] ? ", disk fault " : "", first->fclass, first->expected, first->found);
}

static void on_result(void *arg, const oplog *log, const matrix_result *r)
{
	matrix_out *o = arg;
	if (report_add_result(&o->rep, o->log_index, log, r))
		o->oom = 1;
	int fatal = 0;
	for (size_t i = 0; i < r->nv; i++)
		fatal |= r->v[i].fatal;
	if (fatal && !o->quiet && o->printed < o->max_print) {
		o->printed++;
		cli_progress_done();
		print_case(o->name, log, r);
	}
}

static void on_progress(void *arg, const matrix_stats *st, size_t op, size_t nops)
{
	matrix_out *o = arg;
	cli_progress("%s: op %zu/%zu, %" PRIu64 "/%" PRIu64 " cases, %" PRIu64 " with verdicts, %.0f cases/s", o->name, op,
		     nops, st->run, st->cases, st->with_verdicts, st->seconds > 0 ? (double)st->run / st->seconds : 0.0);
}

static int mode_item(cli *c, const char *item, void *arg)
{
	matrix_cfg *cfg = arg;
	matrix_mode m;
	if (matrix_mode_parse(item, &m))
		return cli_bad(c, "expected once and/or persist, not '%s'", item), -1;
	cfg->modes |= 1u << m;
	return 0;
}

static int errno_item(cli *c, const char *item, void *arg)
{
	matrix_cfg *cfg = arg;
	int e = matrix_errno_parse(item);
	if (!e)
		return cli_bad(c, "unknown errno '%s' (a name like EIO or a number)", item), -1;
	for (size_t d = 0; d < cfg->nerrs; d++)
		if (cfg->errs[d] == e)
			return 0; /* given twice: one case per errno */
	if (cfg->nerrs == MATRIX_MAX_ERRNOS)
		return cli_bad(c, "at most %u values", MATRIX_MAX_ERRNOS), -1;
	cfg->errs[cfg->nerrs++] = e;
	return 0;
}

/* Every --points glob must name at least one fault point: a typo would silently run
 * fewer cases. */
static int point_item(cli *c, const char *glob, void *arg)
{
	(void)arg;
	size_t n;
	const pager_fault_point *pts = pager_fault_points(&n);
	for (size_t i = 0; i < n; i++)
		if (fnmatch(glob, pts[i].name, 0) == 0)
			return 0;
	return cli_bad(c, "'%s' matches no fault point (tornpage points lists them)", glob), -1;
}

int cli_matrix(int argc, char **argv)
{
	enum { O_IO = O_OUTPUTS_END, O_POINTS, O_MODES, O_ERRNO, O_LOST_WRITES, O_EXHAUSTIVE, O_NO_IMAGES, O_SEED,
	       O_SHARD, O_CONTINUE, O_ATOMIC, O_MAX_FINDINGS, O_SAVE, O_BASELINE, O_FAULTS, O_ROT_BUDGET };
	static const struct option opts[] = {
		CLI_OPT_COMMON,
		OUTPUT_OPTIONS,
		{"io", required_argument, NULL, O_IO},
		{"points", required_argument, NULL, O_POINTS},
		{"modes", required_argument, NULL, O_MODES},
		{"errno", required_argument, NULL, O_ERRNO},
		{"lost-writes", no_argument, NULL, O_LOST_WRITES},
		{"exhaustive", required_argument, NULL, O_EXHAUSTIVE},
		{"no-images", no_argument, NULL, O_NO_IMAGES},
		{"seed", required_argument, NULL, O_SEED},
		{"shard", required_argument, NULL, O_SHARD},
		{"continue", required_argument, NULL, O_CONTINUE},
		{"atomic", required_argument, NULL, O_ATOMIC},
		{"max-findings", required_argument, NULL, O_MAX_FINDINGS},
		{"save", required_argument, NULL, O_SAVE},
		{"baseline", required_argument, NULL, O_BASELINE},
		{"faults", required_argument, NULL, O_FAULTS},
		{"rot-budget", required_argument, NULL, O_ROT_BUDGET},
		{0},
	};
	static const char *const io_names[] = {"simdisk", "posix", NULL};
	matrix_cfg cfg;
	outputs out = {0};
	const char **logs;
	const char *save_dir = NULL, *base_dir = NULL;
	size_t nlogs = 0;
	uint64_t v, w, max_print = 20;
	int rc = CLI_USAGE;
	memset(&cfg, 0, sizeof cfg);
	cfg.seed = 1;
	cfg.unit = 512;
	cli c;
	cli_init(&c, "matrix", matrix_usage, opts, argc, argv);
	for (int o; (o = cli_next(&c)) != CLI_END;) {
		if (output_opt(&c, o, &out))
			continue;
		switch (o) {
		case CLI_STOP:
			return c.rc;
		case O_IO:
			if (cli_choice(&c, io_names, &cfg.posix))
				return CLI_USAGE;
			break;
		case O_POINTS:
			if (cli_list(&c, point_item, NULL))
				return CLI_USAGE;
			cfg.points = c.arg;
			break;
		case O_MODES:
			cfg.modes = 0;
			if (cli_list(&c, mode_item, &cfg))
				return CLI_USAGE;
			break;
		case O_ERRNO:
			cfg.nerrs = 0;
			if (cli_list(&c, errno_item, &cfg))
				return CLI_USAGE;
			break;
		case O_LOST_WRITES:
			cfg.lost_writes = 1;
			break;
		case O_FAULTS:
			if (cli_faults(&c, &cfg.faults))
				return CLI_USAGE;
			break;
		case O_ROT_BUDGET:
			if (cli_u64(&c, 1, 1000000, &v))
				return CLI_USAGE;
			cfg.rot_budget = (uint32_t)v;
			break;
		case O_EXHAUSTIVE:
			if (cli_u64(&c, 1, SUBSETS_MAX_EXHAUSTIVE, &v))
				return CLI_USAGE;
			cfg.exhaustive = (uint32_t)v;
			break;
		case O_NO_IMAGES:
			cfg.no_images = 1;
			break;
		case O_SEED:
			if (cli_u64(&c, 0, UINT64_MAX, &cfg.seed))
				return CLI_USAGE;
			break;
		case O_SHARD: {
			size_t k = strcspn(c.arg, "/");
			if (!c.arg[k])
				return cli_bad(&c, "expected I/N with 0 <= I < N, not '%s'", c.arg);
			if (cli_u64_of(&c, c.arg + k + 1, strlen(c.arg + k + 1), 1, 1000000, &w) ||
			    cli_u64_of(&c, c.arg, k, 0, w - 1, &v))
				return CLI_USAGE;
			cfg.shard = (uint32_t)v;
			cfg.nshards = (uint32_t)w;
			break;
		}
		case O_CONTINUE:
			if (cli_u64(&c, 0, SIZE_MAX, &v))
				return CLI_USAGE;
			cfg.cont = (size_t)v;
			cfg.cont_set = 1;
			break;
		case O_ATOMIC:
			if (cli_atomic(&c, &cfg.unit))
				return CLI_USAGE;
			break;
		case O_MAX_FINDINGS:
			if (cli_u64(&c, 0, UINT64_MAX, &max_print))
				return CLI_USAGE;
			break;
		case O_SAVE:
			save_dir = c.arg;
			break;
		case O_BASELINE:
			base_dir = c.arg;
			break;
		}
	}
	int nargs = cli_operands(&c, 1, -1, "op log");
	if (nargs < 0)
		return CLI_USAGE;
	logs = (const char **)(argv + c.first);
	nlogs = (size_t)nargs;
	if (!matrix_available()) {
		return cli_err("matrix", "built without libfiu (TORNPAGE_FIU=OFF): no fault matrix");
	}
	/* Parse every log first: a bad one means no partial run. */
	oplog *parsed = calloc(nlogs, sizeof *parsed);
	if (!parsed)
		return cli_err("matrix", "out of memory");
	int bad = 0;
	for (size_t i = 0; i < nlogs; i++)
		bad |= cli_load_log(logs[i], &parsed[i]);
	baseline base;
	baseline_sink sink;
	char how[160];
	memset(&base, 0, sizeof base);
	memset(&sink, 0, sizeof sink);
	if (save_dir && !bad) {
		struct stat sb;
		if (stat(save_dir, &sb) || !S_ISDIR(sb.st_mode)) {
			fprintf(stderr, "tornpage matrix: --save: %s is not a directory\n", save_dir);
			bad = 1;
		}
	}
	if (base_dir && !bad) {
		int b = baseline_load(&base, base_dir, REPRO_FAULT, cli_diag_stderr, NULL);
		if (b) {
			fprintf(stderr, "tornpage matrix: --baseline %s: %s\n", base_dir,
				b < 0 ? "out of memory" : "bad reproducer(s)");
			bad = 1;
		}
	}
	matrix_out o;
	memset(&o, 0, sizeof o);
	o.quiet = c.quiet;
	o.max_print = max_print;
	if (bad || report_init(&o.rep, &cfg)) {
		baseline_free(&base);
		for (size_t i = 0; i < nlogs; i++)
			oplog_free(&parsed[i]);
		free(parsed);
		return CLI_USAGE;
	}
	char title[600];
	cli_command_line(&c, title, sizeof title);
	if (out.html)
		out.h = html_new(title); /* NULL: write_outputs says "out of memory" */
	if (save_dir || base_dir || out.h) {
		/* Reproducers are built after each log's matrix (baseline.h: replaying a case
		 * inside the matrix's callback would disturb libfiu's state). */
		if (out.h) {
			sink.keep = keep_story;
			sink.keep_arg = &out;
		}
		char u[16] = "page";
		if (cfg.unit)
			snprintf(u, sizeof u, "%u", cfg.unit);
		char fl[96] = "";
		if (cfg.faults) {
			char list[80];
			dfault_list_text(cfg.faults, list, sizeof list);
			snprintf(fl, sizeof fl, " --faults %s", list);
		}
		snprintf(how, sizeof how, "tornpage matrix --atomic %s%s%s --seed %" PRIu64, u,
			 cfg.lost_writes ? " --lost-writes" : "", fl, cfg.seed);
		sink.save_dir = save_dir;
		sink.base = base_dir ? &base : NULL;
		sink.unit = cfg.unit;
		sink.how = how;
		sink.out = stdout;
		sink.diag = save_diag;
		cfg.on_case = baseline_sink_on_case;
		cfg.on_case_arg = &sink;
	}
	cfg.on_result = on_result;
	cfg.result_arg = &o;
	cfg.progress = on_progress;
	cfg.progress_arg = &o;
	char unit[16] = "page";
	if (cfg.unit)
		snprintf(unit, sizeof unit, "%u", cfg.unit);
	char cont[32] = "rest of the log";
	if (o.rep.cont)
		snprintf(cont, sizeof cont, "%" PRIu64 " ops", o.rep.cont);
	char lw[48] = "off";
	if (cfg.lost_writes)
		snprintf(lw, sizeof lw, "on (exhaustive %" PRIu32 ")", o.rep.exhaustive);
	printf("tornpage matrix: io %s, atomic %s, points %s, modes %s, errnos %s, lost writes %s, durable images %s,"
	       " continue %s, seed %" PRIu64 ", shard %u/%u\n",
	       o.rep.io, unit, o.rep.points, o.rep.modes, o.rep.errnos, lw, o.rep.images ? "judged" : "not judged", cont,
	       cfg.seed, cfg.nshards > 1 ? cfg.shard : 0, cfg.nshards > 1 ? cfg.nshards : 1);
	fflush(stdout);
	rc = CLI_OK;
	uint64_t ordinal = 0;
	for (size_t i = 0; i < nlogs; i++) {
		char msg[600];
		matrix_stats st;
		int li = report_add_log(&o.rep, logs[i], parsed[i].nops);
		if (li < 0) {
			rc = CLI_USAGE;
			break;
		}
		o.log_index = (size_t)li;
		o.name = logs[i];
		printf("== %s (%zu ops, %zu-byte pages)\n", logs[i], parsed[i].nops, (size_t)1 << parsed[i].page_log2);
		fflush(stdout);
		if (cfg.on_case && baseline_sink_begin(&sink, &parsed[i], logs[i]))
			fprintf(stderr, "tornpage matrix: %s: cannot locate its fault hits for --save/--baseline\n", logs[i]);
		int r = matrix_run(&parsed[i], &cfg, &ordinal, &st, msg, sizeof msg);
		cli_progress_done();
		if (cfg.on_case)
			baseline_sink_end(&sink);
		o.rep.logs[li].cases = st.cases;
		o.rep.logs[li].seconds = st.seconds;
		o.rep.seconds += st.seconds;
		if (r > 0) {
			printf("FINDING I-MODEL %s: %s (no matrix for this log)\n", logs[i], msg);
			o.rep.logs[li].error = strdup(msg);
			if (rc == CLI_OK)
				rc = CLI_VIOLATIONS;
		} else if (r < 0) {
			fprintf(stderr, "tornpage matrix: %s: %s\n", logs[i], msg);
			rc = CLI_USAGE;
			break;
		}
		printf("   %" PRIu64 " cases, %" PRIu64 " run, %" PRIu64 " with verdicts, %" PRIu64 " with fatal verdicts, %.3f s\n",
		       st.cases, st.run, st.with_verdicts, st.fatal, st.seconds);
		fflush(stdout);
		if (st.fatal && rc == CLI_OK)
			rc = CLI_VIOLATIONS;
	}
	if (o.oom) {
		fprintf(stderr, "tornpage matrix: out of memory while recording cases\n");
		rc = CLI_USAGE;
	}
	report_totals t;
	report_totals_of(&o.rep, &t);
	if (!c.quiet && o.printed < t.fatal)
		printf("(%" PRIu64 " more cases with fatal verdicts not shown; --max-findings N)\n", t.fatal - o.printed);
	print_summary(&o.rep, stdout);
	if (write_outputs(&o.rep, &out, "matrix") || out.html_oom)
		rc = CLI_USAGE;
	html_free(out.h);
	if (base_dir) {
		printf("\n");
		baseline_report(&base, stdout);
		/* a log that does not replay (I-MODEL) is never in a baseline */
		if (rc == CLI_VIOLATIONS && !t.log_errors && !baseline_new_fatal(&base))
			rc = CLI_OK;
	}
	if (sink.err && rc != CLI_USAGE) {
		fprintf(stderr, "tornpage matrix: --save/--baseline failed (out of memory or a write error)\n");
		rc = CLI_USAGE;
	}
	printf("\n%s\n", rc == CLI_VIOLATIONS ? (base_dir ? "RESULT: new violations found" : "RESULT: violations found")
			  : rc == CLI_OK ? (base_dir ? "RESULT: no new violation" : "RESULT: no violation") : "RESULT: error");
	baseline_sink_free(&sink);
	baseline_free(&base);
	report_free(&o.rep);
	for (size_t i = 0; i < nlogs; i++)
		oplog_free(&parsed[i]);
	free(parsed);
	return rc;
}

/* ---- merge ---------------------------------------------------------------------- */

int cli_merge(int argc, char **argv)
{
	enum { O_PARTIAL = O_OUTPUTS_END };
	static const struct option opts[] = {
		CLI_OPT_COMMON,
		OUTPUT_OPTIONS,
		{"partial", no_argument, NULL, O_PARTIAL},
		{0},
	};
	outputs out = {0};
	int partial = 0, rc = CLI_USAGE;
	cli c;
	cli_init(&c, "merge", merge_usage, opts, argc, argv);
	for (int o; (o = cli_next(&c)) != CLI_END;) {
		if (output_opt(&c, o, &out))
			continue;
		switch (o) {
		case CLI_STOP:
			return c.rc;
		case O_PARTIAL:
			partial = 1;
			break;
		}
	}
	int nargs = cli_operands(&c, 1, -1, "JSON report");
	if (nargs < 0)
		return CLI_USAGE;
	const char **in = (const char **)(argv + c.first);
	size_t nin = (size_t)nargs;
	report all;
	char msg[600];
	if (report_read_json(in[0], &all, msg, sizeof msg)) {
		fprintf(stderr, "tornpage merge: %s\n", msg);
		return CLI_USAGE;
	}
	for (size_t i = 1; i < nin; i++) {
		report one;
		if (report_read_json(in[i], &one, msg, sizeof msg)) {
			fprintf(stderr, "tornpage merge: %s\n", msg);
			report_free(&all);
			return CLI_USAGE;
		}
		int m = report_merge(&all, &one, msg, sizeof msg);
		report_free(&one);
		if (m) {
			fprintf(stderr, "tornpage merge: %s: %s\n", in[i], msg[0] ? msg : "out of memory");
			report_free(&all);
			return CLI_USAGE;
		}
	}
	report_totals t;
	report_totals_of(&all, &t);
	int complete = report_complete(&all);
	printf("tornpage merge: %zu reports, %zu of %" PRIu32 " shards, %" PRIu64 " of %" PRIu64 " cases\n", nin,
	       all.nshard_idx, all.nshards, t.cases, t.all_cases);
	if (!complete || t.cases != t.all_cases) {
		fprintf(stderr, "tornpage merge: %s: %zu of %" PRIu32 " shards, %" PRIu64 " of %" PRIu64 " cases\n",
			partial ? "partial (--partial)" : "incomplete", all.nshard_idx, all.nshards, t.cases, t.all_cases);
	}
	if (!c.quiet)
		print_summary(&all, stdout);
	rc = t.fatal || t.log_errors ? CLI_VIOLATIONS : CLI_OK;
	if ((!complete || t.cases != t.all_cases) && !partial)
		rc = CLI_USAGE;
	char title[600];
	cli_command_line(&c, title, sizeof title);
	if (out.html)
		out.h = html_new(title);
	if (write_outputs(&all, &out, "merge"))
		rc = CLI_USAGE;
	html_free(out.h);
	report_free(&all);
	return rc;
}
