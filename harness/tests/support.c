/* support.c — the harness tests' shared helpers (support.h). */
#define _POSIX_C_SOURCE 200809L
#include "support.h"

#include <criterion/criterion.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tornpage/matrix.h"

char support_dir[PATH_MAX];

void support_setup(void)
{
	const char *base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/tmp";
	snprintf(support_dir, sizeof support_dir, "%s/tornpage-test-XXXXXX", base);
	cr_assert_not_null(mkdtemp(support_dir), "mkdtemp %s", support_dir);
}

void support_teardown(void)
{
	char cmd[PATH_MAX + 16];
	if (!support_dir[0])
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", support_dir);
	(void)!system(cmd);
	support_dir[0] = '\0';
}

const char *support_path(const char *name)
{
	static char p[4][PATH_MAX + 256];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof p[i], "%s/%s", support_dir, name);
	return p[i];
}

void support_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0, "%s", path);
}

char *support_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *s = malloc((size_t)n + 1);
	cr_assert_not_null(s);
	cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = 0;
	fclose(f);
	return s;
}

void support_need_fiu(void)
{
	if (!matrix_available())
		cr_skip_test("built without libfiu: no fault matrix");
}

int support_run_cli(const char *args, const char *out, const char *err)
{
	char self[PATH_MAX], cmd[PATH_MAX * 3 + 64];
#ifdef TORNPAGE_CLI_PATH
	snprintf(self, sizeof self, "%s", TORNPAGE_CLI_PATH);
#else
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	cr_assert_gt(n, 0);
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	cr_assert_not_null(slash);
	snprintf(slash, sizeof self - (size_t)(slash - self), "/tornpage");
#endif
	snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s >'%s' 2>'%s'", support_dir[0] ? support_dir : ".", self, args,
		 out ? out : "/dev/null", err ? err : "/dev/null");
	int st = system(cmd);
	cr_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}
