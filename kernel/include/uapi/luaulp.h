/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * luaulp: Lua scripting of TCP sockets, as the TCP Upper Layer Protocol "lua".
 *
 * Attach:   setsockopt(fd, SOL_TCP, TCP_ULP, "lua", 3)
 *           on an established (accepted or connected) TCP socket, IPv4 or
 *           IPv6.  ENOENT: module not loaded (only CAP_NET_ADMIN callers
 *           autoload it); EEXIST: a ULP is already attached; ENOTCONN: the
 *           socket is listening or not connected.
 *
 * Then, at level SOL_LUA (every other level goes to TCP unchanged):
 *
 * LUAULP_LOADSCRIPT (1)  set: Lua source text (not NUL-terminated; optlen is
 *     its length, 1..LUAULP_SCRIPT_MAX).  Compiled and run in the socket's
 *     own Lua state.  Binary (precompiled) chunks are refused.
 *     EPERM: caller lacks CAP_NET_ADMIN in the socket's network namespace
 *     (module parameter allow_unprivileged_load relaxes this);
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
 *     LUAULP_ONERROR_RESET resets the connection.  EINVAL: other values or
 *     optlen != sizeof(int).
 *
 * LUAULP_MEMLIMIT (7)  set/get: int, the byte limit of this socket's Lua
 *     state; it can only be lowered (EPERM to raise it, EINVAL below what the
 *     state already holds or not a positive int).
 *
 * LUAULP_RESULT (8)  get: the values returned by the last LOADSCRIPT chunk,
 *     converted with tostring() and separated by tabs, NUL-terminated and
 *     truncated to optlen.  For tests and interactive debugging.
 *
 * Verdicts of an entry (receive and send alike): nil or false (luaulp.PASS)
 * delivers the bytes unchanged; true (luaulp.DROP) discards them (a blocking
 * receive goes on waiting, a non-blocking one gets EAGAIN); a string
 * replaces them; luaulp.RESET aborts the connection (the application gets
 * ECONNRESET, the peer an RST).  See kernel/README.md.
 *
 * Paths around the receive hook: MSG_OOB gets EOPNOTSUPP and
 * TCP_ZEROCOPY_RECEIVE / mmap() are refused on a scripted socket; splice()
 * goes through the hook; MSG_ERRQUEUE is passed through (it carries no
 * peer data).
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

#define LUAULP_ONERROR_PASS	0
#define LUAULP_ONERROR_RESET	1

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
};

#endif /* _UAPI_LUAULP_H */
