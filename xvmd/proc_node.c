/*
 * Host procedures: nodeinfo, capabilities (virt-install needs a <guest>
 * with a domain type; 'xen', see domxml_format.c), domain capabilities,
 * the CPU map, the security model (none).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include "dom.h"
#include "proc.h"

struct node_cpu {
	char model[32];
	int cpus, mhz;
};

static void node_cpu_info(struct node_cpu *n)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];
	double mhz = 0;

	memset(n, 0, sizeof(*n));
	strcpy(n->model, "x86_64");
	n->cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (n->cpus < 1)
		n->cpus = 1;
	while (f && fgets(line, sizeof(line), f))
		if (!mhz && sscanf(line, "cpu MHz : %lf", &mhz) == 1)
			break;
	if (f)
		fclose(f);
	n->mhz = (int)mhz;
}

/* remote_node_get_info_ret: char model[32] is 32 XDR ints (rpcgen). */
PROC_DECL(proc_node_get_info)
{
	struct node_cpu n;
	struct sysinfo si;
	size_t i;

	if (proc_args_done(c))
		return PROC_DROP;
	node_cpu_info(&n);
	if (sysinfo(&si) < 0)
		memset(&si, 0, sizeof(si));
	for (i = 0; i < sizeof(n.model); i++)
		xdr_put_i32(c->ret, (signed char)n.model[i]);
	xdr_put_u64(c->ret, (uint64_t)si.totalram * si.mem_unit / 1024);
	xdr_put_i32(c->ret, n.cpus);
	xdr_put_i32(c->ret, n.mhz);
	xdr_put_i32(c->ret, 1);		/* nodes */
	xdr_put_i32(c->ret, 1);		/* sockets */
	xdr_put_i32(c->ret, n.cpus);	/* cores */
	xdr_put_i32(c->ret, 1);		/* threads */
	return 0;
}

static void node_caps_guest(FILE *f, const char *os_type)
{
	fprintf(f, "  <guest>\n    <os_type>%s</os_type>\n"
		"    <arch name='x86_64'>\n      <wordsize>64</wordsize>\n"
		"      <emulator>%s</emulator>\n"
		"      <domain type='xen'/>\n    </arch>\n"
		"    <features>\n      <acpi default='on' toggle='no'/>\n"
		"    </features>\n  </guest>\n", os_type, dom_env.hv);
}

PROC_DECL(proc_get_capabilities)
{
	struct node_cpu n;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	if (proc_args_done(c))
		return PROC_DROP;
	node_cpu_info(&n);
	f = open_memstream(&buf, &len);
	if (!f)
		return verr_nomem(&c->err);
	fprintf(f, "<capabilities>\n  <host>\n    <cpu>\n      <arch>x86_64</arch>\n"
		"      <topology sockets='1' dies='1' cores='%d' threads='1'/>\n"
		"    </cpu>\n    <power_management/>\n"
		/* proc_migrate.c: live, hv to hv over tcp */
		"    <migration_features>\n      <live/>\n"
		"      <uri_transports>\n"
		"        <uri_transport>tcp</uri_transport>\n"
		"      </uri_transports>\n    </migration_features>\n"
		"  </host>\n", n.cpus);
	node_caps_guest(f, "xen");
	node_caps_guest(f, "hvm");
	fputs("</capabilities>\n", f);
	rc = fclose(f);
	if (rc == 0)
		xdr_put_string(c->ret, buf);
	free(buf);
	return rc == 0 ? 0 : verr_nomem(&c->err);
}

/* GET_DOMAIN_CAPABILITIES {emulatorbin, arch, machine, virttype; flags}. */
PROC_DECL(proc_get_domain_capabilities)
{
	bool p;
	char *s[4], buf[2048];
	int i, bad = 0;

	for (i = 0; i < 4; i++)
		s[i] = xdr_get_opt_string(c->args, 4096, &p);
	xdr_get_u32(c->args);
	if (proc_args_done(c))
		bad = 1;
	else if (s[1] && strcmp(s[1], "x86_64"))
		bad = 2;
	else if (s[3] && strcmp(s[3], "xen") && strcmp(s[3], "xvm"))
		bad = 3;
	for (i = 0; i < 4; i++)
		free(s[i]);
	if (bad == 1)
		return PROC_DROP;
	if (bad)
		return verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
				"only arch x86_64 and virttype xen (or xvm) are served");
	snprintf(buf, sizeof(buf), "<domainCapabilities>\n  <path>%s</path>\n"
		 "  <domain>xen</domain>\n  <arch>x86_64</arch>\n"
		 "  <vcpu max='%d'/>\n  <os supported='yes'>\n"
		 "    <loader supported='no'/>\n  </os>\n  <devices>\n"
		 "    <disk supported='yes'/>\n    <graphics supported='no'/>\n"
		 "    <video supported='no'/>\n    <hostdev supported='no'/>\n"
		 "  </devices>\n  <features>\n    <gic supported='no'/>\n"
		 "  </features>\n</domainCapabilities>\n", dom_env.hv,
		 DOM_MAX_VCPUS);
	xdr_put_string(c->ret, buf);
	return 0;
}

/* NODE_GET_CPU_MAP {need_map; need_online; flags} -> {cpumap; online; ret}. */
PROC_DECL(proc_node_get_cpu_map)
{
	int32_t need_map = xdr_get_i32(c->args);
	int32_t need_online = xdr_get_i32(c->args);
	int n = (int)sysconf(_SC_NPROCESSORS_CONF), i;
	uint8_t map[128] = { 0 };

	xdr_get_u32(c->args);
	if (proc_args_done(c))
		return PROC_DROP;
	if (n < 1)
		n = 1;
	if (n > (int)sizeof(map) * 8)
		n = sizeof(map) * 8;
	for (i = 0; i < n; i++)
		map[i / 8] |= 1u << (i % 8);
	xdr_put_opaque(c->ret, map, need_map ? (size_t)(n + 7) / 8 : 0);
	xdr_put_u32(c->ret, need_online ? (uint32_t)n : 0);
	xdr_put_i32(c->ret, n);
	return 0;
}

/* No security driver: empty model and DOI. */
PROC_DECL(proc_node_get_security_model)
{
	if (proc_args_done(c))
		return PROC_DROP;
	xdr_put_u32(c->ret, 0);
	xdr_put_u32(c->ret, 0);
	return 0;
}

static const struct proc proc_node_procs[] = {
	{ 6, "NODE_GET_INFO", proc_node_get_info, 0 },
	{ 7, "CONNECT_GET_CAPABILITIES", proc_get_capabilities, 0 },
	{ 122, "NODE_GET_SECURITY_MODEL", proc_node_get_security_model, 0 },
	{ 293, "NODE_GET_CPU_MAP", proc_node_get_cpu_map, 0 },
	{ 342, "CONNECT_GET_DOMAIN_CAPABILITIES",
	  proc_get_domain_capabilities, 0 },
};

const struct proc_group proc_node_group = {
	"node", proc_node_procs, ARRAY_SIZE(proc_node_procs)
};
