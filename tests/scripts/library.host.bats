#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Every script of the library compiles in the sandbox (`luaulp check`) and
# defines the entries scripts/README.md documents.

load helpers

setup() {
	scripts_setup
}

teardown() {
	scripts_teardown
}

@test "luaulp check accepts every script with its entries" {
	cat >"$T/all.conf" <<-EOF
	version = 1;
	rules = (
	 { name = "guard"; port = 80; script = "$SCRIPTS/http_guard.lua"; entry = "guard"; send_entry = "guard_send"; },
	 { name = "guard-cache"; port = 8000; script = "$ROOT/build/scripts/http_guard_cache.lua"; entry = "cache_recv"; send_entry = "cache_send"; },
	 { name = "sni"; port = 443; script = "$SCRIPTS/sni_filter.lua"; entry = "filter"; },
	 { name = "cache"; port = 8080; script = "$SCRIPTS/http_cache.lua"; entry = "cache_recv"; send_entry = "cache_send"; },
	 { name = "pass"; port = 8081; script = "$SCRIPTS/examples/pass.lua"; entry = "entry"; },
	 { name = "counter"; port = 8082; script = "$SCRIPTS/examples/counter.lua"; entry = "count"; }
	);
	EOF
	run "$CLI" check "$T/all.conf"
	assert_success
	assert_output --partial "ok, 6 rules"
	# the entries are functions once the chunk ran
	for pair in http_guard.lua:guard http_guard.lua:guard_send sni_filter.lua:filter http_cache.lua:cache_recv \
		http_cache.lua:cache_send examples/pass.lua:entry examples/counter.lua:count; do
		{
			cat "$SCRIPTS/${pair%%:*}"
			printf '\nassert(type(%s) == "function", "%s")\n' "${pair##*:}" "$pair"
		} >"$T/s.lua"
		: | "$CLI" run "$T/s.lua" --entry "${pair##*:}" || fail "$pair"
	done
}

@test "the default policy's http-guard rule names http_guard.lua's entry" {
	run grep -A8 'name = "http-guard"' "$ROOT/config/luaulp.conf"
	assert_output --partial 'script = "http_guard.lua"'
	entry=$(sed -n 's/.*entry = "\(.*\)";/\1/p' <<<"$output" | head -1)
	grep -q "^function $entry(" "$SCRIPTS/http_guard.lua"
}

@test "http_guard.lua holds at most 16 KiB per connection attached by name, its code shared" {
	printf 'GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n' >"$T/req"
	run "$ROOT/build/bench/script_mem" "$SCRIPTS/http_guard.lua" guard "$T/req"
	assert_success
	idle=$(sed -n 's/^idle //p' <<<"$output")
	after=$(sed -n 's/^after 1 //p' <<<"$output")
	code=$(sed -n 's/^code //p' <<<"$output")
	# the kernel's state holds a few hundred bytes more (the socket's
	# addresses, the script's name): 1 KiB clear of the bound
	[ "$idle" -le 15360 ] || fail "idle connection: $idle bytes"
	[ "$after" -le 15360 ] || fail "after a GET: $after bytes"
	# the code is held once, by the registry, not by each connection:
	# from source the same connection holds it
	run "$ROOT/build/bench/script_mem" --source "$SCRIPTS/http_guard.lua" guard "$T/req"
	assert_success
	source=$(sed -n 's/^idle //p' <<<"$output")
	[ $((source - idle)) -ge $((code / 2)) ] ||
		fail "from source $source bytes, by name $idle + $code shared"
}
