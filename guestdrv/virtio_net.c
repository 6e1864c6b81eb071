/*
 * virtio_net.c: virtio-net frontend (virtio 1.2 §5.1), modern PCI only,
 * polled. Features: VERSION_1, MAC, STATUS, MTU, MRG_RXBUF and EVENT_IDX
 * when the device offers them; no offloads, no control queue, one queue
 * pair.
 *
 * MTU: the device's (§5.1.4.1, VIRTIO_NET_F_MTU) when it gives one, else
 * 1500; mtu= on the command line overrides it (netwl.c).
 *
 * Receive: every receiveq descriptor holds one 2 KiB buffer, all posted at
 * start; rx_poll takes completed ones, hands the frames to the stack and
 * reposts the buffers, one kick (if the device wants one) per poll. A
 * frame longer than a buffer comes in num_buffers of them (MRG_RXBUF,
 * §5.1.6.3.2), copied together into one frame; without MRG_RXBUF frames
 * over 2 KiB cannot be received and the MTU is held below that.
 * Transmit: one descriptor per frame (header and frame in one buffer of
 * VNET_TX_BUF_SIZE:
 * VERSION_1 implies ANY_LAYOUT, §5.1.6.2); frames are queued and published
 * together with one kick per batch; used buffers are reclaimed when a
 * buffer is wanted. Every used entry from the device is range-checked.
 */
#include "virtio_net.h"

#define VIRTIO_ID_NET		1
#define VIRTIO_NET_F_MTU	3
#define VIRTIO_NET_F_MAC	5
#define VIRTIO_NET_F_MRG_RXBUF	15
#define VIRTIO_NET_F_STATUS	16
#define VIRTIO_NET_S_LINK_UP	1
#define VNET_CFG_MAC		0
#define VNET_CFG_STATUS		6
#define VNET_CFG_MTU		10
/* the longest frame 2 KiB buffers take without MRG_RXBUF */
#define VNET_MTU_NO_MRG		(VNET_BUF_SIZE - VNET_HDR_LEN - ETH_HLEN)
#define VNET_STATUS_NS		1000000000ULL

static struct vnet vnets[NET_MAX_NICS];
static unsigned int nr_vnets;
/* Rings' buffers: identity-mapped like everything, so pointers are the
 * guest-physical addresses the device needs. */
static uint8_t vnet_rx_mem[NET_MAX_NICS][VNET_QSIZE * VNET_BUF_SIZE]
	__attribute__((aligned(4096), section(".noinit")));
static uint8_t vnet_tx_mem[NET_MAX_NICS][VNET_QSIZE * VNET_TX_BUF_SIZE]
	__attribute__((aligned(4096), section(".noinit")));

struct vnet *vnet_of(struct netif *nif)
{
	return nif ? nif->priv : NULL;
}

bool vnet_link_up(struct vnet *vn)
{
	uint16_t st;

	if (!vn->has_status)
		return true;
	if (virtio_config_read(&vn->vd, VNET_CFG_STATUS, &st, sizeof(st)) < 0)
		return false;
	return st & VIRTIO_NET_S_LINK_UP;
}

/* ---- transmit ---- */

static void vnet_tx_reclaim(struct vnet *vn)
{
	uint8_t *b;

	while ((b = virtq_get(&vn->txq, NULL)) != NULL)
		if (vn->nr_tx_free < vn->nr_tx)
			vn->tx_free[vn->nr_tx_free++] = b;
}

static uint8_t *vnet_tx_buf(struct netif *nif)
{
	struct vnet *vn = nif->priv;

	if (!vn->nr_tx_free)
		vnet_tx_reclaim(vn);
	if (!vn->nr_tx_free)
		return NULL;
	return vn->tx_free[--vn->nr_tx_free] + VNET_HDR_LEN;
}

static int vnet_tx_queue(struct netif *nif, uint8_t *frame, uint16_t len)
{
	struct vnet *vn = nif->priv;
	uint8_t *hdr = frame - VNET_HDR_LEN;
	struct virtq_buf out = { hdr, (uint32_t)(VNET_HDR_LEN + len) };
	int rc = -EINVAL;

	if (len && len <= nif->mtu + ETH_HLEN) {
		memset(hdr, 0, VNET_HDR_LEN);	/* no offloads (§5.1.6.2) */
		rc = virtq_add(&vn->txq, &out, 1, NULL, 0, hdr);
	}
	if (rc < 0 && vn->nr_tx_free < vn->nr_tx)
		vn->tx_free[vn->nr_tx_free++] = hdr;
	return rc;
}

static void vnet_tx_flush(struct netif *nif)
{
	struct vnet *vn = nif->priv;

	virtq_kick(&vn->txq);
	nif->kicks = vn->txq.kicks + vn->rxq.kicks;
}

static unsigned int vnet_tx_space(struct netif *nif)
{
	struct vnet *vn = nif->priv;

	vnet_tx_reclaim(vn);
	return vn->nr_tx_free;
}

/* ---- receive ---- */

static void vnet_rx_post(struct vnet *vn, uint8_t *buf)
{
	struct virtq_buf in = { buf, VNET_BUF_SIZE };

	virtq_add(&vn->rxq, NULL, 0, &in, 1, buf);
}

static void vnet_rx_drop(struct vnet *vn, unsigned int rest)
{
	vn->mrg_skip = MIN(rest, (unsigned int)vn->rxq.size);
	vn->mrg_left = 0;
	vn->rx_bad++;
	vn->nif->rx_dropped++;
}

/* A further buffer of a frame split over several (no header of its
 * own): appended; the frame goes up when it is whole. */
static void vnet_rx_more(struct vnet *vn, const uint8_t *buf, uint32_t len)
{
	if (len > VNET_BUF_SIZE ||
	    len > sizeof(vn->mrg_frame) - vn->mrg_len) {
		vnet_rx_drop(vn, vn->mrg_left - 1);
		return;
	}
	memcpy(vn->mrg_frame + vn->mrg_len, buf, len);
	vn->mrg_len += len;
	if (--vn->mrg_left == 0)
		net_input(vn->nif, vn->mrg_frame, vn->mrg_len);
}

/* One completed receive buffer of len bytes (header included in the
 * first buffer of a frame). */
static void vnet_rx_one(struct vnet *vn, uint8_t *buf, uint32_t len)
{
	uint16_t nbufs;

	if (vn->mrg_skip) {
		vn->mrg_skip--;		/* the tail of a frame we dropped */
		return;
	}
	if (vn->mrg_left) {
		vnet_rx_more(vn, buf, len);
		return;
	}
	if (len < VNET_HDR_LEN + ETH_HLEN || len > VNET_BUF_SIZE) {
		vn->rx_bad++;
		vn->nif->rx_dropped++;
		return;
	}
	nbufs = (uint16_t)(buf[10] | buf[11] << 8);	/* num_buffers, LE */
	if (virtio_has(&vn->vd, VIRTIO_NET_F_MRG_RXBUF) && nbufs > 1) {
		/* a frame longer than one buffer: the rest follows */
		if (nbufs > vn->rxq.size) {
			vnet_rx_drop(vn, nbufs - 1u);
			return;
		}
		vn->mrg_len = len - VNET_HDR_LEN;
		memcpy(vn->mrg_frame, buf + VNET_HDR_LEN, vn->mrg_len);
		vn->mrg_left = nbufs - 1u;
		return;
	}
	net_input(vn->nif, buf + VNET_HDR_LEN, len - VNET_HDR_LEN);
}

static void vnet_link_check(struct vnet *vn)
{
	bool up;

	if (!vn->has_status || net_now < vn->next_status)
		return;
	vn->next_status = net_now + VNET_STATUS_NS;
	up = vnet_link_up(vn);
	if (up != vn->nif->link_up)
		kprintf("guest: %s link=%s\n", vn->nif->name, up ? "up" : "down");
	vn->nif->link_up = up;
}

static unsigned int vnet_rx_poll(struct netif *nif, unsigned int budget)
{
	struct vnet *vn = nif->priv;
	unsigned int n = 0;
	uint32_t len;
	uint8_t *buf;

	vnet_link_check(vn);
	while (n < budget && (buf = virtq_get(&vn->rxq, &len)) != NULL) {
		vnet_rx_one(vn, buf, len);
		vnet_rx_post(vn, buf);
		n++;
	}
	if (n) {
		virtq_kick(&vn->rxq);
		nif->kicks = vn->txq.kicks + vn->rxq.kicks;
	}
	return n;
}

static const struct netif_ops vnet_ops = {
	.tx_buf = vnet_tx_buf,
	.tx_queue = vnet_tx_queue,
	.tx_flush = vnet_tx_flush,
	.rx_poll = vnet_rx_poll,
	.tx_space = vnet_tx_space,
};

/* ---- setup ---- */

static void vnet_buffers(struct vnet *vn, unsigned int idx)
{
	vn->rx_mem = vnet_rx_mem[idx];
	vn->tx_mem = vnet_tx_mem[idx];
	vn->nr_tx = vn->nr_tx_free = vn->txq.size;
	for (unsigned int i = 0; i < vn->nr_tx; i++)
		vn->tx_free[i] = vn->tx_mem + (size_t)i * VNET_TX_BUF_SIZE;
	for (unsigned int i = 0; i < vn->rxq.size; i++)
		vnet_rx_post(vn, vn->rx_mem + (size_t)i * VNET_BUF_SIZE);
}

/* A MAC when the device has none to give: locally administered,
 * unicast, 02:78:76 ("xv") plus the slot. */
static void vnet_mac(struct vnet *vn, uint8_t mac[ETH_ALEN])
{
	static const uint8_t base[ETH_ALEN] = { 0x02, 0x78, 0x76, 0, 0, 0 };

	memcpy(mac, base, ETH_ALEN);
	mac[4] = vn->vd.pci->dev;
	mac[5] = vn->vd.pci->fn;
	if (virtio_has(&vn->vd, VIRTIO_NET_F_MAC) &&
	    virtio_config_read(&vn->vd, VNET_CFG_MAC, mac, ETH_ALEN) < 0)
		memcpy(mac, base, ETH_ALEN);
}

/* The MTU to start with: the device's if it gives one, in our range. */
static uint16_t vnet_mtu(struct vnet *vn)
{
	uint16_t mtu = NET_MTU_DEFAULT, max = NET_MTU_MAX;

	if (!virtio_has(&vn->vd, VIRTIO_NET_F_MRG_RXBUF))
		max = VNET_MTU_NO_MRG;
	if (virtio_has(&vn->vd, VIRTIO_NET_F_MTU) &&
	    virtio_config_read(&vn->vd, VNET_CFG_MTU, &mtu, sizeof(mtu)) < 0)
		mtu = NET_MTU_DEFAULT;
	return (uint16_t)MAX(68, MIN(mtu, max));
}

static int vnet_start(struct vnet *vn, struct pci_dev *pci, unsigned int idx)
{
	uint64_t want = 1ULL << VIRTIO_NET_F_MAC | 1ULL << VIRTIO_NET_F_STATUS |
			1ULL << VIRTIO_NET_F_MRG_RXBUF | 1ULL << VIRTIO_F_EVENT_IDX |
			1ULL << VIRTIO_NET_F_MTU;
	uint8_t mac[ETH_ALEN];
	int rc;

	rc = virtio_pci_init(&vn->vd, pci, "virtio-net", want);
	if (rc < 0)
		return rc;
	rc = virtio_queue_setup(&vn->vd, &vn->rxq, 0, VNET_QSIZE);
	if (rc == 0)
		rc = virtio_queue_setup(&vn->vd, &vn->txq, 1, VNET_QSIZE);
	if (rc < 0)
		goto fail;
	vn->has_status = virtio_has(&vn->vd, VIRTIO_NET_F_STATUS);
	vnet_mac(vn, mac);
	vn->nif = netif_add(mac, &vnet_ops, vn);
	if (!vn->nif) {
		rc = -ENOSPC;
		goto fail;
	}
	vn->nif->mtu = vnet_mtu(vn);
	vnet_buffers(vn, idx);
	vn->nif->tx_total = vn->nr_tx;
	virtio_driver_ok(&vn->vd);
	virtq_kick(&vn->rxq);
	vn->nif->link_up = vnet_link_up(vn);
	return 0;
fail:
	virtio_fail(&vn->vd);
	return rc;
}

int virtio_net_init(void)
{
	struct pci_dev *pci;
	int rc;

	for (unsigned int i = 0; i < NET_MAX_NICS * 2 && nr_vnets < NET_MAX_NICS; i++) {
		pci = pci_find(VIRTIO_PCI_VENDOR, VIRTIO_PCI_MODERN_BASE + VIRTIO_ID_NET, i);
		if (!pci)
			break;
		rc = vnet_start(&vnets[nr_vnets], pci, nr_vnets);
		if (rc < 0)
			kprintf("guest: warning: virtio-net at %02x.%x failed (%d)\n",
				pci->dev, pci->fn, rc);
		else
			vnets[nr_vnets++].used = true;
	}
	return (int)nr_vnets;
}

bool virtio_net_is(const struct pci_dev *pci)
{
	return pci->vendor == VIRTIO_PCI_VENDOR &&
	       pci->device == VIRTIO_PCI_MODERN_BASE + VIRTIO_ID_NET;
}

struct netif *virtio_net_hotplug(struct pci_dev *pci)
{
	for (unsigned int i = 0; i < NET_MAX_NICS; i++) {
		struct vnet *vn = &vnets[i];
		int rc;

		if (vn->used)
			continue;
		memset(vn, 0, sizeof(*vn));
		rc = vnet_start(vn, pci, i);
		if (rc < 0) {
			kprintf("guest: warning: virtio-net at %02x.%x failed (%d)\n",
				pci->dev, pci->fn, rc);
			return NULL;
		}
		vn->used = true;
		if (i >= nr_vnets)
			nr_vnets = i + 1;
		return vn->nif;
	}
	kprintf("guest: warning: virtio-net at %02x.%x: no room (%d NICs)\n",
		pci->dev, pci->fn, NET_MAX_NICS);
	return NULL;
}

struct netif *virtio_net_unplug(struct pci_dev *pci)
{
	for (unsigned int i = 0; i < NET_MAX_NICS; i++) {
		struct vnet *vn = &vnets[i];

		if (!vn->used || vn->vd.pci != pci)
			continue;
		if (virtio_reset(&vn->vd) < 0)	/* the device lets go of our rings */
			kprintf("guest: warning: %s: reset timed out\n", vn->nif->name);
		netif_remove(vn->nif);
		vn->used = false;
		return vn->nif;
	}
	return NULL;
}
