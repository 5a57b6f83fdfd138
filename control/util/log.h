/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The project's logger: one line per event on standard error, with time and level. Nothing on
 * a per-packet path logs; counters tell that story.
 */
#ifndef TP_LOG_H
#define TP_LOG_H

#include <stddef.h>

#include "config.h"

#ifdef __cplusplus
extern "C" {
#endif

extern enum tp_log_level tp_log_level;

void tp_log(enum tp_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The last error this thread logged ("" after tp_log_clear_error): what a reload that failed
 * tells turnpikectl, worded as the log has it. */
const char *tp_log_last_error(void);
void tp_log_clear_error(void);

/*
 * Bytes a peer chose (a username, say) as log text: printable ASCII as is, backslash and
 * double quote escaped, anything else as \xNN, cut with "..." to fit cap. Returns out.
 */
const char *tp_log_text(const void *bytes, size_t n, char *out, size_t cap);

#define TP_ERR(...)  tp_log(TP_LOG_ERR, __VA_ARGS__)
#define TP_WARN(...) tp_log(TP_LOG_WARN, __VA_ARGS__)
#define TP_INFO(...) tp_log(TP_LOG_INFO, __VA_ARGS__)
#define TP_DEBUG(...)                                      \
	do {                                               \
		if (tp_log_level >= TP_LOG_DEBUG)          \
			tp_log(TP_LOG_DEBUG, __VA_ARGS__); \
	} while (0)

#ifdef __cplusplus
}
#endif

#endif
