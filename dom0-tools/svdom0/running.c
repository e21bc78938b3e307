// SPDX-License-Identifier: MIT
/*
 * Running configurations. A domain's devices live in svdom0 (the backends' threads and
 * rings), so a restarted svdom0 must know them: the document the domain runs with is kept
 * in the run directory and read back when the domain is adopted. Names come from the
 * toolstack's checked domain names, which hold no '/'.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "running.h"
#include "sv_xml.h"
#include "svdom0.h"
#include "ts_domains.h"
#include "vbd.h"
#include "vif.h"

static int running_path(struct dom0 *d0, const char *name, const char *suffix, char *out,
			size_t cap)
{
	int n;

	if (!name[0] || strchr(name, '/') || name[0] == '.')
		return -EINVAL;
	n = snprintf(out, cap, "%s/running/%s.xml%s", d0->rundir, name, suffix);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

void running_save(struct dom0 *d0, const struct ts_domain *td)
{
	char path[512], tmp[520], dir[300];
	char *xml = NULL;
	int fd = -1, ret;

	if (!td->cfg)
		return;
	ret = running_path(d0, td->info.name, "", path, sizeof(path));
	if (!ret)
		ret = running_path(d0, td->info.name, ".tmp", tmp, sizeof(tmp));
	if (ret)
		goto out;
	if (snprintf(dir, sizeof(dir), "%s/running", d0->rundir) >= (int)sizeof(dir)) {
		ret = -ENAMETOOLONG;
		goto out;
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		ret = -errno;
		goto out;
	}
	ret = sv_xml_format(td->cfg, &xml);
	if (ret)
		goto out;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ret = fd < 0 ? -errno : write_all(fd, xml, strlen(xml));
	if (!ret && rename(tmp, path))
		ret = -errno;
out:
	if (fd >= 0)
		close(fd);
	if (ret && fd >= 0)
		unlink(tmp);
	free(xml);
	if (ret)
		log_err("domain %s: cannot keep its running configuration: %s", td->info.name,
			strerror(-ret));
}

int running_load(struct dom0 *d0, const char *name, struct sv_domain_config *cfg)
{
	char path[512], err[512];
	int ret = running_path(d0, name, "", path, sizeof(path));

	if (ret)
		return ret;
	if (access(path, F_OK))
		return -errno;
	ret = sv_xml_parse_file(path, NULL, cfg, err, sizeof(err));
	if (ret)
		log_err("running configuration %s: %s", path, err);
	return ret;
}

void running_forget(struct dom0 *d0, const char *name)
{
	char path[512];

	if (!running_path(d0, name, "", path, sizeof(path)))
		unlink(path);
}

static void disk_clear(struct sv_disk_config *d)
{
	free(d->driver_name);
	free(d->driver_type);
	free(d->driver_cache);
	free(d->source);
	free(d->target_dev);
	free(d->backend_domain);
	memset(d, 0, sizeof(*d));
}

void running_disk_plugged(struct dom0 *d0, struct ts_domain *td, const struct sv_disk_config *dc)
{
	struct sv_domain_config *cfg = td->cfg;
	struct sv_disk_config *disks, *n;

	if (!cfg)
		return;
	disks = realloc(cfg->disks, (cfg->ndisks + 1) * sizeof(*disks));
	if (!disks)
		goto fail;
	cfg->disks = disks;
	n = &disks[cfg->ndisks];
	memset(n, 0, sizeof(*n));
	n->type = dc->type;
	n->device = dc->device;
	n->format = dc->format;
	n->readonly = dc->readonly;
	n->source = dc->source ? strdup(dc->source) : NULL;
	n->driver_type = dc->driver_type ? strdup(dc->driver_type) : NULL;
	n->target_dev = strdup(dc->target_dev);
	if ((dc->source && !n->source) || (dc->driver_type && !n->driver_type) || !n->target_dev) {
		disk_clear(n);
		goto fail;
	}
	cfg->ndisks++;
	running_save(d0, td);
	return;
fail:
	log_err("domain %s: disk %s left out of its running configuration: out of memory",
		td->info.name, dc->target_dev);
}

void running_disk_unplugged(struct dom0 *d0, struct ts_domain *td, const char *dev)
{
	struct sv_domain_config *cfg = td->cfg;

	for (size_t i = 0; cfg && i < cfg->ndisks; i++) {
		if (cfg->disks[i].target_dev && !strcmp(cfg->disks[i].target_dev, dev)) {
			disk_clear(&cfg->disks[i]);
			memmove(&cfg->disks[i], &cfg->disks[i + 1],
				(cfg->ndisks - i - 1) * sizeof(cfg->disks[0]));
			cfg->ndisks--;
			running_save(d0, td);
			return;
		}
	}
}

void running_adopt_devices(struct dom0 *d0, struct ts_domain *td)
{
	if (!td->cfg)
		return;
	vbd_adopt_all(d0, td, td->cfg);
	vif_adopt_all(d0, td, td->cfg);
	if (td->cfg->ndisks || td->cfg->nnets)
		log_info("domain %s: %zu disks and %zu interfaces served again", td->info.name,
			 td->cfg->ndisks, td->cfg->nnets);
}
