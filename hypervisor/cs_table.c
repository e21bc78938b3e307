// SPDX-License-Identifier: MIT
/*
 * The control server's tables: domains by domid, clients, and the epoll set.
 * Both the request handlers (control_server.c) and the process domains
 * (cs_procdom.c) look things up here; it calls neither.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "cs_priv.h"
#include "ctl_wire.h"

struct cs_domain *cs_find(struct control_server *srv, uint32_t domid)
{
	struct cs_domain *dom;

	for (dom = srv->domains; dom; dom = dom->next)
		if (dom->domid == domid)
			return dom;
	return NULL;
}

bool cs_domain_ended(struct cs_domain *dom)
{
	bool ended;

	pthread_mutex_lock(&dom->lock);
	ended = dom->ended;
	pthread_mutex_unlock(&dom->lock);
	return ended;
}

int cs_epoll_add(struct control_server *srv, int fd, void *ptr)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = ptr };

	return epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

void cs_epoll_del(struct control_server *srv, int fd)
{
	epoll_ctl(srv->epfd, EPOLL_CTL_DEL, fd, NULL);
}

int cs_client_add(struct control_server *srv, int fd, struct cs_client **out)
{
	struct cs_client *c;
	int ret;

	if (srv->nr_clients >= CS_MAX_CLIENTS)
		return -EMFILE;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	wire_conn_init(&c->conn, fd);
	c->events = EPOLLIN;
	ret = cs_epoll_add(srv, fd, c);
	if (ret) {
		free(c);
		return ret;
	}
	c->next = srv->clients;
	srv->clients = c;
	srv->nr_clients++;
	*out = c;
	return 0;
}
