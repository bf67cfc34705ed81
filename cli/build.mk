# SPDX-License-Identifier: GPL-2.0
#
# luaulp, the command-line tool: build/cli/luaulp.  It shares the policy
# parser and the netlink client (build/preload/policy.o, genl.o, registry.o)
# with the shim.  If the user-space Lua
# runtime is part of the build (runtime/build.mk), `luaulp check` links it
# and compiles every script; otherwise it only validates the policy.

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

CLI_SRCS := cli/luaulp.c cli/check.c cli/stat.c cli/run.c cli/registry.c
CLI_OBJS := $(CLI_SRCS:%.c=$(B)/%.o)
CLI_BIN := $(B)/cli/luaulp
CLI_CFLAGS := $(LUAULP_USER_CFLAGS) -Ikernel/include -Ikernel -Ipreload -Icli -MMD -MP
CLI_LIBS := -lconfig

ifneq ($(wildcard runtime/build.mk),)
CLI_RUNTIME := $(B)/runtime/libluaulp_rt.a
CLI_CFLAGS += -DLUAULP_HAVE_RUNTIME
# run.c uses lua.h as the runtime sees it (RT_CPPFLAGS, set later by
# runtime/build.mk: recursive on purpose) and needs the patched sources.
$(B)/cli/run.o $(B)/cli/registry.o: CLI_EXTRA_CFLAGS = $(RT_CPPFLAGS)
$(B)/cli/run.o $(B)/cli/registry.o: | $(B)/lua/patched/.stamp
endif

USER_TARGETS += $(CLI_BIN)

.PHONY: cli install-cli uninstall-cli
cli: $(CLI_BIN)

# Rebuild when the flags change (e.g. the runtime appears).
CLI_FLAGS_STAMP := $(B)/cli/.cflags
.PHONY: cli-flags-force
$(CLI_FLAGS_STAMP): cli-flags-force
	@mkdir -p $(@D)
	@echo '$(CLI_CFLAGS)' | cmp -s - $@ || echo '$(CLI_CFLAGS)' >$@

$(B)/cli/%.o: cli/%.c $(CLI_FLAGS_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CLI_CFLAGS) $(CLI_EXTRA_CFLAGS) -c -o $@ $<

CLI_SHARED := $(B)/preload/policy.o $(B)/preload/genl.o $(B)/preload/registry.o
$(CLI_BIN): $(CLI_OBJS) $(CLI_SHARED) $(CLI_RUNTIME)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -pie -Wl,-z,relro,-z,now -o $@ $(CLI_OBJS) $(CLI_SHARED) \
		$(CLI_RUNTIME) $(CLI_LIBS)

install-cli: $(CLI_BIN)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(CLI_BIN) $(DESTDIR)$(PREFIX)/bin/luaulp

uninstall-cli:
	rm -f $(DESTDIR)$(PREFIX)/bin/luaulp

-include $(CLI_OBJS:.o=.d)
