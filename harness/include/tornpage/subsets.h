/* subsets.h — which of a crash point's dirty units reached disk: the crash images.
 *
 * Given the n dirty units of one crash point (indices 0..n-1 into that point's dirty
 * list, ascending file order), this iterator yields subsets as byte masks: all 2^n when
 * n is small, otherwise a documented, seeded mix (see subsets.c's "Method:"). It does
 * not touch a disk or build images: simdisk_image()/simdisk_put_unit() do that.
 * Plus the 64-bit unit hash that gives each image a cheap identity. */
#ifndef TORNPAGE_SUBSETS_H
#define TORNPAGE_SUBSETS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* --exhaustive K is capped here: 2^24 images per crash point is already ~16.7 M pager
 * opens (minutes); beyond it a run would never end. A larger K is clamped to this. */
#define SUBSETS_MAX_EXHAUSTIVE 24u
#define SUBSETS_DEFAULT_EXHAUSTIVE 12u /* --exhaustive default */
#define SUBSETS_DEFAULT_SAMPLES 64u    /* random subsets per crash point in the mix */

typedef struct subsets_cfg {
	uint32_t exhaustive_k; /* all 2^n subsets when n <= min(K, 24); else the mix */
	uint32_t samples;      /* random subsets appended to the mix */
	uint64_t seed;         /* the run's seed; random subsets depend on (seed, point, j) */
} subsets_cfg;

#define SUBSETS_CFG_INIT { SUBSETS_DEFAULT_EXHAUSTIVE, SUBSETS_DEFAULT_SAMPLES, 0 }

/* Iterator state. Memory is O(n) (the mask and the change list), never O(2^n).
 * Fields are private to subsets.c; read them through the functions below. */
typedef struct subsets_iter {
	size_t n;           /* dirty units of the crash point */
	uint64_t total;     /* subsets next() yields in all (= subsets_count) */
	uint64_t pos;       /* subsets yielded so far; the current one has ordinal pos-1 */
	int exhaustive;     /* 1: 2^n subsets in Gray-code order; 0: the mix */
	uint64_t seed;      /* cfg->seed */
	uint64_t point;     /* crash point index (random subsets depend on it) */
	uint8_t *mask;      /* n bytes (at least 1 allocated), each 0 or 1: the current subset */
	size_t *changed;    /* indices whose mask byte the last next() flipped */
	size_t nchanged;    /* entries of changed */
} subsets_iter;

/* Prepare to enumerate subsets of n dirty units for crash point `point_index`.
 * 0, EINVAL (cfg NULL) or ENOMEM. The mask starts all-zero (nothing persisted). */
int subsets_init(subsets_iter *it, size_t n, const subsets_cfg *cfg, uint64_t point_index);
/* Advance: 1 and *mask = the next subset (n bytes, valid until the next call), or 0 when
 * every subset was yielded. The first subset is always {} (the disk as it is). */
int subsets_next(subsets_iter *it, const uint8_t **mask);
/* Indices of the mask bytes the last next() flipped, relative to the subset before it
 * (all-zero before the first). Exhaustive order is a Gray code, so after the first
 * subset exactly one unit flips: an image can be updated by copying one unit and its
 * identity by one XOR. Returns the count; *idx valid until the next call. */
size_t subsets_changed(const subsets_iter *it, const size_t **idx);
/* Release the iterator's memory (the struct itself is the caller's). */
void subsets_free(subsets_iter *it);

/* How many subsets next() yields for n units: 2^n, or (n+1) + n + n + samples. */
uint64_t subsets_count(size_t n, const subsets_cfg *cfg);
/* "exhaustive", "prefix", "omit-one", "add-one" or "random" for the current subset;
 * "none" before the first next(). */
const char *subsets_kind(const subsets_iter *it);
/* Ordinal of the current subset in the sequence (0-based). With (n, cfg, point) it
 * identifies the subset: a reproducer can store it and subsets_at() rebuilds it. */
uint64_t subsets_ordinal(const subsets_iter *it);
/* The subset of ordinal k, written into mask[0..n) without iterating. 0 or EINVAL
 * (k >= subsets_count, or cfg NULL). */
int subsets_at(size_t n, const subsets_cfg *cfg, uint64_t point_index, uint64_t k, uint8_t *mask);

/* 64-bit hash of one unit's bytes, seeded with its index: XXH64(bytes, len, seed =
 * unit_index). An image's identity is base ^ XOR over chosen units of
 * (hash(i, old) ^ hash(i, new)); include the file length in base when images of
 * different lengths are compared. */
uint64_t subsets_unit_hash(uint64_t unit_index, const uint8_t *bytes, size_t len);

/* splitmix64's output function: a bijective 64-bit mixer (used for the seeds). */
uint64_t subsets_mix64(uint64_t x);

#ifdef __cplusplus
}
#endif
#endif
