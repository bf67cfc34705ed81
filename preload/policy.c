// SPDX-License-Identifier: GPL-2.0
/*
 * The luaulp policy parser (libconfig).  No interposition here: this file is
 * linked into the preload library, the CLI, the unit tests and the fuzzer.
 * Every error names the file and line of the offending setting and quotes
 * the bad value.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <uapi/luaulp.h>

#include "policy.h"
#include "lcfg.h"

struct parser {
	const char *file;	/* for messages */
	char *basedir;		/* the main file's folder (NULL: the cwd) */
	char *script_dir;	/* defaults.script_dir, resolved; or NULL */
	char pathbuf[PATH_MAX];
	char *err;
	struct luaulp_rule defaults;
	bool has_defaults;
};

static int vfail(struct parser *ps, const char *file, int line,
		 const char *fmt, va_list ap)
{
	int n;

	n = snprintf(ps->err, LUAULP_POLICY_ERRMAX, "%s:%d: ", file, line);
	if (n < 0 || n >= LUAULP_POLICY_ERRMAX)
		return -1;
	vsnprintf(ps->err + n, LUAULP_POLICY_ERRMAX - n, fmt, ap);
	return -1;
}

static int fail(struct parser *ps, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* An error at LINE of the main file. */
static int fail(struct parser *ps, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(ps, ps->file, line, fmt, ap);
	va_end(ap);
	return -1;
}

static int vfail_fmt(struct parser *ps, const char *file, int line,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* An error at FILE:LINE. */
static int vfail_fmt(struct parser *ps, const char *file, int line,
		     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(ps, file, line, fmt, ap);
	va_end(ap);
	return -1;
}

static int line_of(const config_setting_t *s)
{
	return config_setting_source_line(s);
}

/* F as libconfig names an @include'd file (as written, relative to the
 * include folder), as a path; the main file for NULL.  In PS's buffer. */
static const char *file_path(struct parser *ps, const char *f)
{
	if (!f)
		return ps->file;
	if (f[0] == '/' || !ps->basedir)
		return f;
	snprintf(ps->pathbuf, sizeof(ps->pathbuf), "%s/%s", ps->basedir, f);
	return ps->pathbuf;
}

/* The file S was read from: an @include'd one, or the main file. */
static const char *file_of(struct parser *ps, const config_setting_t *s)
{
	return file_path(ps, s ? config_setting_source_file(s) : NULL);
}

static int fail_at(struct parser *ps, const config_setting_t *s,
		   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* An error at setting S, in its own file and line. */
static int fail_at(struct parser *ps, const config_setting_t *s,
		   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(ps, file_of(ps, s), s ? line_of(s) : 0, fmt, ap);
	va_end(ap);
	return -1;
}

static int oom(struct parser *ps, const config_setting_t *s)
{
	return fail_at(ps, s, "out of memory");
}

static const char *get_string(struct parser *ps, const config_setting_t *s)
{
	const char *v;

	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		fail_at(ps, s, "%s must be a string", config_setting_name(s));
		return NULL;
	}
	v = config_setting_get_string(s);
	if (!v || !*v) {
		fail_at(ps, s, "%s must not be empty", config_setting_name(s));
		return NULL;
	}
	return v;
}

static bool is_collection(const config_setting_t *s)
{
	int t = config_setting_type(s);

	return t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST;
}

/* Lua 5.3 reserved words cannot name a global function. */
static bool lua_reserved(const char *s)
{
	static const char *const words[] = {
		"and", "break", "do", "else", "elseif", "end", "false", "for",
		"function", "goto", "if", "in", "local", "nil", "not", "or",
		"repeat", "return", "then", "true", "until", "while",
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(s, words[i]))
			return true;
	return false;
}

static bool lua_identifier(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > LUAULP_NAME_MAX)
		return false;
	if (!(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') ||
	      (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return !lua_reserved(s);
}

/* A registered script's name, as the kernel's registry takes it. */
static bool script_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > LUAULP_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '.' ||
		      s[i] == '-'))
			return false;
	return true;
}

static int set_str(struct parser *ps, const config_setting_t *s, char **dst)
{
	const char *v = get_string(ps, s);
	char *copy;

	if (!v)
		return -1;
	copy = strdup(v);
	if (!copy)
		return oom(ps, s);
	free(*dst);
	*dst = copy;
	return 0;
}

static int set_ident(struct parser *ps, const config_setting_t *s, char **dst)
{
	const char *v = get_string(ps, s);

	if (!v)
		return -1;
	if (!lua_identifier(v))
		return fail_at(ps, s,
			    "%s \"%s\" is not a Lua identifier of at most %d bytes",
			    config_setting_name(s), v, LUAULP_NAME_MAX);
	return set_str(ps, s, dst);
}

static int set_enum(struct parser *ps, const config_setting_t *s, int *dst,
		    const char *const *names, size_t n)
{
	const char *v = get_string(ps, s);

	if (!v)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (names[i] && !strcmp(v, names[i])) {
			*dst = (int)i;
			return 0;
		}
	}
	return fail_at(ps, s, "%s \"%s\" is not one of %s%s%s%s%s",
		    config_setting_name(s), v, names[0],
		    n > 1 ? ", " : "", n > 1 ? names[1] : "",
		    n > 2 ? ", " : "", n > 2 ? names[2] : "");
}

static const char *const onerr_names[] = { "pass", "reset" };
static const char *const fail_names[] = { "open", "closed" };

const char *luaulp_on_error_name(enum luaulp_on_error e)
{
	return (unsigned)e < 2 ? onerr_names[e] : "?";
}

const char *luaulp_fail_name(enum luaulp_fail f)
{
	return (unsigned)f < 2 ? fail_names[f] : "?";
}

int luaulp_log_level_parse(const char *s)
{
	static const struct { const char *name; int level; } levels[] = {
		{ "error", LOG_ERR }, { "warning", LOG_WARNING },
		{ "warn", LOG_WARNING }, { "notice", LOG_NOTICE },
		{ "info", LOG_INFO }, { "debug", LOG_DEBUG },
	};

	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (!strcmp(s, levels[i].name))
			return levels[i].level;
	return -1;
}

static int parse_dirs(struct parser *ps, const config_setting_t *s,
		      unsigned int *dirs)
{
	const char *v = get_string(ps, s);

	if (!v)
		return -1;
	if (!strcmp(v, "accept"))
		*dirs = LUAULP_DIR_ACCEPT;
	else if (!strcmp(v, "connect"))
		*dirs = LUAULP_DIR_CONNECT;
	else if (!strcmp(v, "both"))
		*dirs = LUAULP_DIR_ACCEPT | LUAULP_DIR_CONNECT;
	else
		return fail_at(ps, s,
			    "direction \"%s\" is not one of accept, connect, both", v);
	return 0;
}

/* "80", "8000-8100" */
static int parse_port_text(const char *v, struct luaulp_ports *pr)
{
	char *end;
	unsigned long lo, hi;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	lo = strtoul(v, &end, 10);
	hi = lo;
	if (*end == '-') {
		if (end[1] < '0' || end[1] > '9')
			return -1;
		hi = strtoul(end + 1, &end, 10);
	}
	if (errno || *end || lo < 1 || hi > 65535 || lo > hi)
		return -1;
	pr->lo = (uint16_t)lo;
	pr->hi = (uint16_t)hi;
	return 0;
}

static int parse_port_one(struct parser *ps, const config_setting_t *s,
			  struct luaulp_ports *pr)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64: {
		long long v = config_setting_get_int64(s);

		if (v < 1 || v > 65535)
			return fail_at(ps, s, "port %lld is not in 1..65535", v);
		pr->lo = pr->hi = (uint16_t)v;
		return 0;
	}
	case CONFIG_TYPE_STRING: {
		const char *v = config_setting_get_string(s);

		if (parse_port_text(v, pr))
			return fail_at(ps, s,
				    "port \"%s\" is not a port or range LO-HI in 1..65535", v);
		return 0;
	}
	default:
		return fail_at(ps, s,
			    "port must be a number, a \"LO-HI\" string or a list of them");
	}
}

static int parse_ports(struct parser *ps, const config_setting_t *s,
		       struct luaulp_rule *r)
{
	int n = is_collection(s) ? config_setting_length(s) : 1;

	if (n < 1)
		return fail_at(ps, s, "port list is empty");
	r->ports = calloc((size_t)n, sizeof(*r->ports));
	if (!r->ports)
		return oom(ps, s);
	r->nports = (size_t)n;
	if (!is_collection(s))
		return parse_port_one(ps, s, &r->ports[0]);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

		if (is_collection(e) || config_setting_type(e) == CONFIG_TYPE_GROUP)
			return fail_at(ps, e, "port lists do not nest");
		if (parse_port_one(ps, e, &r->ports[i]))
			return -1;
	}
	return 0;
}

static int parse_exes(struct parser *ps, const config_setting_t *s,
		      struct luaulp_rule *r)
{
	int n = is_collection(s) ? config_setting_length(s) : 1;

	if (n < 1)
		return fail_at(ps, s, "exe list is empty");
	for (size_t i = 0; i < r->nexes; i++)
		free(r->exes[i]);
	free(r->exes);
	r->nexes = 0;
	r->exes = calloc((size_t)n, sizeof(*r->exes));
	if (!r->exes)
		return oom(ps, s);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = is_collection(s) ?
			config_setting_get_elem(s, (unsigned)i) : s;
		const char *v;

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return fail_at(ps, e, "exe must be a string or a list of strings");
		v = config_setting_get_string(e);
		if (!*v)
			return fail_at(ps, e, "exe must not be empty");
		if (v[0] != '/' && strchr(v, '/'))
			return fail_at(ps, e,
				    "exe \"%s\" must be a full path or a basename", v);
		r->exes[i] = strdup(v);
		if (!r->exes[i])
			return oom(ps, e);
		r->nexes++;
	}
	return 0;
}

static void net_mask(struct luaulp_net *n)
{
	unsigned int bytes = n->family == AF_INET ? 4 : 16;

	for (unsigned int i = 0; i < bytes; i++) {
		unsigned int keep = n->prefix > i * 8 ? n->prefix - i * 8 : 0;

		if (keep < 8)
			n->addr[i] &= (uint8_t)(0xff00u >> keep);
	}
}

static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };

static int parse_net_one(struct parser *ps, const config_setting_t *s,
			 struct luaulp_net *n)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	const char *v;
	unsigned long prefix;
	unsigned int max;

	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return fail_at(ps, s, "address must be a string or a list of strings");
	v = config_setting_get_string(s);
	if (strlen(v) >= sizeof(buf))
		goto bad;
	strcpy(buf, v);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	memset(n, 0, sizeof(*n));
	if (inet_pton(AF_INET, buf, n->addr) == 1) {
		n->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, n->addr) == 1) {
		n->family = AF_INET6;
		max = 128;
	} else {
		goto bad;
	}
	prefix = max;
	if (slash) {
		char *end;

		if (slash[1] < '0' || slash[1] > '9')
			goto bad;
		prefix = strtoul(slash + 1, &end, 10);
		if (*end || prefix > max)
			goto bad;
	}
	n->prefix = (uint8_t)prefix;
	/* ::ffff:a.b.c.d/96+ is an IPv4 network: match it as one. */
	if (n->family == AF_INET6 && n->prefix >= 96 &&
	    !memcmp(n->addr, v4mapped, sizeof(v4mapped))) {
		memmove(n->addr, n->addr + 12, 4);
		memset(n->addr + 4, 0, 12);
		n->family = AF_INET;
		n->prefix -= 96;
	}
	net_mask(n);
	return 0;
bad:
	return fail_at(ps, s,
		    "address \"%s\" is not an IPv4/IPv6 address or ADDR/PREFIX", v);
}

static int parse_nets(struct parser *ps, const config_setting_t *s,
		      struct luaulp_rule *r)
{
	int n = is_collection(s) ? config_setting_length(s) : 1;

	if (n < 1)
		return fail_at(ps, s, "address list is empty");
	r->nets = calloc((size_t)n, sizeof(*r->nets));
	if (!r->nets)
		return oom(ps, s);
	r->nnets = (size_t)n;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = is_collection(s) ?
			config_setting_get_elem(s, (unsigned)i) : s;

		if (parse_net_one(ps, e, &r->nets[i]))
			return -1;
	}
	return 0;
}

static void rule_free(struct luaulp_rule *r)
{
	free(r->name);
	free(r->file);
	free(r->script_file);
	free(r->ports);
	for (size_t i = 0; i < r->nexes; i++)
		free(r->exes[i]);
	free(r->exes);
	free(r->nets);
	free(r->script_path);
	free(r->script_name);
	free(r->src);
	free(r->entry);
	free(r->send_entry);
	memset(r, 0, sizeof(*r));
}

static char *path_join(const char *dir, const char *rel)
{
	char *out;

	if (rel[0] == '/' || !dir || !*dir)
		return strdup(rel);
	if (asprintf(&out, "%s/%s", dir, rel) < 0)
		return NULL;
	return out;
}

/*
 * A relative path given by setting S: against the folder of the file S is
 * in (an @include'd file's own folder), the main file's folder for the main
 * file.  Never the working directory, unless the policy came from a string
 * without a folder.
 */
static char *path_from(struct parser *ps, const config_setting_t *s,
		       const char *rel)
{
	const char *f = config_setting_source_file(s), *slash;
	char *dir, *out;

	if (f)
		f = file_path(ps, f);
	if (rel[0] == '/' || !f || !(slash = strrchr(f, '/')))
		return path_join(rel[0] == '/' ? NULL : ps->basedir, rel);
	dir = strndup(f, slash == f ? 1 : (size_t)(slash - f));
	if (!dir)
		return NULL;
	out = path_join(dir, rel);
	free(dir);
	return out;
}

/* Rule names end up in log lines and registered script names. */
static bool rule_name_ok(const char *s)
{
	return script_name_ok(s);
}

/* V with control characters, quotes and backslashes escaped, for quoting a
 * refused value in a message that must stay one line. */
static const char *printable(const char *v, char *buf, size_t n)
{
	size_t o = 0;

	for (; *v && o + 5 < n; v++) {
		unsigned char c = (unsigned char)*v;

		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(buf + o, n - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

/* Settings shared by defaults and rules. */
static int parse_common(struct parser *ps, const config_setting_t *s,
			struct luaulp_rule *r, bool *handled)
{
	const char *key = config_setting_name(s);
	int v = 0;

	*handled = true;
	if (!strcmp(key, "direction"))
		return parse_dirs(ps, s, &r->dirs);
	if (!strcmp(key, "exe"))
		return parse_exes(ps, s, r);
	if (!strcmp(key, "entry"))
		return set_ident(ps, s, &r->entry);
	if (!strcmp(key, "send_entry"))
		return set_ident(ps, s, &r->send_entry);
	if (!strcmp(key, "on_error")) {
		if (set_enum(ps, s, &v, onerr_names, 2))
			return -1;
		r->on_error = (enum luaulp_on_error)v;
		return 0;
	}
	if (!strcmp(key, "fail")) {
		if (set_enum(ps, s, &v, fail_names, 2))
			return -1;
		r->fail = (enum luaulp_fail)v;
		return 0;
	}
	*handled = false;
	return 0;
}

static int parse_defaults(struct parser *ps, const config_setting_t *g)
{
	struct luaulp_rule *d = &ps->defaults;

	if (config_setting_type(g) != CONFIG_TYPE_GROUP)
		return fail_at(ps, g, "defaults must be a group { ... }");
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *key = config_setting_name(s);
		bool handled;

		if (parse_common(ps, s, d, &handled))
			return -1;
		if (handled)
			continue;
		if (!strcmp(key, "script_dir")) {
			const char *v = get_string(ps, s);
			char *dir;

			if (!v)
				return -1;
			dir = path_from(ps, s, v);
			if (!dir)
				return oom(ps, s);
			free(ps->script_dir);
			ps->script_dir = dir;
			continue;
		}
		return fail_at(ps, s, "unknown setting \"%s\" in defaults "
			    "(known: direction, exe, entry, send_entry, on_error, "
			    "fail, script_dir)", key);
	}
	return 0;
}

static int copy_defaults(struct parser *ps, struct luaulp_rule *r,
			 const config_setting_t *g)
{
	const struct luaulp_rule *d = &ps->defaults;

	r->dirs = d->dirs ? d->dirs : LUAULP_DIR_ACCEPT;
	r->on_error = d->on_error;
	r->fail = d->fail;
	if (d->entry && !(r->entry = strdup(d->entry)))
		return oom(ps, g);
	if (d->send_entry && !(r->send_entry = strdup(d->send_entry)))
		return oom(ps, g);
	if (d->nexes) {
		r->exes = calloc(d->nexes, sizeof(*r->exes));
		if (!r->exes)
			return oom(ps, g);
		for (size_t i = 0; i < d->nexes; i++) {
			r->exes[i] = strdup(d->exes[i]);
			if (!r->exes[i])
				return oom(ps, g);
			r->nexes++;
		}
	}
	return 0;
}

static int parse_rule(struct parser *ps, const config_setting_t *g,
		      struct luaulp_rule *r, size_t index)
{
	const config_setting_t *script = NULL, *script_name = NULL;

	r->line = line_of(g);
	r->file = strdup(file_of(ps, g));
	if (!r->file)
		return oom(ps, g);
	if (config_setting_type(g) != CONFIG_TYPE_GROUP)
		return fail_at(ps, g, "each rule must be a group { ... }");
	if (copy_defaults(ps, r, g))
		return -1;
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *key = config_setting_name(s);
		bool handled;

		if (parse_common(ps, s, r, &handled))
			return -1;
		if (handled)
			continue;
		if (!strcmp(key, "name")) {
			const char *v = get_string(ps, s);
			char q[4 * LUAULP_NAME_MAX + 8];

			if (!v)
				return -1;
			if (!rule_name_ok(v))
				return fail_at(ps, s, "name \"%s\" is not 1..%d "
					       "characters of [A-Za-z0-9_.-]",
					       printable(v, q, sizeof(q)),
					       LUAULP_NAME_MAX);
			if (set_str(ps, s, &r->name))
				return -1;
		} else if (!strcmp(key, "port")) {
			if (parse_ports(ps, s, r))
				return -1;
		} else if (!strcmp(key, "address")) {
			if (parse_nets(ps, s, r))
				return -1;
		} else if (!strcmp(key, "script")) {
			if (!get_string(ps, s))
				return -1;
			script = s;
		} else if (!strcmp(key, "script_name")) {
			const char *v = get_string(ps, s);

			if (!v)
				return -1;
			if (!script_name_ok(v))
				return fail_at(ps, s, "script_name \"%s\" is not "
					    "1..%d characters of [A-Za-z0-9_.-]", v,
					    LUAULP_NAME_MAX);
			if (set_str(ps, s, &r->script_name))
				return -1;
			script_name = s;
		} else {
			return fail_at(ps, s, "unknown setting \"%s\" in a rule "
				    "(known: name, direction, port, exe, address, script, "
				    "script_name, entry, send_entry, on_error, fail)", key);
		}
	}
	if (!r->name && asprintf(&r->name, "rule#%zu", index + 1) < 0) {
		r->name = NULL;
		return oom(ps, g);
	}
	if (script && script_name)
		return fail_at(ps, script_name,
			    "rule \"%s\": script and script_name exclude each other", r->name);
	if (!script && !script_name)
		return fail_at(ps, g, "rule \"%s\": needs script (a file) or "
			    "script_name (registered in the kernel)", r->name);
	if (script) {
		const char *v = config_setting_get_string(script);

		r->script_line = line_of(script);
		r->script_path = ps->script_dir ? path_join(ps->script_dir, v) :
						  path_from(ps, script, v);
		if (!r->script_path)
			return oom(ps, script);
		r->script_file = strdup(file_of(ps, script));
		if (!r->script_file)
			return oom(ps, script);
	} else {
		r->script_line = line_of(script_name);
	}
	if (!r->entry)
		return fail_at(ps, g, "rule \"%s\": no entry (set it in the rule "
			    "or in defaults)", r->name);
	return 0;
}

static const char *const top_keys[] = {
	"version", "defaults", "rules", "on_invalid", "log", "log_level",
};

static int parse_top(struct parser *ps, config_t *cf, struct luaulp_policy *p)
{
	config_setting_t *root = config_root_setting(cf), *s;
	int v = 0;

	/* on_invalid first, so that it holds even if the rest is broken. */
	s = config_setting_get_member(root, "on_invalid");
	if (s) {
		if (set_enum(ps, s, &v, fail_names, 2))
			return -1;
		p->on_invalid = (enum luaulp_fail)v;
	}
	for (int i = 0; i < config_setting_length(root); i++) {
		const char *key;
		size_t k;

		s = config_setting_get_elem(root, (unsigned)i);
		key = config_setting_name(s);
		for (k = 0; k < sizeof(top_keys) / sizeof(top_keys[0]); k++)
			if (!strcmp(key, top_keys[k]))
				break;
		if (k == sizeof(top_keys) / sizeof(top_keys[0]))
			return fail_at(ps, s, "unknown setting \"%s\" (known: "
				    "version, defaults, rules, on_invalid, log, log_level)",
				    key);
	}
	s = config_setting_get_member(root, "version");
	if (s && (config_setting_type(s) != CONFIG_TYPE_INT ||
		  config_setting_get_int(s) != 1))
		return fail_at(ps, s, "version must be 1");
	s = config_setting_get_member(root, "log");
	if (s && set_str(ps, s, &p->log))
		return -1;
	s = config_setting_get_member(root, "log_level");
	if (s) {
		const char *lv = get_string(ps, s);

		if (!lv)
			return -1;
		p->log_level = luaulp_log_level_parse(lv);
		if (p->log_level < 0)
			return fail_at(ps, s, "log_level \"%s\" is not one of "
				    "error, warning, notice, info, debug", lv);
	}
	s = config_setting_get_member(root, "defaults");
	if (s && parse_defaults(ps, s))
		return -1;
	s = config_setting_get_member(root, "rules");
	if (!s)
		return 0;
	if (!is_collection(s) && config_setting_type(s) != CONFIG_TYPE_GROUP)
		return fail_at(ps, s, "rules must be a list ( { ... }, ... )");
	if (config_setting_type(s) == CONFIG_TYPE_ARRAY && config_setting_length(s))
		return fail_at(ps, s, "rules must be a list ( { ... }, ... )");
	if (config_setting_type(s) == CONFIG_TYPE_GROUP)
		return fail_at(ps, s, "rules must be a list ( { ... }, ... ), "
			    "not a group");
	v = config_setting_length(s);
	if (v == 0)
		return 0;
	p->rules = calloc((size_t)v, sizeof(*p->rules));
	if (!p->rules)
		return oom(ps, s);
	for (int i = 0; i < v; i++) {
		/* Count first, so that free() sees the partial rule. */
		p->nrules++;
		if (parse_rule(ps, config_setting_get_elem(s, (unsigned)i),
			       &p->rules[i], (size_t)i))
			return -1;
	}
	return 0;
}

#define POLICY_FILE_MAX	(1024 * 1024)
#define INCLUDE_DEPTH	10	/* libconfig's own limit */

/*
 * Read PATH whole without ever blocking: O_NONBLOCK on open (a FIFO opens
 * at once instead of waiting for a writer), then only regular files are
 * read.  Returns the NUL-terminated text, or NULL with WHY set.
 */
static char *read_regular(const char *path, size_t max, size_t *lenp,
			  char *why, size_t whylen)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, flags;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		goto out;
	}
	if (st.st_size > (off_t)max) {
		snprintf(why, whylen, "larger than %zu bytes", max);
		goto out;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(why, whylen, "%s", n ? strerror(errno) : "file shrank");
			free(buf);
			buf = NULL;
			goto out;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	*lenp = got;
out:
	close(fd);
	return buf;
}

/*
 * libconfig opens @include'd files itself, with fopen(), while it parses: a
 * FIFO there would block the program before main().  So every @include
 * line (as libconfig's scanner sees them: first thing on a line) is checked
 * first, nested ones too.  Relative names resolve against the main file's
 * folder, libconfig's one include directory; so that this is always the
 * including file's own folder, a file in another folder may only include
 * by full path.
 */
static int check_includes(struct parser *ps, const char *text,
			  const char *file, int depth)
{
	const char *line = text, *incdir = ps->basedir;
	bool same_dir;
	int lineno = 1;

	{
		const char *slash = strrchr(file, '/');
		size_t dl = incdir ? strlen(incdir) : 0;

		same_dir = depth == 0 || (!incdir && !slash) ||
			   (incdir && slash && (size_t)(slash - file) == dl &&
			    !strncmp(file, incdir, dl));
	}
	for (; line && *line; lineno++) {
		const char *p = line + strspn(line, " \t"), *nl = strchr(line, '\n');
		char name[PATH_MAX], why[128], *path, *sub;
		size_t n = 0, len;
		int ret;

		line = nl ? nl + 1 : NULL;
		if (strncmp(p, "@include", 8) || (p[8] != ' ' && p[8] != '\t'))
			continue;
		p += 8 + strspn(p + 8, " \t");
		if (*p++ != '"')
			continue;	/* libconfig reports the syntax */
		for (; *p && *p != '"' && *p != '\n' && n < sizeof(name) - 1; p++) {
			if (*p == '\\' && p[1] && p[1] != '\n')
				p++;
			name[n++] = *p;
		}
		name[n] = '\0';
		if (*p != '"' || !n)
			continue;
		if (name[0] != '/' && !same_dir)
			return vfail_fmt(ps, file, lineno, "@include \"%s\": a file "
					 "outside %s may include only by full path",
					 name, incdir ? incdir : "the working directory");
		if (depth + 1 >= INCLUDE_DEPTH)
			return vfail_fmt(ps, file, lineno, "@include \"%s\": "
					 "nested too deeply", name);
		path = path_join(name[0] == '/' ? NULL : incdir, name);
		if (!path)
			return fail(ps, 0, "out of memory");
		sub = read_regular(path, POLICY_FILE_MAX, &len, why, sizeof(why));
		if (!sub) {
			ret = vfail_fmt(ps, file, lineno, "@include \"%s\": %s: %s",
					name, path, why);
			free(path);
			return ret;
		}
		ret = check_includes(ps, sub, path, depth + 1);
		free(sub);
		free(path);
		if (ret)
			return ret;
	}
	return 0;
}

static int load(struct luaulp_policy *p, const char *text, const char *file,
		const char *basedir, char *err)
{
	struct parser ps = { .file = file, .err = err };
	char *owned = NULL, why[128];
	config_t cf;
	size_t len;
	int ret = -1;

	memset(p, 0, sizeof(*p));
	p->log_level = -1;
	err[0] = '\0';
	p->file = strdup(file);
	ps.basedir = basedir ? strdup(basedir) : NULL;
	if (!p->file || (basedir && !ps.basedir)) {
		snprintf(err, LUAULP_POLICY_ERRMAX, "%s: out of memory", file);
		goto out_free;
	}
	if (!text) {
		owned = read_regular(file, POLICY_FILE_MAX, &len, why, sizeof(why));
		if (!owned) {
			snprintf(err, LUAULP_POLICY_ERRMAX, "%s: cannot read: %s",
				 file, why);
			goto out_free;
		}
		text = owned;
	}
	if (check_includes(&ps, text, file, 0))
		goto out_free;
	if (luaulp_lcfg_bind(why, sizeof(why))) {
		snprintf(err, LUAULP_POLICY_ERRMAX, "%s: %s", file, why);
		goto out_free;
	}
	config_init(&cf);
	config_set_auto_convert(&cf, 0);
	if (ps.basedir)
		config_set_include_dir(&cf, ps.basedir);
	if (!config_read_string(&cf, text)) {
		const char *ef = config_error_file(&cf);

		/* The main file read as a string has no name for libconfig. */
		ef = ef ? file_path(&ps, ef) : file;
		if (config_error_type(&cf) == CONFIG_ERR_FILE_IO)
			vfail_fmt(&ps, ef, config_error_line(&cf), "cannot read: %s",
				  strerror(errno ? errno : EIO));
		else
			vfail_fmt(&ps, ef, config_error_line(&cf), "%s",
				  config_error_text(&cf));
		goto out_config;
	}
	ret = parse_top(&ps, &cf, p);
out_config:
	config_destroy(&cf);
out_free:
	free(owned);
	rule_free(&ps.defaults);
	free(ps.basedir);
	free(ps.script_dir);
	if (ret) {
		enum luaulp_fail keep = p->on_invalid;

		luaulp_policy_free(p);
		p->on_invalid = keep;
	}
	return ret;
}

int luaulp_policy_load(struct luaulp_policy *p, const char *file, char *err)
{
	char *dir = strdup(file), *slash;
	int ret;

	if (!dir) {
		memset(p, 0, sizeof(*p));
		snprintf(err, LUAULP_POLICY_ERRMAX, "%s: out of memory", file);
		return -1;
	}
	slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir ? 1 : 0] = '\0';
	ret = load(p, NULL, file, slash ? dir : NULL, err);
	free(dir);
	return ret;
}

int luaulp_policy_load_string(struct luaulp_policy *p, const char *text,
			      const char *name, const char *basedir, char *err)
{
	return load(p, text, name, basedir, err);
}

void luaulp_policy_free(struct luaulp_policy *p)
{
	for (size_t i = 0; i < p->nrules; i++)
		rule_free(&p->rules[i]);
	free(p->rules);
	for (size_t i = 0; i < p->nother; i++)
		free(p->other_names[i]);
	free(p->other_names);
	free(p->file);
	free(p->log);
	memset(p, 0, sizeof(*p));
	p->log_level = -1;
}

static int read_script(const char *path, char **out, size_t *len, char *why,
		       size_t whylen)
{
	*out = read_regular(path, LUAULP_SCRIPT_MAX, len, why, whylen);
	if (!*out)
		return -1;
	if (!*len) {
		snprintf(why, whylen, "size 0 is not in 1..%d bytes",
			 LUAULP_SCRIPT_MAX);
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

int luaulp_policy_load_scripts(struct luaulp_policy *p, char *err)
{
	for (size_t i = 0; i < p->nrules; i++) {
		struct luaulp_rule *r = &p->rules[i];
		char why[128];

		if (!r->script_path || r->src)
			continue;
		if (read_script(r->script_path, &r->src, &r->src_len, why, sizeof(why))) {
			snprintf(err, LUAULP_POLICY_ERRMAX, "%s:%d: rule \"%s\": script %s: %s",
				 r->script_file ? r->script_file : p->file,
				 r->script_line, r->name, r->script_path, why);
			return -1;
		}
	}
	return 0;
}

bool luaulp_rule_match_exe(const struct luaulp_rule *r, const char *exe)
{
	const char *base;

	if (!r->nexes)
		return true;
	if (!exe)
		return false;
	base = strrchr(exe, '/');
	base = base ? base + 1 : exe;
	for (size_t i = 0; i < r->nexes; i++)
		if (!strcmp(r->exes[i], r->exes[i][0] == '/' ? exe : base))
			return true;
	return false;
}

size_t luaulp_policy_filter_exe(struct luaulp_policy *p, const char *exe)
{
	size_t kept = 0;

	for (size_t i = 0; i < p->nrules; i++) {
		if (luaulp_rule_match_exe(&p->rules[i], exe)) {
			p->rules[kept++] = p->rules[i];
			continue;
		}
		/* The name stays known: registry hygiene must not take the
		 * scripts of rules for other programs for stale ones. */
		if (p->rules[i].name) {
			char **n = realloc(p->other_names,
					   (p->nother + 1) * sizeof(*n));

			if (n) {
				p->other_names = n;
				n[p->nother++] = p->rules[i].name;
				p->rules[i].name = NULL;
			}
		}
		rule_free(&p->rules[i]);
	}
	p->nrules = kept;
	return kept;
}

static bool port_match(const struct luaulp_rule *r, uint16_t port)
{
	if (!r->nports)
		return true;
	for (size_t i = 0; i < r->nports; i++)
		if (port >= r->ports[i].lo && port <= r->ports[i].hi)
			return true;
	return false;
}

static bool net_match(const struct luaulp_rule *r, sa_family_t family,
		      const uint8_t *addr)
{
	if (!r->nnets)
		return true;
	for (size_t i = 0; i < r->nnets; i++) {
		const struct luaulp_net *n = &r->nets[i];
		unsigned int full = n->prefix / 8, rest = n->prefix % 8;

		if (n->family != family || memcmp(n->addr, addr, full))
			continue;
		if (rest && ((addr[full] ^ n->addr[full]) & (0xff00u >> rest) & 0xff))
			continue;
		return true;
	}
	return false;
}

const struct luaulp_rule *luaulp_policy_match(const struct luaulp_policy *p,
					      enum luaulp_dir dir,
					      const struct sockaddr *sa,
					      socklen_t salen)
{
	uint8_t addr[16];
	sa_family_t family;
	uint16_t port;

	if (!sa)
		return NULL;
	if (sa->sa_family == AF_INET && salen >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		family = AF_INET;
		memcpy(addr, &in->sin_addr, 4);
		port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6 &&
		   salen >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		family = AF_INET6;
		memcpy(addr, &in6->sin6_addr, 16);
		port = ntohs(in6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			family = AF_INET;
			memmove(addr, addr + 12, 4);
		}
	} else {
		return NULL;
	}
	for (size_t i = 0; i < p->nrules; i++) {
		const struct luaulp_rule *r = &p->rules[i];

		if ((r->dirs & dir) && port_match(r, port) &&
		    net_match(r, family, addr))
			return r;
	}
	return NULL;
}

unsigned int luaulp_policy_dirs(const struct luaulp_policy *p)
{
	unsigned int dirs = 0;

	for (size_t i = 0; i < p->nrules; i++)
		dirs |= p->rules[i].dirs;
	return dirs;
}
