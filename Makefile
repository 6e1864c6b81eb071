# xvm top-level Makefile: one non-recursive build, each component adds its
# rules through a fragment (lib/lib.mk, hv/hv.mk, guestdrv/guest.mk, ...).
#
#   make          build everything into build/
#   make deps     install the Debian packages the project needs (root)
#   make check    deps + build + unit and integration tests
#   make demo     boot the PV guest under hv; two guests ping through vswitchd

BUILD    := build
BIN      := $(BUILD)/bin
CC       ?= cc

# CFLAGS, CPPFLAGS, LDFLAGS and LDLIBS are the user's: `make CFLAGS=-O0`
# changes optimisation and debugging only. The flags the code needs are in
# XVM_CPPFLAGS, XVM_CFLAGS and XVM_LDLIBS, always applied; fragments add to
# those (per target: `$(BUILD)/obj/dir/%.o: XVM_CFLAGS += ...`).
CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Wmissing-prototypes -Wformat=2 -Werror

# pkg-config names of the libraries we build against, with the Debian
# package providing each (DEB_PKGS below installs them all); fragments add
# theirs to XVM_PKGS. A missing one stops the build with its name (see the
# end of this file). Fragments read flags with $(call pkg_cflags,NAMES).
XVM_PKGS := jansson libdpdk libnl-route-3.0 cunit
PKG_DEB_jansson         := libjansson-dev
PKG_DEB_libdpdk         := libdpdk-dev
PKG_DEB_libnl-route-3.0 := libnl-route-3-dev
PKG_DEB_cunit           := libcunit1-dev
PKG_DEB_libvirt         := libvirt-dev
PKG_DEB_libxml-2.0      := libxml2-dev
PKG_DEB_zlib            := zlib1g-dev
pkg_cflags = $(shell pkg-config --cflags $(1) 2>/dev/null)
pkg_libs   = $(shell pkg-config --libs $(1) 2>/dev/null)
# Third-party headers through -isystem, so our -Werror does not apply to
# them.
pkg_isystem = $(patsubst -I%,-isystem %,$(call pkg_cflags,$(1)))

XVM_CPPFLAGS := -D_GNU_SOURCE -Iinclude $(call pkg_cflags,jansson)
XVM_CFLAGS   := $(WARN) -std=gnu11
XVM_LDLIBS   := $(call pkg_libs,jansson) -lpthread

# Debian packages needed to build, test and benchmark (see README).
DEB_PKGS := build-essential pkg-config libjansson-dev libcunit1-dev \
            qemu-system-x86 acpica-tools binutils iproute2 procps \
            libdpdk-dev libnl-3-dev libnl-route-3-dev libpcap-dev \
            iperf3 tcpdump tshark libvirt-dev libvirt-clients python3-libvirt \
            libxml2-dev zlib1g-dev iputils-ping gnuplot-nox qemu-utils liburing-dev libseccomp-dev \
            qemu-system-common

# DPDK (vswitchd, netback, bench tools): objects opt in with DPDK_CFLAGS.
DPDK_CFLAGS := $(call pkg_isystem,libdpdk)
DPDK_LIBS   := $(call pkg_libs,libdpdk)
NL_CFLAGS   := $(call pkg_cflags,libnl-route-3.0)
NL_LIBS     := $(call pkg_libs,libnl-route-3.0)

.PHONY: all deps check demo clean
all:

include lib/lib.mk
include hv/hv.mk
include guestdrv/guest.mk
include vswitch/vswitch.mk
include vnicadm/vnicadm.mk
include flows/flows.mk
include flowadm/flowadm.mk
include vdiskadm/vdiskadm.mk
include hvctl/hvctl.mk
include bench/bench.mk
include xvmd/xvmd.mk
include xvm-install/install.mk
include tests/tools/tools.mk
include tests/unit/unit.mk

deps:
	@./tests/deps.sh $(DEB_PKGS)

check: deps
	$(MAKE) all
	./tests/run

# Both re-run make after deps so pkg-config flags of freshly installed
# packages are read.
demo: deps
	$(MAKE) all
	./tests/demo.sh

clean:
	rm -rf $(BUILD)

# Host objects: build/obj/<path>.o from <path>.c, with header dependencies.
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(XVM_CPPFLAGS) $(CPPFLAGS) $(XVM_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# A library pkg-config does not know stops every build goal with its name
# (rather than as a missing header later); deps, clean, check and demo
# (which run deps, then make again) work without them.
PKG_MISSING := $(foreach p,$(sort $(XVM_PKGS)),\
                 $(if $(shell pkg-config --exists $(p) 2>/dev/null && echo y),,$(p)))
NO_PKG_GOALS := deps clean check demo
ifneq ($(filter-out $(NO_PKG_GOALS),$(or $(MAKECMDGOALS),all)),)
ifeq ($(shell command -v pkg-config),)
$(error pkg-config is not installed; install pkg-config (make deps installs \
  everything the build needs))
endif
ifneq ($(strip $(PKG_MISSING)),)
$(error pkg-config cannot find: $(strip $(PKG_MISSING)); install \
  $(strip $(foreach p,$(PKG_MISSING),$(or $(PKG_DEB_$(p)),$(p)))) \
  (make deps installs them all))
endif
endif
