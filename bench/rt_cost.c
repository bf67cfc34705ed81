// SPDX-License-Identifier: GPL-2.0
/*
 * rt_cost MODE N [SCRIPT [ENTRY]]: the runtime's work, N times, for
 * instruction counts under callgrind on the host (bench/callgrind runs each
 * mode with N = 0 and N = K: the difference over K is the cost of one).
 * The same runtime sources as the kernel's (build/runtime/libluaulp_rt.a),
 * with bench/rt_stub.c's luaulp table.
 *
 *   entry N            one call of an empty entry with 64 bytes, as the
 *                      kernel makes it (push data, size, nonblock; call
 *                      under the budget; one result)
 *   source N SCRIPT    a new state, its luaulp table, SCRIPT's source
 *                      compiled and run (LUAULP_LOADSCRIPT), state closed
 *   undump N SCRIPT    the same from the precompiled code, as the registry
 *                      keeps it (LUAULP_ATTACHNAME)
 *   request N SCRIPT ENTRY   ENTRY called on one realistic HTTP request
 *                      (bench/common.h's) in a state with SCRIPT
 *   mem N SCRIPT       (not for callgrind) @row lines: bytes a state holds
 *                      after a full collection, fresh, with SCRIPT from
 *                      source, from the registry's code (lua_dump strip 0,
 *                      as kernel/registry.c keeps it) and from stripped
 *                      code (strip 1: no line info, no local names)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lauxlib.h"
#include "lua.h"
#include "runtime.h"
#include "rt_stub.h"

static const char request[] =
	"GET /static/js/app.bundle.js?v=20261201 HTTP/1.1\r\n"
	"Host: www.example.com\r\n"
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
	"Accept: */*\r\n"
	"Accept-Language: en-US,en;q=0.5\r\n"
	"Accept-Encoding: gzip, deflate, br\r\n"
	"Referer: https://www.example.com/products/list?page=2\r\n"
	"Connection: keep-alive\r\n"
	"Cookie: session=8f14e45fceea167a5a36dedd4bea2543; theme=dark; consent=1\r\n"
	"Sec-Fetch-Dest: script\r\n"
	"Sec-Fetch-Mode: no-cors\r\n"
	"Sec-Fetch-Site: same-origin\r\n"
	"\r\n";

static void fail(struct luaulp_rt *rt, const char *what)
{
	fprintf(stderr, "rt_cost: %s: %s\n", what, rt ? luaulp_rt_error(rt) : "");
	exit(1);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		fail(NULL, path);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		fail(NULL, path);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* A state as the kernel makes one at attach: sandbox plus the luaulp table. */
static struct luaulp_rt *new_state(void)
{
	struct luaulp_rt *rt;

	if (luaulp_rt_create(&rt, NULL))
		fail(NULL, "luaulp_rt_create");
	lua_pushcfunction(luaulp_rt_lua(rt), bench_luaulp_table);
	if (luaulp_rt_pcall(rt, 0, 0))
		fail(rt, "luaulp table");
	return rt;
}

struct code {
	char *p;
	size_t len, cap;
};

static int writer(lua_State *L, const void *p, size_t n, void *ud)
{
	struct code *c = ud;

	(void)L;
	if (c->len + n > c->cap) {
		c->cap = (c->len + n) * 2;
		c->p = realloc(c->p, c->cap);
		if (!c->p)
			return 1;
	}
	memcpy(c->p + c->len, p, n);
	c->len += n;
	return 0;
}

/* Protected: load chunk (ud: struct code, mode in upvalue-free global). */
static const char *load_mode;

static int load_and_run(lua_State *L)
{
	struct code *c = lua_touserdata(L, 1);

	if (luaL_loadbufferx(L, c->p, c->len, "=script", load_mode))
		return lua_error(L);
	lua_call(L, 0, 0);
	return 0;
}

static void run_chunk(struct luaulp_rt *rt, struct code *c, const char *mode)
{
	lua_State *L = luaulp_rt_lua(rt);

	load_mode = mode;
	lua_pushcfunction(L, load_and_run);
	lua_pushlightuserdata(L, c);
	if (luaulp_rt_pcall(rt, 1, 0))
		fail(rt, "load");
}

/* The registry's compile step (kernel/registry.c compile_protected). */
static int strip;

static int compile(lua_State *L)
{
	struct code *src = lua_touserdata(L, 1), *out = lua_touserdata(L, 2);

	if (luaL_loadbufferx(L, src->p, src->len, "=script", "t"))
		return lua_error(L);
	if (lua_dump(L, writer, out, strip))
		return luaL_error(L, "dump failed");
	return 0;
}

static void compile_to(struct code *src, struct code *bin)
{
	struct luaulp_rt *rt = new_state();
	lua_State *L = luaulp_rt_lua(rt);

	lua_pushcfunction(L, compile);
	lua_pushlightuserdata(L, src);
	lua_pushlightuserdata(L, bin);
	if (luaulp_rt_pcall(rt, 2, 0))
		fail(rt, "compile");
	luaulp_rt_destroy(rt);
}

/* Bytes held after a full collection. */
static size_t held(struct luaulp_rt *rt)
{
	lua_gc(luaulp_rt_lua(rt), LUA_GCCOLLECT, 0);
	return luaulp_rt_memory(rt);
}

static void call_entry(struct luaulp_rt *rt, const char *entry,
		       const char *data, size_t len)
{
	lua_State *L = luaulp_rt_lua(rt);

	lua_getglobal(L, entry);
	lua_pushlstring(L, data, len);
	lua_pushinteger(L, (lua_Integer)len);
	lua_pushboolean(L, 0);
	if (luaulp_rt_pcall(rt, 3, 1))
		fail(rt, entry);
	lua_pop(L, 1);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	long n = argc > 2 ? atol(argv[2]) : -1;
	struct code src = { 0 }, bin = { 0 };
	struct luaulp_rt *rt;

	if (n < 0 || (strcmp(mode, "entry") && argc < 4)) {
		fprintf(stderr, "usage: rt_cost entry N | source N SCRIPT | "
			"undump N SCRIPT | request N SCRIPT ENTRY | mem 0 SCRIPT\n");
		return 2;
	}
	if (argc > 3)
		src.p = slurp(argv[3], &src.len);

	if (!strcmp(mode, "entry")) {
		static const char data[64];
		struct code empty = { "function e(d, n, nb) end", 24, 0 };

		rt = new_state();
		run_chunk(rt, &empty, "t");
		for (long i = 0; i < n; i++)
			call_entry(rt, "e", data, sizeof(data));
		luaulp_rt_destroy(rt);
	} else if (!strcmp(mode, "source")) {
		for (long i = 0; i < n; i++) {
			rt = new_state();
			run_chunk(rt, &src, "t");
			luaulp_rt_destroy(rt);
		}
	} else if (!strcmp(mode, "undump")) {
		compile_to(&src, &bin);
		for (long i = 0; i < n; i++) {
			rt = new_state();
			run_chunk(rt, &bin, "b");
			luaulp_rt_destroy(rt);
		}
	} else if (!strcmp(mode, "request") && argc == 5) {
		rt = new_state();
		run_chunk(rt, &src, "t");
		for (long i = 0; i < n; i++)
			call_entry(rt, argv[4], request, sizeof(request) - 1);
		luaulp_rt_destroy(rt);
	} else if (!strcmp(mode, "mem")) {
		const char *name = strrchr(argv[3], '/') ? strrchr(argv[3], '/') + 1 : argv[3];

		rt = new_state();
		printf("@row\trt-mem\t%s\tfresh\t0\tbytes\t%zu\n", name, held(rt));
		run_chunk(rt, &src, "t");
		printf("@row\trt-mem\t%s\tsource\t0\tbytes\t%zu\n", name, held(rt));
		luaulp_rt_destroy(rt);
		for (strip = 0; strip <= 1; strip++) {
			bin.len = 0;
			compile_to(&src, &bin);
			rt = new_state();
			run_chunk(rt, &bin, "b");
			printf("@row\trt-mem\t%s\t%s\t0\tbytes\t%zu\n", name,
			       strip ? "code-stripped" : "code", held(rt));
			printf("@row\trt-mem\t%s\t%s-size\t0\tbytes\t%zu\n", name,
			       strip ? "code-stripped" : "code", bin.len);
			luaulp_rt_destroy(rt);
		}
	} else {
		fprintf(stderr, "rt_cost: unknown mode %s\n", mode);
		return 2;
	}
	free(src.p);
	free(bin.p);
	return 0;
}
