// SPDX-License-Identifier: GPL-2.0
/*
 * A stand-in of the kernel's luaulp table for the user-space runtime (same
 * fields, no-op send and log, a store that keeps nothing), so a script's
 * state has the size and the code paths it has in the kernel.  Used by
 * script_mem and rt_cost.
 */
#include "lauxlib.h"
#include "lua.h"
#include "rt_stub.h"

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

int bench_luaulp_table(lua_State *L)
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

