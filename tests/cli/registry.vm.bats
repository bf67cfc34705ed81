#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# The kernel's script registry through the CLI (luaulp register, unregister,
# scripts) and attaching by name, in the guest with the module loaded.
# Run by tests/vm/run (root, repository root as cwd), on both kernels.

load ../preload/helpers

setup() {
	preload_setup
	[ -e /sys/module/luaulp ] || fail "the luaulp module is not loaded"
	# nobody must read the scripts and run the helpers.
	chmod 755 "$T"
	chmod 644 "$T/guard.lua"
	NAMES=()
}

teardown() {
	local n
	for n in "${NAMES[@]}"; do "$CLI" unregister "$n" >/dev/null 2>&1 || true; done
	preload_teardown
}

as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }

@test "register, list, replace and unregister as root" {
	NAMES+=(t.guard-1)
	run "$CLI" register t.guard-1 "$T/guard.lua"
	assert_success
	assert_output ""
	size=$(stat -c %s "$T/guard.lua")
	run "$CLI" scripts -t
	assert_success
	assert_line --regexp "^t\\.guard-1	[1-9][0-9]*	$size\$"
	run "$CLI" scripts
	assert_success
	assert_line --index 0 --regexp "^Name +Code +Source\$"
	assert_line --regexp "^t\\.guard-1 +[1-9][0-9]* +$size\$"
	# Registering the name again replaces the code.
	printf 'function guard(d)\n  return nil\nend\nlocal pad = 1\n' >"$T/g2.lua"
	run "$CLI" register t.guard-1 "$T/g2.lua"
	assert_success
	run "$CLI" scripts -t
	assert_line --regexp "^t\\.guard-1	[0-9]+	$(stat -c %s "$T/g2.lua")\$"
	[ "$(grep -c '^t\.guard-1	' <<<"$output")" -eq 1 ]
	# From stdin.
	NAMES+=(t.stdin)
	run bash -c "'$CLI' register t.stdin - <'$T/guard.lua'"
	assert_success
	run "$CLI" unregister t.guard-1
	assert_success
	run "$CLI" unregister t.stdin
	assert_success
	run "$CLI" scripts -t
	assert_success
	refute_output --partial "t.guard-1"
	refute_output --partial "t.stdin"
	# Gone: the kernel says so.
	run "$CLI" unregister t.guard-1
	[ "$status" -eq 1 ]
	assert_output --partial 'luaulp: unregister: "t.guard-1": No such file or directory'
}

@test "a syntax error in a registered script is refused with its message" {
	printf 'function guard(data\n  return nil\nend\n' >"$T/broken.lua"
	run "$CLI" register t.broken "$T/broken.lua"
	[ "$status" -eq 1 ]
	assert_line --index 0 --partial 'luaulp: register: "t.broken": Invalid argument'
	# The message (from the kernel on 6.12, from the same compiler in
	# user space on 6.1, whose ext-ack cannot be formatted) gives the line.
	assert_output --regexp "t\\.broken:2: .*expected"
	run "$CLI" scripts -t
	refute_output --partial "t.broken"
	# Bytecode is no source.
	printf '\033Lua\123' >"$T/bin.lua"
	run "$CLI" register t.bin "$T/bin.lua"
	[ "$status" -eq 1 ]
	assert_output --partial "Invalid argument"
}

@test "unprivileged: register and unregister refused (EPERM), listing allowed" {
	NAMES+=(t.root)
	"$CLI" register t.root "$T/guard.lua"
	run as_nobody "$CLI" register t.nobody "$T/guard.lua"
	[ "$status" -eq 1 ]
	assert_output --partial 'luaulp: register: "t.nobody": Operation not permitted'
	assert_output --partial "needs CAP_NET_ADMIN"
	run as_nobody "$CLI" unregister t.root
	[ "$status" -eq 1 ]
	assert_output --partial "Operation not permitted"
	run as_nobody "$CLI" scripts -t
	assert_success
	assert_line --regexp "^t\\.root	"
	refute_output --partial "t.nobody"
}

@test "unprivileged: LOADSCRIPT refused (EPERM), ATTACHNAME of a registered script allowed" {
	NAMES+=(t.byname)
	"$CLI" register t.byname "$T/guard.lua"
	port=$(free_port)
	run as_nobody "$TCPPAIR" script "$port" load "$T/guard.lua"
	assert_success
	assert_output "load EPERM"
	port=$(free_port)
	run as_nobody "$TCPPAIR" script "$port" name t.byname
	assert_success
	assert_output "name ok"
	port=$(free_port)
	run as_nobody "$TCPPAIR" script "$port" name t.nobody-registered-this
	assert_success
	assert_output "name ENOENT"
	# Root may do both.
	port=$(free_port)
	run "$TCPPAIR" script "$port" load "$T/guard.lua"
	assert_output "load ok"
}

@test "a registered script that fails when attached reports its error on the socket" {
	NAMES+=(t.fails)
	printf 'error("refused at load")\n' >"$T/fails.lua"
	run "$CLI" register t.fails "$T/fails.lua"
	assert_success
	port=$(free_port)
	run as_nobody "$TCPPAIR" script "$port" name t.fails
	assert_success
	assert_output --regexp "^name EINVAL: .*refused at load"
}

@test "a registered script's code is shared, not held per socket; its errors name the script and the line" {
	NAMES+=(t.strip)
	# 1000 instructions in one function, a collection at the end of the
	# top level: the rest of the two states is the same
	{
		echo '-- a function of 1000 instructions'
		echo 'local function big(t)'
		for i in $(seq 500); do echo "	t.a = t.b"; done
		echo 'end'
		echo 'function guard(d) return nil end'
		echo 'collectgarbage("collect")'
	} >"$T/big.lua"
	"$CLI" register t.strip "$T/big.lua"
	port=$(free_port)
	run "$TCPPAIR" script -s "$port" name t.strip
	assert_success
	by_name=$(sed -n 's/^memory //p' <<<"$output")
	port=$(free_port)
	run "$TCPPAIR" script -s "$port" load "$T/big.lua"
	assert_success
	by_source=$(sed -n 's/^memory //p' <<<"$output")
	# 1000 instructions are 4000 bytes of code and 4000 of line table,
	# held by the registry once, not by the socket
	[ "$((by_source - by_name))" -ge 8000 ] || fail "by name $by_name, from source $by_source"
	# an error: the script's name and the line
	NAMES+=(t.errpos)
	printf -- '-- line 1\nlocal function f(t)\n\tlocal a = 1\n\treturn t.x.y\nend\nf({})\n' >"$T/errpos.lua"
	"$CLI" register t.errpos "$T/errpos.lua"
	port=$(free_port)
	run "$TCPPAIR" script "$port" name t.errpos
	assert_success
	assert_output --regexp "^name EINVAL: t\\.errpos:4: attempt to index a nil value"
	# from source, the exact line
	port=$(free_port)
	run "$TCPPAIR" script "$port" load "$T/errpos.lua"
	assert_output --regexp "^load EINVAL: .*:4: attempt to index a nil value"
}

@test "stat: registered and source scripts, counters move, users see their own" {
	NAMES+=(t.stat)
	"$CLI" register t.stat "$T/guard.lua"
	port=$(free_port)
	policy "rules = ( { direction = \"connect\"; port = $port; entry = \"guard\";
  script_name = \"t.stat\"; } );"
	start_server "$TCPPAIR" serve -c 1 "$port"
	# nobody opens the connection under the shim, sends, and keeps it open
	# while stat looks (as nobody, then as root).
	chmod 666 "$T/luaulp.conf"
	: >"$T/log"
	chmod 666 "$T/log"
	run as_nobody env LUAULP_CONF="$T/luaulp.conf" LUAULP_LOG="$T/log" \
		LUAULP_LOG_LEVEL=debug LD_PRELOAD="$LIB" bash -c "
		exec 5<>/dev/tcp/127.0.0.1/$port
		printf 'hello\n' >&5
		read -r line <&5
		echo \"echo: \$line\"
		LD_PRELOAD= '$CLI' stat -t
		echo --
		LD_PRELOAD= '$CLI' stat
		exec 5>&-"
	assert_success
	assert_line "echo: hello"
	nobody=$(id -u nobody)
	# local peer inode uid script entry send_entry recv_calls ... memory_max
	assert_line --regexp "^127\\.0\\.0\\.1:[0-9]+	127\\.0\\.0\\.1:$port	[1-9][0-9]*	$nobody	t\\.stat	guard	-	[1-9][0-9]*	0	6	0	0	0	0	0	0	0	0	[1-9][0-9]*	[1-9][0-9]*\$"
	assert_line --regexp "^Local +Peer +Inode +UID +Script"
	assert_line --regexp "^127\\.0\\.0\\.1:[0-9]+ +127\\.0\\.0\\.1:$port +[0-9]+ +$nobody t\\.stat guard recv=[1-9][0-9]* send=0 in=6 out=0 .* mem=[0-9]+/[0-9]+\$"
	wait_server
	# A root-owned scripted socket is listed for root, not for nobody.
	port=$(free_port)
	policy "rules = ( { direction = \"connect\"; port = $port; entry = \"guard\";
  script = \"$T/guard.lua\"; } );"
	start_server "$TCPPAIR" serve -c 1 "$port"
	run under_shim bash -c "exec 5<>/dev/tcp/127.0.0.1/$port
		LD_PRELOAD= '$CLI' stat -t
		echo --
		LD_PRELOAD= setpriv --reuid=nobody --regid=nogroup --clear-groups '$CLI' stat -t
		exec 5>&-"
	assert_success
	# Root's shim registered the file: the socket carries it by name.
	assert_line --index 0 --regexp "^127\\.0\\.0\\.1:[0-9]+	127\\.0\\.0\\.1:$port	[0-9]+	0	conf\\.rule_1\\.[0-9a-f]{16}	guard	-	"
	assert_line --index 1 -- "--"
	[ "${#lines[@]}" -eq 2 ]
	wait_server
	run "$CLI" scripts -t
	name=$(grep -oE '^conf\.rule_1\.[0-9a-f]{16}' <<<"$output" | head -1)
	[ -n "$name" ]
	NAMES+=("$name")
}
