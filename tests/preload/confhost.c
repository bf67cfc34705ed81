// SPDX-License-Identifier: GPL-2.0
/*
 * confhost: a host program that defines functions named like libconfig's,
 * exported (-rdynamic), as a program linked with another libconfig (1.7's
 * libconfig.so.11) does.  The shim's policy parser must not bind to them:
 * if it calls one, this prints which and exits 3.  Otherwise main prints
 * "main" and exits 0.
 */
#include <stdio.h>
#include <stdlib.h>

#define HOSTS_OWN(name)                                      \
	void name(void);                                     \
	void name(void)                                      \
	{                                                    \
		printf("host's own %s was called\n", #name); \
		exit(3);                                     \
	}

HOSTS_OWN(config_init)
HOSTS_OWN(config_destroy)
HOSTS_OWN(config_read_string)
HOSTS_OWN(config_read_file)
HOSTS_OWN(config_setting_get_member)
HOSTS_OWN(config_setting_length)

int main(void)
{
	printf("main\n");
	return 0;
}
