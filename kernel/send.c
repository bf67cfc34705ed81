// SPDX-License-Identifier: GPL-2.0
/*
 * The send path of a scripted socket.
 *
 * The application's bytes are copied, a chunk of up to LUAULP_CHUNK_MAX at a
 * time, straight into the Lua string the send entry gets (entry.c); its
 * verdict decides what TCP sends.  A chunk counts as written once its output is
 * TCP's or queued here, so write() returns exactly what the script saw and
 * no output is ever lost: SO_SNDTIMEO and signals end a call between
 * chunks, never inside one.
 *
 * Output TCP cannot take yet (its send buffer is full) waits in a
 * per-socket queue, together with what scripts send with luaulp.send().
 * The queue goes out before anything newer; while it holds bytes the socket
 * is not writable (no POLLOUT, sk_stream_memory_free is false), SIOCOUTQ
 * counts them, and the kernel flushes it by itself as send-buffer space
 * frees up (sk_write_space -> tx_work), before the FIN of a shutdown() and
 * at close().  One chunk's output at most is queued from the application's
 * data (a new chunk is taken only once the queue is empty), and script
 * sends are capped at LUAULP_TXQ_MAX.
 *
 * TCP is only ever written without waiting; the waiting is done here
 * (sk_stream_wait_memory), with SO_SNDTIMEO counted across the whole call.
 * A non-blocking caller never sleeps: not for send-buffer space, not on our
 * serialisation, not on the Lua state.
 *
 * MSG_OOB is refused (EOPNOTSUPP) while a send entry is set, as on receive;
 * so is MSG_ZEROCOPY on a socket with SO_ZEROCOPY (its pages would never
 * reach TCP, so no completion could be honest).  Without SO_ZEROCOPY TCP
 * ignores the flag, and so do we.
 *
 * Context: process context, no lock held on entry, except
 * luaulp_write_space (softirq, socket spinlock held) and
 * luaulp_stream_memory_free (any).  Order: TX_BUSY -> ctx->lock -> sk_lock;
 * under ctx->lock TX_BUSY is only ever tried, never waited for.
 */
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "luaulp.h"

#ifdef MSG_SPLICE_PAGES
#define LUAULP_MSG_SPLICE_PAGES MSG_SPLICE_PAGES
#else
#define LUAULP_MSG_SPLICE_PAGES 0
#endif

static void tx_work_fn(struct work_struct *work);

void luaulp_tx_init(struct luaulp_sock *ctx)
{
	init_waitqueue_head(&ctx->tx_wait);
	spin_lock_init(&ctx->tx_qlock);
	INIT_LIST_HEAD(&ctx->tx_queue);
	INIT_WORK(&ctx->tx_work, tx_work_fn);
}

/* Hand a kernel buffer to TCP without waiting.  Bytes taken or -errno. */
static int send_kernel(struct luaulp_sock *ctx, const char *p, size_t len,
		       int flags)
{
	struct msghdr kmsg = {
		.msg_flags = flags | MSG_DONTWAIT | MSG_NOSIGNAL,
	};
	struct kvec kv = { .iov_base = (void *)p, .iov_len = len };

	if (!len)
		return 0;
	iov_iter_kvec(&kmsg.msg_iter, ITER_SOURCE, &kv, 1, len);
	return ctx->orig_prot->sendmsg(ctx->sk, &kmsg, len);
}

/* TCP's own view of send-buffer space, without our queue. */
static bool tcp_memory_free(struct luaulp_sock *ctx)
{
	struct sock *sk = ctx->sk;

	if (READ_ONCE(sk->sk_wmem_queued) >= READ_ONCE(sk->sk_sndbuf))
		return false;
	return !ctx->orig_prot->stream_memory_free ||
	       ctx->orig_prot->stream_memory_free(sk, 0);
}

/*
 * sk_prot->stream_memory_free: not writable while script output waits,
 * except for the owner of the queue, which is the one writing it to TCP.
 * Any context, lockless.
 */
bool luaulp_stream_memory_free(const struct sock *sk, int wake)
{
	struct luaulp_sock *ctx = luaulp_sk(sk);

	if (READ_ONCE(ctx->tx_queued) &&
	    !(in_task() && READ_ONCE(ctx->tx_owner) == current))
		return false;
	return !ctx->orig_prot->stream_memory_free ||
	       ctx->orig_prot->stream_memory_free(sk, wake);
}

/* Wake writers waiting for POLLOUT (TCP's own sk_write_space decides). */
void luaulp_tx_wake(struct luaulp_sock *ctx)
{
	ctx->orig_write_space(ctx->sk);
}

/*
 * sk->sk_write_space: softirq (or process context), socket spinlock or
 * lock held.  Send-buffer space freed up: flush the queue first, from
 * process context; only then are the application's writers woken.
 */
void luaulp_write_space(struct sock *sk)
{
	struct luaulp_sock *ctx = luaulp_sk(sk);
	struct socket_wq *wq;

	if (!READ_ONCE(ctx->tx_queued) &&
	    !(test_bit(LUAULP_F_FIN, &ctx->flags) &&
	      !test_bit(LUAULP_F_FIN_SENT, &ctx->flags))) {
		ctx->orig_write_space(sk);
		return;
	}
	schedule_work(&ctx->tx_work);
	/* A sender owning the queue may sleep in sk_stream_wait_memory for
	 * this space (TCP's own sk_write_space would not wake it: to
	 * everyone else the socket is not writable yet). */
	if (test_bit(LUAULP_F_TX_BUSY, &ctx->flags)) {
		rcu_read_lock();
		wq = rcu_dereference(sk->sk_wq);
		if (skwq_has_sleeper(wq))
			wake_up_interruptible_poll(&wq->wait, EPOLLOUT |
						   EPOLLWRNORM | EPOLLWRBAND);
		rcu_read_unlock();
	}
}

/* Queue LEN bytes of output after what is queued.  Process context. */
static int tx_append(struct luaulp_sock *ctx, const char *p, size_t len)
{
	struct luaulp_tx_seg *seg;

	seg = kvmalloc(struct_size(seg, data, len),
		       GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!seg)
		return -ENOMEM;
	seg->len = len;
	seg->off = 0;
	memcpy(seg->data, p, len);
	spin_lock(&ctx->tx_qlock);
	list_add_tail(&seg->node, &ctx->tx_queue);
	WRITE_ONCE(ctx->tx_queued, ctx->tx_queued + len);
	spin_unlock(&ctx->tx_qlock);
	set_bit(LUAULP_F_TX_WAKE, &ctx->flags);
	return 0;
}

static void tx_purge(struct luaulp_sock *ctx)
{
	struct luaulp_tx_seg *seg, *tmp;
	LIST_HEAD(dead);

	spin_lock(&ctx->tx_qlock);
	list_splice_init(&ctx->tx_queue, &dead);
	WRITE_ONCE(ctx->tx_queued, 0);
	spin_unlock(&ctx->tx_qlock);
	list_for_each_entry_safe(seg, tmp, &dead, node)
		kvfree(seg);
}

/*
 * Write the queue to TCP, oldest first, without waiting; TX_BUSY held.
 * 0 once it is empty, -EAGAIN when TCP is full, or TCP's error (the
 * connection is gone: the queue is dropped).
 */
static int tx_push(struct luaulp_sock *ctx)
{
	struct luaulp_tx_seg *seg;
	bool whole;
	int n;

	for (;;) {
		spin_lock(&ctx->tx_qlock);
		seg = list_first_entry_or_null(&ctx->tx_queue,
					       struct luaulp_tx_seg, node);
		spin_unlock(&ctx->tx_qlock);
		if (!seg)
			return 0;
		/* Only the owner takes from the head: SEG stays ours. */
		n = send_kernel(ctx, seg->data + seg->off, seg->len - seg->off,
				0);
		if (n < 0 && n != -EAGAIN) {
			tx_purge(ctx);
			return n;
		}
		if (n < 0)
			n = 0;
		spin_lock(&ctx->tx_qlock);
		seg->off += n;
		WRITE_ONCE(ctx->tx_queued, ctx->tx_queued - n);
		whole = seg->off == seg->len;
		if (whole)
			list_del(&seg->node);
		spin_unlock(&ctx->tx_qlock);
		if (!whole)
			return -EAGAIN;
		kvfree(seg);
	}
}

/* The FIN a shutdown() or a graceful close asked for, once the queue has
 * drained.  Process context, no lock held. */
static void tx_send_fin(struct luaulp_sock *ctx)
{
	struct sock *sk = ctx->sk;

	if (test_and_set_bit(LUAULP_F_FIN_SENT, &ctx->flags))
		return;
	lock_sock(sk);
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | SEND_SHUTDOWN);
	ctx->orig_prot->shutdown(sk, SEND_SHUTDOWN);
	sk->sk_state_change(sk);
	release_sock(sk);
}

/* Own the queue and the send side, as rx_lock does the receive side. */
static int tx_lock(struct luaulp_sock *ctx, bool nonblock, long *timeo)
{
	long left;

	if (test_and_set_bit_lock(LUAULP_F_TX_BUSY, &ctx->flags)) {
		if (nonblock) {
			/* Woken when the owner is done with the queue; it
			 * may have let go before it could see the bit. */
			set_bit(LUAULP_F_TX_WAKE, &ctx->flags);
			smp_mb__after_atomic();
			if (test_and_set_bit_lock(LUAULP_F_TX_BUSY, &ctx->flags))
				return -EAGAIN;
			WRITE_ONCE(ctx->tx_owner, current);
			return 0;
		}
		left = wait_event_interruptible_timeout(ctx->tx_wait,
			!test_and_set_bit_lock(LUAULP_F_TX_BUSY, &ctx->flags),
			*timeo);
		if (left < 0)
			return sock_intr_errno(*timeo);
		if (!left)
			return -EAGAIN;
		*timeo = left;
	}
	WRITE_ONCE(ctx->tx_owner, current);
	return 0;
}

static bool tx_trylock(struct luaulp_sock *ctx)
{
	if (test_and_set_bit_lock(LUAULP_F_TX_BUSY, &ctx->flags))
		return false;
	WRITE_ONCE(ctx->tx_owner, current);
	return true;
}

static void tx_unlock(struct luaulp_sock *ctx)
{
	struct sock *sk = ctx->sk;

	if (!READ_ONCE(ctx->tx_queued) && test_bit(LUAULP_F_FIN, &ctx->flags))
		tx_send_fin(ctx);
	WRITE_ONCE(ctx->tx_owner, NULL);
	clear_bit_unlock(LUAULP_F_TX_BUSY, &ctx->flags);
	/* Pairs with the barrier in luaulp_send_from_script between an
	 * append and its second try of TX_BUSY. */
	smp_mb__after_atomic();
	if (waitqueue_active(&ctx->tx_wait))
		wake_up_interruptible(&ctx->tx_wait);

	if (READ_ONCE(ctx->tx_queued)) {
		/* Queued after our last push.  If TCP is full, make sure
		 * its next ACK reaches sk_write_space. */
		if (!tcp_memory_free(ctx) && sk->sk_socket) {
			set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
			smp_mb__after_atomic();
		}
		/* (Not while connecting: TCP refuses until established, and
		 * the application's first write pushes it then.) */
		if (tcp_memory_free(ctx) &&
		    ((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)))
			schedule_work(&ctx->tx_work);
	} else if (test_and_clear_bit(LUAULP_F_TX_WAKE, &ctx->flags)) {
		luaulp_tx_wake(ctx);
	}
}

/* Flush the queue from process context (send-buffer space came back). */
static void tx_work_fn(struct work_struct *work)
{
	struct luaulp_sock *ctx = container_of(work, struct luaulp_sock,
					       tx_work);

	/* A busy owner pushes, and looks again when it lets go. */
	if (!tx_trylock(ctx))
		return;
	tx_push(ctx);
	tx_unlock(ctx);
}

/*
 * Output of one chunk: straight to TCP if nothing is queued before it, the
 * rest queued.  TX_BUSY and ctx->lock held (so no entry can queue
 * meanwhile).
 */
static int tx_output(struct luaulp_sock *ctx, const char *p, size_t len,
		     int flags)
{
	int n;

	if (!READ_ONCE(ctx->tx_queued)) {
		n = send_kernel(ctx, p, len, flags);
		if (n < 0 && n != -EAGAIN)
			return n;
		if (n > 0) {
			p += n;
			len -= n;
		}
		if (!len)
			return 0;
	}
	return tx_append(ctx, p, len);
}

/*
 * luaulp.send(): queued after everything already queued or written, never
 * waits.  Returns LEN, -ENOBUFS past LUAULP_TXQ_MAX, -EPIPE after a FIN
 * was asked for, -ENOMEM.  ctx->lock held (inside an entry or a loaded
 * chunk).
 */
int luaulp_send_from_script(struct luaulp_sock *ctx, const char *p, size_t len)
{
	int err = 0;

	if (!len)
		return 0;
	if (test_bit(LUAULP_F_FIN, &ctx->flags) ||
	    (READ_ONCE(ctx->sk->sk_shutdown) & SEND_SHUTDOWN))
		return -EPIPE;
	if (READ_ONCE(ctx->tx_queued) + len > LUAULP_TXQ_MAX)
		return -ENOBUFS;

	if (READ_ONCE(ctx->tx_owner) == current) {
		/* Inside the send entry: the owner pushes it after. */
		err = tx_append(ctx, p, len);
	} else if (tx_trylock(ctx)) {
		err = tx_output(ctx, p, len, 0);
		if (!err)
			err = tx_push(ctx);
		if (err == -EAGAIN)
			err = 0;
		tx_unlock(ctx);
	} else {
		/* Queue it, then look again: an owner that let go between
		 * our failed try and the append did not see it.  tx_unlock
		 * reads tx_queued after clearing TX_BUSY, we try TX_BUSY
		 * after queueing: one of the two sees the other. */
		err = tx_append(ctx, p, len);
		smp_mb();
		if (!err && tx_trylock(ctx)) {
			err = tx_push(ctx);
			if (err == -EAGAIN)
				err = 0;
			tx_unlock(ctx);
		}
	}
	if (err)
		return err;
	ctx->stats.kernel_sent += len;
	return len;
}

/* Wait for send-buffer space (socket lock taken here). */
static int wait_memory(struct sock *sk, long *timeo)
{
	int err;

	lock_sock(sk);
	err = sk_stream_wait_memory(sk, timeo);
	release_sock(sk);
	return err;
}

/* Wait for the handshake (a send right after a non-blocking connect()),
 * as TCP does; a TFO child may send at once. */
static int wait_connected(struct sock *sk, long *timeo)
{
	int err;

	if (!((1 << sk->sk_state) & ~(TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)) ||
	    tcp_passive_fastopen(sk))
		return 0;
	lock_sock(sk);
	err = sk_stream_wait_connect(sk, timeo);
	release_sock(sk);
	return err;
}

struct tx_fill {
	struct msghdr *msg;
};

/*
 * The entry's FILL (entry.c): the application's bytes straight into the
 * chunk's string.  Inside the protected call, ctx->lock held: the copy
 * must not fault (a fault could hold the state as long as userfaultfd
 * likes), so the pages were faulted in before the lock and are copied here
 * with page faults disabled; if one went away meanwhile, nothing is taken
 * (-EFAULT) and the caller faults in and tries again.
 */
static int tx_fill(void *arg, char *buf, size_t len)
{
	struct tx_fill *f = arg;
	size_t n;

	pagefault_disable();
	n = copy_from_iter(buf, len, &f->msg->msg_iter);
	pagefault_enable();
	if (n == len)
		return len;
	iov_iter_revert(&f->msg->msg_iter, n);
	return -EFAULT;
}

/*
 * One chunk of up to N of the application's bytes through the send entry;
 * TX_BUSY held, queue empty.  Returns the bytes consumed or -errno
 * (nothing consumed); *v is the verdict.
 */
static int send_chunk(struct luaulp_sock *ctx, struct msghdr *msg,
		      size_t n, bool nonblock, int flags,
		      enum luaulp_verdict *v)
{
	struct tx_fill f = { .msg = msg };
	struct luaulp_entry e = {
		.name = ctx->send_entry,
		.send = true,
		.nonblock = nonblock,
		.fill = tx_fill,
		.fill_arg = &f,
	};
	int err, tries;

	for (tries = 0;; tries++) {
		/* Only what can be read without faulting under the lock. */
		size_t bad = fault_in_iov_iter_readable(&msg->msg_iter, n);

		if (bad == n)
			return -EFAULT;
		e.len = n - bad;
		err = luaulp_state_lock(ctx, nonblock, true);
		if (err)
			return err;
		err = luaulp_sock_rt(ctx, NULL);
		if (err) {
			luaulp_state_unlock(ctx);
			return err;
		}
		e.onerror = ctx->onerror;
		err = luaulp_entry_run(ctx->rt, &e, &ctx->stats);
		if (err > 0 && e.verdict == LUAULP_PASS && !e.out &&
		    e.len > sizeof(e.small)) {
			/* No string could hold the chunk (the state is
			 * full): the script gets a piece small enough to be
			 * copied into E first. */
			luaulp_entry_done(ctx->rt);
			e.len = sizeof(e.small);
			err = luaulp_entry_run(ctx->rt, &e, &ctx->stats);
		}
		if (err > 0)
			break;
		luaulp_entry_done(ctx->rt);
		luaulp_state_unlock(ctx);
		/* A page went away after the fault-in: again, a few times. */
		if (err != -EFAULT || tries == 3)
			return err ?: -EFAULT;
	}
	*v = e.verdict;
	err = 0;
	if (e.out)
		err = tx_output(ctx, e.out, e.outlen, flags);
	luaulp_entry_done(ctx->rt);
	luaulp_state_unlock(ctx);
	if (err == -ENOMEM) {
		/* The output can be neither sent nor kept. */
		ctx->stats.errors++;
		ctx->stats.memory_hits++;
		*v = LUAULP_RESET;
		err = 0;
	}
	return err ?: e.filled;
}

int luaulp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	struct luaulp_sock *ctx = luaulp_sk(sk);
	bool entry = READ_ONCE(ctx->send_entry[0]);
	bool nonblock = msg->msg_flags & MSG_DONTWAIT;
	/* Our kernel buffer is not user memory to pin, nor pages to
	 * splice: TCP copies it. */
	int flags = msg->msg_flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL |
				       MSG_ZEROCOPY | LUAULP_MSG_SPLICE_PAGES);
	enum luaulp_verdict v;
	size_t done = 0;
	long timeo;
	int err;

	if (!entry && !READ_ONCE(ctx->tx_queued) &&
	    !test_bit(LUAULP_F_FIN, &ctx->flags))
		return ctx->orig_prot->sendmsg(sk, msg, size);
	if (entry && (msg->msg_flags & MSG_OOB))
		return -EOPNOTSUPP;
	if (entry && (msg->msg_flags & MSG_ZEROCOPY) &&
	    sock_flag(sk, SOCK_ZEROCOPY))
		return -EOPNOTSUPP;

	timeo = sock_sndtimeo(sk, nonblock);
	err = tx_lock(ctx, nonblock, &timeo);
	if (err)
		return err;

	while (done < size) {
		if (test_bit(LUAULP_F_FIN, &ctx->flags) || sk->sk_err ||
		    (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN)) {
			err = -EPIPE;
			break;
		}
		err = wait_connected(sk, &timeo);
		if (err)
			break;
		err = tx_push(ctx);
		if (err && err != -EAGAIN)
			break;
		if (!err && !entry) {
			/* Only script output was in the way. */
			int mflags = msg->msg_flags;
			int n;

			msg->msg_flags |= MSG_DONTWAIT;
			n = ctx->orig_prot->sendmsg(sk, msg, size - done);
			msg->msg_flags = mflags;
			if (n < 0 && n != -EAGAIN) {
				err = n;
				break;
			}
			if (n > 0)
				done += n;
			err = done < size ? -EAGAIN : 0;
		} else if (!err && !tcp_memory_free(ctx)) {
			set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
			err = -EAGAIN;
		} else if (!err) {
			size_t n = min_t(size_t, size - done, LUAULP_CHUNK_MAX);
			int m = flags;

			if (n < size - done)
				m |= MSG_MORE;
			err = send_chunk(ctx, msg, n, nonblock, m, &v);
			if (err < 0)
				break;
			done += err;
			if (v == LUAULP_RESET) {
				/* The chunk that brought it is not sent. */
				done -= err;
				luaulp_reset(ctx);
				/* Reported now, or by the next call. */
				err = done ? 0 : luaulp_reset_error(ctx);
				break;
			}
			if (v == LUAULP_CLOSE) {
				luaulp_close_gracefully(ctx);
				err = 0;
				break;
			}
			/*
			 * Part of the chunk only: the state is full and took
			 * a piece (each piece a call for a few bytes, which
			 * would keep a large write in the kernel for minutes,
			 * where not even SIGKILL reaches it), or a page
			 * faulted.  Or a signal is pending.  Return the count
			 * so far, as TCP does when a signal cuts a write.
			 */
			if ((size_t)err < n || signal_pending(current)) {
				err = 0;
				break;
			}
			err = 0;
			continue;
		}
		if (err != -EAGAIN || done == size)
			continue;
		/* TCP is full (or our queue is waiting for it). */
		if (!timeo)
			break;
		err = wait_memory(sk, &timeo);
		if (err)
			break;
	}
	/* What the last chunk queued (luaulp.send() inside the entry, output
	 * TCP could not take at once) goes now if TCP has room, not later
	 * from the work: the socket is writable again at once. */
	if (done && READ_ONCE(ctx->tx_queued))
		tx_push(ctx);
	tx_unlock(ctx);
	if (done)
		return done;
	if (err == -EPIPE)
		return sk_stream_error(sk, msg->msg_flags, err);
	return err;
}

/*
 * proto_ops->shutdown.  Process context, no lock held.  A FIN goes after
 * the queued script output: with a queue, the send half is shut here
 * (further writes get EPIPE) and TCP's FIN follows the queue's last byte
 * (tx_unlock).  The receive half is TCP's at once.
 */
int luaulp_shutdown_op(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	struct luaulp_sock *ctx = luaulp_sk(sk);

	if (((how + 1) & SEND_SHUTDOWN) && how <= SHUT_RDWR &&
	    READ_ONCE(ctx->tx_queued)) {
		set_bit(LUAULP_F_FIN, &ctx->flags);
		if (tx_trylock(ctx)) {
			tx_push(ctx);
			tx_unlock(ctx);
		}
		if (how == SHUT_WR)
			return 0;
		how = SHUT_RD;
	}
	return ctx->orig_ops->shutdown(sock, how);
}

/* A FIN after the queue, for a graceful close (embed.c). */
void luaulp_tx_fin(struct luaulp_sock *ctx)
{
	set_bit(LUAULP_F_FIN, &ctx->flags);
	if (tx_trylock(ctx)) {
		tx_push(ctx);
		tx_unlock(ctx);
	}
	/* else the owner sends it when it lets go */
}

/*
 * close(): from luaulp_close, process context, no lock held, after
 * sk_write_space was restored and tx_work cancelled; no sender or entry
 * can run any more.  The queue goes to TCP: close() does not wait for the
 * peer (SO_LINGER aside, which TCP's close honours), so what send-buffer
 * space cannot take is given to TCP's write queue beyond the buffer, as
 * bytes the application had written already sit there.  After an
 * SO_LINGER-0 close TCP discards all of it, as it would the application's.
 */
void luaulp_tx_close(struct luaulp_sock *ctx)
{
	struct sock *sk = ctx->sk;
	int err;

	if (READ_ONCE(ctx->tx_queued) &&
	    !(sock_flag(sk, SOCK_LINGER) && !sk->sk_lingertime)) {
		WRITE_ONCE(ctx->tx_owner, current);
		err = tx_push(ctx);
		if (err == -EAGAIN) {
			lock_sock(sk);
			WRITE_ONCE(sk->sk_sndbuf,
				   max_t(int, sk->sk_sndbuf,
					 sk->sk_wmem_queued +
					 2 * ctx->tx_queued + SKB_TRUESIZE(4096)));
			sk->sk_userlocks |= SOCK_SNDBUF_LOCK;
			release_sock(sk);
			err = tx_push(ctx);
		}
		WRITE_ONCE(ctx->tx_owner, NULL);
	}
	if (READ_ONCE(ctx->tx_queued))
		ctx->stats.errors++;
	tx_purge(ctx);
}
