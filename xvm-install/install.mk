# xvm-install/: xvm-install, virt-install with the Solaris xVM options on
# libvirt's C API (libxml2 reads back the live domain XML). The domain XML
# builder (install_xml.c) and the option parsing (install_opts.c) go into
# build/xvm-install/libxvminstall.a for the unit tests; main.c holds the libvirt
# calls.
VIRT_CFLAGS := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags libvirt libxml-2.0 2>/dev/null))
VIRT_LIBS   := $(shell pkg-config --libs libvirt libxml-2.0 2>/dev/null)

INSTALL_SRCS := $(sort $(filter-out xvm-install/main.c,$(wildcard xvm-install/*.c)))
INSTALL_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(INSTALL_SRCS))
INSTALL_LIB  := $(BUILD)/xvm-install/libxvminstall.a

$(BUILD)/obj/xvm-install/main.o: CFLAGS += $(VIRT_CFLAGS)

$(INSTALL_LIB): $(INSTALL_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $(INSTALL_OBJS)

ifneq ($(wildcard xvm-install/main.c),)
$(BIN)/xvm-install: $(BUILD)/obj/xvm-install/main.o $(INSTALL_LIB) $(XVM_LIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(VIRT_LIBS) $(LDLIBS)
all: $(BIN)/xvm-install
endif

ifneq ($(INSTALL_SRCS),)
UNIT_LIBS += $(INSTALL_LIB)
endif

# xvmd/sched.c alone as an archive, for tests/tools/sched-try (the
# tools rule links libhv and libxvm only) and for tests/unit/test_sched.c
# until libxvmd.a is in UNIT_LIBS (an archive: never a duplicate symbol
# when it is). libxvm again after it for log_*.
SCHED_LIB := $(BUILD)/xvmd/libxvmsched.a
$(SCHED_LIB): $(BUILD)/obj/xvmd/sched.o
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/tests/tools/sched-try: $(SCHED_LIB)
$(BUILD)/tests/tools/sched-try: LDLIBS += $(XVM_LIB)
$(BUILD)/tests/xvm-unit: $(SCHED_LIB)
$(BUILD)/tests/xvm-unit: LDLIBS += $(SCHED_LIB) $(XVM_LIB)
