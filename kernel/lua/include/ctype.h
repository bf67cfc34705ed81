/* SPDX-License-Identifier: GPL-2.0 */
/* luaulp kernel libc shim: <ctype.h>, ASCII only like the C locale (the kernel's ctype is Latin-1) */
#ifndef LUAULP_CTYPE_H
#define LUAULP_CTYPE_H

#include <linux/ctype.h>	/* first, so its macros can be replaced */

#undef isalnum
#undef isalpha
#undef iscntrl
#undef isdigit
#undef isgraph
#undef islower
#undef isprint
#undef ispunct
#undef isspace
#undef isupper
#undef isxdigit
#undef tolower
#undef toupper

static inline int luaulp_isupper(int c) { return c >= 'A' && c <= 'Z'; }
static inline int luaulp_islower(int c) { return c >= 'a' && c <= 'z'; }
static inline int luaulp_isdigit(int c) { return c >= '0' && c <= '9'; }
static inline int luaulp_isalpha(int c)
{
	return luaulp_isupper(c) || luaulp_islower(c);
}
static inline int luaulp_isalnum(int c)
{
	return luaulp_isalpha(c) || luaulp_isdigit(c);
}
static inline int luaulp_iscntrl(int c) { return (c >= 0 && c < 32) || c == 127; }
static inline int luaulp_isgraph(int c) { return c > 32 && c < 127; }
static inline int luaulp_isprint(int c) { return c >= 32 && c < 127; }
static inline int luaulp_ispunct(int c)
{
	return luaulp_isgraph(c) && !luaulp_isalnum(c);
}
static inline int luaulp_isspace(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}
static inline int luaulp_isxdigit(int c)
{
	return luaulp_isdigit(c) || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}
static inline int luaulp_tolower(int c)
{
	return luaulp_isupper(c) ? c - 'A' + 'a' : c;
}
static inline int luaulp_toupper(int c)
{
	return luaulp_islower(c) ? c - 'a' + 'A' : c;
}

#define isalnum(c)	luaulp_isalnum(c)
#define isalpha(c)	luaulp_isalpha(c)
#define iscntrl(c)	luaulp_iscntrl(c)
#define isdigit(c)	luaulp_isdigit(c)
#define isgraph(c)	luaulp_isgraph(c)
#define islower(c)	luaulp_islower(c)
#define isprint(c)	luaulp_isprint(c)
#define ispunct(c)	luaulp_ispunct(c)
#define isspace(c)	luaulp_isspace(c)
#define isupper(c)	luaulp_isupper(c)
#define isxdigit(c)	luaulp_isxdigit(c)
#define tolower(c)	luaulp_tolower(c)
#define toupper(c)	luaulp_toupper(c)

#endif
