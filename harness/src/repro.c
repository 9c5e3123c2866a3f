/* repro.c — reproducer files: parse, print, replay (the story), signatures, save.
 *
 * Method: a reproducer is an op log (format 1) in which some whole-line comments are
 * directives, "#!" then words. The log parser sees them as comments, so the file is a
 * valid op log too; this parser reads the same text twice: once with oplog_parse for
 * the ops (its diagnostics pass through), once line by line for directives and notes.
 * Replaying a crash case is crash_one_locate + crash_one_judge (crash_one.c): the image
 * is the disk at the crash point plus the cache bytes of the persisted units, judged
 * with the models crash_run uses there. Replaying a fault case is fault_replay() below,
 * the only place that knows the fault matrix. docs/repro.md is the reference. */
#define _POSIX_C_SOURCE 200809L
#include "repro.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pager.h"
#include "replay.h"
#include "simdisk.h"
#include "subsets.h"
#include "verdicts.h"

/* ---- string sets ---- */

static size_t strset_pos(const repro_strset *set, const char *s, int *hit)
{
	size_t lo = 0, hi = set->n;
	*hit = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(set->s[mid], s);
		if (c == 0) {
			*hit = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int repro_strset_add(repro_strset *set, const char *s)
{
	int hit;
	size_t at = strset_pos(set, s, &hit);
	if (hit)
		return 0;
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 8;
		char **p = realloc(set->s, cap * sizeof *p);
		if (!p)
			return -1;
		set->s = p;
		set->cap = cap;
	}
	char *copy = strdup(s);
	if (!copy)
		return -1;
	memmove(set->s + at + 1, set->s + at, (set->n - at) * sizeof *set->s);
	set->s[at] = copy;
	set->n++;
	return 0;
}

int repro_strset_has(const repro_strset *set, const char *s)
{
	int hit;
	strset_pos(set, s, &hit);
	return hit;
}

int repro_strset_equal(const repro_strset *a, const repro_strset *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->s[i], b->s[i]))
			return 0;
	return 1;
}

void repro_strset_free(repro_strset *set)
{
	for (size_t i = 0; i < set->n; i++)
		free(set->s[i]);
	free(set->s);
	memset(set, 0, sizeof *set);
}

/* ---- small tables ---- */

static const struct {
	const char *name;
	int value;
} errnos[] = {
	{"EIO", EIO},       {"ENOSPC", ENOSPC}, {"ENOMEM", ENOMEM}, {"EROFS", EROFS},
	{"EFBIG", EFBIG},   {"EDQUOT", EDQUOT}, {"EACCES", EACCES}, {"EPERM", EPERM},
	{"EBUSY", EBUSY},   {"EINVAL", EINVAL}, {"EAGAIN", EAGAIN}, {"EINTR", EINTR},
	{"ENXIO", ENXIO},   {"ENODEV", ENODEV}, {"EBADF", EBADF},   {"ENFILE", ENFILE},
	{"EMFILE", EMFILE},
};

const char *repro_errno_name(int err)
{
	for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
		if (errnos[i].value == err)
			return errnos[i].name;
	return NULL;
}

int repro_errno_value(const char *name)
{
	for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
		if (!strcmp(errnos[i].name, name))
			return errnos[i].value;
	return 0;
}

const char *repro_mode_name(repro_mode m)
{
	return m == REPRO_PERSIST ? "persist" : m == REPRO_ONCE ? "once" : "?";
}

static const char *atomic_name(uint32_t unit, char *buf, size_t n)
{
	if (!unit)
		return "page";
	snprintf(buf, n, "%" PRIu32, unit);
	return buf;
}

/* ---- signatures ---- */

int repro_signature(char *out, size_t n, const char *verdict, const char *step, crash_phase phase,
		    oplog_kind kind, uint32_t unit_bytes, size_t page_size)
{
	char at[16];
	if (unit_bytes == 0 || unit_bytes == page_size)
		snprintf(at, sizeof at, "page");
	else
		snprintf(at, sizeof at, "%" PRIu32, unit_bytes);
	int w = snprintf(out, n, "%s@%s:%s:%s:%s", verdict, step ? step : "-", crash_phase_name(phase),
			 oplog_kind_name(kind), at);
	return w < 0 || (size_t)w >= n ? -1 : 0;
}

int repro_finding_signature(char *out, size_t n, const oplog *log, const crash_finding *f)
{
	if (f->at.op >= log->nops)
		return -1;
	return repro_signature(out, n, f->verdict, f->at.phase == CRASH_END_OF_OP ? NULL : f->at.step,
			       f->at.phase, log->ops[f->at.op].kind, f->unit_bytes, f->page_size);
}

int repro_fault_signature(char *out, size_t n, const char *verdict, const char *point, repro_mode mode,
			  oplog_kind kind)
{
	int w = snprintf(out, n, "%s@%s:%s:%s", verdict, point, repro_mode_name(mode), oplog_kind_name(kind));
	return w < 0 || (size_t)w >= n ? -1 : 0;
}

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

static int unit_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
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
	"want 'fault POINT hit N mode once|persist errno NAME [lost-writes seed S]'";

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
		qsort(r->units, r->nunits, sizeof *r->units, unit_cmp);
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
	if (n > 8) {
		if (!tok_is(&t[8], "lost-writes") || n != 11 || !tok_is(&t[9], "seed") || tok_u64(&t[10], &v)) {
			BAD(p, "fault: after the errno, want nothing or 'lost-writes seed S'");
			return;
		}
		r->lost_writes = 1;
		r->seed = v;
	}
	if (!(r->point = strdup(point))) {
		p->oom = 1;
		return;
	}
	r->kind = REPRO_FAULT;
	p->case_line = p->line;
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
	} else {
		BAD(p, "unknown directive '%s' (want tornpage, atomic, crash, fault or expect)", show(sh, sizeof sh, t[0].s, t[0].n));
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

static int add_note(rparser *p, const char *s, size_t n)
{
	repro *r = p->r;
	if (n && s[0] == ' ')
		s++, n--;
	char *note = malloc(n + 1);
	char **notes = realloc(r->notes, (r->nnotes + 1) * sizeof *notes);
	if (!note || !notes) {
		free(note);
		if (notes)
			r->notes = notes;
		p->oom = 1;
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
		else if (i < n && s[i] == '#' && !is_oplog_header(s + i + 1, n - i - 1))
			add_note(&p, s + i + 1, n - i - 1);
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

static void op_text(const oplog *log, size_t k, char *out, size_t n)
{
	const oplog_op *op = &log->ops[k];
	const char *h = op->handle < log->nhandles ? log->handles[op->handle] : NULL;
	switch (oplog_kind_args(op->kind)) {
	case OPLOG_ARGS_LOG2:
		snprintf(out, n, "%s %" PRIu64, oplog_kind_name(op->kind), op->arg);
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
	sb_printf(&b, "#! atomic %s\n", atomic_name(r->unit, at, sizeof at));
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
	} else if (r->kind == REPRO_FAULT) {
		const char *en = repro_errno_name(r->err);
		sb_printf(&b, "#! fault %s hit %" PRIu64 " mode %s errno %s", r->point ? r->point : "?", r->hit,
			  repro_mode_name(r->mode), en ? en : "EIO");
		if (r->lost_writes)
			sb_printf(&b, " lost-writes seed %" PRIu64, r->seed);
		sb_printf(&b, "\n");
	}
	if (!r->expect.n)
		sb_printf(&b, "#! expect ok\n");
	for (size_t i = 0; i < r->expect.n; i++)
		sb_printf(&b, "#! expect %s\n", r->expect.s[i]);
	sb_printf(&b, "# tornpage oplog %d\n", OPLOG_FORMAT);
	for (size_t k = 0; k < r->log.nops; k++) {
		op_text(&r->log, k, line, sizeof line);
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
	/* header, notes, atomic, case, expect lines (at least "expect ok"), oplog header */
	size_t first = 1 + nnotes + 1 + 1 + (r->expect.n ? r->expect.n : 1) + 1 + 1;
	for (size_t k = 0; k < r->log.nops; k++) {
		size_t line = first + k;
		r->log.ops[k].line = line > UINT32_MAX ? UINT32_MAX : (uint32_t)line;
	}
}

/* ---- copies and equality ---- */

int repro_copy_log(oplog *dst, const oplog *src)
{
	memset(dst, 0, sizeof *dst);
	char *text = oplog_format(src);
	if (!text)
		return -1;
	int rc = oplog_parse("<copy>", text, strlen(text), dst, NULL, NULL);
	free(text);
	return rc ? -1 : 0;
}

int repro_copy(repro *dst, const repro *src)
{
	memset(dst, 0, sizeof *dst);
	*dst = *src;
	dst->log = (oplog){0};
	dst->notes = NULL;
	dst->nnotes = 0;
	dst->units = NULL;
	dst->point = NULL;
	dst->expect = (repro_strset){0};
	if (repro_copy_log(&dst->log, &src->log))
		goto fail;
	if (src->nnotes && !(dst->notes = calloc(src->nnotes, sizeof *dst->notes)))
		goto fail;
	for (; dst->nnotes < src->nnotes; dst->nnotes++)
		if (!(dst->notes[dst->nnotes] = strdup(src->notes[dst->nnotes])))
			goto fail;
	if (src->nunits) {
		if (!(dst->units = malloc(src->nunits * sizeof *dst->units)))
			goto fail;
		memcpy(dst->units, src->units, src->nunits * sizeof *dst->units);
	}
	if (src->point && !(dst->point = strdup(src->point)))
		goto fail;
	for (size_t i = 0; i < src->expect.n; i++)
		if (repro_strset_add(&dst->expect, src->expect.s[i]))
			goto fail;
	return 0;
fail:
	repro_free(dst);
	return -1;
}

static int log_equal(const oplog *a, const oplog *b)
{
	if (a->nops != b->nops || a->page_log2 != b->page_log2)
		return 0;
	for (size_t k = 0; k < a->nops; k++) {
		const oplog_op *x = &a->ops[k], *y = &b->ops[k];
		if (x->kind != y->kind || x->arg != y->arg)
			return 0;
		int hx = x->handle < a->nhandles, hy = y->handle < b->nhandles;
		if (hx != hy || (hx && strcmp(a->handles[x->handle], b->handles[y->handle])))
			return 0;
	}
	return 1;
}

int repro_equal(const repro *a, const repro *b)
{
	if (!log_equal(&a->log, &b->log) || a->nnotes != b->nnotes || a->unit != b->unit || a->kind != b->kind ||
	    !repro_strset_equal(&a->expect, &b->expect))
		return 0;
	for (size_t i = 0; i < a->nnotes; i++)
		if (strcmp(a->notes[i], b->notes[i]))
			return 0;
	if (a->kind == REPRO_CRASH) {
		if (a->op != b->op || a->phase != b->phase || a->has_sync != b->has_sync ||
		    (a->has_sync && a->sync != b->sync) || a->nunits != b->nunits)
			return 0;
		for (size_t i = 0; i < a->nunits; i++)
			if (a->units[i] != b->units[i])
				return 0;
	} else if (a->kind == REPRO_FAULT) {
		if (strcmp(a->point ? a->point : "", b->point ? b->point : "") || a->hit != b->hit || a->mode != b->mode ||
		    a->err != b->err || a->lost_writes != b->lost_writes || a->seed != b->seed)
			return 0;
	}
	return 1;
}

void repro_free(repro *r)
{
	oplog_free(&r->log);
	for (size_t i = 0; i < r->nnotes; i++)
		free(r->notes[i]);
	free(r->notes);
	free(r->units);
	free(r->point);
	repro_strset_free(&r->expect);
	memset(r, 0, sizeof *r);
}

/* ---- replay ---- */

typedef struct collector {
	repro_result *res;
	size_t op;
	int oom;
} collector;

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

static void add_verdict(collector *c, const char *id, size_t op, const char *expected, const char *found)
{
	repro_result *res = c->res;
	repro_verdict *v = realloc(res->v, (res->nv + 1) * sizeof *v);
	if (!v) {
		c->oom = 1;
		return;
	}
	res->v = v;
	repro_verdict *x = &v[res->nv];
	x->id = dup_or_empty(id);
	x->expected = dup_or_empty(expected);
	x->found = dup_or_empty(found);
	x->op = op;
	if (!x->id || !x->expected || !x->found) {
		free(x->id);
		free(x->expected);
		free(x->found);
		c->oom = 1;
		return;
	}
	res->nv++;
	if (repro_strset_add(&res->found, id))
		c->oom = 1;
}

static void on_crash_verdict(void *arg, const char *verdict, const char *expected, const char *found)
{
	collector *c = arg;
	add_verdict(c, verdict, c->op, expected, found);
}

static void print_ids(FILE *f, const repro_strset *set)
{
	if (!set->n)
		fprintf(f, " ok");
	for (size_t i = 0; i < set->n; i++)
		fprintf(f, " %s", set->s[i]);
	fprintf(f, "\n");
}

static int has_unit(const repro *r, uint64_t u)
{
	return r->nunits && bsearch(&u, r->units, r->nunits, sizeof *r->units, unit_cmp) != NULL;
}

/* One page's units as runs: "0-3" clean, "4*" dirty and not persisted, "[5]" persisted,
 * "(6)" listed as persisted but clean (no effect). */
static void print_page_units(FILE *f, const crash_one *c, const repro *r, uint64_t page)
{
	uint64_t first = page * c->ps / c->unit, last = ((page + 1) * c->ps - 1) / c->unit;
	uint64_t nunits = (c->len + c->unit - 1) / c->unit;
	if (last >= nunits)
		last = nunits - 1;
	uint64_t u = first;
	while (u <= last) {
		int persisted = has_unit(r, u);
		int dirty = crash_one_dirty(c, u);
		int st = persisted ? (dirty ? 2 : 3) : dirty;
		uint64_t v = u;
		while (v + 1 <= last) {
			uint64_t w = v + 1;
			int p2 = has_unit(r, w);
			int d2 = crash_one_dirty(c, w);
			if ((p2 ? (d2 ? 2 : 3) : d2) != st)
				break;
			v = w;
		}
		char run[64];
		if (u == v)
			snprintf(run, sizeof run, "%" PRIu64, u);
		else
			snprintf(run, sizeof run, "%" PRIu64 "-%" PRIu64, u, v);
		fprintf(f, st == 0 ? " %s" : st == 1 ? " %s*" : st == 2 ? " [%s]" : " (%s)", run);
		u = v + 1;
	}
}

static void crash_story(FILE *f, const repro *r, const crash_one *c, const repro_result *res)
{
	char line[200], at[16];
	fprintf(f, "crash: op %zu, %s", r->op, crash_phase_name(r->phase));
	if (r->phase != CRASH_END_OF_OP)
		fprintf(f, " #%" PRIu32 " %s", c->sync, c->step ? c->step : "?");
	fprintf(f, ", atomic %s (%" PRIu32 "-byte units, %zu-byte pages)\n", atomic_name(r->unit, at, sizeof at),
		c->unit, c->ps);
	fprintf(f, "ops:\n");
	for (size_t k = 0; k <= r->op && k < r->log.nops; k++) {
		op_text(&r->log, k, line, sizeof line);
		fprintf(f, "  %s %4zu  line %-4" PRIu32 " %s\n", k == r->op ? ">" : " ", k, r->log.ops[k].line, line);
	}
	if (r->op + 1 < r->log.nops)
		fprintf(f, "  (%zu later op(s) never run: the power failed first)\n", r->log.nops - r->op - 1);
	fprintf(f, "syncs (run-wide index, step, byte range, units written, op):\n");
	if (!c->nevents)
		fprintf(f, "  none\n");
	for (size_t i = 0; i < c->nevents; i++) {
		const simdisk_event *e = &c->events[i];
		size_t op = 0;
		while (op < r->op && c->op_sync0[op + 1] <= e->index)
			op++;
		int here = r->phase != CRASH_END_OF_OP && e->index == c->sync;
		fprintf(f, "  %s #%-3" PRIu32 " %-28s bytes %" PRIu64 "..%" PRIu64 " ", here ? ">" : " ", e->index,
			e->step ? e->step : "?", e->off, e->off + e->len);
		if (here && r->phase == CRASH_BEFORE_SYNC)
			fprintf(f, "(power fails before it completes)");
		else
			fprintf(f, "%" PRIu32 " unit(s)%s", e->units_written, here ? " (power fails right after it)" : "");
		fprintf(f, "  op %zu\n", op);
	}
	if (r->phase == CRASH_END_OF_OP)
		fprintf(f, "  > power fails at the end of op %zu\n", r->op);
	fprintf(f, "units at the crash ([n] persisted, n* dirty but lost, n clean, (n) listed but clean):\n");
	int any = 0;
	for (uint64_t page = 0; page < c->npages; page++) {
		uint64_t first = page * c->ps / c->unit, last = ((page + 1) * c->ps - 1) / c->unit;
		int show_page = 0;
		for (uint64_t u = first; u <= last && !show_page; u++)
			show_page = crash_one_dirty(c, u) || has_unit(r, u);
		if (!show_page)
			continue;
		any = 1;
		fprintf(f, "  page %" PRIu64 " (%s):", page, pager_role_name((pager_role)c->roles[page]));
		print_page_units(f, c, r, page);
		fprintf(f, "\n");
	}
	if (!any)
		fprintf(f, "  no dirty unit: the image is the disk as it is\n");
	for (size_t i = 0; i < r->nunits; i++)
		if (r->units[i] >= (c->len + c->unit - 1) / c->unit)
			fprintf(f, "  unit %" PRIu64 " is past the end of the file\n", r->units[i]);
	(void)res;
}

static void verdict_story(FILE *f, const repro *r, const repro_result *res)
{
	fprintf(f, "verdicts:\n");
	if (!res->reached)
		fprintf(f, "  (not reached: %s)\n", res->why);
	else if (!res->nv)
		fprintf(f, "  none: the image recovers as the model says\n");
	for (size_t i = 0; i < res->nv; i++) {
		const repro_verdict *v = &res->v[i];
		fprintf(f, "  %-16s expected: %s\n  %-16s found:    %s\n", v->id, v->expected, "", v->found);
	}
	fprintf(f, "expect:");
	print_ids(f, &r->expect);
	fprintf(f, "found: ");
	if (res->reached)
		print_ids(f, &res->found);
	else
		fprintf(f, " (nothing: the case was not reached)\n");
	fprintf(f, "RESULT: %s\n", res->status == REPRO_SAME ? "reproduced (found = expect)"
				   : res->status == REPRO_CANNOT ? "cannot run here"
								  : "DIFFERS from expect");
}

static int crash_run_one(const repro *r, repro_result *res, FILE *story)
{
	crash_one c;
	int rc = crash_one_locate(&c, &r->log, r->unit, r->op, r->phase, r->has_sync ? r->sync : 0, 0, res->why,
				  sizeof res->why);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		res->status = REPRO_DIFFERS;
		if (story)
			verdict_story(story, r, res);
		return 0;
	}
	res->step = c.step;
	res->sync = c.sync;
	if (r->phase == CRASH_END_OF_OP && r->has_sync && c.sync != r->sync) {
		snprintf(res->why, sizeof res->why, "the end of op %zu comes after %" PRIu32 " syncs, not %" PRIu32, r->op,
			 c.sync, r->sync);
		res->status = REPRO_DIFFERS;
		if (story)
			verdict_story(story, r, res);
		crash_one_free(&c);
		return 0;
	}
	collector col = {res, r->op, 0};
	int j = crash_one_judge(&c, r->units, r->nunits, on_crash_verdict, &col);
	if (j == -1 || col.oom) {
		crash_one_free(&c);
		return -1;
	}
	if (j == -2) {
		uint64_t nunits = (c.len + c.unit - 1) / c.unit;
		snprintf(res->why, sizeof res->why, "a persisted unit is past the end of the file (%" PRIu64 " units of %" PRIu32
			 " bytes at the crash point)", nunits, c.unit);
	} else {
		res->reached = 1;
	}
	if (res->reached) {
		char sig[REPRO_SIG_MAX];
		oplog_kind kind = r->log.ops[r->op].kind;
		for (size_t i = 0; i < r->expect.n; i++)
			if (!repro_signature(sig, sizeof sig, r->expect.s[i], c.step, r->phase, kind, c.unit, c.ps) &&
			    repro_strset_add(&res->sigs, sig))
				rc = -1;
		for (size_t i = 0; i < res->found.n; i++)
			if (!repro_signature(sig, sizeof sig, res->found.s[i], c.step, r->phase, kind, c.unit, c.ps) &&
			    repro_strset_add(&res->found_sigs, sig))
				rc = -1;
	}
	res->status = res->reached && repro_strset_equal(&res->found, &r->expect) ? REPRO_SAME : REPRO_DIFFERS;
	if (story) {
		crash_story(story, r, &c, res);
		verdict_story(story, r, res);
	}
	crash_one_free(&c);
	return rc;
}

/* ---- where a fault fires: a counting I/O layer ---- */

typedef struct counting_io {
	pager_io io;            /* the wrapper (ctx = this) */
	const pager_io *inner;  /* simdisk */
	const pager_fault_point *pts;
	size_t npts;
	uint64_t *hits;         /* per point */
} counting_io;

static void count_step(counting_io *c, const char *step)
{
	for (size_t i = 0; i < c->npts; i++) {
		if (c->pts[i].name == step || !strcmp(c->pts[i].name, step)) {
			c->hits[i]++;
			return;
		}
	}
}

static int cx_open(void *ctx, const char *step, const char *path, int create, void **file)
{
	counting_io *c = ctx;
	count_step(c, step);
	return c->inner->open(c->inner->ctx, step, path, create, file);
}
static int cx_size(void *ctx, const char *step, void *file, uint64_t *len)
{
	counting_io *c = ctx;
	count_step(c, step);
	return c->inner->size(c->inner->ctx, step, file, len);
}
static int cx_set_len(void *ctx, const char *step, void *file, uint64_t len)
{
	counting_io *c = ctx;
	count_step(c, step);
	return c->inner->set_len(c->inner->ctx, step, file, len);
}
static int cx_map(void *ctx, const char *step, void *file, uint64_t len, uint8_t **addr)
{
	counting_io *c = ctx;
	count_step(c, step);
	return c->inner->map(c->inner->ctx, step, file, len, addr);
}
static int cx_unmap(void *ctx, const char *step, void *file, uint8_t *addr, uint64_t len)
{
	counting_io *c = ctx;
	count_step(c, step);
	return c->inner->unmap(c->inner->ctx, step, file, addr, len);
}
static int cx_sync(void *ctx, const char *step, void *file, uint8_t *addr, uint64_t off, uint64_t len)
{
	counting_io *c = ctx;
	count_step(c, step);
	return c->inner->sync(c->inner->ctx, step, file, addr, off, len);
}
static int cx_close(void *ctx, const char *step, void *file)
{
	counting_io *c = ctx;
	count_step(c, step);
	return c->inner->close(c->inner->ctx, step, file);
}

int repro_fault_counts_of(const oplog *log, repro_fault_counts *fc, char *msg, size_t msglen)
{
	memset(fc, 0, sizeof *fc);
	counting_io c;
	memset(&c, 0, sizeof c);
	c.pts = pager_fault_points(&c.npts);
	simdisk *d = simdisk_new(SIMDISK_MIN_UNIT);
	replay r;
	model m;
	int rc = -1, have_r = 0;
	memset(&m, 0, sizeof m);
	fc->nops = log->nops;
	fc->npoints = c.npts;
	fc->prefix = calloc((log->nops + 1) * c.npts, sizeof *fc->prefix);
	if (!d || !fc->prefix)
		goto done;
	c.inner = simdisk_io(d);
	c.io = *c.inner;
	c.io.ctx = &c;
	c.io.open = cx_open;
	c.io.size = cx_size;
	c.io.set_len = cx_set_len;
	c.io.map = cx_map;
	c.io.unmap = cx_unmap;
	c.io.sync = cx_sync;
	c.io.close = cx_close;
	c.io.faulted = NULL;
	if (replay_init(&r, log, &c.io, "fault.db"))
		goto done;
	have_r = 1;
	if (model_init(&m, log))
		goto done;
	rc = 0;
	for (size_t k = 0; k < log->nops && !rc; k++) {
		c.hits = fc->prefix + (k + 1) * c.npts;
		memcpy(c.hits, fc->prefix + k * c.npts, c.npts * sizeof *c.hits);
		rc = replay_step(&r, &m, k, NULL, msg, msglen);
	}
done:
	if (rc < 0 && msglen)
		snprintf(msg, msglen, "out of memory");
	model_free(&m);
	if (have_r)
		replay_free(&r);
	simdisk_free(d);
	if (rc)
		repro_fault_counts_free(fc);
	return rc;
}

int repro_fault_op(const repro_fault_counts *fc, const char *point, uint64_t hit, size_t *op)
{
	size_t n;
	const pager_fault_point *pts = pager_fault_points(&n);
	size_t pt = 0;
	while (pt < n && pt < fc->npoints && strcmp(pts[pt].name, point))
		pt++;
	if (pt >= n || pt >= fc->npoints || !fc->prefix || hit == 0)
		return 1;
	for (size_t k = 0; k < fc->nops; k++) {
		if (fc->prefix[(k + 1) * fc->npoints + pt] >= hit) {
			*op = k;
			return 0;
		}
	}
	return 1;
}

void repro_fault_counts_free(repro_fault_counts *fc)
{
	free(fc->prefix);
	memset(fc, 0, sizeof *fc);
}

/* ---- replaying a fault case: the fault matrix's single-case runner ---- */

static void on_fault_verdict(void *arg, const char *verdict, size_t op, const char *expected, const char *found)
{
	add_verdict(arg, verdict, op, expected, found);
}

static int fault_replay(const repro *r, repro_result *res, FILE *story)
{
	repro_fault_counts fc;
	char line[200], msg[512];
	size_t op = 0;
	int rc = 0;
	if (!matrix_available()) {
		snprintf(res->why, sizeof res->why, "fault reproducers need libfiu (this build has TORNPAGE_FIU=OFF)");
		res->status = REPRO_CANNOT;
		goto story;
	}
	int c = repro_fault_counts_of(&r->log, &fc, msg, sizeof msg);
	if (c) {
		if (c < 0)
			return -1;
		snprintf(res->why, sizeof res->why, "%s", msg);
		res->status = REPRO_DIFFERS;
		goto story;
	}
	int where = repro_fault_op(&fc, r->point, r->hit, &op);
	repro_fault_counts_free(&fc);
	if (where) {
		snprintf(res->why, sizeof res->why, "%s is reached fewer than %" PRIu64 " times in this log", r->point, r->hit);
		res->status = REPRO_DIFFERS;
		goto story;
	}
	matrix_cfg cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.unit = r->unit;
	matrix_case mc = {r->point, r->hit, r->mode == REPRO_PERSIST ? MATRIX_PERSIST : MATRIX_ONCE, r->err, r->lost_writes,
			  r->seed};
	collector col = {res, op, 0};
	int n = matrix_run_case_ex(&r->log, &cfg, &mc, on_fault_verdict, &col, msg, sizeof msg);
	if (col.oom)
		return -1;
	if (n < 0) {
		snprintf(res->why, sizeof res->why, "%s", msg);
		res->status = REPRO_DIFFERS;
		goto story;
	}
	res->reached = 1;
	char sig[REPRO_SIG_MAX];
	oplog_kind kind = r->log.ops[op].kind;
	for (size_t i = 0; i < r->expect.n; i++)
		if (!repro_fault_signature(sig, sizeof sig, r->expect.s[i], r->point, r->mode, kind) &&
		    repro_strset_add(&res->sigs, sig))
			rc = -1;
	for (size_t i = 0; i < res->found.n; i++)
		if (!repro_fault_signature(sig, sizeof sig, res->found.s[i], r->point, r->mode, kind) &&
		    repro_strset_add(&res->found_sigs, sig))
			rc = -1;
	res->status = repro_strset_equal(&res->found, &r->expect) ? REPRO_SAME : REPRO_DIFFERS;
story:
	if (story) {
		const char *en = repro_errno_name(r->err);
		fprintf(story, "fault: %s fails at its hit %" PRIu64 ", mode %s, errno %s", r->point, r->hit,
			repro_mode_name(r->mode), en ? en : "?");
		if (r->lost_writes)
			fprintf(story, ", lost writes (seed %" PRIu64 ")", r->seed);
		fprintf(story, "\n");
		if (res->reached || res->status != REPRO_CANNOT) {
			fprintf(story, "ops (> the op the fault fires in; the matrix runs the rest of the log after it):\n");
			size_t last = res->reached ? op : r->log.nops - 1;
			for (size_t v = 0; v < res->nv; v++)
				if (res->v[v].op > last && res->v[v].op < r->log.nops)
					last = res->v[v].op;
			for (size_t k = 0; k <= last && k < r->log.nops; k++) {
				op_text(&r->log, k, line, sizeof line);
				fprintf(story, "  %s %4zu  line %-4" PRIu32 " %s\n", res->reached && k == op ? ">" : " ", k,
					r->log.ops[k].line, line);
			}
			if (last + 1 < r->log.nops)
				fprintf(story, "  (%zu later op(s) not shown)\n", r->log.nops - last - 1);
		}
		fprintf(story, "verdicts:\n");
		if (!res->reached)
			fprintf(story, "  (not reached: %s)\n", res->why);
		else if (!res->nv)
			fprintf(story, "  none: the pager failed cleanly and the file recovers\n");
		for (size_t i = 0; i < res->nv; i++) {
			const repro_verdict *v = &res->v[i];
			fprintf(story, "  %-16s at op %zu\n  %-16s expected: %s\n  %-16s found:    %s\n", v->id, v->op, "",
				v->expected, "", v->found);
		}
		fprintf(story, "expect:");
		print_ids(story, &r->expect);
		fprintf(story, "found: ");
		if (res->reached)
			print_ids(story, &res->found);
		else
			fprintf(story, " (nothing: the case was not reached)\n");
		fprintf(story, "RESULT: %s\n", res->status == REPRO_SAME ? "reproduced (found = expect)"
					     : res->status == REPRO_CANNOT ? "cannot run here"
									    : "DIFFERS from expect");
	}
	return rc;
}

int repro_run(const repro *r, repro_result *res, FILE *story)
{
	memset(res, 0, sizeof *res);
	int rc;
	if (r->kind == REPRO_CRASH)
		rc = crash_run_one(r, res, story);
	else if (r->kind == REPRO_FAULT)
		rc = fault_replay(r, res, story);
	else {
		snprintf(res->why, sizeof res->why, "no case");
		res->status = REPRO_CANNOT;
		rc = 0;
	}
	return rc;
}

void repro_result_free(repro_result *res)
{
	for (size_t i = 0; i < res->nv; i++) {
		free(res->v[i].id);
		free(res->v[i].expected);
		free(res->v[i].found);
	}
	free(res->v);
	repro_strset_free(&res->found);
	repro_strset_free(&res->sigs);
	repro_strset_free(&res->found_sigs);
	memset(res, 0, sizeof *res);
}

int repro_signatures(const repro *r, repro_strset *set)
{
	repro_result res;
	if (repro_run(r, &res, NULL)) {
		repro_result_free(&res);
		return -1;
	}
	int rc = res.reached ? 0 : 1;
	for (size_t i = 0; i < res.sigs.n && rc == 0; i++)
		if (repro_strset_add(set, res.sigs.s[i]))
			rc = -1;
	repro_result_free(&res);
	return rc;
}

/* ---- building and saving ---- */

void repro_crash_summary(char *out, size_t n, const char *verdicts, const char *step, crash_phase phase,
			 oplog_kind kind, uint32_t unit, size_t ps)
{
	char at[32];
	if (unit == 0 || unit == ps)
		snprintf(at, sizeof at, "whole-page writes");
	else
		snprintf(at, sizeof at, "%" PRIu32 "-byte atomic units", unit);
	if (phase == CRASH_END_OF_OP)
		snprintf(out, n, "%s: power fails at the end of a %s, %s", verdicts, oplog_kind_name(kind), at);
	else
		snprintf(out, n, "%s: power fails %s %s in a %s, %s", verdicts,
			 phase == CRASH_BEFORE_SYNC ? "before" : "right after", step ? step : "?", oplog_kind_name(kind), at);
}

int repro_from_finding(repro *out, const oplog *log, const crash_finding *f, uint32_t cfg_unit, const char *how,
		       char *msg, size_t msglen)
{
	repro *r = out;
	repro_result res;
	char note[600], what[200];
	int rc = -1;
	memset(r, 0, sizeof *r);
	memset(&res, 0, sizeof res);
	if (f->at.op >= log->nops) {
		snprintf(msg, msglen, "finding at op %zu of a %zu-op log", f->at.op, log->nops);
		return 1;
	}
	if (repro_copy_log(&r->log, log))
		goto done;
	r->kind = REPRO_CRASH;
	r->unit = cfg_unit;
	r->op = f->at.op;
	r->phase = f->at.phase;
	r->sync = f->at.sync;
	r->has_sync = 1;
	if (f->nunits && !(r->units = malloc(f->nunits * sizeof *r->units)))
		goto done;
	for (size_t i = 0; i < f->nunits; i++)
		r->units[r->nunits++] = f->units[i];
	if (r->nunits)
		qsort(r->units, r->nunits, sizeof *r->units, unit_cmp);
	/* The expect set is what this image gives: replay it with an empty expect. */
	if (repro_run(r, &res, NULL))
		goto done;
	if (!res.reached || !repro_strset_has(&res.found, f->verdict)) {
		snprintf(msg, msglen, "replaying the finding's first image does not show %s (%s)", f->verdict,
			 res.reached ? "other verdicts" : res.why);
		rc = 1;
		goto done;
	}
	for (size_t i = 0; i < res.found.n; i++)
		if (repro_strset_add(&r->expect, res.found.s[i]))
			goto done;
	/* Again, with the ops numbered as the file will hold them: the verdicts' texts name lines. */
	repro_renumber(r, 1 + (how != NULL) + res.nv);
	repro_result_free(&res);
	if (repro_run(r, &res, NULL))
		goto done;
	/* Notes: the summary line, where it came from, what each verdict saw. */
	char ids[200] = "";
	for (size_t i = 0; i < r->expect.n; i++) {
		size_t l = strlen(ids);
		snprintf(ids + l, sizeof ids - l, "%s%s", i ? " " : "", r->expect.s[i]);
	}
	repro_crash_summary(note, sizeof note, ids, res.step, r->phase, log->ops[r->op].kind, r->unit,
			    (size_t)1 << log->page_log2);
	if (add_note(&(rparser){.r = r}, note, strlen(note)))
		goto done;
	replay_describe(log, r->op, what, sizeof what);
	if (how) {
		snprintf(note, sizeof note, "from: %s, %s", how, what);
		if (add_note(&(rparser){.r = r}, note, strlen(note)))
			goto done;
	}
	for (size_t i = 0; i < res.nv; i++) {
		snprintf(note, sizeof note, "verdict %s: expected %s; found %s", res.v[i].id, res.v[i].expected,
			 res.v[i].found);
		if (add_note(&(rparser){.r = r}, note, strlen(note)))
			goto done;
	}
	rc = 0;
done:
	if (rc < 0 && msglen)
		snprintf(msg, msglen, "out of memory");
	if (rc)
		repro_free(r);
	repro_result_free(&res);
	return rc;
}

/* 1 if the file at path holds exactly text (n bytes), 0 if it differs, -1 if absent. */
static int same_file(const char *path, const char *text, size_t n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	int same = 1;
	char buf[4096];
	size_t off = 0, got;
	while (same && (got = fread(buf, 1, sizeof buf, f)) > 0) {
		if (off + got > n || memcmp(buf, text + off, got))
			same = 0;
		off += got;
	}
	if (ferror(f) || off != n)
		same = 0;
	fclose(f);
	return same;
}

int repro_from_fault_case(repro *out, const oplog *log, const matrix_case *c, uint32_t cfg_unit, const char *must,
			  const char *how, char *msg, size_t msglen)
{
	repro *r = out;
	repro_result res;
	char note[800], what[200];
	int rc = -1;
	memset(r, 0, sizeof *r);
	memset(&res, 0, sizeof res);
	if (repro_copy_log(&r->log, log))
		goto done;
	r->kind = REPRO_FAULT;
	r->unit = cfg_unit;
	if (!(r->point = strdup(c->point ? c->point : "")))
		goto done;
	r->hit = c->hit;
	r->mode = c->mode == MATRIX_PERSIST ? REPRO_PERSIST : REPRO_ONCE;
	r->err = c->err;
	r->lost_writes = c->lost_writes;
	r->seed = c->lost_writes ? c->seed : 0;
	if (!repro_errno_name(r->err)) {
		snprintf(msg, msglen, "errno %d has no name in the reproducer format", r->err);
		rc = 1;
		goto done;
	}
	if (repro_run(r, &res, NULL))
		goto done;
	if (!res.reached || (must && !repro_strset_has(&res.found, must))) {
		snprintf(msg, msglen, "replaying the case alone does not show %s (%s)", must ? must : "it",
			 res.reached ? "other verdicts" : res.why);
		rc = 1;
		goto done;
	}
	for (size_t i = 0; i < res.found.n; i++)
		if (repro_strset_add(&r->expect, res.found.s[i]))
			goto done;
	repro_renumber(r, 1 + (how != NULL) + res.nv);
	repro_result_free(&res);
	if (repro_run(r, &res, NULL))
		goto done;
	char ids[200] = "";
	for (size_t i = 0; i < r->expect.n; i++) {
		size_t l = strlen(ids);
		snprintf(ids + l, sizeof ids - l, "%s%s", i ? " " : "", r->expect.s[i]);
	}
	repro_fault_counts fc;
	size_t op = 0;
	if (repro_fault_counts_of(log, &fc, what, sizeof what) == 0) {
		repro_fault_op(&fc, r->point, r->hit, &op);
		repro_fault_counts_free(&fc);
	}
	snprintf(note, sizeof note, "%s: %s fails (%s, %s) in a %s", ids[0] ? ids : "ok", r->point,
		 repro_mode_name(r->mode), repro_errno_name(r->err), oplog_kind_name(log->ops[op].kind));
	if (add_note(&(rparser){.r = r}, note, strlen(note)))
		goto done;
	replay_describe(log, op, what, sizeof what);
	if (how) {
		snprintf(note, sizeof note, "from: %s, %s", how, what);
		if (add_note(&(rparser){.r = r}, note, strlen(note)))
			goto done;
	}
	for (size_t i = 0; i < res.nv; i++) {
		snprintf(note, sizeof note, "verdict %s at op %zu: expected %s; found %s", res.v[i].id, res.v[i].op,
			 res.v[i].expected, res.v[i].found);
		if (add_note(&(rparser){.r = r}, note, strlen(note)))
			goto done;
	}
	rc = 0;
done:
	if (rc < 0 && msglen)
		snprintf(msg, msglen, "out of memory");
	if (rc)
		repro_free(r);
	repro_result_free(&res);
	return rc;
}

static int headline_rank(const char *id)
{
	static const char *const order[] = {"I-OPEN", "I-SB-", "I-META-", "I-DIR-", "I-REF-", "I-PROT-",
					    "I-ATOMIC", "I-DURABLE", "I-MODEL", "F-", "I-LEAK"};
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		if (!strncmp(id, order[i], strlen(order[i])))
			return (int)i;
	return (int)(sizeof order / sizeof order[0]);
}

const char *repro_headline(const repro_strset *expect)
{
	const char *best = NULL;
	for (size_t i = 0; i < expect->n; i++)
		if (!best || headline_rank(expect->s[i]) < headline_rank(best))
			best = expect->s[i];
	return best ? best : "ok";
}

int repro_save(const repro *r, const char *dir, const char *verdict, char *path, size_t pathlen)
{
	if (!verdict)
		verdict = repro_headline(&r->expect);
	char *text = repro_format(r);
	if (!text) {
		errno = ENOMEM;
		return -1;
	}
	size_t n = strlen(text);
	uint64_t h = subsets_unit_hash(0, (const uint8_t *)text, n);
	int rc = -1;
	for (unsigned k = 0; k < 1000; k++) {
		char suffix[16] = "";
		if (k)
			snprintf(suffix, sizeof suffix, "-%u", k);
		int w = snprintf(path, pathlen, "%s/%s-%016" PRIx64 "%s.repro", dir, verdict, h, suffix);
		if (w < 0 || (size_t)w >= pathlen) {
			errno = ENAMETOOLONG;
			break;
		}
		int same = same_file(path, text, n);
		if (same == 1) {
			rc = 1;
			break;
		}
		if (same == 0)
			continue; /* a different file took the name: next suffix */
		FILE *f = fopen(path, "wx");
		if (!f) {
			if (errno == EEXIST)
				continue;
			break;
		}
		int ok = fwrite(text, 1, n, f) == n;
		ok &= fclose(f) == 0;
		rc = ok ? 0 : -1;
		break;
	}
	free(text);
	return rc;
}
