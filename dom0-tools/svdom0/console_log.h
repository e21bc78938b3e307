/* SPDX-License-Identifier: MIT */
/*
 * A domain's console log: the tail in memory (for `svctl console`) and the file
 * <rundir>/console/<name>.log, capped. When a write would take the file past its
 * cap, the file becomes <name>.log.1 (replacing the older one) and a new one
 * starts, as xenconsoled rotates its logs: at most twice the cap on disk per
 * domain, across on_reboot restarts too. Bytes no file could take (a rotation
 * or a write failed) are counted, and said in the log once a file takes bytes again.
 */
#ifndef SV_SVDOM0_CONSOLE_LOG_H
#define SV_SVDOM0_CONSOLE_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tail_ring.h"

/* The memory tail. */
#define CON_LOG_MAX (1024u * 1024u)
/* The file's cap: svdom0 --console-log-max, or this environment variable, or 4 MiB. */
#define CON_LOG_FILE_MAX_DEFAULT (4ull << 20)
#define CON_LOG_FILE_MIN	 4096u
#define CON_LOG_MAX_ENV		 "SPLITVISOR_CONSOLE_LOG_MAX"

struct con_log {
	struct tail_ring mem;
	int fd;
	char path[400];
	uint64_t file_size, file_max;
	uint64_t rotations;
	uint64_t dropped;	/* bytes that reached no file */
	uint64_t dropped_noted; /* of those, already said in the log */
};

/*
 * A size of CON_LOG_FILE_MIN bytes or more: digits with an optional K, M or G
 * (binary). 0, or -EINVAL (not a size) or -ERANGE (too small or too large).
 */
int con_log_parse_size(const char *s, uint64_t *out);
/* file_max 0: CON_LOG_FILE_MAX_DEFAULT. truncate: a fresh domain, old files go. */
int con_log_open(struct con_log *l, const char *rundir, const char *name, bool truncate,
		 uint64_t file_max);
void con_log_append(struct con_log *l, const char *buf, size_t len);
void con_log_close(struct con_log *l);

#endif
