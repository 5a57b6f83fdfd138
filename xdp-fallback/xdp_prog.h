/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP program's loader, after libbpf-bootstrap: open the skeleton, write the
 * configuration into .rodata and size the tables, load (the verifier's word is final),
 * attach through a BPF link so the program leaves the interface with the process, however
 * it ends. libbpf's messages go to turnpike's log.
 */
#ifndef TP_XDP_PROG_H
#define TP_XDP_PROG_H

#include <stdbool.h>
#include <stddef.h>

#include "tp_xdp.h"

struct tp_xdp_prog;

/* Open, configure and load. NULL with a message in err on failure. */
struct tp_xdp_prog *tp_xdp_prog_load(const struct tp_xdp_cfg *cfg, unsigned max_bindings, char *err,
				     size_t errlen);
/*
 * Attach to ifindex: native, or generic when asked or when the driver refuses native (said in
 * the log). *mode is "native" or "generic". Returns 0 or -errno with a message in err.
 */
int tp_xdp_prog_attach(struct tp_xdp_prog *x, int ifindex, bool generic, const char **mode,
		       char *err, size_t errlen);
void tp_xdp_prog_detach(struct tp_xdp_prog *x);
void tp_xdp_prog_destroy(struct tp_xdp_prog *x);

int tp_xdp_prog_fd(const struct tp_xdp_prog *x);
int tp_xdp_chans_fd(const struct tp_xdp_prog *x);
int tp_xdp_peers_fd(const struct tp_xdp_prog *x);
int tp_xdp_perms_fd(const struct tp_xdp_prog *x);
int tp_xdp_sends_fd(const struct tp_xdp_prog *x);
int tp_xdp_reason_stats_fd(const struct tp_xdp_prog *x);
int tp_xdp_binding_stats_fd(const struct tp_xdp_prog *x);
int tp_xdp_fib_stats_fd(const struct tp_xdp_prog *x);
int tp_xdp_muted_fd(const struct tp_xdp_prog *x);
int tp_xdp_muted_stats_fd(const struct tp_xdp_prog *x);

#endif
