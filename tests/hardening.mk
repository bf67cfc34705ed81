# SPDX-License-Identifier: GPL-2.0
#
# Hardening: the debug kernel, the socket-interface fuzzer, the soak.  None
# of it is part of `make check` (see README.md, "Reliability").
#
#   make debug-kernel        build the debug guest kernel (tools/debug-kernel;
#                            cached under build/debug-kernel/, ~see README)
#   make kernel-debug        luaulp.ko built against it (warning-free)
#   make check-debug [DEBUG_LINE=6.12] [DEBUG_TESTS="FILE.vm.bats..."]
#                            boot it, run every *.vm.bats (or those given),
#                            kmemleak scan; any KASAN/lockdep/kmemleak/
#                            WARN/BUG report fails
#   make fuzz-kernel FUZZ_TIME=600 [FUZZ_KERNEL=6.1|6.12|debug]
#                    [FUZZ_SEED=N] [FUZZ_THREADS=N] [FUZZ_ARGS="--without nl_dump"]
#                            build/tests/kfuzz in the guest, then checks
#                            that nothing was left (tests/vm/fuzz-guest)
#   make soak SOAK_TIME=600 [SOAK_KERNEL=6.1|6.12|debug|debug-6.12]
#                 [SOAK_CONNS=300] [SOAK_ABUSERS=40] [SOAK_SEED=N]
#                            nginx under the shim with http_guard and
#                            http_cache, wrk and abusive clients, scripts
#                            re-registered and rmmod tried throughout; then
#                            everything must be back (tests/soak/soak-guest);
#                            log in build/tests/soak-KERNEL.log

DEBUG_LINE ?= $(if $(filter debug-6.12,$(FUZZ_KERNEL) $(SOAK_KERNEL)),6.12,6.1)
FUZZ_TIME ?= 600
FUZZ_KERNEL ?= 6.1
FUZZ_SEED ?=
FUZZ_THREADS ?= 4
FUZZ_ARGS ?=
SOAK_TIME ?= 600
SOAK_KERNEL ?= 6.1
SOAK_CONNS ?= 300
SOAK_ABUSERS ?= 40
SOAK_SEED ?=
DEBUG_TESTS ?=

KFUZZ := $(B)/tests/kfuzz
KFUZZ_SRCS := tests/fuzz/kfuzz.c preload/genl.c preload/registry.c
HOST_TEST_TARGETS += $(KFUZZ)

SOAK_ABUSE := $(B)/tests/soak-abuse
HOST_TEST_TARGETS += $(SOAK_ABUSE)

$(SOAK_ABUSE): tests/soak/abuse.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@";)
	$(Q)$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -o $@ $<

$(KFUZZ): $(KFUZZ_SRCS) preload/genl.h preload/registry.h kernel/include/uapi/luaulp.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@";)
	$(Q)$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow \
		-Ikernel/include -Ipreload -o $@ $(KFUZZ_SRCS) -lpthread

.PHONY: debug-kernel kernel-debug check-debug fuzz-kernel soak
debug-kernel:
	$(Q)tools/debug-kernel $(DEBUG_LINE)

kernel-debug: debug-kernel $(LUA_PATCHED)/.stamp
	$(Q)tools/kbuild --debug $(DEBUG_LINE)

check-debug: all kernel-debug
	$(Q)tests/check-debug $(DEBUG_LINE) $(DEBUG_TESTS)

fuzz-kernel: all $(KFUZZ) $(if $(filter debug%,$(FUZZ_KERNEL)),kernel-debug)
	$(Q)tests/vm/run --kernel $(FUZZ_KERNEL) --timeout $$(( $(FUZZ_TIME) * 2 + 600 )) -- \
		tests/vm/fuzz-guest --time $(FUZZ_TIME) --threads $(FUZZ_THREADS) \
		$(if $(FUZZ_SEED),--seed $(FUZZ_SEED)) $(FUZZ_ARGS)

# The guest's timeout leaves room for the drain and, on the debug kernel,
# the kmemleak scans; there the guest has 4 GiB, room for wrk's latency
# histogram at a 240 s timeout (tests/soak/soak-guest).  The status
# survives the tee.
soak: all $(SOAK_ABUSE) $(if $(filter debug%,$(SOAK_KERNEL)),kernel-debug)
	$(Q)mkdir -p $(B)/tests
	$(Q){ tests/vm/run --kernel $(SOAK_KERNEL) --timeout $$(( $(SOAK_TIME) * 2 + 1800 )) \
		$(if $(filter debug%,$(SOAK_KERNEL)),--mem 4G) -- \
		tests/soak/soak-guest --time $(SOAK_TIME) --conns $(SOAK_CONNS) \
		--abusers $(SOAK_ABUSERS) $(if $(SOAK_SEED),--seed $(SOAK_SEED)); \
		echo $$? > $(B)/tests/soak-$(SOAK_KERNEL).rc; } 2>&1 | tee $(B)/tests/soak-$(SOAK_KERNEL).log
	$(Q)exit $$(cat $(B)/tests/soak-$(SOAK_KERNEL).rc)
