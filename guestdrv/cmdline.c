/*
 * cmdline.c: the kernel command line: space-separated `key=value` words
 * matched against a small options table. `workload=NAME[,NAME...]` names
 * the workloads; unknown keys and malformed words get a warning and are
 * otherwise ignored (a typo must not keep a guest from booting).
 */
#include "minios.h"
#include "cmdline.h"

struct option {
	const char *key;
	bool is_num;
	bool repeat;		/* string: repeated words append ",value" */
	uint64_t min, max;	/* range for numbers */
	char str[128];		/* value of a string option */
	uint64_t num;		/* value of a number option */
	bool set;
};

static struct option options[] = {
	{ .key = "workload", .str = "hello" },
	{ .key = "spin_secs", .is_num = true, .max = 1000000000 },
	{ .key = "dirty_mbps", .is_num = true, .max = 65536 },
	{ .key = "dirty_mib", .is_num = true, .max = 4096 },
	/* Network (docs/guest.md "Network"). */
	{ .key = "ip", .repeat = true },
	{ .key = "gw" },
	{ .key = "peer" },
	{ .key = "peer_mac" },
	{ .key = "size", .is_num = true, .min = 64, .max = 1518, .num = 64 },
	{ .key = "rate", .is_num = true, .max = 100000000 },
	{ .key = "count", .is_num = true, .max = 1000000000000ULL },
	{ .key = "secs", .is_num = true, .max = 1000000000 },
	{ .key = "interval_ms", .is_num = true, .min = 1, .max = 3600000, .num = 1000 },
	{ .key = "port", .is_num = true, .min = 1, .max = 65535, .num = 9 },
	{ .key = "nic", .is_num = true, .max = 3 },
	{ .key = "mtu", .is_num = true, .min = 68, .max = 9100 },
	{ .key = "ping_size", .is_num = true, .min = 16, .max = 9072, .num = 56 },
	{ .key = "hotplug", .str = "on" },	/* off: ignore PCI hot-plug */
	/* Disks (docs/guest.md "Disks"). */
	{ .key = "disk", .is_num = true, .max = 7 },
	{ .key = "blk_start", .is_num = true, .max = 1ULL << 40 },
	{ .key = "blk_sectors", .is_num = true, .min = 1, .max = 1ULL << 24, .num = 2048 },
	{ .key = "blk_seed", .is_num = true, .max = 0xffffffff, .num = 1 },
	{ .key = "blk_mode", .str = "all" },
	{ .key = "blk_bs", .is_num = true, .max = 128 },
	{ .key = "blk_disks", .is_num = true, .min = 1, .max = 8, .num = 1 },
	{ .key = "blk_qd", .is_num = true, .min = 1, .max = 32, .num = 1 },
	{ .key = "blk_q", .is_num = true, .max = 7 },
};

static struct option *option_find(const char *key, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		if (strlen(options[i].key) == len &&
		    !strncmp(options[i].key, key, len))
			return &options[i];
	return NULL;
}

static void option_set(struct option *o, const char *val, size_t len)
{
	uint64_t v;

	if (!o->is_num && o->repeat && o->set) {
		size_t have = strlen(o->str);

		if (have + 1 + len >= sizeof(o->str)) {
			kprintf("guest: warning: option %s: too many values, '%.*s' ignored\n",
				o->key, (int)len, val);
			return;
		}
		o->str[have] = ',';
		memcpy(o->str + have + 1, val, len);
		o->str[have + 1 + len] = '\0';
		return;
	}
	if (!o->is_num) {
		if (len >= sizeof(o->str)) {
			kprintf("guest: warning: option %s: value too long, ignored\n", o->key);
			return;
		}
		memcpy(o->str, val, len);
		o->str[len] = '\0';
		o->set = true;
		return;
	}
	if (parse_u64(val, len, &v) < 0 || v < o->min || v > o->max) {
		kprintf("guest: warning: option %s: bad value '%.*s' (%lu-%lu), ignored\n",
			o->key, (int)len, val, o->min, o->max);
		return;
	}
	o->num = v;
	o->set = true;
}

static void cmdline_word(const char *w, size_t len)
{
	const char *eq = NULL;
	struct option *o;

	for (size_t i = 0; i < len; i++)
		if (w[i] == '=') {
			eq = w + i;
			break;
		}
	if (!eq || eq == w) {
		kprintf("guest: warning: ignoring '%.*s' (expected key=value)\n",
			(int)len, w);
		return;
	}
	o = option_find(w, (size_t)(eq - w));
	if (!o) {
		kprintf("guest: warning: unknown option '%.*s'\n", (int)(eq - w), w);
		return;
	}
	option_set(o, eq + 1, len - (size_t)(eq - w) - 1);
}

void cmdline_parse(const char *s)
{
	while (*s) {
		size_t n = 0;

		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		while (s[n] && s[n] != ' ' && s[n] != '\t' && s[n] != '\n')
			n++;
		if (n)
			cmdline_word(s, n);
		s += n;
	}
}

const char *cmdline_str(const char *key)
{
	struct option *o = option_find(key, strlen(key));

	return o && !o->is_num ? o->str : NULL;
}

bool cmdline_isset(const char *key)
{
	struct option *o = option_find(key, strlen(key));

	return o && o->set;
}

uint64_t cmdline_num(const char *key)
{
	struct option *o = option_find(key, strlen(key));

	return o && o->is_num ? o->num : 0;
}
