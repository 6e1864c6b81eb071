/*
 * Unit tests for xvm-install's libvirt-free half (xvm-install/): the
 * domain XML built from a command line compared with the expected text,
 * --network and --boot values, and the errors an administrator sees.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "xvm-install/install.h"

static struct inst_opts opts;
static char err[INST_ERRLEN];

/* Parse a NULL-terminated argument list (argv[0] added). */
#define PARSE(...) parse((const char *[]){ "xvm-install", __VA_ARGS__, NULL })
static int parse(const char **args)
{
	int argc = 0;

	while (args[argc])
		argc++;
	return inst_parse_args(&opts, argc, (char **)args, err);
}

static const char xml_web1[] =
	"<domain type='xvm'>\n"
	"  <name>web1</name>\n"
	"  <memory unit='MiB'>64</memory>\n"
	"  <currentMemory unit='MiB'>64</currentMemory>\n"
	"  <vcpu>1</vcpu>\n"
	"  <os>\n"
	"    <type>xen</type>\n"
	"    <kernel>/boot/minios.elf</kernel>\n"
	"    <cmdline>workload=ping,spin ip=10.0.5.2/24 &amp; &lt;x&gt;</cmdline>\n"
	"  </os>\n"
	"  <devices>\n"
	"    <interface type='bridge'>\n"
	"      <source bridge='phys0'/>\n"
	"      <vlan>\n"
	"        <tag id='5'/>\n"
	"      </vlan>\n"
	"      <bandwidth>\n"
	"        <inbound average='12500'/>\n"
	"        <outbound average='12500'/>\n"
	"      </bandwidth>\n"
	"      <model type='virtio'/>\n"
	"    </interface>\n"
	"    <console type='pty'/>\n"
	"  </devices>\n"
	"</domain>\n";

/* The example command line, with a cmdline holding commas. */
static void test_xml_pv_nic(void)
{
	char *xml;

	CU_ASSERT_EQUAL_FATAL(PARSE("-n", "web1", "-r", "64", "-p", "--boot",
		"kernel=/boot/minios.elf,cmdline=workload=ping,spin "
		"ip=10.0.5.2/24 & <x>", "-w",
		"bridge=phys0,vlanid=5,capped-bandwidth=100M",
		"--noautoconsole"), 0);
	CU_ASSERT(opts.noautoconsole && !opts.autostart);
	xml = inst_build_xml(&opts);
	CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
	CU_ASSERT_STRING_EQUAL(xml, xml_web1);
	free(xml);
}

static const char xml_hvm[] =
	"<domain type='xvm'>\n"
	"  <name>db-2</name>\n"
	"  <memory unit='MiB'>2048</memory>\n"
	"  <currentMemory unit='MiB'>2048</currentMemory>\n"
	"  <vcpu>4</vcpu>\n"
	"  <os>\n"
	"    <type>hvm</type>\n"
	"    <kernel>/k/bzImage</kernel>\n"
	"    <initrd>/k/initrd.img</initrd>\n"
	"    <cmdline>console=ttyS0</cmdline>\n"
	"  </os>\n"
	"  <devices>\n"
	"    <disk type='file' device='disk'>\n"
	"      <driver type='raw'/>\n"
	"      <source file='/var/lib/xvm/db&apos;2.img'/>\n"
	"      <target dev='vda' bus='virtio'/>\n"
	"    </disk>\n"
	"    <interface type='bridge'>\n"
	"      <source bridge='stub0'/>\n"
	"      <mac address='00:16:3e:01:02:03'/>\n"
	"      <model type='virtio'/>\n"
	"    </interface>\n"
	"    <interface type='bridge'>\n"
	"      <source bridge='phys1'/>\n"
	"      <bandwidth>\n"
	"        <inbound average='150'/>\n"
	"        <outbound average='150'/>\n"
	"      </bandwidth>\n"
	"      <model type='virtio'/>\n"
	"    </interface>\n"
	"    <console type='pty'/>\n"
	"  </devices>\n"
	"</domain>\n";

/* -l/-x, an initrd, a disk and two NICs; long option names. */
static void test_xml_hvm_disk(void)
{
	char *xml;

	CU_ASSERT_EQUAL_FATAL(PARSE("--name", "db-2", "--ram", "2048",
		"--vcpus", "4", "--hvm", "-l", "/k/bzImage", "-x",
		"console=ttyS0", "--boot", "initrd=/k/initrd.img", "-f",
		"/var/lib/xvm/db'2.img", "--network",
		"mac=0:16:3e:1:2:3,bridge=stub0", "-w",
		"bridge=phys1,capped-bandwidth=1200K", "--autostart",
		"--nographics", "--connect", "xvm:///system"), 0);
	CU_ASSERT(opts.autostart && opts.nographics);
	CU_ASSERT_STRING_EQUAL(opts.uri, "xvm:///system");
	xml = inst_build_xml(&opts);
	CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
	CU_ASSERT_STRING_EQUAL(xml, xml_hvm);
	free(xml);
}

static void test_network(void)
{
	struct inst_nic nic;

	CU_ASSERT_EQUAL(inst_parse_network("mac=0:16:3e:1:2:3,bridge=phys0,"
		"vlanid=4094,capped-bandwidth=1G", &nic, err), 0);
	CU_ASSERT(nic.has_mac && nic.mac.b[5] == 3);
	CU_ASSERT_STRING_EQUAL(nic.bridge, "phys0");
	CU_ASSERT_EQUAL(nic.vid, 4094);
	CU_ASSERT_EQUAL(nic.maxbw, 1000000000ull);
	CU_ASSERT_EQUAL(inst_bw_to_kbytes(100000000), 12500);
	CU_ASSERT_EQUAL(inst_bw_to_kbytes(1200000), 150);
	CU_ASSERT_EQUAL(inst_bw_to_kbytes(1234567), 154);
}

static void expect_nic_err(const char *spec, const char *msg)
{
	struct inst_nic nic;

	err[0] = '\0';
	CU_ASSERT_EQUAL(inst_parse_network(spec, &nic, err), -EINVAL);
	if (strcmp(err, msg))
		fprintf(stderr, "\n  '%s': got '%s'\n", spec, err);
	CU_ASSERT_STRING_EQUAL(err, msg);
}

static void test_network_errors(void)
{
	expect_nic_err("bridge=phys0,capped-bandwidth=1M",
		       "capped-bandwidth '1M' is below the minimum of 1.2 Mb/s "
		       "(1200K)");
	expect_nic_err("bridge=phys0,capped-bandwidth=1199K",
		       "capped-bandwidth '1199K' is below the minimum of 1.2 "
		       "Mb/s (1200K)");
	expect_nic_err("bridge=phys0,capped-bandwidth=fast",
		       "invalid capped-bandwidth 'fast' (an integer with an "
		       "optional K, M or G suffix, e.g. 100M or 1200K)");
	expect_nic_err("bridge=phys0,vlanid=0",
		       "invalid VLAN identifier '0' (1-4094)");
	expect_nic_err("bridge=phys0,vlanid=4095",
		       "invalid VLAN identifier '4095' (1-4094)");
	expect_nic_err("bridge=phys0,mac=ff:ff:ff:ff:ff:ff",
		       "invalid MAC address 'ff:ff:ff:ff:ff:ff' (a unicast "
		       "address such as 0:16:3e:1:2:3)");
	expect_nic_err("bridge=phys0,mac=0:16:3e:1:2",
		       "invalid MAC address '0:16:3e:1:2' (a unicast address "
		       "such as 0:16:3e:1:2:3)");
	expect_nic_err("bridge=e1000g", "invalid link name 'e1000g'");
	expect_nic_err("vlanid=5", "--network needs bridge=LINK (a physical "
		       "link or an etherstub)");
	expect_nic_err("bridge=phys0,model=e1000", "unknown network option "
		       "'model' (mac, bridge, vlanid, capped-bandwidth)");
	expect_nic_err("bridge=phys0,vlanid=5,vlanid=6",
		       "network option 'vlanid' given twice");
	expect_nic_err("bridge", "network option 'bridge' needs a value");
	expect_nic_err("bridge=", "network option 'bridge' needs a value");
}

static void test_boot(void)
{
	memset(&opts, 0, sizeof(opts));
	CU_ASSERT_EQUAL(inst_parse_boot("cmdline=a=b,c d,initrd=/i,kernel=/k",
					&opts, err), 0);
	CU_ASSERT_STRING_EQUAL(opts.cmdline, "a=b,c d");
	CU_ASSERT_STRING_EQUAL(opts.initrd, "/i");
	CU_ASSERT_STRING_EQUAL(opts.kernel, "/k");
	memset(&opts, 0, sizeof(opts));
	CU_ASSERT_EQUAL(inst_parse_boot("kernel=/k,root=/dev/sda", &opts, err),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "unknown boot option 'root' (kernel=, "
			       "initrd=, cmdline=)");
	memset(&opts, 0, sizeof(opts));
	CU_ASSERT_EQUAL(inst_parse_boot("kernel=", &opts, err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "boot option 'kernel=' needs a value");
	memset(&opts, 0, sizeof(opts));
	CU_ASSERT_EQUAL(inst_parse_boot("kernel=/a,kernel=/b", &opts, err),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "the kernel is given twice");
	memset(&opts, 0, sizeof(opts));
	CU_ASSERT_EQUAL(inst_parse_boot("kernel=/k\n", &opts, err), -EINVAL);
}

static void expect_args_err(const char **args, const char *msg, bool usage)
{
	int argc = 0;

	while (args[argc])
		argc++;
	CU_ASSERT_EQUAL(inst_parse_args(&opts, argc, (char **)args, err),
			-EINVAL);
	if (strcmp(err, msg))
		fprintf(stderr, "\n  got '%s'\n", err);
	CU_ASSERT_STRING_EQUAL(err, msg);
	CU_ASSERT_EQUAL(opts.usage_error, usage);
}
#define ARGS(...) ((const char *[]){ "xvm-install", __VA_ARGS__, NULL })

static void test_args_errors(void)
{
	expect_args_err(ARGS("-r", "64", "-l", "/k"),
			"a domain name is required (-n NAME)", true);
	expect_args_err(ARGS("-n", "a", "-l", "/k"),
			"the memory size is required (-r MB)", true);
	expect_args_err(ARGS("-n", "a", "-r", "64"), "a kernel is required "
			"(--boot kernel=PATH or -l PATH)", true);
	expect_args_err(ARGS("-n", "a", "-r", "0", "-l", "/k"),
			"invalid memory size '0' (MB, 1-1048576)", false);
	expect_args_err(ARGS("-n", "a", "-r", "64", "--vcpus", "65", "-l", "/k"),
			"invalid vCPU count '65' (1-64)", false);
	expect_args_err(ARGS("-n", "a b", "-r", "64", "-l", "/k"),
			"invalid domain name 'a b' (1-64 letters, digits, '.', "
			"'_', '-')", false);
	expect_args_err(ARGS("-n", "a", "-n", "b"),
			"the option -n cannot be specified more than once", true);
	expect_args_err(ARGS("-n", "a", "--vcpus", "1", "--vcpus", "2"),
			"the option --vcpus cannot be specified more than once",
			true);
	expect_args_err(ARGS("-q"), "unrecognized option '-q'", true);
	expect_args_err(ARGS("--bogus"), "unrecognized option '--bogus'", true);
	expect_args_err(ARGS("-n"), "option '-n' requires a value", true);
	expect_args_err(ARGS("-n", "a", "extra"), "unexpected argument 'extra'",
			true);
	expect_args_err(ARGS("-p", "--hvm"),
			"--paravirt and --hvm are mutually exclusive", false);
	expect_args_err(ARGS("-n", "a", "-r", "1", "-l", "/k", "--boot",
			     "kernel=/j"), "the kernel is given twice", false);
	expect_args_err(ARGS("-n", "a", "-r", "1", "--boot", "cmdline=x",
			     "-x", "y"), "the command line is given twice (-x "
			"and --boot)", false);
	expect_args_err(ARGS("-n", "a", "-r", "1", "-l", "/k", "-s", "4"),
			"-s needs -f DISK", false);
	expect_args_err(ARGS("-n", "a", "-r", "1", "-l", "/k", "-w",
			     "bridge=phys0,vlanid=5000"),
			"invalid VLAN identifier '5000' (1-4094)", false);
}

static void test_args_nics_max(void)
{
	const char *args[3 + 2 * (INST_MAX_NICS + 1) + 1];
	int n = 0;

	args[n++] = "xvm-install";
	for (int i = 0; i <= INST_MAX_NICS; i++) {
		args[n++] = "-w";
		args[n++] = "bridge=phys0";
	}
	args[n] = NULL;
	CU_ASSERT_EQUAL(inst_parse_args(&opts, n, (char **)args, err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "at most 8 --network options");
	CU_ASSERT_EQUAL(PARSE("-h"), 0);
	CU_ASSERT(opts.help);
}

static const char xml_seed[] =
	"<domain type='xvm'>\n"
	"  <name>gath-01</name>\n"
	"  <uuid>8f2e5b1c-6a3d-4e7f-9b0a-1c2d3e4f5a6b</uuid>\n"
	"  <memory unit='MiB'>1000</memory>\n"
	"  <currentMemory unit='MiB'>1000</currentMemory>\n"
	"  <vcpu>1</vcpu>\n"
	"  <os>\n"
	"    <type>xen</type>\n"
	"    <kernel>/k</kernel>\n"
	"  </os>\n"
	"  <devices>\n"
	"    <disk type='file' device='disk'>\n"
	"      <driver type='raw'/>\n"
	"      <source file='/xvm/d.img'/>\n"
	"      <target dev='xvda' bus='xen'/>\n"
	"    </disk>\n"
	"    <disk type='file' device='cdrom'>\n"
	"      <driver type='raw'/>\n"
	"      <source file='/isos/sol&amp;dvd.iso'/>\n"
	"      <target dev='xvdc' bus='xen'/>\n"
	"      <readonly/>\n"
	"    </disk>\n"
	"    <interface type='bridge'>\n"
	"      <source bridge='phys0'/>\n"
	"      <mac address='aa:04:03:35:a8:06'/>\n"
	"      <model type='virtio'/>\n"
	"    </interface>\n"
	"    <interface type='bridge'>\n"
	"      <source bridge='stub0'/>\n"
	"      <mac address='00:16:3e:00:00:02'/>\n"
	"      <model type='virtio'/>\n"
	"    </interface>\n"
	"    <console type='pty'/>\n"
	"  </devices>\n"
	"</domain>\n";

/* The seeds' options: -m pairs with the n-th -w, -c is the CD-ROM,
 * --uuid canonicalised, --os-type/--os-variant/--check-cpu/--noreboot
 * accepted; --cdrom as -c, -v as --hvm. */
static void test_seed_options(void)
{
	char *xml;

	CU_ASSERT_EQUAL_FATAL(PARSE("-n", "gath-01", "-r", "1000",
		"--nographics", "-f", "/xvm/d.img", "-w", "bridge=phys0",
		"-w", "bridge=stub0", "-m", "aa:04:03:35:a8:06", "-m",
		"0:16:3e:0:0:2", "-p", "-l", "/k", "-c", "/isos/sol&dvd.iso",
		"--uuid", "8F2E5B1C6A3D4E7F9B0A1C2D3E4F5A6B", "--os-type=linux",
		"--os-variant", "rhel5.3", "--check-cpu", "--noreboot",
		"--connect", "xvm:///system"), 0);
	CU_ASSERT(opts.check_cpu && opts.noreboot && !opts.print_xml &&
		  !opts.dry_run);
	CU_ASSERT_STRING_EQUAL(opts.os_type, "linux");
	CU_ASSERT_STRING_EQUAL(opts.os_variant, "rhel5.3");
	CU_ASSERT_STRING_EQUAL(opts.uri, "xvm:///system");
	xml = inst_build_xml(&opts);
	CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
	if (strcmp(xml, xml_seed))
		fprintf(stderr, "\n%s", xml);
	CU_ASSERT_STRING_EQUAL(xml, xml_seed);
	free(xml);

	CU_ASSERT_EQUAL(PARSE("-n", "h", "-r", "64", "-v", "-l", "/k",
			      "--cdrom", "/c.iso", "--print-xml"), 0);
	CU_ASSERT(opts.virt == INST_HVM && opts.print_xml);
	CU_ASSERT_STRING_EQUAL(opts.cdrom, "/c.iso");
	xml = inst_build_xml(&opts);
	CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
	CU_ASSERT_PTR_NOT_NULL(strstr(xml, "<target dev='hdc' bus='ide'/>\n"
					   "      <readonly/>"));
	CU_ASSERT_PTR_NULL(strstr(xml, "<uuid>"));
	free(xml);
	CU_ASSERT_EQUAL(PARSE("-n", "h", "-r", "64", "-l", "/k", "--dry-run"),
			0);
	CU_ASSERT(opts.dry_run && !opts.print_xml && opts.uri == NULL);
	/* -m with the -w given after it; the flags may be repeated */
	CU_ASSERT_EQUAL(PARSE("-n", "h", "-r", "64", "-l", "/k", "-m",
			      "0:16:3e:1:2:3", "-w", "bridge=phys0",
			      "--check-cpu", "--check-cpu"), 0);
	CU_ASSERT(opts.nics[0].has_mac && opts.nics[0].mac.b[5] == 3);
}

static void test_uuid(void)
{
	char u[37];

	CU_ASSERT_EQUAL(inst_parse_uuid("8f2e5b1c-6a3d-4e7f-9b0a-1c2d3e4f5a6b",
					u), 0);
	CU_ASSERT_STRING_EQUAL(u, "8f2e5b1c-6a3d-4e7f-9b0a-1c2d3e4f5a6b");
	CU_ASSERT_EQUAL(inst_parse_uuid("8F2E5B1C6A3D4E7F9B0A1C2D3E4F5A6B", u),
			0);
	CU_ASSERT_STRING_EQUAL(u, "8f2e5b1c-6a3d-4e7f-9b0a-1c2d3e4f5a6b");
	CU_ASSERT_EQUAL(inst_parse_uuid("8f2e5b1c6a3d4e7f9b0a1c2d3e4f5a6", u),
			-EINVAL);	/* 31 digits */
	CU_ASSERT_EQUAL(inst_parse_uuid("8f2e5b1c6a3d4e7f9b0a1c2d3e4f5a6b0", u),
			-EINVAL);	/* 33 digits */
	CU_ASSERT_EQUAL(inst_parse_uuid("8f2e5b1c-6a3d4e7f-9b0a-1c2d3e4f5a6b",
					u), -EINVAL);	/* dash misplaced */
	CU_ASSERT_EQUAL(inst_parse_uuid("8f2e5b1c-6a3d-4e7f9b0a1c2d3e4f5a6b",
					u), -EINVAL);	/* some dashes */
	CU_ASSERT_EQUAL(inst_parse_uuid("g f2e5b1c-6a3d-4e7f-9b0a-1c2d3e4f5a6",
					u), -EINVAL);
	CU_ASSERT_EQUAL(inst_parse_uuid("", u), -EINVAL);
}

static void test_seed_errors(void)
{
	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k", "-c",
			     "xvm:///system"),
			"-c is --cdrom (a CD-ROM image), as in virt-install; "
			"'xvm:///system' looks like a connection URI: use "
			"--connect URI", false);
	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k", "--vnc"),
			"--vnc: xvm domains have no graphical display (no VNC "
			"or <graphics> device); use --nographics and the text "
			"console (virsh console NAME)", false);
	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k", "-m",
			     "0:16:3e:1:2:3"),
			"-m MAC number 1 has no --network bridge=LINK to go with "
			"(xvm has no default bridge: give -w bridge=LINK)", false);
	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k", "-w",
			     "bridge=phys0,mac=0:16:3e:1:2:4", "-m",
			     "0:16:3e:1:2:3"),
			"-m MAC number 1: --network number 1 already has mac=",
			false);
	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k", "-w",
			     "bridge=phys0", "-m", "1:2:3:4:5:6"),
			"invalid MAC address '1:2:3:4:5:6' (a unicast address "
			"such as 0:16:3e:1:2:3)", false);
	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k", "--uuid",
			     "123"),
			"invalid UUID '123' (32 hex digits, e.g. "
			"8f2e5b1c-6a3d-4e7f-9b0a-1c2d3e4f5a6b)", false);
	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k", "--uuid",
			     "8f2e5b1c6a3d4e7f9b0a1c2d3e4f5a6b", "--uuid",
			     "8f2e5b1c6a3d4e7f9b0a1c2d3e4f5a6b"),
			"the option --uuid cannot be specified more than once",
			true);
	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k", "--os-type",
			     "linux os"),
			"invalid --os-type 'linux os' (1-31 letters, digits, "
			"'.', '_', '-')", false);
	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k",
			     "--os-variant", ""),
			"invalid --os-variant '' (1-63 letters, digits, '.', "
			"'_', '-')", false);
	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k",
			     "--os-type=linux", "os-variant=rhel5.3"),
			"unexpected argument 'os-variant=rhel5.3' (did you mean "
			"--os-variant=rhel5.3?)", true);
	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k", "x=y"),
			"unexpected argument 'x=y'", true);
	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k", "--print-xml",
			     "--dry-run"),
			"--print-xml and --dry-run are mutually exclusive", false);
	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k", "-c"),
			"option '-c' requires a value", true);
	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k", "-p", "-v"),
			"--paravirt and --hvm are mutually exclusive", false);
	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k", "--connect",
			     "a", "--connect", "b"),
			"the option --connect cannot be specified more than once",
			true);
	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k", "-c", "/a",
			     "--cdrom", "/b"),
			"the option -c cannot be specified more than once", true);
}

/* virt-install's newer --disk, --graphics none and --import. */
static void test_disk_graphics(void)
{
	CU_ASSERT_EQUAL(PARSE("-n", "a", "-r", "64", "-l", "/k", "--disk",
			      "/x.img,size=4,format=raw", "--disk",
			      "path=/c.iso,device=cdrom,readonly", "--graphics",
			      "none", "--import"), 0);
	CU_ASSERT_STRING_EQUAL(opts.disk, "/x.img");
	CU_ASSERT_EQUAL(opts.disk_gb, 4);
	CU_ASSERT_STRING_EQUAL(opts.cdrom, "/c.iso");
	CU_ASSERT(opts.nographics && opts.import);
	CU_ASSERT_EQUAL(PARSE("-n", "a", "-r", "64", "-l", "/k", "--disk",
			      "path=/x.img,device=disk", "-s", "2"), 0);
	CU_ASSERT_STRING_EQUAL(opts.disk, "/x.img");
	CU_ASSERT_EQUAL(opts.disk_gb, 2);

	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k", "--graphics",
			     "vnc,listen=0.0.0.0"),
			"--graphics vnc,listen=0.0.0.0: xvm domains have no "
			"graphical display (no VNC or <graphics> device); use "
			"--graphics none and the text console (virsh console "
			"NAME)", false);
	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k", "--disk", "/b",
			     "-f", "/a"),
			"the disk is given twice (-f and --disk; xvm-install "
			"attaches one disk)", false);
	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k", "-f", "/a",
			     "--disk", "/b"),
			"the disk is given twice (-f and --disk; xvm-install "
			"attaches one disk)", false);
	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k", "--disk",
			     "/b,size=2", "-s", "3"),
			"the disk size is given twice (-s and --disk size=)",
			false);
	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k", "-c", "/a.iso",
			     "--disk", "/b.iso,device=cdrom"),
			"the CD-ROM is given twice (-c and --disk device=cdrom)",
			false);
	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k", "--disk",
			     "/b,format=qed"),
			"unsupported disk format 'qed' (raw, qcow2, vmdk, vdi, "
			"vpc)", false);
	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k", "--disk",
			     "/b.iso,device=cdrom,format=qcow2"),
			"--disk device=cdrom: a CD-ROM image is raw "
			"(format=qcow2)", false);
	CU_ASSERT_EQUAL(PARSE("-n", "a", "-r", "64", "-l", "/k", "--disk",
			      "/x.qcow2,size=3,format=qcow2"), 0);
	CU_ASSERT_STRING_EQUAL(opts.disk_format, "qcow2");
	CU_ASSERT_EQUAL(opts.disk_gb, 3);
	{
		char *xml = inst_build_xml(&opts);

		CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
		CU_ASSERT_PTR_NOT_NULL(strstr(xml, "      <driver type='qcow2'/>\n"
					      "      <source file='/x.qcow2'/>\n"));
		free(xml);
	}
	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k", "--disk",
			     "/b,device=floppy"),
			"unsupported disk device 'floppy' (disk, cdrom)", false);
	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k", "--disk",
			     "/b,bus=virtio"),
			"unknown disk option 'bus' (path, size, device, format, "
			"readonly)", false);
	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k", "--disk",
			     "size=3"),
			"--disk needs a path (--disk path=FILE)", false);
	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k", "--disk",
			     "/b,size=0"), "invalid disk size '0' (GB, 1-65536)",
			false);
	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k", "--disk",
			     "/b,readonly"),
			"--disk readonly: only a device=cdrom disk is read-only "
			"here", false);
	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k", "--disk",
			     "/c.iso,device=cdrom,size=1"),
			"--disk device=cdrom cannot have size=", false);
	expect_args_err(ARGS("-n", "a", "-r", "64", "-l", "/k", "--disk",
			     "/b,size"), "disk option 'size' needs a value",
			false);
}

static CU_TestInfo tests[] = {
	{ "disk_graphics", test_disk_graphics },
	{ "seed_options", test_seed_options },
	{ "uuid", test_uuid },
	{ "seed_errors", test_seed_errors },
	{ "xml_pv_nic", test_xml_pv_nic },
	{ "xml_hvm_disk", test_xml_hvm_disk },
	{ "network", test_network },
	{ "network_errors", test_network_errors },
	{ "boot", test_boot },
	{ "args_errors", test_args_errors },
	{ "args_nics_max", test_args_nics_max },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(install, NULL, NULL, tests);
