/* SPDX-License-Identifier: GPL-2.0 */
/* luaulp kernel libc shim: <assert.h>: assertions are off, as in a release build of Lua */
#ifndef LUAULP_ASSERT_H
#define LUAULP_ASSERT_H
#define assert(c)	((void)0)
#endif
