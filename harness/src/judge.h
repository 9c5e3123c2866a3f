/* judge.h — the verdicts on one recovered crash image (docs/invariants.md).
 *
 * Opens the image with the real pager code over a borrowed simdisk (no copy), runs the
 * structural checker, and compares what recovery found with the model before and after
 * the op in flight: I-OPEN, the pager_check ids, I-ATOMIC, I-DURABLE, I-LEAK. It does
 * not choose images (crash.c) nor print (report.c). */
#ifndef TORNPAGE_JUDGE_H
#define TORNPAGE_JUDGE_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "oplog.h"
#include "simdisk.h"

#define JUDGE_NO_OP SIZE_MAX

typedef struct judge {
	const oplog *log;     /* handle names and kinds */
	simdisk *view;        /* borrow-mode disk the image is opened through */
	uint8_t *roles;       /* per page of the image: pager_role, recomputed per image */
	size_t roles_cap;     /* entries allocated */
} judge;

typedef struct judge_case {
	const model *before;  /* state every acknowledged op established */
	const model *after;   /* state once the op in flight completes (== before at op ends) */
	size_t op;            /* index of the op in flight, or JUDGE_NO_OP */
} judge_case;

/* One violation: the verdict id (a harness id or a pager_check id) and what differed. */
typedef void (*judge_emit_fn)(void *arg, const char *verdict, const char *expected,
			      const char *found);

int judge_init(judge *j, const oplog *log);   /* 0 or -1 (ENOMEM) */
void judge_free(judge *j);
/* Judge img (len bytes; it is not modified). Returns how many violations were emitted,
 * or -1 when out of memory. */
int judge_image(judge *j, const judge_case *c, uint8_t *img, uint64_t len, judge_emit_fn emit,
		void *arg);

#endif
