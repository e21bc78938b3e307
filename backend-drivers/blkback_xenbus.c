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
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
#include "blkback_xenbus.h"
#include "log.h"

struct blkback_dev {
	struct backend_env *env;
	uint32_t domid, devid;
	char dev[16];
	char fe[96], be[96], token[64], fe_state_path[112];
	char *source;
	enum blk_cache_mode cache;
	bool readonly;
	struct blk_disk disk;
	bool disk_open;
	bool watching;
	int be_state;
	bool unplugged; /* goes once the frontend is Closed */
	bool removable;
	struct log_ratelimit rl; /* what the frontend makes us say */

	/* while connected */
	struct gnt_granter granter;
	struct gnt_mapper mapper;
	bool mapper_ready;
	uint32_t ring_order;
	struct backend_port port;
	int epfd; /* the thread's: made on the loop, so a failure is reported there */
	int stop_fd;
	int failed_fd; /* the thread writes it when it cannot go on; the loop tears down */
	struct blkback *bb;
	pthread_t thread;
	bool thread_started;
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

const char *xenbus_state_name(int s)
{
	static const char *const names[] = { "Unknown",	  "Initialising", "InitWait", "Initialised",
					     "Connected", "Closing",	  "Closed" };

	return s >= 0 && s <= XENBUS_STATE_CLOSED ? names[s] : "?";
}

static void blkdev_set_state(struct blkback_dev *d, int state)
{
	d->be_state = state;
	backend_xs_printf(d->env, d->be, "state", "%d", state);
}

/* Xen's xenbus_dev_fatal: the reason goes to the backend's error node, then Closing. */
static void blkdev_fatal(struct blkback_dev *d, const char *msg)
{
	log_limited(&d->rl, LOG_LEVEL_WARN, "vbd %u/%u (%s): %s", d->domid, d->devid, d->dev, msg);
	backend_xs_printf(d->env, d->be, "error", "%s", msg);
	blkdev_set_state(d, XENBUS_STATE_CLOSING);
}

static void blkdev_notify(void *opaque)
{
	struct blkback_dev *d = opaque;

	if (backend_port_raise(&d->port))
		log_err("vbd %u/%u: cannot raise port %u", d->domid, d->devid, d->port.port);
}

static void *blkdev_thread(void *arg)
{
	struct epoll_event evs[4];
	struct blkback_dev *d = arg;
	uint64_t cnt, one = 1;
	int n, i;

	/* Requests may have been queued before we listened. */
	blkback_kick(d->bb);
	for (;;) {
		n = epoll_wait(d->epfd, evs, 4, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_err("vbd %u/%u: the device thread stops: epoll_wait: %s", d->domid,
				d->devid, strerror(errno));
			/* The loop sees this and takes the device down visibly. */
			if (write(d->failed_fd, &one, sizeof(one)) < 0)
				log_err("vbd %u/%u: cannot tell the loop", d->domid, d->devid);
			return NULL;
		}
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd == d->stop_fd)
				return NULL;
			if (evs[i].data.fd == d->port.notify_fd) {
				while (read(d->port.notify_fd, &cnt, sizeof(cnt)) == sizeof(cnt))
					;
				blkback_kick(d->bb);
			} else {
				blkback_complete(d->bb);
			}
		}
	}
}

static void blkdev_disconnect(struct blkback_dev *d)
{
	struct backend_env *env = d->env;
	uint64_t one = 1;

	if (d->thread_started) {
		if (write(d->stop_fd, &one, sizeof(one)) < 0)
			log_err("vbd %u/%u: cannot stop its thread", d->domid, d->devid);
		pthread_join(d->thread, NULL);
		d->thread_started = false;
	}
	if (d->bb) {
		blkback_close(d->bb);
		d->bb = NULL;
	}
	if (d->mapper_ready) {
		gnt_unmap_all(&d->mapper);
		gnt_mapper_destroy(&d->mapper);
		d->mapper_ready = false;
	}
	backend_port_close(env, &d->port, true);
	if (d->failed_fd >= 0) {
		env->ops->fd_del(env, d->failed_fd);
		close(d->failed_fd);
	}
	if (d->stop_fd >= 0)
		close(d->stop_fd);
	if (d->epfd >= 0)
		close(d->epfd);
	d->epfd = d->stop_fd = d->failed_fd = -1;
	if (d->granter.ram) {
		env->ops->unmap_guest(env, d->granter.ram, d->granter.ram_size);
		d->granter.ram = NULL;
	}
}

static void blkdev_thread_failed(void *arg)
{
	struct blkback_dev *d = arg;

	blkdev_disconnect(d);
	blkdev_fatal(d, "the device thread failed (see the backend's log)");
}

/* The frontend's ring-ref key(s) and ring-page-order. */
static int blkdev_read_ring(struct blkback_dev *d, uint32_t *refs, char *err, size_t errlen)
{
	char key[32], buf[32];
	uint32_t i, n;
	bool multi;
	int ret;

	d->ring_order = 0;
	ret = backend_xs_read_u32(d->env, d->fe, BLKIF_KEY_RING_PAGE_ORDER, SV_BLKIF_MAX_RING_ORDER,
				  &d->ring_order);
	multi = ret == 0;
	if (ret && ret != -ENOENT) {
		backend_xs_read(d->env, d->fe, BLKIF_KEY_RING_PAGE_ORDER, buf, sizeof(buf));
		snprintf(err, errlen, "ring-page-order '%s' is not 0..%u", buf,
			 SV_BLKIF_MAX_RING_ORDER);
		return -EINVAL;
	}
	n = 1u << d->ring_order;
	for (i = 0; i < n; i++) {
		if (multi)
			snprintf(key, sizeof(key), "%s%u", BLKIF_KEY_RING_REF, i);
		else
			snprintf(key, sizeof(key), "%s", BLKIF_KEY_RING_REF);
		ret = backend_xs_read_u32(d->env, d->fe, key, UINT32_MAX, &refs[i]);
		if (ret == -ENOENT) {
			snprintf(err, errlen, "frontend has no %s", key);
			return ret;
		}
		if (ret) {
			backend_xs_read(d->env, d->fe, key, buf, sizeof(buf));
			snprintf(err, errlen, "%s '%s' is not a grant reference", key, buf);
			return -EINVAL;
		}
	}
	return 0;
}

static int blkdev_connect(struct blkback_dev *d, char *err, size_t errlen)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct backend_env *env = d->env;
	uint32_t refs[SV_BLKIF_MAX_RING_PAGES], port;
	struct sv_ctl_domid id = { .domid = d->domid };
	struct sv_ctl_gnttab_reply gr;
	struct blkback_params p = { 0 };
	char buf[64], name[48];
	void *ram = NULL;
	int ret;

	ret = blkdev_read_ring(d, refs, err, errlen);
	if (ret)
		goto out;
	ret = backend_xs_read_u32(env, d->fe, BLKIF_KEY_EVENT_CHANNEL, SV_EVTCHN_NR_PORTS - 1,
				  &port);
	if (ret == -ENOENT) {
		snprintf(err, errlen, "frontend has no event-channel");
		goto out;
	}
	if (ret || !port) {
		backend_xs_read(env, d->fe, BLKIF_KEY_EVENT_CHANNEL, buf, sizeof(buf));
		snprintf(err, errlen, "event-channel '%s' is not a port", buf);
		ret = -EINVAL;
		goto out;
	}
	if (backend_xs_read(env, d->fe, BLKIF_KEY_PROTOCOL, buf, sizeof(buf)) >= 0 &&
	    strcmp(buf, BLKIF_PROTOCOL_NATIVE)) {
		ret = -EPROTONOSUPPORT;
		snprintf(err, errlen, "protocol '%s' is not %s", buf, BLKIF_PROTOCOL_NATIVE);
		goto out;
	}
	p.persistent =
		backend_xs_read(env, d->fe, BLKIF_KEY_FEATURE_PERSISTENT, buf, sizeof(buf)) >= 0 &&
		!strcmp(buf, "1");
	ret = env->ops->map_guest(env, d->domid, 0, &ram, &d->granter.ram_size, err, errlen);
	if (ret)
		goto out;
	d->granter.domid = (uint16_t)d->domid;
	d->granter.ram = ram;
	ret = env->ops->core_call(env, SV_CTL_GNTTAB, &id, sizeof(id), &gr, sizeof(gr), NULL, 0,
				  err, errlen);
	if (ret)
		goto out;
	d->granter.table_gpa = gr.table_gpa;
	d->granter.nr_frames = gr.nr_frames;
	ret = gnt_mapper_init(&d->mapper, env->domid, 4096);
	if (ret) {
		snprintf(err, errlen, "cannot set up grant mapping: %s", strerror(-ret));
		goto out;
	}
	d->mapper_ready = true;
	ret = backend_port_bind(env, SV_CTL_EVTCHN_BIND, d->domid, port,
				(struct sv_shared_info *)(d->granter.ram + SV_SHARED_INFO_GPA),
				&d->port, err, errlen);
	if (ret)
		goto out;
	d->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	d->failed_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->stop_fd < 0 || d->failed_fd < 0 || d->epfd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot make the device thread's fds: %s", strerror(-ret));
		goto out;
	}
	snprintf(name, sizeof(name), "vbd %u/%u", d->domid, d->devid);
	p.granter = &d->granter;
	p.mapper = &d->mapper;
	p.ring_refs = refs;
	p.ring_order = d->ring_order;
	p.disk = &d->disk;
	p.engine = BLKBACK_IO_AUTO;
	p.notify = blkdev_notify;
	p.opaque = d;
	p.name = name;
	ret = blkback_open(&d->bb, &p, err, errlen);
	if (ret)
		goto out;
	ev.data.fd = d->port.notify_fd;
	ret = epoll_ctl(d->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
	ev.data.fd = blkback_io_fd(d->bb);
	if (!ret)
		ret = epoll_ctl(d->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
	ev.data.fd = d->stop_fd;
	if (!ret)
		ret = epoll_ctl(d->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
	if (ret) {
		ret = -errno;
		snprintf(err, errlen, "cannot watch the device's fds: %s", strerror(-ret));
		goto out;
	}
	ret = env->ops->fd_add(env, d->failed_fd, blkdev_thread_failed, d);
	if (ret) {
		close(d->failed_fd); /* never added: disconnect must not remove it */
		d->failed_fd = -1;
		snprintf(err, errlen, "cannot watch the device thread: %s", strerror(-ret));
		goto out;
	}
	ret = -pthread_create(&d->thread, NULL, blkdev_thread, d);
	if (ret) {
		snprintf(err, errlen, "cannot start the device thread: %s", strerror(-ret));
		goto out;
	}
	d->thread_started = true;
out:
	if (ret)
		blkdev_disconnect(d);
	return ret;
}

static void blkdev_frontend_changed(void *arg, const char *path)
{
	struct blkback_dev *d = arg;
	uint32_t fe_state = XENBUS_STATE_UNKNOWN;
	char err[256] = "";

	(void)path;
	/* Gone or garbage counts as Unknown, as Xen's xenbus_read_driver_state does. */
	if (backend_xs_read_u32(d->env, d->fe, "state", UINT32_MAX, &fe_state))
		fe_state = XENBUS_STATE_UNKNOWN;
	switch (fe_state) {
	case XENBUS_STATE_INITIALISED:
	case XENBUS_STATE_CONNECTED:
		if (d->be_state != XENBUS_STATE_INIT_WAIT)
			return; /* connected already, or going down */
		if (blkdev_connect(d, err, sizeof(err))) {
			blkdev_fatal(d, err);
			return;
		}
		blkdev_set_state(d, XENBUS_STATE_CONNECTED);
		return;
	case XENBUS_STATE_INITIALISING:
		/* A frontend reconnecting after Closed finds us waiting again. */
		if (d->be_state == XENBUS_STATE_CLOSED && !d->unplugged)
			blkdev_set_state(d, XENBUS_STATE_INIT_WAIT);
		return;
	case XENBUS_STATE_CLOSING:
		blkdev_disconnect(d);
		if (d->be_state != XENBUS_STATE_CLOSED)
			blkdev_set_state(d, XENBUS_STATE_CLOSING);
		return;
	case XENBUS_STATE_CLOSED:
	case XENBUS_STATE_UNKNOWN:
		blkdev_disconnect(d);
		if (d->be_state != XENBUS_STATE_CLOSED)
			blkdev_set_state(d, XENBUS_STATE_CLOSED);
		d->removable = d->unplugged;
		return;
	default: /* InitWait is not the frontend's to say; other numbers mean nothing */
		return;
	}
}

/* Sectors, features and InitWait: what Xen's blkback writes once the disk is open. */
static int blkdev_publish(struct blkback_dev *d)
{
	struct backend_env *env = d->env;
	int ret;

	ret = backend_xs_printf(env, d->be, BLKIF_KEY_MODE, "%s", d->readonly ? "r" : "w");
	if (ret >= 0)
		ret = backend_xs_printf(env, d->be, BLKIF_KEY_SECTORS, "%llu",
					(unsigned long long)d->disk.sectors);
	if (ret >= 0)
		ret = backend_xs_printf(env, d->be, BLKIF_KEY_SECTOR_SIZE, "%u",
					d->disk.sector_size);
	if (ret >= 0)
		ret = backend_xs_printf(env, d->be, BLKIF_KEY_INFO, "%u",
					d->readonly ? VDISK_READONLY : 0);
	if (ret >= 0)
		ret = backend_xs_printf(env, d->be, BLKIF_KEY_FEATURE_FLUSH, "1");
	if (ret >= 0)
		ret = backend_xs_printf(env, d->be, BLKIF_KEY_FEATURE_BARRIER, "1");
	if (ret >= 0)
		ret = backend_xs_printf(env, d->be, BLKIF_KEY_FEATURE_DISCARD, "%d",
					d->disk.discard && !d->readonly);
	if (ret >= 0)
		ret = backend_xs_printf(env, d->be, BLKIF_KEY_FEATURE_PERSISTENT, "1");
	if (ret >= 0)
		ret = backend_xs_printf(env, d->be, BLKIF_KEY_FEATURE_INDIRECT, "%u",
					SV_BLKIF_MAX_INDIRECT_SEGMENTS);
	if (ret >= 0)
		ret = backend_xs_printf(env, d->be, BLKIF_KEY_MAX_RING_ORDER, "%u",
					SV_BLKIF_MAX_RING_ORDER);
	if (ret >= 0)
		ret = backend_xs_printf(env, d->be, "state", "%d", XENBUS_STATE_INIT_WAIT);
	if (ret >= 0)
		d->be_state = XENBUS_STATE_INIT_WAIT;
	return ret < 0 ? ret : 0;
}

/* What the toolstack wrote: checked like any input, a driver domain trusts it no more. */
static int blkdev_read_config(struct blkback_dev *d, char *err, size_t errlen)
{
	char buf[XS_PAYLOAD_MAX + 1], want[96];
	const char *slash;
	int ret;

	slash = strrchr(d->be, '/');
	if (!slash || sscanf(slash + 1, "%u", &d->devid) != 1 || !d->devid) {
		snprintf(err, errlen, "backend path %s does not end in a device id", d->be);
		return -EINVAL;
	}
	ret = backend_xs_read_u32(d->env, d->be, "frontend-id", UINT16_MAX - 1, &d->domid);
	if (ret) {
		snprintf(err, errlen, "%s: no valid frontend-id", d->be);
		return -EINVAL;
	}
	snprintf(want, sizeof(want), "/local/domain/%u/device/vbd/%u", d->domid, d->devid);
	ret = backend_xs_read(d->env, d->be, "frontend", d->fe, sizeof(d->fe));
	if (ret < 0 || strcmp(d->fe, want)) {
		snprintf(err, errlen, "%s: frontend is not %s", d->be, want);
		return -EINVAL;
	}
	snprintf(d->fe_state_path, sizeof(d->fe_state_path), "%s/state", d->fe);
	ret = backend_xs_read(d->env, d->be, "params", buf, sizeof(buf));
	if (ret <= 0 || buf[0] != '/') {
		snprintf(err, errlen, "disk source '%s' must be an absolute path",
			 ret > 0 ? buf : "");
		return -EINVAL;
	}
	d->source = strdup(buf);
	if (!d->source)
		return -ENOMEM;
	if (backend_xs_read(d->env, d->be, "dev", d->dev, sizeof(d->dev)) <= 0)
		snprintf(d->dev, sizeof(d->dev), "%u", d->devid);
	ret = backend_xs_read(d->env, d->be, BLKIF_KEY_MODE, buf, sizeof(buf));
	d->readonly = ret > 0 && !strcmp(buf, "r");
	ret = backend_xs_read(d->env, d->be, BLKBACK_KEY_CACHE, buf, sizeof(buf));
	d->cache = blkdev_cache_mode(ret > 0 ? buf : NULL);
	return 0;
}

int blkback_dev_probe(struct backend_env *env, const char *be_path, struct blkback_dev **out,
		      char *err, size_t errlen)
{
	struct blkback_dev *d;
	int ret;

	*out = NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->env = env;
	d->epfd = d->stop_fd = d->failed_fd = -1;
	backend_port_init(&d->port);
	snprintf(d->be, sizeof(d->be), "%s", be_path);
	ret = blkdev_read_config(d, err, errlen);
	if (ret)
		goto out;
	snprintf(d->token, sizeof(d->token), "vbd/%u/%u", d->domid, d->devid);
	ret = blk_disk_open(&d->disk, d->source, d->cache, d->readonly, err, errlen);
	if (ret)
		goto out;
	d->disk_open = true;
	d->readonly = d->disk.readonly;
	ret = blkdev_publish(d);
	if (!ret)
		ret = env->ops->xs_watch(env, d->fe_state_path, d->token, blkdev_frontend_changed,
					 d);
	if (ret) {
		snprintf(err, errlen, "disk %s: cannot write its xenstore keys: %s", d->dev,
			 strerror(-ret));
		goto out;
	}
	d->watching = true;
	*out = d;
out:
	if (ret)
		blkback_dev_free(d);
	return ret;
}

void blkback_dev_unplug(struct blkback_dev *d)
{
	d->unplugged = true;
	if (!d->bb) {
		/* The frontend never connected: nothing to wait for. */
		d->removable = true;
		return;
	}
	blkdev_disconnect(d);
	backend_xs_printf(d->env, d->be, "online", "0");
	blkdev_set_state(d, XENBUS_STATE_CLOSING);
}

bool blkback_dev_removable(const struct blkback_dev *d)
{
	return d->removable;
}

void blkback_dev_info(const struct blkback_dev *d, struct blkback_dev_info *info)
{
	memset(info, 0, sizeof(*info));
	info->state = d->be_state;
	info->readonly = d->readonly;
	info->connected = d->bb != NULL;
	info->unplugged = d->unplugged;
	if (d->bb)
		blkback_get_stats(d->bb, &info->stats);
}

void blkback_dev_free(struct blkback_dev *d)
{
	if (!d)
		return;
	blkdev_disconnect(d);
	if (d->watching)
		d->env->ops->xs_unwatch(d->env, d->fe_state_path, d->token);
	if (d->disk_open)
		blk_disk_close(&d->disk);
	free(d->source);
	free(d);
}
