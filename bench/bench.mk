# bench/: benchmark tools on DPDK (xvm-vuser, xvm-vhost-fwd) and the
# bench/vswitch script that drives them (docs/bench.md). bench/boot has
# its own rules.
BENCH_OBJS_COMMON := $(BUILD)/obj/bench/bench.o
BENCH_TOOLS := $(BIN)/xvm-vuser $(BIN)/xvm-vhost-fwd

$(BUILD)/obj/bench/%.o: XVM_CFLAGS += $(DPDK_CFLAGS) -Inetback

$(BIN)/xvm-vuser: $(BUILD)/obj/bench/vuser.o $(BENCH_OBJS_COMMON) $(XVM_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(DPDK_LIBS) $(XVM_LDLIBS) $(LDLIBS)

$(BIN)/xvm-vhost-fwd: $(BUILD)/obj/bench/vhost-fwd.o $(BENCH_OBJS_COMMON) $(XVM_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(DPDK_LIBS) $(XVM_LDLIBS) $(LDLIBS)

all: $(BENCH_TOOLS)
