// SPDX-License-Identifier: MIT
/*
 * A sweep's plots through gnuplot: throughput (guest and host baseline) and
 * the ratio against the swept parameter, one line per series (a configuration
 * and the values of the other keys), error bars from min to max over the runs.
 * The data and script stay beside the PNG files, so a plot can be redrawn or
 * drawn on another machine (`gnuplot DIR/<bench>.gp`).
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "errmsg.h"
#include "sweep.h"

extern char **environ;

#define PLOT_MAX_SERIES SWEEP_MAX_POINTS

/* Index of every row's series among the distinct ones, in order of first appearance. */
static unsigned int plot_series(const struct sweep_report *r, unsigned int *of_row,
				unsigned int *first_row)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < r->nr_rows; i++) {
		unsigned int s;

		for (s = 0; s < n; s++)
			if (!strcmp(r->rows[first_row[s]].series, r->rows[i].series))
				break;
		if (s == n)
			first_row[n++] = i;
		of_row[i] = s;
	}
	return n;
}

/* A title in gnuplot's single quotes: a quote would end it, so it becomes '_'. */
static void gp_title(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++)
		fputc(*s == '\'' ? '_' : *s, f);
	fputc('\'', f);
}

static int write_data(const char *path, const struct sweep_report *r, const unsigned int *of_row,
		      unsigned int nr_series)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	/* Blocks (gnuplot's index) per series, rows sorted by x within each. */
	for (unsigned int s = 0; s < nr_series; s++) {
		double last = -INFINITY;

		fprintf(f, "%s# series %u\n", s ? "\n\n" : "", s);
		for (;;) {
			const struct sweep_row *next = NULL;

			for (unsigned int i = 0; i < r->nr_rows; i++)
				if (of_row[i] == s && r->rows[i].x > last &&
				    (!next || r->rows[i].x < next->x))
					next = &r->rows[i];
			if (!next)
				break;
			last = next->x;
			fprintf(f, "%.6g %.6g %.6g %.6g %.6g %.6g %.6g %.6g %.6g %.6g\n", next->x,
				next->value.median, next->value.min, next->value.max,
				next->ratio.median, next->ratio.min, next->ratio.max,
				next->baseline.median, next->baseline.min, next->baseline.max);
		}
	}
	return fclose(f) ? -errno : 0;
}

static void write_one_plot(FILE *f, const char *dir, const struct sweep_report *r, const char *what,
			   const unsigned int *first_row, unsigned int nr_series)
{
	bool ratio = !strcmp(what, "ratio");
	char title[sizeof(r->rows[0].series) + 8];

	fprintf(f, "set output '%s/%s-%s.png'\n", dir, r->bench, what);
	fprintf(f, "set title '%s: %s against %s'\n", r->bench,
		ratio ? "guest / host" : "throughput", r->x_name);
	fprintf(f, "set ylabel '%s'\n", ratio ? "ratio (guest / host)" : r->unit);
	fprintf(f, "plot ");
	for (unsigned int s = 0; s < nr_series; s++) {
		fprintf(f, "%s'%s/%s.dat' index %u using 1:%s with yerrorlines lw 2 title ",
			s ? ", " : "", dir, r->bench, s, ratio ? "5:6:7" : "2:3:4");
		gp_title(f, r->rows[first_row[s]].series);
	}
	/*
	 * The host's own figure does not depend on the configuration: one line per
	 * value of the other keys, from the first series that has it.
	 */
	if (ratio) {
		fprintf(f, ", 1 with lines dashtype 2 lc rgb 'gray' title 'host'\n");
		return;
	}
	for (unsigned int s = 0; s < nr_series; s++) {
		const char *other = r->rows[first_row[s]].other;
		bool dup = false;

		for (unsigned int e = 0; e < s && !dup; e++)
			dup = !strcmp(r->rows[first_row[e]].other, other);
		if (dup)
			continue;
		fprintf(f, ", '%s/%s.dat' index %u using 1:8 with lines dashtype 2 title ", dir,
			r->bench, s);
		snprintf(title, sizeof(title), "host%s%s", *other ? " " : "", other);
		gp_title(f, title);
	}
	fprintf(f, "\n");
}

/* Tics at the swept values, written as the spec writes them (4k, 1M) for sizes. */
static void write_xtics(FILE *f, const struct sweep_report *r)
{
	static double seen[SWEEP_MAX_POINTS];
	unsigned int n = 0;

	fprintf(f, "set xtics (");
	for (unsigned int i = 0; i < r->nr_rows && n < SWEEP_MAX_POINTS; i++) {
		char label[32];
		unsigned int j;

		for (j = 0; j < n && seen[j] != r->rows[i].x; j++)
			;
		if (j < n || isnan(r->rows[i].x))
			continue;
		seen[n] = r->rows[i].x;
		sweep_fmt_num(label, sizeof(label), r->x_is_size ? SWEEP_SIZE : SWEEP_COUNT,
			      (uint64_t)r->rows[i].x);
		fprintf(f, "%s'%s' %.17g", n++ ? ", " : "", label, r->rows[i].x);
	}
	fprintf(f, ")\n");
}

static int run_gnuplot(const char *script, char *err, size_t errlen)
{
	char *argv[] = { "gnuplot", (char *)script, NULL };
	int ret, status;
	pid_t pid;

	ret = posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ);
	if (ret)
		return errmsg_set(err, errlen, -ret,
				  "cannot run gnuplot (%s): install gnuplot-nox, or draw the plots "
				  "elsewhere with `gnuplot %s`",
				  strerror(ret), script);
	if (waitpid(pid, &status, 0) < 0)
		return errmsg_set(err, errlen, -errno, "gnuplot: lost it");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return errmsg_set(err, errlen, -EIO, "`gnuplot %s` failed (status %d)", script,
				  status);
	return 0;
}

int sweep_write_plot(const char *dir, const struct sweep_report *r, unsigned int width,
		     unsigned int height, char *err, size_t errlen)
{
	static unsigned int of_row[SWEEP_MAX_POINTS * 4], first_row[SWEEP_MAX_POINTS * 4];
	char data[PATH_MAX], script[PATH_MAX];
	unsigned int nr_series;
	struct stat st;
	FILE *f;
	int n, ret;

	if (!r->x_name)
		return errmsg_set(
			err, errlen, -EINVAL,
			"--plot needs a key with several numbers in --sweep (the x axis)");
	if (!r->nr_rows || r->nr_rows > sizeof(of_row) / sizeof(of_row[0]))
		return errmsg_set(err, errlen, -EINVAL, "--plot: %u points", r->nr_rows);
	if (strchr(dir, '\'') || strchr(dir, '\n'))
		return errmsg_set(err, errlen, -EINVAL, "--plot '%s': no quotes or newlines", dir);
	if (mkdir(dir, 0755) && errno != EEXIST)
		return errmsg_set(err, errlen, -errno, "--plot: cannot make %s: %s", dir,
				  strerror(errno));
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return errmsg_set(err, errlen, -ENOTDIR, "--plot: %s is not a directory", dir);
	n = snprintf(data, sizeof(data), "%s/%s.dat", dir, r->bench);
	if (n < 0 || (size_t)n >= sizeof(data))
		return errmsg_set(err, errlen, -ENAMETOOLONG, "--plot: %s: too long", dir);
	snprintf(script, sizeof(script), "%s/%s.gp", dir, r->bench);
	nr_series = plot_series(r, of_row, first_row);
	ret = write_data(data, r, of_row, nr_series);
	if (ret)
		return errmsg_set(err, errlen, ret, "--plot: cannot write %s: %s", data,
				  strerror(-ret));
	f = fopen(script, "we");
	if (!f)
		return errmsg_set(err, errlen, -errno, "--plot: cannot write %s: %s", script,
				  strerror(errno));
	fprintf(f, "# %s sweep '%s' (%s%s), %u runs: error bars span min..max\n", r->bench, r->spec,
		r->machine, r->virtualized ? ", under a hypervisor" : "", r->runs);
	fprintf(f, "set terminal pngcairo size %u,%u noenhanced\n", width, height);
	fprintf(f, "set logscale x 2\nset grid\nset key below\nset xlabel '%s'\n", r->x_name);
	write_xtics(f, r);
	fprintf(f, "set yrange [0:*]\nset offsets graph 0.05, graph 0.05, 0, 0\n");
	write_one_plot(f, dir, r, "throughput", first_row, nr_series);
	write_one_plot(f, dir, r, "ratio", first_row, nr_series);
	if (fclose(f))
		return errmsg_set(err, errlen, -EIO, "--plot: cannot write %s", script);
	return run_gnuplot(script, err, errlen);
}
