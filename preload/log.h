/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Logging of the preload library: to a file, syslog or (only if asked)
 * stderr; never to the host program's stderr by default.
 *
 * Contract: luaulp_log_open() runs in the constructor, before any other
 * thread of ours; luaulp_log() is then safe from any thread and keeps
 * errno.  A log file descriptor the host closed or reused is detected and
 * never written to.
 */
#ifndef LUAULP_LOG_H
#define LUAULP_LOG_H

#include <syslog.h>

/* DEST: NULL or "syslog" (the default), "stderr", "none", or a file path
 * opened for append.  LEVEL: LOG_ERR..LOG_DEBUG.  Returns 0, or -1 with
 * errno if the file could not be opened (logging then goes to syslog). */
int luaulp_log_open(const char *dest, int level);
void luaulp_log_close(void);
int luaulp_log_level(void);

void luaulp_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)	luaulp_log(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	luaulp_log(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	luaulp_log(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	luaulp_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	luaulp_log(LOG_DEBUG, __VA_ARGS__)

#endif /* LUAULP_LOG_H */
