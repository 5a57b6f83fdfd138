/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * turnpikectl's side in the relay: a UNIX stream socket (admin.socket, made with admin.mode;
 * the file's mode is who may connect) served on the control loop. A client sends one request,
 * a JSON object on one line, and gets one JSON object on one line back, then the connection
 * closes:
 *
 *   {"command": "status"}
 *   {"command": "allocations", "user": "alice", "client": "192.0.2.7"}    (filters optional)
 *   {"command": "kick", "client": "192.0.2.7:50000"} or {"command": "kick", "user": "alice"}
 *   {"command": "reload"}
 *   {"command": "drain"}
 *
 * Every answer has "ok" (true or false) and, when false, "error". A client is served within
 * 5 s of connecting or closed (one that says nothing, or reads nothing); past 16 at once, the
 * oldest is closed for the newest; a request over 4 KiB is answered with an error. Requests are
 * served one at a time, on the control thread, between packets. The protocol is turnpikectl's
 * (control/ctl/turnpikectl.c), and any script's that speaks JSON.
 */
#ifndef TP_ADMIN_H
#define TP_ADMIN_H

#include <stdint.h>

#include "config.h"
#include "loop.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tp_admin;

/* Listen on cfg's admin.socket for loop. NULL (logged, naming the key) when it cannot. */
struct tp_admin *tp_admin_open(const struct tp_config *cfg, struct tp_loop *loop);
/* Every tick: clients past their time closed. NULL: nothing. */
void tp_admin_tick(struct tp_admin *a, uint64_t now_ms);
/* The socket closed and its file removed. NULL: nothing. */
void tp_admin_close(struct tp_admin *a);

#ifdef __cplusplus
}
#endif

#endif
