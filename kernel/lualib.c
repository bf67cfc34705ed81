// SPDX-License-Identifier: GPL-2.0
/*
 * The "luaulp" table of a socket's state: what scripts can do besides
 * returning a verdict.
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
 * Context: called by Lua inside an entry or a loaded chunk, ctx->lock held,
 * process context.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/ratelimit.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <net/sock.h>

#include "lua.h"
#include "lauxlib.h"

#include "luaulp.h"
#include "runtime.h"

static struct luaulp_sock *ctx_of(lua_State *L)
{
	return luaulp_rt_owner(L);
}

static int l_send(lua_State *L)
{
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);
	int n = luaulp_send_from_script(ctx_of(L), s, len);

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

/* Module-wide: one socket gets at most its own burst, so it cannot use up
 * this one alone. */
static DEFINE_RATELIMIT_STATE(luaulp_log_all, 5 * HZ, 20 * LUAULP_LOG_BURST);

/* Escape S into BUF (LUAULP_LOG_MAX * 4 + 1 bytes): printable ASCII as it
 * is, anything else and backslash as \xNN; "..." when cut. */
static void log_escape(char *buf, const char *s, size_t len)
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
		strcpy(buf + o - min_t(size_t, o, 3), "...");
}

static int l_log(lua_State *L)
{
	struct luaulp_sock *ctx = ctx_of(L);
	struct sock *sk = ctx->sk;
	char buf[LUAULP_LOG_MAX * 4 + 1];
	size_t len;
	const char *msg = luaL_checklstring(L, 1, &len);

	if (!__ratelimit(&ctx->log_rs) || !__ratelimit(&luaulp_log_all))
		return 0;
	log_escape(buf, msg, len);
	if (sk->sk_family == AF_INET6)
		pr_info("[%pI6c]:%u -> [%pI6c]:%u: %s\n",
			&sk->sk_v6_rcv_saddr, sk->sk_num,
			&sk->sk_v6_daddr, ntohs(sk->sk_dport), buf);
	else
		pr_info("%pI4:%u -> %pI4:%u: %s\n",
			&sk->sk_rcv_saddr, sk->sk_num,
			&sk->sk_daddr, ntohs(sk->sk_dport), buf);
	return 0;
}

static int l_time(lua_State *L)
{
	lua_pushinteger(L, ktime_get_real_seconds());
	return 1;
}

static int l_clock(lua_State *L)
{
	lua_pushinteger(L, ktime_get_ns() / NSEC_PER_MSEC);
	return 1;
}

static void set_addr(lua_State *L, const char *field, struct sock *sk,
		     bool local)
{
	char buf[64];

	if (sk->sk_family == AF_INET6)
		snprintf(buf, sizeof(buf), "%pI6c",
			 local ? &sk->sk_v6_rcv_saddr : &sk->sk_v6_daddr);
	else
		snprintf(buf, sizeof(buf), "%pI4",
			 local ? &sk->sk_rcv_saddr : &sk->sk_daddr);
	lua_pushstring(L, buf);
	lua_setfield(L, -2, field);
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
	struct sock *sk = ctx_of(L)->sk;

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
	lua_pushstring(L, sk->sk_family == AF_INET6 ? "inet6" : "inet");
	lua_setfield(L, -2, "family");
	set_addr(L, "local_addr", sk, true);
	lua_pushinteger(L, sk->sk_num);
	lua_setfield(L, -2, "local_port");
	set_addr(L, "remote_addr", sk, false);
	lua_pushinteger(L, ntohs(sk->sk_dport));
	lua_setfield(L, -2, "remote_port");
	lua_setfield(L, -2, "socket");
	return luaulp_store_open(L);
}

int luaulp_lib_open(struct luaulp_sock *ctx)
{
	lua_State *L = luaulp_rt_lua(ctx->rt);

	lua_pushcfunction(L, lib_open);
	return luaulp_rt_pcall(ctx->rt, 0, 0);
}
