// SPDX-License-Identifier: MIT
/*
 * svctl net-list, net-attach and net-detach: a running domain's network
 * interfaces, hot-plugged the way block-attach does disks (Xen's xl
 * network-attach and network-detach).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <splitvisor/toolstack.h>

#include "svctl.h"
#include "util.h"

const char svctl_net_usage[] =
	"net-list NAME\n"
	"net-attach NAME (--bridge SWITCH | --tap [DEV]) [--mac MAC]\n"
	"net-detach NAME MAC\n"
	"\n"
	"net-list shows each interface: its mac, xenbus state, switch, frames each way,\n"
	"drops, notifications to the guest, grant copies (both ways) and its host\n"
	"device, then an \"ip:\" line with the addresses its <ip> elements gave (the\n"
	"first IPv4 one is offered to the guest as device/vif/N/ip). net-attach plugs a new "
	"interface into a running domain: on our switch\n"
	"SWITCH (what <interface type='bridge'> names), or on a TAP device DEV of the\n"
	"host (type='ethernet'; vif<domid>.<n> when DEV is left out). Without --mac a\n"
	"Xen-OUI address (00:16:3e) is made up. net-detach asks the guest to give the\n"
	"interface back.\n";

/* util_mac_parse's form, and unicast: a multicast address names no interface. */
static int parse_mac(const char *s, uint8_t mac[6])
{
	return util_mac_parse(s, mac) || mac[0] & 1 ? -1 : 0;
}

static int net_call(const char *cmd, const char *dir, uint32_t op, const void *req, size_t len)
{
	char text[SV_CTL_PAYLOAD_MAX];
	size_t rlen = 0;
	int fd, ret;

	fd = svctl_dom0_open(cmd, dir, false);
	if (fd < 0)
		return SVCTL_EX_UNAVAILABLE;
	ret = svctl_ts_call(cmd, fd, op, req, len, text, sizeof(text), &rlen, SVCTL_REPLY_TIMEOUT);
	close(fd);
	if (!ret && op == SV_TS_NET_LIST)
		fwrite(text, 1, rlen, stdout);
	return ret ? SVCTL_EX_FAIL : 0;
}

static int cmd_net_attach(const char *dir, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bridge", required_argument, NULL, 'b' },
		{ "tap", optional_argument, NULL, 't' },
		{ "mac", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	struct sv_ts_net req = { 0 };
	const char *link = NULL;
	bool have_type = false, tap_bare = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
		case 't':
			if (have_type)
				return svctl_usage_error("net-attach",
							 "give one of --bridge, --tap");
			have_type = true;
			req.type = c == 'b' ? SV_TS_NET_BRIDGE : SV_TS_NET_ETHERNET;
			link = optarg ? optarg : "";
			tap_bare = c == 't' && !optarg;
			break;
		case 'm':
			if (parse_mac(optarg, req.mac))
				return svctl_usage_error("net-attach",
							 "--mac '%s' is not a unicast MAC address",
							 optarg);
			req.has_mac = 1;
			break;
		default:
			return svctl_usage_error("net-attach", "unknown or incomplete option");
		}
	}
	/* getopt takes an optional argument only as --tap=DEV: "--tap DEV" leaves DEV behind. */
	if (tap_bare && argc - optind == 2)
		link = argv[--argc];
	if (optind != argc - 1 || !have_type)
		return svctl_usage_error(
			"net-attach", "expected NAME (--bridge SWITCH | --tap [DEV]) [--mac MAC]");
	if (strlen(argv[optind]) >= sizeof(req.name) || strlen(link) >= sizeof(req.link))
		return svctl_usage_error("net-attach", "name too long");
	if (req.type == SV_TS_NET_BRIDGE && !link[0])
		return svctl_usage_error("net-attach", "--bridge needs a switch name");
	strcpy(req.name, argv[optind]);
	strcpy(req.link, link);
	return net_call("net-attach", dir, SV_TS_NET_ATTACH, &req, sizeof(req));
}

int svctl_cmd_net(int argc, char **argv)
{
	const char *cmd = argv[0];
	struct sv_ts_net req = { 0 };
	struct sv_ts_name name = { { 0 } };
	char dir[256];

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: svctl %s", svctl_net_usage);
		return 0;
	}
	if (svctl_rundir(dir, sizeof(dir)))
		return SVCTL_EX_USAGE;
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(cmd, "net-attach"))
		return cmd_net_attach(dir, argc, argv);
	if (!strcmp(cmd, "net-detach")) {
		if (argc != 3)
			return svctl_usage_error(cmd, "expected NAME MAC");
		if (strlen(argv[1]) >= sizeof(req.name))
			return svctl_usage_error(cmd, "name too long");
		if (parse_mac(argv[2], req.mac))
			return svctl_usage_error(cmd, "'%s' is not a unicast MAC address", argv[2]);
		strcpy(req.name, argv[1]);
		req.has_mac = 1;
		return net_call(cmd, dir, SV_TS_NET_DETACH, &req, sizeof(req));
	}
	if (argc != 2)
		return svctl_usage_error(cmd, "expected NAME");
	if (strlen(argv[1]) >= sizeof(name.name))
		return svctl_usage_error(cmd, "name too long");
	strcpy(name.name, argv[1]);
	return net_call(cmd, dir, SV_TS_NET_LIST, &name, sizeof(name));
}
