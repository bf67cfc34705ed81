// SPDX-License-Identifier: GPL-2.0
/*
 * burst VARIANT PORT N REP: open N connections to 127.0.0.1:PORT at once
 * (non-blocking connects, one after the other as fast as the loop goes),
 * send one "GET /" on each as soon as it is connected, and measure each
 * connection's first-response latency: from its connect() call to the
 * first byte of the answer.  Prints @row lines (bench/common.h): p50 and
 * p99 in ms, and how many failed or did not answer within 30 s.
 */
#include "common.h"

#include <sys/epoll.h>

#define TIMEOUT_NS 30e9

static const char request[] =
	"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	double *start, *lat, t_end;
	int n, rep, ep, done = 0, failed = 0, *fds;
	char *sent;
	const char *variant;

	if (argc != 5) {
		fprintf(stderr, "usage: burst VARIANT PORT N REP\n");
		return 2;
	}
	variant = argv[1];
	a.sin_port = htons(atoi(argv[2]));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	n = atoi(argv[3]);
	rep = atoi(argv[4]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	more_files();
	start = calloc(n, sizeof(double));
	lat = calloc(n, sizeof(double));
	fds = calloc(n, sizeof(int));
	sent = calloc(n, 1);
	ep = epoll_create1(0);
	if (!start || !lat || !fds || !sent || ep < 0)
		die("setup");

	for (int i = 0; i < n; i++) {
		struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN, .data.u32 = i };

		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fds[i] < 0)
			die("socket");
		start[i] = now_ns();
		if (connect(fds[i], (void *)&a, sizeof(a)) && errno != EINPROGRESS)
			die("connect");
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev))
			die("epoll_ctl");
	}
	t_end = now_ns() + TIMEOUT_NS;
	while (done + failed < n && now_ns() < t_end) {
		struct epoll_event evs[256];
		int k = epoll_wait(ep, evs, 256, 1000);

		for (int e = 0; e < k; e++) {
			int i = evs[e].data.u32;
			char buf[512];

			if (!sent[i] && (evs[e].events & EPOLLOUT)) {
				int err = 0;
				socklen_t el = sizeof(err);

				getsockopt(fds[i], SOL_SOCKET, SO_ERROR, &err, &el);
				if (err || write(fds[i], request, sizeof(request) - 1) !=
						   sizeof(request) - 1) {
					failed++;
					epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], NULL);
					close(fds[i]);
					continue;
				}
				sent[i] = 1;
				struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };

				epoll_ctl(ep, EPOLL_CTL_MOD, fds[i], &ev);
				continue;
			}
			if (evs[e].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
				ssize_t r = read(fds[i], buf, sizeof(buf));

				if (r > 0)
					lat[done++] = now_ns() - start[i];
				else
					failed++;
				epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], NULL);
				close(fds[i]);
			}
		}
	}
	if (!done) {
		fprintf(stderr, "burst: no connection answered\n");
		return 1;
	}
	row("burst", variant, argv[3], rep, "p50_ms", percentile(lat, done, 50) / 1e6);
	row("burst", variant, argv[3], rep, "p99_ms", percentile(lat, done, 99) / 1e6);
	row("burst", variant, argv[3], rep, "failed", n - done);
	return 0;
}
