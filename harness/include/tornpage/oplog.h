/* oplog.h — operation logs, format 1: parse, print, generate (seeded), decode from fuzzer
 * bytes, and the page pattern that fill/pwrite/pstage write. The grammar is in
 * docs/oplog.md; the ops are the rows of ops.def.
 * This module only knows what a *valid* log is. It never touches a pager or a disk:
 * running a log and judging the result belong to the model and the runner.
 *
 * Conventions: int functions return 0 on success; oplog_parse/oplog_load return the
 * number of bad lines (> 0) or -1 when out of memory. A returned log is always valid
 * (oplog_validate() == 0); on any failure *out is left zeroed. */
#ifndef TORNPAGE_OPLOG_H
#define TORNPAGE_OPLOG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OPLOG_FORMAT 1

#define OPLOG_LOG2_MIN 10u          /* smallest page: 1 KiB (the format's minimum) */
#define OPLOG_LOG2_MAX 16u          /* largest page a log may ask for: 64 KiB */
#define OPLOG_HANDLE_MAX 64u        /* longest handle name, in bytes */
#define OPLOG_NO_HANDLE UINT32_MAX  /* oplog_op.handle of create and reopen */

/* How an op's arguments read and what it does to its handle (column 3 of ops.def). */
typedef enum oplog_args {
	OPLOG_ARGS_NONE,            /* no argument (reopen) */
	OPLOG_ARGS_LOG2,            /* LOG2 (create) */
	OPLOG_ARGS_NEW_REGULAR,     /* H: defines H as a regular page (alloc) */
	OPLOG_ARGS_END_REGULAR,     /* H: a live regular H, dead afterwards (free) */
	OPLOG_ARGS_REGULAR_SEED,    /* H SEED: a live regular H (fill) */
	OPLOG_ARGS_NEW_PROTECTED,   /* H: defines H as a protected page (palloc) */
	OPLOG_ARGS_END_PROTECTED,   /* H: a live protected H, dead afterwards (pfree) */
	OPLOG_ARGS_PROTECTED_SEED,  /* H SEED: a live protected H (pwrite, pstage) */
} oplog_args;

/* OPLOG_CREATE, OPLOG_ALLOC, OPLOG_FREE, OPLOG_FILL, OPLOG_PALLOC, OPLOG_PFREE,
 * OPLOG_PWRITE, OPLOG_PSTAGE, OPLOG_REOPEN, in that order (ops.def). */
typedef enum oplog_kind {
#define OPLOG_OP(name, kind, args, meaning) kind,
#include "tornpage/ops.def"
#undef OPLOG_OP
	OPLOG_KIND_COUNT
} oplog_kind;

typedef struct oplog_op {
	oplog_kind kind;  /* which op */
	uint32_t handle;  /* index into log->handles; UINT32_MAX for create/reopen */
	uint64_t arg;     /* create: page_size_log2; fill/pwrite/pstage: SEED; otherwise 0 */
	uint32_t line;    /* 1-based line in the source text; 0 when generated */
} oplog_op;

typedef struct oplog {
	oplog_op *ops; size_t nops;      /* ops[0] is always the create */
	char **handles; size_t nhandles; /* handle names, in order of definition */
	uint8_t *handle_protected;       /* per handle: 1 = defined by palloc, 0 = by alloc */
	unsigned page_log2;              /* from create */
	unsigned format;                 /* pager format from create: 2 for "create LOG2 v2",
					  * else 1 (0, in a log built by hand, means 1) */
} oplog;

#define OPLOG_PAGER_FORMAT_MAX 2u
/* The pager format the log's create asks for: 1 or 2. */
static inline unsigned oplog_pager_format(const oplog *log) { return log->format == 2 ? 2u : 1u; }

/* Receives one diagnostic, msg = "file:line: message" (no newline). */
typedef void (*oplog_diag_fn)(void *arg, const char *msg);

/* Parse `len` bytes of `text` (need not be NUL-terminated; any bytes are safe). `name`
 * prefixes every diagnostic (NULL: "<oplog>"). Returns 0, or the number of bad lines
 * (> 0; every bad line reported through diag, which may be NULL, and *out left empty),
 * or -1 on out of memory. */
int oplog_parse(const char *name, const char *text, size_t len, oplog *out,
		oplog_diag_fn diag, void *arg);
/* oplog_parse of a whole file. Unreadable file: one diag "path: strerror", returns 1. */
int oplog_load(const char *path, oplog *out, oplog_diag_fn diag, void *arg);
/* malloc'd text; first line "# tornpage oplog 1", then one op per line, no comments.
 * parse(format(x)) == x (ops, handles, args). NULL if out of memory or if `log` is not
 * valid (see oplog_validate). */
char *oplog_format(const oplog *log);
/* A random valid log: the create, then exactly `nops` ops, all from `seed` (splitmix64).
 * page_log2 in OPLOG_LOG2_MIN..OPLOG_LOG2_MAX. Returns 0 or -1 (ENOMEM / bad args).
 * The distribution is in docs/oplog.md ("Generator"). */
int oplog_gen(uint64_t seed, size_t nops, unsigned page_log2, oplog *out);
/* The same log (same ops, same seed stream) for pager format `format` (1 or 2). */
int oplog_gen_format(uint64_t seed, size_t nops, unsigned page_log2, unsigned format, oplog *out);
/* Structure-aware decoding for a fuzzer: ANY bytes -> a VALID log of at most max_ops
 * ops after the create. Returns 0 or -1 on out of memory. See docs/oplog.md. */
int oplog_from_bytes(const uint8_t *data, size_t len, size_t max_ops, oplog *out);
/* Safe on a zeroed or freed log; leaves it zeroed. */
void oplog_free(oplog *log);

/* 0 if `log` obeys every rule of format 1 (and the invariants parse guarantees: handles
 * in order of definition, unused fields zero), else 1 + the index of the first op that
 * breaks one (1 also for a broken header: no ops, ops[0] not a create, bad handle table). */
size_t oplog_validate(const oplog *log);

/* "create", "alloc", ...; "?" for a value out of range. */
const char *oplog_kind_name(oplog_kind k);
/* The op's usage line, e.g. "fill H SEED"; "?" out of range. */
const char *oplog_kind_usage(oplog_kind k);
/* The one-line meaning from ops.def; "?" out of range. */
const char *oplog_kind_meaning(oplog_kind k);
/* The argument kind from ops.def; OPLOG_ARGS_NONE out of range. */
oplog_args oplog_kind_args(oplog_kind k);
/* The kind named by the n bytes at `name`, or OPLOG_KIND_COUNT. */
oplog_kind oplog_kind_from_name(const char *name, size_t n);
/* The markdown table of ops ("| op | arguments | meaning |"), as docs/oplog.md holds
 * it: malloc'd, NULL if out of memory. */
char *oplog_ops_markdown(void);

/* What a log does to the page allocator, by the format's counting rules (a new file
 * has 4 pages, 3 reserved; an alloc with no free page doubles the file; a palloc takes
 * 2 pages, plus 2 directory pages when every directory block is full). An estimate for
 * coverage checks and the generator's caps: the model is the oracle, not this. */
typedef struct oplog_stats {
	size_t count[OPLOG_KIND_COUNT]; /* ops of each kind, the create included */
	size_t peak_live_regular;       /* most regular pages live at once */
	size_t peak_live_protected;     /* most protected pages live at once */
	size_t dir_blocks;              /* directory blocks at the end (never freed) */
	size_t dir_capacity;            /* entries per directory block: (ps - 12) / 30 */
	uint64_t pages;                 /* file size in pages at the end (never shrinks) */
	uint64_t used_pages;            /* pages allocated at the end, reserved included */
	uint64_t peak_used_pages;       /* most pages allocated at once, reserved included */
	unsigned grows;                 /* how many times the file doubled */
} oplog_stats;
/* Fills *st for a valid log; returns 0, or -1 (st zeroed) if oplog_validate fails. */
int oplog_stats_of(const oplog *log, oplog_stats *st);

/* byte i = (seed*7 + i*13 + (i >> 8)) mod 256 (u64 wrapping arithmetic), i in 0..n-1:
 * the bytes fill/pwrite/pstage write, as the golden images' JSON states. */
void oplog_pattern(uint64_t seed, uint8_t *buf, size_t n);

#ifdef __cplusplus
}
#endif

#endif
