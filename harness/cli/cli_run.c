/* cli_run.c — `tornpage run LOG...`: replay against the pager and the model, no crash. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "tornpage/matrix.h"
#include "tornpage/replay.h"
#include "tornpage/simdisk.h"

static const char usage_text[] =
	"usage: tornpage run LOG... [--io simdisk|posix] [-q|--quiet]\n\n"
	"Replays each op log against the pager and the reference model, comparing them after\n"
	"every op (I-MODEL). --io posix runs on a real file in a temporary directory (mmap,\n"
	"msync); the default is the simulated disk. -q: print findings only.\n"
	"Exit: 0 agree, 1 a difference, 2 bad input.\n";

/* One log on the chosen I/O; 0 ok, 1 finding (printed), -1 setup error (printed). */
static int run_one(const char *name, const oplog *log, int posix, int quiet)
{
	char dir[] = "/tmp/tornpage-run-XXXXXX", path[sizeof dir + 16];
	simdisk *d = NULL;
	const pager_io *io;
	if (posix) {
		if (!mkdtemp(dir)) {
			perror("tornpage run: mkdtemp");
			return -1;
		}
		snprintf(path, sizeof path, "%s/run.db", dir);
		io = pager_io_posix();
	} else {
		if (!(d = simdisk_new(512)))
			return -1;
		snprintf(path, sizeof path, "run.db");
		io = simdisk_io(d);
	}
	replay r;
	model m;
	char msg[600];
	int rc = -1;
	if (replay_init(&r, log, io, path) == 0) {
		if (model_init(&m, log) == 0) {
			rc = 0;
			for (size_t k = 0; k < log->nops && !rc; k++)
				rc = replay_step(&r, &m, k, NULL, msg, sizeof msg);
			if (rc)
				printf("FINDING I-MODEL %s: %s\n", name, msg);
			else if (!quiet)
				printf("ok %s: %zu ops, %zu handles, %s\n", name, log->nops, log->nhandles,
				       posix ? "posix" : "simdisk");
			model_free(&m);
		}
		replay_free(&r);
	}
	if (posix) {
		unlink(path);
		rmdir(dir);
	}
	simdisk_free(d);
	return rc;
}

static void print_fault_verdict(void *arg, const char *verdict, size_t op, const char *expected, const char *found,
				const char *fclass)
{
	(void)arg;
	(void)fclass;
	printf("FINDING %s at op %zu\n    expected: %s\n    found:    %s\n", verdict, op, expected, found);
}

/* Hidden `--fault POINT:HIT:MODE:ERRNO`: one fault-matrix case from the start of the log
 * (matrix_run_case_ex), as one process per case (scripts/bench-matrix.sh). 0 no fatal
 * verdict, 1 fatal verdicts, -1 bad case or log (printed). */
static int run_fault(const char *name, const oplog *log, int posix, const char *spec)
{
	char point[256], mode[16], err[32], msg[600];
	unsigned long long hit;
	const char *c3 = strrchr(spec, ':'), *c2 = NULL, *c1 = NULL; /* the last three colons */
	for (size_t i = c3 ? (size_t)(c3 - spec) : 0; i > 0 && !c1; i--) {
		if (spec[i - 1] == ':') {
			if (!c2)
				c2 = spec + i - 1;
			else
				c1 = spec + i - 1;
		}
	}
	matrix_case c = {0};
	matrix_cfg cfg = {0};
	if (!c1 || c1 == spec || (size_t)(c1 - spec) >= sizeof point || sscanf(c1 + 1, "%llu:", &hit) != 1 ||
	    (size_t)(c3 - c2 - 1) >= sizeof mode || strlen(c3 + 1) >= sizeof err) {
		fprintf(stderr, "tornpage run: --fault: expected POINT:HIT:MODE:ERRNO\n");
		return -1;
	}
	snprintf(point, sizeof point, "%.*s", (int)(c1 - spec), spec);
	snprintf(mode, sizeof mode, "%.*s", (int)(c3 - c2 - 1), c2 + 1);
	snprintf(err, sizeof err, "%s", c3 + 1);
	c.point = point;
	c.hit = hit;
	c.err = matrix_errno_parse(err);
	if (matrix_mode_parse(mode, &c.mode) || !c.err) {
		fprintf(stderr, "tornpage run: --fault: mode once|persist and an errno name, not '%s:%s'\n", mode, err);
		return -1;
	}
	c.seed = matrix_case_seed(1, point, hit, c.mode, c.err);
	cfg.posix = posix;
	cfg.unit = 512;
	int r = matrix_run_case_ex(log, &cfg, &c, print_fault_verdict, NULL, msg, sizeof msg);
	if (r < 0) {
		fprintf(stderr, "tornpage run: %s: --fault %s: %s\n", name, spec, msg);
		return -1;
	}
	printf("%s %s: fault %s hit %llu %s %s, %d fatal verdict(s)\n", r ? "FINDING" : "ok", name, point, hit, mode, err, r);
	return r > 0;
}

int cli_run(int argc, char **argv)
{
	enum { O_IO = CLI_OPT_FIRST, O_FAULT };
	static const struct option opts[] = {
		CLI_OPT_COMMON,
		{"io", required_argument, NULL, O_IO},
		{"fault", required_argument, NULL, O_FAULT}, /* hidden: one fault-matrix case */
		{0},
	};
	static const char *const io_names[] = {"simdisk", "posix", NULL};
	int posix = 0, bad = 0, found = 0;
	const char *fault = NULL;
	cli c;
	cli_init(&c, "run", usage_text, opts, argc, argv);
	for (int o; (o = cli_next(&c)) != CLI_END;) {
		switch (o) {
		case CLI_STOP:
			return c.rc;
		case O_IO:
			if (cli_choice(&c, io_names, &posix))
				return CLI_USAGE;
			break;
		case O_FAULT:
			fault = c.arg;
			break;
		}
	}
	int nlogs = cli_operands(&c, 1, -1, "op log");
	if (nlogs < 0)
		return CLI_USAGE;
	/* Parse every log first: a bad one means no partial run. */
	oplog *logs = calloc((size_t)nlogs, sizeof *logs);
	const char **names = calloc((size_t)nlogs, sizeof *names);
	size_t n = 0;
	if (!logs || !names) {
		free(logs);
		free(names);
		return cli_err("run", "out of memory");
	}
	for (int i = c.first; i < argc; i++) {
		if (cli_load_log(argv[i], &logs[n]))
			bad = 1;
		else
			names[n++] = argv[i];
	}
	for (size_t k = 0; k < n && !bad; k++) {
		int r = fault ? run_fault(names[k], &logs[k], posix, fault) : run_one(names[k], &logs[k], posix, c.quiet);
		found |= r > 0;
		bad |= r < 0;
	}
	for (size_t k = 0; k < n; k++)
		oplog_free(&logs[k]);
	free(logs);
	free(names);
	return bad ? CLI_USAGE : found ? CLI_VIOLATIONS : CLI_OK;
}
