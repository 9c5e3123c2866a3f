/* test_baseline.c — known / new / gone, on hand-made entries and on a directory of
 * reproducers. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tornpage/baseline.h"
#include "support.h"

#define SIG_OPEN "I-OPEN@pager/dircommit/sb_sync:before-sync:palloc:512"
#define SIG_DIR "I-DIR-INDEX@pager/dircommit/sb_sync:before-sync:palloc:512"
#define SIG_ATOM "I-ATOMIC@pager/commit/sb_sync:before-sync:palloc:512"
#define SIG_LEAK "I-LEAK@pager/commit/meta_sync:after-sync:pfree:512"
#define SIG_NEW "I-DURABLE@pager/commit/sb_sync:after-sync:free:512"

Test(baseline_logic, findings_are_known_or_new_and_entries_gone)
{
	baseline b;
	memset(&b, 0, sizeof b);
	const char *a_sigs[] = {SIG_OPEN, SIG_DIR};
	const char *g_sigs[] = {SIG_ATOM};
	cr_assert_eq(baseline_add(&b, "a.repro", REPRO_CRASH, a_sigs, 2, 0, NULL), 0);
	cr_assert_eq(baseline_add(&b, "g.repro", REPRO_CRASH, g_sigs, 1, 1, "expect I-ATOMIC, found ok"), 0);
	cr_assert_eq(b.known.n, 3);

	cr_assert_eq(baseline_note(&b, SIG_OPEN, 1, "op 3 of x.log"), 1, "known");
	cr_assert_eq(baseline_note(&b, SIG_OPEN, 1, "op 9 of y.log"), 1, "known again");
	cr_assert_eq(baseline_note(&b, SIG_NEW, 1, "op 4 of x.log"), 0, "new, fatal");
	cr_assert_eq(baseline_note(&b, SIG_NEW, 1, "op 5 of x.log"), 0, "the same new one");
	cr_assert_eq(baseline_note(&b, SIG_LEAK, 0, "op 7 of x.log"), 0, "new, not fatal");

	cr_assert_eq(b.known_findings, 2);
	cr_assert_eq(b.new_findings, 3);
	cr_assert_eq(b.nfresh, 2);
	cr_assert_str_eq(b.fresh[0].sig, SIG_NEW);
	cr_assert_eq(b.fresh[0].findings, 2);
	cr_assert_str_eq(b.fresh[0].where, "op 4 of x.log", "the first finding is kept");
	cr_assert_eq(baseline_new_fatal(&b), 1, "only the fatal new one fails a run");
	cr_assert_eq(baseline_gone(&b), 1);
	cr_assert_eq(b.e[0].seen, 2);
	cr_assert_eq(b.e[1].seen, 0);
	cr_assert_eq(b.seen.n, 1);

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	baseline_report(&b, f);
	fclose(f);
	cr_assert_not_null(strstr(buf, "NEW  " SIG_NEW), "%s", buf);
	cr_assert_not_null(strstr(buf, "NEW  " SIG_LEAK));
	cr_assert_not_null(strstr(buf, "not fatal"));
	cr_assert_not_null(strstr(buf, "GONE g.repro: expect I-ATOMIC, found ok"));
	cr_assert_not_null(strstr(buf, "known: 2 finding(s) of 1 baseline signature(s)"));
	free(buf);
	baseline_free(&b);
}

Test(baseline_logic, an_empty_baseline_knows_nothing)
{
	baseline b;
	memset(&b, 0, sizeof b);
	cr_assert_eq(baseline_note(&b, SIG_OPEN, 1, "x"), 0);
	cr_assert_eq(baseline_new_fatal(&b), 1);
	cr_assert_eq(baseline_gone(&b), 0);
	baseline_free(&b);
}

Test(baseline_load, replays_every_reproducer_of_a_directory, .init = support_setup, .fini = support_teardown)
{
	/* holds: torn page 0 */
	support_write_file(support_path("a.repro"),
			   "#! tornpage repro 1\n#! atomic 512\n#! crash op 1 before-sync 4 persisted 0\n"
			   "#! expect I-OPEN\n#! expect I-DIR-INDEX\ncreate 10\npalloc p\n");
	/* gone: nothing persisted, the file opens */
	support_write_file(support_path("b.repro"),
			   "#! tornpage repro 1\n#! atomic 512\n#! crash op 1 before-sync 4 persisted none\n"
			   "#! expect I-OPEN\ncreate 10\npalloc p\n");
	/* another kind: not loaded by a crash baseline */
	support_write_file(support_path("c.repro"),
			   "#! tornpage repro 1\n#! atomic 512\n#! fault pager/commit/sb_sync hit 1 mode once errno EIO\n"
			   "#! expect ok\ncreate 10\nalloc a\n");
	support_write_file(support_path("notes.txt"), "not a reproducer\n");
	baseline b;
	cr_assert_eq(baseline_load(&b, support_dir, REPRO_CRASH, NULL, NULL), 0);
	cr_assert_eq(b.n, 2);
	cr_assert_eq(b.skipped, 1);
	cr_assert(repro_strset_has(&b.known, SIG_OPEN));
	cr_assert(repro_strset_has(&b.known, SIG_DIR));
	cr_assert_eq(b.known.n, 2, "b's signature is I-OPEN at the same point: the same");
	cr_assert_eq(baseline_gone(&b), 1);
	cr_assert(!b.e[0].gone);
	cr_assert(b.e[1].gone);
	cr_assert_not_null(strstr(b.e[1].why, "expect I-OPEN, found I-ATOMIC I-LEAK"), "%s", b.e[1].why);
	cr_assert_eq(baseline_note(&b, SIG_DIR, 1, "x"), 1);
	baseline_free(&b);

	/* A bad reproducer makes the baseline unusable (reported, counted). */
	support_write_file(support_path("d.repro"), "#! tornpage repro 1\n#! atomic 7\n");
	cr_assert_gt(baseline_load(&b, support_dir, REPRO_CRASH, NULL, NULL), 0);
	baseline_free(&b);
	cr_assert_gt(baseline_load(&b, "/nonexistent/baseline", REPRO_CRASH, NULL, NULL), 0);
	baseline_free(&b);
}
