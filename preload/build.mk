# SPDX-License-Identifier: GPL-2.0
#
# libluaulp.so (the LD_PRELOAD shim) and the policy parser's unit test.
# Included from the top Makefile, run from the repository root; also works
# alone: make -f preload/build.mk
#
#   build/preload/libluaulp.so        the shim (exports only interposed symbols)
#   build/preload/policy.o            the parser, shared with the CLI
#   build/preload/genl.o registry.o   generic netlink client and the kernel's
#                                     script registry, shared with the CLI
#   build/tests/preload/policy_test   unit test of the parser, ASan + UBSan
#   build/tests/preload/genl_test     unit test of genl.c + registry.c, ditto
#   build/tests/preload/tcppair       test server/client for the bats tests
#   build/tests/preload/confhost      a host with its own config_* functions

V ?= 0
ifeq ($(V),1)
Q ?=
else
Q ?= @
endif
B ?= build
CC ?= gcc
PREFIX ?= /usr/local
DESTDIR ?=

LUAULP_USER_CFLAGS ?= -std=c11 -O2 -g -Wall -Wextra -Werror -Wshadow \
	-Wformat=2 -Wno-format-nonliteral -D_FORTIFY_SOURCE=2 \
	-fstack-protector-strong
LUAULP_SAN_CFLAGS ?= -std=c11 -O1 -g -Wall -Wextra -Werror \
	-fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer

PRELOAD_CFLAGS := $(LUAULP_USER_CFLAGS) -fPIC -fvisibility=hidden \
	-Ikernel/include -Ipreload -MMD -MP
PRELOAD_SRCS := preload/shim.c preload/attach.c preload/log.c \
	preload/genl.c preload/registry.c
# The shim binds libconfig privately (preload/lcfg.h): its own copy of the
# parser, and no -lconfig.  The soname is the one the headers belong to.
LCFG_SONAME := $(or $(shell objdump -p "$$($(CC) -print-file-name=libconfig.so)" \
	2>/dev/null | awk '/SONAME/ { print $$2 }'),libconfig.so.9)
PRELOAD_OBJS := $(PRELOAD_SRCS:%.c=$(B)/%.o) $(B)/preload/policy-shim.o \
	$(B)/preload/lcfg.o
PRELOAD_LIB := $(B)/preload/libluaulp.so

PRELOAD_TESTS := $(B)/tests/preload/policy_test $(B)/tests/preload/genl_test \
	$(B)/tests/preload/tcppair $(B)/tests/preload/confhost

USER_TARGETS += $(PRELOAD_LIB)
HOST_TEST_TARGETS += $(PRELOAD_TESTS)

.PHONY: preload install-preload uninstall-preload
preload: $(PRELOAD_LIB) $(PRELOAD_TESTS)

$(B)/preload/%.o: preload/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(PRELOAD_CFLAGS) -c -o $@ $<

$(B)/preload/policy-shim.o: preload/policy.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(PRELOAD_CFLAGS) -DLUAULP_LCFG_PRIVATE -c -o $@ $<

$(B)/preload/lcfg.o: preload/lcfg.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(PRELOAD_CFLAGS) -DLUAULP_LCFG_SONAME='"$(LCFG_SONAME)"' -c -o $@ $<

$(PRELOAD_LIB): $(PRELOAD_OBJS) preload/exports.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared -fPIC -Wl,-z,relro,-z,now -Wl,--no-undefined \
		-Wl,--version-script=preload/exports.map -o $@ $(PRELOAD_OBJS) \
		-ldl

# The parser on its own, under ASan + UBSan.
$(B)/tests/preload/policy_test: tests/preload/policy_test.c preload/policy.c \
		preload/policy.h kernel/include/uapi/luaulp.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(LUAULP_SAN_CFLAGS) -Ikernel/include -Ipreload -o $@ \
		tests/preload/policy_test.c preload/policy.c -lconfig

# The netlink client and registry messages, against a fake kernel.
$(B)/tests/preload/genl_test: tests/preload/genl_test.c preload/genl.c \
		preload/genl.h preload/registry.c preload/registry.h \
		kernel/include/uapi/luaulp.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(LUAULP_SAN_CFLAGS) -Ikernel/include -Ipreload -o $@ \
		tests/preload/genl_test.c preload/genl.c preload/registry.c

$(B)/tests/preload/tcppair: tests/preload/tcppair.c kernel/include/uapi/luaulp.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(LUAULP_USER_CFLAGS) -Ikernel/include -o $@ $<

# A host with config_* functions of its own (exported), for the shim's test.
$(B)/tests/preload/confhost: tests/preload/confhost.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(LUAULP_USER_CFLAGS) -rdynamic -o $@ $<

# The shim; the policy, module, header and scripts: config/build.mk.
install-preload: $(PRELOAD_LIB)
	install -d $(DESTDIR)$(PREFIX)/lib
	install -m 0644 $(PRELOAD_LIB) $(DESTDIR)$(PREFIX)/lib/libluaulp.so

uninstall-preload:
	rm -f $(DESTDIR)$(PREFIX)/lib/libluaulp.so

-include $(PRELOAD_OBJS:.o=.d)

# make fuzz: the policy parser under libFuzzer (clang), then a short run:
#   LSAN_OPTIONS=suppressions=tests/fuzz/policy_lsan.supp \
#     build/tests/fuzz/policy_fuzz -artifact_prefix=build/tests/fuzz/ \
#       -max_total_time=60 tests/fuzz/policy_corpus
# Built with the host tests when clang is there: the tests replay the corpus.
FUZZ_CC ?= clang-14
ifneq ($(shell command -v $(FUZZ_CC)),)
HOST_TEST_TARGETS += $(B)/tests/fuzz/policy_fuzz
endif
.PHONY: fuzz fuzz-policy
fuzz: fuzz-policy
fuzz-policy: $(B)/tests/fuzz/policy_fuzz
$(B)/tests/fuzz/policy_fuzz: tests/fuzz/policy_fuzz.c preload/policy.c preload/policy.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(FUZZ_CC) -std=c11 -g -O1 -Wall -Wextra -Werror \
		-fsanitize=fuzzer,address,undefined -Ikernel/include -Ipreload \
		-o $@ tests/fuzz/policy_fuzz.c preload/policy.c -lconfig
