/* oplog_int.h — what the op-log files share and nobody else sees: the op table as the
 * parser reads it, the builder every log is made through, the page accounting that
 * keeps generated logs in bounds, and the random-log state of the generator and the
 * fuzzer's decoder. The public contract is oplog.h.
 *
 *   oplog_table.c  the op table (ops.def), kind lookups, the fill pattern
 *   oplog_build.c  the builder (handles and their lives), oplog_free, oplog_validate
 *   oplog_parse.c  the lexical rules, the parser, oplog_load
 *   oplog_print.c  oplog_format and the markdown op table
 *   oplog_pages.c  the format's page-counting rules, oplog_stats_of
 *   oplog_gen.c    random logs: the shared emitter and the seeded generator
 *   oplog_bytes.c  the fuzzer's byte decoder */
#ifndef TORNPAGE_OPLOG_INT_H
#define TORNPAGE_OPLOG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "tornpage/oplog.h"

/* ---- The op table (oplog_table.c) ---------------------------------------------- */

typedef struct oplog_def {
	const char *name;    /* op name as written in a log */
	oplog_args args;     /* argument kind (ops.def column 3) */
	const char *meaning; /* one line for help and docs */
} oplog_def;

extern const oplog_def oplog_defs[OPLOG_KIND_COUNT];

/* What an argument kind means: the parser's and validator's view of ops.def column 3. */
enum { OPLOG_H_NONE, OPLOG_H_DEFINE, OPLOG_H_USE, OPLOG_H_END };
typedef struct oplog_argdef {
	unsigned nargs;      /* number of arguments after the op name */
	int handle;          /* OPLOG_H_*: what the op does to its handle */
	int prot;            /* 1: the handle must be protected (palloc'd) */
	int seed;            /* 1: a SEED argument follows the handle */
	const char *usage;   /* the arguments, as in "fill H SEED" */
} oplog_argdef;

extern const oplog_argdef oplog_argdefs[];
/* Usage lines ("fill H SEED"), one per kind. */
extern const char *const oplog_usages[OPLOG_KIND_COUNT];

static inline int oplog_kind_ok(oplog_kind k)
{
	return (unsigned)k < (unsigned)OPLOG_KIND_COUNT;
}

static inline const oplog_argdef *oplog_argdef_of(oplog_kind k)
{
	return &oplog_argdefs[oplog_kind_args(k)];
}

/* ---- The builder (oplog_build.c) ----------------------------------------------- */

/* A log under construction plus each handle's life, and a name index. */
typedef struct oplog_b {
	oplog log;          /* the log being built (handles[], handle_protected[] included) */
	size_t cap_ops;     /* ops allocated */
	size_t cap_handles; /* entries allocated in every per-handle array */
	uint32_t *def_line; /* per handle: line of its alloc/palloc (0 when generated) */
	uint32_t *end_line; /* per handle: line of its free/pfree (0 when generated) */
	uint8_t *dead;      /* per handle: 1 once freed */
	uint32_t *slots;    /* open-addressing name index: handle + 1, 0 = empty */
	size_t nslots;      /* power of two, or 0 */
} oplog_b;

void oplog_b_discard(oplog_b *b);
/* Moves the log out; the builder's bookkeeping is freed. */
void oplog_b_finish(oplog_b *b, oplog *out);
/* The handle named by the n bytes at s, or UINT32_MAX. */
uint32_t oplog_b_find(const oplog_b *b, const char *s, size_t n);
/* Defines a new handle (the caller checked the name is valid and unused).
 * Returns its index, or UINT32_MAX when out of memory. */
uint32_t oplog_b_define(oplog_b *b, const char *s, size_t n, int prot, uint32_t line);
/* Appends an op; 0 or -1 out of memory. */
int oplog_b_op(oplog_b *b, oplog_kind kind, uint32_t handle, uint64_t arg, uint32_t line);
/* Grows an array to `cap` elements of `size` bytes; 0 or -1. */
int oplog_grow(void **p, size_t cap, size_t size);
/* A valid handle name: [A-Za-z_][A-Za-z0-9_.-]{0,63}. */
int oplog_handle_ok(const char *s, size_t n);

/* ---- Page accounting (oplog_pages.c) -------------------------------------------- */

typedef struct oplog_pages {
	uint64_t total;      /* file size in pages */
	uint64_t used;       /* allocated pages, the 3 reserved ones included */
	uint64_t cap_used;   /* generated logs keep used <= this: see oplog_pages_init */
	size_t blocks;       /* directory blocks */
	size_t max_blocks;   /* blocks that fit in page 0's index: (ps - 28) / 17 */
	size_t dir_cap;      /* entries per directory block: (ps - 12) / 30 */
	size_t live_reg;     /* live regular pages */
	size_t live_prot;    /* live protected pages */
	unsigned grows;      /* doublings so far */
	uint64_t peak_used;  /* most pages used at once */
	size_t peak_reg;     /* most live regular pages at once */
	size_t peak_prot;    /* most live protected pages at once */
} oplog_pages;

void oplog_pages_init(oplog_pages *pg, unsigned log2);
/* 1 if op k keeps the file within the caps (and has a live handle to act on). */
int oplog_pages_can(const oplog_pages *pg, oplog_kind k);
void oplog_pages_apply(oplog_pages *pg, oplog_kind k);

/* ---- Random logs (oplog_gen.c): the generator's and the byte decoder's state ------ */

typedef struct oplog_rand {
	oplog_b b;          /* the log */
	oplog_pages pg;     /* page accounting, for the caps */
	uint32_t *live[2];  /* live handles: [0] regular, [1] protected (order: see kill) */
	size_t nlive[2];    /* entries used in live[] */
	size_t caplive[2];  /* entries allocated in live[] */
	size_t named[2];    /* handles defined so far per class: names r0.. and p0.. */
	uint64_t seen;      /* bit k: an op of kind k was emitted */
} oplog_rand;

int oplog_rand_init(oplog_rand *r, unsigned log2);
void oplog_rand_discard(oplog_rand *r);
void oplog_rand_finish(oplog_rand *r, oplog *out);
/* Emits op k. `pick` chooses the handle for use/end ops (index into the live list,
 * taken mod its length); `arg` is the SEED of fill/pwrite/pstage. The caller checked
 * oplog_pages_can(). 0 or -1 out of memory. */
int oplog_rand_emit(oplog_rand *r, oplog_kind k, uint64_t pick, uint64_t arg);

#endif
