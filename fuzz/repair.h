/* repair.h — rewrite every CRC of a mappedpages 0.1 image so that it matches the bytes
 * around it: what fuzz_image's custom mutator does after each mutation, so mutations
 * reach the logic behind the checks instead of dying at the first CRC.
 * It is not a fixer: it never changes a field other than a CRC (a bad selector, count,
 * capacity or page number stays bad), and it never reads or writes outside the image. */
#ifndef TORNPAGE_FUZZ_REPAIR_H
#define TORNPAGE_FUZZ_REPAIR_H

#include <stddef.h>
#include <stdint.h>

/* What one repair touched: how many CRC fields it wrote (rewritten with the same value
 * or not) and how many of those changed. */
typedef struct repair_stats {
	uint32_t written;  /* CRC fields computed and stored */
	uint32_t changed;  /* of which held a different value before */
} repair_stats;

/* Repair img (len bytes) as a file of 2^log2-byte pages. Order (repair.c "Method:"),
 * each CRC written after everything it covers: both metadata trailers; the superblock's
 * whole-page CRC of the metadata copy its selector names (selector 0 or 1); the
 * directory index trailer (only when the index count is nonzero); then, for every block
 * the index names, both directory pages: the in-use entries' checksums of their active
 * copies, then the page's trailer — this last step twice, since an entry's copy may be
 * a directory page whose trailer the first pass rewrote. Returns 0, or -1 when nothing
 * can be repaired (log2 outside 10..30, or the image shorter than 3 pages). st may be
 * NULL. */
int repair_image(uint8_t *img, uint64_t len, unsigned log2, repair_stats *st);

#endif
