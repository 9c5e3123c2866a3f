/* test_subsets.c — crash-subset enumeration (subsets.c "Method:") and the unit hash. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tornpage/subsets.h"

static uint64_t mask_bits(const uint8_t *mask, size_t n) /* n <= 64 */
{
	uint64_t b = 0;
	for (size_t i = 0; i < n; i++) {
		cr_assert(mask[i] == 0 || mask[i] == 1);
		b |= (uint64_t)mask[i] << i;
	}
	return b;
}

static subsets_cfg cfg_of(uint32_t k, uint32_t samples, uint64_t seed)
{
	subsets_cfg c = { .exhaustive_k = k, .samples = samples, .seed = seed };
	return c;
}

Test(subsets_exhaustive, three_dirty_units_give_exactly_eight_distinct_subsets)
{
	subsets_cfg cfg = SUBSETS_CFG_INIT;
	subsets_iter it;
	cr_assert_eq(subsets_count(3, &cfg), 8);
	cr_assert_eq(subsets_init(&it, 3, &cfg, 0), 0);
	cr_assert_str_eq(subsets_kind(&it), "none");
	const uint8_t *m;
	unsigned seen = 0;
	int count = 0;
	while (subsets_next(&it, &m)) {
		uint64_t b = mask_bits(m, 3);
		cr_assert_eq(seen & (1u << b), 0, "subset %llu twice", (unsigned long long)b);
		seen |= 1u << b;
		cr_assert_str_eq(subsets_kind(&it), "exhaustive");
		cr_assert_eq(subsets_ordinal(&it), (uint64_t)count);
		if (count == 0)
			cr_assert_eq(b, 0, "the first subset is {}: the disk as it is");
		count++;
	}
	cr_assert_eq(count, 8);
	cr_assert_eq(seen, 0xFF);
	cr_assert_eq(subsets_next(&it, &m), 0, "stays exhausted");
	subsets_free(&it);
}

Test(subsets_exhaustive, n_equal_k_yields_2_pow_k_in_gray_order)
{
	subsets_cfg cfg = SUBSETS_CFG_INIT; /* K = 12 */
	size_t n = SUBSETS_DEFAULT_EXHAUSTIVE;
	subsets_iter it;
	cr_assert_eq(subsets_init(&it, n, &cfg, 7), 0);
	uint8_t *seen = calloc((size_t)1 << n, 1);
	const uint8_t *m;
	uint64_t prev = 0, count = 0;
	while (subsets_next(&it, &m)) {
		uint64_t b = mask_bits(m, n);
		cr_assert_eq(seen[b], 0);
		seen[b] = 1;
		const size_t *ch;
		size_t nch = subsets_changed(&it, &ch);
		if (count == 0) {
			cr_assert_eq(nch, 0);
		} else {
			cr_assert_eq(nch, 1, "Gray code: one unit flips");
			cr_assert_eq(prev ^ b, (uint64_t)1 << ch[0]);
		}
		prev = b;
		count++;
	}
	cr_assert_eq(count, (uint64_t)1 << n);
	cr_assert_eq(subsets_count(n, &cfg), (uint64_t)1 << n);
	free(seen);
	subsets_free(&it);
}

Test(subsets_mix, n_k_plus_one_switches_to_the_mix_with_its_exact_count)
{
	subsets_cfg cfg = SUBSETS_CFG_INIT;
	size_t n = SUBSETS_DEFAULT_EXHAUSTIVE + 1;
	uint64_t want = (n + 1) + n + n + cfg.samples;
	cr_assert_eq(subsets_count(n, &cfg), want);
	subsets_iter it;
	cr_assert_eq(subsets_init(&it, n, &cfg, 0), 0);
	const uint8_t *m;
	uint64_t count = 0;
	while (subsets_next(&it, &m))
		count++;
	cr_assert_eq(count, want);
	subsets_free(&it);
}

Test(subsets_mix, prefixes_omissions_additions_then_random_exactly_as_documented)
{
	size_t n = 5;
	subsets_cfg cfg = cfg_of(2, 4, 42);
	subsets_iter it;
	cr_assert_eq(subsets_init(&it, n, &cfg, 3), 0);
	const uint8_t *m;
	uint8_t prev[5] = { 0 };
	for (size_t k = 0; k <= n; k++) {
		cr_assert(subsets_next(&it, &m));
		cr_assert_str_eq(subsets_kind(&it), "prefix");
		for (size_t i = 0; i < n; i++)
			cr_assert_eq(m[i], i < k, "prefix %zu unit %zu", k, i);
	}
	for (size_t j = 0; j < n; j++) {
		cr_assert(subsets_next(&it, &m));
		cr_assert_str_eq(subsets_kind(&it), "omit-one");
		for (size_t i = 0; i < n; i++)
			cr_assert_eq(m[i], i != j, "omit %zu unit %zu", j, i);
	}
	for (size_t j = 0; j < n; j++) {
		memcpy(prev, m, n);
		cr_assert(subsets_next(&it, &m));
		cr_assert_str_eq(subsets_kind(&it), "add-one");
		for (size_t i = 0; i < n; i++)
			cr_assert_eq(m[i], i == j, "add %zu unit %zu", j, i);
		/* The change list is the difference with the previous subset. */
		const size_t *ch;
		size_t nch = subsets_changed(&it, &ch), k = 0;
		for (size_t i = 0; i < n; i++)
			if (prev[i] != m[i]) {
				cr_assert_lt(k, nch);
				cr_assert_eq(ch[k++], i);
			}
		cr_assert_eq(k, nch);
	}
	for (int j = 0; j < 4; j++) {
		cr_assert(subsets_next(&it, &m));
		cr_assert_str_eq(subsets_kind(&it), "random");
	}
	cr_assert_eq(subsets_next(&it, &m), 0);
	subsets_free(&it);
}

/* The random part of a crash point, as one 64-bit word per subset (n <= 64). */
static void random_part(size_t n, const subsets_cfg *cfg, uint64_t point, uint64_t *out)
{
	subsets_iter it;
	cr_assert_eq(subsets_init(&it, n, cfg, point), 0);
	const uint8_t *m;
	uint64_t skip = 3 * (uint64_t)n + 1, k = 0;
	while (subsets_next(&it, &m)) {
		if (k >= skip) {
			cr_assert_str_eq(subsets_kind(&it), "random");
			out[k - skip] = mask_bits(m, n);
		}
		k++;
	}
	subsets_free(&it);
}

Test(subsets_random, reproducible_from_the_seed_and_different_for_another_seed)
{
	size_t n = 40;
	subsets_cfg a = cfg_of(12, 32, 0xC0FFEE), b = cfg_of(12, 32, 0xC0FFEF);
	uint64_t r1[32], r2[32], r3[32], r4[32];
	random_part(n, &a, 5, r1);
	random_part(n, &a, 5, r2);
	random_part(n, &b, 5, r3);
	random_part(n, &a, 6, r4);
	cr_assert_eq(memcmp(r1, r2, sizeof r1), 0, "same seed and point: same subsets");
	cr_assert_neq(memcmp(r1, r3, sizeof r1), 0, "another seed: other subsets");
	cr_assert_neq(memcmp(r1, r4, sizeof r1), 0, "another crash point: other subsets");
	/* Not a trivial pattern: distinct and about half the units each. */
	unsigned ones = 0;
	for (int i = 0; i < 32; i++) {
		for (int j = 0; j < i; j++)
			cr_assert_neq(r1[i], r1[j]);
		for (uint64_t w = r1[i]; w; w &= w - 1)
			ones++;
	}
	cr_assert(ones > 32 * 40 / 2 - 120 && ones < 32 * 40 / 2 + 120, "ones = %u", ones);
}

Test(subsets_random, do_not_depend_on_the_crash_points_that_ran_before)
{
	size_t n = 20;
	subsets_cfg cfg = cfg_of(4, 8, 1);
	uint64_t alone[8], after[8];
	random_part(n, &cfg, 9, alone);
	for (uint64_t p = 0; p < 9; p++) {
		uint64_t junk[8];
		random_part(n, &cfg, p, junk);
	}
	random_part(n, &cfg, 9, after);
	cr_assert_eq(memcmp(alone, after, sizeof alone), 0);
}

Test(subsets_random, units_past_64_use_later_words)
{
	size_t n = 200;
	subsets_cfg cfg = cfg_of(12, 16, 77);
	subsets_iter it;
	cr_assert_eq(subsets_init(&it, n, &cfg, 0), 0);
	const uint8_t *m;
	unsigned ones[4] = { 0 };
	while (subsets_next(&it, &m))
		if (strcmp(subsets_kind(&it), "random") == 0)
			for (size_t i = 0; i < n; i++)
				ones[i / 64] += m[i];
	for (int w = 0; w < 3; w++)
		cr_assert(ones[w] > 16 * 64 / 2 - 150 && ones[w] < 16 * 64 / 2 + 150, "word %d: %u",
			  w, ones[w]);
	subsets_free(&it);
}

Test(subsets_at, rebuilds_every_subset_without_iterating)
{
	size_t sizes[] = { 0, 1, 6, 12, 13, 70 };
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		size_t n = sizes[s];
		subsets_cfg cfg = cfg_of(12, 10, 5);
		subsets_iter it;
		cr_assert_eq(subsets_init(&it, n, &cfg, 11), 0);
		uint8_t *at = malloc(n ? n : 1);
		const uint8_t *m;
		while (subsets_next(&it, &m)) {
			cr_assert_eq(subsets_at(n, &cfg, 11, subsets_ordinal(&it), at), 0);
			cr_assert_eq(memcmp(at, m, n), 0, "n %zu ordinal %llu", n,
				     (unsigned long long)subsets_ordinal(&it));
		}
		cr_assert_eq(subsets_at(n, &cfg, 11, subsets_count(n, &cfg), at), EINVAL);
		free(at);
		subsets_free(&it);
	}
}

Test(subsets_count, caps_k_at_24_and_handles_zero_units)
{
	subsets_cfg big = cfg_of(100, 3, 0);
	cr_assert_eq(subsets_count(24, &big), (uint64_t)1 << 24);
	cr_assert_eq(subsets_count(25, &big), 26 + 25 + 25 + 3, "K is clamped to 24");
	subsets_cfg zero = cfg_of(0, 3, 0);
	cr_assert_eq(subsets_count(0, &zero), 1);
	cr_assert_eq(subsets_count(1, &zero), 2 + 1 + 1 + 3);
	subsets_iter it;
	cr_assert_eq(subsets_init(&it, 0, &zero, 0), 0);
	const uint8_t *m = NULL;
	cr_assert_eq(subsets_next(&it, &m), 1);
	cr_assert_not_null(m);
	cr_assert_str_eq(subsets_kind(&it), "exhaustive");
	cr_assert_eq(subsets_next(&it, &m), 0);
	subsets_free(&it);
	cr_assert_eq(subsets_init(&it, 3, NULL, 0), EINVAL);
}

Test(subsets_hash, is_xxh64_seeded_with_the_unit_index)
{
	/* Reference values of XXH64 (seed 0), from xxHash's own test vectors. */
	cr_assert_eq(subsets_unit_hash(0, NULL, 0), UINT64_C(0xEF46DB3751D8E999));
	cr_assert_eq(subsets_unit_hash(0, (const uint8_t *)"abc", 3), UINT64_C(0x44BC2CF5AD770999));
	uint8_t unit[4096];
	for (size_t i = 0; i < sizeof unit; i++)
		unit[i] = (uint8_t)(i * 131 + 7);
	uint64_t h0 = subsets_unit_hash(0, unit, sizeof unit);
	cr_assert_neq(h0, subsets_unit_hash(1, unit, sizeof unit), "the index is mixed in");
	unit[4095] ^= 1;
	cr_assert_neq(h0, subsets_unit_hash(0, unit, sizeof unit), "the last byte counts");
	cr_assert_neq(subsets_unit_hash(0, unit, 511), subsets_unit_hash(0, unit, 512));
}

/* Identities are saved (reproducer file names, docs/repro.md), so they must never change:
 * these values were computed by the hand-written XXH64 the harness carried before it
 * used libxxhash, over lengths around each of XXH64's code paths (0-3 bytes, 4, 8, the
 * 32-byte stripes and the tails after them) and seeds at both ends. */
Test(subsets_hash, pinned_identities_never_change)
{
	static const struct {
		size_t len;
		uint64_t index, hash;
	} pin[] = {
		{0, 1, UINT64_C(0xD5AFBA1336A3BE4B)},
		{1, 12345, UINT64_C(0x9102786A712FF044)},
		{3, UINT64_MAX, UINT64_C(0xE422054A9BC43A06)},
		{4, 0, UINT64_C(0x9BB64B7D66EE9FDA)},
		{7, 1, UINT64_C(0xD8B4A941715FEE31)},
		{8, 12345, UINT64_C(0xBBCC4601A016B1E4)},
		{31, UINT64_MAX, UINT64_C(0x931DF7FF3B1D1E4A)},
		{32, 0, UINT64_C(0x23C3C17EF790FD97)},
		{33, 1, UINT64_C(0x17B3DF313DE9A40E)},
		{63, 12345, UINT64_C(0x0E4A6A50D61E6220)},
		{64, UINT64_MAX, UINT64_C(0xE90717D28B13C3E9)},
		{100, 0, UINT64_C(0xA61F8D4C170FE531)},
		{512, 1, UINT64_C(0xA12EA823819C11DB)},
		{512, 12345, UINT64_C(0x2DBF476DFCE588EF)},
		{4096, 0, UINT64_C(0x796398CD432797CC)},
		{4096, UINT64_MAX, UINT64_C(0x7A4EAFB087ED77ED)},
	};
	static uint8_t buf[4096];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	for (size_t k = 0; k < sizeof pin / sizeof pin[0]; k++)
		cr_expect_eq(subsets_unit_hash(pin[k].index, buf, pin[k].len), pin[k].hash,
			     "len %zu, index %llu", pin[k].len, (unsigned long long)pin[k].index);
}

Test(subsets_hash, xor_identity_tells_images_apart_and_matches_duplicates)
{
	/* 4 units of 512 bytes; old = disk, new = cache. Identity of subset S =
	 * base ^ XOR_{i in S} (h(i, old_i) ^ h(i, new_i)), base = XOR_i h(i, old_i). */
	enum { N = 4, U = 512 };
	static uint8_t oldb[N][U], newb[N][U];
	for (int i = 0; i < N; i++)
		for (int j = 0; j < U; j++) {
			oldb[i][j] = (uint8_t)(i + j);
			newb[i][j] = (uint8_t)(i * 3 + j * 5 + 1);
		}
	uint64_t base = 0, delta[N];
	for (int i = 0; i < N; i++) {
		base ^= subsets_unit_hash((uint64_t)i, oldb[i], U);
		delta[i] = subsets_unit_hash((uint64_t)i, oldb[i], U) ^
			   subsets_unit_hash((uint64_t)i, newb[i], U);
	}
	uint64_t ids[1 << N];
	for (unsigned s = 0; s < (1u << N); s++) {
		uint64_t id = base, direct = 0;
		for (int i = 0; i < N; i++) {
			if (s & (1u << i))
				id ^= delta[i];
			direct ^= subsets_unit_hash((uint64_t)i, (s & (1u << i)) ? newb[i] : oldb[i], U);
		}
		cr_assert_eq(id, direct, "incremental identity = identity of the whole image");
		for (unsigned t = 0; t < s; t++)
			cr_assert_neq(ids[t], id, "subsets %u and %u collide", t, s);
		ids[s] = id;
	}
}
