// SPDX-License-Identifier: GPL-2.0
/*
 * The setsockopt sequence that scripts one socket:
 *
 *   setsockopt(fd, SOL_TCP, TCP_ULP, "lua", 3)
 *   setsockopt(fd, SOL_LUA, LUAULP_ATTACHNAME, name, len)    script_name, or
 *                                      script = file registered at start-up
 *   setsockopt(fd, SOL_LUA, LUAULP_LOADSCRIPT, src, len)     script = file
 *   setsockopt(fd, SOL_LUA, LUAULP_ENTRYPOINT, entry, len)
 *
 *   setsockopt(fd, SOL_LUA, LUAULP_SENDENTRY, send_entry, len)  if set
 *   setsockopt(fd, SOL_LUA, LUAULP_ONERROR, &int, sizeof(int))   if not pass
 *
 * Registration: a process with CAP_NET_ADMIN (nginx's root master, in the
 * library's constructor, before it forks workers and drops privileges)
 * registers each rule's script file in the kernel's registry under a name
 * derived from the rule and the source (luaulp_script_name_derive); every
 * socket then attaches by that name, in the master and in its unprivileged
 * workers alike, which also saves parsing the source per connection.  If
 * registering is not possible (not privileged, module absent, registry
 * full, source over 65531 bytes) the source is pushed per socket, as
 * before.  Options this build's uapi lacks are 0 below and are skipped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <uapi/luaulp.h>

#include "attach.h"
#include "log.h"
#include "registry.h"

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
	} else if (r->reg_name[0] && OPT_ATTACHNAME) {
		err = set(fd, SOL_LUA, OPT_ATTACHNAME, r->reg_name,
			  strlen(r->reg_name), "attachname", step);
		/* Unregistered since start-up (luaulp unregister, a module
		 * reload): the source is still here. */
		if (err == ENOENT)
			err = set(fd, SOL_LUA, LUAULP_LOADSCRIPT, r->src,
				  r->src_len, "loadscript", step);
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

/* CAP_NET_ADMIN in the effective set (what the registry checks, over the
 * process's own network namespace). */
static bool net_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d))
		return false;
	return d[CAP_TO_INDEX(CAP_NET_ADMIN)].effective & CAP_TO_MASK(CAP_NET_ADMIN);
}

/*
 * Registry hygiene.  Every edit of a rule's script gives it a new derived
 * name; the old ones would pile up to max_scripts.  So before registering,
 * a privileged process removes the names derived for this policy's rules
 * ("conf.<rule>.<hash>" for one of its rule names) that no current script
 * of the policy has.  Untouched: names of other rules (other policies,
 * other programs), names of rules this program's policy keeps for other
 * executables (other_names), names a rule uses as script_name, and every
 * name not made by the shim.  Sockets attached to a removed script keep
 * running their own copy of its code (kernel/registry.c): removing a name
 * only stops new attaches by it.
 */
struct stale {
	const struct luaulp_policy *p;
	char (*names)[LUAULP_NAME_MAX + 1];
	size_t n, cap;
};

/* "conf.<R>." of rule name RULE, as luaulp_script_name_derive makes it. */
static size_t derived_prefix(char *out, const char *rule)
{
	size_t n;

	luaulp_script_name_derive(out, rule, "", 0);
	n = strlen(out) - 16;		/* keep the final '.' */
	out[n] = '\0';
	return n;
}

static bool prefix_of(const char *name, const char *rule)
{
	char pre[LUAULP_NAME_MAX + 1];
	size_t n = derived_prefix(pre, rule);

	if (strncmp(name, pre, n) || strlen(name) != n + 16)
		return false;
	return strspn(name + n, "0123456789abcdef") == 16;
}

static bool is_stale(const struct luaulp_policy *p, const char *name)
{
	bool ours = false;

	if (strncmp(name, "conf.", 5))
		return false;
	for (size_t i = 0; i < p->nother; i++)
		if (prefix_of(name, p->other_names[i]))
			return false;
	for (size_t i = 0; i < p->nrules; i++) {
		const struct luaulp_rule *r = &p->rules[i];
		char cur[LUAULP_NAME_MAX + 1];

		if (r->script_name && !strcmp(r->script_name, name))
			return false;
		if (!prefix_of(name, r->name))
			continue;
		if (!r->script_path || !r->src)
			return false;	/* by name: not the shim's to judge */
		luaulp_script_name_derive(cur, r->name, r->src, r->src_len);
		if (!strcmp(cur, name))
			return false;
		ours = true;
	}
	return ours;
}

static int collect_stale(const struct luaulp_script_info *si, void *arg)
{
	struct stale *st = arg;

	if (!is_stale(st->p, si->name))
		return 0;
	if (st->n == st->cap) {
		size_t cap = st->cap ? 2 * st->cap : 16;
		void *n = realloc(st->names, cap * sizeof(*st->names));

		if (!n)
			return 0;	/* fewer removed this time */
		st->names = n;
		st->cap = cap;
	}
	memcpy(st->names[st->n++], si->name, sizeof(st->names[0]));
	return 0;
}

static void remove_stale(struct lgenl *g, const struct luaulp_policy *p)
{
	struct stale st = { .p = p };
	int err;

	err = luaulp_reg_scripts(g, collect_stale, &st);
	if (err)
		log_notice("listing registered scripts failed: %s; stale names "
			   "stay", strerror(-err));
	for (size_t i = 0; i < st.n; i++) {
		err = luaulp_reg_unregister(g, st.names[i]);
		if (!err)
			log_info("%s: script \"%s\" unregistered: no rule of this "
				 "policy has that source any more", p->file,
				 st.names[i]);
		else if (err != -ENOENT)	/* someone else was quicker */
			log_notice("%s: unregistering stale script \"%s\" failed: %s",
				   p->file, st.names[i], strerror(-err));
	}
	free(st.names);
}

/* Register the script files of P's rules (see the top of this file). */
static void register_scripts(struct luaulp_policy *p)
{
	struct lgenl g;
	size_t i, todo = 0;
	int err;

	for (i = 0; i < p->nrules; i++)
		if (p->rules[i].script_path && p->rules[i].src)
			todo++;
	if (!todo || !OPT_ATTACHNAME)
		return;
	if (!net_admin()) {
		log_debug("not CAP_NET_ADMIN: %zu script file(s) go to the kernel "
			  "as source on each socket", todo);
		return;
	}
	err = luaulp_reg_open(&g);
	if (err) {
		log_notice("script registry unavailable (%s): %zu script file(s) "
			   "go to the kernel as source on each socket",
			   err == -ENOENT ? "luaulp module not loaded" : strerror(-err),
			   todo);
		return;
	}
	remove_stale(&g, p);
	for (i = 0; i < p->nrules; i++) {
		struct luaulp_rule *r = &p->rules[i];
		char name[LUAULP_NAME_MAX + 1];

		if (!r->script_path || !r->src)
			continue;
		if (r->src_len > 0xffff - NLA_HDRLEN) {
			log_notice("%s:%d: rule \"%s\": script %s is too large to "
				   "register (%zu bytes, at most %d): its source goes "
				   "to each socket",
				   r->script_file ? r->script_file : p->file,
				   r->script_line, r->name,
				   r->script_path, r->src_len, 0xffff - NLA_HDRLEN);
			continue;
		}
		luaulp_script_name_derive(name, r->name, r->src, r->src_len);
		/* Rules sharing a name and a source register once. */
		for (size_t j = 0; j < i && !r->reg_name[0]; j++)
			if (!strcmp(p->rules[j].reg_name, name))
				memcpy(r->reg_name, name, sizeof(name));
		if (r->reg_name[0])
			continue;
		err = luaulp_reg_register(&g, name, r->src, r->src_len);
		if (!err) {
			memcpy(r->reg_name, name, sizeof(name));
			log_info("%s:%d: rule \"%s\": script %s registered as \"%s\"",
				 r->script_file ? r->script_file : p->file, r->script_line, r->name, r->script_path, name);
			continue;
		}
		log_warn("%s:%d: rule \"%s\": registering script %s as \"%s\" "
			 "failed: %s%s%s; its source goes to each socket", p->file,
			 r->script_line, r->name, r->script_path, name,
			 strerror(-err), g.msg[0] ? ": " : "", g.msg);
		/* Refusals that concern every rule: one line is enough. */
		if (err == -EPERM || err == -ENOSPC || err == -ENOENT ||
		    err == -ETIMEDOUT)
			break;
	}
	lgenl_close(&g);
}

void luaulp_attach_prepare(struct luaulp_policy *p)
{
	for (size_t i = 0; i < p->nrules; i++) {
		const struct luaulp_rule *r = &p->rules[i];

		if (r->send_entry && !OPT_SENDENTRY)
			log_warn("%s:%d: rule \"%s\": send_entry \"%s\" ignored: "
				 "this build's kernel interface has no send entry",
				 r->file ? r->file : p->file, r->line, r->name, r->send_entry);
		if (r->on_error != LUAULP_ONERR_PASS && !OPT_ONERROR)
			log_warn("%s:%d: rule \"%s\": on_error \"%s\" ignored: "
				 "this build's kernel interface has no on-error policy",
				 r->file ? r->file : p->file, r->line, r->name,
				 luaulp_on_error_name(r->on_error));
		if (r->script_name && !OPT_ATTACHNAME)
			log_warn("%s:%d: rule \"%s\": script_name \"%s\": this build's "
				 "kernel interface cannot attach by name; the rule will "
				 "fail %s", r->file ? r->file : p->file, r->line, r->name, r->script_name,
				 luaulp_fail_name(r->fail));
	}
	register_scripts(p);
}
