// SPDX-License-Identifier: GPL-2.0
/*
 * luaulp stat [-t] [-u ULP]: list the TCP sockets (IPv4 and IPv6) that
 * carry ULP "lua", with what the module reports about each, via sock_diag
 * (the interface behind `ss -tie`).  The kernel shows ULP details only to
 * CAP_NET_ADMIN.
 *
 * Columns: state, local address, peer address, uid, inode, then the ULP's
 * attributes as key=value.  Until the uapi names the module's statistics,
 * they print as attrN=value (nested: attrN.M=value).
 * -t: tab-separated, no header.  -u: another ULP name (e.g. tls), for tests.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"

static const char *const tcp_states[] = {
	"?", "ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2",
	"TIME-WAIT", "UNCONN", "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING",
	"NEW-SYN-RECV",
};

struct opts {
	bool tabs;
	const char *ulp;
	unsigned int shown;
};

static void put_addr(char *buf, size_t len, int family, const __be32 *a,
		     __be16 port)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(family, a, ip, sizeof(ip));
	snprintf(buf, len, family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, ntohs(port));
}

static bool printable(const char *s, size_t len)
{
	if (!len || s[len - 1])
		return false;
	for (size_t i = 0; i + 1 < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

static void put_attr(const char *prefix, const struct rtattr *a, char sep)
{
	const void *d = RTA_DATA(a);
	size_t len = RTA_PAYLOAD(a);
	unsigned int type = a->rta_type & NLA_TYPE_MASK;

	if (a->rta_type & NLA_F_NESTED) {
		char sub[32];
		int left = (int)len;
		const struct rtattr *n = d;

		snprintf(sub, sizeof(sub), "%sattr%u.", prefix, type);
		for (; RTA_OK(n, left); n = RTA_NEXT(n, left))
			put_attr(sub, n, sep);
		return;
	}
	printf("%c%sattr%u=", sep, prefix, type);
	if (len == 4) {
		unsigned int v;

		memcpy(&v, d, 4);
		printf("%u", v);
	} else if (len == 8) {
		unsigned long long v;

		memcpy(&v, d, 8);
		printf("%llu", v);
	} else if (printable(d, len)) {
		printf("%s", (const char *)d);
	} else {
		printf("<%zu bytes>", len);
	}
}

static void show(struct opts *o, const struct inet_diag_msg *m,
		 const struct rtattr *ulp)
{
	char local[64], peer[64];
	const struct rtattr *a;
	int left = (int)RTA_PAYLOAD(ulp);
	char sep = o->tabs ? '\t' : ' ';

	put_addr(local, sizeof(local), m->idiag_family, m->id.idiag_src, m->id.idiag_sport);
	put_addr(peer, sizeof(peer), m->idiag_family, m->id.idiag_dst, m->id.idiag_dport);
	if (o->tabs)
		printf("%s\t%s\t%s\t%u\t%u",
		       m->idiag_state < sizeof(tcp_states) / sizeof(tcp_states[0]) ?
		       tcp_states[m->idiag_state] : "?", local, peer,
		       m->idiag_uid, m->idiag_inode);
	else
		printf("%-11s %-47s %-47s %6u %9u",
		       m->idiag_state < sizeof(tcp_states) / sizeof(tcp_states[0]) ?
		       tcp_states[m->idiag_state] : "?", local, peer,
		       m->idiag_uid, m->idiag_inode);
	for (a = RTA_DATA(ulp); RTA_OK(a, left); a = RTA_NEXT(a, left))
		if ((a->rta_type & NLA_TYPE_MASK) != INET_ULP_INFO_NAME)
			put_attr("", a, sep);
	putchar('\n');
	o->shown++;
}

/* The ULP_INFO attribute of M if its name is O->ulp. */
static const struct rtattr *find_ulp(const struct opts *o,
				     const struct nlmsghdr *h)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	int left = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
	const struct rtattr *a = (const struct rtattr *)(m + 1);

	for (; RTA_OK(a, left); a = RTA_NEXT(a, left)) {
		const struct rtattr *n;
		int nleft;

		if ((a->rta_type & NLA_TYPE_MASK) != INET_DIAG_ULP_INFO)
			continue;
		nleft = (int)RTA_PAYLOAD(a);
		for (n = RTA_DATA(a); RTA_OK(n, nleft); n = RTA_NEXT(n, nleft))
			if ((n->rta_type & NLA_TYPE_MASK) == INET_ULP_INFO_NAME &&
			    !strncmp(RTA_DATA(n), o->ulp, RTA_PAYLOAD(n)) &&
			    strlen(o->ulp) + 1 == RTA_PAYLOAD(n))
				return a;
	}
	return NULL;
}

static int dump(struct opts *o, int family)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req = {
		.nlh = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		},
		.r = {
			.sdiag_family = (__u8)family,
			.sdiag_protocol = IPPROTO_TCP,
			.idiag_states = ~0u,
			.idiag_ext = 1 << (INET_DIAG_INFO - 1),
		},
	};
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	static long buf[8192];
	int fd, ret = 1;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0) {
		fprintf(stderr, "%s: stat: netlink: %s\n", prog, strerror(errno));
		return 1;
	}
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0) {
		fprintf(stderr, "%s: stat: sock_diag request: %s\n", prog, strerror(errno));
		goto out;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
		int left = (int)n;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "%s: stat: sock_diag: %s\n", prog,
				n ? strerror(errno) : "unexpected end");
			goto out;
		}
		for (; NLMSG_OK(h, (unsigned int)left); h = NLMSG_NEXT(h, left)) {
			const struct rtattr *ulp;

			if (h->nlmsg_type == NLMSG_DONE) {
				ret = 0;
				goto out;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				fprintf(stderr, "%s: stat: sock_diag: %s\n", prog,
					strerror(-e->error));
				goto out;
			}
			ulp = find_ulp(o, h);
			if (ulp)
				show(o, NLMSG_DATA(h), ulp);
		}
	}
out:
	close(fd);
	return ret;
}

int cmd_stat(int argc, char **argv)
{
	struct opts o = { .ulp = "lua" };
	int opt;

	while ((opt = getopt(argc, argv, "tu:h")) != -1) {
		switch (opt) {
		case 't':
			o.tabs = true;
			break;
		case 'u':
			o.ulp = optarg;
			break;
		default:
			fprintf(stderr, "Usage: %s stat [-t] [-u ULP]\n", prog);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "Usage: %s stat [-t] [-u ULP]\n", prog);
		return 2;
	}
	if (!strcmp(o.ulp, "lua") && access("/sys/module/luaulp", F_OK)) {
		fprintf(stderr, "%s: stat: the luaulp module is not loaded\n", prog);
		return 1;
	}
	if (geteuid() != 0)
		fprintf(stderr, "%s: stat: note: the kernel shows ULP details only "
			"to CAP_NET_ADMIN\n", prog);
	if (!o.tabs)
		printf("%-11s %-47s %-47s %6s %9s %s\n", "State", "Local", "Peer",
		       "UID", "Inode", "Info");
	if (dump(&o, AF_INET) || dump(&o, AF_INET6))
		return 1;
	return 0;
}
