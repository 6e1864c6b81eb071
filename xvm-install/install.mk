# xvm-install/: xvm-install, virt-install with the Solaris xVM options on
# libvirt's C API (libxml2 reads back the live domain XML). The domain XML
# builder (install_xml.c) and the option parsing (install_opts.c) go into
# build/xvm-install/libxvminstall.a for the unit tests; main.c holds the libvirt
# calls.
XVM_PKGS    += libvirt libxml-2.0
VIRT_CFLAGS := $(call pkg_isystem,libvirt libxml-2.0)
VIRT_LIBS   := $(call pkg_libs,libvirt libxml-2.0)

INSTALL_SRCS := $(sort $(filter-out xvm-install/main.c,$(wildcard xvm-install/*.c)))
INSTALL_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(INSTALL_SRCS))
INSTALL_LIB  := $(BUILD)/xvm-install/libxvminstall.a

$(BUILD)/obj/xvm-install/main.o: XVM_CFLAGS += $(VIRT_CFLAGS)

$(INSTALL_LIB): $(INSTALL_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $(INSTALL_OBJS)

$(BIN)/xvm-install: $(BUILD)/obj/xvm-install/main.o $(INSTALL_LIB) $(XVM_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(VIRT_LIBS) $(XVM_LDLIBS) $(LDLIBS)

UNIT_LIBS += $(INSTALL_LIB)

all: $(BIN)/xvm-install
