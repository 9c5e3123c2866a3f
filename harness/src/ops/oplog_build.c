/* oplog_build.c — the one way a log is made: the builder that the parser, the generator
 * and the byte decoder all go through, with each handle's life (defined once by
 * alloc/palloc, used while live, ended by free/pfree, never defined again) and a name
 * index; and oplog_validate, which rebuilds a log through it to vouch for it. It reads
 * no text (oplog_parse.c) and draws no random op (oplog_gen.c). */
#include "oplog_int.h"

#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

void oplog_free(oplog *log)
{
	if (log == NULL)
		return;
	if (log->handles != NULL) {
		for (size_t i = 0; i < log->nhandles; i++)
			free(log->handles[i]);
	}
	free(log->handles);
	free(log->handle_protected);
	free(log->ops);
	memset(log, 0, sizeof *log);
}

void oplog_b_discard(oplog_b *b)
{
	oplog_free(&b->log);
	free(b->def_line);
	free(b->end_line);
	free(b->dead);
	free(b->slots);
	memset(b, 0, sizeof *b);
}

void oplog_b_finish(oplog_b *b, oplog *out)
{
	*out = b->log;
	memset(&b->log, 0, sizeof b->log);
	oplog_b_discard(b);
}

static uint64_t oplog_hash(const char *s, size_t n)
{
	return XXH3_64bits(s, n); /* short names: XXH3's fast path */
}

uint32_t oplog_b_find(const oplog_b *b, const char *s, size_t n)
{
	if (b->nslots == 0)
		return UINT32_MAX;
	size_t mask = b->nslots - 1;
	for (size_t i = (size_t)oplog_hash(s, n) & mask;; i = (i + 1) & mask) {
		uint32_t v = b->slots[i];
		if (v == 0)
			return UINT32_MAX;
		const char *name = b->log.handles[v - 1];
		if (strlen(name) == n && memcmp(name, s, n) == 0)
			return v - 1;
	}
}

static void oplog_b_index(uint32_t *slots, size_t nslots, const char *name, uint32_t h)
{
	size_t mask = nslots - 1;
	size_t i = (size_t)oplog_hash(name, strlen(name)) & mask;
	while (slots[i] != 0)
		i = (i + 1) & mask;
	slots[i] = h + 1;
}

int oplog_grow(void **p, size_t cap, size_t size)
{
	if (cap > SIZE_MAX / size)
		return -1;
	void *q = realloc(*p, cap * size);
	if (q == NULL)
		return -1;
	*p = q;
	return 0;
}

uint32_t oplog_b_define(oplog_b *b, const char *s, size_t n, int prot, uint32_t line)
{
	size_t h = b->log.nhandles;
	if (h >= UINT32_MAX - 1)  /* handle indexes are u32, and UINT32_MAX means "none" */
		return UINT32_MAX;
	if (h == b->cap_handles) {
		size_t cap = b->cap_handles ? b->cap_handles * 2 : 16;
		if (oplog_grow((void **)&b->log.handles, cap, sizeof(char *)) ||
		    oplog_grow((void **)&b->log.handle_protected, cap, 1) ||
		    oplog_grow((void **)&b->def_line, cap, sizeof(uint32_t)) ||
		    oplog_grow((void **)&b->end_line, cap, sizeof(uint32_t)) ||
		    oplog_grow((void **)&b->dead, cap, 1))
			return UINT32_MAX;
		b->cap_handles = cap;
	}
	/* Keep the index at most half full so probes stay short. */
	if ((h + 1) * 2 > b->nslots) {
		size_t nslots = b->nslots ? b->nslots * 2 : 64;
		uint32_t *slots = calloc(nslots, sizeof *slots);
		if (slots == NULL)
			return UINT32_MAX;
		for (size_t i = 0; i < h; i++)
			oplog_b_index(slots, nslots, b->log.handles[i], (uint32_t)i);
		free(b->slots);
		b->slots = slots;
		b->nslots = nslots;
	}
	char *name = malloc(n + 1);
	if (name == NULL)
		return UINT32_MAX;
	memcpy(name, s, n);
	name[n] = '\0';
	b->log.handles[h] = name;
	b->log.handle_protected[h] = (uint8_t)(prot != 0);
	b->def_line[h] = line;
	b->end_line[h] = 0;
	b->dead[h] = 0;
	b->log.nhandles = h + 1;
	oplog_b_index(b->slots, b->nslots, name, (uint32_t)h);
	return (uint32_t)h;
}

int oplog_b_op(oplog_b *b, oplog_kind kind, uint32_t handle, uint64_t arg, uint32_t line)
{
	if (b->log.nops == b->cap_ops) {
		size_t cap = b->cap_ops ? b->cap_ops * 2 : 64;
		if (oplog_grow((void **)&b->log.ops, cap, sizeof(oplog_op)))
			return -1;
		b->cap_ops = cap;
	}
	b->log.ops[b->log.nops++] = (oplog_op){ kind, handle, arg, line };
	return 0;
}

static int oplog_is_alpha_(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int oplog_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* [A-Za-z_][A-Za-z0-9_.-]{0,63} */
int oplog_handle_ok(const char *s, size_t n)
{
	if (n == 0 || n > OPLOG_HANDLE_MAX || !oplog_is_alpha_(s[0]))
		return 0;
	for (size_t i = 1; i < n; i++) {
		char c = s[i];
		if (!oplog_is_alpha_(c) && !oplog_is_digit(c) && c != '.' && c != '-')
			return 0;
	}
	return 1;
}

size_t oplog_validate(const oplog *log)
{
	oplog_b b = { 0 };
	size_t bad = 0;
	size_t defined = 0; /* handles defined so far: the next define must be this one */
	if (log == NULL || log->ops == NULL || log->nops == 0 || log->ops[0].kind != OPLOG_CREATE ||
	    log->ops[0].handle != OPLOG_NO_HANDLE || log->ops[0].arg != log->page_log2 ||
	    log->page_log2 < OPLOG_LOG2_MIN || log->page_log2 > OPLOG_LOG2_MAX || log->format > OPLOG_PAGER_FORMAT_MAX ||
	    (log->nhandles > 0 && (log->handles == NULL || log->handle_protected == NULL)) ||
	    log->nhandles >= UINT32_MAX - 1)
		return 1;
	/* Rebuild the handle table through the builder: names valid and unique, defined in
	 * order; then every use must find its handle live and of the right class. */
	for (size_t i = 1; i < log->nops && bad == 0; i++) {
		const oplog_op *op = &log->ops[i];
		if (!oplog_kind_ok(op->kind) || op->kind == OPLOG_CREATE) {
			bad = i + 1;
			break;
		}
		const oplog_argdef *ad = oplog_argdef_of(op->kind);
		if (!ad->seed && op->arg != 0)
			bad = i + 1;
		else if (ad->handle == OPLOG_H_NONE)
			bad = op->handle == OPLOG_NO_HANDLE ? 0 : i + 1;
		else if (op->handle >= log->nhandles)
			bad = i + 1;
		else if (ad->handle == OPLOG_H_DEFINE) {
			const char *name = log->handles[op->handle];
			size_t n = name ? strlen(name) : 0;
			if (op->handle != defined || name == NULL || !oplog_handle_ok(name, n) ||
			    log->handle_protected[op->handle] != ad->prot ||
			    oplog_b_find(&b, name, n) != UINT32_MAX) {
				bad = i + 1;
			} else if (oplog_b_define(&b, name, n, ad->prot, 0) == UINT32_MAX) {
				bad = i + 1; /* out of memory: cannot vouch for the log */
			} else {
				defined++;
			}
		} else if (op->handle >= defined || b.dead[op->handle] ||
			   b.log.handle_protected[op->handle] != ad->prot) {
			bad = i + 1;
		} else if (ad->handle == OPLOG_H_END) {
			b.dead[op->handle] = 1;
		}
	}
	if (bad == 0 && defined != log->nhandles)
		bad = 1; /* handles nobody defines */
	oplog_b_discard(&b);
	return bad;
}
