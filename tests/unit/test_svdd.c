// SPDX-License-Identifier: MIT
/*
 * svdd, the real binary, with the test as its svdom0: socketpairs on fds 3..6,
 * the real xenstore server in-process (svdd's connection is xs_conn_new as
 * its domid, so Xen's permissions apply), the toolstack's answers on fd 5
 * and requests on fd 6, and the core's side of fd 3 answered minimally (the
 * core needs KVM): HELLO and GNT_AREA, whose bytes the test checks. No KVM.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <splitvisor/control.h>
#include <splitvisor/driver_domain.h>
#include <splitvisor/xs_wire.h>

#include "xenstore.h"
#include "xs_local.h"

#define DD    7u
#define GUEST 3u
#define BE    "/local/domain/7/backend/vbd/3/768"
#define FE    "/local/domain/3/device/vbd/768"
#define BE2   "/local/domain/7/backend/vbd/3/832"
#define FE2   "/local/domain/3/device/vbd/832"
#define VBE   "/local/domain/7/backend/vif/3/0"
#define VFE   "/local/domain/3/device/vif/0"

struct tsv {
	struct xs_server *srv;
	struct xs_local *xs;	  /* the test as dom0 */
	struct xs_conn *ddc;	  /* svdd's connection, as domid DD */
	int core, xsock, ts, ctl; /* our ends */
	int errfd;
	pid_t pid;
	char err[16384];
	size_t errlen;
	uint8_t xin[XS_MSG_MAX * 4];
	size_t xin_len;
	/* what svdd did */
	unsigned int hellos, areas, watches, open_disks, open_taps, core_other;
	int tap; /* the test's end of the TAP device svdd got */
	uint64_t area_size;
	char open_path[SV_DD_PATH_SIZE];
	int disk_fd;	/* what we answer OPEN_DISK with */
	char image[64]; /* its path, written in params */
	bool bad_reply; /* answer OPEN_DISK with garbage instead */
	bool core_eof, ts_eof, xs_eof;
};

static void tsv_setup(struct tsv *t)
{
	struct xs_server_config cfg;
	char perms[16];
	size_t plen;

	memset(t, 0, sizeof(*t));
	t->pid = -1;
	xs_server_config_default(&cfg);
	t->srv = xs_server_new(&cfg);
	ck_assert_ptr_nonnull(t->srv);
	t->xs = xsl_new(t->srv, 0);
	ck_assert_int_eq(xs_domain_introduce(t->srv, DD, NULL), 0);
	ck_assert_int_eq(xs_domain_introduce(t->srv, GUEST, NULL), 0);
	t->ddc = xs_conn_new(t->srv, DD);
	ck_assert_ptr_nonnull(t->ddc);
	/* The driver domain's home, as the toolstack makes it: its own. */
	ck_assert_int_ge(xsl_call(t->xs, XS_MKDIR, "/local/domain/7", NULL, 0, NULL, 0), 0);
	plen = (size_t)snprintf(perms, sizeof(perms), "n%u", DD) + 1;
	ck_assert_int_ge(xsl_set_perms(t->xs, "/local/domain/7", perms, plen), 0);
	t->disk_fd = -1;
	t->tap = -1;
}

static void tsv_start(struct tsv *t, const char *extra)
{
	int sp[4][2], ep[2];

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp[i]), 0);
	ck_assert_int_eq(pipe2(ep, O_CLOEXEC), 0);
	t->pid = fork();
	ck_assert_int_ge(t->pid, 0);
	if (!t->pid) {
		for (int i = 0; i < 4; i++)
			if (dup2(sp[i][1], 3 + i) < 0)
				_exit(127);
		dup2(ep[1], 2);
		/* LeakSanitizer's tracer is a process, which the filter refuses. */
		if (!extra || strcmp(extra, "--no-sandbox"))
			setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
		execl(SVDD_PATH, "svdd", "--domid", "7", "--name", "dd0", extra, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 4; i++)
		close(sp[i][1]);
	close(ep[1]);
	t->core = sp[0][0];
	t->xsock = sp[1][0];
	t->ts = sp[2][0];
	t->ctl = sp[3][0];
	t->errfd = ep[0];
	fcntl(t->errfd, F_SETFL, O_NONBLOCK);
}

static void send_msg(int fd, uint32_t op, uint32_t id, int32_t status, const void *p, size_t len,
		     int pass_fd)
{
	struct sv_ctl_hdr h = { .op = op, .len = (uint32_t)len, .req_id = id, .status = status };
	char cbuf[CMSG_SPACE(sizeof(int))];
	uint8_t buf[SV_CTL_MSG_MAX];
	struct iovec iov = { buf, sizeof(h) + len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	memcpy(buf, &h, sizeof(h));
	if (len)
		memcpy(buf + sizeof(h), p, len);
	if (pass_fd >= 0) {
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
	}
	ck_assert_int_eq(sendmsg(fd, &mh, MSG_NOSIGNAL), (ssize_t)iov.iov_len);
}

/* One message from svdd (blocking: poll said readable), with a passed fd if any; false at EOF. */
static bool recv_msg(int fd, struct sv_ctl_hdr *h, void *p, size_t cap, int *pfd)
{
	ssize_t n;

	char cbuf[CMSG_SPACE(sizeof(int) * 2)];
	struct iovec iov = { h, sizeof(*h) };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;

	*pfd = -1;
	n = recvmsg(fd, &mh, MSG_WAITALL);
	if (n == 0)
		return false;
	ck_assert_int_eq(n, sizeof(*h));
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_type == SCM_RIGHTS)
			memcpy(pfd, CMSG_DATA(cm), sizeof(int));
	ck_assert_uint_le(h->len, cap);
	if (h->len)
		ck_assert_int_eq(recv(fd, p, h->len, MSG_WAITALL), (ssize_t)h->len);
	return true;
}

static void core_input(struct tsv *t)
{
	uint8_t p[SV_CTL_PAYLOAD_MAX];
	struct sv_ctl_hdr h;
	struct stat st;
	int fd;

	if (!recv_msg(t->core, &h, p, sizeof(p), &fd)) {
		t->core_eof = true;
		return;
	}
	if (h.op == SV_CTL_HELLO) {
		struct sv_ctl_hello_reply r = { .version = SV_CTL_VERSION, .domid = DD };
		const struct sv_ctl_hello *req = (const void *)p;

		ck_assert_uint_eq(h.len, sizeof(*req));
		ck_assert_uint_eq(req->version, SV_CTL_VERSION);
		ck_assert_int_eq(req->token[0], 0); /* no token: not privileged */
		t->hellos++;
		send_msg(t->core, h.op, h.req_id, 0, &r, sizeof(r), -1);
	} else if (h.op == SV_CTL_GNT_AREA) {
		const struct sv_ctl_gnt_area *req = (const void *)p;

		ck_assert_uint_eq(h.len, sizeof(*req));
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(fstat(fd, &st), 0);
		ck_assert_uint_eq((uint64_t)st.st_size, req->size);
		ck_assert_uint_eq(req->size % 4096, 0);
		t->area_size = req->size;
		t->areas++;
		send_msg(t->core, h.op, h.req_id, 0, NULL, 0, -1);
	} else {
		t->core_other++;
		send_msg(t->core, h.op, h.req_id, -EPERM, "not in this test", 17, -1);
	}
	if (fd >= 0)
		close(fd);
}

static void ts_input(struct tsv *t)
{
	uint8_t p[SV_CTL_PAYLOAD_MAX];
	struct sv_dd_disk_reply r = { .open_flags = O_RDWR };
	const struct sv_dd_device *dev = (const void *)p;
	struct sv_ctl_hdr h;
	int fd, tap[2];

	if (!recv_msg(t->ts, &h, p, sizeof(p), &fd)) {
		t->ts_eof = true;
		return;
	}
	ck_assert_int_lt(fd, 0);
	ck_assert(h.op == SV_DD_OPEN_DISK || h.op == SV_DD_OPEN_TAP);
	ck_assert_uint_eq(h.len, sizeof(*dev));
	ck_assert_ptr_nonnull(memchr(dev->backend_path, 0, sizeof(dev->backend_path)));
	snprintf(t->open_path, sizeof(t->open_path), "%.*s", (int)sizeof(t->open_path) - 1,
		 dev->backend_path);
	if (t->bad_reply) { /* hostile: a reply too short and no fd */
		send_msg(t->ts, h.op, h.req_id, 0, "x", 1, -1);
	} else if (h.op == SV_DD_OPEN_DISK) {
		send_msg(t->ts, h.op, h.req_id, 0, &r, sizeof(r), t->disk_fd);
	} else {
		/* A TAP device as svdd sees one: frames in, frames out. */
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, tap), 0);
		send_msg(t->ts, h.op, h.req_id, 0, NULL, 0, tap[1]);
		close(tap[1]);
		t->tap = tap[0];
	}
	if (h.op == SV_DD_OPEN_DISK)
		t->open_disks++;
	else
		t->open_taps++;
}

/* svdd's xenstore requests into its connection, the replies and events back. */
static void xs_pump(struct tsv *t)
{
	const void *ptr, *payload;
	struct xs_msg_hdr h;
	ssize_t n, m;
	size_t len;

	n = recv(t->xsock, t->xin + t->xin_len, sizeof(t->xin) - t->xin_len, MSG_DONTWAIT);
	if (n > 0)
		t->xin_len += (size_t)n;
	if (n == 0)
		t->xs_eof = true;
	/* Count the watches it sets, message by message, before the server sees them. */
	while ((m = xs_msg_decode(t->xin, t->xin_len, &h, &payload)) > 0) {
		if (h.type == XS_WATCH)
			t->watches++;
		ck_assert_int_eq(xs_conn_feed(t->ddc, t->xin, (size_t)m), m);
		memmove(t->xin, t->xin + m, t->xin_len - (size_t)m);
		t->xin_len -= (size_t)m;
	}
	for (;;) {
		xs_conn_output(t->ddc, &ptr, &len);
		if (!len)
			break;
		if (send(t->xsock, ptr, len, MSG_NOSIGNAL) != (ssize_t)len)
			break; /* svdd is gone */
		xs_conn_consume(t->ddc, len);
	}
}

static void err_pump(struct tsv *t)
{
	ssize_t n = read(t->errfd, t->err + t->errlen, sizeof(t->err) - 1 - t->errlen);

	if (n > 0)
		t->errlen += (size_t)n;
	t->err[t->errlen] = '\0';
}

/* Serves svdd for up to ms milliseconds. */
static void tsv_pump(struct tsv *t, int ms)
{
	struct pollfd p[4] = {
		{ .fd = t->core_eof ? -1 : t->core, .events = POLLIN },
		{ .fd = t->xs_eof ? -1 : t->xsock, .events = POLLIN },
		{ .fd = t->ts_eof ? -1 : t->ts, .events = POLLIN },
		{ .fd = t->errfd, .events = POLLIN },
	};

	xs_pump(t);
	if (poll(p, 4, ms) <= 0)
		return;
	if (p[0].revents & POLLIN)
		core_input(t);
	if (p[1].revents & POLLIN)
		xs_pump(t);
	if (p[2].revents & POLLIN)
		ts_input(t);
	if (p[3].revents & POLLIN)
		err_pump(t);
	xs_pump(t);
}

static bool tsv_alive(struct tsv *t)
{
	return waitpid(t->pid, NULL, WNOHANG) == 0;
}

/* Pumps until path reads want (NULL: exists), up to 10 s. */
static bool tsv_wait_key(struct tsv *t, const char *path, const char *want)
{
	char buf[256];

	for (int i = 0; i < 1000; i++) {
		int n = xsl_read(t->xs, path, buf, sizeof(buf));

		if (n >= 0 && (!want || !strcmp(buf, want)))
			return true;
		tsv_pump(t, 10);
	}
	return false;
}

static bool tsv_wait_log(struct tsv *t, const char *needle)
{
	for (int i = 0; i < 1000 && !strstr(t->err, needle); i++)
		tsv_pump(t, 10);
	return strstr(t->err, needle) != NULL;
}

static void tsv_put(struct tsv *t, const char *dir, const char *key, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	ck_assert_int_ge(xsl_write(t->xs, path, val), 0);
}

static void tsv_mkdir(struct tsv *t, const char *path, uint32_t owner, uint32_t reader)
{
	char perms[32];
	size_t plen = (size_t)snprintf(perms, sizeof(perms), "n%u%cr%u", owner, 0, reader) + 1;

	ck_assert_int_ge(xsl_call(t->xs, XS_MKDIR, path, NULL, 0, NULL, 0), 0);
	ck_assert_int_ge(xsl_set_perms(t->xs, path, perms, plen), 0);
}

/* Both directories as svdom0 writes them for a disk of a driver domain. */
static void tsv_vbd(struct tsv *t, const char *be, const char *fe, uint32_t be_owner,
		    uint32_t be_reader, const char *params)
{
	tsv_mkdir(t, be, be_owner, be_reader);
	tsv_put(t, be, "frontend", fe);
	tsv_put(t, be, "frontend-id", "3");
	tsv_put(t, be, "params", params);
	tsv_put(t, be, "mode", "w");
	tsv_put(t, be, "dev", "xvda");
	tsv_put(t, be, "online", "1");
	tsv_put(t, be, "state", "1");
	tsv_mkdir(t, fe, GUEST, DD);
	tsv_put(t, fe, "backend", be);
	tsv_put(t, fe, "backend-id", "7");
	tsv_put(t, fe, "state", "1");
}

/* Ends svdd (SIGTERM when term; else it is expected to end by itself) and the test's side. */
/* A vif's directories as svdom0 writes them for an <interface type='ethernet'>. */
static void tsv_vif(struct tsv *t, const char *tap)
{
	tsv_mkdir(t, VBE, DD, GUEST);
	tsv_put(t, VBE, "frontend", VFE);
	tsv_put(t, VBE, "frontend-id", "3");
	tsv_put(t, VBE, "mac", "00:16:3e:00:00:03");
	tsv_put(t, VBE, "handle", "0");
	tsv_put(t, VBE, "vifname", tap);
	tsv_put(t, VBE, "online", "1");
	tsv_put(t, VBE, "state", "1");
	tsv_mkdir(t, VFE, GUEST, DD);
	tsv_put(t, VFE, "backend", VBE);
	tsv_put(t, VFE, "backend-id", "7");
	tsv_put(t, VFE, "state", "1");
}

static int tsv_stop(struct tsv *t, bool term)
{
	int status = -1;

	if (t->pid > 0) {
		if (term)
			kill(t->pid, SIGTERM);
		for (int i = 0; i < 1000 && waitpid(t->pid, &status, WNOHANG) == 0; i++)
			tsv_pump(t, 10);
		if (!WIFEXITED(status) && !WIFSIGNALED(status)) {
			kill(t->pid, SIGKILL);
			waitpid(t->pid, &status, 0);
		}
		err_pump(t);
	}
	close(t->core);
	close(t->xsock);
	close(t->ts);
	close(t->ctl);
	close(t->errfd);
	xs_conn_free(t->ddc);
	xsl_free(t->xs);
	xs_server_free(t->srv);
	if (t->tap >= 0)
		close(t->tap);
	if (t->disk_fd >= 0) {
		close(t->disk_fd);
		unlink(t->image);
	}
	return status;
}

/* A 1 MiB image at t->image, open in t->disk_fd; removed at the end of the test. */
static void tmp_disk(struct tsv *t)
{
	snprintf(t->image, sizeof(t->image), "/tmp/test_svdd_XXXXXX");
	t->disk_fd = mkstemp(t->image);
	ck_assert_int_ge(t->disk_fd, 0);
	ck_assert_int_eq(ftruncate(t->disk_fd, 1 << 20), 0);
}

/* svdom0's request on fd 6, the reply's status; the reply's text in msg. */
static int tsv_inject(struct tsv *t, uint32_t op, const void *p, size_t len, char *msg, size_t cap)
{
	static uint32_t id = 100;
	struct sv_ctl_hdr h;
	char buf[SV_CTL_PAYLOAD_MAX + 1];
	struct pollfd pf = { .fd = t->ctl, .events = POLLIN };
	int fd;

	send_msg(t->ctl, op, ++id, 0, p, len, -1);
	for (int i = 0; i < 1000 && poll(&pf, 1, 0) == 0; i++)
		tsv_pump(t, 10);
	ck_assert(recv_msg(t->ctl, &h, buf, sizeof(buf) - 1, &fd));
	ck_assert_uint_eq(h.req_id, id);
	ck_assert_uint_eq(h.op, op);
	buf[h.len] = '\0';
	snprintf(msg, cap, "%.*s", (int)cap - 1, buf);
	return h.status;
}

/* Started as root, svdd runs as its own uid (the sandbox), all four of them. */
static void tsv_check_uid(struct tsv *t)
{
	char path[64], want[64], line[256] = "";
	FILE *f;

	if (geteuid() != 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)t->pid);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) && strncmp(line, "Uid:", 4))
		;
	fclose(f);
	snprintf(want, sizeof(want), "Uid:\t%u\t%u\t%u\t%u\n", SV_DD_UID_BASE + DD,
		 SV_DD_UID_BASE + DD, SV_DD_UID_BASE + DD, SV_DD_UID_BASE + DD);
	ck_assert_str_eq(line, want);
}

START_TEST(test_svdd_serves_a_disk)
{
	struct sv_dd_inject in = { .fault = SV_DD_FAULT_SLOW, .arg = 5 };
	char buf[256], msg[256];
	struct tsv t;
	int status, n;

	tsv_setup(&t);
	/* The real image: svdom0 opens what it wrote in params and passes it. */
	tmp_disk(&t);
	tsv_start(&t, NULL);
	for (int i = 0; i < 1000 && (t.areas < 1 || t.watches < 2); i++)
		tsv_pump(&t, 10);
	ck_assert_msg(t.hellos == 1 && t.areas == 1, "hello %u area %u; log: %s", t.hellos, t.areas,
		      t.err);
	ck_assert_uint_eq(t.watches, 2);
	ck_assert_uint_ge(t.area_size, 1 << 20);

	tsv_vbd(&t, BE, FE, DD, GUEST, t.image);
	ck_assert_msg(tsv_wait_key(&t, BE "/state", "2"), "no InitWait; log: %s", t.err);
	ck_assert_uint_eq(t.open_disks, 1);
	ck_assert_str_eq(t.open_path, BE);
	ck_assert_int_ge(xsl_read(t.xs, BE "/sectors", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "2048");
	/* Written as domid 7: the node is the driver domain's, readable by the guest. */
	n = xsl_call(t.xs, XS_GET_PERMS, BE "/sectors", NULL, 0, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_str_eq(buf, "n7");
	ck_assert_str_eq(buf + 3, "r3");

	/* A directory the toolstack got wrong (dom0's, only readable): Xen's perms refuse. */
	tsv_vbd(&t, BE2, FE2, 0, DD, t.image);
	ck_assert_msg(tsv_wait_log(&t, BE2 ": ") && strstr(t.err, "Permission denied"), "log: %s",
		      t.err);
	ck_assert_int_eq(xsl_read(t.xs, BE2 "/sectors", buf, sizeof(buf)), -ENOENT);
	ck_assert(tsv_alive(&t));

	/* svdom0's fault injection. */
	ck_assert_int_eq(tsv_inject(&t, SV_DD_INJECT, &in, sizeof(in), msg, sizeof(msg)), 0);
	ck_assert(tsv_wait_log(&t, "injected fault 1 (arg 5)"));
	in.fault = 99;
	ck_assert_int_eq(tsv_inject(&t, SV_DD_INJECT, &in, sizeof(in), msg, sizeof(msg)), -EINVAL);
	ck_assert_str_eq(msg, "inject: 99 is not a fault");
	ck_assert_int_eq(tsv_inject(&t, SV_DD_INJECT, &in, 3, msg, sizeof(msg)), -EINVAL);
	ck_assert_int_eq(tsv_inject(&t, SV_DD_OPEN_DISK, &in, sizeof(in), msg, sizeof(msg)),
			 -EOPNOTSUPP);

	/* The directory goes: the device goes down. */
	xsl_rm(t.xs, BE);
	ck_assert_msg(tsv_wait_log(&t, BE ": directory gone, device down"), "log: %s", t.err);

	tsv_check_uid(&t);
	ck_assert(tsv_alive(&t));
	status = tsv_stop(&t, true);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x; log: %s", status,
		      t.err);
}
END_TEST

/* Broken peers: garbage framing on fd 6, a bad reply on fd 5; svdd goes on. */
START_TEST(test_svdd_hostile_toolstack)
{
	struct sv_ctl_hdr h = { .op = SV_DD_INJECT, .len = 0x7fffffff, .req_id = 1 };
	char msg[64];
	struct tsv t;
	int status;

	tsv_setup(&t);
	t.bad_reply = true;
	/* Sandboxed whatever blkback does: the loop, the sockets, the area go through it. */
	tsv_start(&t, NULL);
	for (int i = 0; i < 1000 && t.watches < 2; i++)
		tsv_pump(&t, 10);
	ck_assert_msg(t.watches == 2 && t.areas == 1, "log: %s", t.err);
	tsv_check_uid(&t);
	ck_assert_int_eq(write(t.ctl, &h, sizeof(h)), sizeof(h));
	ck_assert_msg(tsv_wait_log(&t, "control socket: a message longer than the framing"),
		      "log: %s", t.err);
	tsv_vbd(&t, BE, FE, DD, GUEST, "/nonexistent-svdd-test-image");
	ck_assert_msg(tsv_wait_log(&t, "the toolstack's reply has 1 bytes"), "log: %s", t.err);
	ck_assert_uint_eq(t.open_disks, 1);
	/* A vif with a TAP device: svdd asks for it, and a garbage answer fails that vif only. */
	tsv_vif(&t, "svddtap0");
	ck_assert_msg(tsv_wait_log(&t, "vif/3/0: the toolstack: a reply of 1 bytes to op 2"),
		      "log: %s", t.err);
	ck_assert_uint_eq(t.open_taps, 1);
	ck_assert_str_eq(t.open_path, VBE);
	xsl_rm(t.xs, VBE);
	for (int i = 0; i < 20; i++)
		tsv_pump(&t, 10);
	/*
	 * Still serving, under the sandbox: the same vif again with a good answer,
	 * the network thread starts (clone with CLONE_THREAD) and reads the TAP fd.
	 */
	t.bad_reply = false;
	tsv_vif(&t, "svddtap0");
	ck_assert_msg(tsv_wait_key(&t, VBE "/state", "2"), "no InitWait; log: %s", t.err);
	ck_assert_uint_eq(t.open_taps, 2);
	ck_assert_int_ge(xsl_read(t.xs, VBE "/feature-rx-copy", msg, sizeof(msg)), 0);
	ck_assert_int_eq(
		send(t.tap, "\xff\xff\xff\xff\xff\xff\x00\x16\x3e\x00\x00\x09\x08\x00", 14, 0), 14);
	for (int i = 0; i < 20; i++)
		tsv_pump(&t, 10);
	/*
	 * 'svctl inject hang' then 'resume' a few times: svdd must go on. (A sleep
	 * that a stop interrupts resumes through restart_syscall, which the filter
	 * lacked: kvm.dd.experiment's hang found it, where a device thread was in
	 * such a sleep; here the threads may be in waits that restart plainly.)
	 */
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(kill(t.pid, SIGSTOP), 0);
		tsv_pump(&t, 30);
		ck_assert_int_eq(kill(t.pid, SIGCONT), 0);
		tsv_pump(&t, 30);
	}
	for (int i = 0; i < 20; i++)
		tsv_pump(&t, 10);
	ck_assert_msg(tsv_alive(&t), "svdd died after a stop and a continue; log: %s", t.err);
	xsl_rm(t.xs, VBE);
	ck_assert_msg(tsv_wait_log(&t, VBE ": directory gone, device down"), "log: %s", t.err);
	ck_assert(tsv_alive(&t));
	status = tsv_stop(&t, true);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x; log: %s", status,
		      t.err);
}
END_TEST

/* svdom0 gone (its request socket closed): svdd ends, with status 1. */
START_TEST(test_svdd_ends_with_svdom0)
{
	struct tsv t;
	int status;

	tsv_setup(&t);
	tsv_start(&t, NULL);
	for (int i = 0; i < 1000 && t.watches < 2; i++)
		tsv_pump(&t, 10);
	ck_assert_uint_eq(t.watches, 2);
	close(t.ts);
	t.ts = -1;
	t.ts_eof = true;
	status = tsv_stop(&t, false);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status %#x; log: %s", status,
		      t.err);
	ck_assert_msg(strstr(t.err, "closed its connection; stopping"), "log: %s", t.err);
}
END_TEST

START_TEST(test_svdd_seccomp_kills)
{
	struct tsv t;
	int status;

	tsv_setup(&t);
	tsv_start(&t, "--selftest-seccomp");
	status = tsv_stop(&t, false);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS, "status %#x; log: %s",
		      status, t.err);
	ck_assert_msg(strstr(t.err, "svdd[7]: seccomp: denied system call 41 (socket)"), "log: %s",
		      t.err);
}
END_TEST

START_TEST(test_svdd_needs_its_fds)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (!pid) {
		for (int fd = 3; fd < 7; fd++)
			close(fd);
		/* fd 3 a regular file: refused just the same */
		if (open("/dev/null", O_RDONLY) != 3)
			_exit(126);
		execl(SVDD_PATH, "svdd", "--domid", "7", "--name", "dd0", (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 66);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("svdd");
	TCase *tc = tcase_create("svdd");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_svdd_serves_a_disk);
	tcase_add_test(tc, test_svdd_hostile_toolstack);
	tcase_add_test(tc, test_svdd_ends_with_svdom0);
	tcase_add_test(tc, test_svdd_seccomp_kills);
	tcase_add_test(tc, test_svdd_needs_its_fds);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
