// SPDX-License-Identifier: GPL-2.0
/*
 * The sandbox: the libraries a luaulp script sees.
 *
 *   base      without print, dofile, loadfile; load() accepts text only;
 *             collectgarbage() only "collect", "count", "step", "isrunning";
 *             setmetatable() refuses __gc
 *   string    without dump; format() refuses float conversions; rep() and
 *             the pattern functions are charged to the CPU budget
 *   table     insert/remove/move/sort charged by the elements they move
 *   utf8, coroutine
 *   math      integer only (see kernel/lua/README.md)
 *   luaulp    an empty table, filled by the embedder
 *
 * No io, os, debug or package.  Runs in protected mode (luaulp_rt_create).
 */
#ifdef __KERNEL__
#include <linux/string.h>
#else
#include <string.h>
#endif

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

#include "runtime_priv.h"

/* The wrapped library function is upvalue 1 of each wrapper. */
static int call_orig(lua_State *L)
{
	lua_CFunction f = lua_tocfunction(L, lua_upvalueindex(1));

	return f(L);
}

static void wrap(lua_State *L, const char *name, lua_CFunction w)
{
	lua_getfield(L, -1, name);
	lua_pushcclosure(L, w, 1);
	lua_setfield(L, -2, name);
}

static void drop(lua_State *L, const char *name)
{
	lua_pushnil(L);
	lua_setfield(L, -2, name);
}

/* load(chunk [, chunkname [, mode [, env]]]): mode is always "t" */
static int sb_load(lua_State *L)
{
	if (lua_gettop(L) < 3)
		lua_settop(L, 2);
	lua_pushliteral(L, "t");
	if (lua_gettop(L) > 3)
		lua_replace(L, 3);
	return call_orig(L);
}

/*
 * setmetatable: no __gc.  Lua runs finalizers with hooks off, so a looping
 * __gc could never be stopped; and they would run at any allocation and in
 * lua_close.  Lua marks an object for finalization only when its metatable
 * has __gc at setmetatable time, so checking here is enough.
 */
static int sb_setmetatable(lua_State *L)
{
	if (lua_type(L, 2) == LUA_TTABLE) {
		lua_pushliteral(L, "__gc");
		if (lua_rawget(L, 2) != LUA_TNIL)
			return luaL_error(L, "__gc metamethods are not supported");
		lua_pop(L, 1);
	}
	return call_orig(L);
}

static int sb_collectgarbage(lua_State *L)
{
	static const char *const ok[] = {
		"collect", "count", "step", "isrunning", NULL
	};

	luaL_checkoption(L, 1, "collect", ok);
	return call_orig(L);
}

/* string.format: only conversions that have an integer or string meaning */
static int sb_format(lua_State *L)
{
	size_t len;
	const char *f = luaL_checklstring(L, 1, &len);
	const char *end = f + len;

	while (f < end) {
		if (*f++ != '%')
			continue;
		if (f < end && *f == '%') {
			f++;
			continue;
		}
		while (f < end && strchr("-+ #0123456789.", *f))
			f++;
		if (f < end && strchr("aAeEfFgG", *f))
			return luaL_error(L, "invalid option '%%%c' to 'format' "
					  "(no floating point)", *f);
	}
	return call_orig(L);
}

/* string.rep: an empty result costs nothing, however many repetitions */
static int sb_rep(lua_State *L)
{
	size_t l, lsep;
	lua_Integer n;

	luaL_checklstring(L, 1, &l);
	n = luaL_checkinteger(L, 2);
	luaL_optlstring(L, 3, "", &lsep);
	if (n <= 0 || l + lsep == 0) {
		lua_pushliteral(L, "");
		return 1;
	}
	return call_orig(L);
}

/* Charge N elements of table work (a __len may claim any length). */
static void charge_span(lua_State *L, lua_Integer from, lua_Integer to)
{
	if (to > from)
		luaulp_rt_charge(L, (unsigned long)((lua_Unsigned)to -
						    (lua_Unsigned)from));
}

static int sb_tinsert(lua_State *L)
{
	if (lua_gettop(L) == 3)
		charge_span(L, luaL_optinteger(L, 2, 0), luaL_len(L, 1) + 1);
	return call_orig(L);
}

static int sb_tremove(lua_State *L)
{
	lua_Integer size = luaL_len(L, 1);

	charge_span(L, luaL_optinteger(L, 2, size), size);
	return call_orig(L);
}

static int sb_tmove(lua_State *L)
{
	charge_span(L, luaL_checkinteger(L, 2), luaL_checkinteger(L, 3));
	return call_orig(L);
}

static int sb_tsort(lua_State *L)
{
	if (lua_type(L, 1) == LUA_TTABLE)
		charge_span(L, 0, luaL_len(L, 1));
	return call_orig(L);
}

static int sb_tconcat(lua_State *L)
{
	if (lua_type(L, 1) == LUA_TTABLE)
		charge_span(L, luaL_optinteger(L, 3, 1),
			    luaL_opt(L, luaL_checkinteger, 4, luaL_len(L, 1)));
	return call_orig(L);
}

/* math: integers only */
static int m_abs(lua_State *L)
{
	lua_Integer n = luaL_checkinteger(L, 1);

	lua_pushinteger(L, (lua_Integer)(n < 0 ? 0u - (lua_Unsigned)n : (lua_Unsigned)n));
	return 1;
}

static int m_minmax(lua_State *L, int wantmax)
{
	int n = lua_gettop(L), i, best = 1;

	luaL_argcheck(L, n >= 1, 1, "number expected");
	luaL_checkinteger(L, 1);
	for (i = 2; i <= n; i++) {
		luaL_checkinteger(L, i);
		if (lua_compare(L, best, i, LUA_OPLT) == wantmax)
			best = i;
	}
	lua_pushinteger(L, lua_tointeger(L, best));
	return 1;
}

static int m_max(lua_State *L)
{
	return m_minmax(L, 1);
}

static int m_min(lua_State *L)
{
	return m_minmax(L, 0);
}

static int m_type(lua_State *L)
{
	luaL_checkany(L, 1);
	if (lua_type(L, 1) == LUA_TNUMBER)
		lua_pushliteral(L, "integer");
	else
		lua_pushnil(L);
	return 1;
}

static int m_tointeger(lua_State *L)
{
	int isnum;
	lua_Integer n = lua_tointegerx(L, 1, &isnum);

	if (isnum)	/* as stock 5.3: "8" gives 8 */
		lua_pushinteger(L, n);
	else {
		luaL_checkany(L, 1);
		lua_pushnil(L);
	}
	return 1;
}

/* floor, ceil: every number already is an integer */
static int m_floor(lua_State *L)
{
	lua_pushinteger(L, luaL_checkinteger(L, 1));
	return 1;
}

static int m_ult(lua_State *L)
{
	lua_Integer a = luaL_checkinteger(L, 1);
	lua_Integer b = luaL_checkinteger(L, 2);

	lua_pushboolean(L, (lua_Unsigned)a < (lua_Unsigned)b);
	return 1;
}

/* fmod: remainder with the sign of the dividend (C's %) */
static int m_fmod(lua_State *L)
{
	lua_Integer a = luaL_checkinteger(L, 1);
	lua_Integer b = luaL_checkinteger(L, 2);

	luaL_argcheck(L, b != 0, 2, "zero");
	lua_pushinteger(L, b == -1 ? 0 : a % b);
	return 1;
}

static const luaL_Reg mathlib[] = {
	{ "abs", m_abs },
	{ "ceil", m_floor },
	{ "floor", m_floor },
	{ "fmod", m_fmod },
	{ "max", m_max },
	{ "min", m_min },
	{ "tointeger", m_tointeger },
	{ "type", m_type },
	{ "ult", m_ult },
	{ NULL, NULL }
};

static int open_math(lua_State *L)
{
	luaL_newlib(L, mathlib);
	lua_pushinteger(L, LUA_MAXINTEGER);
	lua_setfield(L, -2, "maxinteger");
	lua_pushinteger(L, LUA_MININTEGER);
	lua_setfield(L, -2, "mininteger");
	return 1;
}

int luaulp_rt_openlibs(lua_State *L)
{
	luaL_requiref(L, "_G", luaopen_base, 1);
	drop(L, "print");
	drop(L, "dofile");
	drop(L, "loadfile");
	wrap(L, "load", sb_load);
	wrap(L, "collectgarbage", sb_collectgarbage);
	wrap(L, "setmetatable", sb_setmetatable);
	lua_pop(L, 1);

	luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
	drop(L, "dump");
	wrap(L, "format", sb_format);
	wrap(L, "rep", sb_rep);
	lua_pop(L, 1);

	luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
	wrap(L, "insert", sb_tinsert);
	wrap(L, "remove", sb_tremove);
	wrap(L, "move", sb_tmove);
	wrap(L, "sort", sb_tsort);
	wrap(L, "concat", sb_tconcat);
	lua_pop(L, 1);

	luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
	lua_pop(L, 1);
	luaL_requiref(L, LUA_COLIBNAME, luaopen_coroutine, 1);
	lua_pop(L, 1);
	luaL_requiref(L, LUA_MATHLIBNAME, open_math, 1);
	lua_pop(L, 1);

	lua_newtable(L);
	lua_setglobal(L, "luaulp");
	return 0;
}
