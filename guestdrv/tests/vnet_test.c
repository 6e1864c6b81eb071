/*
 * vnet_test.c: the virtio-net driver's data path on the host (part of
 * `make guest-test`), against a simulated device behind stubs of the PCI
 * transport: receive buffers posted at start, frames handed to the stack
 * and answered with one kick, hostile used entries (short, oversized,
 * unknown ids, a split frame that goes wrong) dropped and their buffers
 * reposted, a 9014-byte frame put together from five buffers (MRG_RXBUF)
 * and answered in one, the MTU read from the device, transmit buffers
 * running out and coming back; a NIC hot-plugged, given its ip= address,
 * unplugged (device reset, netif gone) and its entry reused.
 */
#include "../virtio_net.h"

int printf(const char *fmt, ...);
void vnet_tests(int *checks, int *failures);

static int *v_checks, *v_failures;

#define CHECK(cond) do {						\
	(*v_checks)++;							\
	if (!(cond)) {							\
		(*v_failures)++;					\
		printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);	\
	}								\
} while (0)

#define QSIZE	16

/* ---- stubs of the transport (virtio_pci.c, pci.c) ---- */

static struct pci_dev fake_pci = { .dev = 3, .vendor = 0x1af4, .device = 0x1041 };
static uint16_t notify_reg;
static uint16_t link_status = 1;
static const uint8_t dev_mac[6] = { 0, 0x16, 0x3e, 9, 8, 7 };
static const uint16_t dev_mtu = 9000;

struct pci_dev *pci_find(uint16_t vendor, uint16_t device, unsigned int index)
{
	return vendor == 0x1af4 && device == 0x1041 && index == 0 ? &fake_pci : NULL;
}

int virtio_pci_init(struct virtio_dev *vd, struct pci_dev *pci,
		    const char *name, uint64_t wanted)
{
	memset(vd, 0, sizeof(*vd));
	vd->pci = pci;
	vd->name = name;
	vd->features = wanted | 1ULL << VIRTIO_F_VERSION_1;
	return 0;
}

int virtio_queue_setup(struct virtio_dev *vd, struct virtq *vq,
		       uint16_t index, uint16_t max_size)
{
	int rc = virtq_init(vq, index, MIN(max_size, (uint16_t)QSIZE),
			    virtio_has(vd, VIRTIO_F_EVENT_IDX));

	vq->notify = (uintptr_t)&notify_reg;
	return rc;
}

void virtio_driver_ok(struct virtio_dev *vd) { (void)vd; }
void virtio_fail(struct virtio_dev *vd) { (void)vd; }
static unsigned int resets;
int virtio_reset(struct virtio_dev *vd) { (void)vd; resets++; return 0; }

int virtio_config_read(struct virtio_dev *vd, uint32_t off, void *buf, uint32_t len)
{
	(void)vd;
	if (off == 0 && len == 6)
		memcpy(buf, dev_mac, 6);
	else if (off == 6 && len == 2)
		memcpy(buf, &link_status, 2);
	else if (off == 10 && len == 2)
		memcpy(buf, &dev_mtu, 2);
	else
		return -ERANGE;
	return 0;
}

/* ---- the device side ---- */

static uint16_t rx_seen, tx_seen;

/* Complete the next posted receive buffer with frame (len bytes after
 * the header, or a raw used length if raw) and num_buffers. */
static void dev_rx(struct virtq *q, const uint8_t *frame, uint32_t len,
		   uint16_t nbufs, bool raw)
{
	uint16_t head = q->avail->ring[rx_seen++ % q->size];
	uint8_t *buf = (uint8_t *)(uintptr_t)q->desc[head].addr;
	uint16_t u = q->used->idx;

	memset(buf, 0, VNET_HDR_LEN);
	buf[10] = (uint8_t)nbufs;
	if (!raw)
		memcpy(buf + VNET_HDR_LEN, frame, len);
	q->used->ring[u % q->size] = (struct virtq_used_elem){ head, raw ? len : VNET_HDR_LEN + len };
	q->used->idx = (uint16_t)(u + 1);
}

/* Complete the next posted receive buffer with len raw bytes: a further
 * buffer of a frame spread over several (no header of its own). */
static void dev_rx_more(struct virtq *q, const uint8_t *data, uint32_t len)
{
	uint16_t head = q->avail->ring[rx_seen++ % q->size];
	uint8_t *buf = (uint8_t *)(uintptr_t)q->desc[head].addr;
	uint16_t u = q->used->idx;

	memcpy(buf, data, len);
	q->used->ring[u % q->size] = (struct virtq_used_elem){ head, len };
	q->used->idx = (uint16_t)(u + 1);
}

/* Take every published transmit chain; returns how many. */
static unsigned int dev_tx_take(struct virtq *q, bool complete)
{
	unsigned int n = 0;

	while (tx_seen != q->avail->idx) {
		uint16_t head = q->avail->ring[tx_seen++ % q->size];
		uint16_t u = q->used->idx;

		if (complete) {
			q->used->ring[u % q->size] = (struct virtq_used_elem){ head, 0 };
			q->used->idx = (uint16_t)(u + 1);
		}
		n++;
	}
	return n;
}

static size_t arp_request_for(uint8_t *f, uint32_t tpa)
{
	static const uint8_t src[6] = { 0, 0x16, 0x3e, 1, 1, 1 };

	memset(f, 0xff, 6);
	memcpy(f + 6, src, 6);
	put_be16(f + 12, ETH_P_ARP);
	put_be16(f + 14, 1);
	put_be16(f + 16, ETH_P_IP);
	f[18] = 6;
	f[19] = 4;
	put_be16(f + 20, 1);
	memcpy(f + 22, src, 6);
	put_be32(f + 28, 0x0b000002);
	memset(f + 32, 0, 6);
	put_be32(f + 38, tpa);
	return 42;
}

static void test_rx(struct netif *nif, struct vnet *vn)
{
	uint8_t f[64];
	size_t n = arp_request_for(f, 0x0b000001);
	uint64_t frames = nif->rx_frames;

	CHECK(vn->rxq.avail->idx == QSIZE);	/* all posted at start */
	/* A good frame: handed up, answered, buffer reposted. */
	dev_rx(&vn->rxq, f, (uint32_t)n, 1, false);
	CHECK(nif->ops->rx_poll(nif, 64) == 1 && nif->rx_frames == frames + 1);
	nif->ops->tx_flush(nif);
	CHECK(dev_tx_take(&vn->txq, true) == 1);
	CHECK(vn->rxq.avail->idx == QSIZE + 1);
	/* Too short, too long: dropped, buffers back. */
	dev_rx(&vn->rxq, NULL, 5, 1, true);
	dev_rx(&vn->rxq, NULL, 100000, 1, true);
	CHECK(nif->ops->rx_poll(nif, 64) == 2);
	CHECK(vn->rx_bad == 2 && nif->rx_frames == frames + 1);
	CHECK(vn->rxq.avail->idx == QSIZE + 3);
	/* A frame claiming 3 buffers whose second is too long: it and the
	 * third are dropped, then a good one gets through. */
	dev_rx(&vn->rxq, f, (uint32_t)n, 3, false);
	dev_rx_more(&vn->rxq, f, 0);
	vn->rxq.used->ring[(vn->rxq.used->idx - 1) % QSIZE].len = 100000;
	dev_rx(&vn->rxq, f, (uint32_t)n, 1, false);
	dev_rx(&vn->rxq, f, (uint32_t)n, 1, false);
	CHECK(nif->ops->rx_poll(nif, 64) == 4 && nif->rx_frames == frames + 2);
	nif->ops->tx_flush(nif);
	CHECK(dev_tx_take(&vn->txq, true) == 1);
	/* A used id we never posted: ignored; nothing is lost. */
	vn->rxq.used->ring[vn->rxq.used->idx % QSIZE] = (struct virtq_used_elem){ 999, 60 };
	vn->rxq.used->idx++;
	CHECK(nif->ops->rx_poll(nif, 64) == 0 && vn->rxq.num_free == 0);
	/* The budget bounds one poll. */
	for (int i = 0; i < 5; i++)
		dev_rx(&vn->rxq, NULL, 5, 1, true);
	CHECK(nif->ops->rx_poll(nif, 3) == 3 && nif->ops->rx_poll(nif, 3) == 2);
}

/* An echo request of n data bytes to 11.0.0.1 from 11.0.0.2. */
static size_t echo_request(uint8_t *f, uint16_t n)
{
	static const uint8_t src[6] = { 0, 0x16, 0x3e, 1, 1, 1 };
	uint8_t *ip = f + ETH_HLEN, *ic = ip + IP_HLEN;

	memcpy(f, dev_mac, 6);
	memcpy(f + 6, src, 6);
	put_be16(f + 12, ETH_P_IP);
	ic[0] = 8;
	ic[1] = 0;
	put_be16(ic + 2, 0);
	put_be16(ic + 4, 0x77);
	put_be16(ic + 6, 1);
	for (uint16_t i = 0; i < n; i++)
		ic[ICMP_HLEN + i] = (uint8_t)(i * 13 + 1);
	put_be16(ic + 2, (uint16_t)~inet_fold(inet_sum(ic, ICMP_HLEN + n, 0)));
	ip_build_header(ip, 0x0b000002, 0x0b000001, IP_PROTO_ICMP,
			(uint16_t)(ICMP_HLEN + n), 1);
	return ETH_HLEN + IP_HLEN + ICMP_HLEN + n;
}

/* MTU 9000 (from the device): a 9014-byte echo request in five receive
 * buffers, the first two in one poll and the rest in the next, is put
 * together, and the 9014-byte reply goes in one transmit buffer with the
 * data as sent. */
static void test_rx_jumbo(struct netif *nif, struct vnet *vn)
{
	static uint8_t f[ETH_MAX_FRAME];
	uint32_t first = VNET_BUF_SIZE - VNET_HDR_LEN, off;
	size_t n = echo_request(f, 9000 - IP_HLEN - ICMP_HLEN);
	uint16_t nb = (uint16_t)(1 + (n - first + VNET_BUF_SIZE - 1) / VNET_BUF_SIZE);
	uint64_t frames = nif->rx_frames;
	struct virtq_desc *d;
	const uint8_t *r;

	CHECK(n == 9014 && nb == 5);
	dev_rx(&vn->rxq, f, first, nb, false);
	dev_rx_more(&vn->rxq, f + first, VNET_BUF_SIZE);
	CHECK(nif->ops->rx_poll(nif, 64) == 2 && nif->rx_frames == frames);
	for (off = first + VNET_BUF_SIZE; off < n; off += VNET_BUF_SIZE)
		dev_rx_more(&vn->rxq, f + off, (uint32_t)MIN(n - off, (size_t)VNET_BUF_SIZE));
	CHECK(nif->ops->rx_poll(nif, 64) == 3 && nif->rx_frames == frames + 1);
	CHECK(nif->rx_bytes >= 9014);
	nif->ops->tx_flush(nif);
	d = &vn->txq.desc[vn->txq.avail->ring[tx_seen % vn->txq.size]];
	r = (const uint8_t *)(uintptr_t)d->addr + VNET_HDR_LEN;
	CHECK(d->len == VNET_HDR_LEN + 9014);
	CHECK(r[ETH_HLEN + IP_HLEN] == 0 &&
	      !memcmp(r + ETH_HLEN + IP_HLEN + 4, f + ETH_HLEN + IP_HLEN + 4,
		      9000 - IP_HLEN - 4));
	CHECK(dev_tx_take(&vn->txq, true) == 1);
}

static void test_tx(struct netif *nif, struct vnet *vn)
{
	unsigned int got = 0;
	uint8_t *b;

	CHECK(nif->tx_total == QSIZE && nif->ops->tx_space(nif) == QSIZE);
	/* Fill the ring: the 17th buffer is refused, not overwritten. */
	while ((b = nif->ops->tx_buf(nif)) != NULL) {
		memset(b, 0xab, 60);
		CHECK(nif->ops->tx_queue(nif, b, 60) == 0);
		got++;
	}
	CHECK(got == QSIZE);
	CHECK(vn->txq.avail->idx == tx_seen);	/* nothing published yet */
	nif->ops->tx_flush(nif);
	CHECK(dev_tx_take(&vn->txq, false) == QSIZE);
	CHECK(nif->ops->tx_buf(nif) == NULL);	/* the device holds them all */
	/* The device completes them: every buffer is free again. */
	for (uint16_t i = 0; i < QSIZE; i++) {
		uint16_t u = vn->txq.used->idx;

		vn->txq.used->ring[u % QSIZE] =
			(struct virtq_used_elem){ vn->txq.avail->ring[(uint16_t)(tx_seen - QSIZE + i) % QSIZE], 0 };
		vn->txq.used->idx = (uint16_t)(u + 1);
	}
	CHECK(nif->ops->tx_space(nif) == QSIZE);
	/* A frame too long is refused and its buffer comes back. */
	b = nif->ops->tx_buf(nif);
	CHECK(b && nif->ops->tx_queue(nif, b, ETH_MAX_FRAME + 1) < 0);
	CHECK(nif->ops->tx_space(nif) == QSIZE);
	/* Header zeroed in front of the frame (no offloads). */
	b = nif->ops->tx_buf(nif);
	memset(b - VNET_HDR_LEN, 0x55, VNET_HDR_LEN);
	nif->ops->tx_queue(nif, b, 60);
	CHECK(b[-VNET_HDR_LEN] == 0 && b[-1] == 0);
}

/* Hot-plug: a second NIC in slot 4 comes and goes. */
static void test_hotplug(void)
{
	static struct pci_dev hot = { .dev = 4, .vendor = 0x1af4, .device = 0x1041 };
	struct netif *nif, *again;
	char ip[64];
	unsigned int n = netif_count();

	CHECK(virtio_net_is(&hot) && !virtio_net_is(&(struct pci_dev){ .vendor = 0x1af4, .device = 0x1042 }));
	nif = virtio_net_hotplug(&hot);
	CHECK(nif && netif_count() == n + 1 && !nif->disabled);
	if (!nif)
		return;
	snprintf(ip, sizeof(ip), "10.0.0.9/24,10.1.0.2/24@%s,10.2.0.2/16@%s", nif->name, nif->name);
	CHECK(net_config_nic(nif, ip) == 2);
	CHECK(nif->nr_addr == 2 && nif->addr[0].ip == 0x0a010002 && nif->addr[1].plen == 16);
	CHECK(virtio_net_unplug(&(struct pci_dev){ .dev = 5 }) == NULL);
	resets = 0;
	CHECK(virtio_net_unplug(&hot) == nif && resets == 1);
	CHECK(nif->gone && nif->disabled && nif->nr_addr == 0);
	CHECK(!net_is_local(NULL, 0x0a010002));
	again = virtio_net_hotplug(&hot);	/* the entry and its name again */
	CHECK(again == nif && !again->gone && netif_count() == n + 1);
	if (again)
		virtio_net_unplug(&hot);
}

void vnet_tests(int *checks, int *failures)
{
	struct netif *nif;
	struct vnet *vn;
	char mac[24];

	v_checks = checks;
	v_failures = failures;
	CHECK(virtio_net_init() == 1);
	nif = netif_get(netif_count() - 1);
	vn = vnet_of(nif);
	CHECK(nif && vn && nif->link_up);
	CHECK(!strcmp(net_fmt_mac(mac, sizeof(mac), nif->mac), "0:16:3e:9:8:7"));
	if (!vn)
		return;
	CHECK(nif->mtu == dev_mtu);	/* VIRTIO_NET_F_MTU */
	nif->addr[0] = (struct net_addr){ 0x0b000001, 24 };
	nif->nr_addr = 1;
	test_rx(nif, vn);
	test_rx_jumbo(nif, vn);
	test_tx(nif, vn);
	/* The link bit, read once a second while polled. */
	link_status = 0;
	net_now += 2000000000ULL;
	nif->ops->rx_poll(nif, 1);
	CHECK(!nif->link_up);
	test_hotplug();
}
