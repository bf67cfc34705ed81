# SPDX-License-Identifier: GPL-2.0
# Shared by tests/preload/*.bats (host and guest): paths, a temp dir per
# test, writing policies, running programs under the shim and strace.

load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
LIB=$ROOT/build/preload/libluaulp.so
TCPPAIR=$ROOT/build/tests/preload/tcppair
CLI=$ROOT/build/cli/luaulp

preload_setup() {
	[ -x "$TCPPAIR" ] && [ -r "$LIB" ] || fail "build first: make user"
	T=$(mktemp -d /tmp/luaulp-test.XXXXXX)
	printf 'function guard(data, size, nonblock)\n  return nil\nend\n' >"$T/guard.lua"
	PIDS=()
}

preload_teardown() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	if [ -n "${T:-}" ] && [ -d "$T" ]; then
		# On failure, show what the shim logged.
		if [ -s "$T/log" ] && [ -z "${BATS_TEST_COMPLETED:-}" ]; then
			echo "# shim log:" >&3 2>/dev/null || true
			sed 's/^/#   /' "$T/log" >&3 2>/dev/null || true
		fi
		rm -rf "$T"
	fi
}

# free_port [-6]: a currently unused loopback port.
free_port() { "$TCPPAIR" freeport "$@"; }

# policy TEXT: write $T/luaulp.conf.
policy() { printf '%s\n' "$1" >"$T/luaulp.conf"; }

# under_shim CMD...: run CMD with the shim, policy $T/luaulp.conf and the
# log at debug level in $T/log.
under_shim() {
	env LUAULP_CONF="$T/luaulp.conf" LUAULP_LOG="$T/log" \
		LUAULP_LOG_LEVEL=${LOG_LEVEL:-debug} LD_PRELOAD="$LIB" "$@"
}

# traced CMD...: like under_shim, under strace (socket calls to $T/trace);
# strace itself is not preloaded.
traced() {
	env LUAULP_CONF="$T/luaulp.conf" LUAULP_LOG="$T/log" \
		LUAULP_LOG_LEVEL=${LOG_LEVEL:-debug} \
		strace -f -qq -o "$T/trace" -E LD_PRELOAD="$LIB" \
		-e trace=setsockopt,accept,accept4,connect "$@"
}

# ulp_fds: the fds TCP_ULP "lua" was set on, per the trace, one per line.
ulp_fds() {
	sed -nE 's/^([0-9]+ +)?setsockopt\(([0-9]+), SOL_TCP, TCP_ULP, "lua", 3\).*/\2/p' "$T/trace"
}

# fd_of NAME: the fd tcppair printed for NAME (listen, connect, accept).
fd_of() { sed -nE "s/.*$1=([0-9]+).*/\\1/p" <<<"$output"; }

# start_server CMD...: run CMD in the background (no fd 3), wait until it
# prints "ready".
start_server() {
	"$@" >"$T/server.out" 2>"$T/server.err" 3>&- &
	PIDS+=($!)
	local i
	for i in $(seq 100); do
		grep -q ready "$T/server.out" 2>/dev/null && return 0
		kill -0 "${PIDS[-1]}" 2>/dev/null || break
		sleep 0.1
	done
	cat "$T/server.err" >&2
	fail "server did not start: $*"
}

# wait_server: wait for the last server to exit; its status in $server_rc.
wait_server() {
	server_rc=0
	wait "${PIDS[-1]}" || server_rc=$?
	unset 'PIDS[-1]'
}

# nginx_setup [USER]: $T/nginx.conf serving $T/www on 127.0.0.1:$P1 and
# :$P2 (two free ports), workers as USER if given (root masters only);
# $NGINX_MAIN: more main-context directives.
nginx_setup() {
	command -v nginx >/dev/null || fail "nginx is not installed (tools/deps)"
	mkdir -p "$T/www" "$T/tmp"
	echo "hello from nginx" >"$T/www/index.html"
	chmod -R a+rX "$T"
	P1=$(free_port)
	P2=$(free_port)
	while [ "$P2" = "$P1" ]; do P2=$(free_port); done
	cat >"$T/nginx.conf" <<-EOC
	${1:+user $1;}
	${NGINX_MAIN:-}
	worker_processes 2;
	pid $T/nginx.pid;
	error_log $T/error.log info;
	events { worker_connections 64; }
	http {
	    access_log $T/access.log;
	    client_body_temp_path $T/tmp/body;
	    proxy_temp_path $T/tmp/proxy;
	    fastcgi_temp_path $T/tmp/fastcgi;
	    uwsgi_temp_path $T/tmp/uwsgi;
	    scgi_temp_path $T/tmp/scgi;
	    keepalive_timeout 60s;
	    server { listen 127.0.0.1:$P1; root $T/www; }
	    server { listen 127.0.0.1:$P2; root $T/www; }
	}
	EOC
}

# start_nginx: nginx under the shim and strace -yy (each fd's addresses in
# the trace); LD_PRELOAD reaches nginx only.  Waits until it serves.
start_nginx() {
	env LUAULP_CONF="$T/luaulp.conf" LUAULP_LOG="$T/log" LUAULP_LOG_LEVEL=debug \
		strace -f -qq -yy -o "$T/trace" -E LD_PRELOAD="$LIB" \
		-e trace=setsockopt,accept4,accept,listen \
		nginx -e "$T/error.log" -c "$T/nginx.conf" -g "daemon off;" \
		>"$T/nginx.out" 2>&1 3>&- &
	PIDS+=($!)
	local i
	for i in $(seq 300); do
		curl -s -o /dev/null "http://127.0.0.1:$P2/" && return 0
		sleep 0.1
	done
	cat "$T/error.log" "$T/nginx.out" >&2
	fail "nginx did not start"
}

stop_nginx() {
	# nginx removes its pid file itself on exit.
	if [ -s "$T/nginx.pid" ]; then
		kill "$(cat "$T/nginx.pid")" 2>/dev/null || true
	fi
}

# ensure_sock_diag: ss and `luaulp stat` need inet_diag + tcp_diag, which
# Debian builds as modules; the guest cannot autoload them (no modules tree
# of its kernel in /lib/modules), so load them from the extracted package.
ensure_sock_diag() {
	[ -e /sys/module/tcp_diag ] && return 0
	local dir m
	dir=$ROOT/build/guest/$(uname -r)/root/lib/modules/$(uname -r)/kernel/net/ipv4
	# Not a Debian kernel (the debug kernel, tools/debug-kernel): built in,
	# and built-in modules without parameters have no /sys/module entry.
	[ -d "$dir" ] || return 0
	for m in inet_diag tcp_diag; do
		[ -e "/sys/module/$m" ] && continue
		insmod "$(ls "$dir/$m".ko* | head -1)" || fail "cannot load $m from $dir"
	done
}

# wait_for CMD...: until CMD succeeds (30 s at most); fails otherwise.
wait_for() {
	local i
	for i in $(seq 300); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
