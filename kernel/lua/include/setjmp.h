/* SPDX-License-Identifier: GPL-2.0 */
/* luaulp kernel libc shim: <setjmp.h>: kernel/lua/setjmp.S */
#ifndef LUAULP_SETJMP_SHIM_H
#define LUAULP_SETJMP_SHIM_H
#include "../luaulp_setjmp.h"
#endif
