// SPDX-License-Identifier: GPL-2.0
/*
 * The setsockopt sequence that scripts one socket:
 *
 *   setsockopt(fd, SOL_TCP, TCP_ULP, "lua", 3)
 *   setsockopt(fd, SOL_LUA, LUAULP_LOADSCRIPT, src, len)     script = file
 *   setsockopt(fd, SOL_LUA, LUAULP_ENTRYPOINT, entry, len)
 *
 *   setsockopt(fd, SOL_LUA, LUAULP_SENDENTRY, send_entry, len)  if set
 *   setsockopt(fd, SOL_LUA, LUAULP_ONERROR, &int, sizeof(int))   if not pass
 *
 * Attaching by registered name is not in the uapi yet: OPT_ATTACHNAME is 0
 * below until it is; defining its number there is all it takes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include <uapi/luaulp.h>

#include "attach.h"
#include "log.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

/* Options that may not be in the uapi this is built with; 0 = absent. */
#ifdef LUAULP_SENDENTRY
#define OPT_SENDENTRY	LUAULP_SENDENTRY
#else
#define OPT_SENDENTRY	0
#endif
#ifdef LUAULP_ONERROR
#define OPT_ONERROR	LUAULP_ONERROR
#else
#define OPT_ONERROR	0
#endif
#ifdef LUAULP_ATTACHNAME
#define OPT_ATTACHNAME	LUAULP_ATTACHNAME
#else
#define OPT_ATTACHNAME	0
#endif

static int set(int fd, int level, int opt, const void *val, size_t len,
	       const char *what, const char **step)
{
	if (setsockopt(fd, level, opt, val, (socklen_t)len) == 0)
		return 0;
	*step = what;
	return errno;
}

int luaulp_attach(int fd, const struct luaulp_rule *r, const char **step)
{
	int err;

	err = set(fd, SOL_TCP, TCP_ULP, "lua", 3, "attach", step);
	if (err)
		return err;
	if (r->script_name) {
		if (!OPT_ATTACHNAME) {
			*step = "script_name";
			return EOPNOTSUPP;
		}
		err = set(fd, SOL_LUA, OPT_ATTACHNAME, r->script_name,
			  strlen(r->script_name), "script_name", step);
	} else {
		err = set(fd, SOL_LUA, LUAULP_LOADSCRIPT, r->src, r->src_len,
			  "loadscript", step);
	}
	if (err)
		return err;
	err = set(fd, SOL_LUA, LUAULP_ENTRYPOINT, r->entry, strlen(r->entry),
		  "entrypoint", step);
	if (err)
		return err;
	if (r->send_entry && OPT_SENDENTRY) {
		err = set(fd, SOL_LUA, OPT_SENDENTRY, r->send_entry,
			  strlen(r->send_entry), "send_entry", step);
		if (err)
			return err;
	}
	if (r->on_error != LUAULP_ONERR_PASS && OPT_ONERROR) {
		int v = LUAULP_ONERROR_RESET;	/* the only other value */

		err = set(fd, SOL_LUA, OPT_ONERROR, &v, sizeof(v), "on_error", step);
		if (err)
			return err;
	}
	return 0;
}

const char *luaulp_attach_error(int fd, char *buf, size_t len)
{
	socklen_t n = (socklen_t)len;

	buf[0] = '\0';
	if (len < 2 || getsockopt(fd, SOL_LUA, LUAULP_ERROR, buf, &n) || n == 0)
		buf[0] = '\0';
	buf[len - 1] = '\0';
	return buf;
}

void luaulp_attach_prepare(const struct luaulp_policy *p)
{
	for (size_t i = 0; i < p->nrules; i++) {
		const struct luaulp_rule *r = &p->rules[i];

		if (r->send_entry && !OPT_SENDENTRY)
			log_warn("%s:%d: rule \"%s\": send_entry \"%s\" ignored: "
				 "this build's kernel interface has no send entry",
				 p->file, r->line, r->name, r->send_entry);
		if (r->on_error != LUAULP_ONERR_PASS && !OPT_ONERROR)
			log_warn("%s:%d: rule \"%s\": on_error \"%s\" ignored: "
				 "this build's kernel interface has no on-error policy",
				 p->file, r->line, r->name,
				 luaulp_on_error_name(r->on_error));
		if (r->script_name && !OPT_ATTACHNAME)
			log_warn("%s:%d: rule \"%s\": script_name \"%s\": this build's "
				 "kernel interface cannot attach by name; the rule will "
				 "fail %s", p->file, r->line, r->name, r->script_name,
				 luaulp_fail_name(r->fail));
	}
	/* Registering file scripts by name from a privileged parent (nginx's
	 * root master) goes here once the kernel has a script registry. */
}
