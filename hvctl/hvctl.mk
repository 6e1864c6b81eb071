# hvctl/: build/bin/hvctl, the administrator's client of hv's control
# socket. Everything but main.c is also a library, linked into the unit
# tests (argument handling, output, calls to a stand-in hv).
HVCTL_SRCS := $(filter-out hvctl/main.c,$(sort $(wildcard hvctl/*.c)))
HVCTL_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(HVCTL_SRCS))
HVCTL_LIB  := $(BUILD)/lib/libhvctl.a

$(HVCTL_LIB): $(HVCTL_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $(HVCTL_OBJS)

$(BIN)/hvctl: $(BUILD)/obj/hvctl/main.o $(HVCTL_LIB) $(XVM_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(XVM_LDLIBS) $(LDLIBS)

UNIT_LIBS += $(HVCTL_LIB)

all: $(BIN)/hvctl
