/* SPDX-License-Identifier: MIT */
/*
 * libvirt's remote protocol in svdom0 (libvirt/): stock virsh and python3-libvirt
 * manage the toolstack's domains over <run-dir>/libvirt-sock (and, as root,
 * /var/run/libvirt/virtsplitvisord-sock). svdom0.c calls these from its loop.
 */
#ifndef SV_LV_SERVER_H
#define SV_LV_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dom0;
struct ts_domain;

/* The first int of its epoll tags, beside svdom0.h's D0_* kinds. */
enum { D0_LV_LISTEN = 0x4c56, D0_LV_CLIENT };

/* Listens; a socket that cannot be made is logged and left out, never fatal. */
void lv_start(struct dom0 *d0);
void lv_stop(struct dom0 *d0);
/* An epoll event whose tag's kind is D0_LV_LISTEN or D0_LV_CLIENT. */
void lv_event(struct dom0 *d0, void *tag);
/* Once per loop round: flushes, retries console input, drops dead clients. */
void lv_service(struct dom0 *d0);
/* timeout_ms, or less while console input waits for a guest to read. */
int lv_timeout(struct dom0 *d0, int timeout_ms);
/* What lv_start sets as the toolstack's on_console_output and on_domain_ended hooks. */
void lv_console_output(struct dom0 *d0, struct ts_domain *td, const char *data, size_t len);
void lv_domain_ended(struct dom0 *d0, struct ts_domain *td);

#endif
