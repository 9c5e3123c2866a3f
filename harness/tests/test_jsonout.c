/* test_jsonout.c — the JSON writing helpers (json/jsonout.h): what they write reads back
 * through json-c with the same values, bytes that are not UTF-8 become U+FFFD, u64 seeds
 * survive as strings, and a failure anywhere makes jsonout_write refuse. */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/jsonout.h"
#include "support.h"

/* Serialize root through jsonout_write into a file and parse it back. */
static json_object *round_trip(jsonout *j, json_object *root, char **text)
{
	FILE *f = fopen(support_path("out.json"), "w");
	cr_assert_not_null(f);
	cr_assert_eq(jsonout_write(j, root, f), 0);
	cr_assert_eq(fclose(f), 0);
	*text = support_slurp(support_path("out.json"));
	json_object *back = json_tokener_parse(*text);
	cr_assert_not_null(back, "not JSON: %s", *text);
	return back;
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;
	cr_assert(json_object_object_get_ex(o, key, &v), "no %s", key);
	return v;
}

Test(jsonout, values_read_back_through_json_c, .init = support_setup, .fini = support_teardown)
{
	jsonout j = JSONOUT_INIT;
	json_object *root = jsonout_object(&j), *arr = jsonout_array(&j);
	jsonout_put_str(&j, root, "s", "quote \" backslash \\ slash / tab\t nl\n ctl\x01 utf8 \xc3\xa9\xe2\x82\xac");
	jsonout_put_str(&j, root, "null", NULL);
	jsonout_put_bool(&j, root, "t", 1);
	jsonout_put_u64(&j, root, "u", UINT64_C(4294967296));
	jsonout_put_i64(&j, root, "i", -7);
	jsonout_put_u64_string(&j, root, "seed", UINT64_MAX);
	jsonout_put_fixed(&j, root, "seconds", 1.5, 6);
	jsonout_push_csv(&j, arr, "once,persist");
	jsonout_put(&j, root, "modes", arr);
	char *text;
	json_object *back = round_trip(&j, root, &text);
	cr_assert_str_eq(json_object_get_string(get(back, "s")),
			 "quote \" backslash \\ slash / tab\t nl\n ctl\x01 utf8 \xc3\xa9\xe2\x82\xac");
	cr_assert(strstr(text, "slash / tab"), "'/' is not escaped: %s", text);
	cr_assert(json_object_is_type(get(back, "null"), json_type_null));
	cr_assert(json_object_get_boolean(get(back, "t")));
	cr_assert_eq(json_object_get_uint64(get(back, "u")), UINT64_C(4294967296));
	cr_assert_eq(json_object_get_int64(get(back, "i")), -7);
	cr_assert_str_eq(json_object_get_string(get(back, "seed")), "18446744073709551615");
	cr_assert(strstr(text, "\"seconds\": 1.500000"), "%s", text);
	cr_assert(json_object_get_double(get(back, "seconds")) == 1.5);
	cr_assert_eq(json_object_array_length(get(back, "modes")), 2);
	cr_assert_str_eq(json_object_get_string(json_object_array_get_idx(get(back, "modes"), 1)), "persist");
	cr_assert_eq(text[strlen(text) - 1], '\n');
	json_object_put(back);
	json_object_put(root);
	free(text);
}

Test(jsonout, bytes_that_are_not_utf8_become_the_replacement_character, .init = support_setup,
     .fini = support_teardown)
{
	jsonout j = JSONOUT_INIT;
	json_object *root = jsonout_object(&j);
	/* a stray byte, a truncated sequence, an encoded surrogate, an overlong '/' */
	jsonout_put_str(&j, root, "name", "a\xff" "b\xc3" "(c\xed\xa0\x80" "d\xc0\xaf" "e\xf0\x9f\x98\x80");
	char *text;
	json_object *back = round_trip(&j, root, &text);
	cr_assert_str_eq(json_object_get_string(get(back, "name")),
			 "a\xef\xbf\xbd" "b\xef\xbf\xbd" "(c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
			 "d\xef\xbf\xbd\xef\xbf\xbd" "e\xf0\x9f\x98\x80");
	/* json-c, told to validate, accepts the document */
	json_tokener *tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	json_object *strict = json_tokener_parse_ex(tok, text, (int)strlen(text));
	cr_assert_not_null(strict, "%s", json_tokener_error_desc(json_tokener_get_error(tok)));
	json_object_put(strict);
	json_tokener_free(tok);
	json_object_put(back);
	json_object_put(root);
	free(text);
}

Test(jsonout, a_failed_add_makes_the_write_refuse)
{
	jsonout j = JSONOUT_INIT;
	json_object *root = jsonout_object(&j);
	jsonout_put_u64(&j, root, "ok", 1);
	cr_assert_eq(j.failed, 0);
	jsonout_put(&j, root, "lost", NULL); /* what a failed allocation upstream hands in */
	cr_assert_eq(j.failed, 1);
	jsonout_push(&j, NULL, json_object_new_int(1)); /* released, not leaked */
	FILE *f = tmpfile();
	cr_assert_not_null(f);
	cr_assert_eq(jsonout_write(&j, root, f), -1);
	cr_assert_eq(ftell(f), 0, "nothing written");
	fclose(f);
	json_object_put(root);
}

Test(jsonout, a_write_error_is_reported)
{
	jsonout j = JSONOUT_INIT;
	json_object *root = jsonout_object(&j);
	jsonout_put_str(&j, root, "x", "y");
	FILE *f = fopen("/dev/full", "w");
	if (!f)
		cr_skip_test("no /dev/full");
	setvbuf(f, NULL, _IONBF, 0);
	cr_assert_eq(jsonout_write(&j, root, f), -1);
	fclose(f);
	json_object_put(root);
}
