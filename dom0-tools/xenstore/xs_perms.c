// SPDX-License-Identifier: MIT
/*
 * Node permissions: a list of {domid, letter}. The first entry names the owner,
 * who may do anything, and its letter applies to every domain not listed. The
 * control domain is never checked.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs_internal.h"

static const char perm_letters[] = "nrwb";

unsigned int xs_perm_for(const struct xs_perms *perms, uint16_t domid)
{
	if (domid == 0)
		return XS_PERM_BOTH;
	if (perms->n == 0)
		return XS_PERM_NONE;
	if (perms->p[0].domid == domid)
		return XS_PERM_BOTH;
	for (uint32_t i = 1; i < perms->n; i++) {
		if (perms->p[i].domid == domid)
			return perms->p[i].perm;
	}
	return perms->p[0].perm;
}

bool xs_perm_allows(const struct xs_perms *perms, uint16_t domid, unsigned int want)
{
	return (xs_perm_for(perms, domid) & want) == want;
}

static int perm_parse_one(const char *s, struct xs_perm *out)
{
	const char *letter = s[0] ? strchr(perm_letters, s[0]) : NULL;
	int ret;

	if (!letter)
		return -EINVAL;
	ret = xs_parse_domid(s + 1, &out->domid);
	if (ret)
		return ret;
	out->perm = (uint8_t)(letter - perm_letters);
	return 0;
}

/* buf holds NUL-terminated entries ("b0\0r5\0"); the caller checked the last NUL. */
int xs_perms_parse(const char *buf, size_t len, struct xs_perms *out)
{
	uint32_t n = 0;
	size_t off;
	int ret = 0;

	for (size_t i = 0; i < len; i++)
		n += buf[i] == '\0';
	out->n = 0;
	out->p = NULL;
	if (n == 0 || len == 0 || buf[len - 1] != '\0')
		return -EINVAL;
	out->p = calloc(n, sizeof(*out->p));
	if (!out->p)
		return -ENOMEM;
	for (off = 0; off < len; off += strlen(buf + off) + 1) {
		ret = perm_parse_one(buf + off, &out->p[out->n]);
		if (ret)
			goto out;
		out->n++;
	}
out:
	if (ret)
		xs_perms_free(out);
	return ret;
}

ssize_t xs_perms_format(const struct xs_perms *perms, char *buf, size_t cap)
{
	size_t off = 0;

	for (uint32_t i = 0; i < perms->n; i++) {
		char one[16];
		int n = snprintf(one, sizeof(one), "%c%u", perm_letters[perms->p[i].perm & 3],
				 perms->p[i].domid);

		if (n < 0 || off + (size_t)n + 1 > cap)
			return -E2BIG;
		memcpy(buf + off, one, (size_t)n + 1);
		off += (size_t)n + 1;
	}
	return (ssize_t)off;
}

int xs_perms_copy(struct xs_perms *dst, const struct xs_perms *src)
{
	struct xs_perm *p = NULL;

	if (src->n) {
		p = malloc(src->n * sizeof(*p));
		if (!p)
			return -ENOMEM;
		memcpy(p, src->p, src->n * sizeof(*p));
	}
	dst->p = p;
	dst->n = src->n;
	return 0;
}

void xs_perms_free(struct xs_perms *perms)
{
	free(perms->p);
	perms->p = NULL;
	perms->n = 0;
}

int xs_perms_set_default(struct xs_perms *perms, uint16_t owner, unsigned int perm)
{
	struct xs_perm *p = malloc(sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->domid = owner;
	p->perm = (uint8_t)perm;
	free(perms->p);
	perms->p = p;
	perms->n = 1;
	return 0;
}
