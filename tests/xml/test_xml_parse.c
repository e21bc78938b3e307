/* SPDX-License-Identifier: MIT */
/* What the XML module accepts: every supported element, every unit, round trips, examples. */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "sv_xml.h"
#include "xml_internal.h"
#include "xml_test_util.h"

#ifndef SV_EXAMPLES_SOURCE_DIR
#error "SV_EXAMPLES_SOURCE_DIR must name the examples/ folder"
#endif
#ifndef SV_EXAMPLES_BINARY_DIR
#error "SV_EXAMPLES_BINARY_DIR must name the generated examples folder"
#endif

static char err[4096];

/* Uses every element and attribute the module supports. */
static const char full_doc[] =
	"<domain type='xen' id='7'>\n"
	"  <name>full-guest_1.0+x</name>\n"
	"  <uuid>4DEA22B3-1D52-D8F3-2516-782E98AB3FA0</uuid>\n"
	"  <title>A full guest</title>\n"
	"  <description>Line one\n  line two &amp; &lt;three&gt;</description>\n"
	"  <memory unit='GiB'>1</memory>\n"
	"  <currentMemory unit='KiB'>524288</currentMemory>\n"
	"  <vcpu placement='static' current='2'>4</vcpu>\n"
	"  <os>\n"
	"    <type arch='x86_64' machine='xenpvh'>xenpvh</type>\n"
	"    <kernel>@KERNEL@</kernel>\n"
	"    <initrd>@INITRD@</initrd>\n"
	"    <cmdline>selftest console=hvc0</cmdline>\n"
	"  </os>\n"
	"  <on_poweroff>preserve</on_poweroff>\n"
	"  <on_reboot>destroy</on_reboot>\n"
	"  <on_crash>restart</on_crash>\n"
	"  <devices>\n"
	"    <disk type='file' device='disk'>\n"
	"      <driver name='file' type='raw' cache='none'/>\n"
	"      <source file='/var/lib/splitvisor/a.img'/>\n"
	"      <target dev='xvda' bus='xen'/>\n"
	"      <readonly/>\n"
	"      <backenddomain name='blkdd'/>\n"
	"    </disk>\n"
	"    <disk type='block' device='cdrom'>\n"
	"      <source dev='/dev/sr0'/>\n"
	"      <target dev='xvdb'/>\n"
	"    </disk>\n"
	"    <disk type='block'>\n"
	"      <driver name='phy'/>\n"
	"      <source dev='/dev/vg0/data'/>\n"
	"      <target dev='xvdc' bus='xen'/>\n"
	"    </disk>\n"
	"    <interface type='bridge'>\n"
	"      <mac address='00:16:3E:00:00:01'/>\n"
	"      <source bridge='br0'/>\n"
	"      <target dev='vif7.0'/>\n"
	"      <model type='netfront'/>\n"
	"      <backenddomain name='netdd'/>\n"
	"    </interface>\n"
	"    <interface type='ethernet'>\n"
	"      <mac address='00:16:3e:00:00:02'/>\n"
	"    </interface>\n"
	"    <console type='pty'>\n"
	"      <target type='xen' port='0'/>\n"
	"    </console>\n"
	"  </devices>\n"
	"</domain>\n";

START_TEST(test_every_supported_element)
{
	const uint8_t mac0[] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x01 };
	const uint8_t uuid[] = { 0x4d, 0xea, 0x22, 0xb3, 0x1d, 0x52, 0xd8, 0xf3,
				 0x25, 0x16, 0x78, 0x2e, 0x98, 0xab, 0x3f, 0xa0 };
	struct sv_domain_config cfg;

	ck_assert_msg(test_parse(full_doc, &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(cfg.domid, 7);
	ck_assert_str_eq(cfg.name, "full-guest_1.0+x");
	ck_assert_mem_eq(cfg.uuid, uuid, 16);
	ck_assert_str_eq(cfg.uuid_str, "4dea22b3-1d52-d8f3-2516-782e98ab3fa0");
	ck_assert_str_eq(cfg.title, "A full guest");
	ck_assert_str_eq(cfg.description, "Line one\n  line two & <three>");
	ck_assert_uint_eq(cfg.memory_kib, 1024 * 1024);
	ck_assert_uint_eq(cfg.current_memory_kib, 512 * 1024);
	ck_assert_uint_eq(cfg.vcpus, 4);
	ck_assert_uint_eq(cfg.current_vcpus, 2);
	ck_assert_int_eq(cfg.os_type, SV_OS_XENPVH);
	ck_assert_str_eq(cfg.machine, "xenpvh");
	ck_assert_str_eq(cfg.kernel, test_kernel_path());
	ck_assert_str_eq(cfg.initrd, test_initrd_path());
	ck_assert_str_eq(cfg.cmdline, "selftest console=hvc0");
	ck_assert_int_eq(cfg.on_poweroff, SV_ACTION_PRESERVE);
	ck_assert_int_eq(cfg.on_reboot, SV_ACTION_DESTROY);
	ck_assert_int_eq(cfg.on_crash, SV_ACTION_RESTART);

	ck_assert_uint_eq(cfg.ndisks, 3);
	ck_assert_int_eq(cfg.disks[0].type, SV_DISK_FILE);
	ck_assert_int_eq(cfg.disks[0].device, SV_DISK_DEVICE_DISK);
	ck_assert_str_eq(cfg.disks[0].driver_name, "file");
	ck_assert_str_eq(cfg.disks[0].driver_type, "raw");
	ck_assert_str_eq(cfg.disks[0].driver_cache, "none");
	ck_assert_str_eq(cfg.disks[0].source, "/var/lib/splitvisor/a.img");
	ck_assert_str_eq(cfg.disks[0].target_dev, "xvda");
	ck_assert(cfg.disks[0].readonly);
	ck_assert_str_eq(cfg.disks[0].backend_domain, "blkdd");
	ck_assert_int_eq(cfg.disks[1].type, SV_DISK_BLOCK);
	ck_assert_int_eq(cfg.disks[1].device, SV_DISK_DEVICE_CDROM);
	ck_assert(cfg.disks[1].readonly); /* a cdrom is always read-only */
	ck_assert_ptr_null(cfg.disks[1].driver_name);
	ck_assert_ptr_null(cfg.disks[1].backend_domain);
	ck_assert_str_eq(cfg.disks[2].driver_name, "phy");
	ck_assert_str_eq(cfg.disks[2].source, "/dev/vg0/data");
	ck_assert(!cfg.disks[2].readonly);

	ck_assert_uint_eq(cfg.nnets, 2);
	ck_assert_int_eq(cfg.nets[0].type, SV_NET_BRIDGE);
	ck_assert_mem_eq(cfg.nets[0].mac, mac0, 6);
	ck_assert_str_eq(cfg.nets[0].bridge, "br0");
	ck_assert_str_eq(cfg.nets[0].target_dev, "vif7.0");
	ck_assert_str_eq(cfg.nets[0].backend_domain, "netdd");
	ck_assert_int_eq(cfg.nets[1].type, SV_NET_ETHERNET);
	ck_assert_ptr_null(cfg.nets[1].bridge);
	ck_assert_ptr_null(cfg.nets[1].target_dev);

	ck_assert_uint_eq(cfg.nconsoles, 1);
	ck_assert_uint_eq(cfg.consoles[0].port, 0);

	ck_assert_msg(test_round_trip(&cfg, err, sizeof(err)) == 0, "%s", err);
	sv_domain_config_free(&cfg);
}
END_TEST

START_TEST(test_minimal_defaults)
{
	struct sv_domain_config cfg, again;
	char *xml = NULL;

	ck_assert_msg(test_parse(DOC_HEAD DOC_TAIL, &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(cfg.domid, SV_DOMID_NONE);
	ck_assert_uint_eq(cfg.memory_kib, 32 * 1024);
	ck_assert_uint_eq(cfg.current_memory_kib, 32 * 1024);
	ck_assert_uint_eq(cfg.vcpus, 1);
	ck_assert_uint_eq(cfg.current_vcpus, 1);
	ck_assert_int_eq(cfg.os_type, SV_OS_XEN);
	ck_assert_ptr_null(cfg.machine);
	ck_assert_ptr_null(cfg.title);
	ck_assert_ptr_null(cfg.description);
	ck_assert_ptr_null(cfg.initrd);
	ck_assert_ptr_null(cfg.cmdline);
	ck_assert_int_eq(cfg.on_poweroff, SV_ACTION_DESTROY);
	ck_assert_int_eq(cfg.on_reboot, SV_ACTION_RESTART);
	ck_assert_int_eq(cfg.on_crash, SV_ACTION_DESTROY);
	ck_assert_uint_eq(cfg.ndisks + cfg.nnets + cfg.nconsoles, 0);
	/* A generated uuid is a version 4 one and survives formatting. */
	ck_assert_int_eq(strlen(cfg.uuid_str), 36);
	ck_assert_int_eq(cfg.uuid_str[14], '4');
	ck_assert_int_eq(sv_xml_format(&cfg, &xml), 0);
	ck_assert_ptr_nonnull(strstr(xml, cfg.uuid_str));
	ck_assert_int_eq(
		sv_xml_parse_memory(xml, strlen(xml), "f.xml", NULL, &again, err, sizeof(err)), 0);
	ck_assert(sv_domain_config_equal(&cfg, &again));
	sv_domain_config_free(&again);
	free(xml);
	sv_domain_config_free(&cfg);
}
END_TEST

START_TEST(test_os_type_linux_and_machine)
{
	static const char doc[] = "<domain type='xen'><name>l</name>"
				  "<memory>65536</memory><os>"
				  "<type arch='x86_64' machine='xenpv'>linux</type>"
				  "<kernel>@KERNEL@</kernel></os></domain>";
	struct sv_domain_config cfg;

	ck_assert_msg(test_parse(doc, &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(cfg.os_type, SV_OS_LINUX);
	ck_assert_str_eq(cfg.machine, "xenpv");
	ck_assert_uint_eq(cfg.memory_kib, 65536);
	ck_assert_msg(test_round_trip(&cfg, err, sizeof(err)) == 0, "%s", err);
	sv_domain_config_free(&cfg);
}
END_TEST

/* A driver domain: os type exe, no kernel, on_crash restart unless said otherwise. */
START_TEST(test_driver_domain)
{
	static const char doc[] = "<domain type='xen'><name>dd0</name>"
				  "<memory unit='MiB'>64</memory><os>"
				  "<type arch='x86_64'>exe</type></os></domain>";
	static const char destroy_doc[] = "<domain type='xen'><name>dd1</name>"
					  "<memory unit='MiB'>64</memory><os><type>exe</type></os>"
					  "<on_crash>destroy</on_crash></domain>";
	struct sv_domain_config cfg;
	char *xml = NULL;

	ck_assert_msg(test_parse(doc, &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(cfg.os_type, SV_OS_EXE);
	ck_assert_ptr_null(cfg.kernel);
	ck_assert_ptr_null(cfg.machine);
	ck_assert_uint_eq(cfg.memory_kib, 64 * 1024);
	ck_assert_int_eq(cfg.on_crash, SV_ACTION_RESTART);
	ck_assert_uint_eq(cfg.ndisks + cfg.nnets + cfg.nconsoles, 0);
	ck_assert_int_eq(sv_xml_format(&cfg, &xml), 0);
	ck_assert_msg(strstr(xml, "<type arch=\"x86_64\">exe</type>"), "%s", xml);
	ck_assert_msg(!strstr(xml, "<kernel>") && !strstr(xml, "<init"), "%s", xml);
	ck_assert_msg(strstr(xml, "<on_crash>restart</on_crash>"), "%s", xml);
	free(xml);
	ck_assert_msg(test_round_trip(&cfg, err, sizeof(err)) == 0, "%s", err);
	sv_domain_config_free(&cfg);

	ck_assert_msg(test_parse(destroy_doc, &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(cfg.on_crash, SV_ACTION_DESTROY);
	ck_assert_msg(test_round_trip(&cfg, err, sizeof(err)) == 0, "%s", err);
	sv_domain_config_free(&cfg);
}
END_TEST

/* examples/driver-domain.xml.in and the guest that uses it, as the build fills them in. */
START_TEST(test_driver_domain_examples)
{
	static const char *const names[] = { "driver-domain", "dd-guest" };
	struct sv_domain_config cfg;
	char path[1024], *template, *doc, *at;
	size_t i;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s.xml.in", SV_EXAMPLES_SOURCE_DIR, names[i]);
		template = test_read_file(path, NULL);
		ck_assert_msg(template != NULL, "cannot read %s", path);
		/* @SV_GUEST_KERNEL@ to @KERNEL@; @SV_DISK_IMAGE@ to a path of the same length. */
		while ((at = strstr(template, "@SV_GUEST_KERNEL@")))
			memmove(at + 1, at + 10, strlen(at + 10) + 1);
		while ((at = strstr(template, "@SV_DISK_IMAGE@")))
			memcpy(at, "/tmp/disk.image", 15);
		doc = template;
		ck_assert_msg(test_parse(doc, &cfg, err, sizeof(err)) == 0, "%s: %s", names[i],
			      err);
		if (i == 0) {
			ck_assert_str_eq(cfg.name, "dd0");
			ck_assert_int_eq(cfg.os_type, SV_OS_EXE);
			ck_assert_int_eq(cfg.on_crash, SV_ACTION_RESTART);
		} else {
			ck_assert_uint_eq(cfg.ndisks, 1);
			ck_assert_uint_eq(cfg.nnets, 1);
			ck_assert_str_eq(cfg.disks[0].backend_domain, "dd0");
			ck_assert_str_eq(cfg.nets[0].backend_domain, "dd0");
		}
		ck_assert_msg(test_round_trip(&cfg, err, sizeof(err)) == 0, "%s: %s", names[i],
			      err);
		sv_domain_config_free(&cfg);
		free(template);
	}
}
END_TEST

START_TEST(test_generated_mac)
{
	static const char doc[] = DOC_HEAD "  <devices>\n"
					   "    <interface type='bridge'><source bridge='br0'/>"
					   "</interface>\n"
					   "  </devices>\n" DOC_TAIL;
	struct sv_domain_config cfg;

	ck_assert_msg(test_parse(doc, &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(cfg.nnets, 1);
	ck_assert_uint_eq(cfg.nets[0].mac[0], 0x00);
	ck_assert_uint_eq(cfg.nets[0].mac[1], 0x16);
	ck_assert_uint_eq(cfg.nets[0].mac[2], 0x3e);
	ck_assert_uint_lt(cfg.nets[0].mac[3], 0x80);
	ck_assert_msg(test_round_trip(&cfg, err, sizeof(err)) == 0, "%s", err);
	sv_domain_config_free(&cfg);
}
END_TEST

struct unit_case {
	const char *value;
	const char *unit; /* NULL: no unit attribute, KiB */
	uint64_t kib;
};

/* Every spelling libvirt accepts, checked with the scaling routine itself. */
static const struct unit_case unit_cases[] = {
	{ "2048", "b", 2 },
	{ "2049", "bytes", 3 }, /* rounded up to whole KiB, like libvirt */
	{ "1", "byte", 1 },
	{ "1000", "KB", 977 },
	{ "7", "k", 7 },
	{ "7", "KiB", 7 },
	{ "5", "MB", 4883 },
	{ "5", "M", 5120 },
	{ "5", "MiB", 5120 },
	{ "2", "GB", 1953125 },
	{ "2", "G", 2097152 },
	{ "2", "GiB", 2097152 },
	{ "1", "TB", 976562500 },
	{ "1", "T", 1073741824 },
	{ "1", "TiB", 1073741824 },
	{ "1", "PB", 976562500000ull },
	{ "1", "P", 1099511627776ull },
	{ "1", "PiB", 1099511627776ull },
	{ "1", "EB", 976562500000000ull },
	{ "1", "E", 1125899906842624ull },
	{ "1", "EiB", 1125899906842624ull },
	{ "15", "eib", 16888498602639360ull }, /* case does not matter */
	{ "64", NULL, 64 },
	{ " 64 ", "kib", 64 },
};

START_TEST(test_scale_every_unit)
{
	const struct unit_case *c = &unit_cases[_i];
	uint64_t kib = 0;

	ck_assert_msg(sv_xml_scale_to_kib(c->value, c->unit, &kib) == 0, "%s %s", c->value,
		      c->unit);
	ck_assert_msg(kib == c->kib, "%s %s: %llu KiB, expected %llu", c->value, c->unit,
		      (unsigned long long)kib, (unsigned long long)c->kib);
}
END_TEST

START_TEST(test_scale_refusals)
{
	uint64_t kib;

	ck_assert_int_eq(sv_xml_scale_to_kib("16", "EiB", &kib), -ERANGE);
	ck_assert_int_eq(sv_xml_scale_to_kib("18446744073709551615", "KiB", &kib), -ERANGE);
	ck_assert_int_eq(sv_xml_scale_to_kib("18446744073709551616", "b", &kib), -ERANGE);
	ck_assert_int_eq(sv_xml_scale_to_kib("1", "XiB", &kib), -EINVAL);
	ck_assert_int_eq(sv_xml_scale_to_kib("1", "kibb", &kib), -EINVAL);
	ck_assert_int_eq(sv_xml_scale_to_kib("1", "", &kib), -EINVAL);
	ck_assert_int_eq(sv_xml_scale_to_kib("-1", "KiB", &kib), -EINVAL);
	ck_assert_int_eq(sv_xml_scale_to_kib("", "KiB", &kib), -EINVAL);
	ck_assert_int_eq(sv_xml_scale_to_kib("1x", "KiB", &kib), -EINVAL);
}
END_TEST

/* The same units through whole documents, where the size fits the memory limits. */
static const struct unit_case document_unit_cases[] = {
	{ "33554432", "b", 32768 }, { "33554432", "bytes", 32768 }, { "32768", "KB", 32000 },
	{ "32768", "k", 32768 },    { "32768", "KiB", 32768 },	    { "32", "MB", 31250 },
	{ "32", "M", 32768 },	    { "32", "MiB", 32768 },	    { "1", "GB", 976563 },
	{ "1", "G", 1048576 },	    { "2", "GiB", 2097152 },	    { "32768", NULL, 32768 },
	{ "48", "mib", 49152 },
};

START_TEST(test_document_every_unit)
{
	const struct unit_case *c = &document_unit_cases[_i];
	struct sv_domain_config cfg;
	char doc[512];

	if (c->unit)
		snprintf(doc, sizeof(doc),
			 "<domain type='xen'><name>u</name><memory unit='%s'>%s</memory>"
			 "<currentMemory unit='%s'>%s</currentMemory>"
			 "<os><type>xen</type><kernel>@KERNEL@</kernel></os></domain>",
			 c->unit, c->value, c->unit, c->value);
	else
		snprintf(doc, sizeof(doc),
			 "<domain type='xen'><name>u</name><memory>%s</memory>"
			 "<os><type>xen</type><kernel>@KERNEL@</kernel></os></domain>",
			 c->value);
	ck_assert_msg(test_parse(doc, &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(cfg.memory_kib, c->kib);
	ck_assert_uint_eq(cfg.current_memory_kib, c->kib);
	ck_assert_msg(test_round_trip(&cfg, err, sizeof(err)) == 0, "%s", err);
	sv_domain_config_free(&cfg);
}
END_TEST

/*
 * A PVH guest may be larger than our own kernels' 3 GiB: its RAM goes on above 4 GiB. The
 * host's MemTotal still bounds both, so the figure is one below it.
 */
START_TEST(test_pvh_memory_limit_is_above_3_gib)
{
	static const char *const types[] = { "xen", "xenpvh" };
	uint64_t host_kib = 0;
	struct sv_domain_config cfg;
	char line[128], doc[512];
	FILE *f = fopen("/proc/meminfo", "r");
	unsigned int i, mib;
	int ret;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) && sscanf(line, "MemTotal: %" SCNu64, &host_kib) != 1)
		;
	fclose(f);
	ck_assert_uint_gt(host_kib, 0);
	mib = host_kib / 1024 > 65536 ? 65536 : (unsigned int)(host_kib / 1024);
	for (i = 0; i < 2; i++) {
		snprintf(doc, sizeof(doc),
			 "<domain type='xen'><name>big</name><memory unit='MiB'>%u</memory>"
			 "<os><type>%s</type><kernel>@KERNEL@</kernel></os></domain>",
			 mib, types[i]);
		ret = test_parse(doc, &cfg, err, sizeof(err));
		if (i == 0 && mib > 3072) {
			ck_assert_int_eq(ret, -ERANGE);
			ck_assert_msg(strstr(err, "above the maximum of 3072 MiB (the Splitvisor "
						  "limit for its own kernels)"),
				      "%s", err);
			continue;
		}
		ck_assert_msg(ret == 0, "%s: %s", types[i], err);
		ck_assert_uint_eq(cfg.memory_kib, (uint64_t)mib * 1024);
		sv_domain_config_free(&cfg);
	}
	/* Above the PVH limit or the host's memory, whichever is lower. */
	snprintf(doc, sizeof(doc),
		 "<domain type='xen'><name>big</name><memory unit='MiB'>%u</memory>"
		 "<os><type>xenpvh</type><kernel>@KERNEL@</kernel></os></domain>",
		 mib + 1);
	ck_assert_int_eq(test_parse(doc, &cfg, err, sizeof(err)), -ERANGE);
	ck_assert_msg(strstr(err, "is above the maximum of"), "%s", err);
}
END_TEST

START_TEST(test_large_units_hit_the_limit)
{
	static const char *const units[] = { "TB", "T", "TiB", "PB", "P", "PiB", "EB", "E", "EiB" };
	struct sv_domain_config cfg;
	char doc[512];

	snprintf(doc, sizeof(doc),
		 "<domain type='xen'><name>u</name><memory unit='%s'>1</memory>"
		 "<os><type>xen</type><kernel>@KERNEL@</kernel></os></domain>",
		 units[_i]);
	ck_assert_int_eq(test_parse(doc, &cfg, err, sizeof(err)), -ERANGE);
	ck_assert_msg(strstr(err, "is above the maximum of 3072 MiB"), "%s", err);
}
END_TEST

START_TEST(test_domid_is_formatted)
{
	struct sv_domain_config cfg, again;
	char *xml = NULL;

	ck_assert_msg(test_parse(DOC_HEAD DOC_TAIL, &cfg, err, sizeof(err)) == 0, "%s", err);
	cfg.domid = 12;
	ck_assert_int_eq(sv_xml_format(&cfg, &xml), 0);
	ck_assert_msg(strstr(xml, "<domain type=\"xen\" id=\"12\">"), "%s", xml);
	ck_assert_int_eq(
		sv_xml_parse_memory(xml, strlen(xml), "f.xml", NULL, &again, err, sizeof(err)), 0);
	ck_assert_int_eq(again.domid, 12);
	ck_assert(sv_domain_config_equal(&cfg, &again));
	again.domid = SV_DOMID_NONE;
	ck_assert(!sv_domain_config_equal(&cfg, &again));
	sv_domain_config_free(&again);
	free(xml);
	sv_domain_config_free(&cfg);
}
END_TEST

START_TEST(test_equal_notices_each_difference)
{
	struct sv_domain_config a, b;

	ck_assert_msg(test_parse(full_doc, &a, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(test_parse(full_doc, &b, err, sizeof(err)) == 0, "%s", err);
	ck_assert(sv_domain_config_equal(&a, &b));
	b.memory_kib++;
	ck_assert(!sv_domain_config_equal(&a, &b));
	b.memory_kib--;
	b.disks[1].readonly = false;
	ck_assert(!sv_domain_config_equal(&a, &b));
	b.disks[1].readonly = true;
	b.nets[0].mac[5] ^= 1;
	ck_assert(!sv_domain_config_equal(&a, &b));
	b.nets[0].mac[5] ^= 1;
	b.consoles[0].port = 1;
	ck_assert(!sv_domain_config_equal(&a, &b));
	b.consoles[0].port = 0;
	free(b.title);
	b.title = NULL;
	ck_assert(!sv_domain_config_equal(&a, &b));
	sv_domain_config_free(&a);
	sv_domain_config_free(&b);
}
END_TEST

START_TEST(test_format_refuses_incomplete_config)
{
	struct sv_domain_config cfg;
	char *xml = (char *)1;

	memset(&cfg, 0, sizeof(cfg));
	ck_assert_int_eq(sv_xml_format(&cfg, &xml), -EINVAL);
	ck_assert_ptr_null(xml);
	sv_domain_config_free(&cfg); /* harmless on an empty config */
}
END_TEST

static const char *const examples[] = { "hello", "selftest", "crash", "spin" };

/* The templates with a real kernel file: format, validate, parse, compare. */
START_TEST(test_example_round_trip)
{
	struct sv_domain_config cfg;
	char path[1024], *template, *doc;
	const char *name = examples[_i];

	snprintf(path, sizeof(path), "%s/%s.xml.in", SV_EXAMPLES_SOURCE_DIR, name);
	template = test_read_file(path, NULL);
	ck_assert_msg(template != NULL, "cannot read %s", path);
	doc = template;
	/* test_substitute knows @KERNEL@; the templates say @SV_GUEST_KERNEL@. */
	while ((doc = strstr(doc, "@SV_GUEST_KERNEL@")))
		memmove(doc + 1, doc + 10, strlen(doc + 10) + 1);
	ck_assert_msg(test_parse(template, &cfg, err, sizeof(err)) == 0, "%s: %s", name, err);
	ck_assert_str_eq(cfg.name, name);
	ck_assert_str_eq(cfg.cmdline, name);
	ck_assert_uint_eq(cfg.memory_kib, 32 * 1024);
	ck_assert_uint_eq(cfg.vcpus, strcmp(name, "selftest") == 0 ? 4 : 1);
	ck_assert_int_eq(cfg.on_crash, SV_ACTION_DESTROY);
	ck_assert_uint_eq(cfg.nconsoles, 1);
	ck_assert_msg(test_round_trip(&cfg, err, sizeof(err)) == 0, "%s: %s", name, err);
	sv_domain_config_free(&cfg);
	free(template);
}
END_TEST

/* The generated files name the build's guest kernel; parse them when it has been built. */
START_TEST(test_generated_examples)
{
	struct sv_domain_config cfg;
	char path[1024], *doc;
	const char *name = examples[_i];
	int ret;

	snprintf(path, sizeof(path), "%s/%s.xml", SV_EXAMPLES_BINARY_DIR, name);
	doc = test_read_file(path, NULL);
	ck_assert_msg(doc != NULL, "%s was not generated", path);
	ck_assert_msg(strstr(doc, "/guest/splitvisor-guest</kernel>"), "%s", doc);
	ck_assert_ptr_null(strstr(doc, "@"));
	free(doc);
	ret = sv_xml_parse_file(path, NULL, &cfg, err, sizeof(err));
	if (ret == -ENOENT) {
		/* Only the kernel may be missing, and the message must say so. */
		ck_assert_msg(strstr(err, "kernel ") && strstr(err, "No such file"), "%s", err);
		return;
	}
	ck_assert_msg(ret == 0, "%s", err);
	ck_assert_msg(test_round_trip(&cfg, err, sizeof(err)) == 0, "%s: %s", name, err);
	sv_domain_config_free(&cfg);
}
END_TEST

/* Replaces every from in doc by the shorter to, in place. */
static void shorten_all(char *doc, const char *from, const char *to)
{
	size_t flen = strlen(from), tlen = strlen(to);

	while ((doc = strstr(doc, from))) {
		memcpy(doc, to, tlen);
		memmove(doc + tlen, doc + flen, strlen(doc + flen) + 1);
		doc += tlen;
	}
}

/* examples/linux.xml.in: a libvirt xenpvh document with a disk and a vif, round trip. */
START_TEST(test_linux_example)
{
	struct sv_domain_config cfg;
	char path[1024], *template;

	snprintf(path, sizeof(path), "%s/linux.xml.in", SV_EXAMPLES_SOURCE_DIR);
	template = test_read_file(path, NULL);
	ck_assert_msg(template != NULL, "cannot read %s", path);
	shorten_all(template, "@SV_LINUX_DIR@/vmlinuz", "@KERNEL@");
	shorten_all(template, "@SV_LINUX_DIR@/initrd.img", "@INITRD@");
	shorten_all(template, "@SV_LINUX_DISK@", "@DISK@");
	ck_assert_msg(test_parse(template, &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(cfg.os_type, SV_OS_XENPVH);
	ck_assert_str_eq(cfg.machine, "xenpvh");
	ck_assert_uint_eq(cfg.vcpus, 2);
	ck_assert_uint_eq(cfg.ndisks, 1);
	ck_assert_uint_eq(cfg.nnets, 1);
	ck_assert_ptr_nonnull(cfg.initrd);
	ck_assert_ptr_nonnull(strstr(cfg.cmdline, "console=hvc0"));
	ck_assert_int_eq(sv_xml_check_startable(&cfg, false, err, sizeof(err)), 0);
	ck_assert_msg(test_round_trip(&cfg, err, sizeof(err)) == 0, "%s", err);
	sv_domain_config_free(&cfg);
	free(template);
}
END_TEST

START_TEST(test_parse_file)
{
	struct sv_domain_config cfg;
	char path[256], *doc;
	FILE *f;

	snprintf(path, sizeof(path), "%s.xml", test_kernel_path());
	doc = test_substitute(DOC_HEAD DOC_TAIL);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(doc, f);
	fclose(f);
	free(doc);
	ck_assert_msg(sv_xml_parse_file(path, NULL, &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(cfg.name, "t");
	sv_domain_config_free(&cfg);
	unlink(path);

	ck_assert_int_eq(sv_xml_parse_file(path, NULL, &cfg, err, sizeof(err)), -ENOENT);
	ck_assert_msg(strstr(err, path) && strstr(err, "cannot open"), "%s", err);
}
END_TEST

START_TEST(test_schema_dir_choice)
{
	struct sv_domain_config cfg;
	char *doc = test_substitute(DOC_HEAD DOC_TAIL);

	/* An explicit directory wins over the environment, which wins over the default. */
	setenv(SV_XML_SCHEMA_DIR_ENV, "/nonexistent/env-schemas", 1);
	ck_assert_int_eq(
		sv_xml_parse_memory(doc, strlen(doc), "t.xml", NULL, &cfg, err, sizeof(err)),
		-ENOENT);
	ck_assert_msg(strstr(err, "/nonexistent/env-schemas/domain.rng"), "%s", err);
	ck_assert_int_eq(sv_xml_parse_memory(doc, strlen(doc), "t.xml", "/nonexistent/arg", &cfg,
					     err, sizeof(err)),
			 -ENOENT);
	ck_assert_msg(strstr(err, "/nonexistent/arg/domain.rng"), "%s", err);
	ck_assert_int_eq(sv_xml_parse_memory(doc, strlen(doc), "t.xml", SV_XML_DEFAULT_SCHEMA_DIR,
					     &cfg, err, sizeof(err)),
			 0);
	sv_domain_config_free(&cfg);
	unsetenv(SV_XML_SCHEMA_DIR_ENV);
	ck_assert_int_eq(
		sv_xml_parse_memory(doc, strlen(doc), "t.xml", NULL, &cfg, err, sizeof(err)), 0);
	sv_domain_config_free(&cfg);
	/* Freeing the cache and parsing again reloads the schema. */
	sv_xml_cleanup();
	ck_assert_int_eq(
		sv_xml_parse_memory(doc, strlen(doc), "t.xml", NULL, &cfg, err, sizeof(err)), 0);
	sv_domain_config_free(&cfg);
	free(doc);
}
END_TEST

static Suite *parse_suite(void)
{
	Suite *s = suite_create("xml-parse");
	TCase *tc = tcase_create("accept");

	tcase_add_unchecked_fixture(tc, test_files_setup, test_files_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_every_supported_element);
	tcase_add_test(tc, test_minimal_defaults);
	tcase_add_test(tc, test_os_type_linux_and_machine);
	tcase_add_test(tc, test_generated_mac);
	tcase_add_test(tc, test_driver_domain);
	tcase_add_test(tc, test_driver_domain_examples);
	tcase_add_loop_test(tc, test_scale_every_unit, 0,
			    sizeof(unit_cases) / sizeof(unit_cases[0]));
	tcase_add_test(tc, test_scale_refusals);
	tcase_add_loop_test(tc, test_document_every_unit, 0,
			    sizeof(document_unit_cases) / sizeof(document_unit_cases[0]));
	tcase_add_loop_test(tc, test_large_units_hit_the_limit, 0, 9);
	tcase_add_test(tc, test_pvh_memory_limit_is_above_3_gib);
	tcase_add_test(tc, test_domid_is_formatted);
	tcase_add_test(tc, test_equal_notices_each_difference);
	tcase_add_test(tc, test_format_refuses_incomplete_config);
	tcase_add_loop_test(tc, test_example_round_trip, 0, 4);
	tcase_add_loop_test(tc, test_generated_examples, 0, 4);
	tcase_add_test(tc, test_linux_example);
	tcase_add_test(tc, test_parse_file);
	tcase_add_test(tc, test_schema_dir_choice);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(parse_suite());
	int failed;

	/* In-process runs keep ASan's leak check meaningful and are faster here. */
	srunner_set_fork_status(runner, CK_NOFORK);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	sv_xml_cleanup();
	xmlCleanupParser();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
