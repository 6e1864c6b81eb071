/*
 * hv core: private declarations shared by the monitor core's files (vm.c,
 * vcpu.c, cpuid.c, boot*.c, console.c, control.c, main.c). Device models
 * use vm.h only; nothing here is part of their contract.
 */
#ifndef HV_CORE_H
#define HV_CORE_H

#include <pthread.h>
#include <linux/kvm.h>
#include "xvm/rpc.h"
#include "migrate.h"
#include "vm.h"

#define HV_VCPUS_MAX		64
#define HV_MEM_MAX_MIB		(1024ULL * 1024)	/* 1 TiB */
#define HV_GSI_LEGACY		24	/* IOAPIC inputs; MSI routes start here */
#define HV_ROUTES_MAX		1024	/* entries in our KVM_SET_GSI_ROUTING table */

/* A claimed I/O range (vm.h io_register). */
struct io_range {
	uint64_t base;
	uint64_t len;
	const struct io_ops *ops;
	void *opaque;
	const char *name;
};

/* A watched fd (vm_watch_fd). Core watches run without dev_lock. */
struct vm_fdwatch {
	int fd;
	bool core;		/* internal: callback runs without dev_lock */
	void (*cb)(void *opaque);
	void *opaque;
};

/* Run states reported by `status` and state events. */
enum core_state {
	CORE_RUNNING,
	CORE_PAUSED,
	CORE_SHUTDOWN,		/* power button pressed, guest not yet off */
};

struct console;
struct control;

/* vm->core: everything the core keeps per VM. */
struct core {
	int epoll_fd;
	int stop_efd;			/* written once a stop is requested */

	pthread_mutex_t watch_lock;	/* watches[]; taken after dev_lock */
	struct vm_fdwatch *watches;
	unsigned int nr_watches;

	pthread_mutex_t route_lock;	/* routes[], gsi_used[] */
	struct kvm_irq_routing_entry *routes;
	unsigned int nr_routes;
	uint8_t gsi_used[HV_ROUTES_MAX / 8];

	/* Pause/resume (vcpu.c): vCPUs park on run_cond while paused. */
	pthread_mutex_t run_lock;
	pthread_cond_t run_cond;
	bool paused;
	unsigned int nr_parked;
	bool shutdown_pressed;

	const char *stop_event;		/* "poweroff", "reboot", "crash", "destroyed" */

	struct kvm_cpuid2 *cpuid;	/* filtered, shared by every vCPU */
	int vcpu_mmap_size;

	struct console *console;
	/* vm_console_set_sink(): called with dev_lock held. */
	void (*console_sink)(void *opaque, const uint8_t *buf, size_t len);
	void *console_sink_opaque;
	struct control *control;
	struct hotplug *hotplug;	/* hotplug.c, made on first use */

	/* Live migration (migrate_job.c): the running outgoing one, and
	 * the user's downtime target and bandwidth limit for the next. */
	struct mig_job *mig_job;
	struct mig_params mig_params;
};

static inline struct core *core_of(struct vm *vm)
{
	return vm->core;
}

/* vm.c */
int vm_kvm_open(struct vm *vm);
int vm_kvm_setup(struct vm *vm);
int vm_core_init(struct vm *vm);
void vm_core_fini(struct vm *vm);
int vm_mem_create(struct vm *vm);
int vm_watch_core_fd(struct vm *vm, int fd, void (*cb)(void *opaque),
		     void *opaque);
/* Run the event loop until a stop is requested. */
int vm_loop_run(struct vm *vm);
/* Like vm_request_stop, naming the event reason ("destroyed"). */
void vm_stop_with_event(struct vm *vm, enum vm_stop reason,
			const char *event, const char *why);
void vm_destroy(struct vm *vm);

/* cpuid.c */
int cpuid_init(struct vm *vm);
int cpuid_set_vcpu(struct vm *vm, int vcpu_fd, unsigned int index);

/* vcpu.c */
int vcpu_create_all(struct vm *vm);
int vcpu_start_all(struct vm *vm);
void vcpu_kick_all(struct vm *vm);
void vcpu_join_all(struct vm *vm);
void vcpu_destroy_all(struct vm *vm);
int vcpu_pause_all(struct vm *vm);
void vcpu_resume_all(struct vm *vm);
enum core_state vm_state(struct vm *vm);

/* boot.c, boot_pvh.c, boot_bzimage.c: see boot.h */

/* console.c */
int console_open(struct vm *vm, const char *spec);
const char *console_pty_path(struct vm *vm);
/* Write out buffered guest output now (before hv reports why it stops). */
void console_flush(struct vm *vm);
void console_close(struct vm *vm);

/* control.c */
int control_open(struct vm *vm, const char *path);
void control_emit_state(struct vm *vm, const char *state, const char *reason);
void control_close(struct vm *vm);

/* ---- hotplug.c: NIC hot-plug methods of the control socket ---- */
struct rpc_conn;
struct rpc_error;
int hotplug_ctl_add(void *ctx, struct rpc_conn *conn, json_t *params,
		    json_t **result, struct rpc_error *err);
int hotplug_ctl_remove(void *ctx, struct rpc_conn *conn, json_t *params,
		       json_t **result, struct rpc_error *err);
int hotplug_ctl_list(void *ctx, struct rpc_conn *conn, json_t *params,
		     json_t **result, struct rpc_error *err);
/* 0 if the device set is hv's command line's and no removal is waiting;
 * else -EOPNOTSUPP or -EBUSY with msg saying why `what` (save, migrate)
 * cannot go on. */
int hotplug_check_frozen(struct vm *vm, const char *what, char *msg,
			 size_t msglen);
/* Answer removals still waiting (hv stops) and free the state. */
void hotplug_close(struct vm *vm);

/* migrate_job.c: the control methods of an outgoing migration (loop
 * thread) and its end when hv stops during one (joins the sender). */
int mig_ctl_migrate(void *ctx, struct rpc_conn *conn, json_t *params,
		    json_t **result, struct rpc_error *err);
int mig_ctl_set(void *ctx, struct rpc_conn *conn, json_t *params,
		json_t **result, struct rpc_error *err);
int mig_ctl_info(void *ctx, struct rpc_conn *conn, json_t *params,
		 json_t **result, struct rpc_error *err);
int mig_ctl_cancel(void *ctx, struct rpc_conn *conn, json_t *params,
		   json_t **result, struct rpc_error *err);
bool mig_job_running(struct vm *vm);
/* pause during a migration: the vCPUs stop now and the sender switches
 * over at its next check (mig_job_user_paused). 0 or -errno. */
int mig_job_pause(struct vm *vm);
void mig_job_abort(struct vm *vm);

#endif
