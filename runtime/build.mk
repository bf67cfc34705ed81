# SPDX-License-Identifier: GPL-2.0
#
# The luaulp Lua runtime in user space: the kernel's runtime sources
# (kernel/runtime*.c, kernel/lua/) over the same patched Lua 5.3.6, with
# libc underneath instead of the kernel.
#
#   build/runtime/libluaulp_rt.a   PIC; our setjmp.S as in the kernel
#   build/runtime/test_runtime     unit tests, ASan + UBSan
#   build/runtime/caserun-asan     the shared case list on the host, ASan + UBSan
#   build/runtime/caserun          the same, plain; --kernel runs it through
#                                  the module's socket options (guest tests)
#   make fuzz [FUZZ_TIME=600]      libFuzzer on the runtime (clang)
#
# Users of the library compile with $(RT_CPPFLAGS) to include lua.h.

RT_LUA := $(B)/lua/patched/src
RT_LUA_CORE := lapi lauxlib lbaselib lcode lcorolib lctype ldebug ldo \
	ldump lfunc lgc llex lmem lobject lopcodes lparser lstate lstring \
	lstrlib ltable ltablib ltm lutf8lib lvm lzio
RT_OWN := kernel/runtime.c kernel/runtime_lib.c kernel/lua/luaulp_core.c \
	kernel/entry.c kernel/lualib.c kernel/store.c \
	runtime/host.c runtime/simsock.c

RT_CPPFLAGS := -I$(RT_LUA) -Ikernel/lua -Ikernel -Ikernel/include -Iruntime \
	-DLUA_USER_H='"luaulp_conf.h"' -DLUA_FLOAT_TYPE=LUA_FLOAT_INT64
RT_WFLAGS := -Wall -Wextra -Werror
RT_CFLAGS := -std=c11 -O2 -g $(RT_WFLAGS) -fPIC -MMD -MP
RT_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
RT_ASAN_CFLAGS := -std=c11 -O1 -g $(RT_WFLAGS) $(RT_SAN) -MMD -MP

# plain: our own setjmp/longjmp, as in the kernel; asan: libc's (ASan
# must see every longjmp)
RT_OBJ := $(RT_LUA_CORE:%=$(B)/runtime/obj/lua/%.o) \
	$(RT_OWN:%.c=$(B)/runtime/obj/%.o) $(B)/runtime/obj/setjmp.o
RT_AOBJ := $(RT_LUA_CORE:%=$(B)/runtime/asan/lua/%.o) \
	$(RT_OWN:%.c=$(B)/runtime/asan/%.o)

RT_LIB := $(B)/runtime/libluaulp_rt.a
RT_ALIB := $(B)/runtime/libluaulp_rt-asan.a
RT_TESTS := $(B)/runtime/test_runtime $(B)/runtime/caserun-asan \
	$(B)/runtime/caserun

USER_TARGETS += $(RT_LIB)
HOST_TEST_TARGETS += $(RT_TESTS)

.PHONY: runtime fuzz fuzz-runtime
runtime: $(RT_LIB) $(RT_TESTS)

$(B)/runtime/obj/lua/%.o: $(RT_LUA)/%.c $(LUA_PATCHED)/.stamp
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(RT_CPPFLAGS) -DLUAULP_OWN_SETJMP $(RT_CFLAGS) -c -o $@ $<

$(B)/runtime/obj/%.o: %.c $(LUA_PATCHED)/.stamp
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(RT_CPPFLAGS) -DLUAULP_OWN_SETJMP $(RT_CFLAGS) -c -o $@ $<

$(B)/runtime/obj/setjmp.o: kernel/lua/setjmp.S
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AS      $@")
	$(Q)$(CC) -c -o $@ $<

$(B)/runtime/asan/lua/%.o: $(RT_LUA)/%.c $(LUA_PATCHED)/.stamp
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(RT_CPPFLAGS) $(RT_ASAN_CFLAGS) -c -o $@ $<

$(B)/runtime/asan/%.o: %.c $(LUA_PATCHED)/.stamp
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(RT_CPPFLAGS) $(RT_ASAN_CFLAGS) -c -o $@ $<

$(RT_LIB): $(RT_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(RT_ALIB): $(RT_AOBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/runtime/test_runtime: $(B)/runtime/asan/tests/runtime/test_runtime.o $(RT_ALIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(RT_SAN) -o $@ $^

$(B)/runtime/caserun-asan: $(B)/runtime/asan/tests/runtime/caserun.o $(RT_ALIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(RT_SAN) -o $@ $^

$(B)/runtime/caserun: $(B)/runtime/obj/tests/runtime/caserun.o $(RT_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^

# libFuzzer with clang: the Lua core and the runtime built again with
# -fsanitize=fuzzer-no-link (coverage), address, undefined.
RT_FUZZ_CC := clang-14
RT_FUZZ_SRCS := $(RT_LUA_CORE:%=$(RT_LUA)/%.c) $(RT_OWN) runtime/fuzz/fuzz_runtime.c
RT_FUZZ_BIN := $(B)/runtime/fuzz_runtime
FUZZ_TIME ?= 600

$(RT_FUZZ_BIN): $(RT_FUZZ_SRCS) $(LUA_PATCHED)/.stamp $(wildcard kernel/lua/*.h kernel/*.h)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZCC  $@")
	$(Q)$(RT_FUZZ_CC) $(RT_CPPFLAGS) -std=c11 -O1 -g -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $@ $(RT_FUZZ_SRCS)

fuzz: fuzz-runtime
fuzz-runtime: $(RT_FUZZ_BIN)
	@mkdir -p $(B)/runtime/fuzz-corpus
	$(Q)$(RT_FUZZ_BIN) -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix=$(B)/runtime/ \
		-max_len=4096 -dict=runtime/fuzz/lua.dict \
		$(B)/runtime/fuzz-corpus runtime/fuzz/corpus

-include $(RT_OBJ:.o=.d) $(RT_AOBJ:.o=.d) \
	$(B)/runtime/asan/tests/runtime/test_runtime.d \
	$(B)/runtime/asan/tests/runtime/caserun.d \
	$(B)/runtime/obj/tests/runtime/caserun.d
