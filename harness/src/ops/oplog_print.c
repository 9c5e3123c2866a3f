/* oplog_print.c — logs back to text: oplog_format (the canonical form, which parses back
 * to the same log) and the markdown op table of docs/oplog.md. */
#include "oplog_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------
 * A growable text buffer (format, markdown) */

typedef struct oplog_buf {
	char *p;    /* text, NUL-terminated while ok */
	size_t len; /* bytes used, NUL excluded */
	size_t cap; /* bytes allocated */
	int oom;    /* 1 after a failed allocation: everything after is dropped */
} oplog_buf;

static void oplog_buf_add(oplog_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (n >= SIZE_MAX / 2 - b->len) {
		b->oom = 1;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (p == NULL) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void oplog_buf_str(oplog_buf *b, const char *s)
{
	oplog_buf_add(b, s, strlen(s));
}

static void oplog_buf_u64(oplog_buf *b, uint64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
	oplog_buf_add(b, tmp, (size_t)n);
}

/* Hands the text to the caller, or NULL (buffer freed) if an allocation failed. */
static char *oplog_buf_take(oplog_buf *b)
{
	if (b->oom || b->p == NULL) {
		free(b->p);
		return NULL;
	}
	return b->p;
}

char *oplog_ops_markdown(void)
{
	oplog_buf b = { 0 };
	oplog_buf_str(&b, "| op | arguments | meaning |\n|---|---|---|\n");
	for (int k = 0; k < OPLOG_KIND_COUNT; k++) {
		const char *args = oplog_argdefs[oplog_defs[k].args].usage;
		oplog_buf_str(&b, "| `");
		oplog_buf_str(&b, oplog_defs[k].name);
		oplog_buf_str(&b, "` | ");
		if (*args) {
			oplog_buf_str(&b, "`");
			oplog_buf_str(&b, args);
			oplog_buf_str(&b, "`");
		} else {
			oplog_buf_str(&b, "(none)");
		}
		oplog_buf_str(&b, " | ");
		oplog_buf_str(&b, oplog_defs[k].meaning);
		oplog_buf_str(&b, " |\n");
	}
	return oplog_buf_take(&b);
}

char *oplog_format(const oplog *log)
{
	if (oplog_validate(log) != 0)
		return NULL;
	oplog_buf b = { 0 };
	oplog_buf_str(&b, "# tornpage oplog 1\n");
	for (size_t i = 0; i < log->nops; i++) {
		const oplog_op *op = &log->ops[i];
		const oplog_argdef *ad = oplog_argdef_of(op->kind);
		oplog_buf_str(&b, oplog_defs[op->kind].name);
		if (op->kind == OPLOG_CREATE) {
			oplog_buf_str(&b, " ");
			oplog_buf_u64(&b, op->arg);
			if (oplog_pager_format(log) == 2)
				oplog_buf_str(&b, " v2");
		}
		if (ad->handle != OPLOG_H_NONE) {
			oplog_buf_str(&b, " ");
			oplog_buf_str(&b, log->handles[op->handle]);
		}
		if (ad->seed) {
			oplog_buf_str(&b, " ");
			oplog_buf_u64(&b, op->arg);
		}
		oplog_buf_str(&b, "\n");
	}
	return oplog_buf_take(&b);
}
