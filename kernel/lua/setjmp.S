/* SPDX-License-Identifier: GPL-2.0 */
/*
 * setjmp/longjmp for Lua errors in luaulp, x86_64 System V ABI.
 *
 * int luaulp_setjmp(luaulp_jmp_buf env)              env in %rdi
 * void luaulp_longjmp(luaulp_jmp_buf env, int val)   val in %esi
 *
 * env[0] return address   env[1] %rsp after return   env[2] %rbx
 * env[3] %rbp  env[4] %r12  env[5] %r13  env[6] %r14  env[7] %r15
 *
 * longjmp restores the registers, pushes the saved return address on the
 * restored stack and returns: no indirect jump, so nothing has to land on
 * an endbr64 under IBT, and RET goes through the kernel's return thunk.
 * The slot it pushes into is the one that held the return address when
 * setjmp was called; the kernel has no red zone (-mno-red-zone), and the
 * caller of setjmp is never a leaf function.
 */
#ifdef __KERNEL__
#include <linux/linkage.h>
#include <asm/unwind_hints.h>
#else
#define UNWIND_HINT_FUNC
#define SYM_FUNC_START(name)	.globl name; .type name, @function; \
				.p2align 4; name: endbr64
#define SYM_FUNC_END(name)	.size name, .-name
#define RET			ret
#endif

	.text

SYM_FUNC_START(luaulp_setjmp)
	movq	(%rsp), %rax
	movq	%rax, 0(%rdi)
	leaq	8(%rsp), %rax
	movq	%rax, 8(%rdi)
	movq	%rbx, 16(%rdi)
	movq	%rbp, 24(%rdi)
	movq	%r12, 32(%rdi)
	movq	%r13, 40(%rdi)
	movq	%r14, 48(%rdi)
	movq	%r15, 56(%rdi)
	xorl	%eax, %eax
	RET
SYM_FUNC_END(luaulp_setjmp)

SYM_FUNC_START(luaulp_longjmp)
	movl	%esi, %eax
	testl	%eax, %eax
	jnz	1f
	movl	$1, %eax
1:	movq	16(%rdi), %rbx
	movq	24(%rdi), %rbp
	movq	32(%rdi), %r12
	movq	40(%rdi), %r13
	movq	48(%rdi), %r14
	movq	56(%rdi), %r15
	movq	8(%rdi), %rsp
	pushq	0(%rdi)
	/* the stack is now as at the entry of setjmp: tell objtool */
	UNWIND_HINT_FUNC
	RET
SYM_FUNC_END(luaulp_longjmp)

#ifndef __KERNEL__
	.section .note.GNU-stack,"",@progbits
#endif
