/*
 * flowadm(8): administer flows on xvm's virtual switch, as Crossbow's
 * flowadm does. The work is in flowadm_main() (flowadm.c), which the unit
 * tests call directly.
 */
#include <stdio.h>

#include "flowadm.h"

int main(int argc, char **argv)
{
	return flowadm_main(argc, argv, stdout, stderr);
}
