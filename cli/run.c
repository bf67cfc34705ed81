// SPDX-License-Identifier: GPL-2.0
/*
 * luaulp run SCRIPT [options] < INPUT: one connection of the kernel module,
 * without a kernel, so that script authors can test their scripts.  The
 * script code is the module's own (kernel/entry.c, lualib.c, store.c: the
 * verdicts, the luaulp table, the store, the limits); the socket around it
 * is runtime/simsock.c, written after the module's receive and send paths.
 *
 * The session: the peer's bytes (INPUT, or the "peer" records of a
 * --transcript) arrive in writes (--peer-writes sizes, default all at once;
 * --chunk N: N bytes at a time, so every entry call gets N bytes);
 * after each, the application reads until nothing is left, with reads of
 * the --reads sizes in turn (default 65536; "1p" is a 1-byte MSG_PEEK, as
 * nginx peeks): each read runs the receive entry on at most what the read
 * wants, as the kernel does.  The "app" records of a transcript are the
 * application's writes, through the send entry.  Then the peer closes and
 * the application reads to the end.
 *
 *   nil, false, luaulp.PASS   the chunk is delivered unchanged   -> stdout
 *   true, luaulp.DROP, ""     discarded
 *   a string                  delivered instead of the chunk     -> stdout
 *   luaulp.RESET              the connection is reset: exit 3
 *   luaulp.CLOSE              graceful refusal: exit 4
 *   an error (or any other value)  per --on-error: pass, reset or close
 *
 * stdout carries exactly what the application reads; what the peer
 * receives (send-entry output and luaulp.send()) goes to --sent FILE.
 * Errors, resets and closes are reported on stderr, every entry call with
 * -v; luaulp.log() lines too, rate-limited as in the kernel (10 lines per
 * 5 s) unless --no-log-limit.  --repeat N plays the session N times, as N connections sharing one
 * store (a cache's second request hits).  --peer-window N makes a peer that
 * stops reading after N bytes: then luaulp.send() fails with ENOBUFS once
 * 256 KiB wait, as in the kernel.  --registered compiles the script once
 * and has every connection share that code, as sockets attaching a
 * registered script by name do (LUAULP_ATTACHNAME); otherwise each loads
 * the source (LUAULP_LOADSCRIPT).  Exit status: 0, 1 the script did not
 * load, 2 usage, 3 reset, 4 closed.
 *
 * Transcript (--transcript FILE): records "peer N" or "app N" on a line of
 * their own, followed by exactly N bytes and an optional newline.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"

#ifdef LUAULP_HAVE_RUNTIME
#include <uapi/luaulp.h>

#include "runtime.h"
#include "script.h"
#include "simsock.h"

#define READ_MAX	(64 * 1024)	/* one read or peer write */
#define SIZES_MAX	64

struct sizes {
	size_t n[SIZES_MAX];
	bool peek[SIZES_MAX];
	int count, next;
};

struct run {
	FILE *sent;
	bool verbose;
	unsigned long calls[2];		/* receive, send entry calls */
	struct sizes reads, peer_writes;
};

/* What the peer receives. */
static void to_peer(void *arg, const char *p, size_t len)
{
	struct run *r = arg;

	if (r->sent)
		fwrite(p, 1, len, r->sent);
}

static const char *verdict_name(enum luaulp_verdict v)
{
	static const char *const names[] = {
		[LUAULP_PASS] = "pass", [LUAULP_DROP] = "drop",
		[LUAULP_REPLACE] = "replace", [LUAULP_RESET] = "reset",
		[LUAULP_CLOSE] = "close",
	};

	return names[v];
}

/* A line per entry call with -v; errors, resets and closes always. */
static void trace(void *arg, const struct luaulp_entry *e)
{
	struct run *r = arg;
	const char *dir = e->send ? "send " : "";
	unsigned long i = ++r->calls[e->send];

	if (e->error) {
		fprintf(stderr, "%schunk %lu: %zu bytes: error: %s\n", dir, i,
			e->filled, e->error);
		if (e->verdict == LUAULP_RESET || e->verdict == LUAULP_CLOSE)
			fprintf(stderr, "%schunk %lu: %s (on-error %s)\n", dir,
				i, verdict_name(e->verdict),
				verdict_name(e->verdict));
		return;
	}
	if (e->verdict == LUAULP_REPLACE) {
		if (r->verbose)
			fprintf(stderr, "%schunk %lu: %zu bytes: replace with %zu bytes\n",
				dir, i, e->filled, e->outlen);
		return;
	}
	if (r->verbose || e->verdict == LUAULP_RESET ||
	    e->verdict == LUAULP_CLOSE)
		fprintf(stderr, "%schunk %lu: %zu bytes: %s\n", dir, i,
			e->filled, verdict_name(e->verdict));
}

static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);

	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (got == 0)
			break;
		if (n == cap) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger) {
				free(buf);
				return NULL;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	if (buf && ferror(f)) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* "N[p],N[p],..." with each N in 1..READ_MAX (p: a peek, if PEEK_OK). */
static int parse_sizes(const char *opt, const char *arg, struct sizes *sz,
		       bool peek_ok)
{
	const char *p = arg;
	bool consumes = false;
	char *end;

	sz->count = 0;
	while (*p) {
		unsigned long v;

		errno = 0;
		v = strtoul(p, &end, 10);
		if (errno || end == p || v < 1 || v > READ_MAX ||
		    sz->count == SIZES_MAX)
			goto bad;
		sz->n[sz->count] = v;
		sz->peek[sz->count] = false;
		if (*end == 'p' && peek_ok) {
			sz->peek[sz->count] = true;
			end++;
		} else {
			consumes = true;
		}
		sz->count++;
		if (*end == ',')
			end++;
		else if (*end)
			goto bad;
		p = end;
	}
	if (sz->count && consumes)
		return 0;
bad:
	fprintf(stderr, "%s: run: --%s \"%s\" is not in 1..%d%s\n", prog, opt,
		arg, READ_MAX, peek_ok ? " (a list, \"p\" for a peek, one read at least)" : "");
	return 2;
}

/* The application reads until nothing is left (-EAGAIN) or the end;
 * returns 0, or -ECONNRESET. */
static int drain(struct run *r, struct luaulp_simsock *s)
{
	static char buf[READ_MAX];

	for (;;) {
		struct sizes *sz = &r->reads;
		int i = sz->next;
		ssize_t n;

		sz->next = (sz->next + 1) % sz->count;
		n = luaulp_simsock_read(s, buf, sz->n[i],
					sz->peek[i] ? MSG_PEEK : 0);
		if (n == -EAGAIN || n == 0)
			return 0;
		if (n < 0)
			return (int)n;
		if (!sz->peek[i])
			fwrite(buf, 1, n, stdout);
	}
}

static void peer_writes(struct run *r, struct luaulp_simsock *s,
			const char *p, size_t len)
{
	struct sizes *sz = &r->peer_writes;

	while (len) {
		size_t n = len;

		if (sz->count) {
			n = sz->n[sz->next] < len ? sz->n[sz->next] : len;
			sz->next = (sz->next + 1) % sz->count;
		}
		luaulp_simsock_peer(s, p, n, false);
		if (drain(r, s))
			return;
		p += n;
		len -= n;
	}
}

/* The transcript's records in order; 0, 2 on a malformed transcript. */
static int play_transcript(struct run *r, struct luaulp_simsock *s,
			   const char *t, size_t tlen)
{
	size_t off = 0;

	while (off < tlen) {
		char who[8];
		unsigned long n;
		int used = 0;
		const char *nl = memchr(t + off, '\n', tlen - off);

		if (!nl || sscanf(t + off, "%7s %lu%n", who, &n, &used) != 2 ||
		    t + off + used != nl || n > tlen - (nl + 1 - t)) {
			fprintf(stderr, "%s: run: transcript: bad record at byte %zu\n",
				prog, off);
			return 2;
		}
		off = nl + 1 - t;
		if (!strcmp(who, "peer")) {
			peer_writes(r, s, t + off, n);
		} else if (!strcmp(who, "app")) {
			ssize_t w = luaulp_simsock_write(s, t + off, n);

			if (w >= 0 && (size_t)w < n)
				fprintf(stderr, "app: %zd of %lu bytes written\n",
					w, n);
			else if (w < 0)
				fprintf(stderr, "app: write: %s\n", strerror(-w));
			drain(r, s);
		} else {
			fprintf(stderr, "%s: run: transcript: \"%s\" is not peer or app\n",
				prog, who);
			return 2;
		}
		off += n;
		if (off < tlen && t[off] == '\n')
			off++;
		if (luaulp_simsock_was_reset(s) || luaulp_simsock_was_closed(s))
			break;
	}
	return 0;
}

static void print_stats(const struct luaulp_stats *st)
{
	fprintf(stderr, "recv_calls=%llu bytes_in=%llu discards=%llu "
		"replacements=%llu resets=%llu errors=%llu budget_hits=%llu "
		"memory_hits=%llu kernel_sent=%llu",
		(unsigned long long)st->recv_calls,
		(unsigned long long)st->bytes_in,
		(unsigned long long)st->discards,
		(unsigned long long)st->replacements,
		(unsigned long long)st->resets,
		(unsigned long long)st->errors,
		(unsigned long long)st->budget_hits,
		(unsigned long long)st->memory_hits,
		(unsigned long long)st->kernel_sent);
	if (st->send_calls || st->closes)
		fprintf(stderr, " send_calls=%llu bytes_out=%llu closes=%llu",
			(unsigned long long)st->send_calls,
			(unsigned long long)st->bytes_out,
			(unsigned long long)st->closes);
	fputc('\n', stderr);
}

static int usage(void)
{
	fprintf(stderr, "Usage: %s run SCRIPT [--entry F] [--send-entry F] [--reads N[p],...]\n"
		"       [--chunk N] [--peer-writes N,...] [--transcript FILE] [--repeat N]\n"
		"       [--peer-window N] [--nonblock] [--on-error pass|reset|close]\n"
		"       [--sent FILE] [--stats] [--no-log-limit] [--registered] [-v] < INPUT\n", prog);
	return 2;
}

struct opts {
	const char *entry, *send_entry, *script, *transcript;
	int onerror;
	unsigned long repeat;
	size_t window;
	bool stats, nonblock, log_unlimited, registered;
};

static int parse(int argc, char **argv, struct run *r, struct opts *o)
{
	static const struct option longopts[] = {
		{ "entry", required_argument, NULL, 'e' },
		{ "send-entry", required_argument, NULL, 'E' },
		{ "chunk", required_argument, NULL, 'c' },
		{ "reads", required_argument, NULL, 'r' },
		{ "peer-writes", required_argument, NULL, 'w' },
		{ "transcript", required_argument, NULL, 't' },
		{ "repeat", required_argument, NULL, 'R' },
		{ "peer-window", required_argument, NULL, 'W' },
		{ "nonblock", no_argument, NULL, 'n' },
		{ "on-error", required_argument, NULL, 'o' },
		{ "sent", required_argument, NULL, 's' },
		{ "stats", no_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "no-log-limit", no_argument, NULL, 'L' },
		{ "registered", no_argument, NULL, 'G' },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int opt;

	while ((opt = getopt_long(argc, argv, "e:c:no:s:Sv", longopts, NULL)) != -1) {
		switch (opt) {
		case 'e':
			o->entry = optarg;
			break;
		case 'E':
			o->send_entry = optarg;
			break;
		case 'c':
			/* Fixed chunks: the peer sends N bytes at a time, the
			 * application reads each before the next comes. */
			if (parse_sizes("chunk", optarg, &r->peer_writes, false) ||
			    r->peer_writes.count != 1)
				return 2;
			break;
		case 'r':
			if (parse_sizes("reads", optarg, &r->reads, true))
				return 2;
			break;
		case 'w':
			if (parse_sizes("peer-writes", optarg, &r->peer_writes, false))
				return 2;
			break;
		case 't':
			o->transcript = optarg;
			break;
		case 'R':
		case 'W':
			errno = 0;
			if (opt == 'R')
				o->repeat = strtoul(optarg, &end, 10);
			else
				o->window = strtoul(optarg, &end, 10);
			if (errno || *end || (opt == 'R' && !o->repeat)) {
				fprintf(stderr, "%s: run: bad number \"%s\"\n",
					prog, optarg);
				return 2;
			}
			break;
		case 'n':
			o->nonblock = true;
			break;
		case 'o':
			if (!strcmp(optarg, "pass")) {
				o->onerror = LUAULP_ONERROR_PASS;
			} else if (!strcmp(optarg, "reset")) {
				o->onerror = LUAULP_ONERROR_RESET;
			} else if (!strcmp(optarg, "close")) {
				o->onerror = LUAULP_ONERROR_CLOSE;
			} else {
				fprintf(stderr, "%s: run: --on-error \"%s\" is not pass, reset or close\n",
					prog, optarg);
				return 2;
			}
			break;
		case 's':
			r->sent = fopen(optarg, "wb");
			if (!r->sent) {
				fprintf(stderr, "%s: run: %s: %s\n", prog, optarg,
					strerror(errno));
				return 1;
			}
			break;
		case 'S':
			o->stats = true;
			break;
		case 'v':
			r->verbose = true;
			break;
		case 'L':
			o->log_unlimited = true;
			break;
		case 'G':
			o->registered = true;
			break;
		default:
			return usage();
		}
	}
	if (optind + 1 != argc)
		return usage();
	o->script = argv[optind];
	return 0;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *s;

	if (!f) {
		fprintf(stderr, "%s: run: %s: %s\n", prog, path, strerror(errno));
		return NULL;
	}
	s = read_all(f, len);
	fclose(f);
	if (!s)
		fprintf(stderr, "%s: run: cannot read %s\n", prog, path);
	return s;
}

/* One connection: 0, 1 (the script did not load), 2, 3 reset, 4 closed. */
static int connection(struct run *r, const struct opts *o,
		      struct luaulp_store *store, struct luaulp_rt *code,
		      const char *src,
		      size_t src_len, const char *input, size_t in_len,
		      struct luaulp_stats *total)
{
	struct luaulp_simsock_cfg cfg = {
		.store = store,
		.code = code,
		.to_peer = to_peer,
		.arg = r,
		.peer_window = o->window,
		.nonblock = o->nonblock,
		.log_unlimited = o->log_unlimited,
		.trace = trace,
		.info = {
			.local_addr = "127.0.0.1", .local_port = 80,
			.remote_addr = "127.0.0.1", .remote_port = 40000,
		},
	};
	const struct luaulp_stats *st;
	struct luaulp_simsock *s;
	char chunkname[512];
	int ret = 0;

	if (luaulp_simsock_create(&s, &cfg)) {
		fprintf(stderr, "%s: run: out of memory\n", prog);
		return 1;
	}
	snprintf(chunkname, sizeof(chunkname), "@%s", o->script);
	if (code ? luaulp_simsock_run_code(s) :
		   luaulp_simsock_load(s, src, src_len, chunkname)) {
		fprintf(stderr, "%s\n", luaulp_simsock_error(s));
		luaulp_simsock_destroy(s);
		return 1;
	}
	luaulp_simsock_set_entries(s, o->entry, o->send_entry);
	luaulp_simsock_set_onerror(s, o->onerror);
	r->reads.next = r->peer_writes.next = 0;
	if (o->transcript)
		ret = play_transcript(r, s, input, in_len);
	else
		peer_writes(r, s, input, in_len);
	if (!ret) {
		luaulp_simsock_peer(s, NULL, 0, true);
		drain(r, s);
		if (luaulp_simsock_was_reset(s))
			ret = 3;
		else if (luaulp_simsock_was_closed(s))
			ret = 4;
	}
	st = luaulp_simsock_stats(s);
	for (size_t i = 0; i < sizeof(*st) / sizeof(__u64); i++)
		((__u64 *)total)[i] += ((const __u64 *)st)[i];
	luaulp_simsock_destroy(s);
	return ret;
}

int cmd_run(int argc, char **argv)
{
	struct run r = { 0 };
	struct opts o = {
		.entry = "recv", .repeat = 1, .onerror = LUAULP_ONERROR_PASS,
	};
	struct luaulp_stats total = { 0 };
	struct luaulp_store *store = NULL;
	struct luaulp_rt *code = NULL;
	char *src = NULL, *input = NULL;
	size_t src_len, in_len;
	int ret;

	r.reads.n[0] = READ_MAX;
	r.reads.count = 1;
	ret = parse(argc, argv, &r, &o);
	if (ret)
		goto out;
	ret = 1;
	src = read_file(o.script, &src_len);
	if (!src)
		goto out;
	input = o.transcript ? read_file(o.transcript, &in_len) :
			       read_all(stdin, &in_len);
	if (!input) {
		if (!o.transcript)
			fprintf(stderr, "%s: run: cannot read the input\n", prog);
		goto out;
	}
	store = luaulp_store_create();
	if (!store) {
		fprintf(stderr, "%s: run: out of memory\n", prog);
		goto out;
	}
	if (o.registered) {
		char chunkname[512];

		snprintf(chunkname, sizeof(chunkname), "@%s", o.script);
		if (luaulp_rt_create(&code, NULL) ||
		    luaulp_rt_compile(code, src, src_len, chunkname)) {
			fprintf(stderr, "%s\n", code ? luaulp_rt_error(code) :
				"out of memory");
			goto out;
		}
		luaulp_rt_freeze(code);
	}
	for (unsigned long i = 0; i < o.repeat; i++) {
		ret = connection(&r, &o, store, code, src, src_len, input,
				 in_len, &total);
		if (ret == 1 || ret == 2)
			break;
	}
	fflush(stdout);
	if (o.stats)
		print_stats(&total);
out:
	luaulp_store_destroy(store);
	luaulp_rt_destroy(code);	/* after every state that shared it */
	if (r.sent)
		fclose(r.sent);
	free(src);
	free(input);
	return ret;
}
#else
int cmd_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "%s: run: not available in this build: it needs the "
		"user-space runtime (runtime/build.mk)\n", prog);
	return 2;
}
#endif
