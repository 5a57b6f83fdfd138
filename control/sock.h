/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Socket mode (dataplane.mode = "socket"): the kernel owns the NIC and the control thread
 * relays. One UDP socket per family on the listen port, one per relayed address, all in one
 * epoll set; the engine's timers run between batches. It is the reference dataplane, and what
 * the fast paths fall back to.
 */
#ifndef TP_SOCK_H
#define TP_SOCK_H

#include "config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Run until SIGINT or SIGTERM. Returns the process exit status. */
int tp_sock_run(const struct tp_config *cfg);

#ifdef __cplusplus
}
#endif

#endif
