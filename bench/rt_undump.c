// SPDX-License-Identifier: GPL-2.0
/*
 * For rt_cost only: the kernel loads the registry's own bytecode through
 * Lua's real undump (kernel/undump.c); the user-space runtime refuses every
 * binary chunk (kernel/lua/luaulp_core.c).  rt_cost measures the kernel's
 * attach by name, so it links this luaU_undump first (bench/rt_cost.mk:
 * --allow-multiple-definition keeps the first) over Lua's lundump.c built
 * as bench_undump_trusted.  Nothing else links it.
 */
#include "lua.h"
#include "lobject.h"
#include "lzio.h"

LClosure *bench_undump_trusted(lua_State *L, ZIO *Z, const char *name);
LClosure *luaU_undump(lua_State *L, ZIO *Z, const char *name);

LClosure *luaU_undump(lua_State *L, ZIO *Z, const char *name)
{
	return bench_undump_trusted(L, Z, name);
}
