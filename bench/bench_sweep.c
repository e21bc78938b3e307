// SPDX-License-Identifier: MIT
/* The frame of svctl bench blk|net --sweep: specs in, rows and reports out. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "bench_sweep.h"

int sweep_setup(const struct bench_sweep_opts *o, const char *bench, const struct sweep_key *keys,
		unsigned int nr_keys, const struct sweep_key *cmp_keys, unsigned int nr_cmp_keys,
		sweep_check_fn *check, struct sweep_spec *points, struct sweep_spec *configs,
		struct sweep_samples **samples)
{
	char err[512];
	size_t n;

	if (sweep_parse(o->spec, keys, nr_keys, points, err, sizeof(err))) {
		fprintf(stderr, "svctl bench %s: %s\n", bench, err);
		return EX_USAGE;
	}
	if (o->compare && !nr_cmp_keys) {
		fprintf(stderr, "svctl bench %s: --compare: no configuration can be switched yet\n",
			bench);
		return EX_USAGE;
	}
	/* No --compare: the configuration keys at their defaults, one configuration. */
	if (nr_cmp_keys) {
		const char *spec = o->compare;
		char dflt[64];

		if (!spec) {
			snprintf(dflt, sizeof(dflt), "%s=%s", cmp_keys[0].name,
				 cmp_keys[0].dflt_word);
			spec = dflt;
		}
		if (sweep_parse(spec, cmp_keys, nr_cmp_keys, configs, err, sizeof(err))) {
			/* The parser names --sweep; this is --compare. */
			fprintf(stderr, "svctl bench %s: --compare%s\n", bench,
				strncmp(err, "--sweep", 7) ? err : err + 7);
			return EX_USAGE;
		}
		for (unsigned int j = 0; !o->compare && j < configs->nr_dims; j++)
			configs->dim[j].given = false;
	} else {
		memset(configs, 0, sizeof(*configs));
		configs->nr_points = 1;
	}
	n = (size_t)points->nr_points * configs->nr_points;
	if (n > SWEEP_MAX_POINTS) {
		fprintf(stderr, "svctl bench %s: %u points in %u configurations: more than %u\n",
			bench, points->nr_points, configs->nr_points, SWEEP_MAX_POINTS);
		return EX_USAGE;
	}
	if (check && check(o, points))
		return EX_USAGE;
	if (sv_kvm_probe(err, sizeof(err))) {
		fprintf(stderr, "svctl bench %s: %s\n", bench, err);
		return EX_UNAVAILABLE;
	}
	*samples = malloc(n * sizeof(**samples));
	if (!*samples) {
		fprintf(stderr, "svctl bench %s: out of memory\n", bench);
		return EX_SOFTWARE;
	}
	for (size_t i = 0; i < n; i++) {
		struct sweep_samples *s = &(*samples)[i];

		for (unsigned int r = 0; r < SWEEP_MAX_RUNS; r++) {
			s->value[r] = s->baseline[r] = NAN;
			for (unsigned int k = 0; k < SWEEP_MAX_EXTRA; k++)
				s->extra[k][r] = NAN;
		}
	}
	return 0;
}

/* Only the configuration keys that --compare names (all of them when it names none). */
static void config_name(const struct sweep_spec *configs, unsigned int c, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (unsigned int j = 0; j < configs->nr_dims; j++) {
		const struct sweep_dim *d = &configs->dim[j];
		char v[32];
		int n;

		if (!d->given)
			continue;
		if (d->key->kind == SWEEP_WORD)
			snprintf(v, sizeof(v), "%s", d->word[sweep_index(configs, c, j)]);
		else
			sweep_fmt_num(v, sizeof(v), d->key->kind,
				      d->num[sweep_index(configs, c, j)]);
		n = snprintf(buf + off, len - off, "%s%s=%s", off ? "," : "", d->key->name, v);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
	if (!off)
		snprintf(buf, len, "default");
}

int sweep_finish(const struct bench_sweep_opts *o, struct sweep_report *r,
		 const struct sweep_spec *points, const struct sweep_spec *configs,
		 const struct sweep_samples *samples, const char *const *extra_keys,
		 unsigned int nr_extra)
{
	const struct sweep_dim *x = sweep_x_dim(points);
	unsigned int n = points->nr_points * configs->nr_points;
	char err[512];
	int ret = 0;

	r->spec = o->spec;
	r->compare = o->compare;
	r->runs = o->runs;
	r->x_name = x ? x->key->name : NULL;
	r->x_is_size = x && x->key->kind == SWEEP_SIZE;
	r->nr_rows = n;
	r->rows = calloc(n, sizeof(*r->rows));
	if (!r->rows) {
		fprintf(stderr, "svctl bench %s: out of memory\n", r->bench);
		return EX_SOFTWARE;
	}
	sweep_report_machine(r);
	for (unsigned int c = 0; c < configs->nr_points; c++) {
		for (unsigned int p = 0; p < points->nr_points; p++) {
			unsigned int i = c * points->nr_points + p;
			const struct sweep_samples *s = &samples[i];
			struct sweep_row *w = &r->rows[i];
			double ratio[SWEEP_MAX_RUNS];

			config_name(configs, c, w->config, sizeof(w->config));
			if (sweep_point_name(points, p, NULL, w->point, sizeof(w->point)))
				snprintf(w->point, sizeof(w->point), "point %u", p);
			if (sweep_point_label(points, p, x, w->other, sizeof(w->other)))
				w->other[0] = 0;
			/* A plot's legend names only what tells its lines apart. */
			if (configs->nr_points > 1 || !*w->other)
				snprintf(w->series, sizeof(w->series), "%s%s%s", w->config,
					 *w->other ? " " : "", w->other);
			else
				snprintf(w->series, sizeof(w->series), "%s", w->other);
			w->x = x ? (double)x->num[sweep_index(points, p,
							      (unsigned int)(x - points->dim))]
				 : NAN;
			/* Each run's ratio against the baseline of that same run. */
			for (unsigned int k = 0; k < o->runs; k++)
				ratio[k] = s->baseline[k] > 0 ? s->value[k] / s->baseline[k] : NAN;
			sweep_stat(s->value, o->runs, &w->value);
			sweep_stat(s->baseline, o->runs, &w->baseline);
			sweep_stat(ratio, o->runs, &w->ratio);
			for (unsigned int k = 0; k < nr_extra && k < SWEEP_MAX_EXTRA; k++) {
				struct sweep_stat st;

				sweep_stat(s->extra[k], o->runs, &st);
				w->extra[w->nr_extra].key = extra_keys[k];
				w->extra[w->nr_extra++].value = st.median;
			}
		}
	}
	if (o->json)
		sweep_write_json(stdout, r);
	else if (o->csv)
		sweep_write_csv(stdout, r);
	else
		sweep_write_table(stdout, r);
	fflush(stdout);
	if (o->plot_dir && sweep_write_plot(o->plot_dir, r, 800, 500, err, sizeof(err))) {
		fprintf(stderr, "svctl bench %s: %s\n", r->bench, err);
		ret = EX_SOFTWARE;
	}
	free(r->rows);
	r->rows = NULL;
	return ret;
}
