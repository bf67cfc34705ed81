// SPDX-License-Identifier: GPL-2.0
/*
 * Unit test of the generic netlink client (preload/genl.c) and the registry
 * messages (preload/registry.c), built with ASan + UBSan.  The "kernel" is
 * the other end of a SOCK_SEQPACKET socketpair: each test queues the
 * datagrams the kernel would send, lets the client talk, then reads the
 * request the client sent.  The last tests use the real generic netlink
 * controller of this machine when there is one.  Prints TAP; exit status 1
 * if any check failed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "genl.h"
#include "registry.h"

#ifndef NLM_F_CAPPED
#define NLM_F_CAPPED 0x100
#endif
#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS 0x200
#endif
#ifndef NLMSGERR_ATTR_MSG
#define NLMSGERR_ATTR_MSG 1
#endif

#define FAMILY 0x1234

static int n_checks, n_failed;

#define CHECK(cond) check(!!(cond), #cond, __LINE__)

static void check(int ok, const char *what, int line)
{
	n_checks++;
	if (!ok)
		n_failed++;
	printf("%sok %d - line %d: %s\n", ok ? "" : "not ", n_checks, line, what);
}

/* ---- the fake kernel ---- */

static int kfd;			/* the kernel's end */
static struct lgenl g;		/* the client, on the other end */

static void pair_open(void)
{
	int sv[2];
	struct timeval tv = { .tv_sec = 5 };

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		perror("socketpair");
		exit(2);
	}
	/* Never hang the test on a client bug. */
	setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	lgenl_open_fd(&g, sv[0], FAMILY, 1);
	kfd = sv[1];
}

static void pair_close(void)
{
	lgenl_close(&g);
	if (kfd >= 0)
		close(kfd);
	kfd = -1;
}

/* A datagram being assembled from several netlink messages. */
static unsigned char dgram[1 << 18];
static size_t dlen;

static struct nlmsghdr *add_msg(uint16_t type, uint16_t flags, uint32_t seq,
				const void *payload, size_t len)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(dgram + dlen);

	memset(h, 0, NLMSG_SPACE(len));
	h->nlmsg_len = (uint32_t)NLMSG_LENGTH(len);
	h->nlmsg_type = type;
	h->nlmsg_flags = flags;
	h->nlmsg_seq = seq;
	if (len)
		memcpy(NLMSG_DATA(h), payload, len);
	dlen += NLMSG_ALIGN(h->nlmsg_len);
	return h;
}

/* Append an attribute to the last message H. */
static void add_attr(struct nlmsghdr *h, uint16_t type, const void *data,
		     size_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));

	memset(a, 0, NLA_HDRLEN + NLA_ALIGN(len));
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	a->nla_type = type;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + NLA_HDRLEN + (uint32_t)len;
	dlen = (size_t)((unsigned char *)h - dgram) + NLMSG_ALIGN(h->nlmsg_len);
}

/* A generic netlink data message (for dumps) of the family. */
static struct nlmsghdr *add_genl(uint32_t seq, uint8_t cmd)
{
	struct genlmsghdr gh = { .cmd = cmd, .version = 1 };

	return add_msg(FAMILY, NLM_F_MULTI, seq, &gh, sizeof(gh));
}

static void flush(void)
{
	if (send(kfd, dgram, dlen, 0) != (ssize_t)dlen) {
		perror("send");
		exit(2);
	}
	dlen = 0;
}

static void ack(uint32_t seq)
{
	struct nlmsgerr e = { .error = 0 };

	add_msg(NLMSG_ERROR, NLM_F_CAPPED, seq, &e, sizeof(e));
	flush();
}

/* An error as the kernel sends it with NETLINK_CAP_ACK and EXT_ACK. */
static void nack(uint32_t seq, int err, const char *msg)
{
	struct nlmsgerr e = { .error = err };
	struct nlmsghdr *h;

	e.msg.nlmsg_len = 4096;		/* ignored: capped */
	h = add_msg(NLMSG_ERROR, NLM_F_CAPPED | (msg ? NLM_F_ACK_TLVS : 0), seq,
		    &e, sizeof(e));
	if (msg)
		add_attr(h, NLMSGERR_ATTR_MSG, msg, strlen(msg) + 1);
	flush();
}

static void done(uint32_t seq, int err)
{
	add_msg(NLMSG_DONE, NLM_F_MULTI, seq, &err, sizeof(err));
	flush();
}

/* The request the client sent. */
static unsigned char req[1 << 18];

static struct nlmsghdr *read_request(void)
{
	ssize_t n = recv(kfd, req, sizeof(req), MSG_DONTWAIT);

	if (n < (ssize_t)NLMSG_HDRLEN)
		return NULL;
	return (struct nlmsghdr *)req;
}

/* ---- tests ---- */

static void test_build(void)
{
	unsigned char buf[64];
	struct lgenl_msg m;
	const struct nlattr *tb[8];
	struct nlmsghdr *h;
	struct genlmsghdr *gh;
	uint32_t u32 = 0;
	uint16_t u16 = 0;
	uint8_t u8 = 0;
	uint64_t u64 = 0;

	memset(buf, 0xaa, sizeof(buf));
	lgenl_msg_init(&m, buf, sizeof(buf), FAMILY, NLM_F_DUMP, 3, 1);
	h = lgenl_msg_hdr(&m);
	gh = NLMSG_DATA(h);
	CHECK(h->nlmsg_len == LGENL_HDRLEN && h->nlmsg_type == FAMILY);
	CHECK(h->nlmsg_flags == (NLM_F_REQUEST | NLM_F_DUMP));
	CHECK(gh->cmd == 3 && gh->version == 1 && gh->reserved == 0);
	CHECK(lgenl_put_str(&m, 1, "abc") == 0);	/* 4 + 4 */
	CHECK(h->nlmsg_len == LGENL_HDRLEN + 8);
	CHECK(lgenl_put_u8(&m, 2, 7) == 0);		/* 4 + 1, padded to 8 */
	CHECK(h->nlmsg_len == LGENL_HDRLEN + 16);
	CHECK(buf[LGENL_HDRLEN + 13] == 0 && buf[LGENL_HDRLEN + 15] == 0);
	CHECK(lgenl_put_u16(&m, 3, 0xbeef) == 0);
	CHECK(lgenl_put_u32(&m, 4, 0xdeadbeef) == 0);
	CHECK(h->nlmsg_len == LGENL_HDRLEN + 32 && h->nlmsg_len == 52);
	/* 52 + 12 = 64: exactly full; one byte more overflows. */
	CHECK(lgenl_put_u64(&m, 5, 0x0102030405060708ULL) == 0);
	CHECK(h->nlmsg_len == 64 && !m.overflow);
	CHECK(lgenl_put(&m, 6, NULL, 0) == -EMSGSIZE && m.overflow);
	CHECK(h->nlmsg_len == 64);
	CHECK(lgenl_put_u8(&m, 6, 1) == -EMSGSIZE);

	CHECK(lgenl_parse(h, tb, 7) == 0);
	CHECK(lgenl_get_str(tb[1]) && !strcmp(lgenl_get_str(tb[1]), "abc"));
	CHECK(lgenl_get_u8(tb[2], &u8) && u8 == 7);
	CHECK(lgenl_get_u16(tb[3], &u16) && u16 == 0xbeef);
	CHECK(lgenl_get_u32(tb[4], &u32) && u32 == 0xdeadbeef);
	CHECK(lgenl_get_u64(tb[5], &u64) && u64 == 0x0102030405060708ULL);
	CHECK(tb[6] == NULL && tb[0] == NULL);
	/* Wrong sizes and missing attributes are refused. */
	CHECK(!lgenl_get_u32(tb[2], &u32) && !lgenl_get_u8(tb[4], &u8));
	CHECK(!lgenl_get_u16(NULL, &u16) && lgenl_get_str(NULL) == NULL);
	CHECK(lgenl_get_str(tb[4]) == NULL);	/* no NUL inside */
	/* A smaller table skips higher types. */
	CHECK(lgenl_parse(h, tb, 2) == 0 && tb[1] && tb[2]);

	/* A buffer too small for even the header. */
	lgenl_msg_init(&m, buf, 8, FAMILY, 0, 1, 1);
	CHECK(m.overflow);
	CHECK(lgenl_put_u8(&m, 1, 1) == -EMSGSIZE);
}

static void test_parse_malformed(void)
{
	unsigned char buf[64];
	struct lgenl_msg m;
	const struct nlattr *tb[4];
	struct nlmsghdr *h;
	struct nlattr *a;

	lgenl_msg_init(&m, buf, sizeof(buf), FAMILY, 0, 1, 1);
	h = lgenl_msg_hdr(&m);
	lgenl_put_u32(&m, 1, 5);
	a = (struct nlattr *)(buf + LGENL_HDRLEN);
	a->nla_len = 200;			/* past the message */
	CHECK(lgenl_parse(h, tb, 3) == -EINVAL);
	a->nla_len = 3;				/* below a header */
	CHECK(lgenl_parse(h, tb, 3) == -EINVAL);
	a->nla_len = 8;
	h->nlmsg_len -= 2;			/* a torn trailing attribute */
	CHECK(lgenl_parse(h, tb, 3) == -EINVAL);
	h->nlmsg_len = LGENL_HDRLEN - 1;	/* no genl header */
	CHECK(lgenl_parse(h, tb, 3) == -EINVAL && tb[1] == NULL);
	h->nlmsg_len = LGENL_HDRLEN;		/* no attributes at all */
	CHECK(lgenl_parse(h, tb, 3) == 0 && tb[1] == NULL);
	/* NLA_F_NESTED and friends do not hide the type. */
	h->nlmsg_len = LGENL_HDRLEN + 8;
	a->nla_type = 2 | NLA_F_NESTED;
	CHECK(lgenl_parse(h, tb, 3) == 0 && tb[2] == a);
}

static void test_ack_and_request(void)
{
	unsigned char buf[128];
	struct lgenl_msg m;
	const struct nlattr *tb[LUAULP_A_MAX + 1];
	struct nlmsghdr *r;

	pair_open();
	ack(1);
	lgenl_msg_init(&m, buf, sizeof(buf), FAMILY, 0, LUAULP_CMD_UNREGISTER, 1);
	lgenl_put_str(&m, LUAULP_A_NAME, "x");
	CHECK(lgenl_talk(&g, &m, NULL, NULL) == 0);
	CHECK(g.msg[0] == '\0');
	r = read_request();
	CHECK(r && r->nlmsg_seq == 1 && r->nlmsg_type == FAMILY);
	CHECK(r && r->nlmsg_flags == (NLM_F_REQUEST | NLM_F_ACK));
	CHECK(r && lgenl_parse(r, tb, LUAULP_A_MAX) == 0 &&
	      lgenl_get_str(tb[LUAULP_A_NAME]) &&
	      !strcmp(lgenl_get_str(tb[LUAULP_A_NAME]), "x"));

	/* A stale reply (an older sequence) before the real one is skipped. */
	add_msg(NLMSG_ERROR, 0, 1, &(struct nlmsgerr){ .error = -EPERM },
		sizeof(struct nlmsgerr));
	ack(2);
	CHECK(lgenl_talk(&g, &m, NULL, NULL) == 0);
	read_request();

	/* An overflowing message is never sent. */
	m.overflow = true;
	CHECK(lgenl_talk(&g, &m, NULL, NULL) == -EMSGSIZE);
	CHECK(read_request() == NULL);
	pair_close();
}

static void test_errors(void)
{
	unsigned char buf[128];
	struct lgenl_msg m;

	pair_open();
	lgenl_msg_init(&m, buf, sizeof(buf), FAMILY, 0, LUAULP_CMD_REGISTER, 1);
	lgenl_put_str(&m, LUAULP_A_NAME, "s");

	/* Capped, with an extended-ack message. */
	nack(1, -EINVAL, "[string \"s\"]:1: unexpected symbol near 'x'");
	CHECK(lgenl_talk(&g, &m, NULL, NULL) == -EINVAL);
	CHECK(!strcmp(g.msg, "[string \"s\"]:1: unexpected symbol near 'x'"));
	read_request();

	/* Without a message: g->msg is cleared. */
	nack(2, -EPERM, NULL);
	CHECK(lgenl_talk(&g, &m, NULL, NULL) == -EPERM);
	CHECK(g.msg[0] == '\0');
	read_request();

	/* Uncapped: the request is echoed before the TLVs. */
	{
		struct {
			struct nlmsgerr e;
			unsigned char echo[20];	/* 17 bytes, padded */
		} p;
		struct nlmsghdr *h;

		memset(&p, 0, sizeof(p));
		p.e.error = -ENOENT;
		p.e.msg.nlmsg_len = NLMSG_HDRLEN + 17;
		memset(p.echo, 'E', 17);
		h = add_msg(NLMSG_ERROR, NLM_F_ACK_TLVS, 3, &p,
			    sizeof(p.e) + 17);
		add_attr(h, NLMSGERR_ATTR_MSG, "no such script", 15);
		flush();
		CHECK(lgenl_talk(&g, &m, NULL, NULL) == -ENOENT);
		CHECK(!strcmp(g.msg, "no such script"));
		read_request();
	}

	/* A message longer than we keep is cut, NUL-terminated. */
	{
		char longmsg[LGENL_MSGMAX * 2];

		memset(longmsg, 'm', sizeof(longmsg) - 1);
		longmsg[sizeof(longmsg) - 1] = '\0';
		nack(4, -EINVAL, longmsg);
		CHECK(lgenl_talk(&g, &m, NULL, NULL) == -EINVAL);
		CHECK(strlen(g.msg) == LGENL_MSGMAX - 1);
		read_request();
	}

	/* A message attribute without NUL is ignored, the error stays. */
	{
		struct nlmsgerr e = { .error = -EIO };
		struct nlmsghdr *h = add_msg(NLMSG_ERROR,
					     NLM_F_CAPPED | NLM_F_ACK_TLVS, 5,
					     &e, sizeof(e));
		add_attr(h, NLMSGERR_ATTR_MSG, "abcd", 4);
		flush();
		CHECK(lgenl_talk(&g, &m, NULL, NULL) == -EIO);
		CHECK(g.msg[0] == '\0');
		read_request();
	}

	/* Malformed: a message longer than its datagram; a bogus errno. */
	{
		struct nlmsghdr *h = add_msg(NLMSG_ERROR, 0, 6,
					     &(struct nlmsgerr){ 0 },
					     sizeof(struct nlmsgerr));
		h->nlmsg_len += 100;
		flush();
		CHECK(lgenl_talk(&g, &m, NULL, NULL) == -EPROTO);
		read_request();
		nack(7, 5, NULL);
		CHECK(lgenl_talk(&g, &m, NULL, NULL) == -EPROTO);
		read_request();
		/* An error message too short for struct nlmsgerr. */
		add_msg(NLMSG_ERROR, 0, 8, "\0\0\0", 4);
		flush();
		CHECK(lgenl_talk(&g, &m, NULL, NULL) == -EPROTO);
		read_request();
	}

	/* The kernel end goes away: an error, not a hang. */
	close(kfd);
	kfd = -1;
	CHECK(lgenl_talk(&g, &m, NULL, NULL) < 0);
	pair_close();
}

struct seen {
	int n;
	uint8_t cmds[16];
	int stop_at;
};

static int count_cb(const struct nlmsghdr *h, void *arg)
{
	struct seen *s = arg;
	const struct genlmsghdr *gh = NLMSG_DATA(h);

	if (s->n < 16)
		s->cmds[s->n] = gh->cmd;
	s->n++;
	return s->stop_at && s->n == s->stop_at ? 42 : 0;
}

static void test_dumps(void)
{
	unsigned char buf[LGENL_HDRLEN];
	struct lgenl_msg m;
	struct seen s;
	struct nlmsghdr *r;

	pair_open();
	lgenl_msg_init(&m, buf, sizeof(buf), FAMILY, NLM_F_DUMP,
		       LUAULP_CMD_GET_SCRIPT, 1);

	/* Two messages in one datagram, one in the next, then DONE alone. */
	add_genl(1, 10);
	add_genl(1, 11);
	flush();
	add_genl(1, 12);
	flush();
	done(1, 0);
	memset(&s, 0, sizeof(s));
	CHECK(lgenl_talk(&g, &m, count_cb, &s) == 0);
	CHECK(s.n == 3 && s.cmds[0] == 10 && s.cmds[1] == 11 && s.cmds[2] == 12);
	r = read_request();
	CHECK(r && r->nlmsg_flags == (NLM_F_REQUEST | NLM_F_DUMP));

	/* An empty dump. */
	done(2, 0);
	memset(&s, 0, sizeof(s));
	CHECK(lgenl_talk(&g, &m, count_cb, &s) == 0 && s.n == 0);
	read_request();

	/* DONE in the same datagram as data; nothing after it is read. */
	add_genl(3, 1);
	add_msg(NLMSG_DONE, NLM_F_MULTI, 3, &(int){ 0 }, sizeof(int));
	add_genl(3, 2);
	flush();
	memset(&s, 0, sizeof(s));
	CHECK(lgenl_talk(&g, &m, count_cb, &s) == 0 && s.n == 1);
	read_request();

	/* A dump that fails midway: DONE carries the error and a message. */
	add_genl(4, 1);
	flush();
	{
		int err = -EPERM;
		struct nlmsghdr *h = add_msg(NLMSG_DONE,
					     NLM_F_MULTI | NLM_F_ACK_TLVS, 4,
					     &err, sizeof(err));
		add_attr(h, NLMSGERR_ATTR_MSG, "not yours", 10);
		flush();
	}
	memset(&s, 0, sizeof(s));
	CHECK(lgenl_talk(&g, &m, count_cb, &s) == -EPERM && s.n == 1);
	CHECK(!strcmp(g.msg, "not yours"));
	read_request();

	/* The callback stops after 2 of 4: the rest is drained, its value
	 * returned, and the next request starts clean. */
	add_genl(5, 1);
	add_genl(5, 2);
	add_genl(5, 3);
	flush();
	add_genl(5, 4);
	flush();
	done(5, 0);
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	CHECK(lgenl_talk(&g, &m, count_cb, &s) == 42 && s.n == 2);
	read_request();
	done(6, 0);
	memset(&s, 0, sizeof(s));
	CHECK(lgenl_talk(&g, &m, count_cb, &s) == 0 && s.n == 0);
	read_request();

	/* A datagram far bigger than the initial buffer is read whole. */
	{
		static unsigned char big[100000];
		struct nlmsghdr *h = add_genl(7, 9);

		memset(big, 'b', sizeof(big));
		for (int i = 0; i < 3; i++)
			add_attr(h, 1, big, 30000);
		flush();
		done(7, 0);
		memset(&s, 0, sizeof(s));
		CHECK(lgenl_talk(&g, &m, count_cb, &s) == 0 && s.n == 1);
		CHECK(g.bufsize >= 90000);
		read_request();
	}

	/* NLMSG_OVERRUN ends the dump with an error. */
	add_msg(NLMSG_OVERRUN, 0, 8, NULL, 0);
	flush();
	CHECK(lgenl_talk(&g, &m, count_cb, &s) == -EOVERFLOW);
	read_request();
	pair_close();
}

static void test_register(void)
{
	static char src[70000];
	const struct nlattr *tb[LUAULP_A_MAX + 1];
	struct nlmsghdr *r;

	pair_open();
	memset(src, 'x', sizeof(src));
	memcpy(src, "return 1 --", 11);
	ack(1);
	CHECK(luaulp_reg_register(&g, "web.guard", src, 1000) == 0);
	r = read_request();
	CHECK(r && r->nlmsg_type == FAMILY &&
	      ((struct genlmsghdr *)NLMSG_DATA(r))->cmd == LUAULP_CMD_REGISTER);
	CHECK(r && lgenl_parse(r, tb, LUAULP_A_MAX) == 0);
	CHECK(r && !strcmp(lgenl_get_str(tb[LUAULP_A_NAME]), "web.guard"));
	CHECK(r && tb[LUAULP_A_SOURCE] && lgenl_len(tb[LUAULP_A_SOURCE]) == 1000 &&
	      !memcmp(lgenl_data(tb[LUAULP_A_SOURCE]), src, 1000));

	/* The largest source one attribute carries (16-bit nla_len). */
	ack(2);
	CHECK(luaulp_reg_register(&g, "big", src, 0xffff - NLA_HDRLEN) == 0);
	r = read_request();
	CHECK(r && lgenl_parse(r, tb, LUAULP_A_MAX) == 0 &&
	      lgenl_len(tb[LUAULP_A_SOURCE]) == 0xffff - NLA_HDRLEN);
	CHECK(luaulp_reg_register(&g, "big", src, 0x10000) == -EMSGSIZE);
	CHECK(luaulp_reg_register(&g, "big", src, LUAULP_SCRIPT_MAX + 1) == -EMSGSIZE);
	CHECK(read_request() == NULL);

	nack(3, -ENOENT, NULL);
	CHECK(luaulp_reg_unregister(&g, "gone") == -ENOENT);
	r = read_request();
	CHECK(r && ((struct genlmsghdr *)NLMSG_DATA(r))->cmd == LUAULP_CMD_UNREGISTER);
	pair_close();
}

struct sock_seen {
	int n;
	struct luaulp_sock_info last;
};

static int sock_cb(const struct luaulp_sock_info *s, void *arg)
{
	struct sock_seen *ss = arg;

	ss->n++;
	ss->last = *s;
	return 0;
}

static int script_cb(const struct luaulp_script_info *s, void *arg)
{
	struct luaulp_script_info *out = arg;

	*out = *s;
	return 0;
}

static void test_registry_dumps(void)
{
	struct luaulp_script_info si;
	struct sock_seen ss;
	struct luaulp_stats st;
	struct nlmsghdr *h;
	uint8_t fam6 = AF_INET6, fam4 = AF_INET;
	uint16_t lp = 8080, rp = 40000;
	uint64_t ino = 123456789012ULL;
	uint32_t uid = 33, cs = 1234, ss_ = 567;
	struct in6_addr l6, r6;
	char longname[100];

	pair_open();
	h = add_genl(1, LUAULP_CMD_GET_SCRIPT);
	add_attr(h, LUAULP_A_NAME, "conf.a", 7);
	add_attr(h, LUAULP_A_CODE_SIZE, &cs, 4);
	add_attr(h, LUAULP_A_SOURCE_SIZE, &ss_, 4);
	flush();
	done(1, 0);
	memset(&si, 0, sizeof(si));
	CHECK(luaulp_reg_scripts(&g, script_cb, &si) == 0);
	CHECK(!strcmp(si.name, "conf.a") && si.code_size == 1234 &&
	      si.source_size == 567);
	read_request();

	/* A script message without a name is a protocol error. */
	h = add_genl(2, LUAULP_CMD_GET_SCRIPT);
	add_attr(h, LUAULP_A_CODE_SIZE, &cs, 4);
	flush();
	done(2, 0);
	CHECK(luaulp_reg_scripts(&g, script_cb, &si) == -EPROTO);
	read_request();

	/* Sockets: IPv6 with everything, IPv4 with the minimum. */
	inet_pton(AF_INET6, "2001:db8::1", &l6);
	inet_pton(AF_INET6, "::1", &r6);
	memset(&st, 0, sizeof(st));
	st.recv_calls = 7;
	st.bytes_in = 77;
	st.memory_max = 1 << 20;
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	h = add_genl(3, LUAULP_CMD_GET_SOCKET);
	add_attr(h, LUAULP_A_FAMILY, &fam6, 1);
	add_attr(h, LUAULP_A_LOCAL_ADDR, &l6, 16);
	add_attr(h, LUAULP_A_LOCAL_PORT, &lp, 2);
	add_attr(h, LUAULP_A_REMOTE_ADDR, &r6, 16);
	add_attr(h, LUAULP_A_REMOTE_PORT, &rp, 2);
	add_attr(h, LUAULP_A_INODE, &ino, 8);
	add_attr(h, LUAULP_A_UID, &uid, 4);
	add_attr(h, LUAULP_A_SCRIPT, longname, sizeof(longname));
	add_attr(h, LUAULP_A_ENTRY, "guard", 6);
	add_attr(h, LUAULP_A_STATS, &st, sizeof(st));
	flush();
	{
		uint32_t a4 = htonl(0x7f000001);

		h = add_genl(3, LUAULP_CMD_GET_SOCKET);
		add_attr(h, LUAULP_A_FAMILY, &fam4, 1);
		add_attr(h, LUAULP_A_LOCAL_ADDR, &a4, 4);
		add_attr(h, LUAULP_A_REMOTE_ADDR, &a4, 4);
		flush();
	}
	done(3, 0);
	memset(&ss, 0, sizeof(ss));
	CHECK(luaulp_reg_sockets(&g, sock_cb, &ss) == 0 && ss.n == 2);
	CHECK(ss.last.family == AF_INET && !ss.last.have_stats &&
	      ss.last.script[0] == '\0' && ss.last.local_port == 0);
	read_request();

	/* Decode the IPv6 one alone. */
	h = add_genl(4, LUAULP_CMD_GET_SOCKET);
	add_attr(h, LUAULP_A_FAMILY, &fam6, 1);
	add_attr(h, LUAULP_A_LOCAL_ADDR, &l6, 16);
	add_attr(h, LUAULP_A_LOCAL_PORT, &lp, 2);
	add_attr(h, LUAULP_A_REMOTE_ADDR, &r6, 16);
	add_attr(h, LUAULP_A_REMOTE_PORT, &rp, 2);
	add_attr(h, LUAULP_A_INODE, &ino, 8);
	add_attr(h, LUAULP_A_UID, &uid, 4);
	add_attr(h, LUAULP_A_SCRIPT, longname, sizeof(longname));
	add_attr(h, LUAULP_A_ENTRY, "guard", 6);
	add_attr(h, LUAULP_A_STATS, &st, sizeof(st));
	{
		struct luaulp_sock_info s;

		CHECK(luaulp_reg_parse_socket(h, &s) == 0);
		CHECK(s.family == AF_INET6 && !memcmp(s.local_addr, &l6, 16) &&
		      !memcmp(s.remote_addr, &r6, 16));
		CHECK(s.local_port == 8080 && s.remote_port == 40000);
		CHECK(s.inode == ino && s.uid == 33);
		CHECK(strlen(s.script) == LUAULP_NAME_MAX);	/* cut */
		CHECK(!strcmp(s.entry, "guard") && s.send_entry[0] == '\0');
		CHECK(s.have_stats && s.stats.recv_calls == 7 &&
		      s.stats.bytes_in == 77 && s.stats.memory_max == 1 << 20);
	}
	dlen = 0;

	/* Address of the wrong size for the family; unknown family. */
	{
		struct luaulp_sock_info s;

		h = add_genl(5, LUAULP_CMD_GET_SOCKET);
		add_attr(h, LUAULP_A_FAMILY, &fam4, 1);
		add_attr(h, LUAULP_A_LOCAL_ADDR, &l6, 16);
		add_attr(h, LUAULP_A_REMOTE_ADDR, &r6, 16);
		CHECK(luaulp_reg_parse_socket(h, &s) == -EINVAL);
		dlen = 0;
		h = add_genl(5, LUAULP_CMD_GET_SOCKET);
		add_attr(h, LUAULP_A_FAMILY, &(uint8_t){ 1 }, 1);
		CHECK(luaulp_reg_parse_socket(h, &s) == -EINVAL);
		dlen = 0;
		h = add_genl(5, LUAULP_CMD_GET_SOCKET);
		CHECK(luaulp_reg_parse_socket(h, &s) == -EINVAL);
		dlen = 0;
	}
	pair_close();
}

static void test_names(void)
{
	char n[LUAULP_NAME_MAX + 1], n2[LUAULP_NAME_MAX + 1];
	char longname[200];

	CHECK(luaulp_script_name_valid("a"));
	CHECK(luaulp_script_name_valid("conf.http-guard_2"));
	CHECK(!luaulp_script_name_valid(""));
	CHECK(!luaulp_script_name_valid("a b"));
	CHECK(!luaulp_script_name_valid("conf:x"));
	CHECK(!luaulp_script_name_valid("a/b"));
	memset(longname, 'a', sizeof(longname));
	longname[LUAULP_NAME_MAX] = '\0';
	CHECK(luaulp_script_name_valid(longname));
	longname[LUAULP_NAME_MAX] = 'a';
	longname[LUAULP_NAME_MAX + 1] = '\0';
	CHECK(!luaulp_script_name_valid(longname));

	luaulp_script_name_derive(n, "http-guard", "abc", 3);
	CHECK(!strncmp(n, "conf.http-guard.", 16) && strlen(n) == 16 + 16);
	CHECK(luaulp_script_name_valid(n));
	/* FNV-1a 64 of "abc". */
	CHECK(!strcmp(n + 16, "e71fa2190541574b"));
	luaulp_script_name_derive(n2, "http-guard", "abd", 3);
	CHECK(strcmp(n, n2) != 0);
	luaulp_script_name_derive(n2, "http-guard", "abc", 3);
	CHECK(!strcmp(n, n2));
	luaulp_script_name_derive(n, "rule#1 (x)", "", 0);
	CHECK(!strcmp(n, "conf.rule_1__x_.cbf29ce484222325"));
	luaulp_script_name_derive(n, "", "", 0);
	CHECK(luaulp_script_name_valid(n) && !strncmp(n, "conf._.", 7));
	memset(longname, 'r', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	luaulp_script_name_derive(n, longname, "x", 1);
	CHECK(strlen(n) == LUAULP_NAME_MAX && luaulp_script_name_valid(n));
}

/* The real controller, if this machine has generic netlink. */
static void test_real_kernel(void)
{
	struct lgenl k;
	int ret = lgenl_open(&k, "nlctrl", 2);

	if (ret == -EAFNOSUPPORT || ret == -EPROTONOSUPPORT || ret == -EPERM) {
		printf("ok %d - # skip no generic netlink here (%s)\n", ++n_checks,
		       strerror(-ret));
		return;
	}
	CHECK(ret == 0);
	CHECK(ret == 0 && k.family == GENL_ID_CTRL && k.fd >= 0);
	if (!ret)
		lgenl_close(&k);
	CHECK(lgenl_open(&k, "no-such-fam", 1) == -ENOENT);
	CHECK(k.fd == -1);
	CHECK(lgenl_open(&k, "a-family-name-far-too-long", 1) == -EINVAL);
}

int main(void)
{
	kfd = -1;
	test_build();
	test_parse_malformed();
	test_ack_and_request();
	test_errors();
	test_dumps();
	test_register();
	test_registry_dumps();
	test_names();
	test_real_kernel();
	printf("1..%d\n# %d checks, %d failed\n", n_checks, n_checks, n_failed);
	return n_failed ? 1 : 0;
}
