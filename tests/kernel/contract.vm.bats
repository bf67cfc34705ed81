#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# A scripted socket keeps TCP's contract (kernel/README.md, "The socket
# contract"): each check runs on a plain TCP socket first, which proves the
# expectation is TCP's own, then on a scripted one.

load ../lib
bats_require_minimum_version 1.5.0

CONTRACT=$B/tests/contract

setup() {
	require_guest
}

both() {
	local c
	for c in "$@"; do
		# A hang (a blocking call where TCP would not block) fails
		# the check instead of the suite.
		run timeout 300 "$CONTRACT" "$c" plain
		[ "$status" -eq 0 ] || fail "plain TCP ($status): $output"
		run timeout 300 "$CONTRACT" "$c" lua
		[ "$status" -eq 0 ] || fail "scripted ($status): $output"
	done
}

@test "an empty-string verdict delivers nothing and never reads as EOF" {
	both empty
}

@test "poll, epoll and FIONREAD see pending script output; SO_RCVLOWAT holds" {
	both poll
}

@test "an edge-triggered reader reaches every byte whatever the script removes" {
	both edge
}

@test "MSG_DONTWAIT never sleeps behind a blocked reader; SO_RCVTIMEO bounds the call" {
	both dontwait rcvtimeo
}

@test "a reset verdict: ECONNRESET once, then end of stream, RST to the peer" {
	both reset
}

@test "non-blocking sends never block (nor in SYN_SENT) and nothing is lost" {
	both send-nonblock synsent
}

@test "a write cut by SO_SNDTIMEO or a signal counts exactly what the peer gets" {
	both send-cut
}

@test "a send entry whose state is full: a large write returns after a piece, counting what the peer gets" {
	both send-full
}

@test "a receive entry failing on every chunk: a non-blocking read returns after the failed call, nothing lost" {
	both recv-fail
}

@test "queued output is flushed by the kernel, before shutdown's FIN and at close" {
	both send-flush send-close
}

@test "a graceful refusal comes after the application's data, then FIN" {
	both refuse
}

@test "MSG_OOB and MSG_ZEROCOPY refused with an entry; no AF_UNSPEC disconnect" {
	both flags
}

@test "a reply sent while another thread writes reaches the peer unprompted" {
	both send-reply
}
