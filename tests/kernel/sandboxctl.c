// SPDX-License-Identifier: GPL-2.0
/*
 * sandboxctl: test helper for who owns what (issue 10), run as root in the
 * guest.
 *
 *   sandboxctl scm-store NAME   NAME is a registered script defining
 *       put(d) (stores d under "secret", returns "stored") and get(d)
 *       (returns tostring of "secret").  A sender (uid 65534) stores its
 *       secret through one scripted socket, then passes two sockets over
 *       SCM_RIGHTS to a receiver (uid 65533): one with the ULP attached but
 *       no script yet, which the receiver loads NAME into and reads the
 *       store through; and the one the sender loaded, which the receiver
 *       tries to load NAME into.  Prints what each side saw.
 *   sandboxctl dump-views NAME  a socket scripted by root (LOADSCRIPT) and one
 *       by uid 65534 (ATTACHNAME NAME); the socket dump (GET_SOCKET) seen
 *       through a netlink socket uid 65534 opened and passed to root, through
 *       root's own, and from a user namespace of uid 65534 (uid 0 inside).
 *       Prints, per view, each socket's uid or "hidden".
 *   sandboxctl sockmap          attach the ULP to a socket that sits in a
 *       BPF sockmap (its sk_prot is tcp_bpf's, not TCP's) and, for
 *       comparison, to a plain one; prints the outcomes.
 *
 * Outcomes are errno names; exit status 0 unless set-up failed (2).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "luaulp.h"
#include "registry.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

static void die(const char *what)
{
	printf("%s: %s\n", what, strerrorname_np(errno));
	fflush(stdout);
	exit(2);
}

static const char *outcome(int rc)
{
	return rc ? strerrorname_np(errno) : "ok";
}

/* A connected loopback pair: *srv accepted, *cli connected. */
static void pair(int *srv, int *cli)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		die("listener");
	*cli = socket(AF_INET, SOCK_STREAM, 0);
	if (*cli < 0 || connect(*cli, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	*srv = accept(l, NULL, NULL);
	if (*srv < 0)
		die("accept");
	close(l);
}

static int set_str(int fd, int opt, const char *s)
{
	return setsockopt(fd, SOL_LUA, opt, s, strlen(s));
}

/* Send S from CLI, read what the scripted SRV delivers into BUF. */
static void roundtrip(int cli, int srv, const char *s, char *buf, size_t len)
{
	ssize_t n;

	if (write(cli, s, strlen(s)) != (ssize_t)strlen(s))
		die("write");
	n = read(srv, buf, len - 1);
	if (n < 0)
		die("read");
	buf[n] = '\0';
}

static void send_fds(int us, int a, int b)
{
	char cbuf[CMSG_SPACE(2 * sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "f", .iov_len = 1 };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	int fds[2] = { a, b };

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
	if (sendmsg(us, &m, 0) != 1)
		die("sendmsg");
}

static void recv_fds(int us, int *a, int *b)
{
	char cbuf[CMSG_SPACE(2 * sizeof(int))];
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	int fds[2];

	if (recvmsg(us, &m, 0) != 1)
		die("recvmsg");
	c = CMSG_FIRSTHDR(&m);
	if (!c || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(fds)))
		die("no fds");
	memcpy(fds, CMSG_DATA(c), sizeof(fds));
	*a = fds[0];
	*b = fds[1];
}

static void become(uid_t uid)
{
	if (setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
		die("setresuid");
	/* Changing credentials made /proc/self root's: take it back. */
	if (prctl(PR_SET_DUMPABLE, 1))
		die("PR_SET_DUMPABLE");
}

static int scm_store(const char *name)
{
	int us[2], go[2], srv, cli, srv2, cli2, fresh, loaded;
	char buf[256];
	pid_t sender, receiver;
	int st1, st2;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, us) || pipe(go))
		die("socketpair");
	sender = fork();
	if (sender == 0) {
		close(us[1]);
		close(go[1]);
		become(65534);
		pair(&srv, &cli);
		if (setsockopt(srv, SOL_TCP, TCP_ULP, "lua", 3))
			die("TCP_ULP");
		printf("sender loads: %s\n", outcome(set_str(srv, LUAULP_ATTACHNAME, name)));
		set_str(srv, LUAULP_ENTRYPOINT, "put");
		roundtrip(cli, srv, "S-secret", buf, sizeof(buf));
		printf("sender stores: %s\n", buf);
		set_str(srv, LUAULP_ENTRYPOINT, "get");
		roundtrip(cli, srv, "?", buf, sizeof(buf));
		printf("sender sees: %s\n", buf);
		fflush(stdout);

		pair(&srv2, &cli2);
		if (setsockopt(srv2, SOL_TCP, TCP_ULP, "lua", 3))
			die("TCP_ULP");
		send_fds(us[0], srv2, srv);
		/* The receiver says when it is ready to read. */
		if (read(us[0], buf, 1) != 1)
			die("ready");
		if (write(cli2, "?", 1) != 1)
			die("write");
		/* Keep the peers open until the receiver is done. */
		if (read(go[0], buf, 1) < 0)
			die("done");
		_exit(0);
	}
	receiver = fork();
	if (receiver == 0) {
		close(us[0]);
		close(go[0]);
		become(65533);
		recv_fds(us[1], &fresh, &loaded);
		printf("receiver loads into a passed fresh socket: %s\n",
		       outcome(set_str(fresh, LUAULP_ATTACHNAME, name)));
		set_str(fresh, LUAULP_ENTRYPOINT, "get");
		printf("receiver loads into the sender's loaded socket: %s\n",
		       outcome(set_str(loaded, LUAULP_ATTACHNAME, name)));
		if (write(us[1], "r", 1) != 1)
			die("ready");
		if (read(fresh, buf, sizeof(buf) - 1) < 0)
			die("read");
		printf("receiver sees: %s\n", buf);
		fflush(stdout);
		close(go[1]);
		_exit(0);
	}
	close(us[0]);
	close(us[1]);
	close(go[0]);
	close(go[1]);
	if (waitpid(sender, &st1, 0) < 0 || waitpid(receiver, &st2, 0) < 0)
		die("waitpid");
	return (WIFEXITED(st1) && !WEXITSTATUS(st1) &&
		WIFEXITED(st2) && !WEXITSTATUS(st2)) ? 0 : 2;
}

struct view {
	uint64_t ino[2];	/* root's, nobody's */
	int seen[2];
	uint32_t uid[2];
};

static int view_cb(const struct luaulp_sock_info *si, void *arg)
{
	struct view *v = arg;
	int i;

	for (i = 0; i < 2; i++)
		if (si->inode == v->ino[i]) {
			v->seen[i] = 1;
			v->uid[i] = si->uid;
		}
	return 0;
}

static void show_view(const char *what, struct lgenl *g, const uint64_t *ino)
{
	struct view v = { .ino = { ino[0], ino[1] } };
	const char *who[2] = { "root's", "nobody's" };
	int err = luaulp_reg_sockets(g, view_cb, &v), i;

	printf("%s:", what);
	if (err) {
		printf(" dump %s\n", strerrorname_np(-err));
		return;
	}
	for (i = 0; i < 2; i++) {
		if (v.seen[i])
			printf(" %s socket uid %u", who[i], v.uid[i]);
		else
			printf(" %s socket hidden", who[i]);
		putchar(i ? '\n' : ',');
	}
}

static uint64_t inode_of(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		die("fstat");
	return st.st_ino;
}

static void write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(s, f) < 0 || fclose(f))
		die(path);
}

static int dump_views(const char *name)
{
	struct msghdr m = { 0 };
	struct lgenl g, mine, inner;
	int us[2], rs, rc, ns, nc, gfd = -1, st;
	uint64_t ino[2];
	char cbuf[CMSG_SPACE(sizeof(int))];
	char data[sizeof(uint64_t) + sizeof(uint16_t)];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct cmsghdr *c;
	uint16_t fam;
	pid_t child;
	int err;

	pair(&rs, &rc);
	if (setsockopt(rs, SOL_TCP, TCP_ULP, "lua", 3) ||
	    set_str(rs, LUAULP_LOADSCRIPT, "x = 1"))
		die("root's socket");
	ino[0] = inode_of(rs);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, us))
		die("socketpair");
	child = fork();
	if (child == 0) {
		close(us[0]);
		become(65534);
		pair(&ns, &nc);
		if (setsockopt(ns, SOL_TCP, TCP_ULP, "lua", 3) ||
		    set_str(ns, LUAULP_ATTACHNAME, name))
			die("nobody's socket");
		err = luaulp_reg_open(&g);
		if (err) {
			errno = -err;
			die("genl");
		}
		ino[1] = inode_of(ns);
		memcpy(data, &ino[1], sizeof(ino[1]));
		memcpy(data + sizeof(ino[1]), &g.family, sizeof(g.family));
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &g.fd, sizeof(int));
		if (sendmsg(us[1], &m, 0) != (ssize_t)sizeof(data))
			die("sendmsg");
		/* Root has looked: now from a user namespace of our own. */
		if (read(us[1], data, 1) != 1)
			die("wait");
		if (unshare(CLONE_NEWUSER))
			die("unshare");
		write_file("/proc/self/setgroups", "deny");
		write_file("/proc/self/uid_map", "0 65534 1");
		write_file("/proc/self/gid_map", "0 65534 1");
		err = luaulp_reg_open(&inner);
		if (err) {
			errno = -err;
			die("genl in the user namespace");
		}
		if (read(us[1], &ino[0], sizeof(ino[0])) != sizeof(ino[0]))
			die("root's inode");
		show_view("nobody's dump from its user namespace", &inner, ino);
		_exit(0);
	}
	close(us[1]);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = cbuf;
	m.msg_controllen = sizeof(cbuf);
	if (recvmsg(us[0], &m, 0) != (ssize_t)sizeof(data))
		die("recvmsg");
	c = CMSG_FIRSTHDR(&m);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		die("no fd");
	memcpy(&gfd, CMSG_DATA(c), sizeof(int));
	memcpy(&ino[1], data, sizeof(ino[1]));
	memcpy(&fam, data + sizeof(ino[1]), sizeof(fam));
	lgenl_open_fd(&g, gfd, fam, LUAULP_GENL_VERSION);
	show_view("root reading nobody's netlink socket", &g, ino);
	err = luaulp_reg_open(&mine);
	if (err) {
		errno = -err;
		die("genl");
	}
	show_view("root's own netlink socket", &mine, ino);
	if (write(us[0], "g", 1) != 1 ||
	    write(us[0], &ino[0], sizeof(ino[0])) != sizeof(ino[0]))
		die("go");
	if (waitpid(child, &st, 0) < 0)
		die("waitpid");
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : 2;
}

static int sockmap(void)
{
	union bpf_attr attr;
	int map, srv, cli, srv2, cli2, key = 0, val;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_SOCKMAP;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	map = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	if (map < 0)
		die("BPF_MAP_CREATE");
	pair(&srv, &cli);
	val = srv;
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = map;
	attr.key = (unsigned long)&key;
	attr.value = (unsigned long)&val;
	attr.flags = BPF_ANY;
	if (syscall(SYS_bpf, BPF_MAP_UPDATE_ELEM, &attr, sizeof(attr)))
		die("BPF_MAP_UPDATE_ELEM");
	printf("attach to a sockmap'd socket: %s\n",
	       outcome(setsockopt(srv, SOL_TCP, TCP_ULP, "lua", 3)));
	pair(&srv2, &cli2);
	printf("attach to a plain socket: %s\n",
	       outcome(setsockopt(srv2, SOL_TCP, TCP_ULP, "lua", 3)));
	/* The sockmap'd one still works as TCP. */
	if (write(cli, "x", 1) != 1 || read(srv, &val, 1) != 1)
		die("sockmap'd socket");
	printf("sockmap'd socket still carries data: ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "scm-store"))
		return scm_store(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "dump-views"))
		return dump_views(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "sockmap"))
		return sockmap();
	fprintf(stderr, "usage: see the comment at the top of sandboxctl.c\n");
	return 2;
}
