// SPDX-License-Identifier: MIT
/*
 * The xenstore client. Requests go out on the req ring, replies and watch
 * events come back interleaved on the rsp ring; events that arrive while a
 * request waits for its reply are queued for xenbus_wait_watch.
 */
#include <errno.h>
#include <string.h>
#include <splitvisor/byte_ring.h>
#include <splitvisor/xs_wire.h>

#include "array_size.h"
#include "boot_info.h"
#include "evtchn.h"
#include "kstring.h"
#include "ktime.h"
#include "xenbus.h"

#define WATCH_QUEUE_LEN 8u
#define WATCH_EVENT_MAX 256u

struct watch_event {
	uint32_t len; /* path NUL token NUL */
	char data[WATCH_EVENT_MAX];
};

static struct xs_ring_page *ring;
static uint32_t store_port;
static uint32_t next_req_id = 1;
static char payload[XS_PAYLOAD_MAX + 1];
static struct watch_event watch_queue[WATCH_QUEUE_LEN];
static unsigned int watch_head, watch_count;

int xenbus_init(void)
{
	int ret;

	if (ring)
		return 0;
	if (!start_info->store_evtchn || !start_info->store_ring_gpa)
		return -ENOENT;
	/* The core made the port, not us: tell the demultiplexer whose it is. */
	ret = evtchn_bind_vcpu(start_info->store_evtchn, 0);
	if (ret)
		return ret;
	store_port = start_info->store_evtchn;
	ring = (struct xs_ring_page *)(uintptr_t)start_info->store_ring_gpa;
	return 0;
}

/*
 * Waits for room or bytes on the store port. The server sends on it when it
 * moved anything, so a wake-up without progress just loops.
 */
static int ring_write(const void *buf, size_t len, uint64_t deadline)
{
	const char *p = buf;
	long n;
	int ret;

	while (len) {
		n = sv_bring_write(ring->req, XS_RING_SIZE, &ring->req_cons, &ring->req_prod, p,
				   len);
		if (n < 0)
			return -EIO;
		if (!n) {
			ret = evtchn_wait(store_port, deadline);
			if (ret)
				return ret;
			continue;
		}
		evtchn_send(store_port);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int ring_read(void *buf, size_t len, uint64_t deadline)
{
	char *p = buf;
	long n;
	int ret;

	while (len) {
		n = sv_bring_read(ring->rsp, XS_RING_SIZE, &ring->rsp_cons, &ring->rsp_prod, p, len,
				  false);
		if (n < 0)
			return -EIO;
		if (!n) {
			ret = evtchn_wait(store_port, deadline);
			if (ret)
				return ret;
			continue;
		}
		/* The server may be waiting for room to write the rest. */
		evtchn_send(store_port);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void queue_watch_event(const struct xs_msg_hdr *h)
{
	struct watch_event *ev;

	/* A full queue or an oversized event is dropped: the watcher reads the node anyway. */
	if (watch_count == WATCH_QUEUE_LEN || h->len > WATCH_EVENT_MAX)
		return;
	ev = &watch_queue[(watch_head + watch_count) % WATCH_QUEUE_LEN];
	memcpy(ev->data, payload, h->len);
	ev->len = h->len;
	watch_count++;
}

/* The next message into h and payload (NUL-terminated after len bytes). */
static int read_msg(struct xs_msg_hdr *h, uint64_t deadline)
{
	int ret;

	ret = ring_read(h, sizeof(*h), deadline);
	if (ret)
		return ret;
	if (h->len > XS_PAYLOAD_MAX)
		return -EIO;
	ret = ring_read(payload, h->len, deadline);
	if (!ret)
		payload[h->len] = '\0';
	return ret;
}

static const struct {
	const char *name;
	int err;
} xs_errors[] = {
	{ "EINVAL", EINVAL }, { "EACCES", EACCES },   { "EEXIST", EEXIST },
	{ "EISDIR", EISDIR }, { "ENOENT", ENOENT },   { "ENOMEM", ENOMEM },
	{ "ENOSPC", ENOSPC }, { "EIO", EIO },	      { "ENOTEMPTY", ENOTEMPTY },
	{ "ENOSYS", ENOSYS }, { "EROFS", EROFS },     { "EBUSY", EBUSY },
	{ "EAGAIN", EAGAIN }, { "EISCONN", EISCONN }, { "E2BIG", E2BIG },
	{ "EPERM", EPERM },
};

static int error_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(xs_errors); i++)
		if (!strcmp(xs_errors[i].name, name))
			return -xs_errors[i].err;
	return -EIO;
}

/*
 * Sends one request of up to two parts and waits for its reply, which is left
 * in payload; returns the reply's length or -errno.
 */
static int request(uint32_t type, uint32_t tx, const void *a, size_t alen, const void *b,
		   size_t blen)
{
	uint64_t deadline = now_ns() + XENBUS_REPLY_TIMEOUT_NS;
	struct xs_msg_hdr h = { .type = type, .req_id = next_req_id++, .tx_id = tx, .len = 0 };
	uint32_t id = h.req_id;
	int ret;

	if (!ring)
		return -ENOENT;
	if (alen + blen > XS_PAYLOAD_MAX)
		return -E2BIG;
	h.len = (uint32_t)(alen + blen);
	ret = ring_write(&h, sizeof(h), deadline);
	if (!ret && alen)
		ret = ring_write(a, alen, deadline);
	if (!ret && blen)
		ret = ring_write(b, blen, deadline);
	while (!ret) {
		ret = read_msg(&h, deadline);
		if (ret)
			break;
		if (h.type == XS_WATCH_EVENT) {
			queue_watch_event(&h);
			continue;
		}
		if (h.req_id != id)
			continue; /* the late reply of a request that timed out */
		if (h.type == XS_ERROR)
			return error_from_name(payload);
		return (int)h.len;
	}
	return ret;
}

int xenbus_read_tx(uint32_t tx, const char *path, char *buf, size_t cap)
{
	int ret = request(XS_READ, tx, path, strlen(path) + 1, NULL, 0);

	if (ret < 0)
		return ret;
	if ((size_t)ret >= cap)
		return -E2BIG;
	memcpy(buf, payload, (size_t)ret);
	buf[ret] = '\0';
	return ret;
}

int xenbus_read(const char *path, char *buf, size_t cap)
{
	return xenbus_read_tx(XBT_NIL, path, buf, cap);
}

int xenbus_write_tx(uint32_t tx, const char *path, const char *value)
{
	int ret = request(XS_WRITE, tx, path, strlen(path) + 1, value, strlen(value));

	return ret < 0 ? ret : 0;
}

int xenbus_write(const char *path, const char *value)
{
	return xenbus_write_tx(XBT_NIL, path, value);
}

int xenbus_directory_tx(uint32_t tx, const char *path, char *buf, size_t cap)
{
	int ret = request(XS_DIRECTORY, tx, path, strlen(path) + 1, NULL, 0);

	if (ret < 0)
		return ret;
	/* Each name is NUL-terminated already; a server that cut the last one short is not trusted. */
	if (ret > 0 && payload[ret - 1] != '\0')
		return -EIO;
	if ((size_t)ret > cap)
		return -E2BIG;
	memcpy(buf, payload, (size_t)ret);
	return ret;
}

int xenbus_directory(const char *path, char *buf, size_t cap)
{
	return xenbus_directory_tx(XBT_NIL, path, buf, cap);
}

int xenbus_rm_tx(uint32_t tx, const char *path)
{
	int ret = request(XS_RM, tx, path, strlen(path) + 1, NULL, 0);

	return ret < 0 ? ret : 0;
}

int xenbus_rm(const char *path)
{
	return xenbus_rm_tx(XBT_NIL, path);
}

int xenbus_watch(const char *path, const char *token)
{
	int ret = request(XS_WATCH, XBT_NIL, path, strlen(path) + 1, token, strlen(token) + 1);

	return ret < 0 ? ret : 0;
}

int xenbus_transaction_start(uint32_t *tx)
{
	unsigned long long id;
	int ret = request(XS_TRANSACTION_START, XBT_NIL, "", 1, NULL, 0);

	if (ret < 0)
		return ret;
	if (!ret || payload[ret - 1] != '\0' || parse_u64(payload, &id) || !id || id > UINT32_MAX)
		return -EIO;
	*tx = (uint32_t)id;
	return 0;
}

int xenbus_transaction_end(uint32_t tx, bool abort)
{
	int ret = request(XS_TRANSACTION_END, tx, abort ? "F" : "T", 2, NULL, 0);

	return ret < 0 ? ret : 0;
}

int xenbus_transaction_run(xenbus_tx_body *body, void *data)
{
	uint32_t tx;
	int ret = -EAGAIN;

	for (int attempt = 0; attempt < XENBUS_TX_ATTEMPTS && ret == -EAGAIN; attempt++) {
		ret = xenbus_transaction_start(&tx);
		if (ret)
			break;
		ret = body(tx, data);
		if (ret) {
			/* The body's error wins; the abort only frees the server's state. */
			xenbus_transaction_end(tx, true);
			continue;
		}
		ret = xenbus_transaction_end(tx, false);
	}
	return ret;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (!cap)
		return;
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int xenbus_wait_watch(char *path, size_t cap, char *token, size_t tcap, uint64_t deadline_ns)
{
	struct watch_event *ev;
	struct xs_msg_hdr h;
	size_t plen;
	int ret;

	if (!ring)
		return -ENOENT;
	while (!watch_count) {
		ret = read_msg(&h, deadline_ns);
		if (ret)
			return ret;
		if (h.type == XS_WATCH_EVENT)
			queue_watch_event(&h);
	}
	ev = &watch_queue[watch_head];
	watch_head = (watch_head + 1) % WATCH_QUEUE_LEN;
	watch_count--;
	/* Both strings are NUL-terminated inside len bytes, or the event is cut short. */
	ev->data[ev->len ? ev->len - 1 : 0] = '\0';
	copy_str(path, cap, ev->data);
	plen = strlen(ev->data) + 1;
	copy_str(token, tcap, plen < ev->len ? ev->data + plen : "");
	return 0;
}

bool xenbus_watch_pending(void)
{
	if (!ring)
		return false;
	return watch_count || __atomic_load_n(&ring->rsp_prod, __ATOMIC_ACQUIRE) != ring->rsp_cons;
}

int xenbus_send_raw(uint32_t type, const void *payload, size_t len)
{
	uint64_t deadline = now_ns() + XENBUS_REPLY_TIMEOUT_NS;
	struct xs_msg_hdr h = { .type = type, .req_id = next_req_id++, .len = (uint32_t)len };
	int ret;

	if (!ring)
		return -ENOENT;
	/* A longer payload would break the framing, which ends the connection for good. */
	if (len > XS_PAYLOAD_MAX)
		return -E2BIG;
	ret = ring_write(&h, sizeof(h), deadline);
	if (!ret && len)
		ret = ring_write(payload, len, deadline);
	return ret;
}

int xenbus_recv_raw(int *xs_err, uint64_t deadline_ns)
{
	struct xs_msg_hdr h;
	int ret;

	if (!ring)
		return -ENOENT;
	do {
		ret = read_msg(&h, deadline_ns);
		if (!ret && h.type == XS_WATCH_EVENT)
			queue_watch_event(&h);
	} while (!ret && h.type == XS_WATCH_EVENT);
	if (!ret)
		*xs_err = h.type == XS_ERROR ? error_from_name(payload) : 0;
	return ret;
}
