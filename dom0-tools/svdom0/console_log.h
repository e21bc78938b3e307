/* SPDX-License-Identifier: MIT */
/* A domain's console log: the tail in memory and the whole in <rundir>/console/<name>.log. */
#ifndef SV_SVDOM0_CONSOLE_LOG_H
#define SV_SVDOM0_CONSOLE_LOG_H

#include <stdbool.h>
#include <stddef.h>

struct con_log;

int con_log_open(struct con_log *l, const char *rundir, const char *name, bool truncate);
void con_log_append(struct con_log *l, const char *buf, size_t len);
void con_log_close(struct con_log *l);

#endif
