/*
 * NIC hot-plug on the control socket (docs/hv.md "Hot-plug"):
 *
 *   nic.add {vnic: SOCKET, mac: MAC} -> {slot, mac}
 *     a virtio-net function whose vhost-user backend listens on SOCKET
 *     goes into the first free slot of bus 0 (its BAR assigned, memory
 *     decoding on, as at boot); the hot-plug controller (pcihp.c) puts
 *     the slot in UP and raises GPE 1, and the guest probes it.
 *   nic.remove {mac: MAC[, timeout_ms: N]} -> {slot, mac}
 *     the guest is asked to release the NIC (DOWN, GPE 1); the reply
 *     comes once it ejected the slot (EJ) and hv removed the function and
 *     closed the backend session, or after timeout_ms (default 5000,
 *     100-60000) with ETIMEDOUT: the request is withdrawn and the NIC
 *     stays as it was.
 *   nic.list -> {nics: [{slot, mac, vnic, hotplugged, removing}]}
 *
 * Handlers run on the event-loop thread without dev_lock (control.c);
 * they take it around every device change. A guest's eject is recorded
 * by pcihp.c on the vCPU's thread and signalled through an eventfd that
 * this file watches. Once a NIC was added or removed, hv's device set no
 * longer matches its command line: save and migrate refuse
 * (hotplug_check_frozen).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include "xvm/log.h"
#include "xvm/rpc.h"
#include "core.h"
#include "dev.h"
#include "migrate.h"
#include "pci.h"
#include "virtio_net.h"

#define HOTPLUG_NICS_MAX	8	/* as many as --net allows */
#define HOTPLUG_TIMEOUT_MS	5000
#define HOTPLUG_TIMEOUT_MIN_MS	100
#define HOTPLUG_TIMEOUT_MAX_MS	60000

extern const struct dev_type pcihp_dev_type;

/* A removal waiting for the guest. */
struct hp_pending {
	struct hotplug *hp;
	unsigned int slot;
	struct virtio_net *nic;		/* NULL: slot free */
	struct rpc_deferred *reply;
	int timer_fd;
	struct mac_addr mac;
};

struct hotplug {
	struct vm *vm;
	bool eject_watched;
	struct hp_pending pending[PCI_SLOTS];
	uint32_t hot;			/* slots whose NIC was hot-added */
};

static struct hotplug *hotplug_of(struct vm *vm)
{
	struct core *c = core_of(vm);

	if (!c->hotplug) {
		c->hotplug = calloc(1, sizeof(*c->hotplug));
		if (!c->hotplug)
			return NULL;
		c->hotplug->vm = vm;
		for (unsigned int i = 0; i < PCI_SLOTS; i++)
			c->hotplug->pending[i] = (struct hp_pending){
				.hp = c->hotplug, .slot = i, .timer_fd = -1 };
	}
	return c->hotplug;
}

static struct pcihp *hp_ctl(struct vm *vm)
{
	return vm->devices ? devices_find(vm->devices, &pcihp_dev_type) : NULL;
}

/* dev_lock held. */
static unsigned int hp_nics(struct vm *vm, struct virtio_net **out)
{
	unsigned int n;

	if (!vm->devices)
		return 0;
	n = devices_find_all(vm->devices, &virtio_net_dev_type, (void **)out,
			     HOTPLUG_NICS_MAX * 2);
	return n < HOTPLUG_NICS_MAX * 2 ? n : HOTPLUG_NICS_MAX * 2;
}

/* dev_lock held. */
static struct virtio_net *hp_nic_by_mac(struct vm *vm,
					const struct mac_addr *mac)
{
	struct virtio_net *nics[HOTPLUG_NICS_MAX * 2];
	unsigned int n = hp_nics(vm, nics);

	for (unsigned int i = 0; i < n; i++)
		if (mac_equal(virtio_net_mac(nics[i]), mac))
			return nics[i];
	return NULL;
}

int hotplug_check_frozen(struct vm *vm, const char *what, char *msg,
			 size_t msglen)
{
	struct pcihp *h;
	bool changed, pending;

	pthread_mutex_lock(&vm->dev_lock);
	h = hp_ctl(vm);
	changed = devices_changed(vm->devices);
	pending = h && pcihp_pending_unplugs(h);
	pthread_mutex_unlock(&vm->dev_lock);
	if (pending)
		snprintf(msg, msglen, "a NIC removal is waiting for the "
			 "guest; %s when it is done", what);
	else if (changed)
		snprintf(msg, msglen, "NICs were hot-plugged or removed "
			 "since hv started, so its devices no longer match its "
			 "command line (a restore or the destination would "
			 "build different ones): cannot %s", what);
	else
		return 0;
	return pending ? -EBUSY : -EOPNOTSUPP;
}

static int parse_mac(json_t *params, struct mac_addr *mac, const char *what,
		     struct rpc_error *err)
{
	json_t *jm = params ? json_object_get(params, "mac") : NULL;

	if (!json_is_string(jm) || mac_parse(json_string_value(jm), mac) < 0 ||
	    !mac_is_unicast(mac))
		return rpc_errorf(err, EINVAL, "%s needs params {\"mac\": a "
				  "unicast MAC address%s}", what,
				  !strcmp(what, "nic.add") ?
				  ", \"vnic\": SOCKET" :
				  "[, \"timeout_ms\": N]");
	return 0;
}

static int hp_busy(struct vm *vm, const char *what, struct rpc_error *err)
{
	if (vm_state(vm) == CORE_SHUTDOWN)
		return rpc_errorf(err, EBUSY, "domain is shutting down (%s)",
				  what);
	if (mig_job_running(vm))
		return rpc_errorf(err, EBUSY, "a migration is running (%s)",
				  what);
	return 0;
}

int hotplug_ctl_add(void *ctx, struct rpc_conn *conn, json_t *params,
		    json_t **result, struct rpc_error *err)
{
	struct vm *vm = ctx;
	json_t *jv = params ? json_object_get(params, "vnic") : NULL;
	struct virtio_net *nics[HOTPLUG_NICS_MAX * 2], *n;
	struct hotplug *hp = hotplug_of(vm);
	char mbuf[MAC_STRLEN];
	struct mac_addr mac;
	const char *sock;
	struct pci_bus *bus;
	struct pcihp *h;
	struct stat st;
	unsigned int slot;
	int rc;

	(void)conn;
	if (!hp)
		return rpc_errorf(err, ENOMEM, "out of memory");
	if ((rc = parse_mac(params, &mac, "nic.add", err)) < 0)
		return rc;
	if (!json_is_string(jv) || !*(sock = json_string_value(jv)))
		return parse_mac(NULL, &mac, "nic.add", err);
	if (strlen(sock) >= 108)
		return rpc_errorf(err, ENAMETOOLONG, "vnic: socket "
				  "path longer than 107 bytes");
	if (stat(sock, &st) < 0)
		return rpc_errorf(err, errno, "%s: %s", sock,
				  strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return rpc_errorf(err, EINVAL, "%s is not a socket",
				  sock);
	if ((rc = hp_busy(vm, "nic.add", err)) < 0)
		return rc;
	pthread_mutex_lock(&vm->dev_lock);
	h = hp_ctl(vm);
	bus = vm->devices ? devices_find(vm->devices, &pci_dev_type) : NULL;
	if (!h || !bus) {
		rc = rpc_errorf(err, ENODEV, "no PCI bus or hot-plug "
				"controller");
		goto out;
	}
	if (hp_nic_by_mac(vm, &mac)) {
		rc = rpc_errorf(err, EEXIST, "a NIC with MAC %s exists "
				"already", mac_format_canonical(&mac, mbuf));
		goto out;
	}
	if (hp_nics(vm, nics) >= HOTPLUG_NICS_MAX) {
		rc = rpc_errorf(err, ENOSPC, "the domain has its "
				"maximum of %d NICs", HOTPLUG_NICS_MAX);
		goto out;
	}
	n = virtio_net_create(vm, bus, sock, &mac);
	if (!n) {
		rc = -errno;
		rc = rpc_errorf(err, -rc, "%s", -rc == ENOSPC ?
				"no free PCI slot or MMIO space" :
				strerror(-rc));
		goto out;
	}
	rc = devices_hot_add(vm->devices, &virtio_net_dev_type, n);
	if (rc < 0) {
		rc = rpc_errorf(err, -rc, "%s", strerror(-rc));
		goto out;
	}
	slot = virtio_net_slot(n);
	hp->hot |= 1u << slot;
	pcihp_plugged(h, slot);
	log_info("hotplug: NIC %s (%s) added in slot 00:%02x.0",
		 mac_format_canonical(&mac, mbuf), sock, slot);
	*result = json_pack("{s:i, s:s}", "slot", (int)slot, "mac", mbuf);
	rc = *result ? 0 : rpc_errorf(err, ENOMEM, "out of memory");
out:
	pthread_mutex_unlock(&vm->dev_lock);
	return rc;
}

static void hp_pending_end(struct hotplug *hp, unsigned int slot)
{
	struct hp_pending *p = &hp->pending[slot];

	if (p->timer_fd >= 0) {
		vm_unwatch_fd(hp->vm, p->timer_fd);
		close(p->timer_fd);
	}
	p->timer_fd = -1;
	p->nic = NULL;
	p->reply = NULL;
}

/* Ejects the guest made: remove those functions and answer. Loop thread,
 * without dev_lock. */
static void hp_ejected(void *opaque)
{
	struct hotplug *hp = opaque;
	struct vm *vm = hp->vm;
	struct rpc_deferred *replies[PCI_SLOTS] = { NULL };
	struct mac_addr macs[PCI_SLOTS];
	struct pcihp *h;
	uint32_t bits;

	pthread_mutex_lock(&vm->dev_lock);
	h = hp_ctl(vm);
	bits = h ? pcihp_take_ejected(h) : 0;
	for (unsigned int s = 0; s < PCI_SLOTS; s++) {
		struct hp_pending *p = &hp->pending[s];

		if (!(bits & (1u << s)) || !p->nic)
			continue;
		devices_hot_remove(vm->devices, p->nic);
		pcihp_removed(h, s);
		hp->hot &= ~(1u << s);
		replies[s] = p->reply;
		macs[s] = p->mac;
		p->reply = NULL;
		hp_pending_end(hp, s);
	}
	pthread_mutex_unlock(&vm->dev_lock);
	for (unsigned int s = 0; s < PCI_SLOTS; s++) {
		char mbuf[MAC_STRLEN];

		if (!replies[s])
			continue;
		mac_format_canonical(&macs[s], mbuf);
		log_info("hotplug: NIC %s removed from slot 00:%02x.0", mbuf,
			 s);
		rpc_deferred_reply(replies[s], 0, json_pack("{s:i, s:s}",
					"slot", (int)s, "mac", mbuf), NULL);
	}
}

/* A removal's time is up: the guest did not eject the slot. */
static void hp_timeout(void *opaque)
{
	struct hp_pending *p = opaque;
	struct hotplug *hp = p->hp;
	unsigned int slot = p->slot;
	struct vm *vm = hp->vm;
	struct rpc_deferred *reply;
	struct rpc_error err = { "", "" };
	char mbuf[MAC_STRLEN];
	struct pcihp *h;

	hp_ejected(hp);		/* an eject racing with the timer wins */
	if (!p->nic)
		return;
	pthread_mutex_lock(&vm->dev_lock);
	h = hp_ctl(vm);
	if (h)
		pcihp_cancel_unplug(h, slot);
	reply = p->reply;
	p->reply = NULL;
	mac_format_canonical(&p->mac, mbuf);
	hp_pending_end(hp, slot);
	pthread_mutex_unlock(&vm->dev_lock);
	log_warn("hotplug: the guest did not release NIC %s (slot 00:%02x.0) "
		 "in time; it stays", mbuf, slot);
	rpc_errorf(&err, ETIMEDOUT, "the guest did not release NIC %s "
		   "(slot 00:%02x.0) in time (no hot-plug support in it, or "
		   "it is not running); the NIC stays as it was", mbuf, slot);
	rpc_deferred_reply(reply, -ETIMEDOUT, NULL, &err);
}

/* nic.remove's {mac[, timeout_ms]}. */
static int remove_params(json_t *params, struct mac_addr *mac,
			 json_int_t *timeout, struct rpc_error *err)
{
	json_t *jt = params ? json_object_get(params, "timeout_ms") : NULL;
	int rc = parse_mac(params, mac, "nic.remove", err);

	if (rc < 0 || !jt)
		return rc;
	if (!json_is_integer(jt) ||
	    (*timeout = json_integer_value(jt)) < HOTPLUG_TIMEOUT_MIN_MS ||
	    *timeout > HOTPLUG_TIMEOUT_MAX_MS)
		return rpc_errorf(err, EINVAL, "timeout_ms must be an integer "
				  "from %d to %d", HOTPLUG_TIMEOUT_MIN_MS,
				  HOTPLUG_TIMEOUT_MAX_MS);
	return 0;
}

/* Follow the guest's ejects (once). */
static int hp_watch_ejects(struct hotplug *hp, struct rpc_error *err)
{
	struct vm *vm = hp->vm;
	struct pcihp *h;
	int rc;

	if (hp->eject_watched)
		return 0;
	pthread_mutex_lock(&vm->dev_lock);
	h = hp_ctl(vm);
	rc = h ? vm_watch_core_fd(vm, pcihp_eject_fd(h), hp_ejected, hp) :
		 -ENODEV;
	pthread_mutex_unlock(&vm->dev_lock);
	if (rc < 0)
		return rpc_errorf(err, -rc, "%s", strerror(-rc));
	hp->eject_watched = true;
	return 0;
}

int hotplug_ctl_remove(void *ctx, struct rpc_conn *conn, json_t *params,
		       json_t **result, struct rpc_error *err)
{
	struct vm *vm = ctx;
	struct hotplug *hp = hotplug_of(vm);
	json_int_t timeout = HOTPLUG_TIMEOUT_MS;
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };
	char mbuf[MAC_STRLEN];
	struct hp_pending *p;
	struct mac_addr mac;
	struct virtio_net *n;
	struct pcihp *h;
	unsigned int slot;
	int rc, tfd = -1;

	(void)result;
	if (!hp)
		return rpc_errorf(err, ENOMEM, "out of memory");
	if ((rc = remove_params(params, &mac, &timeout, err)) < 0 ||
	    (rc = hp_busy(vm, "nic.remove", err)) < 0)
		return rc;
	if (vm_state(vm) == CORE_PAUSED)
		return rpc_errorf(err, EBUSY, "domain is paused "
				  "(the guest must release the NIC); resume "
				  "it first");
	if ((rc = hp_watch_ejects(hp, err)) < 0)
		return rc;
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (tfd < 0)
		return rpc_errorf(err, errno, "timer: %s",
				  strerror(errno));
	pthread_mutex_lock(&vm->dev_lock);
	h = hp_ctl(vm);
	n = hp_nic_by_mac(vm, &mac);
	if (!n || !h) {
		rc = rpc_errorf(err, ENOENT, "no NIC with MAC %s",
				mac_format_canonical(&mac, mbuf));
		goto fail;
	}
	slot = virtio_net_slot(n);
	p = &hp->pending[slot];
	pcihp_set_removable(h, slot, true);
	rc = pcihp_request_unplug(h, slot);
	if (rc < 0 || p->nic) {
		rc = rpc_errorf(err, EBUSY, "NIC %s is being removed "
				"already", mac_format_canonical(&mac, mbuf));
		goto fail;
	}
	its.it_value.tv_sec = timeout / 1000;
	its.it_value.tv_nsec = (long)(timeout % 1000) * 1000000;
	if (timerfd_settime(tfd, 0, &its, NULL) < 0 ||
	    (rc = vm_watch_core_fd(vm, tfd, hp_timeout, p)) < 0 ||
	    !(p->reply = rpc_conn_defer(conn))) {
		rc = errno ? -errno : -ENOMEM;
		vm_unwatch_fd(vm, tfd);
		pcihp_cancel_unplug(h, slot);
		rc = rpc_errorf(err, -rc, "%s", strerror(-rc));
		goto fail;
	}
	p->nic = n;
	p->mac = mac;
	p->timer_fd = tfd;
	pthread_mutex_unlock(&vm->dev_lock);
	log_info("hotplug: asked the guest to release NIC %s (slot 00:%02x.0)",
		 mac_format_canonical(&mac, mbuf), slot);
	return 0;	/* answered by hp_ejected or hp_timeout */
fail:
	pthread_mutex_unlock(&vm->dev_lock);
	close(tfd);
	return rc;
}

int hotplug_ctl_list(void *ctx, struct rpc_conn *conn, json_t *params,
		     json_t **result, struct rpc_error *err)
{
	struct vm *vm = ctx;
	struct hotplug *hp = hotplug_of(vm);
	struct virtio_net *nics[HOTPLUG_NICS_MAX * 2];
	json_t *arr = json_array();
	unsigned int n;

	(void)conn;
	(void)params;
	if (!arr || !hp) {
		json_decref(arr);
		return rpc_errorf(err, ENOMEM, "out of memory");
	}
	pthread_mutex_lock(&vm->dev_lock);
	n = hp_nics(vm, nics);
	for (unsigned int i = 0; i < n; i++) {
		unsigned int slot = virtio_net_slot(nics[i]);
		char mbuf[MAC_STRLEN];

		mac_format_canonical(virtio_net_mac(nics[i]), mbuf);
		json_array_append_new(arr, json_pack(
			"{s:i, s:s, s:s, s:b, s:b}", "slot", (int)slot,
			"mac", mbuf,
			"vnic", virtio_net_path(nics[i]),
			"hotplugged", (hp->hot >> slot) & 1,
			"removing", hp->pending[slot].nic != NULL));
	}
	pthread_mutex_unlock(&vm->dev_lock);
	*result = json_pack("{s:o}", "nics", arr);
	return *result ? 0 : rpc_errorf(err, ENOMEM, "out of memory");
}

void hotplug_close(struct vm *vm)
{
	struct core *c = core_of(vm);
	struct hotplug *hp = c ? c->hotplug : NULL;
	struct rpc_error err = { "", "" };
	struct pcihp *h;

	if (!hp)
		return;
	rpc_errorf(&err, ECANCELED, "hv stopped before the guest "
		   "released the NIC");
	for (unsigned int s = 0; s < PCI_SLOTS; s++) {
		struct rpc_deferred *reply = hp->pending[s].reply;

		hp->pending[s].reply = NULL;
		hp_pending_end(hp, s);
		if (reply)
			rpc_deferred_reply(reply, -ECANCELED, NULL, &err);
	}
	if (hp->eject_watched && vm->devices) {
		pthread_mutex_lock(&vm->dev_lock);
		h = hp_ctl(vm);
		if (h)
			vm_unwatch_fd(vm, pcihp_eject_fd(h));
		pthread_mutex_unlock(&vm->dev_lock);
	}
	free(hp);
	c->hotplug = NULL;
}
