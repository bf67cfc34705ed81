/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LUAULP_BENCH_RT_STUB_H
#define LUAULP_BENCH_RT_STUB_H

struct lua_State;

/* Protected (lua_pcall it): fill the global "luaulp" table as the kernel
 * does, with no-op send, log and store. */
int bench_luaulp_table(struct lua_State *L);

#endif
