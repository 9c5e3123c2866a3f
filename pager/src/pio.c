/* pio.c — fault-checked calls into the I/O layer (see pio.h) and the fault table. */
#include "pio.h"

#include <errno.h>
#include <stdint.h>

#if TORNPAGE_FIU
#include <fiu.h>
#endif

static const pager_fault_point points[PIO_COUNT] = {
#define PAGER_FAULT(id, name, io, step, disk) {name, io, step, disk},
#include "faults.def"
#undef PAGER_FAULT
};

const pager_fault_point *pager_fault_points(size_t *count)
{
	*count = PIO_COUNT;
	return points;
}

const char *pio_name(pio_point pt)
{
	return points[pt].name;
}

/* Nonzero errno when the point is enabled and fires. The errno is the test's choice,
 * passed as libfiu failinfo ((void *)(intptr_t)EIO); libfiu's default would be none. */
static int fault(pio_point pt)
{
#if TORNPAGE_FIU
	if (fiu_fail(points[pt].name)) {
		intptr_t e = (intptr_t)fiu_failinfo();
		return e > 0 && e < 4096 ? (int)e : EIO;
	}
#else
	(void)pt;
#endif
	return 0;
}

/* The fault check for one call: nonzero errno when the point fires, after telling the
 * layer (faulted) so a simulated disk can model what the failed call left behind. */
static int injected(const pager_io *io, pio_point pt, void *file, uint64_t off, uint64_t len)
{
	int e = fault(pt);
	if (e && io->faulted)
		io->faulted(io->ctx, points[pt].name, file, off, len, e);
	return e;
}

int pio_open(const pager_io *io, pio_point pt, const char *path, int create, void **file)
{
	int e = injected(io, pt, NULL, 0, 0);
	return e ? e : io->open(io->ctx, points[pt].name, path, create, file);
}

int pio_size(const pager_io *io, pio_point pt, void *file, uint64_t *len)
{
	int e = injected(io, pt, file, 0, 0);
	return e ? e : io->size(io->ctx, points[pt].name, file, len);
}

int pio_set_len(const pager_io *io, pio_point pt, void *file, uint64_t len)
{
	int e = injected(io, pt, file, 0, 0);
	return e ? e : io->set_len(io->ctx, points[pt].name, file, len);
}

int pio_map(const pager_io *io, pio_point pt, void *file, uint64_t len, uint8_t **addr)
{
	int e = injected(io, pt, file, 0, 0);
	return e ? e : io->map(io->ctx, points[pt].name, file, len, addr);
}

int pio_unmap(const pager_io *io, pio_point pt, void *file, uint8_t *addr, uint64_t len)
{
	int e = injected(io, pt, file, 0, 0);
	return e ? e : io->unmap(io->ctx, points[pt].name, file, addr, len);
}

int pio_sync(const pager_io *io, pio_point pt, void *file, uint8_t *addr, uint64_t off, uint64_t len)
{
	int e = injected(io, pt, file, off, len);
	return e ? e : io->sync(io->ctx, points[pt].name, file, addr, off, len);
}

int pio_close(const pager_io *io, pio_point pt, void *file)
{
	int e = injected(io, pt, file, 0, 0);
	return e ? e : io->close(io->ctx, points[pt].name, file);
}
