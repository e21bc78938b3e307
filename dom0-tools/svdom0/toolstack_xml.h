/* SPDX-License-Identifier: MIT */
/* Domains from libvirt XML, definitions and lifecycle actions (toolstack_xml.c). */
#ifndef SV_SVDOM0_TOOLSTACK_XML_H
#define SV_SVDOM0_TOOLSTACK_XML_H

#include <stdbool.h>

#include <splitvisor/control.h>

struct dom0;
struct ts_client;
struct ts_domain;

void tsx_handle(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h, const void *p);
/* Picks the on_* action for an ended XML domain. */
void tsx_domain_ended(struct ts_domain *td);
/* Carries out the picked actions; true if any ran. */
bool tsx_run_actions(struct dom0 *d0);
/* After a svdom0 restart: a running domain with a definition follows it again. */
void tsx_adopt(struct dom0 *d0, struct ts_domain *td);

#endif
