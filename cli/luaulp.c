// SPDX-License-Identifier: GPL-2.0
/*
 * luaulp: the command-line tool of luaulp.
 *
 *   luaulp check [-t] [CONF]     validate a policy and the scripts it names
 *   luaulp stat [-t]             list scripted sockets and their counters
 *   luaulp run SCRIPT [...]      feed input through a script as the kernel would
 *   luaulp register NAME FILE    register a script in the kernel by name
 *   luaulp unregister NAME       remove a registered script
 *   luaulp scripts [-t]          list the registered scripts
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "policy.h"

const char *prog = "luaulp";

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
} commands[] = {
	{ "check", cmd_check, "check [-t] [CONF]      validate a policy and compile its scripts" },
	{ "stat",  cmd_stat,  "stat [-t]              list scripted sockets and their counters\n"
			      "  luaulp stat -d [-t] [-u ULP]\n"
			      "                          the same through sock_diag (as ss -tie)" },
	{ "run",   cmd_run,   "run SCRIPT [--entry F] [--send-entry F] [--chunk N]\n"
			      "                          [--reads N[p],...] [--peer-writes N,...]\n"
			      "                          [--transcript FILE] [--repeat N] [--peer-window N]\n"
			      "                          [--on-error pass|reset|close] [--sent FILE]\n"
			      "                          [--stats] [--no-log-limit] [--registered] [-v]\n"
			      "                          < INPUT\n"
			      "                          one connection through SCRIPT as the kernel runs it" },
	{ "register", cmd_register, "register NAME FILE     compile FILE in the kernel as script NAME\n"
			      "                          (CAP_NET_ADMIN; FILE - is stdin)" },
	{ "unregister", cmd_unregister, "unregister NAME        remove registered script NAME" },
	{ "scripts", cmd_scripts, "scripts [-t]           list the registered scripts" },
};

const char *cli_default_conf(void)
{
	const char *conf = getenv("LUAULP_CONF");

	return conf && *conf ? conf : LUAULP_CONF_DEFAULT;
}

static int usage(FILE *f)
{
	fprintf(f, "Usage: %s COMMAND [ARGS]\n\nCommands:\n", prog);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s %s\n", prog, commands[i].usage);
	fprintf(f, "\n-t: tab-separated output for scripts, no header.\n"
		   "The policy is $LUAULP_CONF, else %s.\n"
		   "Exit status: 0 ok, 1 failure, 2 usage, 4 luaulp module not loaded.\n",
		   LUAULP_CONF_DEFAULT);
	return f == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help"))
		return usage(stdout);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command \"%s\"\n", prog, argv[1]);
	return usage(stderr);
}
