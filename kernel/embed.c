// SPDX-License-Identifier: GPL-2.0
/*
 * The module as the embedder of the shared script code (script.h): a real
 * socket behind luaulp.send, luaulp.log and luaulp.socket and behind a
 * failing entry; what the RESET and CLOSE verdicts do to the socket; and
 * the lock of the socket's Lua state.
 *
 * Context: process context.  The luaulp_emb_*() functions run from Lua with
 * ctx->lock held.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ratelimit.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <net/tcp.h>

#include "luaulp.h"
#include "script.h"

/* "addr:port -> addr:port" of the socket, as copied at attach. */
static void sock_addrs(const struct luaulp_sock *ctx, char *buf, size_t size)
{
	if (ctx->family == AF_INET6)
		snprintf(buf, size, "[%pI6c]:%u -> [%pI6c]:%u", &ctx->saddr,
			 ctx->sport, &ctx->daddr, ntohs(ctx->dport));
	else
		snprintf(buf, size, "%pI4:%u -> %pI4:%u", &ctx->saddr,
			 ctx->sport, &ctx->daddr, ntohs(ctx->dport));
}

/* Failing entries, all sockets together. */
static DEFINE_RATELIMIT_STATE(luaulp_error_rs, DEFAULT_RATELIMIT_INTERVAL,
			      DEFAULT_RATELIMIT_BURST);

void luaulp_emb_error(void *owner, const char *msg)
{
	struct luaulp_sock *ctx = owner;
	char addrs[128];

	strscpy(ctx->error, msg, sizeof(ctx->error));
	if (!__ratelimit(&luaulp_error_rs))
		return;
	sock_addrs(ctx, addrs, sizeof(addrs));
	pr_warn("%s: %s\n", addrs, msg);
}

int luaulp_emb_send(void *owner, const char *p, size_t len)
{
	return luaulp_send_from_script(owner, p, len);
}

/* Module-wide: one socket gets at most its own burst, so it cannot use up
 * this one alone. */
static DEFINE_RATELIMIT_STATE(luaulp_log_all, 5 * HZ, 20 * LUAULP_LOG_BURST);

bool luaulp_emb_log_allowed(void *owner)
{
	struct luaulp_sock *ctx = owner;

	return __ratelimit(&ctx->log_rs) && __ratelimit(&luaulp_log_all);
}

void luaulp_emb_log(void *owner, const char *line)
{
	char addrs[128];

	sock_addrs(owner, addrs, sizeof(addrs));
	pr_info("%s: %s\n", addrs, line);
}

void luaulp_emb_sockinfo(void *owner, struct luaulp_sockinfo *si)
{
	struct luaulp_sock *ctx = owner;

	si->inet6 = ctx->family == AF_INET6;
	if (si->inet6) {
		snprintf(si->local_addr, sizeof(si->local_addr), "%pI6c",
			 &ctx->saddr);
		snprintf(si->remote_addr, sizeof(si->remote_addr), "%pI6c",
			 &ctx->daddr);
	} else {
		snprintf(si->local_addr, sizeof(si->local_addr), "%pI4",
			 &ctx->saddr);
		snprintf(si->remote_addr, sizeof(si->remote_addr), "%pI4",
			 &ctx->daddr);
	}
	si->local_port = ctx->sport;
	si->remote_port = ntohs(ctx->dport);
}

long long luaulp_emb_epoch(void)
{
	return ktime_get_real_seconds();
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
	smp_mb__after_atomic();
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
