/* model.h — the oracle: what the file must hold after each acknowledged op.
 *
 * A plain description, independent of the pager's code: which regular pages are live
 * (by handle, with their last fill), which protected pages are live with the CRC-32 of
 * their committed content, and the page count and free count the pager must report.
 * Ids come from the pager (the model checks them); counts are predicted. It is not a
 * second pager: it never reads the format. */
#ifndef TORNPAGE_MODEL_H
#define TORNPAGE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "tornpage/oplog.h"
#include "pager.h"

typedef struct model_handle {
	uint8_t live;      /* allocated and not freed */
	uint8_t freed;     /* was live, then freed: its page / id must stay released */
	uint8_t filled;    /* regular: a fill was seen since alloc */
	uint64_t where;    /* regular: page number; protected: protected id */
	uint64_t fill;     /* regular: seed of the last fill */
	uint64_t copy[2];  /* protected: its two backing pages (page_a, page_b), from the pager */
	uint32_t crc;      /* protected: CRC-32 of the committed (readable) content */
	uint32_t set_by;   /* index of the op that last changed live/where/crc */
} model_handle;

typedef struct model {
	size_t nhandles;       /* = log->nhandles */
	model_handle *h;       /* per handle */
	size_t ps;             /* page size, 0 before create */
	unsigned format;       /* pager format (1 or 2), from the log's create */
	uint64_t first_data;   /* first page alloc may return: 3 (format 1), v2_first_data (2) */
	uint64_t page_count;   /* total_pages the pager must report */
	uint64_t used;         /* pages allocated: reserved + regular + directory + copies */
	uint32_t cap;          /* directory entries per block */
	uint32_t blocks;       /* directory blocks (never freed) */
	uint8_t *slot_used;    /* per protected id < blocks * cap: 1 = in use */
	size_t slot_cap;       /* bytes allocated for slot_used */
} model;

/* What the pager answered to one op: the model takes ids from it (after checking). */
typedef struct model_result {
	uint64_t id;   /* alloc: page; palloc: protected id */
	uint32_t crc;  /* palloc: CRC of the new page's readable copy (the seed does not zero it;
			* format 2 does: the model checks it is a zero page's) */
	uint64_t copy[2]; /* palloc: the backing pages the pager chose */
} model_result;

int model_init(model *m, const oplog *log);   /* 0 or -1 (ENOMEM) */
void model_free(model *m);
int model_copy(model *dst, const model *src); /* dst initialised by model_init or zeroed */

/* The page count once one more page is allocated (the file grows when none is free). */
uint64_t model_count_after_take(const model *m);
/* The protected id the pager must return for the next palloc. */
uint64_t model_next_protected_id(const model *m);
/* Check an op's result against the model before applying it; writes why not into msg. */
int model_check_result(const model *m, const oplog *log, size_t k, const model_result *r,
		       char *msg, size_t msglen);
/* The same with an index of the model's regular pages (owner: per page < owner_cap,
 * 1 + the live regular handle at it, 0: none) instead of a search of the handles. */
int model_check_result_ex(const model *m, const oplog *log, size_t k, const model_result *r, const uint32_t *owner,
			  size_t owner_cap, char *msg, size_t msglen);
/* Apply op k of log with the pager's result. 0 or -1 (ENOMEM). */
int model_apply(model *m, const oplog *log, size_t k, const model_result *r);
uint64_t model_free_count(const model *m);

/* Compare the pager's visible state with the model (I-MODEL). Returns 0 when equal,
 * else 1 with the first difference in msg ("page_count: expected 8, found 16"), -1 when
 * out of memory. In order: model_diff_counts, model_diff_handle for every live handle,
 * model_diff_sets. */
int model_diff(const model *m, const oplog *log, pager *p, char *msg, size_t msglen);

/* model_diff's steps, for a caller that keeps its own indexes of the model and checks
 * only some handles (the fault matrix's fast diff: the same checks in the same order
 * give the same first difference with the same message). Each returns 0 when equal,
 * else 1 with the difference in msg. */
/* page_count, then free_page_count. */
int model_diff_counts(const model *m, pager *p, char *msg, size_t msglen);
/* The fill pattern of seed (the model's page size), NULL when out of memory. */
typedef const uint8_t *(*model_pattern_fn)(void *arg, uint64_t seed);
/* Live handle i: a regular page reads back with its last fill (pattern(arg, fill)), a
 * protected id with its committed CRC. -1 when pattern runs out of memory. */
int model_diff_handle(const model *m, const oplog *log, pager *p, size_t i, model_pattern_fn pattern, void *arg,
		      char *msg, size_t msglen);
/* The pager's allocated regular pages and protected ids, each held by a live handle,
 * nreg and nprot of them. owner (optional): per page < owner_cap, 1 + the live regular
 * handle at it, 0: none; NULL: the handles are searched. */
int model_diff_sets(const model *m, const oplog *log, pager *p, const uint32_t *owner, size_t owner_cap, size_t nreg,
		    size_t nprot, char *msg, size_t msglen);
/* The second half of model_diff_sets alone: the in-use protected ids, nprot of them. */
int model_diff_protected(const model *m, const oplog *log, pager *p, size_t nprot, char *msg, size_t msglen);

#endif
