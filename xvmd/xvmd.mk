# xvmd/: the toolstack daemon speaking libvirt's remote protocol.
# Everything but main.c goes into build/xvmd/libxvmd.a so unit tests can link
# the codec, the domain XML and the store.
XVM_PKGS   += libxml-2.0 zlib gnutls
XML_CFLAGS := $(call pkg_isystem,libxml-2.0) $(call pkg_isystem,gnutls)
XML_LIBS   := $(call pkg_libs,libxml-2.0) $(call pkg_libs,zlib) \
              $(call pkg_libs,gnutls)

XVMD_SRCS := $(sort $(filter-out xvmd/main.c,$(wildcard xvmd/*.c)))
XVMD_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(XVMD_SRCS))
XVMD_LIB  := $(BUILD)/xvmd/libxvmd.a

$(BUILD)/obj/xvmd/%.o: XVM_CFLAGS += $(XML_CFLAGS)
$(BUILD)/obj/tests/unit/test_domxml.o: XVM_CFLAGS += $(XML_CFLAGS)
$(BUILD)/obj/tests/unit/test_xvmd_pool.o: XVM_CFLAGS += $(XML_CFLAGS)

$(XVMD_LIB): $(XVMD_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $(XVMD_OBJS)

$(BIN)/xvmd: $(BUILD)/obj/xvmd/main.o $(XVMD_LIB) $(VDISKADM_LIB) $(XVM_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(XML_LIBS) $(XVM_LDLIBS) $(LDLIBS)

# dom_disk.c reads vdisk.xml with vdiskadm's codec: libvdiskadm after it
UNIT_LIBS += $(XVMD_LIB) $(VDISKADM_LIB)
$(BUILD)/tests/xvm-unit: XVM_LDLIBS += $(XML_LIBS)

all: $(BIN)/xvmd
