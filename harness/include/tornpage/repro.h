/* repro.h — reproducers: one text file = an op log + `#!` directives naming one crash
 * point (or one fault case), the units that persisted and the verdicts expected.
 * Parse, print, replay, save, and the finding signatures that baselines and the fuzzer
 * use to recognise a known finding. The format is docs/repro.md (version 1).
 * It does not enumerate crash states (crash.c), minimize (shrink.c) or hold baselines
 * (baseline.c).
 *
 * Conventions: int functions return 0 on success; parse/load return the number of bad
 * lines (> 0, each reported as "file:line: message") or -1 when out of memory, and leave
 * *out zeroed on any failure. */
#ifndef TORNPAGE_REPRO_H
#define TORNPAGE_REPRO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tornpage/crash.h"
#include "tornpage/dfault.h"
#include "tornpage/matrix.h"
#include "tornpage/oplog.h"

#define REPRO_FORMAT 1
#define REPRO_SIG_MAX 192 /* a signature fits in this many bytes, NUL included */

typedef enum repro_kind { REPRO_NONE = 0, REPRO_CRASH, REPRO_FAULT } repro_kind;
/* Same order as matrix.h's matrix_mode. */
typedef enum repro_mode { REPRO_ONCE = 0, REPRO_PERSIST = 1 } repro_mode;

/* A sorted set of distinct strings (ids, signatures). */
typedef struct repro_strset {
	char **s;      /* malloc'd strings, ascending (strcmp) */
	size_t n, cap;
} repro_strset;
int repro_strset_add(repro_strset *set, const char *s); /* 0 (added or present), -1 ENOMEM */
int repro_strset_has(const repro_strset *set, const char *s);
int repro_strset_equal(const repro_strset *a, const repro_strset *b);
int repro_strset_add_all(repro_strset *set, const repro_strset *from); /* 0, -1 ENOMEM */
/* The strings, ascending, joined by single spaces into out (truncated to n bytes). */
void repro_strset_join(const repro_strset *set, char *out, size_t n);
/* A verdict set as `#! expect` says it: joined, or "ok" when empty. */
void repro_verdicts_text(const repro_strset *set, char *out, size_t n);
void repro_strset_free(repro_strset *set);

typedef struct repro {
	oplog log;               /* the ops (always valid once parsed) */
	char **notes;            /* free-text whole-line comments, in order, without the '#' */
	size_t nnotes;           /* (and one blank after it); control bytes read as '?' */
	uint32_t unit;           /* #! atomic: bytes, 0 = page */
	repro_kind kind;         /* crash or fault */
	/* #! crash op K PHASE [SYNC] persisted U,... */
	size_t op;               /* K: 0-based op index (the create is op 0) */
	crash_phase phase;
	uint32_t sync;           /* run-wide sync index (valid when has_sync) */
	int has_sync;            /* always 1 for before-/after-sync; optional at end-of-op */
	uint64_t *units;         /* persisted file unit indexes, ascending, distinct */
	size_t nunits;
	/* #! fault POINT hit N mode once|persist errno E [lost-writes seed S] */
	char *point;             /* a name of pager_fault_points() */
	uint64_t hit;            /* N >= 1: the N-th time the point is reached */
	repro_mode mode;
	int err;                 /* errno value injected */
	int lost_writes;         /* a failed sync loses units (simdisk_fail_sync) */
	uint64_t seed;           /* lost-writes seed */
	unsigned dfaults;        /* disk-faults MODE,...: tried on the case's durable images (1u << mode) */
	/* #! disk-fault MODE ... (crash cases only; mode DFAULT_NONE: no line) */
	dfault df;               /* the disk fault on the crash image (dfault.h) */
	uint64_t *dev;           /* lying-sync: units that took the bytes the device held, ascending */
	size_t ndev;
	uint32_t df_line;        /* line of the disk-fault directive */
	/* #! expect ID... (empty: ok) */
	repro_strset expect;
	uint32_t case_line;      /* line of the crash/fault directive */
} repro;

int repro_parse(const char *name, const char *text, size_t len, repro *out, oplog_diag_fn diag,
		void *arg);
/* Unreadable file: one diagnostic "path: strerror", returns 1. */
int repro_load(const char *path, repro *out, oplog_diag_fn diag, void *arg);
/* The reproducer's text (malloc'd, NULL on ENOMEM): the header, notes, directives, then
 * the op log with "# op K" after each op. repro_parse(repro_format(r)) equals r. */
char *repro_format(const repro *r);
/* Deep copy; 0 or -1. */
int repro_copy(repro *dst, const repro *src);
/* Same case, same ops (kinds, handle names, args), same notes and expect set. */
int repro_equal(const repro *a, const repro *b);
void repro_free(repro *r);

/* Set each op's line to the line repro_format will print it on once r holds nnotes
 * notes (and its current expect set), so that messages naming "line N" match the file. */
void repro_renumber(repro *r, size_t nnotes);
/* Copy of a valid log (by printing and parsing it); 0 or -1. */
int repro_copy_log(oplog *dst, const oplog *src);

/* "EIO" <-> EIO for the errno names a fault directive accepts; NULL / 0 when unknown. */
const char *repro_errno_name(int err);
int repro_errno_value(const char *name);

/* ---- Signatures ----
 * A finding's identity across runs, logs and shrinking:
 *   crash: VERDICT@STEP:PHASE:OPKIND:ATOMIC   e.g. I-OPEN@pager/dircommit/sb_sync:before-sync:palloc:512
 *   fault: VERDICT@POINT:MODE:OPKIND          e.g. F-ATOMIC@pager/commit/meta_sync:once:alloc
 * STEP is the sync's fault-point name, "-" at end-of-op; OPKIND the kind of the op in
 * flight (crash) or of the op the fault fires in; ATOMIC the unit in bytes, or "page"
 * when the unit equals the log's page size (so --atomic 4096 on 4 KiB pages and
 * --atomic page give the same signature). Returns 0, or -1 when out is too small. */
int repro_signature(char *out, size_t n, const char *verdict, const char *step, crash_phase phase,
		    oplog_kind kind, uint32_t unit_bytes, size_t page_size);
int repro_finding_signature(char *out, size_t n, const oplog *log, const crash_finding *f);
/* A crash finding on an image with a disk fault (crash --faults):
 *   VERDICT@STEP:ATOMIC:FAULT   e.g. I-SILENT@pager/commit/meta_sync:512:lying-sync/meta
 * FAULT is the fault's class (dfault_class); STEP the protocol step where it struck: the
 * crash point's for torn garbage, rot and lost size ("-" at the end of an op), the faulty
 * sync's for a misdirected write or a lying sync. The phase and the op in flight are left
 * out: a fault that stays on disk is seen at every later point, and which op is in
 * flight then does not make it another root cause. 0 or -1 (out too small). */
int repro_disk_fault_signature(char *out, size_t n, const char *verdict, const char *step, uint32_t unit_bytes,
			       size_t page_size, const char *fclass);
/* ":" and the class appended to a signature (fault cases of the matrix: their verdicts a
 * disk fault caused, VERDICT@POINT:MODE:OPKIND:FAULT). fclass NULL or "": unchanged. */
int repro_signature_add_fault(char *out, size_t n, const char *fclass);
int repro_fault_signature(char *out, size_t n, const char *verdict, const char *point, repro_mode mode,
			  oplog_kind kind);
const char *repro_mode_name(repro_mode m); /* "once", "persist" */

/* ---- Where a fault fires ----
 * How often each fault point is reached before each op, from a fault-free replay on a
 * counting I/O layer (every pager I/O call passes its point's name): the same counts as
 * the fault matrix's dry run. A (point, hit) fires in the op where the count reaches hit. */
typedef struct repro_fault_counts {
	size_t nops, npoints;  /* ops of the log, points of pager_fault_points() */
	uint64_t *prefix;      /* (nops + 1) x npoints: hits before op k (row nops: all) */
} repro_fault_counts;
/* 0, 1 when the log does not replay cleanly (why in msg), -1 ENOMEM. */
int repro_fault_counts_of(const oplog *log, repro_fault_counts *fc, char *msg, size_t msglen);
/* 0 with *op, or 1 when the point is reached fewer than hit times (or is unknown). */
int repro_fault_op(const repro_fault_counts *fc, const char *point, uint64_t hit, size_t *op);
void repro_fault_counts_free(repro_fault_counts *fc);

/* ---- Replay ---- */
typedef struct repro_verdict {
	char *id, *expected, *found;  /* as the judge (or the matrix) emitted them */
	char *fclass;                 /* fault case: the disk fault's class that caused it, or "" */
	size_t op;                    /* fault: the op the verdict concerns; crash: the op */
} repro_verdict;

typedef enum repro_status {
	REPRO_SAME = 0,       /* the verdict ids found equal the expect set */
	REPRO_DIFFERS = 1,    /* they differ, or the case could not be reached (why) */
	REPRO_CANNOT = 2,     /* this build cannot run that kind of case (why) */
} repro_status;

/* A crash case's file at its crash point, for pictures (the HTML unit map). */
typedef struct repro_map {
	size_t page_size;         /* bytes */
	uint32_t unit;            /* the atomic unit, bytes */
	uint64_t len;             /* file length at the crash point, bytes */
	uint64_t npages;          /* ceil(len / page_size) */
	uint8_t *roles;           /* per page: pager_role as the writing pager saw it */
	uint64_t nunits;          /* ceil(len / unit) */
	uint8_t *states;          /* per unit: crash_unit_state (crash.h) of the image judged */
} repro_map;

typedef struct repro_result {
	repro_status status;
	int reached;             /* the crash point was located / the fault case ran */
	char why[640];           /* when not reached: why */
	repro_strset found;      /* distinct verdict ids found */
	repro_verdict *v;        /* every verdict emitted, in order */
	size_t nv;
	repro_strset sigs;       /* signatures of the expect set (when reached) */
	repro_strset found_sigs; /* signatures of what was found (when reached) */
	const char *step;        /* crash: the sync's fault-point name (NULL at end-of-op) */
	uint32_t sync;           /* crash: the run-wide sync index located */
	repro_map map;           /* crash: the file at the crash point (when reached; else zero) */
} repro_result;

/* Replay the case; when story is not NULL, tell it there (ops, syncs, unit map,
 * verdicts, expected vs found). 0 (res->status says the outcome) or -1 (ENOMEM). */
int repro_run(const repro *r, repro_result *res, FILE *story);
void repro_result_free(repro_result *res);

/* Signatures of a reproducer (of its expect set; replays it to learn the step / op).
 * 0 with the signatures added to *set, 1 when the case cannot be reached (why in res
 * is lost: use repro_run for details), -1 ENOMEM. */
int repro_signatures(const repro *r, repro_strset *set);

/* ---- Building and saving ---- */
/* A crash reproducer for finding f of log (copied): the case, the units of f's first
 * image, and notes. expect is filled by replaying it (every verdict that image gives);
 * returns 0, 1 when the replay does not show f->verdict (why in msg), -1 ENOMEM.
 * `how` (may be NULL) is a note saying where it came from ("tornpage crash ..."). */
int repro_from_finding(repro *out, const oplog *log, const crash_finding *f, uint32_t cfg_unit,
		       const char *how, char *msg, size_t msglen);
/* A fault reproducer for matrix case c of log (copied): expect is every verdict the case
 * gives when replayed alone (matrix_run_case_ex). 0, 1 when the replay does not give
 * verdict `must` (may be NULL) or cannot run (why in msg), -1 ENOMEM. Never call it
 * from inside a matrix run (libfiu's state is global): after matrix_run returns. */
int repro_from_fault_case(repro *out, const oplog *log, const matrix_case *c, uint32_t cfg_unit, const char *must,
			  const char *how, char *msg, size_t msglen);
/* The verdict a reproducer is named after: I-OPEN, else a structural id (I-SB-*, I-META-*,
 * I-DIR-*, I-REF-*, I-PROT-*), else I-ATOMIC, I-DURABLE, the F-* ids, I-LEAK, in that
 * order; "ok" for an empty set. */
const char *repro_headline(const repro_strset *expect);
/* Write r into directory dir as "<verdict>-<16 hex of XXH64(text)>.repro"; a different
 * file already there gets a "-1", "-2"... suffix instead. 0: written, 1: an identical
 * file was there, -1: error (errno). path receives the file's path. */
int repro_save(const repro *r, const char *dir, const char *verdict, char *path, size_t pathlen);
/* verdict NULL: repro_headline(&r->expect). */
/* The note a reproducer keeps for one verdict its case gives (into out, n bytes):
 * "verdict ID: expected E; found F", with " at op K" after the id in a fault case. */
void repro_verdict_note(char *out, size_t n, repro_kind kind, const repro_verdict *v);
/* The one-line summary note for a crash case (what, where, which unit). */
void repro_crash_summary(char *out, size_t n, const char *verdicts, const char *step, crash_phase phase,
			 oplog_kind kind, uint32_t unit, size_t ps);

#endif
