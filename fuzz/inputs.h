/* inputs.h — what the fuzz targets' input bytes mean, in one place: fuzz_image's header
 * byte and fuzz_oplog's bounded op log. Shared by the targets, the custom mutator,
 * mkimages (which writes seed inputs) and the tests, so that a saved corpus keeps
 * decoding the same way. docs/fuzzing.md describes both encodings; keep them stable.
 * It does not run anything: image_ops.h and the targets do. */
#ifndef TORNPAGE_FUZZ_INPUTS_H
#define TORNPAGE_FUZZ_INPUTS_H

#include <stddef.h>
#include <stdint.h>

#include "tornpage/oplog.h"

/* ---- fuzz_image: one header byte, then the file ----------------------------------- */
/* Header byte h < FUZZ_IMAGE_KEEP_LOG2: the page size is 2^(10 + h % 3) (1, 2 or 4 KiB)
 * and it is written into the file's superblock (bytes 8..12) when the file has them.
 * h >= FUZZ_IMAGE_KEEP_LOG2: the file keeps its own page_size_log2 (hostile values). */
#define FUZZ_IMAGE_KEEP_LOG2 0xF0u
/* Files longer than this are not run (a few MiB under ASan is already slow). */
#define FUZZ_IMAGE_MAX_FILE (4u << 20)

/* The page_size_log2 an input will have once decoded: 10..12 from the header byte, or
 * the file's own field (any u32; 0 when the file is shorter than 12 bytes). */
uint32_t fuzz_image_log2(const uint8_t *data, size_t size);
/* Copy the file part of an input into out (size - 1 bytes) and apply the header byte.
 * Returns the file length; size must be >= 1. */
size_t fuzz_image_decode(const uint8_t *data, size_t size, uint8_t *out);
/* A buffer for a decoded file of len bytes, kept from call to call (an allocation per
 * input is most of a small input's cost under ASan, and an mmap + page faults for a big
 * one). It grows, never shrinks, and is never freed. Under ASan every byte from len on
 * is poisoned, so an access past the file is reported as with an exact-length malloc;
 * one before it hits the allocation's left redzone. NULL when out of memory. */
uint8_t *fuzz_image_buffer(size_t len);
/* The header byte that reproduces `file` as it is: its own page size when 10..12,
 * otherwise FUZZ_IMAGE_KEEP_LOG2. */
uint8_t fuzz_image_header_for(const uint8_t *file, size_t len);

/* ---- files ------------------------------------------------------------------------- */
/* The whole of file `path`, malloc'd (free it), its length in *len; NULL with errno set
 * when it cannot be opened or read, or memory runs out. For the replayer and the tools. */
uint8_t *fuzz_read_file(const char *path, size_t *len);

/* ---- fuzz_oplog: oplog_from_bytes, bounded ----------------------------------------- */
#define FUZZ_OPLOG_MAX_OPS 40u   /* ops after the create */
/* Bytes that can matter: the page byte, then at most 3 per op. */
#define FUZZ_OPLOG_MAX_INPUT (1u + 3u * FUZZ_OPLOG_MAX_OPS)

/* oplog_from_bytes with two bounds: byte 0 is read modulo 2, so pages are 1 or 2 KiB
 * (crash enumeration on 4 KiB pages is 4x slower per image, for no new protocol), and at
 * most FUZZ_OPLOG_MAX_OPS ops. 0, or -1 when out of memory. */
int fuzz_oplog_decode(const uint8_t *data, size_t size, oplog *out);

#endif
