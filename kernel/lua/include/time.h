/* SPDX-License-Identifier: GPL-2.0 */
/* luaulp kernel libc shim: <time.h>: Lua's time-based seeds are replaced (luaulp_conf.h) */
#ifndef LUAULP_TIME_H
#define LUAULP_TIME_H
#endif
