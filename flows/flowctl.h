/*
 * Flows as vswitchd's configuration objects (docs/vswitchd-control.md
 * "flow.*"): each names a link (a VNIC or a phys link), its attributes
 * and properties, and holds its data-path flow (flow_dp.h). flowctl.c
 * owns the control methods and keeps flows saved with the rest of the
 * configuration; the calls here are the hooks vswitchd's other modules
 * make (control thread only).
 */
#ifndef FLOW_FLOWCTL_H
#define FLOW_FLOWCTL_H

#include <jansson.h>

#include "xvm/common.h"

struct vswd;

/* true while flows are on link `name` (a VNIC is then not deleted:
 * "link still has flows"). */
bool flows_on_link(struct vswd *d, const char *name);
/* The saved flows for config.json's "flows" (new reference). */
json_t *flows_persist_json(const struct vswd *d);
/* At start, after the VNICs: re-create the saved flows (arr may be NULL);
 * a bad entry is logged and skipped, one whose link is missing is kept
 * for the next save. Saves nothing. */
void flows_restore(struct vswd *d, json_t *arr);
/* At exit, before the VNICs go: every flow out of the data path. */
void flows_destroy_all(struct vswd *d);

#endif
