/*
 * xvm-install: virt-install with the Solaris xVM options (REFERENCE.md
 * "virt-install network options") on libvirt's C API. This header is the
 * part without libvirt: the command line into struct inst_opts
 * (install_opts.c) and struct inst_opts into libvirt domain XML
 * (install_xml.c), both unit-tested; main.c connects, defines and starts.
 */
#ifndef XVM_INSTALL_H
#define XVM_INSTALL_H

#include <limits.h>

#include "xvm/common.h"
#include "xvm/linkprop.h"
#include "xvm/mac.h"

#define INST_MAX_NICS		8	/* xvmd's limit per domain */
#define INST_MAX_VCPUS		64
#define INST_MAX_RAM_MB		(1024u * 1024)	/* 1 TiB */
#define INST_MAX_DISK_GB	(64u * 1024)
#define INST_NAME_MAX		64
#define INST_CMDLINE_MAX	2048
#define INST_ERRLEN		256

struct inst_nic {
	char bridge[LINKNAME_MAX];	/* phys link or etherstub */
	struct mac_addr mac;
	bool has_mac;			/* else xvmd generates one (00:16:3e) */
	uint16_t vid;			/* 1..4094, 0: untagged */
	uint64_t maxbw;			/* bits/s, 0: no cap */
};

enum inst_virt { INST_PV, INST_HVM };

struct inst_opts {
	const char *uri;		/* --connect; NULL: LIBVIRT_DEFAULT_URI */
	char name[INST_NAME_MAX + 1];
	unsigned int ram_mb;
	unsigned int vcpus;		/* default 1 */
	enum inst_virt virt;		/* default paravirt */
	char kernel[PATH_MAX];
	char initrd[PATH_MAX];		/* "" if none */
	char cmdline[INST_CMDLINE_MAX];	/* "" if none */
	char disk[PATH_MAX];		/* -f, "" if none */
	char cdrom[PATH_MAX];		/* -c/--cdrom, "" if none */
	char uuid[37];			/* --uuid, canonical; "" if none */
	char os_type[32], os_variant[64];	/* accepted, not used */
	unsigned int disk_gb;		/* -s: create the file this big */
	char disk_format[8];		/* --disk format=: raw (default),
					 * qcow2, vmdk, vdi, vpc */
	struct inst_nic nics[INST_MAX_NICS];
	unsigned int nnics;
	bool autostart, noautoconsole, nographics;
	bool print_xml;			/* print the XML, define nothing */
	bool dry_run;			/* check everything, create nothing */
	bool noreboot, check_cpu, import;	/* accepted, no effect */
	bool help;			/* -h: print usage, nothing else */
	bool usage_error;		/* the error is about syntax: show usage */
};

/* The usage text (several lines, ending in a newline). */
const char *inst_usage(void);

/*
 * Parse argv into o (cleared first). 0; or -EINVAL with a one-line reason
 * in err (o->usage_error tells whether the usage should follow). Values
 * are checked here: name, sizes, --boot and --network items.
 */
int inst_parse_args(struct inst_opts *o, int argc, char **argv,
		    char err[INST_ERRLEN]);

/* --uuid: 32 hex digits, dashes optional in the 8-4-4-4-12 places; out
 * gets the lower-case 8-4-4-4-12 form. 0 or -EINVAL. */
int inst_parse_uuid(const char *s, char out[37]);

/* One --network value: "mac=M,bridge=LINK,vlanid=N,capped-bandwidth=BW". */
int inst_parse_network(const char *spec, struct inst_nic *nic,
		       char err[INST_ERRLEN]);

/* One --boot value: "kernel=P,initrd=P,cmdline=TEXT". A comma ends a path;
 * it ends the command line only where a known key follows, so cmdline may
 * hold commas ("cmdline=workload=ping,spin ip=10.0.5.2/24"). */
int inst_parse_boot(const char *spec, struct inst_opts *o,
		    char err[INST_ERRLEN]);

/* libvirt KB/s (1000 bytes) for a cap in bits/s, rounded, at least 1. */
uint64_t inst_bw_to_kbytes(uint64_t bps);

/* The domain XML for o (formatdomain: type 'xvm', <os> xen or hvm,
 * <interface type='bridge'> per NIC, a pty console). Caller frees.
 * NULL + errno (ENOMEM). */
char *inst_build_xml(const struct inst_opts *o);

#endif
