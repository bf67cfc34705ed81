#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# tests/check, the driver of `make check`: its tally and its exit status.

load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)

setup() { T=$(mktemp -d /tmp/luaulp-check.XXXXXX); }
teardown() { rm -rf "$T"; }

@test "tests/check: a suite that dies mid-run counts every test that never ran as failed" {
	# Test 2 stops its bats dead, as a guest dying mid-run does: the TAP
	# ends after "ok 1" with no "not ok" line.  (It stops at tests/check:
	# the bats running this file lives on.)
	cat >"$T/dies.bats" <<-'EOB'
	@TEST "one" { true; }
	@TEST "two stops its bats" {
		p=$$ victims=()
		while [ "$p" -gt 1 ]; do
			cmd=$(tr '\0' ' ' </proc/$p/cmdline)
			case $cmd in *tests/check*) break ;; esac
			case $cmd in *bats-core*) victims=("$p" "${victims[@]}") ;; esac
			p=$(awk '{print $4}' /proc/$p/stat)
		done
		kill -9 "${victims[@]}"
	}
	@TEST "three" { true; }
	@TEST "four" { true; }
	EOB
	# (Written as @TEST: bats would take the lines above for its own.)
	sed -i 's/^@TEST/@test/' "$T/dies.bats"
	run env LUAULP_CHECK_LOGS="$T/logs" "$ROOT/tests/check" --host-only --host "$T/dies.bats" 3>&-
	assert_failure
	assert_line "check: host: 3 of 4 tests never ran"
	assert_line --regexp "^host: +1 passed, 3 failed, 0 skipped$"
	assert_line --index -1 "1 passed, 3 failed"
}

@test "tests/check: all passing (and skipped) exits 0 with the summary lines" {
	printf '@test "a" { true; }\n@test "b" { skip "not here"; }\n@test "c" { true; }\n' >"$T/ok.bats"
	run env LUAULP_CHECK_LOGS="$T/logs" "$ROOT/tests/check" --host-only --host "$T/ok.bats" 3>&-
	assert_success
	assert_line --regexp "^host: +2 passed, 0 failed, 1 skipped$"
	assert_line --index -1 "2 passed, 0 failed, 1 skipped"
	refute_output --partial "never ran"
	# A failing test is one failure, not more.
	printf '@test "a" { true; }\n@test "b" { false; }\n' >"$T/one.bats"
	run env LUAULP_CHECK_LOGS="$T/logs" "$ROOT/tests/check" --host-only --host "$T/one.bats" 3>&-
	assert_failure
	assert_line --index -1 "1 passed, 1 failed"
}
