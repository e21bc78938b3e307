// SPDX-License-Identifier: MIT
/*
 * Xenstore connections over sockets (xs_sock.h): the byte pump between a
 * socket and the xenstore library's connection, for svdom0's loop. The
 * clients of xenstore.sock are dom0; a driver domain's socket is its own
 * domid, so the library applies Xen's permissions to it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "svdom0.h"
#include "xs_sock.h"

struct xs_sock {
	int kind; /* D0_XS_CLIENT: the epoll tag */
	struct xs_sock *next;
	int fd;
	uint32_t events;
	bool dead;
	bool accepted;		/* a client of xenstore.sock: counted by the loop */
	struct xs_sock **owner; /* cleared when this goes */
	struct xs_conn *xc;
	size_t in_len;
	uint8_t in[XS_MSG_MAX];
};

static void xs_sock_watch(struct dom0 *d0, struct xs_sock *x, uint32_t want, bool add)
{
	struct epoll_event ev = { .events = want, .data.ptr = x };

	if (!add && x->events == want)
		return;
	epoll_ctl(d0->epfd, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, x->fd, &ev);
	x->events = want;
}

int xs_sock_add(struct dom0 *d0, int fd, uint16_t domid, struct xs_sock **owner)
{
	struct xs_sock *x = calloc(1, sizeof(*x));

	if (!x) {
		close(fd);
		return -ENOMEM;
	}
	x->kind = D0_XS_CLIENT;
	x->fd = fd;
	x->owner = owner;
	x->accepted = !owner;
	x->xc = xs_conn_new(d0->xs, domid);
	if (!x->xc) {
		close(fd);
		free(x);
		return -ENOMEM;
	}
	x->next = d0->xs_socks;
	d0->xs_socks = x;
	if (owner)
		*owner = x;
	xs_sock_watch(d0, x, EPOLLIN, true);
	return 0;
}

void xs_sock_kill(struct xs_sock **ref)
{
	struct xs_sock *x = *ref;

	if (!x)
		return;
	/* The owner may hold a new connection before this one is freed. */
	x->dead = true;
	x->owner = NULL;
	*ref = NULL;
}

void xs_sock_io(struct xs_sock *x)
{
	const void *ptr;
	size_t len;
	ssize_t n;

	for (;;) {
		/* Output first: replies drained let the server take more requests. */
		for (;;) {
			xs_conn_output(x->xc, &ptr, &len);
			if (!len)
				break;
			n = send(x->fd, ptr, len, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			if (n <= 0) {
				x->dead = true;
				return;
			}
			xs_conn_consume(x->xc, (size_t)n);
		}
		if (x->in_len) {
			n = xs_conn_feed(x->xc, x->in, x->in_len);
			if (n < 0) {
				x->dead = true;
				return;
			}
			memmove(x->in, x->in + n, x->in_len - (size_t)n);
			x->in_len -= (size_t)n;
			if (n > 0)
				continue;
		}
		if (x->in_len == sizeof(x->in))
			return;
		n = recv(x->fd, x->in + x->in_len, sizeof(x->in) - x->in_len, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			x->dead = true;
			return;
		}
		x->in_len += (size_t)n;
	}
}

static void xs_sock_free(struct dom0 *d0, struct xs_sock *x)
{
	if (x->owner)
		*x->owner = NULL;
	xs_conn_free(x->xc);
	/*
	 * Out of epoll before the close: a svdd being forked holds a copy of every fd
	 * until its exec, and a registration outlives a close while a copy lives.
	 */
	epoll_ctl(d0->epfd, EPOLL_CTL_DEL, x->fd, NULL);
	close(x->fd);
	free(x);
}

unsigned int xs_sock_service(struct dom0 *d0)
{
	struct xs_sock **xp = &d0->xs_socks, *x;
	unsigned int gone = 0;
	const void *ptr;
	size_t len;

	while ((x = *xp)) {
		if (!x->dead)
			xs_sock_io(x);
		if (x->dead || xs_conn_is_dead(x->xc)) {
			*xp = x->next;
			gone += x->accepted;
			xs_sock_free(d0, x);
			continue;
		}
		xs_conn_output(x->xc, &ptr, &len);
		xs_sock_watch(d0, x,
			      (x->in_len < sizeof(x->in) ? EPOLLIN : 0) | (len ? EPOLLOUT : 0),
			      false);
		xp = &x->next;
	}
	return gone;
}

void xs_sock_free_all(struct dom0 *d0)
{
	struct xs_sock *x;

	while ((x = d0->xs_socks)) {
		d0->xs_socks = x->next;
		xs_sock_free(d0, x);
	}
}
