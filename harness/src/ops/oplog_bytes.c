/* oplog_bytes.c — the fuzzer's structure-aware decoder: any bytes to a valid log, one
 * byte choosing each op among those the caps allow (docs/oplog.md, "Decoding bytes"). */
#include "oplog_int.h"

#include <string.h>

int oplog_from_bytes(const uint8_t *data, size_t len, size_t max_ops, oplog *out)
{
	oplog_rand r;
	size_t pos = 0;
	if (out == NULL)
		return -1;
	memset(out, 0, sizeof *out);
	if (data == NULL)
		len = 0;
	unsigned log2 = OPLOG_LOG2_MIN + (len > 0 ? data[pos++] % 3u : 0u);
	if (oplog_rand_init(&r, log2) != 0)
		goto oom;
	for (size_t n = 0; n < max_ops && pos < len; n++) {
		oplog_kind valid[OPLOG_KIND_COUNT];
		size_t nvalid = 0;
		for (int k = OPLOG_ALLOC; k < OPLOG_KIND_COUNT; k++) {
			if (oplog_pages_can(&r.pg, (oplog_kind)k))
				valid[nvalid++] = (oplog_kind)k;
		}
		/* reopen is always possible, so nvalid >= 1 */
		oplog_kind k = valid[data[pos++] % nvalid];
		const oplog_argdef *ad = oplog_argdef_of(k);
		uint64_t pick = 0, arg = 0;
		if (ad->handle == OPLOG_H_USE || ad->handle == OPLOG_H_END)
			pick = pos < len ? data[pos++] : 0;
		if (ad->seed)
			arg = pos < len ? data[pos++] : 0;
		if (oplog_rand_emit(&r, k, pick, arg) != 0)
			goto oom;
	}
	oplog_rand_finish(&r, out);
	return 0;
oom:
	oplog_rand_discard(&r);
	return -1;
}
