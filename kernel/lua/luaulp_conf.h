/* SPDX-License-Identifier: GPL-2.0 */
/*
 * LUA_USER_H of luaulp: every adaptation Lua 5.3 needs to run in the
 * kernel, in one place.  lua.h includes this after luaconf.h, so the
 * choices of luaconf.h can be replaced here (#undef, #define); the macros
 * of llimits.h, ldo.c, lstrlib.c... are "#if !defined" guarded and take
 * what is defined here.
 *
 * The user-space build (build/runtime/) uses this same header, so the
 * host and the kernel give scripts identical semantics.  Only the C
 * library underneath differs: libc on the host, kernel/lua/include/ in
 * the kernel.
 *
 * Build flags that go with it: -DLUA_USER_H='"luaulp_conf.h"'
 * -DLUA_FLOAT_TYPE=LUA_FLOAT_INT64 (patches/01 makes lua_Number 64-bit
 * integer) and, in the kernel, -I kernel/lua/include.
 */
#ifndef LUAULP_CONF_H
#define LUAULP_CONF_H

/*
 * Numbers.  lua_Number is 'long long' like lua_Integer (patches/01).
 * Lua still tags a value "float" when it comes out of '/' or '^', but
 * such a value always holds an integer and behaves like one: it prints
 * without ".0" (LUA_COMPAT_FLOATSTRING), converts exactly to integer
 * everywhere, and is normalised to an integer key in tables.  No source
 * text or string converts to a float: "1.5" is not a number.
 */
#if LUA_FLOAT_TYPE != LUA_FLOAT_INT64
#error "luaulp_conf.h needs -DLUA_FLOAT_TYPE=LUA_FLOAT_INT64"
#endif

#define LUA_COMPAT_FLOATSTRING

#undef LUAI_UACNUMBER
#define LUAI_UACNUMBER		long long
#undef LUA_NUMBER_FRMLEN
#define LUA_NUMBER_FRMLEN	"ll"
#undef LUA_NUMBER_FMT
#define LUA_NUMBER_FMT		"%lld"

/* float.h-style limits of "float" lua_Number: as wide as the integers */
#undef l_mathlim
#define l_mathlim(n)		(LUAULP_NUM_##n)
#define LUAULP_NUM_MANT_DIG	64
#define LUAULP_NUM_MAX_10_EXP	19

/* no math.h: any use of l_mathop() left in Lua fails to compile */
#undef l_mathop
#undef l_floor
#define l_floor(x)		(x)
#undef lua_numbertointeger
#define lua_numbertointeger(n,p)	((*(p) = (LUA_INTEGER)(n)), 1)
#define l_hashfloat(n)	\
	((int)(((unsigned long long)(n) ^ ((unsigned long long)(n) >> 31)) & \
	       0x7fffffffu))

/* strings never convert to "floats": only integer syntax is a number */
#undef lua_str2number
#define lua_str2number(s,p)	(*(p) = (char *)(s), (lua_Number)0)
#undef lua_strx2number
#define lua_strx2number(s,p)	lua_str2number(s,p)
#undef lua_number2strx
#define lua_number2strx(L,b,sz,f,n)	\
	((void)(b), (void)(sz), (void)(f), (void)(n), \
	 luaL_error(L, "no floating point in this Lua"))
#undef lua_getlocaledecpoint
#define lua_getlocaledecpoint()	'.'
#define LUA_NOFLOATCONV		/* patches/03: string.pack 'f','d','n' */

/*
 * Arithmetic on "float"-tagged values.  Integer arithmetic wraps around
 * in Lua 5.3; these do the same (through unsigned, so no undefined
 * behaviour).  '/' is floor division, like '//'; division or modulo by
 * zero is an error (as it is for integers in stock Lua); x^y is the
 * integer power, wrapping, floor of the exact value for y < 0.
 */
#define luai_numadd(L,a,b)	\
	((lua_Number)((unsigned long long)(a) + (unsigned long long)(b)))
#define luai_numsub(L,a,b)	\
	((lua_Number)((unsigned long long)(a) - (unsigned long long)(b)))
#define luai_nummul(L,a,b)	\
	((lua_Number)((unsigned long long)(a) * (unsigned long long)(b)))
#define luai_numunm(L,a)	((lua_Number)(0ull - (unsigned long long)(a)))
#define luai_numeq(a,b)		((a) == (b))
#define luai_numlt(a,b)		((a) < (b))
#define luai_numle(a,b)		((a) <= (b))
#define luai_numisnan(a)	((void)(a), 0)
#define luai_numdiv(L,a,b)	luaulp_num_div(L, a, b)
#define luai_numidiv(L,a,b)	luaulp_num_div(L, a, b)
#define luai_nummod(L,a,b,m)	{ (m) = luaulp_num_mod(L, a, b); }
#define luai_numpow(L,a,b)	luaulp_num_pow(L, a, b)

long long luaulp_num_div(lua_State *L, long long a, long long b);
long long luaulp_num_mod(lua_State *L, long long a, long long b);
long long luaulp_num_pow(lua_State *L, long long a, long long b);

/*
 * C stack.  A kernel thread has 16 KiB of stack; Lua recurses in C for
 * every pcall, metamethod, coroutine.resume, library callback (gsub,
 * sort) and parser nesting level.  The count below is the limit scripts
 * see; the stack check after it is what makes the kernel safe
 * (kernel/lua/README.md has the measurements).
 */
#define LUAI_MAXCCALLS		32	/* C levels (stock: 200) */
#define MAXCCALLS		32	/* pattern-matching recursion */
#define LUA_MAXCAPTURES		16	/* captures per pattern (stock: 32) */
#undef LUAL_BUFFERSIZE
#define LUAL_BUFFERSIZE		256	/* luaL_Buffer on the C stack */
#undef LUAI_MAXSTACK
#define LUAI_MAXSTACK		3000	/* Lua stack slots: "stack overflow" */

/*
 * What a C level costs varies (about 650 bytes for a pcall, 1 KB through
 * string.gsub), so in the kernel the stack left is checked too, where Lua
 * counts levels (patches/06): "C stack overflow" below 7 KiB left, and
 * LUA_ERRERR (no message handler) below 5 KiB.
 */
void luaulp_rt_cstack_check(lua_State *L);
int luaulp_rt_cstack_low(lua_State *L);
#if defined(__KERNEL__)
#define luai_checkcstack(L)	luaulp_rt_cstack_check(L)
#define luai_cstacklow(L)	luaulp_rt_cstack_low(L)
#endif

/* no double in any union either */
#undef LUAI_MAXALIGN
#define LUAI_MAXALIGN		lua_Number n; void *s; lua_Integer i; long l

/*
 * CPU: library code that works without running VM instructions, and the
 * comparison of long strings, charge the current call's budget (patches/02
 * and 05); the runtime raises the error.
 */
void luaulp_rt_charge(lua_State *L, unsigned long units);
#define luai_chargework(L,n)	luaulp_rt_charge(L, (unsigned long)(n))

/* hash every byte of a string (stock: about 32 of them), so that crafted
 * long strings cannot share a hash and make table lookups compare long
 * chains (patches/05 charges other comparisons) */
#define LUAI_HASHLIMIT		32

/*
 * No address reaches a script (patches/07): tables place pointers (light C
 * functions, light userdata, objects) by a keyed hash of the address
 * (SipHash, secret random key per boot or process) instead of its low 32
 * bits, and tostring() of a table, function, thread or userdata prints 48
 * bits of that hash ("table: 0x2f1c...") instead of "%p".  The string hash
 * seed is the random one alone, without the addresses Lua mixes in.
 */
unsigned int luaulp_ptrhash(const void *p);
int luaulp_ptr2str(char *buf, int sz, const void *p);
#define point2uint(p)		luaulp_ptrhash((const void *)(p))
#undef lua_pointer2str
#define lua_pointer2str(buff,sz,p)	luaulp_ptr2str(buff, (int)(sz), p)
#define luai_makeseed_noaddr

/*
 * Registered scripts' code is shared (patches/08): a socket's state made by
 * luaulp_rt_create_shared() points at the script's frozen state, whose
 * strings it interns first, with its seed (kernel/runtime.c).
 */
struct lua_State;
struct global_State;
void luaulp_rt_shared(struct lua_State *L, struct global_State *g);
#define luai_sharedcode(L, g)	luaulp_rt_shared(L, g)

/* randomness: table hash seed and sort's pivot */
unsigned int luaulp_random32(void);
#define luai_makeseed()		luaulp_random32()
#define l_randomizePivot()	luaulp_random32()

/* no stdout/stderr: scripts log through the "luaulp" table */
#define lua_writestring(s,l)	((void)(s), (void)(l))
#define lua_writeline()		((void)0)
#define lua_writestringerror(s,p)	((void)(s), (void)(p))

/*
 * Errors: our own setjmp/longjmp (kernel/lua/setjmp.S) in the kernel;
 * libc's on the host (ASan knows it), ours there with LUAULP_OWN_SETJMP.
 */
#if defined(__KERNEL__) || defined(LUAULP_OWN_SETJMP)
#include "luaulp_setjmp.h"
#define luai_jmpbuf		luaulp_jmp_buf
#define LUAI_THROW(L,c)		luaulp_longjmp((c)->b, 1)
#define LUAI_TRY(L,c,a)		if (luaulp_setjmp((c)->b) == 0) { a }
#endif

#if defined(__KERNEL__)
/*
 * objtool follows calls only within one object: a call to a noreturn
 * function of another object as the last instruction of a function reads
 * to it as "falls through to next function".  Lua works without noreturn
 * (it is only an optimisation there), so the kernel build goes without.
 */
#define l_noret			void
/* lauxlib.c has a static panic(), the kernel a global one */
#define panic			luaulp_lauxlib_panic
#endif

#endif /* LUAULP_CONF_H */
