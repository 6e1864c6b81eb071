# flows/: the flow classifier and policies (Crossbow flows, flowadm).
#  - build/flows/libflow.a: attributes, properties and the classifier,
#    DPDK-free, for vswitchd, flowadm and the unit tests;
#  - flow_dp.c (data path) and flowctl.c (control methods) are part of
#    vswitchd; flow_dp.o also goes into libvsw-dp.a with switch.o, which
#    calls it.
FLOW_LIB_SRCS := flows/flowattr.c
FLOW_LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(FLOW_LIB_SRCS))
FLOW_LIB      := $(BUILD)/flows/libflow.a
FLOWD_SRCS    := flows/flow_dp.c flows/flowctl.c
FLOWD_OBJS    := $(patsubst %.c,$(BUILD)/obj/%.o,$(FLOWD_SRCS))

$(FLOW_LIB): $(FLOW_LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $(FLOW_LIB_OBJS)

# vswitch/ includes flow_dp.h and flowctl.h; flows/ includes vswitch/.
$(VSWD_OBJS): XVM_CFLAGS += -Iflows
$(FLOWD_OBJS): XVM_CFLAGS += $(DPDK_CFLAGS) $(NL_CFLAGS) -Ivswitch -Inetback -Iflows
$(BUILD)/obj/tests/unit/test_switch.o: XVM_CFLAGS += -Iflows

VSWD_OBJS += $(FLOWD_OBJS) $(FLOW_LIB_OBJS)
$(VSWD_BIN): $(FLOWD_OBJS) $(FLOW_LIB_OBJS)
$(VSW_DP_LIB): $(BUILD)/obj/flows/flow_dp.o

# the unit tests link it after libflowadm.a (flowadm/flowadm.mk)

all: $(FLOW_LIB)
