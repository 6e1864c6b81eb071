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
PKGS     := jansson
WARN     := -Wall -Wextra -Werror
CFLAGS   := -O2 -g $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude \
            $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread

# Debian packages needed to build, test and benchmark (see README).
DEB_PKGS := build-essential pkg-config libjansson-dev libcunit1-dev \
            qemu-system-x86 acpica-tools binutils iproute2 procps \
            libdpdk-dev libnl-3-dev libnl-route-3-dev libpcap-dev \
            iperf3 tcpdump tshark libvirt-dev libvirt-clients python3-libvirt \
            libxml2-dev iputils-ping

# DPDK (vswitchd, netback, bench tools): its headers through -isystem so our
# -Werror does not apply to them; objects opt in with DPDK_CFLAGS.
DPDK_CFLAGS := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags libdpdk 2>/dev/null))
DPDK_LIBS   := $(shell pkg-config --libs libdpdk 2>/dev/null)
NL_CFLAGS   := $(shell pkg-config --cflags libnl-route-3.0 2>/dev/null)
NL_LIBS     := $(shell pkg-config --libs libnl-route-3.0 2>/dev/null)

.PHONY: all deps check demo clean
all:

include lib/lib.mk
include hv/hv.mk
include guestdrv/guest.mk
include vswitch/vswitch.mk
include vnicadm/vnicadm.mk
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
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
