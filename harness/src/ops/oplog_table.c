/* oplog_table.c — the op table of format 1 (ops.def) and what is read from it: names,
 * usage lines, meanings, argument kinds; and the fill pattern the ops write. It parses
 * and generates nothing (oplog_parse.c, oplog_gen.c). */
#include "oplog_int.h"

#include <string.h>

/* ---------------------------------------------------------------------------------
 * The op table */

const oplog_def oplog_defs[OPLOG_KIND_COUNT] = {
#define OPLOG_OP(name, kind, args, meaning) [kind] = { name, args, meaning },
#include "tornpage/ops.def"
#undef OPLOG_OP
};

/* The contract in oplog.h fixes these positions: fuzz inputs and other modules rely on
 * them, so a reordered ops.def must not compile. */
_Static_assert(OPLOG_CREATE == 0 && OPLOG_ALLOC == 1 && OPLOG_FREE == 2 && OPLOG_FILL == 3 &&
	OPLOG_PALLOC == 4 && OPLOG_PFREE == 5 && OPLOG_PWRITE == 6 && OPLOG_PSTAGE == 7 &&
	OPLOG_REOPEN == 8 && OPLOG_KIND_COUNT == 9, "ops.def rows out of contract order");

/* What each argument kind means (oplog_int.h). */
const oplog_argdef oplog_argdefs[] = {
	[OPLOG_ARGS_NONE] = { 0, OPLOG_H_NONE, 0, 0, "" },
	[OPLOG_ARGS_LOG2] = { 1, OPLOG_H_NONE, 0, 0, "LOG2 [v2]" },
	[OPLOG_ARGS_NEW_REGULAR] = { 1, OPLOG_H_DEFINE, 0, 0, "H" },
	[OPLOG_ARGS_END_REGULAR] = { 1, OPLOG_H_END, 0, 0, "H" },
	[OPLOG_ARGS_REGULAR_SEED] = { 2, OPLOG_H_USE, 0, 1, "H SEED" },
	[OPLOG_ARGS_NEW_PROTECTED] = { 1, OPLOG_H_DEFINE, 1, 0, "H" },
	[OPLOG_ARGS_END_PROTECTED] = { 1, OPLOG_H_END, 1, 0, "H" },
	[OPLOG_ARGS_PROTECTED_SEED] = { 2, OPLOG_H_USE, 1, 1, "H SEED" },
};

/* Usage lines ("fill H SEED"), made from the table so they can never disagree with it. */
const char *const oplog_usages[OPLOG_KIND_COUNT] = {
#define OPLOG_ARGTXT_OPLOG_ARGS_NONE ""
#define OPLOG_ARGTXT_OPLOG_ARGS_LOG2 " LOG2 [v2]"
#define OPLOG_ARGTXT_OPLOG_ARGS_NEW_REGULAR " H"
#define OPLOG_ARGTXT_OPLOG_ARGS_END_REGULAR " H"
#define OPLOG_ARGTXT_OPLOG_ARGS_REGULAR_SEED " H SEED"
#define OPLOG_ARGTXT_OPLOG_ARGS_NEW_PROTECTED " H"
#define OPLOG_ARGTXT_OPLOG_ARGS_END_PROTECTED " H"
#define OPLOG_ARGTXT_OPLOG_ARGS_PROTECTED_SEED " H SEED"
#define OPLOG_OP(name, kind, args, meaning) [kind] = name OPLOG_ARGTXT_##args,
#include "tornpage/ops.def"
#undef OPLOG_OP
};

const char *oplog_kind_name(oplog_kind k)
{
	return oplog_kind_ok(k) ? oplog_defs[k].name : "?";
}

const char *oplog_kind_usage(oplog_kind k)
{
	return oplog_kind_ok(k) ? oplog_usages[k] : "?";
}

const char *oplog_kind_meaning(oplog_kind k)
{
	return oplog_kind_ok(k) ? oplog_defs[k].meaning : "?";
}

oplog_args oplog_kind_args(oplog_kind k)
{
	return oplog_kind_ok(k) ? oplog_defs[k].args : OPLOG_ARGS_NONE;
}

oplog_kind oplog_kind_from_name(const char *name, size_t n)
{
	if (name == NULL)
		return OPLOG_KIND_COUNT;
	for (int k = 0; k < OPLOG_KIND_COUNT; k++) {
		if (strlen(oplog_defs[k].name) == n && memcmp(oplog_defs[k].name, name, n) == 0)
			return (oplog_kind)k;
	}
	return OPLOG_KIND_COUNT;
}

/* ---------------------------------------------------------------------------------
 * The pattern */

void oplog_pattern(uint64_t seed, uint8_t *buf, size_t n)
{
	/* Unsigned u64 arithmetic wraps by definition: no overflow to fear. */
	for (size_t i = 0; i < n; i++) {
		uint64_t x = (uint64_t)i;
		buf[i] = (uint8_t)(seed * 7u + x * 13u + (x >> 8));
	}
}
