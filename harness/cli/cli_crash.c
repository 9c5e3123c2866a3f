/* cli_crash.c — `tornpage crash LOG...`: every crash state of each log, judged. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tornpage/baseline.h"
#include "cli.h"
#include "tornpage/crash.h"
#include "tornpage/html.h"
#include "pager.h"
#include "tornpage/replay.h"
#include "tornpage/repro.h"
#include "tornpage/verdicts.h"

static const char usage_text[] =
	"usage: tornpage crash LOG... [--atomic 512|1024|4096|page] [--exhaustive K] [--samples N]\n"
	"                      [--seed S] [--stop-on-first] [--strict] [--all-units] [-q|--quiet]\n"
	"                      [--max-findings N] [--save DIR] [--baseline DIR] [--html OUT]\n"
	"                      [--faults MODE,...|all] [--rot-budget N]\n\n"
	"Replays each log on a simulated disk. At every crash point (before and after every sync,\n"
	"and at the end of every op) builds crash images — the disk plus any subset of the dirty\n"
	"units (all subsets when at most K, default 12; else in-order prefixes, single omissions,\n"
	"single additions and N random subsets, default 64) — and judges each distinct image:\n"
	"I-OPEN, the pager's structural checks, I-ATOMIC, I-DURABLE, I-LEAK (fatal with --strict).\n"
	"Only units of pages recovery reads are enumerated unless --all-units.\n"
	"--faults: also disk faults (docs/crash-model.md §10): torn-garbage, rot, misdirect,\n"
	"lying-sync, lost-size (comma-separated, or all); an image with a fault that opens, passes\n"
	"pager_check and holds a wrong state is an I-SILENT. A table shows, per mode and protocol\n"
	"step, the images detected (I-OPEN, or pager_check) and silent. --rot-budget: rot images\n"
	"per crash point at most (default 128).\n"
	"--atomic: the atomic write unit (default 512). --seed: random subsets (default 1).\n"
	"--save DIR: write one reproducer per distinct finding signature into DIR (docs/repro.md).\n"
	"--baseline DIR: findings whose signature a reproducer in DIR has are known; report new,\n"
	"known and gone (reproducers that no longer give their verdicts); fail only on new ones.\n"
	"--html OUT: one self-contained page: the findings as a heat map (crash step x verdict)\n"
	"and each distinct finding's story with its pages and units drawn (docs/report.md).\n"
	"Exit: 0 no violation (with --baseline: no new one), 1 violations, 2 bad usage or input.\n";

typedef struct verdict_count {
	const char *id;
	uint64_t findings, states;
} verdict_count;

typedef struct crash_out {
	const oplog *log;
	int quiet;
	uint64_t printed, max_print;
	verdict_count counts[64];
	size_t ncounts;
	const char *name;
	/* --save / --baseline (shared by every log of the run) */
	const char *save_dir;
	baseline *base;
	repro_strset *saved;     /* signatures already saved (or skipped) in this run */
	uint32_t cfg_unit;       /* --atomic as given: 0 = page */
	uint64_t seed;
	uint32_t exhaustive, samples; /* --exhaustive, --samples: in each reproducer's "from:" */
	int save_err;
	uint64_t known;          /* findings the baseline knows (not printed) */
	html_report *html;       /* --html, or NULL */
} crash_out;

/* --baseline / --save for one finding: 1 when the baseline knows it (not printed). */
static int known_or_save(crash_out *o, const crash_finding *f)
{
	char sig[REPRO_SIG_MAX], where[300], msg[700], path[4096], how[200];
	if (!o->base && !o->save_dir)
		return 0;
	if (repro_finding_signature(sig, sizeof sig, o->log, f))
		return 0;
	replay_describe(o->log, f->at.op, where, sizeof where);
	size_t l = strlen(where);
	const char *base = strrchr(o->name, '/') ? strrchr(o->name, '/') + 1 : o->name;
	snprintf(where + l, sizeof where - l, " of %s", base);
	if (o->base) {
		int k = baseline_note(o->base, sig, f->fatal, where);
		if (k < 0)
			o->save_err = 1;
		if (k)
			return 1;
	}
	if (!o->save_dir || repro_strset_has(o->saved, sig))
		return 0;
	repro r;
	char at[16] = "page";
	if (o->cfg_unit)
		snprintf(at, sizeof at, "%u", o->cfg_unit);
	snprintf(how, sizeof how, "tornpage crash --atomic %s --exhaustive %" PRIu32 " --samples %" PRIu32 " --seed %" PRIu64 "%s%s %s",
		 at, o->exhaustive, o->samples, o->seed, f->fault ? " --faults " : "", f->fault ? dfault_mode_name(f->fault->mode) : "",
		 base);
	int rc = repro_from_finding(&r, o->log, f, o->cfg_unit, how, msg, sizeof msg);
	if (rc) {
		fprintf(stderr, "tornpage crash: --save: %s: %s: %s\n", o->name, sig, msg);
		if (rc < 0)
			o->save_err = 1;
		return 0;
	}
	/* Every signature of the reproducer is covered from now on (one file per signature). */
	for (size_t i = 0; i < r.expect.n; i++)
		if (!(f->fault ? repro_disk_fault_signature(sig, sizeof sig, r.expect.s[i], f->fstep, f->unit_bytes,
							    f->page_size, f->fclass)
			       : repro_signature(sig, sizeof sig, r.expect.s[i], f->at.phase == CRASH_END_OF_OP ? NULL : f->at.step,
						 f->at.phase, o->log->ops[f->at.op].kind, f->unit_bytes, f->page_size)) &&
		    repro_strset_add(o->saved, sig))
			o->save_err = 1;
	int w = repro_save(&r, o->save_dir, NULL, path, sizeof path);
	if (w < 0) {
		fprintf(stderr, "tornpage crash: --save: %s: %s\n", o->save_dir, strerror(errno));
		o->save_err = 1;
	} else {
		printf("%s %s\n", w ? "known  " : "saved  ", path);
	}
	repro_free(&r);
	return 0;
}

static void print_finding(crash_out *o, const crash_finding *f)
{
	char what[200];
	replay_describe(o->log, f->at.op, what, sizeof what);
	printf("%s %s at %s, %s", f->fatal ? "FINDING" : "note   ", f->verdict, what, crash_phase_name(f->at.phase));
	if (f->at.step)
		printf(" #%u %s", f->at.sync, f->at.step);
	printf(": %" PRIu64 " state(s), first is subset %" PRIu64 " of %zu units\n", f->states, f->subset, f->ndirty);
	printf("    persisted:");
	if (!f->nunits)
		printf(" none (the disk as it was)");
	for (size_t i = 0; i < f->nunits && i < 16; i++) {
		uint64_t page = f->units[i] * f->unit_bytes / f->page_size;
		printf("%s unit %" PRIu64 " (page %" PRIu64 " %s)", i ? "," : "", f->units[i], page,
		       pager_role_name((pager_role)f->roles[i]));
	}
	if (f->nunits > 16)
		printf(", ... %zu in all", f->nunits);
	if (f->ndev) {
		printf("\n    device (a lying sync's bytes reached disk):");
		for (size_t i = 0; i < f->ndev && i < 16; i++)
			printf("%s unit %" PRIu64, i ? "," : "", f->dev[i]);
	}
	if (f->fault) {
		char what[160];
		dfault_format(f->fault, what, sizeof what);
		printf("\n    disk fault: %s (%s)", what, f->fclass);
	}
	printf("\n    expected: %s\n    found:    %s\n", f->expected, f->found);
}

static void on_finding(void *arg, const crash_finding *f)
{
	crash_out *o = arg;
	size_t i = 0;
	while (i < o->ncounts && strcmp(o->counts[i].id, f->verdict))
		i++;
	if (i == o->ncounts && o->ncounts < 64)
		o->counts[o->ncounts++] = (verdict_count){f->verdict, 0, 0};
	if (i < o->ncounts) {
		o->counts[i].findings++;
		o->counts[i].states += f->states;
	}
	if (o->html) {
		char how[300], at[16] = "page";
		const char *base = strrchr(o->name, '/') ? strrchr(o->name, '/') + 1 : o->name;
		if (o->cfg_unit)
			snprintf(at, sizeof at, "%" PRIu32, o->cfg_unit);
		snprintf(how, sizeof how, "tornpage crash --atomic %s --exhaustive %" PRIu32 " --samples %" PRIu32 " --seed %" PRIu64 " %s",
			 at, o->exhaustive, o->samples, o->seed, base);
		if (html_add_crash_finding(o->html, o->log, o->name, f, o->cfg_unit, how))
			o->save_err = 1;
	}
	if (known_or_save(o, f)) {
		o->known++;
		return;
	}
	if (!o->quiet && o->printed < o->max_print) {
		o->printed++;
		print_finding(o, f);
	}
}

static void on_progress(void *arg, const crash_stats *st, size_t op, size_t nops)
{
	crash_out *o = arg;
	cli_progress("%s: op %zu/%zu, %" PRIu64 " points, %" PRIu64 " judged, %" PRIu64 " violating, %.0f states/s",
		     o->name, op, nops, st->points, st->judged, st->violating,
		     st->seconds > 0 ? (double)st->judged / st->seconds : 0.0);
}

static void tally_row(const char *mode, const char *step, const crash_fault_tally *t, double secs)
{
	printf("%-13s %-28s %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %7" PRIu64, mode, step,
	       t->generated, t->judged, t->recovered, t->detected_open, t->detected_check, t->silent);
	if (secs >= 0)
		printf(" %9.0f", secs > 0 ? (double)t->judged / secs : 0.0);
	printf("\n");
}

/* Per disk-fault mode, then per mode and protocol step: what recovery made of the images. */
static void print_fault_tally(const crash_fault_stats *fs, unsigned modes)
{
	printf("\ndisk faults: recovered (no fatal verdict), detected (open: I-OPEN, the file does not open;\n"
	       "check: it opens and pager_check names the damage), silent (it opens, pager_check is clean,\n"
	       "the state is wrong: I-SILENT; for none, the plain images with only I-ATOMIC / I-DURABLE)\n");
	printf("%-13s %-28s %9s %9s %9s %9s %9s %7s %9s\n", "mode", "", "generated", "judged", "recovered", "det:open",
	       "det:check", "silent", "states/s");
	for (unsigned m = 0; m < DFAULT_NMODES; m++)
		if (m == DFAULT_NONE || (modes >> m & 1u))
			tally_row(dfault_mode_name((dfault_mode)m), "(all steps)", &fs->mode[m], m ? fs->seconds[m] : -1);
	printf("\nby protocol step (the crash point's; for misdirect and lying-sync, the faulty sync's):\n");
	for (unsigned m = 1; m < DFAULT_NMODES; m++) {
		if (!(modes >> m & 1u))
			continue;
		for (size_t i = 0; crash_fault_step_name(i); i++)
			if (fs->step[m][i].judged)
				tally_row(dfault_mode_name((dfault_mode)m), crash_fault_step_name(i), &fs->step[m][i], -1);
	}
}

static int fault_item(cli *c, const char *item, void *arg)
{
	unsigned *mask = arg, m;
	char bad[48];
	if (dfault_parse_list(item, &m, bad, sizeof bad))
		return cli_bad(c, "unknown fault mode '%s' (want torn-garbage, rot, misdirect, lying-sync, lost-size or all)",
			       item), -1;
	*mask |= m;
	return 0;
}

int cli_faults(cli *c, unsigned *mask)
{
	*mask = 0;
	return cli_list(c, fault_item, mask);
}

int cli_crash(int argc, char **argv)
{
	enum { O_ATOMIC = CLI_OPT_FIRST, O_EXHAUSTIVE, O_SAMPLES, O_SEED, O_MAX_FINDINGS, O_SAVE, O_BASELINE,
	       O_STOP_ON_FIRST, O_STRICT, O_ALL_UNITS, O_FAULTS, O_ROT_BUDGET, O_HTML };
	static const struct option opts[] = {
		CLI_OPT_COMMON,
		{"atomic", required_argument, NULL, O_ATOMIC},
		{"exhaustive", required_argument, NULL, O_EXHAUSTIVE},
		{"samples", required_argument, NULL, O_SAMPLES},
		{"seed", required_argument, NULL, O_SEED},
		{"max-findings", required_argument, NULL, O_MAX_FINDINGS},
		{"save", required_argument, NULL, O_SAVE},
		{"baseline", required_argument, NULL, O_BASELINE},
		{"stop-on-first", no_argument, NULL, O_STOP_ON_FIRST},
		{"strict", no_argument, NULL, O_STRICT},
		{"all-units", no_argument, NULL, O_ALL_UNITS},
		{"faults", required_argument, NULL, O_FAULTS},
		{"rot-budget", required_argument, NULL, O_ROT_BUDGET},
		{"html", required_argument, NULL, O_HTML},
		{0},
	};
	crash_cfg cfg = {.unit = 512, .sub = {SUBSETS_DEFAULT_EXHAUSTIVE, SUBSETS_DEFAULT_SAMPLES, 1}};
	uint64_t max_print = 20, v;
	const char *save_dir = NULL, *base_dir = NULL, *html_path = NULL;
	crash_fault_stats fstats;
	memset(&fstats, 0, sizeof fstats);
	cli c;
	cli_init(&c, "crash", usage_text, opts, argc, argv);
	for (int o; (o = cli_next(&c)) != CLI_END;) {
		switch (o) {
		case CLI_STOP:
			return c.rc;
		case O_ATOMIC:
			if (cli_atomic(&c, &cfg.unit))
				return CLI_USAGE;
			break;
		case O_EXHAUSTIVE:
			if (cli_u64(&c, 1, SUBSETS_MAX_EXHAUSTIVE, &v))
				return CLI_USAGE;
			cfg.sub.exhaustive_k = (uint32_t)v;
			break;
		case O_SAMPLES:
			if (cli_u64(&c, 0, 1000000, &v))
				return CLI_USAGE;
			cfg.sub.samples = (uint32_t)v;
			break;
		case O_SEED:
			if (cli_u64(&c, 0, UINT64_MAX, &cfg.sub.seed))
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
		case O_STOP_ON_FIRST:
			cfg.stop_on_first = 1;
			break;
		case O_STRICT:
			cfg.strict = 1;
			break;
		case O_ALL_UNITS:
			cfg.all_units = 1;
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
		case O_HTML:
			html_path = c.arg;
			break;
		}
	}
	int quiet = c.quiet;
	int nargs = cli_operands(&c, 1, -1, "op log");
	if (nargs < 0)
		return CLI_USAGE;
	size_t nlogs = (size_t)nargs;
	const char **logs = (const char **)(argv + c.first);
	/* Parse every log first: a bad one means no partial run. */
	oplog *parsed = calloc(nlogs, sizeof *parsed);
	if (!parsed)
		return cli_err("crash", "out of memory");
	int bad = 0;
	for (size_t i = 0; i < nlogs; i++)
		bad |= cli_load_log(logs[i], &parsed[i]);
	if (bad) {
		for (size_t i = 0; i < nlogs; i++)
			oplog_free(&parsed[i]);
		free(parsed);
		return CLI_USAGE;
	}
	baseline base;
	repro_strset saved = {0};
	memset(&base, 0, sizeof base);
	if (save_dir) {
		struct stat sb;
		if (stat(save_dir, &sb) || !S_ISDIR(sb.st_mode)) {
			fprintf(stderr, "tornpage crash: --save: %s is not a directory\n", save_dir);
			bad = 1;
		}
	}
	if (base_dir && !bad) {
		int b = baseline_load(&base, base_dir, REPRO_CRASH, cli_diag_stderr, NULL);
		if (b) {
			fprintf(stderr, "tornpage crash: --baseline %s: %s\n", base_dir, b < 0 ? "out of memory" : "bad reproducer(s)");
			bad = 1;
		}
	}
	if (bad) {
		baseline_free(&base);
		for (size_t i = 0; i < nlogs; i++)
			oplog_free(&parsed[i]);
		free(parsed);
		return CLI_USAGE;
	}
	char title[600];
	cli_command_line(&c, title, sizeof title);
	html_report *html = html_path ? html_new(title) : NULL;
	if (html_path && !html) {
		baseline_free(&base);
		for (size_t i = 0; i < nlogs; i++)
			oplog_free(&parsed[i]);
		free(parsed);
		return cli_err("crash", "out of memory");
	}
	char unit[16] = "page";
	if (cfg.unit)
		snprintf(unit, sizeof unit, "%u", cfg.unit);
	char faults[128] = "";
	if (cfg.faults) {
		char list[96];
		dfault_list_text(cfg.faults, list, sizeof list);
		snprintf(faults, sizeof faults, ", faults %s", list);
		cfg.fstats = &fstats;
	}
	printf("tornpage crash: atomic %s, exhaustive %u, samples %u, seed %" PRIu64 "%s%s%s\n",
	       unit, cfg.sub.exhaustive_k, cfg.sub.samples, cfg.sub.seed,
	       cfg.strict ? ", strict" : "", cfg.all_units ? ", all units" : "", faults);
	crash_stats *stats = calloc(nlogs, sizeof *stats);
	crash_out *outs = calloc(nlogs, sizeof *outs);
	int rc = CLI_OK, model_fail = 0;
	for (size_t i = 0; i < nlogs; i++) {
		char msg[600] = "";
		crash_out *o = &outs[i];
		o->log = &parsed[i];
		o->quiet = quiet;
		o->max_print = max_print;
		o->name = logs[i];
		o->save_dir = save_dir;
		o->base = base_dir ? &base : NULL;
		o->saved = &saved;
		o->cfg_unit = cfg.unit;
		o->seed = cfg.sub.seed;
		o->exhaustive = cfg.sub.exhaustive_k;
		o->samples = cfg.sub.samples;
		o->html = html;
		cfg.progress = on_progress;
		cfg.progress_arg = o;
		printf("== %s (%zu ops, %zu-byte pages)\n", logs[i], parsed[i].nops, (size_t)1 << parsed[i].page_log2);
		fflush(stdout);
		int r = crash_run(&parsed[i], &cfg, &stats[i], on_finding, o, msg, sizeof msg);
		cli_progress_done();
		if (r > 0) {
			printf("FINDING I-MODEL: %s\n", msg);
			rc = CLI_VIOLATIONS;
			model_fail = 1;
		} else if (r < 0) {
			fprintf(stderr, "tornpage crash: %s: out of memory\n", logs[i]);
			rc = CLI_USAGE;
		}
		if (stats[i].fatal && rc == CLI_OK)
			rc = CLI_VIOLATIONS;
		if (o->printed + o->known < stats[i].findings && !quiet)
			printf("(%" PRIu64 " more findings not shown; --max-findings N)\n", stats[i].findings - o->printed - o->known);
		if (cfg.stop_on_first && stats[i].fatal)
			break;
	}

	printf("\n%-28s %6s %7s %10s %10s %8s %9s %10s\n", "log", "ops", "points", "generated", "judged",
	       "violat.", "fatal", "states/s");
	crash_stats tot = {0};
	for (size_t i = 0; i < nlogs; i++) {
		crash_stats *s = &stats[i];
		const char *base = strrchr(logs[i], '/') ? strrchr(logs[i], '/') + 1 : logs[i];
		printf("%-28.28s %6zu %7" PRIu64 " %10" PRIu64 " %10" PRIu64 " %8" PRIu64 " %9" PRIu64 " %10.0f\n", base,
		       parsed[i].nops, s->points, s->generated, s->judged, s->violating, s->fatal,
		       s->seconds > 0 ? (double)s->judged / s->seconds : 0.0);
		tot.points += s->points;
		tot.generated += s->generated;
		tot.judged += s->judged;
		tot.violating += s->violating;
		tot.fatal += s->fatal;
		tot.seconds += s->seconds;
	}
	if (nlogs > 1)
		printf("%-28s %6s %7" PRIu64 " %10" PRIu64 " %10" PRIu64 " %8" PRIu64 " %9" PRIu64 " %10.0f\n", "total", "",
		       tot.points, tot.generated, tot.judged, tot.violating, tot.fatal,
		       tot.seconds > 0 ? (double)tot.judged / tot.seconds : 0.0);
	/* verdict x findings table, over all logs */
	verdict_count all[64];
	size_t nall = 0;
	for (size_t i = 0; i < nlogs; i++)
		for (size_t k = 0; k < outs[i].ncounts; k++) {
			size_t j = 0;
			while (j < nall && strcmp(all[j].id, outs[i].counts[k].id))
				j++;
			if (j == nall && nall < 64)
				all[nall++] = (verdict_count){outs[i].counts[k].id, 0, 0};
			if (j < nall) {
				all[j].findings += outs[i].counts[k].findings;
				all[j].states += outs[i].counts[k].states;
			}
		}
	if (nall) {
		printf("\n%-18s %9s %10s\n", "verdict", "findings", "states");
		for (size_t j = 0; j < nall; j++)
			printf("%-18s %9" PRIu64 " %10" PRIu64 "%s\n", all[j].id, all[j].findings, all[j].states,
			       strcmp(all[j].id, "I-LEAK") || cfg.strict ? "" : "  (not fatal without --strict)");
	}
	if (cfg.faults)
		print_fault_tally(&fstats, cfg.faults);
	int save_err = 0;
	for (size_t i = 0; i < nlogs; i++)
		save_err |= outs[i].save_err;
	if (base_dir) {
		printf("\n");
		baseline_report(&base, stdout);
		/* I-MODEL (a log that does not even replay) is never in a baseline */
		if (rc == CLI_VIOLATIONS && !model_fail && !baseline_new_fatal(&base))
			rc = CLI_OK;
	}
	if (save_err && rc == CLI_OK)
		rc = CLI_USAGE;
	if (html && cli_html(html, html_path)) {
		fprintf(stderr, "tornpage crash: --html %s: %s\n", html_path, strerror(errno));
		rc = CLI_USAGE;
	}
	html_free(html);
	printf("\n%s\n", rc == CLI_VIOLATIONS ? (base_dir ? "RESULT: new violations found" : "RESULT: violations found")
			  : rc == CLI_OK ? (base_dir ? "RESULT: no new violation" : "RESULT: no violation") : "RESULT: error");
	for (size_t i = 0; i < nlogs; i++)
		oplog_free(&parsed[i]);
	free(parsed);
	free(stats);
	free(outs);
	baseline_free(&base);
	repro_strset_free(&saved);
	return rc;
}
