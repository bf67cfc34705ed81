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

#include "lua.h"
#include "runtime.h"
#include "uapi/luaulp.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

#define RESLEN	LUAULP_ERROR_MAX	/* what the socket options return */
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
	err = luaulp_rt_exec(rt, src, len, CHUNKNAME, o->text, sizeof(o->text));
	o->ms = now_ms() - t;
	if (err) {
		o->err = -err;
		snprintf(o->text, sizeof(o->text), "%s", luaulp_rt_error(rt));
	}
	luaulp_rt_destroy(rt);
}

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
	socklen_t olen = sizeof(o->text);
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
	if (expect[0] == '=') {
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
			continue;
		}
		if (!in_case)
			continue;
		if (!strncmp(line, "== ", 3) || !strncmp(line, "!! ", 3) ||
		    !strcmp(line, "==")) {
			char expect[1024];

			snprintf(expect, sizeof(expect), "%s%s", line,
				 strcmp(line, "==") ? "" : " ");
			check_case(r, name, src ? src : "", slen, expect);
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
