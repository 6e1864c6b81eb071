/*
 * kvm-probe: can this machine run hv's guests? tests/run asks it whether
 * the KVM scenarios run natively or in the nested test VM (tests/vm/).
 *
 * Opens /dev/kvm, checks the API version (12, the only stable one), creates
 * a VM and one vCPU: the steps hv itself takes first. Exits 0 and prints
 * "kvm: usable (...)" when all work; otherwise exits 1 and prints the step
 * that failed and why, e.g. "kvm: /dev/kvm: No such file or directory".
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int probe_fail(const char *what, int err)
{
	printf("kvm: %s: %s\n", what, strerror(err));
	return 1;
}

static const char *kvm_module(void)
{
	if (access("/sys/module/kvm_pvm", F_OK) == 0)
		return "kvm_pvm";
	if (access("/sys/module/kvm_amd", F_OK) == 0)
		return "kvm_amd";
	if (access("/sys/module/kvm_intel", F_OK) == 0)
		return "kvm_intel";
	return "unknown module";
}

int main(void)
{
	int kvm, vm, vcpu, api;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return probe_fail("/dev/kvm", errno);
	api = ioctl(kvm, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		printf("kvm: API version %d, hv needs %d\n", api, KVM_API_VERSION);
		return 1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return probe_fail("KVM_CREATE_VM", errno);
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return probe_fail("KVM_CREATE_VCPU", errno);
	printf("kvm: usable (API %d, %s)\n", api, kvm_module());
	close(vcpu);
	close(vm);
	close(kvm);
	return 0;
}
