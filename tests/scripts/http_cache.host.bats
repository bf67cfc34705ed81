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

# play < SCENARIO: the transcript in $output (SCRIPT: the script played,
# default http_cache.lua).
play() {
	{
		printf 'SRC = [=====[\n'
		cat "${SCRIPT:-$SCRIPTS/http_cache.lua}"
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
	assert_line -n 2 'B recv replace: sent:HTTP/1.1 200 OK\r\nAge: 0\r\nX-Cache: kernel\r\nContent-Length: 5\r\n\r\nhello'
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
	run grep -c '^B recv replace:$' <<<"$transcript"
	assert_output 26
	run tail -1 <<<"$(grep '^B' <<<"$transcript")"
	assert_output --partial 'B recv replace: sent:HTTP/1.1 200 OK\r\nAge: 0\r\nX-Cache: kernel'
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
	assert_line -n 4 --partial "C recv replace: sent:HTTP/1.1 200 OK"
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

HIT='replace: sent:HTTP/1.1 200 OK\r\nAge: '

@test "keyed by the local address and port: a response cached on one port is not served on another" {
	play <<-EOF
	A:80 recv $GET
	A:80 send $OK
	B:8080 recv $GET
	C:80 recv $GET
	EOF
	assert_success
	assert_line -n 2 "B:8080 recv pass"
	assert_line -n 3 --partial "C:80 recv $HIT"
}

@test "not stored: Vary, private, no-cache, Pragma no-cache; requests with Cookie or Authorization neither" {
	for h in 'Vary: Accept-Encoding' 'Vary: *' 'Cache-Control: private' 'Cache-Control: public, no-cache' \
		'Cache-Control: no-store' 'Pragma: no-cache' 'Expires: 0'; do
		play <<-EOF
		A recv $GET
		A send HTTP/1.1 200 OK\r\n$h\r\nContent-Length: 5\r\n\r\nhello
		B recv $GET
		EOF
		assert_success
		assert_line -n 2 "B recv pass" || fail "$h was stored"
	done
	for h in 'Cookie: s=1' 'Authorization: Basic eA=='; do
		play <<-EOF
		A recv GET / HTTP/1.1\r\nHost: a\r\n$h\r\n\r\n
		A send $OK
		B recv $GET
		EOF
		assert_success
		assert_line -n 2 "B recv pass" || fail "a response to a request with $h was stored"
	done
}

@test "freshness: s-maxage over max-age, max-age, Expires minus Date, Age on hits" {
	play <<-EOF
	A recv $GET
	A send HTTP/1.1 200 OK\r\nCache-Control: max-age=100, s-maxage=5\r\nContent-Length: 5\r\n\r\nhello
	- clock 4
	B recv $GET
	- clock 1
	C recv $GET
	EOF
	assert_line -n 2 --partial "B recv ${HIT}4\r\n"
	assert_line -n 3 "C recv pass"
	play <<-EOF
	A recv $GET
	A send HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nExpires: Sun, 06 Nov 1994 08:50:07 GMT\r\nContent-Length: 5\r\n\r\nhello
	- clock 29
	B recv $GET
	- clock 1
	C recv $GET
	EOF
	assert_line -n 2 --partial "B recv ${HIT}29\r\n"
	assert_line -n 3 "C recv pass"
	# an Age from upstream counts: 10 + 15 seconds here
	play <<-EOF
	A recv $GET
	A send HTTP/1.1 200 OK\r\nAge: 10\r\nCache-Control: max-age=30\r\nContent-Length: 5\r\n\r\nhello
	- clock 15
	B recv $GET
	- clock 5
	C recv $GET
	EOF
	assert_line -n 2 'B recv replace: sent:HTTP/1.1 200 OK\r\nAge: 25\r\nX-Cache: kernel\r\nCache-Control: max-age=30\r\nContent-Length: 5\r\n\r\nhello'
	assert_line -n 3 "C recv pass"
	# config.ttl (60) caps everything
	play <<-EOF
	A recv $GET
	A send HTTP/1.1 200 OK\r\nCache-Control: max-age=86400\r\nContent-Length: 5\r\n\r\nhello
	- clock 60
	B recv $GET
	EOF
	assert_line -n 2 "B recv pass"
}

@test "a key longer than the store's 256 bytes is hashed: stored, served, never an error" {
	long=/static/$(head -c 400 /dev/zero | tr '\0' a)
	play <<-EOF
	A recv GET $long HTTP/1.1\r\nHost: a\r\n\r\n
	A send $OK
	B recv GET $long HTTP/1.1\r\nHost: a\r\n\r\n
	C recv GET ${long}b HTTP/1.1\r\nHost: a\r\n\r\n
	EOF
	assert_success
	assert_line -n 0 "A recv pass"
	assert_line -n 2 --partial "B recv $HIT"
	assert_line -n 3 "C recv pass"
	refute_output --partial "error"
}

@test "heads that cannot be hits are not held: bare LF, other paths, other methods" {
	{
		echo "A recv $GET"
		echo "A send $OK"
		echo 'B recv GET / HTTP/1.1\n'
		echo 'C recv GET /other HTTP/1.1\r\n'
		echo 'D recv POST / HTTP/1.1\r\n'
		echo 'E recv GET / HTTP/1.1\r\nHost: a\r\n'
	} >"$T/in"
	play <"$T/in"
	assert_success
	assert_line -n 2 "B recv pass"
	assert_line -n 3 "C recv pass"
	assert_line -n 4 "D recv pass"
	assert_line -n 5 "E recv replace:"
}

@test "the guard in front of the cache, in one state (build/scripts/http_guard_cache.lua)" {
	SCRIPT=$ROOT/build/scripts/http_guard_cache.lua
	[ -r "$SCRIPT" ] || fail "build first: make user"
	UPGRADE='GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'
	# (two connections: each holds both scripts, the driver's state is capped)
	play <<-EOF
	A recv $GET
	A send $OK
	A recv GET / HTTP/1.1\r\n
	A recv Host: a\r\n\r\n
	A recv GET / HTTP/1.1\r\nHost: a\r\n\r\n$UPGRADE
	A send HTTP/1.1 101 Switching Protocols\r\n\r\n
	A recv \0\1frame\r\n
	B recv GET / HTTP/1.1\r\nHost: a\r\nX: \0\r\n\r\n
	EOF
	assert_success
	assert_line -n 0 "A recv pass"
	# held by the guard, then a hit from the cache
	assert_line -n 2 "A recv drop"
	assert_line -n 3 --partial "A recv $HIT"
	# a hit, then the upgrade goes to the server, whose 101 the guard sees
	assert_line -n 4 --partial "A recv replace:${UPGRADE} sent:HTTP/1.1 200 OK"
	assert_line -n 6 "A recv pass"
	# refused by the guard: nothing reaches the cache or the server
	assert_line -n 7 --partial "B recv close sent:HTTP/1.1 400 Bad Request"
}

@test "guard and cache: an upgrade request answered from the store is no upgrade; the next request flows" {
	SCRIPT=$ROOT/build/scripts/http_guard_cache.lua
	# (the guard holds what follows an upgrade request until its answer:
	# the cache's answer must count, or the connection stalls)
	play <<-EOF
	A recv $GET
	A send $OK
	B recv GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n
	B recv GET /x HTTP/1.1\r\nHost: a\r\n\r\n
	B send HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok
	B recv GET /y HTTP/1.1\r\nHost: a\r\n\r\n
	EOF
	assert_success
	assert_line -n 2 --partial "B recv $HIT"
	assert_line -n 3 "B recv pass"
	assert_line -n 5 "B recv pass"
}

@test "poisoning: unkeyed headers that override host, URL or method: neither stored nor served" {
	for h in 'X-Forwarded-Host: evil.example' 'X-Forwarded-Proto: http' 'X-Forwarded-Scheme: nothttps' \
		'X-Host: evil.example' 'X-Original-URL: /admin' 'X-Rewrite-URL: /admin' \
		'X-HTTP-Method-Override: POST' 'Forwarded: host=evil.example'; do
		# not stored: the response may reflect it, and others would get it
		play <<-EOF
		A recv GET / HTTP/1.1\r\nHost: a\r\n$h\r\n\r\n
		A send $OK
		B recv $GET
		EOF
		assert_success
		assert_line -n 2 "B recv pass" || fail "a response to a request with $h was stored"
		# not served: the server would answer it differently
		play <<-EOF
		A recv $GET
		A send $OK
		B recv GET / HTTP/1.1\r\nHost: a\r\n$h\r\n\r\n
		EOF
		assert_success
		assert_line -n 2 "B recv pass" || fail "a request with $h was served from the store"
	done
	# X-Forwarded-For (added by every proxy in front) does not change a page
	play <<-EOF
	A recv GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 192.0.2.1\r\n\r\n
	A send $OK
	B recv $GET
	EOF
	assert_line -n 2 --partial "B recv $HIT"
}

@test "poisoning: a second Host, a GET with a body (fat GET): neither stored nor served" {
	# nginx takes the first Host (or refuses two): the key must not be the last
	play <<-EOF
	A recv $GET
	A send $OK
	B recv GET / HTTP/1.1\r\nHost: b\r\nHost: a\r\n\r\n
	C recv GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n
	D recv GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello
	E recv GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n
	EOF
	assert_success
	refute_output --partial "sent:"
	play <<-EOF
	A recv GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n
	A send $OK
	B recv GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello
	B send $OK
	C recv $GET
	D recv GET / HTTP/1.1\r\nHost: b\r\n\r\n
	EOF
	assert_success
	refute_output --partial "sent:"
}
