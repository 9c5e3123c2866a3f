/* pager_io.h — the pager's only door to storage.
 *
 * The pager never calls the OS itself: every set_len, mmap, msync and munmap goes
 * through one of these methods, so a test can plug in its own storage (the harness's
 * simulated disk) and every call site can be failed by a named libfiu point.
 * This header is for I/O-layer authors; pager users only need pager_io_posix(). */
#ifndef PAGER_IO_H
#define PAGER_IO_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PAGER_IO_VERSION 1

/* Return contract, once for every method: 0 on success, otherwise a positive errno
 * value (EIO, ENOSPC, ...). A failing method must leave its out-parameters alone.
 * `step` is the fault-point name of the call site ("pager/commit/meta_sync"): an
 * implementation may record it (simdisk does), and must not keep the pointer past
 * the call unless it is a string literal from the pager's fault table (it is). */
typedef struct pager_io {
	int version;  /* PAGER_IO_VERSION; lets the struct grow without breaking shims */
	void *ctx;    /* the implementation's state, handed back to every method */

	/* Open `path` read-write; create != 0 means create it and fail with EEXIST if it
	 * exists (O_CREAT|O_EXCL). *file receives the implementation's handle. */
	int (*open)(void *ctx, const char *step, const char *path, int create, void **file);
	/* Current length of the file in bytes. */
	int (*size)(void *ctx, const char *step, void *file, uint64_t *len);
	/* Truncate or extend the file to exactly `len` bytes (ftruncate). */
	int (*set_len)(void *ctx, const char *step, void *file, uint64_t len);
	/* Map [0, len) shared and read-write (mmap MAP_SHARED). Stores written through
	 * *addr are the file's content as every later map sees it. */
	int (*map)(void *ctx, const char *step, void *file, uint64_t len, uint8_t **addr);
	/* Remove a mapping made by map (munmap); nothing is written to stable storage. */
	int (*unmap)(void *ctx, const char *step, void *file, uint8_t *addr, uint64_t len);
	/* Make [off, off+len) of the mapping durable (msync MS_SYNC) before returning. */
	int (*sync)(void *ctx, const char *step, void *file, uint8_t *addr, uint64_t off,
		    uint64_t len);
	/* Close the handle from open. */
	int (*close)(void *ctx, const char *step, void *file);
	/* Optional (may be NULL): told when a fault point failed a call before it reached
	 * this layer, with the range for a sync (0, 0 otherwise) and the errno injected.
	 * Lets a simulated disk model what a real failed msync leaves behind. */
	void (*faulted)(void *ctx, const char *step, void *file, uint64_t off, uint64_t len,
			int err);
} pager_io;

/* Real files: open(2), fstat, ftruncate, mmap(MAP_SHARED), msync(MS_SYNC), munmap,
 * close. A static template; copy it to wrap it in a shim. */
const pager_io *pager_io_posix(void);

/* The same files read-only, for readers that must work on a read-only image or as an
 * unprivileged user (pager_check, `tornpage check` and `inspect`): open O_RDONLY, a
 * private mapping, set_len and sync fail with EROFS (so a mutating call on a pager
 * opened this way returns PAGER_EIO, EROFS, and the file never changes). open accepts
 * regular files and block devices only: a directory fails with EISDIR; a FIFO, socket,
 * character device, or a file whose stat length is 0 but which holds bytes or cannot
 * be read (/proc/self/mem) fails with ENODEV or the read's errno, never reads as an
 * empty image. create fails with EROFS. */
const pager_io *pager_io_posix_readonly(void);

#ifdef __cplusplus
}
#endif
#endif
