# xvm top-level Makefile: one non-recursive build, each component adds its
# rules through a fragment (lib/lib.mk, hv/hv.mk, guestdrv/guest.mk, ...).
#
#   make          build everything into build/
#   make deps     install the Debian packages the project needs (root)
#   make check    deps + build + unit and integration tests
#   make demo     boot the PV guest under hv; two guests ping through vswitchd
#   make bench-deps  install what the benchmarks need besides DEB_PKGS
#                 (OVS-DPDK, the peer bench/vswitch measures against; gnuplot)
#   make bench    bench-deps + build + every benchmark: a dated report with
#                 CSVs and plots in build/bench/ (bench/report, docs/bench.md)
#   make fuzz     libFuzzer harnesses, FUZZ_SECONDS each (tests/fuzz/fuzz.mk)

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
PKG_DEB_gnutls          := libgnutls28-dev
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
            qemu-system-common virtinst libgnutls28-dev openssl \
            clang libclang-rt-dev

# Debian packages only the benchmarks need (make bench-deps): OVS with
# its DPDK datapath, the switch bench/vswitch measures vswitchd against,
# and gnuplot for the report's plots. Installing them starts no daemon
# (bench/vswitch runs its own ovsdb-server and ovs-vswitchd).
BENCH_DEB_PKGS := openvswitch-switch-dpdk gnuplot-nox

# DPDK (vswitchd, netback, bench tools): objects opt in with DPDK_CFLAGS.
DPDK_CFLAGS := $(call pkg_isystem,libdpdk)
DPDK_LIBS   := $(call pkg_libs,libdpdk)
NL_CFLAGS   := $(call pkg_cflags,libnl-route-3.0)
NL_LIBS     := $(call pkg_libs,libnl-route-3.0)

.PHONY: all deps check demo clean bench-deps bench
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
include tests/fuzz/fuzz.mk

deps:
	@./tests/deps.sh $(DEB_PKGS)

bench-deps: deps
	@./tests/deps.sh $(BENCH_DEB_PKGS)

# check, demo and bench re-run make after deps so pkg-config flags of
# freshly installed packages are read.
check: deps
	$(MAKE) all
	./tests/run

# XVM_BENCH_ARGS_<bench> passes options to one benchmark (bench/report).
bench: bench-deps
	$(MAKE) all
	./bench/report

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
# (rather than as a missing header later); deps, clean, and check, demo,
# bench-deps and bench (which run deps, then make again) work without them.
PKG_MISSING := $(foreach p,$(sort $(XVM_PKGS)),\
                 $(if $(shell pkg-config --exists $(p) 2>/dev/null && echo y),,$(p)))
NO_PKG_GOALS := deps clean check demo bench-deps bench
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
