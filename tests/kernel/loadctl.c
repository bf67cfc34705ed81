// SPDX-License-Identifier: GPL-2.0
/*
 * loadctl: many scripted sockets, and two threads on one.
 *
 *   loadctl conns N     N scripted connections open at once (server side
 *                       scripted: upper-cases), each checked, then closed
 *   loadctl threads MB  one scripted socket: a thread sends MB MiB through
 *                       the send entry while another receives the echo
 *                       through the receive entry; checksums must match
 *
 * Prints "ok ..." and exits 0, or says what went wrong and exits 1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "luaulp.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

static void die(const char *what)
{
	printf("%s: %s\n", what, strerrorname_np(errno));
	exit(1);
}

static int lfd;
static struct sockaddr_in addr;

static void listen_any(void)
{
	socklen_t len = sizeof(addr);

	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (void *)&addr, len) || listen(lfd, 4096) ||
	    getsockname(lfd, (void *)&addr, &len))
		die("listen");
}

static void script(int fd, const char *src, const char *entry,
		   const char *send_entry)
{
	if (setsockopt(fd, SOL_TCP, TCP_ULP, "lua", 3))
		die("attach");
	if (setsockopt(fd, SOL_LUA, LUAULP_LOADSCRIPT, src, strlen(src)))
		die("loadscript");
	if (entry && setsockopt(fd, SOL_LUA, LUAULP_ENTRYPOINT, entry,
				strlen(entry)))
		die("entrypoint");
	if (send_entry && setsockopt(fd, SOL_LUA, LUAULP_SENDENTRY,
				     send_entry, strlen(send_entry)))
		die("sendentry");
}

static int conns(int n)
{
	struct rlimit rl = { 4 * n + 64, 4 * n + 64 };
	int *cli = calloc(n, sizeof(int)), *srv = calloc(n, sizeof(int));
	char buf[16];
	int i;

	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit");
	listen_any();
	for (i = 0; i < n; i++) {
		cli[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (cli[i] < 0 || connect(cli[i], (void *)&addr, sizeof(addr)))
			die("connect");
		srv[i] = accept(lfd, NULL, NULL);
		if (srv[i] < 0)
			die("accept");
		script(srv[i], "function up(d) return d:upper() end", "up", NULL);
	}
	for (i = 0; i < n; i++)
		if (write(cli[i], "ping", 4) != 4)
			die("write");
	for (i = 0; i < n; i++) {
		ssize_t r = read(srv[i], buf, sizeof(buf));

		if (r != 4 || memcmp(buf, "PING", 4)) {
			printf("connection %d: got %zd bytes\n", i, r);
			return 1;
		}
	}
	for (i = 0; i < n; i++) {
		close(cli[i]);
		close(srv[i]);
	}
	printf("ok %d scripted connections\n", n);
	return 0;
}

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

struct job {
	int fd;
	size_t bytes;
	uint64_t sum;
};

static void *sender(void *arg)
{
	struct job *j = arg;
	unsigned char buf[16384];
	uint32_t x = 7;
	size_t left = j->bytes;

	j->sum = 0xcbf29ce484222325ULL;
	while (left) {
		size_t n = left < sizeof(buf) ? left : sizeof(buf), off = 0;

		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245 + 12345;
			buf[i] = x >> 16;
		}
		j->sum = fnv(j->sum, buf, n);
		while (off < n) {
			ssize_t w = write(j->fd, buf + off, n - off);

			if (w < 0)
				die("send");
			off += w;
		}
		left -= n;
	}
	return NULL;
}

static void *receiver(void *arg)
{
	struct job *j = arg;
	unsigned char buf[16384];
	size_t got = 0;

	j->sum = 0xcbf29ce484222325ULL;
	while (got < j->bytes) {
		ssize_t r = read(j->fd, buf, sizeof(buf));

		if (r <= 0)
			die("recv");
		j->sum = fnv(j->sum, buf, r);
		got += r;
	}
	return NULL;
}

static int threads(size_t mb)
{
	const char *src =
		"calls = 0\n"
		"function r(d) calls = calls + 1 return nil end\n"
		"function s(d) calls = calls + 1 return d end\n";
	struct job tx, rx;
	pthread_t a, b;
	int cli, srv;
	pid_t pid;

	listen_any();
	cli = socket(AF_INET, SOCK_STREAM, 0);
	if (cli < 0 || connect(cli, (void *)&addr, sizeof(addr)))
		die("connect");
	srv = accept(lfd, NULL, NULL);
	if (srv < 0)
		die("accept");
	script(srv, src, "r", "s");

	pid = fork();
	if (pid == 0) {
		/* The peer echoes everything back. */
		char buf[65536];
		ssize_t r;

		close(srv);
		while ((r = read(cli, buf, sizeof(buf))) > 0)
			for (ssize_t off = 0; off < r; ) {
				ssize_t w = write(cli, buf + off, r - off);

				if (w < 0)
					_exit(1);
				off += w;
			}
		_exit(0);
	}
	close(cli);
	tx.fd = rx.fd = srv;
	tx.bytes = rx.bytes = mb << 20;
	pthread_create(&a, NULL, sender, &tx);
	pthread_create(&b, NULL, receiver, &rx);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	shutdown(srv, SHUT_WR);
	waitpid(pid, NULL, 0);
	if (tx.sum != rx.sum) {
		printf("checksums differ\n");
		return 1;
	}
	printf("ok %zu MiB both ways concurrently\n", mb);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "conns"))
		return conns(atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "threads"))
		return threads(strtoul(argv[2], NULL, 0));
	fprintf(stderr, "usage: loadctl conns N | threads MB\n");
	return 2;
}
