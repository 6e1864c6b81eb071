/*
 * Directory storage pools and their volumes (pool.h): the model, its
 * files, its XML, and the qemu-img runs that read and make images.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <jansson.h>
#include <libxml/tree.h>
#include "xvm/atomicio.h"
#include "xvm/daemon.h"
#include "xvm/log.h"
#include "xvm/xmlesc.h"
#include "xvm/xmlread.h"
#include "domxml.h"
#include "pool.h"
#include "store.h"

#define POOL_XML_MAX	(64u << 10)	/* a stored pool definition */
#define QIMG_OUT_MAX	(256u << 10)
#define QIMG_TIMEOUT_MS	120000		/* a preallocated create */

static char pool_defdir[300], pool_actdir[300], pool_default_path[300];
static struct pool *pools;

/* ---- names and paths ---- */

static bool pool_chars_ok(const char *s, size_t max, const char *extra)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > max || s[0] == '.')
		return false;
	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		      ch == '-' || ch == '+' || (ch && strchr(extra, ch))))
			return false;
	}
	return true;
}

bool pool_name_ok(const char *name)
{
	return pool_chars_ok(name, POOL_NAME_MAX, "");
}

bool pool_vol_name_ok(const char *name)
{
	/* '-' first would read as an option to qemu-img */
	return name[0] != '-' &&
	       pool_chars_ok(name, POOL_VOL_NAME_MAX, ",:@=~");
}

bool pool_path_ok(const char *path)
{
	size_t len = strlen(path), i;
	const char *c;

	if (len < 2 || len >= POOL_PATH_MAX - POOL_VOL_NAME_MAX - 2 ||
	    path[0] != '/' || path[len - 1] == '/')
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f)
			return false;
	for (c = path; c; c = strchr(c + 1, '/')) {
		const char *n = c + 1;
		size_t k = strcspn(n, "/");

		if (k == 0 || (k == 1 && n[0] == '.') ||
		    (k == 2 && n[0] == '.' && n[1] == '.'))
			return false;
	}
	return true;
}

/* ---- the list ---- */

struct pool *pool_list(void)
{
	return pools;
}

struct pool *pool_by_name(const char *name)
{
	struct pool *p;

	for (p = pools; p; p = p->next)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

struct pool *pool_by_uuid(const uint8_t uuid[16])
{
	struct pool *p;

	for (p = pools; p; p = p->next)
		if (!memcmp(p->uuid, uuid, 16))
			return p;
	return NULL;
}

static void pool_free(struct pool *p)
{
	struct pool **pp;

	for (pp = &pools; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	free(p->vols);
	free(p);
}

void pool_fini(void)
{
	while (pools)
		pool_free(pools);
}

static struct pool *pool_add(const struct pool_def *def)
{
	struct pool *p = calloc(1, sizeof(*p)), **pp;

	if (!p)
		return NULL;
	snprintf(p->name, sizeof(p->name), "%s", def->name);
	snprintf(p->path, sizeof(p->path), "%s", def->path);
	if (def->have_uuid)
		memcpy(p->uuid, def->uuid, 16);
	else if (getrandom(p->uuid, 16, 0) != 16) {
		free(p);
		return NULL;
	} else {
		p->uuid[6] = (p->uuid[6] & 0x0f) | 0x40;	/* version 4 */
		p->uuid[8] = (p->uuid[8] & 0x3f) | 0x80;
	}
	for (pp = &pools; *pp; pp = &(*pp)->next)
		;
	*pp = p;
	return p;
}

/* ---- XML ---- */

struct pool_xml {
	char *err;
	size_t errlen;
};

PRINTF(2, 3)
static int pool_xml_fail(struct pool_xml *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool is_elem(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	       !strcmp((const char *)n->name, name);
}

/* The text of n (trimmed) into buf. */
static int pool_xml_text(struct pool_xml *c, const xmlNode *n, char *buf,
			 size_t len)
{
	char *v = xmlread_text(n), *s, *e;
	int rc = 0;

	if (!v)
		return pool_xml_fail(c, "<%s>: %s", (const char *)n->name,
				     errno == EINVAL ? "text only" :
				     "out of memory");
	for (s = v; *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'; s++)
		;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
			 e[-1] == '\r'))
		*--e = 0;
	if (strlen(s) >= len)
		rc = pool_xml_fail(c, "<%s>: too long", (const char *)n->name);
	else
		strcpy(buf, s);
	free(v);
	return rc;
}

/* An attribute into buf; absent leaves buf as it is (1). */
static int pool_xml_attr(struct pool_xml *c, const xmlNode *n,
			 const char *name, char *buf, size_t len)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	int rc = 0;

	if (!v)
		return 1;
	if (strlen((const char *)v) >= len)
		rc = pool_xml_fail(c, "<%s %s>: too long",
				   (const char *)n->name, name);
	else
		strcpy(buf, (const char *)v);
	xmlFree(v);
	return rc;
}

/* Elements that are output only (pool-dumpxml's) and taken back
 * without effect, so that a dumped pool can be defined again. */
static bool pool_xml_ignored(const xmlNode *n, const char *const *names)
{
	for (; *names; names++)
		if (is_elem(n, *names))
			return true;
	return n->type != XML_ELEMENT_NODE;
}

static int pool_parse_target(struct pool_xml *c, const xmlNode *t,
			     char *path, size_t len)
{
	static const char *const ignored[] = { "permissions", "timestamps",
					       NULL };
	const xmlNode *n;
	int rc;

	for (n = t->children; n; n = n->next) {
		if (is_elem(n, "path")) {
			rc = pool_xml_text(c, n, path, len);
			if (rc < 0)
				return rc;
		} else if (!pool_xml_ignored(n, ignored)) {
			return pool_xml_fail(c, "unsupported element <%s> in "
					     "<target>", (const char *)n->name);
		}
	}
	return 0;
}

int pool_parse_xml(const char *xml, size_t len, struct pool_def *def,
		   char *err, size_t errlen)
{
	static const char *const ignored[] = { "capacity", "allocation",
					       "available", NULL };
	struct pool_xml c = { err, errlen };
	char type[16] = "", uuid[64] = "";
	xmlDoc *doc;
	xmlNode *root, *n;
	int rc = 0;

	memset(def, 0, sizeof(*def));
	doc = xmlread_doc(xml, len, "pool.xml", err, errlen);
	if (!doc)
		return -EINVAL;
	root = xmlDocGetRootElement(doc);
	if (!root || !is_elem(root, "pool")) {
		rc = pool_xml_fail(&c, "the root element is not <pool>");
		goto out;
	}
	rc = pool_xml_attr(&c, root, "type", type, sizeof(type));
	if (rc < 0)
		goto out;
	if (strcmp(type, "dir")) {
		rc = pool_xml_fail(&c, rc ? "missing storage pool type" :
				   "unsupported storage pool type '%s': xvmd "
				   "has directory pools (type 'dir')", type);
		goto out;
	}
	rc = 0;
	for (n = root->children; n && !rc; n = n->next) {
		if (is_elem(n, "name"))
			rc = pool_xml_text(&c, n, def->name, sizeof(def->name));
		else if (is_elem(n, "uuid"))
			rc = pool_xml_text(&c, n, uuid, sizeof(uuid));
		else if (is_elem(n, "target"))
			rc = pool_parse_target(&c, n, def->path,
					       sizeof(def->path));
		else if (is_elem(n, "source"))
			rc = n->children && xmlFirstElementChild(
				(xmlNode *)n) ? pool_xml_fail(&c, "a dir pool "
				"has no <source>") : 0;
		else if (!pool_xml_ignored(n, ignored))
			rc = pool_xml_fail(&c, "unsupported element <%s> in "
					   "<pool>", (const char *)n->name);
	}
	if (rc)
		goto out;
	if (!def->name[0])
		rc = pool_xml_fail(&c, "missing pool source name element");
	else if (!pool_name_ok(def->name))
		rc = pool_xml_fail(&c, "invalid pool name '%s': 1 to %d "
				   "characters of A-Z a-z 0-9 . _ + -, not "
				   "starting with '.'", def->name,
				   POOL_NAME_MAX);
	else if (uuid[0] && domxml_uuid_parse(uuid, def->uuid) < 0)
		rc = pool_xml_fail(&c, "malformed uuid element");
	else if (!def->path[0])
		rc = pool_xml_fail(&c, "missing storage pool target path");
	else if (!pool_path_ok(def->path))
		rc = pool_xml_fail(&c, "invalid target path '%s': an absolute "
				   "path without '.', '..' or '//', shorter "
				   "than %d characters", def->path,
				   POOL_PATH_MAX - POOL_VOL_NAME_MAX - 2);
	def->have_uuid = uuid[0] != 0;
out:
	xmlFreeDoc(doc);
	return rc;
}

/* A size element: libvirt's units (powers of 1000 for KB..EB, of 1024
 * for the rest; bytes when none), at most POOL_CAP_MAX. */
static int pool_xml_size(struct pool_xml *c, const xmlNode *n, uint64_t *out)
{
	static const struct { const char *u; uint64_t mul; } units[] = {
		{ "b", 1 }, { "bytes", 1 },
		{ "KB", 1000 }, { "k", 1024 }, { "K", 1024 }, { "KiB", 1024 },
		{ "MB", 1000000 }, { "m", 1 << 20 }, { "M", 1 << 20 },
		{ "MiB", 1 << 20 },
		{ "GB", 1000000000 }, { "g", 1 << 30 }, { "G", 1 << 30 },
		{ "GiB", 1 << 30 },
		{ "TB", 1000000000000ull }, { "t", 1ull << 40 },
		{ "T", 1ull << 40 }, { "TiB", 1ull << 40 },
		{ "PB", 1000000000000000ull }, { "p", 1ull << 50 },
		{ "P", 1ull << 50 }, { "PiB", 1ull << 50 },
	};
	char unit[16] = "bytes", num[32];
	unsigned long long v;
	char *end;
	size_t i;
	int rc;

	rc = pool_xml_attr(c, n, "unit", unit, sizeof(unit));
	if (rc < 0)
		return rc;
	rc = pool_xml_text(c, n, num, sizeof(num));
	if (rc < 0)
		return rc;
	for (i = 0; i < ARRAY_SIZE(units); i++)
		if (!strcmp(unit, units[i].u))
			break;
	if (i == ARRAY_SIZE(units))
		return pool_xml_fail(c, "unknown scale '%s' in <%s>", unit,
				     (const char *)n->name);
	errno = 0;
	v = strtoull(num, &end, 10);
	if (!num[0] || *end || errno || num[0] == '-')
		return pool_xml_fail(c, "malformed <%s> '%s'",
				     (const char *)n->name, num);
	if (v > POOL_CAP_MAX / units[i].mul)
		return pool_xml_fail(c, "<%s> too large: at most 1 PiB",
				     (const char *)n->name);
	*out = v * units[i].mul;
	return 0;
}

static int pool_vol_parse_target(struct pool_xml *c, const xmlNode *t,
				 struct pool_vol_def *def)
{
	static const char *const ignored[] = { "path", "permissions",
					       "timestamps", "compat",
					       "features", NULL };
	const xmlNode *n;
	int rc;

	for (n = t->children; n; n = n->next) {
		if (is_elem(n, "format")) {
			rc = pool_xml_attr(c, n, "type", def->format,
					   sizeof(def->format));
			if (rc)
				return rc < 0 ? rc : pool_xml_fail(c,
					"<format> without a type");
		} else if (is_elem(n, "encryption")) {
			return pool_xml_fail(c, "encrypted volumes are not "
					     "supported");
		} else if (!pool_xml_ignored(n, ignored)) {
			return pool_xml_fail(c, "unsupported element <%s> in "
					     "<target>", (const char *)n->name);
		}
	}
	return 0;
}

int pool_vol_parse_xml(const char *xml, size_t len, struct pool_vol_def *def,
		       char *err, size_t errlen)
{
	static const char *const ignored[] = { "key", "source", "physical",
					       NULL };
	struct pool_xml c = { err, errlen };
	bool have_cap = false;
	char type[16] = "file";
	xmlDoc *doc;
	xmlNode *root, *n;
	int rc = 0;

	memset(def, 0, sizeof(*def));
	strcpy(def->format, "raw");
	doc = xmlread_doc(xml, len, "volume.xml", err, errlen);
	if (!doc)
		return -EINVAL;
	root = xmlDocGetRootElement(doc);
	if (!root || !is_elem(root, "volume")) {
		rc = pool_xml_fail(&c, "the root element is not <volume>");
		goto out;
	}
	rc = pool_xml_attr(&c, root, "type", type, sizeof(type));
	if (rc < 0)
		goto out;
	if (strcmp(type, "file")) {
		rc = pool_xml_fail(&c, "unsupported volume type '%s'", type);
		goto out;
	}
	rc = 0;
	for (n = root->children; n && !rc; n = n->next) {
		if (is_elem(n, "name")) {
			rc = pool_xml_text(&c, n, def->name, sizeof(def->name));
		} else if (is_elem(n, "capacity")) {
			rc = pool_xml_size(&c, n, &def->capacity);
			have_cap = true;
		} else if (is_elem(n, "allocation")) {
			rc = pool_xml_size(&c, n, &def->allocation);
			def->have_allocation = true;
		} else if (is_elem(n, "target")) {
			rc = pool_vol_parse_target(&c, n, def);
		} else if (is_elem(n, "backingStore")) {
			rc = pool_xml_fail(&c, "backing stores are not "
					   "supported");
		} else if (!pool_xml_ignored(n, ignored)) {
			rc = pool_xml_fail(&c, "unsupported element <%s> in "
					   "<volume>", (const char *)n->name);
		}
	}
	if (rc)
		goto out;
	if (!def->name[0])
		rc = pool_xml_fail(&c, "missing volume name element");
	else if (!pool_vol_name_ok(def->name))
		rc = pool_xml_fail(&c, "invalid volume name '%s': 1 to %d "
				   "characters of A-Z a-z 0-9 . _ + - , : @ = ~,"
				   " not starting with '.' or '-'", def->name,
				   POOL_VOL_NAME_MAX);
	else if (!have_cap)
		rc = pool_xml_fail(&c, "missing capacity element");
	else if (def->have_allocation && def->allocation > def->capacity)
		def->allocation = def->capacity;	/* as libvirt */
out:
	xmlFreeDoc(doc);
	return rc;
}

char *pool_format_xml(const struct pool *p, bool inactive)
{
	uint64_t cap = 0, alloc = 0, avail = 0;
	char uuid[37], *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (!inactive && p->active)
		pool_sizes(p, &cap, &alloc, &avail);
	domxml_uuid_format(p->uuid, uuid);
	fputs("<pool type='dir'>\n", f);
	xmlesc_put_elem(f, "  ", "name", p->name);
	fprintf(f, "  <uuid>%s</uuid>\n", uuid);
	fprintf(f, "  <capacity unit='bytes'>%" PRIu64 "</capacity>\n"
		"  <allocation unit='bytes'>%" PRIu64 "</allocation>\n"
		"  <available unit='bytes'>%" PRIu64 "</available>\n"
		"  <source>\n  </source>\n  <target>\n", cap, alloc, avail);
	xmlesc_put_elem(f, "    ", "path", p->path);
	fputs("  </target>\n</pool>\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

char *pool_vol_format_xml(const struct pool *p, const struct pool_vol *v)
{
	char path[PATH_MAX], *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (pool_vol_path(p, v->name, path, sizeof(path)) < 0)
		return NULL;
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fputs("<volume type='file'>\n", f);
	xmlesc_put_elem(f, "  ", "name", v->name);
	xmlesc_put_elem(f, "  ", "key", path);
	fprintf(f, "  <capacity unit='bytes'>%" PRIu64 "</capacity>\n"
		"  <allocation unit='bytes'>%" PRIu64 "</allocation>\n"
		"  <physical unit='bytes'>%" PRIu64 "</physical>\n"
		"  <target>\n", v->capacity, v->allocation, v->physical);
	xmlesc_put_elem(f, "    ", "path", path);
	fputs("    <format type='", f);
	xmlesc_put_attr(f, v->format);
	fprintf(f, "'/>\n    <permissions>\n      <mode>0%o</mode>\n"
		"      <owner>%u</owner>\n      <group>%u</group>\n"
		"    </permissions>\n  </target>\n</volume>\n", v->mode & 07777,
		v->uid, v->gid);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- qemu-img ---- */

static const char *pool_qimg_program(void)
{
	const char *p = getenv("XVM_QEMU_IMG");

	return p && *p ? p : "qemu-img";
}

/* Run qemu-img with args (NULL-terminated): 0 on exit status 0, with
 * its stdout in *out (malloc'd) if out; else -EIO with the last line of
 * its stderr in why. Killed after QIMG_TIMEOUT_MS. */
static int pool_qimg(const char *const *args, char **out, char *why,
		     size_t whylen)
{
	const char *argv[16] = { pool_qimg_program() };
	int op[2] = { -1, -1 }, ep[2] = { -1, -1 }, st = -1, rc = -EIO;
	bool killed = false;
	char *obuf = NULL, ebuf[2048];
	size_t olen = 0, elen = 0, n = 1;
	struct timespec t0, t;
	bool oopen = true, eopen = true;
	pid_t pid;

	ebuf[0] = 0;
	for (; *args && n < ARRAY_SIZE(argv) - 1; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	obuf = malloc(QIMG_OUT_MAX + 1);
	if (!obuf || pipe2(op, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		sigset_t all;

		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		if (null < 0 || dup2(null, 0) < 0 || dup2(op[1], 1) < 0 ||
		    dup2(ep[1], 2) < 0)
			_exit(127);
		execvp(argv[0], (char *const *)argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(op[1]);
	close(ep[1]);
	op[1] = ep[1] = -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (oopen || eopen) {
		struct pollfd pf[2] = { { oopen ? op[0] : -1, POLLIN, 0 },
					{ eopen ? ep[0] : -1, POLLIN, 0 } };
		int64_t ms;
		char tmp[4096];
		ssize_t k;

		clock_gettime(CLOCK_MONOTONIC, &t);
		ms = (t.tv_sec - t0.tv_sec) * 1000 +
		     (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms >= QIMG_TIMEOUT_MS) {
			kill(pid, SIGKILL);
			killed = true;
			snprintf(ebuf, sizeof(ebuf), "timed out after %d s",
				 QIMG_TIMEOUT_MS / 1000);
			break;
		}
		if (poll(pf, 2, (int)(QIMG_TIMEOUT_MS - ms)) < 0 &&
		    errno != EINTR) {
			kill(pid, SIGKILL);
			killed = true;
			snprintf(ebuf, sizeof(ebuf), "poll: %s",
				 strerror(errno));
			break;
		}
		if (oopen && pf[0].revents) {
			k = read(op[0], tmp, sizeof(tmp));
			if (k <= 0)
				oopen = false;
			else if (olen + (size_t)k <= QIMG_OUT_MAX) {
				memcpy(obuf + olen, tmp, (size_t)k);
				olen += (size_t)k;
			}
		}
		if (eopen && pf[1].revents) {
			k = read(ep[0], tmp, sizeof(tmp) - 1);
			if (k <= 0) {
				eopen = false;
			} else {
				if (elen + (size_t)k >= sizeof(ebuf))
					elen = 0;	/* keep the end */
				memcpy(ebuf + elen, tmp, (size_t)k);
				elen += (size_t)k;
				ebuf[elen] = 0;
			}
		}
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	obuf[olen] = 0;
	if (!killed && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		rc = 0;
		if (out) {
			*out = obuf;
			obuf = NULL;
		}
	} else {
		char *e = ebuf + strlen(ebuf), *line;

		while (e > ebuf && (e[-1] == '\n' || e[-1] == ' '))
			*--e = 0;
		line = strrchr(ebuf, '\n');
		line = line ? line + 1 : ebuf;
		if (!strncmp(line, "qemu-img: ", 10))
			line += 10;
		if (*line)
			snprintf(why, whylen, "%s", line);
		else if (WIFEXITED(st))
			snprintf(why, whylen, "qemu-img exited with %d",
				 WEXITSTATUS(st));
		else
			snprintf(why, whylen, "qemu-img killed by signal %d",
				 WTERMSIG(st));
	}
fail:
	for (int i = 0; i < 2; i++) {
		if (op[i] >= 0)
			close(op[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	free(obuf);
	return rc;
}

/* ---- volumes ---- */

int pool_vol_path(const struct pool *p, const char *name, char *buf,
		  size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/%s", p->path, name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* Read one volume: what the file system says, then qemu-img's format
 * and virtual size. -errno (the file is skipped, with a warning). */
static int pool_vol_read(const struct pool *p, const char *name,
			 struct pool_vol *v)
{
	char path[PATH_MAX], why[256], *out = NULL;
	const char *args[] = { "info", "-U", "--output=json", path, NULL };
	json_error_t jerr;
	const struct pool_vol *old;
	json_t *j, *fmt, *vs;
	struct stat st;
	int rc;

	memset(v, 0, sizeof(*v));
	rc = pool_vol_path(p, name, path, sizeof(path));
	if (rc < 0)
		return rc;
	if (lstat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->physical = (uint64_t)st.st_size;
	v->allocation = (uint64_t)st.st_blocks * 512;
	v->mode = st.st_mode;
	v->uid = st.st_uid;
	v->gid = st.st_gid;
	v->ino = st.st_ino;
	v->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
		      st.st_mtim.tv_nsec;
	old = pool_vol_by_name(p, name);	/* the previous listing's */
	if (old && old->ino == v->ino && old->mtime_ns == v->mtime_ns &&
	    old->physical == v->physical) {
		memcpy(v->format, old->format, sizeof(v->format));
		v->capacity = old->capacity;
		return 0;
	}
	rc = pool_qimg(args, &out, why, sizeof(why));
	if (rc < 0) {
		log_warn("pool %s: %s: qemu-img info: %s", p->name, path, why);
		return rc;
	}
	j = json_loads(out, 0, &jerr);
	free(out);
	fmt = json_object_get(j, "format");
	vs = json_object_get(j, "virtual-size");
	if (!json_is_string(fmt) || !json_is_integer(vs) ||
	    json_integer_value(vs) < 0 ||
	    strlen(json_string_value(fmt)) >= sizeof(v->format)) {
		log_warn("pool %s: %s: qemu-img info: unexpected output",
			 p->name, path);
		json_decref(j);
		return -EIO;
	}
	snprintf(v->format, sizeof(v->format), "%s", json_string_value(fmt));
	v->capacity = (uint64_t)json_integer_value(vs);
	json_decref(j);
	return 0;
}

static int pool_vol_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pool_vol *)a)->name,
		      ((const struct pool_vol *)b)->name);
}

/* List the pool's directory anew. */
static int pool_scan(struct pool *p, struct verr *e)
{
	struct pool_vol *vols = NULL, *nv;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d = opendir(p->path);

	if (!d)
		return verr_fail(e, -errno, VERR_OPERATION_FAILED,
				 "cannot open directory '%s': %s", p->path,
				 strerror(errno));
	while ((de = readdir(d))) {
		if (!pool_vol_name_ok(de->d_name) ||
		    (de->d_type != DT_REG && de->d_type != DT_UNKNOWN))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(vols, cap * sizeof(*vols));
			if (!nv) {
				closedir(d);
				free(vols);
				return verr_nomem(e);
			}
			vols = nv;
		}
		if (pool_vol_read(p, de->d_name, &vols[n]) == 0)
			n++;
	}
	closedir(d);
	if (n)
		qsort(vols, n, sizeof(*vols), pool_vol_cmp);
	free(p->vols);
	p->vols = vols;
	p->nvols = n;
	return 0;
}

const struct pool_vol *pool_vol_by_name(const struct pool *p,
					const char *name)
{
	size_t i;

	for (i = 0; i < p->nvols; i++)
		if (!strcmp(p->vols[i].name, name))
			return &p->vols[i];
	return NULL;
}

const struct pool_vol *pool_vol_by_path(const char *path, struct pool **pp)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX], *rd, *rp;
	const struct pool_vol *v = NULL;
	struct pool *p;

	if (!slash || slash == path || (size_t)(slash - path) >= sizeof(dir) ||
	    !pool_vol_name_ok(slash + 1))
		return NULL;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	rd = realpath(dir, NULL);	/* the same directory, however named */
	if (!rd)
		return NULL;
	for (p = pools; p && !v; p = p->next) {
		if (!p->active)
			continue;
		rp = realpath(p->path, NULL);
		if (rp && !strcmp(rp, rd))
			v = pool_vol_by_name(p, slash + 1);
		free(rp);
		if (v)
			*pp = p;
	}
	free(rd);
	return v;
}

static int pool_need_active(const struct pool *p, struct verr *e)
{
	if (!p->active)
		return verr_set(e, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: storage pool '%s' is "
				"not active", p->name);
	return 0;
}

static bool pool_format_ok(const char *fmt)
{
	static const char *const ok[] = { "raw", "qcow2", "vmdk", "vdi",
					  "vpc", NULL };
	const char *const *f;

	for (f = ok; *f; f++)
		if (!strcmp(fmt, *f))
			return true;
	return false;
}

const struct pool_vol *pool_vol_create(struct pool *p,
				       const struct pool_vol_def *def,
				       unsigned int flags, struct verr *e)
{
	char path[PATH_MAX], size[32], why[256], opt[64] = "";
	const char *args[12];
	size_t n = 0;
	int fd, rc;

	if (pool_need_active(p, e) < 0)
		return NULL;
	if (flags & ~1u) {
		verr_set(e, VERR_INVALID_ARG, "invalid argument: unsupported "
			 "flags (0x%x)", flags & ~1u);
		return NULL;
	}
	if (!pool_format_ok(def->format)) {
		verr_set(e, VERR_CONFIG_UNSUPPORTED, "unsupported "
			 "configuration: volume format '%s': xvmd makes raw, "
			 "qcow2, vmdk, vdi and vpc images", def->format);
		return NULL;
	}
	if ((flags & 1) && strcmp(def->format, "qcow2")) {
		verr_set(e, VERR_OPERATION_UNSUPPORTED, "Operation not "
			 "supported: metadata preallocation is for qcow2 "
			 "volumes only");
		return NULL;
	}
	if (pool_vol_path(p, def->name, path, sizeof(path)) < 0) {
		verr_set(e, VERR_INVALID_ARG, "invalid argument: volume path "
			 "too long");
		return NULL;
	}
	/* Claim the name first: O_EXCL, so nothing there is overwritten,
	 * then qemu-img writes its image into the empty file. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		if (errno == EEXIST)
			verr_set(e, VERR_STORAGE_VOL_EXIST, "storage volume "
				 "'%s' exists already", def->name);
		else
			verr_fail(e, -errno, VERR_OPERATION_FAILED, "operation "
				  "failed: cannot create '%s': %s", path,
				  strerror(errno));
		return NULL;
	}
	close(fd);
	snprintf(size, sizeof(size), "%" PRIu64, def->capacity);
	if (!strcmp(def->format, "raw") && def->have_allocation &&
	    def->allocation > 0)
		snprintf(opt, sizeof(opt), "preallocation=falloc");
	else if (flags & 1)
		snprintf(opt, sizeof(opt), "preallocation=metadata");
	args[n++] = "create";
	args[n++] = "-q";
	args[n++] = "-f";
	args[n++] = def->format;
	if (opt[0]) {
		args[n++] = "-o";
		args[n++] = opt;
	}
	args[n++] = path;
	args[n++] = size;
	args[n] = NULL;
	rc = pool_qimg(args, NULL, why, sizeof(why));
	if (rc < 0) {
		unlink(path);
		verr_fail(e, rc, VERR_OPERATION_FAILED, "operation failed: "
			  "qemu-img create of '%s': %s", path, why);
		return NULL;
	}
	log_info("pool %s: volume %s created (%s, %" PRIu64 " bytes)",
		 p->name, def->name, def->format, def->capacity);
	if (pool_scan(p, e) < 0)
		return NULL;
	if (!pool_vol_by_name(p, def->name))
		verr_set(e, VERR_OPERATION_FAILED, "operation failed: '%s' "
			 "was created but qemu-img cannot read it", path);
	return pool_vol_by_name(p, def->name);
}

int pool_vol_delete(struct pool *p, const char *name, struct verr *e)
{
	char path[PATH_MAX];
	int rc = pool_need_active(p, e);

	if (rc < 0)
		return rc;
	if (!pool_vol_by_name(p, name))
		return verr_set(e, VERR_NO_STORAGE_VOL, "Storage volume not "
				"found: no storage vol with matching name '%s'",
				name);
	rc = pool_vol_path(p, name, path, sizeof(path));
	if (rc < 0)
		return verr_set(e, VERR_INVALID_ARG, "invalid argument: path "
				"too long");
	if (unlink(path) < 0 && errno != ENOENT)
		return verr_fail(e, -errno, VERR_OPERATION_FAILED, "operation "
				 "failed: cannot unlink file '%s': %s", path,
				 strerror(errno));
	log_info("pool %s: volume %s deleted", p->name, name);
	return pool_scan(p, e);
}

int pool_vol_resize(struct pool *p, const char *name, uint64_t capacity,
		    unsigned int flags, struct verr *e)
{
	char path[PATH_MAX], size[32], why[256], fmt[16];
	const struct pool_vol *v;
	const char *args[10];
	size_t n = 0;
	int rc = pool_need_active(p, e);

	if (rc < 0)
		return rc;
	v = pool_vol_by_name(p, name);
	if (!v)
		return verr_set(e, VERR_NO_STORAGE_VOL, "Storage volume not "
				"found: no storage vol with matching name '%s'",
				name);
	if (flags & ~6u)
		return verr_set(e, VERR_INVALID_ARG, "invalid argument: "
				"unsupported flags (0x%x)", flags & ~6u);
	if (flags & 2) {	/* DELTA */
		if ((flags & 4) ? capacity > v->capacity :
		    capacity > POOL_CAP_MAX - v->capacity)
			return verr_set(e, VERR_INVALID_ARG, "invalid "
					"argument: capacity out of range");
		capacity = (flags & 4) ? v->capacity - capacity :
			   v->capacity + capacity;
	}
	if (capacity > POOL_CAP_MAX)
		return verr_set(e, VERR_INVALID_ARG, "invalid argument: "
				"capacity %" PRIu64 " is above 1 PiB",
				capacity);
	if (capacity < v->capacity && !(flags & 4))
		return verr_set(e, VERR_INVALID_ARG, "invalid argument: Can't "
				"shrink capacity below current capacity unless "
				"shrink flag explicitly specified");
	pool_vol_path(p, name, path, sizeof(path));
	snprintf(size, sizeof(size), "%" PRIu64, capacity);
	snprintf(fmt, sizeof(fmt), "%s", v->format);
	args[n++] = "resize";
	args[n++] = "-q";
	args[n++] = "-f";
	args[n++] = fmt;
	if (capacity < v->capacity)
		args[n++] = "--shrink";
	args[n++] = path;
	args[n++] = size;
	args[n] = NULL;
	rc = pool_qimg(args, NULL, why, sizeof(why));
	if (rc < 0)
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: qemu-img resize of '%s': %s", path,
				 why);
	return pool_scan(p, e);
}

/* ---- pools: files ---- */

static int pool_file(char *buf, size_t len, const char *dir,
		     const char *name, const char *ext)
{
	if (!pool_name_ok(name))
		return -EINVAL;
	if ((size_t)snprintf(buf, len, "%s/%s%s", dir, name, ext) >= len)
		return -ENAMETOOLONG;
	return 0;
}

static int pool_write(const char *dir, const struct pool *p)
{
	char path[400], *xml = pool_format_xml(p, true);
	int rc = xml ? pool_file(path, sizeof(path), dir, p->name, ".xml") :
		 -ENOMEM;

	if (rc == 0)
		rc = atomicio_replace_file(path, xml, strlen(xml), 0600);
	free(xml);
	return rc;
}

static int pool_unlink(const char *dir, const char *name, const char *ext)
{
	char path[400];
	int rc = pool_file(path, sizeof(path), dir, name, ext);

	if (rc == 0 && unlink(path) < 0 && errno != ENOENT)
		rc = -errno;
	return rc;
}

/* ---- pools: operations ---- */

/* The checks a new definition passes against the others. */
static int pool_def_check(const struct pool_def *def, const struct pool *self,
			  struct verr *e)
{
	char probe[POOL_PATH_MAX + 8];
	struct pool *o;

	for (o = pools; o; o = o->next) {
		if (o == self)
			continue;
		if (def->have_uuid && !memcmp(o->uuid, def->uuid, 16))
			return verr_set(e, VERR_OPERATION_FAILED, "operation "
					"failed: pool '%s' already exists with "
					"uuid of pool '%s'", def->name,
					o->name);
		if (!strcmp(o->path, def->path))
			return verr_set(e, VERR_OPERATION_FAILED, "operation "
					"failed: Storage source conflict with "
					"pool: '%s'", o->name);
	}
	snprintf(probe, sizeof(probe), "%s/x", def->path);
	if (store_owns_path(probe))
		return verr_set(e, VERR_OPERATION_DENIED, "operation forbidden:"
				" '%s' is one of xvmd's own directories",
				def->path);
	return 0;
}

struct pool *pool_define(const struct pool_def *def, struct verr *e)
{
	struct pool *p = pool_by_name(def->name), saved;
	bool is_new = !p;
	int rc;

	if (p && def->have_uuid && memcmp(p->uuid, def->uuid, 16)) {
		verr_set(e, VERR_OPERATION_FAILED, "operation failed: pool "
			 "'%s' is already defined with another uuid", p->name);
		return NULL;
	}
	if (p && p->active && strcmp(p->path, def->path)) {
		verr_set(e, VERR_OPERATION_INVALID, "Requested operation is "
			 "not valid: storage pool '%s' is active: its target "
			 "cannot change", p->name);
		return NULL;
	}
	if (pool_def_check(def, p, e) < 0)
		return NULL;
	if (is_new) {
		p = pool_add(def);
		if (!p) {
			verr_nomem(e);
			return NULL;
		}
	}
	saved = *p;
	snprintf(p->path, sizeof(p->path), "%s", def->path);
	p->persistent = true;
	rc = pool_write(pool_defdir, p);
	if (rc < 0) {
		verr_fail(e, rc, VERR_OPERATION_FAILED, "operation failed: "
			  "cannot save pool '%s': %s", p->name, strerror(-rc));
		if (is_new)
			pool_free(p);
		else
			*p = saved;
		return NULL;
	}
	log_info("pool %s defined (%s)", p->name, p->path);
	return p;
}

static int pool_check_dir(const struct pool *p, struct verr *e)
{
	struct stat st;

	if (stat(p->path, &st) < 0)
		return verr_fail(e, -errno, VERR_OPERATION_FAILED, "cannot "
				 "open directory '%s': %s", p->path,
				 strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return verr_set(e, VERR_OPERATION_FAILED, "cannot open "
				"directory '%s': Not a directory", p->path);
	return 0;
}

int pool_start(struct pool *p, struct verr *e)
{
	int rc;

	if (p->active)
		return verr_set(e, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: storage pool '%s' is "
				"already active", p->name);
	rc = pool_check_dir(p, e);
	if (rc < 0)
		return rc;
	rc = pool_scan(p, e);
	if (rc < 0)
		return rc;
	rc = pool_write(pool_actdir, p);
	if (rc < 0)
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: cannot save the state of pool '%s': "
				 "%s", p->name, strerror(-rc));
	p->active = true;
	log_info("pool %s started (%zu volumes)", p->name, p->nvols);
	return 0;
}

struct pool *pool_create_transient(const struct pool_def *def,
				   struct verr *e)
{
	struct pool *p = pool_by_name(def->name);

	if (p) {
		verr_set(e, VERR_OPERATION_INVALID, "Requested operation is "
			 "not valid: storage pool '%s' already exists",
			 def->name);
		return NULL;
	}
	if (pool_def_check(def, NULL, e) < 0)
		return NULL;
	p = pool_add(def);
	if (!p) {
		verr_nomem(e);
		return NULL;
	}
	if (pool_start(p, e) < 0) {
		pool_free(p);
		return NULL;
	}
	return p;
}

int pool_build(struct pool *p, struct verr *e)
{
	int rc;

	if (p->active)
		return verr_set(e, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: storage pool '%s' is "
				"already active", p->name);
	rc = mkdir_p(p->path, 0711);
	if (rc < 0)
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: cannot create path '%s': %s",
				 p->path, strerror(-rc));
	return pool_check_dir(p, e);
}

int pool_destroy(struct pool *p, struct verr *e)
{
	int rc = pool_need_active(p, e);

	if (rc < 0)
		return rc;
	rc = pool_unlink(pool_actdir, p->name, ".xml");
	if (rc < 0)
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: pool '%s': %s", p->name,
				 strerror(-rc));
	p->active = false;
	free(p->vols);
	p->vols = NULL;
	p->nvols = 0;
	log_info("pool %s stopped", p->name);
	if (!p->persistent)
		pool_free(p);
	return 0;
}

int pool_undefine(struct pool *p, struct verr *e)
{
	int rc;

	if (p->active)
		return verr_set(e, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: storage pool '%s' is "
				"still active", p->name);
	if (!p->persistent)
		return verr_set(e, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: storage pool '%s' is "
				"not persistent", p->name);
	rc = pool_unlink(pool_defdir, p->name, ".autostart");
	if (rc == 0)
		rc = pool_unlink(pool_defdir, p->name, ".xml");
	if (rc < 0)
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: cannot remove pool '%s': %s",
				 p->name, strerror(-rc));
	log_info("pool %s undefined", p->name);
	pool_free(p);
	return 0;
}

int pool_refresh(struct pool *p, struct verr *e)
{
	int rc = pool_need_active(p, e);

	return rc < 0 ? rc : pool_scan(p, e);
}

int pool_set_autostart(struct pool *p, bool on, struct verr *e)
{
	char path[400];
	int rc;

	if (!p->persistent)
		return verr_set(e, VERR_INVALID_ARG, "invalid argument: cannot "
				"set autostart for transient pool");
	if (on) {
		rc = pool_file(path, sizeof(path), pool_defdir, p->name,
			       ".autostart");
		if (rc == 0)
			rc = atomicio_replace_file(path, "1\n", 2, 0600);
	} else {
		rc = pool_unlink(pool_defdir, p->name, ".autostart");
	}
	if (rc < 0)
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: autostart of pool '%s': %s", p->name,
				 strerror(-rc));
	p->autostart = on;
	return 0;
}

int pool_sizes(const struct pool *p, uint64_t *cap, uint64_t *alloc,
	       uint64_t *avail)
{
	struct statvfs sv;

	*cap = *alloc = *avail = 0;
	if (statvfs(p->path, &sv) < 0)
		return -errno;
	*cap = (uint64_t)sv.f_blocks * sv.f_frsize;
	*alloc = (uint64_t)(sv.f_blocks - sv.f_bfree) * sv.f_frsize;
	*avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	return 0;
}

int pool_delete_dir(struct pool *p, struct verr *e)
{
	if (p->active)
		return verr_set(e, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: storage pool '%s' is "
				"still active", p->name);
	if (rmdir(p->path) < 0)
		return verr_fail(e, -errno, VERR_OPERATION_FAILED, "operation "
				 "failed: failed to remove pool '%s': %s",
				 p->path, strerror(errno));
	return 0;
}

int pool_check_disks(const struct dom_config *cfg, struct verr *e)
{
	const struct pool_vol *v;
	struct pool *p;
	unsigned int i;

	for (i = 0; i < cfg->ndisks; i++) {
		const struct dom_disk *dk = &cfg->disks[i];

		if (dk->block || dk->cdrom)
			continue;
		v = pool_vol_by_path(dk->path, &p);
		if (v && strcmp(v->format, "raw"))
			return verr_set(e, VERR_CONFIG_UNSUPPORTED,
					"unsupported configuration: disk %s: "
					"volume '%s' of pool '%s' is a %s image; "
					"its disk would be read as raw: xvmd "
					"serves raw disks only", dk->target,
					v->name, p->name, v->format);
	}
	return 0;
}

/* ---- start-up ---- */

/* A stored pool file: its definition, or -errno. */
static int pool_load_file(const char *dir, const char *file,
			  struct pool_def *def)
{
	char path[600], err[256], *xml;
	size_t len, n = strlen(file);
	int rc;

	if (n <= 4 || strcmp(file + n - 4, ".xml"))
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	rc = atomicio_read_file(path, POOL_XML_MAX, &xml, &len);
	if (rc < 0) {
		log_warn("pool: %s: %s", path, strerror(-rc));
		return rc;
	}
	rc = pool_parse_xml(xml, len, def, err, sizeof(err));
	free(xml);
	if (rc == 0 && (strlen(def->name) != n - 4 ||
			strncmp(def->name, file, n - 4)))
		snprintf(err, sizeof(err), "names pool '%s'", def->name),
		rc = -EINVAL;
	if (rc < 0)
		log_warn("pool: %s: %s, ignored", path, err);
	return rc;
}

static void pool_load_dir(const char *dir, bool active)
{
	struct pool_def def;
	struct dirent *de;
	struct pool *p;
	DIR *d = opendir(dir);
	struct verr e;

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' ||
		    pool_load_file(dir, de->d_name, &def) < 0)
			continue;
		p = pool_by_name(def.name);
		if (!active) {
			if (p)
				continue;
			p = pool_add(&def);
			if (!p)
				continue;
			p->persistent = true;	/* autostart: pool_init() */
			continue;
		}
		if (!p)		/* transient */
			p = pool_add(&def);
		if (!p)
			continue;
		memset(&e, 0, sizeof(e));
		if (pool_check_dir(p, &e) < 0 || pool_scan(p, &e) < 0) {
			log_warn("pool %s: %s: left inactive", p->name, e.msg);
			pool_unlink(pool_actdir, p->name, ".xml");
			if (!p->persistent)
				pool_free(p);
			continue;
		}
		p->active = true;
	}
	closedir(d);
}

int pool_init(const char *statedir, const char *rundir)
{
	struct pool_def def = { 0 };
	struct verr e = { 0 };
	struct pool *p;
	bool first;
	char path[400];

	snprintf(pool_defdir, sizeof(pool_defdir), "%s/pools", statedir);
	snprintf(pool_actdir, sizeof(pool_actdir), "%s/pools", rundir);
	snprintf(pool_default_path, sizeof(pool_default_path), "%s/images",
		 statedir);
	first = access(pool_defdir, F_OK) < 0;
	if ((mkdir(pool_defdir, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(pool_actdir, 0700) < 0 && errno != EEXIST))
		return -errno;
	pool_load_dir(pool_defdir, false);
	for (p = pools; p; p = p->next)
		if (pool_file(path, sizeof(path), pool_defdir, p->name,
			      ".autostart") == 0)
			p->autostart = access(path, F_OK) == 0;
	pool_load_dir(pool_actdir, true);
	if (first && !pool_by_name("default") && pool_path_ok(pool_default_path)) {
		strcpy(def.name, "default");
		strcpy(def.path, pool_default_path);
		p = pool_define(&def, &e);
		if (p && (pool_set_autostart(p, true, &e) < 0 ||
			  pool_build(p, &e) < 0))
			p = NULL;
		if (!p)
			log_warn("pool default: %s", e.msg);
	}
	for (p = pools; p; p = p->next) {
		if (p->active || !p->autostart)
			continue;
		memset(&e, 0, sizeof(e));
		if (pool_start(p, &e) < 0)
			log_warn("pool %s: autostart: %s", p->name, e.msg);
	}
	return 0;
}
