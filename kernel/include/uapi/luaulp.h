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
 * LUAULP_ERROR (4)  get: the last error message of this socket's state,
 *     NUL-terminated, truncated to optlen.  Empty when there was none.
 *
 * LUAULP_RESULT (8)  get: the values returned by the last LOADSCRIPT chunk,
 *     converted with tostring() and separated by tabs, NUL-terminated and
 *     truncated to optlen.  For tests and interactive debugging.
 *
 * More options (send entry, statistics, on-error policy, named scripts)
 * are defined as they land; numbers are never reused.
 */
#ifndef _UAPI_LUAULP_H
#define _UAPI_LUAULP_H

#define SOL_LUA			999

#define LUAULP_LOADSCRIPT	1
#define LUAULP_ENTRYPOINT	2
#define LUAULP_ERROR		4
#define LUAULP_RESULT		8

#define LUAULP_SCRIPT_MAX	(256 * 1024)	/* bytes of source per chunk */
#define LUAULP_NAME_MAX		64		/* entry and script names */
#define LUAULP_ERROR_MAX	256		/* bytes kept of an error message */

#endif /* _UAPI_LUAULP_H */
