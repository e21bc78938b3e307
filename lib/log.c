// SPDX-License-Identifier: MIT
/*
 * The daemons' log: stderr, which svctl points at <rundir>/<daemon>.log when it
 * starts them. A line is formatted whole and written with one write() so that
 * lines of the event loop and of device threads never interleave.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static const char *log_prog = "splitvisor";
static enum log_level log_level = LOG_LEVEL_INFO;

static const char *const log_level_names[] = { "err", "warn", "info", "debug" };

void log_init(const char *prog)
{
	const char *env = getenv("SPLITVISOR_LOG");

	log_prog = prog;
	for (unsigned int i = 0; env && i <= LOG_LEVEL_DEBUG; i++)
		if (!strcmp(env, log_level_names[i]))
			log_level = (enum log_level)i;
}

void log_set_level(enum log_level level)
{
	log_level = level;
}

bool log_enabled(enum log_level level)
{
	return level <= log_level;
}

static void log_write(enum log_level level, uint64_t suppressed, const char *fmt, va_list ap)
{
	char line[1024];
	size_t len;
	int n;

	static const char *const tags[] = { "error: ", "warning: ", "", "debug: " };

	n = snprintf(line, sizeof(line), "%s: %s", log_prog, tags[level]);
	len = n > 0 ? (size_t)n : 0;
	n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	len = n < 0 ? len : len + (size_t)n;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	if (suppressed) {
		n = snprintf(line + len, sizeof(line) - len, " (%llu similar lines not logged)",
			     (unsigned long long)suppressed);
		len = n < 0 ? len : len + (size_t)n;
		if (len > sizeof(line) - 2)
			len = sizeof(line) - 2;
	}
	line[len++] = '\n';
	/* Nothing to do about a failed write to our own log. */
	if (write(STDERR_FILENO, line, len) < 0)
		return;
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	if (log_enabled(level))
		log_write(level, 0, fmt, ap);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void log_vlimited(struct log_ratelimit *rl, enum log_level level, const char *fmt, va_list ap)
{
	uint64_t now = util_now_ns(), interval = LOG_RL_INTERVAL_MS * 1000000ull, held;

	if (!log_enabled(level))
		return;
	if (!rl->primed) {
		rl->primed = true;
		rl->tokens = LOG_RL_BURST;
		rl->last_ns = now;
	} else if (now - rl->last_ns >= interval) {
		uint64_t refill = (now - rl->last_ns) / interval;

		rl->tokens = refill >= LOG_RL_BURST - rl->tokens ? LOG_RL_BURST
								 : rl->tokens + (uint32_t)refill;
		rl->last_ns += refill * interval;
	}
	if (!rl->tokens) {
		rl->suppressed++;
		return;
	}
	rl->tokens--;
	held = rl->suppressed;
	rl->suppressed = 0;
	log_write(level, held, fmt, ap);
}

void log_limited(struct log_ratelimit *rl, enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlimited(rl, level, fmt, ap);
	va_end(ap);
}
