/*
 * flowadm show-usage: flows' traffic over time from the usage log
 * vswitchd writes (docs/flowadm.8 "show-usage"); all of it is
 * lib/cli_usage.c, shared with vnicadm.
 */
#include "flowadm.h"
#include "flows/flow.h"
#include "xvm/usagelog.h"

int cmd_show_flow_usage(struct cli *c, int argc, char **argv)
{
	return cli_show_usage(c, argc, argv, USAGE_FLOW, flowname_valid);
}
