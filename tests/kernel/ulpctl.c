// SPDX-License-Identifier: GPL-2.0
/*
 * ulpctl: a test helper that drives the "lua" ULP over loopback TCP.
 *
 *   ulpctl [-6] attach server|client     attach to an accepted or connected
 *                                        socket, print getsockopt(TCP_ULP)
 *   ulpctl [-6] attach-listener          attach to a listening socket
 *   ulpctl [-6] attach-unconnected       attach to a fresh socket
 *   ulpctl [-6] attach-twice             attach twice to one socket
 *   ulpctl [-6] echo BYTES [server|client|both|none]
 *                                        send BYTES through a socket pair
 *                                        (ULP on the given side) and back,
 *                                        compare checksums
 *   ulpctl [-6] sockopts                 TCP and socket options on an
 *                                        attached socket still work
 *   ulpctl [-6] hold                     attach, print "ready", wait for
 *                                        stdin to close
 *
 * Errors are printed as errno names ("ENOTCONN") so tests can match them;
 * the exit status is 0 on the expected outcome, 1 otherwise.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

static int family = AF_INET;

static void die(const char *what)
{
	printf("%s: %s\n", what, strerrorname_np(errno));
	exit(1);
}

/* A listening socket on an ephemeral loopback port. */
static int listener(struct sockaddr_storage *ss, socklen_t *len)
{
	int fd = socket(family, SOCK_STREAM, 0);
	int one = 1;

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*a);
	}
	if (bind(fd, (struct sockaddr *)ss, *len) < 0)
		die("bind");
	if (listen(fd, 16) < 0)
		die("listen");
	if (getsockname(fd, (struct sockaddr *)ss, len) < 0)
		die("getsockname");
	return fd;
}

/* A connected pair: *cli connected, *srv accepted. */
static void pair(int *cli, int *srv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int lfd = listener(&ss, &len);

	*cli = socket(family, SOCK_STREAM, 0);
	if (*cli < 0)
		die("socket");
	if (connect(*cli, (struct sockaddr *)&ss, len) < 0)
		die("connect");
	*srv = accept(lfd, NULL, NULL);
	if (*srv < 0)
		die("accept");
	close(lfd);
}

static int attach(int fd)
{
	return setsockopt(fd, SOL_TCP, TCP_ULP, "lua", 3);
}

static void attach_or_die(int fd)
{
	if (attach(fd) < 0)
		die("attach");
}

static void print_ulp(int fd)
{
	char name[32] = "";
	socklen_t len = sizeof(name);

	if (getsockopt(fd, SOL_TCP, TCP_ULP, name, &len) < 0)
		die("getsockopt");
	printf("%s\n", name);
}

/* Report the outcome of an attach that is expected to fail. */
static int expect_failure(int fd)
{
	if (attach(fd) == 0) {
		printf("attached\n");
		return 1;
	}
	printf("%s\n", strerrorname_np(errno));
	return 0;
}

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

static void write_all(int fd, const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		p += w;
		n -= w;
	}
}

/*
 * Client writes BYTES of pseudo-random data (from a child process), the
 * server echoes everything back, the client reads it back.  Checksums of
 * sent, echoed and received data must agree.
 */
static int echo(size_t bytes, const char *side)
{
	uint64_t sent = 0xcbf29ce484222325ULL, back = sent, seen = sent;
	unsigned char buf[65536];
	size_t got = 0, echoed = 0;
	int cli, srv, status;
	uint32_t x = 12345;
	pid_t pid;

	pair(&cli, &srv);
	if (!strcmp(side, "server") || !strcmp(side, "both"))
		attach_or_die(srv);
	if (!strcmp(side, "client") || !strcmp(side, "both"))
		attach_or_die(cli);

	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		/* Writer: the client's sending half. */
		size_t left = bytes;

		close(srv);
		while (left) {
			size_t n = left < sizeof(buf) ? left : sizeof(buf);

			for (size_t i = 0; i < n; i++) {
				x = x * 1103515245 + 12345;
				buf[i] = x >> 16;
			}
			write_all(cli, buf, n);
			left -= n;
		}
		shutdown(cli, SHUT_WR);
		_exit(0);
	}
	/* Parent: the server echoes, the client reads the echo. */
	for (;;) {
		struct pollfd p[2] = { { srv, POLLIN, 0 }, { cli, POLLIN, 0 } };

		if (poll(p, 2, 30000) <= 0)
			die("poll");
		if (p[0].revents) {
			ssize_t n = read(srv, buf, sizeof(buf));

			if (n < 0)
				die("read server");
			if (n == 0) {
				shutdown(srv, SHUT_WR);
				p[0].fd = -1;
				srv = -1;
			} else {
				back = fnv(back, buf, n);
				echoed += n;
				write_all(srv, buf, n);
			}
		}
		if (p[1].revents) {
			ssize_t n = read(cli, buf, sizeof(buf));

			if (n < 0)
				die("read client");
			if (n == 0)
				break;
			seen = fnv(seen, buf, n);
			got += n;
		}
	}
	waitpid(pid, &status, 0);
	/* Regenerate the writer's stream for the expected checksum. */
	for (size_t left = bytes; left; ) {
		size_t n = left < sizeof(buf) ? left : sizeof(buf);

		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245 + 12345;
			buf[i] = x >> 16;
		}
		sent = fnv(sent, buf, n);
		left -= n;
	}
	printf("sent %zu %016llx\necho %zu %016llx\nreceived %zu %016llx\n",
	       bytes, (unsigned long long)sent, echoed,
	       (unsigned long long)back, got, (unsigned long long)seen);
	return !(got == bytes && echoed == bytes && back == sent &&
		 seen == sent && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(int argc, char **argv)
{
	int cli, srv;

	if (argc > 1 && !strcmp(argv[1], "-6")) {
		family = AF_INET6;
		argv++;
		argc--;
	}
	if (argc < 2)
		goto usage;
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (!strcmp(argv[1], "attach") && argc == 3) {
		pair(&cli, &srv);
		int fd = !strcmp(argv[2], "server") ? srv : cli;

		attach_or_die(fd);
		print_ulp(fd);
		return 0;
	}
	if (!strcmp(argv[1], "attach-listener")) {
		struct sockaddr_storage ss;
		socklen_t len;

		return expect_failure(listener(&ss, &len));
	}
	if (!strcmp(argv[1], "attach-unconnected")) {
		int fd = socket(family, SOCK_STREAM, 0);

		if (fd < 0)
			die("socket");
		return expect_failure(fd);
	}
	if (!strcmp(argv[1], "attach-twice")) {
		pair(&cli, &srv);
		attach_or_die(srv);
		return expect_failure(srv);
	}
	if (!strcmp(argv[1], "echo") && argc >= 3)
		return echo(strtoull(argv[2], NULL, 0), argc > 3 ? argv[3] : "both");
	if (!strcmp(argv[1], "sockopts")) {
		int one = 1, val = 0, buf = 65536;
		socklen_t len = sizeof(val);

		pair(&cli, &srv);
		attach_or_die(srv);
		if (setsockopt(srv, SOL_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
			die("TCP_NODELAY");
		if (getsockopt(srv, SOL_TCP, TCP_NODELAY, &val, &len) < 0)
			die("TCP_NODELAY");
		if (setsockopt(srv, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf)) < 0)
			die("SO_RCVBUF");
		printf("TCP_NODELAY %d\n", val);
		return val != 1;
	}
	if (!strcmp(argv[1], "hold")) {
		char c;

		pair(&cli, &srv);
		attach_or_die(srv);
		attach_or_die(cli);
		printf("ready\n");
		while (read(0, &c, 1) > 0)
			;
		return 0;
	}
usage:
	fprintf(stderr, "usage: ulpctl [-6] attach server|client | attach-listener |\n"
		"       attach-unconnected | attach-twice | echo BYTES [SIDE] |\n"
		"       sockopts | hold\n");
	return 2;
}
