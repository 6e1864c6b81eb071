# hv/: the monitor. Everything but main.c goes into build/hv/libhv.a so
# unit tests can link device models and the core.
HV_SRCS  := $(sort $(filter-out hv/main.c,$(wildcard hv/*.c)))
HV_OBJS  := $(patsubst %.c,$(BUILD)/obj/%.o,$(HV_SRCS))
HV_LIB   := $(BUILD)/hv/libhv.a

# The raw disk backend's io_uring (blk_raw.c): everything linking libhv.a
# (hv, the unit tests, test tools) needs liburing.
XVM_PKGS += liburing
PKG_DEB_liburing := liburing-dev
XVM_LDLIBS += $(call pkg_libs,liburing)

# The state stream's CRC-32 (snapshot.c): zlib's, for the same reason.
XVM_PKGS += zlib
XVM_LDLIBS += $(call pkg_libs,zlib)

# hv's seccomp filter (confine.c): libseccomp, for the same reason.
XVM_PKGS += libseccomp
PKG_DEB_libseccomp := libseccomp-dev
XVM_LDLIBS += $(call pkg_libs,libseccomp)

$(HV_LIB): $(HV_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $(HV_OBJS)

$(BIN)/hv: $(BUILD)/obj/hv/main.o $(HV_LIB) $(XVM_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(XVM_LDLIBS) $(LDLIBS)
all: $(BIN)/hv $(HV_LIB)
