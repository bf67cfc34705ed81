#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# The policy parser on its own: unit test and fuzz corpus, both under
# ASan + UBSan.

load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
FUZZ=$ROOT/build/tests/fuzz/policy_fuzz

@test "policy unit test (ASan + UBSan)" {
	run "$ROOT/build/tests/preload/policy_test"
	assert_success
	assert_output --partial " 0 failed"
	refute_output --partial "not ok"
}

@test "policy fuzzer: the corpus replays clean, then 5 s of fuzzing" {
	command -v clang-14 >/dev/null || skip "no clang-14 for libFuzzer"
	[ -x "$FUZZ" ] || fail "build first: make user"
	# The one known libconfig leak (corpus file libconfig-leak.conf) is
	# all the suppressions cover; a leak of ours would still show.
	export LSAN_OPTIONS=suppressions=$ROOT/tests/fuzz/policy_lsan.supp
	run "$FUZZ" -runs=0 "$ROOT/tests/fuzz/policy_corpus"
	assert_success
	run grep -vE '^(#|$)' "$ROOT/tests/fuzz/policy_lsan.supp"
	assert_output "leak:strbuf_append
leak:libconfig_yylex"
	dir=$(mktemp -d /tmp/luaulp-fuzz.XXXXXX)
	run "$FUZZ" -max_total_time=5 -artifact_prefix="$dir/" "$dir" "$ROOT/tests/fuzz/policy_corpus"
	rm -rf "$dir"
	assert_success
}
