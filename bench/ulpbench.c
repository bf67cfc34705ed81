// SPDX-License-Identifier: GPL-2.0
/*
 * ulpbench: what scripting a socket costs, measured in the guest on
 * loopback, every variant beside its plain-TCP baseline in the same run,
 * the variants interleaved within each repetition.  Run by bench/guest
 * (make bench); each subcommand prints @row lines (bench/common.h).
 *
 *   ulpbench recv REPS MIB GUARD    receive throughput (MiB/s) with 512 B,
 *       4 KiB and 64 KiB reads: plain, ULP without entry, empty entry,
 *       byte counter; plain with one and two more copies of each read in
 *       user space (the price of a copy); and on a stream of pipelined
 *       HTTP requests: plain against GUARD (http_guard.lua, entry guard)
 *   ulpbench send REPS MIB          send throughput with 512 B, 4 KiB and
 *       64 KiB writes: plain, ULP without entry, empty and counting send
 *       entries
 *   ulpbench reads REPS ROUNDS      ns per 64-byte read of queued data
 *   ulpbench rtt REPS N GUARD       round trips of a small HTTP request and
 *       response (p50, p99 in us): plain, empty receive entry, empty
 *       receive and send entries, http_guard with its send entry
 *   ulpbench accept REPS N          connect + accept (+ attach) per second:
 *       plain, ULP only, source pushed per connection (LOADSCRIPT) and the
 *       registered script by name (ATTACHNAME) for bench.pass and
 *       bench.guard (registered by the caller, sources in $BENCH_SCRIPTS)
 *   ulpbench mem N NAME FEED        N connections attached by name to
 *       registered script NAME ("plain": none, "ulp": the ULP only;
 *       FILE@ENTRY: FILE's source pushed per connection), FEED
 *       "http" sends one request through each first: per connection the
 *       live_bytes parameter, the state's own count, slab and used memory
 *
 * Numbers under qemu TCG mean little alone: the ratios to the baseline of
 * the same run are the result.
 */
#include "common.h"

#define EMPTY_SRC "function e(d, n, nb) end"
#define COUNTER_SRC "local bytes = 0 function e(d, n, nb) bytes = bytes + n end"

static const size_t sizes[] = { 512, 4096, 65536 };
static const char *size_names[] = { "512", "4096", "65536" };

enum variant { PLAIN, ULP, EMPTY, COUNTER, GUARD, NVARIANT };
static const char *variant_names[] = {
	"plain", "ulp-no-entry", "empty-entry", "counter", "http_guard",
};

static const char *guard_src;

/* Script FD for VARIANT as receiver (send == false) or sender. */
static void setup(int fd, enum variant v, bool send)
{
	if (v == PLAIN)
		return;
	attach_ulp(fd);
	switch (v) {
	case EMPTY:
		load_source(fd, EMPTY_SRC, send ? NULL : "e", send ? "e" : NULL);
		break;
	case COUNTER:
		load_source(fd, COUNTER_SRC, send ? NULL : "e", send ? "e" : NULL);
		break;
	case GUARD:
		load_source(fd, guard_src, "guard", send ? "guard_send" : NULL);
		break;
	default:
		break;
	}
}

/* 64 KiB of whole units of UNIT (or zeros): what the writer repeats. */
static size_t fill(char *buf, size_t cap, const char *unit)
{
	size_t ul, n = 0;

	if (!unit) {
		memset(buf, 'x', cap);
		return cap;
	}
	ul = strlen(unit);
	while (n + ul <= cap) {
		memcpy(buf + n, unit, ul);
		n += ul;
	}
	return n;
}

/* Write TOTAL bytes of BUF[0..blen) repeated to FD in WSIZE writes. */
static int write_stream(int fd, const char *buf, size_t blen, size_t wsize,
			long total)
{
	long sent = 0;
	size_t off = 0;

	while (sent < total) {
		size_t n = blen - off < wsize ? blen - off : wsize;
		ssize_t w = write(fd, buf + off, n);

		if (w <= 0)
			return -1;
		sent += w;
		off = (off + w) % blen;
	}
	return 0;
}

/* Copies of each read the reader makes in user space (variants
 * plain+1copy, plain+2copies): what one more copy of the data costs here,
 * the yardstick for a data path that copies less. */
static int extra_copies;

static long read_stream(int fd, size_t rsize, long total)
{
	static char rbuf[1 << 16], cbuf[2][1 << 16];
	long got = 0;

	while (got < total) {
		ssize_t r = read(fd, rbuf, rsize);

		if (r <= 0)
			return -1;
		for (int c = 0; c < extra_copies; c++) {
			memcpy(cbuf[c], c ? cbuf[c - 1] : rbuf, r);
			asm volatile("" : : "r"(cbuf[c]) : "memory");
		}
		got += r;
	}
	return got;
}

/*
 * MiB/s of TOTAL bytes through a loopback pair, read with RSIZE reads
 * (receive side scripted) or written with RSIZE writes (send side).
 */
static double stream(enum variant v, bool send, size_t rsize, long kib,
		     const char *unit)
{
	static char wbuf[1 << 16];
	size_t blen = fill(wbuf, sizeof(wbuf), unit);
	long total = ((kib << 10) + blen - 1) / blen * blen;
	int cli, srv, status;
	double t0, t;
	pid_t pid;

	pair(&cli, &srv);
	setup(send ? cli : srv, v, send);
	t0 = now_ns();
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(send ? cli : srv);
		if (send)
			_exit(read_stream(srv, 65536, total) == total ? 0 : 1);
		_exit(write_stream(cli, wbuf, blen, 65536, total) ? 1 : 0);
	}
	close(send ? srv : cli);
	if (send) {
		if (write_stream(cli, wbuf, blen, rsize, total))
			die("stream write");
	} else if (read_stream(srv, rsize, total) != total) {
		die("stream read");
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		die("stream peer");
	t = now_ns() - t0;
	close(send ? cli : srv);
	return (double)total / (1 << 20) / (t / 1e9);
}

static int bench_stream(bool send, int reps, long mib)
{
	const char *section = send ? "send" : "recv";
	int nv = send ? COUNTER + 1 : NVARIANT;

	/* http_guard reads a stream of requests ~100x slower: a sixteenth */
	long kib = mib << 10, http_kib = kib / 16;

	stream(PLAIN, send, 65536, kib / 4, NULL);	/* warm up */
	for (int rep = 0; rep < reps; rep++)
		for (int z = 0; z < 3; z++)
			for (int v = 0; v < nv; v++) {
				double mbs;

				if (v == GUARD && !send) {
					for (extra_copies = 1; extra_copies <= 2; extra_copies++) {
						mbs = stream(PLAIN, false, sizes[z], kib, NULL);
						row(section, extra_copies == 1 ? "plain+1copy" :
						    "plain+2copies", size_names[z], rep, "MiB/s", mbs);
					}
					extra_copies = 0;
				}
				if (v == GUARD) {
					/* the same HTTP stream, plain and guarded */
					mbs = stream(PLAIN, send, sizes[z], http_kib, http_request);
					row(section, "http-plain", size_names[z], rep, "MiB/s", mbs);
					row(section, "http-plain", size_names[z], rep, "req/s",
					    mbs * (1 << 20) / strlen(http_request));
				}
				mbs = stream(v, send, sizes[z], v == GUARD ? http_kib : kib,
					     v == GUARD ? http_request : NULL);
				row(section, variant_names[v], size_names[z], rep, "MiB/s", mbs);
				if (v == GUARD)
					row(section, variant_names[v], size_names[z], rep, "req/s",
					    mbs * (1 << 20) / strlen(http_request));
			}
	return 0;
}

/*
 * ns per 64-byte read from a socket whose data is already queued (the
 * client writes 32 KiB batches in the same process): one tcp_recvmsg and,
 * when scripted, one entry call per read.
 */
static double reads(enum variant v, long rounds)
{
	static char batch[32768];
	const long per_batch = sizeof(batch) / 64;
	char buf[64];
	int cli, srv;
	double t = 0;

	pair(&cli, &srv);
	setup(srv, v, false);
	for (long done = 0; done < rounds; done += per_batch) {
		double t0;

		if (write(cli, batch, sizeof(batch)) != sizeof(batch))
			die("write");
		t0 = now_ns();
		for (long i = 0; i < per_batch; i++) {
			ssize_t got = 0;

			while (got < (ssize_t)sizeof(buf)) {
				ssize_t r = read(srv, buf + got, sizeof(buf) - got);

				if (r <= 0)
					die("read");
				got += r;
			}
		}
		t += now_ns() - t0;
	}
	close(cli);
	close(srv);
	return t / rounds;
}

static int bench_reads(int reps, long rounds)
{
	reads(PLAIN, rounds / 10);
	for (int rep = 0; rep < reps; rep++)
		for (int v = 0; v <= COUNTER; v++)
			row("reads64", variant_names[v], "64", rep, "ns/read",
			    reads(v, rounds));
	return 0;
}

static const char http_response[] =
	"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok";

static int read_exact(int fd, char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);

		if (r <= 0)
			return -1;
		got += r;
	}
	return 0;
}

/* RTT percentiles of N request/response pairs; the server is scripted. */
static void rtt(int variant, long n, int rep)
{
	static const char *names[] = { "plain", "empty-entry",
				       "empty-recv+send", "http_guard" };
	size_t qlen = strlen(http_request), plen = strlen(http_response);
	char buf[4096];
	double *v = malloc(n * sizeof(*v));
	int cli, srv, status;
	pid_t pid;

	pair(&cli, &srv);
	if (variant == 1) {
		attach_ulp(srv);
		load_source(srv, EMPTY_SRC, "e", NULL);
	} else if (variant == 2) {
		attach_ulp(srv);
		load_source(srv, EMPTY_SRC, "e", "e");
	} else if (variant == 3) {
		setup(srv, GUARD, true);
	}
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(cli);
		for (long i = 0; i < n + 50; i++)
			if (read_exact(srv, buf, qlen) ||
			    write(srv, http_response, plen) != (ssize_t)plen)
				_exit(1);
		_exit(0);
	}
	close(srv);
	for (long i = 0; i < n + 50; i++) {
		double t0 = now_ns();

		if (write(cli, http_request, qlen) != (ssize_t)qlen ||
		    read_exact(cli, buf, plen))
			die("rtt");
		if (i >= 50)
			v[i - 50] = now_ns() - t0;
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		die("rtt server");
	close(cli);
	row("rtt", names[variant], "http", rep, "p50_us", percentile(v, n, 50) / 1e3);
	row("rtt", names[variant], "http", rep, "p99_us", percentile(v, n, 99) / 1e3);
	free(v);
}

static int bench_rtt(int reps, long n)
{
	for (int rep = 0; rep < reps; rep++)
		for (int variant = 0; variant < 4; variant++)
			rtt(variant, n, rep);
	return 0;
}

/* Connect + accept (+ attach and script) N times: per second. */
static double accepts(int variant, long n, const char *pass_src)
{
	struct sockaddr_in a;
	int l = listener(&a, 128);
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		int cli = socket(AF_INET, SOCK_STREAM, 0), srv;

		if (cli < 0 || connect(cli, (void *)&a, sizeof(a)))
			die("connect");
		srv = accept(l, NULL, NULL);
		if (srv < 0)
			die("accept");
		if (variant >= 1)
			attach_ulp(srv);
		if (variant == 2)
			load_source(srv, pass_src, "entry", NULL);
		else if (variant == 3)
			attach_name(srv, "bench.pass");
		else if (variant == 4)
			load_source(srv, guard_src, "guard", "guard_send");
		else if (variant == 5)
			attach_name(srv, "bench.guard");
		if (variant == 3 || variant == 5) {
			const char *e = variant == 3 ? "entry" : "guard";

			if (setsockopt(srv, SOL_LUA, LUAULP_ENTRYPOINT, e, strlen(e)))
				die("entrypoint");
		}
		close(cli);
		close(srv);
	}
	close(l);
	return n / ((now_ns() - t0) / 1e9);
}

static int bench_accept(int reps, long n, const char *pass_src)
{
	static const char *names[] = { "plain", "ulp-only", "pass-source",
				       "pass-name", "guard-source", "guard-name" };

	accepts(0, n / 4 + 1, pass_src);
	for (int rep = 0; rep < reps; rep++)
		for (int v = 0; v < 6; v++)
			row("accept", names[v], "conn", rep, "accepts/s",
			    accepts(v, n, pass_src));
	return 0;
}

static long param(const char *name)
{
	char path[128], buf[64];
	int fd;
	ssize_t r;

	snprintf(path, sizeof(path), "/sys/module/luaulp/parameters/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die(path);
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		die(path);
	buf[r] = 0;
	return atol(buf);
}

/* kB of "Slab:" and of memory in use (MemTotal - MemFree - Buffers - Cached). */
static void meminfo(long *slab, long *used)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char key[64];
	long v, total = 0, mfree = 0, buffers = 0, cached = 0;

	*slab = 0;
	if (!f)
		die("/proc/meminfo");
	while (fscanf(f, "%63s %ld kB\n", key, &v) == 2) {
		if (!strcmp(key, "Slab:"))
			*slab = v;
		else if (!strcmp(key, "MemTotal:"))
			total = v;
		else if (!strcmp(key, "MemFree:"))
			mfree = v;
		else if (!strcmp(key, "Buffers:"))
			buffers = v;
		else if (!strcmp(key, "Cached:"))
			cached = v;
	}
	fclose(f);
	*used = total - mfree - buffers - cached;
}

/* The receive entry of the registered scripts bench/guest registers. */
static const char *recv_entry(const char *name)
{
	static const char *const map[][2] = {
		{ "bench.pass", "entry" }, { "bench.counter", "count" },
		{ "bench.guard", "guard" }, { "bench.cache", "cache_recv" },
		{ "bench.sni", "filter" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(name, map[i][0]))
			return map[i][1];
	return NULL;
}

static int bench_mem(long n, const char *name, const char *feed)
{
	int *cli = calloc(n, sizeof(int)), *srv = calloc(n, sizeof(int));
	long live0, slab0, used0, live1, slab1, used1;
	struct luaulp_stats st = { 0 };
	socklen_t sl = sizeof(st);
	size_t qlen = strlen(http_request);
	char buf[4096];
	int l;
	struct sockaddr_in a;
	char *src = NULL;

	/* FILE@ENTRY: the source pushed per connection instead */
	if (strchr(name, '@')) {
		char *file = strndup(name, strchr(name, '@') - name);

		src = slurp(file);
		free(file);
	}
	more_files();
	l = listener(&a, 4096);
	sync();
	meminfo(&slab0, &used0);
	live0 = param("live_bytes");
	for (long i = 0; i < n; i++) {
		cli[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (cli[i] < 0 || connect(cli[i], (void *)&a, sizeof(a)))
			die("connect");
		srv[i] = accept(l, NULL, NULL);
		if (srv[i] < 0)
			die("accept");
		if (strcmp(name, "plain"))
			attach_ulp(srv[i]);
		if (src)
			load_source(srv[i], src, NULL, NULL);
		else if (strcmp(name, "plain") && strcmp(name, "ulp"))
			attach_name(srv[i], name);
		if (!strcmp(feed, "http")) {
			const char *e = src ? strchr(name, '@') + 1 : recv_entry(name);

			if (e && setsockopt(srv[i], SOL_LUA, LUAULP_ENTRYPOINT, e, strlen(e)))
				die("entrypoint");
			if (write(cli[i], http_request, qlen) != (ssize_t)qlen ||
			    read_exact(srv[i], buf, qlen))
				die("feed");
		}
	}
	meminfo(&slab1, &used1);
	live1 = param("live_bytes");
	if (strcmp(name, "plain") &&
	    getsockopt(srv[0], SOL_LUA, LUAULP_STATS, &st, &sl))
		die("LUAULP_STATS");
	row("mem", name, feed, 0, "live_bytes_per_conn", (double)(live1 - live0) / n);
	row("mem", name, feed, 0, "live_bytes_total", (double)(live1 - live0));
	row("mem", name, feed, 0, "stat_memory", (double)st.memory);
	row("mem", name, feed, 0, "slab_bytes_per_conn", (slab1 - slab0) * 1024.0 / n);
	row("mem", name, feed, 0, "used_bytes_per_conn", (used1 - used0) * 1024.0 / n);
	for (long i = 0; i < n; i++) {
		close(cli[i]);
		close(srv[i]);
	}
	close(l);
	free(cli);
	free(srv);
	free(src);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	int reps = argc > 2 ? atoi(argv[2]) : 0;
	long n = argc > 3 ? atol(argv[3]) : 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc == 5 && (!strcmp(cmd, "recv") || !strcmp(cmd, "rtt") ||
			  !strcmp(cmd, "accept")))
		guard_src = slurp(argv[4]);
	if (argc == 5 && !strcmp(cmd, "recv") && reps > 0 && n > 0)
		return bench_stream(false, reps, n);
	if (argc == 4 && !strcmp(cmd, "send") && reps > 0 && n > 0)
		return bench_stream(true, reps, n);
	if (argc == 4 && !strcmp(cmd, "reads") && reps > 0 && n > 0)
		return bench_reads(reps, n);
	if (argc == 5 && !strcmp(cmd, "rtt") && reps > 0 && n > 0)
		return bench_rtt(reps, n);
	if (argc == 6 && !strcmp(cmd, "accept") && reps > 0 && n > 0) {
		guard_src = slurp(argv[5]);
		return bench_accept(reps, n, slurp(argv[4]));
	}
	if (argc == 5 && !strcmp(cmd, "mem"))
		return bench_mem(atol(argv[2]), argv[3], argv[4]);
	fprintf(stderr,
		"usage: ulpbench recv REPS MIB GUARD | send REPS MIB | reads REPS ROUNDS\n"
		"       | rtt REPS N GUARD | accept REPS N PASS GUARD | mem N NAME FEED\n");
	return 2;
}
