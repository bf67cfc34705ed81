// SPDX-License-Identifier: GPL-2.0
/*
 * The runtime's kernel side: allocation, the module-wide byte counter, time,
 * randomness, and the module parameters of the limits:
 *
 *   mem_max      (0644) bytes a Lua state may hold; default and ceiling of
 *                the per-socket limit.  Applies to states created after.
 *   insn_budget  (0644) VM instructions (and charged library work) per call
 *   time_max_ms  (0644) wall-clock ceiling per call, checked with the budget
 *                and counted from its first check (runtime.c, rt_over)
 *                (a safety net for instructions that cost more than usual,
 *                such as comparing long strings); 0: none
 *   live_bytes   (0444) bytes held by all Lua states together
 *   stack_peak   (0444) deepest kernel stack use seen in Lua, in bytes
 *
 * Context: process context only (GFP_KERNEL; the count hook may reschedule).
 */
#include <linux/atomic.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/siphash.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/timekeeping.h>

#include "runtime_priv.h"

#define LUAULP_MEM_MIN		(16 * 1024)
#define LUAULP_KMALLOC_MAX	(2 * PAGE_SIZE)
#define LUAULP_GFP		(GFP_KERNEL | __GFP_NOWARN | __GFP_ACCOUNT)

static unsigned long mem_max = 256 * 1024;
module_param(mem_max, ulong, 0644);
MODULE_PARM_DESC(mem_max, "Bytes a Lua state may hold (default 262144)");

static unsigned long insn_budget = 1000000;
module_param(insn_budget, ulong, 0644);
MODULE_PARM_DESC(insn_budget, "Lua VM instructions per call (default 1000000)");

static unsigned int time_max_ms = 1000;
module_param(time_max_ms, uint, 0644);
MODULE_PARM_DESC(time_max_ms, "Wall-clock ceiling of one Lua call in ms, 0: none");

static atomic_long_t live_bytes = ATOMIC_LONG_INIT(0);
static unsigned long stack_peak;

static int get_live_bytes(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&live_bytes));
}

static const struct kernel_param_ops live_bytes_ops = {
	.get = get_live_bytes,
};
module_param_cb(live_bytes, &live_bytes_ops, NULL, 0444);
MODULE_PARM_DESC(live_bytes, "Bytes held by all Lua states");

static int get_stack_peak(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%lu\n", READ_ONCE(stack_peak));
}

static const struct kernel_param_ops stack_peak_ops = {
	.get = get_stack_peak,
};
module_param_cb(stack_peak, &stack_peak_ops, NULL, 0444);
MODULE_PARM_DESC(stack_peak, "Deepest kernel stack use seen in Lua (bytes)");

void *luaulp_plat_alloc(size_t size)
{
	return kzalloc(size, LUAULP_GFP);
}

void *luaulp_plat_realloc(void *p, size_t osize, size_t nsize)
{
	void *n;

	if (nsize <= LUAULP_KMALLOC_MAX && (!p || !is_vmalloc_addr(p)))
		return krealloc(p, nsize, LUAULP_GFP);
	n = kvmalloc(nsize, LUAULP_GFP);
	if (!n)
		return NULL;
	if (p) {
		memcpy(n, p, min(osize, nsize));
		kvfree(p);
	}
	return n;
}

void luaulp_plat_free(void *p)
{
	kvfree(p);
}

void luaulp_plat_live_add(long delta)
{
	atomic_long_add(delta, &live_bytes);
}

long luaulp_plat_live(void)
{
	return atomic_long_read(&live_bytes);
}

size_t luaulp_plat_mem_max(void)
{
	return max_t(unsigned long, READ_ONCE(mem_max), LUAULP_MEM_MIN);
}

unsigned long luaulp_plat_insn_budget(void)
{
	return max_t(unsigned long, READ_ONCE(insn_budget), 1000);
}

unsigned long long luaulp_plat_time_max_ns(void)
{
	return (unsigned long long)READ_ONCE(time_max_ms) * NSEC_PER_MSEC;
}

unsigned long long luaulp_plat_now_ns(void)
{
	return ktime_get_ns();
}

void luaulp_plat_yield(void)
{
	cond_resched();
}

void luaulp_plat_stack_mark(void)
{
	unsigned long base = (unsigned long)task_stack_page(current);
	unsigned long used = base + THREAD_SIZE - current_stack_pointer;

	if (used < THREAD_SIZE && used > READ_ONCE(stack_peak))
		WRITE_ONCE(stack_peak, used);
}

unsigned long luaulp_plat_stack_left(void)
{
	return current_stack_pointer - (unsigned long)task_stack_page(current);
}

unsigned int luaulp_random32(void)
{
	return get_random_u32();
}

/* The per-boot secret of pointer hashes (luaulp_conf.h). */
static siphash_key_t luaulp_ptr_key __read_mostly;

/* Module init, before any Lua state exists. */
void luaulp_plat_init(void)
{
	get_random_bytes(&luaulp_ptr_key, sizeof(luaulp_ptr_key));
}

unsigned long long luaulp_plat_ptrhash(const void *p)
{
	return siphash_1u64((u64)(unsigned long)p, &luaulp_ptr_key);
}

unsigned long long luaulp_plat_hash(const void *p, size_t len)
{
	return siphash(p, len, &luaulp_ptr_key);
}
