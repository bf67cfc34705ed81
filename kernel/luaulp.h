/* SPDX-License-Identifier: GPL-2.0 */
/*
 * luaulp: private declarations shared by the module's files.
 *
 * Lock order (outermost first; a lock is never taken while one listed
 * after it is held):
 *
 *   1. per-socket rx/tx serialisation (recv.c, send.c): the RX_BUSY and
 *      TX_BUSY bit locks (waits bounded by the socket timeouts; a
 *      non-blocking caller never waits); under ctx->lock TX_BUSY is only
 *      ever tried (luaulp.send()), never waited for
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
#include <linux/net.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <net/inet_connection_sock.h>
#include <net/sock.h>

#include "include/uapi/luaulp.h"
#include "script.h"

struct luaulp_rt;
struct luaulp_script;
struct lua_State;

/* Entry calls one recvmsg makes before it lets the caller go (then it
 * re-arms the reader's readiness edge so no byte is stranded). */
#define LUAULP_RX_CALLS_MAX	16
/* Script output (luaulp.send) queued but not yet taken by TCP. */
#define LUAULP_TXQ_MAX		(256 * 1024)

/* ctx->flags */
enum {
	LUAULP_F_RX_BUSY,	/* a receiver owns the receive side */
	LUAULP_F_TX_BUSY,	/* a sender (or the flush work) owns the queue */
	LUAULP_F_RX_REARM,	/* a non-blocking reader found RX_BUSY taken */
	LUAULP_F_STATE_RX_REARM,	/* ... or the Lua state busy */
	LUAULP_F_STATE_TX_REARM,	/* a non-blocking writer found it busy */
	LUAULP_F_TX_WAKE,	/* wake writers once the queue drains */
	LUAULP_F_RX_RESET,	/* reset verdict given: no more entry calls */
	LUAULP_F_RESET_SEEN,	/* ... and its ECONNRESET reported */
	LUAULP_F_CLOSING,	/* graceful close: input discarded, EOF */
	LUAULP_F_FIN,		/* send FIN once the queue has drained */
	LUAULP_F_FIN_SENT,
};

/* A piece of script output waiting for send-buffer space. */
struct luaulp_tx_seg {
	struct list_head	node;
	size_t			len;
	size_t			off;
	char			data[];
};

/*
 * Per-socket context, hung off icsk_ulp_data from .init until close.
 *
 * @orig_prot and @orig_ops are set once at attach: every operation we do not
 * handle goes there.  @lock serialises all use of the Lua state and the
 * fields it protects; it is never held across a wait for the peer.
 *
 * Receive side (recv.c), owned by the holder of LUAULP_F_RX_BUSY:
 * @pending is the verdict's output not yet read by the application
 * (@pending_off..@pending_len): the bytes of a Lua string the state keeps
 * (its KEPT slot, entry.c) -- the chunk TCP was read into, or the
 * replacement -- so no copy is made between TCP and the application but
 * the one into that string.
 *
 * Send side (send.c): the holder of LUAULP_F_TX_BUSY (@tx_owner) copies
 * the application's bytes into the send entry's string and pushes output
 * to TCP; output TCP
 * could not take yet waits in @tx_queue (@tx_qlock, appended by any entry
 * through luaulp.send), flushed before anything newer, from @tx_work when
 * send-buffer space frees up, and before the FIN.
 */
struct luaulp_sock {
	struct proto		*orig_prot;
	const struct proto_ops	*orig_ops;
	void			(*orig_write_space)(struct sock *sk);
	struct sock		*sk;
	unsigned long		flags;		/* LUAULP_F_* */

	struct mutex		lock;
	struct luaulp_rt	*rt;		/* NULL until the first script */
	struct luaulp_script	*code_script;	/* whose code rt shares */
	char			script[LUAULP_NAME_MAX + 1];	/* or "(source)" */
	char			entry[LUAULP_NAME_MAX + 1];
	char			send_entry[LUAULP_NAME_MAX + 1];
	int			onerror;
	bool			trusted_load;	/* registry.c loading its code */
	struct luaulp_stats	stats;		/* memory fields filled on read */
	char			error[LUAULP_ERROR_MAX];
	char			result[LUAULP_ERROR_MAX];

	wait_queue_head_t	rx_wait;	/* for LUAULP_F_RX_BUSY */
	const char		*pending;
	char			rx_small[sizeof_field(struct luaulp_entry,
						      small)];
	size_t			pending_len;
	size_t			pending_off;

	wait_queue_head_t	tx_wait;	/* for LUAULP_F_TX_BUSY */
	struct task_struct	*tx_owner;
	spinlock_t		tx_qlock;
	struct list_head	tx_queue;	/* struct luaulp_tx_seg */
	size_t			tx_queued;	/* bytes in @tx_queue */
	struct work_struct	tx_work;

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


/* ulp.c */
int luaulp_ulp_register(void);
void luaulp_ulp_unregister(void);

/* sockopt.c: level SOL_LUA; process context, socket lock not held. */
int luaulp_sockopt_set(struct sock *sk, int optname, sockptr_t optval,
		       unsigned int optlen);
int luaulp_sockopt_get(struct sock *sk, int optname, char __user *optval,
		       int __user *optlen);
int luaulp_sock_rt(struct luaulp_sock *ctx, struct luaulp_rt *code);
/* Lockless: any context that keeps ctx alive (a syscall on the socket, or
 * an RCU read section over the socket list). */
void luaulp_sock_stats(const struct luaulp_sock *ctx, struct luaulp_stats *st);
/* The script's owner for a load by the current task: 0 or -EPERM
 * (ctx->lock held). */
int luaulp_sock_claim(struct luaulp_sock *ctx);
void luaulp_set_name(struct luaulp_sock *ctx, char *dst, const char *src);

/* embed.c: the socket side of verdicts and the Lua state's lock.  The
 * shared script code (entry.c, lualib.c, store.c) is in script.h. */
int luaulp_state_lock(struct luaulp_sock *ctx, bool nonblock, bool send);
void luaulp_state_unlock(struct luaulp_sock *ctx);
void luaulp_reset(struct luaulp_sock *ctx);
int luaulp_reset_error(struct luaulp_sock *ctx);
void luaulp_close_gracefully(struct luaulp_sock *ctx);

/* recv.c: process context, no lock held on entry (is_readable: any
 * context, lockless). */
int luaulp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
		   int flags, int *addr_len);
bool luaulp_sock_is_readable(struct sock *sk);
size_t luaulp_rx_pending(struct luaulp_sock *ctx);
void luaulp_rx_init(struct luaulp_sock *ctx);
void luaulp_rx_free(struct luaulp_sock *ctx);

/* send.c */
int luaulp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size);
bool luaulp_stream_memory_free(const struct sock *sk, int wake);
void luaulp_write_space(struct sock *sk);
int luaulp_shutdown_op(struct socket *sock, int how);
int luaulp_send_from_script(struct luaulp_sock *ctx, const char *p, size_t len);
void luaulp_tx_init(struct luaulp_sock *ctx);
void luaulp_tx_close(struct luaulp_sock *ctx);
void luaulp_tx_fin(struct luaulp_sock *ctx);
void luaulp_tx_wake(struct luaulp_sock *ctx);

/* registry.c */
int luaulp_registry_init(void);
void luaulp_registry_exit(void);
bool luaulp_script_name_valid(const char *s);
int luaulp_registry_attach(struct sock *sk, struct luaulp_sock *ctx,
			   const char *name);
void luaulp_registry_add_sock(struct luaulp_sock *ctx);
void luaulp_registry_put(struct luaulp_script *s);
void luaulp_registry_del_sock(struct luaulp_sock *ctx);

/* store_net.c */
int luaulp_store_init(void);
void luaulp_store_exit(void);

#endif /* LUAULP_H */
