// SPDX-License-Identifier: GPL-2.0
/*
 * luaulp stat [-t]: the scripted sockets of this network namespace, from
 * the module's registry (generic netlink, LUAULP_CMD_GET_SOCKET): one line
 * per socket with its addresses, inode, owner, script, entries and the
 * counters of struct luaulp_stats.  Without CAP_NET_ADMIN the kernel shows
 * only the caller's own sockets.
 *
 * -t: tab-separated, no header, one line per socket:
 *   local peer inode uid script entry send_entry recv_calls send_calls
 *   bytes_in bytes_out discards replacements resets errors budget_hits
 *   memory_hits kernel_sent memory memory_max
 * ("-" for no send entry; script is the registered name or "(source)").
 *
 * Without -t, a last line gives the module-wide memory totals, from
 * /sys/module/luaulp/parameters (all namespaces together):
 *   Memory: Lua states N bytes; registry N of MAX bytes; stores N of MAX bytes
 *
 * luaulp stat -d [-t] [-u ULP]: the older view through sock_diag (the
 * interface behind `ss -tie`): TCP sockets carrying ULP "lua" (or ULP),
 * with state, addresses, uid, inode and the ULP's attributes as attrN=value.
 * The kernel shows ULP details there only to CAP_NET_ADMIN.
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
#include "registry.h"

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

static int diag_stat(struct opts *o)
{
	if (!strcmp(o->ulp, "lua") && access("/sys/module/luaulp", F_OK)) {
		fprintf(stderr, "%s: stat: luaulp module not loaded\n", prog);
		return CLI_EXIT_NOMODULE;
	}
	if (geteuid() != 0)
		fprintf(stderr, "%s: stat: note: the kernel shows ULP details only "
			"to CAP_NET_ADMIN\n", prog);
	if (!o->tabs)
		printf("%-11s %-47s %-47s %6s %9s %s\n", "State", "Local", "Peer",
		       "UID", "Inode", "Info");
	if (dump(o, AF_INET) || dump(o, AF_INET6))
		return 1;
	return 0;
}

/* --- the registry's view --------------------------------------------- */

static void put_sock_addr(char *buf, size_t len, int family, const void *a,
			  uint16_t port)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	inet_ntop(family, a, ip, sizeof(ip));
	snprintf(buf, len, family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, port);
}

static int show_sock(const struct luaulp_sock_info *s, void *arg)
{
	struct opts *o = arg;
	const struct luaulp_stats *st = &s->stats;
	char local[64], peer[64];
	const char *send = s->send_entry[0] ? s->send_entry : "-";

	put_sock_addr(local, sizeof(local), s->family, s->local_addr, s->local_port);
	put_sock_addr(peer, sizeof(peer), s->family, s->remote_addr, s->remote_port);
	if (o->tabs) {
		printf("%s\t%s\t%llu\t%u\t%s\t%s\t%s", local, peer,
		       (unsigned long long)s->inode, s->uid,
		       s->script[0] ? s->script : "-", s->entry[0] ? s->entry : "-",
		       send);
		printf("\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu"
		       "\t%llu\t%llu\t%llu\t%llu\n",
		       (unsigned long long)st->recv_calls,
		       (unsigned long long)st->send_calls,
		       (unsigned long long)st->bytes_in,
		       (unsigned long long)st->bytes_out,
		       (unsigned long long)st->discards,
		       (unsigned long long)st->replacements,
		       (unsigned long long)st->resets,
		       (unsigned long long)st->errors,
		       (unsigned long long)st->budget_hits,
		       (unsigned long long)st->memory_hits,
		       (unsigned long long)st->kernel_sent,
		       (unsigned long long)st->memory,
		       (unsigned long long)st->memory_max);
	} else {
		printf("%-47s %-47s %10llu %6u %s %s%s%s", local, peer,
		       (unsigned long long)s->inode, s->uid,
		       s->script[0] ? s->script : "-", s->entry[0] ? s->entry : "-",
		       s->send_entry[0] ? "/" : "", s->send_entry);
		if (s->have_stats)
			printf(" recv=%llu send=%llu in=%llu out=%llu drop=%llu "
			       "replace=%llu reset=%llu err=%llu budget=%llu "
			       "memfail=%llu ksent=%llu mem=%llu/%llu",
			       (unsigned long long)st->recv_calls,
			       (unsigned long long)st->send_calls,
			       (unsigned long long)st->bytes_in,
			       (unsigned long long)st->bytes_out,
			       (unsigned long long)st->discards,
			       (unsigned long long)st->replacements,
			       (unsigned long long)st->resets,
			       (unsigned long long)st->errors,
			       (unsigned long long)st->budget_hits,
			       (unsigned long long)st->memory_hits,
			       (unsigned long long)st->kernel_sent,
			       (unsigned long long)st->memory,
			       (unsigned long long)st->memory_max);
		putchar('\n');
	}
	o->shown++;
	return 0;
}

/* A module parameter as a number, or -1. */
static long long param(const char *name)
{
	char path[128];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/luaulp/parameters/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static void show_totals(void)
{
	printf("Memory: Lua states %lld bytes; registry %lld of %lld bytes; "
	       "stores %lld of %lld bytes\n", param("live_bytes"),
	       param("registry_bytes"), param("registry_max_bytes"),
	       param("store_bytes"), param("store_total_max_bytes"));
}

static int usage_stat(FILE *f)
{
	fprintf(f, "Usage: %s stat [-t]\n       %s stat -d [-t] [-u ULP]\n", prog, prog);
	return f == stdout ? 0 : 2;
}

int cmd_stat(int argc, char **argv)
{
	struct opts o = { .ulp = "lua" };
	bool diag = false;
	struct lgenl g;
	int opt, ret, err;

	while ((opt = getopt(argc, argv, "tdu:h")) != -1) {
		switch (opt) {
		case 't':
			o.tabs = true;
			break;
		case 'd':
			diag = true;
			break;
		case 'u':
			o.ulp = optarg;
			diag = true;
			break;
		default:
			return usage_stat(opt == 'h' ? stdout : stderr);
		}
	}
	if (optind != argc)
		return usage_stat(stderr);
	if (diag)
		return diag_stat(&o);
	ret = cli_registry_open(&g, "stat");
	if (ret)
		return ret;
	if (!o.tabs) {
		if (geteuid() != 0)
			fprintf(stderr, "%s: stat: note: only your own sockets "
				"(CAP_NET_ADMIN sees all)\n", prog);
		printf("%-47s %-47s %10s %6s %s\n", "Local", "Peer", "Inode", "UID",
		       "Script Entry[/Send] Counters");
	}
	err = luaulp_reg_sockets(&g, show_sock, &o);
	if (err) {
		cli_registry_error("stat", NULL, err, &g);
		ret = 1;
	} else if (!o.tabs) {
		show_totals();
	}
	lgenl_close(&g);
	return ret;
}
