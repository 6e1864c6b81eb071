/*
 * What vdiskadm accepts on its command line besides types: names of
 * vdisks and snapshots, sizes (-s) and descriptions (-c).
 */
#include <string.h>

#include "vdiskadm.h"
#include "xvm/units.h"

bool vd_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > VD_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-") == n;
}

int vd_size_parse(const char *s, uint64_t *bytes)
{
	int ret = units_parse_size(s, bytes);

	if (ret < 0)
		return ret;
	if (*bytes == 0 || *bytes > VD_SIZE_MAX)
		return -ERANGE;
	if (*bytes % 512)
		return -EDOM;
	return 0;
}

bool vd_desc_valid(const char *s)
{
	size_t n = strlen(s);

	if (n > VD_DESC_MAX)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}
