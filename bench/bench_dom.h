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
#include <sys/types.h>

struct svb_dom {
	char dir[PATH_MAX];    /* the daemons' run directory */
	char self[PATH_MAX];   /* this svctl binary */
	char kernel[PATH_MAX]; /* absolute: the daemons run elsewhere */
	char initrd[PATH_MAX]; /* "" or absolute: then kernel is Linux, booted as PVH (xenpvh) */
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

/*
 * A guest followed in the background, for benchmarks of several guests at
 * once (or of a guest and the host): its console is read as it comes, through
 * fd in the caller's poll loop, its markers timed as svb_guest times them.
 */
struct svb_proc {
	char name[48];
	char xml[PATH_MAX + 64];
	char start[64], end[64];
	uint64_t t0, t1; /* host time of its start and end markers; 0 until seen */
	int fd;		 /* its console, non-blocking; -1 once that ended */
	int in_fd;	 /* the console's input (svb_proc_start_keyed), else -1 */
	pid_t pid;	 /* the `svctl console` following it */
	bool destroyed;
	size_t len;
	char line[1024];
};

/* Creates the guest as svb_guest does and follows its console; 0 or -errno with err set. */
int svb_proc_start(struct svb_dom *b, struct svb_proc *p, const char *tag, const char *cmdline,
		   const char *devices, const char *key, char *err, size_t errlen);
/* The same, with the console's input kept open for svb_proc_key: keys when the caller is ready. */
int svb_proc_start_keyed(struct svb_dom *b, struct svb_proc *p, const char *tag,
			 const char *cmdline, const char *devices, char *err, size_t errlen);
/* Sends key to the guest's console (svb_proc_start_keyed); 0 or -errno. */
int svb_proc_key(struct svb_proc *p, const char *key);
/*
 * Reads what its console has without blocking and hands fn (may be NULL) each
 * whole line that is not a marker. 1 once the console ended, else 0.
 */
int svb_proc_read(struct svb_proc *p, svb_line_fn *fn, void *data);
/* Destroys the guest now (once); its console then ends. */
void svb_proc_destroy(struct svb_dom *b, struct svb_proc *p);
/* Destroys the guest if it still runs, waits for its console to end and forgets it. */
void svb_proc_stop(struct svb_dom *b, struct svb_proc *p);

/* Sorts v. */
double svb_median(double *v, unsigned int n);

#endif
