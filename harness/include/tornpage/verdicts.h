/* verdicts.h — the harness's verdict table (verdicts.def) and lookups across it and the
 * pager's structural invariants. */
#ifndef TORNPAGE_VERDICTS_H
#define TORNPAGE_VERDICTS_H

#include <stddef.h>

typedef enum verdict_id {
#define VERDICT(id, name, cls, meaning) V_##id,
#include "tornpage/verdicts.def"
#undef VERDICT
	V_COUNT
} verdict_id;

typedef struct verdict_info {
	const char *id;       /* "I-ATOMIC" */
	const char *cls;      /* "crash", "run", "fault" or "structural" */
	const char *meaning;
} verdict_info;

const char *verdict_name(verdict_id v);
/* Every verdict the harness can give: its own, then the pager's structural ones. */
const verdict_info *verdict_all(size_t *count);
/* Known id (either table)? */
int verdict_known(const char *id);

#endif
