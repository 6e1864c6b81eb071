/*
 * CPUID for the guest: KVM_GET_SUPPORTED_CPUID, filtered for this
 * platform, with the topology leaves made consistent for cfg.vcpus
 * single-threaded cores in one package (APIC id = vCPU index).
 *
 * What is masked and why (PLATFORM.md: guest ring 0 is emulated here):
 *  - CMPXCHG16B (leaf 1 ECX.13): KVM's emulator fails on lock cmpxchg16b
 *    ("emulation failure"), the first thing Linux trips over.
 *  - XSAVE/OSXSAVE (leaf 1 ECX.26/27) and leaf 0xd: xsave/xrstor fail in
 *    the emulator. Everything whose state lives only in XSAVE areas goes
 *    with it: AVX, FMA, F16C (leaf 1), AVX2, AVX-512*, MPX, PKU, CET, AMX
 *    (leaf 7), so a guest never sees a feature it cannot enable.
 *  - VMX/SVM, MONITOR/MWAIT, PDCM and the PMU leaf 0xa: not offered by
 *    this KVM or meaningless to the guest.
 * Kept: the KVM paravirt leaves 0x40000000/0x40000001 (kvmclock, PV EOI),
 * x2APIC and TSC-deadline (the in-kernel LAPIC provides them), and the
 * hypervisor bit.
 *
 * Measured on this platform (kvm_pvm): the guest's CPUID returns the
 * host's bits for every feature KVM_GET_SUPPORTED_CPUID does not list;
 * only listed bits follow our table. CX16 is listed and is hidden; XSAVE
 * and AVX are not listed, so a guest still sees them (Linux needs
 * "noxsave" here). The masks stay: on a VMX/SVM host they take effect.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include "xvm/log.h"
#include "core.h"

#define CPUID_MAX_ENTRIES	256

/* Leaf 1 ECX / EDX bits (Intel SDM vol. 2A, CPUID, table 3-10/3-11). */
#define L1_ECX_MONITOR	(1u << 3)
#define L1_ECX_VMX	(1u << 5)
#define L1_ECX_FMA	(1u << 12)
#define L1_ECX_CX16	(1u << 13)
#define L1_ECX_PDCM	(1u << 15)
#define L1_ECX_XSAVE	(1u << 26)
#define L1_ECX_OSXSAVE	(1u << 27)
#define L1_ECX_AVX	(1u << 28)
#define L1_ECX_F16C	(1u << 29)
#define L1_ECX_HV	(1u << 31)
#define L1_EDX_HTT	(1u << 28)

/* Leaf 7 subleaf 0: features whose state is XSAVE-managed. */
#define L7_EBX_XSTATE	((1u << 5) /* AVX2 */ | (1u << 14) /* MPX */ | \
			 (1u << 16) | (1u << 17) | (1u << 21) | (1u << 26) | \
			 (1u << 27) | (1u << 28) | (1u << 30) | (1u << 31))
#define L7_ECX_XSTATE	((1u << 1) | (1u << 3) /* PKU */ | (1u << 4) | \
			 (1u << 6) | (1u << 7) /* CET_SS */ | (1u << 9) | \
			 (1u << 10) | (1u << 11) | (1u << 12) | (1u << 14))
#define L7_EDX_XSTATE	((1u << 2) | (1u << 3) | (1u << 8) | (1u << 20) | \
			 (1u << 22) | (1u << 23) | (1u << 24) | (1u << 25))

/* Leaf 0x80000001 ECX.2: SVM. */
#define LX1_ECX_SVM	(1u << 2)

static bool cpuid_drop_leaf(uint32_t fn)
{
	return fn == 0xd || fn == 0xa || fn == 0xb || fn == 0x1f ||
	       fn == 0x8000000a;
}

static void cpuid_filter_entry(struct kvm_cpuid_entry2 *e)
{
	switch (e->function) {
	case 1:
		e->ecx &= ~(L1_ECX_MONITOR | L1_ECX_VMX | L1_ECX_FMA |
			    L1_ECX_CX16 | L1_ECX_PDCM | L1_ECX_XSAVE |
			    L1_ECX_OSXSAVE | L1_ECX_AVX | L1_ECX_F16C);
		e->ecx |= L1_ECX_HV;
		break;
	case 7:
		if (e->index == 0) {
			e->ebx &= ~L7_EBX_XSTATE;
			e->ecx &= ~L7_ECX_XSTATE;
			e->edx &= ~L7_EDX_XSTATE;
		} else {
			e->eax = 0;	/* AVX-VNNI, AVX512_BF16, ... */
		}
		break;
	case 0x80000001:
		e->ecx &= ~LX1_ECX_SVM;
		break;
	}
}

/* Leaf 0xb (x2APIC topology, Intel SDM "CPUID leaf 0BH"): level 0 SMT
 * with one thread, level 1 core with cfg.vcpus cores, then invalid. */
static unsigned int cpuid_add_topology(struct kvm_cpuid2 *c,
				       unsigned int vcpus)
{
	unsigned int shift = 0;

	while ((1u << shift) < vcpus)
		shift++;
	for (uint32_t sub = 0; sub < 3 && c->nent < CPUID_MAX_ENTRIES; sub++) {
		struct kvm_cpuid_entry2 *e = &c->entries[c->nent++];

		memset(e, 0, sizeof(*e));
		e->function = 0xb;
		e->index = sub;
		e->flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
		e->ecx = sub;
		if (sub == 0) {
			e->ebx = 1;
			e->ecx |= 1u << 8;
		} else if (sub == 1) {
			e->eax = shift;
			e->ebx = vcpus;
			e->ecx |= 2u << 8;
		}
	}
	return c->nent;
}

int cpuid_init(struct vm *vm)
{
	struct core *core = core_of(vm);
	struct kvm_cpuid2 *c;
	unsigned int n = 0;

	c = calloc(1, sizeof(*c) + CPUID_MAX_ENTRIES * sizeof(c->entries[0]));
	if (!c)
		return -ENOMEM;
	c->nent = CPUID_MAX_ENTRIES;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		int rc = -errno;

		free(c);
		return rc;
	}
	for (unsigned int i = 0; i < c->nent; i++) {
		if (cpuid_drop_leaf(c->entries[i].function))
			continue;
		c->entries[n] = c->entries[i];
		cpuid_filter_entry(&c->entries[n]);
		n++;
	}
	c->nent = n;
	cpuid_add_topology(c, vm->cfg.vcpus);
	core->cpuid = c;
	return 0;
}

/* The per-vCPU fields: initial APIC ids and logical processor counts. */
static void cpuid_fix_vcpu(struct kvm_cpuid_entry2 *e, unsigned int index,
			   unsigned int vcpus)
{
	switch (e->function) {
	case 1:
		e->ebx = (e->ebx & 0x0000ffff) | (index << 24) |
			 ((vcpus & 0xff) << 16);
		if (vcpus > 1)
			e->edx |= L1_EDX_HTT;
		else
			e->edx &= ~L1_EDX_HTT;
		break;
	case 4:		/* Intel: cores per package in EAX[31:26] */
		if (e->eax & 0x1f)
			e->eax = (e->eax & 0x03ffffff) |
				 ((vcpus - 1) & 0x3f) << 26;
		break;
	case 0xb:
		e->edx = index;
		break;
	case 0x80000008:	/* AMD: NC, cores per package - 1 */
		e->ecx = (e->ecx & ~0xf0ffu) | ((vcpus - 1) & 0xff);
		break;
	case 0x8000001e:	/* AMD: extended APIC id, one thread per core */
		e->eax = index;
		e->ebx = (e->ebx & ~0xffffu) | (index & 0xff);
		break;
	}
}

int cpuid_set_vcpu(struct vm *vm, int vcpu_fd, unsigned int index)
{
	const struct kvm_cpuid2 *src = core_of(vm)->cpuid;
	size_t sz = sizeof(*src) + src->nent * sizeof(src->entries[0]);
	struct kvm_cpuid2 *c = malloc(sz);
	int rc = 0;

	if (!c)
		return -ENOMEM;
	memcpy(c, src, sz);
	for (unsigned int i = 0; i < c->nent; i++)
		cpuid_fix_vcpu(&c->entries[i], index, vm->cfg.vcpus);
	if (ioctl(vcpu_fd, KVM_SET_CPUID2, c) < 0)
		rc = -errno;
	free(c);
	return rc;
}
