#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# libluaulp.so on the host: no luaulp module here, so attaching always gets
# ENOENT.  What is checked: which fds get TCP_ULP "lua" (strace), that
# programs keep working, logging and failure behaviour.

load helpers

setup() { preload_setup; }
teardown() { preload_teardown; }

accept_rule() {
	policy "version = 1;
defaults = { entry = \"guard\"; };
rules = (
  { name = \"test\"; port = $1; exe = \"${2:-tcppair}\"; script = \"$T/guard.lua\"; ${3:-} }
);"
}

@test "the library exports only the interposed calls, binds libconfig privately, BIND_NOW" {
	run bash -c "nm -D --defined-only '$LIB' | awk '{print \$3}' | sort | tr '\n' ' '"
	assert_output "__connect accept accept4 connect "
	# No config_* reference a host's own libconfig (or functions of that
	# name) could satisfy: the shim dlopens libconfig by soname, locally.
	run bash -c "nm -D --undefined-only '$LIB' | grep -c config_"
	assert_output 0
	run readelf -d "$LIB"
	refute_output --partial "libconfig"
	assert_output --regexp "FLAGS.*BIND_NOW"
	run readelf -lW "$LIB"
	assert_output --partial "GNU_RELRO"
}

@test "a host with config_* functions of its own: the shim parses with its own libconfig" {
	accept_rule 80 confhost
	run under_shim "$ROOT/build/tests/preload/confhost"
	assert_success
	assert_output main
	run grep -c "1 rule(s) apply to $ROOT/build/tests/preload/confhost" "$T/log"
	assert_output 1
}

@test "accept4: TCP_ULP lua on the accepted fd, never on the listener or the client" {
	port=$(free_port)
	accept_rule "$port"
	run traced "$TCPPAIR" pair "$port"
	assert_success
	assert_output --partial " ok"
	a=$(fd_of accept); l=$(fd_of listen); c=$(fd_of connect)
	run ulp_fds
	assert_output "$a"
	refute_output "$l"
	refute_output --regexp "^$c\$"
	run grep -c 'TCP_ULP' "$T/trace"
	assert_output 1
	run grep -E "setsockopt\\($a, SOL_TCP, TCP_ULP, \"lua\", 3\\) = -1 ENOENT" "$T/trace"
	assert_success
}

@test "accept() and IPv6 get the same treatment" {
	port=$(free_port -6)
	accept_rule "$port"
	run traced "$TCPPAIR" pair -1 -6 "$port"
	assert_success
	a=$(fd_of accept)
	run grep -E "accept\\([0-9]+, NULL, NULL\\) += $a" "$T/trace"
	assert_success
	run ulp_fds
	assert_output "$a"
}

@test "a port list and ranges match; other ports are untouched" {
	port=$(free_port)
	other=$(free_port)
	[ "$port" != "$other" ]
	accept_rule "(1, \"2-3\", $port)"
	run traced "$TCPPAIR" pair "$port"
	assert_success
	a=$(fd_of accept)
	run ulp_fds
	assert_output "$a"
	accept_rule "(1, \"2-3\")"
	run traced "$TCPPAIR" pair "$other"
	assert_success
	run grep -c TCP_ULP "$T/trace"
	assert_output 0
}

@test "a rule for another executable is never applied" {
	port=$(free_port)
	accept_rule "$port" nginx
	run traced "$TCPPAIR" pair "$port"
	assert_success
	run grep -c TCP_ULP "$T/trace"
	assert_output 0
	grep -q "0 rule(s) apply to $TCPPAIR" "$T/log"
	# ... and the full path of this one is.
	accept_rule "$port" "$TCPPAIR"
	run traced "$TCPPAIR" pair "$port"
	assert_success
	run grep -c TCP_ULP "$T/trace"
	assert_output 1
}

@test "an address filter: 127.0.0.0/8 matches IPv4 loopback, not ::1" {
	port=$(free_port)
	accept_rule "$port" tcppair 'address = "127.0.0.0/8";'
	run traced "$TCPPAIR" pair "$port"
	assert_success
	run grep -c TCP_ULP "$T/trace"
	assert_output 1
	port=$(free_port -6)
	accept_rule "$port" tcppair 'address = "127.0.0.0/8";'
	run traced "$TCPPAIR" pair -6 "$port"
	assert_success
	run grep -c TCP_ULP "$T/trace"
	assert_output 0
}

@test "connect rule: the connected fd gets it (blocking and non-blocking), the accepted one not" {
	port=$(free_port)
	accept_rule "$port" tcppair 'direction = "connect";'
	run traced "$TCPPAIR" pair "$port"
	assert_success
	c=$(fd_of connect)
	run ulp_fds
	assert_output "$c"
	run traced "$TCPPAIR" pair -n -6 "$port"
	assert_success
	c=$(fd_of connect)
	run grep -E "connect\\($c, .*EINPROGRESS" "$T/trace"
	assert_success
	run ulp_fds
	assert_output "$c"
}

@test "module absent (ENOENT): a real server and client keep working, one log line" {
	port=$(free_port)
	accept_rule "$port" tcppair 'direction = "both";'
	start_server under_shim "$TCPPAIR" serve -c 3 "$port"
	for msg in one two three; do
		run under_shim "$TCPPAIR" send "$port" "$msg"
		assert_success
		assert_output "$msg"
	done
	wait_server
	[ "$server_rc" = 0 ]
	[ ! -s "$T/server.err" ]
	# One warning per process (server + 3 clients), and only one.
	run grep -c 'not available (module luaulp not loaded)' "$T/log"
	assert_output 4
	run grep -c ': warning: ' "$T/log"
	assert_output 4
}

@test "module absent, privileged process: one registry line, then per-socket source" {
	[ "$(id -u)" = 0 ] || skip "needs root (CAP_NET_ADMIN) to try registering"
	[ ! -e /sys/module/luaulp ] || skip "the luaulp module is loaded here"
	port=$(free_port)
	accept_rule "$port" tcppair
	run traced "$TCPPAIR" pair "$port"
	assert_success
	run grep -c 'script registry unavailable (luaulp module not loaded): 1 script file(s) go to the kernel as source on each socket' "$T/log"
	assert_output 1
	# Nothing was registered, nothing else went wrong.
	run grep -c 'registered as' "$T/log"
	assert_output 0
	run grep -c ': warning: ' "$T/log"
	assert_output 1
	# An unprivileged process does not even try.
	: >"$T/log"
	chmod 755 "$T"
	chmod 666 "$T/log"
	chmod 644 "$T/luaulp.conf" "$T/guard.lua"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups env \
		LUAULP_CONF="$T/luaulp.conf" LUAULP_LOG="$T/log" LUAULP_LOG_LEVEL=debug \
		LD_PRELOAD="$LIB" "$TCPPAIR" pair "$(free_port)"
	assert_success
	run grep -c 'registry unavailable' "$T/log"
	assert_output 0
	run grep -c 'not CAP_NET_ADMIN: 1 script file(s) go to the kernel as source' "$T/log"
	assert_output 1
}

@test "fail-closed accept: the caller gets ECONNABORTED, the peer a reset" {
	port=$(free_port)
	accept_rule "$port" tcppair 'fail = "closed";'
	start_server under_shim "$TCPPAIR" serve -c 1 "$port"
	run "$TCPPAIR" send "$port" hello
	assert_failure
	assert_output --regexp "Connection reset|connection closed|read"
	wait_server
	[ "$server_rc" = 1 ]
	run cat "$T/server.err"
	assert_output --partial "accept4: Software caused connection abort"
}

@test "fail-closed connect: ECONNREFUSED (blocking) or SO_ERROR (non-blocking), no SO_LINGER left, no new handshake" {
	port=$(free_port)
	accept_rule "$port" tcppair 'direction = "connect"; fail = "closed";'
	start_server "$TCPPAIR" serve -c 10 "$port"
	run under_shim "$TCPPAIR" send -r "$port" hello
	assert_failure
	assert_output --partial "tcppair: connect: Connection refused (linger=0, again: Connection refused)"
	# Non-blocking: connect() says EINPROGRESS as the kernel did, the
	# outcome comes through SO_ERROR; connecting again does not start over.
	run under_shim "$TCPPAIR" send -n -r "$port" hello
	assert_failure
	assert_output --partial "tcppair: connect (SO_ERROR): Connection reset by peer (linger=0, again: Connection refused)"
	run under_shim "$TCPPAIR" send -n "$port" hello
	assert_failure
	assert_output --partial "connect (SO_ERROR): Connection reset by peer"
}

@test "module absent: one TCP_ULP try per process, not one per connection" {
	port=$(free_port)
	accept_rule "$port" tcppair 'direction = "both";'
	start_server traced "$TCPPAIR" serve -c 3 "$port"
	for msg in one two three; do
		run "$TCPPAIR" send "$port" "$msg"
		assert_success
		assert_output "$msg"
	done
	wait_server
	[ "$server_rc" = 0 ]
	# A root caller's TCP_ULP runs request_module() each time: once only.
	run grep -c 'TCP_ULP' "$T/trace"
	assert_output 1
	run grep -c 'module not loaded (not retried before 60 s have passed)' "$T/log"
	assert_output 2
	run grep -c ': warning: ' "$T/log"
	assert_output 1
}

@test "a broken policy: one error line with file:line, interception off, program fine" {
	port=$(free_port)
	policy "version = 1;
rules = (
  { port = $port; entry = \"guard\";
    script = \"$T/guard.lua\"; fail = \"shut\"; }
);"
	run traced "$TCPPAIR" pair "$port"
	assert_success
	run grep -c TCP_ULP "$T/trace"
	assert_output 0
	run cat "$T/log"
	assert_line --partial "error: $T/luaulp.conf:4: fail \"shut\" is not one of open, closed; interception disabled"
	[ "$(grep -c error: "$T/log")" = 1 ]
	# A syntax error too.
	policy "rules = (
  { port = $port }
  { port = 1 }
);"
	run under_shim "$TCPPAIR" pair "$port"
	assert_success
	run grep -E "luaulp.conf:3: syntax error; interception disabled" "$T/log"
	assert_success
}

@test "@include: resolved against the policy's folder whatever the cwd, errors with the included file's own name and line" {
	mkdir -p "$T/etc/sub"
	cp "$T/guard.lua" "$T/etc/sub/guard.lua"
	port=$(free_port)
	printf 'version = 1;\n@include "rules.inc"\n' >"$T/etc/luaulp.conf"
	# Relative script paths in an included file start at its own folder.
	printf 'rules = (\n  { name = "inc"; port = %s; script = "guard.lua"; entry = "guard"; }\n);\n' \
		"$port" >"$T/etc/sub/rules.inc"
	printf '@include "sub/rules.inc"\n' >"$T/etc/rules.inc"
	cd /
	run env LUAULP_CONF="$T/etc/luaulp.conf" LUAULP_LOG="$T/log" LUAULP_LOG_LEVEL=debug \
		strace -f -qq -o "$T/trace" -E LD_PRELOAD="$LIB" -e trace=setsockopt \
		"$TCPPAIR" pair "$port"
	assert_success
	run grep -c TCP_ULP "$T/trace"
	assert_output 1
	run grep -c error: "$T/log"
	assert_output 0
	# luaulp check, from yet another folder, reads the same policy.
	cd "$T"
	run "$CLI" check -t "$T/etc/luaulp.conf"
	assert_success
	assert_output --partial "$T/etc/sub/guard.lua"
	# An error in the included file: its name and line.
	printf 'rules = (\n  { name = "inc"; port = "90-80"; script = "guard.lua"; entry = "guard"; }\n);\n' \
		>"$T/etc/sub/rules.inc"
	cd /
	: >"$T/log"
	run env LUAULP_CONF="$T/etc/luaulp.conf" LUAULP_LOG="$T/log" LD_PRELOAD="$LIB" "$TCPPAIR" pair "$port"
	assert_success
	run cat "$T/log"
	assert_output --partial "error: $T/etc/sub/rules.inc:2: port \"90-80\" is not a port or range"
	# A syntax error there too.
	printf 'rules = (\n  { port = 1 }\n  { port = 2 }\n);\n' >"$T/etc/sub/rules.inc"
	: >"$T/log"
	run env LUAULP_CONF="$T/etc/luaulp.conf" LUAULP_LOG="$T/log" LD_PRELOAD="$LIB" "$TCPPAIR" pair "$port"
	run cat "$T/log"
	assert_output --partial "error: $T/etc/sub/rules.inc:3: syntax error"
	# A file in a subfolder including by a relative name would resolve
	# against the main folder (libconfig has one include folder): refused.
	printf '@include "other.inc"\n' >"$T/etc/sub/rules.inc"
	: >"$T/log"
	run env LUAULP_CONF="$T/etc/luaulp.conf" LUAULP_LOG="$T/log" LD_PRELOAD="$LIB" "$TCPPAIR" pair "$port"
	run cat "$T/log"
	assert_output --partial "error: $T/etc/sub/rules.inc:1: @include \"other.inc\": a file outside $T/etc may include only by full path"
}

@test "a FIFO as policy, @include or script is refused at once, never waited on" {
	port=$(free_port)
	mkfifo "$T/fifo"
	# (timeout only guards against a hang; nothing here is timed.)
	run timeout 60 env LUAULP_CONF="$T/fifo" LUAULP_LOG="$T/log" LD_PRELOAD="$LIB" "$TCPPAIR" pair "$port"
	assert_success
	run timeout 60 "$CLI" check "$T/fifo"
	assert_failure
	assert_output --partial "$T/fifo: cannot read: not a regular file"
	printf '@include "fifo"\n' >"$T/luaulp.conf"
	run timeout 60 env LUAULP_CONF="$T/luaulp.conf" LUAULP_LOG="$T/log" LD_PRELOAD="$LIB" "$TCPPAIR" pair "$port"
	assert_success
	accept_rule "$port"
	sed -i "s|$T/guard.lua|$T/fifo|" "$T/luaulp.conf"
	run timeout 60 env LUAULP_CONF="$T/luaulp.conf" LUAULP_LOG="$T/log" LD_PRELOAD="$LIB" "$TCPPAIR" pair "$port"
	assert_success
	run cat "$T/log"
	assert_line --partial "error: $T/fifo: cannot read: not a regular file; interception disabled"
	assert_line --partial "error: $T/luaulp.conf:1: @include \"fifo\": $T/fifo: not a regular file; interception disabled"
	assert_line --partial "error: $T/luaulp.conf:4: rule \"test\": script $T/fifo: not a regular file; interception disabled"
}

@test "rule names are restricted; a value with a newline cannot split a log line" {
	port=$(free_port)
	policy "rules = ( { name = \"web\\nerror: forged\"; port = $port; entry = \"guard\"; script = \"$T/guard.lua\"; } );"
	run under_shim "$TCPPAIR" pair "$port"
	assert_success
	run grep -c . "$T/log"
	assert_output 1
	run cat "$T/log"
	assert_line --partial 'luaulp.conf:1: name "web\x0aerror: forged" is not 1..64 characters of [A-Za-z0-9_.-]; interception disabled'
	# Any other value quoted in a message: control characters never reach the log.
	policy "rules = ( { port = \"80\\nerror: forged\"; entry = \"guard\"; script = \"$T/guard.lua\"; } );"
	: >"$T/log"
	run under_shim "$TCPPAIR" pair "$port"
	run grep -c . "$T/log"
	assert_output 1
	run grep -c '^error: forged' "$T/log"
	assert_output 0
}

@test "a missing script is a policy error pointing at its line" {
	port=$(free_port)
	policy "rules = ( { port = $port; entry = \"guard\";
  script = \"nope.lua\"; } );"
	run under_shim "$TCPPAIR" pair "$port"
	assert_success
	run cat "$T/log"
	assert_output --partial "luaulp.conf:2: rule \"rule#1\": script $T/nope.lua: No such file or directory; interception disabled"
}

@test "on_invalid = closed (or LUAULP_ON_INVALID=closed): a broken policy fails TCP calls" {
	port=$(free_port)
	policy "on_invalid = \"closed\";
rules = ( { port = 0; } );"
	run under_shim "$TCPPAIR" pair "$port"
	assert_failure
	assert_output --partial "connect: Connection refused"
	policy "rules = ( { port = 0 );"
	LUAULP_ON_INVALID=closed run under_shim "$TCPPAIR" pair "$port"
	assert_failure
	run grep -c "every TCP accept/connect fails" "$T/log"
	assert_output 2
}

@test "nothing on the host's stderr by default; LUAULP_LOG=stderr opts in" {
	port=$(free_port)
	policy "rules = ( { port = 0; } );"
	run env LUAULP_CONF="$T/luaulp.conf" LD_PRELOAD="$LIB" "$TCPPAIR" pair "$port"
	assert_success
	assert_output --regexp "^listen=[0-9]+ connect=[0-9]+ accept=[0-9]+ ok$"
	run env LUAULP_CONF="$T/luaulp.conf" LUAULP_LOG=stderr LD_PRELOAD="$LIB" "$TCPPAIR" pair "$port"
	assert_success
	assert_line --partial "luaulp.conf:1: port 0 is not in 1..65535; interception disabled"
}

@test "a rotated log file (renamed or removed) is reopened by the path at the next line" {
	port=$(free_port)
	accept_rule "$port"
	start_server under_shim "$TCPPAIR" serve -c 3 "$port"
	run "$TCPPAIR" send "$port" one
	assert_success
	mv "$T/log" "$T/log.1"
	run "$TCPPAIR" send "$port" two
	assert_success
	mv "$T/log" "$T/log.2"
	run "$TCPPAIR" send "$port" three
	assert_success
	wait_server
	[ "$server_rc" = 0 ]
	# Each file has the lines of its own period, all from the one server.
	run grep -c 'not available (module luaulp not loaded)' "$T/log.1"
	assert_output 1
	run grep -c 'module not loaded (not retried' "$T/log.2"
	assert_output 1
	run grep -c 'module not loaded (not retried' "$T/log"
	assert_output 1
}

@test "the log level filters: warning hides debug and info" {
	port=$(free_port)
	accept_rule "$port"
	LOG_LEVEL=warning run under_shim "$TCPPAIR" pair "$port"
	assert_success
	run grep -c -e debug: -e info: "$T/log"
	assert_output 0
	run grep -c warning: "$T/log"
	assert_output 1
}

@test "policy log settings apply when the environment sets none" {
	port=$(free_port)
	policy "log = \"$T/from-policy.log\"; log_level = \"debug\";
rules = ( { port = $port; entry = \"guard\"; script = \"$T/guard.lua\"; } );"
	run env LUAULP_CONF="$T/luaulp.conf" LD_PRELOAD="$LIB" "$TCPPAIR" pair "$port"
	assert_success
	run cat "$T/from-policy.log"
	assert_output --partial "1 rule(s) apply to"
}

@test "a missing LUAULP_CONF file is reported and changes nothing" {
	port=$(free_port)
	run env LUAULP_CONF="$T/none.conf" LUAULP_LOG="$T/log" LD_PRELOAD="$LIB" "$TCPPAIR" pair "$port"
	assert_success
	run cat "$T/log"
	assert_output --partial "none.conf: cannot read"
}

@test "UDP and Unix sockets are never touched, through accept and connect" {
	port=$(free_port)
	policy "rules = ( { direction = \"both\"; entry = \"guard\"; script = \"$T/guard.lua\"; } );"
	run traced /usr/bin/python3 -c "
import os, socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.connect(('127.0.0.1', $port))
path = '$T/unix.sock'
l = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); l.bind(path); l.listen(1)
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c.connect(path)
a, _ = l.accept()
c.sendall(b'ping'); assert a.recv(4) == b'ping'
a.sendall(b'pong'); assert c.recv(4) == b'pong'
print('ok')"
	assert_success
	assert_output ok
	# The calls went through the shim ...
	run grep -cE '^[0-9]+ +(accept4?|connect)\([0-9]+, \{sa_family=AF_(UNIX|INET)' "$T/trace"
	assert_output 3
	run grep -c 'rule(s) apply to' "$T/log"
	assert_output 1
	# ... and none got the ULP.
	run grep -c TCP_ULP "$T/trace"
	assert_output 0
}

@test "errno is left alone by successful calls, scripted or not" {
	port=$(free_port)
	accept_rule "$port" tcppair 'direction = "both";'
	run under_shim "$TCPPAIR" pair -e "$port"
	assert_success
	run under_shim "$TCPPAIR" pair -e -n -1 -6 "$port"
	assert_success
	grep -q "not available" "$T/log"
}

@test "without rules the shim costs no system call" {
	port=$(free_port)
	run env LUAULP_CONF="$T/none.conf" LUAULP_LOG=none LD_PRELOAD="$LIB" "$TCPPAIR" pair -e "$port"
	assert_success
	# An empty policy file: nothing to do, not even a getsockname.
	: >"$T/luaulp.conf"
	run env LUAULP_CONF="$T/luaulp.conf" strace -f -qq -o "$T/trace" -E LD_PRELOAD="$LIB" \
		-e trace=getsockopt,getsockname,setsockopt "$TCPPAIR" pair -e "$port"
	assert_success
	run grep -v SO_REUSEADDR "$T/trace"
	assert_output ""
	# A connect-only policy adds nothing to accepts.
	accept_rule 1 tcppair 'direction = "connect";'
	run env LUAULP_CONF="$T/luaulp.conf" strace -f -qq -o "$T/trace" -E LD_PRELOAD="$LIB" \
		-e trace=getsockname "$TCPPAIR" pair "$port"
	assert_success
	run cat "$T/trace"
	assert_output ""
}
