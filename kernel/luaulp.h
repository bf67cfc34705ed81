/* SPDX-License-Identifier: GPL-2.0 */
/*
 * luaulp: private declarations shared by the module's files.
 */
#ifndef LUAULP_H
#define LUAULP_H

#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <net/inet_connection_sock.h>
#include <net/sock.h>

#include "include/uapi/luaulp.h"

struct luaulp_rt;

/*
 * Per-socket context, hung off icsk_ulp_data from .init until close.
 *
 * @orig_prot is set once at attach and never changes: every operation we do
 * not handle goes there.  @lock serialises all use of the Lua state; it is
 * taken without the socket lock held (Lua may run for its whole budget and
 * must not hold up the socket's backlog processing).
 */
struct luaulp_sock {
	struct proto		*orig_prot;
	struct sock		*sk;
	struct mutex		lock;		/* protects everything below */
	struct luaulp_rt	*rt;		/* NULL until the first script */
	char			entry[LUAULP_NAME_MAX + 1];
	char			error[LUAULP_ERROR_MAX];
	char			result[LUAULP_ERROR_MAX];
	struct rcu_head		rcu;
};

static inline struct luaulp_sock *luaulp_sk(const struct sock *sk)
{
	/* Valid while the socket carries our ULP: set in .init under the
	 * socket lock, cleared in close. */
	return (__force struct luaulp_sock *)inet_csk(sk)->icsk_ulp_data;
}

/* ulp.c */
int luaulp_ulp_register(void);
void luaulp_ulp_unregister(void);

/* sockopt.c: level SOL_LUA; process context, socket lock not held. */
int luaulp_sockopt_set(struct sock *sk, int optname, sockptr_t optval,
		       unsigned int optlen);
int luaulp_sockopt_get(struct sock *sk, int optname, char __user *optval,
		       int __user *optlen);

#endif /* LUAULP_H */
