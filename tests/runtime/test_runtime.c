// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the runtime's C API (kernel/runtime.h) in user space, built
 * with ASan and UBSan.  The Lua-visible semantics are in cases.txt, run by
 * caserun; this covers what a script cannot see: byte accounting, limits
 * per state, the pcall API, states surviving their errors, and the
 * process-wide byte counter returning to zero.
 *
 * Output is TAP.  Exit status 1 if a test failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua.h"
#include "lauxlib.h"
#include "runtime.h"
#include "runtime_host.h"
#include "simsock.h"

/* Lua's internals, to check that a frozen state stays untouched. */
#include "lgc.h"
#include "lobject.h"
#include "lstate.h"

static int ntest, nfail;

#define CHECK(cond, ...) do {						\
	ntest++;							\
	if (cond) {							\
		printf("ok %d - ", ntest);				\
	} else {							\
		nfail++;						\
		printf("not ok %d - ", ntest);				\
	}								\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	if (!(cond))							\
		printf("#   at %s:%d: %s\n", __FILE__, __LINE__, #cond);	\
} while (0)

static int exec(struct luaulp_rt *rt, const char *src, char *res, size_t rlen)
{
	return luaulp_rt_exec(rt, src, strlen(src), "=t", res, rlen);
}

static void test_lifecycle(void)
{
	struct luaulp_rt *rt, *rt2;
	long base = luaulp_rt_live_bytes();
	char res[64];
	int err;

	CHECK(base == 0, "no bytes live before the first state (%ld)", base);
	err = luaulp_rt_create(&rt, NULL);
	CHECK(err == 0 && rt, "create a state");
	CHECK(luaulp_rt_memory(rt) > 1000 && luaulp_rt_memory(rt) < 64 * 1024,
	      "a fresh state holds %zu bytes", luaulp_rt_memory(rt));
	printf("# bytes of a fresh state: %zu\n", luaulp_rt_memory(rt));
	CHECK((long)luaulp_rt_memory(rt) == luaulp_rt_live_bytes(),
	      "live bytes count the state");
	CHECK(luaulp_rt_memory_max(rt) == LUAULP_RT_HOST_MEM_MAX,
	      "default memory limit");
	CHECK(!strcmp(luaulp_rt_error(rt), ""), "no error yet");

	err = luaulp_rt_create(&rt2, NULL);
	CHECK(err == 0, "a second state");
	CHECK(luaulp_rt_live_bytes() ==
	      (long)(luaulp_rt_memory(rt) + luaulp_rt_memory(rt2)),
	      "live bytes add up over states");
	exec(rt, "x = 1", NULL, 0);
	err = exec(rt2, "return x", res, sizeof(res));
	CHECK(err == 0 && !strcmp(res, "nil"), "states do not share globals");
	luaulp_rt_destroy(rt2);
	luaulp_rt_destroy(rt);
	luaulp_rt_destroy(NULL);
	CHECK(luaulp_rt_live_bytes() == base, "live bytes back to %ld: %ld",
	      base, luaulp_rt_live_bytes());
}

static void test_exec(void)
{
	struct luaulp_rt *rt;
	char res[8];
	char big[256];
	int err;

	luaulp_rt_create(&rt, NULL);
	err = exec(rt, "return 1, 'two', nil", big, sizeof(big));
	CHECK(err == 0 && !strcmp(big, "1\ttwo\tnil"), "results tab-separated");
	err = exec(rt, "return 'abcdefghijkl'", res, sizeof(res));
	CHECK(err == 0 && !strcmp(res, "abcdefg"), "result truncated: '%s'", res);
	err = exec(rt, "return 1", NULL, 0);
	CHECK(err == 0, "no result buffer");
	err = exec(rt, "return", big, sizeof(big));
	CHECK(err == 0 && big[0] == '\0', "no results: empty");
	err = luaulp_rt_exec(rt, "return 1 + 1garbage", 12, "=t", big, sizeof(big));
	CHECK(err == 0 && !strcmp(big, "2"), "length, not NUL, ends the source");
	err = exec(rt, "return +", big, sizeof(big));
	CHECK(err == -EINVAL && big[0] == '\0', "syntax error: -EINVAL, no result");
	CHECK(strstr(luaulp_rt_error(rt), "t:1:") != NULL,
	      "chunk name in the message: %s", luaulp_rt_error(rt));
	err = luaulp_rt_exec(rt, "\033Lua\x53", 5, "=t", NULL, 0);
	CHECK(err == -EINVAL && strstr(luaulp_rt_error(rt), "binary chunk"),
	      "binary chunk refused: %s", luaulp_rt_error(rt));
	err = exec(rt, "return 2", big, sizeof(big));
	CHECK(err == 0 && !strcmp(luaulp_rt_error(rt), ""),
	      "the error is cleared by the next call");
	CHECK(lua_gettop(luaulp_rt_lua(rt)) == 0, "stack left as found");
	luaulp_rt_destroy(rt);
}

static int owner_fn(lua_State *L)
{
	lua_pushstring(L, luaulp_rt_owner(L));
	return 1;
}

static void test_pcall_owner(void)
{
	struct luaulp_rt *rt;
	lua_State *L;
	char res[64];
	int err;

	luaulp_rt_create(&rt, NULL);
	L = luaulp_rt_lua(rt);
	luaulp_rt_set_owner(rt, "socket-1");
	lua_getglobal(L, "luaulp");
	CHECK(lua_istable(L, -1), "global luaulp is a table");
	lua_pushcfunction(L, owner_fn);
	lua_setfield(L, -2, "owner");
	lua_pop(L, 1);
	err = exec(rt, "return luaulp.owner()", res, sizeof(res));
	CHECK(err == 0 && !strcmp(res, "socket-1"), "owner from a C function");

	exec(rt, "function add(a, b) return a + b end "
		 "function loop() while true do end end "
		 "function fail(m) error(m, 0) end", NULL, 0);
	lua_getglobal(L, "add");
	lua_pushinteger(L, 40);
	lua_pushinteger(L, 2);
	err = luaulp_rt_pcall(rt, 2, 1);
	CHECK(err == 0 && lua_tointeger(L, -1) == 42, "pcall returns results");
	lua_pop(L, 1);

	lua_getglobal(L, "fail");
	lua_pushstring(L, "bad");
	err = luaulp_rt_pcall(rt, 1, 1);
	CHECK(err == -EINVAL && !strcmp(luaulp_rt_error(rt), "bad") &&
	      lua_gettop(L) == 0, "pcall error: message kept, stack empty");

	lua_getglobal(L, "loop");
	err = luaulp_rt_pcall(rt, 0, 0);
	CHECK(err == -ETIME && strstr(luaulp_rt_error(rt), "CPU budget"),
	      "pcall of a loop: -ETIME (%s)", luaulp_rt_error(rt));
	lua_getglobal(L, "add");
	lua_pushinteger(L, 1);
	lua_pushinteger(L, 2);
	err = luaulp_rt_pcall(rt, 2, 1);
	CHECK(err == 0 && lua_tointeger(L, -1) == 3,
	      "the next call gets a fresh budget");
	lua_pop(L, 1);
	luaulp_rt_destroy(rt);
}

static void test_limits(void)
{
	struct luaulp_rt_limits lim = { .mem_max = 64 * 1024, .insn_budget = 5000 };
	struct luaulp_rt *rt;
	char res[64];
	int err, i;
	size_t held;

	err = luaulp_rt_create(&rt, &lim);
	CHECK(err == 0 && luaulp_rt_memory_max(rt) == 64 * 1024,
	      "a lower per-state memory limit");
	err = exec(rt, "local s = 0 for i = 1, 1000 do s = s + i end return s",
		   res, sizeof(res));
	CHECK(err == 0 && !strcmp(res, "500500"), "fits the small budget");
	err = exec(rt, "local s = 0 for i = 1, 10000 do s = s + i end return s",
		   res, sizeof(res));
	CHECK(err == -ETIME, "exceeds the small budget");
	err = exec(rt, "local t = {} for i = 1, 100000 do t[i] = i end",
		   NULL, 0);
	CHECK(err == -ENOMEM || err == -ETIME, "small memory limit hit");
	for (i = 0; i < 3; i++) {
		err = exec(rt, "local s = 'x' while true do s = s .. s end", NULL, 0);
		CHECK(err == -ENOMEM, "memory bomb %d: -ENOMEM (%s)", i,
		      luaulp_rt_error(rt));
		CHECK(luaulp_rt_memory(rt) <= luaulp_rt_memory_max(rt),
		      "never above the limit: %zu", luaulp_rt_memory(rt));
	}
	exec(rt, "collectgarbage()", NULL, 0);
	held = luaulp_rt_memory(rt);
	CHECK(luaulp_rt_set_memory_max(rt, held / 2) == -EINVAL,
	      "limit below what the state holds: -EINVAL");
	CHECK(luaulp_rt_set_memory_max(rt, 1 << 20) == -EINVAL,
	      "limit cannot be raised");
	CHECK(luaulp_rt_set_memory_max(rt, held + 8192) == 0,
	      "limit lowered to %zu", held + 8192);
	err = exec(rt, "return #('x'):rep(16384)", res, sizeof(res));
	CHECK(err == -ENOMEM, "the lowered limit applies");
	err = exec(rt, "return 'still alive'", res, sizeof(res));
	CHECK(err == 0 && !strcmp(res, "still alive"), "the state survives");
	luaulp_rt_destroy(rt);

	lim.mem_max = 1ul << 40;
	lim.insn_budget = 0;
	luaulp_rt_create(&rt, &lim);
	CHECK(luaulp_rt_memory_max(rt) == LUAULP_RT_HOST_MEM_MAX,
	      "a per-state limit above the default is capped");
	luaulp_rt_destroy(rt);

	lim.mem_max = 2048;
	err = luaulp_rt_create(&rt, &lim);
	CHECK(err == -ENOMEM && rt == NULL, "too small to open the libraries");
	CHECK(luaulp_rt_live_bytes() == 0, "nothing leaked by the failure");
}

/* Every allocation failing in turn: create and exec fail cleanly. */
static void test_alloc_failures(void)
{
	struct luaulp_rt_limits lim = { 0 };
	struct luaulp_rt *rt;
	int ok = 1, created = 0;
	size_t m;

	for (m = 1024; m < 64 * 1024; m += 512) {
		lim.mem_max = m;
		if (luaulp_rt_create(&rt, &lim)) {
			ok &= rt == NULL;
			continue;
		}
		created++;
		exec(rt, "local t = {} for i = 1, 200 do t[i] = ('x'):rep(i) end "
			 "return table.concat(t)", NULL, 0);
		luaulp_rt_destroy(rt);
		ok &= luaulp_rt_live_bytes() == 0;
	}
	CHECK(ok && created > 0, "limits from 1 KiB to 64 KiB: no leak, no crash");
}

static void to_peer(void *arg, const char *p, size_t len)
{
	(void)arg;
	(void)p;
	(void)len;
}

/*
 * A state too full to hold the chunk (entry.c): the bytes are never lost.
 * Under the pass policy the failed call is counted and the script then gets
 * the bytes in pieces read into the call's own buffer (kernel/recv.c does
 * the same), which pass unchanged when even their strings cannot be made;
 * the reset and close policies end the connection at the first failure.
 * With short_fill, TCP gives less than the chunk was sized for.
 */
static void test_entry_memory(void)
{
	static const char src[] = "function recv(d) return d:upper() end";
	struct luaulp_simsock_cfg cfg = { .to_peer = to_peer };
	struct luaulp_simsock *s;
	const struct luaulp_stats *st;
	char in[4096], out[8192];
	size_t lens[] = { sizeof(in), 16 };
	int onerror, i;
	ssize_t n, got;

	memset(in, 'a', sizeof(in));
	for (i = 0; i < 2; i++) {
		for (onerror = 0; onerror < 3; onerror++) {
			struct luaulp_rt *rt;

			if (luaulp_simsock_create(&s, &cfg))
				abort();
			rt = luaulp_simsock_rt(s);
			luaulp_simsock_load(s, src, sizeof(src) - 1, "=t");
			luaulp_simsock_set_entries(s, "recv", NULL);
			luaulp_simsock_set_onerror(s, onerror);
			lua_gc(luaulp_rt_lua(rt), LUA_GCCOLLECT, 0);
			luaulp_rt_set_memory_max(rt, luaulp_rt_memory(rt) + 8);
			luaulp_simsock_peer(s, in, lens[i], false);
			got = 0;
			while ((n = luaulp_simsock_read(s, out + got,
							sizeof(out) - got, 0)) > 0)
				got += n;
			if (got)
				n = got;
			st = luaulp_simsock_stats(s);
			if (onerror == LUAULP_ONERROR_PASS)
				CHECK(n == (ssize_t)lens[i] && !memcmp(in, out, n) &&
				      st->memory_hits >= 1,
				      "%zu bytes the state cannot hold pass unchanged under the pass policy (%zd, %llu failed calls)",
				      lens[i], n, (unsigned long long)st->memory_hits);
			else if (onerror == LUAULP_ONERROR_RESET)
				CHECK(n == -ECONNRESET && st->memory_hits == 1,
				      "... reset under the reset policy (%zd)", n);
			else
				CHECK(n == 0 && luaulp_simsock_was_closed(s),
				      "... end of stream under the close policy (%zd)", n);
			CHECK(lua_gettop(luaulp_rt_lua(rt)) == 0,
			      "the state's stack is balanced");
			luaulp_simsock_destroy(s);
		}
	}
}

/* TCP giving less than the chunk was sized for: the string is made again
 * to the bytes' length; every byte arrives, in order, scripted. */
static void test_short_fill(void)
{
	static const char src[] = "function recv(d) return d:upper() end";
	struct luaulp_simsock_cfg cfg = { .to_peer = to_peer, .short_fill = true };
	struct luaulp_simsock *s;
	char in[10000], out[10000], want[10000];
	ssize_t n, got = 0;

	for (size_t i = 0; i < sizeof(in); i++) {
		in[i] = 'a' + i % 26;
		want[i] = 'A' + i % 26;
	}
	if (luaulp_simsock_create(&s, &cfg))
		abort();
	luaulp_simsock_load(s, src, sizeof(src) - 1, "=t");
	luaulp_simsock_set_entries(s, "recv", NULL);
	luaulp_simsock_peer(s, in, sizeof(in), true);
	while ((n = luaulp_simsock_read(s, out + got, sizeof(out) - got, 0)) > 0)
		got += n;
	CHECK(got == (ssize_t)sizeof(in) && !memcmp(out, want, got) &&
	      luaulp_simsock_stats(s)->recv_calls > 1,
	      "short reads from TCP: %zd bytes scripted in %llu calls", got,
	      (unsigned long long)luaulp_simsock_stats(s)->recv_calls);
	CHECK(lua_gettop(luaulp_rt_lua(luaulp_simsock_rt(s))) == 0,
	      "the state's stack is balanced");
	luaulp_simsock_destroy(s);
}

/* A fingerprint of every object of a frozen state: address, mark bits,
 * and for prototypes their closure cache (which must stay empty). */
static unsigned long long frozen_print(struct luaulp_rt *code, int *count)
{
	global_State *g = G(luaulp_rt_lua(code));
	unsigned long long h = 1469598103934665603ull;
	GCObject *o;

	*count = 0;
	for (o = g->fixedgc; o; o = o->next) {
		h = (h ^ (unsigned long long)(size_t)o) * 1099511628211ull;
		h = (h ^ o->marked) * 1099511628211ull;
		if (o->tt == LUA_TPROTO)
			h = (h ^ (unsigned long long)(size_t)gco2p(o)->cache) *
			    1099511628211ull;
		(*count)++;
	}
	return g->allgc ? 0 : h;
}

/*
 * Code shared between states (a registered script's, patches/08): many
 * states run one frozen chunk, each with its own globals, strings that
 * compare equal to its constants, its own collector -- and the frozen
 * state is never written.
 */
static void test_shared_code(void)
{
	static const char src[] =
		"local n = 0\n"
		"t = { abc = 1 }\n"
		"function f(x)\n"
		"  n = n + 1\n"
		"  local k = ('ab'):rep(1) .. x\n"
		"  local g = function() return n end\n"
		"  t[k .. n] = string.rep('y', 100)\n"
		"  collectgarbage()\n"
		"  return t[k] ~= nil, g(), getmetatable('').__index == string,\n"
		"    #('%s'):format(k), setmetatable({}, { __index = t }).abc\n"
		"end\n"
		"return 'loaded'\n";
	struct luaulp_rt *code, *rt[8], *copy;
	unsigned long long before, after;
	size_t shared_mem, copy_mem;
	char res[128];
	int i, n1, n2, ok;

	/* (CHECK evaluates its condition twice) */
	ok = luaulp_rt_create(&code, NULL) == 0 &&
	     luaulp_rt_compile(code, src, sizeof(src) - 1, "=shared") == 0;
	CHECK(ok, "compile a chunk to share");
	luaulp_rt_freeze(code);
	before = frozen_print(code, &n1);
	CHECK(before && n1 > 50, "frozen: %d objects, all fixed", n1);
	ok = 1;
	for (i = 0; i < 8; i++) {
		ok &= luaulp_rt_create_shared(&rt[i], NULL, code) == 0;
		ok &= luaulp_rt_run_code(rt[i]) == 0;
	}
	CHECK(ok, "8 states run the shared chunk");
	for (i = 0; i < 8; i++) {
		char want[64];

		for (int j = 0; j <= i; j++)
			exec(rt[i], "return f('c')", res, sizeof(res));
		snprintf(want, sizeof(want), "true\t%d\ttrue\t3\t1", i + 1);
		ok &= !strcmp(res, want);
	}
	CHECK(ok, "constants, strings made at run time and metamethods agree; "
	      "each state has its own upvalues (%s)", res);
	exec(rt[3], "return n, f('c')", res, sizeof(res));
	CHECK(!strncmp(res, "nil\ttrue\t5\t", 11), "... and its own count: %s", res);
	shared_mem = luaulp_rt_memory(rt[0]);
	luaulp_rt_create(&copy, NULL);
	exec(copy, src, NULL, 0);
	copy_mem = luaulp_rt_memory(copy);
	CHECK(shared_mem + 1000 < copy_mem,
	      "a sharing state holds %zu bytes, a copy %zu", shared_mem, copy_mem);
	printf("# shared: %zu bytes, copy: %zu bytes, frozen: %zu bytes\n",
	       shared_mem, copy_mem, luaulp_rt_memory(code));
	luaulp_rt_destroy(copy);
	for (i = 0; i < 8; i++)
		luaulp_rt_destroy(rt[i]);
	after = frozen_print(code, &n2);
	CHECK(after == before && n2 == n1,
	      "the frozen state was never written (%d objects)", n2);
	luaulp_rt_destroy(code);
	CHECK(luaulp_rt_live_bytes() == 0, "nothing leaked");
}

int main(void)
{
	test_lifecycle();
	test_exec();
	test_pcall_owner();
	test_limits();
	test_alloc_failures();
	test_entry_memory();
	test_short_fill();
	test_shared_code();
	CHECK(luaulp_rt_live_bytes() == 0, "live bytes zero at exit: %ld",
	      luaulp_rt_live_bytes());
	printf("1..%d\n", ntest);
	return nfail ? 1 : 0;
}
