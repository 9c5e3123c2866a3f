/* test_readonly.c — pager_io_posix_readonly(), the I/O layer of readers (pager_check,
 * `tornpage check` and `inspect`): a read-only image opens and checks, also for a user
 * without write access; a mutating call fails with EROFS and leaves the file as it
 * was; special files are refused (never read as an empty image) and a FIFO cannot
 * hang the reader. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pager.h"
#include "support.h"

static const pager_io *ro(void) { return pager_io_posix_readonly(); }

/* A golden image copied into the test's directory, mode 0444. */
static const char *readonly_copy(const char *golden, size_t *len, uint8_t **bytes)
{
	char from[1024];
	snprintf(from, sizeof from, "%s/%s", TORNPAGE_GOLDEN_DIR, golden);
	const char *path = tp_path("ro.img");
	cr_assert_eq(tp_copy_file(from, path), 0, "copy %s", from);
	cr_assert_eq(chmod(path, 0444), 0);
	*bytes = tp_read_file(path, len);
	cr_assert(*bytes);
	return path;
}

Test(readonly, opens_and_checks_a_read_only_image, .init = tp_setup, .fini = tp_teardown)
{
	size_t len;
	uint8_t *bytes;
	const char *path = readonly_copy("mixed-4k.img", &len, &bytes);
	pager *p;
	TP_OK(pager_open(path, ro(), &p));
	cr_assert_eq(pager_page_size(p), 4096);
	cr_assert_eq(pager_page_count(p), 64);
	TP_OK(pager_close(p));
	cr_assert_eq(pager_check(path, ro(), NULL, NULL), 0);
	cr_assert_eq(pager_check(path, NULL, NULL, NULL), 0, "pager_check defaults to read-only");
	free(bytes);
}

/* Stores through the private map are the pager's in-memory state; the sync that would
 * publish them fails, and the file keeps every byte. */
Test(readonly, a_mutating_call_fails_with_erofs_and_the_file_is_unchanged, .init = tp_setup, .fini = tp_teardown)
{
	size_t len, len2;
	uint8_t *bytes;
	const char *path = readonly_copy("basic-1k.img", &len, &bytes);
	pager *p;
	uint64_t page;
	TP_OK(pager_open(path, ro(), &p));
	TP_EIO(pager_alloc(p, &page), EROFS);
	uint64_t id;
	TP_EIO(pager_alloc_protected(p, &id), EROFS);
	TP_OK(pager_close(p));
	uint8_t *after = tp_read_file(path, &len2);
	cr_assert(after);
	cr_assert_eq(len2, len);
	cr_assert(!memcmp(after, bytes, len), "the read-only layer changed the file");
	free(after);
	free(bytes);
}

Test(readonly, create_is_refused, .init = tp_setup, .fini = tp_teardown)
{
	pager *p;
	TP_EIO(pager_create(tp_path("new.img"), 10, ro(), &p), EROFS);
	cr_assert(!tp_file_exists(tp_path("new.img")));
}

/* Run as an unprivileged user (nobody) when the tests run as root: the child drops its
 * privileges and checks an image in a directory it may read but not write. */
Test(readonly, works_for_a_user_without_write_access, .init = tp_setup, .fini = tp_teardown)
{
	size_t len;
	uint8_t *bytes;
	const char *path = readonly_copy("protected-1k.img", &len, &bytes);
	free(bytes);
	cr_assert_eq(chmod(tp_dir, 0755), 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0) {
			struct passwd *pw = getpwnam("nobody");
			if (!pw || setgid(pw->pw_gid) || setuid(pw->pw_uid))
				_exit(10);
		}
		if (access(path, W_OK) == 0)
			_exit(11); /* the test would prove nothing */
		pager *p;
		if (pager_open(path, pager_io_posix_readonly(), &p) != PAGER_OK)
			_exit(12);
		pager_close(p);
		if (pager_check(path, NULL, NULL, NULL) != 0)
			_exit(13);
		/* The read-write layer is refused: what the read-only one is for. */
		if (pager_open(path, NULL, &p) != PAGER_EIO || pager_last_errno() != EACCES)
			_exit(14);
		_exit(0);
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st), "child died");
	cr_assert_eq(WEXITSTATUS(st), 0, "child step %d failed (10 setuid, 11 writable, 12 open, 13 check, 14 rw open)",
		     WEXITSTATUS(st));
}

Test(readonly, special_files_are_refused_not_read_as_empty, .init = tp_setup, .fini = tp_teardown)
{
	pager *p;
	/* /proc/self/mem: stat length 0, and reading offset 0 fails. */
	int rc = pager_check("/proc/self/mem", ro(), NULL, NULL);
	cr_assert_eq(rc, PAGER_EIO, "/proc/self/mem: %s", pager_strerror(rc));
	cr_assert(pager_last_errno() == EIO || pager_last_errno() == ENODEV, "errno %d", pager_last_errno());
	TP_RC(pager_open("/proc/self/mem", ro(), &p), PAGER_EIO);
	/* A synthetic file that holds bytes behind a stat length of 0. */
	TP_EIO(pager_check("/proc/self/status", ro(), NULL, NULL), ENODEV);
	/* Character device, directory. */
	TP_EIO(pager_check("/dev/null", ro(), NULL, NULL), ENODEV);
	TP_EIO(pager_check(tp_dir, ro(), NULL, NULL), EISDIR);
	/* A FIFO without a writer: refused at once (O_NONBLOCK), not a reader that hangs. */
	const char *fifo = tp_path("fifo");
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	TP_EIO(pager_check(fifo, ro(), NULL, NULL), ENODEV);
	TP_EIO(pager_open(fifo, ro(), &p), ENODEV);
	/* A missing file keeps its own errno. */
	TP_EIO(pager_check(tp_path("missing"), ro(), NULL, NULL), ENOENT);
}

Test(readonly, a_truly_empty_file_is_an_empty_image, .init = tp_setup, .fini = tp_teardown)
{
	const char *path = tp_path("empty.img");
	cr_assert_eq(tp_write_file(path, "", 0), 0);
	cr_assert_eq(pager_check(path, ro(), NULL, NULL), 1, "one I-SB-SIZE");
	pager *p;
	TP_RC(pager_open(path, ro(), &p), PAGER_ECORRUPT_SUPERBLOCK);
}
