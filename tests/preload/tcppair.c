// SPDX-License-Identifier: GPL-2.0
/*
 * tcppair: a tiny TCP server and client for the shim's tests.
 *
 *   tcppair freeport [-6]              print a free loopback port
 *   tcppair pair [-6] [-1] [-n] PORT   listen on PORT, connect to it, accept,
 *                                      exchange a message both ways; prints
 *                                      "listen=L connect=C accept=A ok"
 *   tcppair serve [-6] [-1] [-c N] PORT  echo server for N connections
 *                                      (default 1); prints "ready" first
 *   tcppair send [-6] [-n] PORT MSG    connect, send MSG, print the echo
 *
 *   tcppair script [-6] PORT load FILE | name NAME
 *                                      a connected pair; on the client end
 *                                      attach ULP "lua", then LOADSCRIPT
 *                                      FILE's bytes or ATTACHNAME NAME;
 *                                      prints "load ok", "name EPERM", ...
 *                                      and the kernel's message if any;
 *                                      with -s then "memory N", the bytes
 *                                      of the client end's Lua state
 *
 * -6: ::1 instead of 127.0.0.1; -1: accept() instead of accept4();
 * -n: non-blocking connect (poll + SO_ERROR, as nginx and curl do).
 * -e: check that successful accept/connect/getsockopt leave errno alone.
 * -r: call connect() again once it has completed, as Ruby's connect_nonblock
 *     does (must return 0 or EISCONN); when a connect fails, report on
 *     stderr whether SO_LINGER is set and what a repeated connect() returns:
 *     "tcppair: connect: <error> (linger=0, again: <error>)".
 * -s: (pair) also print the luaulp statistics of both ends, as
 *     "stats connect recv_calls=N bytes_in=N ..." or "stats connect ERROR".
 * Exit status 0 on success; errors go to stderr with the failing call.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

#include <uapi/luaulp.h>

static int v6, use_accept, nonblock, check_errno, stats, repeat, count = 1;

#define ERRNO_MARK EDOM

static void errno_check(const char *what)
{
	if (check_errno && errno != ERRNO_MARK) {
		fprintf(stderr, "tcppair: %s changed errno to %d (%s)\n", what,
			errno, strerror(errno));
		exit(1);
	}
}

static int die(const char *what)
{
	fprintf(stderr, "tcppair: %s: %s\n", what, strerror(errno));
	exit(1);
}

static socklen_t addr(struct sockaddr_storage *ss, int port)
{
	memset(ss, 0, sizeof(*ss));
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((unsigned short)port);
		a->sin6_addr = in6addr_loopback;
		return sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((unsigned short)port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*a);
	}
}

static int listener(int port)
{
	struct sockaddr_storage ss;
	socklen_t len = addr(&ss, port);
	int one = 1, fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len))
		die("bind");
	if (listen(fd, 16))
		die("listen");
	return fd;
}

static int do_accept(int lfd)
{
	int fd;

	errno = ERRNO_MARK;
	fd = use_accept ? accept(lfd, NULL, NULL) :
			  accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		die(use_accept ? "accept" : "accept4");
	errno_check(use_accept ? "accept" : "accept4");
	return fd;
}

/* A failed connect on FD (error ERR), with -r: what is left on the fd. */
static void connect_failed(int fd, const char *what, int err,
			   const struct sockaddr_storage *ss, socklen_t len)
{
	struct linger lg = { 0 };
	socklen_t llen = sizeof(lg);
	int again;

	if (!repeat) {
		errno = err;
		die(what);
	}
	getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &llen);
	again = connect(fd, (const struct sockaddr *)ss, len) ? errno : 0;
	fprintf(stderr, "tcppair: %s: %s (linger=%d, again: %s)\n", what,
		strerror(err), lg.l_onoff, again ? strerror(again) : "success");
	exit(1);
}

static int do_connect(int port)
{
	struct sockaddr_storage ss;
	socklen_t len = addr(&ss, port);
	int fd = socket(v6 ? AF_INET6 : AF_INET,
			SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);

	if (fd < 0)
		die("socket");
	errno = ERRNO_MARK;
	if (connect(fd, (struct sockaddr *)&ss, len) == 0) {
		errno_check("connect");
		return fd;
	}
	if (!nonblock || errno != EINPROGRESS)
		connect_failed(fd, "connect", errno, &ss, len);
	{
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int err = 0;
		socklen_t elen = sizeof(err);

		if (poll(&p, 1, 5000) != 1)
			die("poll");
		errno = ERRNO_MARK;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen))
			die("getsockopt");
		errno_check("getsockopt");
		if (err)
			connect_failed(fd, "connect (SO_ERROR)", err, &ss, len);
		if (repeat && connect(fd, (struct sockaddr *)&ss, len) &&
		    errno != EISCONN)
			die("connect (repeated)");
		if (fcntl(fd, F_SETFL, 0))
			die("fcntl");
	}
	return fd;
}

static void xfer(int from, int to, const char *msg)
{
	char buf[4096];
	size_t len = strlen(msg), got = 0;

	if (write(from, msg, len) != (ssize_t)len)
		die("write");
	while (got < len) {
		ssize_t n = read(to, buf + got, sizeof(buf) - got);

		if (n <= 0)
			die(n ? "read" : "read: connection closed");
		got += (size_t)n;
	}
	if (memcmp(buf, msg, len)) {
		fprintf(stderr, "tcppair: got \"%.*s\", expected \"%s\"\n",
			(int)got, buf, msg);
		exit(1);
	}
}

static void print_stats(const char *name, int fd)
{
	struct luaulp_stats st;
	socklen_t len = sizeof(st);

	if (getsockopt(fd, SOL_LUA, LUAULP_STATS, &st, &len)) {
		printf("stats %s %s\n", name, strerror(errno));
		return;
	}
	printf("stats %s recv_calls=%llu send_calls=%llu bytes_in=%llu "
	       "bytes_out=%llu errors=%llu\n", name,
	       (unsigned long long)st.recv_calls, (unsigned long long)st.send_calls,
	       (unsigned long long)st.bytes_in, (unsigned long long)st.bytes_out,
	       (unsigned long long)st.errors);
}

static int serve(int port)
{
	int lfd = listener(port);

	printf("ready\n");
	fflush(stdout);
	for (int i = 0; i < count; i++) {
		char buf[4096];
		ssize_t n;
		int fd = do_accept(lfd);

		while ((n = read(fd, buf, sizeof(buf))) > 0)
			if (write(fd, buf, (size_t)n) != n)
				break;
		close(fd);
	}
	close(lfd);
	return 0;
}

static int send_msg(int port, const char *msg)
{
	char buf[4096];
	ssize_t n;
	size_t got = 0, len = strlen(msg);
	int fd = do_connect(port);

	if (write(fd, msg, len) != (ssize_t)len)
		die("write");
	shutdown(fd, SHUT_WR);
	while ((n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	if (n < 0)
		die("read");
	buf[got] = '\0';
	printf("%s\n", buf);
	close(fd);
	return got == len ? 0 : 1;
}

static int freeport(void)
{
	struct sockaddr_storage ss;
	socklen_t len = addr(&ss, 0);
	int fd = listener(0);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		die("getsockname");
	printf("%d\n", ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
				  ((struct sockaddr_in *)&ss)->sin_port));
	close(fd);
	return 0;
}

static const char *errname(int e)
{
	static char buf[16];

	switch (e) {
	case 0: return "ok";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case EEXIST: return "EEXIST";
	case ENOMEM: return "ENOMEM";
	case ETIME: return "ETIME";
	case EMSGSIZE: return "EMSGSIZE";
	case ENOPROTOOPT: return "ENOPROTOOPT";
	}
	snprintf(buf, sizeof(buf), "errno%d", e);
	return buf;
}

static int script(int port, const char *how, const char *arg)
{
	int l = listener(port), c = do_connect(port), a = do_accept(l), err = 0;
	char src[65536], msg[LUAULP_ERROR_MAX] = "";
	socklen_t mlen = sizeof(msg);
	size_t len = 0;

	if (setsockopt(c, SOL_TCP, TCP_ULP, "lua", 3))
		die("setsockopt TCP_ULP");
	if (!strcmp(how, "load")) {
		FILE *f = fopen(arg, "rb");

		if (!f)
			die(arg);
		len = fread(src, 1, sizeof(src), f);
		fclose(f);
		if (setsockopt(c, SOL_LUA, LUAULP_LOADSCRIPT, src, (socklen_t)len))
			err = errno;
	} else if (!strcmp(how, "name")) {
		if (setsockopt(c, SOL_LUA, LUAULP_ATTACHNAME, arg, (socklen_t)strlen(arg)))
			err = errno;
	} else {
		fprintf(stderr, "tcppair: script: load FILE or name NAME\n");
		return 2;
	}
	if (err && !getsockopt(c, SOL_LUA, LUAULP_ERROR, msg, &mlen) && msg[0])
		printf("%s %s: %s\n", how, errname(err), msg);
	else
		printf("%s %s\n", how, errname(err));
	if (stats) {
		struct luaulp_stats st;
		socklen_t sl = sizeof(st);

		if (getsockopt(c, SOL_LUA, LUAULP_STATS, &st, &sl))
			die("getsockopt LUAULP_STATS");
		printf("memory %llu\n", (unsigned long long)st.memory);
	}
	xfer(a, c, "data\n");
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd;
	int opt, port;

	if (argc < 2)
		goto usage;
	cmd = argv[1];
	optind = 2;
	while ((opt = getopt(argc, argv, "61nesrc:")) != -1) {
		switch (opt) {
		case '6': v6 = 1; break;
		case '1': use_accept = 1; break;
		case 'n': nonblock = 1; break;
		case 'e': check_errno = 1; break;
		case 's': stats = 1; break;
		case 'r': repeat = 1; break;
		case 'c': count = atoi(optarg); break;
		default: goto usage;
		}
	}
	if (!strcmp(cmd, "freeport"))
		return freeport();
	if (optind >= argc)
		goto usage;
	port = atoi(argv[optind]);
	if (!strcmp(cmd, "serve"))
		return serve(port);
	if (!strcmp(cmd, "send") && optind + 1 < argc)
		return send_msg(port, argv[optind + 1]);
	if (!strcmp(cmd, "script") && optind + 2 < argc)
		return script(port, argv[optind + 1], argv[optind + 2]);
	if (!strcmp(cmd, "pair")) {
		int l = listener(port), c = do_connect(port), a = do_accept(l);

		xfer(c, a, "ping\n");
		xfer(a, c, "pong\n");
		printf("listen=%d connect=%d accept=%d ok\n", l, c, a);
		if (stats) {
			print_stats("connect", c);
			print_stats("accept", a);
		}
		return 0;
	}
usage:
	fprintf(stderr, "usage: tcppair freeport|pair|serve|send|script [-6] [-1] "
		"[-n] [-c N] PORT [MSG | load FILE | name NAME]\n");
	return 2;
}
