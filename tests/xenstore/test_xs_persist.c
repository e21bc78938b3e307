// SPDX-License-Identifier: MIT
/*
 * The journal (xs_persist.c): a server is "killed" by taking copies of its
 * journal file and of the guest's ring page at a moment the daemon could die
 * (the journal is a shared mapping, so the file holds every record the moment
 * it is written); a second server loads the copy and must carry on exactly.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "xs_test.h"

#define DOMID 5

static char dir[64], jpath[128], cpath[128];

struct rx {
	char buf[1 << 16];
	size_t have;
};

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/xs-persist-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(jpath, sizeof(jpath), "%s/xenstore.journal", dir);
	snprintf(cpath, sizeof(cpath), "%s/copy.journal", dir);
}

static void teardown(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[384];

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static struct xs_server *server(const char *path, bool load)
{
	struct xs_server *srv = xs_server_new(NULL);
	char err[256];

	ck_assert_ptr_nonnull(srv);
	ck_assert_msg(xs_persist_open(srv, path, load, err, sizeof(err)) == 0, "%s", err);
	return srv;
}

/* The journal as a kill would leave it: the whole file, or its first len bytes. */
static void copy_file(const char *from, const char *to, size_t len)
{
	static char buf[1 << 16];
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	size_t done = 0;
	ssize_t n;

	ck_assert_int_ge(in, 0);
	ck_assert_int_ge(out, 0);
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		size_t take = (size_t)n;

		if (len != SIZE_MAX && done + take > len)
			take = len - done;
		ck_assert_int_eq(write(out, buf, take), (ssize_t)take);
		done += take;
	}
	close(in);
	close(out);
}

static void copy_journal(const char *to, size_t len)
{
	copy_file(jpath, to, len);
}

static struct xs_ring_page *ring_copy(const struct xs_ring_page *r)
{
	struct xs_ring_page *c = malloc(sizeof(*c));

	ck_assert_ptr_nonnull(c);
	memcpy(c, r, sizeof(*c));
	return c;
}

static struct xs_conn *ring_conn(struct xs_server *srv, struct xs_ring_page *ring)
{
	struct xs_conn *c = xs_conn_new(srv, DOMID);

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(xs_persist_ring_attach(c, ring), 0);
	return c;
}

static void ring_send(struct xs_ring_page *ring, uint32_t type, uint32_t id, uint32_t tx,
		      const void *payload, size_t len)
{
	char msg[XS_MSG_MAX];
	ssize_t n = xs_msg_encode(msg, sizeof(msg), type, id, tx, payload, len);

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(xs_ring_client_write(ring, msg, (size_t)n), n);
}

static void ring_send_args(struct xs_ring_page *ring, uint32_t type, uint32_t id, uint32_t tx,
			   const char *a, const char *b)
{
	char buf[512];
	/* a write's value is raw bytes; other arguments are NUL-terminated */
	size_t la = strlen(a) + 1, lb = b ? strlen(b) + (type != XS_WRITE) : 0;

	memcpy(buf, a, la);
	if (b)
		memcpy(buf + la, b, lb);
	ring_send(ring, type, id, tx, buf, la + lb);
}

/* Everything the guest can read now, in rx. */
static void rx_pull(struct xs_ring_page *ring, struct rx *rx)
{
	ssize_t n;

	do {
		n = xs_ring_client_read(ring, rx->buf + rx->have, sizeof(rx->buf) - rx->have);
		ck_assert_int_ge(n, 0);
		rx->have += (size_t)n;
	} while (n > 0);
}

/* The next whole message; false when none is complete. */
static bool rx_next(struct rx *rx, struct xt_msg *m)
{
	const void *payload;
	ssize_t n = rx->have ? xs_msg_decode(rx->buf, rx->have, &m->hdr, &payload) : 0;

	if (n <= 0)
		return false;
	memcpy(m->payload, payload, m->hdr.len);
	m->payload[m->hdr.len] = '\0';
	memmove(rx->buf, rx->buf + n, rx->have - (size_t)n);
	rx->have -= (size_t)n;
	return true;
}

static int count_msgs(struct rx *rx, uint32_t type, uint32_t req_id)
{
	struct xt_msg m;
	struct rx copy = *rx;
	int n = 0;

	while (rx_next(&copy, &m))
		n += m.hdr.type == type && (type == XS_WATCH_EVENT || m.hdr.req_id == req_id);
	return n;
}

/* path=value perms, each node, depth first in the children's order. */
static void dump(struct xt_client *c, const char *path, char *out, size_t cap)
{
	char children[XS_PAYLOAD_MAX + 1], child[XS_ABS_PATH_MAX + 1];
	size_t clen, off = strlen(out);
	int n;

	ck_assert_int_eq(xt_read(c, 0, path), 0);
	n = snprintf(out + off, cap - off, "%s=%s", path, c->reply.payload);
	ck_assert_int_lt(n, (int)(cap - off));
	ck_assert_int_eq(xt_req(c, XS_GET_PERMS, 0, path, NULL), 0);
	for (uint32_t i = 0; i < c->reply.hdr.len;
	     i += (uint32_t)strlen(c->reply.payload + i) + 1) {
		off = strlen(out);
		snprintf(out + off, cap - off, " %s", c->reply.payload + i);
	}
	off = strlen(out);
	ck_assert_uint_lt(off + 2, cap);
	strcat(out, "\n");
	ck_assert_int_eq(xt_req(c, XS_DIRECTORY, 0, path, NULL), 0);
	clen = c->reply.hdr.len;
	memcpy(children, c->reply.payload, clen);
	for (size_t i = 0; i < clen; i += strlen(children + i) + 1) {
		snprintf(child, sizeof(child), "%s%s%s", path, strcmp(path, "/") ? "/" : "",
			 children + i);
		dump(c, child, out, cap);
	}
}

static char *tree_of(struct xs_server *srv)
{
	struct xt_client *c = xt_client(srv, 0);
	char *out = calloc(1, 1 << 20);

	ck_assert_ptr_nonnull(out);
	dump(c, "/", out, 1 << 20);
	xt_client_free(c);
	return out;
}

static void check_same_tree(struct xs_server *a, struct xs_server *b)
{
	char *ta = tree_of(a), *tb = tree_of(b);

	ck_assert_str_eq(ta, tb);
	free(ta);
	free(tb);
}

/* A guest's run: writes, a transaction, watches; the dom0 side changes the tree too. */
static void populate(struct xs_server *srv, struct xt_client *d0, struct xs_ring_page *ring,
		     struct xs_conn *guest, uint32_t *open_txn)
{
	struct rx rx = { .have = 0 };
	struct xt_msg m;
	uint32_t tx;

	xt_make_domain_dir(d0, DOMID);
	ck_assert_int_eq(xt_write(d0, 0, "/backend/vbd/5/51712/state", "2"), 0);
	ck_assert_int_eq(xt_req(d0, XS_SET_PERMS, 0, "/backend/vbd/5/51712", "n0", "r5", NULL), 0);
	ck_assert_int_eq(xt_write(d0, 0, "/tool/gone/x", "1"), 0);
	ck_assert_int_eq(xt_req(d0, XS_RM, 0, "/tool/gone", NULL), 0);
	ck_assert_int_eq(xt_txn_start(d0, &tx), 0);
	ck_assert_int_eq(xt_write(d0, tx, "/tool/txn/a", "committed"), 0);
	ck_assert_int_eq(xt_txn_end(d0, tx, true), 0);
	ck_assert_int_eq(xt_txn_start(d0, &tx), 0);
	ck_assert_int_eq(xt_write(d0, tx, "/tool/txn/b", "aborted"), 0);
	ck_assert_int_eq(xt_txn_end(d0, tx, false), 0);

	ring_send_args(ring, XS_WRITE, 1, 0, "data/a", "alpha");
	ring_send_args(ring, XS_MKDIR, 2, 0, "data/empty", NULL);
	ring_send_args(ring, XS_WATCH, 3, 0, "data", "rel");
	ring_send_args(ring, XS_WATCH, 4, 0, "/local/domain/5/other", "abs");
	ring_send_args(ring, XS_WATCH, 5, 0, "/local/domain/5/dropped", "gone");
	ring_send_args(ring, XS_UNWATCH, 6, 0, "/local/domain/5/dropped", "gone");
	ring_send(ring, XS_TRANSACTION_START, 7, 0, "", 1);
	ck_assert_int_eq(xs_ring_server_pump(ring, guest), 1);
	rx_pull(ring, &rx);
	while (rx_next(&rx, &m)) {
		if (m.hdr.req_id == 7)
			*open_txn = (uint32_t)strtoul(m.payload, NULL, 10);
		ck_assert_msg(m.hdr.type != XS_ERROR, "req %u: %s", m.hdr.req_id, m.payload);
	}
	ck_assert_uint_ne(*open_txn, 0);
	ring_send_args(ring, XS_WRITE, 8, *open_txn, "data/intxn", "x");
	ring_send(ring, XS_SET_PERMS, 9, 0, "data/a\0n5\0r0", 13);
	ring_send(ring, XS_SET_PERMS, 10, 0, "data/empty\0b5\0r0", 17);
	ck_assert_int_eq(xs_ring_server_pump(ring, guest), 1);
	rx_pull(ring, &rx);
	while (rx_next(&rx, &m))
		ck_assert_msg(m.hdr.type != XS_ERROR, "req %u: %s", m.hdr.req_id, m.payload);
	(void)srv;
}

START_TEST(test_state_survives)
{
	struct xs_server *a = server(jpath, false), *b;
	struct xs_ring_page *ring = calloc(1, sizeof(*ring)), *ring2;
	struct xt_client *d0 = xt_client(a, 0), *d0b;
	struct xs_conn *guest = ring_conn(a, ring), *guest2;
	struct rx rx = { .have = 0 };
	uint32_t open_txn = 0, tx;
	struct xt_msg m;
	int events = 0;

	ck_assert_ptr_nonnull(ring);
	populate(a, d0, ring, guest, &open_txn);
	/* The kill: a copy of the file and of the page, and no shutdown of a. */
	copy_journal(cpath, SIZE_MAX);
	ring2 = ring_copy(ring);
	b = server(cpath, true);
	guest2 = ring_conn(b, ring2);
	ck_assert_int_eq(xs_persist_adopted(b), 0);
	check_same_tree(a, b);

	/* Watches: both fire (relative paths stay relative), the removed one does not. */
	d0b = xt_client(b, 0);
	ck_assert_int_eq(xt_write(d0b, 0, "/local/domain/5/data/new", "1"), 0);
	ck_assert_int_eq(xt_write(d0b, 0, "/local/domain/5/other", "2"), 0);
	ck_assert_int_eq(xt_write(d0b, 0, "/local/domain/5/dropped", "3"), 0);
	/* The open transaction can only fail; the guest retries with a new one. */
	ring_send_args(ring2, XS_TRANSACTION_END, 20, open_txn, "T", NULL);
	ring_send(ring2, XS_TRANSACTION_START, 21, 0, "", 1);
	ck_assert_int_eq(xs_ring_server_pump(ring2, guest2), 1);
	rx_pull(ring2, &rx);
	while (rx_next(&rx, &m)) {
		if (m.hdr.type == XS_WATCH_EVENT) {
			const char *tok = m.payload + strlen(m.payload) + 1;

			events++;
			if (!strcmp(tok, "rel"))
				ck_assert_str_eq(m.payload, "data/new");
			else
				ck_assert_str_eq(tok, "abs");
			continue;
		}
		if (m.hdr.req_id == 20) {
			ck_assert_uint_eq(m.hdr.type, XS_ERROR);
			ck_assert_str_eq(m.payload, "EAGAIN");
		} else {
			ck_assert_uint_eq(m.hdr.req_id, 21);
			tx = (uint32_t)strtoul(m.payload, NULL, 10);
			ck_assert_uint_ne(tx, 0);
			ck_assert_uint_ne(tx, open_txn);
		}
	}
	ck_assert_int_eq(events, 2);
	/* The transaction's write never reached the tree. */
	ck_assert_int_eq(xt_read(d0b, 0, "/local/domain/5/data/intxn"), -ENOENT);

	/* A third server from b's rewritten journal: the same again. */
	{
		struct xs_server *c;
		char third[160];

		snprintf(third, sizeof(third), "%s.third", cpath);
		copy_file(cpath, third, SIZE_MAX);
		c = server(third, true);
		check_same_tree(b, c);
		xs_server_free(c);
		unlink(third);
	}
	xt_client_free(d0b);
	xt_client_free(d0);
	xs_conn_free(guest2);
	xs_conn_free(guest);
	xs_server_free(b);
	xs_server_free(a);
	free(ring2);
	free(ring);
}
END_TEST

/*
 * One request at every point where a kill can fall: before its record, after
 * the record, after req_cons moved, after the reply reached the ring. It runs
 * once and its reply (and the event it fires) arrives exactly once.
 */
START_TEST(test_exactly_once)
{
	for (int point = 0; point < 4; point++) {
		struct xs_server *a = server(jpath, false), *b;
		struct xs_ring_page *ring = calloc(1, sizeof(*ring)), *before, *crash;
		struct xt_client *d0 = xt_client(a, 0), *d0b;
		struct xs_conn *guest = ring_conn(a, ring), *guest2;
		struct rx rx = { .have = 0 };
		struct xt_msg m;

		xt_make_domain_dir(d0, DOMID);
		ring_send_args(ring, XS_WATCH, 1, 0, "count", "w");
		ck_assert_int_eq(xs_ring_server_pump(ring, guest), 1);
		rx_pull(ring, &rx);
		while (rx_next(&rx, &m))
			;
		ring_send_args(ring, XS_WRITE, 2, 0, "count", "1");
		before = ring_copy(ring);
		if (point == 0)
			copy_journal(cpath, SIZE_MAX);
		ck_assert_int_eq(xs_ring_server_pump(ring, guest), 1);
		if (point > 0)
			copy_journal(cpath, SIZE_MAX);
		crash = point == 3 ? ring_copy(ring) : ring_copy(before);
		if (point == 2)
			crash->req_cons = ring->req_cons;
		if (point == 3) {
			rx_pull(crash, &rx);
			ck_assert_int_eq(count_msgs(&rx, XS_WRITE, 2), 1);
			ck_assert_int_eq(count_msgs(&rx, XS_WATCH_EVENT, 0), 1);
		}
		b = server(cpath, true);
		guest2 = ring_conn(b, crash);
		xs_persist_adopted(b);
		xs_ring_server_pump(crash, guest2);
		rx_pull(crash, &rx);
		ck_assert_msg(count_msgs(&rx, XS_WRITE, 2) == 1, "point %d: reply", point);
		ck_assert_msg(count_msgs(&rx, XS_WATCH_EVENT, 0) == 1, "point %d: event %d", point,
			      count_msgs(&rx, XS_WATCH_EVENT, 0));
		ck_assert_uint_eq(crash->req_cons, crash->req_prod);
		d0b = xt_client(b, 0);
		ck_assert_int_eq(xt_read(d0b, 0, "/local/domain/5/count"), 0);
		ck_assert_str_eq(d0b->reply.payload, "1");
		/* And the ring goes on from there. */
		ring_send_args(crash, XS_READ, 3, 0, "count", NULL);
		ck_assert_int_eq(xs_ring_server_pump(crash, guest2), 1);
		rx.have = 0;
		rx_pull(crash, &rx);
		ck_assert_int_eq(count_msgs(&rx, XS_READ, 3), 1);
		xt_client_free(d0b);
		xs_conn_free(guest2);
		xs_server_free(b);
		xt_client_free(d0);
		xs_conn_free(guest);
		xs_server_free(a);
		free(before);
		free(crash);
		free(ring);
	}
}
END_TEST

/* Output queued beyond what the ring holds (the guest does not read) is owed, not lost. */
START_TEST(test_owed_output)
{
	struct xs_server *a = server(jpath, false), *b;
	struct xs_ring_page *ring = calloc(1, sizeof(*ring)), *crash;
	struct xt_client *d0 = xt_client(a, 0);
	struct xs_conn *guest = ring_conn(a, ring), *guest2;
	static char value[1000];
	struct rx rx = { .have = 0 };
	struct xt_msg m;
	int replies = 0;

	memset(value, 'v', sizeof(value) - 1);
	xt_make_domain_dir(d0, DOMID);
	ck_assert_int_eq(xt_write(d0, 0, "/local/domain/5/big", value), 0);
	for (uint32_t id = 1; id <= 5; id++)
		ring_send_args(ring, XS_READ, id, 0, "big", NULL);
	xs_ring_server_pump(ring, guest);
	/* Part of the second reply is on the ring: the rest waits in the server. */
	ck_assert_uint_eq(ring->rsp_prod - ring->rsp_cons, XS_RING_SIZE);
	copy_journal(cpath, SIZE_MAX);
	crash = ring_copy(ring);
	b = server(cpath, true);
	guest2 = ring_conn(b, crash);
	xs_persist_adopted(b);
	for (int i = 0; i < 20; i++) {
		xs_ring_server_pump(crash, guest2);
		rx_pull(crash, &rx);
	}
	while (rx_next(&rx, &m)) {
		ck_assert_uint_eq(m.hdr.type, XS_READ);
		ck_assert_uint_eq(m.hdr.req_id, (uint32_t)++replies);
		ck_assert_str_eq(m.payload, value);
	}
	ck_assert_int_eq(replies, 5);
	ck_assert_uint_eq(rx.have, 0);
	xt_client_free(d0);
	xs_conn_free(guest2);
	xs_conn_free(guest);
	xs_server_free(b);
	xs_server_free(a);
	free(crash);
	free(ring);
}
END_TEST

/* A request larger than the ring is taken in pieces: the piece taken is kept. */
START_TEST(test_unfinished_request)
{
	struct xs_server *a = server(jpath, false), *b;
	struct xs_ring_page *ring = calloc(1, sizeof(*ring)), *crash;
	struct xt_client *d0 = xt_client(a, 0), *d0b;
	struct xs_conn *guest = ring_conn(a, ring), *guest2;
	static char payload[2000], msg[XS_MSG_MAX];
	struct rx rx = { .have = 0 };
	size_t off = 0;
	struct xt_msg m;
	ssize_t n;

	xt_make_domain_dir(d0, DOMID);
	memcpy(payload, "big", 4);
	memset(payload + 4, 'q', sizeof(payload) - 4);
	n = xs_msg_encode(msg, sizeof(msg), XS_WRITE, 9, 0, payload, sizeof(payload));
	ck_assert_int_gt(n, XS_RING_SIZE);
	off = (size_t)xs_ring_client_write(ring, msg, (size_t)n);
	ck_assert_uint_eq(off, XS_RING_SIZE);
	ck_assert_int_ge(xs_ring_server_pump(ring, guest), 0);
	ck_assert_uint_eq(ring->req_cons, XS_RING_SIZE);
	copy_journal(cpath, SIZE_MAX);
	crash = ring_copy(ring);
	b = server(cpath, true);
	guest2 = ring_conn(b, crash);
	xs_persist_adopted(b);
	while (off < (size_t)n) {
		ssize_t w = xs_ring_client_write(crash, msg + off, (size_t)n - off);

		ck_assert_int_ge(w, 0);
		off += (size_t)w;
		xs_ring_server_pump(crash, guest2);
	}
	rx_pull(crash, &rx);
	ck_assert(rx_next(&rx, &m));
	ck_assert_uint_eq(m.hdr.type, XS_WRITE);
	ck_assert_uint_eq(m.hdr.req_id, 9);
	d0b = xt_client(b, 0);
	ck_assert_int_eq(xt_read(d0b, 0, "/local/domain/5/big"), 0);
	ck_assert_uint_eq(d0b->reply.hdr.len, sizeof(payload) - 4);
	xt_client_free(d0b);
	xt_client_free(d0);
	xs_conn_free(guest2);
	xs_conn_free(guest);
	xs_server_free(b);
	xs_server_free(a);
	free(crash);
	free(ring);
}
END_TEST

/*
 * The last record cut at every byte (a file cut short, and a mapping whose copy
 * stopped part way): the state before it comes back, and its request runs once.
 */
START_TEST(test_torn_record)
{
	struct xs_server *a = server(jpath, false);
	struct xs_ring_page *ring = calloc(1, sizeof(*ring)), *before;
	struct xt_client *d0 = xt_client(a, 0);
	struct xs_conn *guest = ring_conn(a, ring);
	char *tree_before, *tree_after;
	size_t s0, s1;

	xt_make_domain_dir(d0, DOMID);
	ck_assert_int_eq(xt_write(d0, 0, "/local/domain/5/x", "old"), 0);
	ring_send_args(ring, XS_WRITE, 1, 0, "x", "new");
	before = ring_copy(ring);
	tree_before = tree_of(a);
	s0 = xs_persist_size(a);
	ck_assert_int_eq(xs_ring_server_pump(ring, guest), 1);
	s1 = xs_persist_size(a);
	tree_after = tree_of(a);
	ck_assert_uint_gt(s1, s0);
	/* The record: a 16-byte header whose first word is the payload's length. */
	{
		uint32_t len;
		int fd = open(jpath, O_RDONLY);

		ck_assert_int_eq(pread(fd, &len, 4, (off_t)s0), 4);
		close(fd);
		ck_assert_uint_le(16 + len, s1 - s0);
		s1 = s0 + 16 + len;
	}
	for (size_t cut = 0; cut < s1 - s0; cut++) {
		for (int zeroed = 0; zeroed < 2; zeroed++) {
			struct xs_ring_page *crash = ring_copy(before);
			struct xs_server *b;
			struct xs_conn *g;
			struct rx rx = { .have = 0 };
			char *t;

			copy_journal(cpath, zeroed ? SIZE_MAX : s0 + cut);
			if (zeroed) {
				/* bytes past the cut never written: the file's zeros */
				int fd = open(cpath, O_RDWR);
				static char zeros[4096], old[4096];

				ck_assert_int_ge(fd, 0);
				ck_assert_int_eq(pread(fd, old, s1 - s0 - cut, (off_t)(s0 + cut)),
						 (ssize_t)(s1 - s0 - cut));
				if (!memcmp(old, zeros, s1 - s0 - cut)) {
					/* they were zeros: the record is whole */
					close(fd);
					free(crash);
					continue;
				}
				ck_assert_int_eq(
					pwrite(fd, zeros, s1 - s0 - cut, (off_t)(s0 + cut)),
					(ssize_t)(s1 - s0 - cut));
				close(fd);
			}
			b = server(cpath, true);
			t = tree_of(b);
			ck_assert_msg(!strcmp(t, tree_before), "cut %zu zeroed %d of %zu", cut,
				      zeroed, s1 - s0);
			free(t);
			g = ring_conn(b, crash);
			xs_persist_adopted(b);
			xs_ring_server_pump(crash, g);
			rx_pull(crash, &rx);
			ck_assert_int_eq(count_msgs(&rx, XS_WRITE, 1), 1);
			t = tree_of(b);
			ck_assert_str_eq(t, tree_after);
			free(t);
			xs_conn_free(g);
			xs_server_free(b);
			free(crash);
		}
	}
	free(tree_before);
	free(tree_after);
	xt_client_free(d0);
	xs_conn_free(guest);
	xs_server_free(a);
	free(before);
	free(ring);
}
END_TEST

/* Hostile or broken input: a foreign file, a damaged record, ring indices that lie. */
START_TEST(test_hostile)
{
	struct xs_server *a = server(jpath, false), *b;
	struct xs_ring_page *ring = calloc(1, sizeof(*ring)), *crash;
	struct xt_client *d0 = xt_client(a, 0);
	struct xs_conn *guest = ring_conn(a, ring), *g;
	char err[256];
	size_t s0;
	int fd;

	xt_make_domain_dir(d0, DOMID);
	ring_send_args(ring, XS_WRITE, 1, 0, "x", "1");
	xs_ring_server_pump(ring, guest);
	s0 = xs_persist_size(a);
	ck_assert_int_eq(xt_write(d0, 0, "/after", "damaged"), 0);

	/* A damaged record ends the journal there, with a message. */
	copy_journal(cpath, SIZE_MAX);
	fd = open(cpath, O_RDWR);
	ck_assert_int_eq(pwrite(fd, "\xff", 1, (off_t)s0 + 20), 1);
	close(fd);
	b = xs_server_new(NULL);
	ck_assert_int_eq(xs_persist_open(b, cpath, true, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "torn record") != NULL, "%s", err);
	{
		struct xt_client *c = xt_client(b, 0);

		ck_assert_int_eq(xt_read(c, 0, "/local/domain/5/x"), 0);
		ck_assert_int_eq(xt_read(c, 0, "/after"), -ENOENT);
		xt_client_free(c);
	}
	/* The guest moved req_cons past what was handled: refused, not believed. */
	crash = ring_copy(ring);
	crash->req_prod += 4;
	crash->req_cons += 4;
	g = xs_conn_new(b, DOMID);
	ck_assert_int_eq(xs_persist_ring_attach(g, crash), -EIO);
	xs_conn_free(g);
	xs_server_free(b);
	/* ...or rsp_prod past what was ever queued. */
	copy_journal(cpath, SIZE_MAX);
	b = server(cpath, true);
	memcpy(crash, ring, sizeof(*crash));
	crash->rsp_prod += 1;
	g = xs_conn_new(b, DOMID);
	ck_assert_int_eq(xs_persist_ring_attach(g, crash), -EIO);
	xs_conn_free(g);
	xs_server_free(b);

	/* Not a journal at all. */
	fd = open(cpath, O_WRONLY | O_TRUNC);
	ck_assert_int_eq(write(fd, "not a journal, just text", 24), 24);
	close(fd);
	b = xs_server_new(NULL);
	ck_assert_int_eq(xs_persist_open(b, cpath, true, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "not a xenstore journal"));
	/* A fresh start over it works and empties it. */
	ck_assert_int_eq(xs_persist_open(b, cpath, false, err, sizeof(err)), 0);
	xs_server_free(b);

	xt_client_free(d0);
	xs_conn_free(guest);
	xs_server_free(a);
	free(crash);
	free(ring);
}
END_TEST

/* A domain that did not come back is forgotten: its domid starts clean later. */
START_TEST(test_unclaimed_forgotten)
{
	struct xs_server *a = server(jpath, false), *b;
	struct xs_ring_page *ring = calloc(1, sizeof(*ring)), *fresh = calloc(1, sizeof(*ring));
	struct xt_client *d0 = xt_client(a, 0), *d0b;
	struct xs_conn *guest = ring_conn(a, ring), *g;
	struct rx rx = { .have = 0 };

	xt_make_domain_dir(d0, DOMID);
	ring_send_args(ring, XS_WATCH, 1, 0, "w", "tok");
	xs_ring_server_pump(ring, guest);
	copy_journal(cpath, SIZE_MAX);
	b = server(cpath, true);
	ck_assert_int_eq(xs_persist_adopted(b), 0);
	g = ring_conn(b, fresh);
	d0b = xt_client(b, 0);
	ck_assert_int_eq(xt_write(d0b, 0, "/local/domain/5/w", "1"), 0);
	xs_ring_server_pump(fresh, g);
	rx_pull(fresh, &rx);
	ck_assert_uint_eq(rx.have, 0);
	xt_client_free(d0b);
	xs_conn_free(g);
	xs_server_free(b);
	xt_client_free(d0);
	xs_conn_free(guest);
	xs_server_free(a);
	free(fresh);
	free(ring);
}
END_TEST

/* A released domid used again: the old domain's undelivered output never reaches the new one. */
START_TEST(test_domid_reused)
{
	struct xs_server *a = server(jpath, false), *b;
	struct xs_ring_page *old = calloc(1, sizeof(*old)), *ring = calloc(1, sizeof(*ring)),
			    *crash;
	struct xt_client *d0 = xt_client(a, 0);
	struct xs_conn *guest = ring_conn(a, old), *g;
	static char value[1000];
	struct rx rx = { .have = 0 };
	struct xt_msg m;

	memset(value, 'o', sizeof(value) - 1);
	xt_make_domain_dir(d0, DOMID);
	ck_assert_int_eq(xt_write(d0, 0, "/local/domain/5/big", value), 0);
	/* Replies the old guest never reads: more than its ring holds. */
	for (uint32_t id = 1; id <= 3; id++)
		ring_send_args(old, XS_READ, id, 0, "big", NULL);
	xs_ring_server_pump(old, guest);
	ck_assert_int_eq(xs_domain_introduce(a, DOMID, NULL), 0);
	ck_assert_int_eq(xs_domain_release(a, DOMID), 0);
	xs_conn_free(guest);
	/* The new domain's ring starts where the old one's stood. */
	ring->rsp_prod = ring->rsp_cons = 0;
	guest = ring_conn(a, ring);
	ring_send(ring, XS_GET_DOMAIN_PATH, 7, 0, "5", 2);
	ck_assert_int_eq(xs_ring_server_pump(ring, guest), 1);
	copy_journal(cpath, SIZE_MAX);
	crash = ring_copy(ring);
	rx_pull(ring, &rx);
	ck_assert(rx_next(&rx, &m));
	ck_assert_uint_eq(m.hdr.req_id, 7);
	b = server(cpath, true);
	rx.have = 0;
	g = ring_conn(b, crash);
	xs_persist_adopted(b);
	xs_ring_server_pump(crash, g);
	rx_pull(crash, &rx);
	ck_assert(rx_next(&rx, &m));
	ck_assert_uint_eq(m.hdr.req_id, 7);
	/* nothing else, not even the start of an old reply */
	ck_assert_uint_eq(rx.have, 0);
	xs_conn_free(g);
	xs_server_free(b);
	xt_client_free(d0);
	xs_conn_free(guest);
	xs_server_free(a);
	free(crash);
	free(ring);
	free(old);
}
END_TEST

/* Past its size the journal is rewritten as a snapshot, and loads the same. */
START_TEST(test_compaction)
{
	struct xs_server *a = server(jpath, false), *b;
	struct xt_client *d0 = xt_client(a, 0);
	size_t peak = 0;
	char path[64], val[32];

	for (int i = 0; i < 100000; i++) {
		snprintf(path, sizeof(path), "/c/%d", i % 500);
		snprintf(val, sizeof(val), "%d", i);
		ck_assert_int_eq(xt_write(d0, 0, path, val), 0);
		if (xs_persist_size(a) > peak)
			peak = xs_persist_size(a);
	}
	ck_assert_uint_lt(xs_persist_size(a), peak);
	ck_assert_uint_le(peak, 5u << 20);
	copy_journal(cpath, SIZE_MAX);
	b = server(cpath, true);
	check_same_tree(a, b);
	xs_server_free(b);
	xt_client_free(d0);
	xs_server_free(a);
}
END_TEST

static double ring_run(struct xs_server *srv, int rounds)
{
	struct xs_ring_page *ring = calloc(1, sizeof(*ring));
	struct xt_client *d0 = xt_client(srv, 0);
	struct xs_conn *guest = xs_conn_new(srv, DOMID);
	char buf[XS_RING_SIZE];
	struct timespec t0, t1;
	char val[16];

	if (xs_persist_size(srv))
		ck_assert_int_eq(xs_persist_ring_attach(guest, ring), 0);
	xt_make_domain_dir(d0, DOMID);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < rounds; i++) {
		snprintf(val, sizeof(val), "%d", i);
		ring_send_args(ring, XS_WRITE, 1, 0, "bench", val);
		ring_send_args(ring, XS_READ, 2, 0, "bench", NULL);
		ck_assert_int_eq(xs_ring_server_pump(ring, guest), 1);
		while (xs_ring_client_read(ring, buf, sizeof(buf)) > 0)
			;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	xt_client_free(d0);
	xs_conn_free(guest);
	free(ring);
	return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

/* Journaling must not make the store much slower: a write and a read per round. */
START_TEST(test_throughput)
{
	const int rounds = 100000;
	double plain = 1e9, journaled = 1e9;

	for (int rep = 0; rep < 3; rep++) {
		struct xs_server *srv = xs_server_new(NULL);
		double t = ring_run(srv, rounds);

		plain = t < plain ? t : plain;
		xs_server_free(srv);
		srv = server(jpath, false);
		t = ring_run(srv, rounds);
		journaled = t < journaled ? t : journaled;
		xs_server_free(srv);
	}
	printf("xenstore ring write+read: %.0f/s plain, %.0f/s journaled, ratio %.2f\n",
	       rounds / plain, rounds / journaled, journaled / plain);
	ck_assert_msg(journaled < 3 * plain, "journaled %.3fs vs %.3fs", journaled, plain);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("xenstore persist");
	TCase *tc = tcase_create("journal");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_state_survives);
	tcase_add_test(tc, test_exactly_once);
	tcase_add_test(tc, test_owed_output);
	tcase_add_test(tc, test_unfinished_request);
	tcase_add_test(tc, test_torn_record);
	tcase_add_test(tc, test_hostile);
	tcase_add_test(tc, test_unclaimed_forgotten);
	tcase_add_test(tc, test_domid_reused);
	tcase_add_test(tc, test_compaction);
	tcase_add_test(tc, test_throughput);
	suite_add_tcase(s, tc);
	return xt_run(s);
}
