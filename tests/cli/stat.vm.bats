#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# luaulp stat in the guest, with the module loaded.

load ../preload/helpers

setup() {
	preload_setup
	[ -e /sys/module/luaulp ] || fail "the luaulp module is not loaded"
	ensure_sock_diag
}

teardown() { preload_teardown; }

@test "stat lists the scripted socket and nothing else (registry and sock_diag views)" {
	port=$(free_port)
	other=$(free_port)
	policy "rules = ( { direction = \"connect\"; port = $port; entry = \"guard\";
  script = \"$T/guard.lua\"; } );"
	start_server "$TCPPAIR" serve -c 1 "$port"
	# bash under the shim opens the connection and keeps it while stat looks.
	run under_shim bash -c "exec 5<>/dev/tcp/127.0.0.1/$port; LD_PRELOAD= '$CLI' stat -t; echo --; LD_PRELOAD= '$CLI' stat -d -t; exec 5>&-"
	assert_success
	assert_line --index 0 --regexp "^127\\.0\\.0\\.1:[0-9]+	127\\.0\\.0\\.1:$port	[0-9]+	0	conf\\.rule_1\\.[0-9a-f]{16}	guard	-(	[0-9]+){13}\$"
	assert_line --index 1 -- "--"
	assert_line --index 2 --regexp "^ESTAB	127\\.0\\.0\\.1:[0-9]+	127\\.0\\.0\\.1:$port	0	[0-9]+"
	[ "${#lines[@]}" -eq 3 ]
	wait_server
	# Human output has a header; nothing scripted is left.
	run "$CLI" stat
	assert_success
	assert_line --index 0 --regexp "^Local +Peer +Inode +UID +Script"
	refute_output --partial ":$port"
	run "$CLI" stat -d
	assert_success
	assert_line --index 0 --regexp "^State +Local +Peer +UID +Inode +Info"
	refute_output --partial ":$port"
	"$CLI" scripts -t | grep -oE '^conf\.rule_1\.[0-9a-f]{16}' | sort -u |
		while read -r n; do "$CLI" unregister "$n"; done
}
