/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * systemd's notification protocol, through libsystemd (see notify.h).
 */
#include "notify.h"

#include <stdlib.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "log.h"

void
tp_notify_ready(struct tp_notify *n, const char *status, uint64_t now_ms)
{
	uint64_t usec = 0;

	*n = (struct tp_notify){ .active = getenv("NOTIFY_SOCKET") != NULL };
	if (!n->active)
		return;
	/* The watchdog's period, when the unit sets WatchdogSec (its pid ours): pinged at half. */
	if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000) {
		n->watchdog_ms = usec / 2000;
		TP_INFO("systemd watchdog: every %llu ms", (unsigned long long)n->watchdog_ms);
	}
	sd_notifyf(0, "READY=1\nSTATUS=%s", status);
	n->next_watchdog_ms = now_ms + n->watchdog_ms;
	n->next_status_ms = now_ms + 1000;
}

void
tp_notify_tick(struct tp_notify *n, uint64_t now_ms, const char *(*status)(void *arg), void *arg)
{
	if (!n->active)
		return;
	if (n->watchdog_ms && now_ms >= n->next_watchdog_ms) {
		sd_notify(0, "WATCHDOG=1");
		n->next_watchdog_ms = now_ms + n->watchdog_ms;
	}
	if (now_ms >= n->next_status_ms) {
		sd_notifyf(0, "STATUS=%s", status(arg));
		n->next_status_ms = now_ms + 1000;
	}
}

void
tp_notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

void
tp_notify_reloading(const struct tp_notify *n)
{
	struct timespec ts;

	if (!n->active)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading",
		   (unsigned long long)ts.tv_sec * 1000000ull +
			   (unsigned long long)ts.tv_nsec / 1000);
}

void
tp_notify_reloaded(const struct tp_notify *n, const char *status)
{
	if (n->active)
		sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}
