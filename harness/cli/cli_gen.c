/* cli_gen.c — `tornpage gen --seed S --ops N [--page-log2 L]`: a random valid log. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
	"usage: tornpage gen --seed S --ops N [--page-log2 L] [--format 1|2] [-o|--output FILE]\n\n"
	"Writes a random, valid op log (deterministic from the seed) that reaches growth, a\n"
	"second directory block (given enough ops), abandoned stages and reopen. --format 2\n"
	"makes the same log for pager format 2 (\"create L v2\", docs/format-2.md).\n";

int cli_gen(int argc, char **argv)
{
	enum { O_SEED = CLI_OPT_FIRST, O_OPS, O_LOG2, O_FORMAT };
	static const struct option opts[] = {
		CLI_OPT_COMMON,
		{"seed", required_argument, NULL, O_SEED},
		{"ops", required_argument, NULL, O_OPS},
		{"page-log2", required_argument, NULL, O_LOG2},
		{"format", required_argument, NULL, O_FORMAT},
		{"output", required_argument, NULL, 'o'},
		{0},
	};
	uint64_t seed = 1, nops = 100, log2 = 10, format = 1;
	const char *out = NULL;
	int have_seed = 0, have_ops = 0;
	cli c;
	cli_init(&c, "gen", usage_text, opts, argc, argv);
	for (int o; (o = cli_next(&c)) != CLI_END;) {
		switch (o) {
		case CLI_STOP:
			return c.rc;
		case O_SEED:
			if (cli_u64(&c, 0, UINT64_MAX, &seed))
				return CLI_USAGE;
			have_seed = 1;
			break;
		case O_OPS:
			if (cli_u64(&c, 1, 1000000, &nops))
				return CLI_USAGE;
			have_ops = 1;
			break;
		case O_LOG2:
			if (cli_u64(&c, OPLOG_LOG2_MIN, OPLOG_LOG2_MAX, &log2))
				return CLI_USAGE;
			break;
		case O_FORMAT:
			if (cli_u64(&c, 1, OPLOG_PAGER_FORMAT_MAX, &format))
				return CLI_USAGE;
			break;
		case 'o':
			out = c.arg;
			break;
		}
	}
	if (cli_operands(&c, 0, 0, NULL) < 0)
		return CLI_USAGE;
	if (!have_seed || !have_ops)
		return cli_err("gen", "--seed and --ops are required (tornpage gen --help)");
	oplog log;
	if (oplog_gen_format(seed, (size_t)nops, (unsigned)log2, (unsigned)format, &log)) {
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
	fprintf(f, "# targets: random mix (tornpage gen --seed %" PRIu64 " --ops %" PRIu64 " --page-log2 %" PRIu64 "%s)\n%s",
		seed, nops, log2, format == 2 ? " --format 2" : "", text);
	free(text);
	if (out)
		fclose(f);
	return CLI_OK;
}
