/*
 * The VM object: the KVM VM and its guest RAM, the port/MMIO dispatch
 * table device models claim ranges in, interrupt lines, MSI routes and
 * eventfds, the event loop and the stop request. Implements vm.h's
 * "guest memory", "I/O dispatch", "interrupts", "event loop" and
 * "lifecycle" parts; io_* and vm_gpa work on a hand-built struct vm
 * without KVM (unit tests).
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include "xvm/log.h"
#include "core.h"

/* ---- guest memory ---- */

void *vm_gpa(struct vm *vm, uint64_t gpa, uint64_t len)
{
	for (unsigned int i = 0; i < vm->nr_mem; i++) {
		const struct vm_mem_region *r = &vm->mem[i];
		uint64_t off;

		if (gpa < r->gpa || gpa - r->gpa >= r->size)
			continue;
		off = gpa - r->gpa;
		if (len > r->size - off)
			return NULL;	/* runs past the region (or wraps) */
		return r->hva + off;
	}
	return NULL;
}

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE		25	/* Linux 6.1 */
#endif
#define VM_HUGE_SIZE		(2ULL << 20)
#define VM_HUGE_DONE		0xff
#define VM_HUGE_TRIES		4

/* Guest RAM mapped at a 2 MiB boundary, so that each 2 MiB of the memfd
 * can be one huge page for the kernel and for KVM: a larger reservation,
 * the file over it, the rest given back. */
static uint8_t *vm_mem_map(int fd, uint64_t total)
{
	uint8_t *resv, *hva;
	uintptr_t at;

	resv = mmap(NULL, total + VM_HUGE_SIZE, PROT_NONE, MAP_PRIVATE |
		    MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (resv == MAP_FAILED)
		return MAP_FAILED;
	at = ((uintptr_t)resv + VM_HUGE_SIZE - 1) & ~(uintptr_t)(VM_HUGE_SIZE - 1);
	hva = mmap((void *)at, total, PROT_READ | PROT_WRITE, MAP_SHARED |
		   MAP_NORESERVE | MAP_FIXED, fd, 0);
	if (hva == MAP_FAILED) {
		munmap(resv, total + VM_HUGE_SIZE);
		return MAP_FAILED;
	}
	if (hva > resv)
		munmap(resv, (size_t)(hva - resv));
	if (resv + total + VM_HUGE_SIZE > hva + total)
		munmap(hva + total, (size_t)(resv + VM_HUGE_SIZE - hva));
	return hva;
}

void vm_mem_want_huge(struct vm *vm, const void *hva, uint64_t len)
{
	const uint8_t *base = vm->nr_mem ? vm->mem[0].hva : NULL;
	const uint8_t *p = hva;
	uint64_t first, last;

	if (!vm->huge || !len || p < base || p - base >= (ptrdiff_t)vm->mem_size)
		return;
	first = (uint64_t)(p - base) / VM_HUGE_SIZE;
	last = MIN((uint64_t)(p - base) + len - 1, vm->mem_size - 1) /
	       VM_HUGE_SIZE;
	for (uint64_t i = first; i <= last; i++) {
		if (vm->huge[i] >= VM_HUGE_TRIES ||
		    (i + 1) * VM_HUGE_SIZE > vm->mem_size)
			continue;	/* done, given up, or a partial piece */
		if (madvise((uint8_t *)base + i * VM_HUGE_SIZE, VM_HUGE_SIZE,
			    MADV_COLLAPSE) == 0)
			vm->huge[i] = VM_HUGE_DONE;
		else
			vm->huge[i]++;	/* pages pinned by I/O, none yet, ... */
	}
}

/* Guest RAM is one memfd (vswitchd maps it for vhost-user): low RAM at
 * offset 0 mapped at GPA 0, the rest at offset MEM_LOW_END mapped at
 * MEM_HIGH_BASE. */
int vm_mem_create(struct vm *vm)
{
	uint64_t total = vm->cfg.mem_mib << 20;
	uint64_t low = MIN(total, MEM_LOW_END);
	uint8_t *hva = MAP_FAILED;
	int fd, rc;

	fd = memfd_create("hv-guest-ram", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)total) < 0)
		goto fail;
	hva = vm_mem_map(fd, total);
	if (hva == MAP_FAILED)
		goto fail;
	/* no memory for it: pieces are never asked to be huge */
	vm->huge = calloc((size_t)(total / VM_HUGE_SIZE) + 1, 1);
	vm->mem_fd = fd;
	vm->mem_size = total;
	vm->mem[0] = (struct vm_mem_region){ 0, low, 0, hva };
	vm->nr_mem = 1;
	if (total > low) {
		vm->mem[1] = (struct vm_mem_region){ MEM_HIGH_BASE, total - low,
						     low, hva + low };
		vm->nr_mem = 2;
	}
	for (unsigned int i = 0; i < vm->nr_mem; i++) {
		struct kvm_userspace_memory_region kr = {
			.slot = i,
			.guest_phys_addr = vm->mem[i].gpa,
			.memory_size = vm->mem[i].size,
			.userspace_addr = (uintptr_t)vm->mem[i].hva,
		};
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &kr) < 0)
			goto fail;
	}
	return 0;
fail:
	rc = -errno;
	if (hva != MAP_FAILED)
		munmap(hva, total);
	free(vm->huge);
	vm->huge = NULL;
	close(fd);
	vm->mem_fd = -1;
	vm->nr_mem = 0;
	return rc;
}

/* ---- I/O dispatch ---- */

static struct io_range **io_table(struct vm *vm, enum io_space space,
				  unsigned int **nr)
{
	*nr = space == IO_SPACE_PIO ? &vm->nr_pio : &vm->nr_mmio;
	return space == IO_SPACE_PIO ? &vm->pio : &vm->mmio;
}

/* Index of the first range whose end is above addr (binary search). */
static unsigned int io_lower_bound(const struct io_range *t, unsigned int n,
				   uint64_t addr)
{
	unsigned int lo = 0, hi = n;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (t[mid].base + t[mid].len <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int io_register(struct vm *vm, enum io_space space, uint64_t base,
		uint64_t len, const struct io_ops *ops, void *opaque,
		const char *name)
{
	unsigned int *nr;
	struct io_range **tp = io_table(vm, space, &nr), *t;
	unsigned int i;

	if (len == 0 || base + len < base || !ops ||
	    (space == IO_SPACE_PIO && base + len > 0x10000))
		return -EINVAL;
	i = io_lower_bound(*tp, *nr, base);
	if (i < *nr && (*tp)[i].base < base + len) {
		log_warn("io: %s [%#llx+%#llx] overlaps %s", name ? name : "?",
			 (unsigned long long)base, (unsigned long long)len,
			 (*tp)[i].name ? (*tp)[i].name : "?");
		return -EBUSY;
	}
	t = realloc(*tp, (*nr + 1) * sizeof(*t));
	if (!t)
		return -ENOMEM;
	memmove(&t[i + 1], &t[i], (*nr - i) * sizeof(*t));
	t[i] = (struct io_range){ base, len, ops, opaque, name };
	*tp = t;
	(*nr)++;
	return 0;
}

int io_unregister(struct vm *vm, enum io_space space, uint64_t base)
{
	unsigned int *nr;
	struct io_range **tp = io_table(vm, space, &nr);
	unsigned int i = io_lower_bound(*tp, *nr, base);

	if (i >= *nr || (*tp)[i].base != base)
		return -ENOENT;
	memmove(&(*tp)[i], &(*tp)[i + 1], (*nr - i - 1) * sizeof(**tp));
	(*nr)--;
	return 0;
}

static uint64_t io_mask(unsigned int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

/* Unclaimed accesses are normal (probing), so the log is rate limited;
 * the state is only touched with dev_lock held. */
static struct log_ratelimit io_unclaimed_rl = LOG_RATELIMIT_INIT(5000, 10);

int io_dispatch(struct vm *vm, enum io_space space, uint64_t addr,
		unsigned int size, bool is_write, uint64_t *val)
{
	unsigned int *nr;
	struct io_range **tp = io_table(vm, space, &nr);
	const struct io_range *r = NULL;
	unsigned int i;
	int rc = 0;

	if (size == 0 || size > 8)
		return -EINVAL;
	pthread_mutex_lock(&vm->dev_lock);
	i = io_lower_bound(*tp, *nr, addr);
	if (i < *nr && (*tp)[i].base <= addr &&
	    addr - (*tp)[i].base + size <= (*tp)[i].len)
		r = &(*tp)[i];
	if (!r) {
		log_ratelimited(&io_unclaimed_rl, LL_DEBUG,
				"io: unclaimed %s %s %#llx size %u",
				space == IO_SPACE_PIO ? "port" : "mmio",
				is_write ? "write" : "read",
				(unsigned long long)addr, size);
		if (!is_write)
			*val = io_mask(size);
		rc = -ENOENT;
	} else if (is_write) {
		if (r->ops->write)
			r->ops->write(r->opaque, addr - r->base, size,
				      *val & io_mask(size));
	} else {
		*val = r->ops->read ? r->ops->read(r->opaque, addr - r->base,
						   size) & io_mask(size)
				    : io_mask(size);
	}
	pthread_mutex_unlock(&vm->dev_lock);
	return rc;
}

/* ---- interrupts and eventfds ---- */

int vm_irq_line(struct vm *vm, unsigned int gsi, int level)
{
	struct kvm_irq_level il = { .irq = gsi, .level = level ? 1 : 0 };

	if (gsi >= HV_GSI_LEGACY)
		return -EINVAL;
	if (vm->vm_fd < 0)
		return -ENODEV;
	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &il) < 0)
		return -errno;
	return 0;
}

static struct kvm_irq_routing_entry route_irqchip(uint32_t gsi,
						  uint32_t chip, uint32_t pin)
{
	struct kvm_irq_routing_entry e = {
		.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
	};

	e.u.irqchip.irqchip = chip;
	e.u.irqchip.pin = pin;
	return e;
}

/* The routes KVM installs by default with KVM_CREATE_IRQCHIP (ISA IRQs
 * 0-15 to both the PICs and the IOAPIC, 16-23 to the IOAPIC only);
 * KVM_SET_GSI_ROUTING replaces the whole table, so ours starts with them. */
static int route_defaults(struct core *c)
{
	c->routes = calloc(HV_ROUTES_MAX, sizeof(*c->routes));
	if (!c->routes)
		return -ENOMEM;
	for (uint32_t gsi = 0; gsi < HV_GSI_LEGACY; gsi++) {
		if (gsi < 16)
			c->routes[c->nr_routes++] = route_irqchip(gsi,
				gsi < 8 ? KVM_IRQCHIP_PIC_MASTER :
					  KVM_IRQCHIP_PIC_SLAVE, gsi % 8);
		c->routes[c->nr_routes++] = route_irqchip(gsi,
						KVM_IRQCHIP_IOAPIC, gsi);
		c->gsi_used[gsi / 8] |= 1u << (gsi % 8);
	}
	return 0;
}

static int route_commit(struct vm *vm, struct core *c)
{
	size_t sz = sizeof(struct kvm_irq_routing) +
		    c->nr_routes * sizeof(struct kvm_irq_routing_entry);
	struct kvm_irq_routing *r = malloc(sz);
	int rc = 0;

	if (!r)
		return -ENOMEM;
	r->nr = c->nr_routes;
	r->flags = 0;
	memcpy(r->entries, c->routes, c->nr_routes * sizeof(*c->routes));
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, r) < 0)
		rc = -errno;
	free(r);
	return rc;
}

static struct kvm_irq_routing_entry *route_find(struct core *c, int gsi)
{
	for (unsigned int i = 0; i < c->nr_routes; i++)
		if (c->routes[i].gsi == (uint32_t)gsi &&
		    c->routes[i].type == KVM_IRQ_ROUTING_MSI)
			return &c->routes[i];
	return NULL;
}

static void route_set_msi(struct kvm_irq_routing_entry *e, uint64_t addr,
			  uint32_t data)
{
	e->u.msi.address_lo = (uint32_t)addr;
	e->u.msi.address_hi = (uint32_t)(addr >> 32);
	e->u.msi.data = data;
}

static int route_alloc_gsi(struct core *c)
{
	for (int gsi = HV_GSI_LEGACY; gsi < HV_ROUTES_MAX; gsi++)
		if (!(c->gsi_used[gsi / 8] & (1u << (gsi % 8))))
			return gsi;
	return -ENOSPC;
}

static void route_remove(struct core *c, int gsi)
{
	for (unsigned int i = 0; i < c->nr_routes; i++) {
		if (c->routes[i].gsi != (uint32_t)gsi)
			continue;
		c->routes[i] = c->routes[--c->nr_routes];
		break;
	}
	c->gsi_used[gsi / 8] &= ~(1u << (gsi % 8));
}

static int irqfd(struct vm *vm, int efd, int gsi, bool assign)
{
	struct kvm_irqfd f = {
		.fd = (uint32_t)efd, .gsi = (uint32_t)gsi,
		.flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};

	return ioctl(vm->vm_fd, KVM_IRQFD, &f) < 0 ? -errno : 0;
}

int vm_msi_irqfd_bind(struct vm *vm, int efd, uint64_t addr, uint32_t data)
{
	struct core *c = core_of(vm);
	struct kvm_irq_routing_entry e = { .type = KVM_IRQ_ROUTING_MSI };
	int gsi, rc;

	if (!c || vm->vm_fd < 0)
		return -ENODEV;
	if (efd < 0)
		return -EBADF;
	pthread_mutex_lock(&c->route_lock);
	gsi = rc = route_alloc_gsi(c);
	if (rc < 0 || c->nr_routes >= HV_ROUTES_MAX)
		goto fail;
	e.gsi = (uint32_t)gsi;
	route_set_msi(&e, addr, data);
	c->routes[c->nr_routes++] = e;
	c->gsi_used[gsi / 8] |= 1u << (gsi % 8);
	rc = route_commit(vm, c);
	if (rc == 0)
		rc = irqfd(vm, efd, gsi, true);
	if (rc < 0) {
		route_remove(c, gsi);
		route_commit(vm, c);
		goto fail;
	}
	pthread_mutex_unlock(&c->route_lock);
	return gsi;
fail:
	pthread_mutex_unlock(&c->route_lock);
	return rc < 0 ? rc : -ENOSPC;
}

int vm_msi_irqfd_update(struct vm *vm, int gsi, uint64_t addr, uint32_t data)
{
	struct core *c = core_of(vm);
	struct kvm_irq_routing_entry *e;
	int rc = -ENOENT;

	if (!c || vm->vm_fd < 0)
		return -ENODEV;
	pthread_mutex_lock(&c->route_lock);
	e = route_find(c, gsi);
	if (e) {
		route_set_msi(e, addr, data);
		rc = route_commit(vm, c);
	}
	pthread_mutex_unlock(&c->route_lock);
	return rc;
}

int vm_msi_irqfd_unbind(struct vm *vm, int gsi, int efd)
{
	struct core *c = core_of(vm);
	int rc;

	if (!c || vm->vm_fd < 0)
		return -ENODEV;
	pthread_mutex_lock(&c->route_lock);
	if (!route_find(c, gsi)) {
		rc = -ENOENT;
		goto out;
	}
	rc = irqfd(vm, efd, gsi, false);
	route_remove(c, gsi);
	if (route_commit(vm, c) < 0 && rc == 0)
		rc = -EIO;
out:
	pthread_mutex_unlock(&c->route_lock);
	return rc;
}

int vm_signal_msi(struct vm *vm, uint64_t addr, uint32_t data)
{
	struct kvm_msi msi = {
		.address_lo = (uint32_t)addr,
		.address_hi = (uint32_t)(addr >> 32),
		.data = data,
	};

	if (vm->vm_fd < 0)
		return -ENODEV;
	/* 0: the guest blocked it (masked); > 0 delivered; < 0 error. */
	return ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0 ? -errno : 0;
}

int vm_ioeventfd(struct vm *vm, enum io_space space, uint64_t addr,
		 unsigned int len, int efd, bool assign)
{
	struct kvm_ioeventfd io = {
		.addr = addr, .len = len, .fd = efd,
	};

	if (len != 0 && len != 1 && len != 2 && len != 4 && len != 8)
		return -EINVAL;
	if (space == IO_SPACE_PIO && (len == 0 || addr + len > 0x10000))
		return -EINVAL;
	if (vm->vm_fd < 0)
		return -ENODEV;
	if (space == IO_SPACE_PIO)
		io.flags |= KVM_IOEVENTFD_FLAG_PIO;
	if (!assign)
		io.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
	return ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0 ? -errno : 0;
}

/* ---- devices, lifecycle ---- */

int vm_register_device(struct vm *vm, const struct hv_device_ops *ops,
		       void *dev)
{
	if (!ops || !ops->name)
		return -EINVAL;
	if (vm->nr_devs >= ARRAY_SIZE(vm->devs))
		return -ENOSPC;
	vm->devs[vm->nr_devs].ops = ops;
	vm->devs[vm->nr_devs].dev = dev;
	vm->nr_devs++;
	return 0;
}

static const char *stop_event_name(enum vm_stop reason)
{
	switch (reason) {
	case VM_STOP_POWEROFF:	return "poweroff";
	case VM_STOP_REBOOT:	return "reboot";
	case VM_STOP_CRASH:	return "crash";
	default:		return "error";
	}
}

void vm_stop_with_event(struct vm *vm, enum vm_stop reason,
			const char *event, const char *why)
{
	int expected = VM_STOP_NONE;
	struct core *c = core_of(vm);
	uint64_t one = 1;

	/* The why text is written by the winner only, before anyone is
	 * told (the eventfd); readers read it after that. */
	if (!__atomic_compare_exchange_n(&vm->stop_reason, &expected, -2,
					 false, __ATOMIC_SEQ_CST,
					 __ATOMIC_SEQ_CST))
		return;
	snprintf(vm->stop_why, sizeof(vm->stop_why), "%s", why ? why : "");
	if (c)
		c->stop_event = event;
	__atomic_store_n(&vm->stop_reason, (int)reason, __ATOMIC_SEQ_CST);
	log_info("vm %s: stop requested (%s): %s", vm->cfg.name, event,
		 vm->stop_why);
	/* The event loop wakes up, kicks the vCPUs out and tears down. */
	if (c && c->stop_efd >= 0 && write(c->stop_efd, &one, sizeof(one)) < 0)
		log_warn("vm: stop eventfd: %m");
}

void vm_request_stop(struct vm *vm, enum vm_stop reason, const char *why)
{
	vm_stop_with_event(vm, reason, stop_event_name(reason), why);
}

/* ---- event loop ---- */

static int watch_add(struct vm *vm, int fd, bool core_fd,
		     void (*cb)(void *opaque), void *opaque)
{
	struct core *c = core_of(vm);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)fd };
	struct vm_fdwatch *w;
	int rc = 0;

	if (!c)
		return -ENODEV;
	if (fd < 0 || !cb)
		return -EINVAL;
	pthread_mutex_lock(&c->watch_lock);
	for (unsigned int i = 0; i < c->nr_watches; i++)
		if (c->watches[i].fd == fd) {
			rc = -EEXIST;
			goto out;
		}
	w = realloc(c->watches, (c->nr_watches + 1) * sizeof(*w));
	if (!w) {
		rc = -ENOMEM;
		goto out;
	}
	c->watches = w;
	if (epoll_ctl(c->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		rc = -errno;
		goto out;
	}
	w[c->nr_watches++] = (struct vm_fdwatch){ fd, core_fd, cb, opaque };
out:
	pthread_mutex_unlock(&c->watch_lock);
	return rc;
}

int vm_watch_fd(struct vm *vm, int fd, void (*cb)(void *opaque), void *opaque)
{
	return watch_add(vm, fd, false, cb, opaque);
}

int vm_watch_core_fd(struct vm *vm, int fd, void (*cb)(void *opaque),
		     void *opaque)
{
	return watch_add(vm, fd, true, cb, opaque);
}

void vm_unwatch_fd(struct vm *vm, int fd)
{
	struct core *c = core_of(vm);

	if (!c)
		return;
	pthread_mutex_lock(&c->watch_lock);
	for (unsigned int i = 0; i < c->nr_watches; i++) {
		if (c->watches[i].fd != fd)
			continue;
		epoll_ctl(c->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
		c->watches[i] = c->watches[--c->nr_watches];
		break;
	}
	pthread_mutex_unlock(&c->watch_lock);
}

/* Look the fd up again at dispatch time: a callback may have unwatched
 * (and closed) another fd reported by the same epoll_wait. */
static bool watch_lookup(struct core *c, int fd, struct vm_fdwatch *out)
{
	bool found = false;

	pthread_mutex_lock(&c->watch_lock);
	for (unsigned int i = 0; i < c->nr_watches; i++)
		if (c->watches[i].fd == fd) {
			*out = c->watches[i];
			found = true;
			break;
		}
	pthread_mutex_unlock(&c->watch_lock);
	return found;
}

static void watch_dispatch(struct vm *vm, int fd)
{
	struct core *c = core_of(vm);
	struct vm_fdwatch w;

	if (!watch_lookup(c, fd, &w))
		return;
	if (w.core) {
		w.cb(w.opaque);
		return;
	}
	pthread_mutex_lock(&vm->dev_lock);
	if (watch_lookup(c, fd, &w))
		w.cb(w.opaque);
	pthread_mutex_unlock(&vm->dev_lock);
}

int vm_loop_run(struct vm *vm)
{
	struct core *c = core_of(vm);
	struct epoll_event ev[16];

	for (;;) {
		int n = epoll_wait(c->epoll_fd, ev, ARRAY_SIZE(ev), -1);

		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n; i++) {
			int fd = (int)ev[i].data.u64;

			if (fd == c->stop_efd)
				return 0;
			watch_dispatch(vm, fd);
		}
		if (__atomic_load_n(&vm->stop_reason, __ATOMIC_SEQ_CST) !=
		    VM_STOP_NONE)
			return 0;
	}
}

/* ---- KVM and core set-up ---- */

int vm_kvm_open(struct vm *vm)
{
	int v;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return -errno;
	v = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION) {
		log_err("kvm: API version %d, need %d", v, KVM_API_VERSION);
		return -ENOTSUP;
	}
	/* KVM_CREATE_VM can be interrupted (EINTR) while KVM sets the VM
	 * up; QEMU asks again too. Bounded: a signal storm ends it. */
	for (int i = 0; i < 100; i++) {
		vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
		if (vm->vm_fd >= 0 || errno != EINTR)
			break;
	}
	if (vm->vm_fd < 0)
		return -errno;
	return 0;
}

/* The x86 bits KVM needs before vCPUs exist: the TSS and identity-map
 * pages (just below the BIOS area, unused by RAM since MEM_LOW_END is
 * below them), the in-kernel PIC/IOAPIC/LAPIC and the PIT. */
int vm_kvm_setup(struct vm *vm)
{
	uint64_t ident = 0xfeffc000;
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident) < 0 ||
	    ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, 0xfeffd000UL) < 0 ||
	    ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0 ||
	    ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return -errno;
	return 0;
}

int vm_core_init(struct vm *vm)
{
	struct core *c = calloc(1, sizeof(*c));
	struct epoll_event ev = { .events = EPOLLIN };

	if (!c)
		return -ENOMEM;
	c->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	c->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pthread_mutex_init(&c->watch_lock, NULL);
	pthread_mutex_init(&c->route_lock, NULL);
	pthread_mutex_init(&c->run_lock, NULL);
	pthread_cond_init(&c->run_cond, NULL);
	c->mig_params.downtime_ms = MIG_DOWNTIME_DEFAULT_MS;
	vm->core = c;
	if (c->epoll_fd < 0 || c->stop_efd < 0)
		return -errno;
	ev.data.u64 = (uint64_t)c->stop_efd;
	if (epoll_ctl(c->epoll_fd, EPOLL_CTL_ADD, c->stop_efd, &ev) < 0)
		return -errno;
	return route_defaults(c);
}

void vm_core_fini(struct vm *vm)
{
	struct core *c = core_of(vm);

	if (!c)
		return;
	if (c->epoll_fd >= 0)
		close(c->epoll_fd);
	if (c->stop_efd >= 0)
		close(c->stop_efd);
	free(c->watches);
	free(c->routes);
	free(c->cpuid);
	free(c);
	vm->core = NULL;
}

void vm_destroy(struct vm *vm)
{
	if (vm->nr_mem)
		munmap(vm->mem[0].hva, vm->mem_size);
	vm->nr_mem = 0;
	free(vm->huge);
	vm->huge = NULL;
	if (vm->mem_fd >= 0)
		close(vm->mem_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm->mem_fd = vm->vm_fd = vm->kvm_fd = -1;
	free(vm->pio);
	free(vm->mmio);
	vm->pio = vm->mmio = NULL;
	vm->nr_pio = vm->nr_mmio = 0;
	vm_core_fini(vm);
}
