/* cli_inspect.c — `tornpage inspect IMAGE...` (every structure of an image, decoded) and
 * `tornpage check IMAGE...` (does it open, and what pager_check says): both read each
 * file read-only through pager_inspect and print it as text or JSON (tornpage/image.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "pager_inspect.h"
#include "tornpage/image.h"

static const char inspect_usage[] =
	"usage: tornpage inspect [--json FILE] IMAGE...\n\n"
	"Shows what an image holds, the way dumpe2fs or mdb_stat do: the superblock; both\n"
	"metadata copies (generation, CRC stored and computed, which one open chooses and\n"
	"why); the allocation bitmap as runs; the directory index and every block's two\n"
	"pages with their entries; the role of every page; what open and pager_check say.\n"
	"Files are only read (opened read-only, mapped privately): never changed.\n\n"
	"  --json FILE   also write it as JSON (docs/inspect.md); '-' = stdout, instead of text\n\n"
	"Exit: 0 opens with no violation, 1 violations or does not open, 2 unreadable file.\n";

static const char check_usage[] =
	"usage: tornpage check [--json FILE] IMAGE...\n\n"
	"Opens each file as the pager would (recovery included) and lists every violated\n"
	"structural invariant (docs/invariants.md) with the page and byte it concerns.\n"
	"Files are only read (opened read-only, mapped privately): never changed.\n\n"
	"  --json FILE   also write the verdicts as JSON (docs/inspect.md); '-' = stdout,\n"
	"                instead of text\n\n"
	"Exit: 0 clean, 1 violations or the file does not open, 2 unreadable file.\n";

/* Why an image cannot be read, in words: the read-only layer's errno (pager_io.h). */
static const char *read_error(int err)
{
	return err == ENODEV ? "not a regular file or block device" : strerror(err);
}

enum { O_JSON = CLI_OPT_FIRST };

static int run_images(const char *cmd, image_json_kind kind, const char *usage, int argc, char **argv)
{
	static const struct option opts[] = {CLI_OPT_COMMON, {"json", required_argument, NULL, O_JSON}, {0}};
	const char *json = NULL;
	cli c;
	cli_init(&c, cmd, usage, opts, argc, argv);
	for (int o; (o = cli_next(&c)) != CLI_END;) {
		if (o == CLI_STOP)
			return c.rc;
		if (o == O_JSON)
			json = c.arg;
	}
	if (cli_operands(&c, 1, -1, "image") < 0)
		return CLI_USAGE;
	/* Every image must be readable before anything is printed or written: an unreadable
	 * one is refused with one line and exit 2, and nothing partial is left. */
	const pager_io *ro = pager_io_posix_readonly();
	for (int i = c.first; i < argc; i++) {
		void *file;
		int e = ro->open(ro->ctx, "inspect/open", argv[i], 0, &file);
		if (e)
			return cli_err(cmd, "%s: cannot read: %s", argv[i], read_error(e));
		ro->close(ro->ctx, "inspect/close", file);
	}
	int text = !json || strcmp(json, "-") != 0; /* --json -: stdout holds only the JSON */
	image_json *j = NULL;
	if (json && !(j = image_json_new(kind)))
		return cli_err(cmd, "out of memory");
	int rc = CLI_OK;
	for (int i = c.first; i < argc; i++) {
		const char *path = argv[i];
		pager_inspection in;
		int e = pager_inspect(path, NULL, &in);
		if (e != PAGER_OK) {
			/* Not an answer about the image: the file could not be read (it changed
			 * since the first pass, or memory ran out). */
			const char *why = e == PAGER_EIO ? read_error(pager_last_errno()) : pager_strerror(e);
			rc = cli_err(cmd, "%s: cannot read: %s", path, why);
			if (j && image_json_add_error(j, path, why))
				rc = cli_err(cmd, "out of memory");
			pager_inspection_free(&in);
			continue;
		}
		if (text && kind == IMAGE_JSON_INSPECT && i > c.first)
			putchar('\n');
		if (text)
			(kind == IMAGE_JSON_INSPECT ? image_text_inspect : image_text_check)(stdout, path, &in);
		if (j && image_json_add(j, path, &in))
			rc = cli_err(cmd, "out of memory");
		if ((in.open_rc != PAGER_OK || in.nviolations) && rc == CLI_OK)
			rc = CLI_VIOLATIONS;
		pager_inspection_free(&in);
	}
	/* A failed write to stdout (--json - too) is main.c's to report, once. */
	if (j && !strcmp(json, "-")) {
		if (image_json_write(j, stdout) && !ferror(stdout))
			rc = cli_err(cmd, "out of memory");
	} else if (j && image_json_save(j, json)) {
		rc = cli_err(cmd, "%s: cannot write: %s", json, strerror(errno));
	}
	image_json_free(j);
	return rc;
}

int cli_inspect(int argc, char **argv)
{
	return run_images("inspect", IMAGE_JSON_INSPECT, inspect_usage, argc, argv);
}

int cli_check(int argc, char **argv)
{
	return run_images("check", IMAGE_JSON_CHECK, check_usage, argc, argv);
}
