// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target of the luaulp runtime: the input is a Lua chunk, run in
 * a fresh sandboxed state under the kernel's limits, on a simulated socket
 * (runtime/simsock.c: the module's entry runner, luaulp table and store);
 * if it defines "entry" and "out", they run as the receive and send entries
 * on the input itself, sent by the peer and written by the application in
 * pieces the input chooses, with a peer that stops reading, TCP reads that
 * come short, and half the inputs run as registered scripts (compiled and
 * frozen once, the socket's state sharing the code).  Any crash,
 * sanitizer report, leak (the byte counter not back to zero), a limit not
 * holding (memory above the cap) or a call leaving the stack unbalanced
 * aborts.
 *
 *   make fuzz [FUZZ_TIME=600]     (build/runtime/fuzz_runtime)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include "lua.h"
#include "runtime.h"
#include "runtime_host.h"
#include "simsock.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
static void to_peer(void *arg, const char *p, size_t len)
{
	(void)arg;
	(void)p;
	(void)len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct luaulp_store *store;
	struct luaulp_simsock_cfg cfg = {
		.to_peer = to_peer, .nonblock = true,
		/* a peer that stops reading, so the queue limits are hit */
		.peer_window = 4096,
		.info = { .local_addr = "127.0.0.1", .remote_addr = "::1" },
	};
	struct luaulp_rt *code = NULL, *rt;
	struct luaulp_simsock *s;
	char buf[512];
	size_t off, step;
	int err;

	if (!store)
		store = luaulp_store_create();
	cfg.store = store;
	cfg.short_fill = size > 1 && (data[1] & 1);
	/* Every other input as a registered script: compiled and frozen
	 * once, its code shared by the socket's state. */
	if (size > 1 && (data[1] & 2)) {
		if (luaulp_rt_create(&code, NULL))
			abort();
		if (luaulp_rt_compile(code, (const char *)data, size, "=fuzz") ||
		    luaulp_rt_freeze(code)) {
			luaulp_rt_destroy(code);
			code = NULL;
		}
	}
	cfg.code = code;
	if (luaulp_simsock_create(&s, &cfg))
		abort();
	rt = luaulp_simsock_rt(s);
	err = code ? luaulp_simsock_run_code(s) :
		     luaulp_simsock_load(s, (const char *)data, size, "=fuzz");
	if (err && !luaulp_simsock_error(s)[0])
		abort();	/* every error has a message */
	if (luaulp_rt_memory(rt) > luaulp_rt_memory_max(rt))
		abort();
	/* The input itself as the peer's bytes and the application's: in
	 * writes and reads whose sizes the input also picks. */
	luaulp_simsock_set_entries(s, "entry", "out");
	luaulp_simsock_set_onerror(s, size ? data[0] % 3 : 0);
	step = size ? (size_t)data[size - 1] % 97 + 1 : 1;
	for (off = 0; off < size; off += step) {
		size_t n = size - off < step ? size - off : step;

		luaulp_simsock_peer(s, (const char *)data + off, n, false);
		while (luaulp_simsock_read(s, buf, (off % sizeof(buf)) + 1,
					   off & 1 ? MSG_PEEK : 0) > 0 &&
		       !(off & 1))
			;
		luaulp_simsock_write(s, (const char *)data + off, n);
		if (luaulp_rt_memory(rt) > luaulp_rt_memory_max(rt))
			abort();
	}
	luaulp_simsock_peer(s, NULL, 0, true);
	while (luaulp_simsock_read(s, buf, sizeof(buf), 0) > 0)
		;
	if (lua_gettop(luaulp_rt_lua(rt)) != 0)
		abort();	/* every call left the stack as it found it */
	luaulp_simsock_destroy(s);
	luaulp_rt_destroy(code);
	if (luaulp_rt_live_bytes() != 0)
		abort();
	return 0;
}
