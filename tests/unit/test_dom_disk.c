/*
 * Unit tests for xvmd's disk formats (issue 14): <driver type> in the
 * domain XML, the image checks of xvmd/dom_disk.c (magic numbers, vdisk
 * directories through vdisk.xml, what is refused and why), and the
 * qemu-storage-daemon command line and hv arguments built for a domain.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "unit.h"
#include "vdiskadm/vdiskadm.h"
#include "xvmd/dom_disk.h"
#include "xvmd/dom_run.h"

static int parse(const char *devices, struct dom_config *c, char *err,
		 size_t errlen)
{
	char xml[4096];

	snprintf(xml, sizeof(xml), "<domain type='xvm'><name>q</name>"
		 "<memory>2048</memory><os><type>xen</type><kernel>/k</kernel>"
		 "</os><devices>%s</devices></domain>", devices);
	return domxml_parse(xml, strlen(xml), c, err, errlen);
}

/* Every format libvirt names that xvm serves is kept and given back;
 * others are refused with the list. */
static void test_driver_types(void)
{
	static const char *const ok[] = { "raw", "qcow2", "vmdk", "vdi",
					  "vpc" };
	struct dom_config a, b;
	char dev[512], err[256], *x;

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		snprintf(dev, sizeof(dev), "<disk type='file'><driver "
			 "name='qemu' type='%s'/><source file='/i'/><target "
			 "dev='vda'/></disk>", ok[i]);
		CU_ASSERT_EQUAL_FATAL(parse(dev, &a, err, sizeof(err)), 0);
		CU_ASSERT_STRING_EQUAL(a.disks[0].format, ok[i]);
		x = domxml_format(&a, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(x);
		snprintf(dev, sizeof(dev), "<driver name='qemu' type='%s'/>",
			 ok[i]);
		CU_ASSERT_PTR_NOT_NULL(strstr(x, dev));
		CU_ASSERT_EQUAL(domxml_parse(x, strlen(x), &b, err,
					     sizeof(err)), 0);
		CU_ASSERT_EQUAL(memcmp(&a, &b, sizeof(a)), 0);
		free(x);
	}
	/* absent: "" (raw for a file, vdisk.xml's for a vdisk), and no
	 * type given back */
	CU_ASSERT_EQUAL(parse("<disk type='block'><source dev='/dev/x'/>"
			      "<target dev='vda'/></disk>", &a, err,
			      sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(a.disks[0].format, "");
	x = domxml_format(&a, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_PTR_NOT_NULL(strstr(x, "<driver name='qemu'/>"));
	free(x);
	CU_ASSERT_EQUAL(parse("<disk type='file'><driver type='qed'/><source "
			      "file='/i'/><target dev='vda'/></disk>", &a, err,
			      sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unsupported disk driver type "
				      "'qed' (raw, qcow2, vmdk, vdi, vpc)"));
	CU_ASSERT_EQUAL(parse("<disk type='file'><driver type='qcow2qcow2"
			      "qcow2'/><source file='/i'/><target dev='vda'/>"
			      "</disk>", &a, err, sizeof(err)), -EINVAL);
}

/* The magic numbers: each format's, and raw for anything else. */
static void test_magic(void)
{
	uint8_t head[512], tail[512];

	memset(head, 0, sizeof(head));
	memset(tail, 0, sizeof(tail));
	CU_ASSERT_STRING_EQUAL(dom_img_magic(head, 512, tail, true), "raw");
	memcpy(head, "QFI\xfb\0\0\0\3", 8);
	CU_ASSERT_STRING_EQUAL(dom_img_magic(head, 512, NULL, false), "qcow2");
	CU_ASSERT_STRING_EQUAL(dom_img_magic(head, 3, NULL, false), "raw");
	memcpy(head, "KDMV", 4);
	CU_ASSERT_STRING_EQUAL(dom_img_magic(head, 512, NULL, false), "vmdk");
	memcpy(head, "# Disk DescriptorFile\nversion=1", 31);
	CU_ASSERT_STRING_EQUAL(dom_img_magic(head, 512, NULL, false), "vmdk");
	memset(head, 0, sizeof(head));
	memcpy(head + 0x40, "\x7f\x10\xda\xbe", 4);
	CU_ASSERT_STRING_EQUAL(dom_img_magic(head, 512, NULL, false), "vdi");
	CU_ASSERT_STRING_EQUAL(dom_img_magic(head, 0x43, NULL, false), "raw");
	memset(head, 0, sizeof(head));
	memcpy(head, "conectix", 8);
	CU_ASSERT_STRING_EQUAL(dom_img_magic(head, 512, NULL, false), "vpc");
	memset(head, 0, sizeof(head));
	memcpy(tail, "conectix", 8);
	/* a fixed VHD's footer counts only when a vpc image is expected: a
	 * raw disk's last sector is the guest's */
	CU_ASSERT_STRING_EQUAL(dom_img_magic(head, 512, tail, true), "vpc");
	CU_ASSERT_STRING_EQUAL(dom_img_magic(head, 512, tail, false), "raw");
}

static char tmp[] = "/tmp/xvm-unit-disk-XXXXXX";

static void put(const char *name, const void *data, size_t n, size_t size)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CU_ASSERT_TRUE_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, data, n), (ssize_t)n);
	CU_ASSERT_EQUAL(ftruncate(fd, (off_t)size), 0);
	close(fd);
}

static void vdisk(const char *name, const char *type, bool sparse,
		  unsigned int rwcnt, bool readonly)
{
	struct vd_meta m = {
		.type = vd_type_find(type), .sparse = sparse, .ctime = 1,
		.max_size = 1 << 20, .rwcnt = rwcnt, .readonly = readonly,
	};
	char path[256], *xml;
	size_t len;

	snprintf(m.name, sizeof(m.name), "%s", name);
	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	CU_ASSERT_EQUAL_FATAL(mkdir(path, 0700), 0);
	xml = vdxml_format(&m, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
	snprintf(path, sizeof(path), "%s/vdisk.xml", name);
	put(path, xml, len, len);
	free(xml);
}

/* resolve src of a disk <source file=tmp/name> with driver type fmt
 * ("" none): its return value, the error in err. */
static bool start = true;

static int resolve(const char *name, const char *fmt, bool ro,
		   struct dom_disk_src *src, char *err, size_t errlen)
{
	struct dom_disk dk = { .target = "vda", .readonly = ro };

	snprintf(dk.path, sizeof(dk.path), "%s/%s", tmp, name);
	snprintf(dk.format, sizeof(dk.format), "%s", fmt);
	err[0] = 0;
	return dom_disk_resolve(&dk, src, start, err, errlen);
}

static void test_resolve(void)
{
	static const uint8_t qcow2[8] = "QFI\xfb\0\0\0\3";
	struct dom_disk_src src;
	char err[1024], want[512];

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmp));
	put("a.raw", "", 0, 1 << 20);
	put("b.qcow2", qcow2, sizeof(qcow2), 1 << 16);

	CU_ASSERT_EQUAL(resolve("a.raw", "", false, &src, err, 1024), 0);
	CU_ASSERT_STRING_EQUAL(src.format, "raw");
	CU_ASSERT_FALSE(dom_disk_qsd(&src));
	CU_ASSERT_EQUAL(resolve("b.qcow2", "qcow2", false, &src, err, 1024), 0);
	CU_ASSERT_STRING_EQUAL(src.format, "qcow2");
	CU_ASSERT_TRUE(dom_disk_qsd(&src));
	snprintf(want, sizeof(want), "%s/b.qcow2", tmp);
	CU_ASSERT_STRING_EQUAL(src.image, want);

	/* a qcow2 file given as raw (or without a type): refused */
	CU_ASSERT_EQUAL(resolve("b.qcow2", "raw", false, &src, err, 1024),
			-EINVAL);
	snprintf(want, sizeof(want), "disk vda: '%s/b.qcow2' holds a qcow2 "
		 "image, but the domain gives it as raw: name its format with "
		 "<driver type='qcow2'/>", tmp);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
	CU_ASSERT_EQUAL(resolve("b.qcow2", "", false, &src, err, 1024), -EINVAL);
	/* a raw file given as qcow2 or vdi; a qcow2 given as vmdk */
	CU_ASSERT_EQUAL(resolve("a.raw", "qcow2", false, &src, err, 1024),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "a.raw' is not a qcow2 image (no "
				      "header of that format)"));
	CU_ASSERT_EQUAL(resolve("b.qcow2", "vmdk", false, &src, err, 1024),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "b.qcow2' is not a vmdk image "
				      "(qcow2)"));
	CU_ASSERT_EQUAL(resolve("nope", "qcow2", false, &src, err, 1024),
			-ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "nope': No such file or directory"));

	/* vdisks: the live image and format from vdisk.xml */
	vdisk("v1", "vmdk", true, 0, false);
	put("v1/vdisk.vmdk", "KDMV\1\0\0\0", 8, 1 << 16);
	CU_ASSERT_EQUAL(resolve("v1", "", false, &src, err, 1024), 0);
	CU_ASSERT_STRING_EQUAL(src.format, "vmdk");
	snprintf(want, sizeof(want), "%s/v1/vdisk.vmdk", tmp);
	CU_ASSERT_STRING_EQUAL(src.image, want);
	CU_ASSERT_EQUAL(resolve("v1", "vmdk", false, &src, err, 1024), 0);
	CU_ASSERT_EQUAL(resolve("v1", "qcow2", false, &src, err, 1024), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "v1' holds a vmdk image (format "
				      "vmdk), not qcow2 as <driver type> says"));
	vdisk("v2", "vhd", false, 0, false);	/* fixed VHD: footer at the end */
	put("v2/vdisk.vhd", "", 0, 1 << 16);
	CU_ASSERT_EQUAL(resolve("v2", "", false, &src, err, 1024), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "is not a vpc image"));
	{
		char path[300];
		int fd;

		snprintf(path, sizeof(path), "%s/v2/vdisk.vhd", tmp);
		fd = open(path, O_WRONLY);
		CU_ASSERT_EQUAL(pwrite(fd, "conectix", 8, (1 << 16) - 512), 8);
		close(fd);
	}
	CU_ASSERT_EQUAL(resolve("v2", "vpc", false, &src, err, 1024), 0);
	CU_ASSERT_STRING_EQUAL(src.format, "vpc");
	vdisk("v3", "raw", false, 0, false);
	put("v3/vdisk.raw", "", 0, 1 << 16);
	CU_ASSERT_EQUAL(resolve("v3", "", false, &src, err, 1024), 0);
	CU_ASSERT_STRING_EQUAL(src.format, "raw");
	CU_ASSERT_FALSE(dom_disk_qsd(&src));
	/* vdiskadm's in-use count and read-only property */
	vdisk("v4", "vdi", true, 1, false);
	CU_ASSERT_EQUAL(resolve("v4", "", true, &src, err, 1024), -EBUSY);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "v4' is in use (vdiskadm: 1 "
				      "writer, 0 readers)"));
	vdisk("v5", "vdi", true, 0, true);
	CU_ASSERT_EQUAL(resolve("v5", "", false, &src, err, 1024), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "is read-only (vdiskadm prop-set "
				      "readonly): give the disk <readonly/>"));
	/* only a start cares (domblkinfo of such a vdisk works) */
	{
		uint8_t head[0x44] = { 0 };

		memcpy(head + 0x40, "\x7f\x10\xda\xbe", 4);
		put("v4/vdisk.vdi", head, sizeof(head), 1 << 16);
	}
	start = false;
	CU_ASSERT_EQUAL(resolve("v4", "", false, &src, err, 1024), 0);
	CU_ASSERT_STRING_EQUAL(src.format, "vdi");
	start = true;
	/* a directory without vdisk.xml */
	CU_ASSERT_EQUAL(mkdir(strcat(strcpy(want, tmp), "/d"), 0700), 0);
	CU_ASSERT_EQUAL(resolve("d", "", false, &src, err, 1024), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "is a directory but not a vdisk"));

	CU_ASSERT_EQUAL(system(strcat(strcpy(want, "rm -rf "), tmp)), 0);
}

/* The daemon's command line: one file + format node and one export per
 * image disk, read-only ones on both levels; the raw disks are hv's,
 * and hv's arguments keep them first. */
static void test_qsd_args(void)
{
	struct dom_config c;
	struct dom_disk_src src[DOM_MAX_DISKS] = {
		{ "/i/a.raw", "raw" }, { "/i/b.qcow2", "qcow2" },
		{ "/i/v/vdisk.vmdk", "vmdk" }, { "/dev/sdz", "vdi" },
	};
	struct dom_qsd_argv *a = calloc(1, sizeof(*a));
	char err[256], dir[200], arg[DOM_PATH_MAX + 96];
	const char *want[] = {
		"qemu-storage-daemon", "--daemonize",
		"--pidfile", "/run/q/qsd.pid",
		"--blockdev", "driver=file,node-name=f1,filename=/i/b.qcow2,"
		"read-only=off",
		"--blockdev", "driver=qcow2,node-name=d1,file=f1,read-only=off",
		"--export", "type=vhost-user-blk,id=e1,node-name=d1,"
		"addr.type=unix,addr.path=/run/q/disk1.sock,writable=on,"
		"num-queues=2",
		"--blockdev", "driver=file,node-name=f2,filename=/i/v/vdisk.vmdk,"
		"read-only=on,cache.direct=on",
		"--blockdev", "driver=vmdk,node-name=d2,file=f2,read-only=on",
		"--export", "type=vhost-user-blk,id=e2,node-name=d2,"
		"addr.type=unix,addr.path=/run/q/disk2.sock,writable=off",
		"--blockdev", "driver=host_device,node-name=f3,filename=/dev/sdz,"
		"read-only=off",
		"--blockdev", "driver=vdi,node-name=d3,file=f3,read-only=off",
		"--export", "type=vhost-user-blk,id=e3,node-name=d3,"
		"addr.type=unix,addr.path=/run/q/disk3.sock,writable=on",
		NULL,
	};
	int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL_FATAL(parse(
		"<disk type='file'><source file='/i/a.raw'/><target dev='vda'/>"
		"</disk><disk type='file'><driver type='qcow2' queues='2'/><source "
		"file='/i/b.qcow2'/><target dev='vdb'/></disk>"
		"<disk type='file'><driver cache='none'/><source file='/i/v'/>"
		"<target dev='vdc'/><readonly/></disk>"
		"<disk type='block'><driver type='vdi'/><source dev='/dev/sdz'/>"
		"<target dev='vdd'/></disk>", &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(dom_qsd_args(&c, src, "qemu-storage-daemon", "/run/q",
				     a), 3);
	for (i = 0; want[i] && a->v[i]; i++)
		CU_ASSERT_STRING_EQUAL(a->v[i], want[i]);
	CU_ASSERT_PTR_NULL(want[i]);
	CU_ASSERT_PTR_NULL(a->v[i]);
	/* the raw one goes to hv */
	CU_ASSERT_EQUAL(dom_disk_arg(&c.disks[0], src[0].image, arg,
				     sizeof(arg)), 0);
	CU_ASSERT_STRING_EQUAL(arg, "path=/i/a.raw,format=raw");
	/* no image disk: no daemon */
	c.ndisks = 1;
	CU_ASSERT_EQUAL(dom_qsd_args(&c, src, "qsd", "/run/q", a), 0);
	CU_ASSERT_EQUAL(a->n, 4);
	/* a socket path longer than a socket address holds */
	c.ndisks = 2;
	memset(dir, 'x', sizeof(dir) - 1);
	dir[0] = '/';
	dir[sizeof(dir) - 1] = 0;
	CU_ASSERT_EQUAL(dom_qsd_args(&c, src, "qsd", dir, a), -ENAMETOOLONG);
	dir[95] = 0;
	CU_ASSERT_EQUAL(dom_qsd_args(&c, src, "qsd", dir, a), 1);
	dir[97] = 0;
	dir[95] = 'x';
	CU_ASSERT_EQUAL(dom_qsd_args(&c, src, "qsd", dir, a), -ENAMETOOLONG);
	CU_ASSERT_EQUAL(dom_qsd_sock("/r", 7, arg, sizeof(arg)), 0);
	CU_ASSERT_STRING_EQUAL(arg, "/r/disk7.sock");
	free(a);
}

static CU_TestInfo tests[] = {
	{ "<driver type> raw qcow2 vmdk vdi vpc kept", test_driver_types },
	{ "image magic numbers", test_magic },
	{ "image and vdisk checks against the XML", test_resolve },
	{ "qemu-storage-daemon arguments", test_qsd_args },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(dom_disk, NULL, NULL, tests);
