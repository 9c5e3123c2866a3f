/* posix_io.c — the default pager_io: a real file, ftruncate, mmap(MAP_SHARED),
 * msync(MS_SYNC); and its read-only sibling for readers (check, inspect), which never
 * asks for write access and never changes the file. Methods return 0 or errno, as
 * pager_io.h requires. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1 /* MAP_NORESERVE */
#include "pager_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct posix_file {
	int fd;
} posix_file;

static int px_open(void *ctx, const char *step, const char *path, int create, void **file)
{
	(void)ctx, (void)step;
	posix_file *f = malloc(sizeof *f);
	if (!f)
		return ENOMEM;
	f->fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0), 0644);
	if (f->fd < 0) {
		int e = errno;
		free(f);
		return e;
	}
	*file = f;
	return 0;
}

static int px_size(void *ctx, const char *step, void *file, uint64_t *len)
{
	(void)ctx, (void)step;
	struct stat st;
	if (fstat(((posix_file *)file)->fd, &st) < 0)
		return errno;
	*len = (uint64_t)st.st_size;
	return 0;
}

static int px_set_len(void *ctx, const char *step, void *file, uint64_t len)
{
	(void)ctx, (void)step;
	if (len > INT64_MAX)
		return EFBIG;
	return ftruncate(((posix_file *)file)->fd, (off_t)len) < 0 ? errno : 0;
}

static int px_map(void *ctx, const char *step, void *file, uint64_t len, uint8_t **addr)
{
	(void)ctx, (void)step;
	if (len == 0 || len > SIZE_MAX)
		return EINVAL; /* as memmap2 refuses an empty map */
	void *m = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED, ((posix_file *)file)->fd, 0);
	if (m == MAP_FAILED)
		return errno;
	*addr = m;
	return 0;
}

static int px_unmap(void *ctx, const char *step, void *file, uint8_t *addr, uint64_t len)
{
	(void)ctx, (void)step, (void)file;
	return munmap(addr, (size_t)len) < 0 ? errno : 0;
}

static int px_sync(void *ctx, const char *step, void *file, uint8_t *addr, uint64_t off, uint64_t len)
{
	(void)ctx, (void)step, (void)file;
	/* msync wants a page-aligned start: widen the range down to the OS page. */
	uint64_t os_page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t start = off - off % os_page;
	return msync(addr + start, (size_t)(len + (off - start)), MS_SYNC) < 0 ? errno : 0;
}

static int px_close(void *ctx, const char *step, void *file)
{
	(void)ctx, (void)step;
	posix_file *f = file;
	int rc = close(f->fd) < 0 ? errno : 0;
	free(f);
	return rc;
}

static const pager_io posix_io = {
	.version = PAGER_IO_VERSION,
	.ctx = NULL,
	.open = px_open,
	.size = px_size,
	.set_len = px_set_len,
	.map = px_map,
	.unmap = px_unmap,
	.sync = px_sync,
	.close = px_close,
	.faulted = NULL,
};

const pager_io *pager_io_posix(void)
{
	return &posix_io;
}

/* ---- read-only ----
 * Method: open O_RDONLY (O_NONBLOCK, so a FIFO cannot hang the reader; O_NOCTTY, so a
 * terminal does not become ours) and decide at once whether the file is an image at
 * all: a regular file or a block device. A directory is EISDIR; anything else (FIFO,
 * socket, character device) is ENODEV. A regular file whose fstat length is 0 but
 * which reads bytes, or cannot be read (/proc and /sys files, /proc/self/mem), is not
 * an empty image either: ENODEV, or the read's own errno. The length of a block device
 * is where lseek(SEEK_END) lands. The map is private (MAP_PRIVATE, no swap reserved):
 * the pager may store into it — a mutating call on a pager opened read-only stores
 * into memory first — but nothing reaches the file, and every set_len and sync fails
 * with EROFS, so such a call returns PAGER_EIO (EROFS). */

typedef struct ro_file {
	int fd;
	uint64_t len;  /* the length decided at open */
} ro_file;

static int ro_open(void *ctx, const char *step, const char *path, int create, void **file)
{
	(void)ctx, (void)step;
	if (create)
		return EROFS;
	ro_file *f = malloc(sizeof *f);
	if (!f)
		return ENOMEM;
	int e = 0;
	struct stat st;
	f->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (f->fd < 0 || fstat(f->fd, &st) < 0) {
		e = errno;
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		e = EISDIR;
	} else if (S_ISBLK(st.st_mode)) {
		off_t end = lseek(f->fd, 0, SEEK_END);
		if (end < 0)
			e = errno;
		else
			f->len = (uint64_t)end;
	} else if (!S_ISREG(st.st_mode)) {
		e = ENODEV;
	} else if (st.st_size == 0) {
		/* Truly empty, or a synthetic file whose length the kernel does not know. */
		char b;
		ssize_t n = pread(f->fd, &b, 1, 0);
		e = n < 0 ? errno : n > 0 ? ENODEV : 0;
		f->len = 0;
	} else {
		f->len = (uint64_t)st.st_size;
	}
	if (e)
		goto fail;
	*file = f;
	return 0;
fail:
	if (f->fd >= 0)
		close(f->fd);
	free(f);
	return e;
}

static int ro_size(void *ctx, const char *step, void *file, uint64_t *len)
{
	(void)ctx, (void)step;
	*len = ((ro_file *)file)->len;
	return 0;
}

static int ro_refuse(void *ctx, const char *step, void *file, uint64_t len)
{
	(void)ctx, (void)step, (void)file, (void)len;
	return EROFS;
}

static int ro_map(void *ctx, const char *step, void *file, uint64_t len, uint8_t **addr)
{
	(void)ctx, (void)step;
	if (len == 0 || len > SIZE_MAX)
		return EINVAL;
	void *m = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE,
		       ((ro_file *)file)->fd, 0);
	if (m == MAP_FAILED)
		return errno;
	*addr = m;
	return 0;
}

static int ro_sync(void *ctx, const char *step, void *file, uint8_t *addr, uint64_t off, uint64_t len)
{
	(void)ctx, (void)step, (void)file, (void)addr, (void)off, (void)len;
	return EROFS;
}

static int ro_close(void *ctx, const char *step, void *file)
{
	(void)ctx, (void)step;
	ro_file *f = file;
	int rc = close(f->fd) < 0 ? errno : 0;
	free(f);
	return rc;
}

static const pager_io posix_ro_io = {
	.version = PAGER_IO_VERSION,
	.ctx = NULL,
	.open = ro_open,
	.size = ro_size,
	.set_len = ro_refuse,
	.map = ro_map,
	.unmap = px_unmap,
	.sync = ro_sync,
	.close = ro_close,
	.faulted = NULL,
};

const pager_io *pager_io_posix_readonly(void)
{
	return &posix_ro_io;
}
