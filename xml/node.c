/* SPDX-License-Identifier: MIT */
/* Error reporting and strict node access shared by the parser files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xml_internal.h"

long sv_xml_line(const xmlNode *node)
{
	long line;

	if (!node)
		return 0;
	line = xmlGetLineNo(node);
	return line > 0 ? line : 0;
}

int sv_xml_fail(struct sv_xml_parser *p, const xmlNode *at, int errnum, const char *fmt, ...)
{
	long line = sv_xml_line(at);
	size_t used;
	va_list ap;
	int n;

	if (!p->err || p->errlen == 0)
		return -errnum;
	if (line > 0)
		n = snprintf(p->err, p->errlen, "%s:%ld: ", p->source, line);
	else
		n = snprintf(p->err, p->errlen, "%s: ", p->source);
	used = n < 0 ? 0 : (size_t)n;
	if (used < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + used, p->errlen - used, fmt, ap);
		va_end(ap);
	}
	return -errnum;
}

static void append(char *buf, size_t len, size_t *used, const char *prefix, const xmlNode *node)
{
	int n;

	if (*used >= len)
		return;
	if (node->ns && node->ns->prefix)
		n = snprintf(buf + *used, len - *used, "%s<%s:%s>", prefix,
			     (const char *)node->ns->prefix, (const char *)node->name);
	else
		n = snprintf(buf + *used, len - *used, "%s<%s>", prefix, (const char *)node->name);
	if (n > 0)
		*used += (size_t)n;
}

void sv_xml_node_path(const xmlNode *node, char *buf, size_t len)
{
	const xmlNode *chain[64];
	size_t depth = 0, used = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	/* The root is always <domain>: leave it out unless it is the node itself. */
	for (; node && node->type == XML_ELEMENT_NODE; node = node->parent) {
		if (depth == sizeof(chain) / sizeof(chain[0]))
			break;
		chain[depth++] = node;
	}
	if (depth > 1)
		depth--;
	while (depth > 0) {
		depth--;
		append(buf, len, &used, used ? "/" : "", chain[depth]);
	}
}

int sv_xml_unsupported_element(struct sv_xml_parser *p, const xmlNode *node)
{
	char path[256];

	sv_xml_node_path(node, path, sizeof(path));
	return sv_xml_fail(p, node, EOPNOTSUPP, "unsupported: %s at line %ld", path,
			   sv_xml_line(node));
}

int sv_xml_unsupported_attribute(struct sv_xml_parser *p, const xmlNode *node, const xmlAttr *attr)
{
	char path[256];

	sv_xml_node_path(node, path, sizeof(path));
	if (attr->ns && attr->ns->prefix)
		return sv_xml_fail(p, node, EOPNOTSUPP,
				   "unsupported: %s attribute '%s:%s' at line %ld", path,
				   (const char *)attr->ns->prefix, (const char *)attr->name,
				   sv_xml_line(node));
	return sv_xml_fail(p, node, EOPNOTSUPP, "unsupported: %s attribute '%s' at line %ld", path,
			   (const char *)attr->name, sv_xml_line(node));
}

int sv_xml_unsupported_value(struct sv_xml_parser *p, const xmlNode *node, const char *what,
			     const char *value, const char *why)
{
	char path[256];

	sv_xml_node_path(node, path, sizeof(path));
	return sv_xml_fail(p, node, EOPNOTSUPP, "unsupported: %s %s '%s' at line %ld (%s)", path,
			   what, value, sv_xml_line(node), why);
}

bool sv_xml_is(const xmlNode *node, const char *name)
{
	return node->type == XML_ELEMENT_NODE && !node->ns &&
	       strcmp((const char *)node->name, name) == 0;
}

xmlNode *sv_xml_element(xmlNode *node)
{
	while (node && node->type != XML_ELEMENT_NODE)
		node = node->next;
	return node;
}

int sv_xml_check_node_kind(struct sv_xml_parser *p, const xmlNode *node)
{
	switch (node->type) {
	case XML_ELEMENT_NODE:
	case XML_TEXT_NODE:
	case XML_CDATA_SECTION_NODE:
	case XML_COMMENT_NODE:
	case XML_PI_NODE:
		return 0;
	default:
		/* Entity references and the like would make text depend on a DTD. */
		return sv_xml_fail(p, node, EOPNOTSUPP,
				   "unsupported: XML node of kind %d at line %ld", (int)node->type,
				   sv_xml_line(node));
	}
}

int sv_xml_check_attributes(struct sv_xml_parser *p, const xmlNode *node,
			    const char *const *allowed)
{
	const xmlAttr *attr;
	size_t i;

	for (attr = node->properties; attr; attr = attr->next) {
		bool known = false;

		for (i = 0; allowed && allowed[i] && !attr->ns; i++) {
			if (strcmp((const char *)attr->name, allowed[i]) == 0) {
				known = true;
				break;
			}
		}
		if (!known)
			return sv_xml_unsupported_attribute(p, node, attr);
	}
	return 0;
}

int sv_xml_check_no_children(struct sv_xml_parser *p, const xmlNode *node)
{
	const xmlNode *child;
	int ret;

	for (child = node->children; child; child = child->next) {
		ret = sv_xml_check_node_kind(p, child);
		if (ret < 0)
			return ret;
		if (child->type == XML_ELEMENT_NODE)
			return sv_xml_unsupported_element(p, child);
	}
	return 0;
}

int sv_xml_attr_dup(struct sv_xml_parser *p, const xmlNode *node, const char *name, char **out)
{
	xmlChar *value;

	*out = NULL;
	value = xmlGetNoNsProp(node, (const xmlChar *)name);
	if (!value)
		return 0;
	*out = strdup((const char *)value);
	xmlFree(value);
	if (!*out)
		return sv_xml_fail(p, node, ENOMEM, "out of memory");
	return 0;
}

int sv_xml_text_dup(struct sv_xml_parser *p, const xmlNode *node, char **out)
{
	xmlChar *value;
	int ret;

	*out = NULL;
	ret = sv_xml_check_no_children(p, node);
	if (ret < 0)
		return ret;
	value = xmlNodeGetContent(node);
	*out = strdup(value ? (const char *)value : "");
	xmlFree(value);
	if (!*out)
		return sv_xml_fail(p, node, ENOMEM, "out of memory");
	return 0;
}

static bool is_xml_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int sv_xml_parse_u64(const char *text, uint64_t *out)
{
	uint64_t value = 0;
	bool digits = false;

	while (is_xml_blank(*text))
		text++;
	if (*text == '+')
		text++;
	for (; *text >= '0' && *text <= '9'; text++) {
		unsigned int digit = (unsigned int)(*text - '0');

		if (value > (UINT64_MAX - digit) / 10)
			return -ERANGE;
		value = value * 10 + digit;
		digits = true;
	}
	while (is_xml_blank(*text))
		text++;
	if (!digits || *text)
		return -EINVAL;
	*out = value;
	return 0;
}
