/*
 * The virtio-net feature sets of our guest VNICs (netback/xnb.c), shared
 * with bench/vhost-fwd so the benchmark's bound runs the same virtio paths
 * as vswitchd. Needs <linux/virtio_config.h>, <linux/virtio_net.h> and
 * <linux/virtio_ring.h> (included here).
 */
#ifndef NETBACK_XNB_FEATURES_H
#define NETBACK_XNB_FEATURES_H

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

/* Must be offered (the library's defaults include them). */
#define XNB_FEATURES ((1ULL << VIRTIO_F_VERSION_1) |			\
		      (1ULL << VIRTIO_NET_F_MRG_RXBUF) |		\
		      (1ULL << VIRTIO_RING_F_EVENT_IDX))
/* Taken out of the defaults: offloads (frames are switched as they are,
 * to ports that cannot take partial checksums or TSO), the control queue
 * and multiqueue. Setting the feature set outright instead would turn the
 * library's built-in net backend off. */
#define XNB_NO_FEATURES ((1ULL << VIRTIO_NET_F_CSUM) |			\
			 (1ULL << VIRTIO_NET_F_GUEST_CSUM) |		\
			 (1ULL << VIRTIO_NET_F_GUEST_TSO4) |		\
			 (1ULL << VIRTIO_NET_F_GUEST_TSO6) |		\
			 (1ULL << VIRTIO_NET_F_GUEST_ECN) |		\
			 (1ULL << VIRTIO_NET_F_GUEST_UFO) |		\
			 (1ULL << VIRTIO_NET_F_HOST_TSO4) |		\
			 (1ULL << VIRTIO_NET_F_HOST_TSO6) |		\
			 (1ULL << VIRTIO_NET_F_HOST_ECN) |		\
			 (1ULL << VIRTIO_NET_F_HOST_UFO) |		\
			 (1ULL << VIRTIO_NET_F_CTRL_VQ) |		\
			 (1ULL << VIRTIO_NET_F_MQ) |			\
			 (1ULL << VIRTIO_NET_F_GUEST_ANNOUNCE))

#endif
