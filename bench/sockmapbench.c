// SPDX-License-Identifier: GPL-2.0
/*
 * sockmapbench: eBPF beside Lua, on the same filter (a stream containing
 * "EVIL-PAT" is refused), in the guest, interleaved in one run.
 *
 *   sockmapbench facts OBJ          what the kernel says when the two are
 *       combined (errnos), and what each does with a stream that matches
 *   sockmapbench filter REPS MIB OBJ   receive throughput with 64 KiB reads
 *       (MiB/s) and ns per 64-byte read of queued data: plain TCP; a
 *       sockmap with a passing stream verdict (bpf-pass); with the scanning
 *       verdict (bpf-scan); a Lua empty entry (lua-empty); the Lua entry
 *       scanning with string.find (lua-scan).  The per-read figure includes
 *       the write that queued the data (a verdict runs on arrival).
 *
 * OBJ is build/bench/sockmap_filter.bpf.o (bench/sockmap_filter.bpf.c),
 * loaded here with libbpf; the verdicts are attached to their sockmaps with
 * BPF_SK_SKB_STREAM_VERDICT and the receiving socket is put in the map.
 * Output: @row lines and "@fact KEY VALUE" lines (bench/common.h).
 */
#include "common.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define PATTERN "EVIL-PAT"
#define LUA_SCAN_SRC \
	"local find, RESET = string.find, luaulp.RESET\n" \
	"function e(d) if find(d, '" PATTERN "', 1, true) then return RESET end end"
#define LUA_EMPTY_SRC "function e(d) end"

static int map_scan, map_pass;

/* What the verifier made of the scanning program. */
static void prog_facts(int fd)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return;
	printf("@fact\tbpf_scan_program\t%u BPF instructions after the verifier "
	       "(xlated %u bytes, JITed %u bytes); the verifier processed %u "
	       "instructions to accept it\n", info.xlated_prog_len / 8,
	       info.xlated_prog_len, info.jited_prog_len, info.verified_insns);
}

static void bpf_setup(const char *obj_path)
{
	struct bpf_object *obj = bpf_object__open_file(obj_path, NULL);
	struct bpf_program *scan, *pass;

	if (!obj || libbpf_get_error(obj))
		die("bpf_object__open_file");
	if (bpf_object__load(obj))
		die("bpf_object__load (the verifier's log is above)");
	scan = bpf_object__find_program_by_name(obj, "verdict_scan");
	pass = bpf_object__find_program_by_name(obj, "verdict_pass");
	map_scan = bpf_object__find_map_fd_by_name(obj, "map_scan");
	map_pass = bpf_object__find_map_fd_by_name(obj, "map_pass");
	if (!scan || !pass || map_scan < 0 || map_pass < 0)
		die("bpf object: programs or maps missing");
	prog_facts(bpf_program__fd(scan));
	if (bpf_prog_attach(bpf_program__fd(scan), map_scan,
			    BPF_SK_SKB_STREAM_VERDICT, 0) ||
	    bpf_prog_attach(bpf_program__fd(pass), map_pass,
			    BPF_SK_SKB_STREAM_VERDICT, 0))
		die("bpf_prog_attach");
}

static int to_map(int map, int fd)
{
	__u32 key = 0;
	__u64 value = fd;

	return bpf_map_update_elem(map, &key, &value, BPF_ANY) ? -errno : 0;
}

enum variant { PLAIN, BPF_PASS, BPF_SCAN, LUA_EMPTY, LUA_SCAN, NVARIANT };
static const char *names[] = {
	"plain", "bpf-pass", "bpf-scan", "lua-empty", "lua-scan",
};

static void setup(int fd, enum variant v)
{
	int err = 0;

	switch (v) {
	case BPF_PASS:
		err = to_map(map_pass, fd);
		break;
	case BPF_SCAN:
		err = to_map(map_scan, fd);
		break;
	case LUA_EMPTY:
		attach_ulp(fd);
		load_source(fd, LUA_EMPTY_SRC, "e", NULL);
		break;
	case LUA_SCAN:
		attach_ulp(fd);
		load_source(fd, LUA_SCAN_SRC, "e", NULL);
		break;
	default:
		break;
	}
	if (err) {
		errno = -err;
		die("sockmap update");
	}
}

static void errno_fact(const char *key, int err)
{
	printf("@fact\t%s\t%s (%d)\n", key, err ? strerrorname_np(err) : "0 (accepted)",
	       err);
}

static int facts(void)
{
	char buf[256];
	int cli, srv, err;
	ssize_t r;

	/* A socket carrying the ULP into a sockmap. */
	pair(&cli, &srv);
	attach_ulp(srv);
	errno_fact("sockmap_update_on_ulp_socket", -to_map(map_pass, srv));
	close(cli);
	close(srv);

	/* The ULP onto a socket in a sockmap. */
	pair(&cli, &srv);
	if (to_map(map_pass, srv))
		die("sockmap update");
	err = setsockopt(srv, SOL_TCP, TCP_ULP, "lua", 3) ? errno : 0;
	errno_fact("tcp_ulp_lua_on_sockmap_socket", err);
	close(cli);
	close(srv);

	/* What each does with a matching stream. */
	pair(&cli, &srv);
	setup(srv, BPF_SCAN);
	if (write(cli, "hello " PATTERN " world", 20) != 20 ||
	    write(cli, "after", 5) != 5)
		die("write");
	usleep(200000);
	r = recv(srv, buf, sizeof(buf), MSG_DONTWAIT);
	printf("@fact\tbpf_scan_on_match\tread returns %zd%s%.*s%s\n", r,
	       r > 0 ? " bytes: \"" : r < 0 ? " " : "",
	       r > 0 ? (int)r : 0, buf,
	       r > 0 ? "\" (the matching skb was dropped, the connection lives on)"
		     : r < 0 ? strerrorname_np(errno) : "");
	close(cli);
	close(srv);

	pair(&cli, &srv);
	setup(srv, LUA_SCAN);
	if (write(cli, "hello " PATTERN " world", 20) != 20)
		die("write");
	usleep(200000);
	r = recv(srv, buf, sizeof(buf), 0);
	printf("@fact\tlua_scan_on_match\tread returns %zd %s%s\n", r,
	       r < 0 ? strerrorname_np(errno) : "",
	       r < 0 ? " (the connection is reset, the peer gets an RST)" : "");
	close(cli);
	close(srv);
	return 0;
}

static double stream(enum variant v, long mib)
{
	static char wbuf[1 << 16], rbuf[1 << 16];
	long total = mib << 20, got = 0;
	int cli, srv, status;
	double t0;
	pid_t pid;

	memset(wbuf, 'x', sizeof(wbuf));
	pair(&cli, &srv);
	setup(srv, v);
	t0 = now_ns();
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(srv);
		for (long sent = 0; sent < total; sent += sizeof(wbuf))
			if (write(cli, wbuf, sizeof(wbuf)) != sizeof(wbuf))
				_exit(1);
		_exit(0);
	}
	close(cli);
	while (got < total) {
		ssize_t r = read(srv, rbuf, sizeof(rbuf));

		if (r <= 0)
			die("stream read");
		got += r;
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		die("stream writer");
	close(srv);
	return (double)total / (1 << 20) / ((now_ns() - t0) / 1e9);
}

/*
 * ns per 64-byte read, the 32 KiB write that queues them included: a
 * verdict program runs as the data arrives (softirq, during the write on
 * loopback), an entry as it is read; timing both ends covers either.
 */
static double reads(enum variant v, long rounds)
{
	static char batch[32768];
	const long per_batch = sizeof(batch) / 64;
	char buf[64];
	int cli, srv;
	double t0;

	memset(batch, 'x', sizeof(batch));
	pair(&cli, &srv);
	setup(srv, v);
	t0 = now_ns();
	for (long done = 0; done < rounds; done += per_batch) {
		if (write(cli, batch, sizeof(batch)) != sizeof(batch))
			die("write");
		for (long i = 0; i < per_batch; i++) {
			ssize_t got = 0;

			while (got < (ssize_t)sizeof(buf)) {
				ssize_t r = read(srv, buf + got, sizeof(buf) - got);

				if (r <= 0)
					die("read");
				got += r;
			}
		}
	}
	t0 = now_ns() - t0;
	close(cli);
	close(srv);
	return t0 / rounds;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && !strcmp(argv[1], "facts")) {
		bpf_setup(argv[2]);
		return facts();
	}
	if (argc == 5 && !strcmp(argv[1], "filter")) {
		int reps = atoi(argv[2]);
		long mib = atol(argv[3]);

		bpf_setup(argv[4]);
		stream(PLAIN, mib / 4 + 1);
		for (int rep = 0; rep < reps; rep++)
			for (int v = 0; v < NVARIANT; v++) {
				row("filter", names[v], "65536", rep, "MiB/s", stream(v, mib));
				row("filter-reads64", names[v], "64", rep, "ns/read",
				    reads(v, 8192));
			}
		return 0;
	}
	fprintf(stderr, "usage: sockmapbench facts OBJ | filter REPS MIB OBJ\n");
	return 2;
}
