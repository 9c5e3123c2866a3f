/* matrix_io.c — what the fault matrix's pagers run on, beyond simdisk itself: the log
 * of the ranges each disk synced (what the incremental checks and the unit hashes look
 * at), and for --io posix a pass-through pager_io that releases what a failed unmap or
 * close leaks, and file snapshots. No fault is injected here (matrix_points.c). */
#define _POSIX_C_SOURCE 200809L
#include "matrix_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- sync ranges ---------------------------------------------------------------- */

void mx_rl_add(rangelog *l, uint64_t off, uint64_t len)
{
	if (!len)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct range *r = realloc(l->r, cap * sizeof *r);
		if (!r) {
			l->oom = 1;
			return;
		}
		l->r = r;
		l->cap = cap;
	}
	l->r[l->n++] = (struct range){off, len};
}

void mx_on_sync_hook(void *arg, simdisk *d, const simdisk_event *ev, simdisk_phase phase)
{
	(void)d;
	if (phase == SIMDISK_AFTER_SYNC)
		mx_rl_add(arg, ev->off, ev->len);
}

/* ---- posix: a pass-through that releases what a failed unmap / close leaks ------ */

static void px_track(void **slots, void *v)
{
	for (int i = 0; i < PX_SLOTS; i++)
		if (!slots[i]) {
			slots[i] = v;
			return;
		}
}

static void px_untrack(void **slots, void *v)
{
	for (int i = 0; i < PX_SLOTS; i++)
		if (slots[i] == v) {
			slots[i] = NULL;
			return;
		}
}

static int px_open(void *ctx, const char *step, const char *path, int create, void **file)
{
	pxwrap *w = ctx;
	int rc = w->inner->open(w->inner->ctx, step, path, create, file);
	if (!rc)
		px_track(w->file, *file);
	return rc;
}

static int px_size(void *ctx, const char *step, void *file, uint64_t *len)
{
	pxwrap *w = ctx;
	return w->inner->size(w->inner->ctx, step, file, len);
}

static int px_set_len(void *ctx, const char *step, void *file, uint64_t len)
{
	pxwrap *w = ctx;
	return w->inner->set_len(w->inner->ctx, step, file, len);
}

static int px_map(void *ctx, const char *step, void *file, uint64_t len, uint8_t **addr)
{
	pxwrap *w = ctx;
	int rc = w->inner->map(w->inner->ctx, step, file, len, addr);
	if (!rc) {
		for (int i = 0; i < PX_SLOTS; i++)
			if (!w->maddr[i]) {
				w->mfile[i] = file;
				w->maddr[i] = *addr;
				w->mlen[i] = len;
				break;
			}
	}
	return rc;
}

static void px_forget_map(pxwrap *w, uint8_t *addr)
{
	for (int i = 0; i < PX_SLOTS; i++)
		if (w->maddr[i] == addr) {
			w->maddr[i] = NULL;
			w->mfile[i] = NULL;
			w->mlen[i] = 0;
		}
}

static int px_unmap(void *ctx, const char *step, void *file, uint8_t *addr, uint64_t len)
{
	pxwrap *w = ctx;
	int rc = w->inner->unmap(w->inner->ctx, step, file, addr, len);
	if (!rc)
		px_forget_map(w, addr);
	return rc;
}

static int px_sync(void *ctx, const char *step, void *file, uint8_t *addr, uint64_t off, uint64_t len)
{
	pxwrap *w = ctx;
	int rc = w->inner->sync(w->inner->ctx, step, file, addr, off, len);
	if (!rc && w->rl)
		mx_rl_add(w->rl, off, len);
	return rc;
}

static int px_close(void *ctx, const char *step, void *file)
{
	pxwrap *w = ctx;
	px_untrack(w->file, file); /* posix close frees the handle whatever it returns */
	return w->inner->close(w->inner->ctx, step, file);
}

static void px_faulted(void *ctx, const char *step, void *file, uint64_t off, uint64_t len, int err)
{
	pxwrap *w = ctx;
	(void)off, (void)len, (void)err;
	const char *method = mx_point_method(step);
	if (!strcmp(method, "unmap")) {
		/* the pager maps one file at a time: the mapping of this file is the one */
		for (int i = 0; i < PX_SLOTS; i++)
			if (w->maddr[i] && w->mfile[i] == file) {
				(void)munmap(w->maddr[i], (size_t)w->mlen[i]);
				px_forget_map(w, w->maddr[i]);
				break;
			}
	} else if (!strcmp(method, "close")) {
		for (int i = 0; i < PX_SLOTS; i++)
			if (file && w->file[i] == file) {
				w->file[i] = NULL;
				(void)w->inner->close(w->inner->ctx, step, file);
				break;
			}
	}
}

void mx_px_init(pxwrap *w)
{
	memset(w, 0, sizeof *w);
	w->inner = pager_io_posix();
	w->io = (pager_io){.version = PAGER_IO_VERSION, .ctx = w, .open = px_open, .size = px_size,
			   .set_len = px_set_len, .map = px_map, .unmap = px_unmap, .sync = px_sync,
			   .close = px_close, .faulted = px_faulted};
}

/* Anything still held (nothing, unless a pager was abandoned). */
void mx_px_release(pxwrap *w)
{
	for (int i = 0; i < PX_SLOTS; i++) {
		if (w->maddr[i])
			(void)munmap(w->maddr[i], (size_t)w->mlen[i]);
		w->maddr[i] = NULL;
		w->mfile[i] = NULL;
		if (w->file[i])
			(void)w->inner->close(w->inner->ctx, "matrix/release", w->file[i]);
		w->file[i] = NULL;
	}
}

/* dst := src's bytes (a snapshot of a file the main pager has mapped: read() sees the
 * page cache, the mapping's stores included). 0 or an errno. */
int mx_copy_file(const char *src, const char *dst)
{
	static uint8_t buf[1 << 16];
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, rc = 0;
	if (in < 0)
		return errno;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		rc = errno;
		goto done;
	}
	for (;;) {
		ssize_t n = read(in, buf, sizeof buf);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = errno;
			break;
		}
		if (n == 0)
			break;
		for (ssize_t off = 0; off < n;) {
			ssize_t m = write(out, buf + off, (size_t)(n - off));
			if (m < 0) {
				if (errno == EINTR)
					continue;
				rc = errno;
				goto done;
			}
			off += m;
		}
	}
done:
	if (out >= 0 && close(out) < 0 && !rc)
		rc = errno;
	close(in);
	return rc;
}
