/* inputs.c — decoding of fuzz inputs (see inputs.h; docs/fuzzing.md "Input formats"). */
#include "inputs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(FUZZ_ASAN)
#define FUZZ_ASAN 1
#endif
#ifdef FUZZ_ASAN
#include <sanitizer/asan_interface.h>
#endif

#include "format.h"

#define SB_LOG2_OFF 8u /* superblock: page_size_log2, u32 LE */

uint32_t fuzz_image_log2(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] < FUZZ_IMAGE_KEEP_LOG2)
		return 10u + data[0] % 3u;
	if (size - 1 < SB_LOG2_OFF + 4)
		return 0;
	return fmt_get32(data + 1 + SB_LOG2_OFF);
}

size_t fuzz_image_decode(const uint8_t *data, size_t size, uint8_t *out)
{
	size_t len = size - 1;
	if (len)
		memcpy(out, data + 1, len);
	if (data[0] < FUZZ_IMAGE_KEEP_LOG2 && len >= SB_LOG2_OFF + 4)
		fmt_put32(out + SB_LOG2_OFF, 10u + data[0] % 3u);
	return len;
}

uint8_t *fuzz_image_buffer(size_t len)
{
	static uint8_t *buf;
	static size_t cap;
	size_t need = len ? len : 1;
	if (need > cap) {
		size_t c = cap ? cap : 4096;
		while (c < need)
			c = c > SIZE_MAX / 2 ? need : c * 2;
		free(buf); /* not realloc: the old bytes are not needed */
		buf = malloc(c);
		cap = buf ? c : 0;
		if (!buf)
			return NULL;
	}
#ifdef FUZZ_ASAN
	__asan_unpoison_memory_region(buf, len);
	__asan_poison_memory_region(buf + len, cap - len);
#endif
	return buf;
}

uint8_t fuzz_image_header_for(const uint8_t *file, size_t len)
{
	if (len < SB_LOG2_OFF + 4)
		return FUZZ_IMAGE_KEEP_LOG2;
	uint32_t log2 = fmt_get32(file + SB_LOG2_OFF);
	return log2 >= 10 && log2 <= 12 ? (uint8_t)(log2 - 10) : (uint8_t)FUZZ_IMAGE_KEEP_LOG2;
}

int fuzz_oplog_decode(const uint8_t *data, size_t size, oplog *out)
{
	uint8_t head[FUZZ_OPLOG_MAX_INPUT];
	size_t n = size < sizeof head ? size : sizeof head;
	if (n)
		memcpy(head, data, n);
	if (n)
		head[0] %= 2u;
	return oplog_from_bytes(head, n, FUZZ_OPLOG_MAX_OPS, out);
}

uint8_t *fuzz_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	uint8_t *buf = malloc(cap);
	while (buf) {
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		uint8_t *b = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
		if (!b) {
			free(buf);
			buf = NULL;
			errno = ENOMEM;
			break;
		}
		buf = b;
		cap *= 2;
	}
	if (buf && ferror(f)) {
		free(buf);
		buf = NULL;
		errno = EIO;
	}
	fclose(f);
	*len = buf ? n : 0;
	return buf;
}
