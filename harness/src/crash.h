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

#include "oplog.h"
#include "subsets.h"

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
} crash_stats;

typedef struct crash_cfg {
	uint32_t unit;        /* atomic write unit in bytes; 0 = the page size */
	subsets_cfg sub;      /* --exhaustive, --samples, --seed */
	int strict;           /* I-LEAK is fatal */
	int stop_on_first;    /* stop judging after the first fatal finding */
	int all_units;        /* enumerate every dirty unit, not only those recovery reads */
	/* optional live progress: called every few thousand images and at the end */
	void (*progress)(void *arg, const crash_stats *st, size_t op, size_t nops);
	void *progress_arg;
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
} crash_finding;
typedef void (*crash_finding_fn)(void *arg, const crash_finding *f);

/* 0: the log ran (findings went to fn); 1: it could not be replayed cleanly even
 * without crashes (I-MODEL; why in msg); -1: out of memory. */
int crash_run(const oplog *log, const crash_cfg *cfg, crash_stats *st, crash_finding_fn fn,
	      void *arg, char *msg, size_t msglen);

#endif
