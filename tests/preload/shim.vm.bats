#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# libluaulp.so in the guest, with luaulp.ko loaded: attaching succeeds.
# Run by tests/vm/run (root, repository root as cwd), on both kernels.

load helpers

setup() {
	preload_setup
	[ -e /sys/module/luaulp ] || fail "the luaulp module is not loaded"
}

teardown() {
	stop_nginx
	[ ! -s "$T/nginx.pid.oldbin" ] || kill "$(cat "$T/nginx.pid.oldbin")" 2>/dev/null || true
	# State a test changed in the guest.
	[ -z "${PRELOAD_FILE:-}" ] || rm -f /etc/ld.so.preload
	[ -z "${ROUTE:-}" ] || ip route del "$ROUTE" dev lo 2>/dev/null || true
	[ -z "${TFO_OLD:-}" ] || sysctl -qw net.ipv4.tcp_fastopen="$TFO_OLD"
	# Scripts the shim registered (root processes register script files).
	local n
	for n in $("$CLI" scripts -t 2>/dev/null | cut -f1 | grep '^conf\.'); do
		"$CLI" unregister "$n" >/dev/null 2>&1 || true
	done
	preload_teardown
}

rule() {
	policy "version = 1;
defaults = { entry = \"guard\"; };
rules = (
  { name = \"test\"; $1 script = \"$T/guard.lua\"; }
);"
}

@test "accept rule: TCP_ULP lua succeeds on the accepted fd only" {
	port=$(free_port)
	rule "port = $port; exe = \"tcppair\";"
	run traced "$TCPPAIR" pair "$port"
	assert_success
	a=$(fd_of accept)
	run grep -E "setsockopt\\($a, SOL_TCP, TCP_ULP, \"lua\", 3\\) = 0" "$T/trace"
	assert_success
	run ulp_fds
	assert_output "$a"
}

@test "connect rule: blocking and non-blocking connects get the script" {
	port=$(free_port)
	rule "direction = \"connect\"; port = $port;"
	run traced "$TCPPAIR" pair "$port"
	assert_success
	c=$(fd_of connect)
	run grep -E "setsockopt\\($c, SOL_TCP, TCP_ULP, \"lua\", 3\\) = 0" "$T/trace"
	assert_success
	run traced "$TCPPAIR" pair -n -6 "$port"
	assert_success
	c=$(fd_of connect)
	run grep -E "setsockopt\\($c, SOL_TCP, TCP_ULP, \"lua\", 3\\) = 0" "$T/trace"
	assert_success
}

@test "as root the script is loaded and set on both sides; data flows through it" {
	port=$(free_port)
	rule "direction = \"both\"; port = $port;"
	start_server under_shim "$TCPPAIR" serve -c 2 "$port"
	run under_shim "$TCPPAIR" send "$port" hello
	assert_success
	assert_output hello
	run under_shim "$TCPPAIR" send -n "$port" again
	assert_success
	assert_output again
	wait_server
	[ "$server_rc" = 0 ]
	run grep -c 'attached (script' "$T/log"
	assert_output 4
	run grep -c 'failed' "$T/log"
	assert_output 0
	# The entries ran: each end received its 5 bytes through the script.
	run under_shim "$TCPPAIR" pair -s "$port"
	assert_success
	assert_line --regexp "^stats connect recv_calls=[1-9][0-9]* send_calls=0 bytes_in=5 bytes_out=0 errors=0\$"
	assert_line --regexp "^stats accept recv_calls=[1-9][0-9]* send_calls=0 bytes_in=5 bytes_out=0 errors=0\$"
}

@test "stock nginx, workers as www-data: the script sits on the configured port's sockets only" {
	id www-data >/dev/null 2>&1 || fail "no user www-data"
	nginx_setup www-data
	rule "port = $P1; exe = \"nginx\";"
	ensure_sock_diag
	start_nginx
	run pgrep -u www-data -x nginx
	assert_success
	# Hold one connection open to each port, then look at them with ss.
	# Each is answered once first: then a worker has accepted it (and the
	# shim done its work) — an established socket may still sit in the
	# accept queue, unscripted.
	exec 5<>"/dev/tcp/127.0.0.1/$P1"
	exec 6<>"/dev/tcp/127.0.0.1/$P2"
	for fd in 5 6; do
		printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' >&"$fd"
		status=
		read -r -t 120 -u "$fd" status || true
		[ "$status" = $'HTTP/1.1 200 OK\r' ] || fail "fd $fd: no answer ($status)"
	done
	run ss -tieH state established "( sport = :$P1 )"
	echo "$output"
	assert_output --partial "tcp-ulp-lua"
	run ss -tieH state established "( sport = :$P2 )"
	assert_success
	refute_output --partial "tcp-ulp-lua"
	run ss -tieH state listening "( sport = :$P1 )"
	refute_output --partial "tcp-ulp-lua"
	run "$CLI" stat -t
	assert_success
	assert_line --regexp "^127\.0\.0\.1:$P1	127\.0\.0\.1:"
	refute_line --regexp "^127\.0\.0\.1:$P2	"
	exec 5>&- 6>&-
	# nginx still serves both ports.
	run curl -sS --max-time 20 "http://127.0.0.1:$P1/"
	assert_success
	assert_output "hello from nginx"
	run curl -sS --max-time 20 "http://127.0.0.1:$P2/"
	assert_success
	assert_output "hello from nginx"
	# strace writes its trace behind the worker's calls: give it a moment.
	# Counted whatever strace could decode of the socket (its address
	# comes from sock_diag at print time): the P2 socket is never
	# scripted (ss above), so every successful TCP_ULP is P1's.
	for _ in $(seq 600); do
		run grep -cE "setsockopt\\([0-9]+<TCP.*>, SOL_TCP, TCP_ULP, \"lua\", 3\\) = 0" "$T/trace"
		[ "$output" -ge 2 ] && break
		sleep 0.1
	done
	[ "$output" -ge 2 ] || fail "$output TCP_ULP attaches traced: $(grep TCP_ULP "$T/trace")"
	run grep -c TCP_ULP "$T/trace"
	[ "$output" -ge 2 ]
	run grep -E "TCP_ULP.*:$P2->" "$T/trace"
	assert_failure
}

@test "curl under the shim gets the connect-side rule" {
	nginx_setup www-data
	start_nginx_plain() {
		nginx -e "$T/error.log" -c "$T/nginx.conf" -g "daemon off;" >/dev/null 2>&1 3>&- &
		PIDS+=($!)
		for i in $(seq 300); do
			curl -s -o /dev/null "http://127.0.0.1:$P2/" && return 0
			sleep 0.1
		done
		fail "nginx did not start"
	}
	start_nginx_plain
	rule "direction = \"connect\"; port = $P1; exe = \"curl\";"
	env LUAULP_CONF="$T/luaulp.conf" LUAULP_LOG="$T/log" LUAULP_LOG_LEVEL=debug \
		strace -f -qq -yy -o "$T/trace" -E LD_PRELOAD="$LIB" \
		-e trace=setsockopt,connect,getsockopt \
		curl -sS --max-time 20 -o "$T/page" "http://127.0.0.1:$P1/" 3>&-
	run cat "$T/page"
	assert_output "hello from nginx"
	run grep -E "setsockopt\\([0-9]+<TCP:\\[[^]]*->127.0.0.1:$P1\\]>, SOL_TCP, TCP_ULP, \"lua\", 3\\) = 0" "$T/trace"
	assert_success
	# ... and not for another port.
	env LUAULP_CONF="$T/luaulp.conf" LUAULP_LOG="$T/log" \
		strace -f -qq -o "$T/trace2" -E LD_PRELOAD="$LIB" -e trace=setsockopt \
		curl -sS --max-time 20 -o /dev/null "http://127.0.0.1:$P2/" 3>&-
	run grep -c TCP_ULP "$T/trace2"
	assert_output 0
}

@test "fail-closed: a rule whose script cannot be set refuses the connection" {
	port=$(free_port)
	# A script by a name nobody registered: the ULP attaches, the script
	# step fails, the rule says closed.
	policy "rules = ( { port = $port; exe = \"tcppair\"; script_name = \"nobody_registered_this\";
  entry = \"guard\"; fail = \"closed\"; } );"
	start_server under_shim "$TCPPAIR" serve -c 1 "$port"
	run "$TCPPAIR" send "$port" hello
	assert_failure
	wait_server
	[ "$server_rc" = 1 ]
	run cat "$T/server.err"
	assert_output --partial "accept4: Software caused connection abort"
	run grep -F 'rule "rule#1": script_name failed' "$T/log"
	assert_success
}

@test "send_entry and on_error reach the kernel" {
	port=$(free_port)
	rule "port = $port; exe = \"tcppair\"; send_entry = \"guard\"; on_error = \"reset\";"
	run traced "$TCPPAIR" pair "$port"
	assert_success
	a=$(fd_of accept)
	# strace does not know SOL_LUA (999 = 0x3e7).
	run grep -E "setsockopt\\($a, 0x3e7 [^,]*, 2, \"guard\", 5\\) = 0" "$T/trace"
	assert_success
	run grep -E "setsockopt\\($a, 0x3e7 [^,]*, 3, \"guard\", 5\\) = 0" "$T/trace"
	assert_success
	run grep -E "setsockopt\\($a, 0x3e7 [^,]*, 6, \\[1\\], 4\\) = 0" "$T/trace"
	assert_success
}

# http_get FD: one keep-alive request on FD, read until the body line.
http_get() {
	local line i
	printf 'GET / HTTP/1.1\r\nHost: t\r\n\r\n' >&"$1"
	for i in $(seq 40); do
		IFS= read -r -t 20 line <&"$1" || return 1
		[ "$line" = "hello from nginx" ] && return 0
	done
	return 1
}

# stat_field LINE N: the Nth tab-separated field of a `luaulp stat -t` line.
stat_field() { cut -f"$2" <<<"$1"; }

@test "stock nginx, www-data workers: the root master registers the script, workers attach it by name, counters move" {
	id www-data >/dev/null 2>&1 || fail "no user www-data"
	nginx_setup www-data
	rule "port = $P1; exe = \"nginx\";"
	start_nginx
	run pgrep -u www-data -x nginx
	assert_success
	# The master (root, in the constructor, before forking) registered it.
	run grep -oE 'rule "test": script [^ ]+ registered as "conf\.test\.[0-9a-f]{16}"' "$T/log"
	assert_success
	name=$(grep -oE 'conf\.test\.[0-9a-f]{16}' <<<"$output" | head -1)
	run "$CLI" scripts -t
	assert_line --regexp "^$name	[1-9][0-9]*	$(stat -c %s "$T/guard.lua")\$"
	# A worker attaches it by name (option 9) on the accepted socket.
	exec 5<>"/dev/tcp/127.0.0.1/$P1"
	http_get 5 || fail "no answer from nginx on $P1"
	run grep -E "setsockopt\\([0-9]+<TCP:\\[127.0.0.1:$P1->[^]]*\\]>, 0x3e7 [^,]*, 9, \"$name\", [0-9]+\\) = 0" "$T/trace"
	assert_success
	run grep -E "0x3e7 [^,]*, 1, " "$T/trace"
	assert_failure			# no LOADSCRIPT anywhere
	run grep -c 'failed' "$T/log"
	assert_output 0
	# luaulp stat: the worker's socket, its script, counters that move.
	run "$CLI" stat -t
	assert_success
	line=$(grep -E "^127\\.0\\.0\\.1:$P1	" <<<"$output")
	[ -n "$line" ] || fail "no scripted socket on :$P1 in: $output"
	[ "$(stat_field "$line" 5)" = "$name" ]
	[ "$(stat_field "$line" 6)" = guard ]
	calls1=$(stat_field "$line" 8)
	in1=$(stat_field "$line" 10)
	[ "$calls1" -ge 1 ] && [ "$in1" -gt 0 ]
	http_get 5 || fail "no second answer from nginx"
	run "$CLI" stat -t
	line=$(grep -E "^127\\.0\\.0\\.1:$P1	" <<<"$output")
	[ "$(stat_field "$line" 8)" -gt "$calls1" ]
	[ "$(stat_field "$line" 10)" -gt "$in1" ]
	# Nothing on the other port.
	refute_output --partial "127.0.0.1:$P2	"
	exec 5>&-
}

@test "an unregistered derived name falls back to the source (root), ENOENT stays quiet" {
	port=$(free_port)
	rule "port = $port;"
	start_server under_shim "$TCPPAIR" serve -c 1 "$port"
	name=$(grep -oE 'conf\.test\.[0-9a-f]{16}' "$T/log" | head -1)
	[ -n "$name" ] || fail "the server did not register its script"
	"$CLI" unregister "$name"
	run "$TCPPAIR" send "$port" hello
	assert_success
	assert_output hello
	wait_server
	run grep -c 'failed' "$T/log"
	assert_output 0
	run grep -c 'attached (script' "$T/log"
	assert_output 1
}

@test "unprivileged process with a script file: no registration, LOADSCRIPT refused (EPERM), fail-open" {
	chmod 755 "$T"
	chmod 644 "$T/guard.lua"
	port=$(free_port)
	rule "port = $port; exe = \"tcppair\";"
	chmod 644 "$T/luaulp.conf"
	: >"$T/log"
	chmod 666 "$T/log"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups env \
		LUAULP_CONF="$T/luaulp.conf" LUAULP_LOG="$T/log" LUAULP_LOG_LEVEL=debug \
		LD_PRELOAD="$LIB" "$TCPPAIR" pair "$port"
	assert_success
	run grep -c 'not CAP_NET_ADMIN' "$T/log"
	assert_output 1
	run grep -F 'rule "test": loadscript failed: Operation not permitted' "$T/log"
	assert_success
}

@test "a repeated connect() after EINPROGRESS finds the socket scripted: no second attach error, fail-closed keeps it" {
	port=$(free_port)
	rule "direction = \"connect\"; port = $port; fail = \"closed\";"
	run traced "$TCPPAIR" pair -n -r "$port"
	assert_success
	assert_output --partial " ok"
	run grep -c 'already scripted' "$T/log"
	assert_output 1
	run grep -c -e failed -e warning: "$T/log"
	assert_output 0
}

SOCKETS=$BATS_TEST_DIRNAME/sockets.py

@test "TCP Fast Open child in SYN-RECV: its SYN data goes through the entry; a reset socket follows fail, with a clear line" {
	printf 'function wrap(data)\n  return "[" .. data .. "]"\nend\n' >"$T/wrap.lua"
	port=$(free_port)
	policy "rules = ( { name = \"tfo\"; port = $port; script = \"$T/wrap.lua\"; entry = \"wrap\"; } );"
	TFO_OLD=$(sysctl -n net.ipv4.tcp_fastopen)
	# Server on, no cookie needed (0x200): a bare SYN with data opens.
	sysctl -qw net.ipv4.tcp_fastopen=$((0x203))
	# The SYN-ACK to this source goes to lo and is dropped there (not a
	# local address): the client never ACKs, the child stays in SYN-RECV.
	ROUTE=10.255.255.1/32
	ip route add "$ROUTE" dev lo
	start_server under_shim /usr/bin/python3 "$SOCKETS" serve "$port" "$T/go"
	/usr/bin/python3 "$SOCKETS" syn "$port" 10.255.255.1 hello
	touch "$T/go"
	wait_server
	run cat "$T/server.out"
	assert_line "state=SYN_RECV data=[hello]"
	run grep -c 'rule "tfo" attached' "$T/log"
	assert_output 1

	# Reset by the peer before accept(), its request still queued: not
	# scriptable; fail = "closed" refuses it, "open" says so and passes it.
	for how in closed open; do
		port=$(free_port)
		rm -f "$T/go"
		: >"$T/log"
		policy "rules = ( { name = \"rst\"; port = $port; script = \"$T/wrap.lua\"; entry = \"wrap\"; fail = \"$how\"; } );"
		start_server under_shim /usr/bin/python3 "$SOCKETS" serve "$port" "$T/go"
		/usr/bin/python3 "$SOCKETS" rst "$port" hello
		touch "$T/go"
		wait_server
		run cat "$T/server.out"
		if [ "$how" = closed ]; then
			assert_line "accept: Software caused connection abort"
		else
			assert_line --regexp "^state=CLOSE data="
		fi
		run grep -F "rule \"rst\": cannot attach: the peer already reset or closed the connection (state CLOSE), its queued data cannot be scripted; failing $how" "$T/log"
		assert_success
	done
}

@test "a setuid program reached through /etc/ld.so.preload ignores every LUAULP_* variable" {
	chmod 755 "$T"
	mkdir -m 777 "$T/w"
	cp "$TCPPAIR" "$T/tcppair-suid"
	chmod 4755 "$T/tcppair-suid"
	cp "$TCPPAIR" "$T/tcppair-plain"
	chmod 755 "$T/tcppair-plain"
	port=$(free_port)
	rule "port = $port;"
	chmod 644 "$T/luaulp.conf" "$T/guard.lua"
	PRELOAD_FILE=1
	echo "$LIB" >/etc/ld.so.preload
	for p in suid plain; do
		setpriv --reuid=nobody --regid=nogroup --clear-groups env \
			LUAULP_CONF="$T/luaulp.conf" LUAULP_LOG="$T/w/$p.log" \
			LUAULP_LOG_LEVEL=debug "$T/tcppair-$p" pair "$port" >"$T/$p.out" 2>&1 || true
	done
	rm -f /etc/ld.so.preload
	run cat "$T/suid.out" "$T/plain.out"
	assert_line --index 0 --partial " ok"
	assert_line --index 1 --partial " ok"
	# The unprivileged copy follows its environment (the shim was there) ...
	run cat "$T/w/plain.log"
	assert_output --partial "1 rule(s) apply to $T/tcppair-plain"
	# ... the setuid one (AT_SECURE) neither opened the log nor read the policy.
	[ ! -e "$T/w/suid.log" ]
}

@test "registry hygiene: 100 edits of a script, one start each, never fill max_scripts; other names stay" {
	printf 'function guard(data) return nil end\n' >"$T/other.lua"
	policy "version = 1;
defaults = { entry = \"guard\"; };
rules = (
  { name = \"test\"; port = 1; script = \"$T/guard.lua\"; },
  { name = \"other\"; exe = \"nginx\"; port = 2; script = \"$T/other.lua\"; }
);"
	# Names the shim must leave alone: another rule's (of a program this
	# policy also serves), and one that merely looks similar.
	"$CLI" register conf.other.0123456789abcdef "$T/other.lua"
	"$CLI" register conf.testing.0123456789abcdef "$T/other.lua"
	"$CLI" register conf.test.extra "$T/other.lua"
	for i in $(seq 100); do
		echo "-- edit $i" >>"$T/guard.lua"
		env LUAULP_CONF="$T/luaulp.conf" LUAULP_LOG="$T/log" LUAULP_LOG_LEVEL=info \
			LD_PRELOAD="$LIB" true
	done
	run grep -c 'registered as "conf\.test\.' "$T/log"
	assert_output 100
	run grep -c -e warning: -e error: "$T/log"
	assert_output 0
	run grep -c 'script "conf\.test\.[0-9a-f]*" unregistered: no rule of this policy has that source any more' "$T/log"
	assert_output 99
	run "$CLI" scripts -t
	assert_success
	name=$(grep -oE 'conf\.test\.[0-9a-f]{16}' "$T/log" | tail -1)
	run grep -cE '^conf\.test\.[0-9a-f]{16}	' <<<"$output"
	assert_output 1
	run "$CLI" scripts -t
	assert_line --regexp "^$name	"
	assert_line --regexp "^conf\\.other\\.0123456789abcdef	"
	assert_line --regexp "^conf\\.testing\\.0123456789abcdef	"
	assert_line --regexp "^conf\\.test\\.extra	"
}

@test "a socket keeps its script when a restart with an edited script removes the old name" {
	port=$(free_port)
	printf 'function guard(data)\n  return "v1:" .. data\nend\n' >"$T/guard.lua"
	rule "port = $port;"
	# Server (root: registers v1) takes one connection and echoes.
	start_server under_shim "$TCPPAIR" serve -c 1 "$port"
	old=$(grep -oE 'conf\.test\.[0-9a-f]{16}' "$T/log" | head -1)
	exec 5<>"/dev/tcp/127.0.0.1/$port"
	printf 'a' >&5
	IFS= read -r -n 4 got <&5
	[ "$got" = "v1:a" ]
	# A start with v2 removes the v1 name.
	printf 'function guard(data)\n  return "v2:" .. data\nend\n' >"$T/guard.lua"
	env LUAULP_CONF="$T/luaulp.conf" LUAULP_LOG="$T/log" LUAULP_LOG_LEVEL=info LD_PRELOAD="$LIB" true
	run "$CLI" scripts -t
	refute_line --regexp "^$old	"
	# The live socket still runs v1.
	printf 'b' >&5
	IFS= read -r -n 4 got <&5
	[ "$got" = "v1:b" ]
	exec 5>&-
	wait_server
}

# scripted_on PORT: a new connection to nginx on PORT gets an answer and
# `luaulp stat` lists it with a registered script; prints that name.
scripted_on() {
	local line
	exec 7<>"/dev/tcp/127.0.0.1/$1"
	http_get 7 || { exec 7>&-; echo "no answer on $1"; return 1; }
	line=$("$CLI" stat -t | grep -E "^127\\.0\\.0\\.1:$1	" | tail -1)
	exec 7>&-
	[ -n "$line" ] || { echo "no scripted socket on $1"; return 1; }
	stat_field "$line" 5
}

# master_has_shim PID: the process maps libluaulp.so.
master_has_shim() { grep -q libluaulp "/proc/$1/maps"; }
gone() { ! kill -0 "$1" 2>/dev/null; }
childless() { ! pgrep -P "$1" >/dev/null; }
new_pid() { [ -s "$T/nginx.pid" ] && [ "$(cat "$T/nginx.pid")" != "$1" ]; }
# new_workers MASTER 'OLD PIDS': MASTER has two www-data workers, none of OLD.
new_workers() {
	local now
	now=$(pgrep -P "$1" -u www-data | sort | tr '\n' ' ')
	[ "$now" != "$2" ] && [ "$(wc -w <<<"$now")" = 2 ]
}

@test "nginx with the documented env directives keeps its scripts across a binary upgrade (USR2) and a reload (HUP)" {
	id www-data >/dev/null 2>&1 || fail "no user www-data"
	NGINX_MAIN="env LD_PRELOAD; env LUAULP_CONF; env LUAULP_LOG; env LUAULP_LOG_LEVEL;"
	nginx_setup www-data
	rule "port = $P1; exe = \"nginx\";"
	# As a daemon (nginx ignores USR2 while its parent is the one that
	# started it, as with daemon off) and by full path (it re-executes
	# argv[0] as it is, without a PATH search).  No strace here.
	env LUAULP_CONF="$T/luaulp.conf" LUAULP_LOG="$T/log" LUAULP_LOG_LEVEL=info \
		LD_PRELOAD="$LIB" "$(command -v nginx)" -e "$T/error.log" -c "$T/nginx.conf" \
		</dev/null >"$T/nginx.out" 2>&1 3>&-
	wait_for curl -s -o /dev/null "http://127.0.0.1:$P2/" || fail "nginx did not start"
	old=$(cat "$T/nginx.pid")
	run scripted_on "$P1"
	assert_success
	name=$output
	[[ $name == conf.test.* ]]
	# Binary upgrade: the old master execs nginx again, with only the
	# variables its env directives list.
	kill -USR2 "$old"
	wait_for new_pid "$old" || fail "no new master after USR2"
	new=$(cat "$T/nginx.pid")
	master_has_shim "$new" || fail "the new master $new runs without the shim"
	run grep -c "luaulp\\[$new\\]: info: .*registered as \"$name\"" "$T/log"
	assert_output 1
	kill -QUIT "$old"
	wait_for gone "$old" || fail "old master $old still there"
	run scripted_on "$P1"
	assert_success
	assert_output "$name"
	# Reload: new workers from the same master, same scripts.
	before=$(pgrep -P "$new" -u www-data | sort | tr '\n' ' ')
	kill -HUP "$new"
	wait_for new_workers "$new" "$before" || fail "no new workers after HUP"
	# The old workers finish gracefully; new connections go to new ones.
	for w in $before; do wait_for gone "$w"; done
	run scripted_on "$P1"
	assert_success
	assert_output "$name"
	run grep -c -e warning: -e error: "$T/log"
	assert_output 0
	run grep -e "\\[alert\\]" -e "\\[emerg\\]" "$T/error.log"
	assert_failure
}
