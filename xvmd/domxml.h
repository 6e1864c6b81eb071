/*
 * Domain definitions as libvirt domain XML (formatdomain), the subset xvm
 * runs (issue 5 "xvmd"): name, uuid, memory/currentMemory, vcpu (+cpuset),
 * cputune shares/quota/period/vcpupin, os (type xen|hvm, kernel, initrd,
 * cmdline), on_poweroff/on_reboot/on_crash, interface type='bridge' (source
 * bridge, mac, target dev, vlan tag, bandwidth inbound/outbound average,
 * model; type='network' names a link the same way, see below), disk (file
 * or block source, a vdisk directory as a file source, device disk or
 * cdrom, driver type raw, qcow2, vmdk, vdi or vpc, target dev and bus,
 * readonly; dom_disk.c checks the image against the type at start),
 * console/serial
 * type='pty', memballoon model none|virtio, os/boot dev, and xvm's own
 * <xvm:lifecycle on_xend_stop='ignore|shutdown'/> in the namespace
 * DOMXML_NS inside <metadata> (also accepted at the top level, where
 * definitions stored before issue 11 have it).
 * What virt-install and virt-manager send that has no meaning here is kept
 * verbatim and given back by dumpxml, not honoured: <metadata> children of
 * other namespaces, <features>, <clock>, <cpu>. Anything else is refused
 * with a message naming it (and why, where there is a reason: <graphics>
 * has no display device).
 * <interface type='network'><source network='NAME'/>: xvm has no libvirt
 * networks; NAME is taken as the vswitchd link to create the VNIC over,
 * as <source bridge='NAME'/> is, and given back as type='network'.
 */
#ifndef XVMD_DOMXML_H
#define XVMD_DOMXML_H

#include "xvm/common.h"
#include "xvm/mac.h"

#define DOMXML_NS		"http://xvm.example.org/xmlns/domain/1.0"
#define DOM_NAME_MAX		63
#define DOM_MAX_VCPUS		64
#define DOM_MAX_NICS		8
#define DOM_MAX_DISKS		4
#define DOM_PATH_MAX		1024
#define DOM_CMDLINE_MAX		4095
#define DOM_MEM_MAX_KIB		(1024ull * 1024 * 1024)	/* 1 TiB */
#define DOM_QUOTA_PERIOD	100000	/* us: cap% = quota / 1000 */
#define DOM_KEEP_MAX		1024	/* <features>, <clock>, <cpu> kept */
#define DOM_METADATA_MAX	4096	/* <metadata> children kept */
#define DOM_DESC_MAX		4096	/* <description> */
#define DOM_MAX_BOOT		4

enum dom_action {
	DOM_ACT_DESTROY = 0,
	DOM_ACT_RESTART,
	DOM_ACT_PRESERVE,
};

struct dom_nic {
	char bridge[32];	/* link the VNIC is created over */
	struct mac_addr mac;
	bool has_mac;		/* false until one is generated */
	unsigned int vlan;	/* 0: none, else 1-4094 */
	unsigned int mtu;	/* <mtu size=>: 68-9000; 0 none (1500) */
	uint64_t inbound_kBps;	/* <bandwidth> averages, KB/s; 0 none */
	uint64_t outbound_kBps;
	char model[16];		/* "virtio" */
	bool network;		/* given as type='network' source network= */
};

struct dom_disk {
	char path[DOM_PATH_MAX];
	char target[16];	/* "xvda" */
	bool block;		/* type='block' (source dev) */
	char bus[8];		/* target bus ("xen", "virtio"), "" none */
	bool cdrom;		/* device='cdrom' (else 'disk') */
	bool readonly;		/* <readonly/> */
	char serial[21];	/* <serial>: <= 20 printable chars, "" none */
	char cache[12];		/* <driver cache=>: "none", "writeback",
				 * "default" or "" absent */
	char format[8];		/* <driver type=>: "raw", "qcow2", "vmdk",
				 * "vdi", "vpc", or "" absent (raw; a vdisk:
				 * its vdisk.xml's) */
	uint8_t queues;		/* <driver queues=>: 1-8, 0 absent (1) */
};

struct dom_config {
	char name[DOM_NAME_MAX + 1];
	uint8_t uuid[16];
	char title[128];
	char description[DOM_DESC_MAX];
	uint64_t max_kib, cur_kib;
	unsigned int vcpus_max, vcpus;	/* <vcpu current=> <= max */
	uint64_t cpuset;		/* <vcpu cpuset>: host CPU bits, 0 any */
	unsigned int weight;		/* credit weight = cputune shares */
	unsigned int cap;		/* percent of one CPU, 0 none */
	uint64_t vcpupin[DOM_MAX_VCPUS];	/* 0: not pinned */
	char os_type[8];		/* "xen" or "hvm" */
	char kernel[DOM_PATH_MAX], initrd[DOM_PATH_MAX];
	char cmdline[DOM_CMDLINE_MAX + 1];
	enum dom_action on_poweroff, on_reboot, on_crash;
	bool leave_running;		/* xvm:lifecycle on_xend_stop='ignore' */
	bool console_pty;
	char boot[DOM_MAX_BOOT][8];	/* os/boot dev, in order; "" ends */
	char memballoon[8];		/* "none", "virtio", "" absent */
	/* Kept verbatim, not honoured (serialized XML, "" absent). */
	char features[DOM_KEEP_MAX], clock[DOM_KEEP_MAX], cpu[DOM_KEEP_MAX];
	char metadata[DOM_METADATA_MAX];	/* children but xvm:lifecycle */
	unsigned int nnics, ndisks;
	struct dom_nic nics[DOM_MAX_NICS];
	struct dom_disk disks[DOM_MAX_DISKS];
};

/* What only a running domain has, shown by dumpxml. */
struct dom_live {
	int id;
	char vnics[DOM_MAX_NICS][32];
	char pty[64];
};

/*
 * Parse xml (len bytes) into cfg. A missing uuid is generated, a missing
 * NIC MAC stays has_mac=false (dom.c generates and persists it). On error
 * returns -EINVAL with err (errlen bytes) naming the problem, e.g.
 * "unsupported device 'graphics'" or "line 3: <libxml2 message>".
 */
int domxml_parse(const char *xml, size_t len, struct dom_config *cfg,
		 char *err, size_t errlen);
/*
 * One device element, as virsh attach-device/attach-interface/attach-disk
 * and their detach forms send it: an <interface> (into *nic, *kind
 * DOMXML_DEV_NIC) or a <disk> (*disk, DOMXML_DEV_DISK), checked as in a
 * whole definition. -EINVAL with err naming the problem otherwise.
 */
enum domxml_dev_kind { DOMXML_DEV_NIC, DOMXML_DEV_DISK };
int domxml_parse_device(const char *xml, size_t len,
			enum domxml_dev_kind *kind, struct dom_nic *nic,
			struct dom_disk *disk, char *err, size_t errlen);
/* The XML for cfg (with live details when live is non-NULL): a malloc'd
 * string, NULL + errno. */
char *domxml_format(const struct dom_config *cfg, const struct dom_live *live);

bool domxml_name_ok(const char *name);
void domxml_uuid_format(const uint8_t uuid[16], char out[37]);
int domxml_uuid_parse(const char *s, uint8_t uuid[16]);
const char *domxml_action_name(enum dom_action a);
/* A bit mask of host CPUs from libvirt's cpuset syntax ("0-3,^2,5"),
 * CPUs 0-63. 0 or -EINVAL. */
int domxml_cpuset_parse(const char *s, uint64_t *mask);
/* The mask in the same syntax ("0-1,3"). */
void domxml_cpuset_format(uint64_t mask, char *buf, size_t len);

#endif
