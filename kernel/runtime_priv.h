/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to the runtime (runtime*.c, runtime/host.c): the state record and
 * what each platform (kernel module or user-space library) provides.
 */
#ifndef LUAULP_RUNTIME_PRIV_H
#define LUAULP_RUNTIME_PRIV_H

#include "runtime.h"

struct lua_State;

/* VM instructions between two calls of the count hook */
#define LUAULP_RT_HOOK_PERIOD	1000

#define LUAULP_RT_ERRLEN	256	/* == LUAULP_ERROR_MAX of the uapi */

struct luaulp_rt {
	struct lua_State *L;
	void *owner;
	size_t mem_used;		/* bytes held by L */
	size_t mem_max;			/* hard cap */
	unsigned long *mirror_used;	/* luaulp_rt_set_mirror, or NULL */
	unsigned long *mirror_max;
	unsigned long insn_budget;	/* per call */
	long budget;			/* units left in the current call */
	unsigned long long time_max_ns;	/* wall-clock ceiling of a call */
	unsigned long long deadline_ns;	/* ... of this one; 0: not started */
	long clock_at;			/* read the clock once budget <= this */
	int exhausted;			/* budget spent: every hook raises */
	int cstack_err;			/* "C stack overflow" raised */
	struct luaulp_rt *code;		/* the frozen state whose code and
					 * strings this one shares, or NULL */
	const void *code_main;		/* frozen: its chunk (a Proto) */
	char err[LUAULP_RT_ERRLEN];
};

/* Platform: kernel/runtime_kernel.c or runtime/host.c. */
void *luaulp_plat_alloc(size_t size);			/* zeroed */
void *luaulp_plat_realloc(void *p, size_t osize, size_t nsize);
void luaulp_plat_free(void *p);
void luaulp_plat_live_add(long delta);
long luaulp_plat_live(void);
size_t luaulp_plat_mem_max(void);		/* default and ceiling */
unsigned long luaulp_plat_insn_budget(void);	/* default and ceiling */
unsigned long long luaulp_plat_time_max_ns(void);	/* 0: none */
unsigned long long luaulp_plat_now_ns(void);
void luaulp_plat_yield(void);			/* may reschedule */
void luaulp_plat_stack_mark(void);		/* record stack depth */
unsigned long luaulp_plat_stack_left(void);	/* bytes; ~0ul: unknown */

#define LUAULP_RT_STACK_SOFT	(7 * 1024)	/* "C stack overflow" below */
#define LUAULP_RT_STACK_HARD	(5 * 1024)	/* LUA_ERRERR below */

/* keyed hash of a pointer: SipHash-2-4 with a secret random key */
unsigned long long luaulp_plat_ptrhash(const void *p);
/* the same for LEN bytes */
unsigned long long luaulp_plat_hash(const void *p, size_t len);

/* randomness for Lua's hash seed and sort pivots (also in luaulp_conf.h) */
unsigned int luaulp_random32(void);

/* runtime_lib.c: the sandboxed libraries, called in protected mode */
int luaulp_rt_openlibs(struct lua_State *L);

#endif /* LUAULP_RUNTIME_PRIV_H */
