/*
 * vswctl's capture calls (lib/vswctl_capture.c; docs/vswitchd-control.md
 * "capture.start"): start a capture of a link on a vswctl handle, read its
 * frames as they come, stop it. The frames arrive as events on the same
 * connection, so a handle runs one capture at a time and makes no other
 * call meanwhile but vswctl_capture_stop().
 */
#ifndef XVM_VSWCTL_CAPTURE_H
#define XVM_VSWCTL_CAPTURE_H

#include "xvm/vswctl.h"

#define VSWCTL_CAPTURE_FRAME_MAX 65535	/* bytes of one frame at most */
#define VSWCTL_CAPTURE_INSNS_MAX 4096	/* filter instructions at most */
#define VSWCTL_CAPTURE_LABEL_MAX 255	/* bytes of expr sent (cut with ...) */

/* A classic BPF instruction (libpcap's struct bpf_insn). */
struct vswctl_capture_insn {
	uint16_t code;
	uint8_t jt;
	uint8_t jf;
	uint32_t k;
};

struct vswctl_capture_spec {
	const char *link;
	uint32_t snaplen;		/* bytes kept per frame; 0: all */
	uint64_t count;			/* stop after this many; 0: never */
	const struct vswctl_capture_insn *filter;	/* NULL: all frames */
	unsigned nfilter;
	const char *expr;		/* the filter's text, shown in
					 * capture.list (printable ASCII,
					 * cut at VSWCTL_CAPTURE_LABEL_MAX);
					 * may be NULL */
};

/* One frame as vswitchd copied it. */
struct vswctl_frame {
	uint64_t t_ns;			/* when the switch saw it (epoch) */
	uint32_t len;			/* its length */
	uint32_t caplen;		/* bytes in data */
	bool in;			/* received by the link (else sent) */
	const uint8_t *data;
};

/* Where a capture stands. */
struct vswctl_capture_status {
	uint64_t captured;		/* frames delivered so far */
	uint64_t dropped;		/* frames that found the ring full */
	bool ended;			/* vswitchd ended it (capture.end) */
	char reason[32];		/* why: "count", "link deleted",
					 * "stopped" */
};

/* 0 with *id, or -errno (-ENOENT: no such link, ...) with the error. */
int vswctl_capture_start(struct vswctl *h,
			 const struct vswctl_capture_spec *spec, uint64_t *id);
/*
 * Wait up to timeout_ms for capture id's next event and hand its frames
 * to fn in order (fn returns 0, or a negative errno that stops the call
 * and is returned). 0 with st updated (st->ended once it is over),
 * -ETIMEDOUT when nothing came, or another -errno (connection lost,
 * malformed event) with the error.
 */
typedef int (*vswctl_frame_fn)(void *arg, const struct vswctl_frame *f);
int vswctl_capture_next(struct vswctl *h, uint64_t id, int timeout_ms,
			vswctl_frame_fn fn, void *arg,
			struct vswctl_capture_status *st);
/* capture.stop: vswitchd sends the frames it still holds and
 * capture.end; read them with vswctl_capture_next() afterwards. */
int vswctl_capture_stop(struct vswctl *h, uint64_t id);

#endif
