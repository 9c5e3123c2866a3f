/* v2_check.c — pager_check for format 2 images. It recovers the image exactly as
 * pager_open does (v2_load: the same code, so the checker cannot drift from recovery)
 * and reports why recovery refuses it, then checks what recovery does not read: every
 * in-use protected page's readable copy against the CRC its entry records (reads
 * verify it; the checker says so before a read does). A damaged copy that recovery
 * does not need — an older root, the other mirror copy of a directory page — is not a
 * violation: the format keeps two copies precisely so that one may be lost. */
#include "v2_int.h"

#include <inttypes.h>
#include <stdio.h>

typedef struct v2_check {
	pager_violation_fn fn;
	void *arg;
	size_t count;
} v2_check;

static void report(void *arg, const char *id, uint64_t page, uint64_t offset, const char *detail)
{
	v2_check *c = arg;
	c->count++;
	if (!c->fn)
		return;
	pager_violation v = {.id = id, .page = page, .offset = offset};
	snprintf(v.detail, sizeof v.detail, "%s", detail);
	c->fn(c->arg, &v);
}

size_t v2_check_image(const uint8_t *img, uint64_t len, const pager_check_opts *opts, pager_violation_fn fn,
		      void *arg)
{
	v2_check c = {fn, arg, 0};
	v2_state s;
	v2_load_opts lo = {opts, NULL, NULL};
	int rc = v2_load_ex(img, len, &s, report, &c, &lo);
	if (rc == PAGER_ENOMEM)
		return SIZE_MAX;
	if (rc)
		return c.count;
	for (uint32_t b = 0; b < s.nblocks; b++) {
		const fmt_entry *ents = s.entries + (size_t)b * s.epp;
		for (uint32_t i = 0; i < s.epp; i++) {
			const fmt_entry *e = &ents[i];
			if (!e->in_use)
				continue;
			uint64_t pg = e->active_slot ? e->page_b : e->page_a; /* < total <= len / ps */
			uint32_t crc = opts && opts->page_crc ? opts->page_crc(opts->crc_arg, img, pg, s.ps)
							      : fmt_crc(0, img + pg * s.ps, s.ps);
			if (crc == e->checksum)
				continue;
			char d[160];
			uint64_t dir = s.blocks[b].page[s.blocks[b].active][0];
			snprintf(d, sizeof d,
				 "protected id %" PRIu64 " (entry at page %" PRIu64 "): expected CRC %08" PRIx32
				 ", found %08" PRIx32,
				 (uint64_t)b * s.epp + i, dir, e->checksum, crc);
			report(&c, "I-PROT-CRC", pg, pg * s.ps, d);
		}
	}
	v2_state_free(&s);
	return c.count;
}
