/* SPDX-License-Identifier: GPL-2.0 */
/* luaulp kernel libc shim: <signal.h>: only the type of lua_State's hookmask */
#ifndef LUAULP_SIGNAL_H
#define LUAULP_SIGNAL_H
typedef int sig_atomic_t;
#endif
