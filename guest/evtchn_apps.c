// SPDX-License-Identifier: MIT
/*
 * evtchn-ping N [REMOTE_DOMID]: round trips with a process domain's echo
 * service over a port offered to REMOTE_DOMID (default 0).
 * evtchn-test: the event-channel ABI from a guest, including its refusals and
 * a loopback interdomain channel (the core's slow path).
 */
#include <errno.h>
#include <string.h>
#include "apps.h"
#include "arch.h"
#include "console.h"
#include "evtchn.h"
#include "kstring.h"
#include "ktime.h"
#include "percpu.h"

#define EXIT_USAGE	2
#define TEST_WAIT_NS	(5 * NSEC_PER_SEC)
#define NOT_OFFERED_DOM 0x7000u

int evtchn_ping_main(int argc, char **argv)
{
	unsigned long long n = 1, remote = 0;
	uint64_t t0, t1;
	uint32_t port;
	int ret;

	if ((argc > 1 && (parse_u64(argv[1], &n) || n == 0)) ||
	    (argc > 2 && (parse_u64(argv[2], &remote) || remote >= SV_DOMID_SELF)) || argc > 3) {
		printk("usage: evtchn-ping ROUNDS>=1 [REMOTE_DOMID]\n");
		return EXIT_USAGE;
	}
	ret = evtchn_alloc_unbound((uint16_t)remote, &port);
	if (ret) {
		printk("evtchn-ping: alloc_unbound: %d\n", ret);
		return 1;
	}
	printk("evtchn-ping: port %u ready\n", port);
	/* The echo side's binding starts pending: that is its hello. */
	evtchn_wait(port, 0);
	t0 = rdtsc();
	for (unsigned long long i = 0; i < n; i++) {
		evtchn_send(port);
		evtchn_wait(port, 0);
	}
	t1 = rdtsc();
	printk("evtchn-ping: rounds=%llu rtt_ns=%llu\n", n,
	       (unsigned long long)(tsc_cycles_to_scaled_ns(t1 - t0, 1) / n));
	return 0;
}

static const char *failure;
static int failed_ret;

static int check(int got, int want, const char *what)
{
	if (got == want)
		return 0;
	failure = what;
	failed_ret = got;
	return -1;
}

static int test_refusals(void)
{
	struct evtchn_status st = { .dom = SV_DOMID_SELF };
	uint32_t port, p2;

	if (check(evtchn_alloc_unbound(0, &port), 0, "alloc_unbound") ||
	    check(evtchn_send_checked(port), -ENOTCONN, "send on unbound port") ||
	    check(evtchn_close(port), 0, "close") ||
	    check(evtchn_close(port), -EINVAL, "second close") ||
	    check(evtchn_send_checked(port), -EINVAL, "send on closed port") ||
	    check(evtchn_send_checked(0), -EINVAL, "send on port 0") ||
	    check(evtchn_send_checked(SV_EVTCHN_NR_PORTS), -EINVAL, "send on port 4096") ||
	    check(evtchn_send_checked(0xffffffffu), -EINVAL, "send on port 2^32-1") ||
	    check(evtchn_bind_virq(SV_NR_VIRQS, 0, &p2), -EINVAL, "bind_virq out of range") ||
	    check(evtchn_bind_virq(SV_VIRQ_DEBUG, 99, &p2), -ENOENT, "bind_virq on vcpu 99") ||
	    check(evtchn_bind_virq(SV_VIRQ_TIMER, 0, &p2), -EEXIST, "VIRQ_TIMER bound twice") ||
	    check(evtchn_bind_vcpu(this_cpu()->timer_port, 0), -EINVAL, "bind_vcpu of a virq"))
		return -1;
	/* The fast send on a closed port leaves the guest running, with nothing delivered. */
	evtchn_send(port);
	evtchn_send(0);
	evtchn_send(0xffffffffu);
	st.port = port;
	if (check(evtchn_status(&st), 0, "status") ||
	    check((int)st.status, EVTCHNSTAT_closed, "status of a closed port"))
		return -1;
	st.port = this_cpu()->timer_port;
	if (check(evtchn_status(&st), 0, "status of VIRQ_TIMER") ||
	    check((int)st.status, EVTCHNSTAT_virq, "VIRQ_TIMER status"))
		return -1;
	/* Offered to another domain, not to us. */
	if (check(evtchn_alloc_unbound(NOT_OFFERED_DOM, &port), 0, "alloc_unbound for 0x7000") ||
	    check(evtchn_bind_interdomain(SV_DOMID_SELF, port, &p2), -EPERM,
		  "bind to a port offered to another domain") ||
	    check(evtchn_close(port), 0, "close of the offered port"))
		return -1;
	return 0;
}

/* Loopback: both ends in this domain; sends take the core's slow path. */
static int test_loopback(void)
{
	struct evtchn_status st = { .dom = SV_DOMID_SELF };
	uint32_t a, b;
	uint64_t deadline = now_ns() + TEST_WAIT_NS;

	if (check(evtchn_alloc_unbound(SV_DOMID_SELF, &a), 0, "loopback alloc") ||
	    check(evtchn_bind_interdomain(SV_DOMID_SELF, a, &b), 0, "loopback bind") ||
	    check(evtchn_wait(b, deadline), 0, "new binding starts pending"))
		return -1;
	evtchn_send(b);
	if (check(evtchn_wait(a, deadline), 0, "fast send b -> a"))
		return -1;
	if (check(evtchn_send_checked(a), 0, "send a -> b") ||
	    check(evtchn_wait(b, deadline), 0, "event a -> b"))
		return -1;
	/* Masked: no upcall; unmask delivers it. */
	evtchn_mask(a);
	evtchn_send(b);
	if (check(evtchn_wait(a, now_ns() + 20 * NSEC_PER_MSEC), -ETIMEDOUT,
		  "masked port stays quiet") ||
	    check(evtchn_unmask(a), 0, "unmask") ||
	    check(evtchn_wait(a, deadline), 0, "unmask delivers the pending event"))
		return -1;
	st.port = a;
	if (check(evtchn_close(b), 0, "close b") || check(evtchn_status(&st), 0, "status a") ||
	    check((int)st.status, EVTCHNSTAT_unbound, "peer unbound after close") ||
	    check(evtchn_send_checked(a), -ENOTCONN, "send to a closed peer") ||
	    check(evtchn_close(a), 0, "close a"))
		return -1;
	return 0;
}

int evtchn_test_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (test_refusals() || test_loopback()) {
		printk("evtchn-test: FAIL %s (got %d)\n", failure, failed_ret);
		return 1;
	}
	if (!this_cpu()->timer_virqs && msleep(1) == 0 && !this_cpu()->timer_virqs) {
		printk("evtchn-test: FAIL the timer did not arrive as VIRQ_TIMER\n");
		return 1;
	}
	printk("evtchn-test: PASS (%llu timer events)\n",
	       (unsigned long long)this_cpu()->timer_virqs);
	return 0;
}
