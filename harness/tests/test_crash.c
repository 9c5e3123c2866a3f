/* test_crash.c — the crash loop (crash.h): crash points, images generated and judged,
 * the K bound and the seeded mix, reproducibility, dedup, a planted bug in the I/O
 * layer that the judge must catch, the unit-relevance reduction, and the judge's memo
 * (same findings with and without it). Counts are reasoned from the commit protocol
 * (docs/FORMAT.md in shared, pager.c) in the comments. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tornpage/crash.h"
#include "tornpage/oplog.h"
#include "pager.h"

static oplog parse(const char *text)
{
	oplog log;
	cr_assert_eq(oplog_parse("t.log", text, strlen(text), &log, NULL, NULL), 0, "bad test log");
	return log;
}

static oplog load(const char *name)
{
	char path[512];
	oplog log;
	snprintf(path, sizeof path, "%s/corpus/oplogs/%s", TORNPAGE_SOURCE_DIR, name);
	cr_assert_eq(oplog_load(path, &log, NULL, NULL), 0, "cannot load %s", path);
	return log;
}

static crash_cfg cfg_of(uint32_t unit, uint32_t k, uint32_t samples, uint64_t seed)
{
	crash_cfg cfg = {.unit = unit, .sub = {k, samples, seed}};
	return cfg;
}

/* Every finding, one line each, in order: a run's observable result. */
typedef struct text {
	char *s;
	size_t n, cap;
	size_t count;
} text;

static void text_add(text *t, const char *line)
{
	size_t l = strlen(line);
	if (t->n + l + 1 > t->cap) {
		t->cap = 2 * (t->n + l + 1);
		t->s = realloc(t->s, t->cap);
		cr_assert_not_null(t->s);
	}
	memcpy(t->s + t->n, line, l + 1);
	t->n += l;
}

static void on_finding(void *arg, const crash_finding *f)
{
	text *t = arg;
	char line[2048];
	int o = snprintf(line, sizeof line, "%s fatal=%d op=%zu %s sync=%u step=%s states=%" PRIu64 " subset=%" PRIu64
			 " of %zu units:", f->verdict, f->fatal, f->at.op, crash_phase_name(f->at.phase), f->at.sync,
			 f->at.step ? f->at.step : "-", f->states, f->subset, f->ndirty);
	for (size_t i = 0; i < f->nunits && o < 1500; i++)
		o += snprintf(line + o, sizeof line - (size_t)o, " %" PRIu64 "/%u", f->units[i], f->roles[i]);
	snprintf(line + o, sizeof line - (size_t)o, " | %s | %s\n", f->expected, f->found);
	text_add(t, line);
	t->count++;
}

/* "verdict op phase sync" of every finding: what --all-units must not change. */
static void on_signature(void *arg, const crash_finding *f)
{
	text *t = arg;
	char line[256];
	snprintf(line, sizeof line, "%s %zu %s %u\n", f->verdict, f->at.op, crash_phase_name(f->at.phase), f->at.sync);
	if (!t->s || !strstr(t->s, line)) {
		text_add(t, line);
		t->count++;
	}
}

static crash_stats run(const oplog *log, const crash_cfg *cfg, text *t)
{
	crash_stats st;
	char msg[600] = "";
	if (t)
		text_add(t, "");
	int rc = crash_run(log, cfg, &st, t ? on_finding : NULL, t, msg, sizeof msg);
	cr_assert_eq(rc, 0, "crash_run: %d %s", rc, msg);
	return st;
}

static void text_free(text *t)
{
	free(t->s);
	memset(t, 0, sizeof *t);
}

/* ---- enumeration counts on tiny logs ---- */

/* `create 10` + `alloc a` at --atomic page (unit = 1024 = the page size):
 *
 *  point  where                           dirty (all relevant)  images  judged
 *  0      create: before create/sync      pages 0, 1, 2          8       8  (2^3, all different)
 *  1      create: after create/sync       none                   1       0  (= point 0's {0,1,2})
 *  2      create: end of op               none                   1       1  (other case: acknowledged)
 *  3      alloc a: before meta_sync       page 2 (meta B)        2       2  (other case: alloc in flight)
 *  4      alloc a: after meta_sync        none                   1       0  (= point 3's {2})
 *  5      alloc a: before sb_sync         page 0                 2       1  ({} = point 4's image)
 *  6      alloc a: after sb_sync          none                   1       0  (= point 5's {0})
 *  7      alloc a: end of op              none                   1       1  (other case)
 *
 * Page 3 (a's page) is never written: create zero-extends cache and disk alike. */
Test(crash_counts, create_and_alloc_at_page_units)
{
	oplog log = parse("create 10\nalloc a\n");
	crash_cfg cfg = cfg_of(0, 12, 64, 1);
	crash_stats st = run(&log, &cfg, NULL);
	cr_assert_eq(st.points, 8);
	cr_assert_eq(st.dirty_units, 5);
	cr_assert_eq(st.relevant_units, 5);
	cr_assert_eq(st.generated, 17);
	cr_assert_eq(st.judged, 13);
	cr_assert_leq(st.opened, st.judged);
	oplog_free(&log);
}

/* The create alone: points 0-2 above. The image after the sync is the one point 0
 * already judged with everything persisted: dedup across consecutive points. */
Test(crash_counts, the_image_after_a_sync_is_not_judged_again)
{
	oplog log = parse("create 10\n");
	crash_cfg cfg = cfg_of(0, 12, 64, 1);
	crash_stats st = run(&log, &cfg, NULL);
	cr_assert_eq(st.points, 3);
	cr_assert_eq(st.generated, 10);
	cr_assert_eq(st.judged, 9);
	oplog_free(&log);
}

/* At 512-byte units each 1 KiB page splits in two. The create writes both halves of
 * page 0 (superblock at 0, index trailer at 1020) and of pages 1 and 2 (header at 0,
 * trailer at 1020): 6 dirty units, 2^6 images at point 0. */
Test(crash_counts, create_at_512_byte_units)
{
	oplog log = parse("create 10\n");
	crash_cfg cfg = cfg_of(512, 12, 64, 1);
	crash_stats st = run(&log, &cfg, NULL);
	cr_assert_eq(st.points, 3);
	cr_assert_eq(st.dirty_units, 6);
	cr_assert_eq(st.generated, 64 + 1 + 1);
	cr_assert_eq(st.judged, 64 + 0 + 1);
	oplog_free(&log);
}

/* K bound: with --exhaustive 2 the create's 3 units take the mix, (n+1) + n + n +
 * samples = 4 + 3 + 3 + 5 = 15 images, of which prefixes, omit-one and add-one already
 * cover all 8 subsets of 3 units: judged is unchanged. The other points have at most one
 * unit: 2^n as before. */
Test(crash_counts, more_units_than_k_take_the_mix)
{
	oplog log = parse("create 10\nalloc a\n");
	crash_cfg cfg = cfg_of(0, 2, 5, 1);
	crash_stats st = run(&log, &cfg, NULL);
	cr_assert_eq(subsets_count(3, &cfg.sub), 15);
	cr_assert_eq(st.points, 8);
	cr_assert_eq(st.generated, 15 + 1 + 1 + 2 + 1 + 2 + 1 + 1);
	cr_assert_eq(st.judged, 13);
	/* K = n is still exhaustive. */
	cfg = cfg_of(0, 3, 5, 1);
	st = run(&log, &cfg, NULL);
	cr_assert_eq(st.generated, 17);
	oplog_free(&log);
}

Test(crash_counts, the_mix_counts_do_not_depend_on_the_seed)
{
	oplog log = load("protected-commit.log");
	crash_cfg a = cfg_of(512, 3, 9, 1), b = cfg_of(512, 3, 9, 99);
	crash_stats sa = run(&log, &a, NULL), sb = run(&log, &b, NULL);
	cr_assert_eq(sa.points, sb.points);
	cr_assert_eq(sa.dirty_units, sb.dirty_units);
	cr_assert_eq(sa.relevant_units, sb.relevant_units);
	cr_assert_eq(sa.generated, sb.generated);
	oplog_free(&log);
}

/* ---- reproducibility ---- */

Test(crash_seed, the_same_seed_gives_the_same_stats_and_findings)
{
	oplog log = load("mixed.log");
	crash_cfg cfg = cfg_of(512, 4, 16, 42);
	text t1 = {0}, t2 = {0};
	crash_stats s1 = run(&log, &cfg, &t1), s2 = run(&log, &cfg, &t2);
	cr_assert_eq(s1.points, s2.points);
	cr_assert_eq(s1.generated, s2.generated);
	cr_assert_eq(s1.judged, s2.judged);
	cr_assert_eq(s1.violating, s2.violating);
	cr_assert_eq(s1.findings, s2.findings);
	cr_assert_eq(s1.fatal, s2.fatal);
	cr_assert_gt(t1.count, 0, "mixed.log has findings at 512 bytes");
	cr_assert_str_eq(t1.s, t2.s);
	/* Another seed draws other random subsets: as many images, maybe other findings. */
	crash_cfg other = cfg_of(512, 4, 16, 43);
	text t3 = {0};
	crash_stats s3 = run(&log, &other, &t3);
	cr_assert_eq(s3.points, s1.points);
	cr_assert_eq(s3.generated, s1.generated);
	text_free(&t1);
	text_free(&t2);
	text_free(&t3);
	oplog_free(&log);
}

/* ---- dedup ---- */

Test(crash_dedup, judged_never_exceeds_generated)
{
	const char *logs[] = {"meta-commit.log", "growth.log", "protected-free.log", "reopen.log"};
	for (size_t i = 0; i < sizeof logs / sizeof logs[0]; i++) {
		oplog log = load(logs[i]);
		for (int u = 0; u < 2; u++) {
			crash_cfg cfg = cfg_of(u ? 4096 : 512, 12, 64, 1);
			crash_stats st = run(&log, &cfg, NULL);
			cr_assert_leq(st.judged, st.generated, "%s", logs[i]);
			cr_assert_leq(st.violating, st.judged, "%s", logs[i]);
			cr_assert_leq(st.relevant_units, st.dirty_units, "%s", logs[i]);
			cr_assert_leq(st.fatal, st.findings, "%s", logs[i]);
		}
		oplog_free(&log);
	}
}

/* ---- stop on first ---- */

Test(crash_stop, stop_on_first_judges_until_the_first_fatal_image)
{
	oplog log = load("mixed.log");
	crash_cfg cfg = cfg_of(512, 12, 64, 1);
	crash_stats all = run(&log, &cfg, NULL);
	cr_assert_gt(all.violating, 1);
	cfg.stop_on_first = 1;
	crash_stats first = run(&log, &cfg, NULL);
	cr_assert_eq(first.violating, 1);
	cr_assert_geq(first.fatal, 1);
	cr_assert_lt(first.judged, all.judged);
	oplog_free(&log);
}

/* ---- a planted bug: an I/O layer that drops one sync ---- */

/* Forwards every pager_io method to the simdisk's, except that the nth call of `step`
 * returns success without syncing anything. */
typedef struct dropper {
	pager_io io;            /* what the pager gets; io.ctx = this */
	const pager_io *inner;  /* the simdisk's methods */
	const char *step;       /* the sync call site to drop */
	int nth;                /* which call of it (1-based) */
	int seen;               /* calls of step so far */
	int dropped;            /* syncs dropped */
} dropper;

#define INNER(ctx) (((dropper *)(ctx))->inner)
static int d_open(void *ctx, const char *step, const char *path, int create, void **file)
{
	return INNER(ctx)->open(INNER(ctx)->ctx, step, path, create, file);
}
static int d_size(void *ctx, const char *step, void *file, uint64_t *len)
{
	return INNER(ctx)->size(INNER(ctx)->ctx, step, file, len);
}
static int d_set_len(void *ctx, const char *step, void *file, uint64_t len)
{
	return INNER(ctx)->set_len(INNER(ctx)->ctx, step, file, len);
}
static int d_map(void *ctx, const char *step, void *file, uint64_t len, uint8_t **addr)
{
	return INNER(ctx)->map(INNER(ctx)->ctx, step, file, len, addr);
}
static int d_unmap(void *ctx, const char *step, void *file, uint8_t *addr, uint64_t len)
{
	return INNER(ctx)->unmap(INNER(ctx)->ctx, step, file, addr, len);
}
static int d_close(void *ctx, const char *step, void *file)
{
	return INNER(ctx)->close(INNER(ctx)->ctx, step, file);
}
static void d_faulted(void *ctx, const char *step, void *file, uint64_t off, uint64_t len, int err)
{
	if (INNER(ctx)->faulted)
		INNER(ctx)->faulted(INNER(ctx)->ctx, step, file, off, len, err);
}
static int d_sync(void *ctx, const char *step, void *file, uint8_t *addr, uint64_t off, uint64_t len)
{
	dropper *d = ctx;
	if (!strcmp(step, d->step) && ++d->seen == d->nth) {
		d->dropped++;
		return 0; /* "synced": nothing reached the disk */
	}
	return d->inner->sync(d->inner->ctx, step, file, addr, off, len);
}

static const pager_io *wrap(void *arg, const pager_io *inner)
{
	dropper *d = arg;
	d->inner = inner;
	d->io = (pager_io){PAGER_IO_VERSION, d, d_open, d_size, d_set_len, d_map, d_unmap, d_sync, d_close, d_faulted};
	return &d->io;
}

static size_t count_verdict(const text *t, const char *id)
{
	size_t n = 0;
	char key[64];
	snprintf(key, sizeof key, "%s fatal=1", id);
	for (const char *p = t->s; p && (p = strstr(p, key)); p++)
		n++;
	return n;
}

/* Why the drop is caught: alloc b's metadata commit syncs the new metadata copy, then
 * rewrites page 0 to select it (pager/commit/sb_sync). With that sync dropped the pager
 * still answers success, so the model holds b as allocated (and 8 pages), but the
 * disk's superblock keeps selecting the old copy, in which b's page is free and the
 * file has 4 pages. At b's end of op (and at alloc c's points, until a later sync
 * writes page 0) the image "disk as it is" recovers without b: an acknowledged op is
 * missing, I-DURABLE. */
Test(crash_planted, a_dropped_superblock_sync_is_caught)
{
	oplog log = parse("create 10\nalloc a\nalloc b\nalloc c\n");
	crash_cfg cfg = cfg_of(0, 12, 64, 1);
	text clean = {0};
	run(&log, &cfg, &clean);
	cr_assert_eq(count_verdict(&clean, "I-DURABLE") + count_verdict(&clean, "I-ATOMIC"), 0, "%s", clean.s);

	dropper d = {.step = "pager/commit/sb_sync", .nth = 2};
	cfg.wrap_io = wrap;
	cfg.wrap_arg = &d;
	text t = {0};
	run(&log, &cfg, &t);
	cr_assert_eq(d.dropped, 1);
	cr_assert_gt(count_verdict(&t, "I-DURABLE") + count_verdict(&t, "I-ATOMIC"), 0, "%s", t.s);
	cr_assert(strstr(t.s, "b (page 4) allocated, as op 2 (line 3: alloc b) acknowledged"), "%s", t.s);
	text_free(&clean);
	text_free(&t);
	oplog_free(&log);
}

/* The drop is caught even when the op whose sync was lost is the last one: its
 * end-of-op point judges the same images the last after-sync point judged, but under
 * the acknowledged case. */
Test(crash_planted, a_dropped_sync_in_the_last_op_is_caught_at_its_end)
{
	oplog log = parse("create 10\nalloc a\nalloc b\n");
	crash_cfg cfg = cfg_of(0, 12, 64, 1);
	dropper d = {.step = "pager/commit/sb_sync", .nth = 2};
	cfg.wrap_io = wrap;
	cfg.wrap_arg = &d;
	text t = {0};
	run(&log, &cfg, &t);
	cr_assert_eq(d.dropped, 1);
	cr_assert(strstr(t.s, "I-DURABLE fatal=1 op=2 end-of-op"), "%s", t.s);
	text_free(&t);
	oplog_free(&log);
}

/* A protected commit whose data sync is dropped: the directory commit then points at a
 * copy whose bytes never reached the disk. Images with the new directory and the old
 * copy hold a readable copy whose CRC is not the entry's, and whose content is neither
 * the old nor the new one (I-ATOMIC while in flight, I-DURABLE after). */
Test(crash_planted, a_dropped_protected_data_sync_is_caught)
{
	oplog log = parse("create 10\npalloc p\npwrite p 1\npwrite p 2\n");
	crash_cfg cfg = cfg_of(0, 12, 64, 1);
	dropper d = {.step = "pager/protcommit/data_sync", .nth = 2};
	cfg.wrap_io = wrap;
	cfg.wrap_arg = &d;
	text t = {0};
	run(&log, &cfg, &t);
	cr_assert_eq(d.dropped, 1);
	cr_assert_gt(count_verdict(&t, "I-DURABLE") + count_verdict(&t, "I-ATOMIC"), 0, "%s", t.s);
	text_free(&t);
	oplog_free(&log);
}

/* ---- the unit-relevance reduction (crash.c "Method:") ---- */

/* Regular data pages are never read by recovery, so holding their units at their disk
 * value loses no verdict: --all-units finds the same (verdict, op, phase, sync) set.
 * Compared with no_point_dedup: with dedup across points, a state both modes reach may
 * be reported at different points (e.g. a new directory page not yet in any index is
 * not enumerated before its dir_sync, so its images first appear after it). */
Test(crash_units, all_units_and_recovery_read_units_give_the_same_verdicts)
{
	const char *text_log = "create 10\nalloc a\nfill a 1\npalloc p\npwrite p 2\nfill a 3\nalloc b\nfill b 4\n"
			       "pstage p 5\nfree a\npwrite p 6\nalloc c\nfill c 7\npfree p\nfill b 8\nreopen\n";
	oplog log = parse(text_log);
	uint32_t units[] = {512, 0};
	for (size_t u = 0; u < 2; u++) {
		crash_cfg cfg = cfg_of(units[u], 12, 64, 1);
		cfg.no_point_dedup = 1;
		text some = {0}, all = {0};
		crash_stats st;
		char msg[600];
		cr_assert_eq(crash_run(&log, &cfg, &st, on_signature, &some, msg, sizeof msg), 0, "%s", msg);
		cfg.all_units = 1;
		crash_stats sta;
		cr_assert_eq(crash_run(&log, &cfg, &sta, on_signature, &all, msg, sizeof msg), 0, "%s", msg);
		/* The fills make dirty units recovery does not read: the reduction did work. */
		cr_assert_lt(st.relevant_units, sta.relevant_units);
		cr_assert_lt(st.generated, sta.generated);
		cr_assert_gt(some.count, 0);
		cr_assert_eq(some.count, all.count, "unit %u:\n%s---\n%s", units[u], some.s, all.s);
		for (const char *p = some.s; *p;) {
			const char *nl = strchr(p, '\n');
			char line[256];
			snprintf(line, sizeof line, "%.*s", (int)(nl - p + 1), p);
			cr_assert(strstr(all.s, line), "only without --all-units: %s", line);
			p = nl + 1;
		}
		text_free(&some);
		text_free(&all);
	}
	oplog_free(&log);
}

/* Which dirty units are enumerated, exactly. In this log the only dirty unit recovery
 * never reads is the new block's first directory page (page 4, both units) while it is
 * written and synced before page 0 names it (before-sync of palloc p's dir_sync); every
 * other dirty unit is in pages 0-2, in a directory page the index names (palloc q
 * writes page_a of the block) or in a protected copy a directory names (pwrite's new
 * copy, before its data_sync). So --all-units enumerates exactly 2 units more: a
 * directory page or a copy left out of the relevant set would make it more. */
Test(crash_units, only_an_unnamed_directory_page_is_left_out)
{
	oplog log = parse("create 10\npalloc p\npalloc q\npwrite q 5\n");
	crash_cfg cfg = cfg_of(512, 12, 64, 1);
	crash_stats st, sta;
	char msg[600];
	cr_assert_eq(crash_run(&log, &cfg, &st, NULL, NULL, msg, sizeof msg), 0, "%s", msg);
	cfg.all_units = 1;
	cr_assert_eq(crash_run(&log, &cfg, &sta, NULL, NULL, msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(sta.relevant_units, st.relevant_units + 2, "relevant %" PRIu64 ", all %" PRIu64,
		     st.relevant_units, sta.relevant_units);
	oplog_free(&log);
}

/* ---- the judge's memo ---- */

/* judge_image_ids answers most images from verdicts it already computed for the same
 * pages read by recovery: the findings, states and counts must be exactly those of
 * opening every image (no_memo). */
static void assert_memo_changes_nothing(const oplog *log, const crash_cfg *base)
{
	crash_cfg a = *base, b = *base;
	b.no_memo = 1;
	text ta = {0}, tb = {0};
	crash_stats sa = run(log, &a, &ta), sb = run(log, &b, &tb);
	cr_assert_eq(sa.generated, sb.generated);
	cr_assert_eq(sa.judged, sb.judged);
	cr_assert_eq(sa.violating, sb.violating);
	cr_assert_eq(sa.findings, sb.findings);
	cr_assert_eq(sa.fatal, sb.fatal);
	cr_assert_eq(sb.opened, sb.judged, "without the memo every judged image is opened");
	cr_assert_leq(sa.opened, sa.judged);
	cr_assert_str_eq(ta.s, tb.s);
	text_free(&ta);
	text_free(&tb);
}

Test(crash_memo, corpus_logs_give_the_same_findings_with_and_without_the_memo, .timeout = 300)
{
	const char *logs[] = {"mixed.log", "protected-free.log", "dir-block2.log", "abandoned-stage.log"};
	uint32_t units[] = {512, 4096, 0};
	for (size_t i = 0; i < sizeof logs / sizeof logs[0]; i++) {
		oplog log = load(logs[i]);
		for (size_t u = 0; u < 3; u++) {
			crash_cfg cfg = cfg_of(units[u], 12, 64, 1);
			cfg.strict = 1;
			assert_memo_changes_nothing(&log, &cfg);
		}
		oplog_free(&log);
	}
}

Test(crash_memo, generated_logs_give_the_same_findings_with_and_without_the_memo, .timeout = 300)
{
	for (uint64_t seed = 1; seed <= 6; seed++) {
		oplog log;
		cr_assert_eq(oplog_gen(seed, 30, 10 + (unsigned)(seed % 3), &log), 0);
		uint32_t units[] = {512, 4096};
		for (size_t u = 0; u < 2; u++) {
			crash_cfg cfg = cfg_of(units[u], seed % 2 ? 12 : 4, 16, seed);
			cfg.all_units = seed % 3 == 0;
			assert_memo_changes_nothing(&log, &cfg);
		}
		oplog_free(&log);
	}
}

/* ---- findings carry what a reproducer needs ---- */

Test(crash_findings, a_finding_names_its_point_units_and_roles)
{
	oplog log = parse("create 10\npalloc p\npwrite p 1\n");
	crash_cfg cfg = cfg_of(512, 12, 64, 1);
	text t = {0};
	crash_stats st = run(&log, &cfg, &t);
	cr_assert_gt(st.fatal, 0, "the seed tears page 0 at 512 bytes");
	/* Page 0 torn during a directory commit: the index CRC fails, the image does not
	 * open. The first such image persisted unit 0 or 1 (page 0, role superblock). */
	const char *p = strstr(t.s, "I-OPEN fatal=1");
	cr_assert_not_null(p, "%s", t.s);
	cr_assert(strstr(p, "step=pager/dircommit/sb_sync") || strstr(p, "step=pager/commit/sb_sync"), "%s", p);
	char role[16];
	snprintf(role, sizeof role, "/%u ", (unsigned)PAGER_ROLE_SUPERBLOCK);
	cr_assert(strstr(p, role) || strstr(p, " 1/"), "%s", p);
	text_free(&t);
	oplog_free(&log);
}
