#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Stock nginx under the shim on the host (no module: attach gets ENOENT):
# it serves normally; only sockets accepted on the configured port get
# TCP_ULP "lua", in the worker, never the listener.

load helpers

setup() {
	preload_setup
	nginx_setup
	policy "version = 1;
rules = (
  { name = \"web\"; port = $P1; exe = \"nginx\"; script = \"$T/guard.lua\"; entry = \"guard\"; }
);"
}

teardown() {
	stop_nginx
	preload_teardown
}

@test "nginx serves normally under the shim; only the configured port's accepted sockets get the ULP" {
	start_nginx
	for i in 1 2 3; do
		run curl -sS --max-time 5 "http://127.0.0.1:$P1/"
		assert_success
		assert_output "hello from nginx"
		run curl -sS --max-time 5 "http://127.0.0.1:$P2/"
		assert_success
		assert_output "hello from nginx"
	done
	stop_nginx
	wait_server
	# Every TCP_ULP is on a socket whose local port is P1 (none for the
	# readiness probes on P2), and with the module absent each worker tries
	# once, then not again for a while: 1 or 2 tries for 3 connections.
	run grep -E 'TCP_ULP' "$T/trace"
	assert_success
	run grep -cE "setsockopt\\([0-9]+<TCP:\\[127.0.0.1:$P1->127.0.0.1:[0-9]+\\]>, SOL_TCP, TCP_ULP, \"lua\", 3\\) = -1 ENOENT" "$T/trace"
	[ "$output" -ge 1 ] && [ "$output" -le 2 ]
	tries=$output
	run grep -c TCP_ULP "$T/trace"
	assert_output "$tries"
	# Never on a listening socket.
	run grep -E "setsockopt\\([0-9]+<TCP:\\[127.0.0.1:$P1\\]>, SOL_TCP, TCP_ULP" "$T/trace"
	assert_failure
	# The workers (not root) logged the missing module, once each at most.
	run grep -c "not available (module luaulp not loaded)" "$T/log"
	[ "$output" -ge 1 ] && [ "$output" -le 2 ]
	run grep -c ' 200 ' "$T/access.log"
	assert_output --regexp '^[6-9]$|^[1-9][0-9]+$'
	run grep -e "\[alert\]" -e "\[emerg\]" -e "\[crit\]" "$T/error.log"
	assert_failure
}
