// SPDX-License-Identifier: GPL-2.0
/*
 * luaulp run SCRIPT [options] < INPUT: feed INPUT through SCRIPT's receive
 * entry in chunks, as the kernel's receive path does, so that script authors
 * can test without a kernel.  Same runtime, same sandbox, same limits (the
 * module's defaults) and the same verdicts:
 *
 *   nil, false, luaulp.PASS   the chunk is delivered unchanged   -> stdout
 *   true, luaulp.DROP         discarded
 *   a string                  delivered instead of the chunk     -> stdout
 *   luaulp.RESET              the connection is reset: stop, exit 3
 *   luaulp.CLOSE              graceful refusal: stop, exit 4 (what the
 *                             script sent is in --sent FILE)
 *   an error (or any other value)  per --on-error: pass (deliver the chunk)
 *                             or reset
 *
 * stdout carries exactly what the application would read; luaulp.send()
 * bytes go to --sent FILE (what the peer would receive); a line per chunk
 * (-v), luaulp.log() lines and errors go to stderr.  Exit status: 0, 1 the
 * script did not load, 2 usage, 3 the connection was reset, 4 it was closed
 * gracefully.
 *
 * This mirrors kernel/entry.c and kernel/lualib.c; it should move onto a
 * shared receive-path library when there is one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#ifdef LUAULP_HAVE_RUNTIME
#include <uapi/luaulp.h>

#include "lauxlib.h"
#include "lua.h"
#include "runtime.h"

#define CHUNK_MAX (64 * 1024)	/* the kernel's LUAULP_CHUNK_MAX */

static const char reset_token;	/* the value of luaulp.RESET */
static const char close_token;	/* the value of luaulp.CLOSE */

struct run {
	FILE *sent;
	bool verbose;
	struct luaulp_stats st;
};

static struct run *run_of(lua_State *L)
{
	return luaulp_rt_owner(L);
}

static int l_send(lua_State *L)
{
	struct run *r = run_of(L);
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);

	if (r->sent && fwrite(s, 1, len, r->sent) != len) {
		lua_pushnil(L);
		lua_pushfstring(L, "error %d", EIO);
		return 2;
	}
	r->st.kernel_sent += len;
	lua_pushinteger(L, (lua_Integer)len);
	return 1;
}

static int l_log(lua_State *L)
{
	fprintf(stderr, "log: %s\n", luaL_checkstring(L, 1));
	return 0;
}

static int l_time(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)time(NULL));
	return 1;
}

static int l_clock(lua_State *L)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	lua_pushinteger(L, (lua_Integer)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	return 1;
}

/* Protected. */
static int lib_open(lua_State *L)
{
	static const luaL_Reg funcs[] = {
		{ "send", l_send }, { "log", l_log },
		{ "time", l_time }, { "clock", l_clock },
		{ NULL, NULL }
	};

	if (lua_getglobal(L, "luaulp") != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setglobal(L, "luaulp");
	}
	luaL_setfuncs(L, funcs, 0);
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "PASS");
	lua_pushboolean(L, 1);
	lua_setfield(L, -2, "DROP");
	lua_pushlightuserdata(L, (void *)&reset_token);
	lua_setfield(L, -2, "RESET");
	lua_pushlightuserdata(L, (void *)&close_token);
	lua_setfield(L, -2, "CLOSE");
	lua_createtable(L, 0, 5);
	lua_pushliteral(L, "inet");
	lua_setfield(L, -2, "family");
	lua_pushliteral(L, "127.0.0.1");
	lua_setfield(L, -2, "local_addr");
	lua_pushinteger(L, 80);
	lua_setfield(L, -2, "local_port");
	lua_pushliteral(L, "127.0.0.1");
	lua_setfield(L, -2, "remote_addr");
	lua_pushinteger(L, 40000);
	lua_setfield(L, -2, "remote_port");
	lua_setfield(L, -2, "socket");
	return 0;
}

struct call {
	const char *name;
	const char *data;
	size_t len;
	bool nonblock;
};

/* Protected. */
static int entry_call(lua_State *L)
{
	struct call *c = lua_touserdata(L, 1);

	if (lua_getglobal(L, c->name) != LUA_TFUNCTION)
		return luaL_error(L, "entry '%s' is not a function", c->name);
	lua_pushlstring(L, c->data, c->len);
	lua_pushinteger(L, (lua_Integer)c->len);
	lua_pushboolean(L, c->nonblock);
	lua_call(L, 3, 1);
	return 1;
}

static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);

	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (got == 0)
			break;
		if (n == cap) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger) {
				free(buf);
				return NULL;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	if (buf && ferror(f)) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* Returns 0 to go on, 3 when the connection is reset. */
static int one_chunk(struct run *r, struct luaulp_rt *rt, struct call *c,
		     int onerror, unsigned long idx)
{
	lua_State *L = luaulp_rt_lua(rt);
	const char *why = NULL, *s;
	size_t n;
	int err;

	r->st.recv_calls++;
	r->st.bytes_in += c->len;
	lua_pushcfunction(L, entry_call);
	lua_pushlightuserdata(L, c);
	err = luaulp_rt_pcall(rt, 1, 1);
	if (err) {
		if (err == -ETIME)
			r->st.budget_hits++;
		else if (err == -ENOMEM)
			r->st.memory_hits++;
		why = luaulp_rt_error(rt);
		goto failed;
	}
	switch (lua_type(L, -1)) {
	case LUA_TNIL:
		goto pass;
	case LUA_TBOOLEAN:
		if (!lua_toboolean(L, -1))
			goto pass;
		r->st.discards++;
		if (r->verbose)
			fprintf(stderr, "chunk %lu: %zu bytes: drop\n", idx, c->len);
		break;
	case LUA_TSTRING:
		s = lua_tolstring(L, -1, &n);
		fwrite(s, 1, n, stdout);
		r->st.replacements++;
		if (r->verbose)
			fprintf(stderr, "chunk %lu: %zu bytes: replace with %zu bytes\n",
				idx, c->len, n);
		break;
	case LUA_TLIGHTUSERDATA:
		if (lua_touserdata(L, -1) == &reset_token) {
			lua_pop(L, 1);
			r->st.resets++;
			fprintf(stderr, "chunk %lu: %zu bytes: reset\n", idx, c->len);
			return 3;
		}
		if (lua_touserdata(L, -1) == &close_token) {
			lua_pop(L, 1);
			r->st.closes++;
			fprintf(stderr, "chunk %lu: %zu bytes: close\n", idx, c->len);
			return 4;
		}
		/* fall through */
	default:
		lua_pop(L, 1);
		why = "entry returned no verdict (nil, boolean, string, luaulp.RESET or luaulp.CLOSE)";
		goto failed;
	}
	lua_pop(L, 1);
	return 0;
pass:
	lua_pop(L, 1);
	fwrite(c->data, 1, c->len, stdout);
	if (r->verbose)
		fprintf(stderr, "chunk %lu: %zu bytes: pass\n", idx, c->len);
	return 0;
failed:
	r->st.errors++;
	fprintf(stderr, "chunk %lu: %zu bytes: error: %s\n", idx, c->len, why);
	if (onerror == LUAULP_ONERROR_RESET) {
		r->st.resets++;
		fprintf(stderr, "chunk %lu: reset (on-error reset)\n", idx);
		return 3;
	}
	fwrite(c->data, 1, c->len, stdout);
	return 0;
}

static void print_stats(const struct run *r)
{
	fprintf(stderr, "recv_calls=%llu bytes_in=%llu discards=%llu "
		"replacements=%llu resets=%llu errors=%llu budget_hits=%llu "
		"memory_hits=%llu kernel_sent=%llu\n",
		(unsigned long long)r->st.recv_calls,
		(unsigned long long)r->st.bytes_in,
		(unsigned long long)r->st.discards,
		(unsigned long long)r->st.replacements,
		(unsigned long long)r->st.resets,
		(unsigned long long)r->st.errors,
		(unsigned long long)r->st.budget_hits,
		(unsigned long long)r->st.memory_hits,
		(unsigned long long)r->st.kernel_sent);
}

static int usage(void)
{
	fprintf(stderr, "Usage: %s run SCRIPT [--entry F] [--chunk N] [--nonblock]\n"
		"       [--on-error pass|reset] [--sent FILE] [--stats] [-v] < INPUT\n",
		prog);
	return 2;
}

int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "entry", required_argument, NULL, 'e' },
		{ "chunk", required_argument, NULL, 'c' },
		{ "nonblock", no_argument, NULL, 'n' },
		{ "on-error", required_argument, NULL, 'o' },
		{ "sent", required_argument, NULL, 's' },
		{ "stats", no_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	struct run r = { 0 };
	struct call c = { .name = "recv" };
	struct luaulp_rt *rt = NULL;
	const char *script;
	char *src = NULL, *input = NULL, *end;
	size_t src_len, in_len, chunk = CHUNK_MAX;
	bool stats = false;
	int opt, onerror = LUAULP_ONERROR_PASS, ret = 1;
	FILE *f;

	while ((opt = getopt_long(argc, argv, "e:c:no:s:Sv", longopts, NULL)) != -1) {
		switch (opt) {
		case 'e':
			c.name = optarg;
			break;
		case 'c':
			errno = 0;
			chunk = strtoul(optarg, &end, 10);
			if (errno || *end || chunk < 1 || chunk > CHUNK_MAX) {
				fprintf(stderr, "%s: run: --chunk \"%s\" is not in 1..%d\n",
					prog, optarg, CHUNK_MAX);
				return 2;
			}
			break;
		case 'n':
			c.nonblock = true;
			break;
		case 'o':
			if (!strcmp(optarg, "pass"))
				onerror = LUAULP_ONERROR_PASS;
			else if (!strcmp(optarg, "reset"))
				onerror = LUAULP_ONERROR_RESET;
			else {
				fprintf(stderr, "%s: run: --on-error \"%s\" is not pass or reset\n",
					prog, optarg);
				return 2;
			}
			break;
		case 's':
			r.sent = fopen(optarg, "wb");
			if (!r.sent) {
				fprintf(stderr, "%s: run: %s: %s\n", prog, optarg, strerror(errno));
				return 1;
			}
			break;
		case 'S':
			stats = true;
			break;
		case 'v':
			r.verbose = true;
			break;
		default:
			return usage();
		}
	}
	if (optind + 1 != argc)
		return usage();
	script = argv[optind];
	f = fopen(script, "rb");
	if (!f) {
		fprintf(stderr, "%s: run: %s: %s\n", prog, script, strerror(errno));
		goto out;
	}
	src = read_all(f, &src_len);
	fclose(f);
	input = read_all(stdin, &in_len);
	if (!src || !input) {
		fprintf(stderr, "%s: run: cannot read the script or the input\n", prog);
		goto out;
	}
	if (luaulp_rt_create(&rt, NULL)) {
		fprintf(stderr, "%s: run: out of memory\n", prog);
		goto out;
	}
	luaulp_rt_set_owner(rt, &r);
	lua_pushcfunction(luaulp_rt_lua(rt), lib_open);
	if (luaulp_rt_pcall(rt, 0, 0)) {
		fprintf(stderr, "%s: run: %s\n", prog, luaulp_rt_error(rt));
		goto out;
	}
	{
		char chunkname[512];

		snprintf(chunkname, sizeof(chunkname), "@%s", script);
		if (luaulp_rt_exec(rt, src, src_len, chunkname, NULL, 0)) {
			fprintf(stderr, "%s\n", luaulp_rt_error(rt));
			goto out;
		}
	}
	ret = 0;
	for (size_t off = 0, i = 1; off < in_len; off += chunk, i++) {
		c.data = input + off;
		c.len = in_len - off < chunk ? in_len - off : chunk;
		ret = one_chunk(&r, rt, &c, onerror, i);
		if (ret)
			break;
	}
	fflush(stdout);
	if (stats)
		print_stats(&r);
out:
	if (rt)
		luaulp_rt_destroy(rt);
	if (r.sent)
		fclose(r.sent);
	free(src);
	free(input);
	return ret;
}
#else
int cmd_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "%s: run: not available in this build: it needs the "
		"user-space runtime (runtime/build.mk)\n", prog);
	return 2;
}
#endif
