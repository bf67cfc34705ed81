// SPDX-License-Identifier: GPL-2.0
/*
 * The TCP Upper Layer Protocol "lua": attach, per-family proto copies, close.
 *
 * Attaching replaces sk->sk_prot with our copy of the socket's own proto, in
 * which only the methods luaulp needs are overridden; everything else is the
 * original.  One copy per address family, rebuilt whenever the base proto's
 * address changes (tcpv6_prot lives in the ipv6 module and is not exported,
 * so it is learnt from the first IPv6 socket).  Each socket also remembers
 * its own original proto and forwards to it, so a rebuild never affects
 * sockets already attached.  An AF_INET6 socket keeps tcpv6_prot even when
 * v4-mapped, and IPV6_ADDRFORM refuses a socket whose proto is not
 * tcpv6_prot, so the family is a sound key.
 */
#include <linux/module.h>
#include <linux/version.h>
#include <linux/slab.h>
#include <net/tcp.h>

#include "luaulp.h"
#include "runtime.h"

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
#define HAVE_LUAULP_SENDPAGE
#endif

enum {
	LUAULP_V4,
	LUAULP_V6,
	LUAULP_NFAMILIES,
};

static struct proto luaulp_prots[LUAULP_NFAMILIES];
static struct proto *luaulp_base[LUAULP_NFAMILIES];	/* acquire/release */
static struct proto_ops luaulp_ops[LUAULP_NFAMILIES];
static const struct proto_ops *luaulp_ops_base[LUAULP_NFAMILIES];
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
 * Process context (inet_release), socket lock not held.  The Lua state is
 * closed here rather than in .release, which may run in softirq when an
 * orphaned socket is finally destroyed.
 */
static void luaulp_close(struct sock *sk, long timeout)
{
	struct luaulp_sock *ctx;
	struct proto *orig;

	lock_sock(sk);
	ctx = luaulp_sk(sk);
	orig = ctx->orig_prot;
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
	luaulp_recv_free(ctx);
	mutex_destroy(&ctx->recv_lock);
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
#ifdef HAVE_LUAULP_SENDPAGE
	/* Before 6.5, splice() into a socket used sendpage, around
	 * sendmsg; sock_no_sendpage sends through kernel_sendmsg instead. */
	ops->sendpage = sock_no_sendpage;
#endif
}

/* Process context, socket lock held. */
static int luaulp_proto_for(struct sock *sk, struct proto **prot,
			    const struct proto_ops **ops)
{
	int fam = sk->sk_family == AF_INET6 ? LUAULP_V6 : LUAULP_V4;
	struct proto *base = READ_ONCE(sk->sk_prot);
	const struct proto_ops *obase = READ_ONCE(sk->sk_socket->ops);

	if (unlikely(base != smp_load_acquire(&luaulp_base[fam]) ||
		     obase != smp_load_acquire(&luaulp_ops_base[fam]))) {
		mutex_lock(&luaulp_prot_mutex);
		if (base != luaulp_base[fam]) {
			luaulp_build_proto(&luaulp_prots[fam], base);
			smp_store_release(&luaulp_base[fam], base);
		}
		if (obase != luaulp_ops_base[fam]) {
			luaulp_build_ops(&luaulp_ops[fam], obase);
			smp_store_release(&luaulp_ops_base[fam], obase);
		}
		mutex_unlock(&luaulp_prot_mutex);
	}
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

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ctx->sk = sk;
	ctx->orig_prot = READ_ONCE(sk->sk_prot);
	ctx->orig_ops = READ_ONCE(sk->sk_socket->ops);
	ctx->onerror = LUAULP_ONERROR_PASS;
	ctx->ino = sock_i_ino(sk);
	/* The user whose scripts these are: the process attaching (an nginx
	 * worker), not the socket's creator (its root master). */
	ctx->uid = current_euid();
	mutex_init(&ctx->lock);
	mutex_init(&ctx->recv_lock);
	luaulp_proto_for(sk, &prot, &ops);

	write_lock_bh(&sk->sk_callback_lock);
	rcu_assign_pointer(inet_csk(sk)->icsk_ulp_data, ctx);
	write_unlock_bh(&sk->sk_callback_lock);
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
	return tcp_register_ulp(&luaulp_ulp_ops);
}

/* Only reached once no socket pins the module any more. */
void luaulp_ulp_unregister(void)
{
	tcp_unregister_ulp(&luaulp_ulp_ops);
	/* Contexts are freed by RCU callbacks in this module's text. */
	rcu_barrier();
}
