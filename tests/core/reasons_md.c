/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prints dataplane/core/REASONS.md from the TP_REASONS list, so the document operators read
 * and the counter names the dataplanes export come from one declaration. A test checks the
 * committed file is what this prints.
 */
#include <stdio.h>

#include "tp_core.h"

int
main(void)
{
	puts("# Fast-path verdicts\n");
	puts("Generated from `TP_REASONS` in `dataplane/core/tp_verdict.h` by "
	     "`tests/core/reasons_md.c`;\ndo not edit. Every frame the fast path sees ends "
	     "with one action and one reason;\nthe dataplanes count frames under "
	     "`<action>:<reason>`.\n");
	puts("| action | reason | meaning |");
	puts("|---|---|---|");
#define X(n, a, s, h) printf("| %s | %s | %s |\n", tp_action_name(TP_ACT_##a), s, h);
	TP_REASONS(X)
#undef X
	return 0;
}
