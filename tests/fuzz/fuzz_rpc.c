/*
 * The control-socket protocol of hv and vswitchd (lib/rpc.c,
 * docs/vswitchd-control.md "Framing"): the input is what one client sends
 * on the socket (JSON request lines), read by a real lib/rpc server on a
 * unix socket in a temporary directory: line splitting, JSON parsing,
 * request checks (method, id, params), dispatch, replies and errors, the
 * end of the connection. The methods served check their parameters with
 * the lib/ validators vswitchd's requests go through (link names, MACs,
 * VLAN ids, bandwidths, sizes, link property lists); vswitchd's own
 * dispatch needs DPDK and is not linked here.
 */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <jansson.h>

#include "fuzz.h"
#include "xvm/linkprop.h"
#include "xvm/log.h"
#include "xvm/mac.h"
#include "xvm/rpc.h"
#include "xvm/units.h"

static struct rpc_server *srv;
static char sock_path[108];

static const char *str_param(json_t *params, const char *key)
{
	json_t *v = json_object_get(params, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* {"name":LINK,"mac":MAC,"vid":"N","maxbw":BW,"props":"p=v,..."}: each
 * present field checked, the normalised values returned. */
static int m_check(void *ctx, struct rpc_conn *c, json_t *params,
		   json_t **result, struct rpc_error *err)
{
	char buf[256], perr[LINKPROP_ERRLEN];
	struct link_props props;
	struct mac_addr mac;
	uint64_t bw, bytes;
	uint16_t vid;
	const char *s;
	json_t *r;
	int i;

	(void)ctx; (void)c;
	r = json_object();
	if (!r)
		return rpc_errorf(err, ENOMEM, "out of memory");
	if ((s = str_param(params, "name")) && !linkname_valid(s))
		goto bad;
	if ((s = str_param(params, "mac"))) {
		if (mac_parse(s, &mac) < 0)
			goto bad;
		json_object_set_new(r, "mac",
				    json_string(mac_format_canonical(&mac, buf)));
	}
	if ((s = str_param(params, "vid"))) {
		if (vid_parse(s, &vid) < 0)
			goto bad;
		json_object_set_new(r, "vid", json_integer(vid));
	}
	if ((s = str_param(params, "maxbw"))) {
		if (units_parse_bw(s, &bw) < 0)
			goto bad;
		units_format_bw(bw, buf, sizeof(buf));
		json_object_set_new(r, "maxbw", json_string(buf));
	}
	if ((s = str_param(params, "size"))) {
		if (units_parse_size(s, &bytes) < 0)
			goto bad;
		units_format_size(bytes, buf, sizeof(buf));
		json_object_set_new(r, "size", json_string(buf));
	}
	if ((s = str_param(params, "props"))) {
		link_props_init(&props);
		if (linkprop_set_list(&props, s, perr) < 0) {
			json_decref(r);
			return rpc_errorf(err, EINVAL, "%s", perr);
		}
		for (i = 0; i < LINKPROP_COUNT; i++) {
			linkprop_format(&props, (enum linkprop_id)i, buf,
					sizeof(buf));
			json_object_set_new(r, linkprop_name((enum linkprop_id)i),
					    json_string(buf));
		}
	}
	*result = r;
	return 0;
bad:
	json_decref(r);
	return rpc_errorf(err, EINVAL, "invalid parameter");
}

static int m_echo(void *ctx, struct rpc_conn *c, json_t *params,
		  json_t **result, struct rpc_error *err)
{
	(void)ctx; (void)c; (void)err;
	*result = json_incref(params);
	return 0;
}

static int m_fail(void *ctx, struct rpc_conn *c, json_t *params,
		  json_t **result, struct rpc_error *err)
{
	(void)ctx; (void)c; (void)params; (void)result;
	return rpc_errorf(err, ENOENT, "no such thing");
}

static const struct rpc_method methods[] = {
	{ "check", m_check },
	{ "echo", m_echo },
	{ "fail", m_fail },
};

static void srv_close(void)
{
	rpc_server_close(srv);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = fuzz_tmpdir_make("rpc");

	(void)argc; (void)argv;
	fuzz_log_init();
	snprintf(sock_path, sizeof(sock_path), "%s/ctl.sock", dir);
	srv = rpc_server_open(sock_path, methods,
			      sizeof(methods) / sizeof(methods[0]), NULL);
	if (!srv) {
		perror("fuzz_rpc: rpc_server_open");
		exit(1);
	}
	atexit(srv_close);
	return 0;
}

/* Serve until the server has closed our connection (or a bound). */
static void serve(int fd, size_t *off, const uint8_t *data, size_t size)
{
	struct pollfd p = { .fd = rpc_server_fd(srv), .events = POLLIN };
	uint8_t buf[65536];
	bool shut = false;
	int i;

	for (i = 0; i < 20000; i++) {
		ssize_t n;

		if (*off < size) {
			n = send(fd, data + *off, size - *off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n > 0)
				*off += (size_t)n;
			else if (n < 0 && errno != EAGAIN)
				*off = size;
		}
		if (*off == size && !shut) {
			shutdown(fd, SHUT_WR);
			shut = true;
		}
		poll(&p, 1, 0);
		rpc_server_dispatch(srv);
		while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			;
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return;
		if (shut)
			poll(&p, 1, 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t off = 0;
	int fd;

	if (size > (1u << 20))
		return 0;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		abort();
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		abort();
	serve(fd, &off, data, size);
	close(fd);
	rpc_server_dispatch(srv);	/* the server sees it gone */
	return 0;
}
