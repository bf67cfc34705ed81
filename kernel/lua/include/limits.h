/* SPDX-License-Identifier: GPL-2.0 */
/*
 * luaulp kernel libc shim: <limits.h>.  luaconf.h tests these in #if, where
 * the kernel's casts ((int)(~0U >> 1)) do not work: replace them with plain
 * constants of the same value and type.
 */
#ifndef LUAULP_LIMITS_H
#define LUAULP_LIMITS_H

#include <linux/limits.h>

#undef INT_MAX
#undef INT_MIN
#undef UINT_MAX
#undef LONG_MAX
#undef LONG_MIN
#undef ULONG_MAX
#undef LLONG_MAX
#undef LLONG_MIN
#undef ULLONG_MAX
#undef SHRT_MAX
#undef SHRT_MIN
#undef USHRT_MAX

#define SHRT_MAX	32767
#define SHRT_MIN	(-SHRT_MAX - 1)
#define USHRT_MAX	65535
#define INT_MAX		2147483647
#define INT_MIN		(-INT_MAX - 1)
#define UINT_MAX	4294967295U
#define LONG_MAX	9223372036854775807L
#define LONG_MIN	(-LONG_MAX - 1L)
#define ULONG_MAX	18446744073709551615UL
#define LLONG_MAX	9223372036854775807LL
#define LLONG_MIN	(-LLONG_MAX - 1LL)
#define ULLONG_MAX	18446744073709551615ULL

#ifndef CHAR_BIT
#define CHAR_BIT	8
#endif
#ifndef UCHAR_MAX
#define UCHAR_MAX	255
#endif
#ifndef SCHAR_MAX
#define SCHAR_MAX	127
#endif

#endif
