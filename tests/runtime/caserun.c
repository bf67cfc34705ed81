// SPDX-License-Identifier: GPL-2.0
/*
 * caserun: run the shared case list (tests/runtime/cases.txt) in the
 * user-space runtime or, with --kernel, in luaulp.ko through the socket
 * options (LOADSCRIPT, then RESULT or ERROR), and check each outcome.
 *
 *   caserun [--kernel] [--times] [--only NAME] CASEFILE
 *   caserun [--kernel] --bench
 *
 * Prints one line per case, "NAME<TAB>STATUS<TAB>TEXT" (STATUS "ok" or an
 * errno name; TEXT the result or the error message, tabs and newlines
 * escaped), so the outputs of both runtimes can be compared byte for byte.
 * Mismatches with the expectations go to stderr; exit status 1 if any.
 *
 * Case file: "@@ NAME" starts a case, then the Lua source, then either
 * "== TEXT" (runs and returns TEXT: values tostring()ed, tab-separated) or
 * "!! ERRNO TEXT" (fails with errno ERRNO and a message containing TEXT).
 * Lines starting with "#" outside a case are comments.
 *
 * Session cases run the script on a connection: the module's (a loopback
 * TCP pair, the ULP on the accepting end) or simsock's, the same socket
 * semantics without a kernel (runtime/simsock.c, as `luaulp run`).  Among
 * the source lines: ":: entry F", ":: send-entry F", ":: onerror
 * pass|reset|close" set up the socket; "<< TEXT" is the peer sending TEXT,
 * after which the application reads until nothing is left; ">> TEXT" is
 * the application writing TEXT (escapes: \r \n \t \\ \xNN).  At the end
 * the peer shuts its side, the application reads to the end and closes.
 * "=> app=... peer=... end=..." expects what the application read, what
 * the peer received and how the application's stream ended (eof, reset),
 * in the same escapes.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <fcntl.h>
#include <poll.h>

#include "lua.h"
#include "runtime.h"
#include "simsock.h"
#include "uapi/luaulp.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

#define RESLEN	2048		/* >= LUAULP_ERROR_MAX, session outcomes */
#define CHUNKNAME "=script"		/* what kernel/sockopt.c uses */

struct outcome {
	int err;		/* 0 or a positive errno */
	char text[RESLEN];
	double ms;
};

static int use_kernel;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void run_host(const char *src, size_t len, struct outcome *o)
{
	struct luaulp_rt *rt;
	int err;
	double t;

	err = luaulp_rt_create(&rt, NULL);
	if (err) {
		o->err = -err;
		snprintf(o->text, sizeof(o->text), "cannot create a Lua state");
		return;
	}
	t = now_ms();
	err = luaulp_rt_exec(rt, src, len, CHUNKNAME, o->text, LUAULP_ERROR_MAX);
	o->ms = now_ms() - t;
	if (err) {
		o->err = -err;
		snprintf(o->text, sizeof(o->text), "%s", luaulp_rt_error(rt));
	}
	luaulp_rt_destroy(rt);
}

/* A session case's steps (see the top). */
#define STEPS_MAX	32
struct session {
	int nsteps;
	char kind[STEPS_MAX];		/* '<' peer sends, '>' app writes */
	char *data[STEPS_MAX];
	size_t len[STEPS_MAX];
	char entry[LUAULP_NAME_MAX + 1], send_entry[LUAULP_NAME_MAX + 1];
	int onerror;
};

/* What a session did: the bytes each side got, how it ended. */
struct transcript {
	char app[4096], peer[4096];
	size_t app_len, peer_len;
	const char *end;
};

static void add(char *buf, size_t *len, const char *p, size_t n)
{
	if (n > 4096 - *len)
		n = 4096 - *len;
	memcpy(buf + *len, p, n);
	*len += n;
}

/* Printable form: \r \n \t \\ and \xNN for other bytes outside ASCII. */
static void escape_into(char *dst, size_t size, const char *p, size_t n)
{
	size_t o = 0, i;

	for (i = 0; i < n && o + 5 < size; i++) {
		unsigned char c = p[i];

		if (c == '\r' || c == '\n' || c == '\t' || c == '\\') {
			dst[o++] = '\\';
			dst[o++] = c == '\r' ? 'r' : c == '\n' ? 'n' :
				   c == '\t' ? 't' : '\\';
		} else if (c < 0x20 || c >= 0x7f) {
			o += snprintf(dst + o, size - o, "\\x%02x", c);
		} else {
			dst[o++] = c;
		}
	}
	dst[o] = '\0';
}

static void outcome_of(struct transcript *t, struct outcome *o)
{
	char app[960], peer[960];

	escape_into(app, sizeof(app), t->app, t->app_len);
	escape_into(peer, sizeof(peer), t->peer, t->peer_len);
	snprintf(o->text, sizeof(o->text), "app=%s peer=%s end=%s", app, peer,
		 t->end);
}

static void sim_to_peer(void *arg, const char *p, size_t len)
{
	struct transcript *t = arg;

	add(t->peer, &t->peer_len, p, len);
}

/* The application reads until nothing is left; false at the end. */
static bool sim_drain(struct luaulp_simsock *s, struct transcript *t)
{
	char buf[65536];
	ssize_t n;

	for (;;) {
		n = luaulp_simsock_read(s, buf, sizeof(buf), 0);
		if (n > 0) {
			add(t->app, &t->app_len, buf, n);
			continue;
		}
		if (n == 0)
			t->end = "eof";
		else if (n == -ECONNRESET)
			t->end = "reset";
		return n == -EAGAIN;
	}
}

static void session_host(const char *src, size_t len, struct session *ss,
			 struct outcome *o)
{
	static struct luaulp_store *store;
	struct transcript t = { .end = "open" };
	struct luaulp_simsock_cfg cfg = {
		.to_peer = sim_to_peer, .arg = &t, .nonblock = true,
		.info = { .local_addr = "127.0.0.1", .remote_addr = "127.0.0.1" },
	};
	struct luaulp_simsock *s;
	bool open = true;
	int i;

	if (!store)
		store = luaulp_store_create();
	cfg.store = store;
	if (luaulp_simsock_create(&s, &cfg)) {
		o->err = ENOMEM;
		snprintf(o->text, sizeof(o->text), "cannot create a socket");
		return;
	}
	if (luaulp_simsock_load(s, src, len, CHUNKNAME)) {
		o->err = EINVAL;
		snprintf(o->text, sizeof(o->text), "%s", luaulp_simsock_error(s));
		goto out;
	}
	luaulp_simsock_set_entries(s, ss->entry, ss->send_entry);
	luaulp_simsock_set_onerror(s, ss->onerror);
	for (i = 0; i < ss->nsteps && open; i++) {
		if (ss->kind[i] == '<') {
			luaulp_simsock_peer(s, ss->data[i], ss->len[i], false);
			open = sim_drain(s, &t);
		} else {
			luaulp_simsock_write(s, ss->data[i], ss->len[i]);
		}
	}
	if (open) {
		luaulp_simsock_peer(s, NULL, 0, true);
		sim_drain(s, &t);
	}
	outcome_of(&t, o);
out:
	luaulp_simsock_destroy(s);
}

/* Read what FD has until EAGAIN (after waiting up to MS for the first
 * byte): 1 more may come, 0 end of stream, -1 reset. */
static int fd_drain(int fd, char *buf, size_t *len, int ms, int *err)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char chunk[65536];
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return 1;
	for (;;) {
		n = recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
		if (n > 0) {
			add(buf, len, chunk, n);
			continue;
		}
		if (n == 0)
			return 0;
		if (errno == EAGAIN)
			return 1;
		*err = errno;
		return -1;
	}
}

/* A non-blocking application's write: EAGAIN waits for POLLOUT. */
static void app_write(int fd, const char *p, size_t len)
{
	struct pollfd pf = { .fd = fd, .events = POLLOUT };
	ssize_t n;

	while (len) {
		n = send(fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= n;
		} else if (n < 0 && errno == EAGAIN && poll(&pf, 1, 2000) > 0) {
			continue;
		} else {
			return;
		}
	}
}

static void session_kernel(int afd, int cfd, struct session *ss,
			   struct outcome *o)
{
	struct transcript t = { .end = "open" };
	int i, r = 1, err = 0, perr = 0;

	if ((ss->entry[0] &&
	     setsockopt(afd, SOL_LUA, LUAULP_ENTRYPOINT, ss->entry,
			strlen(ss->entry))) ||
	    (ss->send_entry[0] &&
	     setsockopt(afd, SOL_LUA, LUAULP_SENDENTRY, ss->send_entry,
			strlen(ss->send_entry))) ||
	    setsockopt(afd, SOL_LUA, LUAULP_ONERROR, &ss->onerror,
		       sizeof(ss->onerror))) {
		o->err = errno;
		snprintf(o->text, sizeof(o->text), "setsockopt: %s",
			 strerror(errno));
		return;
	}
	for (i = 0; i < ss->nsteps && r > 0; i++) {
		if (ss->kind[i] == '<') {
			if (send(cfd, ss->data[i], ss->len[i], 0) < 0)
				break;
			r = fd_drain(afd, t.app, &t.app_len, 2000, &err);
		} else {
			app_write(afd, ss->data[i], ss->len[i]);
		}
		fd_drain(cfd, t.peer, &t.peer_len, 50, &perr);
	}
	if (r > 0) {
		shutdown(cfd, SHUT_WR);
		while ((r = fd_drain(afd, t.app, &t.app_len, 2000, &err)) > 0)
			;
	}
	t.end = r == 0 ? "eof" : err == ECONNRESET ? "reset" : "open";
	close(afd);
	while (fd_drain(cfd, t.peer, &t.peer_len, 2000, &perr) > 0)
		;
	outcome_of(&t, o);
}

/* "\\r" and friends of a step's TEXT, in place; its length. */
static size_t unescape_bytes(char *s)
{
	char *d = s, *start = s;

	for (; *s; s++) {
		if (*s != '\\' || !s[1]) {
			*d++ = *s;
			continue;
		}
		s++;
		switch (*s) {
		case 'r': *d++ = '\r'; break;
		case 'n': *d++ = '\n'; break;
		case 't': *d++ = '\t'; break;
		case 'x':
			if (s[1] && s[2]) {
				char hex[3] = { s[1], s[2], 0 };

				*d++ = (char)strtoul(hex, NULL, 16);
				s += 2;
				break;
			}
			/* fall through */
		default: *d++ = *s;
		}
	}
	return d - start;
}

/* A ":: ", "<< " or ">> " line of a case: true if it was one. */
static bool session_line(struct session *ss, const char *line)
{
	char *copy;

	if (!strncmp(line, ":: entry ", 9)) {
		snprintf(ss->entry, sizeof(ss->entry), "%s", line + 9);
	} else if (!strncmp(line, ":: send-entry ", 14)) {
		snprintf(ss->send_entry, sizeof(ss->send_entry), "%s", line + 14);
	} else if (!strncmp(line, ":: onerror ", 11)) {
		ss->onerror = !strcmp(line + 11, "reset") ? LUAULP_ONERROR_RESET :
			      !strcmp(line + 11, "close") ? LUAULP_ONERROR_CLOSE :
			      LUAULP_ONERROR_PASS;
	} else if ((!strncmp(line, "<< ", 3) || !strncmp(line, ">> ", 3)) &&
		   ss->nsteps < STEPS_MAX) {
		copy = strdup(line + 3);
		if (!copy)
			abort();
		ss->kind[ss->nsteps] = line[0];
		ss->len[ss->nsteps] = unescape_bytes(copy);
		ss->data[ss->nsteps++] = copy;
	} else {
		return false;
	}
	return true;
}

static void session_clear(struct session *ss)
{
	int i;

	for (i = 0; i < ss->nsteps; i++)
		free(ss->data[i]);
	memset(ss, 0, sizeof(*ss));
}

static struct session *cur_session;

static int listener = -1;
static struct sockaddr_in laddr;

static int kernel_pair(int *cfd, int *afd)
{
	socklen_t alen = sizeof(laddr);

	if (listener < 0) {
		listener = socket(AF_INET, SOCK_STREAM, 0);
		memset(&laddr, 0, sizeof(laddr));
		laddr.sin_family = AF_INET;
		laddr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (listener < 0 ||
		    bind(listener, (struct sockaddr *)&laddr, sizeof(laddr)) ||
		    getsockname(listener, (struct sockaddr *)&laddr, &alen) ||
		    listen(listener, 16))
			return -1;
	}
	*cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (*cfd < 0 || connect(*cfd, (struct sockaddr *)&laddr, sizeof(laddr)))
		return -1;
	*afd = accept(listener, NULL, NULL);
	return *afd < 0 ? -1 : 0;
}

static void run_kernel(const char *src, size_t len, struct outcome *o)
{
	int cfd = -1, afd = -1;
	socklen_t olen = LUAULP_ERROR_MAX;	/* as the module's results */
	double t;

	if (kernel_pair(&cfd, &afd)) {
		o->err = errno;
		snprintf(o->text, sizeof(o->text), "socket pair: %s", strerror(errno));
		goto out;
	}
	if (setsockopt(afd, SOL_TCP, TCP_ULP, "lua", 3)) {
		o->err = errno;
		snprintf(o->text, sizeof(o->text), "TCP_ULP lua: %s", strerror(errno));
		goto out;
	}
	t = now_ms();
	if (setsockopt(afd, SOL_LUA, LUAULP_LOADSCRIPT, src, len)) {
		o->ms = now_ms() - t;
		o->err = errno;
		if (getsockopt(afd, SOL_LUA, LUAULP_ERROR, o->text, &olen))
			snprintf(o->text, sizeof(o->text), "LUAULP_ERROR: %s",
				 strerror(errno));
		goto out;
	}
	o->ms = now_ms() - t;
	if (cur_session) {
		session_kernel(afd, cfd, cur_session, o);
		afd = -1;
		goto out;
	}
	if (getsockopt(afd, SOL_LUA, LUAULP_RESULT, o->text, &olen)) {
		o->err = errno;
		snprintf(o->text, sizeof(o->text), "LUAULP_RESULT: %s", strerror(errno));
	}
out:
	if (afd >= 0)
		close(afd);
	if (cfd >= 0)
		close(cfd);
}



static void run(const char *src, size_t len, struct outcome *o)
{
	memset(o, 0, sizeof(*o));
	if (use_kernel)
		run_kernel(src, len, o);
	else if (cur_session)
		session_host(src, len, cur_session, o);
	else
		run_host(src, len, o);
	o->text[sizeof(o->text) - 1] = '\0';
}

static const char *errname(int e)
{
	static char buf[16];

	switch (e) {
	case 0: return "ok";
	case EINVAL: return "EINVAL";
	case ENOMEM: return "ENOMEM";
	case ETIME: return "ETIME";
	case EPERM: return "EPERM";
	case EMSGSIZE: return "EMSGSIZE";
	case ENOENT: return "ENOENT";
	}
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

static void put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\t')
			fputs("\\t", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (*s == '\\')
			fputs("\\\\", f);
		else
			fputc(*s, f);
	}
}

/* Expected text as written in the case file: \t \n \\ */
static void unescape(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			*d++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

struct runner {
	const char *only;
	int times;
	int failed, total;
	double worst_ms;
	char worst[128];
};

static void check_case(struct runner *r, const char *name, const char *src,
		       size_t len, char *expect)
{
	struct outcome o;
	int ok;

	if (r->only && strcmp(r->only, name))
		return;
	run(src, len, &o);
	r->total++;
	printf("%s\t%s\t", name, errname(o.err));
	put_escaped(stdout, o.text);
	putchar('\n');
	if (r->times)
		fprintf(stderr, "%s: %.3f ms\n", name, o.ms);
	if (o.ms > r->worst_ms) {
		r->worst_ms = o.ms;
		snprintf(r->worst, sizeof(r->worst), "%s", name);
	}
	if (!strncmp(expect, "=> ", 3)) {
		ok = o.err == 0 && !strcmp(o.text, expect + 3);
	} else if (expect[0] == '=') {
		char *want = expect + 3;

		unescape(want);
		ok = o.err == 0 && !strcmp(o.text, want);
	} else {
		char *ename = expect + 3, *sp = strchr(ename, ' ');
		char want[1024] = "";

		if (sp) {
			*sp = '\0';
			snprintf(want, sizeof(want), "%s", sp + 1);
		}
		unescape(want);
		ok = !strcmp(errname(o.err), ename) && strstr(o.text, want);
		if (sp)
			*sp = ' ';
	}
	if (!ok) {
		r->failed++;
		fprintf(stderr, "FAIL %s: expected '%s', got %s '", name, expect,
			errname(o.err));
		put_escaped(stderr, o.text);
		fputs("'\n", stderr);
	}
}

static int run_file(struct runner *r, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *src = NULL;
	size_t cap = 0, slen = 0, scap = 0;
	char name[128] = "";
	struct session ss = { 0 };
	ssize_t n;
	int in_case = 0;

	if (!f) {
		perror(path);
		return -1;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		if (!strncmp(line, "@@ ", 3)) {
			snprintf(name, sizeof(name), "%s", line + 3);
			in_case = 1;
			slen = 0;
			session_clear(&ss);
			continue;
		}
		if (!in_case)
			continue;
		if (session_line(&ss, line))
			continue;
		if (!strncmp(line, "== ", 3) || !strncmp(line, "!! ", 3) ||
		    !strcmp(line, "==") || !strncmp(line, "=> ", 3)) {
			char expect[1024];

			snprintf(expect, sizeof(expect), "%s%s", line,
				 strcmp(line, "==") ? "" : " ");
			cur_session = line[1] == '>' ? &ss : NULL;
			check_case(r, name, src ? src : "", slen, expect);
			cur_session = NULL;
			in_case = 0;
			continue;
		}
		if (slen + (size_t)n + 2 > scap) {
			scap = (slen + n + 2) * 2;
			src = realloc(src, scap);
			if (!src)
				abort();
		}
		memcpy(src + slen, line, n);
		slen += n;
		src[slen++] = '\n';
		src[slen] = '\0';
	}
	session_clear(&ss);
	free(line);
	free(src);
	fclose(f);
	return 0;
}

/* Time per call of an empty Lua function, measured the same way in both
 * runtimes: a loop with the calls minus the same loop without them. */
static void bench(void)
{
	static const char with[] =
		"local f = function() end\n"
		"for i = 1, 200000 do f() end\n";
	static const char without[] =
		"local f = function() end\n"
		"for i = 1, 200000 do end\n";
	static const char fresh[] = "return collectgarbage('count') * 1024";
	struct outcome o;
	double tw = 1e30, tn = 1e30;
	int i;

	for (i = 0; i < 5; i++) {
		run(with, sizeof(with) - 1, &o);
		if (o.ms < tw)
			tw = o.ms;
		run(without, sizeof(without) - 1, &o);
		if (o.ms < tn)
			tn = o.ms;
	}
	printf("empty Lua call (in Lua): %.1f ns\n", (tw - tn) * 1e6 / 200000);
	run(fresh, sizeof(fresh) - 1, &o);
	printf("bytes of a state running a chunk: %s\n", o.text);

	if (!use_kernel) {
		struct luaulp_rt *rt;
		struct lua_State *L;
		double t;
		int n = 200000;

		if (luaulp_rt_create(&rt, NULL))
			return;
		printf("bytes of a fresh state: %zu\n", luaulp_rt_memory(rt));
		luaulp_rt_exec(rt, "function f() end", 16, CHUNKNAME, NULL, 0);
		L = luaulp_rt_lua(rt);
		t = now_ms();
		for (i = 0; i < n; i++) {
			lua_getglobal(L, "f");
			luaulp_rt_pcall(rt, 0, 0);
		}
		printf("empty function via luaulp_rt_pcall (from C): %.1f ns\n",
		       (now_ms() - t) * 1e6 / n);
		luaulp_rt_destroy(rt);
	}
}

int main(int argc, char **argv)
{
	struct runner r = { 0 };
	const char *file = NULL;
	int i, do_bench = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--kernel"))
			use_kernel = 1;
		else if (!strcmp(argv[i], "--times"))
			r.times = 1;
		else if (!strcmp(argv[i], "--bench"))
			do_bench = 1;
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			r.only = argv[++i];
		else
			file = argv[i];
	}
	if (do_bench) {
		bench();
		return 0;
	}
	if (!file) {
		fprintf(stderr, "usage: caserun [--kernel] [--times] [--only NAME] CASEFILE\n"
				"       caserun [--kernel] --bench\n");
		return 2;
	}
	if (run_file(&r, file))
		return 2;
	fprintf(stderr, "%d cases, %d failed; slowest %s: %.3f ms\n", r.total,
		r.failed, r.worst, r.worst_ms);
	return r.failed ? 1 : 0;
}
