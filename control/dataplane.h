/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplanes main() can start, one entry per dataplane.mode. Each runs until SIGINT or
 * SIGTERM and returns the process exit status. The control plane knows them only by these
 * entry points: how they relay is their own business, behind struct tp_fastpath_ops.
 */
#ifndef TP_DATAPLANE_H
#define TP_DATAPLANE_H

#include "config.h"

/* control/sock.c: the sockets relay (the reference dataplane). */
int tp_sock_run(const struct tp_config *cfg);
/* xdp-fallback/: an XDP program relays, the sockets take what it passes on. */
int tp_xdp_run(const struct tp_config *cfg);
/* dataplane/: DPDK owns the NIC; worker lcores relay, the control thread does the rest. */
int tp_dpdk_run(const struct tp_config *cfg, const char *argv0);

#endif
