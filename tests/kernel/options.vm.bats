#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# SOL_LUA options: every bad input gets its documented errno; privileges.

load ../lib
bats_require_minimum_version 1.5.0

setup() {
	require_guest
}

@test "every option validates its input (tests/kernel/optctl.expected)" {
	run "$B/tests/optctl"
	assert_success
	diff -u "$ROOT/tests/kernel/optctl.expected" <(printf '%s\n' "$output")
}

@test "unprivileged LOADSCRIPT is refused with EPERM" {
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$B/tests/optctl" priv
	assert_success
	assert_line "attach: ok"
	assert_line "load unprivileged: EPERM"
}

@test "allow_unprivileged_load lets any user load source" {
	echo 1 > /sys/module/luaulp/parameters/allow_unprivileged_load
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$B/tests/optctl" priv
	echo 0 > /sys/module/luaulp/parameters/allow_unprivileged_load
	assert_success
	assert_line "load unprivileged: ok"
}

@test "the shared store is shared across sockets of one user" {
	S=$BATS_TEST_TMPDIR/s.lua
	cat > "$S" <<'LUA'
function entry(d)
	if d:sub(1, 4) == "set " then
		assert(luaulp.store.set("greeting", d:sub(5), 60))
		assert(luaulp.store.incr("n") >= 1)
		return "stored"
	end
	return tostring(luaulp.store.get("greeting")) .. " " ..
		tostring(luaulp.store.get("n"))
end
LUA
	# Readable by the other user too (bats' own temp dirs are not).
	d=$(mktemp -d /tmp/luaulp-store.XXXXXX)
	chmod 755 "$d"
	install -m 644 "$S" "$d/s.lua"
	S=$d/s.lua
	printf 'set hello' | "$B/tests/luapair" "$S" 2>/dev/null
	run --separate-stderr "$B/tests/luapair" "$S" <<<"get"
	assert_output "hello 1"
	# Another user's scripts see nothing of it.
	echo 1 > /sys/module/luaulp/parameters/allow_unprivileged_load
	run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups "$B/tests/luapair" "$S" <<<"get"
	echo 0 > /sys/module/luaulp/parameters/allow_unprivileged_load
	rm -rf "$d"
	assert_output "nil nil"
}

@test "the shared store is bounded and its values typed" {
	S=$BATS_TEST_TMPDIR/s.lua
	cat > "$S" <<'LUA'
function entry(d)
	local out = {}
	local ok, err = pcall(luaulp.store.set, "", "x")
	out[#out + 1] = tostring(ok)
	ok, err = pcall(luaulp.store.set, "k", {})
	out[#out + 1] = tostring(ok)
	luaulp.store.set("s", "str")
	ok = pcall(luaulp.store.incr, "s")
	out[#out + 1] = tostring(ok)
	local big = string.rep("x", 60000)
	local full
	for i = 1, 40 do
		local r, why = luaulp.store.set("big" .. i, big)
		if not r then full = why break end
	end
	out[#out + 1] = tostring(full)
	for i = 1, 40 do luaulp.store.delete("big" .. i) end
	out[#out + 1] = tostring(luaulp.store.delete("s"))
	out[#out + 1] = tostring(luaulp.store.get("s"))
	return table.concat(out, " ")
end
LUA
	run --separate-stderr "$B/tests/luapair" "$S" <<<"go"
	assert_output "false false false store full true nil"
}
