/* cli_points.c — `tornpage points` and `tornpage verdicts`: the two catalogues. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "pager.h"
#include "judge/verdicts.h"

int cli_points(int argc, char **argv)
{
	int md = argc > 1 && !strcmp(argv[1], "--md");
	if (argc > 1 && !md) {
		puts("usage: tornpage points [--md]\n\nEvery fault point of the pager (pager/src/faults.def): its libfiu name, the\n"
		     "pager_io call it guards, the protocol step and what is durable when it fails.");
		return strcmp(argv[1], "--help") && strcmp(argv[1], "-h") ? CLI_USAGE : CLI_OK;
	}
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

int cli_verdicts(int argc, char **argv)
{
	if (argc > 1) {
		puts("usage: tornpage verdicts\n\nEvery verdict id (stable; reproducers refer to them) and its meaning.");
		return strcmp(argv[1], "--help") && strcmp(argv[1], "-h") ? CLI_USAGE : CLI_OK;
	}
	size_t n;
	const verdict_info *v = verdict_all(&n);
	for (size_t i = 0; i < n; i++)
		printf("%-18s %-10s %s\n", v[i].id, v[i].cls, v[i].meaning);
	return CLI_OK;
}
