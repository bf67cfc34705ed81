// SPDX-License-Identifier: GPL-2.0
/*
 * Unit test of the policy parser (preload/policy.c) on its own, built with
 * ASan + UBSan.  Prints TAP; exit status 1 if any check failed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "policy.h"

static int n_checks, n_failed;

#define CHECK(cond) check(!!(cond), #cond, __LINE__)

static void check(int ok, const char *what, int line)
{
	n_checks++;
	if (!ok)
		n_failed++;
	printf("%sok %d - line %d: %s\n", ok ? "" : "not ", n_checks, line, what);
}

static char err[LUAULP_POLICY_ERRMAX];

static int parse(struct luaulp_policy *p, const char *text)
{
	return luaulp_policy_load_string(p, text, "t.conf", "/scripts", err);
}

/* Expect TEXT to fail with an error starting "t.conf:LINE: " and
 * containing NEEDLE. */
static void expect_error(const char *text, int line, const char *needle, int at)
{
	struct luaulp_policy p;
	char prefix[32];
	int ret = parse(&p, text);

	snprintf(prefix, sizeof(prefix), "t.conf:%d: ", line);
	check(ret == -1, "parse fails", at);
	check(!strncmp(err, prefix, strlen(prefix)), prefix, at);
	check(strstr(err, needle) != NULL, needle, at);
	if (ret != -1 || strncmp(err, prefix, strlen(prefix)) || !strstr(err, needle))
		printf("# got: %s\n", err);
	check(p.nrules == 0 && p.rules == NULL, "nothing left", at);
	luaulp_policy_free(&p);
}
#define EXPECT_ERROR(text, line, needle) expect_error(text, line, needle, __LINE__)

static struct sockaddr_storage sa4(const char *ip, int port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	a->sin_family = AF_INET;
	a->sin_port = htons((unsigned short)port);
	inet_pton(AF_INET, ip, &a->sin_addr);
	return ss;
}

static struct sockaddr_storage sa6(const char *ip, int port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	a->sin6_family = AF_INET6;
	a->sin6_port = htons((unsigned short)port);
	inet_pton(AF_INET6, ip, &a->sin6_addr);
	return ss;
}

static const char *match(const struct luaulp_policy *p, enum luaulp_dir dir,
			 struct sockaddr_storage ss)
{
	const struct luaulp_rule *r;

	r = luaulp_policy_match(p, dir, (struct sockaddr *)&ss,
				ss.ss_family == AF_INET ? sizeof(struct sockaddr_in) :
							  sizeof(struct sockaddr_in6));
	return r ? r->name : "-";
}

static void test_full(void)
{
	static const char text[] =
		"version = 1;\n"
		"log = \"/tmp/x.log\";\n"
		"log_level = \"debug\";\n"
		"on_invalid = \"closed\";\n"
		"defaults: {\n"
		"  entry = \"recv\";\n"
		"  on_error = \"reset\";\n"
		"  script_dir = \"lib\";\n"
		"};\n"
		"rules = (\n"
		"  { name = \"web\"; port = (80, \"8000-8100\"); exe = [\"nginx\", \"/usr/bin/x\"];\n"
		"    script = \"guard.lua\"; entry = \"guard\"; send_entry = \"out\"; fail = \"closed\"; },\n"
		"  { name = \"local6\"; port = \"443\"; address = (\"::1\", \"10.1.0.0/16\");\n"
		"    script_name = \"tls_sni\"; on_error = \"pass\"; },\n"
		"  { name = \"out\"; direction = \"connect\"; port = 6379; script = \"/abs/r.lua\"; },\n"
		"  { name = \"both\"; direction = \"both\"; address = \"::ffff:192.168.0.0/112\"; script = \"b.lua\"; }\n"
		");\n";
	struct luaulp_policy p;
	const struct luaulp_rule *r;

	CHECK(parse(&p, text) == 0);
	if (p.nrules != 4) {
		printf("# %s\n", err);
		CHECK(p.nrules == 4);
		return;
	}
	CHECK(!strcmp(p.log, "/tmp/x.log"));
	CHECK(p.log_level == LOG_DEBUG);
	CHECK(p.on_invalid == LUAULP_FAIL_CLOSED);
	r = &p.rules[0];
	CHECK(!strcmp(r->name, "web") && r->line == 11);
	CHECK(r->dirs == LUAULP_DIR_ACCEPT);
	CHECK(r->nports == 2 && r->ports[0].lo == 80 && r->ports[0].hi == 80 &&
	      r->ports[1].lo == 8000 && r->ports[1].hi == 8100);
	CHECK(r->nexes == 2 && !strcmp(r->exes[1], "/usr/bin/x"));
	CHECK(!strcmp(r->script_path, "/scripts/lib/guard.lua"));
	CHECK(r->script_line == 12);
	CHECK(!strcmp(r->entry, "guard") && !strcmp(r->send_entry, "out"));
	CHECK(r->on_error == LUAULP_ONERR_RESET && r->fail == LUAULP_FAIL_CLOSED);
	r = &p.rules[1];
	CHECK(r->script_name && !strcmp(r->script_name, "tls_sni") && !r->script_path);
	CHECK(!strcmp(r->entry, "recv") && r->on_error == LUAULP_ONERR_PASS);
	CHECK(r->fail == LUAULP_FAIL_OPEN && r->nexes == 0);
	CHECK(!strcmp(p.rules[2].script_path, "/abs/r.lua"));
	CHECK(p.rules[2].dirs == LUAULP_DIR_CONNECT);
	CHECK(!strcmp(p.rules[3].name, "both"));
	CHECK(luaulp_policy_dirs(&p) == (LUAULP_DIR_ACCEPT | LUAULP_DIR_CONNECT));

	/* Matching: first match wins, direction and address count. */
	CHECK(!strcmp(match(&p, LUAULP_DIR_ACCEPT, sa4("1.2.3.4", 80)), "web"));
	CHECK(!strcmp(match(&p, LUAULP_DIR_ACCEPT, sa6("::", 8050)), "web"));
	CHECK(!strcmp(match(&p, LUAULP_DIR_ACCEPT, sa4("1.2.3.4", 8101)), "-"));
	CHECK(!strcmp(match(&p, LUAULP_DIR_CONNECT, sa4("1.2.3.4", 80)), "-"));
	CHECK(!strcmp(match(&p, LUAULP_DIR_ACCEPT, sa6("::1", 443)), "local6"));
	CHECK(!strcmp(match(&p, LUAULP_DIR_ACCEPT, sa6("::2", 443)), "-"));
	CHECK(!strcmp(match(&p, LUAULP_DIR_ACCEPT, sa4("10.1.255.3", 443)), "local6"));
	CHECK(!strcmp(match(&p, LUAULP_DIR_ACCEPT, sa6("::ffff:10.1.2.3", 443)), "local6"));
	CHECK(!strcmp(match(&p, LUAULP_DIR_ACCEPT, sa4("10.2.0.1", 443)), "-"));
	CHECK(!strcmp(match(&p, LUAULP_DIR_CONNECT, sa4("127.0.0.1", 6379)), "out"));
	CHECK(!strcmp(match(&p, LUAULP_DIR_ACCEPT, sa4("127.0.0.1", 6379)), "-"));
	CHECK(!strcmp(match(&p, LUAULP_DIR_CONNECT, sa4("192.168.7.7", 1)), "both"));
	CHECK(!strcmp(match(&p, LUAULP_DIR_ACCEPT, sa6("::ffff:192.168.1.1", 2)), "both"));
	CHECK(!strcmp(match(&p, LUAULP_DIR_ACCEPT, sa4("192.169.0.1", 2)), "-"));
	CHECK(luaulp_policy_match(&p, LUAULP_DIR_ACCEPT, NULL, 0) == NULL);

	/* Executables: basename or full path. */
	CHECK(luaulp_rule_match_exe(&p.rules[0], "/usr/sbin/nginx"));
	CHECK(luaulp_rule_match_exe(&p.rules[0], "/usr/bin/x"));
	CHECK(!luaulp_rule_match_exe(&p.rules[0], "/opt/bin/x"));
	CHECK(!luaulp_rule_match_exe(&p.rules[0], "/usr/sbin/nginx2"));
	CHECK(!luaulp_rule_match_exe(&p.rules[0], NULL));
	CHECK(luaulp_rule_match_exe(&p.rules[1], NULL));
	CHECK(luaulp_policy_filter_exe(&p, "/usr/sbin/redis") == 3);
	CHECK(!strcmp(p.rules[0].name, "local6"));
	CHECK(!strcmp(match(&p, LUAULP_DIR_ACCEPT, sa4("192.168.3.4", 80)), "both"));
	CHECK(!strcmp(match(&p, LUAULP_DIR_ACCEPT, sa4("1.2.3.4", 80)), "-"));
	luaulp_policy_free(&p);
	CHECK(p.nrules == 0 && p.rules == NULL && p.log_level == -1);
}

static void test_defaults_and_empty(void)
{
	struct luaulp_policy p;

	CHECK(parse(&p, "") == 0 && p.nrules == 0);
	luaulp_policy_free(&p);
	CHECK(parse(&p, "rules = ();\n") == 0 && p.nrules == 0);
	luaulp_policy_free(&p);
	CHECK(parse(&p, "defaults = { exe = \"curl\"; direction = \"connect\"; "
		    "entry = \"e\"; fail = \"closed\"; };\n"
		    "rules = ( { script = \"a.lua\"; }, { exe = \"wget\"; script = \"b.lua\"; } );\n") == 0);
	CHECK(p.nrules == 2);
	if (p.nrules == 2) {
		CHECK(!strcmp(p.rules[0].name, "rule#1") && !strcmp(p.rules[1].name, "rule#2"));
		CHECK(p.rules[0].dirs == LUAULP_DIR_CONNECT && p.rules[0].fail == LUAULP_FAIL_CLOSED);
		CHECK(p.rules[0].nexes == 1 && !strcmp(p.rules[0].exes[0], "curl"));
		CHECK(p.rules[1].nexes == 1 && !strcmp(p.rules[1].exes[0], "wget"));
		CHECK(!strcmp(p.rules[1].script_path, "/scripts/b.lua"));
		CHECK(p.rules[0].nports == 0);
		CHECK(!strcmp(match(&p, LUAULP_DIR_CONNECT, sa4("8.8.8.8", 53)), "rule#1"));
	}
	luaulp_policy_free(&p);
	/* A relative base directory and none at all. */
	CHECK(luaulp_policy_load_string(&p, "rules = ({ entry = \"e\"; script = \"s.lua\"; });",
					"x", NULL, err) == 0);
	CHECK(p.nrules == 1 && !strcmp(p.rules[0].script_path, "s.lua"));
	luaulp_policy_free(&p);
}

static void test_errors(void)
{
	EXPECT_ERROR("rules = (\n{ port = 80 }\n", 3, "syntax error");
	EXPECT_ERROR("a = 1;\n", 1, "unknown setting \"a\"");
	EXPECT_ERROR("version = 2;\n", 1, "version must be 1");
	EXPECT_ERROR("\n\nrules = ( { entry = \"e\";\n  prot = 80; script = \"x\"; } );\n",
		     4, "unknown setting \"prot\" in a rule");
	EXPECT_ERROR("rules = ( { entry = \"e\"; port = 0; script = \"x\"; } );", 1,
		     "port 0 is not in 1..65535");
	EXPECT_ERROR("rules = ( { entry = \"e\"; port = 65536; script = \"x\"; } );", 1,
		     "port 65536");
	EXPECT_ERROR("rules = ( { entry = \"e\";\n port = \"90-80\"; script = \"x\"; } );", 2,
		     "port \"90-80\" is not a port or range");
	EXPECT_ERROR("rules = ( { entry = \"e\"; port = \"80-\"; script = \"x\"; } );", 1,
		     "port \"80-\"");
	EXPECT_ERROR("rules = ( { entry = \"e\"; port = \"-1\"; script = \"x\"; } );", 1,
		     "port \"-1\"");
	EXPECT_ERROR("rules = ( { entry = \"e\"; port = (); script = \"x\"; } );", 1,
		     "port list is empty");
	EXPECT_ERROR("rules = ( { entry = \"e\"; port = ((80)); script = \"x\"; } );", 1,
		     "do not nest");
	EXPECT_ERROR("rules = ( { entry = \"e\"; port = 8.5; script = \"x\"; } );", 1,
		     "port must be a number");
	EXPECT_ERROR("rules = ( { entry = \"e\"; script = \"x\"; script_name = \"y\"; } );", 1,
		     "exclude each other");
	EXPECT_ERROR("rules = (\n { entry = \"e\"; } );", 2, "needs script");
	EXPECT_ERROR("rules = (\n { name = \"n\"; script = \"x\"; } );", 2,
		     "rule \"n\": no entry");
	EXPECT_ERROR("rules = ( { entry = \"1abc\"; script = \"x\"; } );", 1,
		     "entry \"1abc\" is not a Lua identifier");
	EXPECT_ERROR("rules = ( { entry = \"end\"; script = \"x\"; } );", 1,
		     "not a Lua identifier");
	EXPECT_ERROR("rules = ( { entry = \"a-b\"; script = \"x\"; } );", 1,
		     "not a Lua identifier");
	EXPECT_ERROR("rules = ( { entry = \"e\"; send_entry = \"\"; script = \"x\"; } );", 1,
		     "send_entry must not be empty");
	EXPECT_ERROR("rules = ( { entry = \"e\"; script_name = \"a:b\"; } );", 1,
		     "script_name \"a:b\" is not 1..64 characters of [A-Za-z0-9_.-]");
	EXPECT_ERROR("rules = ( { entry = \"e\"; script_name = \"\"; } );", 1,
		     "script_name must not be empty");
	{	/* Registry names are not Lua identifiers: dots, dashes, digits. */
		struct luaulp_policy p;

		CHECK(parse(&p, "rules = ( { entry = \"e\"; script_name = \"9web.guard-2\"; } );") == 0);
		CHECK(p.nrules == 1 && !strcmp(p.rules[0].script_name, "9web.guard-2"));
		luaulp_policy_free(&p);
	}
	EXPECT_ERROR("rules = ( { entry = \"e\"; direction = \"in\"; script = \"x\"; } );", 1,
		     "direction \"in\" is not one of accept, connect, both");
	EXPECT_ERROR("rules = ( { entry = \"e\"; fail = \"maybe\"; script = \"x\"; } );", 1,
		     "fail \"maybe\" is not one of open, closed");
	EXPECT_ERROR("rules = ( { entry = \"e\"; on_error = 1; script = \"x\"; } );", 1,
		     "on_error must be a string");
	EXPECT_ERROR("rules = ( { entry = \"e\"; on_error = \"drop\"; script = \"x\"; } );", 1,
		     "on_error \"drop\" is not one of pass, reset");
	EXPECT_ERROR("rules = ( { entry = \"e\"; exe = \"bin/nginx\"; script = \"x\"; } );", 1,
		     "must be a full path or a basename");
	EXPECT_ERROR("rules = ( { entry = \"e\"; exe = (1); script = \"x\"; } );", 1,
		     "exe must be a string");
	EXPECT_ERROR("rules = ( { entry = \"e\"; exe = []; script = \"x\"; } );", 1,
		     "exe list is empty");
	EXPECT_ERROR("rules = ( { entry = \"e\"; address = \"10.0.0.0/33\"; script = \"x\"; } );", 1,
		     "address \"10.0.0.0/33\"");
	EXPECT_ERROR("rules = ( { entry = \"e\"; address = \"::1/129\"; script = \"x\"; } );", 1,
		     "address \"::1/129\"");
	EXPECT_ERROR("rules = ( { entry = \"e\"; address = \"host\"; script = \"x\"; } );", 1,
		     "address \"host\"");
	EXPECT_ERROR("rules = ( { entry = \"e\"; address = \"1.2.3.4/\"; script = \"x\"; } );", 1,
		     "address \"1.2.3.4/\"");
	EXPECT_ERROR("rules = ( 1 );", 1, "each rule must be a group");
	EXPECT_ERROR("rules = { a = 1; };", 1, "not a group");
	EXPECT_ERROR("rules = [ 1 ];", 1, "rules must be a list");
	EXPECT_ERROR("defaults = 3;", 1, "defaults must be a group");
	EXPECT_ERROR("defaults = { color = \"red\"; };", 1, "unknown setting \"color\" in defaults");
	EXPECT_ERROR("log_level = \"loud\";", 1, "log_level \"loud\"");
	EXPECT_ERROR("on_invalid = \"ajar\";", 1, "on_invalid \"ajar\"");
}

static void test_on_invalid_kept(void)
{
	struct luaulp_policy p;

	CHECK(parse(&p, "on_invalid = \"closed\";\nrules = ( { port = 0; } );\n") == -1);
	CHECK(p.on_invalid == LUAULP_FAIL_CLOSED && p.nrules == 0);
	luaulp_policy_free(&p);
	CHECK(parse(&p, "rules = ( { port = 0; } );\n") == -1);
	CHECK(p.on_invalid == LUAULP_FAIL_OPEN);
	luaulp_policy_free(&p);
}

static void test_files(void)
{
	char dir[] = "/tmp/luaulp-policy-test.XXXXXX", path[128], conf[128];
	struct luaulp_policy p;
	FILE *f;

	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp");
		return;
	}
	snprintf(conf, sizeof(conf), "%s/p.conf", dir);
	snprintf(path, sizeof(path), "%s/s.lua", dir);
	f = fopen(conf, "w");
	fputs("# comment\nrules = (\n  { entry = \"f\";\n    script = \"s.lua\"; }\n);\n", f);
	fclose(f);

	CHECK(luaulp_policy_load(&p, conf, err) == 0);
	CHECK(p.nrules == 1 && !strcmp(p.rules[0].script_path, path));
	CHECK(luaulp_policy_load_scripts(&p, err) == -1);
	CHECK(strstr(err, "p.conf:4: rule \"rule#1\": script ") != NULL);
	CHECK(strstr(err, "No such file or directory") != NULL);
	f = fopen(path, "w");
	fclose(f);
	CHECK(luaulp_policy_load_scripts(&p, err) == -1 && strstr(err, "size 0 is not in"));
	f = fopen(path, "w");
	fputs("function f(d) return nil end\n", f);
	fclose(f);
	CHECK(luaulp_policy_load_scripts(&p, err) == 0);
	CHECK(p.rules[0].src_len == 29 && !strncmp(p.rules[0].src, "function f", 10));
	luaulp_policy_free(&p);

	snprintf(path, sizeof(path), "%s/missing.conf", dir);
	CHECK(luaulp_policy_load(&p, path, err) == -1 && strstr(err, "cannot read"));
	luaulp_policy_free(&p);

	unlink(conf);
	snprintf(path, sizeof(path), "%s/s.lua", dir);
	unlink(path);
	rmdir(dir);
}

static void test_names(void)
{
	CHECK(!strcmp(luaulp_on_error_name(LUAULP_ONERR_RESET), "reset"));
	CHECK(!strcmp(luaulp_fail_name(LUAULP_FAIL_CLOSED), "closed"));
	CHECK(luaulp_log_level_parse("warn") == LOG_WARNING);
	CHECK(luaulp_log_level_parse("info") == LOG_INFO);
	CHECK(luaulp_log_level_parse("x") == -1);
}

int main(void)
{
	test_full();
	test_defaults_and_empty();
	test_errors();
	test_on_invalid_kept();
	test_files();
	test_names();
	printf("1..%d\n# %d passed, %d failed\n", n_checks, n_checks - n_failed, n_failed);
	return n_failed ? 1 : 0;
}
