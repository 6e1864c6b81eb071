# vnicadm: build/bin/vnicadm. Everything but main.c is also a library,
# linked into the unit tests (golden output, argument checking).
VNICADM_SRCS := $(filter-out vnicadm/main.c,$(sort $(wildcard vnicadm/*.c)))
VNICADM_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(VNICADM_SRCS))
VNICADM_LIB  := $(BUILD)/lib/libvnicadm.a
# snoop compiles its filter expressions with libpcap
XVM_PKGS        += libpcap
PKG_DEB_libpcap := libpcap-dev
PCAP_LIBS       := $(call pkg_libs,libpcap)

$(VNICADM_LIB): $(VNICADM_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $(VNICADM_OBJS)

$(BIN)/vnicadm: $(BUILD)/obj/vnicadm/main.o $(VNICADM_LIB) $(XVM_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PCAP_LIBS) $(XVM_LDLIBS) $(LDLIBS)

UNIT_LIBS += $(VNICADM_LIB)
$(BUILD)/tests/xvm-unit: XVM_LDLIBS += $(PCAP_LIBS)

all: $(BIN)/vnicadm
