# Unit tests: every tests/unit/test_*.c is a suite; the suite table is
# generated from the file names. UNIT_HELPERS are the suites' shared
# helpers (not suites), linked in with them. Links against libxvm and libhv.
UNIT_SRCS    := $(sort $(wildcard tests/unit/test_*.c))
UNIT_HELPERS := tests/unit/main.c tests/unit/fake_rpc.c tests/unit/capture.c
UNIT_NAMES   := $(patsubst tests/unit/test_%.c,%,$(UNIT_SRCS))
UNIT_OBJS    := $(patsubst %.c,$(BUILD)/obj/%.o,$(UNIT_SRCS) $(UNIT_HELPERS)) \
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
	$(CC) $(XVM_CPPFLAGS) $(CPPFLAGS) $(XVM_CFLAGS) $(CFLAGS) -Itests/unit -c -o $@ $<

# Component fragments append their testable (DPDK-free) libraries to
# UNIT_LIBS, e.g. UNIT_LIBS += $(VSW_LIB).
UNIT_LIBS += $(HV_LIB) $(XVM_LIB)

$(UNIT_BIN): $(UNIT_OBJS) $(UNIT_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(UNIT_OBJS) $(UNIT_LIBS) -lcunit $(XVM_LDLIBS) $(LDLIBS)

all: $(UNIT_BIN)

# Tests and tools include the components' private headers by their path
# from the top ("hv/core.h", "xvmd/xdr.h").
$(BUILD)/obj/tests/%.o: XVM_CFLAGS += -I.
