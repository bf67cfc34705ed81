// SPDX-License-Identifier: GPL-2.0
/*
 * sharedctl: sockets that attach a registered script by name share its
 * compiled code (kernel/registry.c, lua/patches/08).
 *
 *   sharedctl N SCRIPT [ENTRY]
 *
 * Registers SCRIPT (a file) as "t.shared", attaches it by name to the
 * server side of N loopback connections, and checks, printing one line per
 * check ("ok ..." or "FAIL ...", exit 1 on any failure):
 *  - every connection runs it (the entry upper-cases what it passes);
 *  - a socket sharing the code holds far less than one that loaded the
 *    same source (LUAULP_LOADSCRIPT), and a socket that already had a state
 *    gets a copy that works too;
 *  - replacing the script (REGISTER again) leaves the attached sockets on
 *    the code they share and gives new ones the new code; unregistering
 *    leaves them working; registry_bytes counts only listed scripts (a
 *    version kept alive by sockets no longer counts), and nothing is left
 *    once the sockets are closed (the module's live bytes, in load.vm.bats).
 * The script is registered as root; the sockets may be attached by anyone.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "genl.h"
#include "registry.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

#define NAME "t.shared"

static int failed;
static int lfd;
static struct sockaddr_in addr;

#define CHECK(cond, ...) do {						\
	printf((cond) ? "ok " : "FAIL ");				\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	failed |= !(cond);						\
} while (0)

static void die(const char *what)
{
	printf("FAIL %s: %s\n", what, strerrorname_np(errno));
	exit(1);
}

static long registry_bytes(void)
{
	FILE *f = fopen("/sys/module/luaulp/parameters/registry_bytes", "r");
	long v = -1;

	if (!f || fscanf(f, "%ld", &v) != 1)
		die("registry_bytes");
	fclose(f);
	return v;
}

struct conn {
	int cli, srv;
};

/* A connection whose server side carries the ULP (not yet a script). */
static struct conn pair(void)
{
	struct conn c;

	c.cli = socket(AF_INET, SOCK_STREAM, 0);
	if (c.cli < 0 || connect(c.cli, (void *)&addr, sizeof(addr)))
		die("connect");
	c.srv = accept(lfd, NULL, NULL);
	if (c.srv < 0 || setsockopt(c.srv, SOL_TCP, TCP_ULP, "lua", 3))
		die("accept and attach the ULP");
	return c;
}

static void set_entry(struct conn *c, const char *entry)
{
	if (setsockopt(c->srv, SOL_LUA, LUAULP_ENTRYPOINT, entry, strlen(entry)))
		die("entrypoint");
}

static int attach_name(struct conn *c)
{
	return setsockopt(c->srv, SOL_LUA, LUAULP_ATTACHNAME, NAME,
			  strlen(NAME)) ? -errno : 0;
}

static unsigned long long memory_of(struct conn *c)
{
	struct luaulp_stats st;
	socklen_t len = sizeof(st);

	if (getsockopt(c->srv, SOL_LUA, LUAULP_STATS, &st, &len))
		die("stats");
	return st.memory;
}

/* What the server reads when the client sends MSG. */
static const char *through(struct conn *c, const char *msg)
{
	static char buf[256];
	ssize_t n;

	if (write(c->cli, msg, strlen(msg)) != (ssize_t)strlen(msg))
		die("write");
	n = read(c->srv, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void reg(struct lgenl *g, const char *src)
{
	int err = luaulp_reg_register(g, NAME, src, strlen(src));

	if (err) {
		errno = -err;
		die(g->msg[0] ? g->msg : "register");
	}
}

static char *slurp(const char *path)
{
	static char buf[1 << 18];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) < 0)
		die(path);
	buf[n] = '\0';
	close(fd);
	return buf;
}

int main(int argc, char **argv)
{
	static const char lower[] = "function up(d) return d:lower() end";
	struct conn *c, copy, own, late;
	unsigned long long shared_mem = 0, copy_mem;
	const char *entry = argc > 3 ? argv[3] : "up";
	socklen_t alen = sizeof(addr);
	struct lgenl g;
	long base;
	char *src;
	int i, n, ok;

	if (argc < 3)
		return fprintf(stderr, "usage: sharedctl N SCRIPT [ENTRY]\n"), 2;
	n = atoi(argv[1]);
	src = slurp(argv[2]);
	{
		struct rlimit rl = { 2 * n + 64, 2 * n + 64 };

		setrlimit(RLIMIT_NOFILE, &rl);
	}
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (void *)&addr, alen) || listen(lfd, 4096) ||
	    getsockname(lfd, (void *)&addr, &alen))
		die("listen");
	if (luaulp_reg_open(&g))
		die("netlink");

	base = registry_bytes();
	reg(&g, src);
	c = calloc(n, sizeof(*c));
	ok = 1;
	for (i = 0; i < n; i++) {
		c[i] = pair();
		ok &= attach_name(&c[i]) == 0;
		set_entry(&c[i], entry);
		ok &= !strcmp(through(&c[i], "ping"), "PING");
		shared_mem += memory_of(&c[i]);
	}
	shared_mem /= n;
	CHECK(ok, "%d sockets attach the script by name and run it", n);

	/* The same source loaded into a socket of its own. */
	own = pair();
	if (setsockopt(own.srv, SOL_LUA, LUAULP_LOADSCRIPT, src, strlen(src)))
		die("loadscript");
	set_entry(&own, entry);
	copy_mem = memory_of(&own);
	CHECK(!strcmp(through(&own, "ping"), "PING") &&
	      shared_mem * 2 < copy_mem,
	      "a socket sharing the code holds %llu bytes, one with the source %llu",
	      shared_mem, copy_mem);

	/* A socket with a state already gets a copy of the code. */
	copy = pair();
	if (setsockopt(copy.srv, SOL_LUA, LUAULP_LOADSCRIPT, "x = 1", 5))
		die("loadscript");
	CHECK(attach_name(&copy) == 0 && (set_entry(&copy, entry), 1) &&
	      !strcmp(through(&copy, "ping"), "PING") &&
	      memory_of(&copy) > shared_mem,
	      "a socket that had a state gets a working copy (%llu bytes)",
	      memory_of(&copy));

	/* Replace: attached sockets keep the code they share. */
	reg(&g, lower);
	late = pair();
	CHECK(attach_name(&late) == 0 && (set_entry(&late, "up"), 1) &&
	      !strcmp(through(&late, "PONG"), "pong") &&
	      !strcmp(through(&c[0], "pong"), "PONG") &&
	      !strcmp(through(&c[n - 1], "pong"), "PONG"),
	      "replaced: new sockets get the new code, attached ones keep theirs");

	/* Unregister: the attached keep working, no new ones. */
	if (luaulp_reg_unregister(&g, NAME))
		die("unregister");
	{
		struct conn gone = pair();

		CHECK(attach_name(&gone) == -ENOENT &&
		      !strcmp(through(&c[n / 2], "ok"), "OK") &&
		      !strcmp(through(&late, "OK"), "ok"),
		      "unregistered: attached sockets keep working, ATTACHNAME is ENOENT");
		close(gone.cli);
		close(gone.srv);
	}
	CHECK(registry_bytes() == base,
	      "retired versions no longer count against registry_max_bytes (%ld)",
	      registry_bytes());
	for (i = 0; i < n; i++) {
		close(c[i].cli);
		close(c[i].srv);
	}
	close(late.cli);
	close(late.srv);
	close(own.cli);
	close(own.srv);
	close(copy.cli);
	close(copy.srv);
	CHECK(registry_bytes() == base,
	      "the last socket closed: registry bytes still %ld", registry_bytes());
	lgenl_close(&g);
	return failed;
}
