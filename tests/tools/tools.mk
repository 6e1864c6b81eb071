# tests/tools/: small programs the integration tests use. Each tool is one
# .c file; it may use libxvm and libhv. nettopo also links libnl-route.
TOOLS_SRCS := $(sort $(wildcard tests/tools/*.c))
TOOLS_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tests/tools/%,$(TOOLS_SRCS))

$(BUILD)/obj/tests/tools/nettopo.o: CFLAGS += $(patsubst -I%,-isystem %,$(NL_CFLAGS))
$(BUILD)/tests/tools/nettopo: LDLIBS += $(NL_LIBS)

$(BUILD)/tests/tools/%: $(BUILD)/obj/tests/tools/%.o $(HV_LIB) $(XVM_LIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS)

all: $(TOOLS_BINS)
