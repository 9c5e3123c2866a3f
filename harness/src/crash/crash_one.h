/* crash_one.h — one crash point (crash_one.c), for reproducers and the shrinker; private
 * to the library (crash.h is the public crash search).
 * crash_one_locate() replays ops 0..op with the model check, stops at one crash point —
 * (op, phase, sync) as crash_run reports it — and keeps what that point needs: the disk
 * and the cache, the dirty units, the sync events so far, the writing pager's page
 * roles, the models before and after the op in flight, and a key per page naming what
 * the page holds (for moving persisted units when the shrinker renumbers pages).
 * crash_one_judge() then builds disk + the cache bytes of any chosen units and judges
 * that image exactly as crash_run would (judge_image, same models), as often as asked. */
#ifndef TORNPAGE_CRASH_ONE_H
#define TORNPAGE_CRASH_ONE_H

#include "tornpage/crash.h"
#include "tornpage/model.h"
#include "judge/judge.h"

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
	const char *fstep;         /* the step a disk fault's signature names (crash_finding.fstep) */
	char fclass[48];           /* dfault_class of the fault at the point ("" for none) */
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
/* The state of every unit of the file at the crash point (ceil(len / unit) of them) in
 * the image crash_one_judge_ex builds from units[0..n) (cache bytes) and dev[0..ndev)
 * (a lying sync's device bytes) with the case's disk fault: states[u], a
 * crash_unit_state (tornpage/crash.h), for each. By content: a unit is SYNCED, PERSISTED
 * or LOST by comparing the image's bytes with the cache (what the pager wrote) and the
 * disk; the fault's own units take its state. */
void crash_one_unit_states(const crash_one *c, const uint64_t *units, size_t n, const uint64_t *dev, size_t ndev,
			   uint8_t *states);
void crash_one_free(crash_one *c);

#endif /* TORNPAGE_CRASH_ONE_H */
