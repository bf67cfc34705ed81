/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's script registry (generic netlink family "luaulp", see the
 * "Registry" section of uapi/luaulp.h) on top of genl.c.  Shared by the shim
 * and the CLI; interposes nothing.  Every function returns 0 or a negative
 * errno; the kernel's extended-ack message is then in g->msg.
 */
#ifndef LUAULP_REGISTRY_H
#define LUAULP_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uapi/luaulp.h>

#include "genl.h"

/* Resolve the family.  -ENOENT: the module is not loaded (or is too old to
 * have a registry: compare with /sys/module/luaulp to tell). */
int luaulp_reg_open(struct lgenl *g);

int luaulp_reg_register(struct lgenl *g, const char *name, const void *src,
			size_t len);
int luaulp_reg_unregister(struct lgenl *g, const char *name);

struct luaulp_script_info {
	char name[LUAULP_NAME_MAX + 1];
	uint32_t code_size;
	uint32_t source_size;
};

struct luaulp_sock_info {
	uint8_t family;			/* AF_INET or AF_INET6; 0 unknown */
	uint8_t local_addr[16], remote_addr[16];	/* network order */
	uint16_t local_port, remote_port;		/* host order */
	uint64_t inode;
	uint32_t uid;
	char script[LUAULP_NAME_MAX + 1];	/* "" if absent */
	char entry[LUAULP_NAME_MAX + 1];
	char send_entry[LUAULP_NAME_MAX + 1];
	bool have_stats;
	struct luaulp_stats stats;
};

/* Dumps: CB is called per script / scripted socket; a nonzero return stops
 * (and is returned). */
int luaulp_reg_scripts(struct lgenl *g,
		       int (*cb)(const struct luaulp_script_info *, void *),
		       void *arg);
int luaulp_reg_sockets(struct lgenl *g,
		       int (*cb)(const struct luaulp_sock_info *, void *),
		       void *arg);

/* Decoding one dump message (exposed for tests).  -EINVAL if malformed or
 * missing the name / addresses. */
int luaulp_reg_parse_script(const struct nlmsghdr *h,
			    struct luaulp_script_info *s);
int luaulp_reg_parse_socket(const struct nlmsghdr *h,
			    struct luaulp_sock_info *s);

/* 1..LUAULP_NAME_MAX characters of [A-Za-z0-9_.-]. */
bool luaulp_script_name_valid(const char *name);

/* The name the shim registers a rule's script file under:
 * "conf.<rule name>.<16 hex digits of the source's FNV-1a 64 hash>", the
 * rule name cut to fit LUAULP_NAME_MAX and any character outside the name
 * charset replaced by '_'.  The same source always gets the same name, so
 * restarts re-register harmlessly; different sources never replace each
 * other's code.  OUT holds LUAULP_NAME_MAX + 1 bytes. */
void luaulp_script_name_derive(char *out, const char *rule, const void *src,
			       size_t len);

#endif /* LUAULP_REGISTRY_H */
