/* SPDX-License-Identifier: MIT */
/* Shared between the files of the XML module only; not part of the public API. */
#ifndef SPLITVISOR_XML_INTERNAL_H
#define SPLITVISOR_XML_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "domain_config.h"

/* Where a parse reports its first error. */
struct sv_xml_parser {
	const char *source; /* file name or caller's label, prefixed to every message */
	char *err;
	size_t errlen;
};

/* Fills p->err with "source:LINE: message" (LINE of node at, if any); returns -errnum. */
int sv_xml_fail(struct sv_xml_parser *p, const xmlNode *at, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* "unsupported: <devices>/<video> at line N", -EOPNOTSUPP. */
int sv_xml_unsupported_element(struct sv_xml_parser *p, const xmlNode *node);
/* "unsupported: <devices>/<disk> attribute 'snapshot' at line N", -EOPNOTSUPP. */
int sv_xml_unsupported_attribute(struct sv_xml_parser *p, const xmlNode *node, const xmlAttr *attr);
/* "unsupported: <os>/<type> arch 'i686' at line N (why)", -EOPNOTSUPP. */
int sv_xml_unsupported_value(struct sv_xml_parser *p, const xmlNode *node, const char *what,
			     const char *value, const char *why);
/* Writes "<devices>/<disk>" (the path below the root element) into buf. */
void sv_xml_node_path(const xmlNode *node, char *buf, size_t len);
long sv_xml_line(const xmlNode *node);

/* Refuses any attribute of node not named in allowed (NULL-terminated). */
int sv_xml_check_attributes(struct sv_xml_parser *p, const xmlNode *node,
			    const char *const *allowed);
/* Refuses element children: for elements that only hold text or nothing. */
int sv_xml_check_no_children(struct sv_xml_parser *p, const xmlNode *node);
/* True for an element in no namespace with this name. */
bool sv_xml_is(const xmlNode *node, const char *name);
/* Next element sibling starting at node itself; NULL at the end. */
xmlNode *sv_xml_element(xmlNode *node);
/* Refuses nodes the parser has no business seeing (entity references, XInclude, ...). */
int sv_xml_check_node_kind(struct sv_xml_parser *p, const xmlNode *node);

/* Malloc'd copies of an attribute value or of an element's text; *out NULL when absent. */
int sv_xml_attr_dup(struct sv_xml_parser *p, const xmlNode *node, const char *name, char **out);
int sv_xml_text_dup(struct sv_xml_parser *p, const xmlNode *node, char **out);
/* Decimal unsigned number with optional surrounding blanks (XML Schema whitespace rule). */
int sv_xml_parse_u64(const char *text, uint64_t *out);

/* units.c: value in unit (NULL = KiB) to KiB rounded up; -EINVAL bad unit, -ERANGE overflow. */
int sv_xml_scale_to_kib(const char *value, const char *unit, uint64_t *kib);

/* validate.c: validates doc against domain.rng in schema_dir (NULL = env or default). */
int sv_xml_validate(xmlDoc *doc, const char *schema_dir, struct sv_xml_parser *p);

/* devices.c */
int sv_xml_parse_devices(struct sv_xml_parser *p, xmlNode *devices, struct sv_domain_config *cfg);

/* platform.c: <clock>, <features>, <controller type='xenbus'>, kept presentation elements. */
/* "unsupported: <devices>/<sound> at line N: why", -EOPNOTSUPP. */
int sv_xml_unsupported_because(struct sv_xml_parser *p, const xmlNode *node, const char *why);
/* Appends "source:LINE: warning: <path> at line N: why" to cfg->warnings. */
int sv_xml_warn(struct sv_xml_parser *p, struct sv_domain_config *cfg, const xmlNode *node,
		const char *why);
/* Serializes node (checked, blank text dropped) into cfg->kept for the formatter. */
int sv_xml_keep(struct sv_xml_parser *p, struct sv_domain_config *cfg, xmlNode *node,
		bool in_devices);
int sv_xml_parse_clock(struct sv_xml_parser *p, xmlNode *node, struct sv_domain_config *cfg);
int sv_xml_parse_features(struct sv_xml_parser *p, xmlNode *node, struct sv_domain_config *cfg);
int sv_xml_parse_controller(struct sv_xml_parser *p, xmlNode *node, struct sv_domain_config *cfg);
int sv_xml_parse_presentation(struct sv_xml_parser *p, xmlNode *node, struct sv_domain_config *cfg);
/* "unsupported: <cpu> at line N: why", with the reason for elements users often bring. */
int sv_xml_refuse_domain_child(struct sv_xml_parser *p, const xmlNode *node);
int sv_xml_refuse_device(struct sv_xml_parser *p, const xmlNode *node);

/* names.c: a domain or driver-domain name: [A-Za-z0-9_.+-], shorter than SV_MAX_NAME_LEN. */
int sv_xml_check_domain_name(struct sv_xml_parser *p, const xmlNode *at, const char *what,
			     const char *name);

/* config.c */
int sv_uuid_parse(const char *text, uint8_t uuid[SV_UUID_LEN]);
void sv_uuid_format(const uint8_t uuid[SV_UUID_LEN], char out[SV_UUID_STRLEN + 1]);
int sv_random_bytes(void *buf, size_t len);

#endif
