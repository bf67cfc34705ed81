/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A scripted socket without a kernel: one connection of luaulp.ko, with its
 * receive and send semantics, over buffers -- for `luaulp run` and the host
 * half of the shared case list.  The script code is the module's own
 * (kernel/script.h: entry.c, lualib.c, store.c); this file is only the
 * socket around it, written after kernel/recv.c and kernel/send.c:
 *
 *  - The peer's bytes arrive in writes (simsock_peer); "TCP" holds them
 *    until the application reads.  A read (simsock_read) serves the
 *    verdict output not yet read first, then runs the receive entry on what
 *    TCP holds -- a chunk of at most what the read still wants, at most
 *    64 KiB -- until the read is full or TCP is empty, at most 16 entry
 *    calls per read; MSG_PEEK shows what the next read returns.
 *  - An application write (simsock_write) goes to the send entry in chunks
 *    of up to 64 KiB; the output, and luaulp.send()'s, goes to the peer in
 *    order.  The peer takes what its window allows (unbounded by default);
 *    what it cannot take waits in the socket's queue, 256 KiB at most for
 *    luaulp.send() (ENOBUFS beyond), as in the kernel.
 *  - RESET: ECONNRESET once, then end of stream; writes get EPIPE.  CLOSE:
 *    the script's output then a FIN to the peer, end of stream to the
 *    application, EPIPE on its writes, the peer's further bytes dropped.
 *
 * Several sockets may share one store (luaulp_store_create), as the
 * kernel's sockets of one user and namespace do.  Not thread-safe: one
 * thread per socket (the store has its own lock).
 */
#ifndef LUAULP_SIMSOCK_H
#define LUAULP_SIMSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "script.h"

struct luaulp_simsock;

struct luaulp_simsock_cfg {
	struct luaulp_store *store;	/* shared; NULL: luaulp.store fails */
	/* A registered script's frozen code (runtime.h) the socket's state
	 * shares, as ATTACHNAME does; luaulp_simsock_run_code() runs it. */
	struct luaulp_rt *code;
	struct luaulp_sockinfo info;	/* luaulp.socket */
	/* What the peer receives, in order. */
	void (*to_peer)(void *arg, const char *p, size_t len);
	void *arg;
	/* TCP gives half of what the chunk was sized for (as when the
	 * kernel's estimate of its queue was high), for tests. */
	bool short_fill;
	/* The entries' third argument (the application does not block). */
	bool nonblock;
	/* Bytes the peer accepts before it stops reading; 0: no limit. */
	size_t peer_window;
	/* luaulp.log() lines; NULL: stderr.  Rate-limited as in the module
	 * unless LOG_UNLIMITED. */
	FILE *log;
	bool log_unlimited;
	/* Called after each entry call (with ENTRY's verdict and lengths). */
	void (*trace)(void *arg, const struct luaulp_entry *e);
};

int luaulp_simsock_create(struct luaulp_simsock **out,
			  const struct luaulp_simsock_cfg *cfg);
void luaulp_simsock_destroy(struct luaulp_simsock *s);

/* LOADSCRIPT: compile and run SRC (errors: luaulp_simsock_error). */
int luaulp_simsock_load(struct luaulp_simsock *s, const char *src, size_t len,
			const char *chunkname);
/* ATTACHNAME of the script in cfg.code. */
int luaulp_simsock_run_code(struct luaulp_simsock *s);
/* ENTRYPOINT, SENDENTRY (NULL or "" unsets), ONERROR. */
void luaulp_simsock_set_entries(struct luaulp_simsock *s, const char *recv,
				const char *send);
void luaulp_simsock_set_onerror(struct luaulp_simsock *s, int onerror);
const char *luaulp_simsock_error(struct luaulp_simsock *s);
const struct luaulp_stats *luaulp_simsock_stats(struct luaulp_simsock *s);
struct luaulp_rt *luaulp_simsock_rt(struct luaulp_simsock *s);

/* The peer sends LEN bytes; with LEN 0 and EOF, its FIN. */
void luaulp_simsock_peer(struct luaulp_simsock *s, const char *p, size_t len,
			 bool eof);
/* What TCP holds that no entry has seen yet. */
size_t luaulp_simsock_unread(struct luaulp_simsock *s);

/* The application reads up to LEN bytes (FLAGS: 0 or MSG_PEEK): bytes, 0
 * at end of stream, -EAGAIN when nothing is there yet, -ECONNRESET. */
ssize_t luaulp_simsock_read(struct luaulp_simsock *s, char *buf, size_t len,
			    int flags);
/* The application writes LEN bytes: bytes taken, -EAGAIN (the peer's
 * window and the queue are full), -EPIPE, -ECONNRESET. */
ssize_t luaulp_simsock_write(struct luaulp_simsock *s, const char *p,
			     size_t len);
/* What the verdicts made of the connection. */
bool luaulp_simsock_was_reset(const struct luaulp_simsock *s);
bool luaulp_simsock_was_closed(const struct luaulp_simsock *s);

#endif /* LUAULP_SIMSOCK_H */
