/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small generic netlink client: raw AF_NETLINK/NETLINK_GENERIC sockets,
 * no libnl.  Shared by the shim (registering scripts from a privileged
 * process) and the CLI (register, unregister, scripts, stat).  It interposes
 * nothing and keeps no global state, so it is unit-tested on its own
 * (tests/preload/genl_test.c) against a socketpair playing the kernel.
 *
 * Model: one request at a time on one socket.  lgenl_talk() sends a request
 * and reads every reply until the ACK (a "do" request sent with
 * NLM_F_ACK), NLMSG_DONE (a dump, possibly over many datagrams) or an
 * NLMSG_ERROR.  Errors are negative errnos; the kernel's extended-ack
 * message, if any, is in g->msg ("" otherwise).
 *
 * Not thread-safe per handle; separate handles are independent.
 */
#ifndef LUAULP_GENL_H
#define LUAULP_GENL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#define LGENL_MSGMAX	256	/* bytes kept of an extended-ack message */

struct lgenl {
	int fd;
	uint16_t family;	/* the resolved family id */
	uint8_t version;	/* the version requests carry */
	uint32_t seq;		/* of the last request sent */
	char msg[LGENL_MSGMAX];	/* extended-ack message of the last error */
	void *buf;		/* receive buffer (grown on demand) */
	size_t bufsize;
};

/* A request being built in a caller-provided buffer.  A put that does not
 * fit sets overflow (and later makes lgenl_talk fail with -EMSGSIZE), so
 * callers may put a whole message and check once. */
struct lgenl_msg {
	unsigned char *buf;
	size_t cap;
	bool overflow;
};

/* Bytes a request needs for attributes of the given payload sizes: the
 * header plus this per attribute. */
#define LGENL_HDRLEN	(NLMSG_HDRLEN + GENL_HDRLEN)
#define LGENL_ATTRLEN(n) (NLA_HDRLEN + NLA_ALIGN(n))

/* Open a generic netlink socket and resolve FAMILY (CTRL_CMD_GETFAMILY).
 * Returns 0, or a negative errno: -ENOENT when the family does not exist
 * (for luaulp: the module is not loaded), -EPROTONOSUPPORT/-EAFNOSUPPORT
 * without netlink.  G is closed on failure. */
int lgenl_open(struct lgenl *g, const char *family, uint8_t version);

/* Use FD (already connected to its peer) as the socket, with a known family
 * id: for tests, which play the kernel on the other end of a socketpair. */
void lgenl_open_fd(struct lgenl *g, int fd, uint16_t family, uint8_t version);

void lgenl_close(struct lgenl *g);

/* Start a request: nlmsghdr (TYPE, FLAGS | NLM_F_REQUEST) + genlmsghdr. */
void lgenl_msg_init(struct lgenl_msg *m, void *buf, size_t cap, uint16_t type,
		    uint16_t flags, uint8_t cmd, uint8_t version);
struct nlmsghdr *lgenl_msg_hdr(const struct lgenl_msg *m);
/* Append one attribute; returns 0 or -EMSGSIZE (and sets overflow). */
int lgenl_put(struct lgenl_msg *m, uint16_t type, const void *data, size_t len);
int lgenl_put_str(struct lgenl_msg *m, uint16_t type, const char *s); /* with NUL */
int lgenl_put_u8(struct lgenl_msg *m, uint16_t type, uint8_t v);
int lgenl_put_u16(struct lgenl_msg *m, uint16_t type, uint16_t v);
int lgenl_put_u32(struct lgenl_msg *m, uint16_t type, uint32_t v);
int lgenl_put_u64(struct lgenl_msg *m, uint16_t type, uint64_t v);

/* Index the attributes of a generic netlink message H into TB[0..MAX]
 * (zeroed first; unknown types above MAX are skipped; a repeated type keeps
 * the last).  Returns 0, or -EINVAL if the message or an attribute is
 * truncated or malformed. */
int lgenl_parse(const struct nlmsghdr *h, const struct nlattr **tb, int max);
/* The same for a nested attribute's payload, or any attribute stream. */
int lgenl_parse_attrs(const void *data, size_t len, const struct nlattr **tb,
		      int max);

/* Typed readers: false if A is NULL or its payload has the wrong size (a
 * string must hold a NUL within its payload). */
bool lgenl_get_u8(const struct nlattr *a, uint8_t *v);
bool lgenl_get_u16(const struct nlattr *a, uint16_t *v);
bool lgenl_get_u32(const struct nlattr *a, uint32_t *v);
bool lgenl_get_u64(const struct nlattr *a, uint64_t *v);
const char *lgenl_get_str(const struct nlattr *a);	/* NULL if not a string */
static inline const void *lgenl_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}
static inline size_t lgenl_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

/* Called for each reply message that is not NLMSG_ERROR/NLMSG_DONE.  A
 * nonzero return stops: lgenl_talk drains the rest of the reply and
 * returns that value. */
typedef int (*lgenl_cb)(const struct nlmsghdr *h, void *arg);

/* Send M and read the replies (see the model above).  A "do" request should
 * carry NLM_F_ACK so that success is confirmed; a dump carries NLM_F_DUMP.
 * Returns 0, the callback's nonzero value, or a negative errno: the
 * kernel's error (message in g->msg), -EMSGSIZE for an overflowing M,
 * -EPROTO for a malformed reply, or a socket error. */
int lgenl_talk(struct lgenl *g, struct lgenl_msg *m, lgenl_cb cb, void *arg);

/* The state of one reply being read (exposed for tests). */
struct lgenl_rx {
	uint32_t seq;		/* messages of other sequences are skipped */
	lgenl_cb cb;		/* set to NULL once it returned nonzero */
	void *arg;
	int cbret;		/* what it returned */
	bool done;		/* ACK, DONE or ERROR seen */
};

/* Process one received datagram.  Returns 0, or a negative errno: the
 * kernel's (ERROR or DONE; rx->done set) or -EPROTO (malformed). */
int lgenl_process(struct lgenl *g, const void *buf, size_t len,
		  struct lgenl_rx *rx);

#endif /* LUAULP_GENL_H */
