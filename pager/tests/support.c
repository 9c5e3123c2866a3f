/* support.c — shared helpers for the pager tests (written by the pager-tests work). */
