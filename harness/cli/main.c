/* main.c — the tornpage CLI: dispatch to the commands of commands.def. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "tornpage/version.h"

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
	fprintf(f, "\nOptions: -h, --help (also after a command), --version.\n"
		   "Exit status: 0 clean, 1 findings, 2 bad usage, unreadable input or an error of the\n"
		   "harness (out of memory, a failed write) (docs/cli-contract.md).\n");
}

/* stdout is where every command's product goes: a write that failed anywhere (a full
 * disk, /dev/full, a closed pipe) is an error of the run, exit 2, said once. */
static int finish_stdout(const char *cmd, int rc)
{
	int bad = ferror(stdout);
	if (fflush(stdout))
		bad = 1;
	int e = errno;
	if (fclose(stdout))
		bad = 1, e = errno;
	if (!bad)
		return rc;
	fprintf(stderr, "tornpage%s%s: cannot write stdout: %s\n", cmd ? " " : "", cmd ? cmd : "", e ? strerror(e) : "write error");
	return CLI_USAGE;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	/* "+": options before the command only; the command parses its own (cli.h). */
	opterr = 0;
	for (int o; (o = getopt_long(argc, argv, "+:hV", opts, NULL)) != -1;) {
		switch (o) {
		case 'h':
			usage(stdout);
			return finish_stdout(NULL, CLI_OK);
		case 'V':
			printf("tornpage %s\n", tornpage_version());
			return finish_stdout(NULL, CLI_OK);
		default:
			fprintf(stderr, "tornpage: unknown option '%s' (tornpage --help)\n",
				optopt && optopt != 'h' && optopt != 'V' ? (char[]){'-', (char)optopt, 0} : argv[optind - 1]);
			return CLI_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "tornpage: no command given (tornpage --help)\n");
		return CLI_USAGE;
	}
	const char *name = argv[optind];
	if (!strcmp(name, "help")) {
		usage(stdout);
		return finish_stdout(NULL, CLI_OK);
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(name, commands[i].name))
			return finish_stdout(name, commands[i].fn(argc - optind, argv + optind));
	fprintf(stderr, "tornpage: unknown command '%s' (tornpage --help)\n", name);
	return CLI_USAGE;
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
