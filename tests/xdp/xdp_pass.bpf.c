/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * For the test topology only: a native XDP program that passes every frame, attached to the
 * far end of the relay's veth. A veth delivers XDP_TX frames natively only to a peer that
 * runs XDP itself.
 */
#include <linux/bpf.h>

#include <bpf/bpf_helpers.h>

SEC("xdp")
int
xdp_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
