// SPDX-License-Identifier: GPL-2.0
/*
 * The luaulp generic netlink family from user space: see registry.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "registry.h"

int luaulp_reg_open(struct lgenl *g)
{
	return lgenl_open(g, LUAULP_GENL_NAME, LUAULP_GENL_VERSION);
}

int luaulp_reg_register(struct lgenl *g, const char *name, const void *src,
			size_t len)
{
	size_t cap = LGENL_HDRLEN + LGENL_ATTRLEN(LUAULP_NAME_MAX + 1) +
		     LGENL_ATTRLEN(len);
	struct lgenl_msg m;
	void *buf;
	int ret;

	/* An attribute's length is 16 bits: the kernel's limit is below. */
	if (len > LUAULP_SCRIPT_MAX || len > 0xffff - NLA_HDRLEN)
		return -EMSGSIZE;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	lgenl_msg_init(&m, buf, cap, g->family, 0, LUAULP_CMD_REGISTER, g->version);
	lgenl_put_str(&m, LUAULP_A_NAME, name);
	lgenl_put(&m, LUAULP_A_SOURCE, src, len);
	ret = lgenl_talk(g, &m, NULL, NULL);
	free(buf);
	return ret;
}

int luaulp_reg_unregister(struct lgenl *g, const char *name)
{
	unsigned char buf[LGENL_HDRLEN + LGENL_ATTRLEN(LUAULP_NAME_MAX + 1)];
	struct lgenl_msg m;

	lgenl_msg_init(&m, buf, sizeof(buf), g->family, 0, LUAULP_CMD_UNREGISTER,
		       g->version);
	lgenl_put_str(&m, LUAULP_A_NAME, name);
	return lgenl_talk(g, &m, NULL, NULL);
}

/* Copy a string attribute into OUT (SIZE bytes), cut if longer. */
static bool get_name(const struct nlattr *a, char *out, size_t size)
{
	const char *s = lgenl_get_str(a);

	out[0] = '\0';
	if (!s)
		return false;
	snprintf(out, size, "%s", s);
	return true;
}

int luaulp_reg_parse_script(const struct nlmsghdr *h,
			    struct luaulp_script_info *s)
{
	const struct nlattr *tb[LUAULP_A_MAX + 1];

	memset(s, 0, sizeof(*s));
	if (lgenl_parse(h, tb, LUAULP_A_MAX) ||
	    !get_name(tb[LUAULP_A_NAME], s->name, sizeof(s->name)))
		return -EINVAL;
	lgenl_get_u32(tb[LUAULP_A_CODE_SIZE], &s->code_size);
	lgenl_get_u32(tb[LUAULP_A_SOURCE_SIZE], &s->source_size);
	return 0;
}

int luaulp_reg_parse_socket(const struct nlmsghdr *h,
			    struct luaulp_sock_info *s)
{
	const struct nlattr *tb[LUAULP_A_MAX + 1];
	size_t alen;

	memset(s, 0, sizeof(*s));
	if (lgenl_parse(h, tb, LUAULP_A_MAX) ||
	    !lgenl_get_u8(tb[LUAULP_A_FAMILY], &s->family))
		return -EINVAL;
	alen = s->family == AF_INET ? 4 : s->family == AF_INET6 ? 16 : 0;
	if (!alen || !tb[LUAULP_A_LOCAL_ADDR] || !tb[LUAULP_A_REMOTE_ADDR] ||
	    lgenl_len(tb[LUAULP_A_LOCAL_ADDR]) != alen ||
	    lgenl_len(tb[LUAULP_A_REMOTE_ADDR]) != alen)
		return -EINVAL;
	memcpy(s->local_addr, lgenl_data(tb[LUAULP_A_LOCAL_ADDR]), alen);
	memcpy(s->remote_addr, lgenl_data(tb[LUAULP_A_REMOTE_ADDR]), alen);
	lgenl_get_u16(tb[LUAULP_A_LOCAL_PORT], &s->local_port);
	lgenl_get_u16(tb[LUAULP_A_REMOTE_PORT], &s->remote_port);
	lgenl_get_u64(tb[LUAULP_A_INODE], &s->inode);
	lgenl_get_u32(tb[LUAULP_A_UID], &s->uid);
	get_name(tb[LUAULP_A_SCRIPT], s->script, sizeof(s->script));
	get_name(tb[LUAULP_A_ENTRY], s->entry, sizeof(s->entry));
	get_name(tb[LUAULP_A_SEND_ENTRY], s->send_entry, sizeof(s->send_entry));
	/* A newer kernel may append counters: take the ones we know. */
	if (tb[LUAULP_A_STATS] &&
	    lgenl_len(tb[LUAULP_A_STATS]) >= sizeof(s->stats)) {
		memcpy(&s->stats, lgenl_data(tb[LUAULP_A_STATS]), sizeof(s->stats));
		s->have_stats = true;
	}
	return 0;
}

struct dump_ctx {
	struct lgenl *g;
	int (*script_cb)(const struct luaulp_script_info *, void *);
	int (*sock_cb)(const struct luaulp_sock_info *, void *);
	void *arg;
};

static int script_msg(const struct nlmsghdr *h, void *arg)
{
	struct dump_ctx *c = arg;
	struct luaulp_script_info s;

	if (h->nlmsg_type != c->g->family)
		return 0;
	if (luaulp_reg_parse_script(h, &s))
		return -EPROTO;
	return c->script_cb(&s, c->arg);
}

static int sock_msg(const struct nlmsghdr *h, void *arg)
{
	struct dump_ctx *c = arg;
	struct luaulp_sock_info s;

	if (h->nlmsg_type != c->g->family)
		return 0;
	if (luaulp_reg_parse_socket(h, &s))
		return -EPROTO;
	return c->sock_cb(&s, c->arg);
}

static int dump(struct lgenl *g, uint8_t cmd, lgenl_cb cb, struct dump_ctx *c)
{
	unsigned char buf[LGENL_HDRLEN];
	struct lgenl_msg m;

	lgenl_msg_init(&m, buf, sizeof(buf), g->family, NLM_F_DUMP, cmd, g->version);
	return lgenl_talk(g, &m, cb, c);
}

int luaulp_reg_scripts(struct lgenl *g,
		       int (*cb)(const struct luaulp_script_info *, void *),
		       void *arg)
{
	struct dump_ctx c = { .g = g, .script_cb = cb, .arg = arg };

	return dump(g, LUAULP_CMD_GET_SCRIPT, script_msg, &c);
}

int luaulp_reg_sockets(struct lgenl *g,
		       int (*cb)(const struct luaulp_sock_info *, void *),
		       void *arg)
{
	struct dump_ctx c = { .g = g, .sock_cb = cb, .arg = arg };

	return dump(g, LUAULP_CMD_GET_SOCKET, sock_msg, &c);
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

bool luaulp_script_name_valid(const char *name)
{
	size_t n = 0;

	for (; name[n]; n++)
		if (n >= LUAULP_NAME_MAX || !name_char(name[n]))
			return false;
	return n > 0;
}

void luaulp_script_name_derive(char *out, const char *rule, const void *src,
			       size_t len)
{
	static const char prefix[] = "conf.";
	const unsigned char *p = src;
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a 64 */
	size_t room = LUAULP_NAME_MAX - (sizeof(prefix) - 1) - 1 - 16, n = 0, i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	memcpy(out, prefix, sizeof(prefix) - 1);
	for (i = 0; rule && rule[i] && n < room; i++, n++)
		out[sizeof(prefix) - 1 + n] = name_char(rule[i]) ? rule[i] : '_';
	if (!n)
		out[sizeof(prefix) - 1 + n++] = '_';
	snprintf(out + sizeof(prefix) - 1 + n, 18, ".%016llx",
		 (unsigned long long)h);
}
