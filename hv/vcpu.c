/*
 * vCPUs: creation (CPUID, MP state, LAPIC LINT pins), one thread each
 * running KVM_RUN, exit handling (port I/O, MMIO, shutdown, system
 * events, internal errors), and pause/resume.
 *
 * Kicking a vCPU out of KVM_RUN: the kicker sets the flag the vCPU checks
 * (paused or stop_reason), then sends SIG_KICK to its thread; the handler
 * sets run->immediate_exit, so a signal arriving just before KVM_RUN makes
 * KVM return -EINTR at once instead of being lost. The vCPU clears
 * immediate_exit before checking the flags.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include "xvm/log.h"
#include "core.h"
#include "vcpu.h"

#define SIG_KICK	SIGUSR1
#define VCPU_STACK	(256 * 1024)

/* LAPIC register offsets and LVT delivery modes (Intel SDM vol. 3 §11.5.1). */
#define APIC_LVT0	0x350
#define APIC_LVT1	0x360
#define APIC_DM_NMI	0x400
#define APIC_DM_EXTINT	0x700

static __thread struct kvm_run *vcpu_self_run;

/* Exits the guest can repeat must not flood the log. */
static struct log_ratelimit vcpu_rl = LOG_RATELIMIT_INIT(5000, 5);

static void vcpu_kick_handler(int sig)
{
	(void)sig;
	if (vcpu_self_run)
		vcpu_self_run->immediate_exit = 1;
}

static int vcpu_install_kick(void)
{
	struct sigaction sa = { .sa_handler = vcpu_kick_handler };

	sigemptyset(&sa.sa_mask);
	return sigaction(SIG_KICK, &sa, NULL) < 0 ? -errno : 0;
}

/* BSP: LINT0 takes the PIC's ExtINT, LINT1 NMI (the MP spec's virtual
 * wire mode), as firmware leaves them for a guest that uses the PIC. */
static int vcpu_lapic_lint(struct vcpu *v)
{
	struct kvm_lapic_state la;

	if (ioctl(v->fd, KVM_GET_LAPIC, &la) < 0)
		return -errno;
	*(uint32_t *)&la.regs[APIC_LVT0] = APIC_DM_EXTINT;
	*(uint32_t *)&la.regs[APIC_LVT1] = APIC_DM_NMI;
	return ioctl(v->fd, KVM_SET_LAPIC, &la) < 0 ? -errno : 0;
}

/* BSP runnable; APs wait for the guest's SIPI (INIT already received). */
static int vcpu_mp_state(struct vcpu *v)
{
	struct kvm_mp_state mp = {
		.mp_state = v->index == 0 ? KVM_MP_STATE_RUNNABLE
					  : KVM_MP_STATE_INIT_RECEIVED,
	};

	return ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0 ? -errno : 0;
}

static int vcpu_create(struct vm *vm, struct vcpu *v, unsigned int index)
{
	struct core *c = core_of(vm);
	int rc;

	v->vm = vm;
	v->index = index;
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
	if (v->fd < 0)
		return -errno;
	v->run = mmap(NULL, (size_t)c->vcpu_mmap_size, PROT_READ | PROT_WRITE,
		      MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		return -errno;
	}
	rc = cpuid_set_vcpu(vm, v->fd, index);
	if (rc == 0 && index == 0)
		rc = vcpu_lapic_lint(v);
	if (rc == 0)
		rc = vcpu_mp_state(v);
	return rc;
}

int vcpu_create_all(struct vm *vm)
{
	struct core *c = core_of(vm);
	int rc;

	c->vcpu_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (c->vcpu_mmap_size < (int)sizeof(struct kvm_run))
		return -ENOTSUP;
	rc = vcpu_install_kick();
	if (rc < 0)
		return rc;
	vm->vcpus = calloc(vm->cfg.vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return -ENOMEM;
	for (unsigned int i = 0; i < vm->cfg.vcpus; i++)
		vm->vcpus[i].fd = -1;
	for (unsigned int i = 0; i < vm->cfg.vcpus; i++) {
		rc = vcpu_create(vm, &vm->vcpus[i], i);
		if (rc < 0) {
			log_err("vcpu%u: create: %s", i, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

void vcpu_dump(struct vcpu *v)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 ||
	    ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return;
	log_err("vcpu%u: rip %#llx rsp %#llx rflags %#llx cs %#x/%#llx "
		"cr0 %#llx cr3 %#llx cr4 %#llx efer %#llx", v->index, r.rip,
		r.rsp, r.rflags, s.cs.selector, s.cs.base, s.cr0, s.cr3, s.cr4,
		s.efer);
	log_err("vcpu%u: rax %#llx rbx %#llx rcx %#llx rdx %#llx rsi %#llx "
		"rdi %#llx", v->index, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi);
}

/* Port I/O: string instructions (rep ins/outs) come as `count` items of
 * `size` bytes in the run page; each one is a separate device access. */
static void vcpu_exit_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool wr = run->io.direction == KVM_EXIT_IO_OUT;
	unsigned int size = run->io.size;

	if ((size != 1 && size != 2 && size != 4) ||
	    run->io.data_offset + (uint64_t)run->io.count * size >
	    (uint64_t)core_of(v->vm)->vcpu_mmap_size)
		return;
	for (uint32_t i = 0; i < run->io.count; i++, data += size) {
		uint64_t val = 0;

		if (wr)
			memcpy(&val, data, size);
		io_dispatch(v->vm, IO_SPACE_PIO, run->io.port, size, wr, &val);
		if (!wr)
			memcpy(data, &val, size);
	}
}

static void vcpu_exit_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint64_t val = 0;
	unsigned int len = run->mmio.len;

	if (len == 0 || len > 8)
		return;
	if (run->mmio.is_write)
		memcpy(&val, run->mmio.data, len);
	io_dispatch(v->vm, IO_SPACE_MMIO, run->mmio.phys_addr, len,
		    run->mmio.is_write, &val);
	if (!run->mmio.is_write)
		memcpy(run->mmio.data, &val, len);
}

/* false when the vCPU thread must end (the VM stops). */
static bool vcpu_exit_system_event(struct vcpu *v)
{
	switch (v->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vm_request_stop(v->vm, VM_STOP_POWEROFF, "guest powered off");
		return false;
	case KVM_SYSTEM_EVENT_RESET:
		vm_request_stop(v->vm, VM_STOP_REBOOT, "guest reset");
		return false;
	case KVM_SYSTEM_EVENT_CRASH:
		vm_request_stop(v->vm, VM_STOP_CRASH, "guest crash event");
		return false;
	default:
		/* Ignored, and the vCPU runs on: a thread that quietly
		 * ended would leave a VM that can no longer be paused. */
		log_ratelimited(&vcpu_rl, LL_WARN, "vcpu%u: system event %u "
				"ignored", v->index, v->run->system_event.type);
		return true;
	}
}

/* The instruction KVM's emulator gave up on (struct emulation_failure,
 * when it says the bytes are there), else the raw data words. */
static void vcpu_log_internal(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	char hex[3 * 15 + 1] = "";

	if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
	    run->emulation_failure.ndata >= 3 &&
	    (run->emulation_failure.flags &
	     KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
		unsigned int n = MIN(run->emulation_failure.insn_size, 15);

		for (unsigned int i = 0; i < n; i++)
			snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02x ",
				 run->emulation_failure.insn_bytes[i]);
		log_err("vcpu%u: instruction bytes: %s", v->index, hex);
		return;
	}
	for (uint32_t i = 0; i < run->internal.ndata && i < 16; i++)
		log_err("vcpu%u: internal data[%u] %#llx", v->index, i,
			run->internal.data[i]);
}

/* KVM could not run or emulate the guest's instruction (on this platform
 * every ring-0 instruction is emulated, so an instruction KVM's emulator
 * lacks ends here). The guest cannot continue: it is a guest crash
 * (exit 11), with the details in the log. */
static void vcpu_exit_internal(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	char why[128];

	if (run->exit_reason == KVM_EXIT_FAIL_ENTRY) {
		snprintf(why, sizeof(why), "vcpu%u: KVM entry failed, reason %#llx",
			 v->index, (unsigned long long)
			 run->fail_entry.hardware_entry_failure_reason);
	} else {
		const char *what = run->internal.suberror ==
			KVM_INTERNAL_ERROR_EMULATION ? "emulation failure" :
			"internal error";

		snprintf(why, sizeof(why), "vcpu%u: KVM %s (suberror %u)",
			 v->index, what, run->internal.suberror);
		vcpu_log_internal(v);
	}
	log_err("%s", why);
	vcpu_dump(v);
	vm_request_stop(v->vm, VM_STOP_CRASH, why);
}

/* One exit; false when the vCPU thread must end. */
static bool vcpu_handle_exit(struct vcpu *v)
{
	switch (v->run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu_exit_io(v);
		return true;
	case KVM_EXIT_MMIO:
		vcpu_exit_mmio(v);
		return true;
	case KVM_EXIT_HLT:		/* only without the in-kernel LAPIC */
	case KVM_EXIT_INTR:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		return true;
	case KVM_EXIT_SHUTDOWN:
		log_err("vcpu%u: triple fault", v->index);
		vcpu_dump(v);
		vm_request_stop(v->vm, VM_STOP_CRASH, "triple fault");
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		return vcpu_exit_system_event(v);
	case KVM_EXIT_INTERNAL_ERROR:
	case KVM_EXIT_FAIL_ENTRY:
		vcpu_exit_internal(v);
		return false;
	default:
		log_ratelimited(&vcpu_rl, LL_WARN, "vcpu%u: unhandled exit %u",
				v->index, v->run->exit_reason);
		return true;
	}
}

static bool vcpu_stopping(struct vm *vm)
{
	return __atomic_load_n(&vm->stop_reason, __ATOMIC_SEQ_CST) !=
	       VM_STOP_NONE;
}

/* Park while paused; false if the VM is stopping. */
static bool vcpu_wait_runnable(struct vcpu *v)
{
	struct core *c = core_of(v->vm);

	pthread_mutex_lock(&c->run_lock);
	if (c->paused && !vcpu_stopping(v->vm)) {
		/* An exit just handled (port/MMIO read) completes inside
		 * the next KVM_RUN: do that now, returning at once, so a
		 * saved state (migrate.c) never misses its result. */
		pthread_mutex_unlock(&c->run_lock);
		__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		if (ioctl(v->fd, KVM_RUN, 0) == 0 && !vcpu_handle_exit(v))
			vm_request_stop(v->vm, VM_STOP_ERROR,
					"vCPU exit while pausing");
		__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
		pthread_mutex_lock(&c->run_lock);
	}
	if (c->paused && !vcpu_stopping(v->vm)) {
		c->nr_parked++;
		pthread_cond_broadcast(&c->run_cond);
		while (c->paused && !vcpu_stopping(v->vm))
			pthread_cond_wait(&c->run_cond, &c->run_lock);
		c->nr_parked--;
	}
	pthread_mutex_unlock(&c->run_lock);
	return !vcpu_stopping(v->vm);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	char name[16];

	snprintf(name, sizeof(name), "vcpu%u", v->index);
	pthread_setname_np(pthread_self(), name);
	vcpu_self_run = v->run;
	for (;;) {
		__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
		if (!vcpu_wait_runnable(v))
			break;
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			log_err("vcpu%u: KVM_RUN: %m", v->index);
			vm_request_stop(v->vm, VM_STOP_ERROR, "KVM_RUN failed");
			break;
		}
		if (!vcpu_handle_exit(v))
			break;
	}
	return NULL;
}

int vcpu_start_all(struct vm *vm)
{
	pthread_attr_t attr;
	sigset_t kick, old;
	int rc = 0;

	/* vCPU threads take SIG_KICK; everything else goes to the loop. */
	sigfillset(&kick);
	sigdelset(&kick, SIG_KICK);
	pthread_sigmask(SIG_SETMASK, &kick, &old);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, VCPU_STACK);
	for (unsigned int i = 0; i < vm->cfg.vcpus && rc == 0; i++) {
		rc = -pthread_create(&vm->vcpus[i].thread, &attr, vcpu_thread,
				     &vm->vcpus[i]);
		vm->vcpus[i].started = rc == 0;
		if (rc == 0) {
			/* xvmd finds vCPU threads by this name (vcpupin,
			 * vcpuinfo): /proc/PID/task/TID/comm = "vcpuN". */
			char name[16];

			snprintf(name, sizeof(name), "vcpu%u", i);
			pthread_setname_np(vm->vcpus[i].thread, name);
		}
	}
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	/* The threads already started run the guest: without a stop
	 * request they would never end and the caller's join would hang. */
	if (rc < 0)
		vm_request_stop(vm, VM_STOP_ERROR, "cannot start vCPU threads");
	return rc;
}

void vcpu_kick_all(struct vm *vm)
{
	for (unsigned int i = 0; vm->vcpus && i < vm->cfg.vcpus; i++)
		if (vm->vcpus[i].started)
			pthread_kill(vm->vcpus[i].thread, SIG_KICK);
}

void vcpu_join_all(struct vm *vm)
{
	struct core *c = core_of(vm);

	pthread_mutex_lock(&c->run_lock);
	pthread_cond_broadcast(&c->run_cond);
	pthread_mutex_unlock(&c->run_lock);
	vcpu_kick_all(vm);
	for (unsigned int i = 0; vm->vcpus && i < vm->cfg.vcpus; i++) {
		if (!vm->vcpus[i].started)
			continue;
		pthread_join(vm->vcpus[i].thread, NULL);
		vm->vcpus[i].started = false;
	}
}

void vcpu_destroy_all(struct vm *vm)
{
	struct core *c = core_of(vm);

	for (unsigned int i = 0; vm->vcpus && i < vm->cfg.vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (v->run)
			munmap(v->run, (size_t)c->vcpu_mmap_size);
		if (v->fd >= 0)
			close(v->fd);
	}
	free(vm->vcpus);
	vm->vcpus = NULL;
}

/* Stop every vCPU and wait (up to 2 s) until all are parked, so the
 * caller sees a still guest. 0, -EALREADY, or -ETIMEDOUT. */
int vcpu_pause_all(struct vm *vm)
{
	struct core *c = core_of(vm);
	struct timespec dl;
	int rc = 0;

	pthread_mutex_lock(&c->run_lock);
	if (c->paused) {
		pthread_mutex_unlock(&c->run_lock);
		return -EALREADY;
	}
	c->paused = true;
	pthread_mutex_unlock(&c->run_lock);
	vcpu_kick_all(vm);
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 2;
	pthread_mutex_lock(&c->run_lock);
	while (c->nr_parked < vm->cfg.vcpus && rc == 0 && !vcpu_stopping(vm))
		rc = -pthread_cond_timedwait(&c->run_cond, &c->run_lock, &dl);
	pthread_mutex_unlock(&c->run_lock);
	return rc;
}

void vcpu_resume_all(struct vm *vm)
{
	struct core *c = core_of(vm);

	pthread_mutex_lock(&c->run_lock);
	c->paused = false;
	pthread_cond_broadcast(&c->run_cond);
	pthread_mutex_unlock(&c->run_lock);
}

enum core_state vm_state(struct vm *vm)
{
	struct core *c = core_of(vm);
	enum core_state st;

	pthread_mutex_lock(&c->run_lock);
	st = c->paused ? CORE_PAUSED :
	     c->shutdown_pressed ? CORE_SHUTDOWN : CORE_RUNNING;
	pthread_mutex_unlock(&c->run_lock);
	return st;
}
