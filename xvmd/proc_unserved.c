/*
 * The public API names of remote_protocol.x procedures xvmd does not
 * serve, so that a NO_SUPPORT reply names the call as libvirtd's does
 * ("this function is not supported by the connection driver:
 * virDomainCoreDump"), not its number. Numbers and names are libvirt's
 * (src/remote/remote_protocol.x REMOTE_PROC_X; the API is the virX that
 * gendispatch maps it to). A number in neither this table nor a served
 * one (proc.c) is answered with "procedure N". When a procedure becomes
 * served, its line here goes (the unit test checks no number is in both).
 */
#include <stdlib.h>
#include "xvm/common.h"
#include "proc.h"

struct proc_unserved {
	int num;
	const char *api;
};

/* In increasing number order (bisection). */
static const struct proc_unserved proc_unserved[] = {
	{ 36, "virConnectListDefinedNetworks" },
	{ 38, "virConnectListNetworks" },
	{ 46, "virNetworkLookupByName" },
	{ 50, "virConnectNumOfDefinedNetworks" },
	{ 52, "virConnectNumOfNetworks" },
	{ 53, "virDomainCoreDump" },
	{ 75, "virConnectFindStoragePoolSources" },
	{ 111, "virNodeNumOfDevices" },
	{ 112, "virNodeListDevices" },
	{ 126, "virConnectNumOfInterfaces" },
	{ 127, "virConnectListInterfaces" },
	{ 152, "virNetworkIsActive" },
	{ 174, "virDomainUpdateDeviceFlags" },
	{ 185, "virDomainSnapshotCreateXML" },
	{ 198, "virDomainGetMemoryParameters" },
	{ 206, "virDomainGetBlkioParameters" },
	{ 208, "virStorageVolUpload" },
	{ 209, "virStorageVolDownload" },
	{ 211, "virDomainScreenshot" },
	{ 236, "virDomainSaveImageDefineXML" },
	{ 257, "virDomainGetInterfaceParameters" },
	{ 263, "virDomainGetDiskErrors" },
	{ 277, "virDomainGetHostname" },
	{ 283, "virConnectListAllNetworks" },
	{ 284, "virConnectListAllInterfaces" },
	{ 285, "virConnectListAllNodeDevices" },
};

const char *proc_unserved_api(int num)
{
	size_t lo = 0, hi = ARRAY_SIZE(proc_unserved);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (proc_unserved[mid].num == num)
			return proc_unserved[mid].api;
		if (proc_unserved[mid].num < num)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* For the unit test: sorted, and no number also served. */
bool proc_unserved_sorted(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(proc_unserved); i++) {
		if (i > 0 && proc_unserved[i - 1].num >= proc_unserved[i].num)
			return false;
		if (proc_lookup(proc_unserved[i].num))
			return false;
	}
	return true;
}
