# guestdrv/: the PV guest kernel, build/guest/minios.elf (freestanding).
# Built with the host gcc and its own flags (no libc, no host headers beyond
# the compiler's freestanding ones), linked at 1 MiB by guestdrv/minios.ld.
GUEST_CC      ?= gcc
GUEST_ELF     := $(BUILD)/guest/minios.elf
GUEST_SRCS    := $(sort $(wildcard guestdrv/*.c)) $(sort $(wildcard guestdrv/*.S))
GUEST_OBJS    := $(patsubst guestdrv/%,$(BUILD)/guest/obj/%.o,$(GUEST_SRCS))
GUEST_CFLAGS  := -O2 -g -Wall -Wextra -Werror -std=gnu11 -ffreestanding \
                 -fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only \
                 -mno-sse -mno-mmx -fno-stack-protector -fno-builtin \
                 -fno-asynchronous-unwind-tables -fcf-protection=none \
                 -mcmodel=small -Iguestdrv -Iinclude
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,-T,guestdrv/minios.ld \
                 -Wl,--build-id=none -Wl,-z,max-page-size=4096 \
                 -Wl,-z,noexecstack

$(BUILD)/guest/obj/%.c.o: guestdrv/%.c
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/guest/obj/%.S.o: guestdrv/%.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -D__ASSEMBLY__ -MMD -MP -c -o $@ $<

$(GUEST_ELF): $(GUEST_OBJS) guestdrv/minios.ld
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ $(GUEST_OBJS)

all: $(GUEST_ELF)

-include $(wildcard $(BUILD)/guest/obj/*.d)

# `make guest-test`: the guest's pure logic (ACPI parsing, command line,
# printf, virtqueues, the network stack, the virtio-net data path) run on
# the host, linked from the guest's own objects.
GUEST_TEST     := $(BUILD)/guest/host-test
GUEST_TEST_OBJS := $(addprefix $(BUILD)/guest/obj/,acpi.c.o cmdline.c.o \
                   printf.c.o string.c.o virtqueue.c.o dma.c.o pvh.c.o \
                   netif.c.o arp.c.o ip.c.o icmp.c.o udp.c.o seqtrack.c.o \
                   virtio_net.c.o tests/net_test.o tests/vnet_test.o)

$(BUILD)/guest/obj/tests/%.o: guestdrv/tests/%.c
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -MMD -MP -c -o $@ $<

$(GUEST_TEST): $(BUILD)/guest/obj/tests/host_test.o $(GUEST_TEST_OBJS)
	$(GUEST_CC) -no-pie -o $@ $^

.PHONY: guest-test
guest-test: $(GUEST_TEST)
	$(GUEST_TEST)

-include $(wildcard $(BUILD)/guest/obj/tests/*.d)

all: $(GUEST_TEST)
