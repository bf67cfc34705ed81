// SPDX-License-Identifier: GPL-2.0
/*
 * libluaulp.so: LD_PRELOAD shim that scripts the TCP sockets of unmodified
 * programs.  Interposes accept, accept4, connect and __connect.  A
 * non-blocking connect is scripted right away: the module accepts the ULP
 * during the handshake (SYN-SENT).
 *
 * The policy is read once, in the constructor: nginx wipes its environment
 * and drops privileges before its workers accept.  After that it is
 * read-only and shared by all threads without locks.  Calls that arrive
 * before the constructor has finished pass straight through.
 *
 * Rules of conduct: errno is preserved; the caller's fd is returned unless
 * a fail-closed rule says otherwise; nothing is written to the host's
 * stderr unless LUAULP_LOG=stderr; each socket is attached at most once
 * (EEXIST with ULP "lua" already there is success); a missing module is
 * tried once a minute per process, not once per socket; LUAULP_* are read
 * with secure_getenv (ignored under AT_SECURE).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/tcp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <uapi/luaulp.h>

#include "attach.h"
#include "log.h"
#include "policy.h"

#define EXPORT __attribute__((visibility("default")))

typedef int (*accept_fn)(int, struct sockaddr *, socklen_t *);
typedef int (*accept4_fn)(int, struct sockaddr *, socklen_t *, int);
typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);

/* Resolved once with dlsym(RTLD_NEXT); racing threads store the same
 * value.  NULL after resolution (no next definition): raw syscall. */
static struct {
	accept_fn accept;
	accept4_fn accept4;
	connect_fn connect;
	connect_fn __connect;
} real;

static void *resolve(void **slot, const char *name)
{
	void *f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

	if (!f) {
		int saved = errno;

		f = dlsym(RTLD_NEXT, name);
		errno = saved;
		if (f)
			__atomic_store_n(slot, f, __ATOMIC_RELEASE);
	}
	return f;
}

#define REAL(fn) ((__typeof__(real.fn))resolve((void **)&real.fn, #fn))

static int call_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	accept4_fn f = REAL(accept4);

	return f ? f(fd, addr, len, flags) :
		   (int)syscall(SYS_accept4, fd, addr, len, flags);
}

static int call_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	connect_fn f = REAL(connect);

	return f ? f(fd, addr, len) : (int)syscall(SYS_connect, fd, addr, len);
}

static struct {
	struct luaulp_policy policy;
	unsigned int dirs;	/* directions with rules */
	bool fail_all;		/* invalid policy with on_invalid = closed */
	char exe[PATH_MAX];
} st;
static int ready;		/* set (release) when st is complete */

static unsigned long enoent_seen, failures_seen;

/*
 * "Module absent" latch.  TCP_ULP gets ENOENT when luaulp.ko is not loaded,
 * and for a CAP_NET_ADMIN caller each try runs request_module() (a modprobe)
 * first.  After an ENOENT the process stops trying for ABSENT_RETRY seconds
 * (CLOCK_MONOTONIC), then lets one socket try again: at most one attempt per
 * period per process, inherited by forked children.  0 = not latched.
 */
#define ABSENT_RETRY 60
static long absent_until;

static long now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec + 1;	/* never 0 */
}

/* True while the latch says "do not try". */
static bool module_absent(void)
{
	long until = __atomic_load_n(&absent_until, __ATOMIC_RELAXED);

	if (!until)
		return false;
	if (now_sec() < until)
		return true;
	/* One thread wins the retry; the others keep skipping meanwhile. */
	return !__atomic_compare_exchange_n(&absent_until, &until,
					    now_sec() + ABSENT_RETRY, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

static void module_seen(int err, const char *step)
{
	if (!strcmp(step, "attach") && err == ENOENT)
		__atomic_store_n(&absent_until, now_sec() + ABSENT_RETRY,
				 __ATOMIC_RELAXED);
	else if (__atomic_load_n(&absent_until, __ATOMIC_RELAXED))
		__atomic_store_n(&absent_until, 0, __ATOMIC_RELAXED);
}

/* Already carrying ULP "lua" (a repeated connect() after EINPROGRESS, a
 * program that attached it itself): the socket is done. */
static bool has_lua_ulp(int fd)
{
	char name[16] = "";
	socklen_t len = sizeof(name);

	return !getsockopt(fd, SOL_TCP, TCP_ULP, name, &len) &&
	       !strncmp(name, "lua", sizeof(name));
}

/* ENOTCONN from TCP_ULP on an accepted socket: say why, from its state. */
static const char *unscriptable(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, SOL_TCP, TCP_INFO, &ti, &len))
		return "it is not connected";
	switch (ti.tcpi_state) {
	case TCP_CLOSE:
		return "the peer already reset or closed the connection "
		       "(state CLOSE), its queued data cannot be scripted";
	case TCP_SYN_RECV:
		return "the connection is still in SYN-RECV (TCP Fast Open) "
		       "and this luaulp module cannot script it yet";
	default:
		return "the kernel refused to script it in this state";
	}
}

static bool is_ready(void)
{
	return __atomic_load_n(&ready, __ATOMIC_ACQUIRE);
}

static bool is_tcp(int fd)
{
	int proto = 0;
	socklen_t len = sizeof(proto);

	return !getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) &&
	       proto == IPPROTO_TCP;
}

/* Abort the connection: the peer gets an RST, never a clean FIN. */
static void set_linger0(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

static void report(int fd, const struct luaulp_rule *r, const char *dir,
		   int err, const char *step)
{
	char msg[LUAULP_ERROR_MAX] = "";

	if (!err) {
		log_info("fd %d: %s: rule \"%s\" attached (script %s, entry %s)",
			 fd, dir, r->name,
			 r->script_name ? r->script_name : r->script_path, r->entry);
		return;
	}
	if (err == ENOENT && !strcmp(step, "attach")) {
		/* One line per process: the module is simply not loaded. */
		if (__atomic_fetch_add(&enoent_seen, 1, __ATOMIC_RELAXED) == 0)
			log_warn("TCP ULP \"lua\" not available (module luaulp not "
				 "loaded): sockets stay unscripted, failing %s "
				 "(rule \"%s\")", luaulp_fail_name(r->fail), r->name);
		else
			log_debug("fd %d: %s: rule \"%s\": module not loaded", fd, dir,
				  r->name);
		return;
	}
	if (err == ENOTCONN && !strcmp(step, "attach")) {
		/* Never silent: the attacker may have chosen this. */
		log_warn("fd %d: %s: rule \"%s\": cannot attach: %s; failing %s",
			 fd, dir, r->name, unscriptable(fd),
			 luaulp_fail_name(r->fail));
		return;
	}
	if (strcmp(step, "attach"))
		luaulp_attach_error(fd, msg, sizeof(msg));
	if (__atomic_fetch_add(&failures_seen, 1, __ATOMIC_RELAXED) < 20)
		log_warn("fd %d: %s: rule \"%s\": %s failed: %s%s%s; failing %s", fd,
			 dir, r->name, step, strerror(err), msg[0] ? ": " : "", msg,
			 luaulp_fail_name(r->fail));
	else
		log_debug("fd %d: %s: rule \"%s\": %s failed: %s%s%s", fd, dir,
			  r->name, step, strerror(err), msg[0] ? ": " : "", msg);
}

/*
 * Script FD with rule R: 0 when it carries the script (or already carried
 * ULP "lua"), else the errno for the rule's fail policy.  Logs.
 */
static int script_socket(int fd, const struct luaulp_rule *r, const char *dir)
{
	const char *step = "attach";
	int err;

	if (module_absent()) {
		log_debug("fd %d: %s: rule \"%s\": module not loaded (not retried "
			  "before %d s have passed)", fd, dir, r->name, ABSENT_RETRY);
		return ENOENT;
	}
	err = luaulp_attach(fd, r, &step);
	if (err == EEXIST && !strcmp(step, "attach") && has_lua_ulp(fd)) {
		log_debug("fd %d: %s: rule \"%s\": already scripted", fd, dir,
			  r->name);
		return 0;
	}
	module_seen(err, step);
	report(fd, r, dir, err, step);
	return err;
}

/* Returns the fd to hand back, or -1 with errno for fail-closed. */
static int after_accept(int fd)
{
	int saved = errno;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	const struct luaulp_rule *r;
	int err;

	if (!is_ready() || (!(st.dirs & LUAULP_DIR_ACCEPT) && !st.fail_all))
		return fd;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
		goto out;
	if (st.fail_all) {
		if (!is_tcp(fd))
			goto out;
		log_debug("fd %d: accept refused: the policy is invalid", fd);
		goto refuse;
	}
	/* Match first: it costs no system call. */
	r = luaulp_policy_match(&st.policy, LUAULP_DIR_ACCEPT,
				(struct sockaddr *)&ss, len);
	if (!r || !is_tcp(fd))
		goto out;
	err = script_socket(fd, r, "accept");
	if (err && r->fail == LUAULP_FAIL_CLOSED)
		goto refuse;
out:
	errno = saved;
	return fd;
refuse:
	set_linger0(fd);
	close(fd);
	errno = ECONNABORTED;
	return -1;
}

/*
 * Fail-closed connects.  connect(AF_UNSPEC) aborts the connection in place
 * (an RST if it was established; a SYN-SENT handshake is dropped) and the
 * caller keeps its fd.  No SO_LINGER is needed for that, so none is left
 * behind on a socket the caller may connect again.
 *
 * After a non-blocking connect the caller gets what the kernel said,
 * -1/EINPROGRESS, and learns the outcome as from any failed handshake:
 * poll reports POLLERR|POLLHUP and SO_ERROR reads ECONNRESET (the kernel's
 * error for an aborted SYN-SENT).  Aborting leaves the socket unconnected,
 * so a repeated connect() (Ruby's connect_nonblock, Perl's IO::Socket::IP)
 * would start a new handshake: the fd and its inode are remembered here and
 * such a call fails with ECONNREFUSED instead, without reaching the kernel.
 */
#define REFUSED_SLOTS 64
static struct {
	int fd;			/* -1 free; racing writers are harmless: a */
	unsigned long ino;	/* lost entry only allows a new handshake */
} refused[REFUSED_SLOTS] = { [0 ... REFUSED_SLOTS - 1] = { .fd = -1 } };

static unsigned long sock_ino(int fd)
{
	struct stat sb;

	return fstat(fd, &sb) ? 0 : (unsigned long)sb.st_ino;
}

static void refused_add(int fd)
{
	unsigned int slot = (unsigned int)fd % REFUSED_SLOTS;

	__atomic_store_n(&refused[slot].ino, sock_ino(fd), __ATOMIC_RELAXED);
	__atomic_store_n(&refused[slot].fd, fd, __ATOMIC_RELEASE);
}

/* FD is a socket this process refused (and has not closed since). */
static bool refused_before(int fd)
{
	unsigned int slot;
	unsigned long ino;

	if (fd < 0)
		return false;
	slot = (unsigned int)fd % REFUSED_SLOTS;
	if (__atomic_load_n(&refused[slot].fd, __ATOMIC_ACQUIRE) != fd)
		return false;
	ino = __atomic_load_n(&refused[slot].ino, __ATOMIC_RELAXED);
	return ino && sock_ino(fd) == ino;
}

static void reset_connection(int fd)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };

	call_connect(fd, &sa, sizeof(sa));
}

/* RET/errno: what the real connect returned.  Returns what to return. */
static int after_connect(int fd, const struct sockaddr *addr, socklen_t alen,
			 int ret)
{
	int saved = errno;
	const struct luaulp_rule *r;
	int err;

	if (!is_ready() || !addr || (ret && saved != EINPROGRESS))
		return ret;
	if (addr->sa_family != AF_INET && addr->sa_family != AF_INET6)
		return ret;
	if (!(st.dirs & LUAULP_DIR_CONNECT) && !st.fail_all)
		return ret;
	if (st.fail_all) {
		if (!is_tcp(fd))
			goto out;
		log_debug("fd %d: connect refused: the policy is invalid", fd);
		goto refuse;
	}
	r = luaulp_policy_match(&st.policy, LUAULP_DIR_CONNECT, addr, alen);
	if (!r || !is_tcp(fd))
		goto out;
	err = script_socket(fd, r, "connect");
	if (err && r->fail == LUAULP_FAIL_CLOSED)
		goto refuse;
out:
	errno = saved;
	return ret;
refuse:
	reset_connection(fd);
	if (ret) {
		/* Non-blocking: the error comes through SO_ERROR. */
		refused_add(fd);
		errno = EINPROGRESS;
		return -1;
	}
	errno = ECONNREFUSED;
	return -1;
}

/* A repeated connect() on a socket refused above fails like the kernel's
 * repeated connect() after a failed handshake. */
static bool connect_refused(int fd, const struct sockaddr *addr)
{
	if (!is_ready() || !addr || addr->sa_family == AF_UNSPEC ||
	    !refused_before(fd))
		return false;
	errno = ECONNREFUSED;
	return true;
}

EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	accept_fn f = REAL(accept);
	int ret;

	ret = f ? f(fd, addr, len) : (int)syscall(SYS_accept4, fd, addr, len, 0);
	return ret < 0 ? ret : after_accept(ret);
}

EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	int ret = call_accept4(fd, addr, len, flags);

	return ret < 0 ? ret : after_accept(ret);
}

EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	if (connect_refused(fd, addr))
		return -1;
	return after_connect(fd, addr, len, call_connect(fd, addr, len));
}

EXPORT int __connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	connect_fn f = REAL(__connect);
	int ret;

	if (connect_refused(fd, addr))
		return -1;
	ret = f ? f(fd, addr, len) : call_connect(fd, addr, len);
	return after_connect(fd, addr, len, ret);
}

static void find_exe(void)
{
	static const char deleted[] = " (deleted)";
	ssize_t n = readlink("/proc/self/exe", st.exe, sizeof(st.exe) - 1);
	size_t dl = sizeof(deleted) - 1;

	if (n < 0)
		n = 0;
	st.exe[n] = '\0';
	if ((size_t)n > dl && !strcmp(st.exe + n - dl, deleted))
		st.exe[n - dl] = '\0';
}

static void policy_invalid(const char *err)
{
	if (st.policy.on_invalid == LUAULP_FAIL_CLOSED) {
		st.fail_all = true;
		log_err("%s; every TCP accept/connect fails (on_invalid = closed)", err);
	} else {
		log_err("%s; interception disabled", err);
	}
	luaulp_policy_free(&st.policy);
	st.dirs = 0;
}

__attribute__((constructor)) static void luaulp_shim_init(void)
{
	int saved = errno;
	/* secure_getenv: NULL in setuid/setgid/file-capability programs
	 * (AT_SECURE), which /etc/ld.so.preload reaches: an attacker's
	 * environment must not pick the files root opens or writes. */
	const char *conf = secure_getenv("LUAULP_CONF");
	const char *logdest = secure_getenv("LUAULP_LOG");
	const char *loglevel = secure_getenv("LUAULP_LOG_LEVEL");
	const char *inval = secure_getenv("LUAULP_ON_INVALID");
	int level = loglevel ? luaulp_log_level_parse(loglevel) : -1;
	char err[LUAULP_POLICY_ERRMAX];
	size_t kept;

	if (luaulp_log_open(logdest, level) && logdest)
		log_err("LUAULP_LOG=%s: %s; logging to syslog", logdest, strerror(errno));
	find_exe();
	if (!conf || !*conf) {
		conf = LUAULP_CONF_DEFAULT;
		if (access(conf, F_OK) && errno == ENOENT) {
			log_debug("%s: no such file; nothing to do", conf);
			goto out;
		}
	}
	if (luaulp_policy_load(&st.policy, conf, err)) {
		if (inval && !strcmp(inval, "closed"))
			st.policy.on_invalid = LUAULP_FAIL_CLOSED;
		policy_invalid(err);
		goto out;
	}
	if (inval && !strcmp(inval, "closed"))
		st.policy.on_invalid = LUAULP_FAIL_CLOSED;
	if ((!logdest && st.policy.log) || (level < 0 && st.policy.log_level >= 0)) {
		const char *dest = logdest ? logdest : st.policy.log;

		if (luaulp_log_open(dest, level >= 0 ? level : st.policy.log_level))
			log_err("log %s: %s; logging to syslog", dest, strerror(errno));
	}
	kept = luaulp_policy_filter_exe(&st.policy, st.exe);
	if (luaulp_policy_load_scripts(&st.policy, err)) {
		policy_invalid(err);
		goto out;
	}
	st.dirs = luaulp_policy_dirs(&st.policy);
	if (kept)
		luaulp_attach_prepare(&st.policy);
	log_debug("%s: %zu rule(s) apply to %s", conf, kept,
		  st.exe[0] ? st.exe : "(unknown executable)");
out:
	__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
	errno = saved;
}
