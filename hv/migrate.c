/*
 * The VM state stream (see migrate.h): writer, whole-stream checker and
 * loader, and save to / restore from a file.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "xvm/log.h"
#include "core.h"
#include "migrate.h"
#include "vcpu.h"

#define MIG_NAMES_MAX	32	/* ARRAY_SIZE(vm->devs) */

static int PRINTF(3, 4) mig_msg(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* ---- writer ---- */

int mig_put_header(struct vm *vm, struct snap_writer *w, uint32_t flags)
{
	size_t mark;

	snap_put_bytes(w, MIG_MAGIC, 8);
	snap_put_u32(w, MIG_VERSION);
	snap_put_u32(w, flags);
	snap_section_begin(w, "config", 1, &mark);
	snap_put_u64(w, vm->mem_size);
	snap_put_u32(w, vm->cfg.vcpus);
	snap_put_u32(w, vm->nr_devs);
	for (unsigned int i = 0; i < vm->nr_devs; i++) {
		const char *n = vm->devs[i].ops->name;
		size_t l = MIN(strlen(n), (size_t)SNAP_NAME_MAX);

		snap_put_u8(w, (uint8_t)l);
		snap_put_bytes(w, n, l);
	}
	return snap_section_end(w, mark);
}

static bool page_is_zero(const uint8_t *p)
{
	const uint64_t *q = (const uint64_t *)p;

	for (unsigned int i = 0; i < MIG_PAGE / 8; i++)
		if (q[i])
			return false;
	return true;
}

void mig_ram_page(struct mig_ram *o, struct snap_writer *w, uint64_t gpa,
		  const uint8_t *p)
{
	bool zero = !p || page_is_zero(p);

	if (o->n == 0) {
		snap_section_begin(w, "ram", 1, &o->mark);
		o->cnt = w->len;
		snap_put_u32(w, 0);	/* record count, patched */
	}
	snap_put_u64(w, gpa | (zero ? MIG_KIND_ZERO : MIG_KIND_FULL));
	if (!zero)
		snap_put_bytes(w, p, MIG_PAGE);
	else
		o->zero++;
	if (++o->n == MIG_CHUNK_PAGES)
		mig_ram_close(o, w);
}

void mig_ram_close(struct mig_ram *o, struct snap_writer *w)
{
	if (o->n == 0)
		return;
	if (!w->err)
		for (unsigned int i = 0; i < 4; i++)
			w->buf[o->cnt + i] = (uint8_t)(o->n >> (8 * i));
	snap_section_end(w, o->mark);
	o->sent += o->n;
	o->n = 0;
}

int mig_put_ram(struct vm *vm, struct snap_writer *w)
{
	struct mig_ram o = { 0 };

	for (unsigned int m = 0; m < vm->nr_mem; m++)
		for (uint64_t off = 0; off < vm->mem[m].size; off += MIG_PAGE)
			mig_ram_page(&o, w, vm->mem[m].gpa + off,
				     vm->mem[m].hva + off);
	mig_ram_close(&o, w);
	if (w->err)
		return w->err;
	return mig_put_ram_end(w, o.sent);
}

int mig_put_ram_end(struct snap_writer *w, uint64_t pages)
{
	size_t mark;

	snap_section_begin(w, "ram-end", 1, &mark);
	snap_put_u64(w, pages);
	return snap_section_end(w, mark);
}

int mig_put_devices(struct vm *vm, struct snap_writer *w)
{
	size_t mark;

	snap_section_begin(w, "devices", 1, &mark);
	if (snap_save_devices(vm, w) < 0 && !w->err)
		w->err = -EIO;
	return snap_section_end(w, mark);
}

int mig_put_end(struct snap_writer *w)
{
	if (w->err)
		return w->err;
	return mig_put_end_crc(w, w->len, snap_crc32_update(0, w->buf, w->len));
}

int mig_put_end_crc(struct snap_writer *w, uint64_t len, uint32_t crc)
{
	size_t mark;

	snap_section_begin(w, "end", 1, &mark);
	snap_put_u64(w, len);
	snap_put_u32(w, crc);
	return snap_section_end(w, mark);
}

/* ---- CPU and VM state (KVM) ---- */

/* The MSRs a guest's state lives in beyond regs/sregs (EFER and the APIC
 * base are in sregs): SYSENTER, SYSCALL, swapgs, TSC, PAT, kvmclock and
 * the other KVM PV MSRs. Those the host's KVM does not know are skipped
 * at save; the destination must accept every one saved. */
static const uint32_t mig_msrs[] = {
	0x00000174, 0x00000175, 0x00000176,	/* SYSENTER_CS/ESP/EIP */
	0xc0000081, 0xc0000082, 0xc0000083,	/* STAR, LSTAR, CSTAR */
	0xc0000084, 0xc0000102, 0xc0000103,	/* SFMASK, KERNEL_GS_BASE, TSC_AUX */
	0x00000010, 0x0000003b,			/* TSC, TSC_ADJUST */
	0x00000277, 0x000001a0,			/* PAT, MISC_ENABLE */
	0x000006e0,				/* TSC_DEADLINE (after LAPIC) */
	0x4b564d00, 0x4b564d01,			/* kvmclock wall clock, system time */
	0x4b564d02, 0x4b564d03,			/* async PF, steal time */
	0x4b564d04, 0x4b564d05,			/* PV EOI, poll control */
	0x00000011, 0x00000012,			/* old kvmclock MSRs */
};

static void put_blob(struct snap_writer *w, const void *p, uint32_t n)
{
	snap_put_u32(w, n);
	snap_put_bytes(w, p, n);
}

static int kvm_get(int fd, unsigned long req, void *arg, const char *what,
		   unsigned int idx)
{
	if (ioctl(fd, req, arg) < 0) {
		int rc = -errno;

		log_err("save: vcpu%u: %s: %s", idx, what, strerror(-rc));
		return rc;
	}
	return 0;
}

static int mig_put_cpu(struct vm *vm, struct vcpu *v, struct snap_writer *w)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[1];
	} one;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	struct kvm_xsave *xs = NULL;
	struct kvm_xcrs xcrs;
	struct kvm_lapic_state lapic;
	struct kvm_vcpu_events ev;
	struct kvm_mp_state mp;
	struct kvm_debugregs dbg;
	bool has_xsave = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION,
			       KVM_CAP_XSAVE) > 0;
	bool has_xcrs = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION,
			      KVM_CAP_XCRS) > 0;
	uint32_t nmsr = 0;
	size_t mark, cnt;
	int rc;

	if ((rc = kvm_get(v->fd, KVM_GET_REGS, &regs, "regs", v->index)) ||
	    (rc = kvm_get(v->fd, KVM_GET_SREGS, &sregs, "sregs", v->index)) ||
	    (rc = kvm_get(v->fd, KVM_GET_FPU, &fpu, "fpu", v->index)) ||
	    (rc = kvm_get(v->fd, KVM_GET_LAPIC, &lapic, "lapic", v->index)) ||
	    (rc = kvm_get(v->fd, KVM_GET_VCPU_EVENTS, &ev, "events",
			  v->index)) ||
	    (rc = kvm_get(v->fd, KVM_GET_MP_STATE, &mp, "mp state",
			  v->index)) ||
	    (rc = kvm_get(v->fd, KVM_GET_DEBUGREGS, &dbg, "debug regs",
			  v->index)))
		return rc;
	if (has_xsave) {
		xs = calloc(1, sizeof(*xs));
		if (!xs)
			return -ENOMEM;
		if ((rc = kvm_get(v->fd, KVM_GET_XSAVE, xs, "xsave",
				  v->index)) < 0) {
			free(xs);
			return rc;
		}
	}
	if (has_xcrs &&
	    (rc = kvm_get(v->fd, KVM_GET_XCRS, &xcrs, "xcrs", v->index)) < 0) {
		free(xs);
		return rc;
	}
	snap_section_begin(w, "cpu", 1, &mark);
	snap_put_u32(w, v->index);
	put_blob(w, &regs, sizeof(regs));
	put_blob(w, &sregs, sizeof(sregs));
	put_blob(w, &fpu, sizeof(fpu));
	put_blob(w, xs, xs ? sizeof(*xs) : 0);
	put_blob(w, &xcrs, has_xcrs ? sizeof(xcrs) : 0);
	put_blob(w, &lapic, sizeof(lapic));
	put_blob(w, &ev, sizeof(ev));
	put_blob(w, &mp, sizeof(mp));
	put_blob(w, &dbg, sizeof(dbg));
	free(xs);
	cnt = w->len;
	snap_put_u32(w, 0);
	for (size_t i = 0; i < ARRAY_SIZE(mig_msrs); i++) {
		memset(&one, 0, sizeof(one));
		one.h.nmsrs = 1;
		one.e[0].index = mig_msrs[i];
		if (ioctl(v->fd, KVM_GET_MSRS, &one) != 1)
			continue;	/* not an MSR of this host's KVM */
		snap_put_u32(w, one.e[0].index);
		snap_put_u64(w, one.e[0].data);
		nmsr++;
	}
	if (!w->err)
		for (unsigned int i = 0; i < 4; i++)
			w->buf[cnt + i] = (uint8_t)(nmsr >> (8 * i));
	return snap_section_end(w, mark);
}

static int mig_put_vmstate(struct vm *vm, struct snap_writer *w)
{
	struct kvm_irqchip chip;
	struct kvm_pit_state2 pit;
	struct kvm_clock_data clk;
	size_t mark;

	snap_section_begin(w, "vm", 1, &mark);
	for (uint32_t id = 0; id < 3; id++) {
		memset(&chip, 0, sizeof(chip));
		chip.chip_id = id;
		if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &chip) < 0)
			return -errno;
		put_blob(w, &chip, sizeof(chip));
	}
	memset(&pit, 0, sizeof(pit));
	memset(&clk, 0, sizeof(clk));
	if (ioctl(vm->vm_fd, KVM_GET_PIT2, &pit) < 0 ||
	    ioctl(vm->vm_fd, KVM_GET_CLOCK, &clk) < 0)
		return -errno;
	put_blob(w, &pit, sizeof(pit));
	put_blob(w, &clk, sizeof(clk));
	return snap_section_end(w, mark);
}

int mig_save(struct vm *vm, struct snap_writer *w)
{
	bool kvm = vm->vm_fd >= 0;
	int rc;

	if ((rc = mig_put_header(vm, w, kvm ? MIG_F_CPU : 0)) < 0 ||
	    (rc = mig_put_ram(vm, w)) < 0 || (rc = mig_put_state(vm, w)) < 0)
		return rc;
	return mig_put_end(w);
}

int mig_put_state(struct vm *vm, struct snap_writer *w)
{
	bool kvm = vm->vm_fd >= 0;
	int rc;

	for (unsigned int i = 0; kvm && i < vm->cfg.vcpus; i++)
		if ((rc = mig_put_cpu(vm, &vm->vcpus[i], w)) < 0)
			return rc;
	if ((kvm && (rc = mig_put_vmstate(vm, w)) < 0) ||
	    (rc = mig_put_devices(vm, w)) < 0)
		return rc;
	return 0;
}

/* ---- reader: check the whole stream ---- */

/* The name of the section at r's position, without moving. */
static bool peek_name(const struct snap_reader *r, char name[SNAP_NAME_MAX + 1])
{
	size_t left = r->len - r->pos;
	const uint8_t *p = r->buf + r->pos;

	if (r->err || left < 3 || (p[0] | p[1] << 8) != 0x5853 ||
	    p[2] == 0 || p[2] > SNAP_NAME_MAX || left < 3u + p[2])
		return false;
	memcpy(name, p + 3, p[2]);
	name[p[2]] = '\0';
	return true;
}

/* Open the next section, which must be `name`; msg says what is wrong. */
static int open_sec(struct snap_reader *r, const char *name, size_t *outer,
		    char *msg, size_t msglen)
{
	char got[SNAP_NAME_MAX + 1];
	size_t at = r->pos;
	uint32_t ver;

	if (!peek_name(r, got))
		return mig_msg(msg, msglen, "truncated or damaged stream at "
			       "byte %zu (expected section \"%s\")", at, name);
	if (strcmp(got, name) != 0)
		return mig_msg(msg, msglen, "section \"%s\" at byte %zu where "
			       "\"%s\" was expected", got, at, name);
	if (snap_section_open(r, name, 1, &ver, outer) < 0) {
		/* say which check failed: the header is there (peeked) */
		const uint8_t *h = r->buf + at + 3 + strlen(name);
		size_t left = r->len - at - 3 - strlen(name);
		uint32_t v = 0, plen = 0;

		for (unsigned int i = 0; left >= 8 && i < 4; i++) {
			v |= (uint32_t)h[i] << (8 * i);
			plen |= (uint32_t)h[4 + i] << (8 * i);
		}
		if (left < 8 || plen > left - 8 || left - 8 - plen < 4)
			return mig_msg(msg, msglen, "stream truncated in "
				       "section \"%s\" at byte %zu", name, at);
		if (v != 1)
			return mig_msg(msg, msglen, "section \"%s\" at byte "
				       "%zu has unsupported version %u", name,
				       at, v);
		return mig_msg(msg, msglen, "section \"%s\" at byte %zu: "
			       "checksum mismatch (file altered or damaged)",
			       name, at);
	}
	return 0;
}

static int close_sec(struct snap_reader *r, const char *name, size_t outer,
		     char *msg, size_t msglen)
{
	if (snap_section_close(r, outer) < 0)
		return mig_msg(msg, msglen, "section \"%s\": malformed "
			       "contents", name);
	return 0;
}

static int check_config(struct vm *vm, struct snap_reader *r, char *msg,
			size_t msglen)
{
	uint64_t mem;
	uint32_t vcpus, ndev;
	size_t outer;

	if (open_sec(r, "config", &outer, msg, msglen) < 0)
		return -EINVAL;
	snap_get_u64(r, &mem);
	snap_get_u32(r, &vcpus);
	snap_get_u32(r, &ndev);
	if (r->err)
		return mig_msg(msg, msglen, "config section truncated");
	if (mem != vm->mem_size)
		return mig_msg(msg, msglen, "configuration mismatch: saved "
			       "domain has %llu MiB of memory, this one %llu "
			       "MiB", (unsigned long long)(mem >> 20),
			       (unsigned long long)(vm->mem_size >> 20));
	if (vcpus != vm->cfg.vcpus)
		return mig_msg(msg, msglen, "configuration mismatch: saved "
			       "domain has %u vCPUs, this one %u", vcpus,
			       vm->cfg.vcpus);
	if (ndev != vm->nr_devs)
		return mig_msg(msg, msglen, "configuration mismatch: saved "
			       "domain has %u devices, this one %u (same "
			       "--net options?)", ndev, vm->nr_devs);
	for (uint32_t i = 0; i < ndev; i++) {
		char name[SNAP_NAME_MAX + 1];
		uint8_t l;

		if (snap_get_u8(r, &l) < 0 || l > SNAP_NAME_MAX ||
		    snap_get_bytes(r, name, l) < 0)
			return mig_msg(msg, msglen, "config section: bad "
				       "device name");
		name[l] = '\0';
		if (strncmp(name, vm->devs[i].ops->name, SNAP_NAME_MAX) != 0)
			return mig_msg(msg, msglen, "configuration mismatch: "
				       "device %u is %s in the saved domain, "
				       "%s here", i, name,
				       vm->devs[i].ops->name);
	}
	return close_sec(r, "config", outer, msg, msglen);
}

/* One "ram" section's records; apply them to vm when `apply`. */
/* The hole flag of the page at dst (live->holes), or NULL. */
static uint8_t *hole_of(struct vm *vm, struct mig_live_in *live,
			const uint8_t *dst)
{
	if (!live)
		return NULL;
	for (unsigned int i = 0; i < vm->nr_mem && i < ARRAY_SIZE(live->holes);
	     i++)
		if (live->holes[i] && dst >= vm->mem[i].hva &&
		    dst < vm->mem[i].hva + vm->mem[i].size)
			return &live->holes[i][(uint64_t)(dst - vm->mem[i].hva) /
					       MIG_PAGE];
	return NULL;
}

int mig_holes_init(struct vm *vm, uint8_t *holes[2])
{
	for (unsigned int i = 0; i < vm->nr_mem && i < 2; i++) {
		const struct vm_mem_region *m = &vm->mem[i];
		off_t at = (off_t)m->fd_offset, end = at + (off_t)m->size;
		uint8_t *h;

		if (vm->mem_fd < 0 || m->size == 0)
			continue;
		h = malloc(m->size / MIG_PAGE);
		if (!h) {
			mig_holes_free(holes);
			return -ENOMEM;
		}
		memset(h, 1, m->size / MIG_PAGE);
		holes[i] = h;
		/* every data extent (ACPI tables, anything written) is
		 * marked not a hole; swapped-out pages count as data */
		while (at < end) {
			off_t d = lseek(vm->mem_fd, at, SEEK_DATA), e;

			if (d < 0 && errno == ENXIO)
				break;		/* no data after at */
			if (d < 0)
				goto fail;
			if (d >= end)
				break;
			e = lseek(vm->mem_fd, d, SEEK_HOLE);
			if (e < 0)
				goto fail;
			if (e > end)
				e = end;
			{
				uint64_t a = (uint64_t)(d - (off_t)m->fd_offset)
					     / MIG_PAGE,
					 b = ((uint64_t)(e - (off_t)m->fd_offset)
					      + MIG_PAGE - 1) / MIG_PAGE;

				memset(h + a, 0, b - a);
			}
			at = e;
		}
	}
	return 0;
fail:
	{
		int rc = -errno;

		mig_holes_free(holes);
		return rc;
	}
}

void mig_holes_free(uint8_t *holes[2])
{
	for (unsigned int i = 0; i < 2; i++) {
		free(holes[i]);
		holes[i] = NULL;
	}
}

static int do_ram(struct vm *vm, struct snap_reader *r, bool apply,
		  uint64_t *pages, struct mig_live_in *live, char *msg,
		  size_t msglen)
{
	uint32_t n;

	if (snap_get_u32(r, &n) < 0 || n == 0 || n > MIG_CHUNK_PAGES)
		return mig_msg(msg, msglen, "ram section: bad record count");
	for (uint32_t i = 0; i < n; i++) {
		uint64_t rec, gpa;
		unsigned int kind;
		uint8_t *dst, *hole;

		if (snap_get_u64(r, &rec) < 0)
			return mig_msg(msg, msglen, "ram section truncated");
		gpa = rec & ~(uint64_t)(MIG_PAGE - 1);
		kind = rec & (MIG_PAGE - 1);
		dst = vm_gpa(vm, gpa, MIG_PAGE);
		if (!dst || kind > MIG_KIND_FULL)
			return mig_msg(msg, msglen, "ram record %#llx: not a "
				       "page of this domain's RAM",
				       (unsigned long long)rec);
		hole = apply ? hole_of(vm, live, dst) : NULL;
		if (kind == MIG_KIND_FULL) {
			if (snap_remaining(r) < MIG_PAGE)
				return mig_msg(msg, msglen, "ram section "
					       "truncated");
			if (apply)
				memcpy(dst, r->buf + r->pos, MIG_PAGE);
			if (hole)
				*hole = 0;
			r->pos += MIG_PAGE;
		} else if (apply && !(hole && *hole) && !page_is_zero(dst)) {
			/* only written if not zero already: a fresh
			 * destination's untouched pages stay unallocated
			 * (and a page known to be a hole is not even read,
			 * which would allocate it) */
			memset(dst, 0, MIG_PAGE);
		}
	}
	*pages += n;
	return 0;
}

static int skip_sec(struct snap_reader *r, const char *name, char *msg,
		    size_t msglen)
{
	size_t outer;

	if (open_sec(r, name, &outer, msg, msglen) < 0)
		return -EINVAL;
	r->pos = r->len;
	return close_sec(r, name, outer, msg, msglen);
}

/* A KVM blob's length and bounds (its contents are KVM's to judge). */
static int skip_blob(struct snap_reader *r, size_t n, bool optional)
{
	uint32_t l;

	if (snap_get_u32(r, &l) < 0)
		return -EINVAL;
	if (l == 0 && optional)
		return 0;
	if (l != n || snap_remaining(r) < n)
		return snap_fail(r, "KVM state of an unexpected size");
	r->pos += n;
	return 0;
}

static bool mig_msr_saved(uint32_t index)
{
	for (size_t i = 0; i < ARRAY_SIZE(mig_msrs); i++)
		if (mig_msrs[i] == index)
			return true;
	return false;
}

/* A "cpu" section as load_cpu() reads it: vCPU index, blob sizes, and
 * MSRs only of those hv saves (a crafted stream must not set others,
 * nor be found wrong after guest RAM was written). */
static int check_cpu(struct snap_reader *r, unsigned int i, char *msg,
		     size_t msglen)
{
	static const size_t sizes[] = {
		sizeof(struct kvm_regs), sizeof(struct kvm_sregs),
		sizeof(struct kvm_fpu), sizeof(struct kvm_xsave),
		sizeof(struct kvm_xcrs), sizeof(struct kvm_lapic_state),
		sizeof(struct kvm_vcpu_events), sizeof(struct kvm_mp_state),
		sizeof(struct kvm_debugregs),
	};
	uint32_t idx, nmsr, index;
	uint64_t data;
	size_t outer;

	if (open_sec(r, "cpu", &outer, msg, msglen) < 0)
		return -EINVAL;
	if (snap_get_u32(r, &idx) < 0 || idx != i)
		return mig_msg(msg, msglen, "cpu section %u where vcpu%u "
			       "expected", idx, i);
	for (size_t k = 0; k < ARRAY_SIZE(sizes); k++)
		skip_blob(r, sizes[k], k == 3 || k == 4);	/* XSAVE, XCRs */
	if (snap_get_u32(r, &nmsr) < 0)
		return mig_msg(msg, msglen, "vcpu%u: malformed CPU state", i);
	if (nmsr > ARRAY_SIZE(mig_msrs))
		return mig_msg(msg, msglen, "vcpu%u: %u MSRs", i, nmsr);
	for (uint32_t k = 0; k < nmsr; k++) {
		if (snap_get_u32(r, &index) < 0 || snap_get_u64(r, &data) < 0)
			return mig_msg(msg, msglen, "vcpu%u: MSRs truncated",
				       i);
		if (!mig_msr_saved(index))
			return mig_msg(msg, msglen, "vcpu%u: MSR %#x is not "
				       "one hv saves", i, index);
	}
	return close_sec(r, "cpu", outer, msg, msglen);
}

/* The "vm" section as load_vmstate() reads it. */
static int check_vmstate(struct snap_reader *r, char *msg, size_t msglen)
{
	size_t outer;
	uint32_t l, id;

	if (open_sec(r, "vm", &outer, msg, msglen) < 0)
		return -EINVAL;
	for (uint32_t k = 0; k < 3; k++) {
		/* struct kvm_irqchip starts with its chip_id */
		if (snap_get_u32(r, &l) < 0 ||
		    l != sizeof(struct kvm_irqchip) ||
		    snap_remaining(r) < l || snap_get_u32(r, &id) < 0 ||
		    id != k)
			return mig_msg(msg, msglen, "vm section: bad irqchip "
				       "%u", k);
		r->pos += l - 4;
	}
	skip_blob(r, sizeof(struct kvm_pit_state2), false);
	skip_blob(r, sizeof(struct kvm_clock_data), false);
	if (r->err)
		return mig_msg(msg, msglen, "vm section truncated");
	return close_sec(r, "vm", outer, msg, msglen);
}

/* The header (magic, version, flags) and the config section at the
 * start of buf; *flags the stream's. */
static int check_head(struct vm *vm, struct snap_reader *r, uint32_t *flags,
		      char *msg, size_t msglen)
{
	uint32_t ver;

	if (r->len < MIG_HEADER_LEN || memcmp(r->buf, MIG_MAGIC, 8) != 0)
		return mig_msg(msg, msglen, "not an xvm state stream (bad "
			       "magic)");
	r->pos = 8;
	snap_get_u32(r, &ver);
	snap_get_u32(r, flags);
	if (ver != MIG_VERSION)
		return mig_msg(msg, msglen, "unsupported stream format "
			       "version %u (this hv reads version %u)", ver,
			       MIG_VERSION);
	if (*flags & ~(uint32_t)MIG_F_CPU)
		return mig_msg(msg, msglen, "unknown stream flags %#x", *flags);
	if (!(*flags & MIG_F_CPU) && vm->vm_fd >= 0)
		return mig_msg(msg, msglen, "stream has no vCPU state");
	if ((*flags & MIG_F_CPU) && (vm->vm_fd < 0 || !vm->vcpus))
		return mig_msg(msg, msglen, "stream has vCPU state, this VM "
			       "has no KVM vCPUs");
	return check_config(vm, r, msg, msglen) < 0 ? -EINVAL : 0;
}

int mig_check_head(struct vm *vm, const uint8_t *buf, size_t len,
		   char *msg, size_t msglen)
{
	struct snap_reader r;
	uint32_t flags;

	snap_reader_init(&r, buf, len);
	if (check_head(vm, &r, &flags, msg, msglen) < 0)
		return -EINVAL;
	if (r.pos != len)
		return mig_msg(msg, msglen, "%zu unexpected bytes after the "
			       "config section", len - r.pos);
	return 0;
}

int mig_apply_ram(struct vm *vm, const uint8_t *sec, size_t len,
		  struct mig_live_in *live, char *msg, size_t msglen)
{
	struct snap_reader r;
	size_t outer;

	snap_reader_init(&r, sec, len);
	if (open_sec(&r, "ram", &outer, msg, msglen) < 0 ||
	    do_ram(vm, &r, true, &live->ram_pages, live, msg, msglen) < 0 ||
	    close_sec(&r, "ram", outer, msg, msglen) < 0)
		return -EINVAL;
	if (r.pos != len)
		return mig_msg(msg, msglen, "ram section: %zu bytes after it",
			       len - r.pos);
	return 0;
}

/* mig_check, or (live) the part a live migration's receiver kept: the
 * RAM is applied already, live says how much and the real stream's
 * length and CRC up to "end". */
static int check_stream(struct vm *vm, const uint8_t *buf, size_t len,
			const struct mig_live_in *live, char *msg,
			size_t msglen)
{
	struct snap_reader r;
	char name[SNAP_NAME_MAX + 1];
	uint32_t flags, crc;
	uint64_t pages = live ? live->ram_pages : 0, slen;
	size_t outer, end_at;

	snap_reader_init(&r, buf, len);
	if (check_head(vm, &r, &flags, msg, msglen) < 0)
		return -EINVAL;
	while (peek_name(&r, name) && strcmp(name, "ram") == 0) {
		if (open_sec(&r, "ram", &outer, msg, msglen) < 0 ||
		    do_ram(vm, &r, false, &pages, NULL, msg, msglen) < 0 ||
		    close_sec(&r, "ram", outer, msg, msglen) < 0)
			return -EINVAL;
	}
	if (open_sec(&r, "ram-end", &outer, msg, msglen) < 0)
		return -EINVAL;
	snap_get_u64(&r, &slen);
	if (close_sec(&r, "ram-end", outer, msg, msglen) < 0)
		return -EINVAL;
	if (slen != pages)
		return mig_msg(msg, msglen, "end of RAM says %llu pages, "
			       "stream has %llu", (unsigned long long)slen,
			       (unsigned long long)pages);
	for (unsigned int i = 0; (flags & MIG_F_CPU) && i < vm->cfg.vcpus; i++)
		if (check_cpu(&r, i, msg, msglen) < 0)
			return -EINVAL;
	if (((flags & MIG_F_CPU) && check_vmstate(&r, msg, msglen) < 0) ||
	    skip_sec(&r, "devices", msg, msglen) < 0)
		return -EINVAL;
	end_at = r.pos;
	if (open_sec(&r, "end", &outer, msg, msglen) < 0)
		return -EINVAL;
	snap_get_u64(&r, &slen);
	snap_get_u32(&r, &crc);
	if (close_sec(&r, "end", outer, msg, msglen) < 0)
		return -EINVAL;
	if (live && slen != live->end_at)
		return mig_msg(msg, msglen, "end section says the stream is "
			       "%llu bytes, received %llu",
			       (unsigned long long)slen,
			       (unsigned long long)live->end_at);
	if (!live && slen != end_at)
		return mig_msg(msg, msglen, "end section says the stream is "
			       "%llu bytes, found %zu", (unsigned long long)slen,
			       end_at);
	if (crc != (live ? live->crc : snap_crc32_update(0, buf, end_at)))
		return mig_msg(msg, msglen, "whole-stream checksum mismatch");
	if (r.pos != len)
		return mig_msg(msg, msglen, "%zu unexpected bytes after the "
			       "end of the stream", len - r.pos);
	return 0;
}

int mig_check(struct vm *vm, const uint8_t *buf, size_t len, char *msg,
	      size_t msglen)
{
	return check_stream(vm, buf, len, NULL, msg, msglen);
}

/* ---- loader ---- */

static int get_blob(struct snap_reader *r, void *p, size_t n, bool optional)
{
	uint32_t l;

	if (snap_get_u32(r, &l) < 0)
		return -EINVAL;
	if (l == 0 && optional)
		return 0;
	if (l != n)
		return snap_fail(r, "KVM state of an unexpected size");
	return snap_get_bytes(r, p, n) < 0 ? -EINVAL : 1;
}

static int kvm_set(struct vcpu *v, unsigned long req, void *arg,
		   const char *what, char *msg, size_t msglen)
{
	if (ioctl(v->fd, req, arg) < 0)
		return mig_msg(msg, msglen, "vcpu%u: KVM refused the saved "
			       "%s: %s", v->index, what, strerror(errno));
	return 0;
}

static int load_cpu(struct vm *vm, struct vcpu *v, struct snap_reader *r,
		    char *msg, size_t msglen)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	struct kvm_xsave *xs = calloc(1, sizeof(*xs));
	struct kvm_xcrs xcrs;
	struct kvm_lapic_state lapic;
	struct kvm_vcpu_events ev;
	struct kvm_mp_state mp;
	struct kvm_debugregs dbg;
	uint32_t idx, nmsr;
	int has_xs, has_xcrs, rc = -EINVAL;
	size_t outer;

	(void)vm;
	if (!xs)
		return mig_msg(msg, msglen, "out of memory");
	if (open_sec(r, "cpu", &outer, msg, msglen) < 0)
		goto out;
	snap_get_u32(r, &idx);
	if (idx != v->index) {
		mig_msg(msg, msglen, "cpu section %u where vcpu%u expected",
			idx, v->index);
		goto out;
	}
	get_blob(r, &regs, sizeof(regs), false);
	get_blob(r, &sregs, sizeof(sregs), false);
	get_blob(r, &fpu, sizeof(fpu), false);
	has_xs = get_blob(r, xs, sizeof(*xs), true);
	has_xcrs = get_blob(r, &xcrs, sizeof(xcrs), true);
	get_blob(r, &lapic, sizeof(lapic), false);
	get_blob(r, &ev, sizeof(ev), false);
	get_blob(r, &mp, sizeof(mp), false);
	get_blob(r, &dbg, sizeof(dbg), false);
	if (r->err) {
		mig_msg(msg, msglen, "vcpu%u: malformed CPU state", v->index);
		goto out;
	}
	/* QEMU's order: sregs (APIC base, EFER) before the LAPIC, the
	 * LAPIC before the MSRs (TSC deadline), events and MP state last */
	if (kvm_set(v, KVM_SET_SREGS, &sregs, "sregs", msg, msglen) ||
	    kvm_set(v, KVM_SET_REGS, &regs, "regs", msg, msglen) ||
	    kvm_set(v, KVM_SET_FPU, &fpu, "FPU state", msg, msglen) ||
	    (has_xs > 0 && kvm_set(v, KVM_SET_XSAVE, xs, "XSAVE state", msg,
				   msglen)) ||
	    (has_xcrs > 0 && kvm_set(v, KVM_SET_XCRS, &xcrs, "XCRs", msg,
				     msglen)) ||
	    kvm_set(v, KVM_SET_LAPIC, &lapic, "LAPIC", msg, msglen))
		goto out;
	snap_get_u32(r, &nmsr);
	if (nmsr > ARRAY_SIZE(mig_msrs)) {
		mig_msg(msg, msglen, "vcpu%u: %u MSRs", v->index, nmsr);
		goto out;
	}
	for (uint32_t i = 0; i < nmsr; i++) {
		struct {
			struct kvm_msrs h;
			struct kvm_msr_entry e[1];
		} one;

		memset(&one, 0, sizeof(one));
		one.h.nmsrs = 1;
		snap_get_u32(r, &one.e[0].index);
		snap_get_u64(r, (uint64_t *)&one.e[0].data);
		if (r->err) {
			mig_msg(msg, msglen, "vcpu%u: MSRs truncated",
				v->index);
			goto out;
		}
		if (ioctl(v->fd, KVM_SET_MSRS, &one) != 1) {
			mig_msg(msg, msglen, "vcpu%u: KVM refused MSR %#x = "
				"%#llx", v->index, one.e[0].index,
				(unsigned long long)one.e[0].data);
			goto out;
		}
	}
	ev.flags |= KVM_VCPUEVENT_VALID_NMI_PENDING |
		    KVM_VCPUEVENT_VALID_SIPI_VECTOR;
	if (kvm_set(v, KVM_SET_VCPU_EVENTS, &ev, "events", msg, msglen) ||
	    kvm_set(v, KVM_SET_MP_STATE, &mp, "MP state", msg, msglen) ||
	    kvm_set(v, KVM_SET_DEBUGREGS, &dbg, "debug registers", msg,
		    msglen))
		goto out;
	rc = close_sec(r, "cpu", outer, msg, msglen);
out:
	free(xs);
	return rc;
}

static int load_vmstate(struct vm *vm, struct snap_reader *r, char *msg,
			size_t msglen)
{
	struct kvm_irqchip chip;
	struct kvm_pit_state2 pit;
	struct kvm_clock_data clk;
	size_t outer;

	if (open_sec(r, "vm", &outer, msg, msglen) < 0)
		return -EINVAL;
	for (uint32_t id = 0; id < 3; id++) {
		if (get_blob(r, &chip, sizeof(chip), false) < 0 ||
		    chip.chip_id != id)
			return mig_msg(msg, msglen, "vm section: bad irqchip "
				       "%u", id);
		if (ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &chip) < 0)
			return mig_msg(msg, msglen, "KVM refused irqchip %u: "
				       "%s", id, strerror(errno));
	}
	if (get_blob(r, &pit, sizeof(pit), false) < 0 ||
	    get_blob(r, &clk, sizeof(clk), false) < 0)
		return mig_msg(msg, msglen, "vm section truncated");
	if (ioctl(vm->vm_fd, KVM_SET_PIT2, &pit) < 0)
		return mig_msg(msg, msglen, "KVM refused the PIT state: %s",
			       strerror(errno));
	/* the guest's clock goes on from the saved value: no flags (the
	 * realtime/host TSC fields describe the source host only) */
	clk.flags = 0;
	if (ioctl(vm->vm_fd, KVM_SET_CLOCK, &clk) < 0)
		return mig_msg(msg, msglen, "KVM refused the clock: %s",
			       strerror(errno));
	return close_sec(r, "vm", outer, msg, msglen);
}

static int load_stream(struct vm *vm, const uint8_t *buf, size_t len,
		       struct mig_live_in *live, char *msg, size_t msglen)
{
	struct snap_reader r;
	char name[SNAP_NAME_MAX + 1];
	uint64_t pages = 0;
	uint32_t flags;
	size_t outer;
	int rc;

	if (check_stream(vm, buf, len, live, msg, msglen) < 0)
		return -EINVAL;
	if (live)
		live->t[MIG_IN_CHECKED] = mig_now_ns();
	/* Checked: now apply, in stream order. */
	snap_reader_init(&r, buf, len);
	r.pos = 12;
	snap_get_u32(&r, &flags);
	if (skip_sec(&r, "config", msg, msglen) < 0)
		return -EINVAL;
	while (peek_name(&r, name) && strcmp(name, "ram") == 0)
		if (open_sec(&r, "ram", &outer, msg, msglen) < 0 ||
		    do_ram(vm, &r, true, &pages, NULL, msg, msglen) < 0 ||
		    close_sec(&r, "ram", outer, msg, msglen) < 0)
			return -EINVAL;
	if (skip_sec(&r, "ram-end", msg, msglen) < 0)
		return -EINVAL;
	for (unsigned int i = 0; (flags & MIG_F_CPU) && i < vm->cfg.vcpus; i++)
		if (load_cpu(vm, &vm->vcpus[i], &r, msg, msglen) < 0)
			return -EINVAL;
	if ((flags & MIG_F_CPU) && load_vmstate(vm, &r, msg, msglen) < 0)
		return -EINVAL;
	if (live)
		live->t[MIG_IN_CPU] = mig_now_ns();
	if (open_sec(&r, "devices", &outer, msg, msglen) < 0)
		return -EINVAL;
	pthread_mutex_lock(&vm->dev_lock);
	rc = snap_load_devices(vm, &r);
	pthread_mutex_unlock(&vm->dev_lock);
	if (live)
		live->t[MIG_IN_DEVICES] = mig_now_ns();
	if (rc < 0)
		return mig_msg(msg, msglen, "a device refused its saved state "
			       "(see the log above)");
	return close_sec(&r, "devices", outer, msg, msglen);
}

int mig_load(struct vm *vm, const uint8_t *buf, size_t len, char *msg,
	     size_t msglen)
{
	return load_stream(vm, buf, len, NULL, msg, msglen);
}

int mig_load_live(struct vm *vm, const uint8_t *buf, size_t len,
		  struct mig_live_in *live, char *msg, size_t msglen)
{
	return load_stream(vm, buf, len, live, msg, msglen);
}

/* ---- files ---- */

/* Every device that writes guest memory on its own (vhost-user) stops
 * (stop) or goes on again (a failed save). dev_lock held. */
void mig_quiesce(struct vm *vm, bool stop)
{
	for (unsigned int i = 0; i < vm->nr_devs; i++)
		if (vm->devs[i].ops->quiesce)
			vm->devs[i].ops->quiesce(vm->devs[i].dev, stop);
}

int mig_drain(struct vm *vm, char *msg, size_t msglen)
{
	int rc;

	for (unsigned int i = 0; i < vm->nr_devs; i++)
		if (vm->devs[i].ops->drain &&
		    (rc = vm->devs[i].ops->drain(vm->devs[i].dev, msg,
						 msglen)) < 0)
			return rc;
	return 0;
}

void mig_announce(struct vm *vm)
{
	pthread_mutex_lock(&vm->dev_lock);
	for (unsigned int i = 0; i < vm->nr_devs; i++)
		if (vm->devs[i].ops->announce)
			vm->devs[i].ops->announce(vm->devs[i].dev);
	pthread_mutex_unlock(&vm->dev_lock);
}

static int write_all(int fd, const uint8_t *p, size_t n, off_t off)
{
	while (n) {
		ssize_t k = pwrite(fd, p, n, off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		p += k;
		n -= (size_t)k;
		off += k;
	}
	return 0;
}

int mig_save_open(const char *path, uint64_t offset, char *msg,
		  size_t msglen)
{
	struct stat st;
	int fd, rc;

	/* no symlink followed (the name may be in a directory others
	 * write to, between the caller's check and this open), no FIFO
	 * or device waited on or written; at an offset the caller made
	 * the file and wrote its header: it must be there */
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK |
		  (offset == 0 ? O_CREAT | O_TRUNC : 0), 0600);
	if (fd < 0) {
		rc = -errno;
		snprintf(msg, msglen, "%s: %s", path, rc == -ELOOP ?
			 "is a symbolic link" : strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if (!S_ISREG(st.st_mode))
		rc = mig_msg(msg, msglen, "%s: not a regular file", path);
	else if ((uint64_t)st.st_size < offset)
		rc = mig_msg(msg, msglen, "%s: shorter than the offset %llu",
			     path, (unsigned long long)offset);
	else
		return fd;
	if (rc != -EINVAL)
		snprintf(msg, msglen, "%s: %s", path, strerror(-rc));
	close(fd);
	return rc;
}

int mig_save_file(struct vm *vm, const char *path, uint64_t offset,
		  uint64_t *bytes, char *msg, size_t msglen)
{
	struct snap_writer w;
	bool was_paused = vm_state(vm) == CORE_PAUSED, quiesced = false;
	int fd, rc;

	rc = vcpu_pause_all(vm);
	if (rc < 0 && rc != -EALREADY) {
		if (!was_paused)
			vcpu_resume_all(vm);
		snprintf(msg, msglen, "vCPUs did not stop: %s", strerror(-rc));
		return rc;
	}
	fd = mig_save_open(path, offset, msg, msglen);
	if (fd < 0) {
		rc = fd;
		goto resume;
	}
	snap_writer_init(&w, vm->mem_size + (vm->mem_size >> 6) + (16u << 20));
	pthread_mutex_lock(&vm->dev_lock);
	rc = mig_drain(vm, msg, msglen);
	quiesced = rc == 0;
	if (quiesced) {
		mig_quiesce(vm, true);
		rc = mig_save(vm, &w);
		if (rc < 0)
			snprintf(msg, msglen, "building the state stream: %s",
				 strerror(-rc));
	}
	pthread_mutex_unlock(&vm->dev_lock);
	if (rc == 0 && ((rc = write_all(fd, w.buf, w.len, (off_t)offset)) < 0 ||
			(ftruncate(fd, (off_t)(offset + w.len)) < 0 &&
			 (rc = -errno)) || (fsync(fd) < 0 && (rc = -errno))))
		snprintf(msg, msglen, "%s: %s", path, strerror(-rc));
	*bytes = w.len;
	snap_writer_free(&w);
	if (rc < 0) {
		/* never leave a partial stream behind */
		if (offset == 0)
			unlink(path);
		else if (ftruncate(fd, (off_t)offset) < 0)
			log_warn("save: cannot cut %s back to %llu bytes: %m",
				 path, (unsigned long long)offset);
	}
	close(fd);
	if (rc == 0)
		return 0;
	pthread_mutex_lock(&vm->dev_lock);
	if (quiesced)
		mig_quiesce(vm, false);
	pthread_mutex_unlock(&vm->dev_lock);
resume:
	if (!was_paused)
		vcpu_resume_all(vm);
	return rc;
}

int mig_restore_file(struct vm *vm, const char *path, uint64_t offset,
		     char *msg, size_t msglen)
{
	struct stat st;
	uint8_t *map;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);	/* no FIFO wait */
	if (fd < 0) {
		rc = -errno;
		snprintf(msg, msglen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return mig_msg(msg, msglen, "%s: not a regular file", path);
	}
	if ((uint64_t)st.st_size <= offset) {
		close(fd);
		return mig_msg(msg, msglen, "%s: no state stream at offset "
			       "%llu (file has %lld bytes)", path,
			       (unsigned long long)offset,
			       (long long)st.st_size);
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		rc = -errno;
		snprintf(msg, msglen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	rc = mig_load(vm, map + offset, (size_t)(st.st_size - (off_t)offset),
		      msg, msglen);
	munmap(map, (size_t)st.st_size);
	return rc;
}
