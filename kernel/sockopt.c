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
int luaulp_sock_rt(struct luaulp_sock *ctx)
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
	err = luaulp_lib_open(ctx);
	if (err) {
		set_error(ctx, luaulp_rt_error(ctx->rt));
		luaulp_rt_destroy(ctx->rt);
		ctx->rt = NULL;
	}
	return err;
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
		if (!err)
			strscpy(ctx->script, "(source)", sizeof(ctx->script));
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

/* Copy a name from user space: optlen bytes, one trailing NUL allowed,
 * checked by VALID.  DST holds LUAULP_NAME_MAX + 1 bytes. */
static int copy_name(char *dst, sockptr_t optval, unsigned int optlen,
		     bool (*valid)(const char *))
{
	char name[LUAULP_NAME_MAX + 2];

	if (optlen == 0 || optlen > LUAULP_NAME_MAX + 1)
		return -EINVAL;
	if (sockptr_is_null(optval))
		return -EFAULT;
	if (copy_from_sockptr(name, optval, optlen))
		return -EFAULT;
	if (name[optlen - 1] == '\0')
		optlen--;
	name[optlen] = '\0';
	if (optlen > LUAULP_NAME_MAX || strlen(name) != optlen || !valid(name))
		return -EINVAL;
	strscpy(dst, name, LUAULP_NAME_MAX + 1);
	return 0;
}

static int luaulp_set_entry(struct luaulp_sock *ctx, char *entry,
			    sockptr_t optval, unsigned int optlen)
{
	char name[LUAULP_NAME_MAX + 1];
	int err;

	err = copy_name(name, optval, optlen, valid_identifier);
	mutex_lock(&ctx->lock);
	if (err == -EINVAL)
		set_error(ctx, "entry: not a Lua identifier of 1 to 64 characters");
	else if (!err)
		strscpy(entry, name, LUAULP_NAME_MAX + 1);
	mutex_unlock(&ctx->lock);
	return err;
}

static int get_int(int *val, sockptr_t optval, unsigned int optlen)
{
	if (optlen != sizeof(int))
		return -EINVAL;
	if (sockptr_is_null(optval))
		return -EFAULT;
	return copy_from_sockptr(val, optval, sizeof(int)) ? -EFAULT : 0;
}

static int luaulp_set_onerror(struct luaulp_sock *ctx, sockptr_t optval,
			      unsigned int optlen)
{
	int val, err;

	err = get_int(&val, optval, optlen);
	if (err)
		return err;
	if (val != LUAULP_ONERROR_PASS && val != LUAULP_ONERROR_RESET &&
	    val != LUAULP_ONERROR_CLOSE)
		return -EINVAL;
	mutex_lock(&ctx->lock);
	ctx->onerror = val;
	mutex_unlock(&ctx->lock);
	return 0;
}

static int luaulp_set_memlimit(struct luaulp_sock *ctx, sockptr_t optval,
			       unsigned int optlen)
{
	int val, err;

	err = get_int(&val, optval, optlen);
	if (err)
		return err;
	if (val <= 0)
		return -EINVAL;
	mutex_lock(&ctx->lock);
	err = luaulp_sock_rt(ctx);
	if (!err) {
		if ((size_t)val > luaulp_rt_memory_max(ctx->rt))
			err = -EPERM;
		else
			err = luaulp_rt_set_memory_max(ctx->rt, val);
		if (err == -EPERM)
			set_error(ctx, "memory limit: can only be lowered");
		else if (err)
			set_error(ctx, "memory limit: below what the state holds");
	}
	mutex_unlock(&ctx->lock);
	return err;
}

static int luaulp_attach_name(struct sock *sk, struct luaulp_sock *ctx,
			      sockptr_t optval, unsigned int optlen)
{
	char name[LUAULP_NAME_MAX + 1];
	int err;

	err = copy_name(name, optval, optlen, luaulp_script_name_valid);
	if (err == -EINVAL) {
		mutex_lock(&ctx->lock);
		set_error(ctx, "script names are 1-64 of [A-Za-z0-9_.-]");
		mutex_unlock(&ctx->lock);
	}
	if (err)
		return err;
	return luaulp_registry_attach(sk, ctx, name);
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
	case LUAULP_SENDENTRY:
		return luaulp_set_entry(ctx, ctx->send_entry, optval, optlen);
	case LUAULP_ONERROR:
		return luaulp_set_onerror(ctx, optval, optlen);
	case LUAULP_MEMLIMIT:
		return luaulp_set_memlimit(ctx, optval, optlen);
	case LUAULP_ATTACHNAME:
		return luaulp_attach_name(sk, ctx, optval, optlen);
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

static int put_bytes(const void *p, int size, char __user *optval,
		     int __user *optlen)
{
	int len;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len < size)
		return -EINVAL;
	if (copy_to_user(optval, p, size) || put_user(size, optlen))
		return -EFAULT;
	return 0;
}

static int luaulp_get_int(struct luaulp_sock *ctx, int optname,
			  char __user *optval, int __user *optlen)
{
	int val;

	mutex_lock(&ctx->lock);
	if (optname == LUAULP_ONERROR)
		val = ctx->onerror;
	else
		val = min_t(size_t, INT_MAX, ctx->rt ?
			    luaulp_rt_memory_max(ctx->rt) : 0);
	mutex_unlock(&ctx->lock);
	return put_bytes(&val, sizeof(val), optval, optlen);
}

/* The counters with the state's memory filled in; ctx->lock held. */
void luaulp_sock_stats(struct luaulp_sock *ctx, struct luaulp_stats *st)
{
	*st = ctx->stats;
	st->queued = READ_ONCE(ctx->tx_queued);
	if (ctx->rt) {
		st->memory = luaulp_rt_memory(ctx->rt);
		st->memory_max = luaulp_rt_memory_max(ctx->rt);
	}
}

static int luaulp_get_stats(struct luaulp_sock *ctx, char __user *optval,
			    int __user *optlen)
{
	struct luaulp_stats st;

	mutex_lock(&ctx->lock);
	luaulp_sock_stats(ctx, &st);
	mutex_unlock(&ctx->lock);
	return put_bytes(&st, sizeof(st), optval, optlen);
}

int luaulp_sockopt_get(struct sock *sk, int optname, char __user *optval,
		       int __user *optlen)
{
	struct luaulp_sock *ctx = luaulp_sk(sk);
	char buf[LUAULP_ERROR_MAX];

	switch (optname) {
	case LUAULP_STATS:
		return luaulp_get_stats(ctx, optval, optlen);
	case LUAULP_ONERROR:
	case LUAULP_MEMLIMIT:
		return luaulp_get_int(ctx, optname, optval, optlen);
	}

	mutex_lock(&ctx->lock);
	switch (optname) {
	case LUAULP_ENTRYPOINT:
		strscpy(buf, ctx->entry, sizeof(buf));
		break;
	case LUAULP_SENDENTRY:
		strscpy(buf, ctx->send_entry, sizeof(buf));
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
