// SPDX-License-Identifier: GPL-2.0
/*
 * What luaulp_conf.h asks of the Lua core: integer arithmetic for values
 * Lua tags "float" (the results of '/' and '^'), and the undump entry point
 * replaced by a refusal, so a binary chunk can never be loaded, whatever
 * mode a caller passes.  Built into the module and the user-space library.
 */
#include "lua.h"
#include "ldebug.h"
#include "ldo.h"
#include "lobject.h"
#include "lundump.h"

/* Floor division; a / 0 is an error, minint / -1 wraps to minint. */
long long luaulp_num_div(lua_State *L, long long a, long long b)
{
	long long q;

	if (b == 0)
		luaG_runerror(L, "attempt to divide by zero");
	if (b == -1)
		return (long long)(0ull - (unsigned long long)a);
	q = a / b;
	if (a % b != 0 && (a ^ b) < 0)
		q -= 1;
	return q;
}

/* Modulo with the sign of the divisor, as Lua's integer '%'. */
long long luaulp_num_mod(lua_State *L, long long a, long long b)
{
	long long m;

	if (b == 0)
		luaG_runerror(L, "attempt to perform 'n%%0'");
	if (b == -1)
		return 0;
	m = a % b;
	if (m != 0 && (m ^ b) < 0)
		m += b;
	return m;
}

/*
 * a ^ b: for b >= 0 the wrapped integer power; for b < 0 the floor of the
 * exact value 1 / a^-b, and 0 for 0 ^ negative.  Never an error: the parser
 * folds constant expressions such as 0^-1 through here, where an error
 * would not be a syntax error.
 */
long long luaulp_num_pow(lua_State *L, long long a, long long b)
{
	unsigned long long r = 1, x = (unsigned long long)a;
	unsigned long long e = (unsigned long long)b;

	(void)L;
	if (b < 0) {
		int odd = (int)(b & 1);

		if (a == 1)
			return 1;
		if (a == -1)
			return odd ? -1 : 1;
		/* a == 0, or |a^-b| > 1: the value lies in (-1, 1) */
		return (a < 0 && odd) ? -1 : 0;
	}
	while (e) {
		if (e & 1)
			r *= x;
		x *= x;
		e >>= 1;
	}
	return (long long)r;
}

/* Binary chunks: refused here too, not only by the "t" mode of loads. */
LClosure *luaU_undump(lua_State *L, ZIO *Z, const char *name)
{
	(void)Z;
	luaO_pushfstring(L, "%s: binary chunks are not accepted", name);
	luaD_throw(L, LUA_ERRSYNTAX);
	return NULL;
}
