/* SPDX-License-Identifier: MIT */
/*
 * <devices>: Xen PV disks (blkfront), interfaces (netfront) and the PV console, the way
 * libvirt's Xen driver writes them. Everything else in <devices> is refused by name.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "xml_internal.h"

/* Bounds hostile documents; far above what a PV guest can attach. */
#define SV_XML_MAX_DEVICES 256u

static const char *const no_attributes[] = { NULL };

static bool in_list(const char *value, const char *const *list)
{
	for (; *list; list++) {
		if (strcmp(value, *list) == 0)
			return true;
	}
	return false;
}

/* Grows *array by one zeroed element of size elem; returns it or NULL. */
static void *append_slot(struct sv_xml_parser *p, const xmlNode *node, void **array, size_t *count,
			 size_t elem, int *ret)
{
	char *grown;

	if (*count >= SV_XML_MAX_DEVICES) {
		*ret = sv_xml_fail(p, node, E2BIG, "more than %u <%s> devices", SV_XML_MAX_DEVICES,
				   (const char *)node->name);
		return NULL;
	}
	grown = realloc(*array, (*count + 1) * elem);
	if (!grown) {
		*ret = sv_xml_fail(p, node, ENOMEM, "out of memory");
		return NULL;
	}
	*array = grown;
	memset(grown + *count * elem, 0, elem);
	return grown + (*count)++ * elem;
}

static int parse_backend_domain(struct sv_xml_parser *p, xmlNode *node, char **out)
{
	static const char *const attrs[] = { "name", NULL };
	int ret;

	ret = sv_xml_check_attributes(p, node, attrs);
	if (ret == 0)
		ret = sv_xml_check_no_children(p, node);
	if (ret == 0)
		ret = sv_xml_attr_dup(p, node, "name", out);
	if (ret == 0 && !*out)
		ret = sv_xml_fail(p, node, EINVAL, "<backenddomain> has no name");
	if (ret == 0)
		ret = sv_xml_check_domain_name(p, node, "backenddomain name", *out);
	return ret;
}

static int parse_disk_driver(struct sv_xml_parser *p, xmlNode *node, struct sv_disk_config *disk)
{
	static const char *const attrs[] = { "name", "type", "cache", NULL };
	/* The backend names libvirt's Xen driver knows; all end up at our blkback. */
	static const char *const names[] = { "tap", "tap2", "phy", "file", "qemu", NULL };
	int ret;

	ret = sv_xml_check_attributes(p, node, attrs);
	if (ret == 0)
		ret = sv_xml_check_no_children(p, node);
	if (ret == 0)
		ret = sv_xml_attr_dup(p, node, "name", &disk->driver_name);
	if (ret == 0)
		ret = sv_xml_attr_dup(p, node, "type", &disk->driver_type);
	if (ret == 0)
		ret = sv_xml_attr_dup(p, node, "cache", &disk->driver_cache);
	if (ret < 0)
		return ret;
	if (disk->driver_name && !in_list(disk->driver_name, names))
		return sv_xml_unsupported_value(p, node, "name", disk->driver_name,
						"supported: tap, tap2, phy, file, qemu");
	/*
	 * blkback serves raw images byte for byte, and qcow2 through QEMU's storage
	 * daemon (backend-drivers/blk_image.c); no other format is tested.
	 */
	if (!disk->driver_type || strcmp(disk->driver_type, "raw") == 0)
		disk->format = SV_DISK_FORMAT_RAW;
	else if (strcmp(disk->driver_type, "qcow2") == 0)
		disk->format = SV_DISK_FORMAT_QCOW2;
	else
		return sv_xml_unsupported_value(p, node, "type", disk->driver_type,
						"image formats: raw, qcow2");
	return 0;
}

static int parse_disk_source(struct sv_xml_parser *p, xmlNode *node, struct sv_disk_config *disk)
{
	static const char *const file_attrs[] = { "file", NULL };
	static const char *const block_attrs[] = { "dev", NULL };
	bool file = disk->type == SV_DISK_FILE;
	int ret;

	ret = sv_xml_check_attributes(p, node, file ? file_attrs : block_attrs);
	if (ret == 0)
		ret = sv_xml_check_no_children(p, node);
	if (ret == 0)
		ret = sv_xml_attr_dup(p, node, file ? "file" : "dev", &disk->source);
	if (ret == 0 && (!disk->source || !disk->source[0]))
		ret = sv_xml_fail(p, node, EINVAL, "disk of type '%s' needs <source %s='...'/>",
				  file ? "file" : "block", file ? "file" : "dev");
	return ret;
}

/* Xen PV disk names: xvd followed by lower-case letters (xvda ... xvdz, xvdaa ...). */
static bool is_xen_disk_name(const char *name)
{
	size_t i;

	if (strncmp(name, "xvd", 3) != 0 || !name[3] || strlen(name) > 7)
		return false;
	for (i = 3; name[i]; i++) {
		if (name[i] < 'a' || name[i] > 'z')
			return false;
	}
	return true;
}

static int parse_disk_target(struct sv_xml_parser *p, xmlNode *node, struct sv_disk_config *disk)
{
	static const char *const attrs[] = { "dev", "bus", NULL };
	char *bus = NULL;
	int ret;

	ret = sv_xml_check_attributes(p, node, attrs);
	if (ret == 0)
		ret = sv_xml_check_no_children(p, node);
	if (ret == 0)
		ret = sv_xml_attr_dup(p, node, "dev", &disk->target_dev);
	if (ret == 0)
		ret = sv_xml_attr_dup(p, node, "bus", &bus);
	if (ret < 0)
		goto out;
	if (!disk->target_dev || !is_xen_disk_name(disk->target_dev)) {
		ret = sv_xml_fail(p, node, EINVAL,
				  "disk target '%s' is not a Xen PV disk name (xvda, xvdb, ...)",
				  disk->target_dev ? disk->target_dev : "");
		goto out;
	}
	if (bus && strcmp(bus, "xen") != 0)
		ret = sv_xml_unsupported_value(p, node, "bus", bus, "only bus 'xen' is supported");
out:
	free(bus);
	return ret;
}

static int parse_disk_attributes(struct sv_xml_parser *p, xmlNode *node,
				 struct sv_disk_config *disk)
{
	static const char *const attrs[] = { "type", "device", NULL };
	char *type = NULL, *device = NULL;
	int ret;

	ret = sv_xml_check_attributes(p, node, attrs);
	if (ret == 0)
		ret = sv_xml_attr_dup(p, node, "type", &type);
	if (ret == 0)
		ret = sv_xml_attr_dup(p, node, "device", &device);
	if (ret < 0)
		goto out;
	if (!type || strcmp(type, "file") == 0) {
		disk->type = SV_DISK_FILE;
	} else if (strcmp(type, "block") == 0) {
		disk->type = SV_DISK_BLOCK;
	} else {
		ret = sv_xml_unsupported_value(p, node, "type", type, "supported: file, block");
		goto out;
	}
	if (!device || strcmp(device, "disk") == 0) {
		disk->device = SV_DISK_DEVICE_DISK;
	} else if (strcmp(device, "cdrom") == 0) {
		disk->device = SV_DISK_DEVICE_CDROM;
		disk->readonly = true;
	} else {
		ret = sv_xml_unsupported_value(p, node, "device", device, "supported: disk, cdrom");
	}
out:
	free(type);
	free(device);
	return ret;
}

static int parse_disk(struct sv_xml_parser *p, xmlNode *node, struct sv_domain_config *cfg)
{
	struct sv_disk_config *disk;
	xmlNode *child, *target = NULL;
	size_t i;
	int ret = 0;

	disk = append_slot(p, node, (void **)&cfg->disks, &cfg->ndisks, sizeof(*disk), &ret);
	if (!disk)
		return ret;
	ret = parse_disk_attributes(p, node, disk);
	if (ret < 0)
		return ret;
	for (child = node->children; child; child = child->next) {
		ret = sv_xml_check_node_kind(p, child);
		if (ret < 0)
			return ret;
		if (child->type != XML_ELEMENT_NODE)
			continue;
		if (sv_xml_is(child, "driver") && !disk->driver_name && !disk->driver_type &&
		    !disk->driver_cache) {
			ret = parse_disk_driver(p, child, disk);
		} else if (sv_xml_is(child, "source") && !disk->source) {
			ret = parse_disk_source(p, child, disk);
		} else if (sv_xml_is(child, "target") && !target) {
			target = child;
			ret = parse_disk_target(p, child, disk);
		} else if (sv_xml_is(child, "readonly")) {
			ret = sv_xml_check_attributes(p, child, no_attributes);
			if (ret == 0)
				ret = sv_xml_check_no_children(p, child);
			disk->readonly = true;
		} else if (sv_xml_is(child, "backenddomain") && !disk->backend_domain) {
			ret = parse_backend_domain(p, child, &disk->backend_domain);
		} else {
			ret = sv_xml_unsupported_element(p, child);
		}
		if (ret < 0)
			return ret;
	}
	if (!target)
		return sv_xml_fail(p, node, EINVAL, "<disk> has no <target dev='xvdX'/>");
	if (!disk->source && disk->device != SV_DISK_DEVICE_CDROM)
		return sv_xml_fail(p, node, EINVAL, "disk %s has no <source>", disk->target_dev);
	for (i = 0; i + 1 < cfg->ndisks; i++) {
		if (strcmp(cfg->disks[i].target_dev, disk->target_dev) == 0)
			return sv_xml_fail(p, target, EEXIST,
					   "duplicate disk target dev '%s' at line %ld",
					   disk->target_dev, sv_xml_line(target));
	}
	return 0;
}

static int parse_net_mac(struct sv_xml_parser *p, xmlNode *node, struct sv_net_config *net)
{
	static const char *const attrs[] = { "address", NULL };
	char *address = NULL;
	int ret;

	ret = sv_xml_check_attributes(p, node, attrs);
	if (ret == 0)
		ret = sv_xml_check_no_children(p, node);
	if (ret == 0)
		ret = sv_xml_attr_dup(p, node, "address", &address);
	if (ret == 0 && (!address || util_mac_parse(address, net->mac) < 0))
		ret = sv_xml_fail(p, node, EINVAL, "mac address '%s' is not xx:xx:xx:xx:xx:xx",
				  address ? address : "");
	if (ret == 0 && (net->mac[0] & 1))
		ret = sv_xml_fail(p, node, EINVAL, "mac address '%s' is a multicast address",
				  address);
	free(address);
	return ret;
}

static int check_ifname(struct sv_xml_parser *p, const xmlNode *node, const char *what,
			const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len >= IFNAMSIZ)
		return sv_xml_fail(p, node, EINVAL, "%s '%s' must be 1 to %d characters long", what,
				   name, IFNAMSIZ - 1);
	if (strpbrk(name, "/: \t\n\r") || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return sv_xml_fail(p, node, EINVAL, "%s '%s' is not a valid interface name", what,
				   name);
	return 0;
}

static int parse_net_source(struct sv_xml_parser *p, xmlNode *node, struct sv_net_config *net)
{
	static const char *const bridge_attrs[] = { "bridge", NULL };
	static const char *const network_attrs[] = { "network", NULL };
	const char *what = net->type == SV_NET_NETWORK ? "network" : "bridge";
	int ret;

	/* An ethernet interface is plugged in by a script we do not run: nothing to source. */
	if (net->type == SV_NET_ETHERNET)
		return sv_xml_unsupported_element(p, node);
	ret = sv_xml_check_attributes(p, node,
				      net->type == SV_NET_NETWORK ? network_attrs : bridge_attrs);
	if (ret == 0)
		ret = sv_xml_check_no_children(p, node);
	if (ret == 0)
		ret = sv_xml_attr_dup(p, node, what, &net->bridge);
	if (ret == 0 && !net->bridge)
		ret = sv_xml_fail(p, node, EINVAL, "interface <source> has no %s", what);
	/* Either names one of our switches, and a switch's name is an interface name. */
	if (ret == 0)
		ret = check_ifname(p, node, what, net->bridge);
	return ret;
}

static int parse_net_target(struct sv_xml_parser *p, xmlNode *node, struct sv_net_config *net)
{
	static const char *const attrs[] = { "dev", NULL };
	int ret;

	ret = sv_xml_check_attributes(p, node, attrs);
	if (ret == 0)
		ret = sv_xml_check_no_children(p, node);
	if (ret == 0)
		ret = sv_xml_attr_dup(p, node, "dev", &net->target_dev);
	if (ret == 0 && !net->target_dev)
		ret = sv_xml_fail(p, node, EINVAL, "interface <target> has no dev");
	if (ret == 0)
		ret = check_ifname(p, node, "interface target dev", net->target_dev);
	return ret;
}

static int parse_net_model(struct sv_xml_parser *p, xmlNode *node)
{
	static const char *const attrs[] = { "type", NULL };
	char *type = NULL;
	int ret;

	ret = sv_xml_check_attributes(p, node, attrs);
	if (ret == 0)
		ret = sv_xml_check_no_children(p, node);
	if (ret == 0)
		ret = sv_xml_attr_dup(p, node, "type", &type);
	if (ret == 0 && type && strcmp(type, "netfront") != 0)
		ret = sv_xml_unsupported_value(p, node, "type", type,
					       "only model 'netfront' is supported");
	free(type);
	return ret;
}

static int parse_net_type(struct sv_xml_parser *p, xmlNode *node, struct sv_net_config *net)
{
	static const char *const attrs[] = { "type", NULL };
	char *type = NULL;
	int ret;

	ret = sv_xml_check_attributes(p, node, attrs);
	if (ret == 0)
		ret = sv_xml_attr_dup(p, node, "type", &type);
	if (ret < 0)
		goto out;
	if (type && strcmp(type, "bridge") == 0)
		net->type = SV_NET_BRIDGE;
	else if (type && strcmp(type, "ethernet") == 0)
		net->type = SV_NET_ETHERNET;
	else if (type && strcmp(type, "network") == 0)
		net->type = SV_NET_NETWORK;
	else
		ret = sv_xml_unsupported_value(p, node, "type", type ? type : "",
					       "supported: bridge, network, ethernet");
out:
	free(type);
	return ret;
}

/* One direction of <bandwidth>: average (KiB/s) and burst (KiB); peak and floor need a shaper. */
static int parse_net_rate(struct sv_xml_parser *p, xmlNode *node, struct sv_net_rate *rate)
{
	static const char *const attrs[] = { "average", "burst", "peak", "floor", NULL };
	static const char *const names[] = { "average", "burst" };
	uint64_t *fields[] = { &rate->average_kib, &rate->burst_kib };
	char *text = NULL;
	int ret;

	ret = sv_xml_check_attributes(p, node, attrs);
	if (ret == 0)
		ret = sv_xml_check_no_children(p, node);
	if (ret == 0 && (xmlHasProp(node, BAD_CAST "peak") || xmlHasProp(node, BAD_CAST "floor")))
		return sv_xml_fail(p, node, EOPNOTSUPP,
				   "unsupported: <%s> peak and floor (we police to average and "
				   "burst) at line %ld",
				   (const char *)node->name, sv_xml_line(node));
	for (size_t i = 0; ret == 0 && i < 2; i++) {
		ret = sv_xml_attr_dup(p, node, names[i], &text);
		if (ret == 0 && text &&
		    (sv_xml_parse_u64(text, fields[i]) < 0 || *fields[i] > (1ull << 32)))
			ret = sv_xml_fail(p, node, EINVAL, "bandwidth %s '%s' is not 0..%llu KiB%s",
					  names[i], text, 1ull << 32, i ? "" : "/s");
		free(text);
		text = NULL;
	}
	if (ret == 0 && !rate->average_kib)
		ret = sv_xml_fail(p, node, EINVAL, "<%s> needs an average in KiB/s",
				  (const char *)node->name);
	return ret;
}

static int parse_net_bandwidth(struct sv_xml_parser *p, xmlNode *node, struct sv_net_config *net)
{
	xmlNode *child;
	int ret;

	ret = sv_xml_check_attributes(p, node, (const char *const[]){ NULL });
	for (child = node->children; ret == 0 && child; child = child->next) {
		ret = sv_xml_check_node_kind(p, child);
		if (ret < 0 || child->type != XML_ELEMENT_NODE)
			continue;
		if (sv_xml_is(child, "inbound") && !net->inbound.average_kib)
			ret = parse_net_rate(p, child, &net->inbound);
		else if (sv_xml_is(child, "outbound") && !net->outbound.average_kib)
			ret = parse_net_rate(p, child, &net->outbound);
		else
			ret = sv_xml_unsupported_element(p, child);
	}
	return ret;
}

static int parse_net_script(struct sv_xml_parser *p, xmlNode *node, struct sv_domain_config *cfg,
			    struct sv_net_config *net)
{
	static const char *const attrs[] = { "path", NULL };
	int ret;

	ret = sv_xml_check_attributes(p, node, attrs);
	if (ret == 0)
		ret = sv_xml_check_no_children(p, node);
	if (ret == 0)
		ret = sv_xml_attr_dup(p, node, "path", &net->script);
	if (ret == 0 && (!net->script || !net->script[0] || strlen(net->script) >= PATH_MAX))
		ret = sv_xml_fail(p, node, EINVAL, "<script> needs a path of 1 to %d bytes",
				  PATH_MAX - 1);
	if (ret == 0)
		ret = sv_xml_warn(p, cfg, node,
				  "the script is not run: the switch the interface names connects "
				  "it (kept for dumpxml)");
	return ret;
}

/* Bounds hostile documents; libvirt users give one or two. */
#define SV_XML_MAX_IPS 16u

static int parse_net_ip(struct sv_xml_parser *p, xmlNode *node, struct sv_net_config *net)
{
	static const char *const attrs[] = { "address", "prefix", "family", NULL };
	struct sv_net_ip *ip, *grown;
	char *family = NULL, *prefix = NULL;
	unsigned char bytes[16];
	uint64_t value;
	int ret;

	if (net->nips >= SV_XML_MAX_IPS)
		return sv_xml_fail(p, node, E2BIG, "more than %u <ip> in one interface",
				   SV_XML_MAX_IPS);
	grown = realloc(net->ips, (net->nips + 1) * sizeof(*grown));
	if (!grown)
		return sv_xml_fail(p, node, ENOMEM, "out of memory");
	net->ips = grown;
	ip = &grown[net->nips++];
	memset(ip, 0, sizeof(*ip));
	ret = sv_xml_check_attributes(p, node, attrs);
	if (ret == 0)
		ret = sv_xml_check_no_children(p, node);
	if (ret == 0)
		ret = sv_xml_attr_dup(p, node, "address", &ip->address);
	if (ret == 0)
		ret = sv_xml_attr_dup(p, node, "family", &family);
	if (ret == 0)
		ret = sv_xml_attr_dup(p, node, "prefix", &prefix);
	if (ret < 0)
		goto out;
	if (!ip->address) {
		ret = sv_xml_fail(p, node, EINVAL, "<ip> has no address");
		goto out;
	}
	ip->ipv6 = strchr(ip->address, ':') != NULL;
	if (family && strcmp(family, ip->ipv6 ? "ipv6" : "ipv4") != 0) {
		ret = sv_xml_fail(p, node, EINVAL, "ip address '%s' is not of family '%s'",
				  ip->address, family);
		goto out;
	}
	if (inet_pton(ip->ipv6 ? AF_INET6 : AF_INET, ip->address, bytes) != 1) {
		ret = sv_xml_fail(p, node, EINVAL, "ip address '%s' is not an IPv%c address",
				  ip->address, ip->ipv6 ? '6' : '4');
		goto out;
	}
	if (prefix) {
		if (sv_xml_parse_u64(prefix, &value) < 0 || value > (ip->ipv6 ? 128u : 32u)) {
			ret = sv_xml_fail(p, node, EINVAL, "ip prefix '%s' is not 0..%u", prefix,
					  ip->ipv6 ? 128u : 32u);
			goto out;
		}
		ip->prefix = (unsigned int)value;
		ip->has_prefix = true;
	}
out:
	free(family);
	free(prefix);
	return ret;
}

static int parse_interface(struct sv_xml_parser *p, xmlNode *node, struct sv_domain_config *cfg)
{
	xmlNode *child, *mac = NULL, *model = NULL, *bandwidth = NULL;
	struct sv_net_config *net;
	size_t i;
	int ret = 0;

	net = append_slot(p, node, (void **)&cfg->nets, &cfg->nnets, sizeof(*net), &ret);
	if (!net)
		return ret;
	ret = parse_net_type(p, node, net);
	if (ret < 0)
		return ret;
	for (child = node->children; child; child = child->next) {
		ret = sv_xml_check_node_kind(p, child);
		if (ret < 0)
			return ret;
		if (child->type != XML_ELEMENT_NODE)
			continue;
		if (sv_xml_is(child, "mac") && !mac) {
			mac = child;
			ret = parse_net_mac(p, child, net);
		} else if (sv_xml_is(child, "source") && !net->bridge) {
			ret = parse_net_source(p, child, net);
		} else if (sv_xml_is(child, "target") && !net->target_dev) {
			ret = parse_net_target(p, child, net);
		} else if (sv_xml_is(child, "model") && !model) {
			model = child;
			ret = parse_net_model(p, child);
		} else if (sv_xml_is(child, "backenddomain") && !net->backend_domain) {
			ret = parse_backend_domain(p, child, &net->backend_domain);
		} else if (sv_xml_is(child, "bandwidth") && !bandwidth) {
			bandwidth = child;
			ret = parse_net_bandwidth(p, child, net);
		} else if (sv_xml_is(child, "script") && !net->script) {
			ret = parse_net_script(p, child, cfg, net);
		} else if (sv_xml_is(child, "ip")) {
			ret = parse_net_ip(p, child, net);
		} else {
			ret = sv_xml_unsupported_element(p, child);
		}
		if (ret < 0)
			return ret;
	}
	if (net->type == SV_NET_BRIDGE && !net->bridge)
		return sv_xml_fail(p, node, EINVAL,
				   "interface of type 'bridge' needs <source bridge='...'/>");
	if (net->type == SV_NET_NETWORK && !net->bridge)
		return sv_xml_fail(p, node, EINVAL,
				   "interface of type 'network' needs <source network='...'/>");
	if (!mac) {
		/* Xen's OUI with the top bit of the fourth byte clear, as xl and libvirt do. */
		ret = sv_random_bytes(net->mac + 3, 3);
		if (ret < 0)
			return sv_xml_fail(p, node, -ret, "cannot generate a mac address: %s",
					   strerror(-ret));
		net->mac[0] = 0x00;
		net->mac[1] = 0x16;
		net->mac[2] = 0x3e;
		net->mac[3] &= 0x7f;
	}
	for (i = 0; i + 1 < cfg->nnets; i++) {
		char text[18];

		if (memcmp(cfg->nets[i].mac, net->mac, SV_MAC_LEN) != 0)
			continue;
		util_mac_format(net->mac, text);
		return sv_xml_fail(p, mac ? mac : node, EEXIST,
				   "duplicate mac address %s at line %ld", text,
				   sv_xml_line(mac ? mac : node));
	}
	return 0;
}

static int parse_console_target(struct sv_xml_parser *p, xmlNode *node,
				struct sv_console_config *console)
{
	static const char *const attrs[] = { "type", "port", NULL };
	char *type = NULL, *port = NULL;
	uint64_t value;
	int ret;

	ret = sv_xml_check_attributes(p, node, attrs);
	if (ret == 0)
		ret = sv_xml_check_no_children(p, node);
	if (ret == 0)
		ret = sv_xml_attr_dup(p, node, "type", &type);
	if (ret == 0)
		ret = sv_xml_attr_dup(p, node, "port", &port);
	if (ret < 0)
		goto out;
	if (type && strcmp(type, "xen") != 0) {
		ret = sv_xml_unsupported_value(p, node, "type", type,
					       "only the Xen PV console, type 'xen'");
		goto out;
	}
	if (port && (sv_xml_parse_u64(port, &value) < 0 || value > 255)) {
		ret = sv_xml_fail(p, node, EINVAL, "console port '%s' is not 0 to 255", port);
		goto out;
	}
	console->port = port ? (unsigned int)value : 0;
out:
	free(type);
	free(port);
	return ret;
}

static int parse_console(struct sv_xml_parser *p, xmlNode *node, struct sv_domain_config *cfg)
{
	static const char *const attrs[] = { "type", NULL };
	struct sv_console_config *console;
	xmlNode *child, *target = NULL;
	char *type = NULL;
	size_t i;
	int ret = 0;

	console = append_slot(p, node, (void **)&cfg->consoles, &cfg->nconsoles, sizeof(*console),
			      &ret);
	if (!console)
		return ret;
	ret = sv_xml_check_attributes(p, node, attrs);
	if (ret == 0)
		ret = sv_xml_attr_dup(p, node, "type", &type);
	if (ret < 0)
		goto out;
	if (!type || strcmp(type, "pty") != 0) {
		ret = sv_xml_unsupported_value(p, node, "type", type ? type : "",
					       "only type 'pty' is supported");
		goto out;
	}
	for (child = node->children; child; child = child->next) {
		ret = sv_xml_check_node_kind(p, child);
		if (ret < 0)
			goto out;
		if (child->type != XML_ELEMENT_NODE)
			continue;
		if (sv_xml_is(child, "target") && !target) {
			target = child;
			ret = parse_console_target(p, child, console);
		} else {
			ret = sv_xml_unsupported_element(p, child);
		}
		if (ret < 0)
			goto out;
	}
	for (i = 0; i + 1 < cfg->nconsoles; i++) {
		if (cfg->consoles[i].port == console->port) {
			ret = sv_xml_fail(p, node, EEXIST, "duplicate console port %u at line %ld",
					  console->port, sv_xml_line(node));
			goto out;
		}
	}
out:
	free(type);
	return ret;
}

int sv_xml_parse_devices(struct sv_xml_parser *p, xmlNode *devices, struct sv_domain_config *cfg)
{
	xmlNode *child;
	int ret;

	ret = sv_xml_check_attributes(p, devices, no_attributes);
	if (ret < 0)
		return ret;
	for (child = devices->children; child; child = child->next) {
		ret = sv_xml_check_node_kind(p, child);
		if (ret < 0)
			return ret;
		if (child->type != XML_ELEMENT_NODE)
			continue;
		if (sv_xml_is(child, "disk"))
			ret = parse_disk(p, child, cfg);
		else if (sv_xml_is(child, "interface"))
			ret = parse_interface(p, child, cfg);
		else if (sv_xml_is(child, "console"))
			ret = parse_console(p, child, cfg);
		else if (sv_xml_is(child, "controller"))
			ret = sv_xml_parse_controller(p, child, cfg);
		else
			ret = sv_xml_parse_presentation(p, child, cfg);
		if (ret < 0)
			return ret;
	}
	return 0;
}
