/* matrix_points.c — the fault matrix's fault points: libfiu's callbacks (one per point
 * of faults.def, sharing mx_fiu: inactive, counting, or armed to fail a case's hit), the
 * point table's lookups, and the names and seeds of matrix.h (modes, errnos). matrix.c's
 * "Method:" comment ("Points") says why every point has its own callback. */
#define _POSIX_C_SOURCE 200809L
#include "matrix_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if TORNPAGE_FIU
#include <fiu-control.h>
#include <fiu.h>
#endif

/* ---- names ---------------------------------------------------------------------- */

const char *matrix_mode_name(matrix_mode m)
{
	return m == MATRIX_PERSIST ? "persist" : m == MATRIX_ONCE ? "once" : "?";
}

int matrix_mode_parse(const char *s, matrix_mode *m)
{
	if (s && !strcmp(s, "once"))
		*m = MATRIX_ONCE;
	else if (s && !strcmp(s, "persist"))
		*m = MATRIX_PERSIST;
	else
		return -1;
	return 0;
}

const char *matrix_at_name(matrix_at at)
{
	static const char *const names[] = {"op", "fault", "end"};
	return (unsigned)at < 3 ? names[at] : "?";
}

static const struct errno_name {
	int err;
	const char *name;
} errno_names[] = {
	{EIO, "EIO"},         {ENOSPC, "ENOSPC"},   {ENOMEM, "ENOMEM"},   {EROFS, "EROFS"},
	{EDQUOT, "EDQUOT"},   {EFBIG, "EFBIG"},     {EINTR, "EINTR"},     {EAGAIN, "EAGAIN"},
	{EACCES, "EACCES"},   {EPERM, "EPERM"},     {EBADF, "EBADF"},     {EINVAL, "EINVAL"},
	{EFAULT, "EFAULT"},   {ENODEV, "ENODEV"},   {ENXIO, "ENXIO"},     {EBUSY, "EBUSY"},
	{EMFILE, "EMFILE"},   {ENFILE, "ENFILE"},   {ENOENT, "ENOENT"},   {EEXIST, "EEXIST"},
	{EOVERFLOW, "EOVERFLOW"}, {ESTALE, "ESTALE"}, {ETXTBSY, "ETXTBSY"}, {ENOTSUP, "ENOTSUP"},
};

const char *matrix_errno_name(int err, char buf[16])
{
	for (size_t i = 0; i < sizeof errno_names / sizeof errno_names[0]; i++)
		if (errno_names[i].err == err)
			return errno_names[i].name;
	snprintf(buf, 16, "%d", err);
	return buf;
}

int matrix_errno_parse(const char *s)
{
	if (!s || !*s)
		return 0;
	for (size_t i = 0; i < sizeof errno_names / sizeof errno_names[0]; i++)
		if (!strcmp(errno_names[i].name, s))
			return errno_names[i].err;
	char *end;
	long v = strtol(s, &end, 10);
	return *end || v < 1 || v > 4095 ? 0 : (int)v;
}

uint64_t matrix_case_seed(uint64_t run_seed, const char *point, uint64_t hit, matrix_mode mode, int err)
{
	/* FNV-1a of the point's name, kept on purpose: the seed of a case is a contract (a
	 * lost-writes case samples its subsets from it, reports print it), and any other
	 * hash here moves every case to other subsets (XXH64 was tried: the CI baseline then
	 * meets a signature the current seeds never sample). */
	uint64_t h = 0xcbf29ce484222325ull;
	for (const char *s = point; s && *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	uint64_t x = subsets_mix64(run_seed ^ subsets_mix64(h));
	x = subsets_mix64(x ^ subsets_mix64(hit));
	return subsets_mix64(x ^ ((uint64_t)mode << 32) ^ (uint64_t)(unsigned)err);
}

int matrix_available(void)
{
#if TORNPAGE_FIU
	return 1;
#else
	return 0;
#endif
}

/* ---- the libfiu callbacks ------------------------------------------------------- */


fiu_state mx_fiu;

#if TORNPAGE_FIU
static int on_point(int pt, void **failinfo)
{
	if (!mx_fiu.active)
		return 0;
	mx_fiu.hits[pt]++;
	if (!mx_fiu.armed)
		return 0;
	int first = 0;
	if (!mx_fiu.failing) {
		if (pt != mx_fiu.target || mx_fiu.hits[pt] != mx_fiu.fire_at)
			return 0;
		first = 1;
		mx_fiu.failing = mx_fiu.persist;
	}
	*failinfo = (void *)(intptr_t)mx_fiu.err;
	mx_fiu.fired++;
	mx_fiu.fired_op++;
	if (first && mx_fiu.on_first)
		mx_fiu.on_first(mx_fiu.on_first_arg);
	return 1;
}

#define PAGER_FAULT(id, name, io, step, disk)                                              \
	static int cb_##id(const char *n, int *failnum, void **failinfo, unsigned int *flags) \
	{                                                                                  \
		(void)n, (void)failnum, (void)flags;                                       \
		return on_point(MX_##id, failinfo);                                        \
	}
#include "faults.def"
#undef PAGER_FAULT

static external_cb_t *const callbacks[MX_COUNT] = {
#define PAGER_FAULT(id, name, io, step, disk) cb_##id,
#include "faults.def"
#undef PAGER_FAULT
};
#endif

#if TORNPAGE_FIU
static int points_enabled;
#endif

/* Enable every point with its callback (inactive). -1 without libfiu. */
int mx_points_enable(void)
{
#if TORNPAGE_FIU
	size_t n;
	const pager_fault_point *pts = pager_fault_points(&n);
	if (n != MX_COUNT || points_enabled)
		return -1;
	memset(&mx_fiu, 0, sizeof mx_fiu);
	if (fiu_init(0))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (fiu_enable_external(pts[i].name, 1, NULL, 0, callbacks[i])) {
			while (i--)
				fiu_disable(pts[i].name);
			return -1;
		}
	}
	points_enabled = 1;
	return 0;
#else
	return -1;
#endif
}

void mx_points_disable(void)
{
#if TORNPAGE_FIU
	size_t n;
	const pager_fault_point *pts = pager_fault_points(&n);
	if (!points_enabled)
		return;
	for (size_t i = 0; i < n; i++)
		fiu_disable(pts[i].name);
	points_enabled = 0;
#endif
	memset(&mx_fiu, 0, sizeof mx_fiu);
}

int mx_point_index(const char *name)
{
	size_t n;
	const pager_fault_point *pts = pager_fault_points(&n);
	for (size_t i = 0; name && i < n; i++)
		if (!strcmp(pts[i].name, name))
			return (int)i;
	return -1;
}

/* The pager_io method of a point ("sync", "unmap", ...). */
const char *mx_point_method(const char *name)
{
	int i = mx_point_index(name);
	size_t n;
	return i < 0 ? "" : pager_fault_points(&n)[i].io;
}
