/* image_ops.h — fuzz_image's body: check an image, open it on a simulated disk, run a
 * few operations, close, reopen, check again. Shared by the fuzz target and the tests.
 * It does not decode inputs (inputs.h) nor repair CRCs (repair.h).
 *
 * Memory safety is what the sanitizers judge. On top of it a few API contracts that
 * hold for any file are asserted (image_ops.c "Method:"); a broken one prints
 * "image_ops: CONTRACT ..." and aborts, so the fuzzer records the input as a crash. */
#ifndef TORNPAGE_FUZZ_IMAGE_OPS_H
#define TORNPAGE_FUZZ_IMAGE_OPS_H

#include <stddef.h>
#include <stdint.h>

/* What one run saw (for tests and the standalone driver's summary). */
typedef struct image_ops_result {
	size_t violations_before;  /* pager_check_image on the input file */
	size_t violations_after;   /* on the file after the operations (when it opened) */
	int open_rc;               /* pager_open on the input file */
	int reopen_rc;             /* pager_open after the operations and a clean close */
	unsigned ops_tried;        /* mutating operations attempted */
	unsigned ops_ok;           /* of which returned PAGER_OK */
} image_ops_result;

/* Run the whole body on `file` (len bytes; not modified: the simulated disk gets a
 * copy). Returns 0, or -1 when out of memory before anything ran. res may be NULL. */
int image_ops_run(const uint8_t *file, size_t len, image_ops_result *res);

#endif
