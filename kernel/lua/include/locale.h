/* SPDX-License-Identifier: GPL-2.0 */
/* luaulp kernel libc shim: <locale.h>: the decimal point is always '.' (luaulp_conf.h) */
#ifndef LUAULP_LOCALE_H
#define LUAULP_LOCALE_H
struct lconv {
	char *decimal_point;
};
#endif
