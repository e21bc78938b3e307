// SPDX-License-Identifier: MIT
/*
 * A hostile process domain (driver domain) on KVM, through a real svcored:
 * the guest app grant-offer (guest/grant_apps.c, which describes the
 * handshake) offers pages and a port to domid 7; this process plays that
 * process domain over the connection PROCDOM_CREATE returned. It reads and
 * writes what was granted to it by grant copy and grant map, and the guest
 * sees its writes; every attempt at what was not granted to it fails (refs
 * of another domid, out of range, readonly written, the grant table, core
 * pages, offsets outside the page, other ports) and the secret of the
 * ungranted pages never shows in its area. Closing the connection unbinds
 * its port and undoes its map without losing the page's content.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <splitvisor/console.h>
#include <splitvisor/core.h>
#include <splitvisor/start_info.h>

#include "core_client.h"
#include "ctl_wire.h"

#define PD_DOMID     7u
#define MAGIC	     0x3130524646455653ull /* as guest/grant_apps.c */
#define MAGIC2	     0x3230524646455653ull
#define SECRET	     0x5445524345535653ull
#define STEP_TIMEOUT 600 /* seconds: nested TCG is slow */
#define PAGE	     4096u
#define AREA_SIZE    (64u * 1024u)

static char dir[64];
static pid_t core_pid;
static struct core_client *cc, *events;
static char con[65536];
static size_t con_len;
static struct sv_console_ring *ring; /* the guest's, drained here as dom0 would */

static uint8_t pattern_byte(uint32_t i)
{
	return (uint8_t)(i * 7 + 3);
}

static uint8_t copy_byte(uint32_t i)
{
	return (uint8_t)(i * 13 + 1);
}

static void core_start(void)
{
	char path[128];
	int i, fd;

	snprintf(dir, sizeof(dir), "/tmp/sv-pd-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	core_pid = fork();
	if (core_pid == 0) {
		execl(SVCORED, SVCORED, "--run-dir", dir, (char *)NULL);
		_exit(127);
	}
	snprintf(path, sizeof(path), "%s/core.sock", dir);
	for (i = 0; i < 1000; i++) {
		fd = wire_unix_connect(path);
		if (fd >= 0) {
			close(fd);
			return;
		}
		usleep(10000);
	}
	ck_abort_msg("svcored did not start");
}

/* Collects console output until the line starting with what is complete; copies it. */
static void wait_line(const char *what, char *line, size_t size)
{
	uint8_t buf[SV_CTL_PAYLOAD_MAX];
	struct sv_ctl_ev_console *ev = (void *)buf;
	struct sv_ctl_hdr h;
	const char *p, *nl;
	char ended[SV_CTL_DETAIL_SIZE] = "";
	int i;

	for (i = 0; i < STEP_TIMEOUT * 100; i++) {
		ck_assert_int_eq(cc_poll_events(events), 0);
		/* The guest writes its console ring once it found one; its hypercall before. */
		for (uint32_t cons = ring->out_cons;
		     cons != __atomic_load_n(&ring->out_prod, __ATOMIC_ACQUIRE); cons++) {
			if (con_len < sizeof(con) - 1)
				con[con_len++] = ring->out[cons % SV_CONSOLE_OUT_SIZE];
			__atomic_store_n(&ring->out_cons, cons + 1, __ATOMIC_RELEASE);
		}
		con[con_len] = '\0';
		while (cc_next_event(events, &h, buf, sizeof(buf)) == 1) {
			if (h.op == SV_CTL_EV_CONSOLE && ev->len <= sizeof(buf) - sizeof(*ev) &&
			    ev->len < sizeof(con) - 1 - con_len) {
				memcpy(con + con_len, buf + sizeof(*ev), ev->len);
				con_len += ev->len;
				con[con_len] = '\0';
			}
			if (h.op == SV_CTL_EV_ENDED) {
				memcpy(ended, ((struct sv_ctl_ev_ended *)buf)->detail,
				       sizeof(ended) - 1);
				ended[0] = ended[0] ? ended[0] : '?';
			}
		}
		p = strstr(con, what);
		nl = p ? strchr(p, '\n') : NULL;
		if (nl) {
			if (line)
				snprintf(line, size, "%.*s", (int)(nl - p), p);
			return;
		}
		ck_assert_msg(!ended[0], "the guest ended waiting for %s: %s\n%s", what, ended,
			      con);
		usleep(10000);
	}
	ck_abort_msg("no line %s:\n%s", what, con);
}

/* One request on a process domain's connection, an fd passed with it; fds of the reply kept. */
static int pd_call(int fd, uint32_t op, const void *req, size_t len, int pass_fd, void *reply,
		   size_t cap, int *fds, size_t nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	uint8_t msg[SV_CTL_MSG_MAX], buf[SV_CTL_PAYLOAD_MAX];
	struct sv_ctl_hdr h = { .op = op, .len = (uint32_t)len, .req_id = 3 };
	struct iovec iov = { msg, sizeof(h) + len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	size_t got = 0;
	int ret;

	memcpy(msg, &h, sizeof(h));
	memcpy(msg + sizeof(h), req, len);
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
	ret = wire_msg_recv_fds(fd, &h, buf, sizeof(buf), fds, nfds, &got, 60000);
	if (ret)
		return ret;
	if (h.status)
		printf("op %u: %d %s\n", op, h.status, (char *)buf);
	else if (reply)
		memcpy(reply, buf, h.len < cap ? h.len : cap);
	return h.status;
}

static int gmap(int pd, uint32_t domid, uint32_t ref, bool readonly, int *page_fd)
{
	struct sv_ctl_gnt_map m = { .domid = domid, .ref = ref };
	struct sv_ctl_gnt_map_reply r;
	int fds[1] = { -1 }, ret;

	m.flags = readonly ? SV_CTL_GNT_MAP_READONLY : 0;
	ret = pd_call(pd, SV_CTL_GNT_MAP, &m, sizeof(m), -1, &r, sizeof(r), fds, 1);
	if (page_fd)
		*page_fd = fds[0];
	else if (fds[0] >= 0)
		close(fds[0]);
	return ret;
}

static int gunmap(int pd, uint32_t domid, uint32_t ref, bool readonly)
{
	struct sv_ctl_gnt_map m = { .domid = domid, .ref = ref };

	m.flags = readonly ? SV_CTL_GNT_MAP_READONLY : 0;
	return pd_call(pd, SV_CTL_GNT_UNMAP, &m, sizeof(m), -1, NULL, 0, NULL, 0);
}

static int bind_port(int pd, uint32_t domid, uint32_t port, int fds[2])
{
	struct sv_ctl_evtchn e = { .domid = domid, .port = port };
	struct sv_ctl_store_bind_reply r;

	fds[0] = fds[1] = -1;
	return pd_call(pd, SV_CTL_EVTCHN_BIND, &e, sizeof(e), -1, &r, sizeof(r), fds, 2);
}

static int procdom_new(void)
{
	struct sv_ctl_hello hello = { .version = SV_CTL_VERSION };
	struct sv_ctl_procdom req = { .domid = PD_DOMID };
	struct sv_ctl_hello_reply hr;
	struct sv_ctl_domid r;
	char err[256];
	int i, pd = -1, ret = -EEXIST;

	strcpy(req.name, "dd0");
	/* The core frees the old one's domid once it saw that connection close. */
	for (i = 0; i < 1000 && ret == -EEXIST; i++) {
		ret = cc_call(cc, SV_CTL_PROCDOM_CREATE, &req, sizeof(req), &r, sizeof(r), NULL,
			      &pd, err, sizeof(err));
		if (ret == -EEXIST)
			usleep(10000);
	}
	ck_assert_msg(ret == 0, "procdom create: %s", err);
	ck_assert_uint_eq(r.domid, PD_DOMID);
	ck_assert_int_ge(pd, 0);
	ck_assert_int_eq(
		pd_call(pd, SV_CTL_HELLO, &hello, sizeof(hello), -1, &hr, sizeof(hr), NULL, 0), 0);
	ck_assert_uint_eq(hr.domid, PD_DOMID);
	return pd;
}

static void segment(struct sv_ctl_gnt_copy_seg *s, uint32_t ref, uint16_t off, uint16_t len,
		    uint64_t area_off, uint32_t flags)
{
	*s = (struct sv_ctl_gnt_copy_seg){ .ref = ref,
					   .offset = off,
					   .len = len,
					   .area_offset = area_off,
					   .flags = flags,
					   .status = 1 };
}

START_TEST(hostile_process_domain)
{
	struct sv_ctl_create c = { .memory_mib = 32, .vcpus = 1 };
	struct sv_ctl_gnt_copy cp = { .count = 10, .ops_offset = 0 };
	struct sv_ctl_gnt_area ga = { .size = AREA_SIZE };
	struct sv_ctl_gnt_copy_reply cr;
	struct sv_ctl_memfd_reply mr;
	uint8_t *ram;
	int mfd = -1;
	struct sv_ctl_domid gid;
	struct sv_ctl_gnt_copy_seg *seg;
	struct sv_ctl_evtchn ec;
	int ro, rw, other, table, core, pd, afd, rw_fd, rw2_fd, ro_fd, efds[2];
	unsigned int port, other_port, i;
	uint8_t *area, *rwp, *rop;
	struct pollfd pfd;
	char err[256], line[256];
	uint64_t one = 1, w;
	int st;

	core_start();
	ck_assert_int_eq(cc_connect(dir, true, &cc, err, sizeof(err)), 0);
	ck_assert_int_eq(cc_connect(dir, true, &events, err, sizeof(err)), 0);
	ck_assert_int_eq(
		cc_call(events, SV_CTL_SUBSCRIBE, NULL, 0, NULL, 0, NULL, NULL, err, sizeof(err)),
		0);
	pd = procdom_new();
	strcpy(c.name, "offer");
	snprintf(c.kernel, sizeof(c.kernel), "%s", SV_GUEST_KERNEL);
	snprintf(c.cmdline, sizeof(c.cmdline), "grant-offer %u", PD_DOMID);
	ck_assert_msg(cc_call(cc, SV_CTL_CREATE, &c, sizeof(c), &gid, sizeof(gid), NULL, NULL, err,
			      sizeof(err)) == 0,
		      "create: %s", err);
	ck_assert_int_eq(cc_call(cc, SV_CTL_MEMFD, &gid, sizeof(gid), &mr, sizeof(mr), NULL, &mfd,
				 err, sizeof(err)),
			 0);
	ram = mmap(NULL, mr.size, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ck_assert_ptr_ne(ram, MAP_FAILED);
	ring = (void *)(ram + SV_CONSOLE_RING_GPA);
	wait_line("grant-offer: ro=", line, sizeof(line));
	ck_assert_int_eq(sscanf(line,
				"grant-offer: ro=%d rw=%d other=%d table=%d core=%d port=%u "
				"otherport=%u ready",
				&ro, &rw, &other, &table, &core, &port, &other_port),
			 7);

	afd = memfd_create("area", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ck_assert_int_ge(afd, 0);
	ck_assert_int_eq(ftruncate(afd, AREA_SIZE), 0);
	area = mmap(NULL, AREA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, afd, 0);
	ck_assert_ptr_ne(area, MAP_FAILED);
	ck_assert_int_eq(pd_call(pd, SV_CTL_GNT_AREA, &ga, sizeof(ga), afd, NULL, 0, NULL, 0), 0);

	/* Maps of what is not ours. */
	ck_assert_int_eq(gmap(pd, gid.domid, (uint32_t)other, false, NULL), -EPERM);
	ck_assert_int_eq(gmap(pd, gid.domid, (uint32_t)other, true, NULL), -EPERM);
	ck_assert_int_eq(gmap(pd, gid.domid, 1u << 20, true, NULL), -EINVAL);
	ck_assert_int_eq(gmap(pd, gid.domid, (uint32_t)ro, false, NULL), -EACCES);
	ck_assert_int_eq(gmap(pd, gid.domid, (uint32_t)table, true, NULL), -EFAULT);
	ck_assert_int_eq(gmap(pd, gid.domid, (uint32_t)core, true, NULL), -EFAULT);
	ck_assert_int_eq(gmap(pd, PD_DOMID, (uint32_t)ro, true, NULL), -ESRCH);
	ck_assert_int_eq(gmap(pd, 0, (uint32_t)ro, true, NULL), -ESRCH);
	ck_assert_int_eq(gunmap(pd, gid.domid, (uint32_t)ro, true), -ENOENT);

	/* One batch of copies: each refused on its own, the good ones done. */
	seg = (void *)area;
	segment(&seg[0], (uint32_t)other, 0, PAGE, 8192, 0);
	segment(&seg[1], 1u << 20, 0, 8, 8192, 0);
	segment(&seg[2], (uint32_t)ro, 0, 8, 8192, SV_CTL_GNT_COPY_TO_GRANT);
	segment(&seg[3], (uint32_t)table, 0, PAGE, 8192, 0);
	segment(&seg[4], (uint32_t)core, 0, PAGE, 8192, 0);
	segment(&seg[5], (uint32_t)ro, 4000, 200, 8192, 0);
	segment(&seg[6], (uint32_t)ro, 0, 16, AREA_SIZE - 8, 0);
	segment(&seg[7], (uint32_t)ro, 0, 16, 8192, 4);
	segment(&seg[8], (uint32_t)ro, 0, PAGE, 8192, 0);
	segment(&seg[9], (uint32_t)rw, 256, 256, 16384 + 256, SV_CTL_GNT_COPY_TO_GRANT);
	for (i = 256; i < 512; i++)
		area[16384 + i] = copy_byte(i);
	cp.domid = gid.domid;
	ck_assert_int_eq(
		pd_call(pd, SV_CTL_GNT_COPY, &cp, sizeof(cp), -1, &cr, sizeof(cr), NULL, 0), 0);
	ck_assert_uint_eq(cr.failed, 8);
	ck_assert_int_eq(seg[0].status, -EPERM);
	ck_assert_int_eq(seg[1].status, -EINVAL);
	ck_assert_int_eq(seg[2].status, -EACCES);
	ck_assert_int_eq(seg[3].status, -EFAULT);
	ck_assert_int_eq(seg[4].status, -EFAULT);
	ck_assert_int_eq(seg[5].status, -EINVAL);
	ck_assert_int_eq(seg[6].status, -EINVAL);
	ck_assert_int_eq(seg[7].status, -EINVAL);
	ck_assert_int_eq(seg[8].status, 0);
	ck_assert_int_eq(seg[9].status, 0);
	for (i = 0; i < PAGE; i++)
		ck_assert_uint_eq(area[8192 + i], pattern_byte(i));

	/* Ports: another domid's, the core's reserved ones (the first two it allocated), unbound. */
	ck_assert_int_eq(bind_port(pd, gid.domid, other_port, efds), -EPERM);
	ck_assert_int_eq(bind_port(pd, gid.domid, 1, efds), -EPERM);
	ck_assert_int_eq(bind_port(pd, gid.domid, 2, efds), -EPERM);
	ck_assert_int_eq(efds[0], -1);
	ec = (struct sv_ctl_evtchn){ .domid = gid.domid, .port = port };
	ck_assert_int_eq(pd_call(pd, SV_CTL_EVTCHN_CLOSE, &ec, sizeof(ec), -1, NULL, 0, NULL, 0),
			 -ENOENT);

	/* Maps of what is ours: the readonly one stays so. */
	ck_assert_int_eq(gmap(pd, gid.domid, (uint32_t)ro, true, &ro_fd), 0);
	rop = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, ro_fd, 0);
	ck_assert_ptr_ne(rop, MAP_FAILED);
	for (i = 0; i < PAGE; i++)
		ck_assert_uint_eq(rop[i], pattern_byte(i));
	ck_assert_ptr_eq(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, ro_fd, 0),
			 MAP_FAILED);
	ck_assert_int_ne(ftruncate(ro_fd, 0), 0);
	ck_assert_int_eq(gmap(pd, gid.domid, (uint32_t)rw, false, &rw_fd), 0);
	ck_assert_int_ne(ftruncate(rw_fd, 0), 0);
	rwp = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, rw_fd, 0);
	ck_assert_ptr_ne(rwp, MAP_FAILED);
	ck_assert_uint_eq(rwp[300], copy_byte(300));
	/* Two maps of one page share it; undoing one keeps the other. */
	ck_assert_int_eq(gmap(pd, gid.domid, (uint32_t)rw, false, &rw2_fd), 0);
	ck_assert_int_eq(gunmap(pd, gid.domid, (uint32_t)rw, false), 0);
	close(rw2_fd);

	ck_assert_int_eq(bind_port(pd, gid.domid, port, efds), 0);
	ck_assert_int_ge(efds[0], 0);
	ck_assert_int_ge(efds[1], 0);
	ck_assert_int_eq(bind_port(pd, gid.domid, port, (int[2]){ 0 }), -EALREADY);
	/* dom0 neither closes nor takes over a driver domain's binding (the raise below needs it). */
	ec = (struct sv_ctl_evtchn){ .domid = gid.domid, .port = port };
	ck_assert_int_eq(cc_call(cc, SV_CTL_EVTCHN_CLOSE, &ec, sizeof(ec), NULL, 0, NULL, NULL, err,
				 sizeof(err)),
			 -EPERM);
	ck_assert_int_eq(cc_call(cc, SV_CTL_EVTCHN_BIND, &ec, sizeof(ec), NULL, 0, NULL, NULL, err,
				 sizeof(err)),
			 -EINVAL);
	__atomic_store_n((uint64_t *)rwp, MAGIC, __ATOMIC_RELEASE);

	wait_line("grant-offer: saw writes", NULL, 0);
	pfd = (struct pollfd){ .fd = efds[0], .events = POLLIN };
	ck_assert_int_eq(poll(&pfd, 1, STEP_TIMEOUT * 1000), 1);
	ck_assert_int_eq(read(efds[0], &w, sizeof(w)), sizeof(w));
	ck_assert_uint_eq(__atomic_load_n((uint64_t *)(rwp + 8), __ATOMIC_ACQUIRE), MAGIC2);
	ck_assert_int_eq(write(efds[1], &one, sizeof(one)), sizeof(one));
	wait_line("grant-offer: raised", NULL, 0);

	/* Nothing it was not granted reached its area. */
	for (i = 0; i + 8 <= AREA_SIZE; i += 8) {
		memcpy(&w, area + i, 8);
		ck_assert_msg(w != SECRET, "the secret is in the area at %u", i);
	}

	/* It dies: its port is unbound for its domid again, its map undone, the page kept. */
	close(pd);
	close(efds[0]);
	close(efds[1]);
	wait_line("grant-offer: after close ok", NULL, 0);
	pd = procdom_new();
	ck_assert_int_eq(bind_port(pd, gid.domid, port, efds), 0);
	close(efds[0]);
	close(efds[1]);
	wait_line("grant-offer: done", NULL, 0);

	/* A guest that goes with a map outstanding: nothing leaks, the core goes on. */
	ck_assert_int_eq(gmap(pd, gid.domid, (uint32_t)ro, true, NULL), 0);
	ck_assert_int_eq(cc_call(cc, SV_CTL_DESTROY, &gid, sizeof(gid), NULL, 0, NULL, NULL, err,
				 sizeof(err)),
			 0);
	ck_assert_int_eq(gmap(pd, gid.domid, (uint32_t)ro, true, NULL), -ESRCH);
	close(pd);
	munmap(ram, mr.size);
	close(mfd);
	munmap(rwp, PAGE);
	munmap(rop, PAGE);
	close(rw_fd);
	close(ro_fd);
	munmap(area, AREA_SIZE);
	close(afd);
	ck_assert_int_eq(cc_call(cc, SV_CTL_STOP, NULL, 0, NULL, 0, NULL, NULL, err, sizeof(err)),
			 0);
	cc_free(cc);
	cc_free(events);
	ck_assert_int_eq(waitpid(core_pid, &st, 0), core_pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "svcored ended with %#x", st);
	rmdir(dir);
}
END_TEST

int main(void)
{
	char why[256];
	SRunner *sr;
	TCase *tc;
	Suite *s;
	int failed;

	if (sv_kvm_probe(why, sizeof(why))) {
		printf("SKIP: %s\n", why);
		return 77;
	}
	s = suite_create("procdom_kvm");
	tc = tcase_create("kvm");
	tcase_set_timeout(tc, 1500);
	tcase_add_test(tc, hostile_process_domain);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
