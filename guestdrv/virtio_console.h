/* virtio_console.h: the virtio-console driver (virtio_console.c). */
#ifndef MINIOS_VIRTIO_CONSOLE_H
#define MINIOS_VIRTIO_CONSOLE_H

#include <stdint.h>

/* Find (PCI 1af4:1043), start, and make it the console. 0 or -errno
 * (-ENODEV if there is none). */
int virtio_console_init(void);
/* Notifications sent on the transmit queue so far. */
uint64_t virtio_console_kicks(void);

#endif
