# SPDX-License-Identifier: GPL-2.0
# Scripts that compose: http_guard_cache.lua is http_guard.lua then
# http_cache.lua in one chunk (each in its own block, so their chunk-level
# locals stay apart); http_cache.lua finds guard()/guard_send() and runs
# them first.  Policy: entry = "cache_recv"; send_entry = "cache_send".

$(B)/scripts/http_guard_cache.lua: scripts/http_guard.lua scripts/http_cache.lua
	@mkdir -p $(@D)
	@$(if $(Q),echo "  GEN     $@")
	$(Q){ echo '-- Generated from scripts/http_guard.lua and scripts/http_cache.lua (make).'; \
	  echo 'do'; cat scripts/http_guard.lua; echo 'end'; \
	  echo 'do'; cat scripts/http_cache.lua; echo 'end'; } >$@

USER_TARGETS += $(B)/scripts/http_guard_cache.lua
