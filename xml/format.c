/* SPDX-License-Identifier: MIT */
/*
 * struct sv_domain_config back to libvirt domain XML. The document is built with libxml2's
 * tree API so that escaping is libxml2's job, and the output validates against domain.rng.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlsave.h>

#include "sv_xml.h"
#include "util.h"
#include "xml_internal.h"

static const char *const action_names[] = {
	[SV_ACTION_DESTROY] = "destroy",
	[SV_ACTION_RESTART] = "restart",
	[SV_ACTION_PRESERVE] = "preserve",
};

static const char *const os_type_names[] = {
	[SV_OS_XEN] = "xen",
	[SV_OS_LINUX] = "linux",
	[SV_OS_XENPVH] = "xenpvh",
	[SV_OS_EXE] = "exe",
};

#define X(s) ((const xmlChar *)(s))

/* Each helper returns the new node or NULL on allocation failure (or a bad enum). */
static xmlNode *add_text(xmlNode *parent, const char *name, const char *text)
{
	return xmlNewTextChild(parent, NULL, X(name), X(text));
}

static xmlNode *add_empty(xmlNode *parent, const char *name)
{
	return xmlNewChild(parent, NULL, X(name), NULL);
}

static bool set_prop(xmlNode *node, const char *name, const char *value)
{
	return node && xmlNewProp(node, X(name), X(value)) != NULL;
}

static bool add_size(xmlNode *parent, const char *name, uint64_t kib)
{
	char text[24];

	snprintf(text, sizeof(text), "%" PRIu64, kib);
	return set_prop(add_text(parent, name, text), "unit", "KiB");
}

static bool add_action(xmlNode *parent, const char *name, enum sv_lifecycle_action action)
{
	if ((unsigned int)action >= sizeof(action_names) / sizeof(action_names[0]))
		return false;
	return add_text(parent, name, action_names[action]) != NULL;
}

static bool add_backend_domain(xmlNode *parent, const char *name)
{
	return !name || set_prop(add_empty(parent, "backenddomain"), "name", name);
}

static bool add_disk(xmlNode *devices, const struct sv_disk_config *disk)
{
	xmlNode *node = add_empty(devices, "disk"), *driver;
	bool file = disk->type == SV_DISK_FILE;

	if (!set_prop(node, "type", file ? "file" : "block") ||
	    !set_prop(node, "device", disk->device == SV_DISK_DEVICE_CDROM ? "cdrom" : "disk"))
		return false;
	if (disk->driver_name || disk->driver_type || disk->driver_cache) {
		driver = add_empty(node, "driver");
		if (!driver ||
		    (disk->driver_name && !set_prop(driver, "name", disk->driver_name)) ||
		    (disk->driver_type && !set_prop(driver, "type", disk->driver_type)) ||
		    (disk->driver_cache && !set_prop(driver, "cache", disk->driver_cache)))
			return false;
	}
	if (disk->source &&
	    !set_prop(add_empty(node, "source"), file ? "file" : "dev", disk->source))
		return false;
	if (!disk->target_dev)
		return false;
	if (!set_prop(add_empty(node, "target"), "dev", disk->target_dev) ||
	    !set_prop(node->last, "bus", "xen"))
		return false;
	if (disk->readonly && !add_empty(node, "readonly"))
		return false;
	return add_backend_domain(node, disk->backend_domain);
}

static bool add_rate(xmlNode *bw, const char *name, const struct sv_net_rate *rate)
{
	char text[24];
	xmlNode *node;

	if (!rate->average_kib)
		return true;
	node = add_empty(bw, name);
	snprintf(text, sizeof(text), "%llu", (unsigned long long)rate->average_kib);
	if (!set_prop(node, "average", text))
		return false;
	snprintf(text, sizeof(text), "%llu", (unsigned long long)rate->burst_kib);
	return !rate->burst_kib || set_prop(node, "burst", text);
}

static bool add_ips(xmlNode *node, const struct sv_net_config *net)
{
	xmlNode *ip;
	char text[8];
	size_t i;

	for (i = 0; i < net->nips; i++) {
		ip = add_empty(node, "ip");
		if (!set_prop(ip, "address", net->ips[i].address) ||
		    !set_prop(ip, "family", net->ips[i].ipv6 ? "ipv6" : "ipv4"))
			return false;
		snprintf(text, sizeof(text), "%u", net->ips[i].prefix);
		if (net->ips[i].has_prefix && !set_prop(ip, "prefix", text))
			return false;
	}
	return true;
}

static bool add_interface(xmlNode *devices, const struct sv_net_config *net)
{
	xmlNode *node = add_empty(devices, "interface");
	static const char *const types[] = { [SV_NET_BRIDGE] = "bridge",
					     [SV_NET_ETHERNET] = "ethernet",
					     [SV_NET_NETWORK] = "network" };
	char mac[18];

	util_mac_format(net->mac, mac);
	if (!set_prop(node, "type", types[net->type]) ||
	    !set_prop(add_empty(node, "mac"), "address", mac))
		return false;
	if (net->bridge && !set_prop(add_empty(node, "source"), types[net->type], net->bridge))
		return false;
	if (!add_ips(node, net))
		return false;
	if (net->script && !set_prop(add_empty(node, "script"), "path", net->script))
		return false;
	if (net->target_dev && !set_prop(add_empty(node, "target"), "dev", net->target_dev))
		return false;
	if (!set_prop(add_empty(node, "model"), "type", "netfront"))
		return false;
	if (net->inbound.average_kib || net->outbound.average_kib) {
		xmlNode *bw = add_empty(node, "bandwidth");

		if (!bw || !add_rate(bw, "inbound", &net->inbound) ||
		    !add_rate(bw, "outbound", &net->outbound))
			return false;
	}
	return add_backend_domain(node, net->backend_domain);
}

static bool add_console(xmlNode *devices, const struct sv_console_config *console)
{
	xmlNode *node = add_empty(devices, "console"), *target;
	char port[16];

	snprintf(port, sizeof(port), "%u", console->port);
	if (!set_prop(node, "type", "pty"))
		return false;
	target = add_empty(node, "target");
	return set_prop(target, "type", "xen") && set_prop(target, "port", port);
}

/* A kept element back into the document: it was checked and serialized by the parser. */
static bool add_kept(xmlNode *parent, const char *xml)
{
	xmlDocPtr doc;
	xmlNode *copy = NULL;

	doc = xmlReadMemory(xml, (int)strlen(xml), "kept.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc && xmlDocGetRootElement(doc))
		copy = xmlDocCopyNode(xmlDocGetRootElement(doc), parent->doc, 1);
	xmlFreeDoc(doc);
	if (!copy)
		return false;
	if (!xmlAddChild(parent, copy)) {
		xmlFreeNode(copy);
		return false;
	}
	return true;
}

static bool add_all_kept(xmlNode *parent, const struct sv_domain_config *cfg, bool in_devices)
{
	size_t i;

	for (i = 0; i < cfg->nkept; i++) {
		if (cfg->kept[i].in_devices == in_devices && !add_kept(parent, cfg->kept[i].xml))
			return false;
	}
	return true;
}

static bool add_xenbus(xmlNode *devices, const struct sv_domain_config *cfg)
{
	xmlNode *node;
	char text[16];

	if (!cfg->has_xenbus)
		return true;
	node = add_empty(devices, "controller");
	if (!set_prop(node, "type", "xenbus") || !set_prop(node, "index", "0"))
		return false;
	snprintf(text, sizeof(text), "%u", cfg->max_grant_frames);
	if (cfg->max_grant_frames && !set_prop(node, "maxGrantFrames", text))
		return false;
	snprintf(text, sizeof(text), "%u", cfg->max_event_channels);
	return !cfg->max_event_channels || set_prop(node, "maxEventChannels", text);
}

static bool add_os(xmlNode *root, const struct sv_domain_config *cfg)
{
	xmlNode *os = add_empty(root, "os"), *type;

	if (!os || (unsigned int)cfg->os_type >= sizeof(os_type_names) / sizeof(os_type_names[0]))
		return false;
	type = add_text(os, "type", os_type_names[cfg->os_type]);
	if (!set_prop(type, "arch", "x86_64") ||
	    (cfg->machine && !set_prop(type, "machine", cfg->machine)))
		return false;
	/* A driver domain (exe) runs svdd: no kernel, and libvirt's <init> is left out. */
	if (cfg->os_type == SV_OS_EXE)
		return !cfg->kernel;
	if (cfg->kernel ? !add_text(os, "kernel", cfg->kernel) : !cfg->bootloader)
		return false;
	if (cfg->initrd && !add_text(os, "initrd", cfg->initrd))
		return false;
	return !cfg->cmdline || add_text(os, "cmdline", cfg->cmdline);
}

static bool build(xmlNode *root, const struct sv_domain_config *cfg)
{
	xmlNode *devices;
	char text[24];
	size_t i;

	if (!cfg->name || !set_prop(root, "type", "xen"))
		return false;
	if (cfg->domid >= 0) {
		snprintf(text, sizeof(text), "%d", cfg->domid);
		if (!set_prop(root, "id", text))
			return false;
	}
	if (!add_text(root, "name", cfg->name) || !add_text(root, "uuid", cfg->uuid_str))
		return false;
	if (cfg->title && !add_text(root, "title", cfg->title))
		return false;
	if (cfg->description && !add_text(root, "description", cfg->description))
		return false;
	if (!add_size(root, "memory", cfg->memory_kib) ||
	    !add_size(root, "currentMemory", cfg->current_memory_kib))
		return false;
	snprintf(text, sizeof(text), "%u", cfg->vcpus);
	if (!set_prop(add_text(root, "vcpu", text), "placement", "static"))
		return false;
	if (cfg->current_vcpus != cfg->vcpus) {
		snprintf(text, sizeof(text), "%u", cfg->current_vcpus);
		if (!set_prop(root->last, "current", text))
			return false;
	}
	if ((cfg->bootloader && !add_text(root, "bootloader", cfg->bootloader)) ||
	    (cfg->bootloader_args && !add_text(root, "bootloader_args", cfg->bootloader_args)))
		return false;
	if (!add_os(root, cfg) || !add_all_kept(root, cfg, false))
		return false;
	if (cfg->has_clock &&
	    !set_prop(add_empty(root, "clock"), "offset",
		      cfg->clock_offset == SV_CLOCK_LOCALTIME ? "localtime" : "utc"))
		return false;
	if (!add_action(root, "on_poweroff", cfg->on_poweroff) ||
	    !add_action(root, "on_reboot", cfg->on_reboot) ||
	    !add_action(root, "on_crash", cfg->on_crash))
		return false;
	devices = add_empty(root, "devices");
	if (!devices || !add_xenbus(devices, cfg))
		return false;
	for (i = 0; i < cfg->ndisks; i++) {
		if (!add_disk(devices, &cfg->disks[i]))
			return false;
	}
	for (i = 0; i < cfg->nnets; i++) {
		if (!add_interface(devices, &cfg->nets[i]))
			return false;
	}
	for (i = 0; i < cfg->nconsoles; i++) {
		if (!add_console(devices, &cfg->consoles[i]))
			return false;
	}
	return add_all_kept(devices, cfg, true);
}

int sv_xml_format(const struct sv_domain_config *cfg, char **out)
{
	xmlBufferPtr buffer = NULL;
	xmlSaveCtxtPtr save = NULL;
	xmlDocPtr doc = NULL;
	xmlNode *root;
	int ret = 0;

	*out = NULL;
	doc = xmlNewDoc(X("1.0"));
	root = doc ? xmlNewDocNode(doc, NULL, X("domain"), NULL) : NULL;
	if (!root) {
		ret = -ENOMEM;
		goto out;
	}
	xmlDocSetRootElement(doc, root);
	/* A config without name or kernel (but exe's) cannot come from the parser: refuse, do not guess. */
	if (!build(root, cfg)) {
		ret = cfg->name && (cfg->kernel || cfg->bootloader || cfg->os_type == SV_OS_EXE)
			      ? -ENOMEM
			      : -EINVAL;
		goto out;
	}
	buffer = xmlBufferCreate();
	save = buffer ? xmlSaveToBuffer(buffer, "UTF-8", XML_SAVE_FORMAT | XML_SAVE_NO_DECL) : NULL;
	if (!save || xmlSaveDoc(save, doc) < 0) {
		ret = -ENOMEM;
		goto out;
	}
	xmlSaveClose(save);
	save = NULL;
	*out = strdup((const char *)xmlBufferContent(buffer));
	if (!*out)
		ret = -ENOMEM;
out:
	if (save)
		xmlSaveClose(save);
	xmlBufferFree(buffer);
	xmlFreeDoc(doc);
	return ret;
}
