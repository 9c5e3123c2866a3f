/* shrink.h — minimize a reproducer: delta debugging (ddmin, Zeller & Hildebrandt 2002)
 * over its ops, then (crash cases) over its persisted units, keeping every expected
 * verdict.
 * How the crash point and the units follow the ops when ops are removed is in shrink.c
 * ("Method:") and docs/repro.md. It does not parse or print files (repro.c). */
#ifndef TORNPAGE_SHRINK_H
#define TORNPAGE_SHRINK_H

#include <stddef.h>
#include <stdint.h>

#include "tornpage/repro.h"

typedef struct shrink_stats {
	size_t ops_before, ops_after;     /* ops in the log, the create included */
	size_t units_before, units_after; /* persisted units */
	uint64_t tests;                   /* candidates judged */
	uint64_t relocated;               /* accepted op candidates whose units moved by page key */
} shrink_stats;

/* The generic ddmin: items[0..*n) is a failing configuration; test(arg, c, k) says whether
 * the configuration c[0..k) still fails (1), not (0), or an error happened (-1). On
 * return items[0..*n) is 1-minimal (removing any one item makes the test pass), in the
 * original order. 0, or -1 on error / ENOMEM. test is also asked about the empty set. */
typedef int (*shrink_test_fn)(void *arg, const size_t *c, size_t k);
int shrink_ddmin(size_t *items, size_t *n, shrink_test_fn test, void *arg, uint64_t *tests);

/* Minimize reproducer in into *out, a valid reproducer: a crash case keeps its op kind,
 * phase and step at the crash point; a fault case keeps its point, mode and errno, failing
 * at the same relative hit inside the same op. expect = every verdict the result now
 * gives, a superset of in's. 0: done; 1: in does not show its expected verdicts (or
 * expects none), why in msg; 2: neither a crash nor a fault case; -1: ENOMEM. */
int shrink_repro(const repro *in, repro *out, shrink_stats *st, char *msg, size_t msglen);

#endif
