/* SPDX-License-Identifier: GPL-2.0 */
/*
 * setjmp/longjmp for Lua's error handling (kernel/lua/setjmp.S), x86_64.
 * The buffer holds the return address, the stack pointer and the
 * callee-saved registers rbx, rbp, r12-r15.  luaulp_longjmp returns from
 * luaulp_setjmp a second time with VAL (1 if VAL is 0) through 'ret', not
 * an indirect jump, so it needs no endbr64 at the landing site (IBT).
 */
#ifndef LUAULP_SETJMP_H
#define LUAULP_SETJMP_H

typedef unsigned long luaulp_jmp_buf[8];

int luaulp_setjmp(luaulp_jmp_buf env) __attribute__((returns_twice));
/* noreturn in fact; not declared so in the kernel, see l_noret in
 * luaulp_conf.h */
#ifdef __KERNEL__
void luaulp_longjmp(luaulp_jmp_buf env, int val);
#else
void luaulp_longjmp(luaulp_jmp_buf env, int val) __attribute__((noreturn));
#endif

#endif /* LUAULP_SETJMP_H */
