// SPDX-License-Identifier: GPL-2.0
/*
 * The TCP Upper Layer Protocol "lua": attach, per-family proto copies, close.
 *
 * Attaching replaces sk->sk_prot with our copy of the socket's own proto, in
 * which only the methods luaulp needs are overridden; everything else is the
 * original.  One copy per address family, built once from the family's
 * plain TCP proto and proto_ops, and never rebuilt: a socket whose sk_prot
 * or ops are anything else (a sockmap'd socket runs tcp_bpf_prots, another
 * module may have swapped them) is refused with EOPNOTSUPP, since our copy
 * would silently drop that layer.  For AF_INET the plain ones are the
 * exported tcp_prot and inet_stream_ops.  tcpv6_prot and inet6_stream_ops
 * are not exported: they are learnt from a kernel socket of our own
 * (sock_create_kern, AF_INET6/SOCK_STREAM/IPPROTO_TCP always gets them) at
 * module load; IPv6 is built in on both Debian kernels (CONFIG_IPV6=y), and
 * where it is a module loaded later, the first IPv6 attach learns them the
 * same way (the ipv6 module cannot be unloaded, so they stay valid).  An
 * AF_INET6 socket keeps tcpv6_prot even when v4-mapped, and IPV6_ADDRFORM
 * refuses a socket whose proto is not tcpv6_prot, so the family is a sound
 * key.  Each socket also remembers its own original proto and forwards to
 * it.
 */
#include <linux/module.h>
#include <linux/version.h>
#include <linux/slab.h>
#include <linux/termios.h>
#include <net/inet_common.h>
#include <net/net_namespace.h>
#include <net/tcp.h>

#include "luaulp.h"
#include "runtime.h"

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
#define HAVE_LUAULP_SENDPAGE
/* Before 6.5, proto->ioctl wrote its answer to user space itself. */
#define HAVE_LUAULP_USER_IOCTL
#endif

enum {
	LUAULP_V4,
	LUAULP_V6,
	LUAULP_NFAMILIES,
};

static struct proto luaulp_prots[LUAULP_NFAMILIES];
static struct proto_ops luaulp_ops[LUAULP_NFAMILIES];
static DEFINE_MUTEX(luaulp_prot_mutex);

/*
 * Process context, socket lock not held (called from sock_common_setsockopt).
 */
static int luaulp_setsockopt(struct sock *sk, int level, int optname,
			     sockptr_t optval, unsigned int optlen)
{
	struct luaulp_sock *ctx = luaulp_sk(sk);

	if (level != SOL_LUA)
		return ctx->orig_prot->setsockopt(sk, level, optname, optval,
						  optlen);
	return luaulp_sockopt_set(sk, optname, optval, optlen);
}

static int luaulp_getsockopt(struct sock *sk, int level, int optname,
			     char __user *optval, int __user *optlen)
{
	struct luaulp_sock *ctx = luaulp_sk(sk);

	if (level == SOL_TCP && optname == TCP_ZEROCOPY_RECEIVE &&
	    READ_ONCE(ctx->entry[0]))
		return -EOPNOTSUPP;	/* would bypass the receive entry */
	if (level != SOL_LUA)
		return ctx->orig_prot->getsockopt(sk, level, optname, optval,
						  optlen);
	return luaulp_sockopt_get(sk, optname, optval, optlen);
}

static void luaulp_ctx_free_rcu(struct rcu_head *head)
{
	kfree(container_of(head, struct luaulp_sock, rcu));
}

/*
 * FIONREAD/SIOCINQ count the verdict output waiting to be read on top of
 * TCP's queue (bytes the script has not seen yet: what it will make of them
 * is not known); SIOCOUTQ/SIOCOUTQNSD count the script output waiting for
 * send-buffer space on top of TCP's.  Process context.
 */
static size_t luaulp_ioctl_extra(struct luaulp_sock *ctx, int cmd)
{
	switch (cmd) {
	case SIOCINQ:
		return luaulp_rx_pending(ctx);
	case SIOCOUTQ:
	case SIOCOUTQNSD:
		return READ_ONCE(ctx->tx_queued);
	default:
		return 0;
	}
}

#ifdef HAVE_LUAULP_USER_IOCTL
static int luaulp_ioctl(struct sock *sk, int cmd, unsigned long arg)
{
	struct luaulp_sock *ctx = luaulp_sk(sk);
	int __user *p = (int __user *)arg;
	size_t extra = luaulp_ioctl_extra(ctx, cmd);
	int err, val;

	err = ctx->orig_prot->ioctl(sk, cmd, arg);
	if (err || !extra)
		return err;
	if (get_user(val, p))
		return -EFAULT;
	val = min_t(size_t, (size_t)val + extra, INT_MAX);
	return put_user(val, p);
}
#else
static int luaulp_ioctl(struct sock *sk, int cmd, int *karg)
{
	struct luaulp_sock *ctx = luaulp_sk(sk);
	int err;

	err = ctx->orig_prot->ioctl(sk, cmd, karg);
	if (!err)
		*karg = min_t(size_t, (size_t)*karg +
			      luaulp_ioctl_extra(ctx, cmd), INT_MAX);
	return err;
}
#endif

/*
 * connect(AF_UNSPEC), and shutdown() of a socket still connecting: the
 * script's state belongs to this connection (its peer's bytes, its
 * luaulp.socket), so a scripted socket is not disconnected for reuse.
 * Socket lock held.
 */
static int luaulp_disconnect(struct sock *sk, int flags)
{
	return -EOPNOTSUPP;
}

/*
 * Process context (inet_release), socket lock not held.  The Lua state is
 * closed here rather than in .release, which may run in softirq when an
 * orphaned socket is finally destroyed.  Script output still queued goes
 * to TCP first, so the FIN of TCP's close follows it.
 */
static void luaulp_close(struct sock *sk, long timeout)
{
	struct luaulp_sock *ctx;
	struct proto *orig;

	lock_sock(sk);
	ctx = luaulp_sk(sk);
	orig = ctx->orig_prot;
	sk->sk_write_space = ctx->orig_write_space;
	release_sock(sk);
	/* No new work can be queued now (sk_write_space is TCP's). */
	cancel_work_sync(&ctx->tx_work);
	luaulp_tx_close(ctx);

	lock_sock(sk);
	WRITE_ONCE(sk->sk_prot, orig);
	if (sk->sk_socket)
		WRITE_ONCE(sk->sk_socket->ops, ctx->orig_ops);
	/* Readers of icsk_ulp_data outside the socket lock (inet_diag's
	 * get_info) run under RCU: they see the context or NULL. */
	write_lock_bh(&sk->sk_callback_lock);
	rcu_assign_pointer(inet_csk(sk)->icsk_ulp_data, NULL);
	write_unlock_bh(&sk->sk_callback_lock);
	release_sock(sk);

	luaulp_registry_del_sock(ctx);
	/* No one else can reach ctx now: the last file reference is gone. */
	if (ctx->rt)
		luaulp_rt_destroy(ctx->rt);
	/* The code the state shared may go now. */
	luaulp_registry_put(ctx->code_script);
	luaulp_rx_free(ctx);
	mutex_destroy(&ctx->lock);
	call_rcu(&ctx->rcu, luaulp_ctx_free_rcu);

	orig->close(sk, timeout);
}

static void luaulp_build_proto(struct proto *prot, const struct proto *base)
{
	*prot = *base;
	prot->setsockopt = luaulp_setsockopt;
	prot->getsockopt = luaulp_getsockopt;
	prot->recvmsg = luaulp_recvmsg;
	prot->sendmsg = luaulp_sendmsg;
	prot->close = luaulp_close;
	prot->ioctl = luaulp_ioctl;
	prot->disconnect = luaulp_disconnect;
	prot->sock_is_readable = luaulp_sock_is_readable;
	prot->stream_memory_free = luaulp_stream_memory_free;
}

/*
 * The socket-layer methods that read around sk_prot->recvmsg: without
 * splice_read, splice() falls back to read_iter, i.e. our recvmsg; without
 * mmap there is no zero-copy receive.  read_sock serves in-kernel readers
 * only (which attach their own ULP or psock and so never meet ours).
 */
static void luaulp_build_ops(struct proto_ops *ops,
			     const struct proto_ops *base)
{
	*ops = *base;
	ops->splice_read = NULL;
	ops->mmap = sock_no_mmap;
	/* A FIN goes after the script output still queued (send.c). */
	ops->shutdown = luaulp_shutdown_op;
#ifdef HAVE_LUAULP_SENDPAGE
	/* Before 6.5, splice() into a socket used sendpage, around
	 * sendmsg; sock_no_sendpage sends through kernel_sendmsg instead. */
	ops->sendpage = sock_no_sendpage;
#endif
}

/* The plain TCP proto and ops of each family (acquire/release; NULL until
 * known), from which our copies were built. */
static struct proto *luaulp_plain_prot[LUAULP_NFAMILIES];
static const struct proto_ops *luaulp_plain_ops[LUAULP_NFAMILIES];

/* Build FAM's copies from its plain proto and ops; luaulp_prot_mutex held. */
static void luaulp_publish(int fam, struct proto *prot,
			   const struct proto_ops *ops)
{
	luaulp_build_proto(&luaulp_prots[fam], prot);
	luaulp_build_ops(&luaulp_ops[fam], ops);
	/* Pairs with the acquires in luaulp_proto_for: whoever sees the
	 * plain proto also sees the built copies and the plain ops. */
	smp_store_release(&luaulp_plain_ops[fam], ops);
	smp_store_release(&luaulp_plain_prot[fam], prot);
}

/*
 * Learn the plain protos: process context, may sleep.  Called at module
 * load, and from .init (socket lock of an IPv6 socket held: the kernel
 * socket made here has a lockdep class of its own) if IPv6 was not there
 * then.  Returns 0 or the error of sock_create_kern.
 */
static int luaulp_learn_protos(void)
{
	struct socket *sock;
	int err = 0;

	mutex_lock(&luaulp_prot_mutex);
	if (!luaulp_plain_prot[LUAULP_V4])
		luaulp_publish(LUAULP_V4, &tcp_prot, &inet_stream_ops);
	if (!luaulp_plain_prot[LUAULP_V6]) {
		err = sock_create_kern(&init_net, AF_INET6, SOCK_STREAM,
				       IPPROTO_TCP, &sock);
		if (!err) {
			luaulp_publish(LUAULP_V6, sock->sk->sk_prot, sock->ops);
			sock_release(sock);
		}
	}
	mutex_unlock(&luaulp_prot_mutex);
	return err;
}

/*
 * Our proto and ops for SK, or -EOPNOTSUPP if SK's are not its family's
 * plain TCP ones.  Process context, socket lock held.
 */
static int luaulp_proto_for(struct sock *sk, struct proto **prot,
			    const struct proto_ops **ops)
{
	int fam = sk->sk_family == AF_INET6 ? LUAULP_V6 : LUAULP_V4;
	/* Pairs with the releases in luaulp_publish. */
	struct proto *plain = smp_load_acquire(&luaulp_plain_prot[fam]);

	if (unlikely(!plain)) {
		if (luaulp_learn_protos())
			return -EOPNOTSUPP;
		plain = smp_load_acquire(&luaulp_plain_prot[fam]);
	}
	if (READ_ONCE(sk->sk_prot) != plain ||
	    READ_ONCE(sk->sk_socket->ops) != smp_load_acquire(&luaulp_plain_ops[fam]))
		return -EOPNOTSUPP;
	*prot = &luaulp_prots[fam];
	*ops = &luaulp_ops[fam];
	return 0;
}

/*
 * .init: process context, socket lock held (tcp_set_ulp from
 * do_tcp_setsockopt).  The core already refused a second ULP (EEXIST) and a
 * listening socket (ENOTCONN, since we have no .clone).
 */
static int luaulp_init(struct sock *sk)
{
	const struct proto_ops *ops;
	struct luaulp_sock *ctx;
	struct proto *prot;
	int err;

	/*
	 * Connected, or on its way there: a non-blocking connect() (SYN-SENT),
	 * or a TCP Fast Open child that accept() returns before the handshake
	 * completes (SYN-RECV), its SYN's data already queued: that data is
	 * read through recvmsg like any other, so it goes through the entry.
	 * A socket the peer already reset (CLOSE) is refused: the shim's fail
	 * policy decides about it.
	 */
	if (!((1 << sk->sk_state) &
	      (TCPF_ESTABLISHED | TCPF_SYN_SENT | TCPF_SYN_RECV |
	       TCPF_CLOSE_WAIT)))
		return -ENOTCONN;
	if (sk->sk_family != AF_INET && sk->sk_family != AF_INET6)
		return -EAFNOSUPPORT;
	/* Kernel sockets without a struct socket are not ours to script. */
	if (!sk->sk_socket)
		return -EINVAL;

	/* Only on the family's plain TCP: see the top of this file. */
	err = luaulp_proto_for(sk, &prot, &ops);
	if (err)
		return err;

	/* Charged to the attaching task's memory cgroup, like the state. */
	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	ctx->sk = sk;
	ctx->orig_prot = READ_ONCE(sk->sk_prot);
	ctx->orig_ops = READ_ONCE(sk->sk_socket->ops);
	ctx->onerror = LUAULP_ONERROR_PASS;
	ctx->ino = sock_i_ino(sk);
	/* Shown as the owner until a script is loaded: then the loader's
	 * (luaulp_sock_claim), which also owns the store. */
	ctx->uid = current_euid();
	spin_lock_init(&ctx->names_lock);
	ratelimit_state_init(&ctx->log_rs, 5 * HZ, LUAULP_LOG_BURST);
	/* For the socket dump, which must not touch the socket: a connected
	 * or connecting socket keeps its addresses. */
	ctx->family = sk->sk_family;
	ctx->sport = sk->sk_num;
	ctx->dport = sk->sk_dport;
	if (sk->sk_family == AF_INET6) {
		ctx->saddr = sk->sk_v6_rcv_saddr;
		ctx->daddr = sk->sk_v6_daddr;
	} else {
		memcpy(&ctx->saddr, &sk->sk_rcv_saddr, 4);
		memcpy(&ctx->daddr, &sk->sk_daddr, 4);
	}
	mutex_init(&ctx->lock);
	luaulp_rx_init(ctx);
	luaulp_tx_init(ctx);

	write_lock_bh(&sk->sk_callback_lock);
	rcu_assign_pointer(inet_csk(sk)->icsk_ulp_data, ctx);
	write_unlock_bh(&sk->sk_callback_lock);
	/* Socket lock held: softirq cannot be in sk_write_space now. */
	ctx->orig_write_space = sk->sk_write_space;
	sk->sk_write_space = luaulp_write_space;
	WRITE_ONCE(sk->sk_prot, prot);
	WRITE_ONCE(sk->sk_socket->ops, ops);
	luaulp_registry_add_sock(ctx);
	return 0;
}

static struct tcp_ulp_ops luaulp_ulp_ops __read_mostly = {
	.name		= "lua",
	.owner		= THIS_MODULE,
	.init		= luaulp_init,
};

int luaulp_ulp_register(void)
{
	/* Without IPv6 now, IPv6 attaches retry (and are refused until it
	 * is there). */
	luaulp_learn_protos();
	return tcp_register_ulp(&luaulp_ulp_ops);
}

/* Only reached once no socket pins the module any more. */
void luaulp_ulp_unregister(void)
{
	tcp_unregister_ulp(&luaulp_ulp_ops);
	/* Contexts are freed by RCU callbacks in this module's text. */
	rcu_barrier();
}
