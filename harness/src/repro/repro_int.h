/* repro_int.h — what the files of reproducers share (repro.h is the public header;
 * repro.c's "Method:" comment is the reference). Not for use outside harness/src/repro/.
 *
 *   repro.c         string sets, names, signatures, copies, building and saving
 *   repro_format.c  the file format: parse (directives, notes) and print
 *   repro_run.c     replay: crash and fault cases, where a fault fires, the story */
#ifndef TORNPAGE_REPRO_INT_H
#define TORNPAGE_REPRO_INT_H

#include "tornpage/repro.h"

/* Append a note (text without the '#'; one leading blank dropped; control bytes read as
 * '?'). 0 or -1 (ENOMEM). */
int repro_note_add(repro *r, const char *s, size_t n);
/* Op k as the log writes it ("fill a 3"), without its comment. */
void repro_op_text(const oplog *log, size_t k, char *out, size_t n);
/* qsort / bsearch order of unit indexes (uint64_t). */
int repro_unit_cmp(const void *a, const void *b);
/* "#! atomic" value of a unit: its bytes, or "page" for 0. */
const char *repro_atomic_name(uint32_t unit, char *buf, size_t n);

#endif
