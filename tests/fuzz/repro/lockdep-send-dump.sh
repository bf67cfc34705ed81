#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Reproducer (found by kfuzz, seed 1801, debug kernel): lockdep reports
#   sk_lock-AF_INET --> &ln->lock --> &ctx->lock --> sk_lock-AF_INET
# luaulp_init() takes the registry's socket-list lock under the socket lock,
# the GET_SOCKET dump takes each socket's ctx->lock under the list lock,
# and luaulp.send() from an entry takes the socket lock under ctx->lock.
# Each step alone is harmless; lockdep sees the cycle once all three ran.
#   tests/vm/run --kernel debug -- tests/fuzz/repro/lockdep-send-dump.sh
# Status 124 from the runner (a WARNING in the kernel log) = reproduced.
set -eu
B=build
# 1. an attached socket that stays (list lock under the socket lock)
exec 5< <(sleep 30)
$B/tests/ulpctl hold <&5 > /tmp/hold.out &
for _ in $(seq 50); do grep -q ready /tmp/hold.out 2>/dev/null && break; sleep 0.2; done
# 2. the socket dump (ctx->lock under the list lock)
$B/cli/luaulp stat > /dev/null
# 3. an entry calling luaulp.send (socket lock under ctx->lock)
printf 'function on_send(d) luaulp.send("x") return d end\n' > /tmp/send.lua
echo hello | $B/tests/luapair -d send -s on_send /tmp/send.lua > /dev/null 2>&1 || true
sleep 1
dmesg | grep -A3 'possible circular locking' || echo "no lockdep report"
