/* repro_format.c — the reproducer file format (docs/repro.md, version 1): parsing the
 * directives and notes of a file that is also a valid op log, and printing one. It does
 * not replay (repro_run.c) nor save (repro.c). */
#define _POSIX_C_SOURCE 200809L
#include "repro_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pager.h"
#include "tornpage/verdicts.h"

/* ---- parsing ---- */

typedef struct rparser {
	const char *name;
	oplog_diag_fn diag;
	void *arg;
	int bad;       /* bad lines */
	int oom;
	size_t line;   /* current line, 1-based */
	repro *r;
	size_t header_line;   /* line of each directive seen (0: none yet) */
	size_t atomic_line;
	size_t case_line;     /* the crash or fault line */
	size_t df_line;       /* the disk-fault line */
	size_t expect_ok_line;   /* "#! expect ok" */
	size_t expect_any_line;  /* the first "#! expect ID" */
} rparser;

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* A token for a message: at most 32 bytes, bytes outside '!'..'~' and ' \ as \xNN. */
static const char *show(char *buf, size_t bufsz, const char *s, size_t n)
{
	size_t o = 0, i;
	for (i = 0; i < n && i < 32 && o + 5 < bufsz; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < '!' || c > '~' || c == '\'' || c == '\\')
			o += (size_t)snprintf(buf + o, bufsz - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	if (i < n && o + 4 < bufsz) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

static void bad_at(rparser *p, size_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void bad_at(rparser *p, size_t line, const char *fmt, ...)
{
	char msg[512], full[640];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(full, sizeof full, "%s:%zu: %s", p->name, line, msg);
	p->bad++;
	if (p->diag)
		p->diag(p->arg, full);
}
#define BAD(p, ...) bad_at((p), (p)->line, __VA_ARGS__)

typedef struct tok {
	const char *s;
	size_t n;
} tok;

static int tok_is(const tok *t, const char *word)
{
	size_t n = strlen(word);
	return t->n == n && memcmp(t->s, word, n) == 0;
}

/* Decimal u64, digits only. */
static int tok_u64(const tok *t, uint64_t *v)
{
	uint64_t x = 0;
	if (t->n == 0)
		return -1;
	for (size_t i = 0; i < t->n; i++) {
		unsigned char c = (unsigned char)t->s[i];
		if (c < '0' || c > '9')
			return -1;
		if (x > (UINT64_MAX - (c - '0')) / 10)
			return -1;
		x = x * 10 + (c - '0');
	}
	*v = x;
	return 0;
}

static int tok_cstr(const tok *t, char *buf, size_t n)
{
	if (t->n >= n || memchr(t->s, '\0', t->n))
		return -1;
	memcpy(buf, t->s, t->n);
	buf[t->n] = '\0';
	return 0;
}

int repro_unit_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Parse a unit list (comma- and/or blank-separated decimals in t[0..n)) into *list
 * (sorted, distinct). 0, or -1 after one diagnostic (what names the directive). */
static int unit_list(rparser *p, const char *what, const tok *t, size_t n, uint64_t **list, size_t *count)
{
	char s[160];
	uint64_t v;
	*count = 0;
	for (size_t i = 0; i < n; i++) {
		const char *c = t[i].s, *e = t[i].s + t[i].n;
		while (c < e) {
			const char *comma = memchr(c, ',', (size_t)(e - c));
			const char *pe = comma ? comma : e;
			tok piece = {c, (size_t)(pe - c)};
			if (piece.n) {
				if (tok_u64(&piece, &v)) {
					BAD(p, "%s: bad unit '%s' in the list (want decimal unit indexes, comma-separated)", what,
					    show(s, sizeof s, piece.s, piece.n));
					return -1;
				}
				if ((*count & (*count - 1)) == 0) {
					uint64_t *l = realloc(*list, (*count ? *count * 2 : 4) * sizeof *l);
					if (!l) {
						p->oom = 1;
						return -1;
					}
					*list = l;
				}
				(*list)[(*count)++] = v;
			}
			c = comma ? comma + 1 : e;
		}
	}
	if (!*count) {
		BAD(p, "%s: empty unit list", what);
		return -1;
	}
	qsort(*list, *count, sizeof **list, repro_unit_cmp);
	for (size_t k = 1; k < *count; k++) {
		if ((*list)[k] == (*list)[k - 1]) {
			BAD(p, "%s: unit %" PRIu64 " is listed twice", what, (*list)[k]);
			return -1;
		}
	}
	return 0;
}

static int add_unit(rparser *p, uint64_t u)
{
	repro *r = p->r;
	if ((r->nunits & (r->nunits - 1)) == 0) { /* grow at powers of two */
		size_t cap = r->nunits ? r->nunits * 2 : 4;
		uint64_t *n = realloc(r->units, cap * sizeof *n);
		if (!n) {
			p->oom = 1;
			return -1;
		}
		r->units = n;
	}
	r->units[r->nunits++] = u;
	return 0;
}

static const char usage_crash[] = "want 'crash op K PHASE [SYNC] persisted U,U,...' (or 'persisted none')";
static const char usage_fault[] =
	"want 'fault POINT hit N mode once|persist errno NAME [lost-writes seed S] [disk-faults MODE,... [seed S]]'";

static int case_once(rparser *p, const char *what)
{
	if (p->case_line) {
		BAD(p, "%s: a reproducer holds one case, and line %zu already has one", what, p->case_line);
		return -1;
	}
	return 0;
}

static void dir_crash(rparser *p, const tok *t, size_t n)
{
	repro *r = p->r;
	char s[160];
	uint64_t v;
	size_t i = 1;
	if (case_once(p, "crash"))
		return;
	if (n < 2 || !tok_is(&t[1], "op")) {
		BAD(p, "crash: %s", usage_crash);
		return;
	}
	if (n < 3 || tok_u64(&t[2], &v)) {
		BAD(p, "crash: bad op index '%s' (want a decimal op number, 0 = the create)",
		    n < 3 ? "" : show(s, sizeof s, t[2].s, t[2].n));
		return;
	}
	if (r->log.nops && v >= r->log.nops) {
		BAD(p, "crash: op %" PRIu64 " is not in the log (ops 0..%zu)", v, r->log.nops - 1);
		return;
	}
	r->op = (size_t)v;
	if (n < 4) {
		BAD(p, "crash: no phase (want before-sync, after-sync or end-of-op)");
		return;
	}
	if (tok_is(&t[3], "before-sync"))
		r->phase = CRASH_BEFORE_SYNC;
	else if (tok_is(&t[3], "after-sync"))
		r->phase = CRASH_AFTER_SYNC;
	else if (tok_is(&t[3], "end-of-op"))
		r->phase = CRASH_END_OF_OP;
	else {
		BAD(p, "crash: bad phase '%s' (want before-sync, after-sync or end-of-op)", show(s, sizeof s, t[3].s, t[3].n));
		return;
	}
	i = 4;
	r->has_sync = 0;
	if (i < n && !tok_is(&t[i], "persisted")) {
		if (tok_u64(&t[i], &v) || v > UINT32_MAX) {
			BAD(p, "crash: bad sync index '%s' (want a decimal sync number, 0..4294967295)", show(s, sizeof s, t[i].s, t[i].n));
			return;
		}
		r->sync = (uint32_t)v;
		r->has_sync = 1;
		i++;
	}
	if (!r->has_sync && r->phase != CRASH_END_OF_OP) {
		BAD(p, "crash: %s needs the sync index (the run-wide number of the sync)", crash_phase_name(r->phase));
		return;
	}
	if (i >= n || !tok_is(&t[i], "persisted")) {
		BAD(p, "crash: %s", usage_crash);
		return;
	}
	i++;
	if (i >= n) {
		BAD(p, "crash: 'persisted' needs a unit list or 'none'");
		return;
	}
	r->nunits = 0;
	if (tok_is(&t[i], "none")) {
		if (i + 1 < n) {
			BAD(p, "crash: unexpected '%s' after 'persisted none'", show(s, sizeof s, t[i + 1].s, t[i + 1].n));
			return;
		}
	} else {
		for (; i < n; i++) {
			const char *c = t[i].s, *e = t[i].s + t[i].n;
			while (c < e) {
				const char *comma = memchr(c, ',', (size_t)(e - c));
				const char *pe = comma ? comma : e;
				tok piece = {c, (size_t)(pe - c)};
				if (piece.n) {
					if (tok_u64(&piece, &v)) {
						BAD(p, "crash: bad unit '%s' in the persisted list (want decimal unit indexes, comma-separated)",
						    show(s, sizeof s, piece.s, piece.n));
						r->nunits = 0;
						return;
					}
					if (add_unit(p, v))
						return;
				}
				c = comma ? comma + 1 : e;
			}
		}
		if (!r->nunits) {
			BAD(p, "crash: empty persisted list (write 'persisted none')");
			return;
		}
		qsort(r->units, r->nunits, sizeof *r->units, repro_unit_cmp);
		for (size_t k = 1; k < r->nunits; k++) {
			if (r->units[k] == r->units[k - 1]) {
				BAD(p, "crash: unit %" PRIu64 " is listed twice", r->units[k]);
				r->nunits = 0;
				return;
			}
		}
	}
	r->kind = REPRO_CRASH;
	p->case_line = p->line;
}

static void dir_fault(rparser *p, const tok *t, size_t n)
{
	repro *r = p->r;
	char s[160], name[128];
	uint64_t v;
	if (case_once(p, "fault"))
		return;
	if (n < 2) {
		BAD(p, "fault: %s", usage_fault);
		return;
	}
	size_t npts;
	const pager_fault_point *pts = pager_fault_points(&npts);
	const char *point = NULL;
	for (size_t k = 0; k < npts && !point; k++)
		if (tok_is(&t[1], pts[k].name))
			point = pts[k].name;
	if (!point) {
		BAD(p, "fault: unknown fault point '%s' (tornpage points lists them)", show(s, sizeof s, t[1].s, t[1].n));
		return;
	}
	if (n < 4 || !tok_is(&t[2], "hit") || tok_u64(&t[3], &v) || v == 0) {
		BAD(p, "fault: bad hit count%s%s%s (want 'hit N', N >= 1: the N-th time the point is reached)",
		    n >= 4 ? " '" : "", n >= 4 ? show(s, sizeof s, t[3].s, t[3].n) : "", n >= 4 ? "'" : "");
		return;
	}
	r->hit = v;
	if (n < 6 || !tok_is(&t[4], "mode") || !(tok_is(&t[5], "once") || tok_is(&t[5], "persist"))) {
		BAD(p, "fault: bad mode%s%s%s (want 'mode once' or 'mode persist')", n >= 6 ? " '" : "",
		    n >= 6 ? show(s, sizeof s, t[5].s, t[5].n) : "", n >= 6 ? "'" : "");
		return;
	}
	r->mode = tok_is(&t[5], "once") ? REPRO_ONCE : REPRO_PERSIST;
	if (n < 8 || !tok_is(&t[6], "errno") || tok_cstr(&t[7], name, sizeof name) || !repro_errno_value(name)) {
		BAD(p, "fault: bad errno%s%s%s (want 'errno NAME', NAME one of EIO, ENOSPC, ENOMEM, EROFS, ...)",
		    n >= 8 ? " '" : "", n >= 8 ? show(s, sizeof s, t[7].s, t[7].n) : "", n >= 8 ? "'" : "");
		return;
	}
	r->err = repro_errno_value(name);
	r->lost_writes = 0;
	r->seed = 0;
	r->dfaults = 0;
	size_t i = 8;
	if (n > i && tok_is(&t[i], "lost-writes")) {
		if (n < i + 3 || !tok_is(&t[i + 1], "seed") || tok_u64(&t[i + 2], &v)) {
			BAD(p, "fault: after the errno, want nothing, 'lost-writes seed S' and/or 'disk-faults MODE,...'");
			return;
		}
		r->lost_writes = 1;
		r->seed = v;
		i += 3;
	}
	if (n > i) {
		/* disk-faults MODE,... and, without lost-writes, the case's seed (rot's bits, torn
		 * garbage's bytes: matrix_faults.c) */
		char list[128], badw[48];
		size_t want = r->lost_writes ? i + 2 : i + 4;
		if (!tok_is(&t[i], "disk-faults") || n != want || tok_cstr(&t[i + 1], list, sizeof list) ||
		    dfault_parse_list(list, &r->dfaults, badw, sizeof badw) ||
		    (!r->lost_writes && (!tok_is(&t[i + 2], "seed") || tok_u64(&t[i + 3], &v)))) {
			BAD(p, "fault: after the errno, want nothing, 'lost-writes seed S' and/or 'disk-faults MODE,...%s'",
			    r->lost_writes ? "" : " seed S");
			return;
		}
		if (!r->lost_writes)
			r->seed = v;
	}
	if (!(r->point = strdup(point))) {
		p->oom = 1;
		return;
	}
	r->kind = REPRO_FAULT;
	p->case_line = p->line;
}

static const char usage_df[] =
	"want 'disk-fault torn-garbage unit U seeded S|zeros|ones', 'disk-fault rot unit U flip B|zeros', "
	"'disk-fault misdirect sync N unit U to T', 'disk-fault lying-sync sync N [device U,U,...]' or "
	"'disk-fault lost-size'";

/* #! disk-fault MODE ...: the disk fault on a crash case's image (docs/repro.md). */
static void dir_disk_fault(rparser *p, const tok *t, size_t n)
{
	repro *r = p->r;
	char s[160];
	dfault f = {DFAULT_NONE, 0, 0, 0, 0, 0};
	uint64_t v;
	if (p->df_line) {
		BAD(p, "disk-fault: one per reproducer, and line %zu already has one", p->df_line);
		return;
	}
	if (n < 2 || dfault_mode_parse(t[1].s, t[1].n, &f.mode) || f.mode == DFAULT_NONE) {
		BAD(p, "disk-fault: unknown mode '%s'; %s", n < 2 ? "" : show(s, sizeof s, t[1].s, t[1].n), usage_df);
		return;
	}
	switch (f.mode) {
	case DFAULT_TORN_GARBAGE:
	case DFAULT_ROT: {
		int torn = f.mode == DFAULT_TORN_GARBAGE;
		if (n < 5 || !tok_is(&t[2], "unit") || tok_u64(&t[3], &f.unit)) {
			BAD(p, "disk-fault: %s", usage_df);
			return;
		}
		if (torn && tok_is(&t[4], "seeded") && n == 6 && !tok_u64(&t[5], &v)) {
			f.fill = DFAULT_FILL_SEEDED;
			f.arg = v;
		} else if (!torn && tok_is(&t[4], "flip") && n == 6 && !tok_u64(&t[5], &v)) {
			f.fill = DFAULT_FILL_FLIP;
			f.arg = v;
		} else if (tok_is(&t[4], "zeros") && n == 5) {
			f.fill = DFAULT_FILL_ZEROS;
		} else if (torn && tok_is(&t[4], "ones") && n == 5) {
			f.fill = DFAULT_FILL_ONES;
		} else {
			BAD(p, "disk-fault: %s: bad fill '%s' (want %s)", dfault_mode_name(f.mode), show(s, sizeof s, t[4].s, t[4].n),
			    torn ? "seeded S, zeros or ones" : "flip B or zeros");
			return;
		}
		break;
	}
	case DFAULT_MISDIRECT:
		if (n != 8 || !tok_is(&t[2], "sync") || tok_u64(&t[3], &v) || v > UINT32_MAX || !tok_is(&t[4], "unit") ||
		    tok_u64(&t[5], &f.unit) || !tok_is(&t[6], "to") || tok_u64(&t[7], &f.target)) {
			BAD(p, "disk-fault: %s", usage_df);
			return;
		}
		f.sync = (uint32_t)v;
		if (f.target == f.unit) {
			BAD(p, "disk-fault: misdirect: unit %" PRIu64 " written to itself is not misdirected", f.unit);
			return;
		}
		break;
	case DFAULT_LYING_SYNC:
		if (n < 4 || !tok_is(&t[2], "sync") || tok_u64(&t[3], &v) || v > UINT32_MAX ||
		    (n > 4 && (!tok_is(&t[4], "device") || n < 6))) {
			BAD(p, "disk-fault: %s", usage_df);
			return;
		}
		f.sync = (uint32_t)v;
		if (n > 4 && unit_list(p, "disk-fault: device", t + 5, n - 5, &r->dev, &r->ndev))
			return;
		break;
	default: /* lost-size */
		if (n != 2) {
			BAD(p, "disk-fault: lost-size takes nothing more");
			return;
		}
		break;
	}
	r->df = f;
	p->df_line = p->line;
	r->df_line = (uint32_t)(p->line > UINT32_MAX ? UINT32_MAX : p->line);
}

static void dir_expect(rparser *p, const tok *t, size_t n)
{
	char s[160], id[64];
	if (n != 2) {
		BAD(p, "expect: want one verdict id per line ('expect I-ATOMIC') or 'expect ok'");
		return;
	}
	if (tok_is(&t[1], "ok")) {
		if (p->expect_ok_line || p->expect_any_line) {
			BAD(p, "expect: 'ok' cannot be combined with other expect lines (line %zu)",
			    p->expect_ok_line ? p->expect_ok_line : p->expect_any_line);
			return;
		}
		p->expect_ok_line = p->line;
		return;
	}
	if (tok_cstr(&t[1], id, sizeof id) || !verdict_known(id)) {
		BAD(p, "expect: unknown verdict id '%s' (tornpage verdicts lists them)", show(s, sizeof s, t[1].s, t[1].n));
		return;
	}
	if (p->expect_ok_line) {
		BAD(p, "expect: '%s' contradicts 'expect ok' on line %zu", id, p->expect_ok_line);
		return;
	}
	if (repro_strset_has(&p->r->expect, id)) {
		BAD(p, "expect: '%s' is expected twice", id);
		return;
	}
	if (repro_strset_add(&p->r->expect, id)) {
		p->oom = 1;
		return;
	}
	if (!p->expect_any_line)
		p->expect_any_line = p->line;
}

static void directive(rparser *p, const char *s, size_t n)
{
	enum { MAXTOK = 16 };
	tok t[MAXTOK];
	size_t nt = 0;
	char sh[160];
	for (size_t i = 0; i < n;) {
		if (is_blank(s[i])) {
			i++;
			continue;
		}
		size_t b = i;
		while (i < n && !is_blank(s[i]))
			i++;
		if (nt == MAXTOK) {
			BAD(p, "too many words in a directive (at most %d)", MAXTOK);
			return;
		}
		t[nt++] = (tok){s + b, i - b};
	}
	repro *r = p->r;
	if (nt == 0) {
		BAD(p, "empty directive (a line starting with '#!' must hold one)");
		return;
	}
	if (tok_is(&t[0], "tornpage")) {
		if (nt < 2 || !tok_is(&t[1], "repro")) {
			BAD(p, "want '#! tornpage repro 1'");
			return;
		}
		if (p->header_line) {
			BAD(p, "second '#! tornpage repro' line (the first is on line %zu)", p->header_line);
			return;
		}
		uint64_t v;
		if (nt != 3 || tok_u64(&t[2], &v) || v != REPRO_FORMAT) {
			BAD(p, "unsupported repro format '%s' (this reader knows version %d)",
			    nt >= 3 ? show(sh, sizeof sh, t[2].s, t[2].n) : "", REPRO_FORMAT);
			return;
		}
		p->header_line = p->line;
	} else if (tok_is(&t[0], "atomic")) {
		if (p->atomic_line) {
			BAD(p, "second atomic (the first is on line %zu)", p->atomic_line);
			return;
		}
		uint64_t v;
		if (nt == 2 && tok_is(&t[1], "page")) {
			r->unit = 0;
		} else if (nt == 2 && !tok_u64(&t[1], &v) && (v == 512 || v == 1024 || v == 2048 || v == 4096)) {
			r->unit = (uint32_t)v;
		} else {
			BAD(p, "bad atomic unit '%s' (want 512, 1024, 2048, 4096 or page)",
			    nt >= 2 ? show(sh, sizeof sh, t[1].s, t[1].n) : "");
			return;
		}
		p->atomic_line = p->line;
	} else if (tok_is(&t[0], "crash")) {
		dir_crash(p, t, nt);
	} else if (tok_is(&t[0], "fault")) {
		dir_fault(p, t, nt);
	} else if (tok_is(&t[0], "expect")) {
		dir_expect(p, t, nt);
	} else if (tok_is(&t[0], "disk-fault")) {
		dir_disk_fault(p, t, nt);
	} else {
		BAD(p, "unknown directive '%s' (want tornpage, atomic, crash, fault, disk-fault or expect)",
		    show(sh, sizeof sh, t[0].s, t[0].n));
	}
}

/* Is the comment text (after '#') the op log's format header? Then it is not a note. */
static int is_oplog_header(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && is_blank(s[i]))
		i++;
	if (n - i < 9 || memcmp(s + i, "tornpage", 8) || !is_blank(s[i + 8]))
		return 0;
	i += 9;
	while (i < n && is_blank(s[i]))
		i++;
	return n - i >= 5 && !memcmp(s + i, "oplog", 5) && (n - i == 5 || is_blank(s[i + 5]));
}

int repro_note_add(repro *r, const char *s, size_t n)
{
	if (n && s[0] == ' ')
		s++, n--;
	char *note = malloc(n + 1);
	char **notes = realloc(r->notes, (r->nnotes + 1) * sizeof *notes);
	if (!note || !notes) {
		free(note);
		if (notes)
			r->notes = notes;
		return -1;
	}
	r->notes = notes;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		note[i] = (c < 0x20 && c != '\t') || c == 0x7f ? '?' : (char)c;
	}
	note[n] = '\0';
	r->notes[r->nnotes++] = note;
	return 0;
}

int repro_parse(const char *name, const char *text, size_t len, repro *out, oplog_diag_fn diag, void *arg)
{
	rparser p;
	memset(out, 0, sizeof *out);
	memset(&p, 0, sizeof p);
	p.name = name ? name : "<repro>";
	p.diag = diag;
	p.arg = arg;
	p.r = out;
	int lb = oplog_parse(p.name, text, len, &out->log, diag, arg);
	if (lb < 0)
		return -1;
	p.bad = lb;
	const char *s = text, *end = text + len;
	for (p.line = 1; s < end || (s == end && p.line == 1 && len == 0); p.line++) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl ? nl : end;
		size_t n = (size_t)(e - s);
		if (n && s[n - 1] == '\r')
			n--;
		size_t i = 0;
		while (i < n && is_blank(s[i]))
			i++;
		if (n - i >= 2 && s[i] == '#' && s[i + 1] == '!')
			directive(&p, s + i + 2, n - i - 2);
		else if (i < n && s[i] == '#' && !is_oplog_header(s + i + 1, n - i - 1) &&
			 repro_note_add(p.r, s + i + 1, n - i - 1))
			p.oom = 1;
		if (p.oom)
			break;
		if (!nl)
			break;
		s = nl + 1;
	}
	if (!p.oom) {
		size_t at = p.header_line ? p.header_line : 1;
		if (!p.header_line)
			bad_at(&p, 1, "not a reproducer: no '#! tornpage repro 1' line");
		if (!p.atomic_line)
			bad_at(&p, at, "no '#! atomic 512|1024|2048|4096|page' line");
		if (!p.case_line)
			bad_at(&p, at, "no '#! crash ...' or '#! fault ...' line: a reproducer holds one case");
		if (!p.expect_ok_line && !p.expect_any_line)
			bad_at(&p, at, "no '#! expect ...' line (write '#! expect ok' when nothing should be found)");
		if (p.df_line && out->kind == REPRO_FAULT)
			bad_at(&p, p.df_line, "disk-fault: only a crash case takes a disk fault");
	}
	out->case_line = (uint32_t)(p.case_line > UINT32_MAX ? UINT32_MAX : p.case_line);
	if (p.oom || p.bad) {
		repro_free(out);
		return p.oom ? -1 : p.bad;
	}
	return 0;
}

int repro_load(const char *path, repro *out, oplog_diag_fn diag, void *arg)
{
	memset(out, 0, sizeof *out);
	FILE *f = fopen(path, "rb");
	char msg[600];
	if (!f) {
		snprintf(msg, sizeof msg, "%s: %s", path, strerror(errno));
		if (diag)
			diag(arg, msg);
		return 1;
	}
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (n == cap) {
			char *b = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
			if (!b) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = b;
			cap *= 2;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	int err = ferror(f);
	fclose(f);
	if (!buf)
		return -1;
	if (err) {
		free(buf);
		snprintf(msg, sizeof msg, "%s: read error", path);
		if (diag)
			diag(arg, msg);
		return 1;
	}
	int rc = repro_parse(path, buf, n, out, diag, arg);
	free(buf);
	return rc;
}

/* ---- printing ---- */

typedef struct sbuf {
	char *s;
	size_t n, cap;
	int oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
	if (b->oom)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int w = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
		va_end(ap);
		if (w < 0) {
			b->oom = 1;
			return;
		}
		if (b->s && (size_t)w < b->cap - b->n) {
			b->n += (size_t)w;
			return;
		}
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->n + (size_t)w + 1)
			cap *= 2;
		char *s = realloc(b->s, cap);
		if (!s) {
			b->oom = 1;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
}

void repro_op_text(const oplog *log, size_t k, char *out, size_t n)
{
	const oplog_op *op = &log->ops[k];
	const char *h = op->handle < log->nhandles ? log->handles[op->handle] : NULL;
	switch (oplog_kind_args(op->kind)) {
	case OPLOG_ARGS_LOG2:
		snprintf(out, n, "%s %" PRIu64 "%s", oplog_kind_name(op->kind), op->arg,
			 oplog_pager_format(log) == 2 ? " v2" : "");
		break;
	case OPLOG_ARGS_REGULAR_SEED:
	case OPLOG_ARGS_PROTECTED_SEED:
		snprintf(out, n, "%s %s %" PRIu64, oplog_kind_name(op->kind), h ? h : "?", op->arg);
		break;
	case OPLOG_ARGS_NONE:
		snprintf(out, n, "%s", oplog_kind_name(op->kind));
		break;
	default:
		snprintf(out, n, "%s %s", oplog_kind_name(op->kind), h ? h : "?");
		break;
	}
}

char *repro_format(const repro *r)
{
	sbuf b = {0};
	char at[16], line[200];
	sb_printf(&b, "#! tornpage repro %d\n", REPRO_FORMAT);
	for (size_t i = 0; i < r->nnotes; i++)
		sb_printf(&b, r->notes[i][0] ? "# %s\n" : "#\n", r->notes[i]);
	sb_printf(&b, "#! atomic %s\n", repro_atomic_name(r->unit, at, sizeof at));
	if (r->kind == REPRO_CRASH) {
		sb_printf(&b, "#! crash op %zu %s", r->op, crash_phase_name(r->phase));
		if (r->has_sync)
			sb_printf(&b, " %" PRIu32, r->sync);
		sb_printf(&b, " persisted ");
		if (!r->nunits)
			sb_printf(&b, "none");
		for (size_t i = 0; i < r->nunits; i++)
			sb_printf(&b, "%s%" PRIu64, i ? "," : "", r->units[i]);
		sb_printf(&b, "\n");
		if (r->df.mode != DFAULT_NONE) {
			char what[160];
			dfault_format(&r->df, what, sizeof what);
			sb_printf(&b, "#! disk-fault %s", what);
			if (r->ndev)
				sb_printf(&b, " device ");
			for (size_t i = 0; i < r->ndev; i++)
				sb_printf(&b, "%s%" PRIu64, i ? "," : "", r->dev[i]);
			sb_printf(&b, "\n");
		}
	} else if (r->kind == REPRO_FAULT) {
		const char *en = repro_errno_name(r->err);
		sb_printf(&b, "#! fault %s hit %" PRIu64 " mode %s errno %s", r->point ? r->point : "?", r->hit,
			  repro_mode_name(r->mode), en ? en : "EIO");
		if (r->lost_writes)
			sb_printf(&b, " lost-writes seed %" PRIu64, r->seed);
		if (r->dfaults) {
			char list[96];
			dfault_list_text(r->dfaults, list, sizeof list);
			sb_printf(&b, " disk-faults %s", list);
			if (!r->lost_writes)
				sb_printf(&b, " seed %" PRIu64, r->seed);
		}
		sb_printf(&b, "\n");
	}
	if (!r->expect.n)
		sb_printf(&b, "#! expect ok\n");
	for (size_t i = 0; i < r->expect.n; i++)
		sb_printf(&b, "#! expect %s\n", r->expect.s[i]);
	sb_printf(&b, "# tornpage oplog %d\n", OPLOG_FORMAT);
	for (size_t k = 0; k < r->log.nops; k++) {
		repro_op_text(&r->log, k, line, sizeof line);
		const char *mark = r->kind == REPRO_CRASH && k == r->op ? " <- crash" : "";
		sb_printf(&b, "%-24s # op %zu%s\n", line, k, mark);
	}
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

void repro_renumber(repro *r, size_t nnotes)
{
	/* header, notes, atomic, case, disk-fault, expect lines (at least "expect ok"), oplog header */
	size_t first = 1 + nnotes + 1 + 1 + (r->kind == REPRO_CRASH && r->df.mode != DFAULT_NONE) +
		       (r->expect.n ? r->expect.n : 1) + 1 + 1;
	for (size_t k = 0; k < r->log.nops; k++) {
		size_t line = first + k;
		r->log.ops[k].line = line > UINT32_MAX ? UINT32_MAX : (uint32_t)line;
	}
}
