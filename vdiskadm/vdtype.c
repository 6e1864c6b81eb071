/*
 * The image types vdiskadm creates (REFERENCE.md "vdiskadm": vmdk, vdi,
 * vhd, raw; sparse or fixed) and how each is asked of qemu-img: its
 * format name and the -o options of its sparse and fixed layouts
 * (qemu-img create -f FMT -o help).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdiskadm.h"

static const struct vd_type vd_types[] = {
	/* VMDK: one sparse file, or a descriptor plus a flat data file
	 * (VMware's "monolithicFlat", as Solaris's vmdk:fixed) */
	{ .name = "vmdk", .ext = "vmdk", .qfmt = "vmdk",
	  .opts = { "subformat=monolithicFlat", "subformat=monolithicSparse" },
	  .fixed_data_suffix = "-flat" },
	/* VirtualBox VDI: dynamic or static block map */
	{ .name = "vdi", .ext = "vdi", .qfmt = "vdi",
	  .opts = { "static=on", "static=off" } },
	/* VHD is qemu's "vpc"; force_size keeps the size asked for instead
	 * of rounding it to a CHS geometry */
	{ .name = "vhd", .ext = "vhd", .qfmt = "vpc",
	  .opts = { "subformat=fixed,force_size=on",
		    "subformat=dynamic,force_size=on" } },
	/* raw: always fixed, its blocks allocated at creation */
	{ .name = "raw", .ext = "raw", .qfmt = "raw",
	  .opts = { "", NULL }, .create_opts = "preallocation=falloc" },
};

const struct vd_type *vd_type_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(vd_types); i++)
		if (strcmp(vd_types[i].name, name) == 0)
			return &vd_types[i];
	return NULL;
}

int vd_type_parse(const char *s, const struct vd_type **t, bool *sparse)
{
	const char *colon = strchr(s, ':');
	char name[8];
	size_t n = colon ? (size_t)(colon - s) : strlen(s);

	if (n == 0 || n >= sizeof(name))
		return -EINVAL;
	memcpy(name, s, n);
	name[n] = '\0';
	*t = vd_type_find(name);
	if (!*t)
		return -EINVAL;
	if (!colon) {
		*sparse = (*t)->opts[1] != NULL;
		return 0;
	}
	if (strcmp(colon + 1, "sparse") == 0)
		*sparse = true;
	else if (strcmp(colon + 1, "fixed") == 0)
		*sparse = false;
	else
		return -EINVAL;
	return (*t)->opts[*sparse] ? 0 : -EINVAL;
}

void vd_type_format(const struct vd_type *t, bool sparse, char *buf,
		    size_t len)
{
	snprintf(buf, len, "%s:%s", t->name, sparse ? "sparse" : "fixed");
}

int vd_type_files(const struct vd_type *t, bool sparse, const char *base,
		  char *files[2])
{
	files[0] = files[1] = NULL;
	if (asprintf(&files[0], "%s.%s", base, t->ext) < 0)
		goto fail;
	if (!sparse && t->fixed_data_suffix &&
	    asprintf(&files[1], "%s%s.%s", base, t->fixed_data_suffix,
		     t->ext) < 0)
		goto fail;
	return 0;
fail:
	free(files[0]);
	files[0] = files[1] = NULL;
	return -ENOMEM;
}
