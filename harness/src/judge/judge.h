/* judge.h — the verdicts on one recovered crash image (docs/invariants.md).
 *
 * Opens the image with the real pager code over a borrowed simdisk (no copy), runs the
 * structural checker, and compares what recovery found with the model before and after
 * the op in flight: I-OPEN, the pager_check ids, I-ATOMIC, I-DURABLE, I-LEAK; and for an
 * image with a disk fault, what the fault changed and I-SILENT (judge_fault_verdicts). It does
 * not choose images (crash.c) nor print (the CLI does). */
#ifndef TORNPAGE_JUDGE_H
#define TORNPAGE_JUDGE_H

#include <stddef.h>
#include <stdint.h>

#include "tornpage/model.h"
#include "tornpage/oplog.h"
#include "tornpage/simdisk.h"

#define JUDGE_NO_OP SIZE_MAX

typedef struct judge_memo judge_memo;     /* private to judge.c */
typedef struct judge_tables judge_tables; /* private to judge.c */

typedef struct judge {
	const oplog *log;     /* handle names and kinds */
	simdisk *view;        /* borrow-mode disk the image is opened through */
	uint8_t *roles;       /* per page of the image: pager_role, recomputed per image */
	size_t roles_cap;     /* entries allocated */
	judge_memo *memo;     /* judge_image_ids's caches (bounded); NULL until first used */
	judge_tables *tables; /* who holds which page / id in the current case; NULL until used */
	const uint64_t *ids;  /* page identities of the image being judged, or NULL */
	uint64_t opened;      /* images opened and checked (not answered from the memo) */
	uint64_t memo_hits;   /* images judge_image_ids answered from its memo */
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

/* A nonzero 64-bit digest of everything in a case the verdicts depend on: the op in
 * flight's kind and handle (or none), and for both models page_count and each handle's
 * live, freed, where, copies, crc and set_by. Equal cases give equal keys; different
 * keys may still give the same verdicts. For judge_image_ids and for deduplicating
 * images across crash points (crash.c). */
uint64_t judge_case_key(const judge *j, const judge_case *c);
/* The same key from the models' digests, for a caller that keeps them up to date as its
 * models change: judge_model_digest(m) = subsets_mix64(m->page_count) ^ XOR over the
 * handles of judge_handle_digest(i, &m->h[i]) (one op changes one handle: two XORs). */
uint64_t judge_handle_digest(size_t i, const model_handle *h);
uint64_t judge_model_digest(const model *m);
uint64_t judge_case_key_of(const judge *j, size_t op, uint64_t before_digest, uint64_t after_digest);

/* judge_image, faster, with the same verdicts (same ids, strings and order) for an image
 * whose pages have known identities: page_id[n] (n < ceil(len / page size)) is a 64-bit
 * identity of page n's bytes *at that place* — equal identities promise equal bytes
 * (up to a 2^-64 collision, as the crash loop's dedup assumes). case_key must be
 * judge_case_key(j, c) (computed once per case by the caller), or 0 to judge without
 * the memo.
 *
 * Method: recovery (pager_open, pager_check_image, and the model comparison) reads only
 * some pages of an image — page 0, the metadata copy the superblock selects (and the
 * other one only when the selected copy fails its CRCs), each directory block's active
 * page (the other only when it is unreadable), and the readable copy of each in-use
 * protected entry — so the verdicts are a function of those pages' bytes, the file
 * length and the case. The read set is found by following that rule with per-page
 * decodes cached by identity, its identities are hashed into a key, and the verdicts of
 * a (key, case) seen before are replayed instead of opening the image again. Anything
 * unusual (no valid superblock, another page size, a length that is not whole pages)
 * is judged in full. The caches are bounded (memory O(1) in the number of states). */
int judge_image_ids(judge *j, const judge_case *c, uint64_t case_key, uint8_t *img, uint64_t len,
		    const uint64_t *page_id, judge_emit_fn emit, void *arg);

/* ---- images with a disk fault (crash --faults, dfault.h) ----
 * A faulty image is judged next to its *twin*: the same crash image without the fault
 * (for torn garbage, both twins: the unit old and new). A verdict the twin shows too is
 * the crash's, not the fault's (`tornpage crash` without --faults reports it) and is set
 * aside: the same id, and the same finding (model verdicts and I-OPEN, I-LEAK: the same
 * "found"; pager_check ids: the same place). The rest is what the fault did: the pager
 * *detected* it when that includes I-OPEN (the file does not open) or a pager_check id
 * (the checker names the damage); when the image opened, pager_check found nothing at
 * all, and an I-ATOMIC or I-DURABLE remains (a committed page gone, an older commit
 * restored, a freed page or id back, a page two owners hold), the corruption is
 * *silent*: I-SILENT is emitted after them. */
typedef struct judge_verdict {
	const char *id;       /* static (verdicts.def or pager_invariants) */
	char *expected, *found;
} judge_verdict;
typedef struct judge_verdicts {
	judge_verdict *v;
	size_t n, cap;
	int oom;              /* a verdict could not be kept */
} judge_verdicts;
void judge_verdicts_clear(judge_verdicts *l); /* n = 0, memory kept */
void judge_verdicts_free(judge_verdicts *l);
/* A judge_emit_fn that appends to the judge_verdicts given as arg. */
void judge_verdicts_add(void *arg, const char *verdict, const char *expected, const char *found);
/* The verdicts of img appended to out: judge_image_ids, or judge_image when page_id is
 * NULL. The count, or -1 (ENOMEM). */
int judge_collect(judge *j, const judge_case *c, uint64_t case_key, uint8_t *img, uint64_t len,
		  const uint64_t *page_id, judge_verdicts *out);
/* Emit the faulty image's verdicts its twins' do not show, then I-SILENT when silent (see
 * above). Returns the count emitted. */
int judge_fault_verdicts(const judge_verdicts *img, const judge_verdicts *twins, judge_emit_fn emit, void *arg);

#endif
