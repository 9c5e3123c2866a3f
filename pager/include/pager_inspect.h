/* pager_inspect.h — what an image holds, decoded field by field, the way dumpe2fs,
 * mdb_stat or SQLite's .dbinfo show theirs: the superblock; both metadata copies with
 * their CRCs (stored and computed) and which copy open chooses, and why; the
 * allocation bitmap as runs of allocated and free pages; the directory index and every
 * block's two pages with their entries; the role of every page; and what pager_open
 * and pager_check say about the same bytes.
 *
 * It only reads: every byte is distrusted (any input, no undefined behaviour), nothing
 * is read outside the image, and memory stays a small multiple of the file's size. It
 * does not print: the harness's writers (text, JSON, HTML) do.
 *
 * Versions: `format` says which layout was decoded. Format 1 (mappedpages 0.1) fills
 * every section below. A later format adds its own sections (and a new `format`
 * value); the sections every format shares (superblock fields, metadata copies,
 * bitmap runs, directory blocks, roles, open, check) keep their meaning, so writers
 * can grow a format by adding, never by changing.
 *
 * Conventions: functions return 0 (PAGER_OK) or a negative pager_err (pager.h). */
#ifndef PAGER_INSPECT_H
#define PAGER_INSPECT_H

#include <stddef.h>
#include <stdint.h>

#include "pager.h"
#include "pager_io.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bounded output for hostile images: a bitmap keeps at most this many runs per copy
 * (the totals stay exact); the rest are counted in runs_total. */
#define PAGER_INSPECT_MAX_RUNS 4096u

/* A run of pages with the same bitmap bit: pages [first, first + count). */
typedef struct pager_inspect_run {
	uint64_t first;    /* first page of the run */
	uint64_t count;    /* pages in the run, >= 1 */
	int allocated;     /* 1 = bit set */
} pager_inspect_run;

/* The superblock (page 0, bytes 0..20) exactly as stored, and what open thinks of it. */
typedef struct pager_inspect_sb {
	int present;              /* the file holds the 20 bytes; nothing below is set otherwise */
	uint8_t magic[4];         /* bytes 0..4 ("MPPG") */
	uint8_t version[4];       /* bytes 4..8: major, minor, patch, build */
	uint32_t page_size_log2;  /* bytes 8..12 */
	uint8_t active_meta;      /* byte 12: 0 = A (page 1), 1 = B (page 2) */
	uint8_t pad[3];           /* bytes 13..16, zero when written by the pager */
	uint32_t meta_checksum;   /* bytes 16..20: CRC of the whole selected metadata page */
	int valid;                /* magic, version, selector, page size all acceptable and
				   * the file holds 4 pages: the rest of the image is decoded */
	char problem[128];        /* why not valid ("" when valid) */
} pager_inspect_sb;

/* One metadata copy. Set only when the superblock is valid. */
typedef struct pager_inspect_meta {
	uint64_t page;            /* 1 (A) or 2 (B) */
	char name;                /* 'A' or 'B' */
	uint64_t total_pages;     /* bytes 0..8 */
	uint64_t generation;      /* bytes 8..16 */
	uint64_t free_count;      /* bytes 16..24, as stored */
	uint32_t crc_stored;      /* trailer, bytes ps-4..ps */
	uint32_t crc_computed;    /* CRC of bytes 0..ps-4: equal to crc_stored when intact */
	uint32_t whole_crc;       /* CRC of all ps bytes: what the superblock stores for it */
	int crc_ok;               /* crc_stored == crc_computed */
	int fits;                 /* total_pages <= (ps-28)*8: the bitmap ends before the trailer */
	int valid;                /* crc_ok && fits: the seed's MetaPage::from_bytes accepts it */
	int selected;             /* the superblock's selector names this copy */
	int sb_crc_ok;            /* whole_crc == the superblock's meta_checksum */
	/* The bitmap, when fits (else all 0): */
	uint64_t allocated;       /* set bits below total_pages */
	uint64_t free_bits;       /* clear bits below total_pages (what free_count should be) */
	int tail_clean;           /* no bit past total_pages, no byte between bitmap and trailer */
	pager_inspect_run *runs;  /* runs over pages 0..total_pages-1, ascending */
	size_t nruns;             /* runs kept (<= PAGER_INSPECT_MAX_RUNS) */
	uint64_t runs_total;      /* runs in the bitmap */
} pager_inspect_meta;

/* One directory page as stored (decoded once per page, however many blocks name it). */
typedef enum pager_inspect_dir_status {
	PAGER_INSPECT_DIR_OK = 0,      /* CRC matches, capacity fits: readable */
	PAGER_INSPECT_DIR_BEYOND,      /* the page is not inside the file */
	PAGER_INSPECT_DIR_BAD_CRC,     /* trailer CRC does not match */
	PAGER_INSPECT_DIR_BAD_CAPACITY /* CRC matches; its capacity's entries would pass the trailer */
} pager_inspect_dir_status;
const char *pager_inspect_dir_status_name(pager_inspect_dir_status s); /* "ok", "beyond the file", ... */

typedef struct pager_inspect_entry {
	uint32_t slot;            /* slot in its directory page */
	uint64_t id;              /* protected id: first_block * dir_capacity + slot, with
				   * its page's first_block */
	uint64_t page_a, page_b;  /* backing copies */
	uint8_t active_slot;      /* 0 = page_a readable, 1 = page_b; anything else is corrupt */
	uint64_t generation;      /* protected commits */
	uint32_t checksum;        /* CRC of the active copy at its last commit, as stored */
	int active_in_file;       /* active_slot is 0/1 and that copy is inside the file */
	uint32_t active_crc;      /* CRC of that copy as the file holds it (when active_in_file) */
} pager_inspect_entry;

typedef struct pager_inspect_dirpage {
	uint64_t page;                    /* page number */
	uint32_t first_block;             /* the lowest block naming it (a hostile index may name
					   * one page for many blocks: it is decoded and listed once) */
	pager_inspect_dir_status status;
	uint32_t crc_stored, crc_computed; /* trailer and CRC of bytes 0..ps-4 (when in the file) */
	uint32_t capacity;                /* bytes 0..4 (when in the file) */
	size_t first_entry, nentries;     /* its in-use entries: entries[first_entry..+nentries) */
	uint32_t free_slots;              /* slots below capacity not in use */
} pager_inspect_dirpage;

typedef struct pager_inspect_block {
	uint32_t index;           /* block number in the index */
	uint64_t page_a, page_b;  /* its two directory pages */
	uint8_t active;           /* selector as stored: 0 = page_a, 1 = page_b */
	size_t dirpage[2];        /* indexes into dirpages for page_a and page_b */
	int used;                 /* the page open reads: 0 = page_a, 1 = page_b (the active
				   * one if readable, else the other), -1 = neither readable */
} pager_inspect_block;

/* The directory index, page 0 bytes 20..ps. */
typedef enum pager_inspect_index_status {
	PAGER_INSPECT_INDEX_OK = 0,     /* count 0, or a valid index */
	PAGER_INSPECT_INDEX_BAD_CRC,    /* count > 0 and the trailer does not match */
	PAGER_INSPECT_INDEX_TOO_MANY,   /* count > (ps-28)/17 */
	PAGER_INSPECT_INDEX_BAD_SELECTOR /* a block's active selector is not 0 or 1 */
} pager_inspect_index_status;
const char *pager_inspect_index_status_name(pager_inspect_index_status s);

typedef struct pager_inspection {
	unsigned format;          /* layout decoded: 1 = mappedpages 0.1; 0 = none (the
				   * superblock is not one this pager reads) */
	uint64_t file_len;        /* bytes */
	size_t page_size;         /* when sb.valid, else 0 */
	uint64_t file_pages;      /* whole pages in the file: file_len / page_size */
	uint64_t trailing_bytes;  /* file_len % page_size */
	pager_inspect_sb sb;

	pager_inspect_meta meta[2]; /* A and B, when sb.valid */
	size_t nmeta;             /* 2 when sb.valid, else 0 */
	int chosen;               /* index into meta open uses, -1 = none (open fails) */
	char choice[512];         /* why, in words */

	/* Directory (when sb.valid). */
	uint32_t index_count;     /* count as stored (bytes 20..24) */
	uint32_t index_max;       /* (ps-28)/17 */
	uint32_t index_crc_stored, index_crc_computed;
	pager_inspect_index_status index_status;
	uint32_t dir_capacity;    /* entries a directory page holds at this page size */
	pager_inspect_block *blocks;    /* the blocks of a valid index */
	uint32_t nblocks;
	pager_inspect_dirpage *dirpages; /* distinct pages the blocks name, ascending */
	size_t ndirpages;
	pager_inspect_entry *entries;    /* in-use entries of every readable dirpage */
	size_t nentries;

	/* Roles of pages 0..nroles-1 as the opened pager sees them (pager_page_roles): the
	 * pages of the file and up to total_pages. Only when open succeeds. */
	uint8_t *roles;           /* pager_role values */
	uint64_t nroles;

	/* pager_open over the same bytes. */
	int open_rc;              /* PAGER_OK or its error */
	int open_expected;        /* the result the decoded sections imply by open's rule
				   * (superblock, then the chosen copy, the index, each block's
				   * pages): equal to open_rc, which tests and fuzz_inspect assert */
	char open_why[256];       /* the section that decides it, in words */
	uint64_t open_pages;      /* when it opens: page count, free count */
	uint64_t open_free;

	/* pager_check over the same bytes. */
	pager_violation *violations;
	size_t nviolations;
} pager_inspection;

/* Inspect an image held in memory (never read outside [img, img+len); img may be NULL
 * when len is 0). Fills *out (free it with pager_inspection_free, also after an error).
 * PAGER_ENOMEM when memory runs out. */
int pager_inspect_image(const uint8_t *img, uint64_t len, pager_inspection *out);
/* Map `path` through io (NULL = pager_io_posix_readonly()) and inspect it. A file that
 * cannot be read is PAGER_EIO (pager_last_errno() says why); *out is then empty. */
int pager_inspect(const char *path, const pager_io *io, pager_inspection *out);
void pager_inspection_free(pager_inspection *in);

#ifdef __cplusplus
}
#endif
#endif
