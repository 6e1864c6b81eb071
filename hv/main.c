/*
 * hv: the virtual machine monitor for one domain. Parses the command
 * line, checks the kernel, builds the VM (KVM, memory, vCPUs, devices,
 * ACPI tables, boot state), runs the event loop until the guest powers
 * off, reboots or crashes (or is destroyed), tears everything down and
 * exits with the reason (vm.h enum vm_stop): 0 power-off/destroy,
 * 10 reboot, 11 crash, 2 bad arguments or kernel, 1 internal failure.
 */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include "xvm/daemon.h"
#include "xvm/log.h"
#include "boot.h"
#include "confine.h"
#include "core.h"
#include "migrate.h"
#include "vcpu.h"

#define EXIT_USAGE	2

/* The core's options; the devices' follow, one line each. */
static const char usage_text[] =
	"usage: hv --name NAME [--uuid UUID] --memory MiB --vcpus N\n"
	"          --kernel FILE [--initrd FILE] [--cmdline STR]\n"
	"          [--console stdio|pty|file:PATH] [--control PATH] [--paused]\n"
	"          [--restore FILE [--restore-offset N] | --incoming URI]\n"
	"          [--seccomp on|off|log] [--user USER|UID[:GID]]\n"
	"          (--kernel not needed with --restore or --incoming)\n";

static void usage(void)
{
	const char *name, *help;

	fputs(usage_text, stdout);
	for (unsigned int n = 0; (name = devices_option(n, &help)); n++)
		printf("          [--%s %s]...\n", name, help);
}

/* One line on stderr and exit 2 (bad arguments or kernel file). */
static void PRINTF(1, 2) __attribute__((noreturn)) usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("hv: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno == 0 && *end == '\0';
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= sizeof(((struct vm_config *)0)->name))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789._-") == n;
}

static bool valid_uuid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !strchr("0123456789abcdefABCDEF", s[i]))
			return false;
	}
	return true;
}

/* A random (version 4) UUID when none was given. */
static void make_uuid(char out[37])
{
	uint8_t b[16] = {0};

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (uint8_t)(rand() ^ getpid());
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
		 b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static bool valid_console(const char *s)
{
	return strcmp(s, "stdio") == 0 || strcmp(s, "pty") == 0 ||
	       (strncmp(s, "file:", 5) == 0 && s[5] != '\0');
}

static const struct option core_opts[] = {
	{ "name", required_argument, NULL, 'n' },
	{ "uuid", required_argument, NULL, 'u' },
	{ "memory", required_argument, NULL, 'm' },
	{ "vcpus", required_argument, NULL, 'c' },
	{ "kernel", required_argument, NULL, 'k' },
	{ "initrd", required_argument, NULL, 'i' },
	{ "cmdline", required_argument, NULL, 'l' },
	{ "console", required_argument, NULL, 'C' },
	{ "control", required_argument, NULL, 'S' },
	{ "paused", no_argument, NULL, 'P' },
	{ "restore", required_argument, NULL, 'R' },
	{ "restore-offset", required_argument, NULL, 'O' },
	{ "incoming", required_argument, NULL, 'I' },
	{ "seccomp", required_argument, NULL, 'Z' },
	{ "user", required_argument, NULL, 'U' },
	{ "help", no_argument, NULL, 'h' },
};

/* --restore/--restore-offset/--paused (not part of the VM's config). */
static const char *restore_path;
static const char *incoming_uri;
static uint64_t restore_offset;
static bool restore_offset_set;
static bool start_paused;

/* --seccomp, --user (confine.c): applied once the domain is set up */
static struct confine_opts confine = { .seccomp = HV_SECCOMP_ON };
static bool seccomp_set;

/* getopt's value for the device table's n-th option (devices_option). */
#define OPT_DEVICE	0x100

/* The core's options, the devices', then the terminator. */
static struct option long_opts[ARRAY_SIZE(core_opts) + HV_DEV_TYPES_MAX + 1];

static void build_long_opts(void)
{
	const char *name, *help;
	unsigned int i = 0;

	for (; i < ARRAY_SIZE(core_opts); i++)
		long_opts[i] = core_opts[i];
	for (unsigned int n = 0; (name = devices_option(n, &help)); n++)
		long_opts[i++] = (struct option){ name, required_argument,
						  NULL, OPT_DEVICE + (int)n };
	long_opts[i] = (struct option){ NULL, 0, NULL, 0 };
}

static void parse_device_option(struct vm_config *cfg, int opt,
				const char *arg)
{
	char msg[PATH_MAX + 128];

	if (devices_parse_option(cfg, (unsigned int)(opt - OPT_DEVICE), arg,
				 msg, sizeof(msg)) < 0)
		usage_error("%s", msg);
}

static void parse_option(struct vm_config *cfg, int opt, const char *arg)
{
	uint64_t v;

	switch (opt) {
	case 'n':
		if (!valid_name(arg))
			usage_error("--name must be 1-63 characters of "
				    "A-Z a-z 0-9 . _ -");
		snprintf(cfg->name, sizeof(cfg->name), "%s", arg);
		break;
	case 'u':
		if (!valid_uuid(arg))
			usage_error("--uuid must be a UUID "
				    "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
		snprintf(cfg->uuid, sizeof(cfg->uuid), "%s", arg);
		break;
	case 'm':
		if (!parse_u64(arg, &v) || v < 1 || v > HV_MEM_MAX_MIB)
			usage_error("--memory must be between 1 and %llu MiB",
				    (unsigned long long)HV_MEM_MAX_MIB);
		cfg->mem_mib = v;
		break;
	case 'c':
		if (!parse_u64(arg, &v) || v < 1 || v > HV_VCPUS_MAX)
			usage_error("--vcpus must be between 1 and %d",
				    HV_VCPUS_MAX);
		cfg->vcpus = (unsigned int)v;
		break;
	case 'k': cfg->kernel = arg; break;
	case 'i': cfg->initrd = arg; break;
	case 'l':
		if (strlen(arg) >= BOOT_CMDLINE_MAX)
			usage_error("--cmdline must be shorter than %d bytes",
				    BOOT_CMDLINE_MAX);
		cfg->cmdline = arg;
		break;
	case 'C':
		if (!valid_console(arg))
			usage_error("--console must be stdio, pty or file:PATH");
		cfg->console = arg;
		break;
	case 'S': cfg->control = arg; break;
	case 'P': start_paused = true; break;
	case 'R':
		if (!*arg)
			usage_error("--restore needs a file");
		restore_path = arg;
		break;
	case 'I':
		if (strncmp(arg, "unix:", 5) && strncmp(arg, "tcp:", 4))
			usage_error("--incoming must be unix:PATH or "
				    "tcp:ADDR:PORT");
		incoming_uri = arg;
		break;
	case 'Z':
		if (confine_parse_seccomp(arg, &confine.seccomp) < 0)
			usage_error("--seccomp must be on, off or log");
		seccomp_set = true;
		break;
	case 'U': {
		char msg[256];

		if (confine_parse_user(&confine, arg, msg, sizeof(msg)) < 0)
			usage_error("%s", msg);
		break;
	}
	case 'O':
		if (!parse_u64(arg, &v) || v > (uint64_t)INT64_MAX)
			usage_error("--restore-offset must be a byte offset");
		restore_offset = v;
		restore_offset_set = true;
		break;
	default:
		if (opt >= OPT_DEVICE)
			parse_device_option(cfg, opt, arg);
		break;
	}
}

static void parse_args(int argc, char **argv, struct vm_config *cfg)
{
	int opt;

	*cfg = (struct vm_config){ .vcpus = 1, .cmdline = "",
				   .console = "stdio" };
	build_long_opts();
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
		if (opt == 'h') {
			usage();
			exit(0);
		}
		if (opt == '?')
			usage_error("unrecognized option '%s'", argv[optind - 1]);
		if (opt == ':')
			usage_error("option '%s' requires an argument",
				    argv[optind - 1]);
		parse_option(cfg, opt, optarg);
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (!cfg->name[0])
		usage_error("--name is required");
	if (!cfg->mem_mib)
		usage_error("--memory is required");
	if (restore_offset_set && !restore_path)
		usage_error("--restore-offset needs --restore");
	/* The guest is in the saved state: the original --kernel, --initrd
	 * and --cmdline may be given with --restore (a toolstack repeats
	 * the domain's options) and are not used. */
	if (restore_path && incoming_uri)
		usage_error("--restore and --incoming exclude each other");
	if (restore_path || incoming_uri)
		cfg->kernel = cfg->initrd = NULL;
	if (!cfg->kernel && !restore_path && !incoming_uri)
		usage_error("--kernel is required");
	if (!cfg->uuid[0])
		make_uuid(cfg->uuid);
	/* "on where supported": a kernel without seccomp filters runs hv
	 * unfiltered unless --seccomp was given */
	if (!seccomp_set && prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 &&
	    errno == EINVAL) {
		fprintf(stderr, "hv: this kernel has no seccomp: running "
			"without a system call filter\n");
		confine.seccomp = HV_SECCOMP_OFF;
	}
}

/* SIGTERM, SIGINT, SIGHUP: destroy. Read on the loop through a signalfd. */
static int sig_fd = -1;

static void sig_readable(void *opaque)
{
	struct signalfd_siginfo si;

	if (read(sig_fd, &si, sizeof(si)) != sizeof(si))
		return;
	vm_stop_with_event(opaque, VM_STOP_POWEROFF, "destroyed",
			   strsignal((int)si.ssi_signo));
}

static int signals_setup(struct vm *vm)
{
	sig_fd = daemon_signalfd(0, SFD_NONBLOCK);
	if (sig_fd < 0)
		return sig_fd;
	return vm_watch_core_fd(vm, sig_fd, sig_readable, vm);
}

static void vm_init_empty(struct vm *vm, const struct vm_config *cfg)
{
	memset(vm, 0, sizeof(*vm));
	vm->cfg = *cfg;
	vm->kvm_fd = vm->vm_fd = vm->mem_fd = -1;
	vm->stop_reason = VM_STOP_NONE;
	pthread_mutex_init(&vm->dev_lock, NULL);
}

/* Fail with exit 1 naming the step. */
static int step(int rc, const char *what)
{
	if (rc < 0)
		fprintf(stderr, "hv: %s: %s\n", what, strerror(-rc));
	return rc;
}

/* Hold (or release) the vCPUs on run_cond (vcpu.c) before the loop runs. */
static void vm_set_parked(struct vm *vm, bool parked)
{
	struct core *c = core_of(vm);

	pthread_mutex_lock(&c->run_lock);
	c->paused = parked;
	pthread_cond_broadcast(&c->run_cond);
	pthread_mutex_unlock(&c->run_lock);
}

/* Fail with exit 1 and confine.c's message. */
static int confine_step(int rc, const char *msg)
{
	if (rc < 0)
		fprintf(stderr, "hv: confinement: %s\n", msg);
	return rc;
}

static int vm_build(struct vm *vm, const struct boot_image *img, int *status)
{
	char msg[512] = "";
	uint64_t rsdp = 0, run[MIG_RUN_N];
	int rc;

	*status = VM_STOP_ERROR;
	if (step(vm_kvm_open(vm), "/dev/kvm") < 0 ||
	    step(vm_kvm_setup(vm), "KVM set-up") < 0 ||
	    step(vm_core_init(vm), "event loop") < 0 ||
	    step(vm_mem_create(vm), "guest memory") < 0 ||
	    step(cpuid_init(vm), "CPUID") < 0 ||
	    step(vcpu_create_all(vm), "vCPUs") < 0 ||
	    step(console_open(vm, vm->cfg.console), "console") < 0 ||
	    step(devices_create(vm), "devices") < 0)
		return -1;
	if (step(acpi_build(vm, &rsdp), "ACPI tables") < 0)
		return -1;
	/* built now, loaded once the vCPU threads exist: not on an
	 * incoming migration's switch-over */
	if (confine_step(confine_seccomp_prepare(confine.seccomp, msg,
						 sizeof(msg)), msg) < 0)
		return -1;
	if (restore_path) {
		/* the saved guest instead of a kernel: refused (exit 1)
		 * before any vCPU runs if the stream is bad */
		rc = mig_restore_file(vm, restore_path, restore_offset, msg,
				      sizeof(msg));
		if (rc < 0) {
			fprintf(stderr, "hv: cannot restore %s: %s\n",
				restore_path, msg);
			return -1;
		}
		mig_announce(vm);	/* the guest's NICs are on new ports */
	} else if (incoming_uri) {
		rc = mig_incoming(vm, incoming_uri, msg, sizeof(msg));
		if (rc < 0) {
			fprintf(stderr, "hv: incoming migration: %s\n", msg);
			return -1;
		}
		/* the RARP went with the rings' start (mig_incoming asked
		 * for it before the state came): the LAN sends to the new
		 * port while this hv starts the vCPUs, and what it sends
		 * meanwhile waits in the guest's ring instead of being
		 * dropped at the old port */
	} else {
		rc = boot_load(vm, img, rsdp, &vm->vcpus[0], msg,
			       sizeof(msg));
		if (rc < 0) {
			fprintf(stderr, "hv: %s\n", msg);
			*status = EXIT_USAGE;
			return -1;
		}
	}
	/* The vCPUs start parked: no guest instruction runs before the
	 * seccomp filter is on every thread (confine_seccomp_load). */
	vm_set_parked(vm, true);
	/* the marks: where an incoming migration's "guest running" goes */
	run[MIG_RUN_START] = mig_now_ns();
	if ((vm->cfg.control &&
	     step(control_open(vm, vm->cfg.control), vm->cfg.control) < 0) ||
	    step(signals_setup(vm), "signals") < 0)
		return -1;
	run[MIG_RUN_CONTROL] = mig_now_ns();
	if (confine_step(confine_drop_privileges(&confine, msg, sizeof(msg)),
			 msg) < 0)
		return -1;
	run[MIG_RUN_PRIVILEGES] = mig_now_ns();
	if (step(vcpu_start_all(vm), "vCPU threads") < 0)
		return -1;
	run[MIG_RUN_THREADS] = mig_now_ns();
	if (confine_step(confine_seccomp_load(confine.seccomp, true, msg,
					      sizeof(msg)), msg) < 0) {
		vm_request_stop(vm, VM_STOP_ERROR, "confinement failed");
		return -1;
	}
	run[MIG_RUN_SECCOMP] = mig_now_ns();
	if (!start_paused)
		vm_set_parked(vm, false);
	run[MIG_RUN_GO] = mig_now_ns();
	if (incoming_uri)
		mig_incoming_log_times(run);
	return 0;
}

static void vm_teardown(struct vm *vm)
{
	if (vm->vcpus)
		vcpu_join_all(vm);
	if (vm->core) {
		struct core *c = core_of(vm);

		/* save: the domain moved into the file (control.c) */
		if (c->stop_event && (!strcmp(c->stop_event, "saved") ||
				      !strcmp(c->stop_event, "migrated")))
			control_emit_state(vm, "shutdown", c->stop_event);
		control_emit_state(vm, "shutoff",
				   c->stop_event ? c->stop_event : "error");
		control_close(vm);
		if (vm->devices)
			devices_destroy(vm);
		console_close(vm);
	}
	vcpu_destroy_all(vm);
	if (sig_fd >= 0)
		close(sig_fd);
	vm_destroy(vm);
}

/* The exit status for the stop reason, saying why on stderr for the
 * failures (a crash is the guest's, not hv's). */
static int vm_exit_status(struct vm *vm)
{
	int reason = __atomic_load_n(&vm->stop_reason, __ATOMIC_SEQ_CST);

	if (reason == VM_STOP_CRASH)
		fprintf(stderr, "hv: guest crashed: %s\n", vm->stop_why);
	else if (reason == VM_STOP_ERROR)
		fprintf(stderr, "hv: internal error: %s\n", vm->stop_why);
	else if (reason == VM_STOP_REBOOT)
		log_info("hv %s: guest reboot: %s", vm->cfg.name, vm->stop_why);
	return reason < 0 ? VM_STOP_ERROR : reason;
}

int main(int argc, char **argv)
{
	struct vm_config cfg;
	struct boot_image img;
	char msg[512] = "", prog[80];
	struct vm vm;
	int status;

	parse_args(argc, argv, &cfg);
	memset(&img, 0, sizeof(img));
	if (cfg.kernel && boot_open(&img, cfg.kernel, msg, sizeof(msg)) < 0)
		usage_error("%s", msg);
	if (cfg.initrd && access(cfg.initrd, R_OK) < 0)
		usage_error("%s: %s", cfg.initrd, strerror(errno));
	snprintf(prog, sizeof(prog), "hv[%s]", cfg.name);
	log_init(prog, LL_WARN);
	vm_init_empty(&vm, &cfg);
	if (vm_build(&vm, &img, &status) == 0) {
		boot_close(&img);
		if (step(vm_loop_run(&vm), "event loop") < 0)
			vm_request_stop(&vm, VM_STOP_ERROR, "event loop failed");
		mig_job_abort(&vm);	/* stopped while sending: it ends */
		vcpu_join_all(&vm);
		console_flush(&vm);	/* the guest's last words first */
		status = vm_exit_status(&vm);
	} else {
		boot_close(&img);
	}
	vm_teardown(&vm);
	devices_free_options(&cfg);
	return status;
}
