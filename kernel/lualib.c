// SPDX-License-Identifier: GPL-2.0
/*
 * The "luaulp" table of a socket's state: what scripts can do besides
 * returning a verdict.  Shared by luaulp.ko and `luaulp run` (script.h);
 * what a call means for the socket is the embedder's (luaulp_emb_*).
 *
 *   luaulp.PASS, luaulp.DROP, luaulp.RESET, luaulp.CLOSE
 *                         verdicts (false, true, tokens)
 *   luaulp.send(s)        send s to the peer from the kernel, after all
 *                         that was written before; never waits, never
 *                         lost: returns #s, or nil and an error (ENOBUFS
 *                         past the 256 KiB queue, EPIPE once closing)
 *   luaulp.log(s)         log s with the socket's addresses: at most
 *                         LUAULP_LOG_BURST lines per 5 s per socket (and
 *                         a module-wide ceiling, so that many sockets cannot
 *                         flood the log either); bytes outside printable
 *                         ASCII, and '\\', are written as \xNN; at most
 *                         LUAULP_LOG_MAX bytes of the message
 *   luaulp.time()         seconds since the epoch
 *   luaulp.clock()        milliseconds of a monotonic clock
 *   luaulp.socket         { family = "inet"|"inet6", local_addr, local_port,
 *                           remote_addr, remote_port }
 *   luaulp.store          the shared store (store.c)
 *
 * Context: called by Lua inside an entry or a loaded chunk, the state
 * serialised by the caller, process context.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#else
#include <errno.h>
#include <string.h>
#endif

#include "lua.h"
#include "lauxlib.h"

#include "runtime_priv.h"
#include "script.h"

static void *owner_of(lua_State *L)
{
	return luaulp_rt_owner(L);
}

static int l_send(lua_State *L)
{
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);
	int n = luaulp_emb_send(owner_of(L), s, len);

	if (n < 0) {
		lua_pushnil(L);
		switch (n) {
		case -ENOBUFS:
			lua_pushliteral(L, "ENOBUFS (send queue full)");
			break;
		case -EPIPE:
			lua_pushliteral(L, "EPIPE (connection closing)");
			break;
		case -ENOMEM:
			lua_pushliteral(L, "ENOMEM");
			break;
		default:
			lua_pushfstring(L, "error %d", -n);
		}
		return 2;
	}
	lua_pushinteger(L, n);
	return 1;
}

void luaulp_log_escape(char *buf, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < len && i < LUAULP_LOG_MAX; i++) {
		unsigned char c = s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			buf[o++] = c;
			continue;
		}
		buf[o++] = '\\';
		buf[o++] = 'x';
		buf[o++] = hex[c >> 4];
		buf[o++] = hex[c & 15];
	}
	buf[o] = '\0';
	if (i < len)
		strcpy(buf + o - (o < 3 ? o : 3), "...");
}

static int l_log(lua_State *L)
{
	char buf[LUAULP_LOG_MAX * 4 + 1];
	size_t len;
	const char *msg = luaL_checklstring(L, 1, &len);

	if (!luaulp_emb_log_allowed(owner_of(L)))
		return 0;
	luaulp_log_escape(buf, msg, len);
	luaulp_emb_log(owner_of(L), buf);
	return 0;
}

static int l_time(lua_State *L)
{
	lua_pushinteger(L, luaulp_emb_epoch());
	return 1;
}

static int l_clock(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)(luaulp_plat_now_ns() / 1000000));
	return 1;
}

/* Protected: called through luaulp_rt_pcall. */
static int lib_open(lua_State *L)
{
	static const luaL_Reg funcs[] = {
		{ "send", l_send },
		{ "log", l_log },
		{ "time", l_time },
		{ "clock", l_clock },
		{ NULL, NULL }
	};
	struct luaulp_sockinfo si;

	memset(&si, 0, sizeof(si));
	luaulp_emb_sockinfo(owner_of(L), &si);
	if (lua_getglobal(L, "luaulp") != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setglobal(L, "luaulp");
	}
	luaL_setfuncs(L, funcs, 0);
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "PASS");
	lua_pushboolean(L, 1);
	lua_setfield(L, -2, "DROP");
	lua_pushlightuserdata(L, (void *)&luaulp_reset_token);
	lua_setfield(L, -2, "RESET");
	lua_pushlightuserdata(L, (void *)&luaulp_close_token);
	lua_setfield(L, -2, "CLOSE");

	lua_createtable(L, 0, 5);
	lua_pushstring(L, si.inet6 ? "inet6" : "inet");
	lua_setfield(L, -2, "family");
	lua_pushstring(L, si.local_addr);
	lua_setfield(L, -2, "local_addr");
	lua_pushinteger(L, si.local_port);
	lua_setfield(L, -2, "local_port");
	lua_pushstring(L, si.remote_addr);
	lua_setfield(L, -2, "remote_addr");
	lua_pushinteger(L, si.remote_port);
	lua_setfield(L, -2, "remote_port");
	lua_setfield(L, -2, "socket");
	return luaulp_store_open(L);
}

int luaulp_lib_open(struct luaulp_rt *rt)
{
	lua_pushcfunction(luaulp_rt_lua(rt), lib_open);
	return luaulp_rt_pcall(rt, 0, 0);
}
