/*
 * vdiskadm(1): create and manage virtual disks, as Solaris xVM's
 * vdiskadm does. The work is in vdiskadm_main() (vdiskadm.c), which the
 * unit tests call directly.
 */
#include <stdio.h>

#include "vdiskadm.h"

int main(int argc, char **argv)
{
	return vdiskadm_main(argc, argv, stdout, stderr);
}
