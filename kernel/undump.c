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
 *
 * The registry's bytecode is stripped (no line table, no local or upvalue
 * names: a third of a script's memory in every socket), which also drops
 * the source name; it is given back here, the chunk name the registry
 * loads with ("=NAME"), so messages still start with the script's name
 * (and, lua/patches/08, the line its function begins on).
 *
 * Context: process context, the socket's ctx->lock held (registry.c).
 */
#include "lua.h"
#include "lobject.h"
#include "lgc.h"
#include "lstring.h"
#include "lzio.h"

#include "luaulp.h"
#include "runtime.h"

LClosure *luaulp_undump_trusted(lua_State *L, ZIO *Z, const char *name);
LClosure *luaulp_undump_refuse(lua_State *L, ZIO *Z, const char *name);
LClosure *luaU_undump(lua_State *L, ZIO *Z, const char *name);

/* F and its nested functions without a source take SRC.  The depth is
 * bounded by the parser's (LUAI_MAXCCALLS) at registration. */
static void name_protos(lua_State *L, Proto *f, TString *src)
{
	int i;

	if (!f->source) {
		f->source = src;
		luaC_objbarrier(L, f, src);
	}
	for (i = 0; i < f->sizep; i++)
		name_protos(L, f->p[i], src);
}

LClosure *luaU_undump(lua_State *L, ZIO *Z, const char *name)
{
	struct luaulp_sock *ctx = luaulp_rt_owner(L);
	LClosure *cl;

	if (!ctx || !ctx->trusted_load)
		return luaulp_undump_refuse(L, Z, name);
	/* the closure is anchored on the stack: luaS_new may collect */
	cl = luaulp_undump_trusted(L, Z, name);
	name_protos(L, cl->p, luaS_new(L, name));
	return cl;
}
