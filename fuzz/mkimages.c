/* mkimages.c — writes the fuzz corpora's seed inputs (scripts/mkimages.sh runs it).
 * It makes inputs, it does not fuzz nor judge: a log that does not replay is an error.
 *
 *   mkimages --from-log LOG LOG2 OUT [MAX]
 *                                      replay LOG with its create's page size replaced by
 *                                      LOG2 (10..12) on a simulated disk, checking every
 *                                      op against the model, and write a fuzz_image input:
 *                                      the header byte, then the file as the page cache
 *                                      holds it after the last op that leaves it at most
 *                                      MAX bytes long (default: the whole log; small
 *                                      inputs fuzz faster and keep the corpus small)
 *   mkimages --wrap IMG OUT            a fuzz_image input that reproduces the file IMG
 *   mkimages --oplog-input LOG OUT     a fuzz_oplog input whose decoded log is LOG's first
 *                                      40 ops, as far as the decoder can express them (its
 *                                      caps may drop some; seeds are taken mod 256, which
 *                                      writes the same page bytes); prints what was kept
 * Exit: 0, 1 on a log that does not replay or cannot be encoded, 2 on bad usage or I/O. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inputs.h"
#include "tornpage/model.h"
#include "tornpage/oplog.h"
#include "tornpage/replay.h"
#include "tornpage/simdisk.h"

static const char usage[] =
	"usage: mkimages --from-log LOG LOG2 OUT [MAX] | --wrap IMG OUT | --oplog-input LOG OUT\n";

static int write_input(const char *path, const uint8_t *head, size_t nhead, const uint8_t *body,
		       size_t nbody)
{
	FILE *f = fopen(path, "wb");
	if (!f) {
		perror(path);
		return 2;
	}
	int bad = (nhead && fwrite(head, 1, nhead, f) != nhead) ||
		  (nbody && fwrite(body, 1, nbody, f) != nbody);
	bad |= fclose(f) != 0;
	if (bad) {
		perror(path);
		return 2;
	}
	return 0;
}

static void diag(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "%s\n", msg);
}

static int from_log(const char *path, const char *log2_text, const char *out, const char *max_text)
{
	oplog log;
	char msg[600] = "";
	unsigned log2 = (unsigned)strtoul(log2_text, NULL, 10);
	uint64_t max = max_text ? strtoull(max_text, NULL, 10) : UINT64_MAX;
	uint8_t *keep = NULL;   /* the file after the last op that left it <= max bytes */
	size_t keep_len = 0;
	if (log2 < 10 || log2 > 12 || max < 4096) {
		fputs(usage, stderr);
		return 2;
	}
	if (oplog_load(path, &log, diag, NULL) != 0)
		return 2;
	log.ops[0].arg = log2;
	log.page_log2 = log2;
	int rc = 2;
	simdisk *d = simdisk_new(SIMDISK_MIN_UNIT);
	replay r;
	model m;
	memset(&r, 0, sizeof r);
	if (!d || replay_init(&r, &log, simdisk_io(d), "mkimages.db")) {
		simdisk_free(d);
		oplog_free(&log);
		return 2;
	}
	if (model_init(&m, &log) == 0) {
		rc = 0;
		for (size_t k = 0; k < log.nops && !rc; k++) {
			if (replay_step(&r, &m, k, NULL, msg, sizeof msg)) {
				fprintf(stderr, "mkimages: %s at %u-byte pages: %s\n", path, 1u << log2, msg);
				rc = 1;
				break;
			}
			/* Every op leaves the cache as a clean close would (commits are in it). */
			uint64_t len = simdisk_len(d);
			if (len > max)
				break;
			uint8_t *k2 = realloc(keep, (size_t)len);
			if (!k2) {
				rc = 2;
				break;
			}
			keep = k2;
			keep_len = (size_t)len;
			memcpy(keep, simdisk_cache(d), keep_len);
		}
		model_free(&m);
	}
	replay_free(&r);
	if (rc == 0) {
		uint8_t head = (uint8_t)(log2 - 10);
		rc = keep ? write_input(out, &head, 1, keep, keep_len) : 1;
	}
	free(keep);
	simdisk_free(d);
	oplog_free(&log);
	return rc;
}

static int wrap(const char *img, const char *out)
{
	size_t len;
	uint8_t *buf = fuzz_read_file(img, &len);
	if (!buf) {
		perror(img);
		return 2;
	}
	uint8_t head = fuzz_image_header_for(buf, len);
	int rc = write_input(out, &head, 1, buf, len);
	free(buf);
	return rc;
}

/* ---- --oplog-input: greedy search of the bytes the decoder turns into LOG ---- */

static int same_op(const oplog_op *got, const oplog_op *want, const uint32_t *map)
{
	if (got->kind != want->kind)
		return 0;
	oplog_args a = oplog_kind_args(want->kind);
	if (a == OPLOG_ARGS_END_REGULAR || a == OPLOG_ARGS_REGULAR_SEED ||
	    a == OPLOG_ARGS_END_PROTECTED || a == OPLOG_ARGS_PROTECTED_SEED)
		if (map[want->handle] != got->handle)
			return 0;
	if (a == OPLOG_ARGS_REGULAR_SEED || a == OPLOG_ARGS_PROTECTED_SEED)
		if (got->arg != want->arg % 256)
			return 0;
	return 1;
}

static int oplog_input(const char *path, const char *out)
{
	oplog log, got;
	if (oplog_load(path, &log, diag, NULL) != 0)
		return 2;
	uint8_t bytes[FUZZ_OPLOG_MAX_INPUT];
	size_t n = 1, kept = 0, dropped = 0;
	uint32_t *map = malloc((log.nhandles ? log.nhandles : 1) * sizeof *map);
	if (!map) {
		oplog_free(&log);
		return 2;
	}
	for (size_t h = 0; h < log.nhandles; h++)
		map[h] = UINT32_MAX;
	bytes[0] = (uint8_t)((log.page_log2 - 10) % 2);
	for (size_t k = 1; k < log.nops && kept < FUZZ_OPLOG_MAX_OPS; k++) {
		const oplog_op *want = &log.ops[k];
		oplog_args a = oplog_kind_args(want->kind);
		int handle = a == OPLOG_ARGS_END_REGULAR || a == OPLOG_ARGS_REGULAR_SEED ||
			     a == OPLOG_ARGS_END_PROTECTED || a == OPLOG_ARGS_PROTECTED_SEED;
		int seed = a == OPLOG_ARGS_REGULAR_SEED || a == OPLOG_ARGS_PROTECTED_SEED;
		if (handle && map[want->handle] == UINT32_MAX) {
			dropped++; /* its handle's definition was dropped */
			continue;
		}
		int found = 0;
		for (unsigned b = 0; b < 16 && !found; b++) {
			for (unsigned pick = 0; pick < (handle ? 256u : 1u) && !found; pick++) {
				size_t m = n;
				bytes[m++] = (uint8_t)b;
				if (handle)
					bytes[m++] = (uint8_t)pick;
				if (seed)
					bytes[m++] = (uint8_t)(want->arg % 256);
				if (fuzz_oplog_decode(bytes, m, &got) != 0) {
					free(map);
					oplog_free(&log);
					return 2;
				}
				if (got.nops == kept + 2 && same_op(&got.ops[kept + 1], want, map)) {
					found = 1;
					n = m;
					kept++;
					if (a == OPLOG_ARGS_NEW_REGULAR || a == OPLOG_ARGS_NEW_PROTECTED)
						map[want->handle] = got.ops[kept].handle;
				}
				oplog_free(&got);
			}
		}
		if (!found)
			dropped++;
	}
	fprintf(stderr, "mkimages: %s: %zu ops encoded in %zu bytes, %zu dropped\n", path, kept, n, dropped);
	free(map);
	oplog_free(&log);
	return write_input(out, NULL, 0, bytes, n);
}

int main(int argc, char **argv)
{
	if ((argc == 5 || argc == 6) && strcmp(argv[1], "--from-log") == 0)
		return from_log(argv[2], argv[3], argv[4], argc == 6 ? argv[5] : NULL);
	if (argc == 4 && strcmp(argv[1], "--wrap") == 0)
		return wrap(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "--oplog-input") == 0)
		return oplog_input(argv[2], argv[3]);
	fputs(usage, stderr);
	return 2;
}
