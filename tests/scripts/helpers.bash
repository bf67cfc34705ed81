# SPDX-License-Identifier: GPL-2.0
# Shared by tests/scripts/*.bats: running scripts through `luaulp run` on
# the host, and (in the guest) nginx with and without the shim.

load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
CLI=$ROOT/build/cli/luaulp
LIB=$ROOT/build/preload/libluaulp.so
SCRIPTS=$ROOT/scripts

scripts_setup() {
	[ -x "$CLI" ] || fail "build first: make user"
	T=$(mktemp -d /tmp/luaulp-scripts.XXXXXX)
}

scripts_teardown() {
	[ -n "${T:-}" ] && rm -rf "$T"
}

# feed SCRIPT ENTRY [ARGS...] < INPUT: luaulp run; what the application
# reads in $T/out, what the peer got from the kernel in $T/sent; status,
# stderr in $output.
feed() {
	run _feed "$@"
}

# shellcheck disable=SC2069 # stderr to the caller, stdout to the file
_feed() {
	local script=$1 entry=$2
	shift 2
	"$CLI" run "$script" --entry "$entry" --sent "$T/sent" "$@" 2>&1 >"$T/out"
}

# splits SCRIPT ENTRY INPUT_FILE: every chunk size and every two-way split
# of the input through fresh copies of the script (tests/scripts/splits.lua);
# one verdict line per way, in $output.
splits() {
	local script=$1 entry=$2 in=$3 len i
	len=$(stat -c %s "$in")
	grep -q ']=====]' "$script" && fail "$script holds the harness's bracket"
	{
		printf 'SRC = [=====[\n'
		cat "$script"
		printf ']=====]\nENTRY = "%s"\nLEN = %d\n' "$entry" "$len"
		cat "$BATS_TEST_DIRNAME/splits.lua"
	} >"$T/harness.lua"
	# 2*len-1 copies of the input, by doubling
	cp "$in" "$T/splits.in"
	for ((i = 1; i < 2 * len; i *= 2)); do
		cat "$T/splits.in" "$T/splits.in" >"$T/splits.tmp"
		mv "$T/splits.tmp" "$T/splits.in"
	done
	head -c $(((2 * len - 1) * len)) "$T/splits.in" >"$T/splits.tmp"
	mv "$T/splits.tmp" "$T/splits.in"
	run "$CLI" run "$T/harness.lua" --entry harness --chunk "$len" <"$T/splits.in"
}

# every_way VERDICT: each line of the last `splits` says VERDICT (and there
# is at least one).
every_way() {
	[ -n "$output" ] || fail "no verdicts"
	local bad
	bad=$(grep -v ": $1\$" <<<"$output" | head -5)
	[ -z "$bad" ] || fail "expected \"$1\" every way; differs: $bad"
}

# --- guest: nginx with the shim ---------------------------------------------

# free_port: an unused loopback port (bash only).
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		(exec 9<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

# nginx_start RULE [HTTP_DIRECTIVES [SERVER1_DIRECTIVES]]: stock nginx
# (workers as www-data) under the shim, serving $T/www on 127.0.0.1:$P1 and
# [::1]:$P1 (with SERVER1_DIRECTIVES: TLS) and on 127.0.0.1:$P2, with one
# policy rule for port $P1: RULE is the rest of the rule (script, entry...).
# Port $P2 stays unscripted: the same server without the script, to compare
# with.  $SERVER1_EXTRA, if set, goes into the first server block too.
nginx_start() {
	command -v nginx >/dev/null || fail "nginx is not installed"
	[ -r "$LIB" ] || fail "build first: make user"
	mkdir -p "$T/www" "$T/tmp"
	echo "hello from nginx" >"$T/www/index.html"
	head -c 20000 /dev/urandom | base64 >"$T/www/big.txt"
	chmod -R a+rX "$T"
	P1=$(free_port)
	P2=$(free_port)
	while [ "$P2" = "$P1" ]; do P2=$(free_port); done
	cat >"$T/nginx.conf" <<-EOC
	user www-data;
	worker_processes 1;
	pid $T/nginx.pid;
	error_log $T/error.log;
	events { worker_connections 64; }
	http {
	    access_log $T/access.log;
	    client_body_temp_path $T/tmp/body;
	    proxy_temp_path $T/tmp/proxy;
	    fastcgi_temp_path $T/tmp/fastcgi;
	    uwsgi_temp_path $T/tmp/uwsgi;
	    scgi_temp_path $T/tmp/scgi;
	    server_tokens off;
	    ${2:-}
	    server { listen 127.0.0.1:$P1 ${3:+ssl}; listen [::1]:$P1 ${3:+ssl}; root $T/www; ${3:-} ${SERVER1_EXTRA:-} }
	    server { listen 127.0.0.1:$P2; root $T/www; }
	}
	EOC
	printf 'version = 1;\nrules = ( { name = "guard"; port = %d; exe = "nginx"; %s } );\n' \
		"$P1" "$1" >"$T/luaulp.conf"
	env LUAULP_CONF="$T/luaulp.conf" LUAULP_LOG="$T/shim.log" LUAULP_LOG_LEVEL=info \
		LD_PRELOAD="$LIB" nginx -e "$T/error.log" -c "$T/nginx.conf" \
		-g "daemon off;" >"$T/nginx.out" 2>&1 3>&- &
	NGINX_PID=$!
	export T P1 P2 NGINX_PID
	local i
	for i in $(seq 200); do
		curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$P2/" &&
			(exec 9<>"/dev/tcp/127.0.0.1/$P1") 2>/dev/null && return 0
		sleep 0.1
	done
	cat "$T/error.log" "$T/nginx.out" "$T/shim.log" >&2
	fail "nginx did not start"
}

nginx_stop() {
	[ -n "${NGINX_PID:-}" ] || return 0
	kill "$NGINX_PID" 2>/dev/null
	wait "$NGINX_PID" 2>/dev/null
	NGINX_PID=
}

# show_shim_log: in a test's teardown, on failure, what the shim logged.
show_shim_log() {
	if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -s "$T/shim.log" ]; then
		sed 's/^/# shim: /' "$T/shim.log" | tail -10 >&3 2>/dev/null || true
	fi
}

# raw PORT FILE: send FILE's bytes on a fresh connection, then read until the
# peer closes.  The response in $T/resp ("Date:" lines blanked), how it ended
# ("closed", "reset") in $T/how.
raw() {
	: >"$T/resp"
	exec 6<>"/dev/tcp/127.0.0.1/$1" || { echo refused >"$T/how"; return; }
	cat "$2" >&6 2>/dev/null || :
	timeout 30 cat <&6 >"$T/resp.raw" 2>"$T/err" || :
	exec 6<&- 6>&-
	sed 's/^Date: .*/Date: -/' "$T/resp.raw" >"$T/resp"
	if grep -q "reset by peer" "$T/err"; then echo reset; else echo closed; fi >"$T/how"
}

# raw_drip PORT FILE: as raw, but one byte per segment (TCP_NODELAY, a
# write() per byte, 2 ms apart: the server reads them one by one).
raw_drip() {
	: >"$T/resp"
	perl -e '
		use IO::Socket::INET; use Socket qw(IPPROTO_TCP TCP_NODELAY);
		$SIG{PIPE} = "IGNORE";
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ARGV[0]") or exit 2;
		setsockopt($s, IPPROTO_TCP, TCP_NODELAY, 1);
		open(my $f, "<", $ARGV[1]) or die; binmode($f);
		# (a refusal makes a later write fail: stop there)
		while (read($f, my $c, 1)) {
			last unless defined syswrite($s, $c);
			select(undef, undef, undef, 0.002);
		}
		open(my $o, ">", $ARGV[2]) or die; binmode($o);
		alarm(30);
		while (1) {
			my $n = sysread($s, my $b, 65536);
			if (!defined $n) { print STDERR "reset by peer\n" if $!{ECONNRESET}; last }
			last if $n == 0;
			print $o $b;
		}' "$1" "$2" "$T/resp.raw" 2>"$T/err"
	[ $? -eq 2 ] && { echo refused >"$T/how"; return; }
	sed 's/^Date: .*/Date: -/' "$T/resp.raw" >"$T/resp"
	if grep -q "reset by peer" "$T/err"; then echo reset; else echo closed; fi >"$T/how"
}
