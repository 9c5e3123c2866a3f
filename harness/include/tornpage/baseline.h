/* baseline.h — known findings: a directory of reproducers, each standing for the
 * signatures of its expected verdicts (repro.h, "Signatures"). A run classifies each
 * finding as known (its signature is in the baseline) or new, and every baseline entry
 * is replayed: one that no longer gives its expected verdicts is "gone". Only new fatal
 * findings should fail a run. It does not run crash or matrix cases (their CLIs do). */
#ifndef TORNPAGE_BASELINE_H
#define TORNPAGE_BASELINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tornpage/repro.h"

typedef struct baseline_entry {
	char *path;              /* the reproducer file */
	repro_kind kind;         /* crash or fault */
	repro_strset sigs;       /* signatures of its expect set */
	int gone;                /* replayed, and did not find exactly its expected verdicts */
	char why[1024];          /* when gone: what was found instead */
	uint64_t seen;           /* findings of this run that matched one of its signatures */
} baseline_entry;

typedef struct baseline_new {
	char *sig;               /* a signature no entry has */
	char *where;             /* the first finding that showed it */
	int fatal;               /* any of its findings fatal */
	uint64_t findings;       /* how many findings showed it */
} baseline_new;

typedef struct baseline {
	char *dir;               /* where it was loaded from (NULL when built by hand) */
	baseline_entry *e;       /* entries, in file-name order */
	size_t n;
	repro_strset known;      /* union of the entries' signatures */
	repro_strset seen;       /* known signatures this run showed */
	baseline_new *fresh;     /* new signatures, in order of first sight */
	size_t nfresh;
	uint64_t known_findings; /* findings classified known */
	uint64_t new_findings;   /* findings classified new */
	size_t skipped;          /* reproducers of another kind than loaded */
} baseline;

/* Load every "*.repro" of dir (sorted by name) whose kind is `kind` (REPRO_NONE: all),
 * replaying each. Returns 0, the number of bad files (> 0, each reported through diag
 * as "file:line: message"; a missing directory is one), or -1 on ENOMEM. */
int baseline_load(baseline *b, const char *dir, repro_kind kind, oplog_diag_fn diag, void *arg);
/* Add an entry by hand (tests, or a caller that replayed it itself). 0 or -1. */
int baseline_add(baseline *b, const char *path, repro_kind kind, const char *const *sigs, size_t nsigs, int gone,
		 const char *why);
/* One finding of the run: 1 known, 0 new (recorded), -1 ENOMEM. where: a description. */
int baseline_note(baseline *b, const char *sig, int fatal, const char *where);
/* New signatures with at least one fatal finding. */
size_t baseline_new_fatal(const baseline *b);
size_t baseline_gone(const baseline *b);
/* The known / new / gone report. */
void baseline_report(const baseline *b, FILE *f);
void baseline_free(baseline *b);

/* ---- --save / --baseline for the fault matrix (cli_matrix.c) ----
 * Set matrix_cfg.on_case = baseline_sink_on_case and on_case_arg = &sink; call
 * baseline_sink_begin(&sink, log, name) before matrix_run of each log and
 * baseline_sink_end(&sink) after it. Each case's verdicts become signatures
 * (VERDICT@POINT:MODE:OPKIND, the op the fault fires in); with a baseline they are
 * noted known or new; with save_dir, a case bringing a signature not yet saved in this
 * run (and not known) becomes a reproducer, written at baseline_sink_end: replaying a
 * case from inside the matrix's callback would disturb libfiu's global state. */
typedef struct baseline_sink_case {
	matrix_case c;            /* c.point is the fault table's static string */
	char *first;              /* the verdict it is saved for */
	int save;                 /* written to save_dir (a new signature); else only kept */
} baseline_sink_case;

typedef struct baseline_sink {
	const char *save_dir;     /* --save DIR, or NULL */
	baseline *base;           /* --baseline (loaded with REPRO_FAULT), or NULL */
	uint32_t unit;            /* --atomic as given (0 = page) */
	const char *how;          /* the "from:" note's command, e.g. "tornpage matrix --atomic 512" */
	FILE *out;                /* where "saved FILE" lines go (NULL: nowhere) */
	oplog_diag_fn diag;       /* why a case could not be saved, one line each (may be NULL) */
	void *diag_arg;
	/* Optional: handed every reproducer built (saved or not), with a title (its
	 * signature and log), e.g. to tell it in an HTML report. With keep set, new
	 * signatures are built even without save_dir. r is the sink's: copy what you keep. */
	void (*keep)(void *arg, const char *title, const repro *r);
	void *keep_arg;
	/* private */
	const oplog *log;         /* the log between begin and end */
	const char *name;
	repro_fault_counts fc;    /* where each (point, hit) fires in that log */
	int have_fc;
	repro_strset saved;       /* signatures saved (or queued) in this run */
	baseline_sink_case *pending;
	size_t npending;
	uint64_t files;           /* reproducers written */
	int err;                  /* out of memory or a write failed */
} baseline_sink;

/* 0, or -1 when the log's fault counts cannot be taken (sink->err set). */
int baseline_sink_begin(baseline_sink *s, const oplog *log, const char *name);
void baseline_sink_on_case(void *arg, const oplog *log, const matrix_case *c, const char *const *verdicts,
			   const char *const *fclasses,
			   size_t nverdicts);
/* Build and save the queued reproducers of the current log. 0 or -1. */
int baseline_sink_end(baseline_sink *s);
void baseline_sink_free(baseline_sink *s);

#endif
