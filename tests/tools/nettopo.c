/*
 * nettopo: build network topologies for the integration tests on
 * libnl-route (no ip(8)): named network namespaces (made the way
 * `ip netns add` makes them, so `ip netns` sees them too), commands run
 * inside one, veth pairs, Linux bridges, 802.1Q VLAN interfaces, IPv4
 * addresses, link state, MTU and MAC, transmit checksum offload, moving
 * and deleting links.
 *
 *   nettopo [-n NS] COMMAND ARGS...     (nettopo -h lists the commands)
 *
 * -n NS makes a link command act inside namespace NS. Every argument is
 * checked before anything is changed; a failure prints
 * "nettopo: COMMAND ...: reason" on stderr and exits 1, as do usage errors.
 */
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/link/vlan.h>

#include "xvm/mac.h"

#define NETNS_DIR	"/run/netns"
#define NS_NAME_MAX	64

/* A failed libnl call: its (negative) NLE code with the errno-like text. */
#define NLERR(e)	nl_geterror(e)

struct topo {
	const char *ns;		/* -n NS, or NULL for the current namespace */
	struct nl_sock *sk;	/* opened inside ns for link commands */
};

struct topo_cmd {
	const char *name;
	const char *args;	/* usage text */
	int min, max;		/* number of arguments */
	bool netlink;		/* needs a route socket (inside -n NS) */
	int (*run)(struct topo *t, int argc, char **argv);
};

static const char *cur_cmd = "";

static int err(const char *fmt, ...) PRINTF(1, 2);
static int err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "nettopo: %s: ", cur_cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* ---- argument checks ---- */

static int check_ifname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= IFNAMSIZ || strchr(s, '/') || strchr(s, ' ') ||
	    strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return err("invalid interface name '%s' (1-%d characters, "
			   "no '/' or spaces)", s, IFNAMSIZ - 1);
	return 0;
}

static int check_nsname(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= NS_NAME_MAX || s[0] == '.')
		goto bad;
	for (i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_.-", s[i]))
			goto bad;
	return 0;
bad:
	return err("invalid namespace name '%s' ([A-Za-z0-9_.-], 1-%d "
		   "characters, not starting with '.')", s, NS_NAME_MAX - 1);
}

/* A decimal integer in [min, max]: 0, or 1 after printing why not. */
static int parse_uint(const char *s, long min, long max, const char *what,
		      long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return err("invalid %s '%s' (%ld-%ld)", what, s, min, max);
	*out = v;
	return 0;
}

/* ---- namespaces ---- */

static void ns_path(const char *name, char buf[PATH_MAX])
{
	snprintf(buf, PATH_MAX, "%s/%s", NETNS_DIR, name);
}

/* An fd on namespace NAME, or -1 after printing why. */
static int ns_open(const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (check_nsname(name))
		return -1;
	ns_path(name, path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		err("network namespace '%s': %s", name, strerror(errno));
	return fd;
}

static int ns_enter(const char *name)
{
	int fd = ns_open(name), rc = 0;

	if (fd < 0)
		return 1;
	if (setns(fd, CLONE_NEWNET) < 0)
		rc = err("cannot enter namespace '%s': %s", name,
			 strerror(errno));
	close(fd);
	return rc;
}

/*
 * /run/netns must be a shared mount point so that namespace bind mounts
 * made here propagate to every mount namespace (what `ip netns add` does:
 * bind the directory on itself once, then make it shared).
 */
static int netns_dir_prepare(void)
{
	if (mkdir(NETNS_DIR, 0755) < 0 && errno != EEXIST)
		return err("mkdir %s: %s", NETNS_DIR, strerror(errno));
	if (mount("", NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
		return 0;
	if (errno != EINVAL)
		return err("mount --make-shared %s: %s", NETNS_DIR,
			   strerror(errno));
	if (mount(NETNS_DIR, NETNS_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
		return err("bind mount %s: %s", NETNS_DIR, strerror(errno));
	if (mount("", NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) < 0)
		return err("mount --make-shared %s: %s", NETNS_DIR,
			   strerror(errno));
	return 0;
}

static int cmd_netns_add(struct topo *t, int argc, char **argv)
{
	char path[PATH_MAX];
	int fd, self = -1;

	(void)t; (void)argc;
	if (check_nsname(argv[0]) || netns_dir_prepare())
		return 1;
	ns_path(argv[0], path);
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return err("cannot create %s: %s", path, strerror(errno));
	close(fd);
	/* Keep our own namespace to return to: the caller may go on. */
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0 || unshare(CLONE_NEWNET) < 0) {
		err("unshare: %s", strerror(errno));
		goto fail;
	}
	if (mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0) {
		err("bind mount %s: %s", path, strerror(errno));
		goto fail;
	}
	if (setns(self, CLONE_NEWNET) < 0)
		err("cannot return to the original namespace: %s",
		    strerror(errno));
	close(self);
	return 0;
fail:
	if (self >= 0)
		close(self);
	unlink(path);
	return 1;
}

static int cmd_netns_del(struct topo *t, int argc, char **argv)
{
	char path[PATH_MAX];

	(void)t; (void)argc;
	if (check_nsname(argv[0]))
		return 1;
	ns_path(argv[0], path);
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL)
		return err("umount %s: %s", path, strerror(errno));
	if (unlink(path) < 0)
		return err("cannot remove %s: %s", path, strerror(errno));
	return 0;
}

static int cmd_netns_list(struct topo *t, int argc, char **argv)
{
	struct dirent *de;
	DIR *d;

	(void)t; (void)argc; (void)argv;
	d = opendir(NETNS_DIR);
	if (!d)
		return errno == ENOENT ? 0 : err("%s: %s", NETNS_DIR,
						 strerror(errno));
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			printf("%s\n", de->d_name);
	closedir(d);
	return 0;
}

/* netns-pids NS: the processes whose network namespace is NS (to stop
 * what a test left running inside it). */
static int cmd_netns_pids(struct topo *t, int argc, char **argv)
{
	char path[PATH_MAX];
	struct stat ns, st;
	struct dirent *de;
	DIR *d;

	(void)t; (void)argc;
	if (check_nsname(argv[0]))
		return 1;
	ns_path(argv[0], path);
	if (stat(path, &ns) < 0)
		return err("%s: %s", path, strerror(errno));
	d = opendir("/proc");
	if (!d)
		return err("/proc: %s", strerror(errno));
	while ((de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", de->d_name);
		if (stat(path, &st) == 0 && st.st_dev == ns.st_dev &&
		    st.st_ino == ns.st_ino)
			printf("%s\n", de->d_name);
	}
	closedir(d);
	return 0;
}

/*
 * Run a command in -n NS with /sys remounted for that namespace (as
 * `ip netns exec` does), so tools reading /sys/class/net see its links.
 */
static int cmd_exec(struct topo *t, int argc, char **argv)
{
	(void)argc;
	if (!t->ns)
		return err("exec needs -n NS");
	if (ns_enter(t->ns))
		return 1;
	if (unshare(CLONE_NEWNS) == 0 &&
	    mount("", "/", "none", MS_SLAVE | MS_REC, NULL) == 0 &&
	    umount2("/sys", MNT_DETACH) == 0)
		mount(t->ns, "/sys", "sysfs", 0, NULL);
	execvp(argv[0], argv);
	return err("cannot run %s: %s", argv[0], strerror(errno));
}

/* ---- links ---- */

/* The kernel's link NAME (caller puts it), or NULL after printing why. */
static struct rtnl_link *link_get(struct topo *t, const char *name)
{
	struct rtnl_link *link = NULL;
	int e;

	if (check_ifname(name))
		return NULL;
	e = rtnl_link_get_kernel(t->sk, 0, name, &link);
	if (e < 0) {
		err("link '%s'%s%s: %s", name, t->ns ? " in namespace " : "",
		    t->ns ? t->ns : "", e == -NLE_OBJ_NOTFOUND ||
		    e == -NLE_NODEV ? "no such link" : NLERR(e));
		return NULL;
	}
	return link;
}

/* Apply the attributes set in CHANGE to link NAME. */
static int link_change(struct topo *t, const char *name,
		       struct rtnl_link *change)
{
	struct rtnl_link *link = link_get(t, name);
	int e, rc = 0;

	if (!link)
		return 1;
	e = rtnl_link_change(t->sk, link, change, 0);
	if (e < 0)
		rc = err("link '%s': %s", name, NLERR(e));
	rtnl_link_put(link);
	return rc;
}

static int link_add(struct topo *t, struct rtnl_link *link, const char *name)
{
	int e = rtnl_link_add(t->sk, link, NLM_F_CREATE | NLM_F_EXCL);

	if (e < 0)
		return err("cannot create '%s': %s", name,
			   e == -NLE_EXIST ? "link exists" : NLERR(e));
	return 0;
}

/* veth NAME PEER [PEER_NS]: a veth pair, the peer optionally made
 * directly inside another namespace. */
static int cmd_veth(struct topo *t, int argc, char **argv)
{
	struct rtnl_link *link = NULL, *peer;
	int nsfd = -1, rc = 1;

	if (check_ifname(argv[0]) || check_ifname(argv[1]))
		return 1;
	if (argc > 2 && (nsfd = ns_open(argv[2])) < 0)
		return 1;
	link = rtnl_link_veth_alloc();
	if (!link) {
		err("out of memory");
		goto fail;
	}
	rtnl_link_set_name(link, argv[0]);
	peer = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(peer, argv[1]);
	if (nsfd >= 0)
		rtnl_link_set_ns_fd(peer, nsfd);
	rtnl_link_put(peer);
	rc = link_add(t, link, argv[0]);
fail:
	if (link)
		rtnl_link_veth_release(link);
	if (nsfd >= 0)
		close(nsfd);
	return rc;
}

static int cmd_bridge(struct topo *t, int argc, char **argv)
{
	struct rtnl_link *link;
	int rc;

	(void)argc;
	if (check_ifname(argv[0]))
		return 1;
	link = rtnl_link_alloc();
	if (!link)
		return err("out of memory");
	rtnl_link_set_name(link, argv[0]);
	rc = rtnl_link_set_type(link, "bridge");
	rc = rc < 0 ? err("bridge: %s", NLERR(rc)) : link_add(t, link, argv[0]);
	rtnl_link_put(link);
	return rc;
}

/*
 * Userspace 802.1Q interface, for kernels built without 8021q (this
 * platform's): a tap device NAME whose frames leave LINK tagged VID (IEEE
 * 802.1Q §9.6: TPID 0x8100, then the TCI with the VID in its low 12 bits,
 * inserted after the source address), while frames arriving on LINK tagged
 * VID come out of the tap untagged. A detached child relays until LINK
 * disappears, it is killed (netns-pids finds it), or NETTOPO_RELAY_SECS
 * (default 900) pass.
 */
#define FRAME_MAX	9216
#define ETH_ALEN2	12	/* destination + source addresses */

struct vlan_relay {
	int tap;		/* the tap's fd: closing it removes NAME */
	int pkt;		/* AF_PACKET socket bound to LINK */
	int ifindex;
	uint16_t vid;
};

static int tap_open(const char *name)
{
	struct ifreq ifr;
	int fd, e;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static int packet_open(int ifindex)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = ifindex,
	};
	int fd, one = 1, e;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    htons(ETH_P_ALL));
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

/* tap -> LINK: one frame, tagged. */
static void relay_out(struct vlan_relay *r)
{
	uint8_t f[FRAME_MAX + 4];
	ssize_t n = read(r->tap, f, FRAME_MAX);

	if (n < ETH_ALEN2 + 2)
		return;
	memmove(f + ETH_ALEN2 + 4, f + ETH_ALEN2, n - ETH_ALEN2);
	f[12] = 0x81;
	f[13] = 0x00;
	f[14] = r->vid >> 8;
	f[15] = r->vid & 0xff;
	(void)send(r->pkt, f, n + 4, 0);
}

/* The VID a received frame carries: in the frame, or (stripped by the
 * driver) in the packet auxdata; -1 if untagged. */
static int frame_vid(struct msghdr *m, uint8_t *f, ssize_t *n)
{
	struct tpacket_auxdata a;
	struct cmsghdr *cm;
	int vid;

	for (cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm)) {
		if (cm->cmsg_level != SOL_PACKET ||
		    cm->cmsg_type != PACKET_AUXDATA)
			continue;
		memcpy(&a, CMSG_DATA(cm), sizeof(a));
		if (a.tp_status & TP_STATUS_VLAN_VALID)
			return a.tp_vlan_tci & 0xfff;
	}
	if (*n < ETH_ALEN2 + 6 || f[12] != 0x81 || f[13] != 0x00)
		return -1;
	vid = ((f[14] << 8) | f[15]) & 0xfff;
	memmove(f + ETH_ALEN2, f + ETH_ALEN2 + 4, *n - ETH_ALEN2 - 4);
	*n -= 4;
	return vid;
}

/* LINK -> tap: one frame, if it is tagged VID, untagged. */
static void relay_in(struct vlan_relay *r)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} ctl;
	uint8_t f[FRAME_MAX];
	struct sockaddr_ll from;
	struct iovec iov = { f, sizeof(f) };
	struct msghdr m = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = &ctl, .msg_controllen = sizeof(ctl),
	};
	ssize_t n = recvmsg(r->pkt, &m, 0);

	if (n < ETH_ALEN2 + 2 || from.sll_pkttype == PACKET_OUTGOING)
		return;
	if (frame_vid(&m, f, &n) == r->vid)
		(void)write(r->tap, f, n);
}

static void relay_loop(struct vlan_relay *r)
{
	struct pollfd p[2] = { { r->tap, POLLIN, 0 }, { r->pkt, POLLIN, 0 } };
	const char *env = getenv("NETTOPO_RELAY_SECS");
	time_t end = time(NULL) + (env ? atol(env) : 900);
	char name[IF_NAMESIZE];
	int e;
	socklen_t len = sizeof(e);

	while (time(NULL) < end && if_indextoname(r->ifindex, name)) {
		if (poll(p, 2, 500) < 0 && errno != EINTR)
			break;
		if (p[0].revents & (POLLERR | POLLHUP | POLLNVAL))
			break;
		if (p[0].revents & POLLIN)
			relay_out(r);
		if (p[1].revents & POLLIN)
			relay_in(r);
		/* ENETDOWN while LINK is down: clear it and go on. */
		if (p[1].revents & POLLERR)
			getsockopt(r->pkt, SOL_SOCKET, SO_ERROR, &e, &len);
	}
}

static int vlan_relay_start(const char *name, int ifindex, long vid)
{
	struct vlan_relay r = { -1, -1, ifindex, vid };
	pid_t pid;
	int fd;

	r.tap = tap_open(name);
	if (r.tap < 0)
		return err("cannot create tap '%s': %s", name, strerror(-r.tap));
	r.pkt = packet_open(ifindex);
	if (r.pkt < 0) {
		close(r.tap);
		return err("packet socket: %s", strerror(-r.pkt));
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		setsid();
		fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0), dup2(fd, 1), dup2(fd, 2);
			close(fd);
		}
		relay_loop(&r);
		_exit(0);
	}
	close(r.tap);
	close(r.pkt);
	if (pid < 0)
		return err("fork: %s", strerror(errno));
	return 0;
}

/* vlan NAME LINK VID: an 802.1Q interface over LINK (a userspace relay
 * where the kernel has no 8021q). */
static int cmd_vlan(struct topo *t, int argc, char **argv)
{
	struct rtnl_link *lower, *link = NULL;
	long vid;
	int rc = 1;

	(void)argc;
	if (check_ifname(argv[0]) ||
	    parse_uint(argv[2], 1, 4094, "VLAN id", &vid))
		return 1;
	lower = link_get(t, argv[1]);
	if (!lower)
		return 1;
	link = rtnl_link_vlan_alloc();
	if (!link) {
		err("out of memory");
		goto fail;
	}
	rtnl_link_set_name(link, argv[0]);
	rtnl_link_set_link(link, rtnl_link_get_ifindex(lower));
	rtnl_link_vlan_set_id(link, vid);
	rc = rtnl_link_add(t->sk, link, NLM_F_CREATE | NLM_F_EXCL);
	if (rc == -NLE_OPNOTSUPP)	/* no 8021q in this kernel */
		rc = vlan_relay_start(argv[0], rtnl_link_get_ifindex(lower),
				      vid);
	else if (rc < 0)
		rc = err("cannot create '%s': %s", argv[0],
			 rc == -NLE_EXIST ? "link exists" : NLERR(rc));
fail:
	if (link)
		rtnl_link_put(link);
	rtnl_link_put(lower);
	return rc;
}

/* master LINK BRIDGE: enslave LINK to BRIDGE; "-" as BRIDGE releases it. */
static int cmd_master(struct topo *t, int argc, char **argv)
{
	struct rtnl_link *br = NULL, *change;
	int rc = 1;

	(void)argc;
	if (strcmp(argv[1], "-") != 0 && !(br = link_get(t, argv[1])))
		return 1;
	change = rtnl_link_alloc();
	if (!change) {
		err("out of memory");
		goto fail;
	}
	rtnl_link_set_master(change, br ? rtnl_link_get_ifindex(br) : 0);
	rc = link_change(t, argv[0], change);
	rtnl_link_put(change);
fail:
	if (br)
		rtnl_link_put(br);
	return rc;
}

static int set_state(struct topo *t, const char *name, bool up)
{
	struct rtnl_link *change = rtnl_link_alloc();
	int rc;

	if (!change)
		return err("out of memory");
	if (up)
		rtnl_link_set_flags(change, IFF_UP);
	else
		rtnl_link_unset_flags(change, IFF_UP);
	rc = link_change(t, name, change);
	rtnl_link_put(change);
	return rc;
}

static int cmd_up(struct topo *t, int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (set_state(t, argv[i], true))
			return 1;
	return 0;
}

static int cmd_down(struct topo *t, int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (set_state(t, argv[i], false))
			return 1;
	return 0;
}

static int cmd_mtu(struct topo *t, int argc, char **argv)
{
	struct rtnl_link *change;
	long mtu;
	int rc;

	(void)argc;
	if (parse_uint(argv[1], 68, 65535, "MTU", &mtu))
		return 1;
	change = rtnl_link_alloc();
	if (!change)
		return err("out of memory");
	rtnl_link_set_mtu(change, mtu);
	rc = link_change(t, argv[0], change);
	rtnl_link_put(change);
	return rc;
}

/* lladdr LINK MAC: set the link's Ethernet address. */
static int cmd_lladdr(struct topo *t, int argc, char **argv)
{
	struct rtnl_link *change = NULL;
	struct nl_addr *a = NULL;
	struct mac_addr mac;
	int rc = 1;

	(void)argc;
	if (mac_parse(argv[1], &mac) < 0)
		return err("invalid MAC address '%s'", argv[1]);
	a = nl_addr_build(AF_LLC, mac.b, MAC_LEN);
	change = rtnl_link_alloc();
	if (!a || !change) {
		err("out of memory");
		goto fail;
	}
	rtnl_link_set_addr(change, a);
	rc = link_change(t, argv[0], change);
fail:
	if (change)
		rtnl_link_put(change);
	if (a)
		nl_addr_put(a);
	return rc;
}

/*
 * txcsum LINK on|off: the link's transmit checksum offload (ethtool
 * ETHTOOL_STXCSUM; TSO, which needs it, goes with it). Off on a veth end,
 * frames leaving it carry complete checksums, as frames on a real wire
 * do: needed where a packet socket (DPDK af_packet) reads the other end.
 */
static int cmd_txcsum(struct topo *t, int argc, char **argv)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_STXCSUM };
	struct ifreq ifr;
	int fd, rc = 0;

	(void)t; (void)argc;
	if (check_ifname(argv[0]))
		return 1;
	if (strcmp(argv[1], "on") != 0 && strcmp(argv[1], "off") != 0)
		return err("expected on or off, not '%s'", argv[1]);
	ev.data = strcmp(argv[1], "on") == 0;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[0]);
	ifr.ifr_data = (void *)&ev;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err("socket: %s", strerror(errno));
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		rc = err("link '%s': %s", argv[0], strerror(errno));
	close(fd);
	return rc;
}

/* promisc LINK on|off: the interface's IFF_PROMISC, as "ip link set
 * LINK promisc on" (what vswitchd must leave as it found it). */
static int cmd_promisc(struct topo *t, int argc, char **argv)
{
	struct rtnl_link *change;
	int rc;

	(void)argc;
	if (strcmp(argv[1], "on") != 0 && strcmp(argv[1], "off") != 0)
		return err("expected on or off, not '%s'", argv[1]);
	change = rtnl_link_alloc();
	if (!change)
		return err("out of memory");
	if (strcmp(argv[1], "on") == 0)
		rtnl_link_set_flags(change, IFF_PROMISC);
	else
		rtnl_link_unset_flags(change, IFF_PROMISC);
	rc = link_change(t, argv[0], change);
	rtnl_link_put(change);
	return rc;
}

/* setns LINK NS: move LINK (from -n's namespace) into NS. */
static int cmd_setns(struct topo *t, int argc, char **argv)
{
	struct rtnl_link *change;
	int nsfd, rc;

	(void)argc;
	nsfd = ns_open(argv[1]);
	if (nsfd < 0)
		return 1;
	change = rtnl_link_alloc();
	if (!change) {
		close(nsfd);
		return err("out of memory");
	}
	rtnl_link_set_ns_fd(change, nsfd);
	rc = link_change(t, argv[0], change);
	rtnl_link_put(change);
	close(nsfd);
	return rc;
}

static int cmd_del(struct topo *t, int argc, char **argv)
{
	struct rtnl_link *link;
	int i, e;

	for (i = 0; i < argc; i++) {
		link = link_get(t, argv[i]);
		if (!link)
			return 1;
		e = rtnl_link_delete(t->sk, link);
		rtnl_link_put(link);
		if (e < 0)
			return err("cannot delete '%s': %s", argv[i], NLERR(e));
	}
	return 0;
}

/* addr LINK A.B.C.D/N: add an IPv4 address. */
static int cmd_addr(struct topo *t, int argc, char **argv)
{
	struct rtnl_link *link = NULL;
	struct rtnl_addr *ra = NULL;
	struct nl_addr *a = NULL;
	int e, rc = 1;

	(void)argc;
	if (!strchr(argv[1], '/') || nl_addr_parse(argv[1], AF_INET, &a) < 0 ||
	    nl_addr_get_prefixlen(a) < 1 || nl_addr_get_prefixlen(a) > 32) {
		err("invalid IPv4 address '%s' (A.B.C.D/N)", argv[1]);
		goto fail;
	}
	link = link_get(t, argv[0]);
	ra = rtnl_addr_alloc();
	if (!link || !ra)
		goto fail;
	rtnl_addr_set_ifindex(ra, rtnl_link_get_ifindex(link));
	rtnl_addr_set_local(ra, a);
	e = rtnl_addr_add(t->sk, ra, 0);
	if (e < 0)
		err("cannot add %s to '%s': %s", argv[1], argv[0], NLERR(e));
	else
		rc = 0;
fail:
	if (ra)
		rtnl_addr_put(ra);
	if (link)
		rtnl_link_put(link);
	if (a)
		nl_addr_put(a);
	return rc;
}

/* show LINK: one line "name=.. index=.. mtu=.. state=up|down mac=..
 * master=INDEX", for scripts. Exit 1 if there is no such link. */
static int cmd_show(struct topo *t, int argc, char **argv)
{
	struct rtnl_link *link;
	struct nl_addr *a;
	char mac[64] = "--";

	(void)argc;
	link = link_get(t, argv[0]);
	if (!link)
		return 1;
	a = rtnl_link_get_addr(link);
	if (a && nl_addr_get_len(a) == MAC_LEN) {
		const uint8_t *b = nl_addr_get_binary_addr(a);

		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
			 b[0], b[1], b[2], b[3], b[4], b[5]);
	}
	printf("name=%s index=%d mtu=%u state=%s mac=%s master=%d\n",
	       rtnl_link_get_name(link), rtnl_link_get_ifindex(link),
	       rtnl_link_get_mtu(link),
	       rtnl_link_get_flags(link) & IFF_UP ? "up" : "down", mac,
	       rtnl_link_get_master(link));
	rtnl_link_put(link);
	return 0;
}

static const struct topo_cmd cmds[] = {
	{ "netns-add", "NS", 1, 1, false, cmd_netns_add },
	{ "netns-del", "NS", 1, 1, false, cmd_netns_del },
	{ "netns-list", "", 0, 0, false, cmd_netns_list },
	{ "netns-pids", "NS", 1, 1, false, cmd_netns_pids },
	{ "exec", "CMD [ARGS...]   (with -n NS)", 1, INT_MAX, false, cmd_exec },
	{ "veth", "NAME PEER [PEER_NS]", 2, 3, true, cmd_veth },
	{ "bridge", "NAME", 1, 1, true, cmd_bridge },
	{ "vlan", "NAME LINK VID", 3, 3, true, cmd_vlan },
	{ "master", "LINK BRIDGE|-", 2, 2, true, cmd_master },
	{ "up", "LINK...", 1, INT_MAX, true, cmd_up },
	{ "down", "LINK...", 1, INT_MAX, true, cmd_down },
	{ "mtu", "LINK MTU", 2, 2, true, cmd_mtu },
	{ "lladdr", "LINK MAC", 2, 2, true, cmd_lladdr },
	{ "addr", "LINK A.B.C.D/N", 2, 2, true, cmd_addr },
	{ "setns", "LINK NS", 2, 2, true, cmd_setns },
	{ "txcsum", "LINK on|off", 2, 2, true, cmd_txcsum },
	{ "promisc", "LINK on|off", 2, 2, true, cmd_promisc },
	{ "del", "LINK...", 1, INT_MAX, true, cmd_del },
	{ "show", "LINK", 1, 1, true, cmd_show },
};

static void usage(void)
{
	size_t i;

	fprintf(stderr, "usage: nettopo [-n NS] COMMAND ARGS...\n");
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		fprintf(stderr, "  %-11s %s\n", cmds[i].name, cmds[i].args);
	exit(1);
}

static int run(const struct topo_cmd *c, struct topo *t, int argc,
	       char **argv)
{
	int e, rc;

	if (!c->netlink)
		return c->run(t, argc, argv);
	if (t->ns && ns_enter(t->ns))
		return 1;
	t->sk = nl_socket_alloc();
	if (!t->sk)
		return err("out of memory");
	e = nl_connect(t->sk, NETLINK_ROUTE);
	rc = e < 0 ? err("netlink: %s", NLERR(e)) : c->run(t, argc, argv);
	nl_socket_free(t->sk);
	return rc;
}

int main(int argc, char **argv)
{
	struct topo t = { 0 };
	size_t i;
	int o;

	while ((o = getopt(argc, argv, "+n:h")) != -1) {
		switch (o) {
		case 'n':
			t.ns = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	cur_cmd = argv[0];
	if (t.ns && check_nsname(t.ns))
		return 1;
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (strcmp(cmds[i].name, argv[0]) != 0)
			continue;
		if (argc - 1 < cmds[i].min || argc - 1 > cmds[i].max) {
			fprintf(stderr, "usage: nettopo [-n NS] %s %s\n",
				cmds[i].name, cmds[i].args);
			return 1;
		}
		return run(&cmds[i], &t, argc - 1, argv + 1);
	}
	fprintf(stderr, "nettopo: unknown command '%s'\n", argv[0]);
	usage();
}
