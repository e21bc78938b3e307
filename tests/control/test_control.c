// SPDX-License-Identifier: MIT
/*
 * svcored's control socket without KVM: a real svcored on a temporary run
 * directory; rights are checked before anything touches /dev/kvm, and every
 * malformed message gets an error or a closed connection, nothing else.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core_client.h"
#include "ctl_wire.h"

static char dir[64];
static pid_t core_pid;

static void core_start(void)
{
	char path[128];
	int i, fd;

	snprintf(dir, sizeof(dir), "/tmp/sv-ctl-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	core_pid = fork();
	if (core_pid == 0) {
		execl(SVCORED, SVCORED, "--run-dir", dir, (char *)NULL);
		_exit(127);
	}
	snprintf(path, sizeof(path), "%s/core.sock", dir);
	for (i = 0; i < 500; i++) {
		fd = wire_unix_connect(path);
		if (fd >= 0) {
			close(fd);
			return;
		}
		usleep(10000);
	}
	ck_abort_msg("svcored did not start");
}

static void core_stop(void)
{
	int st;

	kill(core_pid, SIGTERM);
	waitpid(core_pid, &st, 0);
	rmdir(dir);
}

/* A raw connection, optionally after a hello with the given token. */
static int raw_conn(const char *token)
{
	struct sv_ctl_hello hello = { .version = SV_CTL_VERSION };
	struct sv_ctl_hdr h;
	uint8_t buf[SV_CTL_PAYLOAD_MAX];
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/core.sock", dir);
	fd = wire_unix_connect(path);
	ck_assert_int_ge(fd, 0);
	if (token) {
		snprintf(hello.token, sizeof(hello.token), "%s", token);
		ck_assert_int_eq(wire_msg_send(fd, SV_CTL_HELLO, 1, 0, &hello, sizeof(hello)), 0);
		ck_assert_int_eq(wire_msg_recv(fd, &h, buf, sizeof(buf), NULL, 5000), 0);
	}
	return fd;
}

/* Sends one request and returns the reply's status (or the receive error). */
static int request(int fd, uint32_t op, const void *p, size_t len, int *fd_out)
{
	uint8_t buf[SV_CTL_PAYLOAD_MAX];
	struct sv_ctl_hdr h;
	int ret;

	ret = wire_msg_send(fd, op, 7, 0, p, len);
	if (!ret)
		ret = wire_msg_recv(fd, &h, buf, sizeof(buf), fd_out, 5000);
	if (ret)
		return ret;
	ck_assert_uint_eq(h.req_id, 7);
	return h.status;
}

/* request() that keeps the reply's payload and can pass one fd with the request. */
static int request_fd(int fd, uint32_t op, const void *p, size_t len, int pass_fd, void *reply,
		      size_t cap, int *fd_out)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	uint8_t msg[SV_CTL_MSG_MAX], buf[SV_CTL_PAYLOAD_MAX];
	struct sv_ctl_hdr h = { .op = op, .len = (uint32_t)len, .req_id = 9 };
	struct iovec iov = { msg, sizeof(h) + len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	int ret;

	memcpy(msg, &h, sizeof(h));
	memcpy(msg + sizeof(h), p, len);
	if (pass_fd >= 0) {
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
	}
	ck_assert_int_eq(sendmsg(fd, &mh, MSG_NOSIGNAL), (ssize_t)(sizeof(h) + len));
	ret = wire_msg_recv(fd, &h, buf, sizeof(buf), fd_out, 5000);
	if (ret)
		return ret;
	ck_assert_uint_eq(h.req_id, 9);
	if (!h.status && reply) {
		ck_assert_uint_eq(h.len, cap);
		memcpy(reply, buf, cap);
	}
	if (h.status) /* every refusal says why */
		ck_assert(h.len > 1 && buf[h.len - 1] == '\0');
	return h.status;
}

static void good_create(struct sv_ctl_create *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->name, "guest");
	c->memory_mib = 32;
	c->vcpus = 1;
	strcpy(c->kernel, "/nonexistent/kernel");
}

static void check_no_rights(int fd)
{
	struct sv_ctl_evtchn ec = { .domid = 1, .port = 5 };
	struct sv_ctl_domid id = { .domid = 1 };
	struct sv_ctl_list l = { 0 };
	struct sv_ctl_create c;
	int mfd = -1;

	good_create(&c);
	ck_assert_int_eq(request(fd, SV_CTL_CREATE, &c, sizeof(c), NULL), -EPERM);
	ck_assert_int_eq(request(fd, SV_CTL_DESTROY, &id, sizeof(id), NULL), -EPERM);
	ck_assert_int_eq(request(fd, SV_CTL_PAUSE, &id, sizeof(id), NULL), -EPERM);
	ck_assert_int_eq(request(fd, SV_CTL_UNPAUSE, &id, sizeof(id), NULL), -EPERM);
	ck_assert_int_eq(request(fd, SV_CTL_MEMFD, &id, sizeof(id), &mfd), -EPERM);
	ck_assert_int_eq(mfd, -1);
	ck_assert_int_eq(request(fd, SV_CTL_STORE_BIND, &id, sizeof(id), &mfd), -EPERM);
	ck_assert_int_eq(mfd, -1);
	ck_assert_int_eq(request(fd, SV_CTL_CONSOLE_BIND, &id, sizeof(id), &mfd), -EPERM);
	ck_assert_int_eq(request(fd, SV_CTL_EVTCHN_BIND, &ec, sizeof(ec), &mfd), -EPERM);
	ck_assert_int_eq(mfd, -1);
	ck_assert_int_eq(request(fd, SV_CTL_EVTCHN_CLOSE, &ec, sizeof(ec), NULL), -EPERM);
	ck_assert_int_eq(request(fd, SV_CTL_GNTTAB, &id, sizeof(id), NULL), -EPERM);
	ck_assert_int_eq(request(fd, SV_CTL_LIST, &l, sizeof(l), NULL), -EPERM);
	ck_assert_int_eq(request(fd, SV_CTL_SUBSCRIBE, NULL, 0, NULL), -EPERM);
	ck_assert_int_eq(request(fd, SV_CTL_STOP, NULL, 0, NULL), -EPERM);
}

START_TEST(test_unprivileged)
{
	struct sv_ctl_hello hello = { .version = SV_CTL_VERSION };
	int fd;

	core_start();
	fd = raw_conn(NULL); /* no hello at all */
	check_no_rights(fd);
	close(fd);
	fd = raw_conn(""); /* hello without a token */
	check_no_rights(fd);
	close(fd);
	fd = raw_conn(NULL);
	memset(hello.token, 'a', SV_CTL_TOKEN_LEN);
	ck_assert_int_eq(request(fd, SV_CTL_HELLO, &hello, sizeof(hello), NULL), -EACCES);
	check_no_rights(fd);
	close(fd);
	core_stop();
}
END_TEST

START_TEST(test_malformed)
{
	struct sv_ctl_create c;
	struct sv_ctl_domid id = { .domid = 42 };
	struct sv_ctl_evtchn ec;
	struct core_client *cc;
	struct sv_ctl_hdr h;
	uint8_t buf[64];
	char err[256];
	int fd, bad;

	core_start();
	ck_assert_int_eq(cc_connect(dir, true, &cc, err, sizeof(err)), 0);
	fd = cc_fd(cc);
	ck_assert_int_eq(request(fd, 99, NULL, 0, NULL), -EINVAL);
	ck_assert_int_eq(request(fd, 0, NULL, 0, NULL), -EINVAL);
	ck_assert_int_eq(request(fd, SV_CTL_EV_CONSOLE, NULL, 0, NULL), -EINVAL);
	ck_assert_int_eq(request(fd, SV_CTL_DESTROY, &id, sizeof(id) - 1, NULL), -EINVAL);
	ck_assert_int_eq(request(fd, SV_CTL_STOP, &id, sizeof(id), NULL), -EINVAL);
	good_create(&c);
	memset(c.name, 'x', sizeof(c.name));
	ck_assert_int_eq(request(fd, SV_CTL_CREATE, &c, sizeof(c), NULL), -EINVAL);
	good_create(&c);
	memset(c.cmdline, 'x', sizeof(c.cmdline));
	ck_assert_int_eq(request(fd, SV_CTL_CREATE, &c, sizeof(c), NULL), -EINVAL);
	good_create(&c);
	c.name[0] = '\0';
	ck_assert_int_eq(request(fd, SV_CTL_CREATE, &c, sizeof(c), NULL), -EINVAL);
	good_create(&c);
	strcpy(c.name, "a/b");
	ck_assert_int_eq(request(fd, SV_CTL_CREATE, &c, sizeof(c), NULL), -EINVAL);
	good_create(&c);
	c.memory_mib = 1;
	ck_assert_int_eq(request(fd, SV_CTL_CREATE, &c, sizeof(c), NULL), -EINVAL);
	c.memory_mib = 1u << 30;
	ck_assert_int_eq(request(fd, SV_CTL_CREATE, &c, sizeof(c), NULL), -EINVAL);
	good_create(&c);
	c.vcpus = 0;
	ck_assert_int_eq(request(fd, SV_CTL_CREATE, &c, sizeof(c), NULL), -EINVAL);
	c.vcpus = 33;
	ck_assert_int_eq(request(fd, SV_CTL_CREATE, &c, sizeof(c), NULL), -EINVAL);
	good_create(&c);
	strcpy(c.kernel, "relative/kernel");
	ck_assert_int_eq(request(fd, SV_CTL_CREATE, &c, sizeof(c), NULL), -EINVAL);
	good_create(&c);
	strcpy(c.initrd, "relative/initrd");
	ck_assert_int_eq(request(fd, SV_CTL_CREATE, &c, sizeof(c), NULL), -EINVAL);
	good_create(&c);
	memset(c.initrd, '/', sizeof(c.initrd));
	ck_assert_int_eq(request(fd, SV_CTL_CREATE, &c, sizeof(c), NULL), -EINVAL);
	ck_assert_int_eq(request(fd, SV_CTL_DESTROY, &id, sizeof(id), NULL), -ESRCH);
	ck_assert_int_eq(request(fd, SV_CTL_MEMFD, &id, sizeof(id), NULL), -ESRCH);
	ck_assert_int_eq(request(fd, SV_CTL_STORE_BIND, &id, sizeof(id), NULL), -ESRCH);
	ck_assert_int_eq(request(fd, SV_CTL_CONSOLE_BIND, &id, sizeof(id), NULL), -ESRCH);
	ck_assert_int_eq(request(fd, SV_CTL_GNTTAB, &id, sizeof(id), NULL), -ESRCH);
	ec = (struct sv_ctl_evtchn){ .domid = id.domid, .port = 5 };
	ck_assert_int_eq(request(fd, SV_CTL_EVTCHN_BIND, &ec, sizeof(ec), NULL), -ESRCH);
	ck_assert_int_eq(request(fd, SV_CTL_EVTCHN_CLOSE, &ec, sizeof(ec), NULL), -ESRCH);
	ck_assert_int_eq(request(fd, SV_CTL_EVTCHN_BIND, &ec, sizeof(ec) - 4, NULL), -EINVAL);
	good_create(&c);
	c.flags = 4;
	ck_assert_int_eq(request(fd, SV_CTL_CREATE, &c, sizeof(c), NULL), -EINVAL);
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(request(fd, SV_CTL_STORE_BIND, buf, sizeof(id) + 1, NULL), -EINVAL);

	/* A short header that never completes costs nothing; an oversize one closes. */
	bad = raw_conn("");
	ck_assert_int_eq(send(bad, "\1\0\0\0", 4, 0), 4);
	close(bad);
	bad = raw_conn(NULL);
	h = (struct sv_ctl_hdr){ .op = SV_CTL_LIST, .len = SV_CTL_PAYLOAD_MAX + 1 };
	ck_assert_int_eq(send(bad, &h, sizeof(h), 0), (ssize_t)sizeof(h));
	ck_assert_int_eq(wire_msg_recv(bad, &h, buf, sizeof(buf), NULL, 5000), -EPIPE);
	close(bad);
	/* The privileged connection goes on. */
	ck_assert_int_eq(request(fd, SV_CTL_DESTROY, &id, sizeof(id), NULL), -ESRCH);
	cc_free(cc);
	core_stop();
}
END_TEST

START_TEST(test_check_request)
{
	struct sv_ctl_hdr h = { .op = SV_CTL_CREATE, .len = sizeof(struct sv_ctl_create) };
	struct sv_ctl_hello hello = { .version = 2 };
	struct sv_ctl_create c;

	good_create(&c);
	ck_assert_int_eq(wire_check_request(&h, &c, NULL, 0), 0);
	h.status = -1;
	ck_assert_int_eq(wire_check_request(&h, &c, NULL, 0), -EINVAL);
	h = (struct sv_ctl_hdr){ .op = SV_CTL_HELLO, .len = sizeof(hello) };
	ck_assert_int_eq(wire_check_request(&h, &hello, NULL, 0), -EPROTONOSUPPORT);
	hello.version = SV_CTL_VERSION;
	memset(hello.token, 'f', sizeof(hello.token));
	ck_assert_int_eq(wire_check_request(&h, &hello, NULL, 0), -EINVAL);
}
END_TEST

/* Two fds ride on one queued message and come out in order; a third slot stays empty. */
START_TEST(test_pass_two_fds)
{
	int sp[2], pa[2], pb[2], fds[3] = { -1, -1, -1 };
	struct sv_ctl_hdr h;
	struct wire_conn c;
	uint8_t buf[16];
	size_t n;
	char ch;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	ck_assert_int_eq(pipe(pa), 0);
	ck_assert_int_eq(pipe(pb), 0);
	wire_conn_init(&c, sp[0]);
	ck_assert_int_eq(wire_conn_queue_fds(&c, SV_CTL_STORE_BIND, 3, 0, "x", 1,
					     (int[]){ pa[1], pb[1] }, 2),
			 0);
	wire_conn_flush(&c);
	ck_assert(!c.dead);
	ck_assert_int_eq(wire_msg_recv_fds(sp[1], &h, buf, sizeof(buf), fds, 3, &n, 5000), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(fds[2], -1);
	ck_assert_int_eq(write(fds[0], "a", 1), 1);
	ck_assert_int_eq(write(fds[1], "b", 1), 1);
	ck_assert_int_eq(read(pa[0], &ch, 1), 1);
	ck_assert_int_eq(ch, 'a');
	ck_assert_int_eq(read(pb[0], &ch, 1), 1);
	ck_assert_int_eq(ch, 'b');
	close(fds[0]);
	close(fds[1]);
	close(pa[0]);
	close(pa[1]);
	close(pb[0]);
	close(pb[1]);
	wire_conn_close(&c);
	close(sp[1]);
}
END_TEST

static int procdom_create(int fd, const char *name, uint32_t domid, uint32_t *got, int *conn)
{
	struct sv_ctl_procdom pd = { .domid = domid };
	struct sv_ctl_domid r;

	snprintf(pd.name, sizeof(pd.name), "%s", name);
	return request_fd(fd, SV_CTL_PROCDOM_CREATE, &pd, sizeof(pd), -1, &r, sizeof(r), conn)
		       ?: (*got = r.domid, 0);
}

static int area_fd(size_t size, bool sealable)
{
	int fd = memfd_create("area", MFD_CLOEXEC | (sealable ? MFD_ALLOW_SEALING : 0));

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	return fd;
}

/* A process domain's connection: its rights, its refusals, and its domid's life. */
START_TEST(test_procdom)
{
	struct sv_ctl_hello hello = { .version = SV_CTL_VERSION };
	struct sv_ctl_gnt_copy cp = { .domid = 42, .count = 1 };
	struct sv_ctl_gnt_map gm = { .domid = 42, .ref = 8 };
	struct sv_ctl_evtchn ec = { .domid = 42, .port = 5 };
	struct sv_ctl_procdom pdr = { .domid = 7 };
	struct sv_ctl_gnt_area ga = { .size = 8192 };
	struct sv_ctl_domid id = { .domid = 1 };
	struct sv_ctl_list l = { 0 };
	struct sv_ctl_hello_reply hr;
	struct sv_ctl_create c;
	struct core_client *cc;
	uint32_t domid, d2;
	int fd, anon, pd, pd2 = -1, mfd = -1, afd, i, ret;
	char err[256];

	core_start();
	ck_assert_int_eq(cc_connect(dir, true, &cc, err, sizeof(err)), 0);
	fd = cc_fd(cc);
	strcpy(pdr.name, "dd0");
	anon = raw_conn("");
	ck_assert_int_eq(request(anon, SV_CTL_PROCDOM_CREATE, &pdr, sizeof(pdr), &mfd), -EPERM);
	ck_assert_int_eq(mfd, -1);
	close(anon);

	ck_assert_int_eq(procdom_create(fd, "dd0", 7, &domid, &pd), 0);
	ck_assert_uint_eq(domid, 7);
	ck_assert_int_ge(pd, 0);
	ck_assert_int_eq(procdom_create(fd, "dd0", 9, &d2, &pd2), -EEXIST);
	/* Its domid is taken: another process domain gets another one. */
	ck_assert_int_eq(procdom_create(fd, "dd1", 7, &d2, &pd2), 0);
	ck_assert_uint_ne(d2, 7);
	close(pd2);
	/* dom0 has no grant ops: it maps guest memory itself. */
	ck_assert_int_eq(request(fd, SV_CTL_GNT_COPY, &cp, sizeof(cp), NULL), -EPERM);
	ck_assert_int_eq(request(fd, SV_CTL_GNT_MAP, &gm, sizeof(gm), NULL), -EPERM);

	/* Its hello carries no token and says its domid. */
	memset(hello.token, 'a', SV_CTL_TOKEN_LEN);
	ck_assert_int_eq(request(pd, SV_CTL_HELLO, &hello, sizeof(hello), NULL), -EPERM);
	memset(hello.token, 0, sizeof(hello.token));
	ck_assert_int_eq(
		request_fd(pd, SV_CTL_HELLO, &hello, sizeof(hello), -1, &hr, sizeof(hr), NULL), 0);
	ck_assert_uint_eq(hr.domid, 7);
	ck_assert_uint_eq(hr.privileged, 0);

	good_create(&c);
	ck_assert_int_eq(request(pd, SV_CTL_CREATE, &c, sizeof(c), NULL), -EPERM);
	ck_assert_int_eq(request(pd, SV_CTL_DESTROY, &id, sizeof(id), NULL), -EPERM);
	ck_assert_int_eq(request(pd, SV_CTL_PAUSE, &id, sizeof(id), NULL), -EPERM);
	ck_assert_int_eq(request(pd, SV_CTL_MEMFD, &id, sizeof(id), &mfd), -EPERM);
	ck_assert_int_eq(mfd, -1);
	ck_assert_int_eq(request(pd, SV_CTL_GNTTAB, &id, sizeof(id), NULL), -EPERM);
	ck_assert_int_eq(request(pd, SV_CTL_STORE_BIND, &id, sizeof(id), &mfd), -EPERM);
	ck_assert_int_eq(request(pd, SV_CTL_CONSOLE_BIND, &id, sizeof(id), &mfd), -EPERM);
	ck_assert_int_eq(mfd, -1);
	ck_assert_int_eq(request(pd, SV_CTL_LIST, &l, sizeof(l), NULL), -EPERM);
	ck_assert_int_eq(request(pd, SV_CTL_SUBSCRIBE, NULL, 0, NULL), -EPERM);
	ck_assert_int_eq(request(pd, SV_CTL_STOP, NULL, 0, NULL), -EPERM);
	ck_assert_int_eq(request(pd, SV_CTL_PROCDOM_CREATE, &pdr, sizeof(pdr), NULL), -EPERM);
	/* Rights first: even a malformed request of a forbidden op is -EPERM. */
	ck_assert_int_eq(request(pd, SV_CTL_CREATE, NULL, 0, NULL), -EPERM);

	/* The area: a page multiple within the limit, a sealable memfd that holds it. */
	ck_assert_int_eq(request(pd, SV_CTL_GNT_COPY, &cp, sizeof(cp), NULL), -EINVAL);
	afd = area_fd(8192, true);
	ga.size = 0;
	ck_assert_int_eq(request_fd(pd, SV_CTL_GNT_AREA, &ga, sizeof(ga), afd, NULL, 0, NULL),
			 -EINVAL);
	ga.size = 4097;
	ck_assert_int_eq(request_fd(pd, SV_CTL_GNT_AREA, &ga, sizeof(ga), afd, NULL, 0, NULL),
			 -EINVAL);
	ga.size = SV_CTL_GNT_AREA_MAX + 4096ull;
	ck_assert_int_eq(request_fd(pd, SV_CTL_GNT_AREA, &ga, sizeof(ga), afd, NULL, 0, NULL),
			 -EINVAL);
	ga.size = 8192;
	ck_assert_int_eq(request_fd(pd, SV_CTL_GNT_AREA, &ga, sizeof(ga), -1, NULL, 0, NULL),
			 -EBADF);
	ga.size = 3 * 4096;
	ck_assert_int_eq(request_fd(pd, SV_CTL_GNT_AREA, &ga, sizeof(ga), afd, NULL, 0, NULL),
			 -EINVAL);
	close(afd);
	afd = area_fd(8192, false);
	ga.size = 8192;
	ck_assert_int_eq(request_fd(pd, SV_CTL_GNT_AREA, &ga, sizeof(ga), afd, NULL, 0, NULL),
			 -EINVAL);
	close(afd);
	/* An fd passed with another op is dropped, not kept for the next area. */
	afd = area_fd(8192, true);
	ck_assert_int_eq(request_fd(pd, SV_CTL_GNT_MAP, &gm, sizeof(gm), afd, NULL, 0, NULL),
			 -ESRCH);
	ck_assert_int_eq(request_fd(pd, SV_CTL_GNT_AREA, &ga, sizeof(ga), -1, NULL, 0, NULL),
			 -EBADF);
	ck_assert_int_eq(request_fd(pd, SV_CTL_GNT_AREA, &ga, sizeof(ga), afd, NULL, 0, NULL), 0);
	/* Sealed now: it cannot shrink under the core's mapping. */
	ck_assert_int_ne(ftruncate(afd, 0), 0);
	close(afd);

	/* Copies: count, alignment and the segments' place are checked first. */
	cp.count = 0;
	ck_assert_int_eq(request(pd, SV_CTL_GNT_COPY, &cp, sizeof(cp), NULL), -EINVAL);
	cp.count = SV_CTL_GNT_COPY_MAX + 1;
	ck_assert_int_eq(request(pd, SV_CTL_GNT_COPY, &cp, sizeof(cp), NULL), -EINVAL);
	cp.count = 1;
	cp.ops_offset = 4;
	ck_assert_int_eq(request(pd, SV_CTL_GNT_COPY, &cp, sizeof(cp), NULL), -EINVAL);
	cp.ops_offset = 8192 - 16;
	ck_assert_int_eq(request(pd, SV_CTL_GNT_COPY, &cp, sizeof(cp), NULL), -EINVAL);
	cp.ops_offset = ~0ull - 7;
	ck_assert_int_eq(request(pd, SV_CTL_GNT_COPY, &cp, sizeof(cp), NULL), -EINVAL);
	cp.ops_offset = 4096;
	cp.count = 171; /* 171 * 24 > 4096 */
	ck_assert_int_eq(request(pd, SV_CTL_GNT_COPY, &cp, sizeof(cp), NULL), -EINVAL);
	cp.count = 170;
	ck_assert_int_eq(request(pd, SV_CTL_GNT_COPY, &cp, sizeof(cp), NULL), -ESRCH);
	ck_assert_int_eq(request(pd, SV_CTL_GNT_MAP, &gm, sizeof(gm), NULL), -ESRCH);
	ck_assert_int_eq(request(pd, SV_CTL_GNT_UNMAP, &gm, sizeof(gm), NULL), -ESRCH);
	gm.flags = 2;
	ck_assert_int_eq(request(pd, SV_CTL_GNT_MAP, &gm, sizeof(gm), NULL), -EINVAL);
	ck_assert_int_eq(request(pd, SV_CTL_EVTCHN_BIND, &ec, sizeof(ec), &mfd), -ESRCH);
	ck_assert_int_eq(mfd, -1);
	ck_assert_int_eq(request(pd, SV_CTL_EVTCHN_CLOSE, &ec, sizeof(ec), NULL), -ESRCH);

	/* When the process domain goes, its domid is free again (after the core saw EOF). */
	close(pd);
	for (i = 0; i < 200; i++) {
		ret = procdom_create(fd, "dd0", 7, &domid, &pd);
		if (ret != -EEXIST)
			break;
		usleep(10000);
	}
	ck_assert_int_eq(ret, 0);
	ck_assert_uint_eq(domid, 7);
	close(pd);
	cc_free(cc);
	core_stop();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("control");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_unprivileged);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_check_request);
	tcase_add_test(tc, test_pass_two_fds);
	tcase_add_test(tc, test_procdom);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
