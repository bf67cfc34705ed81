/* SPDX-License-Identifier: GPL-2.0 */
/* luaulp kernel libc shim: <float.h>: lua_Number is an integer; luaulp_conf.h has its limits */
#ifndef LUAULP_FLOAT_H
#define LUAULP_FLOAT_H
#endif
