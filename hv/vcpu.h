/*
 * hv vCPUs: one thread per vCPU running KVM_RUN and handling its exits
 * (vcpu.c). Private to the core; devices never see a struct vcpu.
 */
#ifndef HV_VCPU_H
#define HV_VCPU_H

#include <pthread.h>
#include <linux/kvm.h>
#include "vm.h"

struct vcpu {
	struct vm *vm;
	unsigned int index;	/* also its APIC id */
	int fd;
	struct kvm_run *run;	/* shared with KVM (mmap of fd) */
	pthread_t thread;
	bool started;
};

/* Log the vCPU's registers (at LL_ERR) after a fatal exit. */
void vcpu_dump(struct vcpu *v);

#endif
