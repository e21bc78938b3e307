/* SPDX-License-Identifier: MIT */
/*
 * What the guest benchmarks of svctl share: private daemons in a temporary run
 * directory, driven by this same svctl binary as child processes, and guests
 * whose console markers "<tag>: start" and "<tag>: end" are timed on the host
 * clock.
 */
#ifndef SVCTL_BENCH_DOM_H
#define SVCTL_BENCH_DOM_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct svb_dom {
	char dir[PATH_MAX];    /* the daemons' run directory */
	char self[PATH_MAX];   /* this svctl binary */
	char kernel[PATH_MAX]; /* absolute: the daemons run elsewhere */
	unsigned int seq;      /* numbers the guests' names */
};

/* Resolves kernel and this binary, makes <TMPDIR>/svbench-<tag>-XXXXXX; prints why not. */
int svb_open(struct svb_dom *b, const char *tag, const char *kernel);
/* Stops the daemons; the directory stays for their logs unless it is empty. */
void svb_close(struct svb_dom *b);
/* Runs this svctl with args in b's run directory; its stdout goes to out (or nowhere). */
int svb_svctl(const struct svb_dom *b, const char *const *args, FILE *out);

/* Sees each console line that is not a marker. */
typedef void svb_line_fn(const char *line, void *data);

/*
 * Creates a 64 MiB, one-vCPU guest running cmdline (devices: XML inside
 * <devices>, or ""), follows its console until it ends and destroys it. key,
 * when given, goes to the guest's console once we follow it (for guests that
 * wait for it before their start marker). *ns is the host time between its
 * "<tag>: start" and "<tag>: end" lines; 0 or -errno with err set.
 */
int svb_guest(struct svb_dom *b, const char *tag, const char *cmdline, const char *devices,
	      const char *key, svb_line_fn *fn, void *data, uint64_t *ns, char *err, size_t errlen);

/* Sorts v. */
double svb_median(double *v, unsigned int n);

#endif
