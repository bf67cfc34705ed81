# SPDX-License-Identifier: GPL-2.0
# Shared by tests/scripts/*.bats: running scripts through `luaulp run` on
# the host, and (in the guest) nginx with and without the shim.

load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
CLI=$ROOT/build/cli/luaulp
LIB=$ROOT/build/preload/libluaulp.so
SCRIPTS=$ROOT/scripts

scripts_setup() {
	[ -x "$CLI" ] || fail "build first: make user"
	T=$(mktemp -d /tmp/luaulp-scripts.XXXXXX)
}

scripts_teardown() {
	[ -n "${T:-}" ] && rm -rf "$T"
}

# feed SCRIPT ENTRY [ARGS...] < INPUT: luaulp run; what the application
# reads in $T/out, what the peer got from the kernel in $T/sent; status,
# stderr in $output.
feed() {
	local script=$1 entry=$2
	shift 2
	run "$CLI" run "$script" --entry "$entry" --sent "$T/sent" "$@" \
		2>&1 >"$T/out"
}

# splits SCRIPT ENTRY INPUT_FILE: every chunk size and every two-way split
# of the input through fresh copies of the script (tests/scripts/splits.lua);
# one verdict line per way, in $output.
splits() {
	local script=$1 entry=$2 in=$3 len i
	len=$(stat -c %s "$in")
	grep -q ']=====]' "$script" && fail "$script holds the harness's bracket"
	{
		printf 'SRC = [=====[\n'
		cat "$script"
		printf ']=====]\nENTRY = "%s"\nLEN = %d\n' "$entry" "$len"
		cat "$BATS_TEST_DIRNAME/splits.lua"
	} >"$T/harness.lua"
	for ((i = 1; i < 2 * len; i++)); do cat "$in"; done >"$T/splits.in"
	run "$CLI" run "$T/harness.lua" --entry harness --chunk "$len" <"$T/splits.in"
}

# every_way VERDICT: each line of the last `splits` says VERDICT (and there
# is at least one).
every_way() {
	[ -n "$output" ] || fail "no verdicts"
	local bad
	bad=$(grep -v ": $1\$" <<<"$output" | head -5)
	[ -z "$bad" ] || fail "expected \"$1\" every way; differs: $bad"
}
