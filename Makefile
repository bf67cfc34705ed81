# SPDX-License-Identifier: GPL-2.0
#
# luaulp: `make` builds the module for both Debian kernel lines and the
# user-space parts; `make check` runs every test; `make demo` runs the demo.
# Quiet unless V=1.  Every output goes under build/.

V ?= 0
ifeq ($(V),1)
Q :=
else
Q := @
MAKEFLAGS += --no-print-directory
endif

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= gcc
B := build

# Products of the user-space parts and host test binaries: each part's
# build.mk appends to these.
USER_TARGETS :=
HOST_TEST_TARGETS :=

all: kernel user

# The kernel releases come from tools/deps (resolved with apt-cache).
-include $(B)/kernels.env
KRELS := $(LUAULP_KREL_61) $(LUAULP_KREL_612)

.PHONY: all deps kernel user check check-host check-vm demo nginx-tests clean distclean fuzz

deps:
	$(Q)tools/deps

$(B)/kernels.env $(B)/lua/.fetched:
	$(Q)tools/deps

# Lua 5.3.6, pristine from Debian's source package, with our patches applied
# to a copy (kernel/lua/patches/, each saying why).
LUA_PATCHED := $(B)/lua/patched
LUA_PATCHES := $(sort $(wildcard kernel/lua/patches/*.patch))
$(LUA_PATCHED)/.stamp: $(B)/lua/.fetched $(LUA_PATCHES)
	$(Q)rm -rf $(LUA_PATCHED) && mkdir -p $(LUA_PATCHED)
	$(Q)cp -r $(B)/lua/src/src $(LUA_PATCHED)/src
	$(Q)for p in $(LUA_PATCHES); do \
		echo "  PATCH   $$p"; \
		patch -s -p1 -d $(LUA_PATCHED) < $$p || exit 1; \
	done
	$(Q)touch $@

kernel: $(B)/kernels.env $(LUA_PATCHED)/.stamp
	+$(Q)for rel in $(KRELS); do tools/kbuild $$rel $(if $(filter 1,$(V)),V=1) || exit 1; done

include $(sort $(wildcard */build.mk))
include tests/hardening.mk
include bench/bench.mk

user: $(USER_TARGETS) $(HOST_TEST_TARGETS)

# Host tests first, then one guest boot per kernel running every *.vm.bats.
check: all
	$(Q)tests/check

check-host: all
	$(Q)tests/check --host-only

check-vm: all
	$(Q)tests/check --vm-only

demo: all
	$(Q)tools/demo

# nginx's own test suite, plain and behind http_guard.lua, on both kernels
# (not part of check: ~15 minutes per kernel).  tests/scripts/nginx-tests.sh
nginx-tests: all
	$(Q)rc=0; for k in 6.1 6.12; do tests/scripts/nginx-tests.sh --kernel $$k || rc=1; done; exit $$rc

clean:
	$(Q)rm -rf $(B)/kernel $(B)/runtime $(B)/preload $(B)/cli $(B)/tests $(B)/vm $(LUA_PATCHED)

# Also forgets the downloads (guest kernels, Lua source).
distclean:
	$(Q)rm -rf $(B)
