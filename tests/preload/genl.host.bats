#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# The generic netlink client (preload/genl.c) and the registry messages
# (preload/registry.c) on their own, under ASan + UBSan, against a fake
# kernel on a socketpair (and this machine's nlctrl family when it has one).

load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

@test "genl unit test (ASan + UBSan)" {
	run "$ROOT/build/tests/preload/genl_test"
	assert_success
	assert_output --partial " 0 failed"
	refute_output --partial "not ok"
}
