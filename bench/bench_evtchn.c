// SPDX-License-Identifier: MIT
/*
 * Event-channel round trip between a guest (evtchn-ping) and a process-domain
 * echo service on the fast path (ioeventfd in, irqfd out), beside an eventfd
 * ping-pong between two host threads in the same run. The figure is the host's
 * wall clock between the first and the last event the echo saw.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "evtchn_shinfo.h"
#include "runner.h"
#include "util.h"

#define EVTCHN_DEFAULT_ROUNDS 20000u
#define READY_TIMEOUT_MS      30000
#define POLL_MS		      100
#define CONSOLE_KEEP	      4096

struct ping_ctx {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char out[CONSOLE_KEEP];
	size_t len;
	uint32_t port;
};

static void ping_console(void *opaque, const char *buf, size_t len)
{
	struct ping_ctx *c = opaque;
	const char *s;
	unsigned int port;

	pthread_mutex_lock(&c->lock);
	if (len > sizeof(c->out) - 1 - c->len)
		len = sizeof(c->out) - 1 - c->len;
	memcpy(c->out + c->len, buf, len);
	c->len += len;
	c->out[c->len] = '\0';
	s = strstr(c->out, "evtchn-ping: port ");
	if (!c->port && s && strstr(s, " ready") && sscanf(s, "evtchn-ping: port %u", &port) == 1)
		c->port = port;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

static int wait_port(struct ping_ctx *c, struct sv_domain *d, uint32_t *port)
{
	uint64_t end = util_now_ns() + READY_TIMEOUT_MS * 1000000ull;
	struct timespec ts;

	pthread_mutex_lock(&c->lock);
	while (!c->port && util_now_ns() < end) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += POLL_MS * 1000000l;
		if (ts.tv_nsec >= 1000000000l) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000l;
		}
		pthread_cond_timedwait(&c->cond, &c->lock, &ts);
		pthread_mutex_unlock(&c->lock);
		if (sv_domain_wait(d, 0, NULL) == 0)
			return -EPIPE;
		pthread_mutex_lock(&c->lock);
	}
	*port = c->port;
	pthread_mutex_unlock(&c->lock);
	return *port ? 0 : -ETIMEDOUT;
}

/* The echo: every guest send is answered by setting the port pending and raising the upcall. */
static int echo(struct bench_evtchn_ping *p, struct sv_domain *d, uint32_t port, uint64_t end)
{
	struct sv_shared_info *s = sv_domain_shared_info(d);
	int nfd = -1, rfd = -1, vcpu, ret;
	uint64_t one = 1, v;
	struct pollfd pfd;

	ret = sv_evtchn_bind_process(d, port, 0, &nfd, &rfd);
	if (ret)
		return ret;
	for (;;) {
		pfd = (struct pollfd){ .fd = nfd, .events = POLLIN };
		ret = poll(&pfd, 1, POLL_MS);
		if (ret < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		if (ret <= 0 || read(nfd, &v, sizeof(v)) != sizeof(v)) {
			ret = 0;
			if (sv_domain_wait(d, 0, NULL) == 0)
				break;
			if (util_now_ns() > end) {
				ret = -ETIMEDOUT;
				break;
			}
			continue;
		}
		p->last_ns = util_now_ns();
		if (!p->events++)
			p->first_ns = p->last_ns;
		vcpu = sv_evtchn_port_vcpu(d, port);
		if (vcpu >= 0 && shinfo_set_pending(s, (unsigned int)vcpu, port) &&
		    write(rfd, &one, sizeof(one)) != sizeof(one)) {
			ret = -errno;
			break;
		}
		if (p->close_after && p->events % p->close_after == 0) {
			/* Let the guest wake and send once on the closed port, then bind again. */
			ret = sv_evtchn_close_process(d, port);
			close(nfd);
			close(rfd);
			nfd = rfd = -1;
			if (ret)
				break;
			usleep(20000);
			ret = sv_evtchn_bind_process(d, port, 0, &nfd, &rfd);
			if (ret)
				break;
			p->rebinds++;
		}
	}
	if (nfd >= 0)
		close(nfd);
	if (rfd >= 0)
		close(rfd);
	return ret;
}

int bench_evtchn_ping_run(struct bench_evtchn_ping *p, char *err, size_t errlen)
{
	struct ping_ctx c = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	struct sv_domain *d = NULL;
	char cmdline[64];
	struct sv_domain_params dp = {
		.name = "evtchn-ping",
		.domid = 1,
		.memory_mib = 16,
		.vcpus = 1,
		.kernel = p->kernel,
		.cmdline = cmdline,
		.console = ping_console,
		.console_opaque = &c,
	};
	uint64_t end = util_now_ns() + (uint64_t)p->timeout_ms * 1000000ull;
	const char *line;
	uint32_t port = 0;
	int ret;

	snprintf(cmdline, sizeof(cmdline), "evtchn-ping %u", p->rounds);
	p->events = p->first_ns = p->last_ns = p->guest_rtt_ns = 0;
	p->guest_rounds = p->rebinds = 0;
	ret = sv_domain_create(&dp, &d, err, errlen);
	if (ret)
		return ret;
	ret = sv_domain_start(d);
	if (!ret)
		ret = wait_port(&c, d, &port);
	if (!ret)
		ret = echo(p, d, port, end);
	if (ret)
		snprintf(err, errlen, "evtchn-ping on port %u: %s", port, strerror(-ret));
	sv_domain_destroy(d);
	sv_domain_wait(d, -1, &p->ex);
	sv_domain_free(d);
	pthread_mutex_lock(&c.lock);
	snprintf(p->console, sizeof(p->console), "%s", c.out);
	pthread_mutex_unlock(&c.lock);
	line = strstr(p->console, "evtchn-ping: rounds=");
	if (line)
		sscanf(line, "evtchn-ping: rounds=%u rtt_ns=%llu", &p->guest_rounds,
		       &p->guest_rtt_ns);
	return ret;
}

struct pingpong {
	int efd[2];
	unsigned int n;
};

static void *pong_thread(void *arg)
{
	struct pingpong *pp = arg;
	uint64_t v = 1;

	for (unsigned int i = 0; i < pp->n; i++) {
		if (read(pp->efd[0], &v, sizeof(v)) != sizeof(v) ||
		    write(pp->efd[1], &v, sizeof(v)) != sizeof(v))
			break;
	}
	return NULL;
}

/* Round trip of two host threads over two blocking eventfds, in ns. */
static int eventfd_pingpong(unsigned int n, double *ns)
{
	struct pingpong pp = { .efd = { eventfd(0, EFD_CLOEXEC), eventfd(0, EFD_CLOEXEC) },
			       .n = n };
	uint64_t v = 1, t0;
	pthread_t t;
	int ret = 0;

	if (pp.efd[0] < 0 || pp.efd[1] < 0) {
		ret = -errno;
		goto out;
	}
	ret = -pthread_create(&t, NULL, pong_thread, &pp);
	if (ret)
		goto out;
	t0 = util_now_ns();
	for (unsigned int i = 0; i < n; i++) {
		if (write(pp.efd[0], &v, sizeof(v)) != sizeof(v) ||
		    read(pp.efd[1], &v, sizeof(v)) != sizeof(v)) {
			ret = -EIO;
			break;
		}
	}
	*ns = (double)(util_now_ns() - t0) / n;
	if (ret)
		pthread_cancel(t);
	pthread_join(t, NULL);
out:
	if (pp.efd[0] >= 0)
		close(pp.efd[0]);
	if (pp.efd[1] >= 0)
		close(pp.efd[1]);
	return ret;
}

int bench_evtchn(const struct bench_opts *o, struct bench_result *r, char *err, size_t errlen)
{
	struct bench_evtchn_ping *p = calloc(1, sizeof(*p));
	double base_ns = 0;
	int ret;

	if (!p)
		return -ENOMEM;
	p->kernel = o->kernel;
	p->rounds = o->iterations ? o->iterations : EVTCHN_DEFAULT_ROUNDS;
	p->timeout_ms = 600000;
	ret = eventfd_pingpong(p->rounds, &base_ns);
	if (ret) {
		snprintf(err, errlen, "eventfd ping-pong: %s", strerror(-ret));
		goto out;
	}
	ret = bench_evtchn_ping_run(p, err, errlen);
	if (ret)
		goto out;
	if (p->ex.reason != SV_EXIT_POWEROFF || p->ex.code || p->guest_rounds != p->rounds ||
	    p->events < 2) {
		snprintf(err, errlen, "evtchn-ping did not finish (%s %d, %llu events): %.300s",
			 sv_exit_reason_name(p->ex.reason), p->ex.code,
			 (unsigned long long)p->events, p->console);
		ret = -EPROTO;
		goto out;
	}
	*r = (struct bench_result){
		.name = "evtchn.rtt",
		.value = (double)(p->last_ns - p->first_ns) / (double)(p->events - 1),
		.unit = "ns",
		.baseline = base_ns,
		.baseline_name = "eventfd ping-pong between host threads",
		.samples = p->rounds,
	};
out:
	free(p);
	return ret;
}
