/* SPDX-License-Identifier: MIT */
/*
 * Name checks shared by the parser files. They sit below both parse.c (the domain's <name>)
 * and devices.c (<backenddomain name=...>) so that parse.c calls devices.c and never the
 * other way round.
 */
#include <errno.h>
#include <string.h>

#include <splitvisor/limits.h>

#include "xml_internal.h"

int sv_xml_check_domain_name(struct sv_xml_parser *p, const xmlNode *at, const char *what,
			     const char *name)
{
	size_t len = strlen(name), i;

	if (len == 0)
		return sv_xml_fail(p, at, EINVAL, "%s is empty", what);
	if (len >= SV_MAX_NAME_LEN)
		return sv_xml_fail(p, at, ENAMETOOLONG,
				   "%s is %zu characters long, the maximum is %u", what, len,
				   SV_MAX_NAME_LEN - 1);
	for (i = 0; i < len; i++) {
		char c = name[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '.' || c == '+' || c == '-')
			continue;
		if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f)
			return sv_xml_fail(
				p, at, EINVAL,
				"%s '%s' contains '%c'; only [A-Za-z0-9_.+-] are allowed", what,
				name, c);
		return sv_xml_fail(p, at, EINVAL,
				   "%s contains byte 0x%02x; only [A-Za-z0-9_.+-] are allowed",
				   what, (unsigned char)c);
	}
	return 0;
}
