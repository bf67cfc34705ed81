// SPDX-License-Identifier: GPL-2.0
/*
 * The send path of a scripted socket.
 *
 * The application's bytes are copied in chunks of up to LUAULP_CHUNK_MAX and
 * given to the send entry; its verdict decides what TCP sends.  The chunk
 * counts as sent once the script has seen it, so the script never sees a
 * byte twice: its output is therefore written in full, waiting for send
 * buffer space if it must (bounded by SO_SNDTIMEO, interrupted by signals),
 * even on a non-blocking socket.  A non-blocking caller with no send buffer
 * space at all gets EAGAIN before the script runs, so in practice it rarely
 * waits.
 *
 * Context: process context, no lock held on entry.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "luaulp.h"

#ifdef MSG_SPLICE_PAGES
#define LUAULP_MSG_SPLICE_PAGES MSG_SPLICE_PAGES
#else
#define LUAULP_MSG_SPLICE_PAGES 0
#endif

/* Send a kernel buffer in full (unless FLAGS has MSG_DONTWAIT). */
static int send_kernel(struct luaulp_sock *ctx, const char *p, size_t len,
		       int flags)
{
	struct msghdr kmsg = { .msg_flags = flags };
	struct kvec kv = { .iov_base = (void *)p, .iov_len = len };

	if (!len)
		return 0;
	iov_iter_kvec(&kmsg.msg_iter, ITER_SOURCE, &kv, 1, len);
	return ctx->orig_prot->sendmsg(ctx->sk, &kmsg, len);
}

/* luaulp.send(): never waits (MSG_DONTWAIT); may send less than asked. */
int luaulp_send_from_script(struct luaulp_sock *ctx, const char *p, size_t len)
{
	int n = send_kernel(ctx, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n > 0)
		ctx->stats.kernel_sent += n;
	return n;
}

int luaulp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	struct luaulp_sock *ctx = luaulp_sk(sk);
	/* Our kernel buffer is neither user memory to pin (MSG_ZEROCOPY) nor
	 * pages to splice. */
	int flags = msg->msg_flags & ~(MSG_DONTWAIT | MSG_ZEROCOPY |
				       LUAULP_MSG_SPLICE_PAGES);
	enum luaulp_verdict v;
	size_t done = 0;
	char *buf;
	int err = 0;

	if (!READ_ONCE(ctx->send_entry[0]) || (msg->msg_flags & MSG_OOB))
		return ctx->orig_prot->sendmsg(sk, msg, size);
	if (!size)
		return 0;
	if ((msg->msg_flags & MSG_DONTWAIT) && !sk_stream_memory_free(sk))
		return -EAGAIN;

	buf = kvmalloc(min_t(size_t, size, LUAULP_CHUNK_MAX),
		       GFP_KERNEL | __GFP_NOWARN);
	if (!buf)
		return -ENOMEM;

	while (done < size) {
		size_t n = min_t(size_t, size - done, LUAULP_CHUNK_MAX);
		char *out = NULL;
		size_t outlen = 0;
		int sent;

		if (copy_from_iter(buf, n, &msg->msg_iter) != n) {
			err = -EFAULT;
			break;
		}
		mutex_lock(&ctx->lock);
		v = luaulp_entry_run(ctx, true, buf, n,
				     msg->msg_flags & MSG_DONTWAIT,
				     &out, &outlen);
		mutex_unlock(&ctx->lock);

		if (v == LUAULP_RESET) {
			luaulp_reset(sk);
			err = -ECONNRESET;
			break;
		}
		if (v == LUAULP_PASS)
			sent = send_kernel(ctx, buf, n, flags);
		else if (v == LUAULP_REPLACE)
			sent = send_kernel(ctx, out, outlen, flags);
		else
			sent = 0;
		kvfree(out);
		if (sent < 0) {
			err = sent;
			break;
		}
		/* Short only on a signal or SO_SNDTIMEO: the chunk was
		 * seen by the script, so it counts as consumed. */
		done += n;
		if (v != LUAULP_DROP &&
		    sent < (int)(v == LUAULP_PASS ? n : outlen))
			break;
	}
	kvfree(buf);
	return done ? done : err;
}
