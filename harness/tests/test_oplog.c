/* test_oplog.c — Criterion tests of the op log module: every parser rule with its exact
 * line and message, round trips, the generator's determinism and coverage, the fuzzer's
 * byte decoder, the pattern, and the docs and corpus logs that depend on them.
 * Not tested here: what a log does to a pager (the model's and runner's tests). */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tornpage/oplog.h"

#ifndef TORNPAGE_SOURCE_DIR
#define TORNPAGE_SOURCE_DIR "." /* standalone build: run from the repository root */
#endif
#ifndef TORNPAGE_GOLDEN_DIR
#define TORNPAGE_GOLDEN_DIR TORNPAGE_SOURCE_DIR "/../shared/golden"
#endif

/* ---------------------------------------------------------------------------------
 * Helpers */

#define DIAG_KEEP 64
typedef struct diags {
	size_t n;               /* diagnostics received */
	char *msg[DIAG_KEEP];   /* the first DIAG_KEEP of them */
} diags;

static void diag_collect(void *arg, const char *msg)
{
	diags *d = arg;
	if (d->n < DIAG_KEEP)
		d->msg[d->n] = strdup(msg);
	d->n++;
}

static void diags_free(diags *d)
{
	for (size_t i = 0; i < d->n && i < DIAG_KEEP; i++)
		free(d->msg[i]);
	memset(d, 0, sizeof *d);
}

static int parse_str(const char *text, oplog *out, diags *d)
{
	return oplog_parse("t.log", text, strlen(text), out, diag_collect, d);
}

static int log_is_empty(const oplog *l)
{
	return l->ops == NULL && l->nops == 0 && l->handles == NULL && l->nhandles == 0 &&
	       l->handle_protected == NULL && l->page_log2 == 0;
}

/* Parses `text`, which must have exactly one bad line, and checks its diagnostic. */
static void expect_one_error(const char *text, const char *want)
{
	oplog log;
	diags d = { 0 };
	int rc = parse_str(text, &log, &d);
	cr_assert_eq(rc, 1, "rc %d for:\n%s", rc, text);
	cr_assert_eq(d.n, 1, "%zu diagnostics for:\n%s", d.n, text);
	cr_assert_str_eq(d.msg[0], want);
	cr_assert(log_is_empty(&log), "a log with errors must come back empty");
	diags_free(&d);
}

static void expect_ok(const char *text, oplog *out)
{
	diags d = { 0 };
	int rc = parse_str(text, out, &d);
	cr_assert_eq(rc, 0, "rc %d, first: %s", rc, d.n ? d.msg[0] : "(none)");
	cr_assert_eq(d.n, 0);
	diags_free(&d);
}

/* Equal as logs: ops (kind, handle, arg), handles (names, classes), page size. */
static int logs_equal(const oplog *a, const oplog *b)
{
	if (a->nops != b->nops || a->nhandles != b->nhandles || a->page_log2 != b->page_log2)
		return 0;
	for (size_t i = 0; i < a->nops; i++) {
		if (a->ops[i].kind != b->ops[i].kind || a->ops[i].handle != b->ops[i].handle ||
		    a->ops[i].arg != b->ops[i].arg)
			return 0;
	}
	for (size_t i = 0; i < a->nhandles; i++) {
		if (strcmp(a->handles[i], b->handles[i]) != 0 ||
		    a->handle_protected[i] != b->handle_protected[i])
			return 0;
	}
	return 1;
}

/* format, parse back, compare; also checks the header line. */
static void expect_round_trip(const oplog *log)
{
	cr_assert_eq(oplog_validate(log), 0);
	char *text = oplog_format(log);
	cr_assert_not_null(text);
	cr_assert_eq(strncmp(text, "# tornpage oplog 1\n", 19), 0);
	oplog back;
	diags d = { 0 };
	int rc = oplog_parse("fmt", text, strlen(text), &back, diag_collect, &d);
	cr_assert_eq(rc, 0, "reparse failed: %s", d.n ? d.msg[0] : "?");
	cr_assert(logs_equal(log, &back), "round trip differs:\n%s", text);
	/* and the printer is a fixed point */
	char *again = oplog_format(&back);
	cr_assert_str_eq(text, again);
	free(again);
	free(text);
	oplog_free(&back);
	diags_free(&d);
}

static uint64_t xs_next(uint64_t *s) /* xorshift64 for test inputs only */
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			cap *= 2;
			char *b = realloc(buf, cap + 1);
			if (b == NULL) {
				free(buf);
				buf = NULL;
			}
			buf = b;
		}
	}
	fclose(f);
	if (buf) {
		buf[n] = '\0';
		*len = n;
	}
	return buf;
}

/* ---------------------------------------------------------------------------------
 * Parser: accepted input */

Test(oplog_parse, reads_every_op_with_handles_args_and_lines)
{
	oplog log;
	expect_ok("# tornpage oplog 1\n"
		  "create 10            # page_size_log2\n"
		  "alloc a\n"
		  "fill a 7\n"
		  "\n"
		  "palloc p\n"
		  "pwrite p 9\n"
		  "pstage p 11\n"
		  "free a\n"
		  "pfree p\n"
		  "reopen\n", &log);
	cr_assert_eq(log.nops, 9);
	cr_assert_eq(log.page_log2, 10);
	cr_assert_eq(log.nhandles, 2);
	cr_assert_str_eq(log.handles[0], "a");
	cr_assert_str_eq(log.handles[1], "p");
	cr_assert_eq(log.handle_protected[0], 0);
	cr_assert_eq(log.handle_protected[1], 1);
	static const struct { oplog_kind k; uint32_t h; uint64_t arg; uint32_t line; } want[] = {
		{ OPLOG_CREATE, OPLOG_NO_HANDLE, 10, 2 }, { OPLOG_ALLOC, 0, 0, 3 },
		{ OPLOG_FILL, 0, 7, 4 }, { OPLOG_PALLOC, 1, 0, 6 }, { OPLOG_PWRITE, 1, 9, 7 },
		{ OPLOG_PSTAGE, 1, 11, 8 }, { OPLOG_FREE, 0, 0, 9 }, { OPLOG_PFREE, 1, 0, 10 },
		{ OPLOG_REOPEN, OPLOG_NO_HANDLE, 0, 11 },
	};
	for (size_t i = 0; i < 9; i++) {
		cr_assert_eq(log.ops[i].kind, want[i].k, "op %zu", i);
		cr_assert_eq(log.ops[i].handle, want[i].h, "op %zu", i);
		cr_assert_eq(log.ops[i].arg, want[i].arg, "op %zu", i);
		cr_assert_eq(log.ops[i].line, want[i].line, "op %zu", i);
	}
	oplog_free(&log);
	oplog_free(&log); /* safe twice */
}

Test(oplog_parse, accepts_tabs_comments_crlf_and_no_final_newline)
{
	oplog log;
	expect_ok("# a comment first\r\n"
		  "\t create\t12 #trailing\r\n"
		  "   \r\n"
		  "alloc x.y-z_1#no space before the comment\r\n"
		  "fill\tx.y-z_1\t0018446744073709551615", &log);
	cr_assert_eq(log.nops, 3);
	cr_assert_eq(log.page_log2, 12);
	cr_assert_str_eq(log.handles[0], "x.y-z_1");
	cr_assert_eq(log.ops[2].arg, UINT64_MAX, "leading zeros are fine, u64 max too");
	cr_assert_eq(log.ops[2].line, 5);
	oplog_free(&log);
}

Test(oplog_parse, accepts_both_page_size_limits_and_a_64_byte_handle)
{
	oplog log;
	char text[200];
	snprintf(text, sizeof text, "create 16\nalloc %s\n",
		 "_234567890123456789012345678901234567890123456789012345678901234");
	expect_ok(text, &log);
	cr_assert_eq(strlen(log.handles[0]), 64);
	oplog_free(&log);
	expect_ok("create 10\n", &log);
	oplog_free(&log);
}

Test(oplog_parse, header_comment_may_follow_other_comments)
{
	oplog log;
	expect_ok("# targets: something\n#   tornpage   oplog   1   (extra words)\ncreate 10\n",
		  &log);
	oplog_free(&log);
	/* a comment that only mentions the words is not a header */
	expect_ok("# tornpage oplog format is in docs/oplog.md\ncreate 10\n", &log);
	oplog_free(&log);
}

/* ---------------------------------------------------------------------------------
 * Parser: one test per rule, exact line and message */

Test(oplog_rules, unknown_op)
{
	expect_one_error("create 10\ncrate a\n", "t.log:2: unknown op 'crate'");
	expect_one_error("create 10\nALLOC a\n", "t.log:2: unknown op 'ALLOC'");
}

Test(oplog_rules, wrong_number_of_arguments)
{
	expect_one_error("create 10\nalloc a\nfill a\n",
			 "t.log:3: wrong number of arguments: 'fill' takes 2 (fill H SEED), got 1");
	expect_one_error("create 10\nreopen now\n",
			 "t.log:2: wrong number of arguments: 'reopen' takes 0 (reopen), got 1");
	expect_one_error("create\n",
			 "t.log:1: wrong number of arguments: 'create' takes 1 (create LOG2 [v2]), got 0");
	expect_one_error("create 10\nalloc a b c d e\n",
			 "t.log:2: wrong number of arguments: 'alloc' takes 1 (alloc H), got 5");
}

Test(oplog_rules, bad_number)
{
	const char *bad[] = { "-1", "+1", "0x10", "1e3", "12a", "18446744073709551616",
			      "99999999999999999999999" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char text[128], want[160];
		snprintf(text, sizeof text, "create 10\nalloc a\nfill a %s\n", bad[i]);
		snprintf(want, sizeof want,
			 "t.log:3: bad number '%s' (want decimal 0..18446744073709551615)", bad[i]);
		expect_one_error(text, want);
	}
	expect_one_error("create ten\n",
			 "t.log:1: bad number 'ten' (want decimal 0..18446744073709551615)");
}

Test(oplog_rules, page_size_out_of_range)
{
	expect_one_error("create 9\n", "t.log:1: page size out of range: LOG2 9 (want 10..16)");
	expect_one_error("create 17\n", "t.log:1: page size out of range: LOG2 17 (want 10..16)");
	expect_one_error("create 18446744073709551615\n",
			 "t.log:1: page size out of range: LOG2 18446744073709551615 (want 10..16)");
}

Test(oplog_rules, bad_handle_name)
{
	const char *want_fmt = "t.log:2: bad handle name '%s' (want [A-Za-z_][A-Za-z0-9_.-]{0,63})";
	const char *bad[] = { "1a", ".a", "-a", "a/b", "a:b" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char text[128], want[200];
		snprintf(text, sizeof text, "create 10\nalloc %s\n", bad[i]);
		snprintf(want, sizeof want, want_fmt, bad[i]);
		expect_one_error(text, want);
	}
	/* 65 bytes is one too many */
	expect_one_error("create 10\npalloc "
			 "a2345678901234567890123456789012345678901234567890123456789012345\n",
			 "t.log:2: bad handle name 'a2345678901234567890123456789012...' "
			 "(want [A-Za-z_][A-Za-z0-9_.-]{0,63})");
}

Test(oplog_rules, op_before_create)
{
	expect_one_error("# comment\nalloc a\ncreate 10\n",
			 "t.log:2: 'alloc' before create (a log starts with 'create LOG2')");
	expect_one_error("reopen\ncreate 10\n",
			 "t.log:1: 'reopen' before create (a log starts with 'create LOG2')");
}

Test(oplog_rules, second_create)
{
	expect_one_error("create 10\nalloc a\ncreate 11\n",
			 "t.log:3: second create (the first is on line 1)");
}

Test(oplog_rules, unknown_handle)
{
	expect_one_error("create 10\nalloc a\nfill b 1\n", "t.log:3: unknown handle 'b' (never defined)");
	expect_one_error("create 10\npfree q\n", "t.log:2: unknown handle 'q' (never defined)");
}

Test(oplog_rules, handle_reused_even_after_free)
{
	expect_one_error("create 10\nalloc a\nalloc a\n",
			 "t.log:3: handle 'a' reused (defined on line 2; a handle names one page "
			 "for the whole log)");
	expect_one_error("create 10\nalloc a\nfree a\npalloc a\n",
			 "t.log:4: handle 'a' reused (defined on line 2; a handle names one page "
			 "for the whole log)");
}

Test(oplog_rules, handle_already_freed)
{
	expect_one_error("create 10\nalloc a\nfree a\nfill a 3\n",
			 "t.log:4: handle 'a' already freed (on line 3)");
	expect_one_error("create 10\npalloc p\npfree p\npfree p\n",
			 "t.log:4: handle 'p' already freed (on line 3)");
}

Test(oplog_rules, regular_op_on_protected_handle)
{
	expect_one_error("create 10\npalloc p\nfill p 1\n",
			 "t.log:3: 'fill' needs a regular handle, but 'p' is protected (palloc on line 2)");
	expect_one_error("create 10\npalloc p\nfree p\n",
			 "t.log:3: 'free' needs a regular handle, but 'p' is protected (palloc on line 2)");
}

Test(oplog_rules, protected_op_on_regular_handle)
{
	const char *ops[] = { "pwrite a 1", "pstage a 1", "pfree a" };
	const char *names[] = { "pwrite", "pstage", "pfree" };
	for (size_t i = 0; i < 3; i++) {
		char text[64], want[160];
		snprintf(text, sizeof text, "create 10\n\nalloc a\n%s\n", ops[i]);
		snprintf(want, sizeof want, "t.log:4: '%s' needs a protected handle, but 'a' is "
			 "regular (alloc on line 3)", names[i]);
		expect_one_error(text, want);
	}
}

Test(oplog_rules, other_format_version)
{
	expect_one_error("# tornpage oplog 2\ncreate 10\n",
			 "t.log:1: unsupported oplog format '2' (this reader knows format 1)");
	expect_one_error("# targets: x\n# tornpage oplog 1x\ncreate 10\n",
			 "t.log:2: unsupported oplog format '1x' (this reader knows format 1)");
}

Test(oplog_rules, empty_log)
{
	expect_one_error("", "t.log:1: empty log: no 'create LOG2' line");
	expect_one_error("# only\n\n# comments\n", "t.log:1: empty log: no 'create LOG2' line");
}

Test(oplog_rules, reports_every_bad_line_and_ignores_their_effects)
{
	static const char text[] =
		"# tornpage oplog 1\n"     /* 1 */
		"alloc early\n"            /* 2  before create */
		"create 10\n"              /* 3 */
		"alloc a\n"                /* 4 */
		"alloc b extra\n"          /* 5  wrong count: b never defined */
		"fill b 1\n"               /* 6  so b is unknown here */
		"create 11\n"              /* 7  second create */
		"palloc p\n"               /* 8 */
		"pwrite p -3\n"            /* 9  bad number */
		"free a\n"                 /* 10 */
		"fill a 2\n"               /* 11 already freed */
		"pfree a\n"                /* 12 wrong class (checked before freed) */
		"frob\n"                   /* 13 unknown op */
		"alloc 9lives\n"           /* 14 bad handle name */
		"palloc a\n"               /* 15 reused */
		"pfree p\n"                /* 16 fine */
		"pstage p 1\n";            /* 17 already freed (no final newline issue) */
	static const char *want[] = {
		"t.log:2: 'alloc' before create (a log starts with 'create LOG2')",
		"t.log:5: wrong number of arguments: 'alloc' takes 1 (alloc H), got 2",
		"t.log:6: unknown handle 'b' (never defined)",
		"t.log:7: second create (the first is on line 3)",
		"t.log:9: bad number '-3' (want decimal 0..18446744073709551615)",
		"t.log:11: handle 'a' already freed (on line 10)",
		"t.log:12: 'pfree' needs a protected handle, but 'a' is regular (alloc on line 4)",
		"t.log:13: unknown op 'frob'",
		"t.log:14: bad handle name '9lives' (want [A-Za-z_][A-Za-z0-9_.-]{0,63})",
		("t.log:15: handle 'a' reused (defined on line 4; a handle names one page for the "
		 "whole log)"),
		"t.log:17: handle 'p' already freed (on line 16)",
	};
	oplog log;
	diags d = { 0 };
	int rc = parse_str(text, &log, &d);
	size_t nwant = sizeof want / sizeof *want;
	cr_assert_eq(rc, (int)nwant, "rc %d", rc);
	cr_assert_eq(d.n, nwant);
	for (size_t i = 0; i < nwant; i++)
		cr_assert_str_eq(d.msg[i], want[i]);
	cr_assert(log_is_empty(&log));
	diags_free(&d);
}

Test(oplog_rules, a_bad_create_means_no_create)
{
	oplog log;
	diags d = { 0 };
	int rc = parse_str("create 9\nalloc a\n", &log, &d);
	cr_assert_eq(rc, 2);
	cr_assert_str_eq(d.msg[0], "t.log:1: page size out of range: LOG2 9 (want 10..16)");
	cr_assert_str_eq(d.msg[1], "t.log:2: 'alloc' before create (a log starts with 'create LOG2')");
	diags_free(&d);
}

/* ---------------------------------------------------------------------------------
 * Parser: hostile input */

Test(oplog_hostile, nul_bytes_and_invalid_utf8_are_bad_tokens_shown_escaped)
{
	static const char text[] = "create 10\nalloc a\0b\nalloc \xff\xfe\nfill\0 a 1\n";
	oplog log;
	diags d = { 0 };
	int rc = oplog_parse("t.log", text, sizeof text - 1, &log, diag_collect, &d);
	cr_assert_eq(rc, 3);
	cr_assert_str_eq(d.msg[0], "t.log:2: bad handle name 'a\\x00b' "
			 "(want [A-Za-z_][A-Za-z0-9_.-]{0,63})");
	cr_assert_str_eq(d.msg[1], "t.log:3: bad handle name '\\xff\\xfe' "
			 "(want [A-Za-z_][A-Za-z0-9_.-]{0,63})");
	cr_assert_str_eq(d.msg[2], "t.log:4: unknown op 'fill\\x00'");
	cr_assert(log_is_empty(&log));
	diags_free(&d);
}

Test(oplog_hostile, lone_cr_is_not_a_separator)
{
	expect_one_error("create 10\nalloc a\r\rreopen\n",
			 "t.log:2: bad handle name 'a\\x0d\\x0dreopen' (want [A-Za-z_][A-Za-z0-9_.-]{0,63})");
}

Test(oplog_hostile, megabyte_lines_are_cut_in_messages)
{
	size_t big = 4u << 20;
	char *text = malloc(big + 2048);
	cr_assert_not_null(text);
	size_t n = (size_t)sprintf(text, "create 10\nalloc ");
	memset(text + n, 'x', big);
	n += big;
	n += (size_t)sprintf(text + n, "\n%s", "fill "); /* and no newline at the end */
	memset(text + n, '7', 1000);
	n += 1000;
	oplog log;
	diags d = { 0 };
	int rc = oplog_parse("big", text, n, &log, diag_collect, &d);
	cr_assert_eq(rc, 2);
	cr_assert_str_eq(d.msg[0], "big:2: bad handle name 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' "
			 "(want [A-Za-z_][A-Za-z0-9_.-]{0,63})");
	cr_assert_str_eq(d.msg[1], "big:3: wrong number of arguments: 'fill' takes 2 "
			 "(fill H SEED), got 1");
	diags_free(&d);
	/* a megabyte comment is fine */
	n = (size_t)sprintf(text, "create 10 #");
	memset(text + n, '#', big);
	n += big;
	cr_assert_eq(oplog_parse("big", text, n, &log, NULL, NULL), 0);
	cr_assert_eq(log.nops, 1);
	oplog_free(&log);
	free(text);
}

Test(oplog_hostile, random_bytes_and_random_token_soup_never_crash)
{
	static const char *words[] = { "create", "10", "12", "alloc", "free", "fill", "palloc",
		"pfree", "pwrite", "pstage", "reopen", "a", "b", "p", "q", "7", "#", " ", "\t",
		"\n", "\r\n", "\r", "-1", "99999999999999999999", "\0", "\xff", "# tornpage oplog 2\n" };
	uint64_t s = 88172645463325252u;
	char buf[2048];
	for (int iter = 0; iter < 3000; iter++) {
		size_t n = 0, want = (size_t)(xs_next(&s) % sizeof buf);
		if (iter % 2) {
			for (; n < want; n++)
				buf[n] = (char)(xs_next(&s) & 0xff);
		} else {
			while (n < want) {
				const char *w = words[xs_next(&s) % (sizeof words / sizeof *words)];
				size_t wl = *w ? strlen(w) : 1;
				if (n + wl > want)
					break;
				memcpy(buf + n, w, wl);
				n += wl;
			}
		}
		oplog log;
		diags d = { 0 };
		int rc = oplog_parse("r", buf, n, &log, diag_collect, &d);
		cr_assert(rc >= 0);
		cr_assert_eq((size_t)rc, d.n, "every bad line reported once");
		if (rc == 0) {
			expect_round_trip(&log);
		} else {
			cr_assert(log_is_empty(&log));
		}
		oplog_free(&log);
		diags_free(&d);
	}
}

Test(oplog_hostile, null_text_name_and_diag_are_tolerated)
{
	oplog log;
	cr_assert_eq(oplog_parse(NULL, NULL, 0, &log, NULL, NULL), 1);
	cr_assert(log_is_empty(&log));
	diags d = { 0 };
	cr_assert_eq(oplog_parse(NULL, "bogus", 5, &log, diag_collect, &d), 1);
	cr_assert_str_eq(d.msg[0], "<oplog>:1: unknown op 'bogus'");
	diags_free(&d);
}

/* ---------------------------------------------------------------------------------
 * Loading files */

Test(oplog_load, unreadable_file_is_one_diagnostic)
{
	oplog log;
	diags d = { 0 };
	int rc = oplog_load("/nonexistent/dir/x.log", &log, diag_collect, &d);
	cr_assert_eq(rc, 1);
	cr_assert_eq(d.n, 1);
	cr_assert_str_eq(d.msg[0], "/nonexistent/dir/x.log: No such file or directory");
	cr_assert(log_is_empty(&log));
	diags_free(&d);
	rc = oplog_load("/", &log, diag_collect, &d);
	cr_assert_eq(rc, 1);
	cr_assert_str_eq(d.msg[0], "/: Is a directory");
	diags_free(&d);
}

Test(oplog_load, reads_a_file_and_names_it_in_diagnostics)
{
	char path[] = "/tmp/test_oplog_XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("create 11\nalloc a\nfree b\n", f);
	fclose(f);
	oplog log;
	diags d = { 0 };
	cr_assert_eq(oplog_load(path, &log, diag_collect, &d), 1);
	char want[128];
	snprintf(want, sizeof want, "%s:3: unknown handle 'b' (never defined)", path);
	cr_assert_str_eq(d.msg[0], want);
	diags_free(&d);
	f = fopen(path, "w");
	fputs("create 11\nalloc a\nfree a\n", f);
	fclose(f);
	cr_assert_eq(oplog_load(path, &log, diag_collect, &d), 0);
	cr_assert_eq(log.nops, 3);
	cr_assert_eq(log.page_log2, 11);
	oplog_free(&log);
	remove(path);
}

/* ---------------------------------------------------------------------------------
 * Printing and validation */

Test(oplog_format, round_trips_a_hand_written_log)
{
	oplog log;
	expect_ok("# x\ncreate 13\nalloc A_1\npalloc p.2\nfill A_1 18446744073709551615\n"
		  "pwrite p.2 0\npstage p.2 5\nreopen\nfree A_1\npfree p.2\nalloc z-\n", &log);
	expect_round_trip(&log);
	char *text = oplog_format(&log);
	cr_assert_str_eq(text, "# tornpage oplog 1\ncreate 13\nalloc A_1\npalloc p.2\n"
			 "fill A_1 18446744073709551615\npwrite p.2 0\npstage p.2 5\nreopen\n"
			 "free A_1\npfree p.2\nalloc z-\n");
	free(text);
	oplog_free(&log);
}

Test(oplog_format, refuses_invalid_logs)
{
	oplog log;
	expect_ok("create 10\nalloc a\npalloc p\nfill a 3\nfree a\n", &log);
	cr_assert_eq(oplog_validate(&log), 0);

	log.ops[3].handle = 1; /* fill on the protected handle */
	cr_assert_eq(oplog_validate(&log), 4);
	cr_assert_null(oplog_format(&log));
	log.ops[3].handle = 7; /* out of range */
	cr_assert_eq(oplog_validate(&log), 4);
	log.ops[3].handle = 0;
	log.ops[4].arg = 1; /* free carries no argument */
	cr_assert_eq(oplog_validate(&log), 5);
	log.ops[4].arg = 0;
	log.handle_protected[1] = 0; /* palloc defining a regular handle */
	cr_assert_eq(oplog_validate(&log), 3);
	log.handle_protected[1] = 1;
	log.ops[0].arg = 9; /* create disagrees with page_log2 */
	cr_assert_eq(oplog_validate(&log), 1);
	log.ops[0].arg = 10;
	log.handles[1][0] = '9'; /* bad name */
	cr_assert_eq(oplog_validate(&log), 3);
	log.handles[1][0] = 'a'; /* duplicate name */
	cr_assert_eq(oplog_validate(&log), 3);
	log.handles[1][0] = 'p';
	log.ops[4].kind = OPLOG_KIND_COUNT;
	cr_assert_eq(oplog_validate(&log), 5);
	log.ops[4].kind = OPLOG_FREE;
	cr_assert_eq(oplog_validate(&log), 0);
	oplog_free(&log);

	oplog zero = { 0 };
	cr_assert_eq(oplog_validate(&zero), 1);
	cr_assert_eq(oplog_validate(NULL), 1);
	cr_assert_null(oplog_format(&zero));
	oplog_free(&zero);
}

Test(oplog_format, kind_table_accessors)
{
	static const char *names[] = { "create", "alloc", "free", "fill", "palloc", "pfree",
				       "pwrite", "pstage", "reopen" };
	for (int k = 0; k < OPLOG_KIND_COUNT; k++) {
		cr_assert_str_eq(oplog_kind_name((oplog_kind)k), names[k]);
		cr_assert_eq(oplog_kind_from_name(names[k], strlen(names[k])), (oplog_kind)k);
		cr_assert_str_neq(oplog_kind_meaning((oplog_kind)k), "?");
	}
	cr_assert_str_eq(oplog_kind_usage(OPLOG_PSTAGE), "pstage H SEED");
	cr_assert_str_eq(oplog_kind_usage(OPLOG_CREATE), "create LOG2 [v2]");
	cr_assert_str_eq(oplog_kind_usage(OPLOG_REOPEN), "reopen");
	cr_assert_eq(oplog_kind_args(OPLOG_PFREE), OPLOG_ARGS_END_PROTECTED);
	cr_assert_str_eq(oplog_kind_name(OPLOG_KIND_COUNT), "?");
	cr_assert_str_eq(oplog_kind_name((oplog_kind)-1), "?");
	cr_assert_eq(oplog_kind_from_name("allocx", 5), OPLOG_ALLOC);
	cr_assert_eq(oplog_kind_from_name("allo", 4), OPLOG_KIND_COUNT);
}

/* ---------------------------------------------------------------------------------
 * The generator */

Test(oplog_gen, same_seed_same_text_other_seed_other_text)
{
	oplog a, b, c;
	cr_assert_eq(oplog_gen(42, 150, 10, &a), 0);
	cr_assert_eq(oplog_gen(42, 150, 10, &b), 0);
	cr_assert_eq(oplog_gen(43, 150, 10, &c), 0);
	char *ta = oplog_format(&a), *tb = oplog_format(&b), *tc = oplog_format(&c);
	cr_assert_str_eq(ta, tb);
	cr_assert_str_neq(ta, tc);
	for (size_t i = 0; i < a.nops; i++)
		cr_assert_eq(a.ops[i].line, 0, "generated ops have no line");
	free(ta);
	free(tb);
	free(tc);
	oplog_free(&a);
	oplog_free(&b);
	oplog_free(&c);
}

Test(oplog_gen, known_seed_gives_known_start)
{
	/* Pins the algorithm (splitmix64, weights, phases): a change here changes every
	 * generated corpus log, so regenerate them (docs/oplog.md) if this is deliberate. */
	oplog log;
	cr_assert_eq(oplog_gen(1, 12, 10, &log), 0);
	char *t = oplog_format(&log);
	cr_assert_str_eq(t, "# tornpage oplog 1\ncreate 10\nalloc r0\nfill r0 1\nfill r0 2\n"
			 "alloc r1\nalloc r2\nfree r1\npalloc p0\npwrite p0 3\npstage p0 4\n"
			 "pfree p0\nreopen\nalloc r3\n");
	free(t);
	oplog_free(&log);
}

Test(oplog_gen, exact_length_valid_and_round_trips)
{
	for (unsigned log2 = OPLOG_LOG2_MIN; log2 <= OPLOG_LOG2_MAX; log2++) {
		for (size_t n = 0; n < 60; n += 7) {
			oplog log;
			cr_assert_eq(oplog_gen(log2 * 1000 + n, n, log2, &log), 0);
			cr_assert_eq(log.nops, n + 1);
			cr_assert_eq(log.ops[0].kind, OPLOG_CREATE);
			cr_assert_eq(log.page_log2, log2);
			expect_round_trip(&log);
			oplog_free(&log);
		}
	}
}

Test(oplog_gen, rejects_bad_arguments)
{
	oplog log;
	cr_assert_eq(oplog_gen(1, 10, 9, &log), -1);
	cr_assert(log_is_empty(&log));
	cr_assert_eq(oplog_gen(1, 10, 17, &log), -1);
	cr_assert_eq(oplog_gen(1, 10, 10, NULL), -1);
}

Test(oplog_gen, every_kind_appears_from_8_ops)
{
	for (uint64_t seed = 0; seed < 200; seed++) {
		for (size_t n = 8; n <= 40; n += 8) {
			oplog log;
			oplog_stats st;
			cr_assert_eq(oplog_gen(seed, n, 10 + (unsigned)(seed % 7), &log), 0);
			cr_assert_eq(oplog_stats_of(&log, &st), 0);
			for (int k = 0; k < OPLOG_KIND_COUNT; k++)
				cr_assert(st.count[k] > 0, "seed %llu n %zu: no %s",
					  (unsigned long long)seed, n, oplog_kind_name((oplog_kind)k));
			oplog_free(&log);
		}
	}
}

Test(oplog_gen, ops_200_at_1k_reach_every_protocol_path)
{
	for (uint64_t seed = 1; seed <= 100; seed++) {
		oplog log;
		oplog_stats st;
		cr_assert_eq(oplog_gen(seed, 200, 10, &log), 0);
		cr_assert_eq(oplog_stats_of(&log, &st), 0);
		cr_assert_eq(st.dir_capacity, 33);
		cr_assert(st.peak_live_protected > 33, "seed %llu: second directory block "
			  "(peak %zu)", (unsigned long long)seed, st.peak_live_protected);
		cr_assert(st.dir_blocks >= 2);
		cr_assert(st.grows >= 4, "seed %llu: file growth (%u)", (unsigned long long)seed,
			  st.grows);
		cr_assert(st.count[OPLOG_ALLOC] >= 10);
		cr_assert(st.count[OPLOG_PSTAGE] >= 2, "abandoned stages");
		cr_assert(st.count[OPLOG_REOPEN] >= 1);
		cr_assert(st.count[OPLOG_FREE] >= 1 && st.count[OPLOG_PFREE] >= 1);
		cr_assert(st.count[OPLOG_FILL] >= 1 && st.count[OPLOG_PWRITE] >= 1);
		oplog_free(&log);
	}
}

Test(oplog_gen, second_block_at_4k_from_427_ops)
{
	for (uint64_t seed = 1; seed <= 20; seed++) {
		oplog log;
		oplog_stats st;
		cr_assert_eq(oplog_gen(seed, 427, 12, &log), 0);
		cr_assert_eq(oplog_stats_of(&log, &st), 0);
		cr_assert_eq(st.dir_capacity, 136);
		cr_assert(st.peak_live_protected > 136, "seed %llu: peak %zu",
			  (unsigned long long)seed, st.peak_live_protected);
		oplog_free(&log);
	}
}

Test(oplog_gen, long_logs_stay_within_the_page_caps)
{
	oplog log;
	oplog_stats st;
	cr_assert_eq(oplog_gen(7, 60000, 10, &log), 0);
	cr_assert_eq(oplog_stats_of(&log, &st), 0);
	cr_assert_leq(st.pages, 4096, "1 KiB bitmap describes 7968 pages: the file stops at 4096");
	cr_assert_leq(st.dir_blocks, (1024 - 28) / 17);
	oplog_free(&log);
	cr_assert_eq(oplog_gen(7, 40000, 12, &log), 0);
	cr_assert_eq(oplog_stats_of(&log, &st), 0);
	cr_assert_leq(st.pages, 16384);
	oplog_free(&log);
}

/* ---------------------------------------------------------------------------------
 * The fuzzer's decoder */

Test(oplog_from_bytes, any_bytes_give_a_valid_log_that_round_trips)
{
	uint64_t s = 0x243f6a8885a308d3u;
	uint8_t buf[1024];
	for (int iter = 0; iter < 4000; iter++) {
		size_t n = (size_t)(xs_next(&s) % sizeof buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)xs_next(&s);
		size_t max_ops = (size_t)(xs_next(&s) % 300);
		oplog log;
		cr_assert_eq(oplog_from_bytes(buf, n, max_ops, &log), 0);
		cr_assert_leq(log.nops, max_ops + 1);
		cr_assert(log.page_log2 >= 10 && log.page_log2 <= 12);
		if (n > 0)
			cr_assert_eq(log.page_log2, 10 + buf[0] % 3);
		expect_round_trip(&log);
		oplog_free(&log);
	}
}

Test(oplog_from_bytes, empty_input_is_just_a_create)
{
	oplog log;
	cr_assert_eq(oplog_from_bytes(NULL, 0, 100, &log), 0);
	cr_assert_eq(log.nops, 1);
	cr_assert_eq(log.page_log2, 10);
	oplog_free(&log);
	cr_assert_eq(oplog_from_bytes((const uint8_t *)"\x02\x00\x00", 3, 0, &log), 0);
	cr_assert_eq(log.nops, 1);
	cr_assert_eq(log.page_log2, 12);
	oplog_free(&log);
}

Test(oplog_from_bytes, decodes_as_documented)
{
	/* 1 KiB; nothing live: valid = alloc palloc reopen, so 0 = alloc; one regular page
	 * live: valid = alloc free fill palloc reopen, so 3 = palloc; then all eight are
	 * valid (alloc free fill palloc pfree pwrite pstage reopen):
	 * 2 = fill (handle byte 5, seed byte 200), 5 = pwrite (handle 0, seed 9),
	 * 6 = pstage (7 mod 1 live, seed 255), 4 = pfree (handle 0); then with no protected
	 * page live valid = alloc free fill palloc reopen: 4 = reopen, 1 = free, its handle
	 * byte missing (reads as 0). */
	static const uint8_t in[] = { 0, 0, 3, 2, 5, 200, 5, 0, 9, 6, 7, 255, 4, 0, 4, 1 };
	oplog log;
	cr_assert_eq(oplog_from_bytes(in, sizeof in, 100, &log), 0);
	char *t = oplog_format(&log);
	cr_assert_str_eq(t, "# tornpage oplog 1\ncreate 10\nalloc r0\npalloc p0\nfill r0 200\n"
			 "pwrite p0 9\npstage p0 255\npfree p0\nreopen\nfree r0\n");
	free(t);
	oplog_free(&log);
}

Test(oplog_from_bytes, can_reach_a_second_directory_block)
{
	/* 1 KiB, then byte 1 every time: with no regular page live, palloc is the second
	 * valid op both when nothing is live (alloc palloc reopen) and after (alloc palloc
	 * pfree pwrite pstage reopen). */
	uint8_t in[1 + 40];
	oplog log;
	oplog_stats st;
	in[0] = 0;
	for (size_t i = 1; i < sizeof in; i++)
		in[i] = 1;
	cr_assert_eq(oplog_from_bytes(in, sizeof in, 100, &log), 0);
	cr_assert_eq(oplog_stats_of(&log, &st), 0);
	cr_assert_eq(st.count[OPLOG_PALLOC], 40);
	cr_assert_eq(st.dir_blocks, 2);
	oplog_free(&log);
}

/* ---------------------------------------------------------------------------------
 * The pattern */

Test(oplog_pattern, matches_the_formula)
{
	uint8_t b[1024];
	oplog_pattern(0, b, sizeof b);
	cr_assert_eq(b[0], 0);
	cr_assert_eq(b[1], 13);
	cr_assert_eq(b[255], (uint8_t)(255 * 13));
	cr_assert_eq(b[256], 1, "i >> 8 adds one from byte 256");
	cr_assert_eq(b[1023], (uint8_t)(1023 * 13 + 3));
	oplog_pattern(10, b, 4);
	cr_assert_eq(b[0], 70);
	cr_assert_eq(b[1], 83);
	oplog_pattern(UINT64_MAX, b, 2);
	cr_assert_eq(b[0], (uint8_t)(UINT64_MAX * 7u)); /* wraps: 0xf9 */
	cr_assert_eq(b[0], 0xf9);
	cr_assert_eq(b[1], (uint8_t)(0xf9 + 13));
	oplog_pattern(1, b, 0); /* nothing written, nothing read */
}

/* ---------------------------------------------------------------------------------
 * Docs and corpus logs */

Test(oplog_docs, op_table_in_docs_matches_ops_def)
{
	size_t len;
	char *doc = read_file(TORNPAGE_SOURCE_DIR "/docs/oplog.md", &len);
	cr_assert_not_null(doc, "docs/oplog.md not found from " TORNPAGE_SOURCE_DIR);
	char *table = oplog_ops_markdown();
	cr_assert_not_null(table);
	cr_assert_not_null(strstr(doc, table), "docs/oplog.md must hold this table verbatim:\n%s",
			   table);
	cr_assert_not_null(strstr(doc, "# tornpage oplog 1"));
	free(table);
	free(doc);
}

/* What each hand-written corpus log must reach, by the allocator's counting rules. */
static void check_corpus_log(const char *name, const oplog *log, const oplog_stats *st)
{
	if (strcmp(name, "meta-commit.log") == 0) {
		cr_assert_eq(st->grows, 0, "%s: no growth", name);
		cr_assert(st->count[OPLOG_ALLOC] >= 3 && st->count[OPLOG_FREE] >= 3);
		cr_assert_eq(st->count[OPLOG_PALLOC], 0);
	} else if (strcmp(name, "growth.log") == 0) {
		cr_assert_geq(st->grows, 4, "%s: grows %u", name, st->grows);
	} else if (strcmp(name, "protected-commit.log") == 0) {
		cr_assert_geq(st->count[OPLOG_PWRITE], 3);
		cr_assert_eq(st->count[OPLOG_PFREE], 0);
	} else if (strcmp(name, "dir-block2.log") == 0) {
		cr_assert_eq(log->page_log2, 10);
		cr_assert_gt(st->peak_live_protected, 33, "%s: one block's capacity exceeded", name);
		cr_assert_eq(st->dir_blocks, 2);
	} else if (strcmp(name, "protected-free.log") == 0) {
		cr_assert_geq(st->count[OPLOG_PFREE], 2);
	} else if (strcmp(name, "abandoned-stage.log") == 0) {
		cr_assert_geq(st->count[OPLOG_PSTAGE], 3);
	} else if (strcmp(name, "reopen.log") == 0) {
		cr_assert_geq(st->count[OPLOG_REOPEN], 2);
	} else if (strcmp(name, "mixed.log") == 0) {
		cr_assert_eq(log->page_log2, 12);
		cr_assert(log->nops >= 61 && log->nops <= 81, "%s: %zu ops", name, log->nops);
		for (int k = 0; k < OPLOG_KIND_COUNT; k++)
			cr_assert_gt(st->count[k], 0, "%s: no %s", name, oplog_kind_name((oplog_kind)k));
	}
}

Test(oplog_corpus, every_log_parses_and_says_what_it_targets)
{
	static const char *required[] = { "meta-commit.log", "growth.log",
		"protected-commit.log", "dir-block2.log", "protected-free.log",
		"abandoned-stage.log", "reopen.log", "mixed.log", "gen-1.log", "gen-2.log",
		"gen-3.log" };
	size_t nreq = sizeof required / sizeof *required, found = 0;
	DIR *dir = opendir(TORNPAGE_SOURCE_DIR "/corpus/oplogs");
	cr_assert_not_null(dir);
	struct dirent *de;
	while ((de = readdir(dir)) != NULL) {
		size_t nl = strlen(de->d_name);
		if (nl < 5 || strcmp(de->d_name + nl - 4, ".log") != 0)
			continue;
		char path[1024];
		snprintf(path, sizeof path, "%s/corpus/oplogs/%s", TORNPAGE_SOURCE_DIR, de->d_name);
		size_t len;
		char *text = read_file(path, &len);
		cr_assert_not_null(text);
		cr_assert_eq(strncmp(text, "# targets: ", 11), 0, "%s: first line", de->d_name);
		free(text);
		oplog log;
		oplog_stats st;
		diags d = { 0 };
		cr_assert_eq(oplog_load(path, &log, diag_collect, &d), 0, "%s",
			     d.n ? d.msg[0] : de->d_name);
		cr_assert_eq(oplog_stats_of(&log, &st), 0);
		check_corpus_log(de->d_name, &log, &st);
		for (size_t i = 0; i < nreq; i++)
			found += strcmp(de->d_name, required[i]) == 0;
		oplog_free(&log);
	}
	closedir(dir);
	cr_assert_eq(found, nreq, "corpus/oplogs lacks some of the required logs");
}

Test(oplog_corpus, generated_logs_match_the_generator)
{
	static const struct { const char *name; uint64_t seed; size_t nops; unsigned log2; } g[] = {
		{ "gen-1.log", 1, 150, 10 }, { "gen-2.log", 2, 150, 10 }, { "gen-3.log", 3, 180, 11 },
	};
	for (size_t i = 0; i < 3; i++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/corpus/oplogs/%s", TORNPAGE_SOURCE_DIR, g[i].name);
		size_t len;
		char *text = read_file(path, &len);
		cr_assert_not_null(text, "%s", path);
		char want_first[160];
		snprintf(want_first, sizeof want_first,
			 "# targets: random mix (tornpage gen --seed %llu --ops %zu --page-log2 %u)\n",
			 (unsigned long long)g[i].seed, g[i].nops, g[i].log2);
		cr_assert_eq(strncmp(text, want_first, strlen(want_first)), 0, "%s", g[i].name);
		oplog log;
		cr_assert_eq(oplog_gen(g[i].seed, g[i].nops, g[i].log2, &log), 0);
		char *gen = oplog_format(&log);
		cr_assert_str_eq(text + strlen(want_first), gen, "%s: regenerate it", g[i].name);
		free(gen);
		free(text);
		oplog_free(&log);
	}
}

/* The golden images were written by the Rust crate: replaying their ops through the
 * counting rules of oplog_stats_of must give the page and free counts the crate left. */
Test(oplog_stats, page_counts_match_the_golden_images)
{
	DIR *dir = opendir(TORNPAGE_GOLDEN_DIR);
	if (dir == NULL)
		cr_skip_test("no golden dir at " TORNPAGE_GOLDEN_DIR);
	struct dirent *de;
	size_t checked = 0;
	while ((de = readdir(dir)) != NULL) {
		size_t nl = strlen(de->d_name);
		if (nl < 6 || strcmp(de->d_name + nl - 5, ".json") != 0)
			continue;
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", TORNPAGE_GOLDEN_DIR, de->d_name);
		size_t len;
		char *json = read_file(path, &len);
		cr_assert_not_null(json);
		size_t cap = len + 64, n = 0;
		char *text = malloc(cap);
		unsigned log2 = 0;
		unsigned long long pages = 0, nfree = 0;
		const char *p = strstr(json, "\"page_size_log2\":");
		cr_assert(p && sscanf(p, "\"page_size_log2\": %u", &log2) == 1);
		n += (size_t)snprintf(text + n, cap - n, "create %u\n", log2);
		/* ops are lines `["op","handle",value],` or `["reopen"],` */
		for (const char *l = strstr(json, "\"ops\""); l && *l; l = strchr(l, '\n')) {
			char op[16], h[80];
			unsigned long long v;
			l += *l == '\n';
			while (*l == ' ')
				l++;
			if (strncmp(l, "]", 1) == 0)
				break;
			if (sscanf(l, "[\"%15[a-z]\",\"%79[^\"]\",%llu]", op, h, &v) == 3) {
				if (!strcmp(op, "fill") || !strcmp(op, "pwrite") || !strcmp(op, "pstage"))
					n += (size_t)snprintf(text + n, cap - n, "%s %s %llu\n", op, h, v);
				else
					n += (size_t)snprintf(text + n, cap - n, "%s %s\n", op, h);
			} else if (strncmp(l, "[\"reopen\"]", 10) == 0) {
				n += (size_t)snprintf(text + n, cap - n, "reopen\n");
			}
		}
		p = strstr(json, "\"page_count\":");
		cr_assert(p && sscanf(p, "\"page_count\": %llu", &pages) == 1);
		p = strstr(json, "\"free_page_count\":");
		cr_assert(p && sscanf(p, "\"free_page_count\": %llu", &nfree) == 1);
		oplog log;
		oplog_stats st;
		diags d = { 0 };
		cr_assert_eq(oplog_parse(de->d_name, text, n, &log, diag_collect, &d), 0, "%s",
			     d.n ? d.msg[0] : "?");
		cr_assert_eq(oplog_stats_of(&log, &st), 0);
		cr_assert_eq(st.pages, pages, "%s: pages", de->d_name);
		cr_assert_eq(st.pages - st.used_pages, nfree, "%s: free pages", de->d_name);
		oplog_free(&log);
		free(text);
		free(json);
		checked++;
	}
	closedir(dir);
	cr_assert_gt(checked, 0);
}
