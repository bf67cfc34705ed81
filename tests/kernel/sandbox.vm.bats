#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# The sandbox against every local user (issue 10): who may load and
# register, no kernel address reaches a script, memory is charged and capped
# across namespaces, stores and dumps go by the loader's and the opener's
# credentials, dumps never wait for a script, only plain TCP sockets are
# scripted, and luaulp.log is limited per socket and escaped.

load ../lib
bats_require_minimum_version 1.5.0

P=/sys/module/luaulp/parameters
CLI=$B/cli/luaulp
CASERUN=$B/runtime/caserun

setup() {
	require_guest
	T=$(mktemp -d /tmp/luaulp-sandbox.XXXXXX)
	chmod 755 "$T"
	NAMES=()
	SAVED=()
	for p in insn_budget time_max_ms registry_max_bytes store_total_max_bytes \
		 allow_unprivileged_load; do
		[ -r "$P/$p" ] && SAVED+=("$p=$(cat "$P/$p")")
	done
}

teardown() {
	local n kv
	# A busy entry left by a failed locking test: let it finish.
	if [ -n "${bpid:-}" ] && kill -0 "$bpid" 2>/dev/null; then
		kcase stop 'return luaulp.store.set("sb.stop", 1)'
		kcases
		wait "$bpid" || true
	fi
	for kv in "${SAVED[@]}"; do echo "${kv#*=}" > "$P/${kv%%=*}"; done
	for n in "${NAMES[@]}"; do "$CLI" unregister "$n" >/dev/null 2>&1 || true; done
	[ -d /sys/fs/cgroup/luaulp-sb ] && rmdir /sys/fs/cgroup/luaulp-sb 2>/dev/null
	rm -rf "$T"
}

as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

# kcase NAME LUA...: append a case (expected "== x": only the output matters)
kcase() {
	local name=$1
	shift
	printf '@@ %s\n%s\n== x\n' "$name" "$*" >>"$T/cases"
}

# kcases: run $T/cases through LOADSCRIPT, one fresh socket per case, into
# $output as "NAME<TAB>STATUS<TAB>TEXT" lines.
kcases() {
	run --separate-stderr "$CASERUN" --kernel "$T/cases"
	rm -f "$T/cases"
}

@test "privilege: unshare -Urn gives no right to load or register; ATTACHNAME stays open to all" {
	printf 'function e(d) return d end\n' >"$T/s.lua"
	chmod 644 "$T/s.lua"
	# An unprivileged user with CAP_NET_ADMIN over a namespace of its own.
	run as_nobody unshare -Urn bash -c "ip link set lo up && id -u &&
		'$B/tests/optctl' priv && '$CLI' register t.userns '$T/s.lua'"
	assert_line --index 0 "0"
	assert_line "attach: ok"
	assert_line "load unprivileged: EPERM"
	assert_line --partial 'luaulp: register: "t.userns": Operation not permitted'
	[ "$status" -eq 1 ]
	# Root of the initial namespace registers; nobody attaches by name, but
	# neither loads source nor registers there either.
	NAMES+=(test.reg)
	"$CLI" register test.reg "$T/s.lua"
	run as_nobody "$B/tests/optctl" priv
	assert_success
	assert_line "load unprivileged: EPERM"
	assert_line "attachname unprivileged: ok"
	run as_nobody "$CLI" unregister test.reg
	[ "$status" -eq 1 ]
	assert_output --partial "Operation not permitted"
	run as_nobody "$CLI" register t.nobody "$T/s.lua"
	[ "$status" -eq 1 ]
	assert_output --partial "Operation not permitted"
}

@test "addresses: no table-slot probe or tostring gives a script a kernel address" {
	local probe exprs e name
	probe=$(cat "$ROOT/tests/kernel/addrprobe.lua")
	# Light C functions and light userdata of the module, and objects.
	exprs=(string.len string.byte luaulp.send luaulp.log luaulp.clock
	       luaulp.RESET math.abs next "{}" "coroutine.create(next)")
	for e in "${exprs[@]}"; do kcase "probe $e" "$probe" "return probe($e)"; done
	kcase "tostring" 'local co = coroutine.create(next)
		return tostring(nil), tostring(true), tostring(1), tostring("s"),
		tostring({}), tostring(function() end), tostring(string.len),
		tostring(string.rep), tostring(luaulp.RESET), tostring(co),
		tostring(luaulp), string.format("%s", string.byte)'
	kcases
	[ "${#lines[@]}" -eq $((${#exprs[@]} + 1)) ]
	# Every probe read a consistent slot layout (it works), and the value it
	# recovered is the low 32 bits of none of the module's symbols.
	grep '\[luaulp\]' /proc/kallsyms | awk '{ print substr($1, 9, 8) }' |
		sort -u >"$T/syms"
	[ "$(wc -l <"$T/syms")" -gt 100 ]
	[ "$(grep -c '^' /proc/modules)" -gt 0 ]
	grep -o '0x[0-9a-f]\{16\}' /proc/modules | cut -c11-18 | sort -u >>"$T/syms"
	for e in "${exprs[@]}"; do
		name="probe $e"
		line=$(printf '%s\n' "${lines[@]}" | grep -F "$name	")
		[[ $line =~ "	ok	ok "([0-9a-f]{8})$ ]] || fail "probe $e: $line"
		if grep -qx "${BASH_REMATCH[1]}" "$T/syms"; then
			grep "${BASH_REMATCH[1]}" /proc/kallsyms >&3 || true
			fail "probe $e recovered ${BASH_REMATCH[1]}, a luaulp address"
		fi
	done
	# tostring of every type: no kernel pointer, whole or in its low half.
	line=$(printf '%s\n' "${lines[@]}" | grep '^tostring	ok	')
	if grep -Eqi 'ffff[89a-f][0-9a-f]{11}' <<<"$line"; then
		fail "tostring shows a kernel pointer: $line"
	fi
	for h in $(grep -Eoi '[0-9a-f]{8,}' <<<"$line"); do
		if grep -qix "${h: -8}" "$T/syms"; then
			fail "tostring shows a luaulp address: $h in $line"
		fi
	done
	[[ $line == *"table: 0x"* ]] && [[ $line == *"thread: 0x"* ]]
}

@test "identity: the store is the loader's, also over SCM_RIGHTS; dumps by the opener's credentials and user namespace" {
	cat >"$T/store.lua" <<'LUA'
function put(d) luaulp.store.set("secret", d) return "stored" end
function get(d) return tostring(luaulp.store.get("secret")) end
LUA
	chmod 644 "$T/store.lua"
	NAMES+=(t.sb-store)
	"$CLI" register t.sb-store "$T/store.lua"
	run "$B/tests/sandboxctl" scm-store t.sb-store
	assert_success
	assert_line "sender loads: ok"
	assert_line "sender stores: stored"
	assert_line "sender sees: S-secret"
	assert_line "receiver loads into a passed fresh socket: ok"
	assert_line "receiver loads into the sender's loaded socket: EPERM"
	# The receiver runs the code against its own store, not the sender's.
	assert_line "receiver sees: nil"
	run "$B/tests/sandboxctl" dump-views t.sb-store
	assert_success
	assert_line "root reading nobody's netlink socket: root's socket hidden, nobody's socket uid 65534"
	assert_line "root's own netlink socket: root's socket uid 0, nobody's socket uid 65534"
	assert_line "nobody's dump from its user namespace: root's socket hidden, nobody's socket uid 0"
}

@test "locking: dumps go on while sockets come and go and an entry holds its state" {
	# The entry holds ctx->lock until told to stop through the store (or
	# until its large budget runs out: then the data passes unchanged).
	echo 0 > "$P/time_max_ms"
	echo 200000000 > "$P/insn_budget"
	cat >"$T/burn.lua" <<'LUA'
function e(d)
	luaulp.store.set("sb.burning", 1)
	while not luaulp.store.get("sb.stop") do end
	return "stopped"
end
LUA
	kcase clear 'luaulp.store.delete("sb.burning") luaulp.store.delete("sb.stop") return 1'
	kcases
	printf go | "$B/tests/luapair" -e e "$T/burn.lua" >"$T/burn.out" 2>"$T/burn.err" 3>&- &
	bpid=$!
	for _ in $(seq 600); do
		kcase started 'return luaulp.store.get("sb.burning")'
		kcases
		[[ ${lines[0]} == *"	ok	1" ]] && break
		sleep 0.1
	done
	[[ ${lines[0]} == *"	ok	1" ]] || fail "the entry never started: ${lines[*]}"
	"$B/tests/loadctl" conns 100 >"$T/churn.out" 2>&1 3>&- &
	cpid=$!
	n=0
	while kill -0 "$cpid" 2>/dev/null || [ "$n" -lt 3 ]; do
		"$CLI" stat -t >"$T/dump" || fail "dump $n failed"
		grep -q '	(source)	e	-	' "$T/dump" && seen=1
		n=$((n + 1))
	done
	wait "$cpid" || fail "churn: $(cat "$T/churn.out")"
	[ -n "${seen:-}" ] || fail "the busy socket was never listed"
	# Only now may the entry finish.
	kcase stop 'return luaulp.store.set("sb.stop", 1)'
	kcases
	wait "$bpid"
	[ "$(cat "$T/burn.out")" = stopped ] ||
		fail "the entry ran out before the dumps were done: $(cat "$T/burn.out" "$T/burn.err")"
	grep -q "ok 100 scripted connections" "$T/churn.out"
	kcase clear 'luaulp.store.delete("sb.burning") luaulp.store.delete("sb.stop") return 1'
	kcases
}

@test "memory: stores charged to the writer's cgroup; ceilings across namespaces; stat shows the totals" {
	# A cgroup holding only the writer: the store entries it makes stay
	# charged there after it exits (its Lua state does not: it is freed).
	echo +memory > /sys/fs/cgroup/cgroup.subtree_control
	mkdir /sys/fs/cgroup/luaulp-sb
	# The store's charges, not the clock: under KASAN 900 stores take
	# longer than time_max_ms (teardown restores it).
	echo 0 > "$P/time_max_ms"
	kcase fill 'for i = 1, 900 do assert(luaulp.store.set("sb.m" .. i, string.rep("x", 1000))) end return 1'
	m0=$(cat /sys/fs/cgroup/luaulp-sb/memory.current)
	run bash -c "echo \$\$ > /sys/fs/cgroup/luaulp-sb/cgroup.procs && exec '$CASERUN' --kernel '$T/cases'"
	rm -f "$T/cases"
	assert_output --partial "fill	ok	1"
	m1=$(cat /sys/fs/cgroup/luaulp-sb/memory.current)
	[ $((m1 - m0)) -ge 900000 ] || fail "store charged $((m1 - m0)) bytes to the cgroup"
	kcase drain 'for i = 1, 900 do luaulp.store.delete("sb.m" .. i) end return 1'
	kcases
	assert_output --partial "drain	ok	1"

	# Registry: room for one more script, whichever namespace asks.
	printf 'function e(d) return d end\n-- padding padding padding\n' >"$T/r.lua"
	NAMES+=(t.sb-ceil1 t.sb-ceil2)
	r0=$(cat "$P/registry_bytes")
	"$CLI" register t.sb-ceil1 "$T/r.lua"
	r1=$(cat "$P/registry_bytes")
	[ "$r1" -gt "$r0" ]
	echo $((r1 + (r1 - r0) / 2)) > "$P/registry_max_bytes"
	run unshare -n "$CLI" register t.sb-ceil2 "$T/r.lua"
	[ "$status" -eq 1 ]
	assert_output --partial "No space left on device"
	run "$CLI" register t.sb-ceil2 "$T/r.lua"
	[ "$status" -eq 1 ]
	assert_output --partial "registry_max_bytes"
	# Stores: the bytes of this namespace count in a fresh one too.
	s0=$(cat "$P/store_bytes")
	echo $((s0 + 1000)) > "$P/store_total_max_bytes"
	kcase ns 'return luaulp.store.set("sb.big", string.rep("y", 2000))'
	run --separate-stderr unshare -n bash -c "ip link set lo up && exec '$CASERUN' --kernel '$T/cases'"
	assert_output --partial "ns	ok	nil\\tstore full"
	run --separate-stderr "$CASERUN" --kernel "$T/cases"
	rm -f "$T/cases"
	assert_output --partial "ns	ok	nil\\tstore full"
	# luaulp stat: the totals line.
	run "$CLI" stat
	assert_success
	assert_line --regexp "^Memory: Lua states [0-9]+ bytes; registry $(cat "$P/registry_bytes") of $(cat "$P/registry_max_bytes") bytes; stores [0-9]+ of $(cat "$P/store_total_max_bytes") bytes\$"
}

@test "foreign protos: attach refused (EOPNOTSUPP) on a sockmap'd socket, plain TCP attaches" {
	run "$B/tests/sandboxctl" sockmap
	assert_success
	assert_line "attach to a sockmap'd socket: EOPNOTSUPP"
	assert_line "attach to a plain socket: ok"
	assert_line "sockmap'd socket still carries data: ok"
}

@test "luaulp.log: limited per socket (one cannot silence another), control bytes escaped" {
	tag=sb$RANDOM$RANDOM
	kcase loud "for i = 1, 30 do luaulp.log('$tag loud ' .. i) end return 1"
	kcase quiet "luaulp.log('$tag quiet \\1\\27[31m\\\\ \\127\\255 end') return 1"
	kcases
	assert_line "loud	ok	1"
	assert_line "quiet	ok	1"
	loud=$(dmesg | grep -c "$tag loud")
	[ "$loud" -ge 10 ] && [ "$loud" -lt 30 ] || fail "$loud of 30 lines of one socket logged"
	run dmesg
	assert_output --partial "$tag quiet \\x01\\x1b[31m\\x5c \\x7f\\xff end"
	assert_output --regexp "127\\.0\\.0\\.1:[0-9]+ -> 127\\.0\\.0\\.1:[0-9]+: $tag quiet"
}
