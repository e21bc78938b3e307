/* SPDX-License-Identifier: MIT */
/*
 * One logging call for the daemons and the backends: a level, the program's
 * name in front, one write per line (device threads log too), and a rate
 * limit for every message a guest can trigger, so that a hostile guest
 * cannot fill the control domain's log or slow it down by printing.
 */
#ifndef SV_LIB_LOG_H
#define SV_LIB_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

enum log_level {
	LOG_LEVEL_ERR,	 /* something failed: a device, a domain, a request of a client */
	LOG_LEVEL_WARN,	 /* refused or suspicious input, things that recover */
	LOG_LEVEL_INFO,	 /* lifecycle: started, restarted, stopped */
	LOG_LEVEL_DEBUG, /* for a developer; off unless SPLITVISOR_LOG=debug */
};

/*
 * The program's name for the prefix, and the level from $SPLITVISOR_LOG
 * (err, warn, info, debug; default info). Call once at start; before that,
 * lines go out with prefix "splitvisor".
 */
void log_init(const char *prog);
void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap);

#define log_err(...)   log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

/*
 * A token bucket for messages a guest triggers: LOG_RL_BURST lines at once,
 * then one per LOG_RL_INTERVAL_MS; what was held back is counted and said on
 * the next line that goes out. One per source (device, ring, domain); zeroed
 * is ready. Not locked: a limiter belongs to one thread.
 */
#define LOG_RL_BURST	   10u
#define LOG_RL_INTERVAL_MS 1000u

struct log_ratelimit {
	uint64_t last_ns;    /* when the bucket was last refilled */
	uint32_t tokens;     /* lines that may go out now */
	bool primed;	     /* false until the first line (then tokens start full) */
	uint64_t suppressed; /* lines held back since the last that went out */
};

void log_limited(struct log_ratelimit *rl, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void log_vlimited(struct log_ratelimit *rl, enum log_level level, const char *fmt, va_list ap);
/* log_limited with "TAG: " in front: a device's lines name the device. */
#define log_limited_tagged(rl, level, tag, fmt, ...) \
	log_limited((rl), (level), "%s: " fmt, (tag), ##__VA_ARGS__)

#endif
