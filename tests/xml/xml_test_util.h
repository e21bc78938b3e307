/* SPDX-License-Identifier: MIT */
/* Helpers shared by the XML unit tests: a real kernel file and documents that name it. */
#ifndef SPLITVISOR_XML_TEST_UTIL_H
#define SPLITVISOR_XML_TEST_UTIL_H

#include <stddef.h>

#include "sv_xml.h"

/* A test document's first 7 lines; elements appended after it start at line 8. */
#define DOC_HEAD                             \
	"<domain type='xen'>\n"              \
	"  <name>t</name>\n"                 \
	"  <memory unit='MiB'>32</memory>\n" \
	"  <os>\n"                           \
	"    <type>xen</type>\n"             \
	"    <kernel>@KERNEL@</kernel>\n"    \
	"  </os>\n"
#define DOC_TAIL "</domain>\n"

/* Creates a temporary directory holding "kernel", "initrd" and "disk.img" files. */
void test_files_setup(void);
void test_files_teardown(void);
const char *test_kernel_path(void);
const char *test_initrd_path(void);

/* Copy of text with every @KERNEL@ / @INITRD@ / @DISK@ replaced by the test files' paths. */
char *test_substitute(const char *text);
/* Reads a whole file; NULL on error. */
char *test_read_file(const char *path, size_t *len);

/* sv_xml_parse_memory() on test_substitute(xml) with source name "t.xml". */
int test_parse(const char *xml, struct sv_domain_config *cfg, char *err, size_t errlen);
/* Formats cfg, parses the result and checks it equals cfg; 0 on success. */
int test_round_trip(const struct sv_domain_config *cfg, char *err, size_t errlen);

#endif
