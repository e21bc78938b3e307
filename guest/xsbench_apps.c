// SPDX-License-Identifier: MIT
/*
 * xsbench: xenstore read round trips through the store ring, bracketed by
 * console markers so the host can time them on its own clock. It starts on a
 * key from the console (or after a minute without one).
 * xsflood: a hostile neighbour that keeps the store ring busy with requests
 * that are well framed but each earn an error reply.
 */
#include <errno.h>
#include <string.h>
#include <splitvisor/xs_wire.h>

#include "apps.h"
#include "boot_info.h"
#include "console.h"
#include "kstring.h"
#include "ktime.h"
#include "printf.h"
#include "xenbus.h"

#define EXIT_USAGE	  2
#define XSB_DEFAULT_READS 2000ull
#define XSB_MAX_READS	  100000000ull
#define XSB_WARMUP	  16u
#define XSB_PATH_LEN	  128u
#define XSB_VALUE	  "xsbench-0123456789abcdef"
#define XSB_GO_WAIT_NS	  (60 * NSEC_PER_SEC)
/* 32 error replies of at most 23 bytes fit the 1024-byte response ring. */
#define FLOOD_BATCH	   32u
#define FLOOD_PAUSE_MS	   1u
#define FLOOD_MAX_PAUSE_MS 60000u
#define FLOOD_REPORT_EVERY 256ull
#define FLOOD_KINDS	   6u
/* Longer than any valid path, yet the request stays inside one payload. */
#define FLOOD_LONG_PATH (XS_ABS_PATH_MAX + 32u)
#define FLOOD_BAD_TYPE	99u

int xsbench_main(int argc, char **argv)
{
	unsigned long long n = XSB_DEFAULT_READS, errors = 0;
	char path[XSB_PATH_LEN], val[64];
	uint64_t t0, ns;
	int ret;

	if (argc > 1 && (parse_u64(argv[1], &n) || !n || n > XSB_MAX_READS)) {
		printk("usage: xsbench [reads 1..%llu]\n", XSB_MAX_READS);
		return EXIT_USAGE;
	}
	ret = xenbus_init();
	if (ret) {
		printk("xsbench: no xenstore (%d)\n", ret);
		return 1;
	}
	ksnprintf(path, sizeof(path), "/local/domain/%u/data/bench", start_info->domid);
	ret = xenbus_write(path, XSB_VALUE);
	for (unsigned int i = 0; i < XSB_WARMUP && ret >= 0; i++)
		ret = xenbus_read(path, val, sizeof(val));
	if (ret < 0) {
		printk("xsbench: write/read %s: %d\n", path, ret);
		return 1;
	}
	/*
	 * A host that times the markers sends a key once it follows the console;
	 * starting earlier would let it see both markers late, from the log.
	 */
	printk("xsbench: ready, waiting for a key\n");
	console_flush();
	ret = console_getc(now_ns() + XSB_GO_WAIT_NS);
	if (ret < 0)
		printk("xsbench: no key (%d), starting anyway\n", ret);
	printk("xsbench: start\n");
	console_flush();
	t0 = now_ns();
	for (unsigned long long i = 0; i < n; i++) {
		ret = xenbus_read(path, val, sizeof(val));
		if (ret < 0 || strcmp(val, XSB_VALUE))
			errors++;
	}
	ns = now_ns() - t0;
	printk("xsbench: end\n");
	console_flush();
	printk("xsbench: reads=%llu ns=%llu errors=%llu\n", n, (unsigned long long)ns, errors);
	return errors ? 1 : 0;
}

static char long_path[FLOOD_LONG_PATH + 1];

/* Request kind k of the flood; each is valid framing but must earn an error reply. */
static int flood_send(unsigned int k)
{
	static const char no_nul[] = { 'd', 'a', 't', 'a', '/', 'x' };
	char path[XSB_PATH_LEN];

	switch (k) {
	case 0: /* ENOENT */
		ksnprintf(path, sizeof(path), "/local/domain/%u/data/nosuch", start_info->domid);
		return xenbus_send_raw(XS_READ, path, strlen(path) + 1);
	case 1: /* EINVAL: longer than XS_ABS_PATH_MAX */
		return xenbus_send_raw(XS_READ, long_path, sizeof(long_path));
	case 2: /* EINVAL: no such message type */
		return xenbus_send_raw(FLOOD_BAD_TYPE, "x", 2);
	case 3: /* EINVAL: the path lacks its NUL */
		return xenbus_send_raw(XS_READ, no_nul, sizeof(no_nul));
	case 4: /* EINVAL: clients may not send watch events */
		return xenbus_send_raw(XS_WATCH_EVENT, "/a\0t", 5);
	default: /* EINVAL: a character outside the path alphabet */
		return xenbus_send_raw(XS_DIRECTORY, "/local/domain/x y", 18);
	}
}

int xsflood_main(int argc, char **argv)
{
	unsigned long long batches = 0, requests = 0, unexpected = 0, pause = FLOOD_PAUSE_MS;
	int ret, xs_err;

	if (argc > 1 && (parse_u64(argv[1], &pause) || !pause || pause > FLOOD_MAX_PAUSE_MS)) {
		printk("usage: xsflood [pause between batches, 1..%u ms]\n", FLOOD_MAX_PAUSE_MS);
		return EXIT_USAGE;
	}
	ret = xenbus_init();
	if (ret) {
		printk("xsflood: no xenstore (%d)\n", ret);
		return 1;
	}
	long_path[0] = '/';
	memset(long_path + 1, 'a', FLOOD_LONG_PATH - 1);
	printk("xsflood: flooding in batches of %u\n", FLOOD_BATCH);
	console_flush();
	/* Until destroyed. Replies are collected per batch so the response ring never fills. */
	for (;;) {
		for (unsigned int i = 0; i < FLOOD_BATCH; i++) {
			ret = flood_send((unsigned int)((requests + i) % FLOOD_KINDS));
			if (ret)
				goto out;
		}
		for (unsigned int i = 0; i < FLOOD_BATCH; i++) {
			ret = xenbus_recv_raw(&xs_err, now_ns() + XENBUS_REPLY_TIMEOUT_NS);
			if (ret)
				goto out;
			if (!xs_err)
				unexpected++;
		}
		requests += FLOOD_BATCH;
		if (++batches % FLOOD_REPORT_EVERY == 0) {
			printk("xsflood: batches=%llu requests=%llu unexpected=%llu\n", batches,
			       requests, unexpected);
			console_flush();
		}
		/* Guests share the CPU here: halt between batches, never spin. */
		msleep(pause);
	}
out:
	printk("xsflood: ring failed after %llu requests: %d\n", requests, ret);
	return 1;
}
