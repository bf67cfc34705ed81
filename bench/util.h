/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every bench program shares, in the guest (through common.h) and on
 * the host (rt_cost, script_mem): dying with errno's name, reading a file,
 * the HTTP request the HTTP measurements send.
 */
#ifndef LUAULP_BENCH_UTIL_H
#define LUAULP_BENCH_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static inline void die(const char *what)
{
	fprintf(stderr, "bench: %s: %s\n", what, strerrorname_np(errno));
	exit(1);
}

/* FILE's bytes, NUL-terminated; their number in *LEN if LEN. */
static inline char *slurp_len(const char *path, size_t *len)
{
	struct stat sb;
	int fd = open(path, O_RDONLY);
	char *s;

	if (fd < 0 || fstat(fd, &sb))
		die(path);
	s = malloc(sb.st_size + 1);
	if (!s || read(fd, s, sb.st_size) != sb.st_size)
		die(path);
	s[sb.st_size] = 0;
	close(fd);
	if (len)
		*len = sb.st_size;
	return s;
}

static inline char *slurp(const char *path)
{
	return slurp_len(path, NULL);
}

/* A realistic browser request (keep-alive, cookies): the HTTP stream. */
static const char http_request[] =
	"GET /static/js/app.bundle.js?v=20261201 HTTP/1.1\r\n"
	"Host: www.example.com\r\n"
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
	"Accept: */*\r\n"
	"Accept-Language: en-US,en;q=0.5\r\n"
	"Accept-Encoding: gzip, deflate, br\r\n"
	"Referer: https://www.example.com/products/list?page=2\r\n"
	"Connection: keep-alive\r\n"
	"Cookie: session=8f14e45fceea167a5a36dedd4bea2543; theme=dark; consent=1\r\n"
	"Sec-Fetch-Dest: script\r\n"
	"Sec-Fetch-Mode: no-cors\r\n"
	"Sec-Fetch-Site: same-origin\r\n"
	"\r\n";

#endif
