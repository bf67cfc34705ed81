// SPDX-License-Identifier: GPL-2.0
/*
 * Logging for libluaulp.so.  One write(2) per line, so lines from the
 * processes of one server (nginx master and workers) never interleave.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

enum dest { DEST_SYSLOG, DEST_STDERR, DEST_FILE, DEST_NONE };

static struct {
	enum dest dest;
	int level;
	int fd;
	dev_t dev;	/* identity of fd, checked before each write */
	ino_t ino;
	int busy;	/* one thread at a time checks for rotation */
	char path[PATH_MAX];	/* the log file, reopened after rotation */
} lg = { .dest = DEST_SYSLOG, .level = LOG_WARNING, .fd = -1 };

/* A fork while another thread held busy must not leave the child without
 * rotation checks for ever. */
static void child_after_fork(void)
{
	__atomic_store_n(&lg.busy, 0, __ATOMIC_RELAXED);
}

/* Open PATH for appending, at a high descriptor; its identity in *ST. */
static int open_file(const char *path, struct stat *st)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
		      0640);

	if (fd < 0 || fstat(fd, st)) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		errno = e;
		return -1;
	}
	/* Keep out of the way of programs that expect low descriptors. */
	if (fd < 100) {
		int high = fcntl(fd, F_DUPFD_CLOEXEC, 100);

		if (high >= 0) {
			close(fd);
			fd = high;
		}
	}
	return fd;
}

/*
 * logrotate (create), a rename or an rm: the path no longer names our file.
 * Open it anew and put it in place of the old one with dup3, so that the
 * descriptor number never changes under a concurrent writer.  If it cannot
 * be opened (a worker that dropped privileges), go on with the old file.
 * Called with busy held.
 */
static void reopen_if_rotated(void)
{
	struct stat st;
	int fd;

	if (!stat(lg.path, &st) && st.st_dev == lg.dev && st.st_ino == lg.ino)
		return;
	fd = open_file(lg.path, &st);
	if (fd < 0)
		return;
	if (dup3(fd, lg.fd, O_CLOEXEC) >= 0) {
		__atomic_store_n(&lg.dev, st.st_dev, __ATOMIC_RELAXED);
		__atomic_store_n(&lg.ino, st.st_ino, __ATOMIC_RELAXED);
	}
	close(fd);
}

static const char *level_name(int level)
{
	switch (level) {
	case LOG_EMERG: case LOG_ALERT: case LOG_CRIT: case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
		return "notice";
	case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

/* Whatever a value carried (a newline in a policy string), one message is
 * one line: control characters become '?'. */
static void one_line(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = '?';
}

int luaulp_log_open(const char *dest, int level)
{
	static bool registered;
	struct stat st;
	int fd;

	luaulp_log_close();
	if (level >= LOG_EMERG && level <= LOG_DEBUG)
		lg.level = level;
	if (!dest || !*dest || !strcmp(dest, "syslog")) {
		lg.dest = DEST_SYSLOG;
		return 0;
	}
	if (!strcmp(dest, "stderr")) {
		lg.dest = DEST_STDERR;
		return 0;
	}
	if (!strcmp(dest, "none")) {
		lg.dest = DEST_NONE;
		return 0;
	}
	if (strlen(dest) >= sizeof(lg.path)) {
		lg.dest = DEST_SYSLOG;
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open_file(dest, &st);
	if (fd < 0) {
		lg.dest = DEST_SYSLOG;
		return -1;
	}
	if (!registered) {
		registered = true;
		pthread_atfork(NULL, NULL, child_after_fork);
	}
	strcpy(lg.path, dest);
	lg.fd = fd;
	lg.dev = st.st_dev;
	lg.ino = st.st_ino;
	lg.dest = DEST_FILE;
	return 0;
}

void luaulp_log_close(void)
{
	if (lg.dest == DEST_FILE && lg.fd >= 0) {
		struct stat st;

		/* Only close what is still ours. */
		if (!fstat(lg.fd, &st) && st.st_dev == lg.dev && st.st_ino == lg.ino)
			close(lg.fd);
	}
	lg.fd = -1;
	lg.dest = DEST_SYSLOG;
}

int luaulp_log_level(void)
{
	return lg.dest == DEST_NONE ? -1 : lg.level;
}

void luaulp_log(int level, const char *fmt, ...)
{
	int saved = errno;
	char line[1024];
	struct stat st;
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n, m;

	if (level > lg.level || lg.dest == DEST_NONE)
		goto out;
	if (lg.dest == DEST_SYSLOG) {
		va_start(ap, fmt);
		vsnprintf(line, sizeof(line), fmt, ap);
		va_end(ap);
		one_line(line, strlen(line));
		/* No openlog(): the host's ident and options stay its own. */
		syslog(LOG_DAEMON | level, "luaulp: %s: %s", level_name(level), line);
		goto out;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
		     "%04d-%02d-%02dT%02d:%02d:%02dZ luaulp[%d]: %s: ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, (int)getpid(), level_name(level));
	if (n < 0 || (size_t)n >= sizeof(line))
		goto out;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		goto out;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	one_line(line, (size_t)n);
	line[n++] = '\n';
	if (lg.dest == DEST_STDERR) {
		if (write(STDERR_FILENO, line, (size_t)n) < 0)
			goto out;
		goto out;
	}
	if (__atomic_exchange_n(&lg.busy, 1, __ATOMIC_ACQUIRE)) {
		/* Another thread is checking: write unless the descriptor is
		 * not ours (or is being replaced just now: skip the line). */
		if (!fstat(lg.fd, &st) &&
		    st.st_dev == __atomic_load_n(&lg.dev, __ATOMIC_RELAXED) &&
		    st.st_ino == __atomic_load_n(&lg.ino, __ATOMIC_RELAXED) &&
		    write(lg.fd, line, (size_t)n) < 0)
			goto out;
		goto out;
	}
	/* The host may have closed our descriptor and reused the number. */
	if (fstat(lg.fd, &st) || st.st_dev != lg.dev || st.st_ino != lg.ino) {
		lg.fd = -1;
		lg.dest = DEST_NONE;
		__atomic_store_n(&lg.busy, 0, __ATOMIC_RELEASE);
		goto out;
	}
	reopen_if_rotated();
	if (write(lg.fd, line, (size_t)n) < 0) {
		__atomic_store_n(&lg.busy, 0, __ATOMIC_RELEASE);
		goto out;
	}
	__atomic_store_n(&lg.busy, 0, __ATOMIC_RELEASE);
out:
	errno = saved;
}
