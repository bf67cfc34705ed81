/* SPDX-License-Identifier: GPL-2.0 */
/* luaulp kernel libc shim: <math.h>: no floating point in the kernel; nothing here */
#ifndef LUAULP_MATH_H
#define LUAULP_MATH_H
#endif
