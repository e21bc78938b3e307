// SPDX-License-Identifier: MIT
/*
 * The console backend: each running guest's PV console ring page
 * (SV_CONSOLE_RING_GPA, splitvisor/console.h) drained into its console log
 * (and to `svctl console` followers) whenever the guest kicks its console
 * port, and keyboard input from followers written into its in ring. The
 * guest owns the page: indices are read once per pass and checked, and a
 * ring that goes bad is left alone until the domain ends.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <splitvisor/byte_ring.h>
#include <splitvisor/console.h>
#include <splitvisor/start_info.h>

#include "svdom0.h"
#include "toolstack_proto.h"

/* Keyboard bytes held for a guest that has not read its in ring yet. */
#define CB_INPUT_MAX 4096u

struct console_ring {
	int kind; /* D0_CONSOLE_RING: the epoll tag */
	struct d0_guest_port gp;
	struct dom0 *d0;
	struct ts_domain *td;
	char input[CB_INPUT_MAX];
	size_t input_len;
	bool broken;
	bool closed;
	struct console_ring *next_closed;
};

static struct sv_console_ring *cb_page(struct console_ring *r)
{
	return (struct sv_console_ring *)(r->gp.mem + SV_CONSOLE_RING_GPA);
}

static void cb_broken(struct console_ring *r, const char *which)
{
	static const char note[] = "\n[svdom0: console ring indices out of range]\n";

	fprintf(stderr, "svdom0: domain %u broke its console ring (%s indices)\n", r->gp.domid,
		which);
	ts_console_output(r->d0, r->td, note, sizeof(note) - 1);
	r->broken = true;
}

/* Moves held input into the in ring; true when bytes went in. */
static bool cb_push_input(struct console_ring *r)
{
	struct sv_console_ring *page = cb_page(r);
	long n;

	if (!r->input_len)
		return false;
	n = sv_bring_write(page->in, SV_CONSOLE_IN_SIZE, &page->in_cons, &page->in_prod, r->input,
			   r->input_len);
	if (n < 0) {
		cb_broken(r, "in");
		return false;
	}
	memmove(r->input, r->input + n, r->input_len - (size_t)n);
	r->input_len -= (size_t)n;
	return n > 0;
}

/*
 * One pass over the out ring: what is there now, at most its size, so a guest
 * that keeps writing waits for the next notify instead of holding the loop.
 */
static bool cb_drain_output(struct console_ring *r)
{
	struct sv_console_ring *page = cb_page(r);
	char buf[SV_CONSOLE_OUT_SIZE];
	long n;

	n = sv_bring_read(page->out, SV_CONSOLE_OUT_SIZE, &page->out_cons, &page->out_prod, buf,
			  sizeof(buf), false);
	if (n < 0) {
		cb_broken(r, "out");
		return false;
	}
	if (n)
		ts_console_output(r->d0, r->td, buf, (size_t)n);
	/*
	 * The guest waits for room only when its ring was full, and kicked us after
	 * filling it: raising for a half-full ring wakes such a writer without
	 * interrupting a guest that prints little for every line.
	 */
	return (size_t)n >= SV_CONSOLE_OUT_SIZE / 2;
}

void cb_pump(struct console_ring *r)
{
	bool raise;

	gp_drain_notify(&r->gp);
	if (r->closed || r->broken)
		return;
	raise = cb_drain_output(r);
	if (!r->broken)
		raise |= cb_push_input(r);
	if (raise)
		gp_raise(&r->gp, "console");
}

void cb_drain(struct ts_domain *td)
{
	struct console_ring *r = td->console;

	if (r && !r->closed && !r->broken && cb_drain_output(r))
		gp_raise(&r->gp, "console");
}

static void cb_free(struct console_ring *r)
{
	gp_close(&r->gp);
	free(r);
}

void cb_open(struct dom0 *d0, struct ts_domain *td)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct console_ring *r;
	char err[256] = "";
	int ret;

	if (td->console)
		cb_close(d0, td);
	r = calloc(1, sizeof(*r));
	if (!r) {
		ret = -ENOMEM;
		goto out;
	}
	r->kind = D0_CONSOLE_RING;
	r->d0 = d0;
	r->td = td;
	ret = gp_open(d0, td->info.domid, SV_CTL_CONSOLE_BIND, &r->gp, err, sizeof(err));
	/* A domain without a console port prints through the core only: nothing to do. */
	if (ret == -ENOENT) {
		free(r);
		return;
	}
	if (ret)
		goto out;
	ev.data.ptr = r;
	if (epoll_ctl(d0->epfd, EPOLL_CTL_ADD, r->gp.notify_fd, &ev) < 0) {
		ret = -errno;
		goto out;
	}
	td->console = r;
	/* Output written before we bound (or while svdom0 was away). */
	cb_pump(r);
out:
	if (ret) {
		fprintf(stderr, "svdom0: console ring of domain %u: %s\n", td->info.domid,
			err[0] ? err : strerror(-ret));
		if (r)
			cb_free(r);
	}
}

/*
 * Freed later by cb_reap: the event loop may still hold an epoll event naming
 * this ring in the batch it is working through.
 */
void cb_close(struct dom0 *d0, struct ts_domain *td)
{
	struct console_ring *r = td->console;

	if (!r)
		return;
	/* The guest's last lines (a shutdown message) may not have been kicked yet. */
	if (!r->broken)
		cb_drain_output(r);
	epoll_ctl(d0->epfd, EPOLL_CTL_DEL, r->gp.notify_fd, NULL);
	r->closed = true;
	r->td = NULL;
	r->next_closed = d0->closed_consoles;
	d0->closed_consoles = r;
	td->console = NULL;
}

void cb_reap(struct dom0 *d0)
{
	struct console_ring *r;

	while ((r = d0->closed_consoles)) {
		d0->closed_consoles = r->next_closed;
		cb_free(r);
	}
}

void cb_ts_input(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h, const void *p)
{
	struct ts_domain *td;
	struct console_ring *r;

	for (td = d0->domains; td; td = td->next)
		if (c->following && td->info.domid == c->follow_domid)
			break;
	if (!td) {
		ts_err(c, h, -EINVAL, "console input without an attached console");
		return;
	}
	r = td->console;
	if (!r || r->broken) {
		ts_err(c, h, -ENOTCONN, "the domain has no console ring: it takes no input");
		return;
	}
	/* All or nothing: svctl holds the bytes and sends them again after -EAGAIN. */
	if (h->len > CB_INPUT_MAX - r->input_len) {
		ts_err(c, h, -EAGAIN, "the guest is not reading its console");
		return;
	}
	memcpy(r->input + r->input_len, p, h->len);
	r->input_len += h->len;
	if (cb_push_input(r))
		gp_raise(&r->gp, "console");
	sv_conn_queue(&c->conn, h->op, h->req_id, 0, NULL, 0, -1);
}
