#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# scripts/http_guard.lua on the host, through `luaulp run`: benign traffic
# passes unchanged and attacks are refused with a 400 and a reset, for every
# chunk size and every two-way split of the input.

load helpers

setup() {
	scripts_setup
	G=$SCRIPTS/http_guard.lua
}

teardown() {
	scripts_teardown
}

# input FORMAT [ARGS...]: printf into $T/in.
input() {
	# shellcheck disable=SC2059
	printf "$@" >"$T/in"
}

# passes: the input passes unchanged every way, and through `luaulp run`
# whole and one byte at a time, with nothing sent from the kernel.
passes() {
	splits "$G" guard "$T/in"
	assert_success
	every_way pass
	local c
	for c in 65536 1; do
		feed "$G" guard --chunk $c <"$T/in"
		assert_success
		cmp "$T/in" "$T/out" || fail "delivered bytes differ (chunk $c)"
		[ ! -s "$T/sent" ] || fail "the kernel sent: $(cat "$T/sent")"
	done
}

# refused REASON: every way the script answers 400 (saying REASON) and
# resets; through `luaulp run` too, and the application never gets the
# whole input.
refused() {
	splits "$G" guard "$T/in"
	assert_success
	every_way "reset $1"
	local c
	for c in 65536 1; do
		feed "$G" guard --chunk $c <"$T/in"
		assert_failure 3
		assert_output --partial "log: http_guard: $1"
		run head -c 24 "$T/sent"
		assert_output "HTTP/1.1 400 Bad Request"
		grep -q $'^Connection: close\r$' "$T/sent" || fail "no Connection: close"
		[ "$(stat -c %s "$T/out")" -lt "$(stat -c %s "$T/in")" ] ||
			fail "the application got everything"
		cmp -s "$T/out" <(head -c "$(stat -c %s "$T/out")" "$T/in") ||
			fail "delivered bytes are not a prefix of the input"
	done
}

# --- benign ----------------------------------------------------------------

@test "benign: a curl-like GET" {
	input 'GET /index.html?q=a%%20b HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n'
	passes
}

@test "benign: keep-alive, pipelined GET, HEAD and OPTIONS *" {
	input 'GET / HTTP/1.1\r\nHost: a\r\n\r\nHEAD /x HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\nOPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n'
	passes
}

@test "benign: a POST body that looks like an attack is skipped by Content-Length" {
	input 'POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 43\r\n\r\nGET / HTTP/1.1\r\nX: a\rb\nContent-Length:\0\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n'
	passes
}

@test "benign: chunked upload with extensions and a trailer, then another request" {
	input 'POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;name=v\r\nhello\r\nA\r\n0123\r\n\n789\r\n0\r\nX-Sum: 1\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n'
	passes
}

@test "benign: HTTP/1.0 without Host, absolute-form, a leading empty line, UTF-8 value" {
	input '\r\nGET / HTTP/1.0\r\n\r\nGET http://a.example/p?x=1 HTTP/1.1\r\nHost: a.example\r\nX-Name: J\303\274rgen\r\nEmpty:\r\nTabs:\tv\t\r\n\r\n'
	passes
}

@test "benign: a 7000-byte header and a 29 KiB head (within limits)" {
	{
		printf 'GET / HTTP/1.1\r\nHost: a\r\nCookie: '
		head -c 7000 /dev/zero | tr '\0' c
		printf '\r\n'
		for i in $(seq 25); do printf 'X-F%d: ' "$i"; head -c 900 /dev/zero | tr '\0' v; printf '\r\n'; done
		printf '\r\n'
	} >"$T/in"
	for c in 65536 4096 1000 7 1; do
		feed "$G" guard --chunk $c <"$T/in"
		assert_success
		cmp "$T/in" "$T/out"
	done
}

@test "benign: a 1 MiB body in 64 KiB reads, then the next request" {
	{
		printf 'PUT /big HTTP/1.1\r\nHost: a\r\nContent-Length: 1048576\r\n\r\n'
		head -c 1048576 /dev/urandom
		printf 'GET / HTTP/1.1\r\nHost: a\r\n\r\n'
	} >"$T/in"
	feed "$G" guard --stats <"$T/in"
	assert_success
	cmp "$T/in" "$T/out"
	assert_output --partial "budget_hits=0"
}

@test "benign: 64 KiB of 1-byte chunks in one read stays inside the CPU budget" {
	{
		printf 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'
		for i in $(seq 10900); do printf '1\r\na\r\n'; done
	} >"$T/in"
	feed "$G" guard --stats <"$T/in"
	assert_success
	assert_output --partial "errors=0 budget_hits=0"
	cmp "$T/in" "$T/out"
}

# --- CRLF injection and bad characters ----------------------------------

@test "attack: bare CR inside a field value" {
	input 'GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.2.3.4\rSet-Cookie: s=1\r\n\r\n'
	refused "bare CR"
}

@test "attack: bare LF line ending (header injection through LF)" {
	input 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\nTransfer-Encoding: chunked\r\n\r\n'
	refused "bare LF line ending"
}

@test "attack: NUL in a field value" {
	input 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\0c\r\n\r\n'
	refused "control character in field"
}

@test "attack: encoded CRLF in the request-target (response splitting)" {
	input 'GET /redirect?to=%%0D%%0ASet-Cookie:%%20admin=1 HTTP/1.1\r\nHost: a\r\n\r\n'
	refused "encoded CR/LF/NUL in request-target"
}

@test "attack: obs-fold" {
	input 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n Transfer-Encoding: chunked\r\n\r\n'
	refused "obs-fold (line folding)"
}

@test "attack: whitespace between field name and colon" {
	input 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\nContent-Length: 4\r\n\r\n'
	refused "whitespace between field name and colon"
}

@test "attack: invalid token characters in method and field name" {
	input 'G(T / HTTP/1.1\r\nHost: a\r\n\r\n'
	refused "invalid method or request line"
	input 'GET / HTTP/1.1\r\nHost: a\r\nX[1]: b\r\n\r\n'
	refused "invalid field name"
}

@test "attack: control character and non-ASCII in the request-target" {
	input 'GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n'
	refused "control character in request line"
	input 'GET /\377 HTTP/1.1\r\nHost: a\r\n\r\n'
	refused "non-ASCII request-target"
	input 'GET a/b HTTP/1.1\r\nHost: a\r\n\r\n'
	refused "invalid request-target"
}

@test "attack: invalid or missing version" {
	input 'GET / HTTP/1.2\r\nHost: a\r\n\r\n'
	refused "invalid HTTP version"
	input 'GET / HTTP/1.1 x\r\nHost: a\r\n\r\n'
	refused "invalid HTTP version"
	input 'GET /\r\n\r\n'
	refused "no HTTP version"
}

# --- request smuggling ---------------------------------------------------------

@test "smuggling: Content-Length with Transfer-Encoding (CL.TE and TE.CL)" {
	input 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 13\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nSMUGGLED'
	refused "Transfer-Encoding with Content-Length"
	input 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n'
	refused "Transfer-Encoding with Content-Length"
}

@test "smuggling: duplicate Content-Length, identical or not, and lists" {
	input 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello'
	refused "duplicate Content-Length"
	input 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\n'
	refused "duplicate Content-Length"
	input 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello'
	refused "invalid Content-Length"
	input 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello'
	refused "invalid Content-Length"
	input 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n'
	refused "Content-Length too large"
}

@test "smuggling: transfer codings that do not end in chunked, or are not chunked" {
	input 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n'
	refused "final transfer coding is not chunked"
	input 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n'
	refused "final transfer coding is not chunked"
	input 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n'
	refused "unsupported Transfer-Encoding"
	input 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n'
	refused "unsupported Transfer-Encoding"
	input 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n'
	refused "Transfer-Encoding in HTTP/1.0"
}

@test "smuggling: a bad head pipelined behind a good request" {
	input 'GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /admin HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'
	refused "duplicate Content-Length"
}

@test "smuggling: malformed chunked framing" {
	input 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'
	refused "invalid chunk size"
	input 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n'
	refused "chunk data longer than its size"
	input 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000001\r\n'
	refused "chunk size too large"
	input 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nContent-Length : 5\r\n\r\n'
	refused "whitespace between field name and colon"
}

@test "Host: duplicate, missing in HTTP/1.1, malformed" {
	input 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'
	refused "duplicate Host"
	input 'GET / HTTP/1.1\r\nAccept: */*\r\n\r\n'
	refused "missing Host"
	input 'GET / HTTP/1.1\r\nHost: a/b@c\r\n\r\n'
	refused "invalid Host"
}

# --- limits ------------------------------------------------------------------

@test "limits: request line, field line, field count, head size, lines per read" {
	{ printf 'GET /'; head -c 8200 /dev/zero | tr '\0' a; printf ' HTTP/1.1\r\nHost: a\r\n\r\n'; } >"$T/in"
	feed "$G" guard --chunk 100 <"$T/in"
	assert_failure 3
	assert_output --partial "request line too long"
	{ printf 'GET / HTTP/1.1\r\nX: '; head -c 8200 /dev/zero | tr '\0' a; printf '\r\n\r\n'; } >"$T/in"
	feed "$G" guard <"$T/in"
	assert_failure 3
	assert_output --partial "field line too long"
	{ printf 'GET / HTTP/1.1\r\n'; for i in $(seq 101); do printf 'X%d: v\r\n' "$i"; done; printf '\r\n'; } >"$T/in"
	feed "$G" guard <"$T/in"
	assert_failure 3
	assert_output --partial "too many fields"
	{ printf 'GET / HTTP/1.1\r\n'; for i in $(seq 40); do printf 'X%d: ' "$i"; head -c 900 /dev/zero | tr '\0' v; printf '\r\n'; done; printf '\r\n'; } >"$T/in"
	feed "$G" guard <"$T/in"
	assert_failure 3
	assert_output --partial "request head too large"
	for i in $(seq 3640); do printf 'GET / HTTP/1.0\r\n\r\n'; done >"$T/in"
	feed "$G" guard --stats <"$T/in"
	assert_failure 3
	assert_output --partial "too many lines in one read"
	assert_output --partial "budget_hits=0"
}

@test "empty lines before the request line: one is tolerated, two are not" {
	input '\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n'
	refused "empty lines before request line"
}

@test "after a refusal every later read is reset too" {
	printf 'GET / HTTP/1.1\r\nHost: a\r\nX: \0\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n' >"$T/in"
	cat >"$T/twice.lua" <<-'EOF2'
	function twice(d)
		local a = guard(d)
		local b = guard("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
		assert(a == luaulp.RESET and b == luaulp.RESET)
		return a
	end
	EOF2
	cat "$G" "$T/twice.lua" >"$T/g2.lua"
	feed "$T/g2.lua" twice <"$T/in"
	assert_failure 3
	refute_output --partial error
}
