// SPDX-License-Identifier: GPL-2.0
/*
 * The one runner into a socket's entry functions, shared by luaulp.ko and
 * `luaulp run` (script.h): make the chunk a Lua string, call the entry under
 * the runtime's budget, turn its result into a verdict, apply the on-error
 * policy, count the call.
 *
 * The chunk's string is the only copy the script path makes: with a fill
 * function the embedder writes the bytes (from TCP, from the application)
 * straight into it, and for PASS it is also what gets delivered.
 *
 * Context: process context, the state serialised by the caller (the
 * module's ctx->lock), no spinlock held.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#else
#include <errno.h>
#include <string.h>
#endif

#include "lua.h"
#include "lauxlib.h"
#include "llimits.h"	/* LUAI_MAXSHORTLEN */

#include "runtime.h"
#include "script.h"

/* The values of luaulp.RESET and luaulp.CLOSE: light userdata only we can
 * make. */
const char luaulp_reset_token;
const char luaulp_close_token;

/* Push the chunk: the bytes given, or FILL's into a fresh string, and
 * anchor it in the state's CHUNK slot, so that it outlives an error in the
 * entry (the on-error policy may deliver it).  0 if FILL gave nothing
 * (*got: its result).  Protected: allocations raise. */
static int push_chunk(lua_State *L, struct luaulp_rt *rt,
		      struct luaulp_entry *e, int *got)
{
	char *buf;
	int n;

	if (!e->fill) {
		lua_pushlstring(L, e->data, e->len);
		n = e->len;
	} else {
		/* Short strings are interned from their bytes: a chunk this
		 * small is read into E first (it survives an error). */
		buf = e->len <= sizeof(e->small) ? e->small :
		      luaulp_rt_pushbuf(L, e->len);
		n = e->fill(e->fill_arg, buf, e->len);
		*got = n;
		if (n <= 0)
			return 0;
		e->filled = n;	/* (the bytes, before anything can raise) */
		if (buf == e->small) {
			lua_pushlstring(L, buf, n);
		} else if ((size_t)n < e->len) {
			/* TCP gave less than it said it held: the string
			 * must have the length of the bytes.  Until it is
			 * made, the first one holds them. */
			luaulp_rt_slot_set(rt, LUAULP_RT_CHUNK, -1);
			lua_pushlstring(L, buf, n);
		}
	}
	e->filled = n;
	luaulp_rt_slot_set(rt, LUAULP_RT_CHUNK, -1);
	return 1;
}

/* Lua interns strings up to LUAI_MAXSHORTLEN from their bytes: those are
 * read into E->small; longer ones into a string made first. */
_Static_assert(sizeof(((struct luaulp_entry *)0)->small) == LUAI_MAXSHORTLEN,
	       "luaulp_entry.small must hold exactly Lua's short strings");

struct call {
	struct luaulp_rt *rt;
	struct luaulp_entry *e;
	int got;
};

/* Protected; leaves the chunk's string and the entry's result. */
static int entry_call(lua_State *L)
{
	struct call *c = lua_touserdata(L, 1);
	struct luaulp_entry *e = c->e;

	if (!push_chunk(L, c->rt, e, &c->got))
		return 0;
	if (lua_getglobal(L, e->name) != LUA_TFUNCTION)
		return luaL_error(L, "entry '%s' is not a function", e->name);
	/* chunk, entry, chunk, size, nonblock */
	lua_pushvalue(L, -2);
	lua_pushinteger(L, (lua_Integer)e->filled);
	lua_pushboolean(L, e->nonblock);
	lua_call(L, 3, 1);
	return 2;
}

static void count_call(struct luaulp_entry *e, struct luaulp_stats *st)
{
	if (e->send) {
		st->send_calls++;
		st->bytes_out += e->filled;
	} else {
		st->recv_calls++;
		st->bytes_in += e->filled;
	}
}

/* A failed call, counted and turned into a verdict by E->onerror. */
static enum luaulp_verdict failed(void *owner, struct luaulp_entry *e,
				  struct luaulp_stats *st, int err,
				  const char *msg)
{
	st->errors++;
	if (err == -ETIME)
		st->budget_hits++;
	else if (err == -ENOMEM)
		st->memory_hits++;
	e->error = msg;
	luaulp_emb_error(owner, msg);
	switch (e->onerror) {
	case LUAULP_ONERROR_RESET:
		st->resets++;
		return LUAULP_RESET;
	case LUAULP_ONERROR_CLOSE:
		st->closes++;
		return LUAULP_CLOSE;
	default:
		return LUAULP_PASS;
	}
}

/* The result on the top of the stack, the chunk below it. */
static enum luaulp_verdict verdict_of(struct luaulp_rt *rt,
				      struct luaulp_entry *e,
				      struct luaulp_stats *st)
{
	lua_State *L = luaulp_rt_lua(rt);
	void *token;

	switch (lua_type(L, -1)) {
	case LUA_TNIL:
		return LUAULP_PASS;
	case LUA_TBOOLEAN:
		if (!lua_toboolean(L, -1))
			return LUAULP_PASS;
		st->discards++;
		return LUAULP_DROP;
	case LUA_TSTRING:
		st->replacements++;
		e->out = lua_tolstring(L, -1, &e->outlen);
		return e->outlen ? LUAULP_REPLACE : LUAULP_DROP;
	case LUA_TLIGHTUSERDATA:
		token = lua_touserdata(L, -1);
		if (token == &luaulp_reset_token) {
			st->resets++;
			return LUAULP_RESET;
		}
		if (token == &luaulp_close_token) {
			st->closes++;
			return LUAULP_CLOSE;
		}
		break;
	default:
		break;
	}
	return failed(luaulp_rt_owner(L), e, st, -EINVAL,
		      "entry returned no verdict (nil, boolean, string, luaulp.RESET or luaulp.CLOSE)");
}

/*
 * After the call the stack holds two values, popped by luaulp_entry_done():
 * the chunk's string (or nil if it could not be made) and the result (nil
 * after an error).
 */
int luaulp_entry_run(struct luaulp_rt *rt, struct luaulp_entry *e,
		     struct luaulp_stats *st)
{
	lua_State *L = luaulp_rt_lua(rt);
	struct call c = { .rt = rt, .e = e, .got = 1 };
	int err;

	e->filled = 0;
	e->out = NULL;
	e->outlen = 0;
	e->error = NULL;
	/* No allocation before the protected call: a light C function and a
	 * light userdata fit in the stack Lua guarantees. */
	lua_pushcfunction(L, entry_call);
	lua_pushlightuserdata(L, &c);
	err = luaulp_rt_pcall(rt, 1, 2);
	if (!err && c.got <= 0) {
		luaulp_rt_slot_clear(rt, LUAULP_RT_CHUNK);
		return c.got;	/* FILL gave nothing: no entry ran */
	}
	if (err) {
		/* The chunk, if it was made (its anchor), and no result. */
		luaulp_rt_slot_push(rt, LUAULP_RT_CHUNK);
		lua_pushnil(L);
		count_call(e, st);
		e->verdict = failed(luaulp_rt_owner(L), e, st, err,
				    luaulp_rt_error(rt));
	} else {
		count_call(e, st);
		e->verdict = verdict_of(rt, e, st);
	}
	if (e->verdict == LUAULP_PASS) {
		/* The chunk's string: exact after a call, maybe longer than
		 * the bytes after an error (FILL's first string). */
		e->out = lua_tostring(L, -2);
		e->outlen = e->filled;
		if (!e->out && e->filled) {
			e->out = e->small;	/* no string could be made */
		} else if (!e->out && !e->fill) {
			/* No string could hold the chunk: it is where it
			 * was.  (With FILL nothing was taken.) */
			e->out = e->data;
			e->outlen = e->len;
		}
	} else if (e->verdict != LUAULP_REPLACE) {
		e->out = NULL;
		e->outlen = 0;
	}
	return 1;
}

/* Keep E's output (the chunk or the replacement) alive past
 * luaulp_entry_done(), in the state's KEPT slot: until the next keep,
 * luaulp_rt_slot_clear() or the state's end. */
void luaulp_entry_keep(struct luaulp_rt *rt, const struct luaulp_entry *e)
{
	luaulp_rt_slot_set(rt, LUAULP_RT_RX_KEPT,
			   e->verdict == LUAULP_REPLACE ? -1 : -2);
}

void luaulp_entry_done(struct luaulp_rt *rt)
{
	lua_pop(luaulp_rt_lua(rt), 2);
	luaulp_rt_slot_clear(rt, LUAULP_RT_CHUNK);
}
