/* image_json.c — `tornpage inspect --json` and `tornpage check --json` through json-c:
 * the pager_inspect model as one object per image (schema in docs/inspect.md). CRCs are
 * "0x%08x" strings (as hexdump and the text view show them), page numbers and counts
 * are unsigned integers. */
#include "tornpage/image.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct image_json {
	image_json_kind kind;
	json_object *root;    /* {"tornpage": ..., "schema": 1, "images": [...]} */
	json_object *images;  /* borrowed from root */
	int oom;              /* a json-c allocation failed: writing refuses */
};

/* json-c returns NULL when out of memory; every add goes through these, which remember
 * the failure instead of checking each call site. */
static void put(image_json *j, json_object *o, const char *key, json_object *v)
{
	if (!o || !v || json_object_object_add(o, key, v)) {
		json_object_put(v);
		j->oom = 1;
	}
}
static void put_u64(image_json *j, json_object *o, const char *key, uint64_t v) { put(j, o, key, json_object_new_uint64(v)); }
static void put_bool(image_json *j, json_object *o, const char *key, int v) { put(j, o, key, json_object_new_boolean(v)); }
static void put_null(image_json *j, json_object *o, const char *key)
{
	/* json-c's null is the NULL object. */
	if (!o || json_object_object_add(o, key, NULL))
		j->oom = 1;
}
static void put_str(image_json *j, json_object *o, const char *key, const char *s)
{
	if (s)
		put(j, o, key, json_object_new_string(s));
	else
		put_null(j, o, key);
}
static void put_hex(image_json *j, json_object *o, const char *key, uint32_t v)
{
	char buf[16];
	snprintf(buf, sizeof buf, "0x%08" PRIx32, v);
	put_str(j, o, key, buf);
}
static void push(image_json *j, json_object *arr, json_object *v)
{
	if (!arr || !v || json_object_array_add(arr, v)) {
		json_object_put(v);
		j->oom = 1;
	}
}
static json_object *crc_obj(image_json *j, uint32_t stored, uint32_t computed)
{
	json_object *o = json_object_new_object();
	put_hex(j, o, "stored", stored);
	put_hex(j, o, "computed", computed);
	put_bool(j, o, "ok", stored == computed);
	return o;
}

image_json *image_json_new(image_json_kind kind)
{
	image_json *j = calloc(1, sizeof *j);
	if (!j)
		return NULL;
	j->kind = kind;
	j->root = json_object_new_object();
	j->images = json_object_new_array();
	if (!j->root || !j->images) {
		json_object_put(j->images);
		image_json_free(j);
		return NULL;
	}
	put_str(j, j->root, "tornpage", kind == IMAGE_JSON_INSPECT ? "inspect" : "check");
	put_u64(j, j->root, "schema", IMAGE_JSON_SCHEMA);
	put(j, j->root, "images", j->images);
	if (j->oom) {
		image_json_free(j);
		return NULL;
	}
	return j;
}

void image_json_free(image_json *j)
{
	if (!j)
		return;
	json_object_put(j->root);
	free(j);
}

static json_object *sb_obj(image_json *j, const pager_inspect_sb *sb)
{
	json_object *o = json_object_new_object();
	char hex[16];
	put_bool(j, o, "present", sb->present);
	if (sb->present) {
		snprintf(hex, sizeof hex, "%02x%02x%02x%02x", sb->magic[0], sb->magic[1], sb->magic[2], sb->magic[3]);
		put_str(j, o, "magic", hex);
		json_object *v = json_object_new_array();
		for (int i = 0; i < 4; i++)
			push(j, v, json_object_new_int(sb->version[i]));
		put(j, o, "version", v);
		put_u64(j, o, "page_size_log2", sb->page_size_log2);
		put_u64(j, o, "active_meta", sb->active_meta);
		snprintf(hex, sizeof hex, "%02x%02x%02x", sb->pad[0], sb->pad[1], sb->pad[2]);
		put_str(j, o, "padding", hex);
		put_hex(j, o, "meta_checksum", sb->meta_checksum);
	}
	put_bool(j, o, "valid", sb->valid);
	if (sb->valid)
		put_null(j, o, "problem");
	else
		put_str(j, o, "problem", sb->problem);
	return o;
}

static json_object *meta_obj(image_json *j, const pager_inspection *in, size_t i)
{
	const pager_inspect_meta *m = &in->meta[i];
	json_object *o = json_object_new_object();
	char name[2] = {m->name, 0};
	put_str(j, o, "copy", name);
	put_u64(j, o, "page", m->page);
	put_u64(j, o, "total_pages", m->total_pages);
	put_u64(j, o, "generation", m->generation);
	put_u64(j, o, "free_count", m->free_count);
	put(j, o, "crc", crc_obj(j, m->crc_stored, m->crc_computed));
	put_hex(j, o, "whole_page_crc", m->whole_crc);
	put_bool(j, o, "superblock_crc_matches", m->sb_crc_ok);
	put_bool(j, o, "fits", m->fits);
	put_bool(j, o, "valid", m->valid);
	put_bool(j, o, "selected", m->selected);
	put_bool(j, o, "chosen", in->chosen == (int)i);
	if (!m->fits) {
		put_null(j, o, "bitmap");
		return o;
	}
	json_object *b = json_object_new_object();
	put_u64(j, b, "allocated", m->allocated);
	put_u64(j, b, "free", m->free_bits);
	put_bool(j, b, "tail_clean", m->tail_clean);
	put_u64(j, b, "runs_total", m->runs_total);
	json_object *runs = json_object_new_array();
	for (size_t k = 0; k < m->nruns; k++) {
		json_object *r = json_object_new_object();
		put_u64(j, r, "first", m->runs[k].first);
		put_u64(j, r, "count", m->runs[k].count);
		put_bool(j, r, "allocated", m->runs[k].allocated);
		push(j, runs, r);
	}
	put(j, b, "runs", runs);
	put(j, o, "bitmap", b);
	return o;
}

static json_object *dirpage_obj(image_json *j, const pager_inspection *in, const pager_inspect_dirpage *d)
{
	json_object *o = json_object_new_object();
	put_u64(j, o, "page", d->page);
	put_u64(j, o, "first_block", d->first_block);
	put_str(j, o, "status", pager_inspect_dir_status_name(d->status));
	if (d->status == PAGER_INSPECT_DIR_BEYOND)
		return o;
	put(j, o, "crc", crc_obj(j, d->crc_stored, d->crc_computed));
	put_u64(j, o, "capacity", d->capacity);
	put_u64(j, o, "free_slots", d->free_slots);
	json_object *es = json_object_new_array();
	for (size_t k = 0; k < d->nentries; k++) {
		const pager_inspect_entry *e = &in->entries[d->first_entry + k];
		json_object *x = json_object_new_object();
		put_u64(j, x, "slot", e->slot);
		put_u64(j, x, "id", e->id);
		put_u64(j, x, "page_a", e->page_a);
		put_u64(j, x, "page_b", e->page_b);
		put_u64(j, x, "active_slot", e->active_slot);
		put_u64(j, x, "generation", e->generation);
		put_hex(j, x, "checksum", e->checksum);
		if (e->active_in_file) {
			put_hex(j, x, "active_crc", e->active_crc);
			put_bool(j, x, "active_crc_ok", e->active_crc == e->checksum);
		} else {
			put_null(j, x, "active_crc");
			put_null(j, x, "active_crc_ok");
		}
		push(j, es, x);
	}
	put(j, o, "entries", es);
	return o;
}

static json_object *dir_obj(image_json *j, const pager_inspection *in)
{
	json_object *o = json_object_new_object();
	put_u64(j, o, "count", in->index_count);
	put_u64(j, o, "max_blocks", in->index_max);
	put(j, o, "crc", crc_obj(j, in->index_crc_stored, in->index_crc_computed));
	put_bool(j, o, "crc_checked", in->index_count > 0);
	put_str(j, o, "status", pager_inspect_index_status_name(in->index_status));
	put_u64(j, o, "page_capacity", in->dir_capacity);
	json_object *bs = json_object_new_array();
	for (uint32_t i = 0; i < in->nblocks; i++) {
		const pager_inspect_block *b = &in->blocks[i];
		json_object *x = json_object_new_object();
		put_u64(j, x, "index", b->index);
		put_u64(j, x, "page_a", b->page_a);
		put_u64(j, x, "page_b", b->page_b);
		put_u64(j, x, "active", b->active);
		if (b->used < 0)
			put_null(j, x, "used");
		else
			put_str(j, x, "used", b->used ? "b" : "a");
		push(j, bs, x);
	}
	put(j, o, "blocks", bs);
	json_object *ps = json_object_new_array();
	for (size_t k = 0; k < in->ndirpages; k++)
		push(j, ps, dirpage_obj(j, in, &in->dirpages[k]));
	put(j, o, "pages", ps);
	return o;
}

typedef struct role_ctx {
	image_json *j;
	json_object *arr;
} role_ctx;

static void role_run(void *arg, uint64_t first, uint64_t count, pager_role role)
{
	role_ctx *rc = arg;
	json_object *r = json_object_new_object();
	put_u64(rc->j, r, "first", first);
	put_u64(rc->j, r, "count", count);
	put_str(rc->j, r, "role", pager_role_name(role));
	push(rc->j, rc->arr, r);
}

/* The open and check verdicts: shared by both kinds. */
static void verdicts(image_json *j, json_object *o, const pager_inspection *in)
{
	json_object *op = json_object_new_object();
	put_bool(j, op, "ok", in->open_rc == PAGER_OK);
	if (in->open_rc == PAGER_OK) {
		put_null(j, op, "error");
		put_u64(j, op, "page_size", in->page_size);
		put_u64(j, op, "pages", in->open_pages);
		put_u64(j, op, "free", in->open_free);
	} else {
		char name[64];
		const char *s = pager_strerror(in->open_rc);
		size_t n = strcspn(s, ":");
		snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), s);
		put_str(j, op, "error", name);
		put_str(j, op, "message", s);
		put_str(j, op, "because", in->open_why);
	}
	put(j, o, "open", op);
	json_object *vs = json_object_new_array();
	for (size_t i = 0; i < in->nviolations; i++) {
		const pager_violation *v = &in->violations[i];
		json_object *x = json_object_new_object();
		put_str(j, x, "id", v->id);
		if (v->page == UINT64_MAX)
			put_null(j, x, "page");
		else
			put_u64(j, x, "page", v->page);
		if (v->offset == UINT64_MAX)
			put_null(j, x, "offset");
		else
			put_u64(j, x, "offset", v->offset);
		put_str(j, x, "detail", v->detail);
		push(j, vs, x);
	}
	put(j, o, "violations", vs);
}

int image_json_add(image_json *j, const char *name, const pager_inspection *in)
{
	json_object *o = json_object_new_object();
	put_str(j, o, "file", name);
	put_u64(j, o, "length", in->file_len);
	if (j->kind == IMAGE_JSON_INSPECT) {
		put_u64(j, o, "format", in->format);
		put_u64(j, o, "page_size", in->page_size);
		put_u64(j, o, "pages", in->file_pages);
		put_u64(j, o, "trailing_bytes", in->trailing_bytes);
		put(j, o, "superblock", sb_obj(j, &in->sb));
		json_object *ms = json_object_new_array();
		for (size_t i = 0; i < in->nmeta; i++)
			push(j, ms, meta_obj(j, in, i));
		put(j, o, "metadata", ms);
		if (in->chosen >= 0) {
			char c[2] = {in->meta[in->chosen].name, 0};
			put_str(j, o, "chosen", c);
		} else {
			put_null(j, o, "chosen");
		}
		put_str(j, o, "choice", in->sb.valid ? in->choice : in->sb.problem);
		if (in->sb.valid)
			put(j, o, "directory", dir_obj(j, in));
		else
			put_null(j, o, "directory");
		role_ctx rc = {j, json_object_new_array()};
		image_role_runs(in, role_run, &rc);
		put(j, o, "roles", rc.arr);
	}
	verdicts(j, o, in);
	push(j, j->images, o);
	return j->oom ? -1 : 0;
}

int image_json_add_error(image_json *j, const char *name, const char *error)
{
	json_object *o = json_object_new_object();
	put_str(j, o, "file", name);
	put_str(j, o, "error", error);
	push(j, j->images, o);
	return j->oom ? -1 : 0;
}

int image_json_write(const image_json *j, FILE *f)
{
	if (j->oom)
		return -1;
	const char *s = json_object_to_json_string_ext(j->root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
								   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s || fputs(s, f) == EOF || fputc('\n', f) == EOF)
		return -1;
	return ferror(f) ? -1 : 0;
}

int image_json_save(const image_json *j, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	int rc = image_json_write(j, f);
	if (fclose(f))
		rc = -1;
	return rc;
}
