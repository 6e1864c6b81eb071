/*
 * vdiskadm: Solaris xVM's vdiskadm for xvm (REFERENCE.md "vdiskadm",
 * docs/vdiskadm.1). A vdisk is a directory holding the image file(s) and
 * vdisk.xml; every byte of image data is read and written by qemu-img
 * (qemuimg.c), never by code of ours. Internal interfaces between the
 * command table (vdiskadm.c), the image types (vdtype.c), the vdisk.xml
 * codec (vdxml.c), opening and locking a vdisk (vdisk.c), image work
 * (image.c) and the subcommands (cmd_*.c). Nothing here exits:
 * vdiskadm_main() returns the exit status (0, 1 error, 2 usage), so the
 * unit tests run whole command lines in-process.
 */
#ifndef VDISKADM_H
#define VDISKADM_H

#include <stdio.h>
#include <sys/types.h>

#include "xvm/cli.h"
#include "xvm/common.h"

#define VD_PROG		"vdiskadm"
#define VD_NAME_MAX	64	/* a vdisk's or snapshot's name */
#define VD_DESC_MAX	256	/* description (-c comment) */
#define VD_MAX_SNAPS	64	/* snapshots of one vdisk */
#define VD_XML_MAX	(256 * 1024)	/* a vdisk.xml larger is refused */
#define VD_SIZE_MAX	(64ull << 40)	/* sanity bound on -s (64T) */
#define VD_XML		"vdisk.xml"
#define VD_STATUS_USAGE	2

struct vdiskadm {
	struct cli cli;		/* prog "vdiskadm", usage status 2 */
};

static inline struct vdiskadm *vd_of(struct cli *c)
{
	return container_of(c, struct vdiskadm, cli);
}

void vdiskadm_init(struct vdiskadm *v, FILE *out, FILE *err);
/* Run one command line (argv[0] the program); the exit status. */
int vdiskadm_main(int argc, char **argv, FILE *out, FILE *err);

/* "ERROR: <message>" on stderr (REFERENCE.md "vdiskadm"); returns 1. */
int vd_fail(struct vdiskadm *v, const char *fmt, ...) PRINTF(2, 3);
#define vd_usage_fail(v, ...)	cli_usage_fail(&(v)->cli, __VA_ARGS__)

/* ---- image types (vdtype.c) ---- */

/*
 * One image format vdiskadm creates, looked up by name. Everything
 * format-specific is in this table; the rest of vdiskadm asks qemu-img.
 */
struct vd_type {
	const char *name;	/* -t and vdisk.xml vtype: "vhd" */
	const char *ext;	/* image file extension: "vhd" */
	const char *qfmt;	/* qemu-img's format name: "vpc" */
	/* qemu-img -o for [0] fixed and [1] sparse images; NULL: this
	 * type has no such option (raw is always fixed) */
	const char *opts[2];
	/* extra -o for qemu-img create only (raw: allocate the blocks) */
	const char *create_opts;
	/* fixed images in two files: the data in "<base><suffix>.<ext>"
	 * next to the descriptor (vmdk's "-flat"); NULL: one file */
	const char *fixed_data_suffix;
};

const struct vd_type *vd_type_find(const char *name);
/*
 * "-t type[:opt]": type vmdk (default), vdi, vhd or raw, opt sparse or
 * fixed (default sparse, raw fixed). 0, or -EINVAL.
 */
int vd_type_parse(const char *s, const struct vd_type **t, bool *sparse);
/* "vmdk:sparse", as -t takes it. */
void vd_type_format(const struct vd_type *t, bool sparse, char *buf,
		    size_t len);
/* The image's files for base name base ("vdisk", "vdisk@snap"): their
 * names (malloc'd) in files[0] (the one qemu-img opens) and files[1]
 * (fixed vmdk's data, else NULL). 0 or -ENOMEM. */
int vd_type_files(const struct vd_type *t, bool sparse, const char *base,
		  char *files[2]);

/* ---- names and sizes (vdname.c) ---- */

/* A vdisk's or a snapshot's name: 1..64 of [A-Za-z0-9_.:-], not
 * starting with '.' or '-'. */
bool vd_name_valid(const char *name);
/* -s: K/M/G/T suffixes (1024), a whole number of 512-byte sectors, 512
 * bytes to 64T. 0, -EINVAL (malformed), -ERANGE (out of range) or
 * -EDOM (not a multiple of 512). */
int vd_size_parse(const char *s, uint64_t *bytes);
/* A description: up to 256 printable characters (no control ones). */
bool vd_desc_valid(const char *s);

/* ---- vdisk.xml (vdxml.c) ---- */

struct vd_snap {
	char name[VD_NAME_MAX + 1];	/* without the '@' */
	int64_t ctime;			/* creation-time-epoch */
};

/* What vdisk.xml holds. Everything derived (owner, times of the files,
 * effective-size) is read from the files when asked. */
struct vd_meta {
	const struct vd_type *type;
	bool sparse;
	bool readonly, removable, cdrom;	/* prop-set */
	int64_t ctime;				/* creation-time-epoch */
	unsigned rwcnt;				/* writers: 0 or 1 */
	unsigned rocnt;				/* readers, with rwcnt 0 */
	char name[VD_NAME_MAX + 1];		/* the directory's name */
	uint64_t max_size;			/* bytes, 512-multiple */
	char desc[VD_DESC_MAX + 1];		/* "" prints "none" */
	unsigned nsnap;				/* oldest first */
	struct vd_snap snap[VD_MAX_SNAPS];
};
#define VD_REFCNT_MAX	65535u

/*
 * Parse and check a vdisk.xml. 0; or -EINVAL with err saying what is
 * wrong ("line 3: <libxml2's message>", "attribute 'rwcnt': ...").
 */
int vdxml_parse(const char *xml, size_t len, struct vd_meta *m,
		char *err, size_t errlen);
/* The document for m (malloc'd, NUL-terminated, *len without it); NULL
 * with errno set. */
char *vdxml_format(const struct vd_meta *m, size_t *len);
/* The snapshot's index, or -1. */
int vd_meta_snap(const struct vd_meta *m, const char *name);

/* ---- one vdisk, opened and locked (vdisk.c) ---- */

enum vd_access {
	VD_READ,	/* shared lock; refused if a writer holds it
			 * (clone, export: read the images) */
	VD_META,	/* shared lock, no use check (list, prop-get, verify) */
	VD_MODIFY,	/* exclusive lock; refused if in use at all */
	VD_REF,		/* exclusive lock, no use check (ref-inc/ref-dec) */
};

struct vdisk {
	char *path;		/* as given, without trailing '/' */
	int dirfd;		/* the directory, flock()ed */
	struct vd_meta m;
};

/*
 * Open the vdisk at path: lock its directory (flock, shared or
 * exclusive, waiting a bounded time for other vdiskadm runs), read and
 * check vdisk.xml, and check the in-use counts against acc. 0, or 1
 * after printing the error.
 */
int vd_open(struct vdiskadm *v, const char *path, enum vd_access acc,
	    struct vdisk *d);
/* Write d->m back to vdisk.xml atomically (temporary file, rename). 0,
 * or 1 after printing the error. */
int vd_save(struct vdiskadm *v, struct vdisk *d);
void vd_close(struct vdisk *d);
/* "<path>/<base>.<ext>" of the live image (snap NULL) or a snapshot,
 * file 0 or 1 (see vd_type_files; NULL if there is no such file).
 * malloc'd. */
char *vd_image_path(const struct vdisk *d, const char *snap, int file);
/* Split "vdname@snap": *path a copy of vdname (malloc'd, also on
 * failure: the caller frees it), snap the name after the '@' ("" if
 * none). 0, or 1 after printing an invalid-name error. */
int vd_split(struct vdiskadm *v, const char *operand, char **path,
	     char snap[VD_NAME_MAX + 1]);
/* The last component of path (a pointer into it). */
const char *vd_basename(const char *path);
/* Check that path could name a new vdisk: valid last component, nothing
 * there yet, not inside another vdisk. 0, or 1 after printing why. */
int vd_check_new(struct vdiskadm *v, const char *path);

/*
 * A new vdisk is made in a temporary directory next to where it goes,
 * then renamed into place (renameat2 RENAME_NOREPLACE): nobody sees it
 * half made, and two creates of one name cannot both succeed.
 */
struct vd_new {
	char *path;		/* where it goes */
	char *tmp;		/* the directory being filled */
};
/* Make path's parents (as mkdir -p) and the temporary directory. 0, or
 * 1 after printing the error. */
int vd_new_begin(struct vdiskadm *v, const char *path, struct vd_new *n);
/* Write m as its vdisk.xml and rename it into place. 0 or 1 (printed). */
int vd_new_commit(struct vdiskadm *v, struct vd_new *n,
		  const struct vd_meta *m);
/* Remove the temporary directory if still there; free. */
void vd_new_end(struct vd_new *n);
/* Remove the files of a directory vdiskadm made or owns, then it; 0 or
 * -errno. Only regular files are expected there. */
int vd_remove_dir(const char *path);

/* ---- qemu-img (qemuimg.c) ---- */

/* The program run: $XVM_QEMU_IMG, or "qemu-img" from PATH. */
const char *qimg_program(void);
/*
 * Run qemu-img with args (NULL-terminated, without argv[0]) without a
 * shell, stdin /dev/null, for at most $XVM_VDISK_TIMEOUT seconds
 * (default 3600; then it is killed). Its stdout is kept in *out
 * (malloc'd, NUL-terminated, at most 1 MiB; out NULL: dropped), the
 * last line of its stderr in err. Returns its exit status (0..255), or
 * -ETIMEDOUT, -EFBIG (too much output), -errno (could not run it: err
 * says so).
 */
int qimg_run(const char *const *args, char **out, char *err, size_t errlen);

/* ---- image work (image.c); each 0, or 1 after printing the error ---- */

/* A new empty image: dir/base.<ext> of size bytes. */
int img_create(struct vdiskadm *v, const char *dir, const char *base,
	       const struct vd_type *t, bool sparse, uint64_t size);
/* dir/base.<ext> made from the image src of qemu-img format sfmt: the
 * same guest-visible bytes (qemu-img convert), no backing file. */
int img_convert(struct vdiskadm *v, const char *src, const char *sfmt,
		const char *dir, const char *base, const struct vd_type *t,
		bool sparse);
/* The same, to the file dst (export): fails if dst exists. */
int img_export(struct vdiskadm *v, const char *src, const char *sfmt,
	       const char *dst, const struct vd_type *t, bool sparse);
/*
 * Replace the image base in the vdisk's directory with one converted
 * from src: converted into a work directory inside the vdisk, then its
 * file(s) renamed over the old one(s), so a failed conversion leaves the
 * old image as it was.
 */
int img_replace(struct vdiskadm *v, struct vdisk *d, const char *src,
		const char *sfmt, const char *base, const struct vd_type *t,
		bool sparse);
/* What qemu-img info says of path (format fmt; NULL: probed): its
 * format, virtual size, and whether it has a backing file. */
struct img_info {
	char format[32];
	uint64_t size;
	bool backing;
	char subformat[32];	/* vmdk's create-type ("monolithicFlat"),
				 * else "" */
};
int img_info(struct vdiskadm *v, const char *path, const char *fmt,
	     struct img_info *info);
/* qemu-img check: 0 clean, 1 (printed) on errors; a format qemu-img
 * cannot check (raw, vpc: its exit status 63) counts as clean. */
int img_check(struct vdiskadm *v, const char *path, const char *fmt);
/* Remove the file(s) of image base in dir. 0 or -errno. */
int img_remove(const char *dir, const char *base, const struct vd_type *t,
	       bool sparse);

/* ---- the subcommands ---- */
int vdcmd_create(struct cli *c, int argc, char **argv);
int vdcmd_destroy(struct cli *c, int argc, char **argv);
int vdcmd_snapshot(struct cli *c, int argc, char **argv);
int vdcmd_rollback(struct cli *c, int argc, char **argv);
int vdcmd_clone(struct cli *c, int argc, char **argv);
int vdcmd_list(struct cli *c, int argc, char **argv);
int vdcmd_verify(struct cli *c, int argc, char **argv);
int vdcmd_prop_get(struct cli *c, int argc, char **argv);
int vdcmd_prop_set(struct cli *c, int argc, char **argv);
int vdcmd_import(struct cli *c, int argc, char **argv);
int vdcmd_export(struct cli *c, int argc, char **argv);
int vdcmd_convert(struct cli *c, int argc, char **argv);
int vdcmd_move(struct cli *c, int argc, char **argv);
int vdcmd_rename(struct cli *c, int argc, char **argv);
int vdcmd_ref_inc(struct cli *c, int argc, char **argv);
int vdcmd_ref_dec(struct cli *c, int argc, char **argv);
int vdcmd_help(struct cli *c, int argc, char **argv);

/* prop-get's lines for d ("name: value\n"), prop NULL: all of them. 0,
 * or -ENOENT for an unknown property. */
int vd_props_print(FILE *f, const struct vdisk *d, const char *prop);

#endif
