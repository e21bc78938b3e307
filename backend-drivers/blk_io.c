// SPDX-License-Identifier: MIT
/*
 * The two I/O engines behind blk_io.h. Both keep the caller's queued requests
 * on a local list until blk_io_submit, so a kick's whole batch reaches the
 * kernel together (one io_uring_submit), and both signal completions on one
 * eventfd that the device's service thread polls.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "blk_image.h"
#include "blk_io.h"

#define BLK_IO_THREADS 4

struct blk_io {
	enum blkback_io_engine kind; /* URING or THREADS once created */
	int efd;
	uint32_t inflight; /* queued and not yet reaped; owner thread only */
	struct blk_io_req *qhead, *qtail;

	struct io_uring ring;
	bool ring_ok;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct blk_io_req *work_head, *work_tail;
	struct blk_io_req *done_head, *done_tail;
	bool stop;
	pthread_t thr[BLK_IO_THREADS];
	int nthr;
	/*
	 * System calls made for the device: the owner thread's and, with the
	 * pool, the workers' (a relaxed add each; the condition variable's futex
	 * calls are not counted). Read with blk_io_syscalls.
	 */
	uint64_t syscalls;
};

static void count_calls(struct blk_io *io, uint64_t n)
{
	__atomic_fetch_add(&io->syscalls, n, __ATOMIC_RELAXED);
}

static void list_append(struct blk_io_req **head, struct blk_io_req **tail, struct blk_io_req *r)
{
	r->next = NULL;
	if (*tail)
		(*tail)->next = r;
	else
		*head = r;
	*tail = r;
}

static struct blk_io_req *list_pop(struct blk_io_req **head, struct blk_io_req **tail)
{
	struct blk_io_req *r = *head;

	if (r) {
		*head = r->next;
		if (!*head)
			*tail = NULL;
		r->next = NULL;
	}
	return r;
}

static void efd_signal(struct blk_io *io)
{
	uint64_t one = 1;

	count_calls(io, 1);
	/* Only fails when the counter would overflow, and then it is readable anyway. */
	if (write(io->efd, &one, sizeof(one)) < 0)
		return;
}

static void efd_drain(struct blk_io *io)
{
	uint64_t v;

	count_calls(io, 1);
	if (read(io->efd, &v, sizeof(v)) < 0)
		return; /* EAGAIN: nothing signalled */
}

/* Skips n transferred bytes: a short transfer continues where it stopped. */
static void iov_advance(struct blk_io_req *r, uint64_t n)
{
	r->done_bytes += n;
	r->offset += n;
	while (n && r->iovcnt) {
		if (n >= r->iov[0].iov_len) {
			n -= r->iov[0].iov_len;
			r->iov++;
			r->iovcnt--;
		} else {
			r->iov[0].iov_base = (uint8_t *)r->iov[0].iov_base + n;
			r->iov[0].iov_len -= n;
			n = 0;
		}
	}
	/* Skip empty iovecs so that "nothing left" is simply iovcnt == 0. */
	while (r->iovcnt && !r->iov[0].iov_len) {
		r->iov++;
		r->iovcnt--;
	}
}

static int do_discard(struct blk_io_req *r)
{
	if (r->blockdev) {
		uint64_t range[2] = { r->offset, r->len };

		return ioctl(r->fd, BLKDISCARD, range) ? -errno : 0;
	}
	return fallocate(r->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)r->offset,
			 (off_t)r->len)
		       ? -errno
		       : 0;
}

/*
 * An image disk: one NBD command per request. The segments (guest pages) go
 * through one bounce buffer: a copy is far cheaper than a round trip to the
 * daemon per page.
 */
static int image_rw(struct blk_io_req *r)
{
	size_t total = 0, off = 0;
	uint8_t *buf;
	int i, ret;

	for (i = 0; i < r->iovcnt; i++)
		total += r->iov[i].iov_len;
	if (r->iovcnt == 1)
		buf = r->iov[0].iov_base;
	else if (!(buf = malloc(total)))
		return -ENOMEM;
	if (r->op == BLK_IO_WRITE && r->iovcnt > 1)
		for (i = 0; i < r->iovcnt; off += r->iov[i].iov_len, i++)
			memcpy(buf + off, r->iov[i].iov_base, r->iov[i].iov_len);
	if (r->op == BLK_IO_READ)
		ret = blk_image_pread(r->image, buf, total, r->offset);
	else
		ret = blk_image_pwrite(r->image, buf, total, r->offset);
	if (!ret && r->op == BLK_IO_READ && r->iovcnt > 1)
		for (i = 0, off = 0; i < r->iovcnt; off += r->iov[i].iov_len, i++)
			memcpy(r->iov[i].iov_base, buf + off, r->iov[i].iov_len);
	if (buf != r->iov[0].iov_base)
		free(buf);
	if (!ret)
		r->done_bytes += total;
	return ret;
}

static int do_image(struct blk_io_req *r)
{
	switch (r->op) {
	case BLK_IO_READ:
	case BLK_IO_WRITE:
		return r->iovcnt ? image_rw(r) : 0;
	case BLK_IO_FLUSH:
		return blk_image_flush(r->image);
	case BLK_IO_DISCARD:
		return blk_image_discard(r->image, r->len, r->offset);
	}
	return -EINVAL;
}

/*
 * The thread pool's whole job: the request, synchronously, to the end. An
 * image's request counts as one call: libnbd's own socket calls are not seen.
 */
static int do_sync(struct blk_io *io, struct blk_io_req *r)
{
	ssize_t n;

	count_calls(io, 1);
	if (r->image)
		return do_image(r);

	switch (r->op) {
	case BLK_IO_READ:
	case BLK_IO_WRITE:
		while (r->iovcnt) {
			if (r->op == BLK_IO_READ)
				n = preadv(r->fd, r->iov, r->iovcnt, (off_t)r->offset);
			else
				n = pwritev(r->fd, r->iov, r->iovcnt, (off_t)r->offset);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -errno;
			if (n == 0)
				return -EIO; /* the file shrank under us */
			iov_advance(r, (uint64_t)n);
			if (r->iovcnt)
				count_calls(io, 1); /* short: another call for the rest */
		}
		return 0;
	case BLK_IO_FLUSH:
		return (r->blockdev ? fsync(r->fd) : fdatasync(r->fd)) ? -errno : 0;
	case BLK_IO_DISCARD:
		return do_discard(r);
	}
	return -EINVAL;
}

static void *worker(void *arg)
{
	struct blk_io *io = arg;
	struct blk_io_req *r;

	pthread_mutex_lock(&io->lock);
	for (;;) {
		while (!io->stop && !io->work_head)
			pthread_cond_wait(&io->cond, &io->lock);
		if (io->stop)
			break;
		r = list_pop(&io->work_head, &io->work_tail);
		pthread_mutex_unlock(&io->lock);
		r->result = do_sync(io, r);
		pthread_mutex_lock(&io->lock);
		list_append(&io->done_head, &io->done_tail, r);
		efd_signal(io);
	}
	pthread_mutex_unlock(&io->lock);
	return NULL;
}

static int threads_start(struct blk_io *io, char *err, size_t errlen)
{
	int ret;

	pthread_mutex_init(&io->lock, NULL);
	pthread_cond_init(&io->cond, NULL);
	for (io->nthr = 0; io->nthr < BLK_IO_THREADS; io->nthr++) {
		ret = pthread_create(&io->thr[io->nthr], NULL, worker, io);
		if (ret) {
			snprintf(err, errlen, "cannot start I/O threads: %s", strerror(ret));
			return -ret;
		}
	}
	return 0;
}

static void threads_stop(struct blk_io *io)
{
	int i;

	pthread_mutex_lock(&io->lock);
	io->stop = true;
	pthread_cond_broadcast(&io->cond);
	pthread_mutex_unlock(&io->lock);
	for (i = 0; i < io->nthr; i++)
		pthread_join(io->thr[i], NULL);
	pthread_cond_destroy(&io->cond);
	pthread_mutex_destroy(&io->lock);
}

static int uring_start(struct blk_io *io, uint32_t depth, char *err, size_t errlen)
{
	uint32_t entries = 8;
	int ret;

	while (entries < depth)
		entries *= 2;
	ret = io_uring_queue_init(entries, &io->ring, 0);
	if (ret) {
		snprintf(err, errlen, "io_uring_queue_init: %s", strerror(-ret));
		return ret;
	}
	io->ring_ok = true;
	ret = io_uring_register_eventfd(&io->ring, io->efd);
	if (ret) {
		snprintf(err, errlen, "io_uring_register_eventfd: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

int blk_io_create(struct blk_io **out, enum blkback_io_engine engine, uint32_t depth, char *err,
		  size_t errlen)
{
	struct blk_io *io = calloc(1, sizeof(*io));
	int ret;

	*out = NULL;
	if (!io) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	io->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (io->efd < 0) {
		ret = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		free(io);
		return ret;
	}
	if (engine == BLKBACK_IO_AUTO || engine == BLKBACK_IO_URING) {
		io->kind = BLKBACK_IO_URING;
		ret = uring_start(io, depth, err, errlen);
		if (!ret)
			goto out;
		if (io->ring_ok)
			io_uring_queue_exit(&io->ring);
		io->ring_ok = false;
		if (engine == BLKBACK_IO_URING)
			goto fail;
		/* AUTO: io_uring may be disabled by seccomp or sysctl; threads always work. */
	}
	io->kind = BLKBACK_IO_THREADS;
	ret = threads_start(io, err, errlen);
	if (ret) {
		threads_stop(io);
		goto fail;
	}
out:
	*out = io;
	return 0;
fail:
	close(io->efd);
	free(io);
	return ret;
}

const char *blk_io_engine_name(const struct blk_io *io)
{
	return io->kind == BLKBACK_IO_URING ? "io_uring" : "threads";
}

int blk_io_fd(const struct blk_io *io)
{
	return io->efd;
}

uint32_t blk_io_inflight(const struct blk_io *io)
{
	return io->inflight;
}

uint64_t blk_io_syscalls(const struct blk_io *io)
{
	return __atomic_load_n(&io->syscalls, __ATOMIC_RELAXED);
}

void blk_io_queue(struct blk_io *io, struct blk_io_req *r)
{
	r->result = 0;
	r->done_bytes = 0;
	r->sync_done = false;
	io->inflight++;
	list_append(&io->qhead, &io->qtail, r);
}

/* Fills one SQE for r; false when the submission queue is full. */
static bool uring_prep(struct blk_io *io, struct blk_io_req *r)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&io->ring);

	if (!sqe)
		return false;
	switch (r->op) {
	case BLK_IO_READ:
		io_uring_prep_readv(sqe, r->fd, r->iov, (unsigned int)r->iovcnt, r->offset);
		break;
	case BLK_IO_WRITE:
		io_uring_prep_writev(sqe, r->fd, r->iov, (unsigned int)r->iovcnt, r->offset);
		break;
	case BLK_IO_FLUSH:
		io_uring_prep_fsync(sqe, r->fd, r->blockdev ? 0 : IORING_FSYNC_DATASYNC);
		break;
	case BLK_IO_DISCARD:
		if (r->blockdev) {
			/* io_uring has no portable discard: do it now, complete through a NOP. */
			count_calls(io, 1);
			r->result = do_discard(r);
			r->sync_done = true;
			io_uring_prep_nop(sqe);
		} else {
			io_uring_prep_fallocate(sqe, r->fd,
						FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
						r->offset, r->len);
		}
		break;
	}
	io_uring_sqe_set_data(sqe, r);
	return true;
}

static int uring_submit(struct blk_io *io)
{
	struct blk_io_req *r;
	int n = 0, ret;

	while ((r = io->qhead)) {
		if (!uring_prep(io, r)) {
			/* Full (depth was too small for a burst): push what we have, go on. */
			count_calls(io, 1);
			ret = io_uring_submit(&io->ring);
			if (ret < 0)
				return ret;
			continue;
		}
		list_pop(&io->qhead, &io->qtail);
		n++;
	}
	if (n) {
		/* Without SQPOLL liburing enters the kernel once per submit that has work. */
		do {
			count_calls(io, 1);
			ret = io_uring_submit(&io->ring);
		} while (ret == -EINTR);
		if (ret < 0)
			return ret;
	}
	return n;
}

int blk_io_submit(struct blk_io *io)
{
	struct blk_io_req *r;
	int n = 0;

	if (!io->qhead)
		return 0;
	if (io->kind == BLKBACK_IO_URING)
		return uring_submit(io);
	pthread_mutex_lock(&io->lock);
	while ((r = list_pop(&io->qhead, &io->qtail))) {
		list_append(&io->work_head, &io->work_tail, r);
		n++;
	}
	pthread_cond_broadcast(&io->cond);
	pthread_mutex_unlock(&io->lock);
	return n;
}

/* One CQE: finished (true), or requeued for the rest of a short transfer. */
static bool uring_finish(struct blk_io *io, struct blk_io_req *r, int res)
{
	if (r->sync_done)
		return true; /* result set when it was prepared */
	if (res < 0) {
		r->result = res;
		return true;
	}
	if (r->op != BLK_IO_READ && r->op != BLK_IO_WRITE)
		return true;
	if (res == 0 && r->iovcnt) {
		r->result = -EIO;
		return true;
	}
	iov_advance(r, (uint64_t)res);
	if (!r->iovcnt)
		return true;
	list_append(&io->qhead, &io->qtail, r);
	return false;
}

static int uring_reap(struct blk_io *io, struct blk_io_req **done, int max)
{
	struct io_uring_cqe *cqe;
	struct blk_io_req *r;
	int n = 0;

	while (n < max && !io_uring_peek_cqe(&io->ring, &cqe)) {
		r = io_uring_cqe_get_data(cqe);
		if (uring_finish(io, r, cqe->res))
			done[n++] = r;
		io_uring_cqe_seen(&io->ring, cqe);
	}
	if (io->qhead)
		uring_submit(io); /* the rest of short transfers */
	if (io_uring_cq_ready(&io->ring))
		efd_signal(io); /* more than max: make sure we are called again */
	return n;
}

static int threads_reap(struct blk_io *io, struct blk_io_req **done, int max)
{
	struct blk_io_req *r;
	int n = 0;

	pthread_mutex_lock(&io->lock);
	while (n < max && (r = list_pop(&io->done_head, &io->done_tail)))
		done[n++] = r;
	if (io->done_head)
		efd_signal(io);
	pthread_mutex_unlock(&io->lock);
	return n;
}

int blk_io_reap(struct blk_io *io, struct blk_io_req **done, int max, bool wait)
{
	struct pollfd pfd = { .fd = io->efd, .events = POLLIN };
	int n;

	for (;;) {
		/* Drain first: anything finishing after this raises the eventfd again. */
		efd_drain(io);
		if (io->kind == BLKBACK_IO_URING)
			n = uring_reap(io, done, max);
		else
			n = threads_reap(io, done, max);
		io->inflight -= (uint32_t)n;
		if (n || !wait || !io->inflight)
			return n;
		if (io->qhead)
			blk_io_submit(io);
		count_calls(io, 1);
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return -errno;
	}
}

void blk_io_destroy(struct blk_io *io)
{
	struct blk_io_req *done[64];

	if (!io)
		return;
	blk_io_submit(io);
	while (io->inflight && blk_io_reap(io, done, 64, true) >= 0)
		;
	if (io->kind == BLKBACK_IO_URING)
		io_uring_queue_exit(&io->ring);
	else
		threads_stop(io);
	close(io->efd);
	free(io);
}
