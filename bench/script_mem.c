// SPDX-License-Identifier: GPL-2.0
/*
 * script_mem SCRIPT ENTRY [INPUT...]: the memory one connection's Lua state
 * holds with SCRIPT, measured on the user-space build of the kernel's
 * runtime (same allocator accounting, same sandbox, same libraries).
 *
 * Prints, in bytes (luaulp_rt_memory):
 *   fresh      a state with the sandbox and the luaulp table, no script
 *   loaded     after SCRIPT's top level ran (before any collection)
 *   idle       the same after a full collection: what an idle connection
 *              keeps (the kernel collects incrementally; garbage comes and
 *              goes, this is the floor)
 *   after N    after the entry ran on INPUT file N (whole, one call), then a
 *              full collection
 *   peak       the most held at any point
 * The luaulp table is bench/rt_stub.c's stand-in of the kernel's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lauxlib.h"
#include "lua.h"
#include "runtime.h"
#include "rt_stub.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		perror(path);
		exit(1);
	}
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(1);
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static size_t peak;

static size_t mem(struct luaulp_rt *rt, int collect)
{
	size_t m = luaulp_rt_memory(rt);

	if (m > peak)
		peak = m;
	if (collect) {
		lua_gc(luaulp_rt_lua(rt), LUA_GCCOLLECT, 0);
		m = luaulp_rt_memory(rt);
	}
	return m;
}

int main(int argc, char **argv)
{
	struct luaulp_rt *rt;
	lua_State *L;
	size_t len;
	char *src;
	int i;

	if (argc < 3) {
		fprintf(stderr, "usage: script_mem SCRIPT ENTRY [INPUT...]\n");
		return 2;
	}
	if (luaulp_rt_create(&rt, NULL))
		return 1;
	L = luaulp_rt_lua(rt);
	lua_pushcfunction(L, bench_luaulp_table);
	if (luaulp_rt_pcall(rt, 0, 0)) {
		fprintf(stderr, "%s\n", luaulp_rt_error(rt));
		return 1;
	}
	printf("fresh %zu\n", mem(rt, 1));
	src = slurp(argv[1], &len);
	if (luaulp_rt_exec(rt, src, len, "=script", NULL, 0)) {
		fprintf(stderr, "%s\n", luaulp_rt_error(rt));
		return 1;
	}
	free(src);
	printf("loaded %zu\n", mem(rt, 0));
	printf("idle %zu\n", mem(rt, 1));
	for (i = 3; i < argc; i++) {
		char *in = slurp(argv[i], &len);

		lua_getglobal(L, argv[2]);
		lua_pushlstring(L, in, len);
		lua_pushinteger(L, (lua_Integer)len);
		lua_pushboolean(L, 0);
		free(in);
		if (luaulp_rt_pcall(rt, 3, 0)) {
			fprintf(stderr, "%s: %s\n", argv[i], luaulp_rt_error(rt));
			return 1;
		}
		printf("after %d %zu\n", i - 2, mem(rt, 1));
	}
	printf("peak %zu\n", peak);
	luaulp_rt_destroy(rt);
	return 0;
}
