/*
 * snoop: capture a link's frames (docs/vnicadm.8 "snoop"). The shape is
 * snoop(8)'s (-d link, -o file, -c count, -s snaplen, -D, an expression
 * last) because that is the capture command dladm's users know; the
 * expression is libpcap's (tcpdump's), compiled here with pcap_compile()
 * for Ethernet and sent to vswitchd as classic BPF, which checks it and
 * runs it in the data path; the file is pcap, not snoop's format, so
 * tcpdump, tshark and Wireshark read it. Without -o, one summary line
 * per frame. At the end, on standard error, how many frames were captured
 * and how many vswitchd dropped because this reader fell behind.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "xvm/pcapfile.h"
#include "xvm/vswctl_capture.h"
#include "vnicadm.h"

#define SNOOP_WAIT_MS		200	/* between checks for a signal */
#define SNOOP_END_WAIT_MS	5000	/* for capture.end after a stop */

struct snoop {
	struct vnicadm *v;
	const char *link;
	const char *out;		/* -o: a file, "-" stdout; NULL lines */
	FILE *f;			/* the pcap output */
	uint64_t count;			/* -c; 0: until interrupted */
	uint32_t snaplen;		/* -s; 0: whole frames */
	bool show_drops;		/* -D */
	char *expr;			/* the operands after the link */
	struct bpf_program prog;
	bool compiled;
	uint64_t seen;			/* frames printed or written */
	uint64_t first_ns;
	int write_err;			/* output failed: stop */
	struct vswctl_capture_status st;
};

static volatile sig_atomic_t snoop_stop;

static void snoop_signal(int sig UNUSED)
{
	snoop_stop = 1;
}

/* ---- arguments ---- */

static int snoop_number(struct vnicadm *v, const char *s, uint64_t max,
			const char *what, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	if (!*s || *end || errno || *s == '-' || *out > max)
		return vn_fail(v, "invalid %s '%.64s'", what, s);
	return 0;
}

/* The expression: every operand after the link, joined by spaces. */
static int snoop_expr(struct snoop *s, int argc, char **argv, int first)
{
	size_t n = 1;
	char *p;

	for (int i = first; i < argc; i++)
		n += strlen(argv[i]) + 1;
	p = s->expr = calloc(1, n);
	if (!p)
		return vn_fail(s->v, "out of memory");
	for (int i = first; i < argc; i++)
		p += sprintf(p, "%s%s", i > first ? " " : "", argv[i]);
	return 0;
}

static int snoop_args(struct snoop *s, const struct cli_opts *o, int argc,
		      char **argv)
{
	uint64_t n;
	int op = o->optind;

	s->link = o->val['d'];
	if (!s->link) {
		if (op >= argc)
			return vn_usage_fail(s->v, "no link to capture");
		s->link = argv[op++];
	}
	if (vn_check_link(s->v, s->link))
		return 1;
	if (o->val['c']) {
		if (snoop_number(s->v, o->val['c'], INT64_MAX, "count", &n))
			return 1;
		if (n == 0)
			return vn_fail(s->v, "invalid count '0'");
		s->count = n;
	}
	if (o->val['s']) {
		if (snoop_number(s->v, o->val['s'], 65535, "snapshot length",
				 &n))
			return 1;
		s->snaplen = (uint32_t)n;	/* 0: whole frames */
	}
	s->out = o->val['o'];
	if (s->out && !*s->out)
		return vn_fail(s->v, "invalid output file ''");
	s->show_drops = o->val['D'] != NULL;
	return snoop_expr(s, argc, argv, op);
}

/* ---- the filter ---- */

static int snoop_compile(struct snoop *s)
{
	pcap_t *p;
	int ret = 0;

	if (!*s->expr)
		return 0;
	p = pcap_open_dead(DLT_EN10MB, s->snaplen ? (int)s->snaplen : 65535);
	if (!p)
		return vn_fail(s->v, "cannot compile filters (libpcap)");
	if (pcap_compile(p, &s->prog, s->expr, 1, PCAP_NETMASK_UNKNOWN) < 0)
		ret = vn_fail(s->v, "invalid filter expression '%.200s': %s",
			      s->expr, pcap_geterr(p));
	else
		s->compiled = true;
	pcap_close(p);
	return ret;
}

/* ---- output ---- */

static int snoop_open_output(struct snoop *s)
{
	if (!s->out)
		return 0;
	s->f = strcmp(s->out, "-") == 0 ? s->v->cli.out : fopen(s->out, "wb");
	if (!s->f)
		return vn_fail(s->v, "cannot open '%.200s': %s", s->out,
			       strerror(errno));
	if (pcapfile_write_header(s->f, s->snaplen ? s->snaplen : 65535) < 0 ||
	    fflush(s->f) != 0)
		return vn_fail(s->v, "cannot write '%.200s': %s", s->out,
			       strerror(errno));
	return 0;
}

static void snoop_line(struct snoop *s, const struct vswctl_frame *f)
{
	char desc[256];

	vn_snoop_describe(f->data, f->caplen, desc, sizeof(desc));
	if (s->show_drops)
		fprintf(s->v->cli.out, "%5llu %10.5f %-3s drops: %llu %s\n",
			(unsigned long long)s->seen,
			(double)(f->t_ns - s->first_ns) / 1e9,
			f->in ? "in" : "out",
			(unsigned long long)s->st.dropped, desc);
	else
		fprintf(s->v->cli.out, "%5llu %10.5f %-3s %s\n",
			(unsigned long long)s->seen,
			(double)(f->t_ns - s->first_ns) / 1e9,
			f->in ? "in" : "out", desc);
}

static int snoop_frame(void *arg, const struct vswctl_frame *f)
{
	struct snoop *s = arg;

	if (s->write_err || (s->count && s->seen >= s->count))
		return 0;
	if (s->seen++ == 0)
		s->first_ns = f->t_ns;
	if (s->f) {
		if (pcapfile_write_frame(s->f, f->t_ns, f->data, f->caplen,
					 f->len) < 0)
			s->write_err = errno ? errno : EIO;
	} else {
		snoop_line(s, f);
	}
	return 0;
}

/* ---- the capture ---- */

static int snoop_start(struct snoop *s, struct vswctl *h, uint64_t *id)
{
	struct vswctl_capture_spec spec = {
		.link = s->link, .snaplen = s->snaplen, .count = s->count,
		.expr = *s->expr ? s->expr : NULL,
	};
	char ctx[96];

	if (s->compiled) {
		_Static_assert(sizeof(struct bpf_insn) ==
			       sizeof(struct vswctl_capture_insn),
			       "libpcap's bpf_insn");
		spec.filter = (const struct vswctl_capture_insn *)
			      s->prog.bf_insns;
		spec.nfilter = s->prog.bf_len;
	}
	if (vswctl_capture_start(h, &spec, id) == 0)
		return 0;
	snprintf(ctx, sizeof(ctx), "cannot capture on '%s'", s->link);
	return vn_vsw_fail(s->v, ctx);
}

/* Read events until the capture ends, is interrupted, or output fails. */
static int snoop_loop(struct snoop *s, struct vswctl *h, uint64_t id)
{
	bool stopping = false;
	int ret, wait = SNOOP_WAIT_MS;

	while (!s->st.ended) {
		if (!stopping && (snoop_stop || s->write_err)) {
			/* ENOENT: it ended meanwhile, its capture.end is
			 * on the way */
			if (vswctl_capture_stop(h, id) < 0 &&
			    vswctl_error(h)->status != -ENOENT)
				return vn_vsw_fail(s->v, "cannot stop the capture");
			stopping = true;
			wait = SNOOP_END_WAIT_MS;
		}
		ret = vswctl_capture_next(h, id, wait, snoop_frame, s, &s->st);
		if (ret == -ETIMEDOUT && stopping)
			return vn_fail(s->v, "vswitchd: no end of capture");
		if (ret < 0 && ret != -ETIMEDOUT)
			return vn_vsw_fail(s->v, NULL);
		if (s->f && fflush(s->f) != 0 && !s->write_err)
			s->write_err = errno ? errno : EIO;
	}
	return 0;
}

/* The last words, on stderr as tcpdump's: frames and drops. */
static int snoop_report(struct snoop *s)
{
	fprintf(s->v->cli.err, "%llu frames captured\n"
		"%llu frames dropped by vswitchd\n",
		(unsigned long long)s->seen,
		(unsigned long long)s->st.dropped);
	if (s->write_err && s->write_err != EPIPE)
		return vn_fail(s->v, "cannot write '%.200s': %s", s->out,
			       strerror(s->write_err));
	if (strcmp(s->st.reason, "link deleted") == 0)
		return vn_fail(s->v, "capture on '%s' ended: link deleted",
			       s->link);
	return 0;
}

static int snoop_run(struct snoop *s)
{
	struct sigaction sa = { .sa_handler = snoop_signal }, old[3];
	struct sigaction ign = { .sa_handler = SIG_IGN }, oldpipe;
	static const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
	struct vswctl *h;
	uint64_t id;
	int ret;

	h = vn_handle(s->v);
	if (!h || snoop_start(s, h, &id))
		return 1;
	/* The handlers are in place before "Using link" tells a script
	 * (or a user) that the capture runs: a ^C right after it stops the
	 * capture and reports, rather than killing us unreported. */
	snoop_stop = 0;
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
	sigaction(SIGPIPE, &ign, &oldpipe);	/* a reader gone: EPIPE */
	fprintf(s->v->cli.err, "Using link %s\n", s->link);
	ret = snoop_loop(s, h, id);
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	sigaction(SIGPIPE, &oldpipe, NULL);
	if (ret)
		return ret;
	return snoop_report(s);
}

int cmd_snoop(struct cli *c, int argc, char **argv)
{
	struct snoop s = { .v = vn_of(c) };
	struct cli_opts o;
	int ret;

	ret = cli_opts_parse(c, argc, argv, "d:o:c:s:D", "", &o);
	if (ret == 0)
		ret = snoop_args(&s, &o, argc, argv);
	if (ret == 0)
		ret = snoop_compile(&s);
	if (ret == 0)
		ret = snoop_open_output(&s);
	if (ret == 0)
		ret = snoop_run(&s);
	if (s.f && s.f != c->out && fclose(s.f) != 0 && ret == 0)
		ret = vn_fail(s.v, "cannot write '%.200s': %s", s.out,
			      strerror(errno));
	if (s.compiled)
		pcap_freecode(&s.prog);
	free(s.expr);
	cli_opts_free(&o);
	return ret;
}
