// SPDX-License-Identifier: MIT
/*
 * The backend's xenbus state machine (xenbus_back.h). It runs on the host's
 * loop, in the watch callback of the frontend's state; the device class's
 * connect and disconnect do the rest.
 *
 * The handshake follows Xen: the toolstack writes both directories in state
 * Initialising; the backend publishes its features and goes InitWait; the
 * frontend publishes its rings and ports and goes Initialised; the backend
 * connects and goes Connected. A frontend going Closing/Closed takes us down
 * the same way; one coming back as Initialising finds us in InitWait again.
 * A backend started again (its driver domain died) may find its frontend still
 * Connected to the one before: it waits for the frontend to start over.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <splitvisor/xenbus.h>

#include "xenbus_back.h"

const char *xenbus_state_name(int s)
{
	static const char *const names[] = { "Unknown",	  "Initialising", "InitWait", "Initialised",
					     "Connected", "Closing",	  "Closed" };

	return s >= 0 && s <= XENBUS_STATE_CLOSED ? names[s] : "?";
}

void xenbus_back_set_state(struct xenbus_back *xb, int state)
{
	xb->state = state;
	backend_xs_printf(xb->env, xb->be, "state", "%d", state);
}

void xenbus_back_fatal(struct xenbus_back *xb, const char *msg)
{
	log_limited(&xb->rl, LOG_LEVEL_WARN, "%s: %s", xb->name, msg);
	backend_xs_printf(xb->env, xb->be, "error", "%s", msg);
	xenbus_back_set_state(xb, XENBUS_STATE_CLOSING);
}

static void xenbus_back_disconnect(struct xenbus_back *xb)
{
	xb->ops->disconnect(xb);
	xb->connected = false;
}

static void xenbus_back_closed(struct xenbus_back *xb)
{
	if (xb->state != XENBUS_STATE_CLOSED)
		xenbus_back_set_state(xb, XENBUS_STATE_CLOSED);
	xb->removable = xb->unplugged;
}

/* A disconnect still in progress: the change is looked at again once it is done. */
static bool xenbus_back_settling(struct xenbus_back *xb)
{
	if (!xb->ops->busy || !xb->ops->busy(xb))
		return false;
	xb->deferred = true;
	return true;
}

static void xenbus_back_frontend_changed(void *arg, const char *path)
{
	struct xenbus_back *xb = arg;
	uint32_t fe_state = XENBUS_STATE_UNKNOWN;
	char err[256] = "";

	(void)path;
	/* Gone or garbage counts as Unknown, as Xen's xenbus_read_driver_state does. */
	if (backend_xs_read_u32(xb->env, xb->fe, "state", UINT32_MAX, &fe_state))
		fe_state = XENBUS_STATE_UNKNOWN;
	if (fe_state != XENBUS_STATE_INITIALISED && fe_state != XENBUS_STATE_CONNECTED)
		xb->fe_was_down = true;
	switch (fe_state) {
	case XENBUS_STATE_INITIALISED:
	case XENBUS_STATE_CONNECTED:
		if (xb->state != XENBUS_STATE_INIT_WAIT)
			return; /* connected already, or going down */
		/*
		 * A frontend can say Connected only to a backend that said so: this is
		 * what it told the backend before us (a driver domain that died and was
		 * started again). Its ring may be half torn down by now; wait for it to
		 * close and come back through Initialising.
		 */
		if (fe_state == XENBUS_STATE_CONNECTED && !xb->fe_was_down)
			return;
		if (xenbus_back_settling(xb))
			return;
		if (xb->ops->connect(xb, err, sizeof(err))) {
			xenbus_back_disconnect(xb);
			xenbus_back_fatal(xb, err);
			return;
		}
		xb->connected = true;
		xenbus_back_set_state(xb, XENBUS_STATE_CONNECTED);
		return;
	case XENBUS_STATE_INITIALISING:
		/*
		 * A frontend reconnecting after Closed finds us waiting again; one that
		 * starts over without closing (it lost its backend and came back) is
		 * taken down first, so nothing of its old ring stays in use.
		 */
		if (xb->connected || xb->state == XENBUS_STATE_CONNECTED) {
			xenbus_back_disconnect(xb);
			xenbus_back_set_state(xb, xb->unplugged ? XENBUS_STATE_CLOSED
								: XENBUS_STATE_INIT_WAIT);
			xb->removable = xb->unplugged;
		} else if (xb->state == XENBUS_STATE_CLOSED && !xb->unplugged) {
			xenbus_back_set_state(xb, XENBUS_STATE_INIT_WAIT);
		}
		return;
	case XENBUS_STATE_CLOSING:
		xenbus_back_disconnect(xb);
		if (xb->state != XENBUS_STATE_CLOSED)
			xenbus_back_set_state(xb, XENBUS_STATE_CLOSING);
		return;
	case XENBUS_STATE_CLOSED:
	case XENBUS_STATE_UNKNOWN:
		xenbus_back_disconnect(xb);
		if (xenbus_back_settling(xb)) {
			/* Closed tells the frontend it may free the ring: not yet. */
			xb->closed_deferred = true;
			if (xb->state == XENBUS_STATE_CONNECTED)
				xenbus_back_set_state(xb, XENBUS_STATE_CLOSING);
			return;
		}
		xenbus_back_closed(xb);
		return;
	default: /* InitWait is not the frontend's to say; other numbers mean nothing */
		return;
	}
}

int xenbus_back_init(struct xenbus_back *xb, struct backend_env *env, const char *kind,
		     const char *be_path, const struct xenbus_back_ops *ops, void *priv, char *err,
		     size_t errlen)
{
	const char *slash;
	char want[96];
	int ret;

	memset(xb, 0, sizeof(*xb));
	xb->env = env;
	xb->ops = ops;
	xb->priv = priv;
	snprintf(xb->kind, sizeof(xb->kind), "%s", kind);
	if (strlen(be_path) >= sizeof(xb->be)) {
		snprintf(err, errlen, "backend path %s is too long", be_path);
		return -ENAMETOOLONG;
	}
	snprintf(xb->be, sizeof(xb->be), "%s", be_path);
	slash = strrchr(xb->be, '/');
	if (!slash || sscanf(slash + 1, "%u", &xb->devid) != 1) {
		snprintf(err, errlen, "backend path %s does not end in a device id", xb->be);
		return -EINVAL;
	}
	ret = backend_xs_read_u32(env, xb->be, "frontend-id", UINT16_MAX - 1, &xb->domid);
	if (ret) {
		snprintf(err, errlen, "%s: no valid frontend-id", xb->be);
		return -EINVAL;
	}
	snprintf(want, sizeof(want), "/local/domain/%u/device/%s/%u", xb->domid, kind, xb->devid);
	ret = backend_xs_read(env, xb->be, "frontend", xb->fe, sizeof(xb->fe));
	if (ret < 0 || strcmp(xb->fe, want)) {
		snprintf(err, errlen, "%s: frontend is not %s", xb->be, want);
		return -EINVAL;
	}
	snprintf(xb->fe_state_path, sizeof(xb->fe_state_path), "%s/state", xb->fe);
	snprintf(xb->token, sizeof(xb->token), "%s/%u/%u", kind, xb->domid, xb->devid);
	snprintf(xb->name, sizeof(xb->name), "%s %u/%u", kind, xb->domid, xb->devid);
	return 0;
}

int xenbus_back_start(struct xenbus_back *xb)
{
	int ret;

	ret = backend_xs_printf(xb->env, xb->be, "state", "%d", XENBUS_STATE_INIT_WAIT);
	if (ret)
		return ret;
	xb->state = XENBUS_STATE_INIT_WAIT;
	/* Xen fires a watch once when it is set: the frontend's state is read at once. */
	ret = xb->env->ops->xs_watch(xb->env, xb->fe_state_path, xb->token,
				     xenbus_back_frontend_changed, xb);
	if (!ret)
		xb->watching = true;
	return ret;
}

void xenbus_back_unplug(struct xenbus_back *xb)
{
	xb->unplugged = true;
	if (!xb->connected) {
		/* The frontend never connected (or left): nothing to wait for. */
		xb->removable = true;
		return;
	}
	xenbus_back_disconnect(xb);
	backend_xs_printf(xb->env, xb->be, "online", "0");
	xenbus_back_set_state(xb, XENBUS_STATE_CLOSING);
}

void xenbus_back_settled(struct xenbus_back *xb)
{
	if (!xb->deferred || !xb->watching)
		return;
	xb->deferred = false;
	/* A Closed that waited is said first: the frontend may have moved on since. */
	if (xb->closed_deferred) {
		xb->closed_deferred = false;
		xenbus_back_closed(xb);
	}
	xenbus_back_frontend_changed(xb, NULL);
}

void xenbus_back_stop(struct xenbus_back *xb)
{
	xenbus_back_disconnect(xb);
	if (xb->watching)
		xb->env->ops->xs_unwatch(xb->env, xb->fe_state_path, xb->token);
	xb->watching = false;
}
