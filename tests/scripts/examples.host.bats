#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# scripts/examples/: pass.lua and counter.lua through `luaulp run`.

load helpers

setup() {
	scripts_setup
}

teardown() {
	scripts_teardown
}

@test "pass.lua delivers every byte unchanged" {
	head -c 300000 /dev/urandom >"$T/in"
	for c in 65536 1000 1; do
		[ "$c" = 1 ] && head -c 3000 /dev/urandom >"$T/in"
		feed "$SCRIPTS/examples/pass.lua" entry --chunk "$c" --stats <"$T/in"
		assert_success
		cmp "$T/in" "$T/out"
		assert_output --partial "discards=0 replacements=0 resets=0 errors=0"
	done
}

@test "counter.lua counts reads, bytes and request heads split any way" {
	printf 'GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n\r\n' >"$T/in"
	{
		cat "$SCRIPTS/examples/counter.lua"
		printf 'function probe(d, s)\n\tcount(d, s)\n\tluaulp.log(counts())\nend\n'
	} >"$T/probe.lua"
	len=$(stat -c %s "$T/in")
	for ((c = 1; c <= len; c++)); do
		feed "$T/probe.lua" probe --chunk "$c" --no-log-limit <"$T/in"
		assert_success
		cmp "$T/in" "$T/out"
		run tail -1 <<<"$output"
		assert_output "log: reads=$(((len + c - 1) / c)) bytes=$len requests=2"
	done
}
