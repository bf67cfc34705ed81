// SPDX-License-Identifier: GPL-2.0
/*
 * Which binary chunks the kernel's Lua may load: only the registry's own
 * bytecode (made by lua_dump in registry.c), while it loads it into a
 * socket's state.  Everything else — user input in any mode — meets the
 * runtime's refusal (lua/luaulp_core.c).
 *
 * Kbuild renames Lua's real loader (lundump.c) to luaulp_undump_trusted and
 * the runtime's refusal to luaulp_undump_refuse; ldo.c's call to
 * luaU_undump lands here.
 */
#include "lua.h"
#include "lobject.h"
#include "lzio.h"

#include "luaulp.h"
#include "runtime.h"

LClosure *luaulp_undump_trusted(lua_State *L, ZIO *Z, const char *name);
LClosure *luaulp_undump_refuse(lua_State *L, ZIO *Z, const char *name);
LClosure *luaU_undump(lua_State *L, ZIO *Z, const char *name);

LClosure *luaU_undump(lua_State *L, ZIO *Z, const char *name)
{
	struct luaulp_sock *ctx = luaulp_rt_owner(L);

	if (ctx && ctx->trusted_load)
		return luaulp_undump_trusted(L, Z, name);
	return luaulp_undump_refuse(L, Z, name);
}
