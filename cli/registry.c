// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's script registry (generic netlink family "luaulp"):
 *
 *   luaulp register NAME FILE   compile FILE's Lua source in the kernel and
 *                               keep it as NAME (replaces a script of that
 *                               name); FILE "-" reads stdin.  CAP_NET_ADMIN.
 *   luaulp unregister NAME      remove it (attached sockets keep their copy)
 *   luaulp scripts [-t]         list the registered scripts
 *
 * Exit status: 0; 1 failure (the kernel's message is printed); 2 usage;
 * 4 the module is not loaded (CLI_EXIT_NOMODULE).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uapi/luaulp.h>

#include "cli.h"
#include "registry.h"

#ifdef LUAULP_HAVE_RUNTIME
#include "lauxlib.h"
#include "lua.h"
#include "runtime.h"
#endif

/* The biggest source one netlink attribute carries (16-bit length). */
#define REG_SOURCE_MAX	(0xffff - NLA_HDRLEN)

int cli_registry_open(struct lgenl *g, const char *cmd)
{
	int err = luaulp_reg_open(g);

	if (!err)
		return 0;
	if (err == -ENOENT) {
		if (access("/sys/module/luaulp", F_OK))
			fprintf(stderr, "%s: %s: luaulp module not loaded "
				"(modprobe luaulp)\n", prog, cmd);
		else
			fprintf(stderr, "%s: %s: luaulp module not loaded: the "
				"loaded luaulp has no script registry (generic netlink "
				"family \"%s\"); reload a current build\n", prog, cmd,
				LUAULP_GENL_NAME);
		return CLI_EXIT_NOMODULE;
	}
	fprintf(stderr, "%s: %s: generic netlink: %s\n", prog, cmd, strerror(-err));
	return 1;
}

void cli_registry_error(const char *cmd, const char *what, int err,
			const struct lgenl *g)
{
	fprintf(stderr, "%s: %s: %s%s%s%s%s%s\n", prog, cmd,
		what ? "\"" : "", what ? what : "", what ? "\": " : "",
		strerror(-err), g->msg[0] ? ": " : "", g->msg);
	if (err == -EPERM)
		fprintf(stderr, "%s: %s: the registry needs CAP_NET_ADMIN "
			"(run as root)\n", prog, cmd);
}

static bool check_name(const char *cmd, const char *name)
{
	if (luaulp_script_name_valid(name))
		return true;
	fprintf(stderr, "%s: %s: invalid script name \"%s\": 1..%d characters "
		"of [A-Za-z0-9_.-]\n", prog, cmd, name, LUAULP_NAME_MAX);
	return false;
}

/* FILE's bytes (or stdin's for "-") in *SRC, at most MAX + 1 of them so
 * that an oversize file shows.  0 or -1 (message printed). */
static int read_source(const char *file, char **src, size_t *len, size_t max)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "rb") : stdin;
	char *buf;
	size_t n;

	if (!f) {
		fprintf(stderr, "%s: register: %s: %s\n", prog, file, strerror(errno));
		return -1;
	}
	buf = malloc(max + 1);
	if (!buf) {
		fprintf(stderr, "%s: register: out of memory\n", prog);
		if (f != stdin)
			fclose(f);
		return -1;
	}
	n = fread(buf, 1, max + 1, f);
	if (ferror(f)) {
		fprintf(stderr, "%s: register: %s: %s\n", prog, file, strerror(errno));
		free(buf);
		if (f != stdin)
			fclose(f);
		return -1;
	}
	if (f != stdin)
		fclose(f);
	*src = buf;
	*len = n;
	return 0;
}

#ifdef LUAULP_HAVE_RUNTIME
struct compile_args {
	const char *src;
	size_t len;
	const char *chunkname;
};

static int compile_only(lua_State *L)
{
	struct compile_args *a = lua_touserdata(L, 1);

	if (luaL_loadbufferx(L, a->src, a->len, a->chunkname, "t"))
		return lua_error(L);
	return 0;
}

/* When the kernel refused the source: compile it here (same Lua, same
 * chunk name "=NAME" as the kernel) and show the message, which 6.1's
 * generic ext-ack message cannot carry (6.12's is the same text: not
 * repeated). */
static void explain(const char *name, const char *src, size_t len,
		    const char *kmsg)
{
	struct luaulp_rt *rt;
	struct compile_args a = { .src = src, .len = len };
	char chunk[LUAULP_NAME_MAX + 2];

	snprintf(chunk, sizeof(chunk), "=%s", name);
	a.chunkname = chunk;
	if (luaulp_rt_create(&rt, NULL))
		return;
	lua_pushcfunction(luaulp_rt_lua(rt), compile_only);
	lua_pushlightuserdata(luaulp_rt_lua(rt), &a);
	if (luaulp_rt_pcall(rt, 1, 0) && !strstr(kmsg, luaulp_rt_error(rt)))
		fprintf(stderr, "%s: register: %s\n", prog, luaulp_rt_error(rt));
	luaulp_rt_destroy(rt);
}
#else
static void explain(const char *name, const char *src, size_t len,
		    const char *kmsg)
{
	(void)name, (void)src, (void)len, (void)kmsg;
}
#endif

int cmd_register(int argc, char **argv)
{
	struct lgenl g;
	char *src;
	size_t len;
	int ret, err;

	if (argc != 3 || argv[1][0] == '-') {
		if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
			printf("Usage: %s register NAME FILE\n", prog);
			return 0;
		}
		fprintf(stderr, "Usage: %s register NAME FILE   (FILE - is stdin)\n", prog);
		return 2;
	}
	if (!check_name("register", argv[1]))
		return 1;
	if (read_source(argv[2], &src, &len, REG_SOURCE_MAX))
		return 1;
	if (len == 0 || len > REG_SOURCE_MAX) {
		fprintf(stderr, "%s: register: %s: %s: %zu%s bytes (1..%d)\n", prog,
			argv[2], len ? "too large to register" : "empty", len,
			len ? "+" : "", REG_SOURCE_MAX);
		free(src);
		return 1;
	}
	ret = cli_registry_open(&g, "register");
	if (ret) {
		free(src);
		return ret;
	}
	err = luaulp_reg_register(&g, argv[1], src, len);
	if (err) {
		cli_registry_error("register", argv[1], err, &g);
		if (err == -EINVAL)
			explain(argv[1], src, len, g.msg);
		ret = 1;
	}
	free(src);
	lgenl_close(&g);
	return ret;
}

int cmd_unregister(int argc, char **argv)
{
	struct lgenl g;
	int ret, err;

	if (argc != 2 || argv[1][0] == '-') {
		if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
			printf("Usage: %s unregister NAME\n", prog);
			return 0;
		}
		fprintf(stderr, "Usage: %s unregister NAME\n", prog);
		return 2;
	}
	if (!check_name("unregister", argv[1]))
		return 1;
	ret = cli_registry_open(&g, "unregister");
	if (ret)
		return ret;
	err = luaulp_reg_unregister(&g, argv[1]);
	if (err) {
		cli_registry_error("unregister", argv[1], err, &g);
		ret = 1;
	}
	lgenl_close(&g);
	return ret;
}

static int show_script(const struct luaulp_script_info *s, void *arg)
{
	bool tabs = *(bool *)arg;

	if (tabs)
		printf("%s\t%u\t%u\n", s->name, s->code_size, s->source_size);
	else
		printf("%-64s %10u %10u\n", s->name, s->code_size, s->source_size);
	return 0;
}

int cmd_scripts(int argc, char **argv)
{
	struct lgenl g;
	bool tabs = false;
	int opt, ret, err;

	while ((opt = getopt(argc, argv, "th")) != -1) {
		switch (opt) {
		case 't':
			tabs = true;
			break;
		default:
			fprintf(opt == 'h' ? stdout : stderr, "Usage: %s scripts [-t]\n", prog);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "Usage: %s scripts [-t]\n", prog);
		return 2;
	}
	ret = cli_registry_open(&g, "scripts");
	if (ret)
		return ret;
	if (!tabs)
		printf("%-64s %10s %10s\n", "Name", "Code", "Source");
	err = luaulp_reg_scripts(&g, show_script, &tabs);
	if (err) {
		cli_registry_error("scripts", NULL, err, &g);
		ret = 1;
	}
	lgenl_close(&g);
	return ret;
}
