// SPDX-License-Identifier: MIT
/*
 * The network service (net_service.h). One thread serves every vif and TAP
 * device of the host: a frame a guest sends (netback_tx_kick) goes to its
 * switch, which hands it to the other ports (netback_rx_frame into a guest's
 * posted buffers, or a write to a TAP device). All of it runs under one mutex
 * taken per batch of epoll events, so netback and the switches stay
 * single-threaded as they are written. A port removed while the thread may
 * still hold an event naming it is marked dead and freed by the thread
 * before its next epoll_wait.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <splitvisor/netif.h>

#include "log.h"
#include "net_service.h"
#include "net_switch.h"
#include "util.h"

/* Frames read from one TAP device per wake-up: the others get their turn. */
#define NS_TAP_BURST  64u
#define NS_MAX_EVENTS 32

struct ns_switch {
	struct ns_switch *next;
	char name[IFNAMSIZ + 8];
	struct net_switch *sw;
	unsigned int ports;
};

struct ns_bucket {
	uint64_t rate, depth; /* bytes per second, bytes; rate 0: no limit */
	uint64_t tokens, last_ns;
};

struct net_port {
	struct net_port *next;
	struct net_service *ns;
	struct ns_switch *sw;
	uint32_t port_id;
	bool is_vif;
	bool dead;     /* removed: an event fetched before that must not touch it */
	bool rx_dirty; /* frames went into the guest's ring: flush after the batch */
	bool tx_more;  /* the guest had more than one kick takes: kick again next round */
	int fd;	       /* vif: the notify eventfd (not ours); TAP: the device (ours) */
	int failed_fd; /* vif: the owner's, written once when the ring breaks */
	bool failed;
	struct netback *nb;
	void (*owner_notify)(void *opaque); /* the vif owner's raise of the guest's channel */
	void *owner_opaque;
	uint64_t tap_rx_frames, tap_tx_frames, tap_rx_bytes, tap_tx_bytes, tap_drops;
	struct ns_bucket out, in; /* <bandwidth> of a vif: from and to the guest */
	uint64_t rate_drops_out, rate_drops_in;
	uint64_t syscalls; /* net_port_stats says which; under the lock */
	struct net_port *next_dirty;
};

struct net_service {
	pthread_mutex_t lock;
	pthread_t thread;
	bool thread_started, stopping;
	int epfd, wake_fd;
	struct ns_switch *switches;
	struct net_port *ports, *graveyard, *dirty;
	unsigned int tx_more; /* ports with tx_more set */
};

static uint64_t ns_now(void)
{
	return util_now_ns();
}

/* A token bucket: true when len bytes may pass now. */
static bool ns_bucket_take(struct ns_bucket *b, size_t len)
{
	uint64_t now, add;

	if (!b->rate)
		return true;
	now = ns_now();
	/*
	 * Whole bytes only: the remainder of the time is kept for the next refill. In 128
	 * bits: a long idle at a high rate overflows 64 (18 s at 1 GB/s).
	 */
	add = (uint64_t)((unsigned __int128)(now - b->last_ns) * b->rate / 1000000000u);
	if (add >= b->depth - b->tokens) {
		/* Full: time spent full earns nothing, so the clock starts again now. */
		b->tokens = b->depth;
		b->last_ns = now;
	} else if (add) {
		b->tokens += add;
		b->last_ns += (uint64_t)((unsigned __int128)add * 1000000000u / b->rate);
	}
	if (b->tokens < len)
		return false;
	b->tokens -= len;
	return true;
}

static void ns_bucket_set(struct ns_bucket *b, const struct net_rate *r)
{
	memset(b, 0, sizeof(*b));
	if (!r || !r->bytes_per_s)
		return;
	b->rate = r->bytes_per_s;
	b->depth = r->burst ? r->burst : b->rate / 20;
	if (b->depth < 65536)
		b->depth = 65536;
	b->tokens = b->depth;
	b->last_ns = ns_now();
}

/* The switch hands a frame to a port. */
static void ns_transmit(void *arg, const uint8_t *frame, size_t len)
{
	struct net_port *p = arg;
	ssize_t n;
	int ret;

	if (p->dead)
		return;
	if (p->is_vif) {
		if (!ns_bucket_take(&p->in, len)) {
			p->rate_drops_in++;
			return;
		}
		ret = netback_rx_frame(p->nb, frame, len);
		if (!ret && !p->rx_dirty) {
			p->rx_dirty = true;
			p->next_dirty = p->ns->dirty;
			p->ns->dirty = p;
		}
		return;
	}
	p->syscalls++;
	n = write(p->fd, frame, len);
	if (n == (ssize_t)len) {
		p->tap_tx_frames++;
		p->tap_tx_bytes += len;
	} else {
		/* A full TAP queue drops, as a NIC would: never block the service on the host. */
		p->tap_drops++;
	}
}

static void ns_notify(void *opaque)
{
	struct net_port *p = opaque;

	p->owner_notify(p->owner_opaque);
}

/* netback hands the frames a guest sent. */
static void ns_deliver(void *opaque, const uint8_t *frame, size_t len)
{
	struct net_port *p = opaque;

	if (!ns_bucket_take(&p->out, len)) {
		p->rate_drops_out++;
		return;
	}
	net_switch_input(p->sw->sw, p->port_id, frame, len, ns_now());
}

static void ns_flush_dirty(struct net_service *ns)
{
	struct net_port *p;

	while ((p = ns->dirty)) {
		ns->dirty = p->next_dirty;
		p->rx_dirty = false;
		if (!p->dead)
			netback_rx_flush(p->nb);
	}
}

static void ns_tap_input(struct net_port *p)
{
	uint8_t frame[NETIF_MAX_FRAME];
	unsigned int i;
	ssize_t n;

	for (i = 0; i < NS_TAP_BURST; i++) {
		p->syscalls++;
		n = read(p->fd, frame, sizeof(frame));
		if (n <= 0)
			break;
		p->tap_rx_frames++;
		p->tap_rx_bytes += (uint64_t)n;
		net_switch_input(p->sw->sw, p->port_id, frame, (size_t)n, ns_now());
	}
}

static void ns_reap(struct net_service *ns)
{
	struct net_port *p;

	while ((p = ns->graveyard)) {
		ns->graveyard = p->next;
		free(p);
	}
}

/* One TX kick of a vif; a broken ring is reported to the vif's owner once. */
static void ns_kick(struct net_service *ns, struct net_port *p)
{
	uint64_t one = 1;
	int ret;

	ret = netback_tx_kick(p->nb);
	if (ret == 1 && !p->tx_more) {
		p->tx_more = true;
		ns->tx_more++;
	} else if (ret != 1 && p->tx_more) {
		p->tx_more = false;
		ns->tx_more--;
	}
	if (ret >= 0 || p->failed)
		return;
	p->failed = true;
	log_warn("vif on switch %s: ring broken, disconnected", p->sw->name);
	if (write(p->failed_fd, &one, sizeof(one)) < 0)
		log_err("vif on switch %s: cannot tell its owner", p->sw->name);
}

/*
 * One epoll_wait, charged to a port it woke for (the first), or to a vif that
 * had more when it returned nothing; the service's own wake-ups to none. A
 * port freed meanwhile (dead) is skipped: the thread frees it only later.
 */
static void ns_charge_wait(struct net_service *ns, const struct epoll_event *evs, int n)
{
	struct net_port *p;

	for (int i = 0; i < n; i++) {
		p = evs[i].data.ptr;
		if (p && !p->dead) {
			p->syscalls++;
			return;
		}
	}
	for (p = n ? NULL : ns->ports; p; p = p->next) {
		if (p->tx_more && !p->dead) {
			p->syscalls++;
			return;
		}
	}
}

static void *ns_thread(void *arg)
{
	struct epoll_event evs[NS_MAX_EVENTS];
	struct net_service *ns = arg;
	struct net_port *p;
	bool more;
	uint64_t cnt;
	int n, i;

	for (;;) {
		pthread_mutex_lock(&ns->lock);
		ns_reap(ns);
		more = ns->tx_more != 0;
		if (ns->stopping) {
			pthread_mutex_unlock(&ns->lock);
			return NULL;
		}
		pthread_mutex_unlock(&ns->lock);
		/* Vifs with more waiting get no notification for it: do not sleep then. */
		n = epoll_wait(ns->epfd, evs, NS_MAX_EVENTS, more ? 0 : -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_err("net service: epoll_wait: %s; no more frames move",
				strerror(errno));
			return NULL;
		}
		pthread_mutex_lock(&ns->lock);
		ns_charge_wait(ns, evs, n);
		for (i = 0; i < n; i++) {
			p = evs[i].data.ptr;
			if (!p) {
				while (read(ns->wake_fd, &cnt, sizeof(cnt)) == sizeof(cnt))
					;
				continue;
			}
			if (p->dead)
				continue;
			if (p->is_vif) {
				do
					p->syscalls++;
				while (read(p->fd, &cnt, sizeof(cnt)) == sizeof(cnt));
				ns_kick(ns, p);
			} else {
				ns_tap_input(p);
			}
		}
		/* Vifs that had more than a kick takes go again, after everyone else's turn. */
		for (p = ns->tx_more ? ns->ports : NULL; p; p = p->next)
			if (p->tx_more && !p->dead)
				ns_kick(ns, p);
		ns_flush_dirty(ns);
		pthread_mutex_unlock(&ns->lock);
	}
}

int net_service_create(struct net_service **out, char *err, size_t errlen)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	struct net_service *ns;
	int ret;

	*out = NULL;
	ns = calloc(1, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	pthread_mutex_init(&ns->lock, NULL);
	ns->epfd = epoll_create1(EPOLL_CLOEXEC);
	ns->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ns->epfd < 0 || ns->wake_fd < 0 ||
	    epoll_ctl(ns->epfd, EPOLL_CTL_ADD, ns->wake_fd, &ev) < 0) {
		ret = -errno;
		snprintf(err, errlen, "network service: %s", strerror(-ret));
		goto out;
	}
	ret = -pthread_create(&ns->thread, NULL, ns_thread, ns);
	if (ret) {
		snprintf(err, errlen, "network service: cannot start its thread: %s",
			 strerror(-ret));
		goto out;
	}
	ns->thread_started = true;
	*out = ns;
out:
	if (ret)
		net_service_destroy(ns);
	return ret;
}

static void ns_wake(struct net_service *ns)
{
	uint64_t one = 1;

	if (write(ns->wake_fd, &one, sizeof(one)) < 0)
		log_err("network service: cannot wake its thread");
}

void net_service_destroy(struct net_service *ns)
{
	struct ns_switch *s;

	if (!ns)
		return;
	if (ns->thread_started) {
		pthread_mutex_lock(&ns->lock);
		ns->stopping = true;
		pthread_mutex_unlock(&ns->lock);
		ns_wake(ns);
		pthread_join(ns->thread, NULL);
	}
	ns_reap(ns);
	while ((s = ns->switches)) {
		ns->switches = s->next;
		net_switch_destroy(s->sw);
		free(s);
	}
	if (ns->epfd >= 0)
		close(ns->epfd);
	if (ns->wake_fd >= 0)
		close(ns->wake_fd);
	pthread_mutex_destroy(&ns->lock);
	free(ns);
}

/* Called with the lock held. */
static struct ns_switch *ns_switch_get(struct net_service *ns, const char *name)
{
	struct ns_switch *s;

	for (s = ns->switches; s; s = s->next)
		if (!strcmp(s->name, name))
			return s;
	if (strlen(name) >= sizeof(s->name))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	if (net_switch_create(&s->sw, NULL)) {
		free(s);
		return NULL;
	}
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->next = ns->switches;
	ns->switches = s;
	return s;
}

/* Called with the lock held: a switch without ports goes. */
static void ns_switch_put(struct net_service *ns, struct ns_switch *s)
{
	struct ns_switch **pp;

	if (--s->ports)
		return;
	for (pp = &ns->switches; *pp != s; pp = &(*pp)->next)
		;
	*pp = s->next;
	net_switch_destroy(s->sw);
	free(s);
}

/* Called with the lock held; p has its kind, fd and netback set. */
static int ns_attach(struct net_service *ns, struct net_port *p, const char *sw_name, char *err,
		     size_t errlen)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = p };
	int ret;

	p->ns = ns;
	p->sw = ns_switch_get(ns, sw_name);
	if (!p->sw) {
		snprintf(err, errlen, "switch '%s': no memory or name too long", sw_name);
		return -ENOMEM;
	}
	p->sw->ports++;
	ret = net_switch_add_port(p->sw->sw, ns_transmit, p, &p->port_id);
	if (ret) {
		snprintf(err, errlen, "switch '%s': cannot add a port: %s", sw_name,
			 strerror(-ret));
		ns_switch_put(ns, p->sw);
		return ret;
	}
	if (epoll_ctl(ns->epfd, EPOLL_CTL_ADD, p->fd, &ev) < 0) {
		ret = -errno;
		snprintf(err, errlen, "switch '%s': cannot watch the port: %s", sw_name,
			 strerror(-ret));
		net_switch_del_port(p->sw->sw, p->port_id);
		ns_switch_put(ns, p->sw);
		return ret;
	}
	p->next = ns->ports;
	ns->ports = p;
	return 0;
}

int net_service_add_vif(struct net_service *ns, const char *sw_name,
			const struct netback_params *params, const struct net_rate *rate_out,
			const struct net_rate *rate_in, int notify_fd, int failed_fd,
			struct net_port **out, char *err, size_t errlen)
{
	struct netback_params q = *params;
	struct net_port *p;
	int ret;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->is_vif = true;
	p->fd = notify_fd;
	p->failed_fd = failed_fd;
	p->owner_notify = params->notify;
	p->owner_opaque = params->opaque;
	q.notify = ns_notify;
	q.deliver = ns_deliver;
	q.opaque = p;
	/*
	 * <bandwidth> is policed from the first frame: the buckets are set before the
	 * port joins the switch, or what the guest queued before connecting would pass.
	 * (The rates used to stop at the xenbus half: nothing was ever policed.)
	 */
	ns_bucket_set(&p->out, rate_out);
	ns_bucket_set(&p->in, rate_in);
	pthread_mutex_lock(&ns->lock);
	ret = netback_open(&p->nb, &q, err, errlen);
	if (!ret)
		ret = ns_attach(ns, p, sw_name, err, errlen);
	if (ret && p->nb)
		netback_close(p->nb);
	pthread_mutex_unlock(&ns->lock);
	if (ret) {
		free(p);
		return ret;
	}
	*out = p;
	/* Frames queued before we listened. */
	ns_wake(ns);
	return 0;
}

int net_tap_open(const char *ifname, char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd, sock = -1, ret = 0;

	if (!ifname[0] || strlen(ifname) >= IFNAMSIZ || strpbrk(ifname, "/: \t\n")) {
		snprintf(err, errlen, "'%s' is not a network interface name", ifname);
		return -EINVAL;
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "TAP device %s: /dev/net/tun: %s", ifname, strerror(-ret));
		return ret;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		ret = -errno;
		snprintf(err, errlen, "TAP device %s: %s", ifname, strerror(-ret));
		goto out;
	}
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) {
		ret = -errno;
		snprintf(err, errlen, "TAP device %s: cannot read its flags: %s", ifname,
			 strerror(-ret));
		goto out;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) {
		ret = -errno;
		snprintf(err, errlen, "TAP device %s: cannot bring it up: %s", ifname,
			 strerror(-ret));
		goto out;
	}
out:
	if (sock >= 0)
		close(sock);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

int net_service_add_tap(struct net_service *ns, const char *sw_name, int fd, struct net_port **out,
			char *err, size_t errlen)
{
	struct net_port *p;
	int ret;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (!p) {
		close(fd);
		return -ENOMEM;
	}
	p->fd = fd;
	pthread_mutex_lock(&ns->lock);
	ret = ns_attach(ns, p, sw_name, err, errlen);
	pthread_mutex_unlock(&ns->lock);
	if (ret) {
		close(p->fd);
		free(p);
		return ret;
	}
	*out = p;
	return 0;
}

void net_service_del_port(struct net_service *ns, struct net_port *port)
{
	struct net_port **pp;

	if (!port)
		return;
	pthread_mutex_lock(&ns->lock);
	for (pp = &ns->ports; *pp != port; pp = &(*pp)->next)
		;
	*pp = port->next;
	epoll_ctl(ns->epfd, EPOLL_CTL_DEL, port->fd, NULL);
	net_switch_del_port(port->sw->sw, port->port_id);
	ns_switch_put(ns, port->sw);
	port->dead = true;
	if (port->tx_more)
		ns->tx_more--;
	port->tx_more = false;
	if (port->is_vif) {
		netback_close(port->nb);
		port->nb = NULL;
	} else {
		close(port->fd);
	}
	/* The thread may hold an event naming it: it frees it before its next wait. */
	port->next = ns->graveyard;
	ns->graveyard = port;
	pthread_mutex_unlock(&ns->lock);
	ns_wake(ns);
}

void net_service_port_stats(struct net_service *ns, struct net_port *port,
			    struct net_port_stats *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&ns->lock);
	out->is_vif = port->is_vif;
	if (port->is_vif && port->nb)
		netback_get_stats(port->nb, &out->vif);
	out->tap_rx_frames = port->tap_rx_frames;
	out->tap_tx_frames = port->tap_tx_frames;
	out->tap_rx_bytes = port->tap_rx_bytes;
	out->tap_tx_bytes = port->tap_tx_bytes;
	out->tap_drops = port->tap_drops;
	out->rate_drops_out = port->rate_drops_out;
	out->rate_drops_in = port->rate_drops_in;
	out->syscalls = port->syscalls;
	pthread_mutex_unlock(&ns->lock);
}
