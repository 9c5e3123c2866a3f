/* image_text.c — `tornpage inspect` and `tornpage check` as text: one section per
 * structure, each field with the bytes it came from, each verdict beside what it is
 * about. The model is pager_inspect.h; this file only lays it out. */
#include "tornpage/image.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

size_t image_role_runs(const pager_inspection *in, image_role_fn fn, void *arg)
{
	size_t runs = 0;
	uint64_t i = 0;
	while (i < in->nroles) {
		uint64_t j = i + 1;
		while (j < in->nroles && in->roles[j] == in->roles[i])
			j++;
		if (fn)
			fn(arg, i, j - i, (pager_role)in->roles[i]);
		runs++;
		i = j;
	}
	return runs;
}

static void range(FILE *f, uint64_t first, uint64_t count)
{
	if (count == 1)
		fprintf(f, "%" PRIu64, first);
	else
		fprintf(f, "%" PRIu64 "-%" PRIu64, first, first + count - 1);
}

static const char *ok(int b) { return b ? "ok" : "MISMATCH"; }

static void text_sb(FILE *f, const pager_inspection *in)
{
	const pager_inspect_sb *sb = &in->sb;
	fprintf(f, "superblock (page 0, bytes 0..20):");
	if (!sb->present) {
		fprintf(f, " missing: %s\n", sb->problem);
		return;
	}
	fprintf(f, "%s%s\n", sb->valid ? "" : " INVALID: ", sb->problem);
	fprintf(f, "  magic           %02x %02x %02x %02x  \"", sb->magic[0], sb->magic[1], sb->magic[2], sb->magic[3]);
	for (int i = 0; i < 4; i++)
		fputc(sb->magic[i] >= 0x20 && sb->magic[i] < 0x7f ? sb->magic[i] : '.', f);
	fprintf(f, "\"\n  version         %u.%u.%u.%u (major.minor must be 0.1)\n", sb->version[0], sb->version[1],
		sb->version[2], sb->version[3]);
	fprintf(f, "  page_size_log2  %" PRIu32, sb->page_size_log2);
	if (sb->page_size_log2 < 64)
		fprintf(f, " (%" PRIu64 " bytes)", (uint64_t)1 << sb->page_size_log2);
	fprintf(f, "\n  active meta     %u (%s)\n", sb->active_meta,
		sb->active_meta == 0 ? "A, page 1" : sb->active_meta == 1 ? "B, page 2" : "invalid");
	fprintf(f, "  padding         %02x %02x %02x\n", sb->pad[0], sb->pad[1], sb->pad[2]);
	fprintf(f, "  meta checksum   0x%08" PRIx32 " (CRC of the whole selected metadata page)\n", sb->meta_checksum);
}

static void text_meta(FILE *f, const pager_inspection *in, const pager_inspect_meta *m)
{
	fprintf(f, "  %c (page %" PRIu64 ")%s%s\n", m->name, m->page, m->selected ? "  selected by the superblock" : "",
		in->chosen >= 0 && &in->meta[in->chosen] == m ? "  CHOSEN by open" : "");
	fprintf(f, "    total_pages %" PRIu64 "  generation %" PRIu64 "  free_count %" PRIu64 "\n", m->total_pages,
		m->generation, m->free_count);
	fprintf(f, "    trailer CRC stored 0x%08" PRIx32 ", computed 0x%08" PRIx32 ": %s\n", m->crc_stored, m->crc_computed,
		ok(m->crc_ok));
	fprintf(f, "    whole-page CRC 0x%08" PRIx32 "%s\n", m->whole_crc,
		m->sb_crc_ok ? " = the superblock's" : " (not the superblock's)");
	if (!m->fits) {
		fprintf(f, "    bitmap: total_pages does not fit before the trailer (at most %" PRIu64 " pages)\n",
			(uint64_t)(in->page_size - 28) * 8);
		return;
	}
	fprintf(f, "    bitmap: %" PRIu64 " allocated, %" PRIu64 " free%s%s\n", m->allocated, m->free_bits,
		m->free_bits == m->free_count ? " (= free_count)" : " (free_count DISAGREES)",
		m->tail_clean ? "" : "; stray bits or bytes after the bitmap");
	/* Runs, wrapped at about 80 columns. */
	int col = 0;
	for (size_t i = 0; i < m->nruns; i++) {
		char run[64];
		const pager_inspect_run *r = &m->runs[i];
		if (r->count == 1)
			snprintf(run, sizeof run, "%" PRIu64 " %s", r->first, r->allocated ? "used" : "free");
		else
			snprintf(run, sizeof run, "%" PRIu64 "-%" PRIu64 " %s", r->first, r->first + r->count - 1,
				 r->allocated ? "used" : "free");
		if (col && col + strlen(run) + 2 > 78) {
			fprintf(f, ",\n");
			col = 0;
		}
		col += fprintf(f, "%s%s", col ? ", " : "      ", run);
	}
	if (m->runs_total > m->nruns)
		fprintf(f, " ... (%" PRIu64 " runs in all)", m->runs_total);
	if (m->nruns)
		fprintf(f, "\n");
}

static void text_entries(FILE *f, const pager_inspection *in, const pager_inspect_dirpage *d)
{
	if (!d->nentries)
		return;
	fprintf(f, "      %-5s %-8s %-8s %-8s %-6s %-10s %-10s %s\n", "slot", "id", "page_a", "page_b", "active",
		"generation", "checksum", "active copy now");
	for (size_t k = 0; k < d->nentries; k++) {
		const pager_inspect_entry *e = &in->entries[d->first_entry + k];
		char act[8];
		if (e->active_slot <= 1)
			snprintf(act, sizeof act, "%c", e->active_slot ? 'b' : 'a');
		else
			snprintf(act, sizeof act, "%u!", e->active_slot);
		fprintf(f, "      %-5" PRIu32 " %-8" PRIu64 " %-8" PRIu64 " %-8" PRIu64 " %-6s %-10" PRIu64 " 0x%08" PRIx32 " ",
			e->slot, e->id, e->page_a, e->page_b, act, e->generation, e->checksum);
		if (e->active_in_file)
			fprintf(f, "0x%08" PRIx32 " %s\n", e->active_crc, ok(e->active_crc == e->checksum));
		else
			fprintf(f, "not in the file\n");
	}
}

static void text_dirpage(FILE *f, const pager_inspection *in, const pager_inspect_block *b, int which)
{
	const pager_inspect_dirpage *d = &in->dirpages[b->dirpage[which]];
	fprintf(f, "    page_%c %" PRIu64 "%s%s: %s", which ? 'b' : 'a', d->page, b->active == which ? " (active)" : "",
		b->used == which ? " READ BY OPEN" : "", pager_inspect_dir_status_name(d->status));
	if (d->status == PAGER_INSPECT_DIR_BEYOND) {
		fprintf(f, "\n");
		return;
	}
	if (d->status == PAGER_INSPECT_DIR_BAD_CRC)
		fprintf(f, " (stored 0x%08" PRIx32 ", computed 0x%08" PRIx32 ")", d->crc_stored, d->crc_computed);
	else
		fprintf(f, ", CRC 0x%08" PRIx32, d->crc_stored);
	fprintf(f, ", capacity %" PRIu32, d->capacity);
	if (d->capacity > in->dir_capacity) {
		fprintf(f, " (more than %" PRIu32 ")\n", in->dir_capacity);
		return;
	}
	if (d->first_block != b->index) {
		fprintf(f, "; entries under block %" PRIu32 "\n", d->first_block);
		return;
	}
	fprintf(f, ", %zu in use, %" PRIu32 " free\n", d->nentries, d->free_slots);
	text_entries(f, in, d);
}

static void text_dir(FILE *f, const pager_inspection *in)
{
	fprintf(f, "directory index (page 0, bytes 20..%zu): %" PRIu32 " block(s) (at most %" PRIu32 "), %s\n",
		in->page_size, in->index_count, in->index_max, pager_inspect_index_status_name(in->index_status));
	if (in->index_count)
		fprintf(f, "  CRC stored 0x%08" PRIx32 ", computed 0x%08" PRIx32 ": %s\n", in->index_crc_stored,
			in->index_crc_computed, ok(in->index_crc_stored == in->index_crc_computed));
	else
		fprintf(f, "  no protected page ever existed (the CRC is not checked when the count is 0)\n");
	if (in->index_count && in->index_status != PAGER_INSPECT_INDEX_OK)
		fprintf(f, "  (open refuses the index; the blocks below are as stored)\n");
	for (uint32_t i = 0; i < in->nblocks; i++) {
		const pager_inspect_block *b = &in->blocks[i];
		fprintf(f, "  block %" PRIu32 ": page_a %" PRIu64 ", page_b %" PRIu64 ", active ", b->index, b->page_a, b->page_b);
		if (b->active <= 1)
			fputc(b->active ? 'b' : 'a', f);
		else
			fprintf(f, "%u (invalid)", b->active);
		fprintf(f, "%s\n", b->used < 0 && b->active <= 1 ? "; NEITHER page is readable" : "");
		text_dirpage(f, in, b, 0);
		text_dirpage(f, in, b, 1);
	}
}

static void role_run(void *arg, uint64_t first, uint64_t count, pager_role role)
{
	FILE *f = arg;
	fprintf(f, "  ");
	range(f, first, count);
	fprintf(f, " %s\n", pager_role_name(role));
}

static void text_violations(FILE *f, const pager_inspection *in)
{
	for (size_t i = 0; i < in->nviolations; i++) {
		const pager_violation *v = &in->violations[i];
		fprintf(f, "  %-16s", v->id);
		if (v->page != UINT64_MAX)
			fprintf(f, " page %" PRIu64, v->page);
		if (v->offset != UINT64_MAX)
			fprintf(f, " byte %" PRIu64, v->offset);
		fprintf(f, ": %s\n", v->detail);
	}
}

int image_text_inspect(FILE *f, const char *name, const pager_inspection *in)
{
	fprintf(f, "%s: %" PRIu64 " bytes", name, in->file_len);
	if (in->sb.valid)
		fprintf(f, ", format %u (mappedpages 0.1), %zu-byte pages, %" PRIu64 " whole pages%s", in->format,
			in->page_size, in->file_pages, in->trailing_bytes ? " and a partial one" : "");
	fprintf(f, "\n");
	text_sb(f, in);
	if (in->sb.valid) {
		fprintf(f, "metadata copies (pages 1 and 2):\n");
		for (size_t i = 0; i < in->nmeta; i++)
			text_meta(f, in, &in->meta[i]);
		fprintf(f, "  open uses %s\n", in->choice);
		text_dir(f, in);
	}
	if (in->nroles) {
		fprintf(f, "page roles (as the opened pager sees them):\n");
		image_role_runs(in, role_run, f);
		if (in->open_pages > in->file_pages)
			fprintf(f, "  (the file holds %" PRIu64 " whole page(s); total_pages says %" PRIu64 ")\n",
				in->file_pages, in->open_pages);
	}
	if (in->open_rc == PAGER_OK)
		fprintf(f, "open: ok, %" PRIu64 " pages, %" PRIu64 " free\n", in->open_pages, in->open_free);
	else
		fprintf(f, "open: fails with %s\n  because %s\n", pager_strerror(in->open_rc), in->open_why);
	fprintf(f, "check: %zu violation(s)\n", in->nviolations);
	text_violations(f, in);
	return ferror(f) ? -1 : 0;
}

int image_text_check(FILE *f, const char *name, const pager_inspection *in)
{
	if (in->open_rc == PAGER_OK)
		fprintf(f, "%s: opens: %zu-byte pages, %" PRIu64 " pages, %" PRIu64 " free\n", name, in->page_size,
			in->open_pages, in->open_free);
	else
		fprintf(f, "%s: does not open: %s\n", name, pager_strerror(in->open_rc));
	text_violations(f, in);
	fprintf(f, "  %zu violation(s)\n", in->nviolations);
	return ferror(f) ? -1 : 0;
}
