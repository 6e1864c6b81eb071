/*
 * xvm-install's domain XML (install.h): struct inst_opts as libvirt
 * domain XML (libvirt formatdomain: "Operating system booting" direct
 * kernel boot, "Hard drives", "Network interfaces" bridge/vlan/bandwidth,
 * "Consoles"), in the subset xvmd accepts. Text is escaped
 * (xvm/xmlesc.h); values were range-checked by install_opts.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xvm/xmlesc.h"
#include "install.h"

static void put_os(FILE *f, const struct inst_opts *o)
{
	fputs("  <os>\n", f);
	xmlesc_put_elem(f, "    ", "type",
			o->virt == INST_HVM ? "hvm" : "xen");
	xmlesc_put_elem(f, "    ", "kernel", o->kernel);
	if (o->initrd[0])
		xmlesc_put_elem(f, "    ", "initrd", o->initrd);
	if (o->cmdline[0])
		xmlesc_put_elem(f, "    ", "cmdline", o->cmdline);
	fputs("  </os>\n", f);
}

static void put_disk(FILE *f, const struct inst_opts *o)
{
	fprintf(f, "    <disk type='file' device='disk'>\n"
		"      <driver type='%s'/>\n"
		"      <source file='",
		o->disk_format[0] ? o->disk_format : "raw");
	xmlesc_put(f, o->disk);
	fprintf(f, "'/>\n      <target dev='%s' bus='%s'/>\n    </disk>\n",
		o->virt == INST_HVM ? "vda" : "xvda",
		o->virt == INST_HVM ? "virtio" : "xen");
}

/* -c: the image read-only, as virt-install attaches its --cdrom. */
static void put_cdrom(FILE *f, const struct inst_opts *o)
{
	fputs("    <disk type='file' device='cdrom'>\n"
	      "      <driver type='raw'/>\n"
	      "      <source file='", f);
	xmlesc_put(f, o->cdrom);
	fprintf(f, "'/>\n      <target dev='%s' bus='%s'/>\n"
		"      <readonly/>\n    </disk>\n",
		o->virt == INST_HVM ? "hdc" : "xvdc",
		o->virt == INST_HVM ? "ide" : "xen");
}

static void put_nic(FILE *f, const struct inst_nic *nic)
{
	char mac[MAC_STRLEN];

	fprintf(f, "    <interface type='bridge'>\n"
		"      <source bridge='%s'/>\n", nic->bridge);
	if (nic->has_mac)
		fprintf(f, "      <mac address='%s'/>\n",
			mac_format_canonical(&nic->mac, mac));
	if (nic->vid)
		fprintf(f, "      <vlan>\n        <tag id='%u'/>\n      </vlan>\n",
			nic->vid);
	if (nic->maxbw) {
		unsigned long long kb =
			(unsigned long long)inst_bw_to_kbytes(nic->maxbw);

		fprintf(f, "      <bandwidth>\n"
			"        <inbound average='%llu'/>\n"
			"        <outbound average='%llu'/>\n"
			"      </bandwidth>\n", kb, kb);
	}
	fputs("      <model type='virtio'/>\n    </interface>\n", f);
}

char *inst_build_xml(const struct inst_opts *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fputs("<domain type='xvm'>\n", f);
	xmlesc_put_elem(f, "  ", "name", o->name);
	if (o->uuid[0])
		xmlesc_put_elem(f, "  ", "uuid", o->uuid);
	fprintf(f, "  <memory unit='MiB'>%u</memory>\n"
		"  <currentMemory unit='MiB'>%u</currentMemory>\n"
		"  <vcpu>%u</vcpu>\n", o->ram_mb, o->ram_mb, o->vcpus);
	put_os(f, o);
	fputs("  <devices>\n", f);
	if (o->disk[0])
		put_disk(f, o);
	if (o->cdrom[0])
		put_cdrom(f, o);
	for (unsigned int i = 0; i < o->nnics; i++)
		put_nic(f, &o->nics[i]);
	fputs("    <console type='pty'/>\n  </devices>\n</domain>\n", f);
	if (ferror(f)) {
		fclose(f);
		free(buf);
		errno = ENOMEM;
		return NULL;
	}
	if (fclose(f) != 0) {
		free(buf);
		errno = ENOMEM;
		return NULL;
	}
	return buf;
}
