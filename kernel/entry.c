// SPDX-License-Identifier: GPL-2.0
/*
 * The one runner into a socket's entry functions: push the bytes, call the
 * entry under the runtime's budget, turn its result into a verdict, apply the
 * on-error policy, account the call.
 *
 * Context: process context, ctx->lock held, socket lock not held.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/mm.h>
#include <linux/ratelimit.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/tcp.h>

#include "lua.h"
#include "lauxlib.h"

#include "luaulp.h"
#include "runtime.h"

/* The value of luaulp.RESET: a light userdata only we can make. */
const char luaulp_reset_token;

struct entry_call {
	const char *name;
	const char *data;
	size_t len;
	bool nonblock;
};

/* Protected: every allocation (the data string) may raise. */
static int entry_call(lua_State *L)
{
	struct entry_call *c = lua_touserdata(L, 1);

	if (lua_getglobal(L, c->name) != LUA_TFUNCTION)
		return luaL_error(L, "entry '%s' is not a function", c->name);
	lua_pushlstring(L, c->data, c->len);
	lua_pushinteger(L, c->len);
	lua_pushboolean(L, c->nonblock);
	lua_call(L, 3, 1);
	return 1;
}

void luaulp_reset(struct sock *sk)
{
	/* Takes the socket lock itself: sends the RST, moves to CLOSE, and
	 * reports ECONNRESET to the application. */
	tcp_abort(sk, ECONNRESET);
}

static void log_error(struct luaulp_sock *ctx, const char *msg)
{
	struct sock *sk = ctx->sk;

	if (sk->sk_family == AF_INET6)
		pr_warn_ratelimited("[%pI6c]:%u -> [%pI6c]:%u: %s\n",
				    &sk->sk_v6_rcv_saddr, sk->sk_num,
				    &sk->sk_v6_daddr, ntohs(sk->sk_dport), msg);
	else
		pr_warn_ratelimited("%pI4:%u -> %pI4:%u: %s\n",
				    &sk->sk_rcv_saddr, sk->sk_num,
				    &sk->sk_daddr, ntohs(sk->sk_dport), msg);
}

static enum luaulp_verdict entry_failed(struct luaulp_sock *ctx, int err,
					const char *msg)
{
	ctx->stats.errors++;
	if (err == -ETIME)
		ctx->stats.budget_hits++;
	else if (err == -ENOMEM)
		ctx->stats.memory_hits++;
	strscpy(ctx->error, msg, sizeof(ctx->error));
	log_error(ctx, msg);
	if (ctx->onerror == LUAULP_ONERROR_RESET) {
		ctx->stats.resets++;
		return LUAULP_RESET;
	}
	return LUAULP_PASS;
}

enum luaulp_verdict luaulp_entry_run(struct luaulp_sock *ctx, bool send,
				     const char *data, size_t len,
				     bool nonblock, char **out, size_t *outlen)
{
	struct entry_call c = {
		.name = send ? ctx->send_entry : ctx->entry,
		.data = data,
		.len = len,
		.nonblock = nonblock,
	};
	enum luaulp_verdict v;
	const char *s;
	lua_State *L;
	size_t n;
	int err;

	if (send) {
		ctx->stats.send_calls++;
		ctx->stats.bytes_out += len;
	} else {
		ctx->stats.recv_calls++;
		ctx->stats.bytes_in += len;
	}

	if (!ctx->rt)
		return entry_failed(ctx, -EINVAL, "entry set but no script loaded");
	L = luaulp_rt_lua(ctx->rt);
	/* No allocation before the protected call: a light C function and a
	 * light userdata fit in the stack Lua guarantees. */
	lua_pushcfunction(L, entry_call);
	lua_pushlightuserdata(L, &c);
	err = luaulp_rt_pcall(ctx->rt, 1, 1);
	if (err)
		return entry_failed(ctx, err, luaulp_rt_error(ctx->rt));

	switch (lua_type(L, -1)) {
	case LUA_TNIL:
		v = LUAULP_PASS;
		break;
	case LUA_TBOOLEAN:
		if (lua_toboolean(L, -1)) {
			ctx->stats.discards++;
			v = LUAULP_DROP;
		} else {
			v = LUAULP_PASS;
		}
		break;
	case LUA_TSTRING:
		s = lua_tolstring(L, -1, &n);
		*out = kvmalloc(n ? n : 1, GFP_KERNEL | __GFP_NOWARN);
		if (!*out) {
			lua_pop(L, 1);
			return entry_failed(ctx, -ENOMEM,
					    "no memory for the replacement");
		}
		memcpy(*out, s, n);
		*outlen = n;
		ctx->stats.replacements++;
		v = LUAULP_REPLACE;
		break;
	case LUA_TLIGHTUSERDATA:
		if (lua_touserdata(L, -1) == &luaulp_reset_token) {
			ctx->stats.resets++;
			v = LUAULP_RESET;
			break;
		}
		fallthrough;
	default:
		lua_pop(L, 1);
		return entry_failed(ctx, -EINVAL,
				    "entry returned no verdict (nil, boolean, string or luaulp.RESET)");
	}
	lua_pop(L, 1);
	return v;
}
