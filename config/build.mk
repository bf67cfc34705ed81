# SPDX-License-Identifier: GPL-2.0
#
# make install / make uninstall (DESTDIR, PREFIX honoured):
#   $(PREFIX)/lib/libluaulp.so            the shim          (preload/build.mk)
#   $(PREFIX)/bin/luaulp                  the CLI           (cli/build.mk)
#   /etc/luaulp.conf                      the policy, never overwritten
#   $(PREFIX)/include/linux/luaulp.h      the uapi header
#   $(PREFIX)/share/luaulp/scripts/       the script library
#   /usr/src/luaulp-$(LUAULP_VERSION)/    module sources + dkms.conf; with dkms
#                                         installed (and DESTDIR empty) the
#                                         module is added, built, installed
# uninstall removes all of it except a policy that was edited.

LUAULP_VERSION ?= 0.1
PREFIX ?= /usr/local
DESTDIR ?=
B ?= build

CONFIG_SCRIPTDIR = $(PREFIX)/share/luaulp/scripts
CONFIG_SED = sed 's|"/usr/local/share/luaulp/scripts"|"$(CONFIG_SCRIPTDIR)"|'
CONFIG_DKMS_SRC = $(DESTDIR)/usr/src/luaulp-$(LUAULP_VERSION)
CONFIG_HAVE_DKMS = $(if $(DESTDIR),,$(shell command -v dkms))

.PHONY: install uninstall install-config uninstall-config install-headers \
	uninstall-headers install-scripts uninstall-scripts install-dkms \
	uninstall-dkms

install: install-preload install-cli install-config install-headers \
	install-scripts install-dkms
uninstall: uninstall-preload uninstall-cli uninstall-config uninstall-headers \
	uninstall-scripts uninstall-dkms

install-config:
	install -d $(DESTDIR)/etc
	@if [ -e $(DESTDIR)/etc/luaulp.conf ]; then \
		echo "  KEEP    $(DESTDIR)/etc/luaulp.conf (exists)"; \
	else \
		$(CONFIG_SED) config/luaulp.conf >$(DESTDIR)/etc/luaulp.conf.tmp && \
		chmod 0644 $(DESTDIR)/etc/luaulp.conf.tmp && \
		mv $(DESTDIR)/etc/luaulp.conf.tmp $(DESTDIR)/etc/luaulp.conf && \
		echo "  INSTALL $(DESTDIR)/etc/luaulp.conf"; \
	fi

# The policy is configuration: removed only if it is still ours unchanged.
uninstall-config:
	@if [ -e $(DESTDIR)/etc/luaulp.conf ] && $(CONFIG_SED) config/luaulp.conf | \
	    cmp -s - $(DESTDIR)/etc/luaulp.conf; then \
		rm -f $(DESTDIR)/etc/luaulp.conf; \
		echo "  REMOVE  $(DESTDIR)/etc/luaulp.conf"; \
	elif [ -e $(DESTDIR)/etc/luaulp.conf ]; then \
		echo "  KEEP    $(DESTDIR)/etc/luaulp.conf (edited)"; \
	fi

install-headers:
	install -d $(DESTDIR)$(PREFIX)/include/linux
	install -m 0644 kernel/include/uapi/luaulp.h $(DESTDIR)$(PREFIX)/include/linux/luaulp.h

uninstall-headers:
	rm -f $(DESTDIR)$(PREFIX)/include/linux/luaulp.h

install-scripts:
	install -d $(DESTDIR)$(CONFIG_SCRIPTDIR)
	@for f in $(wildcard scripts/*.lua); do \
		install -m 0644 $$f $(DESTDIR)$(CONFIG_SCRIPTDIR)/ || exit 1; \
	done

uninstall-scripts:
	rm -rf $(DESTDIR)$(PREFIX)/share/luaulp

# The module as DKMS sources: kernel/ dereferenced, the patched Lua sources
# under lua/src/ (the same tree tools/kbuild builds), and dkms.conf.
install-dkms: $(B)/lua/patched/.stamp
	rm -rf $(CONFIG_DKMS_SRC)
	install -d $(CONFIG_DKMS_SRC)/lua/src
	cp -rL kernel/. $(CONFIG_DKMS_SRC)/
	cp -rL $(B)/lua/patched/src/. $(CONFIG_DKMS_SRC)/lua/src/
	sed 's/@VERSION@/$(LUAULP_VERSION)/' config/dkms.conf.in >$(CONFIG_DKMS_SRC)/dkms.conf
	$(if $(CONFIG_HAVE_DKMS),dkms add luaulp/$(LUAULP_VERSION) && \
		dkms build luaulp/$(LUAULP_VERSION) && \
		dkms install luaulp/$(LUAULP_VERSION),\
		@echo "  NOTE    dkms not run: $(if $(DESTDIR),DESTDIR set,not installed); sources in $(CONFIG_DKMS_SRC)")

uninstall-dkms:
	$(if $(CONFIG_HAVE_DKMS),-dkms remove luaulp/$(LUAULP_VERSION) --all)
	rm -rf $(CONFIG_DKMS_SRC)
