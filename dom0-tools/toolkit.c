// SPDX-License-Identifier: MIT
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "toolkit.h"

uint64_t sv_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void sv_capture_write(void *opaque, const char *buf, size_t len)
{
	struct sv_capture *c = opaque;
	size_t off = 0;

	if (!c->first_byte_ns)
		c->first_byte_ns = sv_now_ns();
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

void sv_capture_free(struct sv_capture *c)
{
	free(c->buf);
	memset(c, 0, sizeof(*c));
}

int sv_run_captured(const struct sv_domain_params *p, int timeout_ms, struct sv_capture *cap,
		    struct sv_domain_exit *ex, char *err, size_t errlen)
{
	struct sv_domain_params q = *p;

	q.console = sv_capture_write;
	q.console_opaque = cap;
	return sv_run_with_console(&q, timeout_ms, ex, err, errlen);
}

int sv_run_with_console(const struct sv_domain_params *p, int timeout_ms, struct sv_domain_exit *ex,
			char *err, size_t errlen)
{
	struct sv_domain *d = NULL;
	int ret;

	ret = sv_domain_create(p, &d, err, errlen);
	if (ret)
		return ret;
	ret = sv_domain_start(d);
	if (ret)
		goto out;
	ret = sv_domain_wait(d, timeout_ms, ex);
	if (ret == -ETIMEDOUT) {
		sv_domain_destroy(d);
		sv_domain_wait(d, -1, ex);
	}
out:
	sv_domain_free(d);
	return ret;
}

const char *sv_default_guest_kernel(void)
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

int sv_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}
