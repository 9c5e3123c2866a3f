/* crash.h — crash-state enumeration over an operation log (DESIGN §3, docs/crash-model.md).
 *
 * Replays the log on a simdisk; at every crash point (before and after every sync, and
 * at the end of every op) builds crash images — the disk plus subsets of the units that
 * differ from the cache — and judges each distinct image (judge.h). Findings are grouped
 * per (verdict, crash point) and handed to the caller; memory stays O(image), never
 * O(states). It does not print: report.c does. */
#ifndef TORNPAGE_CRASH_H
#define TORNPAGE_CRASH_H

#include <stddef.h>
#include <stdint.h>

#include "disk/dfault.h"
#include "disk/subsets.h"
#include "ops/oplog.h"
#include "pager_io.h"

typedef enum crash_phase { CRASH_BEFORE_SYNC, CRASH_AFTER_SYNC, CRASH_END_OF_OP } crash_phase;
const char *crash_phase_name(crash_phase ph); /* "before-sync", "after-sync", "end-of-op" */

typedef struct crash_point {
	uint64_t index;     /* ordinal of the crash point in the run (seeds its random subsets) */
	size_t op;          /* op in flight, or the op that just ended */
	crash_phase phase;
	uint32_t sync;      /* sync index (0-based, whole run) before/after; syncs so far at end of op */
	const char *step;   /* fault-point name of that sync; NULL at end of op */
} crash_point;

typedef struct crash_stats {
	uint64_t points;          /* crash points visited */
	uint64_t dirty_units;     /* sum over points of dirty units */
	uint64_t relevant_units;  /* sum over points of units enumerated (recovery reads them) */
	uint64_t generated;       /* crash images generated */
	uint64_t judged;          /* distinct images judged */
	uint64_t violating;       /* judged images with at least one fatal violation */
	uint64_t findings;        /* groups reported (verdict x crash point) */
	uint64_t fatal;           /* of which fatal */
	double seconds;           /* wall time of the enumeration pass */
	uint64_t opened;          /* judged images opened and checked in full; the others were
				   * answered by the judge's read-set memo (judge_image_ids) */
} crash_stats;

/* --faults: how the images of each disk-fault mode were judged (crash_faults.c). An
 * image is *detected* when recovery refuses it (I-OPEN) or pager_check names a violation,
 * *silent* when it opens cleanly and still holds a state the model does not allow (the
 * I-SILENT images; for mode "none", the plain images with I-ATOMIC / I-DURABLE and
 * nothing else), else *recovered*. By mode, and by mode and protocol step: the step of
 * the crash point, or of the faulty sync for misdirect and lying-sync. */
#define CRASH_FAULT_STEPS 64 /* the pager's fault points, then "end of op" */
typedef struct crash_fault_tally {
	uint64_t generated, judged, recovered, detected_open, detected_check, silent;
} crash_fault_tally;
typedef struct crash_fault_stats {
	crash_fault_tally mode[DFAULT_NMODES];
	crash_fault_tally step[DFAULT_NMODES][CRASH_FAULT_STEPS];
	double seconds[DFAULT_NMODES];   /* time spent building and judging each mode's images */
} crash_fault_stats;
/* Row i of crash_fault_stats.step: a fault point's name, or "-" (end of op); NULL past the last. */
const char *crash_fault_step_name(size_t i);

/* The class of a disk fault in a finding's signature: the mode, and for the faults on
 * units the best role (superblock, meta, directory, protected, regular, free, beyond) of
 * the pages the unit covers — for a lying sync, of the units it wrote (sh: its shadow) —
 * as the writing pager's roles (npages of them, NULL: pages 0-2 by number) name them. */
void crash_fault_class(const dfault *f, const dfault_shadow *sh, const uint8_t *roles, uint64_t npages,
		       uint32_t unit, size_t ps, char *out, size_t n);

#define CRASH_DEFAULT_ROT_BUDGET 128u /* rot images per crash point (--rot-budget) */

typedef struct crash_cfg {
	uint32_t unit;        /* atomic write unit in bytes; 0 = the page size */
	subsets_cfg sub;      /* --exhaustive, --samples, --seed */
	int strict;           /* I-LEAK is fatal */
	int stop_on_first;    /* stop judging after the first fatal finding */
	int all_units;        /* enumerate every dirty unit, not only those recovery reads */
	unsigned faults;      /* --faults: 1u << dfault_mode for each disk-fault mode tried (0: none) */
	uint32_t rot_budget;  /* rot images per crash point at most; 0 = CRASH_DEFAULT_ROT_BUDGET */
	crash_fault_stats *fstats; /* optional: tallies added to (every image, plain ones as mode none) */
	/* optional live progress: called every few thousand images and at the end */
	void (*progress)(void *arg, const crash_stats *st, size_t op, size_t nops);
	void *progress_arg;
	int no_memo;          /* judge every distinct image in full (judge_image), no read-set
			       * memo: slower, the same verdicts; for cross-checking */
	int no_point_dedup;   /* judge an image again at a point even when the previous point
			       * judged it under an equal case: every point then reports every
			       * verdict its images show (for cross-checking per-point results) */
	/* optional, for tests: the I/O the writing pager of the crash pass runs on, built
	 * around that pass's simdisk (inner), called once before the pass; NULL = the simdisk
	 * itself. A wrapper may drop or alter calls (a planted bug); crash points still come
	 * from the simdisk's syncs. The first pass (the model check) runs on a plain simdisk. */
	const pager_io *(*wrap_io)(void *arg, const pager_io *inner);
	void *wrap_arg;
	/* optional, for benchmarks (harness/bench/bench_floor.c): called for each distinct
	 * image instead of the judge, with the same enumeration and dedup; no findings. */
	void (*judge_fn)(void *arg, const uint8_t *img, uint64_t len);
	void *judge_arg;
} crash_cfg;

/* One verdict seen at one crash point, with the first image that showed it. */
typedef struct crash_finding {
	const char *verdict;        /* "I-ATOMIC", "I-PROT-CRC", ... */
	int fatal;                  /* counts toward exit status 1 */
	crash_point at;             /* where */
	uint64_t states;            /* distinct images at this point that showed it */
	uint64_t subset;            /* ordinal of the first such image (subsets_at rebuilds it) */
	size_t ndirty;              /* units enumerated at this point */
	const uint64_t *units;      /* file unit indexes persisted in the first image */
	const uint8_t *roles;       /* pager_role of each persisted unit's (first) page */
	size_t nunits;
	uint32_t unit_bytes;        /* the atomic unit */
	size_t page_size;
	const char *expected;       /* what the verdict wanted */
	const char *found;          /* what the image held */
	const dfault *fault;        /* the first image's disk fault (--faults), or NULL */
	const char *fclass;         /* its class for signatures ("rot/meta"), "" when none */
	const uint64_t *dev;        /* lying sync: units holding the bytes the device had */
	size_t ndev;
} crash_finding;
typedef void (*crash_finding_fn)(void *arg, const crash_finding *f);

/* 0: the log ran (findings went to fn); 1: it could not be replayed cleanly even
 * without crashes (I-MODEL; why in msg); -1: out of memory. */
int crash_run(const oplog *log, const crash_cfg *cfg, crash_stats *st, crash_finding_fn fn,
	      void *arg, char *msg, size_t msglen);

#endif

#ifndef TORNPAGE_CRASH_ONE_H
#define TORNPAGE_CRASH_ONE_H
/* ---- One crash point (crash_one.c): reproducers and the shrinker -------------------
 * crash_one_locate() replays ops 0..op with the model check, stops at one crash point —
 * (op, phase, sync) as crash_run reports it — and keeps what that point needs: the disk
 * and the cache, the dirty units, the sync events so far, the writing pager's page
 * roles, the models before and after the op in flight, and a key per page naming what
 * the page holds (for moving persisted units when the shrinker renumbers pages).
 * crash_one_judge() then builds disk + the cache bytes of any chosen units and judges
 * that image exactly as crash_run would (judge_image, same models), as often as asked. */
#include "judge/judge.h"
#include "ops/model.h"

/* What a page holds at the crash point, independent of its number. */
typedef enum crash_key_kind {
	CRASH_KEY_PAGE,      /* only its number means anything (pages 0-2, free, unowned) */
	CRASH_KEY_DIR,       /* a directory page: ordinal among directory pages, in page order */
	CRASH_KEY_PROTECTED, /* a backing copy of protected handle `handle` (copy 0 = page_a) */
	CRASH_KEY_REGULAR,   /* the page of regular handle `handle` */
} crash_key_kind;

typedef struct crash_page_key {
	crash_key_kind kind;
	uint32_t handle;     /* PROTECTED/REGULAR: index into log->handles */
	uint32_t copy;       /* PROTECTED: 0 = page_a, 1 = page_b */
	uint64_t n;          /* PAGE: the page number; DIR: the ordinal */
} crash_page_key;

typedef struct crash_one {
	const oplog *log;
	size_t op;                 /* op in flight (or just ended, at end-of-op) */
	crash_phase phase;
	uint32_t sync;             /* run-wide sync index; end-of-op: syncs so far */
	const char *step;          /* that sync's fault-point name; NULL at end-of-op */
	uint32_t *op_sync0;        /* per op 0..op: syncs before it started (op_sync0[op] = first of op) */
	uint32_t unit;             /* atomic unit, bytes (the page size for "page") */
	size_t ps;                 /* page size */
	uint64_t len;              /* file length at the crash point, bytes */
	uint8_t *disk, *cache;     /* len bytes each, at the crash point */
	uint64_t *dirty;           /* dirty unit indexes, ascending */
	size_t ndirty;
	simdisk_event *events;     /* every sync up to the point (after-sync: that one too) */
	size_t nevents;
	uint64_t npages;           /* ceil(len / ps) */
	uint8_t *roles;            /* per page: pager_role as the writing pager sees it */
	crash_page_key *keys;      /* per page: what it holds (from the models and roles) */
	model before, after;       /* the judge case (before == after at end-of-op) */
	judge j;
	uint8_t *img;              /* scratch image, len bytes */
	dfault fault;              /* the disk fault of the case (mode DFAULT_NONE: none) */
	dfault_shadow sh;          /* misdirect, lying-sync: the fault followed to the point */
	uint64_t dlen;             /* the length the last completed sync made durable */
	uint64_t img_len;          /* the image's length: len, or dlen for lost-size */
	char fclass[48];           /* crash_fault_class of the fault at the point ("" for none) */
	uint8_t *disk0;            /* misdirect, lying-sync: the disk without the fault (its twin's) */
	model lie_before;          /* lying-sync: the model before the op whose sync lied ... */
	size_t lie_op;             /* ... that op */
	int have_lie;
	judge_verdicts got, twin;  /* scratch for judging a faulty image next to its twins */
} crash_one;

/* Locate crash point (op, phase, sync) of log with atomic unit `unit` (0 = page). With
 * sync_rel, `sync` counts from the op's first sync (0 = its first) instead of the run's;
 * at end-of-op `sync` is not checked. 0: found (*c ready, free with crash_one_free);
 * 1: not found or the log does not replay cleanly (why in msg, *c freed); -1: ENOMEM. */
int crash_one_locate(crash_one *c, const oplog *log, uint32_t unit, size_t op, crash_phase phase,
		     uint32_t sync, int sync_rel, char *msg, size_t msglen);
/* The same with a disk fault (NULL or mode none: none). Its lasting part (a misdirected
 * write, a lying sync: followed from its sync on; a lost size change) is in c->disk and
 * c->img_len; torn garbage and rot are applied by crash_one_judge_ex. A misdirect or
 * lying-sync fault whose sync comes after the point changes nothing. */
int crash_one_locate_fault(crash_one *c, const oplog *log, uint32_t unit, size_t op, crash_phase phase,
			   uint32_t sync, int sync_rel, const dfault *fault, char *msg, size_t msglen);
/* Judge disk + the cache bytes of units[0..n): the count of violations emitted, -1 on
 * ENOMEM, -2 when a unit is not in the file (nothing judged). */
int crash_one_judge(crash_one *c, const uint64_t *units, size_t n, judge_emit_fn fn, void *arg);
/* With the disk fault: disk (with the fault's lasting part) + for a lying sync the bytes
 * the device held for units dev[0..ndev) + the cache bytes of units[0..n) + torn garbage
 * or rot, judged as crash_run judges a faulty image: next to its twin(s) without the
 * fault, reporting what the fault changed (judge_fault_verdicts). -2 also when a dev unit
 * is not a unit the lying sync left in the device's cache. */
int crash_one_judge_ex(crash_one *c, const uint64_t *units, size_t n, const uint64_t *dev, size_t ndev,
		       judge_emit_fn fn, void *arg);
/* 1 if unit u is dirty at the crash point. */
int crash_one_dirty(const crash_one *c, uint64_t u);
void crash_one_free(crash_one *c);

#endif /* TORNPAGE_CRASH_ONE_H */
