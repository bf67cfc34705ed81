#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# luaulp stat in the guest, with the module loaded.

load ../preload/helpers
bats_require_minimum_version 1.5.0

setup() {
	preload_setup
	[ -e /sys/module/luaulp ] || fail "the luaulp module is not loaded"
	ensure_sock_diag
}

teardown() { preload_teardown; }

@test "stat lists the scripted socket and nothing else (registry and sock_diag views)" {
	port=$(free_port)
	other=$(free_port)
	policy "rules = ( { direction = \"connect\"; port = $port; entry = \"guard\";
  script = \"$T/guard.lua\"; } );"
	start_server "$TCPPAIR" serve -c 1 "$port"
	# bash under the shim opens the connection and keeps it while stat looks.
	run under_shim bash -c "exec 5<>/dev/tcp/127.0.0.1/$port; LD_PRELOAD= '$CLI' stat -t; echo --; LD_PRELOAD= '$CLI' stat -d -t; exec 5>&-"
	assert_success
	assert_line --index 0 --regexp "^127\\.0\\.0\\.1:[0-9]+	127\\.0\\.0\\.1:$port	[0-9]+	0	conf\\.rule_1\\.[0-9a-f]{16}	guard	-(	[0-9]+){13}\$"
	assert_line --index 1 -- "--"
	assert_line --index 2 --regexp "^ESTAB	127\\.0\\.0\\.1:[0-9]+	127\\.0\\.0\\.1:$port	0	[0-9]+"
	[ "${#lines[@]}" -eq 3 ]
	wait_server
	# Human output has a header; nothing scripted is left.
	run "$CLI" stat
	assert_success
	assert_line --index 0 --regexp "^Local +Peer +Inode +UID +Script"
	refute_output --partial ":$port"
	run "$CLI" stat -d
	assert_success
	assert_line --index 0 --regexp "^State +Local +Peer +UID +Inode +Info"
	refute_output --partial ":$port"
	"$CLI" scripts -t | grep -oE '^conf\.rule_1\.[0-9a-f]{16}' | sort -u |
		while read -r n; do "$CLI" unregister "$n"; done
}

@test "the socket dump beside entries that send from the kernel: no lock cycle" {
	# Regression (kfuzz seed 1801 on the debug kernel; reproducer
	# tests/fuzz/repro/lockdep-send-dump.sh): lockdep reported
	# sk_lock --> socket list lock --> ctx->lock --> sk_lock.  .init takes
	# the list lock under the socket lock and luaulp.send() the socket lock
	# under ctx->lock, so the dump must take ctx->lock (and the socket lock)
	# under none of its locks.  On a lockdep kernel (make check-debug) the
	# three steps below are enough for the report; here the dumps also run
	# while the entries send, for a real deadlock.
	local luapair=$ROOT/build/tests/luapair ulpctl=$ROOT/build/tests/ulpctl round
	mark="stat-lock-cycle-$$-$RANDOM"
	echo "$mark" >/dev/kmsg
	# 1. attached sockets that stay (list lock under the socket lock)
	mkfifo "$T/hold"
	"$ulpctl" hold <"$T/hold" >"$T/hold.out" 2>&1 3>&- &
	PIDS+=($!)
	exec 7>"$T/hold"
	wait_for grep -q ready "$T/hold.out" || fail "ulpctl hold: $(cat "$T/hold.out")"
	# 2. the dump walks them (it used to take each ctx->lock)
	run "$CLI" stat -t
	assert_success
	[ "${#lines[@]}" -ge 2 ]
	# 3. entries calling luaulp.send() (socket lock under ctx->lock), with
	# dumps going on at the same time
	printf 'function on_send(d) luaulp.send("x") return d end\n' >"$T/send.lua"
	(while :; do "$CLI" stat -t >/dev/null; done) 3>&- 7>&- &
	PIDS+=($!)
	for round in $(seq 20); do
		run --separate-stderr "$luapair" -d send -s on_send "$T/send.lua" <<<"hello $round"
		assert_success
		assert_output "xhello $round"
	done
	exec 7>&-
	run bash -c "dmesg | sed -n '/$mark/,\$p' | grep -aE -A20 'circular locking|WARNING|BUG'"
	assert_failure
}
