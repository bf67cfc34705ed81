// SPDX-License-Identifier: GPL-2.0
/*
 * The receive path of a scripted socket.
 *
 * The original recvmsg fills a kernel buffer, so bytes the script discards
 * never reach the application; the entry's verdict decides what is
 * delivered.  Output the caller's buffer cannot take (a long replacement, or
 * everything under MSG_PEEK) waits in ctx->pending and is served first by
 * the next receive, without running the script again.
 *
 * Flags: MSG_DONTWAIT as usual (and passed to the entry as "nonblock");
 * MSG_PEEK runs the script and keeps its output pending, so a peek shows
 * exactly what the next read returns; MSG_TRUNC consumes the scripted bytes
 * without copying them; MSG_WAITALL repeats until the buffer is full, EOF,
 * an error or a signal; MSG_ERRQUEUE goes to TCP untouched; MSG_OOB is
 * refused (EOPNOTSUPP): the script must see every byte the application does.
 *
 * Context: process context, no lock held on entry.
 */
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <net/sock.h>

#include "luaulp.h"

void luaulp_recv_free(struct luaulp_sock *ctx)
{
	kvfree(ctx->pending);
	ctx->pending = NULL;
	ctx->pending_len = 0;
	ctx->pending_off = 0;
}

/* Serve pending bytes; recv_lock held.  Returns bytes copied or -EFAULT. */
static int serve_pending(struct luaulp_sock *ctx, struct msghdr *msg,
			 size_t len, int flags)
{
	size_t n = min(len, ctx->pending_len - ctx->pending_off);

	if (!(flags & MSG_TRUNC) &&
	    copy_to_iter(ctx->pending + ctx->pending_off, n,
			 &msg->msg_iter) != n)
		return -EFAULT;
	if (!(flags & MSG_PEEK)) {
		ctx->pending_off += n;
		if (ctx->pending_off == ctx->pending_len)
			luaulp_recv_free(ctx);
	}
	return n;
}

/* Keep DATA (LEN bytes, kvmalloc'd, ownership passes) as pending. */
static void keep_pending(struct luaulp_sock *ctx, char *data, size_t len)
{
	ctx->pending = data;
	ctx->pending_len = len;
	ctx->pending_off = 0;
}

/*
 * Read one chunk from TCP and run the entry on it; recv_lock held, pending
 * empty.  On success the verdict's output is pending (possibly empty after a
 * DROP) and 1 is returned; 0 means EOF; negative is an error.
 */
static int fill(struct luaulp_sock *ctx, size_t len, int flags, int *addr_len)
{
	struct sock *sk = ctx->sk;
	struct msghdr kmsg = {};
	enum luaulp_verdict v;
	char *buf, *out = NULL;
	size_t outlen = 0;
	struct kvec kv;
	int n;

	len = clamp_t(size_t, len, 1, LUAULP_CHUNK_MAX);
	buf = kvmalloc(len, GFP_KERNEL | __GFP_NOWARN);
	if (!buf)
		return -ENOMEM;
	kv.iov_base = buf;
	kv.iov_len = len;
	iov_iter_kvec(&kmsg.msg_iter, ITER_DEST, &kv, 1, len);
	n = ctx->orig_prot->recvmsg(sk, &kmsg, len,
				    flags & ~(MSG_PEEK | MSG_TRUNC | MSG_WAITALL),
				    addr_len);
	if (n <= 0) {
		kvfree(buf);
		return n;
	}

	mutex_lock(&ctx->lock);
	v = luaulp_entry_run(ctx, false, buf, n, flags & MSG_DONTWAIT,
			     &out, &outlen);
	mutex_unlock(&ctx->lock);

	switch (v) {
	case LUAULP_PASS:
		keep_pending(ctx, buf, n);
		return 1;
	case LUAULP_REPLACE:
		kvfree(buf);
		keep_pending(ctx, out, outlen);
		return 1;
	case LUAULP_DROP:
		kvfree(buf);
		return 1;
	case LUAULP_RESET:
	default:
		kvfree(buf);
		luaulp_reset(sk);
		return -ECONNRESET;
	}
}

int luaulp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
		   int flags, int *addr_len)
{
	struct luaulp_sock *ctx = luaulp_sk(sk);
	size_t copied = 0;
	int err = 0;

	if (flags & MSG_ERRQUEUE)
		return ctx->orig_prot->recvmsg(sk, msg, len, flags, addr_len);
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	/* No receive entry (it cannot be unset once set): TCP's own path. */
	if (!READ_ONCE(ctx->entry[0]))
		return ctx->orig_prot->recvmsg(sk, msg, len, flags, addr_len);
	if (len == 0)
		return 0;

	if (mutex_lock_interruptible(&ctx->recv_lock))
		return -ERESTARTSYS;
	while (copied < len) {
		if (ctx->pending) {
			err = serve_pending(ctx, msg, len - copied, flags);
			if (err < 0)
				break;
			copied += err;
			err = 0;
			/* A peek shows what is pending and stops there. */
			if (flags & MSG_PEEK)
				break;
			if (!(flags & MSG_WAITALL))
				break;
			continue;
		}
		err = fill(ctx, len - copied, flags, addr_len);
		if (err <= 0)
			break;		/* EOF or error */
		err = 0;
		if (!ctx->pending) {
			/* Dropped: a non-blocking caller gets EAGAIN. */
			if (flags & MSG_DONTWAIT) {
				err = -EAGAIN;
				break;
			}
			if (signal_pending(current)) {
				err = sock_intr_errno(sock_rcvtimeo(sk, false));
				break;
			}
		}
	}
	mutex_unlock(&ctx->recv_lock);
	/* An error after some bytes shows up on the next call (a reset
	 * socket keeps reporting ECONNRESET). */
	return copied ? copied : err;
}
