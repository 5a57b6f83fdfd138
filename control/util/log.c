/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Logger (see log.h).
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum tp_log_level tp_log_level = TP_LOG_INFO;

static _Thread_local char last_error[512];

const char *
tp_log_last_error(void)
{
	return last_error;
}

void
tp_log_clear_error(void)
{
	last_error[0] = '\0';
}

void
tp_log(enum tp_log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	char stamp[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (level == TP_LOG_ERR) {
		va_start(ap, fmt);
		vsnprintf(last_error, sizeof(last_error), fmt, ap);
		va_end(ap);
	}
	if (level > tp_log_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	flockfile(stderr);
	fprintf(stderr, "%s.%03ldZ turnpike %s: ", stamp, ts.tv_nsec / 1000000, names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

/* One byte as log text; returns its length (at most 4). */
static size_t
log_piece(unsigned char c, char piece[5])
{
	if (c == '\\' || c == '"')
		return (size_t)snprintf(piece, 5, "\\%c", c);
	if (c >= 0x20 && c < 0x7f)
		return (size_t)snprintf(piece, 5, "%c", c);
	return (size_t)snprintf(piece, 5, "\\x%02x", c);
}

const char *
tp_log_text(const void *bytes, size_t n, char *out, size_t cap)
{
	const unsigned char *b = bytes;
	size_t o = 0, whole = 0, room;
	char piece[5];

	if (!cap)
		return out;
	for (size_t i = 0; i < n; i++)
		whole += log_piece(b[i], piece);
	/* All of it, or as much as leaves room for "..." behind. */
	room = whole < cap ? cap - 1 : (cap > 4 ? cap - 4 : 0);
	for (size_t i = 0; i < n; i++) {
		size_t len = log_piece(b[i], piece);

		if (o + len > room)
			break;
		memcpy(out + o, piece, len);
		o += len;
	}
	if (whole >= cap && cap > 4) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}
