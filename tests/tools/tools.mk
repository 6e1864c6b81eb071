# tests/tools/: small programs the integration tests use. Each tool is one
# .c file; it may use libxvm and libhv. nettopo also links libnl-route,
# sched-try libxvmd (xvmd/sched.c).
TOOLS_SRCS := $(sort $(wildcard tests/tools/*.c))
TOOLS_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tests/tools/%,$(TOOLS_SRCS))

$(BUILD)/obj/tests/tools/nettopo.o: XVM_CFLAGS += $(patsubst -I%,-isystem %,$(NL_CFLAGS))
$(BUILD)/tests/tools/nettopo: XVM_LDLIBS += $(NL_LIBS)

$(BUILD)/tests/tools/sched-try: TOOL_LIBS := $(XVMD_LIB)
$(BUILD)/tests/tools/sched-try: $(XVMD_LIB)

# A tool's own libraries (TOOL_LIBS) come before libhv and libxvm, which
# they use.
$(BUILD)/tests/tools/%: $(BUILD)/obj/tests/tools/%.o $(HV_LIB) $(XVM_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(TOOL_LIBS) $(HV_LIB) $(XVM_LIB) $(XVM_LDLIBS) \
		$(LDLIBS)

all: $(TOOLS_BINS)
