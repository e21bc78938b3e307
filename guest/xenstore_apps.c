// SPDX-License-Identifier: MIT
/*
 * xenstore-test: the xenbus client against the control domain's xenstore.
 * idle: waits for control/shutdown, as a well-behaved guest does.
 */
#include <errno.h>
#include <string.h>
#include <splitvisor/hypercall.h>

#include "apps.h"
#include "boot_info.h"
#include "console.h"
#include "kstring.h"
#include "ktime.h"
#include "panic.h"
#include "printf.h"
#include "xenbus.h"

#define PATH_MAX_LEN	   128u
#define VALUE_MAX_LEN	   128u
#define WATCH_TEST_WAIT_NS (120 * NSEC_PER_SEC)
#define IDLE_POLL_NS	   NSEC_PER_SEC
#define EXIT_USAGE	   2

static void home_path(char *buf, size_t cap, const char *rel)
{
	ksnprintf(buf, cap, "/local/domain/%u/%s", start_info->domid, rel);
}

static int read_home(const char *rel, char *val, size_t cap)
{
	char path[PATH_MAX_LEN];

	home_path(path, sizeof(path), rel);
	return xenbus_read(path, val, cap);
}

int app_shutdown_requested(const char *tag)
{
	char val[VALUE_MAX_LEN];

	if (read_home("control/shutdown", val, sizeof(val)) < 0)
		return 0;
	if (!strcmp(val, "poweroff")) {
		printk("%s: shutdown requested\n", tag);
		return 1;
	}
	if (!strcmp(val, "reboot")) {
		printk("%s: reboot requested\n", tag);
		kernel_shutdown(SV_SHUTDOWN_reboot, 0);
	}
	return 0;
}

static int test_directory_rm(void)
{
	char path[PATH_MAX_LEN], names[VALUE_MAX_LEN];
	int ret, len;

	home_path(path, sizeof(path), "data/dir/a");
	ret = xenbus_write(path, "1");
	home_path(path, sizeof(path), "data/dir/b");
	if (!ret)
		ret = xenbus_write(path, "2");
	home_path(path, sizeof(path), "data/dir");
	len = ret ? ret : xenbus_directory(path, names, sizeof(names));
	/* Children come back as "a\0b\0" in some order. */
	if (len != 4 || names[1] || names[3] || names[0] == names[2] ||
	    (names[0] != 'a' && names[0] != 'b') || (names[2] != 'a' && names[2] != 'b')) {
		printk("xenstore-test: directory data/dir: %d\n", len);
		return -1;
	}
	ret = xenbus_rm(path);
	if (!ret)
		ret = xenbus_directory(path, names, sizeof(names));
	if (ret != -ENOENT) {
		printk("xenstore-test: rm data/dir: %d\n", ret);
		return -1;
	}
	printk("xenstore-test: directory and rm ok\n");
	return 0;
}

struct counter_tx {
	char path[PATH_MAX_LEN];
	int attempts;
};

/*
 * Increments the counter; on the first attempt a write outside the
 * transaction changes it under us, so the commit must fail and the helper
 * must run the body again.
 */
static int counter_body(uint32_t tx, void *data)
{
	struct counter_tx *c = data;
	unsigned long long v;
	char val[32];
	int ret;

	ret = xenbus_read_tx(tx, c->path, val, sizeof(val));
	if (ret < 0)
		return ret;
	if (parse_u64(val, &v))
		return -EINVAL;
	if (c->attempts++ == 0) {
		ret = xenbus_write(c->path, "10");
		if (ret)
			return ret;
	}
	ksnprintf(val, sizeof(val), "%llu", v + 1);
	return xenbus_write_tx(tx, c->path, val);
}

static int test_transactions(void)
{
	struct counter_tx c = { .attempts = 0 };
	char val[VALUE_MAX_LEN];
	uint32_t tx;
	int ret;

	/* A plain commit: the write appears only when the transaction ends. */
	home_path(c.path, sizeof(c.path), "data/counter");
	ret = xenbus_write(c.path, "0");
	if (!ret)
		ret = xenbus_transaction_start(&tx);
	if (!ret)
		ret = xenbus_write_tx(tx, c.path, "1");
	if (!ret)
		ret = xenbus_read(c.path, val, sizeof(val));
	if (ret < 0 || strcmp(val, "0")) {
		printk("xenstore-test: transaction isolation: %d %s\n", ret, val);
		return -1;
	}
	ret = xenbus_transaction_end(tx, false);
	if (!ret)
		ret = xenbus_read(c.path, val, sizeof(val));
	if (ret < 0 || strcmp(val, "1")) {
		printk("xenstore-test: transaction commit: %d %s\n", ret, val);
		return -1;
	}
	/* A forced conflict: read inside, change outside, commit must say EAGAIN. */
	ret = xenbus_transaction_start(&tx);
	if (!ret)
		ret = xenbus_read_tx(tx, c.path, val, sizeof(val));
	if (ret >= 0)
		ret = xenbus_write(c.path, "5");
	if (!ret)
		ret = xenbus_write_tx(tx, c.path, "2");
	if (!ret)
		ret = xenbus_transaction_end(tx, false);
	if (ret != -EAGAIN) {
		printk("xenstore-test: conflicting commit gave %d, not -EAGAIN\n", ret);
		return -1;
	}
	printk("xenstore-test: transaction conflict EAGAIN\n");
	/* The helper retries: the second attempt sees "10" and commits "11". */
	ret = xenbus_transaction_run(counter_body, &c);
	if (!ret)
		ret = xenbus_read(c.path, val, sizeof(val));
	if (ret < 0 || c.attempts != 2 || strcmp(val, "11")) {
		printk("xenstore-test: transaction retry: %d, %d attempts, %s\n", ret, c.attempts,
		       val);
		return -1;
	}
	printk("xenstore-test: transaction retried %d times, ok\n", c.attempts - 1);
	return 0;
}

int xenstore_test_main(int argc, char **argv)
{
	char path[PATH_MAX_LEN], val[VALUE_MAX_LEN], fired[PATH_MAX_LEN], token[16];
	uint64_t deadline;
	int ret;

	(void)argc;
	(void)argv;
	ret = xenbus_init();
	if (ret) {
		printk("xenstore-test: no xenstore (%d)\n", ret);
		return 1;
	}
	ret = read_home("name", val, sizeof(val));
	if (ret < 0) {
		printk("xenstore-test: read name: %d\n", ret);
		return 1;
	}
	printk("xenstore-test: name %s\n", val);
	ret = read_home("domid", val, sizeof(val));
	if (ret < 0) {
		printk("xenstore-test: read domid: %d\n", ret);
		return 1;
	}
	printk("xenstore-test: domid %s\n", val);
	home_path(path, sizeof(path), "data/test");
	ret = xenbus_write(path, "hello");
	if (!ret)
		ret = xenbus_read(path, val, sizeof(val));
	if (ret < 0 || strcmp(val, "hello")) {
		printk("xenstore-test: write/read data/test: %d\n", ret);
		return 1;
	}
	printk("xenstore-test: data/test = %s\n", val);
	if (test_directory_rm() || test_transactions())
		return 1;
	home_path(path, sizeof(path), "data/watched");
	ret = xenbus_watch(path, "w");
	if (ret) {
		printk("xenstore-test: watch: %d\n", ret);
		return 1;
	}
	printk("xenstore-test: ready\n");
	console_flush();
	deadline = now_ns() + WATCH_TEST_WAIT_NS;
	for (;;) {
		ret = xenbus_wait_watch(fired, sizeof(fired), token, sizeof(token), deadline);
		if (ret) {
			printk("xenstore-test: waiting for the watch: %d\n", ret);
			return 1;
		}
		/* The watch fires once when set: only a node that exists counts. */
		ret = xenbus_read(path, val, sizeof(val));
		if (ret == -ENOENT)
			continue;
		if (ret < 0) {
			printk("xenstore-test: read data/watched: %d\n", ret);
			return 1;
		}
		printk("xenstore-test: watch fired %s\n", fired);
		return 0;
	}
}

int idle_main(int argc, char **argv)
{
	char path[PATH_MAX_LEN], fired[PATH_MAX_LEN], token[16];
	int ret;

	(void)argc;
	(void)argv;
	ret = xenbus_init();
	if (!ret) {
		home_path(path, sizeof(path), "control/shutdown");
		ret = xenbus_watch(path, "shutdown");
	}
	if (ret) {
		/* Without xenstore nobody can ask us to stop: idle until destroyed. */
		printk("idle: no xenstore (%d), idling\n", ret);
		console_flush();
		for (;;)
			msleep(1000);
	}
	printk("idle: waiting for control/shutdown\n");
	console_flush();
	for (;;) {
		/* Polls as well: a restarted control domain has forgotten our watch. */
		ret = xenbus_wait_watch(fired, sizeof(fired), token, sizeof(token),
					now_ns() + IDLE_POLL_NS);
		if (ret == -EIO) {
			printk("idle: xenstore ring broken\n");
			return 1;
		}
		if (app_shutdown_requested("idle"))
			return 0;
	}
}

/*
 * xswatch N: waits for data/count to take the values 1..N, each seen through its own watch
 * event (no polling), in order: what the test of a restarting control domain writes between
 * kills. A lost watch leaves it waiting; a value skipped or repeated out of order is an error.
 */
int xswatch_main(int argc, char **argv)
{
	char path[PATH_MAX_LEN], val[VALUE_MAX_LEN], fired[PATH_MAX_LEN], token[16];
	unsigned long long n, v, last = 0;
	int ret;

	if (argc < 2 || parse_u64(argv[1], &n) || !n) {
		printk("usage: xswatch N\n");
		return EXIT_USAGE;
	}
	ret = xenbus_init();
	home_path(path, sizeof(path), "data/count");
	if (!ret)
		ret = xenbus_watch(path, "count");
	if (ret) {
		printk("xswatch: no watch (%d)\n", ret);
		return 1;
	}
	printk("xswatch: ready\n");
	console_flush();
	while (last < n) {
		ret = xenbus_wait_watch(fired, sizeof(fired), token, sizeof(token),
					now_ns() + 600 * NSEC_PER_SEC);
		if (ret) {
			printk("xswatch: waiting after %llu: %d\n", last, ret);
			return 1;
		}
		ret = xenbus_read(path, val, sizeof(val));
		if (ret == -ENOENT)
			continue;
		if (ret < 0 || parse_u64(val, &v)) {
			printk("xswatch: read data/count: %d\n", ret);
			return 1;
		}
		/* Watches may fire more than once for one change (a restart writes again). */
		if (v == last)
			continue;
		if (v != last + 1) {
			printk("xswatch: saw %llu after %llu\n", v, last);
			return 1;
		}
		last = v;
		printk("xswatch: saw %llu\n", v);
		console_flush();
	}
	printk("xswatch: all %llu values in order\n", n);
	return 0;
}
