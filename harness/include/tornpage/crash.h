/* crash.h — crash-state enumeration over an operation log (DESIGN §3, docs/crash-model.md).
 *
 * Replays the log on a simdisk; at every crash point (before and after every sync, and
 * at the end of every op) builds crash images — the disk plus subsets of the units that
 * differ from the cache — and judges each distinct image (judge.h). Findings are grouped
 * per (verdict, crash point) and handed to the caller; memory stays O(image), never
 * O(states). It does not print: the CLI does (cli_crash.c). */
#ifndef TORNPAGE_CRASH_H
#define TORNPAGE_CRASH_H

#include <stddef.h>
#include <stdint.h>

#include "tornpage/dfault.h"
#include "tornpage/subsets.h"
#include "tornpage/oplog.h"
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

#define CRASH_DEFAULT_ROT_BUDGET DFAULT_ROT_BUDGET /* rot images per crash point (--rot-budget) */

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
	const char *fstep;          /* a disk fault's step in its signature: the crash point's
				     * (NULL at end of op), or the faulty sync's (misdirect, lying-sync) */
} crash_finding;
typedef void (*crash_finding_fn)(void *arg, const crash_finding *f);

/* 0: the log ran (findings went to fn); 1: it could not be replayed cleanly even
 * without crashes (I-MODEL; why in msg); -1: out of memory. */
int crash_run(const oplog *log, const crash_cfg *cfg, crash_stats *st, crash_finding_fn fn,
	      void *arg, char *msg, size_t msglen);

/* What a unit of the file holds in a crash image: the classification the reproducer's
 * story and the HTML unit map draw (repro_map.states; computed once, by the library).
 * A page with both PERSISTED and LOST units is torn. A new fault mode adds its state at
 * the end, with a name in crash_unit_state_name. */
typedef enum crash_unit_state {
	CRASH_UNIT_SYNCED = 0,  /* the image holds what the pager wrote, and the disk already did */
	CRASH_UNIT_PERSISTED,   /* the image holds what the pager wrote; the disk did not before */
	CRASH_UNIT_LOST,        /* the image holds older bytes than the pager wrote (not written
				 * back, a lying sync, the unit a misdirected write missed) */
	CRASH_UNIT_GARBAGE,     /* torn-garbage: neither old nor new bytes */
	CRASH_UNIT_ROTTEN,      /* rot: a flipped bit or zeros in the durable image */
	CRASH_UNIT_MISDIRECTED, /* misdirect: holds another unit's bytes */
	CRASH_UNIT_MISSING,     /* lost-size: past the size the image has */
	CRASH_UNIT_STATES       /* count */
} crash_unit_state;
const char *crash_unit_state_name(crash_unit_state s); /* "synced", "persisted", "lost", ... */

#endif
