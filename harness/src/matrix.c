/* matrix.c — the fault-matrix engine: dry run, snapshots, one case per (point, hit, mode,
 * errno), and its verdicts. It does not print nor write reports (report.c, cli_matrix.c).
 *
 * Method:
 *
 * Points. Every fault point of the pager's table (faults.def) is enabled in libfiu with
 * its own external callback, by its exact name: libfiu hands a callback the name it was
 * enabled under, so one wildcard for all of "pager/..." could not tell them apart. The
 * callbacks share one state (G below): inactive, they let every call through uncounted
 * (setup, judging, the snapshot replay); active, they count each point's hits; armed,
 * they fail the case's hit — and, in persist mode, every later call of any point — with
 * failinfo = (void *)(intptr_t)errno, which pio.c turns into the call's errno. Arming
 * changes G, not libfiu's table, so no case leaks into the next one.
 *
 * Dry run. The log is replayed once, cleanly, with counting callbacks and the model
 * check (replay_step's, with fast lookups): it gives what the pager answers to every op
 * (ids, CRCs: the model *after* an op is then known while it is in flight) and how many
 * hits of every point fall before each op. Hit n of point P falls in op k when
 * prefix[k][P] < n <= prefix[k+1][P]. A log that does not replay cleanly has no matrix
 * (I-MODEL). The dry run also judges the no-fault durable image at every op boundary
 * (the verdicts set aside below) and keeps, per boundary, a digest of the model and,
 * after every reopen, chunk hashes of the disk (convergence, below).
 *
 * Snapshots. The log is replayed again on the main disk. At the start of op k, before
 * the main pager runs it, each case of op k restores the case disk to the main disk
 * (simdisk_copy for the first case of op k; then simdisk_restore: the cache, and the
 * durable bytes the previous case synced; posix: a file copy, which reads the page
 * cache), opens a pager on it (a clean reopen: the page cache survives it), copies the
 * handle table and the model before op k, arms its hit and runs op k. A case never
 * replays the ops before op k.
 *
 * Verdicts of a case (docs/invariants.md, "Fault-matrix verdicts"):
 *  - F-SILENT: a fault fired during op k (or, in persist mode, during a later op j)
 *    and that op returned success.
 *  - F-ATOMIC: op k failed, the pager is not fail-stop, and its visible state
 *    (model_diff's checks) differs from the model before op k. Fail-stop: op k returned
 *    PAGER_EUNAVAILABLE, or the pager refuses to hand out a page (pager_page of the first
 *    data page answers PAGER_EUNAVAILABLE) right after it. In persist mode every later op
 *    that fails is judged the same way (against the model before it), as long as the
 *    model still describes the pager: after the first F-ATOMIC it does not, and the
 *    later ops' own differences would only repeat it.
 *  - F-STOP: after the pager went fail-stop (an op returned PAGER_EUNAVAILABLE, or
 *    refuses pages after failing), an op other than a reopen succeeded. Both modes.
 *  - F-CONTINUE: the continuation — ops k+1 to the end of the log, or at most
 *    --continue of them; op k not retried; ops on handles whose defining op failed
 *    skipped — does not run as the model (before op k plus the continuation's ops)
 *    says. Once mode: an op fails (other than with PAGER_EUNAVAILABLE, which starts
 *    fail-stop), answers wrongly, or the pager's state differs afterwards. Persist mode
 *    (where failing is right): an op that succeeded and whose state differs. Also op k
 *    itself when it reported success and its state differs. A failed reopen leaves no
 *    pager: the continuation opens the file first (the application's only way on;
 *    persist: it cannot). A failed create has no continuation.
 *    Checks cost what an op touched: after each op, page_count, free_count, its handle,
 *    the live handles whose pages it synced (a pager that rewrites another handle's page
 *    must sync it to make it stick), the allocation sets when it allocates or frees —
 *    and everything after a reopen (the state is re-read from the file), after an op a
 *    fault fired in, after op k, and after the last op run, where a difference no
 *    earlier check saw is an F-CONTINUE at that last op.
 *  - The durable image (simdisk only) at the moment of the fault is judged with the
 *    crash verdicts (judge.h: before = the model before op k, after = after op k, op k
 *    in flight), and again after the continuation (no op in flight, before = after = the
 *    continuation's model) unless the model no longer describes what was acknowledged
 *    (an F-CONTINUE, an F-STOP, or a success after a persist F-ATOMIC). The image at the
 *    fault is dm's disk plus what the syncs op k completed before the fault wrote (kept
 *    at the fault), so no copy of the file is made. With lost writes, the case's failed
 *    sync models Linux: any subset of its dirty units may have reached disk, so the
 *    image at the fault is judged for every subset (subsets.h: all of them up to
 *    --exhaustive K units, default 12, else its seeded mix; identical images once;
 *    judge_image_ids's memo answers images whose pages read by recovery were seen), and
 *    one seeded subset (simdisk_fail_sync) is what the continuation goes on with, the
 *    other units lost; later failed syncs of a persist case persist nothing.
 *    A verdict that the no-fault run's durable image shows too at the op boundary the
 *    image is compared with (the start of op k for the image at the fault; the end of
 *    the last op run for the end image) is not the fault's doing: it is a crash-state
 *    weakness `tornpage crash` reports (the seed's unsynced reused page under a new
 *    protected page is one). It is set aside and counted (matrix_result.preexisting).
 *    "The same verdict" is verdict_sig's: a structural id at the same place, or a model
 *    verdict (I-ATOMIC and I-DURABLE alike) finding the same state.
 *
 * Convergence. A once case whose continuation, right after a reopen, is where the
 * no-fault run is at that boundary — the same model (digest), no skipped handle, the same
 * cache and durable bytes (chunk hashes), no lost unit — would run the rest of the log
 * exactly as the no-fault run did (the pager's state is what it read from the file, and
 * no fault fires again), whose every op the dry run checked and whose images are the
 * ones set aside: the case stops there (matrix_result.converged) and its end image is not
 * judged. Single-case mode (matrix_run_case_ex, reproducers, one process per case) has
 * no no-fault run to compare with and runs every case to its end; it gives the same
 * verdicts. */
#define _POSIX_C_SOURCE 200809L
#include "matrix.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "format.h"
#include "judge.h"
#include "model.h"
#include "pager.h"
#include "replay.h"
#include "simdisk.h"
#include "subsets.h"

#if TORNPAGE_FIU
#include <fiu-control.h>
#include <fiu.h>
#endif

/* The points, in table order (the order of pager_fault_points()). */
enum {
#define PAGER_FAULT(id, name, io, step, disk) MX_##id,
#include "faults.def"
#undef PAGER_FAULT
	MX_COUNT
};

/* ---- names ---------------------------------------------------------------------- */

const char *matrix_mode_name(matrix_mode m)
{
	return m == MATRIX_PERSIST ? "persist" : m == MATRIX_ONCE ? "once" : "?";
}

int matrix_mode_parse(const char *s, matrix_mode *m)
{
	if (s && !strcmp(s, "once"))
		*m = MATRIX_ONCE;
	else if (s && !strcmp(s, "persist"))
		*m = MATRIX_PERSIST;
	else
		return -1;
	return 0;
}

const char *matrix_at_name(matrix_at at)
{
	static const char *const names[] = {"op", "fault", "end"};
	return (unsigned)at < 3 ? names[at] : "?";
}

static const struct errno_name {
	int err;
	const char *name;
} errno_names[] = {
	{EIO, "EIO"},         {ENOSPC, "ENOSPC"},   {ENOMEM, "ENOMEM"},   {EROFS, "EROFS"},
	{EDQUOT, "EDQUOT"},   {EFBIG, "EFBIG"},     {EINTR, "EINTR"},     {EAGAIN, "EAGAIN"},
	{EACCES, "EACCES"},   {EPERM, "EPERM"},     {EBADF, "EBADF"},     {EINVAL, "EINVAL"},
	{EFAULT, "EFAULT"},   {ENODEV, "ENODEV"},   {ENXIO, "ENXIO"},     {EBUSY, "EBUSY"},
	{EMFILE, "EMFILE"},   {ENFILE, "ENFILE"},   {ENOENT, "ENOENT"},   {EEXIST, "EEXIST"},
	{EOVERFLOW, "EOVERFLOW"}, {ESTALE, "ESTALE"}, {ETXTBSY, "ETXTBSY"}, {ENOTSUP, "ENOTSUP"},
};

const char *matrix_errno_name(int err, char buf[16])
{
	for (size_t i = 0; i < sizeof errno_names / sizeof errno_names[0]; i++)
		if (errno_names[i].err == err)
			return errno_names[i].name;
	snprintf(buf, 16, "%d", err);
	return buf;
}

int matrix_errno_parse(const char *s)
{
	if (!s || !*s)
		return 0;
	for (size_t i = 0; i < sizeof errno_names / sizeof errno_names[0]; i++)
		if (!strcmp(errno_names[i].name, s))
			return errno_names[i].err;
	char *end;
	long v = strtol(s, &end, 10);
	return *end || v < 1 || v > 4095 ? 0 : (int)v;
}

uint64_t matrix_case_seed(uint64_t run_seed, const char *point, uint64_t hit, matrix_mode mode, int err)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a of the point's name */
	for (const char *s = point; s && *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	uint64_t x = subsets_mix64(run_seed ^ subsets_mix64(h));
	x = subsets_mix64(x ^ subsets_mix64(hit));
	return subsets_mix64(x ^ ((uint64_t)mode << 32) ^ (uint64_t)(unsigned)err);
}

int matrix_available(void)
{
#if TORNPAGE_FIU
	return 1;
#else
	return 0;
#endif
}

/* ---- the libfiu callbacks ------------------------------------------------------- */

typedef struct fiu_state {
	int active;              /* 0: every call passes, uncounted */
	int armed;               /* a case is armed (else: count only) */
	uint64_t hits[MX_COUNT]; /* times each point was reached while active */
	int target;              /* the case's point */
	uint64_t fire_at;        /* hits[target] at which it fails */
	int persist;             /* persist mode */
	int failing;             /* persist: the hit fired, every later call fails */
	int err;                 /* the errno injected */
	uint64_t fired;          /* faults injected since arming */
	uint64_t fired_op;       /* faults injected during the current op */
	void (*on_first)(void *arg); /* the case's hit fired (capture the durable image) */
	void *on_first_arg;
} fiu_state;

static fiu_state G;

#if TORNPAGE_FIU
static int on_point(int pt, void **failinfo)
{
	if (!G.active)
		return 0;
	G.hits[pt]++;
	if (!G.armed)
		return 0;
	int first = 0;
	if (!G.failing) {
		if (pt != G.target || G.hits[pt] != G.fire_at)
			return 0;
		first = 1;
		G.failing = G.persist;
	}
	*failinfo = (void *)(intptr_t)G.err;
	G.fired++;
	G.fired_op++;
	if (first && G.on_first)
		G.on_first(G.on_first_arg);
	return 1;
}

#define PAGER_FAULT(id, name, io, step, disk)                                              \
	static int cb_##id(const char *n, int *failnum, void **failinfo, unsigned int *flags) \
	{                                                                                  \
		(void)n, (void)failnum, (void)flags;                                       \
		return on_point(MX_##id, failinfo);                                        \
	}
#include "faults.def"
#undef PAGER_FAULT

static external_cb_t *const callbacks[MX_COUNT] = {
#define PAGER_FAULT(id, name, io, step, disk) cb_##id,
#include "faults.def"
#undef PAGER_FAULT
};
#endif

#if TORNPAGE_FIU
static int points_enabled;
#endif

/* Enable every point with its callback (inactive). -1 without libfiu. */
static int points_enable(void)
{
#if TORNPAGE_FIU
	size_t n;
	const pager_fault_point *pts = pager_fault_points(&n);
	if (n != MX_COUNT || points_enabled)
		return -1;
	memset(&G, 0, sizeof G);
	if (fiu_init(0))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (fiu_enable_external(pts[i].name, 1, NULL, 0, callbacks[i])) {
			while (i--)
				fiu_disable(pts[i].name);
			return -1;
		}
	}
	points_enabled = 1;
	return 0;
#else
	return -1;
#endif
}

static void points_disable(void)
{
#if TORNPAGE_FIU
	size_t n;
	const pager_fault_point *pts = pager_fault_points(&n);
	if (!points_enabled)
		return;
	for (size_t i = 0; i < n; i++)
		fiu_disable(pts[i].name);
	points_enabled = 0;
#endif
	memset(&G, 0, sizeof G);
}

static int point_index(const char *name)
{
	size_t n;
	const pager_fault_point *pts = pager_fault_points(&n);
	for (size_t i = 0; name && i < n; i++)
		if (!strcmp(pts[i].name, name))
			return (int)i;
	return -1;
}

/* The pager_io method of a point ("sync", "unmap", ...). */
static const char *point_method(const char *name)
{
	int i = point_index(name);
	size_t n;
	return i < 0 ? "" : pager_fault_points(&n)[i].io;
}

/* ---- sync ranges ---------------------------------------------------------------- */

/* The ranges synced on one disk since the log was cleared (simdisk: its sync hook;
 * posix: the shim below), plus the range of a failed sync that lost writes persisted
 * part of. What the incremental checks and the unit hashes of the durable image look
 * at: a case costs what it synced, not the size of the file. */
typedef struct rangelog {
	struct range {
		uint64_t off, len;
	} *r;
	size_t n, cap;
	int oom;
} rangelog;

static void rl_add(rangelog *l, uint64_t off, uint64_t len)
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

static void on_sync_hook(void *arg, simdisk *d, const simdisk_event *ev, simdisk_phase phase)
{
	(void)d;
	if (phase == SIMDISK_AFTER_SYNC)
		rl_add(arg, ev->off, ev->len);
}

/* ---- posix: a pass-through that releases what a failed unmap / close leaks ------- */

/* When a fault point fails an unmap or a close, the pager forgets the mapping or the
 * handle (the seed drops them): the real mapping and descriptor would leak, unused.
 * Over thousands of cases that exhausts memory and descriptors, so this shim releases
 * them for real when told (pager_io.faulted). A leaked mapping changes no byte of the
 * file, so the case sees the same file either way. */
#define PX_SLOTS 8
typedef struct pxwrap {
	pager_io io;              /* handed to the pager; io.ctx == this */
	const pager_io *inner;    /* pager_io_posix() */
	void *file[PX_SLOTS];     /* open handles */
	void *mfile[PX_SLOTS];    /* mappings: their file, address and length */
	uint8_t *maddr[PX_SLOTS];
	uint64_t mlen[PX_SLOTS];
	rangelog *rl;             /* successful syncs are recorded here (NULL: not) */
} pxwrap;

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
		rl_add(w->rl, off, len);
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
	const char *method = point_method(step);
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

static void px_init(pxwrap *w)
{
	memset(w, 0, sizeof *w);
	w->inner = pager_io_posix();
	w->io = (pager_io){.version = PAGER_IO_VERSION, .ctx = w, .open = px_open, .size = px_size,
			   .set_len = px_set_len, .map = px_map, .unmap = px_unmap, .sync = px_sync,
			   .close = px_close, .faulted = px_faulted};
}

/* Anything still held (nothing, unless a pager was abandoned). */
static void px_release(pxwrap *w)
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
static int copy_file(const char *src, const char *dst)
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

/* ---- the engine: models that know who holds what --------------------------------- */

/* A model plus what the fast checks need, kept up to date op by op (tm_apply): which
 * live handle holds each page, the live counts, and a digest of every handle's state
 * that one op changes by two XORs. */
typedef struct tmodel {
	model m;
	uint32_t *reg;       /* per page < cap: 1 + the live regular handle at it, 0: none */
	uint32_t *cp;        /* per page < cap: 1 + a live protected handle with it as a copy */
	size_t cap;
	size_t nreg, nprot;  /* live regular / protected handles */
	uint64_t hdig;       /* XOR over the handles of handle_digest() */
	uint64_t jdig;       /* XOR over the handles of judge_handle_digest() */
} tmodel;

/* What the pager's future answers depend on (not set_by: only messages use it). */
static uint64_t handle_digest(size_t i, const model_handle *h)
{
	uint64_t x = subsets_mix64((uint64_t)i * 0x9E3779B97F4A7C15ull ^
				   ((uint64_t)h->live | (uint64_t)h->freed << 1 | (uint64_t)h->filled << 2 |
				    (uint64_t)h->crc << 8));
	x = subsets_mix64(x ^ h->where);
	x = subsets_mix64(x ^ h->fill);
	return subsets_mix64(x ^ h->copy[0] ^ subsets_mix64(h->copy[1]));
}

static int tm_init(tmodel *t, const oplog *log)
{
	memset(t, 0, sizeof *t);
	if (model_init(&t->m, log))
		return -1;
	for (size_t i = 0; i < t->m.nhandles; i++) {
		t->hdig ^= handle_digest(i, &t->m.h[i]);
		t->jdig ^= judge_handle_digest(i, &t->m.h[i]);
	}
	return 0;
}

static void tm_free(tmodel *t)
{
	model_free(&t->m);
	free(t->reg);
	free(t->cp);
	memset(t, 0, sizeof *t);
}

static int tm_reserve(tmodel *t, uint64_t pages)
{
	if (pages <= t->cap)
		return 0;
	if (pages > (uint64_t)1 << 40)
		return -1;
	size_t cap = t->cap ? t->cap : 64;
	while (cap < pages)
		cap *= 2;
	uint32_t *r = realloc(t->reg, cap * sizeof *r);
	if (!r)
		return -1;
	t->reg = r;
	uint32_t *c = realloc(t->cp, cap * sizeof *c);
	if (!c)
		return -1;
	t->cp = c;
	memset(t->reg + t->cap, 0, (cap - t->cap) * sizeof *r);
	memset(t->cp + t->cap, 0, (cap - t->cap) * sizeof *c);
	t->cap = cap;
	return 0;
}

static int tm_copy(tmodel *dst, const tmodel *src)
{
	if (model_copy(&dst->m, &src->m) || tm_reserve(dst, src->cap))
		return -1;
	if (src->cap) {
		memcpy(dst->reg, src->reg, src->cap * sizeof *dst->reg);
		memcpy(dst->cp, src->cp, src->cap * sizeof *dst->cp);
	}
	if (dst->cap > src->cap) {
		memset(dst->reg + src->cap, 0, (dst->cap - src->cap) * sizeof *dst->reg);
		memset(dst->cp + src->cap, 0, (dst->cap - src->cap) * sizeof *dst->cp);
	}
	dst->nreg = src->nreg;
	dst->nprot = src->nprot;
	dst->hdig = src->hdig;
	dst->jdig = src->jdig;
	return 0;
}

/* Handle i enters (on) or leaves the indexes, if live. */
static int tm_index(tmodel *t, const oplog *log, size_t i, int on)
{
	const model_handle *h = &t->m.h[i];
	if (!h->live)
		return 0;
	uint32_t me = (uint32_t)i + 1;
	if (!log->handle_protected[i]) {
		if (on && tm_reserve(t, h->where + 1))
			return -1;
		if (h->where < t->cap && (on || t->reg[h->where] == me))
			t->reg[h->where] = on ? me : 0;
		t->nreg = on ? t->nreg + 1 : t->nreg - 1;
	} else {
		for (int c = 0; c < 2; c++) {
			uint64_t pg = h->copy[c];
			if (on && tm_reserve(t, pg + 1))
				return -1;
			if (pg < t->cap && (on || t->cp[pg] == me))
				t->cp[pg] = on ? me : 0;
		}
		t->nprot = on ? t->nprot + 1 : t->nprot - 1;
	}
	return 0;
}

/* model_apply, keeping the indexes and the digest. 0 or -1 (ENOMEM). */
static int tm_apply(tmodel *t, const oplog *log, size_t k, const model_result *r)
{
	const oplog_op *op = &log->ops[k];
	size_t i = op->handle < t->m.nhandles ? op->handle : SIZE_MAX;
	if (i != SIZE_MAX) {
		tm_index(t, log, i, 0);
		t->hdig ^= handle_digest(i, &t->m.h[i]);
		t->jdig ^= judge_handle_digest(i, &t->m.h[i]);
	}
	int rc = model_apply(&t->m, log, k, r);
	if (i != SIZE_MAX) {
		t->hdig ^= handle_digest(i, &t->m.h[i]);
		t->jdig ^= judge_handle_digest(i, &t->m.h[i]);
		if (tm_index(t, log, i, 1))
			rc = -1;
	}
	return rc;
}

/* Equal digests: equal models, as far as the pager's future answers go. */
static uint64_t tm_digest(const tmodel *t)
{
	const model *m = &t->m;
	uint64_t x = subsets_mix64(t->hdig ^ m->page_count);
	x = subsets_mix64(x ^ m->used);
	x = subsets_mix64(x ^ ((uint64_t)m->blocks << 32 | m->cap));
	return subsets_mix64(x ^ m->ps);
}

/* judge_case_key of (before, after, op), from the kept digests: O(1). */
static uint64_t tm_key(const judge *j, const tmodel *before, const tmodel *after, size_t op)
{
	return judge_case_key_of(j, op, subsets_mix64(before->m.page_count) ^ before->jdig,
				 subsets_mix64(after->m.page_count) ^ after->jdig);
}

/* ---- the engine ----------------------------------------------------------------- */

typedef struct sigset {   /* verdict signatures */
	uint64_t *s;
	size_t n, cap;
} sigset;

static int sig_add(sigset *g, uint64_t sig)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 64;
		uint64_t *s = realloc(g->s, cap * sizeof *s);
		if (!s)
			return -1;
		g->s = s;
		g->cap = cap;
	}
	g->s[g->n++] = sig;
	return 0;
}

static int sig_has(const uint64_t *s, size_t n, uint64_t sig)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == sig)
			return 1;
	return 0;
}

/* The unit hashes (subsets_unit_hash) of one disk's durable bytes, as of length len;
 * mir (optional) mirrors the bytes. Kept up to date from the ranges synced (uh_fold). */
typedef struct uhs {
	uint64_t *h;
	size_t cap;         /* entries of h */
	uint64_t len;       /* the disk length h describes */
	uint8_t *mir;       /* NULL, or the disk's bytes [0, len) */
	size_t mir_cap;
	uint32_t *mark;     /* per unit: the fold that last hashed it */
	size_t mark_cap;
	uint32_t epoch;
} uhs;

typedef struct patslot {  /* a fill pattern, by seed */
	uint64_t seed;
	uint8_t *buf;         /* NULL: empty */
} patslot;

typedef struct engine {
	const oplog *log;
	const matrix_cfg *cfg;
	size_t nops, nh;            /* ops, handles */
	size_t ps;                  /* page size */
	uint32_t unit;              /* simdisk unit */
	size_t cont;                /* ops after the faulted one; SIZE_MAX = to the end */
	int images;                 /* durable images are judged (simdisk without --no-images) */
	int single;                 /* matrix_run_case_ex: one case (no dry-run images, no convergence) */
	subsets_cfg sub;            /* lost writes: which subsets of a failed sync's units */
	model_result *res;          /* per op: the pager's answers in the dry run */
	uint64_t *prefix;           /* (nops + 1) x MX_COUNT: hits before op k */
	size_t dry_ops;             /* ops the dry run ran */
	uint8_t selected[MX_COUNT]; /* --points */
	matrix_mode modes[2];
	size_t nmodes;
	int errs[MATRIX_MAX_ERRNOS];
	size_t nerrs;

	/* storage: simdisk (dd dry run, dm main, dc case) or posix files in dir */
	simdisk *dd, *dm, *dc;
	pxwrap px[3];               /* posix: dry run, main, case */
	char dir[4096];
	char path[3][4200];         /* dry run, main, case */
	const pager_io *io[3];      /* what each pager runs on (wrapped for tests) */
	rangelog drl, mrl, crl;     /* syncs of the dry run's current op, the main's, the case's */

	replay rm, rc;              /* the main pager, the case's pager */
	tmodel cur, after, m;       /* before op k, after op k, the case's model */
	tmodel adv;                 /* single mode: the main replay gone past op k */
	int adv_ok;
	size_t main_at;             /* ops the main replay has run */
	uint8_t *dead;              /* per handle: its defining op failed in this case */
	size_t ndead;
	size_t *touch;              /* handles an op touched (fast checks) */
	judge j;
	patslot *pat;               /* fill patterns */
	size_t npat;

	/* durable bytes: unit hashes of the dry run's disk, the main's (and its bytes: the
	 * base of every image at the fault of op k's cases) and the case's */
	uhs du, mu, cu;
	uint64_t *pid;              /* page identities of the image being judged */
	size_t pid_cap;
	uint64_t fkey;              /* judge_case_key of op k in flight (0: not yet) */
	size_t copied_op;           /* 1 + the op whose snapshot the case disk was last copied from */
	int tries;                  /* convergence tests of the current case */

	/* the current case's fault (captured inside the faulted call) */
	int fault_seen;
	uint64_t len0;              /* the case disk's length when op k started */
	size_t fault_nr;            /* crl entries when the fault fired: syncs op k completed before it */
	uint64_t fault_len;         /* the disk length then */
	uint32_t fault_sync;        /* the case disk's sync count then */
	uint64_t *capu;             /* units those syncs wrote (distinct, ascending) and their */
	uint8_t *capb;              /* durable bytes at the fault, unit bytes each */
	size_t ncap, capu_cap, capb_cap;
	uint64_t *flipu;            /* lost writes: the failed sync's dirty units, their cache */
	uint8_t *flipc, *flipd;     /* bytes and their durable bytes at the fault */
	size_t nflip, flipu_cap, flipc_cap, flipd_cap;
	uint32_t hook_faults;       /* faults simdisk was told of in this case */

	/* the current case */
	matrix_result r;
	size_t verdict_cap;
	matrix_at judge_at;         /* where on_judge's verdicts go */
	size_t judge_op;
	sigset vseen;               /* verdicts of the current image set (one per distinct text) */

	/* the no-fault durable image's verdicts per op boundary b (the state after op b-1):
	 * full mode, from the dry run: bs.s[base_off[b] .. base_off[b+1]); single mode: the
	 * two boundaries a case needs, judged when needed */
	sigset bs;
	size_t *base_off;           /* nops + 2 entries */
	sigset lz[2];
	size_t lz_b[2];
	int lz_ok[2];
	sigset *collect;            /* on_judge collects signatures here (NULL: verdicts) */
	const uint64_t *sup;        /* signatures set aside */
	size_t nsup;

	/* convergence (full mode, simdisk): per boundary the no-fault model's digest, and
	 * after every reopen the no-fault disk's hash (0: none) */
	uint64_t *bdig;
	size_t *bsnap_at;           /* per boundary: 1 + its entry in snaps, 0: none */
	struct bsnap *snaps;
	size_t nsnaps, snaps_cap;
	uint64_t *chh;              /* the snapshots' chunk hashes */
	size_t nchh, chh_cap;

	/* single-case mode (matrix_run_case_ex) */
	const matrix_case *only;
	int only_pt;
	size_t only_op;

	matrix_stats *st;
	struct timespec t0;
	char *msg;
	size_t msglen;
	int failed;                 /* out of memory while recording */
} engine;

static double since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void result_clear(engine *e)
{
	for (size_t i = 0; i < e->r.nv; i++) {
		free(e->r.v[i].expected);
		free(e->r.v[i].found);
	}
	matrix_verdict *v = e->r.v;
	memset(&e->r, 0, sizeof e->r);
	e->r.v = v;
}

static void add_verdict(engine *e, const char *id, size_t op, matrix_at at, const char *expected,
			const char *found)
{
	matrix_result *r = &e->r;
	if (r->nv == MATRIX_MAX_VERDICTS) {
		r->dropped++;
		return;
	}
	if (r->nv == e->verdict_cap) {
		size_t cap = e->verdict_cap ? e->verdict_cap * 2 : 8;
		matrix_verdict *v = realloc(r->v, cap * sizeof *v);
		if (!v) {
			e->failed = 1;
			return;
		}
		r->v = v;
		e->verdict_cap = cap;
	}
	matrix_verdict *v = &r->v[r->nv];
	v->id = id;
	v->op = op;
	v->at = at;
	v->fatal = strcmp(id, "I-LEAK") != 0;
	v->expected = strdup(expected ? expected : "");
	v->found = strdup(found ? found : "");
	if (!v->expected || !v->found) {
		free(v->expected);
		free(v->found);
		e->failed = 1;
		return;
	}
	r->nv++;
}

static uint64_t str_hash(uint64_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return (h ^ 0xff) * 0x100000001b3ull;
}

/* The identity of an image verdict, to recognise one the no-fault image shows too. A
 * structural violation is its id and place ("page 4, byte 8192"; the detail may name a
 * directory page that alternates with the commit count). A model verdict is what the
 * image holds (found: "id 3 in use, crc c71c0011"), under one class for I-ATOMIC and
 * I-DURABLE: the same stale item is an I-DURABLE with no op in flight and an I-ATOMIC
 * when the faulted op touches it, and a failed op may shift which handle holds it. */
static uint64_t verdict_sig(const char *verdict, const char *expected, const char *found)
{
	int state = !strcmp(verdict, "I-ATOMIC") || !strcmp(verdict, "I-DURABLE");
	int model = state || !strcmp(verdict, "I-OPEN") || !strcmp(verdict, "I-LEAK");
	uint64_t h = str_hash(0xcbf29ce484222325ull, state ? "I-ATOMIC/I-DURABLE" : verdict);
	return str_hash(h, model ? found : expected);
}

static void on_judge(void *arg, const char *verdict, const char *expected, const char *found)
{
	engine *e = arg;
	uint64_t sig = verdict_sig(verdict, expected, found);
	if (e->collect) {
		if (sig_add(e->collect, sig))
			e->failed = 1;
		return;
	}
	/* several images (the subsets of a failed sync) may show one verdict: once */
	uint64_t vh = str_hash(str_hash(str_hash(0x84222325cbf29ce4ull, verdict), expected), found);
	if (sig_has(e->vseen.s, e->vseen.n, vh))
		return;
	if (sig_add(&e->vseen, vh))
		e->failed = 1;
	if (sig_has(e->sup, e->nsup, sig)) {
		e->r.preexisting++;
		return;
	}
	add_verdict(e, verdict, e->judge_op, e->judge_at, expected, found);
}

/* ---- fast model checks ---------------------------------------------------------- */

/* Fill pattern of seed (page size), cached. NULL when out of memory. */
static const uint8_t *pattern(engine *e, uint64_t seed)
{
	patslot *s = &e->pat[subsets_mix64(seed) % e->npat];
	if (!s->buf) {
		if (!(s->buf = malloc(e->ps)))
			return NULL;
	} else if (s->seed == seed) {
		return s->buf;
	}
	oplog_pattern(seed, s->buf, e->ps);
	s->seed = seed;
	return s->buf;
}

/* model_check_result, with the index for alloc's "still live" (same messages). */
static int fast_check_result(engine *e, const tmodel *t, size_t k, const model_result *r, char *msg, size_t n)
{
	const oplog_op *op = &e->log->ops[k];
	const model *m = &t->m;
	if (op->kind != OPLOG_ALLOC)
		return model_check_result(m, e->log, k, r, msg, n);
	uint64_t count = m->used == m->page_count ? m->page_count * 2 : m->page_count;
	if (r->id < FMT_FIRST_DATA_PAGE || r->id >= count) {
		snprintf(msg, n, "alloc returned page %" PRIu64 ", outside 3..%" PRIu64, r->id, count - 1);
		return 1;
	}
	if (r->id < t->cap && t->reg[r->id]) {
		snprintf(msg, n, "alloc returned page %" PRIu64 ", still live as %s", r->id,
			 e->log->handles[t->reg[r->id] - 1]);
		return 1;
	}
	return 0;
}

typedef struct fwalk {
	const tmodel *t;
	char *msg;
	size_t msglen;
	size_t seen;
} fwalk;

static int fw_regular(void *arg, uint64_t page)
{
	fwalk *w = arg;
	if (page >= w->t->cap || !w->t->reg[page]) {
		snprintf(w->msg, w->msglen, "page %" PRIu64 " is allocated as a regular page, but no live handle has it", page);
		return 1;
	}
	w->seen++;
	return 0;
}

static int fw_protected(void *arg, uint64_t id)
{
	fwalk *w = arg;
	const model *m = &w->t->m;
	if (id >= (uint64_t)m->blocks * m->cap || !m->slot_used[id]) {
		snprintf(w->msg, w->msglen, "protected id %" PRIu64 " is in use, but no live handle has it", id);
		return 1;
	}
	w->seen++;
	return 0;
}

/* model_diff, fast: the same checks in the same order, so the same first difference and
 * the same message, with O(1) lookups and cached patterns. only = NULL: every live
 * handle; else only those (ascending, distinct). walks: also compare the sets of
 * allocated pages and protected ids. 0 equal, 1 differ (msg), -1 out of memory. */
static int fast_diff(engine *e, const tmodel *t, pager *p, const size_t *only, size_t nonly, int walks, char *msg,
		     size_t msglen)
{
	const model *m = &t->m;
	const oplog *log = e->log;
	if (pager_page_count(p) != m->page_count) {
		snprintf(msg, msglen, "page_count: expected %" PRIu64 ", found %" PRIu64, m->page_count, pager_page_count(p));
		return 1;
	}
	if (pager_free_page_count(p) != model_free_count(m)) {
		snprintf(msg, msglen, "free_page_count: expected %" PRIu64 ", found %" PRIu64, model_free_count(m),
			 pager_free_page_count(p));
		return 1;
	}
	size_t n = only ? nonly : m->nhandles;
	for (size_t x = 0; x < n; x++) {
		size_t i = only ? only[x] : x;
		const model_handle *h = &m->h[i];
		if (!h->live)
			continue;
		if (!log->handle_protected[i]) {
			uint8_t *data;
			int er = pager_page(p, h->where, &data);
			if (er) {
				snprintf(msg, msglen, "%s (page %" PRIu64 "): pager_page failed: %s", log->handles[i], h->where,
					 pager_strerror(er));
				return 1;
			}
			if (h->filled) {
				const uint8_t *pat = pattern(e, h->fill);
				if (!pat)
					return -1;
				if (memcmp(pat, data, m->ps) != 0) {
					snprintf(msg, msglen, "%s (page %" PRIu64 "): bytes differ from fill %" PRIu64,
						 log->handles[i], h->where, h->fill);
					return 1;
				}
			}
		} else {
			const uint8_t *data;
			int er = pager_protected_read(p, h->where, &data);
			if (er) {
				snprintf(msg, msglen, "%s (protected id %" PRIu64 "): read failed: %s", log->handles[i], h->where,
					 pager_strerror(er));
				return 1;
			}
			uint32_t crc = fmt_crc(0, data, m->ps);
			if (crc != h->crc) {
				snprintf(msg, msglen, "%s (protected id %" PRIu64 "): content CRC %08x, expected %08x",
					 log->handles[i], h->where, crc, h->crc);
				return 1;
			}
		}
	}
	if (!walks)
		return 0;
	fwalk w = {t, msg, msglen, 0};
	if (pager_foreach_page(p, fw_regular, &w))
		return 1;
	if (w.seen != t->nreg) {
		snprintf(msg, msglen, "%zu regular pages allocated, expected %zu", w.seen, t->nreg);
		return 1;
	}
	w.seen = 0;
	if (pager_foreach_protected(p, fw_protected, &w))
		return 1;
	if (w.seen != t->nprot) {
		snprintf(msg, msglen, "%zu protected pages in use, expected %zu", w.seen, t->nprot);
		return 1;
	}
	return 0;
}

static int size_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

/* What op j touched: its handle, and the live handles whose pages it synced (ranges
 * crl[from..]): a pager that rewrites another handle's page must sync it to make it
 * stick. Ascending, distinct, in e->touch. */
static size_t touched(engine *e, size_t j, size_t from)
{
	const tmodel *t = &e->m;
	size_t n = 0;
	const oplog_op *op = &e->log->ops[j];
	if (op->handle < e->nh)
		e->touch[n++] = op->handle;
	for (size_t i = from; i < e->crl.n; i++) {
		uint64_t first = e->crl.r[i].off / e->ps, last = (e->crl.r[i].off + e->crl.r[i].len - 1) / e->ps;
		for (uint64_t pg = first; pg <= last && pg < t->cap; pg++) {
			uint32_t o[2] = {t->reg[pg], t->cp[pg]};
			for (int c = 0; c < 2; c++) {
				if (!o[c])
					continue;
				size_t x = 0;
				while (x < n && e->touch[x] != o[c] - 1)
					x++;
				if (x == n && n < e->nh)
					e->touch[n++] = o[c] - 1;
			}
		}
	}
	if (n > 1)
		qsort(e->touch, n, sizeof *e->touch, size_cmp);
	return n;
}

/* Check op j's answer, apply it to the case's model and compare the pager with it: in
 * full, or what op j touched (its handle, the owners of the pages it synced, and the
 * allocation sets when it allocates or frees). 0 agree, 1 differ (why). */
static int case_step(engine *e, size_t j, const model_result *res, int full, size_t from, char *why, size_t n)
{
	if (fast_check_result(e, &e->m, j, res, why, n))
		return 1;
	if (tm_apply(&e->m, e->log, j, res)) {
		e->failed = 1;
		snprintf(why, n, "out of memory");
		return 1;
	}
	int d;
	if (full) {
		d = fast_diff(e, &e->m, e->rc.p, NULL, 0, 1, why, n);
	} else {
		oplog_kind kind = e->log->ops[j].kind;
		int walks = kind == OPLOG_ALLOC || kind == OPLOG_FREE || kind == OPLOG_PALLOC || kind == OPLOG_PFREE;
		d = fast_diff(e, &e->m, e->rc.p, e->touch, touched(e, j, from), walks, why, n);
	}
	if (d < 0) {
		e->failed = 1;
		snprintf(why, n, "out of memory");
	}
	return d != 0;
}
/* ---- durable images ------------------------------------------------------------- */

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int grow_buf(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t cap2 = *cap ? *cap : 16;
	while (cap2 < need)
		cap2 *= 2;
	void *q = realloc(*p, cap2 * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = cap2;
	return 0;
}

static void uh_free(uhs *u)
{
	free(u->h);
	free(u->mir);
	free(u->mark);
	memset(u, 0, sizeof *u);
}

static void uh_unit(engine *e, uhs *u, const uint8_t *disk, uint64_t len, uint64_t x)
{
	uint64_t off = x * e->unit, n = len - off < e->unit ? len - off : e->unit;
	u->h[x] = subsets_unit_hash(x, disk + off, (size_t)n);
	if (u->mir)
		memcpy(u->mir + off, disk + off, (size_t)n);
}

/* u := d's durable bytes now, given that since u was last brought up to date only the
 * ranges rl[from..] and the length changed. Costs what changed, not the file. */
static int uh_fold(engine *e, uhs *u, const simdisk *d, const rangelog *rl, size_t from, int mirror)
{
	uint64_t len = simdisk_exists(d) ? simdisk_len(d) : 0, unit = e->unit;
	uint64_t nunits = (len + unit - 1) / unit;
	if (grow_buf((void **)&u->h, &u->cap, (size_t)nunits + 1, sizeof *u->h))
		return -1;
	if ((mirror || u->mir) && grow_buf((void **)&u->mir, &u->mir_cap, (size_t)len + 1, 1))
		return -1;
	const uint8_t *disk = simdisk_disk(d);
	size_t had = u->mark_cap;
	if (grow_buf((void **)&u->mark, &u->mark_cap, (size_t)nunits + 1, sizeof *u->mark))
		return -1;
	if (u->mark_cap > had)
		memset(u->mark + had, 0, (u->mark_cap - had) * sizeof *u->mark);
	if (++u->epoch == 0) { /* wrapped: forget every mark */
		memset(u->mark, 0, u->mark_cap * sizeof *u->mark);
		u->epoch = 1;
	}
	for (size_t i = from; rl && i < rl->n; i++) {
		uint64_t off = rl->r[i].off, n = rl->r[i].len;
		if (off >= len || !n)
			continue;
		uint64_t end = n > len - off ? len : off + n;
		for (uint64_t x = off / unit; x <= (end - 1) / unit; x++) {
			if (u->mark[x] == u->epoch)
				continue; /* synced again: hashed once */
			u->mark[x] = u->epoch;
			uh_unit(e, u, disk, len, x);
		}
	}
	if (len != u->len) {
		uint64_t lo = (u->len < len ? u->len : len) / unit;
		for (uint64_t x = lo; x < nunits; x++)
			uh_unit(e, u, disk, len, x);
	}
	u->len = len;
	return 0;
}

/* e->pid := the page identities of an image of length len whose units hash to uh. */
static int page_ids(engine *e, const uint64_t *uh, uint64_t len)
{
	uint64_t npages = (len + e->ps - 1) / e->ps, nunits = (len + e->unit - 1) / e->unit;
	if (grow_buf((void **)&e->pid, &e->pid_cap, (size_t)npages + 1, sizeof *e->pid))
		return -1;
	if (e->unit <= e->ps) {
		uint64_t per = e->ps / e->unit;
		for (uint64_t p = 0; p < npages; p++) {
			uint64_t id = 0;
			for (uint64_t x = p * per; x < (p + 1) * per && x < nunits; x++)
				id ^= uh[x];
			e->pid[p] = id;
		}
	} else {
		uint64_t per = e->unit / e->ps;
		for (uint64_t p = 0; p < npages; p++)
			e->pid[p] = uh[p / per] ^ subsets_mix64(p);
	}
	return 0;
}

/* Unit x of the image now hashes to delta more (XOR): its pages' identities follow. */
static void pid_flip(engine *e, uint64_t x, uint64_t delta, uint64_t len)
{
	uint64_t npages = (len + e->ps - 1) / e->ps;
	if (e->unit <= e->ps) {
		e->pid[x * e->unit / e->ps] ^= delta;
	} else {
		uint64_t per = e->unit / e->ps;
		for (uint64_t p = x * per; p < (x + 1) * per && p < npages; p++)
			e->pid[p] ^= delta;
	}
}

/* What the convergence test compares at a boundary after a reopen: a disk's length and
 * the hashes of its cache and durable bytes, chunk by chunk, so that a case whose disk
 * differs is told so at its first differing chunk. */
typedef struct bsnap {
	uint64_t len;
	uint64_t csz;   /* chunk bytes */
	size_t nch;     /* chunks */
	size_t off;     /* their hashes: chh[off + 2c] (cache), chh[off + 2c + 1] (disk) */
} bsnap;

static uint64_t chunk_hash(uint64_t c, int disk, const uint8_t *p, uint64_t n)
{
	return subsets_unit_hash(c * 2 + (uint64_t)disk, p, (size_t)n);
}

static uint64_t snap_chunk(uint64_t len)
{
	uint64_t csz = 16384;
	while (len / csz > 256)
		csz *= 2;
	return csz;
}

/* Judge an image with the memo (page identities in e->pid). */
static int judge_ids(engine *e, const model *before, const model *after, size_t op, uint64_t key, uint8_t *img,
		     uint64_t len)
{
	judge_case jc = {before, after, op};
	G.active = 0;
	return judge_image_ids(&e->j, &jc, key, img, len, e->pid, on_judge, e) < 0 ? -1 : 0;
}

/* The signatures of the no-fault durable image's verdicts at boundary b (the state after
 * op b-1), to set aside. Full mode: the dry run's. Single mode: judged now, the main
 * replay going forward to b if it has to (a case needs b = k and one later boundary). */
static const uint64_t *base_sigs(engine *e, size_t b, size_t *n)
{
	*n = 0;
	if (b > e->nops)
		return NULL;
	if (!e->single) {
		*n = e->base_off[b + 1] - e->base_off[b];
		return *n ? e->bs.s + e->base_off[b] : NULL;
	}
	for (int i = 0; i < 2; i++)
		if (e->lz_ok[i] && e->lz_b[i] == b) {
			*n = e->lz[i].n;
			return e->lz[i].s;
		}
	if (b < e->main_at || !e->images)
		return NULL;
	const tmodel *bt = &e->cur;
	if (b > e->main_at || e->adv_ok) {
		if (!e->adv_ok) {
			if (tm_copy(&e->adv, &e->cur)) {
				e->failed = 1;
				return NULL;
			}
			e->adv_ok = 1;
		}
		e->copied_op = 0; /* the snapshot moves */
		while (e->main_at < b) {
			model_result got;
			e->mrl.n = 0;
			G.active = 0;
			if (replay_exec(&e->rm, e->main_at, &got) || tm_apply(&e->adv, e->log, e->main_at, &got) ||
			    uh_fold(e, &e->mu, e->dm, &e->mrl, 0, 0))
				return NULL; /* the no-fault run cannot go there: nothing set aside */
			e->main_at++;
		}
		bt = &e->adv;
	}
	int slot = e->lz_ok[0] ? 1 : 0;
	e->lz[slot].n = 0;
	if (simdisk_exists(e->dm) && simdisk_len(e->dm)) {
		uint64_t len = simdisk_len(e->dm);
		e->collect = &e->lz[slot];
		if (page_ids(e, e->mu.h, len) || judge_ids(e, &bt->m, &bt->m, JUDGE_NO_OP, tm_key(&e->j, bt, bt, JUDGE_NO_OP),
						 (uint8_t *)simdisk_disk(e->dm), len))
			e->failed = 1;
		e->collect = NULL;
	}
	e->lz_b[slot] = b;
	e->lz_ok[slot] = 1;
	*n = e->lz[slot].n;
	return e->lz[slot].s;
}

/* The case's hit fired (inside libfiu's callback: read only). The durable image at this
 * moment is judged after op k returns; the disk then is the snapshot's (dm's, which
 * does not move during a case) plus the units the syncs op k completed so far wrote, and
 * the length: those units are kept now. */
static void on_first_fault(void *arg)
{
	engine *e = arg;
	if (!e->images || !e->dc)
		return;
	e->fault_seen = 1;
	e->fault_nr = e->crl.n;
	e->fault_len = simdisk_len(e->dc);
	e->fault_sync = simdisk_sync_count(e->dc);
	e->ncap = 0;
	uint64_t len = e->fault_len, unit = e->unit;
	for (size_t i = 0; i < e->fault_nr; i++) {
		uint64_t off = e->crl.r[i].off, n = e->crl.r[i].len;
		if (off >= len || !n)
			continue;
		uint64_t end = n > len - off ? len : off + n;
		for (uint64_t x = off / unit; x <= (end - 1) / unit; x++) {
			if (grow_buf((void **)&e->capu, &e->capu_cap, e->ncap + 1, sizeof *e->capu)) {
				e->failed = 1;
				return;
			}
			e->capu[e->ncap++] = x;
		}
	}
	if (e->ncap > 1)
		qsort(e->capu, e->ncap, sizeof *e->capu, u64_cmp);
	size_t w = 0;
	for (size_t i = 0; i < e->ncap; i++)
		if (!w || e->capu[w - 1] != e->capu[i])
			e->capu[w++] = e->capu[i];
	e->ncap = w;
	if (grow_buf((void **)&e->capb, &e->capb_cap, e->ncap * unit + 1, 1)) {
		e->failed = 1;
		return;
	}
	const uint8_t *disk = simdisk_disk(e->dc);
	for (size_t i = 0; i < e->ncap; i++) {
		uint64_t off = e->capu[i] * unit, n = len - off < unit ? len - off : unit;
		memcpy(e->capb + i * unit, disk + off, (size_t)n);
	}
}

/* simdisk was told that a fault point failed a call (lost writes live here). The case's
 * first failed sync: its dirty units are kept (every subset of them is an image at the
 * fault), then one seeded subset reaches disk for the rest of the case. A later failed
 * sync of a persist case persists nothing (the device is gone). */
static void on_simdisk_fault(void *arg, simdisk *d, const char *step, uint64_t off, uint64_t len, int err)
{
	engine *e = arg;
	(void)step, (void)err;
	e->hook_faults++;
	if (!e->r.c.lost_writes || len == 0)
		return;
	int first = e->hook_faults == 1;
	if (first && e->images && off < simdisk_len(d)) {
		uint64_t dl = simdisk_len(d), end = len > dl - off ? dl : off + len, unit = e->unit;
		const uint8_t *cache = simdisk_cache(d), *disk = simdisk_disk(d);
		e->nflip = 0;
		for (uint64_t x = off / unit; x <= (end - 1) / unit; x++) {
			uint64_t uo = x * unit, n = dl - uo < unit ? dl - uo : unit;
			if (!memcmp(cache + uo, disk + uo, (size_t)n))
				continue;
			if (grow_buf((void **)&e->flipu, &e->flipu_cap, e->nflip + 1, sizeof *e->flipu) ||
			    grow_buf((void **)&e->flipc, &e->flipc_cap, (e->nflip + 1) * unit, 1) ||
			    grow_buf((void **)&e->flipd, &e->flipd_cap, (e->nflip + 1) * unit, 1)) {
				e->failed = 1;
				break;
			}
			e->flipu[e->nflip] = x;
			memcpy(e->flipc + e->nflip * unit, cache + uo, (size_t)n);
			memcpy(e->flipd + e->nflip * unit, disk + uo, (size_t)n);
			e->nflip++;
		}
	}
	simdisk_fail_sync(d, off, len, e->r.c.seed, !first);
	if (first)
		rl_add(&e->crl, off, len); /* the persisted units changed the disk */
}

/* The durable images at the moment of the fault, op k in flight: the disk then and,
 * with lost writes, the disk plus every subset of the failed sync's dirty units (all of
 * them up to --exhaustive K, else subsets.h's seeded mix; a seeded one reaches disk for
 * the continuation). An image equal to the one at the start of op k (no sync completed,
 * same length) is not judged: it can only show what that boundary showed. Verdicts of
 * all images count, each once. */
static int judge_fault(engine *e, size_t k)
{
	if (!e->images || !e->dc || !e->fault_seen)
		return 0;
	int base_new = e->fault_nr > 0 || e->fault_len != e->len0;
	if (!base_new && !e->nflip)
		return 0;
	uint64_t len = e->fault_len, unit = e->unit, len0 = e->len0;
	uhs *mu = &e->mu;
	if (grow_buf((void **)&mu->mir, &mu->mir_cap, (size_t)len + 1, 1) ||
	    grow_buf((void **)&e->cu.h, &e->cu.cap, (size_t)((len + unit - 1) / unit) + 1, sizeof *e->cu.h))
		return -1;
	uint8_t *img = mu->mir;
	uint64_t *ch = e->cu.h;
	/* the disk at the fault: dm's + the tail the length change added + the synced units */
	if (len > len0)
		memset(img + len0, 0, (size_t)(len - len0));
	for (uint64_t x = (len < len0 ? len : len0) / unit; x < (len + unit - 1) / unit; x++) {
		uint64_t off = x * unit;
		ch[x] = subsets_unit_hash(x, img + off, (size_t)(len - off < unit ? len - off : unit));
	}
	for (size_t i = 0; i < e->ncap; i++) {
		uint64_t x = e->capu[i], off = x * unit, n = len - off < unit ? len - off : unit;
		memcpy(img + off, e->capb + i * unit, (size_t)n);
		ch[x] = subsets_unit_hash(x, img + off, (size_t)n);
	}
	e->sup = base_sigs(e, k, &e->nsup); /* first: it may judge (and use e->pid) */
	int rc = page_ids(e, ch, len);
	if (!e->fkey)
		e->fkey = tm_key(&e->j, &e->cur, &e->after, k);
	e->vseen.n = 0;
	e->judge_at = MATRIX_AT_FAULT;
	e->judge_op = k;
	if (!rc && !e->nflip) {
		rc = judge_ids(e, &e->cur.m, &e->after.m, k, e->fkey, img, len);
	} else if (!rc) {
		subsets_cfg sc = e->sub;
		sc.seed = e->r.c.seed;
		subsets_iter it;
		uint8_t *in = calloc(e->nflip, 1);
		uint64_t *delta = calloc(e->nflip, sizeof *delta);
		rc = !in || !delta || subsets_init(&it, e->nflip, &sc, e->fault_sync) ? -1 : 0;
		for (size_t i = 0; !rc && i < e->nflip; i++) {
			uint64_t x = e->flipu[i], off = x * unit, n = len - off < unit ? len - off : unit;
			delta[i] = ch[x] ^ subsets_unit_hash(x, e->flipc + i * unit, (size_t)n);
		}
		const uint8_t *mask;
		uint64_t id = 0;
		sigset ids = {NULL, 0, 0};
		while (!rc && subsets_next(&it, &mask)) {
			const size_t *chg;
			size_t nchg = subsets_changed(&it, &chg);
			for (size_t c = 0; c < nchg; c++) {
				size_t i = chg[c];
				if (in[i] == mask[i])
					continue;
				uint64_t x = e->flipu[i], off = x * unit, n = len - off < unit ? len - off : unit;
				memcpy(img + off, (mask[i] ? e->flipc : e->flipd) + i * unit, (size_t)n);
				in[i] = mask[i];
				id ^= delta[i];
				pid_flip(e, x, delta[i], len);
			}
			/* id 0 is the disk at the fault itself; identical images once */
			if ((!id && !base_new) || sig_has(ids.s, ids.n, id))
				continue;
			if (sig_add(&ids, id))
				rc = -1;
			else
				rc = judge_ids(e, &e->cur.m, &e->after.m, k, e->fkey, img, len);
		}
		for (size_t i = 0; in && i < e->nflip; i++) {
			uint64_t x = e->flipu[i], off = x * unit, n = len - off < unit ? len - off : unit;
			memcpy(img + off, e->flipd + i * unit, (size_t)n);
		}
		if (in && delta)
			subsets_free(&it);
		free(ids.s);
		free(in);
		free(delta);
	}
	/* back to dm's disk */
	const uint8_t *base = simdisk_disk(e->dm);
	for (size_t i = 0; i < e->ncap; i++) {
		uint64_t x = e->capu[i], off = x * unit;
		if (off < len0)
			memcpy(img + off, base + off, (size_t)(len0 - off < unit ? len0 - off : unit));
	}
	for (size_t i = 0; i < e->nflip; i++) {
		uint64_t x = e->flipu[i], off = x * unit;
		if (off < len0)
			memcpy(img + off, base + off, (size_t)(len0 - off < unit ? len0 - off : unit));
	}
	e->sup = NULL;
	e->nsup = 0;
	return rc;
}

/* The durable image after the continuation, no op in flight, judged in place (judging
 * only reads; the case disk is reloaded before the next case), against the case's
 * model; verdicts the no-fault image at boundary b shows too are set aside. */
static int judge_end(engine *e, size_t report_op, size_t b)
{
	if (!e->images || !e->dc || !simdisk_exists(e->dc) || !simdisk_len(e->dc))
		return 0;
	e->sup = base_sigs(e, b, &e->nsup); /* first: it may judge (and use e->pid) */
	if (uh_fold(e, &e->cu, e->dc, &e->crl, 0, 0))
		return -1;
	uint64_t len = simdisk_len(e->dc);
	if (page_ids(e, e->cu.h, len))
		return -1;
	uint64_t key = tm_key(&e->j, &e->m, &e->m, JUDGE_NO_OP);
	e->vseen.n = 0;
	e->judge_at = MATRIX_AT_END;
	e->judge_op = report_op;
	int rc = judge_ids(e, &e->m.m, &e->m.m, JUDGE_NO_OP, key, (uint8_t *)simdisk_disk(e->dc), len);
	e->sup = NULL;
	e->nsup = 0;
	return rc;
}
/* ---- one case ------------------------------------------------------------------- */

static int defines_handle(const oplog_op *op)
{
	return op->kind == OPLOG_ALLOC || op->kind == OPLOG_PALLOC;
}

static void mark_dead(engine *e, const oplog_op *op)
{
	if (op->handle < e->nh && defines_handle(op) && !e->dead[op->handle]) {
		e->dead[op->handle] = 1;
		e->ndead++;
	}
}

/* Is the pager fail-stop (refusing work until reopened)? */
static int refuses_work(pager *p)
{
	uint8_t *data;
	return pager_page(p, FMT_FIRST_DATA_PAGE, &data) == PAGER_EUNAVAILABLE;
}

static void describe(const engine *e, size_t k, char *out, size_t n)
{
	replay_describe(e->log, k, out, n);
}

static const char *rc_text(int rc, int err, char *buf, size_t n)
{
	char eb[16];
	const char *s = pager_strerror(rc);
	size_t len = strcspn(s, ":");
	if (rc == PAGER_EIO && err)
		snprintf(buf, n, "%.*s (%s)", (int)len, s, matrix_errno_name(err, eb));
	else
		snprintf(buf, n, "%.*s", (int)len, s);
	return buf;
}

/* After op b-1 (a reopen: the pager's state is what it read from the file), is the case
 * where the no-fault run is — same disk (cache, durable bytes, no lost units), same
 * model and handles, no skipped handle? Then the rest of the log runs as the no-fault
 * run did (once mode: no fault fires again), whose every op the dry run checked and
 * whose durable images are the no-fault ones: nothing left to find. */
static int converges(engine *e, size_t b)
{
	if (e->single || !e->dc || !e->bdig || !e->bsnap_at || b > e->nops || !e->bsnap_at[b] || e->ndead)
		return 0;
	const bsnap *s = &e->snaps[e->bsnap_at[b] - 1];
	uint64_t len = simdisk_exists(e->dc) ? simdisk_len(e->dc) : 0;
	/* a case whose disk differed at its first reopens seldom rejoins later: testing is
	 * only a shortcut, so it stops trying */
	if (e->tries >= 3 || tm_digest(&e->m) != e->bdig[b] || len != s->len || simdisk_lost(e->dc, NULL, 0))
		return 0;
	e->tries++;
	const uint8_t *cache = simdisk_cache(e->dc), *disk = simdisk_disk(e->dc);
	for (size_t c = 0; c < s->nch; c++) {
		uint64_t off = c * s->csz, n = len - off < s->csz ? len - off : s->csz;
		if (chunk_hash(c, 0, cache + off, n) != e->chh[s->off + 2 * c] ||
		    chunk_hash(c, 1, disk + off, n) != e->chh[s->off + 2 * c + 1])
			return 0;
	}
	return 1;
}

/* Prepare the case disk and pager for op k from the snapshot. */
static int case_setup(engine *e, size_t k)
{
	G.active = 0;
	if (e->dc) {
		/* the previous case ran from this very snapshot: undo what it did (its syncs,
		 * the cache); else copy the snapshot */
		simdisk_process_exit(e->dc);
		if (e->copied_op == k + 1 ? simdisk_restore(e->dc, e->dm, (const uint64_t *)e->crl.r, e->crl.n)
					  : simdisk_copy(e->dc, e->dm))
			return -1;
		e->copied_op = k + 1;
	} else {
		unlink(e->path[2]);
		int err = k > 0 ? copy_file(e->path[1], e->path[2]) : 0;
		if (err) {
			snprintf(e->msg, e->msglen, "cannot copy %s: %s", e->path[1], strerror(err));
			return -1;
		}
	}
	if (e->nh)
		memcpy(e->rc.where, e->rm.where, e->nh * sizeof *e->rc.where);
	e->rc.p = NULL;
	if (k > 0 && e->rm.p) {
		int rc = pager_open(e->rc.path, e->rc.io, &e->rc.p);
		if (rc) {
			e->rc.p = NULL;
			snprintf(e->msg, e->msglen, "op %zu: the snapshot does not reopen: %s", k, pager_strerror(rc));
			return -1;
		}
	}
	if (tm_copy(&e->m, &e->cur))
		return -1;
	if (e->ndead)
		memset(e->dead, 0, e->nh);
	e->ndead = 0;
	e->crl.n = 0;
	e->tries = 0;
	e->fault_seen = 0;
	e->fault_nr = 0;
	e->fault_len = 0;
	e->fault_sync = 0;
	e->ncap = 0;
	e->nflip = 0;
	e->hook_faults = 0;
	if (e->dc && e->images) {
		e->len0 = simdisk_len(e->dc);
		size_t units = (size_t)((e->len0 + e->unit - 1) / e->unit);
		if (grow_buf((void **)&e->cu.h, &e->cu.cap, units + 1, sizeof *e->cu.h))
			return -1;
		if (units)
			memcpy(e->cu.h, e->mu.h, units * sizeof *e->cu.h);
		e->cu.len = e->len0;
	}
	return 0;
}

static void case_teardown(engine *e)
{
	G.active = 0;
	G.armed = 0;
	if (e->rc.p)
		(void)pager_close(e->rc.p);
	e->rc.p = NULL;
	if (e->dc) {
		simdisk_process_exit(e->dc);
	} else {
		px_release(&e->px[2]);
		unlink(e->path[2]);
	}
}

/* Run one case of op k; fills e->r. 0, or -1 on a setup error. */
static int case_run(engine *e, size_t k, const matrix_case *c, uint64_t ordinal)
{
	const oplog *log = e->log;
	const oplog_op *opk = &log->ops[k];
	matrix_result *r = &e->r;
	char what[200], exp[600], got[600], why[460], rcb[64], eb[16], wj[200];
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	result_clear(e);
	r->c = *c;
	r->ordinal = ordinal;
	r->op = k;
	if (case_setup(e, k)) {
		case_teardown(e);
		return -1;
	}

	/* Arm the hit and run op k. */
	memcpy(G.hits, e->prefix + k * MX_COUNT, sizeof G.hits);
	G.armed = 1;
	G.target = point_index(c->point);
	G.fire_at = c->hit;
	G.persist = c->mode == MATRIX_PERSIST;
	G.failing = 0;
	G.err = c->err;
	G.fired = 0;
	G.fired_op = 0;
	G.on_first = on_first_fault;
	G.on_first_arg = e;
	model_result res;
	G.active = 1;
	int rc = replay_exec(&e->rc, k, &res);
	G.active = 0;
	r->rc = rc;
	r->err_seen = rc == PAGER_EIO ? pager_last_errno() : 0;
	r->fired = G.fired_op > 0;
	if (!r->fired)
		goto done; /* the hit was not reached: nothing to judge (a harness note) */

	describe(e, k, what, sizeof what);
	int once = c->mode == MATRIX_ONCE;
	int model_ok = 1;  /* the case's model still describes the pager */
	int end_ok = 1;    /* ... or at least what was acknowledged (persist after an F-ATOMIC):
			      the durable image after the continuation is judged against it */
	int full_next = 0; /* the next check compares everything (the state is known to differ) */
	int stopped = 0;
	size_t stop_op = k, last = k;
	if (rc == 0) {
		snprintf(exp, sizeof exp, "%s fails: %s failed with %s", what, c->point, matrix_errno_name(c->err, eb));
		add_verdict(e, "F-SILENT", k, MATRIX_AT_OP, exp, "it returned success");
		if (case_step(e, k, &res, 1, 0, why, sizeof why)) {
			snprintf(exp, sizeof exp, "%s, reported as a success, did what the model says", what);
			add_verdict(e, "F-CONTINUE", k, MATRIX_AT_OP, exp, why);
			model_ok = end_ok = 0;
		}
	} else {
		mark_dead(e, opk);
		if (e->rc.p) {
			stopped = rc == PAGER_EUNAVAILABLE || refuses_work(e->rc.p);
			if (!stopped) {
				int d = fast_diff(e, &e->m, e->rc.p, NULL, 0, 1, why, sizeof why);
				if (d < 0)
					e->failed = 1;
				else if (d) {
					snprintf(exp, sizeof exp, "after %s failed, the state before it (or a fail-stop pager)", what);
					snprintf(got, sizeof got, "%s; %s", rc_text(rc, r->err_seen, rcb, sizeof rcb), why);
					add_verdict(e, "F-ATOMIC", k, MATRIX_AT_OP, exp, got);
					/* once: the continuation shows what it costs; persist: the model is stale */
					full_next = 1;
					model_ok = once; /* persist: what was acknowledged is still the model */
				}
			}
		}
	}
	r->fail_stop = stopped;

	/* The durable images at the moment of the fault (op k in flight). */
	if (judge_fault(e, k))
		e->failed = 1;

	/* The continuation. */
	if (opk->kind == OPLOG_CREATE && rc != 0)
		goto done; /* no file to go on with */
	if (model_ok && !e->rc.p) {
		/* A failed reopen left no pager: open the file again (persist: it cannot). */
		if (!once)
			goto end;
		G.active = 1;
		int orc = pager_open(e->rc.path, e->rc.io, &e->rc.p);
		G.active = 0;
		if (orc) {
			e->rc.p = NULL;
			snprintf(exp, sizeof exp, "the file opens again after %s failed", what);
			add_verdict(e, "F-CONTINUE", k, MATRIX_AT_OP, exp, pager_strerror(orc));
			model_ok = end_ok = 0;
		} else if (converges(e, k + 1)) {
			r->converged = 1;
			goto done;
		} else {
			int d = fast_diff(e, &e->m, e->rc.p, NULL, 0, 1, why, sizeof why);
			if (d) {
				if (d < 0)
					e->failed = 1;
				snprintf(exp, sizeof exp, "after %s failed, the reopened file holds the state before it", what);
				add_verdict(e, "F-CONTINUE", k, MATRIX_AT_OP, exp, why);
				model_ok = end_ok = 0;
			}
		}
	}
	int checked_full = 1; /* the last check compared everything */
	for (size_t j = k + 1; e->rc.p && (model_ok || !once) && j < e->nops && (e->cont == SIZE_MAX || j - k <= e->cont);
	     j++) {
		const oplog_op *op = &log->ops[j];
		if (op->handle < e->nh && e->dead[op->handle])
			continue;
		size_t from = e->crl.n;
		G.fired_op = 0;
		G.active = 1;
		int jrc = replay_exec(&e->rc, j, &res);
		G.active = 0;
		r->continued++;
		last = j;
		int fired = G.fired_op > 0;
		if (stopped && op->kind != OPLOG_REOPEN) {
			if (jrc == 0) {
				char ws[200];
				describe(e, j, wj, sizeof wj);
				describe(e, stop_op, ws, sizeof ws);
				snprintf(exp, sizeof exp, "%s refused: the pager went fail-stop at %s and was not reopened", wj, ws);
				add_verdict(e, "F-STOP", j, MATRIX_AT_OP, exp, "it succeeded");
				model_ok = end_ok = 0;
				break;
			}
			mark_dead(e, op);
			continue;
		}
		if (jrc == 0) {
			if (fired) {
				describe(e, j, wj, sizeof wj);
				snprintf(exp, sizeof exp, "%s fails: a persistent %s fault fired in it", wj, matrix_errno_name(c->err, eb));
				add_verdict(e, "F-SILENT", j, MATRIX_AT_OP, exp, "it returned success");
			}
			int reopened = op->kind == OPLOG_REOPEN;
			if (reopened)
				stopped = 0;
			if (!model_ok) {
				end_ok = 0; /* acknowledged on a state the model does not describe */
				continue;
			}
			if (reopened && once && converges(e, j + 1)) {
				/* model_step's answer check (a reopen has none), then done */
				r->converged = 1;
				break;
			}
			int full = full_next || reopened || fired;
			if (case_step(e, j, &res, full, from, why, sizeof why)) {
				describe(e, j, wj, sizeof wj);
				snprintf(exp, sizeof exp, "%s as the model says after the failed %s", wj, what);
				add_verdict(e, "F-CONTINUE", j, MATRIX_AT_OP, exp, why);
				model_ok = end_ok = 0;
				continue; /* once: the loop ends; persist: F-SILENT and F-STOP still count */
			}
			checked_full = full;
			full_next = 0;
			continue;
		}
		mark_dead(e, op);
		if (jrc == PAGER_EUNAVAILABLE && e->rc.p) {
			stopped = 1;
			stop_op = j;
			r->fail_stop = 1;
			continue;
		}
		if (once) {
			describe(e, j, wj, sizeof wj);
			snprintf(exp, sizeof exp, "%s runs: the one-time fault at %s is over", wj, what);
			snprintf(got, sizeof got, "it failed: %s", rc_text(jrc, jrc == PAGER_EIO ? pager_last_errno() : 0, rcb, sizeof rcb));
			add_verdict(e, "F-CONTINUE", j, MATRIX_AT_OP, exp, got);
			model_ok = end_ok = 0;
			break;
		}
		/* persist: the disk is gone, failing is right — but like op k, the op must leave
		 * the state it found, or stop */
		if (!e->rc.p)
			continue;
		if (refuses_work(e->rc.p)) {
			stopped = 1;
			stop_op = j;
			r->fail_stop = 1;
			continue;
		}
		if (!model_ok)
			continue;
		int d = fast_diff(e, &e->m, e->rc.p, NULL, 0, 1, why, sizeof why);
		if (d < 0)
			e->failed = 1;
		else if (d) {
			describe(e, j, wj, sizeof wj);
			snprintf(exp, sizeof exp, "after %s failed, the state before it (or a fail-stop pager)", wj);
			snprintf(got, sizeof got, "%s; %s", rc_text(jrc, jrc == PAGER_EIO ? pager_last_errno() : 0, rcb, sizeof rcb),
				 why);
			add_verdict(e, "F-ATOMIC", j, MATRIX_AT_OP, exp, got);
			model_ok = 0; /* the model still holds what was acknowledged */
		}
		checked_full = 1;
	}
	if (r->converged)
		goto done;
	/* Each op was checked on what it touched; the whole state once more at the end. */
	if (model_ok && e->rc.p && !checked_full && !stopped) {
		int d = fast_diff(e, &e->m, e->rc.p, NULL, 0, 1, why, sizeof why);
		if (d < 0)
			e->failed = 1;
		else if (d) {
			describe(e, last, wj, sizeof wj);
			snprintf(exp, sizeof exp, "after %s, the last op run after the failed %s, every page and id as the model says",
				 wj, what);
			add_verdict(e, "F-CONTINUE", last, MATRIX_AT_OP, exp, why);
			model_ok = end_ok = 0;
		}
	}
end:
	/* The durable image after the continuation (no op in flight). */
	if (end_ok && judge_end(e, last, last > k || rc == 0 ? last + 1 : k))
		e->failed = 1;
done:
	case_teardown(e);
	r->seconds = since(&t0);
	return e->failed ? -1 : 0;
}
/* ---- the run -------------------------------------------------------------------- */

/* Hand a finished case to the caller. */
static void deliver(engine *e)
{
	const matrix_cfg *cfg = e->cfg;
	matrix_result *r = &e->r;
	e->st->run++;
	if (!r->fired)
		e->st->unfired++;
	if (r->nv) {
		e->st->with_verdicts++;
		int fatal = 0;
		for (size_t i = 0; i < r->nv; i++)
			fatal |= r->v[i].fatal;
		e->st->fatal += fatal;
	}
	if (cfg->on_result)
		cfg->on_result(cfg->result_arg, e->log, r);
	if (cfg->on_case && r->nv) {
		const char *ids[MATRIX_MAX_VERDICTS];
		size_t n = 0;
		for (size_t i = 0; i < r->nv; i++) {
			size_t k = 0;
			while (k < n && strcmp(ids[k], r->v[i].id))
				k++;
			if (k == n)
				ids[n++] = r->v[i].id;
		}
		cfg->on_case(cfg->on_case_arg, e->log, &r->c, ids, n);
	}
}

static void engine_free(engine *e)
{
	G.active = 0;
	if (e->rc.log)
		replay_free(&e->rc);
	if (e->rm.log)
		replay_free(&e->rm);
	tm_free(&e->cur);
	tm_free(&e->after);
	tm_free(&e->m);
	tm_free(&e->adv);
	judge_free(&e->j);
	result_clear(e);
	free(e->r.v);
	free(e->dead);
	free(e->touch);
	for (size_t i = 0; e->pat && i < e->npat; i++)
		free(e->pat[i].buf);
	free(e->pat);
	uh_free(&e->du);
	uh_free(&e->mu);
	uh_free(&e->cu);
	free(e->pid);
	free(e->capu);
	free(e->capb);
	free(e->flipu);
	free(e->flipc);
	free(e->flipd);
	free(e->vseen.s);
	free(e->bs.s);
	free(e->lz[0].s);
	free(e->lz[1].s);
	free(e->base_off);
	free(e->bdig);
	free(e->bsnap_at);
	free(e->snaps);
	free(e->chh);
	free(e->drl.r);
	free(e->mrl.r);
	free(e->crl.r);
	free(e->res);
	free(e->prefix);
	simdisk_free(e->dd);
	simdisk_free(e->dm);
	simdisk_free(e->dc);
	if (e->cfg && e->cfg->posix && e->dir[0]) {
		for (int i = 0; i < 3; i++) {
			px_release(&e->px[i]);
			unlink(e->path[i]);
		}
		rmdir(e->dir);
	}
}

/* Storage for the three pagers, and the I/O they run on. */
static int engine_storage(engine *e)
{
	const matrix_cfg *cfg = e->cfg;
	rangelog *rl[3] = {&e->drl, &e->mrl, &e->crl};
	if (!cfg->posix) {
		simdisk **d[3] = {&e->dd, &e->dm, &e->dc};
		for (int i = 0; i < 3; i++) {
			if (!(*d[i] = simdisk_new(e->unit)))
				return -1;
			snprintf(e->path[i], sizeof e->path[i], "matrix.db");
			e->io[i] = simdisk_io(*d[i]);
			simdisk_set_hook(*d[i], on_sync_hook, rl[i]);
		}
		simdisk_set_fault_hook(e->dc, on_simdisk_fault, e);
	} else {
		const char *tmp = cfg->tmpdir ? cfg->tmpdir : getenv("TMPDIR");
		if (!tmp || !*tmp)
			tmp = "/tmp";
		snprintf(e->dir, sizeof e->dir, "%s/tornpage-matrix-XXXXXX", tmp);
		if (!mkdtemp(e->dir)) {
			snprintf(e->msg, e->msglen, "mkdtemp %s: %s", e->dir, strerror(errno));
			e->dir[0] = 0;
			return -1;
		}
		static const char *const names[3] = {"dry.db", "main.db", "case.db"};
		for (int i = 0; i < 3; i++) {
			snprintf(e->path[i], sizeof e->path[i], "%s/%s", e->dir, names[i]);
			px_init(&e->px[i]);
			e->px[i].rl = rl[i];
			e->io[i] = &e->px[i].io;
		}
	}
	for (int i = 0; i < 3 && cfg->wrap_io; i++)
		if (!(e->io[i] = cfg->wrap_io(cfg->wrap_arg, e->io[i])))
			return -1;
	return 0;
}

/* One op of the dry run: replay_step's checks (same messages), with the fast diff. */
static int dry_step(engine *e, replay *r, tmodel *t, size_t k, model_result *res)
{
	char what[160], why[320];
	replay_describe(e->log, k, what, sizeof what);
	int rc = replay_exec(r, k, res);
	if (rc) {
		snprintf(e->msg, e->msglen, "%s: the pager failed: %s", what, pager_strerror(rc));
		return 1;
	}
	if (fast_check_result(e, t, k, res, why, sizeof why)) {
		snprintf(e->msg, e->msglen, "%s: %s", what, why);
		return 1;
	}
	if (tm_apply(t, e->log, k, res)) {
		snprintf(e->msg, e->msglen, "%s: out of memory", what);
		return -1;
	}
	if ((rc = fast_diff(e, t, r->p, NULL, 0, 1, why, sizeof why))) {
		snprintf(e->msg, e->msglen, "%s: %s", what, rc < 0 ? "out of memory" : why);
		return rc < 0 ? -1 : 1;
	}
	return 0;
}

/* The no-fault disk at boundary b (after a reopen), for the convergence test. */
static int snap_take(engine *e, size_t b)
{
	uint64_t len = simdisk_exists(e->dd) ? simdisk_len(e->dd) : 0, csz = snap_chunk(len);
	size_t nch = (size_t)((len + csz - 1) / csz);
	if (grow_buf((void **)&e->snaps, &e->snaps_cap, e->nsnaps + 1, sizeof *e->snaps) ||
	    grow_buf((void **)&e->chh, &e->chh_cap, e->nchh + 2 * nch + 1, sizeof *e->chh))
		return -1;
	bsnap *s = &e->snaps[e->nsnaps];
	*s = (bsnap){len, csz, nch, e->nchh};
	const uint8_t *cache = simdisk_cache(e->dd), *disk = simdisk_disk(e->dd);
	for (size_t c = 0; c < nch; c++) {
		uint64_t off = c * csz, n = len - off < csz ? len - off : csz;
		e->chh[e->nchh++] = chunk_hash(c, 0, cache + off, n);
		e->chh[e->nchh++] = chunk_hash(c, 1, disk + off, n);
	}
	e->bsnap_at[b] = ++e->nsnaps;
	return 0;
}

/* The dry run: the pager's answers and the hits before every op; in full mode also the
 * no-fault durable image's verdicts at every op boundary (to set aside), and what the
 * convergence test compares with. Single mode stops after the op the case's hit falls
 * in. 0, 1 (I-MODEL), -1. */
static int dry_run(engine *e)
{
	replay r;
	tmodel t;
	int rc = -1;
	if (replay_init(&r, e->log, e->io[0], e->path[0]))
		return -1;
	if (tm_init(&t, e->log)) {
		replay_free(&r);
		return -1;
	}
	memset(G.hits, 0, sizeof G.hits);
	G.armed = 0;
	rc = 0;
	e->base_off[0] = e->base_off[1] = 0;
	int judging = e->images && !e->single;
	if (e->bdig)
		e->bdig[0] = tm_digest(&t);
	for (size_t k = 0; k < e->nops && !rc; k++) {
		memcpy(e->prefix + k * MX_COUNT, G.hits, sizeof G.hits);
		e->drl.n = 0;
		G.active = 1;
		rc = dry_step(e, &r, &t, k, &e->res[k]);
		G.active = 0;
		e->dry_ops = k + 1;
		if (e->bdig && !rc) {
			e->bdig[k + 1] = tm_digest(&t);
			if (e->log->ops[k].kind == OPLOG_REOPEN && snap_take(e, k + 1))
				rc = -1;
		}
		/* the no-fault durable image at the end of op k (boundary k + 1) */
		if (!rc && judging && simdisk_exists(e->dd) && simdisk_len(e->dd)) {
			uint64_t len = simdisk_len(e->dd);
			e->collect = &e->bs;
			if (uh_fold(e, &e->du, e->dd, &e->drl, 0, 0) || page_ids(e, e->du.h, len) ||
			    judge_ids(e, &t.m, &t.m, JUDGE_NO_OP, tm_key(&e->j, &t, &t, JUDGE_NO_OP), (uint8_t *)simdisk_disk(e->dd),
				      len) ||
			    e->failed)
				rc = -1;
			e->collect = NULL;
		}
		e->base_off[k + 2] = e->bs.n;
		if (e->single && G.hits[e->only_pt] >= e->only->hit) {
			e->only_op = k;
			break;
		}
	}
	memcpy(e->prefix + e->dry_ops * MX_COUNT, G.hits, sizeof G.hits);
	replay_free(&r);
	tm_free(&t);
	if (e->cfg->posix) {
		px_release(&e->px[0]);
		unlink(e->path[0]);
	}
	return rc;
}

static int engine_init(engine *e, const oplog *log, const matrix_cfg *cfg, matrix_stats *st, char *msg,
		       size_t msglen)
{
	memset(e, 0, sizeof *e);
	e->log = log;
	e->cfg = cfg;
	e->st = st;
	e->msg = msg;
	e->msglen = msglen;
	e->nops = log->nops;
	e->nh = log->nhandles;
	e->ps = (size_t)1 << log->page_log2;
	e->unit = cfg->unit ? cfg->unit : (uint32_t)e->ps;
	size_t cont = cfg->cont_set ? cfg->cont : MATRIX_DEFAULT_CONTINUE;
	e->cont = cont ? cont : SIZE_MAX;
	e->images = !cfg->posix && !cfg->no_images;
	e->sub = (subsets_cfg)SUBSETS_CFG_INIT;
	if (cfg->exhaustive)
		e->sub.exhaustive_k = cfg->exhaustive > SUBSETS_MAX_EXHAUSTIVE ? SUBSETS_MAX_EXHAUSTIVE : cfg->exhaustive;
	if (cfg->modes == 0 || (cfg->modes & (1u << MATRIX_ONCE)))
		e->modes[e->nmodes++] = MATRIX_ONCE;
	if (cfg->modes == 0 || (cfg->modes & (1u << MATRIX_PERSIST)))
		e->modes[e->nmodes++] = MATRIX_PERSIST;
	e->nerrs = cfg->nerrs ? (cfg->nerrs > MATRIX_MAX_ERRNOS ? MATRIX_MAX_ERRNOS : cfg->nerrs) : 1;
	if (cfg->nerrs)
		memcpy(e->errs, cfg->errs, e->nerrs * sizeof *e->errs);
	else
		e->errs[0] = EIO;
	size_t n;
	const pager_fault_point *pts = pager_fault_points(&n);
	for (size_t i = 0; i < n && i < MX_COUNT; i++) {
		if (!cfg->points || !*cfg->points) {
			e->selected[i] = 1;
			continue;
		}
		/* comma-separated globs */
		const char *s = cfg->points;
		while (*s && !e->selected[i]) {
			size_t len = strcspn(s, ",");
			char glob[256];
			snprintf(glob, sizeof glob, "%.*s", (int)(len < 255 ? len : 255), s);
			if (fnmatch(glob, pts[i].name, 0) == 0)
				e->selected[i] = 1;
			s += len + (s[len] == ',');
		}
	}
	/* fill patterns: a few MiB at most */
	e->npat = (size_t)4 << 20 >> log->page_log2;
	e->npat = e->npat < 64 ? 64 : e->npat > 4096 ? 4096 : e->npat;
	if (!(e->res = calloc(e->nops ? e->nops : 1, sizeof *e->res)) ||
	    !(e->prefix = calloc((e->nops + 1) * MX_COUNT, sizeof *e->prefix)) ||
	    !(e->dead = calloc(e->nh ? e->nh : 1, 1)) || !(e->touch = calloc(e->nh ? e->nh : 1, sizeof *e->touch)) ||
	    !(e->pat = calloc(e->npat, sizeof *e->pat)) || !(e->base_off = calloc(e->nops + 2, sizeof *e->base_off)))
		return -1;
	if (engine_storage(e))
		return -1;
	if (replay_init(&e->rm, log, e->io[1], e->path[1]) || replay_init(&e->rc, log, e->io[2], e->path[2]) ||
	    tm_init(&e->cur, log) || tm_init(&e->after, log) || tm_init(&e->m, log) || tm_init(&e->adv, log) ||
	    judge_init(&e->j, log))
		return -1;
	return 0;
}

/* The replay with snapshots: at the start of op k, its cases. */
static int engine_cases(engine *e, uint64_t *ordinal)
{
	const matrix_cfg *cfg = e->cfg;
	size_t n;
	const pager_fault_point *pts = pager_fault_points(&n);
	uint64_t last_progress = 0;
	for (size_t k = 0; k < e->nops; k++) {
		const uint64_t *before = e->prefix + k * MX_COUNT, *upto = before + MX_COUNT;
		if (tm_copy(&e->after, &e->cur) || tm_apply(&e->after, e->log, k, &e->res[k]))
			return -1;
		e->fkey = 0;
		for (size_t pt = 0; pt < MX_COUNT; pt++) {
			if (!e->selected[pt] && !e->only)
				continue;
			for (uint64_t h = before[pt] + 1; h <= upto[pt]; h++) {
				for (size_t mi = 0; mi < e->nmodes; mi++) {
					for (size_t ei = 0; ei < e->nerrs; ei++) {
						matrix_case c = {pts[pt].name, h, e->modes[mi], e->errs[ei], cfg->lost_writes, 0};
						uint64_t ord = (*ordinal)++;
						if (e->only) {
							if ((int)pt != e->only_pt || h != e->only->hit || mi || ei)
								continue;
							c = *e->only;
							c.point = pts[pt].name;
						} else {
							c.seed = matrix_case_seed(cfg->seed, c.point, h, c.mode, c.err);
							if (cfg->nshards > 1 && ord % cfg->nshards != cfg->shard)
								continue;
						}
						if (case_run(e, k, &c, ord))
							return -1;
						deliver(e);
					}
				}
			}
		}
		if (cfg->progress && e->st->run - last_progress >= 64) {
			last_progress = e->st->run;
			e->st->seconds = since(&e->t0);
			cfg->progress(cfg->progress_arg, e->st, k, e->nops);
		}
		if (e->only && k >= e->only_op)
			break;
		/* op k on the main pager: no faults, the same answers as the dry run */
		model_result got;
		G.active = 0;
		e->mrl.n = 0;
		int rc = replay_exec(&e->rm, k, &got);
		e->main_at = k + 1;
		if (rc || got.id != e->res[k].id || got.crc != e->res[k].crc) {
			char what[200];
			describe(e, k, what, sizeof what);
			snprintf(e->msg, e->msglen, "%s: the replay diverged from the dry run (%s)", what,
				 rc ? pager_strerror(rc) : "different answer");
			return 1;
		}
		if (e->images && uh_fold(e, &e->mu, e->dm, &e->mrl, 0, 1))
			return -1;
		if (e->mrl.oom || e->crl.oom || e->drl.oom || tm_copy(&e->cur, &e->after))
			return -1;
	}
	return 0;
}

static uint64_t count_cases(const engine *e)
{
	uint64_t total = 0;
	const uint64_t *end = e->prefix + e->nops * MX_COUNT;
	for (size_t pt = 0; pt < MX_COUNT; pt++)
		if (e->selected[pt])
			total += end[pt] * e->nmodes * e->nerrs;
	return total;
}

int matrix_run(const oplog *log, const matrix_cfg *cfg, uint64_t *ordinal, matrix_stats *st, char *msg,
	       size_t msglen)
{
	engine e;
	int rc = -1;
	memset(st, 0, sizeof *st);
	if (msglen)
		msg[0] = 0;
	if (points_enable()) {
		snprintf(msg, msglen, "%s", matrix_available() ? "libfiu: cannot enable the fault points"
							       : "built without libfiu (TORNPAGE_FIU=OFF): no fault matrix");
		return -1;
	}
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (engine_init(&e, log, cfg, st, msg, msglen))
		goto out;
	e.t0 = t0;
	if (!cfg->posix && !(e.bdig = calloc(e.nops + 1, sizeof *e.bdig)))
		goto out;
	if (!cfg->posix && !(e.bsnap_at = calloc(e.nops + 1, sizeof *e.bsnap_at)))
		goto out;
	if ((rc = dry_run(&e)))
		goto out;
	st->cases = count_cases(&e);
	uint64_t base = *ordinal;
	rc = engine_cases(&e, ordinal);
	*ordinal = base + st->cases;
out:
	st->seconds = since(&t0);
	if (cfg->progress && rc == 0)
		cfg->progress(cfg->progress_arg, st, log->nops, log->nops);
	engine_free(&e);
	points_disable();
	if (rc < 0 && msglen && !msg[0])
		snprintf(msg, msglen, "out of memory");
	return rc;
}

typedef struct single_sink {
	matrix_verdict_fn fn;
	void *arg;
	int fatal;
	int got;
} single_sink;

static void single_result(void *arg, const oplog *log, const matrix_result *r)
{
	single_sink *s = arg;
	(void)log;
	s->got = 1;
	for (size_t i = 0; i < r->nv; i++) {
		s->fatal += r->v[i].fatal;
		if (s->fn)
			s->fn(s->arg, r->v[i].id, r->v[i].op, r->v[i].expected, r->v[i].found);
	}
}

int matrix_run_case_ex(const oplog *log, const matrix_cfg *cfg, const matrix_case *c, matrix_verdict_fn fn,
		       void *arg, char *msg, size_t msglen)
{
	matrix_cfg one = *cfg;
	single_sink sink = {fn, arg, 0, 0};
	matrix_stats st;
	engine e;
	int rc = -1;
	memset(&st, 0, sizeof st);
	if (msglen)
		msg[0] = 0;
	int pt = point_index(c->point);
	if (pt < 0) {
		snprintf(msg, msglen, "unknown fault point '%s'", c->point ? c->point : "");
		return -1;
	}
	if (c->hit == 0 || (c->mode != MATRIX_ONCE && c->mode != MATRIX_PERSIST) || c->err < 1 || c->err > 4095) {
		snprintf(msg, msglen, "bad case: hit must be >= 1, mode once or persist, errno 1..4095");
		return -1;
	}
	one.on_result = single_result;
	one.result_arg = &sink;
	one.on_case = NULL;
	one.progress = NULL;
	one.points = NULL;
	one.nshards = 0;
	if (points_enable()) {
		snprintf(msg, msglen, "%s", matrix_available() ? "libfiu: cannot enable the fault points"
							       : "built without libfiu (TORNPAGE_FIU=OFF): no fault matrix");
		return -1;
	}
	if (engine_init(&e, log, &one, &st, msg, msglen))
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &e.t0);
	e.single = 1;
	e.only = c;
	e.only_pt = pt;
	e.only_op = SIZE_MAX;
	if ((rc = dry_run(&e))) {
		rc = -1;
		goto out;
	}
	rc = -1;
	if (e.only_op == SIZE_MAX) {
		uint64_t total = e.prefix[e.dry_ops * MX_COUNT + (size_t)pt];
		snprintf(msg, msglen, "%s is reached %" PRIu64 " time(s) in this log, not %" PRIu64, c->point, total, c->hit);
		goto out;
	}
	uint64_t ordinal = 0;
	int r = engine_cases(&e, &ordinal);
	if (r > 0)
		goto out;
	if (r == 0 && sink.got)
		rc = sink.fatal;
out:
	engine_free(&e);
	points_disable();
	if (rc < 0 && msglen && !msg[0])
		snprintf(msg, msglen, "out of memory");
	return rc;
}

int matrix_run_case(const oplog *log, uint32_t unit, const matrix_case *c, matrix_verdict_fn fn, void *arg)
{
	matrix_cfg cfg;
	char msg[400];
	memset(&cfg, 0, sizeof cfg);
	cfg.unit = unit;
	return matrix_run_case_ex(log, &cfg, c, fn, arg, msg, sizeof msg);
}
