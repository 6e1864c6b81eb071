# vswitch/ and netback/: vswitchd, the DPDK virtual switch.
#  - build/vswitch/libvsw.a: the DPDK-free data-path logic (L2 table, VLAN
#    tags, token buckets, protection), linked into the unit tests too;
#  - build/bin/vswitchd: the daemon (DPDK, libnl-route).
VSW_LIB_SRCS := vswitch/l2.c vswitch/vlan.c vswitch/shaper.c vswitch/protect.c \
                vswitch/csum.c
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

$(VSWD_BIN): $(VSWD_OBJS) $(VSW_LIB) $(XVM_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(VSWD_OBJS) $(VSW_LIB) $(XVM_LIB) $(DPDK_LIBS) $(NL_LIBS) \
		$(XVM_LDLIBS) $(LDLIBS)

UNIT_LIBS += $(VSW_LIB)

all: $(VSW_LIB) $(VSWD_BIN)
