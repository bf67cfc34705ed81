/* SPDX-License-Identifier: GPL-2.0 */
/*
 * luaulp(8): one file per subcommand, dispatched from luaulp.c.
 * Each subcommand gets argv starting at its own name and returns the exit
 * status: 0 success, 1 failure (the message says why), 2 usage error,
 * 4 (CLI_EXIT_NOMODULE) the luaulp module is not loaded (register,
 * unregister, scripts, stat).  `run` uses 3: the connection was reset, and
 * 4: it was closed gracefully.
 */
#ifndef LUAULP_CLI_H
#define LUAULP_CLI_H

#include <stdbool.h>

#define CLI_EXIT_NOMODULE	4

struct lgenl;

extern const char *prog;	/* "luaulp", for messages */

int cmd_check(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_register(int argc, char **argv);
int cmd_unregister(int argc, char **argv);
int cmd_scripts(int argc, char **argv);

/* Open the registry for subcommand CMD: 0, or the exit status after
 * printing why (CLI_EXIT_NOMODULE: "luaulp module not loaded"). */
int cli_registry_open(struct lgenl *g, const char *cmd);
/* Print a failed registry request: errno text, the kernel's ext-ack
 * message; WHAT (quoted) is the value concerned, or NULL. */
void cli_registry_error(const char *cmd, const char *what, int err,
			const struct lgenl *g);

/* The policy file a command without CONF reads: $LUAULP_CONF or
 * /etc/luaulp.conf. */
const char *cli_default_conf(void);

#endif /* LUAULP_CLI_H */
