/* SPDX-License-Identifier: MIT */
/*
 * RelaxNG validation against libvirt's own domain.rng. The compiled schema is large (it
 * pulls in a dozen files) so it is parsed once per process and kept until sv_xml_cleanup().
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/relaxng.h>
#include <libxml/xmlerror.h>

#include "sv_xml.h"
#include "xml_internal.h"

static pthread_mutex_t schema_lock = PTHREAD_MUTEX_INITIALIZER;
static xmlRelaxNGPtr cached_schema;
static char *cached_schema_path;

/* Gathers libxml2's messages into the caller's buffer, one "source:line: ..." per line. */
struct collector {
	struct sv_xml_parser *p;
	const char *headline;
	size_t used;
	unsigned int count;
};

static void collect(void *data, xmlErrorPtr error)
{
	struct collector *c = data;
	const xmlNode *node = NULL;
	char text[512];
	size_t len;
	long line;
	int n;

	if (!error || error->level < XML_ERR_ERROR)
		return;
	if (error->node && ((xmlNode *)error->node)->type == XML_ELEMENT_NODE)
		node = error->node;
	line = error->line > 0 ? error->line : sv_xml_line(node);
	snprintf(text, sizeof(text), "%s", error->message ? error->message : "unknown error");
	len = strlen(text);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
		text[--len] = '\0';

	c->count++;
	if (!c->p->err || c->used + 1 >= c->p->errlen)
		return;
	if (c->count > 1)
		c->p->err[c->used++] = '\n';
	if (line > 0)
		n = snprintf(c->p->err + c->used, c->p->errlen - c->used, "%s:%ld: ", c->p->source,
			     line);
	else
		n = snprintf(c->p->err + c->used, c->p->errlen - c->used, "%s: ", c->p->source);
	if (n > 0)
		c->used += (size_t)n;
	if (c->used >= c->p->errlen) {
		c->used = c->p->errlen - 1;
		return;
	}
	if (node)
		n = snprintf(c->p->err + c->used, c->p->errlen - c->used, "%selement %s: %s",
			     c->count == 1 ? c->headline : "", (const char *)node->name, text);
	else
		n = snprintf(c->p->err + c->used, c->p->errlen - c->used, "%s%s",
			     c->count == 1 ? c->headline : "", text);
	if (n > 0)
		c->used += (size_t)n;
	if (c->used >= c->p->errlen)
		c->used = c->p->errlen - 1;
}

static const char *schema_dir_for(const char *schema_dir)
{
	const char *env;

	if (schema_dir && schema_dir[0])
		return schema_dir;
	env = getenv(SV_XML_SCHEMA_DIR_ENV);
	if (env && env[0])
		return env;
	return SV_XML_DEFAULT_SCHEMA_DIR;
}

/* Called with schema_lock held. */
static int load_schema(const char *path, struct sv_xml_parser *p)
{
	struct collector c = { .p = p, .headline = "cannot load libvirt schema: " };
	xmlRelaxNGParserCtxtPtr parser = NULL;
	xmlRelaxNGPtr schema = NULL;
	char *path_copy = NULL;
	int ret = 0;

	if (cached_schema && strcmp(cached_schema_path, path) == 0)
		return 0;
	if (access(path, R_OK) < 0) {
		ret = -errno;
		sv_xml_fail(p, NULL, -ret, "cannot read libvirt schema %s: %s (set %s)", path,
			    strerror(-ret), SV_XML_SCHEMA_DIR_ENV);
		goto out;
	}
	path_copy = strdup(path);
	parser = xmlRelaxNGNewParserCtxt(path);
	if (!path_copy || !parser) {
		ret = sv_xml_fail(p, NULL, ENOMEM, "out of memory");
		goto out;
	}
	xmlRelaxNGSetParserStructuredErrors(parser, collect, &c);
	schema = xmlRelaxNGParse(parser);
	if (!schema) {
		if (c.count == 0)
			sv_xml_fail(p, NULL, EINVAL, "cannot compile libvirt schema %s", path);
		ret = -EINVAL;
		goto out;
	}
	xmlRelaxNGFree(cached_schema);
	free(cached_schema_path);
	cached_schema = schema;
	cached_schema_path = path_copy;
	schema = NULL;
	path_copy = NULL;
out:
	xmlRelaxNGFreeParserCtxt(parser);
	xmlRelaxNGFree(schema);
	free(path_copy);
	return ret;
}

int sv_xml_validate(xmlDoc *doc, const char *schema_dir, struct sv_xml_parser *p)
{
	struct collector c = { .p = p };
	xmlRelaxNGValidCtxtPtr validator = NULL;
	char path[4096], headline[4200];
	int ret, rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/domain.rng", schema_dir_for(schema_dir)) >=
	    sizeof(path))
		return sv_xml_fail(p, NULL, ENAMETOOLONG, "schema directory name is too long");
	snprintf(headline, sizeof(headline),
		 "XML document failed to validate against schema %s: ", path);
	c.headline = headline;

	pthread_mutex_lock(&schema_lock);
	ret = load_schema(path, p);
	if (ret < 0)
		goto out;
	validator = xmlRelaxNGNewValidCtxt(cached_schema);
	if (!validator) {
		ret = sv_xml_fail(p, NULL, ENOMEM, "out of memory");
		goto out;
	}
	xmlRelaxNGSetValidStructuredErrors(validator, collect, &c);
	rc = xmlRelaxNGValidateDoc(validator, doc);
	if (rc != 0) {
		if (c.count == 0)
			sv_xml_fail(p, xmlDocGetRootElement(doc), EINVAL,
				    "XML document failed to validate against schema %s", path);
		ret = -EINVAL;
	}
out:
	xmlRelaxNGFreeValidCtxt(validator);
	pthread_mutex_unlock(&schema_lock);
	return ret;
}

void sv_xml_cleanup(void)
{
	pthread_mutex_lock(&schema_lock);
	xmlRelaxNGFree(cached_schema);
	free(cached_schema_path);
	cached_schema = NULL;
	cached_schema_path = NULL;
	pthread_mutex_unlock(&schema_lock);
}
