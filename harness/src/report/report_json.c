/* report_json.c — the JSON writer (json-c, through json/jsonout.h): the schema of
 * docs/matrix.md, the contract with `tornpage merge` (report_read.c reads exactly this),
 * CI scripts and reproducers. Seeds are decimal strings (they pass 2^53); times have six
 * decimals. */
#define _POSIX_C_SOURCE 200809L
#include "report_int.h"

#include "json/jsonout.h"

/* A text field: the record's strings are never NULL, but the schema says string. */
static void put_text(jsonout *j, json_object *o, const char *key, const char *s)
{
	jsonout_put_str(j, o, key, s ? s : "");
}

static json_object *params_obj(jsonout *j, const report *r)
{
	json_object *p = jsonout_object(j), *modes = jsonout_array(j), *errnos = jsonout_array(j);
	put_text(j, p, "io", r->io);
	jsonout_put_u64(j, p, "atomic", r->atomic);
	put_text(j, p, "points", r->points);
	jsonout_push_csv(j, modes, r->modes);
	jsonout_put(j, p, "modes", modes);
	jsonout_push_csv(j, errnos, r->errnos);
	jsonout_put(j, p, "errnos", errnos);
	jsonout_put_bool(j, p, "lost_writes", r->lost_writes);
	jsonout_put_u64(j, p, "exhaustive", r->exhaustive);
	jsonout_put_bool(j, p, "images", r->images);
	jsonout_put_u64_string(j, p, "seed", r->seed);
	jsonout_put_u64(j, p, "continue", r->cont);
	return p;
}

static json_object *case_obj(jsonout *j, const report_case *c)
{
	json_object *o = jsonout_object(j), *vs = jsonout_array(j);
	jsonout_put_u64(j, o, "ordinal", c->ordinal);
	jsonout_put_u64(j, o, "log_index", c->log_index);
	put_text(j, o, "log", c->log);
	put_text(j, o, "point", c->point);
	jsonout_put_u64(j, o, "hit", c->hit);
	put_text(j, o, "mode", c->mode);
	put_text(j, o, "errno", c->err);
	jsonout_put_u64_string(j, o, "seed", c->seed);
	jsonout_put_bool(j, o, "lost_writes", c->lost_writes);
	jsonout_put_u64(j, o, "op", c->op);
	jsonout_put_u64(j, o, "line", c->line);
	put_text(j, o, "op_text", c->op_text);
	jsonout_put_bool(j, o, "fired", c->fired);
	put_text(j, o, "result", c->result);
	jsonout_put_bool(j, o, "fail_stop", c->fail_stop);
	jsonout_put_u64(j, o, "continued", c->continued);
	jsonout_put_bool(j, o, "converged", c->converged);
	jsonout_put_fixed(j, o, "seconds", c->seconds, 6);
	jsonout_put_u64(j, o, "dropped", c->dropped);
	jsonout_put_u64(j, o, "preexisting", c->preexisting);
	for (size_t k = 0; k < c->nv; k++) {
		const report_verdict *v = &c->v[k];
		json_object *vo = jsonout_object(j);
		put_text(j, vo, "id", v->id);
		jsonout_put_u64(j, vo, "op", v->op);
		jsonout_put_u64(j, vo, "line", v->line);
		put_text(j, vo, "at", v->at);
		jsonout_put_bool(j, vo, "fatal", v->fatal);
		put_text(j, vo, "expected", v->expected);
		put_text(j, vo, "found", v->found);
		jsonout_push(j, vs, vo);
	}
	jsonout_put(j, o, "verdicts", vs);
	return o;
}

int report_write_json(const report *r, FILE *f)
{
	jsonout j = JSONOUT_INIT;
	report_totals t;
	report_totals_of(r, &t);
	json_object *root = jsonout_object(&j);
	jsonout_put_str(&j, root, "format", "tornpage-matrix");
	jsonout_put_u64(&j, root, "schema", REPORT_SCHEMA);
	jsonout_put(&j, root, "params", params_obj(&j, r));

	json_object *shard = jsonout_object(&j), *idx = jsonout_array(&j);
	jsonout_put_u64(&j, shard, "count", r->nshards);
	for (size_t i = 0; i < r->nshard_idx; i++)
		jsonout_push(&j, idx, json_object_new_uint64(r->shards[i]));
	jsonout_put(&j, shard, "indexes", idx);
	jsonout_put(&j, root, "shard", shard);

	json_object *logs = jsonout_array(&j);
	for (size_t i = 0; i < r->nlogs; i++) {
		const report_log *l = &r->logs[i];
		json_object *lo = jsonout_object(&j);
		put_text(&j, lo, "path", l->path);
		jsonout_put_u64(&j, lo, "ops", l->ops);
		jsonout_put_u64(&j, lo, "cases", l->cases);
		jsonout_put_fixed(&j, lo, "seconds", l->seconds, 6);
		jsonout_put_str(&j, lo, "error", l->error); /* null: the log has its matrix */
		jsonout_push(&j, logs, lo);
	}
	jsonout_put(&j, root, "logs", logs);

	json_object *sum = jsonout_object(&j);
	jsonout_put_u64(&j, sum, "cases", t.cases);
	jsonout_put_u64(&j, sum, "all_cases", t.all_cases);
	jsonout_put_u64(&j, sum, "with_verdicts", t.with_verdicts);
	jsonout_put_u64(&j, sum, "fatal", t.fatal);
	jsonout_put_u64(&j, sum, "unfired", t.unfired);
	jsonout_put_u64(&j, sum, "log_errors", t.log_errors);
	jsonout_put_fixed(&j, sum, "seconds", r->seconds, 6);
	jsonout_put_fixed(&j, sum, "cases_per_second", r->seconds > 0 ? (double)t.cases / r->seconds : 0.0, 1);
	jsonout_put(&j, root, "summary", sum);

	json_object *cases = jsonout_array(&j);
	for (size_t i = 0; i < r->ncases; i++)
		jsonout_push(&j, cases, case_obj(&j, &r->cases[i]));
	jsonout_put(&j, root, "cases", cases);

	int rc = jsonout_write(&j, root, f);
	json_object_put(root);
	return rc;
}
