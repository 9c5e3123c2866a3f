/* standalone_driver.c — a main() for a fuzz target built without libFuzzer (gcc, or
 * clang without TORNPAGE_FUZZ): every file argument, and every file in every directory
 * argument (not recursive, in name order, dot files skipped), is read and handed to
 * LLVMFuzzerTestOneInput once. It is how ordinary CI replays the corpora; it does not
 * mutate anything. Arguments that start with '-' are the target's flags (its
 * LLVMFuzzerInitialize sees them first) and are not inputs.
 * Exit: 0 when every input ran (a crash aborts before); 1 when a path does not exist or
 * cannot be read, a directory holds no input, or no path was given: a replay of nothing
 * must not pass (CTest would report success on a missing or emptied corpus). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzzer.h"
#include "inputs.h"

static int run_file(const char *path)
{
	size_t len;
	uint8_t *buf = fuzz_read_file(path, &len);
	if (!buf) {
		fprintf(stderr, "standalone_driver: %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* An exact-length copy, as libFuzzer passes inputs: ASan sees a read past the end. */
	uint8_t *input = malloc(len ? len : 1);
	if (!input) {
		free(buf);
		return -1;
	}
	if (len)
		memcpy(input, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(input, len);
	free(input);
	return 0;
}

static int skip_entry(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

int main(int argc, char **argv)
{
	size_t inputs = 0;
	int failed = 0;
	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		struct stat st;
		if (arg[0] == '-')
			continue;
		if (stat(arg, &st) != 0) {
			fprintf(stderr, "standalone_driver: %s: %s\n", arg, strerror(errno));
			failed = 1;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			failed |= run_file(arg) != 0;
			inputs++;
			continue;
		}
		struct dirent **names;
		int n = scandir(arg, &names, skip_entry, alphasort);
		if (n < 0) {
			fprintf(stderr, "standalone_driver: %s: %s\n", arg, strerror(errno));
			failed = 1;
			continue;
		}
		size_t in_dir = 0;
		for (int k = 0; k < n; k++) {
			size_t need = strlen(arg) + strlen(names[k]->d_name) + 2;
			char *path = malloc(need);
			if (path) {
				snprintf(path, need, "%s/%s", arg, names[k]->d_name);
				if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
					failed |= run_file(path) != 0;
					inputs++;
					in_dir++;
				}
				free(path);
			} else {
				failed = 1;
			}
			free(names[k]);
		}
		free(names);
		if (in_dir == 0) {
			fprintf(stderr, "standalone_driver: %s: no input in this directory\n", arg);
			failed = 1;
		}
	}
	if (inputs == 0 && !failed) {
		fprintf(stderr, "standalone_driver: no input given\n");
		failed = 1;
	}
	printf("standalone_driver: %zu input(s) replayed%s\n", inputs,
	       failed ? "; FAILED: a path is missing, unreadable or empty" : "");
	return failed;
}
