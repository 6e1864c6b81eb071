/*
 * hvctl(1): control a running hv. The work is in hvctl_main() (cli.c),
 * which the unit tests call directly.
 */
#include <stdio.h>

#include "hvctl.h"

int main(int argc, char **argv)
{
	return hvctl_main(argc, argv, stdout, stderr);
}
