/* cli_gen.c — `tornpage gen --seed S --ops N [--page-log2 L]`: a random valid log. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
	"usage: tornpage gen --seed S --ops N [--page-log2 L] [-o FILE]\n\n"
	"Writes a random, valid op log (deterministic from the seed) that reaches growth, a\n"
	"second directory block (given enough ops), abandoned stages and reopen.\n";

int cli_gen(int argc, char **argv)
{
	uint64_t seed = 1, nops = 100, log2 = 10;
	const char *out = NULL, *val;
	int have_seed = 0, have_ops = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage_text, stdout);
			return CLI_OK;
		} else if (cli_opt(argc, argv, &i, "--seed", &val)) {
			if (cli_u64("gen", "--seed", val, &seed))
				return CLI_USAGE;
			have_seed = 1;
		} else if (cli_opt(argc, argv, &i, "--ops", &val)) {
			if (cli_u64("gen", "--ops", val, &nops) || nops > 1000000)
				return CLI_USAGE;
			have_ops = 1;
		} else if (cli_opt(argc, argv, &i, "--page-log2", &val)) {
			if (cli_u64("gen", "--page-log2", val, &log2))
				return CLI_USAGE;
			if (log2 < OPLOG_LOG2_MIN || log2 > OPLOG_LOG2_MAX) {
				fprintf(stderr, "tornpage gen: --page-log2 must be %u..%u\n", OPLOG_LOG2_MIN, OPLOG_LOG2_MAX);
				return CLI_USAGE;
			}
		} else if (cli_opt(argc, argv, &i, "-o", &val)) {
			out = val;
		} else {
			fprintf(stderr, "tornpage gen: unknown argument '%s'\n%s", argv[i], usage_text);
			return CLI_USAGE;
		}
	}
	if (!have_seed || !have_ops) {
		fputs(usage_text, stderr);
		return CLI_USAGE;
	}
	oplog log;
	if (oplog_gen(seed, (size_t)nops, (unsigned)log2, &log)) {
		fprintf(stderr, "tornpage gen: out of memory\n");
		return CLI_USAGE;
	}
	char *text = oplog_format(&log);
	oplog_free(&log);
	if (!text)
		return CLI_USAGE;
	FILE *f = out ? fopen(out, "w") : stdout;
	if (!f) {
		perror(out);
		free(text);
		return CLI_USAGE;
	}
	fprintf(f, "# targets: random mix (tornpage gen --seed %" PRIu64 " --ops %" PRIu64 " --page-log2 %" PRIu64 ")\n%s",
		seed, nops, log2, text);
	free(text);
	if (out)
		fclose(f);
	return CLI_OK;
}
