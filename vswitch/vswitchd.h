/*
 * vswitchd's configuration objects, owned by the control thread: links
 * (phys uplinks and etherstubs, each one switch) and VNICs over them, with
 * their properties (docs/vswitchd-control.md "Objects"). Each change is
 * applied to the data path through pmd.h; the functions here change only
 * the running state, and the control methods (control.h) have persist.c
 * save what a command changed.
 */
#ifndef VSW_VSWITCHD_H
#define VSW_VSWITCHD_H

#include <limits.h>
#include <sys/un.h>
#include <jansson.h>

#include "xvm/common.h"
#include "xvm/linkprop.h"
#include "xvm/mac.h"
#include "xvm/rpc.h"
#include "dp.h"
#include "pmd.h"

#define VSW_ETHERSTUB_MTU	9000

enum vsw_link_class {
	VSW_LINK_PHYS,
	VSW_LINK_ETHERSTUB,
};

struct vsw_link {
	struct vsw_link *next;
	char name[LINKNAME_MAX];
	enum vsw_link_class cls;
	bool temporary;			/* etherstub not saved */
	struct vsw_switch *sw;		/* its switch in the data path */
	struct vsw_port *uplink;	/* phys: the attached interface */
	unsigned nvnics;
	unsigned nflows;		/* flows on it (flows/flowctl.c): a
					 * phys link stays attached */
};

enum vnic_kind {
	VNIC_HOST,	/* a kernel tap interface */
	VNIC_GUEST,	/* a vhost-user port (xnb) */
};

struct vsw_vnic {
	struct vsw_vnic *next;
	char name[LINKNAME_MAX];
	struct vsw_link *over;
	struct mac_addr mac;
	bool mac_random;		/* macaddrtype random (else fixed) */
	uint16_t vid;
	enum vnic_kind kind;
	bool temporary;			/* not saved */
	struct link_props props;	/* in effect */
	struct link_props saved;	/* persistent ones (set without -t) */
	char socket[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct vsw_port *port;
};

/* A phys link's own properties, by name (physprop.c). */
struct vsw_physprop {
	struct vsw_physprop *next;
	char name[LINKNAME_MAX];
	struct link_props props;	/* in effect */
	struct link_props saved;	/* persistent (set without -t) */
};

struct vswd {
	char rundir[PATH_MAX];
	char statedir[PATH_MAX];
	struct rte_mempool *pool;
	struct rte_mempool *jumbo;	/* one-segment mbufs for frames
					 * over 2 KiB (netback/port.h) */
	struct pmd *pmds[VSW_MAX_PMDS];	/* --pmd-cpus: one per CPU listed;
					 * one floating PMD without it */
	int pmd_cpu[VSW_MAX_PMDS];	/* its CPU, -1 any */
	unsigned npmds;
	struct rte_rcu_qsbr *qsbr;	/* all PMDs' (pmd_qsbr_create()) */
	struct vsw_link *links;
	struct vsw_vnic *vnics;
	bool unsaved;			/* a command changed the saved
					 * configuration: persist_commit()
					 * writes it before the reply */
	json_t *dormant;		/* saved VNICs deleted with -t: still
					 * in config.json, back at restart */
	struct vsw_flows *flows;	/* flows/flowctl.c's */
	struct vsw_physprop *physprops;	/* phys links' own properties, by
					 * name, attached or not (physprop.c) */
};

/* What vnic.create asks for (strings as received, already type-checked). */
struct vnic_spec {
	const char *name;
	const char *link;
	const char *mac;		/* NULL, "auto", "random" or a MAC */
	const char *mac_prefix;		/* NULL or a prefix for random */
	int mac_slot;			/* with "factory": the slot, -1 any */
	bool mac_was_random;		/* a given mac picked at random
					 * before (restored): macaddrtype */
	uint16_t vid;
	enum vnic_kind kind;
	bool temporary;
	struct link_props props;
};

/* The PMD that polls port p (its owner). */
static inline struct pmd *vsw_pmd(const struct vswd *d,
				  const struct vsw_port *p)
{
	return d->pmds[p->pmd];
}

/* place.c: which PMD polls each port (balance.h's rule; vswitchd.8 "PMD
 * threads"). */
/* A new port's owner, for a port of switch sw (a phys link's not listed
 * yet when its uplink is attached): where balance_plan() puts it among
 * the running ports; the PMD props pin (if vswitchd runs it). */
unsigned place_new_port(const struct vswd *d, const struct vsw_switch *sw,
			const struct link_props *props);
/* The running ports planned again (balance_plan()) and those placed
 * elsewhere moved, after a port came or went or a pin changed; fresh
 * (or NULL) is placed as a new port would be (its pin was reset). */
void place_rebalance(struct vswd *d, const struct vsw_port *fresh);
/* A pmd property vswitchd can apply: 0, or -EINVAL with err. */
int place_check_pin(const struct vswd *d, const struct link_props *props,
		    struct rpc_error *err);

/* link.c */
struct vsw_link *link_find(struct vswd *d, const char *name);
bool link_name_taken(struct vswd *d, const char *name);
int etherstub_create(struct vswd *d, const char *name, bool temporary,
		     struct rpc_error *err);
int etherstub_delete(struct vswd *d, const char *name, struct rpc_error *err);
/* The link a VNIC goes over, attaching a phys link the first time. */
int link_get(struct vswd *d, const char *name, struct vsw_link **out,
	     struct rpc_error *err);
/* A VNIC left it: a phys link nothing uses any more is detached. */
void link_put(struct vswd *d, struct vsw_link *l);
uint32_t link_mtu(const struct vsw_link *l);
const char *link_state(const struct vsw_link *l);
uint64_t link_speed_mbps(const struct vsw_link *l);
/* link.list's array: links and VNICs (all, or the one named). */
json_t *links_json(struct vswd *d, const char *name, bool stats);
void links_destroy_all(struct vswd *d);

/* vnic.c */
struct vsw_vnic *vnic_find(struct vswd *d, const char *name);
int vnic_create(struct vswd *d, const struct vnic_spec *s,
		struct vsw_vnic **out, struct rpc_error *err);
/* temporary: a persistent VNIC stays in the saved configuration and comes
 * back when vswitchd restarts (dladm delete-vnic -t). */
int vnic_delete(struct vswd *d, const char *name, bool temporary,
		struct rpc_error *err);
/* Put run in effect and, unless saved is NULL (a temporary change), make
 * saved the persistent set. */
int vnic_apply_props(struct vswd *d, struct vsw_vnic *v,
		     const struct link_props *run,
		     const struct link_props *saved, struct rpc_error *err);
void vnics_destroy_all(struct vswd *d);
/* Give VNIC v (not in use: no guest frontend connected, its tap with no
 * address and still in our namespace; no flows) the name newname, which
 * the caller checked is free. Its port is made again under the new name;
 * on failure it keeps the old one. */
int vnic_rename(struct vswd *d, struct vsw_vnic *v, const char *newname,
		struct rpc_error *err);
/* A VNIC as link.list shows it. */
json_t *vnic_link_json(const struct vsw_vnic *v, bool stats);
/* vnic.list's array: every VNIC, or those of that name and/or link. */
json_t *vnics_json(struct vswd *d, const char *name, const char *link,
		   bool stats);

/* stats.c: a port's counters as a link's "stats" object (vnic: seen
 * from the VNIC; missed: frames the uplink's port lost below us). */
json_t *stats_json(const struct vsw_stats *s, bool vnic, uint64_t missed);
/* The error of a port the packet buffers have no share for (the PMD's
 * -ENOBUFS, dp.h): ENOBUFS with the numbers and the remedy. */
int stats_nobufs_error(const struct vswd *d, struct rpc_error *err);

/* persist.c: $XVM_STATEDIR/vswitchd/config.json */
/* Write the configuration now: 0 or -errno (logged). */
int persist_save(struct vswd *d);
/* At start, before serving: re-create what was saved. Saves nothing. */
int persist_restore(struct vswd *d);
/* A control method changed what is saved (called by its handler). */
void persist_changed(struct vswd *d);
/* After a method succeeded (control.c): save if it changed anything; a
 * failed save is -errno with err saying the change is in effect but not
 * saved. */
int persist_commit(struct vswd *d, struct rpc_error *err);
/* The persistent configuration's VNICs, as saved (new ref; NULL when
 * out of memory): the running persistent ones and those deleted with -t.
 * Each {"name", "link", "mac", "macaddrtype", "vid", "kind", "props"}. */
json_t *persist_vnics(const struct vswd *d);
/* The entry of that name in persist_vnics()' array, or NULL (borrowed). */
json_t *persist_vnic_find(json_t *vnics, const char *name);
/* An entry's saved properties into p (those that no longer parse left
 * out, as persist_restore() leaves them out). */
void persist_vnic_props(const json_t *entry, struct link_props *p);
/* Keep a deleted VNIC's saved entry (delete -t); forget it (delete
 * without -t: true if there was one); whether one of that name is kept.
 * A kept entry's name stays taken (link_name_taken()): nothing else may
 * be made under it, or the next save or restart would lose one of them. */
void persist_keep_dormant(struct vswd *d, const struct vsw_vnic *v);
bool persist_forget_dormant(struct vswd *d, const char *name);
bool persist_is_dormant(const struct vswd *d, const char *name);
/* Saved VNICs not running: the one named old is called new, and those
 * over link old are over new (rename-link). */
void persist_rename_dormant(struct vswd *d, const char *old, const char *new);

/* physprop.c: a phys link's own properties (pmd: its uplink's PMD), kept
 * by name whether or not it is attached; saved in config.json's "phys". */
/* Those in effect for phys link name, or NULL (none set). */
const struct link_props *physprop_props(const struct vswd *d,
					const char *name);
/* Its persistent ones, or NULL. */
const struct link_props *physprop_saved(const struct vswd *d,
					const char *name);
/* Whether vnic.set / vnic.reset name a phys link: attached, or a host
 * Ethernet interface (phys_check()) that is no VNIC's. */
bool physprop_target(struct vswd *d, const char *name);
/* vnic.set's {"prop": "value"} on it (only pmd: others ENOTSUP), checked
 * as for a VNIC, in effect at once (its uplink moved), saved unless
 * temporary. 0 or -errno with err. */
int physprop_set(struct vswd *d, const char *name, json_t *props,
		 bool temporary, struct rpc_error *err);
/* vnic.reset's (mask of property ids: all, or pmd). */
int physprop_reset(struct vswd *d, const char *name, uint32_t mask,
		   bool temporary, struct rpc_error *err);
/* The "phys" array of config.json; at start, its entries (bad ones
 * logged and skipped). */
json_t *physprop_persist_json(const struct vswd *d);
void physprop_restore(struct vswd *d, json_t *arr);
void physprops_destroy_all(struct vswd *d);

/* phys.c: host Ethernet interfaces (libnl-route, sysfs, ethtool) */
json_t *phys_list(void);
/* 0 if name is a host Ethernet interface usable as an uplink, -ENOENT
 * if there is none, -EINVAL if it is not Ethernet or is a VNIC's tap. */
int phys_check(const char *name);
uint64_t phys_speed_mbps(const char *name);
uint32_t phys_mtu(const char *name);
/* "up", "down" or "unknown" (sysfs operstate; unknown if it is gone). */
const char *phys_oper_state(const char *name);

#endif
