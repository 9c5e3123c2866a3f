/* jsonout.c — the json-c helpers of jsonout.h. */
#define _POSIX_C_SOURCE 200809L
#include "jsonout.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

size_t jsonout_utf8_len(const unsigned char *p)
{
	unsigned c = p[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
		return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
		return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

static json_object *checked(jsonout *j, json_object *v)
{
	if (!v)
		j->failed = 1;
	return v;
}

json_object *jsonout_object(jsonout *j)
{
	return checked(j, json_object_new_object());
}

json_object *jsonout_array(jsonout *j)
{
	return checked(j, json_object_new_array());
}

json_object *jsonout_str(jsonout *j, const char *s)
{
	if (!s)
		return NULL; /* json-c's null; not a failure */
	const unsigned char *p = (const unsigned char *)s;
	size_t bad = 0, len = 0;
	/* Scan first: valid UTF-8 (the common case) is copied by json-c as it is. The
	 * NUL ends the scan before any 0 the sequence checks read past. */
	for (size_t n; p[len]; len += n ? n : 1) {
		n = jsonout_utf8_len(p + len);
		bad += n == 0;
	}
	if (!bad)
		return checked(j, json_object_new_string_len(s, (int)(len < INT32_MAX ? len : INT32_MAX)));
	char *t = malloc(len + 2 * bad + 1); /* each bad byte (1) becomes U+FFFD (3) */
	if (!t) {
		j->failed = 1;
		return NULL;
	}
	size_t o = 0;
	for (size_t i = 0, n; p[i]; i += n ? n : 1) {
		n = jsonout_utf8_len(p + i);
		if (n) {
			memcpy(t + o, p + i, n);
			o += n;
		} else {
			memcpy(t + o, "\xef\xbf\xbd", 3);
			o += 3;
		}
	}
	json_object *v = json_object_new_string_len(t, (int)(o < INT32_MAX ? o : INT32_MAX));
	free(t);
	return checked(j, v);
}

void jsonout_put(jsonout *j, json_object *o, const char *key, json_object *v)
{
	if (!o || !v || json_object_object_add(o, key, v)) {
		json_object_put(v);
		j->failed = 1;
	}
}

void jsonout_put_str(jsonout *j, json_object *o, const char *key, const char *s)
{
	if (!s)
		jsonout_put_null(j, o, key);
	else
		jsonout_put(j, o, key, jsonout_str(j, s));
}

void jsonout_put_null(jsonout *j, json_object *o, const char *key)
{
	if (!o || json_object_object_add(o, key, NULL))
		j->failed = 1;
}

void jsonout_put_bool(jsonout *j, json_object *o, const char *key, int v)
{
	jsonout_put(j, o, key, checked(j, json_object_new_boolean(v != 0)));
}

void jsonout_put_u64(jsonout *j, json_object *o, const char *key, uint64_t v)
{
	jsonout_put(j, o, key, checked(j, json_object_new_uint64(v)));
}

void jsonout_put_i64(jsonout *j, json_object *o, const char *key, int64_t v)
{
	jsonout_put(j, o, key, checked(j, json_object_new_int64(v)));
}

void jsonout_put_u64_string(jsonout *j, json_object *o, const char *key, uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof buf, "%" PRIu64, v);
	jsonout_put(j, o, key, checked(j, json_object_new_string(buf)));
}

void jsonout_put_fixed(jsonout *j, json_object *o, const char *key, double v, int decimals)
{
	/* json_object_new_double_s keeps the text it is given: the value reads back as the
	 * double, and the document shows the chosen precision (not 17 digits). */
	char buf[64];
	snprintf(buf, sizeof buf, "%.*f", decimals, v);
	jsonout_put(j, o, key, checked(j, json_object_new_double_s(v, buf)));
}

void jsonout_push(jsonout *j, json_object *a, json_object *v)
{
	if (!a || !v || json_object_array_add(a, v)) {
		json_object_put(v);
		j->failed = 1;
	}
}

void jsonout_push_csv(jsonout *j, json_object *a, const char *csv)
{
	for (const char *s = csv; s && *s;) {
		size_t n = strcspn(s, ",");
		char *item = strndup(s, n);
		if (!item)
			j->failed = 1;
		else
			jsonout_push(j, a, jsonout_str(j, item));
		free(item);
		s += n + (s[n] == ',');
	}
}

int jsonout_write(const jsonout *j, json_object *root, FILE *f)
{
	if (j->failed || !root)
		return -1;
	const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
								     JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s || fputs(s, f) == EOF || fputc('\n', f) == EOF)
		return -1;
	return ferror(f) ? -1 : 0;
}
