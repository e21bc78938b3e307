/* SPDX-License-Identifier: MIT */
/*
 * The parts of a Xen document around the devices a PV guest uses: <clock>, <features>, the
 * xenbus controller, and the elements that cannot change what a PV guest sees (graphics,
 * input, video, sound, memballoon). Those are accepted with one warning each and kept, as
 * serialized XML, so that dumpxml shows what the user wrote.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include <splitvisor/event_channel.h>
#include <splitvisor/grant_table.h>

#include "xml_internal.h"

/* Bounds hostile documents: far more than libvirt ever writes. */
#define SV_XML_MAX_KEPT	     64u
#define SV_XML_MAX_KEPT_SIZE 16384u
#define SV_XML_MAX_WARNINGS  (64u * 1024u)

int sv_xml_unsupported_because(struct sv_xml_parser *p, const xmlNode *node, const char *why)
{
	char path[256];

	sv_xml_node_path(node, path, sizeof(path));
	return sv_xml_fail(p, node, EOPNOTSUPP, "unsupported: %s at line %ld: %s", path,
			   sv_xml_line(node), why);
}

int sv_xml_warn(struct sv_xml_parser *p, struct sv_domain_config *cfg, const xmlNode *node,
		const char *why)
{
	size_t old = cfg->warnings ? strlen(cfg->warnings) : 0, len;
	char path[256], *grown;
	int n;

	sv_xml_node_path(node, path, sizeof(path));
	n = snprintf(NULL, 0, "%s:%ld: warning: %s at line %ld: %s\n", p->source, sv_xml_line(node),
		     path, sv_xml_line(node), why);
	if (n < 0)
		return sv_xml_fail(p, node, EINVAL, "cannot format a warning");
	len = (size_t)n;
	if (old + len > SV_XML_MAX_WARNINGS)
		return sv_xml_fail(p, node, E2BIG, "more than %u bytes of warnings",
				   SV_XML_MAX_WARNINGS);
	grown = realloc(cfg->warnings, old + len + 1);
	if (!grown)
		return sv_xml_fail(p, node, ENOMEM, "out of memory");
	cfg->warnings = grown;
	snprintf(grown + old, len + 1, "%s:%ld: warning: %s at line %ld: %s\n", p->source,
		 sv_xml_line(node), path, sv_xml_line(node), why);
	return 0;
}

/* Checks every node below node (no entities, XInclude, ...) before it is kept verbatim. */
static int check_subtree(struct sv_xml_parser *p, const xmlNode *node, unsigned int depth)
{
	const xmlNode *child;
	int ret;

	if (depth > 16)
		return sv_xml_fail(p, node, E2BIG, "<%s> is nested too deeply",
				   (const char *)node->name);
	for (child = node->children; child; child = child->next) {
		ret = sv_xml_check_node_kind(p, child);
		if (ret == 0 && child->type == XML_ELEMENT_NODE)
			ret = check_subtree(p, child, depth + 1);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Whitespace between elements is the writer's layout, not content: dropped so that the kept
 * text is the same however the document was indented. */
static void drop_blank_text(xmlNode *node)
{
	xmlNode *child = node->children, *next;

	for (; child; child = next) {
		next = child->next;
		if ((child->type == XML_TEXT_NODE && xmlIsBlankNode(child)) ||
		    child->type == XML_COMMENT_NODE) {
			xmlUnlinkNode(child);
			xmlFreeNode(child);
		} else if (child->type == XML_ELEMENT_NODE) {
			drop_blank_text(child);
		}
	}
}

int sv_xml_keep(struct sv_xml_parser *p, struct sv_domain_config *cfg, xmlNode *node,
		bool in_devices)
{
	struct sv_xml_kept *grown;
	xmlBufferPtr buffer = NULL;
	xmlNode *copy = NULL;
	char *text = NULL;
	int ret;

	ret = check_subtree(p, node, 0);
	if (ret < 0)
		return ret;
	if (cfg->nkept >= SV_XML_MAX_KEPT)
		return sv_xml_fail(p, node, E2BIG, "more than %u elements kept for dumpxml",
				   SV_XML_MAX_KEPT);
	copy = xmlCopyNode(node, 1);
	buffer = xmlBufferCreate();
	if (!copy || !buffer) {
		ret = sv_xml_fail(p, node, ENOMEM, "out of memory");
		goto out;
	}
	drop_blank_text(copy);
	if (xmlNodeDump(buffer, node->doc, copy, 0, 0) < 0) {
		ret = sv_xml_fail(p, node, ENOMEM, "cannot serialize <%s>",
				  (const char *)node->name);
		goto out;
	}
	if (xmlBufferLength(buffer) > (int)SV_XML_MAX_KEPT_SIZE) {
		ret = sv_xml_fail(p, node, E2BIG, "<%s> is larger than %u bytes",
				  (const char *)node->name, SV_XML_MAX_KEPT_SIZE);
		goto out;
	}
	text = strdup((const char *)xmlBufferContent(buffer));
	grown = text ? realloc(cfg->kept, (cfg->nkept + 1) * sizeof(*grown)) : NULL;
	if (!grown) {
		ret = sv_xml_fail(p, node, ENOMEM, "out of memory");
		goto out;
	}
	cfg->kept = grown;
	grown[cfg->nkept].in_devices = in_devices;
	grown[cfg->nkept].xml = text;
	cfg->nkept++;
	text = NULL;
out:
	free(text);
	xmlBufferFree(buffer);
	xmlFreeNode(copy);
	return ret;
}

int sv_xml_parse_clock(struct sv_xml_parser *p, xmlNode *node, struct sv_domain_config *cfg)
{
	static const char *const attrs[] = { "offset", "adjustment", NULL };
	xmlNode *child = sv_xml_element(node->children);
	char *offset = NULL, *adjustment = NULL;
	int ret;

	ret = sv_xml_attr_dup(p, node, "offset", &offset);
	if (ret < 0)
		return ret;
	if (!offset || strcmp(offset, "utc") == 0) {
		cfg->clock_offset = SV_CLOCK_UTC;
	} else if (strcmp(offset, "localtime") == 0) {
		cfg->clock_offset = SV_CLOCK_LOCALTIME;
	} else {
		ret = sv_xml_unsupported_value(p, node, "offset", offset,
					       "supported: utc, localtime (the guest's wall clock "
					       "starts at the host's time in UTC or in its time "
					       "zone)");
		goto out;
	}
	/* adjustment='reset' (libvirt writes it) is what happens anyway: set at each start. */
	ret = sv_xml_check_attributes(p, node, attrs);
	if (ret == 0)
		ret = sv_xml_attr_dup(p, node, "adjustment", &adjustment);
	if (ret == 0 && adjustment && strcmp(adjustment, "reset") != 0)
		ret = sv_xml_unsupported_value(p, node, "adjustment", adjustment,
					       "the wall clock is set at each start: only 'reset'");
	if (ret < 0)
		goto out;
	if (child) {
		ret = sv_xml_unsupported_because(
			p, child,
			"a PV guest's timers are the core's (the TSC and one-shot timer); only "
			"<clock offset='utc'/> or 'localtime' without timers is supported");
		goto out;
	}
	ret = sv_xml_check_no_children(p, node);
	if (ret == 0)
		cfg->has_clock = true;
out:
	free(offset);
	free(adjustment);
	return ret;
}

/* Features that only mean something to an HVM guest: a PV guest never sees them. */
static bool pv_ignores_feature(const xmlNode *node)
{
	static const char *const names[] = { "pae", "acpi", "apic", "hap", NULL };
	const char *const *name;

	for (name = names; *name; name++) {
		if (sv_xml_is(node, *name))
			return true;
	}
	return false;
}

int sv_xml_parse_features(struct sv_xml_parser *p, xmlNode *node, struct sv_domain_config *cfg)
{
	static const char *const none[] = { NULL };
	xmlNode *child;
	int ret;

	ret = sv_xml_check_attributes(p, node, none);
	for (child = node->children; ret == 0 && child; child = child->next) {
		ret = sv_xml_check_node_kind(p, child);
		if (ret < 0 || child->type != XML_ELEMENT_NODE)
			continue;
		if (!pv_ignores_feature(child))
			ret = sv_xml_unsupported_because(
				p, child,
				"this feature changes what the guest sees and Splitvisor does not "
				"implement it (accepted: pae, acpi, apic, hap, which PV ignores)");
	}
	if (ret == 0)
		ret = sv_xml_warn(p, cfg, node,
				  "pae, acpi, apic and hap only matter to HVM guests; a PV guest "
				  "ignores them (kept for dumpxml)");
	if (ret == 0)
		ret = sv_xml_keep(p, cfg, node, false);
	return ret;
}

static int parse_limit(struct sv_xml_parser *p, xmlNode *node, const char *name, uint32_t min,
		       uint32_t max, const char *what, uint32_t *out)
{
	char *text = NULL;
	uint64_t value;
	int ret;

	ret = sv_xml_attr_dup(p, node, name, &text);
	if (ret < 0 || !text)
		return ret;
	if (sv_xml_parse_u64(text, &value) < 0)
		ret = sv_xml_fail(p, node, EINVAL, "%s '%s' is not a number", name, text);
	else if (value < min || value > max)
		ret = sv_xml_fail(p, node, ERANGE,
				  "%s %llu is outside %u..%u: the core's maximum is %u %s", name,
				  (unsigned long long)value, min, max, max, what);
	else
		*out = (uint32_t)value;
	free(text);
	return ret;
}

int sv_xml_parse_controller(struct sv_xml_parser *p, xmlNode *node, struct sv_domain_config *cfg)
{
	static const char *const attrs[] = { "type", "index", "maxGrantFrames", "maxEventChannels",
					     NULL };
	char *type = NULL, *index = NULL;
	int ret;

	ret = sv_xml_attr_dup(p, node, "type", &type);
	if (ret < 0)
		goto out;
	if (!type || strcmp(type, "xenbus") != 0) {
		ret = sv_xml_unsupported_value(p, node, "type", type ? type : "",
					       "a PV guest's devices sit on xenbus: only "
					       "<controller type='xenbus'> is supported");
		goto out;
	}
	if (cfg->has_xenbus) {
		ret = sv_xml_fail(p, node, EEXIST, "a second xenbus controller at line %ld",
				  sv_xml_line(node));
		goto out;
	}
	ret = sv_xml_check_attributes(p, node, attrs);
	if (ret == 0)
		ret = sv_xml_check_no_children(p, node);
	if (ret == 0)
		ret = sv_xml_attr_dup(p, node, "index", &index);
	if (ret == 0 && index && strcmp(index, "0") != 0)
		ret = sv_xml_unsupported_value(p, node, "index", index,
					       "a domain has one xenbus, index 0");
	/* Ports 1..N are usable (0 never is); the console and xenstore take two of them. */
	if (ret == 0)
		ret = parse_limit(p, node, "maxGrantFrames", 1, SV_GNTTAB_MAX_FRAMES,
				  "grant-table frames", &cfg->max_grant_frames);
	if (ret == 0)
		ret = parse_limit(p, node, "maxEventChannels", 2, SV_EVTCHN_NR_PORTS - 1,
				  "event channels (at least 2: console and xenstore)",
				  &cfg->max_event_channels);
	if (ret == 0)
		cfg->has_xenbus = true;
out:
	free(type);
	free(index);
	return ret;
}

/* <devices> children that cannot change what a PV guest sees: accepted, warned, kept. */
int sv_xml_parse_presentation(struct sv_xml_parser *p, xmlNode *node, struct sv_domain_config *cfg)
{
	static const struct {
		const char *name, *why;
	} table[] = {
		{ "graphics", "the guest gets no display: Splitvisor has no PV framebuffer (vfb); "
			      "use the console (kept for dumpxml)" },
		{ "input", "the guest gets no PV keyboard or mouse (vkbd); use the console (kept "
			   "for dumpxml)" },
		{ "video", "a PV guest has no video card (kept for dumpxml)" },
		{ "sound", "a PV guest has no sound card (kept for dumpxml)" },
		{ "memballoon", "the guest's memory stays at currentMemory: Splitvisor does not "
				"balloon (kept for dumpxml)" },
	};
	char *model = NULL;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (sv_xml_is(node, table[i].name))
			break;
	}
	if (i == sizeof(table) / sizeof(table[0]))
		return sv_xml_refuse_device(p, node);
	if (sv_xml_is(node, "memballoon")) {
		/* Any other model is an emulated device with a driver of its own. */
		ret = sv_xml_attr_dup(p, node, "model", &model);
		if (ret == 0 && model && strcmp(model, "xen") != 0 && strcmp(model, "none") != 0)
			ret = sv_xml_unsupported_value(p, node, "model", model,
						       "a PV guest balloons through xenstore: "
						       "model 'xen' or 'none'");
		free(model);
		if (ret < 0)
			return ret;
	}
	ret = sv_xml_warn(p, cfg, node, table[i].why);
	if (ret == 0)
		ret = sv_xml_keep(p, cfg, node, true);
	return ret;
}

struct refusal {
	const char *name, *why;
};

static const char *why_refused(const struct refusal *table, const xmlNode *node,
			       const char *otherwise)
{
	for (; table->name; table++) {
		if (sv_xml_is(node, table->name))
			return table->why;
	}
	return otherwise;
}

int sv_xml_refuse_domain_child(struct sv_xml_parser *p, const xmlNode *node)
{
	static const struct refusal table[] = {
		{ "metadata", "Splitvisor stores only what it acts on; remove it" },
		{ "cpu", "the guest sees the host's CPU model and features; no CPU model or "
			 "topology is configured" },
		{ "cputune", "vCPU pinning and scheduler tuning are not implemented" },
		{ "numatune", "NUMA placement is not implemented" },
		{ "memtune", "memory limits beyond <memory> are not implemented" },
		{ "blkiotune", "block I/O tuning is not implemented (use <bandwidth> on "
			       "interfaces; disks are not throttled)" },
		{ "memoryBacking", "guest RAM is always a shared memfd; backing options are not "
				   "implemented" },
		{ "seclabel", "no security driver labels guests: each backend runs in svdom0 or "
			      "a sandboxed driver domain" },
		{ "pm", "a PV guest has no ACPI power states" },
		{ "iothreads", "backends have their own I/O threads; they are not configured" },
		{ NULL, NULL },
	};

	return sv_xml_unsupported_because(p, node,
					  why_refused(table, node,
						      "Splitvisor does not implement this element "
						      "for PV guests"));
}

int sv_xml_refuse_device(struct sv_xml_parser *p, const xmlNode *node)
{
	static const struct refusal table[] = {
		{ "emulator", "a PV guest runs with no device model" },
		{ "hostdev", "PCI and USB passthrough are not implemented" },
		{ "serial", "the PV console is the guest's only console: use <console "
			    "type='pty'><target type='xen'/>" },
		{ "parallel", "a PV guest has no parallel port" },
		{ "channel", "channels are not implemented; the PV console and xenstore carry "
			     "what a guest says" },
		{ "watchdog", "no watchdog device is emulated" },
		{ "rng", "no PV random-number device is offered" },
		{ "tpm", "no vTPM is offered" },
		{ "filesystem", "no PV 9pfs device is offered; use a disk" },
		{ "redirdev", "USB redirection is not implemented" },
		{ "smartcard", "no smartcard device is offered" },
		{ "hub", "a PV guest has no USB" },
		{ NULL, NULL },
	};

	return sv_xml_unsupported_because(p, node,
					  why_refused(table, node,
						      "a PV guest here gets disks, interfaces, "
						      "consoles and the xenbus controller"));
}
