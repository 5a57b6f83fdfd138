/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * turnpikectl's side in the relay: a UNIX stream socket (admin.socket, made with admin.mode;
 * the file's mode is who may connect) served on the control loop. A client sends one request,
 * a JSON object on one line, and gets one JSON object on one line back, then the connection
 * closes:
 *
 *   {"command": "status"}
 *   {"command": "allocations", "user": "alice", "client": "192.0.2.7", "limit": 100}
 *                                          (each optional; "count" says how many match)
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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "auth.h"
#include "config.h"
#include "loop.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TP_ADMIN_COMMANDS(X) \
	X(STATUS, "status")  \
	X(ALLOCATIONS, "allocations") X(KICK, "kick") X(RELOAD, "reload") X(DRAIN, "drain")

enum tp_admin_command {
#define X(n, s) TP_ADMIN_##n,
	TP_ADMIN_COMMANDS(X)
#undef X
};

/* allocations: listed at most, unless the request's "limit" says otherwise (up to the max):
 * the answer is built on the control thread, between packets. */
#define TP_ADMIN_LIST_DEFAULT 1000
#define TP_ADMIN_LIST_MAX     100000

/* One request, as parsed. */
struct tp_admin_request {
	enum tp_admin_command command;
	bool has_user, has_client;
	unsigned limit; /* allocations: how many to list at most */
	char user[TP_USERNAME_MAX + 1];
	struct tp_addr client; /* port 0: any port */
};

/* line (a NUL-terminated request) into req: 0, or -1 with the answer's error text in err
 * (what is wrong, naming the field). A kick needs a client or a user. */
int tp_admin_parse(const char *line, struct tp_admin_request *req, char *err, size_t errlen);

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
