#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Load and teardown: many scripted sockets, two threads on one socket,
# memory back to baseline, the module unloads cleanly afterwards.

load ../lib

setup() {
	require_guest
}

live_bytes() {
	cat /sys/module/luaulp/parameters/live_bytes
}

@test "1000 concurrent scripted connections, live bytes back to baseline" {
	base=$(live_bytes)
	run "$B/tests/loadctl" conns 1000
	assert_success
	assert_output "ok 1000 scripted connections"
	assert_equal "$(live_bytes)" "$base"
}

@test "receive and send entries run from two threads on one socket" {
	run "$B/tests/loadctl" threads 8
	assert_success
	assert_output "ok 8 MiB both ways concurrently"
}

@test "rmmod is clean once every scripted socket is gone" {
	for _ in $(seq 50); do
		[ "$(module_refcnt)" -eq 0 ] && break
		sleep 0.2
	done
	run rmmod luaulp
	assert_success
	insmod "$B/kernel/$LUAULP_KREL/luaulp.ko"
}

@test "sockets attaching a registered script share its code: less memory, replace and unregister safe" {
	# An entry that upper-cases, and code enough to be worth sharing.
	{
		echo 'function up(d) return d:upper() end'
		for i in $(seq 100); do
			echo "local function helper_$i(s) return s:sub($i) .. \"constant number $i\" end"
		done
	} >"$BATS_TEST_TMPDIR/big.lua"
	base=$(live_bytes)
	run "$B/tests/sharedctl" 50 "$BATS_TEST_TMPDIR/big.lua" up
	echo "$output"
	assert_success
	refute_output --partial FAIL
	# Every state, the frozen ones included, is gone with its sockets.
	assert_equal "$(live_bytes)" "$base"
}
