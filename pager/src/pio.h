/* pio.h — the pager's calls into its pager_io, each behind its libfiu fault point.
 * A failing point returns the errno carried by libfiu's failinfo (EIO when none)
 * before the real call is made, as libfiu's own wrappers do. With TORNPAGE_FIU off
 * the check compiles to nothing. */
#ifndef PAGER_PIO_H
#define PAGER_PIO_H

#include "pager.h"

typedef enum pio_point {
#define PAGER_FAULT(id, name, io, step, disk) PIO_##id,
#include "faults.def"
#undef PAGER_FAULT
	PIO_COUNT
} pio_point;

const char *pio_name(pio_point pt);

int pio_open(const pager_io *io, pio_point pt, const char *path, int create, void **file);
int pio_size(const pager_io *io, pio_point pt, void *file, uint64_t *len);
int pio_set_len(const pager_io *io, pio_point pt, void *file, uint64_t len);
int pio_map(const pager_io *io, pio_point pt, void *file, uint64_t len, uint8_t **addr);
int pio_unmap(const pager_io *io, pio_point pt, void *file, uint8_t *addr, uint64_t len);
int pio_sync(const pager_io *io, pio_point pt, void *file, uint8_t *addr, uint64_t off, uint64_t len);
int pio_close(const pager_io *io, pio_point pt, void *file);

#endif
