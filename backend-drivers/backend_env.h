/* SPDX-License-Identifier: MIT */
/*
 * What a backend needs from the process that hosts it, and nothing more: a
 * xenstore connection as its own domain, the core's control socket, access to
 * a guest's memory and an event loop. svdom0 provides it today
 * (dom0-tools/svdom0/backend_host.c); a driver-domain process will provide it
 * with fewer rights, and the unit tests provide it over an in-process
 * xenstore and a fake guest. Backends include no header of the daemons.
 */
#ifndef SV_BACKEND_ENV_H
#define SV_BACKEND_ENV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct backend_env;

/* A watch fired on path (or the watch was set: Xen fires each watch once at once). */
typedef void backend_watch_fn(void *arg, const char *path);
/* The fd given to fd_add is readable. */
typedef void backend_fd_fn(void *arg);

/* Every call returns 0 (a length for xs_read) or -errno; err gets a sentence where given. */
struct backend_env_ops {
	int (*xs_read)(struct backend_env *env, const char *path, char *out, size_t cap);
	int (*xs_write)(struct backend_env *env, const char *path, const char *value);
	int (*xs_mkdir)(struct backend_env *env, const char *path);
	/* perms in the wire form ("n0\0r5\0", plen bytes) */
	int (*xs_set_perms)(struct backend_env *env, const char *path, const char *perms,
			    size_t plen);
	int (*xs_rm)(struct backend_env *env, const char *path);
	/* fn runs on the env's loop for each event of this token; unwatch stops it at once. */
	int (*xs_watch)(struct backend_env *env, const char *path, const char *token,
			backend_watch_fn *fn, void *arg);
	int (*xs_unwatch)(struct backend_env *env, const char *path, const char *token);
	/* One request on the core's control socket; up to nfds passed fds land in fds. */
	int (*core_call)(struct backend_env *env, uint32_t op, const void *req, size_t len,
			 void *reply, size_t cap, int *fds, size_t nfds, char *err, size_t errlen);
	/*
	 * The first limit bytes of domid's RAM (all of it when limit is 0), shared and
	 * writable; *size says how much was mapped. A host that may not map guest RAM
	 * (a driver domain) refuses with -EPERM.
	 */
	int (*map_guest)(struct backend_env *env, uint32_t domid, uint64_t limit, void **mem,
			 uint64_t *size, char *err, size_t errlen);
	void (*unmap_guest)(struct backend_env *env, void *mem, uint64_t size);
	/* fn runs on the env's loop while fd is readable; after fd_del it never runs again. */
	int (*fd_add)(struct backend_env *env, int fd, backend_fd_fn *fn, void *arg);
	void (*fd_del)(struct backend_env *env, int fd);
	/*
	 * The source of the disk whose backend directory is be_path, as the toolstack
	 * wrote it in params, opened with open_flags (O_RDONLY or O_RDWR, O_DIRECT,
	 * O_DSYNC, O_CLOEXEC): svdom0 opens it itself (NULL: the backend opens it), a
	 * driver domain (no rights on the host's files) asks its toolstack, which
	 * opens what it wrote there.
	 */
	int (*open_disk)(struct backend_env *env, const char *be_path, const char *params,
			 int open_flags, int *fd, char *err, size_t errlen);
	/* The TAP device ifname of the vif at be_path, nonblocking; same split as open_disk. */
	int (*open_tap)(struct backend_env *env, const char *be_path, const char *ifname, int *fd,
			char *err, size_t errlen);
};

/*
 * Faults injected into this host's backends (svctl inject). Backends read them
 * with relaxed atomic loads on their hot paths; the host sets them.
 */
struct backend_faults {
	uint32_t slow_ms;      /* sleep before each ring batch */
	uint32_t drop_notify;  /* nonzero: raise no events */
	uint32_t corrupt_ring; /* generation: each ring corrupts one response per change */
};

#define BACKEND_SLOW_MAX_MS 60000u

/*
 * Applies an injected fault (enum sv_dd_fault of driver_domain.h: clear, slow
 * with arg ms, corrupt-ring, drop-notify) to f: 0, -EINVAL for an unknown fault,
 * -ERANGE for slow beyond BACKEND_SLOW_MAX_MS; err says why.
 */
int backend_faults_apply(struct backend_faults *f, uint32_t fault, uint32_t arg, char *err,
			 size_t errlen);

struct gnt_remote_ops;

struct backend_env {
	const struct backend_env_ops *ops;
	void *ctx;	/* the host's own state */
	uint16_t domid; /* the domain the backends run as */
	/*
	 * NULL where the host may map guest RAM (svdom0); a driver domain's host sets
	 * it, and every grant then goes through the core (lib/grant_access.h).
	 */
	const struct gnt_remote_ops *grant_remote;
	void *grant_remote_ctx;
	struct backend_faults *faults; /* NULL: nothing injected */
};

/* printf into a key: path is dir/key. */
int backend_xs_printf(struct backend_env *env, const char *dir, const char *key, const char *fmt,
		      ...) __attribute__((format(printf, 4, 5)));
/* Reads dir/key; its length or -errno. */
int backend_xs_read(struct backend_env *env, const char *dir, const char *key, char *out,
		    size_t cap);
/* Reads dir/key as an unsigned decimal within [0, max]; -ENOENT, -EINVAL or -ERANGE. */
int backend_xs_read_u32(struct backend_env *env, const char *dir, const char *key, uint32_t max,
			uint32_t *val);

#endif
