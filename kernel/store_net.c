// SPDX-License-Identifier: GPL-2.0
/*
 * Which shared store (store.c) a socket's scripts use: one per (network
 * namespace, user), the user being the effective uid of the process that
 * loaded the socket's script (LOADSCRIPT or ATTACHNAME, captured then:
 * sockopt.c, luaulp_sock_claim), so one user's scripts can neither read nor
 * poison another user's entries.  A namespace's stores go with it.
 *
 * Limits (module parameters): store_max_entries and store_max_bytes per
 * store; store_total_max_bytes for all stores of all users and namespaces
 * together (store_bytes shows the total).  Memory is charged to the memory
 * cgroup of the task whose script writes (GFP_KERNEL_ACCOUNT).
 *
 * Context: process context, from Lua (ctx->lock held).  Each namespace's
 * stores are protected by one mutex (a leaf: nothing is taken under it),
 * held only for one table operation.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/uidgid.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/sock.h>

#include "luaulp.h"
#include "script.h"

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

bool luaulp_emb_store_charge(long bytes)
{
	long max = min_t(unsigned long, READ_ONCE(store_total_max_bytes),
			 LONG_MAX);

	if (bytes <= 0) {
		atomic_long_add(bytes, &store_bytes);
		return true;
	}
	if (atomic_long_add_return(bytes, &store_bytes) <= max)
		return true;
	atomic_long_sub(bytes, &store_bytes);
	return false;
}

void luaulp_emb_store_limits(struct luaulp_store_limits *lim)
{
	lim->max_entries = READ_ONCE(store_max_entries);
	lim->max_bytes = READ_ONCE(store_max_bytes);
}

/* One user's store in a namespace. */
struct store_owner {
	struct list_head	node;
	kuid_t			uid;
	struct luaulp_store	*st;
};

struct store_net {
	struct mutex		lock;
	struct list_head	owners;
};

static unsigned int store_net_id __read_mostly;

struct luaulp_store *luaulp_emb_store_lock(void *owner, bool create,
					   const char **why)
{
	struct luaulp_sock *ctx = owner;
	struct store_net *sn = net_generic(sock_net(ctx->sk), store_net_id);
	kuid_t uid = READ_ONCE(ctx->uid);
	struct store_owner *so;

	mutex_lock(&sn->lock);
	list_for_each_entry(so, &sn->owners, node)
		if (uid_eq(so->uid, uid))
			return so->st;
	if (!create)
		goto none;
	*why = "store full";
	if (!luaulp_emb_store_charge(sizeof(*so)))
		goto none;
	so = kzalloc(sizeof(*so), GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (so)
		so->st = luaulp_store_create();
	if (!so || !so->st) {
		*why = so ? "store full" : "not enough memory";
		kfree(so);
		luaulp_emb_store_charge(-(long)sizeof(*so));
		goto none;
	}
	so->uid = uid;
	list_add(&so->node, &sn->owners);
	return so->st;
none:
	mutex_unlock(&sn->lock);
	return NULL;
}

void luaulp_emb_store_unlock(void *owner)
{
	struct luaulp_sock *ctx = owner;
	struct store_net *sn = net_generic(sock_net(ctx->sk), store_net_id);

	mutex_unlock(&sn->lock);
}

static int __net_init store_net_init(struct net *net)
{
	struct store_net *sn = net_generic(net, store_net_id);

	mutex_init(&sn->lock);
	INIT_LIST_HEAD(&sn->owners);
	return 0;
}

static void __net_exit store_net_exit(struct net *net)
{
	struct store_net *sn = net_generic(net, store_net_id);
	struct store_owner *so, *tmp;

	list_for_each_entry_safe(so, tmp, &sn->owners, node) {
		list_del(&so->node);
		luaulp_store_destroy(so->st);
		kfree(so);
		luaulp_emb_store_charge(-(long)sizeof(*so));
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
