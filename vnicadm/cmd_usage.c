/*
 * vnicadm show-usage: dladm show-usage, links' traffic over time from the
 * usage log vswitchd writes (docs/vnicadm.8 "show-usage"); all of it is
 * lib/cli_usage.c, shared with flowadm.
 */
#include "vnicadm.h"
#include "xvm/linkprop.h"
#include "xvm/usagelog.h"

int cmd_show_usage(struct cli *c, int argc, char **argv)
{
	return cli_show_usage(c, argc, argv, USAGE_LINK, linkname_valid);
}
