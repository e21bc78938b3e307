/* SPDX-License-Identifier: MIT */
/*
 * Real-shaped libvirt domain documents (tests/data/xml/corpus, and tests/data/xml/xen for the
 * Xen driver's shapes, given as the first argument): each must be accepted or refused exactly
 * as the directory's expected.txt says, refusals with a clear message naming the file.
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

enum verdict {
	ACCEPT,	     /* parsed, round-tripped */
	START,	     /* and its files exist and start would go ahead */
	DEFINE_ONLY, /* accepted, but start refuses with expect */
	REJECT,	     /* refused with expect */
};

struct corpus_case {
	char file[128];
	enum verdict verdict;
	int warnings;	  /* expected warning lines; -1 = not checked */
	char expect[256]; /* substring of the refusal message */
};

static struct corpus_case cases[MAX_CASES];
static int ncases;
static const char *corpus_dir = SV_XML_CORPUS_DIR;

static int parse_verdict(const char *word, enum verdict *out)
{
	static const char *const names[] = { "accept", "start", "define-only", "reject" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(word, names[i]) == 0) {
			*out = (enum verdict)i;
			return 0;
		}
	}
	return -1;
}

/*
 * expected.txt: "FILE VERDICT [warnings=N] [MESSAGE]", VERDICT one of accept, start,
 * define-only (then MESSAGE is start's refusal) or reject (MESSAGE is the parser's); # comments.
 */
static void load_expectations(void)
{
	char path[1024], line[512], verdict[16];
	FILE *f;
	int used, more;

	snprintf(path, sizeof(path), "%s/expected.txt", corpus_dir);
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
		if (parse_verdict(verdict, &c->verdict) < 0) {
			fprintf(stderr,
				"%s: verdict must be accept, start, define-only or reject: %s\n",
				path, line);
			exit(EXIT_FAILURE);
		}
		c->warnings = -1;
		if (sscanf(line + used, "warnings=%d %n", &c->warnings, &more) == 1)
			used += more;
		snprintf(c->expect, sizeof(c->expect), "%s", line + used);
		ncases++;
	}
	fclose(f);
}

static int count_lines(const char *text)
{
	int n = 0;

	for (; text && *text; text++)
		n += *text == '\n';
	return n;
}

START_TEST(test_corpus_file)
{
	const struct corpus_case *c = &cases[_i];
	struct sv_domain_config cfg;
	char path[1024], err[4096], *raw, *doc;
	size_t len;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", corpus_dir, c->file);
	raw = test_read_file(path, &len);
	ck_assert_msg(raw != NULL, "cannot read %s", path);
	/* Accepted files name @KERNEL@ so that their kernel exists on every machine. */
	doc = test_substitute(raw);
	err[0] = '\0';
	ret = sv_xml_parse_memory(doc, strlen(doc), c->file, NULL, &cfg, err, sizeof(err));
	if (c->verdict != REJECT) {
		ck_assert_msg(ret == 0, "%s should be accepted: %s", c->file, err);
		ck_assert_msg(test_round_trip(&cfg, err, sizeof(err)) == 0, "%s: %s", c->file, err);
		if (c->warnings >= 0)
			ck_assert_msg(count_lines(cfg.warnings) == c->warnings,
				      "%s: %d warnings expected, got:\n%s", c->file, c->warnings,
				      cfg.warnings ? cfg.warnings : "");
		ret = sv_xml_check_files(&cfg, err, sizeof(err));
		if (ret == 0)
			ret = sv_xml_check_startable(&cfg, false, err, sizeof(err));
		if (c->verdict == START)
			ck_assert_msg(ret == 0, "%s should start: %s", c->file, err);
		if (c->verdict == DEFINE_ONLY)
			ck_assert_msg(ret < 0 && strstr(err, c->expect),
				      "%s: start should refuse with \"%s\": %s", c->file, c->expect,
				      ret < 0 ? err : "it would start");
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

int main(int argc, char **argv)
{
	Suite *s = suite_create("xml-corpus");
	TCase *tc = tcase_create("corpus");
	SRunner *runner;
	int failed;

	if (argc > 1)
		corpus_dir = argv[1];
	load_expectations();
	if (ncases < 10) {
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
