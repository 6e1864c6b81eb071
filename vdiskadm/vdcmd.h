/*
 * What the subcommands (cmd_*.c) share, from vdiskadm.c: option and
 * operand parsing with vdiskadm's messages.
 */
#ifndef VDCMD_H
#define VDCMD_H

#include "vdiskadm.h"

/* Options of optstring, then exactly nops operands (from o->optind). 0,
 * or the exit status after printing the error (and the usage). */
int vd_opts(struct cli *c, int argc, char **argv, const char *optstring,
	    int nops, struct cli_opts *o);
/* -t (NULL: vmdk:sparse), -s, -c checked: 0, or 1 after the error. */
int vd_opt_type(struct vdiskadm *v, const char *s,
		const struct vd_type **t, bool *sparse);
int vd_opt_size(struct vdiskadm *v, const char *s, uint64_t *bytes);
int vd_opt_comment(struct vdiskadm *v, const char *s);
/* A new vdisk's vdisk.xml contents, created now, not in use. */
void vd_meta_new(struct vd_meta *m, const char *path,
		 const struct vd_type *t, bool sparse, uint64_t size,
		 const char *desc);

#endif
