/* SPDX-License-Identifier: MIT */
#ifndef SV_SVCTL_H
#define SV_SVCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* svctl exit codes besides a guest's own poweroff code (sysexits.h where one fits). */
#define SVCTL_EX_USAGE	     64
#define SVCTL_EX_DATAERR     65 /* bad kernel, bad XML */
#define SVCTL_EX_UNAVAILABLE 69 /* no usable /dev/kvm */
#define SVCTL_EX_SOFTWARE    70
#define SVCTL_EX_GUEST_CRASH 125
#define SVCTL_EX_INTERRUPTED 130

struct svctl_cmd {
	const char *name;
	const char *summary;
	const char *usage; /* full help text after "usage: svctl " */
	int (*run)(int argc, char **argv);
};

/* svctl_cmdtable.c: every command, in the order `svctl help` lists them */
extern const struct svctl_cmd svctl_cmds[];
extern const size_t svctl_nr_cmds;

/* svctl_util.c: what the commands share */
/* How long svctl waits for a daemon it started: emulated KVM (scripts/kvm-vm.sh) is slow. */
#define SPAWN_WAIT_MS 60000
/* The daemons' run directory ($SPLITVISOR_RUN_DIR or the default); prints why not. */
int svctl_rundir(char *dir, size_t len);
/* A connection to the socket name in dir, or -errno. */
int svctl_sock_in(const char *dir, const char *name);
/* Prints "svctl <cmd>: <message>" to stderr and returns SVCTL_EX_USAGE. */
int svctl_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A number of option opt in min..max into *out; else the usage error (SVCTL_EX_USAGE). */
int svctl_parse_count(const char *cmd, const char *opt, const char *arg, uint32_t min, uint32_t max,
		      uint32_t *out);

int svctl_cmd_run(int argc, char **argv);

/* Every benchmark `svctl bench` runs, for the help texts (svctl_bench.c dispatches them). */
#define SVCTL_BENCH_NAMES "hypercall, boot, evtchn, blk, xenstore, net"

/* The getopt_long entries that describe a domain, shared by run and create. */
/* clang-format off */
#define SVCTL_DOMAIN_OPTIONS					\
	{ "kernel", required_argument, NULL, 'k' },		\
	{ "memory", required_argument, NULL, 'm' },		\
	{ "vcpus", required_argument, NULL, 'v' },		\
	{ "cmdline", required_argument, NULL, 'c' },		\
	{ "initrd", required_argument, NULL, 'i' },		\
	{ "name", required_argument, NULL, 'n' }
/* clang-format on */

struct sv_domain_params;
/*
 * Applies one getopt result of SVCTL_DOMAIN_OPTIONS to p: 0 when taken, 1 when c is
 * not a domain option, else the usage error's exit code (the message is printed).
 */
int svctl_domain_opt(const char *cmd, int c, const char *arg, struct sv_domain_params *p);
int svctl_cmd_validate(int argc, char **argv);

struct sv_domain_config;
/* Parses and checks a domain XML file; prints the error to stderr on failure. */
int svctl_load_domain_xml(const char *path, const char *schema_dir, struct sv_domain_config *cfg);
/* Releases libxml2's process-wide state (leak-clean exits). */
void svctl_xml_done(void);
int svctl_cmd_bench(int argc, char **argv);
/* svctl_top.c */
extern const char svctl_top_usage[];
int svctl_cmd_top(int argc, char **argv);
int svctl_cmd_experiment(int argc, char **argv);

extern const char svctl_run_usage[];
extern const char svctl_bench_usage[];
extern const char svctl_experiment_usage[];
extern const char svctl_validate_usage[];

/* svctl_domain.c, svctl_store.c: clients of the daemons */
#define SVCTL_EX_FAIL	    1 /* the daemons refused */
#define SVCTL_REPLY_TIMEOUT 120000

int svctl_cmd_domain(int argc, char **argv);
/* A connection to svdom0's dom0.sock (may_start: start the daemons); -1 after a message. */
int svctl_dom0_open(const char *cmd, const char *dir, bool may_start);
/* One request; prints the daemon's sentence on failure and returns the status. */
int svctl_ts_call(const char *cmd, int fd, uint32_t op, const void *req, size_t len, void *reply,
		  size_t cap, size_t *rlen, int timeout_ms);
struct sv_ctl_dominfo;
void svctl_print_info(const struct sv_ctl_dominfo *d);

/* svctl_domain_xml.c: define, create FILE.xml, undefine, start, dumpxml, list --all */
int svctl_cmd_document(const char *dir, int argc, char **argv);
int svctl_cmd_by_name(const char *dir, const char *cmd, const char *name);
int svctl_list_defined(int fd);
int svctl_cmd_store(int argc, char **argv);
extern const char svctl_domain_usage[];
extern const char svctl_store_usage[];

/* svctl_net.c: net-list, net-attach, net-detach */
int svctl_cmd_net(int argc, char **argv);
int svctl_cmd_uri(int argc, char **argv);
extern const char svctl_uri_usage[];
extern const char svctl_net_usage[];

/* svctl_dd.c: inject, and the driver domains' rows of list */
int svctl_cmd_inject(int argc, char **argv);
int svctl_list_dd(int fd);
extern const char svctl_inject_usage[];

/* svctl_bootloader.c: what <bootloader> finds on a disk image */
int svctl_cmd_bootloader(int argc, char **argv);
extern const char svctl_bootloader_usage[];

#endif
