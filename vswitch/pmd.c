/*
 * The PMD thread and its command channel (pmd.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <fcntl.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include "xvm/log.h"
#include "flow_dp.h"
#include "pmd.h"
#include "spin.h"

#define PMD_SLEEP_MIN_US	50
#define PMD_SLEEP_MAX_US	4000
#define PMD_SLEEP_PENDING_US	200
#define PMD_AGE_PERIOD_NS	1000000000ULL
#define PMD_CMD_TIMEOUT_MS	10000
#define PMD_RING_SIZE		64

struct pmd_cmd;
typedef int (*pmd_cmd_fn)(struct pmd *pmd, struct pmd_cmd *c);

struct pmd_cmd {
	pmd_cmd_fn fn;
	struct vsw_switch *sw;
	struct vsw_port *port;
	struct link_props props;
	pmd_exec_fn exec;	/* pmd_exec() */
	void *arg;
	int result;
	int parked;		/* pmd_park(): set by the PMD when parked */
	int release;		/* ... set by the control thread to go on */
	int done;		/* set (release) by the PMD when finished */
};

struct pmd {
	struct vsw_dp dp;
	unsigned lcore;
	unsigned index;			/* its RCU thread id */
	int stop;
	int wake_fd;			/* eventfd: commands, stop */
	struct rte_ring *cmds;
	struct rte_rcu_qsbr *qsbr;
	struct vsw_port *active[VSW_MAX_PORTS];	/* polled ports */
	unsigned nactive;
	struct vsw_wake wake;		/* wake.fd is wake_fd */
	int epfd;			/* wake_fd and ports' wait fds (our
					 * dups, so that each stays the file
					 * we added until we remove it) */
	struct epoll_event evs[VSW_MAX_PORTS + 1];
	bool dozing;			/* idle: ports with a wait fd are read
					 * only when epoll found them readable */
	uint64_t next_age_ns;
	struct pmd_counters ctr;
};

static uint64_t pmd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- commands, run on the PMD ---- */

/* Stop watching a port's wait fd (ours: removed, then closed). */
static void pmd_unwatch(struct pmd *pmd, struct vsw_port *p)
{
	if (p->wait_fd < 0)
		return;
	epoll_ctl(pmd->epfd, EPOLL_CTL_DEL, p->wait_fd, NULL);
	close(p->wait_fd);
	p->wait_fd = -1;
	p->fd_ready = true;	/* read it once in any case */
}

/* Watch what w names for p: the fd we have if it is still that file (same
 * generation), else a dup of w->fd. false if it cannot be watched. */
static bool pmd_watch(struct pmd *pmd, struct vsw_port *p,
		      const struct nb_wait *w)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = p };
	int fd;

	if (p->wait_broken && p->wait_gen == w->gen)
		return false;	/* its error stays: poll it */
	p->wait_broken = false;
	if (p->wait_fd >= 0 && p->wait_gen == w->gen)
		return true;
	pmd_unwatch(pmd, p);
	fd = fcntl(w->fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return false;
	if (epoll_ctl(pmd->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		return false;
	}
	p->wait_fd = fd;
	p->wait_gen = w->gen;
	p->wait_counter = w->counter;
	return true;
}

/* Before sleeping: every port that can wake us is asked to (a guest's
 * kicks turned on) and its fd watched. A port whose cap holds it back is
 * not: it would wake us for frames we may not take yet (its frames are
 * pending, so the nap is short). The number of ports that can only be
 * polled. */
static unsigned pmd_wait_begin(struct pmd *pmd)
{
	unsigned polled = 0;

	for (unsigned i = 0; i < pmd->nactive; i++) {
		struct vsw_port *p = pmd->active[i];
		struct nb_wait w;
		int rc;

		if (p->rx_blocked) {
			pmd_unwatch(pmd, p);
			continue;
		}
		rc = nb_wait_begin(p->nb, &w);
		p->wait_on = true;
		if (rc == -ENOTCONN) {	/* nothing can come */
			pmd_unwatch(pmd, p);	/* a gone guest's kick fd */
			continue;
		}
		if (rc < 0 || !pmd_watch(pmd, p, &w))
			polled++;
	}
	return polled;
}

static void pmd_wait_end(struct pmd *pmd)
{
	for (unsigned i = 0; i < pmd->nactive; i++) {
		struct vsw_port *p = pmd->active[i];

		if (p->wait_on) {
			nb_wait_end(p->nb);
			p->wait_on = false;
		}
	}
}

/* Park: wait, between two iterations, until the control thread is done
 * with what PMDs share (pmd_park_all()). Stays an RCU reader online: the
 * control thread may end a port's wait for it meanwhile. */
static int pmd_do_park(struct pmd *pmd UNUSED, struct pmd_cmd *c)
{
	__atomic_store_n(&c->parked, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&c->release, __ATOMIC_ACQUIRE))
		rte_pause();
	return 0;
}

static int pmd_do_set_props(struct pmd *pmd UNUSED, struct pmd_cmd *c)
{
	return switch_set_props(c->port, &c->props, pmd_now_ns());
}

static int pmd_do_exec(struct pmd *pmd, struct pmd_cmd *c)
{
	return c->exec(&pmd->dp, c->arg, pmd_now_ns());
}

static unsigned pmd_run_commands(struct pmd *pmd)
{
	struct pmd_cmd *c;
	unsigned n = 0;

	while (rte_ring_sc_dequeue(pmd->cmds, (void **)&c) == 0) {
		c->result = c->fn(pmd, c);
		__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
		n++;
	}
	return n;
}

/* ---- the loop ---- */

static unsigned pmd_poll_port(struct pmd *pmd, struct vsw_port *p)
{
	struct rte_mbuf *pkts[VSW_BURST];
	unsigned allow = VSW_BURST;
	uint16_t n;

	/* a tap whose fd said nothing is there; a guest's ring is cheap to
	 * look at and its kicks are off while we are awake: always read */
	if (pmd->dozing && p->wait_fd >= 0 && !p->wait_counter && !p->fd_ready)
		return 0;
	p->fd_ready = false;
	if (!p->uplink) {
		uint32_t frame = vsw_port_max_frame(p) * 8;

		allow = shaper_allow(&p->from_port, pmd->dp.now_ns, VSW_BURST,
				     frame);
		if (p->flows)	/* room in its capped flows' queues */
			allow = MIN(allow, flow_dp_rx_room(p));
		/* its frames found another PMD's port's ring full */
		if (unlikely(p->held_by != NULL)) {
			if (rte_ring_free_count(p->held_by->handoff) >=
			    VSW_BURST)
				p->held_by = NULL;
			else
				allow = 0;
		}
		/* a capped VNIC's frames wait in its own ring (guest TX ring,
		 * tap queue) until tokens allow */
		if (p->rx_blocked != (allow == 0)) {
			p->rx_blocked = allow == 0;
			p->fd_ready = true;
		}
		if (allow == 0)
			return 0;
	}
	n = nb_rx_burst(p->nb, pkts, (uint16_t)allow);
	if (n)
		switch_input(&pmd->dp, p, pkts, n);
	return n;
}

/* Learned addresses age on the PMD that learns them: the uplink's. */
static void pmd_age(struct pmd *pmd)
{
	if (pmd->dp.now_ns < pmd->next_age_ns)
		return;
	pmd->next_age_ns = pmd->dp.now_ns + PMD_AGE_PERIOD_NS;
	for (unsigned i = 0; i < pmd->nactive; i++) {
		struct vsw_switch *sw = pmd->active[i]->sw;

		if (!pmd->active[i]->uplink)
			continue;
		if (sw->l2_shared)
			rte_spinlock_lock(&sw->l2_lock);
		l2_age(&sw->l2, pmd->dp.now_ns / 1000000);
		if (sw->l2_shared)
			rte_spinlock_unlock(&sw->l2_lock);
	}
}

/* A watched fd reported an error, which epoll reports until it clears.
 * A socket's (an uplink's af_packet socket when its interface goes down:
 * ENETDOWN) is cleared by reading it; any other fd (a tap whose
 * interface is gone) is no longer watched and the port is polled until
 * its wait fd changes. Either way the PMD does not spin on it. */
static void pmd_wait_error(struct pmd *pmd, struct vsw_port *p,
			   uint32_t events)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (!(events & EPOLLHUP) &&
	    getsockopt(p->wait_fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0)
		return;
	p->wait_broken = true;
	pmd_unwatch(pmd, p);
}

/* Sleep until a watched port has a frame, a command comes, or the
 * timeout; the ports found readable are read on the next pass. true if a
 * port woke it. */
static bool pmd_sleep(struct pmd *pmd, unsigned timeout_us)
{
	bool woken = false;
	struct timespec ts = { 0, (long)timeout_us * 1000 };
	uint64_t v;
	int n;

	pmd->ctr.sleeps++;
	rte_rcu_qsbr_thread_offline(pmd->qsbr, pmd->index);
	n = epoll_pwait2(pmd->epfd, pmd->evs, (int)ARRAY_SIZE(pmd->evs), &ts,
			 NULL);
	rte_rcu_qsbr_thread_online(pmd->qsbr, pmd->index);
	for (int i = 0; i < n; i++) {
		struct vsw_port *p = pmd->evs[i].data.ptr;

		if (!p) {
			(void)!read(pmd->wake_fd, &v, sizeof(v));
			/* another PMD handed us frames (it cleared
			 * sleeping; a command does not) */
			if (!__atomic_load_n(&pmd->wake.sleeping,
					     __ATOMIC_RELAXED)) {
				pmd->ctr.wakeups++;
				woken = true;
			}
			continue;
		}
		p->fd_ready = true;
		if (pmd->evs[i].events & (EPOLLERR | EPOLLHUP)) {
			pmd_wait_error(pmd, p, pmd->evs[i].events);
			continue;
		}
		/* a kick: readable, so this read does not block */
		if (p->wait_counter)
			(void)!read(p->wait_fd, &v, sizeof(v));
		pmd->ctr.wakeups++;
		woken = true;
	}
	pmd->dozing = true;
	return woken;
}

/* One pass over every port: the frames moved; *pending when frames still
 * wait (for tokens or for room in a guest's ring) or a capped source is
 * held back. */
static unsigned pmd_iteration(struct pmd *pmd, bool *pending)
{
	unsigned work = pmd_run_commands(pmd);

	pmd->dp.now_ns = pmd_now_ns();
	for (unsigned i = 0; i < pmd->nactive; i++)
		work += pmd_poll_port(pmd, pmd->active[i]);
	for (unsigned i = 0; i < pmd->nactive; i++) {
		if (pmd->active[i]->handoff)	/* several PMDs */
			work += switch_take_handoff(&pmd->dp, pmd->active[i]);
		work += switch_flush(&pmd->dp, pmd->active[i]);
		*pending |= switch_pending(pmd->active[i]) ||
			    pmd->active[i]->rx_blocked;
	}
	pmd_age(pmd);
	rte_rcu_qsbr_quiescent(pmd->qsbr, pmd->index);
	return work;
}

/* An iteration begun at TSC c0 moved frames. */
static inline void pmd_count_busy(struct pmd *pmd, uint64_t c0)
{
	pmd->ctr.busy_polls++;
	pmd->ctr.busy_cycles += rte_rdtsc() - c0;
}

/* Spin while frames came in the last spin_ns, then sleep: every port that
 * can wake us is asked to, the ports are looked at once more (a frame
 * that came meanwhile sent no kick), and the thread sleeps until a kick,
 * a tap's frame, a command or the timeout. Timeouts double from 50 us to
 * 4 ms (200 us while frames wait for tokens or room): ports that can only
 * be polled (an uplink whose socket was not found) are looked at that
 * often. When every port can
 * wake us and nothing waits, the timeout is 4 ms at once, a safety net:
 * a short one only woke us for nothing, and on a CPU shared with a
 * sender took it from the sender (bench/guest-net).
 * The spin adapts (20 us to 1 ms, spin.h): longer for traffic with short
 * gaps (a sender descheduled for a moment on a busy machine: a PMD asleep
 * would then wait for its CPU too), but not when the sender shares our
 * CPU and runs only while we sleep; shorter after sleeps that ran out or
 * lasted long, so a slow flow does not keep a CPU spinning and idle ports
 * cost nothing. */
static int pmd_main(void *arg)
{
	struct pmd *pmd = arg;
	unsigned sleep_us = PMD_SLEEP_MIN_US;
	uint64_t last_work_ns = 0;
	struct spin spin;

	spin_init(&spin);
	rte_rcu_qsbr_thread_register(pmd->qsbr, pmd->index);
	rte_rcu_qsbr_thread_online(pmd->qsbr, pmd->index);
	while (!__atomic_load_n(&pmd->stop, __ATOMIC_ACQUIRE)) {
		bool pending = false, woken;
		unsigned polled;
		uint64_t t0, c0 = rte_rdtsc();

		if (pmd_iteration(pmd, &pending)) {
			pmd_count_busy(pmd, c0);
			pmd->dozing = false;
			spin_work(&spin, pmd->dp.now_ns - last_work_ns);
			last_work_ns = pmd->dp.now_ns;
			sleep_us = PMD_SLEEP_MIN_US;
			continue;
		}
		pmd->ctr.idle_polls++;
		if (pmd->dp.now_ns - last_work_ns < spin.spin_ns) {
			rte_pause();
			continue;
		}
		polled = pmd_wait_begin(pmd);
		/* from here other PMDs handing us frames wake us; then
		 * look at every port once more (handoff() in switch.c) */
		__atomic_store_n(&pmd->wake.sleeping, 1, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		c0 = rte_rdtsc();
		if (pmd_iteration(pmd, &pending)) {	/* came meanwhile */
			pmd_count_busy(pmd, c0);
			__atomic_store_n(&pmd->wake.sleeping, 0,
					 __ATOMIC_RELAXED);
			pmd_wait_end(pmd);
			pmd->dozing = false;
			last_work_ns = pmd->dp.now_ns;
			sleep_us = PMD_SLEEP_MIN_US;
			spin_caught(&spin);
			continue;
		}
		t0 = pmd->dp.now_ns;
		/* every port can wake us: the timeout is only a safety net */
		woken = pmd_sleep(pmd, polled || pending ? sleep_us :
						       PMD_SLEEP_MAX_US);
		__atomic_store_n(&pmd->wake.sleeping, 0, __ATOMIC_RELAXED);
		pmd_wait_end(pmd);
		spin_slept(&spin, woken, pmd_now_ns() - t0);
		/* frames waiting for tokens or room: keep naps short */
		sleep_us = MIN(sleep_us * 2, pending ? PMD_SLEEP_PENDING_US :
						       PMD_SLEEP_MAX_US);
	}
	pmd_wait_end(pmd);
	rte_rcu_qsbr_thread_offline(pmd->qsbr, pmd->index);
	rte_rcu_qsbr_thread_unregister(pmd->qsbr, pmd->index);
	return 0;
}

/* ---- control side ---- */

static int pmd_call(struct pmd *pmd, struct pmd_cmd *c)
{
	uint64_t one = 1;

	c->done = 0;
	if (rte_ring_mp_enqueue(pmd->cmds, c) != 0)
		return -EAGAIN;
	(void)!write(pmd->wake_fd, &one, sizeof(one));
	for (int i = 0; i < PMD_CMD_TIMEOUT_MS * 20; i++) {
		if (__atomic_load_n(&c->done, __ATOMIC_ACQUIRE))
			return c->result;
		usleep(50);
	}
	/* never returns to a stuck PMD's command: it would be on our stack */
	log_err("pmd: no answer to a command in %d ms; aborting",
		PMD_CMD_TIMEOUT_MS);
	abort();
}

/* ---- changes made while every PMD is parked ---- */

static void pmd_post(struct pmd *pmd, struct pmd_cmd *c)
{
	uint64_t one = 1;

	c->done = 0;
	/* the ring holds PMD_RING_SIZE commands and one control thread
	 * sends one at a time to each PMD: never full */
	while (rte_ring_mp_enqueue(pmd->cmds, c) != 0)
		usleep(50);
	(void)!write(pmd->wake_fd, &one, sizeof(one));
}

static void pmd_wait_flag(int *flag)
{
	for (int i = 0; i < PMD_CMD_TIMEOUT_MS * 20; i++) {
		if (__atomic_load_n(flag, __ATOMIC_ACQUIRE))
			return;
		usleep(50);
	}
	log_err("pmd: no answer to a command in %d ms; aborting",
		PMD_CMD_TIMEOUT_MS);
	abort();
}

/* Park every PMD (c: one command each); then the caller has their data
 * to itself, as if it ran on each of them, until pmd_unpark_all(). */
static void pmd_park_all(struct pmd *const *pmds, unsigned n,
			 struct pmd_cmd *c)
{
	for (unsigned i = 0; i < n; i++) {
		c[i] = (struct pmd_cmd){ .fn = pmd_do_park };
		pmd_post(pmds[i], &c[i]);
	}
	for (unsigned i = 0; i < n; i++)
		pmd_wait_flag(&c[i].parked);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static void pmd_unpark_all(struct pmd *const *pmds UNUSED, unsigned n,
			   struct pmd_cmd *c)
{
	for (unsigned i = 0; i < n; i++)
		__atomic_store_n(&c[i].release, 1, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < n; i++)
		pmd_wait_flag(&c[i].done);
}

/* Queue what every port was handed (by its owner's rules), so that no
 * frame names a port about to go or waits in a ring whose port moves. */
static void pmd_take_all_handoffs(struct pmd *const *pmds, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct pmd *pmd = pmds[i];

		for (unsigned k = 0; k < pmd->nactive; k++) {
			struct vsw_port *p = pmd->active[k];

			while (p->handoff &&
			       switch_take_handoff(&pmd->dp, p) > 0)
				;
		}
	}
}

/* Whether a switch's L2 table is used on more than one PMD at once:
 * learned on its uplink's, looked up on its ports'. */
static void pmd_update_shared(struct vsw_switch *sw)
{
	bool shared = false;

	if (sw->uplink)
		for (unsigned i = 0; i < sw->nports && !shared; i++)
			shared = sw->ports[i]->pmd != sw->uplink->pmd;
	if (shared && !sw->l2_shared)
		rte_spinlock_init(&sw->l2_lock);
	sw->l2_shared = shared;
}

static void pmd_activate(struct pmd *pmd, struct vsw_port *p)
{
	p->held_by = NULL;
	p->pmd = pmd->index;
	p->wake = &pmd->wake;
	p->wait_fd = -1;
	p->wait_broken = false;
	p->wait_on = false;
	p->fd_ready = true;
	pmd->active[pmd->nactive++] = p;
	nb_port_set_wake(p->nb, pmd->wake_fd);
}

/* Off pmd's list: no longer watched or asked to kick. */
static void pmd_deactivate(struct pmd *pmd, struct vsw_port *p)
{
	nb_port_set_wake(p->nb, -1);
	pmd_unwatch(pmd, p);
	if (p->wait_on) {	/* parked between wait_begin and wait_end */
		nb_wait_end(p->nb);
		p->wait_on = false;
	}
	for (unsigned i = 0; i < pmd->nactive; i++) {
		if (pmd->active[i] == p) {
			pmd->active[i] = pmd->active[--pmd->nactive];
			break;
		}
	}
}

int pmd_add_port(struct pmd *const *pmds, unsigned n, struct vsw_port *p)
{
	static unsigned ring_seq;
	struct pmd_cmd c[VSW_MAX_PMDS];
	int rc;

	if (p->pmd >= n)
		return -EINVAL;
	p->handoff = NULL;
	if (n > 1) {
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "vsw_ho%u", ring_seq++);
		p->handoff = rte_ring_create_elem(name,
			sizeof(struct vsw_handoff), VSW_HANDOFF_LEN,
			SOCKET_ID_ANY, RING_F_SC_DEQ);
		if (!p->handoff)
			return -ENOMEM;
	}
	pmd_park_all(pmds, n, c);
	/* the port tables are the same in every PMD's dp: PMD 0's is
	 * changed (ids, shares of the pool), the others copy it */
	rc = switch_add_port(&pmds[0]->dp, p);
	if (rc == 0) {
		for (unsigned i = 1; i < n; i++) {
			pmds[i]->dp.ports[p->id] = p;
			pmds[i]->dp.queue_weight = pmds[0]->dp.queue_weight;
		}
		pmd_activate(pmds[p->pmd], p);
		pmd_update_shared(p->sw);
	}
	pmd_unpark_all(pmds, n, c);
	if (rc < 0) {
		rte_ring_free(p->handoff);
		p->handoff = NULL;
	}
	return rc;
}

void pmd_del_port(struct pmd *const *pmds, unsigned n, struct vsw_port *p)
{
	struct pmd_cmd c[VSW_MAX_PMDS];
	struct vsw_switch *sw = p->sw;

	pmd_park_all(pmds, n, c);
	pmd_take_all_handoffs(pmds, n);
	for (unsigned i = 0; i < n; i++)	/* nobody held by it */
		for (unsigned k = 0; k < pmds[i]->nactive; k++)
			if (pmds[i]->active[k]->held_by == p)
				pmds[i]->active[k]->held_by = NULL;
	pmd_deactivate(pmds[p->pmd], p);
	switch_del_port(&pmds[0]->dp, p);
	for (unsigned i = 1; i < n; i++) {
		pmds[i]->dp.ports[p->id] = NULL;
		pmds[i]->dp.queue_weight = pmds[0]->dp.queue_weight;
	}
	pmd_update_shared(sw);
	pmd_unpark_all(pmds, n, c);
	rte_ring_free(p->handoff);
	p->handoff = NULL;
}

void pmd_move_ports(struct pmd *const *pmds, unsigned n,
		    struct vsw_port *const *ports, const unsigned *to,
		    unsigned count)
{
	struct pmd_cmd c[VSW_MAX_PMDS];

	pmd_park_all(pmds, n, c);
	pmd_take_all_handoffs(pmds, n);
	for (unsigned i = 0; i < count; i++) {
		struct vsw_port *p = ports[i];

		if (to[i] >= n || to[i] == p->pmd)
			continue;
		pmd_deactivate(pmds[p->pmd], p);
		pmd_activate(pmds[to[i]], p);
	}
	for (unsigned i = 0; i < count; i++)
		pmd_update_shared(ports[i]->sw);
	pmd_unpark_all(pmds, n, c);
}

int pmd_set_props(struct pmd *pmd, struct vsw_port *p,
		  const struct link_props *props)
{
	struct pmd_cmd c = { .fn = pmd_do_set_props, .port = p,
			     .props = *props };

	return pmd_call(pmd, &c);
}

int pmd_exec(struct pmd *pmd, pmd_exec_fn fn, void *arg)
{
	struct pmd_cmd c = { .fn = pmd_do_exec, .exec = fn, .arg = arg };

	return pmd_call(pmd, &c);
}

struct rte_rcu_qsbr *pmd_qsbr_create(unsigned npmds)
{
	size_t sz = rte_rcu_qsbr_get_memsize(npmds);
	struct rte_rcu_qsbr *q = rte_zmalloc("vsw_qsbr", sz,
					     RTE_CACHE_LINE_SIZE);

	if (q && rte_rcu_qsbr_init(q, npmds) < 0) {
		rte_free(q);
		q = NULL;
	}
	return q;
}

void pmd_get_counters(const struct pmd *pmd, struct pmd_counters *c)
{
	c->busy_polls = __atomic_load_n(&pmd->ctr.busy_polls, __ATOMIC_RELAXED);
	c->idle_polls = __atomic_load_n(&pmd->ctr.idle_polls, __ATOMIC_RELAXED);
	c->sleeps = __atomic_load_n(&pmd->ctr.sleeps, __ATOMIC_RELAXED);
	c->wakeups = __atomic_load_n(&pmd->ctr.wakeups, __ATOMIC_RELAXED);
	c->busy_cycles = __atomic_load_n(&pmd->ctr.busy_cycles,
					 __ATOMIC_RELAXED);
}

static void pmd_free(struct pmd *pmd)
{
	if (pmd->wake_fd >= 0)
		close(pmd->wake_fd);
	if (pmd->epfd >= 0)
		close(pmd->epfd);
	rte_ring_free(pmd->cmds);
	free(pmd);
}

struct pmd *pmd_start(struct rte_mempool *pool, struct rte_mempool *jumbo,
		       unsigned lcore, unsigned index,
		       struct rte_rcu_qsbr *qsbr)
{
	struct pmd *pmd = calloc(1, sizeof(*pmd));
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	char name[RTE_RING_NAMESIZE];
	int rc = -ENOMEM;

	if (!pmd)
		return NULL;
	pmd->dp.pool = pool;
	pmd->dp.jumbo = jumbo;
	pmd->dp.queue_budget = switch_queue_budget(pool->size);
	pmd->dp.index = index;
	pmd->lcore = lcore;
	pmd->index = index;
	pmd->qsbr = qsbr;
	pmd->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pmd->wake.fd = pmd->wake_fd;
	pmd->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (pmd->epfd >= 0 && pmd->wake_fd >= 0 &&
	    epoll_ctl(pmd->epfd, EPOLL_CTL_ADD, pmd->wake_fd, &ev) < 0)
		goto fail;
	snprintf(name, sizeof(name), "vsw_pmd_cmds%u", index);
	pmd->cmds = rte_ring_create(name, PMD_RING_SIZE, SOCKET_ID_ANY,
				    RING_F_SC_DEQ);
	if (pmd->wake_fd < 0 || pmd->epfd < 0 || !pmd->cmds || !qsbr)
		goto fail;
	rc = rte_eal_remote_launch(pmd_main, pmd, lcore);
	if (rc < 0)
		goto fail;
	log_info("pmd %u: polling on lcore %u", index, lcore);
	return pmd;
fail:
	pmd_free(pmd);
	errno = rc < 0 ? -rc : ENOMEM;
	return NULL;
}

void pmd_stop(struct pmd *pmd)
{
	uint64_t one = 1;

	__atomic_store_n(&pmd->stop, 1, __ATOMIC_RELEASE);
	(void)!write(pmd->wake_fd, &one, sizeof(one));
	rte_eal_wait_lcore(pmd->lcore);
	pmd_free(pmd);
}
