/* SPDX-License-Identifier: MIT */
/* What the XML module refuses: each error case, its message and its line number. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include <splitvisor/limits.h>

#include "sv_xml.h"
#include "xml_test_util.h"

struct error_case {
	const char *label;
	const char *doc;       /* @KERNEL@ / @INITRD@ are replaced by real files */
	int errnum;	       /* expected negative errno */
	const char *expect[2]; /* substrings of the message; the second may be NULL */
};

#define DEVICES(x) DOC_HEAD "  <devices>\n" x "  </devices>\n" DOC_TAIL
#define HEAD_WITH(name_line, memory_line, os_type_line, kernel_line, extra)          \
	"<domain type='xen'>\n" name_line "\n" memory_line "\n  <os>\n" os_type_line \
	"\n" kernel_line "\n  </os>\n" extra "</domain>\n"

/* A driver domain with extra <os> children and extra elements after <os>. */
#define DD_DOC(os_extra, extra)                                                       \
	"<domain type='xen'>\n  <name>dd0</name>\n  <memory unit='MiB'>64</memory>\n" \
	"  <os>\n    <type>exe</type>\n" os_extra "  </os>\n" extra "</domain>\n"

static const struct error_case cases[] = {
	/* Unsupported elements and attributes: exactly "unsupported: <what> at line N". */
	{ "watchdog",
	  DEVICES("    <watchdog model='i6300esb' action='reset'/>\n"),
	  -EOPNOTSUPP,
	  { "t.xml:9: unsupported: <devices>/<watchdog> at line 9: no watchdog device is "
	    "emulated" } },
	{ "cpu model",
	  DOC_HEAD "  <cpu mode='host-passthrough'/>\n" DOC_TAIL,
	  -EOPNOTSUPP,
	  { "t.xml:8: unsupported: <cpu> at line 8: the guest sees the host's CPU model" } },
	{ "serial port",
	  DEVICES("    <serial type='pty'><target port='0'/></serial>\n"),
	  -EOPNOTSUPP,
	  { "t.xml:9: unsupported: <devices>/<serial> at line 9: the PV console is the guest's "
	    "only console" } },
	{ "emulator",
	  DEVICES("    <emulator>/usr/bin/qemu</emulator>\n"),
	  -EOPNOTSUPP,
	  { "unsupported: <devices>/<emulator> at line 9: a PV guest runs with no device model" } },
	{ "clock timer",
	  DOC_HEAD
	  "  <clock offset='utc'>\n    <timer name='tsc' present='yes'/>\n  </clock>\n" DOC_TAIL,
	  -EOPNOTSUPP,
	  { "t.xml:9: unsupported: <clock>/<timer> at line 9: a PV guest's timers are the "
	    "core's" } },
	{ "clock variable",
	  DOC_HEAD "  <clock offset='variable' adjustment='3600' basis='utc'/>\n" DOC_TAIL,
	  -EOPNOTSUPP,
	  { "t.xml:8: unsupported: <clock> offset 'variable' at line 8",
	    "supported: utc, localtime" } },
	{ "clock timezone",
	  DOC_HEAD "  <clock offset='timezone' timezone='Europe/Paris'/>\n" DOC_TAIL,
	  -EOPNOTSUPP,
	  { "t.xml:8: unsupported: <clock> offset 'timezone' at line 8" } },
	{ "clock adjustment",
	  DOC_HEAD "  <clock offset='localtime' adjustment='3600'/>\n" DOC_TAIL,
	  -EOPNOTSUPP,
	  { "t.xml:8: unsupported: <clock> adjustment '3600' at line 8", "only 'reset'" } },
	{ "features pvspinlock",
	  DOC_HEAD
	  "  <features>\n    <pae/>\n    <pvspinlock state='on'/>\n  </features>\n" DOC_TAIL,
	  -EOPNOTSUPP,
	  { "t.xml:10: unsupported: <features>/<pvspinlock> at line 10: this feature changes" } },
	{ "memballoon virtio",
	  DEVICES("    <memballoon model='virtio'/>\n"),
	  -EOPNOTSUPP,
	  { "t.xml:9: unsupported: <devices>/<memballoon> model 'virtio' at line 9" } },
	{ "controller usb",
	  DEVICES("    <controller type='usb' index='0'/>\n"),
	  -EOPNOTSUPP,
	  { "t.xml:9: unsupported: <devices>/<controller> type 'usb' at line 9",
	    "only <controller type='xenbus'>" } },
	{ "xenbus grant frames above the core's maximum",
	  DEVICES("    <controller type='xenbus' maxGrantFrames='64'/>\n"),
	  -ERANGE,
	  { "t.xml:9: maxGrantFrames 64 is outside 1..16: the core's maximum is 16" } },
	{ "xenbus grant frames 0",
	  DEVICES("    <controller type='xenbus' maxGrantFrames='0'/>\n"),
	  -ERANGE,
	  { "t.xml:9: maxGrantFrames 0 is outside 1..16" } },
	{ "xenbus event channels above the core's maximum",
	  DEVICES("    <controller type='xenbus' maxEventChannels='4096'/>\n"),
	  -ERANGE,
	  { "t.xml:9: maxEventChannels 4096 is outside 2..4095" } },
	{ "xenbus event channels too few",
	  DEVICES("    <controller type='xenbus' maxEventChannels='1'/>\n"),
	  -ERANGE,
	  { "maxEventChannels 1 is outside 2..4095", "console and xenstore" } },
	{ "two xenbus controllers",
	  DEVICES("    <controller type='xenbus'/>\n    <controller type='xenbus' index='0'/>\n"),
	  -EEXIST,
	  { "t.xml:10: a second xenbus controller at line 10" } },
	{ "xenbus index 1",
	  DEVICES("    <controller type='xenbus' index='1'/>\n"),
	  -EOPNOTSUPP,
	  { "t.xml:9: unsupported: <devices>/<controller> index '1' at line 9" } },
	{ "interface ip not an address",
	  DEVICES("    <interface type='bridge'>\n      <source bridge='br0'/>\n"
		  "      <ip address='10.0.0.300' prefix='24'/>\n    </interface>\n"),
	  -EINVAL,
	  { "t.xml:11: ip address '10.0.0.300' is not an IPv4 address" } },
	{ "interface ip prefix too long",
	  DEVICES("    <interface type='bridge'>\n      <source bridge='br0'/>\n"
		  "      <ip address='10.0.0.3' prefix='33'/>\n    </interface>\n"),
	  -EINVAL,
	  { "t.xml:11: ip prefix '33' is not 0..32" } },
	{ "interface ip family",
	  DEVICES("    <interface type='bridge'>\n      <source bridge='br0'/>\n"
		  "      <ip address='fd00::2' family='ipv4'/>\n    </interface>\n"),
	  -EINVAL,
	  { "t.xml:11: ip address 'fd00::2' is not of family 'ipv4'" } },
	{ "interface ip peer",
	  DEVICES("    <interface type='ethernet'>\n"
		  "      <ip address='10.0.0.3' prefix='24' peer='10.0.0.1'/>\n    </interface>\n"),
	  -EOPNOTSUPP,
	  { "t.xml:10: unsupported: <devices>/<interface>/<ip> attribute 'peer' at line 10" } },
	{ "bootloader_args without bootloader",
	  DOC_HEAD "  <bootloader_args>--entry=1</bootloader_args>\n" DOC_TAIL,
	  -EINVAL,
	  { "<bootloader_args> without <bootloader>" } },
	{ "disk snapshot attribute",
	  DEVICES("    <disk type='file' snapshot='no'>\n"
		  "      <source file='/a.img'/><target dev='xvda'/>\n"
		  "    </disk>\n"),
	  -EOPNOTSUPP,
	  { "unsupported: <devices>/<disk> attribute 'snapshot' at line 9" } },
	{ "disk serial",
	  DEVICES("    <disk type='file'>\n"
		  "      <source file='/a.img'/><target dev='xvda'/>\n"
		  "      <serial>abc</serial>\n"
		  "    </disk>\n"),
	  -EOPNOTSUPP,
	  { "unsupported: <devices>/<disk>/<serial> at line 11" } },
	{ "driver io attribute",
	  DEVICES("    <disk type='file'>\n"
		  "      <driver name='qemu' type='raw' io='native'/>\n"
		  "      <source file='/a.img'/><target dev='xvda'/>\n"
		  "    </disk>\n"),
	  -EOPNOTSUPP,
	  { "unsupported: <devices>/<disk>/<driver> attribute 'io' at line 10" } },
	{ "vcpu cpuset",
	  DOC_HEAD "  <vcpu cpuset='0-1'>2</vcpu>\n" DOC_TAIL,
	  -EOPNOTSUPP,
	  { "unsupported: <vcpu> attribute 'cpuset' at line 8" } },
	{ "vcpu placement auto",
	  DOC_HEAD "  <vcpu placement='auto'>2</vcpu>\n" DOC_TAIL,
	  -EOPNOTSUPP,
	  { "unsupported: <vcpu> placement 'auto' at line 8" } },
	{ "memory dumpCore",
	  HEAD_WITH("  <name>t</name>", "  <memory dumpCore='on'>32768</memory>",
		    "    <type>xen</type>", "    <kernel>@KERNEL@</kernel>", ""),
	  -EOPNOTSUPP,
	  { "unsupported: <memory> attribute 'dumpCore' at line 3" } },
	{ "interface script twice",
	  DEVICES("    <interface type='ethernet'>\n"
		  "      <script path='/etc/xen/scripts/vif-route'/>\n"
		  "      <script path='/etc/xen/scripts/vif-nat'/>\n"
		  "    </interface>\n"),
	  -EINVAL,
	  { "failed to validate against schema" } },
	{ "console source",
	  DEVICES("    <console type='pty'><source path='/dev/pts/1'/></console>\n"),
	  -EOPNOTSUPP,
	  { "unsupported: <devices>/<console>/<source> at line 9" } },
	{ "doctype",
	  "<!DOCTYPE domain [<!ENTITY x 'y'>]>\n" DOC_HEAD DOC_TAIL,
	  -EOPNOTSUPP,
	  { "unsupported: <!DOCTYPE>" } },

	/* Unsupported values. */
	{ "domain type kvm",
	  "<domain type='kvm'>\n  <name>t</name>\n  <memory>32768</memory>\n  <os>\n"
	  "    <type>hvm</type>\n  </os>\n</domain>\n",
	  -EOPNOTSUPP,
	  { "t.xml:1: unsupported: <domain> type 'kvm' at line 1", "only <domain type='xen'>" } },
	{ "os type hvm",
	  HEAD_WITH("  <name>t</name>", "  <memory>32768</memory>", "    <type>hvm</type>",
		    "    <kernel>@KERNEL@</kernel>", ""),
	  -EOPNOTSUPP,
	  { "t.xml:5: unsupported: <os>/<type> os type 'hvm' at line 5" } },
	{ "machine mismatch",
	  HEAD_WITH("  <name>t</name>", "  <memory>32768</memory>",
		    "    <type machine='xenpvh'>xen</type>", "    <kernel>@KERNEL@</kernel>", ""),
	  -EINVAL,
	  { "t.xml:5: os type 'xen' needs machine 'xenpv', not 'xenpvh'" } },
	{ "arch i686",
	  HEAD_WITH("  <name>t</name>", "  <memory>32768</memory>",
		    "    <type arch='i686'>xen</type>", "    <kernel>@KERNEL@</kernel>", ""),
	  -EOPNOTSUPP,
	  { "t.xml:5: unsupported: <os>/<type> arch 'i686' at line 5" } },
	{ "on_crash rename-restart",
	  DOC_HEAD "  <on_crash>rename-restart</on_crash>\n" DOC_TAIL,
	  -EOPNOTSUPP,
	  { "t.xml:8: unsupported: <on_crash> action 'rename-restart' at line 8",
	    "supported: destroy, restart, preserve" } },
	{ "on_crash coredump-destroy",
	  DOC_HEAD "  <on_poweroff>destroy</on_poweroff>\n"
		   "  <on_crash>coredump-destroy</on_crash>\n" DOC_TAIL,
	  -EOPNOTSUPP,
	  { "unsupported: <on_crash> action 'coredump-destroy' at line 9" } },
	{ "on_reboot rename-restart",
	  DOC_HEAD "  <on_reboot>rename-restart</on_reboot>\n" DOC_TAIL,
	  -EOPNOTSUPP,
	  { "unsupported: <on_reboot> action 'rename-restart' at line 8" } },
	{ "disk network",
	  DEVICES("    <disk type='network'>\n"
		  "      <source protocol='nbd' name='x'><host name='h'/></source>\n"
		  "      <target dev='xvda'/>\n"
		  "    </disk>\n"),
	  -EOPNOTSUPP,
	  { "t.xml:9: unsupported: <devices>/<disk> type 'network' at line 9" } },
	{ "disk floppy",
	  DEVICES("    <disk type='file' device='floppy'>\n"
		  "      <source file='/f.img'/><target dev='xvda'/>\n"
		  "    </disk>\n"),
	  -EOPNOTSUPP,
	  { "unsupported: <devices>/<disk> device 'floppy' at line 9" } },
	{ "vmdk",
	  DEVICES("    <disk type='file'>\n"
		  "      <driver name='qemu' type='vmdk'/>\n"
		  "      <source file='/a.vmdk'/><target dev='xvda'/>\n"
		  "    </disk>\n"),
	  -EOPNOTSUPP,
	  { "unsupported: <devices>/<disk>/<driver> type 'vmdk' at line 10",
	    "image formats: raw, qcow2" } },
	{ "bus ide",
	  DEVICES("    <disk type='file'>\n"
		  "      <source file='/a.img'/>\n"
		  "      <target dev='xvda' bus='ide'/>\n"
		  "    </disk>\n"),
	  -EOPNOTSUPP,
	  { "unsupported: <devices>/<disk>/<target> bus 'ide' at line 11" } },
	{ "target hda",
	  DEVICES("    <disk type='file'>\n"
		  "      <source file='/a.img'/>\n"
		  "      <target dev='hda'/>\n"
		  "    </disk>\n"),
	  -EINVAL,
	  { "t.xml:11: disk target 'hda' is not a Xen PV disk name" } },
	{ "disk without source",
	  DEVICES("    <disk type='file'>\n"
		  "      <target dev='xvda'/>\n"
		  "    </disk>\n"),
	  -EINVAL,
	  { "t.xml:9: disk xvda has no <source>" } },
	{ "interface network without source",
	  DEVICES("    <interface type='network'/>\n"),
	  -EINVAL,
	  { "t.xml:9: interface of type 'network' needs <source network='...'/>" } },
	{ "bandwidth peak",
	  DEVICES("    <interface type='bridge'><source bridge='br0'/>\n"
		  "      <bandwidth><outbound average='1000' peak='2000'/></bandwidth>\n"
		  "    </interface>\n"),
	  -EOPNOTSUPP,
	  { "unsupported: <outbound> peak and floor (we police to average and burst) at line "
	    "10" } },
	{ "bandwidth without average",
	  DEVICES("    <interface type='bridge'><source bridge='br0'/>\n"
		  "      <bandwidth><inbound burst='64'/></bandwidth>\n"
		  "    </interface>\n"),
	  -EINVAL,
	  { "t.xml:10: <inbound> needs an average in KiB/s" } },
	{ "interface user",
	  DEVICES("    <interface type='user'/>\n"),
	  -EOPNOTSUPP,
	  { "unsupported: <devices>/<interface> type 'user' at line 9" } },
	{ "model e1000",
	  DEVICES("    <interface type='bridge'>\n"
		  "      <source bridge='br0'/>\n"
		  "      <model type='e1000'/>\n"
		  "    </interface>\n"),
	  -EOPNOTSUPP,
	  { "unsupported: <devices>/<interface>/<model> type 'e1000' at line 11" } },
	{ "bridge without source",
	  DEVICES("    <interface type='bridge'/>\n"),
	  -EINVAL,
	  { "t.xml:9: interface of type 'bridge' needs <source bridge='...'/>" } },
	{ "console file",
	  DEVICES("    <console type='file'><source path='/tmp/c'/></console>\n"),
	  -EOPNOTSUPP,
	  { "unsupported: <devices>/<console> type 'file' at line 9" } },
	{ "console target serial",
	  DEVICES("    <console type='pty'>\n"
		  "      <target type='serial' port='0'/>\n"
		  "    </console>\n"),
	  -EOPNOTSUPP,
	  { "unsupported: <devices>/<console>/<target> type 'serial' at line 10" } },

	/* Semantic checks. */
	{ "duplicate target dev",
	  DEVICES("    <disk type='file'>\n"
		  "      <source file='/a.img'/><target dev='xvda'/>\n"
		  "    </disk>\n"
		  "    <disk type='block'>\n"
		  "      <source dev='/dev/sdb'/><target dev='xvda'/>\n"
		  "    </disk>\n"),
	  -EEXIST,
	  { "t.xml:13: duplicate disk target dev 'xvda' at line 13" } },
	{ "duplicate mac",
	  DEVICES("    <interface type='bridge'>\n"
		  "      <mac address='00:16:3e:aa:bb:cc'/><source bridge='br0'/>\n"
		  "    </interface>\n"
		  "    <interface type='ethernet'>\n"
		  "      <mac address='00:16:3E:AA:BB:CC'/>\n"
		  "    </interface>\n"),
	  -EEXIST,
	  { "t.xml:13: duplicate mac address 00:16:3e:aa:bb:cc at line 13" } },
	{ "duplicate console port",
	  DEVICES("    <console type='pty'/>\n"
		  "    <console type='pty'><target type='xen' port='0'/></console>\n"),
	  -EEXIST,
	  { "t.xml:10: duplicate console port 0 at line 10" } },
	{ "memory below minimum",
	  HEAD_WITH("  <name>t</name>", "  <memory unit='MiB'>4</memory>", "    <type>xen</type>",
		    "    <kernel>@KERNEL@</kernel>", ""),
	  -ERANGE,
	  { "t.xml:3: memory 4 MiB is below the minimum of 8 MiB" } },
	{ "memory below minimum in KiB",
	  HEAD_WITH("  <name>t</name>", "  <memory unit='KB'>1000</memory>", "    <type>xen</type>",
		    "    <kernel>@KERNEL@</kernel>", ""),
	  -ERANGE,
	  { "t.xml:3: memory 977 KiB is below the minimum of 8 MiB" } },
	{ "memory above maximum",
	  HEAD_WITH("  <name>t</name>", "  <memory unit='GiB'>4</memory>", "    <type>xen</type>",
		    "    <kernel>@KERNEL@</kernel>", ""),
	  -ERANGE,
	  { "t.xml:3: memory 4096 MiB is above the maximum of 3072 MiB" } },
	{ "memory overflow",
	  HEAD_WITH("  <name>t</name>", "  <memory unit='EiB'>18446744073709551615</memory>",
		    "    <type>xen</type>", "    <kernel>@KERNEL@</kernel>", ""),
	  -ERANGE,
	  { "t.xml:3: <memory> 18446744073709551615 EiB overflows" } },
	{ "memory overflow in KiB",
	  HEAD_WITH("  <name>t</name>", "  <memory>18014398509481984</memory>",
		    "    <type>xen</type>", "    <kernel>@KERNEL@</kernel>", ""),
	  -ERANGE,
	  { "t.xml:3: <memory> 18014398509481984 KiB overflows" } },
	{ "currentMemory above memory",
	  DOC_HEAD "  <currentMemory unit='MiB'>64</currentMemory>\n" DOC_TAIL,
	  -EINVAL,
	  { "t.xml:8: currentMemory 64 MiB is above memory 32 MiB" } },
	{ "currentMemory below minimum",
	  DOC_HEAD "  <currentMemory unit='MiB'>1</currentMemory>\n" DOC_TAIL,
	  -ERANGE,
	  { "t.xml:8: currentMemory 1 MiB is below the minimum of 8 MiB" } },
	{ "vcpus above maximum",
	  DOC_HEAD "  <vcpu>33</vcpu>\n" DOC_TAIL,
	  -ERANGE,
	  { "t.xml:8: vcpus 33 is above the maximum of 32" } },
	{ "current above vcpus",
	  DOC_HEAD "  <vcpu current='3'>2</vcpu>\n" DOC_TAIL,
	  -EINVAL,
	  { "t.xml:8: current vcpus 3 is above vcpus 2" } },
	/* libvirt's schema itself refuses 0 vCPUs; the message still points at the line. */
	{ "vcpus zero",
	  DOC_HEAD "  <vcpu>0</vcpu>\n" DOC_TAIL,
	  -EINVAL,
	  { "t.xml:8: vcpus is 0; a domain needs at least 1 vCPU",
	    "failed to validate against schema" } },
	{ "name too long",
	  HEAD_WITH(
		  "  <name>a123456789b123456789c123456789d123456789e123456789f123456789g123</name>",
		  "  <memory>32768</memory>", "    <type>xen</type>",
		  "    <kernel>@KERNEL@</kernel>", ""),
	  -ENAMETOOLONG,
	  { "t.xml:2: name is 64 characters long, the maximum is 63" } },
	{ "name with space",
	  HEAD_WITH("  <name>my vm</name>", "  <memory>32768</memory>", "    <type>xen</type>",
		    "    <kernel>@KERNEL@</kernel>", ""),
	  -EINVAL,
	  { "t.xml:2: name 'my vm' contains ' '; only [A-Za-z0-9_.+-] are allowed" } },
	{ "name with slash",
	  HEAD_WITH("  <name>a/b</name>", "  <memory>32768</memory>", "    <type>xen</type>",
		    "    <kernel>@KERNEL@</kernel>", ""),
	  -EINVAL,
	  { "t.xml:2: name 'a/b' contains '/'" } },
	{ "backenddomain name",
	  DEVICES("    <disk type='file'>\n"
		  "      <source file='/a.img'/><target dev='xvda'/>\n"
		  "      <backenddomain name='dom 1'/>\n"
		  "    </disk>\n"),
	  -EINVAL,
	  { "t.xml:11: backenddomain name 'dom 1' contains ' '" } },
	{ "cmdline too long",
	  NULL,
	  -E2BIG,
	  { "t.xml:7: cmdline is 1024 bytes long, the maximum is 1023" } },
	{ "no kernel",
	  "<domain type='xen'>\n  <name>t</name>\n  <memory>32768</memory>\n"
	  "  <os>\n    <type>xen</type>\n  </os>\n</domain>\n",
	  -EINVAL,
	  { "t.xml:4: <os> has no <kernel> and the domain no <bootloader>" } },
	{ "bootloader not pygrub",
	  "<domain type='xen'>\n  <name>t</name>\n  <memory>32768</memory>\n"
	  "  <bootloader>/usr/lib/xen/bin/pvgrub</bootloader>\n</domain>\n",
	  -EOPNOTSUPP,
	  { "t.xml:4: unsupported: <bootloader> program '/usr/lib/xen/bin/pvgrub'",
	    "supported: pygrub" } },
	{ "driver domain with bootloader",
	  "<domain type='xen'>\n  <name>dd0</name>\n  <memory unit='MiB'>64</memory>\n"
	  "  <bootloader>pygrub</bootloader>\n  <os>\n    <type>exe</type>\n  </os>\n</domain>\n",
	  -EINVAL,
	  { "it takes no <bootloader>" } },

	/* Driver domains (<os><type>exe</type>): svdd runs, nothing of the document's. */
	{ "driver domain init",
	  DD_DOC("    <init>/bin/sh</init>\n", ""),
	  -EOPNOTSUPP,
	  { "t.xml:6: unsupported: <os>/<init> at line 6: a driver domain runs svdd",
	    "remove <init>" } },
	{ "driver domain initarg",
	  DD_DOC("    <initarg>-x</initarg>\n", ""),
	  -EOPNOTSUPP,
	  { "t.xml:6: unsupported: <os>/<initarg> at line 6" } },
	{ "driver domain initenv",
	  DD_DOC("    <initenv name='LD_PRELOAD'>/tmp/x.so</initenv>\n", ""),
	  -EOPNOTSUPP,
	  { "t.xml:6: unsupported: <os>/<initenv> at line 6" } },
	{ "driver domain disk",
	  DD_DOC("", "  <devices>\n    <disk type='file'>\n"
		     "      <source file='/a.img'/><target dev='xvda'/>\n"
		     "    </disk>\n  </devices>\n"),
	  -EINVAL,
	  { "t.xml:7: driver domain dd0 has disks: a driver domain",
	    "<backenddomain name='dd0'/>" } },
	{ "driver domain interface",
	  DD_DOC("", "  <devices>\n    <interface type='bridge'>\n"
		     "      <source bridge='br0'/>\n    </interface>\n  </devices>\n"),
	  -EINVAL,
	  { "driver domain dd0 has interfaces" } },
	{ "driver domain console",
	  DD_DOC("",
		 "  <devices>\n    <console type='pty'><target type='xen' port='0'/></console>\n"
		 "  </devices>\n"),
	  -EINVAL,
	  { "driver domain dd0 has consoles" } },
	{ "hvm os type",
	  HEAD_WITH("  <name>t</name>", "  <memory>32768</memory>", "    <type>hvm</type>",
		    "    <kernel>@KERNEL@</kernel>", ""),
	  -EOPNOTSUPP,
	  { "t.xml:5: unsupported: <os>/<type> os type 'hvm' at line 5",
	    "HVM guests are not supported" } },

	/* Schema and well-formedness failures. */
	{ "schema: bad memory text",
	  HEAD_WITH("  <name>t</name>", "  <memory unit='MiB'>lots</memory>",
		    "    <type>xen</type>", "    <kernel>@KERNEL@</kernel>", ""),
	  -EINVAL,
	  { "t.xml:3: XML document failed to validate against schema", "domain.rng" } },
	{ "schema: bad unit",
	  HEAD_WITH("  <name>t</name>", "  <memory unit='XB'>32</memory>", "    <type>xen</type>",
		    "    <kernel>@KERNEL@</kernel>", ""),
	  -EINVAL,
	  { "t.xml:3: XML document failed to validate against schema" } },
	{ "schema: unknown element",
	  DOC_HEAD "  <frobnicate/>\n" DOC_TAIL,
	  -EINVAL,
	  { "t.xml:8: XML document failed to validate", "frobnicate" } },
	{ "schema: relative kernel",
	  HEAD_WITH("  <name>t</name>", "  <memory>32768</memory>", "    <type>xen</type>",
		    "    <kernel>vmlinuz</kernel>", ""),
	  -EINVAL,
	  { "t.xml:", "XML document failed to validate against schema" } },
	{ "not well-formed",
	  "<domain type='xen'>\n  <name>t</name>\n  <memory>1</mem>\n</domain>\n",
	  -EINVAL,
	  { "t.xml:3: XML parse error: ", "mismatch" } },
	/* Schema-invalid; explaining it walks a second <type> (once leaked, found by fuzzing). */
	{ "two os types",
	  HEAD_WITH("  <name>t</name>", "  <memory>32768</memory>",
		    "    <type machine='xenpvh'>xenpvh</type>\n    <type>xen</type>",
		    "    <kernel>@KERNEL@</kernel>", ""),
	  -EINVAL,
	  { "failed to validate against schema" } },
	{ "empty document", "", -EINVAL, { "t.xml:1: XML parse error: Document is empty" } },
	{ "wrong root",
	  "<network><name>default</name></network>\n",
	  -EINVAL,
	  { "t.xml:1: XML document failed to validate" } },
};

static char long_cmdline_doc[2048];

static const char *case_doc(const struct error_case *c)
{
	char cmdline[SV_MAX_CMDLINE + 1];

	if (c->doc)
		return c->doc;
	memset(cmdline, 'x', SV_MAX_CMDLINE);
	cmdline[SV_MAX_CMDLINE] = '\0';
	snprintf(long_cmdline_doc, sizeof(long_cmdline_doc),
		 HEAD_WITH("  <name>t</name>", "  <memory>32768</memory>", "    <type>xen</type>",
			   "    <kernel>@KERNEL@</kernel>\n    <cmdline>%s</cmdline>", ""),
		 cmdline);
	return long_cmdline_doc;
}

START_TEST(test_error_case)
{
	const struct error_case *c = &cases[_i];
	struct sv_domain_config cfg;
	char err[2048];
	int ret;

	memset(err, 'X', sizeof(err));
	ret = test_parse(case_doc(c), &cfg, err, sizeof(err));
	ck_assert_msg(ret == c->errnum, "%s: returned %d (%s), expected %d; message: %s", c->label,
		      ret, strerror(-ret), c->errnum, err);
	for (size_t i = 0; i < 2 && c->expect[i]; i++)
		ck_assert_msg(strstr(err, c->expect[i]), "%s: message lacks \"%s\": %s", c->label,
			      c->expect[i], err);
	/* The failed parse leaves nothing behind to free. */
	ck_assert_ptr_null(cfg.name);
	ck_assert_ptr_null(cfg.disks);
	sv_domain_config_free(&cfg);
}
END_TEST

START_TEST(test_tiny_error_buffer)
{
	struct sv_domain_config cfg;
	char err[8];

	ck_assert_int_eq(test_parse(DOC_HEAD "  <clock offset='variable'/>\n" DOC_TAIL, &cfg, err,
				    sizeof(err)),
			 -EOPNOTSUPP);
	ck_assert_str_eq(err, "t.xml:8");
	ck_assert_int_eq(
		test_parse(DOC_HEAD "  <clock offset='variable'/>\n" DOC_TAIL, &cfg, NULL, 0),
		-EOPNOTSUPP);
	ck_assert_int_eq(test_parse(DOC_HEAD "  <vcpu>0</vcpu>\n" DOC_TAIL, &cfg, err, sizeof(err)),
			 -EINVAL);
	ck_assert_int_eq(strlen(err), sizeof(err) - 1);
}
END_TEST

static Suite *errors_suite(void)
{
	Suite *s = suite_create("xml-errors");
	TCase *tc = tcase_create("refuse");

	tcase_add_unchecked_fixture(tc, test_files_setup, test_files_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_error_case, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_tiny_error_buffer);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(errors_suite());
	int failed;

	srunner_set_fork_status(runner, CK_NOFORK);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	sv_xml_cleanup();
	xmlCleanupParser();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
