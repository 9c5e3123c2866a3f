/* cli_run.c — `tornpage run LOG...`: replay against the pager and the model, no crash. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "replay.h"
#include "simdisk.h"

static const char usage_text[] =
	"usage: tornpage run LOG... [--io simdisk|posix]\n\n"
	"Replays each op log against the pager and the reference model, comparing them after\n"
	"every op (I-MODEL). --io posix runs on a real file in a temporary directory (mmap,\n"
	"msync); the default is the simulated disk. Exit: 0 agree, 1 a difference, 2 bad input.\n";

/* One log on the chosen I/O; 0 ok, 1 finding (printed), -1 setup error (printed). */
static int run_one(const char *name, const oplog *log, int posix)
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
			else
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

int cli_run(int argc, char **argv)
{
	int posix = 0, bad = 0, found = 0;
	const char *val;
	int first_log = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage_text, stdout);
			return CLI_OK;
		} else if (cli_opt(argc, argv, &i, "--io", &val)) {
			if (val && !strcmp(val, "posix"))
				posix = 1;
			else if (!val || strcmp(val, "simdisk")) {
				fprintf(stderr, "tornpage run: --io: expected simdisk or posix\n");
				return CLI_USAGE;
			}
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "tornpage run: unknown option '%s'\n%s", argv[i], usage_text);
			return CLI_USAGE;
		} else if (!first_log) {
			first_log = i;
		}
	}
	if (!first_log) {
		fputs(usage_text, stderr);
		return CLI_USAGE;
	}
	for (int i = first_log; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1]) {
			if (!strcmp(argv[i], "--io"))
				i++;
			continue;
		}
		oplog log;
		if (cli_load_log(argv[i], &log)) {
			bad = 1;
			continue;
		}
		int r = run_one(argv[i], &log, posix);
		found |= r > 0;
		bad |= r < 0;
		oplog_free(&log);
	}
	return bad ? CLI_USAGE : found ? CLI_VIOLATIONS : CLI_OK;
}
