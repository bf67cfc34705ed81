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

# variant 'OLD' 'NEW': a copy of the guard with one config line changed, as
# $G (for the rest of the test).
variant() {
	sed "s/$1/$2/" "$SCRIPTS/http_guard.lua" >"$T/variant.lua"
	cmp -s "$T/variant.lua" "$SCRIPTS/http_guard.lua" && fail "no line '$1' in the config"
	G=$T/variant.lua
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

# refused REASON [BEFORE]: every way (whole, every chunk size, every
# two-way split) the script answers 400 saying REASON and closes, and the
# application got a prefix of the first BEFORE bytes (default 0): nothing
# of the refused unit (head, chunk-size line, trailer), nothing after it.
# (Whole units before it in the read that holds the refusal are not given
# either: the verdict is for the whole read.)  One byte at a time, all
# BEFORE bytes; through `luaulp run` too.
refused() {
	local n=${2:-0} bad
	splits "$G" guard "$T/in"
	assert_success
	[ -n "$output" ] || fail "no verdicts"
	bad=$(grep -v ": close $1, delivered [0-9]*\$" <<<"$output" | head -3)
	[ -z "$bad" ] || fail "expected \"close $1\" every way; differs: $bad"
	bad=$(sed 's/.*delivered //' <<<"$output" | awk -v n="$n" '$1 > n' | head -3)
	[ -z "$bad" ] || fail "the application got more than $n bytes: $bad"
	grep -q "^chunk 1: close $1, delivered $n\$" <<<"$output" || fail "one byte at a time: $(head -1 <<<"$output")"
	local c
	for c in 65536 1; do
		feed "$G" guard --chunk $c <"$T/in"
		assert_failure 4
		assert_output --partial "log: http_guard: $1"
		run head -c 24 "$T/sent"
		assert_output "HTTP/1.1 400 Bad Request"
		grep -q $'^Connection: close\r$' "$T/sent" || fail "no Connection: close"
		[ "$(stat -c %s "$T/out")" -le "$n" ] || fail "the application got $(stat -c %s "$T/out") bytes, over $n"
		cmp -s "$T/out" <(head -c "$(stat -c %s "$T/out")" "$T/in") || fail "delivered bytes are not a prefix of the input"
	done
}

# --- the script itself -------------------------------------------------------

@test "each refusal's number names its reason: \"reason = N -- TEXT\" matches line N of REASONS" {
	cat >"$T/check.lua" <<-'EOF'
	function check(src)
		local reasons, out = {}, {}
		for r in src:match("\nlocal REASONS = %[%[\n(.-)%]%]"):gmatch("[^\n]+") do
			reasons[#reasons + 1] = r
		end
		local used, lines = {}, 0
		for line in src:gmatch("[^\n]*") do
			-- a number given as the reason: "reason = ...", "return nil, N"
			local code, comment = line:match("^(.-)%-%-%s*(.*)$")
			code = code or line
			local expr = code:match("reason = (.*)$") or code:match("return nil, (%d+)")
			if expr and comment and expr:find("%d") then
				local texts = {}
				for t in ((comment or "") .. ";"):gmatch("%s*([^;]*);") do
					texts[#texts + 1] = t
				end
				local i = 0
				for n in expr:gmatch("%f[%w](%d+)%f[^%w]") do
					if n ~= "0" then
						i, lines = i + 1, lines + 1
						n = tonumber(n)
						used[n] = true
						local want = reasons[n]
						if not want or (texts[i] or ""):sub(1, #want) ~= want then
							out[#out + 1] = ("%q: reason %d is %q"):format(line, n, tostring(want))
						end
					end
				end
			end
		end
		for n = 1, #reasons do
			if not used[n] then
				out[#out + 1] = "reason " .. n .. " is never used"
			end
		end
		return #out == 0 and ("ok " .. lines .. " uses of " .. #reasons .. " reasons\n")
			or table.concat(out, "\n") .. "\n"
	end
	EOF
	run "$CLI" run "$T/check.lua" --entry check --chunk 65536 <"$G"
	assert_success
	assert_output --regexp '^ok [0-9]+ uses of [0-9]+ reasons$'
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

@test "encoded CR/LF in the request-target passes by default, refused with reject_encoded_ctl" {
	input 'GET /redirect?to=%%0D%%0ASet-Cookie:%%20admin=1 HTTP/1.1\r\nHost: a\r\n\r\n'
	passes
	variant 'reject_encoded_ctl = false' 'reject_encoded_ctl = true'
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
	input 'GET a/b HTTP/1.1\r\nHost: a\r\n\r\n'
	refused "invalid request-target"
}

@test "raw UTF-8 in the request-target passes by default, refused with allow_obs_text_target = false" {
	input 'GET /caf\303\251?q=\342\202\254 HTTP/1.1\r\nHost: a\r\n\r\n'
	passes
	variant 'allow_obs_text_target = true' 'allow_obs_text_target = false'
	refused "non-ASCII request-target"
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
	refused "duplicate Content-Length" 27
}

@test "smuggling: malformed chunked framing" {
	# (the head is 56 bytes; chunk data passes as it comes, framing lines
	# and the trailer section are held until checked)
	input 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'
	refused "invalid chunk size" 56
	input 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n'
	refused "chunk data longer than its size" 62
	input 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000001\r\n'
	refused "chunk size too large" 56
	input 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nContent-Length : 5\r\n\r\n'
	refused "whitespace between field name and colon" 59
	input 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a\nb\r\nhello\r\n0\r\n\r\n'
	refused "bare LF line ending" 56
	input 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n'
	refused "invalid chunk size" 56
	input 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n'
	refused "invalid chunk extension" 56
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
	assert_failure 4
	assert_output --partial "request line too long"
	{ printf 'GET / HTTP/1.1\r\nX: '; head -c 8200 /dev/zero | tr '\0' a; printf '\r\n\r\n'; } >"$T/in"
	feed "$G" guard <"$T/in"
	assert_failure 4
	assert_output --partial "field line too long"
	{ printf 'GET / HTTP/1.1\r\n'; for i in $(seq 101); do printf 'X%d: v\r\n' "$i"; done; printf '\r\n'; } >"$T/in"
	feed "$G" guard <"$T/in"
	assert_failure 4
	assert_output --partial "too many fields"
	{ printf 'GET / HTTP/1.1\r\n'; for i in $(seq 40); do printf 'X%d: ' "$i"; head -c 900 /dev/zero | tr '\0' v; printf '\r\n'; done; printf '\r\n'; } >"$T/in"
	feed "$G" guard <"$T/in"
	assert_failure 4
	assert_output --partial "request head too large"
	for i in $(seq 3640); do printf 'GET / HTTP/1.0\r\n\r\n'; done >"$T/in"
	feed "$G" guard --stats <"$T/in"
	assert_failure 4
	assert_output --partial "too many lines in one read"
	assert_output --partial "budget_hits=0"
}

@test "empty lines before and between requests are tolerated (RFC 9112 2.2), up to max_empty_lines" {
	input '\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n\r\n\r\nPOST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nab\r\nGET / HTTP/1.0\n\n'
	passes
	input 'GET / HTTP/1.1\r\nHost: a\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n'
	refused "empty lines before request line" 27
}

@test "after a refusal every later read is refused too" {
	printf 'GET / HTTP/1.1\r\nHost: a\r\nX: \0\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n' >"$T/in"
	cat >"$T/twice.lua" <<-'EOF2'
	function twice(d)
		local a = guard(d)
		local b = guard("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
		assert(a == luaulp.CLOSE and b == luaulp.CLOSE)
		return a
	end
	EOF2
	cat "$G" "$T/twice.lua" >"$T/g2.lua"
	feed "$T/g2.lua" twice <"$T/in"
	assert_failure 4
	refute_output --partial error
}

# --- heads are held back until validated ----------------------------------

@test "a slow attack: nothing of the refused head reaches the server, one byte at a time or any split" {
	# (refused asserts it: the application got 0 bytes every way)
	input 'GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: x\r\nAccept: */*\r\nX-Long: aaaaaaaaaaaaaaaaaaaaaaaa\r\nX: a\rb\r\n\r\n'
	refused "bare CR"
	# a valid head is released whole, at once, when its empty line comes
	printf 'GET / HTTP/1.1\r\nHost: a\r\n\r\n' >"$T/in"
	feed "$G" guard --chunk 1 -v <"$T/in"
	assert_success
	run grep -c "bytes: drop" <<<"$output"
	assert_output 26
	cmp "$T/in" "$T/out"
}

@test "a head cut at a field, at a line end, inside CRLF: verdicts and delivered bytes independent of the split" {
	input 'GET / HTTP/1.1\r\nHost: a\r\n\r\nPOST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n'
	refused "Transfer-Encoding with Content-Length" 80
}

@test "limits are byte counts: the same reason whatever the split" {
	{ printf 'GET / HTTP/1.1\r\nHost: a\r\nX: '; head -c 8200 /dev/zero | tr '\0' a; printf '\0\r\n\r\n'; } >"$T/in"
	for c in 65536 8192 100 1; do
		feed "$G" guard --chunk $c <"$T/in"
		assert_failure 4
		assert_output --partial "log: http_guard: field line too long"
		[ ! -s "$T/out" ] || fail "the application got bytes (chunk $c)"
	done
	{ printf 'GET / HTTP/1.1\r\n'; for i in $(seq 40); do printf 'X%d: ' "$i"; head -c 900 /dev/zero | tr '\0' v; printf '\r\n'; done; printf '\r\n'; } >"$T/in"
	for c in 65536 4096 7 1; do
		feed "$G" guard --chunk $c <"$T/in"
		assert_failure 4
		assert_output --partial "log: http_guard: request head too large"
		[ ! -s "$T/out" ] || fail "the application got bytes (chunk $c)"
	done
	# a long chunk-size line of zeros: the same verdict in one read or many
	{ printf 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'; head -c 1100 /dev/zero | tr '\0' 0; printf '5\r\nhello\r\n0\r\n\r\n'; } >"$T/in"
	for c in 65536 100 1; do
		feed "$G" guard --chunk $c <"$T/in"
		assert_failure 4
		assert_output --partial "log: http_guard: chunk size line too long"
	done
}

# refused_within_budget REASON [CHUNK...]: $T/in is refused with REASON in
# reads of each CHUNK size (default: whole), no call hitting the CPU budget.
refused_within_budget() {
	local reason=$1 c
	shift
	for c in "${@:-65536}"; do
		feed "$G" guard --chunk "$c" --stats <"$T/in"
		assert_failure 4
		assert_output --partial "log: http_guard: $reason"
		assert_output --partial "errors=0 budget_hits=0"
	done
}

@test "long runs of zeros or blanks (lengths, chunk sizes, OWS) are scanned in linear time, whatever the split" {
	# a pattern that backtracks over leading zeros is quadratic: 8000
	# zeros were enough to exhaust the CPU budget in one read
	{ printf 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: '; head -c 8000 /dev/zero | tr '\0' 0; printf 'x\r\n\r\n'; } >"$T/in"
	refused_within_budget "invalid Content-Length" 65536 1000
	{ printf 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'; head -c 3000 /dev/zero | tr '\0' 0; } >"$T/in"
	refused_within_budget "chunk size line too long" 65536 100 1
	{ printf 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'; head -c 60000 /dev/zero | tr '\0' 0; printf '5\r\nhello\r\n0\r\n\r\n'; } >"$T/in"
	refused_within_budget "chunk size line too long" 65536 4096
	# blanks around a value: a pattern where two OWS runs compete for them
	# is quadratic too
	{ printf 'GET / HTTP/1.1\r\nHost: '; head -c 7000 /dev/zero | tr '\0' ' '; printf '@\r\n\r\n'; } >"$T/in"
	refused_within_budget "invalid Host" 65536 1000
	{ printf 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked,'; head -c 7000 /dev/zero | tr '\0' ' '; printf '@\r\n\r\n'; } >"$T/in"
	refused_within_budget "invalid Transfer-Encoding" 65536 1000
	{ printf 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1'; head -c 7000 /dev/zero | tr '\0' ' '; printf 'x\r\n\r\n'; } >"$T/in"
	refused_within_budget "invalid Content-Length" 65536 1000
	# within the limit, leading zeros are fine in one read or many
	{ printf 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'; head -c 1000 /dev/zero | tr '\0' 0; printf '5\r\nhello\r\n0\r\n\r\n'; } >"$T/in"
	passes
}

@test "a 32 KiB head in one-byte reads: linear, inside the CPU budget, released whole" {
	{ printf 'GET / HTTP/1.1\r\nHost: a\r\n'; for i in $(seq 35); do printf 'X-F%d: ' "$i"; head -c 880 /dev/zero | tr '\0' v; printf '\r\n'; done; printf '\r\n'; } >"$T/in"
	[ "$(stat -c %s "$T/in")" -gt 31000 ]
	feed "$G" guard --chunk 1 --stats <"$T/in"
	assert_success
	assert_output --partial "errors=0 budget_hits=0 memory_hits=0"
	cmp "$T/in" "$T/out"
}

# --- line endings ------------------------------------------------------------

@test "bare LF: a head whose lines all end in LF passes (Test::Nginx, netcat), with an LF or CRLF chunked body" {
	input 'GET / HTTP/1.0\nHost: localhost\n\nGET /x HTTP/1.1\nHost: a\nConnection: close\n\nPOST /u HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n5\nhello\n0\nX: 1\n\n'
	passes
	input 'GET /u HTTP/1.1\nHost: localhost\nConnection: close\nTransfer-Encoding: chunked\n\n5\r\n01234\r\n4\r\nmany\r\n0\r\n\r\n'
	passes
}

@test "bare LF: refused after a CRLF request line; after a bare-LF one CRLF lines pass (as nginx); every bare CR is refused" {
	input 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\nTransfer-Encoding: chunked\r\n\r\n'
	refused "bare LF line ending"
	input 'GET / HTTP/1.1\r\nHost: a\r\n\n'
	refused "bare LF line ending"
	# Test::Nginx's range_if_range.t: a field value copied with its CR
	input 'GET /t1.html HTTP/1.1\nHost: localhost\nConnection: close\nRange: bytes=0-9\nIf-Range: Mon, 28 Sep 1970 06:00:00 GMT\r\n\n'
	passes
	input 'GET / HTTP/1.1\nHost: a\r\r\n\n'
	refused "bare CR"
	input 'GET / HTTP/1.1\r\nHost: a\r\r\n\r\n'
	refused "bare CR"
	input 'GET /\r HTTP/1.1\r\nHost: a\r\n\r\n'
	refused "bare CR"
	# a bare-LF chunk line after a CRLF head is refused; after an LF head
	# (Test::Nginx: LF head, CRLF chunks) either passes, as nginx takes it
	input 'POST /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n'
	refused "bare LF line ending" 65
}

@test "bare_lf = false refuses every bare LF" {
	variant 'bare_lf = true' 'bare_lf = false'
	input 'GET / HTTP/1.0\nHost: localhost\n\n'
	refused "bare LF line ending"
	input 'GET / HTTP/1.1\r\nHost: a\r\n\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n'
	refused "bare LF line ending" 27
}

# --- RFC 9112 / 9110 corpus: more smuggling and injection classes -----------

@test "corpus: TE obfuscation (TE.TE), CL forms, request-line forms" {
	input 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n'
	refused "final transfer coding is not chunked"
	input 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
	passes
	input 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\tchunked \r\n\r\n0\r\n\r\n'
	passes
	input 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "chunked"\r\n\r\n0\r\n\r\n'
	refused "invalid Transfer-Encoding"
	input 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding\r\n: chunked\r\n\r\n'
	refused "invalid field name"
	input 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n'
	refused "invalid Content-Length"
	input 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 0\r\n\r\n'
	refused "invalid Content-Length"
	input 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n'
	refused "invalid Content-Length"
	input 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n'
	refused "invalid Content-Length"
	input 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\nabcdefg'
	passes
	input 'GET  / HTTP/1.1\r\nHost: a\r\n\r\n'
	refused "empty request-target"
	input 'GET / HTTP/1.1 \r\nHost: a\r\n\r\n'
	refused "invalid HTTP version"
	input 'GET / http/1.1\r\nHost: a\r\n\r\n'
	refused "invalid HTTP version"
	input 'GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n'
	refused "control character in request line"
	input 'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\nGET * HTTP/1.1\r\nHost: a\r\n\r\n'
	refused "asterisk-form request-target without OPTIONS" 31
	input 'GET /a HTTP/1.1\r\nHost: a\r\nX:\0\r\n\r\n'
	refused "control character in field"
	input 'GET /a HTTP/1.1\r\nHost: a\r\n\tX: 1\r\n\r\n'
	refused "obs-fold (line folding)"
	input 'GET /a HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n'
	refused "invalid field name"
	input 'GET /a HTTP/1.1\r\nHost: a@b\r\n\r\n'
	refused "invalid Host"
	input 'GET /a HTTP/1.1\r\nHost: [::1]:80\r\nX-Empty:\r\nX-Sp:   \r\n\r\n'
	passes
}

@test "corpus: bodies are skipped by their framing, whatever they contain" {
	input 'POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 29\r\n\r\nGET /smuggled HTTP/1.1\r\nX:\r\r\nPOST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1d\r\nGET /smuggled HTTP/1.1\r\nX:\r\r\n\r\n0\r\n\r\n'
	passes
}

# --- upgrades, CONNECT, h2c, PROXY protocol --------------------------------

# play < SCENARIO: connections through tests/scripts/cache_driver.lua with
# the guard's entries; the transcript in $output.
play() {
	{
		printf 'SRC = [=====[\n'
		cat "$G"
		printf ']=====]\nRECV = "guard"\nSEND = "guard_send"\n'
		cat "$BATS_TEST_DIRNAME/cache_driver.lua"
	} >"$T/driver.lua"
	cat >"$T/scenario"
	run "$CLI" run "$T/driver.lua" --entry drive <"$T/scenario"
	assert_success
}

UPGRADE='GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'
SWITCH='HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n'
FRAME='\201\205\067\372\041\075\177\237\115\121\130'

@test "WebSocket: after the server's 101 the guard steps aside; frames pass" {
	frame=$(printf "$FRAME" | od -An -c | tr -s ' ' | sed 's/^ //')
	play <<-EOF
	A recv $UPGRADE
	A send $SWITCH
	A recv \r\n\0garbage that is no HTTP\r\r\n
	A recv GET / HTTP/1.1\nX: a\r\n\r\n
	EOF
	assert_line -n 0 "A recv pass"
	assert_line -n 1 "A send pass"
	assert_line -n 2 "A recv pass"
	assert_line -n 3 "A recv pass"
}

@test "WebSocket: bytes sent before the 101 are held, then passed; a refused upgrade goes back to checking HTTP" {
	play <<-EOF
	A recv $UPGRADE\0\1binary
	A send $SWITCH
	A recv more
	B recv ${UPGRADE}GET /next HTTP/1.1\r\nHost: a\r\n\r\n
	B send HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno\n
	B recv GET /x HTTP/1.1\r\nHost: a\r\nX: \0\r\n\r\n
	EOF
	assert_line -n 0 "A recv replace:${UPGRADE}"
	assert_line -n 2 'A recv replace:\0\1binarymore'
	assert_line -n 3 "B recv replace:${UPGRADE}"
	# (the held request and the bad one are checked in one read: both refused)
	assert_line -n 5 'B recv close sent:HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 40\r\nConnection: close\r\n\r\nBad Request: control character in field\n'
}

@test "WebSocket: the 101 is matched to the upgrade request, not to an earlier response's body" {
	play <<-EOF
	A recv GET /echo HTTP/1.1\r\nHost: a\r\n\r\n$UPGRADE
	A send HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n
	A send 24\r\nHTTP/1.1 101 Switching Protocols\r\n\r\n\r\n
	A recv GET /x HTTP/1.1\r\nHost: a\r\nX: \0\r\n\r\n
	A send 0\r\n\r\nHTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n
	A recv \r\n
	EOF
	# held while the server has not answered the upgrade (the fake 101 in
	# the body is not its answer), checked as HTTP once it declined
	assert_line -n 3 "A recv drop"
	assert_line -n 5 --partial "A recv close sent:HTTP/1.1 400 Bad Request"
	play <<-EOF
	A recv GET /echo HTTP/1.1\r\nHost: a\r\n\r\n$UPGRADE
	A send HTTP/1.1 200 OK\r\nContent-Length: 36\r\n\r\nHTTP/1.1 101 Switching Protocols\r\n\r\n
	A recv \0\1frame
	A send HTTP/1.1 101 Switching Protocols\r\n\r\n
	A recv \0\1frame
	EOF
	assert_line -n 2 "A recv drop"
	assert_line -n 4 'A recv replace:\0\1frame\0\1frame'
	# HEAD, 204, 304 and 1xx responses have no body to skip
	play <<-EOF
	A recv HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET /n HTTP/1.1\r\nHost: a\r\n\r\n$UPGRADE
	A send HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n
	A send HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n
	A send HTTP/1.1 100 Continue\r\n\r\n
	A send HTTP/1.1 101 Switching Protocols\r\n\r\n
	A recv \0\1frame
	EOF
	assert_line -n 5 'A recv pass'
}

@test "CONNECT: a 2xx makes a tunnel, another status goes back to HTTP" {
	play <<-EOF
	A recv CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n
	A send HTTP/1.1 200 Connection Established\r\n\r\n
	A recv \026\003\001\0\0TLS
	B recv CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n
	B send HTTP/1.1 405 Not Allowed\r\nContent-Length: 0\r\n\r\n
	B recv \026\003\001\0\0TLS\r\n
	EOF
	assert_line -n 0 "A recv pass"
	assert_line -n 2 "A recv pass"
	assert_line -n 3 "B recv pass"
	assert_line -n 5 --partial "B recv close sent:HTTP/1.1 400 Bad Request"
}

@test "without the send entry, bytes after an upgrade request are held, never passed unchecked" {
	{ printf "$UPGRADE"; head -c 40000 /dev/zero | tr '\0' x; } >"$T/in"
	feed "$G" guard --chunk 1000 <"$T/in"
	assert_failure 4
	assert_output --partial "too much data before the server answered the upgrade"
	[ "$(stat -c %s "$T/out")" -eq "$(printf "$UPGRADE" | wc -c)" ]
}

@test "h2c prior knowledge: refused by default with its reason; h2c = true passes the connection" {
	input 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\4\0\0\0\0\0'
	refused "HTTP/2 prior knowledge (h2c) not accepted"
	variant 'h2c = false' 'h2c = true'
	passes
	# only as the connection's first bytes
	input 'GET / HTTP/1.1\r\nHost: a\r\n\r\nPRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'
	refused "HTTP/2 prior knowledge (h2c) not accepted" 27
}

@test "PROXY protocol v1 and v2 with proxy_protocol = true; required then, refused otherwise" {
	input 'PROXY TCP4 192.0.2.1 198.51.100.2 56324 80\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n'
	refused "invalid request-target"
	variant 'proxy_protocol = false' 'proxy_protocol = true'
	passes
	input 'PROXY TCP6 2001:db8::1 2001:db8::2 56324 443\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n'
	passes
	input 'PROXY UNKNOWN\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n'
	passes
	input '\r\n\r\n\0\r\nQUIT\n\041\021\0\014\300\0\002\001\306\063\144\002\333\304\0\120GET / HTTP/1.1\r\nHost: a\r\n\r\n'
	passes
	input 'GET / HTTP/1.1\r\nHost: a\r\n\r\n'
	refused "invalid PROXY protocol header"
	input 'PROXY TCP4 192.0.2.1 198.51.100.2 56324 80\nGET / HTTP/1.1\r\nHost: a\r\n\r\n'
	refused "invalid PROXY protocol header"
	input '\r\n\r\n\0\r\nQUIT\n\041\177\0\0GET / HTTP/1.1\r\nHost: a\r\n\r\n'
	refused "invalid PROXY protocol header"
}

@test "Host values nginx accepts pass (IPvFuture, a second port), userinfo and paths do not" {
	input 'GET / HTTP/1.0\r\nHost: [v0123456789aBcDeF.!$&'"'"'()*+,;=-._~AbCdEfGhIjKlMnOpQrStUvWxYz0123456789:]\r\n\r\nGET / HTTP/1.0\r\nHost: 123.40.56.78:9000:80\r\n\r\nGET / HTTP/1.0\r\nHost: [::ffff:12.30.67.89]\r\n\r\n'
	passes
	input 'GET / HTTP/1.1\r\nHost: example.com/\\:552\r\n\r\n'
	refused "invalid Host"
	input 'GET / HTTP/1.1\r\nHost: evil.example@good.example\r\n\r\n'
	refused "invalid Host"
}

@test "a connection that starts with a TLS record passes unchecked (tls = true), refused with tls = false" {
	printf '\26\3\1\0\5hello\r\nGET / HTTP/1.1\r\n\0\r\n\r\n' >"$T/in"
	passes
	variant 'tls = true' 'tls = false'
	refused "control character in request line"
	# only as the first byte of the connection
	G=$SCRIPTS/http_guard.lua
	printf 'GET / HTTP/1.1\r\nHost: a\r\n\r\n\26\3\1\0\5hello\r\n' >"$T/in"
	refused "control character in request line" 27
}
