/* main.c — the tornpage CLI: dispatch to the commands of commands.def. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const struct command {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} commands[] = {
#define COMMAND(name, fn, summary) {name, fn, summary},
#include "commands.def"
#undef COMMAND
};

static void usage(FILE *f)
{
	fprintf(f, "usage: tornpage COMMAND [options] ...   (tornpage COMMAND --help)\n\n"
		   "tornpage — crash-consistency and fault-injection harness for the mappedpages pager.\n\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nExit status: 0 no violation, 1 violations found, 2 bad usage or bad input.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return CLI_OK;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "tornpage: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return CLI_USAGE;
}

int cli_u64(const char *cmd, const char *opt, const char *s, uint64_t *out)
{
	char *end;
	if (!s || !*s || *s == '-' || *s == '+') {
		fprintf(stderr, "tornpage %s: %s: bad number '%s'\n", cmd, opt, s ? s : "");
		return -1;
	}
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end) {
		fprintf(stderr, "tornpage %s: %s: bad number '%s'\n", cmd, opt, s);
		return -1;
	}
	*out = v;
	return 0;
}

int cli_atomic(const char *cmd, const char *s, uint32_t *unit)
{
	if (s && !strcmp(s, "page")) {
		*unit = 0;
		return 0;
	}
	if (s && (!strcmp(s, "512") || !strcmp(s, "1024") || !strcmp(s, "2048") || !strcmp(s, "4096"))) {
		*unit = (uint32_t)atoi(s);
		return 0;
	}
	fprintf(stderr, "tornpage %s: --atomic: expected 512, 1024, 2048, 4096 or page, not '%s'\n", cmd, s ? s : "");
	return -1;
}

void cli_diag_stderr(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "%s\n", msg);
}

int cli_load_log(const char *path, oplog *log)
{
	return oplog_load(path, log, cli_diag_stderr, NULL) ? 1 : 0;
}

int cli_opt(int argc, char **argv, int *i, const char *name, const char **val)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0)
		return 0;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n] != '\0')
		return 0;
	*val = *i + 1 < argc ? argv[++*i] : NULL;
	return 1;
}

int cli_progress_enabled(void)
{
	static int on = -1;
	if (on < 0)
		on = isatty(STDERR_FILENO) && !getenv("CI");
	return on;
}

void cli_progress(const char *fmt, ...)
{
	if (!cli_progress_enabled())
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("\r\033[K", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
}

void cli_progress_done(void)
{
	if (cli_progress_enabled())
		fputs("\r\033[K", stderr);
}
