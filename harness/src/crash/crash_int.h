/* crash_int.h — what the crash loop's files share (crash.h is the public header;
 * crash.c's "Method:" comment is the reference). Not for use outside harness/src/crash/.
 *
 *   crash.c         crash points, plain images, dedup, judging, finding groups
 *   crash_faults.c  the disk faults of --faults: the extra images each point adds
 *   crash_one.c     one crash point on demand (reproducers, the shrinker) */
#ifndef TORNPAGE_CRASH_INT_H
#define TORNPAGE_CRASH_INT_H

#include <time.h>

#include "tornpage/crash.h"
#include "tornpage/dfault.h"
#include "tornpage/simdisk.h"
#include "format.h"
#include "judge/judge.h"
#include "tornpage/replay.h"

typedef struct crash_faults crash_faults;
typedef struct variant variant;

/* A set of 64-bit image identities (open addressing, 0 = empty). */
typedef struct idset {
	uint64_t *slot;
	size_t cap, used;  /* cap is a power of two, used < cap / 2 */
} idset;

/* The findings of the current crash point: one group per verdict (and disk-fault class). */
#define MAX_GROUPS 64
typedef struct group {
	const char *verdict;
	int fatal;
	uint64_t states, subset;
	uint64_t *units;        /* persisted units (cache bytes) of the first image */
	uint8_t *roles;
	size_t nunits;
	uint64_t *dev;          /* lying sync: units that took the bytes the device held */
	size_t ndev;
	int has_fault;
	dfault fault;           /* the first image's disk fault (when has_fault) */
	char fclass[48];        /* its class, "" for a plain image */
	const char *fstep;      /* the step its signature names (crash_finding.fstep) */
	char expected[400], found[400];
} group;


typedef struct ctx {
	const oplog *log;
	const crash_cfg *cfg;
	crash_stats *st;
	crash_finding_fn fn;
	void *arg;
	simdisk *d;           /* the disk the writing pager runs on */
	replay r;             /* the writing pager */
	judge j;
	model cur, after;     /* state before the op in flight, and after it */
	const model_result *res; /* per op, from the first pass */
	size_t op;            /* op in flight */
	int in_op;            /* 0 at op ends */
	int stop;             /* --stop-on-first fired */
	uint32_t unit;
	size_t ps;
	uint64_t point;       /* next crash point index */
	uint8_t *scratch;     /* the image being judged; between points, the disk as of the last point */
	uint64_t scratch_len; /* bytes of scratch that mirror that disk (0: none yet) */
	size_t scratch_cap;   /* bytes allocated */
	uint64_t *dhash;      /* per unit: subsets_unit_hash of the disk bytes held in scratch */
	uint64_t base;        /* XOR of dhash over the file's units */
	uint64_t *pid;        /* per page: identity of the image's bytes of that page */
	size_t units_cap, pages_cap; /* entries allocated in dhash / pid */
	uint64_t *dirty, *rel, *delta;
	uint8_t *in_img;      /* per enumerated unit: scratch holds its cache bytes */
	size_t dirty_cap;
	uint8_t *relpage;     /* per page: recovery reads it */
	size_t relpage_cap;
	fmt_dir_ref *refs;
	fmt_entry *ents;
	struct dcache *dc;    /* mark_relevant's decodes, DCACHE_SLOTS of them */
	uint64_t dc_tick;     /* use counter (least recently used slot is replaced) */
	uint64_t case_key;    /* judge_case_key of the current case (0 before the first op) */
	idset seen[2];        /* identities at this point and the previous one */
	uint64_t seen_case[2]; /* case_key each set was filled under */
	int cur_set;
	int prev_same;        /* the previous point's identities count as judged here */
	group groups[MAX_GROUPS];
	size_t ngroups;
	/* the image being judged, for grouping: entries list[0..nrel) with mask[i] = 1 took
	 * their new bytes (src[i]: 0 the cache's, 1 the device's; src NULL: all the cache's) */
	const uint8_t *mask;
	const uint64_t *list;
	const uint8_t *src;
	size_t nrel;
	const dfault *fault;  /* the image's disk fault; NULL for a plain crash image */
	const char *fclass;   /* its class ("rot/meta"), "" for a plain image */
	const char *fstep;    /* the protocol step its signature names (NULL: end of op) */
	uint64_t ordinal;
	int image_fatal;
	unsigned image_seen;  /* CRASH_SAW_* bits of the verdicts of the image being judged */
	unsigned tally_mode;  /* the dfault_mode the image counts under (cfg->fstats) */
	size_t tally_step;    /* and its step row (crash_tally_step) */
	struct crash_faults *fx; /* --faults: the modes' state; NULL without */
	uint64_t dlen;        /* the length the last completed sync made durable (lost-size) */
	struct timespec t0;
	uint64_t last_progress;
} ctx;

/* ---- disk faults (--faults): crash_faults.c chooses, crash_variant.c builds and judges ---- */
typedef struct fcase {
	dfault_shadow sh;
	size_t last_op;       /* misdirect: dropped after the end of this op */
	size_t step;          /* crash_tally_step of the faulty sync */
	const char *step_name; /* its fault-point name */
	size_t op;            /* the op of the faulty sync */
	model before;         /* lying-sync: the model before that op */
	int have_before;
} fcase;

struct crash_faults {
	unsigned modes;
	uint32_t rot_budget;
	simdisk *view;         /* borrow-mode disk: the disk image opened for its read set */
	uint8_t *roles;        /* roles: the writing pager's, then (read set) the disk's */
	size_t roles_cap;
	uint64_t *rs;          /* read-set units of the disk at this point */
	size_t nrs, rs_cap;
	dfault_shadow next;    /* the sync in progress, as a lying sync (a template) */
	int spawn;             /* next has a completed sync whose cases are not made yet */
	size_t spawn_step;
	const char *spawn_name;
	fcase *cases;          /* live misdirect cases, then the live lying case */
	size_t ncases, cases_cap;
	/* the variant being enumerated */
	uint64_t *eu;          /* entries: unit */
	const uint8_t **eb;    /* bytes */
	uint8_t *esrc;         /* 0 cache, 1 device */
	uint64_t *eh;          /* hash of the bytes at the unit */
	const uint8_t **ebase; /* the unit's bytes without any entry (override or disk) */
	uint64_t *ebh;         /* their hash */
	uint64_t *ecur;        /* the hash scratch holds at the unit now */
	uint8_t *eon;          /* the mask */
	size_t ecap;
	uint64_t *ou;          /* overrides: unit, bytes, their hash, the hash scratch holds now */
	const uint8_t **ob;
	uint64_t *oh, *ocur;
	size_t ocap;
	uint8_t *garbage;      /* one unit of torn or rotten bytes */
	const uint8_t *wroles; /* the writing pager's page roles at this point, or NULL */
	char fclass[48];
	/* the image being judged (crash_variant.c) */
	const struct variant *v; /* its variant */
	uint64_t flen;         /* the file's length (v->len is the image's) */
	uint64_t npages;       /* pages of the file */
	judge_verdicts got, twin; /* its verdicts and its twins' */
};

/* One variant of a point: the disk with overrides (ou/ob, nover) plus any subset of
 * entries (eu/eb/esrc, nent, sorted by unit, the device's first) chosen by policy. */
struct variant {
	dfault f;
	const dfault_shadow *sh;  /* misdirect, lying-sync: the case (for its class) */
	size_t step;           /* tally row */
	const char *fstep;     /* the step the signature names: the crash point's, or the faulty
				* sync's (misdirect, lying-sync); NULL: end of op */
	uint64_t len;          /* image length */
	size_t nover, nent;
	enum { V_ONE, V_SUBSETS, V_TORN, V_ENDS } policy; /* V_ENDS: no entry, every entry */
	size_t torn_at;        /* V_TORN: entries [0, torn_at) lie before the torn unit */
};

/* A variant's entries are enumerated in full up to this many, else subsets.h's mix. */
#define CRASH_FAULT_EXHAUSTIVE 8u

/* crash_variant.c: judge every image of variant v (fx->ou/ob and fx->eu/eb/esrc filled,
 * scratch the disk) under case jc (case_key); scratch is the disk again afterwards. */
void crash_run_variant(ctx *c, const crash_point *at, const judge_case *jc, uint64_t case_key, variant *v);
/* crash_faults.c: the fault's class into fx->fclass. */
void crash_faults_classify(ctx *c, const variant *v);
/* crash.c: the finding groups' emit function (arg: the ctx). */
void crash_on_violation(void *arg, const char *verdict, const char *expected, const char *found);

/* What an image showed, for the detected / silent tally. */
#define CRASH_SAW_OPEN 1u       /* I-OPEN: recovery refused the file */
#define CRASH_SAW_CHECK 2u      /* a pager_check id */
#define CRASH_SAW_MODEL 4u      /* I-ATOMIC or I-DURABLE */
#define CRASH_SAW_SILENT 8u     /* I-SILENT */

/* crash.c: the row of crash_fault_stats.step for a fault point's name (NULL: end of op). */
size_t crash_tally_step(const char *step);
/* crash.c: the unit u of scratch now holds bytes whose hash differs from the last by
 * delta: update the page identities. */
void crash_flip_unit(ctx *c, uint64_t u, uint64_t delta, uint64_t npages);
/* crash.c: dedupe, judge and group the image in scratch (len bytes, identity id, the
 * grouping fields above set), as one state of the current point. jc: the case (the
 * point's), case_key its judge_case_key (an image judged
 * under another case than the point's needs an identity that says so). page_ids:
 * c->pid, or NULL to judge without the memo. */
void crash_try_image(ctx *c, uint64_t id, uint64_t len, const judge_case *jc, uint64_t case_key,
		     const uint64_t *page_ids);

/* crash_faults.c */
int crash_faults_new(ctx *c);      /* 0 or -1; c->fx stays NULL without --faults */
void crash_faults_free(ctx *c);
/* A sync is about to run / has run (before the point of that phase is visited). */
void crash_faults_sync(ctx *c, const simdisk_event *ev, simdisk_phase phase);
/* The extra images of the current point: scratch holds the disk, nrel enumerated
 * units in c->rel. Returns with scratch (and its identities) the disk again. */
void crash_faults_visit(ctx *c, const crash_point *at, const judge_case *jc, size_t nrel);
/* Judge the faulty image in scratch (c->fault set) next to its twins, emitting what the
 * fault caused (judge_fault_verdicts) through the finding groups. */
void crash_faults_judge(ctx *c, const judge_case *jc, uint64_t case_key, uint64_t len, const uint64_t *page_ids);
/* The end of an op's point was visited (cases that end with it are dropped). */
void crash_faults_op_done(ctx *c);
/* How many images the faults may add at a point (sizes the dedup set). */
uint64_t crash_faults_budget(const ctx *c, size_t nrel);

#endif
