/* SPDX-License-Identifier: GPL-2.0 */
/* luaulp kernel libc shim: <string.h> */
#ifndef LUAULP_STRING_H
#define LUAULP_STRING_H

#include <linux/string.h>

/* the C locale collates by byte value */
#define strcoll(a, b)	strcmp(a, b)

static inline const char *luaulp_strerror(int e) { return "I/O error"; }
#define strerror(e)	luaulp_strerror(e)

#endif
