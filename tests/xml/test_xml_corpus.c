/* SPDX-License-Identifier: MIT */
/*
 * Real-shaped libvirt domain documents (tests/data/xml/corpus): each must be accepted or
 * refused exactly as expected.txt says, refusals with a clear message naming the file.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "sv_xml.h"
#include "xml_test_util.h"

#ifndef SV_XML_CORPUS_DIR
#error "SV_XML_CORPUS_DIR must name tests/data/xml/corpus"
#endif

#define MAX_CASES 64

struct corpus_case {
	char file[128];
	bool accept;
	char expect[256]; /* substring of the refusal message */
};

static struct corpus_case cases[MAX_CASES];
static int ncases;

/* expected.txt: "file.xml accept" or "file.xml reject <message substring>"; # comments. */
static void load_expectations(void)
{
	char path[1024], line[512], verdict[16];
	FILE *f;
	int used;

	snprintf(path, sizeof(path), "%s/expected.txt", SV_XML_CORPUS_DIR);
	f = fopen(path, "r");
	if (!f) {
		perror(path);
		exit(EXIT_FAILURE);
	}
	while (fgets(line, sizeof(line), f)) {
		struct corpus_case *c = &cases[ncases];

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (ncases == MAX_CASES ||
		    sscanf(line, "%127s %15s %n", c->file, verdict, &used) < 2) {
			fprintf(stderr, "%s: bad line: %s\n", path, line);
			exit(EXIT_FAILURE);
		}
		c->accept = strcmp(verdict, "accept") == 0;
		if (!c->accept && strcmp(verdict, "reject") != 0) {
			fprintf(stderr, "%s: verdict must be accept or reject: %s\n", path, line);
			exit(EXIT_FAILURE);
		}
		snprintf(c->expect, sizeof(c->expect), "%s", line + used);
		ncases++;
	}
	fclose(f);
}

START_TEST(test_corpus_file)
{
	const struct corpus_case *c = &cases[_i];
	struct sv_domain_config cfg;
	char path[1024], err[4096], *raw, *doc;
	size_t len;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", SV_XML_CORPUS_DIR, c->file);
	raw = test_read_file(path, &len);
	ck_assert_msg(raw != NULL, "cannot read %s", path);
	/* Accepted files name @KERNEL@ so that their kernel exists on every machine. */
	doc = test_substitute(raw);
	err[0] = '\0';
	ret = sv_xml_parse_memory(doc, strlen(doc), c->file, NULL, &cfg, err, sizeof(err));
	if (c->accept) {
		ck_assert_msg(ret == 0, "%s should be accepted: %s", c->file, err);
		ck_assert_msg(test_round_trip(&cfg, err, sizeof(err)) == 0, "%s: %s", c->file, err);
		sv_domain_config_free(&cfg);
	} else {
		ck_assert_msg(ret < 0, "%s should be refused", c->file);
		ck_assert_msg(strncmp(err, c->file, strlen(c->file)) == 0 &&
				      strlen(err) > strlen(c->file) + 2,
			      "%s: message does not name the file: %s", c->file, err);
		ck_assert_msg(strstr(err, c->expect), "%s: message lacks \"%s\": %s", c->file,
			      c->expect, err);
	}
	free(doc);
	free(raw);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("xml-corpus");
	TCase *tc = tcase_create("corpus");
	SRunner *runner;
	int failed;

	load_expectations();
	if (ncases < 15) {
		fprintf(stderr, "expected.txt lists only %d files\n", ncases);
		return EXIT_FAILURE;
	}
	tcase_add_unchecked_fixture(tc, test_files_setup, test_files_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_corpus_file, 0, ncases);
	suite_add_tcase(s, tc);
	runner = srunner_create(s);
	srunner_set_fork_status(runner, CK_NOFORK);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	sv_xml_cleanup();
	xmlCleanupParser();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
