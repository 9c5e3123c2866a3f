/* cli.h — what the tornpage commands share: option parsing (getopt_long, one pattern for
 * every command), strict number and list values, loading logs, exit codes, the progress
 * line. Commands never exit() from the middle: they return a code. The contract every
 * command keeps (exit codes, one line per error on stderr) is docs/cli-contract.md.
 *
 * How a command parses its options (cli_run.c is the shortest example):
 *
 *	enum { O_IO = CLI_OPT_FIRST, O_FAULT };
 *	static const struct option opts[] = {
 *		CLI_OPT_COMMON,                              -h/--help, -q/--quiet
 *		{"io", required_argument, NULL, O_IO},
 *		{"fault", required_argument, NULL, O_FAULT},
 *		{0}};
 *	cli c;
 *	cli_init(&c, "run", usage_text, opts, argc, argv);
 *	for (int o; (o = cli_next(&c)) != CLI_END;)
 *		switch (o) {
 *		case CLI_STOP: return c.rc;                   help printed, or a usage error
 *		case O_IO: if (cli_choice(&c, io_names, &io)) return CLI_USAGE; break;
 *		case O_FAULT: fault = c.arg; break;
 *		}
 *	operands: c.argv[c.first .. c.argc-1]
 *
 * A new option is one enum value, one table row and one case. Options with a one-letter
 * form use that letter as their value ('o' for -o/--output) and are added to the short
 * option string automatically. Values are never empty ("--json=" is refused here); numbers
 * go through cli_u64 and comma lists through cli_list, so every command rejects the same
 * things with the same words. */
#ifndef TORNPAGE_CLI_H
#define TORNPAGE_CLI_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "tornpage/oplog.h"

/* Exit codes (docs/cli-contract.md): 0 clean, 1 findings, 2 bad usage, unreadable input
 * or an error of the harness itself (out of memory, a failed write). */
enum { CLI_OK = 0, CLI_VIOLATIONS = 1, CLI_USAGE = 2 };

#define COMMAND(name, fn, summary) int fn(int argc, char **argv);
#include "commands.def"
#undef COMMAND

/* ---- options ------------------------------------------------------------------------ */

#define CLI_OPT_FIRST 256 /* first value for long-only options (above every short letter) */
#define CLI_OPT_COMMON {"help", no_argument, NULL, 'h'}, {"quiet", no_argument, NULL, 'q'}
enum { CLI_END = -1, CLI_STOP = -2 };

typedef struct cli {
	const char *cmd;            /* "crash": every message starts "tornpage crash: " */
	const char *usage;          /* the --help text (stdout) */
	const struct option *opts;  /* getopt_long table, CLI_OPT_COMMON first, {0} last */
	int argc;
	char **argv;                /* argv[0] is the command's name; getopt permutes operands last */
	char shortopts[64];         /* built from opts: ":" then every letter, "x:" with a value */
	char opt[48];               /* the option being handled, "--name" (for messages) */
	const char *arg;            /* its value, never empty; NULL for flags */
	int quiet;                  /* -q/--quiet was given */
	int rc;                     /* the exit code when cli_next returned CLI_STOP */
	int first;                  /* after CLI_END: index of the first operand */
} cli;

void cli_init(cli *c, const char *cmd, const char *usage, const struct option *opts, int argc, char **argv);
/* The next option's value (its table val), CLI_END when only operands remain (from
 * c->argv[c->first]), or CLI_STOP after printing the help (c->rc 0) or one usage error
 * line (c->rc 2): the command returns c->rc. -q/--quiet is handled here (c->quiet). */
int cli_next(cli *c);
/* Number of operands (c->argv[c->first...]), when in min..max (max -1: no limit); else
 * -1 after one line ("no WHAT given", "unexpected argument", "one WHAT at a time"). */
int cli_operands(cli *c, int min, int max, const char *what);

/* One usage error line, "tornpage CMD: --opt: message" (or without "--opt: " when no
 * option is being handled: fmt is then the whole message). Returns CLI_USAGE. */
int cli_bad(cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A message of the command on stderr, "tornpage CMD: message". Returns CLI_USAGE. */
int cli_err(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The option's value as a decimal number in min..max: digits only (no sign, no blanks, no
 * suffix). -1 (printed) otherwise. */
int cli_u64(cli *c, uint64_t min, uint64_t max, uint64_t *out);
/* A decimal number in min..max from s (not c->arg), for parts of a value like I/N. */
int cli_u64_of(cli *c, const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out);
/* The option's value is one of names (NULL-terminated): *idx. -1 (printed) otherwise. */
int cli_choice(cli *c, const char *const *names, int *idx);
/* A comma-separated list: every item non-empty (no ",," and no trailing or leading comma),
 * at most 255 bytes, passed NUL-terminated to item(); item returns 0, or -1 after calling
 * cli_bad. -1 (printed) on a bad list or a bad item. */
int cli_list(cli *c, int (*item)(cli *c, const char *item, void *arg), void *arg);
/* --atomic 512|1024|2048|4096|page → bytes (0 = page). */
int cli_atomic(cli *c, uint32_t *unit);
/* --faults MODE,...|all (disk/dfault.h) → a mask of 1u << dfault_mode (cli_crash.c). */
int cli_faults(cli *c, unsigned *mask);

/* ---- inputs and outputs ------------------------------------------------------------- */

/* --html PATH: write the page there, "-" = stdout. 0, or -1 (errno says why). */
struct html_report;
int cli_html(struct html_report *h, const char *path);
/* The command line as given ("tornpage crash --atomic 512 a.log"), for report titles;
 * cut to n bytes. */
void cli_command_line(const cli *c, char *out, size_t n);

/* An oplog_diag_fn that prints each "file:line: message" on its own line on stderr. */
void cli_diag_stderr(void *arg, const char *msg);
/* Load an op log; every bad line is printed to stderr as file:line: message. 0 or 1. */
int cli_load_log(const char *path, oplog *log);

/* ---- progress ----------------------------------------------------------------------- */
/* A live progress line on stderr, only when stderr is a terminal and CI is not set. */
int cli_progress_enabled(void);
void cli_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_progress_done(void);

#endif
