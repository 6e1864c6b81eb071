/*
 * Modern virtio-pci transport (virtio 1.2 §4.1) for device models
 * described by a const ops table (virtio_console.c, later net, blk,
 * balloon). The transport owns the PCI function, feature negotiation,
 * the device status state machine, the virtqueues' configuration,
 * notifications (an ioeventfd per queue, or the MMIO notify region) and
 * interrupts (MSI-X through irqfds, or INTx with the ISR).
 *
 * Everything runs with dev_lock held.
 */
#ifndef HV_VIRTIO_PCI_H
#define HV_VIRTIO_PCI_H

/* The specification's constants come from the kernel's uapi headers:
 * device status VIRTIO_CONFIG_S_* (§2.1) and VIRTIO_F_VERSION_1
 * (virtio_config.h), VIRTIO_RING_F_* (virtio_ring.h), capability types
 * VIRTIO_PCI_CAP_*_CFG, common configuration offsets VIRTIO_PCI_COMMON_*,
 * VIRTIO_PCI_ISR_CONFIG and VIRTIO_MSI_NO_VECTOR (virtio_pci.h), device
 * ids VIRTIO_ID_* (virtio_ids.h). Only hv's own layout is defined here. */
#define VIRTIO_PCI_NO_LEGACY		/* modern only: no legacy offsets */
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_pci.h>
#include "pci.h"
#include "virtqueue.h"

/* PCI ids (§4.1.2; not in the uapi headers). */
#define VIRTIO_PCI_VENDOR		0x1af4
#define VIRTIO_PCI_DEVICE_BASE		0x1040	/* + virtio device id */
#define VIRTIO_PCI_MAX_QUEUES		8

/* BAR0 layout (ours; the capabilities point the driver at it). */
#define VIRTIO_PCI_COMMON_OFF		0x0000
#define VIRTIO_PCI_COMMON_LEN		56	/* virtio_pci_common_cfg */
#define VIRTIO_PCI_ISR_OFF		0x1000
#define VIRTIO_PCI_DEVICE_OFF		0x2000
#define VIRTIO_PCI_NOTIFY_OFF		0x3000
#define VIRTIO_PCI_NOTIFY_MULT		4
#define VIRTIO_PCI_MSIX_TABLE_OFF	0x4000
#define VIRTIO_PCI_MSIX_PBA_OFF		0x5000
#define VIRTIO_PCI_BAR_SIZE		0x8000

struct virtio_pci;

/* A virtio device model. */
struct virtio_dev_ops {
	const char *name;	/* "virtio-console": PCI name, snapshot section */
	uint16_t device_id;	/* virtio device id (§5), 3 = console */
	uint32_t class_code;	/* PCI class code */
	uint64_t features;	/* device features offered (VERSION_1,
				 * EVENT_IDX, INDIRECT_DESC are added) */
	unsigned int num_queues;	/* <= VIRTIO_PCI_MAX_QUEUES */
	uint16_t queue_max;	/* largest queue size (a power of two) */
	uint32_t cfg_size;	/* bytes of device configuration, <= 0x1000 */
	/* Read `size` bytes of device config at off (off + size <=
	 * cfg_size). */
	uint32_t (*cfg_read)(struct virtio_pci *vp, uint32_t off,
			     unsigned int size);
	/* Write to device config (same bounds); may be NULL. */
	void (*cfg_write)(struct virtio_pci *vp, uint32_t off,
			  unsigned int size, uint32_t val);
	/* The driver notified queue q (enabled, DRIVER_OK set). */
	void (*queue_notify)(struct virtio_pci *vp, unsigned int q);
	/* Device reset (status 0): drop the model's queue-related state. */
	void (*reset)(struct virtio_pci *vp);
	/* Model state after the transport's in the device's section; load
	 * validates everything and changes nothing on failure. */
	int (*save)(struct virtio_pci *vp, struct snap_writer *w);
	int (*load)(struct virtio_pci *vp, struct snap_reader *r);

	/* The members below serve models whose queues are processed outside
	 * hv (virtio_net.c: a vhost-user backend). All may be NULL. */

	/* Device features offered, replacing `features` and the bits the
	 * transport adds: the model offers what its backend supports (and
	 * must include VERSION_1). Called whenever the driver reads them and
	 * to check FEATURES_OK and loaded state. */
	uint64_t (*get_features)(struct virtio_pci *vp);
	/* The eventfd the transport registers as queue q's ioeventfd
	 * (instead of one of its own), so a guest kick signals it inside
	 * KVM; the transport does not watch it (the backend does) and never
	 * closes it. Must stay the same fd for the device's lifetime. Kicks
	 * that reach the MMIO handler still call queue_notify. */
	int (*queue_kick_fd)(struct virtio_pci *vp, unsigned int q);
	/* DRIVER_OK was just set (before queue_notify is called for every
	 * queue): the model may hand its enabled queues to the backend. */
	void (*driver_ok)(struct virtio_pci *vp);
	/* Interrupt routing may have changed (MSI-X enabled or masked, a
	 * vector reprogrammed, a queue's vector written, a load):
	 * virtio_pci_queue_irqfd() may now give another answer. */
	void (*irq_changed)(struct virtio_pci *vp);
	/* A load() succeeded and the transport's loaded state is installed. */
	void (*loaded)(struct virtio_pci *vp);
	/* hv_device_ops.quiesce, called with the vCPUs paused before guest
	 * RAM is copied for a save or the last round of a migration (stop):
	 * finish or stop everything that writes guest memory behind the
	 * vCPUs' back (answer requests in flight in the rings; stop a
	 * vhost-user backend's rings), so the copied RAM and the saved
	 * queue indices agree; or, after a failed save (!stop), go on. */
	void (*quiesce)(struct virtio_pci *vp, bool stop);
	/* hv_device_ops.drain: before quiesce(stop), wait until the backend
	 * answered every request it took (0), or fail the save (-errno and
	 * msg) rather than lose one. */
	int (*drain)(struct virtio_pci *vp, char *msg, size_t msglen);
	/* hv_device_ops.dirty_log and .announce (live migration). */
	int (*dirty_log)(struct virtio_pci *vp, bool on, char *msg,
			 size_t msglen);
	void (*announce)(struct virtio_pci *vp);
};

/* Create the function, put it on the bus (BAR pre-assigned) and register
 * it for save/load. NULL + errno. */
struct virtio_pci *virtio_pci_create(struct vm *vm, struct pci_bus *bus,
				     const struct virtio_dev_ops *ops,
				     void *model);
void virtio_pci_destroy(struct virtio_pci *vp);
extern const struct hv_device_ops virtio_pci_device_ops;
/* Are its queues processed outside hv (a vhost-user backend writing guest
 * memory on its own)? */
bool virtio_pci_external_queues(const struct virtio_pci *vp);

void *virtio_pci_model(const struct virtio_pci *vp);
struct vm *virtio_pci_vm(const struct virtio_pci *vp);
/* Queue q's ring, or NULL if q is out of range or not enabled. */
struct vq *virtio_pci_queue(struct virtio_pci *vp, unsigned int q);
bool virtio_pci_driver_ok(const struct virtio_pci *vp);
/* Tell the driver about used buffers in q if it wants an interrupt. */
void virtio_pci_queue_interrupt(struct virtio_pci *vp, unsigned int q);
/* The driver broke the protocol on some queue: DEVICE_NEEDS_RESET and a
 * configuration change interrupt (§2.1.2). */
void virtio_pci_needs_reset(struct virtio_pci *vp);
/* Device configuration changed: bump config_generation, interrupt. */
void virtio_pci_config_changed(struct virtio_pci *vp);
/* The PCI function (tests read its config space). */
struct pci_dev *virtio_pci_dev(struct virtio_pci *vp);
/* Current INTx level (tests). */
int virtio_pci_intx_level(const struct virtio_pci *vp);
/* The KVM GSI MSI-X vector vec is bound to, -1 if none (tests). */
int virtio_pci_vector_gsi(const struct virtio_pci *vp, unsigned int vec);
/* Whether queue q's notifications arrive through an ioeventfd (tests). */
bool virtio_pci_queue_ioeventfd(const struct virtio_pci *vp, unsigned int q);

/* For models with external queues (see get_features .. loaded above). */
/* The features the driver accepted (meaningful once FEATURES_OK). */
uint64_t virtio_pci_driver_features(const struct virtio_pci *vp);
/* The eventfd bound with irqfd to queue q's MSI-X vector, when MSI-X is
 * on, the vector valid, unmasked and bound in KVM: a backend writing it
 * interrupts the guest without hv. -1 otherwise. */
int virtio_pci_queue_irqfd(const struct virtio_pci *vp, unsigned int q);
/* Whether an interrupt for q can reach the driver at all: INTx (MSI-X
 * off) or a valid vector. False for VIRTIO_MSI_NO_VECTOR under MSI-X. */
bool virtio_pci_queue_irq_wanted(const struct virtio_pci *vp, unsigned int q);
/* Raise q's interrupt now (ISR and INTx, or its vector, pending if
 * masked): the backend already applied the suppression rules. */
void virtio_pci_queue_signal(struct virtio_pci *vp, unsigned int q);

#endif
