/* test_faults.c — disk faults (dfault.h, crash --faults, docs/crash-model.md §10): what
 * each fault does to the durable bytes, the shadow of a misdirected write and a lying
 * sync and when later syncs heal it, the crash loop's fault images (plain findings
 * unchanged, twins set aside, I-SILENT where the fault alone makes a wrong state), the
 * read set rot tries (every unit whose rot changes a verdict is in it), reproducers with
 * a disk-fault line (round trip, replay, errors), and shrinking them. The findings these
 * tests pin are docs/findings.md's D-section. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>

#include "crash/crash_one.h"
#include "pager.h"
#include "support.h"
#include "tornpage/crash.h"
#include "tornpage/dfault.h"
#include "tornpage/matrix.h"
#include "tornpage/oplog.h"
#include "tornpage/repro.h"
#include "tornpage/shrink.h"
#include "tornpage/simdisk.h"

static oplog parse(const char *text)
{
	oplog log;
	cr_assert_eq(oplog_parse("t.log", text, strlen(text), &log, NULL, NULL), 0, "bad test log");
	return log;
}

/* ---- the rules of each fault ---- */

Test(dfault, mode_lists_parse_and_print)
{
	unsigned m;
	char bad[48], text[128];
	cr_assert_eq(dfault_parse_list("rot,lying-sync", &m, bad, sizeof bad), 0);
	cr_assert_eq(m, (1u << DFAULT_ROT) | (1u << DFAULT_LYING_SYNC));
	dfault_list_text(m, text, sizeof text);
	cr_assert_str_eq(text, "rot,lying-sync");
	cr_assert_eq(dfault_parse_list("all", &m, bad, sizeof bad), 0);
	cr_assert_eq(m, DFAULT_ALL_MODES);
	cr_assert_eq(dfault_parse_list("rot,bitrot", &m, bad, sizeof bad), -1);
	cr_assert_str_eq(bad, "bitrot");
	cr_assert_eq(dfault_parse_list("none", &m, bad, sizeof bad), -1, "none is not a fault to try");
	cr_assert_eq(dfault_parse_list("", &m, bad, sizeof bad), -1);
}

Test(dfault, fills_are_zeros_ones_a_flipped_bit_or_a_seeded_stream)
{
	uint8_t a[512], b[512];
	dfault f = {DFAULT_TORN_GARBAGE, 3, DFAULT_FILL_ONES, 0, 0, 0};
	memset(a, 7, sizeof a);
	dfault_corrupt(&f, a, sizeof a);
	for (size_t i = 0; i < sizeof a; i++)
		cr_assert_eq(a[i], 0xFF);
	f.fill = DFAULT_FILL_ZEROS;
	dfault_corrupt(&f, a, sizeof a);
	for (size_t i = 0; i < sizeof a; i++)
		cr_assert_eq(a[i], 0);
	/* rot: exactly bit 13 (byte 1, bit 5) of the unit's own bytes changes */
	dfault r = {DFAULT_ROT, 3, DFAULT_FILL_FLIP, 13, 0, 0};
	memset(a, 0x11, sizeof a);
	memcpy(b, a, sizeof b);
	dfault_corrupt(&r, a, sizeof a);
	cr_assert_eq(a[1], 0x11 ^ 0x20);
	cr_assert_eq(memcmp(a + 2, b + 2, sizeof a - 2), 0);
	cr_assert_eq(a[0], b[0]);
	/* seeded garbage: a function of the seed only, and not constant */
	dfault g = {DFAULT_TORN_GARBAGE, 3, DFAULT_FILL_SEEDED, 42, 0, 0};
	dfault_corrupt(&g, a, sizeof a);
	dfault_corrupt(&g, b, sizeof b);
	cr_assert_eq(memcmp(a, b, sizeof a), 0);
	int same = 1;
	for (size_t i = 1; i < sizeof a; i++)
		same &= a[i] == a[0];
	cr_assert(!same);
	g.arg = 43;
	dfault_corrupt(&g, b, sizeof b);
	cr_assert_neq(memcmp(a, b, sizeof a), 0);
	/* the seeded bit of a rotten unit is inside it */
	for (uint64_t p = 0; p < 100; p++)
		cr_assert_lt(dfault_rot_bit(1, p, 5, 0, 512), 512 * 8);
}

/* A disk with units of 512 bytes: the pager_io used directly, as the pager would. */
typedef struct raw {
	simdisk *d;
	void *file;
	uint8_t *map;
} raw;

static raw raw_open(uint64_t len)
{
	raw r;
	r.d = simdisk_new(512);
	const pager_io *io = simdisk_io(r.d);
	cr_assert_eq(io->open(io->ctx, "t", "f", 1, &r.file), 0);
	cr_assert_eq(io->set_len(io->ctx, "t", r.file, len), 0);
	cr_assert_eq(io->map(io->ctx, "t", r.file, len, &r.map), 0);
	return r;
}

static void raw_sync(raw *r, uint64_t off, uint64_t len)
{
	const pager_io *io = simdisk_io(r->d);
	cr_assert_eq(io->sync(io->ctx, "t", r->file, r->map, off, len), 0);
}

typedef struct feed {
	dfault_shadow *sh;
} feed;

static void feed_hook(void *arg, simdisk *d, const simdisk_event *ev, simdisk_phase phase)
{
	feed *f = arg;
	dfault_shadow_sync(f->sh, d, ev, phase);
}

Test(dfault_shadow, a_misdirected_write_keeps_the_unit_old_hits_the_target_and_heals_when_synced_again)
{
	raw r = raw_open(4096);
	dfault f = {DFAULT_MISDIRECT, 2, 0, 0, 5, 0}; /* sync #0 writes unit 2 at unit 5 */
	dfault_shadow sh;
	cr_assert_eq(dfault_shadow_init(&sh, &f, 512), 0);
	feed fd = {&sh};
	simdisk_set_hook(r.d, feed_hook, &fd);
	memset(r.map + 2 * 512, 0xAB, 512);
	memset(r.map + 3 * 512, 0xCD, 512);
	raw_sync(&r, 1024, 1024); /* sync #0: units 2 and 3 */
	cr_assert(dfault_shadow_active(&sh));
	cr_assert_eq(sh.n, 2);
	cr_assert_eq(sh.units[0], 2);
	cr_assert_eq(sh.units[1], 5);
	const uint8_t *held = dfault_shadow_held(&sh, 0);
	for (size_t i = 0; i < 512; i++)
		cr_assert_eq(held[i], 0, "unit 2 keeps its old bytes (zeros)");
	held = dfault_shadow_held(&sh, 1);
	for (size_t i = 0; i < 512; i++)
		cr_assert_eq(held[i], 0xAB, "the target holds unit 2's new bytes");
	cr_assert_null(dfault_shadow_device(&sh, 0), "a misdirected write is not in the device's cache");
	/* a sync of another range heals nothing; one covering unit 2 heals it; unit 5 later */
	raw_sync(&r, 0, 512);
	cr_assert_not_null(dfault_shadow_held(&sh, 0));
	raw_sync(&r, 1024, 512);
	cr_assert_null(dfault_shadow_held(&sh, 0));
	cr_assert_not_null(dfault_shadow_held(&sh, 1));
	cr_assert(dfault_shadow_active(&sh));
	raw_sync(&r, 2560, 512);
	cr_assert(!dfault_shadow_active(&sh), "both healed: the shadow is over");
	dfault_shadow_free(&sh);
	simdisk_free(r.d);
}

Test(dfault_shadow, a_lying_sync_leaves_its_units_in_the_device_cache_until_the_next_sync)
{
	raw r = raw_open(4096);
	memset(r.map, 1, 4096);
	raw_sync(&r, 0, 4096); /* sync #0: the file is ones */
	dfault f = {DFAULT_LYING_SYNC, 0, 0, 0, 0, 1};
	dfault_shadow sh;
	cr_assert_eq(dfault_shadow_init(&sh, &f, 512), 0);
	feed fd = {&sh};
	simdisk_set_hook(r.d, feed_hook, &fd);
	memset(r.map + 512, 2, 1024); /* units 1, 2 */
	memset(r.map + 3072, 2, 10);  /* unit 6, outside the next sync's range */
	raw_sync(&r, 512, 1024);      /* sync #1 lies */
	cr_assert(dfault_shadow_active(&sh));
	cr_assert_eq(sh.n, 2, "only the units the sync changed");
	for (size_t i = 0; i < 2; i++) {
		cr_assert_eq(dfault_shadow_held(&sh, i)[0], 1, "old on disk");
		cr_assert_eq(dfault_shadow_device(&sh, i)[0], 2, "new in the device's cache");
	}
	raw_sync(&r, 3072, 512); /* sync #2 of another range: the device flushes everything */
	cr_assert(!dfault_shadow_active(&sh));
	cr_assert_null(dfault_shadow_held(&sh, 0));
	dfault_shadow_free(&sh);
	simdisk_free(r.d);
}

/* ---- the crash loop ---- */

typedef struct seen {
	char *text;    /* every plain finding, one line each */
	size_t n, cap;
	unsigned modes_with_findings;
	int silent_lying_meta, silent_misdirect_sb;
	uint64_t fault_findings;
} seen;

static void seen_add(seen *s, const char *line)
{
	size_t l = strlen(line);
	if (s->n + l + 1 > s->cap) {
		s->cap = 2 * (s->n + l + 1);
		s->text = realloc(s->text, s->cap);
		cr_assert_not_null(s->text);
	}
	memcpy(s->text + s->n, line, l + 1);
	s->n += l;
}

static void on_finding(void *arg, const crash_finding *f)
{
	seen *s = arg;
	if (f->fault) {
		s->fault_findings++;
		s->modes_with_findings |= 1u << f->fault->mode;
		if (!strcmp(f->verdict, "I-SILENT") && !strcmp(f->fclass, "lying-sync/meta"))
			s->silent_lying_meta = 1;
		if (!strcmp(f->verdict, "I-SILENT") && !strcmp(f->fclass, "misdirect/superblock"))
			s->silent_misdirect_sb = 1;
		return;
	}
	char line[1200];
	snprintf(line, sizeof line, "%s %zu %s %u %" PRIu64 " %" PRIu64 " | %s | %s\n", f->verdict, f->at.op,
		 crash_phase_name(f->at.phase), f->at.sync, f->states, f->subset, f->expected, f->found);
	seen_add(s, line);
}

static crash_stats run(const oplog *log, unsigned faults, seen *s, crash_fault_stats *fs)
{
	crash_cfg cfg = {.unit = 512, .sub = {12, 64, 1}, .faults = faults, .fstats = fs};
	crash_stats st;
	char msg[600] = "";
	cr_assert_eq(crash_run(log, &cfg, &st, on_finding, s, msg, sizeof msg), 0, "%s", msg);
	return st;
}

/* The plain images are judged as without --faults (the same findings, in the same
 * order), and every mode adds findings of its own on a log that commits and grows. */
Test(crash_faults, plain_findings_are_unchanged_and_every_mode_adds_its_own, .timeout = 120)
{
	oplog log = parse("create 10\nalloc a\nalloc b\npalloc p\npwrite p 3\nalloc c\nalloc d\npfree p\nfree a\n");
	seen plain = {0}, with = {0};
	crash_fault_stats fs;
	memset(&fs, 0, sizeof fs);
	run(&log, 0, &plain, NULL);
	run(&log, DFAULT_ALL_MODES, &with, &fs);
	cr_assert_str_eq(plain.text, with.text, "the plain findings must not change under --faults");
	cr_assert_eq(plain.fault_findings, 0);
	for (unsigned m = DFAULT_TORN_GARBAGE; m < DFAULT_NMODES; m++) {
		cr_assert_gt(fs.mode[m].judged, 0, "mode %s judged nothing", dfault_mode_name((dfault_mode)m));
		const crash_fault_tally *t = &fs.mode[m];
		cr_assert_eq(t->judged, t->recovered + t->detected_open + t->detected_check + t->silent);
	}
	/* lost-size only shows an image where a grow is not yet durable: alloc c grows */
	cr_assert_gt(fs.mode[DFAULT_LOST_SIZE].generated, 0);
	for (unsigned m = DFAULT_TORN_GARBAGE; m <= DFAULT_LYING_SYNC; m++)
		cr_assert(with.modes_with_findings & (1u << m), "no finding for %s", dfault_mode_name((dfault_mode)m));
	cr_assert(with.silent_lying_meta, "D3: a lying meta_sync restores an older copy silently");
	cr_assert(with.silent_misdirect_sb, "D2: a lost superblock write restores the previous commit silently");
	free(plain.text);
	free(with.text);
	oplog_free(&log);
}

/* The tally of plain images (mode none) is the same with and without faults. */
Test(crash_faults, the_default_run_counts_are_the_plain_ones)
{
	oplog log = parse("create 10\nalloc a\nfree a\nalloc b\n");
	crash_fault_stats a, b;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	crash_cfg cfg = {.unit = 512, .sub = {12, 64, 1}, .fstats = &a};
	crash_stats s1, s2;
	char msg[256];
	cr_assert_eq(crash_run(&log, &cfg, &s1, NULL, NULL, msg, sizeof msg), 0);
	cfg.faults = DFAULT_ALL_MODES;
	cfg.fstats = &b;
	cr_assert_eq(crash_run(&log, &cfg, &s2, NULL, NULL, msg, sizeof msg), 0);
	cr_assert_eq(memcmp(&a.mode[0], &b.mode[0], sizeof a.mode[0]), 0);
	cr_assert_eq(a.mode[DFAULT_ROT].judged, 0, "no fault image without --faults");
	cr_assert_gt(s2.judged, s1.judged);
	oplog_free(&log);
}

/* ---- one image: twins, and the read set rot tries ---- */

typedef struct ids {
	char s[512];
} ids;

static void add_id(void *arg, const char *verdict, const char *expected, const char *found)
{
	(void)expected;
	(void)found;
	ids *x = arg;
	size_t l = strlen(x->s);
	snprintf(x->s + l, sizeof x->s - l, "%s%s", l ? " " : "", verdict);
}

/* What rot does at the end of `log` to unit u (zeroed): the verdict ids the fault causes. */
static void rot_at_end(const oplog *log, uint64_t u, ids *out)
{
	crash_one c;
	char msg[256];
	dfault f = {DFAULT_ROT, u, DFAULT_FILL_ZEROS, 0, 0, 0};
	cr_assert_eq(crash_one_locate_fault(&c, log, 512, log->nops - 1, CRASH_END_OF_OP, 0, 0, &f, msg, sizeof msg), 0, "%s", msg);
	out->s[0] = '\0';
	cr_assert_geq(crash_one_judge_ex(&c, NULL, 0, NULL, 0, add_id, out), 0);
	crash_one_free(&c);
}

Test(crash_faults, a_rotten_data_unit_changes_nothing_and_a_rotten_metadata_copy_is_detected)
{
	oplog log = parse("create 10\nalloc a\nfill a 5\nalloc b\n");
	ids x;
	/* page 3 (a's data, units 6-7): regular data has no guarantee: nothing */
	rot_at_end(&log, 6, &x);
	cr_assert_str_eq(x.s, "");
	/* after two allocs metadata A (page 1, units 2-3) is active: the checker names the
	 * fallback to B, which holds the commit before: detected, not silent */
	rot_at_end(&log, 3, &x);
	cr_assert(strstr(x.s, "I-META-ACTIVE"), "found %s", x.s);
	cr_assert(!strstr(x.s, "I-SILENT"), "found %s", x.s);
	/* the inactive copy B is not read: nothing */
	rot_at_end(&log, 5, &x);
	cr_assert_str_eq(x.s, "");
	/* the superblock: the file is lost (detected: I-OPEN) */
	rot_at_end(&log, 0, &x);
	cr_assert(strstr(x.s, "I-OPEN"), "found %s", x.s);
	oplog_free(&log);
}

/* Rot's read set is the pages the recovered pager says are not data: every unit whose rot
 * changes a verdict must be in one of them (checked on every unit of a file with every
 * role). */
Test(crash_faults, every_unit_whose_rot_matters_is_in_the_read_set, .timeout = 120)
{
	oplog log = parse("create 10\nalloc a\nfill a 1\npalloc p\npwrite p 2\nalloc b\nfill b 3\npalloc q\nfree a\n");
	crash_one c;
	char msg[256];
	cr_assert_eq(crash_one_locate(&c, &log, 512, log.nops - 1, CRASH_END_OF_OP, 0, 0, msg, sizeof msg), 0, "%s", msg);
	uint64_t nunits = c.len / 512, npages = c.npages;
	uint8_t *roles = malloc(npages);
	memcpy(roles, c.roles, npages);
	crash_one_free(&c);
	int mattered = 0, data_units = 0;
	for (uint64_t u = 0; u < nunits; u++) {
		uint8_t r = roles[u * 512 / 1024];
		int in_set = r == PAGER_ROLE_SUPERBLOCK || r == PAGER_ROLE_META_A || r == PAGER_ROLE_META_B ||
			     r == PAGER_ROLE_DIRECTORY || r == PAGER_ROLE_PROTECTED;
		ids x;
		rot_at_end(&log, u, &x);
		if (x.s[0]) {
			mattered++;
			cr_assert(in_set, "rot of unit %" PRIu64 " (page role %s) gives %s, outside the read set", u,
				  pager_role_name((pager_role)r), x.s);
		}
		data_units += !in_set;
	}
	cr_assert_gt(mattered, 4);
	cr_assert_gt(data_units, 2);
	free(roles);
	oplog_free(&log);
}

/* ---- reproducers ---- */

static const char lying_repro[] =
	"#! tornpage repro 1\n"
	"#! atomic 512\n"
	"#! crash op 2 before-sync 4 persisted 0\n"
	"#! disk-fault lying-sync sync 3\n"
	"#! expect I-DURABLE\n"
	"#! expect I-SILENT\n"
	"create 10\n"
	"alloc a\n"
	"alloc b\n";

Test(repro_disk_fault, a_lying_sync_reproducer_replays_silent_and_round_trips)
{
	repro r;
	cr_assert_eq(repro_parse("l.repro", lying_repro, sizeof lying_repro - 1, &r, NULL, NULL), 0);
	cr_assert_eq(r.df.mode, DFAULT_LYING_SYNC);
	cr_assert_eq(r.df.sync, 3);
	repro_result res;
	cr_assert_eq(repro_run(&r, &res, NULL), 0);
	char found[200];
	repro_strset_join(&res.found, found, sizeof found);
	cr_assert_eq(res.status, REPRO_SAME, "found %s (%s)", found, res.why);
	/* the signature names the fault's class */
	char sigs[600];
	repro_strset_join(&res.sigs, sigs, sizeof sigs);
	cr_assert(strstr(sigs, "I-SILENT@pager/commit/meta_sync:512:lying-sync/meta"), "%s", sigs);
	repro_result_free(&res);
	/* the same image with the device's bytes of metadata A (units 2, 3) on disk: the
	 * copy the new superblock selects is the new one, nothing is wrong */
	char *text = repro_format(&r);
	cr_assert_not_null(text);
	repro back;
	cr_assert_eq(repro_parse("b.repro", text, strlen(text), &back, NULL, NULL), 0);
	cr_assert(repro_equal(&r, &back));
	free(text);
	repro_free(&back);
	r.dev = malloc(2 * sizeof *r.dev);
	r.dev[0] = 2;
	r.dev[1] = 3;
	r.ndev = 2;
	cr_assert_eq(repro_run(&r, &res, NULL), 0);
	cr_assert(res.reached, "%s", res.why);
	repro_strset_join(&res.found, found, sizeof found);
	cr_assert(!strstr(found, "I-SILENT") && !strstr(found, "I-DURABLE"), "with copy A durable: %s", found);
	repro_result_free(&res);
	text = repro_format(&r);
	cr_assert(strstr(text, "#! disk-fault lying-sync sync 3 device 2,3\n"), "%s", text);
	free(text);
	repro_free(&r);
}

typedef struct diags {
	char s[2048];
} diags;

static void diag(void *arg, const char *msg)
{
	diags *d = arg;
	size_t l = strlen(d->s);
	snprintf(d->s + l, sizeof d->s - l, "%s\n", msg);
}

static void bad(const char *line, const char *want)
{
	char text[600];
	snprintf(text, sizeof text, "#! tornpage repro 1\n#! atomic 512\n#! crash op 1 end-of-op persisted none\n%s\n"
				    "#! expect ok\ncreate 10\nalloc a\n", line);
	repro r;
	diags d = {""};
	cr_assert_gt(repro_parse("x.repro", text, strlen(text), &r, diag, &d), 0, "%s accepted", line);
	cr_assert(strstr(d.s, want), "%s: want '%s' in: %s", line, want, d.s);
}

Test(repro_disk_fault, every_bad_disk_fault_line_is_refused_with_its_line)
{
	bad("#! disk-fault bitrot unit 1 zeros", "x.repro:4: disk-fault: unknown mode 'bitrot'");
	bad("#! disk-fault rot unit 1 ones", "bad fill 'ones' (want flip B or zeros)");
	bad("#! disk-fault torn-garbage unit 1 flip 3", "bad fill 'flip' (want seeded S, zeros or ones)");
	bad("#! disk-fault rot unit x zeros", "disk-fault: want");
	bad("#! disk-fault misdirect sync 1 unit 2 to 2", "written to itself");
	bad("#! disk-fault lying-sync sync 1 device 3,3", "unit 3 is listed twice");
	bad("#! disk-fault lying-sync sync 1 device", "disk-fault: want");
	bad("#! disk-fault lost-size now", "lost-size takes nothing more");
	bad("#! disk-fault rot unit 1 zeros\n#! disk-fault rot unit 2 zeros", "line 4 already has one");
	char text[] = "#! tornpage repro 1\n#! atomic 512\n#! fault pager/commit/meta_sync hit 1 mode once errno EIO\n"
		      "#! disk-fault rot unit 1 zeros\n#! expect ok\ncreate 10\nalloc a\n";
	repro r;
	diags d = {""};
	cr_assert_gt(repro_parse("x.repro", text, strlen(text), &r, diag, &d), 0);
	cr_assert(strstr(d.s, "only a crash case takes a disk fault"), "%s", d.s);
}

Test(repro_disk_fault, shrinking_keeps_the_fault_where_its_page_went)
{
	/* alloc c's superblock write lands on unit 1 (the empty index: not read), so the
	 * superblock still selects the copy before alloc c: silent; the other ops are not needed */
	static const char text[] =
		"#! tornpage repro 1\n"
		"#! atomic 512\n"
		"#! crash op 5 end-of-op persisted none\n"
		"#! disk-fault misdirect sync 8 unit 0 to 1\n"
		"#! expect I-DURABLE\n"
		"#! expect I-SILENT\n"
		"create 10\n"
		"alloc a\n"
		"fill a 1\n"
		"alloc b\n"
		"free a\n"
		"alloc c\n";
	repro r, out;
	shrink_stats st;
	char msg[300];
	cr_assert_eq(repro_parse("s.repro", text, sizeof text - 1, &r, NULL, NULL), 0);
	repro_result res;
	cr_assert_eq(repro_run(&r, &res, NULL), 0);
	char found[200];
	repro_strset_join(&res.found, found, sizeof found);
	cr_assert_eq(res.status, REPRO_SAME, "the input must hold: found %s (%s)", found, res.why);
	repro_result_free(&res);
	cr_assert_eq(shrink_repro(&r, &out, &st, msg, sizeof msg), 0, "%s", msg);
	cr_assert_lt(out.log.nops, r.log.nops);
	cr_assert_eq(out.df.mode, DFAULT_MISDIRECT);
	cr_assert_eq(out.df.unit, 0);
	cr_assert_eq(repro_run(&out, &res, NULL), 0);
	cr_assert_eq(res.status, REPRO_SAME, "%s", res.why);
	cr_assert(repro_strset_has(&res.found, "I-SILENT"));
	repro_result_free(&res);
	repro_free(&out);
	repro_free(&r);
}

/* ---- the fault matrix ---- */

typedef struct mverdicts {
	char s[2048];
} mverdicts;

static void on_mverdict(void *arg, const char *verdict, size_t op, const char *expected, const char *found,
			const char *fclass)
{
	mverdicts *m = arg;
	(void)expected, (void)found;
	size_t l = strlen(m->s);
	snprintf(m->s + l, sizeof m->s - l, "%s%s@%zu%s%s", l ? " " : "", verdict, op, fclass[0] ? ":" : "", fclass);
}

/* The first alloc's superblock sync fails: a torn write leaves its unit as garbage (the
 * file does not open), and rot of the image at the fault hits the superblock (the file
 * is lost) and the metadata copies (the checker names the fallback). */
Test(matrix_faults, a_case_reports_what_its_disk_faults_cause_with_their_class, .init = support_need_fiu)
{
	oplog log = parse("create 10\nalloc a\nalloc b\n");
	matrix_cfg cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.unit = 512;
	matrix_case c = {"pager/commit/sb_sync", 1, MATRIX_ONCE, EIO, 0, 7, 0};
	mverdicts plain = {""}, with = {""};
	char msg[300];
	cr_assert_geq(matrix_run_case_ex(&log, &cfg, &c, on_mverdict, &plain, msg, sizeof msg), 0, "%s", msg);
	cr_assert(!strstr(plain.s, ":"), "no fault class without dfaults: %s", plain.s);
	c.dfaults = (1u << DFAULT_ROT) | (1u << DFAULT_LYING_SYNC) | (1u << DFAULT_TORN_GARBAGE);
	cr_assert_geq(matrix_run_case_ex(&log, &cfg, &c, on_mverdict, &with, msg, sizeof msg), 0, "%s", msg);
	/* the plain verdicts are all still there */
	cr_assert(strstr(with.s, "F-ATOMIC@1") && strstr(plain.s, "F-ATOMIC@1"), "plain %s / with %s", plain.s, with.s);
	cr_assert(strstr(with.s, "F-CONTINUE@2") && strstr(plain.s, "F-CONTINUE@2"), "plain %s / with %s", plain.s, with.s);
	cr_assert(strstr(with.s, "I-OPEN@1:rot/superblock"), "%s", with.s);
	cr_assert(strstr(with.s, "rot/meta"), "%s", with.s);
	cr_assert(strstr(with.s, "torn-garbage/superblock"), "the failed sb_sync's unit torn: %s", with.s);
	oplog_free(&log);
}
