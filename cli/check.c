// SPDX-License-Identifier: GPL-2.0
/*
 * luaulp check [-t] [CONF]: parse and validate a policy exactly as the shim
 * does, read every script it names and, when built with the user-space
 * runtime, compile each one and check that its entry functions exist.
 * Errors are "FILE:LINE: message" on stderr; exit status 1.
 *
 * -t prints one tab-separated line per rule:
 *   name direction ports exes addresses script entry send_entry on_error
 *   fail status
 * with "*" for "any" and "-" for unset; status is "ok", "unchecked" (built
 * without the runtime) or "by-name" (a script registered in the kernel).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uapi/luaulp.h>

#include "cli.h"
#include "policy.h"

#ifdef LUAULP_HAVE_RUNTIME
#include "runtime.h"
#endif

static void put_ports(FILE *f, const struct luaulp_rule *r)
{
	if (!r->nports)
		fputs("*", f);
	for (size_t i = 0; i < r->nports; i++) {
		if (r->ports[i].lo == r->ports[i].hi)
			fprintf(f, "%s%u", i ? "," : "", r->ports[i].lo);
		else
			fprintf(f, "%s%u-%u", i ? "," : "", r->ports[i].lo, r->ports[i].hi);
	}
}

static void put_exes(FILE *f, const struct luaulp_rule *r)
{
	if (!r->nexes)
		fputs("*", f);
	for (size_t i = 0; i < r->nexes; i++)
		fprintf(f, "%s%s", i ? "," : "", r->exes[i]);
}

static void put_nets(FILE *f, const struct luaulp_rule *r)
{
	char buf[INET6_ADDRSTRLEN];

	if (!r->nnets)
		fputs("*", f);
	for (size_t i = 0; i < r->nnets; i++) {
		const struct luaulp_net *n = &r->nets[i];

		inet_ntop(n->family, n->addr, buf, sizeof(buf));
		fprintf(f, "%s%s/%u", i ? "," : "", buf, n->prefix);
	}
}

static const char *dir_name(unsigned int dirs)
{
	switch (dirs) {
	case LUAULP_DIR_ACCEPT: return "accept";
	case LUAULP_DIR_CONNECT: return "connect";
	default: return "both";
	}
}

#ifdef LUAULP_HAVE_RUNTIME
/* Is NAME a function after running the script in RT? */
static int is_function(struct luaulp_rt *rt, const char *name)
{
	char src[LUAULP_NAME_MAX + 32], result[32];
	int n = snprintf(src, sizeof(src), "return type(%s)", name);

	if (luaulp_rt_exec(rt, src, (size_t)n, "=check", result, sizeof(result)))
		return 0;
	return !strcmp(result, "function");
}

static int compile(const struct luaulp_policy *p, const struct luaulp_rule *r)
{
	struct luaulp_rt *rt;
	char chunk[64];
	int ret = 1;

	if (luaulp_rt_create(&rt, NULL)) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 1;
	}
	snprintf(chunk, sizeof(chunk), "@%s", r->script_path);
	if (luaulp_rt_exec(rt, r->src, r->src_len, chunk, NULL, 0)) {
		/* The runtime's message starts with the script's file:line. */
		fprintf(stderr, "%s:%d: rule \"%s\": %s\n", p->file,
			r->script_line, r->name, luaulp_rt_error(rt));
		goto out;
	}
	if (!is_function(rt, r->entry)) {
		fprintf(stderr, "%s:%d: rule \"%s\": script %s defines no function "
			"\"%s\" (entry)\n", p->file, r->line, r->name,
			r->script_path, r->entry);
		goto out;
	}
	if (r->send_entry && !is_function(rt, r->send_entry)) {
		fprintf(stderr, "%s:%d: rule \"%s\": script %s defines no function "
			"\"%s\" (send_entry)\n", p->file, r->line, r->name,
			r->script_path, r->send_entry);
		goto out;
	}
	ret = 0;
out:
	luaulp_rt_destroy(rt);
	return ret;
}
#define COMPILED "ok"
#else
static int compile(const struct luaulp_policy *p, const struct luaulp_rule *r)
{
	(void)p;
	(void)r;
	return 0;
}
#define COMPILED "unchecked"
#endif

int cmd_check(int argc, char **argv)
{
	struct luaulp_policy p;
	char err[LUAULP_POLICY_ERRMAX];
	const char *conf;
	bool tabs = false;
	int opt, ret = 0;

	while ((opt = getopt(argc, argv, "th")) != -1) {
		switch (opt) {
		case 't':
			tabs = true;
			break;
		default:
			fprintf(stderr, "Usage: %s check [-t] [CONF]\n", prog);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "Usage: %s check [-t] [CONF]\n", prog);
		return 2;
	}
	conf = optind < argc ? argv[optind] : cli_default_conf();
	if (luaulp_policy_load(&p, conf, err)) {
		fprintf(stderr, "%s\n", err);
		luaulp_policy_free(&p);
		return 1;
	}
	if (luaulp_policy_load_scripts(&p, err)) {
		fprintf(stderr, "%s\n", err);
		luaulp_policy_free(&p);
		return 1;
	}
	for (size_t i = 0; i < p.nrules; i++) {
		const struct luaulp_rule *r = &p.rules[i];
		const char *status = r->script_name ? "by-name" : COMPILED;

		if (r->script_path && compile(&p, r)) {
			ret = 1;
			continue;
		}
		if (tabs) {
			printf("%s\t%s\t", r->name, dir_name(r->dirs));
			put_ports(stdout, r);
			putchar('\t');
			put_exes(stdout, r);
			putchar('\t');
			put_nets(stdout, r);
			printf("\t%s\t%s\t%s\t%s\t%s\t%s\n",
			       r->script_path ? r->script_path : r->script_name,
			       r->entry, r->send_entry ? r->send_entry : "-",
			       luaulp_on_error_name(r->on_error),
			       luaulp_fail_name(r->fail), status);
			continue;
		}
		printf("%s:%d: rule \"%s\": %s port ", p.file, r->line, r->name,
		       dir_name(r->dirs));
		put_ports(stdout, r);
		fputs(" exe ", stdout);
		put_exes(stdout, r);
		fputs(" address ", stdout);
		put_nets(stdout, r);
		printf(" -> %s%s entry %s%s%s, on_error %s, fail %s: %s\n",
		       r->script_name ? "registered script " : "",
		       r->script_path ? r->script_path : r->script_name, r->entry,
		       r->send_entry ? " send_entry " : "",
		       r->send_entry ? r->send_entry : "",
		       luaulp_on_error_name(r->on_error), luaulp_fail_name(r->fail),
		       status);
	}
	if (!tabs && !ret)
		printf("%s: ok, %zu rule%s%s\n", p.file, p.nrules,
		       p.nrules == 1 ? "" : "s",
#ifdef LUAULP_HAVE_RUNTIME
		       ""
#else
		       " (scripts not compiled: built without the runtime)"
#endif
		       );
	luaulp_policy_free(&p);
	return ret;
}
