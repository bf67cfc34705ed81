# SPDX-License-Identifier: GPL-2.0
# The kernel-side benchmark (run in the guest: see bench/README.md).

$(B)/bench/ulpbench: bench/ulpbench.c kernel/include/uapi/luaulp.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@";)
	$(Q)$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -Ikernel/include/uapi -o $@ $<

USER_TARGETS += $(B)/bench/ulpbench
