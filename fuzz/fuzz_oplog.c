/* fuzz_oplog.c — libFuzzer target: bytes → a valid op log → crash states, judged.
 *
 * Input: decoded by fuzz_oplog_decode (inputs.h: oplog_from_bytes, 1 or 2 KiB pages, at
 * most 40 ops). The log is run by crash_run with a bounded sample of crash states per
 * crash point (atomic unit 512, all subsets up to 6 dirty units, else the seeded mix
 * with 8 random subsets, seed 1), so the same input always judges the same images.
 *
 * A fatal finding whose signature is in the known-findings baseline is the seed's known
 * weakness and passes; any other aborts, and so does a log that does not replay (I-MODEL:
 * the pager and the model disagree without any crash). Signature (shared with
 * `tornpage repro --signatures`, docs/repro.md):
 *     VERDICT@STEP:PHASE:OPKIND:ATOMIC
 * e.g. I-OPEN@pager/dircommit/sb_sync:before-sync:palloc:512 — STEP is the sync's fault
 * point ("-" at the end of an op), PHASE before-sync|after-sync|end-of-op, OPKIND the
 * op in flight (or just ended), ATOMIC the unit in bytes or "page" (also when the unit
 * is the page size). The harness's repro_finding_signature (repro.h) writes the same.
 *
 * The baseline, one signature per line ('#' comments): the file named by
 * TORNPAGE_FUZZ_BASELINE, else <this executable>.signatures (the path of /proc/self/exe:
 * a packaged build, e.g. ClusterFuzzLite's $OUT), else corpus/repro/SIGNATURES of the
 * source tree this was built from (scripts/findings.sh writes it). No baseline, or one
 * that cannot be read, is an error at startup (exit 2), not a run where every input
 * aborts.
 * TORNPAGE_FUZZ_FINDINGS=DIR: collect instead of aborting — a new signature is written
 * once to DIR/<signature>.bin (the input) and joins the baseline for this process.
 *
 * Hidden modes (also in the libFuzzer build; they exit before fuzzing starts):
 *   fuzz_oplog --print INPUT           the decoded log, as oplog_format writes it
 *   fuzz_oplog --signatures [--fuzz-config] LOG...
 *                                      sorted unique fatal signatures of the logs, run
 *                                      as `tornpage crash --atomic 512` runs them (or
 *                                      with this target's sampling: --fuzz-config) */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tornpage/crash.h"
#include "fuzzer.h"
#include "inputs.h"
#include "tornpage/oplog.h"
#include "tornpage/replay.h"

#ifndef TORNPAGE_SOURCE_DIR
#define TORNPAGE_SOURCE_DIR "."
#endif

#define SIG_MAX 256

/* ---- the crash configuration --------------------------------------------------- */

static crash_cfg fuzz_cfg(void)
{
	crash_cfg cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.unit = 512;
	cfg.sub.exhaustive_k = 6;
	cfg.sub.samples = 8;
	cfg.sub.seed = 1;
	return cfg;
}

/* `tornpage crash --atomic 512` with its defaults. */
static crash_cfg cli_cfg(void)
{
	crash_cfg cfg = fuzz_cfg();
	cfg.sub.exhaustive_k = SUBSETS_DEFAULT_EXHAUSTIVE;
	cfg.sub.samples = SUBSETS_DEFAULT_SAMPLES;
	return cfg;
}

/* ATOMIC is "page" when the unit is the page size, whatever --atomic said (repro.h). */
static void signature(char *out, size_t n, const oplog *log, const crash_finding *f, uint32_t unit)
{
	char atomic[16] = "page";
	if (unit && unit != ((uint32_t)1 << log->page_log2))
		snprintf(atomic, sizeof atomic, "%u", unit);
	const char *op = f->at.op < log->nops ? oplog_kind_name(log->ops[f->at.op].kind) : "?";
	snprintf(out, n, "%s@%s:%s:%s:%s", f->verdict, f->at.step ? f->at.step : "-",
		 crash_phase_name(f->at.phase), op, atomic);
}

/* ---- a sorted set of signatures -------------------------------------------------- */

typedef struct sigset {
	char **v;
	size_t n, cap;
} sigset;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int sigset_has(const sigset *s, const char *sig)
{
	return s->n && bsearch(&sig, s->v, s->n, sizeof *s->v, cmp_str) != NULL;
}

/* Insert keeping the order; 1 added, 0 already there, -1 out of memory. */
static int sigset_add(sigset *s, const char *sig)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->v[mid], sig);
		if (c == 0)
			return 0;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		char **v = realloc(s->v, cap * sizeof *v);
		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	char *copy = strdup(sig);
	if (!copy)
		return -1;
	memmove(s->v + lo + 1, s->v + lo, (s->n - lo) * sizeof *s->v);
	s->v[lo] = copy;
	s->n++;
	return 1;
}

/* Lines of a baseline file; 0, or -1 with errno when it cannot be opened or read
 * (a directory, an I/O error) or memory runs out. */
static int sigset_load(sigset *s, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int rc = 0;
	if (!f)
		return -1;
	errno = 0;
	while (rc == 0 && fgets(line, sizeof line, f)) {
		size_t n = strcspn(line, "\r\n");
		while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
			n--;
		line[n] = 0;
		char *p = line + strspn(line, " \t");
		if (*p && *p != '#' && sigset_add(s, p) < 0) {
			errno = ENOMEM;
			rc = -1;
		}
	}
	if (rc == 0 && ferror(f)) {
		if (!errno)
			errno = EIO;
		rc = -1;
	}
	fclose(f);
	return rc;
}

/* ---- the target -------------------------------------------------------------------- */

static sigset baseline;
static const char *baseline_path = "(none)";
static const char *findings_dir;

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* The running executable's own path: /proc/self/exe, not argv[0] (a relative or bare
 * name when started through PATH, a symlink, or another working directory). */
static const char *self_exe(char *buf, size_t n)
{
	ssize_t len = readlink("/proc/self/exe", buf, n - 1);
	if (len <= 0 || (size_t)len >= n - 1)
		return NULL;
	buf[len] = 0;
	return buf;
}

/* The baseline, or a clear error: without one, every finding of the seed protocol would
 * abort as new, so every input would "crash". 0, or -1 after printing why. */
static int load_baseline(void)
{
	static char packaged[4096];
	char exe[4096];
	const char *env = getenv("TORNPAGE_FUZZ_BASELINE");
	const char *candidates[2];
	size_t n = 0;
	if (env && *env) {
		candidates[n++] = env; /* named: it must be there, nothing else is tried */
	} else {
		const char *self = self_exe(exe, sizeof exe);
		if (self && snprintf(packaged, sizeof packaged, "%s.signatures", self) < (int)sizeof packaged)
			candidates[n++] = packaged;
		candidates[n++] = TORNPAGE_SOURCE_DIR "/corpus/repro/SIGNATURES";
	}
	for (size_t i = 0; i < n; i++) {
		if (!exists(candidates[i]) && !(env && *env))
			continue;
		if (sigset_load(&baseline, candidates[i]) != 0) {
			fprintf(stderr, "fuzz_oplog: baseline %s: %s\n", candidates[i], strerror(errno));
			return -1;
		}
		baseline_path = candidates[i];
		return 0;
	}
	fprintf(stderr,
		"fuzz_oplog: no baseline of known findings: tried %s%s%s.\n"
		"  Set TORNPAGE_FUZZ_BASELINE=FILE (one signature per line), package it as\n"
		"  <executable>.signatures, or regenerate corpus/repro (scripts/findings.sh).\n",
		candidates[0], n > 1 ? " and " : "", n > 1 ? candidates[1] : "");
	return -1;
}

static void print_log(FILE *to, const oplog *log)
{
	char *text = oplog_format(log);
	fputs(text ? text : "(out of memory)\n", to);
	free(text);
}

typedef struct run {
	const oplog *log;
	const uint8_t *data;
	size_t size;
	uint32_t unit;
} run;

/* The input under a name made of the signature ('/' and ':' become '_'). */
static void collect(const run *r, const char *sig)
{
	char path[4096];
	int n = snprintf(path, sizeof path, "%s/", findings_dir);
	for (const char *c = sig; *c && n > 0 && (size_t)n < sizeof path - 8; c++)
		path[n++] = (*c == '/' || *c == ':' || *c == '@') ? '_' : *c;
	if (n <= 0 || (size_t)n >= sizeof path - 8)
		return;
	memcpy(path + n, ".bin", 5);
	if (exists(path))
		return;
	FILE *f = fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "fuzz_oplog: %s: %s\n", path, strerror(errno));
		return;
	}
	fwrite(r->data, 1, r->size, f);
	fclose(f);
}

static void on_finding(void *arg, const crash_finding *f)
{
	const run *r = arg;
	char sig[SIG_MAX], what[200];
	if (!f->fatal)
		return;
	signature(sig, sizeof sig, r->log, f, r->unit);
	if (sigset_has(&baseline, sig))
		return;
	replay_describe(r->log, f->at.op, what, sizeof what);
	fprintf(stderr, "fuzz_oplog: NEW FINDING %s (not in %s)\n  at %s, %s", sig, baseline_path,
		what, crash_phase_name(f->at.phase));
	if (f->at.step)
		fprintf(stderr, " #%u %s", f->at.sync, f->at.step);
	fprintf(stderr, ", subset %llu of %zu units\n  expected: %s\n  found:    %s\n",
		(unsigned long long)f->subset, f->ndirty, f->expected, f->found);
	if (findings_dir) {
		collect(r, sig);
		(void)sigset_add(&baseline, sig);
		return;
	}
	fputs("  the log:\n", stderr);
	print_log(stderr, r->log);
	fputs("  make it a reproducer: scripts/fuzz-to-repro.sh CRASH-FILE (docs/fuzzing.md)\n", stderr);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	oplog log;
	char msg[600] = "";
	crash_stats st;
	if (fuzz_oplog_decode(data, size, &log) != 0)
		return 0;
	crash_cfg cfg = fuzz_cfg();
	run r = {&log, data, size, cfg.unit};
	int rc = crash_run(&log, &cfg, &st, on_finding, &r, msg, sizeof msg);
	if (rc > 0) {
		fprintf(stderr, "fuzz_oplog: I-MODEL: %s\n  the log:\n", msg);
		print_log(stderr, &log);
		abort();
	}
	oplog_free(&log);
	return 0;
}

/* ---- hidden modes ------------------------------------------------------------------- */

static int print_mode(const char *path)
{
	size_t len;
	oplog log;
	uint8_t *data = fuzz_read_file(path, &len);
	if (!data) {
		fprintf(stderr, "fuzz_oplog --print: %s: %s\n", path, strerror(errno));
		return 2;
	}
	int rc = fuzz_oplog_decode(data, len, &log);
	free(data);
	if (rc)
		return 2;
	print_log(stdout, &log);
	oplog_free(&log);
	return 0;
}

typedef struct collect_run {
	const oplog *log;
	uint32_t unit;
	sigset *out;
} collect_run;

static void on_collect(void *arg, const crash_finding *f)
{
	const collect_run *c = arg;
	char sig[SIG_MAX];
	if (!f->fatal)
		return;
	signature(sig, sizeof sig, c->log, f, c->unit);
	(void)sigset_add(c->out, sig);
}

static void print_diag(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "%s\n", msg);
}

static int signatures_mode(int argc, char **argv)
{
	sigset all = {0};
	crash_cfg cfg = cli_cfg();
	int bad = 0;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--fuzz-config") == 0) {
			cfg = fuzz_cfg();
			continue;
		}
		oplog log;
		crash_stats st;
		char msg[600] = "";
		if (oplog_load(argv[i], &log, print_diag, NULL) != 0) {
			bad = 1;
			continue;
		}
		collect_run c = {&log, cfg.unit, &all};
		if (crash_run(&log, &cfg, &st, on_collect, &c, msg, sizeof msg) != 0) {
			fprintf(stderr, "fuzz_oplog --signatures: %s: %s\n", argv[i], msg[0] ? msg : "out of memory");
			bad = 1;
		}
		oplog_free(&log);
	}
	for (size_t i = 0; i < all.n; i++) {
		puts(all.v[i]);
		free(all.v[i]);
	}
	free(all.v);
	return bad;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char **av = *argv;
	if (*argc >= 3 && strcmp(av[1], "--print") == 0)
		exit(print_mode(av[2]));
	if (*argc >= 2 && strcmp(av[1], "--signatures") == 0)
		exit(signatures_mode(*argc, av));
	const char *dir = getenv("TORNPAGE_FUZZ_FINDINGS");
	if (dir && *dir)
		findings_dir = dir;
	if (load_baseline() != 0)
		exit(2);
	fprintf(stderr, "fuzz_oplog: baseline %s: %zu known signature(s)\n", baseline_path, baseline.n);
	return 0;
}
