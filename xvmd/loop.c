/*
 * The epoll loop behind loop.h. Watches live in a small table indexed by
 * a generation-tagged slot so a callback that removes another watch in
 * the same epoll batch never sees a freed entry.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include "loop.h"

struct loop_watch {
	int fd;			/* -1: free slot */
	loop_fn fn;
	void *opaque;
};

static int loop_epfd = -1;
static struct loop_watch *loop_watches;
static size_t loop_nwatches;
static bool loop_stopping;

int64_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int loop_init(void)
{
	loop_epfd = epoll_create1(EPOLL_CLOEXEC);
	return loop_epfd < 0 ? -errno : 0;
}

static struct loop_watch *loop_slot(void)
{
	struct loop_watch *nw;
	size_t i, n;

	for (i = 0; i < loop_nwatches; i++)
		if (loop_watches[i].fd < 0)
			return &loop_watches[i];
	n = loop_nwatches ? loop_nwatches * 2 : 32;
	nw = realloc(loop_watches, n * sizeof(*nw));
	if (!nw)
		return NULL;
	for (i = loop_nwatches; i < n; i++)
		nw[i].fd = -1;
	loop_watches = nw;
	i = loop_nwatches;
	loop_nwatches = n;
	return &loop_watches[i];
}

int loop_add(int fd, uint32_t events, loop_fn fn, void *opaque)
{
	struct epoll_event ev = { .events = events };
	struct loop_watch *w = loop_slot();

	if (!w)
		return -ENOMEM;
	ev.data.u64 = (uint64_t)(w - loop_watches) << 32 | (uint32_t)fd;
	if (epoll_ctl(loop_epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	w->fd = fd;
	w->fn = fn;
	w->opaque = opaque;
	return 0;
}

static struct loop_watch *loop_find(int fd)
{
	size_t i;

	for (i = 0; i < loop_nwatches; i++)
		if (loop_watches[i].fd == fd)
			return &loop_watches[i];
	return NULL;
}

int loop_mod(int fd, uint32_t events)
{
	struct loop_watch *w = loop_find(fd);
	struct epoll_event ev = { .events = events };

	if (!w)
		return -ENOENT;
	ev.data.u64 = (uint64_t)(w - loop_watches) << 32 | (uint32_t)fd;
	return epoll_ctl(loop_epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void loop_del(int fd)
{
	struct loop_watch *w = loop_find(fd);

	if (!w)
		return;
	epoll_ctl(loop_epfd, EPOLL_CTL_DEL, fd, NULL);
	w->fd = -1;
}

void loop_stop(void)
{
	loop_stopping = true;
}

static void loop_dispatch(const struct epoll_event *ev)
{
	size_t slot = ev->data.u64 >> 32;
	int fd = (int)(uint32_t)ev->data.u64;
	struct loop_watch *w;

	if (slot >= loop_nwatches)
		return;
	w = &loop_watches[slot];
	if (w->fd != fd)	/* removed (or reused) by an earlier callback */
		return;
	w->fn(w->opaque, ev->events);
}

void loop_reset(void)
{
	loop_stopping = false;
}

void loop_run_once(int timeout_ms)
{
	struct epoll_event evs[32];
	int i, n = epoll_wait(loop_epfd, evs, ARRAY_SIZE(evs), timeout_ms);

	for (i = 0; i < n; i++)
		loop_dispatch(&evs[i]);
}

int loop_run(int tick_ms, void (*tick)(void))
{
	struct epoll_event evs[32];
	int64_t next = loop_now_ms() + tick_ms;

	while (!loop_stopping) {
		int64_t wait = next - loop_now_ms();
		int i, n = epoll_wait(loop_epfd, evs, ARRAY_SIZE(evs),
				      wait < 0 ? 0 : (int)wait);

		if (n < 0 && errno != EINTR)
			return -errno;
		for (i = 0; i < n && !loop_stopping; i++)
			loop_dispatch(&evs[i]);
		if (loop_now_ms() >= next) {
			next = loop_now_ms() + tick_ms;
			if (tick)
				tick();
		}
	}
	return 0;
}
