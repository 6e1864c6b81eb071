# Unit tests: every tests/unit/test_*.c is a suite; the suite table is
# generated from the file names. Links against libxvm and libhv.
UNIT_SRCS  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_NAMES := $(patsubst tests/unit/test_%.c,%,$(UNIT_SRCS))
UNIT_OBJS  := $(patsubst %.c,$(BUILD)/obj/%.o,$(UNIT_SRCS) tests/unit/main.c) \
              $(BUILD)/obj/tests/unit/suites.o
UNIT_BIN   := $(BUILD)/tests/xvm-unit

$(BUILD)/gen/tests/unit/suites.c: tests/unit/unit.mk $(UNIT_SRCS)
	@mkdir -p $(dir $@)
	@{ echo '#include "unit.h"'; \
	   for n in $(UNIT_NAMES); do echo "extern const struct unit_suite unit_suite_$$n;"; done; \
	   echo 'const struct unit_suite *const unit_suites[] = {'; \
	   for n in $(UNIT_NAMES); do echo "	&unit_suite_$$n,"; done; \
	   echo '	0 };'; } > $@

$(BUILD)/obj/tests/unit/suites.o: $(BUILD)/gen/tests/unit/suites.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -c -o $@ $<

$(UNIT_BIN): $(UNIT_OBJS) $(HV_LIB) $(XVM_LIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $(UNIT_OBJS) $(HV_LIB) $(XVM_LIB) -lcunit $(LDLIBS)

all: $(UNIT_BIN)
