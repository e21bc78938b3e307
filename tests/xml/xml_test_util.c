/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xml_test_util.h"

static char test_dir[64];
static char kernel_path[128];
static char initrd_path[128];
static char disk_path[128];

static void write_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		abort();
	}
	fputs(content, f);
	fclose(f);
}

void test_files_setup(void)
{
	snprintf(test_dir, sizeof(test_dir), "/tmp/sv-xml-test-XXXXXX");
	if (!mkdtemp(test_dir)) {
		perror("mkdtemp");
		abort();
	}
	snprintf(kernel_path, sizeof(kernel_path), "%s/kernel", test_dir);
	snprintf(initrd_path, sizeof(initrd_path), "%s/initrd", test_dir);
	write_file(kernel_path, "not really an ELF; the parser only checks it exists\n");
	snprintf(disk_path, sizeof(disk_path), "%s/disk.img", test_dir);
	write_file(initrd_path, "initrd\n");
	write_file(disk_path, "a disk image\n");
}

void test_files_teardown(void)
{
	unlink(kernel_path);
	unlink(initrd_path);
	unlink(disk_path);
	rmdir(test_dir);
}

const char *test_kernel_path(void)
{
	return kernel_path;
}

const char *test_initrd_path(void)
{
	return initrd_path;
}

static char *replace_all(const char *text, const char *token, const char *value)
{
	size_t count = 0, tlen = strlen(token), vlen = strlen(value), len;
	const char *at;
	char *out, *dst;

	for (at = strstr(text, token); at; at = strstr(at + tlen, token))
		count++;
	len = strlen(text) + count * vlen + 1;
	out = malloc(len);
	if (!out)
		abort();
	dst = out;
	while ((at = strstr(text, token))) {
		memcpy(dst, text, (size_t)(at - text));
		dst += at - text;
		memcpy(dst, value, vlen);
		dst += vlen;
		text = at + tlen;
	}
	strcpy(dst, text);
	return out;
}

char *test_substitute(const char *text)
{
	char *step = replace_all(text, "@KERNEL@", kernel_path);
	char *again = replace_all(step, "@INITRD@", initrd_path);
	char *out = replace_all(again, "@DISK@", disk_path);

	free(step);
	free(again);
	return out;
}

char *test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)size + 1);
		if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
			free(buf);
			buf = NULL;
		}
		if (buf) {
			buf[size] = '\0';
			if (len)
				*len = (size_t)size;
		}
	}
	fclose(f);
	return buf;
}

int test_parse(const char *xml, struct sv_domain_config *cfg, char *err, size_t errlen)
{
	char *doc = test_substitute(xml);
	int ret;

	ret = sv_xml_parse_memory(doc, strlen(doc), "t.xml", NULL, cfg, err, errlen);
	free(doc);
	return ret;
}

int test_round_trip(const struct sv_domain_config *cfg, char *err, size_t errlen)
{
	struct sv_domain_config again;
	char *xml = NULL;
	int ret;

	ret = sv_xml_format(cfg, &xml);
	if (ret < 0) {
		snprintf(err, errlen, "format failed: %s", strerror(-ret));
		return ret;
	}
	ret = sv_xml_parse_memory(xml, strlen(xml), "formatted.xml", NULL, &again, err, errlen);
	if (ret == 0 && !sv_domain_config_equal(cfg, &again)) {
		snprintf(err, errlen, "round trip changed the config:\n%s", xml);
		ret = -EINVAL;
	}
	sv_domain_config_free(&again);
	free(xml);
	return ret;
}
