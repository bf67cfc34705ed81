// SPDX-License-Identifier: GPL-2.0
/*
 * soak-abuse: abusive HTTP clients for the soak (tests/soak/soak-guest).
 *
 *   soak-abuse --port P [--port P...] [--time SECS] [--conns N] [--rate N]
 *              [--patience SECS] [--seed N]
 *
 * Keeps N connections (default 40) to 127.0.0.1 on the given ports open for
 * SECS seconds (default 60), opening at most --rate new ones a second
 * (default 40), each behaving as one kind of bad client, picked at random:
 *
 *   abort      sends part of a request, then closes (FIN mid-request)
 *   garbage    sends random bytes (controls, NULs, bare CRs, long lines,
 *              half an HTTP head), then reads until the server closes
 *   slow       drips a valid request a few bytes at a time, 50-300 ms
 *              apart; expects a "200" and the server's close (it asked
 *              for "Connection: close")
 *   noread     pipelines requests for a large file and never reads, holds
 *              the connection 2-8 s, then closes with the responses unread
 *              (the kernel answers with an RST)
 *   rst        sends a request, waits 0-300 ms, closes with SO_LINGER 0
 *   halfclose  sends a request, shuts its side down (SHUT_WR), expects a
 *              "200" and the server's close
 *
 * Events are driven by one epoll loop (so hundreds of connections cost
 * little under emulation).  An error is a connection that did not go as a
 * valid client's must: connect failing, a slow or half-closed client not
 * answered "200" within --patience seconds (default 90), a write refused
 * on a valid request.  Garbage that gets no answer within --patience counts
 * as "unanswered" (the server may legitimately wait for more), not as an
 * error.  Connections still open when the time is up are closed and counted
 * as "cut".
 *
 * Prints one line per kind and a total ("abuse: total ... errors N"), the
 * first errors as "abuse: error: ..." lines.  Exit status 0, or 1 when an
 * error occurred, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum kind { K_ABORT, K_GARBAGE, K_SLOW, K_NOREAD, K_RST, K_HALFCLOSE, K_N };
static const char *const kind_name[K_N] = {
	"abort", "garbage", "slow", "noread", "rst", "halfclose",
};

enum st { S_FREE, S_CONNECTING, S_DRIP, S_HOLD, S_READING };

struct conn {
	enum st st;
	enum kind kind;
	int fd, port;
	char out[8192];
	size_t out_len, out_off;
	uint64_t next_ms;	/* next drip, end of hold, or read deadline */
	char head[16];		/* the first bytes of the response */
	size_t got;
};

struct tally {
	unsigned long started, done, answered, closed, reset, unanswered, cut, errors;
};

static struct tally tally[K_N];
static unsigned long connect_errors;
static int nerrors_shown;
static uint64_t rng;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

static unsigned int below(unsigned int n)
{
	return n ? (unsigned int)(rnd() % n) : 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void error_at(struct conn *c, const char *fmt, ...)
{
	va_list ap;

	if (c)
		tally[c->kind].errors++;
	if (nerrors_shown++ >= 20)
		return;
	printf("abuse: error: %s port %d: ", c ? kind_name[c->kind] : "-", c ? c->port : 0);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static const char *const paths[] = { "/", "/index.html", "/big.txt" };

static size_t request(char *buf, size_t size, const char *path, bool close)
{
	int n = snprintf(buf, size, "GET %s HTTP/1.1\r\nHost: localhost\r\n"
			 "User-Agent: soak-abuse\r\nAccept: */*\r\n%s\r\n",
			 path, close ? "Connection: close\r\n" : "");

	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

/* Bytes a parser must refuse or wait on, in several flavours. */
static size_t garbage(char *buf, size_t size)
{
	size_t n = 1 + below(size - 1), i;

	switch (below(6)) {
	case 0:	/* random bytes */
		for (i = 0; i < n; i++)
			buf[i] = (char)rnd();
		return n;
	case 1: {	/* a head with a control byte in a field */
		int k = snprintf(buf, size, "GET / HTTP/1.1\r\nHost: localhost\r\nX-Bad: a%cb\r\n\r\n",
				 (char)(1 + below(31)));
		return (size_t)k;
	}
	case 2: {	/* bare CR and a folded line */
		int k = snprintf(buf, size, "GET / HTTP/1.1\r\nHost: x\rInjected: 1\r\n folded\r\n\r\n");
		return (size_t)k;
	}
	case 3:	/* a request line longer than any limit */
		memcpy(buf, "GET /", 5);
		for (i = 5; i < size; i++)
			buf[i] = 'a' + (char)below(26);
		return size;
	case 4:	/* half a head, no end */
		return request(buf, size, "/", false) / 2 + 1;
	default: {	/* two lengths: a smuggling attempt */
		int k = snprintf(buf, size, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
				 "Content-Length: 30\r\n\r\nabcGET /admin HTTP/1.1\r\n\r\n");
		return (size_t)k;
	}
	}
}

static void conn_close(int ep, struct conn *c, bool rst)
{
	if (rst) {
		struct linger l = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->st = S_FREE;
}

static void finish(int ep, struct conn *c, bool rst)
{
	tally[c->kind].done++;
	conn_close(ep, c, rst);
}

static void want(int ep, struct conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Write what the socket takes now; false on an error (counted by caller). */
static bool push(struct conn *c, size_t upto, int *err)
{
	while (c->out_off < upto) {
		ssize_t n = send(c->fd, c->out + c->out_off, upto - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN)
				return true;
			*err = errno;
			return false;
		}
		c->out_off += (size_t)n;
	}
	return true;
}

static void start_reading(int ep, struct conn *c, unsigned int patience)
{
	c->st = S_READING;
	c->next_ms = now_ms() + patience * 1000ULL;
	want(ep, c, EPOLLIN | EPOLLRDHUP);
}

static void connected(int ep, struct conn *c, unsigned int patience)
{
	int err = 0;

	switch (c->kind) {
	case K_ABORT:
		c->out_len = request(c->out, sizeof(c->out), paths[below(3)], false);
		push(c, 1 + below(c->out_len - 1), &err);
		finish(ep, c, false);
		return;
	case K_GARBAGE:
		c->out_len = garbage(c->out, sizeof(c->out));
		if (!push(c, c->out_len, &err)) {
			tally[c->kind].reset++;
			finish(ep, c, false);
			return;
		}
		start_reading(ep, c, patience);
		return;
	case K_SLOW:
		c->out_len = request(c->out, sizeof(c->out), paths[below(2)], true);
		c->st = S_DRIP;
		c->next_ms = now_ms();
		want(ep, c, EPOLLRDHUP);
		return;
	case K_NOREAD: {
		struct linger l = { .l_onoff = 0 };
		size_t one = request(c->out, sizeof(c->out), "/big.txt", false);
		unsigned int k = 2 + below((unsigned int)(sizeof(c->out) / one) - 2);

		for (unsigned int i = 1; i < k; i++)
			memcpy(c->out + i * one, c->out, one);
		c->out_len = k * one;
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		push(c, c->out_len, &err);
		c->st = S_HOLD;
		c->next_ms = now_ms() + 2000 + below(6000);
		want(ep, c, EPOLLRDHUP);
		return;
	}
	case K_RST:
		c->out_len = request(c->out, sizeof(c->out), paths[below(3)], false);
		push(c, c->out_len, &err);
		c->st = S_HOLD;
		c->next_ms = now_ms() + below(300);
		want(ep, c, EPOLLRDHUP);
		return;
	case K_HALFCLOSE:
		c->out_len = request(c->out, sizeof(c->out), paths[below(2)], false);
		if (!push(c, c->out_len, &err) || c->out_off < c->out_len) {
			error_at(c, "request not written at once (%s)", err ? strerror(err) : "short");
			conn_close(ep, c, false);
			return;
		}
		if (shutdown(c->fd, SHUT_WR)) {
			error_at(c, "shutdown: %s", strerror(errno));
			conn_close(ep, c, false);
			return;
		}
		start_reading(ep, c, patience);
		return;
	default:
		return;
	}
}

/* A valid request's answer must be "HTTP/1.1 200". */
static void check_answer(struct conn *c)
{
	if (c->kind != K_SLOW && c->kind != K_HALFCLOSE)
		return;
	if (c->got < 12 || memcmp(c->head, "HTTP/1.1 200", 12))
		error_at(c, "expected HTTP/1.1 200, got %zu bytes: \"%.*s\"", c->got,
			 (int)(c->got < 12 ? c->got : 12), c->head);
}

static void readable(int ep, struct conn *c)
{
	char buf[16384];

	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0) {
			size_t take = sizeof(c->head) - c->got;

			if (take > (size_t)n)
				take = (size_t)n;
			memcpy(c->head + c->got, buf, take);
			c->got += take;
			continue;
		}
		if (n < 0 && errno == EAGAIN)
			return;
		if (c->got)
			tally[c->kind].answered++;
		if (n == 0) {
			tally[c->kind].closed++;
			check_answer(c);
		} else {
			tally[c->kind].reset++;
			if (c->kind == K_SLOW || c->kind == K_HALFCLOSE)
				error_at(c, "recv: %s after %zu bytes", strerror(errno), c->got);
		}
		finish(ep, c, false);
		return;
	}
}

/* Time-driven steps: drips, the end of a hold, read deadlines. */
static void tick(int ep, struct conn *c, uint64_t now, unsigned int patience)
{
	int err = 0;

	if (c->next_ms > now)
		return;
	switch (c->st) {
	case S_DRIP: {
		size_t upto = c->out_off + 1 + below(3);

		if (upto > c->out_len)
			upto = c->out_len;
		if (!push(c, upto, &err)) {
			tally[c->kind].reset++;
			error_at(c, "drip: %s after %zu of %zu bytes", strerror(err),
				 c->out_off, c->out_len);
			conn_close(ep, c, false);
			return;
		}
		if (c->out_off == c->out_len) {
			start_reading(ep, c, patience);
			return;
		}
		c->next_ms = now + 50 + below(250);
		return;
	}
	case S_HOLD:
		/* noread: unread responses make close() send an RST;
		 * rst: SO_LINGER 0 */
		finish(ep, c, c->kind == K_RST);
		return;
	case S_READING:
		if (c->kind == K_GARBAGE) {
			tally[c->kind].unanswered++;
		} else {
			error_at(c, "no end of the response in time (%zu bytes: \"%.*s\")", c->got,
				 (int)(c->got < 12 ? c->got : 12), c->head);
		}
		finish(ep, c, false);
		return;
	default:
		return;
	}
}

static bool open_conn(int ep, struct conn *c, const int *ports, int nports)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
	int fd;

	memset(c, 0, sizeof(*c));
	c->kind = (enum kind)below(K_N);
	c->port = ports[below((unsigned int)nports)];
	sa.sin_port = htons((uint16_t)c->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		connect_errors++;
		error_at(NULL, "socket: %s", strerror(errno));
		tally[c->kind].errors++;
		return false;
	}
	if (c->kind == K_NOREAD) {
		int small = 4096;	/* the window closes sooner */

		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	}
	tally[c->kind].started++;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS) {
		c->fd = fd;
		connect_errors++;
		error_at(c, "connect: %s", strerror(errno));
		close(fd);
		c->fd = -1;
		return false;
	}
	c->fd = fd;
	c->st = S_CONNECTING;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	return true;
}

static void event(int ep, struct conn *c, uint32_t events, unsigned int patience)
{
	if (c->st == S_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			connect_errors++;
			error_at(c, "connect: %s", strerror(err));
			conn_close(ep, c, false);
			return;
		}
		connected(ep, c, patience);
		return;
	}
	if (c->st == S_READING && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
		readable(ep, c);
		return;
	}
	if ((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) &&
	    (c->st == S_DRIP || c->st == S_HOLD)) {
		/* The server gave up on us first (a timeout, a refusal). */
		if (c->kind == K_SLOW) {
			error_at(c, "server closed while the request was dripping (%zu of %zu bytes)",
				 c->out_off, c->out_len);
			conn_close(ep, c, false);
		} else {
			tally[c->kind].reset++;
			finish(ep, c, false);
		}
	}
}

int main(int argc, char **argv)
{
	unsigned int secs = 60, nconns = 40, rate = 40, patience = 90;
	int ports[8], nports = 0, ep, i;
	unsigned long seed = (unsigned long)time(NULL) ^ (unsigned long)getpid();
	struct conn *conns;
	uint64_t start, end, next_open;
	struct tally sum = { 0 };

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			goto usage;
		if (!strcmp(a, "--port") && nports < 8)
			ports[nports++] = atoi(v);
		else if (!strcmp(a, "--time"))
			secs = (unsigned int)atoi(v);
		else if (!strcmp(a, "--conns"))
			nconns = (unsigned int)atoi(v);
		else if (!strcmp(a, "--rate"))
			rate = (unsigned int)atoi(v);
		else if (!strcmp(a, "--patience"))
			patience = (unsigned int)atoi(v);
		else if (!strcmp(a, "--seed"))
			seed = strtoul(v, NULL, 0);
		else
			goto usage;
		i++;
	}
	if (!nports || !nconns || !rate || !patience)
		goto usage;
	rng = seed * 0x9E3779B97F4A7C15ULL + 1;
	printf("abuse: seed %lu, %u connections, %u/s, %u s\n", seed, nconns, rate, secs);
	fflush(stdout);
	signal(SIGPIPE, SIG_IGN);
	conns = calloc(nconns, sizeof(*conns));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!conns || ep < 0) {
		perror("abuse");
		return 2;
	}
	for (i = 0; i < (int)nconns; i++)
		conns[i].fd = -1;
	start = now_ms();
	end = start + secs * 1000ULL;
	next_open = start;
	for (;;) {
		struct epoll_event evs[64];
		uint64_t now = now_ms();
		int n;

		if (now >= end)
			break;
		for (i = 0; i < (int)nconns && next_open <= now; i++) {
			if (conns[i].st != S_FREE)
				continue;
			open_conn(ep, &conns[i], ports, nports);
			next_open += 1000 / rate;
			if (next_open < now - 1000)	/* no burst after a stall */
				next_open = now;
		}
		n = epoll_wait(ep, evs, 64, 20);
		for (i = 0; i < n; i++)
			event(ep, evs[i].data.ptr, evs[i].events, patience);
		now = now_ms();
		for (i = 0; i < (int)nconns; i++)
			if (conns[i].st != S_FREE && conns[i].st != S_CONNECTING)
				tick(ep, &conns[i], now, patience);
	}
	for (i = 0; i < (int)nconns; i++) {
		if (conns[i].st == S_FREE)
			continue;
		tally[conns[i].kind].cut++;
		conn_close(ep, &conns[i], false);
	}
	for (i = 0; i < K_N; i++) {
		struct tally *t = &tally[i];

		printf("abuse: %-9s started %lu done %lu answered %lu closed %lu reset %lu "
		       "unanswered %lu cut %lu errors %lu\n", kind_name[i], t->started,
		       t->done, t->answered, t->closed, t->reset, t->unanswered, t->cut,
		       t->errors);
		sum.started += t->started;
		sum.done += t->done;
		sum.errors += t->errors;
	}
	printf("abuse: total started %lu done %lu connect_errors %lu errors %lu\n",
	       sum.started, sum.done, connect_errors, sum.errors);
	return sum.errors ? 1 : 0;
usage:
	fprintf(stderr, "usage: soak-abuse --port P [--port P...] [--time SECS] [--conns N]\n"
		"       [--rate N] [--patience SECS] [--seed N]\n");
	return 2;
}
