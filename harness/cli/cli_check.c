/* cli_check.c — `tornpage check IMAGE...`: the structural verdict of any file. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "pager.h"

static const char usage_text[] =
	"usage: tornpage check IMAGE...\n\n"
	"Opens each file as the pager would (recovery included) and lists every violated\n"
	"structural invariant (docs/invariants.md) with the page and byte it concerns.\n"
	"Files are only read (opened read-only, mapped privately): never changed.\n"
	"Exit: 0 clean, 1 violations or the file does not open, 2 unreadable file.\n";

static void print_violation(void *arg, const pager_violation *v)
{
	(void)arg;
	printf("  %-16s", v->id);
	if (v->page != UINT64_MAX)
		printf(" page %" PRIu64, v->page);
	if (v->offset != UINT64_MAX)
		printf(" byte %" PRIu64, v->offset);
	printf(": %s\n", v->detail);
}

/* Why an image cannot be read, in words: the read-only layer's errno (pager_io.h). */
static const char *read_error(int err)
{
	return err == ENODEV ? "not a regular file or block device" : strerror(err);
}

int cli_check(int argc, char **argv)
{
	/* Read-only: a read-only image, or a user without write access, is enough. */
	const pager_io *io = pager_io_posix_readonly();
	static const struct option opts[] = {CLI_OPT_COMMON, {0}};
	int rc = CLI_OK;
	cli c;
	cli_init(&c, "check", usage_text, opts, argc, argv);
	for (int o; (o = cli_next(&c)) != CLI_END;)
		if (o == CLI_STOP)
			return c.rc;
	if (cli_operands(&c, 1, -1, "image") < 0)
		return CLI_USAGE;
	for (int i = c.first; i < argc; i++) {
		pager *p;
		int orc = pager_open(argv[i], io, &p);
		if (orc == PAGER_EIO) {
			/* Not an answer about the image: the file could not be read. */
			cli_err("check", "%s: cannot read: %s", argv[i], read_error(pager_last_errno()));
			rc = CLI_USAGE;
			continue;
		}
		if (orc == 0) {
			printf("%s: opens: %zu-byte pages, %" PRIu64 " pages, %" PRIu64 " free\n", argv[i],
			       pager_page_size(p), pager_page_count(p), pager_free_page_count(p));
			pager_close(p);
		} else {
			printf("%s: does not open: %s\n", argv[i], pager_strerror(orc));
			if (rc == CLI_OK)
				rc = CLI_VIOLATIONS;
		}
		int n = pager_check(argv[i], io, print_violation, NULL);
		if (n < 0) {
			cli_err("check", "%s: cannot check: %s", argv[i],
				n == PAGER_EIO ? read_error(pager_last_errno()) : pager_strerror(n));
			rc = CLI_USAGE;
		} else {
			printf("  %d violation(s)\n", n);
			if (n > 0 && rc == CLI_OK)
				rc = CLI_VIOLATIONS;
		}
	}
	return rc;
}
