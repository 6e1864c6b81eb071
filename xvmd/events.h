/*
 * Domain lifecycle events to registered clients (events.c); values are
 * libvirt's virDomainEventType and its detail enums.
 */
#ifndef XVMD_EVENTS_H
#define XVMD_EVENTS_H

#include <stdbool.h>

struct dom;
struct remote_conn;

enum {
	EV_DEFINED = 0,
	EV_UNDEFINED = 1,
	EV_STARTED = 2,
	EV_SUSPENDED = 3,
	EV_RESUMED = 4,
	EV_STOPPED = 5,
	EV_SHUTDOWN = 6,
	EV_CRASHED = 8,
};

enum {
	EVD_DEFINED_ADDED = 0,
	EVD_DEFINED_UPDATED = 1,
	EVD_STARTED_MIGRATED = 1,
	EVD_STARTED_RESTORED = 2,
	EVD_SUSPENDED_RESTORED = 4,
	EVD_STOPPED_SAVED = 4,
	EVD_STOPPED_SHUTDOWN = 0,
	EVD_STOPPED_DESTROYED = 1,
	EVD_STOPPED_CRASHED = 2,
	EVD_STOPPED_FAILED = 5,
	EVD_STOPPED_MIGRATED = 3,
};

/* Send event/detail about d to every client registered for lifecycle
 * events. */
void event_lifecycle(const struct dom *d, int event, int detail);

/* virDomainMetadataType */
enum { EV_META_DESCRIPTION = 0, EV_META_TITLE = 1, EV_META_ELEMENT = 2 };

/* Tell clients registered for METADATA_CHANGE that d's description,
 * title or the element of namespace nsuri (EV_META_ELEMENT) changed. */
void event_metadata_change(const struct dom *d, int type, const char *nsuri);

/* Tell clients registered for DEVICE_ADDED or DEVICE_REMOVED that the
 * device alias ("net1": a NIC hot-plugged or unplugged) came or went. */
void event_device(const struct dom *d, bool added, const char *alias);

/* Forget the registrations of a client that goes away (remote.c). */
void event_conn_gone(struct remote_conn *conn);

#endif
