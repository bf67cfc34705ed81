// SPDX-License-Identifier: GPL-2.0
/*
 * A small generic netlink client without libnl: see genl.h.
 *
 * Requests carry NLM_F_REQUEST and, unless they are dumps, NLM_F_ACK: the
 * end of every reply is then an NLMSG_ERROR (0 = ACK) or NLMSG_DONE.  The
 * socket asks for extended acks (NETLINK_EXT_ACK) and capped acks
 * (NETLINK_CAP_ACK: an error does not echo our request, which may be a
 * quarter megabyte of Lua source).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "genl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NLM_F_CAPPED
#define NLM_F_CAPPED 0x100
#endif
#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS 0x200
#endif
#ifndef NLMSGERR_ATTR_MSG
#define NLMSGERR_ATTR_MSG 1
#endif

#define LGENL_RCVTIMEO_S	10	/* never hang a host program's start */
#define LGENL_BUF_MIN		16384

void lgenl_msg_init(struct lgenl_msg *m, void *buf, size_t cap, uint16_t type,
		    uint16_t flags, uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *h = buf;
	struct genlmsghdr *gh;

	m->buf = buf;
	m->cap = cap;
	m->overflow = cap < LGENL_HDRLEN;
	if (m->overflow)
		return;
	memset(buf, 0, LGENL_HDRLEN);
	h->nlmsg_len = LGENL_HDRLEN;
	h->nlmsg_type = type;
	h->nlmsg_flags = flags | NLM_F_REQUEST;
	gh = NLMSG_DATA(h);
	gh->cmd = cmd;
	gh->version = version;
}

struct nlmsghdr *lgenl_msg_hdr(const struct lgenl_msg *m)
{
	return (struct nlmsghdr *)m->buf;
}

int lgenl_put(struct lgenl_msg *m, uint16_t type, const void *data, size_t len)
{
	struct nlmsghdr *h = lgenl_msg_hdr(m);
	struct nlattr *a;
	size_t at, total = LGENL_ATTRLEN(len);

	if (m->overflow)
		return -EMSGSIZE;
	at = h->nlmsg_len;
	if (len > 0xffff - NLA_HDRLEN || total > m->cap - at ||
	    at + total > UINT32_MAX) {
		m->overflow = true;
		return -EMSGSIZE;
	}
	a = (struct nlattr *)(m->buf + at);
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	a->nla_type = type;
	if (len)
		memcpy(m->buf + at + NLA_HDRLEN, data, len);
	memset(m->buf + at + NLA_HDRLEN + len, 0, total - NLA_HDRLEN - len);
	h->nlmsg_len = (uint32_t)(at + total);
	return 0;
}

int lgenl_put_str(struct lgenl_msg *m, uint16_t type, const char *s)
{
	return lgenl_put(m, type, s, strlen(s) + 1);
}

int lgenl_put_u8(struct lgenl_msg *m, uint16_t type, uint8_t v)
{
	return lgenl_put(m, type, &v, sizeof(v));
}

int lgenl_put_u16(struct lgenl_msg *m, uint16_t type, uint16_t v)
{
	return lgenl_put(m, type, &v, sizeof(v));
}

int lgenl_put_u32(struct lgenl_msg *m, uint16_t type, uint32_t v)
{
	return lgenl_put(m, type, &v, sizeof(v));
}

int lgenl_put_u64(struct lgenl_msg *m, uint16_t type, uint64_t v)
{
	return lgenl_put(m, type, &v, sizeof(v));
}

int lgenl_parse_attrs(const void *data, size_t len, const struct nlattr **tb,
		      int max)
{
	const unsigned char *p = data;

	memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const struct nlattr *)p;
		size_t alen = a->nla_len, step;
		int type = a->nla_type & NLA_TYPE_MASK;

		if (alen < NLA_HDRLEN || alen > len)
			return -EINVAL;
		if (type <= max)
			tb[type] = a;
		step = NLA_ALIGN(alen);
		if (step >= len)
			return 0;
		p += step;
		len -= step;
	}
	return len ? -EINVAL : 0;
}

int lgenl_parse(const struct nlmsghdr *h, const struct nlattr **tb, int max)
{
	if (h->nlmsg_len < LGENL_HDRLEN) {
		memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
		return -EINVAL;
	}
	return lgenl_parse_attrs((const char *)h + LGENL_HDRLEN,
				 h->nlmsg_len - LGENL_HDRLEN, tb, max);
}

static bool get_fixed(const struct nlattr *a, void *v, size_t size)
{
	if (!a || lgenl_len(a) != size)
		return false;
	memcpy(v, lgenl_data(a), size);
	return true;
}

bool lgenl_get_u8(const struct nlattr *a, uint8_t *v)
{
	return get_fixed(a, v, sizeof(*v));
}

bool lgenl_get_u16(const struct nlattr *a, uint16_t *v)
{
	return get_fixed(a, v, sizeof(*v));
}

bool lgenl_get_u32(const struct nlattr *a, uint32_t *v)
{
	return get_fixed(a, v, sizeof(*v));
}

bool lgenl_get_u64(const struct nlattr *a, uint64_t *v)
{
	return get_fixed(a, v, sizeof(*v));
}

const char *lgenl_get_str(const struct nlattr *a)
{
	if (!a || !lgenl_len(a) || !memchr(lgenl_data(a), '\0', lgenl_len(a)))
		return NULL;
	return lgenl_data(a);
}

/* The extended-ack message among the TLVs at DATA..DATA+LEN, into g->msg. */
static void ext_ack(struct lgenl *g, const unsigned char *data, size_t len)
{
	const struct nlattr *tb[NLMSGERR_ATTR_MSG + 1];
	const char *s;

	if (lgenl_parse_attrs(data, len, tb, NLMSGERR_ATTR_MSG))
		return;
	s = lgenl_get_str(tb[NLMSGERR_ATTR_MSG]);
	if (s) {
		strncpy(g->msg, s, sizeof(g->msg) - 1);
		g->msg[sizeof(g->msg) - 1] = '\0';
	}
}

/* NLMSG_ERROR: 0 for an ACK, else the negative errno (message noted). */
static int error_msg(struct lgenl *g, const struct nlmsghdr *h)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);
	size_t payload, off;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
		return -EPROTO;
	if (e->error > 0 || e->error < -4095)
		return -EPROTO;
	if (!e->error || !(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return e->error;
	payload = sizeof(*e);
	if (!(h->nlmsg_flags & NLM_F_CAPPED)) {
		if (e->msg.nlmsg_len < NLMSG_HDRLEN)
			return e->error;
		payload += e->msg.nlmsg_len - NLMSG_HDRLEN;
	}
	off = NLMSG_HDRLEN + NLMSG_ALIGN(payload);
	if (off < h->nlmsg_len)
		ext_ack(g, (const unsigned char *)h + off, h->nlmsg_len - off);
	return e->error;
}

/* NLMSG_DONE: carries an int, negative if the dump failed. */
static int done_msg(struct lgenl *g, const struct nlmsghdr *h)
{
	int err;
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(int));

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(int)))
		return 0;	/* old kernels: no payload */
	memcpy(&err, NLMSG_DATA(h), sizeof(err));
	if (err > 0 || err < -4095)
		return -EPROTO;
	if (err && (h->nlmsg_flags & NLM_F_ACK_TLVS) && off < h->nlmsg_len)
		ext_ack(g, (const unsigned char *)h + off, h->nlmsg_len - off);
	return err;
}

int lgenl_process(struct lgenl *g, const void *buf, size_t len,
		  struct lgenl_rx *rx)
{
	const unsigned char *p = buf;

	while (len > 0 && !rx->done) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)p;
		size_t step;

		if (len < NLMSG_HDRLEN || h->nlmsg_len < NLMSG_HDRLEN ||
		    h->nlmsg_len > len)
			return -EPROTO;
		step = NLMSG_ALIGN(h->nlmsg_len);
		if (h->nlmsg_seq != rx->seq || h->nlmsg_type == NLMSG_NOOP) {
			/* stale or noise */
		} else if (h->nlmsg_type == NLMSG_ERROR) {
			rx->done = true;
			return error_msg(g, h);
		} else if (h->nlmsg_type == NLMSG_DONE) {
			rx->done = true;
			return done_msg(g, h);
		} else if (h->nlmsg_type == NLMSG_OVERRUN) {
			rx->done = true;
			return -EOVERFLOW;
		} else if (rx->cb) {
			int r = rx->cb(h, rx->arg);

			if (r) {	/* stop calling it; the rest is drained */
				rx->cbret = r;
				rx->cb = NULL;
			}
		}
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return 0;
}

static ssize_t recv_all(struct lgenl *g)
{
	ssize_t n;

	for (;;) {
		/* The datagram's real size, so that none is ever cut. */
		n = recv(g->fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if ((size_t)n > g->bufsize || !g->buf) {
			size_t size = (size_t)n > LGENL_BUF_MIN ? (size_t)n : LGENL_BUF_MIN;
			void *b = realloc(g->buf, size);

			if (!b)
				return -ENOMEM;
			g->buf = b;
			g->bufsize = size;
		}
		n = recv(g->fd, g->buf, g->bufsize, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		return n;
	}
}

/* Make room in the send buffer for a LEN-byte request (the default,
 * ~200 KiB, is below LUAULP_SCRIPT_MAX plus headers). */
static void ensure_sndbuf(int fd, size_t len)
{
	int cur = 0, want;
	socklen_t sl = sizeof(cur);

	if (len > INT32_MAX / 2 - 4096)
		return;
	want = (int)len + 4096;
	if (!getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cur, &sl) && cur >= want)
		return;
	/* The kernel doubles what it is given; FORCE ignores wmem_max but
	 * needs CAP_NET_ADMIN, which registering needs anyway. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
}

int lgenl_talk(struct lgenl *g, struct lgenl_msg *m, lgenl_cb cb, void *arg)
{
	struct nlmsghdr *h = lgenl_msg_hdr(m);
	struct lgenl_rx rx = { .cb = cb, .arg = arg };
	int ret = 0;
	ssize_t n;

	g->msg[0] = '\0';
	if (m->overflow)
		return -EMSGSIZE;
	if (!(h->nlmsg_flags & NLM_F_DUMP))
		h->nlmsg_flags |= NLM_F_ACK;
	h->nlmsg_seq = rx.seq = ++g->seq;
	h->nlmsg_pid = 0;
	if (h->nlmsg_len > 65536)
		ensure_sndbuf(g->fd, h->nlmsg_len);
	do
		n = send(g->fd, h, h->nlmsg_len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != h->nlmsg_len)
		return -EPROTO;
	while (!rx.done) {
		n = recv_all(g);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EPROTO;	/* the peer went away */
		ret = lgenl_process(g, g->buf, (size_t)n, &rx);
		if (ret)
			return ret;	/* the kernel's error, or malformed */
	}
	return rx.cbret;
}

static int family_cb(const struct nlmsghdr *h, void *arg)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1];
	uint16_t *id = arg;

	if (h->nlmsg_type != GENL_ID_CTRL || lgenl_parse(h, tb, CTRL_ATTR_MAX))
		return 0;
	lgenl_get_u16(tb[CTRL_ATTR_FAMILY_ID], id);
	return 0;
}

void lgenl_open_fd(struct lgenl *g, int fd, uint16_t family, uint8_t version)
{
	memset(g, 0, sizeof(*g));
	g->fd = fd;
	g->family = family;
	g->version = version;
}

int lgenl_open(struct lgenl *g, const char *family, uint8_t version)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = LGENL_RCVTIMEO_S };
	unsigned char buf[LGENL_HDRLEN + LGENL_ATTRLEN(GENL_NAMSIZ)];
	struct lgenl_msg m;
	uint16_t id = 0;
	int one = 1, fd, ret;

	memset(g, 0, sizeof(*g));
	g->fd = -1;
	if (strlen(family) >= GENL_NAMSIZ)
		return -EINVAL;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	/* Both are optional: old kernels simply send less. */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&kernel, sizeof(kernel))) {
		ret = -errno;
		close(fd);
		return ret;
	}
	lgenl_open_fd(g, fd, GENL_ID_CTRL, 1);
	lgenl_msg_init(&m, buf, sizeof(buf), GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, 1);
	lgenl_put_str(&m, CTRL_ATTR_FAMILY_NAME, family);
	ret = lgenl_talk(g, &m, family_cb, &id);
	if (!ret && !id)
		ret = -EPROTO;
	if (ret) {
		lgenl_close(g);
		return ret;
	}
	g->family = id;
	g->version = version;
	return 0;
}

void lgenl_close(struct lgenl *g)
{
	if (g->fd >= 0)
		close(g->fd);
	g->fd = -1;
	free(g->buf);
	g->buf = NULL;
	g->bufsize = 0;
}
