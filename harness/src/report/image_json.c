/* image_json.c — `tornpage inspect --json` and `tornpage check --json` through json-c:
 * the pager_inspect model as one object per image (schema in docs/inspect.md). CRCs are
 * "0x%08x" strings (as hexdump and the text view show them), page numbers and counts
 * are unsigned integers. */
#include "tornpage/image.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/jsonout.h"

struct image_json {
	image_json_kind kind;
	json_object *root;    /* {"tornpage": ..., "schema": 1, "images": [...]} */
	json_object *images;  /* borrowed from root */
	jsonout out;          /* json-c through jsonout.h: a failed allocation is remembered */
};

static void put_hex(image_json *j, json_object *o, const char *key, uint32_t v)
{
	char buf[16];
	snprintf(buf, sizeof buf, "0x%08" PRIx32, v);
	jsonout_put_str(&j->out, o, key, buf);
}

static json_object *crc_obj(image_json *j, uint32_t stored, uint32_t computed)
{
	json_object *o = json_object_new_object();
	put_hex(j, o, "stored", stored);
	put_hex(j, o, "computed", computed);
	jsonout_put_bool(&j->out, o, "ok", stored == computed);
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
	jsonout_put_str(&j->out, j->root, "tornpage", kind == IMAGE_JSON_INSPECT ? "inspect" : "check");
	jsonout_put_u64(&j->out, j->root, "schema", IMAGE_JSON_SCHEMA);
	jsonout_put(&j->out, j->root, "images", j->images);
	if (j->out.failed) {
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
	jsonout_put_bool(&j->out, o, "present", sb->present);
	if (sb->present) {
		snprintf(hex, sizeof hex, "%02x%02x%02x%02x", sb->magic[0], sb->magic[1], sb->magic[2], sb->magic[3]);
		jsonout_put_str(&j->out, o, "magic", hex);
		json_object *v = json_object_new_array();
		for (int i = 0; i < 4; i++)
			jsonout_push(&j->out, v, json_object_new_int(sb->version[i]));
		jsonout_put(&j->out, o, "version", v);
		jsonout_put_u64(&j->out, o, "page_size_log2", sb->page_size_log2);
		jsonout_put_u64(&j->out, o, "active_meta", sb->active_meta);
		snprintf(hex, sizeof hex, "%02x%02x%02x", sb->pad[0], sb->pad[1], sb->pad[2]);
		jsonout_put_str(&j->out, o, "padding", hex);
		put_hex(j, o, "meta_checksum", sb->meta_checksum);
	}
	jsonout_put_bool(&j->out, o, "valid", sb->valid);
	if (sb->valid)
		jsonout_put_null(&j->out, o, "problem");
	else
		jsonout_put_str(&j->out, o, "problem", sb->problem);
	return o;
}

static json_object *meta_obj(image_json *j, const pager_inspection *in, size_t i)
{
	const pager_inspect_meta *m = &in->meta[i];
	json_object *o = json_object_new_object();
	char name[2] = {m->name, 0};
	jsonout_put_str(&j->out, o, "copy", name);
	jsonout_put_u64(&j->out, o, "page", m->page);
	jsonout_put_u64(&j->out, o, "total_pages", m->total_pages);
	jsonout_put_u64(&j->out, o, "generation", m->generation);
	jsonout_put_u64(&j->out, o, "free_count", m->free_count);
	jsonout_put(&j->out, o, "crc", crc_obj(j, m->crc_stored, m->crc_computed));
	put_hex(j, o, "whole_page_crc", m->whole_crc);
	jsonout_put_bool(&j->out, o, "superblock_crc_matches", m->sb_crc_ok);
	jsonout_put_bool(&j->out, o, "fits", m->fits);
	jsonout_put_bool(&j->out, o, "valid", m->valid);
	jsonout_put_bool(&j->out, o, "selected", m->selected);
	jsonout_put_bool(&j->out, o, "chosen", in->chosen == (int)i);
	if (!m->fits) {
		jsonout_put_null(&j->out, o, "bitmap");
		return o;
	}
	json_object *b = json_object_new_object();
	jsonout_put_u64(&j->out, b, "allocated", m->allocated);
	jsonout_put_u64(&j->out, b, "free", m->free_bits);
	jsonout_put_bool(&j->out, b, "tail_clean", m->tail_clean);
	jsonout_put_u64(&j->out, b, "runs_total", m->runs_total);
	json_object *runs = json_object_new_array();
	for (size_t k = 0; k < m->nruns; k++) {
		json_object *r = json_object_new_object();
		jsonout_put_u64(&j->out, r, "first", m->runs[k].first);
		jsonout_put_u64(&j->out, r, "count", m->runs[k].count);
		jsonout_put_bool(&j->out, r, "allocated", m->runs[k].allocated);
		jsonout_push(&j->out, runs, r);
	}
	jsonout_put(&j->out, b, "runs", runs);
	jsonout_put(&j->out, o, "bitmap", b);
	return o;
}

static json_object *dirpage_obj(image_json *j, const pager_inspection *in, const pager_inspect_dirpage *d)
{
	json_object *o = json_object_new_object();
	jsonout_put_u64(&j->out, o, "page", d->page);
	jsonout_put_u64(&j->out, o, "first_block", d->first_block);
	jsonout_put_str(&j->out, o, "status", pager_inspect_dir_status_name(d->status));
	if (d->status == PAGER_INSPECT_DIR_BEYOND)
		return o;
	jsonout_put(&j->out, o, "crc", crc_obj(j, d->crc_stored, d->crc_computed));
	jsonout_put_u64(&j->out, o, "capacity", d->capacity);
	jsonout_put_u64(&j->out, o, "free_slots", d->free_slots);
	json_object *es = json_object_new_array();
	for (size_t k = 0; k < d->nentries; k++) {
		const pager_inspect_entry *e = &in->entries[d->first_entry + k];
		json_object *x = json_object_new_object();
		jsonout_put_u64(&j->out, x, "slot", e->slot);
		jsonout_put_u64(&j->out, x, "id", e->id);
		jsonout_put_u64(&j->out, x, "page_a", e->page_a);
		jsonout_put_u64(&j->out, x, "page_b", e->page_b);
		jsonout_put_u64(&j->out, x, "active_slot", e->active_slot);
		jsonout_put_u64(&j->out, x, "generation", e->generation);
		put_hex(j, x, "checksum", e->checksum);
		if (e->active_in_file) {
			put_hex(j, x, "active_crc", e->active_crc);
			jsonout_put_bool(&j->out, x, "active_crc_ok", e->active_crc == e->checksum);
		} else {
			jsonout_put_null(&j->out, x, "active_crc");
			jsonout_put_null(&j->out, x, "active_crc_ok");
		}
		jsonout_push(&j->out, es, x);
	}
	jsonout_put(&j->out, o, "entries", es);
	return o;
}

static json_object *dir_obj(image_json *j, const pager_inspection *in)
{
	json_object *o = json_object_new_object();
	jsonout_put_u64(&j->out, o, "count", in->index_count);
	jsonout_put_u64(&j->out, o, "max_blocks", in->index_max);
	jsonout_put(&j->out, o, "crc", crc_obj(j, in->index_crc_stored, in->index_crc_computed));
	jsonout_put_bool(&j->out, o, "crc_checked", in->index_count > 0);
	jsonout_put_str(&j->out, o, "status", pager_inspect_index_status_name(in->index_status));
	jsonout_put_u64(&j->out, o, "page_capacity", in->dir_capacity);
	json_object *bs = json_object_new_array();
	for (uint32_t i = 0; i < in->nblocks; i++) {
		const pager_inspect_block *b = &in->blocks[i];
		json_object *x = json_object_new_object();
		jsonout_put_u64(&j->out, x, "index", b->index);
		jsonout_put_u64(&j->out, x, "page_a", b->page_a);
		jsonout_put_u64(&j->out, x, "page_b", b->page_b);
		jsonout_put_u64(&j->out, x, "active", b->active);
		if (b->used < 0)
			jsonout_put_null(&j->out, x, "used");
		else
			jsonout_put_str(&j->out, x, "used", b->used ? "b" : "a");
		jsonout_push(&j->out, bs, x);
	}
	jsonout_put(&j->out, o, "blocks", bs);
	json_object *ps = json_object_new_array();
	for (size_t k = 0; k < in->ndirpages; k++)
		jsonout_push(&j->out, ps, dirpage_obj(j, in, &in->dirpages[k]));
	jsonout_put(&j->out, o, "pages", ps);
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
	jsonout_put_u64(&rc->j->out, r, "first", first);
	jsonout_put_u64(&rc->j->out, r, "count", count);
	jsonout_put_str(&rc->j->out, r, "role", pager_role_name(role));
	jsonout_push(&rc->j->out, rc->arr, r);
}

/* The open and check verdicts: shared by both kinds. */
static void verdicts(image_json *j, json_object *o, const pager_inspection *in)
{
	json_object *op = json_object_new_object();
	jsonout_put_bool(&j->out, op, "ok", in->open_rc == PAGER_OK);
	if (in->open_rc == PAGER_OK) {
		jsonout_put_null(&j->out, op, "error");
		jsonout_put_u64(&j->out, op, "page_size", in->page_size);
		jsonout_put_u64(&j->out, op, "pages", in->open_pages);
		jsonout_put_u64(&j->out, op, "free", in->open_free);
	} else {
		char name[64];
		const char *s = pager_strerror(in->open_rc);
		size_t n = strcspn(s, ":");
		snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), s);
		jsonout_put_str(&j->out, op, "error", name);
		jsonout_put_str(&j->out, op, "message", s);
		jsonout_put_str(&j->out, op, "because", in->open_why);
	}
	jsonout_put(&j->out, o, "open", op);
	json_object *vs = json_object_new_array();
	for (size_t i = 0; i < in->nviolations; i++) {
		const pager_violation *v = &in->violations[i];
		json_object *x = json_object_new_object();
		jsonout_put_str(&j->out, x, "id", v->id);
		if (v->page == UINT64_MAX)
			jsonout_put_null(&j->out, x, "page");
		else
			jsonout_put_u64(&j->out, x, "page", v->page);
		if (v->offset == UINT64_MAX)
			jsonout_put_null(&j->out, x, "offset");
		else
			jsonout_put_u64(&j->out, x, "offset", v->offset);
		jsonout_put_str(&j->out, x, "detail", v->detail);
		jsonout_push(&j->out, vs, x);
	}
	jsonout_put(&j->out, o, "violations", vs);
}

int image_json_add(image_json *j, const char *name, const pager_inspection *in)
{
	json_object *o = json_object_new_object();
	jsonout_put_str(&j->out, o, "file", name);
	jsonout_put_u64(&j->out, o, "length", in->file_len);
	if (j->kind == IMAGE_JSON_INSPECT) {
		jsonout_put_u64(&j->out, o, "format", in->format);
		jsonout_put_u64(&j->out, o, "page_size", in->page_size);
		jsonout_put_u64(&j->out, o, "pages", in->file_pages);
		jsonout_put_u64(&j->out, o, "trailing_bytes", in->trailing_bytes);
		jsonout_put(&j->out, o, "superblock", sb_obj(j, &in->sb));
		json_object *ms = json_object_new_array();
		for (size_t i = 0; i < in->nmeta; i++)
			jsonout_push(&j->out, ms, meta_obj(j, in, i));
		jsonout_put(&j->out, o, "metadata", ms);
		if (in->chosen >= 0) {
			char c[2] = {in->meta[in->chosen].name, 0};
			jsonout_put_str(&j->out, o, "chosen", c);
		} else {
			jsonout_put_null(&j->out, o, "chosen");
		}
		jsonout_put_str(&j->out, o, "choice", in->sb.valid ? in->choice : in->sb.problem);
		if (in->sb.valid)
			jsonout_put(&j->out, o, "directory", dir_obj(j, in));
		else
			jsonout_put_null(&j->out, o, "directory");
		role_ctx rc = {j, json_object_new_array()};
		image_role_runs(in, role_run, &rc);
		jsonout_put(&j->out, o, "roles", rc.arr);
	}
	verdicts(j, o, in);
	jsonout_push(&j->out, j->images, o);
	return j->out.failed ? -1 : 0;
}

int image_json_add_error(image_json *j, const char *name, const char *error)
{
	json_object *o = json_object_new_object();
	jsonout_put_str(&j->out, o, "file", name);
	jsonout_put_str(&j->out, o, "error", error);
	jsonout_push(&j->out, j->images, o);
	return j->out.failed ? -1 : 0;
}

int image_json_write(const image_json *j, FILE *f)
{
	return jsonout_write(&j->out, j->root, f);
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
