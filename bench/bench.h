/*
 * Helpers shared by the DPDK benchmark tools (xvm-vuser, xvm-vhost-fwd).
 */
#ifndef XVM_BENCH_H
#define XVM_BENCH_H

/* rte_eal_cleanup(), then remove this process's DPDK runtime directory
 * (/var/run/dpdk/<file-prefix>: config, lock files and sockets), which
 * EAL leaves behind, so repeated runs leave nothing. */
void bench_eal_cleanup(void);

#endif
