/* support.h — helpers shared by the pager's Criterion tests: a temporary directory per
 * test, file helpers, the golden images (with a tiny JSON reader), the fill pattern,
 * CRC repair for hand-corrupted images, a recording pager_io shim and an in-memory
 * pager_io whose mapping is an exact-length heap buffer (so ASan sees every overrun).
 * It is not a test framework: assertions stay in the test files (Criterion). */
#ifndef TP_SUPPORT_H
#define TP_SUPPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pager.h"

/* ---- temporary directory ----------------------------------------------------- */
/* tp_setup makes a fresh mkdtemp directory ($TMPDIR or /tmp) and tp_teardown removes
 * it with everything in it (one level: the tests make flat directories). Use them as
 * a suite's .init/.fini. */
void tp_setup(void);
void tp_teardown(void);
/* Under ASan: run LeakSanitizer now, nonzero when it found a leak (it prints it).
 * Elsewhere 0. Tests call it (TP_NO_LEAKS) at the end of their body: Criterion passes a
 * test whose process LSan reports at exit, and ignores failures in .fini. */
int tp_leaks(void);
extern char tp_dir[];
/* dir/name in one of 8 rotating static buffers: valid for the next 7 calls. */
const char *tp_path(const char *name);

/* ---- files ---------------------------------------------------------------------- */
/* Whole file into a malloc'd buffer (*len = its size); NULL when it cannot be read. */
uint8_t *tp_read_file(const char *path, size_t *len);
/* Create or replace path with exactly these bytes. 0 or -1. */
int tp_write_file(const char *path, const void *buf, size_t len);
int tp_copy_file(const char *from, const char *to);
/* Size in bytes, or -1 when the file does not exist. */
long long tp_file_size(const char *path);
int tp_file_exists(const char *path);
/* Overwrite n bytes at off in place; xor one byte in place. 0 or -1. */
int tp_patch_file(const char *path, uint64_t off, const void *bytes, size_t n);
int tp_xor_file(const char *path, uint64_t off, uint8_t mask);

/* ---- the fill pattern of the golden images ---------------------------------------- */
/* byte i = (seed*7 + i*13 + (i >> 8)) mod 256 */
static inline uint8_t tp_pattern_byte(unsigned seed, size_t i)
{
	return (uint8_t)(((uint64_t)seed * 7 + (uint64_t)i * 13 + (i >> 8)) & 0xFF);
}
void tp_fill(uint8_t *buf, size_t len, unsigned seed);
/* 1 when buf holds exactly the pattern. */
int tp_is_pattern(const uint8_t *buf, size_t len, unsigned seed);
/* 1 when every byte is zero. */
int tp_is_zero(const uint8_t *buf, size_t len);

/* ---- pager operations the tests repeat (each returns the pager's rc) ------------- */
/* Fill a regular page with the pattern of seed. */
int tp_fill_page(pager *p, uint64_t page, unsigned seed);
/* 1 when the regular page holds the pattern of seed (0 also when it cannot be read). */
int tp_page_is(pager *p, uint64_t page, unsigned seed);
/* Protected write: begin, fill with the pattern of seed, commit. */
int tp_pwrite(pager *p, uint64_t id, unsigned seed);
/* Staged and abandoned write: begin, fill, abandon (the readable copy must not change). */
int tp_pstage(pager *p, uint64_t id, unsigned seed);
/* 1 when the readable copy of id holds the pattern of seed / only zeros. */
int tp_protected_is(pager *p, uint64_t id, unsigned seed);
int tp_protected_is_zero(pager *p, uint64_t id);
/* Close *p and open path again through io (NULL = posix); *p = NULL on failure. */
int tp_reopen(pager **p, const char *path, const pager_io *io);

/* ---- id lists (pager_foreach_page / pager_foreach_protected) ------------------- */
typedef struct tp_ids {
	uint64_t *v;  /* ids in the order the pager gave them */
	size_t n;     /* how many */
	size_t cap;   /* allocated slots */
} tp_ids;
int tp_ids_add(void *ids, uint64_t n); /* a pager_page_fn; returns 0 */
void tp_ids_free(tp_ids *ids);
/* Fresh lists of the live regular pages / protected ids (pager_foreach_*). */
tp_ids tp_pages(pager *p);
tp_ids tp_protected(pager *p);
/* 1 when ids equals exp[0..n). */
int tp_ids_eq(const tp_ids *ids, const uint64_t *exp, size_t n);
/* "{3, 5, 7}" in a static buffer, for assertion messages. */
const char *tp_ids_str(const tp_ids *ids);
#define TP_IDS(...) ((const uint64_t[]){__VA_ARGS__}), (sizeof((const uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t))
/* How many of pages 0..n-1 have role r (pager_page_roles). */
size_t tp_role_count(pager *p, uint64_t n, pager_role r);

/* ---- golden images ------------------------------------------------------------- */
typedef enum tp_op_kind {
	TP_OP_ALLOC, TP_OP_FREE, TP_OP_FILL, TP_OP_PALLOC, TP_OP_PFREE, TP_OP_PWRITE,
	TP_OP_PSTAGE, TP_OP_REOPEN,
} tp_op_kind;
typedef struct tp_op {
	tp_op_kind kind;
	char handle[24];   /* symbolic handle ("a0", "p3"); empty for reopen */
	uint64_t value;    /* alloc/palloc: the id returned; free/pfree: the id; fill/pwrite/pstage: SEED */
} tp_op;
typedef struct tp_regular {
	uint64_t page;     /* live regular page */
	int has_fill;      /* 1 when the json gives its last fill seed */
	unsigned fill;     /* that seed */
} tp_regular;
typedef struct tp_prot {
	uint64_t id;       /* live protected id */
	uint32_t crc32;    /* CRC-32 of its readable copy */
} tp_prot;
typedef struct tp_golden {
	char name[32];          /* "basic-1k" */
	char img[512];          /* path of NAME.img in the golden directory (read-only) */
	unsigned log2;          /* page_size_log2 */
	tp_op *ops;
	size_t nops;
	uint64_t page_count;    /* expect.page_count */
	uint64_t free_count;    /* expect.free_page_count */
	tp_regular *regular;    /* expect.regular, in json order */
	size_t nregular;
	tp_prot *prot;          /* expect.protected, in json order */
	size_t nprot;
} tp_golden;
#define TP_GOLDEN_COUNT 8
extern const char *const tp_golden_names[TP_GOLDEN_COUNT];
/* Load TORNPAGE_GOLDEN_DIR/NAME.json. 0, or -1 with a message in err. */
int tp_golden_load(const char *name, tp_golden *g, char *err, size_t errlen);
void tp_golden_free(tp_golden *g);

/* The tiny JSON reader behind it (objects, arrays, strings without \u escapes beyond
 * ASCII, integers, true/false/null): enough for the golden files, nothing more. */
typedef enum tpj_type { TPJ_NULL, TPJ_BOOL, TPJ_INT, TPJ_STR, TPJ_ARR, TPJ_OBJ } tpj_type;
typedef struct tpj {
	tpj_type type;
	int64_t i;           /* TPJ_INT, TPJ_BOOL */
	char *s;             /* TPJ_STR */
	struct tpj *items;   /* TPJ_ARR elements, TPJ_OBJ values */
	char **keys;         /* TPJ_OBJ keys, parallel to items */
	size_t n;            /* elements or members */
} tpj;
/* Parse text into *out; 0, or -1 (out is then empty). */
int tpj_parse(const char *text, tpj *out);
void tpj_free(tpj *v);
/* Member of an object, or NULL. */
const tpj *tpj_get(const tpj *obj, const char *key);

/* ---- images and their CRCs (format.h codec) --------------------------------------- */
/* Page size the superblock claims, or 0 when log2 is outside [10, 30]. */
size_t tp_img_ps(const uint8_t *img, size_t len);
/* Recompute one structure's CRC after a test edited it. ps = the page size. */
void tp_repair_meta(uint8_t *img, size_t ps, unsigned page);     /* trailer of page 1 or 2 */
void tp_repair_sb(uint8_t *img, size_t ps);                      /* bytes 16..20: CRC of the selected copy */
void tp_repair_index(uint8_t *img, size_t ps);                   /* page 0 trailer */
void tp_repair_dir(uint8_t *img, size_t ps, uint64_t page);      /* a directory page's trailer */
/* Every CRC the open path checks, in dependency order: the directory pages the index
 * names (only pages >= 3 inside the image), both metadata trailers, the index
 * trailer, then the superblock's copy CRC. Leaves images it cannot parse alone. */
void tp_repair_all(uint8_t *img, size_t len);

/* ---- recording pager_io shim ---------------------------------------------------- */
typedef enum tp_io_method {
	TP_IO_OPEN, TP_IO_SIZE, TP_IO_SET_LEN, TP_IO_MAP, TP_IO_UNMAP, TP_IO_SYNC, TP_IO_CLOSE,
	TP_IO_FAULTED, /* a fault point failed the call before it reached the layer */
} tp_io_method;
typedef struct tp_call {
	tp_io_method method;
	const char *step;   /* fault-point name of the call site (a string literal) */
	uint64_t off, len;  /* sync: range; set_len/map/unmap: length; faulted: sync range */
	int rc;             /* what the inner layer returned; faulted: the injected errno */
} tp_call;
typedef struct tp_rec {
	pager_io io;            /* hand &io (tp_rec_io) to pager_create/pager_open */
	const pager_io *inner;  /* the wrapped layer */
	tp_call *calls;         /* every call, in order */
	size_t n, cap;
} tp_rec;
/* Wrap inner (NULL = pager_io_posix()). r must stay at its address while in use.
 * When a fault point fails a close, the shim closes the inner handle itself (without
 * recording it): Linux releases a descriptor even when close(2) fails, and the real
 * close was never made. */
void tp_rec_init(tp_rec *r, const pager_io *inner);
const pager_io *tp_rec_io(tp_rec *r);
void tp_rec_clear(tp_rec *r);
void tp_rec_free(tp_rec *r);
/* Calls of method m at step (NULL = any step). */
size_t tp_rec_count(const tp_rec *r, tp_io_method m, const char *step);
/* Index of the first such call at or after `from`, or -1. */
long tp_rec_find(const tp_rec *r, tp_io_method m, const char *step, size_t from);
void tp_rec_dump(const tp_rec *r, FILE *f);
const char *tp_io_method_name(tp_io_method m);

/* ---- in-memory pager_io ---------------------------------------------------------- */
/* Files live in memory; map hands out the file's own heap buffer of exactly its
 * length (MAP_SHARED semantics, and ASan catches any access past the end); sync does
 * nothing; set_len while a mapping is live fails with EBUSY (the pager never does it). */
typedef struct tp_memio tp_memio;
tp_memio *tp_memio_new(void);
void tp_memio_free(tp_memio *m);
const pager_io *tp_memio_io(tp_memio *m);
/* Create or replace a file with these bytes (no mapping may be live). 0 or -1. */
int tp_memio_put(tp_memio *m, const char *path, const uint8_t *data, size_t len);
/* The file's bytes (NULL when absent). */
const uint8_t *tp_memio_get(tp_memio *m, const char *path, size_t *len);
void tp_memio_remove(tp_memio *m, const char *path);

/* ---- assertion helpers (need <criterion/criterion.h> in the including file) ------ */
#define TP_OK(expr)                                                                     \
	do {                                                                            \
		int tp_rc_ = (expr);                                                    \
		cr_assert_eq(tp_rc_, PAGER_OK, "%s -> %s", #expr, pager_strerror(tp_rc_)); \
	} while (0)
#define TP_RC(expr, want)                                                               \
	do {                                                                            \
		int tp_rc_ = (expr), tp_want_ = (want);                                 \
		cr_assert_eq(tp_rc_, tp_want_, "%s -> %s, want %s", #expr,             \
			     pager_strerror(tp_rc_), pager_strerror(tp_want_));         \
	} while (0)
#define TP_EIO(expr, err)                                                               \
	do {                                                                            \
		int tp_rc_ = (expr);                                                    \
		cr_assert_eq(tp_rc_, PAGER_EIO, "%s -> %s, want PAGER_EIO", #expr,      \
			     pager_strerror(tp_rc_));                                   \
		cr_assert_eq(pager_last_errno(), (err), "%s: errno %d, want %d", #expr, \
			     pager_last_errno(), (err));                                \
	} while (0)
/* Under ASan, fail the test when LeakSanitizer finds unreachable memory now. */
#define TP_NO_LEAKS() cr_assert_eq(tp_leaks(), 0, "LeakSanitizer found a leak (report above)")
#define TP_IDS_EQ(ids, ...)                                                             \
	do {                                                                            \
		tp_ids tp_got_ = (ids);                                                 \
		int tp_eq_ = tp_ids_eq(&tp_got_, __VA_ARGS__);                          \
		const char *tp_s_ = tp_ids_str(&tp_got_);                               \
		tp_ids_free(&tp_got_);                                                  \
		cr_assert(tp_eq_, "%s = %s, want %s", #ids, tp_s_, #__VA_ARGS__);       \
	} while (0)
#define TP_IDS_EMPTY(ids)                                                               \
	do {                                                                            \
		tp_ids tp_got_ = (ids);                                                 \
		size_t tp_n_ = tp_got_.n;                                               \
		const char *tp_s_ = tp_ids_str(&tp_got_);                               \
		tp_ids_free(&tp_got_);                                                  \
		cr_assert_eq(tp_n_, 0, "%s = %s, want {}", #ids, tp_s_);                \
	} while (0)

#endif
