/*
 * vdiskadm's pure parts, and whole command lines that need no qemu-img:
 * sizes, types, names; the vdisk.xml codec (a golden document, the
 * round trip, and damaged documents refused with what is wrong); list
 * and prop-get output compared with golden files
 * tests/unit/golden/vdiskadm-*.ok (a vdisk made by hand: vdisk.xml and
 * image files of the right sizes); ref-inc/ref-dec's one writer or many
 * readers; usage and argument errors with their exit statuses; the
 * qemu-img runner (exit status, stdout, stderr's last line, time
 * limit, a missing program) with /bin/sh standing in for qemu-img.
 *
 * XVM_GOLDEN_UPDATE=1 rewrites the .ok files.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pwd.h>
#include <time.h>
#include <sys/stat.h>

#include "unit.h"
#include "capture.h"
#include "vdiskadm/vdiskadm.h"

/* ---- sizes, types, names ---- */

static void test_size(void)
{
	static const struct { const char *s; int ret; uint64_t v; } cases[] = {
		{ "8g", 0, 8ull << 30 }, { "8G", 0, 8ull << 30 },
		{ "512", 0, 512 }, { "1k", 0, 1024 }, { "100m", 0, 100ull << 20 },
		{ "2t", 0, 2ull << 40 }, { "64T", 0, 64ull << 40 },
		{ "0", -ERANGE, 0 }, { "65t", -ERANGE, 0 },
		{ "99999999999999999999", -ERANGE, 0 },
		{ "1000", -EDOM, 0 }, { "511", -EDOM, 0 },
		{ "", -EINVAL, 0 }, { "g", -EINVAL, 0 }, { "1.5g", -EINVAL, 0 },
		{ "-1g", -EINVAL, 0 }, { "8gb", -EINVAL, 0 }, { "8 g", -EINVAL, 0 },
		{ "0x10", -EINVAL, 0 }, { "8p", -EINVAL, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t v = 0;
		int ret = vd_size_parse(cases[i].s, &v);

		CU_ASSERT_EQUAL(ret, cases[i].ret);
		if (ret != cases[i].ret)
			fprintf(stderr, "size '%s': %d\n", cases[i].s, ret);
		if (cases[i].ret == 0)
			CU_ASSERT_EQUAL(v, cases[i].v);
	}
}

static void check_type(const char *s, int ret, const char *name, bool sparse)
{
	const struct vd_type *t = NULL;
	bool sp = !sparse;

	CU_ASSERT_EQUAL(vd_type_parse(s, &t, &sp), ret);
	if (ret == 0) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(t);
		CU_ASSERT_STRING_EQUAL(t->name, name);
		CU_ASSERT_EQUAL(sp, sparse);
	}
}

static void test_type(void)
{
	const struct vd_type *t;
	char buf[32], *f[2];

	check_type("vmdk", 0, "vmdk", true);
	check_type("vmdk:sparse", 0, "vmdk", true);
	check_type("vmdk:fixed", 0, "vmdk", false);
	check_type("vdi", 0, "vdi", true);
	check_type("vdi:fixed", 0, "vdi", false);
	check_type("vhd:sparse", 0, "vhd", true);
	check_type("vhd:fixed", 0, "vhd", false);
	check_type("raw", 0, "raw", false);		/* always fixed */
	check_type("raw:fixed", 0, "raw", false);
	check_type("raw:sparse", -EINVAL, NULL, false);
	check_type("qcow2", -EINVAL, NULL, false);
	check_type("vmdk:", -EINVAL, NULL, false);
	check_type(":fixed", -EINVAL, NULL, false);
	check_type("vmdk:thin", -EINVAL, NULL, false);
	check_type("VMDK", -EINVAL, NULL, false);
	check_type("", -EINVAL, NULL, false);
	check_type("vmdkvmdkvmdk:fixed", -EINVAL, NULL, false);
	/* qemu-img's names for them */
	CU_ASSERT_STRING_EQUAL(vd_type_find("vhd")->qfmt, "vpc");
	CU_ASSERT_STRING_EQUAL(vd_type_find("vmdk")->qfmt, "vmdk");
	t = vd_type_find("vhd");
	vd_type_format(t, false, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "vhd:fixed");
	/* fixed vmdk is two files, everything else one */
	CU_ASSERT_EQUAL(vd_type_files(vd_type_find("vmdk"), false, "vdisk@a",
				      f), 0);
	CU_ASSERT_STRING_EQUAL(f[0], "vdisk@a.vmdk");
	CU_ASSERT_STRING_EQUAL(f[1], "vdisk@a-flat.vmdk");
	free(f[0]);
	free(f[1]);
	CU_ASSERT_EQUAL(vd_type_files(vd_type_find("vmdk"), true, "vdisk", f),
			0);
	CU_ASSERT_STRING_EQUAL(f[0], "vdisk.vmdk");
	CU_ASSERT_PTR_NULL(f[1]);
	free(f[0]);
}

static void test_names(void)
{
	static const char *const good[] = {
		"web1", "root_disk", "a", "disk.v2", "x:y-z", "A9",
		"0123456789012345678901234567890123456789012345678901234567890123",
	};
	static const char *const badn[] = {
		"", ".hidden", "-x", "a/b", "a@b", "a b", "a*", "é",
		"01234567890123456789012345678901234567890123456789012345678901234",
	};

	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		CU_ASSERT_TRUE(vd_name_valid(good[i]));
	for (size_t i = 0; i < ARRAY_SIZE(badn); i++)
		CU_ASSERT_FALSE(vd_name_valid(badn[i]));
	CU_ASSERT_TRUE(vd_desc_valid("web server's <root> disk"));
	CU_ASSERT_TRUE(vd_desc_valid(""));
	CU_ASSERT_FALSE(vd_desc_valid("a\tb"));
	CU_ASSERT_FALSE(vd_desc_valid("a\nb"));
}

/* ---- vdisk.xml ---- */

/* The vdisk of the admin guide's example, with two snapshots. */
static void sample_meta(struct vd_meta *m)
{
	*m = (struct vd_meta){
		.type = vd_type_find("vmdk"), .sparse = false,
		.ctime = 1241821124, .max_size = 8ull << 30,
		.name = "root_disk_fix", .desc = "web's <root> & \"more\"",
		.nsnap = 2,
		.snap = { { "install", 1242081709 }, { "bfu", 1242081800 } },
	};
}

/* Field by field: the arrays hold bytes past their strings. */
static bool meta_equal(const struct vd_meta *a, const struct vd_meta *b)
{
	if (a->type != b->type || a->sparse != b->sparse ||
	    a->readonly != b->readonly || a->removable != b->removable ||
	    a->cdrom != b->cdrom || a->ctime != b->ctime ||
	    a->rwcnt != b->rwcnt || a->rocnt != b->rocnt ||
	    strcmp(a->name, b->name) || a->max_size != b->max_size ||
	    strcmp(a->desc, b->desc) || a->nsnap != b->nsnap)
		return false;
	for (unsigned i = 0; i < a->nsnap; i++)
		if (strcmp(a->snap[i].name, b->snap[i].name) ||
		    a->snap[i].ctime != b->snap[i].ctime)
			return false;
	return true;
}

static void test_xml_golden(void)
{
	struct vd_meta m, back;
	char err[200] = "", *xml;
	size_t len;

	sample_meta(&m);
	xml = vdxml_format(&m, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
	CU_ASSERT_EQUAL(strlen(xml), len);
	golden_check("vdiskadm", "vdisk-xml", xml);
	CU_ASSERT_EQUAL(vdxml_parse(xml, len, &back, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT_TRUE(meta_equal(&m, &back));
	free(xml);
	/* every flag and count survives the trip */
	m.readonly = m.removable = m.cdrom = true;
	m.rocnt = 7;
	m.type = vd_type_find("raw");
	m.nsnap = 0;
	memset(m.snap, 0, sizeof(m.snap));
	m.desc[0] = '\0';
	xml = vdxml_format(&m, &len);
	CU_ASSERT_EQUAL(vdxml_parse(xml, len, &back, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(meta_equal(&m, &back));
	free(xml);
}

/* Parse the sample's document with from replaced by to: the error. */
static void check_bad_xml(const char *from, const char *to, const char *want)
{
	struct vd_meta m;
	char err[200] = "", *xml, *doc, *at;
	size_t len;

	sample_meta(&m);
	xml = vdxml_format(&m, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
	at = strstr(xml, from);
	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	CU_ASSERT_FATAL(asprintf(&doc, "%.*s%s%s", (int)(at - xml), xml, to,
				 at + strlen(from)) > 0);
	CU_ASSERT_EQUAL(vdxml_parse(doc, strlen(doc), &m, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err, want);
	if (strcmp(err, want))
		fprintf(stderr, "\n%s -> %s: got '%s'\n", from, to, err);
	free(doc);
	free(xml);
}

static void test_xml_bad(void)
{
	struct vd_meta m;
	char err[200];

	check_bad_xml("rwcnt=\"0\"", "rwcnt=\"2\"",
		      "attribute 'rwcnt': invalid value '2'");
	check_bad_xml("rwcnt=\"0\" rocnt=\"0\"", "rwcnt=\"1\" rocnt=\"3\"",
		      "a writer (rwcnt) and readers (rocnt) at once");
	check_bad_xml("rocnt=\"0\"", "rocnt=\"-1\"",
		      "attribute 'rocnt': not a number: '-1'");
	check_bad_xml("rocnt=\"0\"", "rocnt=\"65536\"",
		      "attribute 'rocnt': invalid value '65536'");
	check_bad_xml(" rocnt=\"0\"", "", "<vdisk>: no attribute 'rocnt'");
	check_bad_xml("readonly=\"false\"", "readonly=\"no\"",
		      "attribute 'readonly': not true or false");
	check_bad_xml("vtype=\"vmdk\"", "vtype=\"qcow2\"",
		      "attribute 'vtype': unknown type 'qcow2'");
	check_bad_xml("vtype=\"vmdk\" sparse=\"false\"",
		      "vtype=\"raw\" sparse=\"true\"",
		      "type raw cannot be sparse");
	check_bad_xml("creation-time-epoch=\"1241821124\"",
		      "creation-time-epoch=\"99999999999999999999\"",
		      "attribute 'creation-time-epoch': invalid value "
		      "'99999999999999999999'");
	check_bad_xml("<name>root_disk_fix</name>", "<name>../etc</name>",
		      "invalid name '../etc'");
	check_bad_xml("<name>root_disk_fix</name>", "", "no <name>");
	check_bad_xml("<sectors>16777216</sectors>",
		      "<sectors>16777215</sectors>",
		      "<sectors> does not match <max-size>");
	check_bad_xml("<max-size>8589934592</max-size>",
		      "<max-size>1000</max-size>",
		      "<max-size>: not a whole number of sectors");
	check_bad_xml("<max-size>8589934592</max-size>",
		      "<max-size>8g</max-size>",
		      "<max-size>: invalid value '8g'");
	check_bad_xml("<vdfile>vdisk.vmdk</vdfile>",
		      "<vdfile>../../etc/passwd</vdfile>",
		      "<vdfile>: '../../etc/passwd', expected 'vdisk.vmdk'");
	check_bad_xml("<vdfile>vdisk.vmdk</vdfile>", "",
		      "<diskprop> without <vdfile>, <max-size> or <sectors>");
	check_bad_xml("<name>@bfu</name>", "<name>@install</name>",
		      "snapshot '@install' twice");
	check_bad_xml("<name>@bfu</name>", "<name>bfu</name>",
		      "invalid snapshot name 'bfu'");
	check_bad_xml("<name>@bfu</name>", "<name>@a/b</name>",
		      "invalid snapshot name '@a/b'");
	check_bad_xml("<parent>none</parent>", "<colour>red</colour>",
		      "<vdisk>: unexpected <colour>");
	check_bad_xml("<description>", "<description>\t",
		      "<description>: control characters");
	check_bad_xml("<vdisk ", "<vdisc ",
		      "line 19: Opening and ending tag mismatch: vdisc line 2 "
		      "and vdisk");
	check_bad_xml("</vdisk>", "", "line 20: Premature end of data in "
		      "tag vdisk line 2");
	/* no DTD at all: neither an external one (never fetched) nor
	 * entity declarations (expanded without bound on reading) */
	check_bad_xml("<?xml", "<!DOCTYPE x SYSTEM \"file:///etc/passwd\">"
		      "<?xml", "DTDs and entity declarations are not accepted");
	check_bad_xml("<vdisk", "<!DOCTYPE vdisk [<!ENTITY e \"x\">]><vdisk",
		      "DTDs and entity declarations are not accepted");
	check_bad_xml("<?xml", "<!-- c --><?xml", "line 1: XML declaration "
		      "allowed only at the start of the document");
	CU_ASSERT_EQUAL(vdxml_parse("", 0, &m, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "empty file");
	CU_ASSERT_EQUAL(vdxml_parse("<vdisk", 6, &m, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_EQUAL(strncmp(err, "line 1: ", 8), 0);
	CU_ASSERT_EQUAL(vdxml_parse("<other/>", 8, &m, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "the root element is not <vdisk>");
}

/* ---- whole command lines, on a vdisk made by hand ---- */

static char topdir[64];
static char *saved_tz;
static struct capture run_out, run_err;

static int suite_init(void)
{
	saved_tz = env_save("TZ");
	setenv("TZ", "UTC", 1);
	tzset();
	snprintf(topdir, sizeof(topdir), "/tmp/vdiskadm-unit.XXXXXX");
	return mkdtemp(topdir) ? 0 : -1;
}

static int suite_cleanup(void)
{
	char cmd[128];

	cap_close(&run_out);
	cap_close(&run_err);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", topdir);
	env_restore("TZ", saved_tz);
	tzset();
	return system(cmd) == 0 ? 0 : -1;
}

static int run(const char **args)
{
	char *argv[16] = { "vdiskadm" };
	int argc = 1;

	for (; *args && argc < 15; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	cap_open(&run_out);
	cap_open(&run_err);
	return vdiskadm_main(argc, argv, run_out.f, run_err.f);
}

#define RUN(...)	run((const char *[]){ __VA_ARGS__, NULL })
#define OUT()		cap_text(&run_out)
#define ERR()		cap_text(&run_err)
/* Exit 1, exactly "ERROR: line" on stderr, nothing on stdout. */
#define CHECK_ERR(line, ...) do {					\
	CU_ASSERT_EQUAL(RUN(__VA_ARGS__), 1);				\
	CU_ASSERT_STRING_EQUAL(ERR(), "ERROR: " line "\n");		\
	CU_ASSERT_STRING_EQUAL(OUT(), "");				\
} while (0)
/* Exit 2, "vdiskadm: line" then the subcommand's usage. */
#define CHECK_USAGE(line, ...) do {					\
	CU_ASSERT_EQUAL(RUN(__VA_ARGS__), 2);				\
	CU_ASSERT_EQUAL(strncmp(ERR(), "vdiskadm: " line "\nusage",	\
				strlen("vdiskadm: " line "\nusage")), 0); \
	CU_ASSERT_STRING_EQUAL(OUT(), "");				\
} while (0)

/* A file of size bytes (sparse) with mtime t. */
static void make_file(const char *dir, const char *name, off_t size,
		      time_t t)
{
	struct timespec ts[2] = { { t, 0 }, { t, 0 } };
	char *p;
	int fd;

	CU_ASSERT_FATAL(asprintf(&p, "%s/%s", dir, name) > 0);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(ftruncate(fd, size), 0);
	CU_ASSERT_EQUAL(futimens(fd, ts), 0);
	close(fd);
	free(p);
}

/* topdir/name: the admin guide's root_disk_fix (8g vmdk:fixed) with
 * nsnap of its snapshots; returns the path (static). */
static const char *make_vdisk(const char *name, unsigned nsnap)
{
	static char path[128];
	struct vd_meta m;
	char *xml, *file;
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", topdir, name);
	CU_ASSERT_EQUAL_FATAL(mkdir(path, 0755), 0);
	sample_meta(&m);
	snprintf(m.name, sizeof(m.name), "%s", name);
	m.desc[0] = '\0';
	m.nsnap = nsnap;
	xml = vdxml_format(&m, &len);
	CU_ASSERT_FATAL(asprintf(&file, "%s/vdisk.xml", path) > 0);
	f = fopen(file, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fwrite(xml, 1, len, f);
	fclose(f);
	free(file);
	free(xml);
	make_file(path, "vdisk.vmdk", 638, 1241821124);
	make_file(path, "vdisk-flat.vmdk", 8ll << 30, 1241821124);
	return path;
}

/* Golden text with the owner (whoever runs the tests) as OWNER. */
static void golden_owner(const char *name, const char *text)
{
	struct passwd *pw = getpwuid(geteuid());
	char *want, *fixed;
	const char *at;
	int n;

	/* vdiskadm prints the number of a user without a name */
	n = pw ? asprintf(&want, "owner: %s\n", pw->pw_name)
	       : asprintf(&want, "owner: %u\n", (unsigned)geteuid());
	CU_ASSERT_FATAL(n > 0);
	at = strstr(text, want);
	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	CU_ASSERT_FATAL(asprintf(&fixed, "%.*sowner: OWNER\n%s",
				 (int)(at - text), text,
				 at + strlen(want)) > 0);
	golden_check("vdiskadm", name, fixed);
	free(fixed);
	free(want);
}

static void test_prop_get(void)
{
	const char *d = make_vdisk("root_disk_fix", 0);

	CU_ASSERT_EQUAL(RUN("prop-get", "-p", "all", d), 0);
	CU_ASSERT_STRING_EQUAL(ERR(), "");
	golden_owner("prop-get-all", OUT());
	CU_ASSERT_EQUAL(RUN("prop-get", "-p", "effective-size", d), 0);
	CU_ASSERT_STRING_EQUAL(OUT(), "effective-size: 8589935230\n");
	CU_ASSERT_EQUAL(RUN("prop-get", "-p", "creation-time", d), 0);
	CU_ASSERT_STRING_EQUAL(OUT(), "creation-time: Fri May  8 22:18:44 "
			       "2009\n");
	CHECK_ERR("Invalid property 'size'", "prop-get", "-p", "size", d);
	CHECK_USAGE("a property (-p) is required", "prop-get", d);
}

static void test_list(void)
{
	const char *d = make_vdisk("listed", 2);
	char *want, *files, *names, cwd[4096];

	CU_ASSERT_EQUAL(RUN("list", d), 0);
	CU_ASSERT_STRING_EQUAL(ERR(), "");
	CU_ASSERT_FATAL(asprintf(&want, "%s@install\n%s@bfu\n%s\n", d, d,
				 d) > 0);
	CU_ASSERT_STRING_EQUAL(OUT(), want);
	free(want);
	/* relative to the current directory, as typed */
	CU_ASSERT_FATAL(getcwd(cwd, sizeof(cwd)) != NULL);
	CU_ASSERT_EQUAL_FATAL(chdir(topdir), 0);
	CU_ASSERT_EQUAL(RUN("list", "-f", "listed/"), 0);
	files = strdup(OUT());
	CU_ASSERT_EQUAL(RUN("list", "listed"), 0);
	names = strdup(OUT());
	CU_ASSERT_EQUAL_FATAL(chdir(cwd), 0);	/* golden/ is relative */
	golden_check("vdiskadm", "list-f", files);
	golden_check("vdiskadm", "list", names);
	free(files);
	free(names);
	CHECK_USAGE("missing virtual disk name", "list");
	CHECK_USAGE("too many arguments", "list", d, d);
	CHECK_USAGE("unrecognized option '-x'", "list", "-x", d);
}

static void test_refcounts(void)
{
	const char *d = make_vdisk("shared", 0);
	char snap[160];

	CU_ASSERT_EQUAL(RUN("ref-inc", d), 0);
	CU_ASSERT_STRING_EQUAL(ERR(), "");
	CU_ASSERT_EQUAL(RUN("prop-get", "-p", "rwcnt", d), 0);
	CU_ASSERT_STRING_EQUAL(OUT(), "rwcnt: 1\n");
	/* a second writer, or a reader, while a writer holds it */
	CHECK_ERR("Cannot modify in-use virtual disk", "ref-inc", d);
	CHECK_ERR("Cannot read virtual disk in use by a writer", "ref-inc",
		  "-r", d);
	snprintf(snap, sizeof(snap), "%s@a", d);
	CHECK_ERR("Cannot modify in-use virtual disk", "snapshot", snap);
	CU_ASSERT_EQUAL(RUN("ref-dec", d), 0);
	CU_ASSERT_EQUAL(RUN("ref-inc", "-r", d), 0);
	CU_ASSERT_EQUAL(RUN("ref-inc", "-r", d), 0);
	CU_ASSERT_EQUAL(RUN("prop-get", "-p", "rocnt", d), 0);
	CU_ASSERT_STRING_EQUAL(OUT(), "rocnt: 2\n");
	CHECK_ERR("Cannot modify in-use virtual disk", "ref-inc", d);
	CHECK_ERR("Cannot modify in-use virtual disk", "prop-set", "-p",
		  "cdrom=true", d);
	CU_ASSERT_EQUAL(RUN("ref-dec", d), 0);
	CU_ASSERT_EQUAL(RUN("ref-dec", d), 0);
	CU_ASSERT_EQUAL(RUN("prop-get", "-p", "rocnt", d), 0);
	CU_ASSERT_STRING_EQUAL(OUT(), "rocnt: 0\n");
	CU_ASSERT_EQUAL(RUN("ref-dec", d), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(ERR(), "is not in use"));
	/* prop-set then works, and is kept */
	CU_ASSERT_EQUAL(RUN("prop-set", "-p", "description=db disk", d), 0);
	CU_ASSERT_EQUAL(RUN("prop-get", "-p", "description", d), 0);
	CU_ASSERT_STRING_EQUAL(OUT(), "description: db disk\n");
}

#define UNKNOWN	"vdiskadm: unknown subcommand 'frob'\nusage: vdiskadm"

static void test_args(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/new1", topdir);
	CHECK_ERR("Invalid size '8x': a number with an optional K, M, G or T",
		  "create", "-s", "8x", path);
	CHECK_ERR("Invalid size '1000': not a whole number of 512-byte "
		  "sectors", "create", "-s", "1000", path);
	CHECK_ERR("Invalid size '0': 512 bytes to 64T", "create", "-s", "0",
		  path);
	CHECK_ERR("Invalid type 'qcow2': vmdk, vdi or vhd (:sparse or "
		  ":fixed), or raw", "create", "-s", "1g", "-t", "qcow2", path);
	CHECK_ERR("Invalid type 'raw:sparse': vmdk, vdi or vhd (:sparse or "
		  ":fixed), or raw", "create", "-s", "1g", "-t", "raw:sparse",
		  path);
	CHECK_ERR("Invalid virtual disk name 'a*b'", "create", "-s", "1g",
		  "a*b");
	CHECK_ERR("Invalid comment: at most 256 characters, no control "
		  "characters", "create", "-s", "1g", "-c", "a\nb", path);
	CHECK_USAGE("the size (-s) is required", "create", path);
	CHECK_USAGE("option '-s' requires a value", "create", "-s");
	CHECK_USAGE("the option -s cannot be specified more than once",
		    "create", "-s", "1g", "-s", "2g", path);
	CHECK_USAGE("missing operand", "clone", path);
	CHECK_USAGE("the type (-t) is required", "convert", path);
	CHECK_USAGE("the file to import (-d) is required", "import", path);
	CHECK_ERR("Virtual disk '/nonexistent/disk' does not exist", "verify",
		  "/nonexistent/disk");
	CHECK_ERR("'/etc/passwd' is not a virtual disk", "verify",
		  "/etc/passwd");
	CHECK_ERR("'/etc' is not a virtual disk (no vdisk.xml)", "list",
		  "/etc");
	CHECK_ERR("Invalid snapshot name 'a b'", "rollback", "x@a b");
	CU_ASSERT_EQUAL(access(path, F_OK), -1);	/* nothing made */
	/* no subcommand, an unknown one: the usage, exit 2 */
	CU_ASSERT_EQUAL(run((const char *[]){ NULL }), 2);
	golden_check("vdiskadm", "usage", ERR());
	CU_ASSERT_EQUAL(RUN("frob"), 2);
	CU_ASSERT_EQUAL(strncmp(ERR(), UNKNOWN, strlen(UNKNOWN)), 0);
	CU_ASSERT_EQUAL(RUN("help", "rollback"), 0);
	CU_ASSERT_STRING_EQUAL(OUT(), "usage:\n    rollback         [-r] "
			       "<vdname>@<snapname>\n");
}

/* ---- the qemu-img runner, with sh in its place ---- */

static void test_qimg(void)
{
	char *saved = env_save("XVM_QEMU_IMG");
	char *saved_t = env_save("XVM_VDISK_TIMEOUT");
	char err[128], *out = NULL;
	const char *talk[] = { "-c", "echo out; echo first >&2; "
			       "echo 'qemu-img: last words' >&2; exit 3", NULL };
	const char *hang[] = { "-c", "exec sleep 20", NULL };
	const char *flood[] = { "-c", "exec head -c 2000000 /dev/zero", NULL };

	setenv("XVM_QEMU_IMG", "/bin/sh", 1);
	CU_ASSERT_EQUAL(qimg_run(talk, &out, err, sizeof(err)), 3);
	CU_ASSERT_STRING_EQUAL(out ? out : "", "out\n");
	CU_ASSERT_STRING_EQUAL(err, "qemu-img: last words");
	free(out);
	setenv("XVM_VDISK_TIMEOUT", "1", 1);
	CU_ASSERT_EQUAL(qimg_run(hang, NULL, err, sizeof(err)), -ETIMEDOUT);
	CU_ASSERT_EQUAL(qimg_run(flood, &out, err, sizeof(err)), -EFBIG);
	setenv("XVM_QEMU_IMG", "/nonexistent/qemu-img", 1);
	CU_ASSERT_EQUAL(qimg_run(talk, NULL, err, sizeof(err)), -ENOENT);
	env_restore("XVM_QEMU_IMG", saved);
	env_restore("XVM_VDISK_TIMEOUT", saved_t);
}

static CU_TestInfo tests[] = {
	{ "size", test_size },
	{ "type", test_type },
	{ "names", test_names },
	{ "xml_golden", test_xml_golden },
	{ "xml_bad", test_xml_bad },
	{ "prop_get", test_prop_get },
	{ "list", test_list },
	{ "refcounts", test_refcounts },
	{ "args", test_args },
	{ "qimg", test_qimg },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(vdiskadm, suite_init, suite_cleanup, tests);
