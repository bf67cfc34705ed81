// SPDX-License-Identifier: GPL-2.0
/*
 * The shared store: a bounded key/value table that outlives one socket, for
 * caches and counters.  One store per (network namespace, user): the user is
 * the effective uid of the process that attached the ULP, so one user's
 * scripts can neither read nor poison another user's entries.
 *
 *   luaulp.store.get(key)                 -> value or nil
 *   luaulp.store.set(key, value [, ttl])  -> true, or nil and a reason
 *   luaulp.store.incr(key [, delta [, ttl]]) -> the new integer
 *   luaulp.store.delete(key)              -> true if it was there
 *
 * Keys are strings of 1..LUAULP_STORE_KEY_MAX bytes; values are strings or
 * integers; ttl is in seconds (0 or absent: no expiry).  Each store is
 * capped in entries and bytes (module parameters), and all stores of all
 * namespaces together by store_total_max_bytes (store_bytes shows the
 * total); a full store refuses new entries ("store full") after dropping
 * its expired ones.  Memory is charged to the memory cgroup of the task
 * whose script writes (GFP_KERNEL_ACCOUNT).
 *
 * The user is the effective uid of the process that loaded the socket's
 * script (LOADSCRIPT or ATTACHNAME), captured at that load (sockopt.c,
 * luaulp_sock_claim).
 *
 * Context: process context, from Lua (ctx->lock held).  Each namespace's
 * stores are protected by one mutex, held only for the table operation.
 */
#include <linux/hash.h>
#include <linux/jiffies.h>
#include <linux/jhash.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/uidgid.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/sock.h>

#include "lua.h"
#include "lauxlib.h"

#include "luaulp.h"
#include "runtime.h"

#define LUAULP_STORE_KEY_MAX	256
#define LUAULP_STORE_BITS	8

static unsigned int store_max_entries = 4096;
module_param(store_max_entries, uint, 0644);
MODULE_PARM_DESC(store_max_entries, "Entries per shared store (per user and namespace)");

static unsigned int store_max_bytes = 1 << 20;
module_param(store_max_bytes, uint, 0644);
MODULE_PARM_DESC(store_max_bytes, "Bytes of keys and values per shared store");

static unsigned long store_total_max_bytes = 64 << 20;
module_param(store_total_max_bytes, ulong, 0644);
MODULE_PARM_DESC(store_total_max_bytes,
		 "Bytes of all shared stores, all users and namespaces together");

static atomic_long_t store_bytes = ATOMIC_LONG_INIT(0);

static int get_store_bytes(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&store_bytes));
}

static const struct kernel_param_ops store_bytes_ops = {
	.get = get_store_bytes,
};
module_param_cb(store_bytes, &store_bytes_ops, NULL, 0444);
MODULE_PARM_DESC(store_bytes, "Bytes held by all shared stores");

/* Take BYTES of the module-wide ceiling; false if it would be passed. */
static bool total_charge(size_t bytes)
{
	long max = min_t(unsigned long, READ_ONCE(store_total_max_bytes), LONG_MAX);

	if (atomic_long_add_return(bytes, &store_bytes) <= max)
		return true;
	atomic_long_sub(bytes, &store_bytes);
	return false;
}

struct store_entry {
	struct hlist_node	node;
	unsigned long		expires;	/* jiffies; 0: never */
	bool			is_int;
	long long		ival;
	size_t			klen, vlen;
	char			data[];		/* key, then string value */
};

struct store {
	struct list_head	node;
	kuid_t			uid;
	unsigned int		entries;
	size_t			bytes;
	struct hlist_head	table[1 << LUAULP_STORE_BITS];
};

struct store_net {
	struct mutex		lock;
	struct list_head	stores;
};

static unsigned int store_net_id __read_mostly;

static size_t entry_cost(const struct store_entry *e)
{
	return sizeof(*e) + e->klen + e->vlen;
}

static void entry_free(struct store *st, struct store_entry *e)
{
	hlist_del(&e->node);
	st->entries--;
	st->bytes -= entry_cost(e);
	atomic_long_sub(entry_cost(e), &store_bytes);
	kfree(e);
}

static bool expired(const struct store_entry *e)
{
	return e->expires && time_after_eq(jiffies, e->expires);
}

/* The caller's store, created on first use; lock held.  NULL if it does
 * not exist (and CREATE is false), or with *why set if it cannot. */
static struct store *store_of(struct store_net *sn, kuid_t uid, bool create,
			      const char **why)
{
	struct store *st;

	list_for_each_entry(st, &sn->stores, node)
		if (uid_eq(st->uid, uid))
			return st;
	if (!create)
		return NULL;
	if (!total_charge(sizeof(*st))) {
		*why = "store full";
		return NULL;
	}
	st = kzalloc(sizeof(*st), GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!st) {
		atomic_long_sub(sizeof(*st), &store_bytes);
		*why = "not enough memory";
		return NULL;
	}
	st->uid = uid;
	list_add(&st->node, &sn->stores);
	return st;
}

static struct hlist_head *bucket(struct store *st, const char *k, size_t n)
{
	return &st->table[hash_32(jhash(k, n, 0), LUAULP_STORE_BITS)];
}

/* Lock held; expired entries are dropped on the way. */
static struct store_entry *lookup(struct store *st, const char *k, size_t n)
{
	struct store_entry *e;
	struct hlist_node *tmp;

	hlist_for_each_entry_safe(e, tmp, bucket(st, k, n), node) {
		if (e->klen != n || memcmp(e->data, k, n))
			continue;
		if (expired(e)) {
			entry_free(st, e);
			return NULL;
		}
		return e;
	}
	return NULL;
}

static void purge_expired(struct store *st)
{
	struct store_entry *e;
	struct hlist_node *tmp;
	int i;

	for (i = 0; i < ARRAY_SIZE(st->table); i++)
		hlist_for_each_entry_safe(e, tmp, &st->table[i], node)
			if (expired(e))
				entry_free(st, e);
}

struct store_ctx {
	struct store_net *sn;
	kuid_t uid;
};

static struct store_ctx sctx(lua_State *L)
{
	struct luaulp_sock *ctx = luaulp_rt_owner(L);
	struct store_ctx c = {
		.sn = net_generic(sock_net(ctx->sk), store_net_id),
		.uid = ctx->uid,
	};
	return c;
}

static const char *check_key(lua_State *L, size_t *n)
{
	const char *k = luaL_checklstring(L, 1, n);

	if (*n == 0 || *n > LUAULP_STORE_KEY_MAX)
		luaL_argerror(L, 1, "key of 1 to 256 bytes expected");
	return k;
}

static unsigned long ttl_arg(lua_State *L, int arg)
{
	lua_Integer ttl = luaL_optinteger(L, arg, 0);

	if (ttl < 0 || ttl > 365 * 24 * 3600)
		luaL_argerror(L, arg, "ttl of 0 to 1 year expected");
	return ttl ? jiffies + (unsigned long)ttl * HZ : 0;
}

/*
 * Nothing may raise a Lua error with the lock held, so a string value is
 * copied into a buffer Lua owns, allocated (which may raise) unlocked.
 */
static int l_get(lua_State *L)
{
	struct store_ctx c = sctx(L);
	struct store_entry *e;
	struct store *st;
	size_t n, size = 0, want;
	const char *k = check_key(L, &n);
	char *buf = NULL;
	int tries;

	for (tries = 0; tries < 4; tries++) {
		mutex_lock(&c.sn->lock);
		st = store_of(c.sn, c.uid, false, NULL);
		e = st ? lookup(st, k, n) : NULL;
		if (!e) {
			mutex_unlock(&c.sn->lock);
			lua_pushnil(L);
			return 1;
		}
		if (e->is_int) {
			lua_Integer v = e->ival;

			mutex_unlock(&c.sn->lock);
			lua_pushinteger(L, v);
			return 1;
		}
		if (buf && size >= e->vlen) {
			want = e->vlen;
			memcpy(buf, e->data + e->klen, want);
			mutex_unlock(&c.sn->lock);
			lua_pushlstring(L, buf, want);
			return 1;
		}
		want = e->vlen;
		mutex_unlock(&c.sn->lock);
		buf = lua_newuserdata(L, want ? want : 1);
		size = want;
	}
	return luaL_error(L, "store: '%s' keeps changing", k);
}

/* Insert or replace; lock held.  Returns NULL and sets *why on failure. */
static struct store_entry *put(struct store *st, const char *k, size_t n,
			       const char *v, size_t vlen, bool is_int,
			       long long ival, unsigned long expires,
			       const char **why)
{
	struct store_entry *old = lookup(st, k, n), *e;
	size_t cost = sizeof(*e) + n + vlen;
	size_t freed = old ? entry_cost(old) : 0;

	if (st->bytes - freed + cost > store_max_bytes ||
	    (!old && st->entries >= store_max_entries)) {
		purge_expired(st);
		old = lookup(st, k, n);
		freed = old ? entry_cost(old) : 0;
		if (st->bytes - freed + cost > store_max_bytes ||
		    (!old && st->entries >= store_max_entries)) {
			*why = "store full";
			return NULL;
		}
	}
	if (!total_charge(cost)) {
		*why = "store full";
		return NULL;
	}
	e = kmalloc(cost, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!e) {
		atomic_long_sub(cost, &store_bytes);
		*why = "not enough memory";
		return NULL;
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
	hlist_add_head(&e->node, bucket(st, k, n));
	st->entries++;
	st->bytes += cost;
	return e;
}

static int l_set(lua_State *L)
{
	struct store_ctx c = sctx(L);
	const char *why = "not enough memory";
	bool is_int = lua_type(L, 2) == LUA_TNUMBER;
	struct store *st;
	const char *v = NULL;
	long long ival = 0;
	unsigned long exp;
	size_t n, vlen = 0;
	const char *k = check_key(L, &n);
	bool ok = false;

	if (is_int)
		ival = lua_tointeger(L, 2);
	else if (lua_type(L, 2) == LUA_TSTRING)
		v = lua_tolstring(L, 2, &vlen);
	else
		return luaL_argerror(L, 2, "string or integer expected");
	exp = ttl_arg(L, 3);

	mutex_lock(&c.sn->lock);
	st = store_of(c.sn, c.uid, true, &why);
	if (st)
		ok = put(st, k, n, v, vlen, is_int, ival, exp, &why);
	mutex_unlock(&c.sn->lock);
	if (!ok) {
		lua_pushnil(L);
		lua_pushstring(L, why);
		return 2;
	}
	lua_pushboolean(L, 1);
	return 1;
}

static int l_incr(lua_State *L)
{
	struct store_ctx c = sctx(L);
	const char *why = "not enough memory";
	struct store_entry *e;
	struct store *st;
	size_t n;
	const char *k = check_key(L, &n);
	lua_Integer delta = luaL_optinteger(L, 2, 1);
	unsigned long exp = ttl_arg(L, 3);
	long long val = 0;
	bool ok = false, notint = false;

	mutex_lock(&c.sn->lock);
	st = store_of(c.sn, c.uid, true, &why);
	if (st) {
		e = lookup(st, k, n);
		if (e && !e->is_int) {
			notint = true;
		} else if (e) {
			e->ival = (long long)((unsigned long long)e->ival + delta);
			val = e->ival;
			ok = true;
		} else {
			val = delta;
			ok = put(st, k, n, NULL, 0, true, val, exp, &why);
		}
	}
	mutex_unlock(&c.sn->lock);
	if (notint)
		return luaL_error(L, "store: '%s' does not hold an integer", k);
	if (!ok) {
		lua_pushnil(L);
		lua_pushstring(L, why);
		return 2;
	}
	lua_pushinteger(L, val);
	return 1;
}

static int l_delete(lua_State *L)
{
	struct store_ctx c = sctx(L);
	struct store_entry *e;
	struct store *st;
	size_t n;
	const char *k = check_key(L, &n);
	bool found = false;

	mutex_lock(&c.sn->lock);
	st = store_of(c.sn, c.uid, false, NULL);
	e = st ? lookup(st, k, n) : NULL;
	if (e) {
		entry_free(st, e);
		found = true;
	}
	mutex_unlock(&c.sn->lock);
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

static int __net_init store_net_init(struct net *net)
{
	struct store_net *sn = net_generic(net, store_net_id);

	mutex_init(&sn->lock);
	INIT_LIST_HEAD(&sn->stores);
	return 0;
}

static void __net_exit store_net_exit(struct net *net)
{
	struct store_net *sn = net_generic(net, store_net_id);
	struct store *st, *tmp;
	struct store_entry *e;
	struct hlist_node *t;
	int i;

	list_for_each_entry_safe(st, tmp, &sn->stores, node) {
		for (i = 0; i < ARRAY_SIZE(st->table); i++)
			hlist_for_each_entry_safe(e, t, &st->table[i], node)
				entry_free(st, e);
		list_del(&st->node);
		kfree(st);
		atomic_long_sub(sizeof(*st), &store_bytes);
	}
	mutex_destroy(&sn->lock);
}

static struct pernet_operations store_net_ops = {
	.init	= store_net_init,
	.exit	= store_net_exit,
	.id	= &store_net_id,
	.size	= sizeof(struct store_net),
};

int luaulp_store_init(void)
{
	return register_pernet_subsys(&store_net_ops);
}

void luaulp_store_exit(void)
{
	unregister_pernet_subsys(&store_net_ops);
}
