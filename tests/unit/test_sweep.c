// SPDX-License-Identifier: MIT
/*
 * Sweeps: the spec parser (happy and hostile specs), the statistics, the
 * progress line and the report writers: JSON that python3 parses, CSV with
 * one column count throughout, and plots that are PNG files of the size asked.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sweep.h"

static const char *const rw_words[] = { "read", "write", NULL };
static const char *const pattern_words[] = { "seq", "rand", NULL };
static const struct sweep_key blk_keys[] = {
	{ .name = "bs", .kind = SWEEP_SIZE, .min = 512, .max = 1u << 20, .dflt = 65536 },
	{ .name = "qd", .kind = SWEEP_COUNT, .min = 1, .max = 128, .dflt = 32 },
	{ .name = "rw", .kind = SWEEP_WORD, .words = rw_words, .dflt_word = "read" },
	{ .name = "pattern", .kind = SWEEP_WORD, .words = pattern_words, .dflt_word = "seq" },
};
#define NR_BLK_KEYS (sizeof(blk_keys) / sizeof(blk_keys[0]))

static struct sweep_spec spec;
static char err[512];

static int parse(const char *text)
{
	err[0] = 0;
	return sweep_parse(text, blk_keys, NR_BLK_KEYS, &spec, err, sizeof(err));
}

START_TEST(range_steps_by_powers_of_two)
{
	ck_assert_int_eq(parse("bs=4k..1M,qd=1..128,rw=read|write,pattern=seq|rand"), 0);
	ck_assert_uint_eq(spec.nr_dims, 4);
	ck_assert_uint_eq(spec.dim[0].n, 9); /* 4k 8k ... 1M */
	ck_assert_uint_eq(spec.dim[0].num[0], 4096);
	ck_assert_uint_eq(spec.dim[0].num[8], 1u << 20);
	ck_assert_uint_eq(spec.dim[1].n, 8); /* 1 2 4 ... 128 */
	ck_assert_uint_eq(spec.nr_points, 9 * 8 * 2 * 2);
	ck_assert_str_eq(spec.dim[2].word[1], "write");
	ck_assert_ptr_eq(sweep_x_dim(&spec), &spec.dim[0]);
}
END_TEST

START_TEST(range_ends_at_its_high_end)
{
	static const struct sweep_key net[] = {
		{ .name = "frame", .kind = SWEEP_COUNT, .min = 64, .max = 9000, .dflt = 64 },
	};

	ck_assert_int_eq(sweep_parse("frame=64..9000", net, 1, &spec, err, sizeof(err)), 0);
	ck_assert_uint_eq(spec.dim[0].n, 9); /* 64 .. 8192, 9000 */
	ck_assert_uint_eq(spec.dim[0].num[7], 8192);
	ck_assert_uint_eq(spec.dim[0].num[8], 9000);
}
END_TEST

START_TEST(defaults_fill_the_keys_left_out_and_points_enumerate)
{
	char name[192];

	ck_assert_int_eq(parse("qd=1|32,bs=4k"), 0);
	ck_assert_uint_eq(spec.nr_dims, 4);
	ck_assert_str_eq(spec.dim[0].key->name, "qd");
	ck_assert(!spec.dim[2].given);
	ck_assert_uint_eq(spec.nr_points, 2);
	ck_assert_uint_eq(sweep_num(&spec, 0, "qd"), 1);
	ck_assert_uint_eq(sweep_num(&spec, 1, "qd"), 32);
	ck_assert_uint_eq(sweep_num(&spec, 1, "bs"), 4096);
	ck_assert_str_eq(sweep_word(&spec, 1, "rw"), "read");
	ck_assert_int_eq(sweep_point_name(&spec, 1, NULL, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "qd=32,bs=4k,rw=read,pattern=seq");
	ck_assert_int_eq(sweep_point_name(&spec, 1, &spec.dim[0], name, sizeof(name)), 0);
	ck_assert_str_eq(name, "bs=4k,rw=read,pattern=seq");
	ck_assert_int_eq(sweep_point_name(&spec, 1, NULL, name, 8), -ENOSPC);
	/* The last dim counts fastest. */
	ck_assert_int_eq(parse("rw=read|write,bs=4k|8k"), 0);
	ck_assert_uint_eq(sweep_num(&spec, 1, "bs"), 8192);
	ck_assert_str_eq(sweep_word(&spec, 1, "rw"), "read");
	ck_assert_str_eq(sweep_word(&spec, 2, "rw"), "write");
	ck_assert_ptr_null(sweep_x_dim(&(struct sweep_spec){ 0 }));
}
END_TEST

static const struct {
	const char *spec, *says;
} hostile[] = {
	{ "", "empty" },
	{ "bs", "KEY=VALUES" },
	{ "=4k", "KEY=VALUES" },
	{ "bs=", "empty value" },
	{ "bs=4k|", "empty value" },
	{ "bs=4k,", "empty part" },
	{ ",bs=4k", "empty part" },
	{ "bs=4k,,qd=1", "empty part" },
	{ "size=4k", "unknown key" },
	{ "bs=4k,bs=8k", "given twice" },
	{ "bs=4k|4k", "appears twice" },
	{ "rw=read|read", "appears twice" },
	{ "bs=1M..4k", "0 < LOW <= HIGH" },
	{ "qd=0..4", "0 < LOW <= HIGH" },
	{ "bs=4k..", "LOW..HIGH" },
	{ "bs=..4k", "LOW..HIGH" },
	{ "bs=4k..8k..16k", "LOW..HIGH" },
	{ "bs=4x", "not a number" },
	{ "qd=4k", "not a number" },
	{ "bs=-4k", "not a number" },
	{ "bs=99999999999999999999999", "not a number" },
	{ "bs=17179869184G", "not a number" },
	{ "bs=256", "must be 512..1048576" },
	{ "bs=2M", "must be 512..1048576" },
	{ "qd=1..256", "must be 1..128" },
	{ "rw=append", "not a value of rw" },
	{ "rw=read..write", "not a value of rw" },
	{ "bs=4k 8k", "space" },
	{ "bs=4k\n", "space" },
	{ "rw=r\xc3\xa9"
	  "ad",
	  "not printable" },
	{ "qd=1|2|3|4|5|6|7|8|9|10|11|12|13|14|15|16|17", "more than 16 values" },
	{ "bs=512..1M,qd=1|2|3|4|5|6|7|8|9|10|11|12|13|14|15|16,rw=read|write,pattern=seq|rand",
	  "more than 512 points" },
};

START_TEST(hostile_specs_get_an_error_naming_the_part)
{
	const char *h = hostile[_i].spec;

	ck_assert_int_eq(parse(h), -EINVAL);
	if (!strstr(err, hostile[_i].says))
		ck_abort_msg("spec '%s': error '%s' does not say '%s'", h, err, hostile[_i].says);
}
END_TEST

START_TEST(a_spec_too_long_is_refused_whole)
{
	char big[SWEEP_SPEC_MAX + 64];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	ck_assert_int_eq(parse(big), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "longer than"));
}
END_TEST

START_TEST(statistics_median_quartiles_and_nan)
{
	struct sweep_stat st;
	const double odd[] = { 5, 1, 3 };
	const double even[] = { 4, 1, 3, 2 };
	const double some_nan[] = { NAN, 10, NAN, 20 };
	const double all_nan[] = { NAN, NAN };

	sweep_stat(odd, 3, &st);
	ck_assert_uint_eq(st.n, 3);
	ck_assert_double_eq(st.median, 3);
	ck_assert_double_eq(st.min, 1);
	ck_assert_double_eq(st.max, 5);
	ck_assert_double_eq(st.q1, 2);
	ck_assert_double_eq(st.q3, 4);
	sweep_stat(even, 4, &st);
	ck_assert_double_eq(st.median, 2.5);
	ck_assert_double_eq_tol(st.q1, 1.75, 1e-12);
	ck_assert_double_eq_tol(st.q3, 3.25, 1e-12);
	sweep_stat(some_nan, 4, &st);
	ck_assert_uint_eq(st.n, 2);
	ck_assert_double_eq(st.median, 15);
	sweep_stat(all_nan, 2, &st);
	ck_assert_uint_eq(st.n, 0);
	ck_assert(isnan(st.median));
	sweep_stat(odd, 1, &st);
	ck_assert_double_eq(st.median, 5);
	ck_assert_double_eq(st.q3, 5);
}
END_TEST

START_TEST(progress_line_estimates_the_time_left)
{
	char line[128];

	sweep_progress_format(line, sizeof(line), 0, 4, 0, "bs=4k");
	ck_assert_str_eq(line, "[1/4] bs=4k");
	sweep_progress_format(line, sizeof(line), 1, 4, 10000000000ull, "bs=8k");
	ck_assert_str_eq(line, "[2/4] bs=8k  ~30s left");
	sweep_progress_format(line, sizeof(line), 2, 12, 60000000000ull, "x");
	ck_assert_str_eq(line, "[3/12] x  ~5m00s left");
	sweep_progress_format(line, sizeof(line), 1, 200, 60000000000ull, "x");
	ck_assert_str_eq(line, "[2/200] x  ~3h19m left");
}
END_TEST

START_TEST(progress_is_quiet_when_piped)
{
	struct sweep_progress p;
	FILE *f = tmpfile();

	ck_assert_ptr_nonnull(f);
	sweep_progress_init(&p, f, 3);
	sweep_progress_step(&p, 1, "bs=4k");
	sweep_progress_done(&p);
	ck_assert_int_eq(ftell(f), 0);
	fclose(f);
}
END_TEST

/* ---- writers ---- */

static struct sweep_row rows[4];
static char dir[] = "/tmp/test_sweep.XXXXXX";

static struct sweep_report report(void)
{
	struct sweep_report r = { .bench = "blk",
				  .unit = "MB/s",
				  .baseline_name = "host pread \"quoted\"",
				  .x_name = "bs",
				  .spec = "bs=4k|8k",
				  .runs = 3,
				  .nr_rows = 4,
				  .rows = rows };
	const double v[3] = { 100, 120, 90 }, b[3] = { 200, 210, 190 };

	sweep_report_machine(&r);
	memset(rows, 0, sizeof(rows));
	for (unsigned int i = 0; i < 4; i++) {
		double vi[3], ri[3];

		for (unsigned int k = 0; k < 3; k++) {
			vi[k] = v[k] * (i % 2 + 1) * (i < 2 ? 1 : 0.5);
			ri[k] = vi[k] / b[k];
		}
		snprintf(rows[i].config, sizeof(rows[i].config), "persistent=%s",
			 i < 2 ? "on" : "off");
		snprintf(rows[i].point, sizeof(rows[i].point), "bs=%uk,qd=1", 4u << (i % 2));
		snprintf(rows[i].series, sizeof(rows[i].series), "persistent=%s qd=1",
			 i < 2 ? "on" : "off");
		rows[i].x = 4096 << (i % 2);
		sweep_stat(vi, 3, &rows[i].value);
		sweep_stat(b, 3, &rows[i].baseline);
		sweep_stat(ri, 3, &rows[i].ratio);
		rows[i].nr_extra = 2;
		rows[i].extra[0].key = "notifications_per_request";
		rows[i].extra[0].value = 1.5;
		rows[i].extra[1].key = "vm_exits_per_request";
		rows[i].extra[1].value = NAN; /* not measured: null in JSON */
	}
	return r;
}

static void run_ok(const char *cmd)
{
	int status = system(cmd);

	if (status != 0)
		ck_abort_msg("`%s` failed: status %d", cmd, status);
}

START_TEST(json_parses_and_says_what_was_not_measured)
{
	struct sweep_report r = report();
	char path[64], cmd[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/r.json", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	sweep_write_json(f, &r);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "python3 -m json.tool %s >/dev/null", path);
	run_ok(cmd);
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); "
		 "p=d[\"points\"]; assert len(p)==4, p; assert d[\"compare\"] is None; "
		 "assert all(x[\"baseline\"][\"median\"]>0 and x[\"ratio\"][\"n\"]==3 for x in p); "
		 "assert p[0][\"counts\"][\"vm_exits_per_request\"] is None; "
		 "assert p[1][\"value\"][\"median\"]==200' %s",
		 path);
	run_ok(cmd);
}
END_TEST

START_TEST(csv_has_one_column_count_and_a_header)
{
	struct sweep_report r = report();
	char line[1024];
	int cols = -1, lines = 0;
	FILE *f = tmpfile();

	ck_assert_ptr_nonnull(f);
	sweep_write_csv(f, &r);
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		int n = 1;
		bool quoted = false;

		for (char *c = line; *c; c++) {
			if (*c == '"')
				quoted = !quoted;
			n += *c == ',' && !quoted;
		}
		ck_assert(!quoted);
		if (cols < 0) {
			cols = n;
			ck_assert_ptr_nonnull(strstr(line, "ratio_median"));
			ck_assert_ptr_nonnull(strstr(line, "notifications_per_request"));
		}
		ck_assert_int_eq(n, cols);
		lines++;
	}
	ck_assert_int_eq(cols, 5 + 15 + 1 + 2);
	ck_assert_int_eq(lines, 5);
	fclose(f);
}
END_TEST

START_TEST(table_names_every_point)
{
	struct sweep_report r = report();
	char buf[4096] = "";
	FILE *f = tmpfile();

	sweep_write_table(f, &r);
	rewind(f);
	ck_assert_uint_gt(fread(buf, 1, sizeof(buf) - 1, f), 0);
	ck_assert_ptr_nonnull(strstr(buf, "persistent=off"));
	ck_assert_ptr_nonnull(strstr(buf, "bs=8k,qd=1"));
	ck_assert_ptr_nonnull(strstr(buf, "  0.250 ")); /* row 2: half of row 0 */
	fclose(f);
}
END_TEST

/* Width and height from a PNG's IHDR, or -1. */
static int png_size(const char *path, uint32_t *w, uint32_t *h)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	unsigned char b[24];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return -1;
	n = fread(b, 1, sizeof(b), f);
	fclose(f);
	if (n != sizeof(b) || memcmp(b, sig, 8) || memcmp(b + 8, "\0\0\0\rIHDR", 8))
		return -1;
	*w = (uint32_t)b[16] << 24 | (uint32_t)b[17] << 16 | (uint32_t)b[18] << 8 | b[19];
	*h = (uint32_t)b[20] << 24 | (uint32_t)b[21] << 16 | (uint32_t)b[22] << 8 | b[23];
	return 0;
}

START_TEST(plots_are_pngs_of_the_size_asked)
{
	struct sweep_report r = report();
	const char *what[] = { "throughput", "ratio" };
	char sub[64], path[128];
	uint32_t w, h;

	snprintf(sub, sizeof(sub), "%s/plots", dir);
	ck_assert_int_eq(sweep_write_plot(sub, &r, 640, 400, err, sizeof(err)), 0);
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/blk-%s.png", sub, what[i]);
		ck_assert_int_eq(png_size(path, &w, &h), 0);
		ck_assert_uint_eq(w, 640);
		ck_assert_uint_eq(h, 400);
	}
}
END_TEST

START_TEST(plot_refuses_what_it_cannot_draw)
{
	struct sweep_report r = report();
	char sub[64];

	ck_assert_int_eq(sweep_write_plot("/tmp/it's", &r, 640, 400, err, sizeof(err)), -EINVAL);
	snprintf(sub, sizeof(sub), "%s/r.json", dir); /* a file, not a directory */
	fclose(fopen(sub, "w"));
	ck_assert_int_eq(sweep_write_plot(sub, &r, 640, 400, err, sizeof(err)), -ENOTDIR);
	r.x_name = NULL;
	ck_assert_int_eq(sweep_write_plot(dir, &r, 640, 400, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "x axis"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sweep");
	TCase *tp = tcase_create("parse"), *ts = tcase_create("stats"),
	      *tw = tcase_create("writers");
	SRunner *sr;
	int failed;

	if (!mkdtemp(dir))
		return EXIT_FAILURE;
	tcase_add_test(tp, range_steps_by_powers_of_two);
	tcase_add_test(tp, range_ends_at_its_high_end);
	tcase_add_test(tp, defaults_fill_the_keys_left_out_and_points_enumerate);
	tcase_add_loop_test(tp, hostile_specs_get_an_error_naming_the_part, 0,
			    sizeof(hostile) / sizeof(hostile[0]));
	tcase_add_test(tp, a_spec_too_long_is_refused_whole);
	tcase_add_test(ts, statistics_median_quartiles_and_nan);
	tcase_add_test(ts, progress_line_estimates_the_time_left);
	tcase_add_test(ts, progress_is_quiet_when_piped);
	tcase_add_test(tw, json_parses_and_says_what_was_not_measured);
	tcase_add_test(tw, csv_has_one_column_count_and_a_header);
	tcase_add_test(tw, table_names_every_point);
	tcase_add_test(tw, plots_are_pngs_of_the_size_asked);
	tcase_add_test(tw, plot_refuses_what_it_cannot_draw);
	tcase_set_timeout(tw, 60);
	suite_add_tcase(s, tp);
	suite_add_tcase(s, ts);
	suite_add_tcase(s, tw);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
