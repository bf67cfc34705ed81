// SPDX-License-Identifier: GPL-2.0
/*
 * contract: a scripted socket keeps TCP's contract.
 *
 *   contract CHECK plain|lua
 *
 * Each CHECK runs one expectation of an ordinary TCP application on a
 * loopback connection, either plain ("plain": proves the expectation is
 * TCP's own) or with the ULP and a script on the socket under test ("lua").
 * Prints "ok CHECK MODE" and exits 0, or prints what went wrong and exits 1.
 * Set-up failures exit 2.  Hang detection uses generous alarms: a check that
 * would block forever fails instead of hanging the suite.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/sockios.h>

#include "luaulp.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif
#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY 60
#endif
#ifndef MSG_ZEROCOPY
#define MSG_ZEROCOPY 0x4000000
#endif

static bool lua;
static const char *check;

static void die(const char *what)
{
	fprintf(stderr, "%s %s: set-up: %s: %s\n", check, lua ? "lua" : "plain",
		what, strerrorname_np(errno));
	exit(2);
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stdout, "FAIL %s %s: ", check, lua ? "lua" : "plain");
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	exit(1);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* SIGALRM interrupts blocking calls (no SA_RESTART): a hang becomes EINTR. */
static void alarm_interrupts(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	sigaction(SIGALRM, &sa, NULL);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A connected loopback pair: *srv is the accepted end, *cli the other. */
static void tcp_pair(int *srv, int *cli)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int l, one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (void *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (void *)&a, &al))
		die("listen");
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

/* In "lua" mode: the ULP and SCRIPT on FD, with the entries given. */
static void script(int fd, const char *src, const char *entry,
		   const char *send_entry)
{
	char msg[LUAULP_ERROR_MAX] = "";
	socklen_t ml = sizeof(msg);

	if (!lua)
		return;
	if (setsockopt(fd, SOL_TCP, TCP_ULP, "lua", 3))
		die("TCP_ULP");
	if (setsockopt(fd, SOL_LUA, LUAULP_LOADSCRIPT, src, strlen(src))) {
		getsockopt(fd, SOL_LUA, LUAULP_ERROR, msg, &ml);
		fprintf(stderr, "load: %s\n", msg);
		die("LOADSCRIPT");
	}
	if (entry && setsockopt(fd, SOL_LUA, LUAULP_ENTRYPOINT, entry,
				strlen(entry)))
		die("ENTRYPOINT");
	if (send_entry && setsockopt(fd, SOL_LUA, LUAULP_SENDENTRY, send_entry,
				     strlen(send_entry)))
		die("SENDENTRY");
}

static void set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0)
			die("write");
		p += w;
		n -= w;
	}
}

static bool readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

static int inq(int fd)
{
	int n = -1;

	if (ioctl(fd, SIOCINQ, &n))
		die("SIOCINQ");
	return n;
}

/* Read everything until EOF (blocking), at most CAP bytes. */
static size_t drain(int fd, char *buf, size_t cap)
{
	size_t got = 0;
	ssize_t r;

	while ((r = read(fd, buf + got, cap - got)) > 0)
		got += r;
	if (r < 0)
		fail("drain: read: %s", strerrorname_np(errno));
	return got;
}

/* 1. An empty-string verdict delivers nothing and never reads as EOF. */
static void check_empty(void)
{
	int srv, cli;
	char buf[64];
	ssize_t r;

	tcp_pair(&srv, &cli);
	script(srv, "function e(d) if d == 'skip' then return '' end end",
	       "e", NULL);
	write_all(cli, "skip", 4);
	if (!lua)
		read(srv, buf, 4);	/* the plain socket delivers it */
	msleep(100);
	set_nonblock(srv, true);
	r = read(srv, buf, sizeof(buf));
	if (r == 0)
		fail("non-blocking read after an empty verdict returned 0 (EOF)");
	if (r > 0 || errno != EAGAIN)
		fail("non-blocking read: %zd %s, want EAGAIN", r,
		     strerrorname_np(errno));
	set_nonblock(srv, false);
	write_all(cli, "data", 4);
	r = read(srv, buf, sizeof(buf));
	if (r != 4 || memcmp(buf, "data", 4))
		fail("blocking read returned %zd, want \"data\"", r);
	close(cli);
	r = read(srv, buf, sizeof(buf));
	if (r != 0)
		fail("no EOF after the peer closed: %zd", r);
}

/*
 * 2. Readiness: poll/epoll see output the script produced that the
 * application has not read yet; FIONREAD counts it; SO_RCVLOWAT holds.
 */
static void check_poll(void)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int srv, cli, ep, n, want;
	char buf[64];

	tcp_pair(&srv, &cli);
	/* Doubles every chunk. */
	script(srv, "function e(d) return d .. d end", "e", NULL);
	write_all(cli, "abcdef", 6);
	if (!readable(srv, 2000))
		fail("not readable with data queued");
	if (read(srv, buf, 4) != 4)
		fail("read 4");
	/* What is left: plain "ef" in TCP; lua "abcd" pending (the read
	 * of 4 fed the script 4) and "ef" in TCP, which it makes "efef". */
	want = lua ? 8 : 2;
	if (!readable(srv, 0))
		fail("poll: not readable with %d bytes left to read", want);
	ep = epoll_create1(0);
	epoll_ctl(ep, EPOLL_CTL_ADD, srv, &ev);
	if (epoll_wait(ep, &ev, 1, 0) != 1)
		fail("epoll: not readable with %d bytes left to read", want);
	/* FIONREAD: script output pending plus what TCP holds. */
	n = inq(srv);
	if (n != (lua ? 6 : 2))
		fail("FIONREAD %d, want %d", n, lua ? 6 : 2);
	if (recv(srv, buf, sizeof(buf), MSG_PEEK) <= 0)
		fail("peek");
	if (!readable(srv, 0))
		fail("not readable after a peek");
	if (read(srv, buf, sizeof(buf)) != want)
		fail("read the rest: want %d", want);
	if (readable(srv, 0))
		fail("readable with nothing left");

	/* SO_RCVLOWAT 8 counts what TCP holds, as in TCP: a blocking read
	 * waits until 8 bytes arrived (16 once doubled), and fewer wake no
	 * poller. */
	n = 8;
	setsockopt(srv, SOL_SOCKET, SO_RCVLOWAT, &n, sizeof(n));
	if (fork() == 0) {
		msleep(200);
		write_all(cli, "wxyz", 4);
		msleep(300);
		write_all(cli, "1234", 4);
		_exit(0);
	}
	n = read(srv, buf, sizeof(buf));
	wait(NULL);
	if (n != (lua ? 16 : 8))
		fail("read under SO_RCVLOWAT returned %d", n);
	write_all(cli, "ab", 2);
	msleep(100);
	if (readable(srv, 0))
		fail("readable below SO_RCVLOWAT");
}

/*
 * 3. No stranded edge: an edge-triggered reader that stops at a short read
 * or EAGAIN reaches every byte, whatever the script removes.
 */
static void check_edge(void)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET | EPOLLRDHUP };
	size_t want = 0, got = 0;
	int srv, cli, ep, i, k;
	char *out, buf[1024];
	pid_t pid;

	tcp_pair(&srv, &cli);
	/* Removes every 'x': a chunk of x's becomes nothing at all. */
	script(srv, "function e(d) return (d:gsub('x', '')) end", "e", NULL);
	out = malloc(1 << 20);
	for (i = 0, k = 0; i < 64; i++) {
		memset(out + k, 'x', 4000);
		k += 4000;
		memcpy(out + k, "hello, world", 12);
		k += 12;
	}
	want = lua ? 64 * 12 : (size_t)k;
	set_nonblock(srv, true);
	ep = epoll_create1(0);
	epoll_ctl(ep, EPOLL_CTL_ADD, srv, &ev);
	pid = fork();
	if (pid == 0) {
		/* Everything at once, then silence: no new edge comes. */
		write_all(cli, out, k);
		pause();
		_exit(0);
	}
	while (got < want) {
		ssize_t r;

		if (epoll_wait(ep, &ev, 1, 3000) != 1)
			break;
		/* nginx: read until a short read or EAGAIN. */
		do {
			r = read(srv, buf, sizeof(buf));
			if (r > 0)
				got += r;
		} while (r == (ssize_t)sizeof(buf));
		if (r == 0)
			break;
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (got != want)
		fail("edge-triggered reader stranded at %zu of %zu bytes", got,
		     want);
}

/* 4. MSG_DONTWAIT never sleeps behind a blocked reader of the socket. */
static int lock_fd;

static void *blocked_reader(void *arg)
{
	char c;

	(void)arg;
	recv(lock_fd, &c, 1, 0);
	return NULL;
}

static void check_dontwait(void)
{
	pthread_t t;
	int srv, cli;
	char c;
	ssize_t r;

	tcp_pair(&srv, &cli);
	script(srv, "function e(d) end", "e", NULL);
	lock_fd = srv;
	pthread_create(&t, NULL, blocked_reader, NULL);
	msleep(200);
	alarm_interrupts();
	alarm(3);
	r = recv(srv, &c, 1, MSG_DONTWAIT);
	alarm(0);
	if (r >= 0 || errno != EAGAIN)
		fail("MSG_DONTWAIT behind a blocked reader: %zd %s, want EAGAIN",
		     r, strerrorname_np(errno));
	write_all(cli, "a", 1);
	pthread_join(t, NULL);
}

/* 4b. SO_RCVTIMEO bounds the whole call, however many chunks are
 * discarded meanwhile. */
static void check_rcvtimeo(void)
{
	struct timeval tv = { 0, 500000 };
	int srv, cli;
	double t0, dt;
	char c;
	ssize_t r;
	pid_t pid;

	tcp_pair(&srv, &cli);
	script(srv, "function e(d) return true end", "e", NULL);
	setsockopt(srv, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	pid = fork();
	if (pid == 0) {
		/* Trickles, in plain mode too: there a read returns the
		 * first byte, in lua mode the script drops them all. */
		for (int i = 0; i < 80; i++) {
			write_all(cli, "x", 1);
			msleep(100);
		}
		_exit(0);
	}
	t0 = now();
	r = recv(srv, &c, 1, 0);
	dt = now() - t0;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (!lua) {
		if (r != 1)
			fail("plain read %zd", r);
		return;
	}
	if (r >= 0 || errno != EAGAIN)
		fail("read: %zd %s, want EAGAIN", r, strerrorname_np(errno));
	/* The trickle lasts 8 s; the timeout is 0.5 s. */
	if (dt > 4.0)
		fail("SO_RCVTIMEO of 0.5 s took %.1f s", dt);
}

/* 5. A reset: ECONNRESET once, then end of stream; the peer gets an RST. */
static void check_reset(void)
{
	struct linger lg = { 1, 0 };
	int srv, cli;
	char buf[16];
	ssize_t r;

	tcp_pair(&srv, &cli);
	script(srv, "function e(d) return luaulp.RESET end", "e", NULL);
	if (lua) {
		write_all(cli, "bad", 3);
	} else {
		/* TCP's own: the peer resets. */
		setsockopt(cli, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(cli);
		cli = -1;
	}
	msleep(100);
	r = read(srv, buf, sizeof(buf));
	if (r >= 0 || errno != ECONNRESET)
		fail("first read: %zd %s, want ECONNRESET", r,
		     strerrorname_np(errno));
	r = read(srv, buf, sizeof(buf));
	if (r != 0)
		fail("second read: %zd %s, want 0", r,
		     r < 0 ? strerrorname_np(errno) : "");
	r = read(srv, buf, sizeof(buf));
	if (r != 0)
		fail("third read: %zd, want 0", r);
	if (lua) {
		r = read(cli, buf, sizeof(buf));
		if (r >= 0 || errno != ECONNRESET)
			fail("peer: %zd %s, want ECONNRESET", r,
			     strerrorname_np(errno));
	}
}

static const char *send_double =
	"function s(d) return d .. d end";

/* 6. A non-blocking send never sleeps, for any chunk. */
static void check_send_nonblock(void)
{
	size_t total = 0, got, factor = lua ? 2 : 1;
	int srv, cli, n = 0;
	char *buf = malloc(8 << 20);
	ssize_t w;

	tcp_pair(&srv, &cli);
	script(srv, send_double, NULL, "s");
	memset(buf, 'a', 8 << 20);
	set_nonblock(srv, true);
	alarm_interrupts();
	alarm(10);
	/* The peer does not read: every write must return at once. */
	while ((w = write(srv, buf, 8 << 20)) > 0) {
		total += w;
		if (++n > 1000)
			break;
	}
	alarm(0);
	if (w >= 0 || errno != EAGAIN)
		fail("non-blocking write: %zd %s, want EAGAIN at last", w,
		     strerrorname_np(errno));
	if (!total)
		fail("nothing written");
	close(srv);
	got = drain(cli, buf, 8 << 20);
	if (got != total * factor)
		fail("written %zu, peer got %zu (want %zu)", total, got,
		     total * factor);
}

/*
 * 6b. A write cut short by SO_SNDTIMEO or a signal: its count is exactly
 * what reaches the peer (through the script).
 */
static void check_send_cut(void)
{
	struct timeval tv = { 0, 300000 };
	size_t factor = lua ? 2 : 1, got;
	char *buf = malloc(16 << 20);
	ssize_t w1, w2;
	int srv, cli;

	tcp_pair(&srv, &cli);
	script(srv, send_double, NULL, "s");
	memset(buf, 'b', 16 << 20);
	setsockopt(srv, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	w1 = write(srv, buf, 8 << 20);		/* cut by the timeout */
	if (w1 <= 0 || w1 == 8 << 20)
		fail("write with SO_SNDTIMEO returned %zd", w1);
	tv.tv_usec = 0;
	setsockopt(srv, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	alarm_interrupts();
	alarm(1);
	w2 = write(srv, buf, 8 << 20);		/* cut by SIGALRM */
	alarm(0);
	if (w2 < 0 && errno == EINTR)
		w2 = 0;
	if (w2 < 0 || w2 == 8 << 20)
		fail("write cut by a signal returned %zd %s", w2,
		     strerrorname_np(errno));
	close(srv);
	got = drain(cli, buf, 16 << 20);
	if (got != (w1 + w2) * factor)
		fail("write() said %zd + %zd, peer got %zu (want %zu)", w1, w2,
		     got, (w1 + w2) * factor);
}

/*
 * 6b''. A receive entry that fails on every chunk (here: its instruction
 * budget; each failure may also take up to time_max_ms) while the peer
 * keeps writing: a non-blocking read returns after the failed call with
 * the bytes it passed, instead of running the entry again on every chunk
 * that arrived meanwhile (up to 16 calls).  The default on-error policy
 * passes the bytes: the reader gets all the peer wrote.
 */
struct trickle {
	int fd;
	volatile bool stop;
	size_t sent;
};

static void *trickle_write(void *arg)
{
	struct trickle *t = arg;
	char b[256];

	memset(b, 't', sizeof(b));
	while (!t->stop) {
		write_all(t->fd, b, sizeof(b));
		t->sent += sizeof(b);
		usleep(500);
	}
	return NULL;
}

static void check_recv_fail(void)
{
	struct luaulp_stats st0, st1;
	socklen_t sl = sizeof(st0);
	struct trickle t = { 0 };
	static char buf[65536];
	unsigned long long calls, worst = 0;
	size_t got = 0;
	pthread_t th;
	int srv, i;
	ssize_t r;

	tcp_pair(&srv, &t.fd);
	script(srv, "function r(d) while true do end end", "r", NULL);
	if (pthread_create(&th, NULL, trickle_write, &t))
		die("pthread_create");
	for (i = 0; i < 20; i++) {
		if (!readable(srv, 10000))
			fail("read %d: nothing readable in 10 s", i);
		if (lua && getsockopt(srv, SOL_LUA, LUAULP_STATS, &st0, &sl))
			die("LUAULP_STATS");
		r = recv(srv, buf, sizeof(buf), MSG_DONTWAIT);
		if (r < 0 && errno != EAGAIN)
			fail("read %d: %s", i, strerrorname_np(errno));
		if (r > 0)
			got += r;
		if (!lua)
			continue;
		if (getsockopt(srv, SOL_LUA, LUAULP_STATS, &st1, &sl))
			die("LUAULP_STATS");
		calls = st1.recv_calls - st0.recv_calls;
		if (calls > worst)
			worst = calls;
	}
	t.stop = true;
	pthread_join(th, NULL);
	shutdown(t.fd, SHUT_WR);
	while ((r = read(srv, buf, sizeof(buf))) > 0)
		got += r;
	if (r < 0)
		fail("read to the end: %s", strerrorname_np(errno));
	if (got != t.sent)
		fail("the peer wrote %zu bytes, the reader got %zu", t.sent, got);
	if (lua && worst > 2)
		fail("one non-blocking read made %llu entry calls", worst);
	close(srv);
	close(t.fd);
}

/*
 * 6b'. A send entry whose state is full: no string holds a whole chunk, so
 * each entry call takes a piece of a few bytes.  A large write returns
 * after such a piece (a short count, as a signal gives) instead of
 * staying in the kernel for thousands of calls; what it counts is what
 * the peer gets.  Plain TCP writes it all.
 */
static const char *send_full_state =
	"function s(d) return d end\n"
	"hog = {}\n"
	"pcall(function()\n"
	"  for _, n in ipairs({ 4096, 256, 16 }) do\n"
	"    pcall(function()\n"
	"      for i = 1, 1 << 20 do hog[#hog + 1] = string.rep('h', n) .. i end\n"
	"    end)\n"
	"  end\n"
	"end)";

static void check_send_full(void)
{
	const size_t size = 256 << 10;
	struct luaulp_stats st0, st1;
	socklen_t sl = sizeof(st0);
	char *buf = malloc(size);
	int srv, cli, fds[2];
	size_t got = 0;
	ssize_t w;
	pid_t pid;

	tcp_pair(&srv, &cli);
	script(srv, send_full_state, NULL, "s");
	if (lua && getsockopt(srv, SOL_LUA, LUAULP_STATS, &st0, &sl))
		die("LUAULP_STATS");
	if (pipe(fds))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		close(srv);
		got = drain(cli, buf, size);
		if (write(fds[1], &got, sizeof(got)) != sizeof(got))
			_exit(1);
		_exit(0);
	}
	close(cli);
	memset(buf, 'f', size);
	w = write(srv, buf, size);
	if (w <= 0)
		fail("write: %zd %s", w, strerrorname_np(errno));
	if (!lua && (size_t)w != size)
		fail("plain TCP wrote %zd of %zu", w, size);
	if (lua) {
		if (getsockopt(srv, SOL_LUA, LUAULP_STATS, &st1, &sl))
			die("LUAULP_STATS");
		if (st1.send_calls - st0.send_calls > 4)
			fail("one write of %zd bytes made %llu entry calls", w,
			     (unsigned long long)(st1.send_calls - st0.send_calls));
	}
	close(srv);
	if (read(fds[0], &got, sizeof(got)) != sizeof(got))
		fail("the reader died");
	waitpid(pid, NULL, 0);
	if (got != (size_t)w)
		fail("write() said %zd, peer got %zu", w, got);
}

/*
 * 6c. Output not yet taken by TCP is flushed by the kernel while the
 * application does nothing, goes out before a shutdown's FIN, holds
 * POLLOUT back and counts in SIOCOUTQ.
 */
static void check_send_flush(void)
{
	size_t total = 0, got, factor = lua ? 2 : 1;
	char *buf = malloc(8 << 20);
	struct pollfd p;
	int srv, cli, outq = 0;
	ssize_t w;

	tcp_pair(&srv, &cli);
	script(srv, send_double, NULL, "s");
	memset(buf, 'c', 8 << 20);
	set_nonblock(srv, true);
	while ((w = write(srv, buf, 1 << 20)) > 0)
		total += w;
	/* The peer does not read: once what is in flight is acknowledged
	 * nothing frees space any more. */
	msleep(300);
	if (ioctl(srv, SIOCOUTQ, &outq))
		die("SIOCOUTQ");
	p.fd = srv;
	p.events = POLLOUT;
	if (poll(&p, 1, 0) == 1 && (p.revents & POLLOUT))
		fail("POLLOUT with the peer not reading");
	if (shutdown(srv, SHUT_WR))
		fail("shutdown: %s", strerrorname_np(errno));
	w = write(srv, "z", 1);
	if (w >= 0 || errno != EPIPE)
		fail("write after shutdown: %zd %s, want EPIPE", w,
		     strerrorname_np(errno));
	/* The application never writes again and never closes. */
	got = drain(cli, buf, 8 << 20);
	if (got != total * factor)
		fail("written %zu, peer got %zu before EOF (want %zu)", total,
		     got, total * factor);
	if ((size_t)outq > total * factor || outq <= 0)
		fail("SIOCOUTQ %d for %zu bytes unread", outq, total * factor);
	close(srv);
}

/* 6d. The same, with close() instead of shutdown(). */
static void check_send_close(void)
{
	size_t total = 0, got, factor = lua ? 2 : 1;
	char *buf = malloc(8 << 20);
	int srv, cli;
	ssize_t w;

	tcp_pair(&srv, &cli);
	script(srv, send_double, NULL, "s");
	memset(buf, 'd', 8 << 20);
	set_nonblock(srv, true);
	while ((w = write(srv, buf, 1 << 20)) > 0)
		total += w;
	close(srv);
	got = drain(cli, buf, 8 << 20);
	if (got != total * factor)
		fail("written %zu, peer got %zu (want %zu)", total, got,
		     total * factor);
}

/*
 * 7. A graceful refusal: the answer comes after everything the application
 * already queued, then a FIN; the application reads end of stream.
 */
static void check_refuse(void)
{
	size_t resp = 1 << 20, got;
	char *buf = malloc(4 << 20);
	int srv, cli, n = 0;
	ssize_t r;

	tcp_pair(&srv, &cli);
	script(srv,
	       "function e(d)\n"
	       "  if d:find('bad') then\n"
	       "    luaulp.send('REFUSED\\n') return luaulp.CLOSE\n"
	       "  end\n"
	       "end", "e", NULL);
	if (!lua)
		return;		/* a script's verdict: nothing to compare */
	memset(buf, 'r', resp);
	/* The application's response, which the peer has not read yet. */
	set_nonblock(srv, true);
	while ((r = write(srv, buf, resp - n)) > 0)
		n += r;
	set_nonblock(srv, false);
	write_all(cli, "bad request", 11);
	r = read(srv, buf, 16);
	if (r != 0)
		fail("application read %zd after the refusal, want EOF", r);
	r = write(srv, "late", 4);
	if (r >= 0 || errno != EPIPE)
		fail("application write after the refusal: %zd, want EPIPE", r);
	close(srv);
	got = drain(cli, buf, 4 << 20);
	if (got != (size_t)n + 8 || memcmp(buf + n, "REFUSED\n", 8))
		fail("peer got %zu bytes, want the %d written then REFUSED",
		     got, n);
}

/* 6e. ... nor while the handshake is still going on (SYN_SENT). */
static void check_synsent(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int l, c1, c2;
	ssize_t w;

	/* A listener whose accept queue is full drops the next SYN. */
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (void *)&a, sizeof(a)) || listen(l, 0) ||
	    getsockname(l, (void *)&a, &al))
		die("listen");
	c1 = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c1, (void *)&a, sizeof(a)))
		die("connect 1");
	msleep(100);
	c2 = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (connect(c2, (void *)&a, sizeof(a)) == 0 || errno != EINPROGRESS)
		die("connect 2 (want EINPROGRESS)");
	script(c2, "function s(d) return d .. d end", NULL, "s");
	alarm_interrupts();
	alarm(3);
	w = send(c2, "early", 5, MSG_DONTWAIT);
	alarm(0);
	if (w >= 0 || errno != EAGAIN)
		fail("non-blocking send in SYN_SENT: %zd %s, want EAGAIN", w,
		     strerrorname_np(errno));
	close(c2);
	close(c1);
	close(l);
}

/* 8. MSG_OOB and MSG_ZEROCOPY, connect(AF_UNSPEC). */
static void check_flags(void)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };
	int srv, cli, one = 1, r;
	char c;

	tcp_pair(&srv, &cli);
	script(srv, "function e(d) end function s(d) end", "e", "s");
	r = send(srv, "!", 1, MSG_OOB);
	if (lua && (r >= 0 || errno != EOPNOTSUPP))
		fail("send MSG_OOB: %d %s, want EOPNOTSUPP", r,
		     strerrorname_np(errno));
	if (!lua && r != 1)
		fail("plain send MSG_OOB");
	write_all(cli, "x", 1);
	send(cli, "!", 1, MSG_OOB);
	msleep(100);
	r = recv(srv, &c, 1, MSG_OOB);
	if (lua && (r >= 0 || errno != EOPNOTSUPP))
		fail("recv MSG_OOB: %d %s, want EOPNOTSUPP", r,
		     strerrorname_np(errno));
	if (setsockopt(srv, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)))
		die("SO_ZEROCOPY");
	r = send(srv, "zc", 2, MSG_ZEROCOPY);
	if (lua && (r >= 0 || errno != EOPNOTSUPP))
		fail("send MSG_ZEROCOPY: %d %s, want EOPNOTSUPP", r,
		     strerrorname_np(errno));
	if (!lua && r != 2)
		fail("plain MSG_ZEROCOPY send: %d", r);
	r = connect(srv, &sa, sizeof(sa));
	if (lua && (r == 0 || errno != EOPNOTSUPP))
		fail("connect(AF_UNSPEC): %d %s, want EOPNOTSUPP", r,
		     strerrorname_np(errno));
	if (!lua && r)
		fail("plain connect(AF_UNSPEC): %s", strerrorname_np(errno));
}

/*
 * 9. Replies reach the peer with nothing else going on.  Each round the
 * application answers a read with a reply larger than TCP's send buffer
 * (plain: write(); scripted: the entry's luaulp.send(), whose bytes then
 * wait in the socket's queue), a second thread writes a large buffer (it
 * pushes that queue first and waits for the peer), and meanwhile a second
 * read is answered with a short reply, which finds the send side owned by
 * that writer (or by the kernel's flush).  Then nobody writes: every byte
 * must arrive.
 */
#define REPLY_BIG	(100 * 1000)
#define REPLY_WRITE	(64 << 10)

struct reply_race {
	int srv, cli;
	sem_t go, done;
	volatile long got;
};

static void *reply_write(void *arg)
{
	struct reply_race *r = arg;
	static char b[REPLY_WRITE];

	memset(b, 'w', sizeof(b));
	for (;;) {
		sem_wait(&r->go);
		if (r->srv < 0)
			return NULL;
		write_all(r->srv, b, sizeof(b));
		sem_post(&r->done);
	}
}

static void *reply_count(void *arg)
{
	struct reply_race *r = arg;
	char b[65536];
	ssize_t n;

	while ((n = read(r->cli, b, sizeof(b))) > 0)
		r->got += n;
	return NULL;
}

static void check_send_reply(void)
{
	const long rounds = 200, each = REPLY_BIG + REPLY_WRITE + 1;
	struct reply_race r = { 0 };
	char *big = malloc(REPLY_BIG), c;
	pthread_t wt, ct;
	int srv, waited;
	long i;

	tcp_pair(&r.srv, &r.cli);
	srv = r.srv;
	script(srv, "function e(d)\n"
	       "  luaulp.send(d == 'B' and string.rep('r', 100000) or 'e')\n"
	       "  return d\n"
	       "end", "e", NULL);
	memset(big, 'r', REPLY_BIG);
	/* A small send buffer: the big reply has to wait for the peer. */
	if (setsockopt(srv, SOL_SOCKET, SO_SNDBUF, &(int){ 8192 }, sizeof(int)))
		die("SO_SNDBUF");
	sem_init(&r.go, 0, 0);
	sem_init(&r.done, 0, 0);
	if (pthread_create(&wt, NULL, reply_write, &r) ||
	    pthread_create(&ct, NULL, reply_count, &r))
		die("pthread_create");
	for (i = 0; i < rounds; i++) {
		write_all(r.cli, "B", 1);
		if (read(srv, &c, 1) != 1)
			fail("round %ld: read: %s", i, strerrorname_np(errno));
		if (!lua)
			write_all(srv, big, REPLY_BIG);
		sem_post(&r.go);
		/* A varying head start for the writer and the peer. */
		usleep(i % 10 * 200);
		write_all(r.cli, "s", 1);
		if (read(srv, &c, 1) != 1)
			fail("round %ld: read: %s", i, strerrorname_np(errno));
		if (!lua)
			write_all(srv, "e", 1);
		sem_wait(&r.done);
		for (waited = 0; r.got < (i + 1) * each && waited < 100; waited++)
			msleep(50);
		if (r.got != (i + 1) * each)
			fail("round %ld: the peer has %ld of %ld bytes after 5 s", i,
			     r.got, (i + 1) * each);
	}
	r.srv = -1;
	sem_post(&r.go);
	pthread_join(wt, NULL);
	shutdown(r.cli, SHUT_WR);
	close(srv);
	pthread_join(ct, NULL);
	free(big);
}

static const struct {
	const char *name;
	void (*run)(void);
} checks[] = {
	{ "empty", check_empty },
	{ "poll", check_poll },
	{ "edge", check_edge },
	{ "dontwait", check_dontwait },
	{ "rcvtimeo", check_rcvtimeo },
	{ "reset", check_reset },
	{ "send-nonblock", check_send_nonblock },
	{ "send-cut", check_send_cut },
	{ "send-full", check_send_full },
	{ "recv-fail", check_recv_fail },
	{ "send-flush", check_send_flush },
	{ "send-close", check_send_close },
	{ "synsent", check_synsent },
	{ "refuse", check_refuse },
	{ "flags", check_flags },
	{ "send-reply", check_send_reply },
};

int main(int argc, char **argv)
{
	size_t i;

	if (argc != 3 || (strcmp(argv[2], "plain") && strcmp(argv[2], "lua"))) {
		fprintf(stderr, "usage: contract CHECK plain|lua\n");
		return 2;
	}
	check = argv[1];
	lua = !strcmp(argv[2], "lua");
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		if (!strcmp(checks[i].name, check)) {
			checks[i].run();
			printf("ok %s %s\n", check, argv[2]);
			return 0;
		}
	}
	fprintf(stderr, "contract: unknown check %s\n", check);
	return 2;
}
