/* SPDX-License-Identifier: GPL-2.0 */
/* luaulp kernel libc shim: <stdio.h>: snprintf from the kernel; no files (luaL_loadfile fails) */
#ifndef LUAULP_STDIO_H
#define LUAULP_STDIO_H

#include <linux/kernel.h>

#define EOF	(-1)
#define BUFSIZ	64

typedef struct luaulp_file FILE;

#define stdin	((FILE *)NULL)
#define stdout	((FILE *)NULL)
#define stderr	((FILE *)NULL)

static inline FILE *fopen(const char *name, const char *mode)
{
	return NULL;
}

static inline FILE *freopen(const char *name, const char *mode, FILE *f)
{
	return NULL;
}

static inline int fclose(FILE *f) { return EOF; }
static inline int getc(FILE *f) { return EOF; }
static inline int feof(FILE *f) { return 1; }
static inline int ferror(FILE *f) { return 1; }
static inline int fflush(FILE *f) { return 0; }

static inline size_t fread(void *p, size_t size, size_t n, FILE *f)
{
	return 0;
}

static inline size_t fwrite(const void *p, size_t size, size_t n, FILE *f)
{
	return 0;
}

#endif
