// SPDX-License-Identifier: GPL-2.0
/*
 * Socket options at level SOL_LUA (see include/uapi/luaulp.h for the spec).
 *
 * Context: process context, socket lock not held; the context's mutex
 * serialises every use of the Lua state.  The context cannot go away under
 * us: it is freed in close, which cannot run while a syscall holds the file.
 * Waits for the mutex are killable: a fatal signal ends them with EINTR
 * (an entry or a load may hold it for up to time_max_ms).
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

/*
 * Loading source runs a compiler and arbitrary code in the kernel: by
 * default only CAP_NET_ADMIN in the initial user namespace may (capable(),
 * as for BPF).  A capability over the socket's network namespace is not
 * enough: any user gets one with unshare -Urn.  Setting this lets every
 * local user load source: their code is still sandboxed and bounded, but
 * the whole Lua compiler and VM become kernel attack surface for them.
 */
static bool allow_unprivileged_load;
module_param(allow_unprivileged_load, bool, 0644);
MODULE_PARM_DESC(allow_unprivileged_load,
		 "Let any local user load Lua source into a socket (default: CAP_NET_ADMIN in the initial user namespace only); widens the kernel attack surface to every user");

static void set_error(struct luaulp_sock *ctx, const char *msg)
{
	strscpy(ctx->error, msg, sizeof(ctx->error));
}

/* A name the socket dump reads without ctx->lock; ctx->lock held. */
void luaulp_set_name(struct luaulp_sock *ctx, char *dst, const char *src)
{
	spin_lock(&ctx->names_lock);
	strscpy(dst, src, LUAULP_NAME_MAX + 1);
	spin_unlock(&ctx->names_lock);
}

/*
 * The store, and what luaulp stat reports as the owner, belong to whoever
 * loads the first script: captured here, at LOADSCRIPT or ATTACHNAME time,
 * not at TCP_ULP time (a socket can change hands over SCM_RIGHTS).  Code
 * loaded by one user never runs against another user's store: a load by a
 * different euid is EPERM.  ctx->lock held.
 */
int luaulp_sock_claim(struct luaulp_sock *ctx)
{
	kuid_t me = current_euid();

	if (ctx->uid_fixed)
		return uid_eq(ctx->uid, me) ? 0 : -EPERM;
	WRITE_ONCE(ctx->uid, me);
	ctx->uid_fixed = true;
	return 0;
}

/* Create the Lua state on first use, sharing CODE (a registered script's,
 * or NULL).  Called with ctx->lock held. */
int luaulp_sock_rt(struct luaulp_sock *ctx, struct luaulp_rt *code)
{
	int err;

	if (ctx->rt)
		return 0;
	err = code ? luaulp_rt_create_shared(&ctx->rt, NULL, code) :
		     luaulp_rt_create(&ctx->rt, NULL);
	if (err) {
		set_error(ctx, "cannot create a Lua state: out of memory");
		return err;
	}
	luaulp_rt_set_owner(ctx->rt, ctx);
	luaulp_rt_set_mirror(ctx->rt, &ctx->mem, &ctx->mem_max);
	err = luaulp_lib_open(ctx->rt);
	if (err) {
		set_error(ctx, luaulp_rt_error(ctx->rt));
		luaulp_rt_destroy(ctx->rt);
		ctx->rt = NULL;
		WRITE_ONCE(ctx->mem, 0);
		WRITE_ONCE(ctx->mem_max, 0);
	}
	return err;
}

static int luaulp_load_script(struct sock *sk, struct luaulp_sock *ctx,
			      sockptr_t optval, unsigned int optlen)
{
	char *src;
	int err;

	if (!READ_ONCE(allow_unprivileged_load) && !capable(CAP_NET_ADMIN))
		return -EPERM;
	if (optlen == 0)
		return -EINVAL;
	if (optlen > LUAULP_SCRIPT_MAX)
		return -EMSGSIZE;
	if (sockptr_is_null(optval))
		return -EFAULT;

	src = kvmalloc(optlen, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!src)
		return -ENOMEM;
	if (copy_from_sockptr(src, optval, optlen)) {
		err = -EFAULT;
		goto out_free;
	}

	err = mutex_lock_killable(&ctx->lock);
	if (err)
		goto out_free;
	err = luaulp_sock_claim(ctx);
	if (err)
		set_error(ctx, "this socket's scripts belong to another user");
	else
		err = luaulp_sock_rt(ctx, NULL);
	if (!err) {
		ctx->result[0] = '\0';
		err = luaulp_rt_exec(ctx->rt, src, optlen, "=script",
				     ctx->result, sizeof(ctx->result));
		set_error(ctx, err ? luaulp_rt_error(ctx->rt) : "");
		if (!err)
			luaulp_set_name(ctx, ctx->script, "(source)");
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
	if (mutex_lock_killable(&ctx->lock))
		return -EINTR;
	if (err == -EINVAL)
		set_error(ctx, "entry: not a Lua identifier of 1 to 64 characters");
	else if (!err)
		luaulp_set_name(ctx, entry, name);
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
	if (mutex_lock_killable(&ctx->lock))
		return -EINTR;
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
	if (mutex_lock_killable(&ctx->lock))
		return -EINTR;
	err = luaulp_sock_rt(ctx, NULL);
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
		if (mutex_lock_killable(&ctx->lock))
			return -EINTR;
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

	if (mutex_lock_killable(&ctx->lock))
		return -EINTR;
	if (optname == LUAULP_ONERROR)
		val = ctx->onerror;
	else
		val = min_t(size_t, INT_MAX, ctx->rt ?
			    luaulp_rt_memory_max(ctx->rt) : 0);
	mutex_unlock(&ctx->lock);
	return put_bytes(&val, sizeof(val), optval, optlen);
}

/*
 * The counters with the state's memory filled in, without ctx->lock: each
 * counter is one u64 read once (the writers hold ctx->lock), the memory
 * figures are the runtime's mirrors in ctx.  Any context; ctx kept alive by
 * the caller (a syscall on the socket, or RCU over the socket list).
 */
void luaulp_sock_stats(const struct luaulp_sock *ctx, struct luaulp_stats *st)
{
	const u64 *src = (const u64 *)&ctx->stats;
	u64 *dst = (u64 *)st;
	size_t i;

	BUILD_BUG_ON(sizeof(*st) % sizeof(u64));
	for (i = 0; i < sizeof(*st) / sizeof(u64); i++)
		dst[i] = READ_ONCE(src[i]);
	st->memory = READ_ONCE(ctx->mem);
	st->memory_max = READ_ONCE(ctx->mem_max);
	st->queued = READ_ONCE(ctx->tx_queued);
}

static int luaulp_get_stats(struct luaulp_sock *ctx, char __user *optval,
			    int __user *optlen)
{
	struct luaulp_stats st;

	luaulp_sock_stats(ctx, &st);
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

	if (mutex_lock_killable(&ctx->lock))
		return -EINTR;
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
