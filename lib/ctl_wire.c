// SPDX-License-Identifier: MIT
/* Control-socket framing shared by the core, the control domain and svctl. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <splitvisor/event_channel.h>
#include <splitvisor/grant_table.h>
#include <splitvisor/limits.h>

#include "errmsg.h"
#include "ctl_wire.h"

struct wire_conn_msg {
	struct wire_conn_msg *next;
	int fds[SV_CTL_FDS_MAX];
	unsigned int nfds;
	size_t len, off;
	uint8_t data[];
};

bool wire_str_ok(const char *field, size_t size)
{
	return memchr(field, '\0', size) != NULL;
}

static const size_t ctl_req_len[SV_CTL_OP_COUNT] = {
	[SV_CTL_HELLO] = sizeof(struct sv_ctl_hello),
	[SV_CTL_CREATE] = sizeof(struct sv_ctl_create),
	[SV_CTL_DESTROY] = sizeof(struct sv_ctl_domid),
	[SV_CTL_PAUSE] = sizeof(struct sv_ctl_domid),
	[SV_CTL_UNPAUSE] = sizeof(struct sv_ctl_domid),
	[SV_CTL_INFO] = sizeof(struct sv_ctl_domid),
	[SV_CTL_LIST] = sizeof(struct sv_ctl_list),
	[SV_CTL_MEMFD] = sizeof(struct sv_ctl_domid),
	[SV_CTL_STORE_BIND] = sizeof(struct sv_ctl_domid),
	[SV_CTL_CONSOLE_BIND] = sizeof(struct sv_ctl_domid),
	[SV_CTL_EVTCHN_BIND] = sizeof(struct sv_ctl_evtchn),
	[SV_CTL_EVTCHN_CLOSE] = sizeof(struct sv_ctl_evtchn),
	[SV_CTL_GNTTAB] = sizeof(struct sv_ctl_domid),
	[SV_CTL_PROCDOM_CREATE] = sizeof(struct sv_ctl_procdom),
	[SV_CTL_GNT_AREA] = sizeof(struct sv_ctl_gnt_area),
	[SV_CTL_GNT_COPY] = sizeof(struct sv_ctl_gnt_copy),
	[SV_CTL_GNT_MAP] = sizeof(struct sv_ctl_gnt_map),
	[SV_CTL_GNT_UNMAP] = sizeof(struct sv_ctl_gnt_map),
	[SV_CTL_SUBSCRIBE] = 0,
	[SV_CTL_STOP] = 0,
};

static int check_create(const struct sv_ctl_create *c, char *err, size_t errlen)
{
	size_t i, n;

	if (!wire_str_ok(c->name, sizeof(c->name)) || !wire_str_ok(c->kernel, sizeof(c->kernel)) ||
	    !wire_str_ok(c->cmdline, sizeof(c->cmdline)) ||
	    !wire_str_ok(c->initrd, sizeof(c->initrd)))
		return errmsg_set(err, errlen, -EINVAL, "a string field is not NUL-terminated");
	n = strlen(c->name);
	if (!n || n > SV_MAX_NAME_LEN)
		return errmsg_set(err, errlen, -EINVAL, "domain name must have 1..%u characters",
				  SV_MAX_NAME_LEN);
	for (i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.+",
			    c->name[i]))
			return errmsg_set(
				err, errlen, -EINVAL,
				"domain name: character %zu is not one of A-Z a-z 0-9 _ . + -",
				i + 1);
	/* Above SV_MAX_MEMORY_MIB only a PVH kernel will do; the core finds out which it is. */
	if (c->memory_mib < SV_MIN_MEMORY_MIB || c->memory_mib > SV_MAX_PVH_MEMORY_MIB)
		return errmsg_set(err, errlen, -EINVAL, "memory %u MiB is outside %u..%u MiB",
				  c->memory_mib, SV_MIN_MEMORY_MIB, SV_MAX_PVH_MEMORY_MIB);
	if (c->vcpus < 1 || c->vcpus > SV_MAX_VCPUS)
		return errmsg_set(err, errlen, -EINVAL, "%u vCPUs is outside 1..%u", c->vcpus,
				  SV_MAX_VCPUS);
	if (c->kernel[0] != '/')
		return errmsg_set(err, errlen, -EINVAL, "the kernel path must be absolute");
	if (c->initrd[0] && c->initrd[0] != '/')
		return errmsg_set(err, errlen, -EINVAL, "the initrd path must be absolute");
	if (c->flags & ~(SV_CTL_CREATE_PAUSED | SV_CTL_CREATE_PVH))
		return errmsg_set(err, errlen, -EINVAL, "unknown create flags %#x", c->flags);
	if (c->wallclock_offset_s < -SV_CTL_WALLCLOCK_OFFSET_MAX ||
	    c->wallclock_offset_s > SV_CTL_WALLCLOCK_OFFSET_MAX)
		return errmsg_set(err, errlen, -EINVAL,
				  "wall clock offset %d s is more than a day (%d s) from UTC",
				  c->wallclock_offset_s, SV_CTL_WALLCLOCK_OFFSET_MAX);
	if (c->max_grant_frames > SV_GNTTAB_MAX_FRAMES)
		return errmsg_set(err, errlen, -EINVAL,
				  "%u grant-table frames is above the core's maximum of %u",
				  c->max_grant_frames, SV_GNTTAB_MAX_FRAMES);
	if (c->max_event_channels == 1 || c->max_event_channels >= SV_EVTCHN_NR_PORTS)
		return errmsg_set(err, errlen, -EINVAL,
				  "%u event channels is outside 2..%u (the console and xenstore "
				  "take two)",
				  c->max_event_channels, SV_EVTCHN_NR_PORTS - 1);
	return 0;
}

static int check_procdom(const struct sv_ctl_procdom *p, char *err, size_t errlen)
{
	if (!wire_str_ok(p->name, sizeof(p->name)) || !p->name[0])
		return errmsg_set(err, errlen, -EINVAL, "process domain name is empty or too long");
	if (p->domid > SV_CTL_DOMID_MAX || p->pad)
		return errmsg_set(err, errlen, -EINVAL, "domid %u is outside 1..%u", p->domid,
				  SV_CTL_DOMID_MAX);
	return 0;
}

static int check_gnt_area(const struct sv_ctl_gnt_area *a, char *err, size_t errlen)
{
	if (!a->size || a->size % 4096u || a->size > SV_CTL_GNT_AREA_MAX)
		return errmsg_set(err, errlen, -EINVAL,
				  "grant area size %llu is not a multiple of 4096 in 4096..%u",
				  (unsigned long long)a->size, SV_CTL_GNT_AREA_MAX);
	return 0;
}

static int check_gnt_copy(const struct sv_ctl_gnt_copy *c, char *err, size_t errlen)
{
	if (c->domid > SV_CTL_DOMID_MAX)
		return errmsg_set(err, errlen, -EINVAL, "domid %u is out of range", c->domid);
	if (!c->count || c->count > SV_CTL_GNT_COPY_MAX)
		return errmsg_set(err, errlen, -EINVAL,
				  "grant copy of %u segments is outside 1..%u", c->count,
				  SV_CTL_GNT_COPY_MAX);
	if (c->ops_offset % 8u)
		return errmsg_set(err, errlen, -EINVAL,
				  "grant copy segments at %llu are not 8-byte aligned",
				  (unsigned long long)c->ops_offset);
	return 0;
}

static int check_gnt_map(const struct sv_ctl_gnt_map *m, char *err, size_t errlen)
{
	if (m->domid > SV_CTL_DOMID_MAX)
		return errmsg_set(err, errlen, -EINVAL, "domid %u is out of range", m->domid);
	if (m->flags & ~SV_CTL_GNT_MAP_READONLY || m->pad)
		return errmsg_set(err, errlen, -EINVAL, "grant map flags %#x are not known",
				  m->flags);
	return 0;
}

int wire_check_request(const struct sv_ctl_hdr *h, const void *payload, char *err, size_t errlen)
{
	const struct sv_ctl_hello *hello = payload;

	if (h->op == 0 || h->op >= SV_CTL_OP_COUNT)
		return errmsg_set(err, errlen, -EINVAL, "unknown op %u", h->op);
	if (h->len != ctl_req_len[h->op])
		return errmsg_set(err, errlen, -EINVAL, "op %u takes %zu payload bytes, not %u",
				  h->op, ctl_req_len[h->op], h->len);
	if (h->status != 0)
		return errmsg_set(err, errlen, -EINVAL, "a request's status must be 0");
	switch (h->op) {
	case SV_CTL_HELLO:
		if (!wire_str_ok(hello->token, sizeof(hello->token)))
			return errmsg_set(err, errlen, -EINVAL, "token is not NUL-terminated");
		if (hello->version != SV_CTL_VERSION || hello->flags)
			return errmsg_set(err, errlen, -EPROTONOSUPPORT,
					  "protocol version %u flags %#x not supported",
					  hello->version, hello->flags);
		return 0;
	case SV_CTL_CREATE:
		return check_create(payload, err, errlen);
	case SV_CTL_PROCDOM_CREATE:
		return check_procdom(payload, err, errlen);
	case SV_CTL_GNT_AREA:
		return check_gnt_area(payload, err, errlen);
	case SV_CTL_GNT_COPY:
		return check_gnt_copy(payload, err, errlen);
	case SV_CTL_GNT_MAP:
	case SV_CTL_GNT_UNMAP:
		return check_gnt_map(payload, err, errlen);
	default:
		return 0;
	}
}

const char *wire_state_name(uint32_t state)
{
	switch (state) {
	case SV_CTL_STATE_RUNNING:
		return "running";
	case SV_CTL_STATE_PAUSED:
		return "paused";
	case SV_CTL_STATE_SHUTDOWN:
		return "shutdown";
	case SV_CTL_STATE_CRASHED:
		return "crashed";
	}
	return "unknown";
}

void wire_conn_init(struct wire_conn *c, int fd)
{
	memset(c, 0, offsetof(struct wire_conn, in));
	c->head = c->tail = NULL;
	c->out_bytes = 0;
	c->fd = fd;
}

void wire_conn_close(struct wire_conn *c)
{
	struct wire_conn_msg *m;

	while ((m = c->head)) {
		c->head = m->next;
		while (m->nfds)
			close(m->fds[--m->nfds]);
		free(m);
	}
	c->tail = NULL;
	c->out_bytes = 0;
	wire_conn_drop_fds(c);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->dead = true;
}

int wire_conn_queue(struct wire_conn *c, uint32_t op, uint32_t req_id, int32_t status,
		    const void *payload, size_t len, int pass_fd)
{
	return wire_conn_queue_fds(c, op, req_id, status, payload, len, &pass_fd,
				   pass_fd >= 0 ? 1 : 0);
}

int wire_conn_queue_fds(struct wire_conn *c, uint32_t op, uint32_t req_id, int32_t status,
			const void *payload, size_t len, const int *fds, unsigned int nfds)
{
	struct sv_ctl_hdr h = {
		.op = op, .len = (uint32_t)len, .req_id = req_id, .status = status
	};
	struct wire_conn_msg *m;
	unsigned int i;
	int ret;

	if (len > SV_CTL_PAYLOAD_MAX || nfds > SV_CTL_FDS_MAX)
		return -EMSGSIZE;
	m = malloc(sizeof(*m) + sizeof(h) + len);
	if (!m)
		return -ENOMEM;
	m->next = NULL;
	for (m->nfds = 0; m->nfds < nfds; m->nfds++) {
		m->fds[m->nfds] = dup(fds[m->nfds]);
		if (m->fds[m->nfds] < 0) {
			ret = -errno;
			for (i = 0; i < m->nfds; i++)
				close(m->fds[i]);
			free(m);
			return ret;
		}
	}
	m->len = sizeof(h) + len;
	m->off = 0;
	memcpy(m->data, &h, sizeof(h));
	if (len)
		memcpy(m->data + sizeof(h), payload, len);
	if (c->tail)
		c->tail->next = m;
	else
		c->head = m;
	c->tail = m;
	c->out_bytes += m->len;
	return 0;
}

int wire_conn_error(struct wire_conn *c, const struct sv_ctl_hdr *req, int status, const char *fmt,
		    ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return wire_conn_queue(c, req->op, req->req_id, status, msg, strlen(msg) + 1, -1);
}

/* Sends the rest of m; its fds ride on the first byte. */
static ssize_t conn_send_one(int fd, struct wire_conn_msg *m)
{
	char cbuf[CMSG_SPACE(sizeof(int) * SV_CTL_FDS_MAX)];
	struct iovec iov = { m->data + m->off, m->len - m->off };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (m->nfds && m->off == 0) {
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * m->nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * m->nfds);
		memcpy(CMSG_DATA(cm), m->fds, sizeof(int) * m->nfds);
	}
	return sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
}

void wire_conn_flush(struct wire_conn *c)
{
	struct wire_conn_msg *m;
	ssize_t n;

	while (!c->dead && (m = c->head)) {
		n = conn_send_one(c->fd, m);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			c->dead = true;
			return;
		}
		m->off += (size_t)n;
		c->out_bytes -= (size_t)n;
		if (m->off < m->len)
			continue;
		c->head = m->next;
		if (!c->head)
			c->tail = NULL;
		while (m->nfds)
			close(m->fds[--m->nfds]);
		free(m);
	}
}

void wire_conn_drop_fds(struct wire_conn *c)
{
	while (c->in_nfds)
		close(c->in_fds[--c->in_nfds]);
}

int wire_conn_take_fd(struct wire_conn *c)
{
	int fd;

	if (!c->in_nfds)
		return -1;
	fd = c->in_fds[0];
	memmove(c->in_fds, c->in_fds + 1, --c->in_nfds * sizeof(c->in_fds[0]));
	return fd;
}

/* Keeps what fits of the fds that came (in order) and closes the rest. */
static void conn_keep_fds(struct wire_conn *c, struct msghdr *mh)
{
	struct cmsghdr *cm;
	size_t i, n;
	int fd;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (c->in_nfds < SV_CTL_FDS_MAX)
				c->in_fds[c->in_nfds++] = fd;
			else
				close(fd);
		}
	}
}

int wire_conn_read(struct wire_conn *c)
{
	char cbuf[CMSG_SPACE(sizeof(int) * SV_CTL_FDS_MAX)];
	struct iovec iov;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (c->dead)
		return -EPIPE;
	if (c->in_len == sizeof(c->in))
		return 0;
	/*
	 * A process domain passes its grant area's memfd; a peer's other fds are
	 * closed once every message they could belong to is handled (wire_conn_pop).
	 */
	iov.iov_base = c->in + c->in_len;
	iov.iov_len = sizeof(c->in) - c->in_len;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	if (n > 0 || mh.msg_controllen)
		conn_keep_fds(c, &mh);
	if (n <= 0) {
		c->dead = true;
		return -EPIPE;
	}
	c->in_len += (size_t)n;
	return 0;
}

int wire_conn_next(struct wire_conn *c, struct sv_ctl_hdr *h, const void **payload)
{
	if (c->in_len < sizeof(*h))
		return 0;
	memcpy(h, c->in, sizeof(*h));
	if (h->len > SV_CTL_PAYLOAD_MAX)
		return -EMSGSIZE;
	if (c->in_len < sizeof(*h) + h->len)
		return 0;
	*payload = c->in + sizeof(*h);
	return 1;
}

void wire_conn_pop(struct wire_conn *c)
{
	struct sv_ctl_hdr h;
	size_t n;

	memcpy(&h, c->in, sizeof(h));
	n = sizeof(h) + h.len;
	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= n;
	/* An fd rides on its message's first byte: with no input left, its message was handled. */
	if (!c->in_len)
		wire_conn_drop_fds(c);
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int wire_msg_send(int fd, uint32_t op, uint32_t req_id, int32_t status, const void *payload,
		  size_t len)
{
	struct sv_ctl_hdr h = {
		.op = op, .len = (uint32_t)len, .req_id = req_id, .status = status
	};
	uint8_t buf[SV_CTL_MSG_MAX];

	if (len > SV_CTL_PAYLOAD_MAX)
		return -EMSGSIZE;
	memcpy(buf, &h, sizeof(h));
	if (len)
		memcpy(buf + sizeof(h), payload, len);
	return write_all(fd, buf, sizeof(h) + len);
}

/* Reads exactly len bytes, collecting up to max passed fds (the rest are closed). */
static int read_exact(int fd, void *buf, size_t len, int *fds, size_t max, size_t *nfds,
		      int timeout_ms)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 4)];
	uint8_t *p = buf;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	while (len) {
		struct iovec iov = { p, len };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		struct cmsghdr *cm;
		ssize_t n;
		int r;

		if (timeout_ms >= 0) {
			r = poll(&pfd, 1, timeout_ms);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return -errno;
			if (r == 0)
				return -ETIMEDOUT;
		}
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			size_t i, nfd;

			if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
				continue;
			nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (i = 0; i < nfd; i++) {
				int got;

				memcpy(&got, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
				if (*nfds < max)
					fds[(*nfds)++] = got;
				else
					close(got);
			}
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int wire_msg_recv_fds(int fd, struct sv_ctl_hdr *h, void *payload, size_t cap, int *fds, size_t max,
		      size_t *nfds, int timeout_ms)
{
	int got[SV_CTL_FDS_MAX];
	size_t n = 0, i;
	int ret;

	if (max > SV_CTL_FDS_MAX)
		max = SV_CTL_FDS_MAX;
	*nfds = 0;
	ret = read_exact(fd, h, sizeof(*h), got, SV_CTL_FDS_MAX, &n, timeout_ms);
	if (ret)
		goto out;
	if (h->len > SV_CTL_PAYLOAD_MAX || h->len > cap) {
		ret = -EMSGSIZE;
		goto out;
	}
	/* Once the header is in, the rest follows at once: wait without a bound. */
	ret = read_exact(fd, payload, h->len, got, SV_CTL_FDS_MAX, &n, -1);
out:
	for (i = 0; i < n; i++) {
		if (!ret && i < max)
			fds[(*nfds)++] = got[i];
		else
			close(got[i]);
	}
	return ret;
}

int wire_msg_recv(int fd, struct sv_ctl_hdr *h, void *payload, size_t cap, int *fd_out,
		  int timeout_ms)
{
	int fds[1] = { -1 };
	size_t n;
	int ret;

	ret = wire_msg_recv_fds(fd, h, payload, cap, fds, fd_out ? 1 : 0, &n, timeout_ms);
	if (fd_out)
		*fd_out = n ? fds[0] : -1;
	return ret;
}

static int unix_addr(const char *path, struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(a->sun_path))
		return -ENAMETOOLONG;
	strcpy(a->sun_path, path);
	return 0;
}

int wire_unix_listen(const char *path)
{
	struct sockaddr_un a;
	int fd, ret;

	ret = unix_addr(path, &a);
	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

int wire_unix_connect(const char *path)
{
	struct sockaddr_un a;
	int fd, ret;

	ret = unix_addr(path, &a);
	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

int wire_run_dir(char *buf, size_t len)
{
	const char *env = getenv("SPLITVISOR_RUN_DIR");
	int n;

	if (env && *env)
		n = snprintf(buf, len, "%s", env);
	else if ((env = getenv("XDG_RUNTIME_DIR")) && *env)
		n = snprintf(buf, len, "%s/splitvisor", env);
	else if (geteuid() == 0)
		n = snprintf(buf, len, "/run/splitvisor");
	else
		n = snprintf(buf, len, "/tmp/splitvisor-%u", (unsigned int)geteuid());
	/* Leave room for "/console/<name>.log" and the socket names. */
	return n < 0 || (size_t)n + 96 >= len || n > 80 ? -ENAMETOOLONG : 0;
}

int wire_run_dir_make(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (stat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	/* The sockets inside grant dom0's rights to whoever can reach them. */
	if (st.st_uid != geteuid() || (st.st_mode & 0077))
		return -EACCES;
	return 0;
}
