/*
 * ref-inc and ref-dec: the reader/writer counts in vdisk.xml (rwcnt,
 * rocnt) that whoever opens the disk (hv, for a domain) takes and drops,
 * so one writer or many readers use a vdisk, never both: a second
 * writer, or a writer while readers hold it, is refused with vdiskadm's
 * in-use error. The exclusive lock makes each count change atomic
 * between concurrent vdiskadm runs.
 */
#include "vdcmd.h"

static int ref_inc_run(struct vdiskadm *v, const char *path, bool reader)
{
	struct vdisk d;
	int ret = vd_open(v, path, VD_REF, &d);

	if (ret == 0 && reader && d.m.rwcnt)
		ret = vd_fail(v, "Cannot read virtual disk in use by a "
			      "writer");
	else if (ret == 0 && reader && d.m.rocnt == VD_REFCNT_MAX)
		ret = vd_fail(v, "Virtual disk '%s' has %u readers already",
			      d.path, VD_REFCNT_MAX);
	else if (ret == 0 && !reader && (d.m.rwcnt || d.m.rocnt))
		ret = vd_fail(v, "Cannot modify in-use virtual disk");
	else if (ret == 0 && !reader && d.m.readonly)
		ret = vd_fail(v, "Cannot write to read-only virtual disk "
			      "'%s'", d.path);
	if (ret == 0) {
		if (reader)
			d.m.rocnt++;
		else
			d.m.rwcnt = 1;
		ret = vd_save(v, &d);
	}
	vd_close(&d);
	return ret;
}

int vdcmd_ref_inc(struct cli *c, int argc, char **argv)
{
	struct cli_opts o;
	int ret = vd_opts(c, argc, argv, "r", 1, &o);

	if (ret == 0)
		ret = ref_inc_run(vd_of(c), argv[o.optind], o.val['r']);
	cli_opts_free(&o);
	return ret;
}

static int ref_dec_run(struct vdiskadm *v, const char *path)
{
	struct vdisk d;
	int ret = vd_open(v, path, VD_REF, &d);

	if (ret == 0 && !d.m.rwcnt && !d.m.rocnt)
		ret = vd_fail(v, "Virtual disk '%s' is not in use", d.path);
	if (ret == 0) {
		if (d.m.rwcnt)
			d.m.rwcnt = 0;
		else
			d.m.rocnt--;
		ret = vd_save(v, &d);
	}
	vd_close(&d);
	return ret;
}

int vdcmd_ref_dec(struct cli *c, int argc, char **argv)
{
	struct cli_opts o;
	int ret = vd_opts(c, argc, argv, "", 1, &o);

	if (ret == 0)
		ret = ref_dec_run(vd_of(c), argv[o.optind]);
	cli_opts_free(&o);
	return ret;
}
