/* test_matrix.c — the fault matrix (matrix.h): exact case counts, the seed pager's real
 * verdicts, planted misbehaviour in test-only I/O wrappers so that F-SILENT, F-ATOMIC and
 * F-STOP each fire where the seed alone gives none, shards that merge into the full run,
 * reports that parse, posix agreeing with simdisk, and lost writes. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tornpage/matrix.h"
#include "tornpage/oplog.h"
#include "pager.h"
#include "tornpage/report.h"
#include "tornpage/simdisk.h"
#include "support.h"

#if TORNPAGE_FIU
#include <fiu-control.h>
#include <fiu.h>
#endif

/* Hits, counted by hand (1 KiB pages, so a new file has 4 pages and only page 3 free):
 *   create 10   pager/create/open, create/set_len, create/map, create/sync   4
 *   alloc a     page 3, no growth: commit/meta_sync, commit/sb_sync          2
 *   fill a 1    no I/O                                                       0
 *   free a      commit/meta_sync, commit/sb_sync                             2
 *   reopen      close/unmap, close/close, open/open, open/size, open/map     5
 * 13 hits: 26 cases with both modes and one errno, 52 with two errnos. */
static const char LOG_TINY[] = "create 10\nalloc a\nfill a 1\nfree a\nreopen\n";

/* alloc b finds no free page: grow 4 -> 8 (grow/unmap, grow/set_len, grow/map), then its
 * commit; c, d, e take pages 5-7; f grows again 8 -> 16. */
static const char LOG_GROW[] = "create 10\nalloc a\nalloc b\nalloc c\nalloc d\nalloc e\nalloc f\n";

/* a's page 3 is filled and never synced (regular data carries no guarantee); palloc p
 * grows to 8 pages and takes 4-7 (two directory pages, two copies); each pwrite is a
 * protcommit/data_sync, then the directory commit. */
static const char LOG_PROT[] = "create 10\nalloc a\nfill a 7\npalloc p\npwrite p 9\npwrite p 11\n";

static oplog parse(const char *text)
{
	oplog log;
	cr_assert_eq(oplog_parse("test", text, strlen(text), &log, NULL, NULL), 0);
	return log;
}

/* ---- collecting results ----------------------------------------------------------- */

typedef struct seen_case {
	char point[64];
	uint64_t hit, ordinal;
	matrix_mode mode;
	int err;
	size_t op;
	int fired, rc;
	char ids[256]; /* verdict ids joined with spaces, with their op: "F-ATOMIC@1 ..." */
} seen_case;

typedef struct seen {
	seen_case c[512];
	size_t n;
	report rep;
	int use_rep;
	size_t li;
} seen;

static void on_result(void *arg, const oplog *log, const matrix_result *r)
{
	seen *s = arg;
	cr_assert_lt(s->n, sizeof s->c / sizeof s->c[0]);
	seen_case *c = &s->c[s->n++];
	snprintf(c->point, sizeof c->point, "%s", r->c.point);
	c->hit = r->c.hit;
	c->ordinal = r->ordinal;
	c->mode = r->c.mode;
	c->err = r->c.err;
	c->op = r->op;
	c->fired = r->fired;
	c->rc = r->rc;
	size_t n = 0;
	for (size_t i = 0; i < r->nv && n < sizeof c->ids; i++)
		n += (size_t)snprintf(c->ids + n, sizeof c->ids - n, "%s%s@%zu", n ? " " : "", r->v[i].id, r->v[i].op);
	if (s->use_rep)
		cr_assert_eq(report_add_result(&s->rep, s->li, log, r), 0);
}

/* 512-byte units, seed 1, everything else the matrix's defaults. */
static matrix_cfg cfg_base(void)
{
	matrix_cfg cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.unit = 512;
	cfg.seed = 1;
	return cfg;
}

/* Every case of text's matrix with cfg (its on_result is taken), in a new seen; when
 * name is given, also in the seen's report (the log called name). Free with seen_free. */
static seen *run_seen(const char *text, matrix_cfg cfg, const char *name, matrix_stats *st)
{
	seen *s = calloc(1, sizeof *s);
	cr_assert_not_null(s);
	cfg.on_result = on_result;
	cfg.result_arg = s;
	oplog log = parse(text);
	if (name) {
		s->use_rep = 1;
		cr_assert_eq(report_init(&s->rep, &cfg), 0);
		s->li = (size_t)report_add_log(&s->rep, name, log.nops);
	}
	uint64_t ordinal = 0;
	char msg[400];
	cr_assert_eq(matrix_run(&log, &cfg, &ordinal, st, msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(ordinal, st->cases);
	oplog_free(&log);
	return s;
}

static void seen_free(seen *s)
{
	if (s->use_rep)
		report_free(&s->rep);
	free(s);
}

static const seen_case *find(const seen *s, const char *point, uint64_t hit, matrix_mode mode)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->c[i].point, point) && s->c[i].hit == hit && s->c[i].mode == mode)
			return &s->c[i];
	cr_assert_fail("no case %s hit %llu %s", point, (unsigned long long)hit, matrix_mode_name(mode));
	return NULL;
}

/* One case from the start of the log; its verdicts as "ID@op ..." in out. Returns the
 * fatal count. */
typedef struct collected {
	char ids[512];
	size_t n;
} collected;

static void collect(void *arg, const char *verdict, size_t op, const char *expected, const char *found,
		    const char *fclass)
{
	collected *c = arg;
	(void)expected, (void)found, (void)fclass;
	c->n += (size_t)snprintf(c->ids + c->n, sizeof c->ids - c->n, "%s%s@%zu", c->n ? " " : "", verdict, op);
}

static int one_case(const char *text, const matrix_cfg *cfg, const char *point, uint64_t hit, matrix_mode mode,
		    collected *out)
{
	oplog log = parse(text);
	matrix_case c = {point, hit, mode, EIO, 0, 1, 0};
	char msg[400];
	memset(out, 0, sizeof *out);
	int r = matrix_run_case_ex(&log, cfg, &c, collect, out, msg, sizeof msg);
	cr_assert_geq(r, 0, "%s", msg);
	oplog_free(&log);
	return r;
}

/* Every case s saw in the full matrix of text gives the same verdicts alone (from the start
 * of the log, as a reproducer runs it). */
static void each_case_alone_gives_the_same(const char *text, const seen *s)
{
	oplog log = parse(text);
	for (size_t i = 0; i < s->n; i++) {
		collected v = {{0}, 0};
		matrix_case c = {s->c[i].point, s->c[i].hit, s->c[i].mode, s->c[i].err, 0,
				 matrix_case_seed(1, s->c[i].point, s->c[i].hit, s->c[i].mode, s->c[i].err), 0};
		cr_assert_geq(matrix_run_case(&log, 512, &c, collect, &v), 0);
		cr_assert_str_eq(v.ids, s->c[i].ids, "%s hit %llu %s", c.point, (unsigned long long)c.hit,
				 matrix_mode_name(c.mode));
	}
	oplog_free(&log);
}

static int has(const char *ids, const char *id)
{
	size_t n = strlen(id);
	for (const char *p = ids; (p = strstr(p, id)); p += n)
		if ((p == ids || p[-1] == ' ') && (p[n] == '@'))
			return 1;
	return 0;
}

/* ---- the plan ------------------------------------------------------------------- */

Test(matrix_plan, tiny_log_has_exactly_the_hand_counted_cases)
{
	support_need_fiu();
	matrix_stats st;
	seen *s = run_seen(LOG_TINY, cfg_base(), NULL, &st);
	cr_assert_eq(st.cases, 26);
	cr_assert_eq(st.run, 26);
	cr_assert_eq(s->n, 26);
	cr_assert_eq(st.unfired, 0);
	struct {
		const char *point;
		uint64_t hits;
		size_t op[2];
	} want[] = {
		{"pager/create/open", 1, {0}},     {"pager/create/set_len", 1, {0}}, {"pager/create/map", 1, {0}},
		{"pager/create/sync", 1, {0}},     {"pager/commit/meta_sync", 2, {1, 3}},
		{"pager/commit/sb_sync", 2, {1, 3}}, {"pager/close/unmap", 1, {4}}, {"pager/close/close", 1, {4}},
		{"pager/open/open", 1, {4}},       {"pager/open/size", 1, {4}},      {"pager/open/map", 1, {4}},
	};
	size_t total = 0;
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		for (uint64_t h = 1; h <= want[i].hits; h++) {
			for (int m = 0; m < 2; m++) {
				const seen_case *c = find(s, want[i].point, h, (matrix_mode)m);
				cr_assert_eq(c->op, want[i].op[h - 1], "%s hit %llu in op %zu", want[i].point,
					     (unsigned long long)h, c->op);
				cr_assert(c->fired);
				total++;
			}
		}
	}
	cr_assert_eq(total, 26);
	/* ordinals: 0..25, in execution order (op-major) */
	for (size_t i = 0; i < s->n; i++)
		cr_assert_eq(s->c[i].ordinal, i);
	seen_free(s);
}

Test(matrix_plan, errnos_and_modes_multiply_and_points_filter)
{
	support_need_fiu();
	matrix_cfg cfg = cfg_base();
	matrix_stats st;
	cfg.errs[0] = EIO;
	cfg.errs[1] = ENOSPC;
	cfg.nerrs = 2;
	seen *s = run_seen(LOG_TINY, cfg, NULL, &st);
	cr_assert_eq(st.cases, 52);
	/* the errno reaches the pager: pager_last_errno() behind PAGER_EIO */
	for (size_t i = 0; i < s->n; i++)
		if (s->c[i].rc == -1 && !strcmp(s->c[i].point, "pager/commit/meta_sync"))
			cr_assert(s->c[i].err == EIO || s->c[i].err == ENOSPC);
	seen_free(s);

	cfg = cfg_base();
	cfg.points = "pager/commit/*,pager/open/map";
	cfg.modes = 1u << MATRIX_PERSIST;
	s = run_seen(LOG_TINY, cfg, NULL, &st);
	cr_assert_eq(st.cases, 5); /* meta_sync x2, sb_sync x2, open/map x1; persist only */
	for (size_t i = 0; i < s->n; i++)
		cr_assert_eq(s->c[i].mode, MATRIX_PERSIST);
	seen_free(s);
}

/* ---- the seed's real behaviour --------------------------------------------------- */

Test(matrix_seed, failed_metadata_sync_keeps_the_bitmap_bit_f_atomic)
{
	support_need_fiu();
	matrix_cfg cfg = {0};
	collected v;
	/* alloc a: the bit of page 3 is set in memory before the commit; the failed
	 * msync returns PAGER_EIO but the bit and free_count stay changed. */
	cr_assert_gt(one_case(LOG_TINY, &cfg, "pager/commit/meta_sync", 1, MATRIX_ONCE, &v), 0);
	cr_assert(has(v.ids, "F-ATOMIC"), "%s", v.ids);
	cr_assert(!has(v.ids, "F-SILENT"), "%s", v.ids);
	cr_assert(strstr(v.ids, "F-ATOMIC@1"), "%s", v.ids);
	/* and the rest of the log is wrong: alloc b grows where the model does not */
	cr_assert_gt(one_case(LOG_GROW, &cfg, "pager/commit/meta_sync", 1, MATRIX_ONCE, &v), 0);
	cr_assert(strstr(v.ids, "F-ATOMIC@1"), "%s", v.ids);
	cr_assert(strstr(v.ids, "F-CONTINUE@2"), "%s", v.ids);
	/* persist: no continuation verdict (the disk is gone) */
	one_case(LOG_GROW, &cfg, "pager/commit/meta_sync", 1, MATRIX_PERSIST, &v);
	cr_assert(!has(v.ids, "F-CONTINUE"), "%s", v.ids);
}

Test(matrix_seed, ignored_munmap_error_in_grow_is_f_silent)
{
	support_need_fiu();
	matrix_cfg cfg = {0};
	collected v;
	cr_assert_eq(one_case(LOG_GROW, &cfg, "pager/grow/unmap", 1, MATRIX_ONCE, &v), 1);
	cr_assert_str_eq(v.ids, "F-SILENT@2");
	/* persist: the set_len after it fails too, so alloc b reports an error */
	one_case(LOG_GROW, &cfg, "pager/grow/unmap", 1, MATRIX_PERSIST, &v);
	cr_assert(!has(v.ids, "F-SILENT"), "%s", v.ids);
}

Test(matrix_seed, failed_remap_is_fail_stop_then_the_next_growth_revives_it_f_stop)
{
	support_need_fiu();
	matrix_cfg cfg = {0};
	collected v;
	/* alloc b: grow/map fails, the mapping is gone (Unavailable); alloc c grows again,
	 * maps the file and succeeds without a reopen. */
	cr_assert_gt(one_case(LOG_GROW, &cfg, "pager/grow/map", 1, MATRIX_ONCE, &v), 0);
	cr_assert_str_eq(v.ids, "F-STOP@3");
	/* persist: the revival's set_len fails too: the pager stays stopped */
	cr_assert_eq(one_case(LOG_GROW, &cfg, "pager/grow/map", 1, MATRIX_PERSIST, &v), 0, "%s", v.ids);
}

Test(matrix_seed, failed_protected_data_sync_is_clean)
{
	support_need_fiu();
	matrix_cfg cfg = {0};
	collected v;
	/* the pager returns before flipping the entry: nothing changed, the log goes on */
	cr_assert_eq(one_case(LOG_PROT, &cfg, "pager/protcommit/data_sync", 1, MATRIX_ONCE, &v), 0, "%s", v.ids);
	cr_assert_eq(v.n, 0, "%s", v.ids);
}

Test(matrix_seed, run_case_gives_what_the_matrix_gave)
{
	support_need_fiu();
	matrix_stats st;
	seen *s = run_seen(LOG_PROT, cfg_base(), NULL, &st);
	cr_assert_eq(st.run, s->n);
	each_case_alone_gives_the_same(LOG_PROT, s);
	/* a hit the log never reaches is an error, not an empty case */
	oplog log = parse(LOG_PROT);
	matrix_case c = {"pager/grow/map", 9, MATRIX_ONCE, EIO, 0, 1, 0};
	cr_assert_eq(matrix_run_case(&log, 512, &c, NULL, NULL), -1);
	c.point = "pager/no/such_point";
	c.hit = 1;
	cr_assert_eq(matrix_run_case(&log, 512, &c, NULL, NULL), -1);
	oplog_free(&log);
	seen_free(s);
}

/* ---- planted misbehaviour -------------------------------------------------------- */

/* A pager_io wrapped around the real one (simdisk) with one planted misbehaviour. The
 * fault fires in pio.c *before* the wrapper is called, so a wrapper cannot change what
 * the pager sees from the injected call itself; each plant works around that:
 *  - SWALLOW: its sync consults the fault point itself, as an I/O layer with its own
 *    libfiu points would, and swallows the failure: it returns 0 without syncing. Every
 *    sync then reaches its point twice (pio's hit, then the wrapper's): the even hits
 *    are the swallowed ones -> F-SILENT.
 *  - DROP_CACHE: told of a failed sync (pager_io.faulted), it drops every unsynced page
 *    of the file (cache := disk), as a kernel that invalidates a file's cache after an
 *    error would: the pager's visible regular data changes after a clean error ->
 *    F-ATOMIC, where the seed alone keeps its state.
 *  - CASCADE: told of a failed set_len, it fails the next map too (a device that keeps
 *    failing after a failure): grow's rollback cannot restore the mapping, the pager
 *    goes Unavailable, and the seed's next growth maps the file again without a reopen
 *    -> F-STOP, where the seed alone recovers from the failed set_len cleanly. */
enum plant { SWALLOW, DROP_CACHE, CASCADE, LATER_FAIL, SWALLOW_DROP, RECOVER, LIAR };

/* More plants, for the verdicts the seed alone never gives on small logs:
 *  - LATER_FAIL: told of a failed call, it fails the next sync it is asked for (the
 *    device fails once more, one op later): the continuation's op fails -> F-CONTINUE.
 *  - SWALLOW_DROP: SWALLOW, and the swallowed sync also drops every unsynced page
 *    (cache := disk): the op "succeeds" but its state is gone -> F-SILENT + F-CONTINUE
 *    at the faulted op.
 *  - RECOVER: told that a call the seed ignores failed (grow/unmap, grow/rollback_set_len),
 *    the device comes back: every libfiu pager point is disabled, so the rest of that
 *    op and every later one pass -> in persist mode a later op succeeds although a fault
 *    fired in it (F-SILENT), or a fail-stop pager grows and works again (F-STOP).
 *  - LIAR: protected data syncs return success without writing anything, also in the
 *    no-fault run: its durable images show I-PROT-CRC at the op boundaries, and a case's
 *    image showing the same is not the fault's doing (set aside, `preexisting`). */

typedef struct wrap {
	pager_io io;
	const pager_io *inner;
	enum plant plant;
	int fail_next_map;
	int fail_next_sync;
} wrap;

static wrap wraps[8];
static size_t nwraps;

static int w_open(void *ctx, const char *step, const char *path, int create, void **file)
{
	wrap *w = ctx;
	return w->inner->open(w->inner->ctx, step, path, create, file);
}
static int w_size(void *ctx, const char *step, void *file, uint64_t *len)
{
	wrap *w = ctx;
	return w->inner->size(w->inner->ctx, step, file, len);
}
static int w_set_len(void *ctx, const char *step, void *file, uint64_t len)
{
	wrap *w = ctx;
	return w->inner->set_len(w->inner->ctx, step, file, len);
}
static int w_map(void *ctx, const char *step, void *file, uint64_t len, uint8_t **addr)
{
	wrap *w = ctx;
	if (w->plant == CASCADE && w->fail_next_map) {
		w->fail_next_map = 0;
		return EIO;
	}
	return w->inner->map(w->inner->ctx, step, file, len, addr);
}
static int w_unmap(void *ctx, const char *step, void *file, uint8_t *addr, uint64_t len)
{
	wrap *w = ctx;
	return w->inner->unmap(w->inner->ctx, step, file, addr, len);
}
static void drop_cache(wrap *w)
{
	simdisk *d = w->inner->ctx; /* simdisk_io(d)->ctx == d */
	if (simdisk_len(d))
		memcpy(simdisk_cache_mut(d), simdisk_disk(d), (size_t)simdisk_len(d));
}

static int w_sync(void *ctx, const char *step, void *file, uint8_t *addr, uint64_t off, uint64_t len)
{
	wrap *w = ctx;
#if TORNPAGE_FIU
	if ((w->plant == SWALLOW || w->plant == SWALLOW_DROP) && fiu_fail(step)) {
		if (w->plant == SWALLOW_DROP)
			drop_cache(w);
		return 0; /* the planted bug: the error is swallowed, nothing is synced */
	}
#endif
	if (w->plant == LATER_FAIL && w->fail_next_sync) {
		w->fail_next_sync = 0;
		return EIO;
	}
	if (w->plant == LIAR && !strcmp(step, "pager/protcommit/data_sync"))
		return 0;
	return w->inner->sync(w->inner->ctx, step, file, addr, off, len);
}
static int w_close(void *ctx, const char *step, void *file)
{
	wrap *w = ctx;
	return w->inner->close(w->inner->ctx, step, file);
}
static void w_faulted(void *ctx, const char *step, void *file, uint64_t off, uint64_t len, int err)
{
	wrap *w = ctx;
	if (w->inner->faulted)
		w->inner->faulted(w->inner->ctx, step, file, off, len, err);
	if (w->plant == DROP_CACHE && len)
		drop_cache(w);
	if (w->plant == CASCADE && !strcmp(step, "pager/grow/set_len"))
		w->fail_next_map = 1;
	if (w->plant == LATER_FAIL)
		w->fail_next_sync = 1;
#if TORNPAGE_FIU
	if (w->plant == RECOVER && (!strcmp(step, "pager/grow/unmap") || !strcmp(step, "pager/grow/rollback_set_len"))) {
		size_t n;
		const pager_fault_point *pts = pager_fault_points(&n);
		for (size_t i = 0; i < n; i++)
			fiu_disable(pts[i].name);
	}
#endif
}

static const pager_io *wrap_io(void *arg, const pager_io *inner)
{
	/* three per matrix (dry run, replay, cases), none used after its matrix returns */
	wrap *w = &wraps[nwraps++ % (sizeof wraps / sizeof wraps[0])];
	w->inner = inner;
	w->plant = (enum plant)(intptr_t)arg;
	w->fail_next_map = 0;
	w->fail_next_sync = 0;
	w->io = (pager_io){.version = PAGER_IO_VERSION, .ctx = w, .open = w_open, .size = w_size,
			   .set_len = w_set_len, .map = w_map, .unmap = w_unmap, .sync = w_sync,
			   .close = w_close, .faulted = w_faulted};
	return &w->io;
}

/* The matrix's options with every pager on the I/O with plant. */
static matrix_cfg planted(enum plant plant)
{
	matrix_cfg cfg = {0};
	cfg.wrap_io = wrap_io;
	cfg.wrap_arg = (void *)(intptr_t)plant;
	return cfg;
}

/* Case (point, hit, mode) of text alone on the I/O with plant: at least one fatal
 * verdict, its verdicts in out; the same case on the plain I/O gives none. */
static void planted_case(enum plant plant, const char *text, const char *point, uint64_t hit, matrix_mode mode,
			 collected *out)
{
	matrix_cfg cfg = planted(plant), plain = {0};
	collected v;
	cr_assert_gt(one_case(text, &cfg, point, hit, mode, out), 0, "%s", out->ids);
	cr_assert_eq(one_case(text, &plain, point, hit, mode, &v), 0, "%s", v.ids);
}

Test(matrix_planted, a_wrapper_that_swallows_a_sync_error_is_f_silent)
{
	support_need_fiu();
	matrix_cfg cfg = planted(SWALLOW);
	collected v;
	/* alloc a's metadata sync reaches pager/commit/meta_sync twice: hit 1 is pio's
	 * (reported: the seed's F-ATOMIC), hit 2 the wrapper's (swallowed). */
	one_case(LOG_TINY, &cfg, "pager/commit/meta_sync", 1, MATRIX_ONCE, &v);
	cr_assert(!has(v.ids, "F-SILENT"), "%s", v.ids);
	cr_assert(has(v.ids, "F-ATOMIC"), "%s", v.ids);
	cr_assert_gt(one_case(LOG_TINY, &cfg, "pager/commit/meta_sync", 2, MATRIX_ONCE, &v), 0);
	cr_assert(strstr(v.ids, "F-SILENT@1"), "%s", v.ids);
	/* the dry run counted the doubled hits: free a's sync is hits 3 and 4 */
	one_case(LOG_TINY, &cfg, "pager/commit/meta_sync", 4, MATRIX_ONCE, &v);
	cr_assert(strstr(v.ids, "F-SILENT@3"), "%s", v.ids);
	/* without the wrapper, hit 2 is free a's metadata sync: reported, no F-SILENT */
	matrix_cfg plain = {0};
	one_case(LOG_TINY, &plain, "pager/commit/meta_sync", 2, MATRIX_ONCE, &v);
	cr_assert(!has(v.ids, "F-SILENT"), "%s", v.ids);
}

Test(matrix_planted, a_wrapper_that_drops_the_cache_on_error_is_f_atomic)
{
	support_need_fiu();
	collected v;
	/* pwrite p 9's data sync fails: the seed keeps its state, but the wrapper dropped
	 * a's never-synced page 3: its fill is gone. */
	planted_case(DROP_CACHE, LOG_PROT, "pager/protcommit/data_sync", 1, MATRIX_ONCE, &v);
	cr_assert(strstr(v.ids, "F-ATOMIC@4"), "%s", v.ids);
}

Test(matrix_planted, a_wrapper_that_keeps_failing_makes_the_pager_stop_then_f_stop)
{
	support_need_fiu();
	collected v;
	/* alloc b: grow/set_len fails, the wrapper fails the restore map: Unavailable;
	 * alloc c grows and succeeds with no reopen */
	planted_case(CASCADE, LOG_GROW, "pager/grow/set_len", 1, MATRIX_ONCE, &v);
	cr_assert_str_eq(v.ids, "F-STOP@3");
}

/* ---- continuation, lost writes, posix -------------------------------------------- */

Test(matrix_continue, continue_bounds_the_ops_run_after_the_fault)
{
	support_need_fiu();
	matrix_cfg cfg = cfg_base();
	matrix_stats st;
	cfg.points = "pager/create/sync";
	cfg.modes = 1u << MATRIX_ONCE;
	cfg.cont = 2;
	cfg.cont_set = 1;
	seen *s = run_seen(LOG_GROW, cfg, "grow", &st);
	cr_assert_eq(s->rep.ncases, 1);
	cr_assert_eq(s->rep.cases[0].continued, 0); /* a failed create has no continuation */
	seen_free(s);

	cfg.points = "pager/commit/sb_sync";
	s = run_seen(LOG_PROT, cfg, "prot", &st);
	for (size_t i = 0; i < s->rep.ncases; i++)
		cr_assert_leq(s->rep.cases[i].continued, 2);
	seen_free(s);
}

Test(matrix_lost_writes, a_failed_page0_sync_that_persists_part_of_it_breaks_open)
{
	support_need_fiu();
	/* Page 0 (1 KiB) is two 512-byte units; a failed directory-commit sync of it that
	 * persists unit 0 but not unit 1 leaves an index whose CRC does not match: the
	 * image does not open. Without lost writes a failed sync persists nothing. */
	int with = 0, without = 0;
	for (uint64_t seed = 1; seed <= 8; seed++) {
		for (int lw = 0; lw < 2; lw++) {
			matrix_cfg cfg = cfg_base();
			matrix_stats st;
			cfg.points = "pager/dircommit/sb_sync";
			cfg.lost_writes = lw;
			cfg.seed = seed;
			seen *s = run_seen(LOG_PROT, cfg, "prot", &st);
			for (size_t i = 0; i < s->rep.ncases; i++)
				for (size_t k = 0; k < s->rep.cases[i].nv; k++)
					if (!strcmp(s->rep.cases[i].v[k].id, "I-OPEN") && !strcmp(s->rep.cases[i].v[k].at, "fault"))
						*(lw ? &with : &without) += 1;
			seen_free(s);
		}
	}
	cr_assert_gt(with, 0);
	cr_assert_eq(without, 0);
}

Test(matrix_lost_writes, the_same_seed_gives_the_same_verdicts)
{
	support_need_fiu();
	matrix_cfg cfg = cfg_base();
	matrix_stats st;
	cfg.lost_writes = 1;
	cfg.seed = 7;
	seen *a = run_seen(LOG_PROT, cfg, NULL, &st), *b = run_seen(LOG_PROT, cfg, NULL, &st);
	cr_assert_eq(a->n, b->n);
	for (size_t i = 0; i < a->n; i++)
		cr_assert_str_eq(a->c[i].ids, b->c[i].ids);
	seen_free(a);
	seen_free(b);
}

/* F-* ids only: posix has no durable-image judging. */
static void f_only(const char *ids, char *out, size_t n)
{
	size_t k = 0;
	out[0] = 0;
	for (const char *p = ids; *p;) {
		size_t len = strcspn(p, " ");
		if (p[0] == 'F' && p[1] == '-')
			k += (size_t)snprintf(out + k, n - k, "%s%.*s", k ? " " : "", (int)len, p);
		p += len + (p[len] == ' ');
	}
}

Test(matrix_posix, real_files_give_the_same_fault_verdicts_as_simdisk)
{
	support_need_fiu();
	const char *logs[] = {LOG_GROW, LOG_PROT, LOG_TINY};
	for (size_t l = 0; l < 3; l++) {
		matrix_cfg posix = cfg_base();
		matrix_stats sa, sb;
		posix.posix = 1;
		seen *a = run_seen(logs[l], cfg_base(), NULL, &sa), *b = run_seen(logs[l], posix, NULL, &sb);
		cr_assert_eq(sa.cases, sb.cases);
		cr_assert_eq(a->n, b->n);
		int fstar = 0;
		for (size_t i = 0; i < a->n; i++) {
			char fa[256], fb[256];
			f_only(a->c[i].ids, fa, sizeof fa);
			f_only(b->c[i].ids, fb, sizeof fb);
			cr_assert_str_eq(a->c[i].point, b->c[i].point);
			cr_assert_eq(a->c[i].rc, b->c[i].rc, "%s hit %llu", a->c[i].point, (unsigned long long)a->c[i].hit);
			cr_assert_str_eq(fa, fb, "%s hit %llu %s", a->c[i].point, (unsigned long long)a->c[i].hit,
					 matrix_mode_name(a->c[i].mode));
			fstar += fa[0] != 0;
			cr_assert(!strstr(b->c[i].ids, "I-"), "posix judged an image: %s", b->c[i].ids);
		}
		cr_assert_gt(fstar, 0);
		seen_free(a);
		seen_free(b);
	}
}

/* ---- shards, merge and report files ------------------------------------------------- */

/* Two logs, one with a name reports must escape, run with lost writes and seed 3. */
static const char *const shard_names[2] = {"logs/grow.log", "logs/prot & <tiny>.log"};
static const char *const shard_texts[2] = {LOG_GROW, LOG_PROT};

static matrix_cfg shard_cfg(void)
{
	matrix_cfg cfg = cfg_base();
	cfg.seed = 3;
	cfg.lost_writes = 1;
	return cfg;
}

/* A full report of both logs, with cfg's shard. */
static void run_report(const matrix_cfg *cfg, report *rep)
{
	seen *s = calloc(1, sizeof *s);
	matrix_cfg c = *cfg;
	c.on_result = on_result;
	c.result_arg = s;
	s->use_rep = 1;
	cr_assert_eq(report_init(&s->rep, &c), 0);
	uint64_t ordinal = 0;
	for (int i = 0; i < 2; i++) {
		oplog log = parse(shard_texts[i]);
		matrix_stats st;
		char msg[400];
		s->li = (size_t)report_add_log(&s->rep, shard_names[i], log.nops);
		cr_assert_eq(matrix_run(&log, &c, &ordinal, &st, msg, sizeof msg), 0, "%s", msg);
		s->rep.logs[s->li].cases = st.cases;
		s->rep.logs[s->li].seconds = st.seconds;
		s->rep.seconds += st.seconds;
		oplog_free(&log);
	}
	*rep = s->rep;
	free(s);
}

Test(matrix_shards, merged_shards_equal_one_full_run, .init = support_setup, .fini = support_teardown)
{
	support_need_fiu();
	matrix_cfg cfg = shard_cfg();
	report full, back, merged;
	run_report(&cfg, &full);
	char path[1024], msg[400];
	snprintf(path, sizeof path, "%s", support_path("full.json"));
	cr_assert_eq(report_save(&full, path, report_write_json), 0);
	cr_assert_eq(report_read_json(path, &back, msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(report_cases_equal(&full, &back, msg, sizeof msg), 0, "%s", msg);
	cr_assert(report_complete(&back));

	const uint32_t N = 3;
	for (uint32_t i = 0; i < N; i++) {
		report part, read;
		cfg.shard = i;
		cfg.nshards = N;
		run_report(&cfg, &part);
		cr_assert_lt(part.ncases, full.ncases);
		for (size_t k = 0; k < part.ncases; k++)
			cr_assert_eq(part.cases[k].ordinal % N, i);
		snprintf(path, sizeof path, "%s/shard%u.json", support_dir, i);
		cr_assert_eq(report_save(&part, path, report_write_json), 0);
		report_free(&part);
		cr_assert_eq(report_read_json(path, &read, msg, sizeof msg), 0, "%s", msg);
		if (i == 0) {
			merged = read;
			cr_assert(!report_complete(&merged));
			continue;
		}
		cr_assert_eq(report_merge(&merged, &read, msg, sizeof msg), 0, "%s", msg);
		/* a shard cannot be merged twice */
		cr_assert_neq(report_merge(&merged, &read, msg, sizeof msg), 0);
		report_free(&read);
	}
	cr_assert(report_complete(&merged));
	cr_assert_eq(report_cases_equal(&full, &merged, msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(report_cases_equal(&back, &merged, msg, sizeof msg), 0, "%s", msg);

	/* another run's report does not merge */
	report other;
	cfg.seed = 4;
	cfg.shard = 0;
	cfg.nshards = 0;
	run_report(&cfg, &other);
	cr_assert_neq(report_merge(&merged, &other, msg, sizeof msg), 0);
	report_free(&other);

	cr_assert_eq(report_save(&merged, support_path("merged.md"), report_write_md), 0);
	report_free(&full);
	report_free(&back);
	report_free(&merged);
}

Test(matrix_shards, merged_junit_parses_as_xml_with_one_testcase_per_case, .init = support_setup,
     .fini = support_teardown)
{
	support_need_fiu();
	if (system("command -v xmllint >/dev/null 2>&1"))
		cr_skip_test("xmllint not installed (libxml2-utils)");
	matrix_cfg cfg = shard_cfg();
	report merged;
	char path[1024], msg[400];
	for (uint32_t i = 0; i < 2; i++) {
		report part;
		cfg.shard = i;
		cfg.nshards = 2;
		run_report(&cfg, &part);
		if (i == 0) {
			merged = part;
			continue;
		}
		cr_assert_eq(report_merge(&merged, &part, msg, sizeof msg), 0, "%s", msg);
		report_free(&part);
	}
	snprintf(path, sizeof path, "%s", support_path("merged.xml"));
	cr_assert_eq(report_save(&merged, path, report_write_junit), 0);
	char cmd[3000];
	snprintf(cmd, sizeof cmd, "xmllint --noout '%s'", path);
	cr_assert_eq(system(cmd), 0, "xmllint rejects %s", path);
	snprintf(cmd, sizeof cmd, "test \"$(xmllint --xpath 'count(//testcase)' '%s')\" = %zu", path, merged.ncases);
	cr_assert_eq(system(cmd), 0, "testcase count");
	snprintf(cmd, sizeof cmd,
		 "test \"$(xmllint --xpath 'count(//testcase[failure])' '%s')\" -gt 0 && "
		 "xmllint --xpath 'string(//testsuite[2]/@name)' '%s' | grep -q 'prot & <tiny>.log'",
		 path, path);
	cr_assert_eq(system(cmd), 0, "failures and the escaped suite name");
	report_free(&merged);
}

/* ---- every check can fail: one case, in full ----------------------------------------- */

typedef struct one_result {
	char ids[1024]; /* "ID@op:at ..." */
	size_t continued, preexisting;
	int converged, fail_stop, rc, found;
} one_result;

typedef struct one_want {
	const char *point;
	uint64_t hit;
	one_result *out;
} one_want;

static void on_one(void *arg, const oplog *log, const matrix_result *r)
{
	one_want *w = arg;
	(void)log;
	if (strcmp(r->c.point, w->point) || r->c.hit != w->hit)
		return;
	one_result *o = w->out;
	o->found = 1;
	o->continued = r->continued;
	o->preexisting = r->preexisting;
	o->converged = r->converged;
	o->fail_stop = r->fail_stop;
	o->rc = r->rc;
	size_t n = 0;
	for (size_t i = 0; i < r->nv && n < sizeof o->ids; i++)
		n += (size_t)snprintf(o->ids + n, sizeof o->ids - n, "%s%s@%zu:%s", n ? " " : "", r->v[i].id, r->v[i].op,
				      matrix_at_name(r->v[i].at));
}

/* Case (point, hit, mode) of the whole matrix of text (only that point and mode run). */
static one_result full_case(const char *text, matrix_cfg cfg, const char *point, uint64_t hit, matrix_mode mode)
{
	one_result o;
	memset(&o, 0, sizeof o);
	one_want w = {point, hit, &o};
	cfg.points = point;
	cfg.modes = 1u << mode;
	cfg.on_result = on_one;
	cfg.result_arg = &w;
	if (!cfg.unit)
		cfg.unit = 512;
	if (!cfg.seed)
		cfg.seed = 1;
	oplog log = parse(text);
	uint64_t ord = 0;
	matrix_stats st;
	char msg[400];
	cr_assert_eq(matrix_run(&log, &cfg, &ord, &st, msg, sizeof msg), 0, "%s", msg);
	cr_assert(o.found, "no case %s hit %llu %s", point, (unsigned long long)hit, matrix_mode_name(mode));
	oplog_free(&log);
	return o;
}

/* Is tok one of the space-separated tokens of ids? */
static int has_tok(const char *ids, const char *tok)
{
	size_t n = strlen(tok);
	for (const char *p = ids; (p = strstr(p, tok)); p += n)
		if ((p == ids || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return 1;
	return 0;
}

/* pwrite p 9's data sync fails cleanly (op 4); then b is allocated, filled, freed. */
static const char LOG_LONG[] = "create 10\nalloc a\nfill a 7\npalloc p\npwrite p 9\npwrite p 11\n"
			       "alloc b\nfill b 2\nfree b\n";

Test(matrix_continue, a_continuation_op_that_fails_is_f_continue)
{
	support_need_fiu();
	collected v;
	/* op 4's data sync fails cleanly; the device fails pwrite p 11's data sync too */
	planted_case(LATER_FAIL, LOG_PROT, "pager/protcommit/data_sync", 1, MATRIX_ONCE, &v);
	cr_assert_str_eq(v.ids, "F-CONTINUE@5");
}

Test(matrix_continue, a_silent_success_that_loses_its_state_is_f_continue_at_the_faulted_op)
{
	support_need_fiu();
	matrix_cfg cfg = planted(SWALLOW_DROP);
	collected v;
	/* hit 2 of the data sync is the wrapper's own, in pwrite p 9 (op 4): swallowed, and
	 * the page cache dropped: op 4 succeeds, a's fill and p's new content are gone */
	cr_assert_gt(one_case(LOG_PROT, &cfg, "pager/protcommit/data_sync", 2, MATRIX_ONCE, &v), 0);
	cr_assert(strstr(v.ids, "F-SILENT@4"), "%s", v.ids);
	cr_assert(strstr(v.ids, "F-CONTINUE@4"), "%s", v.ids);
}

Test(matrix_continue, continue_caps_the_ops_run_after_the_fault_and_the_default_is_the_rest)
{
	support_need_fiu();
	matrix_cfg cfg = {0};
	one_result o = full_case(LOG_LONG, cfg, "pager/protcommit/data_sync", 1, MATRIX_ONCE);
	cr_assert_str_eq(o.ids, "");
	cr_assert_eq(o.continued, 4, "ops 5..8: the rest of the log");
	cr_assert(!o.converged);
	cfg.cont = 2;
	cfg.cont_set = 1;
	o = full_case(LOG_LONG, cfg, "pager/protcommit/data_sync", 1, MATRIX_ONCE);
	cr_assert_eq(o.continued, 2);
	cfg.cont = 0; /* --continue 0: the rest of the log */
	o = full_case(LOG_LONG, cfg, "pager/protcommit/data_sync", 1, MATRIX_ONCE);
	cr_assert_eq(o.continued, 4);
}

Test(matrix_continue, ops_on_a_handle_whose_alloc_failed_are_skipped)
{
	support_need_fiu();
	/* alloc b grows; the failed set_len is clean: b does not exist, so fill b and free b
	 * are skipped and alloc c runs (and grows) */
	static const char log[] = "create 10\nalloc a\nalloc b\nfill b 3\nfree b\nalloc c\n";
	matrix_cfg cfg = {0};
	one_result o = full_case(log, cfg, "pager/grow/set_len", 1, MATRIX_ONCE);
	cr_assert_str_eq(o.ids, "");
	cr_assert_eq(o.continued, 1);
	collected v;
	cr_assert_eq(one_case(log, &cfg, "pager/grow/set_len", 1, MATRIX_ONCE, &v), 0, "%s", v.ids);
}

Test(matrix_continue, a_failed_reopen_is_followed_by_opening_the_file)
{
	support_need_fiu();
	/* every point of LOG_TINY's reopen fails once: the file opens again (or the close's
	 * error is all) and holds the state before: nothing to report */
	const char *points[] = {"pager/close/unmap", "pager/close/close", "pager/open/open", "pager/open/size",
				"pager/open/map"};
	matrix_cfg cfg = {0};
	for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
		one_result o = full_case(LOG_TINY, cfg, points[i], 1, MATRIX_ONCE);
		cr_assert_str_eq(o.ids, "", "%s: %s", points[i], o.ids);
		cr_assert_neq(o.rc, 0, "%s: the reopen fails", points[i]);
	}
	/* with ops after it: they run on the file opened again, as the no-fault run did (the
	 * case rejoins it: nothing left to check) */
	static const char log[] = "create 10\nalloc a\nfill a 1\nreopen\nfree a\nalloc b\n";
	one_result o = full_case(log, cfg, "pager/open/map", 1, MATRIX_ONCE);
	cr_assert_str_eq(o.ids, "");
	cr_assert(o.converged);
	collected v;
	cr_assert_eq(one_case(log, &cfg, "pager/open/map", 1, MATRIX_ONCE, &v), 0, "%s", v.ids);
	cr_assert_eq(v.n, 0, "%s", v.ids);
}

/* Every case of a log with reopens gives the same verdicts in the full matrix (which
 * stops a case that rejoins the no-fault run) as alone (which runs it to the end). */
Test(matrix_continue, rejoining_the_no_fault_run_changes_no_verdict)
{
	support_need_fiu();
	static const char log[] = "create 10\nalloc a\nfill a 1\npalloc p\npwrite p 2\nreopen\nalloc b\nfill b 3\n"
				  "free a\npwrite p 4\nreopen\npfree p\nalloc c\nreopen\nfree b\n";
	matrix_stats st;
	seen *s = run_seen(log, cfg_base(), NULL, &st);
	each_case_alone_gives_the_same(log, s);
	seen_free(s);
	matrix_cfg plain = {0};
	one_result o = full_case(log, plain, "pager/open/open", 1, MATRIX_ONCE);
	cr_assert(o.converged, "the reopen that fails once rejoins the no-fault run");
	cr_assert_eq(o.continued, 0);
}

Test(matrix_persist, a_later_op_that_fails_and_keeps_its_change_is_f_atomic)
{
	support_need_fiu();
	/* persist: pwrite q 1's data sync fails (cleanly), the disk is gone; pfree q's
	 * directory commit fails too, but the seed has freed the entry in memory */
	static const char log[] = "create 10\npalloc q\npwrite q 1\npfree q\n";
	matrix_cfg cfg = {0};
	collected v;
	cr_assert_gt(one_case(log, &cfg, "pager/protcommit/data_sync", 1, MATRIX_PERSIST, &v), 0);
	cr_assert_str_eq(v.ids, "F-ATOMIC@3");
	/* once: pfree q runs on a working disk */
	cr_assert_eq(one_case(log, &cfg, "pager/protcommit/data_sync", 1, MATRIX_ONCE, &v), 0, "%s", v.ids);
}

Test(matrix_persist, a_later_op_that_succeeds_although_a_fault_fired_is_f_silent)
{
	support_need_fiu();
	matrix_cfg cfg = planted(RECOVER);
	collected v;
	/* persist from alloc a's metadata sync (F-ATOMIC: the bit stays set); alloc b finds
	 * no free page and grows: its munmap fails (ignored by the seed), the device comes
	 * back, and alloc b succeeds although a fault fired in it */
	cr_assert_gt(one_case(LOG_GROW, &cfg, "pager/commit/meta_sync", 1, MATRIX_PERSIST, &v), 0);
	cr_assert(strstr(v.ids, "F-ATOMIC@1"), "%s", v.ids);
	cr_assert(strstr(v.ids, "F-SILENT@2"), "%s", v.ids);
	matrix_cfg plain = {0};
	one_case(LOG_GROW, &plain, "pager/commit/meta_sync", 1, MATRIX_PERSIST, &v);
	cr_assert(!has(v.ids, "F-SILENT"), "%s", v.ids);
}

Test(matrix_persist, a_fail_stop_pager_that_works_again_is_f_stop)
{
	support_need_fiu();
	collected v;
	/* alloc b: grow/map fails (persist from here), the rollback's set_len too (ignored),
	 * the pager is Unavailable; the device comes back and alloc c grows and succeeds
	 * with no reopen */
	planted_case(RECOVER, LOG_GROW, "pager/grow/map", 1, MATRIX_PERSIST, &v);
	cr_assert_str_eq(v.ids, "F-STOP@3");
}

Test(matrix_images, both_durable_images_are_judged_without_lost_writes)
{
	support_need_fiu();
	/* persist from palloc p's directory sync: the metadata commit had doubled the file
	 * (page_count 8 on disk, no directory); alloc a fails on the dead disk */
	static const char log[] = "create 10\npalloc p\nalloc a\n";
	matrix_cfg cfg = {0};
	one_result o = full_case(log, cfg, "pager/dircommit/dir_sync", 1, MATRIX_PERSIST);
	cr_assert(has_tok(o.ids, "F-ATOMIC@1:op"), "%s", o.ids);
	cr_assert(has_tok(o.ids, "I-ATOMIC@1:fault"), "the image at the fault: %s", o.ids);
	cr_assert(has_tok(o.ids, "I-DURABLE@2:end"), "the image after the continuation: %s", o.ids);
	cfg.no_images = 1;
	o = full_case(log, cfg, "pager/dircommit/dir_sync", 1, MATRIX_PERSIST);
	cr_assert_str_eq(o.ids, "F-ATOMIC@1:op");
}

Test(matrix_images, verdicts_the_no_fault_image_shows_too_are_set_aside)
{
	support_need_fiu();
	matrix_cfg cfg = planted(LIAR);
	/* pwrite p 11's directory commit fails at its superblock sync: the image at the fault
	 * selects the directory page of pwrite p 9, whose copy the lying disk never wrote —
	 * as the no-fault image after op 4 does */
	one_result o = full_case(LOG_PROT, cfg, "pager/dircommit/sb_sync", 3, MATRIX_ONCE);
	cr_assert_gt(o.preexisting, 0, "%s", o.ids);
	cr_assert(!strstr(o.ids, "I-PROT-CRC"), "%s", o.ids);
	/* the same image on an honest disk has nothing to set aside */
	matrix_cfg plain = {0};
	o = full_case(LOG_PROT, plain, "pager/dircommit/sb_sync", 3, MATRIX_ONCE);
	cr_assert_eq(o.preexisting, 0, "%s", o.ids);
}

Test(matrix_lost_writes, every_subset_of_the_failed_sync_is_judged_whatever_the_seed)
{
	support_need_fiu();
	/* palloc p's directory commit fails at its page 0 sync (two 512-byte units): the
	 * subset with unit 0 only is a torn index, I-OPEN. One seeded subset per case would
	 * find it for some seeds only; every subset is judged, so every seed finds it. */
	for (uint64_t seed = 1; seed <= 8; seed++) {
		matrix_cfg cfg = {0};
		cfg.lost_writes = 1;
		cfg.seed = seed;
		one_result o = full_case(LOG_PROT, cfg, "pager/dircommit/sb_sync", 1, MATRIX_ONCE);
		cr_assert(has_tok(o.ids, "I-OPEN@3:fault"), "seed %llu: %s", (unsigned long long)seed, o.ids);
	}
}

Test(matrix_continue, a_case_rejoins_only_if_its_disk_is_the_no_fault_one)
{
	support_need_fiu();
	matrix_cfg cfg = planted(SWALLOW);
	/* alloc a's metadata sync is swallowed (hit 2, the wrapper's): the pager and the
	 * model agree, and after the reopen so do the caches — but the durable metadata is
	 * not the no-fault run's. The case must go on, and its end image shows it. */
	static const char log[] = "create 10\nalloc a\nreopen\nfill a 1\n";
	one_result o = full_case(log, cfg, "pager/commit/meta_sync", 2, MATRIX_ONCE);
	cr_assert(!o.converged, "%s", o.ids);
	cr_assert(has_tok(o.ids, "F-SILENT@1:op"), "%s", o.ids);
	cr_assert(strstr(o.ids, ":end"), "the end image is judged: %s", o.ids);
	cr_assert_eq(o.continued, 2);
}

/* simdisk_restore (the matrix's restore between cases) leaves the case disk exactly as a
 * full simdisk_copy would, given the ranges the case synced or failed to sync. */
static void same_disk(const simdisk *a, const simdisk *b)
{
	cr_assert_eq(simdisk_len(a), simdisk_len(b));
	cr_assert_eq(simdisk_sync_count(a), simdisk_sync_count(b));
	cr_assert_eq(memcmp(simdisk_cache(a), simdisk_cache(b), (size_t)simdisk_len(a)), 0, "cache");
	cr_assert_eq(memcmp(simdisk_disk(a), simdisk_disk(b), (size_t)simdisk_len(a)), 0, "disk");
	cr_assert_eq(simdisk_lost(a, NULL, 0), simdisk_lost(b, NULL, 0));
	cr_assert_eq(simdisk_dirty(a, NULL, 0), simdisk_dirty(b, NULL, 0));
}

Test(matrix_snapshot, restoring_by_what_changed_equals_a_full_copy)
{
	simdisk *src = simdisk_new(512), *dst = simdisk_new(512);
	const pager_io *io = simdisk_io(src);
	void *f;
	uint8_t *map;
	cr_assert_eq(io->open(io->ctx, "t", "x", 1, &f), 0);
	cr_assert_eq(io->set_len(io->ctx, "t", f, 8192), 0);
	cr_assert_eq(io->map(io->ctx, "t", f, 8192, &map), 0);
	memset(map, 1, 8192);
	cr_assert_eq(io->sync(io->ctx, "t", f, map, 0, 4096), 0); /* half durable */
	memset(map + 1000, 2, 100);                              /* and a dirty unit */
	cr_assert_eq(simdisk_copy(dst, src), 0);
	same_disk(dst, src);
	/* the case: stores, a sync, a failed sync that loses part of its range */
	const pager_io *dio = simdisk_io(dst);
	void *g;
	uint8_t *dm;
	cr_assert_eq(dio->open(dio->ctx, "t", "x", 0, &g), 0);
	cr_assert_eq(dio->map(dio->ctx, "t", g, 8192, &dm), 0);
	memset(dm + 5000, 3, 2000);
	cr_assert_eq(dio->sync(dio->ctx, "t", g, dm, 4096, 4096), 0);
	memset(dm, 4, 1024);
	simdisk_fail_sync(dst, 0, 1024, 7, 0);
	memset(dm + 7000, 5, 10); /* a store nobody syncs */
	simdisk_process_exit(dst);
	uint64_t ranges[] = {4096, 4096, 0, 1024};
	cr_assert_eq(simdisk_restore(dst, src, ranges, 2), 0);
	same_disk(dst, src);
	/* a case that resized the file: restored in full */
	cr_assert_eq(dio->open(dio->ctx, "t", "x", 0, &g), 0);
	cr_assert_eq(dio->set_len(dio->ctx, "t", g, 16384), 0);
	cr_assert_eq(dio->set_len(dio->ctx, "t", g, 8192), 0);
	simdisk_process_exit(dst);
	cr_assert_eq(simdisk_restore(dst, src, NULL, 0), 0);
	same_disk(dst, src);
	simdisk_free(src);
	simdisk_free(dst);
}
