/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * luaulp: Lua scripting of TCP sockets, as the TCP Upper Layer Protocol "lua".
 *
 * Attach:   setsockopt(fd, SOL_TCP, TCP_ULP, "lua", 3)
 *           on an established (accepted or connected) TCP socket, IPv4 or
 *           IPv6.  ENOENT: module not loaded (only CAP_NET_ADMIN callers
 *           autoload it); EEXIST: a ULP is already attached; ENOTCONN: the
 *           socket is listening or not connected; EOPNOTSUPP: the socket's
 *           proto or proto_ops are not its family's plain TCP ones (e.g. it
 *           is in a BPF sockmap).
 *
 * Then, at level SOL_LUA (every other level goes to TCP unchanged).  Any
 * option that waits for the socket's Lua state (held by a load or an entry
 * for up to the module parameter time_max_ms) fails with EINTR if a fatal
 * signal arrives meanwhile.
 *
 * LUAULP_LOADSCRIPT (1)  set: Lua source text (not NUL-terminated; optlen is
 *     its length, 1..LUAULP_SCRIPT_MAX).  Compiled and run in the socket's
 *     own Lua state.  Binary (precompiled) chunks are refused.
 *     EPERM: caller lacks CAP_NET_ADMIN in the initial user namespace (a
 *     capability over the socket's network namespace is not enough; module
 *     parameter allow_unprivileged_load lets every user load), or the
 *     socket's scripts belong to another user (see LUAULP_ATTACHNAME);
 *     EINVAL: optlen 0 or a syntax or runtime error (message: LUAULP_ERROR);
 *     EMSGSIZE: optlen > LUAULP_SCRIPT_MAX; EFAULT: bad pointer;
 *     ENOMEM: the state's memory limit was hit (message: LUAULP_ERROR);
 *     ETIME: the instruction budget was exhausted (message: LUAULP_ERROR).
 *
 * LUAULP_ENTRYPOINT (2)  set: name of the global function called on receive,
 *     as entry(data, size, nonblock).  get: the current name.
 *     EINVAL: empty, too long (> LUAULP_NAME_MAX) or not a Lua identifier.
 *
 * LUAULP_SENDENTRY (3)  set: name of the global function called on send, as
 *     entry(data, size, nonblock), with the same verdicts as on receive.
 *     get: the current name.  EINVAL as for LUAULP_ENTRYPOINT.
 *
 * LUAULP_ERROR (4)  get: the last error message of this socket's state,
 *     NUL-terminated, truncated to optlen.  Empty when there was none.
 *
 * LUAULP_STATS (5)  get: struct luaulp_stats (optlen >= its size, else
 *     EINVAL; a longer optlen is cut to the size).
 *
 * LUAULP_ONERROR (6)  set/get: int, what a failing entry (runtime error,
 *     memory or instruction budget exhausted, bad verdict) does to the bytes
 *     it was given: LUAULP_ONERROR_PASS delivers them unchanged (default),
 *     LUAULP_ONERROR_RESET resets the connection, LUAULP_ONERROR_CLOSE
 *     closes it gracefully (as the luaulp.CLOSE verdict).  EINVAL: other
 *     values or optlen != sizeof(int).
 *
 * LUAULP_MEMLIMIT (7)  set/get: int, the byte limit of this socket's Lua
 *     state; it can only be lowered (EPERM to raise it, EINVAL below what the
 *     state already holds or not a positive int).
 *
 * LUAULP_RESULT (8)  get: the values returned by the last LOADSCRIPT chunk,
 *     converted with tostring() and separated by tabs, NUL-terminated and
 *     truncated to optlen.  For tests and interactive debugging.
 *
 * LUAULP_ATTACHNAME (9)  set: name of a script registered in this socket's
 *     network namespace (see "Registry" below): its precompiled code runs in
 *     the socket's state, as LOADSCRIPT would run its source.  Open to every
 *     user: the privileged step was the registration.  The first load
 *     (this or LOADSCRIPT) makes the caller's effective uid the owner of the
 *     socket's scripts and of the store they use (luaulp.store).
 *     EPERM: the socket's scripts belong to another euid (a first load by
 *     someone else, e.g. before the socket was passed over SCM_RIGHTS);
 *     ENOENT: no script of that name; EINVAL: not a valid script name, or
 *     the script failed (message: LUAULP_ERROR); ENOMEM, ETIME as above.
 *
 * Verdicts of an entry (receive and send alike): nil or false (luaulp.PASS)
 * delivers the bytes unchanged; true (luaulp.DROP) or "" discards them; a
 * string replaces them; luaulp.CLOSE refuses gracefully (the script's
 * luaulp.send() output goes after everything the application queued, then
 * FIN; the peer's further input is dropped, the application reads end of
 * stream and gets EPIPE on write); luaulp.RESET aborts the connection (the
 * peer gets an RST, the application ECONNRESET once and then end of stream;
 * what the application had queued is discarded, as by TCP's abort).
 *
 * The socket contract (kernel/README.md): readiness (poll, FIONREAD) counts
 * verdict output not yet read and SIOCOUTQ/POLLOUT the script output not yet
 * taken by TCP; a read never returns short while TCP holds bytes the script
 * has not seen; MSG_DONTWAIT never sleeps; SO_RCVTIMEO/SO_SNDTIMEO bound the
 * whole call; write() counts exactly what the script saw, and script output
 * is never lost (flushed by the kernel, before shutdown's FIN and at close).
 *
 * Paths around the entries: with a receive entry, MSG_OOB receives get
 * EOPNOTSUPP and TCP_ZEROCOPY_RECEIVE / mmap() are refused; with a send
 * entry, MSG_OOB sends get EOPNOTSUPP and so do MSG_ZEROCOPY sends on a
 * socket with SO_ZEROCOPY.  splice() and sendfile() go through the entries;
 * MSG_ERRQUEUE is passed through (it carries no peer data).
 * connect(AF_UNSPEC) on a scripted socket fails with EOPNOTSUPP.
 *
 * Registry (generic netlink family LUAULP_GENL_NAME, version 1): named,
 * precompiled scripts, one registry per network namespace.
 *   LUAULP_CMD_REGISTER    do; LUAULP_A_NAME + LUAULP_A_SOURCE.  Compiles
 *       the source once and keeps the code under the name (replacing a
 *       script of that name: sockets attached later get the new code).
 *       Needs CAP_NET_ADMIN in the initial user namespace, both for the
 *       task that opened the netlink socket and for the sender (EPERM).
 *       EINVAL: bad name or a syntax error (the message comes back as the
 *       extended ack on kernels that can format one, 6.2 and later);
 *       ENOSPC: registry full (max_scripts in this namespace, or
 *       registry_max_bytes for all namespaces together).
 *       The source is one netlink attribute: at most 65531 bytes.
 *   LUAULP_CMD_UNREGISTER  do; LUAULP_A_NAME.  CAP_NET_ADMIN in the initial
 *       user namespace (EPERM).  ENOENT.
 *   LUAULP_CMD_GET_SCRIPT  dump: one message per script with LUAULP_A_NAME,
 *       LUAULP_A_CODE_SIZE, LUAULP_A_SOURCE_SIZE.
 *   LUAULP_CMD_GET_SOCKET  dump: one message per scripted socket in the
 *       namespace, filtered by the credentials of whoever opened the
 *       netlink socket: all with CAP_NET_ADMIN over the namespace, else
 *       those whose scripts belong to the opener's euid.  LUAULP_A_UID as
 *       seen from the opener's user namespace (65534 if unmapped):
 *       LUAULP_A_FAMILY, LUAULP_A_LOCAL_ADDR/PORT, LUAULP_A_REMOTE_ADDR/PORT,
 *       LUAULP_A_INODE, LUAULP_A_UID, LUAULP_A_SCRIPT (registered name, or
 *       "(source)"), LUAULP_A_ENTRY, LUAULP_A_SEND_ENTRY, LUAULP_A_STATS.
 * Script names: 1..LUAULP_NAME_MAX characters of [A-Za-z0-9_.-].
 *
 * Numbers are never reused.
 */
#ifndef _UAPI_LUAULP_H
#define _UAPI_LUAULP_H

#include <linux/types.h>

#define SOL_LUA			999

#define LUAULP_LOADSCRIPT	1
#define LUAULP_ENTRYPOINT	2
#define LUAULP_SENDENTRY	3
#define LUAULP_ERROR		4
#define LUAULP_STATS		5
#define LUAULP_ONERROR		6
#define LUAULP_MEMLIMIT		7
#define LUAULP_RESULT		8
#define LUAULP_ATTACHNAME	9

#define LUAULP_ONERROR_PASS	0
#define LUAULP_ONERROR_RESET	1
#define LUAULP_ONERROR_CLOSE	2

#define LUAULP_SCRIPT_MAX	(256 * 1024)	/* bytes of source per chunk */
#define LUAULP_NAME_MAX		64		/* entry and script names */
#define LUAULP_ERROR_MAX	256		/* bytes kept of an error message */

struct luaulp_stats {
	__u64	recv_calls;	/* receive entry calls */
	__u64	send_calls;	/* send entry calls */
	__u64	bytes_in;	/* bytes from the peer given to the entry */
	__u64	bytes_out;	/* bytes from the application to the send entry */
	__u64	discards;	/* DROP verdicts */
	__u64	replacements;	/* string verdicts */
	__u64	resets;		/* RESET verdicts and resets on error */
	__u64	errors;		/* failed calls (any cause) */
	__u64	budget_hits;	/* calls stopped by the instruction budget */
	__u64	memory_hits;	/* calls stopped by the memory limit */
	__u64	kernel_sent;	/* bytes sent by luaulp.send() */
	__u64	memory;		/* bytes the Lua state holds now */
	__u64	memory_max;	/* its limit */
	__u64	closes;		/* CLOSE verdicts and graceful closes on error */
	__u64	queued;		/* script output waiting for send-buffer space */
};

#define LUAULP_GENL_NAME	"luaulp"
#define LUAULP_GENL_VERSION	1

enum {
	LUAULP_CMD_UNSPEC,
	LUAULP_CMD_REGISTER,
	LUAULP_CMD_UNREGISTER,
	LUAULP_CMD_GET_SCRIPT,
	LUAULP_CMD_GET_SOCKET,
	__LUAULP_CMD_MAX,
};
#define LUAULP_CMD_MAX (__LUAULP_CMD_MAX - 1)

enum {
	LUAULP_A_UNSPEC,
	LUAULP_A_NAME,		/* string */
	LUAULP_A_SOURCE,	/* binary: Lua source text */
	LUAULP_A_CODE_SIZE,	/* u32: bytes of compiled code */
	LUAULP_A_SOURCE_SIZE,	/* u32 */
	LUAULP_A_FAMILY,	/* u8: AF_INET or AF_INET6 */
	LUAULP_A_LOCAL_ADDR,	/* binary: 4 or 16 bytes, network order */
	LUAULP_A_LOCAL_PORT,	/* u16, host order */
	LUAULP_A_REMOTE_ADDR,	/* binary: 4 or 16 bytes, network order */
	LUAULP_A_REMOTE_PORT,	/* u16, host order */
	LUAULP_A_INODE,		/* u64: the socket's inode, as in ss -e */
	LUAULP_A_UID,		/* u32: owner of the socket's scripts */
	LUAULP_A_SCRIPT,	/* string */
	LUAULP_A_ENTRY,		/* string */
	LUAULP_A_SEND_ENTRY,	/* string */
	LUAULP_A_STATS,		/* binary: struct luaulp_stats */
	LUAULP_A_PAD,
	__LUAULP_A_MAX,
};
#define LUAULP_A_MAX (__LUAULP_A_MAX - 1)

#endif /* _UAPI_LUAULP_H */
