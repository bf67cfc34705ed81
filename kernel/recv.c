// SPDX-License-Identifier: GPL-2.0
/*
 * The receive path of a scripted socket.
 *
 * The original recvmsg reads TCP's bytes straight into the Lua string the
 * entry gets (entry.c), so bytes the script discards never reach the
 * application and the script path copies them once; the entry's verdict
 * decides what is delivered.  Output the caller's buffer cannot take (a
 * long replacement, or everything under MSG_PEEK) stays pending -- a string
 * the state keeps -- and is served first by the next receive, without
 * running the script again.
 *
 * The contract is TCP's: a read returns short, or EAGAIN, only when TCP
 * holds no byte the script has not seen (an nginx-style edge-triggered
 * reader takes a short read as "drained"), so a receive keeps feeding the
 * entry from TCP's queue until the caller's buffer is full or the queue is
 * empty.  To bound one call, it stops after LUAULP_RX_CALLS_MAX entry calls,
 * or after a call that failed (each may last time_max_ms), and then re-arms
 * the reader's readiness (sk_data_ready), as it does when a non-blocking
 * caller found the state busy: a new edge always comes.
 *
 * TCP is only ever read without waiting; the waiting is done here, with the
 * caller's SO_RCVTIMEO counted across the whole call (not restarted per
 * discarded chunk) and signals honoured.  SO_RCVLOWAT keeps TCP's meaning
 * (TCP wakes readers once that many bytes arrived): a blocking read waits
 * for it, then returns what the script made of them.  MSG_DONTWAIT never sleeps on our serialisation: a receiver
 * that finds another one at work gets EAGAIN, as it would find TCP's queue
 * empty behind a reader blocked in TCP.
 *
 * Flags: MSG_PEEK runs the script and keeps its output pending, so a peek
 * shows exactly what the next read returns; MSG_TRUNC consumes the scripted
 * bytes without copying them; MSG_WAITALL fills the buffer (EOF, an error,
 * a signal or the timeout end it early); MSG_ERRQUEUE goes to TCP untouched;
 * MSG_OOB is refused (EOPNOTSUPP) while a receive entry is set: the script
 * must see every byte the application does.
 *
 * Context: process context, no lock held on entry.  Order: RX_BUSY ->
 * ctx->lock -> sk_lock.
 */
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "luaulp.h"
#include "runtime.h"

void luaulp_rx_init(struct luaulp_sock *ctx)
{
	init_waitqueue_head(&ctx->rx_wait);
}

/* Forget the pending output; its string is the state's (KEPT slot), freed
 * with the state or replaced by the next chunk's. */
static void rx_drop_pending(struct luaulp_sock *ctx)
{
	WRITE_ONCE(ctx->pending_len, 0);
	WRITE_ONCE(ctx->pending_off, 0);
	ctx->pending = NULL;
}

void luaulp_rx_free(struct luaulp_sock *ctx)
{
	rx_drop_pending(ctx);
}

/* Lockless (poll, FIONREAD): a reader racing a drop sees 0, not -off. */
size_t luaulp_rx_pending(struct luaulp_sock *ctx)
{
	size_t len = READ_ONCE(ctx->pending_len);
	size_t off = READ_ONCE(ctx->pending_off);

	return len > off ? len - off : 0;
}

/*
 * sk_prot->sock_is_readable, asked by tcp_poll beyond TCP's own queue: the
 * verdict output nobody has read yet, and the end of stream of a graceful
 * close.  Any context; lockless (a stale answer is corrected by the wake-up
 * that follows every change).
 */
bool luaulp_sock_is_readable(struct sock *sk)
{
	struct luaulp_sock *ctx = luaulp_sk(sk);

	if (luaulp_rx_pending(ctx) || test_bit(LUAULP_F_CLOSING, &ctx->flags))
		return true;
	return ctx->orig_prot->sock_is_readable &&
	       ctx->orig_prot->sock_is_readable(sk);
}

/* Give a reader that went away empty-handed a new readiness edge. */
static void rx_rearm(struct luaulp_sock *ctx)
{
	struct sock *sk = ctx->sk;

	sk->sk_data_ready(sk);
}

/*
 * Own the receive side.  Non-blocking: EAGAIN at once if busy (and the
 * owner re-arms the caller's edge when it leaves).  Blocking: wait, counted
 * against *timeo.
 */
static int rx_lock(struct luaulp_sock *ctx, bool nonblock, long *timeo)
{
	long left;

	if (!test_and_set_bit_lock(LUAULP_F_RX_BUSY, &ctx->flags))
		return 0;
	if (nonblock) {
		set_bit(LUAULP_F_RX_REARM, &ctx->flags);
		/* The owner may have left before it could see the bit (the
		 * barrier pairs with its test_and_clear_bit). */
		smp_mb__after_atomic();
		if (test_and_set_bit_lock(LUAULP_F_RX_BUSY, &ctx->flags))
			return -EAGAIN;
		clear_bit(LUAULP_F_RX_REARM, &ctx->flags);
		return 0;
	}
	left = wait_event_interruptible_timeout(ctx->rx_wait,
			!test_and_set_bit_lock(LUAULP_F_RX_BUSY, &ctx->flags),
			*timeo);
	if (left < 0)
		return sock_intr_errno(*timeo);
	if (!left)
		return -EAGAIN;
	*timeo = left;
	return 0;
}

static void rx_unlock(struct luaulp_sock *ctx)
{
	clear_bit_unlock(LUAULP_F_RX_BUSY, &ctx->flags);
	/* (wq_has_sleeper's barrier pairs with the waiter's queueing) */
	if (wq_has_sleeper(&ctx->rx_wait))
		wake_up_interruptible(&ctx->rx_wait);
	if (test_and_clear_bit(LUAULP_F_RX_REARM, &ctx->flags))
		rx_rearm(ctx);
}

/* Serve pending bytes; RX_BUSY held.  Returns bytes copied or -EFAULT.
 * The pending bytes are a string the Lua state keeps (KEPT slot) and
 * never moves: reading them needs no ctx->lock. */
static int serve_pending(struct luaulp_sock *ctx, struct msghdr *msg,
			 size_t len, int flags)
{
	size_t n = min(len, ctx->pending_len - ctx->pending_off);

	if (!(flags & MSG_TRUNC) &&
	    copy_to_iter(ctx->pending + ctx->pending_off, n,
			 &msg->msg_iter) != n)
		return -EFAULT;
	if (!(flags & MSG_PEEK)) {
		WRITE_ONCE(ctx->pending_off, ctx->pending_off + n);
		if (ctx->pending_off == ctx->pending_len) {
			rx_drop_pending(ctx);
			/* Let the state free the string now if it is idle
			 * (else the next chunk replaces it). */
			if (mutex_trylock(&ctx->lock)) {
				if (ctx->rt)
					luaulp_rt_slot_clear(ctx->rt,
							     LUAULP_RT_RX_KEPT);
				luaulp_state_unlock(ctx);
			}
		}
	}
	return n;
}

/* Read what TCP holds, without waiting, into BUF (or, with MSG_TRUNC and no
 * buffer, drop it). */
static int read_tcp(struct luaulp_sock *ctx, char *buf, size_t len, int flags,
		    int *addr_len)
{
	struct msghdr kmsg = {};
	struct kvec kv = { .iov_base = buf, .iov_len = buf ? len : 0 };

	iov_iter_kvec(&kmsg.msg_iter, ITER_DEST, &kv, 1, kv.iov_len);
	return ctx->orig_prot->recvmsg(ctx->sk, &kmsg, len,
				       flags | MSG_DONTWAIT, addr_len);
}

/* Read and drop what TCP holds (after a graceful close or a reset), with
 * TCP's MSG_TRUNC: nothing is copied.  Returns what TCP said when it had no
 * more: 0 (EOF), -EAGAIN or an error (reported once, as TCP does). */
static int discard_input(struct luaulp_sock *ctx, int *addr_len)
{
	int n;

	do {
		n = read_tcp(ctx, NULL, INT_MAX, MSG_TRUNC, addr_len);
	} while (n > 0);
	return n;
}

/*
 * How many bytes TCP holds in order for us, without its lock, to size the
 * chunk's string: an estimate (urgent data and a FIN not yet flagged count
 * one too many), so when TCP gives less, entry.c copies the bytes once more
 * into a string of their length.  As tcp_inq(): nothing before the
 * handshake's numbers are settled.
 */
static size_t tcp_queued(struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	int n;

	if ((1 << READ_ONCE(sk->sk_state)) & (TCPF_SYN_SENT | TCPF_SYN_RECV))
		return 0;
	n = READ_ONCE(tp->rcv_nxt) - READ_ONCE(tp->copied_seq);

	if (n > 0 && sock_flag(sk, SOCK_DONE))
		n--;	/* the FIN's sequence number */
	return n > 0 ? n : 0;
}

/* Established, nothing queued in order, no end of stream, no error: a
 * read would find nothing (lockless, as tcp_poll's own look). */
static bool tcp_idle(struct sock *sk)
{
	return READ_ONCE(sk->sk_state) == TCP_ESTABLISHED &&
	       !(READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN) &&
	       !READ_ONCE(sk->sk_err) && !tcp_queued(sk);
}

struct rx_fill {
	struct luaulp_sock *ctx;
	int *addr_len;
};

/* The entry's FILL (entry.c): TCP's bytes straight into the chunk's
 * string.  Inside the protected call; ctx->lock and RX_BUSY held. */
static int rx_fill(void *arg, char *buf, size_t len)
{
	struct rx_fill *f = arg;

	return read_tcp(f->ctx, buf, len, 0, f->addr_len);
}

/*
 * Read one chunk from TCP (never waiting) and run the entry on it; RX_BUSY
 * held, nothing pending.  Returns 1 with the output pending (none after a
 * discard), 0 at EOF, or a negative errno (-EAGAIN: TCP's queue is empty,
 * or the state is busy and the caller does not wait; -ENOMEM: no state).
 * *FAILED tells whether the entry call failed (the on-error policy made
 * the verdict).
 */
static int fill(struct luaulp_sock *ctx, size_t len, bool nonblock,
		int *addr_len, bool *failed)
{
	struct rx_fill f = { .ctx = ctx, .addr_len = addr_len };
	struct luaulp_entry e = {
		.name = ctx->entry,
		.nonblock = nonblock,
		.fill = rx_fill,
		.fill_arg = &f,
	};
	int err;

	/* TCP plainly holds nothing (the common end of an edge-triggered
	 * reader's loop): no state, no call.  Bytes arriving right after
	 * come with their own wake-up, as on a plain socket. */
	if (tcp_idle(ctx->sk))
		return -EAGAIN;
	/* The state first: what TCP gives us must reach the script now. */
	err = luaulp_state_lock(ctx, nonblock, false);
	if (err)
		return err;
	/* An entry set before any script: its call fails in an empty state,
	 * under the on-error policy, as any failing call. */
	err = luaulp_sock_rt(ctx, NULL);
	if (err) {
		luaulp_state_unlock(ctx);
		return err;
	}
	/* Nothing is pending: the last output's string may go before the
	 * next chunk's is made. */
	luaulp_rt_slot_clear(ctx->rt, LUAULP_RT_RX_KEPT);
	e.onerror = ctx->onerror;
	/* A chunk of what TCP holds, so its string is made to measure; when
	 * it seems to hold nothing, a small one (no allocation to find
	 * EAGAIN). */
	len = clamp_t(size_t, len, 1, LUAULP_CHUNK_MAX);
	e.len = min_t(size_t, len, tcp_queued(ctx->sk) ?: sizeof(e.small));
	err = luaulp_entry_run(ctx->rt, &e, &ctx->stats);
	if (err > 0 && e.verdict == LUAULP_PASS && !e.out) {
		/* No string could hold the chunk (the state is full; the
		 * failure is counted and was the policy's): nothing was
		 * read.  The script gets the bytes in pieces small enough
		 * to be read into E first. */
		luaulp_entry_done(ctx->rt);
		e.len = sizeof(e.small);
		err = luaulp_entry_run(ctx->rt, &e, &ctx->stats);
	}
	if (err <= 0) {
		luaulp_entry_done(ctx->rt);
		luaulp_state_unlock(ctx);
		return err;
	}
	*failed = e.error != NULL;
	if (e.out && (e.verdict == LUAULP_PASS ||
		      e.verdict == LUAULP_REPLACE)) {
		luaulp_entry_keep(ctx->rt, &e);
		if (e.out == e.small) {
			/* A short chunk no string could hold: its bytes are
			 * in E, which goes now. */
			memcpy(ctx->rx_small, e.small, e.outlen);
			e.out = ctx->rx_small;
		}
		ctx->pending = e.out;
		WRITE_ONCE(ctx->pending_off, 0);
		WRITE_ONCE(ctx->pending_len, e.outlen);
	}
	luaulp_entry_done(ctx->rt);
	luaulp_state_unlock(ctx);

	if (e.verdict == LUAULP_RESET)
		luaulp_reset(ctx);
	else if (e.verdict == LUAULP_CLOSE)
		luaulp_close_gracefully(ctx);
	return 1;
}

/* Wait (socket lock taken here) until TCP has something: data, EOF, an
 * error.  Returns 0 or a negative errno; *timeo is what is left. */
static int wait_tcp(struct sock *sk, long *timeo)
{
	int err = 0;

	if (!*timeo)
		return -EAGAIN;
	lock_sock(sk);
	if (!sk->sk_err && !(sk->sk_shutdown & RCV_SHUTDOWN))
		sk_wait_data(sk, timeo, NULL);
	release_sock(sk);
	if (signal_pending(current))
		err = sock_intr_errno(*timeo);
	else if (!*timeo)
		err = -EAGAIN;
	return err;
}

int luaulp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
		   int flags, int *addr_len)
{
	struct luaulp_sock *ctx = luaulp_sk(sk);
	bool nonblock = flags & MSG_DONTWAIT;
	long timeo = sock_rcvtimeo(sk, nonblock);
	size_t copied = 0, target;
	unsigned int calls = 0;
	bool rearm = false, failed = false;
	int err;

	if (flags & MSG_ERRQUEUE)
		return ctx->orig_prot->recvmsg(sk, msg, len, flags, addr_len);
	/* No receive entry (it cannot be unset once set): TCP's own path,
	 * unless a graceful close or a reset already ended the stream. */
	if (!READ_ONCE(ctx->entry[0]) &&
	    !test_bit(LUAULP_F_CLOSING, &ctx->flags))
		return ctx->orig_prot->recvmsg(sk, msg, len, flags, addr_len);
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (len == 0)
		return 0;

	err = rx_lock(ctx, nonblock, &timeo);
	if (err)
		return err;
	target = sock_rcvlowat(sk, flags & MSG_WAITALL, len);

	while (copied < len) {
		if (test_bit(LUAULP_F_CLOSING, &ctx->flags)) {
			/* Graceful close: the application sees end of
			 * stream; what the peer still sends is dropped. */
			if (!copied) {
				rx_drop_pending(ctx);
				discard_input(ctx, addr_len);
			}
			err = 0;
			break;
		}
		if (luaulp_rx_pending(ctx)) {
			err = serve_pending(ctx, msg, len - copied, flags);
			if (err < 0)
				break;
			copied += err;
			err = 0;
			/* A peek shows what is pending and stops there. */
			if (flags & MSG_PEEK)
				break;
			continue;
		}
		if (test_bit(LUAULP_F_RX_RESET, &ctx->flags)) {
			/* Reset verdict: nothing more reaches the
			 * application, which gets ECONNRESET once, then end
			 * of stream, as after a peer's RST. */
			err = 0;
			if (!copied) {
				discard_input(ctx, addr_len);
				err = luaulp_reset_error(ctx);
			}
			break;
		}
		if (calls >= LUAULP_RX_CALLS_MAX || failed) {
			/* Bounded work per call: let the caller go, and
			 * give it a new edge for what TCP still holds.  A
			 * failed entry call (its budget, its memory) ends
			 * the work too: the next chunk would likely cost as
			 * much, up to time_max_ms each, and a caller that
			 * has bytes or may not wait should not pay for it. */
			rearm = true;
			if (copied || nonblock) {
				err = -EAGAIN;
				break;
			}
			calls = 0;
			failed = false;
			cond_resched();
			if (signal_pending(current)) {
				err = sock_intr_errno(timeo);
				break;
			}
		}
		calls++;
		err = fill(ctx, len - copied, nonblock, addr_len, &failed);
		if (err > 0)
			continue;
		if (err == 0)
			break;		/* EOF */
		if (err != -EAGAIN)
			break;
		/* TCP's queue is empty (or the state is busy and we may not
		 * wait for it). */
		if (copied >= target || (copied && (flags & MSG_PEEK)))
			break;
		if (nonblock)
			break;
		err = wait_tcp(sk, &timeo);
		if (err)
			break;
	}
	rx_unlock(ctx);
	if (rearm)
		rx_rearm(ctx);
	/* An error after some bytes shows up on the next call. */
	return copied ? copied : err;
}
