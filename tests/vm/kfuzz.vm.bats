#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# A short run of the socket-interface fuzzer (build/tests/kfuzz, see
# tests/fuzz/kfuzz.c): random system calls over scripted connections and the
# registry from four threads for 20 s.  It fails on a kernel report (the
# kernel log since the test began), a stuck thread or a crash of the fuzzer,
# and cannot hang the suite (hard timeout).  Long runs: make fuzz-kernel.
# In tests/vm/ so that it sorts after the other suites: the sockets it
# aborts may linger (FIN timeouts) and pin the module for a while.

load ../lib

setup() {
	require_guest
}

report_pat='Oops|BUG:|WARNING:|refcount_t|general protection|soft lockup|Kernel panic|UBSAN|KASAN|KFENCE|INFO: |ODEBUG|kernel stack overflow|stack-protector'

@test "kfuzz: 20 s of random socket-interface operations, no kernel report" {
	mark="kfuzz-smoke-$$-$RANDOM"
	echo "$mark" > /dev/kmsg
	seed=${KFUZZ_SEED:-$(od -An -N6 -tu8 /dev/urandom | tr -d ' ')}
	run timeout -k 10 150 "$B/tests/kfuzz" --time 20 --threads 4 --seed "$seed"
	echo "$output" | head -n 20
	assert_success
	assert_output --partial "kfuzz: seed $seed: "
	assert_output --partial " operations in "
	log=$(dmesg | sed -n "/$mark/,\$p")
	[ -n "$log" ] || log=$(dmesg)
	if echo "$log" | grep -aEq "$report_pat"; then
		echo "kernel report after kfuzz --seed $seed:"
		echo "$log" | grep -aE -A30 "$report_pat" | head -n 80
		false
	fi
}
