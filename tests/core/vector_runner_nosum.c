/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vector runner as a dataplane that cannot sum a payload: the core built with
 * TP_CORE_NO_PAYLOAD_SUM, as the XDP program builds it, so that tp_rewrite() itself hands an
 * IPv4 frame without a UDP checksum that leaves as IPv6 to the engine (needs-full-checksum).
 */
#define TP_CORE_NO_PAYLOAD_SUM 1
#define TP_VEC_RUN_ONE	       tp_vec_run_nosum
#include "vector_runner.c"
