/*
 * badring.c: the `badring` workload, a hostile virtio-net driver. It takes
 * nic= (default nic0) away from the stack and, 200 ms apart, writes
 * garbage into that NIC's rings and notifies the device after each: a
 * descriptor outside guest memory, one straddling the end of RAM, a
 * descriptor loop, a next index past the ring, a huge length, an indirect
 * descriptor the device never offered, an avail index far ahead and one
 * going backwards, writable receive buffers outside memory, a notify for a
 * queue that does not exist. Each prints "guest: badring: <what>"; the end
 * prints "guest: badring: done". It proves that hv and vswitchd survive a
 * malicious guest and keep serving the others. The NIC stays broken.
 */
#include "cmdline.h"
#include "netwl.h"
#include "virtio_net.h"

#define BADRING_GAP_NS	200000000ULL
#define FAR_AWAY	0xfffffff000ULL	/* 1 TiB: beyond any test guest */

static struct {
	struct vnet *vn;
	unsigned int stage;
	uint64_t next;
	uint64_t ram_end;		/* first byte past the highest RAM */
	uint8_t *buf;			/* a real buffer of ours */
} br;

/* Publish descriptor head in vq's avail ring and notify. */
static void bad_publish(struct virtq *vq, uint16_t head)
{
	uint16_t idx = READ_ONCE(vq->avail->idx);

	vq->avail->ring[idx & (vq->size - 1)] = head;
	wmb();
	WRITE_ONCE(vq->avail->idx, (uint16_t)(idx + 1));
	mb();
	mmio_write16(vq->notify, vq->index);
}

static void bad_desc(struct virtq *vq, uint16_t i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	vq->desc[i] = (struct virtq_desc){ addr, len, flags, next };
}

static const char *bad_tx(struct virtq *q, unsigned int stage)
{
	uint64_t b = (uintptr_t)br.buf;

	switch (stage) {
	case 0:
		bad_desc(q, 0, FAR_AWAY, 1500, 0, 0);
		bad_publish(q, 0);
		return "tx descriptor outside guest memory";
	case 1:
		bad_desc(q, 1, br.ram_end - 512, 1500, 0, 0);
		bad_publish(q, 1);
		return "tx descriptor straddling the end of RAM";
	case 2:
		bad_desc(q, 2, b, 64, VIRTQ_DESC_F_NEXT, 3);
		bad_desc(q, 3, b, 64, VIRTQ_DESC_F_NEXT, 2);
		bad_publish(q, 2);
		return "tx descriptor loop";
	case 3:
		bad_desc(q, 4, b, 64, VIRTQ_DESC_F_NEXT, 0xffff);
		bad_publish(q, 4);
		return "tx next index past the ring";
	case 4:
		bad_desc(q, 5, b, 0xffffffff, 0, 0);
		bad_publish(q, 5);
		return "tx huge length";
	case 5:
		bad_desc(q, 6, FAR_AWAY, 4096, 4 /* INDIRECT */, 0);
		bad_publish(q, 6);
		return "tx indirect descriptor (not negotiated)";
	case 6:
		WRITE_ONCE(q->avail->idx, (uint16_t)(q->avail->idx + 1000));
		mb();
		mmio_write16(q->notify, q->index);
		return "tx avail index 1000 ahead";
	}
	return NULL;
}

static const char *bad_rx(struct virtq *q, unsigned int stage)
{
	switch (stage) {
	case 7:
		for (uint16_t i = 0; i < q->size; i++)
			bad_desc(q, i, FAR_AWAY + (uint64_t)i * 4096, 2048,
				 VIRTQ_DESC_F_WRITE, 0);
		bad_publish(q, 0);
		return "rx writable buffers outside guest memory";
	case 8:
		for (uint16_t i = 0; i < q->size; i++)
			bad_desc(q, i, (uintptr_t)br.buf, 0xffffffff,
				 VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1));
		bad_publish(q, 0);
		return "rx huge lengths chained past the ring";
	case 9:
		WRITE_ONCE(q->avail->idx, (uint16_t)(q->avail->idx - 10));
		mb();
		mmio_write16(q->notify, q->index);
		return "rx avail index going backwards";
	case 10:
		mmio_write16(q->notify, 0x7fff);
		return "notify for a queue that does not exist";
	}
	return NULL;
}

static uint64_t ram_end(void)
{
	uint64_t end = 0;

	for (unsigned int i = 0; i < boot_info.nr_mem; i++)
		if (boot_info.mem[i].type == E820_RAM)
			end = MAX(end, boot_info.mem[i].addr + boot_info.mem[i].size);
	return end;
}

static void badring_start(void)
{
	struct netif *nif = netif_get((unsigned int)cmdline_num("nic"));

	br.vn = vnet_of(nif);
	if (!br.vn) {
		kprintf("guest: badring: no nic%lu\n", cmdline_num("nic"));
		return;
	}
	nif->disabled = true;		/* the stack never touches it again */
	br.buf = br.vn->tx_mem;
	br.ram_end = ram_end();
	br.next = clock_ns() + BADRING_GAP_NS;
	kprintf("guest: badring: attacking %s (mac and rings of this guest only)\n",
		nif->name);
}

static bool badring_step(uint64_t now)
{
	const char *what;

	if (!br.vn)
		return false;
	net_poll(now, NET_POLL_BUDGET);		/* the other NICs keep working */
	if (now < br.next)
		return true;
	br.next = now + BADRING_GAP_NS;
	what = br.stage < 7 ? bad_tx(&br.vn->txq, br.stage)
			    : bad_rx(&br.vn->rxq, br.stage);
	br.stage++;
	if (what) {
		kprintf("guest: badring: %s\n", what);
		return true;
	}
	kprintf("guest: badring: done\n");
	return false;
}

const struct workload wl_badring = {
	.name = "badring", .start = badring_start, .step = badring_step,
};
