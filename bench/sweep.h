/* SPDX-License-Identifier: MIT */
/*
 * Parameter sweeps of the benchmarks: a spec such as
 * "bs=4k..1M,qd=1..128,rw=read|write" names, per key, a range that steps by
 * powers of two or a list split by '|'. The points are every combination.
 * Statistics over repeated runs, report writers (table, JSON, CSV, gnuplot
 * PNG) and a progress line live here too, apart from any benchmark, so they
 * are tested without a guest.
 */
#ifndef SV_SWEEP_H
#define SV_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SWEEP_SPEC_MAX	 512u /* characters of a spec */
#define SWEEP_MAX_KEYS	 8u
#define SWEEP_MAX_VALUES 16u  /* per key */
#define SWEEP_MAX_POINTS 512u /* combinations */
#define SWEEP_WORD_MAX	 16u

enum sweep_kind {
	SWEEP_SIZE,  /* bytes: 4k, 1M, 1G (powers of 1024) or plain */
	SWEEP_COUNT, /* a plain number */
	SWEEP_WORD,  /* one of words[] */
};

/* A key a benchmark accepts; its default is its one value when the spec leaves it out. */
struct sweep_key {
	const char *name;
	enum sweep_kind kind;
	uint64_t min, max;	  /* numbers */
	const char *const *words; /* SWEEP_WORD: NULL-terminated */
	uint64_t dflt;
	const char *dflt_word;
};

struct sweep_dim {
	const struct sweep_key *key;
	unsigned int n;
	bool given; /* named in the spec (else its default) */
	uint64_t num[SWEEP_MAX_VALUES];
	char word[SWEEP_MAX_VALUES][SWEEP_WORD_MAX];
};

/* Dims in the spec's order, then the defaults of the keys it left out. */
struct sweep_spec {
	unsigned int nr_dims, nr_points;
	struct sweep_dim dim[SWEEP_MAX_KEYS];
};

/* 0, or -EINVAL with err saying which part of text is wrong and why. */
int sweep_parse(const char *text, const struct sweep_key *keys, unsigned int nr_keys,
		struct sweep_spec *s, char *err, size_t errlen);
/* The index into dim d's values of point p (points count the last dim fastest). */
unsigned int sweep_index(const struct sweep_spec *s, unsigned int p, unsigned int d);
/* Dim by key name, or NULL. */
const struct sweep_dim *sweep_dim(const struct sweep_spec *s, const char *name);
uint64_t sweep_num(const struct sweep_spec *s, unsigned int p, const char *name);
const char *sweep_word(const struct sweep_spec *s, unsigned int p, const char *name);
/* The first dim with several numeric values: the plots' x axis (NULL: none). */
const struct sweep_dim *sweep_x_dim(const struct sweep_spec *s);
/* "4k", "1M", "64": a size as a spec writes it. */
void sweep_fmt_num(char *buf, size_t len, enum sweep_kind kind, uint64_t v);
/* "bs=4k,qd=1,rw=read" (every dim, or all but skip when it is not NULL); 0 or -ENOSPC. */
int sweep_point_name(const struct sweep_spec *s, unsigned int p, const struct sweep_dim *skip,
		     char *buf, size_t len);
/* The same with only the dims that have several values ("" when none does). */
int sweep_point_label(const struct sweep_spec *s, unsigned int p, const struct sweep_dim *skip,
		      char *buf, size_t len);

/* ---- statistics over runs ---- */
struct sweep_stat {
	unsigned int n; /* values that were not NaN */
	double median, min, max, q1, q3;
};
/* NaN values are left out; all NaN: n = 0 and every figure NaN. */
void sweep_stat(const double *v, unsigned int n, struct sweep_stat *st);

/* ---- reports ---- */
#define SWEEP_MAX_EXTRA 16u
struct sweep_row {
	char config[64];  /* "persistent=on" or "default" */
	char point[192];  /* every dim */
	char series[256]; /* config and the other dims that vary: one line of a plot */
	char other[192];  /* those other dims alone: rows alike here share a host baseline */
	double x;	  /* the x dim's value (NaN when none) */
	struct sweep_stat value, baseline, ratio;
	unsigned int nr_extra;
	struct {
		const char *key;
		double value; /* a median */
	} extra[SWEEP_MAX_EXTRA];
};

struct sweep_report {
	const char *bench;	   /* "blk" */
	const char *unit;	   /* of value and baseline */
	const char *baseline_name; /* what the baseline is */
	const char *x_name;	   /* NULL: nothing to plot against */
	bool x_is_size;		   /* x is in bytes: tics as 4k, 1M */
	const char *spec;
	const char *compare; /* the configurations' spec, or NULL */
	unsigned int runs;
	char machine[128]; /* the CPU's model */
	bool virtualized;  /* the CPU says it runs under a hypervisor */
	unsigned int nr_rows;
	struct sweep_row *rows;
};

/* Fills machine and virtualized from /proc/cpuinfo. */
void sweep_report_machine(struct sweep_report *r);
void sweep_write_table(FILE *f, const struct sweep_report *r);
void sweep_write_json(FILE *f, const struct sweep_report *r);
void sweep_write_csv(FILE *f, const struct sweep_report *r);
/*
 * Writes DIR/<bench>-throughput.png and DIR/<bench>-ratio.png through
 * gnuplot (their data and scripts stay beside them), width x height pixels.
 * 0 or -errno with err set.
 */
int sweep_write_plot(const char *dir, const struct sweep_report *r, unsigned int width,
		     unsigned int height, char *err, size_t errlen);

/* ---- progress on a terminal ---- */
struct sweep_progress {
	FILE *f; /* NULL: quiet */
	unsigned int total, done;
	uint64_t t0_ns;
};
/* Quiet unless f is a terminal. */
void sweep_progress_init(struct sweep_progress *p, FILE *f, unsigned int total);
/* "[3/12] bs=4k,qd=1  ~1m20s left": what is running now, after done finished. */
void sweep_progress_format(char *buf, size_t len, unsigned int done, unsigned int total,
			   uint64_t elapsed_ns, const char *what);
/* Shows what runs now, after done of the total finished. */
void sweep_progress_step(struct sweep_progress *p, unsigned int done, const char *what);
void sweep_progress_done(struct sweep_progress *p);

#endif
