# vdiskadm: build/bin/vdiskadm. Everything but main.c is also a library,
# linked into the unit tests (vdisk.xml codec, argument checking, golden
# output). vdisk.xml is read with libxml2; images are qemu-img's work
# (qemu-utils, a run-time dependency).
VDISKADM_SRCS := $(filter-out vdiskadm/main.c,$(sort $(wildcard vdiskadm/*.c)))
VDISKADM_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(VDISKADM_SRCS))
VDISKADM_LIB  := $(BUILD)/lib/libvdiskadm.a
XVM_PKGS      += libxml-2.0
VDISKADM_XML_CFLAGS := $(call pkg_isystem,libxml-2.0)
VDISKADM_XML_LIBS   := $(call pkg_libs,libxml-2.0)

$(VDISKADM_OBJS) $(BUILD)/obj/vdiskadm/main.o: XVM_CFLAGS += $(VDISKADM_XML_CFLAGS)

$(VDISKADM_LIB): $(VDISKADM_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $(VDISKADM_OBJS)

$(BIN)/vdiskadm: $(BUILD)/obj/vdiskadm/main.o $(VDISKADM_LIB) $(XVM_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(VDISKADM_XML_LIBS) $(XVM_LDLIBS) $(LDLIBS)

UNIT_LIBS += $(VDISKADM_LIB)
$(BUILD)/tests/xvm-unit: XVM_LDLIBS += $(VDISKADM_XML_LIBS)

all: $(BIN)/vdiskadm
