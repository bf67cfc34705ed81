/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which libconfig the policy parser calls.
 *
 * The CLI, the tests and the fuzzer link -lconfig as usual.  The shim must
 * not: it is loaded into programs that may carry a libconfig of their own
 * (another version, e.g. 1.7's libconfig.so.11, or a program's own
 * config_* functions), and unversioned config_* references from the shim
 * would bind to whichever definition comes first in the global scope,
 * running other code on this header's structures.  So the shim
 * (LUAULP_LCFG_PRIVATE) loads the libconfig it was built against by soname
 * with RTLD_LOCAL | RTLD_DEEPBIND, takes its functions from that handle,
 * and the config_* names below go through them.
 */
#ifndef LUAULP_LCFG_H
#define LUAULP_LCFG_H

#include <stddef.h>
#include <libconfig.h>

#ifdef LUAULP_LCFG_PRIVATE

struct luaulp_lcfg {
	void (*init)(config_t *);
	void (*destroy)(config_t *);
	void (*set_auto_convert)(config_t *, int);
	void (*set_include_dir)(config_t *, const char *);
	int (*read_string)(config_t *, const char *);
	config_setting_t *(*get_member)(const config_setting_t *, const char *);
	config_setting_t *(*get_elem)(const config_setting_t *, unsigned int);
	int (*length)(const config_setting_t *);
	const char *(*get_string)(const config_setting_t *);
	int (*get_int)(const config_setting_t *);
	long long (*get_int64)(const config_setting_t *);
};
extern struct luaulp_lcfg luaulp_lcfg;

#define config_init			luaulp_lcfg.init
#define config_destroy			luaulp_lcfg.destroy
#define config_set_auto_convert		luaulp_lcfg.set_auto_convert
#define config_set_include_dir		luaulp_lcfg.set_include_dir
#define config_read_string		luaulp_lcfg.read_string
#define config_setting_get_member	luaulp_lcfg.get_member
#define config_setting_get_elem		luaulp_lcfg.get_elem
#define config_setting_length		luaulp_lcfg.length
#define config_setting_get_string	luaulp_lcfg.get_string
#define config_setting_get_int		luaulp_lcfg.get_int
#define config_setting_get_int64	luaulp_lcfg.get_int64

/* Load and bind once (not thread-safe: the shim's constructor).  0, or -1
 * with the reason in WHY. */
int luaulp_lcfg_bind(char *why, size_t whylen);

#else

static inline int luaulp_lcfg_bind(char *why, size_t whylen)
{
	(void)why;
	(void)whylen;
	return 0;
}

#endif
#endif /* LUAULP_LCFG_H */
