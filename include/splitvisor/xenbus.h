/* SPDX-License-Identifier: MIT */
/* Xenbus device states, written as decimal strings to .../state in xenstore. */
#ifndef SPLITVISOR_XENBUS_H
#define SPLITVISOR_XENBUS_H

enum xenbus_state {
	XENBUS_STATE_UNKNOWN = 0,
	XENBUS_STATE_INITIALISING = 1,
	XENBUS_STATE_INIT_WAIT = 2,
	XENBUS_STATE_INITIALISED = 3,
	XENBUS_STATE_CONNECTED = 4,
	XENBUS_STATE_CLOSING = 5,
	XENBUS_STATE_CLOSED = 6,
};

#endif
