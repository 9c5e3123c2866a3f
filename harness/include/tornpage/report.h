/* report.h — fault-matrix reports: one in-memory record of a run (parameters, logs,
 * every case with its verdicts), its writers (text table, JSON, JUnit XML, Markdown) and
 * the JSON reader that `tornpage merge` uses to join shards. The JSON schema is in
 * docs/matrix.md. It does not run anything: matrix.h does.
 *
 * Conventions: int functions return 0 on success, -1 on failure (out of memory, a file
 * that cannot be written, or — for the reader and merge — a reason in msg). */
#ifndef TORNPAGE_REPORT_H
#define TORNPAGE_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tornpage/matrix.h"
#include "tornpage/oplog.h"

#define REPORT_SCHEMA 2

typedef struct report_verdict {
	char *id;        /* "F-ATOMIC", "I-LEAK", ... */
	uint64_t op;     /* op index it concerns */
	uint32_t line;   /* that op's line in the log (0: generated) */
	char *at;        /* "op", "fault" (image at the fault), "end" (image after the continuation) */
	int fatal;       /* counts toward exit status 1 */
	char *expected;
	char *found;
} report_verdict;

typedef struct report_case {
	uint64_t ordinal;   /* position in the run's case order, all shards */
	char *log;          /* the log's path, as given */
	uint64_t log_index; /* which of the run's logs (a path may be given twice) */
	char *point;        /* fault point */
	uint64_t hit;       /* 1-based hit of the point in the log */
	char *mode;         /* "once" / "persist" */
	char *err;          /* errno name, "EIO" */
	uint64_t seed;      /* the case's seed (lost writes) */
	int lost_writes;    /* failed syncs lose writes */
	uint64_t op;        /* op the hit falls in */
	uint32_t line;      /* its line */
	char *op_text;      /* "alloc b" */
	int fired;          /* the hit was reached (0: a harness note) */
	char *result;       /* what the op returned: "ok", "PAGER_EIO (EIO)" */
	int fail_stop;      /* the pager went fail-stop */
	uint64_t continued; /* ops run after the faulted one */
	int converged;      /* the continuation stopped where the no-fault run's state was */
	double seconds;     /* wall time of the case */
	report_verdict *v;
	size_t nv;
	uint64_t dropped;   /* verdicts not kept (more than MATRIX_MAX_VERDICTS) */
	uint64_t preexisting; /* image verdicts set aside: the no-fault image shows them too */
} report_case;

typedef struct report_log {
	char *path;         /* as given on the command line */
	uint64_t ops;       /* ops in the log */
	uint64_t cases;     /* cases of the log, all shards */
	double seconds;     /* wall time of its matrix (summed over merged shards) */
	char *error;        /* NULL, or why the log has no matrix (I-MODEL, setup) */
} report_log;

typedef struct report {
	/* parameters of the run (equal in every shard) */
	char *io;           /* "simdisk" / "posix" */
	uint32_t atomic;    /* simdisk unit in bytes, 0 = page */
	char *points;       /* the --points globs, "*" for all */
	char *modes;        /* "once,persist" */
	char *errnos;       /* "EIO,ENOSPC" */
	int lost_writes;
	int images;         /* durable images judged (simdisk without --no-images) */
	uint32_t exhaustive; /* lost writes: every subset of a failed sync's units up to K of them (--exhaustive) */
	uint64_t seed;
	uint64_t cont;      /* --continue (0 = to the end of the log) */
	uint32_t nshards;   /* N of --shard I/N (1: no sharding) */
	uint32_t *shards;   /* the shard indexes this report holds, ascending */
	size_t nshard_idx;
	report_log *logs;
	size_t nlogs;
	report_case *cases; /* ascending ordinal */
	size_t ncases, cases_cap;
	double seconds;     /* wall time of the run (summed over merged shards) */
} report;

/* Parameters from a matrix configuration (strings are copied). */
int report_init(report *r, const matrix_cfg *cfg);
void report_free(report *r);
/* A log of the run; returns its index or -1. */
int report_add_log(report *r, const char *path, uint64_t ops);
/* One case's result (matrix_cfg.on_result), for the log of index li. */
int report_add_result(report *r, size_t li, const oplog *log, const matrix_result *res);

/* Summary counts over the cases held. */
typedef struct report_totals {
	uint64_t cases;         /* cases held */
	uint64_t all_cases;     /* cases of every log, all shards */
	uint64_t with_verdicts; /* cases with at least one verdict */
	uint64_t fatal;         /* cases with a fatal verdict */
	uint64_t unfired;       /* cases whose hit was not reached */
	uint64_t log_errors;    /* logs with no matrix */
} report_totals;
void report_totals_of(const report *r, report_totals *t);

/* Writers. The text table is point x mode rows, verdict columns (cases with each). */
int report_write_table(const report *r, FILE *f);
int report_write_json(const report *r, FILE *f);
int report_write_junit(const report *r, FILE *f);
int report_write_md(const report *r, FILE *f);
/* Write with one of the writers to the file at path (created or truncated). The
 * library never writes to stdout: a caller that wants "-" passes stdout to the writer. */
int report_save(const report *r, const char *path, int (*writer)(const report *, FILE *));

/* Read a JSON report written by report_write_json (json-c). */
int report_read_json(const char *path, report *r, char *msg, size_t msglen);
/* Add src's cases to dst: same parameters and logs, no shard and no case in both (both
 * sorted by ordinal, as written and read). Cases stay sorted; log times and run time add
 * up. A refusal leaves dst as it was; only out of memory may leave it half-merged. */
int report_merge(report *dst, const report *src, char *msg, size_t msglen);
/* Does r hold every shard 0..N-1? */
int report_complete(const report *r);
/* Same cases with the same verdicts (timings ignored)? 0 when equal, else 1 and why. */
int report_cases_equal(const report *a, const report *b, char *msg, size_t msglen);

#endif
