/* matrix_int.h — what the files of the fault matrix share (matrix.h is the public
 * header; matrix.c's "Method:" comment is the reference for how it works). Not for use
 * outside harness/src/matrix/.
 *
 *   matrix.c           the driver: dry run, the replay with snapshots, case enumeration,
 *                      ordinals and shards, matrix_run, single-case mode
 *   matrix_points.c    names (modes, errnos), case seeds, libfiu's callbacks (mx_fiu)
 *   matrix_io.c        sync ranges, posix's pass-through shim, file snapshots
 *   matrix_model.c     models that know who holds what, and the fast model checks
 *   matrix_case.c      one case: setup, op k and its F-* verdicts, teardown
 *   matrix_continue.c  the continuation after op k, and convergence
 *   matrix_image.c     the durable images: at the fault (lost-writes subsets), at the
 *                      end, and the no-fault verdicts set aside
 *
 * Conventions as matrix.h: int functions return 0 on success, -1 when out of memory
 * (unless said otherwise). */
#ifndef TORNPAGE_MATRIX_INT_H
#define TORNPAGE_MATRIX_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "judge/judge.h"
#include "tornpage/matrix.h"
#include "tornpage/model.h"
#include "pager.h"
#include "tornpage/replay.h"
#include "tornpage/simdisk.h"
#include "tornpage/subsets.h"

/* The points, in table order (the order of pager_fault_points()). */
enum {
#define PAGER_FAULT(id, name, io, step, disk) MX_##id,
#include "faults.def"
#undef PAGER_FAULT
	MX_COUNT
};

/* ---- the libfiu callbacks (matrix_points.c) ------------------------------------- */

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

/* The one state every point's callback reads: libfiu's is process-global, so is this. */
extern fiu_state mx_fiu;

/* Enable every point with its callback (inactive). -1 without libfiu. */
int mx_points_enable(void);
void mx_points_disable(void);
/* The index of a point in the table (MX_*), -1 when unknown. */
int mx_point_index(const char *name);
/* The pager_io method of a point ("sync", "unmap", ...). */
const char *mx_point_method(const char *name);

/* ---- sync ranges and posix (matrix_io.c) ---------------------------------------- */

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

void mx_rl_add(rangelog *l, uint64_t off, uint64_t len);
/* simdisk's sync hook: arg is the rangelog the successful syncs go to. */
void mx_on_sync_hook(void *arg, simdisk *d, const simdisk_event *ev, simdisk_phase phase);

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

void mx_px_init(pxwrap *w);
/* Anything still held (nothing, unless a pager was abandoned). */
void mx_px_release(pxwrap *w);
/* dst := src's bytes (a snapshot of a file the main pager has mapped: read() sees the
 * page cache, the mapping's stores included). 0 or an errno. */
int mx_copy_file(const char *src, const char *dst);

/* ---- models that know who holds what (matrix_model.c) --------------------------- */

/* A model plus what the fast checks need, kept up to date op by op (mx_tm_apply): which
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

int mx_tm_init(tmodel *t, const oplog *log);
void mx_tm_free(tmodel *t);
int mx_tm_copy(tmodel *dst, const tmodel *src);
/* model_apply, keeping the indexes and the digest. 0 or -1 (ENOMEM). */
int mx_tm_apply(tmodel *t, const oplog *log, size_t k, const model_result *r);
/* Equal digests: equal models, as far as the pager's future answers go. */
uint64_t mx_tm_digest(const tmodel *t);
/* judge_case_key of (before, after, op), from the kept digests: O(1). */
uint64_t mx_tm_key(const judge *j, const tmodel *before, const tmodel *after, size_t op);

/* ---- the engine ----------------------------------------------------------------- */

typedef struct sigset {   /* verdict signatures */
	uint64_t *s;
	size_t n, cap;
} sigset;

/* The unit hashes (subsets_unit_hash) of one disk's durable bytes, as of length len;
 * mir (optional) mirrors the bytes. Kept up to date from the ranges synced (mx_uh_fold). */
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

/* What the convergence test compares at a boundary after a reopen: a disk's length and
 * the hashes of its cache and durable bytes, chunk by chunk, so that a case whose disk
 * differs is told so at its first differing chunk (matrix_continue.c). */
typedef struct bsnap {
	uint64_t len;
	uint64_t csz;   /* chunk bytes */
	size_t nch;     /* chunks */
	size_t off;     /* their hashes: chh[off + 2c] (cache), chh[off + 2c + 1] (disk) */
} bsnap;

/* One matrix run of one log (or one case alone: single): the dry run's answers and hit
 * counts, the three disks and pagers, the models, and the current case. */
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
	/* --faults (matrix_faults.c): the case's disk-fault images */
	judge_verdicts fgot, ftwin; /* a faulty image's verdicts and its twins' */
	simdisk *fview;             /* borrow-mode disk: an image opened for its read set */
	uint8_t *froles;            /* its pages' roles */
	size_t froles_cap;
	uint64_t *frs;              /* its read set's units */
	size_t nfrs, frs_cap;
	uint8_t *funit;             /* one unit's bytes */
	char fclass[32];            /* the class of the fault being judged */
	sigset fseen;               /* (verdict, class) pairs reported in this case */
} engine;

/* ---- the fast model checks (matrix_model.c) ------------------------------------- */

/* model_check_result, with the index for alloc's "still live" (same messages). */
int mx_check_result(engine *e, const tmodel *t, size_t k, const model_result *r, char *msg, size_t n);
/* model_diff, fast: the same checks in the same order, so the same first difference and
 * the same message, with O(1) lookups and cached patterns. only = NULL: every live
 * handle; else only those (ascending, distinct). walks: also compare the sets of
 * allocated pages and protected ids. 0 equal, 1 differ (msg), -1 out of memory. */
int mx_diff(engine *e, const tmodel *t, pager *p, const size_t *only, size_t nonly, int walks, char *msg,
	    size_t msglen);
/* Check op j's answer, apply it to the case's model and compare the pager with it: in
 * full, or what op j touched (its handle, the owners of the pages it synced since crl
 * entry from, and the allocation sets when it allocates or frees). 0 agree, 1 differ
 * (why). */
int mx_case_step(engine *e, size_t j, const model_result *res, int full, size_t from, char *why, size_t n);

/* ---- one case (matrix_case.c) --------------------------------------------------- */

double mx_since(const struct timespec *t0);
void mx_result_clear(engine *e);
/* Record a verdict of the current case (beyond MATRIX_MAX_VERDICTS: counted as dropped). */
void mx_add_verdict(engine *e, const char *id, size_t op, matrix_at at, const char *expected, const char *found);
/* The same for a verdict a disk fault of class fclass caused. */
void mx_add_fault_verdict(engine *e, const char *id, size_t op, matrix_at at, const char *expected, const char *found,
			  const char *fclass);
void mx_describe(const engine *e, size_t k, char *out, size_t n);
/* "PAGER_EIO (EIO)": an op's return code for a message. */
const char *mx_rc_text(int rc, int err, char *buf, size_t n);
/* The op failed: a handle it defines does not exist in this case (its later ops are skipped). */
void mx_mark_dead(engine *e, const oplog_op *op);
/* Is the pager fail-stop (refusing work until reopened)? */
int mx_refuses_work(pager *p);
/* Run one case of op k; fills e->r. 0, or -1 on a setup error. */
int mx_case_run(engine *e, size_t k, const matrix_case *c, uint64_t ordinal);

/* ---- the continuation (matrix_continue.c) --------------------------------------- */

/* A case after op k ran, as the continuation finds and leaves it. */
typedef struct case_state {
	size_t k;          /* the faulted op */
	int once;          /* once mode */
	const char *what;  /* op k, described */
	int model_ok;      /* the case's model still describes the pager */
	int end_ok;        /* ... or at least what was acknowledged (persist after an F-ATOMIC):
			      the durable image after the continuation is judged against it */
	int full_next;     /* the next check compares everything (the state is known to differ) */
	int stopped;       /* the pager is fail-stop */
	size_t stop_op;    /* the op it went fail-stop at */
	size_t last;       /* the last op run */
} case_state;

/* Run the ops after op k and judge them (F-SILENT, F-ATOMIC, F-STOP, F-CONTINUE). 1: the
 * case rejoined the no-fault run (e->r.converged): nothing left to find, no end image;
 * 0: s says how it ended (the end image is judged when s->end_ok). */
int mx_continue(engine *e, case_state *s);
/* The no-fault disk at boundary b (after a reopen), for the convergence test. */
int mx_snap_take(engine *e, size_t b);

/* ---- durable images (matrix_image.c) -------------------------------------------- */

int mx_grow_buf(void **p, size_t *cap, size_t need, size_t elem);
void mx_uh_free(uhs *u);
/* u := d's durable bytes now, given that since u was last brought up to date only the
 * ranges rl[from..] and the length changed. Costs what changed, not the file. */
int mx_uh_fold(engine *e, uhs *u, const simdisk *d, const rangelog *rl, size_t from, int mirror);
/* e->pid := the page identities of an image of length len whose units hash to uh. */
int mx_page_ids(engine *e, const uint64_t *uh, uint64_t len);
/* Judge an image with the memo (page identities in e->pid). */
int mx_judge_ids(engine *e, const model *before, const model *after, size_t op, uint64_t key, uint8_t *img,
		 uint64_t len);
/* libfiu's callback: the case's hit fired (arg: the engine). */
void mx_on_first_fault(void *arg);
/* simdisk's fault hook on the case disk (lost writes). */
void mx_on_simdisk_fault(void *arg, simdisk *d, const char *step, uint64_t off, uint64_t len, int err);
/* The durable images at the moment of the fault, op k in flight. */
/* ---- disk faults on the durable images (matrix_faults.c) --------------------------- */
/* The case's disk faults (r.c.dfaults) on the image at the fault (img: len bytes, op k in
 * flight, as mx_judge_fault built it: the disk then, the units the completed syncs wrote
 * held in capu/capb, the failed sync's dirty units in flipu/flipc/flipd) and on the end
 * image (no op in flight). uh: img's unit hashes, e->pid its page identities (kept up to
 * date as units change, for the judge's memo under case key). img and e->pid are
 * restored. Each faulty image is judged next to its twin; what the fault caused is
 * reported once per (verdict, class). 0 or -1. */
int mx_fault_images(engine *e, size_t k, uint8_t *img, uint64_t len, const uint64_t *uh, uint64_t key);
int mx_fault_end(engine *e, size_t report_op, uint8_t *img, uint64_t len, const uint64_t *uh, uint64_t key);
/* Unit x of the image judged now hashes differently by delta (XOR): e->pid follows. */
void mx_pid_flip(engine *e, uint64_t x, uint64_t delta, uint64_t len);
void mx_faults_free(engine *e);

int mx_judge_fault(engine *e, size_t k);
/* The durable image after the continuation, no op in flight. */
int mx_judge_end(engine *e, size_t report_op, size_t b, size_t flight);

#endif
