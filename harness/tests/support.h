/* support.h — helpers shared by the harness's Criterion tests: a temporary directory per
 * test, small file helpers, and running the tornpage CLI. It is not a test framework:
 * what a test proves is asserted in the test's own file; these assert only that their
 * own work succeeded (the directory was made, a file written, the CLI exited). */
#ifndef TORNPAGE_TEST_SUPPORT_H
#define TORNPAGE_TEST_SUPPORT_H

/* ---- a temporary directory ---------------------------------------------------------- */
/* support_setup makes a fresh directory ($TMPDIR or /tmp) named in support_dir;
 * support_teardown removes it and everything in it. Use them as a test's .init / .fini
 * (Criterion runs every test in its own process: one directory per test). */
void support_setup(void);
void support_teardown(void);
extern char support_dir[];
/* support_dir/name, in one of 4 rotating static buffers: valid for the next 3 calls. */
const char *support_path(const char *name);

/* ---- files -------------------------------------------------------------------------- */
/* Create or replace path with text. */
void support_write_file(const char *path, const char *text);
/* The whole file, NUL-terminated, malloc'd (free it). */
char *support_slurp(const char *path);

/* ---- skipping --------------------------------------------------------------------- */
/* Skip the running test when this build has no libfiu (no fault matrix). */
void support_need_fiu(void);

/* ---- the CLI ------------------------------------------------------------------------ */
/* Run `tornpage ARGS` — TORNPAGE_CLI_PATH, else the tornpage next to the test binary —
 * in support_dir once support_setup has made it (so ARGS may name files there), else in
 * the current directory; stdout to out and stderr to err (NULL: /dev/null). Returns its
 * exit status. */
int support_run_cli(const char *args, const char *out, const char *err);

#endif
