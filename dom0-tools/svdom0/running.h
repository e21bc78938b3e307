/* SPDX-License-Identifier: MIT */
/*
 * Running configurations (running.c): <run-dir>/running/<name>.xml holds the document each
 * domain started from XML runs with, like libvirt's /run/libvirt/.../<name>.xml, so that a
 * svdom0 started while it runs serves its devices again.
 */
#ifndef SV_SVDOM0_RUNNING_H
#define SV_SVDOM0_RUNNING_H

struct dom0;
struct ts_domain;
struct sv_domain_config;
struct sv_disk_config;

/* Writes td->cfg (tmp file, then rename); failures are logged. */
void running_save(struct dom0 *d0, const struct ts_domain *td);
/* The running configuration of name into cfg: 0, -ENOENT or another -errno. */
int running_load(struct dom0 *d0, const char *name, struct sv_domain_config *cfg);
void running_forget(struct dom0 *d0, const char *name);
/* A disk hot-plugged into, or unplugged from, a domain started from XML (td->cfg). */
void running_disk_plugged(struct dom0 *d0, struct ts_domain *td, const struct sv_disk_config *dc);
void running_disk_unplugged(struct dom0 *d0, struct ts_domain *td, const char *dev);
/* After a svdom0 restart: td's disks and interfaces (td->cfg) are served again. */
void running_adopt_devices(struct dom0 *d0, struct ts_domain *td);

#endif
