// SPDX-License-Identifier: MIT
/*
 * `svctl block-list` and `net-list` as svdom0 renders them from the device
 * records (vbd_list, vif_list): a read-only disk whose source has spaces, a
 * driver domain's disk and interface without counters, the drop and <ip>
 * lines, and a full buffer cutting only between whole devices.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <splitvisor/xenbus.h>

#include "vbd.h"
#include "vif.h"

/* text, len bytes long, is the lines of want (NULL-terminated), each ended by a newline. */
static void expect_table(const char *text, size_t len, const char *const *want)
{
	size_t off = 0, n;

	for (; *want; want++, off += n + 1) {
		n = strlen(*want);
		ck_assert_msg(off + n < len && !strncmp(text + off, *want, n) &&
				      text[off + n] == '\n',
			      "no line '%s' at %zu in:\n%.*s", *want, off, (int)len, text);
	}
	ck_assert_uint_eq(off, len);
}

static void disks(struct vbd_record r[2])
{
	memset(r, 0, 2 * sizeof(*r));
	r[0].stats.kind = SV_TS_DEV_VBD;
	r[0].stats.id = 51712;
	snprintf(r[0].stats.name, sizeof(r[0].stats.name), "xvda");
	r[0].info.state = XENBUS_STATE_CONNECTED;
	r[0].info.readonly = true;
	r[0].info.stats.requests = 12;
	r[0].info.stats.flushes = 3;
	r[0].info.stats.discards = 4;
	r[0].errors = 5;
	r[0].source = "/var/lib/images/my disk  two.img";
	r[1].stats.kind = SV_TS_DEV_VBD;
	r[1].stats.id = 51728;
	r[1].stats.be_domid = 7;
	r[1].stats.flags = SV_TS_DEV_REMOTE;
	snprintf(r[1].stats.name, sizeof(r[1].stats.name), "xvdb");
	r[1].info.state = XENBUS_STATE_INIT_WAIT;
	r[1].source = "/b.img";
}

static const char *const block_table[] = {
	"Vdev   Dev    BE  State        Mode Reqs         Flush    Discard  Errors       Source",
	"51712  xvda   0   Connected    r    12           3        4        5            "
	"/var/lib/images/my disk  two.img",
	"51728  xvdb   7   InitWait     w    -            -        -        -            /b.img",
	NULL,
};

START_TEST(test_block_list)
{
	struct vbd_record r[2];
	char text[1024];

	disks(r);
	expect_table(text, vbd_list(r, 2, text, sizeof(text)), block_table);
}
END_TEST

START_TEST(test_block_list_full)
{
	struct vbd_record r[2];
	char text[1024];
	size_t head, one, all;

	disks(r);
	head = vbd_list(r, 0, text, sizeof(text));
	one = vbd_list(r, 1, text, sizeof(text));
	all = vbd_list(r, 2, text, sizeof(text));
	ck_assert_uint_lt(head, one);
	/* One byte short of the last line (its NUL): the table ends after the first disk. */
	ck_assert_uint_eq(vbd_list(r, 2, text, all), one);
	/* Not even the heading fits: nothing, not a line in its place. */
	ck_assert_uint_eq(vbd_list(r, 2, text, head), 0);
}
END_TEST

static const char *const net_table[] = {
	"Idx Mac               State        Switch         TxBytes      RxBytes      TxFrames   "
	"RxFrames   Drops    Notify   Copies     Host",
	"0   00:16:3e:01:02:03 Connected    sw0            1000         2000         10         "
	"20         3        6        7          -",
	"    drops: zero-len 0 oversize 2 slots 0 size 0 offset 0 grant 0 extra 0 no-rx-buffer 0 "
	"rx-grant 0 rate-out 0 rate-in 1",
	"    ip: 10.0.0.2/24",
	"1   00:16:3e:0a:0b:0c InitWait     dd3            -            -            -          "
	"-          -        -        -          svtap1",
	NULL,
};

START_TEST(test_net_list)
{
	struct vif_record r[2];
	char text[2048];
	size_t head;

	memset(r, 0, sizeof(r));
	r[0].stats.kind = SV_TS_DEV_VIF;
	r[0].stats.id = 0;
	r[0].stats.tx_bytes = 1000;
	r[0].stats.rx_bytes = 2000;
	r[0].stats.tx_frames = 10;
	r[0].stats.rx_frames = 20;
	r[0].stats.drops = 3;
	r[0].stats.notifications = 6;
	r[0].stats.copies = 7;
	r[0].info.state = XENBUS_STATE_CONNECTED;
	memcpy(r[0].info.mac, (uint8_t[]){ 0x00, 0x16, 0x3e, 0x01, 0x02, 0x03 }, 6);
	snprintf(r[0].info.sw, sizeof(r[0].info.sw), "sw0");
	r[0].info.vif.vif.tx_oversize = 2;
	r[0].info.vif.rate_drops_in = 1;
	r[0].ips = "10.0.0.2/24";
	r[1].stats.kind = SV_TS_DEV_VIF;
	r[1].stats.id = 1;
	r[1].stats.be_domid = 3;
	r[1].stats.flags = SV_TS_DEV_REMOTE;
	r[1].info.state = XENBUS_STATE_INIT_WAIT;
	memcpy(r[1].info.mac, (uint8_t[]){ 0x00, 0x16, 0x3e, 0x0a, 0x0b, 0x0c }, 6);
	snprintf(r[1].info.sw, sizeof(r[1].info.sw), "dd3");
	snprintf(r[1].info.tap, sizeof(r[1].info.tap), "svtap1");
	r[1].ips = "";

	expect_table(text, vif_list(r, 2, text, sizeof(text)), net_table);
	/* Room for the first vif's line but not its drop line: the table ends before the vif. */
	head = strlen(net_table[0]) + 1;
	ck_assert_uint_eq(vif_list(r, 2, text, head + strlen(net_table[1]) + 10), head);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dev_tables");
	TCase *tc = tcase_create("tables");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_block_list);
	tcase_add_test(tc, test_block_list_full);
	tcase_add_test(tc, test_net_list);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
