/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the STUN parser and everything that reads a parsed message. Any input
 * must parse or be refused with a reason; a parsed message must index only bytes inside the
 * datagram, and re-encoding its attributes must give a message that parses to the same list.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "stun.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[16] = "fuzzing-key-0123";
	static uint8_t out[TP_STUN_MAX_MSG];
	struct tp_stun_msg m, again;
	struct tp_stun_builder b;
	int err = tp_stun_parse(&m, data, size);

	if (err != TP_STUN_OK) {
		check(err > 0 && err < TP_STUN_E_COUNT);
		check(tp_stun_parse_error_name(err) != NULL);
		return 0;
	}
	check(m.len == size && m.nattrs <= TP_STUN_MAX_ATTRS && m.nunknown <= TP_STUN_MAX_UNKNOWN);
	check(m.mi_off < size && m.mi256_off < size && m.fp_off < size);

	tp_stun_build_init(&b, out, sizeof(out), m.method, m.cls, m.tid);
	for (unsigned i = 0; i < m.nattrs; i++) {
		const struct tp_stun_attr *a = &m.attrs[i];
		struct tp_addr addr;
		uint32_t v;

		check(a->off >= TP_STUN_HDR_LEN && a->off + a->len <= size);
		if (tp_stun_get_addr(&m, a, true, &addr) == 0)
			check(addr.family == TP_FAM_V4 || addr.family == TP_FAM_V6);
		tp_stun_get_addr(&m, a, false, &addr);
		tp_stun_get_u32(&m, a, &v);
		tp_stun_attr_name(a->type);
		tp_stun_add(&b, a->type, tp_stun_value(&m, a), a->len);
	}
	tp_stun_check_integrity(&m, false, key, sizeof(key));
	tp_stun_check_integrity(&m, true, key, sizeof(key));
	tp_stun_method_name(m.method);

	/* Re-encoded, the same attributes come back, in order. */
	tp_stun_add_integrity(&b, false, key, sizeof(key));
	tp_stun_add_fingerprint(&b);
	int len = tp_stun_build_end(&b);

	check(len > 0);
	check(tp_stun_parse(&again, out, (size_t)len) == TP_STUN_OK);
	check(again.nattrs == m.nattrs && again.method == m.method && again.cls == m.cls);
	for (unsigned i = 0; i < m.nattrs; i++)
		check(again.attrs[i].type == m.attrs[i].type &&
		      again.attrs[i].len == m.attrs[i].len &&
		      memcmp(tp_stun_value(&again, &again.attrs[i]), tp_stun_value(&m, &m.attrs[i]),
			     m.attrs[i].len) == 0);
	check(tp_stun_check_integrity(&again, false, key, sizeof(key)));
	return 0;
}
