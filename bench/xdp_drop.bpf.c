/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xdp_bench's baselines: programs that do nothing but return a verdict, so that what the
 * kernel spends around a run is taken out of the figures. xdp_drop for one frame a run;
 * xdp_tx for live frames, where what the kernel does with the verdict (a transmit) is in the
 * timing and must be the same on both sides.
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

SEC("xdp")
int
xdp_tx(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
