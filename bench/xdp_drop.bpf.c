/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * For the micro-bench only: the far end of the veth drops what the program under test sends,
 * as cheaply as anything can.
 */
#include <linux/bpf.h>

#include <bpf/bpf_helpers.h>

SEC("xdp")
int
xdp_drop(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
