// SPDX-License-Identifier: GPL-2.0
/*
 * script_mem [--source] SCRIPT ENTRY [INPUT...]: the memory one
 * connection's Lua state holds with SCRIPT, measured on the user-space
 * build of the kernel's runtime (same allocator accounting, same sandbox,
 * same libraries).
 *
 * SCRIPT is loaded as the kernel's registry loads it for a socket attached
 * by name (what the shim does for nginx's workers): compiled in a scratch
 * state, dumped stripped (kernel/registry.c), loaded as bytecode, its top
 * level run, then a full collection.  --source loads the text instead, as
 * LUAULP_LOADSCRIPT does (line table and names kept, no collection after).
 *
 * Prints, in bytes (luaulp_rt_memory):
 *   fresh      a state with the sandbox and the luaulp table, no script
 *   loaded     after SCRIPT's top level ran
 *   idle       after the load's collection (--source: after a full
 *              collection): what an idle connection keeps
 *   after N    after the entry ran on INPUT file N (whole, one call), then a
 *              full collection
 *   peak       the most held at any point
 *   strings    short strings in the state and the slots of its string
 *              table (8 bytes each; the table doubles when the strings
 *              reach its size and never shrinks while a quarter is used)
 * The luaulp table here is a stand-in of the kernel's (same fields, no-op
 * send/log, a store that keeps nothing), so its size matches; the kernel
 * also names stripped code by its script (one more string).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lauxlib.h"
#include "lua.h"
#include "lstate.h"
#include "runtime.h"

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

static int l_send(lua_State *L)
{
	size_t n;

	luaL_checklstring(L, 1, &n);
	lua_pushinteger(L, (lua_Integer)n);
	return 1;
}

static int l_nothing(lua_State *L)
{
	(void)L;
	return 0;
}

static int l_zero(lua_State *L)
{
	lua_pushinteger(L, 0);
	return 1;
}

static const char close_token, reset_token;

/* Protected: the luaulp table as the kernel fills it. */
static int lib_open(lua_State *L)
{
	static const luaL_Reg funcs[] = {
		{ "send", l_send }, { "log", l_nothing },
		{ "time", l_zero }, { "clock", l_zero }, { NULL, NULL }
	};
	static const luaL_Reg store[] = {
		{ "get", l_nothing }, { "set", l_nothing },
		{ "incr", l_zero }, { "delete", l_nothing }, { NULL, NULL }
	};

	lua_getglobal(L, "luaulp");
	luaL_setfuncs(L, funcs, 0);
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "PASS");
	lua_pushboolean(L, 1);
	lua_setfield(L, -2, "DROP");
	lua_pushlightuserdata(L, (void *)&reset_token);
	lua_setfield(L, -2, "RESET");
	lua_pushlightuserdata(L, (void *)&close_token);
	lua_setfield(L, -2, "CLOSE");
	luaL_newlib(L, store);
	lua_setfield(L, -2, "store");
	lua_createtable(L, 0, 5);
	lua_pushliteral(L, "inet");
	lua_setfield(L, -2, "family");
	lua_pushliteral(L, "127.0.0.1");
	lua_setfield(L, -2, "local_addr");
	lua_pushinteger(L, 80);
	lua_setfield(L, -2, "local_port");
	lua_pushliteral(L, "127.0.0.1");
	lua_setfield(L, -2, "remote_addr");
	lua_pushinteger(L, 40000);
	lua_setfield(L, -2, "remote_port");
	lua_setfield(L, -2, "socket");
	return 0;
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

struct dump {
	char *p;
	size_t len;
};

static int dump_writer(lua_State *L, const void *p, size_t n, void *ud)
{
	struct dump *d = ud;
	char *q = realloc(d->p, d->len + n);

	(void)L;
	if (!q)
		return 1;
	memcpy(q + d->len, p, n);
	d->p = q;
	d->len += n;
	return 0;
}

/* SRC compiled and dumped stripped, as kernel/registry.c keeps scripts. */
static struct dump compile(const char *src, size_t len)
{
	struct luaulp_rt *rt;
	struct dump d = { NULL, 0 };
	lua_State *L;

	if (luaulp_rt_create(&rt, NULL))
		exit(1);
	L = luaulp_rt_lua(rt);
	if (luaL_loadbufferx(L, src, len, "=script", "t")) {
		fprintf(stderr, "%s\n", lua_tostring(L, -1));
		exit(1);
	}
	if (lua_dump(L, dump_writer, &d, 1)) {
		fprintf(stderr, "dump failed\n");
		exit(1);
	}
	luaulp_rt_destroy(rt);
	return d;
}

/* Protected: the registry's load_protected, on our dump. */
static int load_bytecode(lua_State *L)
{
	struct dump *d = lua_touserdata(L, 1);

	if (luaL_loadbufferx(L, d->p, d->len, "=script", "b"))
		return lua_error(L);
	lua_call(L, 0, 0);
	return 0;
}

int main(int argc, char **argv)
{
	struct luaulp_rt *rt;
	lua_State *L;
	size_t len;
	char *src;
	int i, source = 0;

	if (argc > 1 && !strcmp(argv[1], "--source")) {
		source = 1;
		argv++;
		argc--;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: script_mem [--source] SCRIPT ENTRY [INPUT...]\n");
		return 2;
	}
	if (luaulp_rt_create(&rt, NULL))
		return 1;
	L = luaulp_rt_lua(rt);
	lua_pushcfunction(L, lib_open);
	if (luaulp_rt_pcall(rt, 0, 0)) {
		fprintf(stderr, "%s\n", luaulp_rt_error(rt));
		return 1;
	}
	printf("fresh %zu\n", mem(rt, 1));
	src = slurp(argv[1], &len);
	if (source) {
		if (luaulp_rt_exec(rt, src, len, "=script", NULL, 0)) {
			fprintf(stderr, "%s\n", luaulp_rt_error(rt));
			return 1;
		}
	} else {
		struct dump d = compile(src, len);

		lua_pushcfunction(L, load_bytecode);
		lua_pushlightuserdata(L, &d);
		if (luaulp_rt_pcall(rt, 1, 0)) {
			fprintf(stderr, "%s\n", luaulp_rt_error(rt));
			return 1;
		}
		free(d.p);
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
	printf("strings %d of %d slots\n", G(L)->strt.nuse, G(L)->strt.size);
	luaulp_rt_destroy(rt);
	return 0;
}
