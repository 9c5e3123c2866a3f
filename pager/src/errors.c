/* errors.c — pager_strerror, the thread's last I/O errno, role names. */
#include "pager_int.h"

#include <errno.h>

static _Thread_local int last_errno;

int pager_io_error(int e)
{
	last_errno = e;
	return PAGER_EIO;
}

int pager_last_errno(void)
{
	return last_errno;
}

/* Indexed by -rc. Each string starts with the code's name, as LMDB's do. */
static const char *const messages[PAGER_ERR_COUNT] = {
	"PAGER_OK: success",
	"PAGER_EIO: I/O error (see pager_last_errno)",
	"PAGER_EINVALID_PAGE_SIZE: page_size_log2 must be at least 10 (and at most 30 here)",
	"PAGER_ECORRUPT_SUPERBLOCK: superblock missing, bad magic or version, bad metadata selector, or file shorter than 4 pages",
	"PAGER_ECORRUPT_METADATA: no valid metadata copy, or total_pages names a page the file does not hold",
	"PAGER_EOUT_OF_BOUNDS: page or protected id out of range",
	"PAGER_ERESERVED_PAGE: pages 0-2 are reserved",
	"PAGER_EDOUBLE_FREE: page or protected id already free",
	"PAGER_EUNAVAILABLE: a remap failed; the pager must be reopened",
	"PAGER_ECORRUPT_PROTECTED_DIR: a directory block has no readable copy, or an entry points past the file",
	"PAGER_ECORRUPT_DIR_INDEX: the directory index in page 0 is corrupt",
	"PAGER_EDIRECTORY_FULL: no room for another directory block in page 0",
	"PAGER_EEXISTS: the file already exists",
	"PAGER_ENOMEM: out of memory",
	"PAGER_EBITMAP_FULL: growing would overflow the metadata bitmap's page",
	"PAGER_EINVAL: invalid argument or call sequence (e.g. a stale protected writer)",
	"PAGER_ENOT_ALLOCATED: the page is not allocated (format 2 refuses to hand out a free page)",
	"PAGER_ECORRUPT_PAGE: a protected page's readable copy does not match its checksum",
};

const char *pager_strerror(int rc)
{
	if (rc > 0 || rc <= -PAGER_ERR_COUNT)
		return "PAGER_E?: unknown error code";
	return messages[-rc];
}

const char *pager_role_name(pager_role r)
{
	static const char *const names[] = {"free", "superblock", "meta A", "meta B",
					    "directory", "protected", "regular", "beyond",
					    "root", "reserved"};
	return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "?";
}
