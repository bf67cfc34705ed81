// SPDX-License-Identifier: GPL-2.0
/*
 * The eBPF side of "eBPF beside Lua" (bench/sockmapbench.c): a sockmap
 * stream verdict (SK_SKB) that drops what contains PATTERN, the same simple
 * filter as the Lua entry it is compared with.
 *
 * verdict_scan looks at each skb on its own (a verdict program keeps no
 * state across skbs unless it puts it in a map by hand): 64-byte windows
 * every 56 bytes, so the 8-byte pattern is found wherever it sits in the
 * skb; the windows are walked with bpf_loop (a plain loop over up to 64 KiB
 * is too long for the verifier).  verdict_pass only passes: the cost of the
 * sockmap itself.  SK_DROP discards the skb's bytes (the application never
 * sees them); a verdict program cannot reset the connection.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define WINDOW 64
#define STRIDE 56	/* WINDOW - (pattern length - 1), rounded down */

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} map_scan SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} map_pass SEC(".maps");

struct scan {
	struct __sk_buff *skb;
	__u32 len;
	int found;
};

/* "EVIL-PAT" */
#define P0 'E'
#define P1 'V'
#define P2 'I'
#define P3 'L'
#define P4 '-'
#define P5 'P'
#define P6 'A'
#define P7 'T'

static long scan_window(__u32 i, void *arg)
{
	struct scan *s = arg;
	unsigned char w[WINDOW] = {};
	__u64 off = (__u64)i * STRIDE, n;

	if (off >= s->len)
		return 1;
	n = s->len - off;
	if (n > WINDOW)
		n = WINDOW;
	/* the verifier needs the length's bounds in the very register passed */
	asm volatile("%0 &= 0x7f" : "+r"(n));
	if (n < 8)
		return 1;
	if (bpf_skb_load_bytes(s->skb, off, w, n))
		return 1;
#pragma clang loop unroll(full)
	for (int j = 0; j + 8 <= WINDOW; j++) {
		if (w[j] == P0 && w[j + 1] == P1 && w[j + 2] == P2 &&
		    w[j + 3] == P3 && w[j + 4] == P4 && w[j + 5] == P5 &&
		    w[j + 6] == P6 && w[j + 7] == P7) {
			s->found = 1;
			return 1;
		}
	}
	return 0;
}

SEC("sk_skb/stream_verdict")
int verdict_scan(struct __sk_buff *skb)
{
	struct scan s = { .skb = skb, .len = skb->len, .found = 0 };

	bpf_loop((skb->len + STRIDE - 1) / STRIDE, scan_window, &s, 0);
	return s.found ? SK_DROP : SK_PASS;
}

SEC("sk_skb/stream_verdict")
int verdict_pass(struct __sk_buff *skb)
{
	return SK_PASS;
}

char LICENSE[] SEC("license") = "GPL";
