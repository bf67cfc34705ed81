#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# scripts/http_cache.lua on the host: connections played by
# tests/scripts/cache_driver.lua over one in-memory store.

load helpers

setup() {
	scripts_setup
}

teardown() {
	scripts_teardown
}

# play < SCENARIO: the transcript in $output.
play() {
	{
		printf 'SRC = [=====[\n'
		cat "$SCRIPTS/http_cache.lua"
		printf ']=====]\n'
		cat "$BATS_TEST_DIRNAME/cache_driver.lua"
	} >"$T/driver.lua"
	cat >"$T/scenario"
	run "$CLI" run "$T/driver.lua" --entry drive <"$T/scenario"
}

GET='GET / HTTP/1.1\r\nHost: a\r\n\r\n'
OK='HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'

@test "a miss goes to the server, its response fills the store, the next GET is served from the kernel" {
	play <<-EOF
	A recv $GET
	A send $OK
	B recv $GET
	B recv GET /other HTTP/1.1\r\nHost: a\r\n\r\n
	EOF
	assert_success
	assert_line -n 0 "A recv pass"
	assert_line -n 1 "A send pass"
	assert_line -n 2 'B recv drop sent:HTTP/1.1 200 OK\r\nX-Cache: kernel\r\nContent-Length: 5\r\n\r\nhello'
	assert_line -n 3 "B recv pass"
}

@test "a hit split into one-byte reads is held back, then served" {
	{
		echo "A recv $GET"
		echo "A send $OK"
		s=$(printf "$GET"; echo .)
		s=${s%.}
		for ((i = 0; i < ${#s}; i++)); do
			c=${s:i:1}
			[ "$c" = $'\r' ] && c='\r'
			[ "$c" = $'\n' ] && c='\n'
			echo "B recv $c"
		done
	} >"$T/in"
	play <"$T/in"
	assert_success
	transcript=$output
	run grep -c '^B recv drop$' <<<"$transcript"
	assert_output 26
	run tail -1 <<<"$(grep '^B' <<<"$transcript")"
	assert_output --partial 'B recv drop sent:HTTP/1.1 200 OK\r\nX-Cache: kernel'
}

@test "responses stay in order: no hit while the server owes a response" {
	play <<-EOF
	A recv $GET
	A send $OK
	C recv GET /slow HTTP/1.1\r\nHost: a\r\n\r\n$GET
	C send HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello
	C recv $GET
	EOF
	assert_success
	assert_line -n 2 "C recv pass"
	assert_line -n 4 --partial "C recv drop sent:HTTP/1.1 200 OK"
}

@test "not stored: no-store, Set-Cookie, no Content-Length, body in a later send" {
	play <<-EOF
	A recv $GET
	A send HTTP/1.1 200 OK\r\nCache-Control: no-store\r\nContent-Length: 5\r\n\r\nhello
	B recv $GET
	B send HTTP/1.1 200 OK\r\nSet-Cookie: s=1\r\nContent-Length: 5\r\n\r\nhello
	C recv $GET
	C send HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n
	D recv $GET
	D send HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n
	D send hello
	E recv $GET
	EOF
	assert_success
	refute_output --partial "drop"
	refute_output --partial "sent:"
}

@test "not served: cookies, credentials, Connection: close, HTTP/1.0, bodies, other paths" {
	play <<-EOF
	A recv $GET
	A send $OK
	B recv GET / HTTP/1.1\r\nHost: a\r\nCookie: s=1\r\n\r\n
	C recv GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic eA==\r\n\r\n
	D recv GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n
	E recv GET / HTTP/1.0\r\nHost: a\r\n\r\n
	F recv GET / HTTP/1.1\r\nHost: b\r\n\r\n
	G recv POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc$GET
	H recv GET /secret HTTP/1.1\r\nHost: a\r\n\r\n
	EOF
	assert_success
	refute_output --partial "drop"
	refute_output --partial "sent:"
}
