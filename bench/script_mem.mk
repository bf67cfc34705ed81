# SPDX-License-Identifier: GPL-2.0
# Memory of a script's per-connection state, on the user-space runtime
# (scripts/README.md quotes its figures; tests/scripts/library.host.bats
# checks the 32 KiB bound).

$(B)/bench/script_mem: $(B)/runtime/obj/bench/script_mem.o $(RT_LIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^

USER_TARGETS += $(B)/bench/script_mem
