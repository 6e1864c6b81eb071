/*
 * Domain lifecycle events to registered clients (events.c); values are
 * libvirt's virDomainEventType and its detail enums.
 */
#ifndef XVMD_EVENTS_H
#define XVMD_EVENTS_H

struct dom;

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

#endif
