// SPDX-License-Identifier: GPL-2.0
/*
 * The Lua runtime of luaulp: state lifecycle, the accounting allocator,
 * the CPU budget and the protected runner.  The same file builds into the
 * kernel module and into the user-space library (build/runtime/); what
 * differs lives behind luaulp_plat_*() (runtime_kernel.c, runtime/host.c).
 *
 * Every call into Lua goes through lua_pcall of a C function, so an error
 * (including "out of memory" while pushing a string) never reaches Lua's
 * panic path.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>
#else
#include <errno.h>
#include <stdio.h>
#include <string.h>
#endif

#include "lua.h"
#include "lauxlib.h"
#include "ldebug.h"	/* luaG_runerror: luaulp_rt_cstack_check() */
#include "ldo.h"		/* luaD_throw: rt_exhaust() */
#include "lapi.h"		/* api_incr_top: luaulp_rt_pushbuf() */
#include "lfunc.h"		/* shared code: luaF_newLclosure */
#include "lgc.h"
#include "lstate.h"
#include "lstring.h"	/* luaS_createlngstrobj: luaulp_rt_pushbuf() */
#include "ltable.h"

#include "runtime_priv.h"

#ifndef noinline
#define noinline __attribute__((__noinline__))
#endif

#ifndef WRITE_ONCE	/* user space */
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#endif

static void rt_mirror(struct luaulp_rt *rt)
{
	if (rt->mirror_used)
		WRITE_ONCE(*rt->mirror_used, (unsigned long)rt->mem_used);
	if (rt->mirror_max)
		WRITE_ONCE(*rt->mirror_max, (unsigned long)rt->mem_max);
}

/*
 * Pointers as scripts may see them (luaulp_conf.h): a table places a
 * function, light userdata or object by luaulp_ptrhash() of its address,
 * and tostring() shows 48 bits of the same keyed hash, never the address.
 */
unsigned int luaulp_ptrhash(const void *p)
{
	return (unsigned int)luaulp_plat_ptrhash(p);
}

int luaulp_ptr2str(char *buf, int sz, const void *p)
{
	return snprintf(buf, sz, "0x%012llx",
			luaulp_plat_ptrhash(p) & 0xffffffffffffull);
}

static struct luaulp_rt *rt_of(lua_State *L)
{
	return *(struct luaulp_rt **)lua_getextraspace(L);
}

/*
 * lua_Alloc with a hard per-state cap.  Shrinking never fails (Lua assumes
 * it cannot); a refused growth is a Lua memory error in the script.
 */
static void *rt_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct luaulp_rt *rt = ud;
	void *p;

	if (!ptr)
		osize = 0;	/* osize is then a type tag */
	if (nsize == 0) {
		if (ptr) {
			luaulp_plat_free(ptr);
			rt->mem_used -= osize;
			luaulp_plat_live_add(-(long)osize);
			rt_mirror(rt);
		}
		return NULL;
	}
	luaulp_plat_stack_mark();
	if (nsize > osize &&
	    (nsize - osize > rt->mem_max || rt->mem_used > rt->mem_max - (nsize - osize)))
		return NULL;
	p = luaulp_plat_realloc(ptr, osize, nsize);
	if (!p) {
		if (nsize <= osize)
			return ptr;	/* keep the larger block */
		return NULL;
	}
	rt->mem_used += nsize - osize;	/* wraps correctly when shrinking */
	luaulp_plat_live_add((long)nsize - (long)osize);
	rt_mirror(rt);
	return p;
}

static int rt_panic(lua_State *L)
{
	/* Unreachable: every entry is protected.  Nothing sane to do but
	 * let Lua abort (BUG in the kernel). */
	(void)L;
	return 0;
}

static void rt_hook(lua_State *L, lua_Debug *ar);

/* The message, with the position of the innermost Lua frame, kept without
 * allocating.  Not inlined: its lua_Debug stays off the hook's frame. */
static noinline void rt_exhaust_msg(lua_State *L, struct luaulp_rt *rt)
{
	lua_Debug ar;
	int level;

	snprintf(rt->err, sizeof(rt->err), "CPU budget exceeded");
	for (level = 0; level < 3 && lua_getstack(L, level, &ar); level++) {
		if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
			snprintf(rt->err, sizeof(rt->err),
				 "%s:%d: CPU budget exceeded",
				 ar.short_src, ar.currentline);
			break;
		}
	}
}

static void rt_exhaust(lua_State *L, struct luaulp_rt *rt)
{
	if (!rt->exhausted) {
		rt->exhausted = 1;
		rt_exhaust_msg(L, rt);
	}
	/* from now on this thread traps at every instruction, so no pcall
	 * loop can swallow the error and carry on */
	lua_sethook(L, rt_hook, LUA_MASKCOUNT, 1);
	/*
	 * Throw without calling the message handler of an xpcall: it would
	 * run script code after the budget is spent, with hooks off (Lua
	 * disables them while a hook runs), so nothing could stop it; and the
	 * same error in the handler would nest one C level per attempt.
	 */
	lua_pushliteral(L, "CPU budget exceeded");
	luaD_throw(L, LUA_ERRRUN);
}

/*
 * The wall-clock ceiling starts at the first check of a call (the first
 * hook, after LUAULP_RT_HOOK_PERIOD instructions, or the first charge of
 * library work), not at its start: a short call never reads the clock.
 * After that the clock is read once per LUAULP_RT_HOOK_PERIOD units of
 * budget spent, however they are charged (library work charges often).
 */
static int rt_over(struct luaulp_rt *rt)
{
	unsigned long long now;

	if (rt->budget < 0 || rt->exhausted)
		return 1;
	if (!rt->time_max_ns || rt->budget > rt->clock_at)
		return 0;
	rt->clock_at = rt->budget - LUAULP_RT_HOOK_PERIOD;
	now = luaulp_plat_now_ns();
	if (!rt->deadline_ns) {
		rt->deadline_ns = now + rt->time_max_ns;
		return 0;
	}
	return now > rt->deadline_ns;
}

static void rt_hook(lua_State *L, lua_Debug *ar)
{
	struct luaulp_rt *rt = rt_of(L);
	int count = lua_gethookcount(L);

	(void)ar;
	rt->budget -= count;
	luaulp_plat_stack_mark();
	luaulp_plat_yield();
	if (rt_over(rt))
		rt_exhaust(L, rt);
	if (count != LUAULP_RT_HOOK_PERIOD)	/* a thread left over from an
						 * exhausted call */
		lua_sethook(L, rt_hook, LUA_MASKCOUNT, LUAULP_RT_HOOK_PERIOD);
}

/* Called by library code that works without running VM instructions. */
void luaulp_rt_charge(lua_State *L, unsigned long units)
{
	struct luaulp_rt *rt = rt_of(L);

	if (units > (unsigned long)rt->insn_budget)
		units = rt->insn_budget + 1;
	rt->budget -= (long)units;
	if (rt_over(rt))
		rt_exhaust(L, rt);
}

/* patches/06: called where Lua counts C levels (luaD_call). */
void luaulp_rt_cstack_check(lua_State *L)
{
	struct luaulp_rt *rt = rt_of(L);
	unsigned long left = luaulp_plat_stack_left();

	if (left >= LUAULP_RT_STACK_SOFT) {
		rt->cstack_err = 0;
		return;
	}
	luaulp_plat_stack_mark();
	if (left < LUAULP_RT_STACK_HARD)
		luaD_throw(L, LUA_ERRERR);	/* no message handler */
	if (!rt->cstack_err) {
		/* once: let a message handler run in the space left */
		rt->cstack_err = 1;
		luaG_runerror(L, "C stack overflow");
	}
}

/* patches/06: lua_resume and the parser only ask. */
int luaulp_rt_cstack_low(lua_State *L)
{
	(void)L;
	return luaulp_plat_stack_left() < LUAULP_RT_STACK_SOFT;
}

/* A fresh budget for one call from the embedder. */
static void rt_arm(struct luaulp_rt *rt)
{
	rt->budget = (long)rt->insn_budget;
	rt->exhausted = 0;
	rt->cstack_err = 0;
	rt->err[0] = '\0';
	rt->time_max_ns = luaulp_plat_time_max_ns();
	rt->deadline_ns = 0;	/* set by the first rt_over() */
	rt->clock_at = rt->budget;
	lua_sethook(rt->L, rt_hook, LUA_MASKCOUNT, LUAULP_RT_HOOK_PERIOD);
}

/*
 * Copy a string error message: NUL bytes become "\0" (the message is read
 * as a C string), and an empty message is named as such (an empty
 * LUAULP_ERROR means "no error").
 */
static void copy_message(struct luaulp_rt *rt, lua_State *L)
{
	size_t len, i, o = 0;
	const char *m = lua_tolstring(L, -1, &len);

	for (i = 0; i < len && o + 2 < sizeof(rt->err); i++) {
		if (m[i] == '\0') {
			rt->err[o++] = '\\';
			rt->err[o++] = '0';
		} else {
			rt->err[o++] = m[i];
		}
	}
	rt->err[o] = '\0';
	if (!o)
		snprintf(rt->err, sizeof(rt->err), "(empty error message)");
}

/* Keep the message of the error on top of the stack, without allocating. */
static int rt_fail(struct luaulp_rt *rt, int status)
{
	lua_State *L = rt->L;

	if (rt->exhausted)
		return -ETIME;	/* message saved when it happened */
	/* lauxlib reports a failed buffer growth as a plain error */
	if (status == LUA_ERRMEM ||
	    (lua_type(L, -1) == LUA_TSTRING &&
	     strstr(lua_tostring(L, -1), "not enough memory for buffer allocation"))) {
		/* one message, whichever allocation failed first (that
		 * depends on the random hash seed) */
		snprintf(rt->err, sizeof(rt->err),
			 "not enough memory (limit %lu bytes)",
			 (unsigned long)rt->mem_max);
		return -ENOMEM;
	}
	switch (lua_type(L, -1)) {
	case LUA_TSTRING:
		copy_message(rt, L);
		break;
	case LUA_TNUMBER:
		snprintf(rt->err, sizeof(rt->err), "%lld",
			 (long long)lua_tointeger(L, -1));
		break;
	default:
		snprintf(rt->err, sizeof(rt->err), "(error object is a %s value)",
			 luaL_typename(L, -1));
		break;
	}
	return -EINVAL;
}

/*
 * The embedder's registry slots (runtime.h) are integer keys right after
 * Lua's own (LUA_RIDX_LAST), in the registry's array part: made with the
 * state, so that setting one later never allocates, and reached without
 * hashing.  (Nothing else here uses luaL_ref, which would share the range.)
 */
#define RT_SLOT_INDEX(slot)	(LUA_RIDX_LAST + 1 + (slot))

static int rt_open(lua_State *L)
{
	int i;

	for (i = 0; i < LUAULP_RT_NSLOTS; i++) {
		lua_pushboolean(L, 0);
		lua_rawseti(L, LUA_REGISTRYINDEX, RT_SLOT_INDEX(i));
	}
	return luaulp_rt_openlibs(L);
}

/* The key exists (rt_open), so lua_rawseti only overwrites its value. */
void luaulp_rt_slot_set(struct luaulp_rt *rt, enum luaulp_rt_slot slot,
			int idx)
{
	lua_pushvalue(rt->L, idx);
	lua_rawseti(rt->L, LUA_REGISTRYINDEX, RT_SLOT_INDEX(slot));
}

void luaulp_rt_slot_clear(struct luaulp_rt *rt, enum luaulp_rt_slot slot)
{
	lua_pushboolean(rt->L, 0);
	lua_rawseti(rt->L, LUA_REGISTRYINDEX, RT_SLOT_INDEX(slot));
}

void luaulp_rt_slot_push(struct luaulp_rt *rt, enum luaulp_rt_slot slot)
{
	lua_rawgeti(rt->L, LUA_REGISTRYINDEX, RT_SLOT_INDEX(slot));
}

/*
 * A long string is never interned, so it may be made first and written
 * after; nothing runs in between that could read it.
 */
char *luaulp_rt_pushbuf(lua_State *L, size_t len)
{
	TString *ts;

	if (len <= LUAI_MAXSHORTLEN)	/* would not compare equal to its twin */
		luaL_error(L, "internal: a %d-byte string must be interned",
			   (int)len);
	ts = luaS_createlngstrobj(L, len);

	lua_lock(L);
	setsvalue2s(L, L->top, ts);
	api_incr_top(L);
	lua_unlock(L);
	luaC_checkGC(L);
	return getstr(ts);
}

unsigned long long luaulp_rt_hash(const void *p, size_t len)
{
	return luaulp_plat_hash(p, len);
}

static int rt_create(struct luaulp_rt **out, const struct luaulp_rt_limits *lim,
		     struct luaulp_rt *code)
{
	struct luaulp_rt *rt;
	lua_State *L;
	size_t mmax = luaulp_plat_mem_max();
	unsigned long budget = luaulp_plat_insn_budget();

	*out = NULL;
	rt = luaulp_plat_alloc(sizeof(*rt));
	if (!rt)
		return -ENOMEM;
	/* per-state limits may only be lower than the module's */
	rt->mem_max = (lim && lim->mem_max && lim->mem_max < mmax) ?
		      lim->mem_max : mmax;
	rt->insn_budget = (lim && lim->insn_budget && lim->insn_budget < budget) ?
			  lim->insn_budget : budget;
	if (rt->insn_budget > (unsigned long)(~0ul >> 2))
		rt->insn_budget = ~0ul >> 2;

	rt->code = code;	/* read by luaulp_rt_shared() */
	L = lua_newstate(rt_alloc, rt);
	if (!L) {
		luaulp_plat_free(rt);
		return -ENOMEM;
	}
	rt->L = L;
	*(struct luaulp_rt **)lua_getextraspace(L) = rt;
	lua_atpanic(L, rt_panic);

	/*
	 * The libraries make only objects that live as long as the state: no
	 * collection while they are built (an allocation over the limit
	 * still collects first), and the first one only once the state has
	 * doubled, as after any collection (Lua's pause, 200%).
	 */
	rt_arm(rt);
	lua_gc(L, LUA_GCSTOP, 0);
	lua_pushcfunction(L, rt_open);
	if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
		luaulp_rt_destroy(rt);
		return -ENOMEM;
	}
	lua_settop(L, 0);
	lua_gc(L, LUA_GCRESTART, 0);
	luaE_setdebt(G(L), -(l_mem)gettotalbytes(G(L)));
	*out = rt;
	return 0;
}

int luaulp_rt_create(struct luaulp_rt **out, const struct luaulp_rt_limits *lim)
{
	return rt_create(out, lim, NULL);
}

int luaulp_rt_create_shared(struct luaulp_rt **out,
			    const struct luaulp_rt_limits *lim,
			    struct luaulp_rt *code)
{
	return rt_create(out, lim, code);
}

/* luai_sharedcode (patches/08): lua_newstate, before any string is made.
 * Every state is made by rt_create, so its allocator's data is its rt. */
void luaulp_rt_shared(lua_State *L, global_State *g)
{
	struct luaulp_rt *rt = g->ud;

	(void)L;
	if (!rt->code)
		return;
	g->shared = G(rt->code->L);
	g->seed = g->shared->seed;	/* its strings' hashes are ours */
}

void luaulp_rt_destroy(struct luaulp_rt *rt)
{
	if (!rt)
		return;
	/* __gc finalizers run in lua_close: give them one bounded budget */
	rt_arm(rt);
	lua_close(rt->L);
	luaulp_plat_free(rt);
}

struct lua_State *luaulp_rt_lua(struct luaulp_rt *rt)
{
	return rt->L;
}

void luaulp_rt_set_owner(struct luaulp_rt *rt, void *owner)
{
	rt->owner = owner;
}

void *luaulp_rt_owner(struct lua_State *L)
{
	return rt_of(L)->owner;
}

struct exec_args {
	const char *src;
	size_t len;
	const char *name;
	char *result;
	size_t rlen;
	int loadstatus;
};

/* Append S to the result buffer, truncating; always NUL-terminated. */
static void put_result(struct exec_args *a, size_t *pos, const char *s, size_t n)
{
	if (*pos + 1 >= a->rlen)
		return;
	if (n > a->rlen - 1 - *pos)
		n = a->rlen - 1 - *pos;
	memcpy(a->result + *pos, s, n);
	*pos += n;
	a->result[*pos] = '\0';
}

static int exec_protected(lua_State *L)
{
	struct exec_args *a = lua_touserdata(L, 1);
	int i, top;
	size_t pos = 0;

	a->loadstatus = luaL_loadbufferx(L, a->src, a->len, a->name, "t");
	if (a->loadstatus != LUA_OK)
		return lua_error(L);
	lua_call(L, 0, LUA_MULTRET);
	top = lua_gettop(L);
	if (!a->result || !a->rlen)
		return 0;
	a->result[0] = '\0';
	for (i = 2; i <= top; i++) {
		size_t n;
		const char *s = luaL_tolstring(L, i, &n);

		if (i > 2)
			put_result(a, &pos, "\t", 1);
		put_result(a, &pos, s, n);
		lua_pop(L, 1);
	}
	return 0;
}

int luaulp_rt_exec(struct luaulp_rt *rt, const char *src, size_t len,
		   const char *chunkname, char *result, size_t rlen)
{
	lua_State *L = rt->L;
	struct exec_args a = {
		.src = src, .len = len, .name = chunkname ? chunkname : "=chunk",
		.result = result, .rlen = rlen, .loadstatus = LUA_OK,
	};
	int top = lua_gettop(L);
	int status, ret = 0;

	if (result && rlen)
		result[0] = '\0';
	rt_arm(rt);
	lua_pushcfunction(L, exec_protected);
	lua_pushlightuserdata(L, &a);
	status = lua_pcall(L, 1, 0, 0);
	if (status != LUA_OK) {
		if (a.loadstatus == LUA_ERRMEM)
			status = LUA_ERRMEM;
		ret = rt_fail(rt, status);
		if (result && rlen)
			result[0] = '\0';
	}
	lua_settop(L, top);
	return ret;
}

static int compile_protected(lua_State *L)
{
	struct exec_args *a = lua_touserdata(L, 1);

	a->loadstatus = luaL_loadbufferx(L, a->src, a->len, a->name, "t");
	if (a->loadstatus != LUA_OK)
		return lua_error(L);
	return 1;
}

/* The compiled chunk stays on the stack, for luaulp_rt_freeze(). */
int luaulp_rt_compile(struct luaulp_rt *rt, const char *src, size_t len,
		      const char *chunkname)
{
	struct exec_args a = {
		.src = src, .len = len, .name = chunkname ? chunkname : "=chunk",
		.loadstatus = LUA_OK,
	};
	int status;

	rt_arm(rt);
	lua_pushcfunction(rt->L, compile_protected);
	lua_pushlightuserdata(rt->L, &a);
	status = lua_pcall(rt->L, 1, 1, 0);
	if (status == LUA_OK)
		return 0;
	if (a.loadstatus == LUA_ERRMEM)
		status = LUA_ERRMEM;
	status = rt_fail(rt, status);
	lua_pop(rt->L, 1);
	return status;
}

/*
 * Every object of the state becomes "fixed" (gray forever, on no list its
 * collector sweeps) and the collector stops: nothing is ever marked, moved,
 * freed or written in it again -- not by this state, not by the states
 * that share it, whose collectors only ever act on white objects.  Closure
 * caches are emptied and long strings hashed now, so no sharing state
 * writes them later.  The chunk compiled last is the shared code.
 */
int luaulp_rt_freeze(struct luaulp_rt *rt)
{
	lua_State *L = rt->L;
	global_State *g = G(L);
	GCObject *o, *next;

	if (lua_type(L, -1) != LUA_TFUNCTION || lua_iscfunction(L, -1))
		return -EINVAL;		/* no chunk compiled */
	lua_gc(L, LUA_GCCOLLECT, 0);
	lua_gc(L, LUA_GCSTOP, 0);
	/* A full collection ends at rest (its gray lists are reset only when
	 * a cycle starts, which never happens again here), with nothing
	 * waiting for a finaliser (the sandbox has no __gc). */
	if (g->gcstate != GCSpause || g->finobj || g->tobefnz)
		return -EINVAL;
	for (o = g->allgc; o; o = next) {
		next = o->next;
		if (o->tt == LUA_TPROTO)
			gco2p(o)->cache = NULL;
		else if (o->tt == LUA_TLNGSTR)
			luaS_hashlongstr(gco2ts(o));
		resetbits(o->marked, WHITEBITS);	/* gray */
		o->next = g->fixedgc;
		g->fixedgc = o;
	}
	g->allgc = NULL;
	rt->code_main = clLvalue(L->top - 1)->p;
	return 0;
}

static int run_code_protected(lua_State *L)
{
	struct luaulp_rt *rt = rt_of(L);
	Proto *p = (Proto *)rt->code->code_main;
	LClosure *cl = luaF_newLclosure(L, p->sizeupvalues);

	/* As lua_load does, with the frozen chunk's prototype. */
	cl->p = p;
	setclLvalue(L, L->top, cl);
	api_incr_top(L);
	luaF_initupvals(L, cl);
	if (cl->nupvalues >= 1) {
		Table *reg = hvalue(&G(L)->l_registry);
		const TValue *gt = luaH_getint(reg, LUA_RIDX_GLOBALS);

		setobj(L, cl->upvals[0]->v, gt);
		luaC_upvalbarrier(L, cl->upvals[0]);
	}
	lua_call(L, 0, 0);
	/* What only the top level used is garbage now: an idle socket
	 * should not hold it until the next cycle (the state doubled). */
	lua_gc(L, LUA_GCCOLLECT, 0);
	return 0;
}

int luaulp_rt_run_code(struct luaulp_rt *rt)
{
	if (!rt->code || !rt->code->code_main)
		return -EINVAL;
	lua_pushcfunction(rt->L, run_code_protected);
	return luaulp_rt_pcall(rt, 0, 0);
}

int luaulp_rt_pcall(struct luaulp_rt *rt, int nargs, int nresults)
{
	lua_State *L = rt->L;
	int status, ret;

	rt_arm(rt);
	status = lua_pcall(L, nargs, nresults, 0);
	if (status == LUA_OK)
		return 0;
	ret = rt_fail(rt, status);
	lua_pop(L, 1);
	return ret;
}

const char *luaulp_rt_error(struct luaulp_rt *rt)
{
	return rt->err;
}

size_t luaulp_rt_memory(struct luaulp_rt *rt)
{
	return rt->mem_used;
}

size_t luaulp_rt_memory_max(struct luaulp_rt *rt)
{
	return rt->mem_max;
}

int luaulp_rt_set_memory_max(struct luaulp_rt *rt, size_t max)
{
	if (max > rt->mem_max || max < rt->mem_used)
		return -EINVAL;
	rt->mem_max = max;
	rt_mirror(rt);
	return 0;
}

void luaulp_rt_set_mirror(struct luaulp_rt *rt, unsigned long *used,
			  unsigned long *max)
{
	rt->mirror_used = used;
	rt->mirror_max = max;
	rt_mirror(rt);
}

long luaulp_rt_live_bytes(void)
{
	return luaulp_plat_live();
}
