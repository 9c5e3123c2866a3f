/* oplog_parse.c — operation logs, format 1, from text: the lexical rules, the parser and
 * oplog_load. Every log it hands out is valid (it builds through oplog_build.c). It is
 * not the model and runs nothing.
 *
 * Method. One table (ops.def) says, per op, its name and its argument kind; the argument
 * kind says how many arguments it takes and what it does to its handle (defines it, uses
 * it, ends it; regular or protected). The parser reads any bytes: a line is cut at '\n'
 * (one '\r' before it is dropped), '#' starts a comment, tokens are separated by spaces
 * and tabs; each bad line gets one diagnostic and has no effect, so later lines are
 * judged as if it were absent. */
#define _POSIX_C_SOURCE 200809L

#include "oplog_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------------------------
 * Lexical rules */

static int oplog_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int oplog_is_digit(char c)
{
	return c >= '0' && c <= '9';
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
	unsigned format = 1;
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
	/* create's optional last word names the pager format: v1 (the default) or v2. */
	if (k == OPLOG_CREATE && ntok == 3) {
		if (len[2] == 2 && tok[2][0] == 'v' && (tok[2][1] == '1' || tok[2][1] == '2')) {
			format = (unsigned)(tok[2][1] - '0');
			ntok = 2;
		} else {
			oplog_bad(p, "bad pager format '%s' (want v1 or v2)", oplog_show(show, tok[2], len[2]));
			return 0;
		}
	}
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
		p->b.log.format = format;
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
