// SPDX-License-Identifier: GPL-2.0
/*
 * Socket options at level SOL_LUA (see include/uapi/luaulp.h for the spec).
 *
 * Context: process context, socket lock not held; the context's mutex
 * serialises every use of the Lua state.  The context cannot go away under
 * us: it is freed in close, which cannot run while a syscall holds the file.
 */
#include <linux/capability.h>
#include <linux/ctype.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <net/sock.h>

#include "luaulp.h"
#include "runtime.h"

static bool allow_unprivileged_load;
module_param(allow_unprivileged_load, bool, 0644);
MODULE_PARM_DESC(allow_unprivileged_load,
		 "Let any user load Lua source into a socket (default: CAP_NET_ADMIN only)");

static void set_error(struct luaulp_sock *ctx, const char *msg)
{
	strscpy(ctx->error, msg, sizeof(ctx->error));
}

/* Create the Lua state on first use.  Called with ctx->lock held. */
static int luaulp_sock_rt(struct luaulp_sock *ctx)
{
	int err;

	if (ctx->rt)
		return 0;
	err = luaulp_rt_create(&ctx->rt, NULL);
	if (err) {
		set_error(ctx, "cannot create a Lua state: out of memory");
		return err;
	}
	luaulp_rt_set_owner(ctx->rt, ctx);
	return 0;
}

static int luaulp_load_script(struct sock *sk, struct luaulp_sock *ctx,
			      sockptr_t optval, unsigned int optlen)
{
	char *src;
	int err;

	if (!allow_unprivileged_load &&
	    !ns_capable(sock_net(sk)->user_ns, CAP_NET_ADMIN))
		return -EPERM;
	if (optlen == 0)
		return -EINVAL;
	if (optlen > LUAULP_SCRIPT_MAX)
		return -EMSGSIZE;
	if (sockptr_is_null(optval))
		return -EFAULT;

	src = kvmalloc(optlen, GFP_KERNEL | __GFP_NOWARN);
	if (!src)
		return -ENOMEM;
	if (copy_from_sockptr(src, optval, optlen)) {
		err = -EFAULT;
		goto out_free;
	}

	mutex_lock(&ctx->lock);
	err = luaulp_sock_rt(ctx);
	if (!err) {
		ctx->result[0] = '\0';
		err = luaulp_rt_exec(ctx->rt, src, optlen, "=script",
				     ctx->result, sizeof(ctx->result));
		set_error(ctx, err ? luaulp_rt_error(ctx->rt) : "");
	}
	mutex_unlock(&ctx->lock);
out_free:
	kvfree(src);
	return err;
}

static bool valid_identifier(const char *s)
{
	if (!*s || isdigit(*s))
		return false;
	for (; *s; s++)
		if (!isalnum(*s) && *s != '_')
			return false;
	return true;
}

/* Copy a name from user space: optlen bytes, one trailing NUL allowed. */
static int copy_name(char *dst, size_t size, sockptr_t optval,
		     unsigned int optlen)
{
	if (optlen == 0 || optlen > size)
		return -EINVAL;
	if (sockptr_is_null(optval))
		return -EFAULT;
	if (copy_from_sockptr(dst, optval, optlen))
		return -EFAULT;
	if (dst[optlen - 1] == '\0')
		optlen--;
	dst[optlen] = '\0';
	if (strlen(dst) != optlen || !valid_identifier(dst))
		return -EINVAL;
	return 0;
}

static int luaulp_set_entry(struct luaulp_sock *ctx, char *entry,
			    sockptr_t optval, unsigned int optlen)
{
	char name[LUAULP_NAME_MAX + 1];
	int err;

	err = copy_name(name, sizeof(name), optval, optlen);
	mutex_lock(&ctx->lock);
	if (err == -EINVAL)
		set_error(ctx, "entry: not a Lua identifier of 1 to 64 characters");
	else if (!err)
		strscpy(entry, name, LUAULP_NAME_MAX + 1);
	mutex_unlock(&ctx->lock);
	return err;
}

int luaulp_sockopt_set(struct sock *sk, int optname, sockptr_t optval,
		       unsigned int optlen)
{
	struct luaulp_sock *ctx = luaulp_sk(sk);

	switch (optname) {
	case LUAULP_LOADSCRIPT:
		return luaulp_load_script(sk, ctx, optval, optlen);
	case LUAULP_ENTRYPOINT:
		return luaulp_set_entry(ctx, ctx->entry, optval, optlen);
	default:
		return -ENOPROTOOPT;
	}
}

/* Copy a NUL-terminated string out, truncated to the caller's length. */
static int put_string(const char *s, char __user *optval, int __user *optlen)
{
	int len, n;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	n = min_t(int, len, strlen(s) + 1);
	if (n > 0) {
		if (copy_to_user(optval, s, n - 1) ||
		    put_user('\0', optval + n - 1))
			return -EFAULT;
	}
	if (put_user(n, optlen))
		return -EFAULT;
	return 0;
}

int luaulp_sockopt_get(struct sock *sk, int optname, char __user *optval,
		       int __user *optlen)
{
	struct luaulp_sock *ctx = luaulp_sk(sk);
	char buf[LUAULP_ERROR_MAX];

	mutex_lock(&ctx->lock);
	switch (optname) {
	case LUAULP_ENTRYPOINT:
		strscpy(buf, ctx->entry, sizeof(buf));
		break;
	case LUAULP_ERROR:
		strscpy(buf, ctx->error, sizeof(buf));
		break;
	case LUAULP_RESULT:
		strscpy(buf, ctx->result, sizeof(buf));
		break;
	default:
		mutex_unlock(&ctx->lock);
		return -ENOPROTOOPT;
	}
	mutex_unlock(&ctx->lock);
	/* Copy to user space without the mutex: it may fault. */
	return put_string(buf, optval, optlen);
}
