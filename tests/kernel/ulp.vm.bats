#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# The "lua" ULP: registration, attach rules, data path, module pinning.

load ../lib

setup() {
	require_guest
}

@test "module registers the lua ULP" {
	run cat /proc/sys/net/ipv4/tcp_available_ulp
	assert_success
	assert_output --regexp '(^| )lua( |$)'
}

@test "attach to an accepted IPv4 socket" {
	run "$ULPCTL" attach server
	assert_success
	assert_output lua
}

@test "attach to a connected IPv4 socket" {
	run "$ULPCTL" attach client
	assert_success
	assert_output lua
}

@test "attach to an accepted IPv6 socket" {
	run "$ULPCTL" -6 attach server
	assert_success
	assert_output lua
}

@test "attach to a connected IPv6 socket" {
	run "$ULPCTL" -6 attach client
	assert_success
	assert_output lua
}

@test "attach to a listening socket fails with ENOTCONN" {
	run "$ULPCTL" attach-listener
	assert_success
	assert_output ENOTCONN
	run "$ULPCTL" -6 attach-listener
	assert_success
	assert_output ENOTCONN
}

@test "attach to an unconnected socket fails with ENOTCONN" {
	run "$ULPCTL" attach-unconnected
	assert_success
	assert_output ENOTCONN
}

@test "second attach fails with EEXIST" {
	run "$ULPCTL" attach-twice
	assert_success
	assert_output EEXIST
}

@test "4 MiB flow both ways unchanged through attached sockets (IPv4)" {
	run "$ULPCTL" echo $((4 << 20)) both
	assert_success
}

@test "4 MiB flow both ways unchanged through attached sockets (IPv6)" {
	run "$ULPCTL" -6 echo $((4 << 20)) both
	assert_success
}

@test "TCP options still work on an attached socket" {
	run "$ULPCTL" sockopts
	assert_success
	assert_output "TCP_NODELAY 1"
}

@test "rmmod refused while a socket carries the ULP, clean after close" {
	mkfifo "$BATS_TEST_TMPDIR/in"
	"$ULPCTL" hold < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/out" 3>&- &
	pid=$!
	exec 5>"$BATS_TEST_TMPDIR/in"
	for _ in $(seq 100); do
		grep -q ready "$BATS_TEST_TMPDIR/out" && break
		sleep 0.1
	done
	assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" ready
	run rmmod luaulp
	assert_failure
	[ "$(module_refcnt)" -gt 0 ]
	# Closing stdin lets the helper close its sockets and exit.
	exec 5>&-
	wait "$pid"
	# Closed sockets linger briefly (FIN_WAIT/TIME_WAIT hold no ULP).
	for _ in $(seq 50); do
		[ "$(module_refcnt)" -eq 0 ] && break
		sleep 0.2
	done
	run rmmod luaulp
	assert_success
	[ ! -d /sys/module/luaulp ]
	insmod "$B/kernel/$LUAULP_KREL/luaulp.ko"
}
