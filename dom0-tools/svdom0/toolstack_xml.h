/* SPDX-License-Identifier: MIT */
/* Domains from libvirt XML, definitions and lifecycle actions (toolstack_xml.c). */
#ifndef SV_SVDOM0_TOOLSTACK_XML_H
#define SV_SVDOM0_TOOLSTACK_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <splitvisor/control.h>

struct dom0;
struct ts_client;
struct ts_domain;

struct sv_domain_config;

/* define: stores cfg (a parsed document) as a definition; cfg is left empty on success. */
int tsx_define(struct dom0 *d0, struct sv_domain_config *cfg, char *err, size_t errlen);
/* create: boots a transient domain from cfg (its uuid must not belong to another definition). */
int tsx_create(struct dom0 *d0, const struct sv_domain_config *cfg, uint32_t *domid, char *err,
	       size_t errlen);
/* start: boots the definition of that name. */
int tsx_start(struct dom0 *d0, const char *name, uint32_t *domid, char *err, size_t errlen);
void tsx_handle(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h, const void *p);
/* Picks the on_* action for an ended XML domain. */
void tsx_domain_ended(struct ts_domain *td);
/* Carries out the picked actions; true if any ran. */
bool tsx_run_actions(struct dom0 *d0);
/* After a svdom0 restart: a running domain with a definition follows it again. */
void tsx_adopt(struct dom0 *d0, struct ts_domain *td);

#endif
