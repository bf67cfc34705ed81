// SPDX-License-Identifier: GPL-2.0
/*
 * The shim's private binding of libconfig (see lcfg.h).  LUAULP_LCFG_SONAME
 * comes from the build: the soname of the libconfig the headers belong to.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

#define LUAULP_LCFG_PRIVATE
#include "lcfg.h"

#ifndef LUAULP_LCFG_SONAME
#error "LUAULP_LCFG_SONAME: the build passes libconfig's soname"
#endif

struct luaulp_lcfg luaulp_lcfg;

int luaulp_lcfg_bind(char *why, size_t whylen)
{
	static const char *const names[] = {
		"config_init", "config_destroy", "config_set_auto_convert",
		"config_set_include_dir", "config_read_string",
		"config_setting_get_member", "config_setting_get_elem",
		"config_setting_length", "config_setting_get_string",
		"config_setting_get_int", "config_setting_get_int64",
	};
	void *slots[sizeof(names) / sizeof(names[0])];
	void *h;

	_Static_assert(sizeof(slots) == sizeof(luaulp_lcfg),
		       "one name per function pointer");
	if (luaulp_lcfg.init)
		return 0;
	/* Its own symbols first (DEEPBIND), none of them global (LOCAL). */
	h = dlopen(LUAULP_LCFG_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
	if (!h) {
		snprintf(why, whylen, "cannot load %s: %s", LUAULP_LCFG_SONAME,
			 dlerror());
		return -1;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		slots[i] = dlsym(h, names[i]);
		if (!slots[i]) {
			snprintf(why, whylen, "%s has no %s", LUAULP_LCFG_SONAME,
				 names[i]);
			dlclose(h);
			return -1;
		}
	}
	/* The handle stays open: the policy's parse may run again (tests). */
	__builtin_memcpy(&luaulp_lcfg, slots, sizeof(slots));
	return 0;
}
