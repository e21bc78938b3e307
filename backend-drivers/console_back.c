// SPDX-License-Identifier: MIT
/*
 * The console backend (console_back.h). It runs on the host's event loop:
 * each kick of the guest's console port drains the out ring to the output
 * function and moves held keyboard input into the in ring.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <splitvisor/byte_ring.h>
#include <splitvisor/console.h>
#include <splitvisor/control.h>
#include <splitvisor/start_info.h>

#include "backend_port.h"
#include "console_back.h"
#include "log.h"

/* Keyboard bytes held for a guest that has not read its in ring yet. */
#define CB_INPUT_MAX 4096u

struct console_back {
	struct backend_env *env;
	struct backend_port port;
	uint8_t *mem; /* the guest's core pages: shared info and the rings */
	uint64_t mem_size;
	console_back_output_fn *output;
	void *arg;
	char input[CB_INPUT_MAX];
	size_t input_len;
	bool broken;
	struct log_ratelimit rl;
};

static struct sv_console_ring *cb_page(struct console_back *r)
{
	return (struct sv_console_ring *)(r->mem + SV_CONSOLE_RING_GPA);
}

static void cb_broken(struct console_back *r, const char *which)
{
	static const char note[] = "\n[svdom0: console ring indices out of range]\n";

	log_limited(&r->rl, LOG_LEVEL_WARN, "domain %u broke its console ring (%s indices)",
		    r->port.domid, which);
	r->output(r->arg, note, sizeof(note) - 1);
	r->broken = true;
}

/* Moves held input into the in ring; true when bytes went in. */
static bool cb_push_input(struct console_back *r)
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
static bool cb_drain_output(struct console_back *r)
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
		r->output(r->arg, buf, (size_t)n);
	/*
	 * The guest waits for room only when its ring was full, and kicked us after
	 * filling it: raising for a half-full ring wakes such a writer without
	 * interrupting a guest that prints little for every line.
	 */
	return (size_t)n >= SV_CONSOLE_OUT_SIZE / 2;
}

static void cb_raise(struct console_back *r)
{
	if (backend_port_raise(&r->port))
		log_limited(&r->rl, LOG_LEVEL_ERR, "cannot raise domain %u's console port",
			    r->port.domid);
}

static void cb_pump(void *arg)
{
	struct console_back *r = arg;
	bool raise;

	backend_port_drain(&r->port);
	if (r->broken)
		return;
	raise = cb_drain_output(r);
	if (!r->broken)
		raise |= cb_push_input(r);
	if (raise)
		cb_raise(r);
}

void console_back_drain(struct console_back *r)
{
	if (r && !r->broken && cb_drain_output(r))
		cb_raise(r);
}

static void cb_free(struct console_back *r)
{
	backend_port_close(r->env, &r->port, false);
	if (r->mem)
		r->env->ops->unmap_guest(r->env, r->mem, r->mem_size);
	free(r);
}

int console_back_open(struct backend_env *env, uint32_t domid, console_back_output_fn *output,
		      void *arg, struct console_back **out, char *err, size_t errlen)
{
	struct console_back *r;
	void *mem = NULL;
	int ret;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->env = env;
	r->output = output;
	r->arg = arg;
	backend_port_init(&r->port);
	/* Only the core's pages: the shared info and the rings are all we touch. */
	ret = env->ops->map_guest(env, domid, SV_RESERVED_END, &mem, &r->mem_size, err, errlen);
	if (ret)
		goto out;
	r->mem = mem;
	ret = backend_port_bind(env, SV_CTL_CONSOLE_BIND, domid, 0,
				(struct sv_shared_info *)(r->mem + SV_SHARED_INFO_GPA), &r->port,
				err, errlen);
	if (ret)
		goto out;
	ret = env->ops->fd_add(env, r->port.notify_fd, cb_pump, r);
	if (ret) {
		snprintf(err, errlen, "cannot watch the console port: %s", strerror(-ret));
		goto out;
	}
	*out = r;
	/* Output written before we bound (or while the backend was away). */
	cb_pump(r);
out:
	if (ret)
		cb_free(r);
	return ret;
}

void console_back_close(struct console_back *r)
{
	if (!r)
		return;
	/* The guest's last lines (a shutdown message) may not have been kicked yet. */
	if (!r->broken)
		cb_drain_output(r);
	r->env->ops->fd_del(r->env, r->port.notify_fd);
	cb_free(r);
}

int console_back_input(struct console_back *r, const void *buf, size_t len)
{
	if (r->broken)
		return -ENOTCONN;
	if (len > CB_INPUT_MAX - r->input_len)
		return -EAGAIN;
	memcpy(r->input + r->input_len, buf, len);
	r->input_len += len;
	if (cb_push_input(r))
		cb_raise(r);
	return 0;
}
