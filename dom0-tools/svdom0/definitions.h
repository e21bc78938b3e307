/* SPDX-License-Identifier: MIT */
/*
 * Persistent domain definitions of the control domain: one libvirt document per domain in
 * <state-dir>/domains/<name>.xml, written by sv_xml_format so each file validates on its own.
 */
#ifndef SV_DEFINITIONS_H
#define SV_DEFINITIONS_H

#include <stddef.h>

#include "domain_config.h"

#define SV_STATE_DIR_ENV "SPLITVISOR_STATE_DIR"

struct def_entry {
	struct def_entry *next;
	struct sv_domain_config cfg;
};

struct defs {
	char dir[512]; /* <state-dir>/domains */
	struct def_entry *head;
};

/* $SPLITVISOR_STATE_DIR, /var/lib/splitvisor as root, else $XDG_STATE_HOME/splitvisor. */
int defs_state_dir(char *buf, size_t len);

/* Reads every definition under state_dir; unreadable files are reported on stderr and skipped. */
int defs_load(struct defs *s, const char *state_dir);
struct sv_domain_config *defs_find(const struct defs *s, const char *name);
size_t defs_count(const struct defs *s);
/*
 * Stores cfg (domid ignored) as the definition of its name, replacing one with the same uuid.
 * On success the store owns cfg's contents and cfg is left empty.
 */
int defs_put(struct defs *s, struct sv_domain_config *cfg, char *err, size_t errlen);
int defs_remove(struct defs *s, const char *name, char *err, size_t errlen);
void defs_free(struct defs *s);

/* A deep copy through the formatter and the parser, so it is exactly what a file would hold. */
int sv_config_dup(const struct sv_domain_config *src, struct sv_domain_config *dst, char *err,
		  size_t errlen);

#endif
