/* jsonout.h — writing JSON through json-c: the one way the harness writes JSON (matrix
 * reports, inspect and check, crash results). json-c builds and serializes the tree;
 * this module adds what every writer needs on top of it and nothing else:
 *   - a sticky failure flag, so that a writer adds fields without checking each call
 *     (json-c returns NULL when out of memory) and jsonout_write refuses a partial tree;
 *   - strings that are always valid JSON: NULL is null, and bytes that are not UTF-8
 *     become U+FFFD (json-c copies bytes as they are, so a hostile file name or a pager
 *     message with stray bytes would otherwise make the whole document unreadable);
 *   - u64 values beyond 2^53 as decimal strings (seeds: JSON readers lose those bits),
 *     and times with a fixed number of decimals;
 *   - one serialization: json-c's pretty form, spaced, "/" unescaped, a final newline.
 * It reads nothing (readers use json-c directly: report_read.c) and knows no schema. */
#ifndef TORNPAGE_JSONOUT_H
#define TORNPAGE_JSONOUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

typedef struct jsonout {
	int failed;   /* an allocation or an add failed: jsonout_write refuses */
} jsonout;

#define JSONOUT_INIT {0}

/* New containers (NULL and j->failed set when out of memory). */
json_object *jsonout_object(jsonout *j);
json_object *jsonout_array(jsonout *j);
/* A string value: NULL gives JSON null (json-c's NULL object), invalid UTF-8 U+FFFD. */
json_object *jsonout_str(jsonout *j, const char *s);

/* Add v to object o under key, taking v (it is released on failure). A NULL o or v
 * (a failed allocation upstream) sets j->failed. */
void jsonout_put(jsonout *j, json_object *o, const char *key, json_object *v);
void jsonout_put_str(jsonout *j, json_object *o, const char *key, const char *s);
void jsonout_put_null(jsonout *j, json_object *o, const char *key);
void jsonout_put_bool(jsonout *j, json_object *o, const char *key, int v);
void jsonout_put_u64(jsonout *j, json_object *o, const char *key, uint64_t v);
void jsonout_put_i64(jsonout *j, json_object *o, const char *key, int64_t v);
/* A u64 as a decimal string ("18446744073709551615"): exact in every reader. */
void jsonout_put_u64_string(jsonout *j, json_object *o, const char *key, uint64_t v);
/* A number written with exactly `decimals` digits after the point (seconds: 6). */
void jsonout_put_fixed(jsonout *j, json_object *o, const char *key, double v, int decimals);
/* Append v to array a, taking v. */
void jsonout_push(jsonout *j, json_object *a, json_object *v);
/* Append each item of a comma-separated list as a string ("once,persist"). */
void jsonout_push_csv(jsonout *j, json_object *a, const char *csv);

/* Write root (pretty, spaced, one final newline) to f. 0, or -1 when j->failed, when
 * json-c cannot serialize, or when f reports an error. root stays the caller's. */
int jsonout_write(const jsonout *j, json_object *root, FILE *f);

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if it is not one (also for the
 * XML writer: report_junit.c). */
size_t jsonout_utf8_len(const unsigned char *p);

#endif
