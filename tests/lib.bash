# SPDX-License-Identifier: GPL-2.0
# Shared set-up for the bats suites: paths and a few checks.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BATS_TEST_FILENAME}")/../.." && pwd)
B=$ROOT/build
ULPCTL=$B/tests/ulpctl
export ROOT B ULPCTL

bats_load_library bats-support
bats_load_library bats-assert

# The module's reference count (sockets attached pin it).
module_refcnt() {
	cat /sys/module/luaulp/refcnt
}

# Kernel tests need the guest: tests/vm/run loads the module.
require_guest() {
	[ -n "${LUAULP_VM:-}" ] || fail "kernel test outside the guest: run through tests/vm/run"
	[ -d /sys/module/luaulp ] || fail "luaulp.ko is not loaded"
}
