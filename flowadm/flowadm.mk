# flowadm: build/bin/flowadm. Everything but main.c is also a library,
# linked into the unit tests (golden output, argument checking); it
# checks attributes with flows/'s libflow.a.
FLOWADM_SRCS := $(filter-out flowadm/main.c,$(sort $(wildcard flowadm/*.c)))
FLOWADM_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(FLOWADM_SRCS))
FLOWADM_LIB  := $(BUILD)/lib/libflowadm.a

$(FLOWADM_OBJS) $(BUILD)/obj/flowadm/main.o: XVM_CFLAGS += -I.

$(FLOWADM_LIB): $(FLOWADM_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $(FLOWADM_OBJS)

$(BIN)/flowadm: $(BUILD)/obj/flowadm/main.o $(FLOWADM_LIB) $(FLOW_LIB) $(XVM_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(XVM_LDLIBS) $(LDLIBS)

UNIT_LIBS += $(FLOWADM_LIB) $(FLOW_LIB)

all: $(BIN)/flowadm
