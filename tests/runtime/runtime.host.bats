#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# The Lua runtime in user space (build/runtime/): unit tests and the shared
# case list under ASan and UBSan, and the plain build (our own setjmp.S)
# giving the same results.

load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
R=$ROOT/build/runtime
CASES=$ROOT/tests/runtime/cases.txt

setup() {
	[ -x "$R/test_runtime" ] && [ -x "$R/caserun" ] && [ -x "$R/caserun-asan" ] ||
		fail "build first: make user"
	T=$(mktemp -d /tmp/luaulp-rt.XXXXXX)
}

teardown() { rm -rf "$T"; }

@test "runtime C API: unit tests under ASan and UBSan" {
	run "$R/test_runtime"
	echo "$output" | grep -v '^ok' || true
	assert_success
	refute_output --partial "not ok"
}

@test "case list: every case as expected under ASan and UBSan" {
	run "$R/caserun-asan" "$CASES"
	echo "$output" | grep -E '^FAIL|cases,' || true
	assert_success
	assert_output --partial ", 0 failed;"
}

@test "case list: the plain build (own setjmp/longjmp) gives identical results" {
	"$R/caserun-asan" "$CASES" >"$T/asan.out" 2>/dev/null
	run "$R/caserun" "$CASES"
	assert_success
	"$R/caserun" "$CASES" >"$T/plain.out" 2>/dev/null
	run diff -u "$T/asan.out" "$T/plain.out"
	assert_success
}

@test "case list: the format the guest tests compare" {
	"$R/caserun" "$CASES" >"$T/out" 2>/dev/null
	run awk -F'\t' 'NF != 3' "$T/out"
	assert_output ""
	[ "$(grep -c '^@@ ' "$CASES")" -eq "$(wc -l <"$T/out")" ]
}

@test "no hostile case hangs (plain build; ~30 ms each when idle)" {
	run "$R/caserun" --times "$CASES"
	assert_success
	worst=$(echo "$output" | sed -n 's/.*slowest .*: \([0-9]*\)\..* ms$/\1/p')
	echo "worst: $worst ms"
	# Not a speed check (bench/ measures): only "the budget stops it",
	# with room for a loaded CI machine.
	[ "$worst" -lt 5000 ]
}

@test "bench: fresh state size and the cost of an empty call" {
	run "$R/caserun" --bench
	assert_success
	echo "$output"
	assert_output --partial "bytes of a fresh state:"
	size=$(echo "$output" | sed -n 's/^bytes of a fresh state: //p')
	[ "$size" -lt 32768 ]
}
