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
 * check (replay_step): it gives what the pager answers to every op (ids, CRCs: the model
 * *after* an op is then known while it is in flight) and how many hits of every point
 * fall before each op. Hit n of point P falls in op k when prefix[k][P] < n <=
 * prefix[k+1][P]. A log that does not replay cleanly has no matrix (I-MODEL).
 *
 * Snapshots. The log is replayed again on the main disk. At the start of op k, before
 * the main pager runs it, each case of op k copies the main disk (simdisk_copy: cache,
 * disk, lost marks; posix: a file copy, which reads the page cache) into the case disk,
 * opens a pager on it (a clean reopen: the page cache survives it), copies the handle
 * table and the model before op k, arms its hit and runs op k. The cost of a case is
 * the file's size plus the ops it runs, never the ops before it.
 *
 * Verdicts of a case (docs/invariants.md, "Fault-matrix verdicts"):
 *  - F-SILENT: a fault fired during op k (or, in persist mode, during a later op j)
 *    and that op returned success.
 *  - F-ATOMIC: op k failed, the pager is not fail-stop, and its visible state
 *    (model_diff) differs from the model before op k. Fail-stop: op k returned
 *    PAGER_EUNAVAILABLE, or the pager refuses to hand out a page (pager_page of the first
 *    data page answers PAGER_EUNAVAILABLE), or a later op returns PAGER_EUNAVAILABLE.
 *  - F-STOP: after the pager went fail-stop, an op other than a reopen succeeded.
 *  - F-CONTINUE (once mode): the continuation — ops k+1.. up to --continue of them, op k
 *    not retried, ops on handles whose defining op failed skipped — does not run as the
 *    model (before op k plus the continuation's ops) says: an op fails (other than with
 *    PAGER_EUNAVAILABLE, which starts fail-stop), answers wrongly, or the pager's state
 *    differs afterwards. A failed reopen leaves no pager: the continuation opens the
 *    file first (the application's only way on). A failed create has no continuation.
 *  - The durable image (simdisk only) at the moment of the fault is judged with the
 *    crash verdicts (judge.h: before = the model before op k, after = after op k, op k
 *    in flight), and again after the continuation (no op in flight, before = after = the
 *    continuation's model) unless an F-CONTINUE or F-STOP made that model meaningless.
 *    With lost writes, the case's failed sync is simdisk_fail_sync(seed): some units
 *    reach disk, the others stay in the cache as lost; later failed syncs of a persist
 *    case persist nothing (the device is gone).
 *    A verdict that the no-fault run's durable image shows too at the op boundary the
 *    image is compared with (the start of op k for the image at the fault; the end of
 *    the last op run for the end image) is not the fault's doing: it is a crash-state
 *    weakness `tornpage crash` reports (the seed's unsynced reused page under a new
 *    protected page is one). It is set aside and counted (matrix_result.preexisting).
 *    "The same verdict" is verdict_sig's: a structural id at the same place, or a model
 *    verdict (I-ATOMIC and I-DURABLE alike) finding the same state. The dry run judges
 *    the no-fault image once per op boundary.
 * In persist mode the continuation runs too (F-STOP, F-SILENT, the end image): ops that
 * fail are what a dead disk makes them do, and a model mismatch only disables the end
 * image. */
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
	return w->inner->sync(w->inner->ctx, step, file, addr, off, len);
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

/* ---- the engine ----------------------------------------------------------------- */

typedef struct engine {
	const oplog *log;
	const matrix_cfg *cfg;
	size_t nops, nh;            /* ops, handles */
	uint32_t unit;              /* simdisk unit */
	size_t cont;                /* ops after the faulted one; SIZE_MAX = to the end */
	model_result *res;          /* per op: the pager's answers in the dry run */
	uint64_t *prefix;           /* (nops + 1) x MX_COUNT: hits before op k */
	uint8_t selected[MX_COUNT]; /* --points */
	matrix_mode modes[2];
	size_t nmodes;
	int errs[MATRIX_MAX_ERRNOS];
	size_t nerrs;

	/* storage: simdisk (dm main, dc case) or posix files in dir */
	simdisk *dd, *dm, *dc;
	pxwrap px[3];               /* posix: dry run, main, case */
	char dir[4096];
	char path[3][4200];         /* dry run, main, case */
	const pager_io *io[3];      /* what each pager runs on (wrapped for tests) */

	replay rm, rc;              /* the main pager, the case's pager */
	model cur, after, m;        /* before op k, after op k, the case's model */
	uint8_t *dead;              /* per handle: its defining op failed in this case */
	judge j;
	uint8_t *img;               /* a durable image being judged */
	uint64_t img_cap, img_len;
	int img_borrowed;           /* img is the case disk's own buffer (the end image) */
	int img_ok;                 /* img holds the image at the moment of the fault */
	uint32_t syncs0;            /* the case disk's sync count when op k started */
	uint64_t len0;              /* and its length */
	uint32_t hook_faults;       /* faults simdisk was told of in this case */

	/* the current case */
	matrix_result r;
	size_t verdict_cap;
	matrix_at judge_at;         /* where judge_image's verdicts go */
	size_t judge_op;

	/* the no-fault durable image's verdicts per op boundary b (the state after op b-1):
	 * signatures base_sig[base_off[b] .. base_off[b+1]) */
	uint64_t *base_sig;
	size_t nbase, base_cap;
	size_t *base_off;           /* nops + 2 entries */
	int collecting;             /* judge_image's verdicts go to base_sig */
	size_t sup_b;               /* boundary whose verdicts are set aside; SIZE_MAX: none */

	/* single-case mode (matrix_run_case_ex) */
	const matrix_case *only;
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

/* The identity of an image verdict, to recognise one the no-fault image shows too. A
 * structural violation is its id and place ("page 4, byte 8192"; the detail may name a
 * directory page that alternates with the commit count). A model verdict is what the
 * image holds (found: "id 3 in use, crc c71c0011"), under one class for I-ATOMIC and
 * I-DURABLE: the same stale item is an I-DURABLE with no op in flight and an I-ATOMIC
 * when the faulted op touches it, and a failed op may shift which handle holds it. */
static uint64_t verdict_sig(const char *verdict, const char *expected, const char *found)
{
	uint64_t h = 0xcbf29ce484222325ull;
	int state = !strcmp(verdict, "I-ATOMIC") || !strcmp(verdict, "I-DURABLE");
	int model = state || !strcmp(verdict, "I-OPEN") || !strcmp(verdict, "I-LEAK");
	const char *parts[2] = {state ? "I-ATOMIC/I-DURABLE" : verdict, model ? found : expected};
	for (int i = 0; i < 2; i++) {
		for (const char *s = parts[i] ? parts[i] : ""; *s; s++)
			h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
		h = (h ^ 0xff) * 0x100000001b3ull;
	}
	return h;
}

static void on_judge(void *arg, const char *verdict, const char *expected, const char *found)
{
	engine *e = arg;
	uint64_t sig = verdict_sig(verdict, expected, found);
	if (e->collecting) {
		if (e->nbase == e->base_cap) {
			size_t cap = e->base_cap ? e->base_cap * 2 : 64;
			uint64_t *p = realloc(e->base_sig, cap * sizeof *p);
			if (!p) {
				e->failed = 1;
				return;
			}
			e->base_sig = p;
			e->base_cap = cap;
		}
		e->base_sig[e->nbase++] = sig;
		return;
	}
	if (e->sup_b != SIZE_MAX) {
		for (size_t i = e->base_off[e->sup_b]; i < e->base_off[e->sup_b + 1]; i++)
			if (e->base_sig[i] == sig) {
				e->r.preexisting++;
				return;
			}
	}
	add_verdict(e, verdict, e->judge_op, e->judge_at, expected, found);
}

/* Copy the case disk's durable bytes into img. */
static int capture_disk(engine *e)
{
	if (!e->dc || !simdisk_exists(e->dc) || e->img_borrowed)
		return 0;
	uint64_t len = simdisk_len(e->dc);
	if (len > e->img_cap) {
		uint8_t *p = realloc(e->img, (size_t)len);
		if (!p) {
			e->failed = 1;
			return -1;
		}
		e->img = p;
		e->img_cap = len;
	}
	if (len)
		memcpy(e->img, simdisk_disk(e->dc), (size_t)len);
	e->img_len = len;
	return 1;
}

/* The case's hit fired (inside libfiu's callback: read only). The durable image at this
 * moment is judged after op k returns, so it is copied now — unless nothing reached the
 * disk since op k started (no completed sync, same length): then it is the image the
 * dry run judged at that op boundary with the state before op k, and judging it with
 * op k in flight can only find what that image showed (the model's "before" side
 * agrees with every item): nothing the fault did. It is skipped. */
static void on_first_fault(void *arg)
{
	engine *e = arg;
	if (e->cfg->no_images)
		return;
	if (e->dc && simdisk_sync_count(e->dc) == e->syncs0 && simdisk_len(e->dc) == e->len0) {
		e->img_ok = 0;
		return;
	}
	e->img_ok = capture_disk(e) > 0;
}

/* simdisk was told that a fault point failed a call (lost writes live here). */
static void on_simdisk_fault(void *arg, simdisk *d, const char *step, uint64_t off, uint64_t len, int err)
{
	engine *e = arg;
	(void)step, (void)err;
	e->hook_faults++;
	if (!e->r.c.lost_writes || len == 0)
		return;
	int first = e->hook_faults == 1;
	simdisk_fail_sync(d, off, len, e->r.c.seed, !first);
	if (first && !e->cfg->no_images)
		e->img_ok = capture_disk(e) > 0;
}

/* Judge img (the durable bytes) as recovery would see them; verdicts that the no-fault
 * image at op boundary b shows too are set aside (b = SIZE_MAX: none). */
static int judge_img(engine *e, const model *before, const model *after, size_t op, matrix_at at,
		     size_t report_op, size_t b)
{
	if (!e->img_len || e->cfg->no_images)
		return 0;
	judge_case jc = {before, after, op};
	e->judge_at = at;
	e->judge_op = report_op;
	e->sup_b = b <= e->nops ? b : SIZE_MAX;
	G.active = 0;
	return judge_image(&e->j, &jc, e->img, e->img_len, on_judge, e) < 0 ? -1 : 0;
}

static int defines_handle(const oplog_op *op)
{
	return op->kind == OPLOG_ALLOC || op->kind == OPLOG_PALLOC;
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

/* Check op j's answer, apply it to the case's model and compare: 0 agree, 1 with why. */
static int model_step(engine *e, size_t j, const model_result *res, char *why, size_t n)
{
	char tmp[400];
	if (model_check_result(&e->m, e->log, j, res, tmp, sizeof tmp)) {
		snprintf(why, n, "%s", tmp);
		return 1;
	}
	if (model_apply(&e->m, e->log, j, res)) {
		e->failed = 1;
		snprintf(why, n, "out of memory");
		return 1;
	}
	int d = model_diff(&e->m, e->log, e->rc.p, tmp, sizeof tmp);
	if (d < 0)
		e->failed = 1;
	if (d)
		snprintf(why, n, "%s", d < 0 ? "out of memory" : tmp);
	return d != 0;
}

/* Prepare the case disk and pager for op k from the snapshot. */
static int case_setup(engine *e, size_t k)
{
	G.active = 0;
	if (e->dc) {
		simdisk_process_exit(e->dc);
		if (simdisk_copy(e->dc, e->dm))
			return -1;
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
	if (model_copy(&e->m, &e->cur))
		return -1;
	if (e->nh)
		memset(e->dead, 0, e->nh);
	e->img_ok = 0;
	e->img_len = 0;
	e->hook_faults = 0;
	if (e->dc) {
		e->syncs0 = simdisk_sync_count(e->dc);
		e->len0 = simdisk_len(e->dc);
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
	char what[200], exp[600], got[600], why[460], rcb[64];
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
	char eb[16];
	int once = c->mode == MATRIX_ONCE;
	int trusted = 1, stopped = 0, silent = 0;
	size_t stop_op = k, last = k;
	if (rc == 0) {
		silent = 1;
		snprintf(exp, sizeof exp, "%s fails: %s failed with %s", what, c->point, matrix_errno_name(c->err, eb));
		add_verdict(e, "F-SILENT", k, MATRIX_AT_OP, exp, "it returned success");
		if (model_step(e, k, &res, why, sizeof why)) {
			trusted = 0;
			if (once) {
				snprintf(exp, sizeof exp, "%s, reported as a success, did what the model says", what);
				add_verdict(e, "F-CONTINUE", k, MATRIX_AT_OP, exp, why);
			}
		}
	} else {
		if (opk->handle < e->nh && defines_handle(opk))
			e->dead[opk->handle] = 1;
		if (e->rc.p) {
			stopped = rc == PAGER_EUNAVAILABLE || refuses_work(e->rc.p);
			if (!stopped) {
				int d = model_diff(&e->m, log, e->rc.p, why, sizeof why);
				if (d < 0)
					e->failed = 1;
				else if (d) {
					snprintf(exp, sizeof exp, "after %s failed, the state before it (or a fail-stop pager)", what);
					snprintf(got, sizeof got, "%s; %s", rc_text(rc, r->err_seen, rcb, sizeof rcb), why);
					add_verdict(e, "F-ATOMIC", k, MATRIX_AT_OP, exp, got);
				}
			}
		}
	}
	r->fail_stop = stopped;

	/* The durable image at the moment of the fault (op k in flight). */
	if (e->img_ok && judge_img(e, &e->cur, &e->after, k, MATRIX_AT_FAULT, k, k))
		e->failed = 1;

	/* The continuation. */
	if (opk->kind == OPLOG_CREATE && rc != 0)
		goto done; /* no file to go on with */
	if (trusted && !e->rc.p) {
		/* A failed reopen left no pager: open the file again (persist: it cannot). */
		if (!once)
			goto end_image;
		G.active = 1;
		int orc = pager_open(e->rc.path, e->rc.io, &e->rc.p);
		G.active = 0;
		if (orc) {
			e->rc.p = NULL;
			snprintf(exp, sizeof exp, "the file opens again after %s failed", what);
			add_verdict(e, "F-CONTINUE", k, MATRIX_AT_OP, exp, pager_strerror(orc));
			trusted = 0;
		} else {
			int d = model_diff(&e->m, log, e->rc.p, why, sizeof why);
			if (d) {
				if (d < 0)
					e->failed = 1;
				snprintf(exp, sizeof exp, "after %s failed, the reopened file holds the state before it", what);
				add_verdict(e, "F-CONTINUE", k, MATRIX_AT_OP, exp, why);
				trusted = 0;
			}
		}
	}
	for (size_t j = k + 1; trusted && e->rc.p && j < e->nops && (e->cont == SIZE_MAX || j - k <= e->cont); j++) {
		const oplog_op *op = &log->ops[j];
		if (op->handle < e->nh && e->dead[op->handle])
			continue;
		G.fired_op = 0;
		G.active = 1;
		int jrc = replay_exec(&e->rc, j, &res);
		G.active = 0;
		r->continued++;
		last = j;
		int fired = G.fired_op > 0;
		char wj[200];
		if (stopped && op->kind != OPLOG_REOPEN) {
			if (jrc == 0) {
				char ws[200];
				describe(e, j, wj, sizeof wj);
				describe(e, stop_op, ws, sizeof ws);
				snprintf(exp, sizeof exp, "%s refused: the pager went fail-stop at %s and was not reopened", wj, ws);
				add_verdict(e, "F-STOP", j, MATRIX_AT_OP, exp, "it succeeded");
				trusted = 0;
				break;
			}
			if (op->handle < e->nh && defines_handle(op))
				e->dead[op->handle] = 1;
			continue;
		}
		if (jrc == 0 && fired && !silent) {
			silent = 1;
			describe(e, j, wj, sizeof wj);
			snprintf(exp, sizeof exp, "%s fails: a persistent %s fault fired in it", wj, matrix_errno_name(c->err, eb));
			add_verdict(e, "F-SILENT", j, MATRIX_AT_OP, exp, "it returned success");
		}
		if (jrc != 0) {
			if (op->handle < e->nh && defines_handle(op))
				e->dead[op->handle] = 1;
			if (jrc == PAGER_EUNAVAILABLE && e->rc.p) {
				stopped = 1;
				stop_op = j;
				r->fail_stop = 1;
				continue;
			}
			if (!once)
				continue; /* the disk is gone: failing is right */
			describe(e, j, wj, sizeof wj);
			snprintf(exp, sizeof exp, "%s runs: the one-time fault at %s is over", wj, what);
			snprintf(got, sizeof got, "it failed: %s", rc_text(jrc, jrc == PAGER_EIO ? pager_last_errno() : 0, rcb, sizeof rcb));
			add_verdict(e, "F-CONTINUE", j, MATRIX_AT_OP, exp, got);
			trusted = 0;
			break;
		}
		if (op->kind == OPLOG_REOPEN)
			stopped = 0;
		if (model_step(e, j, &res, why, sizeof why)) {
			trusted = 0;
			if (once) {
				describe(e, j, wj, sizeof wj);
				snprintf(exp, sizeof exp, "%s as the model says after the failed %s", wj, what);
				add_verdict(e, "F-CONTINUE", j, MATRIX_AT_OP, exp, why);
			}
			break;
		}
	}
end_image:
	/* The durable image after the continuation (no op in flight), judged in place: the
	 * case disk is not used again before the next case reloads it, and judging only
	 * reads (it casts away simdisk_disk's const for judge_image's borrow). */
	if (trusted && e->dc && !e->cfg->no_images && simdisk_exists(e->dc) && simdisk_len(e->dc)) {
		uint8_t *img = e->img;
		uint64_t len = e->img_len;
		e->img = (uint8_t *)simdisk_disk(e->dc);
		e->img_len = simdisk_len(e->dc);
		e->img_borrowed = 1;
		if (judge_img(e, &e->m, &e->m, JUDGE_NO_OP, MATRIX_AT_END, last, last > k || rc == 0 ? last + 1 : k))
			e->failed = 1;
		e->img_borrowed = 0;
		e->img = img;
		e->img_len = len;
	}
done:
	case_teardown(e);
	r->seconds = since(&t0);
	return e->failed ? -1 : 0;
}

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
	model_free(&e->cur);
	model_free(&e->after);
	model_free(&e->m);
	judge_free(&e->j);
	result_clear(e);
	free(e->r.v);
	free(e->img);
	free(e->dead);
	free(e->res);
	free(e->prefix);
	free(e->base_sig);
	free(e->base_off);
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
	if (!cfg->posix) {
		simdisk **d[3] = {&e->dd, &e->dm, &e->dc};
		for (int i = 0; i < 3; i++) {
			if (!(*d[i] = simdisk_new(e->unit)))
				return -1;
			snprintf(e->path[i], sizeof e->path[i], "matrix.db");
			e->io[i] = simdisk_io(*d[i]);
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
			e->io[i] = &e->px[i].io;
		}
	}
	for (int i = 0; i < 3 && cfg->wrap_io; i++)
		if (!(e->io[i] = cfg->wrap_io(cfg->wrap_arg, e->io[i])))
			return -1;
	return 0;
}

/* The dry run: the pager's answers and the hits before every op. 0, 1 (I-MODEL), -1. */
static int dry_run(engine *e)
{
	replay r;
	model m;
	int rc = -1;
	if (replay_init(&r, e->log, e->io[0], e->path[0]))
		return -1;
	if (model_init(&m, e->log)) {
		replay_free(&r);
		return -1;
	}
	memset(G.hits, 0, sizeof G.hits);
	G.armed = 0;
	rc = 0;
	e->base_off[0] = e->base_off[1] = 0;
	for (size_t k = 0; k < e->nops && !rc; k++) {
		memcpy(e->prefix + k * MX_COUNT, G.hits, sizeof G.hits);
		G.active = 1;
		rc = replay_step(&r, &m, k, &e->res[k], e->msg, e->msglen);
		G.active = 0;
		/* the no-fault durable image at the end of op k (boundary k + 1) */
		if (!rc && e->dd && !e->cfg->no_images && simdisk_exists(e->dd) && simdisk_len(e->dd)) {
			uint64_t len = simdisk_len(e->dd);
			if (len > e->img_cap) {
				uint8_t *p = realloc(e->img, (size_t)len);
				if (!p) {
					rc = -1;
					break;
				}
				e->img = p;
				e->img_cap = len;
			}
			memcpy(e->img, simdisk_disk(e->dd), (size_t)len);
			judge_case jc = {&m, &m, JUDGE_NO_OP};
			e->collecting = 1;
			if (judge_image(&e->j, &jc, e->img, len, on_judge, e) < 0 || e->failed)
				rc = -1;
			e->collecting = 0;
		}
		e->base_off[k + 2] = e->nbase;
	}
	memcpy(e->prefix + e->nops * MX_COUNT, G.hits, sizeof G.hits);
	replay_free(&r);
	model_free(&m);
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
	e->unit = cfg->unit ? cfg->unit : (uint32_t)1 << log->page_log2;
	size_t cont = cfg->cont_set ? cfg->cont : MATRIX_DEFAULT_CONTINUE;
	e->cont = cont ? cont : SIZE_MAX;
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
	if (!(e->res = calloc(e->nops ? e->nops : 1, sizeof *e->res)) ||
	    !(e->prefix = calloc((e->nops + 1) * MX_COUNT, sizeof *e->prefix)) ||
	    !(e->dead = calloc(e->nh ? e->nh : 1, 1)) || !(e->base_off = calloc(e->nops + 2, sizeof *e->base_off)))
		return -1;
	e->sup_b = SIZE_MAX;
	if (engine_storage(e))
		return -1;
	if (replay_init(&e->rm, log, e->io[1], e->path[1]) || replay_init(&e->rc, log, e->io[2], e->path[2]) ||
	    model_init(&e->cur, log) || model_init(&e->after, log) || model_init(&e->m, log) ||
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
		if (model_copy(&e->after, &e->cur) || model_apply(&e->after, e->log, k, &e->res[k]))
			return -1;
		for (size_t pt = 0; pt < MX_COUNT; pt++) {
			if (!e->selected[pt] && !e->only)
				continue;
			for (uint64_t h = before[pt] + 1; h <= upto[pt]; h++) {
				for (size_t mi = 0; mi < e->nmodes; mi++) {
					for (size_t ei = 0; ei < e->nerrs; ei++) {
						matrix_case c = {pts[pt].name, h, e->modes[mi], e->errs[ei], cfg->lost_writes, 0};
						uint64_t ord = (*ordinal)++;
						if (e->only) {
							if ((int)pt != point_index(e->only->point) || h != e->only->hit || mi || ei)
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
		int rc = replay_exec(&e->rm, k, &got);
		if (rc || got.id != e->res[k].id || got.crc != e->res[k].crc) {
			char what[200];
			describe(e, k, what, sizeof what);
			snprintf(e->msg, e->msglen, "%s: the replay diverged from the dry run (%s)", what,
				 rc ? pager_strerror(rc) : "different answer");
			return 1;
		}
		if (model_copy(&e->cur, &e->after))
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
	if ((rc = dry_run(&e))) {
		rc = -1;
		goto out;
	}
	rc = -1;
	uint64_t total = e.prefix[e.nops * MX_COUNT + (size_t)pt];
	if (c->hit > total) {
		snprintf(msg, msglen, "%s is reached %" PRIu64 " time(s) in this log, not %" PRIu64, c->point, total, c->hit);
		goto out;
	}
	while (e.only_op < e.nops && e.prefix[(e.only_op + 1) * MX_COUNT + (size_t)pt] < c->hit)
		e.only_op++;
	e.only = c;
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
