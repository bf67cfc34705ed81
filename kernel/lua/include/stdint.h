/* SPDX-License-Identifier: GPL-2.0 */
/* luaulp kernel libc shim: <stdint.h>: no INTPTR_MAX, so Lua uses ptrdiff_t for contexts */
#ifndef LUAULP_STDINT_H
#define LUAULP_STDINT_H
#include <linux/types.h>
#endif
