/* SPDX-License-Identifier: GPL-2.0 */
/* luaulp kernel libc shim: <stdlib.h>: Lua's own allocator (lauxlib's l_alloc) is never used */
#ifndef LUAULP_STDLIB_H
#define LUAULP_STDLIB_H

#include <linux/bug.h>
#include <linux/math.h>		/* abs() */
#include <linux/stddef.h>

/* Reached only if a Lua error escapes every protected call: a bug. */
#define abort()		BUG()


/* luaL_newstate's allocator: fails, so nothing is ever allocated here */
static inline void *realloc(void *p, size_t n) { return NULL; }
static inline void free(void *p) { }

#endif
