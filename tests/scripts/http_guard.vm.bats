#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# scripts/http_guard.lua in front of stock nginx (workers as www-data) under
# libluaulp.so, in the guest: attacks get a 400 from the kernel and a
# graceful close (a reset on a kernel without luaulp.CLOSE), nginx sees none
# of a refused head; benign traffic (bare-LF heads, encoded CR/LF, empty
# lines between requests, a WebSocket through nginx's proxy) is answered byte
# for byte as on the same nginx's unscripted port.  Run by tests/vm/run
# (root, repository root as cwd), both kernels.

load helpers

# One nginx for the whole file: starting it takes seconds under TCG.
setup_file() {
	[ -d /sys/module/luaulp ] || fail "the luaulp module is not loaded"
	scripts_setup
	# a WebSocket backend behind nginx's proxy (tests/scripts/ws_backend.py)
	PW=$(free_port)
	python3 "$BATS_TEST_DIRNAME/ws_backend.py" "$PW" >"$T/ws.log" 2>&1 3>&- &
	WS_PID=$!
	export PW WS_PID
	SERVER1_EXTRA="location /ws { proxy_pass http://127.0.0.1:$PW; proxy_http_version 1.1;
		proxy_set_header Upgrade \$http_upgrade; proxy_set_header Connection upgrade; }" \
	nginx_start "script = \"$SCRIPTS/http_guard.lua\"; entry = \"guard\"; send_entry = \"guard_send\"; on_error = \"reset\";"
	# the refusal: a graceful close where the kernel has luaulp.CLOSE
	if grep -q '"CLOSE"' "$ROOT"/kernel/*.c; then HOW=closed; else HOW=reset; fi
	export HOW
}

teardown_file() {
	nginx_stop
	kill "$WS_PID" 2>/dev/null || :
	scripts_teardown
}

teardown() {
	show_shim_log
}

# refused FILE REASON: FILE sent to the guarded port gets the kernel's 400
# naming REASON, then the close ($HOW).
refused() {
	raw "$P1" "$1"
	run cat "$T/how"
	assert_output "$HOW"
	run head -1 "$T/resp"
	assert_output $'HTTP/1.1 400 Bad Request\r'
	run tail -1 "$T/resp"
	assert_output "Bad Request: $2"
}

# same FILE [drip]: FILE gets the same bytes from the guarded and the
# unscripted port, and nginx closed the connection normally.
same() {
	local how=raw
	[ "${2:-}" = drip ] && how=raw_drip
	$how "$P2" "$1"
	mv "$T/resp" "$T/plain"
	$how "$P1" "$1"
	run cat "$T/how"
	assert_output closed
	[ -s "$T/resp" ] || fail "no response"
	cmp "$T/plain" "$T/resp" || fail "responses differ: $(diff -a "$T/plain" "$T/resp" | head -5)"
}

@test "the script is attached to the guarded port only" {
	exec 5<>"/dev/tcp/127.0.0.1/$P1"
	sleep 0.5
	run "$CLI" stat -t
	exec 5>&- 5<&-
	assert_success
	assert_output --regexp "127.0.0.1:$P1	127.0.0.1:[0-9]+	[0-9]+	33	[^	-][^	]*	guard	"
	refute_output --partial "127.0.0.1:$P2	"
}

@test "a guarded connection holds at most 32 KiB of Lua state" {
	# (nginx's master registered the script, the worker attached it by
	# name: the kernel's own figure, luaulp stat)
	exec 5<>"/dev/tcp/127.0.0.1/$P1"
	sleep 0.5
	run "$CLI" stat -t
	exec 5>&- 5<&-
	assert_success
	mem=$(awk -F'\t' -v p="127.0.0.1:$P1" '$1 == p { print $(NF - 1) }' <<<"$output" | head -1)
	[ -n "$mem" ] || fail "no guarded socket in: $output"
	[ "$mem" -le 32768 ] || fail "$mem bytes"
}

@test "CRLF injection and bad characters: 400, then the close" {
	printf 'GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.2.3.4\rSet-Cookie: admin=1\r\n\r\n' >"$T/in"
	refused "$T/in" "bare CR"
	printf 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\nTransfer-Encoding: chunked\r\n\r\n' >"$T/in"
	refused "$T/in" "bare LF line ending"
	printf 'GET / HTTP/1.1\r\nHost: a\r\nX-A: a\r\n b\r\n\r\n' >"$T/in"
	refused "$T/in" "obs-fold (line folding)"
	printf 'GET / HTTP/1.1\r\nHost: a\r\n\n' >"$T/in"
	refused "$T/in" "bare LF line ending"
	# curl gets the 400 (and stops reading at its Content-Length, or sees
	# the reset: 56)
	run curl -sS --max-time 20 -H $'X-A: a\001b' "http://127.0.0.1:$P1/"
	[ "$status" -eq 0 ] || [ "$status" -eq 56 ] || fail "curl status $status: $output"
	assert_output --partial "Bad Request: control character in field"
}

@test "benign as nginx sees it: bare-LF heads, encoded CR/LF, raw UTF-8, empty lines between requests" {
	printf 'GET /index.html HTTP/1.0\nHost: localhost\n\n' >"$T/in"
	same "$T/in"
	grep -aq '^hello from nginx' "$T/resp"
	printf 'GET /index.html?to=%%0d%%0aSet-Cookie:x HTTP/1.1\r\nHost: a\r\n\r\n\r\nGET /caf\303\251 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' >"$T/in"
	same "$T/in"
	run grep -ac '^HTTP/1.1 ' "$T/resp"
	assert_output 2
	printf 'GET /index.html HTTP/1.1\nHost: a\nConnection: close\n\n' >"$T/in"
	same "$T/in" drip
}

@test "WebSocket through nginx's proxy on the guarded port: the 101 is seen, frames pass both ways" {
	run python3 "$BATS_TEST_DIRNAME/ws_backend.py" --client "$P1"
	assert_success
	# (a frame checked as HTTP would be held as an unfinished request line:
	# the echo proves the guard stepped aside at the 101)
	assert_output "101 echo ok"
}

@test "IPv6: benign served, attack refused" {
	run curl -sS -g --max-time 20 "http://[::1]:$P1/index.html"
	assert_success
	assert_output "hello from nginx"
	run curl -sS -g --max-time 20 -H $'X: \001' "http://[::1]:$P1/"
	assert_output --partial "Bad Request: control character in field"
}

@test "request smuggling: 400, then the close; nginx never sees the requests" {
	local seen
	seen=$(wc -l <"$T/access.log")
	printf 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG' >"$T/in"
	refused "$T/in" "Transfer-Encoding with Content-Length"
	printf 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n' >"$T/in"
	refused "$T/in" "duplicate Content-Length"
	printf 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\nContent-Length: 3\r\n\r\nabc' >"$T/in"
	refused "$T/in" "whitespace between field name and colon"
	# behind a good request on the same connection: the good one is answered
	printf 'GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n' >"$T/in"
	raw_drip_pipeline() {
		exec 6<>"/dev/tcp/127.0.0.1/$P1"
		cat "$T/in" >&6
		sleep 1
		printf 'GET /smuggled2 HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n' >&6
		timeout 20 cat <&6 >"$T/resp" 2>"$T/err" || :
		exec 6<&- 6>&-
	}
	raw_drip_pipeline
	run grep -ac '^HTTP/1.1 ' "$T/resp"
	assert_output 2
	grep -aq '^hello from nginx' "$T/resp"
	[ "$HOW" = closed ] || grep -q "reset by peer" "$T/err"
	# nginx logged the one good request only
	run tail -n +$((seen + 1)) "$T/access.log"
	assert_output --regexp '^[^\n]*"GET /index.html HTTP/1.1" 200 [^\n]*$'

}

@test "benign: pipelined keep-alive requests, byte-identical to the unscripted port" {
	printf 'GET / HTTP/1.1\r\nHost: a\r\n\r\nHEAD /big.txt HTTP/1.1\r\nHost: a\r\n\r\nGET /big.txt HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\nGET /nope HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' >"$T/in"
	same "$T/in"
	run grep -ac '^HTTP/1.1 ' "$T/resp"
	assert_output 4
}

@test "benign: chunked upload and Content-Length bodies, then more requests" {
	{
		printf 'POST /index.html HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'
		printf '5\r\nhello\r\n1000\r\n'; head -c 4096 /dev/zero | tr '\0' x; printf '\r\n0\r\n\r\n'
		printf 'PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 24\r\n\r\nGET / HTTP/1.1\r\nX: a\rb\r\n'
		printf 'GET /index.html HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
	} >"$T/in"
	same "$T/in"
	run grep -ac '^HTTP/1.1 ' "$T/resp"
	assert_output 3
	# with curl: a chunked upload and keep-alive across two URLs
	head -c 10000 /dev/urandom >"$T/body"
	for p in "$P2" "$P1"; do
		curl -sS --max-time 20 -H 'Transfer-Encoding: chunked' --data-binary @"$T/body" \
			"http://127.0.0.1:$p/index.html" -o /dev/null -w '%{http_code}\n' \
			--next "http://127.0.0.1:$p/big.txt" -o "$T/big.$p" -w '%{http_code} %{num_connects}\n'
	done >"$T/codes"
	run cat "$T/codes"
	assert_output $'405\n200 0\n405\n200 0'
	cmp "$T/big.$P2" "$T/big.$P1"
}

@test "benign: large headers within limits, and one byte per write" {
	{
		printf 'GET /index.html HTTP/1.1\r\nHost: a\r\nCookie: '
		head -c 7000 /dev/zero | tr '\0' c
		printf '\r\nConnection: close\r\n\r\n'
	} >"$T/in"
	same "$T/in"
	grep -aq '^hello from nginx' "$T/resp"
	printf 'GET /index.html HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' >"$T/in"
	same "$T/in" drip
	grep -aq '^hello from nginx' "$T/resp"
}

@test "an attack written one byte at a time: nginx sees nothing of it (unguarded, it logs the request)" {
	local seen
	printf 'POST /drip HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG' >"$T/in"
	# nginx alone answers it itself, and logs it
	seen=$(wc -l <"$T/access.log")
	raw_drip "$P2" "$T/in"
	run tail -n +$((seen + 1)) "$T/access.log"
	assert_output --partial 'POST /drip'
	# guarded: the kernel's 400, and not a byte reached nginx
	seen=$(wc -l <"$T/access.log")
	raw_drip "$P1" "$T/in"
	run head -1 "$T/resp"
	assert_output $'HTTP/1.1 400 Bad Request\r'
	run tail -1 "$T/resp"
	assert_output "Bad Request: Transfer-Encoding with Content-Length"
	run tail -n +$((seen + 1)) "$T/access.log"
	refute_output --partial 'POST /drip'
	run grep -c 'drip' "$T/error.log"
	assert_output 0
}

@test "everyday clients: a browser-like request, Python's http.client, wrk: answered as unguarded, nothing refused" {
	local refusals
	refusals=$(dmesg | grep -c 'http_guard: ' || :)
	# a browser's GET with the usual fields (quoted client hints, cookies,
	# conditional fields, long values)
	{
		printf 'GET /index.html?q=caf%%C3%%A9&x=1 HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n'
		printf 'Cache-Control: max-age=0\r\nsec-ch-ua: "Chromium";v="118", "Google Chrome";v="118", "Not=A?Brand";v="99"\r\n'
		printf 'sec-ch-ua-mobile: ?0\r\nsec-ch-ua-platform: "Linux"\r\nUpgrade-Insecure-Requests: 1\r\n'
		printf 'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36\r\n'
		printf 'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7\r\n'
		printf 'Sec-Fetch-Site: none\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-User: ?1\r\nSec-Fetch-Dest: document\r\n'
		printf 'Accept-Encoding: gzip, deflate, br\r\nAccept-Language: de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7\r\n'
		printf 'Cookie: session=0123456789abcdef; theme=dark; consent={"a":true}\r\n'
		printf 'If-None-Match: "65f1a2b3-11"\r\nIf-Modified-Since: Wed, 21 Oct 2015 07:28:00 GMT\r\n\r\n'
		printf 'GET /big.txt HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\nReferer: http://localhost/index.html\r\nConnection: close\r\n\r\n'
	} >"$T/in"
	same "$T/in"
	run grep -ac '^HTTP/1.1 200 ' "$T/resp"
	assert_output 2
	# Python's http.client: keep-alive GET, HEAD, a POST with a body and a
	# chunked upload on one connection
	cat >"$T/client.py" <<-'EOF2'
	import hashlib, http.client, sys
	c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=20)
	for method, url, body, chunked in (("GET", "/index.html", None, False), ("HEAD", "/big.txt", None, False),
	                                   ("POST", "/index.html", b"a=1&b=2", False),
	                                   ("POST", "/index.html", iter([b"hello", b" ", b"world"]), True),
	                                   ("GET", "/big.txt", None, False)):
	    c.request(method, url, body=body, encode_chunked=chunked,
	              headers={"Transfer-Encoding": "chunked"} if chunked else {})
	    r = c.getresponse()
	    print(method, url, r.status, r.getheader("Content-Length"), hashlib.sha256(r.read()).hexdigest()[:16])
	EOF2
	run python3 "$T/client.py" "$P2"
	assert_success
	plain=$output
	run python3 "$T/client.py" "$P1"
	assert_success
	assert_output "$plain"
	assert_line --index 0 --regexp '^GET /index.html 200 '
	# wrk: keep-alive, four connections, many requests
	run wrk -t1 -c4 -d2s "http://127.0.0.1:$P1/index.html"
	assert_success
	assert_output --regexp 'requests in'
	refute_output --partial "Non-2xx"
	refute_output --partial "Socket errors"
	# and the guard refused none of it
	[ "$(dmesg | grep -c 'http_guard: ' || :)" = "$refusals" ]
}

# The smuggling and injection classes, each whole and one byte per write:
# the kernel's 400 with the reason, and nginx logs nothing of any of them.
@test "corpus through nginx, whole and byte by byte: CL.TE, TE.CL, TE.TE, duplicate CL, chunk-size tricks, obs-fold, bare CR/LF, NUL, name whitespace" {
	local seen errs i how
	cases=(
		'POST /c1 HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG|Transfer-Encoding with Content-Length'
		'POST /c2 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n|Transfer-Encoding with Content-Length'
		'POST /c3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n|final transfer coding is not chunked'
		'POST /c4 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "chunked"\r\n\r\n0\r\n\r\n|invalid Transfer-Encoding'
		'POST /c5 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\013chunked\r\n\r\n0\r\n\r\n|control character in field'
		'POST /c6 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello|duplicate Content-Length'
		'POST /c7 HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello|invalid Content-Length'
		'POST /c8 HTTP/1.1\r\nHost: a\r\nX: a\r\n Transfer-Encoding: chunked\r\n\r\n|obs-fold (line folding)'
		'POST /c9 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n|whitespace between field name and colon'
		'GET /c10 HTTP/1.1\r\nHost: a\r\nX: 1\rTransfer-Encoding: chunked\r\n\r\n|bare CR'
		'GET /c11 HTTP/1.1\r\nHost: a\r\nX: 1\nTransfer-Encoding: chunked\r\n\r\n|bare LF line ending'
		'GET /c12 HTTP/1.1\r\nHost: a\r\nX: a\000b\r\n\r\n|control character in field'
		'GET /c13 HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n|duplicate Host'
		'GET /c14 HTTP/1.1 x\r\nHost: a\r\n\r\n|invalid HTTP version'
	)
	# chunk-size tricks: the refused line comes after a head nginx gets
	chunked=(
		'POST /k1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n|invalid chunk extension'
		'POST /k2 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000001\r\n|chunk size too large'
		'POST /k3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n|chunk data longer than its size'
		'POST /k4 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a\nb\r\nhello\r\n0\r\n\r\n|bare LF line ending'
	)
	seen=$(wc -l <"$T/access.log")
	errs=$(wc -l <"$T/error.log")
	for c in "${cases[@]}" "${chunked[@]}"; do
		printf "${c%|*}" >"$T/in"
		for how in raw raw_drip; do
			$how "$P1" "$T/in"
			# only the kernel's 400 (a chunked one's head reached nginx,
			# which may have answered it first: the 400 comes after)
			if [[ $c == *'/c'[0-9]* ]]; then
				run head -1 "$T/resp"
				assert_output $'HTTP/1.1 400 Bad Request\r' || fail "$how: ${c%|*}"
			fi
			grep -aq $'^HTTP/1.1 400 Bad Request\r$' "$T/resp" || fail "$how: ${c%|*}: $(head -1 "$T/resp")"
			run tail -1 "$T/resp"
			assert_output "Bad Request: ${c#*|}" || fail "$how: ${c%|*}"
		done
	done
	# nginx never logged one of the refused heads; the chunked ones' heads
	# it got (their bodies were cut short: nginx's own 400s or none)
	run tail -n +$((seen + 1)) "$T/access.log"
	refute_output --regexp '"[A-Z]+ /c[0-9]+ '
	run tail -n +$((errs + 1)) "$T/error.log"
	refute_output --regexp '/c[0-9]+ '
}
