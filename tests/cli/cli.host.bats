#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# The luaulp command-line tool on the host.

load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
CLI=$ROOT/build/cli/luaulp

setup() {
	[ -x "$CLI" ] || fail "build first: make user"
	T=$(mktemp -d /tmp/luaulp-cli.XXXXXX)
	printf 'function guard(data, size, nonblock)\n  return nil\nend\n' >"$T/guard.lua"
}

teardown() { rm -rf "$T"; }

@test "usage: no command is a usage error, help succeeds, unknown commands are named" {
	run "$CLI"
	[ "$status" -eq 2 ]
	assert_output --partial "Usage: luaulp COMMAND"
	run "$CLI" --help
	assert_success
	assert_output --partial "luaulp check [-t] [CONF]"
	assert_output --partial "luaulp stat"
	assert_output --partial "luaulp run SCRIPT"
	run "$CLI" frobnicate
	[ "$status" -eq 2 ]
	assert_output --partial 'unknown command "frobnicate"'
}

@test "check: a valid policy, human and tab-separated" {
	cat >"$T/p.conf" <<-EOF
	version = 1;
	defaults = { entry = "guard"; script_dir = "$T"; };
	rules = (
	  { name = "web"; port = (80, "8000-8100"); exe = "nginx"; script = "guard.lua"; },
	  { direction = "connect"; address = ("10.0.0.0/8", "::1"); port = 6379;
	    script = "guard.lua"; send_entry = "guard"; fail = "closed"; on_error = "reset"; },
	  { port = 443; script_name = "tls_sni"; }
	);
	EOF
	run "$CLI" check "$T/p.conf"
	assert_success
	assert_line --index 0 --partial "$T/p.conf:4: rule \"web\": accept port 80,8000-8100 exe nginx address * -> $T/guard.lua entry guard"
	assert_line --index 1 --partial "rule \"rule#2\": connect port 6379 exe * address 10.0.0.0/8,::1/128 -> $T/guard.lua entry guard send_entry guard, on_error reset, fail closed"
	assert_line --index 2 --partial "registered script tls_sni entry guard"
	assert_line --index 3 --partial "$T/p.conf: ok, 3 rules"
	run "$CLI" check -t "$T/p.conf"
	assert_success
	assert_line --index 0 --regexp "^web	accept	80,8000-8100	nginx	\*	$T/guard.lua	guard	-	pass	open	(ok|unchecked)\$"
	assert_line --index 1 --regexp "^rule#2	connect	6379	\*	10.0.0.0/8,::1/128	$T/guard.lua	guard	guard	reset	closed	(ok|unchecked)\$"
	assert_line --index 2 "rule#3	accept	443	*	*	tls_sni	guard	-	pass	open	by-name"
	[ "${#lines[@]}" -eq 3 ]
}

@test "check: errors quote the value and give file:line, exit 1" {
	printf 'version = 1;\nrules = (\n  { port = "80-70"; entry = "guard"; script = "%s/guard.lua"; }\n);\n' "$T" >"$T/p.conf"
	run "$CLI" check "$T/p.conf"
	[ "$status" -eq 1 ]
	assert_output "$T/p.conf:3: port \"80-70\" is not a port or range LO-HI in 1..65535"
	printf 'rules = (\n  { port = 80; entry = "guard";\n    script = "missing.lua"; }\n);\n' >"$T/p.conf"
	run "$CLI" check "$T/p.conf"
	[ "$status" -eq 1 ]
	assert_output "$T/p.conf:3: rule \"rule#1\": script $T/missing.lua: No such file or directory"
	printf 'rules = (\n  { port = 80 }\n  { port = 81 }\n);\n' >"$T/p.conf"
	run "$CLI" check "$T/p.conf"
	[ "$status" -eq 1 ]
	assert_output "$T/p.conf:3: syntax error"
	run "$CLI" check "$T/none.conf"
	[ "$status" -eq 1 ]
	assert_output --partial "$T/none.conf: cannot read"
}

@test "check: without CONF it reads \$LUAULP_CONF" {
	printf 'rules = ( { port = 81; entry = "guard"; script = "guard.lua"; } );\n' >"$T/p.conf"
	LUAULP_CONF=$T/p.conf run "$CLI" check
	assert_success
	assert_output --partial "$T/p.conf: ok, 1 rule"
}

@test "check: the shipped config/luaulp.conf is valid" {
	mkdir -p "$T/scripts"
	if [ -r "$ROOT/scripts/http_guard.lua" ]; then
		cp "$ROOT/scripts/http_guard.lua" "$T/scripts/"
	else
		printf 'function guard(data, size, nonblock) return nil end\n' >"$T/scripts/http_guard.lua"
	fi
	sed "s|\"/usr/local/share/luaulp/scripts\"|\"$T/scripts\"|" "$ROOT/config/luaulp.conf" >"$T/luaulp.conf"
	grep -q "script_dir = \"$T/scripts\"" "$T/luaulp.conf"
	run "$CLI" check -t "$T/luaulp.conf"
	assert_success
	assert_output --regexp "^http-guard	accept	80	\*	\*	$T/scripts/http_guard.lua	guard	guard_send	reset	open	(ok|unchecked)\$"
}

@test "check: a script that fails to compile (when built with the runtime)" {
	printf 'rules = ( { port = 81; entry = "guard"; script = "guard.lua"; } );\n' >"$T/p.conf"
	if "$CLI" check -t "$T/p.conf" | grep -q unchecked; then
		skip "built without the user-space runtime"
	fi
	printf 'function guard(\n' >"$T/bad.lua"
	printf 'rules = (\n { port = 81; entry = "guard";\n   script = "bad.lua"; } );\n' >"$T/p.conf"
	run "$CLI" check "$T/p.conf"
	[ "$status" -eq 1 ]
	assert_output --partial "$T/p.conf:3: rule \"rule#1\": $T/bad.lua:2:"
	printf 'function other() end\n' >"$T/bad.lua"
	run "$CLI" check "$T/p.conf"
	[ "$status" -eq 1 ]
	assert_output --partial "defines no function \"guard\""
}

@test "stat: without the module it says so and exits 4; bad options are usage errors" {
	[ ! -e /sys/module/luaulp ] || skip "the luaulp module is loaded here"
	run "$CLI" stat
	[ "$status" -eq 4 ]
	assert_output --partial "luaulp module not loaded"
	run "$CLI" stat -t
	[ "$status" -eq 4 ]
	run "$CLI" stat -d
	[ "$status" -eq 4 ]
	assert_output --partial "luaulp module not loaded"
	run "$CLI" stat -x
	[ "$status" -eq 2 ]
	run "$CLI" stat extra
	[ "$status" -eq 2 ]
	# The sock_diag dump itself works (no socket carries ULP "tls" here).
	run "$CLI" stat -t -u tls
	assert_success
	assert_output ""
}

@test "registry commands without the module: exit 4, and arguments checked first" {
	[ ! -e /sys/module/luaulp ] || skip "the luaulp module is loaded here"
	printf 'function guard() end\n' >"$T/g.lua"
	run "$CLI" register web "$T/g.lua"
	[ "$status" -eq 4 ]
	assert_output "luaulp: register: luaulp module not loaded (modprobe luaulp)"
	run "$CLI" unregister web
	[ "$status" -eq 4 ]
	assert_output --partial "luaulp module not loaded"
	run "$CLI" scripts
	[ "$status" -eq 4 ]
	assert_output --partial "luaulp module not loaded"
	run "$CLI" scripts -t
	[ "$status" -eq 4 ]
	# Bad values are quoted, before the kernel is asked.
	run "$CLI" register 'bad name' "$T/g.lua"
	[ "$status" -eq 1 ]
	assert_output 'luaulp: register: invalid script name "bad name": 1..64 characters of [A-Za-z0-9_.-]'
	run "$CLI" unregister 'a:b'
	[ "$status" -eq 1 ]
	assert_output --partial 'invalid script name "a:b"'
	run "$CLI" register "$(printf 'n%.0s' $(seq 65))" "$T/g.lua"
	[ "$status" -eq 1 ]
	run "$CLI" register web "$T/missing.lua"
	[ "$status" -eq 1 ]
	assert_output "luaulp: register: $T/missing.lua: No such file or directory"
	: >"$T/empty.lua"
	run "$CLI" register web "$T/empty.lua"
	[ "$status" -eq 1 ]
	assert_output --partial "$T/empty.lua: empty"
	head -c 70000 /dev/zero | tr '\0' ' ' >"$T/big.lua"
	run "$CLI" register web "$T/big.lua"
	[ "$status" -eq 1 ]
	assert_output --partial "$T/big.lua: too large to register: 65532+ bytes (1..65531)"
	# Usage errors.
	run "$CLI" register web
	[ "$status" -eq 2 ]
	run "$CLI" unregister
	[ "$status" -eq 2 ]
	run "$CLI" scripts -x
	[ "$status" -eq 2 ]
	run "$CLI" --help
	assert_output --partial "luaulp register NAME FILE"
	assert_output --partial "4 luaulp module not loaded"
}

needs_runtime() {
	printf 'rules = ( { port = 81; entry = "guard"; script = "guard.lua"; } );\n' >"$T/p.conf"
	if "$CLI" check -t "$T/p.conf" | grep -q unchecked; then
		skip "built without the user-space runtime"
	fi
}

@test "run: verdicts pass, drop, replace over chunks; sends and stats" {
	needs_runtime
	cat >"$T/s.lua" <<-'EOF'
	function recv(data, size, nonblock)
	  if data:find("drop") then return luaulp.DROP end
	  if data:find("x") then luaulp.send("saw x;"); return data:upper() end
	  return nil
	end
	EOF
	run bash -c "printf 'hello\nxyz\ndrop\nend\n' | '$CLI' run --chunk 5 --sent '$T/sent' --stats -v '$T/s.lua' 2>'$T/err'"
	assert_success
	# chunks: "hello" "\nxyz\n" "drop\n" "end\n"
	assert_output "hello
XYZ
end"
	run cat "$T/sent"
	assert_output "saw x;"
	run cat "$T/err"
	assert_line "chunk 1: 5 bytes: pass"
	assert_line "chunk 2: 5 bytes: replace with 5 bytes"
	assert_line "chunk 3: 5 bytes: drop"
	assert_line "chunk 4: 4 bytes: pass"
	assert_line "recv_calls=4 bytes_in=19 discards=1 replacements=1 resets=0 errors=0 budget_hits=0 memory_hits=0 kernel_sent=6"
}

@test "run: RESET stops with exit 3; errors follow --on-error" {
	needs_runtime
	printf 'function recv(d) if d:find("BAD") then return luaulp.RESET end end\n' >"$T/r.lua"
	run bash -c "printf 'okBAD' | '$CLI' run '$T/r.lua'"
	[ "$status" -eq 3 ]
	assert_output "chunk 1: 5 bytes: reset"
	printf 'function recv(d) while true do end end\n' >"$T/loop.lua"
	run bash -c "printf 'abc' | '$CLI' run --stats '$T/loop.lua' 2>&1"
	assert_success
	assert_line "chunk 1: 3 bytes: error: $T/loop.lua:1: CPU budget exceeded"
	assert_line --partial "errors=1 budget_hits=1"
	run bash -c "printf 'abc' | '$CLI' run '$T/loop.lua' 2>/dev/null"
	assert_output "abc"
	run bash -c "printf 'abc' | '$CLI' run --on-error reset '$T/loop.lua'"
	[ "$status" -eq 3 ]
	assert_line "chunk 1: reset (on-error reset)"
	printf 'function recv(d) return 5 end\n' >"$T/num.lua"
	run bash -c "printf 'abc' | '$CLI' run '$T/num.lua' 2>&1 >/dev/null"
	assert_output "chunk 1: 3 bytes: error: entry returned no verdict (nil, boolean, string, luaulp.RESET or luaulp.CLOSE)"
}

@test "run: a script that does not load, a missing entry, bad options" {
	needs_runtime
	printf 'function recv(\n' >"$T/bad.lua"
	run bash -c "'$CLI' run '$T/bad.lua' </dev/null"
	[ "$status" -eq 1 ]
	assert_output --partial "$T/bad.lua:2:"
	run bash -c "printf 'x' | '$CLI' run --entry nope '$T/guard.lua' 2>&1"
	assert_success
	assert_output --partial "error: entry 'nope' is not a function"
	run "$CLI" run --chunk 0 "$T/guard.lua"
	[ "$status" -eq 2 ]
	assert_output --partial '--chunk "0" is not in 1..65536'
	run "$CLI" run
	[ "$status" -eq 2 ]
	# The sandbox is the kernel's: no io, no os.
	printf 'function recv(d) return io and "io" or os and "os" or "none" end\n' >"$T/sb.lua"
	run bash -c "printf 'x' | '$CLI' run '$T/sb.lua'"
	assert_output "none"
}

@test "run: the kernel's read semantics: reads fill up across chunks, peeks show what comes next" {
	needs_runtime
	printf 'function recv(d) return "<" .. d .. ">" end\n' >"$T/w.lua"
	# The peer sends 4 bytes at a time; reads of 6 bytes keep calling the
	# entry until they are full, as a recvmsg on a scripted socket does.
	run bash -c "printf 'abcdefgh' | '$CLI' run --peer-writes 4 --reads 6 -v '$T/w.lua' 2>'$T/err'"
	assert_success
	assert_output "<abcd><efgh>"
	run cat "$T/err"
	assert_line "chunk 1: 4 bytes: replace with 6 bytes"
	assert_line "chunk 2: 4 bytes: replace with 6 bytes"
	# All at once: a read of 3 gives the entry 3 bytes; the next read
	# serves what was left of the replacement first, then fills up with
	# an entry call on as many bytes as it still wants.
	run bash -c "printf 'abcdef' | '$CLI' run --reads 3 -v '$T/w.lua' 2>'$T/err'"
	assert_output "<abc><d><e><f>"
	# A 1-byte peek (nginx) runs the entry on 1 byte; the next read gets
	# that output before the entry sees more.
	run bash -c "printf 'xy' | '$CLI' run --reads 1p,1024 -v '$T/w.lua' 2>'$T/err'"
	assert_output "<x><y>"
	run "$CLI" run --reads 1p "$T/w.lua"
	[ "$status" -eq 2 ]
	assert_output --partial "one read at least"
}

@test "run: send entry and luaulp.send through a transcript; CLOSE exits 4" {
	needs_runtime
	cat >"$T/t.lua" <<-'EOF'
	function recv(d)
	  if d:find("quit", 1, true) then luaulp.send("bye\n") return luaulp.CLOSE end
	end
	function out(d) return "[" .. d .. "]" end
	EOF
	printf 'peer 6\nhello\napp 5\nworld\npeer 5\nquit\napp 3\nlostpeer 4\nmore' >"$T/tr"
	run bash -c "'$CLI' run --send-entry out --transcript '$T/tr' --sent '$T/sent' --stats '$T/t.lua' 2>'$T/err'"
	[ "$status" -eq 4 ]
	assert_output "hello"
	run cat "$T/sent"
	assert_output "[world]bye"
	run cat "$T/err"
	assert_line "chunk 2: 5 bytes: close"
	assert_line --partial "send_calls=1 bytes_out=5 closes=1"
	printf 'peer 9\nshort' >"$T/bad"
	run "$CLI" run --transcript "$T/bad" "$T/t.lua"
	[ "$status" -eq 2 ]
	assert_output --partial "transcript: bad record at byte 0"
}

@test "run: connections share the store (--repeat); a stalled peer makes luaulp.send fail" {
	needs_runtime
	cat >"$T/c.lua" <<-'EOF'
	function recv(d)
	  local hit = luaulp.store.get("k:" .. d)
	  if not hit then luaulp.store.set("k:" .. d, "cached", 60) end
	  return (hit or "miss") .. ";"
	end
	EOF
	run bash -c "printf 'a' | '$CLI' run --repeat 3 '$T/c.lua'"
	assert_success
	assert_output "miss;cached;cached;"
	cat >"$T/f.lua" <<-'EOF'
	function recv(d)
	  local r, total = {}, 0
	  for i = 1, 8 do
	    local n, err = luaulp.send(string.rep("x", 65536))
	    r[#r + 1] = n and "ok" or err
	  end
	  return table.concat(r, ",")
	end
	EOF
	run bash -c "printf 'a' | '$CLI' run --peer-window 1000 --sent '$T/sent' '$T/f.lua'"
	assert_output "ok,ok,ok,ok,ENOBUFS (send queue full),ENOBUFS (send queue full),ENOBUFS (send queue full),ENOBUFS (send queue full)"
	[ "$(stat -c %s "$T/sent")" -eq 1000 ]
	# Without a stalled peer every send goes out.
	run bash -c "printf 'a' | '$CLI' run --sent '$T/sent' '$T/f.lua'"
	assert_output "ok,ok,ok,ok,ok,ok,ok,ok"
	[ "$(stat -c %s "$T/sent")" -eq $((8 * 65536)) ]
}

@test "run: the error policy close; --on-error checked" {
	needs_runtime
	printf 'function recv(d) luaulp.send("E") error("boom") end\n' >"$T/e.lua"
	run bash -c "printf 'x' | '$CLI' run --on-error close --sent '$T/sent' '$T/e.lua' 2>&1"
	[ "$status" -eq 4 ]
	assert_line --partial "error: $T/e.lua:1: boom"
	assert_line "chunk 1: close (on-error close)"
	run cat "$T/sent"
	assert_output "E"
	run "$CLI" run --on-error maybe "$T/e.lua"
	[ "$status" -eq 2 ]
	assert_output --partial "is not pass, reset or close"
}

@test "run --registered: connections sharing a script's frozen code behave as loading its source" {
	needs_runtime
	local S=$ROOT/scripts
	printf 'GET / HTTP/1.1\r\nHost: a\r\n\r\n' >"$T/ok"
	printf 'GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n' >"$T/cr"
	printf 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' >"$T/clte"
	printf 'GET /x HTTP/1.1\r\nHost: a\r\n\r\nGET /y HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' >"$T/two"
	for in in ok cr clte two; do
		for way in "" --registered; do
			rc=0
			"$CLI" run "$S/http_guard.lua" --entry guard --send-entry guard_send \
				--repeat 3 --chunk 7 --sent "$T/sent$way" --stats $way \
				<"$T/$in" >"$T/out$way" 2>"$T/err$way" || rc=$?
			echo "$rc" >"$T/rc$way"
		done
		cmp "$T/out" "$T/out--registered" || fail "$in: delivered bytes differ"
		cmp "$T/sent" "$T/sent--registered" || fail "$in: sent bytes differ"
		cmp "$T/rc" "$T/rc--registered" || fail "$in: exit status differs"
		cmp "$T/err" "$T/err--registered" || fail "$in: $(diff "$T/err" "$T/err--registered")"
	done
	# A syntax error is reported the same way, once.
	printf 'function f(\n' >"$T/bad.lua"
	run "$CLI" run --registered "$T/bad.lua" </dev/null
	[ "$status" -eq 1 ]
	assert_output --partial "$T/bad.lua:2:"
}
