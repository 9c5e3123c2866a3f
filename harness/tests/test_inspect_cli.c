/* test_inspect_cli.c — `tornpage check` and `tornpage inspect` as a user runs them: a
 * read-only image checked by a user without write access; the JSON of both parses
 * (json-c) and says what the text says; `--json -` writes only the JSON. The CLI runs in
 * the test's directory (support.h). */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>

#include <json-c/json.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support.h"

/* A golden image copied into the test directory as NAME, read-only. */
static void golden_copy(const char *golden, const char *name, long flip)
{
	char from[PATH_MAX];
	snprintf(from, sizeof from, "%s/%s", TORNPAGE_GOLDEN_DIR, golden);
	FILE *in = fopen(from, "rb");
	cr_assert(in, "%s", from);
	FILE *out = fopen(support_path(name), "wb");
	cr_assert(out);
	int ch;
	for (long off = 0; (ch = fgetc(in)) != EOF; off++)
		fputc(off == flip ? ch ^ 0x10 : ch, out);
	fclose(in);
	cr_assert_eq(fclose(out), 0);
	cr_assert_eq(chmod(support_path(name), 0444), 0);
}

static json_object *parse_file(const char *path)
{
	char *text = support_slurp(path);
	json_object *doc = json_tokener_parse(text);
	cr_assert(doc, "not JSON: %s", text);
	free(text);
	return doc;
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;
	cr_assert(json_object_object_get_ex(o, key, &v), "no key '%s' in %s", key, json_object_to_json_string(o));
	return v;
}

static json_object *image0(json_object *doc)
{
	json_object *images = get(doc, "images");
	cr_assert_eq(json_object_array_length(images), 1);
	return json_object_array_get_idx(images, 0);
}

Test(inspect_cli, check_works_on_a_read_only_image_for_a_user_without_write_access, .init = support_setup,
     .fini = support_teardown)
{
	golden_copy("mixed-4k.img", "ro.img", -1);
	cr_assert_eq(chmod(support_dir, 0755), 0);
	const char *cli = getenv("TORNPAGE_CLI") ? getenv("TORNPAGE_CLI") : TORNPAGE_CLI_PATH;
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0) {
			struct passwd *pw = getpwnam("nobody");
			if (!pw || setgid(pw->pw_gid) || setuid(pw->pw_uid))
				_exit(10);
		}
		if (access(cli, X_OK) != 0)
			_exit(77); /* this user cannot run the build's binary: nothing to prove here */
		if (access(support_path("ro.img"), W_OK) == 0)
			_exit(11);
		char cmd[PATH_MAX * 3];
		/* Output to /dev/null: this user cannot create files in the directory. */
		snprintf(cmd, sizeof cmd, "cd '%s' && '%s' check ro.img >/dev/null && '%s' inspect ro.img >/dev/null",
			 support_dir, cli, cli);
		int st = system(cmd);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 12);
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77)
		cr_skip_test("user nobody cannot execute %s", cli);
	cr_assert_eq(WEXITSTATUS(st), 0, "check/inspect as an unprivileged user exited %d", WEXITSTATUS(st));
}

Test(inspect_cli, check_json_says_what_the_text_says, .init = support_setup, .fini = support_teardown)
{
	/* One byte of the selected metadata copy (B, page 2) flipped: I-META-ACTIVE, opens on A. */
	golden_copy("protected-1k.img", "torn.img", 2 * 1024 + 100);
	cr_assert_eq(support_run_cli("check torn.img", support_path("out.txt"), NULL), 1);
	char *text = support_slurp(support_path("out.txt"));
	cr_assert(strstr(text, "torn.img: opens: 1024-byte pages, 16 pages, 3 free"), "%s", text);
	cr_assert(strstr(text, "I-META-ACTIVE"), "%s", text);
	cr_assert(strstr(text, "1 violation(s)"), "%s", text);
	free(text);

	cr_assert_eq(support_run_cli("check --json - torn.img", support_path("out.json"), NULL), 1);
	json_object *doc = parse_file(support_path("out.json"));
	cr_assert_str_eq(json_object_get_string(get(doc, "tornpage")), "check");
	json_object *img = image0(doc);
	cr_assert_str_eq(json_object_get_string(get(img, "file")), "torn.img");
	json_object *open = get(img, "open");
	cr_assert(json_object_get_boolean(get(open, "ok")));
	cr_assert_eq(json_object_get_uint64(get(open, "free")), 3);
	json_object *vs = get(img, "violations");
	cr_assert_eq(json_object_array_length(vs), 1);
	json_object *v = json_object_array_get_idx(vs, 0);
	cr_assert_str_eq(json_object_get_string(get(v, "id")), "I-META-ACTIVE");
	cr_assert_eq(json_object_get_uint64(get(v, "page")), 2);
	json_object_put(doc);
}

Test(inspect_cli, inspect_json_holds_the_metadata_choice_and_the_directory, .init = support_setup,
     .fini = support_teardown)
{
	golden_copy("protected-1k.img", "p.img", -1);
	cr_assert_eq(support_run_cli("inspect p.img --json p.json", support_path("out.txt"), NULL), 0);
	char *text = support_slurp(support_path("out.txt"));
	cr_assert(strstr(text, "open uses B: the superblock selects it"), "%s", text);
	free(text);
	json_object *img = image0(parse_file(support_path("p.json")));
	cr_assert_eq(json_object_get_uint64(get(img, "format")), 1);
	cr_assert_str_eq(json_object_get_string(get(img, "chosen")), "B");
	json_object *b = json_object_array_get_idx(get(img, "metadata"), 1);
	cr_assert(json_object_get_boolean(get(b, "chosen")));
	cr_assert_eq(json_object_get_uint64(get(b, "generation")), 5);
	json_object *dir = get(img, "directory");
	json_object *blk = json_object_array_get_idx(get(dir, "blocks"), 0);
	cr_assert_str_eq(json_object_get_string(get(blk, "used")), "b");
	cr_assert_eq(json_object_array_length(get(dir, "pages")), 2);
	json_object *roles = get(img, "roles");
	cr_assert_str_eq(json_object_get_string(get(json_object_array_get_idx(roles, 0), "role")), "superblock");
}

Test(inspect_cli, json_to_stdout_is_only_the_json, .init = support_setup, .fini = support_teardown)
{
	golden_copy("basic-1k.img", "b.img", -1);
	cr_assert_eq(support_run_cli("inspect --json - b.img b.img", support_path("out.json"), support_path("err.txt")), 0);
	json_object *doc = parse_file(support_path("out.json"));
	cr_assert_eq(json_object_array_length(get(doc, "images")), 2);
	json_object_put(doc);
	char *err = support_slurp(support_path("err.txt"));
	cr_assert_str_eq(err, "");
	free(err);
}
