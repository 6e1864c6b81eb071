# lib/: code shared by every component, as build/lib/libxvm.a.
LIB_SRCS := $(sort $(wildcard lib/*.c))
LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
XVM_LIB  := $(BUILD)/lib/libxvm.a

$(XVM_LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $(LIB_OBJS)

all: $(XVM_LIB)
$(BUILD)/obj/lib/xmlread.o: XVM_CFLAGS += $(call pkg_isystem,libxml-2.0)
