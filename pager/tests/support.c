/* support.c — helpers for the pager's Criterion tests (see support.h). Plain C: no
 * Criterion assertions here, failures are returned to the test that asked. */
#define _POSIX_C_SOURCE 200809L
#include "support.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format.h"

#if defined(__SANITIZE_ADDRESS__)
#define TP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TP_ASAN 1
#endif
#endif
#ifdef TP_ASAN
#include <sanitizer/lsan_interface.h>
#endif

#ifndef TORNPAGE_GOLDEN_DIR
#error "TORNPAGE_GOLDEN_DIR must name the golden directory (pager/CMakeLists.txt sets it)"
#endif

/* ---- temporary directory ----------------------------------------------------- */

char tp_dir[PATH_MAX];

void tp_setup(void)
{
	const char *base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/tmp";
	snprintf(tp_dir, sizeof tp_dir, "%s/tornpage-test-XXXXXX", base);
	if (!mkdtemp(tp_dir)) {
		perror("mkdtemp");
		abort();
	}
}

int tp_leaks(void)
{
#ifdef TP_ASAN
	return __lsan_do_recoverable_leak_check();
#else
	return 0;
#endif
}

void tp_teardown(void)
{
	if (!tp_dir[0])
		return;
	DIR *d = opendir(tp_dir);
	if (d) {
		struct dirent *e;
		char path[PATH_MAX + 256];
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(path, sizeof path, "%s/%s", tp_dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(tp_dir);
	tp_dir[0] = 0;
}

const char *tp_path(const char *name)
{
	static char bufs[8][PATH_MAX + 64];
	static unsigned next;
	char *b = bufs[next++ % 8];
	snprintf(b, sizeof bufs[0], "%s/%s", tp_dir, name);
	return b;
}

/* ---- files ---------------------------------------------------------------------- */

uint8_t *tp_read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return NULL;
	}
	size_t n = (size_t)st.st_size;
	uint8_t *buf = malloc(n ? n : 1);
	size_t got = 0;
	while (buf && got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r <= 0) {
			free(buf);
			buf = NULL;
			break;
		}
		got += (size_t)r;
	}
	close(fd);
	if (buf)
		*len = n;
	return buf;
}

int tp_write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	const uint8_t *p = buf;
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(fd, p + done, len - done);
		if (w <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)w;
	}
	return close(fd) < 0 ? -1 : 0;
}

int tp_copy_file(const char *from, const char *to)
{
	size_t len;
	uint8_t *buf = tp_read_file(from, &len);
	if (!buf)
		return -1;
	int rc = tp_write_file(to, buf, len);
	free(buf);
	return rc;
}

long long tp_file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) < 0 ? -1 : (long long)st.st_size;
}

int tp_file_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

int tp_patch_file(const char *path, uint64_t off, const void *bytes, size_t n)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ssize_t w = pwrite(fd, bytes, n, (off_t)off);
	int rc = close(fd);
	return w == (ssize_t)n && rc == 0 ? 0 : -1;
}

int tp_xor_file(const char *path, uint64_t off, uint8_t mask)
{
	int fd = open(path, O_RDWR);
	if (fd < 0)
		return -1;
	uint8_t b;
	int ok = pread(fd, &b, 1, (off_t)off) == 1;
	b ^= mask;
	ok = ok && pwrite(fd, &b, 1, (off_t)off) == 1;
	return close(fd) == 0 && ok ? 0 : -1;
}

/* ---- pattern -------------------------------------------------------------------- */

void tp_fill(uint8_t *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = tp_pattern_byte(seed, i);
}

int tp_is_pattern(const uint8_t *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != tp_pattern_byte(seed, i))
			return 0;
	return 1;
}

int tp_is_zero(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i])
			return 0;
	return 1;
}

/* ---- pager operations ------------------------------------------------------------ */

int tp_fill_page(pager *p, uint64_t page, unsigned seed)
{
	uint8_t *d;
	int rc = pager_page(p, page, &d);
	if (rc == PAGER_OK)
		tp_fill(d, pager_page_size(p), seed);
	return rc;
}

int tp_page_is(pager *p, uint64_t page, unsigned seed)
{
	uint8_t *d;
	return pager_page(p, page, &d) == PAGER_OK && tp_is_pattern(d, pager_page_size(p), seed);
}

int tp_pwrite(pager *p, uint64_t id, unsigned seed)
{
	pager_pwrite w;
	int rc = pager_protected_begin(p, id, &w);
	if (rc)
		return rc;
	tp_fill(w.data, pager_page_size(p), seed);
	return pager_protected_commit(p, &w);
}

int tp_pstage(pager *p, uint64_t id, unsigned seed)
{
	pager_pwrite w;
	int rc = pager_protected_begin(p, id, &w);
	if (rc)
		return rc;
	tp_fill(w.data, pager_page_size(p), seed);
	pager_protected_abandon(p, &w);
	return PAGER_OK;
}

int tp_protected_is(pager *p, uint64_t id, unsigned seed)
{
	const uint8_t *d;
	return pager_protected_read(p, id, &d) == PAGER_OK && tp_is_pattern(d, pager_page_size(p), seed);
}

int tp_protected_is_zero(pager *p, uint64_t id)
{
	const uint8_t *d;
	return pager_protected_read(p, id, &d) == PAGER_OK && tp_is_zero(d, pager_page_size(p));
}

int tp_reopen(pager **p, const char *path, const pager_io *io)
{
	int rc = pager_close(*p);
	*p = NULL;
	if (rc)
		return rc;
	return pager_open(path, io, p);
}

/* ---- id lists ------------------------------------------------------------------- */

int tp_ids_add(void *arg, uint64_t n)
{
	tp_ids *ids = arg;
	if (ids->n == ids->cap) {
		size_t cap = ids->cap ? ids->cap * 2 : 16;
		uint64_t *v = realloc(ids->v, cap * sizeof *v);
		if (!v)
			abort();
		ids->v = v;
		ids->cap = cap;
	}
	ids->v[ids->n++] = n;
	return 0;
}

void tp_ids_free(tp_ids *ids)
{
	free(ids->v);
	*ids = (tp_ids){0};
}

tp_ids tp_pages(pager *p)
{
	tp_ids ids = {0};
	(void)pager_foreach_page(p, tp_ids_add, &ids);
	return ids;
}

tp_ids tp_protected(pager *p)
{
	tp_ids ids = {0};
	(void)pager_foreach_protected(p, tp_ids_add, &ids);
	return ids;
}

int tp_ids_eq(const tp_ids *ids, const uint64_t *exp, size_t n)
{
	if (ids->n != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (ids->v[i] != exp[i])
			return 0;
	return 1;
}

const char *tp_ids_str(const tp_ids *ids)
{
	static char buf[4][1024];
	static unsigned next;
	char *b = buf[next++ % 4];
	size_t at = 0;
	at += (size_t)snprintf(b, sizeof buf[0], "{");
	for (size_t i = 0; i < ids->n && at < sizeof buf[0] - 32; i++)
		at += (size_t)snprintf(b + at, sizeof buf[0] - at, "%s%llu", i ? ", " : "",
				       (unsigned long long)ids->v[i]);
	if (at >= sizeof buf[0] - 32)
		at += (size_t)snprintf(b + at, sizeof buf[0] - at, ", ...");
	snprintf(b + at, sizeof buf[0] - at, "}");
	return b;
}

size_t tp_role_count(pager *p, uint64_t n, pager_role r)
{
	uint8_t *roles = malloc(n ? n : 1);
	if (!roles)
		abort();
	size_t c = 0;
	if (pager_page_roles(p, roles, n) == PAGER_OK)
		for (uint64_t i = 0; i < n; i++)
			c += roles[i] == r;
	free(roles);
	return c;
}

/* ---- tiny JSON reader ------------------------------------------------------------ */

typedef struct jp {
	const char *s;  /* cursor */
	int depth;      /* nesting, bounded */
} jp;

static void jws(jp *j)
{
	while (*j->s == ' ' || *j->s == '\n' || *j->s == '\r' || *j->s == '\t')
		j->s++;
}

static int jvalue(jp *j, tpj *out);

static int jstring(jp *j, char **out)
{
	if (*j->s != '"')
		return -1;
	j->s++;
	size_t cap = 16, n = 0;
	char *b = malloc(cap);
	if (!b)
		return -1;
	while (*j->s && *j->s != '"') {
		char c = *j->s++;
		if (c == '\\') {
			c = *j->s++;
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case '"': case '\\': case '/': break;
			default: free(b); return -1; /* \u and anything else: not in the golden files */
			}
		}
		if (n + 2 > cap) {
			char *nb = realloc(b, cap *= 2);
			if (!nb) {
				free(b);
				return -1;
			}
			b = nb;
		}
		b[n++] = c;
	}
	if (*j->s != '"') {
		free(b);
		return -1;
	}
	j->s++;
	b[n] = 0;
	*out = b;
	return 0;
}

static int jpush(tpj *v, tpj *item, char *key)
{
	if ((v->n & (v->n - 1)) == 0) { /* grow at 0, 1, 2, 4, 8 ... */
		size_t cap = v->n ? v->n * 2 : 1;
		tpj *items = realloc(v->items, cap * sizeof *items);
		if (!items)
			return -1;
		v->items = items;
		if (v->type == TPJ_OBJ) {
			char **keys = realloc(v->keys, cap * sizeof *keys);
			if (!keys)
				return -1;
			v->keys = keys;
		}
	}
	v->items[v->n] = *item;
	if (v->type == TPJ_OBJ)
		v->keys[v->n] = key;
	v->n++;
	return 0;
}

static int jcontainer(jp *j, tpj *out, char open, char close)
{
	*out = (tpj){.type = open == '{' ? TPJ_OBJ : TPJ_ARR};
	j->s++;
	jws(j);
	if (*j->s == close) {
		j->s++;
		return 0;
	}
	for (;;) {
		char *key = NULL;
		tpj item;
		jws(j);
		if (open == '{') {
			if (jstring(j, &key))
				return -1;
			jws(j);
			if (*j->s++ != ':') {
				free(key);
				return -1;
			}
		}
		if (jvalue(j, &item)) {
			free(key);
			return -1;
		}
		if (jpush(out, &item, key)) {
			free(key);
			tpj_free(&item);
			return -1;
		}
		jws(j);
		if (*j->s == ',') {
			j->s++;
			continue;
		}
		if (*j->s == close) {
			j->s++;
			return 0;
		}
		return -1;
	}
}

static int jvalue(jp *j, tpj *out)
{
	jws(j);
	*out = (tpj){.type = TPJ_NULL};
	if (++j->depth > 64)
		return -1;
	int rc = -1;
	char c = *j->s;
	if (c == '{')
		rc = jcontainer(j, out, '{', '}');
	else if (c == '[')
		rc = jcontainer(j, out, '[', ']');
	else if (c == '"') {
		out->type = TPJ_STR;
		rc = jstring(j, &out->s);
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		int neg = c == '-';
		if (neg)
			j->s++;
		uint64_t v = 0;
		int digits = 0;
		while (*j->s >= '0' && *j->s <= '9' && digits < 19) {
			v = v * 10 + (uint64_t)(*j->s++ - '0');
			digits++;
		}
		/* integers only: the golden files hold no fractions or exponents */
		if (digits && !(*j->s >= '0' && *j->s <= '9') && *j->s != '.' && *j->s != 'e' && *j->s != 'E') {
			out->type = TPJ_INT;
			out->i = neg ? -(int64_t)v : (int64_t)v;
			rc = 0;
		}
	} else if (!strncmp(j->s, "true", 4) || !strncmp(j->s, "false", 5)) {
		out->type = TPJ_BOOL;
		out->i = c == 't';
		j->s += c == 't' ? 4 : 5;
		rc = 0;
	} else if (!strncmp(j->s, "null", 4)) {
		j->s += 4;
		rc = 0;
	}
	j->depth--;
	if (rc)
		tpj_free(out);
	return rc;
}

int tpj_parse(const char *text, tpj *out)
{
	jp j = {.s = text};
	if (jvalue(&j, out))
		return -1;
	jws(&j);
	if (*j.s) {
		tpj_free(out);
		return -1;
	}
	return 0;
}

void tpj_free(tpj *v)
{
	for (size_t i = 0; i < v->n; i++) {
		tpj_free(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->s);
	*v = (tpj){.type = TPJ_NULL};
}

const tpj *tpj_get(const tpj *obj, const char *key)
{
	if (!obj || obj->type != TPJ_OBJ)
		return NULL;
	for (size_t i = 0; i < obj->n; i++)
		if (!strcmp(obj->keys[i], key))
			return &obj->items[i];
	return NULL;
}

/* ---- golden images ------------------------------------------------------------- */

const char *const tp_golden_names[TP_GOLDEN_COUNT] = {
	"fresh-1k", "fresh-4k", "basic-1k", "grow-1k",
	"protected-1k", "dir2-1k", "mixed-4k", "reopen-1k",
};

static int gfail(char *err, size_t errlen, const char *what, const char *name)
{
	snprintf(err, errlen, "%s: %s", name, what);
	return -1;
}

static int op_kind(const char *s, tp_op_kind *k)
{
	static const struct { const char *name; tp_op_kind kind; } ops[] = {
		{"alloc", TP_OP_ALLOC}, {"free", TP_OP_FREE}, {"fill", TP_OP_FILL},
		{"palloc", TP_OP_PALLOC}, {"pfree", TP_OP_PFREE}, {"pwrite", TP_OP_PWRITE},
		{"pstage", TP_OP_PSTAGE}, {"reopen", TP_OP_REOPEN},
	};
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (!strcmp(s, ops[i].name)) {
			*k = ops[i].kind;
			return 0;
		}
	return -1;
}

static int int_of(const tpj *v, int64_t *out)
{
	if (!v || v->type != TPJ_INT)
		return -1;
	*out = v->i;
	return 0;
}

int tp_golden_load(const char *name, tp_golden *g, char *err, size_t errlen)
{
	char path[PATH_MAX];
	*g = (tp_golden){0};
	snprintf(g->name, sizeof g->name, "%s", name);
	snprintf(g->img, sizeof g->img, "%s/%s.img", TORNPAGE_GOLDEN_DIR, name);
	snprintf(path, sizeof path, "%s/%s.json", TORNPAGE_GOLDEN_DIR, name);
	size_t len;
	uint8_t *raw = tp_read_file(path, &len);
	if (!raw)
		return gfail(err, errlen, "cannot read the .json", name);
	char *text = malloc(len + 1);
	if (!text) {
		free(raw);
		return gfail(err, errlen, "out of memory", name);
	}
	memcpy(text, raw, len);
	text[len] = 0;
	free(raw);
	tpj root;
	int parsed = tpj_parse(text, &root);
	free(text);
	if (parsed)
		return gfail(err, errlen, "bad JSON", name);

	int rc = -1;
	int64_t v;
	const tpj *ops = tpj_get(&root, "ops"), *expect = tpj_get(&root, "expect");
	const tpj *reg = tpj_get(expect, "regular"), *prot = tpj_get(expect, "protected");
	if (int_of(tpj_get(&root, "page_size_log2"), &v) || v < 10 || v > 30) {
		gfail(err, errlen, "page_size_log2", name);
		goto done;
	}
	g->log2 = (unsigned)v;
	if (!ops || ops->type != TPJ_ARR || !reg || reg->type != TPJ_ARR || !prot ||
	    prot->type != TPJ_ARR) {
		gfail(err, errlen, "ops/expect missing", name);
		goto done;
	}
	if (int_of(tpj_get(expect, "page_count"), &v) || v < 0) {
		gfail(err, errlen, "expect.page_count", name);
		goto done;
	}
	g->page_count = (uint64_t)v;
	if (int_of(tpj_get(expect, "free_page_count"), &v) || v < 0) {
		gfail(err, errlen, "expect.free_page_count", name);
		goto done;
	}
	g->free_count = (uint64_t)v;

	g->ops = calloc(ops->n + 1, sizeof *g->ops);
	g->regular = calloc(reg->n + 1, sizeof *g->regular);
	g->prot = calloc(prot->n + 1, sizeof *g->prot);
	if (!g->ops || !g->regular || !g->prot) {
		gfail(err, errlen, "out of memory", name);
		goto done;
	}
	for (size_t i = 0; i < ops->n; i++) {
		const tpj *o = &ops->items[i];
		tp_op *op = &g->ops[i];
		if (o->type != TPJ_ARR || o->n < 1 || o->items[0].type != TPJ_STR ||
		    op_kind(o->items[0].s, &op->kind)) {
			gfail(err, errlen, "bad op", name);
			goto done;
		}
		if (op->kind != TP_OP_REOPEN) {
			if (o->n != 3 || o->items[1].type != TPJ_STR || int_of(&o->items[2], &v) || v < 0) {
				gfail(err, errlen, "bad op arguments", name);
				goto done;
			}
			snprintf(op->handle, sizeof op->handle, "%s", o->items[1].s);
			op->value = (uint64_t)v;
		}
		g->nops++;
	}
	for (size_t i = 0; i < reg->n; i++) {
		const tpj *r = &reg->items[i];
		if (int_of(tpj_get(r, "page"), &v) || v < 0) {
			gfail(err, errlen, "bad regular entry", name);
			goto done;
		}
		g->regular[i].page = (uint64_t)v;
		if (tpj_get(r, "fill")) {
			if (int_of(tpj_get(r, "fill"), &v) || v < 0) {
				gfail(err, errlen, "bad fill", name);
				goto done;
			}
			g->regular[i].has_fill = 1;
			g->regular[i].fill = (unsigned)v;
		}
		g->nregular++;
	}
	for (size_t i = 0; i < prot->n; i++) {
		const tpj *r = &prot->items[i];
		int64_t crc;
		if (int_of(tpj_get(r, "id"), &v) || v < 0 || int_of(tpj_get(r, "crc32"), &crc) ||
		    crc < 0 || crc > UINT32_MAX) {
			gfail(err, errlen, "bad protected entry", name);
			goto done;
		}
		g->prot[i] = (tp_prot){.id = (uint64_t)v, .crc32 = (uint32_t)crc};
		g->nprot++;
	}
	rc = 0;
done:
	tpj_free(&root);
	if (rc)
		tp_golden_free(g);
	return rc;
}

void tp_golden_free(tp_golden *g)
{
	free(g->ops);
	free(g->regular);
	free(g->prot);
	g->ops = NULL;
	g->regular = NULL;
	g->prot = NULL;
	g->nops = g->nregular = g->nprot = 0;
}

/* ---- images and their CRCs ------------------------------------------------------- */

size_t tp_img_ps(const uint8_t *img, size_t len)
{
	if (len < FMT_SB_LEN)
		return 0;
	uint32_t log2 = fmt_get32(img + 8);
	return log2 >= 10 && log2 <= 30 ? (size_t)1 << log2 : 0;
}

void tp_repair_meta(uint8_t *img, size_t ps, unsigned page)
{
	uint8_t *p = img + (size_t)page * ps;
	fmt_put32(p + ps - FMT_TRAILER, fmt_crc(0, p, ps - FMT_TRAILER));
}

void tp_repair_sb(uint8_t *img, size_t ps)
{
	unsigned sel = img[12] > 1 ? 0 : img[12];
	fmt_put32(img + 16, fmt_crc(0, img + (size_t)(FMT_META_A + sel) * ps, ps));
}

void tp_repair_index(uint8_t *img, size_t ps)
{
	fmt_put32(img + ps - FMT_TRAILER,
		  fmt_crc(0, img + FMT_DIR_INDEX_OFF, ps - FMT_DIR_INDEX_OFF - FMT_TRAILER));
}

void tp_repair_dir(uint8_t *img, size_t ps, uint64_t page)
{
	uint8_t *p = img + page * ps;
	fmt_put32(p + ps - FMT_TRAILER, fmt_crc(0, p, ps - FMT_TRAILER));
}

void tp_repair_all(uint8_t *img, size_t len)
{
	size_t ps = tp_img_ps(img, len);
	if (!ps || len / ps < FMT_INITIAL_PAGES)
		return;
	uint64_t pages = len / ps;
	uint32_t count = fmt_get32(img + FMT_DIR_INDEX_OFF);
	uint32_t max = fmt_max_dir_blocks(ps);
	if (count > max)
		count = max;
	const uint8_t *ref = img + FMT_DIR_INDEX_OFF + 4;
	for (uint32_t i = 0; i < count; i++, ref += FMT_DIR_REF_LEN) {
		uint64_t a = fmt_get64(ref), b = fmt_get64(ref + 8);
		if (a >= FMT_FIRST_DATA_PAGE && a < pages)
			tp_repair_dir(img, ps, a);
		if (b >= FMT_FIRST_DATA_PAGE && b < pages)
			tp_repair_dir(img, ps, b);
	}
	tp_repair_meta(img, ps, FMT_META_A);
	tp_repair_meta(img, ps, FMT_META_B);
	tp_repair_index(img, ps);
	tp_repair_sb(img, ps);
}

/* ---- recording pager_io shim ---------------------------------------------------- */

static void rec_add(tp_rec *r, tp_io_method m, const char *step, uint64_t off, uint64_t len, int rc)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		tp_call *c = realloc(r->calls, cap * sizeof *c);
		if (!c)
			abort();
		r->calls = c;
		r->cap = cap;
	}
	r->calls[r->n++] = (tp_call){.method = m, .step = step, .off = off, .len = len, .rc = rc};
}

static int rec_open(void *ctx, const char *step, const char *path, int create, void **file)
{
	tp_rec *r = ctx;
	int rc = r->inner->open(r->inner->ctx, step, path, create, file);
	rec_add(r, TP_IO_OPEN, step, 0, 0, rc);
	return rc;
}

static int rec_size(void *ctx, const char *step, void *file, uint64_t *len)
{
	tp_rec *r = ctx;
	int rc = r->inner->size(r->inner->ctx, step, file, len);
	rec_add(r, TP_IO_SIZE, step, 0, rc ? 0 : *len, rc);
	return rc;
}

static int rec_set_len(void *ctx, const char *step, void *file, uint64_t len)
{
	tp_rec *r = ctx;
	int rc = r->inner->set_len(r->inner->ctx, step, file, len);
	rec_add(r, TP_IO_SET_LEN, step, 0, len, rc);
	return rc;
}

static int rec_map(void *ctx, const char *step, void *file, uint64_t len, uint8_t **addr)
{
	tp_rec *r = ctx;
	int rc = r->inner->map(r->inner->ctx, step, file, len, addr);
	rec_add(r, TP_IO_MAP, step, 0, len, rc);
	return rc;
}

static int rec_unmap(void *ctx, const char *step, void *file, uint8_t *addr, uint64_t len)
{
	tp_rec *r = ctx;
	int rc = r->inner->unmap(r->inner->ctx, step, file, addr, len);
	rec_add(r, TP_IO_UNMAP, step, 0, len, rc);
	return rc;
}

static int rec_sync(void *ctx, const char *step, void *file, uint8_t *addr, uint64_t off, uint64_t len)
{
	tp_rec *r = ctx;
	int rc = r->inner->sync(r->inner->ctx, step, file, addr, off, len);
	rec_add(r, TP_IO_SYNC, step, off, len, rc);
	return rc;
}

static int rec_close(void *ctx, const char *step, void *file)
{
	tp_rec *r = ctx;
	int rc = r->inner->close(r->inner->ctx, step, file);
	rec_add(r, TP_IO_CLOSE, step, 0, 0, rc);
	return rc;
}

/* The pager_io method a fault point stands for ("close", "sync", ...), or "". */
static const char *point_io(const char *step)
{
	size_t n;
	const pager_fault_point *pts = pager_fault_points(&n);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(pts[i].name, step))
			return pts[i].io;
	return "";
}

static void rec_faulted(void *ctx, const char *step, void *file, uint64_t off, uint64_t len, int err)
{
	tp_rec *r = ctx;
	rec_add(r, TP_IO_FAULTED, step, off, len, err);
	if (r->inner->faulted)
		r->inner->faulted(r->inner->ctx, step, file, off, len, err);
	/* A failed close(2) still releases the descriptor on Linux; an injected one never
	 * reaches the layer, so release the handle here (not recorded) or LSan reports the
	 * layer's handle as leaked in every close-fault test. */
	if (file && !strcmp(point_io(step), "close"))
		(void)r->inner->close(r->inner->ctx, step, file);
}

void tp_rec_init(tp_rec *r, const pager_io *inner)
{
	*r = (tp_rec){
		.io = {.version = PAGER_IO_VERSION, .ctx = r, .open = rec_open, .size = rec_size,
		       .set_len = rec_set_len, .map = rec_map, .unmap = rec_unmap, .sync = rec_sync,
		       .close = rec_close, .faulted = rec_faulted},
		.inner = inner ? inner : pager_io_posix(),
	};
}

const pager_io *tp_rec_io(tp_rec *r) { return &r->io; }

void tp_rec_clear(tp_rec *r) { r->n = 0; }

void tp_rec_free(tp_rec *r)
{
	free(r->calls);
	r->calls = NULL;
	r->n = r->cap = 0;
}

static int rec_match(const tp_call *c, tp_io_method m, const char *step)
{
	return c->method == m && (!step || (c->step && !strcmp(c->step, step)));
}

size_t tp_rec_count(const tp_rec *r, tp_io_method m, const char *step)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++)
		n += rec_match(&r->calls[i], m, step);
	return n;
}

long tp_rec_find(const tp_rec *r, tp_io_method m, const char *step, size_t from)
{
	for (size_t i = from; i < r->n; i++)
		if (rec_match(&r->calls[i], m, step))
			return (long)i;
	return -1;
}

const char *tp_io_method_name(tp_io_method m)
{
	static const char *const names[] = {"open", "size", "set_len", "map", "unmap", "sync",
					    "close", "faulted"};
	return (unsigned)m < sizeof names / sizeof names[0] ? names[m] : "?";
}

void tp_rec_dump(const tp_rec *r, FILE *f)
{
	for (size_t i = 0; i < r->n; i++) {
		const tp_call *c = &r->calls[i];
		fprintf(f, "%3zu %-8s %-32s off=%llu len=%llu rc=%d\n", i, tp_io_method_name(c->method),
			c->step ? c->step : "-", (unsigned long long)c->off, (unsigned long long)c->len, c->rc);
	}
}

/* ---- in-memory pager_io ---------------------------------------------------------- */

#define TP_MEM_FILES 8

typedef struct tp_memfile {
	char path[PATH_MAX];  /* empty = free slot */
	uint8_t *data;        /* exactly len bytes (NULL when len == 0) */
	size_t len;
	int maps;             /* live mappings */
	int opens;            /* live handles */
} tp_memfile;

struct tp_memio {
	pager_io io;
	tp_memfile files[TP_MEM_FILES];
};

static tp_memfile *mem_find(tp_memio *m, const char *path)
{
	for (int i = 0; i < TP_MEM_FILES; i++)
		if (m->files[i].path[0] && !strcmp(m->files[i].path, path))
			return &m->files[i];
	return NULL;
}

static tp_memfile *mem_slot(tp_memio *m, const char *path)
{
	for (int i = 0; i < TP_MEM_FILES; i++)
		if (!m->files[i].path[0]) {
			tp_memfile *f = &m->files[i];
			*f = (tp_memfile){0};
			snprintf(f->path, sizeof f->path, "%s", path);
			return f;
		}
	return NULL;
}

static int mem_open(void *ctx, const char *step, const char *path, int create, void **file)
{
	(void)step;
	tp_memio *m = ctx;
	tp_memfile *f = mem_find(m, path);
	if (create) {
		if (f)
			return EEXIST;
		if (!(f = mem_slot(m, path)))
			return ENOSPC;
	} else if (!f) {
		return ENOENT;
	}
	f->opens++;
	*file = f;
	return 0;
}

static int mem_size(void *ctx, const char *step, void *file, uint64_t *len)
{
	(void)ctx, (void)step;
	*len = ((tp_memfile *)file)->len;
	return 0;
}

static int mem_set_len(void *ctx, const char *step, void *file, uint64_t len)
{
	(void)ctx, (void)step;
	tp_memfile *f = file;
	if (f->maps)
		return EBUSY;
	if (len > (uint64_t)1 << 32)
		return EFBIG;
	if (len == f->len)
		return 0;
	uint8_t *d = NULL;
	if (len) {
		d = malloc((size_t)len);
		if (!d)
			return ENOMEM;
		size_t keep = f->len < len ? f->len : (size_t)len;
		if (keep)
			memcpy(d, f->data, keep);
		memset(d + keep, 0, (size_t)len - keep);
	}
	free(f->data);
	f->data = d;
	f->len = (size_t)len;
	return 0;
}

static int mem_map(void *ctx, const char *step, void *file, uint64_t len, uint8_t **addr)
{
	(void)ctx, (void)step;
	tp_memfile *f = file;
	if (len == 0 || len != f->len)
		return EINVAL; /* the pager always maps the whole file */
	f->maps++;
	*addr = f->data;
	return 0;
}

static int mem_unmap(void *ctx, const char *step, void *file, uint8_t *addr, uint64_t len)
{
	(void)ctx, (void)step;
	tp_memfile *f = file;
	if (!f->maps || addr != f->data || len != f->len)
		return EINVAL;
	f->maps--;
	return 0;
}

static int mem_sync(void *ctx, const char *step, void *file, uint8_t *addr, uint64_t off, uint64_t len)
{
	(void)ctx, (void)step;
	tp_memfile *f = file;
	if (!f->maps || addr != f->data || off > f->len || len > f->len - off)
		return EINVAL;
	return 0;
}

static int mem_close(void *ctx, const char *step, void *file)
{
	(void)ctx, (void)step;
	tp_memfile *f = file;
	if (f->opens <= 0)
		return EBADF;
	f->opens--;
	return 0;
}

tp_memio *tp_memio_new(void)
{
	tp_memio *m = calloc(1, sizeof *m);
	if (!m)
		abort();
	m->io = (pager_io){.version = PAGER_IO_VERSION, .ctx = m, .open = mem_open, .size = mem_size,
			   .set_len = mem_set_len, .map = mem_map, .unmap = mem_unmap, .sync = mem_sync,
			   .close = mem_close, .faulted = NULL};
	return m;
}

void tp_memio_free(tp_memio *m)
{
	if (!m)
		return;
	for (int i = 0; i < TP_MEM_FILES; i++)
		free(m->files[i].data);
	free(m);
}

const pager_io *tp_memio_io(tp_memio *m) { return &m->io; }

int tp_memio_put(tp_memio *m, const char *path, const uint8_t *data, size_t len)
{
	tp_memfile *f = mem_find(m, path);
	if (f && f->maps)
		return -1;
	if (!f && !(f = mem_slot(m, path)))
		return -1;
	uint8_t *d = NULL;
	if (len) {
		if (!(d = malloc(len)))
			return -1;
		memcpy(d, data, len);
	}
	free(f->data);
	f->data = d;
	f->len = len;
	return 0;
}

const uint8_t *tp_memio_get(tp_memio *m, const char *path, size_t *len)
{
	tp_memfile *f = mem_find(m, path);
	if (!f)
		return NULL;
	*len = f->len;
	return f->data ? f->data : (const uint8_t *)"";
}

void tp_memio_remove(tp_memio *m, const char *path)
{
	tp_memfile *f = mem_find(m, path);
	if (f && !f->maps) {
		free(f->data);
		*f = (tp_memfile){0};
	}
}
