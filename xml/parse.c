/* SPDX-License-Identifier: MIT */
/*
 * libvirt <domain> documents to struct sv_domain_config, following libvirt's conventions for
 * Xen PV guests. The schema is checked first; then every element and attribute is walked and
 * anything outside the supported set is refused by name and line, so nothing a user wrote is
 * silently dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include <splitvisor/limits.h>

#include "sv_xml.h"
#include "xml_internal.h"

/* Far above any real domain document; keeps a stray multi-GiB file from being slurped. */
#define SV_XML_MAX_FILE_SIZE (16u << 20)

static const char *const no_attributes[] = { NULL };

/* Prints a KiB figure the way a user most likely wrote it. */
static void format_size(uint64_t kib, char *buf, size_t len)
{
	if (kib % 1024 == 0)
		snprintf(buf, len, "%llu MiB", (unsigned long long)(kib / 1024));
	else
		snprintf(buf, len, "%llu KiB", (unsigned long long)kib);
}

static int parse_memory_element(struct sv_xml_parser *p, xmlNode *node, uint64_t *kib)
{
	static const char *const attrs[] = { "unit", NULL };
	char *unit = NULL, *text = NULL, size[32];
	int ret;

	ret = sv_xml_check_attributes(p, node, attrs);
	if (ret < 0)
		goto out;
	ret = sv_xml_attr_dup(p, node, "unit", &unit);
	if (ret < 0)
		goto out;
	ret = sv_xml_text_dup(p, node, &text);
	if (ret < 0)
		goto out;
	ret = sv_xml_scale_to_kib(text, unit, kib);
	if (ret == -ERANGE) {
		sv_xml_fail(p, node, ERANGE, "<%s> %s %s overflows: more than 2^64 bytes",
			    (const char *)node->name, text, unit ? unit : "KiB");
	} else if (ret < 0) {
		sv_xml_fail(p, node, EINVAL, "<%s> '%s' with unit '%s' is not a valid size",
			    (const char *)node->name, text, unit ? unit : "KiB");
	} else if (*kib < (uint64_t)SV_MIN_MEMORY_MIB * 1024) {
		format_size(*kib, size, sizeof(size));
		ret = sv_xml_fail(p, node, ERANGE, "%s %s is below the minimum of %u MiB",
				  (const char *)node->name, size, SV_MIN_MEMORY_MIB);
	}
out:
	free(unit);
	free(text);
	return ret;
}

/* MemTotal in KiB, 0 when /proc/meminfo cannot tell. */
static uint64_t host_memory_kib(void)
{
	unsigned long long kib = 0;
	char line[256];
	FILE *f;

	f = fopen("/proc/meminfo", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemTotal: %llu kB", &kib) == 1)
			break;
	}
	fclose(f);
	return kib;
}

static int check_memory(struct sv_xml_parser *p, const xmlNode *memory, const xmlNode *current,
			const struct sv_domain_config *cfg)
{
	uint64_t limit_kib = (uint64_t)SV_MAX_MEMORY_MIB * 1024, host_kib = host_memory_kib();
	const char *why = "the Splitvisor limit for its own kernels";
	char size[32], limit[32];

	if (cfg->os_type == SV_OS_XENPVH) {
		limit_kib = (uint64_t)SV_MAX_PVH_MEMORY_MIB * 1024;
		why = "the Splitvisor limit";
	}

	if (host_kib && host_kib < limit_kib) {
		limit_kib = host_kib;
		why = "the host's MemTotal";
	}
	if (cfg->memory_kib > limit_kib) {
		format_size(cfg->memory_kib, size, sizeof(size));
		format_size(limit_kib, limit, sizeof(limit));
		return sv_xml_fail(p, memory, ERANGE, "memory %s is above the maximum of %s (%s)",
				   size, limit, why);
	}
	if (cfg->current_memory_kib > cfg->memory_kib) {
		format_size(cfg->current_memory_kib, size, sizeof(size));
		format_size(cfg->memory_kib, limit, sizeof(limit));
		return sv_xml_fail(p, current, EINVAL, "currentMemory %s is above memory %s", size,
				   limit);
	}
	return 0;
}

static int parse_count(struct sv_xml_parser *p, xmlNode *node, const char *what, const char *text,
		       unsigned int *out)
{
	uint64_t value;

	if (sv_xml_parse_u64(text, &value) < 0 || value > UINT_MAX)
		return sv_xml_fail(p, node, EINVAL, "%s '%s' is not a valid count", what, text);
	if (value == 0)
		return sv_xml_fail(p, node, EINVAL, "%s is 0; a domain needs at least 1 vCPU",
				   what);
	if (value > SV_MAX_VCPUS)
		return sv_xml_fail(p, node, ERANGE, "%s %llu is above the maximum of %u", what,
				   (unsigned long long)value, SV_MAX_VCPUS);
	*out = (unsigned int)value;
	return 0;
}

static int parse_vcpu(struct sv_xml_parser *p, xmlNode *node, struct sv_domain_config *cfg)
{
	static const char *const attrs[] = { "placement", "current", NULL };
	char *placement = NULL, *current = NULL, *text = NULL;
	int ret;

	ret = sv_xml_check_attributes(p, node, attrs);
	if (ret < 0)
		goto out;
	ret = sv_xml_attr_dup(p, node, "placement", &placement);
	if (ret < 0)
		goto out;
	/* Static placement is what every vCPU thread gets; automatic NUMA placement is not. */
	if (placement && strcmp(placement, "static") != 0) {
		ret = sv_xml_unsupported_value(p, node, "placement", placement,
					       "only 'static' is supported");
		goto out;
	}
	ret = sv_xml_text_dup(p, node, &text);
	if (ret < 0)
		goto out;
	ret = parse_count(p, node, "vcpus", text, &cfg->vcpus);
	if (ret < 0)
		goto out;
	cfg->current_vcpus = cfg->vcpus;
	ret = sv_xml_attr_dup(p, node, "current", &current);
	if (ret < 0 || !current)
		goto out;
	ret = parse_count(p, node, "current vcpus", current, &cfg->current_vcpus);
	if (ret < 0)
		goto out;
	if (cfg->current_vcpus > cfg->vcpus)
		ret = sv_xml_fail(p, node, EINVAL, "current vcpus %u is above vcpus %u",
				  cfg->current_vcpus, cfg->vcpus);
out:
	free(placement);
	free(current);
	free(text);
	return ret;
}

static int parse_os_type(struct sv_xml_parser *p, xmlNode *node, struct sv_domain_config *cfg)
{
	static const char *const attrs[] = { "arch", "machine", NULL };
	char *arch = NULL, *text = NULL;
	const char *expected_machine;
	int ret;

	ret = sv_xml_check_attributes(p, node, attrs);
	if (ret < 0)
		goto out;
	ret = sv_xml_attr_dup(p, node, "arch", &arch);
	if (ret < 0)
		goto out;
	if (arch && strcmp(arch, "x86_64") != 0) {
		ret = sv_xml_unsupported_value(p, node, "arch", arch,
					       "Splitvisor runs x86_64 guests only");
		goto out;
	}
	ret = sv_xml_text_dup(p, node, &text);
	if (ret < 0)
		goto out;
	if (strcmp(text, "xen") == 0) {
		cfg->os_type = SV_OS_XEN;
		expected_machine = "xenpv";
	} else if (strcmp(text, "linux") == 0) {
		cfg->os_type = SV_OS_LINUX;
		expected_machine = "xenpv";
	} else if (strcmp(text, "xenpvh") == 0) {
		cfg->os_type = SV_OS_XENPVH;
		expected_machine = "xenpvh";
	} else if (strcmp(text, "exe") == 0) {
		/* libvirt's process domain: here a driver domain, the host process svdd. */
		cfg->os_type = SV_OS_EXE;
		expected_machine = NULL;
	} else if (strcmp(text, "hvm") == 0) {
		ret = sv_xml_unsupported_value(p, node, "os type", text,
					       "HVM guests are not supported: Splitvisor runs PV "
					       "(xen, linux) and PVH (xenpvh) guests");
		goto out;
	} else {
		ret = sv_xml_unsupported_value(p, node, "os type", text,
					       "supported: xen, linux, xenpvh, exe");
		goto out;
	}
	ret = sv_xml_attr_dup(p, node, "machine", &cfg->machine);
	if (ret < 0)
		goto out;
	if (cfg->machine && !expected_machine)
		ret = sv_xml_fail(p, node, EINVAL, "os type 'exe' takes no machine, not '%s'",
				  cfg->machine);
	else if (cfg->machine && strcmp(cfg->machine, expected_machine) != 0)
		ret = sv_xml_fail(p, node, EINVAL, "os type '%s' needs machine '%s', not '%s'",
				  text, expected_machine, cfg->machine);
out:
	free(arch);
	free(text);
	return ret;
}

static bool is_init_element(const xmlNode *node)
{
	static const char *const names[] = { "init",	"initarg",  "initenv",
					     "initdir", "inituser", "initgroup" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (sv_xml_is(node, names[i]))
			return true;
	return false;
}

/*
 * Files are checked at start, not here: as with libvirt, a document may be defined before its
 * kernel or disks exist (sv_xml_check_files).
 */
static int parse_os(struct sv_xml_parser *p, xmlNode *os, struct sv_domain_config *cfg)
{
	xmlNode *child, *kernel = NULL, *initrd = NULL;
	bool have_type = false;
	int ret;

	ret = sv_xml_check_attributes(p, os, no_attributes);
	if (ret < 0)
		return ret;
	for (child = os->children; child; child = child->next) {
		ret = sv_xml_check_node_kind(p, child);
		if (ret < 0)
			return ret;
		if (child->type != XML_ELEMENT_NODE)
			continue;
		if (sv_xml_is(child, "type") && !have_type) {
			ret = parse_os_type(p, child, cfg);
			have_type = true;
		} else if (sv_xml_is(child, "kernel") && !cfg->kernel) {
			ret = sv_xml_check_attributes(p, child, no_attributes);
			if (ret == 0)
				ret = sv_xml_text_dup(p, child, &cfg->kernel);
			kernel = child;
		} else if (sv_xml_is(child, "initrd") && !cfg->initrd) {
			ret = sv_xml_check_attributes(p, child, no_attributes);
			if (ret == 0)
				ret = sv_xml_text_dup(p, child, &cfg->initrd);
			initrd = child;
		} else if (sv_xml_is(child, "cmdline") && !cfg->cmdline) {
			ret = sv_xml_check_attributes(p, child, no_attributes);
			if (ret == 0)
				ret = sv_xml_text_dup(p, child, &cfg->cmdline);
			if (ret == 0 && strlen(cfg->cmdline) >= SV_MAX_CMDLINE)
				ret = sv_xml_fail(p, child, E2BIG,
						  "cmdline is %zu bytes long, the maximum is %u",
						  strlen(cfg->cmdline), SV_MAX_CMDLINE - 1);
		} else if (is_init_element(child)) {
			/* libvirt's process domains run <init>; ours always run svdd. */
			ret = sv_xml_fail(
				p, child, EOPNOTSUPP,
				"unsupported: <os>/<%s> at line %ld: a driver domain runs "
				"svdd, Splitvisor's own program, with no arguments or "
				"environment of the document's; remove <%s>",
				(const char *)child->name, sv_xml_line(child),
				(const char *)child->name);
		} else {
			ret = sv_xml_unsupported_element(p, child);
		}
		if (ret < 0)
			return ret;
	}
	if (!have_type)
		return sv_xml_fail(p, os, EINVAL, "<os> has no <type>");
	if (cfg->os_type == SV_OS_EXE) {
		if (kernel || initrd || cfg->cmdline)
			return sv_xml_fail(p, kernel ? kernel : os, EINVAL,
					   "a driver domain (<os><type>exe</type>) runs svdd: it "
					   "takes no <kernel>, <initrd> or <cmdline>");
		return 0;
	}
	/* Without <kernel>, parse_domain wants a <bootloader> (it may follow <os>). */
	if ((kernel && !cfg->kernel[0]) || (initrd && !cfg->initrd[0]))
		return sv_xml_fail(p, kernel && !cfg->kernel[0] ? kernel : initrd, EINVAL,
				   "<%s> is empty",
				   kernel && !cfg->kernel[0] ? "kernel" : "initrd");
	return 0;
}

static int parse_action(struct sv_xml_parser *p, xmlNode *node, enum sv_lifecycle_action *action)
{
	char *text = NULL;
	int ret;

	ret = sv_xml_check_attributes(p, node, no_attributes);
	if (ret < 0)
		goto out;
	ret = sv_xml_text_dup(p, node, &text);
	if (ret < 0)
		goto out;
	if (strcmp(text, "destroy") == 0)
		*action = SV_ACTION_DESTROY;
	else if (strcmp(text, "restart") == 0)
		*action = SV_ACTION_RESTART;
	else if (strcmp(text, "preserve") == 0)
		*action = SV_ACTION_PRESERVE;
	else
		ret = sv_xml_unsupported_value(p, node, "action", text,
					       "supported: destroy, restart, preserve");
out:
	free(text);
	return ret;
}

static int parse_domain_attributes(struct sv_xml_parser *p, xmlNode *root,
				   struct sv_domain_config *cfg)
{
	static const char *const attrs[] = { "type", "id", NULL };
	char *type = NULL, *id = NULL;
	uint64_t domid;
	int ret;

	ret = sv_xml_check_attributes(p, root, attrs);
	if (ret < 0)
		goto out;
	ret = sv_xml_attr_dup(p, root, "type", &type);
	if (ret < 0)
		goto out;
	if (!type || strcmp(type, "xen") != 0) {
		ret = sv_xml_unsupported_value(p, root, "type", type ? type : "",
					       "Splitvisor runs only <domain type='xen'>");
		goto out;
	}
	ret = sv_xml_attr_dup(p, root, "id", &id);
	if (ret < 0 || !id)
		goto out;
	/* Xen reserves ids from 0x7ff0 (DOMID_FIRST_RESERVED) up. */
	if (sv_xml_parse_u64(id, &domid) < 0 || domid >= 0x7ff0) {
		ret = sv_xml_fail(p, root, ERANGE, "domain id '%s' is out of range (0-32751)", id);
		goto out;
	}
	cfg->domid = (int)domid;
out:
	free(type);
	free(id);
	return ret;
}

static int parse_uuid(struct sv_xml_parser *p, xmlNode *node, struct sv_domain_config *cfg)
{
	char *text = NULL;
	int ret;

	ret = sv_xml_check_attributes(p, node, no_attributes);
	if (ret == 0)
		ret = sv_xml_text_dup(p, node, &text);
	if (ret == 0 && sv_uuid_parse(text, cfg->uuid) < 0)
		ret = sv_xml_fail(p, node, EINVAL, "uuid '%s' is not 32 hex digits", text);
	free(text);
	return ret;
}

static int parse_text_child(struct sv_xml_parser *p, xmlNode *node, char **out)
{
	int ret;

	ret = sv_xml_check_attributes(p, node, no_attributes);
	if (ret < 0)
		return ret;
	return sv_xml_text_dup(p, node, out);
}

/* pygrub by any path, or empty: our own reader of the first disk's GRUB menu. */
static int parse_bootloader(struct sv_xml_parser *p, xmlNode *node, struct sv_domain_config *cfg)
{
	const char *base;
	int ret;

	ret = parse_text_child(p, node, &cfg->bootloader);
	if (ret < 0)
		return ret;
	base = strrchr(cfg->bootloader, '/');
	base = base ? base + 1 : cfg->bootloader;
	if (cfg->bootloader[0] && strcmp(base, "pygrub"))
		return sv_xml_unsupported_value(p, node, "program", cfg->bootloader,
						"supported: pygrub (Splitvisor's own reader of "
						"the first disk's GRUB menu) or empty");
	return 0;
}

/* A driver domain serves other domains' devices and has none of its own. */
static int check_driver_domain(struct sv_xml_parser *p, const xmlNode *devices,
			       const struct sv_domain_config *cfg)
{
	const char *what = cfg->ndisks	    ? "disks"
			   : cfg->nnets	    ? "interfaces"
			   : cfg->nconsoles ? "consoles"
					    : NULL;

	if (!what)
		return 0;
	return sv_xml_fail(p, devices, EINVAL,
			   "driver domain %s has %s: a driver domain (<os><type>exe</type>) has "
			   "no devices of its own; guests name it in <backenddomain name='%s'/>",
			   cfg->name, what, cfg->name);
}

static int parse_domain(struct sv_xml_parser *p, xmlNode *root, struct sv_domain_config *cfg)
{
	xmlNode *child, *name = NULL, *memory = NULL, *current = NULL, *os = NULL, *vcpu = NULL;
	xmlNode *devices = NULL, *features = NULL;
	bool have_uuid = false, have_on_crash = false;
	int ret;

	if (!sv_xml_is(root, "domain"))
		return sv_xml_fail(p, root, EINVAL, "root element is <%s>, expected <domain>",
				   (const char *)root->name);
	ret = parse_domain_attributes(p, root, cfg);
	if (ret < 0)
		return ret;

	cfg->vcpus = 1;
	cfg->current_vcpus = 1;
	cfg->on_poweroff = SV_ACTION_DESTROY;
	cfg->on_reboot = SV_ACTION_RESTART;
	cfg->on_crash = SV_ACTION_DESTROY;

	/* The schema allows each of these once; the checks on repeats are for robustness. */
	for (child = root->children; child; child = child->next) {
		ret = sv_xml_check_node_kind(p, child);
		if (ret < 0)
			return ret;
		if (child->type != XML_ELEMENT_NODE)
			continue;
		if (sv_xml_is(child, "name") && !name) {
			name = child;
			ret = parse_text_child(p, child, &cfg->name);
			if (ret == 0)
				ret = sv_xml_check_domain_name(p, child, "name", cfg->name);
		} else if (sv_xml_is(child, "uuid") && !have_uuid) {
			have_uuid = true;
			ret = parse_uuid(p, child, cfg);
		} else if (sv_xml_is(child, "title") && !cfg->title) {
			ret = parse_text_child(p, child, &cfg->title);
		} else if (sv_xml_is(child, "description") && !cfg->description) {
			ret = parse_text_child(p, child, &cfg->description);
		} else if (sv_xml_is(child, "memory") && !memory) {
			memory = child;
			ret = parse_memory_element(p, child, &cfg->memory_kib);
		} else if (sv_xml_is(child, "currentMemory") && !current) {
			current = child;
			ret = parse_memory_element(p, child, &cfg->current_memory_kib);
		} else if (sv_xml_is(child, "vcpu") && !vcpu) {
			vcpu = child;
			ret = parse_vcpu(p, child, cfg);
		} else if (sv_xml_is(child, "clock") && !cfg->has_clock) {
			ret = sv_xml_parse_clock(p, child, cfg);
		} else if (sv_xml_is(child, "features") && !features) {
			features = child;
			ret = sv_xml_parse_features(p, child, cfg);
		} else if (sv_xml_is(child, "os") && !os) {
			os = child;
			ret = parse_os(p, child, cfg);
		} else if (sv_xml_is(child, "bootloader") && !cfg->bootloader) {
			ret = parse_bootloader(p, child, cfg);
		} else if (sv_xml_is(child, "bootloader_args") && !cfg->bootloader_args) {
			ret = parse_text_child(p, child, &cfg->bootloader_args);
		} else if (sv_xml_is(child, "on_poweroff")) {
			ret = parse_action(p, child, &cfg->on_poweroff);
		} else if (sv_xml_is(child, "on_reboot")) {
			ret = parse_action(p, child, &cfg->on_reboot);
		} else if (sv_xml_is(child, "on_crash")) {
			have_on_crash = true;
			ret = parse_action(p, child, &cfg->on_crash);
		} else if (sv_xml_is(child, "devices")) {
			devices = child;
			ret = sv_xml_parse_devices(p, child, cfg);
		} else {
			ret = sv_xml_refuse_domain_child(p, child);
		}
		if (ret < 0)
			return ret;
	}
	if (!name)
		return sv_xml_fail(p, root, EINVAL, "<domain> has no <name>");
	if (!memory)
		return sv_xml_fail(p, root, EINVAL, "<domain> has no <memory>");
	if (!os && !cfg->bootloader)
		return sv_xml_fail(p, root, EINVAL,
				   "<domain> has no <os>: Splitvisor boots a kernel directly");
	if (!cfg->kernel && cfg->os_type != SV_OS_EXE && !cfg->bootloader)
		return sv_xml_fail(
			p, os, EINVAL,
			"<os> has no <kernel> and the domain no <bootloader>: Splitvisor "
			"boots a kernel directly or through pygrub");
	if (!current)
		cfg->current_memory_kib = cfg->memory_kib;
	if (cfg->os_type == SV_OS_EXE && (cfg->bootloader || cfg->bootloader_args))
		return sv_xml_fail(p, root, EINVAL,
				   "a driver domain (<os><type>exe</type>) runs svdd: it takes no "
				   "<bootloader>");
	if (cfg->bootloader_args && !cfg->bootloader)
		return sv_xml_fail(p, root, EINVAL, "<bootloader_args> without <bootloader>");
	if (cfg->os_type == SV_OS_EXE) {
		ret = check_driver_domain(p, devices, cfg);
		if (ret < 0)
			return ret;
		/* A driver domain serves others: by default it comes back when it dies. */
		if (!have_on_crash)
			cfg->on_crash = SV_ACTION_RESTART;
	}
	ret = check_memory(p, memory, current, cfg);
	if (ret < 0)
		return ret;
	if (!have_uuid) {
		ret = sv_random_bytes(cfg->uuid, SV_UUID_LEN);
		if (ret < 0)
			return sv_xml_fail(p, root, -ret, "cannot generate a uuid: %s",
					   strerror(-ret));
		/* RFC 4122 version 4, variant 1, as libvirt generates them. */
		cfg->uuid[6] = (uint8_t)((cfg->uuid[6] & 0x0f) | 0x40);
		cfg->uuid[8] = (uint8_t)((cfg->uuid[8] & 0x3f) | 0x80);
	}
	sv_uuid_format(cfg->uuid, cfg->uuid_str);
	return 0;
}

/* Keeps libxml2's parser messages in our buffer instead of on stderr. */
static void collect_parse_error(void *data, xmlErrorPtr error)
{
	/* libxml2 hands the parser context itself to this hook; our state rides in _private. */
	struct sv_xml_parser *p = ((xmlParserCtxtPtr)data)->_private;
	char text[512];
	size_t len;

	/* Only the first error: later ones are usually knock-on effects of it. */
	if (!error || error->level < XML_ERR_ERROR || (p->err && p->err[0]))
		return;
	snprintf(text, sizeof(text), "%s", error->message ? error->message : "unknown error");
	len = strlen(text);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
		text[--len] = '\0';
	if (error->line > 0 && p->err && p->errlen)
		snprintf(p->err, p->errlen, "%s:%d: XML parse error: %s", p->source, error->line,
			 text);
	else
		sv_xml_fail(p, NULL, EINVAL, "XML parse error: %s", text);
}

/*
 * The schema's complaint about a bad value is often vague ("Extra element vcpu in
 * interleave", without a line). Our own checks usually know better, so when they find a
 * bad value (not merely an unsupported element) their message goes first, with the
 * schema's after it.
 */
static void explain_schema_failure(struct sv_xml_parser *p, xmlNode *root)
{
	struct sv_xml_parser own = { .source = p->source };
	struct sv_domain_config scratch;
	char *schema_message = NULL;
	int ret;

	if (!p->err || p->errlen == 0)
		return;
	own.errlen = 512;
	own.err = calloc(1, own.errlen);
	schema_message = strdup(p->err);
	if (!own.err || !schema_message)
		goto out;
	memset(&scratch, 0, sizeof(scratch));
	scratch.domid = SV_DOMID_NONE;
	ret = parse_domain(&own, root, &scratch);
	sv_domain_config_free(&scratch);
	if (ret == -EINVAL || ret == -ERANGE || ret == -EEXIST || ret == -ENAMETOOLONG ||
	    ret == -E2BIG)
		snprintf(p->err, p->errlen, "%s\n%s", own.err, schema_message);
out:
	free(own.err);
	free(schema_message);
}

/* libxml2's encoding layer reports some errors only through the generic handler. */
static void ignore_generic_error(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

int sv_xml_parse_memory(const char *buf, size_t len, const char *source_name,
			const char *schema_dir, struct sv_domain_config *cfg, char *err,
			size_t errlen)
{
	struct sv_xml_parser p = { .source = source_name ? source_name : "<memory>",
				   .err = err,
				   .errlen = errlen };
	xmlGenericErrorFunc saved_handler;
	xmlParserCtxtPtr ctxt = NULL;
	void *saved_handler_ctx;
	xmlDocPtr doc = NULL;
	xmlNode *root;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	cfg->domid = SV_DOMID_NONE;
	if (err && errlen)
		err[0] = '\0';
	if (len > INT_MAX)
		return sv_xml_fail(&p, NULL, EFBIG, "document is too large");

	xmlInitParser();
	/* These are per-thread in libxml2; restored below so callers' settings survive. */
	saved_handler = xmlGenericError;
	saved_handler_ctx = xmlGenericErrorContext;
	xmlSetGenericErrorFunc(NULL, ignore_generic_error);
	ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		ret = sv_xml_fail(&p, NULL, ENOMEM, "out of memory");
		goto out;
	}
	/* The SAX handler's own hook, so no process-wide libxml2 state is touched. */
	ctxt->_private = &p;
	ctxt->sax->serror = collect_parse_error;
	ctxt->sax->error = NULL;
	ctxt->sax->warning = NULL;
	ctxt->vctxt.error = NULL;
	ctxt->vctxt.warning = NULL;
	/*
	 * No entity substitution, no DTD loading, no network: libvirt documents use none of
	 * them and each is an attack surface (XXE, entity expansion).
	 */
	doc = xmlCtxtReadMemory(ctxt, buf, (int)len, p.source, NULL,
				XML_PARSE_NONET | XML_PARSE_BIG_LINES | XML_PARSE_NOWARNING |
					XML_PARSE_NOERROR);
	if (!doc || !ctxt->wellFormed) {
		if (!err || !errlen || !err[0])
			sv_xml_fail(&p, NULL, EINVAL, "XML parse error");
		ret = -EINVAL;
		goto out;
	}
	if (doc->intSubset || doc->extSubset) {
		ret = sv_xml_fail(&p, NULL, EOPNOTSUPP,
				  "unsupported: <!DOCTYPE> (libvirt domain XML has none)");
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (!root) {
		ret = sv_xml_fail(&p, NULL, EINVAL, "document has no root element");
		goto out;
	}
	ret = sv_xml_validate(doc, schema_dir, &p);
	if (ret == -EINVAL)
		explain_schema_failure(&p, root);
	if (ret < 0)
		goto out;
	ret = parse_domain(&p, root, cfg);
out:
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	xmlSetGenericErrorFunc(saved_handler_ctx, saved_handler);
	if (ret < 0)
		sv_domain_config_free(cfg);
	return ret;
}

int sv_xml_parse_file(const char *path, const char *schema_dir, struct sv_domain_config *cfg,
		      char *err, size_t errlen)
{
	struct sv_xml_parser p = { .source = path, .err = err, .errlen = errlen };
	char *buf = NULL;
	size_t used = 0;
	struct stat st;
	ssize_t n;
	int fd, ret;

	memset(cfg, 0, sizeof(*cfg));
	cfg->domid = SV_DOMID_NONE;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sv_xml_fail(&p, NULL, errno, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) < 0) {
		ret = sv_xml_fail(&p, NULL, errno, "cannot stat: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = sv_xml_fail(&p, NULL, EINVAL, "not a regular file");
		goto out;
	}
	if (st.st_size > SV_XML_MAX_FILE_SIZE) {
		ret = sv_xml_fail(&p, NULL, EFBIG, "file is larger than %u bytes",
				  SV_XML_MAX_FILE_SIZE);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		ret = sv_xml_fail(&p, NULL, ENOMEM, "out of memory");
		goto out;
	}
	while (used < (size_t)st.st_size) {
		n = read(fd, buf + used, (size_t)st.st_size - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = sv_xml_fail(&p, NULL, errno, "cannot read: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	ret = sv_xml_parse_memory(buf, used, path, schema_dir, cfg, err, errlen);
out:
	free(buf);
	close(fd);
	return ret;
}
