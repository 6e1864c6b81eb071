# Fuzzing (docs/testing.md "Fuzzing"): every tests/fuzz/fuzz_NAME.c is a
# libFuzzer harness, linked into build/fuzz/fuzz-NAME with clang
# (-fsanitize=fuzzer,address,undefined) against the DPDK-free libraries
# compiled again, instrumented, under build/fuzz/tree/. Its seed corpus is
# tests/fuzz/corpus/NAME/.
#
#   make fuzz-build           build every harness (needs clang)
#   make fuzz                 build, then run each for FUZZ_SECONDS (60)
#   make fuzz FUZZ=xdr        only that one (or several: FUZZ="xdr rpc")
#   make asan-unit            the unit tests with ASan+UBSan, into
#                             build/asan/tests/xvm-unit (tests/run runs it)
#
# The normal build is untouched: these are separate trees, made by a
# recursive make with BUILD pointing there.
FUZZ_SRCS  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRCS))
FUZZ_DIR   := build/fuzz
FUZZ_CC    ?= clang
FUZZ_SECONDS ?= 60
FUZZ       ?= $(FUZZ_NAMES)
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
              -fno-omit-frame-pointer
# clang warns where gcc does not (designated initialisers leaving fields
# out, a GNU variable-sized struct inside another, vprintf wrappers): the
# code is checked by gcc's -Werror build; these stay quiet here.
FUZZ_WARN  := -Wno-missing-field-initializers \
              -Wno-gnu-variable-sized-type-not-at-end -Wno-format-nonliteral
ASAN_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
              -fno-omit-frame-pointer

# Inside the instrumented tree (XVM_FUZZ_TREE=1, BUILD=build/fuzz/tree).
ifeq ($(XVM_FUZZ_TREE),1)
FUZZ_LIBS := $(XVMD_LIB) $(VNICADM_LIB) $(VDISKADM_LIB) $(HV_LIB) $(XVM_LIB)
$(BUILD)/obj/tests/fuzz/%.o: XVM_CFLAGS += -I. -Itests/fuzz $(XML_CFLAGS)
$(FUZZ_DIR)/fuzz-%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $< $(FUZZ_LIBS) \
		$(XML_LIBS) $(PCAP_LIBS) $(XVM_LDLIBS) $(LDLIBS)
fuzz-bins: $(patsubst %,$(FUZZ_DIR)/fuzz-%,$(FUZZ_NAMES))
endif

.PHONY: fuzz fuzz-build fuzz-bins asan-unit
fuzz-build:
	@command -v $(FUZZ_CC) >/dev/null || { echo "fuzz: $(FUZZ_CC) is not" \
		"installed (make deps installs clang)"; exit 1; }
	$(MAKE) BUILD=$(FUZZ_DIR)/tree XVM_FUZZ_TREE=1 CC=$(FUZZ_CC) \
		CFLAGS="-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN) $(FUZZ_WARN)" fuzz-bins

fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run $(FUZZ)

asan-unit:
	$(MAKE) BUILD=$(BUILD)/asan CFLAGS="-O1 -g $(ASAN_SAN)" \
		LDFLAGS="$(ASAN_SAN)" $(BUILD)/asan/tests/xvm-unit
