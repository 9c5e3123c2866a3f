/* fields.h — a structure-aware mutation for fuzz_image: set one field of the format
 * (superblock selector or version, a metadata header field or bitmap byte, the index
 * count, a block reference, a directory page's capacity or an entry field) to a value
 * that sits on a boundary the pager must handle (0, 1, 3, the page count, one past it,
 * all ones, ...). Byte-level mutations rarely hit those 8-byte fields with those values.
 * It is not a repair: CRCs are left stale (repair.h fixes them after). */
#ifndef TORNPAGE_FUZZ_FIELDS_H
#define TORNPAGE_FUZZ_FIELDS_H

#include <stddef.h>
#include <stdint.h>

/* Mutate one field of file (len bytes, pages of 2^log2 bytes), chosen from r (any
 * 64-bit random value). Returns 1 when a field was written, 0 when the file has no
 * such field (too short, bad page size). Never touches bytes outside the file. */
int fields_mutate(uint8_t *file, uint64_t len, unsigned log2, uint64_t r);

#endif
