/* matrix.h — the fault matrix (DESIGN §5, docs/matrix.md): every fault point × every
 * time it is reached × mode × errno, each case judged for failure atomicity, fail-stop,
 * continuation and the durable image.
 *
 * A dry run counts how often each point is reached (libfiu external callbacks, counting
 * only); then the log is replayed once more and, at the start of every op that reaches
 * a point, the op's cases run from a snapshot of that moment (disk + model + handles), so
 * the cost grows linearly with the log. It does not print nor write reports: report.h
 * does, from the matrix_result records handed to the caller.
 *
 * Conventions: int functions return 0 on success, 1 when the log cannot be replayed
 * cleanly even without faults (I-MODEL; why in msg), -1 on a setup error (out of memory,
 * no libfiu, a temporary file). libfiu's state is process-global: one matrix at a time;
 * a run enables every pager point with its own callbacks and disables them all when it
 * returns (a point enabled before, e.g. by fiu-run, is disabled afterwards). */
#ifndef TORNPAGE_MATRIX_H
#define TORNPAGE_MATRIX_H

#include <stddef.h>
#include <stdint.h>

#include "tornpage/oplog.h"
#include "pager_io.h"

typedef enum matrix_mode { MATRIX_ONCE, MATRIX_PERSIST } matrix_mode;

typedef struct matrix_case {
	const char *point;   /* fault point name, e.g. "pager/commit/sb_sync" */
	uint64_t hit;        /* 1-based: which time the point is reached in the log */
	matrix_mode mode;    /* once: that hit only; persist: that hit and every later call of any point */
	int err;             /* errno the failing call returns (EIO, ENOSPC, ...) */
	int lost_writes;     /* a failed sync is modelled as Linux does (simdisk_fail_sync) */
	uint64_t seed;       /* chooses which units of a failed sync reached disk */
	unsigned dfaults;    /* disk faults (dfault.h: 1u << mode) also tried on the case's durable
			      * images (matrix_faults.c); 0: none */
} matrix_case;

/* one verdict of one case: verdict id (F-SILENT, F-ATOMIC, F-STOP, F-CONTINUE, or a crash
 * verdict I-OPEN / pager_check ids / I-ATOMIC / I-DURABLE / I-LEAK / I-SILENT on the durable
 * image), the op index it concerns, expected vs found, and for a verdict a disk fault
 * caused (matrix_case.dfaults) the fault's class ("rot/meta"; "" otherwise) */
typedef void (*matrix_verdict_fn)(void *arg, const char *verdict, size_t op, const char *expected,
				  const char *found, const char *fclass);

/* Run ONE case from the start of the log on simdisk (unit bytes, 0 = page size); used by
 * reproducers. Returns the number of fatal verdicts (I-LEAK is not fatal), or -1 on error
 * (the log does not replay cleanly, the point is not reached c->hit times, no libfiu). */
int matrix_run_case(const oplog *log, uint32_t unit, const matrix_case *c, matrix_verdict_fn fn, void *arg);

/* ---- the whole matrix ------------------------------------------------------------ */

#define MATRIX_DEFAULT_CONTINUE 0u   /* ops run after the faulted op at most; 0 = the rest of the log */
#define MATRIX_MAX_ERRNOS 16u

/* Where a verdict was judged. */
typedef enum matrix_at {
	MATRIX_AT_OP,     /* the pager's answers (F-*) at op `op` */
	MATRIX_AT_FAULT,  /* the durable image at the moment of the fault (op in flight) */
	MATRIX_AT_END,    /* the durable image after the continuation (no op in flight) */
} matrix_at;
const char *matrix_at_name(matrix_at at); /* "op", "fault", "end" */

typedef struct matrix_verdict {
	const char *id;    /* "F-ATOMIC", "I-LEAK", ...: a static string (verdicts.def / pager_invariants) */
	size_t op;         /* op index it concerns */
	matrix_at at;      /* where it was judged */
	int fatal;         /* counts toward exit status 1 (every verdict but I-LEAK) */
	char *expected;    /* what the verdict wanted (owned by the result) */
	char *found;       /* what the case showed (owned by the result) */
	char fclass[32];   /* a disk fault caused it: the fault's class ("rot/meta"); else "" */
} matrix_verdict;

/* Everything one case did; handed to matrix_cfg.on_result, valid during the call. */
typedef struct matrix_result {
	matrix_case c;        /* the case (c.point is the table's static string) */
	uint64_t ordinal;     /* position in the run's case order (all shards; see docs/matrix.md) */
	size_t op;            /* the op the hit falls in */
	int fired;            /* the fault fired during op `op` (0: the hit was not reached: a harness note) */
	int rc;               /* what op `op` returned (0 or a pager_err) */
	int err_seen;         /* pager_last_errno() when rc == PAGER_EIO, else 0 */
	int fail_stop;        /* the pager went fail-stop (PAGER_EUNAVAILABLE) at some point of the case */
	size_t continued;     /* ops run after op `op` (skipped ops not counted) */
	int converged;        /* the continuation stopped early: after a reopen the case's state
				 (disk, model, handles) was the no-fault run's, so the rest of the log
				 would run as the no-fault run did (simdisk, once mode, full matrix) */
	double seconds;       /* wall time of the case (setup, op, continuation, judging) */
	matrix_verdict *v;    /* verdicts, in the order found */
	size_t nv;
	size_t dropped;       /* verdicts beyond MATRIX_MAX_VERDICTS, not kept */
	size_t preexisting;   /* image verdicts set aside: the no-fault run's durable image at the
				 same op boundary shows them too (they are `tornpage crash`'s) */
} matrix_result;
#define MATRIX_MAX_VERDICTS 64u

typedef struct matrix_stats {
	uint64_t cases;          /* cases of the log, all shards */
	uint64_t run;            /* cases run (this shard) */
	uint64_t with_verdicts;  /* run cases with at least one verdict */
	uint64_t fatal;          /* run cases with at least one fatal verdict */
	uint64_t unfired;        /* run cases whose hit was not reached (should be 0) */
	double seconds;          /* wall time: dry run, replay and cases */
} matrix_stats;

typedef struct matrix_cfg {
	int posix;             /* --io posix: real files in tmpdir; no durable-image judging */
	const char *tmpdir;    /* posix: parent of the temporary directory (NULL: $TMPDIR or /tmp) */
	uint32_t unit;         /* --atomic: simdisk unit in bytes, 0 = the page size */
	const char *points;    /* --points: comma-separated fnmatch globs; NULL = every point */
	unsigned modes;        /* bit 1u << matrix_mode; 0 = once and persist */
	int errs[MATRIX_MAX_ERRNOS]; /* --errno list, in order */
	size_t nerrs;          /* 0 = {EIO} */
	int lost_writes;       /* --lost-writes */
	unsigned faults;       /* --faults: disk faults tried on every case's durable images
				  (matrix_faults.c; simdisk images only); 0: none */
	uint32_t rot_budget;   /* --rot-budget: rot images per durable image; 0 = the crash default */
	int no_images;         /* --no-images: no durable-image verdicts (F-* only, as posix) */
	uint32_t exhaustive;   /* --exhaustive K: lost writes judge every subset of the failed sync's
				  dirty units when at most K (else subsets.h's seeded mix); 0 = 12 */
	uint64_t seed;         /* --seed: every case's seed derives from it (matrix_case_seed) */
	uint32_t shard, nshards; /* --shard I/N: run the cases with ordinal % N == I; N = 0 or 1: all */
	size_t cont;           /* --continue N: at most N ops after the faulted one; 0 = to the end */
	int cont_set;          /* cont was given (else MATRIX_DEFAULT_CONTINUE: to the end) */

	/* every case run, verdicts or not (reports) */
	void (*on_result)(void *arg, const oplog *log, const matrix_result *r);
	void *result_arg;
	/* every case with at least one verdict; verdicts = distinct (id, fclass) pairs, in order
	 * found, fclasses[i] the disk fault's class of verdicts[i] or "" (the --save /
	 * --baseline hook of reproducers) */
	void (*on_case)(void *arg, const oplog *log, const matrix_case *c, const char *const *verdicts,
			const char *const *fclasses, size_t nverdicts);
	void *on_case_arg;
	/* live progress: called every few hundred cases and at the end of a log */
	void (*progress)(void *arg, const matrix_stats *st, size_t op, size_t nops);
	void *progress_arg;
	/* tests: the I/O every pager of the matrix runs on (dry run, replay, cases), wrapped
	 * around the real one (simdisk or posix). NULL: the real one. */
	const pager_io *(*wrap_io)(void *arg, const pager_io *inner);
	void *wrap_arg;
} matrix_cfg;

/* Every case of one log, cases numbered from *ordinal (updated: += cases of the log, all
 * shards). See the conventions at the top. */
int matrix_run(const oplog *log, const matrix_cfg *cfg, uint64_t *ordinal, matrix_stats *st,
	       char *msg, size_t msglen);

/* matrix_run_case with the matrix's options (io, unit, continue, exhaustive, no_images,
 * wrap_io; the case's own lost_writes and seed). fn may be NULL. Same returns as
 * matrix_run_case. As one process per case would: the log is replayed up to the op the
 * hit falls in (counting hits, with the model check), then the case runs; only the
 * no-fault images the case's verdicts are compared with are judged, and the
 * continuation never stops early (no no-fault run to compare with). */
int matrix_run_case_ex(const oplog *log, const matrix_cfg *cfg, const matrix_case *c,
		       matrix_verdict_fn fn, void *arg, char *msg, size_t msglen);

/* The seed of a case: a mix of the run's seed and (point, hit, mode, errno), so a case
 * keeps its seed whatever the filters, shards or log list. */
uint64_t matrix_case_seed(uint64_t run_seed, const char *point, uint64_t hit, matrix_mode mode, int err);

const char *matrix_mode_name(matrix_mode m);   /* "once", "persist" */
int matrix_mode_parse(const char *s, matrix_mode *m); /* 0 or -1 */
/* "EIO", "ENOSPC", ...; a number for an errno outside the table (buf, 16 bytes). */
const char *matrix_errno_name(int err, char buf[16]);
/* "EIO" or a decimal 1..4095 → errno; 0 when unknown. */
int matrix_errno_parse(const char *s);
/* Is the matrix usable in this build (libfiu compiled in)? */
int matrix_available(void);

#endif
