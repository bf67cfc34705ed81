/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The luaulp policy: which sockets get which script, read from a libconfig
 * file (/etc/luaulp.conf, or $LUAULP_CONF).  Schema: preload/README.md.
 *
 * This file and policy.c interpose nothing: they are shared by the preload
 * library, the luaulp CLI, the unit tests and the fuzz harness.
 *
 * Contract: a policy is built once (luaulp_policy_load*) and is read-only
 * afterwards, so any number of threads may match against it without locks.
 */
#ifndef LUAULP_POLICY_H
#define LUAULP_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define LUAULP_CONF_DEFAULT	"/etc/luaulp.conf"
#define LUAULP_POLICY_ERRMAX	512

enum luaulp_dir {
	LUAULP_DIR_ACCEPT	= 1 << 0,
	LUAULP_DIR_CONNECT	= 1 << 1,
};

/* What the kernel does when the script fails at run time (LUAULP_ONERROR). */
enum luaulp_on_error {
	LUAULP_ONERR_PASS,	/* deliver the data unchanged */
	LUAULP_ONERR_RESET,	/* abort the connection */
};

/* What the shim does when attaching the script fails. */
enum luaulp_fail {
	LUAULP_FAIL_OPEN,	/* log, hand the socket over unscripted */
	LUAULP_FAIL_CLOSED,	/* close/reset it, fail the caller's call */
};

struct luaulp_ports {
	uint16_t lo, hi;	/* inclusive */
};

struct luaulp_net {
	sa_family_t family;	/* AF_INET or AF_INET6 */
	uint8_t prefix;		/* bits */
	uint8_t addr[16];	/* network order; 4 bytes used for AF_INET */
};

struct luaulp_rule {
	char *name;		/* "name" key, or "rule#N" */
	char *file;		/* the file the rule is in (an @include'd one) */
	int line;		/* where the rule starts in that file */
	unsigned int dirs;	/* LUAULP_DIR_* */

	struct luaulp_ports *ports;	/* none: any port */
	size_t nports;
	char **exes;		/* full paths ("/..") or basenames; none: any */
	size_t nexes;
	struct luaulp_net *nets;	/* none: any address */
	size_t nnets;

	/* Exactly one of script_path / script_name is set. */
	char *script_path;	/* resolved file of Lua source */
	char *script_name;	/* a script registered in the kernel by name */
	char *script_file;	/* file:line of the script setting */
	int script_line;
	char *src;		/* bytes of script_path, once loaded */
	size_t src_len;
	/* The shim's own registration of script_path's source in the kernel
	 * (luaulp_attach_prepare, privileged processes only): attach by this
	 * name; "" = push the source per socket. */
	char reg_name[64 + 1];	/* LUAULP_NAME_MAX + 1 */

	char *entry;		/* recv entry (required) */
	char *send_entry;	/* optional */
	enum luaulp_on_error on_error;
	enum luaulp_fail fail;
};

struct luaulp_policy {
	char *file;		/* the file this came from */
	struct luaulp_rule *rules;
	size_t nrules;
	/* Names of the rules luaulp_policy_filter_exe dropped. */
	char **other_names;
	size_t nother;
	/* What the shim does if this file is invalid: open (default) disables
	 * interception, closed fails every TCP accept/connect. */
	enum luaulp_fail on_invalid;
	/* Logging from the file; the environment overrides both. */
	char *log;		/* NULL, "syslog", "stderr" or a file path */
	int log_level;		/* -1: unset, else LOG_ERR..LOG_DEBUG */
};

/* Parse and validate FILE.  On error returns -1 with ERR set to
 * "FILE:LINE: message" (ERR holds LUAULP_POLICY_ERRMAX bytes) and P left
 * empty except for on_invalid, which is filled whenever it could be read. */
int luaulp_policy_load(struct luaulp_policy *p, const char *file, char *err);
/* The same from a string; relative script paths resolve against BASEDIR
 * (NULL: the current directory) unless the file sets defaults.script_dir. */
int luaulp_policy_load_string(struct luaulp_policy *p, const char *text,
			      const char *name, const char *basedir,
			      char *err);
void luaulp_policy_free(struct luaulp_policy *p);

/* Read the source of every rule that names a script file (rules by
 * registered name need none).  Errors point at the rule's script line. */
int luaulp_policy_load_scripts(struct luaulp_policy *p, char *err);

/* Keep only the rules whose exe list matches EXE (a full path).  Returns
 * the number of rules kept; the names of the others go to other_names. */
size_t luaulp_policy_filter_exe(struct luaulp_policy *p, const char *exe);
bool luaulp_rule_match_exe(const struct luaulp_rule *r, const char *exe);

/* First rule for DIR whose port and address match SA (the local address
 * for accept, the remote one for connect), or NULL.  IPv4-mapped IPv6
 * addresses match IPv4 networks. */
const struct luaulp_rule *luaulp_policy_match(const struct luaulp_policy *p,
					      enum luaulp_dir dir,
					      const struct sockaddr *sa,
					      socklen_t salen);

/* Bitmask of the directions any rule uses: lets the shim skip work. */
unsigned int luaulp_policy_dirs(const struct luaulp_policy *p);

const char *luaulp_on_error_name(enum luaulp_on_error e);
const char *luaulp_fail_name(enum luaulp_fail f);
/* "error", "warning", "notice", "info", "debug" -> LOG_*; -1 if unknown. */
int luaulp_log_level_parse(const char *s);

#endif /* LUAULP_POLICY_H */
