/* oplog.c — operation logs, format 1: the parser, the printer, the seeded generator, the
 * fuzzer's byte decoder and the fill pattern. Every log it hands out is valid.
 * It is not the model and runs nothing: which pages an op touches on disk is the pager's
 * business; here we only count pages, to keep generated files within bounds.
 *
 * Method. One table (ops.def) says, per op, its name and its argument kind; the argument
 * kind says how many arguments it takes and what it does to its handle (defines it, uses
 * it, ends it; regular or protected). The parser, the generator and the byte decoder all
 * build through the same builder (oplog_b_*), and a handle's life is: defined once by
 * alloc/palloc, used while live, ended by free/pfree, never defined again. The parser
 * reads any bytes: a line is cut at '\n' (one '\r' before it is dropped), '#' starts a
 * comment, tokens are separated by spaces and tabs; each bad line gets one diagnostic and
 * has no effect, so later lines are judged as if it were absent. */
#define _POSIX_C_SOURCE 200809L

#include "oplog.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------------------------
 * The op table */

typedef struct oplog_def {
	const char *name;    /* op name as written in a log */
	oplog_args args;     /* argument kind (ops.def column 3) */
	const char *meaning; /* one line for help and docs */
} oplog_def;

static const oplog_def oplog_defs[OPLOG_KIND_COUNT] = {
#define OPLOG_OP(name, kind, args, meaning) [kind] = { name, args, meaning },
#include "ops.def"
#undef OPLOG_OP
};

/* The contract in oplog.h fixes these positions: fuzz inputs and other modules rely on
 * them, so a reordered ops.def must not compile. */
_Static_assert(OPLOG_CREATE == 0 && OPLOG_ALLOC == 1 && OPLOG_FREE == 2 && OPLOG_FILL == 3 &&
	OPLOG_PALLOC == 4 && OPLOG_PFREE == 5 && OPLOG_PWRITE == 6 && OPLOG_PSTAGE == 7 &&
	OPLOG_REOPEN == 8 && OPLOG_KIND_COUNT == 9, "ops.def rows out of contract order");

/* What an argument kind means: the parser's and validator's view of ops.def column 3. */
enum { OPLOG_H_NONE, OPLOG_H_DEFINE, OPLOG_H_USE, OPLOG_H_END };
typedef struct oplog_argdef {
	unsigned nargs;      /* number of arguments after the op name */
	int handle;          /* OPLOG_H_*: what the op does to its handle */
	int prot;            /* 1: the handle must be protected (palloc'd) */
	int seed;            /* 1: a SEED argument follows the handle */
	const char *usage;   /* the arguments, as in "fill H SEED" */
} oplog_argdef;

static const oplog_argdef oplog_argdefs[] = {
	[OPLOG_ARGS_NONE] = { 0, OPLOG_H_NONE, 0, 0, "" },
	[OPLOG_ARGS_LOG2] = { 1, OPLOG_H_NONE, 0, 0, "LOG2" },
	[OPLOG_ARGS_NEW_REGULAR] = { 1, OPLOG_H_DEFINE, 0, 0, "H" },
	[OPLOG_ARGS_END_REGULAR] = { 1, OPLOG_H_END, 0, 0, "H" },
	[OPLOG_ARGS_REGULAR_SEED] = { 2, OPLOG_H_USE, 0, 1, "H SEED" },
	[OPLOG_ARGS_NEW_PROTECTED] = { 1, OPLOG_H_DEFINE, 1, 0, "H" },
	[OPLOG_ARGS_END_PROTECTED] = { 1, OPLOG_H_END, 1, 0, "H" },
	[OPLOG_ARGS_PROTECTED_SEED] = { 2, OPLOG_H_USE, 1, 1, "H SEED" },
};

/* Usage lines ("fill H SEED"), made from the table so they can never disagree with it. */
static const char *const oplog_usages[OPLOG_KIND_COUNT] = {
#define OPLOG_ARGTXT_OPLOG_ARGS_NONE ""
#define OPLOG_ARGTXT_OPLOG_ARGS_LOG2 " LOG2"
#define OPLOG_ARGTXT_OPLOG_ARGS_NEW_REGULAR " H"
#define OPLOG_ARGTXT_OPLOG_ARGS_END_REGULAR " H"
#define OPLOG_ARGTXT_OPLOG_ARGS_REGULAR_SEED " H SEED"
#define OPLOG_ARGTXT_OPLOG_ARGS_NEW_PROTECTED " H"
#define OPLOG_ARGTXT_OPLOG_ARGS_END_PROTECTED " H"
#define OPLOG_ARGTXT_OPLOG_ARGS_PROTECTED_SEED " H SEED"
#define OPLOG_OP(name, kind, args, meaning) [kind] = name OPLOG_ARGTXT_##args,
#include "ops.def"
#undef OPLOG_OP
};

static int oplog_kind_ok(oplog_kind k)
{
	return (unsigned)k < (unsigned)OPLOG_KIND_COUNT;
}

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

static const oplog_argdef *oplog_argdef_of(oplog_kind k)
{
	return &oplog_argdefs[oplog_kind_args(k)];
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

/* ---------------------------------------------------------------------------------
 * The builder: a log under construction plus each handle's life, and a name index */

typedef struct oplog_b {
	oplog log;          /* the log being built (handles[], handle_protected[] included) */
	size_t cap_ops;     /* ops allocated */
	size_t cap_handles; /* entries allocated in every per-handle array */
	uint32_t *def_line; /* per handle: line of its alloc/palloc (0 when generated) */
	uint32_t *end_line; /* per handle: line of its free/pfree (0 when generated) */
	uint8_t *dead;      /* per handle: 1 once freed */
	uint32_t *slots;    /* open-addressing name index: handle + 1, 0 = empty */
	size_t nslots;      /* power of two, or 0 */
} oplog_b;

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

static void oplog_b_discard(oplog_b *b)
{
	oplog_free(&b->log);
	free(b->def_line);
	free(b->end_line);
	free(b->dead);
	free(b->slots);
	memset(b, 0, sizeof *b);
}

/* Moves the log out; the builder's bookkeeping is freed. */
static void oplog_b_finish(oplog_b *b, oplog *out)
{
	*out = b->log;
	memset(&b->log, 0, sizeof b->log);
	oplog_b_discard(b);
}

static uint64_t oplog_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u; /* FNV-1a: short names, no adversary to fear */
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3u;
	}
	return h;
}

/* The handle named by the n bytes at s, or UINT32_MAX. */
static uint32_t oplog_b_find(const oplog_b *b, const char *s, size_t n)
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

/* Grows a per-handle array to `cap` elements of `size` bytes; 0 or -1. */
static int oplog_grow(void **p, size_t cap, size_t size)
{
	if (cap > SIZE_MAX / size)
		return -1;
	void *q = realloc(*p, cap * size);
	if (q == NULL)
		return -1;
	*p = q;
	return 0;
}

/* Defines a new handle (the caller checked the name is valid and unused).
 * Returns its index, or UINT32_MAX when out of memory. */
static uint32_t oplog_b_define(oplog_b *b, const char *s, size_t n, int prot, uint32_t line)
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

static int oplog_b_op(oplog_b *b, oplog_kind kind, uint32_t handle, uint64_t arg, uint32_t line)
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

/* ---------------------------------------------------------------------------------
 * Lexical rules */

static int oplog_is_blank(char c)
{
	return c == ' ' || c == '\t';
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
static int oplog_handle_ok(const char *s, size_t n)
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

/* Decimal u64: digits only (leading zeros allowed), no sign, no overflow. 0 or -1. */
static int oplog_number(const char *s, size_t n, uint64_t *v)
{
	uint64_t x = 0;
	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!oplog_is_digit(s[i]))
			return -1;
		unsigned d = (unsigned)(s[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

/* A token made printable for a diagnostic: at most 32 source bytes, anything outside
 * '!'..'~' (and the quote and backslash) as \xNN, "..." when cut. Always terminated. */
#define OPLOG_SHOW_BYTES 32
#define OPLOG_SHOW_SIZE (OPLOG_SHOW_BYTES * 4 + 4)
static const char *oplog_show(char out[OPLOG_SHOW_SIZE], const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < n && i < OPLOG_SHOW_BYTES; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c > ' ' && c <= '~' && c != '\'' && c != '\\') {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (n > OPLOG_SHOW_BYTES) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/* ---------------------------------------------------------------------------------
 * The parser */

typedef struct oplog_parser {
	const char *name;    /* prefix of every diagnostic */
	oplog_diag_fn diag;  /* where diagnostics go; may be NULL */
	void *arg;           /* diag's argument */
	size_t nbad;         /* bad lines so far */
	size_t lineno;       /* current line, 1-based (size_t: never wraps) */
	uint32_t create_line;/* line of the create, 0 = none yet */
	oplog_b b;           /* what the good lines built */
} oplog_parser;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void oplog_bad(oplog_parser *p, const char *fmt, ...)
{
	char msg[512];
	char full[4096];
	va_list ap;
	p->nbad++;
	if (p->diag == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* A very long file name is cut rather than failing: the line number survives. */
	snprintf(full, sizeof full, "%s:%zu: %s", p->name, p->lineno, msg);
	p->diag(p->arg, full);
}

static uint32_t oplog_line32(size_t lineno)
{
	return lineno > UINT32_MAX ? UINT32_MAX : (uint32_t)lineno;
}

/* A whole-line comment (text after '#') that reads "tornpage oplog N..." is the format
 * header; N must be 1. A comment that merely mentions "tornpage oplog" followed by a
 * word is left alone. */
static void oplog_header(oplog_parser *p, const char *s, const char *e)
{
	static const char w1[] = "tornpage", w2[] = "oplog";
	char show[OPLOG_SHOW_SIZE];
	while (s < e && oplog_is_blank(*s))
		s++;
	if ((size_t)(e - s) < sizeof w1 - 1 || memcmp(s, w1, sizeof w1 - 1) != 0)
		return;
	s += sizeof w1 - 1;
	if (s == e || !oplog_is_blank(*s))
		return;
	while (s < e && oplog_is_blank(*s))
		s++;
	if ((size_t)(e - s) < sizeof w2 - 1 || memcmp(s, w2, sizeof w2 - 1) != 0)
		return;
	s += sizeof w2 - 1;
	if (s == e || !oplog_is_blank(*s))
		return;
	while (s < e && oplog_is_blank(*s))
		s++;
	if (s == e || !oplog_is_digit(*s))
		return;
	const char *t = s;
	while (t < e && !oplog_is_blank(*t))
		t++;
	uint64_t v;
	if (oplog_number(s, (size_t)(t - s), &v) != 0 || v != OPLOG_FORMAT)
		oplog_bad(p, "unsupported oplog format '%s' (this reader knows format %d)",
			  oplog_show(show, s, (size_t)(t - s)), OPLOG_FORMAT);
}

/* One line of n bytes, '\n' and a '\r' before it already removed. Returns 0, or -1 out
 * of memory. */
static int oplog_line(oplog_parser *p, const char *s, size_t n)
{
	const char *e = s + n;
	enum { MAXTOK = 3 };
	const char *tok[MAXTOK];
	size_t len[MAXTOK];
	size_t ntok = 0;
	char show[OPLOG_SHOW_SIZE];

	const char *hash = memchr(s, '#', n);
	const char *end = hash ? hash : e;
	for (const char *c = s; c < end;) {
		if (oplog_is_blank(*c)) {
			c++;
			continue;
		}
		const char *t = c;
		while (c < end && !oplog_is_blank(*c))
			c++;
		if (ntok < MAXTOK) {
			tok[ntok] = t;
			len[ntok] = (size_t)(c - t);
		}
		ntok++;
	}
	if (ntok == 0) {
		if (hash != NULL)
			oplog_header(p, hash + 1, e);
		return 0;
	}

	/* Syntax first: the op, the argument count, each argument's shape. */
	oplog_kind k = oplog_kind_from_name(tok[0], len[0]);
	if (k == OPLOG_KIND_COUNT) {
		oplog_bad(p, "unknown op '%s'", oplog_show(show, tok[0], len[0]));
		return 0;
	}
	const oplog_argdef *ad = oplog_argdef_of(k);
	const char *kname = oplog_defs[k].name;
	if (ntok - 1 != ad->nargs) {
		oplog_bad(p, "wrong number of arguments: '%s' takes %u (%s), got %zu", kname,
			  ad->nargs, oplog_usages[k], ntok - 1);
		return 0;
	}
	uint64_t arg = 0;
	if (k == OPLOG_CREATE) {
		if (oplog_number(tok[1], len[1], &arg) != 0) {
			oplog_bad(p, "bad number '%s' (want decimal 0..18446744073709551615)",
				  oplog_show(show, tok[1], len[1]));
			return 0;
		}
		if (arg < OPLOG_LOG2_MIN || arg > OPLOG_LOG2_MAX) {
			oplog_bad(p, "page size out of range: LOG2 %llu (want %u..%u)",
				  (unsigned long long)arg, OPLOG_LOG2_MIN, OPLOG_LOG2_MAX);
			return 0;
		}
	}
	if (ad->handle != OPLOG_H_NONE && !oplog_handle_ok(tok[1], len[1])) {
		oplog_bad(p, "bad handle name '%s' (want [A-Za-z_][A-Za-z0-9_.-]{0,63})",
			  oplog_show(show, tok[1], len[1]));
		return 0;
	}
	if (ad->seed && oplog_number(tok[2], len[2], &arg) != 0) {
		oplog_bad(p, "bad number '%s' (want decimal 0..18446744073709551615)",
			  oplog_show(show, tok[2], len[2]));
		return 0;
	}

	/* Then the log's state: create first and once, each handle's life. */
	uint32_t line = oplog_line32(p->lineno);
	if (k == OPLOG_CREATE) {
		if (p->create_line != 0) {
			oplog_bad(p, "second create (the first is on line %lu)",
				  (unsigned long)p->create_line);
			return 0;
		}
		p->create_line = line;
		p->b.log.page_log2 = (unsigned)arg;
		return oplog_b_op(&p->b, k, OPLOG_NO_HANDLE, arg, line);
	}
	if (p->create_line == 0) {
		oplog_bad(p, "'%s' before create (a log starts with 'create LOG2')", kname);
		return 0;
	}
	if (ad->handle == OPLOG_H_NONE)
		return oplog_b_op(&p->b, k, OPLOG_NO_HANDLE, 0, line);

	const char *hname = oplog_show(show, tok[1], len[1]);
	uint32_t h = oplog_b_find(&p->b, tok[1], len[1]);
	if (ad->handle == OPLOG_H_DEFINE) {
		if (h != UINT32_MAX) {
			oplog_bad(p, "handle '%s' reused (defined on line %lu; a handle names one "
				  "page for the whole log)", hname, (unsigned long)p->b.def_line[h]);
			return 0;
		}
		h = oplog_b_define(&p->b, tok[1], len[1], ad->prot, line);
		if (h == UINT32_MAX)
			return -1;
		return oplog_b_op(&p->b, k, h, 0, line);
	}
	if (h == UINT32_MAX) {
		oplog_bad(p, "unknown handle '%s' (never defined)", hname);
		return 0;
	}
	if (p->b.log.handle_protected[h] != ad->prot) {
		if (ad->prot)
			oplog_bad(p, "'%s' needs a protected handle, but '%s' is regular (alloc on "
				  "line %lu)", kname, hname, (unsigned long)p->b.def_line[h]);
		else
			oplog_bad(p, "'%s' needs a regular handle, but '%s' is protected (palloc on "
				  "line %lu)", kname, hname, (unsigned long)p->b.def_line[h]);
		return 0;
	}
	if (p->b.dead[h]) {
		oplog_bad(p, "handle '%s' already freed (on line %lu)", hname,
			  (unsigned long)p->b.end_line[h]);
		return 0;
	}
	if (ad->handle == OPLOG_H_END) {
		p->b.dead[h] = 1;
		p->b.end_line[h] = line;
	}
	return oplog_b_op(&p->b, k, h, ad->seed ? arg : 0, line);
}

int oplog_parse(const char *name, const char *text, size_t len, oplog *out,
		oplog_diag_fn diag, void *arg)
{
	oplog_parser p = { 0 };
	int rc = 0;
	p.name = name ? name : "<oplog>";
	p.diag = diag;
	p.arg = arg;
	if (out == NULL)
		return -1;
	memset(out, 0, sizeof *out);
	if (text == NULL)
		len = 0;

	size_t pos = 0;
	while (pos < len) {
		const char *s = text + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;
		pos += n + (nl != NULL);
		if (n > 0 && s[n - 1] == '\r')
			n--;
		p.lineno++;
		if (oplog_line(&p, s, n) != 0) {
			rc = -1;
			goto done;
		}
	}
	/* Any op line before a create was already reported; this catches a log of nothing
	 * but comments and blank lines. */
	if (p.create_line == 0 && p.nbad == 0) {
		p.lineno = 1;
		oplog_bad(&p, "empty log: no 'create LOG2' line");
	}
	if (p.nbad > 0)
		rc = p.nbad > INT_MAX ? INT_MAX : (int)p.nbad;
done:
	if (rc == 0)
		oplog_b_finish(&p.b, out);
	else
		oplog_b_discard(&p.b);
	return rc;
}

int oplog_load(const char *path, oplog *out, oplog_diag_fn diag, void *arg)
{
	char *text = NULL;
	size_t len = 0, cap = 0;
	int rc, err = 0;
	if (out == NULL)
		return -1;
	memset(out, 0, sizeof *out);
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		err = errno;
		goto unreadable;
	}
	for (;;) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			char *t = ncap > cap ? realloc(text, ncap) : NULL;
			if (t == NULL) {
				close(fd);
				free(text);
				return -1;
			}
			text = t;
			cap = ncap;
		}
		ssize_t n = read(fd, text + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			close(fd);
			free(text);
			goto unreadable;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	rc = oplog_parse(path, text, len, out, diag, arg);
	free(text);
	return rc;
unreadable:
	if (diag != NULL) {
		char msg[4096];
		snprintf(msg, sizeof msg, "%s: %s", path, strerror(err));
		diag(arg, msg);
	}
	return 1;
}

/* ---------------------------------------------------------------------------------
 * Validation and printing */

size_t oplog_validate(const oplog *log)
{
	oplog_b b = { 0 };
	size_t bad = 0;
	size_t defined = 0; /* handles defined so far: the next define must be this one */
	if (log == NULL || log->ops == NULL || log->nops == 0 || log->ops[0].kind != OPLOG_CREATE ||
	    log->ops[0].handle != OPLOG_NO_HANDLE || log->ops[0].arg != log->page_log2 ||
	    log->page_log2 < OPLOG_LOG2_MIN || log->page_log2 > OPLOG_LOG2_MAX ||
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

/* ---------------------------------------------------------------------------------
 * Page accounting: the format's counting rules, shared by the generator's caps, the
 * byte decoder's caps and oplog_stats_of. */

typedef struct oplog_pages {
	uint64_t total;      /* file size in pages */
	uint64_t used;       /* allocated pages, the 3 reserved ones included */
	uint64_t cap_used;   /* generated logs keep used <= this: see oplog_pages_init */
	size_t blocks;       /* directory blocks */
	size_t max_blocks;   /* blocks that fit in page 0's index: (ps - 28) / 17 */
	size_t dir_cap;      /* entries per directory block: (ps - 12) / 30 */
	size_t live_reg;     /* live regular pages */
	size_t live_prot;    /* live protected pages */
	unsigned grows;      /* doublings so far */
	uint64_t peak_used;  /* most pages used at once */
	size_t peak_reg;     /* most live regular pages at once */
	size_t peak_prot;    /* most live protected pages at once */
} oplog_pages;

/* Generated logs never make the file grow past what one metadata bitmap describes
 * ((ps - 28) * 8 pages: the pager refuses that cleanly, and that refusal deserves its
 * own hand-written test), nor past 16384 pages, so that a simulated disk of a large
 * random log still fits in memory. The file doubles from 4, so its size is 4 * 2^k:
 * capping used pages at the largest such size under both limits caps the file. */
#define OPLOG_GEN_MAX_PAGES 16384u
static void oplog_pages_init(oplog_pages *pg, unsigned log2)
{
	uint64_t ps = (uint64_t)1 << log2;
	uint64_t bitmap_pages = (ps - 28) * 8;
	uint64_t cap = 4;
	while (cap * 2 <= bitmap_pages && cap * 2 <= OPLOG_GEN_MAX_PAGES)
		cap *= 2;
	memset(pg, 0, sizeof *pg);
	pg->total = 4;
	pg->used = 3;
	pg->peak_used = 3;
	pg->cap_used = cap;
	pg->max_blocks = (size_t)((ps - 28) / 17);
	pg->dir_cap = (size_t)((ps - 12) / 30);
}

/* Pages a palloc takes now: 2, or 4 when every directory block is full. */
static uint64_t oplog_pages_palloc_need(const oplog_pages *pg)
{
	return pg->live_prot == pg->blocks * pg->dir_cap ? 4 : 2;
}

static int oplog_pages_can(const oplog_pages *pg, oplog_kind k)
{
	switch (k) {
	case OPLOG_ALLOC:
		return pg->used + 1 <= pg->cap_used;
	case OPLOG_PALLOC:
		if (pg->live_prot == pg->blocks * pg->dir_cap && pg->blocks >= pg->max_blocks)
			return 0; /* DirectoryFull: a valid log, but not what random logs are for */
		return pg->used + oplog_pages_palloc_need(pg) <= pg->cap_used;
	case OPLOG_FREE: case OPLOG_FILL:
		return pg->live_reg > 0;
	case OPLOG_PFREE: case OPLOG_PWRITE: case OPLOG_PSTAGE:
		return pg->live_prot > 0;
	default:
		return 1;
	}
}

/* One page from the allocator, doubling the file when none is free (alloc_one_raw). */
static void oplog_pages_take(oplog_pages *pg, uint64_t n)
{
	while (n-- > 0) {
		if (pg->used == pg->total) {
			pg->total *= 2;
			pg->grows++;
		}
		pg->used++;
	}
	if (pg->used > pg->peak_used)
		pg->peak_used = pg->used;
}

static void oplog_pages_apply(oplog_pages *pg, oplog_kind k)
{
	switch (k) {
	case OPLOG_ALLOC:
		oplog_pages_take(pg, 1);
		if (++pg->live_reg > pg->peak_reg)
			pg->peak_reg = pg->live_reg;
		break;
	case OPLOG_FREE:
		pg->used--;
		pg->live_reg--;
		break;
	case OPLOG_PALLOC:
		if (pg->live_prot == pg->blocks * pg->dir_cap) {
			pg->blocks++;
			oplog_pages_take(pg, 4);
		} else {
			oplog_pages_take(pg, 2);
		}
		if (++pg->live_prot > pg->peak_prot)
			pg->peak_prot = pg->live_prot;
		break;
	case OPLOG_PFREE:
		pg->used -= 2;
		pg->live_prot--;
		break;
	default:
		break;
	}
}

int oplog_stats_of(const oplog *log, oplog_stats *st)
{
	oplog_pages pg;
	if (st == NULL)
		return -1;
	memset(st, 0, sizeof *st);
	if (oplog_validate(log) != 0)
		return -1;
	oplog_pages_init(&pg, log->page_log2);
	for (size_t i = 0; i < log->nops; i++) {
		st->count[log->ops[i].kind]++;
		oplog_pages_apply(&pg, log->ops[i].kind);
	}
	st->peak_live_regular = pg.peak_reg;
	st->peak_live_protected = pg.peak_prot;
	st->dir_blocks = pg.blocks;
	st->dir_capacity = pg.dir_cap;
	st->pages = pg.total;
	st->used_pages = pg.used;
	st->peak_used_pages = pg.peak_used;
	st->grows = pg.grows;
	return 0;
}

/* ---------------------------------------------------------------------------------
 * Building random logs: the state both the generator and the byte decoder drive */

typedef struct oplog_rand {
	oplog_b b;          /* the log */
	oplog_pages pg;     /* page accounting, for the caps */
	uint32_t *live[2];  /* live handles: [0] regular, [1] protected (order: see kill) */
	size_t nlive[2];    /* entries used in live[] */
	size_t caplive[2];  /* entries allocated in live[] */
	size_t named[2];    /* handles defined so far per class: names r0.. and p0.. */
	uint64_t seen;      /* bit k: an op of kind k was emitted */
} oplog_rand;

static int oplog_rand_init(oplog_rand *r, unsigned log2)
{
	memset(r, 0, sizeof *r);
	oplog_pages_init(&r->pg, log2);
	r->b.log.page_log2 = log2;
	return oplog_b_op(&r->b, OPLOG_CREATE, OPLOG_NO_HANDLE, log2, 0);
}

static void oplog_rand_discard(oplog_rand *r)
{
	oplog_b_discard(&r->b);
	free(r->live[0]);
	free(r->live[1]);
	memset(r, 0, sizeof *r);
}

static void oplog_rand_finish(oplog_rand *r, oplog *out)
{
	oplog_b_finish(&r->b, out);
	oplog_rand_discard(r);
}

/* Emits op k. `pick` chooses the handle for use/end ops (index into the live list,
 * taken mod its length); `arg` is the SEED of fill/pwrite/pstage. The caller checked
 * oplog_pages_can(). 0 or -1 out of memory. */
static int oplog_rand_emit(oplog_rand *r, oplog_kind k, uint64_t pick, uint64_t arg)
{
	const oplog_argdef *ad = oplog_argdef_of(k);
	int cls = ad->prot;
	uint32_t h = OPLOG_NO_HANDLE;
	if (ad->handle == OPLOG_H_DEFINE) {
		char name[32];
		int n = snprintf(name, sizeof name, "%c%zu", cls ? 'p' : 'r', r->named[cls]);
		h = oplog_b_define(&r->b, name, (size_t)n, cls, 0);
		if (h == UINT32_MAX)
			return -1;
		r->named[cls]++;
		if (r->nlive[cls] == r->caplive[cls]) {
			size_t cap = r->caplive[cls] ? r->caplive[cls] * 2 : 32;
			if (oplog_grow((void **)&r->live[cls], cap, sizeof(uint32_t)))
				return -1;
			r->caplive[cls] = cap;
		}
		r->live[cls][r->nlive[cls]++] = h;
	} else if (ad->handle != OPLOG_H_NONE) {
		size_t i = (size_t)(pick % r->nlive[cls]);
		h = r->live[cls][i];
		if (ad->handle == OPLOG_H_END) {
			/* Swap-remove: cheap, and just as deterministic as keeping order. */
			r->live[cls][i] = r->live[cls][--r->nlive[cls]];
			r->b.dead[h] = 1;
		}
	}
	if (oplog_b_op(&r->b, k, h, ad->seed ? arg : 0, 0) != 0)
		return -1;
	oplog_pages_apply(&r->pg, k);
	r->seen |= (uint64_t)1 << k;
	return 0;
}

/* ---------------------------------------------------------------------------------
 * The generator (documented in docs/oplog.md, "Generator": keep the two in step) */

/* splitmix64 (Steele, Lea, Flood 2014; the seeding generator of xoshiro): one u64 of
 * state, every seed fine, including 0. */
static uint64_t oplog_splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* x mod n for n > 0; the bias (< n / 2^64) does not matter for test logs. */
static uint64_t oplog_below(uint64_t *s, uint64_t n)
{
	return oplog_splitmix64(s) % n;
}

enum { OPLOG_PH_GROW, OPLOG_PH_PROT, OPLOG_PH_CHURN, OPLOG_PH_DRAIN, OPLOG_PH_BUILD,
       OPLOG_PH_COUNT };

/* Per phase, the weight of each kind (ops.def order; create never). */
static const uint8_t oplog_weights[OPLOG_PH_COUNT][OPLOG_KIND_COUNT] = {
	/*                  create alloc free fill palloc pfree pwrite pstage reopen */
	[OPLOG_PH_GROW]  = { 0,    10,   2,   6,   0,     0,    1,     0,     1 },
	[OPLOG_PH_PROT]  = { 0,    0,    0,   1,   8,     2,    6,     3,     1 },
	[OPLOG_PH_CHURN] = { 0,    4,    4,   4,   3,     3,    4,     2,     1 },
	[OPLOG_PH_DRAIN] = { 0,    0,    6,   1,   0,     6,    1,     1,     1 },
	[OPLOG_PH_BUILD] = { 0,    0,    0,   0,   12,    0,    2,     1,     0 },
};

#define OPLOG_BIT(k) ((uint64_t)1 << (k))

/* Ops still needed so that every kind appears: what the closing sweep would emit. */
static size_t oplog_gen_needed(const oplog_rand *r)
{
	uint64_t m = ~r->seen;
	size_t n = 0;
	int fill = (m & OPLOG_BIT(OPLOG_FILL)) != 0, fr = (m & OPLOG_BIT(OPLOG_FREE)) != 0;
	int pw = (m & OPLOG_BIT(OPLOG_PWRITE)) != 0, ps = (m & OPLOG_BIT(OPLOG_PSTAGE)) != 0;
	int pf = (m & OPLOG_BIT(OPLOG_PFREE)) != 0;
	if ((m & OPLOG_BIT(OPLOG_ALLOC)) || ((fill || fr) && r->pg.live_reg == 0))
		n++;
	if ((m & OPLOG_BIT(OPLOG_PALLOC)) || ((pw || ps || pf) && r->pg.live_prot == 0))
		n++;
	n += (size_t)(fill + fr + pw + ps + pf);
	n += (m & OPLOG_BIT(OPLOG_REOPEN)) != 0;
	return n;
}

/* The next op of the closing sweep: a define first if the class has no live handle (or
 * its define never appeared), then use, then end, then reopen. */
static oplog_kind oplog_gen_sweep(const oplog_rand *r)
{
	uint64_t m = ~r->seen;
	if ((m & OPLOG_BIT(OPLOG_ALLOC)) ||
	    ((m & (OPLOG_BIT(OPLOG_FILL) | OPLOG_BIT(OPLOG_FREE))) && r->pg.live_reg == 0))
		return OPLOG_ALLOC;
	if (m & OPLOG_BIT(OPLOG_FILL))
		return OPLOG_FILL;
	if (m & OPLOG_BIT(OPLOG_FREE))
		return OPLOG_FREE;
	if ((m & OPLOG_BIT(OPLOG_PALLOC)) ||
	    ((m & (OPLOG_BIT(OPLOG_PWRITE) | OPLOG_BIT(OPLOG_PSTAGE) | OPLOG_BIT(OPLOG_PFREE))) &&
	     r->pg.live_prot == 0))
		return OPLOG_PALLOC;
	if (m & OPLOG_BIT(OPLOG_PWRITE))
		return OPLOG_PWRITE;
	if (m & OPLOG_BIT(OPLOG_PSTAGE))
		return OPLOG_PSTAGE;
	if (m & OPLOG_BIT(OPLOG_PFREE))
		return OPLOG_PFREE;
	return OPLOG_REOPEN;
}

/* A kind drawn with the phase's weights among the ops possible now; CHURN's weights if
 * the phase allows none (reopen is always possible there). */
static oplog_kind oplog_gen_draw(oplog_rand *r, uint64_t *s, int phase)
{
	for (int pass = 0; pass < 2; pass++) {
		const uint8_t *w = oplog_weights[pass == 0 ? phase : OPLOG_PH_CHURN];
		unsigned total = 0, ok[OPLOG_KIND_COUNT];
		for (int k = 0; k < OPLOG_KIND_COUNT; k++) {
			ok[k] = oplog_pages_can(&r->pg, (oplog_kind)k) ? w[k] : 0;
			total += ok[k];
		}
		if (total == 0)
			continue;
		uint64_t x = oplog_below(s, total);
		for (int k = 0; k < OPLOG_KIND_COUNT; k++) {
			if (x < ok[k])
				return (oplog_kind)k;
			x -= ok[k];
		}
	}
	return OPLOG_REOPEN;
}

int oplog_gen(uint64_t seed, size_t nops, unsigned page_log2, oplog *out)
{
	oplog_rand r;
	uint64_t s = seed;       /* splitmix64 state */
	uint64_t next_seed = 1;  /* SEEDs are 1, 2, 3...: any 256 in a row differ mod 256 */
	if (out == NULL)
		return -1;
	memset(out, 0, sizeof *out);
	if (page_log2 < OPLOG_LOG2_MIN || page_log2 > OPLOG_LOG2_MAX || nops >= SIZE_MAX / 2) {
		errno = EINVAL;
		return -1;
	}
	if (oplog_rand_init(&r, page_log2) != 0)
		goto oom;

	/* A second directory block needs dir_cap + 1 protected pages live at once. Plan a
	 * BUILD phase for it when the budget holds three ops per page needed, with room. */
	size_t build_target = r.pg.dir_cap + 1;
	int build = nops >= 3 * build_target + 16 && build_target <= r.pg.max_blocks * r.pg.dir_cap;
	int phase = OPLOG_PH_GROW;
	size_t phase_left = 8 + (size_t)oplog_below(&s, 25);
	build_target += (size_t)oplog_below(&s, 4);

	for (size_t done = 0; done < nops; done++) {
		size_t left = nops - done;
		size_t needed = oplog_gen_needed(&r);
		oplog_kind k;
		if (phase_left == 0 || (phase == OPLOG_PH_BUILD && (r.pg.live_prot >= build_target ||
		    !oplog_pages_can(&r.pg, OPLOG_PALLOC)))) {
			if (phase == OPLOG_PH_BUILD)
				build = 0;
			if (build) {
				phase = OPLOG_PH_BUILD;
				phase_left = SIZE_MAX;
			} else {
				/* GROW, PROT, CHURN 3 in 10 each, DRAIN 1 in 10 */
				uint64_t x = oplog_below(&s, 10);
				phase = x < 3 ? OPLOG_PH_GROW : x < 6 ? OPLOG_PH_PROT :
					x < 9 ? OPLOG_PH_CHURN : OPLOG_PH_DRAIN;
				phase_left = 8 + (size_t)oplog_below(&s, 25);
			}
		}
		phase_left--;
		/* The closing sweep: when the ops left barely cover the kinds never seen, emit
		 * those. A random op raises `needed` by at most one, hence the + 1. */
		k = OPLOG_KIND_COUNT;
		if (needed > 0 && left <= needed + 1) {
			oplog_kind want = oplog_gen_sweep(&r);
			if (oplog_pages_can(&r.pg, want))
				k = want;
		}
		if (k == OPLOG_KIND_COUNT)
			k = oplog_gen_draw(&r, &s, phase);
		const oplog_argdef *ad = oplog_argdef_of(k);
		uint64_t pick = 0, arg = 0;
		if (ad->handle == OPLOG_H_USE || ad->handle == OPLOG_H_END)
			pick = oplog_splitmix64(&s);
		if (ad->seed)
			arg = next_seed++;
		if (oplog_rand_emit(&r, k, pick, arg) != 0)
			goto oom;
	}
	oplog_rand_finish(&r, out);
	return 0;
oom:
	oplog_rand_discard(&r);
	errno = ENOMEM;
	return -1;
}

/* ---------------------------------------------------------------------------------
 * The fuzzer's decoder (docs/oplog.md, "Decoding bytes") */

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
