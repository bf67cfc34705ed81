/* SPDX-License-Identifier: GPL-2.0 */
/* luaulp kernel libc shim: <stddef.h> */
#ifndef LUAULP_STDDEF_H
#define LUAULP_STDDEF_H
#include <linux/stddef.h>
#include <linux/types.h>
#endif
