/* verdicts.c — the verdict table: harness verdicts and the pager's invariants in one
 * list, for the CLI, the docs and the reproducer parser. */
#include "tornpage/verdicts.h"

#include <stdlib.h>
#include <string.h>

#include "pager.h"

static const verdict_info own[V_COUNT] = {
#define VERDICT(id, name, cls, meaning) {name, cls, meaning},
#include "tornpage/verdicts.def"
#undef VERDICT
};

const char *verdict_name(verdict_id v)
{
	return (unsigned)v < V_COUNT ? own[v].id : "?";
}

const verdict_info *verdict_all(size_t *count)
{
	static verdict_info all[V_COUNT + 64];
	static size_t n;
	if (!n) {
		size_t ni;
		const pager_invariant *inv = pager_invariants(&ni);
		memcpy(all, own, sizeof own);
		n = V_COUNT;
		for (size_t i = 0; i < ni && n < sizeof all / sizeof all[0]; i++)
			all[n++] = (verdict_info){inv[i].id, "structural", inv[i].meaning};
	}
	*count = n;
	return all;
}

int verdict_known(const char *id)
{
	size_t n;
	const verdict_info *all = verdict_all(&n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(all[i].id, id) == 0)
			return 1;
	return 0;
}
