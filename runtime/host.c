// SPDX-License-Identifier: GPL-2.0
/*
 * The runtime's user-space side (build/runtime/libluaulp_rt.a): malloc,
 * a process-wide byte counter, CLOCK_MONOTONIC and arc4random, with the
 * kernel module's default limits.  luaulp_rt_host_set_limits() changes
 * them for the process (the module parameters' counterpart).
 */
#define _DEFAULT_SOURCE
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime_priv.h"
#include "runtime_host.h"

static size_t mem_max = LUAULP_RT_HOST_MEM_MAX;
static unsigned long insn_budget = LUAULP_RT_HOST_INSN_BUDGET;
static unsigned long long time_max_ns = LUAULP_RT_HOST_TIME_MAX_MS * 1000000ull;
static atomic_long live_bytes;

void luaulp_rt_host_set_limits(size_t mem, unsigned long insns,
			       unsigned long time_ms)
{
	if (mem)
		mem_max = mem;
	if (insns)
		insn_budget = insns;
	time_max_ns = (unsigned long long)time_ms * 1000000ull;
}

void *luaulp_plat_alloc(size_t size)
{
	return calloc(1, size);
}

void *luaulp_plat_realloc(void *p, size_t osize, size_t nsize)
{
	(void)osize;
	return realloc(p, nsize);
}

void luaulp_plat_free(void *p)
{
	free(p);
}

void luaulp_plat_live_add(long delta)
{
	atomic_fetch_add_explicit(&live_bytes, delta, memory_order_relaxed);
}

long luaulp_plat_live(void)
{
	return atomic_load_explicit(&live_bytes, memory_order_relaxed);
}

size_t luaulp_plat_mem_max(void)
{
	return mem_max;
}

unsigned long luaulp_plat_insn_budget(void)
{
	return insn_budget;
}

unsigned long long luaulp_plat_time_max_ns(void)
{
	return time_max_ns;
}

unsigned long long luaulp_plat_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

void luaulp_plat_yield(void)
{
}

void luaulp_plat_stack_mark(void)
{
}

unsigned long luaulp_plat_stack_left(void)
{
	return ~0ul;	/* 8 MiB of stack: Lua's count of C levels is enough */
}

unsigned int luaulp_random32(void)
{
	return arc4random();
}

/*
 * The key of pointer hashes (luaulp_conf.h: table slots and tostring() of
 * objects), random per process as the kernel's is per boot.
 */
static unsigned long long ptr_key[2];

__attribute__((constructor)) static void ptr_key_init(void)
{
	arc4random_buf(ptr_key, sizeof(ptr_key));
}

#define ROTL(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND(v0, v1, v2, v3) do {				\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

/* SipHash-2-4 in steps: the keyed state, one 64-bit word, the last one. */
struct sip {
	unsigned long long v0, v1, v2, v3;
};

static struct sip sip_start(void)
{
	struct sip s = {
		0x736f6d6570736575ull ^ ptr_key[0],
		0x646f72616e646f6dull ^ ptr_key[1],
		0x6c7967656e657261ull ^ ptr_key[0],
		0x7465646279746573ull ^ ptr_key[1],
	};

	return s;
}

static inline void sip_word(struct sip *s, unsigned long long m)
{
	s->v3 ^= m;
	SIPROUND(s->v0, s->v1, s->v2, s->v3);
	SIPROUND(s->v0, s->v1, s->v2, s->v3);
	s->v0 ^= m;
}

static inline unsigned long long sip_end(struct sip *s, unsigned long long b)
{
	sip_word(s, b);
	s->v2 ^= 0xff;
	SIPROUND(s->v0, s->v1, s->v2, s->v3);
	SIPROUND(s->v0, s->v1, s->v2, s->v3);
	SIPROUND(s->v0, s->v1, s->v2, s->v3);
	SIPROUND(s->v0, s->v1, s->v2, s->v3);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

/* SipHash-2-4 (the kernel's siphash()): LEN bytes, little-endian words. */
unsigned long long luaulp_plat_hash(const void *p, size_t len)
{
	const unsigned char *in = p;
	struct sip s = sip_start();
	unsigned long long b = (unsigned long long)len << 56, m;
	size_t i;
	int k;

	for (i = 0; i + 8 <= len; i += 8) {
		for (m = 0, k = 7; k >= 0; k--)
			m = (m << 8) | in[i + k];
		sip_word(&s, m);
	}
	for (k = (int)(len & 7) - 1; k >= 0; k--)
		b |= (unsigned long long)in[i + k] << (8 * k);
	return sip_end(&s, b);
}

/* SipHash-2-4 of one 64-bit word (the kernel's siphash_1u64): the same as
 * luaulp_plat_hash() of its 8 bytes, without the loop (tables hash every
 * pointer key with it). */
unsigned long long luaulp_plat_ptrhash(const void *p)
{
	struct sip s = sip_start();

	sip_word(&s, (unsigned long long)(uintptr_t)p);
	return sip_end(&s, 8ull << 56);
}
