/*
 * virtio-net device model (virtio_net.c) whose queues are processed by a
 * vhost-user backend (vswitchd's guest VNIC): declarations for the unit
 * tests (hv creates one NIC per --net through the device table).
 * Everything runs with dev_lock held, except creation and destruction
 * (before the vCPUs start, after they stop).
 */
#ifndef HV_VIRTIO_NET_H
#define HV_VIRTIO_NET_H

#include <stddef.h>
#include <linux/virtio_net.h>	/* VIRTIO_NET_F_*, VIRTIO_NET_S_LINK_UP */
#include "xvm/mac.h"
#include "dev.h"

struct pci_bus;
struct virtio_pci;
struct virtio_net;

#define VIRTIO_NET_QUEUE_MAX		1024
/* The configuration hv offers (§5.1.4): mac, status, max_virtqueue_pairs,
 * mtu (1500 unless --net mtu= set it; offered with VIRTIO_NET_F_MTU). */
#define VIRTIO_NET_CFG_SIZE		offsetof(struct virtio_net_config, speed)
#define VIRTIO_NET_MTU_MIN		68
#define VIRTIO_NET_MTU_MAX		9000

/* Reconnect back-off while the backend is gone (ms). */
#define VIRTIO_NET_RETRY_MIN_MS		50
#define VIRTIO_NET_RETRY_MAX_MS		200

/* A NIC on the PCI bus whose backend listens on `sock` (a vhost-user
 * server socket). The first connection is tried at once; if it fails the
 * NIC starts with its link down and keeps retrying. Registered for
 * save/load through its transport. NULL + errno. */
struct virtio_net *virtio_net_create(struct vm *vm, struct pci_bus *bus,
				     const char *sock,
				     const struct mac_addr *mac);
void virtio_net_destroy(struct virtio_net *n);
/* Offer VIRTIO_NET_F_MTU with mtu (VIRTIO_NET_MTU_MIN..MAX; the guest
 * VNIC's), before the guest starts; 0: not offered. */
void virtio_net_set_mtu(struct virtio_net *n, uint16_t mtu);
struct virtio_pci *virtio_net_transport(struct virtio_net *n);

/* State a user (and the tests) can observe. */
bool virtio_net_link_up(const struct virtio_net *n);
bool virtio_net_connected(const struct virtio_net *n);
/* Whether queue q is handed to the backend. */
bool virtio_net_queue_started(const struct virtio_net *n, unsigned int q);
/* The MAC the guest reads, the backend's socket, the PCI slot. */
const struct mac_addr *virtio_net_mac(const struct virtio_net *n);
const char *virtio_net_path(const struct virtio_net *n);
unsigned int virtio_net_slot(struct virtio_net *n);
/* Sessions established after the first one. */
uint64_t virtio_net_reconnects(const struct virtio_net *n);

/* Event handlers, called by the event loop through fd watches; public
 * so the unit tests (which have no event loop) can drive them. */
/* The backend's socket is readable (EOF: it went away). */
void virtio_net_backend_event(struct virtio_net *n);
/* The reconnect timer fired: try to connect again. */
void virtio_net_retry(struct virtio_net *n);

/* The device table's type (hot-plug adds instances of it). */
extern const struct dev_type virtio_net_dev_type;

#endif
