// SPDX-License-Identifier: MIT
/* The shared ring page helper, driven through an in-memory page. */
#include "xs_test.h"

static struct xs_server *srv;
static struct xs_conn *guest;
static struct xs_ring_page *ring;

static void setup(void)
{
	srv = xs_server_new(NULL);
	ck_assert_ptr_nonnull(srv);
	guest = xs_conn_new(srv, 5);
	ck_assert_ptr_nonnull(guest);
	ring = calloc(1, 4096);
	ck_assert_ptr_nonnull(ring);
}

static void teardown(void)
{
	free(ring);
	xs_conn_free(guest);
	xs_server_free(srv);
}

static void client_send(uint32_t type, uint32_t id, const void *payload, size_t len)
{
	char msg[XS_MSG_MAX];
	ssize_t n = xs_msg_encode(msg, sizeof(msg), type, id, 0, payload, len);

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(xs_ring_client_write(ring, msg, (size_t)n), n);
}

/* Reads one whole reply off the response ring. */
static void client_recv(struct xs_msg_hdr *hdr, char *payload)
{
	ck_assert_int_eq(xs_ring_client_read(ring, hdr, sizeof(*hdr)), sizeof(*hdr));
	ck_assert_uint_le(hdr->len, XS_PAYLOAD_MAX);
	ck_assert_int_eq(xs_ring_client_read(ring, payload, hdr->len), hdr->len);
	payload[hdr->len] = '\0';
}

START_TEST(test_round_trip)
{
	struct xs_msg_hdr hdr;
	char payload[XS_PAYLOAD_MAX + 1];

	client_send(XS_GET_DOMAIN_PATH, 1, "5", 2);
	ck_assert_int_eq(xs_ring_server_pump(ring, guest), 1);
	client_recv(&hdr, payload);
	ck_assert_uint_eq(hdr.type, XS_GET_DOMAIN_PATH);
	ck_assert_uint_eq(hdr.req_id, 1);
	ck_assert_str_eq(payload, "/local/domain/5");
	ck_assert_int_eq(xs_ring_server_pump(ring, guest), 0);
	ck_assert_uint_eq(ring->error, XS_RING_ERROR_NONE);
}
END_TEST

/* Indices near the u32 wrap, and messages larger than the ring. */
START_TEST(test_wrap_and_large)
{
	static char big[3000], payload[XS_PAYLOAD_MAX + 1];
	char msg[XS_MSG_MAX];
	struct xs_msg_hdr hdr;
	size_t off = 0, got = 0;
	ssize_t n;

	ring->req_cons = ring->req_prod = UINT32_MAX - 100;
	ring->rsp_cons = ring->rsp_prod = UINT32_MAX - 10;
	memcpy(big, "/x", 3);
	memset(big + 3, 'v', sizeof(big) - 3);
	/* dom0 can write a value that size */
	xs_conn_free(guest);
	guest = xs_conn_new(srv, 0);
	n = xs_msg_encode(msg, sizeof(msg), XS_WRITE, 7, 0, big, sizeof(big));
	while (off < (size_t)n) {
		ssize_t w = xs_ring_client_write(ring, msg + off, (size_t)n - off);

		ck_assert_int_ge(w, 0);
		off += (size_t)w;
		ck_assert_int_ge(xs_ring_server_pump(ring, guest), 0);
	}
	client_recv(&hdr, payload);
	ck_assert_str_eq(payload, "OK");
	client_send(XS_READ, 8, "/x", 3);
	ck_assert_int_eq(xs_ring_server_pump(ring, guest), 1);
	/* the reply is bigger than the ring: read, pump, read */
	ck_assert_int_eq(xs_ring_client_read(ring, &hdr, sizeof(hdr)), sizeof(hdr));
	ck_assert_uint_eq(hdr.len, sizeof(big) - 3);
	while (got < hdr.len) {
		n = xs_ring_client_read(ring, payload + got, hdr.len - got);
		ck_assert_int_ge(n, 0);
		got += (size_t)n;
		ck_assert_int_ge(xs_ring_server_pump(ring, guest), 0);
	}
	ck_assert_int_eq(memcmp(payload, big + 3, hdr.len), 0);
	ck_assert_uint_lt(ring->req_prod, 10000); /* wrapped */
}
END_TEST

/* A guest writing garbage indices gets -EIO; nothing outside the arrays is touched. */
START_TEST(test_hostile_indices)
{
	char buf[XS_RING_SIZE];
	char *page = (char *)ring;

	memset(page + 2084, 0x5a, 4096 - 2084); /* canary after the struct */
	ring->req_cons = 0;
	ring->req_prod = 5000;
	ck_assert_int_eq(xs_ring_server_read(ring, buf, sizeof(buf), true), -EIO);
	ck_assert_int_eq(xs_ring_server_pump(ring, guest), -EIO);
	ck_assert_uint_eq(ring->error, XS_RING_ERROR_RINGIDX);
	ring->req_prod = 1025;
	ck_assert_int_eq(xs_ring_server_pump(ring, guest), -EIO);
	ring->req_cons = 100;
	ring->req_prod = 99; /* consumer ahead of producer */
	ck_assert_int_eq(xs_ring_server_pump(ring, guest), -EIO);
	/* response side: the guest moves rsp_cons wildly */
	ring->req_cons = ring->req_prod = 0;
	ring->rsp_prod = 10;
	ring->rsp_cons = 0x80000000u;
	ck_assert_int_eq(xs_ring_server_write(ring, "abc", 3), -EIO);
	ring->rsp_cons = 11; /* ahead of rsp_prod */
	ck_assert_int_eq(xs_ring_server_write(ring, "abc", 3), -EIO);
	/* a full ring of exactly 1024 is legal; prod - cons may wrap */
	ring->req_cons = UINT32_MAX - 1000;
	ring->req_prod = ring->req_cons + XS_RING_SIZE;
	ck_assert_int_eq(xs_ring_server_read(ring, buf, sizeof(buf), true), XS_RING_SIZE);
	for (size_t i = 2084; i < 4096; i++)
		ck_assert_int_eq(page[i], 0x5a);
	/* the server and other connections are unaffected */
	{
		struct xt_client *dom0 = xt_client(srv, 0);

		ck_assert_int_eq(xt_write(dom0, 0, "/still", "ok"), 0);
		xt_client_free(dom0);
	}
}
END_TEST

/* A malformed header on the ring marks the connection dead (XS_RING_ERROR_PROTO). */
START_TEST(test_ring_bad_frame)
{
	struct xs_msg_hdr hdr = { XS_READ, 1, 0, 0x10000 };

	ck_assert_int_eq(xs_ring_client_write(ring, &hdr, sizeof(hdr)), sizeof(hdr));
	ck_assert_int_eq(xs_ring_server_pump(ring, guest), -EPIPE);
	ck_assert(xs_conn_is_dead(guest));
	ck_assert_uint_eq(ring->error, XS_RING_ERROR_PROTO);
}
END_TEST

/* A guest that never reads responses: we stop taking its requests, nothing grows. */
START_TEST(test_guest_not_reading)
{
	uint32_t prod_before;

	for (uint32_t id = 1; id <= 200; id++) {
		char msg[64];
		ssize_t n = xs_msg_encode(msg, sizeof(msg), XS_GET_DOMAIN_PATH, id, 0, "5", 2);

		if (xs_ring_client_write(ring, msg, (size_t)n) != n)
			break;
		ck_assert_int_ge(xs_ring_server_pump(ring, guest), 0);
	}
	prod_before = ring->rsp_prod;
	ck_assert_uint_eq(ring->rsp_prod - ring->rsp_cons, XS_RING_SIZE);
	ck_assert_int_eq(xs_ring_server_pump(ring, guest), 0);
	ck_assert_uint_eq(ring->rsp_prod, prod_before);
	ck_assert_uint_ne(ring->req_prod, ring->req_cons); /* requests wait in the ring */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("xenstore.ring");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_wrap_and_large);
	tcase_add_test(tc, test_hostile_indices);
	tcase_add_test(tc, test_ring_bad_frame);
	tcase_add_test(tc, test_guest_not_reading);
	suite_add_tcase(s, tc);
	return xt_run(s);
}
