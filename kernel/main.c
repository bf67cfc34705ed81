// SPDX-License-Identifier: GPL-2.0
/*
 * luaulp: Lua scripting of TCP sockets as the Upper Layer Protocol "lua".
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <net/tcp.h>

#include "luaulp.h"
#include "runtime.h"

static int __init luaulp_module_init(void)
{
	int err;

	luaulp_plat_init();
	err = luaulp_store_init();
	if (err)
		return err;
	err = luaulp_registry_init();
	if (err)
		goto err_store;
	err = luaulp_ulp_register();
	if (err)
		goto err_registry;
	pr_info("TCP ULP \"lua\" registered\n");
	return 0;

err_registry:
	luaulp_registry_exit();
err_store:
	luaulp_store_exit();
	return err;
}

/* Only once no socket carries the ULP: each one pins the module. */
static void __exit luaulp_module_exit(void)
{
	luaulp_ulp_unregister();
	luaulp_registry_exit();
	luaulp_store_exit();
}

module_init(luaulp_module_init);
module_exit(luaulp_module_exit);

MODULE_AUTHOR("luaulp developers");
MODULE_DESCRIPTION("Lua scripting of TCP sockets (TCP ULP \"lua\")");
MODULE_LICENSE("GPL");
MODULE_ALIAS_TCP_ULP("lua");
