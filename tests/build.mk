# SPDX-License-Identifier: GPL-2.0
# Test helpers (C programs the bats suites run, on the host or in the guest).

TEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Ikernel/include/uapi -MMD -MP

$(B)/tests/%: tests/kernel/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@";)
	$(Q)$(CC) $(TEST_CFLAGS) -o $@ $< -lpthread

HOST_TEST_TARGETS += $(B)/tests/ulpctl $(B)/tests/luapair $(B)/tests/optctl \
	$(B)/tests/loadctl $(B)/tests/contract
-include $(B)/tests/*.d

# sandboxctl also dumps the socket list through the shim's netlink client.
$(B)/tests/sandboxctl: tests/kernel/sandboxctl.c $(B)/preload/genl.o $(B)/preload/registry.o
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@";)
	$(Q)$(CC) $(TEST_CFLAGS) -Ipreload -Ikernel/include -o $@ $^

# sharedctl registers scripts through it.
$(B)/tests/sharedctl: tests/kernel/sharedctl.c $(B)/preload/genl.o $(B)/preload/registry.o
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@";)
	$(Q)$(CC) $(TEST_CFLAGS) -Ipreload -Ikernel/include -o $@ $^

HOST_TEST_TARGETS += $(B)/tests/sandboxctl $(B)/tests/sharedctl
