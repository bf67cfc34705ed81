// SPDX-License-Identifier: GPL-2.0
/*
 * kfuzz: a socket-interface fuzzer for luaulp.ko, run inside the test guest.
 *
 *   kfuzz [--seed N] [--time SECS] [--threads N] [--conns N] [--trace]
 *         [--only OP,OP...] [--without OP,OP...]
 *
 * Several threads drive random sequences of system calls over both ends of
 * several loopback TCP connections (IPv4 and IPv6) and the registry's
 * generic netlink family at once: every SOL_LUA option set and get (valid,
 * boundary and garbage lengths and contents; NULL, unmapped, read-only and
 * page-straddling pointers), TCP_ULP, scripts from a generator (valid,
 * broken, hostile), recv/send with flag combinations, readv/writev,
 * recvmmsg/sendmmsg, splice, sendfile, shutdown, close, SO_LINGER-0 closes,
 * connect(AF_UNSPEC), poll/epoll, ioctls, TCP options, module parameters,
 * register/replace/unregister/dump, and short-lived processes in a fresh
 * network namespace that exit with everything still attached.
 *
 * Reproducible from its seed: each thread has its own generator seeded from
 * (seed, thread index), so every thread's sequence of operations is a
 * function of the seed; only their interleaving is not (--threads 1 makes a
 * run fully sequential).  --trace prints every operation before it runs
 * (slow; for narrowing down a report).  The seed is printed first, the
 * operation count last.  Exit status: 0 when the run completed (kernel
 * reports are the runner's business: tests/vm/run turns them into 124), 2
 * when the set-up failed, 3 when a thread got stuck (an operation did not
 * return within 60 s: a hang in the kernel).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <uapi/luaulp.h>

#include "genl.h"
#include "registry.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif
#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY 60
#endif
#ifndef MSG_ZEROCOPY
#define MSG_ZEROCOPY 0x4000000
#endif
#ifndef TCP_ZEROCOPY_RECEIVE
#define TCP_ZEROCOPY_RECEIVE 35
#endif
#ifndef TCP_INQ
#define TCP_INQ 36
#endif

#define MAXTHREADS	32
#define MAXCONNS	64
#define BUFSZ		(320 * 1024)
#define NNAMES		8

/* ---- the generator: xoshiro256**, per thread ---- */

struct rng {
	uint64_t s[4];
};

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL);
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rnd(struct rng *r)
{
	uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

/* Uniform in [0, n). */
static uint64_t below(struct rng *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

static bool chance(struct rng *r, unsigned int percent)
{
	return below(r, 100) < percent;
}

/* A length biased to small values and boundaries around LIMIT. */
static size_t rlen(struct rng *r, size_t limit)
{
	switch (below(r, 8)) {
	case 0: return 0;
	case 1: return 1 + below(r, 16);
	case 2: return limit ? limit - 1 : 0;
	case 3: return limit;
	case 4: return limit + 1;
	case 5: return below(r, limit + 2);
	default: return below(r, 4096);
	}
}

/* ---- shared state ---- */

static uint64_t opt_seed;
static int opt_time = 20, opt_threads = 4, opt_conns = 6;
static bool opt_trace;
static atomic_bool stop;
static atomic_ulong total_ops;
static char *page_none, *page_ro, *page_edge;	/* see setup_pages() */
static long pagesz;
static int lfd4 = -1, lfd6 = -1;
static struct sockaddr_in laddr4;
static struct sockaddr_in6 laddr6;
static pthread_mutex_t accept_lock = PTHREAD_MUTEX_INITIALIZER;

struct conn {
	pthread_rwlock_t lock;	/* ops: read; close/replace: write */
	int fd[2];		/* client, server end; -1 when closed */
	bool v6;
};
static struct conn conns[MAXCONNS];

static const char *const entry_names[] = {
	"on_recv", "on_send", "entry", "e", "f", "nosuch", "coroutine", "_G",
};
static const char *const script_names[NNAMES] = {
	"fz.a", "fz.b", "fz.c", "fz-d", "fz_e", "fz.f.long.name.0123456789",
	"fz.g", "fz.h",
};

enum op {
	OP_SETOPT, OP_GETOPT, OP_ULP, OP_LOAD, OP_ATTACH, OP_ENTRY, OP_SEND,
	OP_RECV, OP_RECVMSG, OP_MMSG, OP_VEC, OP_SPLICE, OP_SENDFILE,
	OP_SHUTDOWN, OP_CLOSE, OP_LINGER, OP_DISCONNECT, OP_POLL, OP_EPOLL,
	OP_IOCTL, OP_TCPOPT, OP_DRAIN, OP_NL_REG, OP_NL_UNREG, OP_NL_DUMP,
	OP_NL_RAW, OP_PARAM, OP_NETNS, OP_NONBLOCK, OP_ZC, OP__MAX,
};
static const char *const op_names[OP__MAX] = {
	"setopt", "getopt", "ulp", "load", "attach", "entry", "send", "recv",
	"recvmsg", "mmsg", "vec", "splice", "sendfile", "shutdown", "close",
	"linger", "disconnect", "poll", "epoll", "ioctl", "tcpopt", "drain",
	"nl_reg", "nl_unreg", "nl_dump", "nl_raw", "param", "netns",
	"nonblock", "zerocopy",
};
/* Relative weights (--only/--without zero some). */
static unsigned int op_weight[OP__MAX] = {
	[OP_SETOPT] = 10, [OP_GETOPT] = 10, [OP_ULP] = 6, [OP_LOAD] = 14,
	[OP_ATTACH] = 6, [OP_ENTRY] = 8, [OP_SEND] = 14, [OP_RECV] = 14,
	[OP_RECVMSG] = 4, [OP_MMSG] = 3, [OP_VEC] = 5, [OP_SPLICE] = 4,
	[OP_SENDFILE] = 3, [OP_SHUTDOWN] = 2, [OP_CLOSE] = 3, [OP_LINGER] = 2,
	[OP_DISCONNECT] = 1, [OP_POLL] = 4, [OP_EPOLL] = 3, [OP_IOCTL] = 4,
	[OP_TCPOPT] = 4, [OP_DRAIN] = 8, [OP_NL_REG] = 4, [OP_NL_UNREG] = 2,
	[OP_NL_DUMP] = 3, [OP_NL_RAW] = 2, [OP_PARAM] = 1, [OP_NETNS] = 1,
	[OP_NONBLOCK] = 2, [OP_ZC] = 1,
};
static atomic_ulong op_count[OP__MAX];
/* Evidence of reach: successful loads, attaches, registrations, and entry
 * calls (from LUAULP_STATS of every socket closed). */
static atomic_ulong n_load_ok, n_attach_ok, n_reg_ok, n_entry_calls, n_resets;

struct thr {
	int idx;
	pthread_t tid;
	struct rng r;
	bool unpriv;
	char *buf;		/* BUFSZ bytes of scratch */
	char *src;		/* scripts are generated here */
	int pipe[2];
	int epfd;
	int filefd;		/* a memfd for sendfile */
	struct lgenl g;
	bool have_genl;
	atomic_long last_progress;	/* monotonic seconds */
	atomic_int cur_op;
	atomic_int ktid;		/* for /proc/self/task/ktid/stack */
};
static struct thr thrs[MAXTHREADS];

static long now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* ---- memory the kernel is handed ---- */

static void setup_pages(void)
{
	char *p;

	pagesz = sysconf(_SC_PAGESIZE);
	page_none = mmap(NULL, pagesz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	page_ro = mmap(NULL, pagesz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p = mmap(NULL, 2 * pagesz, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page_none == MAP_FAILED || page_ro == MAP_FAILED || p == MAP_FAILED) {
		perror("kfuzz: mmap");
		exit(2);
	}
	memcpy(page_ro, "function on_recv(d) return d end", 32);
	memset(page_ro + 32, 'x', pagesz - 32);
	mprotect(page_ro, pagesz, PROT_READ);
	/* A writable page followed by an inaccessible one. */
	mprotect(p + pagesz, pagesz, PROT_NONE);
	memset(p, 'a', pagesz);
	page_edge = p + pagesz;
}

/*
 * A pointer for LEN bytes: usually BUF (holding valid content), sometimes
 * NULL, inaccessible, read-only, a kernel address, or straddling into an
 * inaccessible page.
 */
static void *rptr(struct rng *r, void *buf, size_t len)
{
	switch (below(r, 24)) {
	case 0: return NULL;
	case 1: return page_none + below(r, 64);
	case 2: return page_ro;
	case 3: return (void *)0xffff888000001000UL;
	case 4: return page_edge - 1 - below(r, len && len < (size_t)pagesz ? len : (uint64_t)pagesz);
	case 5: return (void *)1;
	default: return buf;
	}
}

/* ---- the script generator ---- */

struct sbuf {
	char *p;
	size_t len, cap;
};

static void sadd(struct sbuf *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void sadd(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->len >= s->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(s->p + s->len, s->cap - s->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		s->len = s->len + (size_t)n < s->cap ? s->len + (size_t)n : s->cap - 1;
}

static const char *rentry(struct rng *r)
{
	return entry_names[below(r, 4) ? below(r, 3) : below(r, 8)];
}

/* The body of an entry: what it does with (d, n, nb), then a verdict. */
static void gen_body(struct rng *r, struct sbuf *s)
{
	unsigned int i, k = 1 + below(r, 3);

	for (i = 0; i < k; i++) {
		switch (below(r, 30)) {
		case 0: sadd(s, " while true do end\n"); break;
		case 1: sadd(s, " local t = {} while true do t[#t+1] = ('x'):rep(4096) end\n"); break;
		case 2: sadd(s, " error('fz " "%u')\n", (unsigned)below(r, 100)); break;
		case 3: sadd(s, " error(setmetatable({}, {__tostring = function() while true do end end}))\n"); break;
		case 4: sadd(s, " for i = 1, %u do luaulp.send(('s'):rep(%u)) end\n",
			     (unsigned)below(r, 2000), (unsigned)below(r, 70000)); break;
		case 5: sadd(s, " luaulp.store.set('k%u', d, %u)\n", (unsigned)below(r, 20),
			     (unsigned)below(r, 3)); break;
		case 6: sadd(s, " luaulp.store.incr('c%u', %d)\n", (unsigned)below(r, 8),
			     (int)below(r, 5) - 2); break;
		case 7: sadd(s, " local v = luaulp.store.get('k%u') if v then d = d .. tostring(v) end\n",
			     (unsigned)below(r, 20)); break;
		case 8: sadd(s, " luaulp.store.delete('k%u')\n", (unsigned)below(r, 20)); break;
		case 9: sadd(s, " luaulp.store.set(('K'):rep(%u), ('v'):rep(%u))\n",
			     (unsigned)below(r, 300), (unsigned)below(r, 200000)); break;
		case 10: sadd(s, " string.find(('a'):rep(%u), ('a*'):rep(%u) .. 'b')\n",
			      (unsigned)below(r, 20000), (unsigned)below(r, 40)); break;
		case 11: sadd(s, " d = d:gsub('.', function(c) return c:rep(%u) end)\n",
			      (unsigned)below(r, 100)); break;
		case 12: sadd(s, " local x = ('x'):rep(%" PRIu64 ")\n", rnd(r) >> below(r, 64)); break;
		case 13: sadd(s, " local co = coroutine.wrap(function(a) while true do a = coroutine.yield(a .. a) end end)"
			      " for i = 1, %u do d = co(d) end\n", (unsigned)below(r, 30)); break;
		case 14: sadd(s, " coroutine.yield(d)\n"); break;
		case 15: sadd(s, " local function p(n) return pcall(p, n + 1) end p(1)\n"); break;
		case 16: sadd(s, " local function f(n) return f(n + 1) + 1 end f(1)\n"); break;
		case 17: sadd(s, " setmetatable({}, {__gc = function() %s end})\n",
			      chance(r, 50) ? "while true do end" : "error('gc')"); break;
		case 18: sadd(s, " collectgarbage(%s)\n", chance(r, 50) ? "'step'" : ""); break;
		case 19: sadd(s, " local t = {} for i = 1, %u do t[i] = i end table.sort(t, function(a, b) return %s end)\n",
			      (unsigned)below(r, 3000), chance(r, 50) ? "true" : "a > b"); break;
		case 20: sadd(s, " table.unpack({}, 1, %u)\n", (unsigned)below(r, 10000000)); break;
		case 21: sadd(s, " d = string.format('%%%ud', n)\n", (unsigned)below(r, 200)); break;
		case 22: sadd(s, " local q = %" PRId64 " // %d\n", (int64_t)rnd(r), (int)below(r, 3) - 1); break;
		case 23: sadd(s, " buf = (buf or '') .. d if #buf > %u then buf = '' end\n",
			      (unsigned)below(r, 100000)); break;
		case 24: sadd(s, " d = d:upper():sub(%d, %d)\n", (int)below(r, 10) - 5,
			      (int)below(r, 100) - 50); break;
		case 25: sadd(s, " luaulp.log(d)\n"); break;
		case 26: sadd(s, " local s = luaulp.socket.remote_port .. luaulp.time() .. luaulp.clock()\n"); break;
		case 27: sadd(s, " load(d)\n"); break;
		case 28: sadd(s, " d = table.concat({d:byte(1, -1)}, ',')\n"); break;
		default: sadd(s, " d = d .. %u\n", (unsigned)below(r, 1000)); break;
		}
	}
	switch (below(r, 9)) {
	case 0: sadd(s, " return nil\n"); break;
	case 1: sadd(s, " return true\n"); break;
	case 2: sadd(s, " return d\n"); break;
	case 3: sadd(s, " return luaulp.RESET\n"); break;
	case 4: sadd(s, " return ''\n"); break;
	case 5: sadd(s, " return ('r'):rep(%u)\n", (unsigned)below(r, 200000)); break;
	case 6: sadd(s, " return {}\n"); break;
	case 7: sadd(s, " return %d\n", (int)below(r, 5) - 2); break;
	default: sadd(s, " return luaulp.PASS\n"); break;
	}
}

static void gen_nest(struct rng *r, struct sbuf *s)
{
	unsigned int i, depth = below(r, 2) ? below(r, 300) : below(r, 5000);
	static const char *const open[] = { "(", "{", "-", "not ", "#" };
	static const char *const close[] = { ")", "}", "", "", "" };
	unsigned int k = below(r, 5);

	sadd(s, "local x = ");
	for (i = 0; i < depth; i++)
		sadd(s, "%s", open[k]);
	sadd(s, "1");
	for (i = 0; i < depth; i++)
		sadd(s, "%s", close[k]);
	sadd(s, "\n");
}

/* Generate a script into T->src; returns its length. */
static size_t gen_script(struct rng *r, char *out, size_t cap)
{
	struct sbuf s = { out, 0, cap };
	unsigned int i, n;
	static const char *const soup[] = {
		"function", "end", "local", "(", ")", "{", "}", "=", "..", "if",
		"then", "else", "while", "do", "return", "d", "luaulp", ".",
		"send", "store", "'x'", "[[", "]]", "--[==[", ",", "#", "~",
		"//", "goto", "::l::", "\"\\z", "0x7fffffffffffffff", "1e308",
		"...", "\n", "\0",
	};

	switch (below(r, 12)) {
	case 0: /* token soup */
		n = below(r, 200);
		for (i = 0; i < n; i++) {
			const char *t = soup[below(r, sizeof(soup) / sizeof(soup[0]))];

			if (!*t && s.len + 1 < cap)
				out[s.len++] = '\0';
			else
				sadd(&s, "%s ", t);
		}
		return s.len;
	case 1: /* random bytes, sometimes a bytecode header */
		n = below(r, 2048);
		if (chance(r, 30))
			sadd(&s, "\x1bLua\x53");
		for (i = 0; i < n && s.len < cap; i++)
			out[s.len++] = (char)rnd(r);
		return s.len;
	case 2:
		gen_nest(r, &s);
		break;
	case 3: /* a top-level chunk that misbehaves */
		gen_body(r, &s);
		break;
	case 4: /* huge source */
		n = below(r, 4) ? below(r, 70000) : below(r, LUAULP_SCRIPT_MAX + 100);
		sadd(&s, "x = [[");
		while (s.len < n && s.len + 2 < cap)
			out[s.len++] = 'a' + (char)below(r, 26);
		sadd(&s, "]]\n");
		break;
	default:
		break;
	}
	/* Entries. */
	n = 1 + below(r, 3);
	for (i = 0; i < n; i++) {
		sadd(&s, "function %s(d, n, nb)\n", rentry(r));
		gen_body(r, &s);
		sadd(&s, "end\n");
	}
	if (chance(r, 10))
		sadd(&s, "return 1, 'two', {}, nil\n");
	/* Truncate or corrupt now and then. */
	if (chance(r, 8) && s.len)
		s.len = below(r, s.len);
	else if (chance(r, 5) && s.len)
		out[below(r, s.len)] = (char)rnd(r);
	return s.len;
}

/* ---- connections ---- */

static int listener(bool v6)
{
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	socklen_t len;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (v6) {
		laddr6.sin6_family = AF_INET6;
		laddr6.sin6_addr = in6addr_loopback;
		len = sizeof(laddr6);
		if (bind(fd, (struct sockaddr *)&laddr6, len) ||
		    getsockname(fd, (struct sockaddr *)&laddr6, &len))
			goto fail;
	} else {
		laddr4.sin_family = AF_INET;
		laddr4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(laddr4);
		if (bind(fd, (struct sockaddr *)&laddr4, len) ||
		    getsockname(fd, (struct sockaddr *)&laddr4, &len))
			goto fail;
	}
	if (listen(fd, 128))
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

static void set_timeouts(int fd)
{
	struct timeval tv = { 0, 200000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Connect a new pair into C (write-locked by the caller). */
static int conn_open(struct rng *r, struct conn *c)
{
	bool v6 = chance(r, 40);
	int cfd, sfd, fl;
	struct pollfd p;

	cfd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cfd < 0)
		return -1;
	set_timeouts(cfd);
	pthread_mutex_lock(&accept_lock);
	if (chance(r, 30)) {
		/* Non-blocking connect; attach while SYN_SENT, maybe. */
		fl = fcntl(cfd, F_GETFL);
		fcntl(cfd, F_SETFL, fl | O_NONBLOCK);
		connect(cfd, v6 ? (struct sockaddr *)&laddr6 : (struct sockaddr *)&laddr4,
			v6 ? sizeof(laddr6) : sizeof(laddr4));
		if (chance(r, 50))
			setsockopt(cfd, SOL_TCP, TCP_ULP, "lua", 3);
		p.fd = cfd;
		p.events = POLLOUT;
		poll(&p, 1, 1000);
		fcntl(cfd, F_SETFL, fl);
	} else if (connect(cfd, v6 ? (struct sockaddr *)&laddr6 : (struct sockaddr *)&laddr4,
			   v6 ? sizeof(laddr6) : sizeof(laddr4))) {
		pthread_mutex_unlock(&accept_lock);
		close(cfd);
		return -1;
	}
	p.fd = v6 ? lfd6 : lfd4;
	p.events = POLLIN;
	if (poll(&p, 1, 2000) != 1) {
		pthread_mutex_unlock(&accept_lock);
		close(cfd);
		return -1;
	}
	sfd = accept4(v6 ? lfd6 : lfd4, NULL, NULL, SOCK_CLOEXEC | (chance(r, 30) ? SOCK_NONBLOCK : 0));
	pthread_mutex_unlock(&accept_lock);
	if (sfd < 0) {
		close(cfd);
		return -1;
	}
	set_timeouts(sfd);
	c->fd[0] = cfd;
	c->fd[1] = sfd;
	c->v6 = v6;
	return 0;
}

/* ---- netlink ---- */

static void genl_timeouts(struct lgenl *g)
{
	struct timeval tv = { 2, 0 };

	setsockopt(g->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(g->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int nop_cb(const struct nlmsghdr *h, void *arg)
{
	(void)h;
	(*(unsigned long *)arg)++;
	return 0;
}

static void nl_raw(struct thr *t)
{
	struct rng *r = &t->r;
	struct lgenl_msg m;
	unsigned char *b = (unsigned char *)t->buf;
	unsigned int i, n = below(r, 6);
	unsigned long cnt = 0;
	uint8_t cmd = (uint8_t)(below(r, 3) ? below(r, LUAULP_CMD_MAX + 2) : rnd(r));
	uint16_t flags = 0;

	if (chance(r, 50))
		flags |= NLM_F_ACK;
	if (chance(r, 40))
		flags |= NLM_F_DUMP;
	lgenl_msg_init(&m, b, 70000, t->g.family, flags, cmd,
		       chance(r, 80) ? LUAULP_GENL_VERSION : (uint8_t)rnd(r));
	for (i = 0; i < n; i++) {
		uint16_t type = (uint16_t)below(r, LUAULP_A_MAX + 3);
		size_t len = rlen(r, below(r, 2) ? LUAULP_NAME_MAX + 1 : 300);
		char *v = t->src;

		if (chance(r, 20))
			type |= NLA_F_NESTED;
		memset(v, 'n', len);
		if (len && chance(r, 50))
			v[len - 1] = '\0';
		if (chance(r, 30))
			len = gen_script(r, v, 65000);
		lgenl_put(&m, type, v, len);
	}
	lgenl_talk(&t->g, &m, nop_cb, &cnt);
}

/* ---- module parameters ---- */

static void set_param(const char *name, unsigned long v)
{
	char path[128], val[32];
	int fd, n;

	snprintf(path, sizeof(path), "/sys/module/luaulp/parameters/%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = snprintf(val, sizeof(val), "%lu", v);
	if (write(fd, val, (size_t)n) < 0) {
		/* refused values are fine */
	}
	close(fd);
}

static unsigned long get_param(const char *name)
{
	char path[128], val[32] = "";
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/module/luaulp/parameters/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, val, sizeof(val) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	val[n] = '\0';
	if (val[0] == 'Y')
		return 1;
	if (val[0] == 'N')
		return 0;
	return strtoul(val, NULL, 10);
}

static const char *const params[] = {
	"mem_max", "insn_budget", "max_scripts", "store_max_entries",
	"store_max_bytes", "allow_unprivileged_load",
};
#define NPARAMS (sizeof(params) / sizeof(params[0]))
static unsigned long param_default[NPARAMS];

/* ---- a process in its own network namespace that exits mid-flight ---- */

static void netns_child(uint64_t seed)
{
	struct rng r;
	struct ifreq ifr;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int s, l, c, x, i;
	char src[4096];
	struct lgenl g;
	size_t n;

	alarm(10);
	rng_seed(&r, seed, 0xabcdef);
	if (unshare(CLONE_NEWNET))
		_exit(0);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	ifr.ifr_flags = IFF_UP | IFF_RUNNING;
	ioctl(s, SIOCSIFFLAGS, &ifr);
	close(s);
	if (!luaulp_reg_open(&g)) {
		genl_timeouts(&g);
		for (i = 0; i < 3; i++) {
			n = gen_script(&r, src, sizeof(src));
			luaulp_reg_register(&g, script_names[below(&r, NNAMES)], src, n);
		}
		/* The handle stays open: the namespace goes with the process. */
	}
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 8) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		_exit(0);
	for (i = 0; i < 4; i++) {
		c = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(c, (struct sockaddr *)&a, sizeof(a)))
			break;
		x = accept(l, NULL, NULL);
		set_timeouts(c);
		set_timeouts(x);
		setsockopt(c, SOL_TCP, TCP_ULP, "lua", 3);
		setsockopt(x, SOL_TCP, TCP_ULP, "lua", 3);
		n = gen_script(&r, src, sizeof(src));
		setsockopt(x, SOL_LUA, LUAULP_LOADSCRIPT, src, (socklen_t)n);
		setsockopt(c, SOL_LUA, LUAULP_ATTACHNAME, script_names[below(&r, NNAMES)],
			   (socklen_t)strlen(script_names[0]));
		setsockopt(x, SOL_LUA, LUAULP_ENTRYPOINT, "on_recv", 7);
		setsockopt(c, SOL_LUA, LUAULP_SENDENTRY, "on_send", 7);
		if (send(c, src, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
			/* fine */
		}
		if (recv(x, src, sizeof(src), MSG_DONTWAIT) < 0) {
			/* fine */
		}
	}
	_exit(0);	/* everything still open and attached */
}

/* ---- one operation ---- */

static unsigned int weight_total;

static int pick_op(struct rng *r)
{
	unsigned int i, x, total = weight_total;

	x = (unsigned int)below(r, total);
	for (i = 0; i < OP__MAX; i++) {
		if (x < op_weight[i])
			return (int)i;
		x -= op_weight[i];
	}
	return OP_RECV;
}

static int rflags_recv(struct rng *r)
{
	static const int f[] = { MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL, MSG_TRUNC,
				 MSG_OOB, MSG_ERRQUEUE, MSG_CMSG_CLOEXEC };
	int flags = 0;
	unsigned int i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (chance(r, i < 2 ? 30 : 8))
			flags |= f[i];
	/* WAITALL without DONTWAIT waits up to SO_RCVTIMEO: fine. */
	return flags;
}

static int rflags_send(struct rng *r)
{
	static const int f[] = { MSG_DONTWAIT, MSG_MORE, MSG_OOB, MSG_ZEROCOPY,
				 MSG_EOR, MSG_CONFIRM, MSG_FASTOPEN, MSG_DONTROUTE };
	int flags = MSG_NOSIGNAL;
	unsigned int i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (chance(r, i < 2 ? 30 : 6))
			flags |= f[i];
	return flags;
}

static void fill(struct rng *r, char *b, size_t len)
{
	static const char *const reqs[] = {
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"\x16\x03\x01\x00\x05hello",
		"POST /x HTTP/1.0\r\nContent-Length: 99999999999\r\n\r\n",
	};
	size_t i;

	if (chance(r, 30)) {
		const char *q = reqs[below(r, 3)];
		size_t ql = strlen(q);

		for (i = 0; i < len; i++)
			b[i] = q[i % ql];
		return;
	}
	memset(b, 'a' + (int)below(r, 26), len);
	if (len && chance(r, 50))
		b[below(r, len)] = (char)rnd(r);
}

static void account(int fd)
{
	struct luaulp_stats st;
	socklen_t ol = sizeof(st);

	if (!getsockopt(fd, SOL_LUA, LUAULP_STATS, &st, &ol)) {
		atomic_fetch_add(&n_entry_calls, st.recv_calls + st.send_calls);
		atomic_fetch_add(&n_resets, st.resets);
	}
}

static void do_op(struct thr *t, int op)
{
	struct rng *r = &t->r;
	unsigned int ci = (unsigned int)below(r, (uint64_t)opt_conns);
	struct conn *c = &conns[ci];
	int end = (int)below(r, 2), fd, v, i;
	char *b = t->buf;
	socklen_t ol;
	size_t len;
	ssize_t n;
	bool wr = op == OP_CLOSE || op == OP_LINGER;

	if (opt_trace)
		fprintf(stderr, "kfuzz: t%d op %s conn %u end %d\n", t->idx,
			op_names[op], ci, end);

	switch (op) {
	case OP_NL_REG:
		if (t->have_genl) {
			len = gen_script(r, t->src, chance(r, 90) ? 8192 : 66000);
			if (!luaulp_reg_register(&t->g, chance(r, 90) ? script_names[below(r, NNAMES)] :
						 (chance(r, 50) ? "" : "bad name!"), t->src, len))
				atomic_fetch_add(&n_reg_ok, 1);
		}
		return;
	case OP_NL_UNREG:
		if (t->have_genl)
			luaulp_reg_unregister(&t->g, script_names[below(r, NNAMES)]);
		return;
	case OP_NL_DUMP:
		if (t->have_genl) {
			struct lgenl_msg m;
			unsigned long cnt = 0;

			lgenl_msg_init(&m, b, 4096, t->g.family, NLM_F_DUMP,
				       chance(r, 50) ? LUAULP_CMD_GET_SCRIPT : LUAULP_CMD_GET_SOCKET,
				       LUAULP_GENL_VERSION);
			lgenl_talk(&t->g, &m, nop_cb, &cnt);
		}
		return;
	case OP_NL_RAW:
		if (t->have_genl)
			nl_raw(t);
		return;
	case OP_PARAM:
		if (!t->unpriv) {
			unsigned int p = (unsigned int)below(r, NPARAMS);
			unsigned long d = param_default[p];

			if (chance(r, 50) || !d)
				set_param(params[p], d);
			else
				set_param(params[p], p == NPARAMS - 1 ? below(r, 2) :
					  d / 8 + below(r, d * 2));
		}
		return;
	case OP_NETNS: {
		pid_t pid;
		uint64_t s = rnd(r);

		pid = fork();
		if (pid == 0)
			netns_child(s);
		if (pid > 0)
			waitpid(pid, NULL, 0);
		return;
	}
	default:
		break;
	}

	if (wr)
		pthread_rwlock_wrlock(&c->lock);
	else
		pthread_rwlock_rdlock(&c->lock);
	if (c->fd[0] < 0) {
		if (!wr) {
			pthread_rwlock_unlock(&c->lock);
			pthread_rwlock_wrlock(&c->lock);
		}
		if (c->fd[0] < 0)
			conn_open(r, c);
		pthread_rwlock_unlock(&c->lock);
		return;
	}
	fd = c->fd[end];

	switch (op) {
	case OP_SETOPT: {
		int name = below(r, 5) ? (int)(1 + below(r, 9)) : (int)(rnd(r) % 16) - 2;

		len = rlen(r, below(r, 2) ? sizeof(int) : LUAULP_NAME_MAX);
		if (chance(r, 10))
			len = rlen(r, LUAULP_SCRIPT_MAX);
		if (len > BUFSZ)
			len = BUFSZ;
		if (chance(r, 50)) {
			v = (int)(below(r, 3) ? below(r, 3) : rnd(r));
			if (chance(r, 30))
				v = (int)below(r, 300000) - 1000;
			memcpy(b, &v, sizeof(v));
		} else {
			const char *e = rentry(r);

			memcpy(b, e, strlen(e) + 1);
			if (len > strlen(e) + 1)
				fill(r, b + strlen(e) + 1, len - strlen(e) - 1);
		}
		setsockopt(fd, SOL_LUA, name, rptr(r, b, len), (socklen_t)len);
		break;
	}
	case OP_GETOPT: {
		int name = below(r, 5) ? (int)(1 + below(r, 9)) : (int)(rnd(r) % 16) - 2;
		void *olp = &ol;

		ol = (socklen_t)(below(r, 4) ? rlen(r, below(r, 2) ? sizeof(struct luaulp_stats) :
						      LUAULP_ERROR_MAX) : (socklen_t)rnd(r));
		if (ol > BUFSZ && chance(r, 80))
			ol = BUFSZ;
		switch (below(r, 12)) {
		case 0: olp = NULL; break;
		case 1: olp = page_none; break;
		case 2: olp = page_ro; break;
		case 3: olp = page_edge - 2; break;
		default: break;
		}
		getsockopt(fd, SOL_LUA, name, rptr(r, b, ol), olp);
		break;
	}
	case OP_ULP: {
		static const char *const ulps[] = { "lua", "lua", "lua", "tls", "", "luaX",
						    "lua\0x", "mptcp", "lualualualualualuaXX" };
		const char *u = ulps[below(r, 9)];

		if (chance(r, 15)) {
			ol = (socklen_t)rlen(r, 16);
			getsockopt(fd, SOL_TCP, TCP_ULP, rptr(r, b, ol), &ol);
		} else {
			len = chance(r, 80) ? strlen(u) : rlen(r, 20);
			memset(b, 0, 32);
			memcpy(b, u, strlen(u) + 1);
			setsockopt(fd, SOL_TCP, TCP_ULP, rptr(r, b, len), (socklen_t)len);
		}
		break;
	}
	case OP_LOAD:
		if (chance(r, 70))
			setsockopt(fd, SOL_TCP, TCP_ULP, "lua", 3);
		len = gen_script(r, t->src, LUAULP_SCRIPT_MAX + 200);
		if (!setsockopt(fd, SOL_LUA, LUAULP_LOADSCRIPT,
				chance(r, 95) ? t->src : rptr(r, t->src, len), (socklen_t)len))
			atomic_fetch_add(&n_load_ok, 1);
		if (chance(r, 60))
			setsockopt(fd, SOL_LUA, LUAULP_ENTRYPOINT, "on_recv", 7);
		if (chance(r, 40))
			setsockopt(fd, SOL_LUA, LUAULP_SENDENTRY, "on_send", 7);
		if (chance(r, 20)) {
			v = (int)below(r, 2);
			setsockopt(fd, SOL_LUA, LUAULP_ONERROR, &v, sizeof(v));
		}
		if (chance(r, 10)) {
			v = (int)below(r, 300000);
			setsockopt(fd, SOL_LUA, LUAULP_MEMLIMIT, &v, sizeof(v));
		}
		break;
	case OP_ATTACH: {
		const char *nm = script_names[below(r, NNAMES)];

		if (chance(r, 70))
			setsockopt(fd, SOL_TCP, TCP_ULP, "lua", 3);
		len = chance(r, 85) ? strlen(nm) : rlen(r, LUAULP_NAME_MAX);
		memset(b, '.', LUAULP_NAME_MAX + 2);
		memcpy(b, nm, strlen(nm));
		if (!setsockopt(fd, SOL_LUA, LUAULP_ATTACHNAME, rptr(r, b, len), (socklen_t)len))
			atomic_fetch_add(&n_attach_ok, 1);
		if (chance(r, 60))
			setsockopt(fd, SOL_LUA, LUAULP_ENTRYPOINT, "on_recv", 7);
		if (chance(r, 40))
			setsockopt(fd, SOL_LUA, LUAULP_SENDENTRY, "on_send", 7);
		break;
	}
	case OP_ENTRY: {
		const char *e = rentry(r);

		setsockopt(fd, SOL_LUA, chance(r, 60) ? LUAULP_ENTRYPOINT : LUAULP_SENDENTRY,
			   e, (socklen_t)strlen(e));
		break;
	}
	case OP_SEND:
		len = below(r, 4) ? below(r, 4096) : below(r, BUFSZ);
		fill(r, b, len);
		if (chance(r, 50))
			n = send(fd, rptr(r, b, len), len, rflags_send(r));
		else
			n = write(fd, rptr(r, b, len), len);
		break;
	case OP_RECV:
		len = below(r, 4) ? below(r, 4096) : below(r, BUFSZ);
		n = recv(fd, rptr(r, b, len), len, rflags_recv(r));
		break;
	case OP_RECVMSG: {
		struct iovec iov[4];
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = below(r, 5) };
		char cbuf[256];

		for (i = 0; i < 4; i++) {
			iov[i].iov_len = below(r, 3) ? below(r, 2000) : 0;
			iov[i].iov_base = rptr(r, b + i * 65536, iov[i].iov_len);
		}
		if (chance(r, 40)) {
			mh.msg_control = cbuf;
			mh.msg_controllen = below(r, sizeof(cbuf));
		}
		if (chance(r, 50))
			n = recvmsg(fd, &mh, rflags_recv(r));
		else
			n = sendmsg(fd, &mh, rflags_send(r));
		break;
	}
	case OP_MMSG: {
		struct mmsghdr mm[4];
		struct iovec iov[4];
		struct timespec ts = { 0, 1000000 };

		memset(mm, 0, sizeof(mm));
		for (i = 0; i < 4; i++) {
			iov[i].iov_len = below(r, 3000);
			iov[i].iov_base = b + i * 4096;
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		if (chance(r, 50))
			n = recvmmsg(fd, mm, (unsigned int)below(r, 5), rflags_recv(r) | MSG_DONTWAIT,
				     chance(r, 50) ? &ts : NULL);
		else
			n = sendmmsg(fd, mm, (unsigned int)below(r, 5), rflags_send(r));
		break;
	}
	case OP_VEC: {
		struct iovec iov[8];
		int cnt = (int)below(r, 9);

		for (i = 0; i < 8; i++) {
			iov[i].iov_len = below(r, 4) ? below(r, 3000) : 0;
			iov[i].iov_base = rptr(r, b + i * 8192, iov[i].iov_len);
		}
		if (chance(r, 50)) {
			n = readv(fd, iov, cnt);
		} else {
			fill(r, b, 65536);
			n = writev(fd, iov, cnt);
		}
		break;
	}
	case OP_SPLICE: {
		unsigned int fl = chance(r, 50) ? SPLICE_F_NONBLOCK : 0;

		if (chance(r, 60)) {
			n = splice(fd, NULL, t->pipe[1], NULL, below(r, 70000),
				   fl | SPLICE_F_NONBLOCK);
		} else {
			len = below(r, 8192);
			fill(r, b, len);
			if (write(t->pipe[1], b, len) < 0) {
				/* pipe full: fine */
			}
			n = splice(t->pipe[0], NULL, fd, NULL, below(r, 70000),
				   fl | (chance(r, 50) ? SPLICE_F_MORE : 0));
		}
		/* Keep the pipe from filling up. */
		while (read(t->pipe[0], b, 65536) > 0)
			;
		break;
	}
	case OP_SENDFILE: {
		off_t off = (off_t)below(r, 70000);

		n = sendfile(fd, t->filefd, chance(r, 80) ? &off : NULL, below(r, 100000));
		break;
	}
	case OP_SHUTDOWN:
		shutdown(fd, (int)below(r, 3));
		break;
	case OP_CLOSE:
	case OP_LINGER:
		if (op == OP_LINGER) {
			struct linger lg = { 1, 0 };

			setsockopt(c->fd[below(r, 2)], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		}
		for (i = 0; i < 2; i++)
			account(c->fd[i]);
		if (chance(r, 50)) {
			close(c->fd[0]);
			close(c->fd[1]);
		} else {
			close(c->fd[1]);
			close(c->fd[0]);
		}
		c->fd[0] = c->fd[1] = -1;
		if (chance(r, 70))
			conn_open(r, c);
		break;
	case OP_DISCONNECT: {
		struct sockaddr sa = { .sa_family = AF_UNSPEC };

		connect(fd, &sa, sizeof(sa));
		break;
	}
	case OP_POLL: {
		struct pollfd p[2] = {
			{ c->fd[0], POLLIN | POLLOUT | POLLRDHUP | POLLPRI, 0 },
			{ c->fd[1], POLLIN | POLLOUT | POLLRDHUP | POLLPRI, 0 },
		};

		poll(p, 2, (int)below(r, 5));
		break;
	}
	case OP_EPOLL: {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP |
					  (chance(r, 50) ? EPOLLET : 0) };
		struct epoll_event out[8];

		ev.data.fd = fd;
		if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev))
			epoll_ctl(t->epfd, chance(r, 30) ? EPOLL_CTL_DEL : EPOLL_CTL_MOD, fd, &ev);
		epoll_wait(t->epfd, out, 8, (int)below(r, 3));
		break;
	}
	case OP_IOCTL: {
		static const unsigned long req[] = { FIONREAD, SIOCOUTQ, SIOCOUTQNSD,
						     SIOCATMARK, FIONBIO };

		v = 0;
		ioctl(fd, req[below(r, 5)], rptr(r, &v, sizeof(v)));
		break;
	}
	case OP_TCPOPT: {
		int val = (int)(below(r, 3) ? below(r, 2) : below(r, 100000));

		switch (below(r, 10)) {
		case 0: setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &val, sizeof(val)); break;
		case 1: val = 1 + (int)below(r, 8192);
			setsockopt(fd, SOL_SOCKET, below(r, 2) ? SO_RCVBUF : SO_SNDBUF, &val, sizeof(val));
			break;
		case 2: setsockopt(fd, SOL_TCP, TCP_NODELAY, &val, sizeof(val)); break;
		case 3: setsockopt(fd, SOL_TCP, TCP_CORK, &val, sizeof(val)); break;
		case 4: setsockopt(fd, SOL_TCP, TCP_INQ, &val, sizeof(val)); break;
		case 5: setsockopt(fd, SOL_SOCKET, SO_TIMESTAMP, &val, sizeof(val)); break;
		case 6: {
			struct tcp_zerocopy_receive zc;

			memset(&zc, 0, sizeof(zc));
			ol = sizeof(zc);
			getsockopt(fd, SOL_TCP, TCP_ZEROCOPY_RECEIVE, &zc, &ol);
			break;
		}
		case 7: {
			void *m = mmap(NULL, 65536, PROT_READ, MAP_SHARED, fd, 0);

			if (m != MAP_FAILED)
				munmap(m, 65536);
			break;
		}
		case 8: val = !!val;
			setsockopt(fd, SOL_TCP, TCP_REPAIR, &val, sizeof(val));
			val = 0;
			setsockopt(fd, SOL_TCP, TCP_REPAIR, &val, sizeof(val));
			break;
		default: {
			struct tcp_info ti;

			ol = sizeof(ti);
			getsockopt(fd, SOL_TCP, TCP_INFO, &ti, &ol);
			break;
		}
		}
		break;
	}
	case OP_DRAIN:
		for (i = 0; i < 16; i++)
			if (recv(fd, b, 65536, MSG_DONTWAIT) <= 0)
				break;
		break;
	case OP_NONBLOCK: {
		int fl = fcntl(fd, F_GETFL);

		fcntl(fd, F_SETFL, fl ^ O_NONBLOCK);
		break;
	}
	case OP_ZC:
		v = 1;
		setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, &v, sizeof(v));
		len = below(r, 20000);
		fill(r, b, len);
		n = send(fd, b, len, MSG_ZEROCOPY | MSG_DONTWAIT | MSG_NOSIGNAL);
		n = recv(fd, b, 4096, MSG_ERRQUEUE | MSG_DONTWAIT);
		break;
	default:
		break;
	}
	(void)n;
	pthread_rwlock_unlock(&c->lock);
}

/* Where a stuck thread is: its state and kernel stack, three times a
 * second apart (running a script, or waiting, and on what). */
static void show_stuck(struct thr *t)
{
	char path[64], line[256];
	int k;

	for (k = 0; k < 3; k++) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/task/%d/stat",
			 atomic_load(&t->ktid));
		f = fopen(path, "r");
		if (f && fgets(line, sizeof(line), f)) {
			char *st = strrchr(line, ')');

			printf("kfuzz: t%d state %c\n", t->idx, st && st[1] ? st[2] : '?');
		}
		if (f)
			fclose(f);
		snprintf(path, sizeof(path), "/proc/self/task/%d/stack",
			 atomic_load(&t->ktid));
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			printf("kfuzz:   %s", line);
		if (f)
			fclose(f);
		fflush(stdout);
		sleep(1);
	}
}

static void *worker(void *arg)
{
	struct thr *t = arg;
	int op;

	atomic_store(&t->ktid, (int)syscall(SYS_gettid));
	if (t->unpriv && syscall(SYS_setresuid, 65534, 65534, 65534)) {
		fprintf(stderr, "kfuzz: t%d: setresuid: %s\n", t->idx, strerror(errno));
		t->unpriv = false;
	}
	while (!atomic_load(&stop)) {
		op = pick_op(&t->r);
		atomic_store(&t->cur_op, op);
		do_op(t, op);
		atomic_store(&t->last_progress, now_s());
		atomic_fetch_add(&op_count[op], 1);
		atomic_fetch_add(&total_ops, 1);
	}
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: kfuzz [--seed N] [--time SECS] [--threads N] [--conns N] [--trace]\n"
		"             [--only OP,OP...] [--without OP,OP...]\n");
	exit(2);
}

/* Keep (only) or drop (!only) the operations named in LIST. */
static void select_ops(const char *list, bool only)
{
	bool named[OP__MAX] = { false };
	char *copy = strdup(list), *tok, *save = NULL;
	int i;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < OP__MAX; i++)
			if (!strcmp(tok, op_names[i]))
				break;
		if (i == OP__MAX) {
			fprintf(stderr, "kfuzz: unknown operation %s\n", tok);
			exit(2);
		}
		named[i] = true;
	}
	free(copy);
	for (i = 0; i < OP__MAX; i++)
		if (named[i] != only)
			op_weight[i] = 0;
}

int main(int argc, char **argv)
{
	struct timespec ts;
	pthread_rwlockattr_t ra;
	long start, last_report;
	unsigned long base_live, live;
	int i, stuck = 0;
	bool seeded = false;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--trace")) {
			opt_trace = true;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		if (!strcmp(a, "--seed")) {
			opt_seed = strtoull(argv[++i], NULL, 0);
			seeded = true;
		} else if (!strcmp(a, "--time")) {
			opt_time = atoi(argv[++i]);
		} else if (!strcmp(a, "--threads")) {
			opt_threads = atoi(argv[++i]);
		} else if (!strcmp(a, "--conns")) {
			opt_conns = atoi(argv[++i]);
		} else if (!strcmp(a, "--only")) {
			select_ops(argv[++i], true);
		} else if (!strcmp(a, "--without")) {
			select_ops(argv[++i], false);
		} else {
			usage();
		}
	}
	if (opt_threads < 1 || opt_threads > MAXTHREADS || opt_conns < 1 ||
	    opt_conns > MAXCONNS || opt_time < 1)
		usage();
	if (!seeded) {
		clock_gettime(CLOCK_REALTIME, &ts);
		opt_seed = ((uint64_t)ts.tv_sec * 1000000007ULL) ^ (uint64_t)ts.tv_nsec ^
			   ((uint64_t)getpid() << 32);
	}
	printf("kfuzz: seed %" PRIu64 " threads %d conns %d time %d\n", opt_seed,
	       opt_threads, opt_conns, opt_time);
	fflush(stdout);

	for (i = 0; i < OP__MAX; i++)
		weight_total += op_weight[i];
	if (!weight_total)
		usage();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	setup_pages();
	lfd4 = listener(false);
	lfd6 = listener(true);
	if (lfd4 < 0 || lfd6 < 0) {
		perror("kfuzz: listen");
		return 2;
	}
	for (i = 0; i < (int)NPARAMS; i++)
		param_default[i] = get_param(params[i]);
	base_live = get_param("live_bytes");

	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	for (i = 0; i < opt_conns; i++) {
		struct rng r;

		rng_seed(&r, opt_seed, 1000 + (uint64_t)i);
		pthread_rwlock_init(&conns[i].lock, &ra);
		conns[i].fd[0] = conns[i].fd[1] = -1;
		if (conn_open(&r, &conns[i])) {
			perror("kfuzz: connect");
			return 2;
		}
	}

	for (i = 0; i < opt_threads; i++) {
		struct thr *t = &thrs[i];

		t->idx = i;
		rng_seed(&t->r, opt_seed, (uint64_t)i + 1);
		/* Every fourth thread drops root (per thread: raw setresuid). */
		t->unpriv = opt_threads > 2 && i % 4 == 3;
		t->buf = malloc(BUFSZ);
		t->src = malloc(LUAULP_SCRIPT_MAX + 4096);
		t->epfd = epoll_create1(EPOLL_CLOEXEC);
		t->filefd = memfd_create("kfuzz", MFD_CLOEXEC);
		if (!t->buf || !t->src || t->epfd < 0 || t->filefd < 0 ||
		    pipe2(t->pipe, O_CLOEXEC | O_NONBLOCK)) {
			perror("kfuzz: thread set-up");
			return 2;
		}
		memset(t->buf, 'f', BUFSZ);
		if (write(t->filefd, t->buf, 100000) != 100000) {
			perror("kfuzz: memfd");
			return 2;
		}
		t->have_genl = !luaulp_reg_open(&t->g);
		if (t->have_genl)
			genl_timeouts(&t->g);
		else if (i == 0)
			fprintf(stderr, "kfuzz: no luaulp netlink family: registry not fuzzed\n");
		atomic_store(&t->last_progress, now_s());
		if (pthread_create(&t->tid, NULL, worker, t)) {
			perror("kfuzz: pthread_create");
			return 2;
		}
	}

	start = last_report = now_s();
	while (now_s() - start < opt_time) {
		long tnow;

		sleep(1);
		tnow = now_s();
		for (i = 0; i < opt_threads; i++) {
			long lp = atomic_load(&thrs[i].last_progress);

			if (tnow - lp > 60 && !stuck) {
				printf("kfuzz: thread %d stuck for %lds in %s\n", i, tnow - lp,
				       op_names[atomic_load(&thrs[i].cur_op)]);
				show_stuck(&thrs[i]);
				stuck = 1;
			}
		}
		if (stuck)
			break;
		if (tnow - last_report >= 60) {
			printf("kfuzz: %lds: %lu operations\n", tnow - start,
			       atomic_load(&total_ops));
			fflush(stdout);
			last_report = tnow;
		}
	}
	atomic_store(&stop, true);
	if (stuck) {
		fflush(stdout);
		return 3;
	}
	for (i = 0; i < opt_threads; i++)
		pthread_join(thrs[i].tid, NULL);
	for (i = 0; i < opt_conns; i++) {
		if (conns[i].fd[0] >= 0) {
			account(conns[i].fd[0]);
			account(conns[i].fd[1]);
			close(conns[i].fd[0]);
			close(conns[i].fd[1]);
		}
	}
	for (i = 0; i < (int)NPARAMS; i++)
		set_param(params[i], param_default[i]);
	for (i = 0; i < opt_threads; i++) {
		if (thrs[i].have_genl) {
			int k;

			for (k = 0; k < NNAMES; k++)
				luaulp_reg_unregister(&thrs[i].g, script_names[k]);
			lgenl_close(&thrs[i].g);
			break;
		}
	}
	/* Sockets close asynchronously (lingering FINs): wait for the states. */
	for (i = 0; i < 100; i++) {
		live = get_param("live_bytes");
		if (live <= base_live)
			break;
		usleep(100000);
	}
	live = get_param("live_bytes");
	{
		long secs = now_s() - start;
		unsigned long tot = atomic_load(&total_ops);

		printf("kfuzz: seed %" PRIu64 ": %lu operations in %lds (%lu/s); live bytes %lu (at start %lu)\n",
		       opt_seed, tot, secs, secs ? tot / (unsigned long)secs : tot, live, base_live);
		printf("kfuzz: reach: %lu scripts loaded, %lu attached by name, %lu registered, %lu entry calls, %lu resets (closed sockets)\n",
		       atomic_load(&n_load_ok), atomic_load(&n_attach_ok), atomic_load(&n_reg_ok),
		       atomic_load(&n_entry_calls), atomic_load(&n_resets));
		printf("kfuzz: per operation:");
		for (i = 0; i < OP__MAX; i++)
			printf(" %s=%lu", op_names[i], atomic_load(&op_count[i]));
		printf("\n");
	}
	return 0;
}
