/* html.h — one self-contained HTML page for a run of `tornpage crash`, `matrix` or
 * `repro` (--html FILE): the fault matrix as a heat map (point x verdict), the crash
 * findings as a heat map (crash step x verdict), and each reproducer's story with its
 * crash state drawn as a map of the file's pages and units (crash_unit_state: synced,
 * persisted, lost; a page with persisted and lost units is torn). No network: CSS, JS and
 * SVG are inline and a Content-Security-Policy forbids every fetch.
 *
 * Commands feed it while they run (the page is written at the end); reproducers are kept
 * and replayed (repro_run) when the page is written, so their stories and maps are the
 * library's own, never re-derived here. It does not run crash searches or matrices.
 *
 * Conventions: int functions return 0, or -1 when out of memory (or, for write/save, a
 * write failed: errno says why). */
#ifndef TORNPAGE_HTML_H
#define TORNPAGE_HTML_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tornpage/crash.h"
#include "tornpage/report.h"
#include "tornpage/repro.h"

/* Reproducers kept per page: one per finding signature, the first ones met. */
#define HTML_MAX_STORIES 250

typedef struct html_report html_report;

/* title: what ran, e.g. "tornpage crash --atomic 512 a.log" (copied). NULL on ENOMEM. */
html_report *html_new(const char *title);
void html_free(html_report *h);

/* The fault matrix's heat map: every case of r (rows point x mode, columns verdict ids,
 * cells the cases showing the verdict), and its totals. */
int html_add_matrix(html_report *h, const report *r);

/* One crash finding (crash_run's callback) of log `name`: counted in the crash heat map;
 * the first finding of each signature also becomes a reproducer (repro_from_finding with
 * cfg_unit and the note `how`), told with its unit map, up to HTML_MAX_STORIES. */
int html_add_crash_finding(html_report *h, const oplog *log, const char *name, const crash_finding *f,
			   uint32_t cfg_unit, const char *how);

/* A reproducer to tell (copied), named `name` (its file, or its signature). Beyond
 * HTML_MAX_STORIES it is counted, not kept. */
int html_add_repro(html_report *h, const char *name, const repro *r);

/* Write the page: replays every reproducer kept. */
int html_write(html_report *h, FILE *f);
/* html_write into the file at path, fclose checked (the library writes only where it is
 * told: a caller that wants stdout calls html_write itself). */
int html_save(html_report *h, const char *path);

#endif
