# vswitch/ and netback/: vswitchd, the DPDK virtual switch.
#  - build/vswitch/libvsw.a: the DPDK-free data-path logic (L2 table, VLAN
#    tags, token buckets, protection, the PMD placement rule), linked into
#    the unit tests too;
#  - build/vswitch/libvsw-dp.a: forwarding over mbufs (switch.c), for the
#    unit tests (vswitchd links switch.o itself);
#  - build/bin/vswitchd: the daemon (DPDK, libnl-route).
VSW_LIB_SRCS := vswitch/l2.c vswitch/vlan.c vswitch/shaper.c vswitch/protect.c \
                vswitch/csum.c vswitch/spin.c vswitch/balance.c
VSW_LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(VSW_LIB_SRCS))
VSW_LIB      := $(BUILD)/vswitch/libvsw.a

VSWD_SRCS := $(filter-out $(VSW_LIB_SRCS),$(sort $(wildcard vswitch/*.c))) \
             $(sort $(wildcard netback/*.c))
VSWD_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(VSWD_SRCS))
VSWD_BIN  := $(BIN)/vswitchd

$(VSW_LIB): $(VSW_LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $(VSW_LIB_OBJS)

$(VSWD_OBJS): XVM_CFLAGS += $(DPDK_CFLAGS) $(NL_CFLAGS) -Ivswitch -Inetback
# capture filters: rte_bpf_convert() is still experimental in DPDK 22.11
$(BUILD)/obj/vswitch/capture_filter.o: XVM_CPPFLAGS += -DALLOW_EXPERIMENTAL_API

# The forwarding core over DPDK mbufs (switch.c), linked into the unit
# tests too: tests/unit/test_switch.c drives it through dummy ports under
# an EAL without hugepages, PCI or shared files.
VSW_DP_LIB := $(BUILD)/vswitch/libvsw-dp.a

$(VSW_DP_LIB): $(BUILD)/obj/vswitch/switch.o
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/obj/tests/unit/test_switch.o: XVM_CFLAGS += $(DPDK_CFLAGS) -Ivswitch -Inetback
$(BUILD)/tests/xvm-unit: XVM_LDLIBS += $(DPDK_LIBS)

$(VSWD_BIN): $(VSWD_OBJS) $(VSW_LIB) $(XVM_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(VSWD_OBJS) $(VSW_LIB) $(XVM_LIB) $(DPDK_LIBS) $(NL_LIBS) \
		$(XVM_LDLIBS) $(LDLIBS)

UNIT_LIBS += $(VSW_DP_LIB) $(VSW_LIB)

# Captures' data-path half (vswitch/capture_ring.c, capture_filter.c): in
# the same library, since switch.c calls it; tests/unit/test_capture.c.
$(VSW_DP_LIB): $(BUILD)/obj/vswitch/capture_ring.o $(BUILD)/obj/vswitch/capture_filter.o
$(BUILD)/obj/tests/unit/test_capture.o: XVM_CFLAGS += $(DPDK_CFLAGS) -Ivswitch -Inetback

all: $(VSW_LIB) $(VSWD_BIN)
