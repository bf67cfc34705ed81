/* SPDX-License-Identifier: GPL-2.0 */
/* luaulp kernel libc shim: <stdarg.h> */
#ifndef LUAULP_STDARG_H
#define LUAULP_STDARG_H
#include <linux/stdarg.h>
#endif
