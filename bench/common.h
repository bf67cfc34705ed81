/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the in-guest bench programs share: loopback pairs, attaching the
 * ULP, timing, percentiles and the one output format.
 *
 * Output: one line per measurement,
 *   @row <section> <variant> <param> <rep> <metric> <value>
 * tab-separated; bench/report turns the repetitions into medians, spreads
 * and ratios to each section's baseline.  Diagnostics go to stderr.
 */
#ifndef LUAULP_BENCH_COMMON_H
#define LUAULP_BENCH_COMMON_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "luaulp.h"
#include "util.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

static inline double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static inline void row(const char *section, const char *variant,
		       const char *param, int rep, const char *metric,
		       double value)
{
	printf("@row\t%s\t%s\t%s\t%d\t%s\t%.6g\n", section, variant, param, rep,
	       metric, value);
}

/* A listener on an ephemeral loopback port. */
static inline int listener(struct sockaddr_in *a, int backlog)
{
	socklen_t len = sizeof(*a);
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l < 0 || bind(l, (void *)a, len) || listen(l, backlog) ||
	    getsockname(l, (void *)a, &len))
		die("listen");
	return l;
}

/* A connected loopback pair: *cli connected, *srv accepted. */
static inline void pair(int *cli, int *srv)
{
	struct sockaddr_in a;
	int l = listener(&a, 1), one = 1;

	*cli = socket(AF_INET, SOCK_STREAM, 0);
	if (*cli < 0 || connect(*cli, (void *)&a, sizeof(a)))
		die("connect");
	*srv = accept(l, NULL, NULL);
	if (*srv < 0)
		die("accept");
	close(l);
	setsockopt(*cli, SOL_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(*srv, SOL_TCP, TCP_NODELAY, &one, sizeof(one));
}

static inline void attach_ulp(int fd)
{
	if (setsockopt(fd, SOL_TCP, TCP_ULP, "lua", 3))
		die("TCP_ULP lua");
}

/* LOADSCRIPT SRC, then the entries that are not NULL. */
static inline void load_source(int fd, const char *src, const char *entry,
			       const char *send_entry)
{
	if (setsockopt(fd, SOL_LUA, LUAULP_LOADSCRIPT, src, strlen(src)))
		die("LUAULP_LOADSCRIPT");
	if (entry && setsockopt(fd, SOL_LUA, LUAULP_ENTRYPOINT, entry,
				strlen(entry)))
		die("LUAULP_ENTRYPOINT");
	if (send_entry && setsockopt(fd, SOL_LUA, LUAULP_SENDENTRY, send_entry,
				     strlen(send_entry)))
		die("LUAULP_SENDENTRY");
}

static inline void attach_name(int fd, const char *name)
{
	if (setsockopt(fd, SOL_LUA, LUAULP_ATTACHNAME, name, strlen(name))) {
		fprintf(stderr, "bench: attach by name %s (registered?)\n", name);
		die("LUAULP_ATTACHNAME");
	}
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The P-th percentile (0..100) of V[0..N), nearest rank; sorts V. */
static inline double percentile(double *v, size_t n, double p)
{
	size_t k;

	qsort(v, n, sizeof(*v), cmp_double);
	k = (size_t)(p / 100.0 * n + 0.5);
	if (k > 0)
		k--;
	if (k >= n)
		k = n - 1;
	return v[k];
}

/* Room for a thousand connections and more. */
static inline void more_files(void)
{
	struct rlimit r = { 65536, 65536 };

	if (setrlimit(RLIMIT_NOFILE, &r)) {
		getrlimit(RLIMIT_NOFILE, &r);
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

#endif
