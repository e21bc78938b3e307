// SPDX-License-Identifier: MIT
#include "bench.h"

static void bench_print_json(FILE *f, const struct bench_result *r)
{
	fprintf(f, "{\"name\": \"%s\", \"value\": %.6g, \"unit\": \"%s\", \"samples\": %u", r->name,
		r->value, r->unit, r->samples);
	if (r->baseline > 0)
		fprintf(f, ", \"baseline\": %.6g, \"baseline_name\": \"%s\", \"ratio\": %.6g",
			r->baseline, r->baseline_name, r->value / r->baseline);
	for (unsigned int i = 0; i < r->nr_extra; i++)
		fprintf(f, ", \"%s\": %.6g", r->extra[i].key, r->extra[i].value);
	fprintf(f, "}");
}

void bench_print(FILE *f, const struct bench_result *r, unsigned int n, bool json)
{
	unsigned int i;

	if (json) {
		if (n > 1)
			fprintf(f, "[");
		for (i = 0; i < n; i++) {
			if (i)
				fprintf(f, ",\n ");
			bench_print_json(f, &r[i]);
		}
		fprintf(f, n > 1 ? "]\n" : "\n");
		return;
	}
	for (i = 0; i < n; i++) {
		fprintf(f, "%-18s %10.3f %s", r[i].name, r[i].value, r[i].unit);
		if (r[i].baseline > 0)
			fprintf(f, "   baseline (%s) %.3f %s   ratio %.3f", r[i].baseline_name,
				r[i].baseline, r[i].unit, r[i].value / r[i].baseline);
		fprintf(f, "   [%u samples]\n", r[i].samples);
		for (unsigned int j = 0; j < r[i].nr_extra; j++)
			fprintf(f, "%s%s %.6g%s", j ? ", " : "    ", r[i].extra[j].key,
				r[i].extra[j].value, j + 1 == r[i].nr_extra ? "\n" : "");
	}
}
