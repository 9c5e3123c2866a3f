/* bench_floor.c — how fast `tornpage crash` judges, next to the least any judge must do.
 * A benchmark run by scripts/bench.sh; not a test, not part of the CLI.
 *
 * For one op log and one atomic unit it runs each measurement --reps times and prints
 * the median, in distinct crash states per second (the states `tornpage crash` reports as
 * "judged"; every rate uses crash_stats.seconds, the crash pass without the first,
 * model-checked replay):
 *   ours   crash_run as `tornpage crash --quiet` runs it;
 *   full   the same with the judge's read-set memo off (crash_cfg.no_memo): every
 *          distinct state opened by pager_open and checked by pager_check_image;
 *   enum   crash_run with a judge that does nothing: replaying the log on the simdisk,
 *          finding the dirty and relevant units, building every image in the scratch
 *          buffer (copying the units that change) and deduplicating — producing the
 *          states, judging none;
 *   floor  crash_run with a judge that only computes the CRCs pager_open reads: the
 *          superblock-selected metadata page, page 0's directory index (when it names
 *          blocks) and the active directory page of each block. Same states, same unit
 *          copies: what judging would cost if opening were only those checksums;
 *   image  synthetic, no enumeration at all: on the log's final disk image, as many
 *          times as `ours` judged states, copy one unit (alternately from the cache and
 *          the disk) and compute the same CRCs: the bare per-state floor.
 * It also prints how many judged states the judge opened in full (the others were
 * answered by its read-set memo, judge.h) and ours/floor.
 *
 * usage: bench_floor LOG [--atomic 512|1024|2048|4096|page] [--reps N] */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tornpage/crash.h"
#include "format.h"
#include "tornpage/oplog.h"
#include "tornpage/replay.h"
#include "tornpage/simdisk.h"

static volatile uint32_t sink; /* keeps the CRCs from being optimised away */

typedef struct floor_arg {
	size_t ps;  /* page size */
} floor_arg;

/* The CRCs pager_open computes on an image (not the decodes, allocations or checks). */
static void floor_crcs(size_t ps, const uint8_t *img, uint64_t len)
{
	fmt_sb sb;
	uint32_t acc = 0, whole = 0;
	if (len < FMT_INITIAL_PAGES * (uint64_t)ps || fmt_sb_decode(img, &sb) != FMT_SB_OK)
		return;
	acc ^= (uint32_t)fmt_meta_crc_ok(img + (FMT_META_A + sb.active_meta) * ps, ps, &whole) ^ whole;
	uint32_t n = fmt_get32(img + FMT_DIR_INDEX_OFF);
	if (n && n <= fmt_max_dir_blocks(ps)) {
		acc ^= fmt_crc(0, img + FMT_DIR_INDEX_OFF, ps - FMT_DIR_INDEX_OFF - FMT_TRAILER);
		const uint8_t *r = img + FMT_DIR_INDEX_OFF + 4;
		for (uint32_t b = 0; b < n; b++, r += FMT_DIR_REF_LEN) {
			uint64_t page = r[16] ? fmt_get64(r + 8) : fmt_get64(r);
			if (page < len / ps)
				acc ^= fmt_crc(0, img + page * ps, ps - FMT_TRAILER);
		}
	}
	sink ^= acc;
}

static void floor_judge(void *arg, const uint8_t *img, uint64_t len)
{
	floor_crcs(((floor_arg *)arg)->ps, img, len);
}

static void null_judge(void *arg, const uint8_t *img, uint64_t len)
{
	(void)arg;
	(void)img;
	(void)len;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* States per second of one crash_run; *st receives its stats. -1 on error. */
static double run_once(const oplog *log, const crash_cfg *cfg, crash_stats *st)
{
	char msg[600];
	int rc = crash_run(log, cfg, st, NULL, NULL, msg, sizeof msg);
	if (rc < 0) {
		fprintf(stderr, "bench_floor: out of memory\n");
		return -1;
	}
	if (rc > 0) {
		fprintf(stderr, "bench_floor: %s\n", msg);
		return -1;
	}
	return st->seconds > 0 ? (double)st->judged / st->seconds : 0;
}

/* The synthetic floor: n states on the final image of log. */
static double image_floor(const oplog *log, uint32_t unit, uint64_t n)
{
	size_t ps = (size_t)1 << log->page_log2;
	simdisk *d = simdisk_new(unit ? unit : (uint32_t)ps);
	replay r;
	double rate = -1;
	if (!d || replay_init(&r, log, simdisk_io(d), "bench.db")) {
		simdisk_free(d);
		return -1;
	}
	model_result res;
	for (size_t k = 0; k < log->nops; k++)
		if (replay_exec(&r, k, &res))
			goto done;
	uint64_t len = simdisk_len(d), units = simdisk_unit_count(d);
	uint32_t u_bytes = simdisk_unit(d);
	uint8_t *img = malloc((size_t)len);
	if (!img)
		goto done;
	const uint8_t *disk = simdisk_disk(d), *cache = simdisk_cache(d);
	memcpy(img, disk, (size_t)len);
	double t0 = now();
	for (uint64_t i = 0; i < n; i++) {
		uint64_t u = i % units, off = u * u_bytes, ulen = simdisk_unit_len(d, u);
		memcpy(img + off, ((i / units) & 1 ? disk : cache) + off, (size_t)ulen);
		floor_crcs(ps, img, len);
	}
	double t = now() - t0;
	rate = t > 0 ? (double)n / t : 0;
	free(img);
done:
	replay_free(&r);
	simdisk_free(d);
	return rate;
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	uint32_t unit = 512;
	int reps = 5;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--atomic") && i + 1 < argc) {
			const char *v = argv[++i];
			unit = !strcmp(v, "page") ? 0 : (uint32_t)strtoul(v, NULL, 10);
		} else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
			reps = atoi(argv[++i]);
		} else if (argv[i][0] != '-' && !path) {
			path = argv[i];
		} else {
			fprintf(stderr, "usage: bench_floor LOG [--atomic 512|1024|2048|4096|page] [--reps N]\n");
			return 2;
		}
	}
	if (!path || reps < 1 || reps > 1000) {
		fprintf(stderr, "usage: bench_floor LOG [--atomic 512|1024|2048|4096|page] [--reps N]\n");
		return 2;
	}
	oplog log;
	if (oplog_load(path, &log, NULL, NULL)) {
		fprintf(stderr, "bench_floor: %s: cannot load the log\n", path);
		return 2;
	}
	floor_arg fa = {(size_t)1 << log.page_log2};
	crash_cfg cfg = {.unit = unit, .sub = {SUBSETS_DEFAULT_EXHAUSTIVE, SUBSETS_DEFAULT_SAMPLES, 1}};
	double *ours = calloc((size_t)reps, sizeof *ours), *en = calloc((size_t)reps, sizeof *en);
	double *fl = calloc((size_t)reps, sizeof *fl), *im = calloc((size_t)reps, sizeof *im);
	double *full = calloc((size_t)reps, sizeof *full);
	crash_stats st = {0}, st2;
	int rc = 1;
	if (!ours || !en || !fl || !im || !full)
		goto out;
	for (int r = 0; r < reps; r++) {
		crash_cfg c = cfg;
		if ((ours[r] = run_once(&log, &c, &st)) < 0)
			goto out;
		c.no_memo = 1;
		if ((full[r] = run_once(&log, &c, &st2)) < 0)
			goto out;
		if (st2.judged != st.judged || st2.fatal != st.fatal) {
			fprintf(stderr, "bench_floor: without the memo %" PRIu64 " states and %" PRIu64
				" fatal findings, with it %" PRIu64 " and %" PRIu64 "\n",
				st2.judged, st2.fatal, st.judged, st.fatal);
			goto out;
		}
		c.no_memo = 0;
		c.judge_fn = null_judge;
		if ((en[r] = run_once(&log, &c, &st2)) < 0)
			goto out;
		c.judge_fn = floor_judge;
		c.judge_arg = &fa;
		if ((fl[r] = run_once(&log, &c, &st2)) < 0)
			goto out;
		if (st2.judged != st.judged) {
			fprintf(stderr, "bench_floor: the floor pass judged %" PRIu64 " states, ours %" PRIu64 "\n",
				st2.judged, st.judged);
			goto out;
		}
		if ((im[r] = image_floor(&log, unit, st.judged)) < 0)
			goto out;
	}
	double o = median(ours, reps), e = median(en, reps), f = median(fl, reps), i = median(im, reps);
	double fu = median(full, reps);
	char ubuf[16] = "page";
	if (unit)
		snprintf(ubuf, sizeof ubuf, "%u", unit);
	printf("log %s atomic %s: %" PRIu64 " points, %" PRIu64 " generated, %" PRIu64 " judged, %" PRIu64
	       " opened in full (%.1f%%), median of %d\n",
	       path, ubuf, st.points, st.generated, st.judged, st.opened,
	       st.judged ? 100.0 * (double)st.opened / (double)st.judged : 0.0, reps);
	printf("  ours  %12.0f states/s\n", o);
	printf("  full  %12.0f states/s  (memo off: every distinct state opened and checked)\n", fu);
	printf("  enum  %12.0f states/s  (states produced, none judged)\n", e);
	printf("  floor %12.0f states/s  (same states + the CRCs open() reads)\n", f);
	printf("  image %12.0f states/s  (one unit copy + those CRCs per state, no enumeration)\n", i);
	printf("  ours/floor %.2f   ours/image %.3f\n", f > 0 ? o / f : 0, i > 0 ? o / i : 0);
	rc = 0;
out:
	free(ours);
	free(en);
	free(fl);
	free(im);
	free(full);
	oplog_free(&log);
	return rc;
}
