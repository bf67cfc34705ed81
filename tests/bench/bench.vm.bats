#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# A smoke of the in-guest bench programs (seconds, tiny sizes, no timing
# asserted): every ulpbench subcommand still runs against the module and
# prints the rows bench/report reads.  The benchmark itself is `make bench`.

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	cd "$ROOT"
	[ -e /sys/module/luaulp ] || skip "the luaulp module is not loaded"
	CLI=build/cli/luaulp
	U=build/bench/ulpbench
}

teardown() {
	"$CLI" unregister bench.pass >/dev/null 2>&1 || true
	"$CLI" unregister bench.guard >/dev/null 2>&1 || true
}

# rows OUTPUT SECTION VARIANT...: each variant has a positive @row
rows() {
	local out=$1 section=$2 v
	shift 2
	for v in "$@"; do
		awk -F'\t' -v s="$section" -v v="$v" \
			'$1 == "@row" && $2 == s && $3 == v && $7 + 0 > 0 { f = 1 } END { exit !f }' <<<"$out" ||
			{ echo "no row for $section $v in:"; echo "$out"; return 1; }
	done
}

@test "ulpbench reads, recv, send, rtt" {
	run $U reads 1 1024
	[ "$status" -eq 0 ]
	rows "$output" reads64 plain ulp-no-entry empty-entry counter
	run $U recv 1 1 scripts/http_guard.lua
	[ "$status" -eq 0 ]
	rows "$output" recv plain ulp-no-entry empty-entry counter plain+1copy plain+2copies \
		http-plain http_guard
	run $U send 1 1
	[ "$status" -eq 0 ]
	rows "$output" send plain ulp-no-entry empty-entry counter
	run $U rtt 1 20 scripts/http_guard.lua
	[ "$status" -eq 0 ]
	rows "$output" rtt plain empty-entry empty-recv+send http_guard
}

@test "ulpbench accept and mem with registered scripts" {
	"$CLI" register bench.pass scripts/examples/pass.lua
	"$CLI" register bench.guard scripts/http_guard.lua
	run $U accept 1 3 scripts/examples/pass.lua scripts/http_guard.lua
	[ "$status" -eq 0 ]
	rows "$output" accept plain ulp-only pass-source pass-name guard-source guard-name
	run $U mem 5 bench.guard http
	[ "$status" -eq 0 ]
	rows "$output" mem bench.guard
	run $U mem 5 scripts/http_guard.lua@guard http
	[ "$status" -eq 0 ]
	rows "$output" mem 'scripts/http_guard.lua@guard'
	# an unregistered name is a failure, not a silent zero
	run $U mem 2 bench.none http
	[ "$status" -ne 0 ]
}
