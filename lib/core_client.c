// SPDX-License-Identifier: MIT
/* Client side of svcored's control socket. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core_client.h"
#include "ctl_wire.h"

/* The core answers at once except for create and destroy, which take a moment. */
#define CC_REPLY_TIMEOUT_MS 60000

struct cc_event {
	struct cc_event *next;
	struct sv_ctl_hdr h;
	uint8_t payload[];
};

struct core_client {
	int fd;
	uint32_t next_req;
	struct cc_event *head, *tail;
	uint8_t buf[SV_CTL_PAYLOAD_MAX];
};

static int read_token(const char *rundir, char *token, size_t size)
{
	char path[300];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/core.token", rundir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, token, size - 1);
	close(fd);
	if (n != SV_CTL_TOKEN_LEN)
		return -EINVAL;
	token[n] = '\0';
	return 0;
}

static void cc_queue(struct core_client *cc, const struct sv_ctl_hdr *h, const void *p)
{
	struct cc_event *ev = malloc(sizeof(*ev) + h->len);

	if (!ev)
		return;
	ev->next = NULL;
	ev->h = *h;
	memcpy(ev->payload, p, h->len);
	if (cc->tail)
		cc->tail->next = ev;
	else
		cc->head = ev;
	cc->tail = ev;
}

int cc_connect(const char *rundir, bool privileged, struct core_client **out, char *err,
	       size_t errlen)
{
	struct sv_ctl_hello hello = { .version = SV_CTL_VERSION };
	struct sv_ctl_hello_reply r;
	struct core_client *cc;
	char path[300];
	int ret;

	cc = calloc(1, sizeof(*cc));
	if (!cc)
		return -ENOMEM;
	cc->next_req = 1;
	snprintf(path, sizeof(path), "%s/core.sock", rundir);
	cc->fd = wire_unix_connect(path);
	if (cc->fd < 0) {
		ret = cc->fd;
		snprintf(err, errlen, "cannot connect to %s: %s", path, strerror(-ret));
		goto out;
	}
	if (privileged) {
		ret = read_token(rundir, hello.token, sizeof(hello.token));
		if (ret) {
			snprintf(err, errlen, "cannot read %s/core.token: %s", rundir,
				 strerror(-ret));
			goto out;
		}
	}
	ret = cc_call(cc, SV_CTL_HELLO, &hello, sizeof(hello), &r, sizeof(r), NULL, NULL, err,
		      errlen);
	if (ret)
		goto out;
	*out = cc;
	return 0;
out:
	cc_free(cc);
	return ret;
}

int cc_fd(const struct core_client *cc)
{
	return cc->fd;
}

static void close_fds(int *fds, size_t n)
{
	while (n)
		close(fds[--n]);
}

int cc_call_fds(struct core_client *cc, uint32_t op, const void *req, size_t len, void *reply,
		size_t cap, size_t *reply_len, int *fds, size_t nfds, char *err, size_t errlen)
{
	uint32_t id = cc->next_req++;
	int got[SV_CTL_FDS_MAX];
	struct sv_ctl_hdr h;
	size_t n, i;
	int ret;

	if (cc->next_req == 0)
		cc->next_req = 1;
	for (i = 0; i < nfds; i++)
		fds[i] = -1;
	ret = wire_msg_send(cc->fd, op, id, 0, req, len);
	while (!ret) {
		ret = wire_msg_recv_fds(cc->fd, &h, cc->buf, sizeof(cc->buf), got, SV_CTL_FDS_MAX,
					&n, CC_REPLY_TIMEOUT_MS);
		if (ret)
			break;
		if (h.op >= SV_CTL_EV_BASE || h.req_id != id) {
			close_fds(got, n);
			if (h.op >= SV_CTL_EV_BASE)
				cc_queue(cc, &h, cc->buf);
			continue;
		}
		if (h.status) {
			close_fds(got, n);
			if (err && errlen)
				snprintf(err, errlen, "%.*s", (int)h.len, (char *)cc->buf);
			return h.status < 0 ? h.status : -EPROTO;
		}
		if (h.len > cap) {
			close_fds(got, n);
			ret = -EPROTO;
			break;
		}
		if (h.len)
			memcpy(reply, cc->buf, h.len);
		if (reply_len)
			*reply_len = h.len;
		for (i = 0; i < n; i++) {
			if (i < nfds)
				fds[i] = got[i];
			else
				close(got[i]);
		}
		return 0;
	}
	if (err && errlen)
		snprintf(err, errlen, "control socket: %s", strerror(-ret));
	return ret;
}

int cc_call(struct core_client *cc, uint32_t op, const void *req, size_t len, void *reply,
	    size_t cap, size_t *reply_len, int *fd_out, char *err, size_t errlen)
{
	int fd;

	return cc_call_fds(cc, op, req, len, reply, cap, reply_len, fd_out ? fd_out : &fd,
			   fd_out ? 1 : 0, err, errlen);
}

int cc_poll_events(struct core_client *cc)
{
	struct pollfd pfd = { .fd = cc->fd, .events = POLLIN };
	struct sv_ctl_hdr h;
	int ret;

	while (poll(&pfd, 1, 0) > 0) {
		if (!(pfd.revents & POLLIN))
			return -EPIPE;
		ret = wire_msg_recv(cc->fd, &h, cc->buf, sizeof(cc->buf), NULL,
				    CC_REPLY_TIMEOUT_MS);
		if (ret)
			return -EPIPE;
		if (h.op >= SV_CTL_EV_BASE)
			cc_queue(cc, &h, cc->buf);
	}
	return 0;
}

int cc_next_event(struct core_client *cc, struct sv_ctl_hdr *h, void *payload, size_t cap)
{
	struct cc_event *ev = cc->head;

	if (!ev)
		return 0;
	cc->head = ev->next;
	if (!cc->head)
		cc->tail = NULL;
	*h = ev->h;
	if (h->len > cap)
		h->len = (uint32_t)cap;
	memcpy(payload, ev->payload, h->len);
	free(ev);
	return 1;
}

void cc_free(struct core_client *cc)
{
	struct cc_event *ev;

	if (!cc)
		return;
	while ((ev = cc->head)) {
		cc->head = ev->next;
		free(ev);
	}
	if (cc->fd >= 0)
		close(cc->fd);
	free(cc);
}
