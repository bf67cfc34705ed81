# SPDX-License-Identifier: GPL-2.0
# Memory of a script's per-connection state, on the user-space runtime
# (scripts/README.md quotes its figures; tests/scripts/library.host.bats
# checks the 32 KiB bound of http_guard.lua).
#
# By default script_mem loads a script as the kernel's registry does
# (compiled, dumped stripped, loaded as bytecode), so it links Lua's own
# loader (lundump.c) over the runtime's refusal, in a copy of the runtime
# library where that refusal is a weak symbol.  Only this benchmark does.

$(B)/bench/librt_bytecode.a: $(RT_LIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  OBJCOPY $@")
	$(Q)objcopy --weaken-symbol=luaU_undump $< $@

$(B)/bench/lundump.o: $(RT_LUA)/lundump.c $(LUA_PATCHED)/.stamp
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(RT_CPPFLAGS) $(RT_CFLAGS) -c -o $@ $<

$(B)/bench/script_mem: $(B)/runtime/obj/bench/script_mem.o $(B)/bench/lundump.o \
		$(B)/bench/librt_bytecode.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^

USER_TARGETS += $(B)/bench/script_mem
