/*
 * xvmd's statistics (xvmd/stats.c, xvmd/proc_stats.c): the /proc parsers
 * fed known text, a VNIC's counters read from a stand-in vswitchd
 * (fake_rpc) with libvirt's direction (rx: what the guest received), the
 * typed parameter encoding byte by byte, and the procedures called in
 * process through the procedure table, their replies decoded as the
 * libvirt client would (node stats against this machine's /proc, and
 * getAllDomainStats of a defined, shut-off domain).
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "fake_rpc.h"
#include "xvm/log.h"
#include "xvm/vswctl.h"
#include "xvmd/dom.h"
#include "xvmd/dommeta.h"
#include "xvmd/proc.h"
#include "xvmd/stats.h"
#include "xvmd/store.h"

static const char meminfo[] =
	"MemTotal:        8036352 kB\n"
	"MemFree:          512000 kB\n"
	"MemAvailable:    4000000 kB\n"
	"Buffers:           12345 kB\n"
	"Cached:          2000000 kB\n"
	"SwapCached:            7 kB\n";

static void test_meminfo(void)
{
	struct stats_mem m;

	CU_ASSERT_EQUAL(stats_parse_meminfo(meminfo, &m), 0);
	CU_ASSERT_EQUAL(m.total, 8036352);
	CU_ASSERT_EQUAL(m.free, 512000);
	CU_ASSERT_EQUAL(m.buffers, 12345);
	CU_ASSERT_EQUAL(m.cached, 2000000);	/* not SwapCached */
	CU_ASSERT_EQUAL(stats_parse_meminfo("MemTotal: 10 kB\n", &m), -EINVAL);
	CU_ASSERT_EQUAL(stats_parse_meminfo("MemTotal: x kB\nMemFree: 1 kB\n",
					    &m), -EINVAL);
}

static const char procstat[] =
	"cpu  100 20 30 400 5 6 7 0 0 0\n"
	"cpu0 60 10 20 200 3 4 5 0 0 0\n"
	"cpu1 40 10 10 200 2 2 2 0 0 0\n"
	"intr 12345\n";

static void test_cpu(void)
{
	struct stats_cpu s;

	CU_ASSERT_EQUAL(stats_parse_cpu(procstat, -1, 100, &s), 0);
	CU_ASSERT_EQUAL(s.user, 120ull * 10000000);	/* user + nice */
	CU_ASSERT_EQUAL(s.kernel, 43ull * 10000000);	/* system+irq+softirq */
	CU_ASSERT_EQUAL(s.idle, 400ull * 10000000);
	CU_ASSERT_EQUAL(s.iowait, 5ull * 10000000);
	CU_ASSERT_EQUAL(stats_parse_cpu(procstat, 1, 100, &s), 0);
	CU_ASSERT_EQUAL(s.user, 50ull * 10000000);
	CU_ASSERT_EQUAL(s.kernel, 14ull * 10000000);
	CU_ASSERT_EQUAL(stats_parse_cpu(procstat, 2, 100, &s), -ENOENT);
	CU_ASSERT_EQUAL(stats_parse_cpu("cpu0 1 2\n", 0, 100, &s), -EINVAL);
	CU_ASSERT_EQUAL(stats_parse_cpu(procstat, 0, 0, &s), -EINVAL);
}

static void test_rss(void)
{
	uint64_t kib = 0;

	CU_ASSERT_EQUAL(stats_parse_rss("Name:\thv\nVmPeak:\t 9 kB\n"
					"VmRSS:\t   70312 kB\n", &kib), 0);
	CU_ASSERT_EQUAL(kib, 70312);
	CU_ASSERT_EQUAL(stats_parse_rss("Name:\tkthreadd\n", &kib), -ENOENT);
	/* this process has a resident set */
	CU_ASSERT_EQUAL(stats_proc_rss(getpid(), &kib), 0);
	CU_ASSERT(kib > 0);
}

/* A typed parameter list as the client decodes remote_typed_param. */
static void test_typed_params(void)
{
	static const uint8_t want[] = {
		0, 0, 0, 4,				/* 4 params */
		0, 0, 0, 11, 's', 't', 'a', 't', 'e', '.', 's', 't',
		'a', 't', 'e', 0,			/* "state.state" */
		0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe,	/* INT -2 */
		0, 0, 0, 11, 'v', 'c', 'p', 'u', '.', 'c', 'u', 'r',
		'r', 'e', 'n', 0,			/* "vcpu.curren" */
		0, 0, 0, 2, 0, 0, 0, 3,			/* UINT 3 */
		0, 0, 0, 14, 'n', 'e', 't', '.', '1', '.', 'r', 'x',
		'.', 'b', 'y', 't', 'e', 's', 0, 0,
		0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 2,	/* ULLONG 2^32+2 */
		0, 0, 0, 10, 'n', 'e', 't', '.', '0', '.', 'n', 'a',
		'm', 'e', 0, 0,
		0, 0, 0, 7, 0, 0, 0, 6, 'x', 'v', 'm', '3', '_', '0', 0, 0,
	};
	struct xdr_out o;
	struct tp_list l;

	xdr_out_init(&o);
	tp_begin(&l, &o);
	tp_int(&l, -2, "state.state");
	tp_uint(&l, 3, "vcpu.%.6s", "current");
	tp_ullong(&l, (1ull << 32) + 2, "net.%u.rx.bytes", 1u);
	tp_string(&l, "xvm3_0", "net.%u.name", 0u);
	tp_end(&l);
	CU_ASSERT_EQUAL(o.err, 0);
	CU_ASSERT_EQUAL_FATAL(o.len, sizeof(want));
	CU_ASSERT_EQUAL(memcmp(o.buf, want, sizeof(want)), 0);
	xdr_out_free(&o);
}

/* A stand-in vswitchd's vnic.list with stats for xvm3_0. */
static char vnic_params[128];

static int fake_vnic_list(void *ctx UNUSED, struct rpc_conn *c UNUSED,
			  json_t *params, json_t **result,
			  struct rpc_error *err)
{
	const char *name = json_string_value(json_object_get(params, "name"));
	char *p = json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS);

	snprintf(vnic_params, sizeof(vnic_params), "%s", p ? p : "?");
	free(p);
	if (!name || strcmp(name, "xvm3_0"))
		return rpc_errorf(err, ENOENT, "object not found");
	*result = json_pack("{s:[{s:s,s:{s:I,s:I,s:I,s:I,s:I,s:I}}]}", "vnics",
			    "name", "xvm3_0", "stats", "ipackets", (json_int_t)11,
			    "rbytes", (json_int_t)1100, "opackets",
			    (json_int_t)7, "obytes", (json_int_t)700, "ierrors",
			    (json_int_t)2, "oerrors", (json_int_t)1);
	return 0;
}

static const struct rpc_method fake_methods[] = {
	{ "vnic.list", fake_vnic_list },
};

static void test_vnic_counters(void)
{
	char dir[] = "/tmp/stats-test.XXXXXX", path[128];
	struct stats_vnic s;
	struct fake_rpc *f;
	struct verr e = { 0 };

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(dom_env.rundir, sizeof(dom_env.rundir), "%s", dir);
	/* no vswitchd: a clear error */
	CU_ASSERT(stats_vnic(NULL, "xvm3_0", &s, &e) < 0);
	CU_ASSERT_EQUAL(e.code, VERR_OPERATION_FAILED);
	CU_ASSERT(strstr(e.msg, "cannot reach vswitchd") != NULL);

	snprintf(path, sizeof(path), "%s/" VSWCTL_SOCK_NAME, dir);
	f = fake_rpc_start(path, fake_methods, ARRAY_SIZE(fake_methods), NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(stats_vnic(NULL, "xvm3_0", &s, NULL), 0);
	CU_ASSERT_STRING_EQUAL(vnic_params, "{\"name\":\"xvm3_0\",\"stats\":true}");
	/* rx: delivered to the VNIC, i.e. received by the guest */
	CU_ASSERT_EQUAL(s.rx_packets, 11);
	CU_ASSERT_EQUAL(s.rx_bytes, 1100);
	CU_ASSERT_EQUAL(s.tx_packets, 7);
	CU_ASSERT_EQUAL(s.tx_bytes, 700);
	CU_ASSERT_EQUAL(s.rx_drop, 2);
	CU_ASSERT_EQUAL(s.tx_drop, 1);
	CU_ASSERT_EQUAL(s.rx_errs + s.tx_errs, 0);
	memset(&e, 0, sizeof(e));
	CU_ASSERT_EQUAL(stats_vnic(NULL, "xvm9_0", &s, &e), -ENOENT);
	CU_ASSERT(strstr(e.msg, "object not found") != NULL);

	fake_rpc_stop(f);
	unlink(path);
	rmdir(dir);
	dom_env.rundir[0] = '\0';
}

/* Call procedure num in process with args; its return, ret filled. */
static int call_proc(int num, const struct xdr_out *args, struct xdr_out *ret,
		     struct verr *err)
{
	const struct proc *p = proc_lookup(num);
	struct remote_call c = { .proc = (uint32_t)num };
	struct xdr_in in;
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	xdr_in_init(&in, args ? args->buf : NULL, args ? args->len : 0);
	xdr_out_init(ret);
	c.args = &in;
	c.ret = ret;
	rc = p->fn(&c);
	*err = c.err;
	return rc;
}

/* A node stats reply: exactly the four names of want, in order, with
 * their values into v, then nparams 4 and nothing more. */
static void check_node_params(const struct xdr_out *r,
			      const char *const want[4], uint64_t v[4])
{
	struct xdr_in x;
	char *name;

	xdr_in_init(&x, r->buf, r->len);
	CU_ASSERT_EQUAL(xdr_get_u32(&x), 4);
	for (int i = 0; i < 4; i++) {
		name = xdr_get_string(&x, 80);
		CU_ASSERT(name && !strcmp(name, want[i]));
		free(name);
		v[i] = xdr_get_u64(&x);
	}
	CU_ASSERT_EQUAL(xdr_get_i32(&x), 4);
	CU_ASSERT_EQUAL(xdr_in_done(&x, true), 0);
}

static void test_node_procs(void)
{
	struct xdr_out a, r;
	struct xdr_in x;
	struct verr e;
	uint64_t v[4], total, freemem;

	/* NODE_GET_FREE_MEMORY: bytes */
	CU_ASSERT_EQUAL(call_proc(102, NULL, &r, &e), 0);
	xdr_in_init(&x, r.buf, r.len);
	freemem = xdr_get_u64(&x);
	CU_ASSERT_EQUAL(xdr_in_done(&x, true), 0);
	CU_ASSERT(freemem > 0 && freemem % 1024 == 0);
	xdr_out_free(&r);

	/* NODE_GET_MEMORY_STATS: nparams 0 asks the count */
	xdr_out_init(&a);
	xdr_put_i32(&a, 0);
	xdr_put_i32(&a, -1);
	xdr_put_u32(&a, 0);
	CU_ASSERT_EQUAL(call_proc(228, &a, &r, &e), 0);
	xdr_in_init(&x, r.buf, r.len);
	CU_ASSERT_EQUAL(xdr_get_u32(&x), 0);
	CU_ASSERT_EQUAL(xdr_get_i32(&x), 4);
	CU_ASSERT_EQUAL(xdr_in_done(&x, true), 0);
	xdr_out_free(&r);
	xdr_out_free(&a);
	xdr_out_init(&a);
	xdr_put_i32(&a, 4);
	xdr_put_i32(&a, 0);
	xdr_put_u32(&a, 0);
	CU_ASSERT_EQUAL(call_proc(228, &a, &r, &e), 0);
	check_node_params(&r, (const char *const[]){ "total", "free",
						     "buffers", "cached" }, v);
	total = v[0];
	CU_ASSERT(total > 0 && v[1] <= total);
	xdr_out_free(&r);
	xdr_out_free(&a);
	/* cell 1 does not exist */
	xdr_out_init(&a);
	xdr_put_i32(&a, 4);
	xdr_put_i32(&a, 1);
	xdr_put_u32(&a, 0);
	CU_ASSERT(call_proc(228, &a, &r, &e) < 0);
	CU_ASSERT_EQUAL(e.code, VERR_INVALID_ARG);
	xdr_out_free(&r);
	xdr_out_free(&a);

	/* NODE_GET_CPU_STATS of all CPUs, then of a CPU that is not there */
	xdr_out_init(&a);
	xdr_put_i32(&a, -1);
	xdr_put_i32(&a, 16);
	xdr_put_u32(&a, 0);
	CU_ASSERT_EQUAL(call_proc(227, &a, &r, &e), 0);
	check_node_params(&r, (const char *const[]){ "kernel", "user",
						     "idle", "iowait" }, v);
	CU_ASSERT(v[0] + v[1] + v[2] > 0);
	xdr_out_free(&r);
	xdr_out_free(&a);
	xdr_out_init(&a);
	xdr_put_i32(&a, 100000);
	xdr_put_i32(&a, 4);
	xdr_put_u32(&a, 0);
	CU_ASSERT(call_proc(227, &a, &r, &e) < 0);
	CU_ASSERT_EQUAL(e.code, VERR_INVALID_ARG);
	xdr_out_free(&r);
	xdr_out_free(&a);

	/* NODE_GET_CELLS_FREE_MEMORY: one cell */
	xdr_out_init(&a);
	xdr_put_i32(&a, 0);
	xdr_put_i32(&a, 8);
	CU_ASSERT_EQUAL(call_proc(101, &a, &r, &e), 0);
	xdr_in_init(&x, r.buf, r.len);
	CU_ASSERT_EQUAL(xdr_get_u32(&x), 1);
	CU_ASSERT(xdr_get_u64(&x) > 0);
	CU_ASSERT_EQUAL(xdr_in_done(&x, true), 0);
	xdr_out_free(&r);
	xdr_out_free(&a);
	/* a count beyond the protocol's limit: dropped, as malformed */
	xdr_out_init(&a);
	xdr_put_i32(&a, 0);
	xdr_put_i32(&a, 5000);
	CU_ASSERT_EQUAL(call_proc(101, &a, &r, &e), PROC_DROP);
	xdr_out_free(&r);
	xdr_out_free(&a);
}

static const char stats_dom_xml[] =
	"<domain type='xen'><name>statsdom</name>"
	"<uuid>6c8a3f2e-1b7d-4e0a-9c55-00000000cafe</uuid>"
	"<memory unit='MiB'>128</memory>"
	"<currentMemory unit='MiB'>96</currentMemory>"
	"<vcpu current='1'>2</vcpu>"
	"<os><type>xen</type><kernel>/nonexistent</kernel></os>"
	"<devices><disk type='file' device='disk'>"
	"<source file='/var/lib/xvm/statsdom.img'/><target dev='xvda'/>"
	"</disk></devices></domain>";

/* The params of one record into text "name=value;" (values as %lld/%s). */
static char *params_text(struct xdr_in *x)
{
	uint32_t n = xdr_get_u32(x), i;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	for (i = 0; i < n && !x->err; i++) {
		char *name = xdr_get_string(x, 80), *s;
		int type = xdr_get_i32(x);

		fprintf(f, "%s=", name ? name : "?");
		switch (type) {
		case TP_INT:
			fprintf(f, "%d", xdr_get_i32(x));
			break;
		case TP_UINT:
			fprintf(f, "%u", xdr_get_u32(x));
			break;
		case TP_ULLONG:
			fprintf(f, "%llu", (unsigned long long)xdr_get_u64(x));
			break;
		case TP_STRING:
			s = xdr_get_string(x, 4096);
			fprintf(f, "%s", s ? s : "?");
			free(s);
			break;
		default:
			fprintf(f, "?type%d", type);
			x->err = -EINVAL;
		}
		fputc(';', f);
		free(name);
	}
	fclose(f);
	return buf;
}

static void test_all_domain_stats(void)
{
	struct dom *d = NULL;
	struct xdr_out a, r;
	struct xdr_in x;
	struct verr e = { 0 };
	uint32_t n, i;
	char *name, *text;
	bool seen = false;
	uint8_t uuid[16];

	CU_ASSERT_EQUAL_FATAL(dom_define(stats_dom_xml, &d, &e), 0);

	/* every domain, all groups served (stats 0), shut-off ones
	 * (INACTIVE) only */
	xdr_out_init(&a);
	xdr_put_u32(&a, 0);
	xdr_put_u32(&a, 0);
	xdr_put_u32(&a, 2);
	CU_ASSERT_EQUAL(call_proc(344, &a, &r, &e), 0);
	xdr_in_init(&x, r.buf, r.len);
	n = xdr_get_u32(&x);
	CU_ASSERT(n >= 1);
	for (i = 0; i < n && !x.err; i++) {
		name = xdr_get_string(&x, 256);
		xdr_get_fixed(&x, uuid, 16);
		CU_ASSERT_EQUAL(xdr_get_i32(&x), -1);	/* none active */
		text = params_text(&x);
		if (name && !strcmp(name, "statsdom")) {
			seen = true;
			CU_ASSERT_EQUAL(uuid[15], 0xfe);
			CU_ASSERT_STRING_EQUAL(text,
				"state.state=5;state.reason=0;"
				"balloon.current=98304;balloon.maximum=131072;"
				"vcpu.current=1;vcpu.maximum=2;"
				"block.count=1;block.0.name=xvda;"
				"block.0.path=/var/lib/xvm/statsdom.img;");
		}
		free(name);
		free(text);
	}
	CU_ASSERT(seen);
	CU_ASSERT_EQUAL(xdr_in_done(&x, true), 0);
	xdr_out_free(&r);
	xdr_out_free(&a);

	/* the domain by name, state and balloon only */
	xdr_out_init(&a);
	xdr_put_u32(&a, 1);
	xdr_put_string(&a, "statsdom");
	xdr_put_fixed(&a, d->cfg.uuid, 16);
	xdr_put_i32(&a, -1);
	xdr_put_u32(&a, 1 | 4);
	xdr_put_u32(&a, 0);
	CU_ASSERT_EQUAL(call_proc(344, &a, &r, &e), 0);
	xdr_in_init(&x, r.buf, r.len);
	CU_ASSERT_EQUAL(xdr_get_u32(&x), 1);
	free(xdr_get_string(&x, 256));
	xdr_get_fixed(&x, uuid, 16);
	xdr_get_i32(&x);
	text = params_text(&x);
	CU_ASSERT_STRING_EQUAL(text, "state.state=5;state.reason=0;"
			       "balloon.current=98304;balloon.maximum=131072;");
	free(text);
	CU_ASSERT_EQUAL(xdr_in_done(&x, true), 0);
	xdr_out_free(&r);
	xdr_out_free(&a);

	/* groups xvmd does not have (perf), enforced: refused */
	xdr_out_init(&a);
	xdr_put_u32(&a, 0);
	xdr_put_u32(&a, 64);
	xdr_put_u32(&a, 1u << 31);
	CU_ASSERT(call_proc(344, &a, &r, &e) < 0);
	CU_ASSERT_EQUAL(e.code, VERR_NO_SUPPORT);
	xdr_out_free(&r);
	xdr_out_free(&a);

	/* an unknown domain: NO_DOMAIN */
	xdr_out_init(&a);
	xdr_put_u32(&a, 1);
	xdr_put_string(&a, "nosuchdom");
	memset(uuid, 0x11, 16);
	xdr_put_fixed(&a, uuid, 16);
	xdr_put_i32(&a, -1);
	xdr_put_u32(&a, 1);
	xdr_put_u32(&a, 0);
	CU_ASSERT(call_proc(344, &a, &r, &e) < 0);
	CU_ASSERT_EQUAL(e.code, VERR_NO_DOMAIN);
	xdr_out_free(&r);
	xdr_out_free(&a);

	/* domifstat and dommemstat of a shut-off domain: not running */
	xdr_out_init(&a);
	xdr_put_string(&a, "statsdom");
	xdr_put_fixed(&a, d->cfg.uuid, 16);
	xdr_put_i32(&a, -1);
	xdr_put_string(&a, "xvm1_0");
	CU_ASSERT(call_proc(65, &a, &r, &e) < 0);
	CU_ASSERT_EQUAL(e.code, VERR_OPERATION_INVALID);
	xdr_out_free(&r);
	xdr_out_free(&a);
	xdr_out_init(&a);
	xdr_put_string(&a, "statsdom");
	xdr_put_fixed(&a, d->cfg.uuid, 16);
	xdr_put_i32(&a, -1);
	xdr_put_u32(&a, 16);
	xdr_put_u32(&a, 0);
	CU_ASSERT(call_proc(159, &a, &r, &e) < 0);
	CU_ASSERT_EQUAL(e.code, VERR_OPERATION_INVALID);
	xdr_out_free(&r);
	xdr_out_free(&a);

	/* counts beyond the protocol's limits: dropped as malformed */
	xdr_out_init(&a);
	xdr_put_u32(&a, 20000);
	CU_ASSERT_EQUAL(call_proc(344, &a, &r, &e), PROC_DROP);
	xdr_out_free(&r);
	xdr_out_free(&a);
	xdr_out_init(&a);
	xdr_put_string(&a, "statsdom");
	xdr_put_fixed(&a, d->cfg.uuid, 16);
	xdr_put_i32(&a, -1);
	xdr_put_u32(&a, 5000);
	xdr_put_u32(&a, 0);
	CU_ASSERT_EQUAL(call_proc(159, &a, &r, &e), PROC_DROP);
	xdr_out_free(&r);
	xdr_out_free(&a);

	CU_ASSERT_EQUAL(dom_undefine(d, 0, &e), 0);
}

/* SET_METADATA/GET_METADATA {dom; type; [metadata; key;] uri; flags}. */
static int meta_call(struct dom *d, bool set, int type, const char *text,
		     const char *key, const char *uri, uint32_t flags,
		     struct xdr_out *r, struct verr *e)
{
	struct xdr_out a;
	int rc;

	xdr_out_init(&a);
	xdr_put_string(&a, d->cfg.name);
	xdr_put_fixed(&a, d->cfg.uuid, 16);
	xdr_put_i32(&a, -1);
	xdr_put_i32(&a, type);
	if (set) {
		xdr_put_opt_string(&a, text);
		xdr_put_opt_string(&a, key);
	}
	xdr_put_opt_string(&a, uri);
	xdr_put_u32(&a, flags);
	rc = call_proc(set ? 264 : 265, &a, r, e);
	xdr_out_free(&a);
	return rc;
}

static void test_metadata_procs(void)
{
	struct dom *d = NULL;
	struct xdr_out r;
	struct xdr_in x;
	struct verr e = { 0 };
	char *s, *xml;

	CU_ASSERT_EQUAL_FATAL(dom_define(stats_dom_xml, &d, &e), 0);
	/* no description yet: NO_DOMAIN_METADATA (virsh: "No description") */
	CU_ASSERT_EQUAL(meta_call(d, false, 0, NULL, NULL, NULL, 0, &r, &e),
			-ENOENT);
	CU_ASSERT_EQUAL(e.code, VERR_NO_DOMAIN_METADATA);
	xdr_out_free(&r);
	CU_ASSERT_EQUAL(meta_call(d, true, 0, "a <b> & c", NULL, NULL, 2, &r,
				  &e), 0);
	xdr_out_free(&r);
	CU_ASSERT_EQUAL(meta_call(d, false, 0, NULL, NULL, NULL, 0, &r, &e), 0);
	xdr_in_init(&x, r.buf, r.len);
	s = xdr_get_string(&x, 4096);
	CU_ASSERT(s && !strcmp(s, "a <b> & c"));
	free(s);
	xdr_out_free(&r);
	/* kept in the stored XML, escaped */
	xml = dom_xml(d, true);
	CU_ASSERT(xml && strstr(xml, "<description>a &lt;b&gt; &amp; c"
				"</description>"));
	free(xml);
	/* refused: a title with a newline, key for a description, live
	 * on a shut-off domain, an unknown type, bad XML */
	CU_ASSERT(meta_call(d, true, 1, "a\nb", NULL, NULL, 0, &r, &e) < 0);
	CU_ASSERT_EQUAL(e.code, VERR_INVALID_ARG);
	xdr_out_free(&r);
	CU_ASSERT(meta_call(d, true, 0, "x", "k", NULL, 0, &r, &e) < 0);
	xdr_out_free(&r);
	/* a control character XML cannot carry would make the stored
	 * definition unreadable (issue 12 #10) */
	CU_ASSERT(meta_call(d, true, 0, "a\x01" "b", NULL, NULL, 2, &r, &e) < 0);
	CU_ASSERT_STRING_EQUAL(e.msg, "invalid argument: description holds "
			       "control character 0x01, which XML cannot "
			       "carry");
	xdr_out_free(&r);
	CU_ASSERT(meta_call(d, true, 0, "x", NULL, NULL, 1, &r, &e) < 0);
	CU_ASSERT_EQUAL(e.code, VERR_OPERATION_INVALID);
	xdr_out_free(&r);
	CU_ASSERT(meta_call(d, true, 7, "x", NULL, NULL, 0, &r, &e) < 0);
	xdr_out_free(&r);
	CU_ASSERT(meta_call(d, true, 2, "<a><b></a>", "k", "urn:k", 0, &r,
			    &e) < 0);
	CU_ASSERT_EQUAL(e.code, VERR_XML_ERROR);
	xdr_out_free(&r);
	/* an element, read back */
	CU_ASSERT_EQUAL(meta_call(d, true, 2, "<v>1</v>", "k", "urn:k", 0, &r,
				  &e), 0);
	xdr_out_free(&r);
	CU_ASSERT_EQUAL(meta_call(d, false, 2, NULL, NULL, "urn:k", 2, &r,
				  &e), 0);
	xdr_in_init(&x, r.buf, r.len);
	s = xdr_get_string(&x, 4096);
	CU_ASSERT(s && !strcmp(s, "<k:v xmlns:k=\"urn:k\">1</k:v>"));
	free(s);
	xdr_out_free(&r);
	CU_ASSERT_STRING_EQUAL(d->cfg.description, "a <b> & c");
	CU_ASSERT_EQUAL(dom_undefine(d, 0, &e), 0);
}

/* <metadata> elements by namespace: set, replace, get, remove; bad XML,
 * keys and sizes refused leaving the metadata as it was. */
static void test_metadata(void)
{
	char meta[256] = "<a:x xmlns:a=\"urn:a\">1</a:x>", *out = NULL;
	struct verr e = { 0 };

	CU_ASSERT_EQUAL(dommeta_set(meta, sizeof(meta), "<app><v n='2'/></app>",
				    "b", "urn:b", &e), 0);
	CU_ASSERT_STRING_EQUAL(meta, "<a:x xmlns:a=\"urn:a\">1</a:x>"
			       "<b:app xmlns:b=\"urn:b\"><v n=\"2\"/></b:app>");
	CU_ASSERT_EQUAL(dommeta_get(meta, "urn:b", &out, &e), 0);
	CU_ASSERT_STRING_EQUAL(out, "<b:app xmlns:b=\"urn:b\"><v n=\"2\"/></b:app>");
	free(out);
	/* replaced, one element per URI */
	CU_ASSERT_EQUAL(dommeta_set(meta, sizeof(meta), "<app2/>", "c",
				    "urn:b", &e), 0);
	CU_ASSERT_STRING_EQUAL(meta, "<a:x xmlns:a=\"urn:a\">1</a:x>"
			       "<c:app2 xmlns:c=\"urn:b\"/>");
	CU_ASSERT_EQUAL(dommeta_get(meta, "urn:a", &out, &e), 0);
	CU_ASSERT_STRING_EQUAL(out, "<a:x xmlns:a=\"urn:a\">1</a:x>");
	free(out);
	/* refused, unchanged */
	CU_ASSERT(dommeta_set(meta, sizeof(meta), "<open>", "k", "urn:k",
			      &e) < 0);
	CU_ASSERT_EQUAL(e.code, VERR_XML_ERROR);
	CU_ASSERT(dommeta_set(meta, sizeof(meta), "<a/><b/>", "k", "urn:k",
			      &e) < 0);
	/* no DTD (issue 12 #1): its entities would be kept as references
	 * the stored definition does not declare */
	memset(&e, 0, sizeof(e));
	CU_ASSERT(dommeta_set(meta, sizeof(meta), "<!DOCTYPE a [<!ENTITY e "
			      "\"x\">]><a>&e;</a>", "k", "urn:k", &e) < 0);
	CU_ASSERT_EQUAL(e.code, VERR_XML_ERROR);
	CU_ASSERT_STRING_EQUAL(e.msg, "XML error: metadata: DTDs and entity "
			       "declarations are not accepted");
	CU_ASSERT(dommeta_set(meta, sizeof(meta), "<a/>", "1k", "urn:k",
			      &e) < 0);
	CU_ASSERT_EQUAL(e.code, VERR_INVALID_ARG);
	CU_ASSERT(dommeta_set(meta, sizeof(meta), "<a/>", "k", NULL, &e) < 0);
	CU_ASSERT(dommeta_set(meta, sizeof(meta), "<a/>", "xvm", DOMXML_NS,
			      &e) < 0);
	memset(&e, 0, sizeof(e));
	{
		char big[300];

		memset(big, 'z', sizeof(big));
		memcpy(big, "<a>", 3);
		memcpy(big + sizeof(big) - 5, "</a>", 5);
		CU_ASSERT(dommeta_set(meta, sizeof(meta), big, "k", "urn:k",
				      &e) < 0);
		CU_ASSERT(strstr(e.msg, "too long") != NULL);
	}
	CU_ASSERT_STRING_EQUAL(meta, "<a:x xmlns:a=\"urn:a\">1</a:x>"
			       "<c:app2 xmlns:c=\"urn:b\"/>");
	/* removed */
	CU_ASSERT_EQUAL(dommeta_set(meta, sizeof(meta), NULL, NULL, "urn:a",
				    &e), 0);
	CU_ASSERT_STRING_EQUAL(meta, "<c:app2 xmlns:c=\"urn:b\"/>");
	CU_ASSERT_EQUAL(dommeta_get(meta, "urn:a", &out, &e), -ENOENT);
	CU_ASSERT_EQUAL(e.code, VERR_NO_DOMAIN_METADATA);
	CU_ASSERT_PTR_NULL(out);
}

static char statedir[64];
static enum log_level saved_level;

static int rm_entry(const char *path, const struct stat *sb UNUSED,
		    int flag UNUSED, struct FTW *ftw UNUSED)
{
	return remove(path);
}

static int suite_init(void)
{
	char rundir[80];

	saved_level = log_get_level();
	log_set_level(LL_ERR);
	snprintf(statedir, sizeof(statedir), "/tmp/xvmd-stats-XXXXXX");
	if (!mkdtemp(statedir))
		return -1;
	snprintf(rundir, sizeof(rundir), "%s/run", statedir);
	return store_init(statedir, rundir) < 0 ? -1 : 0;
}

static int suite_cleanup(void)
{
	log_set_level(saved_level);
	if (statedir[0])
		nftw(statedir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static CU_TestInfo tests[] = {
	{ "/proc/meminfo parsed", test_meminfo },
	{ "/proc/stat CPU lines parsed", test_cpu },
	{ "VmRSS parsed", test_rss },
	{ "typed parameters encoded as remote_typed_param", test_typed_params },
	{ "VNIC counters from vswitchd, guest's direction",
	  test_vnic_counters },
	{ "node free memory, memory and CPU stats, cells", test_node_procs },
	{ "getAllDomainStats of a shut-off domain; domifstat, dommemstat "
	  "refused", test_all_domain_stats },
	{ "metadata elements by namespace", test_metadata },
	{ "SET_METADATA/GET_METADATA", test_metadata_procs },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(xvmd_stats, suite_init, suite_cleanup, tests);
