/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Putting a rule's script on a socket: the kernel side of the shim.
 * Context: called right after accept()/connect() on the caller's thread;
 * never reads files (scripts were read in the constructor).
 */
#ifndef LUAULP_ATTACH_H
#define LUAULP_ATTACH_H

#include "policy.h"

/* Attach ULP "lua" to FD and configure it from R.  Returns 0 or an errno;
 * *STEP names the setsockopt that failed ("attach", "loadscript", ...). */
int luaulp_attach(int fd, const struct luaulp_rule *r, const char **step);

/* The kernel's message for the last failure on FD ("" if none) in BUF. */
const char *luaulp_attach_error(int fd, char *buf, size_t len);

/* Once per process, in the constructor (before the policy is shared):
 * report rule settings this build cannot pass to the kernel, and, with
 * CAP_NET_ADMIN, register the rules' script files in the kernel's registry
 * (sets each rule's reg_name) so that this process and its unprivileged
 * children attach them by name.  Never fails: what cannot be registered is
 * pushed as source per socket. */
void luaulp_attach_prepare(struct luaulp_policy *p);

#endif /* LUAULP_ATTACH_H */
