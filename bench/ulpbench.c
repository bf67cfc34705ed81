// SPDX-License-Identifier: GPL-2.0
/*
 * ulpbench: what scripting a socket costs, as ratios against plain TCP
 * measured in the same run.
 *
 *   ulpbench recv [ROUNDS]    64-byte reads of queued data: plain TCP, ULP
 *                             attached without an entry, an empty entry, a
 *                             replacing entry
 *   ulpbench stream [MIB]     MIB MiB streamed through loopback and read
 *                             with 512 B, 4 KiB and 64 KiB reads: plain TCP
 *                             against a pass-through receive entry (ns per
 *                             MiB; the ratio is the scripted read's cost)
 *   ulpbench attach [N] FILE  attaching FILE's script N times: source per
 *                             socket (LOADSCRIPT) against the registered,
 *                             precompiled script (ATTACHNAME "bench.attach",
 *                             which the caller registered); also the memory
 *                             of a state with that script
 *
 * Output: one tab-separated line per variant: name, ns per operation, ratio
 * to the first line.  Numbers under qemu TCG are only meaningful as ratios.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "luaulp.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

static void die(const char *what)
{
	fprintf(stderr, "%s: %s\n", what, strerrorname_np(errno));
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void pair(int *cli, int *srv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (void *)&a, len) || listen(l, 1) ||
	    getsockname(l, (void *)&a, &len))
		die("listen");
	*cli = socket(AF_INET, SOCK_STREAM, 0);
	if (*cli < 0 || connect(*cli, (void *)&a, len))
		die("connect");
	*srv = accept(l, NULL, NULL);
	if (*srv < 0)
		die("accept");
	close(l);
	setsockopt(*cli, SOL_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(*srv, SOL_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void load(int fd, const char *src, const char *entry)
{
	if (setsockopt(fd, SOL_TCP, TCP_ULP, "lua", 3))
		die("attach");
	if (src && setsockopt(fd, SOL_LUA, LUAULP_LOADSCRIPT, src, strlen(src)))
		die("loadscript");
	if (entry && setsockopt(fd, SOL_LUA, LUAULP_ENTRYPOINT, entry,
				strlen(entry)))
		die("entrypoint");
}

/*
 * Reads of 64 bytes from a socket whose data is already queued (the client
 * writes 32 KiB batches in the same process), so each read is one
 * tcp_recvmsg plus, when scripted, one entry call.  Returns ns per read.
 */
static double reads(int variant, long rounds)
{
	static char batch[32768];
	const long per_batch = sizeof(batch) / 64;
	char buf[64];
	int cli, srv;
	double t = 0;

	pair(&cli, &srv);
	if (variant == 1)
		load(srv, NULL, NULL);
	else if (variant == 2)
		load(srv, "function e(d, n, nb) end", "e");
	else if (variant == 3)
		load(srv, "function e(d, n, nb) return d:upper() end", "e");

	for (long done = 0; done < rounds; done += per_batch) {
		double t0;

		if (write(cli, batch, sizeof(batch)) != sizeof(batch))
			die("write");
		t0 = now_ns();
		for (long i = 0; i < per_batch; i++) {
			ssize_t got = 0;

			while (got < (ssize_t)sizeof(buf)) {
				ssize_t r = read(srv, buf + got, sizeof(buf) - got);

				if (r <= 0)
					die("read");
				got += r;
			}
		}
		t += now_ns() - t0;
	}
	close(cli);
	close(srv);
	return t / rounds;
}

static int bench_recv(long rounds)
{
	static const char *names[] = {
		"recv plain TCP", "recv ULP, no entry", "recv empty entry",
		"recv replacing entry",
	};
	double best[4] = { 0 };

	/* Interleaved repetitions, best of each: the machine is shared. */
	reads(0, rounds / 10);
	for (int rep = 0; rep < 5; rep++)
		for (int v = 0; v < 4; v++) {
			double ns = reads(v, rounds);

			if (!rep || ns < best[v])
				best[v] = ns;
		}
	for (int v = 0; v < 4; v++)
		printf("%s\t%.0f\t%.2f\n", names[v], best[v], best[v] / best[0]);
	return 0;
}

/* ns per MiB read with RSIZE reads; the writer is a child process. */
static double stream(bool scripted, size_t rsize, long mib)
{
	static char wbuf[1 << 16];
	char *rbuf = malloc(rsize);
	long total = mib << 20, got = 0;
	int cli, srv;
	double t0, t;
	pid_t pid;

	pair(&cli, &srv);
	if (scripted)
		load(srv, "function e(d, n, nb) end", "e");
	t0 = now_ns();
	pid = fork();
	if (pid == 0) {
		for (long sent = 0; sent < total; sent += sizeof(wbuf))
			if (write(cli, wbuf, sizeof(wbuf)) != sizeof(wbuf))
				_exit(1);
		_exit(0);
	}
	close(cli);
	while (got < total) {
		ssize_t r = read(srv, rbuf, rsize);

		if (r <= 0)
			die("stream read");
		got += r;
	}
	t = now_ns() - t0;
	waitpid(pid, NULL, 0);
	close(srv);
	free(rbuf);
	return t / mib;
}

static int bench_stream(long mib)
{
	static const size_t sizes[] = { 512, 4096, 65536 };
	double best[3][2] = { { 0 } };

	stream(false, 65536, mib / 4 + 1);
	for (int rep = 0; rep < 5; rep++)
		for (int z = 0; z < 3; z++)
			for (int v = 0; v < 2; v++) {
				double ns = stream(v, sizes[z], mib);

				if (!rep || ns < best[z][v])
					best[z][v] = ns;
			}
	for (int z = 0; z < 3; z++) {
		printf("stream %zu B reads, plain TCP\t%.0f\t1.00\n", sizes[z],
		       best[z][0]);
		printf("stream %zu B reads, pass-through entry\t%.0f\t%.2f\n",
		       sizes[z], best[z][1], best[z][1] / best[z][0]);
	}
	return 0;
}

static int bench_attach(long n, const char *file)
{
	struct luaulp_stats st;
	socklen_t sl = sizeof(st);
	char *src;
	struct stat sb;
	double t0, by_source, by_name;
	int fd = open(file, O_RDONLY), cli, srv;

	if (fd < 0 || fstat(fd, &sb))
		die("open");
	src = malloc(sb.st_size + 1);
	if (!src || read(fd, src, sb.st_size) != sb.st_size)
		die("read");
	src[sb.st_size] = 0;
	close(fd);

	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		pair(&cli, &srv);
		load(srv, src, NULL);
		close(cli);
		close(srv);
	}
	by_source = (now_ns() - t0) / n;
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		pair(&cli, &srv);
		load(srv, NULL, NULL);
		if (setsockopt(srv, SOL_LUA, LUAULP_ATTACHNAME, "bench.attach", 12))
			die("attachname");
		if (i == n - 1 && getsockopt(srv, SOL_LUA, LUAULP_STATS, &st, &sl))
			die("stats");
		close(cli);
		close(srv);
	}
	by_name = (now_ns() - t0) / n;
	printf("connect+attach, source per socket\t%.0f\t1.00\n", by_source);
	printf("connect+attach, registered by name\t%.0f\t%.2f\n", by_name,
	       by_name / by_source);
	printf("state memory with the script (bytes)\t%llu\t-\n",
	       (unsigned long long)st.memory);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "recv"))
		return bench_recv(argc > 2 ? atol(argv[2]) : 20000);
	if (argc >= 2 && !strcmp(argv[1], "stream"))
		return bench_stream(argc > 2 ? atol(argv[2]) : 32);
	if (argc == 4 && !strcmp(argv[1], "attach"))
		return bench_attach(atol(argv[2]), argv[3]);
	fprintf(stderr, "usage: ulpbench recv [ROUNDS] | attach N FILE\n");
	return 2;
}
