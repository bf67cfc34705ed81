// SPDX-License-Identifier: GPL-2.0
/*
 * rt_cost MODE N [SCRIPT [ENTRY]]: the runtime's work, N times, for
 * instruction counts under callgrind on the host (bench/callgrind runs each
 * mode with N = 0 and N = K: the difference over K is the cost of one).
 * It is the module's own code -- the entry runner, the luaulp table, the
 * store (kernel/entry.c, lualib.c, store.c) and shared registered code --
 * around simsock's connection (runtime/simsock.c), built for user space.
 *
 *   entry N            the peer sends 64 bytes and the application reads
 *                      them through an empty entry: one entry call as the
 *                      kernel's receive path makes it
 *   source N SCRIPT    a new socket state, SCRIPT's source compiled and run
 *                      (LUAULP_LOADSCRIPT), the state closed
 *   name N SCRIPT      the same sharing SCRIPT's registered, frozen code
 *                      (LUAULP_ATTACHNAME)
 *   request N SCRIPT ENTRY   one realistic HTTP request (below) sent by
 *                      the peer and read by the application through ENTRY
 *   mem N SCRIPT       (not for callgrind) @row lines: bytes a socket's
 *                      state holds after a full collection: fresh, with
 *                      SCRIPT's source, sharing its registered code; and
 *                      the registered code itself (its frozen state)
 */
#include "util.h"

#include "lua.h"
#include "runtime.h"
#include "simsock.h"

static void fail(const char *what, const char *why)
{
	fprintf(stderr, "rt_cost: %s: %s\n", what, why);
	exit(1);
}

static void to_peer(void *arg, const char *p, size_t len)
{
	(void)arg;
	(void)p;
	(void)len;
}

/* A socket's state with SRC loaded from source, or sharing CODE. */
static struct luaulp_simsock *sock(const char *src, size_t len,
				   struct luaulp_rt *code)
{
	struct luaulp_simsock_cfg cfg = {
		.to_peer = to_peer, .code = code, .nonblock = true,
		.info = { .local_addr = "127.0.0.1", .remote_addr = "127.0.0.1" },
	};
	struct luaulp_simsock *s;

	if (luaulp_simsock_create(&s, &cfg))
		fail("state", "out of memory");
	if (code ? luaulp_simsock_run_code(s) :
	    src && luaulp_simsock_load(s, src, len, "=script"))
		fail("load", luaulp_simsock_error(s));
	return s;
}

/* SRC compiled once, as the registry does. */
static struct luaulp_rt *registered(const char *src, size_t len)
{
	struct luaulp_rt *code;

	if (luaulp_rt_create(&code, NULL) ||
	    luaulp_rt_compile(code, src, len, "=script") ||
	    luaulp_rt_freeze(code))
		fail("register", "cannot compile");
	return code;
}

/* The peer sends P; the application reads it all. */
static void through(struct luaulp_simsock *s, const char *p, size_t len)
{
	static char buf[65536];

	luaulp_simsock_peer(s, p, len, false);
	while (luaulp_simsock_read(s, buf, sizeof(buf), 0) > 0)
		;
}

/* Bytes held after a full collection. */
static size_t held(struct luaulp_simsock *s)
{
	struct luaulp_rt *rt = luaulp_simsock_rt(s);

	lua_gc(luaulp_rt_lua(rt), LUA_GCCOLLECT, 0);
	return luaulp_rt_memory(rt);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	long i, n = argc > 2 ? atol(argv[2]) : -1;
	struct luaulp_simsock *s;
	struct luaulp_rt *code;
	char *src = NULL;
	size_t len = 0;

	if (n < 0 || (strcmp(mode, "entry") && argc < 4)) {
		fprintf(stderr, "usage: rt_cost entry N | source N SCRIPT | "
			"name N SCRIPT | request N SCRIPT ENTRY | mem 0 SCRIPT\n");
		return 2;
	}
	if (argc > 3)
		src = slurp_len(argv[3], &len);

	if (!strcmp(mode, "entry")) {
		static const char empty[] = "function e(d, n, nb) end";
		static const char data[64];

		s = sock(empty, sizeof(empty) - 1, NULL);
		luaulp_simsock_set_entries(s, "e", NULL);
		for (i = 0; i < n; i++)
			through(s, data, sizeof(data));
		luaulp_simsock_destroy(s);
	} else if (!strcmp(mode, "source")) {
		for (i = 0; i < n; i++)
			luaulp_simsock_destroy(sock(src, len, NULL));
	} else if (!strcmp(mode, "name")) {
		code = registered(src, len);
		for (i = 0; i < n; i++)
			luaulp_simsock_destroy(sock(NULL, 0, code));
		luaulp_rt_destroy(code);
	} else if (!strcmp(mode, "request") && argc == 5) {
		s = sock(src, len, NULL);
		luaulp_simsock_set_entries(s, argv[4], NULL);
		for (i = 0; i < n; i++)
			through(s, http_request, sizeof(http_request) - 1);
		/* A refused or failing request is no measurement. */
		if (luaulp_simsock_stats(s)->errors ||
		    luaulp_simsock_was_reset(s) || luaulp_simsock_was_closed(s))
			fail(argv[4], luaulp_simsock_error(s)[0] ?
			     luaulp_simsock_error(s) : "the request was refused");
		luaulp_simsock_destroy(s);
	} else if (!strcmp(mode, "mem")) {
		const char *name = strrchr(argv[3], '/') ? strrchr(argv[3], '/') + 1 : argv[3];

		s = sock(NULL, 0, NULL);
		printf("@row\trt-mem\t%s\tfresh\t0\tbytes\t%zu\n", name, held(s));
		luaulp_simsock_destroy(s);
		s = sock(src, len, NULL);
		printf("@row\trt-mem\t%s\tsource\t0\tbytes\t%zu\n", name, held(s));
		luaulp_simsock_destroy(s);
		code = registered(src, len);
		s = sock(NULL, 0, code);
		printf("@row\trt-mem\t%s\tshared\t0\tbytes\t%zu\n", name, held(s));
		printf("@row\trt-mem\t%s\tcode\t0\tbytes\t%zu\n", name,
		       luaulp_rt_memory(code));
		luaulp_simsock_destroy(s);
		luaulp_rt_destroy(code);
	} else {
		fprintf(stderr, "rt_cost: unknown mode %s\n", mode);
		return 2;
	}
	free(src);
	return 0;
}
