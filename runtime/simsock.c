// SPDX-License-Identifier: GPL-2.0
/*
 * A scripted socket without a kernel (simsock.h): the embedder of the
 * shared script code in user space, with the receive and send semantics of
 * kernel/recv.c and kernel/send.c over buffers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "lua.h"

#include "runtime.h"
#include "runtime_host.h"
#include "runtime_priv.h"
#include "simsock.h"

#define RX_CALLS_MAX	16		/* LUAULP_RX_CALLS_MAX */
#define TXQ_MAX		(256 * 1024)	/* LUAULP_TXQ_MAX */
#define LOG_PERIOD_NS	(5 * 1000000000ull)

struct luaulp_simsock {
	struct luaulp_simsock_cfg cfg;
	struct luaulp_rt *rt;
	char entry[LUAULP_NAME_MAX + 1];
	char send_entry[LUAULP_NAME_MAX + 1];
	int onerror;
	struct luaulp_stats stats;
	char error[LUAULP_ERROR_MAX];

	/* TCP's receive queue: bytes the peer sent that no entry saw */
	char *inq;
	size_t inq_len, inq_off, inq_cap;
	bool peer_eof;

	/* verdict output not yet read: a string the state keeps (or, for a
	 * short chunk no string could hold, a copy in @small) */
	const char *pending;
	char small[sizeof(((struct luaulp_entry *)0)->small)];
	size_t pending_len, pending_off;

	bool reset, reset_seen, closing;

	/* toward the peer: what it took, what waits for it */
	size_t peer_taken;
	char *txq;
	size_t txq_len, txq_cap;

	/* luaulp.log(): LUAULP_LOG_BURST lines per 5 s */
	unsigned long long log_start;
	unsigned int log_lines;
};

/* The process's stores: one lock, one ceiling, the module's limits. */
static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_long store_total;

static FILE *logf_of(struct luaulp_simsock *s)
{
	return s->cfg.log ? s->cfg.log : stderr;
}

void luaulp_emb_error(void *owner, const char *msg)
{
	struct luaulp_simsock *s = owner;

	/* Reported through the trace (cfg.trace sees e->error). */
	snprintf(s->error, sizeof(s->error), "%s", msg);
}

/* Peer output, in order: what the window takes now, the rest queued. */
static void to_peer(struct luaulp_simsock *s, const char *p, size_t len)
{
	size_t n = len;

	if (!s->txq_len && s->cfg.peer_window) {
		size_t room = s->cfg.peer_window - s->peer_taken;

		n = len < room ? len : room;
	} else if (s->txq_len) {
		n = 0;
	}
	if (n) {
		if (s->cfg.to_peer)
			s->cfg.to_peer(s->cfg.arg, p, n);
		s->peer_taken += n;
	}
	if (n == len)
		return;
	if (s->txq_len + len - n > s->txq_cap) {
		size_t cap = s->txq_len + len - n;
		char *q = realloc(s->txq, cap);

		if (!q)
			abort();
		s->txq = q;
		s->txq_cap = cap;
	}
	memcpy(s->txq + s->txq_len, p + n, len - n);
	s->txq_len += len - n;
}

int luaulp_emb_send(void *owner, const char *p, size_t len)
{
	struct luaulp_simsock *s = owner;

	if (!len)
		return 0;
	if (s->closing || s->reset)
		return -EPIPE;
	if (s->txq_len + len > TXQ_MAX)
		return -ENOBUFS;
	to_peer(s, p, len);
	s->stats.kernel_sent += len;
	return (int)len;
}

/* The module-wide ceiling of luaulp.log lines, as in kernel/embed.c. */
static unsigned long long log_all_start;
static unsigned int log_all_lines;

static bool window_allows(unsigned long long *start, unsigned int *lines,
			  unsigned int burst)
{
	unsigned long long now = luaulp_plat_now_ns();

	if (!*start || now - *start >= LOG_PERIOD_NS) {
		*start = now;
		*lines = 0;
	}
	if (*lines >= burst)
		return false;
	(*lines)++;
	return true;
}

bool luaulp_emb_log_allowed(void *owner)
{
	struct luaulp_simsock *s = owner;

	if (s->cfg.log_unlimited)
		return true;
	return window_allows(&s->log_start, &s->log_lines, LUAULP_LOG_BURST) &&
	       window_allows(&log_all_start, &log_all_lines,
			     20 * LUAULP_LOG_BURST);
}

void luaulp_emb_log(void *owner, const char *line)
{
	fprintf(logf_of(owner), "log: %s\n", line);
}

void luaulp_emb_sockinfo(void *owner, struct luaulp_sockinfo *si)
{
	struct luaulp_simsock *s = owner;

	*si = s->cfg.info;
}

long long luaulp_emb_epoch(void)
{
	return (long long)time(NULL);
}

struct luaulp_store *luaulp_emb_store_lock(void *owner, bool create,
					   const char **why)
{
	struct luaulp_simsock *s = owner;

	if (!s->cfg.store) {
		if (create)
			*why = "no store";
		return NULL;
	}
	pthread_mutex_lock(&store_lock);
	return s->cfg.store;
}

void luaulp_emb_store_unlock(void *owner)
{
	(void)owner;
	pthread_mutex_unlock(&store_lock);
}

void luaulp_emb_store_limits(struct luaulp_store_limits *lim)
{
	lim->max_entries = LUAULP_RT_HOST_STORE_ENTRIES;
	lim->max_bytes = LUAULP_RT_HOST_STORE_BYTES;
}

bool luaulp_emb_store_charge(long bytes)
{
	if (bytes <= 0) {
		atomic_fetch_add(&store_total, bytes);
		return true;
	}
	if (atomic_fetch_add(&store_total, bytes) + bytes <=
	    LUAULP_RT_HOST_STORE_TOTAL)
		return true;
	atomic_fetch_sub(&store_total, bytes);
	return false;
}

int luaulp_simsock_create(struct luaulp_simsock **out,
			  const struct luaulp_simsock_cfg *cfg)
{
	struct luaulp_simsock *s = calloc(1, sizeof(*s));
	int err;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	err = cfg->code ? luaulp_rt_create_shared(&s->rt, NULL, cfg->code) :
			  luaulp_rt_create(&s->rt, NULL);
	if (err) {
		free(s);
		return err;
	}
	luaulp_rt_set_owner(s->rt, s);
	err = luaulp_lib_open(s->rt);
	if (err) {
		snprintf(s->error, sizeof(s->error), "%s",
			 luaulp_rt_error(s->rt));
		luaulp_simsock_destroy(s);
		return err;
	}
	*out = s;
	return 0;
}

void luaulp_simsock_destroy(struct luaulp_simsock *s)
{
	if (!s)
		return;
	luaulp_rt_destroy(s->rt);
	free(s->inq);
	free(s->txq);
	free(s);
}

int luaulp_simsock_load(struct luaulp_simsock *s, const char *src, size_t len,
			const char *chunkname)
{
	int err = luaulp_rt_exec(s->rt, src, len, chunkname, NULL, 0);

	snprintf(s->error, sizeof(s->error), "%s",
		 err ? luaulp_rt_error(s->rt) : "");
	return err;
}

int luaulp_simsock_run_code(struct luaulp_simsock *s)
{
	int err = luaulp_rt_run_code(s->rt);

	snprintf(s->error, sizeof(s->error), "%s",
		 err ? luaulp_rt_error(s->rt) : "");
	return err;
}

void luaulp_simsock_set_entries(struct luaulp_simsock *s, const char *recv,
				const char *send)
{
	snprintf(s->entry, sizeof(s->entry), "%s", recv ? recv : "");
	snprintf(s->send_entry, sizeof(s->send_entry), "%s", send ? send : "");
}

void luaulp_simsock_set_onerror(struct luaulp_simsock *s, int onerror)
{
	s->onerror = onerror;
}

const char *luaulp_simsock_error(struct luaulp_simsock *s)
{
	return s->error;
}

const struct luaulp_stats *luaulp_simsock_stats(struct luaulp_simsock *s)
{
	s->stats.memory = luaulp_rt_memory(s->rt);
	s->stats.memory_max = luaulp_rt_memory_max(s->rt);
	s->stats.queued = s->txq_len;
	return &s->stats;
}

struct luaulp_rt *luaulp_simsock_rt(struct luaulp_simsock *s)
{
	return s->rt;
}

bool luaulp_simsock_was_reset(const struct luaulp_simsock *s)
{
	return s->reset;
}

bool luaulp_simsock_was_closed(const struct luaulp_simsock *s)
{
	return s->closing;
}

void luaulp_simsock_peer(struct luaulp_simsock *s, const char *p, size_t len,
			 bool eof)
{
	if (s->peer_eof || s->reset)
		return;
	if (s->inq_len + len > s->inq_cap) {
		size_t cap = (s->inq_len - s->inq_off + len) * 2 + 4096;
		char *q = malloc(cap);

		if (!q)
			abort();
		if (s->inq)
			memcpy(q, s->inq + s->inq_off, s->inq_len - s->inq_off);
		free(s->inq);
		s->inq = q;
		s->inq_len -= s->inq_off;
		s->inq_off = 0;
		s->inq_cap = cap;
	}
	if (len)
		memcpy(s->inq + s->inq_len, p, len);
	s->inq_len += len;
	s->peer_eof = eof;
}

size_t luaulp_simsock_unread(struct luaulp_simsock *s)
{
	return s->inq_len - s->inq_off;
}

/* TCP's own read: up to LEN bytes of the queue. */
static ssize_t tcp_read(struct luaulp_simsock *s, char *buf, size_t len,
			int flags)
{
	size_t n = luaulp_simsock_unread(s);

	if (!n)
		return s->peer_eof ? 0 : -EAGAIN;
	if (n > len)
		n = len;
	if (buf)
		memcpy(buf, s->inq + s->inq_off, n);
	if (!(flags & MSG_PEEK))
		s->inq_off += n;
	return (ssize_t)n;
}

/* The receive entry's FILL: TCP's queue into the chunk's string; with
 * cfg.short_fill, less than asked (as TCP when the estimate was high). */
static int sim_fill(void *arg, char *buf, size_t len)
{
	struct luaulp_simsock *s = arg;

	if (s->cfg.short_fill && len > sizeof(((struct luaulp_entry *)0)->small))
		len = len / 2 + 1;
	return (int)tcp_read(s, buf, len, 0);
}

/* The send entry's FILL: the application's bytes into the chunk's string. */
static int sim_tx_fill(void *arg, char *buf, size_t len)
{
	const char **p = arg;

	memcpy(buf, *p, len);
	*p += len;
	return (int)len;
}

/*
 * Run E as kernel/recv.c and send.c do: when no string could hold the
 * chunk (the state is full; FILL did not run), once more on a piece small
 * enough to be read into E itself.  luaulp_entry_done() follows.
 */
static int run_chunk(struct luaulp_simsock *s, struct luaulp_entry *e)
{
	int err = luaulp_entry_run(s->rt, e, &s->stats);

	if (err > 0 && s->cfg.trace)
		s->cfg.trace(s->cfg.arg, e);
	if (err > 0 && e->verdict == LUAULP_PASS && !e->out &&
	    e->len > sizeof(e->small)) {
		luaulp_entry_done(s->rt);
		e->len = sizeof(e->small);
		err = luaulp_entry_run(s->rt, e, &s->stats);
		if (err > 0 && s->cfg.trace)
			s->cfg.trace(s->cfg.arg, e);
	}
	return err;
}

static void reset_conn(struct luaulp_simsock *s)
{
	s->reset = true;
	s->txq_len = 0;		/* tcp_abort purges the write queue */
	s->inq_off = s->inq_len;
}

static int reset_error(struct luaulp_simsock *s)
{
	if (s->reset_seen)
		return 0;
	s->reset_seen = true;
	return -ECONNRESET;
}

/* kernel/recv.c's fill(): 1 output pending (or none after a discard), 0
 * EOF, -EAGAIN TCP empty. */
static int fill(struct luaulp_simsock *s, size_t len)
{
	struct luaulp_entry e = {
		.name = s->entry,
		.nonblock = s->cfg.nonblock,
		.onerror = s->onerror,
		.fill = sim_fill,
		.fill_arg = s,
	};
	size_t queued = luaulp_simsock_unread(s);
	int err;

	if (!queued && !s->peer_eof)
		return -EAGAIN;		/* recv.c's tcp_idle(): no call */
	luaulp_rt_slot_clear(s->rt, LUAULP_RT_RX_KEPT);
	if (len > LUAULP_CHUNK_MAX)
		len = LUAULP_CHUNK_MAX;
	if (!queued)
		queued = sizeof(e.small);
	e.len = len < queued ? len : queued;
	err = run_chunk(s, &e);
	if (err <= 0) {
		luaulp_entry_done(s->rt);
		return err;	/* TCP's EOF or -EAGAIN */
	}
	if (e.out && (e.verdict == LUAULP_PASS ||
		      e.verdict == LUAULP_REPLACE)) {
		luaulp_entry_keep(s->rt, &e);
		if (e.out == e.small) {
			memcpy(s->small, e.small, e.outlen);
			e.out = s->small;
		}
		s->pending = e.out;
		s->pending_off = 0;
		s->pending_len = e.outlen;
	}
	luaulp_entry_done(s->rt);
	if (e.verdict == LUAULP_RESET)
		reset_conn(s);
	else if (e.verdict == LUAULP_CLOSE)
		s->closing = true;
	return 1;
}

static void drop_pending(struct luaulp_simsock *s)
{
	s->pending = NULL;
	s->pending_len = s->pending_off = 0;
	luaulp_rt_slot_clear(s->rt, LUAULP_RT_RX_KEPT);
}

ssize_t luaulp_simsock_read(struct luaulp_simsock *s, char *buf, size_t len,
			    int flags)
{
	unsigned int calls = 0;
	size_t copied = 0, n;
	ssize_t err = 0;

	if (!s->entry[0] && !s->closing) {
		if (s->reset) {
			s->inq_off = s->inq_len;
			return reset_error(s);
		}
		return len ? tcp_read(s, buf, len, flags) : 0;
	}
	if (!len)
		return 0;
	while (copied < len) {
		if (s->closing) {
			/* End of stream; the peer's input is dropped. */
			if (!copied) {
				drop_pending(s);
				s->inq_off = s->inq_len;
			}
			err = 0;
			break;
		}
		if (s->pending_len - s->pending_off) {
			n = s->pending_len - s->pending_off;
			if (n > len - copied)
				n = len - copied;
			memcpy(buf + copied, s->pending + s->pending_off, n);
			copied += n;
			if (flags & MSG_PEEK)
				break;
			s->pending_off += n;
			if (s->pending_off == s->pending_len)
				drop_pending(s);
			continue;
		}
		if (s->reset) {
			err = 0;
			if (!copied)
				err = reset_error(s);
			break;
		}
		if (calls >= RX_CALLS_MAX) {
			err = -EAGAIN;
			break;
		}
		calls++;
		err = fill(s, len - copied);
		if (err > 0)
			continue;
		break;
	}
	return copied ? (ssize_t)copied : err;
}

ssize_t luaulp_simsock_write(struct luaulp_simsock *s, const char *p,
			     size_t len)
{
	size_t done = 0, n, room;
	ssize_t err = 0;

	while (done < len) {
		if (s->closing || s->reset) {
			err = -EPIPE;
			break;
		}
		if (s->txq_len) {
			err = -EAGAIN;	/* the peer stopped reading */
			break;
		}
		n = len - done;
		if (!s->send_entry[0]) {
			room = s->cfg.peer_window ?
			       s->cfg.peer_window - s->peer_taken : n;
			if (n > room)
				n = room;
			if (!n) {
				err = -EAGAIN;
				break;
			}
			to_peer(s, p + done, n);
			done += n;
			continue;
		}
		if (n > LUAULP_CHUNK_MAX)
			n = LUAULP_CHUNK_MAX;
		{
			const char *cursor = p + done;
			struct luaulp_entry e = {
				.name = s->send_entry,
				.send = true,
				.nonblock = s->cfg.nonblock,
				.onerror = s->onerror,
				.len = n,
				.fill = sim_tx_fill,
				.fill_arg = &cursor,
			};

			run_chunk(s, &e);
			if (e.out && e.verdict != LUAULP_RESET)
				to_peer(s, e.out, e.outlen);
			luaulp_entry_done(s->rt);
			if (e.verdict == LUAULP_RESET) {
				/* The chunk that brought it is not sent. */
				reset_conn(s);
				err = done ? 0 : reset_error(s);
				break;
			}
			done += e.filled;
			if (e.verdict == LUAULP_CLOSE) {
				s->closing = true;
				break;
			}
		}
	}
	return done ? (ssize_t)done : err;
}
