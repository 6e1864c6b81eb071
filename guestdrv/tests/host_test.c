/*
 * host_test.c: runs the guest's pure logic on the host (`make guest-test`):
 * ACPI table parsing (synthesized tables, bad checksums, the \_S5 package
 * encodings), command-line options, kprintf formatting and the split
 * virtqueue (chains, used-ring polling, event-index / NO_NOTIFY
 * notification decisions) against a simulated device. Links the guest's
 * own object files; only the console is replaced by a capture buffer.
 */
#include "../minios.h"
#include "../acpi.h"
#include "../cmdline.h"
#include "../virtio.h"

int printf(const char *fmt, ...);
void net_tests(int *checks, int *failures);	/* net_test.c */
void vnet_tests(int *checks, int *failures);	/* vnet_test.c */

static int failures, checks;
static char log_buf[4096];
static size_t log_len;

#define CHECK(cond) do {						\
	checks++;							\
	if (!(cond)) {							\
		failures++;						\
		printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);	\
	}								\
} while (0)

/* The console, captured. */
int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(log_buf + log_len, sizeof(log_buf) - log_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		log_len = MIN(log_len + (size_t)n, sizeof(log_buf) - 1);
	return n;
}

static bool log_has(const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i + n <= log_len; i++)
		if (!memcmp(log_buf + i, s, n))
			return true;
	return false;
}

static void log_clear(void)
{
	log_len = 0;
	log_buf[0] = '\0';
}

/* ---- \_S5 decoding ---- */

static int s5(const char *aml, size_t len)
{
	uint8_t v = 0xee;
	int rc = acpi_s5_decode((const uint8_t *)aml, len, &v);

	return rc < 0 ? rc : v;
}

#define S5(lit)	s5(lit, sizeof(lit) - 1)

static void test_s5(void)
{
	CHECK(S5("\x08_S5_\x12\x06\x04\x0a\x05\x0a\x05\x00\x00") == 5);
	CHECK(S5("\x08\\_S5_\x12\x06\x04\x00\x00\x00\x00") == 0);
	CHECK(S5("\x08_S5_\x12\x06\x04\x01\x01\x00\x00") == 1);
	/* Two-byte PkgLength. */
	CHECK(S5("\x08_S5_\x12\x40\x01\x04\x0a\x07") == 7);
	/* A reference to _S5_ that is not its definition is skipped. */
	CHECK(S5("\x70_S5_\x00\x08_S5_\x12\x06\x04\x0a\x03") == 3);
	/* Truncated packages are errors, not reads past the end. */
	CHECK(S5("\x08_S5_\x12") == -EINVAL);
	CHECK(S5("\x08_S5_\x12\x06\x04\x0a") == -EINVAL);
	CHECK(S5("\x08_S5_\x12\x06\x04\x0b\x05") == -EINVAL);
	CHECK(S5("\x08_S4_\x12\x06\x04\x0a\x05") == -ENODEV);
}

/* ---- whole tables ---- */

static uint8_t t_rsdp[36], t_xsdt[36 + 2 * 8], t_fadt[244], t_dsdt[36 + 12];
static uint8_t t_madt[44 + 3 * 8];

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static void fix_sum(uint8_t *t, size_t len, size_t at)
{
	uint8_t s = 0;

	t[at] = 0;
	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + t[i]);
	t[at] = (uint8_t)-s;
}

static void header(uint8_t *t, const char *sig, uint32_t len)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = 2;
	fix_sum(t, len, 9);
}

static void build_tables(void)
{
	memcpy(t_dsdt + 36, "\x08_S5_\x12\x06\x04\x0a\x05\x0a\x05\x00", 12);
	header(t_dsdt, "DSDT", sizeof(t_dsdt));

	memset(t_fadt, 0, sizeof(t_fadt));
	put32(t_fadt + 48, 0xb2);		/* SMI_CMD */
	t_fadt[52] = 0xf1;			/* ACPI_ENABLE */
	put32(t_fadt + 56, 0x600);		/* PM1a_EVT_BLK */
	put32(t_fadt + 64, 0x604);		/* PM1a_CNT_BLK */
	t_fadt[88] = 4;				/* PM1_EVT_LEN */
	put32(t_fadt + 112, 1u << 10);		/* RESET_REG_SUP */
	t_fadt[116] = 1;			/* RESET_REG: I/O 0xcf9 */
	put64(t_fadt + 120, 0xcf9);
	t_fadt[128] = 6;
	put64(t_fadt + 140, (uintptr_t)t_dsdt);	/* X_DSDT */
	header(t_fadt, "FACP", sizeof(t_fadt));

	memset(t_madt + 36, 0, sizeof(t_madt) - 36);
	put32(t_madt + 36, 0xfee00000);
	for (int i = 0; i < 3; i++) {
		uint8_t *e = t_madt + 44 + 8 * i;

		e[0] = 0;
		e[1] = 8;
		e[2] = (uint8_t)i;
		e[3] = (uint8_t)i;
		put32(e + 4, i == 1 ? 0 : 1);	/* the second is disabled */
	}
	header(t_madt, "APIC", sizeof(t_madt));

	put64(t_xsdt + 36, (uintptr_t)t_fadt);
	put64(t_xsdt + 44, (uintptr_t)t_madt);
	header(t_xsdt, "XSDT", sizeof(t_xsdt));

	memcpy(t_rsdp, "RSD PTR ", 8);
	t_rsdp[15] = 2;
	put32(t_rsdp + 20, 36);
	put64(t_rsdp + 24, (uintptr_t)t_xsdt);
	fix_sum(t_rsdp, 20, 8);
	fix_sum(t_rsdp, 36, 32);
}

static void test_acpi_tables(void)
{
	build_tables();
	boot_info.rsdp = (uintptr_t)t_rsdp;
	memset(&acpi, 0, sizeof(acpi));
	CHECK(acpi_init() == 0);
	CHECK(acpi.found && acpi.have_fadt);
	CHECK(acpi.pm1a_evt == 0x600 && acpi.pm1a_cnt == 0x604);
	CHECK(acpi.pm1_evt_len == 4);
	CHECK(acpi.smi_cmd == 0xb2 && acpi.acpi_enable == 0xf1);
	CHECK(acpi.have_reset && acpi.reset_reg.space == 1 &&
	      acpi.reset_reg.address == 0xcf9 && acpi.reset_value == 6);
	CHECK(acpi.have_s5 && acpi.slp_typa == 5);
	CHECK(acpi.nr_cpus == 2 && acpi.apic_ids[0] == 0 && acpi.apic_ids[1] == 2);
	CHECK(acpi.lapic == 0xfee00000);

	/* A DSDT with a bad checksum is not trusted. */
	t_dsdt[20] ^= 0xff;
	memset(&acpi, 0, sizeof(acpi));
	log_clear();
	CHECK(acpi_init() == 0);
	CHECK(acpi.have_fadt && !acpi.have_s5);
	CHECK(log_has("DSDT") && log_has("bad checksum"));
	t_dsdt[20] ^= 0xff;

	/* A MADT entry running past the table's length ends the walk. */
	t_madt[44 + 16 + 1] = 200;
	fix_sum(t_madt, sizeof(t_madt), 9);
	memset(&acpi, 0, sizeof(acpi));
	CHECK(acpi_init() == 0);
	CHECK(acpi.nr_cpus == 1);
}

/* ---- command line ---- */

static void test_cmdline(void)
{
	log_clear();
	CHECK(!strcmp(cmdline_str("workload"), "hello"));
	CHECK(cmdline_num("spin_secs") == 0);
	cmdline_parse("  workload=spin,idle\tspin_secs=5 foo=bar bare =x spin_secs=abc");
	CHECK(!strcmp(cmdline_str("workload"), "spin,idle"));
	CHECK(cmdline_num("spin_secs") == 5);
	CHECK(log_has("unknown option 'foo'"));
	CHECK(log_has("ignoring 'bare'"));
	CHECK(log_has("ignoring '=x'"));
	CHECK(log_has("spin_secs: bad value 'abc'"));
	cmdline_parse("spin_secs=0x10 spin_secs=99999999999999999999");
	CHECK(cmdline_num("spin_secs") == 16);
	CHECK(cmdline_str("nosuch") == NULL);
}

/* ---- kprintf ---- */

static bool fmt_is(const char *want, const char *fmt, ...)
{
	char buf[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (strcmp(buf, want))
		printf("  got '%s', want '%s'\n", buf, want);
	return !strcmp(buf, want);
}

static void test_printf(void)
{
	char small[6];

	CHECK(fmt_is("[   42|42   |-7|0002a]", "[%5d|%-5d|%d|%05x]", 42, 42, -7, 42));
	CHECK(fmt_is("0xfee00000 18446744073709551615", "%#lx %lu", 0xfee00000UL, ~0UL));
	CHECK(fmt_is("abc|ab|x|%", "%s|%.*s|%c|%%", "abc", 2, "abc", 'x'));
	CHECK(fmt_is("0000000000101f45", "%016lx", 0x101f45UL));
	CHECK(snprintf(small, sizeof(small), "%s", "truncated") == 9);
	CHECK(!strcmp(small, "trunc"));
}

/* ---- virtqueue against a simulated device ---- */

static uint16_t notify_reg;

/* The device consumes everything published and completes it. */
static void device_complete_all(struct virtq *vq, uint16_t *seen, uint32_t len)
{
	while (*seen != vq->avail->idx) {
		uint16_t head = vq->avail->ring[*seen % vq->size];
		uint16_t u = vq->used->idx;

		vq->used->ring[u % vq->size] = (struct virtq_used_elem){ head, len };
		vq->used->idx = (uint16_t)(u + 1);
		(*seen)++;
	}
}

static void test_virtq_chains(void)
{
	struct virtq vq;
	char a[16], b[16], c[16];
	struct virtq_buf out = { a, sizeof(a) }, in[2] = { { b, 8 }, { c, 16 } };
	uint16_t seen = 0;
	uint32_t len;
	int n = 0;

	CHECK(virtq_init(&vq, 1, 6, false) == -EINVAL);	/* not a power of 2 */
	CHECK(virtq_init(&vq, 1, 8, false) == 0);
	vq.notify = (uintptr_t)&notify_reg;
	CHECK(virtq_add(&vq, &out, 1, in, 2, a) == 0);
	CHECK(vq.num_free == 5);
	CHECK(vq.avail->idx == 0);		/* not published before the kick */
	virtq_kick(&vq);
	CHECK(vq.avail->idx == 1 && vq.kicks == 1 && notify_reg == 1);
	{
		struct virtq_desc *d = &vq.desc[vq.avail->ring[0]];

		CHECK(d->addr == (uintptr_t)a && d->flags == VIRTQ_DESC_F_NEXT);
		d = &vq.desc[d->next];
		CHECK(d->len == 8 && d->flags == (VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE));
		d = &vq.desc[d->next];
		CHECK(d->len == 16 && d->flags == VIRTQ_DESC_F_WRITE);
	}
	CHECK(virtq_get(&vq, &len) == NULL);
	device_complete_all(&vq, &seen, 24);
	CHECK(virtq_get(&vq, &len) == a && len == 24);
	CHECK(vq.num_free == 8);
	while (virtq_add(&vq, &out, 1, NULL, 0, b) == 0)
		n++;
	CHECK(n == 8);
	CHECK(virtq_add(&vq, &out, 1, NULL, 0, b) == -ENOSPC);
	/* A used entry naming a descriptor we never queued is ignored. */
	vq.used->ring[vq.used->idx % 8] = (struct virtq_used_elem){ 99, 0 };
	vq.used->idx++;
	CHECK(virtq_get(&vq, &len) == NULL);
}

/* The descriptor table is shared with the device: one that rewrites
 * next and flags before completing must not make us free descriptors
 * that are not the chain's, or walk out of the table. */
static void test_virtq_hostile_table(void)
{
	struct virtq vq;
	char a[16], b[16];
	struct virtq_buf out = { a, sizeof(a) }, in = { b, sizeof(b) };
	uint16_t seen = 0;
	uint32_t len;
	int n = 0;

	CHECK(virtq_init(&vq, 0, 8, false) == 0);
	vq.notify = (uintptr_t)&notify_reg;
	CHECK(virtq_add(&vq, &out, 1, &in, 1, a) == 0);	/* 2 descriptors */
	CHECK(virtq_add(&vq, &out, 1, NULL, 0, b) == 0);	/* 1 more */
	virtq_kick(&vq);
	for (uint16_t i = 0; i < 8; i++) {
		vq.desc[i].next = (uint16_t)(0xffff - i);
		vq.desc[i].flags = VIRTQ_DESC_F_NEXT;
	}
	device_complete_all(&vq, &seen, 0);
	CHECK(virtq_get(&vq, &len) == a);
	CHECK(vq.num_free == 7);	/* exactly the 2 of that chain back */
	CHECK(virtq_get(&vq, &len) == b);
	CHECK(vq.num_free == 8);
	while (virtq_add(&vq, &out, 1, NULL, 0, b) == 0)
		n++;
	CHECK(n == 8);
	{
		unsigned int heads = 0;	/* every descriptor once, none twice */

		for (uint16_t i = 0; i < 8; i++)
			heads |= 1u << vq.avail->ring[(uint16_t)(vq.avail_idx - 1 - i) & 7];
		CHECK(heads == 0xff);
	}
}

static void test_virtq_notify(void)
{
	struct virtq vq;
	char a[8];
	struct virtq_buf out = { a, sizeof(a) };
	uint16_t *avail_event;

	/* Event index: notify only when avail_event is crossed. */
	CHECK(virtq_init(&vq, 0, 16, true) == 0);
	vq.notify = (uintptr_t)&notify_reg;
	avail_event = (uint16_t *)&vq.used->ring[16];
	virtq_add(&vq, &out, 1, NULL, 0, a);
	virtq_kick(&vq);
	CHECK(vq.kicks == 1);			/* avail_event 0, idx 0 -> 1 */
	*avail_event = 5;
	virtq_add(&vq, &out, 1, NULL, 0, a);
	virtq_add(&vq, &out, 1, NULL, 0, a);
	virtq_kick(&vq);
	CHECK(vq.kicks == 1);			/* 1 -> 3 does not pass 5 */
	for (int i = 0; i < 3; i++)
		virtq_add(&vq, &out, 1, NULL, 0, a);
	virtq_kick(&vq);
	CHECK(vq.kicks == 2);			/* 3 -> 6 passes 5: one kick */
	virtq_kick(&vq);
	CHECK(vq.kicks == 2);			/* nothing new */

	/* Without event index: the device's NO_NOTIFY flag decides. */
	CHECK(virtq_init(&vq, 0, 16, false) == 0);
	vq.notify = (uintptr_t)&notify_reg;
	vq.used->flags = VIRTQ_USED_F_NO_NOTIFY;
	virtq_add(&vq, &out, 1, NULL, 0, a);
	virtq_kick(&vq);
	CHECK(vq.kicks == 0 && vq.avail->idx == 1);
	vq.used->flags = 0;
	virtq_add(&vq, &out, 1, NULL, 0, a);
	virtq_kick(&vq);
	CHECK(vq.kicks == 1);
}

int main(void)
{
	test_s5();
	test_acpi_tables();
	test_cmdline();
	test_printf();
	test_virtq_chains();
	test_virtq_hostile_table();
	test_virtq_notify();
	net_tests(&checks, &failures);
	vnet_tests(&checks, &failures);
	printf("guest host tests: %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
