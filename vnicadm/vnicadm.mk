# vnicadm: build/bin/vnicadm. Everything but main.c is also a library,
# linked into the unit tests (golden output, argument checking).
VNICADM_SRCS := $(filter-out vnicadm/main.c,$(sort $(wildcard vnicadm/*.c)))
VNICADM_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(VNICADM_SRCS))
VNICADM_LIB  := $(BUILD)/lib/libvnicadm.a

$(VNICADM_LIB): $(VNICADM_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $(VNICADM_OBJS)

$(BIN)/vnicadm: $(BUILD)/obj/vnicadm/main.o $(VNICADM_LIB) $(XVM_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(XVM_LDLIBS) $(LDLIBS)

UNIT_LIBS += $(VNICADM_LIB)

all: $(BIN)/vnicadm
