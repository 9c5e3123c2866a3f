/* posix_io.c — the default pager_io: a real file, ftruncate, mmap(MAP_SHARED),
 * msync(MS_SYNC). Methods return 0 or errno, as pager_io.h requires. */
#define _POSIX_C_SOURCE 200809L
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
