// SPDX-License-Identifier: GPL-2.0
/*
 * luapair: run bytes through a scripted loopback TCP connection.
 *
 *   luapair [-6] [-n] [-d recv|send] [-w WSIZE] [-r RSIZE] [-e ENTRY]
 *           [-s SENDENTRY] [-o pass|reset] [-m MEMLIMIT] [-p PEERFILE]
 *           [-x FLAGS] SCRIPT < INPUT > OUTPUT
 *
 * The server side (the accepted socket) carries the ULP and SCRIPT; with
 * -C the roles swap: the connected socket is scripted and plays "server".
 *   -d recv (default): the client writes INPUT in WSIZE pieces and shuts
 *      down; the server reads with RSIZE buffers until EOF or an error and
 *      writes what it got to stdout.  What the client receives back (from
 *      luaulp.send) goes to PEERFILE.
 *   -d send: the server writes INPUT in WSIZE pieces through its send
 *      entry; the client reads it to stdout.
 *   -n: the server socket is non-blocking (reads poll, EAGAIN is counted).
 *   -x FLAGS: recv flags for the server's reads: peek, waitall, trunc, oob;
 *      "splice": the server reads through splice() into a pipe;
 *      "sendfile": (-d send) the server writes INPUT, a regular file, with
 *      sendfile().
 * On stderr: "end: EOF" or "end: <ERRNO>", then "stats: ..." from
 * LUAULP_STATS and any LUAULP_ERROR message.  Exit 0 unless set-up failed
 * (3: LOADSCRIPT failed, printed as "load: ERRNO: message").
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "luaulp.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

static void die(const char *what)
{
	fprintf(stderr, "%s: %s\n", what, strerrorname_np(errno));
	exit(2);
}

static char *slurp(int fd, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *p = malloc(cap);
	ssize_t r;

	if (!p)
		die("malloc");
	while ((r = read(fd, p + n, cap - n)) > 0) {
		n += r;
		if (n == cap && !(p = realloc(p, cap *= 2)))
			die("realloc");
	}
	if (r < 0)
		die("read input");
	*len = n;
	return p;
}

static void write_all(int fd, const char *p, size_t n, size_t piece)
{
	while (n) {
		size_t k = n < piece ? n : piece;
		ssize_t w = write(fd, p, k);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pfd = { fd, POLLOUT, 0 };

				poll(&pfd, 1, 1000);
				continue;
			}
			fprintf(stderr, "write: %s\n", strerrorname_np(errno));
			return;
		}
		p += w;
		n -= w;
	}
}

int main(int argc, char **argv)
{
	const char *entry = "entry", *sendentry = NULL, *peerfile = NULL;
	size_t wsize = 65536, rsize = 65536, inlen, srclen;
	int family = AF_INET, nonblock = 0, send_dir = 0, onerror = -1;
	int memlimit = 0, rflags = 0, opt, lfd, cli, srv, one = 1;
	int use_splice = 0, use_sendfile = 0, client_side = 0;
	struct sockaddr_storage ss = {};
	socklen_t alen;
	char *in, *src, *buf;
	long eagain = 0;
	pid_t pid;

	while ((opt = getopt(argc, argv, "6Cnd:w:r:e:s:o:m:p:x:")) != -1) {
		switch (opt) {
		case 'C': client_side = 1; break;
		case '6': family = AF_INET6; break;
		case 'n': nonblock = 1; break;
		case 'd': send_dir = !strcmp(optarg, "send"); break;
		case 'w': wsize = strtoul(optarg, NULL, 0); break;
		case 'r': rsize = strtoul(optarg, NULL, 0); break;
		case 'e': entry = optarg; break;
		case 's': sendentry = optarg; break;
		case 'o': onerror = !strcmp(optarg, "reset") ?
			LUAULP_ONERROR_RESET : LUAULP_ONERROR_PASS; break;
		case 'm': memlimit = atoi(optarg); break;
		case 'p': peerfile = optarg; break;
		case 'x':
			if (strstr(optarg, "peek")) rflags |= MSG_PEEK;
			if (strstr(optarg, "waitall")) rflags |= MSG_WAITALL;
			if (strstr(optarg, "trunc")) rflags |= MSG_TRUNC;
			if (strstr(optarg, "oob")) rflags |= MSG_OOB;
			if (strstr(optarg, "splice")) use_splice = 1;
			if (strstr(optarg, "sendfile")) use_sendfile = 1;
			break;
		default: return 2;
		}
	}
	if (optind + 1 != argc || !wsize || !rsize) {
		fprintf(stderr, "usage: see the comment at the top of luapair.c\n");
		return 2;
	}
	{
		int sfd = open(argv[optind], O_RDONLY);

		if (sfd < 0)
			die("open script");
		src = slurp(sfd, &srclen);
		close(sfd);
	}
	if (use_sendfile) {
		struct stat sb;

		if (fstat(0, &sb) || !S_ISREG(sb.st_mode))
			die("sendfile needs a regular file on stdin");
		in = NULL;
		inlen = sb.st_size;
	} else {
		in = slurp(0, &inlen);
	}
	buf = malloc(rsize);
	if (!buf)
		die("malloc");

	/* A connected pair over loopback. */
	lfd = socket(family, SOCK_STREAM, 0);
	ss.ss_family = family;
	if (family == AF_INET6) {
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
		alen = sizeof(struct sockaddr_in6);
	} else {
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		alen = sizeof(struct sockaddr_in);
	}
	if (lfd < 0 || bind(lfd, (void *)&ss, alen) || listen(lfd, 1) ||
	    getsockname(lfd, (void *)&ss, &alen))
		die("listen");
	cli = socket(family, SOCK_STREAM, 0);
	if (cli < 0 || connect(cli, (void *)&ss, alen))
		die("connect");
	srv = accept(lfd, NULL, NULL);
	if (srv < 0)
		die("accept");
	close(lfd);
	if (client_side) {
		int t = cli;

		cli = srv;
		srv = t;
	}
	setsockopt(cli, SOL_TCP, TCP_NODELAY, &one, sizeof(one));

	if (setsockopt(srv, SOL_TCP, TCP_ULP, "lua", 3))
		die("attach");
	if (memlimit && setsockopt(srv, SOL_LUA, LUAULP_MEMLIMIT, &memlimit,
				   sizeof(memlimit)))
		die("memlimit");
	if (setsockopt(srv, SOL_LUA, LUAULP_LOADSCRIPT, src, srclen)) {
		char msg[LUAULP_ERROR_MAX] = "";
		socklen_t ml = sizeof(msg);
		int e = errno;

		getsockopt(srv, SOL_LUA, LUAULP_ERROR, msg, &ml);
		printf("load: %s: %s\n", strerrorname_np(e), msg);
		return 3;
	}
	if (onerror >= 0 && setsockopt(srv, SOL_LUA, LUAULP_ONERROR, &onerror,
				       sizeof(onerror)))
		die("onerror");
	if (!send_dir && setsockopt(srv, SOL_LUA, LUAULP_ENTRYPOINT, entry,
				    strlen(entry)))
		die("entrypoint");
	if ((send_dir || sendentry) &&
	    setsockopt(srv, SOL_LUA, LUAULP_SENDENTRY,
		       sendentry ? sendentry : entry,
		       strlen(sendentry ? sendentry : entry)))
		die("sendentry");
	if (nonblock)
		fcntl(srv, F_SETFL, fcntl(srv, F_GETFL) | O_NONBLOCK);

	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		/* Client. */
		close(srv);
		if (!send_dir) {
			FILE *peer = peerfile ? fopen(peerfile, "w") : NULL;
			ssize_t n;

			write_all(cli, in, inlen, wsize);
			shutdown(cli, SHUT_WR);
			while ((n = read(cli, buf, rsize)) > 0)
				if (peer)
					fwrite(buf, 1, n, peer);
			if (peer)
				fclose(peer);
		} else {
			ssize_t n;

			while ((n = read(cli, buf, rsize)) > 0)
				fwrite(buf, 1, n, stdout);
			fflush(stdout);
		}
		_exit(0);
	}
	close(cli);

	if (send_dir && use_sendfile) {
		off_t off = 0;

		while ((size_t)off < inlen)
			if (sendfile(srv, 0, &off, inlen - off) < 0)
				die("sendfile");
		shutdown(srv, SHUT_WR);
		fprintf(stderr, "end: sent\n");
	} else if (send_dir) {
		write_all(srv, in, inlen, wsize);
		shutdown(srv, SHUT_WR);
		fprintf(stderr, "end: sent\n");
	} else {
		int pfd[2];

		if (use_splice && pipe(pfd))
			die("pipe");
		for (;;) {
			ssize_t n;

			if (use_splice) {
				n = splice(srv, NULL, pfd[1], NULL, rsize, 0);
				if (n > 0 && read(pfd[0], buf, n) != n)
					die("read pipe");
			} else {
				n = recv(srv, buf, rsize, rflags);
			}

			if (n > 0) {
				fwrite(buf, 1, (rflags & MSG_TRUNC) ? 0 : n, stdout);
				if (rflags & MSG_TRUNC)
					printf("[%zd]", n);
				if (rflags & MSG_PEEK) {
					/* Show one peek, then read it for real. */
					rflags &= ~MSG_PEEK;
					printf("|");
				}
				continue;
			}
			if (n == 0) {
				fprintf(stderr, "end: EOF\n");
				break;
			}
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pfd = { srv, POLLIN, 0 };

				eagain++;
				if (poll(&pfd, 1, 5000) <= 0) {
					fprintf(stderr, "end: poll timeout\n");
					break;
				}
				continue;
			}
			fprintf(stderr, "end: %s\n", strerrorname_np(errno));
			break;
		}
		shutdown(srv, SHUT_WR);
	}
	fflush(stdout);
	{
		struct luaulp_stats st;
		char msg[LUAULP_ERROR_MAX] = "";
		socklen_t sl = sizeof(st), ml = sizeof(msg);

		if (getsockopt(srv, SOL_LUA, LUAULP_STATS, &st, &sl) == 0)
			fprintf(stderr, "stats: recv_calls=%llu send_calls=%llu bytes_in=%llu bytes_out=%llu discards=%llu replacements=%llu resets=%llu errors=%llu budget_hits=%llu memory_hits=%llu kernel_sent=%llu eagain=%ld\n",
				st.recv_calls, st.send_calls, st.bytes_in,
				st.bytes_out, st.discards, st.replacements,
				st.resets, st.errors, st.budget_hits,
				st.memory_hits, st.kernel_sent, eagain);
		if (getsockopt(srv, SOL_LUA, LUAULP_ERROR, msg, &ml) == 0 && msg[0])
			fprintf(stderr, "error: %s\n", msg);
	}
	close(srv);
	waitpid(pid, NULL, 0);
	return 0;
}
