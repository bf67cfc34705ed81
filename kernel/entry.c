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

/* The values of luaulp.RESET and luaulp.CLOSE: light userdata only we
 * can make. */
const char luaulp_reset_token;
const char luaulp_close_token;

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

/*
 * The abortive verdict: RST to the peer, ECONNRESET (once, then end of
 * stream) to the application, and, as TCP's abort does, whatever the
 * application had queued is lost.  Takes the socket lock itself.
 */
void luaulp_reset(struct luaulp_sock *ctx)
{
	set_bit(LUAULP_F_RX_RESET, &ctx->flags);
	tcp_abort(ctx->sk, ECONNRESET);
}

/*
 * What the application's call learns of a reset verdict: ECONNRESET the
 * first time (TCP's pending error is consumed with it, so no later call
 * reports it again, whatever the peer had sent before), 0 after.
 */
int luaulp_reset_error(struct luaulp_sock *ctx)
{
	if (test_and_set_bit(LUAULP_F_RESET_SEEN, &ctx->flags))
		return 0;
	sock_error(ctx->sk);
	return -ECONNRESET;
}

/*
 * The graceful verdict: what the script queued goes out after everything
 * the application already queued, then a FIN; the peer's further input is
 * dropped and the application reads end of stream (and gets EPIPE if it
 * writes).  Process context, no lock needed (the socket lock is taken
 * where TCP needs it).
 */
void luaulp_close_gracefully(struct luaulp_sock *ctx)
{
	struct sock *sk = ctx->sk;

	if (test_and_set_bit(LUAULP_F_CLOSING, &ctx->flags))
		return;
	luaulp_tx_fin(ctx);
	/* Readers see the end of stream now. */
	sk->sk_data_ready(sk);
}

/*
 * Take the Lua state.  A blocking caller waits (interruptibly); a
 * non-blocking one never does: -EAGAIN at once, and its readiness edge is
 * re-armed when the owner lets go, so it comes back.
 */
int luaulp_state_lock(struct luaulp_sock *ctx, bool nonblock, bool send)
{
	if (!nonblock)
		return mutex_lock_interruptible(&ctx->lock) ? -ERESTARTSYS : 0;
	if (mutex_trylock(&ctx->lock))
		return 0;
	set_bit(send ? LUAULP_F_STATE_TX_REARM : LUAULP_F_STATE_RX_REARM,
		&ctx->flags);
	/* The owner may have let go before it could see the bit. */
	return mutex_trylock(&ctx->lock) ? 0 : -EAGAIN;
}

void luaulp_state_unlock(struct luaulp_sock *ctx)
{
	mutex_unlock(&ctx->lock);
	if (test_and_clear_bit(LUAULP_F_STATE_RX_REARM, &ctx->flags))
		ctx->sk->sk_data_ready(ctx->sk);
	if (test_and_clear_bit(LUAULP_F_STATE_TX_REARM, &ctx->flags))
		luaulp_tx_wake(ctx);
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
	switch (ctx->onerror) {
	case LUAULP_ONERROR_RESET:
		ctx->stats.resets++;
		return LUAULP_RESET;
	case LUAULP_ONERROR_CLOSE:
		ctx->stats.closes++;
		return LUAULP_CLOSE;
	default:
		return LUAULP_PASS;
	}
}

enum luaulp_verdict luaulp_entry_run(struct luaulp_sock *ctx, bool send,
				     const char *data, size_t len,
				     bool nonblock, const char **out,
				     size_t *outlen)
{
	struct entry_call c = {
		.name = send ? ctx->send_entry : ctx->entry,
		.data = data,
		.len = len,
		.nonblock = nonblock,
	};
	enum luaulp_verdict v;
	lua_State *L;
	void *token;
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
	if (err) {
		/* Nothing left on the stack: keep luaulp_entry_done's pop
		 * balanced. */
		lua_pushnil(L);
		return entry_failed(ctx, err, luaulp_rt_error(ctx->rt));
	}

	switch (lua_type(L, -1)) {
	case LUA_TNIL:
		return LUAULP_PASS;
	case LUA_TBOOLEAN:
		if (!lua_toboolean(L, -1))
			return LUAULP_PASS;
		ctx->stats.discards++;
		return LUAULP_DROP;
	case LUA_TSTRING:
		/* The string stays on the stack, so it stays alive, until
		 * luaulp_entry_done(): the caller copies it once, where it
		 * goes. */
		*out = lua_tolstring(L, -1, outlen);
		ctx->stats.replacements++;
		return *outlen ? LUAULP_REPLACE : LUAULP_DROP;
	case LUA_TLIGHTUSERDATA:
		token = lua_touserdata(L, -1);
		if (token == &luaulp_reset_token) {
			ctx->stats.resets++;
			return LUAULP_RESET;
		}
		if (token == &luaulp_close_token) {
			ctx->stats.closes++;
			return LUAULP_CLOSE;
		}
		fallthrough;
	default:
		v = entry_failed(ctx, -EINVAL,
				 "entry returned no verdict (nil, boolean, string, luaulp.RESET or luaulp.CLOSE)");
		return v;
	}
}

void luaulp_entry_done(struct luaulp_sock *ctx)
{
	if (ctx->rt)
		lua_pop(luaulp_rt_lua(ctx->rt), 1);
}
