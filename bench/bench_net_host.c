// SPDX-License-Identifier: MIT
/*
 * The host's side of svctl bench net (bench_net_host.h): ip(8), the sockets
 * that count what reaches the host, and the baselines measured in the same
 * run: a veth pair between this network namespace and a forked child's, and
 * memcpy of the frame size.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_net_host.h"
#include "errmsg.h"
#include "util.h"

extern char **environ;

#define NB_VETH_A      "svbv0"
#define NB_VETH_B      "svbv1"
#define NB_BATCH       32u /* datagrams per sendmmsg and recvmmsg: what netbench pushes at once */
#define NB_RCVBUF      (64 << 20)
#define NB_FIRST_MS    10000 /* until the first datagram at a host socket */
#define NB_MEMCPY_NS   50000000ull
#define NB_MEMCPY_BUFS 64u

struct nb_msg {
	int32_t status;
	uint32_t size, count;
	uint64_t got, ns;
};

/* ---- the host's side: ip(8), sockets, the veth pair ---- */

/* Runs ip(8) with args (in this process's network namespace); 0 or -errno with err set. */
int nb_ip(const char *const *args, char *err, size_t errlen)
{
	static const char *const paths[] = { "/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip" };
	const char *argv[16] = { "ip" }, *path = NULL;
	char text[256] = "ip";
	int n = 1, ret, status;
	pid_t pid;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]) && !path; i++)
		if (!access(paths[i], X_OK))
			path = paths[i];
	for (; *args && n < 15; args++) {
		argv[n++] = *args;
		snprintf(text + strlen(text), sizeof(text) - strlen(text), " %s", *args);
	}
	argv[n] = NULL;
	if (!path)
		return errmsg_set(err, errlen, -ENOENT, "no ip(8) in /usr/sbin or /sbin");
	ret = posix_spawn(&pid, path, NULL, NULL, (char *const *)argv, environ);
	if (ret)
		return errmsg_set(err, errlen, -ret, "cannot run %s: %s", path, strerror(ret));
	if (waitpid(pid, &status, 0) < 0)
		return errmsg_set(err, errlen, -errno, "%s: lost it", text);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return errmsg_set(err, errlen, -EIO, "`%s` failed (status %d)", text, status);
	return 0;
}

void nb_rx_close(struct nb_rx *rx)
{
	for (unsigned int i = 0; i < rx->nfd; i++)
		close(rx->fd[i]);
	rx->nfd = 0;
}

/* UDP sockets bound to addr:NB_PORT.. (flows of them) that take a burst whole and stamp arrivals. */
int nb_rx_open(struct nb_rx *rx, const char *addr, unsigned int flows, char *err, size_t errlen)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int one = 1, size = NB_RCVBUF, fd;

	memset(rx, 0, sizeof(*rx));
	inet_pton(AF_INET, addr, &sa.sin_addr);
	for (unsigned int i = 0; i < flows && i < NB_MAX_FLOWS; i++) {
		sa.sin_port = htons((uint16_t)(NB_PORT + i));
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			errmsg_set(err, errlen, -errno, "socket: %s", strerror(errno));
			nb_rx_close(rx);
			return -EIO;
		}
		rx->fd[rx->nfd++] = fd;
		/* FREEBIND: bound before the address exists, so the first datagram finds us. */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) ||
		    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) ||
		    setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) ||
		    bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			errmsg_set(err, errlen, -errno, "UDP socket on %s:%u: %s", addr,
				   NB_PORT + i, strerror(errno));
			nb_rx_close(rx);
			return -EIO;
		}
	}
	return 0;
}

static uint64_t nb_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Counts what one socket holds now, with the kernel's arrival stamps. */
static void nb_rx_drain_one(struct nb_rx *rx, int fd)
{
	static char bufs[NB_BATCH][2048];
	static char ctl[NB_BATCH][CMSG_SPACE(sizeof(struct timespec))];
	struct mmsghdr m[NB_BATCH];
	struct iovec iov[NB_BATCH];
	int n;

	for (;;) {
		for (unsigned int i = 0; i < NB_BATCH; i++) {
			iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
			m[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i],
							      .msg_iovlen = 1,
							      .msg_control = ctl[i],
							      .msg_controllen = sizeof(ctl[i]) } };
		}
		n = recvmmsg(fd, m, NB_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		rx->seen_ns = util_now_ns();
		for (int i = 0; i < n; i++) {
			struct cmsghdr *c = CMSG_FIRSTHDR(&m[i].msg_hdr);
			uint64_t t = 0;

			for (; c; c = CMSG_NXTHDR(&m[i].msg_hdr, c)) {
				struct timespec ts;

				if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS)
					continue;
				memcpy(&ts, CMSG_DATA(c), sizeof(ts));
				t = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
			}
			if (!t)
				t = nb_realtime_ns();
			/* Several sockets are drained in turn: their stamps interleave. */
			if (!rx->got++ || t < rx->first_ns)
				rx->first_ns = t;
			if (t > rx->last_ns)
				rx->last_ns = t;
			rx->bytes += m[i].msg_len;
		}
	}
}

void nb_rx_drain(struct nb_rx *rx)
{
	for (unsigned int i = 0; i < rx->nfd; i++)
		nb_rx_drain_one(rx, rx->fd[i]);
}

/* Until count arrived, or nothing did for a while (the rest was lost). */
static void nb_rx_count(struct nb_rx *rx, uint64_t count)
{
	struct pollfd pfd[NB_MAX_FLOWS];

	for (unsigned int i = 0; i < rx->nfd; i++)
		pfd[i] = (struct pollfd){ .fd = rx->fd[i], .events = POLLIN };
	while (rx->got < count &&
	       poll(pfd, rx->nfd, rx->got ? (int)(NB_IDLE_NS / 1000000) : NB_FIRST_MS) > 0)
		nb_rx_drain(rx);
}

static int nb_msg_io(int fd, struct nb_msg *m, bool out)
{
	ssize_t n = out ? write(fd, m, sizeof(*m)) : read(fd, m, sizeof(*m));

	return n == (ssize_t)sizeof(*m) ? 0 : -EPIPE;
}

/*
 * The child: leaves for a namespace of its own, is handed NB_VETH_B there,
 * addresses it, then counts a round of datagrams for each request until one
 * asks for none. Runs in a forked copy of svctl and ends with _exit.
 */
static void nb_veth_child(int rfd, int wfd)
{
	char err[256] = "";
	struct nb_msg m = { 0 };
	struct nb_rx rx = { .nfd = 0 };

	m.status = unshare(CLONE_NEWNET) ? -errno : 0;
	if (nb_msg_io(wfd, &m, true) || m.status || nb_msg_io(rfd, &m, false))
		_exit(1);
	m.status =
		nb_ip((const char *const[]){ "link", "set", "lo", "up", NULL }, err, sizeof(err));
	if (!m.status)
		m.status = nb_ip((const char *const[]){ "addr", "add", "10.8.0.2/24", "dev",
							NB_VETH_B, NULL },
				 err, sizeof(err));
	if (!m.status)
		m.status = nb_ip((const char *const[]){ "link", "set", NB_VETH_B, "up", NULL }, err,
				 sizeof(err));
	if (!m.status)
		m.status = nb_rx_open(&rx, "10.8.0.2", NB_MAX_FLOWS, err, sizeof(err));
	if (m.status)
		fprintf(stderr, "svctl bench net: veth peer: %s\n", err);
	if (nb_msg_io(wfd, &m, true) || m.status)
		_exit(1);
	while (!nb_msg_io(rfd, &m, false) && m.count) {
		rx.got = rx.bytes = rx.first_ns = rx.last_ns = 0;
		if (nb_msg_io(wfd, &m, true))
			break;
		nb_rx_count(&rx, m.count);
		m.got = rx.got;
		m.ns = rx.got > 1 ? rx.last_ns - rx.first_ns : 0;
		if (nb_msg_io(wfd, &m, true))
			break;
	}
	_exit(0);
}

void nb_veth_close(struct nb_veth *v)
{
	struct nb_msg m = { 0 };

	if (v->fd >= 0)
		close(v->fd);
	if (v->to >= 0) {
		nb_msg_io(v->to, &m, true);
		close(v->to);
	}
	if (v->from >= 0)
		close(v->from);
	if (v->pid > 0)
		waitpid(v->pid, NULL, 0);
	*v = (struct nb_veth){ .fd = -1, .to = -1, .from = -1 };
}

/*
 * Sends count datagrams of size to the child over flows destination ports in
 * turn, as the guests' netbench --flows does; the child counts them on all
 * its sockets: their first-to-last time.
 */
static int nb_veth_round(struct nb_veth *v, unsigned int size, unsigned int count,
			 unsigned int flows, uint64_t *got, uint64_t *ns)
{
	static char payload[2048];
	struct sockaddr_in to[NB_MAX_FLOWS];
	struct mmsghdr m[NB_BATCH];
	struct iovec iov = { payload, size };
	struct nb_msg msg = { .size = size, .count = count };
	unsigned int sent = 0;
	int n;

	if (!flows || flows > NB_MAX_FLOWS)
		flows = 1;
	for (unsigned int i = 0; i < flows; i++) {
		to[i] = (struct sockaddr_in){ .sin_family = AF_INET,
					      .sin_port = htons((uint16_t)(NB_PORT + i)) };
		inet_pton(AF_INET, "10.8.0.2", &to[i].sin_addr);
	}
	if (nb_msg_io(v->to, &msg, true) || nb_msg_io(v->from, &msg, false))
		return -EPIPE;
	while (sent < count) {
		for (unsigned int i = 0; i < NB_BATCH; i++) {
			m[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov, .msg_iovlen = 1 } };
			/* One flow: the connected socket's own peer, as before. */
			if (flows > 1) {
				m[i].msg_hdr.msg_name = &to[(sent + i) % flows];
				m[i].msg_hdr.msg_namelen = sizeof(to[0]);
			}
		}
		n = sendmmsg(v->fd, m, count - sent < NB_BATCH ? count - sent : NB_BATCH, 0);
		if (n < 0 && errno != EINTR && errno != ENOBUFS)
			break;
		sent += n > 0 ? (unsigned int)n : 0;
	}
	if (nb_msg_io(v->from, &msg, false))
		return -EPIPE;
	*got = msg.got;
	*ns = msg.ns;
	return 0;
}

int nb_veth_open(struct nb_veth *v, char *err, size_t errlen)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(NB_PORT) };
	int to[2] = { -1, -1 }, from[2] = { -1, -1 }, ret;
	struct nb_msg m = { 0 };
	char pid[16];
	uint64_t got = 0, ns;

	*v = (struct nb_veth){ .fd = -1, .to = -1, .from = -1 };
	if (pipe2(to, O_CLOEXEC) || pipe2(from, O_CLOEXEC)) {
		ret = errmsg_set(err, errlen, -errno, "pipe: %s", strerror(errno));
		goto out;
	}
	v->pid = fork();
	if (v->pid < 0) {
		ret = errmsg_set(err, errlen, -errno, "fork: %s", strerror(errno));
		goto out;
	}
	if (!v->pid) {
		close(to[1]);
		close(from[0]);
		nb_veth_child(to[0], from[1]);
	}
	v->to = to[1];
	v->from = from[0];
	close(to[0]);
	close(from[1]);
	to[0] = to[1] = from[0] = from[1] = -1;
	if (nb_msg_io(v->from, &m, false) || m.status) {
		ret = errmsg_set(err, errlen, -EIO, "the veth peer has no namespace of its own");
		goto out;
	}
	snprintf(pid, sizeof(pid), "%d", (int)v->pid);
	ret = nb_ip((const char *const[]){ "link", "add", NB_VETH_A, "type", "veth", "peer", "name",
					   NB_VETH_B, NULL },
		    err, errlen);
	if (!ret)
		ret = nb_ip((const char *const[]){ "link", "set", NB_VETH_B, "netns", pid, NULL },
			    err, errlen);
	if (!ret)
		ret = nb_ip((const char *const[]){ "addr", "add", "10.8.0.1/24", "dev", NB_VETH_A,
						   NULL },
			    err, errlen);
	if (!ret)
		ret = nb_ip((const char *const[]){ "link", "set", NB_VETH_A, "up", NULL }, err,
			    errlen);
	if (ret)
		goto out;
	if (nb_msg_io(v->to, &m, true) || nb_msg_io(v->from, &m, false) || m.status) {
		ret = errmsg_set(err, errlen, -EIO, "the veth peer could not set up its end");
		goto out;
	}
	inet_pton(AF_INET, "10.8.0.2", &sa.sin_addr);
	v->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (v->fd < 0 || connect(v->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = errmsg_set(err, errlen, -errno, "UDP socket to 10.8.0.2: %s",
				 strerror(errno));
		goto out;
	}
	/* Neighbour resolution first: datagrams sent meanwhile would be dropped, not timed. */
	for (int i = 0; i < 3 && !ret && got != 1; i++)
		ret = nb_veth_round(v, NB_SMALL, 1, 1, &got, &ns);
	if (!ret && got != 1)
		ret = errmsg_set(err, errlen, -EIO, "nothing crosses the veth pair");
	else if (ret)
		errmsg_set(err, errlen, ret, "the veth peer went away");
out:
	for (int i = 0; i < 2; i++) {
		if (to[i] >= 0)
			close(to[i]);
		if (from[i] >= 0)
			close(from[i]);
	}
	if (ret)
		nb_veth_close(v);
	return ret;
}

/* GB/s of memcpy in pieces of len bytes among buffers that stay in cache, as ring pages do. */
static double nb_memcpy(size_t len)
{
	static char src[NB_MEMCPY_BUFS][2048], dst[NB_MEMCPY_BUFS][2048];
	/* Through a volatile pointer: the compiler may not drop or merge the copies. */
	void *(*volatile cpy)(void *, const void *, size_t) = memcpy;
	uint64_t t0, t, n = 0;

	/* Written first: untouched, every source would be the kernel's one zero page. */
	memset(src, 0x5a, sizeof(src));
	t0 = util_now_ns();
	do {
		for (unsigned int i = 0; i < 10000; i++, n++)
			cpy(dst[n % NB_MEMCPY_BUFS], src[(n * 7) % NB_MEMCPY_BUFS], len);
		t = util_now_ns() - t0;
	} while (t < NB_MEMCPY_NS);
	return (double)(n * len) / (double)t;
}

/* The veth baseline of one payload size into s. */
int nb_base(struct net_bench *nb, unsigned int size, unsigned int count, struct nb_sample *s,
	    char *err, size_t errlen)
{
	uint64_t got = 0, ns = 0;

	if (nb_veth_round(&nb->veth, size, count, nb->flows, &got, &ns))
		return errmsg_set(err, errlen, -EIO, "the veth peer went away");
	if (got < 2 || !ns)
		return errmsg_set(err, errlen, -EIO, "%llu of %u datagrams crossed the veth pair",
				  (unsigned long long)got, count);
	s->base_fps = (double)got / ((double)ns / 1e9);
	s->base_gbps = (double)got * size * 8 / (double)ns;
	s->base_lost = (double)count - (double)got;
	s->memcpy_gbs = nb_memcpy(size + NB_HDR);
	return 0;
}

/* Leaves for a network namespace of our own, with lo up: the daemons started later follow. */
int nb_isolate(char *err, size_t errlen)
{
	if (unshare(CLONE_NEWNET)) {
		if (errno == EPERM)
			return errmsg_set(err, errlen, -EPERM,
					  "needs root: it makes a network namespace and network "
					  "devices of its own");
		return errmsg_set(err, errlen, -errno, "unshare(CLONE_NEWNET): %s",
				  strerror(errno));
	}
	return nb_ip((const char *const[]){ "link", "set", "lo", "up", NULL }, err, errlen);
}
