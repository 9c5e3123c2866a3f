/* subsets.c — crash-subset enumeration: which dirty units a crash image takes from the
 * cache. Pure computation over indices; no disk, no images, no I/O.
 *
 * Method:
 *
 * A crash point has n dirty units (cache != disk), numbered 0..n-1 in ascending file
 * order. The OS may have written back any of them, in any order, before the power
 * failed, so every subset S of {0..n-1} is a possible crash image: disk, plus the cache
 * bytes of the units in S. The iterator yields masks (mask[i] = 1 when unit i is in S).
 *
 * Exhaustive (n <= K, K = --exhaustive, default 12, clamped to 24): all 2^n subsets, in
 * binary-reflected Gray-code order: subset k has unit i in it iff bit i of k ^ (k >> 1)
 * is set. The first subset is {} and each later one flips exactly one unit (unit
 * ctz(k)), so a caller can update an image and its identity with one unit copy. K is
 * capped at 24 because 2^24 (~16.7 M) images per crash point is already too slow to judge.
 *
 * Mix (n > K): (n+1) + n + n + samples subsets, in this order:
 *   - prefix, k = 0..n: units {0..k-1}: write-back in ascending file order stopped
 *     after k units ({} and "everything" included);
 *   - omit-one, i = 0..n-1: every unit except i;
 *   - add-one, i = 0..n-1: only unit i;
 *   - random, j = 0..samples-1: each unit in with probability 1/2. The bits come from a
 *     splitmix64 stream started at key = mix(mix(mix(seed) ^ point) ^ j), where mix is
 *     splitmix64's output function (subsets_mix64); word w = the stream's (w+1)-th
 *     output, unit i = bit (i mod 64) of word (i / 64). A subset therefore depends only
 *     on (seed, crash point index, j, n): not on which crash points ran before, and a
 *     reproducer can rebuild it (subsets_at).
 * Duplicates are possible (e.g. prefix n = omit-nothing; n = 1 repeats {} and {0});
 * the caller dedupes images by identity, so they cost one hash comparison each.
 *
 * Identity: subsets_unit_hash is XXH64 of a unit's bytes seeded with its unit index, so
 * the same bytes at two places hash differently. An image's identity is
 * base ^ XOR_{i in S} (hash(i, disk_i) ^ hash(i, cache_i)); two different images collide
 * with probability about 2^-64 per pair. */
#include "tornpage/subsets.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#define SUBSETS_GOLDEN 0x9E3779B97F4A7C15u /* splitmix64's increment (2^64 / phi) */

enum subsets_kind_id {
	SUBSETS_KIND_EXHAUSTIVE,
	SUBSETS_KIND_PREFIX,
	SUBSETS_KIND_OMIT,
	SUBSETS_KIND_ADD,
	SUBSETS_KIND_RANDOM,
};

static const char *const subsets_kind_names[] = {
	"exhaustive", "prefix", "omit-one", "add-one", "random",
};

uint64_t subsets_mix64(uint64_t x)
{
	uint64_t z = x + SUBSETS_GOLDEN;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
	return z ^ (z >> 31);
}

/* The next output of a splitmix64 stream whose state is *s. */
static uint64_t subsets_splitmix_next(uint64_t *s)
{
	uint64_t z = *s;
	*s = z + SUBSETS_GOLDEN;
	return subsets_mix64(z);
}

static uint32_t subsets_k(const subsets_cfg *cfg)
{
	return cfg->exhaustive_k > SUBSETS_MAX_EXHAUSTIVE ? SUBSETS_MAX_EXHAUSTIVE
							  : cfg->exhaustive_k;
}

static int subsets_is_exhaustive(size_t n, const subsets_cfg *cfg)
{
	return n <= (size_t)subsets_k(cfg);
}

uint64_t subsets_count(size_t n, const subsets_cfg *cfg)
{
	if (!cfg)
		return 0;
	if (subsets_is_exhaustive(n, cfg))
		return (uint64_t)1 << n; /* n <= 24 */
	/* 3n + 1 + samples, saturating: only absurd n could overflow. */
	uint64_t n64 = (uint64_t)n;
	if (n64 > (UINT64_MAX - 1 - cfg->samples) / 3)
		return UINT64_MAX;
	return 3 * n64 + 1 + cfg->samples;
}

/* Which part of the mix ordinal k falls in; *i receives the index inside that part. */
static enum subsets_kind_id subsets_mix_part(size_t n, uint64_t k, uint64_t *i)
{
	uint64_t n64 = (uint64_t)n;
	if (k < n64 + 1) {
		*i = k;
		return SUBSETS_KIND_PREFIX;
	}
	k -= n64 + 1;
	if (k < n64) {
		*i = k;
		return SUBSETS_KIND_OMIT;
	}
	k -= n64;
	if (k < n64) {
		*i = k;
		return SUBSETS_KIND_ADD;
	}
	*i = k - n64;
	return SUBSETS_KIND_RANDOM;
}

/* Write the mix subset of ordinal k into mask. When changed is not NULL, record every
 * index whose byte differs from what mask held before (the caller's previous subset). */
static void subsets_mix_write(size_t n, uint64_t seed, uint64_t point, uint64_t k,
			      uint8_t *mask, size_t *changed, size_t *nchanged)
{
	uint64_t j;
	enum subsets_kind_id kind = subsets_mix_part(n, k, &j);
	uint64_t stream = 0, word = 0;
	size_t count = 0;

	if (kind == SUBSETS_KIND_RANDOM)
		stream = subsets_mix64(subsets_mix64(subsets_mix64(seed) ^ point) ^ j);
	for (size_t i = 0; i < n; i++) {
		uint8_t v;
		switch (kind) {
		case SUBSETS_KIND_PREFIX:
			v = (uint64_t)i < j;
			break;
		case SUBSETS_KIND_OMIT:
			v = (uint64_t)i != j;
			break;
		case SUBSETS_KIND_ADD:
			v = (uint64_t)i == j;
			break;
		default:
			if (i % 64 == 0)
				word = subsets_splitmix_next(&stream);
			v = (uint8_t)((word >> (i % 64)) & 1u);
			break;
		}
		if (changed && mask[i] != v)
			changed[count++] = i;
		mask[i] = v;
	}
	if (nchanged)
		*nchanged = count;
}

int subsets_init(subsets_iter *it, size_t n, const subsets_cfg *cfg, uint64_t point_index)
{
	if (!it || !cfg)
		return EINVAL;
	memset(it, 0, sizeof *it);
	if (n > SIZE_MAX / sizeof(size_t) - 1)
		return ENOMEM;
	/* At least one byte / entry so the pointers are never NULL (n = 0 is legal). */
	it->mask = calloc(n ? n : 1, 1);
	it->changed = malloc((n ? n : 1) * sizeof(size_t));
	if (!it->mask || !it->changed) {
		subsets_free(it);
		return ENOMEM;
	}
	it->n = n;
	it->total = subsets_count(n, cfg);
	it->pos = 0;
	it->exhaustive = subsets_is_exhaustive(n, cfg);
	it->seed = cfg->seed;
	it->point = point_index;
	it->nchanged = 0;
	return 0;
}

void subsets_free(subsets_iter *it)
{
	if (!it)
		return;
	free(it->mask);
	free(it->changed);
	it->mask = NULL;
	it->changed = NULL;
	it->n = 0;
	it->total = 0;
	it->pos = 0;
	it->nchanged = 0;
}

int subsets_next(subsets_iter *it, const uint8_t **mask)
{
	if (!it || !it->mask || it->pos >= it->total)
		return 0;
	uint64_t k = it->pos;
	if (it->exhaustive) {
		/* Invariant: mask = gray(k - 1). gray(k) differs from it in bit ctz(k). */
		if (k == 0) {
			it->nchanged = 0;
		} else {
			size_t i = 0;
			while (!((k >> i) & 1u))
				i++;
			it->mask[i] ^= 1u;
			it->changed[0] = i;
			it->nchanged = 1;
		}
	} else {
		subsets_mix_write(it->n, it->seed, it->point, k, it->mask, it->changed,
				  &it->nchanged);
	}
	it->pos++;
	if (mask)
		*mask = it->mask;
	return 1;
}

size_t subsets_changed(const subsets_iter *it, const size_t **idx)
{
	if (idx)
		*idx = it->changed;
	return it->nchanged;
}

const char *subsets_kind(const subsets_iter *it)
{
	if (!it || it->pos == 0)
		return "none";
	if (it->exhaustive)
		return subsets_kind_names[SUBSETS_KIND_EXHAUSTIVE];
	uint64_t j;
	return subsets_kind_names[subsets_mix_part(it->n, it->pos - 1, &j)];
}

uint64_t subsets_ordinal(const subsets_iter *it)
{
	return it->pos ? it->pos - 1 : 0;
}

int subsets_at(size_t n, const subsets_cfg *cfg, uint64_t point_index, uint64_t k, uint8_t *mask)
{
	if (!cfg || k >= subsets_count(n, cfg))
		return EINVAL;
	if (subsets_is_exhaustive(n, cfg)) {
		uint64_t g = k ^ (k >> 1);
		for (size_t i = 0; i < n; i++)
			mask[i] = (uint8_t)((g >> i) & 1u);
		return 0;
	}
	subsets_mix_write(n, cfg->seed, point_index, k, mask, NULL, NULL);
	return 0;
}

/* XXH64 from libxxhash (Debian libxxhash-dev): its value is defined on the bytes, the
 * same on every host, so an identity could be saved in a report (reproducer file names
 * are one: repro.c). ~1 byte per cycle or better: a 4 KiB unit hashes in about a
 * microsecond. test_subsets.c pins known values. */
uint64_t subsets_unit_hash(uint64_t unit_index, const uint8_t *bytes, size_t len)
{
	static const uint8_t none[1];
	return XXH64(len ? (const void *)bytes : none, len, unit_index); /* bytes may be NULL when len is 0 */
}
