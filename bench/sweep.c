// SPDX-License-Identifier: MIT
/* The sweep spec parser, statistics over runs and the progress line (sweep.h). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errmsg.h"
#include "sweep.h"
#include "util.h"

/* One number of a size or count; *end past it. 0 or -EINVAL. */
static int parse_num(const char *s, enum sweep_kind kind, uint64_t *out, const char **end)
{
	uint64_t v = 0, mul = 1;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (kind == SWEEP_SIZE && *s) {
		switch (*s) {
		case 'k':
		case 'K':
			mul = 1ull << 10;
			break;
		case 'm':
		case 'M':
			mul = 1ull << 20;
			break;
		case 'g':
		case 'G':
			mul = 1ull << 30;
			break;
		default:
			mul = 0;
		}
		if (mul)
			s++;
		else
			mul = 1;
	}
	if (v && mul > UINT64_MAX / v)
		return -EINVAL;
	*out = v * mul;
	*end = s;
	return 0;
}

static const struct sweep_key *find_key(const struct sweep_key *keys, unsigned int n,
					const char *name, size_t len)
{
	for (unsigned int i = 0; i < n; i++)
		if (strlen(keys[i].name) == len && !strncmp(keys[i].name, name, len))
			return &keys[i];
	return NULL;
}

static int add_num(struct sweep_dim *d, uint64_t v, const char *part, char *err, size_t errlen)
{
	const struct sweep_key *k = d->key;

	if (v < k->min || v > k->max)
		return errmsg_set(err, errlen, -EINVAL,
				  "--sweep: '%s': %s must be %" PRIu64 "..%" PRIu64 " (got %" PRIu64
				  ")",
				  part, k->name, k->min, k->max, v);
	for (unsigned int i = 0; i < d->n; i++)
		if (d->num[i] == v)
			return errmsg_set(err, errlen, -EINVAL,
					  "--sweep: '%s': %s %" PRIu64 " appears twice", part,
					  k->name, v);
	if (d->n == SWEEP_MAX_VALUES)
		return errmsg_set(err, errlen, -EINVAL, "--sweep: '%s': more than %u values of %s",
				  part, SWEEP_MAX_VALUES, k->name);
	d->num[d->n++] = v;
	return 0;
}

/* "lo..hi": lo, 2lo, 4lo, ... and hi itself. */
static int parse_range(struct sweep_dim *d, const char *v, const char *part, char *err,
		       size_t errlen)
{
	uint64_t lo, hi, x;
	const char *e;
	int ret;

	if (parse_num(v, d->key->kind, &lo, &e) || strncmp(e, "..", 2) ||
	    parse_num(e + 2, d->key->kind, &hi, &e) || *e)
		return errmsg_set(err, errlen, -EINVAL,
				  "--sweep: '%s': a range is LOW..HIGH, two numbers%s", part,
				  d->key->kind == SWEEP_SIZE ? " (k, M, G allowed)" : "");
	if (!lo || lo > hi)
		return errmsg_set(err, errlen, -EINVAL,
				  "--sweep: '%s': a range needs 0 < LOW <= HIGH", part);
	for (x = lo; x < hi; x *= 2) {
		ret = add_num(d, x, part, err, errlen);
		if (ret)
			return ret;
		if (x > UINT64_MAX / 2)
			break;
	}
	return add_num(d, hi, part, err, errlen);
}

static int parse_list(struct sweep_dim *d, const char *v, const char *part, char *err,
		      size_t errlen)
{
	const struct sweep_key *k = d->key;
	const char *p = v, *bar;
	size_t len;
	int ret;

	for (;;) {
		bar = strchr(p, '|');
		len = bar ? (size_t)(bar - p) : strlen(p);
		if (!len)
			return errmsg_set(err, errlen, -EINVAL, "--sweep: '%s': an empty value",
					  part);
		if (k->kind == SWEEP_WORD) {
			unsigned int w;

			for (w = 0; k->words[w]; w++)
				if (strlen(k->words[w]) == len && !strncmp(k->words[w], p, len))
					break;
			if (!k->words[w])
				return errmsg_set(err, errlen, -EINVAL,
						  "--sweep: '%s': '%.*s' is not a value of %s",
						  part, (int)(len > 32 ? 32 : len), p, k->name);
			for (unsigned int i = 0; i < d->n; i++)
				if (!strcmp(d->word[i], k->words[w]))
					return errmsg_set(err, errlen, -EINVAL,
							  "--sweep: '%s': %s appears twice", part,
							  k->words[w]);
			if (d->n == SWEEP_MAX_VALUES)
				return errmsg_set(err, errlen, -EINVAL,
						  "--sweep: '%s': more than %u values", part,
						  SWEEP_MAX_VALUES);
			snprintf(d->word[d->n++], SWEEP_WORD_MAX, "%s", k->words[w]);
		} else {
			uint64_t x;
			const char *e;

			if (parse_num(p, k->kind, &x, &e) || (size_t)(e - p) != len)
				return errmsg_set(err, errlen, -EINVAL,
						  "--sweep: '%s': '%.*s' is not a number%s", part,
						  (int)(len > 32 ? 32 : len), p,
						  k->kind == SWEEP_SIZE ? " (k, M, G allowed)"
									: "");
			ret = add_num(d, x, part, err, errlen);
			if (ret)
				return ret;
		}
		if (!bar)
			return 0;
		p = bar + 1;
	}
}

static int parse_part(struct sweep_spec *s, const struct sweep_key *keys, unsigned int nr_keys,
		      const char *part, char *err, size_t errlen)
{
	const char *eq = strchr(part, '=');
	const struct sweep_key *k;
	struct sweep_dim *d;

	if (!eq || eq == part)
		return errmsg_set(err, errlen, -EINVAL, "--sweep: '%s': expected KEY=VALUES", part);
	k = find_key(keys, nr_keys, part, (size_t)(eq - part));
	if (!k) {
		char known[128] = "";

		for (unsigned int i = 0; i < nr_keys; i++)
			snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s",
				 i ? ", " : "", keys[i].name);
		return errmsg_set(err, errlen, -EINVAL, "--sweep: '%s': unknown key (known: %s)",
				  part, known);
	}
	for (unsigned int i = 0; i < s->nr_dims; i++)
		if (s->dim[i].key == k)
			return errmsg_set(err, errlen, -EINVAL, "--sweep: '%s': %s is given twice",
					  part, k->name);
	d = &s->dim[s->nr_dims++];
	d->key = k;
	d->given = true;
	if (k->kind != SWEEP_WORD && strstr(eq + 1, ".."))
		return parse_range(d, eq + 1, part, err, errlen);
	return parse_list(d, eq + 1, part, err, errlen);
}

int sweep_parse(const char *text, const struct sweep_key *keys, unsigned int nr_keys,
		struct sweep_spec *s, char *err, size_t errlen)
{
	char buf[SWEEP_SPEC_MAX + 1], *part, *save = NULL;
	uint64_t points = 1;
	int ret;

	memset(s, 0, sizeof(*s));
	if (nr_keys > SWEEP_MAX_KEYS)
		return errmsg_set(err, errlen, -EINVAL, "--sweep: too many keys");
	if (!text || !*text)
		return errmsg_set(err, errlen, -EINVAL, "--sweep: empty spec");
	if (strlen(text) > SWEEP_SPEC_MAX)
		return errmsg_set(err, errlen, -EINVAL, "--sweep: longer than %u characters",
				  SWEEP_SPEC_MAX);
	for (const char *c = text; *c; c++)
		if (*c <= ' ' || *c > '~')
			return errmsg_set(err, errlen, -EINVAL,
					  "--sweep: character %zu is a space or not printable",
					  (size_t)(c - text) + 1);
	if (text[strlen(text) - 1] == ',' || text[0] == ',' || strstr(text, ",,"))
		return errmsg_set(err, errlen, -EINVAL, "--sweep: '%s': an empty part", text);
	memcpy(buf, text, strlen(text) + 1);
	for (part = strtok_r(buf, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
		ret = parse_part(s, keys, nr_keys, part, err, errlen);
		if (ret)
			return ret;
	}
	for (unsigned int i = 0; i < nr_keys; i++) {
		struct sweep_dim *d;
		bool seen = false;

		for (unsigned int j = 0; j < s->nr_dims; j++)
			seen |= s->dim[j].key == &keys[i];
		if (seen)
			continue;
		d = &s->dim[s->nr_dims++];
		d->key = &keys[i];
		d->n = 1;
		if (keys[i].kind == SWEEP_WORD)
			snprintf(d->word[0], SWEEP_WORD_MAX, "%s", keys[i].dflt_word);
		else
			d->num[0] = keys[i].dflt;
	}
	for (unsigned int j = 0; j < s->nr_dims; j++) {
		points *= s->dim[j].n;
		if (points > SWEEP_MAX_POINTS)
			return errmsg_set(err, errlen, -EINVAL,
					  "--sweep: more than %u points (combinations)",
					  SWEEP_MAX_POINTS);
	}
	s->nr_points = (unsigned int)points;
	return 0;
}

unsigned int sweep_index(const struct sweep_spec *s, unsigned int p, unsigned int d)
{
	for (unsigned int j = s->nr_dims; j-- > d + 1;)
		p /= s->dim[j].n;
	return p % s->dim[d].n;
}

const struct sweep_dim *sweep_dim(const struct sweep_spec *s, const char *name)
{
	for (unsigned int j = 0; j < s->nr_dims; j++)
		if (!strcmp(s->dim[j].key->name, name))
			return &s->dim[j];
	return NULL;
}

uint64_t sweep_num(const struct sweep_spec *s, unsigned int p, const char *name)
{
	const struct sweep_dim *d = sweep_dim(s, name);

	return d ? d->num[sweep_index(s, p, (unsigned int)(d - s->dim))] : 0;
}

const char *sweep_word(const struct sweep_spec *s, unsigned int p, const char *name)
{
	const struct sweep_dim *d = sweep_dim(s, name);

	return d ? d->word[sweep_index(s, p, (unsigned int)(d - s->dim))] : "";
}

const struct sweep_dim *sweep_x_dim(const struct sweep_spec *s)
{
	for (unsigned int j = 0; j < s->nr_dims; j++)
		if (s->dim[j].key->kind != SWEEP_WORD && s->dim[j].n > 1)
			return &s->dim[j];
	return NULL;
}

void sweep_fmt_num(char *buf, size_t len, enum sweep_kind kind, uint64_t v)
{
	static const char suffix[] = "kMG";
	int i = -1;

	while (kind == SWEEP_SIZE && v >= 1024 && !(v % 1024) && i < 2) {
		v /= 1024;
		i++;
	}
	if (i >= 0)
		snprintf(buf, len, "%" PRIu64 "%c", v, suffix[i]);
	else
		snprintf(buf, len, "%" PRIu64, v);
}

static int point_name(const struct sweep_spec *s, unsigned int p, const struct sweep_dim *skip,
		      bool varying_only, char *buf, size_t len)
{
	size_t off = 0;
	int n;

	if (!len)
		return -ENOSPC;
	buf[0] = 0;
	for (unsigned int j = 0; j < s->nr_dims; j++) {
		const struct sweep_dim *d = &s->dim[j];
		unsigned int i = sweep_index(s, p, j);
		char v[32];

		if (d == skip || (varying_only && d->n < 2))
			continue;
		if (d->key->kind == SWEEP_WORD)
			snprintf(v, sizeof(v), "%s", d->word[i]);
		else
			sweep_fmt_num(v, sizeof(v), d->key->kind, d->num[i]);
		n = snprintf(buf + off, len - off, "%s%s=%s", off ? "," : "", d->key->name, v);
		if (n < 0 || (size_t)n >= len - off)
			return -ENOSPC;
		off += (size_t)n;
	}
	return 0;
}

int sweep_point_name(const struct sweep_spec *s, unsigned int p, const struct sweep_dim *skip,
		     char *buf, size_t len)
{
	return point_name(s, p, skip, false, buf, len);
}

int sweep_point_label(const struct sweep_spec *s, unsigned int p, const struct sweep_dim *skip,
		      char *buf, size_t len)
{
	return point_name(s, p, skip, true, buf, len);
}

/* ---- statistics ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The q-quantile of sorted v by linear interpolation between closest ranks. */
static double quantile(const double *v, unsigned int n, double q)
{
	double pos = q * (n - 1);
	unsigned int i = (unsigned int)pos;

	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (v[i + 1] - v[i]) * (pos - i);
}

void sweep_stat(const double *v, unsigned int n, struct sweep_stat *st)
{
	double sorted[SWEEP_MAX_POINTS];
	unsigned int m = 0;

	for (unsigned int i = 0; i < n && m < SWEEP_MAX_POINTS; i++)
		if (!isnan(v[i]))
			sorted[m++] = v[i];
	st->n = m;
	if (!m) {
		st->median = st->min = st->max = st->q1 = st->q3 = NAN;
		return;
	}
	qsort(sorted, m, sizeof(sorted[0]), cmp_double);
	st->min = sorted[0];
	st->max = sorted[m - 1];
	st->median = quantile(sorted, m, 0.5);
	st->q1 = quantile(sorted, m, 0.25);
	st->q3 = quantile(sorted, m, 0.75);
}

/* ---- progress ---- */

void sweep_progress_init(struct sweep_progress *p, FILE *f, unsigned int total)
{
	p->f = f && isatty(fileno(f)) ? f : NULL;
	p->total = total;
	p->done = 0;
	p->t0_ns = util_now_ns();
}

void sweep_progress_format(char *buf, size_t len, unsigned int done, unsigned int total,
			   uint64_t elapsed_ns, const char *what)
{
	char eta[32] = "";

	if (done && done < total) {
		uint64_t left_s = elapsed_ns / done * (total - done) / 1000000000ull;

		if (left_s >= 3600)
			snprintf(eta, sizeof(eta), "  ~%" PRIu64 "h%02" PRIu64 "m left",
				 left_s / 3600, left_s / 60 % 60);
		else if (left_s >= 60)
			snprintf(eta, sizeof(eta), "  ~%" PRIu64 "m%02" PRIu64 "s left",
				 left_s / 60, left_s % 60);
		else
			snprintf(eta, sizeof(eta), "  ~%" PRIu64 "s left", left_s);
	}
	snprintf(buf, len, "[%u/%u] %s%s", done + 1 > total ? total : done + 1, total, what, eta);
}

void sweep_progress_step(struct sweep_progress *p, unsigned int done, const char *what)
{
	char line[256];

	p->done = done;

	if (!p->f)
		return;
	sweep_progress_format(line, sizeof(line), p->done, p->total, util_now_ns() - p->t0_ns,
			      what);
	fprintf(p->f, "\r%s\033[K", line);
	fflush(p->f);
}

void sweep_progress_done(struct sweep_progress *p)
{
	if (p->f)
		fprintf(p->f, "\r\033[K");
}
