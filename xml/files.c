/* SPDX-License-Identifier: MIT */
/*
 * What a config needs at start but not at define, as libvirt does it: its files exist, and
 * it asks for nothing start cannot do yet.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sv_xml.h"

struct file_report {
	char *err;
	size_t errlen, used;
	int first; /* the first error, as a negative errno */
};

static void note(struct file_report *r, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void note(struct file_report *r, int errnum, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!r->first)
		r->first = -errnum;
	if (!r->err || r->used + 1 >= r->errlen)
		return;
	if (r->used) {
		n = snprintf(r->err + r->used, r->errlen - r->used, "; ");
		r->used += n > 0 ? (size_t)n : 0;
	}
	if (r->used >= r->errlen) {
		r->used = r->errlen - 1;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(r->err + r->used, r->errlen - r->used, fmt, ap);
	va_end(ap);
	r->used += n > 0 ? (size_t)n : 0;
	if (r->used >= r->errlen)
		r->used = r->errlen - 1;
}

/* regular: must be a regular file (kernel, initrd); else a file or a block device. */
static void check_one(struct file_report *r, const char *what, const char *path, bool regular)
{
	struct stat st;

	if (!path)
		return;
	if (stat(path, &st) < 0) {
		note(r, errno, "%s %s: %s", what, path, strerror(errno));
		return;
	}
	if (regular ? !S_ISREG(st.st_mode) : !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		note(r, EINVAL, "%s %s is not a regular file%s", what, path,
		     regular ? "" : " or block device");
}

int sv_xml_check_files(const struct sv_domain_config *cfg, char *err, size_t errlen)
{
	struct file_report r = { .err = err, .errlen = errlen };
	char what[64];
	size_t i;

	if (err && errlen)
		err[0] = '\0';
	check_one(&r, "kernel", cfg->kernel, true);
	check_one(&r, "initrd", cfg->initrd, true);
	for (i = 0; i < cfg->ndisks; i++) {
		snprintf(what, sizeof(what), "disk %s source",
			 cfg->disks[i].target_dev ? cfg->disks[i].target_dev : "?");
		check_one(&r, what, cfg->disks[i].source, false);
	}
	return r.first;
}

int sv_xml_check_startable(const struct sv_domain_config *cfg, bool have_bootloader, char *err,
			   size_t errlen)
{
	if (cfg->bootloader && !have_bootloader) {
		snprintf(err, errlen,
			 "domain %s boots through <bootloader>, which this toolstack does not run "
			 "yet: give <os><kernel> instead",
			 cfg->name);
		return -EOPNOTSUPP;
	}
	if (!cfg->kernel && cfg->os_type != SV_OS_EXE && !cfg->bootloader) {
		snprintf(err, errlen, "domain %s has no kernel", cfg->name);
		return -EINVAL;
	}
	return 0;
}

int32_t sv_xml_wallclock_offset(const struct sv_domain_config *cfg)
{
	struct tm tm;
	time_t now;

	if (cfg->clock_offset != SV_CLOCK_LOCALTIME)
		return 0;
	now = time(NULL);
	/* A zone more than a day from UTC does not exist: treat it as UTC rather than fail. */
	if (!localtime_r(&now, &tm) || tm.tm_gmtoff <= -86400 || tm.tm_gmtoff >= 86400)
		return 0;
	return (int32_t)tm.tm_gmtoff;
}
