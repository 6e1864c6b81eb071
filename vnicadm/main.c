/*
 * vnicadm(8): administer xvm's virtual switch, as dladm administers
 * Crossbow links. The work is in vnicadm_main() (vnicadm.c), which the unit
 * tests call directly.
 */
#include <stdio.h>

#include "vnicadm.h"

int main(int argc, char **argv)
{
	return vnicadm_main(argc, argv, stdout, stderr);
}
