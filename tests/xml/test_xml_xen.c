/* SPDX-License-Identifier: MIT */
/*
 * The Xen driver's elements as parsed: bootloader, clock, xenbus limits, interface scripts
 * and addresses, the kept presentation elements and their warnings; what start checks
 * (files, startable) and the localtime offset.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>

#include "sv_xml.h"
#include "xml_test_util.h"

static struct sv_domain_config cfg;
static char err[2048];

static void parse_ok(const char *doc)
{
	ck_assert_msg(test_parse(doc, &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(test_round_trip(&cfg, err, sizeof(err)) == 0, "%s", err);
}

static void done(void)
{
	sv_domain_config_free(&cfg);
}

START_TEST(test_bootloader)
{
	parse_ok("<domain type='xen'>\n  <name>t</name>\n  <memory unit='MiB'>32</memory>\n"
		 "  <bootloader>pygrub</bootloader>\n"
		 "  <bootloader_args>--entry=2</bootloader_args>\n"
		 "  <os>\n    <type>xen</type>\n  </os>\n</domain>\n");
	ck_assert_str_eq(cfg.bootloader, "pygrub");
	ck_assert_str_eq(cfg.bootloader_args, "--entry=2");
	ck_assert_ptr_null(cfg.kernel);
	ck_assert_int_eq(sv_xml_check_startable(&cfg, false, err, sizeof(err)), -EOPNOTSUPP);
	ck_assert_msg(strstr(err, "domain t boots through <bootloader>"), "%s", err);
	/* Once a bootloader runs, the kernel it found is what start boots. */
	ck_assert_int_eq(sv_xml_check_startable(&cfg, true, err, sizeof(err)), 0);
	done();

	parse_ok("<domain type='xen'>\n  <name>t</name>\n  <memory unit='MiB'>32</memory>\n"
		 "  <bootloader/>\n  <os>\n    <type>xen</type>\n  </os>\n</domain>\n");
	ck_assert_str_eq(cfg.bootloader, "");
	ck_assert_ptr_null(cfg.bootloader_args);
	done();
}
END_TEST

START_TEST(test_clock)
{
	parse_ok(DOC_HEAD "  <clock offset='localtime'/>\n" DOC_TAIL);
	ck_assert(cfg.has_clock);
	ck_assert_int_eq(cfg.clock_offset, SV_CLOCK_LOCALTIME);
	done();
	parse_ok(DOC_HEAD "  <clock offset='utc' adjustment='reset'/>\n" DOC_TAIL);
	ck_assert(cfg.has_clock);
	ck_assert_int_eq(cfg.clock_offset, SV_CLOCK_UTC);
	ck_assert_int_eq(sv_xml_wallclock_offset(&cfg), 0);
	done();
	parse_ok(DOC_HEAD DOC_TAIL);
	ck_assert(!cfg.has_clock);
	done();
}
END_TEST

START_TEST(test_localtime_offset)
{
	struct sv_domain_config local = { .clock_offset = SV_CLOCK_LOCALTIME };
	struct sv_domain_config utc = { .clock_offset = SV_CLOCK_UTC };
	char *saved = getenv("TZ") ? strdup(getenv("TZ")) : NULL;

	/* POSIX TZ strings need no zone files: XST-5 is five hours east of UTC. */
	setenv("TZ", "XST-5", 1);
	tzset();
	ck_assert_int_eq(sv_xml_wallclock_offset(&local), 5 * 3600);
	ck_assert_int_eq(sv_xml_wallclock_offset(&utc), 0);
	setenv("TZ", "YST+9:30", 1);
	tzset();
	ck_assert_int_eq(sv_xml_wallclock_offset(&local), -(9 * 3600 + 1800));
	if (saved)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
}
END_TEST

START_TEST(test_xenbus_limits)
{
	parse_ok(DOC_HEAD "  <devices>\n    <controller type='xenbus' index='0' "
			  "maxGrantFrames='2' maxEventChannels='100'/>\n  </devices>\n" DOC_TAIL);
	ck_assert(cfg.has_xenbus);
	ck_assert_uint_eq(cfg.max_grant_frames, 2);
	ck_assert_uint_eq(cfg.max_event_channels, 100);
	ck_assert_ptr_null(cfg.warnings);
	done();
	parse_ok(DOC_HEAD "  <devices>\n    <controller type='xenbus'/>\n  </devices>\n" DOC_TAIL);
	ck_assert(cfg.has_xenbus);
	ck_assert_uint_eq(cfg.max_grant_frames, 0);
	ck_assert_uint_eq(cfg.max_event_channels, 0);
	done();
}
END_TEST

START_TEST(test_interface_script_and_ips)
{
	const struct sv_net_config *net;

	parse_ok(DOC_HEAD "  <devices>\n    <interface type='bridge'>\n"
			  "      <source bridge='br0'/>\n"
			  "      <ip address='fd00::5' prefix='64'/>\n"
			  "      <ip address='10.1.2.3' prefix='16' family='ipv4'/>\n"
			  "      <ip address='10.1.2.4'/>\n"
			  "      <script path='/etc/xen/scripts/vif-bridge'/>\n"
			  "    </interface>\n  </devices>\n" DOC_TAIL);
	ck_assert_uint_eq(cfg.nnets, 1);
	net = &cfg.nets[0];
	ck_assert_str_eq(net->script, "/etc/xen/scripts/vif-bridge");
	ck_assert_uint_eq(net->nips, 3);
	ck_assert_str_eq(net->ips[0].address, "fd00::5");
	ck_assert(net->ips[0].ipv6 && net->ips[0].has_prefix);
	ck_assert_uint_eq(net->ips[0].prefix, 64);
	ck_assert_str_eq(net->ips[1].address, "10.1.2.3");
	ck_assert(!net->ips[1].ipv6 && net->ips[1].has_prefix);
	ck_assert_uint_eq(net->ips[1].prefix, 16);
	ck_assert(!net->ips[2].has_prefix);
	ck_assert_msg(cfg.warnings && strstr(cfg.warnings, "t.xml:14: warning: "
							   "<devices>/<interface>/<script> at line "
							   "14: the script is not run"),
		      "%s", cfg.warnings ? cfg.warnings : "(none)");
	done();
}
END_TEST

START_TEST(test_kept_elements)
{
	char *xml = NULL;

	parse_ok(DOC_HEAD "  <features>\n    <pae/>\n    <apic eoi='on'/>\n  </features>\n"
			  "  <devices>\n"
			  "    <graphics type='vnc' port='5900' autoport='no'>\n"
			  "      <!-- a comment is layout, not content -->\n"
			  "      <listen type='address' address='127.0.0.1'/>\n"
			  "    </graphics>\n"
			  "    <memballoon model='none'/>\n"
			  "  </devices>\n" DOC_TAIL);
	ck_assert_uint_eq(cfg.nkept, 3);
	ck_assert(!cfg.kept[0].in_devices);
	ck_assert_str_eq(cfg.kept[0].xml, "<features><pae/><apic eoi=\"on\"/></features>");
	ck_assert(cfg.kept[1].in_devices);
	ck_assert_str_eq(cfg.kept[1].xml, "<graphics type=\"vnc\" port=\"5900\" autoport=\"no\">"
					  "<listen type=\"address\" address=\"127.0.0.1\"/>"
					  "</graphics>");
	ck_assert_str_eq(cfg.kept[2].xml, "<memballoon model=\"none\"/>");
	/* One warning line per element. */
	ck_assert_msg(cfg.warnings &&
			      strstr(cfg.warnings, "t.xml:8: warning: <features> at line 8") &&
			      strstr(cfg.warnings, "t.xml:13: warning: <devices>/<graphics>") &&
			      strstr(cfg.warnings, "t.xml:17: warning: <devices>/<memballoon>"),
		      "%s", cfg.warnings ? cfg.warnings : "(none)");
	ck_assert_int_eq(sv_xml_format(&cfg, &xml), 0);
	ck_assert_msg(strstr(xml, "<listen type=\"address\" address=\"127.0.0.1\"/>"), "%s", xml);
	ck_assert_ptr_null(strstr(xml, "comment"));
	free(xml);
	done();
}
END_TEST

START_TEST(test_check_files)
{
	char doc[1024];

	parse_ok(DOC_HEAD "  <devices>\n    <disk type='file'>\n      <source file='@DISK@'/>\n"
			  "      <target dev='xvda'/>\n    </disk>\n  </devices>\n" DOC_TAIL);
	ck_assert_int_eq(sv_xml_check_files(&cfg, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(sv_xml_check_startable(&cfg, false, err, sizeof(err)), 0);
	done();

	/* Every missing file is named; a directory is not a kernel; the first errno wins. */
	snprintf(doc, sizeof(doc),
		 "<domain type='xen'>\n  <name>t</name>\n  <memory unit='MiB'>32</memory>\n"
		 "  <os>\n    <type>xen</type>\n    <kernel>/tmp</kernel>\n"
		 "    <initrd>/nonexistent/initrd</initrd>\n  </os>\n  <devices>\n"
		 "    <disk type='file'>\n      <source file='/nonexistent/a.img'/>\n"
		 "      <target dev='xvda'/>\n    </disk>\n"
		 "    <disk type='file' device='cdrom'>\n      <target dev='xvdb'/>\n"
		 "    </disk>\n  </devices>\n</domain>\n");
	parse_ok(doc);
	ck_assert_int_eq(sv_xml_check_files(&cfg, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "kernel /tmp is not a regular file; initrd /nonexistent/initrd: No "
			      "such file or directory; disk xvda source /nonexistent/a.img: No "
			      "such file or directory");
	/* A small buffer still gets a terminated prefix. */
	ck_assert_int_eq(sv_xml_check_files(&cfg, err, 16), -EINVAL);
	ck_assert_uint_eq(strlen(err), 15);
	ck_assert_int_eq(sv_xml_check_files(&cfg, NULL, 0), -EINVAL);
	done();
}
END_TEST

START_TEST(test_startable)
{
	parse_ok("<domain type='xen'>\n  <name>p</name>\n  <memory unit='MiB'>32</memory>\n"
		 "  <os>\n    <type machine='xenpvh'>xenpvh</type>\n"
		 "    <kernel>@KERNEL@</kernel>\n  </os>\n</domain>\n");
	/* PVH documents start; the core refuses a kernel without the PVH entry (kvm.linux). */
	ck_assert_int_eq(sv_xml_check_startable(&cfg, true, err, sizeof(err)), 0);
	done();
	parse_ok(DOC_HEAD "  <devices>\n    <disk type='file'>\n"
			  "      <driver name='qemu' type='qcow2'/>\n"
			  "      <source file='@DISK@'/>\n      <target dev='xvdc'/>\n"
			  "    </disk>\n  </devices>\n" DOC_TAIL);
	ck_assert_int_eq(cfg.disks[0].format, SV_DISK_FORMAT_QCOW2);
	ck_assert_int_eq(sv_xml_check_files(&cfg, err, sizeof(err)), 0);
	/* QEMU's storage daemon serves it (backend-drivers/blk_image.c). */
	ck_assert_int_eq(sv_xml_check_startable(&cfg, false, err, sizeof(err)), 0);
	done();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("xml-xen");
	TCase *tc = tcase_create("xen");
	SRunner *runner;
	int failed;

	tcase_add_unchecked_fixture(tc, test_files_setup, test_files_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_bootloader);
	tcase_add_test(tc, test_clock);
	tcase_add_test(tc, test_localtime_offset);
	tcase_add_test(tc, test_xenbus_limits);
	tcase_add_test(tc, test_interface_script_and_ips);
	tcase_add_test(tc, test_kept_elements);
	tcase_add_test(tc, test_check_files);
	tcase_add_test(tc, test_startable);
	suite_add_tcase(s, tc);
	runner = srunner_create(s);
	srunner_set_fork_status(runner, CK_NOFORK);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	sv_xml_cleanup();
	xmlCleanupParser();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
