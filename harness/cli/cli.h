/* cli.h — what the tornpage commands share: option parsing, loading logs, exit codes,
 * the progress line. Commands never exit() from the middle: they return a code. */
#ifndef TORNPAGE_CLI_H
#define TORNPAGE_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "ops/oplog.h"

enum { CLI_OK = 0, CLI_VIOLATIONS = 1, CLI_USAGE = 2 };

#define COMMAND(name, fn, summary) int fn(int argc, char **argv);
#include "commands.def"
#undef COMMAND

/* Parse a decimal u64 option value; prints "tornpage CMD: --opt: bad number 'x'" and
 * returns -1 on error. */
int cli_u64(const char *cmd, const char *opt, const char *s, uint64_t *out);
/* --atomic 512|1024|4096|page → bytes (0 = page). */
int cli_atomic(const char *cmd, const char *s, uint32_t *unit);
/* An oplog_diag_fn that prints each "file:line: message" on its own line on stderr. */
void cli_diag_stderr(void *arg, const char *msg);
/* Load an op log; every bad line is printed to stderr as file:line: message. 0 or 1. */
int cli_load_log(const char *path, oplog *log);
/* Is argv[i] the option name (accepts --opt=value too); sets *val and advances *i. */
int cli_opt(int argc, char **argv, int *i, const char *name, const char **val);
/* A live progress line on stderr, only when stderr is a terminal. */
int cli_progress_enabled(void);
void cli_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_progress_done(void);

#endif
