/*
 * xvm-install's command line (install.h): the Solaris xVM virt-install
 * options into struct inst_opts. Every value is checked here, with the
 * same link-name, VLAN and bandwidth rules as vnicadm (lib/linkprop.c,
 * lib/units.c, lib/mac.c), so a bad value fails before anything is sent to
 * xvmd. Option errors read as REFERENCE.md "Errors and exit status" says.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xvm/units.h"
#include "install.h"

static const char usage_text[] =
	"usage: xvm-install -n NAME -r MB [--vcpus N] [-p | --hvm | -v]\n"
	"         {--boot kernel=PATH[,initrd=PATH][,cmdline=TEXT] | -l KERNEL [-x ARGS]}\n"
	"         [-f DISK [-s SIZE_GB]] [-c CDROM] [--uuid UUID]\n"
	"         [--disk [path=]P[,size=GB][,format=F][,device=disk|cdrom]]...\n"
	"         [--import]\n"
	"         [-w mac=M,bridge=LINK,vlanid=N,capped-bandwidth=BW]... [-m MAC]...\n"
	"         [--os-type T] [--os-variant V] [--check-cpu] [--noreboot]\n"
	"         [--autostart] [--noautoconsole] [--nographics | --graphics none]\n"
	"         [--print-xml | --dry-run] [--connect URI]\n";

const char *inst_usage(void)
{
	return usage_text;
}

static int errf(char err[INST_ERRLEN], const char *fmt, ...) PRINTF(2, 3);
static int errf(char err[INST_ERRLEN], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, INST_ERRLEN, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int parse_uint(const char *s, unsigned int min, unsigned int max,
		      unsigned int *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

/* Text that goes into XML and onto a kernel command line: printable. */
static bool text_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int copy_value(char *dst, size_t len, const char *what,
		      const char *val, char err[INST_ERRLEN])
{
	if (!text_ok(val))
		return errf(err, "%s contains control characters", what);
	if (strlen(val) >= len)
		return errf(err, "%s is too long (at most %zu characters)", what,
			    len - 1);
	strcpy(dst, val);
	return 0;
}

/* ---- --network ---- */

uint64_t inst_bw_to_kbytes(uint64_t bps)
{
	uint64_t kb = (bps + 4000) / 8000;

	return kb ? kb : 1;
}

static int nic_bw(struct inst_nic *nic, const char *val, char err[INST_ERRLEN])
{
	uint64_t bps;
	int rc = units_parse_bw(val, &bps);

	if (rc == -ENOTSUP)
		return errf(err, "capped-bandwidth '%s': percentages are not "
			    "supported", val);
	if (rc)
		return errf(err, "invalid capped-bandwidth '%s' (an integer with "
			    "an optional K, M or G suffix, e.g. 100M or 1200K)",
			    val);
	if (bps < MAXBW_MIN_BPS)
		return errf(err, "capped-bandwidth '%s' is below the minimum of "
			    "1.2 Mb/s (1200K)", val);
	nic->maxbw = bps;
	return 0;
}

static int nic_item(struct inst_nic *nic, const char *key, const char *val,
		    char err[INST_ERRLEN])
{
	if (strcmp(key, "mac") == 0) {
		if (mac_parse(val, &nic->mac) || !mac_is_unicast(&nic->mac))
			return errf(err, "invalid MAC address '%s' (a unicast "
				    "address such as 0:16:3e:1:2:3)", val);
		nic->has_mac = true;
	} else if (strcmp(key, "bridge") == 0) {
		if (!linkname_valid(val))
			return errf(err, "invalid link name '%s'", val);
		strcpy(nic->bridge, val);	/* < LINKNAME_MAX: checked */
	} else if (strcmp(key, "vlanid") == 0) {
		if (vid_parse(val, &nic->vid))
			return errf(err, "invalid VLAN identifier '%s' (1-4094)",
				    val);
	} else if (strcmp(key, "capped-bandwidth") == 0) {
		return nic_bw(nic, val, err);
	} else {
		return errf(err, "unknown network option '%s' (mac, bridge, "
			    "vlanid, capped-bandwidth)", key);
	}
	return 0;
}

int inst_parse_network(const char *spec, struct inst_nic *nic,
		       char err[INST_ERRLEN])
{
	char buf[256], *item, *save = NULL;
	unsigned int seen = 0;
	static const char *const keys[] = { "mac", "bridge", "vlanid",
					    "capped-bandwidth" };

	memset(nic, 0, sizeof(*nic));
	if (strlen(spec) >= sizeof(buf))
		return errf(err, "--network value is too long");
	strcpy(buf, spec);
	for (item = strtok_r(buf, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		int rc;

		if (eq)
			*eq = '\0';
		if (!eq || eq[1] == '\0')
			return errf(err, "network option '%s' needs a value",
				    item);
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
			if (strcmp(item, keys[i]) != 0)
				continue;
			if (seen & (1u << i))
				return errf(err, "network option '%s' given "
					    "twice", item);
			seen |= 1u << i;
		}
		rc = nic_item(nic, item, eq + 1, err);
		if (rc)
			return rc;
	}
	if (!nic->bridge[0])
		return errf(err, "--network needs bridge=LINK (a physical link "
			    "or an etherstub)");
	return 0;
}

/* ---- --uuid ---- */

int inst_parse_uuid(const char *s, char out[37])
{
	static const char dash_at[] = { 8, 12, 16, 20 };
	unsigned int nhex = 0, di = 0;
	char *o = out;

	for (; *s; s++) {
		if (*s == '-') {
			if (di >= sizeof(dash_at) || nhex != (unsigned)dash_at[di])
				return -EINVAL;
			di++;
			continue;
		}
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
		      (*s >= 'A' && *s <= 'F')) || nhex >= 32)
			return -EINVAL;
		if (nhex == 8 || nhex == 12 || nhex == 16 || nhex == 20)
			*o++ = '-';
		*o++ = (char)(*s >= 'A' && *s <= 'F' ? *s - 'A' + 'a' : *s);
		nhex++;
	}
	*o = '\0';
	return nhex == 32 && (di == 0 || di == 4) ? 0 : -EINVAL;
}

/* --os-type/--os-variant: a word (libosinfo ids are such words). */
static int os_word(char *dst, size_t len, const char *what, const char *val,
		   char err[INST_ERRLEN])
{
	if (!val[0] || strlen(val) >= len ||
	    strspn(val, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789._-") != strlen(val))
		return errf(err, "invalid %s '%s' (1-%zu letters, digits, '.', "
			    "'_', '-')", what, val, len - 1);
	strcpy(dst, val);
	return 0;
}

/* ---- --disk ---- */

/* "[path=]P[,size=GB][,device=disk|cdrom][,format=F][,readonly]" into
 * -f/-s or -c. */
static int opt_disk(struct inst_opts *o, const char *spec,
		    char err[INST_ERRLEN])
{
	char buf[PATH_MAX + 64], *item, *save = NULL;
	const char *path = NULL, *fmt = NULL;
	bool cdrom = false, ro = false;
	unsigned int gb = 0;

	if (strlen(spec) >= sizeof(buf))
		return errf(err, "--disk value is too long");
	strcpy(buf, spec);
	for (item = strtok_r(buf, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		const char *v = eq ? eq + 1 : NULL;

		if (eq)
			*eq = '\0';
		if (!eq && item == buf && strcmp(item, "readonly")) {
			path = item;
		} else if (!eq && strcmp(item, "readonly") == 0) {
			ro = true;
		} else if (!eq || !*v) {
			return errf(err, "disk option '%s' needs a value", item);
		} else if (strcmp(item, "path") == 0) {
			path = v;
		} else if (strcmp(item, "size") == 0) {
			if (parse_uint(v, 1, INST_MAX_DISK_GB, &gb))
				return errf(err, "invalid disk size '%s' (GB, "
					    "1-%u)", v, INST_MAX_DISK_GB);
		} else if (strcmp(item, "device") == 0) {
			if (strcmp(v, "disk") && strcmp(v, "cdrom"))
				return errf(err, "unsupported disk device '%s' "
					    "(disk, cdrom)", v);
			cdrom = strcmp(v, "cdrom") == 0;
		} else if (strcmp(item, "format") == 0) {
			/* the formats xvmd serves (xvmd.8 "Disks") */
			if (strcmp(v, "raw") && strcmp(v, "qcow2") &&
			    strcmp(v, "vmdk") && strcmp(v, "vdi") &&
			    strcmp(v, "vpc"))
				return errf(err, "unsupported disk format '%s' "
					    "(raw, qcow2, vmdk, vdi, vpc)", v);
			fmt = v;
		} else {
			return errf(err, "unknown disk option '%s' (path, size, "
				    "device, format, readonly)", item);
		}
	}
	if (!path || !*path)
		return errf(err, "--disk needs a path (--disk path=FILE)");
	if (cdrom) {
		if (gb)
			return errf(err, "--disk device=cdrom cannot have size=");
		if (fmt && strcmp(fmt, "raw"))
			return errf(err, "--disk device=cdrom: a CD-ROM image "
				    "is raw (format=%s)", fmt);
		if (o->cdrom[0])
			return errf(err, "the CD-ROM is given twice (-c and "
				    "--disk device=cdrom)");
		return copy_value(o->cdrom, sizeof(o->cdrom), "--disk", path, err);
	}
	if (ro)
		return errf(err, "--disk readonly: only a device=cdrom disk is "
			    "read-only here");
	if (o->disk[0])
		return errf(err, "the disk is given twice (-f and --disk; xvm-install "
			    "attaches one disk)");
	if (gb && o->disk_gb)
		return errf(err, "the disk size is given twice (-s and --disk "
			    "size=)");
	if (gb)
		o->disk_gb = gb;
	if (fmt)
		snprintf(o->disk_format, sizeof(o->disk_format), "%s", fmt);
	return copy_value(o->disk, sizeof(o->disk), "--disk", path, err);
}

/* ---- --boot ---- */

static const char *const boot_keys[] = { "kernel=", "initrd=", "cmdline=" };

static int boot_key(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(boot_keys); i++)
		if (strncmp(s, boot_keys[i], strlen(boot_keys[i])) == 0)
			return (int)i;
	return -1;
}

/* End of the value of key k starting at v: the next comma for paths, the
 * next ",key=" for the command line. */
static const char *boot_value_end(const char *v, int k)
{
	const char *c = v;

	while ((c = strchr(c, ',')) && k == 2 && boot_key(c + 1) < 0)
		c++;
	return c ? c : v + strlen(v);
}

int inst_parse_boot(const char *spec, struct inst_opts *o,
		    char err[INST_ERRLEN])
{
	char *dst[] = { o->kernel, o->initrd, o->cmdline };
	size_t len[] = { sizeof(o->kernel), sizeof(o->initrd),
			 sizeof(o->cmdline) };
	char val[INST_CMDLINE_MAX + PATH_MAX];
	const char *p = spec;

	while (*p) {
		int k = boot_key(p);
		const char *v, *end;

		if (k < 0)
			return errf(err, "unknown boot option '%.*s' (kernel=, "
				    "initrd=, cmdline=)", (int)strcspn(p, ",="), p);
		v = p + strlen(boot_keys[k]);
		end = boot_value_end(v, k);
		if ((size_t)(end - v) >= MIN(len[k], sizeof(val)))
			return errf(err, "boot option '%s' is too long",
				    boot_keys[k]);
		memcpy(val, v, (size_t)(end - v));
		val[end - v] = '\0';
		if (!val[0] && k != 2)
			return errf(err, "boot option '%s' needs a value",
				    boot_keys[k]);
		if (dst[k][0])
			return errf(err, "the %s is given twice",
				    k == 0 ? "kernel" : k == 1 ? "initrd"
				    : "command line");
		if (copy_value(dst[k], len[k], boot_keys[k], val, err))
			return -EINVAL;
		p = *end ? end + 1 : end;
	}
	return 0;
}

/* ---- the command line ---- */

enum {
	OPT_VCPUS = 0x100, OPT_HVM, OPT_BOOT, OPT_AUTOSTART, OPT_NOCONSOLE,
	OPT_NOGRAPHICS, OPT_CONNECT, OPT_OS_TYPE, OPT_OS_VARIANT, OPT_CHECK_CPU,
	OPT_VNC, OPT_PRINT_XML, OPT_DRY_RUN, OPT_NOREBOOT, OPT_UUID, OPT_DISK,
	OPT_GRAPHICS, OPT_IMPORT,
};

static const struct option long_opts[] = {
	{ "name", required_argument, NULL, 'n' },
	{ "ram", required_argument, NULL, 'r' },
	{ "memory", required_argument, NULL, 'r' },
	{ "vcpus", required_argument, NULL, OPT_VCPUS },
	{ "paravirt", no_argument, NULL, 'p' },
	{ "hvm", no_argument, NULL, OPT_HVM },
	{ "boot", required_argument, NULL, OPT_BOOT },
	{ "location", required_argument, NULL, 'l' },
	{ "extra-args", required_argument, NULL, 'x' },
	{ "file", required_argument, NULL, 'f' },
	{ "file-size", required_argument, NULL, 's' },
	{ "network", required_argument, NULL, 'w' },
	{ "autostart", no_argument, NULL, OPT_AUTOSTART },
	{ "noautoconsole", no_argument, NULL, OPT_NOCONSOLE },
	{ "nographics", no_argument, NULL, OPT_NOGRAPHICS },
	{ "connect", required_argument, NULL, OPT_CONNECT },
	{ "cdrom", required_argument, NULL, 'c' },
	{ "mac", required_argument, NULL, 'm' },
	{ "os-type", required_argument, NULL, OPT_OS_TYPE },
	{ "os-variant", required_argument, NULL, OPT_OS_VARIANT },
	{ "check-cpu", no_argument, NULL, OPT_CHECK_CPU },
	{ "vnc", no_argument, NULL, OPT_VNC },
	{ "print-xml", no_argument, NULL, OPT_PRINT_XML },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "noreboot", no_argument, NULL, OPT_NOREBOOT },
	{ "uuid", required_argument, NULL, OPT_UUID },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "graphics", required_argument, NULL, OPT_GRAPHICS },
	{ "import", no_argument, NULL, OPT_IMPORT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int usage_err(struct inst_opts *o, char err[INST_ERRLEN],
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int usage_err(struct inst_opts *o, char err[INST_ERRLEN],
		     const char *fmt, ...)
{
	va_list ap;

	o->usage_error = true;
	va_start(ap, fmt);
	vsnprintf(err, INST_ERRLEN, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The option as typed, for messages ("-n", "--name"). */
static const char *opt_text(int c, char buf[3])
{
	for (const struct option *l = long_opts; l->name; l++)
		if (l->val == c && c >= 0x100)
			return l->name;
	buf[0] = '-';
	buf[1] = (char)c;
	buf[2] = '\0';
	return buf;
}

static int opt_value(struct inst_opts *o, int c, const char *arg,
		     bool *virt_set, char err[INST_ERRLEN])
{
	switch (c) {
	case 'n':
		if (strlen(arg) > INST_NAME_MAX || !arg[0] ||
		    strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			   "0123456789._-") != strlen(arg))
			return errf(err, "invalid domain name '%s' (1-%d letters, "
				    "digits, '.', '_', '-')", arg, INST_NAME_MAX);
		strcpy(o->name, arg);
		return 0;
	case 'r':
		return parse_uint(arg, 1, INST_MAX_RAM_MB, &o->ram_mb) ?
		       errf(err, "invalid memory size '%s' (MB, 1-%u)", arg,
			    INST_MAX_RAM_MB) : 0;
	case OPT_VCPUS:
		return parse_uint(arg, 1, INST_MAX_VCPUS, &o->vcpus) ?
		       errf(err, "invalid vCPU count '%s' (1-%d)", arg,
			    INST_MAX_VCPUS) : 0;
	case 's':
		if (o->disk_gb)
			return errf(err, "the disk size is given twice (-s and "
				    "--disk size=)");
		return parse_uint(arg, 1, INST_MAX_DISK_GB, &o->disk_gb) ?
		       errf(err, "invalid disk size '%s' (GB, 1-%u)", arg,
			    INST_MAX_DISK_GB) : 0;
	case 'p':
	case 'v':
	case OPT_HVM:
		if (*virt_set && o->virt != (c == 'p' ? INST_PV : INST_HVM))
			return errf(err, "--paravirt and --hvm are mutually "
				    "exclusive");
		*virt_set = true;
		o->virt = c == 'p' ? INST_PV : INST_HVM;
		return 0;
	case 'l': return copy_value(o->kernel, sizeof(o->kernel), "-l", arg, err);
	case 'x': return copy_value(o->cmdline, sizeof(o->cmdline), "-x", arg, err);
	case 'f':
		if (o->disk[0])
			return errf(err, "the disk is given twice (-f and --disk; "
				    "xvm-install attaches one disk)");
		return copy_value(o->disk, sizeof(o->disk), "-f", arg, err);
	case OPT_BOOT: return inst_parse_boot(arg, o, err);
	case 'c':
		if (strstr(arg, "://"))
			return errf(err, "-c is --cdrom (a CD-ROM image), as in "
				    "virt-install; '%s' looks like a connection "
				    "URI: use --connect URI", arg);
		if (o->cdrom[0])
			return errf(err, "the CD-ROM is given twice (-c and "
				    "--disk device=cdrom)");
		return copy_value(o->cdrom, sizeof(o->cdrom), "-c", arg, err);
	case OPT_CONNECT: o->uri = arg; return 0;
	case OPT_UUID:
		return inst_parse_uuid(arg, o->uuid) ?
		       errf(err, "invalid UUID '%s' (32 hex digits, e.g. "
			    "8f2e5b1c-6a3d-4e7f-9b0a-1c2d3e4f5a6b)", arg) : 0;
	case OPT_OS_TYPE:
		return os_word(o->os_type, sizeof(o->os_type), "--os-type",
			       arg, err);
	case OPT_OS_VARIANT:
		return os_word(o->os_variant, sizeof(o->os_variant),
			       "--os-variant", arg, err);
	case OPT_DISK: return opt_disk(o, arg, err);
	case OPT_IMPORT: o->import = true; return 0;
	case OPT_GRAPHICS:
		if (strcmp(arg, "none") == 0) {
			o->nographics = true;
			return 0;
		}
		return errf(err, "--graphics %s: xvm domains have no graphical "
			    "display (no VNC or <graphics> device); use "
			    "--graphics none and the text console (virsh console "
			    "NAME)", arg);
	case OPT_VNC:
		return errf(err, "--vnc: xvm domains have no graphical display "
			    "(no VNC or <graphics> device); use --nographics "
			    "and the text console (virsh console NAME)");
	case OPT_CHECK_CPU: o->check_cpu = true; return 0;
	case OPT_PRINT_XML: o->print_xml = true; return 0;
	case OPT_DRY_RUN: o->dry_run = true; return 0;
	case OPT_NOREBOOT: o->noreboot = true; return 0;
	case OPT_AUTOSTART: o->autostart = true; return 0;
	case OPT_NOCONSOLE: o->noautoconsole = true; return 0;
	case OPT_NOGRAPHICS: o->nographics = true; return 0;
	case 'h': o->help = true; return 0;
	}
	return errf(err, "internal error: option %d", c);
}

static int opt_network(struct inst_opts *o, const char *arg,
		       char err[INST_ERRLEN])
{
	if (o->nnics >= INST_MAX_NICS)
		return errf(err, "at most %d --network options", INST_MAX_NICS);
	if (inst_parse_network(arg, &o->nics[o->nnics], err))
		return -EINVAL;
	o->nnics++;
	return 0;
}

/* -m MAC: the n-th -m is the MAC of the n-th --network (virt-install's
 * pairing of -m with -b/-w). */
static int opt_mac(const char *arg, struct mac_addr *macs, unsigned int *n,
		   char err[INST_ERRLEN])
{
	if (*n >= INST_MAX_NICS)
		return errf(err, "at most %d -m options", INST_MAX_NICS);
	if (mac_parse(arg, &macs[*n]) || !mac_is_unicast(&macs[*n]))
		return errf(err, "invalid MAC address '%s' (a unicast address "
			    "such as 0:16:3e:1:2:3)", arg);
	(*n)++;
	return 0;
}

static int apply_macs(struct inst_opts *o, const struct mac_addr *macs,
		      unsigned int n, char err[INST_ERRLEN])
{
	for (unsigned int i = 0; i < n; i++) {
		if (i >= o->nnics)
			return errf(err, "-m MAC number %u has no --network "
				    "bridge=LINK to go with (xvm has no default "
				    "bridge: give -w bridge=LINK)", i + 1);
		if (o->nics[i].has_mac)
			return errf(err, "-m MAC number %u: --network number %u "
				    "already has mac=", i + 1, i + 1);
		o->nics[i].mac = macs[i];
		o->nics[i].has_mac = true;
	}
	return 0;
}

/* What must be there once every option is read. */
static int opts_complete(struct inst_opts *o, char err[INST_ERRLEN])
{
	if (o->help)
		return 0;
	if (o->print_xml && o->dry_run)
		return errf(err, "--print-xml and --dry-run are mutually "
			    "exclusive");
	if (!o->name[0])
		return usage_err(o, err, "%s", "a domain name is required (-n NAME)");
	if (!o->ram_mb)
		return usage_err(o, err, "%s", "the memory size is required (-r MB)");
	if (!o->kernel[0])
		return usage_err(o, err, "%s", "a kernel is required "
				 "(--boot kernel=PATH or -l PATH)");
	if (o->disk_gb && !o->disk[0])
		return errf(err, "-s needs -f DISK");
	return 0;
}

/* Options that take a value may be given once, except -w. */
static int opt_once(struct inst_opts *o, int c, unsigned char *seen,
		    char err[INST_ERRLEN])
{
	char buf[3];
	const char *t = opt_text(c, buf);

	if (c == 'w' || c == 'm' || c == 'h' || c == 'p' || c == 'v' ||
	    c == OPT_HVM || c == OPT_AUTOSTART || c == OPT_NOCONSOLE ||
	    c == OPT_NOGRAPHICS || c == OPT_CHECK_CPU || c == OPT_PRINT_XML ||
	    c == OPT_DRY_RUN || c == OPT_NOREBOOT || c == OPT_VNC ||
	    c == OPT_DISK || c == OPT_IMPORT)
		return 0;
	if (seen[c]) {
		o->usage_error = true;
		snprintf(err, INST_ERRLEN, "the option %s%s cannot be specified "
			 "more than once", c >= 0x100 ? "--" : "", t);
		return -EINVAL;
	}
	seen[c] = 1;
	return 0;
}

/* getopt's '?' and ':' as REFERENCE.md words them. */
static int opt_error(struct inst_opts *o, int c, char **argv,
		     char err[INST_ERRLEN])
{
	const char *typed = argv[optind - 1];
	char buf[3];

	if (optopt && optopt < 0x100) {
		buf[0] = '-';
		buf[1] = (char)optopt;
		buf[2] = '\0';
		typed = buf;
	}
	return usage_err(o, err, c == ':' ? "option '%s' requires a value"
					   : "unrecognized option '%s'", typed);
}

int inst_parse_args(struct inst_opts *o, int argc, char **argv,
		    char err[INST_ERRLEN])
{
	unsigned char seen[0x200] = { 0 };
	struct mac_addr macs[INST_MAX_NICS];
	unsigned int nmacs = 0;
	bool virt_set = false;
	int c, rc;

	memset(o, 0, sizeof(*o));
	o->vcpus = 1;
	o->virt = INST_PV;
	err[0] = '\0';
	optind = 0;		/* glibc: full re-initialisation */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:r:pvl:x:f:s:w:c:m:h", long_opts,
				NULL)) != -1) {
		if (c == '?' || c == ':')
			return opt_error(o, c, argv, err);
		rc = opt_once(o, c, seen, err);
		if (!rc && (c == 'l' || c == 'x') &&
		    (c == 'l' ? o->kernel : o->cmdline)[0])
			rc = errf(err, "the %s is given twice (%s and --boot)",
				  c == 'l' ? "kernel" : "command line",
				  c == 'l' ? "-l" : "-x");
		if (!rc)
			rc = c == 'w' ? opt_network(o, optarg, err)
			   : c == 'm' ? opt_mac(optarg, macs, &nmacs, err)
				      : opt_value(o, c, optarg, &virt_set, err);
		if (rc)
			return rc;
	}
	if (optind < argc) {
		const char *a = argv[optind];
		size_t klen = strcspn(a, "=");

		/* the seeds' "--os-type=linux os-variant=rhel5" */
		for (const struct option *l = long_opts; a[klen] && l->name; l++)
			if (l->has_arg == required_argument &&
			    strlen(l->name) == klen &&
			    strncmp(a, l->name, klen) == 0)
				return usage_err(o, err, "unexpected argument "
						 "'%s' (did you mean --%s?)", a, a);
		return usage_err(o, err, "unexpected argument '%s'", a);
	}
	rc = apply_macs(o, macs, nmacs, err);
	return rc ? rc : opts_complete(o, err);
}
