// SPDX-License-Identifier: MIT
/*
 * blkback: one frontend's blkif ring served against a disk. Each request is
 * copied out of the shared slot once and only the copy is looked at; its
 * segments are mapped through the grant library (read-only when the guest
 * page is only read), turned into iovecs inside the granted pages and handed
 * to the I/O engine, a kick's whole batch in one submission. In copy mode
 * (a driver domain: the granter is remote) nothing of the guest is mapped but
 * the ring: the I/O runs on bounce pages and blk_copy.c moves the data with
 * one grant-copy batch per kick (writes) and per reap (reads).
 *
 * Ordering: the engine runs requests in any order, so flushes and barriers
 * are fences here. A fence waits until every request started before it has
 * finished, then runs (write if it carries data, then fdatasync), and nothing
 * after it starts until it is done. So a flush completes only after every
 * write acknowledged before it is durable, and a barrier write lands after
 * everything before it and is durable when acknowledged.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <splitvisor/blkif.h>

#include "blk_io.h"
#include "blkback.h"
#include "blkback_priv.h"
#include "log.h"

/* A kick takes at most this many rings' worth of requests before it yields. */
#define BLKBACK_KICK_RINGS 2u
/* An injected slow fault sleeps in slices this long, looking at the stop request. */
#define SLOW_SLICE_MS 10u

/* Refusals are the frontend's doing: rate-limited so that a flood cannot fill the log. */
#define blog(b, ...) log_limited_tagged(&(b)->rl, LOG_LEVEL_WARN, (b)->tag, __VA_ARGS__)

static int map_seg(struct blkback *b, struct blk_seg *s, bool to_guest, void **page)
{
	int ret;

	s->pidx = -1;
	if (b->p.persistent) {
		ret = blk_pgrant_map(b, s, to_guest, page);
		if (ret <= 0)
			return ret;
	}
	s->readonly = !to_guest;
	return gnt_map(b->p.mapper, b->p.granter, s->gref, s->readonly, page);
}

static void unmap_segs(struct blkback *b, struct breq *r)
{
	struct blk_seg *s;
	uint32_t i;

	for (i = 0; i < r->nr_mapped; i++) {
		s = &r->segs[i];
		if (s->pidx >= 0)
			b->pg[s->pidx].users--;
		else
			gnt_unmap(b->p.mapper, b->p.granter, s->gref, s->readonly);
	}
	r->nr_mapped = 0;
}

static void release(struct blkback *b, struct breq *r)
{
	unmap_segs(b, r);
	r->next = b->free;
	b->free = r;
	b->inflight--;
}

/* ---- injected faults (svctl inject), read where they act ---- */

static uint32_t fault_get(const struct blkback *b, const uint32_t *field)
{
	return b->p.faults ? __atomic_load_n(field, __ATOMIC_RELAXED) : 0;
}

/* blkback_request_stop was called, from whichever thread. */
static bool stop_requested(const struct blkback *b)
{
	return __atomic_load_n(&b->stop, __ATOMIC_ACQUIRE);
}

/* slow: the device thread sleeps before each batch, as a disk stalling would. */
static void fault_slow(struct blkback *b)
{
	uint32_t ms = b->p.faults ? fault_get(b, &b->p.faults->slow_ms) : 0;
	struct timespec ts;
	uint32_t slice;

	if (!ms)
		return;
	b->st.faults++;
	/* In slices, so that a stop request ends the sleep within one. */
	while (ms && !stop_requested(b)) {
		slice = ms < SLOW_SLICE_MS ? ms : SLOW_SLICE_MS;
		ts = (struct timespec){ .tv_nsec = (long)slice * 1000000 };
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
		ms -= slice;
	}
}

/*
 * corrupt-ring: once per new generation, the next response is garbage, an id
 * never asked for with no valid status: what a broken backend would push.
 */
static void fault_corrupt(struct blkback *b, struct blkif_response *rsp)
{
	uint32_t gen = b->p.faults ? fault_get(b, &b->p.faults->corrupt_ring) : 0;

	if (gen == b->corrupt_seen)
		return;
	b->corrupt_seen = gen;
	b->st.faults++;
	rsp->id = ~rsp->id;
	rsp->operation = 0xff;
	rsp->status = 0x5a5a;
}

/* ---- responses ---- */

/* Answers r and frees it. The response is built whole in a zeroed local (XSA-216). */
static void respond(struct blkback *b, struct breq *r, int16_t status)
{
	struct blkif_response rsp;

	if (!b->dead) {
		memset(&rsp, 0, sizeof(rsp));
		rsp.id = r->id;
		rsp.operation = r->operation;
		rsp.status = status;
		fault_corrupt(b, &rsp);
		memcpy(sv_back_next_rsp(&b->ring), &rsp, sizeof(rsp));
		b->rsp_pending = true;
	}
	release(b, r);
}

static void push(struct blkback *b)
{
	if (b->dead || !b->rsp_pending)
		return;
	b->rsp_pending = false;
	if (sv_back_push_responses(&b->ring) && b->p.notify) {
		b->st.notifications_out++;
		b->p.notify(b->p.opaque);
	}
}

static void refuse(struct blkback *b, struct breq *r, int16_t status, uint64_t *counter,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void refuse(struct blkback *b, struct breq *r, int16_t status, uint64_t *counter,
		   const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	(*counter)++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	blog(b, "request id %" PRIu64 " op %u refused: %s", r->id, r->operation, msg);
	respond(b, r, status);
}

/* ---- starting and finishing I/O ---- */

static void start(struct blkback *b, struct breq *r)
{
	struct blk_io_req *io = &r->io;

	io->fd = b->p.disk->fd;
	io->image = b->p.disk->image;
	io->blockdev = b->p.disk->is_blockdev;
	io->offset = r->sector * BLKIF_SECTOR_SIZE;
	io->iov = r->iov;
	io->iovcnt = (int)r->nr_segs;
	switch (r->kind) {
	case RK_READ:
		io->op = BLK_IO_READ;
		break;
	case RK_WRITE:
		io->op = BLK_IO_WRITE;
		break;
	case RK_DISCARD:
		io->op = BLK_IO_DISCARD;
		io->len = r->nsect * BLKIF_SECTOR_SIZE;
		break;
	case RK_FENCE:
		if (r->stage == 0 && !r->nr_segs)
			r->stage = 1;
		io->op = r->stage == 0 ? BLK_IO_WRITE : BLK_IO_FLUSH;
		b->fence_active = true;
		break;
	}
	if (!r->started)
		b->started++;
	r->started = true;
	blk_io_queue(b->io, io);
	b->need_submit = true;
}

static void submit(struct blkback *b)
{
	int n;

	if (!b->need_submit)
		return;
	b->need_submit = false;
	n = blk_io_submit(b->io);
	if (n > 0)
		b->st.batches++;
	else if (n < 0)
		blog(b, "I/O submission failed: %s (will retry)", strerror(-n));
}

/* Starts deferred requests as the fences allow, in arrival order. */
static void pump(struct blkback *b)
{
	struct breq *r;

	while ((r = b->defer_head)) {
		if (b->fence_active || (r->fence && b->started))
			break;
		b->defer_head = r->next;
		if (!b->defer_head)
			b->defer_tail = NULL;
		start(b, r);
	}
}

static void run(struct blkback *b, struct breq *r)
{
	if (b->defer_head || b->fence_active || (r->fence && b->started)) {
		r->next = NULL;
		if (b->defer_tail)
			b->defer_tail->next = r;
		else
			b->defer_head = r;
		b->defer_tail = r;
		return;
	}
	start(b, r);
}

/* A valid request starts, or waits for its data in copy mode: in arrival order either way. */
static void admit(struct blkback *b, struct breq *r)
{
	if (b->copy)
		breq_list_add(&b->staged, r);
	else
		run(b, r);
}

static void copy_refuse(struct blkback *b, struct breq *r)
{
	refuse(b, r, BLKIF_RSP_ERROR, &b->st.bad_grant, "segment %u: grant ref %u refused: %s",
	       r->copy_seg, r->segs[r->copy_seg].gref, strerror(-r->copy_err));
}

/* Copy mode, once per kick: every staged write's data in one batch, then they start. */
static void run_staged(struct blkback *b)
{
	struct breq *r = breq_list_take(&b->staged), *next;

	blk_copy_batch(b, r, false);
	for (; r; r = next) {
		next = r->next;
		if (r->copy_err)
			copy_refuse(b, r);
		else
			run(b, r);
	}
}

/* Copy mode, once per reap: every finished read's data to the guest in one batch. */
static void answer_reads(struct blkback *b)
{
	struct breq *r = breq_list_take(&b->reads), *next;

	if (!b->dead)
		blk_copy_batch(b, r, true);
	for (; r; r = next) {
		next = r->next;
		if (!b->dead && r->copy_err) {
			copy_refuse(b, r);
			continue;
		}
		b->st.sectors_read += r->nsect;
		respond(b, r, BLKIF_RSP_OKAY);
	}
}

static void finished(struct blkback *b, struct breq *r, int result)
{
	if (!result && !b->dead && r->kind == RK_FENCE && r->stage == 0) {
		r->stage = 1; /* the fence's data is written: now make it durable */
		start(b, r);
		return;
	}
	b->started--;
	r->started = false;
	if (r->kind == RK_FENCE)
		b->fence_active = false;
	if (result) {
		b->st.io_errors++;
		blog(b, "request id %" PRIu64 " op %u: I/O error: %s", r->id, r->operation,
		     strerror(-result));
		respond(b, r, BLKIF_RSP_ERROR);
		return;
	}
	if (r->to_guest && b->copy) {
		breq_list_add(&b->reads, r); /* answered once its data is copied out */
		return;
	}
	if (r->to_guest)
		b->st.sectors_read += r->nsect;
	else if (r->kind != RK_DISCARD)
		b->st.sectors_written += r->nsect;
	respond(b, r, BLKIF_RSP_OKAY);
}

/* ---- validation: only the local copy of the request is looked at ---- */

/* Checks, maps and turns descs into iovecs; 0 or a refusal already answered (-1). */
static int load_segs(struct blkback *b, struct breq *r, const struct blkif_request_segment *descs,
		     uint32_t n)
{
	uint32_t i;
	void *page;
	int ret;

	r->nsect = 0;
	for (i = 0; i < n; i++) {
		r->segs[i].gref = descs[i].gref;
		r->segs[i].first = descs[i].first_sect;
		r->segs[i].last = descs[i].last_sect;
		if (r->segs[i].first > r->segs[i].last || r->segs[i].last >= BLKIF_SECTS_PER_PAGE) {
			refuse(b, r, BLKIF_RSP_ERROR, &b->st.bad_segments,
			       "segment %u has sectors %u..%u", i, r->segs[i].first,
			       r->segs[i].last);
			return -1;
		}
		r->nsect += (uint32_t)(r->segs[i].last - r->segs[i].first + 1);
	}
	if (n && (r->sector > b->p.disk->sectors || r->nsect > b->p.disk->sectors - r->sector)) {
		refuse(b, r, BLKIF_RSP_ERROR, &b->st.bad_sector_range,
		       "sectors %" PRIu64 "+%" PRIu64 " past the end (%" PRIu64 ")", r->sector,
		       r->nsect, b->p.disk->sectors);
		return -1;
	}
	r->nr_segs = n;
	for (i = 0; i < n; i++) {
		/* Copy mode maps nothing: the grants are checked when the data is copied. */
		ret = b->copy ? 0 : map_seg(b, &r->segs[i], r->to_guest, &page);
		if (ret) {
			refuse(b, r, BLKIF_RSP_ERROR, &b->st.bad_grant,
			       "segment %u: grant ref %u refused: %s", i, r->segs[i].gref,
			       strerror(-ret));
			return -1;
		}
		if (b->copy)
			page = blk_copy_page(b, r, i);
		else
			r->nr_mapped = i + 1;
		r->iov[i].iov_base = (uint8_t *)page + (size_t)r->segs[i].first * BLKIF_SECTOR_SIZE;
		r->iov[i].iov_len =
			(size_t)(r->segs[i].last - r->segs[i].first + 1) * BLKIF_SECTOR_SIZE;
	}
	return 0;
}

static bool refuse_readonly(struct blkback *b, struct breq *r)
{
	if (!b->p.disk->readonly)
		return false;
	refuse(b, r, BLKIF_RSP_ERROR, &b->st.readonly_write, "the disk is read-only");
	return true;
}

static void parse_direct(struct blkback *b, struct breq *r, const struct blkif_request *req)
{
	uint8_t op = req->operation;
	uint32_t n = req->nr_segments;

	r->sector = req->sector_number;
	r->to_guest = op == BLKIF_OP_READ;
	r->fence = op == BLKIF_OP_WRITE_BARRIER || op == BLKIF_OP_FLUSH_DISKCACHE;
	r->kind = op == BLKIF_OP_READ ? RK_READ : op == BLKIF_OP_WRITE ? RK_WRITE : RK_FENCE;
	if (n > BLKIF_MAX_SEGMENTS_PER_REQUEST || (!n && !r->fence)) {
		refuse(b, r, BLKIF_RSP_ERROR, &b->st.bad_segments, "%u segments", n);
		return;
	}
	/* A pure flush writes nothing and is fine on a read-only disk. */
	if ((op == BLKIF_OP_WRITE || op == BLKIF_OP_WRITE_BARRIER || n) && op != BLKIF_OP_READ &&
	    refuse_readonly(b, r))
		return;
	if (load_segs(b, r, req->seg, n))
		return;
	if (op == BLKIF_OP_READ)
		b->st.reads++;
	else if (op == BLKIF_OP_WRITE)
		b->st.writes++;
	else if (op == BLKIF_OP_WRITE_BARRIER)
		b->st.barriers++;
	else
		b->st.flushes++;
	admit(b, r);
}

static void parse_indirect(struct blkback *b, struct breq *r,
			   const struct blkif_request_indirect *req)
{
	struct gnt_copy_op ops[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	struct blkif_request_segment descs[MAX_REQ_SEGS];
	uint32_t n = req->nr_segments, pages, i, len;
	uint8_t op = req->indirect_op;

	r->sector = req->sector_number;
	r->to_guest = op == BLKIF_OP_READ;
	r->kind = r->to_guest ? RK_READ : RK_WRITE;
	if (op != BLKIF_OP_READ && op != BLKIF_OP_WRITE) {
		refuse(b, r, BLKIF_RSP_ERROR, &b->st.bad_segments, "indirect operation %u", op);
		return;
	}
	/* Answered as the read or write it carries: Linux's blkfront fails the disk otherwise. */
	r->operation = op;
	if (!n || n > b->max_segs) {
		refuse(b, r, BLKIF_RSP_ERROR, &b->st.bad_segments, "%u indirect segments", n);
		return;
	}
	if (op == BLKIF_OP_WRITE && refuse_readonly(b, r))
		return;
	/*
	 * The descriptors are copied out once (never mapped, so copy mode reads them
	 * the same way), all pages in one batch; only the copy is checked.
	 */
	pages = (n + BLKIF_SEGS_PER_INDIRECT_FRAME - 1) / BLKIF_SEGS_PER_INDIRECT_FRAME;
	for (i = 0; i < pages; i++) {
		len = n - i * BLKIF_SEGS_PER_INDIRECT_FRAME;
		if (len > BLKIF_SEGS_PER_INDIRECT_FRAME)
			len = BLKIF_SEGS_PER_INDIRECT_FRAME;
		ops[i] = (struct gnt_copy_op){ .ref = req->indirect_grefs[i],
					       .dir = SV_GNT_COPY_FROM_GRANT,
					       .len = len * (uint32_t)sizeof(descs[0]),
					       .buf = &descs[i * BLKIF_SEGS_PER_INDIRECT_FRAME] };
	}
	if (gnt_copy_batch(b->p.mapper, b->p.granter, ops, pages)) {
		for (i = 0; !ops[i].status; i++)
			;
		refuse(b, r, BLKIF_RSP_ERROR, &b->st.bad_grant, "indirect page ref %u refused: %s",
		       ops[i].ref, strerror(-ops[i].status));
		return;
	}
	if (load_segs(b, r, descs, n))
		return;
	b->st.indirect++;
	if (r->to_guest)
		b->st.reads++;
	else
		b->st.writes++;
	admit(b, r);
}

static void parse_discard(struct blkback *b, struct breq *r,
			  const struct blkif_request_discard *req)
{
	r->sector = req->sector_number;
	r->nsect = req->nr_sectors;
	r->kind = RK_DISCARD;
	r->to_guest = false;
	if (refuse_readonly(b, r))
		return;
	if (!b->p.disk->discard || (req->flag & BLKIF_DISCARD_SECURE)) {
		refuse(b, r, BLKIF_RSP_EOPNOTSUPP, &b->st.bad_op, "%sdiscard not offered",
		       req->flag & BLKIF_DISCARD_SECURE ? "secure " : "");
		return;
	}
	if (r->sector > b->p.disk->sectors || r->nsect > b->p.disk->sectors - r->sector) {
		refuse(b, r, BLKIF_RSP_ERROR, &b->st.bad_sector_range,
		       "discard %" PRIu64 "+%" PRIu64 " past the end (%" PRIu64 ")", r->sector,
		       r->nsect, b->p.disk->sectors);
		return;
	}
	b->st.discards++;
	if (!r->nsect) {
		respond(b, r, BLKIF_RSP_OKAY);
		return;
	}
	admit(b, r);
}

static void handle(struct blkback *b, const union blkif_slot *s)
{
	struct breq *r = b->free;

	b->free = r->next;
	b->inflight++;
	b->st.requests++;
	r->id = s->req.id;
	r->operation = s->req.operation;
	r->fence = false;
	r->stage = 0;
	r->started = false;
	r->nr_segs = 0;
	r->nr_mapped = 0;
	r->nsect = 0;
	switch (s->req.operation) {
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
	case BLKIF_OP_WRITE_BARRIER:
	case BLKIF_OP_FLUSH_DISKCACHE:
		parse_direct(b, r, &s->req);
		break;
	case BLKIF_OP_INDIRECT:
		parse_indirect(b, r, &s->indirect);
		break;
	case BLKIF_OP_DISCARD:
		parse_discard(b, r, &s->discard);
		break;
	default:
		refuse(b, r, BLKIF_RSP_EOPNOTSUPP, &b->st.bad_op, "unknown operation");
		break;
	}
}

/* ---- the device ---- */

/* Nothing more is read or written in the ring; I/O in flight just finishes. */
static void stop_ring(struct blkback *b)
{
	struct breq *r, *next;

	b->dead = true;
	while ((r = b->defer_head)) {
		b->defer_head = r->next;
		release(b, r);
	}
	b->defer_tail = NULL;
	/* A ring that broke in the middle of a kick: its staged requests never start. */
	for (r = breq_list_take(&b->staged); r; r = next) {
		next = r->next;
		release(b, r);
	}
}

static void disconnect(struct blkback *b, const char *why)
{
	log_warn("blkback %s: %s: disconnecting", b->name, why);
	stop_ring(b);
}

void blkback_request_stop(struct blkback *b)
{
	__atomic_store_n(&b->stop, true, __ATOMIC_RELEASE);
}

int blkback_kick(struct blkback *b)
{
	uint32_t prod, budget = BLKBACK_KICK_RINGS * b->ring.entries;
	union blkif_slot slot;

	if (b->dead)
		return -EPROTO;
	b->st.notifications_in++;
	fault_slow(b);
	for (;;) {
		/*
		 * A frontend that re-arms as fast as we answer (refused requests are
		 * answered at once) would keep us here forever: after the budget, give
		 * the thread back to its owner, which kicks again once it has looked at
		 * its stop request. req_event is left alone, so nothing is lost.
		 */
		if (stop_requested(b))
			return 0;
		if (!budget) {
			b->st.kick_yields++;
			return BLKBACK_KICK_MORE;
		}
		if (sv_back_req_prod(&b->ring, &prod)) {
			b->st.ring_overflow++;
			disconnect(b, "the request producer jumped more than a ring ahead");
			return -EPROTO;
		}
		while (b->ring.req_cons != prod) {
			if (!b->free) {
				/* Cannot happen while the producer check holds; never trust it. */
				disconnect(b, "more requests in flight than ring slots");
				return -EPROTO;
			}
			if (!budget)
				break;
			memcpy(&slot, sv_back_req(&b->ring, b->ring.req_cons), sizeof(slot));
			b->ring.req_cons++;
			budget--;
			handle(b, &slot);
		}
		if (b->copy)
			run_staged(b);
		submit(b);
		push(b);
		if (b->ring.req_cons != prod)
			continue; /* out of budget: the check at the top yields */
		if (!sv_back_final_check(&b->ring))
			break;
	}
	return 0;
}

int blkback_complete(struct blkback *b)
{
	struct blk_io_req *done[REAP_BATCH];
	int n, i;

	do {
		n = blk_io_reap(b->io, done, REAP_BATCH, false);
		for (i = 0; i < n; i++)
			finished(b, (struct breq *)((uint8_t *)done[i] - offsetof(struct breq, io)),
				 done[i]->result);
	} while (n == REAP_BATCH);
	if (b->copy)
		answer_reads(b);
	if (!b->dead)
		pump(b);
	submit(b);
	push(b);
	return n < 0 ? n : 0;
}

int blkback_io_fd(const struct blkback *b)
{
	return blk_io_fd(b->io);
}

bool blkback_disconnected(const struct blkback *b)
{
	return b->dead;
}

uint32_t blkback_inflight(const struct blkback *b)
{
	return b->inflight;
}

void blkback_get_stats(const struct blkback *b, struct blkback_stats *out)
{
	*out = b->st;
	out->syscalls = b->io ? blk_io_syscalls(b->io) : 0;
}

static int alloc_reqs(struct blkback *b)
{
	uint32_t i;

	b->nr_reqs = b->ring.entries;
	b->reqs = calloc(b->nr_reqs, sizeof(*b->reqs));
	b->seg_pool = calloc((size_t)b->nr_reqs * b->max_segs, sizeof(*b->seg_pool));
	b->iov_pool = calloc((size_t)b->nr_reqs * b->max_segs, sizeof(*b->iov_pool));
	b->pg = b->p.persistent ? calloc(PGRANT_MAX, sizeof(*b->pg)) : NULL;
	if (!b->reqs || !b->seg_pool || !b->iov_pool || (b->p.persistent && !b->pg))
		return -ENOMEM;
	for (i = 0; i < b->nr_reqs; i++) {
		b->reqs[i].segs = &b->seg_pool[(size_t)i * b->max_segs];
		b->reqs[i].iov = &b->iov_pool[(size_t)i * b->max_segs];
		b->reqs[i].next = b->free;
		b->free = &b->reqs[i];
	}
	for (i = 0; i < PGRANT_BUCKETS; i++)
		b->pg_bucket[i] = -1;
	return b->copy ? blk_copy_init(b) : 0;
}

/* Maps every ring page; they must be one run in the granter's RAM to form one ring. */
static int map_ring(struct blkback *b, char *err, size_t errlen, void **ring)
{
	uint32_t i, nr = 1u << b->p.ring_order;
	void *page;
	int ret;

	for (i = 0; i < nr; i++) {
		b->ring_refs[i] = b->p.ring_refs[i];
		ret = gnt_map(b->p.mapper, b->p.granter, b->ring_refs[i], false, &page);
		if (ret) {
			snprintf(err, errlen,
				 "%s: cannot map ring-ref %u (page %u of the ring): %s", b->name,
				 b->ring_refs[i], i, strerror(-ret));
			return ret;
		}
		b->nr_ring_mapped++;
		if (!i)
			*ring = page;
		else if ((uint8_t *)page != (uint8_t *)*ring + (size_t)i * PAGE_SIZE) {
			snprintf(err, errlen,
				 "%s: ring page %u (ref %u) does not follow page %u in the "
				 "frontend's "
				 "memory; a multi-page ring must be contiguous",
				 b->name, i, b->ring_refs[i], i - 1);
			return -EINVAL;
		}
	}
	return 0;
}

static void free_device(struct blkback *b)
{
	uint32_t i;

	blk_pgrant_unmap_all(b);
	for (i = 0; i < b->nr_ring_mapped; i++)
		gnt_unmap(b->p.mapper, b->p.granter, b->ring_refs[i], false);
	blk_copy_free(b);
	free(b->pg);
	free(b->iov_pool);
	free(b->seg_pool);
	free(b->reqs);
	free(b);
}

int blkback_open(struct blkback **out, const struct blkback_params *p, char *err, size_t errlen)
{
	struct blkback *b;
	void *ring = NULL;
	int ret;

	*out = NULL;
	if (!p || !p->granter || !p->mapper || !p->ring_refs || !p->disk ||
	    (p->disk->fd < 0 && !p->disk->image) || p->ring_order > SV_BLKIF_MAX_RING_ORDER) {
		snprintf(err, errlen, "blkback: bad parameters (ring order %u, at most %u)",
			 p ? p->ring_order : 0, SV_BLKIF_MAX_RING_ORDER);
		return -EINVAL;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, errlen, "blkback: out of memory");
		return -ENOMEM;
	}
	b->p = *p;
	b->copy = p->granter->remote != NULL;
	b->p.persistent = p->persistent && !b->copy; /* a copy is never kept: nothing to reuse */
	b->max_segs = b->copy ? BLKBACK_COPY_MAX_SEGS : MAX_REQ_SEGS;
	b->corrupt_seen = fault_get(b, p->faults ? &p->faults->corrupt_ring : NULL);
	snprintf(b->name, sizeof(b->name), "%s", p->name ? p->name : "vbd");
	snprintf(b->tag, sizeof(b->tag), "blkback %s", b->name);
	ret = map_ring(b, err, errlen, &ring);
	if (ret)
		goto out;
	sv_back_ring_init(&b->ring, ring, PAGE_SIZE << p->ring_order, sizeof(union blkif_slot));
	ret = alloc_reqs(b);
	if (ret) {
		snprintf(err, errlen, "%s: out of memory", b->name);
		goto out;
	}
	/* io_uring cannot speak NBD: an image disk's requests go to the threads. */
	ret = blk_io_create(&b->io, p->disk->image ? BLKBACK_IO_THREADS : p->engine, 2 * b->nr_reqs,
			    err, errlen);
	if (ret)
		goto out;
	*out = b;
	return 0;
out:
	free_device(b);
	return ret;
}

void blkback_close(struct blkback *b)
{
	struct blk_io_req *done[REAP_BATCH];
	int n, i;

	if (!b)
		return;
	/* No more ring traffic; what is in flight must finish before its pages are let go. */
	stop_ring(b);
	submit(b);
	while (b->started) {
		n = blk_io_reap(b->io, done, REAP_BATCH, true);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++)
			finished(b, (struct breq *)((uint8_t *)done[i] - offsetof(struct breq, io)),
				 done[i]->result);
	}
	answer_reads(b);
	blk_io_destroy(b->io);
	free_device(b);
}
