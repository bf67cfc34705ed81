// SPDX-License-Identifier: GPL-2.0
/*
 * optctl: every SOL_LUA option with good and bad input, on one scripted
 * loopback socket.  Prints one "case: RESULT" line per check, RESULT being
 * "ok", an errno name, or a value read back; the bats suite compares the
 * whole list.  "optctl priv" runs only what an unprivileged user may do.
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
#include <unistd.h>

#include "luaulp.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

static int fd;

static void report(const char *name, int rc)
{
	printf("%s: %s\n", name, rc ? strerrorname_np(errno) : "ok");
}

static void set(const char *name, int opt, const void *val, socklen_t len)
{
	report(name, setsockopt(fd, SOL_LUA, opt, val, len));
}

static void set_int(const char *name, int opt, int v)
{
	set(name, opt, &v, sizeof(v));
}

static void get_str(const char *name, int opt, socklen_t len)
{
	char buf[512];

	memset(buf, 'X', sizeof(buf));
	if (getsockopt(fd, SOL_LUA, opt, buf, &len))
		report(name, -1);
	else
		printf("%s: [%s] %u\n", name, buf, len);
}

static void get_int(const char *name, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_LUA, opt, &v, &len))
		report(name, -1);
	else
		printf("%s: %d\n", name, v);
}

static int connected(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), c, s;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(l, (void *)&a, len) || listen(l, 1) ||
	    getsockname(l, (void *)&a, &len))
		return -1;
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (void *)&a, len))
		return -1;
	s = accept(l, NULL, NULL);
	close(l);
	return s;
}

int main(int argc, char **argv)
{
	static char big[LUAULP_SCRIPT_MAX + 1];
	char name65[66], name64[65];
	struct luaulp_stats st;
	socklen_t len;
	int plain;

	setvbuf(stdout, NULL, _IOLBF, 0);
	plain = connected();
	fd = connected();
	if (fd < 0 || plain < 0)
		return 2;
	report("sol_lua on a socket without the ULP",
	       setsockopt(plain, SOL_LUA, LUAULP_ENTRYPOINT, "e", 1));
	report("attach", setsockopt(fd, SOL_TCP, TCP_ULP, "lua", 3));

	if (argc > 1 && !strcmp(argv[1], "priv")) {
		set("load unprivileged", LUAULP_LOADSCRIPT, "x = 1", 5);
		set("attachname unprivileged", LUAULP_ATTACHNAME, "test.reg", 8);
		get_str("result", LUAULP_RESULT, 64);
		return 0;
	}

	set("load empty", LUAULP_LOADSCRIPT, "", 0);
	set("load null", LUAULP_LOADSCRIPT, NULL, 10);
	memset(big, ' ', sizeof(big));
	set("load oversize", LUAULP_LOADSCRIPT, big, sizeof(big));
	set("load syntax error", LUAULP_LOADSCRIPT, "x = = 1", 7);
	get_str("error", LUAULP_ERROR, 512);
	get_str("error truncated", LUAULP_ERROR, 8);
	set("load bytecode", LUAULP_LOADSCRIPT, "\033Lua\x53\0junk", 10);
	get_str("error", LUAULP_ERROR, 512);
	set("load runtime error", LUAULP_LOADSCRIPT, "error('boom')", 13);
	get_str("error", LUAULP_ERROR, 512);
	set("load ok", LUAULP_LOADSCRIPT, "function e(d) end return 1, 'two'", 33);
	get_str("result", LUAULP_RESULT, 512);
	get_str("error after success", LUAULP_ERROR, 512);

	set("entry empty", LUAULP_ENTRYPOINT, "", 0);
	set("entry digit", LUAULP_ENTRYPOINT, "1abc", 4);
	set("entry space", LUAULP_ENTRYPOINT, "a b", 3);
	set("entry embedded nul", LUAULP_ENTRYPOINT, "ab\0cd", 5);
	set("entry null", LUAULP_ENTRYPOINT, NULL, 3);
	memset(name65, 'a', 65);
	name65[65] = 0;
	set("entry 65 chars", LUAULP_ENTRYPOINT, name65, 65);
	memset(name64, 'b', 64);
	name64[64] = 0;
	set("entry 64 chars", LUAULP_ENTRYPOINT, name64, 64);
	set("entry with nul", LUAULP_ENTRYPOINT, "e", 2);
	get_str("entry", LUAULP_ENTRYPOINT, 512);
	set("sendentry bad", LUAULP_SENDENTRY, "x-y", 3);
	set("sendentry ok", LUAULP_SENDENTRY, "s", 1);
	get_str("sendentry", LUAULP_SENDENTRY, 512);

	set("onerror short", LUAULP_ONERROR, "ab", 2);
	set_int("onerror 5", LUAULP_ONERROR, 5);
	set_int("onerror reset", LUAULP_ONERROR, LUAULP_ONERROR_RESET);
	get_int("onerror", LUAULP_ONERROR);

	set_int("memlimit 0", LUAULP_MEMLIMIT, 0);
	set_int("memlimit -1", LUAULP_MEMLIMIT, -1);
	set_int("memlimit raise", LUAULP_MEMLIMIT, 1 << 30);
	set_int("memlimit below use", LUAULP_MEMLIMIT, 100);
	set_int("memlimit lower", LUAULP_MEMLIMIT, 200000);
	get_int("memlimit", LUAULP_MEMLIMIT);

	len = 8;
	report("stats short", getsockopt(fd, SOL_LUA, LUAULP_STATS, &st, &len));
	len = sizeof(st);
	report("stats", getsockopt(fd, SOL_LUA, LUAULP_STATS, &st, &len));
	printf("stats memory within limit: %s\n",
	       st.memory > 0 && st.memory <= st.memory_max &&
	       st.memory_max == 200000 ? "yes" : "no");

	set("attachname missing", LUAULP_ATTACHNAME, "no.such", 7);
	set("attachname bad", LUAULP_ATTACHNAME, "a b", 3);
	set("unknown option", 99, "x", 1);
	get_str("unknown get", 99, 16);
	return 0;
}
