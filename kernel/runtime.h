/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Lua runtime of luaulp: one bounded, sandboxed Lua 5.3 state.
 *
 * Shared by the kernel module and the user-space library (build/runtime/),
 * so scripts and limits behave identically on the host and in the kernel.
 *
 * Context: every function here may sleep (GFP_KERNEL allocations); call them
 * in process context only, never under a spinlock or in softirq.  A state is
 * not thread-safe: the caller serialises all calls on one state.
 *
 * Errors are negative errnos; the message is kept in the state and read with
 * luaulp_rt_error():
 *   -EINVAL  syntax error, runtime error, binary chunk refused
 *   -ENOMEM  the state's memory limit (or the allocator) failed
 *   -ETIME   the instruction budget of this call was exhausted
 */
#ifndef LUAULP_RUNTIME_H
#define LUAULP_RUNTIME_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stddef.h>
#endif

struct lua_State;
struct luaulp_rt;

struct luaulp_rt_limits {
	size_t mem_max;			/* bytes; 0: the default */
	unsigned long insn_budget;	/* VM instructions per call; 0: default */
};

/* Create a state with the sandboxed libraries and an empty global table
 * "luaulp" (filled by the caller).  Returns 0 or -ENOMEM. */
int luaulp_rt_create(struct luaulp_rt **out, const struct luaulp_rt_limits *lim);
void luaulp_rt_destroy(struct luaulp_rt *rt);

struct lua_State *luaulp_rt_lua(struct luaulp_rt *rt);

/* Per-state pointer for the embedder (the socket context), from a lua_State
 * handed to a C function registered in the "luaulp" table. */
void luaulp_rt_set_owner(struct luaulp_rt *rt, void *owner);
void *luaulp_rt_owner(struct lua_State *L);

/* Compile text chunk SRC (binary chunks are refused) and run it with a fresh
 * budget.  If RESULT is not NULL, the chunk's return values, tostring()ed and
 * tab-separated, are written there (NUL-terminated, truncated to RLEN). */
int luaulp_rt_exec(struct luaulp_rt *rt, const char *src, size_t len,
		   const char *chunkname, char *result, size_t rlen);

/*
 * Code shared between states (a registered script's, patches/08):
 * luaulp_rt_compile() compiles text chunk SRC in RT without running it,
 * and luaulp_rt_freeze() then makes RT read-only for good: nothing may
 * call into its Lua state after (luaulp_rt_memory() may still read its
 * size), only luaulp_rt_destroy(), once no state made with it as CODE is
 * left.  -EINVAL if the state cannot be frozen.  luaulp_rt_create_shared() makes a state that uses
 * CODE's compiled chunk and strings without copying them, and
 * luaulp_rt_run_code() runs that chunk in it, with a fresh budget.
 * Errors as for luaulp_rt_exec().
 */
int luaulp_rt_compile(struct luaulp_rt *rt, const char *src, size_t len,
		      const char *chunkname);
int luaulp_rt_freeze(struct luaulp_rt *rt);
int luaulp_rt_create_shared(struct luaulp_rt **out,
			    const struct luaulp_rt_limits *lim,
			    struct luaulp_rt *code);
int luaulp_rt_run_code(struct luaulp_rt *rt);

/* Call the function below NARGS arguments on the stack (lua_pcall
 * semantics, NRESULTS results left on success, nothing left on error) with
 * a fresh budget. */
int luaulp_rt_pcall(struct luaulp_rt *rt, int nargs, int nresults);

/*
 * Values the state keeps for its embedder between calls, in registry slots
 * made with the state, so that setting one never allocates (and so never
 * raises): luaulp_rt_slot_set() stores the value at stack index IDX,
 * luaulp_rt_slot_clear() drops it, luaulp_rt_slot_push() pushes it (false
 * when clear).  Callable outside protected mode.
 */
enum luaulp_rt_slot {
	LUAULP_RT_CHUNK,	/* entry.c: the chunk of the current call */
	LUAULP_RT_RX_KEPT,	/* entry.c: the receive side's output, kept until read */
	LUAULP_RT_NSLOTS,
};
void luaulp_rt_slot_set(struct luaulp_rt *rt, enum luaulp_rt_slot slot,
			int idx);
void luaulp_rt_slot_clear(struct luaulp_rt *rt, enum luaulp_rt_slot slot);
void luaulp_rt_slot_push(struct luaulp_rt *rt, enum luaulp_rt_slot slot);

/* Push a string of LEN (> 40) bytes whose contents the caller writes
 * before Lua code can see it; its bytes.  Protected mode (it may raise). */
char *luaulp_rt_pushbuf(struct lua_State *L, size_t len);

/* Keyed hash of LEN bytes at P (SipHash-2-4, the per-boot secret of
 * pointer hashes): for tables whose keys come from the network. */
unsigned long long luaulp_rt_hash(const void *p, size_t len);

/* The last error message ("" if none); valid until the next call. */
const char *luaulp_rt_error(struct luaulp_rt *rt);

/* Bytes this state holds now / its limit. */
size_t luaulp_rt_memory(struct luaulp_rt *rt);
size_t luaulp_rt_memory_max(struct luaulp_rt *rt);
/* Mirror the bytes held and the limit into *USED and *MAX (written with
 * WRITE_ONCE on every change, so a reader that may not touch the state can
 * read them with READ_ONCE; either may be NULL). */
void luaulp_rt_set_mirror(struct luaulp_rt *rt, unsigned long *used,
			  unsigned long *max);
/* Lower (never raise) the limit; -EINVAL if below what the state holds. */
int luaulp_rt_set_memory_max(struct luaulp_rt *rt, size_t max);

#ifdef __KERNEL__
/* Module init: the per-boot secret of pointer hashes. */
void luaulp_plat_init(void);
#endif

/* Bytes held by all states of this module/process together. */
long luaulp_rt_live_bytes(void);

#endif /* LUAULP_RUNTIME_H */
