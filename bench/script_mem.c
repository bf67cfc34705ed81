// SPDX-License-Identifier: GPL-2.0
/*
 * script_mem [--source] SCRIPT ENTRY [INPUT...]: the memory one
 * connection's Lua state holds with SCRIPT, measured on the user-space
 * build of the module's own code (kernel/runtime.c, entry.c, lualib.c
 * around runtime/simsock.c: same allocator accounting, sandbox, libraries
 * and luaulp table).
 *
 * SCRIPT is loaded as a socket attached by name gets it (what the shim
 * does for nginx's workers): compiled once into a frozen state, whose code
 * and strings the socket's state shares (kernel/registry.c).  --source
 * loads the text into the socket's own state, as LUAULP_LOADSCRIPT does.
 *
 * Prints, in bytes (luaulp_rt_memory), the socket's state only (the shared
 * code is counted once per script, not per socket):
 *   fresh      a state with the sandbox and the luaulp table, no script
 *   loaded     after SCRIPT's top level ran
 *   idle       after a full collection: what an idle connection keeps
 *   after N    after the peer sent INPUT file N and the application read
 *              it through ENTRY, then a full collection
 *   peak       the most held at any of those points
 *   strings    short strings in the state and the slots of its string
 *              table (8 bytes each; the table doubles when the strings
 *              reach its size and never shrinks while a quarter is used)
 *   code       the registered script's frozen state (not with --source)
 */
#include "util.h"

#include "lua.h"
#include "lstate.h"
#include "runtime.h"
#include "simsock.h"

static void fail(const char *what, const char *why)
{
	fprintf(stderr, "script_mem: %s: %s\n", what, why);
	exit(1);
}

static void to_peer(void *arg, const char *p, size_t len)
{
	(void)arg;
	(void)p;
	(void)len;
}

static size_t peak;

static size_t mem(struct luaulp_simsock *s, int collect)
{
	struct luaulp_rt *rt = luaulp_simsock_rt(s);
	size_t m = luaulp_rt_memory(rt);

	if (m > peak)
		peak = m;
	if (collect) {
		lua_gc(luaulp_rt_lua(rt), LUA_GCCOLLECT, 0);
		m = luaulp_rt_memory(rt);
	}
	return m;
}

int main(int argc, char **argv)
{
	struct luaulp_simsock_cfg cfg = {
		.to_peer = to_peer, .nonblock = true,
		.info = { .local_addr = "127.0.0.1", .local_port = 80,
			  .remote_addr = "127.0.0.1", .remote_port = 40000 },
	};
	struct luaulp_rt *code = NULL;
	struct luaulp_simsock *s;
	static char buf[65536];
	int i, source = 0;
	lua_State *L;
	size_t len;
	char *src;

	if (argc > 1 && !strcmp(argv[1], "--source")) {
		source = 1;
		argv++;
		argc--;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: script_mem [--source] SCRIPT ENTRY [INPUT...]\n");
		return 2;
	}
	src = slurp_len(argv[1], &len);
	if (!source && (luaulp_rt_create(&code, NULL) ||
			luaulp_rt_compile(code, src, len, "=script") ||
			luaulp_rt_freeze(code)))
		fail(argv[1], code ? luaulp_rt_error(code) : "out of memory");
	cfg.code = code;
	if (luaulp_simsock_create(&s, &cfg))
		fail("state", "out of memory");
	printf("fresh %zu\n", mem(s, 1));
	if (code ? luaulp_simsock_run_code(s) :
	    luaulp_simsock_load(s, src, len, "=script"))
		fail(argv[1], luaulp_simsock_error(s));
	free(src);
	printf("loaded %zu\n", mem(s, 0));
	printf("idle %zu\n", mem(s, 1));
	luaulp_simsock_set_entries(s, argv[2], NULL);
	for (i = 3; i < argc; i++) {
		char *in = slurp_len(argv[i], &len);

		luaulp_simsock_peer(s, in, len, false);
		free(in);
		while (luaulp_simsock_read(s, buf, sizeof(buf), 0) > 0)
			;
		if (luaulp_simsock_stats(s)->errors)
			fail(argv[i], luaulp_simsock_error(s));
		printf("after %d %zu\n", i - 2, mem(s, 1));
	}
	printf("peak %zu\n", peak);
	L = luaulp_rt_lua(luaulp_simsock_rt(s));
	printf("strings %d of %d slots\n", G(L)->strt.nuse, G(L)->strt.size);
	if (code)
		printf("code %zu\n", luaulp_rt_memory(code));
	luaulp_simsock_destroy(s);
	luaulp_rt_destroy(code);
	return 0;
}
