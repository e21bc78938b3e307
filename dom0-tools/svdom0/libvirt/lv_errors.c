// SPDX-License-Identifier: MIT
/*
 * A procedure's failure as libvirt's error: the code virsh and python3-libvirt act on,
 * and our sentence. Apart from lv_server.c so that the handlers below it need nothing
 * of the server above them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "lv_priv.h"

int lv_fail(struct lv_call *x, int code, const char *fmt, ...)
{
	va_list ap;

	x->err.code = code;
	x->err.domain = code == LV_ERR_RPC ? LV_FROM_RPC : LV_FROM_DOMAIN;
	va_start(ap, fmt);
	vsnprintf(x->err.msg, sizeof(x->err.msg), fmt, ap);
	va_end(ap);
	return -1;
}

int lv_fail_errno(struct lv_call *x, int ret, const char *msg)
{
	switch (ret) {
	case -ENOENT:
		return lv_fail(x, LV_ERR_NO_DOMAIN, "Domain not found: %s", msg);
	case -EEXIST:
		return lv_fail(x, LV_ERR_DOM_EXIST, "operation failed: %s", msg);
	case -EBUSY:
	case -ESRCH:
	case -EALREADY:
		return lv_fail(x, LV_ERR_OPERATION_INVALID, "Requested operation is not valid: %s",
			       msg);
	case -EOPNOTSUPP:
		return lv_fail(x, LV_ERR_NO_SUPPORT, "this function is not supported: %s", msg);
	default:
		return lv_fail(x, LV_ERR_OPERATION_FAILED, "operation failed: %s", msg);
	}
}
