/*
 * netback port registry and wrappers (port.h): port types are looked up by
 * name in one table.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "port.h"

static const struct nb_port_ops *const nb_types[] = {
	&nb_uplink_ops,
	&nb_tap_ops,
	&nb_xnb_ops,
};

static const struct nb_port_ops *nb_lookup(const char *type)
{
	for (size_t i = 0; i < ARRAY_SIZE(nb_types); i++)
		if (strcmp(nb_types[i]->name, type) == 0)
			return nb_types[i];
	return NULL;
}

struct nb_port *nb_port_open(const char *type, const struct nb_port_conf *c)
{
	const struct nb_port_ops *ops = nb_lookup(type);
	struct nb_port *p;
	int rc;

	if (!ops || !c->name || strlen(c->name) >= LINKNAME_MAX) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->ops = ops;
	p->wake_fd = -1;
	strcpy(p->name, c->name);
	rc = ops->open(p, c);
	if (rc < 0) {
		free(p);
		errno = -rc;
		return NULL;
	}
	return p;
}

void nb_port_set_wake(struct nb_port *p, int fd)
{
	__atomic_store_n(&p->wake_fd, fd, __ATOMIC_RELEASE);
}

void nb_port_wake(struct nb_port *p)
{
	int fd = __atomic_load_n(&p->wake_fd, __ATOMIC_ACQUIRE);
	uint64_t one = 1;

	if (fd >= 0)
		(void)!write(fd, &one, sizeof(one));
}

void nb_port_close(struct nb_port *p)
{
	if (!p)
		return;
	p->ops->close(p);
	free(p);
}

int nb_port_set_mtu(struct nb_port *p, uint32_t mtu)
{
	return p->ops->set_mtu ? p->ops->set_mtu(p, mtu) : -ENOTSUP;
}

int nb_port_set_cpus(struct nb_port *p, const uint64_t *mask,
		     unsigned nwords)
{
	return p->ops->set_cpus ? p->ops->set_cpus(p, mask, nwords) :
	       -ENOTSUP;
}

int nb_port_link_state(const struct nb_port *p)
{
	return p->ops->link_state ? p->ops->link_state(p) : -1;
}

int nb_port_stats(const struct nb_port *p, struct nb_port_stats *st)
{
	memset(st, 0, sizeof(*st));
	return p->ops->stats ? p->ops->stats(p, st) : 0;
}
