/* report_read.c — the JSON reader (json-c): accepts exactly what report_json.c writes
 * and names the first field it cannot use. */
#define _POSIX_C_SOURCE 200809L
#include "report_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>


typedef struct jrd {
	const char *path;
	char *msg;
	size_t msglen;
	int bad;
} jrd;

static json_object *jfield(jrd *j, json_object *o, const char *key, json_type type, const char *where)
{
	json_object *v = NULL;
	if (j->bad)
		return NULL;
	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    (!json_object_is_type(v, type) && !(type == json_type_double && json_object_is_type(v, json_type_int)))) {
		snprintf(j->msg, j->msglen, "%s: %s.%s: missing or not a %s", j->path, where, key, json_type_to_name(type));
		j->bad = 1;
		return NULL;
	}
	return v;
}

static char *jstr(jrd *j, json_object *o, const char *key, const char *where)
{
	json_object *v = jfield(j, o, key, json_type_string, where);
	char *s = v ? strdup(json_object_get_string(v)) : NULL;
	if (v && !s) {
		snprintf(j->msg, j->msglen, "out of memory");
		j->bad = 1;
	}
	return s;
}

static uint64_t juint(jrd *j, json_object *o, const char *key, const char *where)
{
	json_object *v = jfield(j, o, key, json_type_int, where);
	if (!v)
		return 0;
	if (json_object_get_int64(v) < 0) {
		snprintf(j->msg, j->msglen, "%s: %s.%s: negative", j->path, where, key);
		j->bad = 1;
		return 0;
	}
	return json_object_get_uint64(v);
}

static int jbool(jrd *j, json_object *o, const char *key, const char *where)
{
	json_object *v = jfield(j, o, key, json_type_boolean, where);
	return v ? json_object_get_boolean(v) : 0;
}

static double jdouble(jrd *j, json_object *o, const char *key, const char *where)
{
	json_object *v = jfield(j, o, key, json_type_double, where);
	return v ? json_object_get_double(v) : 0.0;
}

/* A u64 written as a decimal string (seeds: JSON numbers lose bits past 2^53). */
static uint64_t ju64str(jrd *j, json_object *o, const char *key, const char *where)
{
	json_object *v = jfield(j, o, key, json_type_string, where);
	if (!v)
		return 0;
	const char *s = json_object_get_string(v);
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (!*s || *s == '-' || *end || errno) {
		snprintf(j->msg, j->msglen, "%s: %s.%s: not a decimal u64", j->path, where, key);
		j->bad = 1;
		return 0;
	}
	return x;
}

/* A JSON array of strings joined with commas. */
static char *jcsv(jrd *j, json_object *o, const char *key, const char *where)
{
	json_object *a = jfield(j, o, key, json_type_array, where);
	if (!a)
		return NULL;
	size_t n = json_object_array_length(a), len = 1;
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(a, i);
		if (!json_object_is_type(s, json_type_string)) {
			snprintf(j->msg, j->msglen, "%s: %s.%s[%zu]: not a string", j->path, where, key, i);
			j->bad = 1;
			return NULL;
		}
		len += strlen(json_object_get_string(s)) + 1;
	}
	char *out = malloc(len);
	if (!out) {
		j->bad = 1;
		return NULL;
	}
	out[0] = 0;
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(out, ",");
		strcat(out, json_object_get_string(json_object_array_get_idx(a, i)));
	}
	return out;
}

int report_read_json(const char *path, report *r, char *msg, size_t msglen)
{
	jrd j = {path, msg, msglen, 0};
	char where[64];
	memset(r, 0, sizeof *r);
	json_object *root = json_object_from_file(path);
	if (!root) {
		snprintf(msg, msglen, "%s: %s", path, json_util_get_last_err() ? json_util_get_last_err() : "unreadable");
		return -1;
	}
	json_object *fmt = jfield(&j, root, "format", json_type_string, "report");
	if (fmt && strcmp(json_object_get_string(fmt), "tornpage-matrix")) {
		snprintf(msg, msglen, "%s: not a tornpage matrix report", path);
		j.bad = 1;
	}
	uint64_t schema = juint(&j, root, "schema", "report");
	if (!j.bad && schema != REPORT_SCHEMA) {
		snprintf(msg, msglen, "%s: schema %" PRIu64 ", this tornpage reads %d", path, schema, REPORT_SCHEMA);
		j.bad = 1;
	}
	json_object *p = jfield(&j, root, "params", json_type_object, "report");
	r->io = jstr(&j, p, "io", "params");
	r->atomic = (uint32_t)juint(&j, p, "atomic", "params");
	r->points = jstr(&j, p, "points", "params");
	r->modes = jcsv(&j, p, "modes", "params");
	r->errnos = jcsv(&j, p, "errnos", "params");
	r->lost_writes = jbool(&j, p, "lost_writes", "params");
	r->exhaustive = (uint32_t)juint(&j, p, "exhaustive", "params");
	r->images = jbool(&j, p, "images", "params");
	r->seed = ju64str(&j, p, "seed", "params");
	r->cont = juint(&j, p, "continue", "params");
	json_object *sh = jfield(&j, root, "shard", json_type_object, "report");
	r->nshards = (uint32_t)juint(&j, sh, "count", "shard");
	json_object *idx = jfield(&j, sh, "indexes", json_type_array, "shard");
	if (idx) {
		size_t n = json_object_array_length(idx);
		r->shards = malloc((n ? n : 1) * sizeof *r->shards);
		if (!r->shards)
			j.bad = 1;
		for (size_t i = 0; r->shards && i < n && !j.bad; i++) {
			json_object *v = json_object_array_get_idx(idx, i);
			int64_t x = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;
			if (x < 0 || (uint64_t)x >= r->nshards || (i && (uint32_t)x <= r->shards[i - 1])) {
				snprintf(msg, msglen, "%s: shard.indexes[%zu]: not an ascending index below count", path, i);
				j.bad = 1;
			} else {
				r->shards[r->nshard_idx++] = (uint32_t)x;
			}
		}
	}
	json_object *logs = jfield(&j, root, "logs", json_type_array, "report");
	for (size_t i = 0; logs && !j.bad && i < json_object_array_length(logs); i++) {
		json_object *l = json_object_array_get_idx(logs, i);
		snprintf(where, sizeof where, "logs[%zu]", i);
		char *lp = jstr(&j, l, "path", where);
		int li = lp ? report_add_log(r, lp, juint(&j, l, "ops", where)) : -1;
		free(lp);
		if (li < 0) {
			j.bad = 1;
			break;
		}
		r->logs[li].cases = juint(&j, l, "cases", where);
		r->logs[li].seconds = jdouble(&j, l, "seconds", where);
		json_object *err;
		if (json_object_object_get_ex(l, "error", &err) && json_object_is_type(err, json_type_string))
			r->logs[li].error = strdup(json_object_get_string(err));
	}
	json_object *sum = jfield(&j, root, "summary", json_type_object, "report");
	r->seconds = jdouble(&j, sum, "seconds", "summary");
	json_object *cases = jfield(&j, root, "cases", json_type_array, "report");
	for (size_t i = 0; cases && !j.bad && i < json_object_array_length(cases); i++) {
		json_object *o = json_object_array_get_idx(cases, i);
		snprintf(where, sizeof where, "cases[%zu]", i);
		report_case *c = report_new_case(r);
		if (!c) {
			j.bad = 1;
			break;
		}
		r->ncases++;
		c->ordinal = juint(&j, o, "ordinal", where);
		c->log_index = juint(&j, o, "log_index", where);
		c->log = jstr(&j, o, "log", where);
		if (!j.bad && (c->log_index >= r->nlogs || !c->log || strcmp(c->log, r->logs[c->log_index].path))) {
			snprintf(msg, msglen, "%s: %s: log_index is not the index of its log in logs[]", path, where);
			j.bad = 1;
		}
		c->point = jstr(&j, o, "point", where);
		c->hit = juint(&j, o, "hit", where);
		c->mode = jstr(&j, o, "mode", where);
		c->err = jstr(&j, o, "errno", where);
		c->seed = ju64str(&j, o, "seed", where);
		c->lost_writes = jbool(&j, o, "lost_writes", where);
		c->op = juint(&j, o, "op", where);
		c->line = (uint32_t)juint(&j, o, "line", where);
		c->op_text = jstr(&j, o, "op_text", where);
		c->fired = jbool(&j, o, "fired", where);
		c->result = jstr(&j, o, "result", where);
		c->fail_stop = jbool(&j, o, "fail_stop", where);
		c->continued = juint(&j, o, "continued", where);
		c->converged = jbool(&j, o, "converged", where);
		c->seconds = jdouble(&j, o, "seconds", where);
		c->dropped = juint(&j, o, "dropped", where);
		c->preexisting = juint(&j, o, "preexisting", where);
		json_object *vs = jfield(&j, o, "verdicts", json_type_array, where);
		size_t nv = vs ? json_object_array_length(vs) : 0;
		if (nv && !(c->v = calloc(nv, sizeof *c->v)))
			j.bad = 1;
		for (size_t k = 0; k < nv && !j.bad; k++) {
			json_object *vo = json_object_array_get_idx(vs, k);
			char w2[96];
			snprintf(w2, sizeof w2, "%s.verdicts[%zu]", where, k);
			report_verdict *v = &c->v[c->nv++];
			v->id = jstr(&j, vo, "id", w2);
			v->op = juint(&j, vo, "op", w2);
			v->line = (uint32_t)juint(&j, vo, "line", w2);
			v->at = jstr(&j, vo, "at", w2);
			v->fatal = jbool(&j, vo, "fatal", w2);
			v->expected = jstr(&j, vo, "expected", w2);
			v->found = jstr(&j, vo, "found", w2);
		}
		if (!j.bad && i && c->ordinal <= r->cases[i - 1].ordinal) {
			snprintf(msg, msglen, "%s: %s: ordinals must ascend", path, where);
			j.bad = 1;
		}
	}
	json_object_put(root);
	if (j.bad) {
		if (!msg[0])
			snprintf(msg, msglen, "%s: out of memory", path);
		report_free(r);
		return -1;
	}
	return 0;
}
