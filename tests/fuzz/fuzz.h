/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What every libFuzzer target here shares: its entry point, and the check that turns a broken
 * property into a finding (abort: libFuzzer saves the input and the test fails).
 */
#ifndef TP_FUZZ_H
#define TP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void
check(int cond)
{
	if (!cond)
		abort();
}

#endif
