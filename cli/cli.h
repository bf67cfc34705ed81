/* SPDX-License-Identifier: GPL-2.0 */
/*
 * luaulp(8): one file per subcommand, dispatched from luaulp.c.
 * Each subcommand gets argv starting at its own name and returns the exit
 * status: 0 success, 1 failure (the message says why), 2 usage error.
 */
#ifndef LUAULP_CLI_H
#define LUAULP_CLI_H

#include <stdbool.h>

extern const char *prog;	/* "luaulp", for messages */

int cmd_check(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_run(int argc, char **argv);

/* The policy file a command without CONF reads: $LUAULP_CONF or
 * /etc/luaulp.conf. */
const char *cli_default_conf(void);

#endif /* LUAULP_CLI_H */
