/* SPDX-License-Identifier: GPL-2.0 */
/*
 * luaulp: private declarations shared by the module's files.
 *
 * Lock order (outermost first; a lock is never taken while one listed
 * after it is held):
 *
 *   1. per-socket rx/tx serialisation (recv.c, send.c)
 *   2. ctx->lock, the Lua state mutex (sockopt.c, registry.c attach, entry
 *      calls); waits for it from setsockopt/getsockopt are killable (EINTR)
 *   3. sk_lock (lock_sock: luaulp.send() from a script, .init, close)
 *   4. the namespace's locks, all leaves: the socket-list spinlock
 *      (luaulp_net.socks_lock, taken in .init with sk_lock held), the store
 *      mutex (store.c, from Lua), the script-list mutex (registry.c, never
 *      held across a Lua call), ctx->names_lock (a spinlock)
 *
 * No namespace-wide lock is held across a Lua call or any sleep: the socket
 * dump (LUAULP_CMD_GET_SOCKET) walks the socket list under RCU and reads
 * only fields of the context, never ctx->lock, the socket or the Lua state.
 */
#ifndef LUAULP_H
#define LUAULP_H

#include <linux/mutex.h>
#include <linux/ratelimit.h>
#include <linux/spinlock.h>
#include <linux/net.h>
#include <linux/rcupdate.h>
#include <net/inet_connection_sock.h>
#include <net/sock.h>

#include "include/uapi/luaulp.h"

struct luaulp_rt;
struct lua_State;

/* luaulp.log(): lines per socket per 5 s, bytes of a message kept. */
#define LUAULP_LOG_BURST	10
#define LUAULP_LOG_MAX		128

/* Largest chunk handed to an entry at once. */
#define LUAULP_CHUNK_MAX	(64 * 1024)

/*
 * Per-socket context, hung off icsk_ulp_data from .init until close.
 *
 * @orig_prot and @orig_ops are set once at attach: every operation we do not
 * handle goes there.  @lock serialises all use of the Lua state and the
 * fields it protects; it is never held across a blocking wait for the peer.
 * @recv_lock serialises receivers and protects the pending bytes (verdict
 * output not yet read by the application).
 */
struct luaulp_sock {
	struct proto		*orig_prot;
	const struct proto_ops	*orig_ops;
	struct sock		*sk;

	struct mutex		lock;
	struct luaulp_rt	*rt;		/* NULL until the first script */
	char			script[LUAULP_NAME_MAX + 1];	/* or "(source)" */
	char			entry[LUAULP_NAME_MAX + 1];
	char			send_entry[LUAULP_NAME_MAX + 1];
	int			onerror;
	bool			trusted_load;	/* registry.c loading its code */
	struct luaulp_stats	stats;		/* memory fields filled on read */
	char			error[LUAULP_ERROR_MAX];
	char			result[LUAULP_ERROR_MAX];

	struct mutex		recv_lock;
	char			*pending;	/* kvmalloc'd */
	size_t			pending_len;
	size_t			pending_off;

	struct list_head	node;		/* luaulp_net.socks, RCU */
	unsigned long		ino;		/* for luaulp stat and ss -e */
	struct rcu_head		rcu;

	/*
	 * Sandbox (issue 10).  Read by the socket dump under RCU, without
	 * ctx->lock: @uid with READ_ONCE; the names (script, entry,
	 * send_entry) are written and copied under @names_lock; the
	 * addresses are copied at attach (a connecting or connected socket
	 * keeps them) so the dump never touches the socket.  @stats is
	 * written under ctx->lock and read field by field with READ_ONCE
	 * (u64, 64-bit kernels only): writers should use WRITE_ONCE.
	 * @mem/@mem_max mirror the Lua state's figures (the runtime updates
	 * them; the state itself may be freed while a dump looks).
	 * @uid is the store's owner: the euid of whoever attached the ULP
	 * until the first script load, then of the loader, fixed from then
	 * on (@uid_fixed; a load by another euid is EPERM).
	 */
	spinlock_t		names_lock;
	kuid_t			uid;
	bool			uid_fixed;
	u8			family;
	u16			sport;		/* host order */
	__be16			dport;
	struct in6_addr		saddr, daddr;	/* v4: first 4 bytes */
	unsigned long		mem, mem_max;
	struct ratelimit_state	log_rs;		/* luaulp.log, per socket */
};

static inline struct luaulp_sock *luaulp_sk(const struct sock *sk)
{
	/* Valid while the socket carries our ULP: set in .init under the
	 * socket lock, cleared in close. */
	return (__force struct luaulp_sock *)inet_csk(sk)->icsk_ulp_data;
}

/* Outcome of one entry call. */
enum luaulp_verdict {
	LUAULP_PASS,
	LUAULP_DROP,
	LUAULP_REPLACE,
	LUAULP_RESET,
};

/* ulp.c */
int luaulp_ulp_register(void);
void luaulp_ulp_unregister(void);

/* sockopt.c: level SOL_LUA; process context, socket lock not held. */
int luaulp_sockopt_set(struct sock *sk, int optname, sockptr_t optval,
		       unsigned int optlen);
int luaulp_sockopt_get(struct sock *sk, int optname, char __user *optval,
		       int __user *optlen);
int luaulp_sock_rt(struct luaulp_sock *ctx);
/* Lockless: any context that keeps ctx alive (a syscall on the socket, or
 * an RCU read section over the socket list). */
void luaulp_sock_stats(const struct luaulp_sock *ctx, struct luaulp_stats *st);
/* The script's owner for a load by the current task: 0 or -EPERM
 * (ctx->lock held). */
int luaulp_sock_claim(struct luaulp_sock *ctx);
void luaulp_set_name(struct luaulp_sock *ctx, char *dst, const char *src);

/* entry.c: run an entry on a chunk; ctx->lock held.  On LUAULP_REPLACE,
 * *out is a kvmalloc'd copy of the replacement (caller frees). */
enum luaulp_verdict luaulp_entry_run(struct luaulp_sock *ctx, bool send,
				     const char *data, size_t len,
				     bool nonblock, char **out,
				     size_t *outlen);
void luaulp_reset(struct sock *sk);
extern const char luaulp_reset_token;	/* luaulp.RESET */

/* recv.c, send.c: the proto methods; process context. */
int luaulp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
		   int flags, int *addr_len);
int luaulp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size);
void luaulp_recv_free(struct luaulp_sock *ctx);
int luaulp_send_from_script(struct luaulp_sock *ctx, const char *p, size_t len);

/* registry.c */
int luaulp_registry_init(void);
void luaulp_registry_exit(void);
bool luaulp_script_name_valid(const char *s);
int luaulp_registry_attach(struct sock *sk, struct luaulp_sock *ctx,
			   const char *name);
void luaulp_registry_add_sock(struct luaulp_sock *ctx);
void luaulp_registry_del_sock(struct luaulp_sock *ctx);

/* store.c */
int luaulp_store_init(void);
void luaulp_store_exit(void);
int luaulp_store_open(struct lua_State *L);

/* lualib.c: fill the "luaulp" table of a new state (protected mode). */
int luaulp_lib_open(struct luaulp_sock *ctx);

#endif /* LUAULP_H */
