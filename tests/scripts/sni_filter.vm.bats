#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# scripts/sni_filter.lua in front of stock nginx serving TLS (workers as
# www-data) under libluaulp.so, in the guest: curl gets through with an
# allowed name; a denied name gets a TLS alert and never reaches nginx.

load helpers

setup_file() {
	[ -d /sys/module/luaulp ] || fail "the luaulp module is not loaded"
	scripts_setup
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$T/key.pem" -out "$T/cert.pem" -days 2 -subj /CN=www.example.com \
		2>/dev/null || fail "openssl req failed"
	nginx_start "script = \"$SCRIPTS/sni_filter.lua\"; entry = \"filter\"; on_error = \"reset\";" \
		"" "ssl_certificate $T/cert.pem; ssl_certificate_key $T/key.pem;"
}

teardown_file() {
	nginx_stop
	scripts_teardown
}

teardown() {
	show_shim_log
}

# tls NAME: curl https://NAME:$P1/index.html through the guarded port.
tls() {
	run curl -sS -k --max-time 20 --resolve "$1:$P1:127.0.0.1" "https://$1:$P1/index.html"
}

@test "an allowed server name is served" {
	tls www.example.com
	assert_success
	assert_output "hello from nginx"
	tls evil.test
	assert_success
}

@test "a denied server name gets an unrecognized_name alert and a reset; nginx never sees it" {
	before=$(wc -l <"$T/access.log")
	tls a.evil.test
	assert_failure
	assert_output --regexp "unrecognized name|alert|reset"
	tls WWW.EVIL.TEST
	assert_failure
	run wc -l <"$T/access.log"
	assert_output "$before"
}

@test "plain HTTP on the TLS port is refused by the filter" {
	run curl -sS --max-time 20 "http://127.0.0.1:$P1/"
	assert_failure
	refute_output --partial "400"
}
