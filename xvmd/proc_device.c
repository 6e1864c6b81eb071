/*
 * virDomainAttachDevice(Flags)/DetachDevice(Flags) (virsh attach-device,
 * attach-interface, attach-disk and their detach forms) on the domain's
 * definition: an <interface> or a <disk> added to it or taken out of it,
 * stored before it is installed (dom_def_commit), in effect at the next
 * start (--config); and an <interface> plugged into or out of a running
 * domain (--live, or no flag on a running domain; dom_hotplug.c), both
 * with --live --config (virsh --persistent). Disks of a running domain
 * do not change (no disk hot-plug yet): refused, naming --config.
 */
#include <stdlib.h>
#include <string.h>
#include "xvm/log.h"
#include "xvm/mac.h"
#include "dom.h"
#include "events.h"
#include "pool.h"
#include "proc.h"
#include "remote.h"

#define DEVICE_XML_MAX	(64u << 10)

/* virDomainDeviceModifyFlags (= virDomainModificationImpact) */
enum { DEV_AFFECT_LIVE = 1, DEV_AFFECT_CONFIG = 2 };

/* The flags resolved (CURRENT: LIVE on a running domain, else CONFIG)
 * and checked: 0 with *out set, or -errno with c->err set. */
static int proc_device_flags(struct remote_call *c, struct dom *d,
			     uint32_t flags, enum domxml_dev_kind kind,
			     uint32_t *out)
{
	if (flags & ~(uint32_t)(DEV_AFFECT_LIVE | DEV_AFFECT_CONFIG))
		return verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
				"unsupported flags (0x%x)", flags);
	if (!flags)	/* VIR_DOMAIN_AFFECT_CURRENT */
		flags = dom_active(d) ? DEV_AFFECT_LIVE : DEV_AFFECT_CONFIG;
	if ((flags & DEV_AFFECT_LIVE) && !dom_active(d))
		return verr_set(&c->err, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: domain is not running");
	if ((flags & DEV_AFFECT_LIVE) && kind == DOMXML_DEV_DISK)
		return verr_set(&c->err, VERR_OPERATION_UNSUPPORTED,
				"Operation not supported: disks of a running "
				"domain cannot change (no disk hot-plug yet); "
				"use --config: the definition changes and the "
				"domain has the disk from its next start");
	if ((flags & DEV_AFFECT_LIVE) && d->dom0)
		return verr_set(&c->err, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: Domain-0 has no "
				"devices to change");
	if ((flags & DEV_AFFECT_CONFIG) && !d->persistent)
		return verr_set(&c->err, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: transient domains do "
				"not have any persistent config");
	*out = flags;
	return 0;
}

static int proc_device_parse(struct remote_call *c, const char *xml,
			     enum domxml_dev_kind *kind, struct dom_nic *nic,
			     struct dom_disk *disk)
{
	char err[300];

	if (strlen(xml) > DEVICE_XML_MAX)
		return verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
				"device XML longer than %u bytes",
				DEVICE_XML_MAX);
	if (domxml_parse_device(xml, strlen(xml), kind, nic, disk, err,
				sizeof(err)) < 0)
		return verr_set(&c->err, VERR_XML_ERROR, "XML error: %s", err);
	return 0;
}

static int proc_nic_index(const struct dom_config *cfg,
			  const struct mac_addr *mac)
{
	for (unsigned i = 0; i < cfg->nnics; i++)
		if (mac_equal(&cfg->nics[i].mac, mac))
			return (int)i;
	return -1;
}

static int proc_disk_index(const struct dom_config *cfg, const char *target)
{
	for (unsigned i = 0; i < cfg->ndisks; i++)
		if (strcmp(cfg->disks[i].target, target) == 0)
			return (int)i;
	return -1;
}

static int proc_attach(struct remote_call *c, struct dom_config *def,
		       enum domxml_dev_kind kind, const struct dom_nic *nic,
		       const struct dom_disk *disk)
{
	char m[MAC_STRLEN];

	if (kind == DOMXML_DEV_DISK) {
		if (def->ndisks >= DOM_MAX_DISKS)
			return verr_set(&c->err, VERR_OPERATION_INVALID,
					"Requested operation is not valid: "
					"the domain has its maximum of %d "
					"disks", DOM_MAX_DISKS);
		if (proc_disk_index(def, disk->target) >= 0)
			return verr_set(&c->err, VERR_OPERATION_INVALID,
					"Requested operation is not valid: "
					"target %s already exists",
					disk->target);
		def->disks[def->ndisks++] = *disk;
		return pool_check_disks(def, &c->err);	/* raw volumes */
	}
	if (def->nnics >= DOM_MAX_NICS)
		return verr_set(&c->err, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: the domain has its "
				"maximum of %d interfaces", DOM_MAX_NICS);
	if (nic->has_mac && proc_nic_index(def, &nic->mac) >= 0)
		return verr_set(&c->err, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: the domain already has "
				"an interface with MAC address %s",
				mac_format_canonical(&nic->mac, m));
	def->nics[def->nnics++] = *nic;
	return dom_complete(def, &c->err);	/* a MAC for it if none */
}

/* The NIC named by its MAC or, without one, the only NIC over the same
 * link (virsh detach-interface sends the MAC it found in dumpxml). */
static int proc_detach_nic_index(struct remote_call *c,
				 const struct dom_config *def,
				 const struct dom_nic *nic)
{
	char m[MAC_STRLEN];
	int found = -1;

	if (nic->has_mac) {
		found = proc_nic_index(def, &nic->mac);
		if (found < 0)
			return verr_set(&c->err, VERR_OPERATION_FAILED,
					"operation failed: no interface with "
					"MAC address %s", mac_format_canonical(&nic->mac, m));
		return found;
	}
	for (unsigned i = 0; i < def->nnics; i++) {
		if (strcmp(def->nics[i].bridge, nic->bridge))
			continue;
		if (found >= 0)
			return verr_set(&c->err, VERR_OPERATION_FAILED,
					"operation failed: several interfaces "
					"over %s: say which with its MAC "
					"address", nic->bridge);
		found = (int)i;
	}
	if (found < 0)
		return verr_set(&c->err, VERR_OPERATION_FAILED, "operation "
				"failed: no interface over %s", nic->bridge);
	return found;
}

static int proc_detach(struct remote_call *c, struct dom_config *def,
		       enum domxml_dev_kind kind, const struct dom_nic *nic,
		       const struct dom_disk *disk)
{
	int i;

	if (kind == DOMXML_DEV_DISK) {
		i = proc_disk_index(def, disk->target);
		if (i < 0)
			return verr_set(&c->err, VERR_OPERATION_FAILED,
					"operation failed: no disk with "
					"target %s", disk->target);
		memmove(&def->disks[i], &def->disks[i + 1],
			(def->ndisks - (unsigned)i - 1) * sizeof(def->disks[0]));
		def->ndisks--;
		return 0;
	}
	i = proc_detach_nic_index(c, def, nic);
	if (i < 0)
		return i;
	memmove(&def->nics[i], &def->nics[i + 1],
		(def->nnics - (unsigned)i - 1) * sizeof(def->nics[0]));
	def->nnics--;
	return 0;
}

/* A live detach answered once hv has the guest's eject (dom_hotplug.c);
 * the definition's change (--persistent) is stored then. */
struct proc_unplug {
	struct remote_defer *rd;
	struct dom_config *def;		/* NULL: live only */
	bool attach;
};

static void proc_unplug_done(void *opaque, struct dom *d, int rc,
			     const struct verr *e)
{
	struct proc_unplug *pu = opaque;
	struct verr e2;

	if (rc == 0 && pu->def && d) {
		rc = dom_def_commit(d, pu->def, &e2);	/* takes def */
		pu->def = NULL;
		e = &e2;
		if (rc == 0) {
			log_info("dom %s: interface %s in the definition",
				 d->cfg.name, pu->attach ? "attached" :
				 "detached");
			event_lifecycle(d, EV_DEFINED, EVD_DEFINED_UPDATED);
		}
	} else if (rc == 0 && pu->def) {
		rc = verr_set(&e2, VERR_OPERATION_FAILED, "operation failed: "
			      "the domain went away");
		e = &e2;
	}
	remote_defer_reply(pu->rd, rc, e, NULL);
	free(pu->def);
	free(pu);
}

/* The running domain's NIC changes (hot-plug, dom_hotplug.c). For an
 * attach, nic is the one the definition got if it changed too (its
 * generated MAC). Both wait for hv (and a detach for the guest) on the
 * loop: PROC_LATER, *def then belongs to the job, stored once hv
 * answered. */
static int proc_device_live(struct remote_call *c, struct dom *d,
			    bool attach, struct dom_nic *nic,
			    struct dom_config **def)
{
	struct proc_unplug *pu;
	int i = 0, rc;

	rc = dom_check_idle(d, &c->err);
	if (rc < 0)
		return rc;
	if (!attach) {
		i = proc_detach_nic_index(c, &d->cfg, nic);
		if (i < 0)
			return i;
	}
	pu = calloc(1, sizeof(*pu));
	if (!pu || !(pu->rd = remote_call_defer(c))) {
		free(pu);
		return verr_nomem(&c->err);
	}
	pu->attach = attach;
	rc = attach ? dom_nic_hotplug(d, nic, proc_unplug_done, pu, &c->err) :
		      dom_nic_unplug(d, (unsigned int)i, proc_unplug_done, pu,
				     &c->err);
	if (rc < 0) {
		remote_defer_cancel(pu->rd);
		free(pu);
		return rc;
	}
	pu->def = *def;
	*def = NULL;
	return PROC_LATER;
}

/* {dom; string xml; [u32 flags]}: attach (or detach) the device: in the
 * definition (--config), in the running domain (--live), or both. The
 * definition's change is checked first and stored last. */
static int proc_device_change(struct remote_call *c, bool with_flags,
			      bool attach)
{
	struct dom *d = proc_get_dom(c);
	char *xml = xdr_get_string(c->args, XDR_STRING_MAX);
	uint32_t flags = with_flags ? xdr_get_u32(c->args) : 0;
	struct dom_config *def = NULL;
	enum domxml_dev_kind kind;
	struct dom_nic nic;
	struct dom_disk disk;
	int rc;

	rc = proc_dom_ready(c, d, true);
	if (rc)
		goto out;
	rc = proc_device_parse(c, xml, &kind, &nic, &disk);
	if (rc)
		goto out;
	rc = proc_device_flags(c, d, flags, kind, &flags);
	if (rc)
		goto out;
	if (flags & DEV_AFFECT_CONFIG) {
		def = dom_def_copy(d, &c->err);
		if (!def) {
			rc = -ENOMEM;
			goto out;
		}
		rc = attach ? proc_attach(c, def, kind, &nic, &disk) :
			      proc_detach(c, def, kind, &nic, &disk);
		if (rc)
			goto out;
		if (attach && kind == DOMXML_DEV_NIC)
			nic = def->nics[def->nnics - 1];	/* its MAC */
	}
	if (flags & DEV_AFFECT_LIVE) {
		rc = proc_device_live(c, d, attach, &nic, &def);
		goto out;	/* PROC_LATER: def went with the job */
	}
	if (!def)
		goto out;
	rc = dom_def_commit(d, def, &c->err);	/* takes def */
	def = NULL;
	if (rc)
		goto out;
	log_info("dom %s: %s %s in the definition", d->cfg.name,
		 kind == DOMXML_DEV_NIC ? "interface" : "disk",
		 attach ? "attached" : "detached");
	event_lifecycle(d, EV_DEFINED, EVD_DEFINED_UPDATED);
out:
	free(def);
	free(xml);
	return rc;
}

/* ATTACH_DEVICE {dom; string xml} */
PROC_DECL(proc_attach_device)
{
	return proc_device_change(c, false, true);
}

/* DETACH_DEVICE {dom; string xml} */
PROC_DECL(proc_detach_device)
{
	return proc_device_change(c, false, false);
}

/* ATTACH_DEVICE_FLAGS {dom; string xml; u32 flags} */
PROC_DECL(proc_attach_device_flags)
{
	return proc_device_change(c, true, true);
}

/* DETACH_DEVICE_FLAGS {dom; string xml; u32 flags} */
PROC_DECL(proc_detach_device_flags)
{
	return proc_device_change(c, true, false);
}

static const struct proc proc_device_procs[] = {
	{ 8, "DOMAIN_ATTACH_DEVICE", proc_attach_device, PROC_WRITE },
	{ 13, "DOMAIN_DETACH_DEVICE", proc_detach_device, PROC_WRITE },
	{ 160, "DOMAIN_ATTACH_DEVICE_FLAGS", proc_attach_device_flags,
	  PROC_WRITE },
	{ 161, "DOMAIN_DETACH_DEVICE_FLAGS", proc_detach_device_flags,
	  PROC_WRITE },
};

const struct proc_group proc_device_group = {
	"device", proc_device_procs, ARRAY_SIZE(proc_device_procs)
};
