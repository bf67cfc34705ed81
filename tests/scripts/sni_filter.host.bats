#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# scripts/sni_filter.lua on the host, through `luaulp run`: ClientHellos
# split every way, across records, allowed and refused by name; malformed
# input refused with a TLS alert and a reset.

load helpers

setup() {
	scripts_setup
	S=$SCRIPTS/sni_filter.lua
}

teardown() {
	scripts_teardown
}

# hello NAME [RECORDS]: a crafted ClientHello in $T/in.
hello() {
	printf '%s %s' "$1" "${2:-1}" | "$CLI" run "$BATS_TEST_DIRNAME/mkhello.lua" --entry hello >"$T/in"
}

# with SETTING...: a copy of the script with config lines replaced, in $S.
with() {
	cp "$SCRIPTS/sni_filter.lua" "$T/sni.lua"
	local s
	for s in "$@"; do
		sed -i -E "s/^(\t${s%% =*} = ).*/\t$s,/" "$T/sni.lua"
	done
	S=$T/sni.lua
}

allowed() {
	splits "$S" filter "$T/in"
	assert_success
	every_way pass
	feed "$S" filter --chunk 1 <"$T/in"
	assert_success
	cmp "$T/in" "$T/out"
}

# refused REASON ALERT: closed every way (luaulp.CLOSE), the alert sent
# from the kernel.
refused() {
	splits "$S" filter "$T/in"
	assert_success
	[ -n "$output" ] || fail "no verdicts"
	local bad
	bad=$(grep -v ": close $1, delivered [0-9]*\$" <<<"$output" | head -3)
	[ -z "$bad" ] || fail "expected \"close $1\" every way; differs: $bad"
	local c
	for c in 65536 1; do
		feed "$S" filter --chunk $c <"$T/in"
		assert_failure 4
		assert_output --partial "log: sni_filter: $1"
		run od -An -tu1 "$T/sent"
		assert_output --regexp "^ +21 +3 +3 +0 +2 +2 +$2\$"
	done
}

@test "an allowed name passes, in one record or three, and the rest of the stream too" {
	hello www.example.com
	allowed
	hello www.example.com 3
	allowed
	printf 'application data \0\1\2' >>"$T/in"
	feed "$S" filter --chunk 7 <"$T/in"
	assert_success
	cmp "$T/in" "$T/out"
}

@test "a real ClientHello from openssl s_client" {
	command -v openssl >/dev/null || fail "no openssl"
	port=$((30000 + RANDOM % 20000))
	busybox nc -l -p "$port" >"$T/in" 3>&- &
	sleep 0.3
	timeout 5 openssl s_client -connect "127.0.0.1:$port" -servername Www.Example.COM \
		</dev/null >/dev/null 2>&1 3>&- || true
	wait
	[ "$(od -An -tu1 -N1 "$T/in")" -eq 22 ] || fail "no ClientHello captured"
	feed "$S" filter --chunk 1 <"$T/in"
	assert_success
	cmp "$T/in" "$T/out"
	with 'allow = { "*.example.org" }'
	feed "$S" filter --chunk 3 <"$T/in"
	assert_failure 4
	assert_output --partial "server name not allowed: www.example.com"
}

@test "deny list with wildcards, case-insensitive; the apex is not a wildcard match" {
	hello a.evil.test
	refused "server name denied: a.evil.test" 112
	hello X.Y.EVIL.Test 2
	refused "server name denied: x.y.evil.test" 112
	hello evil.test
	allowed
}

@test "allow list: exact names and wildcards" {
	with 'allow = { "example.com", "*.example.com" }'
	hello example.com
	allowed
	hello api.example.com
	allowed
	hello example.org
	refused "server name not allowed: example.org" 112
	hello badexample.com
	refused "server name not allowed: badexample.com" 112
}

@test "no server name: allowed or refused by no_sni" {
	hello -
	allowed
	with 'no_sni = "deny"'
	hello -
	refused "no server name" 112
}

@test "malformed input is refused with decode_error" {
	printf 'GET / HTTP/1.1\r\nHost: a\r\n\r\n' >"$T/in"
	refused "not a TLS handshake record" 50
	hello www.example.com
	printf '\26\3\7' | dd of="$T/in" bs=1 seek=0 conv=notrunc status=none
	refused "bad TLS record header" 50
	hello www.example.com
	printf '\2' | dd of="$T/in" bs=1 seek=5 conv=notrunc status=none
	refused "not a ClientHello" 50
	hello bad..name
	refused "malformed ClientHello: invalid host name" 50
	hello www.example.com
	# the extensions length (bytes 84-85) one too large
	b=$(od -An -tu1 -j85 -N1 "$T/in")
	printf "\\$(printf %o $((b + 1)))" | dd of="$T/in" bs=1 seek=85 conv=notrunc status=none
	refused "malformed ClientHello: bad extensions length" 50
}

@test "a ClientHello claiming 100000 bytes is refused at once" {
	printf '\26\3\1\0\4\1\1\206\240' >"$T/in"
	refused "ClientHello too large" 50
}

CCS='\24\3\3\0\1\1'

@test "every ClientHello: a second one after HelloRetryRequest is checked too" {
	# allowed name, then (TLS 1.3 compatibility mode) change_cipher_spec and
	# a second ClientHello with a denied name
	hello www.example.com
	mv "$T/in" "$T/ch1"
	hello a.evil.test 2
	{ cat "$T/ch1"; printf "$CCS"; cat "$T/in"; } >"$T/in2"
	mv "$T/in2" "$T/in"
	refused "server name denied: a.evil.test" 112
	# without the change_cipher_spec record, and with an allowed second name
	hello x.evil.test
	{ cat "$T/ch1" "$T/in"; } >"$T/in2"
	mv "$T/in2" "$T/in"
	refused "server name denied: x.evil.test" 112
	hello www.example.com 2
	{ cat "$T/ch1"; printf "$CCS"; cat "$T/in"; printf 'then anything \0'; } >"$T/in2"
	mv "$T/in2" "$T/in"
	allowed
}

@test "the filter steps aside at the first encrypted record (TLS 1.3 application_data, TLS 1.2 Finished)" {
	hello www.example.com
	mv "$T/in" "$T/ch1"
	# TLS 1.3: change_cipher_spec, then application_data records; then a
	# "ClientHello" that is no longer plaintext handshake: not looked at
	hello a.evil.test
	{ cat "$T/ch1"; printf "$CCS"; printf '\27\3\3\0\5abcde'; cat "$T/in"; } >"$T/in2"
	mv "$T/in2" "$T/in"
	allowed
	# TLS 1.2: ClientKeyExchange, change_cipher_spec, encrypted Finished
	hello a.evil.test
	{ cat "$T/ch1"; printf '\26\3\3\0\12\20\0\0\6\5abcde'; printf "$CCS"
	  printf '\26\3\3\0\10\343\001\002\003\004\005\006\007'; cat "$T/in"; } >"$T/in2"
	mv "$T/in2" "$T/in"
	allowed
}
