#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# scripts/http_cache.lua in front of stock nginx (workers as www-data,
# sendfile off) under libluaulp.so, in the guest: the first GET fills the
# shared store from nginx's response, the next is answered by the kernel.

load helpers

setup_file() {
	[ -d /sys/module/luaulp ] || fail "the luaulp module is not loaded"
	scripts_setup
	nginx_start "script = \"$SCRIPTS/http_cache.lua\"; entry = \"cache_recv\"; send_entry = \"cache_send\";" \
		"sendfile off;"
}

teardown_file() {
	nginx_stop
	scripts_teardown
}

teardown() {
	show_shim_log
}

@test "a miss is served by nginx and fills the store; the next GET comes from the kernel" {
	url=http://127.0.0.1:$P1/index.html
	run curl -sS -i --max-time 20 "$url"
	assert_success
	assert_output --partial "hello from nginx"
	refute_output --partial "X-Cache: kernel"
	before=$(grep -c 'GET /index.html' "$T/access.log")
	for i in 1 2; do
		run curl -sS -i --max-time 20 "$url"
		assert_success
		assert_output --partial $'X-Cache: kernel\r'
		assert_output --regexp $'\nAge: [0-9]+\r'
		assert_output --partial "hello from nginx"
	done
	# nginx saw neither
	run grep -c 'GET /index.html' "$T/access.log"
	assert_output "$before"
	# the same body as from the unscripted port
	cmp <(curl -sS "$url") <(curl -sS "http://127.0.0.1:$P2/index.html")
}

@test "keep-alive: a hit after a miss on one connection keeps responses in order" {
	run curl -sS --max-time 20 "http://127.0.0.1:$P1/" -o /dev/null
	run curl -sS -i --max-time 20 "http://127.0.0.1:$P1/big.txt" "http://127.0.0.1:$P1/"
	assert_success
	run grep -c '^HTTP/1.1 200' <<<"$output"
	assert_output 2
	# not cacheable paths always reach nginx
	run grep -c 'GET /big.txt' "$T/access.log"
	assert_output 1
}
