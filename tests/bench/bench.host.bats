#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# A smoke of the bench's host-side programs (seconds, no timing asserted):
# they still build, run and print what bench/report reads.  The benchmark
# itself is `make bench`, never part of make check.

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	cd "$ROOT"
	T=$(mktemp -d)
}

teardown() {
	[ -n "${SRV:-}" ] && kill "$SRV" 2>/dev/null
	rm -rf "$T"
}

@test "rt_cost runs each mode on the library's scripts" {
	run build/bench/rt_cost entry 3
	[ "$status" -eq 0 ]
	run build/bench/rt_cost source 1 scripts/http_guard.lua
	[ "$status" -eq 0 ]
	run build/bench/rt_cost name 1 scripts/http_guard.lua
	[ "$status" -eq 0 ]
	run build/bench/rt_cost request 2 scripts/http_guard.lua guard
	[ "$status" -eq 0 ]
	# a refused request would be an error of the entry: a bad entry fails
	run build/bench/rt_cost request 1 scripts/http_guard.lua no_such_entry
	[ "$status" -ne 0 ]
}

@test "burst measures first responses from a local server" {
	python3 -m http.server --bind 127.0.0.1 0 --directory "$T" >"$T/log" 2>&1 3>&- &
	SRV=$!
	port=
	for _ in $(seq 50); do
		port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$T/log" | head -n1)
		[ -n "$port" ] && break
		sleep 0.1
	done
	[ -n "$port" ]
	run build/bench/burst smoke "$port" 5 0
	[ "$status" -eq 0 ]
	[[ "$output" == *$'@row\tburst\tsmoke\t5\t0\tp99_ms\t'* ]]
	[[ "$output" == *$'\tfailed\t0'* ]]
}

@test "report turns raw lines into medians, ratios, tables and plots" {
	{
		printf '@meta\tkernel\ttest-release\n'
		for rep in 0 1 2; do
			printf '@row\trecv\tplain\t65536\t%d\tMiB/s\t100\n' $rep
			printf '@row\trecv\tempty-entry\t65536\t%d\tMiB/s\t%d\n' $rep $((40 + rep * 5))
		done
		printf '@fact\tsome_fact\tEINVAL (22)\n'
	} >"$T/raw-k.tsv"
	run bench/report "$T" k
	[ "$status" -eq 0 ]
	grep -q '^recv,empty-entry,65536,MiB/s,3,45.0,40.0,50.0,42.5,47.5,plain,0.45,0.4,0.5$' "$T/k.csv"
	grep -q '| pass-through (empty entry) receive, 64 KiB reads, / plain | ≥ 0.90 | \*\*0.45\*\* (0.40–0.50) NOT met |' "$T/results.md"
	grep -q 'some_fact | EINVAL (22)' "$T/results.md"
	[ -s "$T/recv.png" ]
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/results.json"
}
