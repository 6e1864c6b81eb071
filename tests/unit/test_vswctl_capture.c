/*
 * lib/vswctl_capture.c and vnicadm snoop against a stand-in vswitchd
 * (fake_rpc.c): the capture.start request as sent, frames decoded from
 * capture.frames events and handed over in order, events of other
 * captures ignored, capture.end, and malformed events refused; then whole
 * snoop command lines (summary lines, a pcap stream, the closing counts).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "capture.h"
#include "fake_rpc.h"
#include "xvm/pcapfile.h"
#include "xvm/vswctl_capture.h"
#include "vnicadm/vnicadm.h"

static char dir[64];
static char sock[128];
static struct fake_rpc *vswitchd;
static json_t *last_start;		/* capture.start's params */
static const char *const *script;	/* events sent after the reply */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int starts;			/* capture.start requests served */

/* capture.start: {"id": 7}, then the script's events (JSON text; each
 * {"event": ..., "data": ...}). */
static int m_start(void *ctx UNUSED, struct rpc_conn *c, json_t *p,
		   json_t **r, struct rpc_error *e UNUSED)
{
	pthread_mutex_lock(&lock);
	json_decref(last_start);
	last_start = json_incref(p);
	starts++;
	for (const char *const *s = script; s && *s; s++) {
		json_t *ev = json_loads(*s, 0, NULL);

		rpc_conn_emit(c, json_string_value(json_object_get(ev, "event")),
			      json_incref(json_object_get(ev, "data")));
		json_decref(ev);
	}
	pthread_mutex_unlock(&lock);
	*r = json_pack("{s:i}", "id", 7);
	return 0;
}

static int stop_enoent;		/* capture.stop: it ended meanwhile */

static int m_stop(void *ctx UNUSED, struct rpc_conn *c, json_t *p UNUSED,
		  json_t **r UNUSED, struct rpc_error *e)
{
	rpc_conn_emit(c, "capture.end", json_pack("{s:i, s:i, s:i, s:s}",
		      "id", 7, "captured", 0, "dropped", 0, "reason",
		      stop_enoent ? "count" : "stopped"));
	if (__atomic_load_n(&stop_enoent, __ATOMIC_SEQ_CST))
		return rpc_errorf(e, ENOENT, "no such capture on this "
				  "connection");
	return 0;
}

static const struct rpc_method methods[] = {
	{ "capture.start", m_start },
	{ "capture.stop", m_stop },
};

static int suite_init(void)
{
	snprintf(dir, sizeof(dir), "/tmp/xvm-vswctl-cap.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(sock, sizeof(sock), "%s/vswitchd.sock", dir);
	vswitchd = fake_rpc_start(sock, methods, ARRAY_SIZE(methods), NULL);
	return vswitchd ? 0 : -1;
}

static int suite_cleanup(void)
{
	fake_rpc_stop(vswitchd);
	json_decref(last_start);
	unlink(sock);
	rmdir(dir);
	return 0;
}

#define FRAMES(id, caplen, dropped, frames)				\
	"{\"event\":\"capture.frames\",\"data\":{\"id\":" #id		\
	",\"captured\":" #caplen ",\"dropped\":" #dropped		\
	",\"frames\":[" frames "]}}"
#define END(reason)							\
	"{\"event\":\"capture.end\",\"data\":{\"id\":7,\"captured\":2,"	\
	"\"dropped\":1,\"reason\":\"" reason "\"}}"

struct got {
	int n;
	struct vswctl_frame f[4];
	uint8_t data[4][16];
};

static int take(void *arg, const struct vswctl_frame *f)
{
	struct got *g = arg;

	if (g->n < 4) {
		g->f[g->n] = *f;
		memcpy(g->data[g->n], f->data, MIN(f->caplen, 16));
		g->f[g->n].data = g->data[g->n];
	}
	g->n++;
	return 0;
}

/* Start a capture with this script; the handle, or NULL. */
static struct vswctl *start(const char *const *s,
			    const struct vswctl_capture_spec *spec)
{
	struct vswctl *h = NULL;
	uint64_t id = 0;

	pthread_mutex_lock(&lock);
	script = s;
	pthread_mutex_unlock(&lock);
	if (vswctl_open(sock, &h) < 0)
		return NULL;
	CU_ASSERT_EQUAL(vswctl_capture_start(h, spec, &id), 0);
	CU_ASSERT_EQUAL(id, 7);
	return h;
}

static void test_start_request(void)
{
	static const struct vswctl_capture_insn f[2] = {
		{ 0x28, 0, 0, 12 }, { 0x6, 0, 0, 0xffffffff },
	};
	struct vswctl_capture_spec spec = {
		.link = "vnic0", .snaplen = 96, .count = 5, .filter = f,
		.nfilter = 2, .expr = "ip",
	};
	struct vswctl *h = start(NULL, &spec);
	char *req;

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	pthread_mutex_lock(&lock);
	req = json_dumps(last_start, JSON_COMPACT | JSON_SORT_KEYS);
	pthread_mutex_unlock(&lock);
	CU_ASSERT_STRING_EQUAL(req, "{\"count\":5,\"expr\":\"ip\",\"filter\":"
			       "[[40,0,0,12],[6,0,0,4294967295]],\"link\":"
			       "\"vnic0\",\"snaplen\":96}");
	free(req);
	vswctl_close(h);
}

/* A long or odd expression goes as a label vswitchd accepts. */
static void test_start_label(void)
{
	char expr[400];
	struct vswctl_capture_spec spec = { .link = "vnic0", .expr = expr };
	struct vswctl *h;
	const char *sent;

	memset(expr, 'a', sizeof(expr) - 1);
	expr[0] = '\x80';
	expr[sizeof(expr) - 1] = '\0';
	h = start(NULL, &spec);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	pthread_mutex_lock(&lock);
	sent = json_string_value(json_object_get(last_start, "expr"));
	CU_ASSERT_PTR_NOT_NULL(sent);
	if (sent) {
		CU_ASSERT_EQUAL(strlen(sent), VSWCTL_CAPTURE_LABEL_MAX);
		CU_ASSERT_EQUAL(sent[0], '?');
		CU_ASSERT_STRING_EQUAL(sent + strlen(sent) - 4, "a...");
	}
	pthread_mutex_unlock(&lock);
	vswctl_close(h);
}

static void test_frames_and_end(void)
{
	static const char *const s[] = {
		FRAMES(8, 9, 9, "{\"t\":1,\"len\":1,\"dir\":\"in\",\"data\":\"ff\"}"),
		FRAMES(7, 2, 0,
		       "{\"t\":1000,\"len\":64,\"dir\":\"in\",\"data\":\"0a0B\"},"
		       "{\"t\":2000,\"len\":3,\"dir\":\"out\",\"data\":\"010203\"}"),
		END("count"),
		NULL,
	};
	struct vswctl_capture_spec spec = { .link = "vnic0" };
	struct vswctl_capture_status st = { 0 };
	struct vswctl *h = start(s, &spec);
	struct got g = { 0 };

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	/* another capture's event: nothing for us, counts untouched */
	CU_ASSERT_EQUAL(vswctl_capture_next(h, 7, 1000, take, &g, &st), 0);
	CU_ASSERT_EQUAL(g.n, 0);
	CU_ASSERT_EQUAL(st.captured, 0);
	/* "0B": upper-case hex is not what vswitchd sends */
	CU_ASSERT_EQUAL(vswctl_capture_next(h, 7, 1000, take, &g, &st),
			-EPROTO);
	CU_ASSERT_STRING_EQUAL(vswctl_error(h)->message,
			       "malformed capture event");
	vswctl_close(h);
}

static void test_frames_decoded(void)
{
	static const char *const s[] = {
		FRAMES(7, 2, 1,
		       "{\"t\":1000,\"len\":64,\"dir\":\"in\",\"data\":\"0a0b\"},"
		       "{\"t\":2000,\"len\":3,\"dir\":\"out\",\"data\":\"010203\"}"),
		END("count"),
		NULL,
	};
	struct vswctl_capture_spec spec = { .link = "vnic0" };
	struct vswctl_capture_status st = { 0 };
	struct vswctl *h = start(s, &spec);
	struct got g = { 0 };

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_EQUAL(vswctl_capture_next(h, 7, 1000, take, &g, &st), 0);
	CU_ASSERT_EQUAL_FATAL(g.n, 2);
	CU_ASSERT(g.f[0].t_ns == 1000 && g.f[0].len == 64 &&
		  g.f[0].caplen == 2 && g.f[0].in);
	CU_ASSERT(g.data[0][0] == 0x0a && g.data[0][1] == 0x0b);
	CU_ASSERT(g.f[1].caplen == 3 && !g.f[1].in && g.data[1][2] == 3);
	CU_ASSERT(st.captured == 2 && st.dropped == 1 && !st.ended);
	CU_ASSERT_EQUAL(vswctl_capture_next(h, 7, 1000, take, &g, &st), 0);
	CU_ASSERT(st.ended);
	CU_ASSERT_STRING_EQUAL(st.reason, "count");
	vswctl_close(h);
}

static void test_malformed(void)
{
	static const char *const bad[] = {
		FRAMES(7, 1, 0, "{\"t\":1,\"len\":1,\"dir\":\"in\",\"data\":\"f\"}"),
		FRAMES(7, 1, 0, "{\"t\":1,\"len\":1,\"dir\":\"in\",\"data\":\"zz\"}"),
		FRAMES(7, 1, 0, "{\"t\":1,\"len\":1,\"dir\":\"in\",\"data\":\"0102\"}"),
		FRAMES(7, 1, 0, "{\"t\":-1,\"len\":1,\"dir\":\"in\",\"data\":\"01\"}"),
		FRAMES(7, 1, 0, "{\"len\":1,\"dir\":\"in\",\"data\":\"01\"}"),
		FRAMES(7, 1, 0, "7"),
		"{\"event\":\"capture.frames\",\"data\":{\"id\":7,\"captured\":1,"
		"\"dropped\":0,\"frames\":{}}}",
		"{\"event\":\"capture.frames\",\"data\":{\"id\":7,\"frames\":[]}}",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *const s[] = { bad[i], NULL };
		struct vswctl_capture_spec spec = { .link = "vnic0" };
		struct vswctl_capture_status st = { 0 };
		struct vswctl *h = start(s, &spec);
		struct got g = { 0 };

		CU_ASSERT_PTR_NOT_NULL_FATAL(h);
		CU_ASSERT_EQUAL(vswctl_capture_next(h, 7, 1000, take, &g, &st),
				-EPROTO);
		CU_ASSERT_EQUAL(g.n, 0);
		vswctl_close(h);
	}
}

/* ---- whole snoop command lines ---- */

static struct capture out, err;

static int snoop(const char **args)
{
	char *argv[16] = { "vnicadm", "snoop" };
	int argc = 2;

	for (; *args && argc < 15; args++)
		argv[argc++] = (char *)*args;
	cap_open(&out);
	cap_open(&err);
	return vnicadm_main(argc, argv, out.f, err.f);
}

/* An ICMP echo request, as hex: 14 + 20 + 8 bytes. */
#define ECHO_HEX "0200000a0b0c00163e010203" "0800"			\
	"4500001c000000004001" "0000" "0a000001" "0a000002"		\
	"0800" "0000" "0007" "0003"

static void test_snoop_lines(void)
{
	static const char *const s[] = {
		FRAMES(7, 2, 0,
		       "{\"t\":1000000000,\"len\":42,\"dir\":\"out\",\"data\":\"" ECHO_HEX "\"},"
		       "{\"t\":1500000000,\"len\":42,\"dir\":\"in\",\"data\":\"" ECHO_HEX "\"}"),
		END("count"),
		NULL,
	};
	char *saved = env_save("XVM_RUNDIR");

	pthread_mutex_lock(&lock);
	script = s;
	pthread_mutex_unlock(&lock);
	setenv("XVM_RUNDIR", dir, 1);
	CU_ASSERT_EQUAL(snoop((const char *[]){ "-c", "2", "vnic0", NULL }), 0);
	CU_ASSERT_STRING_EQUAL(cap_text(&out),
		"    1    0.00000 out 0:16:3e:1:2:3 -> 2:0:0:a:b:c 10.0.0.1 -> "
		"10.0.0.2 ICMP Echo request (ID: 7 Sequence number: 3)\n"
		"    2    0.50000 in  0:16:3e:1:2:3 -> 2:0:0:a:b:c 10.0.0.1 -> "
		"10.0.0.2 ICMP Echo request (ID: 7 Sequence number: 3)\n");
	CU_ASSERT_STRING_EQUAL(cap_text(&err), "Using link vnic0\n"
			       "2 frames captured\n1 frames dropped by vswitchd\n");
	pthread_mutex_lock(&lock);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(last_start, "count")), 2);
	pthread_mutex_unlock(&lock);

	/* the same as a pcap stream: header, then 2 records of 42 bytes */
	CU_ASSERT_EQUAL(snoop((const char *[]){ "vnic0", "-o", "-", NULL }), 0);
	CU_ASSERT_EQUAL(out.len, PCAPFILE_HDR_LEN + 2 * (PCAPFILE_REC_LEN + 42));
	CU_ASSERT_EQUAL(memcmp(out.buf + PCAPFILE_HDR_LEN + PCAPFILE_REC_LEN,
			       "\x02\x00\x00\x0a\x0b\x0c", 6), 0);
	env_restore("XVM_RUNDIR", saved);
	cap_close(&out);
	cap_close(&err);
}

static void test_snoop_filter(void)
{
	static const char *const s[] = { END("link deleted"), NULL };
	char *saved = env_save("XVM_RUNDIR");

	setenv("XVM_RUNDIR", dir, 1);
	pthread_mutex_lock(&lock);
	script = s;
	pthread_mutex_unlock(&lock);
	/* a compiled filter reaches vswitchd as instructions; a capture
	 * whose link goes ends with status 1 */
	CU_ASSERT_EQUAL(snoop((const char *[]){ "-c", "1", "vnic0", "arp", NULL }), 1);
	CU_ASSERT_STRING_EQUAL(cap_text(&err), "Using link vnic0\n"
			       "0 frames captured\n1 frames dropped by vswitchd\n"
			       "vnicadm: capture on 'vnic0' ended: link deleted\n");
	pthread_mutex_lock(&lock);
	CU_ASSERT(json_array_size(json_object_get(last_start, "filter")) > 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(last_start, "expr")),
			       "arp");
	pthread_mutex_unlock(&lock);
	env_restore("XVM_RUNDIR", saved);
	cap_close(&out);
	cap_close(&err);
}

/* SIGINT once capture.start was answered (snoop then catches it; it
 * sets its handler right after the reply), as a user's ^C. */
static void *interrupt_later(void *arg)
{
	int before = *(int *)arg, n;

	for (int i = 0; i < 500; i++) {
		pthread_mutex_lock(&lock);
		n = starts;
		pthread_mutex_unlock(&lock);
		if (n > before)
			break;
		usleep(10000);
	}
	usleep(200000);
	kill(getpid(), SIGINT);
	return NULL;
}

/* ^C: capture.stop, then the last events; a capture that ended just
 * before the stop (ENOENT) ends as well, without an error. */
static void test_snoop_interrupted(void)
{
	char *saved = env_save("XVM_RUNDIR");
	pthread_t t;
	int before;

	setenv("XVM_RUNDIR", dir, 1);
	for (int enoent = 0; enoent < 2; enoent++) {
		pthread_mutex_lock(&lock);
		script = NULL;
		before = starts;
		pthread_mutex_unlock(&lock);
		__atomic_store_n(&stop_enoent, enoent, __ATOMIC_SEQ_CST);
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, interrupt_later,
						     &before), 0);
		CU_ASSERT_EQUAL(snoop((const char *[]){ "vnic0", NULL }), 0);
		pthread_join(t, NULL);
		CU_ASSERT_STRING_EQUAL(cap_text(&err), "Using link vnic0\n"
				       "0 frames captured\n"
				       "0 frames dropped by vswitchd\n");
	}
	__atomic_store_n(&stop_enoent, 0, __ATOMIC_SEQ_CST);
	env_restore("XVM_RUNDIR", saved);
	cap_close(&out);
	cap_close(&err);
}

static CU_TestInfo tests[] = {
	{ "capture.start request", test_start_request },
	{ "capture.start: the expression's label", test_start_label },
	{ "other captures ignored, bad hex refused", test_frames_and_end },
	{ "frames decoded, end", test_frames_decoded },
	{ "malformed events", test_malformed },
	{ "snoop: lines, pcap stream, counts", test_snoop_lines },
	{ "snoop: filter sent compiled, link deleted", test_snoop_filter },
	{ "snoop: interrupted", test_snoop_interrupted },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(vswctl_capture, suite_init, suite_cleanup, tests);
