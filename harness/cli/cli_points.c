/* cli_points.c — `tornpage points` and `tornpage verdicts`: the two catalogues. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "pager.h"
#include "tornpage/verdicts.h"

static const char points_usage[] =
	"usage: tornpage points [--md]\n\n"
	"Every fault point of the pager (pager/src/faults.def): its libfiu name, the\n"
	"pager_io call it guards, the protocol step and what is durable when it fails.\n"
	"--md: as a Markdown table.\n";

int cli_points(int argc, char **argv)
{
	enum { O_MD = CLI_OPT_FIRST };
	static const struct option opts[] = {CLI_OPT_COMMON, {"md", no_argument, NULL, O_MD}, {0}};
	int md = 0;
	cli c;
	cli_init(&c, "points", points_usage, opts, argc, argv);
	for (int o; (o = cli_next(&c)) != CLI_END;) {
		switch (o) {
		case CLI_STOP:
			return c.rc;
		case O_MD:
			md = 1;
			break;
		}
	}
	if (cli_operands(&c, 0, 0, NULL) < 0)
		return CLI_USAGE;
	size_t n;
	const pager_fault_point *pt = pager_fault_points(&n);
	if (md)
		puts("| point | I/O call | protocol step | durable when it fails |\n|---|---|---|---|");
	for (size_t i = 0; i < n; i++) {
		if (md)
			printf("| `%s` | %s | %s | %s |\n", pt[i].name, pt[i].io, pt[i].step, pt[i].on_disk);
		else
			printf("%-30s %-8s %s\n%-39s durable: %s\n", pt[i].name, pt[i].io, pt[i].step, "", pt[i].on_disk);
	}
	return CLI_OK;
}

static const char verdicts_usage[] =
	"usage: tornpage verdicts\n\n"
	"Every verdict id (stable; reproducers refer to them) and its meaning.\n";

int cli_verdicts(int argc, char **argv)
{
	static const struct option opts[] = {CLI_OPT_COMMON, {0}};
	cli c;
	cli_init(&c, "verdicts", verdicts_usage, opts, argc, argv);
	for (int o; (o = cli_next(&c)) != CLI_END;)
		if (o == CLI_STOP)
			return c.rc;
	if (cli_operands(&c, 0, 0, NULL) < 0)
		return CLI_USAGE;
	size_t n;
	const verdict_info *v = verdict_all(&n);
	for (size_t i = 0; i < n; i++)
		printf("%-18s %-10s %s\n", v[i].id, v[i].cls, v[i].meaning);
	return CLI_OK;
}
