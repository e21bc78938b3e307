// SPDX-License-Identifier: MIT
/*
 * The xenbus half of the block backend (blkback_xenbus.h). xenstore work runs
 * on the host's loop (watch callbacks); the device thread only moves requests
 * and I/O.
 *
 * The handshake follows Xen: the toolstack writes both directories in state
 * Initialising; we open the disk, publish sectors and features and go
 * InitWait; the frontend publishes its ring and port and goes Initialised; we
 * map, bind and go Connected. A frontend going Closing/Closed takes us down
 * the same way; one coming back as Initialising finds us in InitWait again.
 *
 * A host that may not map guest RAM (a driver domain: env->grant_remote set)
 * gets copy mode (blkback.h): every grant goes through env->grant_remote, the
 * ring is one page, no persistent grants, indirect requests of at most
 * BLKBACK_COPY_MAX_SEGS segments; the features say so.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <splitvisor/blkif.h>
#include <splitvisor/control.h>
#include <splitvisor/event_channel.h>
#include <splitvisor/start_info.h>
#include <splitvisor/xenbus.h>
#include <splitvisor/xs_wire.h>

#include "backend_port.h"
#include "blk_image.h"
#include "blkback_xenbus.h"
#include "xenbus_back.h"
#include "log.h"

/*
 * One connection to a frontend: what connect takes and the thread that serves
 * it. Stopping never waits on the loop: disconnect asks the thread to stop and
 * moves on; the thread lets go of the ring and the grants (waiting for its I/O
 * in flight), then says so through done_fd, and the loop frees the rest there.
 * Until then the device is busy (xenbus_back_ops.busy): xenbus_back writes
 * neither Closed nor InitWait nor connects again, so the frontend never reuses
 * pages the backend still touches.
 */
struct blkdev_conn {
	struct blkback_dev *dev;
	struct gnt_granter granter;
	struct gnt_mapper mapper;
	bool mapper_ready;
	struct backend_port port;
	int epfd; /* the thread's: made on the loop, so a failure is reported there */
	int stop_fd;
	int done_fd; /* the thread failed, or finished stopping: the loop looks */
	bool done_watched;
	struct blkback *bb;
	pthread_t thread;
	bool thread_started;
	bool failed, finished;	  /* set by the thread before it writes done_fd (atomics) */
	uint64_t syscalls;	  /* the thread's own: epoll_wait, notify reads (relaxed stores) */
	struct blkdev_conn *next; /* among the device's stopping ones */
};

struct blkback_dev {
	struct xenbus_back xb;
	char dev[16];
	char *source;
	char format[16]; /* "raw" or a format QEMU serves (blk_image.h) */
	enum blk_cache_mode cache;
	bool readonly;
	bool copy; /* the host gives grants remotely, never guest RAM */
	struct blk_disk disk;
	bool disk_open;
	uint32_t ring_order;
	struct blkdev_conn *conn;     /* while connected */
	struct blkdev_conn *stopping; /* connections whose thread has not finished yet */
	bool free_pending;	      /* blkback_dev_free came while one was stopping */
};

static enum blk_cache_mode blkdev_cache_mode(const char *s)
{
	static const struct {
		const char *name;
		enum blk_cache_mode mode;
	} modes[] = {
		{ "none", BLK_CACHE_NONE },	      { "writethrough", BLK_CACHE_WRITETHROUGH },
		{ "writeback", BLK_CACHE_WRITEBACK }, { "directsync", BLK_CACHE_DIRECTSYNC },
		{ "unsafe", BLK_CACHE_UNSAFE },
	};

	for (size_t i = 0; s && i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(s, modes[i].name))
			return modes[i].mode;
	return BLK_CACHE_DEFAULT;
}

static void blkdev_notify(void *opaque)
{
	struct blkdev_conn *c = opaque;

	if (backend_port_raise(&c->port))
		log_err("vbd %u/%u: cannot raise port %u", c->dev->xb.domid, c->dev->xb.devid,
			c->port.port);
}

static void blkdev_thread_signal(struct blkdev_conn *c, bool *flag)
{
	uint64_t one = 1;

	__atomic_store_n(flag, true, __ATOMIC_RELEASE);
	if (write(c->done_fd, &one, sizeof(one)) < 0)
		log_err("vbd %u/%u: cannot tell the loop", c->dev->xb.domid, c->dev->xb.devid);
}

/* Blocks until the loop asks this thread to stop. */
static void blkdev_thread_wait_stop(struct blkdev_conn *c)
{
	struct pollfd pfd = { .fd = c->stop_fd, .events = POLLIN };

	while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
		;
}

/* Only the device thread writes it: a relaxed load and store, no locked add. */
static void blkdev_count(struct blkdev_conn *c)
{
	__atomic_store_n(&c->syscalls, __atomic_load_n(&c->syscalls, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
}

static void *blkdev_thread(void *arg)
{
	struct blkdev_conn *c = arg;
	struct epoll_event evs[4];
	bool more, stop = false;
	uint64_t cnt;
	int n, i, ret;

	/* Requests may have been queued before we listened. */
	ret = blkback_kick(c->bb);
	more = ret == BLKBACK_KICK_MORE;
	while (ret != -EPROTO) {
		/* A kick that yielded is taken up again once the other fds had their turn. */
		blkdev_count(c);
		n = epoll_wait(c->epfd, evs, 4, more ? 0 : -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_err("vbd %u/%u: the device thread stops: epoll_wait: %s",
				c->dev->xb.domid, c->dev->xb.devid, strerror(errno));
			break;
		}
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd == c->stop_fd) {
				stop = true;
			} else if (evs[i].data.fd == c->port.notify_fd) {
				do
					blkdev_count(c);
				while (read(c->port.notify_fd, &cnt, sizeof(cnt)) == sizeof(cnt));
				more = true;
			} else {
				blkback_complete(c->bb);
			}
		}
		if (stop)
			goto out;
		if (more) {
			/* A frontend that broke its ring loses the device, visibly. */
			ret = blkback_kick(c->bb);
			more = ret == BLKBACK_KICK_MORE;
		}
	}
	/* The thread cannot go on: the loop takes the device down and then stops us. */
	blkdev_thread_signal(c, &c->failed);
	blkdev_thread_wait_stop(c);
out:
	/* Waits for the I/O in flight and lets go of the ring and every grant. */
	blkback_close(c->bb);
	c->bb = NULL;
	blkdev_thread_signal(c, &c->finished);
	return NULL;
}

/* Frees what the loop owns of a connection whose thread has finished or never ran. */
static void blkdev_conn_free(struct blkdev_conn *c)
{
	struct backend_env *env = c->dev->xb.env;

	if (c->thread_started)
		pthread_join(c->thread, NULL); /* it has returned, or is returning */
	if (c->bb)
		blkback_close(c->bb); /* never served: nothing in flight */
	if (c->mapper_ready) {
		gnt_unmap_all(&c->mapper);
		gnt_mapper_destroy(&c->mapper);
	}
	backend_port_close(env, &c->port, true);
	if (c->done_watched)
		env->ops->fd_del(env, c->done_fd);
	if (c->done_fd >= 0)
		close(c->done_fd);
	if (c->stop_fd >= 0)
		close(c->stop_fd);
	if (c->epfd >= 0)
		close(c->epfd);
	if (c->granter.ram)
		env->ops->unmap_guest(env, c->granter.ram, c->granter.ram_size);
	free(c);
}

static void blkdev_free_now(struct blkback_dev *d)
{
	if (d->disk_open)
		blk_disk_close(&d->disk);
	free(d->source);
	free(d);
}

/* Asks the thread to stop and returns: blkdev_conn_done finishes on the loop. */
static void blkdev_disconnect(struct blkback_dev *d)
{
	struct blkdev_conn *c = d->conn;
	uint64_t one = 1;

	if (!c)
		return;
	d->conn = NULL;
	if (!c->thread_started) {
		blkdev_conn_free(c);
		return;
	}
	blkback_request_stop(c->bb);
	if (write(c->stop_fd, &one, sizeof(one)) < 0)
		log_err("vbd %u/%u: cannot stop its thread", d->xb.domid, d->xb.devid);
	c->next = d->stopping;
	d->stopping = c;
}

static void blkdev_unlist(struct blkback_dev *d, struct blkdev_conn *c)
{
	struct blkdev_conn **pp;

	for (pp = &d->stopping; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			return;
		}
	}
}

static void blkdev_conn_done(void *arg)
{
	struct blkdev_conn *c = arg;
	struct blkback_dev *d = c->dev;
	uint64_t cnt;

	while (read(c->done_fd, &cnt, sizeof(cnt)) == sizeof(cnt))
		;
	if (!__atomic_load_n(&c->finished, __ATOMIC_ACQUIRE)) {
		if (__atomic_load_n(&c->failed, __ATOMIC_ACQUIRE) && d->conn == c) {
			blkdev_disconnect(d);
			d->xb.connected = false;
			xenbus_back_fatal(&d->xb,
					  "the device thread failed (see the backend's log)");
		}
		return;
	}
	blkdev_unlist(d, c);
	blkdev_conn_free(c);
	if (d->stopping)
		return;
	if (d->free_pending)
		blkdev_free_now(d);
	else
		xenbus_back_settled(&d->xb);
}

/* The frontend's ring-ref key(s) and ring-page-order. */
static int blkdev_read_ring(struct blkback_dev *d, uint32_t *refs, char *err, size_t errlen)
{
	char key[32], buf[32];
	uint32_t i, n;
	/* Remote maps are separate pages: a copy-mode ring is one, as published. */
	uint32_t max_order = d->copy ? 0 : SV_BLKIF_MAX_RING_ORDER;
	bool multi;
	int ret;

	d->ring_order = 0;
	ret = backend_xs_read_u32(d->xb.env, d->xb.fe, BLKIF_KEY_RING_PAGE_ORDER, max_order,
				  &d->ring_order);
	multi = ret == 0;
	if (ret && ret != -ENOENT) {
		backend_xs_read(d->xb.env, d->xb.fe, BLKIF_KEY_RING_PAGE_ORDER, buf, sizeof(buf));
		snprintf(err, errlen, "ring-page-order '%s' is not 0..%u", buf, max_order);
		return -EINVAL;
	}
	n = 1u << d->ring_order;
	for (i = 0; i < n; i++) {
		if (multi)
			snprintf(key, sizeof(key), "%s%u", BLKIF_KEY_RING_REF, i);
		else
			snprintf(key, sizeof(key), "%s", BLKIF_KEY_RING_REF);
		ret = backend_xs_read_u32(d->xb.env, d->xb.fe, key, UINT32_MAX, &refs[i]);
		if (ret == -ENOENT) {
			snprintf(err, errlen, "frontend has no %s", key);
			return ret;
		}
		if (ret) {
			backend_xs_read(d->xb.env, d->xb.fe, key, buf, sizeof(buf));
			snprintf(err, errlen, "%s '%s' is not a grant reference", key, buf);
			return -EINVAL;
		}
	}
	return 0;
}

static int blkdev_connect(struct blkback_dev *d, char *err, size_t errlen)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct backend_env *env = d->xb.env;
	uint32_t refs[SV_BLKIF_MAX_RING_PAGES], port;
	struct sv_ctl_domid id = { .domid = d->xb.domid };
	struct sv_ctl_gnttab_reply gr;
	struct blkback_params p = { 0 };
	char buf[64], name[48];
	struct blkdev_conn *c;
	void *ram = NULL;
	int ret;

	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->dev = d;
	c->epfd = c->stop_fd = c->done_fd = -1;
	backend_port_init(&c->port);
	d->conn = c; /* from here on, a failure's disconnect frees it */
	ret = blkdev_read_ring(d, refs, err, errlen);
	if (ret)
		goto out;
	ret = backend_xs_read_u32(env, d->xb.fe, BLKIF_KEY_EVENT_CHANNEL, SV_EVTCHN_NR_PORTS - 1,
				  &port);
	if (ret == -ENOENT) {
		snprintf(err, errlen, "frontend has no event-channel");
		goto out;
	}
	if (ret || !port) {
		backend_xs_read(env, d->xb.fe, BLKIF_KEY_EVENT_CHANNEL, buf, sizeof(buf));
		snprintf(err, errlen, "event-channel '%s' is not a port", buf);
		ret = -EINVAL;
		goto out;
	}
	if (backend_xs_read(env, d->xb.fe, BLKIF_KEY_PROTOCOL, buf, sizeof(buf)) >= 0 &&
	    strcmp(buf, BLKIF_PROTOCOL_NATIVE)) {
		ret = -EPROTONOSUPPORT;
		snprintf(err, errlen, "protocol '%s' is not %s", buf, BLKIF_PROTOCOL_NATIVE);
		goto out;
	}
	/* Not offered in copy mode: a frontend asking anyway gets copies. */
	p.persistent = !d->copy &&
		       backend_xs_read(env, d->xb.fe, BLKIF_KEY_FEATURE_PERSISTENT, buf,
				       sizeof(buf)) >= 0 &&
		       !strcmp(buf, "1");
	c->granter = (struct gnt_granter){ .domid = (uint16_t)d->xb.domid };
	if (d->copy) {
		/* The core checks every grant itself: we learn nothing of the table. */
		c->granter.remote = env->grant_remote;
		c->granter.remote_ctx = env->grant_remote_ctx;
	} else {
		ret = env->ops->map_guest(env, d->xb.domid, 0, &ram, &c->granter.ram_size, err,
					  errlen);
		if (ret)
			goto out;
		c->granter.ram = ram;
		ret = env->ops->core_call(env, SV_CTL_GNTTAB, &id, sizeof(id), &gr, sizeof(gr),
					  NULL, 0, err, errlen);
		if (ret)
			goto out;
		c->granter.table_gpa = gr.table_gpa;
		c->granter.nr_frames = gr.nr_frames;
	}
	ret = gnt_mapper_init(&c->mapper, env->domid, 4096);
	if (ret) {
		snprintf(err, errlen, "cannot set up grant mapping: %s", strerror(-ret));
		goto out;
	}
	c->mapper_ready = true;
	/* Without the guest's RAM the port is raised through the core (shinfo NULL). */
	ret = backend_port_bind(
		env, SV_CTL_EVTCHN_BIND, d->xb.domid, port,
		d->copy ? NULL : (struct sv_shared_info *)(c->granter.ram + SV_SHARED_INFO_GPA),
		&c->port, err, errlen);
	if (ret)
		goto out;
	c->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (c->stop_fd < 0 || c->done_fd < 0 || c->epfd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot make the device thread's fds: %s", strerror(-ret));
		goto out;
	}
	snprintf(name, sizeof(name), "vbd %u/%u", d->xb.domid, d->xb.devid);
	p.granter = &c->granter;
	p.mapper = &c->mapper;
	p.ring_refs = refs;
	p.ring_order = d->ring_order;
	p.disk = &d->disk;
	p.engine = BLKBACK_IO_AUTO;
	p.notify = blkdev_notify;
	p.opaque = c;
	p.name = name;
	p.faults = env->faults;
	ret = blkback_open(&c->bb, &p, err, errlen);
	if (ret)
		goto out;
	ev.data.fd = c->port.notify_fd;
	ret = epoll_ctl(c->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
	ev.data.fd = blkback_io_fd(c->bb);
	if (!ret)
		ret = epoll_ctl(c->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
	ev.data.fd = c->stop_fd;
	if (!ret)
		ret = epoll_ctl(c->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
	if (ret) {
		ret = -errno;
		snprintf(err, errlen, "cannot watch the device's fds: %s", strerror(-ret));
		goto out;
	}
	ret = env->ops->fd_add(env, c->done_fd, blkdev_conn_done, c);
	if (ret) {
		snprintf(err, errlen, "cannot watch the device thread: %s", strerror(-ret));
		goto out;
	}
	c->done_watched = true;
	ret = -pthread_create(&c->thread, NULL, blkdev_thread, c);
	if (ret) {
		snprintf(err, errlen, "cannot start the device thread: %s", strerror(-ret));
		goto out;
	}
	c->thread_started = true;
out:
	if (ret)
		blkdev_disconnect(d);
	return ret;
}

/* Sectors, features and InitWait: what Xen's blkback writes once the disk is open. */
static int blkdev_publish(struct blkback_dev *d)
{
	struct backend_env *env = d->xb.env;
	int ret;

	ret = backend_xs_printf(env, d->xb.be, BLKIF_KEY_MODE, "%s", d->readonly ? "r" : "w");
	if (ret >= 0)
		ret = backend_xs_printf(env, d->xb.be, BLKIF_KEY_SECTORS, "%llu",
					(unsigned long long)d->disk.sectors);
	if (ret >= 0)
		ret = backend_xs_printf(env, d->xb.be, BLKIF_KEY_SECTOR_SIZE, "%u",
					d->disk.sector_size);
	if (ret >= 0)
		ret = backend_xs_printf(env, d->xb.be, BLKIF_KEY_INFO, "%u",
					d->readonly ? VDISK_READONLY : 0);
	if (ret >= 0)
		ret = backend_xs_printf(env, d->xb.be, BLKIF_KEY_FEATURE_FLUSH, "1");
	if (ret >= 0)
		ret = backend_xs_printf(env, d->xb.be, BLKIF_KEY_FEATURE_BARRIER, "1");
	if (ret >= 0)
		ret = backend_xs_printf(env, d->xb.be, BLKIF_KEY_FEATURE_DISCARD, "%d",
					d->disk.discard && !d->readonly);
	/* Copy mode keeps nothing mapped, has one-page rings and smaller requests. */
	if (ret >= 0 && !d->copy)
		ret = backend_xs_printf(env, d->xb.be, BLKIF_KEY_FEATURE_PERSISTENT, "1");
	if (ret >= 0)
		ret = backend_xs_printf(env, d->xb.be, BLKIF_KEY_FEATURE_INDIRECT, "%u",
					d->copy ? BLKBACK_COPY_MAX_SEGS
						: SV_BLKIF_MAX_INDIRECT_SEGMENTS);
	if (ret >= 0)
		ret = backend_xs_printf(env, d->xb.be, BLKIF_KEY_MAX_RING_ORDER, "%u",
					d->copy ? 0 : SV_BLKIF_MAX_RING_ORDER);
	return ret < 0 ? ret : 0;
}

/* What the toolstack wrote: checked like any input, a driver domain trusts it no more. */
static int blkdev_read_config(struct blkback_dev *d, char *err, size_t errlen)
{
	char buf[XS_PAYLOAD_MAX + 1];
	int ret;

	if (!d->xb.devid) {
		snprintf(err, errlen, "%s: 0 is not a block device id", d->xb.be);
		return -EINVAL;
	}
	ret = backend_xs_read(d->xb.env, d->xb.be, "params", buf, sizeof(buf));
	if (ret <= 0 || buf[0] != '/') {
		snprintf(err, errlen, "disk source '%s' must be an absolute path",
			 ret > 0 ? buf : "");
		return -EINVAL;
	}
	d->source = strdup(buf);
	if (!d->source)
		return -ENOMEM;
	if (backend_xs_read(d->xb.env, d->xb.be, "dev", d->dev, sizeof(d->dev)) <= 0)
		snprintf(d->dev, sizeof(d->dev), "%u", d->xb.devid);
	ret = backend_xs_read(d->xb.env, d->xb.be, BLKIF_KEY_MODE, buf, sizeof(buf));
	d->readonly = ret > 0 && !strcmp(buf, "r");
	ret = backend_xs_read(d->xb.env, d->xb.be, BLKBACK_KEY_CACHE, buf, sizeof(buf));
	d->cache = blkdev_cache_mode(ret > 0 ? buf : NULL);
	ret = backend_xs_read(d->xb.env, d->xb.be, BLKBACK_KEY_FORMAT, buf, sizeof(buf));
	if (ret <= 0)
		snprintf(buf, sizeof(buf), "raw");
	if ((strcmp(buf, "raw") && !blk_image_format_known(buf)) ||
	    snprintf(d->format, sizeof(d->format), "%s", buf) >= (int)sizeof(d->format)) {
		snprintf(err, errlen, "disk %s: unknown format '%.32s'", d->dev, buf);
		return -EINVAL;
	}
	return 0;
}

static int blkdev_xb_connect(struct xenbus_back *xb, char *err, size_t errlen)
{
	return blkdev_connect(xb->priv, err, errlen);
}

static void blkdev_xb_disconnect(struct xenbus_back *xb)
{
	blkdev_disconnect(xb->priv);
}

static bool blkdev_xb_busy(const struct xenbus_back *xb)
{
	return ((const struct blkback_dev *)xb->priv)->stopping != NULL;
}

static const struct xenbus_back_ops blkdev_xb_ops = {
	.connect = blkdev_xb_connect,
	.disconnect = blkdev_xb_disconnect,
	.busy = blkdev_xb_busy,
};

int blkback_dev_probe(struct backend_env *env, const char *be_path, struct blkback_dev **out,
		      char *err, size_t errlen)
{
	struct blkback_dev *d;
	int ret;

	*out = NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->copy = env->grant_remote != NULL;
	ret = xenbus_back_init(&d->xb, env, "vbd", be_path, &blkdev_xb_ops, d, err, errlen);
	if (!ret)
		ret = blkdev_read_config(d, err, errlen);
	if (ret)
		goto out;
	ret = blk_disk_open_format(&d->disk, env, be_path, d->source, d->format, d->cache,
				   d->readonly, err, errlen);
	if (ret)
		goto out;
	d->disk_open = true;
	d->readonly = d->disk.readonly;
	ret = blkdev_publish(d);
	if (!ret)
		ret = xenbus_back_start(&d->xb);
	if (ret) {
		snprintf(err, errlen, "disk %s: cannot write its xenstore keys: %s", d->dev,
			 strerror(-ret));
		goto out;
	}
	*out = d;
out:
	if (ret)
		blkback_dev_free(d);
	return ret;
}

void blkback_dev_unplug(struct blkback_dev *d)
{
	xenbus_back_unplug(&d->xb);
}

bool blkback_dev_removable(const struct blkback_dev *d)
{
	return d->xb.removable;
}

void blkback_dev_info(const struct blkback_dev *d, struct blkback_dev_info *info)
{
	memset(info, 0, sizeof(*info));
	info->state = d->xb.state;
	info->readonly = d->readonly;
	info->connected = d->conn && d->conn->bb;
	info->unplugged = d->xb.unplugged;
	if (info->connected) {
		struct blkdev_conn *c = d->conn;
		struct gnt_stats gs;

		blkback_get_stats(c->bb, &info->stats);
		info->stats.syscalls += __atomic_load_n(&c->syscalls, __ATOMIC_RELAXED) +
					backend_port_syscalls(&c->port);
		if (c->mapper_ready) {
			/* Its lock, for a copy: the device thread takes it per map already. */
			gnt_stats_get(&c->mapper, &gs);
			info->stats.grant_ops = gs.maps + gs.unmaps + gs.copies;
		}
	}
}

void blkback_dev_free(struct blkback_dev *d)
{
	if (!d)
		return;
	if (d->xb.env)
		xenbus_back_stop(&d->xb);
	blkdev_disconnect(d);
	/* A thread still stopping uses the disk: the last one to finish frees the device. */
	if (d->stopping)
		d->free_pending = true;
	else
		blkdev_free_now(d);
}

void blkback_dev_free_wait(struct blkback_dev *d)
{
	struct pollfd pfd = { .events = POLLIN };
	struct blkdev_conn *c;

	if (!d)
		return;
	if (d->xb.env)
		xenbus_back_stop(&d->xb);
	blkdev_disconnect(d);
	while ((c = d->stopping)) {
		pfd.fd = c->done_fd;
		while (!__atomic_load_n(&c->finished, __ATOMIC_ACQUIRE))
			if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
				break;
		d->stopping = c->next;
		blkdev_conn_free(c); /* the join waits for the thread if poll failed */
	}
	blkdev_free_now(d);
}
