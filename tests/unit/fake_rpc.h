/*
 * A stand-in daemon for the unit suites of our clients (hvctl, vnicadm,
 * lib/vswctl): a lib/rpc server on a unix socket, served by its own
 * thread, so a client called from the test thread talks to it as it
 * would to hv or vswitchd. The method handlers run on that thread.
 */
#ifndef XVM_TEST_FAKE_RPC_H
#define XVM_TEST_FAKE_RPC_H

#include <stddef.h>

#include "xvm/rpc.h"

struct fake_rpc;

/* Listen on path with the methods (ctx passed to each handler) and serve
 * them in a new thread. NULL with errno set if the socket or the thread
 * cannot be made. */
struct fake_rpc *fake_rpc_start(const char *path,
				const struct rpc_method *methods,
				size_t nmethods, void *ctx);
/* Stop serving, join the thread, close the server. NULL is ignored. */
void fake_rpc_stop(struct fake_rpc *f);

#endif
