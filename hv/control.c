/*
 * hv's control socket (--control PATH): JSON-lines RPC (include/xvm/rpc.h)
 * served on the event-loop thread, without dev_lock. Methods:
 *   status   -> {name, uuid, state, vcpus, memory_mib, console, pid}
 *   pause, resume, shutdown (ACPI power button), reset (exit 10),
 *   destroy (stop at once, exit 0),
 *   save {path, offset} -> {bytes}: the VM state stream into a file
 *   (migrate.c), then hv stops with reason "saved" and exits 0
 *   blkstats -> {disks: [{path, rd_req, rd_bytes, rd_ns, wr_req, wr_bytes,
 *   wr_ns, fl_req, fl_ns, errors}]}: each --disk's I/O counters, in
 *   --disk order
 *   migrate {uri[, downtime_ms, bandwidth_mib]} -> {rounds, pages,
 *   final_pages, bytes, round_pages, hv_pages}: live migration to an hv
 *   started with --incoming, answered when it ends (the sender runs on
 *   its own thread, migrate_job.c); then hv stops with reason
 *   "migrated" and exits 0
 *   migrate.set {downtime_ms, bandwidth_mib}, migrate.info,
 *   migrate.cancel: the user's controls (migrate_job.c)
 *   nic.add, nic.remove, nic.list: NIC hot-plug (hotplug.c)
 * Every state change is sent to connected clients as
 *   {"event":"state","data":{"state":S,"reason":R}}
 * ending with state "shutoff" and the stop reason ("poweroff", "reboot",
 * "crash", "destroyed") just before the socket closes.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include "xvm/log.h"
#include "xvm/rpc.h"
#include "core.h"
#include "dev.h"
#include "migrate.h"

struct control {
	struct rpc_server *srv;
};

static const char *state_name(enum core_state st)
{
	switch (st) {
	case CORE_PAUSED:	return "paused";
	case CORE_SHUTDOWN:	return "shutdown";
	default:		return "running";
	}
}

void control_emit_state(struct vm *vm, const char *state, const char *reason)
{
	struct control *ctl = core_of(vm) ? core_of(vm)->control : NULL;

	if (!ctl)
		return;
	rpc_server_emit(ctl->srv, "state", json_pack("{s:s, s:s}", "state",
						     state, "reason", reason));
}

static int ctl_status(void *ctx, struct rpc_conn *conn, json_t *params,
		      json_t **result, struct rpc_error *err)
{
	struct vm *vm = ctx;
	const char *pty = console_pty_path(vm);

	(void)conn;
	(void)params;
	*result = json_pack("{s:s, s:s, s:s, s:i, s:I, s:o, s:i}",
			    "name", vm->cfg.name, "uuid", vm->cfg.uuid,
			    "state", state_name(vm_state(vm)),
			    "vcpus", (int)vm->cfg.vcpus,
			    "memory_mib", (json_int_t)vm->cfg.mem_mib,
			    "console", pty ? json_string(pty) : json_null(),
			    "pid", (int)getpid());
	return *result ? 0 : rpc_errorf(err, ENOMEM, "out of memory");
}

#define CTL_DISKS_MAX	16

static int ctl_blkstats(void *ctx, struct rpc_conn *conn, json_t *params,
			json_t **result, struct rpc_error *err)
{
	struct vm *vm = ctx;
	struct virtio_blk *disks[CTL_DISKS_MAX];
	json_t *arr = json_array();
	unsigned int n;

	(void)conn;
	(void)params;
	if (!arr)
		return rpc_errorf(err, ENOMEM, "out of memory");
	pthread_mutex_lock(&vm->dev_lock);
	n = vm_disks(vm, disks, CTL_DISKS_MAX);
	for (unsigned int i = 0; i < n && i < CTL_DISKS_MAX; i++) {
		struct vblk_stats s;

		virtio_blk_stats(disks[i], &s);
		json_array_append_new(arr, json_pack(
			"{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			"path", virtio_blk_path(disks[i]),
			"rd_req", (json_int_t)s.rd_req,
			"rd_bytes", (json_int_t)s.rd_bytes,
			"rd_ns", (json_int_t)s.rd_ns,
			"wr_req", (json_int_t)s.wr_req,
			"wr_bytes", (json_int_t)s.wr_bytes,
			"wr_ns", (json_int_t)s.wr_ns,
			"fl_req", (json_int_t)s.fl_req,
			"fl_ns", (json_int_t)s.fl_ns,
			"errors", (json_int_t)s.errors));
	}
	pthread_mutex_unlock(&vm->dev_lock);
	if (json_array_size(arr) != (n < CTL_DISKS_MAX ? n : CTL_DISKS_MAX)) {
		json_decref(arr);
		return rpc_errorf(err, ENOMEM, "out of memory");
	}
	*result = json_pack("{s:o}", "disks", arr);
	return *result ? 0 : rpc_errorf(err, ENOMEM, "out of memory");
}

/* A method that changes the run state waits while a migration runs:
 * the sender pauses and resumes the vCPUs itself. */
static int busy_migrating(struct vm *vm, const char *what,
			  struct rpc_error *err)
{
	if (!mig_job_running(vm))
		return 0;
	return rpc_errorf(err, EBUSY, "%s: a migration is running (cancel it "
			  "with migrate.cancel first)", what);
}

static int ctl_pause(void *ctx, struct rpc_conn *conn, json_t *params,
		     json_t **result, struct rpc_error *err)
{
	struct vm *vm = ctx;
	int rc;

	(void)conn;
	(void)params;
	(void)result;
	if (mig_job_running(vm)) {	/* the rest goes at once */
		rc = mig_job_pause(vm);
		if (rc < 0)
			return rpc_errorf(err, -rc, "vCPUs did not stop: %s",
					  strerror(-rc));
		control_emit_state(vm, "paused", "user");
		return 0;
	}
	rc = vcpu_pause_all(vm);
	if (rc == -EALREADY)
		return 0;
	if (rc < 0)
		return rpc_errorf(err, -rc, "vCPUs did not stop: %s",
				  strerror(-rc));
	control_emit_state(vm, "paused", "user");
	return 0;
}

static int ctl_resume(void *ctx, struct rpc_conn *conn, json_t *params,
		      json_t **result, struct rpc_error *err)
{
	struct vm *vm = ctx;
	bool was_paused = vm_state(vm) == CORE_PAUSED;

	(void)conn;
	(void)params;
	(void)result;
	if (busy_migrating(vm, "resume", err) < 0)
		return -EBUSY;
	vcpu_resume_all(vm);
	if (was_paused)
		control_emit_state(vm, state_name(vm_state(vm)), "user");
	return 0;
}

static int ctl_shutdown(void *ctx, struct rpc_conn *conn, json_t *params,
			json_t **result, struct rpc_error *err)
{
	struct vm *vm = ctx;
	struct core *c = core_of(vm);

	(void)conn;
	(void)params;
	(void)result;
	if (vm_state(vm) == CORE_PAUSED)
		return rpc_errorf(err, EBUSY, "domain is paused; resume it first");
	devices_power_button(vm);
	pthread_mutex_lock(&c->run_lock);
	c->shutdown_pressed = true;
	pthread_mutex_unlock(&c->run_lock);
	control_emit_state(vm, "shutdown", "power-button");
	return 0;
}

static int ctl_reset(void *ctx, struct rpc_conn *conn, json_t *params,
		     json_t **result, struct rpc_error *err)
{
	(void)conn;
	(void)params;
	(void)result;
	(void)err;
	vm_stop_with_event(ctx, VM_STOP_REBOOT, "reboot",
			   "reset requested on the control socket");
	return 0;
}

static int ctl_destroy(void *ctx, struct rpc_conn *conn, json_t *params,
		       json_t **result, struct rpc_error *err)
{
	(void)conn;
	(void)params;
	(void)result;
	(void)err;
	vm_stop_with_event(ctx, VM_STOP_POWEROFF, "destroyed",
			   "destroyed on the control socket");
	return 0;
}

/* The domain moves into the file: once the reply is out hv stops (its
 * teardown reports state "shutdown" then "shutoff", reason "saved") and
 * exits 0. On failure the guest goes on as it was. */
static int ctl_save(void *ctx, struct rpc_conn *conn, json_t *params,
		    json_t **result, struct rpc_error *err)
{
	struct vm *vm = ctx;
	json_t *jp = params ? json_object_get(params, "path") : NULL;
	json_t *jo = params ? json_object_get(params, "offset") : NULL;
	uint64_t bytes = 0;
	json_int_t off = 0;
	char msg[512] = "";
	const char *path;
	int rc;

	(void)conn;
	if (!json_is_string(jp) || !*(path = json_string_value(jp)))
		return rpc_errorf(err, EINVAL, "save needs params "
				  "{\"path\": FILE[, \"offset\": N]}");
	if (jo && (!json_is_integer(jo) || (off = json_integer_value(jo)) < 0))
		return rpc_errorf(err, EINVAL, "save: offset must be an "
				  "integer >= 0");
	if (vm_state(vm) == CORE_SHUTDOWN)
		return rpc_errorf(err, EBUSY, "domain is shutting down");
	if ((rc = busy_migrating(vm, "save", err)) < 0)
		return rc;
	if ((rc = hotplug_check_frozen(vm, "save", msg, sizeof(msg))) < 0)
		return rpc_errorf(err, -rc, "%s", msg);
	rc = mig_save_file(vm, path, (uint64_t)off, &bytes, msg, sizeof(msg));
	if (rc < 0)
		return rpc_errorf(err, -rc, "%s", msg);
	*result = json_pack("{s:I}", "bytes", (json_int_t)bytes);
	vm_stop_with_event(vm, VM_STOP_POWEROFF, "saved",
			   "state saved to a file");
	return *result ? 0 : rpc_errorf(err, ENOMEM, "out of memory");
}

/*
 * Test hook (docs/hv.md "Confinement"), served only when hv was started
 * with XVM_TEST_SECCOMP=1 in its environment: makes one system call the
 * seccomp filter forbids, so a test can see hv end with the report.
 * params {"call": C}: "execve" (of a path that does not exist), "mount"
 * (of nothing on a path that does not exist), "socket-packet" (an
 * AF_PACKET socket, closed at once), "kvm-create-vm" (KVM_CREATE_VM on
 * the /dev/kvm fd, the VM closed at once). Without the filter each fails
 * or is undone, and the reply says what the call returned.
 */
static int ctl_debug_forbidden(void *ctx, struct rpc_conn *conn,
			       json_t *params, json_t **result,
			       struct rpc_error *err)
{
	struct vm *vm = ctx;
	json_t *jc = params ? json_object_get(params, "call") : NULL;
	const char *call = json_is_string(jc) ? json_string_value(jc) : "";
	long rc;

	(void)conn;
	if (!strcmp(call, "execve")) {
		char *const argv[] = { "/nonexistent/xvm-forbidden", NULL };

		rc = execve(argv[0], argv, argv + 1);
	} else if (!strcmp(call, "mount")) {
		rc = mount("none", "/nonexistent/xvm-forbidden", "tmpfs", 0,
			   NULL);
	} else if (!strcmp(call, "socket-packet")) {
		rc = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
		if (rc >= 0)
			close((int)rc);
	} else if (!strcmp(call, "kvm-create-vm")) {
		rc = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
		if (rc >= 0)
			close((int)rc);
	} else {
		return rpc_errorf(err, EINVAL, "debug-forbidden-syscall needs "
				  "params {\"call\": \"execve\"|\"mount\"|"
				  "\"socket-packet\"|\"kvm-create-vm\"}");
	}
	*result = json_pack("{s:s, s:i, s:s}", "call", call, "returned",
			    rc < 0 ? -1 : 0, "error",
			    rc < 0 ? strerror(errno) : "");
	return *result ? 0 : rpc_errorf(err, ENOMEM, "out of memory");
}

static const struct rpc_method control_methods[] = {
	{ "status", ctl_status },
	{ "pause", ctl_pause },
	{ "resume", ctl_resume },
	{ "shutdown", ctl_shutdown },
	{ "reset", ctl_reset },
	{ "destroy", ctl_destroy },
	{ "save", ctl_save },
	{ "blkstats", ctl_blkstats },
	{ "migrate", mig_ctl_migrate },
	{ "migrate.set", mig_ctl_set },
	{ "migrate.info", mig_ctl_info },
	{ "migrate.cancel", mig_ctl_cancel },
	{ "nic.add", hotplug_ctl_add },
	{ "nic.remove", hotplug_ctl_remove },
	{ "nic.list", hotplug_ctl_list },
	/* last: served only with XVM_TEST_SECCOMP=1 (see above) */
	{ "debug-forbidden-syscall", ctl_debug_forbidden },
};

static void control_readable(void *opaque)
{
	struct control *ctl = opaque;
	int rc = rpc_server_dispatch(ctl->srv);

	if (rc < 0)
		log_warn("control: dispatch: %s", strerror(-rc));
}

int control_open(struct vm *vm, const char *path)
{
	struct control *ctl = calloc(1, sizeof(*ctl));
	const char *test_hook;
	int rc;

	if (!ctl)
		return -ENOMEM;
	test_hook = getenv("XVM_TEST_SECCOMP");
	ctl->srv = rpc_server_open(path, control_methods,
				   ARRAY_SIZE(control_methods) -
				   !(test_hook && !strcmp(test_hook, "1")), vm);
	if (!ctl->srv) {
		rc = -errno;
		free(ctl);
		return rc;
	}
	rc = vm_watch_core_fd(vm, rpc_server_fd(ctl->srv), control_readable,
			      ctl);
	if (rc < 0) {
		rpc_server_close(ctl->srv);
		free(ctl);
		return rc;
	}
	core_of(vm)->control = ctl;
	return 0;
}

/* Flush what is queued (the final state event) and close. */
void control_close(struct vm *vm)
{
	struct control *ctl = core_of(vm) ? core_of(vm)->control : NULL;

	if (!ctl)
		return;
	hotplug_close(vm);
	vm_unwatch_fd(vm, rpc_server_fd(ctl->srv));
	rpc_server_dispatch(ctl->srv);
	rpc_server_close(ctl->srv);
	free(ctl);
	core_of(vm)->control = NULL;
}
