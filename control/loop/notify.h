/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What systemd hears of the relay (a Type=notify service), through libsystemd's sd_notify: READY=1
 * once the relay serves, RELOADING=1 and READY=1 around a reload, a STATUS= line each second (mode,
 * allocations, connections), WATCHDOG=1 at half the unit's WatchdogSec when it sets one, STOPPING=1
 * when a stop begins. Without $NOTIFY_SOCKET (not under systemd) every call does nothing.
 */
#ifndef TP_NOTIFY_H
#define TP_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct tp_notify {
	bool active;	      /* under systemd: $NOTIFY_SOCKET set */
	uint64_t watchdog_ms; /* between two WATCHDOG=1; 0: no watchdog */
	uint64_t next_watchdog_ms, next_status_ms;
};

/* READY=1 with a first STATUS=; the watchdog's period read from the environment. */
void tp_notify_ready(struct tp_notify *n, const char *status, uint64_t now_ms);
/* Every turn: the watchdog when due, and status (called for when a second has passed). */
void tp_notify_tick(struct tp_notify *n, uint64_t now_ms, const char *(*status)(void *arg),
		    void *arg);
void tp_notify_stopping(void);
/* A reload begins (RELOADING=1, with MONOTONIC_USEC= as systemd 253's notify-reload wants), and
 * ends (READY=1, with status). */
void tp_notify_reloading(const struct tp_notify *n);
void tp_notify_reloaded(const struct tp_notify *n, const char *status);

#ifdef __cplusplus
}
#endif

#endif
