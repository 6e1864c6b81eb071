/*
 * xvm-install: create and start a domain the way Solaris xVM's
 * virt-install did, through libvirt's C API against xvmd (or any libvirt
 * server that accepts domain type 'xvm'). The options and the XML are in
 * install_opts.c and install_xml.c; here: files, then connect, define,
 * start, autostart, and say what happened. Exit 0, or 1 with
 * "xvm-install: reason" on stderr; a domain that was defined but failed to
 * start is undefined again, and a disk image -s created for it removed,
 * so the same command can be retried. --print-xml prints the XML and
 * connects to nothing; --dry-run checks the files and, through xvmd, that
 * the name and UUID are free, and creates nothing. Standard output is
 * line-buffered so that, piped together with standard error, the lines
 * come in the order they were written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "xvm/units.h"
#include "install.h"

#define PROG	"xvm-install"

static void quiet_errors(void *data, virErrorPtr err)
{
	(void)data;
	(void)err;	/* reported once, where the call failed */
}

static const char *virt_err(void)
{
	const char *m = virGetLastErrorMessage();

	return m ? m : "unknown error";
}

/* An existing file as an absolute path (xvmd has its own cwd). */
static int resolve(char *path, const char *what)
{
	char abs[PATH_MAX];

	if (!path[0])
		return 0;
	if (!realpath(path, abs)) {
		fprintf(stderr, PROG ": cannot access %s '%s': %s\n", what, path,
			strerror(errno));
		return -1;
	}
	strcpy(path, abs);
	return 0;
}

/* A path made absolute without requiring it to exist (--print-xml). */
static void absolute(char *path)
{
	char abs[PATH_MAX], cwd[PATH_MAX];

	if (!path[0] || path[0] == '/')
		return;
	if (realpath(path, abs) ||
	    (getcwd(cwd, sizeof(cwd)) &&
	     (size_t)snprintf(abs, sizeof(abs), "%s/%s", cwd, path) < sizeof(abs)))
		strcpy(path, abs);
}

/* --dry-run: could -f/-s be used or created? Nothing is created. */
static int check_disk(struct inst_opts *o)
{
	char dir[PATH_MAX], *slash;
	struct stat st;

	if (!o->disk[0])
		return 0;
	if (stat(o->disk, &st) == 0) {
		if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
			fprintf(stderr, PROG ": disk '%s' is not a file or a "
				"block device\n", o->disk);
			return -1;
		}
		return resolve(o->disk, "disk");
	}
	if (!o->disk_gb) {
		fprintf(stderr, PROG ": disk '%s' does not exist (give -s "
			"SIZE_GB to create it)\n", o->disk);
		return -1;
	}
	strcpy(dir, o->disk);
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		strcpy(dir, ".");
	if (access(dir, W_OK | X_OK) < 0) {
		fprintf(stderr, PROG ": cannot create disk '%s': %s: %s\n",
			o->disk, dir, strerror(errno));
		return -1;
	}
	absolute(o->disk);
	return 0;
}

/* qemu-img create -f FMT PATH NG (XVM_QEMU_IMG, default qemu-img from
 * PATH; no shell): 0, or -1 with its message passed on and whatever it
 * left removed. */
static int qemu_img_create(const char *fmt, const char *path, unsigned gb)
{
	const char *img = getenv("XVM_QEMU_IMG");
	char size[32];
	pid_t pid;
	int st;

	if (!img || !*img)
		img = "qemu-img";
	snprintf(size, sizeof(size), "%uG", gb);
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, PROG ": cannot create disk '%s': fork: %s\n",
			path, strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		/* its "Formatting ..." line is ours to say */
		if (null >= 0)
			dup2(null, STDOUT_FILENO);
		execlp(img, img, "create", "-q", "-f", fmt, path, size,
		       (char *)NULL);
		fprintf(stderr, PROG ": cannot run %s: %s\n", img,
			strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	unlink(path);
	fprintf(stderr, PROG ": cannot create disk '%s': qemu-img create -f %s "
		"failed\n", path, fmt);
	return -1;
}

/* -f DISK: an existing file or device, or a new image of -s GB: a sparse
 * file for raw, qemu-img's for the other formats (*created then set). */
static int prepare_disk(struct inst_opts *o, bool *created)
{
	struct stat st;
	int fd;

	if (!o->disk[0])
		return 0;
	if (stat(o->disk, &st) == 0) {
		if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
			fprintf(stderr, PROG ": disk '%s' is not a file or a "
				"block device\n", o->disk);
			return -1;
		}
		if (o->disk_gb)
			fprintf(stderr, PROG ": warning: disk '%s' exists; -s "
				"ignored\n", o->disk);
		return resolve(o->disk, "disk");
	}
	if (!o->disk_gb) {
		fprintf(stderr, PROG ": disk '%s' does not exist (give -s "
			"SIZE_GB to create it)\n", o->disk);
		return -1;
	}
	if (o->disk_format[0] && strcmp(o->disk_format, "raw")) {
		/* made empty first: O_EXCL, and the mode, as for raw */
		fd = open(o->disk, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			  0600);
		if (fd < 0) {
			fprintf(stderr, PROG ": cannot create disk '%s': %s\n",
				o->disk, strerror(errno));
			return -1;
		}
		close(fd);
		if (qemu_img_create(o->disk_format, o->disk, o->disk_gb) < 0)
			return -1;
		*created = true;
		printf("Created disk %s (%u GB, %s).\n", o->disk, o->disk_gb,
		       o->disk_format);
		return resolve(o->disk, "disk");
	}
	fd = open(o->disk, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)o->disk_gb << 30) < 0) {
		fprintf(stderr, PROG ": cannot create disk '%s': %s\n", o->disk,
			strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(o->disk);
		}
		return -1;
	}
	close(fd);
	*created = true;
	printf("Created disk %s (%u GB, raw, sparse).\n", o->disk, o->disk_gb);
	return resolve(o->disk, "disk");
}

static char *xpath_str(xmlXPathContextPtr ctx, xmlNodePtr node,
		       const char *expr)
{
	xmlXPathObjectPtr r;
	char *s = NULL;

	ctx->node = node;
	r = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
	if (r && r->type == XPATH_STRING && r->stringval && r->stringval[0])
		s = strdup((const char *)r->stringval);
	else if (r && r->type != XPATH_STRING) {
		xmlChar *v = xmlXPathCastToString(r);

		if (v && v[0])
			s = strdup((const char *)v);
		xmlFree(v);
	}
	xmlXPathFreeObject(r);
	return s;
}

/* One line per NIC of the running domain: its VNIC, link, MAC and the
 * VLAN and cap asked for (xvmd shows the live VNIC under <target dev>). */
static void report_nics(virDomainPtr dom, const struct inst_opts *o)
{
	char *xml = virDomainGetXMLDesc(dom, 0);
	xmlDocPtr doc = xml ? xmlReadMemory(xml, (int)strlen(xml), "dom.xml",
					    NULL, XML_PARSE_NONET) : NULL;
	xmlXPathContextPtr ctx = doc ? xmlXPathNewContext(doc) : NULL;
	xmlXPathObjectPtr ifs = ctx ? xmlXPathEvalExpression(
		(const xmlChar *)"/domain/devices/interface", ctx) : NULL;
	int n = ifs && ifs->nodesetval ? ifs->nodesetval->nodeNr : 0;

	for (int i = 0; i < n && i < (int)o->nnics; i++) {
		xmlNodePtr node = ifs->nodesetval->nodeTab[i];
		char *dev = xpath_str(ctx, node, "string(target/@dev)");
		char *mac = xpath_str(ctx, node, "string(mac/@address)");
		char bw[UNITS_STRLEN] = "none";

		if (o->nics[i].maxbw &&
		    units_format_bw(o->nics[i].maxbw, bw, sizeof(bw)) == 0)
			strcat(bw, " Mb/s");
		printf("  NIC %d: VNIC %s over %s, MAC %s, VLAN %u, cap %s\n", i,
		       dev ? dev : "?", o->nics[i].bridge, mac ? mac : "?",
		       o->nics[i].vid, bw);
		free(dev);
		free(mac);
	}
	xmlXPathFreeObject(ifs);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	free(xml);
}

/* Define and start; a domain that does not start is undefined again. */
static virDomainPtr define_and_start(virConnectPtr conn,
				     const struct inst_opts *o, const char *xml)
{
	char uuid[VIR_UUID_STRING_BUFLEN] = "?";
	virDomainPtr dom = virDomainDefineXML(conn, xml);

	if (!dom) {
		fprintf(stderr, PROG ": cannot define domain '%s': %s\n",
			o->name, virt_err());
		return NULL;
	}
	virDomainGetUUIDString(dom, uuid);
	printf("Domain %s defined (uuid %s).\n", o->name, uuid);
	if (virDomainCreate(dom) < 0) {
		fprintf(stderr, PROG ": cannot start domain '%s': %s\n",
			o->name, virt_err());
		if (virDomainUndefine(dom) == 0)
			fprintf(stderr, PROG ": domain '%s' undefined again\n",
				o->name);
		virDomainFree(dom);
		return NULL;
	}
	printf("Domain %s started with id %u.\n", o->name, virDomainGetID(dom));
	return dom;
}

/* The name and the UUID must be free; --check-cpu: vCPUs against the
 * host's CPUs (a warning, as virt-install's). */
static int check_free(virConnectPtr conn, const struct inst_opts *o)
{
	virDomainPtr dom = virDomainLookupByName(conn, o->name);
	virNodeInfo ni;

	if (dom) {
		fprintf(stderr, PROG ": domain '%s' already exists\n", o->name);
		virDomainFree(dom);
		return -1;
	}
	if (o->uuid[0] && (dom = virDomainLookupByUUIDString(conn, o->uuid))) {
		fprintf(stderr, PROG ": UUID %s is already used by domain '%s'\n",
			o->uuid, virDomainGetName(dom));
		virDomainFree(dom);
		return -1;
	}
	if (o->check_cpu && virNodeGetInfo(conn, &ni) == 0 &&
	    o->vcpus > ni.cpus)
		fprintf(stderr, PROG ": warning: %u vCPUs is more than the "
			"host's %u CPUs; performance may suffer\n", o->vcpus,
			ni.cpus);
	return 0;
}

static int install(virConnectPtr conn, struct inst_opts *o)
{
	virDomainPtr dom = NULL;
	char *xml = NULL, *uri = NULL;
	bool created = false;
	int rc = -1;

	if (check_free(conn, o) < 0)
		goto out;
	if (o->dry_run) {
		if (check_disk(o) < 0)
			goto out;
		printf("Dry run: domain %s would be defined and started; "
		       "nothing was created.\n", o->name);
		rc = 0;
		goto out;
	}
	if (prepare_disk(o, &created) < 0)
		goto out;
	xml = inst_build_xml(o);
	if (!xml) {
		fprintf(stderr, PROG ": %s\n", strerror(errno));
		goto out;
	}
	dom = define_and_start(conn, o, xml);
	if (!dom)
		goto out;
	created = false;	/* the running domain's disk now: kept */
	report_nics(dom, o);
	if (o->autostart && virDomainSetAutostart(dom, 1) < 0) {
		fprintf(stderr, PROG ": cannot set autostart on '%s': %s\n",
			o->name, virt_err());
		goto out;
	}
	if (o->autostart)
		printf("Domain %s starts with xvmd (autostart).\n", o->name);
	if (!o->noautoconsole) {
		uri = o->uri ? NULL : virConnectGetURI(conn);
		printf("Connect to its console with: virsh -c '%s' console %s\n",
		       o->uri ? o->uri : uri ? uri : "xvm:///system", o->name);
	}
	rc = 0;
out:
	if (rc < 0 && created) {
		if (unlink(o->disk) == 0)
			fprintf(stderr, PROG ": disk '%s' that was created for it "
				"removed\n", o->disk);
		else
			fprintf(stderr, PROG ": cannot remove disk '%s': %s\n",
				o->disk, strerror(errno));
	}
	free(uri);
	free(xml);
	if (dom)
		virDomainFree(dom);
	return rc;
}

int main(int argc, char **argv)
{
	char err[INST_ERRLEN];
	struct inst_opts *o = calloc(1, sizeof(*o));
	virConnectPtr conn = NULL;
	int rc = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!o) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}
	if (inst_parse_args(o, argc, argv, err) < 0) {
		fprintf(stderr, PROG ": %s\n", err);
		if (o->usage_error)
			fputs(inst_usage(), stderr);
		goto out;
	}
	if (o->help) {
		fputs(inst_usage(), stdout);
		rc = 0;
		goto out;
	}
	if (o->print_xml) {
		char *xml;

		absolute(o->kernel);
		absolute(o->initrd);
		absolute(o->disk);
		absolute(o->cdrom);
		xml = inst_build_xml(o);
		if (!xml) {
			fprintf(stderr, PROG ": %s\n", strerror(errno));
			goto out;
		}
		fputs(xml, stdout);
		free(xml);
		rc = fflush(stdout) == 0 ? 0 : 1;
		goto out;
	}
	if (resolve(o->kernel, "kernel") < 0 || resolve(o->initrd, "initrd") < 0 ||
	    resolve(o->cdrom, "CD-ROM image") < 0)
		goto out;
	virSetErrorFunc(NULL, quiet_errors);
	conn = virConnectOpen(o->uri);
	if (!conn) {
		fprintf(stderr, PROG ": cannot connect to '%s': %s\n",
			o->uri ? o->uri : getenv("LIBVIRT_DEFAULT_URI") ?
			getenv("LIBVIRT_DEFAULT_URI") : "the default URI",
			virt_err());
		goto out;
	}
	rc = install(conn, o) < 0 ? 1 : 0;
out:
	if (conn)
		virConnectClose(conn);
	free(o);
	return rc;
}
