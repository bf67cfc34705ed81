// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the policy parser (preload/policy.c):
 *   clang -fsanitize=fuzzer,address,undefined ...   (make fuzz)
 *   LSAN_OPTIONS=suppressions=tests/fuzz/policy_lsan.supp \
 *     build/tests/fuzz/policy_fuzz -max_total_time=60 tests/fuzz/policy_corpus
 * Each input is a policy text; parsed rules are matched against a few
 * addresses and executables, then freed (ASan catches leaks and overflows).
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sockaddr_in v4 = {
		.sin_family = AF_INET, .sin_port = 0x5000,	/* 80 */
		.sin_addr = { .s_addr = 0x0100007f },		/* 127.0.0.1 */
	};
	static const struct sockaddr_in6 v6 = {
		.sin6_family = AF_INET6, .sin6_port = 0xbb01,	/* 443 */
		.sin6_addr = { .s6_addr = { [10] = 0xff, [11] = 0xff, [12] = 10, [15] = 1 } },
	};
	char err[LUAULP_POLICY_ERRMAX];
	struct luaulp_policy p;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (luaulp_policy_load_string(&p, text, "fuzz.conf", "/nonexistent", err) == 0) {
		luaulp_policy_match(&p, LUAULP_DIR_ACCEPT, (const struct sockaddr *)&v4, sizeof(v4));
		luaulp_policy_match(&p, LUAULP_DIR_CONNECT, (const struct sockaddr *)&v6, sizeof(v6));
		luaulp_policy_dirs(&p);
		luaulp_policy_filter_exe(&p, "/usr/sbin/nginx");
		luaulp_policy_match(&p, LUAULP_DIR_ACCEPT, (const struct sockaddr *)&v6, sizeof(v6));
	} else if (strncmp(err, "fuzz.conf:", 10) && err[0] != '/') {
		abort();	/* every error names the file (or an included one) */
	}
	luaulp_policy_free(&p);
	free(text);
	return 0;
}
