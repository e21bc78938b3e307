// SPDX-License-Identifier: MIT
/* A sweep's report as a table, JSON or CSV (sweep.h); the plots are in sweep_plot.c. */
#include <math.h>
#include <string.h>

#include "sweep.h"

void sweep_report_machine(struct sweep_report *r)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[512];

	snprintf(r->machine, sizeof(r->machine), "unknown CPU");
	r->virtualized = false;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		colon[strcspn(colon, "\n")] = 0;
		if (!strncmp(line, "model name", 10))
			snprintf(r->machine, sizeof(r->machine), "%s", colon + 2);
		if (!strncmp(line, "flags", 5) && strstr(colon, " hypervisor"))
			r->virtualized = true;
	}
	fclose(f);
}

/* Strings here are ours (spec words, names), but quote them right anyway. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* JSON has no NaN: null stands for a figure that was not measured. */
static void json_num(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		fprintf(f, "null");
	else
		fprintf(f, "%.6g", v);
}

static void json_stat(FILE *f, const char *key, const struct sweep_stat *st)
{
	fprintf(f, "\"%s\": {\"median\": ", key);
	json_num(f, st->median);
	fprintf(f, ", \"min\": ");
	json_num(f, st->min);
	fprintf(f, ", \"max\": ");
	json_num(f, st->max);
	fprintf(f, ", \"q1\": ");
	json_num(f, st->q1);
	fprintf(f, ", \"q3\": ");
	json_num(f, st->q3);
	fprintf(f, ", \"n\": %u}", st->n);
}

void sweep_write_json(FILE *f, const struct sweep_report *r)
{
	fprintf(f, "{\"bench\": ");
	json_str(f, r->bench);
	fprintf(f, ", \"spec\": ");
	json_str(f, r->spec);
	fprintf(f, ", \"compare\": ");
	if (r->compare)
		json_str(f, r->compare);
	else
		fprintf(f, "null");
	fprintf(f, ", \"unit\": ");
	json_str(f, r->unit);
	fprintf(f, ", \"baseline_name\": ");
	json_str(f, r->baseline_name);
	fprintf(f, ", \"x\": ");
	if (r->x_name)
		json_str(f, r->x_name);
	else
		fprintf(f, "null");
	fprintf(f, ", \"runs\": %u, \"machine\": ", r->runs);
	json_str(f, r->machine);
	fprintf(f, ", \"virtualized\": %s,\n \"points\": [", r->virtualized ? "true" : "false");
	for (unsigned int i = 0; i < r->nr_rows; i++) {
		const struct sweep_row *w = &r->rows[i];

		fprintf(f, "%s\n  {\"config\": ", i ? "," : "");
		json_str(f, w->config);
		fprintf(f, ", \"point\": ");
		json_str(f, w->point);
		fprintf(f, ", \"x\": ");
		json_num(f, w->x);
		fprintf(f, ", ");
		json_stat(f, "value", &w->value);
		fprintf(f, ", ");
		json_stat(f, "baseline", &w->baseline);
		fprintf(f, ", ");
		json_stat(f, "ratio", &w->ratio);
		fprintf(f, ", \"counts\": {");
		for (unsigned int k = 0; k < w->nr_extra; k++) {
			fprintf(f, "%s", k ? ", " : "");
			json_str(f, w->extra[k].key);
			fprintf(f, ": ");
			json_num(f, w->extra[k].value);
		}
		fprintf(f, "}}");
	}
	fprintf(f, "\n ]}\n");
}

/* Every row has the same counts in the same order (one benchmark's), so the first names them. */
void sweep_write_csv(FILE *f, const struct sweep_report *r)
{
	static const char *const stats[] = { "median", "min", "max", "q1", "q3" };
	const char *what[] = { "value", "baseline", "ratio" };
	unsigned int nx = r->nr_rows ? r->rows[0].nr_extra : 0;

	fprintf(f, "bench,config,point,x,unit");
	for (unsigned int w = 0; w < 3; w++)
		for (unsigned int s = 0; s < 5; s++)
			fprintf(f, ",%s_%s", what[w], stats[s]);
	fprintf(f, ",runs");
	for (unsigned int k = 0; k < nx; k++)
		fprintf(f, ",%s", r->rows[0].extra[k].key);
	fprintf(f, "\n");
	for (unsigned int i = 0; i < r->nr_rows; i++) {
		const struct sweep_row *row = &r->rows[i];
		const struct sweep_stat *st[3] = { &row->value, &row->baseline, &row->ratio };

		/* Points are KEY=V joined by ','; quoted, as CSV asks. */
		fprintf(f, "%s,%s,\"%s\",%.6g,%s", r->bench, row->config, row->point, row->x,
			r->unit);
		for (unsigned int w = 0; w < 3; w++)
			fprintf(f, ",%.6g,%.6g,%.6g,%.6g,%.6g", st[w]->median, st[w]->min,
				st[w]->max, st[w]->q1, st[w]->q3);
		fprintf(f, ",%u", row->value.n);
		for (unsigned int k = 0; k < nx; k++)
			fprintf(f, ",%.6g", k < row->nr_extra ? row->extra[k].value : NAN);
		fprintf(f, "\n");
	}
}

void sweep_write_table(FILE *f, const struct sweep_report *r)
{
	fprintf(f, "%s sweep '%s'%s%s%s, %u run%s per point; %s beside %s (%s%s)\n", r->bench,
		r->spec, r->compare ? " compare '" : "", r->compare ? r->compare : "",
		r->compare ? "'" : "", r->runs, r->runs == 1 ? "" : "s", r->unit, r->baseline_name,
		r->machine, r->virtualized ? ", under a hypervisor" : "");
	fprintf(f, "%-16s %-40s %11s %17s %11s %7s %13s\n", "config", "point", "median", "min..max",
		"baseline", "ratio", "ratio min..max");
	for (unsigned int i = 0; i < r->nr_rows; i++) {
		const struct sweep_row *w = &r->rows[i];
		char range[40], rrange[40];

		snprintf(range, sizeof(range), "%.4g..%.4g", w->value.min, w->value.max);
		snprintf(rrange, sizeof(rrange), "%.3g..%.3g", w->ratio.min, w->ratio.max);
		fprintf(f, "%-16s %-40s %11.4g %17s %11.4g %7.3f %13s\n", w->config, w->point,
			w->value.median, range, w->baseline.median, w->ratio.median, rrange);
		for (unsigned int k = 0; k < w->nr_extra; k++)
			fprintf(f, "%s%s %.4g%s", k ? ", " : "    ", w->extra[k].key,
				w->extra[k].value, k + 1 == w->nr_extra ? "\n" : "");
	}
}
