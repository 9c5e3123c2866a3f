/* mcheck.h — the model check after every op (I-MODEL), at the cost of what the op
 * changed rather than the size of the file.
 *
 * model_diff (model.h) compares everything: every live page's bytes, every protected
 * CRC, and the sets of allocated pages and ids — O(pages + live handles x page size) per
 * op, so a replay of n ops cost O(n^2) or worse. This checker keeps an index of the
 * model (which live handle holds each page) and compares, after op k:
 *   - the page count and the free count (always);
 *   - what op k names: its handle's bytes or CRC, the role of the page an alloc took or
 *     a free released (pager_page_role), the set of protected ids after a palloc/pfree;
 *   - everything, as model_diff does (same checks, order and messages), after a reopen,
 *     after the log's last op, after a caller's request, and whenever the ops since the
 *     last full comparison number as many as the live handles plus 64: a full check costs
 *     O(live handles) page compares, so spread over that many ops it is O(1) per op.
 * A difference the per-op checks cannot see (a pager that changes a page no op names,
 * without changing the counts) is found by the next full comparison, at most
 * live + 64 ops later; its message then says since which op the state was last seen
 * whole ("... (all equal after op 12)").
 *
 * It does not run ops (replay.h) nor judge crash images (judge.h). */
#ifndef TORNPAGE_MCHECK_H
#define TORNPAGE_MCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "tornpage/model.h"
#include "tornpage/oplog.h"
#include "pager.h"

typedef struct mcheck {
	const oplog *log;
	const model *m;        /* the model the index describes (NULL: none yet) */
	size_t next;           /* the op the index expects to be applied next */
	uint32_t *owner;       /* per page < owner_cap: 1 + the live regular handle at it, 0: none */
	size_t owner_cap;      /* entries allocated */
	size_t nreg, nprot;    /* live regular / protected handles of the model */
	size_t since_full;     /* ops checked since the last full comparison */
	size_t full_op;        /* 1 + the op after which everything was last equal (0: never) */
	uint64_t fulls;        /* full comparisons made (tests, benchmarks) */
	uint8_t *pat;          /* the fill pattern of pat_seed (page size), or NULL */
	uint64_t pat_seed;
	int pat_ok;            /* pat holds pat_seed's pattern */
} mcheck;

int mcheck_init(mcheck *c, const oplog *log); /* 0 or -1 (ENOMEM) */
void mcheck_free(mcheck *c);

/* model_check_result, with the index for alloc's "still live as" (same messages). */
int mcheck_result(mcheck *c, const model *m, size_t k, const model_result *r, char *msg, size_t msglen);

/* Op k was just applied to m (model_apply, with the pager's answer): compare pager p
 * with m. full: compare everything now. When m is not the model the index describes, or
 * op k is not the one after the last op checked, the index is rebuilt from m and the
 * comparison is full. Returns 0 equal, 1 differ (why in msg), -1 out of memory. */
int mcheck_after(mcheck *c, const model *m, pager *p, size_t k, int full, char *msg, size_t msglen);

#endif
