# SPDX-License-Identifier: GPL-2.0
#
# Benchmarks (bench/README.md).  `make` builds the programs that need
# nothing beyond the build's own packages (so `make check` can smoke them);
# `make bench` installs the bench's Debian packages (tools/deps --bench:
# wrk, haproxy, nginx's Lua module, libbpf, gnuplot, valgrind, perf),
# builds the rest and runs bench/run:
#
#   make bench [BENCH_KERNELS="6.1 6.12"] [BENCH_REPS=N] [BENCH_QUICK=1]
#
# Included after the parts' build.mk files: uses $(RT_LIB), $(RT_CPPFLAGS).

BENCH_KERNELS ?= 6.1 6.12
BENCH_REPS ?=
BENCH_QUICK ?=
BENCH_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -Ikernel/include/uapi

$(B)/bench/%: bench/%.c bench/common.h kernel/include/uapi/luaulp.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@";)
	$(Q)$(CC) $(BENCH_CFLAGS) -o $@ $<

# Memory of a script's per-connection state on the user-space runtime
# (scripts/README.md quotes its figures; tests/scripts/library.host.bats
# checks the 32 KiB bound).
$(B)/bench/script_mem: $(B)/runtime/obj/bench/script_mem.o $(RT_LIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^

# Instruction counts of the runtime's work under callgrind (bench/callgrind):
# the module's script code and simsock's connection, from the runtime.
$(B)/bench/rt_cost: $(B)/runtime/obj/bench/rt_cost.o $(RT_LIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^

USER_TARGETS += $(B)/bench/ulpbench $(B)/bench/burst $(B)/bench/script_mem \
	$(B)/bench/rt_cost

# eBPF beside Lua: libbpf-dev and clang's BPF target (make bench only).
$(B)/bench/sockmap_filter.bpf.o: bench/sockmap_filter.bpf.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CLANG   $@")
	$(Q)clang -O2 -g -target bpf -Wall -Werror \
		-I/usr/include/$(shell $(CC) -dumpmachine) -c -o $@ $<

$(B)/bench/sockmapbench: bench/sockmapbench.c bench/common.h \
		kernel/include/uapi/luaulp.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@";)
	$(Q)$(CC) $(BENCH_CFLAGS) -o $@ $< -lbpf

BENCH_TARGETS := $(B)/bench/sockmapbench $(B)/bench/sockmap_filter.bpf.o

.PHONY: bench bench-programs
bench: all
	$(Q)tools/deps --bench
	+$(Q)$(MAKE) bench-programs
	$(Q)BENCH_KERNELS="$(BENCH_KERNELS)" BENCH_REPS="$(BENCH_REPS)" \
		BENCH_QUICK="$(BENCH_QUICK)" bench/run

bench-programs: $(BENCH_TARGETS)
