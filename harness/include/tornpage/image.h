/* image.h — writers for what `tornpage inspect` and `tornpage check` say about image
 * files: the decoded image of pager_inspect (pager_inspect.h) as text (dumpe2fs style)
 * or JSON (json-c), and the check verdict (open + pager_check) as text or JSON. The
 * JSON schemas are in docs/inspect.md. It does not read files (pager_inspect does) and
 * never writes to stdout unless handed it.
 *
 * Conventions: int functions return 0, or -1 when out of memory or a write failed. */
#ifndef TORNPAGE_IMAGE_H
#define TORNPAGE_IMAGE_H

#include <stdio.h>

#include "pager_inspect.h"

#define IMAGE_JSON_SCHEMA 1

/* The text views, one image at a time. */
int image_text_inspect(FILE *f, const char *name, const pager_inspection *in);
int image_text_check(FILE *f, const char *name, const pager_inspection *in);

/* A JSON document over several images: {"tornpage": "inspect"|"check", "schema": 1,
 * "images": [...]}; an image that could not be read is {"file", "error"}. */
typedef struct image_json image_json;
typedef enum image_json_kind { IMAGE_JSON_INSPECT, IMAGE_JSON_CHECK } image_json_kind;
image_json *image_json_new(image_json_kind kind); /* NULL when out of memory */
int image_json_add(image_json *j, const char *name, const pager_inspection *in);
int image_json_add_error(image_json *j, const char *name, const char *error);
/* Write the document (pretty, one trailing newline) to f. */
int image_json_write(const image_json *j, FILE *f);
/* Write to the file at path (created or truncated), fclose checked. A caller that wants
 * stdout passes it to image_json_write. */
int image_json_save(const image_json *j, const char *path);
void image_json_free(image_json *j);

/* The runs of equal roles over in->roles, for writers: calls fn(first, count, role)
 * per run; returns the number of runs. */
typedef void (*image_role_fn)(void *arg, uint64_t first, uint64_t count, pager_role role);
size_t image_role_runs(const pager_inspection *in, image_role_fn fn, void *arg);

#endif
