/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A socket's script as both luaulp.ko and `luaulp run` run it: one
 * implementation, built into the module and into the user-space runtime
 * (build/runtime/libluaulp_rt.a), so a script author's test on the host
 * means what it will mean in the kernel.
 *
 *   entry.c    run an entry on a chunk and turn its result into a verdict,
 *              with the on-error policy and the counters
 *   lualib.c   the "luaulp" table scripts see
 *   store.c    the shared store (luaulp.store)
 *
 * What depends on where the script runs -- a real socket in the kernel
 * (kernel/embed.c, kernel/store_net.c), a simulated one in user space
 * (runtime/simsock.c) -- is asked of the embedder through the
 * luaulp_emb_*() functions at the end; the state's owner
 * (luaulp_rt_set_owner) is the embedder's socket.
 *
 * Context: process context; the caller serialises all use of a state (the
 * module's ctx->lock).
 */
#ifndef LUAULP_SCRIPT_H
#define LUAULP_SCRIPT_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#endif

#include "include/uapi/luaulp.h"

struct lua_State;
struct luaulp_rt;

/*
 * Largest chunk handed to an entry at once: its Lua string (a 24-byte
 * header, the bytes, a NUL) still fits 64 KiB, an order-4 allocation.
 */
#define LUAULP_CHUNK_MAX	(64 * 1024 - 32)

/* Outcome of one entry call. */
enum luaulp_verdict {
	LUAULP_PASS,		/* deliver (send) the chunk unchanged */
	LUAULP_DROP,		/* nothing: true, luaulp.DROP or "" */
	LUAULP_REPLACE,		/* deliver (send) the string instead */
	LUAULP_RESET,		/* abort the connection */
	LUAULP_CLOSE,		/* refuse gracefully */
};

/*
 * One entry call on one chunk.  The chunk is either DATA (LEN bytes) or,
 * with FILL, written by FILL straight into the string the entry gets: up to
 * LEN bytes, returning how many, 0 or a negative errno (then no entry runs).
 * That string is the only copy the script path makes of the bytes.
 */
struct luaulp_entry {
	/* in */
	const char *name;	/* the global function */
	bool send;		/* direction: which counters */
	bool nonblock;		/* the entry's third argument */
	int onerror;		/* LUAULP_ONERROR_*, applied to failures */
	const char *data;
	size_t len;
	int (*fill)(void *arg, char *buf, size_t len);
	void *fill_arg;
	/* out */
	char small[40];		/* FILL's bytes of a chunk this short
				 * (Lua interns such strings from bytes) */
	enum luaulp_verdict verdict;
	size_t filled;		/* the chunk's length (what FILL wrote) */
	/*
	 * The bytes to deliver for PASS (the chunk) and REPLACE: a Lua string,
	 * valid until luaulp_entry_done(), or past it with luaulp_entry_keep()
	 * -- or, after an error that left no string, @data or @small (which
	 * lives as long as E: copy what must outlive it).  NULL
	 * for PASS when the entry failed before FILL ran (the state could not
	 * hold the chunk): the bytes are still where they were.
	 */
	const char *out;
	size_t outlen;
	const char *error;	/* the failure the on-error policy acted on */
};

/*
 * Run E->name on the chunk.  Returns 1 with E->verdict set (failures are
 * already turned into a verdict by E->onerror, counted, and the message
 * saved in the state: luaulp_rt_error()), or, with FILL, what FILL
 * returned when it gave no bytes (0 or a negative errno; no entry ran).
 * Counters go to *ST.  Every call is followed by one luaulp_entry_done().
 */
int luaulp_entry_run(struct luaulp_rt *rt, struct luaulp_entry *e,
		     struct luaulp_stats *st);
/* Keep E->out valid past luaulp_entry_done(), until the next keep or
 * luaulp_rt_slot_clear(rt, LUAULP_RT_RX_KEPT) (both under the caller's
 * serialisation); reading its bytes needs none (Lua never moves them). */
void luaulp_entry_keep(struct luaulp_rt *rt, const struct luaulp_entry *e);
void luaulp_entry_done(struct luaulp_rt *rt);

/* The value of a verdict constant, for luaulp_entry_run's comparisons. */
extern const char luaulp_reset_token;	/* luaulp.RESET */
extern const char luaulp_close_token;	/* luaulp.CLOSE */

/* lualib.c: fill the "luaulp" table of a new state (runs protected). */
int luaulp_lib_open(struct luaulp_rt *rt);

/* lualib.c: S escaped for a log line: printable ASCII as it is, anything
 * else and '\\' as \xNN, at most LUAULP_LOG_MAX bytes of S ("..." when
 * cut).  BUF holds LUAULP_LOG_MAX * 4 + 1 bytes. */
#define LUAULP_LOG_MAX		128
#define LUAULP_LOG_BURST	10	/* lines per socket per 5 s */
void luaulp_log_escape(char *buf, const char *s, size_t len);

/* store.c */
#define LUAULP_STORE_KEY_MAX	256
struct luaulp_store;
struct luaulp_store_limits {
	unsigned int max_entries;	/* per store */
	size_t max_bytes;		/* per store: keys, values, entries */
};
int luaulp_store_open(struct lua_State *L);	/* adds luaulp.store */
struct luaulp_store *luaulp_store_create(void);
void luaulp_store_destroy(struct luaulp_store *st);
/* Bytes a store holds, its own record included. */
size_t luaulp_store_bytes(const struct luaulp_store *st);

/*
 * The embedder.  OWNER is the state's owner.  Called from Lua (inside an
 * entry or a loaded chunk) with the state serialised.
 */
/* luaulp.send(): LEN bytes queued for the peer after everything written
 * before: LEN, or -ENOBUFS (queue full), -EPIPE (closing), -ENOMEM. */
int luaulp_emb_send(void *owner, const char *p, size_t len);
/* An entry failed with MSG (also in luaulp_rt_error()); the on-error
 * policy applies next. */
void luaulp_emb_error(void *owner, const char *msg);
/* luaulp.log(): false when this line is over the rate limit. */
bool luaulp_emb_log_allowed(void *owner);
/* ... and write the line (already escaped). */
void luaulp_emb_log(void *owner, const char *line);
/* luaulp.socket: addresses as text, ports in host order. */
struct luaulp_sockinfo {
	bool inet6;
	char local_addr[48], remote_addr[48];
	unsigned int local_port, remote_port;
};
void luaulp_emb_sockinfo(void *owner, struct luaulp_sockinfo *si);
/* luaulp.time(): seconds since the epoch. */
long long luaulp_emb_epoch(void);
/*
 * luaulp.store: the owner's store, locked (created if CREATE), or NULL
 * (not locked) with *WHY set when it cannot be created, or without when it
 * does not exist.  luaulp_emb_store_unlock() ends every successful
 * lookup; nothing may raise a Lua error in between.
 */
struct luaulp_store *luaulp_emb_store_lock(void *owner, bool create,
					   const char **why);
void luaulp_emb_store_unlock(void *owner);
/* The limits of one store, and the charge of BYTES (negative: a release)
 * against the ceiling of all stores together: false if it would pass it. */
void luaulp_emb_store_limits(struct luaulp_store_limits *lim);
bool luaulp_emb_store_charge(long bytes);

#endif /* LUAULP_SCRIPT_H */
