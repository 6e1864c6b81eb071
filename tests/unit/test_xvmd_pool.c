/*
 * Unit tests for storage pools and volumes (xvmd/pool.c, proc_storage.c):
 * names and paths clients give, pool and volume XML, and the storage
 * procedures called in process with remote_protocol.x's encodings, over a
 * pool in a temporary state directory (volumes made by the real
 * qemu-img).
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "unit.h"
#include "xvm/log.h"
#include "xvm/xmlread.h"
#include "xvmd/pool.h"
#include "xvmd/proc.h"
#include "xvmd/store.h"

/* remote_protocol.x numbers */
enum {
	P_LIST_POOLS = 72, P_NUM_DEFINED = 73, P_POOL_DEFINE_XML = 77,
	P_POOL_CREATE = 78, P_POOL_BUILD = 79, P_POOL_DESTROY = 80,
	P_POOL_UNDEFINE = 82, P_POOL_LOOKUP_BY_NAME = 84,
	P_POOL_LOOKUP_BY_VOLUME = 86, P_POOL_GET_INFO = 87,
	P_POOL_LIST_VOLUMES = 92, P_VOL_CREATE_XML = 93, P_VOL_DELETE = 94,
	P_VOL_LOOKUP_BY_NAME = 95, P_VOL_LOOKUP_BY_PATH = 97,
	P_VOL_GET_INFO = 98, P_VOL_GET_PATH = 100, P_VOL_CREATE_XML_FROM = 125,
	P_VOL_WIPE = 165, P_VOL_WIPE_PATTERN = 259, P_VOL_RESIZE = 260,
	P_LIST_ALL_POOLS = 281, P_LIST_ALL_VOLUMES = 282,
};

static char statedir[64], rundir[80];
static enum log_level saved_level;

static void test_names(void)
{
	char longname[POOL_VOL_NAME_MAX + 2];

	CU_ASSERT_TRUE(pool_name_ok("default"));
	CU_ASSERT_TRUE(pool_name_ok("a.b-c_d+e9"));
	CU_ASSERT_FALSE(pool_name_ok(""));
	CU_ASSERT_FALSE(pool_name_ok(".x"));
	CU_ASSERT_FALSE(pool_name_ok(".."));
	CU_ASSERT_FALSE(pool_name_ok("a/b"));
	CU_ASSERT_FALSE(pool_name_ok("a b"));
	memset(longname, 'a', POOL_NAME_MAX + 1);
	longname[POOL_NAME_MAX + 1] = 0;
	CU_ASSERT_FALSE(pool_name_ok(longname));
	longname[POOL_NAME_MAX] = 0;
	CU_ASSERT_TRUE(pool_name_ok(longname));

	CU_ASSERT_TRUE(pool_vol_name_ok("vi1.img"));
	CU_ASSERT_TRUE(pool_vol_name_ok("a,b:c@d=e~f.qcow2"));
	CU_ASSERT_FALSE(pool_vol_name_ok(""));
	CU_ASSERT_FALSE(pool_vol_name_ok("../x"));
	CU_ASSERT_FALSE(pool_vol_name_ok(".."));
	CU_ASSERT_FALSE(pool_vol_name_ok("x/y"));
	CU_ASSERT_FALSE(pool_vol_name_ok(".hidden"));
	CU_ASSERT_FALSE(pool_vol_name_ok("-o"));	/* an option to qemu-img */
	CU_ASSERT_FALSE(pool_vol_name_ok("a\nb"));
	CU_ASSERT_FALSE(pool_vol_name_ok("a b"));
	memset(longname, 'v', POOL_VOL_NAME_MAX + 1);
	longname[POOL_VOL_NAME_MAX + 1] = 0;
	CU_ASSERT_FALSE(pool_vol_name_ok(longname));

	CU_ASSERT_TRUE(pool_path_ok("/var/lib/xvm/images"));
	CU_ASSERT_TRUE(pool_path_ok("/a"));
	CU_ASSERT_FALSE(pool_path_ok("/"));
	CU_ASSERT_FALSE(pool_path_ok("relative/dir"));
	CU_ASSERT_FALSE(pool_path_ok("/a/../etc"));
	CU_ASSERT_FALSE(pool_path_ok("/a/./b"));
	CU_ASSERT_FALSE(pool_path_ok("/a//b"));
	CU_ASSERT_FALSE(pool_path_ok("/a/"));
	CU_ASSERT_FALSE(pool_path_ok("/a/.."));
	CU_ASSERT_FALSE(pool_path_ok("/a\tb"));
}

#define DOC(s)	s, strlen(s)

static void test_pool_xml(void)
{
	struct pool_def d;
	struct pool p = { 0 };
	char err[256], *xml;

	/* what virsh pool-define-as NAME dir --target PATH sends */
	CU_ASSERT_EQUAL(pool_parse_xml(DOC("<pool type='dir'>\n<name>p1</name>"
		"\n<target>\n<path>/srv/img</path>\n</target>\n</pool>\n"),
		&d, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(d.name, "p1");
	CU_ASSERT_STRING_EQUAL(d.path, "/srv/img");
	CU_ASSERT_FALSE(d.have_uuid);

	/* what pool-dumpxml gives back is taken again, same uuid */
	strcpy(p.name, "p1");
	strcpy(p.path, "/srv/img");
	memcpy(p.uuid, "0123456789abcdef", 16);
	xml = pool_format_xml(&p, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
	CU_ASSERT_PTR_NOT_NULL(strstr(xml, "<path>/srv/img</path>"));
	CU_ASSERT_EQUAL(pool_parse_xml(xml, strlen(xml), &d, err,
				       sizeof(err)), 0);
	CU_ASSERT_TRUE(d.have_uuid);
	CU_ASSERT_EQUAL(memcmp(d.uuid, p.uuid, 16), 0);
	CU_ASSERT_STRING_EQUAL(d.path, "/srv/img");
	free(xml);

	/* refusals, each with its reason */
	CU_ASSERT_EQUAL(pool_parse_xml(DOC("<!DOCTYPE pool [<!ENTITY a 'b'>]>"
		"<pool type='dir'><name>&a;</name></pool>"), &d, err,
		sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, XMLREAD_NO_DTD);
	CU_ASSERT_EQUAL(pool_parse_xml(DOC("<pool type='logical'><name>x"
		"</name></pool>"), &d, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unsupported storage pool type "
				      "'logical'"));
	CU_ASSERT_EQUAL(pool_parse_xml(DOC("<pool type='dir'><name>a/b</name>"
		"<target><path>/x</path></target></pool>"), &d, err,
		sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "invalid pool name 'a/b'"));
	CU_ASSERT_EQUAL(pool_parse_xml(DOC("<pool type='dir'><name>a</name>"
		"<target><path>/x/../etc</path></target></pool>"), &d, err,
		sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "invalid target path"));
	CU_ASSERT_EQUAL(pool_parse_xml(DOC("<pool type='dir'><name>a</name>"
		"</pool>"), &d, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "missing storage pool target path");
	CU_ASSERT_EQUAL(pool_parse_xml(DOC("<pool type='dir'><name>a</name>"
		"<target><path>/x</path></target><foo/></pool>"), &d, err,
		sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "unsupported element <foo> in <pool>");
	CU_ASSERT_EQUAL(pool_parse_xml(DOC("<pool type='dir'><name>a</name>"
		"<target><path>/x</path></target>"), &d, err, sizeof(err)),
		-EINVAL);
}

static void test_vol_xml(void)
{
	struct pool_vol_def v;
	char err[256];

	/* virsh vol-create-as POOL v.img 1G */
	CU_ASSERT_EQUAL(pool_vol_parse_xml(DOC("<volume>\n<name>v.img</name>\n"
		"<capacity>1073741824</capacity>\n</volume>"), &v, err,
		sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(v.name, "v.img");
	CU_ASSERT_STRING_EQUAL(v.format, "raw");
	CU_ASSERT_EQUAL(v.capacity, 1073741824ull);
	CU_ASSERT_FALSE(v.have_allocation);
	/* virt-install's: units, allocation 0, a format */
	CU_ASSERT_EQUAL(pool_vol_parse_xml(DOC("<volume><name>vi1.qcow2</name>"
		"<capacity unit='G'>2</capacity><allocation unit='KB'>3"
		"</allocation><target><format type='qcow2'/></target>"
		"</volume>"), &v, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(v.capacity, 2ull << 30);
	CU_ASSERT_EQUAL(v.allocation, 3000);
	CU_ASSERT_STRING_EQUAL(v.format, "qcow2");
	/* allocation above capacity is cut to it, as libvirt does */
	CU_ASSERT_EQUAL(pool_vol_parse_xml(DOC("<volume><name>a</name>"
		"<capacity>10</capacity><allocation>20</allocation>"
		"</volume>"), &v, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(v.allocation, 10);

	CU_ASSERT_EQUAL(pool_vol_parse_xml(DOC("<volume><name>../x</name>"
		"<capacity>1</capacity></volume>"), &v, err, sizeof(err)),
		-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "invalid volume name '../x'"));
	CU_ASSERT_EQUAL(pool_vol_parse_xml(DOC("<volume><name>a</name>"
		"</volume>"), &v, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "missing capacity element");
	CU_ASSERT_EQUAL(pool_vol_parse_xml(DOC("<volume><name>a</name>"
		"<capacity unit='P'>2</capacity></volume>"), &v, err,
		sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "<capacity> too large: at most 1 PiB");
	CU_ASSERT_EQUAL(pool_vol_parse_xml(DOC("<volume><name>a</name>"
		"<capacity>-1</capacity></volume>"), &v, err, sizeof(err)),
		-EINVAL);
	CU_ASSERT_EQUAL(pool_vol_parse_xml(DOC("<volume><name>a</name>"
		"<capacity unit='Q'>1</capacity></volume>"), &v, err,
		sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "unknown scale 'Q' in <capacity>");
	CU_ASSERT_EQUAL(pool_vol_parse_xml(DOC("<volume><name>a</name>"
		"<capacity>1</capacity><backingStore><path>/etc/shadow</path>"
		"</backingStore></volume>"), &v, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "backing stores are not supported");
	CU_ASSERT_EQUAL(pool_vol_parse_xml(DOC("<!DOCTYPE v><volume/>"), &v,
					   err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, XMLREAD_NO_DTD);
}

/* Call procedure num in process; its return, ret filled. */
static int call(int num, const struct xdr_out *args, struct xdr_out *ret,
		struct verr *err)
{
	const struct proc *p = proc_lookup(num);
	struct remote_call c = { .proc = (uint32_t)num };
	struct xdr_in in;
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	xdr_in_init(&in, args ? args->buf : NULL, args ? args->len : 0);
	xdr_out_init(ret);
	c.args = &in;
	c.ret = ret;
	rc = p->fn(&c);
	*err = c.err;
	return rc;
}

/* remote_nonnull_storage_pool of a pool we have */
static void put_pool(struct xdr_out *a, const char *name)
{
	struct pool *p = pool_by_name(name);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	xdr_put_string(a, p->name);
	xdr_put_fixed(a, p->uuid, 16);
}

static void put_vol(struct xdr_out *a, const char *pool, const char *name)
{
	xdr_put_string(a, pool);
	xdr_put_string(a, name);
	xdr_put_string(a, "");
}

/* VOL_CREATE_XML in pool "default": rc, and the volume's path. */
static int vol_create(const char *xml, char *path, size_t len,
		      struct verr *e)
{
	struct xdr_out a, r;
	struct xdr_in x;
	char *s;
	int rc;

	xdr_out_init(&a);
	put_pool(&a, "default");
	xdr_put_string(&a, xml);
	xdr_put_u32(&a, 0);
	rc = call(P_VOL_CREATE_XML, &a, &r, e);
	if (rc == 0) {
		xdr_in_init(&x, r.buf, r.len);
		s = xdr_get_string(&x, 100);
		CU_ASSERT(s && !strcmp(s, "default"));
		free(s);
		free(xdr_get_string(&x, 300));
		s = xdr_get_string(&x, 4096);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		snprintf(path, len, "%s", s);
		free(s);
		CU_ASSERT_EQUAL(xdr_in_done(&x, true), 0);
	}
	xdr_out_free(&a);
	xdr_out_free(&r);
	return rc;
}

static void test_procs(void)
{
	char path[600], want[600], other[700];
	struct xdr_out a, r;
	struct xdr_in x;
	struct verr e;
	struct stat st;
	struct pool *p;
	char *s;

	/* the first start made "default", built and started */
	p = pool_by_name("default");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_TRUE(p->active && p->autostart && p->persistent);
	snprintf(want, sizeof(want), "%s/images", statedir);
	CU_ASSERT_STRING_EQUAL(p->path, want);
	CU_ASSERT(stat(want, &st) == 0 && S_ISDIR(st.st_mode));

	/* LIST_ALL_STORAGE_POOLS {need_results 1; flags ACTIVE} */
	xdr_out_init(&a);
	xdr_put_i32(&a, 1);
	xdr_put_u32(&a, 2);
	CU_ASSERT_EQUAL(call(P_LIST_ALL_POOLS, &a, &r, &e), 0);
	xdr_in_init(&x, r.buf, r.len);
	CU_ASSERT_EQUAL(xdr_get_u32(&x), 1);
	s = xdr_get_string(&x, 100);
	CU_ASSERT(s && !strcmp(s, "default"));
	free(s);
	xdr_get_fixed(&x, want, 16);
	CU_ASSERT_EQUAL(memcmp(want, p->uuid, 16), 0);
	CU_ASSERT_EQUAL(xdr_get_u32(&x), 1);
	CU_ASSERT_EQUAL(xdr_in_done(&x, true), 0);
	xdr_out_free(&r);
	xdr_out_free(&a);

	xdr_out_init(&a);
	xdr_put_string(&a, "nope");
	CU_ASSERT_EQUAL(call(P_POOL_LOOKUP_BY_NAME, &a, &r, &e), -ENOENT);
	CU_ASSERT_EQUAL(e.code, VERR_NO_STORAGE_POOL);
	CU_ASSERT_STRING_EQUAL(e.msg, "Storage pool not found: no storage "
			       "pool with matching name 'nope'");
	xdr_out_free(&r);
	xdr_out_free(&a);

	/* a raw volume of 1 MiB, then the same name again */
	CU_ASSERT_EQUAL(vol_create("<volume><name>t.img</name><capacity unit="
				   "'M'>1</capacity></volume>", path,
				   sizeof(path), &e), 0);
	snprintf(want, sizeof(want), "%s/images/t.img", statedir);
	CU_ASSERT_STRING_EQUAL(path, want);
	CU_ASSERT(stat(want, &st) == 0 && st.st_size == 1 << 20);
	CU_ASSERT_EQUAL(vol_create("<volume><name>t.img</name><capacity>1"
				   "</capacity></volume>", path, sizeof(path),
				   &e), -EEXIST);
	CU_ASSERT_EQUAL(e.code, VERR_STORAGE_VOL_EXIST);
	CU_ASSERT(stat(want, &st) == 0 && st.st_size == 1 << 20);
	CU_ASSERT_EQUAL(vol_create("<volume><name>t.vhdx</name><capacity>1"
				   "</capacity><target><format type='vhdx'/>"
				   "</target></volume>", path, sizeof(path),
				   &e), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(e.code, VERR_CONFIG_UNSUPPORTED);
	/* a qcow2 volume: qemu-img info reads its format and size back */
	CU_ASSERT_EQUAL(vol_create("<volume><name>q.qcow2</name><capacity "
				   "unit='MiB'>2</capacity><target><format "
				   "type='qcow2'/></target></volume>", path,
				   sizeof(path), &e), 0);
	CU_ASSERT_EQUAL(p->nvols, 2);
	CU_ASSERT_STRING_EQUAL(pool_vol_by_name(p, "q.qcow2")->format,
			       "qcow2");
	xdr_out_init(&a);
	put_vol(&a, "default", "q.qcow2");
	CU_ASSERT_EQUAL(call(P_VOL_GET_INFO, &a, &r, &e), 0);
	xdr_in_init(&x, r.buf, r.len);
	CU_ASSERT_EQUAL(xdr_get_i32(&x), 0);	/* VIR_STORAGE_VOL_FILE */
	CU_ASSERT_EQUAL(xdr_get_u64(&x), 2u << 20);
	CU_ASSERT(xdr_get_u64(&x) > 0);		/* allocation */
	CU_ASSERT_EQUAL(xdr_in_done(&x, true), 0);
	xdr_out_free(&r);
	xdr_out_free(&a);

	/* resize it to 4 MiB (qemu-img resize), and refuse shrinking */
	xdr_out_init(&a);
	put_vol(&a, "default", "q.qcow2");
	xdr_put_u64(&a, 4u << 20);
	xdr_put_u32(&a, 0);
	CU_ASSERT_EQUAL(call(P_VOL_RESIZE, &a, &r, &e), 0);
	CU_ASSERT_EQUAL(pool_vol_by_name(p, "q.qcow2")->capacity, 4u << 20);
	xdr_out_free(&r);
	xdr_out_free(&a);
	xdr_out_init(&a);
	put_vol(&a, "default", "q.qcow2");
	xdr_put_u64(&a, 1u << 20);
	xdr_put_u32(&a, 0);
	CU_ASSERT_EQUAL(call(P_VOL_RESIZE, &a, &r, &e), -EINVAL);
	CU_ASSERT_EQUAL(pool_vol_by_name(p, "q.qcow2")->capacity, 4u << 20);
	xdr_out_free(&r);
	xdr_out_free(&a);

	/* LIST_VOLUMES {pool; maxnames 1}: the first name only */
	xdr_out_init(&a);
	put_pool(&a, "default");
	xdr_put_i32(&a, 1);
	CU_ASSERT_EQUAL(call(P_POOL_LIST_VOLUMES, &a, &r, &e), 0);
	xdr_in_init(&x, r.buf, r.len);
	CU_ASSERT_EQUAL(xdr_get_u32(&x), 1);
	s = xdr_get_string(&x, 300);
	CU_ASSERT(s && !strcmp(s, "q.qcow2"));
	free(s);
	CU_ASSERT_EQUAL(xdr_in_done(&x, true), 0);
	xdr_out_free(&r);
	xdr_out_free(&a);

	/* LOOKUP_BY_PATH: the same file however its directory is spelled;
	 * nothing outside a pool */
	snprintf(other, sizeof(other), "%s/images/../images/t.img", statedir);
	xdr_out_init(&a);
	xdr_put_string(&a, other);
	CU_ASSERT_EQUAL(call(P_VOL_LOOKUP_BY_PATH, &a, &r, &e), 0);
	xdr_in_init(&x, r.buf, r.len);
	free(xdr_get_string(&x, 100));
	s = xdr_get_string(&x, 300);
	CU_ASSERT(s && !strcmp(s, "t.img"));
	free(s);
	xdr_out_free(&r);
	xdr_out_free(&a);
	xdr_out_init(&a);
	xdr_put_string(&a, "/etc/passwd");
	CU_ASSERT_EQUAL(call(P_VOL_LOOKUP_BY_PATH, &a, &r, &e), -ENOENT);
	CU_ASSERT_EQUAL(e.code, VERR_NO_STORAGE_VOL);
	CU_ASSERT_STRING_EQUAL(e.msg, "Storage volume not found: no storage "
			       "vol with matching path '/etc/passwd'");
	xdr_out_free(&r);
	xdr_out_free(&a);

	/* a name with a path in it is not a volume of the pool */
	xdr_out_init(&a);
	put_pool(&a, "default");
	xdr_put_string(&a, "../pools/default.xml");
	CU_ASSERT_EQUAL(call(P_VOL_LOOKUP_BY_NAME, &a, &r, &e), -ENOENT);
	CU_ASSERT_EQUAL(e.code, VERR_NO_STORAGE_VOL);
	xdr_out_free(&r);
	xdr_out_free(&a);

	/* DELETE: the file goes, the name is then unknown */
	xdr_out_init(&a);
	put_vol(&a, "default", "t.img");
	xdr_put_u32(&a, 0);
	CU_ASSERT_EQUAL(call(P_VOL_DELETE, &a, &r, &e), 0);
	CU_ASSERT(stat(want, &st) < 0 && errno == ENOENT);
	xdr_out_free(&r);
	CU_ASSERT_EQUAL(call(P_VOL_DELETE, &a, &r, &e), -ENOENT);
	CU_ASSERT_EQUAL(e.code, VERR_NO_STORAGE_VOL);
	xdr_out_free(&r);
	xdr_out_free(&a);

	/* GET_INFO {pool} -> {u_char state, as 4 bytes; uhyper capacity,
	 * allocation, available} */
	xdr_out_init(&a);
	put_pool(&a, "default");
	CU_ASSERT_EQUAL(call(P_POOL_GET_INFO, &a, &r, &e), 0);
	CU_ASSERT_EQUAL(r.len, 4 + 3 * 8);
	xdr_in_init(&x, r.buf, r.len);
	CU_ASSERT_EQUAL(xdr_get_u32(&x), 2);	/* VIR_STORAGE_POOL_RUNNING */
	{
		uint64_t cap = xdr_get_u64(&x), alloc = xdr_get_u64(&x),
			 avail = xdr_get_u64(&x);

		CU_ASSERT(cap > 0 && alloc <= cap && avail <= cap);
	}
	xdr_out_free(&r);
	xdr_out_free(&a);

	/* LIST_ALL_VOLUMES {pool; need_results; flags} -> {vol<>; u32} */
	xdr_out_init(&a);
	put_pool(&a, "default");
	xdr_put_i32(&a, 1);
	xdr_put_u32(&a, 0);
	CU_ASSERT_EQUAL(call(P_LIST_ALL_VOLUMES, &a, &r, &e), 0);
	xdr_in_init(&x, r.buf, r.len);
	CU_ASSERT_EQUAL(xdr_get_u32(&x), 1);
	s = xdr_get_string(&x, 100);
	CU_ASSERT(s && !strcmp(s, "default"));
	free(s);
	s = xdr_get_string(&x, 300);
	CU_ASSERT(s && !strcmp(s, "q.qcow2"));
	free(s);
	s = xdr_get_string(&x, 4096);
	snprintf(want, sizeof(want), "%s/images/q.qcow2", statedir);
	CU_ASSERT(s && !strcmp(s, want));	/* the key: its path */
	free(s);
	CU_ASSERT_EQUAL(xdr_get_u32(&x), 1);
	CU_ASSERT_EQUAL(xdr_in_done(&x, true), 0);
	xdr_out_free(&r);
	xdr_out_free(&a);

	/* truncated arguments: the connection is dropped (PROC_DROP) */
	xdr_out_init(&a);
	xdr_put_string(&a, "default");
	CU_ASSERT_EQUAL(call(P_POOL_GET_INFO, &a, &r, &e), PROC_DROP);
	xdr_out_free(&r);
	xdr_out_free(&a);
}

/* qemu-img failing (a stand-in through XVM_QEMU_IMG): the create fails
 * with the last line of its stderr, long as that stderr is, and leaves
 * no file; a program that does not exist says so. */
static void test_qimg_failure(void)
{
	char script[200], path[600], file[600];
	struct verr e;
	FILE *f;

	snprintf(script, sizeof(script), "%s/fake-qemu-img", statedir);
	f = fopen(script, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("#!/bin/sh\nhead -c 20000 /dev/zero | tr '\\0' x >&2\n"
	      "echo >&2\necho 'qemu-img: the last words' >&2\nexit 1\n", f);
	fclose(f);
	chmod(script, 0700);
	setenv("XVM_QEMU_IMG", script, 1);
	CU_ASSERT_EQUAL(vol_create("<volume><name>f.img</name><capacity>512"
				   "</capacity></volume>", path, sizeof(path),
				   &e), -EIO);
	CU_ASSERT_EQUAL(e.code, VERR_OPERATION_FAILED);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, ": the last words"));
	snprintf(file, sizeof(file), "%s/images/f.img", statedir);
	CU_ASSERT_NOT_EQUAL(access(file, F_OK), 0);
	setenv("XVM_QEMU_IMG", "/nonexistent/qemu-img", 1);
	CU_ASSERT_EQUAL(vol_create("<volume><name>f.img</name><capacity>512"
				   "</capacity></volume>", path, sizeof(path),
				   &e), -EIO);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "cannot run /nonexistent/"
				      "qemu-img: No such file or directory"));
	CU_ASSERT_NOT_EQUAL(access(file, F_OK), 0);
	unsetenv("XVM_QEMU_IMG");
}

static int pool_define_doc(const char *name, const char *path,
			   struct verr *e)
{
	struct xdr_out a, r;
	char xml[600];
	int rc;

	snprintf(xml, sizeof(xml), "<pool type='dir'><name>%s</name><target>"
		 "<path>%s</path></target></pool>", name, path);
	xdr_out_init(&a);
	xdr_put_string(&a, xml);
	xdr_put_u32(&a, 0);
	rc = call(P_POOL_DEFINE_XML, &a, &r, e);
	xdr_out_free(&a);
	xdr_out_free(&r);
	return rc;
}

static int pool_call(int num, const char *name, bool flags, struct verr *e)
{
	struct xdr_out a, r;
	int rc;

	xdr_out_init(&a);
	put_pool(&a, name);
	if (flags)
		xdr_put_u32(&a, 0);
	rc = call(num, &a, &r, e);
	xdr_out_free(&a);
	xdr_out_free(&r);
	return rc;
}

static void test_pool_lifecycle(void)
{
	char dir[200], file[300];
	struct verr e;
	struct pool *p;

	snprintf(dir, sizeof(dir), "%s/p2", statedir);
	CU_ASSERT_EQUAL(pool_define_doc("p2", dir, &e), 0);
	snprintf(file, sizeof(file), "%s/pools/p2.xml", statedir);
	CU_ASSERT_EQUAL(access(file, F_OK), 0);
	/* start without the directory: refused, then built, started */
	CU_ASSERT_EQUAL(pool_call(P_POOL_CREATE, "p2", true, &e), -ENOENT);
	CU_ASSERT_EQUAL(e.code, VERR_OPERATION_FAILED);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "No such file or directory"));
	CU_ASSERT_EQUAL(pool_call(P_POOL_BUILD, "p2", true, &e), 0);
	CU_ASSERT_EQUAL(pool_call(P_POOL_CREATE, "p2", true, &e), 0);
	CU_ASSERT_TRUE(pool_by_name("p2")->active);
	CU_ASSERT_EQUAL(pool_call(P_POOL_UNDEFINE, "p2", false, &e), -EINVAL);
	CU_ASSERT_EQUAL(e.code, VERR_OPERATION_INVALID);
	/* another pool on the same directory; one on xvmd's own */
	CU_ASSERT_EQUAL(pool_define_doc("p3", dir, &e), -EIO);
	CU_ASSERT_STRING_EQUAL(e.msg, "operation failed: Storage source "
			       "conflict with pool: 'p2'");
	snprintf(dir, sizeof(dir), "%s/domains", statedir);
	CU_ASSERT_EQUAL(pool_define_doc("p4", dir, &e), -EPERM);
	CU_ASSERT_PTR_NULL(pool_by_name("p4"));

	/* a restarted xvmd: the same pools, active as they were */
	pool_fini();
	CU_ASSERT_PTR_NULL(pool_list());
	CU_ASSERT_EQUAL(pool_init(statedir, rundir), 0);
	p = pool_by_name("p2");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_TRUE(p->active && p->persistent && !p->autostart);
	p = pool_by_name("default");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_TRUE(p->active);
	CU_ASSERT_PTR_NOT_NULL(pool_vol_by_name(p, "q.qcow2"));

	CU_ASSERT_EQUAL(pool_call(P_POOL_DESTROY, "p2", false, &e), 0);
	CU_ASSERT_EQUAL(pool_call(P_POOL_UNDEFINE, "p2", false, &e), 0);
	CU_ASSERT_PTR_NULL(pool_by_name("p2"));
	CU_ASSERT_NOT_EQUAL(access(file, F_OK), 0);
	/* an undefined default stays undefined after a restart */
	CU_ASSERT_EQUAL(pool_call(P_POOL_DESTROY, "default", false, &e), 0);
	CU_ASSERT_EQUAL(pool_call(P_POOL_UNDEFINE, "default", false, &e), 0);
	pool_fini();
	CU_ASSERT_EQUAL(pool_init(statedir, rundir), 0);
	CU_ASSERT_PTR_NULL(pool_list());
}

static int rm_entry(const char *path, const struct stat *sb UNUSED,
		    int flag UNUSED, struct FTW *ftw UNUSED)
{
	return remove(path);
}

/* Every byte of the file at path (len bytes) is zero. */
static bool file_zero(const char *path, size_t len)
{
	FILE *f = fopen(path, "rb");
	size_t n = 0;
	int ch;

	if (!f)
		return false;
	while ((ch = fgetc(f)) != EOF && ch == 0)
		n++;
	fclose(f);
	return ch == EOF && n == len;
}

/* VOL_WIPE, VOL_WIPE_PATTERN, VOL_CREATE_XML_FROM and a vdisk listed as
 * a volume (the real qemu-img). */
static void test_wipe_clone_vdisk(void)
{
	char path[700], dir[600], cmd[1400];
	struct xdr_out a, r;
	struct xdr_in x;
	struct verr e;
	const struct pool_vol *v;
	struct pool *p = pool_by_name("default");
	FILE *f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL_FATAL(pool_start(p, &e) == 0 || p->active, true);
	CU_ASSERT_EQUAL_FATAL(vol_create("<volume><name>wz.img</name><capacity"
					 " unit='KiB'>64</capacity></volume>",
					 path, sizeof(path), &e), 0);
	f = fopen(path, "r+b");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	for (int i = 0; i < 65536; i++)
		fputc(0x5a, f);
	fclose(f);
	CU_ASSERT_FALSE(file_zero(path, 65536));
	xdr_out_init(&a);
	put_vol(&a, "default", "wz.img");
	xdr_put_u32(&a, 0);
	CU_ASSERT_EQUAL(call(P_VOL_WIPE, &a, &r, &e), 0);
	CU_ASSERT_TRUE(file_zero(path, 65536));
	xdr_out_free(&r);
	xdr_out_free(&a);
	/* another algorithm than zero (1: NNSA) */
	xdr_out_init(&a);
	put_vol(&a, "default", "wz.img");
	xdr_put_u32(&a, 1);
	xdr_put_u32(&a, 0);
	CU_ASSERT(call(P_VOL_WIPE_PATTERN, &a, &r, &e) < 0);
	CU_ASSERT_EQUAL(e.code, VERR_ARGUMENT_UNSUPPORTED);
	xdr_out_free(&r);
	xdr_out_free(&a);

	/* clone wz.img into a 1 MiB qcow2 */
	xdr_out_init(&a);
	put_pool(&a, "default");
	xdr_put_string(&a, "<volume><name>wc.qcow2</name><capacity unit='M'>"
		       "1</capacity><target><format type='qcow2'/></target>"
		       "</volume>");
	put_vol(&a, "default", "wz.img");
	xdr_put_u32(&a, 0);
	CU_ASSERT_EQUAL(call(P_VOL_CREATE_XML_FROM, &a, &r, &e), 0);
	xdr_in_init(&x, r.buf, r.len);
	free(xdr_get_string(&x, 100));
	{
		char *name = xdr_get_string(&x, 300);

		CU_ASSERT(name && !strcmp(name, "wc.qcow2"));
		free(name);
	}
	free(xdr_get_string(&x, 4096));
	CU_ASSERT_EQUAL(xdr_in_done(&x, true), 0);
	xdr_out_free(&r);
	xdr_out_free(&a);
	v = pool_vol_by_name(p, "wc.qcow2");
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_STRING_EQUAL(v->format, "qcow2");
	CU_ASSERT_EQUAL(v->capacity, 1u << 20);
	/* a missing source */
	xdr_out_init(&a);
	put_pool(&a, "default");
	xdr_put_string(&a, "<volume><name>wd.img</name><capacity>1</capacity>"
		       "</volume>");
	put_vol(&a, "default", "nope.img");
	xdr_put_u32(&a, 0);
	CU_ASSERT(call(P_VOL_CREATE_XML_FROM, &a, &r, &e) < 0);
	CU_ASSERT_EQUAL(e.code, VERR_NO_STORAGE_VOL);
	CU_ASSERT_PTR_NULL(pool_vol_by_name(p, "wd.img"));
	xdr_out_free(&r);
	xdr_out_free(&a);

	/* a raw vdisk made by hand: vdisk.xml and its image */
	snprintf(dir, sizeof(dir), "%s/vdz", p->path);
	CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/vdisk.xml", dir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("<?xml version=\"1.0\"?>\n<vdisk readonly=\"false\" "
	      "removable=\"false\" cdrom=\"false\" creation-time-epoch=\"1\" "
	      "vtype=\"raw\" sparse=\"false\" rwcnt=\"0\" rocnt=\"0\">\n"
	      "<name>vdz</name><version>1.0</version><parent>none</parent>"
	      "<diskprop><filename>vdz</filename><vdfile>vdisk.raw</vdfile>"
	      "<max-size>131072</max-size><sectors>256</sectors>"
	      "<description></description></diskprop></vdisk>\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "qemu-img create -q -f raw '%s/vdisk.raw' "
		 "128K", dir);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
	CU_ASSERT_EQUAL(pool_refresh(p, &e), 0);
	v = pool_vol_by_name(p, "vdz");
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_TRUE(v->vdisk);
	CU_ASSERT_STRING_EQUAL(v->format, "raw");
	CU_ASSERT_STRING_EQUAL(v->image, "vdisk.raw");
	CU_ASSERT_EQUAL(v->capacity, 128u << 10);
	xdr_out_init(&a);
	put_vol(&a, "default", "vdz");
	CU_ASSERT_EQUAL(call(P_VOL_GET_INFO, &a, &r, &e), 0);
	xdr_in_init(&x, r.buf, r.len);
	CU_ASSERT_EQUAL(xdr_get_i32(&x), 2);	/* VIR_STORAGE_VOL_DIR */
	CU_ASSERT_EQUAL(xdr_get_u64(&x), 128u << 10);
	xdr_out_free(&r);
	xdr_out_free(&a);
	xdr_out_init(&a);
	put_vol(&a, "default", "vdz");
	xdr_put_u32(&a, 0);
	CU_ASSERT(call(P_VOL_DELETE, &a, &r, &e) < 0);
	CU_ASSERT_EQUAL(e.code, VERR_OPERATION_UNSUPPORTED);
	CU_ASSERT_EQUAL(access(path, F_OK), 0);	/* vdisk.xml kept */
	xdr_out_free(&r);
	xdr_out_free(&a);
	/* a directory without vdisk.xml is no volume */
	snprintf(dir, sizeof(dir), "%s/plain", p->path);
	CU_ASSERT_EQUAL(mkdir(dir, 0755), 0);
	CU_ASSERT_EQUAL(pool_refresh(p, &e), 0);
	CU_ASSERT_PTR_NULL(pool_vol_by_name(p, "plain"));
}

static int suite_init(void)
{
	saved_level = log_get_level();
	log_set_level(LL_ERR);
	snprintf(statedir, sizeof(statedir), "/tmp/xvmd-pool-XXXXXX");
	if (!mkdtemp(statedir))
		return -1;
	snprintf(rundir, sizeof(rundir), "%s/run", statedir);
	if (store_init(statedir, rundir) < 0)
		return -1;
	return pool_init(statedir, rundir) < 0 ? -1 : 0;
}

static int suite_cleanup(void)
{
	pool_fini();
	log_set_level(saved_level);
	if (statedir[0])
		nftw(statedir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static CU_TestInfo tests[] = {
	{ "pool and volume names, pool paths", test_names },
	{ "pool XML parsed, formatted, refused", test_pool_xml },
	{ "volume XML: units, formats, refusals", test_vol_xml },
	{ "storage procedures: lists, volumes made and removed",
	  test_procs },
	{ "qemu-img failing: its last line, no file left", test_qimg_failure },
	{ "wipe, clone, vdisks as volumes", test_wipe_clone_vdisk },
	{ "pool define, build, start, restart, undefine",
	  test_pool_lifecycle },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(xvmd_pool, suite_init, suite_cleanup, tests);
