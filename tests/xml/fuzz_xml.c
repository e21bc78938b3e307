/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: any bytes through sv_xml_parse_memory(); whatever is accepted must
 * format, validate and parse back to an equal config. "@KERNEL@" in the input names a real
 * file so that accepted documents are reachable (the seeds use it).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "sv_xml.h"

static char kernel_path[64];

static void remove_kernel(void)
{
	unlink(kernel_path);
	sv_xml_cleanup();
	xmlCleanupParser();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd;

	(void)argc;
	(void)argv;
	snprintf(kernel_path, sizeof(kernel_path), "/tmp/sv-fuzz-kernel-XXXXXX");
	fd = mkstemp(kernel_path);
	if (fd < 0) {
		perror("mkstemp");
		abort();
	}
	close(fd);
	atexit(remove_kernel);
	return 0;
}

/* Input with every "@KERNEL@" replaced by kernel_path; NUL-terminated for convenience. */
static char *substitute(const uint8_t *data, size_t size, size_t *out_len)
{
	static const char token[] = "@KERNEL@";
	size_t tlen = sizeof(token) - 1, plen = strlen(kernel_path), i, used = 0;
	char *out = malloc(size * (plen > tlen ? plen : tlen) / tlen + plen + 1);

	if (!out)
		abort();
	for (i = 0; i < size;) {
		if (size - i >= tlen && memcmp(data + i, token, tlen) == 0) {
			memcpy(out + used, kernel_path, plen);
			used += plen;
			i += tlen;
		} else {
			out[used++] = (char)data[i++];
		}
	}
	out[used] = '\0';
	*out_len = used;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sv_domain_config cfg, again;
	char err[1024], *doc, *xml = NULL;
	size_t len;

	doc = substitute(data, size, &len);
	if (sv_xml_parse_memory(doc, len, "fuzz.xml", NULL, &cfg, err, sizeof(err)) < 0) {
		/* Every refusal must say something. */
		if (!err[0])
			abort();
		free(doc);
		return 0;
	}
	if (sv_xml_format(&cfg, &xml) < 0)
		abort();
	if (sv_xml_parse_memory(xml, strlen(xml), "formatted.xml", NULL, &again, err, sizeof(err)) <
	    0) {
		fprintf(stderr, "formatted output refused: %s\n%s\n", err, xml);
		abort();
	}
	if (!sv_domain_config_equal(&cfg, &again)) {
		fprintf(stderr, "round trip changed the config:\n%s\n", xml);
		abort();
	}
	sv_domain_config_free(&again);
	sv_domain_config_free(&cfg);
	free(xml);
	free(doc);
	return 0;
}
