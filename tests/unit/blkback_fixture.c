// SPDX-License-Identifier: MIT
/*
 * The blkback tests' shared fixture (blkback_fixture.h): the fake guest and
 * mapper, a device over a temporary disk, and the request helpers.
 */
#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blkback_fixture.h"

#define GUEST 5
#define RAM   (32u << 20)

struct bh_guest g;
struct gnt_mapper m;
struct gnt_mapper dm;
struct bh_remote remote;
const enum blkback_io_engine engines[2] = { BLKBACK_IO_URING, BLKBACK_IO_THREADS };

void setup(void)
{
	ck_assert_int_eq(bh_guest_create(&g, GUEST, BACKEND, RAM), 0);
	ck_assert_int_eq(gnt_mapper_init(&m, BACKEND, 1u << 16), 0);
	ck_assert_int_eq(gnt_mapper_init(&dm, BACKEND, 16), 0);
	bh_remote_init(&remote, &g, &m);
}

void teardown(void)
{
	gnt_unmap_all(&m);
	gnt_mapper_destroy(&m);
	gnt_mapper_destroy(&dm);
	bh_guest_destroy(&g);
}

static void dev_notify(void *opaque)
{
	struct dev *d = opaque;

	d->notified++;
	if (d->on_notify)
		d->on_notify(d);
}

void dev_open(struct dev *d, const struct dev_cfg *c)
{
	struct blkback_params p;
	char err[256];
	void *ring;
	uint32_t i;
	int ret;

	memset(d, 0, sizeof(*d));
	d->order = c->order;
	d->next_id = 1000;
	ck_assert_int_eq(bh_temp_disk(d->path, sizeof(d->path), (c->sectors ?: DISK_SECT) * 512),
			 0);
	if (c->format) {
		char cmd[512];

		ck_assert_int_lt(snprintf(cmd, sizeof(cmd), "qemu-img create -q -f %s %s %llu",
					  c->format, d->path,
					  (unsigned long long)(c->sectors ?: DISK_SECT) * 512),
				 (int)sizeof(cmd));
		ck_assert_int_eq(system(cmd), 0);
	}
	ret = blk_disk_open_format(&d->disk, NULL, NULL, d->path, c->format, c->cache, c->readonly,
				   err, sizeof(err));
	if (!c->format)
		unlink(d->path);
	ck_assert_msg(!ret, "%s", err);
	if (c->ring_refs) {
		memcpy(d->refs, c->ring_refs, sizeof(d->refs[0]) << c->order);
	} else {
		ring = bh_alloc_pages(&g, 1u << c->order);
		ck_assert_ptr_nonnull(ring);
		for (i = 0; i < 1u << c->order; i++)
			d->refs[i] = (uint32_t)bh_grant(&g, (uint8_t *)ring + i * BH_PAGE, false);
		sv_front_ring_init(&d->fr, ring, BH_PAGE << c->order, sizeof(union blkif_slot));
	}
	p = (struct blkback_params){ .granter = c->copy ? &remote.granter : &g.granter,
				     .mapper = c->copy ? &dm : &m,
				     .ring_refs = d->refs,
				     .ring_order = c->order,
				     .disk = &d->disk,
				     .persistent = c->persistent,
				     .engine = c->engine,
				     .notify = dev_notify,
				     .opaque = d,
				     .name = "test vbd",
				     .faults = c->faults };
	ret = blkback_open(&d->b, &p, err, sizeof(err));
	ck_assert_msg(!ret, "%s", err);
}

void dev_close(struct dev *d)
{
	blkback_close(d->b);
	blk_disk_close(&d->disk);
}

struct blkback_stats dev_stats(struct dev *d)
{
	struct blkback_stats s;

	blkback_get_stats(d->b, &s);
	return s;
}

/* Publishes what was queued and kicks the backend when the event index asks. */
int dev_push(struct dev *d)
{
	if (sv_front_push_requests(&d->fr))
		return blkback_kick(d->b);
	return 0;
}

/* Waits for n responses, running the backend's completion side meanwhile. */
void dev_wait(struct dev *d, uint32_t n, struct blkif_response *out)
{
	struct pollfd pfd = { .fd = blkback_io_fd(d->b), .events = POLLIN };
	uint32_t got = 0;
	int idle = 0;

	while (got < n) {
		ck_assert_int_eq(blkback_complete(d->b), 0);
		while (sv_front_unconsumed(&d->fr) && got < n) {
			memcpy(&out[got++], sv_front_rsp(&d->fr, d->fr.rsp_cons++), sizeof(*out));
		}
		if (got == n || sv_front_final_check(&d->fr))
			continue;
		ck_assert_msg(poll(&pfd, 1, 2000) > 0 || ++idle < 3, "no response");
	}
}

union blkif_slot *dev_slot(struct dev *d)
{
	union blkif_slot *s = sv_front_next_req(&d->fr);

	memset(s, 0, sizeof(*s));
	return s;
}

/* One request, its response's status; checks the response echoes it and has no garbage. */
int dev_one(struct dev *d, const union blkif_slot *req)
{
	struct blkif_response rsp;
	union blkif_slot *s = dev_slot(d);

	memcpy(s, req, sizeof(*s));
	s->req.id = ++d->next_id;
	ck_assert_int_eq(dev_push(d), 0);
	dev_wait(d, 1, &rsp);
	ck_assert_uint_eq(rsp.id, d->next_id);
	/* A valid indirect request is answered as its read or write (what Linux checks). */
	if (req->req.operation == BLKIF_OP_INDIRECT &&
	    (req->indirect.indirect_op == BLKIF_OP_READ ||
	     req->indirect.indirect_op == BLKIF_OP_WRITE))
		ck_assert_uint_eq(rsp.operation, req->indirect.indirect_op);
	else
		ck_assert_uint_eq(rsp.operation, req->req.operation);
	ck_assert_uint_eq(rsp.pad, 0);
	ck_assert_uint_eq(rsp.pad2, 0);
	return rsp.status;
}

/* n whole pages as segments from sector. */
union blkif_slot rw_req(uint8_t op, uint64_t sector, const uint32_t *refs, uint32_t n)
{
	union blkif_slot s;
	uint32_t i;

	memset(&s, 0, sizeof(s));
	s.req.operation = op;
	s.req.nr_segments = (uint8_t)n;
	s.req.sector_number = sector;
	for (i = 0; i < n && i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++)
		s.req.seg[i] = (struct blkif_request_segment){ .gref = refs[i], .last_sect = 7 };
	return s;
}

/* Guest buffer pages, each granted; data pages read-only when ro. */
uint8_t *buf_pages(uint32_t n, uint32_t *refs, bool ro)
{
	uint8_t *p = bh_alloc_pages(&g, n);
	uint32_t i;

	ck_assert_ptr_nonnull(p);
	for (i = 0; i < n; i++)
		refs[i] = (uint32_t)bh_grant(&g, p + i * BH_PAGE, ro);
	return p;
}

void fill(uint8_t *p, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 9));
}

void file_read(struct dev *d, uint64_t off, void *buf, size_t len)
{
	char path[64];
	int fd;

	/* A new open of the (unlinked) file, buffered: what any other reader sees. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", d->disk.fd);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}
