/* SPDX-License-Identifier: GPL-2.0 */
/* luaulp kernel libc shim: <errno.h>: there is no errno; Lua only reads it for file errors */
#ifndef LUAULP_ERRNO_H
#define LUAULP_ERRNO_H
#include <linux/errno.h>
#define errno	0
#endif
