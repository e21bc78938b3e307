// SPDX-License-Identifier: MIT
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "run_console.h"
#include "runner.h"
#include "util.h"

void runner_capture_write(void *opaque, const char *buf, size_t len)
{
	struct runner_capture *c = opaque;
	size_t off = 0;

	if (!c->first_byte_ns)
		c->first_byte_ns = util_now_ns();
	while (c->echo && off < len) {
		ssize_t n = write(STDOUT_FILENO, buf + off, len - off);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (c->len + len + 1 > c->cap) {
		size_t cap = c->cap ? c->cap : 4096;
		char *nb;

		while (cap < c->len + len + 1)
			cap *= 2;
		nb = realloc(c->buf, cap);
		if (!nb)
			return;
		c->buf = nb;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, buf, len);
	c->len += len;
	c->buf[c->len] = '\0';
}

void runner_capture_free(struct runner_capture *c)
{
	free(c->buf);
	memset(c, 0, sizeof(*c));
}

int runner_run_captured(const struct sv_domain_params *p, int timeout_ms,
			struct runner_capture *cap, struct sv_domain_exit *ex, char *err,
			size_t errlen)
{
	struct sv_domain_params q = *p;

	q.console = runner_capture_write;
	q.console_opaque = cap;
	return runner_run_console(&q, timeout_ms, ex, err, errlen);
}

int runner_run_console(const struct sv_domain_params *p, int timeout_ms, struct sv_domain_exit *ex,
		       char *err, size_t errlen)
{
	struct run_console *rc = NULL;
	struct sv_domain *d = NULL;
	int ret;

	ret = sv_domain_create(p, &d, err, errlen);
	if (ret)
		return ret;
	ret = run_console_open(d, p->console, p->console_opaque, &rc, err, errlen);
	if (ret)
		goto out;
	ret = sv_domain_start(d);
	if (ret)
		goto out;
	ret = sv_domain_wait(d, timeout_ms, ex);
	if (ret == -ETIMEDOUT) {
		sv_domain_destroy(d);
		sv_domain_wait(d, -1, ex);
	}
out:
	run_console_close(rc);
	sv_domain_free(d);
	return ret;
}

const char *runner_default_kernel(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("SPLITVISOR_GUEST");
	char exe[PATH_MAX - 32];
	ssize_t n;
	char *slash;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return "splitvisor-guest";
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(path, sizeof(path), "%s/../guest/splitvisor-guest", exe);
	return path;
}
