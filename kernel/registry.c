// SPDX-License-Identifier: GPL-2.0
/*
 * Named, precompiled scripts, one registry per network namespace, filled by
 * privileged processes over generic netlink and attached by any socket with
 * LUAULP_ATTACHNAME.  Also the namespace's list of scripted sockets, which
 * LUAULP_CMD_GET_SOCKET dumps.
 *
 * A script is compiled once, in a scratch Lua state, and kept as Lua
 * bytecode made by our own lua_dump, stripped of debug information.  Only this file ever loads bytecode,
 * and only from that buffer: every user-facing load stays text-only.
 *
 * Locking (see the lock order in luaulp.h): luaulp_net.lock, a mutex,
 * protects the script list and is never held across a Lua call or while
 * another lock is taken.  Scripts are refcounted so a socket loads one
 * without holding it.  The socket list is RCU-protected: writers (ULP init,
 * with the socket lock held, and close) take the spinlock socks_lock, the
 * innermost lock of all; the dump walks it under rcu_read_lock and reads
 * only the context's own fields, locklessly (contexts are freed after a
 * grace period).
 *
 * Privilege: REGISTER and UNREGISTER need CAP_NET_ADMIN in the initial user
 * namespace (GENL_ADMIN_PERM: netlink_capable() checks both the opener of
 * the netlink socket and the sender); the dumps are open to all.
 *
 * Memory: scripts are charged to the registering process's memory cgroup
 * (GFP_KERNEL_ACCOUNT) and, all namespaces together, capped by the module
 * parameter registry_max_bytes (registry_bytes shows the total).
 *
 * Context: process context throughout (genetlink handlers, setsockopt,
 * ULP init and close).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/module.h>
#include <linux/refcount.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/sysfs.h>
#include <linux/user_namespace.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/sock.h>

#include "lua.h"
#include "lauxlib.h"

#include "luaulp.h"
#include "runtime.h"

static unsigned int max_scripts = 64;
module_param(max_scripts, uint, 0644);
MODULE_PARM_DESC(max_scripts, "Registered scripts per network namespace");

static unsigned long registry_max_bytes = 16 << 20;
module_param(registry_max_bytes, ulong, 0644);
MODULE_PARM_DESC(registry_max_bytes,
		 "Bytes of compiled code of all registered scripts, all namespaces together");

static atomic_long_t registry_bytes = ATOMIC_LONG_INIT(0);

static int get_registry_bytes(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&registry_bytes));
}

static const struct kernel_param_ops registry_bytes_ops = {
	.get = get_registry_bytes,
};
module_param_cb(registry_bytes, &registry_bytes_ops, NULL, 0444);
MODULE_PARM_DESC(registry_bytes, "Bytes held by registered scripts, all namespaces");

struct luaulp_script {
	struct list_head	node;
	refcount_t		ref;
	size_t			cost;		/* charged to registry_bytes */
	size_t			source_size;
	size_t			code_size;
	char			name[LUAULP_NAME_MAX + 1];
	char			code[];
};

struct luaulp_net {
	struct mutex		lock;
	struct list_head	scripts;
	unsigned int		nscripts;
	spinlock_t		socks_lock;	/* writers of socks */
	struct list_head	socks;		/* luaulp_sock.node, RCU */
};

static unsigned int luaulp_net_id __read_mostly;

static struct luaulp_net *lnet(const struct net *net)
{
	return net_generic(net, luaulp_net_id);
}

static void script_put(struct luaulp_script *s)
{
	if (refcount_dec_and_test(&s->ref)) {
		atomic_long_sub(s->cost, &registry_bytes);
		kvfree(s);
	}
}

bool luaulp_script_name_valid(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!isalnum(*s) && *s != '_' && *s != '.' && *s != '-')
			return false;
	return n >= 1 && n <= LUAULP_NAME_MAX;
}

/* The script called NAME, or NULL; ln->lock held. */
static struct luaulp_script *find_script(struct luaulp_net *ln, const char *name)
{
	struct luaulp_script *s;

	list_for_each_entry(s, &ln->scripts, node)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

/* --- compiling ------------------------------------------------------- */

struct code_buf {
	char *p;
	size_t len, cap;
};

static int code_writer(lua_State *L, const void *p, size_t n, void *ud)
{
	struct code_buf *b = ud;

	if (b->len + n > b->cap) {
		size_t cap = max(b->cap * 2, b->len + n);
		char *q;

		if (cap > 4 * LUAULP_SCRIPT_MAX)
			return 1;
		q = kvmalloc(cap, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		if (!q)
			return 1;
		if (b->len)
			memcpy(q, b->p, b->len);
		kvfree(b->p);
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

struct compile_args {
	const char *src;
	size_t len;
	const char *chunkname;
	struct code_buf *out;
};

/* Protected: a syntax error propagates as a Lua error with its message. */
static int compile_protected(lua_State *L)
{
	struct compile_args *a = lua_touserdata(L, 1);

	if (luaL_loadbufferx(L, a->src, a->len, a->chunkname, "t"))
		return lua_error(L);
	/* Stripped: each socket holds its own copy of the code, and the line
	 * table, local and upvalue names would be a third of it (undump.c). */
	if (lua_dump(L, code_writer, a->out, 1))
		return luaL_error(L, "not enough memory for the compiled code");
	return 0;
}

/* --- attaching by name ---------------------------------------------- */

struct load_args {
	struct luaulp_sock *ctx;
	const struct luaulp_script *s;
	char chunkname[LUAULP_NAME_MAX + 2];
};

static int load_protected(lua_State *L)
{
	struct load_args *a = lua_touserdata(L, 1);
	int status;

	/* Our own bytecode, from compile_protected: the only binary load.
	 * lua_load reports errors by status (it never raises), so the flag is
	 * always cleared before the script's own code runs. */
	a->ctx->trusted_load = true;
	status = luaL_loadbufferx(L, a->s->code, a->s->code_size,
				  a->chunkname, "b");
	a->ctx->trusted_load = false;
	if (status)
		return lua_error(L);
	lua_call(L, 0, 0);
	/* The chunk is garbage now (its own code, what only it referenced):
	 * an idle socket should not hold it until the collector's next cycle,
	 * which starts only when the state has doubled. */
	lua_gc(L, LUA_GCCOLLECT, 0);
	return 0;
}

/* LUAULP_ATTACHNAME; ctx->lock not held. */
int luaulp_registry_attach(struct sock *sk, struct luaulp_sock *ctx,
			   const char *name)
{
	struct luaulp_net *ln = lnet(sock_net(sk));
	struct luaulp_script *found;
	struct load_args a;
	int err;

	mutex_lock(&ln->lock);
	found = find_script(ln, name);
	if (found)
		refcount_inc(&found->ref);
	mutex_unlock(&ln->lock);
	if (!found)
		return -ENOENT;

	a.ctx = ctx;
	a.s = found;
	snprintf(a.chunkname, sizeof(a.chunkname), "=%s", found->name);
	if (mutex_lock_killable(&ctx->lock)) {
		script_put(found);
		return -EINTR;
	}
	err = luaulp_sock_claim(ctx);
	if (err)
		strscpy(ctx->error, "this socket's scripts belong to another user",
			sizeof(ctx->error));
	else
		err = luaulp_sock_rt(ctx);
	if (!err) {
		lua_State *L = luaulp_rt_lua(ctx->rt);

		lua_pushcfunction(L, load_protected);
		lua_pushlightuserdata(L, &a);
		err = luaulp_rt_pcall(ctx->rt, 1, 0);
		strscpy(ctx->error, err ? luaulp_rt_error(ctx->rt) : "",
			sizeof(ctx->error));
		if (!err)
			luaulp_set_name(ctx, ctx->script, found->name);
	}
	mutex_unlock(&ctx->lock);
	script_put(found);
	return err;
}

/* --- the socket list ------------------------------------------------- */

/* ULP init: process context, socket lock held. */
void luaulp_registry_add_sock(struct luaulp_sock *ctx)
{
	struct luaulp_net *ln = lnet(sock_net(ctx->sk));

	spin_lock(&ln->socks_lock);
	list_add_tail_rcu(&ctx->node, &ln->socks);
	spin_unlock(&ln->socks_lock);
}

/* close: process context.  The caller frees ctx after a grace period. */
void luaulp_registry_del_sock(struct luaulp_sock *ctx)
{
	struct luaulp_net *ln = lnet(sock_net(ctx->sk));

	spin_lock(&ln->socks_lock);
	list_del_rcu(&ctx->node);
	spin_unlock(&ln->socks_lock);
}

/* --- generic netlink ------------------------------------------------- */

static struct genl_family luaulp_genl;

static const struct nla_policy luaulp_policy[LUAULP_A_MAX + 1] = {
	[LUAULP_A_NAME]		= { .type = NLA_NUL_STRING,
				    .len = LUAULP_NAME_MAX },
	/* A netlink attribute holds at most 65531 bytes. */
	[LUAULP_A_SOURCE]	= { .type = NLA_BINARY },
};

#ifdef GENL_SET_ERR_MSG_FMT
#define set_err_fmt(info, fmt, ...) GENL_SET_ERR_MSG_FMT(info, fmt, ##__VA_ARGS__)
#else
/* 6.1 has no buffer for formatted ext-ack messages. */
#define set_err_fmt(info, fmt, ...) \
	GENL_SET_ERR_MSG(info, "Lua syntax error (luaulp check shows it)")
#endif

static int cmd_register(struct sk_buff *skb, struct genl_info *info)
{
	struct luaulp_net *ln = lnet(genl_info_net(info));
	struct code_buf code = {};
	struct compile_args a;
	struct luaulp_script *s, *old;
	struct luaulp_rt *rt;
	char chunkname[LUAULP_NAME_MAX + 2];
	const char *name;
	size_t cost;
	int err;

	if (!info->attrs[LUAULP_A_NAME] || !info->attrs[LUAULP_A_SOURCE]) {
		GENL_SET_ERR_MSG(info, "NAME and SOURCE are required");
		return -EINVAL;
	}
	name = nla_data(info->attrs[LUAULP_A_NAME]);
	if (!luaulp_script_name_valid(name)) {
		GENL_SET_ERR_MSG(info, "script names are 1-64 of [A-Za-z0-9_.-]");
		return -EINVAL;
	}
	if (nla_len(info->attrs[LUAULP_A_SOURCE]) == 0) {
		GENL_SET_ERR_MSG(info, "empty source");
		return -EINVAL;
	}

	err = luaulp_rt_create(&rt, NULL);
	if (err)
		return err;
	snprintf(chunkname, sizeof(chunkname), "=%s", name);
	a.src = nla_data(info->attrs[LUAULP_A_SOURCE]);
	a.len = nla_len(info->attrs[LUAULP_A_SOURCE]);
	a.chunkname = chunkname;
	a.out = &code;
	lua_pushcfunction(luaulp_rt_lua(rt), compile_protected);
	lua_pushlightuserdata(luaulp_rt_lua(rt), &a);
	err = luaulp_rt_pcall(rt, 1, 0);
	if (err) {
		set_err_fmt(info, "%s", luaulp_rt_error(rt));
		luaulp_rt_destroy(rt);
		kvfree(code.p);
		return err == -ENOMEM ? -ENOMEM : -EINVAL;
	}
	luaulp_rt_destroy(rt);

	cost = struct_size(s, code, code.len);
	if (atomic_long_add_return(cost, &registry_bytes) >
	    (long)min_t(unsigned long, READ_ONCE(registry_max_bytes), LONG_MAX)) {
		atomic_long_sub(cost, &registry_bytes);
		kvfree(code.p);
		GENL_SET_ERR_MSG(info, "registry full (module parameter registry_max_bytes)");
		return -ENOSPC;
	}
	s = kvzalloc(cost, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!s) {
		atomic_long_sub(cost, &registry_bytes);
		kvfree(code.p);
		return -ENOMEM;
	}
	s->cost = cost;
	refcount_set(&s->ref, 1);
	strscpy(s->name, name, sizeof(s->name));
	s->source_size = a.len;
	s->code_size = code.len;
	memcpy(s->code, code.p, code.len);
	kvfree(code.p);

	mutex_lock(&ln->lock);
	old = find_script(ln, name);
	if (old) {
		/* Replace: attached sockets keep their own copy. */
		list_replace(&old->node, &s->node);
		mutex_unlock(&ln->lock);
		script_put(old);
		return 0;
	}
	if (ln->nscripts >= max_scripts) {
		mutex_unlock(&ln->lock);
		script_put(s);
		GENL_SET_ERR_MSG(info, "registry full (module parameter max_scripts)");
		return -ENOSPC;
	}
	list_add_tail(&s->node, &ln->scripts);
	ln->nscripts++;
	mutex_unlock(&ln->lock);
	return 0;
}

static int cmd_unregister(struct sk_buff *skb, struct genl_info *info)
{
	struct luaulp_net *ln = lnet(genl_info_net(info));
	struct luaulp_script *s;
	const char *name;

	if (!info->attrs[LUAULP_A_NAME]) {
		GENL_SET_ERR_MSG(info, "NAME is required");
		return -EINVAL;
	}
	name = nla_data(info->attrs[LUAULP_A_NAME]);
	mutex_lock(&ln->lock);
	s = find_script(ln, name);
	if (s) {
		list_del(&s->node);
		ln->nscripts--;
		mutex_unlock(&ln->lock);
		script_put(s);
		return 0;
	}
	mutex_unlock(&ln->lock);
	GENL_SET_ERR_MSG(info, "no script of that name");
	return -ENOENT;
}

static void *put_header(struct sk_buff *skb, struct netlink_callback *cb,
			u8 cmd)
{
	return genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
			   cb->nlh->nlmsg_seq, &luaulp_genl, NLM_F_MULTI, cmd);
}

/* cb->args[0]: entries already sent. */
static int cmd_get_script(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct luaulp_net *ln = lnet(sock_net(skb->sk));
	struct luaulp_script *s;
	long i = 0;
	void *hdr;

	mutex_lock(&ln->lock);
	list_for_each_entry(s, &ln->scripts, node) {
		if (i++ < cb->args[0])
			continue;
		hdr = put_header(skb, cb, LUAULP_CMD_GET_SCRIPT);
		if (!hdr)
			goto full;
		if (nla_put_string(skb, LUAULP_A_NAME, s->name) ||
		    nla_put_u32(skb, LUAULP_A_CODE_SIZE, s->code_size) ||
		    nla_put_u32(skb, LUAULP_A_SOURCE_SIZE, s->source_size)) {
			genlmsg_cancel(skb, hdr);
			goto full;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = i;
	}
full:
	mutex_unlock(&ln->lock);
	return skb->len;
}

/*
 * One socket's message, from its context only (never the socket, the Lua
 * state or ctx->lock): RCU read section held, so nothing here sleeps.
 */
static int put_sock(struct sk_buff *skb, struct luaulp_sock *ctx,
		    struct user_namespace *ns)
{
	char script[LUAULP_NAME_MAX + 1], entry[LUAULP_NAME_MAX + 1];
	char send_entry[LUAULP_NAME_MAX + 1];
	int alen = ctx->family == AF_INET6 ? 16 : 4;
	struct luaulp_stats st;

	luaulp_sock_stats(ctx, &st);
	spin_lock(&ctx->names_lock);
	strscpy(script, ctx->script, sizeof(script));
	strscpy(entry, ctx->entry, sizeof(entry));
	strscpy(send_entry, ctx->send_entry, sizeof(send_entry));
	spin_unlock(&ctx->names_lock);
	if (nla_put_u8(skb, LUAULP_A_FAMILY, ctx->family) ||
	    nla_put(skb, LUAULP_A_LOCAL_ADDR, alen, &ctx->saddr) ||
	    nla_put(skb, LUAULP_A_REMOTE_ADDR, alen, &ctx->daddr) ||
	    nla_put_u16(skb, LUAULP_A_LOCAL_PORT, ctx->sport) ||
	    nla_put_u16(skb, LUAULP_A_REMOTE_PORT, ntohs(ctx->dport)) ||
	    nla_put_u64_64bit(skb, LUAULP_A_INODE, ctx->ino, LUAULP_A_PAD) ||
	    nla_put_u32(skb, LUAULP_A_UID,
			from_kuid_munged(ns, READ_ONCE(ctx->uid))) ||
	    nla_put_string(skb, LUAULP_A_SCRIPT, script) ||
	    nla_put_string(skb, LUAULP_A_ENTRY, entry) ||
	    nla_put_string(skb, LUAULP_A_SEND_ENTRY, send_entry) ||
	    nla_put_64bit(skb, LUAULP_A_STATS, sizeof(st), &st, LUAULP_A_PAD))
		return -EMSGSIZE;
	return 0;
}

/*
 * Filtered with the credentials of whoever opened the netlink socket (not
 * of the task reading at each dump step: the socket may have been passed
 * on): CAP_NET_ADMIN over the namespace sees every socket, anyone else the
 * sockets whose scripts belong to its euid.  Uids are reported as seen from
 * the opener's user namespace.  cb->args[0]: entries already sent.
 */
static int cmd_get_socket(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct net *net = sock_net(skb->sk);
	struct luaulp_net *ln = lnet(net);
	struct sock *nlsk = NETLINK_CB(cb->skb).sk;
	const struct cred *cred;
	struct luaulp_sock *ctx;
	bool admin;
	long i = 0;
	void *hdr;

	if (!nlsk->sk_socket || !nlsk->sk_socket->file)
		return -EPERM;
	cred = nlsk->sk_socket->file->f_cred;
	admin = file_ns_capable(nlsk->sk_socket->file, net->user_ns,
				CAP_NET_ADMIN);
	rcu_read_lock();
	list_for_each_entry_rcu(ctx, &ln->socks, node) {
		if (!admin && !uid_eq(READ_ONCE(ctx->uid), cred->euid))
			continue;
		if (i++ < cb->args[0])
			continue;
		hdr = put_header(skb, cb, LUAULP_CMD_GET_SOCKET);
		if (!hdr)
			break;
		if (put_sock(skb, ctx, cred->user_ns)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = i;
	}
	rcu_read_unlock();
	return skb->len;
}

static const struct genl_small_ops luaulp_genl_ops[] = {
	{
		.cmd	= LUAULP_CMD_REGISTER,
		.doit	= cmd_register,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= LUAULP_CMD_UNREGISTER,
		.doit	= cmd_unregister,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= LUAULP_CMD_GET_SCRIPT,
		.dumpit	= cmd_get_script,
	},
	{
		.cmd	= LUAULP_CMD_GET_SOCKET,
		.dumpit	= cmd_get_socket,
	},
};

static struct genl_family luaulp_genl __ro_after_init = {
	.name		= LUAULP_GENL_NAME,
	.version	= LUAULP_GENL_VERSION,
	.maxattr	= LUAULP_A_MAX,
	.policy		= luaulp_policy,
	.netnsok	= true,
	.module		= THIS_MODULE,
	.small_ops	= luaulp_genl_ops,
	.n_small_ops	= ARRAY_SIZE(luaulp_genl_ops),
	.resv_start_op	= LUAULP_CMD_MAX + 1,
};

/* --- per namespace --------------------------------------------------- */

static int __net_init luaulp_net_init(struct net *net)
{
	struct luaulp_net *ln = lnet(net);

	mutex_init(&ln->lock);
	spin_lock_init(&ln->socks_lock);
	INIT_LIST_HEAD(&ln->scripts);
	INIT_LIST_HEAD(&ln->socks);
	return 0;
}

static void __net_exit luaulp_net_exit(struct net *net)
{
	struct luaulp_net *ln = lnet(net);
	struct luaulp_script *s, *tmp;

	/* Sockets pin their namespace: none is left on the list. */
	list_for_each_entry_safe(s, tmp, &ln->scripts, node) {
		list_del(&s->node);
		script_put(s);
	}
	mutex_destroy(&ln->lock);
}

static struct pernet_operations luaulp_net_ops = {
	.init	= luaulp_net_init,
	.exit	= luaulp_net_exit,
	.id	= &luaulp_net_id,
	.size	= sizeof(struct luaulp_net),
};

int luaulp_registry_init(void)
{
	int err;

	err = register_pernet_subsys(&luaulp_net_ops);
	if (err)
		return err;
	err = genl_register_family(&luaulp_genl);
	if (err)
		unregister_pernet_subsys(&luaulp_net_ops);
	return err;
}

void luaulp_registry_exit(void)
{
	genl_unregister_family(&luaulp_genl);
	unregister_pernet_subsys(&luaulp_net_ops);
}
