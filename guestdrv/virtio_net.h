/*
 * virtio_net.h: the virtio-net frontend (virtio_net.c). Each device found
 * on PCI (1af4:1041, in PCI order) becomes a netif nic0, nic1, ...; the
 * stack drives it through the netif ops. badring.c reaches into the rings
 * through struct vnet on purpose.
 */
#ifndef MINIOS_VIRTIO_NET_H
#define MINIOS_VIRTIO_NET_H

#include "virtio.h"
#include "net.h"

#define VNET_QSIZE	256		/* descriptors per queue (at most) */
#define VNET_BUF_SIZE	2048		/* a receive buffer */
#define VNET_HDR_LEN	12		/* struct virtio_net_hdr, §5.1.6 */
/* a transmit buffer: header and the longest frame */
#define VNET_TX_BUF_SIZE	((VNET_HDR_LEN + ETH_MAX_FRAME + 63) & ~63)

struct vnet {
	struct virtio_dev vd;
	struct virtq rxq, txq;		/* receiveq1 = 0, transmitq1 = 1 */
	struct netif *nif;
	uint8_t *rx_mem, *tx_mem;	/* VNET_QSIZE buffers each */
	uint8_t *tx_free[VNET_QSIZE];	/* free transmit buffers */
	unsigned int nr_tx_free, nr_tx;
	unsigned int mrg_skip;		/* buffers left of a dropped multi-buffer frame */
	unsigned int mrg_left;		/* buffers still to come of the frame
					 * being put together in mrg_frame */
	uint32_t mrg_len;		/* its bytes so far */
	uint8_t mrg_frame[ETH_MAX_FRAME];
	bool has_status;
	uint64_t next_status;		/* when to look at the link bit again */
	uint64_t rx_bad;		/* used entries we refused */
	bool used;			/* driving a device */
};

/* Probe and start every virtio-net device; returns how many started.
 * Failures are reported on the console. */
int virtio_net_init(void);
struct vnet *vnet_of(struct netif *nif);
/* Hot-plug (hotplug.c): is pci a virtio-net function; start one that
 * appeared (its netif, NULL on failure); stop the one on pci before it
 * goes: device reset, netif removed (the netif, NULL if pci is not ours). */
bool virtio_net_is(const struct pci_dev *pci);
struct netif *virtio_net_hotplug(struct pci_dev *pci);
struct netif *virtio_net_unplug(struct pci_dev *pci);
/* Read the link bit (config access: an exit per byte); true if no STATUS. */
bool vnet_link_up(struct vnet *vn);

#endif
