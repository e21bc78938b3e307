// SPDX-License-Identifier: MIT
/*
 * The console backend driven through backend_env, as svdom0 or a driver
 * domain hosts it: the guest's core pages are a buffer of ours, the core's
 * console binding is a pair of eventfds, and the host loop is the test
 * calling the callback the backend registered. The test plays the guest:
 * it writes into the out ring, reads the in ring, and breaks the indices.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <splitvisor/console.h>
#include <splitvisor/control.h>
#include <splitvisor/event_channel.h>
#include <splitvisor/start_info.h>

#include "console_back.h"

#define GUEST 3
#define PORT  9

static struct {
	uint8_t *mem; /* the guest's pages 0 .. SV_RESERVED_END */
	int notify_fd, raise_fd;
	backend_fd_fn *fn;
	void *arg;
	int watched_fd;
	bool has_console; /* false: the core answers -ENOENT, as for a guest without one */
	uint32_t binds, maps;
	char out[8192];
	size_t out_len;
} h;

static struct backend_env env;

static int t_core_call(struct backend_env *e, uint32_t op, const void *req, size_t len, void *reply,
		       size_t cap, int *fds, size_t nfds, char *err, size_t errlen)
{
	const struct sv_ctl_domid *id = req;
	struct sv_ctl_store_bind_reply *br = reply;

	(void)e;
	(void)len;
	(void)cap;
	ck_assert_uint_eq(op, SV_CTL_CONSOLE_BIND);
	ck_assert_uint_eq(id->domid, GUEST);
	ck_assert_uint_ge(nfds, 2);
	if (!h.has_console) {
		snprintf(err, errlen, "domain %u has no console port", id->domid);
		return -ENOENT;
	}
	h.binds++;
	br->port = PORT;
	br->vcpu = 0;
	fds[0] = dup(h.notify_fd);
	fds[1] = dup(h.raise_fd);
	return 0;
}

static int t_map_guest(struct backend_env *e, uint32_t domid, uint64_t limit, void **mem,
		       uint64_t *size, char *err, size_t errlen)
{
	(void)e;
	(void)err;
	(void)errlen;
	ck_assert_uint_eq(domid, GUEST);
	ck_assert_uint_eq(limit, SV_RESERVED_END); /* only the core's pages */
	*mem = h.mem;
	*size = limit;
	h.maps++;
	return 0;
}

static void t_unmap_guest(struct backend_env *e, void *mem, uint64_t size)
{
	(void)e;
	(void)size;
	ck_assert_ptr_eq(mem, h.mem);
	h.maps--;
}

static int t_fd_add(struct backend_env *e, int fd, backend_fd_fn *fn, void *arg)
{
	(void)e;
	ck_assert_ptr_null(h.fn);
	h.fn = fn;
	h.arg = arg;
	h.watched_fd = fd;
	return 0;
}

static void t_fd_del(struct backend_env *e, int fd)
{
	(void)e;
	ck_assert_int_eq(fd, h.watched_fd);
	h.fn = NULL;
}

static const struct backend_env_ops test_ops = {
	.core_call = t_core_call,
	.map_guest = t_map_guest,
	.unmap_guest = t_unmap_guest,
	.fd_add = t_fd_add,
	.fd_del = t_fd_del,
};

static void output(void *arg, const char *buf, size_t len)
{
	ck_assert_ptr_eq(arg, &h);
	ck_assert_uint_le(h.out_len + len, sizeof(h.out));
	memcpy(h.out + h.out_len, buf, len);
	h.out_len += len;
}

static struct sv_console_ring *ring(void)
{
	return (struct sv_console_ring *)(h.mem + SV_CONSOLE_RING_GPA);
}

static struct sv_shared_info *shinfo(void)
{
	return (struct sv_shared_info *)(h.mem + SV_SHARED_INFO_GPA);
}

/* The guest prints: bytes into the out ring, then a kick of its port. */
static void guest_print(const char *s)
{
	struct sv_console_ring *r = ring();
	uint64_t one = 1;

	for (size_t i = 0; s[i]; i++)
		r->out[r->out_prod++ % SV_CONSOLE_OUT_SIZE] = s[i];
	ck_assert_int_eq(write(h.notify_fd, &one, sizeof(one)), sizeof(one));
}

/* The host loop, once: the backend's callback when its fd is readable. */
static void loop_once(void)
{
	ck_assert_ptr_nonnull(h.fn);
	h.fn(h.arg);
}

static bool raised(void)
{
	uint64_t n;

	return read(h.raise_fd, &n, sizeof(n)) == sizeof(n) && n > 0;
}

static void setup(void)
{
	memset(&h, 0, sizeof(h));
	h.mem = calloc(1, SV_RESERVED_END);
	ck_assert_ptr_nonnull(h.mem);
	h.notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	h.raise_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	h.has_console = true;
	env = (struct backend_env){ .ops = &test_ops, .ctx = &h, .domid = 0 };
}

static void teardown(void)
{
	close(h.notify_fd);
	close(h.raise_fd);
	free(h.mem);
}

START_TEST(output_and_input)
{
	struct console_back *cb;
	char err[128] = "";

	/* Written before the backend came: taken at open. */
	guest_print("early\n");
	ck_assert_int_eq(console_back_open(&env, GUEST, output, &h, &cb, err, sizeof(err)), 0);
	ck_assert_uint_eq(h.out_len, 6);
	ck_assert_mem_eq(h.out, "early\n", 6);

	guest_print("hello, ");
	guest_print("world\n");
	loop_once();
	ck_assert_uint_eq(h.out_len, 19);
	ck_assert_mem_eq(h.out + 6, "hello, world\n", 13);
	ck_assert_uint_eq(ring()->out_cons, ring()->out_prod);

	/* Keyboard bytes land in the in ring and the guest is interrupted. */
	ck_assert_int_eq(console_back_input(cb, "ls\n", 3), 0);
	ck_assert_uint_eq(ring()->in_prod, 3);
	ck_assert_mem_eq(ring()->in, "ls\n", 3);
	ck_assert(raised());
	ck_assert(shinfo()->evtchn_pending[0] & (1ull << PORT));

	/* A guest that does not read: input is held up to a limit, then -EAGAIN, all or nothing. */
	{
		static char big[4096];
		int ret;

		memset(big, 'x', sizeof(big));
		/* The in ring takes what fits (1021 bytes), the rest is held. */
		ck_assert_int_eq(console_back_input(cb, big, sizeof(big)), 0);
		ck_assert_uint_eq(ring()->in_prod - ring()->in_cons, SV_CONSOLE_IN_SIZE);
		ret = console_back_input(cb, big, 2000);
		ck_assert_int_eq(ret, -EAGAIN);
		ck_assert_int_eq(console_back_input(cb, big, 1000), 0);
		/* The guest reads its ring and kicks: held bytes move in. */
		ring()->in_cons = ring()->in_prod;
		guest_print("");
		loop_once();
		ck_assert_uint_eq(ring()->in_prod - ring()->in_cons, SV_CONSOLE_IN_SIZE);
	}
	/* The last lines, not kicked yet, still come out at close. */
	ring()->out[ring()->out_prod++ % SV_CONSOLE_OUT_SIZE] = '!';
	console_back_close(cb);
	ck_assert_uint_eq(h.out_len, 20);
	ck_assert_int_eq(h.out[19], '!');
	ck_assert_ptr_null(h.fn);
	ck_assert_uint_eq(h.maps, 0);
}
END_TEST

START_TEST(hostile_indices)
{
	struct console_back *cb;
	char err[128] = "";

	ck_assert_int_eq(console_back_open(&env, GUEST, output, &h, &cb, err, sizeof(err)), 0);
	/* A producer more than a ring ahead of the consumer: the ring is left alone. */
	ring()->out_prod = ring()->out_cons + SV_CONSOLE_OUT_SIZE + 1;
	guest_print("");
	loop_once();
	ck_assert_msg(strstr(h.out, "console ring indices out of range") != NULL, "%.*s",
		      (int)h.out_len, h.out);
	ck_assert_int_eq(console_back_input(cb, "x", 1), -ENOTCONN);
	/* Broken stays broken: later kicks move nothing. */
	h.out_len = 0;
	ring()->out_prod = ring()->out_cons + 4;
	guest_print("");
	loop_once();
	ck_assert_uint_eq(h.out_len, 0);
	console_back_close(cb);
	ck_assert_uint_eq(h.maps, 0);
}
END_TEST

START_TEST(hostile_in_ring)
{
	struct console_back *cb;
	char err[128] = "";

	ck_assert_int_eq(console_back_open(&env, GUEST, output, &h, &cb, err, sizeof(err)), 0);
	/* The guest moved the in ring's consumer past the producer. */
	ring()->in_cons = ring()->in_prod + 100;
	ck_assert_int_eq(console_back_input(cb, "abc", 3), 0); /* held: the ring then breaks */
	ck_assert_msg(strstr(h.out, "out of range") != NULL, "%.*s", (int)h.out_len, h.out);
	ck_assert_int_eq(console_back_input(cb, "abc", 3), -ENOTCONN);
	console_back_close(cb);
}
END_TEST

START_TEST(no_console_port)
{
	struct console_back *cb = (void *)1;
	char err[128] = "";

	h.has_console = false;
	ck_assert_int_eq(console_back_open(&env, GUEST, output, &h, &cb, err, sizeof(err)),
			 -ENOENT);
	ck_assert_ptr_null(cb);
	ck_assert_ptr_null(h.fn);
	ck_assert_uint_eq(h.maps, 0);
	console_back_close(NULL);
	console_back_drain(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("console_back");
	TCase *tc = tcase_create("console");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, output_and_input);
	tcase_add_test(tc, hostile_indices);
	tcase_add_test(tc, hostile_in_ring);
	tcase_add_test(tc, no_console_port);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
