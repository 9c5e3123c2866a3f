/* replay.h — run an operation log's ops against a real pager over any pager_io.
 * One op at a time, so that the crash driver and the fault matrix can look between
 * ops (and, through the I/O layer's hooks, inside them). It does not judge crash
 * images: judge.h does. */
#ifndef TORNPAGE_REPLAY_H
#define TORNPAGE_REPLAY_H

#include "tornpage/mcheck.h"
#include "tornpage/model.h"
#include "tornpage/oplog.h"
#include "pager.h"

typedef struct replay {
	const oplog *log;     /* the ops */
	const pager_io *io;   /* storage the pager runs on */
	const char *path;     /* file name handed to the I/O layer */
	pager *p;             /* NULL before create and after a failed create/reopen */
	uint64_t *where;      /* per handle: the page / protected id the pager returned */
	uint8_t *buf;         /* page-size scratch */
	size_t ps;            /* page size, from the log's create */
	mcheck chk;           /* replay_step's model check (the index of the model it follows) */
} replay;

int replay_init(replay *r, const oplog *log, const pager_io *io, const char *path);
/* Closes the pager (if any) and frees everything. */
void replay_free(replay *r);

/* Run op k on the pager, nothing else. 0 with *res filled (ids for alloc/palloc, the
 * new protected page's CRC for palloc), or the negative pager_err the op returned. */
int replay_exec(replay *r, size_t k, model_result *res);

/* Run op k, check its result, apply it to m and compare pager and model (I-MODEL).
 * 0 when all agree; otherwise 1 with the finding in msg ("op 7 (line 9) alloc a: ...").
 * res (may be NULL) receives what the pager answered. The comparison costs what op k
 * changed, with a full one after reopens, at the last op and periodically (mcheck.h);
 * a caller that steps ops in order with one model gets that; another model, or ops out
 * of order, are compared in full. */
int replay_step(replay *r, model *m, size_t k, model_result *res, char *msg, size_t msglen);

/* "op 7 (line 9: alloc a)" for messages. */
void replay_describe(const oplog *log, size_t k, char *out, size_t outlen);

#endif
