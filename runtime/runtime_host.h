/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space only additions to kernel/runtime.h.  The defaults are the
 * kernel module's (mem_max, insn_budget, time_max_ms parameters).
 */
#ifndef LUAULP_RUNTIME_HOST_H
#define LUAULP_RUNTIME_HOST_H

#include <stddef.h>

#define LUAULP_RT_HOST_MEM_MAX		(256 * 1024)
#define LUAULP_RT_HOST_INSN_BUDGET	1000000ul
#define LUAULP_RT_HOST_TIME_MAX_MS	1000ul
/* the store_max_entries, store_max_bytes, store_total_max_bytes defaults */
#define LUAULP_RT_HOST_STORE_ENTRIES	4096u
#define LUAULP_RT_HOST_STORE_BYTES	(1u << 20)
#define LUAULP_RT_HOST_STORE_TOTAL	(64l << 20)

/* Process-wide default and ceiling of the limits of new states; 0 keeps
 * MEM and INSNS; TIME_MS 0 means no wall-clock ceiling. */
void luaulp_rt_host_set_limits(size_t mem, unsigned long insns,
			       unsigned long time_ms);

#endif /* LUAULP_RUNTIME_HOST_H */
