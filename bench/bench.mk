# bench/: benchmark tools on DPDK (xvm-vuser, xvm-vhost-fwd) and the
# bench/vswitch script that drives them (docs/bench.md). bench/boot has
# its own rules.
BENCH_OBJS_COMMON := $(BUILD)/obj/bench/bench.o
BENCH_TOOLS := $(BIN)/xvm-vuser $(BIN)/xvm-vhost-fwd $(BIN)/xvm-cpu-rtt

$(BUILD)/obj/bench/%.o: XVM_CFLAGS += $(DPDK_CFLAGS) -Inetback

$(BIN)/xvm-vuser: $(BUILD)/obj/bench/vuser.o $(BENCH_OBJS_COMMON) $(XVM_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(DPDK_LIBS) $(XVM_LDLIBS) $(LDLIBS)

$(BIN)/xvm-vhost-fwd: $(BUILD)/obj/bench/vhost-fwd.o $(BENCH_OBJS_COMMON) $(XVM_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(DPDK_LIBS) $(XVM_LDLIBS) $(LDLIBS)

# no DPDK: a cache line's round trip between two CPUs (bench/guest-net)
$(BUILD)/obj/bench/cpu-rtt.o: XVM_CFLAGS := $(filter-out $(DPDK_CFLAGS),$(XVM_CFLAGS))

$(BIN)/xvm-cpu-rtt: $(BUILD)/obj/bench/cpu-rtt.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lpthread

all: $(BENCH_TOOLS)
