/*
 * Formatting struct dom_config back to libvirt domain XML (dumpxml, the
 * stored definition). What domxml_parse() accepts round-trips: the output
 * of this file, defined under another name, gives the same domain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xvm/xmlesc.h"
#include "domxml.h"

static void fmt_cputune(FILE *f, const struct dom_config *cfg)
{
	char set[200];
	unsigned int i;

	fprintf(f, "  <cputune>\n    <shares>%u</shares>\n", cfg->weight);
	if (cfg->cap)
		fprintf(f, "    <period>%u</period>\n    <quota>%llu</quota>\n",
			DOM_QUOTA_PERIOD,
			(unsigned long long)cfg->cap * DOM_QUOTA_PERIOD / 100);
	for (i = 0; i < cfg->vcpus_max; i++) {
		if (!cfg->vcpupin[i])
			continue;
		domxml_cpuset_format(cfg->vcpupin[i], set, sizeof(set));
		fprintf(f, "    <vcpupin vcpu='%u' cpuset='%s'/>\n", i, set);
	}
	fputs("  </cputune>\n", f);
}

static void fmt_os(FILE *f, const struct dom_config *cfg)
{
	unsigned int i;

	fputs("  <os>\n", f);
	fprintf(f, "    <type arch='x86_64'>%s</type>\n", cfg->os_type);
	xmlesc_put_elem(f, "    ", "kernel", cfg->kernel);
	if (cfg->initrd[0])
		xmlesc_put_elem(f, "    ", "initrd", cfg->initrd);
	if (cfg->cmdline[0])
		xmlesc_put_elem(f, "    ", "cmdline", cfg->cmdline);
	for (i = 0; i < DOM_MAX_BOOT && cfg->boot[i][0]; i++)
		fprintf(f, "    <boot dev='%s'/>\n", cfg->boot[i]);
	fputs("  </os>\n", f);
}

static void fmt_nic(FILE *f, const struct dom_nic *nic, const char *vnic)
{
	char mac[MAC_STRLEN];

	fprintf(f, "    <interface type='%s'>\n      <source %s='",
		nic->network ? "network" : "bridge",
		nic->network ? "network" : "bridge");
	xmlesc_put_attr(f, nic->bridge);
	fputs("'/>\n", f);
	if (nic->has_mac)
		fprintf(f, "      <mac address='%s'/>\n",
			mac_format_canonical(&nic->mac, mac));
	if (vnic && vnic[0])
		fprintf(f, "      <target dev='%s'/>\n", vnic);
	if (nic->vlan)
		fprintf(f, "      <vlan>\n        <tag id='%u'/>\n      </vlan>\n",
			nic->vlan);
	if (nic->mtu)
		fprintf(f, "      <mtu size='%u'/>\n", nic->mtu);
	if (nic->inbound_kBps || nic->outbound_kBps) {
		fputs("      <bandwidth>\n", f);
		if (nic->inbound_kBps)
			fprintf(f, "        <inbound average='%llu'/>\n",
				(unsigned long long)nic->inbound_kBps);
		if (nic->outbound_kBps)
			fprintf(f, "        <outbound average='%llu'/>\n",
				(unsigned long long)nic->outbound_kBps);
		fputs("      </bandwidth>\n", f);
	}
	fprintf(f, "      <model type='%s'/>\n    </interface>\n", nic->model);
}

static void fmt_disk(FILE *f, const struct dom_disk *d)
{
	fprintf(f, "    <disk type='%s' device='%s'>\n",
		d->block ? "block" : "file", d->cdrom ? "cdrom" : "disk");
	fputs("      <driver name='qemu'", f);
	if (d->format[0])
		fprintf(f, " type='%s'", d->format);
	if (d->cache[0])
		fprintf(f, " cache='%s'", d->cache);
	if (d->queues)
		fprintf(f, " queues='%u'", d->queues);
	fprintf(f, "/>\n      <source %s='", d->block ? "dev" : "file");
	xmlesc_put_attr(f, d->path);
	fputs("'/>\n      <target dev='", f);
	xmlesc_put_attr(f, d->target);
	if (d->bus[0])
		fprintf(f, "' bus='%s", d->bus);
	fputs("'/>\n", f);
	if (d->readonly)
		fputs("      <readonly/>\n", f);
	if (d->serial[0]) {
		fputs("      <serial>", f);
		xmlesc_put(f, d->serial);
		fputs("</serial>\n", f);
	}
	fputs("    </disk>\n", f);
}

static void fmt_devices(FILE *f, const struct dom_config *cfg,
			const struct dom_live *live)
{
	unsigned int i;

	fputs("  <devices>\n", f);
	for (i = 0; i < cfg->ndisks; i++)
		fmt_disk(f, &cfg->disks[i]);
	for (i = 0; i < cfg->nnics; i++)
		fmt_nic(f, &cfg->nics[i], live ? live->vnics[i] : NULL);
	if (cfg->console_pty) {
		fputs("    <console type='pty'", f);
		if (live && live->pty[0])
			fprintf(f, " tty='%s'>\n      <source path='%s'/>\n",
				live->pty, live->pty);
		else
			fputs(">\n", f);
		fputs("      <target type='serial' port='0'/>\n    </console>\n", f);
	}
	if (cfg->memballoon[0])
		fprintf(f, "    <memballoon model='%s'/>\n", cfg->memballoon);
	fputs("  </devices>\n", f);
}

/* An element kept verbatim (domxml.h), on its own line. */
static void fmt_kept(FILE *f, const char *xml)
{
	if (xml[0])
		fprintf(f, "  %s\n", xml);
}

/* xvm's lifecycle setting, then the children kept from the definition. */
static void fmt_metadata(FILE *f, const struct dom_config *cfg)
{
	fprintf(f, "  <metadata>\n    <xvm:lifecycle xmlns:xvm='%s' "
		"on_xend_stop='%s'/>\n", DOMXML_NS,
		cfg->leave_running ? "ignore" : "shutdown");
	if (cfg->metadata[0])
		fprintf(f, "    %s\n", cfg->metadata);
	fputs("  </metadata>\n", f);
}

static void fmt_domain(FILE *f, const struct dom_config *cfg,
		       const struct dom_live *live)
{
	char uuid[37], set[200];

	/* 'xen', not our own 'xvm': libvirt's schema (virt-xml-validate)
	 * knows no 'xvm', and 'xen' is what the guests are: PV domains with
	 * xend's lifecycle, xvd disks and netfront-style VNICs (docs/xvmd.md
	 * "Domain XML"). Both are accepted on input. */
	fputs("<domain type='xen'", f);
	if (live && live->id >= 0)
		fprintf(f, " id='%d'", live->id);
	fputs(">\n", f);
	xmlesc_put_elem(f, "  ", "name", cfg->name);
	domxml_uuid_format(cfg->uuid, uuid);
	xmlesc_put_elem(f, "  ", "uuid", uuid);
	if (cfg->title[0])
		xmlesc_put_elem(f, "  ", "title", cfg->title);
	if (cfg->description[0])
		xmlesc_put_elem(f, "  ", "description", cfg->description);
	fmt_metadata(f, cfg);
	fprintf(f, "  <memory unit='KiB'>%llu</memory>\n",
		(unsigned long long)cfg->max_kib);
	fprintf(f, "  <currentMemory unit='KiB'>%llu</currentMemory>\n",
		(unsigned long long)cfg->cur_kib);
	fputs("  <vcpu placement='static'", f);
	if (cfg->cpuset) {
		domxml_cpuset_format(cfg->cpuset, set, sizeof(set));
		fprintf(f, " cpuset='%s'", set);
	}
	if (cfg->vcpus != cfg->vcpus_max)
		fprintf(f, " current='%u'", cfg->vcpus);
	fprintf(f, ">%u</vcpu>\n", cfg->vcpus_max);
	fmt_cputune(f, cfg);
	fmt_os(f, cfg);
	fmt_kept(f, cfg->features);
	fmt_kept(f, cfg->cpu);
	fmt_kept(f, cfg->clock);
	fprintf(f, "  <on_poweroff>%s</on_poweroff>\n",
		domxml_action_name(cfg->on_poweroff));
	fprintf(f, "  <on_reboot>%s</on_reboot>\n",
		domxml_action_name(cfg->on_reboot));
	fprintf(f, "  <on_crash>%s</on_crash>\n",
		domxml_action_name(cfg->on_crash));
	fmt_devices(f, cfg, live);
	fputs("</domain>\n", f);
}

char *domxml_format(const struct dom_config *cfg, const struct dom_live *live)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fmt_domain(f, cfg, live);
	if (fclose(f) != 0) {
		free(buf);
		errno = ENOMEM;
		return NULL;
	}
	return buf;
}
