/* SPDX-License-Identifier: MIT */
/*
 * The network service of a backend host: one thread that moves every frame
 * between the vifs (netback.h) and TAP devices of the host through learning
 * switches (net_switch.h), one switch per name. A vif's guest notifications
 * and a TAP device's frames wake the thread through one epoll set; a burst of
 * frames into a vif costs one notification (netback_rx_flush after the burst).
 * The xenbus halves add and remove ports from the host's loop; a mutex keeps
 * them out of a batch the thread is working through.
 */
#ifndef SV_NET_SERVICE_H
#define SV_NET_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netback.h"

struct net_service;
struct net_port;

/* A policer of libvirt's <bandwidth>: bytes per second, and a bucket of burst bytes. */
struct net_rate {
	uint64_t bytes_per_s; /* 0: no limit */
	uint64_t burst;	      /* 0: a default of 1/20 s of the rate, at least 64 KiB */
};

/* Per-port counters (a vif's netback counters, or a TAP device's frames). */
struct net_port_stats {
	bool is_vif;
	struct netback_stats vif;
	uint64_t tap_rx_frames, tap_tx_frames, tap_rx_bytes, tap_tx_bytes, tap_drops;
	uint64_t rate_drops_out, rate_drops_in; /* frames over the vif's <bandwidth> */
	/*
	 * System calls the service thread made for the port: a vif's notify
	 * eventfd reads, a TAP device's reads and writes, and each epoll_wait,
	 * charged to the first port it returned an event for (or, returning none
	 * while a vif had more, to that vif). The owner's raises are its own.
	 */
	uint64_t syscalls;
};

int net_service_create(struct net_service **out, char *err, size_t errlen);
/* Stops the thread; every port must be gone. */
void net_service_destroy(struct net_service *ns);

/*
 * A vif on switch sw_name (made on first use): netback over p (deliver is the
 * service's own; notify is called with p's opaque as the caller set it), served when
 * notify_fd (the guest's sends) is readable. When the guest breaks its ring,
 * the service writes failed_fd (an eventfd of the caller's) once, and the
 * caller tears the vif down from its own loop. rate_out (from the guest) and
 * rate_in (to it) police its frames from the first one; NULL: no limit.
 */
int net_service_add_vif(struct net_service *ns, const char *sw_name, const struct netback_params *p,
			const struct net_rate *rate_out, const struct net_rate *rate_in,
			int notify_fd, int failed_fd, struct net_port **out, char *err,
			size_t errlen);
/*
 * Opens the TAP device ifname, nonblocking: created (or attached, if it exists
 * and is a TAP device) and brought up. The fd or -errno. Needs CAP_NET_ADMIN:
 * a driver domain asks its toolstack instead (backend_env's open_tap).
 */
int net_tap_open(const char *ifname, char *err, size_t errlen);
/* The TAP device open at fd (net_tap_open's) on switch sw_name; fd is the service's, even on failure. */
int net_service_add_tap(struct net_service *ns, const char *sw_name, int fd, struct net_port **out,
			char *err, size_t errlen);
/* Takes the port off its switch and closes it (a vif's grants are unmapped on return). */
void net_service_del_port(struct net_service *ns, struct net_port *port);
void net_service_port_stats(struct net_service *ns, struct net_port *port,
			    struct net_port_stats *out);

#endif
