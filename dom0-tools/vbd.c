// SPDX-License-Identifier: MIT
/*
 * Virtual block devices in the control domain: the toolstack's part (the
 * xenstore directories of each <disk>) and the backend's part (the xenbus
 * state machine, mapping the guest's memory, binding its event channel) around
 * the blkback library, which serves the ring from one thread per connected
 * device. xenstore work stays on svdom0's event loop; the thread only moves
 * requests and I/O, so a slow disk never stalls xenstore or the console.
 *
 * The handshake follows Xen: the toolstack writes both directories in state
 * Initialising; we open the disk, publish sectors and features and go
 * InitWait; the frontend publishes its ring and port and goes Initialised; we
 * map, bind and go Connected. A frontend going Closing/Closed takes us down
 * the same way; one coming back as Initialising finds us in InitWait again.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <splitvisor/blkif.h>
#include <splitvisor/start_info.h>
#include <splitvisor/xenbus.h>

#include "blkback.h"
#include "core_client.h"
#include "evtchn_shinfo.h"
#include "svdom0.h"
#include "sv_xml.h"
#include "xs_local.h"

/* Xen's numbering of xvd disks: major 202, 16 minors each; the extended form beyond xvdp. */
#define VBD_XVD_MAJOR 202u

struct vbd {
	struct vbd *next;
	uint32_t domid, devid;
	char dev[16];
	char fe[96], be[96], token[64];
	char *source;
	enum blk_cache_mode cache;
	bool readonly;
	struct blk_disk disk;
	bool disk_open;
	int be_state;
	bool detaching; /* unplug asked: goes once the frontend is Closed */
	bool remove;	/* to free after the current round of watch events */

	/* while connected */
	struct sv_granter granter;
	struct sv_gnt_mapper mapper;
	bool mapper_ready;
	uint32_t port, vcpu, ring_order;
	int notify_fd, raise_fd, stop_fd;
	struct blkback *bb;
	pthread_t thread;
	bool thread_started;
};

/* The devid of "xvdX" (a..z, then aa..): 0 when the name is not one. */
static uint32_t vbd_devid(const char *dev)
{
	unsigned int idx = 0;
	const char *p;

	if (strncmp(dev, "xvd", 3) || !dev[3])
		return 0;
	for (p = dev + 3; *p; p++) {
		if (*p < 'a' || *p > 'z')
			return 0;
		idx = idx * 26 + (unsigned int)(*p - 'a') + (p == dev + 3 ? 0 : 1);
		if (idx > 0xfffff)
			return 0;
	}
	if (idx < 16)
		return (VBD_XVD_MAJOR << 8) | (idx << 4);
	return (1u << 28) | (idx << 8);
}

static enum blk_cache_mode vbd_cache_mode(const char *s)
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

static int vbd_be_key(struct dom0 *d0, struct vbd *v, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int vbd_be_key(struct dom0 *d0, struct vbd *v, const char *key, const char *fmt, ...)
{
	char path[160], val[256];
	va_list ap;

	snprintf(path, sizeof(path), "%s/%s", v->be, key);
	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	return xsl_write(d0->xs_self, path, val);
}

static int vbd_fe_key(struct dom0 *d0, struct vbd *v, const char *key, char *out, size_t cap)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", v->fe, key);
	return xsl_read(d0->xs_self, path, out, cap);
}

static void vbd_set_state(struct dom0 *d0, struct vbd *v, int state)
{
	v->be_state = state;
	vbd_be_key(d0, v, "state", "%d", state);
}

/* Xen's xenbus_dev_fatal: the reason goes to the backend's error node, then Closing. */
static void vbd_fatal(struct dom0 *d0, struct vbd *v, const char *msg)
{
	fprintf(stderr, "svdom0: vbd %u/%u (%s): %s\n", v->domid, v->devid, v->dev, msg);
	vbd_be_key(d0, v, "error", "%s", msg);
	vbd_set_state(d0, v, XENBUS_STATE_CLOSING);
}

static void vbd_notify(void *opaque)
{
	struct vbd *v = opaque;
	struct sv_shared_info *si = (struct sv_shared_info *)(v->granter.ram + SV_SHARED_INFO_GPA);
	uint64_t one = 1;

	if (sv_shinfo_set_pending(si, v->vcpu, v->port) &&
	    write(v->raise_fd, &one, sizeof(one)) < 0)
		fprintf(stderr, "svdom0: vbd %u/%u: cannot raise port %u\n", v->domid, v->devid,
			v->port);
}

static void *vbd_thread(void *arg)
{
	struct epoll_event ev = { .events = EPOLLIN }, evs[4];
	struct vbd *v = arg;
	int epfd, n, i;
	uint64_t cnt;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		return NULL;
	ev.data.fd = v->notify_fd;
	epoll_ctl(epfd, EPOLL_CTL_ADD, v->notify_fd, &ev);
	ev.data.fd = blkback_io_fd(v->bb);
	epoll_ctl(epfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
	ev.data.fd = v->stop_fd;
	epoll_ctl(epfd, EPOLL_CTL_ADD, v->stop_fd, &ev);
	/* Requests may have been queued before we listened. */
	blkback_kick(v->bb);
	for (;;) {
		n = epoll_wait(epfd, evs, 4, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd == v->stop_fd)
				goto out;
			if (evs[i].data.fd == v->notify_fd) {
				while (read(v->notify_fd, &cnt, sizeof(cnt)) == sizeof(cnt))
					;
				blkback_kick(v->bb);
			} else {
				blkback_complete(v->bb);
			}
		}
	}
out:
	close(epfd);
	return NULL;
}

static void vbd_disconnect(struct dom0 *d0, struct vbd *v)
{
	struct sv_ctl_evtchn ec = { .domid = v->domid, .port = v->port };
	uint64_t one = 1;

	if (v->thread_started) {
		if (write(v->stop_fd, &one, sizeof(one)) < 0)
			fprintf(stderr, "svdom0: vbd %u/%u: cannot stop its thread\n", v->domid,
				v->devid);
		pthread_join(v->thread, NULL);
		v->thread_started = false;
	}
	if (v->bb) {
		blkback_close(v->bb);
		v->bb = NULL;
	}
	if (v->mapper_ready) {
		sv_gnt_unmap_all(&v->mapper);
		sv_gnt_mapper_destroy(&v->mapper);
		v->mapper_ready = false;
	}
	if (v->port) {
		cc_call(d0->cc, SV_CTL_EVTCHN_CLOSE, &ec, sizeof(ec), NULL, 0, NULL, NULL, NULL, 0);
		v->port = 0;
	}
	for (int *fd = &v->notify_fd; fd <= &v->stop_fd; fd++) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
	if (v->granter.ram) {
		munmap(v->granter.ram, v->granter.ram_size);
		v->granter.ram = NULL;
	}
}

/* The frontend's ring-ref key(s) and ring-page-order. */
static int vbd_read_ring(struct dom0 *d0, struct vbd *v, uint32_t *refs, char *err, size_t errlen)
{
	char key[32], buf[32], *end;
	uint32_t i, n;
	unsigned long val;
	int ret;

	v->ring_order = 0;
	ret = vbd_fe_key(d0, v, BLKIF_KEY_RING_PAGE_ORDER, buf, sizeof(buf));
	if (ret >= 0) {
		val = strtoul(buf, &end, 10);
		if (!buf[0] || *end || val > SV_BLKIF_MAX_RING_ORDER) {
			snprintf(err, errlen, "ring-page-order '%s' is not 0..%u", buf,
				 SV_BLKIF_MAX_RING_ORDER);
			return -EINVAL;
		}
		v->ring_order = (uint32_t)val;
	}
	n = 1u << v->ring_order;
	for (i = 0; i < n; i++) {
		if (ret >= 0)
			snprintf(key, sizeof(key), "%s%u", BLKIF_KEY_RING_REF, i);
		else
			snprintf(key, sizeof(key), "%s", BLKIF_KEY_RING_REF);
		if (vbd_fe_key(d0, v, key, buf, sizeof(buf)) < 0) {
			snprintf(err, errlen, "frontend has no %s", key);
			return -ENOENT;
		}
		val = strtoul(buf, &end, 10);
		if (!buf[0] || *end || val > UINT32_MAX) {
			snprintf(err, errlen, "%s '%s' is not a grant reference", key, buf);
			return -EINVAL;
		}
		refs[i] = (uint32_t)val;
	}
	return 0;
}

static int vbd_connect(struct dom0 *d0, struct vbd *v, char *err, size_t errlen)
{
	struct sv_ctl_domid id = { .domid = v->domid };
	struct sv_ctl_evtchn ec = { .domid = v->domid };
	uint32_t refs[SV_BLKIF_MAX_RING_PAGES];
	struct sv_ctl_store_bind_reply br;
	struct sv_ctl_memfd_reply mr;
	struct sv_ctl_gnttab_reply gr;
	struct blkback_params p = { 0 };
	char buf[64], name[48], *end;
	int fds[2] = { -1, -1 }, memfd = -1, ret;
	unsigned long port;
	void *ram;

	ret = vbd_read_ring(d0, v, refs, err, errlen);
	if (ret)
		goto out;
	ret = -EINVAL;
	if (vbd_fe_key(d0, v, BLKIF_KEY_EVENT_CHANNEL, buf, sizeof(buf)) < 0) {
		snprintf(err, errlen, "frontend has no event-channel");
		goto out;
	}
	port = strtoul(buf, &end, 10);
	if (!buf[0] || *end || !port || port >= SV_EVTCHN_NR_PORTS) {
		snprintf(err, errlen, "event-channel '%s' is not a port", buf);
		goto out;
	}
	if (vbd_fe_key(d0, v, BLKIF_KEY_PROTOCOL, buf, sizeof(buf)) >= 0 &&
	    strcmp(buf, BLKIF_PROTOCOL_NATIVE)) {
		ret = -EPROTONOSUPPORT;
		snprintf(err, errlen, "protocol '%s' is not %s", buf, BLKIF_PROTOCOL_NATIVE);
		goto out;
	}
	p.persistent = vbd_fe_key(d0, v, BLKIF_KEY_FEATURE_PERSISTENT, buf, sizeof(buf)) >= 0 &&
		       !strcmp(buf, "1");
	ret = cc_call(d0->cc, SV_CTL_MEMFD, &id, sizeof(id), &mr, sizeof(mr), NULL, &memfd, err,
		      errlen);
	if (ret)
		goto out;
	ram = mmap(NULL, mr.size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (ram == MAP_FAILED) {
		ret = -errno;
		snprintf(err, errlen, "cannot map the guest's memory: %s", strerror(-ret));
		goto out;
	}
	v->granter.domid = (uint16_t)v->domid;
	v->granter.ram = ram;
	v->granter.ram_size = mr.size;
	ret = cc_call(d0->cc, SV_CTL_GNTTAB, &id, sizeof(id), &gr, sizeof(gr), NULL, NULL, err,
		      errlen);
	if (ret)
		goto out;
	v->granter.table_gpa = gr.table_gpa;
	v->granter.nr_frames = gr.nr_frames;
	ret = sv_gnt_mapper_init(&v->mapper, 0, 4096);
	if (ret) {
		snprintf(err, errlen, "cannot set up grant mapping: %s", strerror(-ret));
		goto out;
	}
	v->mapper_ready = true;
	ec.port = (uint32_t)port;
	ret = cc_call_fds(d0->cc, SV_CTL_EVTCHN_BIND, &ec, sizeof(ec), &br, sizeof(br), NULL, fds,
			  2, err, errlen);
	if (ret)
		goto out;
	v->port = (uint32_t)port;
	v->notify_fd = fds[0];
	v->raise_fd = fds[1];
	fds[0] = fds[1] = -1;
	if (v->notify_fd < 0 || v->raise_fd < 0) {
		ret = -EPROTO;
		snprintf(err, errlen, "the core passed no eventfds");
		goto out;
	}
	v->vcpu = br.vcpu < SV_SHINFO_MAX_VCPUS ? br.vcpu : 0;
	v->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (v->stop_fd < 0) {
		ret = -errno;
		goto out;
	}
	snprintf(name, sizeof(name), "vbd %u/%u", v->domid, v->devid);
	p.granter = &v->granter;
	p.mapper = &v->mapper;
	p.ring_refs = refs;
	p.ring_order = v->ring_order;
	p.disk = &v->disk;
	p.engine = BLKBACK_IO_AUTO;
	p.notify = vbd_notify;
	p.opaque = v;
	p.name = name;
	ret = blkback_open(&v->bb, &p, err, errlen);
	if (ret)
		goto out;
	ret = -pthread_create(&v->thread, NULL, vbd_thread, v);
	if (ret) {
		snprintf(err, errlen, "cannot start the device thread");
		goto out;
	}
	v->thread_started = true;
out:
	if (memfd >= 0)
		close(memfd);
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	if (ret)
		vbd_disconnect(d0, v);
	return ret;
}

static void vbd_frontend_changed(struct dom0 *d0, struct vbd *v)
{
	char buf[16], err[256] = "";
	int fe_state = XENBUS_STATE_UNKNOWN;

	if (vbd_fe_key(d0, v, "state", buf, sizeof(buf)) > 0)
		fe_state = atoi(buf);
	switch (fe_state) {
	case XENBUS_STATE_INITIALISED:
	case XENBUS_STATE_CONNECTED:
		if (v->be_state != XENBUS_STATE_INIT_WAIT)
			return; /* connected already, or going down */
		if (vbd_connect(d0, v, err, sizeof(err))) {
			vbd_fatal(d0, v, err);
			return;
		}
		vbd_set_state(d0, v, XENBUS_STATE_CONNECTED);
		return;
	case XENBUS_STATE_INITIALISING:
		/* A frontend reconnecting after Closed finds us waiting again. */
		if (v->be_state == XENBUS_STATE_CLOSED)
			vbd_set_state(d0, v, XENBUS_STATE_INIT_WAIT);
		return;
	case XENBUS_STATE_CLOSING:
		vbd_disconnect(d0, v);
		if (v->be_state != XENBUS_STATE_CLOSED)
			vbd_set_state(d0, v, XENBUS_STATE_CLOSING);
		return;
	case XENBUS_STATE_CLOSED:
	case XENBUS_STATE_UNKNOWN:
		vbd_disconnect(d0, v);
		if (v->be_state != XENBUS_STATE_CLOSED)
			vbd_set_state(d0, v, XENBUS_STATE_CLOSED);
		v->remove = v->detaching;
		return;
	}
}

static void vbd_free(struct dom0 *d0, struct vbd *v)
{
	char path[160];

	vbd_disconnect(d0, v);
	/* A device that failed half-way through vbd_create may have no paths yet. */
	if (v->fe[0]) {
		snprintf(path, sizeof(path), "%s/state", v->fe);
		xsl_unwatch(d0->xs_self, path, v->token);
		xsl_rm(d0->xs_self, v->be);
	}
	if (v->disk_open)
		blk_disk_close(&v->disk);
	free(v->source);
	free(v);
}

/* Both directories, the backend's features and InitWait; the watch on the frontend's state. */
static int vbd_create(struct dom0 *d0, struct ts_domain *td, const struct sv_disk_config *dc,
		      char *err, size_t errlen)
{
	struct xs_local *xs = d0->xs_self;
	uint32_t domid = td->info.domid;
	char perms[32], path[160];
	struct vbd *v = NULL;
	size_t plen;
	int ret;

	if (!dc->source || dc->source[0] != '/') {
		snprintf(err, errlen, "disk %s: source '%s' must be an absolute path",
			 dc->target_dev, dc->source ? dc->source : "");
		return -EINVAL;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->notify_fd = v->raise_fd = v->stop_fd = -1;
	v->source = strdup(dc->source);
	if (!v->source) {
		ret = -ENOMEM;
		goto out;
	}
	v->domid = domid;
	v->devid = vbd_devid(dc->target_dev);
	v->readonly = dc->readonly;
	v->cache = vbd_cache_mode(dc->driver_cache);
	snprintf(v->dev, sizeof(v->dev), "%s", dc->target_dev);
	if (!v->devid) {
		snprintf(err, errlen, "disk target '%s' is not an xvd name", dc->target_dev);
		ret = -EINVAL;
		goto out;
	}
	snprintf(v->fe, sizeof(v->fe), "/local/domain/%u/device/vbd/%u", domid, v->devid);
	snprintf(v->be, sizeof(v->be), "/local/domain/0/backend/vbd/%u/%u", domid, v->devid);
	snprintf(v->token, sizeof(v->token), "vbd/%u/%u", domid, v->devid);
	ret = blk_disk_open(&v->disk, v->source, v->cache, v->readonly, err, errlen);
	if (ret)
		goto out;
	v->disk_open = true;
	v->readonly = v->disk.readonly;

	/* Backend: ours, readable by the frontend's domain. */
	ret = xsl_call(xs, XS_MKDIR, v->be, NULL, 0, NULL, 0);
	plen = (size_t)snprintf(perms, sizeof(perms), "n0%cr%u", 0, domid) + 1;
	if (ret >= 0)
		ret = xsl_set_perms(xs, v->be, perms, plen);
	if (ret >= 0)
		ret = vbd_be_key(d0, v, "frontend", "%s", v->fe);
	if (ret >= 0)
		ret = vbd_be_key(d0, v, "frontend-id", "%u", domid);
	if (ret >= 0)
		ret = vbd_be_key(d0, v, "params", "%s", v->source);
	if (ret >= 0)
		ret = vbd_be_key(d0, v, "dev", "%s", v->dev);
	if (ret >= 0)
		ret = vbd_be_key(d0, v, "online", "1");
	if (ret >= 0)
		ret = vbd_be_key(d0, v, BLKIF_KEY_MODE, v->readonly ? "r" : "w");
	if (ret >= 0)
		ret = vbd_be_key(d0, v, BLKIF_KEY_SECTORS, "%llu",
				 (unsigned long long)v->disk.sectors);
	if (ret >= 0)
		ret = vbd_be_key(d0, v, BLKIF_KEY_SECTOR_SIZE, "%u", v->disk.sector_size);
	if (ret >= 0)
		ret = vbd_be_key(d0, v, BLKIF_KEY_INFO, "%u", v->readonly ? VDISK_READONLY : 0);
	if (ret >= 0)
		ret = vbd_be_key(d0, v, BLKIF_KEY_FEATURE_FLUSH, "1");
	if (ret >= 0)
		ret = vbd_be_key(d0, v, BLKIF_KEY_FEATURE_BARRIER, "1");
	if (ret >= 0)
		ret = vbd_be_key(d0, v, BLKIF_KEY_FEATURE_DISCARD, "%d",
				 v->disk.discard && !v->readonly);
	if (ret >= 0)
		ret = vbd_be_key(d0, v, BLKIF_KEY_FEATURE_PERSISTENT, "1");
	if (ret >= 0)
		ret = vbd_be_key(d0, v, BLKIF_KEY_FEATURE_INDIRECT, "%u",
				 SV_BLKIF_MAX_INDIRECT_SEGMENTS);
	if (ret >= 0)
		ret = vbd_be_key(d0, v, BLKIF_KEY_MAX_RING_ORDER, "%u", SV_BLKIF_MAX_RING_ORDER);
	if (ret >= 0)
		vbd_set_state(d0, v, XENBUS_STATE_INIT_WAIT);

	/* Frontend: the guest's, readable by us. */
	if (ret >= 0)
		ret = xsl_call(xs, XS_MKDIR, v->fe, NULL, 0, NULL, 0);
	plen = (size_t)snprintf(perms, sizeof(perms), "n%u%cr0", domid, 0) + 1;
	if (ret >= 0)
		ret = xsl_set_perms(xs, v->fe, perms, plen);
	snprintf(path, sizeof(path), "%s/backend", v->fe);
	if (ret >= 0)
		ret = xsl_write(xs, path, v->be);
	snprintf(path, sizeof(path), "%s/backend-id", v->fe);
	if (ret >= 0)
		ret = xsl_write(xs, path, "0");
	snprintf(path, sizeof(path), "%s/virtual-device", v->fe);
	if (ret >= 0)
		ret = xsl_printf(xs, path, "%u", v->devid);
	snprintf(path, sizeof(path), "%s/dev", v->fe);
	if (ret >= 0)
		ret = xsl_write(xs, path, v->dev);
	snprintf(path, sizeof(path), "%s/state", v->fe);
	if (ret >= 0)
		ret = xsl_printf(xs, path, "%d", XENBUS_STATE_INITIALISING);
	if (ret >= 0)
		ret = xsl_watch(xs, path, v->token);
	if (ret < 0) {
		snprintf(err, errlen, "disk %s: cannot write its xenstore keys: %s", v->dev,
			 strerror(-ret));
		goto out;
	}
	v->next = td->vbds;
	td->vbds = v;
	return 0;
out:
	vbd_free(d0, v);
	return ret < 0 ? ret : -EIO;
}

int vbd_attach_all(struct dom0 *d0, struct ts_domain *td, const struct sv_domain_config *cfg,
		   char *err, size_t errlen)
{
	size_t i;
	int ret;

	for (i = 0; cfg && i < cfg->ndisks; i++) {
		if (cfg->disks[i].backend_domain) {
			snprintf(err, errlen, "disk %s: driver domains are not supported yet",
				 cfg->disks[i].target_dev);
			ret = -EOPNOTSUPP;
			goto out;
		}
		ret = vbd_create(d0, td, &cfg->disks[i], err, errlen);
		if (ret)
			goto out;
	}
	return 0;
out:
	vbd_detach_all(d0, td);
	return ret;
}

void vbd_detach_all(struct dom0 *d0, struct ts_domain *td)
{
	struct vbd *v;
	char path[64];

	while ((v = td->vbds)) {
		td->vbds = v->next;
		vbd_free(d0, v);
	}
	snprintf(path, sizeof(path), "/local/domain/0/backend/vbd/%u", td->info.domid);
	xsl_rm(d0->xs_self, path);
}

/* An unplugged device leaves both directories. */
static void vbd_remove(struct dom0 *d0, struct ts_domain *td, struct vbd *v)
{
	struct vbd **pp;

	for (pp = &td->vbds; *pp != v; pp = &(*pp)->next)
		;
	*pp = v->next;
	xsl_rm(d0->xs_self, v->fe);
	vbd_free(d0, v);
}

int vbd_attach(struct dom0 *d0, struct ts_domain *td, const struct sv_disk_config *dc, char *err,
	       size_t errlen)
{
	struct vbd *v;

	for (v = td->vbds; v; v = v->next) {
		if (!strcmp(v->dev, dc->target_dev)) {
			snprintf(err, errlen, "domain %s has a disk %s already", td->info.name,
				 v->dev);
			return -EEXIST;
		}
	}
	return vbd_create(d0, td, dc, err, errlen);
}

/*
 * Xen's unplug: online 0 and Closing; the frontend closes and we go when it says
 * Closed. We stop serving first (I/O in flight completes, grants are released):
 * our frontends look at the backend's state when their requests stall, and fail
 * what is pending. A device whose frontend never connected goes at once.
 */
int vbd_detach(struct dom0 *d0, struct ts_domain *td, const char *dev, char *err, size_t errlen)
{
	struct vbd *v;

	for (v = td->vbds; v && strcmp(v->dev, dev); v = v->next)
		;
	if (!v) {
		snprintf(err, errlen, "domain %s has no disk %s", td->info.name, dev);
		return -ENOENT;
	}
	if (v->detaching) {
		snprintf(err, errlen, "disk %s is being detached already", dev);
		return -EALREADY;
	}
	if (!v->bb) {
		vbd_remove(d0, td, v);
		return 0;
	}
	v->detaching = true;
	vbd_disconnect(d0, v);
	vbd_be_key(d0, v, "online", "0");
	vbd_set_state(d0, v, XENBUS_STATE_CLOSING);
	return 0;
}

bool vbd_poll(struct dom0 *d0)
{
	char path[XS_ABS_PATH_MAX], token[64];
	struct ts_domain *td;
	struct vbd *v, *next;
	bool moved = false;

	while (xsl_next_event(d0->xs_self, path, sizeof(path), token, sizeof(token))) {
		for (td = d0->domains; td; td = td->next)
			for (v = td->vbds; v; v = v->next)
				if (!strcmp(v->token, token)) {
					vbd_frontend_changed(d0, v);
					moved = true;
				}
	}
	for (td = d0->domains; td; td = td->next) {
		for (v = td->vbds; v; v = next) {
			next = v->next;
			if (v->remove)
				vbd_remove(d0, td, v);
		}
	}
	return moved;
}

static const char *vbd_state_name(int s)
{
	static const char *const names[] = { "Unknown",	  "Initialising", "InitWait", "Initialised",
					     "Connected", "Closing",	  "Closed" };

	return s >= 0 && s <= XENBUS_STATE_CLOSED ? names[s] : "?";
}

size_t vbd_list(const struct ts_domain *td, char *buf, size_t cap)
{
	struct blkback_stats st;
	const struct vbd *v;
	size_t off = 0;
	int n;

	n = snprintf(buf, cap, "%-6s %-6s %-3s %-12s %-4s %-12s %-12s %s\n", "Vdev", "Dev", "BE",
		     "State", "Mode", "Reqs", "Errors", "Source");
	off = n > 0 && (size_t)n < cap ? (size_t)n : 0;
	for (v = td->vbds; v && off < cap; v = v->next) {
		memset(&st, 0, sizeof(st));
		if (v->bb)
			blkback_get_stats(v->bb, &st);
		n = snprintf(buf + off, cap - off, "%-6u %-6s %-3u %-12s %-4s %-12llu %-12llu %s\n",
			     v->devid, v->dev, 0u, vbd_state_name(v->be_state),
			     v->readonly ? "r" : "w", (unsigned long long)st.requests,
			     (unsigned long long)(st.bad_op + st.bad_segments +
						  st.bad_sector_range + st.bad_grant +
						  st.readonly_write + st.io_errors),
			     v->source);
		if (n < 0 || (size_t)n >= cap - off)
			break;
		off += (size_t)n;
	}
	return off;
}
