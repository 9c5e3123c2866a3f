/* pager.h — a C11 reimplementation of the mappedpages 0.1 pager (the seed).
 *
 * A file of fixed-size pages, memory-mapped, with crash-safe metadata (A/B copies
 * flipped by the superblock) and copy-on-write "protected" pages tracked by A/B
 * directory pages. Same bytes on disk and same commit order as the Rust crate; it
 * differs only where the seed would panic or read out of bounds: there it returns an
 * error. It is not a fixed or hardened pager: its crash-consistency weaknesses are
 * the seed's, on purpose, so that tornpage can find them.
 *
 * Conventions: functions return 0 (PAGER_OK) or a negative pager_err. After
 * PAGER_EIO, pager_last_errno() gives the errno the I/O layer reported. */
#ifndef PAGER_H
#define PAGER_H

#include <stddef.h>
#include <stdint.h>

#include "pager_io.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every seed error (MappedPageError) plus what C needs. Values never change. */
typedef enum pager_err {
	PAGER_OK = 0,
	PAGER_EIO = -1,                   /* Io(e): see pager_last_errno() */
	PAGER_EINVALID_PAGE_SIZE = -2,    /* InvalidPageSize */
	PAGER_ECORRUPT_SUPERBLOCK = -3,   /* CorruptSuperblock */
	PAGER_ECORRUPT_METADATA = -4,     /* CorruptMetadata */
	PAGER_EOUT_OF_BOUNDS = -5,        /* OutOfBounds */
	PAGER_ERESERVED_PAGE = -6,        /* ReservedPage */
	PAGER_EDOUBLE_FREE = -7,          /* DoubleFree */
	PAGER_EUNAVAILABLE = -8,          /* Unavailable: a remap failed; reopen */
	PAGER_ECORRUPT_PROTECTED_DIR = -9, /* CorruptProtectedDirectory */
	PAGER_ECORRUPT_DIR_INDEX = -10,   /* CorruptDirectoryIndex */
	PAGER_EDIRECTORY_FULL = -11,      /* DirectoryFull */
	PAGER_EEXISTS = -12,              /* create: the file already exists */
	PAGER_ENOMEM = -13,               /* out of memory */
	PAGER_EBITMAP_FULL = -14,         /* growing would overflow the metadata bitmap */
	PAGER_EINVAL = -15,               /* invalid argument or call sequence */
	PAGER_ENOT_ALLOCATED = -16,       /* format 2: the page is free (not handed out) */
	PAGER_ECORRUPT_PAGE = -17,        /* format 2: a protected page's readable copy fails its CRC */
} pager_err;
#define PAGER_ERR_COUNT 18

/* "PAGER_EIO: I/O error" style: the code's name first, so a log line is searchable. */
const char *pager_strerror(int rc);
/* The errno behind the last PAGER_EIO returned in this thread. */
int pager_last_errno(void);

#define PAGER_MIN_PAGE_SIZE_LOG2 10u
/* Our liberty: the seed would try to allocate page-sized buffers and abort beyond this. */
#define PAGER_MAX_PAGE_SIZE_LOG2 30u

typedef struct pager pager;

/* On-disk formats. 1 is the seed's (mappedpages 0.1), byte for byte, with its known
 * weaknesses (docs/findings.md); 2 is the repaired protocol (docs/format-2.md). */
#define PAGER_FORMAT_1 1u
#define PAGER_FORMAT_2 2u

/* Create `path` (it must not exist) with 4 pages of 2^page_size_log2 bytes, format 1.
 * io = NULL means pager_io_posix(). */
int pager_create(const char *path, unsigned page_size_log2, const pager_io *io, pager **out);

/* Options of pager_create_ext, libgit2-style: start from PAGER_CREATE_OPTS_INIT (or
 * pager_create_opts_init) so that fields added later keep their defaults. */
#define PAGER_CREATE_OPTS_VERSION 1
typedef struct pager_create_opts {
	unsigned int version;     /* PAGER_CREATE_OPTS_VERSION */
	unsigned page_size_log2;  /* 10..30; default 12 */
	unsigned format;          /* PAGER_FORMAT_1 (default) or PAGER_FORMAT_2 */
} pager_create_opts;
#define PAGER_CREATE_OPTS_INIT {PAGER_CREATE_OPTS_VERSION, 12, PAGER_FORMAT_1}
/* 0, or PAGER_EINVAL for an unknown version. */
int pager_create_opts_init(pager_create_opts *opts, unsigned int version);
/* Create with options (NULL = the defaults). PAGER_EINVAL for an unknown options version
 * or format. A format 2 file starts with its reserved pages and one free page (4 pages
 * at 4 KiB and more, 6 at 2 KiB, 10 at 1 KiB: docs/format-2.md). */
int pager_create_ext(const char *path, const pager_create_opts *opts, const pager_io *io, pager **out);
/* Open an existing file of either format: format 1 recovers metadata and directory
 * copies as the seed does; format 2 takes its newest valid root (docs/format-2.md). */
int pager_open(const char *path, const pager_io *io, pager **out);
/* PAGER_FORMAT_1 or PAGER_FORMAT_2. */
unsigned pager_format(const pager *p);
/* Unmap and close; frees p whatever happens, returns the first I/O error. Nothing is
 * synced: like the seed's Drop, unsynced data stays in the page cache only. */
int pager_close(pager *p);

/* Regular pages. */
int pager_alloc(pager *p, uint64_t *page);
int pager_free(pager *p, uint64_t page);
/* Page bytes, valid until the next call that may grow or remap (alloc, alloc_protected,
 * close). page_size bytes are writable. */
int pager_page(pager *p, uint64_t page, uint8_t **data);

/* Protected pages: copy-on-write with A/B backing copies. */
int pager_alloc_protected(pager *p, uint64_t *id);
int pager_free_protected(pager *p, uint64_t id);
/* The readable (active) copy. Valid as pager_page's pointer. */
int pager_protected_read(pager *p, uint64_t id, const uint8_t **data);

/* A protected write: begin hands out the inactive copy to fill; commit makes it the
 * readable one (sync, CRC, flip, directory commit); abandon drops it (the seed's
 * writer going out of scope). Any mutating call on the pager between begin and commit
 * (alloc, free, the protected calls, another commit — even one that fails) makes the
 * writer stale: commit then fails with PAGER_EINVAL. Reads do not. */
typedef struct pager_pwrite {
	uint64_t id;     /* protected page id */
	uint64_t page;   /* physical page of the inactive copy */
	uint8_t slot;    /* 0 = page_a, 1 = page_b: the slot that becomes active */
	uint8_t *data;   /* page_size writable bytes */
	uint64_t epoch;  /* pager epoch at begin; stale when it moved */
} pager_pwrite;
int pager_protected_begin(pager *p, uint64_t id, pager_pwrite *w);
int pager_protected_commit(pager *p, pager_pwrite *w);
void pager_protected_abandon(pager *p, pager_pwrite *w);

size_t pager_page_size(const pager *p);
uint64_t pager_page_count(const pager *p);       /* total_pages, reserved included */
uint64_t pager_free_page_count(const pager *p);  /* free_count as the metadata says */

/* Iteration for the harness. fn returns nonzero to stop; that value is returned. */
typedef int (*pager_page_fn)(void *arg, uint64_t n);
/* Allocated regular pages, ascending: allocated, not reserved, not a directory page,
 * not a copy of an in-use protected page. */
int pager_foreach_page(pager *p, pager_page_fn fn, void *arg);
/* In-use protected ids, ascending. */
int pager_foreach_protected(pager *p, pager_page_fn fn, void *arg);

/* What the pager believes one protected page is (introspection for reports). */
typedef struct pager_protected_info {
	uint64_t page_a, page_b;  /* backing copies */
	uint8_t active_slot;      /* 0 = page_a readable */
	uint64_t generation;      /* commits so far */
	uint32_t checksum;        /* CRC-32 of the active copy at its last commit */
} pager_protected_info;
int pager_protected_info_get(pager *p, uint64_t id, pager_protected_info *out);

/* Roles of pages, for reports ("unit 3 of page 7: meta B"). */
typedef enum pager_role {
	PAGER_ROLE_FREE = 0,       /* not allocated */
	PAGER_ROLE_SUPERBLOCK,     /* page 0: superblock + directory index */
	PAGER_ROLE_META_A,         /* page 1 */
	PAGER_ROLE_META_B,         /* page 2 */
	PAGER_ROLE_DIRECTORY,      /* a directory block's page_a or page_b */
	PAGER_ROLE_PROTECTED,      /* a backing copy of an in-use protected page */
	PAGER_ROLE_REGULAR,        /* allocated, none of the above */
	PAGER_ROLE_BEYOND,         /* past total_pages */
	PAGER_ROLE_ROOT,           /* format 2: a root slot (pages 0, s, 2s) */
	PAGER_ROLE_RESERVED,       /* format 2: padding between root slots, never used */
} pager_role;
const char *pager_role_name(pager_role r);
/* Fills roles[i] for pages 0..n-1. */
int pager_page_roles(pager *p, uint8_t *roles, uint64_t n);
/* The role of page n alone, as pager_page_roles would give it; O(directory), not
 * O(pages): the harness checks the pages one op names after every op. */
pager_role pager_page_role(const pager *p, uint64_t n);

/* ---- Fault points ------------------------------------------------------------ */
/* Every I/O call site of the pager, one row each (pager/src/faults.def). */
typedef struct pager_fault_point {
	const char *name;     /* libfiu name, "pager/<operation>/<step>"; never renamed */
	const char *io;       /* the pager_io method called there */
	const char *step;     /* the protocol step, in words */
	const char *on_disk;  /* what is durable when this call fails */
} pager_fault_point;
const pager_fault_point *pager_fault_points(size_t *count);

/* ---- Structural checker (fsck) ------------------------------------------------ */
/* One violated invariant. Ids are stable (docs/invariants.md). */
typedef struct pager_violation {
	const char *id;     /* "I-SB-MAGIC", ... */
	uint64_t page;      /* page concerned, or UINT64_MAX */
	uint64_t offset;    /* byte offset in the file, or UINT64_MAX */
	char detail[192];   /* expected vs found */
} pager_violation;
typedef void (*pager_violation_fn)(void *arg, const pager_violation *v);

typedef struct pager_invariant {
	const char *id;
	const char *meaning;
} pager_invariant;
const pager_invariant *pager_invariants(size_t *count);

/* Check an image held in memory; calls fn for each violation (fn may be NULL) and
 * returns how many there were. Never reads outside [img, img+len). */
size_t pager_check_image(const uint8_t *img, uint64_t len, pager_violation_fn fn, void *arg);
/* Map `path` through io (NULL = pager_io_posix_readonly(): a read-only image or an
 * unprivileged user is enough) and check it. Returns the count (>= 0) or a
 * negative pager_err when the file cannot be read. */
int pager_check(const char *path, const pager_io *io, pager_violation_fn fn, void *arg);

/* For the crash harness's speed: most pages are identical across crash states. */
typedef struct pager_check_opts {
	/* CRC-32 of page `page` of the image (ps bytes); NULL = compute with fmt_crc. The
	 * harness passes a cached version: most pages are identical across crash states. */
	uint32_t (*page_crc)(void *arg, const uint8_t *img, uint64_t page, size_t ps);
	void *crc_arg;  /* handed to page_crc */
} pager_check_opts;
/* pager_check_image with options (opts may be NULL). Both image checkers return
 * SIZE_MAX when memory runs out (pager_check then returns PAGER_ENOMEM); they use a
 * few times the page size plus 5 bytes per page of the image. fn may be NULL to only
 * count. */
size_t pager_check_image_ex(const uint8_t *img, uint64_t len, const pager_check_opts *opts,
			    pager_violation_fn fn, void *arg);

/* ---- Format 2: what recovery reads, for crash harnesses -------------------------- */
/* For a crash harness that enumerates only the units recovery can read: marks
 * (mark[n] = 1, n < npages) every page of a format 2 image of page size ps that
 * pager_open or pager_check may read — the three root slots, the four directory pages
 * of every block any valid root names, both copies of every in-use entry of any of
 * those directory pages that decodes — whichever root turns out newest. Pages it does
 * not mark are never read by recovery. Never reads outside [img, img+len). Returns 0,
 * or PAGER_EINVAL for a page size out of range (nothing marked). */
int pager_v2_read_set(const uint8_t *img, uint64_t len, size_t ps, uint8_t *mark, uint64_t npages);
/* For a crash judge that answers images it has seen: calls fn(arg, n) for every page n
 * (of size ps) whose bytes this format 2 image's recovery reads — pager_open,
 * pager_check_image and the protected reads of what it recovers: every place a root
 * may be (headers, then whole candidates), the directory pages recovery decodes, the
 * readable copy of every in-use entry. Pages may repeat; the order is recovery's. Equal
 * bytes on those pages (and an equal length) give equal verdicts. opts->page_crc, when
 * given, supplies whole-page CRCs (a trailer is valid when the page's CRC-32 is the
 * residue 0x2144DF1C). fn returning nonzero stops the walk. Returns 0; PAGER_EINVAL
 * when len is not whole pages of ps or the image's roots have another page size;
 * PAGER_ENOMEM. */
int pager_v2_read_list(const uint8_t *img, uint64_t len, size_t ps, const pager_check_opts *opts,
		       pager_page_fn fn, void *arg);

#ifdef __cplusplus
}
#endif
#endif
