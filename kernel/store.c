// SPDX-License-Identifier: GPL-2.0
/*
 * The shared store: a bounded key/value table that outlives one socket, for
 * caches and counters.  Shared by luaulp.ko and `luaulp run` (script.h);
 * which store a socket's scripts use, and its lock, are the embedder's (in
 * the kernel one per network namespace and user: kernel/store_net.c).
 *
 *   luaulp.store.get(key)                 -> value or nil
 *   luaulp.store.set(key, value [, ttl])  -> true, or nil and a reason
 *   luaulp.store.incr(key [, delta [, ttl]]) -> the new integer, or nil
 *                                            and a reason
 *   luaulp.store.delete(key)              -> true if it was there
 *
 * Keys are strings of 1..LUAULP_STORE_KEY_MAX bytes; values are strings or
 * integers; ttl is in seconds (0 or absent: no expiry, at most a year).
 * Each store is capped in entries and bytes, and all stores together by a
 * ceiling of the embedder's; a full store refuses new entries ("store
 * full") after dropping its expired ones.  Keys are placed by a keyed hash
 * (they come from the network: no one can aim them at one bucket).
 *
 * Context: process context, from Lua; the embedder's lock is held only for
 * the table operation, and nothing raises a Lua error while it is held.
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

#include "runtime_priv.h"
#include "script.h"

#define STORE_BUCKETS	256
#define NS_PER_SEC	1000000000ull
#define TTL_MAX		(365 * 24 * 3600)

struct store_entry {
	struct store_entry	*next;
	unsigned long long	expires;	/* luaulp_plat_now_ns; 0: never */
	long long		ival;
	size_t			klen, vlen;
	bool			is_int;
	char			data[];		/* key, then string value */
};

struct luaulp_store {
	unsigned int		entries;
	size_t			bytes;		/* entries and their bytes */
	struct store_entry	*table[STORE_BUCKETS];
};

static size_t entry_cost(const struct store_entry *e)
{
	return sizeof(*e) + e->klen + e->vlen;
}

struct luaulp_store *luaulp_store_create(void)
{
	struct luaulp_store *st;

	if (!luaulp_emb_store_charge(sizeof(*st)))
		return NULL;
	st = luaulp_plat_alloc(sizeof(*st));
	if (!st)
		luaulp_emb_store_charge(-(long)sizeof(*st));
	return st;
}

size_t luaulp_store_bytes(const struct luaulp_store *st)
{
	return sizeof(*st) + st->bytes;
}

static void entry_free(struct luaulp_store *st, struct store_entry **link)
{
	struct store_entry *e = *link;

	*link = e->next;
	st->entries--;
	st->bytes -= entry_cost(e);
	luaulp_emb_store_charge(-(long)entry_cost(e));
	luaulp_plat_free(e);
}

void luaulp_store_destroy(struct luaulp_store *st)
{
	int i;

	if (!st)
		return;
	for (i = 0; i < STORE_BUCKETS; i++)
		while (st->table[i])
			entry_free(st, &st->table[i]);
	luaulp_emb_store_charge(-(long)sizeof(*st));
	luaulp_plat_free(st);
}

static bool expired(const struct store_entry *e, unsigned long long now)
{
	return e->expires && now >= e->expires;
}

static struct store_entry **bucket(struct luaulp_store *st, const char *k,
				   size_t n)
{
	return &st->table[luaulp_plat_hash(k, n) % STORE_BUCKETS];
}

/* The link to K's entry (NULL if absent); expired entries are dropped on
 * the way.  Lock held. */
static struct store_entry **lookup(struct luaulp_store *st, const char *k,
				   size_t n)
{
	unsigned long long now = luaulp_plat_now_ns();
	struct store_entry **link = bucket(st, k, n);

	while (*link) {
		struct store_entry *e = *link;

		if (expired(e, now)) {
			entry_free(st, link);
			continue;
		}
		if (e->klen == n && !memcmp(e->data, k, n))
			return link;
		link = &e->next;
	}
	return NULL;
}

static void purge_expired(struct luaulp_store *st)
{
	unsigned long long now = luaulp_plat_now_ns();
	struct store_entry **link;
	int i;

	for (i = 0; i < STORE_BUCKETS; i++) {
		link = &st->table[i];
		while (*link) {
			if (expired(*link, now))
				entry_free(st, link);
			else
				link = &(*link)->next;
		}
	}
}

static bool fits(struct luaulp_store *st, const struct luaulp_store_limits *lim,
		 struct store_entry **old, size_t cost)
{
	size_t freed = old ? entry_cost(*old) : 0;

	return st->bytes - freed + cost <= lim->max_bytes &&
	       (old || st->entries < lim->max_entries);
}

/* Insert or replace; lock held.  false with *why set on failure. */
static bool put(struct luaulp_store *st, const char *k, size_t n,
		const char *v, size_t vlen, bool is_int, long long ival,
		unsigned long long expires, const char **why)
{
	struct luaulp_store_limits lim;
	struct store_entry **old = lookup(st, k, n), *e;
	size_t cost = sizeof(*e) + n + vlen;

	luaulp_emb_store_limits(&lim);
	if (!fits(st, &lim, old, cost)) {
		purge_expired(st);
		old = lookup(st, k, n);
		if (!fits(st, &lim, old, cost)) {
			*why = "store full";
			return false;
		}
	}
	if (!luaulp_emb_store_charge(cost)) {
		*why = "store full";
		return false;
	}
	e = luaulp_plat_alloc(cost);
	if (!e) {
		luaulp_emb_store_charge(-(long)cost);
		*why = "not enough memory";
		return false;
	}
	e->expires = expires;
	e->is_int = is_int;
	e->ival = ival;
	e->klen = n;
	e->vlen = vlen;
	memcpy(e->data, k, n);
	if (vlen)
		memcpy(e->data + n, v, vlen);
	if (old)
		entry_free(st, old);
	old = bucket(st, k, n);
	e->next = *old;
	*old = e;
	st->entries++;
	st->bytes += cost;
	return true;
}

static const char *check_key(lua_State *L, size_t *n)
{
	const char *k = luaL_checklstring(L, 1, n);

	if (*n == 0 || *n > LUAULP_STORE_KEY_MAX)
		luaL_argerror(L, 1, "key of 1 to 256 bytes expected");
	return k;
}

static unsigned long long ttl_arg(lua_State *L, int arg)
{
	lua_Integer ttl = luaL_optinteger(L, arg, 0);

	if (ttl < 0 || ttl > TTL_MAX)
		luaL_argerror(L, arg, "ttl of 0 to 1 year expected");
	return ttl ? luaulp_plat_now_ns() + (unsigned long long)ttl * NS_PER_SEC
		   : 0;
}

static int fail(lua_State *L, const char *why)
{
	lua_pushnil(L);
	lua_pushstring(L, why);
	return 2;
}

/*
 * Nothing may raise a Lua error with the lock held, so a string value is
 * copied into a buffer Lua owns, allocated (which may raise) unlocked.
 */
static int l_get(lua_State *L)
{
	void *owner = luaulp_rt_owner(L);
	struct luaulp_store *st;
	struct store_entry **link;
	size_t n, size = 0, want;
	const char *k = check_key(L, &n);
	char *buf = NULL;
	int tries;

	for (tries = 0; tries < 4; tries++) {
		st = luaulp_emb_store_lock(owner, false, NULL);
		if (!st) {
			lua_pushnil(L);
			return 1;
		}
		link = lookup(st, k, n);
		if (!link) {
			luaulp_emb_store_unlock(owner);
			lua_pushnil(L);
			return 1;
		}
		if ((*link)->is_int) {
			lua_Integer v = (*link)->ival;

			luaulp_emb_store_unlock(owner);
			lua_pushinteger(L, v);
			return 1;
		}
		want = (*link)->vlen;
		if (buf && size >= want) {
			memcpy(buf, (*link)->data + n, want);
			luaulp_emb_store_unlock(owner);
			lua_pushlstring(L, buf, want);
			return 1;
		}
		luaulp_emb_store_unlock(owner);
		buf = lua_newuserdata(L, want ? want : 1);
		size = want;
	}
	return luaL_error(L, "store: '%s' keeps changing", k);
}

static int l_set(lua_State *L)
{
	void *owner = luaulp_rt_owner(L);
	const char *why = "not enough memory";
	bool is_int = lua_type(L, 2) == LUA_TNUMBER;
	struct luaulp_store *st;
	const char *v = NULL;
	long long ival = 0;
	unsigned long long exp;
	size_t n, vlen = 0;
	const char *k = check_key(L, &n);
	bool ok;

	if (is_int)
		ival = lua_tointeger(L, 2);
	else if (lua_type(L, 2) == LUA_TSTRING)
		v = lua_tolstring(L, 2, &vlen);
	else
		return luaL_argerror(L, 2, "string or integer expected");
	exp = ttl_arg(L, 3);

	st = luaulp_emb_store_lock(owner, true, &why);
	if (!st)
		return fail(L, why);
	ok = put(st, k, n, v, vlen, is_int, ival, exp, &why);
	luaulp_emb_store_unlock(owner);
	if (!ok)
		return fail(L, why);
	lua_pushboolean(L, 1);
	return 1;
}

static int l_incr(lua_State *L)
{
	void *owner = luaulp_rt_owner(L);
	const char *why = "not enough memory";
	struct store_entry **link;
	struct luaulp_store *st;
	size_t n;
	const char *k = check_key(L, &n);
	lua_Integer delta = luaL_optinteger(L, 2, 1);
	unsigned long long exp = ttl_arg(L, 3);
	long long val = 0;
	bool ok = false, notint = false;

	st = luaulp_emb_store_lock(owner, true, &why);
	if (!st)
		return fail(L, why);
	link = lookup(st, k, n);
	if (link && !(*link)->is_int) {
		notint = true;
	} else if (link) {
		(*link)->ival = (long long)((unsigned long long)(*link)->ival +
					    (unsigned long long)delta);
		val = (*link)->ival;
		ok = true;
	} else {
		val = delta;
		ok = put(st, k, n, NULL, 0, true, val, exp, &why);
	}
	luaulp_emb_store_unlock(owner);
	if (notint)
		return luaL_error(L, "store: '%s' does not hold an integer", k);
	if (!ok)
		return fail(L, why);
	lua_pushinteger(L, val);
	return 1;
}

static int l_delete(lua_State *L)
{
	void *owner = luaulp_rt_owner(L);
	struct store_entry **link;
	struct luaulp_store *st;
	size_t n;
	const char *k = check_key(L, &n);
	bool found = false;

	st = luaulp_emb_store_lock(owner, false, NULL);
	if (st) {
		link = lookup(st, k, n);
		if (link) {
			entry_free(st, link);
			found = true;
		}
		luaulp_emb_store_unlock(owner);
	}
	lua_pushboolean(L, found);
	return 1;
}

/* Protected: adds luaulp.store to the table on the top of the stack. */
int luaulp_store_open(lua_State *L)
{
	static const luaL_Reg funcs[] = {
		{ "get", l_get },
		{ "set", l_set },
		{ "incr", l_incr },
		{ "delete", l_delete },
		{ NULL, NULL }
	};

	luaL_newlib(L, funcs);
	lua_setfield(L, -2, "store");
	return 0;
}
